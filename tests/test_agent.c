/*
 * test_agent.c -- the agent loop on the built-in game, offline:
 *  - reproducibility: the same seed gives the same trajectory (decision
 *    traces byte-identical), another seed a different one;
 *  - resume (exact valid actions): 2 episodes, close, reopen the memory file, 2 more gives exactly
 *    what 6 uninterrupted episodes give;
 *  - independence: two runs stepped in turn give what they give alone;
 *  - the static agent stores nothing; the jitrl agent stores every episode;
 *  - learning: over several seeds, jitrl's mean score over its last 10
 *    episodes beats static's by a stated margin.
 */
#include "jitrl/agent.h"
#include "jitrl/zgame.h"
#include "jitrl/summary.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static unsigned char *story;
static size_t story_len;
/* Each run has its own environment with fast valid actions, as in the
 * CLI (cli/play_batch.c): their memo depends on the states seen before, so
 * sharing one would make a run depend on the runs before it.  The resume
 * test uses exact valid actions: with fast ones a resumed run, whose
 * environment starts afresh, may see other lists than the uninterrupted
 * run (it keeps every episode, but need not replay the same choices). */

typedef struct run {
    jitrl_env *env;
    jitrl_memory *mem;
    jitrl_agent *ag;
    tu_trace_hash th;
} run;

static int run_open_env(run *r, jitrl_agent_kind kind, uint64_t seed, const char *mem_path, int steps,
                        int fast)
{
    memset(r, 0, sizeof *r);
    char err[256];
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.threads = 1;
    eo.fast_actions = fast;
    if (jitrl_zgame_open_buffer(story, story_len, &eo, &r->env, err, sizeof err)) {
        fprintf(stderr, "env: %s\n", err);
        return 1;
    }
    if (kind == JITRL_AGENT_JITRL && jitrl_memory_open(mem_path, NULL, &r->mem, err, sizeof err)) {
        fprintf(stderr, "memory: %s\n", err);
        return 1;
    }
    jitrl_agent_config c;
    jitrl_agent_config_init(&c);
    c.kind = kind;
    c.seed = seed;
    c.max_steps = steps;
    c.params.beta = 5.0;   /* the CLI's beta with no model (PLAY_OFFLINE_BETA) */
    c.trace = tu_on_trace;
    c.trace_ctx = &r->th;
    if (jitrl_agent_open(r->env, r->mem, &c, &r->ag, err, sizeof err)) {
        fprintf(stderr, "agent: %s\n", err);
        return 1;
    }
    return 0;
}

static int run_open(run *r, jitrl_agent_kind kind, uint64_t seed, const char *mem_path, int steps)
{
    return run_open_env(r, kind, seed, mem_path, steps, 1);
}

static void run_close(run *r)
{
    jitrl_agent_close(r->ag);
    jitrl_memory_close(r->mem);
    jitrl_env_close(r->env);
}

static int play(run *r, int first, int n, double *scores)
{
    for (int e = first; e < first + n; e++) {
        jitrl_episode_result res;
        int rc = jitrl_agent_run_episode(r->ag, e, &res);
        if (rc) {
            fprintf(stderr, "episode %d: %s: %s\n", e, jitrl_strerror(rc), jitrl_agent_errmsg(r->ag));
            return rc;
        }
        if (scores) scores[e - first] = res.score;
    }
    return 0;
}

static void test_reproducible(void)
{
    run a, b, c;
    double sa[6], sb[6], sc[6];
    CHECK(!run_open(&a, JITRL_AGENT_JITRL, 7, NULL, 40));
    CHECK(!run_open_env(&b, JITRL_AGENT_JITRL, 7, NULL, 40, 1));
    CHECK(!run_open_env(&c, JITRL_AGENT_JITRL, 8, NULL, 40, 1));
    /* a alone; b and c stepped in turn, episode by episode. */
    CHECK_INT(play(&a, 0, 6, sa), 0);
    for (int e = 0; e < 6; e++) {
        CHECK_INT(play(&b, e, 1, &sb[e]), 0);
        CHECK_INT(play(&c, e, 1, &sc[e]), 0);
    }
    CHECK(a.th.lines > 6);
    CHECK_INT(a.th.lines, b.th.lines);
    CHECK_MSG(a.th.h == b.th.h, "same seed, different trajectories");
    CHECK_MSG(a.th.h != c.th.h, "seeds 7 and 8 gave identical trajectories");
    for (int e = 0; e < 6; e++) CHECK_NEAR(sa[e], sb[e], 0);
    jitrl_memory_stats st;
    CHECK_INT(jitrl_memory_stats_get(a.mem, &st), JITRL_OK);
    CHECK_INT(st.episodes, 6);
    CHECK_INT(st.steps, a.th.lines);
    run_close(&a);
    run_close(&b);
    run_close(&c);
}

static void test_resume(void)
{
    const char *dir = tu_tmpdir();
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/whole.db", dir);
    snprintf(p2, sizeof p2, "%s/split.db", dir);
    run whole, s1, s2;
    double sw[4], ss[4];
    CHECK(!run_open_env(&whole, JITRL_AGENT_JITRL, 3, p1, 20, 0));
    CHECK_INT(play(&whole, 0, 4, sw), 0);
    CHECK(!run_open_env(&s1, JITRL_AGENT_JITRL, 3, p2, 20, 0));
    CHECK_INT(play(&s1, 0, 2, ss), 0);
    uint64_t h1 = s1.th.h;
    size_t l1 = s1.th.lines;
    run_close(&s1);
    CHECK(!run_open_env(&s2, JITRL_AGENT_JITRL, 3, p2, 20, 0));
    s2.th.h = h1;
    s2.th.lines = l1;
    CHECK_INT(play(&s2, 2, 2, ss + 2), 0);
    CHECK_MSG(whole.th.h == s2.th.h, "a resumed run diverged from the uninterrupted one");
    for (int e = 0; e < 4; e++) CHECK_NEAR(sw[e], ss[e], 0);
    run_close(&whole);
    run_close(&s2);
}

static void test_static(void)
{
    run s;
    CHECK(!run_open(&s, JITRL_AGENT_STATIC, 1, NULL, 20));
    CHECK(s.mem == NULL);
    CHECK_INT(play(&s, 0, 2, NULL), 0);
    /* two episodes of at most 20 steps (a random player may die sooner) */
    CHECK(s.th.lines > 2 && s.th.lines <= 40);
    run_close(&s);
    /* Bad configurations are refused with a message. */
    jitrl_agent_config c;
    jitrl_agent_config_init(&c);
    jitrl_agent *ag = NULL;
    char err[128] = "";
    CHECK_INT(jitrl_agent_open(NULL, NULL, &c, &ag, err, sizeof err), JITRL_EINVAL);
    CHECK(ag == NULL && err[0]);
}

/* Learning is real: over SEEDS seeds of EPISODES episodes, jitrl's mean
 * score over the last 10 episodes beats static's by MARGIN points. */
#define SEEDS 3
#define EPISODES 30
#define MARGIN 3.0

static void test_learning(void)
{
    double last_j[SEEDS], last_s[SEEDS];
    int seeds = SEEDS;
    /* The margin is a statistical property of the normal build; under the
     * sanitizers the other tests already drive the same code paths, and
     * 180 instrumented episodes would cost minutes for nothing new. */
    if (getenv("JITRL_SANITIZED")) {
        printf("learning margin: checked in the normal build, not under sanitizers\n");
        return;
    }
    for (int k = 0; k < seeds; k++) {
        double sj[EPISODES], ss[EPISODES];
        run j, s;
        CHECK(!run_open(&j, JITRL_AGENT_JITRL, 100 + (uint64_t)k, NULL, 60));
        CHECK(!run_open(&s, JITRL_AGENT_STATIC, 100 + (uint64_t)k, NULL, 60));
        CHECK_INT(play(&j, 0, EPISODES, sj), 0);
        CHECK_INT(play(&s, 0, EPISODES, ss), 0);
        jitrl_mean_ci95(sj + EPISODES - 10, 10, &last_j[k], NULL);
        jitrl_mean_ci95(ss + EPISODES - 10, 10, &last_s[k], NULL);
        run_close(&j);
        run_close(&s);
    }
    double mj, cj, ms, cs;
    jitrl_mean_ci95(last_j, (size_t)seeds, &mj, &cj);
    jitrl_mean_ci95(last_s, (size_t)seeds, &ms, &cs);
    printf("FIGURE built-in game, %d seeds x %d episodes, mean of the last 10: jitrl %.2f +- %.2f, "
           "static %.2f +- %.2f (margin required %.1f)\n", seeds, EPISODES, mj, cj, ms, cs, MARGIN);
    CHECK_MSG(mj > ms + MARGIN, "jitrl %.2f does not beat static %.2f by %.1f", mj, ms, MARGIN);
}

int main(void)
{
    const char *path = tu_path(tu_build(), "games/jitrl_cave.z5");
    story = tu_read_file(path, &story_len);
    if (!story) tu_skip("the built-in game is not built (BUILD/games/jitrl_cave.z5)");
    test_static();
    test_reproducible();
    test_resume();
    test_learning();
    free(story);
    return tu_done();
}
