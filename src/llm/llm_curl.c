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
 *
 * libcurl is loaded with dlopen() when a client is opened, not linked:
 * linking it pulls some thirty shared libraries (TLS, HTTP/2, LDAP,
 * Kerberos...) into every start of the `jitrl` binary, which cost more
 * than a whole `jitrl run` of a walkthrough.  Runs without a model never
 * pay for it.  The function table lives on the handle (dlopen is reference
 * counted), so there is no global state.
 */
#include "llm/llm_int.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"

/* The dozen libcurl entry points we use, resolved from libcurl.so.4. */
struct llm_curl_api {
    void *dl;
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *c);
    void (*easy_reset)(CURL *c);
    CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode cc);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

static void api_close(struct llm_curl_api *a)
{
    if (!a) return;
    if (a->dl) dlclose(a->dl);
    jr_free(a);
}

/* Resolve every entry point or fail as a whole. */
static struct llm_curl_api *api_open(char *why, size_t whylen)
{
    struct llm_curl_api *a = jr_calloc(1, sizeof *a);
    if (!a) return NULL;
    a->dl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!a->dl) {
        snprintf(why, whylen, "cannot load libcurl.so.4 (apt-get install libcurl4): %s", dlerror());
        api_close(a);
        return NULL;
    }
    struct { void **slot; const char *name; } syms[] = {
        {(void **)&a->global_init, "curl_global_init"},
        {(void **)&a->global_cleanup, "curl_global_cleanup"},
        {(void **)&a->easy_init, "curl_easy_init"},
        {(void **)&a->easy_cleanup, "curl_easy_cleanup"},
        {(void **)&a->easy_reset, "curl_easy_reset"},
        {(void **)&a->easy_setopt, "curl_easy_setopt"},
        {(void **)&a->easy_perform, "curl_easy_perform"},
        {(void **)&a->easy_getinfo, "curl_easy_getinfo"},
        {(void **)&a->easy_strerror, "curl_easy_strerror"},
        {(void **)&a->slist_append, "curl_slist_append"},
        {(void **)&a->slist_free_all, "curl_slist_free_all"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(a->dl, syms[i].name);
        if (!*syms[i].slot) {
            snprintf(why, whylen, "libcurl.so.4 lacks %s", syms[i].name);
            api_close(a);
            return NULL;
        }
    }
    return a;
}

int llm_curl_init(jitrl_llm *llm)
{
    struct llm_curl_api *a = api_open(llm->err, sizeof llm->err);
    if (!a) return llm->err[0] ? JITRL_EUNSUPPORTED : JITRL_ENOMEM;
    /* curl_global_init is reference counted and thread-safe since 7.84;
     * pairing it with the handle keeps libcurl's own globals out of our
     * callers' way. */
    if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        api_close(a);
        return JITRL_EHTTP;
    }
    llm->curl = a->easy_init();
    if (!llm->curl) {
        a->global_cleanup();
        api_close(a);
        return JITRL_ENOMEM;
    }
    llm->curl_api = a;
    return JITRL_OK;
}

void llm_curl_free(jitrl_llm *llm)
{
    struct llm_curl_api *a = llm->curl_api;
    if (!llm->curl || !a) return;
    a->easy_cleanup(llm->curl);
    llm->curl = NULL;
    a->global_cleanup();
    api_close(a);
    llm->curl_api = NULL;
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
    /* RFC 9110 IMF-fixdate, the form servers send: "Sun, 06 Nov 1994
     * 08:49:37 GMT". */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end) return -1;
    time_t when = timegm(&tm);
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
    const struct llm_curl_api *a = llm->curl_api;
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

    h = a->slist_append(hdrs, "Content-Type: application/json");
    if (!h) { rc = JITRL_ENOMEM; goto out; }
    hdrs = h;
    if (api_key) {
        if ((size_t)snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key) >= sizeof auth) {
            snprintf(err, errlen, "API key too long");
            rc = JITRL_EHTTP;
            goto out;
        }
        h = a->slist_append(hdrs, auth);
        memset(auth, 0, sizeof auth);
        if (!h) { rc = JITRL_ENOMEM; goto out; }
        hdrs = h;
    }
    /* "Expect: 100-continue" costs a round trip on large prompts. */
    h = a->slist_append(hdrs, "Expect:");
    if (!h) { rc = JITRL_ENOMEM; goto out; }
    hdrs = h;

    a->easy_reset(c);
    a->easy_setopt(c, CURLOPT_URL, url);
    a->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    a->easy_setopt(c, CURLOPT_POST, 1L);
    a->easy_setopt(c, CURLOPT_POSTFIELDS, body);
    a->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    a->easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    a->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, llm->cfg.connect_timeout_ms);
    a->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    a->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    a->easy_setopt(c, CURLOPT_WRITEDATA, &rx);
    a->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    a->easy_setopt(c, CURLOPT_HEADERDATA, &rx);
    a->easy_setopt(c, CURLOPT_USERAGENT, "jitrl");
    a->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    a->easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (llm->cfg.cancel) {
        a->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        a->easy_setopt(c, CURLOPT_XFERINFODATA, llm);
        a->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }

    CURLcode cc = a->easy_perform(c);
    a->easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (cc != CURLE_OK) {
        if (rx.too_big) {
            rc = JITRL_ETOOBIG;
        } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
            rc = JITRL_EINTERRUPTED;
        } else if (cc == CURLE_OUT_OF_MEMORY) {
            rc = JITRL_ENOMEM;
        } else {
            rc = (cc == CURLE_OPERATION_TIMEDOUT) ? JITRL_ETIMEOUT : JITRL_EHTTP;
            snprintf(err, errlen, "%s", a->easy_strerror(cc));
        }
        goto out;
    }
    a->easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    *retry_after_ms = rx.retry_after_ms;
    *reply_len = rx.body.len;
    *reply = jr_buf_steal(&rx.body);
    if (!*reply) rc = JITRL_ENOMEM;
out:
    a->slist_free_all(hdrs);
    jr_buf_free(&rx.body);
    return rc;
}
