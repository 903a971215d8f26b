/*
 * policy.c -- one JitRL decision, end to end: retrieve N(s), estimate
 * advantages, apply the KL-optimal update z' = z + beta*A~, and choose.
 *
 * The update is the closed-form maximiser of E_pi'[A~] - (1/beta) KL(pi'||pi):
 * pi'(a) = pi(a) exp(beta A~(a)) / Z, i.e. softmax(z + beta A~) -- see
 * docs/method.md.  With a KL budget, beta is the Lagrange multiplier's
 * inverse of the constrained form max E[A~] s.t. KL <= delta, found per
 * state by bisection (section 6 there).  Softmax is computed with the max subtracted so any
 * finite logits work.
 *
 * The decision is returned as one allocation (arrays and strings packed
 * after the struct), so jitrl_decision_free is one free and the
 * out-of-memory paths stay few.
 */
#include "engine/mem_int.h"
#include "engine/params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/opts.h"
#include "base/rng.h"

void jitrl_rng_seed(jitrl_rng *rng, uint64_t seed)
{
    jr_rng g;
    jr_rng_seed(&g, seed);
    memcpy(rng->s, g.s, sizeof g.s);
}

uint64_t jitrl_rng_next(jitrl_rng *rng)
{
    jr_rng g;
    memcpy(g.s, rng->s, sizeof g.s);
    uint64_t x = jr_rng_next(&g);
    memcpy(rng->s, g.s, sizeof g.s);
    return x;
}

double jitrl_rng_uniform(jitrl_rng *rng) { return (double)(jitrl_rng_next(rng) >> 11) * 0x1.0p-53; }

int jitrl_params_default(jitrl_params *p, const char *preset)
{
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->gamma = 0.5;
    p->k = 10;
    p->threshold = 0.95;
    p->keep_above = 2.0;
    p->lambda = 0.65;
    p->alpha = 5.0;
    p->beta = 2.0;
    p->eps = 1e-8;
    p->mode = JITRL_MODE_SAMPLE;
    p->augment = 1;
    if (!preset || !strcmp(preset, "text") || !strcmp(preset, "paper")) return JITRL_OK;
    if (!strcmp(preset, "offline")) {
        /* docs/method.md section 6: measured on the built-in game and the
         * Jericho games with a uniform prior */
        p->k = 0;
        p->kl_budget = 0.98;
        p->explore = JITRL_EXPLORE_UCB;
        p->ucb_c = 0.1;
        return JITRL_OK;
    }
    if (!strcmp(preset, "web")) {
        p->gamma = 0.1;
        p->threshold = 0.8;
        p->lambda = 0.05;
        return JITRL_OK;
    }
    return JITRL_EINVAL;
}

int jr_params_load(jitrl_params *dst, const jitrl_params *src, char *err, size_t errlen)
{
    jitrl_params_default(dst, NULL);
    if (jr_opts_load(dst, sizeof *dst, src)) {
        if (err && errlen)
            snprintf(err, errlen, "jitrl_params.size is %zu; call jitrl_params_default first", src->size);
        return JITRL_EINVAL;
    }
    return JITRL_OK;
}

void jitrl_policy_update(const double *logits, const double *adv, size_t n, double beta, double *probs)
{
    if (n == 0) return;
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        probs[i] = (logits ? logits[i] : 0.0) + (adv ? beta * adv[i] : 0.0);
        if (probs[i] > m) m = probs[i];
    }
    double z = 0;
    for (size_t i = 0; i < n; i++) {
        probs[i] = exp(probs[i] - m);
        z += probs[i];
    }
    for (size_t i = 0; i < n; i++) probs[i] /= z;
}

/* log sum_i exp(x_i + beta*a_i), over the i with mask (NULL = all). */
static double lse(const double *x, const double *a, double beta, size_t n, const unsigned char *mask)
{
    double m = -INFINITY, z = 0;
    for (size_t i = 0; i < n; i++) {
        double v = (x ? x[i] : 0.0) + (a ? beta * a[i] : 0.0);
        if ((!mask || mask[i]) && v > m) m = v;
    }
    if (m == -INFINITY) return m;
    for (size_t i = 0; i < n; i++)
        if (!mask || mask[i]) z += exp((x ? x[i] : 0.0) + (a ? beta * a[i] : 0.0) - m);
    return m + log(z);
}

/* KL(softmax(z + beta a) || softmax(z)) = sum p'(a) (beta a - lse' + lse). */
static double kl_at(const double *z, const double *a, size_t n, double beta, double lse0)
{
    double l1 = lse(z, a, beta, n, NULL), kl = 0;
    for (size_t i = 0; i < n; i++) {
        double lp = (z ? z[i] : 0.0) + beta * a[i] - l1;
        kl += exp(lp) * (beta * a[i] - l1 + lse0);
    }
    return kl > 0 ? kl : 0;
}

double jitrl_policy_kl(const double *p, const double *q, size_t n)
{
    double kl = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0) kl += p[i] * log(p[i] / q[i]);
    return kl;
}

/* KL(beta) rises monotonically from 0 (dKL/dbeta = beta Var_pi'(a) >= 0)
 * towards -ln pi(argmax set), so the budget has one root or none. */
double jitrl_policy_kl_beta(const double *z, const double *a, size_t n, double delta)
{
    if (!(delta > 0) || n < 2 || !a) return 0;
    double amax = -INFINITY, amin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (a[i] > amax) amax = a[i];
        if (a[i] < amin) amin = a[i];
    }
    if (!(amax - amin > 1e-12)) return 0;
    double lse0 = lse(z, NULL, 0, n, NULL);
    /* the limit: all mass on the argmax set, in the prior's proportions */
    double mt = -INFINITY, zt = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] >= amax - 1e-12 && (z ? z[i] : 0.0) > mt) mt = z ? z[i] : 0.0;
    for (size_t i = 0; i < n; i++)
        if (a[i] >= amax - 1e-12) zt += exp((z ? z[i] : 0.0) - mt);
    double lse_top = mt + log(zt);
    if (lse0 - lse_top <= delta) return JITRL_KL_BETA_MAX;
    double lo = 0, hi = 1;
    while (hi < JITRL_KL_BETA_MAX && kl_at(z, a, n, hi, lse0) < delta) {
        lo = hi;
        hi *= 2;
    }
    if (hi >= JITRL_KL_BETA_MAX) {
        hi = JITRL_KL_BETA_MAX;
        if (kl_at(z, a, n, hi, lse0) <= delta) return hi;
    }
    /* bisection: 200 halvings at most, stopping at 1e-12 relative */
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if (kl_at(z, a, n, mid, lse0) < delta) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

static int params_ok(const jitrl_params *p, const jitrl_rng *rng)
{
    if (!isfinite(p->threshold) || !isfinite(p->lambda) || !isfinite(p->alpha) || !isfinite(p->beta) ||
        !(p->beta >= 0) || !(p->eps >= 0) || !isfinite(p->eps) || isnan(p->keep_above) ||
        !(p->kl_budget >= 0) || !isfinite(p->kl_budget) || !(p->ucb_c >= 0) || !isfinite(p->ucb_c))
        return 0;
    if (p->explore != JITRL_EXPLORE_LAMBDA && p->explore != JITRL_EXPLORE_UCB) return 0;
    if (p->mode != JITRL_MODE_SAMPLE && p->mode != JITRL_MODE_ARGMAX && p->mode != JITRL_MODE_LEGACY) return 0;
    if (!rng && p->mode == JITRL_MODE_SAMPLE) return 0;
    return 1;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Pack the estimate and the listed neighbours into one jitrl_decision. */
static jitrl_decision *build(const mem_index *ix, const mem_result *r, const mem_estimate *e, size_t max_listed)
{
    size_t na = e->n_actions;
    size_t nl = r->n_neighbours < max_listed ? r->n_neighbours : max_listed;
    size_t strbytes = 0;
    for (size_t i = 0; i < na; i++) strbytes += strlen(e->name[i]) + 1;
    size_t listed = 0;
    for (size_t h = 0; h < r->n_hits && listed < nl; h++) {
        const mem_key *k = &ix->keys[r->hits[h].key];
        for (uint32_t t = 0; t < r->hits[h].take && listed < nl; t++, listed++)
            strbytes += strlen(ix->act[ix->steps[k->steps[k->n_steps - 1 - t]].action]) + 1;
    }
    size_t off_act = align8(sizeof(jitrl_decision));
    size_t off_dbl = off_act + align8(na * sizeof(char *));
    size_t off_nb = off_dbl + 6 * na * sizeof(double);
    size_t off_int = off_nb + nl * sizeof(jitrl_neighbour);
    size_t off_str = off_int + align8(na * sizeof(int));
    char *blk = jr_malloc(off_str + strbytes);
    if (!blk) return NULL;
    jitrl_decision *d = (jitrl_decision *)blk;
    memset(d, 0, sizeof *d);
    d->n_actions = na;
    d->n_candidates = e->n_candidates;
    d->actions = (const char **)(blk + off_act);
    double *dbl = (double *)(blk + off_dbl);
    d->prior_logits = dbl;
    d->prior_probs = dbl + na;
    d->q = dbl + 2 * na;
    d->adv = dbl + 3 * na;
    d->adv_norm = dbl + 4 * na;
    d->probs = dbl + 5 * na;
    d->neighbours = (jitrl_neighbour *)(blk + off_nb);
    d->qsource = (int *)(blk + off_int);
    char *sp = blk + off_str;
    for (size_t i = 0; i < na; i++) {
        size_t l = strlen(e->name[i]) + 1;
        memcpy(sp, e->name[i], l);
        d->actions[i] = sp;
        sp += l;
        d->prior_logits[i] = e->logit[i];
        d->q[i] = e->q[i];
        d->adv[i] = e->adv[i];
        d->adv_norm[i] = e->adv_norm[i];
        d->qsource[i] = e->qsource[i];
    }
    listed = 0;
    for (size_t h = 0; h < r->n_hits && listed < nl; h++) {
        const mem_key *k = &ix->keys[r->hits[h].key];
        for (uint32_t t = 0; t < r->hits[h].take && listed < nl; t++, listed++) {
            const mem_step *s = &ix->steps[k->steps[k->n_steps - 1 - t]];
            const char *a = ix->act[s->action];
            size_t l = strlen(a) + 1;
            memcpy(sp, a, l);
            d->neighbours[listed] = (jitrl_neighbour){s->id, s->episode, r->hits[h].sim, s->ret, sp};
            sp += l;
        }
    }
    d->n_neighbours = r->n_neighbours;
    d->n_listed = nl;
    d->v = e->v;
    d->candidates_scored = r->scored;
    return d;
}

static size_t argmax(const double *x, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

int mem_decide(mem_index *ix, mem_scratch *sc, int may_build, const jitrl_params *p, const jitrl_state *state,
               const char *const *candidates, const double *prior_logits, size_t n, jitrl_rng *rng, char *err,
               size_t errlen, jitrl_decision **out)
{
    *out = NULL;
    if (!params_ok(p, rng)) {
        set_err(err, errlen, "decide: invalid parameters (non-finite value, negative beta/eps, bad mode, "
                             "or sampling without an rng)");
        return JITRL_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i] || (prior_logits && !isfinite(prior_logits[i]))) {
            if (err && errlen) snprintf(err, errlen, "decide: candidate %zu is NULL or has a non-finite logit", i);
            return JITRL_EINVAL;
        }
    }
    mem_result r = {0};
    mem_estimate e = {0};
    jitrl_decision *d = NULL;
    int rc = mem_retrieve(ix, sc, may_build, p, state, &r);
    if (!rc) rc = mem_estimate_run(ix, sc, &r, p, candidates, prior_logits, n, rng, &e);
    if (!rc && e.n_actions == 0) {
        set_err(err, errlen, "decide: no candidate actions and none in memory for this state");
        rc = JITRL_EINVAL;
    }
    if (!rc) {
        d = build(ix, &r, &e, p->max_listed ? p->max_listed : 1000);
        if (!d) rc = JITRL_ENOMEM;
    }
    if (rc) {
        if (rc == JITRL_ENOMEM) set_err(err, errlen, "decide: out of memory");
        if (rc == JITRL_ESTATE) {
            set_err(err, errlen, "decide: an unseen action needs a draw (0 < lambda < 1) but rng is NULL");
            rc = JITRL_EINVAL;
        }
        goto out;
    }
    size_t na = d->n_actions;
    jitrl_policy_update(d->prior_logits, NULL, na, 0, d->prior_probs);
    d->beta = p->beta;
    if (p->kl_budget > 0 && p->mode != JITRL_MODE_LEGACY)
        d->beta = jitrl_policy_kl_beta(d->prior_logits, d->adv_norm, na, p->kl_budget * log((double)na));
    jitrl_policy_update(d->prior_logits, d->adv_norm, na, d->beta, d->probs);
    d->kl = jitrl_policy_kl(d->probs, d->prior_probs, na);
    d->mode = p->mode;
    d->index_steps = ix->n_steps;
    if (p->mode == JITRL_MODE_SAMPLE) {
        double u = jitrl_rng_uniform(rng), c = 0;
        d->chosen = na - 1;
        for (size_t i = 0; i < na; i++) {
            c += d->probs[i];
            if (u < c) { d->chosen = i; break; }
        }
    } else if (p->mode == JITRL_MODE_ARGMAX) {
        d->chosen = argmax(d->probs, na);
    } else {
        /* The released code's rule: prior probability plus normalised
         * advantage, greedy.  What was acted on is deterministic, so the
         * reported distribution is one-hot. */
        for (size_t i = 0; i < na; i++) d->probs[i] = d->prior_probs[i] + d->adv_norm[i];
        d->chosen = argmax(d->probs, na);
        for (size_t i = 0; i < na; i++) d->probs[i] = i == d->chosen;
    }
    *out = d;
out:
    mem_result_free(&r);
    mem_estimate_free(&e);
    return rc;
}

int jitrl_decide(jitrl_memory *mem, const jitrl_params *p, const jitrl_state *state,
                 const char *const *candidates, const double *prior_logits, size_t n, jitrl_rng *rng,
                 jitrl_decision **out)
{
    if (out) *out = NULL;
    if (!mem || !p || !out || (n && !candidates)) return JITRL_EINVAL;
    char err[256] = "";
    int rc = mem_memory_decide(mem, NULL, p, state, candidates, prior_logits, n, rng, err, sizeof err, out);
    if (rc) mem_set_err(mem, "%s", err);
    return rc;
}

void jitrl_decision_free(jitrl_decision *d) { jr_free(d); }
