/*
 * policy.h -- one JitRL decision: retrieve similar past states from a
 * jitrl_memory, estimate advantages, and shift the prior's logits.
 *
 *   neighbours N(s): stored steps whose similarity to s is >= threshold,
 *                    the k most similar (ties: most recent first), plus,
 *                    optionally, every step above keep_above;
 *   V(s)   = mean return G over N(s);
 *   Q(s,a) = mean G over the neighbours that took a;  for an action no
 *            neighbour took: with probability lambda Q = V + alpha/|N(s)|,
 *            else Q = 0 (or Q = V with unseen_neutral);
 *            (explore = JITRL_EXPLORE_UCB instead: every action's Q, V for
 *            an unseen one, gets c*G_max*sqrt(ln(1+|N|)/(1+n_a)));
 *   A = Q - V,  A~ = A / (max|A| + eps)      (so A~ is in [-1, 1]);
 *   z' = z + beta * A~,  pi' = softmax(z'),  then sample (seeded) or argmax;
 *   with kl_budget c > 0, beta is chosen per state so that
 *   KL(pi' || pi) = c * ln n (n actions), the largest E[A~] within that
 *   budget (a 1-D root; see jitrl_policy_kl_beta).
 *
 * Candidates the caller gives come first, in order; actions taken by
 * neighbours but missing from the candidates are appended with prior logit 0
 * (candidate augmentation).  docs/method.md derives the update and lists
 * every deviation from the paper and its released code.
 *
 * Ownership: a jitrl_decision is the caller's, freed with
 * jitrl_decision_free; all its arrays and strings live and die with it.
 */
#ifndef JITRL_POLICY_H
#define JITRL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/error.h"
#include "jitrl/memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A seeded generator the caller owns (xoshiro256**), so runs reproduce.
 * Plain value: copy it to fork a stream; no allocation, cannot fail.
 * seed: any value (0 included) gives a valid state.  next: 64 random
 * bits.  uniform: a double in [0, 1) with 53 random bits. */
typedef struct jitrl_rng { uint64_t s[4]; } jitrl_rng;
JITRL_API void jitrl_rng_seed(jitrl_rng *rng, uint64_t seed);
JITRL_API uint64_t jitrl_rng_next(jitrl_rng *rng);
JITRL_API double jitrl_rng_uniform(jitrl_rng *rng);

typedef enum jitrl_mode {
    JITRL_MODE_SAMPLE = 0,   /* sample from softmax(z + beta*A~) */
    JITRL_MODE_ARGMAX = 1,   /* argmax of softmax(z + beta*A~) (ties: first) */
    JITRL_MODE_LEGACY = 2,   /* released code: argmax of softmax(z) + A~ */
} jitrl_mode;

/* How unseen or rarely tried actions are made attractive. */
typedef enum jitrl_explore {
    JITRL_EXPLORE_LAMBDA = 0,  /* the paper's coin: with prob. lambda Q = V + alpha/|N| */
    JITRL_EXPLORE_UCB = 1,     /* count bonus ucb_c * G_max * sqrt(ln(1+|N|) / (1+n_a)) */
} jitrl_explore;

typedef struct jitrl_params {
    size_t size;         /* sizeof the struct the caller was built with: set by jitrl_params_default */
    double gamma;        /* discount used by callers when adding episodes */
    size_t k;            /* top-k neighbours (0 = no limit) */
    double threshold;    /* minimum similarity of a neighbour */
    double keep_above;   /* also keep every neighbour with sim >= this beyond k; > 1 = off */
    double lambda;       /* probability of optimism for an unseen action */
    double alpha;        /* optimism bonus, divided by |N(s)| */
    double beta;         /* inverse temperature of the update: max logit shift */
    double eps;          /* in the normaliser max|A| + eps */
    jitrl_mode mode;
    int weighted;        /* similarity-weighted means for V and Q */
    int exact;           /* linear scan instead of the index (tests, recall) */
    int augment;         /* append memory actions missing from the candidates (default 1) */
    int unseen_neutral;  /* unseen, not optimistic: Q = V (A = 0) instead of Q = 0 */
    size_t max_listed;   /* neighbours listed in the trace (0 = 1000); all are used */
    /* Added for learning that converges (docs/method.md section 6); new
     * fields go at the end. */
    double kl_budget;    /* c > 0: per-state beta with KL(pi'||pi) = c*ln(n); 0 = fixed beta */
    jitrl_explore explore;
    double ucb_c;        /* UCB bonus scale, times G_max (the largest |G| in memory) */
} jitrl_params;

/* Presets.  "text" (or NULL, or "paper"): the paper's text-game settings,
 * gamma 0.5, k 10, threshold 0.95, lambda 0.65, alpha 5; "web": gamma 0.1,
 * threshold 0.8, lambda 0.05.  These three: beta 2 (see docs/method.md),
 * fixed beta (kl_budget 0), lambda exploration.  "offline": chosen by
 * measurement for a uniform prior (docs/method.md section 6): "text" with
 * k 0 (no limit), kl_budget 0.98, UCB exploration with ucb_c 0.1.  All:
 * keep_above off (2.0), eps 1e-8, sample mode, unweighted means, indexed
 * retrieval, augmentation on.  Unknown preset = "text" and returns
 * JITRL_EINVAL. */
JITRL_API int jitrl_params_default(jitrl_params *p, const char *preset);

typedef struct jitrl_neighbour {
    int64_t step_id;       /* row id of the step in the memory */
    int64_t episode_id;
    double sim;            /* weighted Jaccard similarity to the query state */
    double ret;            /* its return G */
    const char *action;    /* the action it took (borrowed from the decision) */
} jitrl_neighbour;

/* Why an action's Q has the value it has. */
typedef enum jitrl_qsource {
    JITRL_Q_SEEN = 0,        /* mean over the neighbours that took it */
    JITRL_Q_OPTIMISTIC = 1,  /* unseen, drew optimism: V + alpha/|N| */
    JITRL_Q_UNSEEN = 2,      /* unseen, no optimism: 0 (or V with unseen_neutral) */
    JITRL_Q_NONE = 3,        /* no neighbours at all: A = 0, the prior is kept */
} jitrl_qsource;

/* The full trace of one decision.  Arrays indexed by action have
 * n_actions entries; the first n_candidates are the caller's candidates in
 * the caller's order, the rest were added from memory. */
typedef struct jitrl_decision {
    size_t n_actions, n_candidates;
    const char **actions;
    double *prior_logits;    /* z (0 for added actions) */
    double *prior_probs;     /* softmax(z) */
    double *q;               /* Q(s,a) */
    double *adv;             /* A = Q - V, raw */
    double *adv_norm;        /* A~ = A / (max|A| + eps) */
    double *probs;           /* the policy acted on: softmax(z + beta*A~);
                                legacy mode: one-hot on the choice */
    int *qsource;            /* jitrl_qsource per action */
    double v;                /* V(s); 0 when there are no neighbours */
    size_t n_neighbours;     /* |N(s)| */
    jitrl_neighbour *neighbours;  /* the most similar first */
    size_t n_listed;         /* min(n_neighbours, max_listed) */
    size_t chosen;           /* index into actions */
    double beta;             /* the beta applied (per state with kl_budget) */
    double kl;               /* KL(probs || prior_probs) */
    jitrl_mode mode;
    size_t candidates_scored;  /* distinct states compared (index cost) */
    size_t index_steps;      /* steps in the memory's index when it decided: with
                                one writer adding whole episodes, this names the
                                exact memory contents the decision saw */
} jitrl_decision;

/* Decide.  candidates[0..n) with prior logits (NULL = all 0, a uniform
 * prior); n may be 0 when memory supplies actions (augment on).  rng is
 * used for unseen-action optimism and sampling; it may be NULL in ARGMAX
 * and LEGACY modes, and then a needed optimism draw (0 < lambda < 1) is
 * JITRL_EINVAL.  Duplicate candidates are kept as given.  Errors:
 * JITRL_EINVAL (no actions at all, NULL candidate, non-finite logit, bad
 * params), JITRL_ENOMEM, JITRL_ESTATE (the index was lost by a failed
 * prune: reopen).  On error *out is NULL, the memory is unchanged and
 * jitrl_memory_errmsg says why; rng may have advanced. */
JITRL_API int jitrl_decide(jitrl_memory *mem, const jitrl_params *p, const jitrl_state *state,
                 const char *const *candidates, const double *prior_logits, size_t n,
                 jitrl_rng *rng, jitrl_decision **out);
JITRL_API void jitrl_decision_free(jitrl_decision *d);   /* NULL is a no-op */

/* ---- Deciding from many threads ----
 *
 * jitrl_decide keeps its scratch and its error message on the memory
 * handle, so it serves one deciding thread.  For more, each thread opens
 * its own query handle on the memory and decides through it: queries share
 * the memory's index under a read lock, and a thread may add episodes
 * (jitrl_memory_add_episode, import, refresh, prune) at the same time --
 * each decision sees the index before or after a whole episode, never part
 * of one, and decision->index_steps says which.  A query's failures are
 * reported on the query (jitrl_query_errmsg), never on the memory.  One
 * query must not be used by two threads at once; close every query before
 * closing its memory.  jitrl_decide_json (json.h) uses queries of its own
 * and may be called from any number of threads. */
typedef struct jitrl_query jitrl_query;

/* A query handle on mem.  Errors: JITRL_EINVAL (NULL), JITRL_ENOMEM. */
JITRL_API int jitrl_query_open(jitrl_memory *mem, jitrl_query **out);
JITRL_API void jitrl_query_close(jitrl_query *q);   /* NULL is a no-op */
/* Exactly jitrl_decide (same arguments, errors and results), but with the
 * query's scratch, its message, and the memory's read lock. */
JITRL_API int jitrl_query_decide(jitrl_query *q, const jitrl_params *p, const jitrl_state *state,
                                 const char *const *candidates, const double *prior_logits, size_t n,
                                 jitrl_rng *rng, jitrl_decision **out);
/* The detail of the query's last failure ("" if none); borrowed until the
 * query's next call. */
JITRL_API const char *jitrl_query_errmsg(const jitrl_query *q);

/* The trace as one JSON object (one line, no newline):
 * {"v","n_neighbours","neighbours":[{"id","episode","sim","ret","action"}],
 *  "actions":[{"action","prior_logit","prior_prob","q","adv","adv_norm",
 *  "prob","q_source","candidate"}],"chosen","chosen_action","beta","kl",
 *  "mode","scored"}.  Only the n_listed neighbours appear; a non-finite number is
 * written as null.  *json is the caller's (free()); NULL on error.
 * Errors: JITRL_ENOMEM, JITRL_EINVAL (NULL d or json). */
JITRL_API int jitrl_decision_json(const jitrl_decision *d, char **json);

/* The closed-form KL-regularised update on its own: probs = softmax(z +
 * beta*adv) over n entries, computed stably.  Used by jitrl_decide and
 * testable alone.  logits or adv NULL = all 0.  Cannot fail; finite inputs are the
 * caller's duty (jitrl_decide checks them). */
JITRL_API void jitrl_policy_update(const double *logits, const double *adv, size_t n, double beta,
                         double *probs);

/* The KL-budget beta: the beta >= 0 with KL(softmax(z + beta*adv) ||
 * softmax(z)) = delta, found by bisection on the monotone KL(beta) to
 * 1e-9 relative.  When even the limit beta -> inf (all mass on argmax adv,
 * in prior proportions) stays within delta, the constraint does not bind
 * and JITRL_KL_BETA_MAX is returned (its policy is that limit to within
 * e^-JITRL_KL_BETA_MAX*gap).  delta <= 0, n < 2 or a constant adv: 0.
 * logits NULL = uniform prior.  Cannot fail. */
#define JITRL_KL_BETA_MAX 1e3
JITRL_API double jitrl_policy_kl_beta(const double *logits, const double *adv, size_t n, double delta);
/* KL(p || q) over n entries (0 log 0 = 0). */
JITRL_API double jitrl_policy_kl(const double *p, const double *q, size_t n);

#ifdef __cplusplus
}
#endif
#endif
