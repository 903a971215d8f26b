/*
 * test_oom.c -- out of memory, allocation by allocation, in the environment
 * and the agent (src/base/alloc.c's failure countdown).
 *
 *  - env: a fresh environment (exact valid actions, one thread, so every
 *    allocation is on this thread) runs reset + valid_actions + step +
 *    valid_actions with the Nth allocation failing, for every N the
 *    sequence makes.  Each call returns JITRL_OK or JITRL_ENOMEM (never
 *    another error, never a crash); then, with memory back, the same handle
 *    answers exactly what a handle that never failed answers: a failure is
 *    never memoised as an answer (e.g. "no valid actions") nor read as
 *    "the command changes nothing".
 *  - agent: one episode with the Nth allocation failing, for every N (the
 *    environment's valid actions are memoised beforehand, so the walk is
 *    over the agent's, the memory's and the environment's own allocations):
 *    JITRL_OK or JITRL_ENOMEM; a failed episode stores nothing, and the
 *    next one plays exactly the reference episode.
 * Leaks are LeakSanitizer's (the SAN=1 build runs this test too).
 */
#include "jitrl/agent.h"
#include "jitrl/env.h"
#include "jitrl/zgame.h"
#include "jitrl/memory.h"
#include "base/alloc.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static unsigned char *story;
static size_t story_len;

#define ARMED (1L << 40)   /* a countdown no sequence reaches: counts allocations */

static jitrl_env *open_env(void)
{
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.threads = 1;   /* the countdown is per thread */
    jitrl_env *env = NULL;
    char err[256];
    if (jitrl_zgame_open_buffer(story, story_len, &eo, &env, err, sizeof err)) fprintf(stderr, "env: %s\n", err);
    return env;
}

/* A list of actions as one hash (order and text). */
static uint64_t list_hash(const char *const *acts, size_t n)
{
    uint64_t h = n;
    for (size_t i = 0; i < n; i++) h = XXH3_64bits_withSeed(acts[i], strlen(acts[i]) + 1, h);
    return h;
}

typedef struct answers {
    uint64_t va0, va1, text1;
    size_t n0, n1;
    int score1;
} answers;

/* reset, valid actions, step `action`, valid actions: every rc is kept in
 * *bad when it is neither OK nor ENOMEM; returns the first failure's rc. */
static int sequence(jitrl_env *env, const char *action, answers *out, int *bad)
{
    jitrl_obs o;
    const char *const *acts;
    size_t n;
    int rc = jitrl_env_reset(env, &o);
    if (!rc) rc = jitrl_env_actions(env, &acts, &n);
    if (!rc) {
        out->va0 = list_hash(acts, n);
        out->n0 = n;
        rc = jitrl_env_step(env, action, &o);
    }
    if (!rc) {
        out->text1 = XXH3_64bits(o.text, strlen(o.text));
        out->score1 = o.score;
        rc = jitrl_env_actions(env, &acts, &n);
    }
    if (!rc) {
        out->va1 = list_hash(acts, n);
        out->n1 = n;
    }
    if (rc && rc != JITRL_ENOMEM) *bad = rc;
    return rc;
}

static int same(const answers *a, const answers *b)
{
    return a->va0 == b->va0 && a->n0 == b->n0 && a->va1 == b->va1 && a->n1 == b->n1 && a->text1 == b->text1 &&
           a->score1 == b->score1;
}

static void test_env_oom(void)
{
    jitrl_env *env = open_env();
    CHECK(env != NULL);
    if (!env) return;
    answers ref = {0};
    int bad = 0;
    jr_alloc_fail_after(ARMED);
    int rc = sequence(env, "north", &ref, &bad);
    long total = ARMED - jr_alloc_fail_after(-1);
    CHECK_INT(rc, JITRL_OK);
    /* the reference is a real answer: actions at both states, and the step
     * moved somewhere else */
    CHECK(ref.n0 > 0 && ref.n1 > 0);
    CHECK(ref.va0 != ref.va1);
    jitrl_env_close(env);
    printf("FIGURE oom env: %ld allocations in reset + valid_actions + step + valid_actions\n", total);
    CHECK(total > 10);
    long fails = 0, wrong = 0, first_wrong = -1;
    for (long k = 0; k <= total; k++) {
        env = open_env();
        if (!env) { CHECK(0); break; }
        answers got = {0};
        jr_alloc_fail_after(k);
        rc = sequence(env, "north", &got, &bad);
        jr_alloc_fail_after(-1);
        if (bad) {
            CHECK_MSG(0, "allocation %ld: rc %d (%s): %s", k, bad, jitrl_strerror(bad), jitrl_env_errmsg(env));
            bad = 0;
        }
        fails += rc == JITRL_ENOMEM;
        if (rc == JITRL_ENOMEM) CHECK_MSG(*jitrl_env_errmsg(env), "allocation %ld: ENOMEM without a message", k);
        /* memory is back: the same handle gives the reference answers */
        answers again = {0};
        rc = sequence(env, "north", &again, &bad);
        if (rc || !same(&again, &ref)) {
            if (first_wrong < 0) first_wrong = k;
            wrong++;
        }
        jitrl_env_close(env);
    }
    printf("FIGURE oom env: %ld of %ld failing allocations returned ENOMEM; %ld later answers wrong\n", fails,
           total + 1, wrong);
    CHECK_MSG(wrong == 0, "%ld handles answered differently after a failure (first: allocation %ld)", wrong,
              first_wrong);
    CHECK_INT(fails, total);   /* every allocation of the sequence was failed once, and said so */
}

static jitrl_agent *open_agent(jitrl_env *env, jitrl_memory *mem, tu_trace_hash *th)
{
    jitrl_agent_config c;
    jitrl_agent_config_init(&c);
    c.kind = JITRL_AGENT_JITRL;
    c.seed = 3;
    c.max_steps = 12;
    c.params.beta = 5.0;
    c.trace = tu_on_trace;
    c.trace_ctx = th;
    jitrl_agent *ag = NULL;
    char err[256];
    if (jitrl_agent_open(env, mem, &c, &ag, err, sizeof err)) fprintf(stderr, "agent: %s\n", err);
    return ag;
}

/* Episode 0 then episode 1 (its trace hashed from 0 into *h1) on a fresh
 * memory; the countdown `k` is armed for episode 1 (k < 0: not armed) and
 * *left is what it had left.  Returns episode 1's rc; *ok0 says episode 0
 * ran; *stored_before / *stored_after count the memory's steps around
 * episode 1. */
typedef struct ep1 {
    int rc, ok0;
    long left;
    tu_trace_hash th;
    jitrl_episode_result r;
    size_t stored_before, stored_after;
    uint64_t retry_h;   /* after a failure: episode 1 again, memory back */
    size_t retry_lines;
    int retry_rc;
} ep1;

static void run_ep1(jitrl_env *env, long k, ep1 *o)
{
    memset(o, 0, sizeof *o);
    jitrl_memory *mem = NULL;
    char err[256];
    tu_trace_hash th = {0};
    jitrl_agent *ag = NULL;
    o->rc = -1;
    if (jitrl_memory_open(NULL, NULL, &mem, err, sizeof err) || !(ag = open_agent(env, mem, &th))) goto out;
    jitrl_memory_stats st;
    o->ok0 = jitrl_agent_run_episode(ag, 0, &o->r) == JITRL_OK && jitrl_memory_stats_get(mem, &st) == JITRL_OK;
    o->stored_before = st.steps;
    th.h = 0;
    th.lines = 0;
    jr_alloc_fail_after(k < 0 ? ARMED : k);
    o->rc = jitrl_agent_run_episode(ag, 1, &o->r);
    o->left = jr_alloc_fail_after(-1);
    o->th = th;
    if (o->rc && o->rc != JITRL_ENOMEM) fprintf(stderr, "allocation %ld: %s\n", k, jitrl_agent_errmsg(ag));
    o->stored_after = jitrl_memory_stats_get(mem, &st) == JITRL_OK ? st.steps : (size_t)-1;
    if (o->rc == JITRL_ENOMEM) {
        th.h = 0;
        th.lines = 0;
        o->retry_rc = jitrl_agent_run_episode(ag, 1, &o->r);
        o->retry_h = th.h;
        o->retry_lines = th.lines;
    }
out:
    jitrl_agent_close(ag);
    jitrl_memory_close(mem);
}

static void test_agent_oom(void)
{
    jitrl_env *env = open_env();
    CHECK(env != NULL);
    if (!env) return;
    /* warm the environment's memo along both episodes, then the reference */
    ep1 ref;
    run_ep1(env, -1, &ref);
    run_ep1(env, -1, &ref);
    CHECK_INT(ref.rc, JITRL_OK);
    CHECK(ref.ok0);
    long total = ARMED - ref.left;
    CHECK(ref.th.lines > 0);
    CHECK(ref.stored_after > ref.stored_before);
    printf("FIGURE oom agent: %ld allocations in a %d-step episode (valid actions memoised)\n", total, ref.r.steps);
    CHECK(total > 10);
    long fails = 0, wrong = 0, first_wrong = -1;
    for (long k = 0; k <= total; k++) {
        ep1 o;
        run_ep1(env, k, &o);
        CHECK(o.ok0);
        CHECK_MSG(o.rc == JITRL_OK || o.rc == JITRL_ENOMEM, "allocation %ld: rc %d (%s)", k, o.rc,
                  jitrl_strerror(o.rc));
        int bad = 0;
        if (o.rc == JITRL_ENOMEM) {
            fails++;
            /* nothing of the failed episode was stored, and the next try
             * plays the reference episode */
            bad = o.stored_after != o.stored_before || o.retry_rc || o.retry_h != ref.th.h ||
                  o.retry_lines != ref.th.lines;
        } else if (o.rc == JITRL_OK) {
            bad = o.th.h != ref.th.h || o.th.lines != ref.th.lines;
        }
        if (bad && first_wrong < 0) first_wrong = k;
        wrong += bad;
    }
    printf("FIGURE oom agent: %ld of %ld failing allocations returned ENOMEM; %ld episodes after them wrong\n",
           fails, total + 1, wrong);
    CHECK_MSG(wrong == 0, "%ld episodes differed after a failure (first: allocation %ld)", wrong, first_wrong);
    CHECK_INT(fails, total);   /* the last k fails nothing: the episode ran whole */
    jitrl_env_close(env);
}

int main(void)
{
    const char *path = tu_path(tu_build(), "games/jitrl_cave.z5");
    story = tu_read_file(path, &story_len);
    if (!story) tu_skip("the built-in game is not built (BUILD/games/jitrl_cave.z5)");
    test_env_oom();
    test_agent_oom();
    free(story);
    return tu_done();
}
