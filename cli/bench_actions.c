/* bench_actions.c -- placeholder until `jitrl bench actions` lands. */
#include "cli.h"

#include <stdio.h>

int bench_actions(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl bench actions: not built yet\n");
    return 2;
}
