/*
 * actions_diff.c -- the world diff of valid actions (see actions.c).
 *
 * The world region is the part of memory a command's effect shows in: the
 * globals, then the object table and property tables.  A candidate's run
 * leaves a sparse diff of the region against the state before it, outside
 * the no-op mask; judging it drops noise, scratch and pronoun globals and
 * hashes what is left into the outcome that groups equivalent commands.
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void act_region_copy(const env_actions *a, const jitrl_zvm *vm, uint8_t *out)
{
    size_t len = 0;
    const uint8_t *m = jitrl_zvm_memory(vm, &len);
    const env_world *w = a->w;
    size_t k = 0;
    for (uint32_t i = w->glob_lo; i < w->glob_hi; i++) out[k++] = i < len ? m[i] : 0;
    for (uint32_t i = w->obj_lo; i < w->obj_hi; i++) out[k++] = i < len ? m[i] : 0;
    for (uint32_t i = w->obj2_lo; i < w->obj2_hi; i++) out[k++] = i < len ? m[i] : 0;
}

/* Index of memory address addr in the region, or -1. */
long act_region_index(const env_actions *a, uint32_t addr)
{
    const env_world *w = a->w;
    size_t gl = w->glob_hi - w->glob_lo, o1 = w->obj_hi - w->obj_lo;
    if (addr >= w->glob_lo && addr < w->glob_hi) return (long)(addr - w->glob_lo);
    if (addr >= w->obj_lo && addr < w->obj_hi) return (long)(gl + addr - w->obj_lo);
    if (addr >= w->obj2_lo && addr < w->obj2_hi) return (long)(gl + o1 + addr - w->obj2_lo);
    return -1;
}

unsigned act_read_moves(const env_actions *a, const jitrl_zvm *vm)
{
    if (a->moves_len == 1) return jitrl_zvm_read_byte(vm, a->moves_addr);
    return jitrl_zvm_read_word(vm, a->moves_addr);
}

/* Append byte i of the region (masked value v) to the pool. */
static int pool_add(struct dpool *p, uint32_t i, uint8_t v)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 4096;
        uint32_t *ni = jr_realloc(p->idx, nc * sizeof *ni);
        if (!ni) return JITRL_ENOMEM;
        p->idx = ni;
        uint8_t *nv = jr_realloc(p->val, nc);
        if (!nv) return JITRL_ENOMEM;
        p->val = nv;
        p->cap = nc;
    }
    p->idx[p->n] = i;
    p->val[p->n++] = v;
    return JITRL_OK;
}

/* The region bytes of `vm` that differ from the base outside the mask, as
 * sparse (index, value) pairs.  It runs once per candidate on a few KB, so
 * it reads the machine's memory in place, skips equal 64-byte blocks, then
 * goes eight bytes at a time, and looks at single bytes only in words that
 * differ outside the mask. */
int act_diff_world(const env_actions *a, const jitrl_zvm *vm, struct dpool *p, size_t *off, uint32_t *n)
{
    size_t len = 0;
    const uint8_t *m = jitrl_zvm_memory(vm, &len);
    const env_world *w = a->w;
    const uint32_t lo[3] = {w->glob_lo, w->obj_lo, w->obj2_lo}, hi[3] = {w->glob_hi, w->obj_hi, w->obj2_hi};
    *off = p->n;
    *n = 0;
    size_t k = 0;   /* region index of lo[r] */
    for (int r = 0; r < 3; k += hi[r] > lo[r] ? hi[r] - lo[r] : 0, r++) {
        size_t span = hi[r] > lo[r] ? hi[r] - lo[r] : 0;
        size_t inmem = lo[r] >= len ? 0 : len - lo[r] < span ? len - lo[r] : span;
        for (size_t i = 0; i < span; i += 8) {
            /* most of the region is untouched: skip equal 64-byte blocks
             * with memcmp (vectorised) before looking closer */
            while (i % 64 == 0 && i + 64 <= inmem && !memcmp(m + lo[r] + i, a->base + k + i, 64)) i += 64;
            if (i >= span) break;
            size_t q = span - i < 8 ? span - i : 8;
            if (i + q <= inmem && q == 8) {
                uint64_t x, b, mk;
                memcpy(&x, m + lo[r] + i, 8);
                memcpy(&b, a->base + k + i, 8);
                memcpy(&mk, a->mask + k + i, 8);
                if (!((x ^ b) & ~mk)) continue;
            }
            for (size_t j = i; j < i + q; j++) {
                uint8_t nm = (uint8_t)~a->mask[k + j];
                uint8_t v = (uint8_t)((j < inmem ? m[lo[r] + j] : 0) & nm);
                if (v == (a->base[k + j] & nm)) continue;
                if (*n >= MAX_DIFF) return JITRL_OK;
                if (pool_add(p, (uint32_t)(k + j), v)) return JITRL_ENOMEM;
                (*n)++;
            }
        }
    }
    assert(k == a->rlen);
    return JITRL_OK;
}

static int is_noise(const env_actions *a, uint32_t i)
{
    if (i >= GLEN(a)) return 0;
    size_t g = i / 2;
    return g < 256 && (a->noise[g / 8] >> (g % 8) & 1);
}

/* Judge a recorded diff: did the world change (beyond noise), and the hash
 * identifying the outcome. */
/* Does the command `cmd` name object v by one of its words, or is v the
 * dictionary address of one of its words (the parser's topic word)? */
static int names_obj(const env_actions *a, const char *cmd, unsigned v)
{
    if (!v) return 0;
    const char *p = cmd;
    while (*p) {
        char word[32];
        size_t k;
        p = env_next_word(p, word, sizeof word, &k);
        if (!k) continue;
        uint32_t da = jitrl_zvm_dict_lookup(a->vm[0], word);
        if (da && da == v) return 1;
        if (v <= a->w->nobj && env_obj_has_word(a->vm[0], a->w, v, da)) return 1;
    }
    return 0;
}

void act_judge(const env_actions *a, const struct dpool *p, size_t off, uint32_t n, int quit, int turn,
                  const char *cmd, int *changed, uint64_t *outcome)
{
    uint64_t h = 0;
    int ch = quit;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = p->idx[off + k];
        if (is_noise(a, i)) continue;
        /* a command that took no turn (a parser refusal, a meta verb) only
         * leaves scratch behind in the globals */
        if (i < GLEN(a) && !turn) continue;
        /* a global now naming an object of the command is a pronoun ("it",
         * "him") or the parser's noun, not world state */
        if (i < GLEN(a)) {
            uint32_t g0 = i & ~1u;
            unsigned hi = a->base[g0], lo = a->base[g0 + 1];
            for (uint32_t q = 0; q < n; q++) {
                if (p->idx[off + q] == g0) hi = p->val[off + q];
                if (p->idx[off + q] == g0 + 1) lo = p->val[off + q];
            }
            unsigned v = hi << 8 | lo;
            if (names_obj(a, cmd, v)) continue;
        }
        ch = 1;
        uint8_t rec[5] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, p->val[off + k]};
        h = XXH3_64bits_withSeed(rec, sizeof rec, h);
        env_logf(&a->log, JITRL_ZGAME_LOG_DEBUG, "  diff at region %u: -> %02x [%s]", i, p->val[off + k], cmd);
    }
    *changed = ch;
    *outcome = ch ? (h ^ (quit ? 0x9e3779b97f4a7c15ull : 0)) | 1 : 0;
}

