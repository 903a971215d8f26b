/*
 * test_memory.c -- persistence of the episodic memory.
 *
 *  - returns are exact discounted sums;
 *  - reopen restores episodes, steps and retrieval;
 *  - export -> import -> export is byte-identical (awkward text and
 *    numbers included); bad import lines give JITRL_EPARSE with a line;
 *  - a writer killed with SIGKILL mid-stream loses nothing it committed
 *    and leaves a file that passes PRAGMA integrity_check;
 *  - readers beside a writer in other processes never see "locked";
 *  - missing, corrupt, foreign, newer-schema and read-only files give
 *    clear errors;
 *  - prune by age and by count keeps the best episodes.
 */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "jitrl.h"
#include "testutil.h"

static int add_simple(jitrl_memory *mem, int ep, int n, double score, int64_t when)
{
    jitrl_step steps[64];
    jitrl_field f[64][2];
    char cur[64][64], hist[64][32], act[64][32];
    for (int t = 0; t < n && t < 64; t++) {
        snprintf(cur[t], sizeof cur[t], "room %d of episode %d, lamp here", t % 5, ep % 3);
        snprintf(hist[t], sizeof hist[t], "go north, step %d", t);
        snprintf(act[t], sizeof act[t], t % 2 ? "take lamp" : "go north");
        f[t][0] = (jitrl_field){"current", cur[t]};
        f[t][1] = (jitrl_field){"history", hist[t]};
        steps[t] = (jitrl_step){{f[t], 2}, act[t], (double)(t % 3)};
    }
    jitrl_episode_info info = {"test-game", score, when};
    return jitrl_memory_add_episode(mem, &info, steps, (size_t)n, 0.5, NULL);
}

static void test_returns(void)
{
    double r[5] = {1, 0, 2, -1, 3}, g[5];
    jitrl_returns(r, 5, 0.5, g);
    for (int t = 0; t < 5; t++) {
        double want = 0, d = 1;
        for (int u = t; u < 5; u++, d *= 0.5) want += d * r[u];
        CHECK_NEAR(g[t], want, 1e-15);
    }
    jitrl_returns(r, 5, 0, r);   /* in place, gamma 0 */
    CHECK_NEAR(r[2], 2, 0);
}

static void test_reopen(const char *dir)
{
    const char *path = tu_path(dir, "reopen.db");
    char err[256];
    jitrl_memory *mem = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return;
    for (int e = 0; e < 5; e++) CHECK_INT(add_simple(mem, e, 10, e, 1000 + e), JITRL_OK);
    jitrl_memory_stats a, b;
    CHECK_INT(jitrl_memory_stats_get(mem, &a), JITRL_OK);
    jitrl_params p;
    jitrl_params_default(&p, "text");
    p.mode = JITRL_MODE_ARGMAX;
    p.lambda = 0;
    jitrl_field f[2] = {{"current", "room 1 of episode 0, lamp here"}, {"history", "go north, step 1"}};
    jitrl_state s = {f, 2};
    jitrl_decision *d1 = NULL, *d2 = NULL;
    CHECK_INT(jitrl_decide(mem, &p, &s, NULL, NULL, 0, NULL, &d1), JITRL_OK);
    jitrl_memory_close(mem);
    mem = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return;
    CHECK_INT(jitrl_memory_stats_get(mem, &b), JITRL_OK);
    CHECK_INT(b.episodes, 5);
    CHECK_INT(b.steps, 50);
    CHECK_INT(b.distinct_states, a.distinct_states);
    CHECK_INT(b.schema_version, 2);
    CHECK_INT(jitrl_decide(mem, &p, &s, NULL, NULL, 0, NULL, &d2), JITRL_OK);
    if (d1 && d2) {
        CHECK(d1->n_neighbours > 0);
        CHECK_INT(d1->n_neighbours, d2->n_neighbours);
        CHECK_NEAR(d1->v, d2->v, 0);
        for (size_t i = 0; i < d1->n_listed && i < d2->n_listed; i++)
            CHECK(d1->neighbours[i].step_id == d2->neighbours[i].step_id);
    }
    jitrl_decision_free(d1);
    jitrl_decision_free(d2);
    CHECK_INT(jitrl_memory_check(mem), JITRL_OK);
    jitrl_memory_close(mem);
}

static int export_to(jitrl_memory *mem, const char *path) { return jitrl_memory_export(mem, path, 0, NULL); }

static int discard(void *ctx, const char *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return 0;
}

static void test_roundtrip(const char *dir)
{
    char err[256];
    jitrl_memory *a = NULL, *b = NULL;
    CHECK_INT(jitrl_memory_open(NULL, NULL, &a, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_memory_open(tu_path(dir, "rt.db"), NULL, &b, err, sizeof err), JITRL_OK);
    if (!a || !b) return;
    /* Awkward text and numbers: quotes, escapes, control bytes, UTF-8,
     * invalid UTF-8 (stored as '?'), fields beyond the similarity ones. */
    jitrl_field f1[3] = {{"current", "The \"Kitchen\"\\ tab\there\nline2 \x01 caf\xc3\xa9 \xe2\x86\x92"},
                         {"history", ""},
                         {"extra", "bad \xff\xfe utf8"}};
    jitrl_field f2[1] = {{"current", "x"}};
    jitrl_step s[3] = {{{f1, 3}, "say \"hi\"", 0.1}, {{f2, 1}, "wait", -1e-300}, {{f1, 3}, "jump", 1e300}};
    jitrl_episode_info i1 = {"game/\xc3\xa9", 3.25, 1700000000};
    CHECK_INT(jitrl_memory_add_episode(a, &i1, s, 3, 0.3, NULL), JITRL_OK);
    jitrl_episode_info i2 = {"", -0.0, 1};
    CHECK_INT(jitrl_memory_add_episode(a, &i2, NULL, 0, 1, NULL), JITRL_OK);
    for (int e = 0; e < 4; e++) CHECK_INT(add_simple(a, e, 7, e * 0.7, 2000 + e), JITRL_OK);
    const char *p1 = tu_path(dir, "rt1.jsonl"), *p2 = tu_path(dir, "rt2.jsonl");
    CHECK_INT(export_to(a, p1), JITRL_OK);
    size_t n = 0;
    CHECK_INT(jitrl_memory_import(b, p1, &n), JITRL_OK);
    CHECK_INT(n, 6);
    CHECK_INT(export_to(b, p2), JITRL_OK);
    size_t l1, l2;
    unsigned char *x = tu_read_file(p1, &l1), *y = tu_read_file(p2, &l2);
    CHECK(x && y && l1 == l2 && !memcmp(x, y, l1));
    CHECK(x && strstr((char *)x, "bad ?? utf8") != NULL);
    free(x);
    free(y);
    /* Bad lines: the error names the line; earlier lines stay. */
    const char *bad = tu_path(dir, "bad.jsonl");
    FILE *bf = fopen(bad, "wb");
    fputs("{\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[]}\n", bf);
    fputs("{\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":{\"current\":3},"
          "\"action\":\"a\",\"reward\":1,\"return\":1}]}\n", bf);
    fclose(bf);
    CHECK_INT(jitrl_memory_import(b, bad, &n), JITRL_EPARSE);
    CHECK_INT(n, 1);
    CHECK(strstr(jitrl_memory_errmsg(b), "line 2") != NULL);
    bf = fopen(bad, "wb");
    fputs("not json at all\n", bf);
    fclose(bf);
    CHECK_INT(jitrl_memory_import(b, bad, &n), JITRL_EPARSE);
    /* Ids that are not positive or already taken are replaced, not refused. */
    bf = fopen(bad, "wb");
    fputs("{\"id\":0,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[]}\n", bf);
    fputs("{\"id\":-4,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[]}\n", bf);
    fputs("{\"id\":1,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[]}\n", bf);
    fclose(bf);
    CHECK_INT(jitrl_memory_import(b, bad, &n), JITRL_OK);
    CHECK_INT(n, 3);
    jitrl_memory_close(a);
    jitrl_memory_close(b);
}

/* A reader's refresh that runs out of memory part way keeps whole episodes
 * and a later refresh picks up exactly the rest: its index then answers
 * like a freshly opened one.  (More than one 4096-step load batch.) */
static void test_refresh_oom(const char *dir)
{
    char err[256];
    const char *path = tu_path(dir, "refresh.db");
    jitrl_memory *w = NULL, *r = NULL, *fresh = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &w, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_memory_open(path, NULL, &r, err, sizeof err), JITRL_OK);
    if (!w || !r) goto out;
    for (int e = 0; e < 90; e++) CHECK_INT(add_simple(w, e, 60, e, 3000 + e), JITRL_OK);
    int fails = 0, rc = JITRL_ENOMEM;
    for (long n = 16; rc == JITRL_ENOMEM && n < (1L << 30); n *= 2) {
        jr_alloc_fail_after(n);
        rc = jitrl_memory_refresh(r);
        jr_alloc_fail_after(-1);
        fails += rc == JITRL_ENOMEM;
    }
    CHECK_INT(rc, JITRL_OK);
    CHECK(fails > 0);
    CHECK_INT(jitrl_memory_open(path, NULL, &fresh, err, sizeof err), JITRL_OK);
    if (!fresh) goto out;
    jitrl_memory_stats a, b;
    CHECK_INT(jitrl_memory_stats_get(r, &a), JITRL_OK);
    CHECK_INT(jitrl_memory_stats_get(fresh, &b), JITRL_OK);
    CHECK_INT(a.distinct_states, b.distinct_states);
    CHECK_INT(a.distinct_actions, b.distinct_actions);
    jitrl_params p;
    jitrl_params_default(&p, "text");
    p.mode = JITRL_MODE_ARGMAX;
    p.k = 0;
    p.threshold = 0.3;
    const char *cand[1] = {"go north"};
    for (int q = 0; q < 5; q++) {
        char cur[64], hist[32];
        snprintf(cur, sizeof cur, "room %d of episode %d, lamp here", q, q % 3);
        snprintf(hist, sizeof hist, "go north, step %d", q * 7);
        jitrl_field f[2] = {{"current", cur}, {"history", hist}};
        jitrl_state st = {f, 2};
        jitrl_decision *da = NULL, *db = NULL;
        CHECK_INT(jitrl_decide(r, &p, &st, cand, NULL, 1, NULL, &da), JITRL_OK);
        CHECK_INT(jitrl_decide(fresh, &p, &st, cand, NULL, 1, NULL, &db), JITRL_OK);
        if (da && db) {
            CHECK_INT(da->n_neighbours, db->n_neighbours);
            CHECK_NEAR(da->v, db->v, 1e-12);
        }
        jitrl_decision_free(da);
        jitrl_decision_free(db);
    }
    printf("FIGURE refresh survived %d injected allocation failures\n", fails);
out:
    jitrl_memory_close(fresh);
    jitrl_memory_close(r);
    jitrl_memory_close(w);
}

/* The writer child: adds episodes forever, reporting each commit. */
static void writer(const char *path, int fd)
{
    char err[256];
    jitrl_memory *mem = NULL;
    if (jitrl_memory_open(path, NULL, &mem, err, sizeof err)) _exit(3);
    for (int e = 0;; e++) {
        if (add_simple(mem, e, 20, e, 5000 + e)) _exit(4);
        if (write(fd, &e, sizeof e) != sizeof e) _exit(5);
    }
}

static void test_sigkill(const char *dir)
{
    const char *path = tu_path(dir, "killed.db");
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        writer(path, fds[1]);
    }
    close(fds[1]);
    int last = -1, e;
    while (last < 25 && read(fds[0], &e, sizeof e) == sizeof e) last = e;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    while (read(fds[0], &e, sizeof e) == sizeof e) last = e;   /* commits reported before death */
    close(fds[0]);
    CHECK(WIFSIGNALED(status));
    char err[256];
    jitrl_memory *mem = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return;
    jitrl_memory_stats st;
    CHECK_INT(jitrl_memory_stats_get(mem, &st), JITRL_OK);
    CHECK_MSG(st.episodes >= (size_t)last + 1, "%zu episodes after kill, %d committed", st.episodes, last + 1);
    CHECK_MSG(st.steps == 20 * st.episodes, "%zu steps for %zu episodes: a torn episode", st.steps, st.episodes);
    CHECK_INT(jitrl_memory_check(mem), JITRL_OK);
    printf("FIGURE SIGKILL writer: %d episodes reported committed, %zu found intact, integrity ok\n", last + 1,
           st.episodes);
    jitrl_memory_close(mem);
}

static void test_concurrent(const char *dir)
{
    const char *path = tu_path(dir, "shared.db");
    char err[256];
    jitrl_memory *mem = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    jitrl_memory_close(mem);
    int n_ep = getenv("JITRL_SANITIZED") ? 15 : 40;
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            jitrl_memory *m = NULL;
            jitrl_memory_options o;
            jitrl_memory_options_init(&o);
            o.read_only = k > 0;
            if (jitrl_memory_open(path, &o, &m, err, sizeof err)) _exit(10);
            jitrl_params p;
            jitrl_params_default(&p, "text");
            jitrl_rng r;
            jitrl_rng_seed(&r, (uint64_t)k);
            for (int i = 0; i < n_ep; i++) {
                if (k == 0) {
                    if (add_simple(m, i, 15, i, 100 + i)) _exit(11);
                } else {
                    if (jitrl_memory_refresh(m)) _exit(12);
                    jitrl_field f[2] = {{"current", "room 2 of episode 1, lamp here"}, {"history", "x"}};
                    jitrl_state s = {f, 2};
                    const char *c[1] = {"look"};
                    jitrl_decision *d = NULL;
                    if (jitrl_decide(m, &p, &s, c, NULL, 1, &r, &d)) _exit(13);
                    jitrl_decision_free(d);
                    if (jitrl_memory_export_cb(m, discard, NULL, 0, NULL)) _exit(14);
                }
            }
            jitrl_memory_close(m);
            _exit(0);
        }
    }
    for (int k = 0; k < 3; k++) {
        int status;
        waitpid(kids[k], &status, 0);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d exited %d", k, WEXITSTATUS(status));
    }
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    jitrl_memory_stats st;
    if (mem && !jitrl_memory_stats_get(mem, &st)) CHECK_INT(st.episodes, (size_t)n_ep);
    jitrl_memory_close(mem);
}

static void test_bad_files(const char *dir)
{
    char err[256];
    jitrl_memory *mem = NULL;
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.create = 0;
    CHECK_INT(jitrl_memory_open(tu_path(dir, "missing.db"), &o, &mem, err, sizeof err), JITRL_ENOTFOUND);
    CHECK(mem == NULL && strstr(err, "no such memory file"));
    o.read_only = 1;
    CHECK_INT(jitrl_memory_open(tu_path(dir, "missing.db"), &o, &mem, err, sizeof err), JITRL_ENOTFOUND);

    const char *junk = tu_path(dir, "junk.db");
    FILE *f = fopen(junk, "wb");
    for (int i = 0; i < 512; i++) fputs("this is not a database ", f);
    fclose(f);
    CHECK_INT(jitrl_memory_open(junk, NULL, &mem, err, sizeof err), JITRL_ECORRUPT);
    CHECK_MSG(strstr(err, "not a SQLite database") != NULL, "message: %s", err);

    const char *foreign = tu_path(dir, "foreign.db");
    sqlite3 *db;
    sqlite3_open(foreign, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_INT(jitrl_memory_open(foreign, NULL, &mem, err, sizeof err), JITRL_ECORRUPT);
    CHECK_MSG(strstr(err, "not a jitrl memory") != NULL, "message: %s", err);

    const char *newer = tu_path(dir, "newer.db");
    CHECK_INT(jitrl_memory_open(newer, NULL, &mem, err, sizeof err), JITRL_OK);
    jitrl_memory_close(mem);
    sqlite3_open(newer, &db);
    sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_INT(jitrl_memory_open(newer, NULL, &mem, err, sizeof err), JITRL_EUNSUPPORTED);

    /* A damaged jitrl memory: valid header, garbage pages. */
    const char *torn = tu_path(dir, "torn.db");
    CHECK_INT(jitrl_memory_open(torn, NULL, &mem, err, sizeof err), JITRL_OK);
    for (int e = 0; mem && e < 30; e++) add_simple(mem, e, 30, e, 10 + e);
    jitrl_memory_close(mem);
    mem = NULL;
    sqlite3_open(torn, &db);
    sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);   /* fold the WAL in */
    sqlite3_close(db);
    int fd = open(torn, O_WRONLY);
    char garbage[4096];
    memset(garbage, 0xa5, sizeof garbage);
    CHECK(pwrite(fd, garbage, sizeof garbage, 4096 * 2) == (ssize_t)sizeof garbage);
    close(fd);
    int rc = jitrl_memory_open(torn, NULL, &mem, err, sizeof err);
    if (rc == JITRL_OK) rc = jitrl_memory_check(mem);
    CHECK_MSG(rc == JITRL_ECORRUPT, "damaged file: rc %d (%s)", rc, mem ? jitrl_memory_errmsg(mem) : err);
    jitrl_memory_close(mem);
    mem = NULL;

    /* Read-only: opening for writing a file we may not write is refused
     * with a clear message (root may write anything: then only the
     * read-only handle is checked). */
    const char *ro = tu_path(dir, "ro.db");
    CHECK_INT(jitrl_memory_open(ro, NULL, &mem, err, sizeof err), JITRL_OK);
    add_simple(mem, 0, 3, 1, 1);
    jitrl_memory_close(mem);
    mem = NULL;
    chmod(ro, 0444);
    if (geteuid() != 0) {
        CHECK_INT(jitrl_memory_open(ro, NULL, &mem, err, sizeof err), JITRL_EIO);
        CHECK_MSG(strstr(err, "read-only") != NULL, "message: %s", err);
    }
    jitrl_memory_options_init(&o);
    o.read_only = 1;
    CHECK_INT(jitrl_memory_open(ro, &o, &mem, err, sizeof err), JITRL_OK);
    if (mem) {
        CHECK_INT(add_simple(mem, 1, 3, 1, 1), JITRL_ESTATE);
        CHECK(strstr(jitrl_memory_errmsg(mem), "read-only") != NULL);
        CHECK_INT(jitrl_memory_prune(mem, 0, 1, 0, NULL), JITRL_ESTATE);
    }
    jitrl_memory_close(mem);
    jitrl_memory_close(NULL);

    /* Bad arguments. */
    CHECK_INT(jitrl_memory_open(NULL, NULL, &mem, err, sizeof err), JITRL_OK);
    if (mem) {
        jitrl_field fl[1] = {{"current", "x"}};
        jitrl_step st[1] = {{{fl, 1}, NULL, 0}};
        CHECK_INT(jitrl_memory_add_episode(mem, NULL, st, 1, 0.5, NULL), JITRL_EINVAL);
        st[0].action = "a";
        CHECK_INT(jitrl_memory_add_episode(mem, NULL, st, 1, 1.5, NULL), JITRL_EINVAL);
        st[0].reward = NAN;
        CHECK_INT(jitrl_memory_add_episode(mem, NULL, st, 1, 0.5, NULL), JITRL_EINVAL);
    }
    jitrl_memory_close(mem);
    jitrl_memory_options_init(&o);
    o.fields[0].ngram = 0;
    CHECK_INT(jitrl_memory_open(NULL, &o, &mem, err, sizeof err), JITRL_EINVAL);
}

static void test_prune(void)
{
    char err[256];
    jitrl_memory *mem = NULL;
    CHECK_INT(jitrl_memory_open(NULL, NULL, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return;
    double scores[8] = {5, 1, 9, 3, 9, 0, 7, 2};
    for (int e = 0; e < 8; e++) CHECK_INT(add_simple(mem, e, 4, scores[e], 1000 + e * 100), JITRL_OK);
    size_t removed = 0;
    /* age: older than 300 s at now = 1800 -> episodes with time < 1500 go */
    CHECK_INT(jitrl_memory_prune(mem, 300, 0, 1800, &removed), JITRL_OK);
    CHECK_INT(removed, 5);
    CHECK_INT(jitrl_memory_prune(mem, 0, 2, 0, &removed), JITRL_OK);
    CHECK_INT(removed, 1);
    jitrl_memory_stats st;
    jitrl_memory_stats_get(mem, &st);
    CHECK_INT(st.episodes, 2);
    CHECK_INT(st.steps, 8);
    CHECK_NEAR(st.best_score, 7, 0);
    CHECK_NEAR(st.mean_score, 4.5, 1e-12);   /* 7 and 2 kept, 0 dropped */
    jitrl_memory_close(mem);
}

int main(void)
{
    const char *dir = tu_tmpdir();
    test_returns();
    test_reopen(dir);
    test_roundtrip(dir);
    test_sigkill(dir);
    test_concurrent(dir);
    test_bad_files(dir);
    test_prune();
    test_refresh_oom(dir);
    return tu_done();
}
