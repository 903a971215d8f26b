/*
 * cmd_play.c -- `jitrl play`: the project's main job.  Plays a story with
 * the JitRL agent (and/or the static baseline) for N independent runs,
 * shows a live progress line, ends with the Avg/Final table, and writes the
 * summary JSON, the decision-trace log and the HTML report on request.
 *
 * SIGINT asks the runs to stop after their current step; the episode in
 * flight is dropped, every completed one is already committed to its
 * memory, and the outputs are written for what was done.  A second SIGINT
 * kills at once (the memory is still consistent: SQLite transactions).
 */
#include "cli.h"
#include "play.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_sigint(int sig)
{
    (void)sig;
    stop_flag = 1;
}

volatile sig_atomic_t *play_catch_sigint(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;   /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    stop_flag = 0;
    sigaction(SIGINT, &sa, old);
    return &stop_flag;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jitrl play [STORY] [options]\n"
        "       jitrl play --env web --tasks FILE|DIR [options]   web tasks (jitrl play --env web --help)\n"
        "  STORY                 a story file, a Jericho game name from ../shared/jericho/games\n"
        "                        (e.g. zork1), or nothing for the built-in game\n"
        "  --agent jitrl|static|tabular|all|both   the agent (default jitrl; all = static,\n"
        "                        tabular and jitrl; both = static and jitrl)\n"
        "  --episodes N          episodes per run (default 50)\n"
        "  --max-steps N         actions per episode (default 60)\n"
        "  --runs N              independent runs, seeds S, S+1, ... (default 1)\n"
        "  --seed S              first run's seed (default 1)\n"
        "  --memory FILE         SQLite memory to continue (resumes an interrupted run); with\n"
        "                        --runs N > 1, run i uses FILE.run<i>.  Default: fresh, in RAM\n"
        "  --llm URL|none        OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1\n"
        "                        (default none: uniform prior, offline)\n"
        "  --model M             model name (or $JITRL_MODEL); key from $OPENAI_API_KEY / $JITRL_API_KEY\n"
        "  --prior token|verbal|propose   how the model gives the prior (default token)\n"
        "  --llm-timeout MS --llm-retries N --llm-backoff MS   request timeout, retries of\n"
        "                        transient faults, first backoff (defaults: the client's)\n"
        "  --evaluator           store the model's per-step rewards instead of score deltas\n"
        "  --price-in X --price-out Y     USD per million prompt / completion tokens\n"
        "  --beta B              update strength z' = z + B*A~ (default: the engine's with a\n"
        "                        model, 5 offline where the prior is flat)\n"
        "  --gamma G --k K --threshold T --lambda L --alpha A   engine parameters (k 10, or 0 = all\n"
        "                        neighbours offline)\n"
        "  --mode sample|argmax|legacy   how the shifted policy acts (default sample; legacy =\n"
        "                        the released code's probability + advantage, argmax)\n"
        "  --weighted --unseen-neutral --keep-above S   estimator options (docs/method.md)\n"
        "  --preset offline|paper|web   engine defaults (default offline with no model, paper\n"
        "                        with --llm); later flags override them (docs/method.md)\n"
        "  --kl-budget C         per-state beta: KL(pi'||pi) = C ln(n actions); 0 = fixed --beta\n"
        "                        (offline default 0.98)\n"
        "  --explore ucb|lambda  optimism: count bonus C*G_max*sqrt(ln(1+|N|)/(1+n_a)) or the\n"
        "                        paper's lambda coin (offline default ucb)\n"
        "  --ucb-c C             the UCB bonus scale (offline default 0.1)\n"
        "  --tabular-c C         the tabular agent's UCB scale (default 0.2)\n"
        "  --history N           recent actions in the retrieval state (default 0 offline, 1 paper)\n"
        "  --summary FILE.json   run summary (several agents: {\"games\": [static, tabular, jitrl]})\n"
        "  --log FILE.jsonl      one JSON record per step: the whole decision trace\n"
        "  --report FILE.html    learning curves with 95%% CI bands and the table\n"
        "  --threads N           runs in parallel (default: 2 when there are 2 cores)\n"
        "  --quiet               no progress line\n");
}

/* Parsed command line beyond play_opts. */
typedef struct play_cli {
    play_opts o;
    const char *agent, *summary, *log, *report;
    int quiet;
} play_cli;

/* The options that take a value; any other "-..." is unknown, and says so
 * before a missing value is blamed. */
static const char *const value_flags[] = {
    "--episodes", "--max-steps", "--runs", "--threads", "--history", "--llm-timeout", "--llm-backoff",
    "--llm-retries", "--k", "--seed", "--beta", "--gamma", "--threshold", "--lambda", "--alpha", "--price-in",
    "--price-out", "--keep-above", "--mode", "--agent", "--memory", "--llm", "--model", "--prior", "--summary",
    "--log", "--report", "--preset", "--kl-budget", "--explore", "--ucb-c",
    "--tabular-c",
};

static int takes_value(const char *a)
{
    for (size_t i = 0; i < sizeof value_flags / sizeof value_flags[0]; i++)
        if (!strcmp(a, value_flags[i])) return 1;
    return 0;
}

static int need(int argc, char **argv, int i)
{
    if (!takes_value(argv[i])) {
        fprintf(stderr, "jitrl play: unknown option '%s' (see jitrl play --help)\n", argv[i]);
        return 1;
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "jitrl play: %s needs a value\n", argv[i]);
        return 1;
    }
    return 0;
}

static int parse(int argc, char **argv, play_cli *c)
{
    play_opts *o = &c->o;
    long v;
    if (play_opts_preset(o, play_preset_of(argc, argv))) return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (a[0] != '-') {
            if (o->story) {
                fprintf(stderr, "jitrl play: one STORY only ('%s' and '%s')\n", o->story, a);
                return 2;
            }
            o->story = a;
            continue;
        }
        if (!strcmp(a, "--evaluator")) { o->evaluator = 1; continue; }
        if (!strcmp(a, "--quiet")) { c->quiet = 1; continue; }
        if (!strcmp(a, "--weighted")) { o->params.weighted = 1; continue; }
        if (!strcmp(a, "--unseen-neutral")) { o->params.unseen_neutral = 1; continue; }
        if (need(argc, argv, i)) return 2;
        const char *val = argv[++i];
        int bad = 0;
        if (play_parse_learning(o, a, val, &bad)) {}
        else if (!strcmp(a, "--episodes")) { bad = play_parse_int(a, val, 1, 1000000, &v); o->episodes = (int)v; }
        else if (!strcmp(a, "--max-steps")) { bad = play_parse_int(a, val, 1, 1000000, &v); o->max_steps = (int)v; }
        else if (!strcmp(a, "--runs")) { bad = play_parse_int(a, val, 1, 10000, &v); o->runs = (int)v; }
        else if (!strcmp(a, "--threads")) { bad = play_parse_int(a, val, 1, 16, &v); o->threads = (int)v; }
        else if (!strcmp(a, "--history")) { bad = play_parse_int(a, val, 0, 64, &v); o->history_len = (size_t)v; }
        else if (!strcmp(a, "--llm-timeout")) { bad = play_parse_int(a, val, 1, 3600000, &v); o->llm_timeout_ms = v; }
        else if (!strcmp(a, "--llm-backoff")) { bad = play_parse_int(a, val, 1, 600000, &v); o->llm_backoff_ms = v; }
        else if (!strcmp(a, "--llm-retries")) { bad = play_parse_int(a, val, 0, 100, &v); o->llm_retries = (int)v; }
        else if (!strcmp(a, "--k")) { bad = play_parse_int(a, val, 0, 1000000, &v); o->params.k = (size_t)v; }
        else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            bad = (end == val || *end || errno || val[0] == '-');
            if (bad) fprintf(stderr, "jitrl play: --seed needs a non-negative integer\n");
            o->seed = s;
        }
        else if (!strcmp(a, "--beta")) { bad = play_parse_double(a, val, &o->params.beta); o->beta_set = 1; }
        else if (!strcmp(a, "--gamma")) bad = play_parse_double(a, val, &o->params.gamma);
        else if (!strcmp(a, "--threshold")) bad = play_parse_double(a, val, &o->params.threshold);
        else if (!strcmp(a, "--lambda")) bad = play_parse_double(a, val, &o->params.lambda);
        else if (!strcmp(a, "--alpha")) bad = play_parse_double(a, val, &o->params.alpha);
        else if (!strcmp(a, "--price-in")) bad = play_parse_double(a, val, &o->price_in);
        else if (!strcmp(a, "--price-out")) bad = play_parse_double(a, val, &o->price_out);
        else if (!strcmp(a, "--keep-above")) bad = play_parse_double(a, val, &o->params.keep_above);
        else if (!strcmp(a, "--mode")) {
            if (!strcmp(val, "sample")) o->params.mode = JITRL_MODE_SAMPLE;
            else if (!strcmp(val, "argmax")) o->params.mode = JITRL_MODE_ARGMAX;
            else if (!strcmp(val, "legacy")) o->params.mode = JITRL_MODE_LEGACY;
            else {
                fprintf(stderr, "jitrl play: --mode is sample, argmax or legacy\n");
                bad = 1;
            }
        }
        else if (!strcmp(a, "--agent")) c->agent = val;
        else if (!strcmp(a, "--memory")) o->memory = val;
        else if (!strcmp(a, "--llm")) o->llm_url = strcmp(val, "none") ? val : NULL;
        else if (!strcmp(a, "--model")) o->model = val;
        else if (!strcmp(a, "--prior")) o->prior = val;
        else if (!strcmp(a, "--summary")) c->summary = val;
        else if (!strcmp(a, "--log")) c->log = val;
        else if (!strcmp(a, "--report")) c->report = val;
        else {
            fprintf(stderr, "jitrl play: unknown option '%s' (see jitrl play --help)\n", a);
            return 2;
        }
        if (bad) return 2;
    }
    jitrl_agent_kind kinds[3];
    if (!play_agent_kinds(c->agent, kinds)) {
        fprintf(stderr, "jitrl play: --agent is jitrl, static, tabular, all or both, not '%s'\n", c->agent);
        return 2;
    }
    if (!(o->params.beta >= 0) || !(o->params.gamma >= 0 && o->params.gamma <= 1) ||
        !(o->params.lambda >= 0 && o->params.lambda <= 1) || !(o->params.threshold >= 0)) {
        fprintf(stderr, "jitrl play: need beta >= 0, gamma and lambda in [0, 1], threshold >= 0\n");
        return 2;
    }
    if (o->llm_url && strncmp(o->llm_url, "http://", 7) && strncmp(o->llm_url, "https://", 8)) {
        fprintf(stderr, "jitrl play: --llm needs an http:// or https:// URL (or none), not '%s'\n", o->llm_url);
        return 2;
    }
    if (o->llm_url && !o->model) o->model = getenv("JITRL_MODEL");
    if (o->llm_url && !o->model) {
        fprintf(stderr, "jitrl play: --llm needs --model (or $JITRL_MODEL)\n");
        return 2;
    }
    play_opts_finish(o);
    if (o->evaluator && !o->llm_url) {
        fprintf(stderr, "jitrl play: --evaluator needs --llm\n");
        return 2;
    }
    return 0;
}

int play_write_outputs(const char *summary, const char *report, jitrl_summary *const *s, size_t n,
                       const jitrl_paper *paper)
{
    int bad = 0;
    if (summary) {
        char *text = NULL;
        if (n == 1) {
            text = jitrl_summary_to_json(s[0]);
        } else {
            size_t total = 32;
            char **parts = calloc(n, sizeof *parts);
            for (size_t i = 0; parts && i < n; i++) {
                parts[i] = jitrl_summary_to_json(s[i]);
                total += parts[i] ? strlen(parts[i]) + 2 : 0;
            }
            text = parts ? malloc(total) : NULL;
            if (text) {
                size_t off = (size_t)snprintf(text, total, "{\"games\":[\n");
                for (size_t i = 0; i < n; i++)
                    if (parts[i]) off += (size_t)snprintf(text + off, total - off, "%s%s", i ? "," : "", parts[i]);
                snprintf(text + off, total - off, "]}\n");
            }
            for (size_t i = 0; parts && i < n; i++) free(parts[i]);
            free(parts);
        }
        if (!text) {
            fprintf(stderr, "jitrl: out of memory writing the summary\n");
            bad = 1;
        } else {
            bad |= play_write_file(summary, text);
            free(text);
        }
    }
    if (report) {
        char *html = jitrl_report_html((const jitrl_summary *const *)s, n, paper, NULL);
        if (!html) {
            fprintf(stderr, "jitrl: out of memory writing the report\n");
            bad = 1;
        } else {
            bad |= play_write_file(report, html);
            free(html);
        }
    }
    return bad;
}

int cmd_play(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)   /* the web protocol: play_web.c */
        if (!strcmp(argv[i], "--env") && !strcmp(argv[i + 1], "web")) return play_web(argc, argv);
    play_cli c;
    memset(&c, 0, sizeof c);
    play_opts_init(&c.o);
    c.agent = "jitrl";
    int rc = parse(argc, argv, &c);
    if (rc) return rc;

    /* Every output is checked before the run, not found unwritable after
     * an hour of play. */
    if ((c.summary && play_check_output("--summary", c.summary)) ||
        (c.report && play_check_output("--report", c.report)))
        return 1;
    if (play_check_llm(&c.o)) return 1;
    play_story story;
    if (play_story_load(c.o.story, &story)) return 1;
    if (c.log) {
        c.o.log = fopen(c.log, c.o.memory ? "a" : "w");
        if (!c.o.log) {
            fprintf(stderr, "jitrl: cannot write --log %s: %s\n", c.log, strerror(errno));
            play_story_free(&story);
            return 1;
        }
        c.o.log_path = c.log;
    }
    stop_flag = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;   /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    c.o.stop = &stop_flag;

    jitrl_agent_kind kinds[3];
    size_t n_kinds = play_agent_kinds(c.agent, kinds);
    c.o.progress = !c.quiet && isatty(STDERR_FILENO);
    play_progress *prog = play_progress_new(c.o.progress, (long)c.o.runs * c.o.episodes * (long)n_kinds);
    fprintf(stderr, "jitrl: %s (max score %d), %s, %d run%s x %d episodes x %d steps, %s\n", story.name,
            story.max_score, c.agent, c.o.runs, c.o.runs == 1 ? "" : "s", c.o.episodes, c.o.max_steps,
            c.o.llm_url ? c.o.model : "offline (uniform prior)");

    jitrl_summary *sums[3] = {NULL, NULL, NULL};
    size_t n_sums = 0;
    int status = 0;
    {
        int st = play_batches(&c.o, kinds, (int)n_kinds, &story, prog, sums);
        for (size_t k = 0; k < n_kinds; k++)
            if (sums[k]) sums[n_sums++] = sums[k];
        if (st == 130 || stop_flag) status = 130;
        else if (st) status = 1;
    }
    play_progress_free(prog);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (status == 130) fprintf(stderr, "jitrl: interrupted; completed episodes are kept\n");

    jitrl_paper *paper = play_paper_load();
    /* A table of zeros after a run that failed before its first episode
     * reads like a result; the error above is the whole answer then. */
    size_t played = 0;
    for (size_t i = 0; i < n_sums; i++)
        for (size_t r = 0; r < sums[i]->n_runs; r++) played += sums[i]->runs[r].n_scores;
    if (played || !status) play_print_table(stdout, sums, n_sums, paper);
    else fprintf(stderr, "jitrl: no episode completed; no results table\n");
    fflush(stdout);
    if (play_write_outputs(c.summary, c.report, sums, n_sums, paper) && !status) status = 1;
    jitrl_paper_free(paper);
    for (size_t i = 0; i < n_sums; i++) jitrl_summary_free(sums[i]);
    if (c.o.log) {
        /* the runs checked every flush; the close is the last write */
        errno = 0;
        int bad = ferror(c.o.log) | (fclose(c.o.log) != 0);
        if (bad && !status) {   /* (a run that hit it has said so) */
            fprintf(stderr, "jitrl: writing --log %s failed: %s\n", c.log, errno ? strerror(errno) : "write error");
            status = 1;
        }
    }
    play_story_free(&story);
    return status;
}
