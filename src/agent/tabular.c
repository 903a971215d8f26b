/*
 * tabular.c -- every-visit Monte-Carlo control with UCB1 exploration over
 * exact states and valid actions (see tabular.h).
 *
 * The table: states by the 64-bit hash of their text (open addressing,
 * the text kept and compared, so a collision costs a probe, never a wrong
 * answer), each with its actions' visit counts and return sums in a small
 * array (a state offers tens of actions, so a scan is the cheapest map).
 */
#include "agent/tabular.h"

#include <assert.h>
#include <math.h>
#include <string.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "jitrl/error.h"

typedef struct tab_act {
    char *action;
    double n, sum;
} tab_act;

typedef struct tab_state {
    char *text;
    uint64_t h;
    tab_act *acts;
    size_t n_acts, cap_acts;
    double visits;
} tab_state;

struct ag_tabular {
    double c, gmax;
    tab_state *states;
    size_t n, cap;       /* cap is a power of two (or 0); load <= 1/2 */
};

ag_tabular *ag_tabular_new(double c)
{
    ag_tabular *t = jr_calloc(1, sizeof *t);
    if (t) t->c = c;
    return t;
}

void ag_tabular_free(ag_tabular *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->cap; i++) {
        tab_state *s = &t->states[i];
        if (!s->text) continue;
        for (size_t a = 0; a < s->n_acts; a++) jr_free(s->acts[a].action);
        jr_free(s->acts);
        jr_free(s->text);
    }
    jr_free(t->states);
    jr_free(t);
}

static tab_state *find(const ag_tabular *t, const char *text, uint64_t h)
{
    if (!t->cap) return NULL;
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        tab_state *s = &t->states[i];
        if (!s->text) return NULL;
        if (s->h == h && !strcmp(s->text, text)) return s;
    }
}

static int grow(ag_tabular *t)
{
    size_t nc = t->cap ? t->cap * 2 : 256;
    tab_state *ns = jr_calloc(nc, sizeof *ns);
    if (!ns) return JITRL_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->states[i].text) continue;
        size_t j = t->states[i].h & (nc - 1);
        while (ns[j].text) j = (j + 1) & (nc - 1);
        ns[j] = t->states[i];
    }
    jr_free(t->states);
    t->states = ns;
    t->cap = nc;
    return JITRL_OK;
}

static tab_act *find_act(const tab_state *s, const char *action)
{
    for (size_t a = 0; s && a < s->n_acts; a++)
        if (!strcmp(s->acts[a].action, action)) return &s->acts[a];
    return NULL;
}

int ag_tabular_choose(ag_tabular *t, const char *state, const char *const *cands, size_t n, jr_rng *r,
                      size_t *chosen)
{
    assert(n >= 1);
    const tab_state *s = find(t, state, XXH3_64bits(state, strlen(state)));
    double visits = s ? s->visits : 0, sum = 0;
    for (size_t a = 0; s && a < s->n_acts; a++) sum += s->acts[a].sum;
    /* an untried action starts from the state's value V(s) */
    double v = visits > 0 ? sum / visits : 0, lnN = log(1.0 + visits), bmax = -INFINITY;
    size_t best = 0, ties = 0;
    for (size_t i = 0; i < n; i++) {
        const tab_act *a = find_act(s, cands[i]);
        double na = a ? a->n : 0;
        double b = (na > 0 ? a->sum / na : v) + t->c * t->gmax * sqrt(lnN / (1.0 + na));
        if (b > bmax) {
            bmax = b;
            best = i;
            ties = 1;
        } else if (b == bmax && jr_rng_below(r, ++ties) == 0) {
            best = i;
        }
    }
    *chosen = best;
    return JITRL_OK;
}

int ag_tabular_add(ag_tabular *t, const char *state, const char *action, double ret)
{
    uint64_t h = XXH3_64bits(state, strlen(state));
    tab_state *s = find(t, state, h);
    if (!s) {
        if (2 * (t->n + 1) > t->cap && grow(t)) return JITRL_ENOMEM;
        char *text = jr_strdup(state);
        if (!text) return JITRL_ENOMEM;
        size_t i = h & (t->cap - 1);
        while (t->states[i].text) i = (i + 1) & (t->cap - 1);
        s = &t->states[i];
        memset(s, 0, sizeof *s);
        s->text = text;
        s->h = h;
        t->n++;
    }
    tab_act *a = find_act(s, action);
    if (!a) {
        if (s->n_acts == s->cap_acts) {
            size_t nc = s->cap_acts ? s->cap_acts * 2 : 8;
            tab_act *na = jr_realloc(s->acts, nc * sizeof *na);
            if (!na) return JITRL_ENOMEM;
            s->acts = na;
            s->cap_acts = nc;
        }
        char *name = jr_strdup(action);
        if (!name) return JITRL_ENOMEM;
        a = &s->acts[s->n_acts++];
        *a = (tab_act){name, 0, 0};
    }
    a->n += 1;
    a->sum += ret;
    s->visits += 1;
    if (fabs(ret) > t->gmax) t->gmax = fabs(ret);
    return JITRL_OK;
}
