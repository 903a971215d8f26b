/*
 * llm_curl.c -- the default HTTP transport of the model backend: one POST
 * over libcurl, the reply body into a bounded buffer, Retry-After read
 * from the headers.
 *
 * Why it is shaped so: the client (llm_openai.c) only sees the
 * jitrl_llm_transport seam, so tests swap this file out for a fake and the
 * retry logic is tested without sockets.  One easy handle lives on the
 * jitrl_llm so consecutive calls reuse the connection (TLS handshakes to
 * a remote API cost more than the one-token answer).  The key goes only
 * into the Authorization header, never into a message.
 */
#include "llm_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"

int llm_curl_init(jitrl_llm *llm)
{
    /* curl_global_init is reference counted and thread-safe since 7.84;
     * pairing it with the handle keeps libcurl's own globals out of our
     * callers' way. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return JITRL_EHTTP;
    llm->curl = curl_easy_init();
    if (!llm->curl) {
        curl_global_cleanup();
        return JITRL_ENOMEM;
    }
    return JITRL_OK;
}

void llm_curl_free(jitrl_llm *llm)
{
    if (!llm->curl) return;
    curl_easy_cleanup(llm->curl);
    llm->curl = NULL;
    curl_global_cleanup();
}

long llm_parse_retry_after(const char *v)
{
    while (*v == ' ' || *v == '\t') v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        double secs = strtod(v, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
        if (*end || secs < 0 || secs > 86400) return -1;
        return (long)(secs * 1000.0);
    }
    time_t when = curl_getdate(v, NULL);
    if (when < 0) return -1;
    double d = difftime(when, time(NULL));
    if (d < 0) d = 0;
    if (d > 86400) return -1;
    return (long)(d * 1000.0);
}

typedef struct curl_rx {
    jr_buf body;
    long retry_after_ms;
    int too_big;
} curl_rx;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    curl_rx *rx = ud;
    size_t n = size * nmemb;
    int rc = jr_buf_append(&rx->body, p, n);
    if (rc == JITRL_ETOOBIG) rx->too_big = 1;
    return rc ? 0 : n;   /* 0 makes curl stop with CURLE_WRITE_ERROR */
}

/* Progress callback: a set cancel flag aborts the transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const jitrl_llm *llm = ud;
    (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
    return llm->cfg.cancel && *llm->cfg.cancel;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    curl_rx *rx = ud;
    size_t n = size * nmemb;
    char line[256];
    if (n >= sizeof line) return n;
    memcpy(line, p, n);
    line[n] = '\0';
    /* retry-after-ms (Azure, some proxies) is finer than Retry-After. */
    if (strncasecmp(line, "retry-after-ms:", 15) == 0) {
        long ms = llm_parse_retry_after(line + 15);
        if (ms >= 0) rx->retry_after_ms = ms / 1000;
    } else if (strncasecmp(line, "retry-after:", 12) == 0 && rx->retry_after_ms < 0) {
        char *e = line + strlen(line);
        while (e > line && (e[-1] == '\r' || e[-1] == '\n')) *--e = '\0';
        rx->retry_after_ms = llm_parse_retry_after(line + 12);
    }
    return n;
}

int llm_curl_post(void *ctx, const char *url, const char *api_key, const char *body,
                  size_t body_len, long timeout_ms, long *status, char **reply,
                  size_t *reply_len, long *retry_after_ms, char *err, size_t errlen)
{
    jitrl_llm *llm = ctx;
    CURL *c = llm->curl;
    struct curl_slist *hdrs = NULL, *h;
    curl_rx rx;
    int rc = JITRL_OK;
    char auth[1024];
    jr_buf_init(&rx.body, LLM_MAX_REPLY);
    rx.retry_after_ms = -1;
    rx.too_big = 0;
    *status = 0;
    *reply = NULL;
    *reply_len = 0;
    *retry_after_ms = -1;
    err[0] = '\0';

    h = curl_slist_append(hdrs, "Content-Type: application/json");
    if (!h) { rc = JITRL_ENOMEM; goto out; }
    hdrs = h;
    if (api_key) {
        if ((size_t)snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key) >= sizeof auth) {
            snprintf(err, errlen, "API key too long");
            rc = JITRL_EHTTP;
            goto out;
        }
        h = curl_slist_append(hdrs, auth);
        memset(auth, 0, sizeof auth);
        if (!h) { rc = JITRL_ENOMEM; goto out; }
        hdrs = h;
    }
    /* "Expect: 100-continue" costs a round trip on large prompts. */
    h = curl_slist_append(hdrs, "Expect:");
    if (!h) { rc = JITRL_ENOMEM; goto out; }
    hdrs = h;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, llm->cfg.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &rx);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &rx);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jitrl");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (llm->cfg.cancel) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, llm);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }

    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (cc != CURLE_OK) {
        if (rx.too_big) {
            rc = JITRL_ETOOBIG;
        } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
            rc = JITRL_EINTERRUPTED;
        } else if (cc == CURLE_OUT_OF_MEMORY) {
            rc = JITRL_ENOMEM;
        } else {
            rc = (cc == CURLE_OPERATION_TIMEDOUT) ? JITRL_ETIMEOUT : JITRL_EHTTP;
            snprintf(err, errlen, "%s", curl_easy_strerror(cc));
        }
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    *retry_after_ms = rx.retry_after_ms;
    *reply_len = rx.body.len;
    *reply = jr_buf_steal(&rx.body);
    if (!*reply) rc = JITRL_ENOMEM;
out:
    curl_slist_free_all(hdrs);
    jr_buf_free(&rx.body);
    return rc;
}
