/* cmd_play.c -- placeholder until `jitrl play` lands. */
#include "cli.h"

#include <stdio.h>

int cmd_play(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl play: not built yet\n");
    return 2;
}
