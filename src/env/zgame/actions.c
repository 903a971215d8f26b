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
 * `wait`s (find_moves).  The `fast` option (jitrl_zgame_options.
 * fast_actions) trades exactness for speed: commands that changed nothing
 * at a state with the same footprint are not run again (footprint).
 * Debugging output (the diffs, one line per computed state, a dump of the
 * keyed states; it changes nothing) goes to the log callback of the
 * options (jitrl_zgame_options.log); the CLI sets it from JITRL_ENV_DEBUG,
 * JITRL_ENV_STATS and JITRL_ENV_DUMP.
 *
 * The steps live in files of their own (actions_int.h lists them):
 * actions_diff.c (2, 4: the world diff and judging it), actions_noise.c
 * (3: masking calibration), actions_memo.c (5: memoisation),
 * actions_fast.c (the `fast` option) and actions_probe.c (running the
 * candidates on snapshots in worker machines).  This file holds the entry
 * points that put them together.
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- public to the env ---- */

int env_actions_create(const uint8_t *story, size_t len, const jitrl_zvm_options *zopt, const env_grammar *g,
                       const env_world *w, const env_facts *f, int threads, uint64_t budget, env_actions **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    env_actions *a = jr_calloc(1, sizeof *a);
    if (!a) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
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

void env_actions_set_log(env_actions *a, const env_log *log)
{
    a->log = *log;
    a->cands.log = &a->log;
}

/* The keyed world region (hex) and the noun key, one JITRL_ZGAME_LOG_DUMP
 * line (for comparing the states a run saw). */
static int dump_state(env_actions *a, const jitrl_zvm *vm, uint64_t tkey)
{
    act_state_key(a, vm);
    jr_buf b;
    jr_buf_init(&b, 2 * a->rlen + 32);
    int rc = JITRL_OK;
    for (size_t q = 0; !rc && q < a->rlen; q++) rc = jr_buf_printf(&b, "%02x", a->scratch[0][q]);
    if (!rc) rc = jr_buf_printf(&b, " %llx", (unsigned long long)tkey);
    if (!rc) a->log.fn(a->log.ctx, JITRL_ZGAME_LOG_DUMP, jr_buf_str(&b));
    jr_buf_free(&b);
    return rc;
}

void env_actions_free(env_actions *a)
{
    if (!a) return;
    for (int t = 0; t < MAX_THREADS; t++) {
        jitrl_zvm_close(a->vm[t]);
        jr_free(a->scratch[t]);
    }
    act_memo_clear(a);
    jr_free(a->memo);
    jr_free(a->base);
    jr_free(a->mask);
    jr_free(a->after_wait);
    jr_free(a->after_x);
    env_cands_free(&a->cands);
    act_free_results(a);
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

int env_actions_counters(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen, uint8_t out[32])
{
    int rc = a->counted ? JITRL_OK : act_find_moves(a, vm, snap, snaplen);
    memcpy(out, a->counter_g, sizeof a->counter_g);
    return rc;
}

/* Prepare base and mask for the state in `vm`.  The mask is kept only when
 * every no-op ran (or failed for a reason that stays). */
static int prepare(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, uint64_t skey)
{
    act_region_copy(a, vm, a->base);
    a->base_moves = act_read_moves(a, vm);
    if (!a->mask_valid || a->mask_key != skey) {
        a->mask_valid = 0;
        int rc = act_calibrate(a, a->vm[0], snap, snaplen);
        if (rc) return rc;
        a->mask_key = skey;
        a->mask_valid = 1;
    }
    return JITRL_OK;
}

/* What a computation learns and keeps beyond its answer; put back when it
 * fails, so a failed call (out of memory) changes nothing later calls see. */
#define LEARNT(f) {offsetof(env_actions, f), sizeof ((env_actions *)0)->f}
static const struct { size_t off, len; } learnt_fields[] = {
    LEARNT(scratch_g), LEARNT(real_g), LEARNT(wtested_g), LEARNT(keymask_g),
    LEARNT(keymask_attr), LEARNT(noise), LEARNT(keymask_set),
};
#undef LEARNT
typedef struct learnt { unsigned char bytes[5 * 32 + 6 + sizeof(int)]; } learnt;

/* Copy the learnt fields of a into l (save) or back (restore). */
static void learnt_copy(env_actions *a, learnt *l, int save)
{
    size_t at = 0;
    for (size_t i = 0; i < sizeof learnt_fields / sizeof learnt_fields[0]; i++) {
        unsigned char *f = (unsigned char *)a + learnt_fields[i].off;
        assert(at + learnt_fields[i].len <= sizeof l->bytes);
        if (save) memcpy(l->bytes + at, f, learnt_fields[i].len);
        else memcpy(f, l->bytes + at, learnt_fields[i].len);
        at += learnt_fields[i].len;
    }
}

int env_actions_get(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                    const char *const **acts, const uint64_t **outcomes, size_t *n, jitrl_zgame_action_stats *st,
                    char *err, size_t errlen)
{
    double t0 = now_ms();
    memset(st, 0, sizeof *st);
    *acts = NULL;
    *outcomes = NULL;
    *n = 0;
    memset(a->oom, 0, sizeof a->oom);
    learnt was;
    learnt_copy(a, &was, 1);
    int said = 0;   /* err already says why */
    env_noun *nouns = NULL;
    int rc = a->counted ? JITRL_OK : act_find_moves(a, vm, snap, snaplen);
    if (rc) goto out;
    /* the key: the world, and the text nouns the candidates will use */
    uint64_t skey = act_look_key(a, vm, snap, snaplen);
    rc = JITRL_ENOMEM;
    if (act_oom(a)) goto out;   /* no `look`: another key, another answer */
    nouns = jr_malloc(ENV_MAX_NOUNS * sizeof *nouns);
    if (!nouns) goto out;
    uint64_t tkey = 0;
    /* fast: the room description's nouns but not the last observation's,
     * whose words would make every wording of a state a state of its own */
    char *obs_nums = a->reuse ? NULL : env_numbers_join(&a->nums, obs);
    if (!a->reuse && !obs_nums) goto out;   /* without the numbers: other nouns */
    const char *text = a->reuse ? "" : obs_nums;
    size_t nn = env_collect_nouns(vm, a->g, a->w, text, a->look_text, nouns, ENV_MAX_NOUNS, &tkey);
    jr_free(obs_nums);
    uint64_t key = memo_key(skey, tkey);
    int first = !a->keymask_set;
    memo_ent *m = act_memo_find(a, key);
    if (m) {
        memcpy(a->noise, m->noise, sizeof a->noise);
        st->cached = 1;
        st->groups = m->n;
        rc = act_set_answer(a, m, acts, outcomes, n);
        goto out;
    }
    if (env_log_on(&a->log, JITRL_ZGAME_LOG_DUMP) && (rc = dump_state(a, vm, tkey))) goto out;
    /* one state's candidates share one turn's time (ENV_TURN_MS) */
    for (int t = 0; t < a->nthreads; t++) jitrl_zvm_set_deadline(a->vm[t], ENV_TURN_MS);
    rc = prepare(a, vm, snap, snaplen, act_state_key(a, vm));
    if (rc) goto out;
    a->probe_snap = snap;
    a->probe_len = snaplen;
    /* the fallback knows no verb to probe nouns with: all are kept */
    if (a->g->kind != GR_FALLBACK) nn = env_check_nouns(vm, nouns, nn, act_noun_resolves, a, &a->log);
    rc = JITRL_ENOMEM;
    if (act_oom(a)) goto out;   /* a noun dropped for want of memory */
    if ((rc = env_generate(&a->cands, vm, a->g, nouns, nn))) goto out;
    /* fast: the likeliest candidates only (they come first: common verbs,
     * one noun before two, the player and topics last) */
    if (a->reuse && a->cands.n > FAST_CANDS) a->cands.n = FAST_CANDS;
    rc = act_evaluate(a, vm, snap, snaplen);
    uint64_t ins = 0;   /* where the time goes: instructions per candidate (the STATS line) */
    for (int t = 0; t < a->nthreads; t++) ins += a->ins[t];
    int late = 0;
    for (int t = 0; t < a->nthreads; t++) {
        late |= jitrl_zvm_out_of_time(a->vm[t]);
        jitrl_zvm_set_deadline(a->vm[t], 0);
    }
    if (!rc && late) {
        /* a partial answer must not be memoised as the state's */
        snprintf(err, errlen, "valid actions: the story's commands ran for over %d ms (the turn's time limit)",
                 ENV_TURN_MS);
        said = 1;
        rc = JITRL_EBUDGET;
    }
    if (rc) goto out;
    if (first || a->reuse) {
        int rekey = act_learn_keymask(a, vm, first);
        rc = JITRL_ENOMEM;
        if (rekey < 0) goto out;
        if (rekey) key = memo_key(act_look_key(a, vm, snap, snaplen), tkey);
        if (act_oom(a)) goto out;
    }
    if ((rc = act_memo_store(a, key, &m))) goto out;
    st->candidates = a->cands.n;
    st->groups = m->n;
    rc = act_set_answer(a, m, acts, outcomes, n);
    if (env_log_on(&a->log, JITRL_ZGAME_LOG_STATS)) {
        size_t ns = 0;
        for (size_t i = 0; a->skip && i < a->cands.n; i++) ns += a->skip[i];
        env_logf(&a->log, JITRL_ZGAME_LOG_STATS,
                 "valid actions: %.1f ms, %zu candidates (%zu not run), %zu groups, %.0f instructions per candidate",
                 now_ms() - t0, a->cands.n, ns, m->n, a->cands.n ? (double)ins / (double)a->cands.n : 0.0);
    }
out:
    jr_free(nouns);
    st->ms = now_ms() - t0;
    for (int t = 0; t < a->nthreads; t++) jitrl_zvm_set_deadline(a->vm[t], 0);
    if (rc) {
        /* nothing learnt from a failed computation stays (the answer
         * stored before a failing act_set_answer is whole) */
        learnt_copy(a, &was, 0);
        *acts = NULL;
        *outcomes = NULL;
        *n = 0;
        if (!said) snprintf(err, errlen, "valid actions: %s", jitrl_strerror(rc));
    }
    return rc;
}

int env_actions_outcome(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                        const char *cmd, int *changed, uint64_t *outcome)
{
    *changed = 0;
    *outcome = 0;
    memset(a->oom, 0, sizeof a->oom);
    int rc = a->counted ? JITRL_OK : act_find_moves(a, vm, snap, snaplen);
    if (!rc) rc = prepare(a, vm, snap, snaplen, act_state_key(a, vm));
    if (rc) return rc;
    int quit;
    if (!act_run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit, &a->oom[0]))
        return a->oom[0] ? JITRL_ENOMEM : JITRL_OK;   /* a fault changes nothing; no memory is no answer */
    struct dpool p = {0};
    size_t off;
    uint32_t n;
    rc = act_diff_world(a, a->vm[0], &p, &off, &n);
    int turn = act_took_turn(a, a->vm[0]);
    /* what this state's answer knows: its noise (scratch included) */
    memcpy(a->scratch_g, a->noise, sizeof a->scratch_g);
    memset(a->real_g, 0, sizeof a->real_g);
    int found = !rc && turn && act_classify(a, snap, snaplen, cmd, &p, off, n);
    if (!rc && act_oom(a)) rc = JITRL_ENOMEM;   /* half a classification teaches nothing */
    if (!rc && found) {
        /* a new scratch global: answers memoised so far counted it */
        for (int k = 0; k < 32; k++) a->taught_g[k] |= (uint8_t)(a->scratch_g[k] & ~a->noise[k]);
        act_memo_clear(a);
        rc = JITRL_EAGAIN_LEARNED;
    }
    if (!rc) act_judge(a, &p, off, n, quit, turn, cmd, changed, outcome);
    jr_free(p.idx);
    jr_free(p.val);
    if (rc) return rc;
    if (env_log_on(&a->log, JITRL_ZGAME_LOG_DEBUG)) {
        size_t tl;
        env_logf(&a->log, JITRL_ZGAME_LOG_DEBUG, "[%s] quit=%d changed=%d: %s", cmd, quit, *changed,
                 jitrl_zvm_output(a->vm[0], &tl));
    }
    return JITRL_OK;
}
