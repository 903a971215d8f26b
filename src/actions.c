/*
 * actions.c -- valid actions: the commands that change the world at a
 * state, one readable command per distinct outcome.
 *
 * 1. Candidates come from the game's grammar (grammar.c): every verb line
 *    filled with the nouns the player can refer to (state.c names them by
 *    their dictionary words): the location's contents at any depth, the
 *    inventory, and objects named by nouns in the last observation and in
 *    the room description.  Lines are deduplicated by (action, objects), so
 *    verb synonyms cost nothing.  Two-object lines need one held object (or
 *    the first inside the second), and honour the grammar's own filters
 *    (held, creature, attribute, Infocom "find" flags).
 * 2. Each candidate is run from the snapshot on a private machine with an
 *    instruction budget; the world region (object tree, attributes and
 *    property tables, globals) is compared with the state before it.
 * 3. Noise is calibrated per state: the bits that change after no-op turns
 *    (`wait`, `look`) -- move counters, visited flags, wandering NPCs,
 *    timers, parser scratch globals -- are masked out.
 * 4. Candidates are grouped by the hash of the masked world after them; the
 *    first (simplest) command of each group is kept.
 * 5. Results are memoised by a hash of the world (without the move counter)
 *    and of the observation nouns used, so a revisited state costs nothing.
 * Work is split over `threads` machines (one per thread); results are
 * merged in candidate order, so the answer does not depend on threading.
 * Parser scratch globals are learnt per game (classify): a global a
 * command changed that a following no-op puts back is not world state.
 * Setting JITRL_ENV_DEBUG in the environment prints the diffs (a debugging
 * aid; it changes nothing).
 */
#include "env_int.h"
#include "candidates.h"

#include "base/alloc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#define MAX_THREADS 4
#define CAND_BUDGET 3000000ull
#define MEMO_MAX 100000
#define JITRL_EAGAIN_LEARNED (-1)   /* env_actions_outcome: recompute and retry */

typedef struct memo_ent {
    uint64_t key;
    uint8_t noise[32];
    char *blob;          /* n NUL-terminated strings */
    uint64_t *outs;
    size_t n;
} memo_ent;

struct env_actions {
    const env_grammar *g;
    const env_world *w;
    const env_facts *f;
    jitrl_zvm *vm[MAX_THREADS];
    int nthreads;
    uint64_t budget;
    uint32_t moves_addr, moves_len;
    size_t rlen;
    uint8_t *base, *mask;
    uint8_t *scratch[MAX_THREADS];
    /* candidates of the current call */
    env_cands cands;
    const void *probe_snap;   /* the snapshot env_check_nouns probes */
    size_t probe_len;
    int *changed;
    uint64_t *outcome;
    /* sparse diffs of each candidate against the base, in per-thread pools */
    struct dpool { uint32_t *idx; uint8_t *val; size_t n, cap; } pool[MAX_THREADS];
    uint8_t *dthr, *dquit, *dturn;
    unsigned base_moves;
    size_t *doff;
    uint32_t *dn;
    /* globals that most candidates change (parser scratch), per state */
    uint8_t noise[32];
    /* globals the parser overwrites on every command, learned per game */
    uint8_t scratch_g[32], real_g[32];
    uint8_t *after_wait, *after_x;
    int have_wait, have_x;
    /* memo */
    memo_ent *memo;
    size_t memo_cap, memo_n;
    /* current answer (borrowed by the caller) */
    const char **acts;
    size_t acts_cap;
    /* noise mask cache */
    uint64_t mask_key;
    int mask_valid;
    char look_text[2048];
};

/* ---- the world region ---- */

static void region_copy(const env_actions *a, const jitrl_zvm *vm, uint8_t *out)
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
static long region_index(const env_actions *a, uint32_t addr)
{
    const env_world *w = a->w;
    size_t gl = w->glob_hi - w->glob_lo, o1 = w->obj_hi - w->obj_lo;
    if (addr >= w->glob_lo && addr < w->glob_hi) return (long)(addr - w->glob_lo);
    if (addr >= w->obj_lo && addr < w->obj_hi) return (long)(gl + addr - w->obj_lo);
    if (addr >= w->obj2_lo && addr < w->obj2_hi) return (long)(gl + o1 + addr - w->obj2_lo);
    return -1;
}

/* ---- running one command ---- */

/* Restore, feed, run.  Returns 1 if the command ran to the next prompt (or
 * ended the game), 0 if it faulted or ran out of budget. */
static int feed(jitrl_zvm *vm, const char *cmd, uint64_t budget, int *quit)
{
    *quit = 0;
    env_clear_output(vm);
    if (jitrl_zvm_input(vm, cmd)) return 0;
    jitrl_zvm_stop stop;
    for (int keys = 0; keys < 8; keys++) {
        if (jitrl_zvm_run(vm, budget, &stop)) return 0;
        if (stop == JITRL_ZVM_INPUT) return 1;
        if (stop == JITRL_ZVM_QUIT) { *quit = 1; return 1; }
        if (stop != JITRL_ZVM_CHAR || jitrl_zvm_input(vm, "")) return 0;
    }
    return 0;
}

static int run_cmd(jitrl_zvm *vm, const void *snap, size_t snaplen, const char *cmd, uint64_t budget,
                   int *quit)
{
    *quit = 0;
    if (jitrl_zvm_restore(vm, snap, snaplen)) return 0;
    return feed(vm, cmd, budget, quit);
}

#define MAX_DIFF 512

static unsigned read_moves(const env_actions *a, const jitrl_zvm *vm)
{
    if (a->moves_len == 1) return jitrl_zvm_read_byte(vm, a->moves_addr);
    return jitrl_zvm_read_word(vm, a->moves_addr);
}

/* Record where the machine's world differs from the base (outside the
 * calibrated mask) as (region index, new value) pairs in pool p. */
static int diff_world(const env_actions *a, const jitrl_zvm *vm, uint8_t *scratch, struct dpool *p, size_t *off,
                      uint32_t *n)
{
    region_copy(a, vm, scratch);
    *off = p->n;
    *n = 0;
    for (size_t i = 0; i < a->rlen; i++) {
        uint8_t v = scratch[i] & (uint8_t)~a->mask[i];
        if (v == (a->base[i] & (uint8_t)~a->mask[i])) continue;
        if (*n >= MAX_DIFF) break;
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
        p->idx[p->n] = (uint32_t)i;
        p->val[p->n++] = v;
        (*n)++;
    }
    return JITRL_OK;
}

/* The region starts with the globals (GLEN bytes), then the objects. */
#define GLEN(a) ((size_t)((a)->w->glob_hi - (a)->w->glob_lo))

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

static void judge(const env_actions *a, const struct dpool *p, size_t off, uint32_t n, int quit, int turn,
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
        if (getenv("JITRL_ENV_DEBUG")) fprintf(stderr, "  diff at region %u: -> %02x\n", i, p->val[off + k]);
    }
    *changed = ch;
    *outcome = ch ? (h ^ (quit ? 0x9e3779b97f4a7c15ull : 0)) | 1 : 0;
}

/* Globals changed by at least a quarter of the candidates that changed
 * anything (and by 8 or more) are parser scratch, not world state. */
static void find_noise(env_actions *a)
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
    if (getenv("JITRL_ENV_DEBUG"))
        for (int g = 0; g < 256; g++)
            if (cnt[g]) fprintf(stderr, "global %d changed by %u of %zu%s\n", g, cnt[g], nany,
                                a->noise[g / 8] >> (g % 8) & 1 ? " (noise)" : "");
}

/* ---- noise calibration ---- */

static void calibrate(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    memset(a->mask, 0, a->rlen);
    /* the move counter never counts as a change */
    if (a->moves_len) {
        for (uint32_t k = 0; k < a->moves_len; k++) {
            long i = region_index(a, a->moves_addr + k);
            if (i >= 0) a->mask[i] = 0xff;
        }
    }
    static const char *const noops[] = {"wait", "look", "examine me"};
    a->look_text[0] = 0;
    a->have_wait = a->have_x = 0;
    for (size_t c = 0; c < sizeof noops / sizeof noops[0]; c++) {
        int quit;
        if (!run_cmd(vm, snap, snaplen, noops[c], a->budget, &quit) || quit) continue;
        if (c == 1) {
            size_t n;
            const char *t = jitrl_zvm_output(vm, &n);
            snprintf(a->look_text, sizeof a->look_text, "%s", t);
        }
        region_copy(a, vm, a->scratch[0]);
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
}

/* ---- nouns the parser resolves ---- */

/* env_noun_probe: "examine X" took a turn or changed something. */
static int noun_resolves(void *ctx, const char *cmd)
{
    env_actions *a = ctx;
    int quit, keep = 0;
    if (run_cmd(a->vm[0], a->probe_snap, a->probe_len, cmd, CAND_BUDGET, &quit)) {
        struct dpool p = {0};
        size_t off;
        uint32_t n;
        keep = quit || read_moves(a, a->vm[0]) != a->base_moves;
        if (!keep && !diff_world(a, a->vm[0], a->scratch[0], &p, &off, &n))
            for (uint32_t q = 0; q < n && !keep; q++) keep = p.idx[off + q] >= GLEN(a);
        jr_free(p.idx);
        jr_free(p.val);
    }
    return keep;
}

/* ---- evaluation, threaded ---- */

typedef struct job {
    env_actions *a;
    int t;
    const void *snap;
    size_t snaplen;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    env_actions *a = j->a;
    for (size_t i = (size_t)j->t; i < a->cands.n; i += (size_t)a->nthreads) {
        int quit;
        a->dthr[i] = (uint8_t)j->t;
        a->dn[i] = 0;
        a->dquit[i] = 0;
        if (!run_cmd(a->vm[j->t], j->snap, j->snaplen, env_cand(&a->cands, i), CAND_BUDGET, &quit))
            continue;
        a->dquit[i] = (uint8_t)quit;
        a->dturn[i] = (uint8_t)(read_moves(a, a->vm[j->t]) != a->base_moves);
        if (diff_world(a, a->vm[j->t], a->scratch[j->t], &a->pool[j->t], &a->doff[i], &a->dn[i])) a->dn[i] = 0;
    }
    return NULL;
}

/* Learn the parser's scratch globals: a global a command changed that a
 * following `wait` puts back to what `wait` alone leaves is overwritten by
 * every parse, so it is not world state; one that stays is (or is sticky
 * parser state such as a pronoun, see names_obj).  Parsers do not change,
 * so each global is classified once per game.  Returns 1 if a new scratch
 * global was found. */
static int classify(env_actions *a, const void *snap, size_t snaplen, const char *cmd, const struct dpool *p,
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
        if (!run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit) || quit) return found;
        if (!feed(a->vm[0], resets[r], CAND_BUDGET, &quit) || quit) continue;
        region_copy(a, a->vm[0], a->scratch[0]);
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

static void learn_scratch(env_actions *a, const void *snap, size_t snaplen)
{
    for (size_t c = 0; c < a->cands.n; c++)
        if (a->dturn[c] && a->dn[c] && !a->dquit[c])
            classify(a, snap, snaplen, env_cand(&a->cands, c), &a->pool[a->dthr[c]], a->doff[c], a->dn[c]);
}

/* Free the per-candidate result arrays. */
static void free_results(env_actions *a)
{
    jr_free(a->changed);
    jr_free(a->outcome);
    jr_free(a->dthr);
    jr_free(a->dquit);
    jr_free(a->dturn);
    jr_free(a->doff);
    jr_free(a->dn);
}

static int evaluate(env_actions *a, const void *snap, size_t snaplen)
{
    free_results(a);
    a->dturn = jr_calloc(a->cands.n + 1, 1);
    a->changed = jr_calloc(a->cands.n + 1, sizeof *a->changed);
    a->outcome = jr_calloc(a->cands.n + 1, sizeof *a->outcome);
    a->dthr = jr_calloc(a->cands.n + 1, 1);
    a->dquit = jr_calloc(a->cands.n + 1, 1);
    a->doff = jr_calloc(a->cands.n + 1, sizeof *a->doff);
    a->dn = jr_calloc(a->cands.n + 1, sizeof *a->dn);
    if (!a->dturn || !a->changed || !a->outcome || !a->dthr || !a->dquit || !a->doff || !a->dn) return JITRL_ENOMEM;
    for (int t = 0; t < MAX_THREADS; t++) a->pool[t].n = 0;
    job jobs[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < a->nthreads; t++) {
        jobs[t].a = a;
        jobs[t].t = t;
        jobs[t].snap = snap;
        jobs[t].snaplen = snaplen;
    }
    for (int t = 1; t < a->nthreads; t++) started[t] = pthread_create(&th[t], NULL, worker, &jobs[t]) == 0;
    worker(&jobs[0]);
    for (int t = 1; t < a->nthreads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else {
            /* no thread: do its share here */
            for (size_t i = (size_t)t; i < a->cands.n; i += (size_t)a->nthreads) {
                int quit;
                a->dthr[i] = 0;
                if (!run_cmd(a->vm[0], snap, snaplen, env_cand(&a->cands, i), CAND_BUDGET, &quit)) continue;
                a->dquit[i] = (uint8_t)quit;
                a->dturn[i] = (uint8_t)(read_moves(a, a->vm[0]) != a->base_moves);
                if (diff_world(a, a->vm[0], a->scratch[0], &a->pool[0], &a->doff[i], &a->dn[i])) a->dn[i] = 0;
            }
        }
    }
    learn_scratch(a, snap, snaplen);
    find_noise(a);
    for (size_t i = 0; i < a->cands.n; i++)
        judge(a, &a->pool[a->dthr[i]], a->doff[i], a->dn[i], a->dquit[i], a->dturn[i], env_cand(&a->cands, i),
              &a->changed[i], &a->outcome[i]);
    return JITRL_OK;
}

/* ---- memo ---- */

static memo_ent *memo_find(env_actions *a, uint64_t key)
{
    if (!a->memo_cap) return NULL;
    size_t j = key & (a->memo_cap - 1);
    while (a->memo[j].blob) {
        if (a->memo[j].key == key) return &a->memo[j];
        j = (j + 1) & (a->memo_cap - 1);
    }
    return NULL;
}

static void memo_clear(env_actions *a)
{
    for (size_t i = 0; i < a->memo_cap; i++) {
        jr_free(a->memo[i].blob);
        jr_free(a->memo[i].outs);
    }
    memset(a->memo, 0, a->memo_cap * sizeof *a->memo);
    a->memo_n = 0;
}

static memo_ent *memo_insert(env_actions *a, uint64_t key)
{
    if (a->memo_n >= MEMO_MAX) memo_clear(a);
    if ((a->memo_n + 1) * 2 > a->memo_cap) {
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
    size_t j = key & (a->memo_cap - 1);
    while (a->memo[j].blob) j = (j + 1) & (a->memo_cap - 1);
    a->memo[j].key = key;
    a->memo_n++;
    return &a->memo[j];
}

/* ---- public to the env ---- */

int env_actions_create(const uint8_t *story, size_t len, const jitrl_zvm_options *zopt, const env_grammar *g,
                       const env_world *w, const env_facts *f, int threads, uint64_t budget, env_actions **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    env_actions *a = jr_calloc(1, sizeof *a);
    if (!a) return JITRL_ENOMEM;
    a->g = g;
    a->w = w;
    a->f = f;
    a->budget = budget < CAND_BUDGET ? budget : CAND_BUDGET;
    a->nthreads = threads <= 0 ? 2 : threads > MAX_THREADS ? MAX_THREADS : threads;
    env_cands_init(&a->cands);
    int rc = JITRL_OK;
    for (int t = 0; t < a->nthreads; t++) {
        rc = jitrl_zvm_open_buffer(story, len, zopt, &a->vm[t], err, errlen);
        if (rc) goto fail;
    }
    a->rlen = (w->glob_hi - w->glob_lo) + (w->obj_hi - w->obj_lo) + (w->obj2_hi - w->obj2_lo);
    a->base = jr_malloc(a->rlen + 1);
    a->mask = jr_malloc(a->rlen + 1);
    a->after_wait = jr_malloc(a->rlen + 1);
    a->after_x = jr_malloc(a->rlen + 1);
    rc = JITRL_ENOMEM;
    if (!a->base || !a->mask || !a->after_wait || !a->after_x) goto fail;
    for (int t = 0; t < a->nthreads; t++)
        if (!(a->scratch[t] = jr_malloc(a->rlen + 1))) goto fail;
    if (f->known && f->moves.kind) {
        a->moves_addr = f->moves.addr;
        a->moves_len = f->moves.kind == 1 ? 1 : 2;
    } else {
        a->moves_addr = w->glob_lo + 4;
        a->moves_len = 2;
    }
    *out = a;
    return JITRL_OK;
fail:
    if (err && errlen && rc == JITRL_ENOMEM) snprintf(err, errlen, "out of memory");
    env_actions_free(a);
    return rc;
}

void env_actions_free(env_actions *a)
{
    if (!a) return;
    for (int t = 0; t < MAX_THREADS; t++) {
        jitrl_zvm_close(a->vm[t]);
        jr_free(a->scratch[t]);
    }
    memo_clear(a);
    jr_free(a->memo);
    jr_free(a->base);
    jr_free(a->mask);
    jr_free(a->after_wait);
    jr_free(a->after_x);
    env_cands_free(&a->cands);
    free_results(a);
    for (int t = 0; t < MAX_THREADS; t++) {
        jr_free(a->pool[t].idx);
        jr_free(a->pool[t].val);
    }
    jr_free(a->acts);
    jr_free(a);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Key of a state: the whole world region, move counter included: the
 * noise calibration and the outcome hashes depend on the turn (timers,
 * daemons), so two states are the same only if everything is. */
static uint64_t state_key(env_actions *a, const jitrl_zvm *vm)
{
    region_copy(a, vm, a->scratch[0]);
    return XXH3_64bits(a->scratch[0], a->rlen);
}

/* Hash of the dictionary words in the observation: the candidates depend
 * on them, so the memo key must too. */
static uint64_t obs_key(const jitrl_zvm *vm, const char *obs)
{
    uint64_t h = 0x51ed27;
    const char *p = obs;
    while (p && *p) {
        char word[32];
        size_t k;
        p = env_next_word(p, word, sizeof word, &k);
        if (k >= 3 && jitrl_zvm_dict_lookup(vm, word)) h = XXH3_64bits_withSeed(word, k, h);
    }
    return h * 0x9e3779b97f4a7c15ull;
}

/* Prepare base, mask and the nouns for the state in `vm`. */
static int prepare(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, uint64_t skey)
{
    region_copy(a, vm, a->base);
    a->base_moves = read_moves(a, vm);
    if (!a->mask_valid || a->mask_key != skey) {
        calibrate(a, a->vm[0], snap, snaplen);
        a->mask_key = skey;
        a->mask_valid = 1;
    }
    return JITRL_OK;
}

static int set_answer(env_actions *a, memo_ent *m, const char *const **acts, const uint64_t **outs, size_t *n)
{
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

static int cmp_idx(const void *x, const void *y, void *ctx)
{
    const env_actions *a = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    return strcmp(env_cand(&a->cands, i), env_cand(&a->cands, j));
}

int env_actions_get(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                    const char *const **acts, const uint64_t **outcomes, size_t *n, jitrl_env_action_stats *st,
                    char *err, size_t errlen)
{
    double t0 = now_ms();
    memset(st, 0, sizeof *st);
    uint64_t key = state_key(a, vm) ^ obs_key(vm, obs);
    memo_ent *m = memo_find(a, key);
    if (m) {
        memcpy(a->noise, m->noise, sizeof a->noise);
        st->cached = 1;
        st->groups = m->n;
        int rc = set_answer(a, m, acts, outcomes, n);
        st->ms = now_ms() - t0;
        return rc;
    }
    env_noun *nouns = jr_malloc(ENV_MAX_NOUNS * sizeof *nouns);
    if (!nouns) return JITRL_ENOMEM;
    int rc = prepare(a, vm, snap, snaplen, key);
    uint64_t tkey = 0;
    size_t nn = env_collect_nouns(vm, a->g, a->w, obs, a->look_text, nouns, ENV_MAX_NOUNS, &tkey);
    a->probe_snap = snap;
    a->probe_len = snaplen;
    if (!rc) nn = env_check_nouns(vm, nouns, nn, noun_resolves, a);
    if (!rc) rc = env_generate(&a->cands, vm, a->g, nouns, nn);
    jr_free(nouns);
    if (!rc) rc = evaluate(a, snap, snaplen);
    if (rc) {
        snprintf(err, errlen, "valid actions: %s", jitrl_strerror(rc));
        return rc;
    }
    /* group by outcome, first candidate wins */
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
    m = memo_insert(a, key);
    if (!m) { jr_free(keep); return JITRL_ENOMEM; }
    m->blob = jr_malloc(bytes);
    m->outs = jr_malloc((nk + 1) * sizeof *m->outs);
    if (!m->blob || !m->outs) {
        /* leave a valid empty entry behind */
        jr_free(m->outs);
        m->outs = NULL;
        if (!m->blob) m->blob = jr_strdup("");
        m->n = 0;
        jr_free(keep);
        return JITRL_ENOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < nk; i++) {
        const char *s = env_cand(&a->cands, keep[i]);
        size_t l = strlen(s) + 1;
        memcpy(m->blob + off, s, l);
        off += l;
        m->outs[i] = a->outcome[keep[i]];
    }
    m->blob[off] = 0;
    m->n = nk;
    memcpy(m->noise, a->noise, sizeof a->noise);
    jr_free(keep);
    st->candidates = a->cands.n;
    st->groups = nk;
    rc = set_answer(a, m, acts, outcomes, n);
    st->ms = now_ms() - t0;
    return rc;
}

int env_actions_outcome(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                        const char *cmd, int *changed, uint64_t *outcome)
{
    uint64_t skey = state_key(a, vm) ^ obs_key(vm, obs);
    prepare(a, vm, snap, snaplen, skey);
    int quit;
    *changed = 0;
    *outcome = 0;
    if (!run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit)) return JITRL_OK;
    struct dpool p = {0};
    size_t off;
    uint32_t n;
    int rc = diff_world(a, a->vm[0], a->scratch[0], &p, &off, &n);
    int turn = read_moves(a, a->vm[0]) != a->base_moves;
    if (!rc && turn && classify(a, snap, snaplen, cmd, &p, off, n)) {
        /* a new scratch global: answers memoised so far counted it */
        memo_clear(a);
        rc = JITRL_EAGAIN_LEARNED;
    }
    if (!rc) judge(a, &p, off, n, quit, turn, cmd, changed, outcome);
    jr_free(p.idx);
    jr_free(p.val);
    if (rc) return rc;
    if (getenv("JITRL_ENV_DEBUG")) {
        size_t tl;
        fprintf(stderr, "[%s] quit=%d changed=%d: %s\n", cmd, quit, *changed, jitrl_zvm_output(a->vm[0], &tl));
    }
    return JITRL_OK;
}
