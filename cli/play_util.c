/*
 * play_util.c -- the small pieces `jitrl play`, `jitrl bench play` and
 * `jitrl report` share: defaults, finding stories and ../shared, the
 * paper's numbers, the final table, flag values and file output.
 */
#include "play.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void play_opts_init(play_opts *o)
{
    memset(o, 0, sizeof *o);
    o->episodes = 50;
    o->max_steps = 60;
    o->runs = 1;
    o->seed = 1;
    o->prior = "token";
    jitrl_params_default(&o->params, "text");
    o->history_len = 1;
    o->llm_retries = -1;
    jitrl_agent_config ac;
    jitrl_agent_config_init(&ac);
    o->tabular_c = ac.tabular_c;
}

/* Offline the prior is flat: every logit is 0 and carries no knowledge, so
 * the KL term of the objective only buys exploration, which the unseen-
 * action optimism already provides.  The engine's beta = 2 (chosen to let a
 * confident model prior survive noisy neighbours) then leaves the best known
 * action with about a third of the mass in a state with a dozen actions, and
 * a 10-step chain is almost never completed.  beta = 5 gives it ~90% once
 * its advantage is the largest.  Measured on the built-in game (and with
 * games/balance.py): see the play report in the README. */
void play_opts_finish(play_opts *o)
{
    if (!o->beta_set && !o->llm_url) o->params.beta = PLAY_OFFLINE_BETA;
}

const char *play_agent_name(jitrl_agent_kind kind)
{
    return kind == JITRL_AGENT_STATIC ? "static" : kind == JITRL_AGENT_TABULAR ? "tabular" : "jitrl";
}

size_t play_agent_kinds(const char *name, jitrl_agent_kind kinds[3])
{
    int all = !strcmp(name, "all"), both = !strcmp(name, "both");
    size_t n = 0;
    if (all || both || !strcmp(name, "static")) kinds[n++] = JITRL_AGENT_STATIC;
    if (all || !strcmp(name, "tabular")) kinds[n++] = JITRL_AGENT_TABULAR;
    if (all || both || !strcmp(name, "jitrl")) kinds[n++] = JITRL_AGENT_JITRL;
    return n;
}

int play_opts_preset(play_opts *o, const char *preset)
{
    int offline = !strcmp(preset, "offline");
    if (jitrl_params_default(&o->params, offline ? "offline" : preset) != JITRL_OK) {
        fprintf(stderr, "jitrl: --preset is offline, paper or web, not '%s'\n", preset);
        return 1;
    }
    /* offline the history field only splits memory by the previous action
     * (docs/method.md section 6): off */
    o->history_len = offline ? 0 : 1;
    return 0;
}

const char *play_preset_of(int argc, char **argv)
{
    const char *preset = NULL, *llm = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--preset")) preset = argv[i + 1];
        if (!strcmp(argv[i], "--llm")) llm = strcmp(argv[i + 1], "none") ? argv[i + 1] : NULL;
    }
    return preset ? preset : llm ? "paper" : "offline";
}

int play_parse_learning(play_opts *o, const char *flag, const char *val, int *bad)
{
    *bad = 0;
    if (!strcmp(flag, "--preset")) return 1;
    if (!strcmp(flag, "--kl-budget")) {
        *bad = play_parse_double(flag, val, &o->params.kl_budget);
        if (!*bad && o->params.kl_budget < 0) {
            fprintf(stderr, "jitrl: --kl-budget needs a number >= 0 (0 = fixed --beta)\n");
            *bad = 1;
        }
    } else if (!strcmp(flag, "--ucb-c")) {
        *bad = play_parse_double(flag, val, &o->params.ucb_c);
        if (!*bad && o->params.ucb_c < 0) {
            fprintf(stderr, "jitrl: --ucb-c needs a number >= 0\n");
            *bad = 1;
        }
    } else if (!strcmp(flag, "--tabular-c")) {
        *bad = play_parse_double(flag, val, &o->tabular_c);
        if (!*bad && o->tabular_c < 0) {
            fprintf(stderr, "jitrl: --tabular-c needs a number >= 0\n");
            *bad = 1;
        }
    } else if (!strcmp(flag, "--explore")) {
        if (!strcmp(val, "ucb")) o->params.explore = JITRL_EXPLORE_UCB;
        else if (!strcmp(val, "lambda")) o->params.explore = JITRL_EXPLORE_LAMBDA;
        else {
            fprintf(stderr, "jitrl: --explore is ucb or lambda, not '%s'\n", val);
            *bad = 1;
        }
    } else {
        return 0;
    }
    return 1;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int has_facts(const char *dir)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/jericho/games.tsv", dir);
    return is_file(p);
}

const char *play_shared_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("JITRL_SHARED");
    if (env && *env && has_facts(env)) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    if (has_facts("../shared")) {
        snprintf(dir, sizeof dir, "../shared");
        return dir;
    }
    /* Beside the checkout the binary was built in: BUILD/jitrl -> ../../shared. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash) break;
            *slash = '\0';
        }
        snprintf(dir, sizeof dir, "%.*s/../shared", (int)(sizeof dir - 16), exe);
        if (has_facts(dir)) return dir;
    }
    return NULL;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1 << 16;
            if (nc > ((size_t)64 << 20)) { free(buf); fclose(f); errno = EFBIG; return NULL; }
            uint8_t *p = realloc(buf, nc);
            if (!p) { free(buf); fclose(f); return NULL; }
            buf = p;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return NULL; }
    *len = n;
    return buf;
}

int play_story_load(const char *story, play_story *out)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    if (!story) {
        out->bytes = jitrl_default_game;
        out->len = jitrl_default_game_len;
    } else {
        if (is_file(story) || strchr(story, '/')) {
            snprintf(path, sizeof path, "%s", story);
        } else {
            const char *sh = play_shared_dir();
            if (!sh) {
                fprintf(stderr, "jitrl: '%s' is not a file, and ../shared (the Jericho games) was not found; "
                                "set JITRL_SHARED\n", story);
                return 1;
            }
            static const char *const exts[] = {".z5", ".z3", ".z8", ""};
            for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
                snprintf(path, sizeof path, "%s/jericho/games/%s%s", sh, story, exts[i]);
                if (is_file(path)) break;
            }
        }
        out->owned = read_all(path, &out->len);
        if (!out->owned) {
            fprintf(stderr, "jitrl: cannot read story '%s': %s\n", path, strerror(errno));
            return 1;
        }
        out->bytes = out->owned;
    }
    /* Open once to learn the game's name and maximum and to fail early on a
     * file that is not a story.  The built-in game is not in the facts (it
     * is ours and changes), so it is named here, as a file the facts do
     * not know is named after the file: the same name then goes into the
     * summary, the memory's task and the trace (the runs open with it). */
    if (!story) {
        snprintf(out->name, sizeof out->name, "jitrl_cave");
    } else {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        const char *dot = strrchr(base, '.');
        int n = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
        snprintf(out->name, sizeof out->name, "%.*s", n, base);
    }
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.name = out->name;
    jitrl_env *env = NULL;
    char err[512];
    int rc = jitrl_zgame_open_buffer(out->bytes, out->len, &eo, &env, err, sizeof err);
    if (rc) {
        fprintf(stderr, "jitrl: %s: %s\n", story ? story : "built-in game", err);
        play_story_free(out);
        return 1;
    }
    /* (the facts' name when they know the game; the built-in game's
     * maximum comes from its own `score` answer, read at reset) */
    snprintf(out->name, sizeof out->name, "%s", jitrl_env_name(env));
    out->max_score = jitrl_zgame_max_score(env);
    jitrl_obs first;
    if (out->max_score <= 0 && jitrl_env_reset(env, &first) == JITRL_OK) out->max_score = jitrl_zgame_max_score(env);
    jitrl_env_close(env);
    return 0;
}

void play_story_free(play_story *s)
{
    free(s->owned);
    s->owned = NULL;
    s->bytes = NULL;
}

jitrl_paper *play_paper_load(void)
{
    const char *sh = play_shared_dir();
    if (!sh) return NULL;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/jericho/paper-results.tsv", sh);
    size_t len = 0;
    uint8_t *text = read_all(path, &len);
    if (!text) return NULL;
    jitrl_paper *p = NULL;
    if (jitrl_paper_parse((const char *)text, len, &p)) p = NULL;
    free(text);
    return p;
}

void play_print_table(FILE *f, jitrl_summary *const *s, size_t n, const jitrl_paper *paper)
{
    if (!n) return;
    const jitrl_summary *h = s[0];
    int known = 0;
    for (size_t i = 0; i < n; i++) known |= jitrl_paper_lookup(paper, s[i]->game, s[i]->agent, NULL, NULL);
    int model = 0;
    for (size_t i = 0; i < n; i++) model |= s[i]->calls > 0;
    fprintf(f, "\n%s", h->game ? h->game : "?");
    if (h->max_score > 0) fprintf(f, " (max score %d)", h->max_score);
    fprintf(f, ": %d episodes x %d steps, %zu run%s, mean +- 95%% CI over runs\n", h->episodes, h->max_steps,
            h->n_runs, h->n_runs == 1 ? "" : "s");
    fprintf(f, "%-8s %-20s %-20s", "agent", "Avg", "Final");
    if (known) fprintf(f, " %-10s %-11s", "paper Avg", "paper Final");
    if (model) fprintf(f, " %-11s %-9s %-9s", "tokens/step", "fallbacks", "cost");
    fprintf(f, " %s\n", "s/episode");
    for (size_t i = 0; i < n; i++) {
        const jitrl_summary *x = s[i];
        char avg[40], fin[40];
        snprintf(avg, sizeof avg, "%.2f +- %.2f", x->avg_mean, x->avg_ci95);
        snprintf(fin, sizeof fin, "%.2f +- %.2f", x->final_mean, x->final_ci95);
        fprintf(f, "%-8s %-20s %-20s", x->agent ? x->agent : "?", avg, fin);
        if (known) {
            double pa, pf;
            if (jitrl_paper_lookup(paper, x->game, x->agent, &pa, &pf)) fprintf(f, " %-10.1f %-11g", pa, pf);
            else fprintf(f, " %-10s %-11s", "-", "-");
        }
        if (model)
            fprintf(f, " %-11.0f %-9llu %-9.4f", x->tokens_per_step, (unsigned long long)x->fallbacks, x->cost);
        fprintf(f, " %.3f\n", x->wall_per_episode);
    }
    if (known) fprintf(f, "(paper: Li et al. 2026, Table 3, Gemini-2.5-flash; ours %s)\n",
                       model ? "with the model above" : "offline, uniform prior, no model");
}

int play_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "jitrl: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t len = strlen(text);
    errno = 0;
    int bad = fwrite(text, 1, len, f) != len || fflush(f) != 0;
    int err = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad) fprintf(stderr, "jitrl: writing %s failed: %s\n", path, err ? strerror(err) : "short write");
    return bad;
}

int play_check_output(const char *what, const char *path)
{
    struct stat st;
    int existed = stat(path, &st) == 0;
    if (existed && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "jitrl: %s %s is a directory\n", what, path);
        return 1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "jitrl: cannot write %s %s: %s\n", what, path, strerror(errno));
        return 1;
    }
    close(fd);
    if (!existed) unlink(path);
    return 0;
}

int play_parse_double(const char *flag, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || end == v || *end || errno) {
        fprintf(stderr, "jitrl: %s needs a number, got '%s'\n", flag, v ? v : "");
        return 1;
    }
    if (!isfinite(x)) {
        fprintf(stderr, "jitrl: %s needs a finite number, got '%s'\n", flag, v);
        return 1;
    }
    *out = x;
    return 0;
}

int play_parse_int(const char *flag, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "jitrl: %s needs an integer in %ld..%ld, got '%s'\n", flag, lo, hi, v ? v : "");
        return 1;
    }
    *out = x;
    return 0;
}
