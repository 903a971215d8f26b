/*
 * test_learning.c -- the learning margin on the built-in game: with the
 * offline defaults (jitrl_params_default "offline", history 0, fast valid
 * actions as in `jitrl play`), the jitrl agent beats the static baseline
 * on every one of several seeds, by a margin, and the tabular baseline
 * learns too.  Each seed is an independent run of EPISODES x 60 steps;
 * the margin is on the mean score of the last LAST episodes of a run
 * (what it has learnt), and the whole-run mean must beat static's too.
 */
#include "jitrl/agent.h"
#include "jitrl/zgame.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define SEEDS 3
#define EPISODES 30
#define LAST 10
#define MARGIN 8.0   /* points of 36 over static's last-LAST mean */

static unsigned char *story;
static size_t story_len;

/* Mean score of a run's episodes [from, EPISODES). */
static int run(jitrl_agent_kind kind, uint64_t seed, double *all, double *last)
{
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.threads = 1;
    eo.fast_actions = 1;
    jitrl_env *env = NULL;
    jitrl_memory *mem = NULL;
    jitrl_agent *ag = NULL;
    char err[256];
    int rc = jitrl_zgame_open_buffer(story, story_len, &eo, &env, err, sizeof err);
    if (!rc && kind == JITRL_AGENT_JITRL) rc = jitrl_memory_open(NULL, NULL, &mem, err, sizeof err);
    jitrl_agent_config c;
    jitrl_agent_config_init(&c);
    c.kind = kind;
    c.seed = seed;
    jitrl_params_default(&c.params, "offline");
    c.history_len = 0;
    if (!rc) rc = jitrl_agent_open(env, mem, &c, &ag, err, sizeof err);
    if (rc) fprintf(stderr, "open: %s\n", err);
    *all = *last = 0;
    for (int e = 0; !rc && e < EPISODES; e++) {
        jitrl_episode_result res;
        rc = jitrl_agent_run_episode(ag, e, &res);
        *all += res.score / EPISODES;
        if (e >= EPISODES - LAST) *last += res.score / LAST;
    }
    jitrl_agent_close(ag);
    jitrl_memory_close(mem);
    jitrl_env_close(env);
    return rc;
}

int main(void)
{
    const char *path = tu_path(tu_build(), "games/jitrl_cave.z5");
    story = tu_read_file(path, &story_len);
    if (!story) tu_skip("the built-in game is not built (BUILD/games/jitrl_cave.z5)");
    /* Runs are deterministic by seed, so the sanitizer pass (several times
     * slower) checks the same margin on the first seed only: the memory
     * checks see the same code paths, and the normal pass covers all. */
    const uint64_t seeds = getenv("JITRL_SANITIZED") ? 1 : SEEDS;
    double sum_j = 0, sum_s = 0;
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        double sa, sl, ja, jl, ta, tl;
        CHECK_INT(run(JITRL_AGENT_STATIC, seed, &sa, &sl), JITRL_OK);
        CHECK_INT(run(JITRL_AGENT_JITRL, seed, &ja, &jl), JITRL_OK);
        CHECK_INT(run(JITRL_AGENT_TABULAR, seed, &ta, &tl), JITRL_OK);
        printf("seed %llu: static %.2f (last %d: %.2f)  tabular %.2f (%.2f)  jitrl %.2f (%.2f)\n",
               (unsigned long long)seed, sa, LAST, sl, ta, tl, ja, jl);
        CHECK_MSG(jl >= sl + MARGIN, "seed %llu: jitrl's last %d episodes %.2f, static %.2f: margin under %.0f",
                  (unsigned long long)seed, LAST, jl, sl, MARGIN);
        CHECK_MSG(ja > sa, "seed %llu: jitrl's mean %.2f does not beat static's %.2f", (unsigned long long)seed, ja, sa);
        CHECK_MSG(tl > sl, "seed %llu: tabular's last episodes %.2f do not beat static's %.2f",
                  (unsigned long long)seed, tl, sl);
        sum_j += jl / (double)seeds;
        sum_s += sl / (double)seeds;
    }
    printf("FIGURE learning_margin_last%d %.2f\n", LAST, sum_j - sum_s);
    free(story);
    return tu_done();
}
