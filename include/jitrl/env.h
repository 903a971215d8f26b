/*
 * env.h -- the environment interface: any world an agent can act in.
 *
 * A jitrl_env is a handle over a table of methods (jitrl_env_methods) and
 * constant information about the world (jitrl_env_info).  The agent
 * (jitrl/agent.h) and the tools talk to every environment through the
 * generic calls below and know nothing of the world behind them:
 *
 *   reset / step       start an episode, act; jitrl_obs has the reward
 *   actions            the actions worth offering now (optional)
 *   state_fields       the state as named text fields, for retrieval
 *   prompt_fields      the state as the model (and the trace) sees it
 *   observation        the last output text
 *   get/set_state      save and restore (optional)
 *   hash               a hash of the state (optional)
 *
 * Kinds: "zgame" (a Z-machine text game, jitrl/zgame.h) is built in; an
 * embedder -- a C program, the Python bindings, a service -- hands the
 * agent any other world with jitrl_env_create() and its own callbacks.
 * docs/env.md has a complete custom environment in about 30 lines.
 *
 * Ownership, once for this header: a returned `const char *` (and arrays
 * of them, and the jitrl_field arrays) is borrowed from the handle and
 * valid until the next call of the same function, or the next reset, step,
 * set_state or close, on that handle (so the actions and the fields of one
 * state can be used together).  Inputs are copied.  Every fallible call returns an enum jitrl_rc (jitrl/error.h);
 * jitrl_env_errmsg() then says why.  Unless a call says otherwise, a failed
 * call leaves the environment as it was.  One handle must not be used from
 * two threads at once; separate handles are independent (the library has no
 * global state).
 */
#ifndef JITRL_ENV_H
#define JITRL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/error.h"
#include "jitrl/memory.h"   /* jitrl_field, jitrl_field_spec */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_env jitrl_env;

/* One observation.  text is borrowed (see the ownership rule above). */
typedef struct jitrl_obs {
    const char *text;    /* the world's output for this step ("" if none) */
    double reward;       /* reward caused by this step (0 at reset); finite */
    int done;            /* the episode is over; step() then fails until reset */
    int victory, death;  /* how it ended (both 0 while playing) */
    int score, moves, max_score;  /* the running score (what the agent reports),
                                   * steps taken, best possible (0 = unknown) */
} jitrl_obs;

/* ---- building an environment from callbacks ------------------------ */

/*
 * The callback contract.  Every method gets the ctx given to
 * jitrl_env_create().  The generic calls below check their arguments and
 * the episode's state before calling a method, so a method is never
 * called with a NULL output pointer, step() never before a successful
 * reset() (or set_state()), and never after an observation with done = 1
 * until the next reset() or set_state().
 *
 * Return JITRL_OK or an enum jitrl_rc code; the code is passed to the
 * caller unchanged.  After a failure the handle's errmsg is the errmsg
 * method's text, or, when there is no such method or it returns NULL or
 * "", "<method>: <jitrl_strerror(rc)>".  A failed step ends the episode
 * (the next step is refused until reset): a world that faults is not
 * trusted to be where it was.
 *
 * Strings a method hands back (observation text, action lists, fields,
 * errmsg) stay the method's: they must remain valid until the next call of
 * the same method, or the next reset, step, set_state or close, on the same
 * ctx (one buffer per method does it); the library copies what it keeps.
 *
 * Checked on the way out (a broken callback is an error, never a crash):
 * a NULL action list with n > 0, a NULL action string, a field with a NULL
 * name or text, a non-finite reward give JITRL_ECORRUPT; a NULL obs text
 * or observation reads as "".
 */
typedef struct jitrl_env_methods {
    size_t size;   /* sizeof(jitrl_env_methods), set by jitrl_env_methods_init */

    /* Required.  Start a new episode and fill *out (zeroed before the
     * call; reward is ignored).  May be called any number of times. */
    int (*reset)(void *ctx, jitrl_obs *out);
    /* Required.  Act (action is a NUL-terminated string, borrowed for the
     * call) and fill *out (zeroed before the call).  An action the world
     * does not understand is a normal step (reward 0, maybe a message in
     * text), not an error: errors are for a world that cannot go on. */
    int (*step)(void *ctx, const char *action, jitrl_obs *out);
    /* Optional.  The actions to choose from at the current state: *acts
     * gets n strings.  NULL method = the world has no list
     * (jitrl_env_actions says JITRL_EUNSUPPORTED, and the agent uses its
     * model's proposals or the fallback actions).  An empty list is fine
     * (e.g. when done). */
    int (*actions)(void *ctx, const char *const **acts, size_t *n);
    /* Required.  The state for retrieval: n named text fields.  Names
     * should be those of info.fields (a spec'd field a state lacks counts
     * as empty text); "history" is the agent's own field (its last
     * actions) and must not be returned here. */
    int (*state_fields)(void *ctx, const jitrl_field **fields, size_t *n);
    /* Optional.  The state as the model is shown it and the trace records
     * it ("location: ...").  NULL = the state fields. */
    int (*prompt_fields)(void *ctx, const jitrl_field **fields, size_t *n);
    /* Optional.  The world's last output text (what the evaluator and
     * the model see).  NULL method = the text of the last obs. */
    const char *(*observation)(void *ctx);
    /* Optional, all three or none.  state_size is what get_state writes
     * now; get_state fails with JITRL_ETOOBIG when cap is smaller;
     * set_state restores such a buffer (JITRL_ECORRUPT for one it does
     * not recognise, leaving the state unchanged). */
    size_t (*state_size)(void *ctx);
    int (*get_state)(void *ctx, void *buf, size_t cap, size_t *len);
    int (*set_state)(void *ctx, const void *buf, size_t len);
    /* Optional.  A hash of the current state (equal states, equal hash);
     * NULL = jitrl_env_hash returns 0. */
    uint64_t (*hash)(void *ctx);
    /* Optional.  Why the last method failed; never called otherwise. */
    const char *(*errmsg)(void *ctx);
    /* Optional.  Free ctx: called once, by jitrl_env_close(). */
    void (*close)(void *ctx);
} jitrl_env_methods;

/* Constant facts about the world, copied by jitrl_env_create (strings,
 * the fallback list and the field specs may be freed afterwards). */
typedef struct jitrl_env_info {
    size_t size;               /* sizeof(jitrl_env_info), set by jitrl_env_info_init */
    const char *kind;          /* the kind, e.g. "grid"; NULL = "custom".  "zgame" is
                                * taken by the built-in kind */
    const char *name;          /* the task's name, stored with each episode; NULL = kind */
    const char *preset;        /* engine parameters, jitrl_params_default(): "text" or
                                * "web"; NULL = the engine's default */
    const char *system_prompt; /* the model's system message; NULL = a generic one */
    const char *task;          /* one line for the model; NULL = "Maximise the reward in NAME." */
    const char *action_hint;   /* how actions look, for proposals, e.g. "short and in the
                                * game's usual form"; NULL = none */
    double reward_lo, reward_hi;  /* the evaluator's per-step reward scale; default -1..1 */
    /* Actions tried when a state offers none (an empty or missing list and
     * no proposal from the model).  n_fallback = 0: none, and such a state
     * is an error for the agent. */
    const char *const *fallback_actions;
    size_t n_fallback;
    /* What similarity means for this world: the fields the memory indexes
     * (jitrl_memory_options.fields).  n_fields = 0: the memory's default.
     * A spec named "history" asks the agent to add its own field of that
     * name (its last actions, one per line). */
    const jitrl_field_spec *fields;
    size_t n_fields;
} jitrl_env_info;

/* Defaults: everything NULL / 0, reward scale -1..1, size set. */
JITRL_API void jitrl_env_methods_init(jitrl_env_methods *m);
JITRL_API void jitrl_env_info_init(jitrl_env_info *info);

/* Make an environment from callbacks.  m and info are copied (info's
 * strings too); ctx is borrowed until then and, on success, owned by the
 * handle: jitrl_env_close() calls m->close(ctx).  On failure m->close is
 * not called and ctx stays the caller's.  Errors: JITRL_EINVAL (NULL m or
 * out, a size field that is too small or larger than this library knows,
 * a required method missing, get/set_state/state_size not all given or
 * all missing, reward_lo >= reward_hi, more than JITRL_MAX_FIELDS field
 * specs or a bad one, a preset jitrl_params_default does not know, the
 * kind "zgame"), JITRL_ENOMEM.  On error *out is
 * NULL and a message is written to err[0..errlen) if err is non-NULL. */
JITRL_API int jitrl_env_create(const jitrl_env_methods *m, const jitrl_env_info *info, void *ctx,
                               jitrl_env **out, char *err, size_t errlen);
JITRL_API void jitrl_env_close(jitrl_env *env);   /* NULL is a no-op */

/* ---- the generic calls ---------------------------------------------- */

/* The detail message of the last failure (never NULL; "" if none). */
JITRL_API const char *jitrl_env_errmsg(const jitrl_env *env);

/* Start a new episode; *out gets the first observation (out may be
 * NULL).  Errors: the kind's (zgame: JITRL_EVM / JITRL_EBUDGET if the
 * story faults or loops). */
JITRL_API int jitrl_env_reset(jitrl_env *env, jitrl_obs *out);

/* Act.  JITRL_ESTATE before reset or after done; JITRL_EINVAL for a NULL
 * action.  A failure of the world ends the episode (done = 1 in *out, out
 * may be NULL). */
JITRL_API int jitrl_env_step(jitrl_env *env, const char *action, jitrl_obs *out);

/* The actions at the current state (borrowed; see above).  JITRL_ESTATE
 * before reset; JITRL_EUNSUPPORTED when the world has no list (errmsg
 * says so).  zgame: one readable command per distinct world outcome,
 * sorted, memoised by world-state hash; empty when done. */
JITRL_API int jitrl_env_actions(jitrl_env *env, const char *const **actions, size_t *n);

/* The state for retrieval (borrowed).  JITRL_ESTATE before reset.  zgame:
 * one field, "current" = "location: ...\ninventory: ...\nvisible: ...". */
JITRL_API int jitrl_env_state_fields(jitrl_env *env, const jitrl_field **fields, size_t *n);
/* The state as the model is shown it (borrowed); the state fields when the
 * kind has no separate view.  zgame: location, inventory, visible
 * objects, score. */
JITRL_API int jitrl_env_prompt_fields(jitrl_env *env, const jitrl_field **fields, size_t *n);
/* The last output text (borrowed, never NULL; "" before reset). */
JITRL_API const char *jitrl_env_observation(jitrl_env *env);

/* Save / restore the whole state.  state_size() is the exact size
 * get_state() writes now (0 when unsupported or before reset); get_state
 * fails with JITRL_ETOOBIG if cap is smaller, JITRL_ESTATE before reset.
 * set_state accepts only buffers of the same world (zgame: the same
 * story; JITRL_ECORRUPT otherwise, the state then unchanged) and may be
 * called on a fresh handle.  JITRL_EUNSUPPORTED when the kind cannot. */
JITRL_API size_t jitrl_env_state_size(const jitrl_env *env);
JITRL_API int jitrl_env_get_state(jitrl_env *env, void *buf, size_t cap, size_t *len);
JITRL_API int jitrl_env_set_state(jitrl_env *env, const void *buf, size_t len);

/* A hash of the state; 0 before reset or when the kind has none.  zgame:
 * object tree, attributes, properties and globals, except the move
 * counter (the same situation reached at another turn hashes the same). */
JITRL_API uint64_t jitrl_env_hash(const jitrl_env *env);

/* Constant facts (borrowed until close, never NULL for a non-NULL env).
 * kind: "zgame", or the creator's; name: the game's or task's name. */
JITRL_API const char *jitrl_env_kind(const jitrl_env *env);
JITRL_API const char *jitrl_env_name(const jitrl_env *env);
/* The whole info (the handle's copy; strings filled with their defaults).
 * NULL for a NULL env. */
JITRL_API const jitrl_env_info *jitrl_env_info_get(const jitrl_env *env);

#ifdef __cplusplus
}
#endif
#endif
