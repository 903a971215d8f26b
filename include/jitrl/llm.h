/*
 * llm.h -- the language-model backend: prior logits, proposals and episode
 * evaluation from any OpenAI-compatible chat-completions endpoint
 * (OpenAI, OpenRouter, vLLM, llama.cpp's llama-server, Ollama).
 *
 * One jitrl_llm handle holds one endpoint's configuration, its HTTP
 * transport and its running accounting.  There is no global state; a
 * handle is used from one thread at a time.
 *
 * Failure policy, the one rule a caller must know:
 *  - Transient faults (timeout, connection refused, HTTP 408/429/5xx) are
 *    retried up to max_retries times with exponential backoff and jitter,
 *    honouring Retry-After.
 *  - Anything the model answers that we cannot use (malformed JSON, missing
 *    logprobs, an unknown label, an empty answer) and transient faults that
 *    exhaust their retries do NOT fail the call: it returns JITRL_OK with a
 *    uniform prior (all logits 0), info->fell_back = 1 and info->reason set,
 *    and the handle's stats count the fallback.  A run never dies of them.
 *  - Only errors a retry cannot fix fail the call: JITRL_EAUTH (HTTP 401,
 *    403, 404: bad key, unknown model or path), JITRL_EHTTP (other 4xx,
 *    e.g. 400 "logprobs not supported"), JITRL_EINVAL, JITRL_ENOMEM, and
 *    JITRL_EINTERRUPTED when the config's cancel flag was set.
 *    jitrl_llm_errmsg() then says why, with the HTTP status and the
 *    server's message.  The API key is never logged or put in a message.
 *
 * Ownership: strings in the config and context are borrowed for the call
 * (open copies what it keeps).  A returned `char **` list is the caller's:
 * free it with jitrl_llm_free_strings().  A returned `const` pointer is
 * borrowed until the next call on that handle.
 *
 * See docs/llm.md for the label scheme, the floor for absent labels, the
 * verbal map, the shortlist rule and how to point jitrl at each server.
 */
#ifndef JITRL_LLM_H
#define JITRL_LLM_H

#include <signal.h>
#include <stddef.h>

#include "jitrl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_llm jitrl_llm;

/* How the prior is obtained (see docs/llm.md). */
typedef enum jitrl_llm_mode {
    JITRL_LLM_TOKEN = 0,    /* one label token; top_logprobs are the logits (default) */
    JITRL_LLM_VERBAL = 1,   /* JSON confidences 0..100, mapped to logits */
    JITRL_LLM_PROPOSE = 2,  /* the model proposes k actions (no valid-action list) */
} jitrl_llm_mode;

/* The HTTP and clock seam.  The default (transport == NULL) is libcurl.
 * Tests may substitute their own.  post() sends `body` (JSON) to `url` with
 * the given bearer key (NULL = no Authorization header) and must fill
 * *status (0 when no HTTP reply arrived), *reply (allocated with malloc,
 * or NULL; the client frees it with free()), *reply_len and
 * *retry_after_ms (-1 when absent).  It returns JITRL_OK when an HTTP reply
 * arrived (whatever its status), JITRL_ETIMEOUT or JITRL_EHTTP (refused,
 * reset, DNS...) when none did -- both are retried -- and writes a short
 * reason to err[0..errlen).  sleep_ms() waits (backoff).  Either member
 * may be NULL: post NULL = libcurl, sleep_ms NULL = nanosleep, so a test
 * can keep the real HTTP and only record the backoff waits. */
typedef struct jitrl_llm_transport {
    void *ctx;
    int (*post)(void *ctx, const char *url, const char *api_key, const char *body,
                size_t body_len, long timeout_ms, long *status, char **reply,
                size_t *reply_len, long *retry_after_ms, char *err, size_t errlen);
    void (*sleep_ms)(void *ctx, long ms);
} jitrl_llm_transport;

typedef struct jitrl_llm_config {
    size_t size;              /* sizeof the struct the caller was built with: set by _init */
    const char *base_url;     /* e.g. "https://api.openai.com/v1"; "/chat/completions" is appended */
    const char *model;        /* e.g. "gpt-4o-mini"; required */
    const char *api_key;      /* NULL = none (the library reads no environment; the CLI takes
                               * $OPENAI_API_KEY, else $JITRL_API_KEY) */
    jitrl_llm_mode mode;      /* default JITRL_LLM_TOKEN */
    double temperature;       /* default 1.0 (logprobs of the untempered distribution) */
    int top_logprobs;         /* token mode: 1..20, default 20 (OpenAI's maximum) */
    int max_labels;           /* token mode: 2..26 labels A..Z, default 26; more candidates are shortlisted */
    int propose_k;            /* propose mode: actions asked for, default 3 (the paper's) */
    long timeout_ms;          /* whole request, default 60000 */
    long connect_timeout_ms;  /* default 10000 */
    int max_retries;          /* transient faults; default 4 (5 attempts in all) */
    long backoff_ms;          /* first backoff, doubled each retry, +-50% jitter; default 500 */
    long max_backoff_ms;      /* cap on one wait, Retry-After included; default 30000 */
    double price_in;          /* USD per million prompt tokens, for the cost estimate; default 0 */
    double price_out;         /* USD per million completion tokens; default 0 */
    /* Extra top-level request members as a JSON object text, merged in
     * verbatim (e.g. "{\"provider\":{\"require_parameters\":true}}" for
     * OpenRouter).  NULL = none, except that a base_url on openrouter.ai
     * in token mode gets that provider clause by default, since without it
     * OpenRouter may route to a provider that silently drops logprobs.
     * A standard member repeated here is ignored. */
    const char *extra_json;
    size_t history_len;       /* recent actions shown in prompts, default 8 */
    size_t field_chars;       /* cap on each state field / observation in prompts, default 600 */
    unsigned long long seed;  /* jitter RNG seed, default 1 */
    const jitrl_llm_transport *transport;   /* NULL = libcurl; copied at open */
    /* Called with one human-readable line for every retry, fallback and
     * hard error (never containing the key).  NULL = silent. */
    void (*log)(void *log_ctx, const char *line);
    void *log_ctx;
    /* Cooperative cancel (e.g. set by a SIGINT handler), checked during
     * transfers and backoff waits: a set flag ends the call at once with
     * JITRL_EINTERRUPTED (uniform logits written).  NULL = never. */
    const volatile sig_atomic_t *cancel;
    /* Calls in a row that get no usable reply (each after its retries, and
     * answered with the fallback) before the next one returns JITRL_EHTTP
     * instead, so a run against an endpoint that died stops with the
     * reason rather than playing on the uniform prior; a usable reply
     * resets the count.  Default 8; 0 = never. */
    int max_failed_calls;
} jitrl_llm_config;

/* Fill *cfg with the defaults above (base_url and model NULL).  The
 * library reads no environment variables: the CLI applies its own
 * (JITRL_LLM_EXTRA, JITRL_LLM_TEMPERATURE, ..., the key; cli/cli_env.c). */
JITRL_API void jitrl_llm_config_init(jitrl_llm_config *cfg);

/* "token", "verbal", "propose" -> *mode.  JITRL_EINVAL for anything else. */
JITRL_API int jitrl_llm_mode_parse(const char *name, jitrl_llm_mode *mode);

/* Open a client.  Nothing is sent yet.  Errors: JITRL_EINVAL (no base_url
 * or model, a value out of range, extra_json not a JSON object),
 * JITRL_ENOMEM; with the default transport also JITRL_EUNSUPPORTED
 * (libcurl.so.4 cannot be loaded, or lacks an entry point) and
 * JITRL_EHTTP (curl_global_init failed).  On error *out is NULL and, if
 * errmsg is non-NULL, the reason is written to errmsg[0..errlen). */
JITRL_API int jitrl_llm_open(const jitrl_llm_config *cfg, jitrl_llm **out, char *errmsg, size_t errlen);
JITRL_API void jitrl_llm_close(jitrl_llm *llm);     /* NULL is a no-op */

/* The detail message of the last failed call or fallback ("" if none). */
JITRL_API const char *jitrl_llm_errmsg(const jitrl_llm *llm);

/* Check the endpoint once, before a run: one minimal request (max_tokens
 * 1) with no retries.  JITRL_OK when the server answered anything a call
 * would retry or fall back on (429, 5xx, an unusable 200): it is there.
 * Errors, with the URL and the reason in errmsg: JITRL_EHTTP when no reply
 * came (refused, unresolvable host, bad URL, timeout), JITRL_EAUTH for
 * 401/403 (the key) and 404 (the URL or an unknown model), JITRL_EHTTP for
 * other 4xx, JITRL_EINTERRUPTED, JITRL_ENOMEM.  The request is left out of
 * the statistics (they are reset). */
JITRL_API int jitrl_llm_check(jitrl_llm *llm);

/* One state field shown to the model, e.g. {"location", "West of House"}. */
typedef struct jitrl_llm_field {
    const char *name;
    const char *text;
} jitrl_llm_field;

/* What the model sees at a decision: only what the agent itself saw. */
typedef struct jitrl_llm_context {
    const char *task;               /* one line, e.g. "Play Zork I and maximise the score." NULL = generic */
    const jitrl_llm_field *fields;  /* structured state (location, inventory, objects, score...) */
    size_t n_fields;
    const char *observation;        /* the game's last output; NULL = none */
    const char *const *history;     /* recent actions, oldest first; the last history_len are shown */
    size_t n_history;
    /* The environment's wording (jitrl_env_info): the system message and how
     * actions look in proposals.  NULL = a generic system message, no hint. */
    const char *system;
    const char *action_hint;
} jitrl_llm_context;

/* What one call cost and whether it fell back. */
typedef struct jitrl_llm_call {
    long prompt_tokens;       /* as the server reported them (0 if it did not) */
    long completion_tokens;
    long prompt_chars;        /* length of the prompt we sent */
    int attempts;             /* HTTP requests made (1 + retries) */
    int fell_back;            /* 1: the result is the uniform fallback */
    int labels_found;         /* token mode: labels present in top_logprobs */
    size_t n_shown;           /* candidates shown to the model (after shortlisting) */
    long http_status;         /* of the last attempt, 0 if none */
    double latency_ms;        /* wall time of the whole call, retries included */
    char reason[160];         /* why it fell back, "" otherwise */
} jitrl_llm_call;

/* Running totals since open (or the last jitrl_llm_stats_reset). */
typedef struct jitrl_llm_stats {
    long calls;               /* prior/propose/evaluate calls that sent a request */
    long requests;            /* HTTP requests, retries included */
    long retries;
    long fallbacks;           /* calls answered with the uniform fallback */
    long errors;              /* calls that returned an error */
    long floor_labels;        /* token mode: candidates given the floor logit */
    long shortlisted;         /* token mode: calls with more candidates than labels */
    long prompt_tokens;
    long completion_tokens;
    double cost_usd;          /* prompt*price_in/1e6 + completion*price_out/1e6 */
} jitrl_llm_stats;

/* Borrowed; valid until the handle is closed (it updates in place).  A
 * NULL handle gives all zeros (a run with no model reports no usage). */
JITRL_API const jitrl_llm_stats *jitrl_llm_stats_get(const jitrl_llm *llm);
/* Zero the running totals (e.g. per episode).  NULL is a no-op. */
JITRL_API void jitrl_llm_stats_reset(jitrl_llm *llm);

/* Prior logits for n candidate actions (token or verbal mode; in propose
 * mode this is the uniform prior with no request).  logits_out[0..n) is
 * always written: label log-probabilities (token mode), the verbal map
 * (verbal mode), or all zeros on fallback.
 *
 * Shortlist (n > max_labels, both modes): the max_labels candidates with
 * the highest `priority` are shown (ties, and priority == NULL, keep the
 * input order, so a caller lists memory actions first); the rest get the
 * floor logit (token) or the confidence-0 logit ln(1/101) (verbal).
 * priority may be NULL.  info may be NULL.  n <= 1 sends no request.
 *
 * Returns JITRL_OK (possibly with info->fell_back), or JITRL_EAUTH /
 * JITRL_EHTTP / JITRL_EINVAL / JITRL_ENOMEM; on error logits_out holds the
 * uniform prior so a caller that chooses to go on can. */
JITRL_API int jitrl_llm_prior(jitrl_llm *llm, const jitrl_llm_context *ctx,
                    const char *const *candidates, size_t n, const double *priority,
                    double *logits_out, jitrl_llm_call *info);

/* Ask the model for up to k distinct actions (k <= 0 = config propose_k).
 * *actions_out is the caller's (jitrl_llm_free_strings), possibly with
 * *n_out == 0 on fallback (info->fell_back = 1).  Errors as for prior. */
JITRL_API int jitrl_llm_propose(jitrl_llm *llm, const jitrl_llm_context *ctx, int k,
                      char ***actions_out, size_t *n_out, jitrl_llm_call *info);
/* Free a list returned by jitrl_llm_propose: its n strings and the array.
 * NULL is a no-op. */
JITRL_API void jitrl_llm_free_strings(char **list, size_t n);

/* The reflective evaluator: ONE call after an episode scores each of its
 * n_steps steps on [lo, hi] (text games -10..10, web -3..3) as strict
 * JSON.  It sees only observations[i] (what the agent saw before acting)
 * and actions[i]; pass nothing the agent could not see.  On success
 * rewards_out[0..n_steps) is written, clamped to [lo, hi].  If the answer
 * is unusable (info->fell_back = 1) rewards_out is left untouched and the
 * caller keeps its own rewards (score deltas).  Errors as for prior. */
JITRL_API int jitrl_llm_evaluate(jitrl_llm *llm, const char *task, const char *const *observations,
                       const char *const *actions, size_t n_steps, double lo, double hi,
                       double *rewards_out, jitrl_llm_call *info);

#ifdef __cplusplus
}
#endif
#endif
