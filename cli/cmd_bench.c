/*
 * cmd_bench.c -- `jitrl bench WHAT`: dispatch to the benchmark files.
 * Benchmarks print figures (and --json objects); they never pass or fail
 * on speed.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_bench(int argc, char **argv)
{
    static const struct { const char *name; int (*fn)(int, char **); } benches[] = {
        {"zvm", bench_zvm}, {"memory", bench_memory}, {"actions", bench_actions}, {"play", bench_play}, {"serve", bench_serve},
        {"web", bench_web},
    };
    static const char use[] = "usage: jitrl bench zvm|memory|actions|play|serve|web [--json] [options]\n";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(use, stdout);
        return 0;
    }
    if (argc >= 2)
        for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
            if (!strcmp(argv[1], benches[i].name)) return benches[i].fn(argc - 1, argv + 1);
    fputs(use, stderr);
    return 2;
}
