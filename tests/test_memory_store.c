/*
 * test_memory_store.c -- the memory store interface as a caller sees it.
 *
 *  - the field spec a memory was created with is stored: opening it with
 *    another fails naming both, n_fields 0 adopts it, a version 1 file
 *    (no stored spec, no commit sequence) is migrated and adopts the spec
 *    it is opened with;
 *  - refresh follows commit order: episodes imported under low ids, or
 *    after an id of INT64_MAX, are all picked up by a second handle, none
 *    twice, and export lists them in commit order;
 *  - a prune through one handle makes the other rebuild at refresh;
 *  - URIs pick the backend (sqlite:, file:, postgres:// to no server: EIO);
 *  - a namespace is kept in the file, another refused naming both;
 *  - sync picks up another handle's commit (the file's change counter);
 *  - the shared conformance checks (tests/support/store_conf.c);
 *  - export/import by path and callback: "-" refused, the writer's errno
 *    named, options sized by the caller.
 */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl.h"
#include "memory/memory_int.h"
#include "store_conf.h"
#include "testutil.h"

static void test_spec(const char *dir)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "spec.db"));
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    CHECK_INT(sc_add_tagged(m, "a", 3), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    /* Another spec: refused, naming both. */
    o.fields[0] = (jitrl_field_spec){"current", 2, 1};
    o.n_fields = 1;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_EINVAL);
    CHECK(m == NULL);
    CHECK_MSG(strstr(err, "was created with fields current:4:0.7,history:1:0.3; opened with current:2:1") &&
                  strstr(err, path),
              "message: %s", err);
    /* The same spec with weights scaled alike means the same similarity. */
    jitrl_memory_options_init(&o);
    o.fields[0].weight = 7;
    o.fields[1].weight = 3;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    /* n_fields 0: as created, also read-only. */
    o.n_fields = 0;
    o.read_only = 1;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(m->n_spec, 2);
    jitrl_memory_close(m);
    m = NULL;
    /* A custom spec survives a reopen with n_fields 0. */
    snprintf(path, sizeof path, "%s", tu_path(dir, "spec2.db"));
    jitrl_memory_options_init(&o);
    o.fields[0] = (jitrl_field_spec){"room", 3, 2};
    o.n_fields = 1;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    jitrl_memory_options_init(&o);
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_EINVAL);
    CHECK_MSG(strstr(err, "created with fields room:3:2; opened with current:4:0.7,history:1:0.3") != NULL,
              "message: %s", err);
    o.n_fields = 0;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    if (m) {
        CHECK_INT(m->n_spec, 1);
        CHECK_STR(m->spec[0].name, "room");
        CHECK_INT(m->spec[0].ngram, 3);
    }
    jitrl_memory_close(m);
}

/* A version 1 file as jitrl wrote it before the store interface. */
static void write_v1(const char *path)
{
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    const char *sql =
        "CREATE TABLE episodes(id INTEGER PRIMARY KEY, task TEXT NOT NULL, score REAL NOT NULL,"
        " time INTEGER NOT NULL, gamma REAL NOT NULL, n_steps INTEGER NOT NULL);"
        "CREATE TABLE steps(id INTEGER PRIMARY KEY, episode INTEGER NOT NULL, t INTEGER NOT NULL,"
        " state TEXT NOT NULL, action TEXT NOT NULL, reward REAL NOT NULL, ret REAL NOT NULL);"
        "CREATE INDEX steps_episode ON steps(episode, t);"
        "INSERT INTO episodes VALUES(5, 'g', 2, 100, 0.5, 1), (2, 'g', 1, 50, 0.5, 2);"
        "INSERT INTO steps(episode, t, state, action, reward, ret) VALUES"
        " (5, 0, '{\"current\":\"hall\",\"history\":\"\"}', 'north', 2, 2),"
        " (2, 0, '{\"current\":\"kitchen\",\"history\":\"\"}', 'east', 0, 0.5),"
        " (2, 1, '{\"current\":\"attic\",\"history\":\"east\"}', 'up', 1, 1);"
        "PRAGMA application_id=1248416332; PRAGMA user_version=1;";
    CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_v1(const char *dir)
{
    char path[4096], e1[4096], e2[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "v1.db"));
    snprintf(e1, sizeof e1, "%s", tu_path(dir, "v1-ro.jsonl"));
    snprintf(e2, sizeof e2, "%s", tu_path(dir, "v1-rw.jsonl"));
    write_v1(path);
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.read_only = 1;
    jitrl_memory *m = NULL;
    /* read-only: read as it is (id order), nothing written */
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    jitrl_memory_stats st;
    if (m) {
        CHECK_INT(jitrl_memory_stats_get(m, &st), JITRL_OK);
        CHECK_INT(st.schema_version, 1);
        CHECK_INT(st.episodes, 2);
        CHECK_INT(m->ix.n_steps, 3);
        CHECK_INT(jitrl_memory_export(m, e1, 0, NULL), JITRL_OK);
    }
    jitrl_memory_close(m);
    m = NULL;
    /* read-write: migrated to version 2, adopting the spec it is opened with */
    o.read_only = 0;
    o.fields[0].ngram = 3;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    if (m) {
        CHECK_INT(jitrl_memory_stats_get(m, &st), JITRL_OK);
        CHECK_INT(st.schema_version, 2);
        CHECK_INT(m->ix.n_steps, 3);
        CHECK_INT(jitrl_memory_export(m, e2, 0, NULL), JITRL_OK);
        CHECK_INT(sc_add_tagged(m, "new", 2), JITRL_OK);
        CHECK_INT(jitrl_memory_check(m), JITRL_OK);
    }
    jitrl_memory_close(m);
    m = NULL;
    size_t l1 = 0, l2 = 0;
    unsigned char *x = tu_read_file(e1, &l1), *y = tu_read_file(e2, &l2);
    CHECK(x && y && l1 == l2 && l1 > 0 && !memcmp(x, y, l1));
    /* id order as version 1 read it: episode 2 first */
    CHECK(x && !strncmp((char *)x, "{\"id\":2,", 8));
    free(x);
    free(y);
    jitrl_memory_options_init(&o);
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_EINVAL);   /* the adopted spec stuck */
    CHECK_MSG(strstr(err, "current:3:0.7") != NULL, "message: %s", err);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Prune gives space back on a file from before schema 2 too (made without
 * auto-vacuum): one VACUUM converts it. */
static void test_v1_space(const char *dir)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "v1-space.db"));
    write_v1(path);
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &m, err, sizeof err), JITRL_OK);
    if (!m) return;
    size_t big_len = 20000;
    char *big = malloc(big_len + 1);
    for (size_t i = 0; big && i < big_len; i++) big[i] = (char)('a' + (i * 7 + i / 13) % 26);
    if (big) big[big_len] = '\0';
    for (int e = 0; big && e < 100; e++) {
        jitrl_field f[1] = {{"current", big}};
        jitrl_step st[1] = {{{f, 1}, "wait", 0}};
        jitrl_episode_info info = {"g", e, 2000 + e};
        CHECK_INT(jitrl_memory_add_episode(m, &info, st, 1, 0.5, NULL), JITRL_OK);
    }
    free(big);
    jitrl_memory_close(m);
    m = NULL;
    long before = file_size(path);
    CHECK_INT(jitrl_memory_open(path, NULL, &m, err, sizeof err), JITRL_OK);
    size_t removed = 0;
    if (m) CHECK_INT(jitrl_memory_prune(m, 0, 1, 0, &removed), JITRL_OK);
    CHECK_INT(removed, 101);
    jitrl_memory_close(m);
    long after = file_size(path);
    CHECK_MSG(before > 1000000 && after < before / 4, "prune of a version 1 file: %ld -> %ld bytes", before, after);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        CHECK_INT(sqlite3_column_int(st, 0), 2);   /* incremental from now on */
    sqlite3_finalize(st);
    sqlite3_close(db);
    printf("FIGURE prune of a version 1 file to 1 episode: %ld -> %ld bytes\n", before, after);
}

static void test_uri(const char *dir)
{
    char path[4096], uri[4200], err[512];
    jitrl_memory *m = NULL;
    snprintf(path, sizeof path, "%s", tu_path(dir, "uri.db"));
    snprintf(uri, sizeof uri, "sqlite:%s", path);
    CHECK_INT(jitrl_memory_open(uri, NULL, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(sc_add_tagged(m, "u", 1), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    snprintf(uri, sizeof uri, "file:%s", path);
    CHECK_INT(jitrl_memory_open(uri, NULL, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(sc_add_tagged(m, "f", 1), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    snprintf(uri, sizeof uri, "file://%s?mode=ro", path);
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.read_only = 1;
    CHECK_INT(jitrl_memory_open(uri, &o, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(m->ix.n_steps, 2);
    jitrl_memory_close(m);
    m = NULL;
    snprintf(uri, sizeof uri, "file:%s.missing?mode=ro", path);
    CHECK_INT(jitrl_memory_open(uri, &o, &m, err, sizeof err), JITRL_ENOTFOUND);
    CHECK_INT(jitrl_memory_open(path, NULL, &m, err, sizeof err), JITRL_OK);   /* the plain path: the same file */
    if (m) CHECK_INT(m->ix.n_steps, 2);
    jitrl_memory_close(m);
    m = NULL;
    /* postgres:// picks PostgreSQL: no server at that socket is JITRL_EIO at
     * once, and the message does not show the password */
    CHECK_INT(jitrl_memory_open("postgresql://u:s3cret@/d?host=/nonexistent-jitrl-dir", NULL, &m, err, sizeof err),
              JITRL_EIO);
    CHECK_MSG(m == NULL && strstr(err, "cannot connect") && !strstr(err, "s3cret") && strstr(err, "u:***@"),
              "message: %s", err);
    CHECK_INT(jitrl_memory_open("mongo://h/d", NULL, &m, err, sizeof err), JITRL_EINVAL);
    CHECK_MSG(strstr(err, "unknown memory scheme") != NULL, "message: %s", err);
}

static void test_namespace(const char *dir)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "ns.db"));
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.ns = "team-a";
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(sc_add_tagged(m, "a", 1), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    o.ns = "team-b";
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_EINVAL);
    CHECK_MSG(strstr(err, "belongs to namespace 'team-a'; opened as namespace 'team-b'") != NULL, "message: %s", err);
    o.ns = NULL;   /* no namespace asked for: any file */
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    o.ns = "";
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_EINVAL);
    o.ns = "bad \xff utf8";
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_EINVAL);
}

/* sync on SQLite: a second handle's commit is picked up by polling the
 * file's change counter; with nothing to come it waits the whole time. */
static void test_sync(const char *dir)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "sync.db"));
    jitrl_memory *w = NULL, *r = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &w, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_memory_open(path, NULL, &r, err, sizeof err), JITRL_OK);
    if (!w || !r) goto out;
    CHECK_INT(jitrl_memory_sync(r, 0), JITRL_OK);
    CHECK_INT(sc_add_tagged(w, "s1", 2), JITRL_OK);
    CHECK_INT(jitrl_memory_sync(r, 5000), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 2);
    CHECK_INT(jitrl_memory_sync(r, 30), JITRL_OK);   /* nothing new */
    CHECK_INT(r->ix.n_steps, 2);
    CHECK_INT(jitrl_memory_ping(r), JITRL_OK);
out:
    jitrl_memory_close(r);
    jitrl_memory_close(w);
}

static int fail_writer(void *ctx, const char *buf, size_t n)
{
    int *calls = ctx;
    (void)buf, (void)n;
    return ++*calls > 1 ? ENOSPC : 0;
}

typedef struct chunks {
    const char *text;
    size_t pos, step;
} chunks;

/* Hands the text a few bytes at a time, so lines span reads. */
static int read_chunks(void *ctx, char *buf, size_t cap, size_t *got)
{
    chunks *c = ctx;
    size_t left = strlen(c->text) - c->pos, n = left < c->step ? left : c->step;
    if (n > cap) n = cap;
    memcpy(buf, c->text + c->pos, n);
    c->pos += n;
    *got = n;
    return 0;
}

static int read_fails(void *ctx, char *buf, size_t cap, size_t *got)
{
    (void)ctx, (void)buf, (void)cap;
    *got = 0;
    return EIO;
}

static void test_io(const char *dir)
{
    char err[512];
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(NULL, NULL, &m, err, sizeof err), JITRL_OK);
    if (!m) return;
    for (int e = 0; e < 3; e++) CHECK_INT(sc_add_tagged(m, "io", 2), JITRL_OK);
    CHECK_INT(jitrl_memory_export(m, "-", 0, NULL), JITRL_EINVAL);
    CHECK_INT(jitrl_memory_import(m, "-", NULL), JITRL_EINVAL);
    int calls = 0;
    CHECK_INT(jitrl_memory_export_cb(m, fail_writer, &calls, 0, NULL), JITRL_EIO);
    CHECK_MSG(strstr(jitrl_memory_errmsg(m), "No space left on device") != NULL, "message: %s",
              jitrl_memory_errmsg(m));
    CHECK_INT(jitrl_memory_import(m, tu_path(dir, "no-such.jsonl"), NULL), JITRL_ENOTFOUND);
    CHECK(strstr(jitrl_memory_errmsg(m), "no-such.jsonl") != NULL);
    chunks c = {"{\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":{\"current\":\"x\"},"
                "\"action\":\"chunked\",\"reward\":1,\"return\":1}]}\r\n\r\n\n"
                "{\"task\":\"t\",\"score\":2,\"time\":6,\"gamma\":0.5,\"steps\":[]}",
                0, 7};
    size_t n = 0;
    CHECK_INT(jitrl_memory_import_cb(m, read_chunks, &c, &n), JITRL_OK);
    CHECK_INT(n, 2);
    CHECK(mem_index_action(&m->ix, "chunked") != MEM_NONE);
    CHECK_INT(jitrl_memory_import_cb(m, read_fails, NULL, &n), JITRL_EIO);
    CHECK_MSG(strstr(jitrl_memory_errmsg(m), "line 1: read error: Input/output error") != NULL, "message: %s",
              jitrl_memory_errmsg(m));
    jitrl_memory_close(m);
    m = NULL;
    /* Options sized by the caller: an older, smaller struct takes the
     * defaults for the rest; a larger one is refused. */
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    CHECK_INT(o.size, sizeof o);
    o.size = offsetof(jitrl_memory_options, read_only);
    o.read_only = 1;   /* beyond the caller's size: not read */
    CHECK_INT(jitrl_memory_open(tu_path(dir, "sized.db"), &o, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(sc_add_tagged(m, "s", 1), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    o.size = sizeof o + 8;
    CHECK_INT(jitrl_memory_open(NULL, &o, &m, err, sizeof err), JITRL_EINVAL);
}

/* The shared conformance checks on SQLite: a name is a file in dir. */
static int open_file(void *ctx, const char *name, const jitrl_memory_options *o, jitrl_memory **m, char *err,
                     size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.db", (const char *)ctx, name);
    return jitrl_memory_open(path, o, m, err, errlen);
}

int main(void)
{
    const char *dir = tu_tmpdir();
    sc_backend sqlite_files = {open_file, (void *)dir, dir};
    test_spec(dir);
    test_v1(dir);
    test_v1_space(dir);
    sc_commit_order(&sqlite_files);
    sc_spec(&sqlite_files);
    sc_roundtrip(&sqlite_files);
    test_uri(dir);
    test_namespace(dir);
    test_sync(dir);
    test_io(dir);
    return tu_done();
}
