/*
 * play_web.c -- `jitrl play --env web`: the paper's web protocol.  Each task
 * of a WebArena-format file (or directory) is attempted N times in a row
 * (--attempts, default 5); one memory per run is shared across all tasks
 * (the paper's Table 5 cross-task transfer); the "web" engine preset.  One
 * browser serves every environment of the command.
 *
 * Results, per agent and per site: the success rate at each attempt (the
 * mean over the site's tasks of "score > 0"), as a jitrl_summary whose
 * "episodes" are the attempts, so Avg is the success over all attempts,
 * Final the success at the last one, and the summary JSON, the table and
 * the HTML report are the text games' (jitrl report reads them).  Runs
 * (--runs, seeds S, S+1, ...) run one after another: they share the one
 * browser.  `jitrl bench web` (bench_web.c) is built on play_web_run.
 */
#include "cli.h"
#include "play.h"
#include "play_web.h"

#include "jitrl/web.h"
#include "net/http.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void web_cfg_init(web_cfg *c)
{
    memset(c, 0, sizeof *c);
    play_opts_init(&c->o);
    play_opts_preset(&c->o, "web");
    c->o.history_len = 0;
    c->o.max_steps = 15;
    c->attempts = 5;
}

int web_cfg_site(web_cfg *c, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (strncmp(eq + 1, "http://", 7) && strncmp(eq + 1, "https://", 8))) {
        fprintf(stderr, "jitrl: --site takes NAME=URL (e.g. shopping=http://127.0.0.1:7770), not '%s'\n", arg);
        return 1;
    }
    if (c->n_sites == WEB_MAX_SITES) {
        fprintf(stderr, "jitrl: at most %d --site flags\n", WEB_MAX_SITES);
        return 1;
    }
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof c->site_names[0]) n = sizeof c->site_names[0] - 1;
    memcpy(c->site_names[c->n_sites], arg, n);
    c->site_names[c->n_sites][n] = '\0';
    c->sites[c->n_sites].name = c->site_names[c->n_sites];
    c->sites[c->n_sites].url = eq + 1;
    c->n_sites++;
    return 0;
}

/* Per-step figures for bench web. */
typedef struct step_ctx {
    web_results *res;
    jitrl_env *env;
} step_ctx;

static void on_step(void *ctx, int episode, int step, int score)
{
    (void)episode; (void)step; (void)score;
    step_ctx *s = ctx;
    jitrl_web_step_stats st;
    st.size = sizeof st;
    if (!s->res || jitrl_web_last_step(s->env, &st)) return;
    if (s->res->n_step_ms < WEB_MAX_STEP_SAMPLES) s->res->step_ms[s->res->n_step_ms++] = st.action_ms + st.observe_ms;
}

/* The index of a site in res (added if new), or -1 when full. */
static int site_index(web_results *res, const char *site)
{
    for (int i = 0; i < res->n_site_names; i++)
        if (!strcmp(res->site_names[i], site)) return i;
    if (res->n_site_names == WEB_MAX_SITES) return -1;
    snprintf(res->site_names[res->n_site_names], sizeof res->site_names[0], "%s", site[0] ? site : "web");
    return res->n_site_names++;
}

/* One run of one agent kind over every task: success[task][attempt]. */
static int run_tasks(const web_cfg *c, jitrl_web_browser *br, jitrl_llm *judge, const jitrl_web_tasks *tasks,
                     jitrl_agent_kind kind, int run, double *success, web_results *res, char *err, size_t errlen)
{
    size_t nt = jitrl_web_tasks_count(tasks);
    jitrl_memory *mem = NULL;
    jitrl_llm *llm = NULL;
    jitrl_llm_mode mode = 0;
    int rc = JITRL_OK;
    jitrl_web_options wo;
    jitrl_web_options_init(&wo);
    wo.browser = br;
    wo.judge = judge;
    wo.sites = c->sites;
    wo.n_sites = c->n_sites;
    wo.max_steps = c->o.max_steps;
    wo.reset_hook = c->reset_hook;
    wo.reset_ctx = c->reset_ctx;
    if (c->o.llm_url && kind != JITRL_AGENT_TABULAR) {
        jitrl_llm_config lc;
        if ((rc = play_llm_config(&c->o, run, &lc, err, errlen))) return rc;
        mode = lc.mode;
        if ((rc = jitrl_llm_open(&lc, &llm, err, errlen))) return rc;
    }
    for (size_t t = 0; !rc && t < nt; t++) {
        jitrl_env *env = NULL;
        jitrl_agent *ag = NULL;
        char e2[512] = "";
        if ((rc = jitrl_web_open(&wo, tasks, t, &env, e2, sizeof e2))) {
            snprintf(err, errlen, "task %s: %s", jitrl_web_task_id(tasks, t), e2);
            break;
        }
        if (!mem && kind == JITRL_AGENT_JITRL) {
            /* one memory for the whole run, with the web kind's fields */
            const jitrl_env_info *in = jitrl_env_info_get(env);
            jitrl_memory_options mo;
            jitrl_memory_options_init(&mo);
            mo.n_fields = in->n_fields;
            for (size_t f = 0; f < in->n_fields; f++) mo.fields[f] = in->fields[f];
            if ((rc = jitrl_memory_open(NULL, &mo, &mem, e2, sizeof e2))) {
                snprintf(err, errlen, "memory: %s", e2);
                jitrl_env_close(env);
                break;
            }
        }
        jitrl_agent_config ac;
        jitrl_agent_config_init(&ac);
        ac.kind = kind;
        ac.max_steps = c->o.max_steps;
        ac.seed = c->o.seed + (uint64_t)run;
        ac.params = c->o.params;
        ac.history_len = c->o.history_len;
        ac.tabular_c = c->o.tabular_c;
        ac.run_id = run + 1;
        ac.stop = c->o.stop;
        if (llm) {
            ac.llm = llm;
            ac.prior_mode = mode;
        }
        if ((rc = jitrl_agent_open(env, kind == JITRL_AGENT_JITRL ? mem : NULL, &ac, &ag, e2, sizeof e2))) {
            snprintf(err, errlen, "task %s: %s", jitrl_web_task_id(tasks, t), e2);
            jitrl_env_close(env);
            break;
        }
        step_ctx sc = {res, env};
        jitrl_agent_on_step(ag, on_step, &sc);
        for (int a = 0; a < c->attempts; a++) {
            jitrl_episode_result er;
            rc = jitrl_agent_run_episode(ag, (int)t * c->attempts + a, &er);
            if (rc) {
                snprintf(err, errlen, "task %s: %s", jitrl_web_task_id(tasks, t), jitrl_agent_errmsg(ag));
                break;
            }
            success[t * (size_t)c->attempts + (size_t)a] = er.score > 0 ? 1.0 : 0.0;
            if (c->verbose)
                fprintf(stderr, "jitrl: %s run %d task %s attempt %d: %s in %d steps\n", play_agent_name(kind),
                        run + 1, jitrl_web_task_id(tasks, t), a + 1, er.score > 0 ? "success" : "failure", er.steps);
        }
        jitrl_agent_close(ag);
        jitrl_env_close(env);
    }
    jitrl_memory_close(mem);
    jitrl_llm_close(llm);
    return rc;
}

int play_web_run(const web_cfg *c, const jitrl_agent_kind *kinds, size_t n_kinds, web_results *res)
{
    memset(res, 0, sizeof *res);
    char err[1024] = "";
    jitrl_web_tasks *tasks = NULL;
    int rc = jitrl_web_tasks_load(c->tasks, &tasks, err, sizeof err);
    if (rc) {
        fprintf(stderr, "jitrl: --tasks: %s\n", err);
        return 1;
    }
    size_t nt = jitrl_web_tasks_count(tasks);
    int site_of[4096];
    if (nt > sizeof site_of / sizeof site_of[0]) {
        fprintf(stderr, "jitrl: at most %zu tasks per run\n", sizeof site_of / sizeof site_of[0]);
        jitrl_web_tasks_close(tasks);
        return 1;
    }
    for (size_t t = 0; t < nt; t++) {
        site_of[t] = site_index(res, jitrl_web_task_site(tasks, t));
        if (site_of[t] < 0) site_of[t] = 0;
    }
    jitrl_web_options bo;
    jitrl_web_options_init(&bo);
    jitrl_web_browser *br = NULL;
    if ((rc = jitrl_web_browser_open(&bo, &br, err, sizeof err))) {
        fprintf(stderr, "jitrl: %s\n", err);
        jitrl_web_tasks_close(tasks);
        return 1;
    }
    /* with a model, fuzzy_match is judged by it (a handle of its own) */
    jitrl_llm *judge = NULL;
    if (c->o.llm_url) {
        jitrl_llm_config lc;
        rc = play_llm_config(&c->o, 0, &lc, err, sizeof err);
        if (lc.mode == JITRL_LLM_PROPOSE) lc.mode = JITRL_LLM_TOKEN;   /* a verdict is a choice of two */
        if (!rc) rc = jitrl_llm_open(&lc, &judge, err, sizeof err);
        if (rc) {
            fprintf(stderr, "jitrl: the model judge: %s\n", err);
            jitrl_web_browser_close(br);
            jitrl_web_tasks_close(tasks);
            return 1;
        }
    }
    double *success = calloc(nt * (size_t)c->attempts, sizeof *success);
    double *curve = calloc((size_t)c->attempts, sizeof *curve);
    int status = success && curve ? 0 : 1;
    double t0 = mono_ms();
    for (size_t k = 0; !status && k < n_kinds; k++) {
        for (int s = 0; s < res->n_site_names; s++) {
            jitrl_summary *sum = jitrl_summary_new();
            char game[96];
            snprintf(game, sizeof game, "web:%s", res->site_names[s]);
            if (!sum || jitrl_summary_set(&sum->game, game) || jitrl_summary_set(&sum->agent, play_agent_name(kinds[k])) ||
                jitrl_summary_set(&sum->model, c->o.llm_url ? c->o.model : "none") ||
                jitrl_summary_set(&sum->prior, c->o.llm_url ? c->o.prior : "uniform")) {
                jitrl_summary_free(sum);
                status = 1;
                break;
            }
            sum->max_score = 1;
            sum->episodes = c->attempts;
            sum->max_steps = c->o.max_steps;
            sum->beta = c->o.params.beta;
            res->sums[res->n_sums++] = sum;
        }
        for (int r = 0; !status && r < c->o.runs; r++) {
            if (c->o.stop && *c->o.stop) {
                status = 130;
                break;
            }
            double tr = mono_ms();
            rc = run_tasks(c, br, judge, tasks, kinds[k], r, success, res, err, sizeof err);
            if (rc) {
                fprintf(stderr, "jitrl: %s run %d: %s: %s\n", play_agent_name(kinds[k]), r + 1, jitrl_strerror(rc),
                        err);
                status = rc == JITRL_EINTERRUPTED ? 130 : 1;
                break;
            }
            for (int s = 0; s < res->n_site_names; s++) {
                jitrl_summary *sum = res->sums[res->n_sums - (size_t)res->n_site_names + (size_t)s];
                size_t n_in = 0;
                memset(curve, 0, (size_t)c->attempts * sizeof *curve);
                for (size_t t = 0; t < nt; t++) {
                    if (site_of[t] != s) continue;
                    n_in++;
                    for (int a = 0; a < c->attempts; a++) curve[a] += success[t * (size_t)c->attempts + (size_t)a];
                }
                for (int a = 0; a < c->attempts && n_in; a++) curve[a] /= (double)n_in;
                if (jitrl_summary_add_run(sum, c->o.seed + (uint64_t)r, curve, (size_t)c->attempts)) status = 1;
                else   /* s/episode = seconds per attempt of one task */
                    sum->runs[sum->n_runs - 1].wall_s = (mono_ms() - tr) / 1e3 / (double)(nt ? nt : 1);
            }
            if (!c->quiet)
                fprintf(stderr, "jitrl: %s run %d/%d done (%zu tasks x %d attempts)\n", play_agent_name(kinds[k]),
                        r + 1, c->o.runs, nt, c->attempts);
        }
    }
    for (size_t i = 0; i < res->n_sums; i++) jitrl_summary_finish(res->sums[i]);
    res->wall_s = (mono_ms() - t0) / 1e3;
    jitrl_web_browser_stats bs;
    bs.size = sizeof bs;
    if (!jitrl_web_browser_stats_get(br, &bs)) {
        res->browser_kb = bs.rss_kb;
        res->browser_starts = bs.starts;
    }
    free(success);
    free(curve);
    jitrl_llm_close(judge);
    jitrl_web_browser_close(br);
    jitrl_web_tasks_close(tasks);
    return status;
}

void web_results_free(web_results *res)
{
    for (size_t i = 0; i < res->n_sums; i++) jitrl_summary_free(res->sums[i]);
    res->n_sums = 0;
}

/* The project's own sites (src/env/web/sites/, the websites helper's
 * module), when this tree has them: started when no --site is given,
 * every placeholder they know mapped, reset to their seed before each
 * episode.  Without them a task with placeholders needs --site, and
 * jitrl_web_open says which. */
#if defined(__has_include)
#if __has_include("env/web/sites/sites.h")
#include "env/web/sites/sites.h"
#define HAVE_SITES 1
#endif
#endif

#ifdef HAVE_SITES
static int sites_reset(void *ctx, char *err, size_t errlen)
{
    int rc = jr_sites_reset(ctx);
    if (rc) snprintf(err, errlen, "jr_sites_reset: %s", jitrl_strerror(rc));
    return rc;
}
#endif

void web_sites_default(web_cfg *c)
{
#ifdef HAVE_SITES
    if (c->n_sites) return;
    jr_sites *s = NULL;
    char err[256] = "";
    if (jr_sites_open(&s, "127.0.0.1", err, sizeof err)) {
        fprintf(stderr, "jitrl: the built-in sites did not start: %s\n", err);
        return;
    }
    for (size_t i = 0; i < jr_sites_count() && c->n_sites < WEB_MAX_SITES; i++) {
        const char *name = jr_sites_name(i), *url = jr_sites_url(s, name);
        if (!name || !url) continue;
        snprintf(c->site_names[c->n_sites], sizeof c->site_names[0], "%s", name);
        c->sites[c->n_sites].name = c->site_names[c->n_sites];
        c->sites[c->n_sites].url = url;
        c->n_sites++;
    }
    c->builtin = s;
    c->reset_hook = sites_reset;
    c->reset_ctx = s;
    if (!c->quiet) fprintf(stderr, "jitrl: serving the built-in sites (%zu) on loopback ports\n", c->n_sites);
#else
    (void)c;
#endif
}

void web_sites_close(web_cfg *c)
{
#ifdef HAVE_SITES
    jr_sites_close(c->builtin);
#endif
    c->builtin = NULL;
}

/* With --site: before each episode, POST /__reset to every mapped site
 * (what the project's sites and the test site answer; a site that does not
 * know it answers 404, which is ignored: its state is the user's).  Runs
 * then depend on their seed alone, not on what earlier episodes left in a
 * cart.  --no-reset turns it off. */
static int post_resets(void *ctx, char *err, size_t errlen)
{
    web_cfg *c = ctx;
    if (!c->net_open) {
        if (net_curl_open(&c->net, err, errlen)) return 0;   /* no libcurl: nothing to reset with */
        c->net_open = 1;
    }
    for (size_t i = 0; i < c->n_sites; i++) {
        char url[1024];
        const char *u = c->sites[i].url;
        size_t n = strlen(u);
        while (n && u[n - 1] == '/') n--;
        snprintf(url, sizeof url, "%.*s/__reset", (int)n, u);
        net_request rq;
        memset(&rq, 0, sizeof rq);
        rq.method = "POST";
        rq.url = url;
        rq.body = "";
        rq.timeout_ms = 5000;
        rq.connect_timeout_ms = 2000;
        rq.max_body = 1 << 16;
        net_response rs;
        char e2[256];
        if (net_send(&c->net, &rq, &rs, e2, sizeof e2) == JITRL_OK) net_response_free(&rs);
    }
    return 0;
}

void web_reset_hook(web_cfg *c)
{
    if (c->no_reset || c->reset_hook || !c->n_sites) return;
    c->reset_hook = post_resets;
    c->reset_ctx = c;
}

/* ---- the command ---- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jitrl play --env web --tasks FILE|DIR [options]\n"
        "  --tasks FILE|DIR      WebArena-format tasks: one object, an array, or a directory of *.json\n"
        "  --site NAME=URL       map a placeholder (shopping=URL or __SHOPPING__=URL); repeatable\n"
        "  --attempts N          attempts per task, in a row (default 5)\n"
        "  --agent jitrl|static|tabular|all|both   (default both)\n"
        "  --runs N --seed S     independent runs, seeds S, S+1, ... (default 1, 1)\n"
        "  --max-steps N         actions per attempt; the task is scored there (default 15)\n"
        "  --llm URL --model M --prior token|verbal   a model prior (default: uniform, offline)\n"
        "  --beta B --gamma G --threshold T --lambda L --k K   engine parameters (preset web:\n"
        "                        gamma 0.1, threshold 0.8, lambda 0.05)\n"
        "  --summary FILE.json --report FILE.html   outputs, as for the text games\n"
        "  --no-reset            do not POST /__reset to the --site URLs before each episode\n"
        "  --verbose             one line per attempt; --quiet: no progress lines\n");
}

/* The flags shared by play --env web and bench web; 1 = taken (then *bad
 * says whether it was refused), 0 = not ours. */
int web_parse_flag(web_cfg *c, int argc, char **argv, int *i, int *bad)
{
    const char *a = argv[*i];
    long v;
    *bad = 0;
    if (!strcmp(a, "--quiet")) return c->quiet = 1;
    if (!strcmp(a, "--verbose")) return c->verbose = 1;
    if (!strcmp(a, "--no-reset")) return c->no_reset = 1;
    static const char *const with_value[] = {"--tasks", "--site", "--attempts", "--runs", "--seed", "--max-steps",
                                             "--llm", "--model", "--prior", "--beta", "--gamma", "--threshold",
                                             "--lambda", "--k", "--env", "--agent", "--summary", "--report",
                                             "--preset", "--kl-budget", "--explore", "--ucb-c", "--tabular-c"};
    int known = 0;
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) known |= !strcmp(a, with_value[k]);
    if (!known) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "jitrl: %s needs a value\n", a);
        *bad = 1;
        return 1;
    }
    const char *val = argv[++*i];
    if (play_parse_learning(&c->o, a, val, bad)) {}
    else if (!strcmp(a, "--tasks")) c->tasks = val;
    else if (!strcmp(a, "--site")) *bad = web_cfg_site(c, val);
    else if (!strcmp(a, "--attempts")) { *bad = play_parse_int(a, val, 1, 1000, &v); c->attempts = (int)v; }
    else if (!strcmp(a, "--runs")) { *bad = play_parse_int(a, val, 1, 1000, &v); c->o.runs = (int)v; }
    else if (!strcmp(a, "--seed")) { *bad = play_parse_int(a, val, 0, 1000000000, &v); c->o.seed = (uint64_t)v; }
    else if (!strcmp(a, "--max-steps")) { *bad = play_parse_int(a, val, 1, 1000, &v); c->o.max_steps = (int)v; }
    else if (!strcmp(a, "--k")) { *bad = play_parse_int(a, val, 0, 1000000, &v); c->o.params.k = (size_t)v; }
    else if (!strcmp(a, "--llm")) c->o.llm_url = strcmp(val, "none") ? val : NULL;
    else if (!strcmp(a, "--model")) c->o.model = val;
    else if (!strcmp(a, "--prior")) c->o.prior = val;
    else if (!strcmp(a, "--beta")) { *bad = play_parse_double(a, val, &c->o.params.beta); c->o.beta_set = 1; }
    else if (!strcmp(a, "--gamma")) *bad = play_parse_double(a, val, &c->o.params.gamma);
    else if (!strcmp(a, "--threshold")) *bad = play_parse_double(a, val, &c->o.params.threshold);
    else if (!strcmp(a, "--lambda")) *bad = play_parse_double(a, val, &c->o.params.lambda);
    else if (!strcmp(a, "--env")) {
        if (strcmp(val, "web")) {
            fprintf(stderr, "jitrl: --env is web here, not '%s'\n", val);
            *bad = 1;
        }
    } else if (!strcmp(a, "--agent")) c->agent = val;
    else if (!strcmp(a, "--summary")) c->summary = val;
    else if (!strcmp(a, "--report")) c->report = val;
    return 1;
}

/* After the flags: the checks and the derived settings; 0 or 2. */
int web_cfg_finish(web_cfg *c, const char *cmd)
{
    if (!c->tasks && access("tasks/web", R_OK) == 0) c->tasks = "tasks/web";   /* the project's own */
    if (!c->tasks) {
        fprintf(stderr, "jitrl %s: --env web needs --tasks FILE|DIR\n", cmd);
        return 2;
    }
    if (c->o.llm_url && !c->o.model) c->o.model = getenv("JITRL_MODEL");
    if (c->o.llm_url && !c->o.model) {
        fprintf(stderr, "jitrl %s: --llm needs --model (or $JITRL_MODEL)\n", cmd);
        return 2;
    }
    play_opts_finish(&c->o);
    return 0;
}

int play_web(int argc, char **argv)
{
    web_cfg c;
    web_cfg_init(&c);
    c.agent = "both";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        int bad = 0;
        if (web_parse_flag(&c, argc, argv, &i, &bad)) {
            if (bad) return 2;
            continue;
        }
        fprintf(stderr, "jitrl play --env web: unknown option '%s' (see jitrl play --env web --help)\n", argv[i]);
        return 2;
    }
    if (web_cfg_finish(&c, "play")) return 2;
    jitrl_agent_kind kinds[3];
    size_t nk = play_agent_kinds(c.agent, kinds);
    if (!nk) {
        fprintf(stderr, "jitrl play: --agent is jitrl, static, tabular, all or both, not '%s'\n", c.agent);
        return 2;
    }
    if ((c.summary && play_check_output("--summary", c.summary)) ||
        (c.report && play_check_output("--report", c.report)) || play_check_llm(&c.o))
        return 1;
    web_sites_default(&c);
    web_reset_hook(&c);
    struct sigaction old_int;
    volatile sig_atomic_t *stop = play_catch_sigint(&old_int);
    c.o.stop = stop;
    fprintf(stderr, "jitrl: web tasks %s, %s, %d attempt%s per task, %d run%s x %d steps, %s\n", c.tasks, c.agent,
            c.attempts, c.attempts == 1 ? "" : "s", c.o.runs, c.o.runs == 1 ? "" : "s", c.o.max_steps,
            c.o.llm_url ? c.o.model : "offline (uniform prior)");
    web_results res;
    int status = play_web_run(&c, kinds, nk, &res);
    sigaction(SIGINT, &old_int, NULL);
    web_sites_close(&c);
    if (c.net_open) net_transport_close(&c.net);
    /* one table per site, the agents side by side */
    for (int s = 0; s < res.n_site_names; s++) {
        jitrl_summary *rows[3];
        size_t n = 0;
        for (size_t i = 0; i < res.n_sums; i++)
            if (!strcmp(res.sums[i]->game + 4, res.site_names[s]) && res.sums[i]->n_runs) rows[n++] = res.sums[i];
        if (n) play_print_table(stdout, rows, n, NULL);
    }
    fflush(stdout);
    int bad = 0;
    if (c.summary || c.report) bad = play_write_outputs(c.summary, c.report, res.sums, res.n_sums, NULL);
    web_results_free(&res);
    if (*stop) return 130;
    return status ? status : bad;
}
