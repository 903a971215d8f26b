/*
 * test_memory_pg.c -- the PostgreSQL store against a real server (a
 * throw-away cluster, tests/support/pgtest.c).
 *
 *  - the store conformance checks SQLite passes (tests/support/store_conf.c),
 *    each name a namespace of one database;
 *  - namespaces are isolated; SQL in namespace, task, field and action
 *    text is stored verbatim and harms nothing;
 *  - two handles: an episode committed through one is in the other's index
 *    after one sync, woken by NOTIFY (the latency is a FIGURE);
 *  - four writers commit at once while a reader syncs: it indexes every
 *    episode exactly once (the commit cursor neither skips nor re-reads);
 *  - the server stopped: add, ping, sync fail with JITRL_EIO (no hang);
 *    restarted: the same handles work again without reopening;
 *  - schema: version 1 is migrated at open, a newer one refused, a
 *    read-only open of an old one refused.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jitrl.h"
#include "memory/memory_int.h"
#include "pgtest.h"
#include "store_conf.h"
#include "testutil.h"

static const char *uri;

static int open_ns(void *ctx, const char *name, const jitrl_memory_options *o, jitrl_memory **m, char *err,
                   size_t errlen)
{
    jitrl_memory_options oo;
    jitrl_memory_options_init(&oo);
    if (o) oo = *o;
    oo.ns = name;
    return jitrl_memory_open((const char *)ctx, &oo, m, err, errlen);
}

static jitrl_memory *open_in(const char *ns)
{
    char err[512];
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.ns = ns;
    o.busy_timeout_ms = 3000;
    jitrl_memory *m = NULL;
    int rc = jitrl_memory_open(uri, &o, &m, err, sizeof err);
    CHECK_MSG(rc == JITRL_OK, "open %s: %s", ns, err);
    return m;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_verbatim(const char *dir)
{
    static const char *const evil_ns = "x'); DROP TABLE jitrl_steps; --";
    static const char *const evil_task = "t'); DELETE FROM jitrl_episodes; --";
    static const char *const evil_text = "{\"a\\\"b\"} $1 \\ '' \"; DROP TABLE jitrl_ns; -- ü";
    jitrl_memory *victim = open_in("victim"), *m = open_in(evil_ns);
    if (!victim || !m) goto out;
    CHECK_INT(sc_add_tagged(victim, "v", 2), JITRL_OK);
    jitrl_field f[2] = {{"current", evil_text}, {evil_text, "x"}};
    jitrl_step st[1] = {{{f, 2}, evil_text, 1}};
    jitrl_episode_info info = {evil_task, 1, 7};
    CHECK_INT(jitrl_memory_add_episode(m, &info, st, 1, 0.5, NULL), JITRL_OK);
    const char *ex = tu_path(dir, "evil.jsonl");
    CHECK_INT(jitrl_memory_export(m, ex, 0, NULL), JITRL_OK);
    size_t n = 0;
    unsigned char *text = tu_read_file(ex, &n);
    /* the export writes the text as JSON: its escaped form is there whole */
    CHECK_MSG(text && strstr((char *)text, "t'); DELETE FROM jitrl_episodes; --") &&
                  strstr((char *)text, "$1 \\\\ '' \\\"; DROP TABLE jitrl_ns; -- ü"),
              "export: %s", text ? (char *)text : "(none)");
    free(text);
    jitrl_memory_close(m);
    m = open_in(evil_ns);   /* read back from the database */
    if (m) {
        CHECK_INT(m->ix.n_steps, 1);
        CHECK(mem_index_action(&m->ix, evil_text) != MEM_NONE);
    }
    CHECK_INT(jitrl_memory_refresh(victim), JITRL_OK);
    jitrl_memory_stats s;
    CHECK_INT(jitrl_memory_stats_get(victim, &s), JITRL_OK);
    CHECK_INT(s.episodes, 1);
    CHECK_INT(s.steps, 2);
    CHECK_INT(jitrl_memory_check(victim), JITRL_OK);
out:
    jitrl_memory_close(m);
    jitrl_memory_close(victim);
}

/* Namespaces of one database are separate memories. */
static void test_isolation(void)
{
    jitrl_memory *a = open_in("iso-a"), *b = open_in("iso-b");
    if (!a || !b) goto out;
    CHECK_INT(sc_add_tagged(a, "only-a", 3), JITRL_OK);
    CHECK_INT(jitrl_memory_sync(b, 0), JITRL_OK);
    CHECK_INT(b->ix.n_steps, 0);
    size_t removed = 9;
    CHECK_INT(jitrl_memory_prune(b, 0, 1, 0, &removed), JITRL_OK);
    CHECK_INT(removed, 0);
    jitrl_memory_stats s;
    CHECK_INT(jitrl_memory_stats_get(a, &s), JITRL_OK);
    CHECK_INT(s.episodes, 1);
    char err[512];
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.ns = "iso-never-made";
    o.create = 0;
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(uri, &o, &m, err, sizeof err), JITRL_ENOTFOUND);
    CHECK_MSG(strstr(err, "no namespace 'iso-never-made'") != NULL, "message: %s", err);
out:
    jitrl_memory_close(a);
    jitrl_memory_close(b);
}

typedef struct syncer {
    jitrl_memory *m;
    int rc;
    double woke;
} syncer;

static void *sync_thread(void *p)
{
    syncer *s = p;
    s->rc = jitrl_memory_sync(s->m, 5000);
    s->woke = now_ms();
    return NULL;
}

static void test_sync(void)
{
    jitrl_memory *a = open_in("fleet"), *b = open_in("fleet");
    if (!a || !b) goto out;
    CHECK_INT(jitrl_memory_sync(b, 0), JITRL_OK);   /* starts listening */
    double worst = 0;
    for (int round = 0; round < 3; round++) {
        syncer s = {b, -1, 0};
        pthread_t th;
        pthread_create(&th, NULL, sync_thread, &s);
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        double t0 = now_ms();
        CHECK_INT(sc_add_tagged(a, round == 0 ? "sync0" : round == 1 ? "sync1" : "sync2", 2), JITRL_OK);
        pthread_join(th, NULL);
        CHECK_INT(s.rc, JITRL_OK);
        CHECK_INT(b->ix.n_steps, 2 * (round + 1));
        /* woken by the NOTIFY, not by its 5 s timeout (a generous margin) */
        CHECK_MSG(s.woke - t0 < 4000, "sync woke %.0f ms after the commit", s.woke - t0);
        if (s.woke - t0 > worst) worst = s.woke - t0;
    }
    printf("FIGURE pg sync: an episode committed through one handle is in another's index %.1f ms later (worst of 3)\n",
           worst);
out:
    jitrl_memory_close(a);
    jitrl_memory_close(b);
}

enum { WRITERS = 4, PER_WRITER = 25 };

typedef struct writer {
    int no, rc;
} writer;

static void *write_thread(void *p)
{
    writer *w = p;
    jitrl_memory *m = open_in("race");
    if (!m) {
        w->rc = -1;
        return NULL;
    }
    for (int e = 0; e < PER_WRITER && !w->rc; e++) {
        char tag[32];
        snprintf(tag, sizeof tag, "w%d-%d", w->no, e);
        w->rc = sc_add_tagged(m, tag, 1 + e % 3);
        if (w->rc) fprintf(stderr, "writer %d: %s\n", w->no, jitrl_memory_errmsg(m));
    }
    jitrl_memory_close(m);
    return NULL;
}

static void test_concurrent_writers(void)
{
    jitrl_memory *r = open_in("race");
    if (!r) return;
    size_t want = 0;
    for (int e = 0; e < PER_WRITER; e++) want += 1 + e % 3;
    want *= WRITERS;
    pthread_t th[WRITERS];
    writer w[WRITERS];
    double t0 = now_ms();
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){i, 0};
        pthread_create(&th[i], NULL, write_thread, &w[i]);
    }
    /* the reader syncs while they commit: every refresh lands between
     * commits in some order */
    int syncs = 0;
    for (; syncs < 2000 && r->ix.n_steps < want && now_ms() - t0 < 30000; syncs++)
        CHECK_INT(jitrl_memory_sync(r, 5), JITRL_OK);
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].rc, JITRL_OK);
    }
    double dt = now_ms() - t0;
    CHECK_INT(jitrl_memory_sync(r, 0), JITRL_OK);
    CHECK_INT(r->ix.n_steps, want);   /* none skipped, none twice */
    jitrl_memory *fresh = open_in("race");
    if (fresh) CHECK_INT(fresh->ix.n_steps, want);
    CHECK_INT(r->ix.n_act, fresh ? fresh->ix.n_act : 0);
    if (fresh) CHECK_INT(jitrl_memory_check(fresh), JITRL_OK);
    jitrl_memory_close(fresh);
    jitrl_memory_close(r);
    printf("FIGURE pg: %d writers committed %d episodes in %.0f ms while a reader synced %d times\n", WRITERS,
           WRITERS * PER_WRITER, dt, syncs);
}

static void test_restart(void)
{
    jitrl_memory *a = open_in("restart"), *b = open_in("restart");
    if (!a || !b) goto out;
    CHECK_INT(sc_add_tagged(a, "before", 2), JITRL_OK);
    CHECK_INT(jitrl_memory_sync(b, 0), JITRL_OK);
    CHECK_INT(pgt_stop(), 0);
    double t0 = now_ms();
    CHECK_INT(sc_add_tagged(a, "down", 1), JITRL_EIO);
    CHECK_MSG(strstr(jitrl_memory_errmsg(a), "cannot connect") != NULL, "message: %s", jitrl_memory_errmsg(a));
    CHECK_INT(jitrl_memory_ping(b), JITRL_EIO);
    CHECK_INT(jitrl_memory_sync(b, 50), JITRL_EIO);
    jitrl_memory_stats s;
    CHECK_INT(jitrl_memory_stats_get(a, &s), JITRL_EIO);
    printf("FIGURE pg down: add, ping, sync and stats failed with JITRL_EIO in %.0f ms\n", now_ms() - t0);
    CHECK_INT(b->ix.n_steps, 2);   /* the index still answers */
    CHECK_INT(pgt_restart(), 0);
    CHECK_INT(jitrl_memory_ping(b), JITRL_OK);   /* no reopen */
    CHECK_INT(sc_add_tagged(a, "after", 3), JITRL_OK);
    CHECK_INT(jitrl_memory_sync(b, 2000), JITRL_OK);
    CHECK_INT(b->ix.n_steps, 5);
    CHECK_INT(jitrl_memory_stats_get(a, &s), JITRL_OK);
    CHECK_INT(s.episodes, 2);
out:
    jitrl_memory_close(a);
    jitrl_memory_close(b);
}

static void sql(const char *db, const char *q)
{
    PGconn *c = PQconnectdb(db);
    PGresult *r = PQexec(c, q);
    CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", q,
              PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static void test_schema(void)
{
    const char *db = pgt_database("jitrl_schema_test");
    char err[512];
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(db, NULL, &m, err, sizeof err), JITRL_OK);
    if (!m) return;
    for (int e = 0; e < 3; e++) CHECK_INT(sc_add_tagged(m, "mig", 2), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    /* back to what version 1 was: no per-namespace counts */
    sql(db, "ALTER TABLE jitrl_ns DROP COLUMN n_episodes, DROP COLUMN n_steps; UPDATE jitrl_schema SET version = 1");
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.read_only = 1;
    CHECK_INT(jitrl_memory_open(db, &o, &m, err, sizeof err), JITRL_EUNSUPPORTED);
    CHECK_MSG(strstr(err, "needs migrating") != NULL, "message: %s", err);
    CHECK_INT(jitrl_memory_open(db, NULL, &m, err, sizeof err), JITRL_OK);
    jitrl_memory_stats s;
    if (m) {
        CHECK_INT(jitrl_memory_stats_get(m, &s), JITRL_OK);
        CHECK_INT(s.schema_version, 2);
        CHECK_INT(s.episodes, 3);
        CHECK_INT(s.steps, 6);   /* the migrated counts */
        CHECK_INT(m->ix.n_steps, 6);
        CHECK_INT(jitrl_memory_check(m), JITRL_OK);
        CHECK_INT(sc_add_tagged(m, "mig", 1), JITRL_OK);
        CHECK_INT(jitrl_memory_check(m), JITRL_OK);
    }
    jitrl_memory_close(m);
    m = NULL;
    sql(db, "UPDATE jitrl_schema SET version = 99");
    CHECK_INT(jitrl_memory_open(db, NULL, &m, err, sizeof err), JITRL_EUNSUPPORTED);
    CHECK_MSG(strstr(err, "schema version 99 is newer than this jitrl (2)") != NULL, "message: %s", err);
    /* check notices counts that disagree with the rows */
    sql(db, "UPDATE jitrl_schema SET version = 2; UPDATE jitrl_ns SET n_steps = n_steps + 1");
    CHECK_INT(jitrl_memory_open(db, NULL, &m, err, sizeof err), JITRL_OK);
    if (m) {
        CHECK_INT(jitrl_memory_check(m), JITRL_ECORRUPT);
        CHECK_MSG(strstr(jitrl_memory_errmsg(m), "counts 8 steps, it holds 7") != NULL, "message: %s",
                  jitrl_memory_errmsg(m));
    }
    jitrl_memory_close(m);
}

int main(void)
{
    uri = pgt_start();
    const char *dir = tu_tmpdir();
    sc_backend pg = {open_ns, (void *)uri, dir};
    sc_commit_order(&pg);
    sc_spec(&pg);
    sc_roundtrip(&pg);
    test_verbatim(dir);
    test_isolation();
    test_sync();
    test_concurrent_writers();
    test_restart();
    test_schema();
    return tu_done();
}
