/*
 * play_web.h -- what `jitrl play --env web` (play_web.c) and `jitrl bench
 * web` (bench_web.c) share: the protocol's settings and one call that runs
 * it (every task attempted N times, a memory per run shared across tasks),
 * with its results per agent and site.
 */
#ifndef JITRL_CLI_PLAY_WEB_H
#define JITRL_CLI_PLAY_WEB_H

#include "play.h"

#include "jitrl/web.h"
#include "net/http.h"

#define WEB_MAX_SITES 16
#define WEB_MAX_STEP_SAMPLES 100000

typedef struct web_cfg {
    play_opts o;               /* runs, seed, max_steps, params (preset web), llm, stop */
    const char *tasks;         /* --tasks FILE|DIR */
    int attempts;              /* --attempts (default 5) */
    jitrl_web_site sites[WEB_MAX_SITES];
    char site_names[WEB_MAX_SITES][64];
    size_t n_sites;
    int (*reset_hook)(void *ctx, char *err, size_t errlen);   /* the sites' reset, per episode */
    void *reset_ctx;
    void *builtin;             /* the built-in sites when no --site is given (web_sites_default) */
    const char *agent, *summary, *report;
    int quiet, verbose, no_reset;
    net_transport net;         /* for the --site resets */
    int net_open;
} web_cfg;

typedef struct web_results {
    char site_names[WEB_MAX_SITES][64];
    int n_site_names;
    jitrl_summary *sums[3 * WEB_MAX_SITES];   /* agent-major, then site, in site_names' order */
    size_t n_sums;
    double step_ms[WEB_MAX_STEP_SAMPLES];     /* action + observation of each step */
    size_t n_step_ms;
    long browser_kb;                          /* the browser's memory at the end (PSS of its trees) */
    int browser_starts;
    double wall_s;
} web_results;

void web_cfg_init(web_cfg *c);
int web_cfg_site(web_cfg *c, const char *name_eq_url);
int web_parse_flag(web_cfg *c, int argc, char **argv, int *i, int *bad);
int web_cfg_finish(web_cfg *c, const char *cmd);
/* With no --site: the project's own sites, started on loopback ports and
 * mapped to their placeholders, reset before each episode (once their
 * module is in the library); web_sites_close stops them. */
void web_sites_default(web_cfg *c);
void web_sites_close(web_cfg *c);
/* With --site (and no --no-reset): POST /__reset to each site before each
 * episode (a 404 is ignored). */
void web_reset_hook(web_cfg *c);
/* Run the protocol for kinds[0..n); res is filled (free with
 * web_results_free).  0, 1 (a failure, said on stderr) or 130. */
int play_web_run(const web_cfg *c, const jitrl_agent_kind *kinds, size_t n_kinds, web_results *res);
void web_results_free(web_results *res);

#endif
