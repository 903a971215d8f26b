/*
 * query.c -- deciding from many threads on one memory while one thread
 * adds episodes.
 *
 * Why shaped so: a decision only reads the RAM index, and all it writes is
 * scratch (stamps over sets and actions) and an error message.  So each
 * deciding thread brings its own scratch and message in a jitrl_query, and
 * the index is guarded by one read/write lock: decisions share it, and
 * everything that changes the index (add, refresh, import, prune) holds it
 * exclusively, only for the index's part of the work.  Writers are also
 * serialised among themselves by a mutex (the store connection, the
 * handle's message and its insert buffer are theirs).  The lock prefers
 * writers, so a steady stream of decisions cannot starve an ingest.
 *
 * The one lazy structure of the index (the per-shingle postings, built
 * the first time a low-threshold query needs them) is built under the
 * write lock: a decision that needs it drops its read lock, builds, and
 * asks again.
 *
 * jitrl_decide_json borrows a query from a small pool on the memory, so
 * its scratch is reused across calls without the caller holding a handle.
 */
#include "memory/memory_int.h"
#include "engine/params.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct jitrl_query {
    jitrl_memory *mem;
    mem_scratch sc;
    char err[512];
    jitrl_query *next;   /* in the memory's pool */
};

int mem_sync_init(mem_sync *s)
{
    memset(s, 0, sizeof *s);
    pthread_rwlockattr_t a;
    if (pthread_rwlockattr_init(&a)) return JITRL_ENOMEM;
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int bad = pthread_rwlock_init(&s->ix, &a);
    pthread_rwlockattr_destroy(&a);
    if (bad) return JITRL_ENOMEM;
    if (pthread_mutex_init(&s->wr, NULL)) {
        pthread_rwlock_destroy(&s->ix);
        return JITRL_ENOMEM;
    }
    if (pthread_mutex_init(&s->pool_lock, NULL)) {
        pthread_mutex_destroy(&s->wr);
        pthread_rwlock_destroy(&s->ix);
        return JITRL_ENOMEM;
    }
    s->ok = 1;
    return JITRL_OK;
}

void mem_sync_free(mem_sync *s)
{
    if (!s->ok) return;
    while (s->pool) {
        jitrl_query *q = s->pool;
        s->pool = q->next;
        mem_scratch_free(&q->sc);
        jr_free(q);
    }
    pthread_mutex_destroy(&s->pool_lock);
    pthread_mutex_destroy(&s->wr);
    pthread_rwlock_destroy(&s->ix);
    s->ok = 0;
}

/* Lock failures here would be our own bugs (EDEADLK, a destroyed lock):
 * asserted, not handled. */
void mem_write_begin(jitrl_memory *mem)
{
    int rc = pthread_mutex_lock(&mem->sync.wr);
    assert(rc == 0);
    (void)rc;
}

void mem_write_end(jitrl_memory *mem) { pthread_mutex_unlock(&mem->sync.wr); }

void mem_ix_wrlock(jitrl_memory *mem)
{
    int rc = pthread_rwlock_wrlock(&mem->sync.ix);
    assert(rc == 0);
    (void)rc;
}

void mem_ix_unlock(jitrl_memory *mem) { pthread_rwlock_unlock(&mem->sync.ix); }

void mem_ix_rdlock(jitrl_memory *mem)
{
    int rc = pthread_rwlock_rdlock(&mem->sync.ix);
    assert(rc == 0);
    (void)rc;
}

int mem_memory_decide(jitrl_memory *mem, mem_scratch *sc, const jitrl_params *p, const jitrl_state *st,
                      const char *const *cand, const double *logits, size_t n, jitrl_rng *rng, char *err,
                      size_t errlen, jitrl_decision **out)
{
    /* every decide path (jitrl_decide, query handles, the JSON surface's
     * pool) comes through here: the caller's params over the defaults */
    jitrl_params pp;
    if (jr_params_load(&pp, p, err, errlen)) return JITRL_EINVAL;
    p = &pp;
    /* Each pass either decides or builds the shingle postings, which then
     * stay built -- unless a prune rebuilt the index meanwhile, hence a
     * bound rather than a single retry. */
    for (int pass = 0; pass < 8; pass++) {
        mem_ix_rdlock(mem);
        mem_index *ix = mem_memory_index(mem);
        int rc;
        if (!ix) {
            snprintf(err, errlen, "decide: the memory's index is unusable after an earlier failure: reopen it");
            rc = JITRL_ESTATE;
        } else {
            rc = mem_decide(ix, sc ? sc : &ix->own, 0, p, st, cand, logits, n, rng, err, errlen, out);
        }
        mem_ix_unlock(mem);
        if (rc != MEM_ENEED_SHINGLES) return rc;
        mem_ix_wrlock(mem);
        ix = mem_memory_index(mem);
        rc = ix ? mem_index_need_shingles(ix) : JITRL_OK;
        mem_ix_unlock(mem);
        if (rc) {
            snprintf(err, errlen, "decide: out of memory");
            return rc;
        }
    }
    snprintf(err, errlen, "decide: the index kept changing under the query");
    return JITRL_ESTATE;
}

int jitrl_query_open(jitrl_memory *mem, jitrl_query **out)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    if (!mem) return JITRL_EINVAL;
    jitrl_query *q = jr_calloc(1, sizeof *q);
    if (!q) return JITRL_ENOMEM;
    q->mem = mem;
    *out = q;
    return JITRL_OK;
}

void jitrl_query_close(jitrl_query *q)
{
    if (!q) return;
    mem_scratch_free(&q->sc);
    jr_free(q);
}

const char *jitrl_query_errmsg(const jitrl_query *q) { return q ? q->err : "no query handle"; }

int jitrl_query_decide(jitrl_query *q, const jitrl_params *p, const jitrl_state *state,
                       const char *const *candidates, const double *prior_logits, size_t n, jitrl_rng *rng,
                       jitrl_decision **out)
{
    if (out) *out = NULL;
    if (!q) return JITRL_EINVAL;
    q->err[0] = '\0';
    if (!p || !out || (n && !candidates)) {
        snprintf(q->err, sizeof q->err, "decide: NULL params, out or candidates");
        return JITRL_EINVAL;
    }
    return mem_memory_decide(q->mem, &q->sc, p, state, candidates, prior_logits, n, rng, q->err, sizeof q->err,
                             out);
}

int mem_pool_decide(jitrl_memory *mem, const jitrl_params *p, const jitrl_state *st, const char *const *cand,
                    const double *logits, size_t n, jitrl_rng *rng, char *err, size_t errlen, jitrl_decision **out)
{
    pthread_mutex_lock(&mem->sync.pool_lock);
    jitrl_query *q = mem->sync.pool;
    if (q) mem->sync.pool = q->next;
    pthread_mutex_unlock(&mem->sync.pool_lock);
    if (!q && jitrl_query_open(mem, &q)) {
        snprintf(err, errlen, "decide: out of memory");
        return JITRL_ENOMEM;
    }
    int rc = mem_memory_decide(mem, &q->sc, p, st, cand, logits, n, rng, err, errlen, out);
    pthread_mutex_lock(&mem->sync.pool_lock);
    q->next = mem->sync.pool;
    mem->sync.pool = q;
    pthread_mutex_unlock(&mem->sync.pool_lock);
    return rc;
}
