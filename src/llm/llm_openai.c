/*
 * llm_openai.c -- the OpenAI chat-completions client: the handle, the exact
 * request body, the retry loop and the reply parser, plus the accounting.
 *
 * Why it is shaped so: every server we target (OpenAI, OpenRouter, vLLM,
 * llama-server, Ollama) speaks this one wire format, so one client serves
 * them all and the differences live in docs/llm.md, not in code paths.
 * The request carries exactly model, messages, max_tokens, temperature,
 * logprobs and (only with logprobs) top_logprobs, plus whatever the user
 * put in extra_json: strict servers reject unknown members.  The parser
 * reads only the members it needs and ignores the rest, because every
 * provider adds its own (system_fingerprint, provider, bytes...).
 *
 * Faults are split in two on purpose: what a retry can fix (no reply,
 * 408, 429, 5xx) is retried with capped exponential backoff and jitter and
 * Retry-After wins when present; what it cannot (401/403/404/other 4xx)
 * is an immediate error; and a 200 whose content is unusable is a
 * fallback for the caller, never an error, so a long run survives it.
 */
#include "llm/llm_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/opts.h"

void jitrl_llm_config_init(jitrl_llm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->mode = JITRL_LLM_TOKEN;
    cfg->temperature = 1.0;
    cfg->top_logprobs = 20;
    cfg->max_labels = LLM_MAX_LABELS;
    cfg->propose_k = 3;
    cfg->timeout_ms = 60000;
    cfg->connect_timeout_ms = 10000;
    cfg->max_retries = 4;
    cfg->max_failed_calls = LLM_DEFAULT_MAX_FAILED_CALLS;
    cfg->backoff_ms = 500;
    cfg->max_backoff_ms = 30000;
    cfg->history_len = 8;
    cfg->field_chars = 600;
    cfg->seed = 1;
}

int jitrl_llm_mode_parse(const char *name, jitrl_llm_mode *mode)
{
    static const struct { const char *name; jitrl_llm_mode mode; } modes[] = {
        {"token", JITRL_LLM_TOKEN}, {"verbal", JITRL_LLM_VERBAL}, {"propose", JITRL_LLM_PROPOSE},
    };
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(name, modes[i].name) == 0) {
            *mode = modes[i].mode;
            return JITRL_OK;
        }
    }
    return JITRL_EINVAL;
}

static int cancelled(const jitrl_llm *llm) { return llm->cfg.cancel && *llm->cfg.cancel; }

/* The default wait: in short slices, so a cancel flag ends it promptly. */
static void sleep_default(const jitrl_llm *llm, long ms)
{
    while (ms > 0 && !cancelled(llm)) {
        long slice = ms < 50 ? ms : 50;
        struct timespec ts = {0, slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *config_problem(const jitrl_llm_config *c)
{
    if (!c->base_url || !*c->base_url) return "no base URL (--llm URL)";
    if (!c->model || !*c->model) return "no model name (--model NAME)";
    if (c->mode < JITRL_LLM_TOKEN || c->mode > JITRL_LLM_PROPOSE) return "unknown prior mode";
    if (c->top_logprobs < 1 || c->top_logprobs > 20) return "top_logprobs must be 1..20";
    if (c->max_labels < 2 || c->max_labels > LLM_MAX_LABELS) return "max_labels must be 2..26";
    if (c->propose_k < 1 || c->propose_k > 20) return "propose_k must be 1..20";
    if (!(c->temperature >= 0 && c->temperature <= 2)) return "temperature must be 0..2";
    if (c->timeout_ms < 1 || c->connect_timeout_ms < 0) return "bad timeout";
    if (c->max_retries < 0 || c->max_retries > 20) return "max_retries must be 0..20";
    if (c->backoff_ms < 0 || c->max_backoff_ms < 0) return "bad backoff";
    if (!(c->price_in >= 0) || !(c->price_out >= 0)) return "prices must be >= 0";
    return NULL;
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s) return NULL;
    char *d = jr_strdup(s);
    if (!d) *oom = 1;
    return d;
}

int jitrl_llm_open(const jitrl_llm_config *cfg, jitrl_llm **out, char *errmsg, size_t errlen)
{
    int rc = JITRL_OK;
    const char *why = NULL;
    jitrl_llm *llm = NULL;
    *out = NULL;
    if (!cfg) { rc = JITRL_EINVAL; why = "no configuration"; goto out; }
    /* the caller's fields over the defaults: a caller built against an
     * older header gets the defaults for the fields it does not know */
    jitrl_llm_config c;
    jitrl_llm_config_init(&c);
    if (jr_opts_load(&c, sizeof c, cfg)) {
        rc = JITRL_EINVAL;
        why = "bad jitrl_llm_config size (call jitrl_llm_config_init first)";
        goto out;
    }
    cfg = &c;
    if ((why = config_problem(cfg)) != NULL) { rc = JITRL_EINVAL; goto out; }
    llm = jr_calloc(1, sizeof *llm);
    if (!llm) { rc = JITRL_ENOMEM; why = "out of memory"; goto out; }
    llm->cfg = *cfg;
    int oom = 0;
    const char *key = cfg->api_key && *cfg->api_key ? cfg->api_key : NULL;
    llm->base_url = dup_or_null(cfg->base_url, &oom);
    llm->model = dup_or_null(cfg->model, &oom);
    llm->api_key = dup_or_null(key, &oom);
    if (oom) { rc = JITRL_ENOMEM; why = "out of memory"; goto out; }
    size_t blen = strlen(llm->base_url);
    while (blen > 0 && llm->base_url[blen - 1] == '/') llm->base_url[--blen] = '\0';
    /* A full endpoint URL is forgiven: ".../v1/chat/completions" -> ".../v1". */
    static const char suffix[] = "/chat/completions";
    if (blen >= sizeof suffix - 1 && strcmp(llm->base_url + blen - (sizeof suffix - 1), suffix) == 0)
        llm->base_url[blen -= sizeof suffix - 1] = '\0';
    jr_buf u;
    jr_buf_init(&u, 4096);
    if ((rc = jr_buf_printf(&u, "%s/chat/completions", llm->base_url)) != JITRL_OK) {
        jr_buf_free(&u);
        if (rc == JITRL_ETOOBIG) rc = JITRL_EINVAL;
        why = rc == JITRL_EINVAL ? "base URL too long" : "out of memory";
        goto out;
    }
    llm->url = jr_buf_steal(&u);
    if (!llm->url) { rc = JITRL_ENOMEM; why = "out of memory"; goto out; }
    const char *extra = cfg->extra_json;
    if (!extra && cfg->mode == JITRL_LLM_TOKEN && strstr(llm->base_url, "openrouter.ai"))
        extra = "{\"provider\":{\"require_parameters\":true}}";
    if (extra) {
        json_error_t jerr;
        llm->extra = json_loads(extra, 0, &jerr);
        if (!llm->extra || !json_is_object(llm->extra)) {
            rc = JITRL_EINVAL; why = "extra_json is not a JSON object"; goto out;
        }
    }
    llm->cfg.base_url = llm->base_url;
    llm->cfg.model = llm->model;
    llm->cfg.api_key = NULL;          /* never kept in the copy of the config */
    llm->cfg.extra_json = NULL;
    llm->cfg.transport = NULL;
    if (cfg->transport) llm->tr = *cfg->transport;
    if (!llm->tr.post) {
        rc = llm_curl_init(llm);
        if (rc) { why = llm->err[0] ? llm->err : "cannot initialise libcurl"; goto out; }
        llm->tr.post = llm_curl_post;   /* its context is the handle; tr.ctx stays the caller's */
    }
    jr_rng_seed(&llm->rng, cfg->seed);
    *out = llm;
    llm = NULL;
out:
    if (rc && errmsg && errlen) snprintf(errmsg, errlen, "llm: %s", why ? why : jitrl_strerror(rc));
    jitrl_llm_close(llm);
    return rc;
}

void jitrl_llm_close(jitrl_llm *llm)
{
    if (!llm) return;
    llm_curl_free(llm);
    if (llm->api_key) memset(llm->api_key, 0, strlen(llm->api_key));
    jr_free(llm->api_key);
    jr_free(llm->base_url);
    jr_free(llm->model);
    jr_free(llm->url);
    json_decref(llm->extra);
    jr_free(llm);
}

const char *jitrl_llm_errmsg(const jitrl_llm *llm) { return llm ? llm->err : "no handle"; }

const jitrl_llm_stats *jitrl_llm_stats_get(const jitrl_llm *llm)
{
    static const jitrl_llm_stats none;   /* all zero, for a NULL handle */
    return llm ? &llm->stats : &none;
}

void jitrl_llm_stats_reset(jitrl_llm *llm)
{
    if (llm) memset(&llm->stats, 0, sizeof llm->stats);
}

void jitrl_llm_free_strings(char **list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) jr_free(list[i]);
    jr_free(list);
}

void llm_log(const jitrl_llm *llm, const char *fmt, ...)
{
    if (!llm->cfg.log) return;
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    llm_redact(line, sizeof line, llm->api_key);
    llm->cfg.log(llm->cfg.log_ctx, line);
}

void llm_call_begin(jitrl_llm_call *info)
{
    memset(info, 0, sizeof *info);
}

void llm_fallback(jitrl_llm *llm, jitrl_llm_call *info, const char *what, const char *fmt, ...)
{
    char why[sizeof info->reason];   /* fmt's arguments may point into info->reason */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    memcpy(info->reason, why, sizeof why);
    info->fell_back = 1;
    llm->stats.fallbacks++;
    snprintf(llm->err, sizeof llm->err, "%s", info->reason);
    llm_log(llm, "llm: %s fell back (%s): %s [fallbacks so far: %ld]", what,
            what[0] == 'e' ? "caller keeps its rewards" : "uniform prior", info->reason,
            llm->stats.fallbacks);
}

char *llm_request_json(const jitrl_llm *llm, const llm_request *req)
{
    char *out = NULL;
    json_t *msgs = json_array();
    json_t *sys = json_pack("{s:s, s:s}", "role", "system", "content", req->system);
    json_t *usr = json_pack("{s:s, s:s}", "role", "user", "content", req->user);
    json_t *root = json_object();
    if (!msgs || !sys || !usr || !root) goto out;
    if (json_array_append(msgs, sys) || json_array_append(msgs, usr)) goto out;
    if (json_object_set_new(root, "model", json_string(llm->model))) goto out;
    if (json_object_set(root, "messages", msgs)) goto out;
    if (json_object_set_new(root, "max_tokens", json_integer(req->max_tokens))) goto out;
    if (json_object_set_new(root, "temperature", json_real(llm->cfg.temperature))) goto out;
    if (json_object_set_new(root, "logprobs", json_boolean(req->logprobs))) goto out;
    if (req->logprobs &&
        json_object_set_new(root, "top_logprobs", json_integer(llm->cfg.top_logprobs)))
        goto out;
    if (llm->extra && json_object_update_missing(root, llm->extra)) goto out;
    out = json_dumps(root, JSON_COMPACT);
out:
    json_decref(msgs);
    json_decref(sys);
    json_decref(usr);
    json_decref(root);
    return out;
}

void llm_reply_free(llm_reply *rep)
{
    json_decref(rep->root);
    memset(rep, 0, sizeof *rep);
}

/* Parse a 200 body.  Returns 1 if usable, else 0 with a reason. */
static int parse_reply(const char *body, size_t len, llm_reply *rep, long *pt, long *ct,
                       char *why, size_t whylen)
{
    json_error_t jerr;
    rep->root = json_loadb(body ? body : "", body ? len : 0, 0, &jerr);
    if (!rep->root) {
        snprintf(why, whylen, "malformed JSON reply (%s)", jerr.text);
        return 0;
    }
    json_t *usage = json_object_get(rep->root, "usage");
    json_t *v = json_object_get(usage, "prompt_tokens");
    if (json_is_integer(v) && json_integer_value(v) >= 0) *pt = (long)json_integer_value(v);
    v = json_object_get(usage, "completion_tokens");
    if (json_is_integer(v) && json_integer_value(v) >= 0) *ct = (long)json_integer_value(v);
    json_t *choice = json_array_get(json_object_get(rep->root, "choices"), 0);
    if (!json_is_object(choice)) {
        snprintf(why, whylen, "reply has no choices[0]");
        return 0;
    }
    json_t *content = json_object_get(json_object_get(choice, "message"), "content");
    rep->content = json_is_string(content) ? json_string_value(content) : "";
    json_t *lp = json_object_get(choice, "logprobs");
    json_t *first = json_array_get(json_object_get(lp, "content"), 0);
    json_t *top = json_object_get(first, "top_logprobs");
    rep->top_logprobs = json_is_array(top) ? top : NULL;
    return 1;
}

/* The server's own words for an error reply, trimmed, for the message. */
static void error_detail(const char *body, size_t len, const char *key, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!body || !len) return;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *msg = json_object_get(json_object_get(root, "error"), "message");
    if (!json_is_string(msg)) msg = json_object_get(root, "error");
    if (!json_is_string(msg)) msg = json_object_get(root, "message");
    const char *s = json_is_string(msg) ? json_string_value(msg) : NULL;
    size_t n = 0;
    if (!s) { s = body; n = len; } else n = strlen(s);
    /* Redact first, on a window well past the cut (a key echoed across the
     * 200th byte must not leave its prefix), then cut to 200. */
    char win[1024];
    size_t w = 0;
    for (size_t i = 0; i < n && w + 1 < sizeof win; i++)
        win[w++] = (s[i] == '\n' || s[i] == '\r' || (unsigned char)s[i] < 0x20) ? ' ' : s[i];
    win[w] = '\0';
    llm_redact(win, sizeof win, key);
    snprintf(out, outlen, "%.200s", win);
    json_decref(root);
}

static int is_transient_status(long st) { return st == 408 || st == 409 || st == 425 || st == 429 || st >= 500; }

static long backoff_wait(jitrl_llm *llm, int retry, long retry_after_ms)
{
    double base = (double)llm->cfg.backoff_ms * ldexp(1.0, retry > 30 ? 30 : retry);
    double jit = base * (0.5 + jr_rng_uniform(&llm->rng));   /* 50%..150% */
    double w = jit;
    if (retry_after_ms >= 0) w = (double)retry_after_ms;     /* the server knows best */
    if (w > (double)llm->cfg.max_backoff_ms) w = (double)llm->cfg.max_backoff_ms;
    return (long)w;
}

int llm_chat(jitrl_llm *llm, const llm_request *req, llm_reply *rep, jitrl_llm_call *info)
{
    int rc = JITRL_OK;
    memset(rep, 0, sizeof *rep);
    double t0 = now_ms();
    llm->stats.calls++;
    info->prompt_chars = (long)(strlen(req->system) + strlen(req->user));
    char *body = llm_request_json(llm, req);
    if (!body) {
        rc = JITRL_ENOMEM;
        snprintf(llm->err, sizeof llm->err, "llm: out of memory building the request");
        goto out;
    }
    size_t body_len = strlen(body);
    char why[256] = "";
    for (int attempt = 0;; attempt++) {
        long status = 0, retry_after = -1, pt = 0, ct = 0;
        char *reply = NULL;
        size_t reply_len = 0;
        char terr[160] = "";
        if (cancelled(llm)) {
            rc = JITRL_EINTERRUPTED;
            snprintf(llm->err, sizeof llm->err, "llm: interrupted");
            goto out;
        }
        info->attempts++;
        llm->stats.requests++;
        void *pctx = llm->tr.post == llm_curl_post ? (void *)llm : llm->tr.ctx;
        int trc = llm->tr.post(pctx, llm->url, llm->api_key, body, body_len,
                               llm->cfg.timeout_ms, &status, &reply, &reply_len, &retry_after,
                               terr, sizeof terr);
        info->http_status = status;
        llm_redact(terr, sizeof terr, llm->api_key);   /* a custom transport's words too */
        int transient = 0;
        if (trc == JITRL_EINTERRUPTED) {
            free(reply);
            rc = JITRL_EINTERRUPTED;
            snprintf(llm->err, sizeof llm->err, "llm: interrupted");
            goto out;
        } else if (trc == JITRL_ENOMEM) {
            free(reply);
            rc = JITRL_ENOMEM;
            snprintf(llm->err, sizeof llm->err, "llm: out of memory receiving the reply");
            goto out;
        } else if (trc == JITRL_ETOOBIG) {
            snprintf(why, sizeof why, "reply larger than %u bytes", LLM_MAX_REPLY);
        } else if (trc != JITRL_OK) {
            transient = 1;
            snprintf(why, sizeof why, "%s: %s", trc == JITRL_ETIMEOUT ? "timeout" : "no reply",
                     terr[0] ? terr : jitrl_strerror(trc));
        } else if (status >= 200 && status < 300) {
            int ok = parse_reply(reply, reply_len, rep, &pt, &ct, why, sizeof why);
            info->prompt_tokens += pt;
            info->completion_tokens += ct;
            llm->stats.prompt_tokens += pt;
            llm->stats.completion_tokens += ct;
            llm->stats.cost_usd += ((double)pt * llm->cfg.price_in + (double)ct * llm->cfg.price_out) / 1e6;
            free(reply);
            if (ok) {
                rep->usable = 1;
                goto out;
            }
            snprintf(info->reason, sizeof info->reason, "%s", why);
            goto out;   /* unusable 200: the caller falls back */
        } else {
            char detail[220];
            error_detail(reply, reply_len, llm->api_key, detail, sizeof detail);
            if (is_transient_status(status)) {
                transient = 1;
                snprintf(why, sizeof why, "HTTP %ld%s%s", status, detail[0] ? ": " : "", detail);
            } else {
                free(reply);
                rc = (status == 401 || status == 403 || status == 404) ? JITRL_EAUTH : JITRL_EHTTP;
                snprintf(llm->err, sizeof llm->err, "llm: %s answered HTTP %ld%s%s%s", llm->url,
                         status, detail[0] ? ": " : "", detail,
                         status == 401 || status == 403 ? " (check OPENAI_API_KEY / JITRL_API_KEY)"
                         : status == 404 ? " (check --llm URL and --model)" : "");
                llm->stats.errors++;
                llm_log(llm, "%s", llm->err);
                goto out;
            }
        }
        free(reply);
        if (!transient || attempt >= llm->cfg.max_retries) {
            if (transient)
                snprintf(info->reason, sizeof info->reason, "%s (after %d attempts)", why,
                         attempt + 1);
            else
                snprintf(info->reason, sizeof info->reason, "%s", why);
            goto out;   /* rep->usable == 0: the caller falls back */
        }
        long wait = backoff_wait(llm, attempt, retry_after);
        llm->stats.retries++;
        llm_log(llm, "llm: %s; retry %d/%d in %ld ms", why, attempt + 1, llm->cfg.max_retries, wait);
        if (llm->tr.sleep_ms) llm->tr.sleep_ms(llm->tr.ctx, wait);
        else sleep_default(llm, wait);
    }
out:
    free(body);
    info->latency_ms = now_ms() - t0;
    llm_redact(info->reason, sizeof info->reason, llm->api_key);
    if (rc) llm_redact(llm->err, sizeof llm->err, llm->api_key);
    return rc;
}

int llm_ask(jitrl_llm *llm, const llm_request *req, llm_reply *rep, jitrl_llm_call *info,
            const char *what)
{
    int rc = llm_chat(llm, req, rep, info);
    if (rc || rep->usable) {
        llm->failed_in_row = 0;
        return rc;
    }
    llm_fallback(llm, info, what, "%s", info->reason);
    /* A dead endpoint mid-run: the fallbacks would go on for the whole run
     * and exit 0.  After max_failed_calls in a row the call is an error. */
    if (llm->cfg.max_failed_calls > 0 && ++llm->failed_in_row >= llm->cfg.max_failed_calls) {
        snprintf(llm->err, sizeof llm->err, "llm: %d calls in a row got no usable reply from %s (last: %.200s); "
                 "stopping", llm->failed_in_row, llm->url, info->reason);
        llm_redact(llm->err, sizeof llm->err, llm->api_key);
        llm->stats.errors++;
        llm_log(llm, "%s", llm->err);
        llm_reply_free(rep);
        return JITRL_EHTTP;
    }
    return rc;
}

json_t *llm_extract_json(const char *text, char open)
{
    /* Models wrap JSON in prose or ``` fences.  Try each opener against the
     * closers after it, longest span first, within a fixed number of parse
     * attempts so a hostile answer full of brackets cannot cost more. */
    char close = open == '{' ? '}' : ']';
    int budget = 64;
    for (const char *p = strchr(text, open); p && budget > 0; p = strchr(p + 1, open)) {
        const char *q = strrchr(p, close);
        while (q && q > p && budget-- > 0) {
            json_t *v = json_loadb(p, (size_t)(q - p + 1), 0, NULL);
            if (v) {
                if ((open == '{' && json_is_object(v)) || (open == '[' && json_is_array(v)))
                    return v;
                json_decref(v);
            }
            const char *r = q - 1;
            while (r > p && *r != close) r--;
            q = (r > p) ? r : NULL;
        }
    }
    return NULL;
}
