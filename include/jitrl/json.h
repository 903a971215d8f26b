/*
 * json.h -- the JSON surface of the engine: one decision and one episode,
 * as JSON text in and JSON text out.  The schema (docs/api.md) is the one
 * the service (`jitrl serve`, POST /v1/decide and POST /v1/episodes) and
 * the Python package speak, so a request means the same thing whichever
 * way it arrives.
 *
 * Ownership: the request is read, never kept.  *response is the caller's,
 * freed with jitrl_free(); it is set on success *and* on failure (then it
 * is an error object {"error": {"code", "message", "path"?}}), and is NULL
 * only when even the error could not be allocated (JITRL_ENOMEM).
 *
 * Errors never go to the memory handle: the response carries them, and
 * jitrl_memory_errmsg(mem) is left as it was.  Both calls may be made from
 * any number of threads on one memory (decisions share its read lock,
 * records take turns with the other writing calls).  Return codes:
 * JITRL_EPARSE (not JSON, invalid UTF-8, duplicate keys), JITRL_EINVAL (a
 * missing or wrongly typed field, a number out of range, an unknown key),
 * JITRL_ETOOBIG (past a limit below), JITRL_ENOMEM, JITRL_ESTATE (the memory
 * refuses: read-only, or its index was lost), JITRL_EDB / JITRL_EIO (record:
 * the store failed; nothing was added).
 */
#ifndef JITRL_JSON_H
#define JITRL_JSON_H

#include "jitrl/error.h"
#include "jitrl/memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of one request (each is an error past it, never a truncation). */
#define JITRL_JSON_MAX_BYTES ((size_t)64 << 20)   /* request text */
#define JITRL_JSON_MAX_CANDIDATES 10000
#define JITRL_JSON_MAX_FIELDS 32                  /* fields of one state */
#define JITRL_JSON_MAX_NAME 256                   /* bytes of a field name */
#define JITRL_JSON_MAX_TEXT ((size_t)1 << 20)     /* bytes of a field's text */
#define JITRL_JSON_MAX_ACTION 65536               /* bytes of an action */
#define JITRL_JSON_MAX_STEPS 100000               /* steps of one episode */

/* One decision.  request: {"state": {FIELD: TEXT}, "candidates":
 * [{"action", "logit"?}], "params"?: {...}, "seed"?, "mode"?, "trace"?}.
 * Success: {"choice", "index", "actions", "probs", "advantages", "v",
 * "neighbours", "index_steps", "seed", "mode", "trace"?}.  Equal to
 * jitrl_decide on the same memory with jitrl_rng_seed(seed) (numbers are
 * printed exactly, %.17g). */
JITRL_API int jitrl_decide_json(jitrl_memory *mem, const char *request, char **response);

/* One episode.  episode: {"task"?, "score"?, "time"?, "gamma"?, "steps":
 * [{"state": {FIELD: TEXT}, "action", "reward"}]}.  Returns are computed
 * here with gamma (default 0.5); score defaults to the sum of rewards.
 * Success: {"episode_id", "steps"}.  The episode is stored whole or not at
 * all (jitrl_memory_add_episode). */
JITRL_API int jitrl_record_json(jitrl_memory *mem, const char *episode, char **response);

#ifdef __cplusplus
}
#endif
#endif
