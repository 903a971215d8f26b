/*
 * memory.h -- the episodic memory of JitRL: episodes of (state, action,
 * reward, return) steps, persisted in SQLite and indexed in RAM for
 * similarity retrieval.
 *
 * The engine knows nothing of games or models.  A state is a list of named
 * text fields (for text games: "current" = location, inventory, visible
 * objects; "history" = recent actions).  Similarity between two states is a
 * weighted sum over the configured fields of the Jaccard similarity of
 * their token n-gram sets (jitrl_field_spec).
 *
 * Persistence: a store named by a path or URI: SQLite (a file in WAL
 * mode, schema versioned, one transaction per episode, a busy timeout so
 * many reader processes and one writer work side by side) or PostgreSQL
 * (one database shared by a fleet of processes, many namespaces in it,
 * jitrl_memory_sync to pick up each other's episodes).  Reopening restores everything: the retrieval index lives
 * in RAM and is rebuilt from the store at open.  A NULL or ":memory:" path
 * gives a store that lives in RAM only.  The field spec a memory was
 * created with is stored in it, and opening it with another is an error.
 *
 * Ownership: inputs are copied; the caller's strings may be freed once a
 * call returns.  A returned `const char *` is borrowed until the next call on
 * the same handle.  A returned `char *` is the caller's (free with free()).
 * Every fallible call returns an enum jitrl_rc; jitrl_memory_errmsg() then
 * says why, and the memory is unchanged (an episode is added whole or not
 * at all).
 *
 * Threads: any number of threads may decide on one handle through query
 * handles (jitrl_query_open, policy.h) or jitrl_decide_json, while other
 * threads add, import, refresh or prune; those writing calls take turns
 * (a mutex), and each decision sees whole episodes only.  The handle's
 * message belongs to the writing calls and to jitrl_decide, which keeps
 * its scratch on the handle: call jitrl_decide from one thread at a time.
 */
#ifndef JITRL_MEMORY_H
#define JITRL_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_memory jitrl_memory;

/* One named text field of a state, e.g. {"current", "Kitchen. You have a lamp."}. */
typedef struct jitrl_field {
    const char *name;
    const char *text;
} jitrl_field;

typedef struct jitrl_state {
    const jitrl_field *fields;
    size_t n_fields;
} jitrl_state;

/* One step of an episode: the state seen, the action taken, the reward
 * received right after it. */
typedef struct jitrl_step {
    jitrl_state state;
    const char *action;
    double reward;
} jitrl_step;

typedef struct jitrl_episode_info {
    const char *task;   /* game or task id; NULL = "" */
    double score;       /* final score of the episode */
    int64_t time;       /* unix seconds; 0 = now */
} jitrl_episode_info;

/* How one field enters the similarity: token n-grams of size `ngram`,
 * Jaccard, times `weight`.  Fields a state has but no spec names are stored
 * but do not count; a spec'd field a state lacks counts as empty text. */
typedef struct jitrl_field_spec {
    const char *name;
    int ngram;        /* >= 1 */
    double weight;    /* >= 0; weights need not sum to 1 */
} jitrl_field_spec;

#define JITRL_MAX_FIELDS 8

typedef struct jitrl_memory_options {
    size_t size;          /* sizeof the struct the caller was built with: set by _init */
    /* The similarity fields.  n_fields == 0 means "as the memory was
     * created" (inspection tools), or for a new memory the paper's
     * text-game default: current 4-grams weight 0.7, history 1-grams
     * weight 0.3.  A memory stores its spec; opening it with a different
     * one fails (JITRL_EINVAL), as it would change what "similar" means. */
    jitrl_field_spec fields[JITRL_MAX_FIELDS];
    size_t n_fields;
    int read_only;        /* open the file read-only (it must exist) */
    int create;           /* create the file if missing (ignored when read_only) */
    int busy_timeout_ms;  /* wait this long for another process's lock; 0 = 10000 */
    /* Do not build the retrieval index (tools that export, import, check
     * or prune): open reads no episode, rows it could not index do not
     * stop it, decide refuses, refresh does nothing; episodes added are
     * stored but not indexed. */
    int no_index;
    /* The namespace (NULL = none): on PostgreSQL one database holds many,
     * each a memory of its own (NULL = "default"); a SQLite file holds one,
     * stored in it when first opened with one, and opening it as another is
     * an error naming both.  1..JITRL_MAX_NAMESPACE bytes of UTF-8, any
     * text (it is only ever a parameter value). */
    const char *ns;
} jitrl_memory_options;

#define JITRL_MAX_NAMESPACE 256

/* Fill *opt with the defaults: size, text-game fields (n_fields 2),
 * create = 1, read-write.  Cannot fail. */
JITRL_API void jitrl_memory_options_init(jitrl_memory_options *opt);

/* Open (or create) a memory.  `uri` picks the store:
 *   NULL or ":memory:"      in RAM only;
 *   a plain path, sqlite:PATH, or a SQLite file: URI   a SQLite file;
 *   postgres://... or postgresql://...   a PostgreSQL database (a libpq URI:
 *                           user, password, host, port, dbname, options);
 *                           busy_timeout_ms is then also every statement's
 *                           budget, and a lost connection is JITRL_EIO and
 *                           reopened by the next call.
 * opt NULL = defaults (jitrl_memory_options_init).  Errors:
 * JITRL_ENOTFOUND (missing file and not create), JITRL_EIO (unreadable /
 * read-only file opened for writing), JITRL_ECORRUPT (not a jitrl memory,
 * bad rows, failed integrity), JITRL_EUNSUPPORTED (a newer schema version,
 * a backend not built), JITRL_EINVAL (bad options, an unknown scheme, or a
 * field spec other than the one the memory was created with: the message
 * names both), JITRL_ETIMEOUT (the store stayed busy), JITRL_EDB,
 * JITRL_ENOMEM.  On error *out is NULL and, if errmsg is non-NULL, a
 * message is written to errmsg[0..errlen). */
JITRL_API int jitrl_memory_open(const char *uri, const jitrl_memory_options *opt, jitrl_memory **out,
                      char *errmsg, size_t errlen);
JITRL_API void jitrl_memory_close(jitrl_memory *mem);   /* NULL is a no-op */

/* The detail message of the last failure on this handle ("" if none).
 * Borrowed: valid until the next call on the handle. */
JITRL_API const char *jitrl_memory_errmsg(const jitrl_memory *mem);

/* Discounted returns, exactly: ret[t] = sum_{u>=t} gamma^(u-t) * rewards[u].
 * ret may alias rewards.  Cannot fail; touches no memory handle. */
JITRL_API void jitrl_returns(const double *rewards, size_t n, double gamma, double *ret);

/* Append one episode: computes the returns with gamma, stores everything in
 * one transaction, and indexes the steps for retrieval.  n may be 0 (an
 * episode with no steps is still recorded).  On success *episode_id (if
 * non-NULL) receives its id.  Errors: JITRL_EINVAL (NULL action, gamma
 * outside [0,1], non-finite reward), JITRL_ESTATE (read-only), JITRL_EDB
 * (e.g. the disk is full; the file is unchanged), JITRL_ENOMEM. */
JITRL_API int jitrl_memory_add_episode(jitrl_memory *mem, const jitrl_episode_info *info,
                             const jitrl_step *steps, size_t n, double gamma,
                             int64_t *episode_id);

/* Pick up episodes other handles or processes committed since open or the
 * last refresh (readers beside a writer), in commit order whatever their
 * ids.  If another handle pruned meanwhile, the index is rebuilt from the
 * store.  Errors: JITRL_EDB, JITRL_ETIMEOUT, JITRL_ENOMEM,
 * JITRL_ECORRUPT (a bad row), JITRL_ESTATE (the index was lost by an
 * earlier failed prune: reopen).  After a failure the index holds whole
 * episodes only, and a later refresh picks up exactly the rest.  The store
 * is read with no index lock held: decisions wait only while a page read
 * is indexed, never for the store. */
JITRL_API int jitrl_memory_refresh(jitrl_memory *mem);

/* Wait up to timeout_ms (0..3600000) for another handle's or process's
 * commit -- woken at once by PostgreSQL's NOTIFY, a cheap poll of the
 * file's change counter on SQLite -- then refresh.  JITRL_OK whether or not
 * something came; else a refresh error (JITRL_EIO when the store is
 * unreachable, after the full wait, so a loop of syncs never spins).  The
 * wait holds no lock: decisions and adds go on meanwhile. */
JITRL_API int jitrl_memory_sync(jitrl_memory *mem, int timeout_ms);

/* Is the store reachable now?  JITRL_OK, else JITRL_EIO with the reason in
 * jitrl_memory_errmsg. */
JITRL_API int jitrl_memory_ping(jitrl_memory *mem);

typedef struct jitrl_memory_stats {
    size_t episodes;
    size_t steps;
    size_t distinct_states;    /* distinct similarity keys in the index */
    size_t distinct_actions;
    double mean_score, best_score;
    int64_t first_time, last_time;
    int schema_version;
    size_t index_bytes;        /* RAM held by the retrieval index (approximate) */
} jitrl_memory_stats;

/* Fill *st (zeroed first).  Errors: JITRL_EINVAL (NULL argument),
 * JITRL_EDB; the index figures are filled even then.  Changes nothing. */
JITRL_API int jitrl_memory_stats_get(jitrl_memory *mem, jitrl_memory_stats *st);

/* Where export writes: n bytes at buf.  Returns 0 when all were written,
 * else an errno value (ENOSPC ...) that the error message will name, or -1. */
typedef int (*jitrl_write_fn)(void *ctx, const char *buf, size_t n);
/* Where import reads: up to cap bytes into buf, their count in *got (0 at
 * the end).  Returns 0, or an errno value (or -1) on a read error. */
typedef int (*jitrl_read_fn)(void *ctx, char *buf, size_t cap, size_t *got);

/* Leave out episodes whose rows are unusable (a non-numeric score, a
 * state that is not JSON ...) instead of failing on the first one. */
#define JITRL_EXPORT_SKIP_BAD 1u

/* Export every episode, in commit order, as JSON Lines (one episode per
 * line, with its steps, returns and metadata) through write(ctx, ...).
 * Export -> import into an empty memory -> export is byte-identical.
 * flags: 0 or JITRL_EXPORT_SKIP_BAD; *n_skipped (if non-NULL) counts the
 * episodes left out.  Errors: JITRL_EINVAL, JITRL_EIO (the writer failed:
 * the message names its errno), JITRL_ECORRUPT (a bad episode, without
 * SKIP_BAD: the message names it), JITRL_EDB, JITRL_ENOMEM; the memory is
 * unchanged, but the writer may have taken the whole lines before the
 * failure. */
JITRL_API int jitrl_memory_export_cb(jitrl_memory *mem, jitrl_write_fn write, void *ctx, unsigned flags,
                                     size_t *n_skipped);
/* The same into the file at path (created or truncated; "-" is not a
 * path here: a program writes stdout through export_cb).  Write and close
 * failures are JITRL_EIO naming the path and the reason. */
JITRL_API int jitrl_memory_export(jitrl_memory *mem, const char *path, unsigned flags, size_t *n_skipped);

/* Import JSON Lines as written by export, through read(ctx, ...).  Each
 * line is one episode in its own transaction; its id is kept when
 * positive and free, else a new one is given.  Stored returns are taken as
 * written; blank lines are skipped and a "\r" before the newline is
 * dropped.  Stops at the first failing line, its number in errmsg:
 * JITRL_EPARSE (not an episode), JITRL_EIO (read error), JITRL_ETOOBIG (a
 * line over 256 MiB), or an add_episode error (JITRL_ESTATE read-only,
 * JITRL_EDB, JITRL_ENOMEM).  Lines before it stay imported, the failing
 * one is not: *n_imported (if non-NULL) counts the episodes added either
 * way. */
JITRL_API int jitrl_memory_import_cb(jitrl_memory *mem, jitrl_read_fn read, void *ctx, size_t *n_imported);
/* The same from the file at path ("-" is not a path here); errmsg starts
 * with the path.  A missing file is JITRL_ENOTFOUND. */
JITRL_API int jitrl_memory_import(jitrl_memory *mem, const char *path, size_t *n_imported);

/* The final scores of the stored episodes of `task` (NULL = every task),
 * in the order export writes them (commit order), read from the episodes'
 * headers only -- no steps, no state text -- so resuming a run costs one
 * double per episode whatever the memory holds.  *scores (NULL when *n is
 * 0) is the caller's: free it with jitrl_free().  Errors: JITRL_EINVAL,
 * JITRL_ECORRUPT (a bad episode row of that task, named in errmsg),
 * JITRL_ENOMEM, the store's (JITRL_EDB, JITRL_EIO, JITRL_ETIMEOUT); then
 * *scores is NULL and *n 0.  Changes nothing. */
JITRL_API int jitrl_memory_scores(jitrl_memory *mem, const char *task, double **scores, size_t *n);

/* Prune: drop episodes older than max_age_s seconds (relative to `now`,
 * 0 = the current time; max_age_s <= 0 = no age limit), then, if more than
 * keep_count remain (0 = no limit), keep the keep_count best by score (ties:
 * newer first, then the higher id).  Episodes another writer commits while
 * prune runs are kept.  The freed space goes back to the file system where
 * the store can.  *n_removed (if non-NULL) gets the number dropped.  The
 * index is rebuilt, and other handles rebuild theirs at their next
 * refresh.  Errors: JITRL_ESTATE (read-only), JITRL_EDB (nothing
 * removed), JITRL_ENOMEM.  If only the index rebuild fails, the episodes
 * are gone from the store while the index still holds them, until a later
 * refresh rebuilds it. */
JITRL_API int jitrl_memory_prune(jitrl_memory *mem, int64_t max_age_s, size_t keep_count, int64_t now,
                       size_t *n_removed);

/* The store's own check (SQLite: PRAGMA integrity_check), then every row:
 * JITRL_OK, or JITRL_ECORRUPT with the complaint, or the bad episodes by id
 * and reason (the first ten), in errmsg; JITRL_EDB if the check itself
 * cannot run.  Changes nothing. */
JITRL_API int jitrl_memory_check(jitrl_memory *mem);

#ifdef __cplusplus
}
#endif
#endif
