/* cmd_run.c -- placeholder until `jitrl run` lands. */
#include "cli.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl run: not built yet\n");
    return 2;
}
