/*
 * memory_scores.c -- the scores of a task's stored episodes, for a run
 * that resumes a memory.
 *
 * Resuming used to export the whole memory (every step's state text) into
 * RAM and parse it back for one number per episode: 156 MB at 10k
 * episodes.  This reads the episodes' headers only (MEM_SCAN_HEADERS: no
 * steps), in the order export writes them (commit order), inside one read
 * view so a concurrent writer cannot tear it; what it holds is one double
 * per matching episode.
 */
#include "memory/memory_int.h"

#include <string.h>

#include "base/alloc.h"

#define SCORES_PAGE 4096   /* episodes per scan call */

typedef struct scores_ctx {
    jitrl_memory *mem;
    const char *task;
    double *v;
    size_t n, cap;
} scores_ctx;

static int take_score(void *ctx, const mem_ep_rec *ep)
{
    scores_ctx *c = ctx;
    if (c->task && strcmp(ep->task ? ep->task : "", c->task)) return JITRL_OK;
    if (ep->bad) {
        mem_set_err(c->mem, "episode %lld: %s", (long long)ep->id, ep->bad);
        return JITRL_ECORRUPT;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        double *p = jr_realloc(c->v, nc * sizeof *p);
        if (!p) {
            mem_set_err(c->mem, "scores: out of memory");
            return JITRL_ENOMEM;
        }
        c->v = p;
        c->cap = nc;
    }
    c->v[c->n++] = ep->score;
    return JITRL_OK;
}

static int read_scores(jitrl_memory *mem, const char *task, double **scores, size_t *n)
{
    scores_ctx c = {mem, task, NULL, 0, 0};
    mem->err[0] = '\0';
    int rc = mem->ops->read_begin(mem->st);
    if (rc) return mem_store_fail(mem, rc, "scores");
    int64_t cur = 0;
    int more = 1;
    while (!rc && more) {
        rc = mem->ops->scan(mem->st, &cur, SCORES_PAGE, MEM_SCAN_HEADERS, take_score, &c, &more);
        if (rc && !mem->err[0]) mem_store_fail(mem, rc, "scores");
    }
    mem->ops->read_end(mem->st);
    if (rc) {
        jr_free(c.v);
        return rc;
    }
    /* the caller frees with jitrl_free (free), so hand a malloc'd block */
    *scores = c.v;
    *n = c.n;
    return JITRL_OK;
}

/* The writer's turn (query.c), like every call that uses the store: the
 * connection and the handle's message are not shared with other threads. */
int jitrl_memory_scores(jitrl_memory *mem, const char *task, double **scores, size_t *n)
{
    if (scores) *scores = NULL;
    if (n) *n = 0;
    if (!mem || !scores || !n) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = read_scores(mem, task, scores, n);
    mem_write_end(mem);
    return rc;
}
