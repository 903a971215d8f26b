/*
 * llm_int.h -- the model backend's private header, shared by its files:
 *   llm_openai.c  the handle, the chat-completions exchange, retries, accounting
 *   llm_curl.c    the default transport, over the HTTP layer (src/net/)
 *   prompt.c      the prompt texts
 *   prior.c       token / verbal / propose modes
 *   evaluator.c   the after-episode reflective scorer
 * Nothing here is public; the public contract is include/jitrl/llm.h.
 */
#ifndef JR_LLM_INT_H
#define JR_LLM_INT_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/rng.h"
#include "jitrl/llm.h"
#include "net/http.h"

/* Largest reply body we accept; a bigger one is treated as unusable. */
#define LLM_MAX_REPLY (4u << 20)
/* Largest prompt we build. */
#define LLM_MAX_PROMPT (256u << 10)
/* Labels are the capital letters; see prior.c for why. */
#define LLM_MAX_LABELS 26
/* A label absent from top_logprobs gets (least listed logprob) - LLM_FLOOR_MARGIN. */
#define LLM_FLOOR_MARGIN 2.302585092994046 /* ln 10 */
/* Logprobs below this are clamped to it (servers pad with -9999). */
#define LLM_MIN_LOGPROB (-100.0)

struct jitrl_llm {
    jitrl_llm_config cfg;          /* string members point at the owned copies below */
    char *base_url, *model, *api_key, *url;
    json_t *extra;                 /* parsed extra_json object, or NULL */
    jitrl_llm_transport tr;        /* post/sleep always set after open */
    net_transport net;             /* the default transport's HTTP layer (src/net/), or zero */
    jr_rng rng;                    /* backoff jitter */
    jitrl_llm_stats stats;
    int failed_in_row;             /* calls in a row with no usable reply (see llm_ask) */
    char err[512];
};

/* Default of jitrl_llm_config.max_failed_calls. */
#define LLM_DEFAULT_MAX_FAILED_CALLS 8

/* Rewrite the NUL-terminated s[0..cap) in place with the API key (when at
 * least 6 characters) and every "Bearer <token>" replaced by "[redacted]"
 * (redact.c).  Every text from outside passes here before it is kept. */
void llm_redact(char *s, size_t cap, const char *key);

/* One chat request: two messages and the sampling limits. */
typedef struct llm_request {
    const char *system;
    const char *user;
    long max_tokens;
    int logprobs;                  /* 1: ask for logprobs + top_logprobs */
} llm_request;

/* What a usable HTTP 200 reply held.  root owns everything; the other
 * pointers borrow from it.  usable == 0 means the reply was malformed and
 * reason says how (the caller falls back). */
typedef struct llm_reply {
    json_t *root;
    const char *content;           /* choices[0].message.content, "" if absent/null */
    json_t *top_logprobs;          /* choices[0].logprobs.content[0].top_logprobs, or NULL */
    int usable;
} llm_reply;

/* Send req with retries.  Returns JITRL_OK with *rep filled (check
 * rep->usable; when 0, info->reason says why), or a hard error (EAUTH,
 * EHTTP, ENOMEM...) with llm->err set.  Transient faults that exhaust the
 * retries return JITRL_OK with rep->usable = 0.  Accounting (tokens,
 * attempts, latency) goes into info and llm->stats.  Free rep with
 * llm_reply_free. */
int llm_chat(jitrl_llm *llm, const llm_request *req, llm_reply *rep, jitrl_llm_call *info);
void llm_reply_free(llm_reply *rep);
/* llm_chat, and an unusable reply is recorded as a fallback of `what`
 * ("prior", "propose", "evaluate"): the caller just stops on
 * rc || !rep->usable. */
int llm_ask(jitrl_llm *llm, const llm_request *req, llm_reply *rep, jitrl_llm_call *info,
            const char *what);

/* Build the request body (exposed for tests of its shape).  Caller frees
 * with free(). NULL on ENOMEM. */
char *llm_request_json(const jitrl_llm *llm, const llm_request *req);

/* Bookkeeping shared by the modes. */
void llm_call_begin(jitrl_llm_call *info);
void llm_fallback(jitrl_llm *llm, jitrl_llm_call *info, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void llm_log(const jitrl_llm *llm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The default transport (llm_curl.c). */
int llm_curl_init(jitrl_llm *llm);
void llm_curl_free(jitrl_llm *llm);
int llm_curl_post(void *ctx, const char *url, const char *api_key, const char *body,
                  size_t body_len, long timeout_ms, long *status, char **reply,
                  size_t *reply_len, long *retry_after_ms, char *err, size_t errlen);
/* "Retry-After" value -> milliseconds (delta-seconds or HTTP-date), -1 if unparseable. */
long llm_parse_retry_after(const char *value);

/* Prompts (prompt.c).  Each appends to the given buffers. */
int llm_prompt_choice(const jitrl_llm *llm, const jitrl_llm_context *ctx,
                      const char *const *shown, size_t m, int verbal, jr_buf *sys, jr_buf *user);
int llm_prompt_propose(const jitrl_llm *llm, const jitrl_llm_context *ctx, int k, jr_buf *sys,
                       jr_buf *user);
int llm_prompt_evaluate(const jitrl_llm *llm, const char *task, const char *const *observations,
                        const char *const *actions, size_t n, double lo, double hi, jr_buf *sys,
                        jr_buf *user);
/* Append s with whitespace runs collapsed to one space, trimmed, cut to at
 * most max bytes on a UTF-8 boundary ("..." marks a cut). */
int llm_put_compact(jr_buf *b, const char *s, size_t max);

/* Find the first JSON value of the given type ('{' or '[') inside a model
 * answer (which may wrap it in prose or ``` fences).  NULL if none parses. */
json_t *llm_extract_json(const char *text, char open);

#endif
