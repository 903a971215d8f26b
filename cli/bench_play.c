/* bench_play.c -- placeholder until `jitrl bench play` lands. */
#include "cli.h"

#include <stdio.h>

int bench_play(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl bench play: not built yet\n");
    return 2;
}
