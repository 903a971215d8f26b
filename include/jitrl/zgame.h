/*
 * zgame.h -- the environment kind "zgame": a Z-machine text game played
 * through Jericho's interface, on our own Z-machine, and fast.
 *
 * A zgame environment is a jitrl_env (jitrl/env.h): reset() starts a fresh
 * game (running the game's intro input) and returns the first observation;
 * step() sends one command and returns the next observation with the score
 * delta as reward, done/victory/death, score, moves and max score.
 * jitrl_env_actions() lists the commands that change the world at the
 * current state, one readable command per distinct outcome: candidates come
 * from the game's own grammar tables filled with the nouns the player can
 * refer to, and each is tried on a snapshot and compared with the world
 * after no-op turns (`wait`, `look`), so per-game background noise (visited
 * flags, wandering NPCs, timers) is calibrated away automatically.  Results
 * are memoised by world-state hash: coming back to a state costs nothing.
 *
 * Known games (the ten Jericho stories and our built-in game) are
 * recognised by md5 in a facts table compiled into the library (score and
 * moves addresses, max score, seed, victory/death texts, intro input).  Any
 * other story works through a generic fallback: the version 3 status-line
 * globals, or the game's own `score` verb run on a snapshot and parsed.
 * A story that is not a game (no parser, no score) opens, but its errmsg
 * says so and jitrl_env_actions() returns JITRL_EUNSUPPORTED.
 *
 * For the agent the kind supplies: the state field "current" (location,
 * inventory, visible objects) with the agent's "history" (current 4-grams
 * weight 0.7, history 1-grams weight 0.3), the "text" engine preset, the
 * model's text-adventure wording, the evaluator scale -10..10 and compass
 * moves as fallback actions.
 *
 * The extras below take any jitrl_env: for another kind they return
 * JITRL_EINVAL, or the neutral value each one states.  Ownership and
 * threading as in jitrl/env.h.
 */
#ifndef JITRL_ZGAME_H
#define JITRL_ZGAME_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/env.h"
#include "jitrl/error.h"
#include "jitrl/zvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A valid-actions cache that environments of one story, used one after
 * another, hand on (see jitrl_zgame_options.actions_cache). */
typedef struct jitrl_zgame_cache jitrl_zgame_cache;

typedef struct jitrl_zgame_options {
    size_t size;           /* sizeof(jitrl_zgame_options), set by _init */
    int32_t seed;          /* the game's RNG seed as `dfrotz -s N`; -1 = from the facts (0 if unknown) */
    int use_facts;         /* 1 = recognise known games by md5; 0 = force the generic fallback */
    uint64_t step_budget;  /* Z-machine instructions allowed per command; 0 = default (20 million) */
    int threads;           /* threads for valid actions: 0 = default (2), 1 = this thread only */
    int fast_actions;      /* 1 = approximate valid actions for speed: a command that changed nothing
                            * at an earlier state with the same footprint (its words' objects, the
                            * location, the globals) is not run again, and the memo key leaves out
                            * where objects outside the location are.  Answers then depend on the
                            * states seen before on this handle.  0 = exact (default). */
    const char *name;      /* the game's name when the facts do not know it (copied at open); NULL =
                            * the file name without extension (open_file) or "story" (open_buffer) */
    /* Debugging output of valid actions (it changes no answer): the kinds
     * in log_mask (JITRL_ZGAME_LOG_*) are passed to log one line at a time
     * (no newline), from the thread that called the environment; read at
     * open.  NULL log = none (the default). */
    unsigned log_mask;
    void (*log)(void *log_ctx, unsigned kind, const char *line);
    void *log_ctx;
    /* NULL = the handle's own valid-actions memo (the default).  Else the
     * handle's valid actions (memo, what fast mode learnt, the worker
     * machines) live in this cache: the next handle opened with it starts
     * where this one ended, so a state one computed costs the next nothing.
     * One handle at a time (a second one's jitrl_env_actions() fails with
     * JITRL_ESTATE until the first is closed); one story and one
     * fast_actions setting per cache (else JITRL_EINVAL).  Answers then
     * depend on the states every earlier handle saw, in the order used. */
    jitrl_zgame_cache *actions_cache;
} jitrl_zgame_options;

/* Kinds of jitrl_zgame_options.log lines. */
enum {
    JITRL_ZGAME_LOG_DEBUG = 1,       /* world diffs, noise and scratch globals, nouns, candidate counts */
    JITRL_ZGAME_LOG_CANDIDATES = 2,  /* every candidate command of a state */
    JITRL_ZGAME_LOG_STATS = 4,       /* one line per computed state: ms, candidates, groups */
    JITRL_ZGAME_LOG_DUMP = 8,        /* per computed state: the keyed world region in hex and the noun key */
};

/* A cache for jitrl_zgame_options.actions_cache; close it after the last
 * handle using it is closed.  JITRL_OK, JITRL_EINVAL (NULL out) or
 * JITRL_ENOMEM. */
JITRL_API int jitrl_zgame_cache_open(jitrl_zgame_cache **out);
JITRL_API void jitrl_zgame_cache_close(jitrl_zgame_cache *c);   /* NULL is a no-op */

/* Fill *opt with the defaults: seed -1, use_facts 1, step_budget 0,
 * threads 0, fast_actions 0, name NULL, no log, size set.  NULL options to open mean the
 * same. */
JITRL_API void jitrl_zgame_options_init(jitrl_zgame_options *opt);

/* Open a story (bytes are copied) as an environment of kind "zgame".  Does
 * not start the game: call jitrl_env_reset().  Errors: JITRL_EINVAL (a bad
 * options size, NULL out), those of jitrl_zvm_open_* (JITRL_EIO,
 * JITRL_ECORRUPT, JITRL_EUNSUPPORTED, JITRL_ENOMEM).  On error *out is NULL
 * and a message is written to err[0..errlen) if err is non-NULL.  Close
 * with jitrl_env_close(). */
JITRL_API int jitrl_zgame_open_file(const char *path, const jitrl_zgame_options *opt, jitrl_env **out,
                                    char *err, size_t errlen);
JITRL_API int jitrl_zgame_open_buffer(const uint8_t *story, size_t len, const jitrl_zgame_options *opt,
                                      jitrl_env **out, char *err, size_t errlen);

/* Try one command on a snapshot without playing it: does it change the
 * world (object tree, attributes, properties, globals beyond the
 * calibrated noise, or the score), and which valid action has the
 * identical outcome (*valid_index, -1 if none; computes the valid actions
 * if needed).  The state is unchanged afterwards.  JITRL_EINVAL for
 * another kind. */
JITRL_API int jitrl_zgame_check_action(jitrl_env *env, const char *action, int *changes_world,
                                       long *valid_index);

/* Statistics of the last jitrl_env_actions() call. */
typedef struct jitrl_zgame_action_stats {
    int cached;              /* 1 = answered from the memo */
    size_t candidates;       /* candidate commands tried (0 when cached) */
    size_t groups;           /* distinct outcomes = number of valid actions */
    double ms;               /* wall-clock milliseconds of the call */
} jitrl_zgame_action_stats;
/* Fills *out; JITRL_EINVAL (and *out zeroed) for another kind. */
JITRL_API int jitrl_zgame_last_action_stats(const jitrl_env *env, jitrl_zgame_action_stats *out);

/* The structured state, read from the Z-machine (not summarised by a
 * model).  All strings borrowed (see jitrl/env.h); never NULL.
 * JITRL_EINVAL for another kind. */
typedef struct jitrl_zgame_state_text {
    const char *location;     /* the player's location, e.g. "West of House" */
    const char *inventory;    /* "a brass lantern, a sword" or "nothing" */
    const char *visible;      /* objects in the location; open containers' contents in brackets */
    const char *current;      /* one text: "location: ...\ninventory: ...\nvisible: ..." */
    const char *observation;  /* the game's last output text */
    int score, moves;
} jitrl_zgame_state_text;
JITRL_API int jitrl_zgame_state(jitrl_env *env, jitrl_zgame_state_text *out);

/* Facts: max score (0 if unknown, and for another kind), the seed in use
 * (0 for another kind), whether the facts table knew this story (0 for
 * another kind).  The game's name is jitrl_env_name(): from the facts,
 * else the file name without extension, else "story". */
JITRL_API int jitrl_zgame_max_score(const jitrl_env *env);
JITRL_API int32_t jitrl_zgame_seed(const jitrl_env *env);
JITRL_API int jitrl_zgame_known(const jitrl_env *env);

/* The intro input of the game (facts; "" if none, and for another kind),
 * with "\n" separating lines, e.g. "\n" for one empty line.  For tools
 * replaying walkthroughs. */
JITRL_API const char *jitrl_zgame_intro(const jitrl_env *env);

/* Jericho's accessors (for the Python FrotzEnv and other bindings).
 * jitrl_zgame_player: the player's object number (found at reset, and at
 * set_state on a fresh handle), 0 when unknown (a story without a
 * grammar we read) and for another kind.  jitrl_zgame_progress: the
 * current state's score, moves, done, victory and death as reset, step
 * and set_state left them (any pointer may be NULL; all 0 before reset);
 * JITRL_EINVAL for another kind (the outputs then 0). */
JITRL_API unsigned jitrl_zgame_player(const jitrl_env *env);
JITRL_API int jitrl_zgame_progress(const jitrl_env *env, int *score, int *moves, int *done, int *victory,
                                   int *death);

/* How valid actions read the story's parser: "inform-gv1", "inform-gv2",
 * "infocom", "infocom-compact", "infocom-new" (the later format of late
 * v5 games), or "fallback: ..." (no parser table we can
 * read: candidates from the dictionary's words and the nouns in scope; the
 * rest of the text says so), "none" (no dictionary either), "" for
 * another kind. */
JITRL_API const char *jitrl_zgame_parser(const jitrl_env *env);

/* The underlying machine, for inspection only (do not run or restore it).
 * NULL for another kind. */
JITRL_API const jitrl_zvm *jitrl_zgame_vm(const jitrl_env *env);

#ifdef __cplusplus
}
#endif
#endif
