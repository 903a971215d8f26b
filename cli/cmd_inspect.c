/* cmd_inspect.c -- placeholder until `jitrl inspect` lands. */
#include "cli.h"

#include <stdio.h>

int cmd_inspect(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl inspect: not built yet\n");
    return 2;
}
