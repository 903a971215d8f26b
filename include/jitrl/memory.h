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
 * Persistence: one SQLite file in WAL mode, schema versioned (user_version),
 * one transaction per episode, a busy timeout so many reader processes and
 * one writer work side by side.  Reopening restores everything: the
 * retrieval index lives in RAM and is rebuilt from the file at open.
 * A NULL or ":memory:" path gives a store that lives in RAM only.
 *
 * Ownership: inputs are copied; the caller's strings may be freed once a
 * call returns.  A returned `const char *` is borrowed until the next call on
 * the same handle.  A returned `char *` is the caller's (free with free()).
 * Every fallible call returns an enum jitrl_rc; jitrl_memory_errmsg() then
 * says why, and the memory is unchanged (an episode is added whole or not
 * at all).  One handle must not be used from two threads at once.
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
    /* The similarity fields; n_fields == 0 means the paper's text-game
     * default: current 4-grams weight 0.7, history 1-grams weight 0.3. */
    jitrl_field_spec fields[JITRL_MAX_FIELDS];
    size_t n_fields;
    int read_only;        /* open the file read-only (it must exist) */
    int create;           /* create the file if missing (ignored when read_only) */
    int busy_timeout_ms;  /* wait this long for another process's lock; 0 = 10000 */
} jitrl_memory_options;

/* Fill *opt with the defaults: text-game fields, create = 1, read-write.
 * Cannot fail. */
JITRL_API void jitrl_memory_options_default(jitrl_memory_options *opt);

/* Open (or create) a memory.  path NULL or ":memory:" = in RAM only.
 * opt NULL = defaults.  Errors: JITRL_ENOTFOUND (missing file and not
 * create), JITRL_EIO (unreadable / read-only file opened for writing),
 * JITRL_ECORRUPT (not a jitrl memory, bad rows, failed integrity),
 * JITRL_EUNSUPPORTED (a newer schema version), JITRL_EDB, JITRL_ENOMEM,
 * JITRL_EINVAL.  On error *out is NULL and, if errmsg is non-NULL, a
 * message is written to errmsg[0..errlen). */
JITRL_API int jitrl_memory_open(const char *path, const jitrl_memory_options *opt, jitrl_memory **out,
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

/* Pick up episodes other processes appended since open or the last
 * refresh (readers beside a writer): those with an id above the highest
 * indexed one.  Episodes another process imported under lower ids, or
 * pruned, are seen after a reopen.  Errors: JITRL_EDB, JITRL_ENOMEM,
 * JITRL_ECORRUPT (a bad row), JITRL_ESTATE (the index was lost by an
 * earlier failed prune: reopen).  After a failure the index holds whole
 * episodes only, and a later refresh picks up exactly the rest. */
JITRL_API int jitrl_memory_refresh(jitrl_memory *mem);

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

/* Export every episode, oldest first, as JSON Lines (one episode per line,
 * with its steps, returns and metadata) to the stdio FILE *f (void * to keep
 * <stdio.h> out of this header).  Export -> import into an empty memory ->
 * export is byte-identical.  Errors: JITRL_EINVAL, JITRL_EIO, JITRL_EDB,
 * JITRL_ENOMEM; the memory is unchanged, but f may hold the whole lines
 * written before the failure.  The caller opens and closes f. */
JITRL_API int jitrl_memory_export(jitrl_memory *mem, void *f);

/* Import JSON Lines as written by export.  Each line is one episode in its
 * own transaction; its id is kept when positive and free, else a new one
 * is given.  Stored returns are taken as written; blank lines are skipped.
 * Stops at the first failing line, its number in errmsg: JITRL_EPARSE (not
 * an episode), JITRL_EIO (read error), JITRL_ETOOBIG (a line over
 * 256 MiB), or an add_episode error (JITRL_ESTATE read-only, JITRL_EDB,
 * JITRL_ENOMEM).  Lines before it stay imported, the failing one is not:
 * *n_imported (if non-NULL) counts the episodes added either way. */
JITRL_API int jitrl_memory_import(jitrl_memory *mem, void *f, size_t *n_imported);

/* Prune: drop episodes older than max_age_s seconds (relative to `now`,
 * 0 = the current time; max_age_s <= 0 = no age limit), then, if more than
 * keep_count remain (0 = no limit), keep the keep_count best by score (ties:
 * newer first).  *n_removed (if non-NULL) gets the number dropped.  The
 * index is rebuilt.  Errors: JITRL_ESTATE (read-only), JITRL_EDB (nothing
 * removed), JITRL_ENOMEM.  If only the index rebuild fails, the episodes
 * are gone from the file and the handle refuses add, decide and refresh
 * with JITRL_ESTATE until reopened. */
JITRL_API int jitrl_memory_prune(jitrl_memory *mem, int64_t max_age_s, size_t keep_count, int64_t now,
                       size_t *n_removed);

/* PRAGMA integrity_check: JITRL_OK, or JITRL_ECORRUPT with the first
 * complaint in errmsg, or JITRL_EDB if the check itself cannot run.
 * Changes nothing. */
JITRL_API int jitrl_memory_check(jitrl_memory *mem);

#ifdef __cplusplus
}
#endif
#endif
