/*
 * store_sqlite.c -- the SQLite backend of the memory store (store.h).
 *
 * One file in WAL mode (many reader processes, one writer), a busy timeout
 * instead of "database is locked", one transaction per episode.  Schema
 * (application_id 'JiRL', user_version 2):
 *
 *   episodes(id, task, score, time, gamma, n_steps, seq)   seq unique
 *   steps(id, episode, t, state, action, reward, ret)
 *   meta(key, value)            fields, generation, namespace
 *
 * seq is the commit sequence: max(seq) + 1, taken inside the writer's
 * BEGIN IMMEDIATE transaction, so it grows with commit order whatever id
 * an episode has (an import may bring any id).  Version 1 files (no seq, no
 * meta) are migrated at a read-write open, seq following id order as
 * version 1 read them; read-only opens of a version 1 file read id order.
 * New files use incremental auto-vacuum so prune can give space back.
 * A file holds one namespace: opened with one, it keeps it in meta and
 * refuses another (the service maps each namespace to its own file).
 */
#include "memory/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "engine/mem_int.h"   /* mem_grow */
#include "jitrl/error.h"

#define APP_ID 0x4a69524c   /* 'JiRL' */
#define SCHEMA_VERSION 2

struct mem_store {
    sqlite3 *db;
    int read_only;
    int v1;                  /* a version 1 file read as is: seq is the id, no meta */
    char err[512];
    sqlite3_stmt *ins_ep, *ins_step, *scan, *scan_h;
};

static const char *const schema_sql =
    "CREATE TABLE episodes(id INTEGER PRIMARY KEY, task TEXT NOT NULL, score REAL NOT NULL,"
    " time INTEGER NOT NULL, gamma REAL NOT NULL, n_steps INTEGER NOT NULL, seq INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX episodes_seq ON episodes(seq);"
    "CREATE TABLE steps(id INTEGER PRIMARY KEY, episode INTEGER NOT NULL, t INTEGER NOT NULL,"
    " state TEXT NOT NULL, action TEXT NOT NULL, reward REAL NOT NULL, ret REAL NOT NULL);"
    "CREATE INDEX steps_episode ON steps(episode, t);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/* Version 1 -> 2: seq in id order (the order version 1 refreshed in). */
static const char *const migrate_v1_sql =
    "ALTER TABLE episodes ADD COLUMN seq INTEGER;"
    "UPDATE episodes SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM episodes) AS o"
    " WHERE o.id = episodes.id;"
    "CREATE UNIQUE INDEX episodes_seq ON episodes(seq);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);";

static void set_err(mem_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(mem_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

/* The rc for SQLite's last error, its message after `what`. */
static int db_err(mem_store *s, const char *what)
{
    int code = sqlite3_errcode(s->db) & 0xff;
    set_err(s, "%s: %s", what, sqlite3_errmsg(s->db));
    if (code == SQLITE_NOMEM) return JITRL_ENOMEM;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return JITRL_ECORRUPT;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return JITRL_ETIMEOUT;   /* transient */
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_IOERR || code == SQLITE_FULL ||
        code == SQLITE_PERM)
        return JITRL_EIO;
    return JITRL_EDB;
}

static int exec(mem_store *s, const char *sql, const char *what)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_err(s, what);
    return JITRL_OK;
}

static void rollback(mem_store *s)
{
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One integer from a one-row query (or dflt when no row). */
static int query_int(mem_store *s, const char *sql, int64_t dflt, int64_t *out, const char *what)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_err(s, what);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : dflt;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? JITRL_OK : db_err(s, what);
    sqlite3_finalize(st);
    return rc;
}

static int prepare(mem_store *s, sqlite3_stmt **st, const char *sql)
{
    if (*st) return JITRL_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) return db_err(s, "prepare");
    return JITRL_OK;
}

/* ---------- open / close ---------- */

/* Create the tables, or migrate a version 1 file, inside one write
 * transaction that first looks again: another process may have done it
 * while we waited for the lock. */
static int create_or_migrate(mem_store *s)
{
    char sql[1536];
    int64_t ntab = 0, ver = 0;
    /* auto_vacuum must be chosen before the first table exists (a no-op after) */
    int rc = exec(s, "PRAGMA auto_vacuum=INCREMENTAL", "creating the memory");
    if (!rc) rc = exec(s, "BEGIN IMMEDIATE", "creating the memory");
    if (!rc) rc = query_int(s, "SELECT count(*) FROM sqlite_master", 0, &ntab, "creating the memory");
    if (!rc) rc = query_int(s, "PRAGMA user_version", 0, &ver, "creating the memory");
    if (!rc && ntab == 0) {
        snprintf(sql, sizeof sql, "%sPRAGMA application_id=%d;PRAGMA user_version=%d;", schema_sql, APP_ID,
                 SCHEMA_VERSION);
        rc = exec(s, sql, "creating the memory");
    } else if (!rc && ver == 1) {
        snprintf(sql, sizeof sql, "%sPRAGMA user_version=%d;", migrate_v1_sql, SCHEMA_VERSION);
        rc = exec(s, sql, "migrating the schema from version 1");
    }
    if (!rc) rc = exec(s, "COMMIT", "creating the memory");
    if (rc) rollback(s);
    return rc;
}

static int setup_schema(mem_store *s)
{
    int64_t app = 0, ver = 0, ntab = 0;
    int rc = query_int(s, "PRAGMA application_id", 0, &app, "reading the header");
    if (rc) {
        if (rc == JITRL_ECORRUPT) set_err(s, "not a SQLite database (or corrupt): %s", sqlite3_errmsg(s->db));
        return rc;
    }
    if ((rc = query_int(s, "PRAGMA user_version", 0, &ver, "reading the header"))) return rc;
    if ((rc = query_int(s, "SELECT count(*) FROM sqlite_master", 0, &ntab, "reading the schema"))) return rc;
    if (ntab == 0 && app == 0) {
        if (s->read_only) {
            set_err(s, "empty file, not a jitrl memory yet (was its creation interrupted?); opening it for "
                       "writing makes it one");
            return JITRL_ECORRUPT;
        }
        return create_or_migrate(s);
    }
    if (app != APP_ID) {
        set_err(s, "a SQLite database but not a jitrl memory (application_id %lld)", (long long)app);
        return JITRL_ECORRUPT;
    }
    if (ver > SCHEMA_VERSION) {
        set_err(s, "schema version %lld is newer than this jitrl (%d)", (long long)ver, SCHEMA_VERSION);
        return JITRL_EUNSUPPORTED;
    }
    if (ver < 1) {
        set_err(s, "jitrl memory without a schema version");
        return JITRL_ECORRUPT;
    }
    if (ver == 1) {
        if (s->read_only) {
            s->v1 = 1;
            return JITRL_OK;
        }
        return create_or_migrate(s);
    }
    return JITRL_OK;
}

static void sq_close(mem_store *s)
{
    if (!s) return;
    sqlite3_finalize(s->ins_ep);
    sqlite3_finalize(s->ins_step);
    sqlite3_finalize(s->scan);
    sqlite3_finalize(s->scan_h);
    if (s->db) sqlite3_close_v2(s->db);
    jr_free(s);
}

/* The file a file: URI names (file:PATH, file:///PATH, file://host/PATH,
 * up to '?' or '#') into buf; NULL when it needs percent-decoding (then
 * SQLite alone judges it). */
static const char *uri_file(const char *uri, char *buf, size_t cap)
{
    const char *p = uri + 5;
    if (!strncmp(p, "//", 2)) {
        p = strchr(p + 2, '/');
        if (!p) return NULL;
    }
    size_t n = strcspn(p, "?#");
    if (n == 0 || n >= cap || memchr(p, '%', n)) return NULL;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* Make the file ourselves (O_EXCL) before SQLite does, so a creation that
 * fails can remove exactly the file it made: *made = 1, or 0 when it
 * appeared meanwhile (another process).  Else an rc with the reason. */
static int claim_file(mem_store *s, const char *path, int *made)
{
    *made = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir) slash[1] = '\0';
        else *slash = '\0';
        struct stat db;
        int st_ok = stat(dir, &db) == 0, e = st_ok ? ENOTDIR : errno;
        if (!st_ok || !S_ISDIR(db.st_mode)) {
            set_err(s, "cannot create it: directory %s %s", dir, e == ENOENT ? "does not exist" : strerror(e));
            return e == ENOENT ? JITRL_ENOTFOUND : JITRL_EIO;
        }
    }
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        *made = 1;
        return JITRL_OK;
    }
    if (errno == EEXIST) return JITRL_OK;
    set_err(s, "cannot create it: %s", strerror(errno));
    return JITRL_EIO;
}

/* After a failed creation: remove the file we made if it is still empty,
 * and the journal of its failed first transaction, so no 0-byte
 * "memory" is left behind. */
static void unclaim_file(const char *path)
{
    struct stat sb;
    char j[4200];
    if (stat(path, &sb) != 0 || sb.st_size != 0) return;
    unlink(path);
    snprintf(j, sizeof j, "%s-journal", path);
    unlink(j);
}

/* A read-only open that cannot make the -shm file a WAL-mode read needs
 * (read-only media, a directory we may not write): if no write-ahead log
 * holds committed episodes beside it, the file cannot be changing, so
 * SQLite may read it as immutable.  Returns the reopened rc. */
static int reopen_immutable(mem_store *s, const char *path)
{
    char wal[4200], uri[9000];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0) {
        set_err(s, "cannot read it here: its write-ahead log %s holds episodes, and no -shm file can be made "
                   "beside it (read-only storage?); copy the memory with its -wal file to writable storage",
                wal);
        return JITRL_EIO;
    }
    size_t n = snprintf(uri, sizeof uri, "file:");
    for (const char *p = path; *p && n + 4 < sizeof uri; p++) {   /* percent-encode what a URI reserves */
        if (*p == '?' || *p == '#' || *p == '%') n += snprintf(uri + n, sizeof uri - n, "%%%02X", (unsigned char)*p);
        else uri[n++] = *p;
    }
    snprintf(uri + n, sizeof uri - n, "?immutable=1");
    sqlite3_close_v2(s->db);
    s->db = NULL;
    if (sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return s->db ? db_err(s, "open") : JITRL_ENOMEM;
    sqlite3_extended_result_codes(s->db, 1);
    s->err[0] = '\0';
    return setup_schema(s);
}

static int sq_meta_get(mem_store *s, const char *key, char **value);
static int sq_meta_set(mem_store *s, const char *key, const char *value);

/* The namespace a file belongs to: adopted by a file without one (when
 * writable), else it must be the one asked for. */
static int settle_ns(mem_store *s, const char *ns, const char *display)
{
    char *have = NULL;
    int rc = sq_meta_get(s, "namespace", &have);
    if (rc == JITRL_ENOTFOUND) return s->read_only ? JITRL_OK : sq_meta_set(s, "namespace", ns);
    if (!rc && strcmp(have, ns)) {
        set_err(s, "memory %s belongs to namespace '%s'; opened as namespace '%s'", display, have, ns);
        rc = JITRL_EINVAL;
    }
    jr_free(have);
    return rc;
}

static int sq_open(const mem_store_cfg *cfg, mem_store **out, char *err, size_t errlen)
{
    *out = NULL;
    mem_store *s = jr_calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    const char *path = cfg->where, *file = path;
    char fbuf[4096];
    int in_ram = !path || !*path || !strcmp(path, ":memory:");
    int is_uri = !in_ram && !strncmp(path, "file:", 5);
    int rc = JITRL_OK, created = 0;
    s->read_only = cfg->read_only && !in_ram;
    if (is_uri) file = uri_file(path, fbuf, sizeof fbuf);
    if (!in_ram && file) {
        struct stat sb;
        if (stat(file, &sb) != 0) {
            if (errno != ENOENT) {
                set_err(s, "%s", strerror(errno));
                rc = JITRL_EIO;
                goto out;
            }
            if (s->read_only || !cfg->create) {
                set_err(s, "no such memory file");
                rc = JITRL_ENOTFOUND;
                goto out;
            }
            if ((rc = claim_file(s, file, &created))) goto out;
        } else if (!S_ISREG(sb.st_mode)) {
            set_err(s, "not a regular file");
            rc = JITRL_EIO;
            goto out;
        }
    }
    int flags = s->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX | (is_uri ? SQLITE_OPEN_URI : 0);
    if (sqlite3_open_v2(in_ram ? ":memory:" : path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = s->db ? db_err(s, "open") : JITRL_ENOMEM;
        if (rc == JITRL_EDB) rc = JITRL_EIO;
        if (rc == JITRL_ENOMEM) set_err(s, "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, cfg->busy_timeout_ms);
    if (!s->read_only && sqlite3_db_readonly(s->db, "main") == 1) {
        set_err(s, "the file is read-only: it can be opened for reading, not for writing");
        rc = JITRL_EIO;
        goto out;
    }
    rc = setup_schema(s);
    if (rc == JITRL_EIO && s->read_only && !is_uri) rc = reopen_immutable(s, path);
    if (rc) goto out;
    if (!s->read_only) {
        if (!in_ram && (rc = exec(s, "PRAGMA journal_mode=WAL", "setting WAL mode"))) goto out;
        if ((rc = exec(s, "PRAGMA synchronous=NORMAL", "setting synchronous"))) goto out;
    }
    if (cfg->ns && (rc = settle_ns(s, cfg->ns, cfg->display ? cfg->display : path))) goto out;
out:
    if (rc) {
        snprintf(err, errlen, "%s", s->err[0] ? s->err : jitrl_strerror(rc));
        sq_close(s);
        if (created) unclaim_file(file);
        return rc;
    }
    *out = s;
    return JITRL_OK;
}

static const char *sq_errmsg(const mem_store *s) { return s ? s->err : "no store"; }

/* ---------- metadata ---------- */

static int sq_meta_get(mem_store *s, const char *key, char **value)
{
    *value = NULL;
    if (s->v1) return JITRL_ENOTFOUND;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
        return db_err(s, "reading metadata");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        *value = jr_strdup(v ? v : "");
        rc = *value ? JITRL_OK : JITRL_ENOMEM;
        if (rc) set_err(s, "out of memory");
    } else if (rc == SQLITE_DONE) {
        rc = JITRL_ENOTFOUND;
    } else {
        rc = db_err(s, "reading metadata");
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_meta_set(mem_store *s, const char *key, const char *value)
{
    if (s->read_only) {
        set_err(s, "the memory is open read-only");
        return JITRL_ESTATE;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1, &st, NULL) !=
        SQLITE_OK)
        return db_err(s, "writing metadata");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? JITRL_OK : db_err(s, "writing metadata");
    sqlite3_finalize(st);
    return rc;
}

/* ---------- append ---------- */

static int sq_append(mem_store *s, const mem_ep_rec *ep, int64_t want_id, int64_t *step_ids, mem_precommit_fn pre,
                     void *ctx, int64_t *id, int64_t *seq)
{
    if (s->read_only) {
        set_err(s, "the memory is open read-only");
        return JITRL_ESTATE;
    }
    int rc = prepare(s, &s->ins_ep,
                     "INSERT INTO episodes(id, task, score, time, gamma, n_steps, seq) VALUES("
                     "CASE WHEN ?1 > 0 AND NOT EXISTS(SELECT 1 FROM episodes WHERE id = ?1) THEN ?1 END,"
                     "?2, ?3, ?4, ?5, ?6, ?7)");
    if (!rc) rc = prepare(s, &s->ins_step,
                          "INSERT INTO steps(episode, t, state, action, reward, ret) VALUES(?1,?2,?3,?4,?5,?6)");
    if (rc) return rc;
    if ((rc = exec(s, "BEGIN IMMEDIATE", "starting a transaction"))) return rc;
    /* the write lock is ours until COMMIT: no other writer can take this seq */
    int64_t sq = 0;
    if ((rc = query_int(s, "SELECT coalesce(max(seq), 0) + 1 FROM episodes", 1, &sq, "insert episode"))) {
        rollback(s);
        return rc;
    }
    sqlite3_stmt *st = s->ins_ep;
    sqlite3_bind_int64(st, 7, sq);
    sqlite3_bind_int64(st, 1, want_id);
    sqlite3_bind_text(st, 2, ep->task, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, ep->score);
    sqlite3_bind_int64(st, 4, ep->time);
    sqlite3_bind_double(st, 5, ep->gamma);
    sqlite3_bind_int64(st, 6, (int64_t)ep->n_steps);
    if (sqlite3_step(st) != SQLITE_DONE) rc = db_err(s, "insert episode");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    int64_t eid = sqlite3_last_insert_rowid(s->db);
    st = s->ins_step;
    for (size_t t = 0; !rc && t < ep->n_steps; t++) {
        const mem_step_rec *r = &ep->steps[t];
        sqlite3_bind_int64(st, 1, eid);
        sqlite3_bind_int64(st, 2, (int64_t)t);
        sqlite3_bind_text(st, 3, r->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->action, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, r->reward);
        sqlite3_bind_double(st, 6, r->ret);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_err(s, "insert step");
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        step_ids[t] = sqlite3_last_insert_rowid(s->db);
    }
    if (!rc && pre) rc = pre(ctx, eid, step_ids);
    if (!rc && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = db_err(s, "commit");
    if (rc) {
        rollback(s);
        return rc;
    }
    *id = eid;
    *seq = sq;
    return JITRL_OK;
}

/* ---------- reading ---------- */

static int sq_read_begin(mem_store *s)
{
    int rc = exec(s, "BEGIN", "starting a read");
    /* a deferred transaction takes its snapshot at the first read */
    int64_t n;
    if (!rc) rc = query_int(s, "SELECT count(*) FROM sqlite_master", 0, &n, "starting a read");
    if (rc) rollback(s);
    return rc;
}

static void sq_read_end(mem_store *s) { rollback(s); }

/* What makes a row unusable, from the types SQLite gives back. */
static const char *bad_episode(sqlite3_stmt *st)
{
    if (sqlite3_column_type(st, 2) != SQLITE_TEXT) return "task is not text";
    int ts = sqlite3_column_type(st, 3), tg = sqlite3_column_type(st, 5);
    if ((ts != SQLITE_INTEGER && ts != SQLITE_FLOAT) || !isfinite(sqlite3_column_double(st, 3)))
        return "score is not a number";
    if (sqlite3_column_type(st, 4) != SQLITE_INTEGER) return "time is not an integer";
    if ((tg != SQLITE_INTEGER && tg != SQLITE_FLOAT) || !(sqlite3_column_double(st, 5) >= 0) ||
        !(sqlite3_column_double(st, 5) <= 1))
        return "gamma is not a number in [0, 1]";
    return NULL;
}

static const char *bad_step(sqlite3_stmt *st)
{
    if (sqlite3_column_type(st, 8) != SQLITE_TEXT) return "a step's state is not text";
    if (sqlite3_column_type(st, 9) != SQLITE_TEXT) return "a step's action is not text";
    for (int c = 10; c <= 11; c++) {
        int ty = sqlite3_column_type(st, c);
        if ((ty != SQLITE_INTEGER && ty != SQLITE_FLOAT) || !isfinite(sqlite3_column_double(st, c)))
            return c == 10 ? "a step's reward is not a number" : "a step's return is not a number";
    }
    return NULL;
}

/* One episode being gathered from the join's rows. */
typedef struct gather {
    mem_ep_rec ep;
    char *task;
    mem_step_rec *steps;
    size_t n, cap;           /* steps gathered */
    int64_t want_steps;      /* the episode row's n_steps */
    int headers;
} gather;

static void gather_clear(gather *g)
{
    jr_free(g->task);
    for (size_t i = 0; i < g->n; i++) {
        jr_free((char *)g->steps[i].state);
        jr_free((char *)g->steps[i].action);
    }
    g->task = NULL;
    g->n = 0;
    memset(&g->ep, 0, sizeof g->ep);
}

/* Hand the gathered episode to fn. */
static int gather_hand(gather *g, mem_scan_fn fn, void *ctx)
{
    if (g->headers) {
        g->ep.n_steps = g->want_steps >= 0 ? (size_t)g->want_steps : 0;
        g->ep.steps = NULL;
    } else {
        g->ep.steps = g->steps;
        g->ep.n_steps = g->n;
        if (!g->ep.bad && g->want_steps != (int64_t)g->n) g->ep.bad = "its step count does not match its steps";
    }
    return fn(ctx, &g->ep);
}

static int gather_step(gather *g, sqlite3_stmt *st)
{
    if (mem_grow((void **)&g->steps, &g->cap, g->n + 1, sizeof *g->steps)) return JITRL_ENOMEM;
    mem_step_rec *r = &g->steps[g->n++];
    const char *state = (const char *)sqlite3_column_text(st, 8), *action = (const char *)sqlite3_column_text(st, 9);
    r->id = sqlite3_column_int64(st, 7);
    r->state = jr_strdup(state ? state : "");
    r->action = jr_strdup(action ? action : "");
    r->reward = sqlite3_column_double(st, 10);
    r->ret = sqlite3_column_double(st, 11);
    if (!r->state || !r->action) return JITRL_ENOMEM;
    if (!g->ep.bad) g->ep.bad = bad_step(st);
    return JITRL_OK;
}

static int sq_scan(mem_store *s, int64_t *cursor, size_t max_steps, unsigned flags, mem_scan_fn fn, void *ctx,
                   int *more)
{
    *more = 0;
    int headers = (flags & MEM_SCAN_HEADERS) != 0;
    /* The join hands the steps of each episode in order (the seq index,
     * then steps_episode); columns 7.. are NULL for an episode without
     * steps.  A version 1 file read as is has no seq: its id is. */
    static const char *const sql[2][2] = {
        {"SELECT e.id, e.seq, e.task, e.score, e.time, e.gamma, e.n_steps, s.id, s.state, s.action, s.reward, s.ret"
         " FROM episodes e LEFT JOIN steps s ON s.episode = e.id WHERE e.seq > ?1 ORDER BY e.seq, s.t",
         "SELECT id, seq, task, score, time, gamma, n_steps FROM episodes WHERE seq > ?1 ORDER BY seq"},
        {"SELECT e.id, e.id, e.task, e.score, e.time, e.gamma, e.n_steps, s.id, s.state, s.action, s.reward, s.ret"
         " FROM episodes e LEFT JOIN steps s ON s.episode = e.id WHERE e.id > ?1 ORDER BY e.id, s.t",
         "SELECT id, id, task, score, time, gamma, n_steps FROM episodes WHERE id > ?1 ORDER BY id"}};
    sqlite3_stmt **stp = headers ? &s->scan_h : &s->scan;
    int rc = prepare(s, stp, sql[s->v1][headers]);
    if (rc) return rc;
    sqlite3_stmt *st = *stp;
    sqlite3_bind_int64(st, 1, *cursor);
    gather g = {0};
    g.headers = headers;
    size_t handed = 0;
    int r, have = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 1);
        if (have && seq != g.ep.seq) {
            /* the episode gathered so far is whole: hand it */
            rc = gather_hand(&g, fn, ctx);
            handed += g.n + 1;
            *cursor = g.ep.seq;
            gather_clear(&g);
            have = 0;
            if (rc) break;
            if (handed >= max_steps) {
                *more = 1;
                break;
            }
        }
        if (!have) {
            const char *task = (const char *)sqlite3_column_text(st, 2);
            g.task = jr_strdup(task ? task : "");
            g.ep.id = sqlite3_column_int64(st, 0);
            g.ep.seq = seq;
            g.ep.task = g.task;
            g.ep.score = sqlite3_column_double(st, 3);
            g.ep.time = sqlite3_column_int64(st, 4);
            g.ep.gamma = sqlite3_column_double(st, 5);
            g.ep.bad = bad_episode(st);
            g.want_steps = sqlite3_column_int64(st, 6);
            have = 1;
            if (!g.task) {
                rc = JITRL_ENOMEM;
                break;
            }
        }
        if (!headers && sqlite3_column_type(st, 7) != SQLITE_NULL && (rc = gather_step(&g, st))) break;
    }
    if (!rc && r != SQLITE_ROW && r != SQLITE_DONE) rc = db_err(s, "reading episodes");
    if (!rc && have && r == SQLITE_DONE) {
        rc = gather_hand(&g, fn, ctx);
        *cursor = g.ep.seq;
    }
    if (rc == JITRL_ENOMEM) set_err(s, "out of memory");
    gather_clear(&g);
    jr_free(g.steps);
    sqlite3_reset(st);
    return rc;
}

static int sq_generation(mem_store *s, int64_t *gen)
{
    *gen = 0;
    if (s->v1) return JITRL_OK;
    return query_int(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'", 0, gen,
                     "reading the generation");
}

static int sq_stats(mem_store *s, mem_store_stats *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    static const char sql[] =
        "SELECT count(*), coalesce(avg(score),0), coalesce(max(score),0), coalesce(min(time),0),"
        " coalesce(max(time),0), (SELECT count(*) FROM steps) FROM episodes";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_err(s, "stats");
    int rc = JITRL_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->episodes = (size_t)sqlite3_column_int64(st, 0);
        out->mean_score = sqlite3_column_double(st, 1);
        out->best_score = sqlite3_column_double(st, 2);
        out->first_time = sqlite3_column_int64(st, 3);
        out->last_time = sqlite3_column_int64(st, 4);
        out->steps = (size_t)sqlite3_column_int64(st, 5);
    } else {
        rc = db_err(s, "stats");
    }
    sqlite3_finalize(st);
    int64_t ver = 0;
    if (!rc) rc = query_int(s, "PRAGMA user_version", 0, &ver, "stats");
    out->schema_version = (int)ver;
    return rc;
}

static int sq_check(mem_store *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return db_err(s, "integrity_check");
    int rc = JITRL_OK;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_err(s, "integrity_check");
    } else {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (!r || strcmp(r, "ok")) {
            set_err(s, "integrity_check: %s", r ? r : "(null)");
            rc = JITRL_ECORRUPT;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Give the pages prune freed back to the file system: files made since
 * schema 2 use incremental auto-vacuum; an older file is converted by one
 * VACUUM once a quarter of it is free.  The WAL is then checkpointed so
 * the file shrinks now, not at the last close.  Failing here (another
 * reader holds a snapshot, the disk is full) loses nothing: the space is
 * reused by later episodes and given back by a later prune. */
static void give_back(mem_store *s)
{
    int64_t av = 0, free_pages = 0, pages = 0;
    if (query_int(s, "PRAGMA auto_vacuum", 0, &av, "vacuum")) return;
    if (av == 0) {
        if (query_int(s, "PRAGMA freelist_count", 0, &free_pages, "vacuum") ||
            query_int(s, "PRAGMA page_count", 0, &pages, "vacuum") || free_pages * 4 < pages)
            return;
        sqlite3_exec(s->db, "PRAGMA auto_vacuum=INCREMENTAL; VACUUM", NULL, NULL, NULL);
    } else {
        sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
    }
    sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

static int sq_remove(mem_store *s, const int64_t *ids, size_t n, size_t *removed)
{
    *removed = 0;
    if (s->read_only) {
        set_err(s, "the memory is open read-only");
        return JITRL_ESTATE;
    }
    sqlite3_stmt *de = NULL, *ds = NULL;
    size_t gone = 0;
    int rc = exec(s, "BEGIN IMMEDIATE", "starting a transaction");
    if (rc) return rc;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM episodes WHERE id = ?1", -1, &de, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM steps WHERE episode = ?1", -1, &ds, NULL) != SQLITE_OK) {
        rc = db_err(s, "prune");
        goto out;
    }
    for (size_t i = 0; !rc && i < n; i++) {
        sqlite3_bind_int64(de, 1, ids[i]);
        sqlite3_bind_int64(ds, 1, ids[i]);
        if (sqlite3_step(ds) != SQLITE_DONE || sqlite3_step(de) != SQLITE_DONE) rc = db_err(s, "prune");
        gone += (size_t)sqlite3_changes(s->db);
        sqlite3_reset(de);
        sqlite3_reset(ds);
    }
    if (!rc && gone)
        rc = exec(s,
                  "INSERT INTO meta(key, value) VALUES('generation', '1') ON CONFLICT(key) DO UPDATE"
                  " SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
                  "prune");
    if (!rc) rc = exec(s, "COMMIT", "prune: commit");
out:
    sqlite3_finalize(de);
    sqlite3_finalize(ds);
    if (rc) {
        rollback(s);
        return rc;
    }
    *removed = gone;
    if (gone) give_back(s);
    return JITRL_OK;
}

static int sq_ping(mem_store *s)
{
    int64_t n;
    return query_int(s, "SELECT count(*) FROM sqlite_master", 0, &n, "ping");
}

/* data_version changes when another connection commits (ours do not). */
static int sq_changed(mem_store *s, int64_t *token)
{
    return query_int(s, "PRAGMA data_version", 0, token, "watching for changes");
}

const mem_store_ops mem_store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .append = sq_append,
    .read_begin = sq_read_begin,
    .read_end = sq_read_end,
    .scan = sq_scan,
    .generation = sq_generation,
    .stats = sq_stats,
    .check = sq_check,
    .remove = sq_remove,
    .ping = sq_ping,
    .changed = sq_changed,
};
