/*
 * store_pg.c -- the PostgreSQL backend of the memory store (store.h), on
 * libpq, so a fleet of processes on many machines shares one memory.
 *
 * One database holds many namespaces: every table is keyed by `ns` and
 * every query is filtered by it.  Schema (version SCHEMA_VERSION in
 * jitrl_schema, created or migrated at open under an advisory lock, a newer
 * one refused):
 *
 *   jitrl_ns(ns, last_seq, generation, n_episodes, n_steps)   one row per namespace
 *   jitrl_meta(ns, key, value)
 *   jitrl_episodes(ns, id, seq, task, score, time, gamma, n_steps)   (ns, seq) unique
 *   jitrl_steps(id, ns, episode, t, state, action, reward, ret)
 *
 * The commit sequence, and why a reader never skips: an append inserts its
 * rows with seq NULL (invisible to readers, who ask for seq > cursor), runs
 * the caller's precommit, then in one round trip updates its namespace's
 * jitrl_ns row (last_seq + 1, which row-locks it until the transaction
 * ends), sets the episode's seq to that number and commits.  A second
 * writer's update of the row waits for the first to end and then (READ
 * COMMITTED) re-reads the row's newest version, so it takes the next number
 * only after the first committed -- and PostgreSQL makes a commit visible
 * before it releases the transaction's locks.  So seqs are taken and made
 * visible in one order: any snapshot sees a prefix of them, and
 * "seq > cursor" never skips one that commits later.  A rolled-back append
 * leaves last_seq as it was.  The lock is held only while the server runs
 * those three pipelined statements, never across a round trip to us, so
 * the writers of one namespace queue on the server.  Episode ids come from
 * one sequence (jitrl_episode_ids) without a lock; a clash with an
 * imported id is refused by the key and retried.  Prune takes the
 * namespace row first too, so appends and prunes take turns.
 *
 * Appends NOTIFY channel jitrl_memory with the namespace as payload (sent
 * at commit); wait() LISTENs on a second connection of its own (its own
 * lock), so a fleet picks up each other's episodes at once, with the
 * commit cursor as the fallback for anything missed.
 *
 * Robustness: all SQL is parameterised (PQsendQueryParams, text format).
 * Each statement runs under a budget (statement_timeout on the server, a
 * poll() deadline here, then a cancel); a broken connection fails the call
 * with JITRL_EIO and is reopened by the next call, so the handle recovers
 * by itself when the database comes back.
 */
#include "memory/store.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/mem_int.h"   /* mem_grow */
#include "jitrl/error.h"

#define SCHEMA_VERSION 2
#define LOCK_KEY 0x4a69524cLL   /* 'JiRL': the advisory lock of schema changes */
#define CHANNEL "jitrl_memory"
#define MAX_ARRAY ((size_t)1 << 31)   /* one episode's texts as an array literal */

/* The libpq entry points we use, resolved from libpq.so.5 at the first
 * open: linking libpq would load some twenty shared libraries (TLS,
 * Kerberos, LDAP) into every start of the `jitrl` binary, PostgreSQL or not
 * (dlopen is reference counted, so each store keeps its own table). */
typedef struct pq_api {
    void *dl;
    int (*PQcancel)(PGcancel *, char *, int);
    int (*PQsendQueryPrepared)(PGconn *, const char *, int, const char *const *, const int *, const int *, int);
    int (*PQsendPrepare)(PGconn *, const char *, const char *, int, const Oid *);
    int (*PQpipelineSync)(PGconn *);
    int (*PQexitPipelineMode)(PGconn *);
    int (*PQenterPipelineMode)(PGconn *);
    void (*PQclear)(PGresult *);
    PGconn *(*PQconnectdbParams)(const char *const *, const char *const *, int);
    int (*PQconsumeInput)(PGconn *);
    char *(*PQerrorMessage)(const PGconn *);
    PGresult *(*PQexec)(PGconn *, const char *);
    void (*PQfinish)(PGconn *);
    void (*PQfreeCancel)(PGcancel *);
    void (*PQfreemem)(void *);
    PGcancel *(*PQgetCancel)(PGconn *);
    PGresult *(*PQgetResult)(PGconn *);
    int (*PQgetisnull)(const PGresult *, int, int);
    char *(*PQgetvalue)(const PGresult *, int, int);
    int (*PQisBusy)(PGconn *);
    PGnotify *(*PQnotifies)(PGconn *);
    int (*PQntuples)(const PGresult *);
    char *(*PQresultErrorField)(const PGresult *, int);
    char *(*PQresultErrorMessage)(const PGresult *);
    ExecStatusType (*PQresultStatus)(const PGresult *);
    int (*PQsendQueryParams)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int);
    int (*PQsetnonblocking)(PGconn *, int);
    int (*PQsocket)(const PGconn *);
    ConnStatusType (*PQstatus)(const PGconn *);
    PGTransactionStatusType (*PQtransactionStatus)(const PGconn *);
} pq_api;

struct mem_store {
    pq_api pq;
    PGconn *conn;
    char *conninfo;          /* the URI as given */
    char *ns;
    int read_only;
    int budget_ms;           /* per statement */
    int in_read;             /* inside read_begin: a lost connection may not be silently replaced */
    int unique_violation;    /* the last failure was SQLSTATE 23505 (an episode id taken meanwhile) */
    unsigned prepared;       /* the hot statements (SLOT_*) prepared on this connection, a bit each */
    char err[512];
    jr_buf arr[4];           /* append's array literals */
    /* wait(): a LISTEN connection of its own, under its own lock */
    pthread_mutex_t lock;
    PGconn *lconn;
    char lerr[256];
};

/* The store's message; libpq's end in a newline, dropped here. */
static void __attribute__((format(printf, 2, 3))) set_err(mem_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    size_t n = strlen(s->err);
    while (n && (s->err[n - 1] == '\n' || s->err[n - 1] == ' ')) s->err[--n] = '\0';
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- connections ---------- */

static int api_open(mem_store *s)
{
    pq_api *a = &s->pq;
    a->dl = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!a->dl) {
        set_err(s, "cannot load libpq.so.5 (apt-get install libpq5): %s", dlerror());
        return JITRL_EUNSUPPORTED;
    }
    struct { void **slot; const char *name; } syms[] = {
        {(void **)&a->PQcancel, "PQcancel"},
        {(void **)&a->PQsendQueryPrepared, "PQsendQueryPrepared"},
        {(void **)&a->PQsendPrepare, "PQsendPrepare"},
        {(void **)&a->PQpipelineSync, "PQpipelineSync"},
        {(void **)&a->PQexitPipelineMode, "PQexitPipelineMode"},
        {(void **)&a->PQenterPipelineMode, "PQenterPipelineMode"},
        {(void **)&a->PQclear, "PQclear"},
        {(void **)&a->PQconnectdbParams, "PQconnectdbParams"},
        {(void **)&a->PQconsumeInput, "PQconsumeInput"},
        {(void **)&a->PQerrorMessage, "PQerrorMessage"},
        {(void **)&a->PQexec, "PQexec"},
        {(void **)&a->PQfinish, "PQfinish"},
        {(void **)&a->PQfreeCancel, "PQfreeCancel"},
        {(void **)&a->PQfreemem, "PQfreemem"},
        {(void **)&a->PQgetCancel, "PQgetCancel"},
        {(void **)&a->PQgetResult, "PQgetResult"},
        {(void **)&a->PQgetisnull, "PQgetisnull"},
        {(void **)&a->PQgetvalue, "PQgetvalue"},
        {(void **)&a->PQisBusy, "PQisBusy"},
        {(void **)&a->PQnotifies, "PQnotifies"},
        {(void **)&a->PQntuples, "PQntuples"},
        {(void **)&a->PQresultErrorField, "PQresultErrorField"},
        {(void **)&a->PQresultErrorMessage, "PQresultErrorMessage"},
        {(void **)&a->PQresultStatus, "PQresultStatus"},
        {(void **)&a->PQsendQueryParams, "PQsendQueryParams"},
        {(void **)&a->PQsetnonblocking, "PQsetnonblocking"},
        {(void **)&a->PQsocket, "PQsocket"},
        {(void **)&a->PQstatus, "PQstatus"},
        {(void **)&a->PQtransactionStatus, "PQtransactionStatus"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(a->dl, syms[i].name);
        if (!*syms[i].slot) {
            set_err(s, "libpq.so.5 lacks %s", syms[i].name);
            return JITRL_EUNSUPPORTED;
        }
    }
    return JITRL_OK;
}

/* Open a connection to conninfo with our defaults first (the URI's own
 * settings override them): a connect timeout, the statement timeout, UTF-8. */
static PGconn *connect_db(mem_store *s, const char *conninfo, int budget_ms, char *err, size_t errlen)
{
    char timeout[32], options[96];
    snprintf(timeout, sizeof timeout, "%d", budget_ms / 1000 > 2 ? budget_ms / 1000 : 2);
    snprintf(options, sizeof options, "-c statement_timeout=%d -c lock_timeout=%d", budget_ms, budget_ms);
    const char *keys[] = {"connect_timeout", "options", "client_encoding", "application_name", "dbname", NULL};
    const char *vals[] = {timeout, options, "UTF8", "jitrl", conninfo, NULL};
    PGconn *c = s->pq.PQconnectdbParams(keys, vals, 1);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (s->pq.PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect: %s", s->pq.PQerrorMessage(c));
        s->pq.PQfinish(c);
        return NULL;
    }
    s->pq.PQsetnonblocking(c, 0);
    return c;
}

/* A usable main connection, reopened if the last one broke. */
static int ensure_conn(mem_store *s)
{
    if (s->conn && s->pq.PQstatus(s->conn) == CONNECTION_OK) return JITRL_OK;
    if (s->conn) {
        s->pq.PQfinish(s->conn);
        s->conn = NULL;
    }
    if (s->in_read) {
        set_err(s, "the connection to the database was lost during a read");
        return JITRL_EIO;
    }
    char e[400];
    s->prepared = 0;
    s->conn = connect_db(s, s->conninfo, s->budget_ms, e, sizeof e);
    if (!s->conn) {
        set_err(s, "%s", e);
        return JITRL_EIO;
    }
    return JITRL_OK;
}

/* Wait until c's reply is read (JITRL_OK) or the deadline passes: then
 * the statement is cancelled and JITRL_ETIMEOUT returned. */
static int await_reply(mem_store *s, PGconn *c, int64_t deadline)
{
    while (s->pq.PQisBusy(c)) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            PGcancel *cn = s->pq.PQgetCancel(c);
            char e[128];
            if (cn) {
                s->pq.PQcancel(cn, e, sizeof e);
                s->pq.PQfreeCancel(cn);
            }
            return JITRL_ETIMEOUT;
        }
        struct pollfd p = {s->pq.PQsocket(c), POLLIN, 0};
        if (p.fd < 0) return JITRL_EIO;
        int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (r < 0 && errno != EINTR) return JITRL_EIO;
        if (r > 0 && !s->pq.PQconsumeInput(c)) return JITRL_EIO;
    }
    return JITRL_OK;
}

/* The rc of a failed result: its SQLSTATE says whether it may pass. */
static int result_rc(mem_store *s, const PGresult *r, const char *what)
{
    const char *state = r ? s->pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    s->unique_violation = state && !strcmp(state, "23505");
    set_err(s, "%s: %s", what, r ? s->pq.PQresultErrorMessage(r) : s->pq.PQerrorMessage(s->conn));
    if (s->pq.PQstatus(s->conn) != CONNECTION_OK || !state) return JITRL_EIO;
    if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strncmp(state, "53", 2)) return JITRL_EIO;
    if (!strcmp(state, "57014") || !strcmp(state, "55P03") || !strcmp(state, "40001") || !strcmp(state, "40P01"))
        return JITRL_ETIMEOUT;   /* statement/lock timeout, serialization, deadlock: transient */
    return JITRL_EDB;
}

/* The statements every append or refresh runs are prepared once per
 * connection (parsed and planned once, not per episode). */
enum { SLOT_ROWS = 1, SLOT_SEQ, SLOT_SET_SEQ, SLOT_SCAN, SLOT_SCAN_HEADERS, N_SLOTS };

/* One statement of a batch; slot > 0 names it as a hot statement. */
typedef struct stmt {
    const char *sql;
    int n;
    const char *const *params;
    int slot;
} stmt;

/* Drop a connection that failed mid-exchange: the next call opens another. */
static int drop_conn(mem_store *s, int rc, const char *what, const char *why)
{
    set_err(s, "%s: %s", what, why ? why : s->pq.PQerrorMessage(s->conn));
    s->pq.PQfinish(s->conn);
    s->conn = NULL;
    return rc;
}

/* The next result of the exchange within the deadline (NULL ends a
 * statement's results). */
static int next_result(mem_store *s, int64_t deadline, PGresult **r, const char *what)
{
    int rc = await_reply(s, s->conn, deadline);
    if (rc) return drop_conn(s, rc, what, rc == JITRL_ETIMEOUT ? "the database did not answer in time" : NULL);
    *r = s->pq.PQgetResult(s->conn);
    return JITRL_OK;
}

/* Prepare q's hot statement on this connection if it is not yet. */
static int prepare_slot(mem_store *s, const stmt *q, const char *what)
{
    assert(q->slot >= 0 && q->slot < N_SLOTS);
    if (!q->slot || (s->prepared >> q->slot & 1u)) return JITRL_OK;
    char name[16];
    snprintf(name, sizeof name, "jitrl_%d", q->slot);
    if (!s->pq.PQsendPrepare(s->conn, name, q->sql, q->n, NULL)) return drop_conn(s, JITRL_EIO, what, NULL);
    int64_t deadline = now_ms() + s->budget_ms + 2000;
    PGresult *r = NULL, *keep = NULL;
    int rc;
    while (!(rc = next_result(s, deadline, &r, what)) && r) {
        s->pq.PQclear(keep);
        keep = r;
    }
    if (!rc && (!keep || s->pq.PQresultStatus(keep) != PGRES_COMMAND_OK)) rc = result_rc(s, keep, what);
    s->pq.PQclear(keep);
    if (!rc) s->prepared |= 1u << q->slot;
    return rc;
}

/* Run nq parameterised statements within the budget, in one round trip
 * when nq > 1 (libpq's pipeline mode: they run in order, and after a
 * failure the rest are skipped).  out[i] (if out) receives statement i's
 * result (PQclear each) when all succeeded. */
static int run_batch_once(mem_store *s, const stmt *q, int nq, PGresult **out, const char *what)
{
    for (int i = 0; out && i < nq; i++) out[i] = NULL;
    int rc = ensure_conn(s), pipe = nq > 1;
    for (int i = 0; !rc && i < nq; i++) rc = prepare_slot(s, &q[i], what);
    if (rc) return rc;
    if (pipe && !s->pq.PQenterPipelineMode(s->conn)) return drop_conn(s, JITRL_EIO, what, NULL);
    for (int i = 0; i < nq; i++) {
        char name[16];
        snprintf(name, sizeof name, "jitrl_%d", q[i].slot);
        int sent = q[i].slot ? s->pq.PQsendQueryPrepared(s->conn, name, q[i].n, q[i].params, NULL, NULL, 0)
                             : s->pq.PQsendQueryParams(s->conn, q[i].sql, q[i].n, NULL, q[i].params, NULL, NULL, 0);
        if (!sent) return drop_conn(s, JITRL_EIO, what, NULL);   /* a send that fails leaves the connection unusable */
    }
    if (pipe && !s->pq.PQpipelineSync(s->conn)) return drop_conn(s, JITRL_EIO, what, NULL);
    int64_t deadline = now_ms() + s->budget_ms + 2000;
    PGresult *res[8] = {0};
    for (int i = 0; i < nq && !rc; i++) {
        PGresult *r = NULL;
        while (!(rc = next_result(s, deadline, &r, what)) && r) {   /* the last result decides */
            s->pq.PQclear(res[i]);
            res[i] = r;
        }
    }
    if (!rc && pipe) {   /* the sync point, then out of pipeline mode */
        PGresult *r = NULL;
        rc = next_result(s, deadline, &r, what);
        if (!rc && (!r || s->pq.PQresultStatus(r) != PGRES_PIPELINE_SYNC))
            rc = drop_conn(s, JITRL_EIO, what, "the database broke the exchange off");
        s->pq.PQclear(r);
        if (!rc && !s->pq.PQexitPipelineMode(s->conn)) rc = drop_conn(s, JITRL_EIO, what, NULL);
    }
    for (int i = 0; !rc && i < nq; i++) {
        ExecStatusType st = res[i] ? s->pq.PQresultStatus(res[i]) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) continue;
        rc = result_rc(s, res[i], what);
        if (rc == JITRL_EIO && s->conn && s->pq.PQstatus(s->conn) != CONNECTION_OK) {
            s->pq.PQfinish(s->conn);
            s->conn = NULL;
        }
    }
    for (int i = 0; i < nq; i++) {
        if (!rc && out) out[i] = res[i];
        else s->pq.PQclear(res[i]);
    }
    return rc;
}

/* run_batch_once, and once more on a fresh connection when the old one
 * turned out broken while no transaction was open (the server restarted
 * since our last call): nothing of ours was lost, so the caller need not
 * see it. */
static int run_batch(mem_store *s, const stmt *q, int nq, PGresult **out, const char *what)
{
    assert(nq >= 1 && nq <= 8);
    int idle = s->conn && s->pq.PQstatus(s->conn) == CONNECTION_OK &&
               s->pq.PQtransactionStatus(s->conn) == PQTRANS_IDLE;
    int rc = run_batch_once(s, q, nq, out, what);
    if (rc == JITRL_EIO && idle && !s->in_read && !s->conn) rc = run_batch_once(s, q, nq, out, what);
    return rc;
}

static int run(mem_store *s, const char *sql, int n, const char *const *params, PGresult **out, const char *what)
{
    stmt q = {sql, n, params, 0};
    return run_batch(s, &q, 1, out, what);
}

static int run_ns(mem_store *s, const char *sql, PGresult **out, const char *what)
{
    const char *p[1] = {s->ns};
    return run(s, sql, 1, p, out, what);
}

static void rollback(mem_store *s)
{
    if (s->conn && s->pq.PQstatus(s->conn) == CONNECTION_OK && s->pq.PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        run(s, "ROLLBACK", 0, NULL, NULL, "rollback");
}

/* One int64 of a one-row result (dflt when no row or NULL). */
static int64_t get_i64(mem_store *s, const PGresult *r, int row, int col, int64_t dflt)
{
    if (!r || row >= s->pq.PQntuples(r) || s->pq.PQgetisnull(r, row, col)) return dflt;
    return strtoll(s->pq.PQgetvalue(r, row, col), NULL, 10);
}

static double get_f64(mem_store *s, const PGresult *r, int row, int col)
{
    if (!r || row >= s->pq.PQntuples(r) || s->pq.PQgetisnull(r, row, col)) return NAN;
    return strtod(s->pq.PQgetvalue(r, row, col), NULL);
}

/* ---------- schema ---------- */

static const char *const schema_v1[] = {
    "CREATE TABLE jitrl_ns(ns text PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0,"
    " generation bigint NOT NULL DEFAULT 0)",
    "CREATE TABLE jitrl_meta(ns text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY(ns, key))",
    "CREATE SEQUENCE jitrl_episode_ids",
    "CREATE TABLE jitrl_episodes(ns text NOT NULL, id bigint NOT NULL, seq bigint, task text NOT NULL,"
    " score float8 NOT NULL, time bigint NOT NULL, gamma float8 NOT NULL, n_steps integer NOT NULL,"
    " PRIMARY KEY(ns, id), UNIQUE(ns, seq))",
    "CREATE TABLE jitrl_steps(id bigserial PRIMARY KEY, ns text NOT NULL, episode bigint NOT NULL,"
    " t integer NOT NULL, state text NOT NULL, action text NOT NULL, reward float8 NOT NULL, ret float8 NOT NULL)",
    "CREATE INDEX jitrl_steps_episode ON jitrl_steps(ns, episode, t)",
    NULL};

/* Version 1 -> 2: per-namespace counts kept with the commit sequence, so
 * stats need not count the steps. */
static const char *const migrate_v2[] = {
    "ALTER TABLE jitrl_ns ADD COLUMN n_episodes bigint NOT NULL DEFAULT 0,"
    " ADD COLUMN n_steps bigint NOT NULL DEFAULT 0",
    "UPDATE jitrl_ns n SET n_episodes = (SELECT count(*) FROM jitrl_episodes e WHERE e.ns = n.ns),"
    " n_steps = (SELECT count(*) FROM jitrl_steps s WHERE s.ns = n.ns)",
    NULL};

static int run_all(mem_store *s, const char *const *sql, const char *what)
{
    int rc = JITRL_OK;
    for (size_t i = 0; !rc && sql[i]; i++) rc = run(s, sql[i], 0, NULL, NULL, what);
    return rc;
}

/* Create, migrate or check the schema, and make sure our namespace has
 * its row, in one transaction under the schema lock (another process may
 * be doing the same). */
static int setup_schema(mem_store *s, int create)
{
    PGresult *r = NULL;
    char lk[32];
    snprintf(lk, sizeof lk, "%lld", LOCK_KEY);
    const char *lp[1] = {lk};
    int rc = run(s, "BEGIN", 0, NULL, NULL, "opening the memory");
    if (!rc && !s->read_only) rc = run(s, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lp, NULL, "opening the memory");
    if (!rc) rc = run(s, "SELECT to_regclass('jitrl_schema') IS NOT NULL", 0, NULL, &r, "opening the memory");
    int exists = !rc && s->pq.PQntuples(r) == 1 && !strcmp(s->pq.PQgetvalue(r, 0, 0), "t");
    s->pq.PQclear(r);
    r = NULL;
    int64_t ver = 0;
    if (!rc && exists) {
        rc = run(s, "SELECT max(version) FROM jitrl_schema", 0, NULL, &r, "reading the schema version");
        ver = get_i64(s, r, 0, 0, 0);
        s->pq.PQclear(r);
        r = NULL;
    }
    if (rc) goto out;
    if (!exists && (s->read_only || !create)) {
        set_err(s, "no jitrl memory in this database");
        rc = JITRL_ENOTFOUND;
        goto out;
    }
    if (ver > SCHEMA_VERSION) {
        set_err(s, "schema version %lld is newer than this jitrl (%d)", (long long)ver, SCHEMA_VERSION);
        rc = JITRL_EUNSUPPORTED;
        goto out;
    }
    if (exists && ver < 1) {
        set_err(s, "jitrl_schema holds no version");
        rc = JITRL_ECORRUPT;
        goto out;
    }
    if (ver < SCHEMA_VERSION && s->read_only) {
        set_err(s, "schema version %lld needs migrating to %d: open it for writing once", (long long)ver,
                SCHEMA_VERSION);
        rc = JITRL_EUNSUPPORTED;
        goto out;
    }
    if (!exists) {
        rc = run(s, "CREATE TABLE jitrl_schema(version integer NOT NULL)", 0, NULL, NULL, "creating the memory");
        if (!rc) rc = run_all(s, schema_v1, "creating the memory");
        if (!rc) rc = run(s, "INSERT INTO jitrl_schema VALUES(1)", 0, NULL, NULL, "creating the memory");
        ver = 1;
    }
    if (!rc && ver == 1) {
        rc = run_all(s, migrate_v2, "migrating the schema to version 2");
        if (!rc) rc = run(s, "UPDATE jitrl_schema SET version = 2", 0, NULL, NULL, "migrating the schema");
    }
    if (!rc && (s->read_only || !create)) {
        rc = run_ns(s, "SELECT 1 FROM jitrl_ns WHERE ns = $1", &r, "opening the namespace");
        if (!rc && s->pq.PQntuples(r) == 0) {
            set_err(s, "no namespace '%s' in this database", s->ns);
            rc = JITRL_ENOTFOUND;
        }
        s->pq.PQclear(r);
    } else if (!rc) {
        rc = run_ns(s, "INSERT INTO jitrl_ns(ns) VALUES($1) ON CONFLICT (ns) DO NOTHING", NULL, "opening the namespace");
    }
    if (!rc) rc = run(s, "COMMIT", 0, NULL, NULL, "opening the memory");
out:
    if (rc) rollback(s);
    return rc;
}

static void pg_close(mem_store *s)
{
    if (!s) return;
    if (s->conn) s->pq.PQfinish(s->conn);
    if (s->lconn) s->pq.PQfinish(s->lconn);
    if (s->pq.dl) dlclose(s->pq.dl);
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; i < 4; i++) jr_buf_free(&s->arr[i]);
    jr_free(s->conninfo);
    jr_free(s->ns);
    jr_free(s);
}

static int pg_open(const mem_store_cfg *cfg, mem_store **out, char *err, size_t errlen)
{
    *out = NULL;
    mem_store *s = jr_calloc(1, sizeof *s);
    if (!s || pthread_mutex_init(&s->lock, NULL)) {
        jr_free(s);
        snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    for (size_t i = 0; i < 4; i++) jr_buf_init(&s->arr[i], MAX_ARRAY);
    s->conninfo = jr_strdup(cfg->where);
    s->ns = jr_strdup(cfg->ns ? cfg->ns : "default");
    s->read_only = cfg->read_only;
    s->budget_ms = cfg->busy_timeout_ms;
    int rc = s->conninfo && s->ns ? JITRL_OK : JITRL_ENOMEM;
    if (rc) set_err(s, "out of memory");
    if (!rc) rc = api_open(s);
    if (!rc) rc = ensure_conn(s);
    if (!rc) rc = setup_schema(s, cfg->create);
    if (rc) {
        snprintf(err, errlen, "%s", s->err[0] ? s->err : jitrl_strerror(rc));
        pg_close(s);
        return rc;
    }
    *out = s;
    return JITRL_OK;
}

static const char *pg_errmsg(const mem_store *s) { return s ? s->err : "no store"; }

static int refuse_ro(mem_store *s)
{
    if (!s->read_only) return JITRL_OK;
    set_err(s, "the memory is open read-only");
    return JITRL_ESTATE;
}

/* ---------- metadata ---------- */

static int pg_meta_get(mem_store *s, const char *key, char **value)
{
    *value = NULL;
    const char *p[2] = {s->ns, key};
    PGresult *r = NULL;
    int rc = run(s, "SELECT value FROM jitrl_meta WHERE ns = $1 AND key = $2", 2, p, &r, "reading metadata");
    if (!rc && s->pq.PQntuples(r) == 0) rc = JITRL_ENOTFOUND;
    if (!rc && !(*value = jr_strdup(s->pq.PQgetvalue(r, 0, 0)))) {
        set_err(s, "out of memory");
        rc = JITRL_ENOMEM;
    }
    s->pq.PQclear(r);
    return rc;
}

static int pg_meta_set(mem_store *s, const char *key, const char *value)
{
    int rc = refuse_ro(s);
    const char *p[3] = {s->ns, key, value};
    if (!rc)
        rc = run(s,
                 "INSERT INTO jitrl_meta(ns, key, value) VALUES($1, $2, $3)"
                 " ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value",
                 3, p, NULL, "writing metadata");
    return rc;
}

/* ---------- append ---------- */

/* Append s to b as an element of a PostgreSQL array literal: quoted, with
 * backslashes before quotes and backslashes.  (The literal is a parameter
 * value: this is the array text format, not SQL.) */
static int arr_text(jr_buf *b, const char *s)
{
    int rc = b->len > 1 ? jr_buf_putc(b, ',') : JITRL_OK;   /* b holds "{" and the elements so far */
    if (!rc) rc = jr_buf_putc(b, '"');
    const char *run0 = s;
    for (const char *p = s; !rc && *p; p++) {
        if (*p != '"' && *p != '\\') continue;
        rc = jr_buf_append(b, run0, (size_t)(p - run0));
        if (!rc) rc = jr_buf_putc(b, '\\');
        run0 = p;
    }
    if (!rc) rc = jr_buf_append(b, run0, strlen(run0));
    if (!rc) rc = jr_buf_putc(b, '"');
    return rc;
}

static int arr_num(jr_buf *b, double v)
{
    return jr_buf_printf(b, "%s%.17g", b->len > 1 ? "," : "", v);
}

/* The four arrays of an episode's steps: states, actions, rewards, returns. */
static int step_arrays(mem_store *s, const mem_ep_rec *ep)
{
    int rc = JITRL_OK;
    for (size_t i = 0; i < 4; i++) {
        jr_buf_reset(&s->arr[i]);
        if (!rc) rc = jr_buf_putc(&s->arr[i], '{');
    }
    for (size_t t = 0; !rc && t < ep->n_steps; t++) {
        const mem_step_rec *r = &ep->steps[t];
        rc = arr_text(&s->arr[0], r->state);
        if (!rc) rc = arr_text(&s->arr[1], r->action);
        if (!rc) rc = arr_num(&s->arr[2], r->reward);
        if (!rc) rc = arr_num(&s->arr[3], r->ret);
    }
    for (size_t i = 0; !rc && i < 4; i++) rc = jr_buf_putc(&s->arr[i], '}');
    if (rc) set_err(s, rc == JITRL_ETOOBIG ? "the episode is too large" : "out of memory");
    return rc;
}

/* A fresh episode id: the next of jitrl_episode_ids (one sequence for the
 * database), taken without a lock.  An import keeps its ids and moves the
 * sequence past them (below 2^62: an id up there, like INT64_MAX, is
 * never reached by the sequence and would only exhaust it), so fresh ids do
 * not run into imported ones; if two imports race the sequence back, the
 * unique key refuses the clash and pg_append tries again. */
#define FRESH_ID "nextval('jitrl_episode_ids')"
#define BUMP_LIMIT "4611686018427387904"

/* The rows of an episode, its seq left NULL: the first round trip of an
 * append (no lock taken). */
static const char insert_rows_sql[] =
    "WITH e AS (INSERT INTO jitrl_episodes(ns, id, seq, task, score, time, gamma, n_steps)"
    " SELECT $1, CASE WHEN $2::bigint > 0 AND NOT EXISTS(SELECT 1 FROM jitrl_episodes"
    " WHERE ns = $1 AND id = $2::bigint) THEN $2::bigint ELSE " FRESH_ID " END,"
    " NULL, $3, $4::float8, $5::bigint, $6::float8, $7::integer RETURNING id),"
    " s AS (INSERT INTO jitrl_steps(ns, episode, t, state, action, reward, ret)"
    " SELECT $1, e.id, u.t - 1, u.st, u.ac, u.rw, u.rt FROM e, unnest($8::text[], $9::text[],"
    " $10::float8[], $11::float8[]) WITH ORDINALITY AS u(st, ac, rw, rt, t) ORDER BY u.t"
    " RETURNING id, t)"
    " SELECT e.id, s.id, s.t FROM e LEFT JOIN s ON true ORDER BY s.t";

/* Read the ids the rows got: the episode's, and each step's by its t. */
static int take_ids(mem_store *s, PGresult *r, const mem_ep_rec *ep, int64_t *eid, int64_t *step_ids)
{
    int nr = s->pq.PQntuples(r);
    *eid = get_i64(s, r, 0, 0, 0);
    int rc = nr == (ep->n_steps ? (int)ep->n_steps : 1) && *eid != 0 ? JITRL_OK : JITRL_EDB;
    for (size_t t = 0; !rc && t < ep->n_steps; t++) {
        int64_t tt = get_i64(s, r, (int)t, 2, -1);
        if (tt < 0 || tt >= (int64_t)ep->n_steps) rc = JITRL_EDB;
        else step_ids[tt] = get_i64(s, r, (int)t, 1, 0);
    }
    if (rc) set_err(s, "insert episode: the database returned %d unexpected rows for %zu steps", nr, ep->n_steps);
    return rc;
}

/* One attempt: the rows (one round trip), the caller's precommit, then
 * seq, notify and commit in one more -- so the namespace row's lock is
 * held only while the server runs those three statements, never across a
 * round trip: writers of one namespace queue on the server, not on us. */
static int append_once(mem_store *s, const mem_ep_rec *ep, int64_t want_id, int64_t *step_ids, mem_precommit_fn pre,
                       void *ctx, int64_t *id, int64_t *seq, int *retry)
{
    char nsteps[32], want[32], score[40], tm[32], gamma[40], eids[32];
    snprintf(nsteps, sizeof nsteps, "%zu", ep->n_steps);
    snprintf(want, sizeof want, "%lld", (long long)want_id);
    snprintf(score, sizeof score, "%.17g", ep->score);
    snprintf(tm, sizeof tm, "%lld", (long long)ep->time);
    snprintf(gamma, sizeof gamma, "%.17g", ep->gamma);
    const char *p2[11] = {s->ns, want, ep->task, score, tm, gamma, nsteps,
                          s->arr[0].data, s->arr[1].data, s->arr[2].data, s->arr[3].data};
    const char *pw[1] = {want};
    /* an imported id past the sequence moves it on, so fresh ids do not
     * run into it (not transactional: harmless if we roll back) */
    stmt q1[3] = {{"BEGIN", 0, NULL, 0},
                  {insert_rows_sql, 11, p2, SLOT_ROWS},
                  {"SELECT setval('jitrl_episode_ids', $1::bigint) WHERE $1::bigint > (SELECT last_value FROM"
                   " jitrl_episode_ids) AND $1::bigint < " BUMP_LIMIT,
                   1, pw, 0}};
    PGresult *res[3];
    int rc = run_batch(s, q1, want_id > 0 ? 3 : 2, res, "insert episode");
    int64_t eid = 0;
    *retry = rc && s->unique_violation;   /* before precommit ran: nothing to undo but the rows */
    if (!rc) {
        rc = take_ids(s, res[1], ep, &eid, step_ids);
        for (int i = 0; i < (want_id > 0 ? 3 : 2); i++) s->pq.PQclear(res[i]);
    }
    if (!rc && pre) rc = pre(ctx, eid, step_ids);
    snprintf(eids, sizeof eids, "%lld", (long long)eid);
    const char *p1[3] = {s->ns, nsteps, CHANNEL}, *pe[2] = {s->ns, eids};
    stmt q2[3] = {{"INSERT INTO jitrl_ns(ns, last_seq, n_episodes, n_steps) VALUES($1, 1, 1, $2::bigint)"
                   " ON CONFLICT (ns) DO UPDATE SET last_seq = jitrl_ns.last_seq + 1,"
                   " n_episodes = jitrl_ns.n_episodes + 1, n_steps = jitrl_ns.n_steps + excluded.n_steps"
                   " RETURNING last_seq, pg_notify($3, $1)",
                   3, p1, SLOT_SEQ},
                  {"UPDATE jitrl_episodes SET seq = (SELECT last_seq FROM jitrl_ns WHERE ns = $1)"
                   " WHERE ns = $1 AND id = $2::bigint",
                   2, pe, SLOT_SET_SEQ},
                  {"COMMIT", 0, NULL, 0}};
    if (!rc) rc = run_batch(s, q2, 3, res, "commit");
    if (rc) {
        rollback(s);
        return rc;
    }
    *seq = get_i64(s, res[0], 0, 0, 0);
    for (int i = 0; i < 3; i++) s->pq.PQclear(res[i]);
    *id = eid;
    return JITRL_OK;
}

static int pg_append(mem_store *s, const mem_ep_rec *ep, int64_t want_id, int64_t *step_ids, mem_precommit_fn pre,
                     void *ctx, int64_t *id, int64_t *seq)
{
    int rc = refuse_ro(s);
    if (!rc) rc = step_arrays(s, ep);
    for (int attempt = 0, retry = 0; !rc; attempt++) {
        s->unique_violation = 0;
        rc = append_once(s, ep, want_id, step_ids, pre, ctx, id, seq, &retry);
        if (!rc || !retry || attempt == 4) break;
        rc = JITRL_OK;   /* an id taken meanwhile: the next attempt sees it */
    }
    return rc;
}

/* ---------- reading ---------- */

static int pg_read_begin(mem_store *s)
{
    int rc = run(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, "starting a read");
    /* the snapshot is taken at the first statement */
    if (!rc) rc = run(s, "SELECT 1", 0, NULL, NULL, "starting a read");
    if (rc) rollback(s);
    else s->in_read = 1;
    return rc;
}

static void pg_read_end(mem_store *s)
{
    rollback(s);
    s->in_read = 0;
}

static const char *bad_episode(mem_store *s, const PGresult *r, int row)
{
    if (!isfinite(get_f64(s, r, row, 3))) return "score is not a number";
    double g = get_f64(s, r, row, 5);
    if (!(g >= 0 && g <= 1)) return "gamma is not a number in [0, 1]";
    return NULL;
}

static const char *bad_step(mem_store *s, const PGresult *r, int row)
{
    if (!isfinite(get_f64(s, r, row, 11))) return "a step's reward is not a number";
    if (!isfinite(get_f64(s, r, row, 12))) return "a step's return is not a number";
    return NULL;
}

/* Columns: 0 id, 1 seq, 2 task, 3 score, 4 time, 5 gamma, 6 n_steps,
 * 7 the page's episode count, then (not headers) 8 step id, 9 state,
 * 10 action, 11 reward, 12 return. */
static const char *const scan_sql[2] = {
    "WITH e AS (SELECT id, seq, task, score, time, gamma, n_steps FROM jitrl_episodes"
    " WHERE ns = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3::bigint),"
    " w AS (SELECT e.*, sum(greatest(n_steps, 0)::bigint + 1) OVER (ORDER BY seq)"
    " - (greatest(n_steps, 0) + 1) AS before, count(*) OVER () AS total FROM e)"
    " SELECT w.id, w.seq, w.task, w.score, w.time, w.gamma, w.n_steps, w.total,"
    " s.id, s.state, s.action, s.reward, s.ret FROM w"
    " LEFT JOIN jitrl_steps s ON s.ns = $1 AND s.episode = w.id"
    " WHERE w.before < $3::bigint ORDER BY w.seq, s.t",
    "SELECT id, seq, task, score, time, gamma, n_steps, count(*) OVER () FROM jitrl_episodes"
    " WHERE ns = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3::bigint"};

static int pg_scan(mem_store *s, int64_t *cursor, size_t max_steps, unsigned flags, mem_scan_fn fn, void *ctx,
                   int *more)
{
    *more = 0;
    int headers = (flags & MEM_SCAN_HEADERS) != 0;
    char cur[32], lim[32];
    snprintf(cur, sizeof cur, "%lld", (long long)*cursor);
    snprintf(lim, sizeof lim, "%zu", max_steps ? max_steps : 1);
    const char *p[3] = {s->ns, cur, lim};
    PGresult *r = NULL;
    stmt q = {scan_sql[headers], 3, p, headers ? SLOT_SCAN_HEADERS : SLOT_SCAN};
    int rc = run_batch(s, &q, 1, &r, "reading episodes");
    if (rc) return rc;
    int nr = s->pq.PQntuples(r), handed = 0;
    int64_t total = get_i64(s, r, 0, 7, 0);
    mem_step_rec *steps = NULL;
    size_t cap = 0;
    for (int i = 0; !rc && i < nr;) {
        mem_ep_rec ep = {0};
        ep.id = get_i64(s, r, i, 0, 0);
        ep.seq = get_i64(s, r, i, 1, 0);
        ep.task = s->pq.PQgetvalue(r, i, 2);
        ep.score = get_f64(s, r, i, 3);
        ep.time = get_i64(s, r, i, 4, 0);
        ep.gamma = get_f64(s, r, i, 5);
        int64_t want = get_i64(s, r, i, 6, 0);
        ep.bad = bad_episode(s, r, i);
        int j = i;
        size_t n = 0;
        if (headers) {
            j = i + 1;
            ep.n_steps = want > 0 ? (size_t)want : 0;
        } else {
            for (; j < nr && get_i64(s, r, j, 1, 0) == ep.seq; j++) {
                if (s->pq.PQgetisnull(r, j, 8)) continue;   /* an episode without steps */
                if (mem_grow((void **)&steps, &cap, n + 1, sizeof *steps)) {
                    set_err(s, "out of memory");
                    rc = JITRL_ENOMEM;
                    break;
                }
                steps[n++] = (mem_step_rec){get_i64(s, r, j, 8, 0), s->pq.PQgetvalue(r, j, 9), s->pq.PQgetvalue(r, j, 10),
                                            get_f64(s, r, j, 11), get_f64(s, r, j, 12)};
                if (!ep.bad) ep.bad = bad_step(s, r, j);
            }
            ep.steps = steps;
            ep.n_steps = n;
            if (!ep.bad && want != (int64_t)n) ep.bad = "its step count does not match its steps";
        }
        if (rc) break;
        rc = fn(ctx, &ep);
        *cursor = ep.seq;
        handed++;
        i = j;
    }
    jr_free(steps);
    s->pq.PQclear(r);
    if (rc) return rc;
    if (handed < total) {
        *more = 1;
    } else if (total >= (int64_t)(max_steps ? max_steps : 1)) {   /* a full page: look once more */
        snprintf(cur, sizeof cur, "%lld", (long long)*cursor);
        rc = run(s, "SELECT EXISTS(SELECT 1 FROM jitrl_episodes WHERE ns = $1 AND seq > $2::bigint)", 2, p, &r,
                 "reading episodes");
        *more = !rc && !strcmp(s->pq.PQgetvalue(r, 0, 0), "t");
        s->pq.PQclear(r);
    }
    return rc;
}

static int pg_generation(mem_store *s, int64_t *gen)
{
    PGresult *r = NULL;
    int rc = run_ns(s, "SELECT generation FROM jitrl_ns WHERE ns = $1", &r, "reading the generation");
    *gen = rc ? 0 : get_i64(s, r, 0, 0, 0);
    s->pq.PQclear(r);
    return rc;
}

static int pg_stats(mem_store *s, mem_store_stats *out)
{
    memset(out, 0, sizeof *out);
    PGresult *r = NULL;
    int rc = run_ns(s,
                    "SELECT count(*), coalesce(avg(score), 0), coalesce(max(score), 0), coalesce(min(time), 0),"
                    " coalesce(max(time), 0), (SELECT n_steps FROM jitrl_ns WHERE ns = $1),"
                    " (SELECT max(version) FROM jitrl_schema) FROM jitrl_episodes WHERE ns = $1",
                    &r, "stats");
    if (!rc) {
        out->episodes = (size_t)get_i64(s, r, 0, 0, 0);
        out->mean_score = get_f64(s, r, 0, 1);
        out->best_score = get_f64(s, r, 0, 2);
        out->first_time = get_i64(s, r, 0, 3, 0);
        out->last_time = get_i64(s, r, 0, 4, 0);
        out->steps = (size_t)get_i64(s, r, 0, 5, 0);
        out->schema_version = (int)get_i64(s, r, 0, 6, 0);
    }
    s->pq.PQclear(r);
    return rc;
}

/* What a database without integrity_check can say: the namespace's counts
 * and sequence agree with its rows, and no step lacks its episode. */
static int pg_check(mem_store *s)
{
    PGresult *r = NULL;
    int rc = run_ns(s,
                    "SELECT n.n_episodes, (SELECT count(*) FROM jitrl_episodes e WHERE e.ns = $1),"
                    " n.n_steps, (SELECT count(*) FROM jitrl_steps t WHERE t.ns = $1),"
                    " n.last_seq, (SELECT coalesce(max(seq), 0) FROM jitrl_episodes e WHERE e.ns = $1),"
                    " (SELECT count(*) FROM jitrl_steps t WHERE t.ns = $1 AND NOT EXISTS(SELECT 1 FROM"
                    " jitrl_episodes e WHERE e.ns = $1 AND e.id = t.episode))"
                    " FROM jitrl_ns n WHERE n.ns = $1",
                    &r, "check");
    if (!rc && s->pq.PQntuples(r) == 1) {
        int64_t v[7];
        for (int i = 0; i < 7; i++) v[i] = get_i64(s, r, 0, i, 0);
        if (v[0] != v[1]) set_err(s, "the namespace counts %lld episodes, it holds %lld", (long long)v[0], (long long)v[1]);
        else if (v[2] != v[3]) set_err(s, "the namespace counts %lld steps, it holds %lld", (long long)v[2], (long long)v[3]);
        else if (v[5] > v[4]) set_err(s, "an episode's commit sequence %lld is past the namespace's %lld", (long long)v[5], (long long)v[4]);
        else if (v[6]) set_err(s, "%lld steps belong to no episode", (long long)v[6]);
        if (v[0] != v[1] || v[2] != v[3] || v[5] > v[4] || v[6]) rc = JITRL_ECORRUPT;
    }
    s->pq.PQclear(r);
    return rc;
}

static int pg_remove(mem_store *s, const int64_t *ids, size_t n, size_t *removed)
{
    *removed = 0;
    int rc = refuse_ro(s);
    if (rc) return rc;
    jr_buf *b = &s->arr[0];
    jr_buf_reset(b);
    rc = jr_buf_putc(b, '{');
    for (size_t i = 0; !rc && i < n; i++) rc = jr_buf_printf(b, "%s%lld", i ? "," : "", (long long)ids[i]);
    if (!rc) rc = jr_buf_putc(b, '}');
    if (rc) {
        set_err(s, "prune: out of memory");
        return rc;
    }
    PGresult *r = NULL;
    if ((rc = run(s, "BEGIN", 0, NULL, NULL, "prune"))) return rc;
    /* the namespace row first, as append takes it: the two take turns */
    rc = run_ns(s, "SELECT 1 FROM jitrl_ns WHERE ns = $1 FOR UPDATE", NULL, "prune");
    const char *p[2] = {s->ns, b->data};
    if (!rc)
        rc = run(s,
                 "WITH d AS (DELETE FROM jitrl_episodes WHERE ns = $1 AND id = ANY($2::bigint[]) RETURNING id),"
                 " ds AS (DELETE FROM jitrl_steps WHERE ns = $1 AND episode IN (SELECT id FROM d) RETURNING 1)"
                 " SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM ds)",
                 2, p, &r, "prune");
    int64_t ge = rc ? 0 : get_i64(s, r, 0, 0, 0), gs = rc ? 0 : get_i64(s, r, 0, 1, 0);
    s->pq.PQclear(r);
    char es[32], ss[32];
    snprintf(es, sizeof es, "%lld", (long long)ge);
    snprintf(ss, sizeof ss, "%lld", (long long)gs);
    const char *pu[3] = {s->ns, es, ss};
    if (!rc && ge)
        rc = run(s,
                 "UPDATE jitrl_ns SET generation = generation + 1, n_episodes = n_episodes - $2::bigint,"
                 " n_steps = n_steps - $3::bigint WHERE ns = $1",
                 3, pu, NULL, "prune");
    if (!rc) rc = run(s, "COMMIT", 0, NULL, NULL, "prune: commit");
    if (rc) {
        rollback(s);
        return rc;
    }
    *removed = (size_t)ge;
    /* Make the dead rows' space reusable now (a plain VACUUM also gives
     * trailing pages back to the file system).  Failing here (not the
     * tables' owner, a timeout) loses nothing: autovacuum does it later. */
    if (ge) {
        run(s, "VACUUM jitrl_steps", 0, NULL, NULL, "vacuum");
        run(s, "VACUUM jitrl_episodes", 0, NULL, NULL, "vacuum");
        s->err[0] = '\0';
    }
    return JITRL_OK;
}

static int pg_ping(mem_store *s) { return run(s, "SELECT 1", 0, NULL, NULL, "ping"); }

/* ---------- waiting for other writers ---------- */

/* Drain the notifications that arrived: did one name our namespace? */
static int drained_ours(mem_store *s)
{
    int ours = 0;
    PGnotify *n;
    while ((n = s->pq.PQnotifies(s->lconn))) {
        if (n->extra && !strcmp(n->extra, s->ns)) ours = 1;
        s->pq.PQfreemem(n);
    }
    return ours;
}

static int listen_conn(mem_store *s)
{
    if (s->lconn && s->pq.PQstatus(s->lconn) == CONNECTION_OK) return JITRL_OK;
    if (s->lconn) s->pq.PQfinish(s->lconn);
    s->lconn = connect_db(s, s->conninfo, s->budget_ms, s->lerr, sizeof s->lerr);
    if (!s->lconn) return JITRL_EIO;
    PGresult *r = s->pq.PQexec(s->lconn, "LISTEN " CHANNEL);   /* a constant statement: no parameters */
    int ok = r && s->pq.PQresultStatus(r) == PGRES_COMMAND_OK;
    s->pq.PQclear(r);
    if (!ok) {
        snprintf(s->lerr, sizeof s->lerr, "LISTEN: %s", s->pq.PQerrorMessage(s->lconn));
        s->pq.PQfinish(s->lconn);
        s->lconn = NULL;
        return JITRL_EIO;
    }
    return JITRL_OK;
}

/* Wait up to timeout_ms for a commit to our namespace by anyone.  Safe to
 * call beside the other operations (its own connection and lock).  A
 * (re)connected listener returns at once: what came before it is the
 * cursor's to find. */
static int pg_wait(mem_store *s, int timeout_ms)
{
    pthread_mutex_lock(&s->lock);
    int fresh = !s->lconn || s->pq.PQstatus(s->lconn) != CONNECTION_OK;
    int rc = listen_conn(s);
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    if (!rc && !fresh && !drained_ours(s)) {
        for (;;) {
            int64_t left = deadline - now_ms();
            if (left <= 0) break;
            struct pollfd p = {s->pq.PQsocket(s->lconn), POLLIN, 0};
            int pr = poll(&p, 1, (int)left);
            if (pr < 0 && errno != EINTR) break;
            if (pr > 0 && !s->pq.PQconsumeInput(s->lconn)) {
                snprintf(s->lerr, sizeof s->lerr, "listening: %s", s->pq.PQerrorMessage(s->lconn));
                s->pq.PQfinish(s->lconn);
                s->lconn = NULL;
                rc = JITRL_EIO;
                break;
            }
            if (drained_ours(s)) break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

const mem_store_ops mem_store_pg = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    .append = pg_append,
    .read_begin = pg_read_begin,
    .read_end = pg_read_end,
    .scan = pg_scan,
    .generation = pg_generation,
    .stats = pg_stats,
    .check = pg_check,
    .remove = pg_remove,
    .ping = pg_ping,
    .wait = pg_wait,
};
