/*
 * bench_web.c -- `jitrl bench web`: the web protocol's figures.  Runs the
 * protocol of `jitrl play --env web` (play_web.c) for static and jitrl,
 * 5 runs by default, and reports the median and p90 step (action + next
 * observation, ms), the browser's memory (the sum of PSS over the driver's
 * and chromium's process trees), and per site the success Avg and Final,
 * mean ± 95% CI over runs.  A benchmark prints figures; it never fails on
 * speed.
 */
#include "cli.h"
#include "play.h"
#include "play_web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bench_web(int argc, char **argv)
{
    web_cfg c;
    web_cfg_init(&c);
    c.agent = "both";
    c.o.runs = 5;
    c.quiet = 1;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: jitrl bench web --tasks FILE|DIR [--site NAME=URL]... [--runs 5] [--attempts 5]\n"
                 "       [--max-steps 15] [--agent both] [--json]   (the flags of jitrl play --env web)");
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        int bad = 0;
        if (web_parse_flag(&c, argc, argv, &i, &bad)) {
            if (bad) return 2;
            continue;
        }
        fprintf(stderr, "jitrl bench web: unknown option '%s'\n", argv[i]);
        return 2;
    }
    if (web_cfg_finish(&c, "bench web")) return 2;
    jitrl_agent_kind kinds[3];
    size_t nk = play_agent_kinds(c.agent, kinds);
    if (!nk) {
        fprintf(stderr, "jitrl bench web: --agent is jitrl, static, tabular, all or both\n");
        return 2;
    }
    web_sites_default(&c);
    web_reset_hook(&c);
    web_results *res = malloc(sizeof *res);
    if (!res) return 1;
    int status = play_web_run(&c, kinds, nk, res);
    web_sites_close(&c);
    if (c.net_open) net_transport_close(&c.net);
    double med = 0, p90 = 0;
    if (res->n_step_ms) {
        qsort(res->step_ms, res->n_step_ms, sizeof res->step_ms[0], cmp_d);
        med = res->step_ms[res->n_step_ms / 2];
        p90 = res->step_ms[(res->n_step_ms * 9) / 10];
    }
    if (json) {
        printf("{\"bench\":\"web\",\"steps\":%zu,\"step_median_ms\":%.2f,\"step_p90_ms\":%.2f,"
               "\"browser_mb\":%.1f,\"browser_starts\":%d,\"runs\":%d,\"attempts\":%d,\"wall_s\":%.1f,\"sites\":[",
               res->n_step_ms, med, p90, (double)res->browser_kb / 1024.0, res->browser_starts, c.o.runs,
               c.attempts, res->wall_s);
        for (size_t i = 0; i < res->n_sums; i++) {
            const jitrl_summary *s = res->sums[i];
            printf("%s{\"site\":\"%s\",\"agent\":\"%s\",\"avg\":%.4f,\"avg_ci95\":%.4f,\"final\":%.4f,"
                   "\"final_ci95\":%.4f,\"runs\":%zu}", i ? "," : "", s->game + 4, s->agent, s->avg_mean,
                   s->avg_ci95, s->final_mean, s->final_ci95, s->n_runs);
        }
        printf("]}\n");
    } else {
        printf("web: %zu steps, step (action + observation) median %.1f ms, p90 %.1f ms\n", res->n_step_ms, med, p90);
        printf("web: browser memory %.1f MB (PSS of chromedriver + chromium), %d start%s\n",
               (double)res->browser_kb / 1024.0, res->browser_starts, res->browser_starts == 1 ? "" : "s");
        printf("%-16s %-8s %-16s %-16s %s\n", "site", "agent", "success Avg", "success Final", "runs");
        for (size_t i = 0; i < res->n_sums; i++) {
            const jitrl_summary *s = res->sums[i];
            printf("%-16s %-8s %.2f +- %-8.2f %.2f +- %-8.2f %zu\n", s->game + 4, s->agent, s->avg_mean, s->avg_ci95,
                   s->final_mean, s->final_ci95, s->n_runs);
        }
        printf("FIGURE web_step_median_ms %.1f\nFIGURE web_browser_mb %.1f\n", med, (double)res->browser_kb / 1024.0);
    }
    web_results_free(res);
    free(res);
    return status;
}
