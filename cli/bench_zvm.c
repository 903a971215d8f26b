/* bench_zvm.c -- placeholder until `jitrl bench zvm` lands. */
#include "cli.h"

#include <stdio.h>

int bench_zvm(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl bench zvm: not built yet\n");
    return 2;
}
