/*
 * actions_memo.c -- memoisation of valid actions (see actions.c).
 *
 * A revisited state costs nothing: answers are kept in an open-addressing
 * table keyed by the state key (the world region; with `fast` the world
 * after a `look`, without turn counters, parser globals, scratch
 * attributes and distant objects) and the text nouns used.
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* The table's invariants: a power-of-two capacity at most half full (so a
 * probe always meets an empty slot), a slot is taken iff its blob is set. */
static void memo_check_table(const env_actions *a)
{
    assert(!a->memo_cap || (a->memo_cap & (a->memo_cap - 1)) == 0);
    assert(a->memo_n * 2 <= a->memo_cap);
    assert(a->memo_n <= MEMO_MAX);
    (void)a;
}

/* An entry holds a whole answer: n NUL-terminated commands in its blob
 * and n outcomes, never an answer cut short by a failed allocation. */
static void memo_check_entry(const memo_ent *m)
{
#ifndef NDEBUG
    assert(m->blob && m->outs);
    const char *s = m->blob;
    for (size_t i = 0; i < m->n; i++) {
        assert(*s);
        assert(m->outs[i]);
        s += strlen(s) + 1;
    }
#endif
    (void)m;
}

memo_ent *act_memo_find(env_actions *a, uint64_t key)
{
    memo_check_table(a);
    if (!a->memo_cap) return NULL;
    size_t j = key & (a->memo_cap - 1);
    while (a->memo[j].blob) {
        if (a->memo[j].key == key) {
            memo_check_entry(&a->memo[j]);
            return &a->memo[j];
        }
        j = (j + 1) & (a->memo_cap - 1);
    }
    return NULL;
}

void act_memo_clear(env_actions *a)
{
    for (size_t i = 0; i < a->memo_cap; i++) {
        jr_free(a->memo[i].blob);
        jr_free(a->memo[i].outs);
    }
    if (a->memo) memset(a->memo, 0, a->memo_cap * sizeof *a->memo);
    a->memo_n = 0;
}

/* Store the answer (blob, outs, n) under key: the table takes them, or
 * (out of memory) nothing changes and the caller still owns them. */
static memo_ent *memo_insert(env_actions *a, uint64_t key, char *blob, uint64_t *outs, size_t n)
{
    assert(blob && outs);
    if ((a->memo_n + 1) * 2 > a->memo_cap && a->memo_n < MEMO_MAX) {
        size_t nc = a->memo_cap ? a->memo_cap * 2 : 1024;
        memo_ent *nm = jr_calloc(nc, sizeof *nm);
        if (!nm) return NULL;
        for (size_t i = 0; i < a->memo_cap; i++)
            if (a->memo[i].blob) {
                size_t j = a->memo[i].key & (nc - 1);
                while (nm[j].blob) j = (j + 1) & (nc - 1);
                nm[j] = a->memo[i];
            }
        jr_free(a->memo);
        a->memo = nm;
        a->memo_cap = nc;
    }
    /* full: start again (the table was grown to hold MEMO_MAX) */
    if (a->memo_n >= MEMO_MAX) act_memo_clear(a);
    size_t j = key & (a->memo_cap - 1);
    while (a->memo[j].blob) j = (j + 1) & (a->memo_cap - 1);
    memo_ent *m = &a->memo[j];
    m->key = key;
    m->blob = blob;
    m->outs = outs;
    m->n = n;
    memcpy(m->noise, a->noise, sizeof m->noise);
    a->memo_n++;
    memo_check_table(a);
    memo_check_entry(m);
    return m;
}

/* Key of a state: the whole world region, turn counter included (games
 * schedule events by the turn: zork3's WAITs).  Exact answers are a
 * function of the state (what is learnt is learnt per state), so a memo
 * shared by several runs gives each what it would compute.  With `fast`
 * the key is taken after a `look` and leaves out the turn counters, the
 * parser's globals and scratch attributes (learnt at every state: what a
 * no-op or a refused command changes) and where distant objects are: the
 * same world reached by two commands, or at another turn, is then one
 * key. */
/* With local_key: the tree links of objects outside the player's
 * location (and of the player's possessions) leave the key; their
 * attributes and properties stay.  Where the lamp was dropped three rooms
 * away rarely changes what can be done here, and the states of a game
 * whose objects wander differ mostly so. */
static void drop_distant(env_actions *a, const jitrl_zvm *vm, uint8_t *r)
{
    const env_world *w = a->w;
    unsigned loc = env_location(vm, w);
    if (!loc || !w->player) return;
    unsigned esize, links, llen;
    for (unsigned o = 1; o <= w->nobj; o++) {
        if (o == loc || env_inside(vm, o, loc, w->nobj) || env_inside(vm, o, w->player, w->nobj)) continue;
        uint32_t e = env_obj_entry(vm, o, &esize, &links, &llen);
        for (unsigned k = 0; k < llen; k++) {
            long i = act_region_index(a, e + links + k);
            if (i >= 0) r[i] = 0;
        }
    }
}

/* The attributes of the key mask, cleared on every object. */
static void drop_scratch_attrs(env_actions *a, const jitrl_zvm *vm, uint8_t *r)
{
    unsigned esize, links, llen;
    for (unsigned o = 1; o <= a->w->nobj; o++) {
        uint32_t e = env_obj_entry(vm, o, &esize, &links, &llen);
        for (unsigned k = 0; k < links; k++) {
            long i = act_region_index(a, e + k);
            if (i >= 0) r[i] &= (uint8_t)~a->keymask_attr[k];
        }
    }
}

/* Add the attributes whose bits are set in the region mask m (a byte per
 * region byte) to the key mask. */
static void keymask_attrs_from(env_actions *a, const jitrl_zvm *vm, const uint8_t *m)
{
    unsigned esize, links, llen;
    for (unsigned o = 1; o <= a->w->nobj; o++) {
        uint32_t e = env_obj_entry(vm, o, &esize, &links, &llen);
        for (unsigned k = 0; k < links; k++) {
            long i = act_region_index(a, e + k);
            if (i >= 0) a->keymask_attr[k] |= m[i];
        }
    }
}

uint64_t act_state_key(env_actions *a, const jitrl_zvm *vm)
{
    act_region_copy(a, vm, a->scratch[0]);
    if (!a->reuse) return XXH3_64bits(a->scratch[0], a->rlen);
    if (a->local_key) drop_distant(a, vm, a->scratch[0]);
    if (a->keymask_set) drop_scratch_attrs(a, vm, a->scratch[0]);
    for (uint32_t k = 0; k < a->moves_len; k++) {
        long i = act_region_index(a, a->moves_addr + k);
        if (i >= 0) a->scratch[0][i] = 0;
    }
    for (size_t g = 0; g < 240 && 2 * g + 1 < GLEN(a); g++)
        if ((a->counter_g[g / 8] | a->keymask_g[g / 8]) >> (g % 8) & 1)
            a->scratch[0][2 * g] = a->scratch[0][2 * g + 1] = 0;
    return XXH3_64bits(a->scratch[0], a->rlen);
}

int act_set_answer(env_actions *a, memo_ent *m, const char *const **acts, const uint64_t **outs, size_t *n)
{
    memo_check_entry(m);
    if (a->acts_cap < m->n + 1) {
        const char **p = jr_realloc(a->acts, (m->n + 1) * sizeof *p);
        if (!p) return JITRL_ENOMEM;
        a->acts = p;
        a->acts_cap = m->n + 1;
    }
    const char *s = m->blob;
    for (size_t i = 0; i < m->n; i++) {
        a->acts[i] = s;
        s += strlen(s) + 1;
    }
    a->acts[m->n] = NULL;
    *acts = a->acts;
    *outs = m->outs;
    *n = m->n;
    return JITRL_OK;
}

/* The memo key of the state in `vm` (snapshot `snap`), and the room
 * description into a->look_text: both from one `look`.  With `fast` the
 * key is taken after it: `look` rewrites what the parser keeps of the last
 * command (whose location it parsed in, which objects it listed), so the
 * same world reached by different commands gives the same key.  (A game
 * over or a fault: the state as it is.) */
uint64_t act_look_key(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    int quit;
    a->look_text[0] = 0;
    for (unsigned g = 0; g < 240; g++) a->look_gl[g] = jitrl_zvm_global(vm, g);
    if (act_run_cmd(a->vm[0], snap, snaplen, "look", a->budget, &quit, &a->oom[0]) && !quit) {
        size_t n;
        snprintf(a->look_text, sizeof a->look_text, "%s", jitrl_zvm_output(a->vm[0], &n));
        for (unsigned g = 0; g < 240; g++) a->look_gl[g] = jitrl_zvm_global(a->vm[0], g);
        if (a->reuse) return act_state_key(a, a->vm[0]);
    }
    return act_state_key(a, vm);
}

/* Learn the key mask from the state just evaluated (the first state, or
 * every state with `fast`).  Returns 1 if it changed (or this is the first
 * state): the state's key must be taken again; -1 out of memory (the
 * caller restores the key mask: a half-learnt one would be kept). */
int act_learn_keymask(env_actions *a, const jitrl_zvm *vm, int first)
{
    /* the parser's globals: what most commands, or a no-op, change
     * (fast, history-dependent anyway: learnt at every state) */
    uint8_t was[32 + 6];
    memcpy(was, a->keymask_g, 32);
    memcpy(was + 32, a->keymask_attr, 6);
    for (int k = 0; k < 32; k++) a->keymask_g[k] |= a->noise[k];
    for (size_t g = 0; g < 240 && 2 * g + 1 < GLEN(a); g++)
        if (a->mask[2 * g]) a->keymask_g[g / 8] |= (uint8_t)(1u << (g % 8));
    /* ... or a command the parser refused (it took no turn); the
     * attributes likewise (the library's "workflag") */
    keymask_attrs_from(a, vm, a->mask);
    uint8_t *am = jr_calloc(a->rlen + 1, 1);
    if (!am) return -1;
    for (size_t c = 0; c < a->cands.n; c++) {
        if (a->dturn[c] || a->dquit[c]) continue;
        const struct dpool *p = &a->pool[a->dthr[c]];
        for (uint32_t k = 0; k < a->dn[c]; k++) {
            uint32_t i = p->idx[a->doff[c] + k];
            if (i < GLEN(a) && i / 2 < 256) a->keymask_g[i / 16] |= (uint8_t)(1u << (i / 2 % 8));
            if (i >= GLEN(a)) am[i] |= (uint8_t)(p->val[a->doff[c] + k] ^ a->base[i]);
        }
    }
    keymask_attrs_from(a, vm, am);
    jr_free(am);
    a->keymask_set = 1;
    return first || memcmp(was, a->keymask_g, 32) || memcmp(was + 32, a->keymask_attr, 6);
}

static int cmp_idx(const void *x, const void *y, void *ctx)
{
    const env_actions *a = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    return strcmp(env_cand(&a->cands, i), env_cand(&a->cands, j));
}

/* Group the evaluated candidates by outcome (the first of each group wins,
 * the answer sorted by command) and store the answer under key: *out. */
int act_memo_store(env_actions *a, uint64_t key, memo_ent **out)
{
    size_t *keep = jr_malloc((a->cands.n + 1) * sizeof *keep);
    if (!keep) return JITRL_ENOMEM;
    size_t nk = 0;
    env_keyset seen = {0};
    for (size_t i = 0; i < a->cands.n; i++) {
        if (!a->changed[i]) continue;
        int r = env_keyset_add(&seen, a->outcome[i]);
        if (r < 0) { jr_free(keep); jr_free(seen.k); return JITRL_ENOMEM; }
        if (r) keep[nk++] = i;
    }
    jr_free(seen.k);
    qsort_r(keep, nk, sizeof *keep, cmp_idx, a);
    size_t bytes = 1;
    for (size_t i = 0; i < nk; i++) bytes += strlen(env_cand(&a->cands, keep[i])) + 1;
    /* the whole answer first, then into the table: a failure leaves no
     * entry (an empty one would answer "no valid actions" from then on) */
    char *blob = jr_malloc(bytes);
    uint64_t *outs = jr_malloc((nk + 1) * sizeof *outs);
    memo_ent *m = NULL;
    if (blob && outs) {
        size_t off = 0;
        for (size_t i = 0; i < nk; i++) {
            const char *s = env_cand(&a->cands, keep[i]);
            size_t l = strlen(s) + 1;
            memcpy(blob + off, s, l);
            off += l;
            outs[i] = a->outcome[keep[i]];
        }
        blob[off] = 0;
        m = memo_insert(a, key, blob, outs, nk);
    }
    jr_free(keep);
    if (!m) {
        jr_free(blob);
        jr_free(outs);
        return JITRL_ENOMEM;
    }
    *out = m;
    return JITRL_OK;
}
