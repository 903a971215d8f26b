/*
 * agent.h -- the JitRL agent of the paper's Algorithm 1, on any environment
 * (jitrl/env.h: a text game of kind "zgame", or a world made from callbacks).
 *
 * Each step of an episode:
 *   1. read the state fields and the actions from the environment;
 *   2. get prior logits z from the model (token/verbal mode) or, with no
 *      model, a uniform prior (z = 0); in propose mode the model's proposals
 *      are the candidates;
 *   3. retrieve similar past states from the memory and estimate A~;
 *   4. z' = z + beta * A~;
 *   5. sample an action from softmax(z') with the run's seeded RNG;
 *   6. act, and record (state, action, reward).
 * When the episode ends (done or max_steps), rewards are turned into returns
 * G_t = sum gamma^(u-t) r_u and the whole episode is stored in ONE memory
 * transaction, so an interrupted run loses at most the episode in flight.
 * With the evaluator on, the model's per-step rewards (on the environment's
 * scale, jitrl_env_info.reward_lo..hi) replace the environment's (when its
 * answer is usable).  The static agent is the same loop with no memory: the
 * prior alone (the paper's Static row).  The tabular agent is the same
 * loop choosing by Monte-Carlo control with UCB over exact states (the
 * environment's first state field; no model, no memory handle: its table
 * lives in RAM).
 *
 * The state used for retrieval is the environment's state fields, plus
 * "history" (the last history_len actions, one per line) when the
 * environment's field specs name it; for a text game: "current" (location,
 * inventory and visible objects, read from the Z-machine) and "history".
 * The model is shown the environment's prompt fields, observation, task and
 * system prompt.  When a state offers no action (no list, no proposal), the
 * environment's fallback actions are the candidates; with none, the episode
 * fails with JITRL_ESTATE.  The memory should be opened with the
 * environment's field specs (jitrl_env_info.fields).
 *
 * Reproducibility: episode e of a run draws from an RNG seeded with
 * (seed, e) alone, and the environment restarts the same way at reset
 * (a text game from its own fixed seed), so
 * the same seed and the same memory give the same trajectory -- on any
 * thread, and when a run is resumed from its memory file after a kill.
 *
 * Ownership: the environment, memory and model handles are the caller's and
 * must outlive the agent; the agent uses them from the calling thread only.
 * Strings in the config are borrowed for jitrl_agent_open (it copies what it
 * keeps).  Fallible calls return an enum jitrl_rc; jitrl_agent_errmsg() says
 * why.
 */
#ifndef JITRL_AGENT_H
#define JITRL_AGENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "jitrl/env.h"
#include "jitrl/error.h"
#include "jitrl/llm.h"
#include "jitrl/memory.h"
#include "jitrl/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_agent jitrl_agent;

typedef enum jitrl_agent_kind {
    JITRL_AGENT_JITRL = 0,   /* prior shifted by the memory's advantages */
    JITRL_AGENT_STATIC = 1,  /* prior only; nothing retrieved or stored */
    JITRL_AGENT_TABULAR = 2, /* baseline: Monte-Carlo control with UCB over exact "current" states
                              * and the valid actions, in RAM (docs/method.md section 7) */
} jitrl_agent_kind;

typedef struct jitrl_agent_config {
    size_t size;               /* sizeof the struct the caller was built with: set by _init */
    jitrl_agent_kind kind;
    int max_steps;             /* actions per episode; default 60 (the paper's) */
    uint64_t seed;             /* the run's seed */
    jitrl_params params;       /* engine parameters; default jitrl_params_default(NULL), or the
                                * environment's preset with jitrl_agent_config_init_env */
    size_t history_len;        /* actions in the "history" state field; default 1 */
    /* The model: NULL = uniform prior, no calls.  Borrowed. */
    jitrl_llm *llm;
    jitrl_llm_mode prior_mode; /* must match the llm handle's mode */
    int evaluator;             /* 1 = store the model's per-step rewards instead of score deltas */
    const char *task;          /* one line for the model; NULL = the environment's (jitrl_env_info.task) */
    /* Per-step decision trace: called with one JSON object (one line, no
     * newline) per step; NULL = no trace.  run_id is copied into each record. */
    void (*trace)(void *ctx, const char *json_line);
    void *trace_ctx;
    int run_id;
    /* Cooperative stop (e.g. set by a SIGINT handler): checked before every
     * step; the episode in flight is then abandoned, not stored. NULL = never. */
    const volatile sig_atomic_t *stop;
    double tabular_c;          /* the tabular agent's UCB scale (times the largest |G|); default 0.2 */
} jitrl_agent_config;

/* Defaults: jitrl agent, 60 steps, seed 1, the engine's default
 * parameters (jitrl_params_default(NULL)), history 1, no model, no
 * evaluator, no trace. */
JITRL_API void jitrl_agent_config_init(jitrl_agent_config *cfg);
/* The same, with the engine parameters of env's preset
 * (jitrl_env_info.preset).  JITRL_EINVAL for a NULL env or an unknown
 * preset (the parameters are then the engine's default). */
JITRL_API int jitrl_agent_config_init_env(jitrl_agent_config *cfg, const jitrl_env *env);

/* Make an agent over env (required) and mem (required for the jitrl agent,
 * ignored by the static one).  Errors: JITRL_EINVAL (missing handle, bad
 * max_steps or params), JITRL_ENOMEM; *out is NULL then and a message is
 * written to err[0..errlen) when err is non-NULL. */
JITRL_API int jitrl_agent_open(jitrl_env *env, jitrl_memory *mem, const jitrl_agent_config *cfg,
                     jitrl_agent **out, char *err, size_t errlen);
JITRL_API void jitrl_agent_close(jitrl_agent *ag);   /* NULL is a no-op */
JITRL_API const char *jitrl_agent_errmsg(const jitrl_agent *ag);   /* "" if none */

/* What one episode did. */
typedef struct jitrl_episode_result {
    int episode;               /* the index passed in */
    double score;              /* the game's score when the episode ended */
    double best_score;         /* the highest score reached during it */
    int steps;                 /* actions taken */
    int done, victory, death;  /* how the game ended (all 0 at the step limit) */
    int64_t episode_id;        /* id in the memory; 0 for the static agent */
    int evaluated;             /* 1 = rewards came from the evaluator */
    /* Model accounting for this episode (0 offline). */
    long prompt_tokens, completion_tokens, calls, fallbacks;
    double wall_s;
} jitrl_episode_result;

/* Play episode number `episode` (0-based; it seeds the episode's RNG) from a
 * fresh game to done or max_steps, then store it.  Errors: JITRL_EINTERRUPTED
 * (the stop flag was set: nothing stored), errors of the environment
 * (a story fault ends the episode early and it is still stored, returning
 * JITRL_OK with done = 1), of the model that a retry cannot fix (JITRL_EAUTH,
 * JITRL_EHTTP: nothing stored), of the memory (JITRL_EDB: nothing stored),
 * JITRL_ENOMEM. */
JITRL_API int jitrl_agent_run_episode(jitrl_agent *ag, int episode, jitrl_episode_result *out);

/* Optional per-step progress: called after each step with the episode, the
 * step number (1-based) and the current score.  NULL = none. */
JITRL_API void jitrl_agent_on_step(jitrl_agent *ag, void (*fn)(void *ctx, int episode, int step, int score),
                         void *ctx);

#ifdef __cplusplus
}
#endif
#endif
