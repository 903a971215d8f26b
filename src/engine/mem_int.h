/*
 * mem_int.h -- private header of the engine (memory store, retrieval
 * index, estimators, policy).  Nothing outside src/memory/, src/engine/index.c,
 * src/engine/shingle.c, src/engine/retrieve.c, src/engine/estimate.c, src/engine/policy.c and
 * src/engine/trace.c includes it; the rest of the library uses the public
 * headers plus src/engine/mem.h.
 *
 * The shape, in one paragraph: SQLite holds the truth (episodes, steps,
 * state texts, returns).  The RAM index holds, per similarity field, the
 * distinct shingle sets ("sets", interned); a "key" is a tuple of set ids,
 * one per field, i.e. one distinct state as similarity sees it.  Steps
 * point to their key, keys keep their steps (oldest first) and per-action
 * aggregates.  The primary field (largest weight) has an inverted index
 * shingle -> set ids, and each primary set lists the keys built on it.
 * Grouping identical states makes repeated states (the common case in
 * games) cost nothing extra at query time.
 */
#ifndef JR_MEM_INT_H
#define JR_MEM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "jitrl/memory.h"
#include "jitrl/policy.h"

#define MEM_NONE UINT32_MAX

/* ---- index.c, shared by the engine's files ---- */

/* Grow the array *p of `size`-byte elements to hold at least `need`
 * (capacity doubling from 16).  On JITRL_ENOMEM *p and *cap are
 * unchanged and still valid. */
int mem_grow(void **p, size_t *cap, size_t need, size_t size);
/* Grow a pair of per-id scratch arrays -- generation stamps (new entries
 * zeroed) and a value per id -- to hold at least `need` ids (50% slack).
 * On JITRL_ENOMEM *cap is unchanged and both arrays stay valid. */
int mem_scratch_grow(uint32_t **stamp, uint32_t **val, size_t *cap, size_t need);

/* ---- shingle.c: token n-grams as sorted unique 64-bit hashes ---- */

/* The work per field is bounded: shingles come from at most the first
 * MEM_SHINGLE_MAX_BYTES bytes of a text and its first MEM_SHINGLE_MAX_TOKENS
 * tokens (the rest is ignored for similarity).  A game state is a few
 * hundred tokens; 64 Ki tokens (about 0.5 MB of prose) leaves any real
 * state whole while a 256 MiB line costs a scan of 1 MiB, a radix sort of
 * 64 Ki hashes, and at most 512 KiB of shingles per field. */
#define MEM_SHINGLE_MAX_BYTES ((size_t)1 << 20)
#define MEM_SHINGLE_MAX_TOKENS ((size_t)1 << 16)
/* Shingle `text` into a fresh sorted unique array *h (jr_malloc; NULL when
 * *n == 0).  Returns JITRL_OK or JITRL_ENOMEM. */
int mem_shingle(const char *text, int ngram, uint64_t **h, uint32_t *n);
/* The same into buf when it fits (then *h == buf), else a fresh array. */
int mem_shingle_buf(const char *text, int ngram, uint64_t *buf, size_t bufcap, uint64_t **h, uint32_t *n);
/* Jaccard of two sorted unique arrays; two empty sets are identical (1). */
double mem_jaccard(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb);
/* As mem_jaccard but gives up (returns -1) as soon as the result must be
 * below `min`. */
double mem_jaccard_min(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb, double min);
uint64_t mem_hash_bytes(const void *p, size_t n, uint64_t seed);

/* ---- index.c: the RAM index ---- */

/* Open addressing over uint32 ids; the 64-bit digest of each id lives in
 * an array owned by the table's user. */
typedef struct mem_htab {
    uint32_t *slot;
    size_t mask;   /* capacity - 1; capacity is a power of two (0 = unallocated) */
    size_t n;
} mem_htab;

#define MEM_PARTS 32
typedef struct mem_set {
    uint64_t *h;          /* sorted unique shingle hashes */
    uint32_t n;
    uint64_t bm;          /* 64-bit token bitmap: bit (hash*K + field) >> 58 */
    uint32_t *keys;       /* primary field only: keys built on this set */
    uint64_t *kbm;        /* ... and per key the OR of its other fields' bitmaps */
    uint32_t n_keys, cap_keys;
    uint8_t posted;       /* primary field only: all postings written */
} mem_set;

typedef struct mem_pool {     /* the interned sets of one field */
    mem_set *sets;
    uint16_t *psig;           /* primary field: MEM_PARTS partition signatures per set
                                 (low 16 bits), one cache line each */
    uint64_t *digest;
    size_t n, cap;
    mem_htab tab;
} mem_pool;

typedef struct mem_posting {
    uint32_t *ids;
    struct mem_fp_t *fp;  /* partition postings: each set's fingerprint (see mem_fp) */
    uint32_t n, cap;
} mem_posting;

typedef struct mem_astat {    /* per key and action: count and sum of returns */
    uint32_t action;
    uint32_t count;
    double sum_ret;
} mem_astat;

typedef struct mem_key {
    uint32_t *steps;      /* internal step indices, oldest first */
    uint32_t n_steps, cap_steps, n_res;
    mem_astat *acts;
    uint32_t n_acts, cap_acts;
    uint8_t linked;       /* listed in its primary set's keys */
} mem_key;

typedef struct mem_step {
    int64_t id, episode;
    double ret;
    uint32_t key, action;
} mem_step;

/* What one query writes while it reads the index: stamps that mark the
 * sets and actions it has seen (a generation number per query, so nothing
 * is cleared between queries).  Kept out of the index so that the index is
 * read-only during a decision and many threads may decide at once, each
 * with its own scratch (src/memory's query handles). */
typedef struct mem_scratch {
    uint32_t *stamp;              /* per primary set: last query that saw it */
    uint32_t *count;              /* per primary set: postings it was found in */
    size_t cap_stamp;
    uint32_t query_no;
    uint32_t *act_stamp, *act_pos;  /* per action: last decision that saw it, its slot */
    size_t cap_act;
    uint32_t act_query;
} mem_scratch;
void mem_scratch_free(mem_scratch *s);

typedef struct mem_index {
    size_t n_fields;
    char *names[JITRL_MAX_FIELDS];
    int ngram[JITRL_MAX_FIELDS];
    double w[JITRL_MAX_FIELDS];   /* normalised to sum 1 */
    size_t primary;
    mem_pool pool[JITRL_MAX_FIELDS];
    /* primary field inverted index: shingle hash -> posting (built on
     * first need, see mem_index_need_shingles) */
    int shingles_on;
    size_t shingles_next;
    mem_posting *post;
    uint64_t *post_h;
    size_t n_post, cap_post;
    mem_htab post_tab;
    /* primary field partition index: signature of the shingles whose top
     * bits select partition j -> sets (see retrieve.c) */
    mem_posting *part;
    size_t n_part, cap_part;
    struct mem_pslot *pslot;      /* open addressing, key inline: one cache miss */
    size_t pmask, pcount;
    /* keys */
    mem_key *keys;
    uint32_t *key_sets;           /* n_keys * n_fields */
    uint64_t *key_digest;
    size_t n_keys, cap_keys;
    mem_htab key_tab;
    /* actions */
    char **act;
    uint64_t *act_digest;
    size_t n_act, cap_act;
    mem_htab act_tab;
    /* steps */
    mem_step *steps;
    size_t n_steps, cap_steps;
    double ret_absmax;            /* largest |G| ever committed (G_max of the UCB bonus) */
    /* pending steps between begin and commit */
    mem_step *pend;
    size_t n_pend, cap_pend;
    /* the scratch of jitrl_decide (single-threaded callers); query
     * handles bring their own */
    mem_scratch own;
} mem_index;

int mem_index_init(mem_index *ix, const jitrl_field_spec *fields, size_t n_fields);
void mem_index_free(mem_index *ix);
/* Adding steps is two-phase so a failure leaves the index as it was:
 * begin, prepare each step (may fail: then abort), then commit (cannot
 * fail).  Interned sets, keys and actions left over by an abort are
 * harmless: they hold no steps. */
void mem_index_begin(mem_index *ix);
int mem_index_prepare(mem_index *ix, const jitrl_state *st, const char *action, double ret,
                      int64_t step_id, int64_t episode_id);
void mem_index_commit(mem_index *ix);
void mem_index_abort(mem_index *ix);
/* A set's partition fingerprint: 4 bits of each of the 32 fine
 * signatures, in two words.  Two sets whose fine partitions differ in at
 * most d places differ in at most d of these 4-bit codes (mem_fp_diff), so
 * the check never loses a neighbour, and it lives inline in the posting
 * lists (no random access per entry). */
typedef struct mem_fp_t { uint64_t w[2]; } mem_fp_t;
static inline mem_fp_t mem_fp(const uint16_t *psig)
{
    mem_fp_t fp = {{0, 0}};
    for (unsigned j = 0; j < 32; j++) fp.w[j >> 4] |= (uint64_t)(psig[j] & 15) << (4 * (j & 15));
    return fp;
}
static inline uint32_t mem_fp_diff(const mem_fp_t *a, const mem_fp_t *b)
{
    uint64_t z0 = a->w[0] ^ b->w[0], z1 = a->w[1] ^ b->w[1];
    z0 = (z0 | (z0 >> 1) | (z0 >> 2) | (z0 >> 3)) & 0x1111111111111111ULL;
    z1 = (z1 | (z1 >> 1) | (z1 >> 2) | (z1 >> 3)) & 0x1111111111111111ULL;
    /* 16 nibble flags per word: sum them with a byte-wise popcount */
    uint64_t c = z0 + z1;   /* each nibble now 0..2 */
    c = (c & 0x0f0f0f0f0f0f0f0fULL) + ((c >> 4) & 0x0f0f0f0f0f0f0f0fULL);
    return (uint32_t)((c * 0x0101010101010101ULL) >> 56);
}
/* Bit of one shingle hash of field f in a set's bitmap. */
static inline uint64_t mem_bit(uint64_t h, size_t f)
{
    return (uint64_t)1 << (((h + f) * 0x9e3779b97f4a7c15ULL) >> 58);
}
/* Partition levels that are posted: 2^bits groups for bits in
 * [MEM_LEVEL_MIN, MEM_LEVEL_MAX]; the finest (MEM_PARTS = 2^5) is also kept
 * per set in psig for counting. */
#define MEM_LEVEL_MIN 4
#define MEM_LEVEL_MAX 5
/* The signature of partition j of 2^bits of a sorted set and (if len) how
 * many of its hashes fall there.  Partition j = the hashes whose top bits
 * are j,
 * a contiguous run of the sorted array. */
uint64_t mem_part_sig(const uint64_t *h, uint32_t n, unsigned bits, unsigned j, uint32_t *len);
/* A partition posting's slot: its signature, id and length side by side,
 * so a query learns every list's length with one memory access each. */
typedef struct mem_pslot {
    uint64_t key;
    uint32_t pid;     /* MEM_NONE = empty slot */
    uint32_t len;
} mem_pslot;
const mem_pslot *mem_index_part(const mem_index *ix, uint64_t sig);
/* Make sure the per-shingle postings exist (built lazily). */
int mem_index_need_shingles(mem_index *ix);
/* The posting of a primary-field shingle, NULL if no set has it. */
const mem_posting *mem_index_posting(const mem_index *ix, uint64_t h);
/* Action id of a name, MEM_NONE when memory never saw it. */
uint32_t mem_index_action(const mem_index *ix, const char *name);
size_t mem_index_bytes(const mem_index *ix);

/* Shared by index.c and retrieve.c: the n-gram sets of a state, per field. */
typedef struct mem_query {
    uint64_t *h[JITRL_MAX_FIELDS];
    uint32_t n[JITRL_MAX_FIELDS];
} mem_query;
int mem_query_make(const mem_index *ix, const jitrl_state *st, mem_query *q);
void mem_query_free(mem_query *q);

/* ---- retrieve.c: neighbours ---- */

typedef struct mem_hit {       /* one selected key and how many of its steps */
    uint32_t key;
    uint32_t take;             /* its `take` most recent steps are neighbours */
    double sim;
} mem_hit;

typedef struct mem_result {
    mem_hit *hits;
    size_t n_hits, cap_hits;
    size_t n_neighbours;
    size_t scored;             /* distinct keys whose similarity was computed */
} mem_result;

/* A private return code of mem_retrieve and mem_decide (never returned
 * by the public API): the query needs the lazily built shingle postings,
 * which may_build forbade creating; build them with
 * mem_index_need_shingles under exclusive access and ask again. */
#define MEM_ENEED_SHINGLES 100

/* Retrieve the neighbour set N(s) under p (threshold, k, keep_above,
 * exact), marking what it sees in sc.  The index is only read, except that
 * with may_build the shingle postings are built on first need. */
int mem_retrieve(mem_index *ix, mem_scratch *sc, int may_build, const jitrl_params *p, const jitrl_state *st,
                 mem_result *r);
void mem_result_free(mem_result *r);

/* ---- estimate.c: V, Q, A over the neighbours; candidate augmentation ---- */

typedef struct mem_estimate {
    size_t n_actions, n_candidates;
    uint32_t *mem_action;     /* per action: memory action id or MEM_NONE */
    const char **name;        /* per action: borrowed (caller's or memory's) */
    double *logit, *q, *adv, *adv_norm;
    int *qsource;
    double v;
    size_t cap;
} mem_estimate;

int mem_estimate_run(const mem_index *ix, mem_scratch *sc, const mem_result *r, const jitrl_params *p,
                     const char *const *cand, const double *logits, size_t n, jitrl_rng *rng,
                     mem_estimate *e);
void mem_estimate_free(mem_estimate *e);

/* ---- policy.c: one decision on an index ---- */

/* jitrl_decide on an index with the given scratch; a failure's detail goes
 * to err[0..errlen) (never to a shared handle).  may_build: see
 * mem_retrieve (then MEM_ENEED_SHINGLES may come back, before rng was
 * used).  The index's step count at the time is recorded in the decision. */
int mem_decide(mem_index *ix, mem_scratch *sc, int may_build, const jitrl_params *p, const jitrl_state *st,
               const char *const *cand, const double *logits, size_t n, jitrl_rng *rng, char *err, size_t errlen,
               jitrl_decision **out);

/* ---- memory.c, query.c ---- */
mem_index *mem_memory_index(jitrl_memory *mem);
/* A decision on mem under its read lock (building the lazy postings under
 * the write lock when needed), with the scratch sc (NULL: the index's own,
 * for jitrl_decide) and the detail of a failure in err. */
int mem_memory_decide(jitrl_memory *mem, mem_scratch *sc, const jitrl_params *p, const jitrl_state *st,
                      const char *const *cand, const double *logits, size_t n, jitrl_rng *rng, char *err,
                      size_t errlen, jitrl_decision **out);
/* The same with a query borrowed from the memory's pool. */
int mem_pool_decide(jitrl_memory *mem, const jitrl_params *p, const jitrl_state *st, const char *const *cand,
                    const double *logits, size_t n, jitrl_rng *rng, char *err, size_t errlen, jitrl_decision **out);
/* jitrl_memory_add_episode with the detail of a failure in err; the
 * handle's own message is left as it was. */
int mem_add_episode_err(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                        double gamma, int64_t *episode_id, char *err, size_t errlen);
/* As mem_add_episode_err, idempotent by key: the first call with a key
 * stores the episode and, in the same transaction, the key (store
 * metadata "episode_key:KEY" -> id); a later call with that key stores
 * nothing and answers the first one's id with *replayed = 1.  The key
 * outlives a prune of its episode.  Needs an indexed memory. */
int mem_add_episode_keyed(jitrl_memory *mem, const char *key, const jitrl_episode_info *info,
                          const jitrl_step *steps, size_t n, double gamma, int64_t *episode_id, int *replayed,
                          char *err, size_t errlen);
/* The handle's message, copied under the writers' lock (a thread that
 * shares the handle reads it without racing the other writing calls). */
void mem_errmsg_copy(jitrl_memory *mem, char *buf, size_t len);
void mem_set_err(jitrl_memory *mem, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
