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
 * 5. Results are memoised by a hash of the world after a `look` (which
 *    rewrites the parser's leftovers), without the turn counters and the
 *    parser's globals, and of the text nouns used, so a revisited state
 *    costs nothing (look_key, state_key).
 * Work is split over `threads` machines (one per thread); results are
 * merged in candidate order, so the answer does not depend on threading.
 * Parser scratch globals are learnt at each state from its candidates
 * (classify: a no-op puts them back; learn_writers: they hold what the
 * last command that wrote them left, not a history), so an answer is a
 * function of the state.  With no facts the turn counter is found by two
 * `wait`s (find_moves).  The `fast` option (jitrl_env_options.
 * fast_actions) trades exactness for speed: commands that changed nothing
 * at a state with the same footprint are not run again (footprint).
 * Setting JITRL_ENV_DEBUG in the environment prints the diffs and
 * JITRL_ENV_STATS one line per computed state (debugging aids; they change
 * nothing).
 */
#include "env/zgame/env_int.h"
#include "env/zgame/candidates.h"

#include "base/alloc.h"

#include <assert.h>
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
#define FAST_CANDS 300     /* candidates per state with `fast` */
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
    int moves_guess;     /* moves_addr is a guess to confirm on the first state */
    uint8_t counter_g[32];   /* globals counting the turns (the memo key ignores them) */
    uint8_t keymask_g[32];   /* parser globals at the first state (the memo key ignores them) */
    uint8_t keymask_attr[6]; /* attributes ditto (the library's scratch flags) */
    int keymask_set;
    int local_key;           /* the memo key leaves out where distant objects are */
    /* reuse: footprints of commands that changed nothing (see footprint) */
    int reuse;
    env_keyset quiet;
    uint8_t *skip;
    struct wobj { uint32_t word; unsigned obj; } *widx;   /* name words, sorted */
    size_t nwidx;
    int widx_built;
    uint16_t look_gl[240];   /* the globals after look_key's `look` */
    uint8_t taught_g[32];    /* scratch globals learnt from env_actions_outcome's commands */
    int counted;             /* find_moves ran */
    size_t rlen;
    uint8_t *base, *mask;
    uint8_t *scratch[MAX_THREADS];
    /* candidates of the current call */
    env_cands cands;
    const void *probe_snap;   /* the snapshot env_check_nouns probes */
    env_numbers nums;         /* numbers of the recent observations */
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
    uint8_t wtested_g[32];    /* globals learn_writers tried */
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
static int diff_world(const env_actions *a, const jitrl_zvm *vm, struct dpool *p, size_t *off, uint32_t *n)
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
        if (getenv("JITRL_ENV_DEBUG")) fprintf(stderr, "  diff at region %u: -> %02x [%s]\n", i, p->val[off + k], cmd);
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
        if (!keep && !diff_world(a, a->vm[0], &p, &off, &n))
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
        if (a->skip && a->skip[i]) continue;
        if (!run_cmd(a->vm[j->t], j->snap, j->snaplen, env_cand(&a->cands, i), CAND_BUDGET, &quit))
            continue;
        a->dquit[i] = (uint8_t)quit;
        a->dturn[i] = (uint8_t)(read_moves(a, a->vm[j->t]) != a->base_moves);
        if (diff_world(a, a->vm[j->t], &a->pool[j->t], &a->doff[i], &a->dn[i])) a->dn[i] = 0;
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

/* Global g after `first` then `then` from the snapshot, or -1. */
static long after_two(env_actions *a, const void *snap, size_t snaplen, const char *first, const char *then,
                      unsigned g)
{
    int quit;
    if (!run_cmd(a->vm[0], snap, snaplen, first, CAND_BUDGET, &quit) || quit) return -1;
    if (!feed(a->vm[0], then, CAND_BUDGET, &quit) || quit) return -1;
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
                if (scratch && getenv("JITRL_ENV_DEBUG"))
                    fprintf(stderr, "global %u is scratch: [%s] [%s]\n", g, s1, s2);
            }
        if (scratch) a->scratch_g[g / 8] |= (uint8_t)(1u << (g % 8));
    }
}

/* Scratch globals are learnt afresh at each state, from its own
 * candidates, so valid actions are a function of the state alone (not of
 * the states seen before) and a memo shared by several runs gives each the
 * answers it would compute itself.  With `reuse` (fast, history-dependent
 * anyway) what was learnt is kept, which saves most of the runs. */
static void learn_scratch(env_actions *a, const void *snap, size_t snaplen)
{
    /* fast: what earlier states taught stays (parsers do not change) */
    if (!a->reuse) {
        memcpy(a->scratch_g, a->taught_g, sizeof a->scratch_g);
        memset(a->real_g, 0, sizeof a->real_g);
        memset(a->wtested_g, 0, sizeof a->wtested_g);
    }
    for (size_t c = 0; c < a->cands.n; c++)
        if (a->dturn[c] && a->dn[c] && !a->dquit[c])
            classify(a, snap, snaplen, env_cand(&a->cands, c), &a->pool[a->dthr[c]], a->doff[c], a->dn[c]);
    learn_writers(a, snap, snaplen);
}

/* Free the per-candidate result arrays. */
static void free_results(env_actions *a)
{
    jr_free(a->skip);
    a->skip = NULL;
    jr_free(a->changed);
    jr_free(a->outcome);
    jr_free(a->dthr);
    jr_free(a->dquit);
    jr_free(a->dturn);
    jr_free(a->doff);
    jr_free(a->dn);
}

/* ---- reuse: commands that changed nothing at a like state ---- */

static int cmp_wobj(const void *x, const void *y)
{
    const struct wobj *p = x, *q = y;
    if (p->word != q->word) return p->word < q->word ? -1 : 1;
    return p->obj < q->obj ? -1 : p->obj > q->obj;
}

/* Which objects answer to which dictionary word (their name property),
 * sorted by word.  Names are fixed, so this is built once. */
static void build_widx(env_actions *a, const jitrl_zvm *vm)
{
    a->widx_built = 1;
    size_t cap = 0;
    for (unsigned o = 1; o <= a->w->nobj; o++) {
        unsigned len = 0;
        uint32_t pa = a->w->name_prop ? jitrl_zvm_prop_addr(vm, o, a->w->name_prop, &len) : 0;
        for (unsigned i = 0; pa && i + 1 < len; i += 2) {
            if (a->nwidx == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                struct wobj *nw = jr_realloc(a->widx, nc * sizeof *nw);
                if (!nw) return;
                a->widx = nw;
                cap = nc;
            }
            a->widx[a->nwidx].word = jitrl_zvm_read_word(vm, pa + i);
            a->widx[a->nwidx++].obj = o;
        }
    }
    if (a->nwidx) qsort(a->widx, a->nwidx, sizeof *a->widx, cmp_wobj);
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
static void mark_quiet(env_actions *a, const jitrl_zvm *vm, uint64_t *fps)
{
    if (!a->widx_built) build_widx(a, vm);
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
}

static int evaluate(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    free_results(a);
    uint64_t *fps = NULL;
    if (a->reuse && a->keymask_set) {
        a->skip = jr_calloc(a->cands.n + 1, 1);
        fps = jr_calloc(a->cands.n + 1, sizeof *fps);
        if (!a->skip || !fps) {
            jr_free(fps);
            return JITRL_ENOMEM;
        }
        mark_quiet(a, vm, fps);
    }
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
                if (a->skip && a->skip[i]) continue;
                if (!run_cmd(a->vm[0], snap, snaplen, env_cand(&a->cands, i), CAND_BUDGET, &quit)) continue;
                a->dquit[i] = (uint8_t)quit;
                a->dturn[i] = (uint8_t)(read_moves(a, a->vm[0]) != a->base_moves);
                if (diff_world(a, a->vm[0], &a->pool[0], &a->doff[i], &a->dn[i])) a->dn[i] = 0;
            }
        }
    }
    learn_scratch(a, snap, snaplen);
    find_noise(a);
    for (size_t i = 0; i < a->cands.n; i++)
        judge(a, &a->pool[a->dthr[i]], a->doff[i], a->dn[i], a->dquit[i], a->dturn[i], env_cand(&a->cands, i),
              &a->changed[i], &a->outcome[i]);
    if (fps) {
        if (a->quiet.n > 4 * MEMO_MAX) {
            jr_free(a->quiet.k);
            memset(&a->quiet, 0, sizeof a->quiet);
        }
        for (size_t i = 0; i < a->cands.n; i++)
            if (!a->skip[i] && !a->changed[i] && env_keyset_add(&a->quiet, fps[i] | 1) < 0) break;
        jr_free(fps);
    }
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
    if (a->memo) memset(a->memo, 0, a->memo_cap * sizeof *a->memo);
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
        a->moves_guess = 1;
    }
    *out = a;
    return JITRL_OK;
fail:
    if (err && errlen && rc == JITRL_ENOMEM) snprintf(err, errlen, "out of memory");
    env_actions_free(a);
    return rc;
}

void env_actions_set_fast(env_actions *a, int fast)
{
    a->local_key = a->reuse = fast != 0;
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
    jr_free(a->quiet.k);
    jr_free(a->widx);
    jr_free(a);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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
            long i = region_index(a, e + links + k);
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
            long i = region_index(a, e + k);
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
            long i = region_index(a, e + k);
            if (i >= 0) a->keymask_attr[k] |= m[i];
        }
    }
}

static uint64_t state_key(env_actions *a, const jitrl_zvm *vm)
{
    region_copy(a, vm, a->scratch[0]);
    if (!a->reuse) return XXH3_64bits(a->scratch[0], a->rlen);
    if (a->local_key) drop_distant(a, vm, a->scratch[0]);
    if (a->keymask_set) drop_scratch_attrs(a, vm, a->scratch[0]);
    for (uint32_t k = 0; k < a->moves_len; k++) {
        long i = region_index(a, a->moves_addr + k);
        if (i >= 0) a->scratch[0][i] = 0;
    }
    for (size_t g = 0; g < 240 && 2 * g + 1 < GLEN(a); g++)
        if ((a->counter_g[g / 8] | a->keymask_g[g / 8]) >> (g % 8) & 1)
            a->scratch[0][2 * g] = a->scratch[0][2 * g + 1] = 0;
    return XXH3_64bits(a->scratch[0], a->rlen);
}

/* With no facts, global 2 is the turn counter of version 3 status lines,
 * but Inform libraries for later versions keep it elsewhere (the Debian
 * 6/11 library: global 3, after the score).  Two `wait`s from the first
 * state show it: the lowest global that counts 1, 2 with them.  Nothing
 * found keeps global 2.  Every global counting so (a library keeps the
 * turns twice, for the status line and for itself) is left out of the
 * memo key, so a state revisited later in an episode is a hit. */
static void find_moves(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    a->counted = 1;
    jitrl_zvm *t = a->vm[0];
    int quit;
    if (!run_cmd(t, snap, snaplen, "wait", CAND_BUDGET, &quit) || quit) return;
    uint16_t once[240];
    for (unsigned g = 0; g < 240; g++) once[g] = jitrl_zvm_global(t, g);
    if (!feed(t, "wait", CAND_BUDGET, &quit) || quit) return;
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
}

void env_actions_counters(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen, uint8_t out[32])
{
    if (!a->counted) find_moves(a, vm, snap, snaplen);
    memcpy(out, a->counter_g, sizeof a->counter_g);
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

/* The memo key of the state in `vm` (snapshot `snap`), and the room
 * description into a->look_text: both from one `look`.  With `fast` the
 * key is taken after it: `look` rewrites what the parser keeps of the last
 * command (whose location it parsed in, which objects it listed), so the
 * same world reached by different commands gives the same key.  (A game
 * over or a fault: the state as it is.) */
static uint64_t look_key(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    int quit;
    a->look_text[0] = 0;
    for (unsigned g = 0; g < 240; g++) a->look_gl[g] = jitrl_zvm_global(vm, g);
    if (run_cmd(a->vm[0], snap, snaplen, "look", a->budget, &quit) && !quit) {
        size_t n;
        snprintf(a->look_text, sizeof a->look_text, "%s", jitrl_zvm_output(a->vm[0], &n));
        for (unsigned g = 0; g < 240; g++) a->look_gl[g] = jitrl_zvm_global(a->vm[0], g);
        if (a->reuse) return state_key(a, a->vm[0]);
    }
    return state_key(a, vm);
}

int env_actions_get(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                    const char *const **acts, const uint64_t **outcomes, size_t *n, jitrl_env_action_stats *st,
                    char *err, size_t errlen)
{
    double t0 = now_ms();
    memset(st, 0, sizeof *st);
    if (!a->counted) find_moves(a, vm, snap, snaplen);
    /* the key: the world, and the text nouns the candidates will use */
    uint64_t skey = look_key(a, vm, snap, snaplen);
    env_noun *nouns = jr_malloc(ENV_MAX_NOUNS * sizeof *nouns);
    if (!nouns) return JITRL_ENOMEM;
    uint64_t tkey = 0;
    /* fast: the room description's nouns but not the last observation's,
     * whose words would make every wording of a state a state of its own */
    char *obs_nums = a->reuse ? NULL : env_numbers_join(&a->nums, obs);
    const char *text = a->reuse ? "" : obs_nums ? obs_nums : obs;
    size_t nn = env_collect_nouns(vm, a->g, a->w, text, a->look_text, nouns, ENV_MAX_NOUNS, &tkey);
    jr_free(obs_nums);
    uint64_t key = skey ^ (tkey + 0x51ed27) * 0x9e3779b97f4a7c15ull;
    int first = !a->keymask_set;
    memo_ent *m = memo_find(a, key);
    if (m) {
        jr_free(nouns);
        memcpy(a->noise, m->noise, sizeof a->noise);
        st->cached = 1;
        st->groups = m->n;
        int rc = set_answer(a, m, acts, outcomes, n);
        st->ms = now_ms() - t0;
        return rc;
    }
    if (getenv("JITRL_ENV_DUMP")) {
        state_key(a, vm);
        FILE *df = fopen(getenv("JITRL_ENV_DUMP"), "a");
        if (df) {
            for (size_t q = 0; q < a->rlen; q++) fprintf(df, "%02x", a->scratch[0][q]);
            fprintf(df, " %llx\n", (unsigned long long)tkey);
            fclose(df);
        }
    }
    int rc = prepare(a, vm, snap, snaplen, state_key(a, vm));
    a->probe_snap = snap;
    a->probe_len = snaplen;
    if (!rc) nn = env_check_nouns(vm, nouns, nn, noun_resolves, a);
    if (!rc) rc = env_generate(&a->cands, vm, a->g, nouns, nn);
    /* fast: the likeliest candidates only (they come first: common verbs,
     * one noun before two, the player and topics last) */
    if (!rc && a->reuse && a->cands.n > FAST_CANDS) a->cands.n = FAST_CANDS;
    jr_free(nouns);
    if (!rc) rc = evaluate(a, vm, snap, snaplen);
    if (rc) {
        snprintf(err, errlen, "valid actions: %s", jitrl_strerror(rc));
        return rc;
    }
    if (first || a->reuse) {
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
        for (size_t c = 0; c < a->cands.n; c++) {
            if (a->dturn[c] || a->dquit[c]) continue;
            const struct dpool *p = &a->pool[a->dthr[c]];
            for (uint32_t k = 0; k < a->dn[c]; k++) {
                uint32_t i = p->idx[a->doff[c] + k];
                if (i < GLEN(a) && i / 2 < 256) a->keymask_g[i / 16] |= (uint8_t)(1u << (i / 2 % 8));
                if (i >= GLEN(a) && am) am[i] |= (uint8_t)(p->val[a->doff[c] + k] ^ a->base[i]);
            }
        }
        if (am) keymask_attrs_from(a, vm, am);
        jr_free(am);
        a->keymask_set = 1;
        if (first || memcmp(was, a->keymask_g, 32) || memcmp(was + 32, a->keymask_attr, 6))
            key = look_key(a, vm, snap, snaplen) ^ (tkey + 0x51ed27) * 0x9e3779b97f4a7c15ull;
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
    if (getenv("JITRL_ENV_STATS")) {
        size_t ns = 0;
        for (size_t i = 0; a->skip && i < a->cands.n; i++) ns += a->skip[i];
        fprintf(stderr, "valid actions: %.1f ms, %zu candidates (%zu not run), %zu groups\n", st->ms, a->cands.n,
                ns, nk);
    }
    return rc;
}

int env_actions_outcome(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                        const char *cmd, int *changed, uint64_t *outcome)
{
    if (!a->counted) find_moves(a, vm, snap, snaplen);
    prepare(a, vm, snap, snaplen, state_key(a, vm));
    int quit;
    *changed = 0;
    *outcome = 0;
    if (!run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit)) return JITRL_OK;
    struct dpool p = {0};
    size_t off;
    uint32_t n;
    int rc = diff_world(a, a->vm[0], &p, &off, &n);
    int turn = read_moves(a, a->vm[0]) != a->base_moves;
    /* what this state's answer knows: its noise (scratch included) */
    memcpy(a->scratch_g, a->noise, sizeof a->scratch_g);
    memset(a->real_g, 0, sizeof a->real_g);
    if (!rc && turn && classify(a, snap, snaplen, cmd, &p, off, n)) {
        /* a new scratch global: answers memoised so far counted it */
        for (int k = 0; k < 32; k++) a->taught_g[k] |= (uint8_t)(a->scratch_g[k] & ~a->noise[k]);
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
