/*
 * tabular.h -- the tabular baseline of `jitrl play --agent tabular`:
 * every-visit Monte-Carlo control with UCB exploration over exact states
 * (the environment's "current" text: location, inventory, visible objects)
 * and the valid actions.  It is what JitRL's memory reduces to when every
 * neighbour is an identical state, so it tells how much of the learning
 * the similarity, the estimators and the KL-regularised update add (or
 * cost).  docs/method.md section 7 states the rule.
 *
 * One table per agent (one run); not thread-safe; all errors are
 * JITRL_ENOMEM.
 */
#ifndef JR_AGENT_TABULAR_H
#define JR_AGENT_TABULAR_H

#include <stddef.h>

#include "base/rng.h"

typedef struct ag_tabular ag_tabular;

/* c: the UCB scale (times G_max, the largest |G| stored so far).  NULL
 * when out of memory. */
ag_tabular *ag_tabular_new(double c);
void ag_tabular_free(ag_tabular *t);   /* NULL is a no-op */

/* The action to take at state among cands[0..n) (n >= 1): the argmax of
 * Q(s,a) + c G_max sqrt(ln(1 + N(s)) / (1 + n(s,a))), an untried action's
 * Q being the state's mean return V(s) (0 for a new state), ties broken
 * uniformly with r.  *chosen is an index into cands.  The table is not
 * changed. */
int ag_tabular_choose(ag_tabular *t, const char *state, const char *const *cands, size_t n, jr_rng *r,
                      size_t *chosen);

/* Add one visit of (state, action) with return ret. */
int ag_tabular_add(ag_tabular *t, const char *state, const char *action, double ret);

#endif
