/* cmd_actions.c -- placeholder until `jitrl actions` lands. */
#include "cli.h"

#include <stdio.h>

int cmd_actions(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl actions: not built yet\n");
    return 2;
}
