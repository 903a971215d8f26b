/*
 * actions_probe.c -- running valid-action candidates (see actions.c).
 *
 * Each candidate is restored from the state's snapshot on a private
 * machine and run with an instruction budget; the work is split over
 * a->nthreads machines, one per thread, and the diffs are recorded in
 * per-thread pools and merged in candidate order, so the answer does not
 * depend on threading.
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* 0, and *oom set if rc says an allocation failed: a run that failed for
 * want of memory tells nothing about the command. */
static int failed(int rc, uint8_t *oom)
{
    if (rc == JITRL_ENOMEM) *oom = 1;
    return 0;
}

/* Feed, run.  Returns 1 if the command ran to the next prompt (or ended the
 * game), 0 if it faulted, ran out of budget or out of memory (*oom). */
int act_feed(jitrl_zvm *vm, const char *cmd, uint64_t budget, int *quit, uint8_t *oom)
{
    *quit = 0;
    env_clear_output(vm);
    int rc = jitrl_zvm_input(vm, cmd);
    if (rc) return failed(rc, oom);
    jitrl_zvm_stop stop;
    for (int keys = 0; keys < 8; keys++) {
        if ((rc = jitrl_zvm_run(vm, budget, &stop))) return failed(rc, oom);
        if (stop == JITRL_ZVM_INPUT) return 1;
        if (stop == JITRL_ZVM_QUIT) { *quit = 1; return 1; }
        if (stop != JITRL_ZVM_CHAR) return 0;
        if ((rc = jitrl_zvm_input(vm, ""))) return failed(rc, oom);
    }
    return 0;
}

int act_run_cmd(jitrl_zvm *vm, const void *snap, size_t snaplen, const char *cmd, uint64_t budget, int *quit,
                uint8_t *oom)
{
    *quit = 0;
    int rc = jitrl_zvm_restore(vm, snap, snaplen);
    if (rc) return failed(rc, oom);
    return act_feed(vm, cmd, budget, quit, oom);
}

int act_oom(const env_actions *a)
{
    for (int t = 0; t < MAX_THREADS; t++)
        if (a->oom[t]) return 1;
    return 0;
}

/* ---- nouns the parser resolves ---- */

/* env_noun_probe: "examine X" took a turn or changed something. */
int act_noun_resolves(void *ctx, const char *cmd)
{
    env_actions *a = ctx;
    int quit, keep = 0;
    if (act_run_cmd(a->vm[0], a->probe_snap, a->probe_len, cmd, CAND_BUDGET, &quit, &a->oom[0])) {
        struct dpool p = {0};
        size_t off;
        uint32_t n;
        keep = quit || act_took_turn(a, a->vm[0]);
        if (!keep) {
            if (act_diff_world(a, a->vm[0], &p, &off, &n)) a->oom[0] = 1;   /* the caller fails */
            else
                for (uint32_t q = 0; q < n && !keep; q++) keep = p.idx[off + q] >= GLEN(a);
        }
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

/* Run candidate i on machine t into pool t. */
static void run_one(env_actions *a, int t, size_t i, const void *snap, size_t snaplen)
{
    int quit;
    a->dthr[i] = (uint8_t)t;
    a->dn[i] = 0;
    a->dquit[i] = 0;
    if (a->skip && a->skip[i]) return;
    int ran = act_run_cmd(a->vm[t], snap, snaplen, env_cand(&a->cands, i), CAND_BUDGET, &quit, &a->oom[t]);
    a->ins[t] += jitrl_zvm_instructions(a->vm[t]) - a->base_ins;
    if (!ran) return;
    a->dquit[i] = (uint8_t)quit;
    a->dturn[i] = (uint8_t)act_took_turn(a, a->vm[t]);
    /* a diff cut short is no "nothing changed": the evaluation fails */
    if (act_diff_world(a, a->vm[t], &a->pool[t], &a->doff[i], &a->dn[i])) {
        a->dn[i] = 0;
        a->oom[t] = 1;
    }
}

static void *worker(void *arg)
{
    job *j = arg;
    env_actions *a = j->a;
    for (size_t i = (size_t)j->t; i < a->cands.n; i += (size_t)a->nthreads) run_one(a, j->t, i, j->snap, j->snaplen);
    return NULL;
}

/* Free the per-candidate result arrays. */
void act_free_results(env_actions *a)
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

int act_evaluate(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    act_free_results(a);
    uint64_t *fps = NULL;
    if (a->reuse && a->keymask_set) {
        int rc = act_fast_mark(a, vm, &fps);
        if (rc) return rc;
    }
    a->dturn = jr_calloc(a->cands.n + 1, 1);
    a->changed = jr_calloc(a->cands.n + 1, sizeof *a->changed);
    a->outcome = jr_calloc(a->cands.n + 1, sizeof *a->outcome);
    a->dthr = jr_calloc(a->cands.n + 1, 1);
    a->dquit = jr_calloc(a->cands.n + 1, 1);
    a->doff = jr_calloc(a->cands.n + 1, sizeof *a->doff);
    a->dn = jr_calloc(a->cands.n + 1, sizeof *a->dn);
    int rc = JITRL_ENOMEM;
    if (!a->dturn || !a->changed || !a->outcome || !a->dthr || !a->dquit || !a->doff || !a->dn) goto out;
    for (int t = 0; t < MAX_THREADS; t++) a->pool[t].n = 0;
    memset(a->ins, 0, sizeof a->ins);
    a->base_ins = jitrl_zvm_instructions(vm);
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
            for (size_t i = (size_t)t; i < a->cands.n; i += (size_t)a->nthreads) run_one(a, 0, i, snap, snaplen);
        }
    }
    /* a run that failed for want of memory looks like one that changed
     * nothing: no answer (and nothing learnt) from such an evaluation */
    if (act_oom(a)) goto out;
    act_learn_scratch(a, snap, snaplen);
    if (act_oom(a)) goto out;
    act_find_noise(a);
    for (size_t i = 0; i < a->cands.n; i++)
        act_judge(a, &a->pool[a->dthr[i]], a->doff[i], a->dn[i], a->dquit[i], a->dturn[i], env_cand(&a->cands, i),
                  &a->changed[i], &a->outcome[i]);
    rc = fps ? act_fast_remember(a, fps) : JITRL_OK;
out:
    jr_free(fps);
    return rc;
}

