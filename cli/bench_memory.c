/* bench_memory.c -- placeholder until `jitrl bench memory` lands. */
#include "cli.h"

#include <stdio.h>

int bench_memory(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl bench memory: not built yet\n");
    return 2;
}
