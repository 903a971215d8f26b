/*
 * store.h -- the memory store interface: what jitrl_memory needs from the
 * place its episodes live, as a table of operations a backend fills in.
 *
 * memory.c (the handle: RAM index + store) and memory_io.c (export,
 * import, prune, check) are written once against these operations;
 * store_sqlite.c and store_pg.c (PostgreSQL, libpq) are the backends.
 * The table is shaped for a networked store:
 *  - every operation returns an enum jitrl_rc and leaves its detail in
 *    the store (errmsg); JITRL_ETIMEOUT / JITRL_EIO mark a failure that
 *    may pass (a busy or unreachable server), and an operation that
 *    failed changed nothing;
 *  - reading is a paged, cursor-based scan in commit order: each episode
 *    gets a commit sequence number `seq` when its transaction commits,
 *    increasing with commit order whatever its id, so "everything after
 *    cursor c" is one query and a reader never re-reads or skips;
 *  - a generation counter changes whenever rows are removed (prune), so a
 *    reader whose index was built at another generation rebuilds it
 *    instead of trusting its cursor;
 *  - rows are handed out as stored (the state is the stored JSON object
 *    text); a row the backend cannot use is still handed out, flagged with
 *    `bad`, so the caller decides whether that is fatal (open), skipped
 *    (export --skip-bad) or listed (check).
 *
 * Ownership: records passed to a scan callback are borrowed for the call.
 * Strings returned as `char **` are the caller's (jr_free).
 */
#ifndef JR_MEM_STORE_H
#define JR_MEM_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mem_store mem_store;   /* a backend's connection, opaque here */

typedef struct mem_store_cfg {
    const char *where;      /* the backend's part of the URI: a file path, a file: URI, ... */
    const char *display;    /* how messages name the store (the caller's string) */
    int read_only;
    int create;             /* create if missing (ignored when read_only) */
    int busy_timeout_ms;    /* > 0; also the per-statement budget of a networked store */
    const char *ns;         /* the namespace, NULL = none (SQLite) / "default" (PostgreSQL) */
} mem_store_cfg;

typedef struct mem_step_rec {
    int64_t id;             /* the store's step id (0 when appending: assigned) */
    const char *state;      /* JSON object text of the state's fields */
    const char *action;
    double reward, ret;
} mem_step_rec;

typedef struct mem_ep_rec {
    int64_t id;             /* episode id */
    int64_t seq;            /* commit sequence (scan only) */
    const char *task;
    double score;
    int64_t time;
    double gamma;
    size_t n_steps;
    const mem_step_rec *steps;   /* NULL with MEM_SCAN_HEADERS */
    const char *bad;        /* scan only: NULL, or why this episode's rows are unusable (a literal) */
} mem_ep_rec;

typedef struct mem_store_stats {
    size_t episodes, steps;
    double mean_score, best_score;
    int64_t first_time, last_time;
    int schema_version;
} mem_store_stats;

/* A scan callback: nonzero stops the scan and is returned by it. */
typedef int (*mem_scan_fn)(void *ctx, const mem_ep_rec *ep);
/* Called by append after the rows are written, before the commit, with the
 * ids given: nonzero rolls the append back and is returned by it. */
typedef int (*mem_precommit_fn)(void *ctx, int64_t episode_id, const int64_t *step_ids);

enum { MEM_SCAN_HEADERS = 1 };   /* episodes only: no steps (prune's ranking) */

typedef struct mem_store_ops {
    const char *name;   /* "sqlite" */
    /* Errors: JITRL_ENOTFOUND (missing and not create), JITRL_EIO,
     * JITRL_ECORRUPT (not a jitrl memory), JITRL_EUNSUPPORTED (newer
     * schema), JITRL_ENOMEM, JITRL_EDB; err gets the reason. */
    int (*open)(const mem_store_cfg *cfg, mem_store **out, char *err, size_t errlen);
    void (*close)(mem_store *s);   /* NULL is a no-op */
    const char *(*errmsg)(const mem_store *s);
    /* Metadata: small text values by key.  get: JITRL_ENOTFOUND if absent. */
    int (*meta_get)(mem_store *s, const char *key, char **value);
    int (*meta_set)(mem_store *s, const char *key, const char *value);
    /* Append one episode (ep->steps[0..n_steps), ids ignored) in one
     * transaction.  want_id > 0 asks for that episode id; a taken one gets a
     * fresh id instead (decided inside the transaction).  step_ids
     * (n_steps of them) receives the step ids before precommit runs; *id
     * and *seq the episode's id and commit sequence after the commit. */
    int (*append)(mem_store *s, const mem_ep_rec *ep, int64_t want_id, int64_t *step_ids, mem_precommit_fn pre,
                  void *ctx, int64_t *id, int64_t *seq);
    /* A consistent view across several scans (export): between read_begin
     * and read_end no commit of another writer is seen.  Nesting is not
     * supported. */
    int (*read_begin)(mem_store *s);
    void (*read_end)(mem_store *s);
    /* Hand the episodes with seq > *cursor to fn in seq order, whole, until
     * about max_steps steps were handed (at least one episode); *cursor
     * then is the last seq handed and *more says whether episodes remain. */
    int (*scan)(mem_store *s, int64_t *cursor, size_t max_steps, unsigned flags, mem_scan_fn fn, void *ctx,
                int *more);
    int (*generation)(mem_store *s, int64_t *gen);
    int (*stats)(mem_store *s, mem_store_stats *st);
    /* The storage's own consistency check: JITRL_OK or JITRL_ECORRUPT with
     * the first complaint. */
    int (*check)(mem_store *s);
    /* Remove these episodes and their steps in one transaction, bump the
     * generation and give the space back where the backend can. */
    int (*remove)(mem_store *s, const int64_t *ids, size_t n, size_t *removed);
    /* Is the store reachable?  JITRL_OK, or JITRL_EIO with the reason. */
    int (*ping)(mem_store *s);
    /* Optional: wait up to timeout_ms for another writer's commit (JITRL_OK
     * whether or not one came; JITRL_EIO if the store cannot be watched).
     * Unlike every other operation it may run beside them, from another
     * thread, without the handle's writer lock. */
    int (*wait)(mem_store *s, int timeout_ms);
    /* Optional, when wait is NULL: a token that changes when another
     * connection commits (SQLite's data_version); cheap enough to poll. */
    int (*changed)(mem_store *s, int64_t *token);
} mem_store_ops;

extern const mem_store_ops mem_store_sqlite;
extern const mem_store_ops mem_store_pg;

#endif
