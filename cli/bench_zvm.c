/*
 * bench_zvm.c -- `jitrl bench zvm [--json] [--shared DIR] [--pairs N] [GAME...]`:
 * figures for the Z-machine on each Jericho game:
 *  - walkthrough replay steps/s and Z-instructions/s (in process, one
 *    machine rewound by a snapshot, repeated for about a quarter second);
 *  - snapshot+restore in microseconds (one pair, averaged over many);
 *  - a candidate in microseconds: restore a state, feed one command, run to
 *    the next input -- what the environment layer does for every candidate
 *    action (states along the walkthrough; a refused command, an examine,
 *    a look);
 *  - peak RSS of a whole `jitrl run` process replaying the walkthrough;
 *  - the whole-process time ratio dfrotz / `jitrl run` on the same input,
 *    measured pair by pair (median of --pairs, default 5).
 * Figures only: it never fails on speed.  dfrotz missing gives ratio 0.
 */
#include "cli.h"
#include "jitrl/zvm.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct result {
    char game[32];
    double steps_per_s, zinstr_per_s, snap_us, cand_us, ratio;
    long rss_kb;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) { free(b); b = NULL; break; }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b) b[n] = '\0';
    if (len) *len = n;
    return b;
}

#define CAND_STATES 16

/* States kept along a replay for the candidate figure. */
struct states {
    void *snap[CAND_STATES];
    size_t len[CAND_STATES], cap;
    int n, every;
};

/* Replay once; returns steps done, adds instructions to *zi.  With st,
 * keeps a snapshot of every st->every-th state waiting for a line. */
static int replay(jitrl_zvm *vm, char **lines, int n, uint64_t *zi, struct states *st)
{
    jitrl_zvm_stop stop;
    uint64_t start = jitrl_zvm_instructions(vm);
    int steps = 0;
    if (jitrl_zvm_run(vm, 0, &stop)) return -1;
    jitrl_zvm_clear_output(vm);
    for (int i = 0; i < n && (stop == JITRL_ZVM_INPUT || stop == JITRL_ZVM_CHAR); i++) {
        if (st && stop == JITRL_ZVM_INPUT && i % st->every == 0 && st->n < CAND_STATES &&
            (st->snap[st->n] = malloc(st->cap)) != NULL) {
            if (jitrl_zvm_snapshot(vm, st->snap[st->n], st->cap, &st->len[st->n]) == 0) st->n++;
            else free(st->snap[st->n]);
        }
        jitrl_zvm_input(vm, lines[i]);
        if (jitrl_zvm_run(vm, 0, &stop)) break;
        jitrl_zvm_clear_output(vm);
        steps++;
    }
    *zi += jitrl_zvm_instructions(vm) - start;
    return steps;
}

/* Mean microseconds of restore + one command + run to the next input,
 * over the kept states and a few kinds of command. */
static double candidate_us(jitrl_zvm *vm, struct states *st)
{
    static const char *const cmds[] = {"frobnicate the widget", "examine me", "look"};
    if (!st->n) return 0;
    long done = 0;
    double t0 = now(), t = 0;
    do {
        for (int i = 0; i < st->n; i++)
            for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
                jitrl_zvm_stop stop;
                jitrl_zvm_restore(vm, st->snap[i], st->len[i]);
                jitrl_zvm_input(vm, cmds[c]);
                jitrl_zvm_run(vm, 0, &stop);
                jitrl_zvm_clear_output(vm);
                done++;
            }
        t = now() - t0;
    } while (t < 0.1);
    return t * 1e6 / (double)done;
}

/* Run argv with stdin from `in`, stdout to /dev/null; wall seconds, or -1. */
static double timed_run(char *const argv[], const char *in, long *rss_kb)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = now();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    double t = now() - t0;
    if (rss_kb) *rss_kb = ru.ru_maxrss;
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench_game(const char *shared, const char *game, const char *file, int seed, int intro_nl, int pairs,
                      const char *self, const char *dfrotz, struct result *r)
{
    char path[4096], wpath[4096], inpath[] = "/tmp/jitrl-bench-XXXXXX";
    snprintf(path, sizeof path, "%s/jericho/%s", shared, file);
    snprintf(wpath, sizeof wpath, "%s/jericho/walkthroughs/%s.txt", shared, game);
    size_t wlen;
    char *walk = slurp(wpath, &wlen);
    if (!walk) return -1;
    /* lines: the intro, then the walkthrough */
    int cap = 64, n = 0;
    char **lines = malloc((size_t)cap * sizeof *lines);
    if (intro_nl) lines[n++] = "";
    for (char *p = walk; *p;) {
        char *e = strchr(p, '\n');
        if (e) *e = '\0';
        if (n + 1 >= cap) {
            cap *= 2;
            char **nl = realloc(lines, (size_t)cap * sizeof *lines);
            if (!nl) break;
            lines = nl;
        }
        lines[n++] = p;
        if (!e) break;
        p = e + 1;
    }
    jitrl_zvm_options opt;
    jitrl_zvm_options_init(&opt);
    opt.seed = seed;
    memset(r, 0, sizeof *r);
    snprintf(r->game, sizeof r->game, "%s", game);

    /* in-process replay speed: open once, rewind with a snapshot of the
     * fresh machine (as an agent does), replay until a quarter second passed */
    uint64_t zi = 0;
    long steps = 0;
    jitrl_zvm *vm = NULL;
    char err[256];
    if (jitrl_zvm_open_file(path, &opt, &vm, err, sizeof err)) {
        fprintf(stderr, "jitrl bench zvm: %s: %s\n", game, err);
        free(lines);
        free(walk);
        return -1;
    }
    size_t scap = jitrl_zvm_snapshot_size(vm), slen = 0, flen = 0;
    void *snap = malloc(scap), *fresh = malloc(scap);
    if (!snap || !fresh || jitrl_zvm_snapshot(vm, fresh, scap, &flen)) {
        free(snap);
        free(fresh);
        jitrl_zvm_close(vm);
        free(lines);
        free(walk);
        return -1;
    }
    struct states st = {.cap = scap, .every = n / CAND_STATES + 1};
    double t0 = now(), t = 0;
    int reps = 0;
    do {
        jitrl_zvm_restore(vm, fresh, flen);
        int s = replay(vm, lines, n, &zi, reps == 0 ? &st : NULL);
        if (s < 0) break;
        steps += s;
        reps++;
        t = now() - t0;
    } while (t < 0.25 && reps < 200);
    r->steps_per_s = t > 0 ? (double)steps / t : 0;
    r->zinstr_per_s = t > 0 ? (double)zi / t : 0;

    /* snapshot + restore on the final state */
    int iters = 20000;
    t0 = now();
    for (int i = 0; i < iters && snap; i++) {
        jitrl_zvm_snapshot(vm, snap, scap, &slen);
        jitrl_zvm_restore(vm, snap, slen);
    }
    r->snap_us = (now() - t0) * 1e6 / iters;
    r->cand_us = candidate_us(vm, &st);
    for (int i = 0; i < st.n; i++) free(st.snap[i]);
    free(snap);
    free(fresh);
    jitrl_zvm_close(vm);

    /* whole-process pairs against dfrotz */
    int fd = mkstemp(inpath);
    if (fd >= 0) {
        FILE *f = fdopen(fd, "w");
        for (int i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
        fprintf(f, "score\n");
        fclose(f);
        char seedarg[32];
        snprintf(seedarg, sizeof seedarg, "%d", seed);
        char *ours[] = {(char *)self, "run", path, "--seed", seedarg, NULL};
        char *theirs[] = {(char *)dfrotz, "-m", "-p", "-q", "-s", seedarg, path, NULL};
        double *ratios = calloc((size_t)pairs, sizeof *ratios);
        int got = 0;
        for (int i = 0; i < pairs && ratios; i++) {
            long rss = 0;
            double a = timed_run(ours, inpath, &rss);
            double b = dfrotz ? timed_run(theirs, inpath, NULL) : -1;
            if (rss > r->rss_kb) r->rss_kb = rss;
            if (a > 0 && b > 0) ratios[got++] = b / a;
        }
        if (got) {
            qsort(ratios, (size_t)got, sizeof *ratios, cmp_double);
            r->ratio = ratios[got / 2];
        }
        free(ratios);
        unlink(inpath);
    }
    free(lines);
    free(walk);
    return 0;
}

int bench_zvm(int argc, char **argv)
{
    const char *shared = getenv("JITRL_SHARED");
    if (!shared || !*shared) shared = "../shared";
    int json = 0, pairs = 5;
    const char *only[32];
    int nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--shared") && i + 1 < argc) shared = argv[++i];
        else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) {
            pairs = (int)strtol(argv[++i], NULL, 10);
            if (pairs < 1 || pairs > 100) pairs = 5;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: jitrl bench zvm [--json] [--shared DIR] [--pairs N] [GAME...]\n");
            return 0;
        } else if (argv[i][0] != '-' && nonly < 32) only[nonly++] = argv[i];
        else { fprintf(stderr, "usage: jitrl bench zvm [--json] [--shared DIR] [--pairs N] [GAME...]\n"); return 2; }
    }
    char tsv[4096], self[4096];
    snprintf(tsv, sizeof tsv, "%s/jericho/games.tsv", shared);
    size_t len;
    char *text = slurp(tsv, &len);
    if (!text) {
        fprintf(stderr, "jitrl bench zvm: cannot read %s (use --shared DIR)\n", tsv);
        return 1;
    }
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) { free(text); fprintf(stderr, "jitrl bench zvm: cannot find own binary\n"); return 1; }
    self[sl] = '\0';
    const char *dfrotz = access("/usr/games/dfrotz", X_OK) == 0 ? "/usr/games/dfrotz"
                         : access("/usr/bin/dfrotz", X_OK) == 0 ? "/usr/bin/dfrotz" : NULL;
    struct result res[32];
    int nres = 0;
    for (char *line = strtok(text, "\n"); line && nres < 32; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !strncmp(line, "game\t", 5)) continue;
        char *f[16] = {0};
        int k = 0;
        for (char *p = line; p && k < 16; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
        if (k < 13) continue;
        int want = !nonly;
        for (int i = 0; i < nonly; i++) want |= !strcmp(only[i], f[0]);
        if (!want) continue;
        if (!json) { fprintf(stderr, "bench zvm: %s...\n", f[0]); }
        if (bench_game(shared, f[0], f[1], (int)strtol(f[6], NULL, 10), !strcmp(f[12], "\\n"), pairs, self, dfrotz,
                       &res[nres]) == 0)
            nres++;
    }
    free(text);
    if (json) {
        printf("{\"games\": [");
        for (int i = 0; i < nres; i++)
            printf("%s\n  {\"game\": \"%s\", \"steps_per_s\": %.1f, \"zinstr_per_s\": %.0f, \"snapshot_restore_us\": %.3f, "
                   "\"candidate_us\": %.2f, \"peak_rss_kb\": %ld, \"dfrotz_time_ratio\": %.3f}",
                   i ? "," : "", res[i].game, res[i].steps_per_s, res[i].zinstr_per_s, res[i].snap_us, res[i].cand_us,
                   res[i].rss_kb, res[i].ratio);
        printf("\n]}\n");
    } else {
        printf("%-10s %12s %14s %14s %14s %12s %14s\n", "game", "steps/s", "Z-instr/s", "snap+rest us",
               "candidate us", "peak RSS kB", "dfrotz/jitrl");
        for (int i = 0; i < nres; i++)
            printf("%-10s %12.0f %14.0f %14.3f %14.2f %12ld %13.2fx\n", res[i].game, res[i].steps_per_s,
                   res[i].zinstr_per_s, res[i].snap_us, res[i].cand_us, res[i].rss_kb, res[i].ratio);
        if (!dfrotz) printf("(dfrotz not installed: no time ratio)\n");
    }
    return nres ? 0 : 1;
}
