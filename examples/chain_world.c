/*
 * chain_world.c -- a custom environment from callbacks (jitrl/env.h): a
 * chain of rooms where one fixed sequence of actions leads to the end.
 *
 * Room p offers the same four actions; the right one (the p-th of a fixed
 * code) moves on to room p + 1 and earns 1, any other stays put.  The
 * episode ends, won, at the last room.  The whole world is the callbacks
 * below and a jitrl_env_create() call: the agent runs it unchanged.
 *
 * Built as build/examples/chain_world, it plays the jitrl and the static
 * agent for 30 episodes each and prints their last-10-episode means.
 * tests/test_env_custom.c includes this file (with CHAIN_WORLD_NO_MAIN)
 * to test the interface and the learning on it.
 */
#include "jitrl/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_LEN 8

typedef struct chain {
    int pos, steps;
    char text[64];             /* the state field's text and the observation */
    jitrl_field field[1];
} chain;

static const char *const chain_moves[4] = {"left", "right", "jump", "duck"};
static const int chain_code[CHAIN_LEN] = {1, 0, 3, 2, 2, 1, 0, 3};

static void chain_obs(chain *c, double reward, jitrl_obs *out)
{
    snprintf(c->text, sizeof c->text, "room %d", c->pos);
    out->text = c->text;
    out->reward = reward;
    out->done = out->victory = c->pos == CHAIN_LEN;
    out->score = c->pos;
    out->moves = c->steps;
    out->max_score = CHAIN_LEN;
}

static int chain_reset(void *ctx, jitrl_obs *out)
{
    chain *c = ctx;
    c->pos = c->steps = 0;
    chain_obs(c, 0, out);
    return JITRL_OK;
}

static int chain_step(void *ctx, const char *action, jitrl_obs *out)
{
    chain *c = ctx;
    int right = !strcmp(action, chain_moves[chain_code[c->pos]]);
    c->pos += right;
    c->steps++;
    chain_obs(c, right, out);
    return JITRL_OK;
}

static int chain_actions(void *ctx, const char *const **acts, size_t *n)
{
    (void)ctx;
    *acts = chain_moves;
    *n = 4;
    return JITRL_OK;
}

static int chain_fields(void *ctx, const jitrl_field **fields, size_t *n)
{
    chain *c = ctx;
    c->field[0] = (jitrl_field){"room", c->text};
    *fields = c->field;
    *n = 1;
    return JITRL_OK;
}

/* Similarity: the room's words, exactly (1-grams; "room 3" is not "room 4"). */
static const jitrl_field_spec chain_spec[1] = {{"room", 1, 1.0}};

/* Make a chain world; the handle owns its state from here on. */
static int chain_open(jitrl_env **out, char *err, size_t errlen)
{
    chain *c = calloc(1, sizeof *c);
    if (!c) return JITRL_ENOMEM;
    jitrl_env_methods m;
    jitrl_env_methods_init(&m);
    m.reset = chain_reset;
    m.step = chain_step;
    m.actions = chain_actions;
    m.state_fields = chain_fields;
    m.close = free;
    jitrl_env_info info;
    jitrl_env_info_init(&info);
    info.kind = "chain";
    info.name = "chain8";
    info.fields = chain_spec;
    info.n_fields = 1;
    int rc = jitrl_env_create(&m, &info, c, out, err, errlen);
    if (rc) free(c);   /* not the handle's on failure */
    return rc;
}

#ifndef CHAIN_WORLD_NO_MAIN
/* The mean score of the last 10 of 30 episodes of one agent on a fresh world. */
static int chain_play(jitrl_agent_kind kind, uint64_t seed, double *mean)
{
    char err[256];
    jitrl_env *env = NULL;
    jitrl_memory *mem = NULL;
    jitrl_agent *ag = NULL;
    int rc = chain_open(&env, err, sizeof err);
    jitrl_memory_options mo;
    jitrl_memory_options_init(&mo);
    mo.fields[0] = chain_spec[0];
    mo.n_fields = 1;
    if (!rc && kind == JITRL_AGENT_JITRL) rc = jitrl_memory_open(NULL, &mo, &mem, err, sizeof err);
    jitrl_agent_config cfg;
    if (!rc) rc = jitrl_agent_config_init_env(&cfg, env);
    cfg.kind = kind;
    cfg.seed = seed;
    cfg.max_steps = 16;
    cfg.params.beta = 5.0;
    if (!rc) rc = jitrl_agent_open(env, mem, &cfg, &ag, err, sizeof err);
    *mean = 0;
    for (int e = 0; !rc && e < 30; e++) {
        jitrl_episode_result r;
        rc = jitrl_agent_run_episode(ag, e, &r);
        if (e >= 20) *mean += r.score / 10;
    }
    if (rc) fprintf(stderr, "chain: %s %s\n", err, ag ? jitrl_agent_errmsg(ag) : "");
    jitrl_agent_close(ag);
    jitrl_memory_close(mem);
    jitrl_env_close(env);
    return rc;
}

int main(void)
{
    double j, s;
    if (chain_play(JITRL_AGENT_JITRL, 1, &j) || chain_play(JITRL_AGENT_STATIC, 1, &s)) return 1;
    printf("chain of %d rooms, last 10 of 30 episodes: jitrl %.1f, static %.1f\n", CHAIN_LEN, j, s);
    return 0;
}
#endif
