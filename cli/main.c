/*
 * main.c -- entry point of the `jitrl` command: finds the subcommand and
 * hands it argv.  Only main (and the cmd_* functions it calls) may decide
 * to exit; the library never does.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"play", cmd_play, "run the JitRL agent (default: built-in game, no model)"},
    {"run", cmd_run, "play a story file interactively, like dfrotz -m -p -q"},
    {"actions", cmd_actions, "list valid actions (along a walkthrough, with recall)"},
    {"report", cmd_report, "overlay run summaries in one HTML report"},
    {"memory", cmd_memory, "stats|export|import|prune a memory store"},
    {"inspect", cmd_inspect, "dump a story's header, objects, dictionary, grammar"},
    {"serve", cmd_serve, "JitRL as an HTTP service (JSON, tokens, namespaces)"},
    {"bench", cmd_bench, "benchmarks: zvm | memory | actions | play | serve"},
    {"sites", cmd_sites, "serve the local web sites (shop, forum, admin) for web tasks"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: jitrl COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n`jitrl COMMAND --help` describes each.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "jitrl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
