/* cmd_memory.c -- placeholder until `jitrl memory` lands. */
#include "cli.h"

#include <stdio.h>

int cmd_memory(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl memory: not built yet\n");
    return 2;
}
