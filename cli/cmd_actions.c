/*
 * cmd_actions.c -- `jitrl actions STORY [--seed N] [--walkthrough FILE]
 * [--json]`: valid actions at each state of a walkthrough, with recall (the
 * share of world-changing walkthrough steps whose command, or one with the
 * identical outcome, is in the valid set) and milliseconds per state, cold
 * and memoised.  Without a walkthrough it lists the actions at the start.
 * A thin client of include/jitrl/env.h; actions_walk() is shared with
 * `jitrl bench actions`.
 */
#include "cli.h"
#include "actions_walk.h"
#include "jitrl/zgame.h"

#include "base/alloc.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: jitrl actions STORY [--seed N] [--walkthrough FILE] [--json] [--threads N] [--steps N]\n"
               "Lists the valid actions at each walkthrough state and reports recall and ms per state.\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* Read the walkthrough: one command per line, blank lines skipped. */
static char **read_lines(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char **v = NULL;
    size_t cap = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = 0;
        if (!l) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = jr_realloc(v, cap * sizeof *p);
            if (!p) break;
            v = p;
        }
        v[(*n)++] = jr_strdup(line);
    }
    /* fopen succeeds on a directory and fgets then fails (EISDIR): a read
     * error is an error, not an empty walkthrough */
    int bad = ferror(f), saved = errno;
    fclose(f);
    if (bad) {
        for (size_t i = 0; i < *n; i++) jr_free(v[i]);
        jr_free(v);
        *n = 0;
        errno = saved ? saved : EIO;
        return NULL;
    }
    if (!v) v = jr_calloc(1, sizeof *v);
    return v;
}

int actions_walk(const walk_opts *o, jr_buf *json)
{
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.seed = (int32_t)o->seed;
    eo.threads = o->threads;
    cli_zgame_env(&eo);
    jitrl_env *env = NULL;
    char err[256];
    int rc = jitrl_zgame_open_file(o->story, &eo, &env, err, sizeof err);
    if (rc) {
        fprintf(stderr, "jitrl actions: %s\n", err);
        return 1;
    }
    /* say which mode valid actions are in when it is the fallback */
    const char *parser = jitrl_zgame_parser(env);
    if (!strncmp(parser, "fallback", 8)) fprintf(stderr, "jitrl actions: %s\n", parser);
    size_t nsteps = 0;
    char **steps = NULL;
    if (o->walkthrough) {
        steps = read_lines(o->walkthrough, &nsteps);
        if (!steps) {
            fprintf(stderr, "jitrl actions: cannot read walkthrough %s: %s\n", o->walkthrough, strerror(errno));
            jitrl_env_close(env);
            return 1;
        }
    }
    size_t nlines = nsteps;   /* all of them are freed, however many are played */
    if (o->max_steps > 0 && nsteps > (size_t)o->max_steps) nsteps = (size_t)o->max_steps;
    size_t cap = nsteps + 1;
    double *cold = jr_calloc(cap, sizeof *cold), *warm = jr_calloc(cap, sizeof *warm);
    double *cands = jr_calloc(cap, sizeof *cands);
    size_t ncold = 0, nwarm = 0, states = 0, changing = 0, hits = 0;
    jr_buf misses;
    jr_buf_init(&misses, 1 << 20);
    size_t blob_cap = 0;
    void *blob = NULL;
    jitrl_obs obs;
    int fail = 0;
    if (!cold || !warm || !cands || jitrl_env_reset(env, &obs)) {
        fprintf(stderr, "jitrl actions: %s\n", jitrl_env_errmsg(env));
        fail = 1;
        goto out;
    }
    for (size_t i = 0; i <= nsteps; i++) {
        if (obs.done) break;
        const char *const *acts;
        size_t n;
        rc = jitrl_env_actions(env, &acts, &n);
        if (rc) {
            fprintf(stderr, "jitrl actions: %s: %s\n", jitrl_strerror(rc), jitrl_env_errmsg(env));
            fail = 1;
            goto out;
        }
        jitrl_zgame_action_stats st;
        jitrl_zgame_last_action_stats(env, &st);
        states++;
        if (!st.cached) {
            cold[ncold] = st.ms;
            cands[ncold++] = (double)st.candidates;
        }
        if (o->print) {
            fprintf(o->out, "[%zu] %s%s (%zu actions, %.1f ms%s):", i, i < nsteps ? "> " : "",
                    i < nsteps ? steps[i] : "end", n, st.ms, st.cached ? ", memo" : "");
            for (size_t k = 0; k < n; k++) fprintf(o->out, "%s %s", k ? "," : "", acts[k]);
            fputc('\n', o->out);
        }
        /* the memoised cost: come back to the same state */
        size_t need = jitrl_env_state_size(env), len = 0;
        if (need > blob_cap) {
            void *p = jr_realloc(blob, need);
            if (p) { blob = p; blob_cap = need; }
        }
        if (blob && need <= blob_cap && !jitrl_env_get_state(env, blob, blob_cap, &len) &&
            !jitrl_env_set_state(env, blob, len) && !jitrl_env_actions(env, &acts, &n)) {
            jitrl_zgame_last_action_stats(env, &st);
            if (st.cached) warm[nwarm++] = st.ms;
        }
        if (i == nsteps) break;
        int changes = 0;
        long idx = -1;
        if (!jitrl_zgame_check_action(env, steps[i], &changes, &idx) && changes) {
            changing++;
            if (idx >= 0) hits++;
            else {
                if (misses.len) jr_buf_putc(&misses, ',');
                jr_buf_json_str(&misses, steps[i]);
                if (o->print) fprintf(o->out, "    MISS: %s\n", steps[i]);
            }
        }
        rc = jitrl_env_step(env, steps[i], &obs);
        if (rc && rc != JITRL_ESTATE) {
            fprintf(stderr, "jitrl actions: step %zu '%s': %s\n", i, steps[i], jitrl_env_errmsg(env));
            break;
        }
    }
    double recall = changing ? (double)hits / (double)changing : 1.0;
    double cm = quantile(cold, ncold, 0.5), cp = quantile(cold, ncold, 0.95), wm = quantile(warm, nwarm, 0.5);
    double cd = quantile(cands, ncold, 0.5);
    jr_buf_puts(json, "{\"game\":");
    jr_buf_json_str(json, jitrl_env_name(env));
    jr_buf_puts(json, ",\"parser\":");
    jr_buf_json_str(json, parser);
    jr_buf_printf(json,
                  ",\"states\":%zu,\"recall\":%.4f,\"steps_changing\":%zu,\"hits\":%zu,\"misses\":[%s],"
                  "\"ms_cold_median\":%.3f,\"ms_cold_p95\":%.3f,\"ms_cached_median\":%.4f,"
                  "\"candidates_median\":%.1f,\"score\":%d,\"max_score\":%d}",
                  states, recall, changing, hits, jr_buf_str(&misses), cm, cp, wm, cd, obs.score, obs.max_score);
out:
    jr_buf_free(&misses);
    jr_free(blob);
    jr_free(cold);
    jr_free(warm);
    jr_free(cands);
    for (size_t i = 0; steps && i < nlines; i++) jr_free(steps[i]);
    jr_free(steps);
    jitrl_env_close(env);
    return fail;
}

int cmd_actions(int argc, char **argv)
{
    walk_opts o = {0};
    o.seed = -1;
    o.out = stdout;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) o.seed = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--walkthrough") && i + 1 < argc) o.walkthrough = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) o.threads = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) o.max_steps = (int)strtol(argv[++i], NULL, 10);
        else if (argv[i][0] == '-' || o.story) { usage(stderr); return 2; }
        else o.story = argv[i];
    }
    if (!o.story) { usage(stderr); return 2; }
    o.print = !json;
    jr_buf js;
    jr_buf_init(&js, 1 << 24);
    int rc = actions_walk(&o, &js);
    if (!rc) {
        if (json) printf("%s\n", jr_buf_str(&js));
        else printf("summary: %s\n", jr_buf_str(&js));
    }
    jr_buf_free(&js);
    return rc;
}
