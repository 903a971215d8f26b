/*
 * env.h -- the text-game environment: Jericho's interface, on our own
 * Z-machine, and fast.
 *
 * One jitrl_env handle plays one story file.  reset() starts a fresh game
 * (running the game's intro input) and returns the first observation;
 * step() sends one command and returns the next observation with the score
 * delta as reward, done/victory/death, score, moves and max score.
 * valid_actions() lists the commands that change the world at the current
 * state, one readable command per distinct outcome: candidates come from the
 * game's own grammar tables filled with the nouns the player can refer to,
 * and each is tried on a snapshot and compared with the world after no-op
 * turns (`wait`, `look`), so per-game background noise (visited flags,
 * wandering NPCs, timers) is calibrated away automatically.  Results are
 * memoised by world-state hash: coming back to a state costs nothing.
 *
 * Known games (the ten Jericho stories and our built-in game) are
 * recognised by md5 in a facts table compiled into the library (score and
 * moves addresses, max score, seed, victory/death texts, intro input).  Any
 * other story works through a generic fallback: the version 3 status-line
 * globals, or the game's own `score` verb run on a snapshot and parsed.
 * A story that is not a game (no parser, no score) opens, but its errmsg
 * says so and valid_actions() returns JITRL_EUNSUPPORTED.
 *
 * Ownership: a returned `const char *` (and arrays of them) is borrowed and
 * valid until the next step/reset/set_state/valid_actions/close on that
 * handle.  Inputs are copied.  Every fallible call returns an enum jitrl_rc
 * (jitrl/error.h); jitrl_env_errmsg() then says why.  Unless a call says
 * otherwise, a failed call leaves the game state as it was.  One handle
 * must not be used from two threads at once; separate handles are
 * independent (the library has no global state).
 */
#ifndef JITRL_ENV_H
#define JITRL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/error.h"
#include "jitrl/zvm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_env jitrl_env;

typedef struct jitrl_env_options {
    int32_t seed;          /* the game's RNG seed as `dfrotz -s N`; -1 = from the facts (0 if unknown) */
    int use_facts;         /* 1 = recognise known games by md5; 0 = force the generic fallback */
    uint64_t step_budget;  /* Z-machine instructions allowed per command; 0 = default (20 million) */
    int threads;           /* threads for valid actions: 0 = default (2), 1 = this thread only */
    int fast_actions;      /* 1 = approximate valid actions for speed: a command that changed nothing
                            * at an earlier state with the same footprint (its words' objects, the
                            * location, the globals) is not run again, and the memo key leaves out
                            * where objects outside the location are.  Answers then depend on the
                            * states seen before on this handle.  0 = exact (default). */
} jitrl_env_options;

/* Fill *opt with the defaults: seed -1, use_facts 1, step_budget 0, threads 0, fast_actions 0.
 * Passing NULL options to open means the same. */
JITRL_API void jitrl_env_options_init(jitrl_env_options *opt);

/* Open a story (bytes are copied).  Does not start the game: call
 * jitrl_env_reset().  Errors: those of jitrl_zvm_open_* (JITRL_EIO,
 * JITRL_ECORRUPT, JITRL_EUNSUPPORTED, JITRL_ENOMEM).  On error *out is
 * NULL and a message is written to err[0..errlen) if err is non-NULL. */
JITRL_API int jitrl_env_open_file(const char *path, const jitrl_env_options *opt, jitrl_env **out,
                        char *err, size_t errlen);
JITRL_API int jitrl_env_open_buffer(const uint8_t *story, size_t len, const jitrl_env_options *opt,
                          jitrl_env **out, char *err, size_t errlen);
JITRL_API void jitrl_env_close(jitrl_env *env);   /* NULL is a no-op */

/* The detail message of the last failure (never NULL; "" if none). */
JITRL_API const char *jitrl_env_errmsg(const jitrl_env *env);

/* One observation.  text is borrowed (see the ownership rule above). */
typedef struct jitrl_obs {
    const char *text;    /* the game's output for this turn, prompt removed */
    double reward;       /* score change caused by this step (0 at reset) */
    int done;            /* the game is over (won, died, or quit); step() then fails */
    int victory, death;  /* how it ended (both 0 while playing) */
    int score, moves, max_score;  /* max_score 0 when the game does not say */
} jitrl_obs;

/* Start a new game with the seed from the options (or the facts) and run the
 * intro input.  Clears nothing of the valid-actions memo (it stays valid).
 * Errors: JITRL_EVM / JITRL_EBUDGET if the story faults or loops. */
JITRL_API int jitrl_env_reset(jitrl_env *env, jitrl_obs *out);

/* Send one command and run to the next prompt.  JITRL_ESTATE before reset
 * or after done; JITRL_EINVAL for a NULL action.  A story fault or budget
 * overrun ends the game (done = 1) and returns JITRL_EVM / JITRL_EBUDGET. */
JITRL_API int jitrl_env_step(jitrl_env *env, const char *action, jitrl_obs *out);

/* The valid actions at the current state: one readable command per distinct
 * world outcome, sorted.  The array and strings are borrowed until the next
 * step/reset/set_state/close.  Computed on first call per state and
 * memoised by world-state hash.  An empty list when done.  Errors:
 * JITRL_ESTATE before reset; JITRL_EUNSUPPORTED when the story has no
 * grammar we can read (errmsg says so). */
JITRL_API int jitrl_env_valid_actions(jitrl_env *env, const char *const **actions, size_t *n);

/* Try one command on a snapshot without playing it: does it change the
 * world (object tree, attributes, properties, globals beyond the calibrated
 * noise, or the score), and which valid action has the identical outcome
 * (*valid_index, -1 if none; computes the valid actions if needed).  The
 * state is unchanged afterwards. */
JITRL_API int jitrl_env_check_action(jitrl_env *env, const char *action, int *changes_world,
                           long *valid_index);

/* Statistics of the last valid_actions() call. */
typedef struct jitrl_env_action_stats {
    int cached;              /* 1 = answered from the memo */
    size_t candidates;       /* candidate commands tried (0 when cached) */
    size_t groups;           /* distinct outcomes = number of valid actions */
    double ms;               /* wall-clock milliseconds of the call */
} jitrl_env_action_stats;
JITRL_API void jitrl_env_last_action_stats(const jitrl_env *env, jitrl_env_action_stats *out);

/* The structured state, read from the Z-machine (not summarised by a model).
 * All strings borrowed (see above); never NULL. */
typedef struct jitrl_env_state_text {
    const char *location;     /* the player's location, e.g. "West of House" */
    const char *inventory;    /* "a brass lantern, a sword" or "nothing" */
    const char *visible;      /* objects in the location; open containers' contents in brackets */
    const char *current;      /* one text: "location: ...\ninventory: ...\nvisible: ..." */
    const char *observation;  /* the game's last output text */
    int score, moves;
} jitrl_env_state_text;
JITRL_API int jitrl_env_state(jitrl_env *env, jitrl_env_state_text *out);

/* Save / restore the whole environment state (Z-machine snapshot, score
 * bookkeeping, done flags, last observation).  state_size() is the exact
 * size get_state() writes now; get_state fails with JITRL_ETOOBIG if cap is
 * smaller.  set_state accepts only buffers from a handle on the same story
 * (JITRL_ECORRUPT otherwise; the state is then unchanged).  After set_state
 * the observation, valid actions and hash equal those at get_state time. */
JITRL_API size_t jitrl_env_state_size(const jitrl_env *env);
JITRL_API int jitrl_env_get_state(const jitrl_env *env, void *buf, size_t cap, size_t *len);
JITRL_API int jitrl_env_set_state(jitrl_env *env, const void *buf, size_t len);

/* World-state hash: object tree, attributes, properties and globals, except
 * the move counter (so the same situation reached at another turn has the
 * same hash).  0 before reset. */
JITRL_API uint64_t jitrl_env_hash(const jitrl_env *env);

/* Facts: the game's name (from the facts, else the file name without
 * extension, else "story"), max score (0 if unknown), the seed in use, and
 * whether the facts table knew this story. */
JITRL_API const char *jitrl_env_game_name(const jitrl_env *env);
JITRL_API int jitrl_env_max_score(const jitrl_env *env);
JITRL_API int32_t jitrl_env_seed(const jitrl_env *env);
JITRL_API int jitrl_env_known(const jitrl_env *env);

/* The intro input of the game (facts; "" if none), with "\n" separating
 * lines, e.g. "\n" for one empty line.  For tools replaying walkthroughs. */
JITRL_API const char *jitrl_env_intro(const jitrl_env *env);

/* The underlying machine, for inspection only (do not run or restore it). */
JITRL_API const jitrl_zvm *jitrl_env_zvm(const jitrl_env *env);

#ifdef __cplusplus
}
#endif
#endif
