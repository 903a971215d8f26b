/*
 * memory_int.h -- private to src/memory/: the jitrl_memory handle (a RAM
 * index over a store, store.h) and the helpers memory.c and memory_io.c
 * share.
 */
#ifndef JR_MEMORY_INT_H
#define JR_MEMORY_INT_H

#include <jansson.h>
#include <pthread.h>

#include "engine/mem_int.h"
#include "memory/store.h"

/* The handle's locks (query.c): ix guards the RAM index and what it was
 * built from (read: decisions; write: add, refresh, import, prune); wr
 * serialises the writing and store-reading calls (the store connection,
 * err, sbuf); the pool holds idle queries for jitrl_decide_json. */
typedef struct mem_sync {
    pthread_rwlock_t ix;
    pthread_mutex_t wr, pool_lock;
    struct jitrl_query *pool;
    int ok;
} mem_sync;

int mem_sync_init(mem_sync *s);
void mem_sync_free(mem_sync *s);   /* a zeroed s is fine */
void mem_write_begin(jitrl_memory *mem);
void mem_write_end(jitrl_memory *mem);
void mem_ix_rdlock(jitrl_memory *mem);
void mem_ix_wrlock(jitrl_memory *mem);
void mem_ix_unlock(jitrl_memory *mem);

struct jitrl_memory {
    mem_sync sync;
    /* the store: the truth, shared with other handles and processes */
    const mem_store_ops *ops;
    mem_store *st;
    char *name;                /* the path or URI as opened, for messages */
    int read_only;
    int indexed;               /* 0: opened with no_index (no index is kept) */
    char err[512];
    /* The RAM index and what it was built from.  Decisions read only
     * these fields (through mem_memory_index), under sync.ix read-locked;
     * add, refresh and prune change them with it write-locked. */
    jitrl_field_spec spec[JITRL_MAX_FIELDS];   /* names point into ix.names */
    size_t n_spec;
    mem_index ix;
    int ix_ok;                 /* 0 after a failed rebuild: decide/add refuse */
    int64_t cursor;            /* commit sequence (seq) of the last episode read; 0 = none */
    int64_t *own;              /* seqs above cursor of our own appends (indexed already), ascending */
    size_t n_own, cap_own;
    int64_t generation;        /* the store's generation the index was built at */
    int64_t sync_token;        /* jitrl_memory_sync on a polled store: its change token at the last refresh */
    int sync_known;
    /* scratch of the add path: the state JSON texts being appended */
    jr_buf sbuf;
    /* set by mem_add_episode_keyed for one append (under the write lock):
     * the metadata key recording its episode_key, written in the append's
     * own transaction */
    const char *key_meta;
};

/* mem->err from the store's last failure, after `what` (may be NULL). */
int mem_store_fail(jitrl_memory *mem, int rc, const char *what);
/* Parse a stored state (JSON object text) into fields[0..*n) (pointing
 * into *js, which the caller json_decref's).  JITRL_ECORRUPT if it is not
 * an object of strings. */
int mem_parse_state(const char *text, json_t **js, jitrl_field *fields, size_t cap, size_t *n);
/* Why a scanned episode cannot be used (the backend's flag, or a state
 * that is not a JSON object of strings), NULL if it can. */
const char *mem_episode_problem(const mem_ep_rec *ep);
/* Rebuild the index from the store (after prune, or when another handle
 * pruned).  On failure the handle refuses decisions until reopened. */
int mem_rebuild(jitrl_memory *mem);
const char *mem_clean_text(const char *s, char **tmp);
/* Insert one episode with the given returns, in one transaction, and index
 * it.  want_id > 0 asks for that episode id (kept if free). */
int mem_insert_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                       double gamma, const double *ret, int64_t want_id, int64_t *episode_id);

#endif
