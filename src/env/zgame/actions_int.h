/*
 * actions_int.h -- private to the valid-actions files (the module's header
 * for the rest of the environment is env_int.h, ---- actions ----):
 *
 *   actions.c        the entry points: create/free, env_actions_get (memo
 *                    lookup, compute, group, store) and env_actions_outcome
 *   actions_diff.c   the world region and a candidate's sparse diff against
 *                    the state before it; judging a diff (changed? outcome)
 *   actions_noise.c  masking calibration: the no-op mask, the per-state noise
 *                    globals, the parser scratch globals, the turn counters
 *   actions_memo.c   memoisation: the state key, the memo table, the key mask
 *   actions_fast.c   the `fast` option: footprints of commands that changed
 *                    nothing, skipped at states with the same footprint
 *   actions_probe.c  running candidates on snapshots in worker machines, one
 *                    per thread (and the noun probe)
 *
 * One struct, env_actions, holds the state of all of them; functions shared
 * between the files have the act_ prefix.
 */
#ifndef JITRL_ACTIONS_INT_H
#define JITRL_ACTIONS_INT_H

#include "env/zgame/env_int.h"
#include "env/zgame/candidates.h"

#include <stddef.h>
#include <stdint.h>

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
    int no_counter;      /* the fallback found no turn counter (act_took_turn) */
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
    /* a run of the current call failed for want of memory, per thread
     * (thread 0 is the caller's): the call fails (act_oom) */
    uint8_t oom[MAX_THREADS];
    uint64_t ins[MAX_THREADS];   /* instructions the candidates of this call ran, per thread */
    uint64_t base_ins;           /* ... counted from the state's own count */
    env_log log;   /* debugging output (jitrl_zgame_options.log) */
};

/* The region starts with the globals (GLEN bytes), then the objects. */
#define GLEN(a) ((size_t)((a)->w->glob_hi - (a)->w->glob_lo))
#define MAX_DIFF 512    /* region bytes recorded per candidate diff */

/* ---- actions_diff.c ---- */

/* Copy the world region of vm into out[0..a->rlen). */
void act_region_copy(const env_actions *a, const jitrl_zvm *vm, uint8_t *out);
/* Index of memory address addr in the region, or -1. */
long act_region_index(const env_actions *a, uint32_t addr);
/* The turn counter of vm. */
unsigned act_read_moves(const env_actions *a, const jitrl_zvm *vm);
/* Did the command run on vm take a turn?  With no counter (a fallback
 * story whose `wait`s count nothing) every command did: its globals are
 * judged like the rest of the world. */
static inline int act_took_turn(const env_actions *a, const jitrl_zvm *vm)
{
    return a->no_counter || act_read_moves(a, vm) != a->base_moves;
}
/* The region bytes of vm that differ from a->base outside a->mask, appended
 * to the pool as (index, value) pairs: p->idx[*off .. *off + *n). */
int act_diff_world(const env_actions *a, const jitrl_zvm *vm, struct dpool *p, size_t *off, uint32_t *n);
/* Judge a recorded diff: did the world change (beyond noise), and the hash
 * identifying the outcome (0 if not). */
void act_judge(const env_actions *a, const struct dpool *p, size_t off, uint32_t n, int quit, int turn,
               const char *cmd, int *changed, uint64_t *outcome);

/* ---- actions_noise.c ---- */

/* The mask of the bytes no-op turns change at the state (a->base);
 * JITRL_ENOMEM when a no-op could not run for want of memory. */
int act_calibrate(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen);
/* a->noise from the candidates' diffs and the scratch globals. */
void act_find_noise(env_actions *a);
/* Learn whether the globals cmd changed are parser scratch; 1 if a new one. */
int act_classify(env_actions *a, const void *snap, size_t snaplen, const char *cmd, const struct dpool *p,
                 size_t off, uint32_t n);
/* The parser scratch globals at this state, from its candidates' diffs. */
void act_learn_scratch(env_actions *a, const void *snap, size_t snaplen);
/* Find the turn counter(s) by two `wait`s (once; JITRL_ENOMEM: again next
 * time). */
int act_find_moves(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen);

/* ---- actions_memo.c ---- */

memo_ent *act_memo_find(env_actions *a, uint64_t key);
void act_memo_clear(env_actions *a);
/* The key of the world in vm (uses a->scratch[0]). */
uint64_t act_state_key(env_actions *a, const jitrl_zvm *vm);
/* The memo key of the state, and the room description into a->look_text. */
uint64_t act_look_key(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen);
/* The memo key: the state key and the hash of the text nouns. */
static inline uint64_t memo_key(uint64_t skey, uint64_t tkey)
{
    return skey ^ (tkey + 0x51ed27) * 0x9e3779b97f4a7c15ull;
}
/* Learn the key mask from the state just evaluated; 1 if the state's key
 * must be taken again, -1 out of memory. */
int act_learn_keymask(env_actions *a, const jitrl_zvm *vm, int first);
/* Group the evaluated candidates by outcome and store the answer; on
 * failure (JITRL_ENOMEM) the memo is as it was. */
int act_memo_store(env_actions *a, uint64_t key, memo_ent **out);
/* Point the caller's arrays at memo entry m. */
int act_set_answer(env_actions *a, memo_ent *m, const char *const **acts, const uint64_t **outs, size_t *n);

/* ---- actions_fast.c ---- */

/* Allocate a->skip and *fps, the candidates' footprints, and set
 * a->skip[i] for those whose footprint changed nothing before. */
int act_fast_mark(env_actions *a, const jitrl_zvm *vm, uint64_t **fps);
/* After judging: remember the footprints of the candidates that changed
 * nothing (JITRL_ENOMEM: some not remembered; they are run again). */
int act_fast_remember(env_actions *a, const uint64_t *fps);

/* ---- actions_probe.c ---- */

/* Feed cmd to vm (stopped at input) and run to the next prompt; 1 if it got
 * there (or the game ended: *quit), 0 if it faulted or ran out of budget,
 * or out of memory: then *oom = 1 too, and the caller must fail rather
 * than read the 0 as "the command does nothing". */
int act_feed(jitrl_zvm *vm, const char *cmd, uint64_t budget, int *quit, uint8_t *oom);
/* act_feed after restoring snap. */
int act_run_cmd(jitrl_zvm *vm, const void *snap, size_t snaplen, const char *cmd, uint64_t budget, int *quit,
                uint8_t *oom);
/* Did a run of this call fail for want of memory (a->oom of any thread)? */
int act_oom(const env_actions *a);
/* env_noun_probe over a->probe_snap. */
int act_noun_resolves(void *ctx, const char *cmd);
/* Run every candidate from snap and judge it: a->changed, a->outcome. */
int act_evaluate(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen);
/* Free the per-candidate result arrays. */
void act_free_results(env_actions *a);

#endif
