/*
 * test_env_custom.c -- the environment interface from the embedder's side
 * (jitrl/env.h), on the chain world of examples/chain_world.c:
 *  - the unchanged agent runs a world made from callbacks, and learns it:
 *    over several seeds jitrl's mean score over its last 10 episodes
 *    beats static's by a stated margin;
 *  - the zgame extras refuse another kind (JITRL_EINVAL, or their neutral
 *    value);
 *  - a callback's error surfaces as the handle's errmsg, a broken callback
 *    output is an error, not a crash, and a failed step ends the episode;
 *  - a NULL, short or incomplete methods table and a bad info are refused
 *    cleanly, and ctx stays the caller's then; close frees it once;
 *  - out of memory at every allocation of create, reset/step and an
 *    agent episode is JITRL_ENOMEM (the sanitizer pass checks for leaks).
 */
#define CHAIN_WORLD_NO_MAIN
#include "../examples/chain_world.c"

#include "base/alloc.h"
#include "jitrl/zgame.h"
#include "testutil.h"

#include <math.h>

/* ---- learning ---- */

#define EPISODES 30
#define SEEDS 5
/* Measured (16 steps, 30 episodes, beta 5; a right move is 1 in 4 for
 * the uniform prior): seeds 1..5 give jitrl 7.58 and static 3.76 of 8; over
 * seeds 1..60 in twelve groups of five the difference of the means is 2.8
 * to 3.9 (jitrl 6.8..8 per seed, static up to 5.6).  Runs are
 * deterministic, so the stated margin is below every group measured. */
#define MARGIN 2.5

static double last10(jitrl_agent_kind kind, uint64_t seed, size_t *stored)
{
    char err[256];
    jitrl_env *env = NULL;
    jitrl_memory *mem = NULL;
    jitrl_agent *ag = NULL;
    double mean = -1;
    CHECK_INT(chain_open(&env, err, sizeof err), JITRL_OK);
    jitrl_memory_options mo;
    jitrl_memory_options_init(&mo);
    const jitrl_env_info *in = jitrl_env_info_get(env);
    CHECK_INT(in->n_fields, 1);
    mo.fields[0] = in->fields[0];
    mo.n_fields = in->n_fields;
    if (kind == JITRL_AGENT_JITRL) CHECK_INT(jitrl_memory_open(NULL, &mo, &mem, err, sizeof err), JITRL_OK);
    jitrl_agent_config cfg;
    CHECK_INT(jitrl_agent_config_init_env(&cfg, env), JITRL_OK);
    cfg.kind = kind;
    cfg.seed = seed;
    cfg.max_steps = 16;
    cfg.params.beta = 5.0;
    CHECK_INT(jitrl_agent_open(env, mem, &cfg, &ag, err, sizeof err), JITRL_OK);
    if (!ag) goto out;
    mean = 0;
    for (int e = 0; e < EPISODES; e++) {
        jitrl_episode_result r;
        int rc = jitrl_agent_run_episode(ag, e, &r);
        CHECK_MSG(rc == JITRL_OK, "episode %d: %s", e, jitrl_agent_errmsg(ag));
        if (rc) break;
        CHECK(r.score >= 0 && r.score <= CHAIN_LEN);
        CHECK(!r.victory || r.score == CHAIN_LEN);
        if (e >= EPISODES - 10) mean += r.score / 10;
    }
    if (mem) {
        jitrl_memory_stats st;
        CHECK_INT(jitrl_memory_stats_get(mem, &st), JITRL_OK);
        *stored = st.episodes;
    }
out:
    jitrl_agent_close(ag);
    jitrl_memory_close(mem);
    jitrl_env_close(env);
    return mean;
}

static void test_learns(void)
{
    double sj = 0, ss = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        size_t stored = 0, none = 0;
        double j = last10(JITRL_AGENT_JITRL, seed, &stored);
        double s = last10(JITRL_AGENT_STATIC, seed, &none);
        CHECK_INT(stored, EPISODES);
        printf("FIGURE env custom chain seed %llu: last-10 mean jitrl %.1f static %.1f\n",
               (unsigned long long)seed, j, s);
        sj += j / SEEDS;
        ss += s / SEEDS;
    }
    printf("FIGURE env custom chain over %d seeds: jitrl %.2f static %.2f (margin %.1f)\n", SEEDS, sj, ss, MARGIN);
    CHECK_MSG(sj >= ss + MARGIN, "jitrl %.2f does not beat static %.2f by %.1f", sj, ss, MARGIN);
}

/* ---- the zgame extras on another kind ---- */

static void test_not_zgame(void)
{
    char err[256];
    jitrl_env *env = NULL;
    CHECK_INT(chain_open(&env, err, sizeof err), JITRL_OK);
    if (!env) return;
    CHECK_STR(jitrl_env_kind(env), "chain");
    CHECK_STR(jitrl_env_name(env), "chain8");
    CHECK_STR(jitrl_env_info_get(env)->task, "Maximise the reward in chain8.");
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(env, &o), JITRL_OK);
    int changes = 7;
    long idx = 7;
    CHECK_INT(jitrl_zgame_check_action(env, "left", &changes, &idx), JITRL_EINVAL);
    CHECK_INT(changes, 0);
    CHECK_INT(idx, -1);
    jitrl_zgame_action_stats st;
    memset(&st, 0xff, sizeof st);
    CHECK_INT(jitrl_zgame_last_action_stats(env, &st), JITRL_EINVAL);
    CHECK_INT(st.candidates, 0);
    jitrl_zgame_state_text t;
    CHECK_INT(jitrl_zgame_state(env, &t), JITRL_EINVAL);
    CHECK_INT(jitrl_zgame_max_score(env), 0);
    CHECK_INT(jitrl_zgame_seed(env), 0);
    CHECK_INT(jitrl_zgame_known(env), 0);
    CHECK_STR(jitrl_zgame_intro(env), "");
    CHECK(jitrl_zgame_vm(env) == NULL);
    CHECK_INT(jitrl_zgame_player(env), 0);
    int pv[5] = {7, 7, 7, 7, 7};
    CHECK_INT(jitrl_zgame_progress(env, &pv[0], &pv[1], &pv[2], &pv[3], &pv[4]), JITRL_EINVAL);
    for (int i = 0; i < 5; i++) CHECK_INT(pv[i], 0);
    /* what the kind does not have */
    char buf[16];
    size_t len = 5;
    CHECK_INT(jitrl_env_state_size(env), 0);
    CHECK_INT(jitrl_env_get_state(env, buf, sizeof buf, &len), JITRL_EUNSUPPORTED);
    CHECK_INT(jitrl_env_set_state(env, buf, sizeof buf), JITRL_EUNSUPPORTED);
    CHECK(jitrl_env_hash(env) == 0);
    /* the defaults: prompt fields = state fields, observation = last text */
    const jitrl_field *f;
    size_t n;
    CHECK_INT(jitrl_env_prompt_fields(env, &f, &n), JITRL_OK);
    CHECK_INT(n, 1);
    if (n) CHECK_STR(f[0].text, "room 0");
    CHECK_INT(jitrl_env_step(env, "right", &o), JITRL_OK);
    CHECK_INT(o.reward, 1);
    CHECK_STR(jitrl_env_observation(env), "room 1");
    jitrl_env_close(env);
    /* NULL is harmless everywhere */
    CHECK_INT(jitrl_zgame_check_action(NULL, "x", &changes, &idx), JITRL_EINVAL);
    CHECK(jitrl_zgame_vm(NULL) == NULL);
    CHECK(jitrl_env_info_get(NULL) == NULL);
}

/* ---- a world that fails, and one that lies ---- */

typedef struct flaky {
    int mode;          /* 0 fine, 1 step fails, 2 NULL action, 3 NaN reward, 4 NULL field */
    int closed;        /* close() calls, counted by the test */
    char err[64];
    int with_errmsg;
    const char *acts[2];
    jitrl_field field;
} flaky;

static int fl_reset(void *ctx, jitrl_obs *out)
{
    (void)ctx;
    out->text = "start";
    return JITRL_OK;
}

static int fl_step(void *ctx, const char *action, jitrl_obs *out)
{
    flaky *f = ctx;
    (void)action;
    if (f->mode == 1) {
        snprintf(f->err, sizeof f->err, "the flaky world fell over");
        return JITRL_EIO;
    }
    out->reward = f->mode == 3 ? NAN : 1;
    out->text = NULL;   /* reads as "" */
    return JITRL_OK;
}

static int fl_actions(void *ctx, const char *const **acts, size_t *n)
{
    flaky *f = ctx;
    f->acts[0] = "go";
    f->acts[1] = f->mode == 2 ? NULL : "stay";
    *acts = f->acts;
    *n = 2;
    return JITRL_OK;
}

static int fl_fields(void *ctx, const jitrl_field **fields, size_t *n)
{
    flaky *f = ctx;
    f->field = (jitrl_field){"here", f->mode == 4 ? NULL : "somewhere"};
    *fields = &f->field;
    *n = 1;
    return JITRL_OK;
}

static int fl_get_state(void *ctx, void *buf, size_t cap, size_t *len)
{
    (void)ctx, (void)buf, (void)cap;
    *len = 0;
    return JITRL_OK;
}

static const char *fl_errmsg(void *ctx) { return ((flaky *)ctx)->err; }
static void fl_close(void *ctx) { ((flaky *)ctx)->closed++; }

static void fl_methods(jitrl_env_methods *m, int with_errmsg)
{
    jitrl_env_methods_init(m);
    m->reset = fl_reset;
    m->step = fl_step;
    m->actions = fl_actions;
    m->state_fields = fl_fields;
    m->errmsg = with_errmsg ? fl_errmsg : NULL;
    m->close = fl_close;
}

/* One static-agent episode of at most max_steps on env: its rc and result. */
static int static_episode(jitrl_env *env, int max_steps, jitrl_episode_result *r, char *msg, size_t cap)
{
    char err[256];
    jitrl_agent_config cfg;
    jitrl_agent_config_init(&cfg);
    cfg.kind = JITRL_AGENT_STATIC;
    cfg.max_steps = max_steps;
    jitrl_agent *ag = NULL;
    int rc = jitrl_agent_open(env, NULL, &cfg, &ag, err, sizeof err);
    CHECK_INT(rc, JITRL_OK);
    if (!rc) rc = jitrl_agent_run_episode(ag, 0, r);
    snprintf(msg, cap, "%s", ag ? jitrl_agent_errmsg(ag) : err);
    jitrl_agent_close(ag);
    return rc;
}

static void test_errors(void)
{
    char err[256];
    for (int with = 0; with < 2; with++) {
        flaky f;
        memset(&f, 0, sizeof f);
        jitrl_env_methods m;
        fl_methods(&m, with);
        jitrl_env *env = NULL;
        CHECK_INT(jitrl_env_create(&m, NULL, &f, &env, err, sizeof err), JITRL_OK);
        if (!env) continue;
        CHECK_STR(jitrl_env_kind(env), "custom");
        jitrl_obs o;
        CHECK_INT(jitrl_env_step(env, "go", &o), JITRL_ESTATE);   /* before reset */
        CHECK_STR(jitrl_env_errmsg(env), "call reset first");
        const char *const *a;
        size_t n;
        CHECK_INT(jitrl_env_actions(env, &a, &n), JITRL_ESTATE);
        CHECK_INT(jitrl_env_reset(env, &o), JITRL_OK);
        CHECK_INT(jitrl_env_step(env, NULL, &o), JITRL_EINVAL);
        f.mode = 1;
        CHECK_INT(jitrl_env_step(env, "go", &o), JITRL_EIO);
        CHECK_INT(o.done, 1);
        CHECK_STR(jitrl_env_errmsg(env), with ? "the flaky world fell over" : "step: input/output error");
        f.mode = 0;
        CHECK_INT(jitrl_env_step(env, "go", &o), JITRL_ESTATE);   /* a failed step ends the episode */
        CHECK_INT(jitrl_env_reset(env, &o), JITRL_OK);
        CHECK_INT(jitrl_env_step(env, "go", &o), JITRL_OK);
        CHECK_STR(o.text, "");
        f.mode = 2;
        CHECK_INT(jitrl_env_actions(env, &a, &n), JITRL_ECORRUPT);
        CHECK(strstr(jitrl_env_errmsg(env), "NULL") != NULL);
        f.mode = 3;
        CHECK_INT(jitrl_env_step(env, "go", &o), JITRL_ECORRUPT);
        CHECK(strstr(jitrl_env_errmsg(env), "non-finite") != NULL);
        CHECK_INT(jitrl_env_reset(env, &o), JITRL_OK);
        f.mode = 4;
        const jitrl_field *fl;
        CHECK_INT(jitrl_env_state_fields(env, &fl, &n), JITRL_ECORRUPT);
        /* the agent reports the world's failure and stores nothing of it */
        f.mode = 1;
        jitrl_episode_result r;
        char msg[512];
        /* a world fault ends the episode; its steps are kept */
        CHECK_INT(static_episode(env, 60, &r, msg, sizeof msg), JITRL_OK);
        CHECK_INT(r.steps, 1);
        if (with) CHECK(strstr(msg, "fell over") != NULL);
        jitrl_env_close(env);
        CHECK_INT(f.closed, 1);
    }
}

/* An environment with no actions at all and no fallbacks: the agent says so. */
static int none_actions(void *ctx, const char *const **acts, size_t *n)
{
    (void)ctx;
    *acts = NULL;
    *n = 0;
    return JITRL_OK;
}

static void test_no_actions(void)
{
    char err[256];
    flaky f;
    memset(&f, 0, sizeof f);
    jitrl_env_methods m;
    fl_methods(&m, 1);
    m.actions = none_actions;
    jitrl_env *env = NULL;
    CHECK_INT(jitrl_env_create(&m, NULL, &f, &env, err, sizeof err), JITRL_OK);
    jitrl_episode_result r;
    char msg[512];
    CHECK_INT(static_episode(env, 60, &r, msg, sizeof msg), JITRL_ESTATE);
    CHECK(strstr(msg, "no action") != NULL);
    /* with fallbacks they are the candidates */
    jitrl_env_close(env);
    const char *const fb[1] = {"wait"};
    jitrl_env_info in;
    jitrl_env_info_init(&in);
    in.fallback_actions = fb;
    in.n_fallback = 1;
    CHECK_INT(jitrl_env_create(&m, &in, &f, &env, err, sizeof err), JITRL_OK);
    CHECK_INT(static_episode(env, 3, &r, msg, sizeof msg), JITRL_OK);
    CHECK_INT(r.steps, 3);
    jitrl_env_close(env);
    CHECK_INT(f.closed, 2);
}

/* ---- refusing bad tables ---- */

static void refused(const jitrl_env_methods *m, const jitrl_env_info *in, const char *what)
{
    char err[256] = "";
    flaky f;
    memset(&f, 0, sizeof f);
    jitrl_env *env = (jitrl_env *)&f;   /* must be set to NULL */
    int rc = jitrl_env_create(m, in, &f, &env, err, sizeof err);
    CHECK_MSG(rc == JITRL_EINVAL, "%s: rc %d", what, rc);
    CHECK_MSG(env == NULL, "%s: *out not NULL", what);
    CHECK_MSG(err[0] != '\0', "%s: no message", what);
    CHECK_MSG(f.closed == 0, "%s: ctx closed on failure", what);
    printf("refused %s: %s\n", what, err);
}

static void test_refused(void)
{
    jitrl_env_methods m;
    jitrl_env_info in;
    jitrl_env *env = NULL;
    CHECK_INT(jitrl_env_create(NULL, NULL, NULL, &env, NULL, 0), JITRL_EINVAL);
    CHECK(env == NULL);
    fl_methods(&m, 1);
    CHECK_INT(jitrl_env_create(&m, NULL, NULL, NULL, NULL, 0), JITRL_EINVAL);
    refused(NULL, NULL, "NULL methods");
    fl_methods(&m, 1);
    m.size = 0;
    refused(&m, NULL, "size 0");
    fl_methods(&m, 1);
    m.size = sizeof(size_t) + sizeof(void *);   /* an old header: reset only */
    refused(&m, NULL, "short methods");
    fl_methods(&m, 1);
    m.size = sizeof m + 8;
    refused(&m, NULL, "methods from a newer header");
    fl_methods(&m, 1);
    m.state_fields = NULL;
    refused(&m, NULL, "no state_fields");
    fl_methods(&m, 1);
    m.get_state = fl_get_state;
    refused(&m, NULL, "get_state without set_state");
    fl_methods(&m, 1);
    jitrl_env_info_init(&in);
    in.kind = "zgame";
    refused(&m, &in, "kind zgame");
    jitrl_env_info_init(&in);
    in.reward_lo = in.reward_hi = 1;
    refused(&m, &in, "empty reward scale");
    jitrl_env_info_init(&in);
    jitrl_field_spec bad = {"x", 0, 1.0};
    in.fields = &bad;
    in.n_fields = 1;
    refused(&m, &in, "ngram 0");
    jitrl_env_info_init(&in);
    in.n_fallback = 2;
    refused(&m, &in, "fallbacks without a list");
    jitrl_env_info_init(&in);
    in.size = 1;
    refused(&m, &in, "info size 1");
    jitrl_env_info_init(&in);
    in.preset = "chess";
    refused(&m, &in, "unknown preset");
    /* a known preset reaches the agent's parameters */
    flaky f;
    memset(&f, 0, sizeof f);
    in.preset = "web";
    CHECK_INT(jitrl_env_create(&m, &in, &f, &env, NULL, 0), JITRL_OK);
    jitrl_agent_config cfg;
    CHECK_INT(jitrl_agent_config_init_env(&cfg, env), JITRL_OK);
    CHECK_NEAR(cfg.params.gamma, 0.1, 1e-12);
    CHECK_NEAR(cfg.params.lambda, 0.05, 1e-12);
    jitrl_env_close(env);
    CHECK_INT(jitrl_agent_config_init_env(&cfg, NULL), JITRL_EINVAL);
}

/* ---- out of memory ---- */

static void test_oom(void)
{
    jitrl_env_methods m;
    fl_methods(&m, 1);
    const char *const fb[2] = {"wait", "look"};
    const jitrl_field_spec specs[2] = {{"here", 2, 0.5}, {"history", 1, 0.5}};
    jitrl_env_info in;
    jitrl_env_info_init(&in);
    in.kind = "flaky";
    in.name = "oom";
    in.preset = "web";
    in.system_prompt = "sys";
    in.action_hint = "hint";
    in.fallback_actions = fb;
    in.n_fallback = 2;
    in.fields = specs;
    in.n_fields = 2;
    int fails = 0, rc = JITRL_ENOMEM;
    for (long n = 0; rc == JITRL_ENOMEM && n < 100; n++) {
        flaky f;
        memset(&f, 0, sizeof f);
        jitrl_env *env = NULL;
        jr_alloc_fail_after(n);
        rc = jitrl_env_create(&m, &in, &f, &env, NULL, 0);
        jr_alloc_fail_after(-1);
        CHECK(rc == JITRL_OK || rc == JITRL_ENOMEM);
        if (rc) {
            fails++;
            CHECK(env == NULL);
            CHECK_INT(f.closed, 0);
        } else {
            CHECK_STR(jitrl_env_info_get(env)->fallback_actions[1], "look");
            jitrl_env_close(env);
        }
    }
    CHECK_INT(rc, JITRL_OK);
    CHECK(fails > 5);
    /* an agent episode on the chain, failing at each allocation in turn */
    fails = 0;
    rc = JITRL_ENOMEM;
    for (long n = 0; rc == JITRL_ENOMEM && n < 5000; n++) {
        char err[256];
        jitrl_env *env = NULL;
        jitrl_memory *mem = NULL;
        jitrl_agent *ag = NULL;
        jitrl_memory_options mo;
        jitrl_memory_options_init(&mo);
        mo.fields[0] = chain_spec[0];
        mo.n_fields = 1;
        CHECK_INT(chain_open(&env, err, sizeof err), JITRL_OK);
        CHECK_INT(jitrl_memory_open(NULL, &mo, &mem, err, sizeof err), JITRL_OK);
        jitrl_agent_config cfg;
        jitrl_agent_config_init_env(&cfg, env);
        cfg.max_steps = 6;
        CHECK_INT(jitrl_agent_open(env, mem, &cfg, &ag, err, sizeof err), JITRL_OK);
        jitrl_episode_result r;
        jr_alloc_fail_after(n);
        rc = ag ? jitrl_agent_run_episode(ag, 0, &r) : JITRL_EINVAL;
        jr_alloc_fail_after(-1);
        CHECK_MSG(rc == JITRL_OK || rc == JITRL_ENOMEM || rc == JITRL_EDB, "n %ld: rc %d %s", n, rc,
                  jitrl_agent_errmsg(ag));
        if (rc == JITRL_EDB) rc = JITRL_ENOMEM;   /* SQLite's own allocation failed: reported as such */
        fails += rc != JITRL_OK;
        jitrl_agent_close(ag);
        jitrl_memory_close(mem);
        jitrl_env_close(env);
    }
    CHECK_INT(rc, JITRL_OK);
    CHECK(fails > 10);
    printf("FIGURE env custom oom: an agent episode fails cleanly at each of its first %d allocations\n", fails);
}

int main(void)
{
    test_refused();
    test_errors();
    test_no_actions();
    test_not_zgame();
    test_oom();
    test_learns();
    return tu_done();
}
