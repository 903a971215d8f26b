/*
 * actions_noise.c -- masking calibration for valid actions (see actions.c).
 *
 * What changes although nothing happened: the bytes no-op turns (`wait`,
 * `look`, `examine me`) change (the mask, per state), the globals most
 * candidates change (noise, per state), the parser's scratch globals
 * (learnt from each state's candidates: classify, learn_writers) and the
 * turn counters (find_moves).
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Globals changed by at least a quarter of the candidates that changed
 * anything (and by 8 or more) are parser scratch, not world state. */
void act_find_noise(env_actions *a)
{
    memset(a->noise, 0, sizeof a->noise);
    size_t nany = 0;
    unsigned cnt[256] = {0};
    for (size_t c = 0; c < a->cands.n; c++) {
        if (!a->dn[c]) continue;
        nany++;
        const struct dpool *p = &a->pool[a->dthr[c]];
        int last = -1;
        for (uint32_t k = 0; k < a->dn[c]; k++) {
            uint32_t i = p->idx[a->doff[c] + k];
            if (i >= GLEN(a)) continue;
            int g = (int)(i / 2);
            if (g != last && g < 256) cnt[g]++;
            last = g;
        }
    }
    for (int g = 0; g < 256; g++)
        if (cnt[g] >= 8 && cnt[g] * 4 >= nany) a->noise[g / 8] |= (uint8_t)(1u << (g % 8));
    for (int k = 0; k < 32; k++) a->noise[k] |= a->scratch_g[k];
    for (int g = 0; env_log_on(&a->log, JITRL_ZGAME_LOG_DEBUG) && g < 256; g++)
        if (cnt[g])
            env_logf(&a->log, JITRL_ZGAME_LOG_DEBUG, "global %d changed by %u of %zu%s", g, cnt[g], nany,
                     a->noise[g / 8] >> (g % 8) & 1 ? " (noise)" : "");
}

/* ---- noise calibration ---- */

int act_calibrate(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    uint8_t oom = 0;
    memset(a->mask, 0, a->rlen);
    /* the move counter never counts as a change */
    if (a->moves_len) {
        for (uint32_t k = 0; k < a->moves_len; k++) {
            long i = act_region_index(a, a->moves_addr + k);
            if (i >= 0) a->mask[i] = 0xff;
        }
    }
    static const char *const noops[] = {"wait", "look", "examine me"};
    a->look_text[0] = 0;
    a->have_wait = a->have_x = 0;
    for (size_t c = 0; c < sizeof noops / sizeof noops[0]; c++) {
        int quit;
        if (!act_run_cmd(vm, snap, snaplen, noops[c], a->budget, &quit, &oom) || quit) continue;
        if (c == 1) {
            size_t n;
            const char *t = jitrl_zvm_output(vm, &n);
            snprintf(a->look_text, sizeof a->look_text, "%s", t);
        }
        act_region_copy(a, vm, a->scratch[0]);
        if (c == 0) {
            memcpy(a->after_wait, a->scratch[0], a->rlen);
            a->have_wait = 1;
        }
        if (c == 2) {
            memcpy(a->after_x, a->scratch[0], a->rlen);
            a->have_x = 1;
        }
        for (size_t i = 0; i < a->rlen; i++) {
            uint8_t d = a->scratch[0][i] ^ a->base[i];
            if (!d) continue;
            if (i >= GLEN(a)) a->mask[i] |= d;
            else {
                /* globals are words: mask both bytes */
                size_t g0 = i & ~(size_t)1;
                a->mask[g0] = 0xff;
                a->mask[g0 + 1] = 0xff;
            }
        }
    }
    /* a no-op that could not run for want of memory would leave its
     * noise unmasked: no mask */
    return oom ? JITRL_ENOMEM : JITRL_OK;
}

/* Learn the parser's scratch globals: a global a command changed that a
 * following `wait` puts back to what `wait` alone leaves is overwritten by
 * every parse, so it is not world state; one that stays is (or is sticky
 * parser state such as a pronoun, see names_obj).  Parsers do not change,
 * so each global is classified once per game.  Returns 1 if a new scratch
 * global was found. */
int act_classify(env_actions *a, const void *snap, size_t snaplen, const char *cmd, const struct dpool *p,
                    size_t off, uint32_t n)
{
    if (!a->have_wait) return 0;
    int fresh = 0, found = 0;
    for (uint32_t k = 0; k < n && !fresh; k++) {
        uint32_t i = p->idx[off + k], g = i / 2;
        fresh = i < GLEN(a) && !((a->scratch_g[g / 8] | a->real_g[g / 8]) >> (g % 8) & 1);
    }
    if (!fresh) return 0;
    /* the command then a no-op, against the no-op alone: "examine me"
     * overwrites the parser's noun state, "wait" its verb state */
    static const char *const resets[2] = {"examine me", "wait"};
    uint8_t reset[32] = {0};
    for (int r = 0; r < 2; r++) {
        const uint8_t *ref = r == 0 ? a->after_x : a->after_wait;
        if (r == 0 && !a->have_x) continue;
        int quit;
        if (!act_run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit, &a->oom[0]) || quit) return found;
        if (!act_feed(a->vm[0], resets[r], CAND_BUDGET, &quit, &a->oom[0]) || quit) continue;
        act_region_copy(a, a->vm[0], a->scratch[0]);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = p->idx[off + k], g = i / 2;
            if (i < GLEN(a) && a->scratch[0][2 * g] == ref[2 * g] && a->scratch[0][2 * g + 1] == ref[2 * g + 1])
                reset[g / 8] |= (uint8_t)(1u << (g % 8));
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = p->idx[off + k], g = i / 2;
        if (i >= GLEN(a) || ((a->scratch_g[g / 8] | a->real_g[g / 8]) >> (g % 8) & 1)) continue;
        if (reset[g / 8] >> (g % 8) & 1) {
            a->scratch_g[g / 8] |= (uint8_t)(1u << (g % 8));
            found = 1;
        } else {
            a->real_g[g / 8] |= (uint8_t)(1u << (g % 8));
        }
    }
    return found;
}

/* Global g after `first` then `then` from the snapshot, or -1. */
static long after_two(env_actions *a, const void *snap, size_t snaplen, const char *first, const char *then,
                      unsigned g)
{
    int quit;
    if (!act_run_cmd(a->vm[0], snap, snaplen, first, CAND_BUDGET, &quit, &a->oom[0]) || quit) return -1;
    if (!act_feed(a->vm[0], then, CAND_BUDGET, &quit, &a->oom[0]) || quit) return -1;
    return jitrl_zvm_global(a->vm[0], g);
}

/* The second test, for globals a no-op does not reset: parser and library
 * state such as the topic of "consult X about Y" (where it starts, how many
 * words), the action a "put X in Y" passes to Y, or the inventory style
 * stays until the next command that writes it, and then holds what that
 * command alone leaves: it remembers the last input, not the history.
 * World state accumulates: after "take lamp" then "take key" the score is
 * not what "take key" alone gives.  So two commands that set g to
 * different values are run one after the other; if g ends as the second
 * one alone leaves it (in either order: "take inventory" only sets a style
 * that is unset), g is scratch.  (A world setting that only ever
 * holds its last value, a dial, looks the same; its commands stay valid
 * when they move anything else.) */
static int only_globals(const env_actions *a, size_t c)
{
    const struct dpool *p = &a->pool[a->dthr[c]];
    for (uint32_t k = 0; k < a->dn[c]; k++)
        if (p->idx[a->doff[c] + k] >= GLEN(a)) return 0;
    return 1;
}

#define WRITER_MAX 6    /* writers of one global tried in pairs */

/* The writers of each global: up to WRITER_MAX candidates that leave it at
 * different values, those that change nothing but globals first. */
typedef struct writers {
    size_t c[WRITER_MAX];
    long v[WRITER_MAX];
    int nw, alone;
} writers;

static void learn_writers(env_actions *a, const void *snap, size_t snaplen)
{
    writers wr[240];
    unsigned ng = (unsigned)(GLEN(a) / 2) < 240 ? (unsigned)(GLEN(a) / 2) : 240;
    memset(wr, 0, sizeof wr);
    /* one sweep over the candidates' sparse diffs (sorted by region index,
     * globals first), rather than one per global */
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < a->cands.n; c++) {
            if (!a->dturn[c] || !a->dn[c] || a->dquit[c] || only_globals(a, c) != (pass == 0)) continue;
            const struct dpool *p = &a->pool[a->dthr[c]];
            const uint32_t *idx = p->idx + a->doff[c];
            const uint8_t *val = p->val + a->doff[c];
            for (uint32_t k = 0; k < a->dn[c]; k++) {
                uint32_t i = idx[k];
                if (i >= 2 * ng) break;
                unsigned g = i / 2, hi = a->base[2 * g], lo = a->base[2 * g + 1];
                if (i == 2 * g) {
                    hi = val[k];
                    if (k + 1 < a->dn[c] && idx[k + 1] == 2 * g + 1) lo = val[++k];
                } else {
                    lo = val[k];
                }
                if ((a->scratch_g[g / 8] | a->counter_g[g / 8] | a->wtested_g[g / 8]) >> (g % 8) & 1) continue;
                writers *w = &wr[g];
                if (pass == 0) w->alone = 1;
                long v = (long)(hi << 8 | lo);
                int dup = 0;
                for (int q = 0; q < w->nw && !dup; q++) dup = w->v[q] == v;
                if (dup || w->nw >= WRITER_MAX) continue;
                w->c[w->nw] = c;
                w->v[w->nw++] = v;
            }
        }
    for (unsigned g = 0; g < ng; g++) {
        const writers *w = &wr[g];
        if (!w->alone) continue;
        a->wtested_g[g / 8] |= (uint8_t)(1u << (g % 8));
        int tries = 0, scratch = 0;
        for (int x = 0; x < w->nw && !scratch && tries < 3; x++)
            for (int y = x + 1; y < w->nw && !scratch && tries < 3; y++, tries++) {
                const char *s1 = env_cand(&a->cands, w->c[x]), *s2 = env_cand(&a->cands, w->c[y]);
                scratch = after_two(a, snap, snaplen, s1, s2, g) == w->v[y] ||
                          after_two(a, snap, snaplen, s2, s1, g) == w->v[x];
                if (scratch) env_logf(&a->log, JITRL_ZGAME_LOG_DEBUG, "global %u is scratch: [%s] [%s]", g, s1, s2);
            }
        if (scratch) a->scratch_g[g / 8] |= (uint8_t)(1u << (g % 8));
    }
}

/* Scratch globals are learnt afresh at each state, from its own
 * candidates, so valid actions are a function of the state alone (not of
 * the states seen before) and a memo shared by several runs gives each the
 * answers it would compute itself.  With `reuse` (fast, history-dependent
 * anyway) what was learnt is kept, which saves most of the runs. */
void act_learn_scratch(env_actions *a, const void *snap, size_t snaplen)
{
    /* fast: what earlier states taught stays (parsers do not change) */
    if (!a->reuse) {
        memcpy(a->scratch_g, a->taught_g, sizeof a->scratch_g);
        memset(a->real_g, 0, sizeof a->real_g);
        memset(a->wtested_g, 0, sizeof a->wtested_g);
    }
    for (size_t c = 0; c < a->cands.n; c++)
        if (a->dturn[c] && a->dn[c] && !a->dquit[c])
            act_classify(a, snap, snaplen, env_cand(&a->cands, c), &a->pool[a->dthr[c]], a->doff[c], a->dn[c]);
    learn_writers(a, snap, snaplen);
}


/* With no facts, global 2 is the turn counter of version 3 status lines,
 * but Inform libraries for later versions keep it elsewhere (the Debian
 * 6/11 library: global 3, after the score).  Two `wait`s from the first
 * state show it: the lowest global that counts 1, 2 with them.  Nothing
 * found keeps global 2.  Every global counting so (a library keeps the
 * turns twice, for the status line and for itself) is left out of the
 * memo key, so a state revisited later in an episode is a hit. */
int act_find_moves(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    jitrl_zvm *t = a->vm[0];
    int quit;
    uint8_t oom = 0;
    /* counted only when the waits ran or failed for a reason that will
     * stay: out of memory, it is tried again */
    int ran = act_run_cmd(t, snap, snaplen, "wait", CAND_BUDGET, &quit, &oom) && !quit;
    uint16_t once[240];
    for (unsigned g = 0; ran && g < 240; g++) once[g] = jitrl_zvm_global(t, g);
    ran = ran && act_feed(t, "wait", CAND_BUDGET, &quit, &oom) && !quit;
    if (oom) return JITRL_ENOMEM;
    a->counted = 1;
    if (!ran) return JITRL_OK;
    int found = !a->moves_guess;
    a->moves_guess = 0;
    for (unsigned g = 0; g < 240; g++) {
        uint16_t v0 = jitrl_zvm_global(vm, g);
        if (once[g] == (uint16_t)(v0 + 1) && jitrl_zvm_global(t, g) == (uint16_t)(v0 + 2)) {
            if (!found) a->moves_addr = a->w->glob_lo + 2 * g;
            found = 1;
            a->counter_g[g / 8] |= (uint8_t)(1u << (g % 8));
        }
    }
    a->no_counter = !found && a->g->kind == GR_FALLBACK;
    return JITRL_OK;
}
