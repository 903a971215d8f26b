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
 *  - URIs pick the backend (sqlite:, file:, postgres:// not built);
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
#include "testutil.h"

/* One episode of n steps whose actions are unique to tag. */
static int add_tagged(jitrl_memory *mem, const char *tag, int n)
{
    jitrl_step steps[8];
    jitrl_field f[8][2];
    char cur[8][64], act[8][64];
    for (int t = 0; t < n && t < 8; t++) {
        snprintf(cur[t], sizeof cur[t], "room %d with a lamp", t);
        snprintf(act[t], sizeof act[t], "act %s %d", tag, t);
        f[t][0] = (jitrl_field){"current", cur[t]};
        f[t][1] = (jitrl_field){"history", "look"};
        steps[t] = (jitrl_step){{f[t], 2}, act[t], 1.0};
    }
    jitrl_episode_info info = {tag, 1.0, 1000};
    return jitrl_memory_add_episode(mem, &info, steps, (size_t)n, 0.9, NULL);
}

static int import_text(jitrl_memory *mem, const char *dir, const char *text, size_t *n)
{
    const char *p = tu_path(dir, "in.jsonl");
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
    return jitrl_memory_import(mem, p, n);
}

static void test_spec(const char *dir)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "spec.db"));
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    jitrl_memory *m = NULL;
    CHECK_INT(jitrl_memory_open(path, &o, &m, err, sizeof err), JITRL_OK);
    CHECK_INT(add_tagged(m, "a", 3), JITRL_OK);
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
        CHECK_INT(add_tagged(m, "new", 2), JITRL_OK);
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

/* Commit order, not id order: a second handle's refresh sees every
 * episode exactly once. */
static void test_commit_order(const char *dir)
{
    char path[4096], ex[4096], err[512];
    snprintf(path, sizeof path, "%s", tu_path(dir, "order.db"));
    snprintf(ex, sizeof ex, "%s", tu_path(dir, "order.jsonl"));
    jitrl_memory *w = NULL, *r = NULL, *fresh = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &w, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_memory_open(path, NULL, &r, err, sizeof err), JITRL_OK);
    if (!w || !r) goto out;
    size_t n = 0;
    CHECK_INT(import_text(w, dir,
                          "{\"id\":100,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":"
                          "{\"current\":\"a\"},\"action\":\"x100\",\"reward\":1,\"return\":1}]}\n",
                          &n),
              JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 1);
    /* a lower id after a higher one, then INT64_MAX, then a plain add
     * (which SQLite must give some id below INT64_MAX) */
    CHECK_INT(import_text(w, dir,
                          "{\"id\":50,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":"
                          "{\"current\":\"b\"},\"action\":\"x50\",\"reward\":1,\"return\":1}]}\n"
                          "{\"id\":9223372036854775807,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,"
                          "\"steps\":[{\"state\":{\"current\":\"c\"},\"action\":\"xmax\",\"reward\":1,\"return\":1}]}\n",
                          &n),
              JITRL_OK);
    CHECK_INT(n, 2);
    CHECK_INT(add_tagged(w, "after-max", 2), JITRL_OK);
    CHECK_INT(add_tagged(w, "after-max2", 1), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 6);
    CHECK_INT(r->ix.n_act, 6);
    /* r writes too, between w's writes: each handle indexes every
     * episode once (its own at commit, the other's at refresh) */
    CHECK_INT(add_tagged(r, "from-r", 1), JITRL_OK);
    CHECK_INT(add_tagged(w, "from-w", 1), JITRL_OK);
    CHECK_INT(add_tagged(r, "from-r2", 1), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(w), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 9);
    CHECK_INT(w->ix.n_steps, 9);
    CHECK_INT(jitrl_memory_open(path, NULL, &fresh, err, sizeof err), JITRL_OK);
    if (fresh) CHECK_INT(fresh->ix.n_steps, 9);
    /* export: commit order */
    CHECK_INT(jitrl_memory_export(r, ex, 0, NULL), JITRL_OK);
    size_t nl = 0;
    char **lines = tu_read_lines(ex, &nl);
    CHECK_INT(nl, 8);
    if (lines && nl == 8) {
        CHECK(!strncmp(lines[0], "{\"id\":100,", 10));
        CHECK(!strncmp(lines[1], "{\"id\":50,", 9));
        CHECK(!strncmp(lines[2], "{\"id\":9223372036854775807,", 26));
        CHECK(strstr(lines[3], "after-max") && strstr(lines[4], "after-max2"));
        CHECK(strstr(lines[5], "from-r") && strstr(lines[6], "from-w") && strstr(lines[7], "from-r2"));
    }
    tu_free_lines(lines, nl);
    /* a prune through w: r rebuilds at its refresh */
    size_t removed = 0;
    CHECK_INT(jitrl_memory_prune(w, 100, 0, 1050, &removed), JITRL_OK);   /* the three imported at time 5 */
    CHECK_INT(removed, 3);
    CHECK_INT(w->ix.n_steps, 6);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 6);
    CHECK(mem_index_action(&r->ix, "x50") == MEM_NONE || r->ix.keys == NULL ||
          r->ix.n_act == 5);   /* a rebuilt index no longer knows the pruned actions */
    CHECK_INT(add_tagged(w, "after-prune", 2), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 8);
out:
    jitrl_memory_close(fresh);
    jitrl_memory_close(r);
    jitrl_memory_close(w);
}

static void test_uri(const char *dir)
{
    char path[4096], uri[4200], err[512];
    jitrl_memory *m = NULL;
    snprintf(path, sizeof path, "%s", tu_path(dir, "uri.db"));
    snprintf(uri, sizeof uri, "sqlite:%s", path);
    CHECK_INT(jitrl_memory_open(uri, NULL, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(add_tagged(m, "u", 1), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    snprintf(uri, sizeof uri, "file:%s", path);
    CHECK_INT(jitrl_memory_open(uri, NULL, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(add_tagged(m, "f", 1), JITRL_OK);
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
    CHECK_INT(jitrl_memory_open("postgres://db.example/jitrl", NULL, &m, err, sizeof err), JITRL_EUNSUPPORTED);
    CHECK_MSG(m == NULL && strstr(err, "PostgreSQL backend not built"), "message: %s", err);
    CHECK_INT(jitrl_memory_open("postgresql://u@h/d", NULL, &m, err, sizeof err), JITRL_EUNSUPPORTED);
    CHECK_INT(jitrl_memory_open("mongo://h/d", NULL, &m, err, sizeof err), JITRL_EINVAL);
    CHECK_MSG(strstr(err, "unknown memory scheme") != NULL, "message: %s", err);
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
    for (int e = 0; e < 3; e++) CHECK_INT(add_tagged(m, "io", 2), JITRL_OK);
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
    if (m) CHECK_INT(add_tagged(m, "s", 1), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    o.size = sizeof o + 8;
    CHECK_INT(jitrl_memory_open(NULL, &o, &m, err, sizeof err), JITRL_EINVAL);
}

int main(void)
{
    const char *dir = tu_tmpdir();
    test_spec(dir);
    test_v1(dir);
    test_v1_space(dir);
    test_commit_order(dir);
    test_uri(dir);
    test_io(dir);
    return tu_done();
}
