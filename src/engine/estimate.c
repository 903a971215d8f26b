/*
 * estimate.c -- the paper's estimators over a neighbour set N(s):
 *
 *   V(s)   = mean return over N(s)                 (or similarity-weighted)
 *   Q(s,a) = mean return over the neighbours that took a
 *   unseen a: with probability lambda  Q = V + alpha/|N(s)|  (optimism),
 *             otherwise Q = 0 (paper) or Q = V (unseen_neutral)
 *   or (explore = UCB) every action's Q, V for an unseen one, plus
 *             ucb_c * G_max * sqrt(ln(1+|N|) / (1+n_a))
 *   A = Q - V,  A~ = A / (max|A| + eps)
 *
 * and candidate augmentation: actions some neighbour took that the caller
 * did not offer are appended with prior logit 0, in order of first
 * appearance among the neighbours (most similar first).
 *
 * Fully taken keys are summed from their per-action aggregates, so a state
 * seen ten thousand times costs one pass over its few actions; only a key
 * cut by top-k is walked step by step.  Per-action accumulators are found
 * through the query's stamp array (no hashing, no clearing).
 */
#include "engine/mem_int.h"

#include <math.h>
#include <string.h>

typedef struct acc {
    uint32_t action;
    uint32_t used;          /* matched a caller's candidate */
    double n, sum, wn, wsum;
} acc;

typedef struct accs {
    acc *a;
    size_t n, cap;
} accs;

static int acc_add(mem_scratch *sc, accs *as, uint32_t action, double count, double sum, double sim)
{
    uint32_t slot;
    if (sc->act_stamp[action] == sc->act_query) {
        slot = sc->act_pos[action];
    } else {
        if (as->n == as->cap && mem_grow((void **)&as->a, &as->cap, as->n + 1, sizeof *as->a)) return JITRL_ENOMEM;
        slot = (uint32_t)as->n++;
        as->a[slot] = (acc){.action = action};
        sc->act_stamp[action] = sc->act_query;
        sc->act_pos[action] = slot;
    }
    acc *a = &as->a[slot];
    a->n += count;
    a->sum += sum;
    a->wn += sim * count;
    a->wsum += sim * sum;
    return JITRL_OK;
}

static int scratch_ready(const mem_index *ix, mem_scratch *sc)
{
    if (mem_scratch_grow(&sc->act_stamp, &sc->act_pos, &sc->cap_act, ix->n_act)) return JITRL_ENOMEM;
    if (++sc->act_query == 0) {
        memset(sc->act_stamp, 0, sc->cap_act * sizeof *sc->act_stamp);
        sc->act_query = 1;
    }
    return JITRL_OK;
}

static int ensure(mem_estimate *e, size_t n)
{
    if (n <= e->cap) return JITRL_OK;
    /* Each array grows from the same old capacity to the same new one; if
     * one fails, those grown so far are merely larger than e->cap says. */
    struct { void **p; size_t size; } arr[] = {
        {(void **)&e->mem_action, sizeof *e->mem_action}, {(void **)&e->name, sizeof *e->name},
        {(void **)&e->logit, sizeof *e->logit},           {(void **)&e->q, sizeof *e->q},
        {(void **)&e->adv, sizeof *e->adv},               {(void **)&e->adv_norm, sizeof *e->adv_norm},
        {(void **)&e->qsource, sizeof *e->qsource},
    };
    size_t cap = e->cap;
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) {
        cap = e->cap;
        if (mem_grow(arr[i].p, &cap, n, arr[i].size)) return JITRL_ENOMEM;
    }
    e->cap = cap;
    return JITRL_OK;
}

int mem_estimate_run(const mem_index *ix, mem_scratch *sc, const mem_result *r, const jitrl_params *p, const char *const *cand,
                     const double *logits, size_t n, jitrl_rng *rng, mem_estimate *e)
{
    accs as = {0};
    int rc = scratch_ready(ix, sc);
    double tot_n = 0, tot_sum = 0, tot_wn = 0, tot_wsum = 0;
    for (size_t h = 0; !rc && h < r->n_hits; h++) {
        const mem_hit *hit = &r->hits[h];
        const mem_key *k = &ix->keys[hit->key];
        if (hit->take == k->n_steps) {
            for (uint32_t a = 0; !rc && a < k->n_acts; a++)
                if (k->acts[a].count)
                    rc = acc_add(sc, &as, k->acts[a].action, k->acts[a].count, k->acts[a].sum_ret, hit->sim);
        } else {
            for (uint32_t t = 0; !rc && t < hit->take; t++) {
                const mem_step *s = &ix->steps[k->steps[k->n_steps - 1 - t]];
                rc = acc_add(sc, &as, s->action, 1, s->ret, hit->sim);
            }
        }
    }
    for (size_t i = 0; i < as.n; i++) {
        tot_n += as.a[i].n;
        tot_sum += as.a[i].sum;
        tot_wn += as.a[i].wn;
        tot_wsum += as.a[i].wsum;
    }
    /* Weighted means fall back to plain ones when every weight is 0. */
    int weighted = p->weighted && tot_wn > 0;
    size_t nn = r->n_neighbours;
    double v = nn == 0 ? 0 : weighted ? tot_wsum / tot_wn : tot_sum / tot_n;

    e->n_actions = e->n_candidates = 0;
    if (!rc) rc = ensure(e, n + (p->augment ? as.n : 0));
    for (size_t i = 0; !rc && i < n; i++) {
        uint32_t a = mem_index_action(ix, cand[i]);
        e->mem_action[i] = a;
        e->name[i] = cand[i];
        e->logit[i] = logits ? logits[i] : 0.0;
        if (a != MEM_NONE && a < sc->cap_act && sc->act_stamp[a] == sc->act_query)
            as.a[sc->act_pos[a]].used = 1;
    }
    if (!rc) {
        e->n_candidates = e->n_actions = n;
        for (size_t i = 0; p->augment && i < as.n; i++) {
            if (as.a[i].used) continue;
            size_t j = e->n_actions++;
            e->mem_action[j] = as.a[i].action;
            e->name[j] = ix->act[as.a[i].action];
            e->logit[j] = 0.0;
        }
    }
    double maxabs = 0;
    /* UCB: c * G_max * sqrt(ln(1+|N|) / (1+n_a)), over every action, the
     * unseen ones starting from V.  Counts are plain (not weighted). */
    int ucb = p->explore == JITRL_EXPLORE_UCB;
    double ucb_scale = ucb ? p->ucb_c * ix->ret_absmax : 0, ucb_ln = log(1.0 + (double)nn);
    for (size_t i = 0; !rc && i < e->n_actions; i++) {
        uint32_t a = e->mem_action[i];
        const acc *ac = (a != MEM_NONE && a < sc->cap_act && sc->act_stamp[a] == sc->act_query)
                            ? &as.a[sc->act_pos[a]] : NULL;
        if (nn == 0) {
            e->q[i] = 0;
            e->qsource[i] = JITRL_Q_NONE;
        } else if (ac && ac->n > 0) {
            e->q[i] = weighted && ac->wn > 0 ? ac->wsum / ac->wn : ac->sum / ac->n;
            e->qsource[i] = JITRL_Q_SEEN;
            if (ucb) e->q[i] += ucb_scale * sqrt(ucb_ln / (1.0 + ac->n));
        } else if (ucb) {
            e->q[i] = v + ucb_scale * sqrt(ucb_ln);
            e->qsource[i] = ucb_scale > 0 ? JITRL_Q_OPTIMISTIC : JITRL_Q_UNSEEN;
        } else {
            int optimistic;
            if (rng) {
                optimistic = jitrl_rng_uniform(rng) < p->lambda;
            } else if (p->lambda >= 1 || p->lambda <= 0) {
                optimistic = p->lambda >= 1;
            } else {
                rc = JITRL_ESTATE;   /* a draw is needed and there is no rng */
                break;
            }
            if (optimistic) {
                e->q[i] = v + p->alpha / (double)nn;
                e->qsource[i] = JITRL_Q_OPTIMISTIC;
            } else {
                e->q[i] = p->unseen_neutral ? v : 0.0;
                e->qsource[i] = JITRL_Q_UNSEEN;
            }
        }
        e->adv[i] = e->q[i] - v;
        if (fabs(e->adv[i]) > maxabs) maxabs = fabs(e->adv[i]);
    }
    for (size_t i = 0; !rc && i < e->n_actions; i++)
        e->adv_norm[i] = maxabs + p->eps > 0 ? e->adv[i] / (maxabs + p->eps) : 0.0;
    e->v = v;
    jr_free(as.a);
    return rc;
}

void mem_estimate_free(mem_estimate *e)
{
    jr_free(e->mem_action);
    jr_free(e->name);
    jr_free(e->logit);
    jr_free(e->q);
    jr_free(e->adv);
    jr_free(e->adv_norm);
    jr_free(e->qsource);
    memset(e, 0, sizeof *e);
}
