/* cmd_report.c -- placeholder until `jitrl report` lands. */
#include "cli.h"

#include <stdio.h>

int cmd_report(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "jitrl report: not built yet\n");
    return 2;
}
