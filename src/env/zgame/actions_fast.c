/*
 * actions_fast.c -- the `fast` option of valid actions (see actions.c).
 *
 * Commands that changed nothing at a state are remembered by their
 * footprint (the command and the parts of the world it can depend on) and
 * not run again at a state with the same footprint.  An approximation, so
 * an option (jitrl_zgame_options.fast_actions).
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int cmp_wobj(const void *x, const void *y)
{
    const struct wobj *p = x, *q = y;
    if (p->word != q->word) return p->word < q->word ? -1 : 1;
    return p->obj < q->obj ? -1 : p->obj > q->obj;
}

/* Which objects answer to which dictionary word (their name property),
 * sorted by word.  Names are fixed, so this is built once. */
static int build_widx(env_actions *a, const jitrl_zvm *vm)
{
    size_t cap = 0;
    a->nwidx = 0;
    for (unsigned o = 1; o <= a->w->nobj; o++) {
        unsigned len = 0;
        uint32_t pa = a->w->name_prop ? jitrl_zvm_prop_addr(vm, o, a->w->name_prop, &len) : 0;
        for (unsigned i = 0; pa && i + 1 < len; i += 2) {
            if (a->nwidx == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                struct wobj *nw = jr_realloc(a->widx, nc * sizeof *nw);
                if (!nw) {
                    /* no half index: it would leave named objects out of
                     * footprints; built again next time */
                    jr_free(a->widx);
                    a->widx = NULL;
                    a->nwidx = 0;
                    return JITRL_ENOMEM;
                }
                a->widx = nw;
                cap = nc;
            }
            a->widx[a->nwidx].word = jitrl_zvm_read_word(vm, pa + i);
            a->widx[a->nwidx++].obj = o;
        }
    }
    if (a->nwidx) qsort(a->widx, a->nwidx, sizeof *a->widx, cmp_wobj);
    a->widx_built = 1;
    return JITRL_OK;
}

/* Hash of object o as a command's outcome may depend on it: attributes,
 * parent, and the parent's attributes (an open box, a dark room). */
static uint64_t obj_print(const jitrl_zvm *vm, unsigned o, uint64_t h)
{
    unsigned esize, links, llen;
    uint8_t rec[24];
    size_t n = 0;
    uint32_t e = env_obj_entry(vm, o, &esize, &links, &llen);
    for (unsigned k = 0; k < links; k++) rec[n++] = jitrl_zvm_read_byte(vm, e + k);
    unsigned par = jitrl_zvm_parent(vm, o);
    rec[n++] = (uint8_t)(par >> 8);
    rec[n++] = (uint8_t)par;
    if (par) {
        uint32_t pe = env_obj_entry(vm, par, &esize, &links, &llen);
        for (unsigned k = 0; k < links; k++) rec[n++] = jitrl_zvm_read_byte(vm, pe + k);
    }
    return XXH3_64bits_withSeed(rec, n, h ^ o);
}

/* The footprint of command cmd at the state in vm: the command, the
 * globals (but the parser's and the turn counters), the location and the
 * player, every object the command names (by any of its words, wherever
 * it is), and for a command naming nothing ("north") every attribute of
 * the location's contents (the door).  A command that changed nothing at
 * one state changes nothing at another with the same footprint, as far as
 * a game's rules are local; `reuse` skips it there.  This is an
 * approximation (a lever that works only while a distant well holds the
 * bucket), so it is an option, for agents that need speed. */
static uint64_t footprint(env_actions *a, const jitrl_zvm *vm, uint64_t gkey, uint64_t lkey, const char *cmd)
{
    uint64_t h = XXH3_64bits_withSeed(cmd, strlen(cmd), gkey);
    int named = 0;
    const char *p = cmd;
    int first = 1;
    while (*p) {
        char word[32];
        size_t k;
        p = env_next_word(p, word, sizeof word, &k);
        if (!k) continue;
        uint32_t da = jitrl_zvm_dict_lookup(vm, word);
        if (first) { first = 0; continue; }   /* the verb */
        if (!da) continue;
        size_t lo = 0, hi = a->nwidx;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (a->widx[mid].word < da) lo = mid + 1;
            else hi = mid;
        }
        for (size_t i = lo; i < a->nwidx && a->widx[i].word == da; i++) {
            h = obj_print(vm, a->widx[i].obj, h);
            named = 1;
        }
    }
    return named ? h : h ^ lkey;
}

/* Mark the candidates whose footprint changed nothing before. */
static int mark_quiet(env_actions *a, const jitrl_zvm *vm, uint64_t *fps)
{
    if (!a->widx_built && build_widx(a, vm)) return JITRL_ENOMEM;
    /* globals (after `look`, which rewrites the parser's), but the
     * parser's and the counters */
    uint16_t gl[240];
    for (unsigned g = 0; g < 240; g++)
        gl[g] = ((a->keymask_g[g / 8] | a->counter_g[g / 8] | a->noise[g / 8]) >> (g % 8) & 1) ? 0
                : a->look_gl[g];
    uint64_t gkey = XXH3_64bits(gl, sizeof gl);
    unsigned loc = env_location(vm, a->w);
    if (loc) gkey = obj_print(vm, loc, gkey);
    if (a->w->player) gkey = obj_print(vm, a->w->player, gkey);
    /* what the player carries: "open chest" that did nothing without the
     * key may work with it, and names neither the key nor the player */
    for (unsigned o = 1; a->w->player && o <= a->w->nobj; o++)
        if (env_inside(vm, o, a->w->player, a->w->nobj)) gkey = obj_print(vm, o, gkey);
    /* the location's contents, for commands that name nothing */
    uint64_t lkey = 0x10c;
    for (unsigned o = 1; o <= a->w->nobj; o++)
        if (loc && env_inside(vm, o, loc, a->w->nobj)) lkey = obj_print(vm, o, lkey);
    for (size_t i = 0; i < a->cands.n; i++) {
        fps[i] = footprint(a, vm, gkey, lkey, env_cand(&a->cands, i));
        uint64_t k = fps[i] | 1;
        /* present in the set: keyset_add answers 0 and adds nothing */
        size_t cap = a->quiet.cap;
        int seen = 0;
        if (cap)
            for (size_t j = k & (cap - 1); a->quiet.k[j]; j = (j + 1) & (cap - 1))
                if (a->quiet.k[j] == k) { seen = 1; break; }
        a->skip[i] = (uint8_t)seen;
    }
    return JITRL_OK;
}

/* Allocate a->skip and *fps (the candidates' footprints) and mark the
 * candidates to skip. */
int act_fast_mark(env_actions *a, const jitrl_zvm *vm, uint64_t **fps)
{
    a->skip = jr_calloc(a->cands.n + 1, 1);
    *fps = jr_calloc(a->cands.n + 1, sizeof **fps);
    int rc = a->skip && *fps ? mark_quiet(a, vm, *fps) : JITRL_ENOMEM;
    if (rc) {
        jr_free(*fps);
        *fps = NULL;
    }
    return rc;
}

/* Remember the footprints of the candidates run that changed nothing.
 * The set is dropped when it grows past 4 * MEMO_MAX. */
int act_fast_remember(env_actions *a, const uint64_t *fps)
{
    if (a->quiet.n > 4 * MEMO_MAX) {
        jr_free(a->quiet.k);
        memset(&a->quiet, 0, sizeof a->quiet);
    }
    for (size_t i = 0; i < a->cands.n; i++)
        if (!a->skip[i] && !a->changed[i] && env_keyset_add(&a->quiet, fps[i] | 1) < 0) return JITRL_ENOMEM;
    return JITRL_OK;
}
