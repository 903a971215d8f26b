/*
 * http_curl.c -- the default HTTP transport: libcurl, one easy handle per
 * transport so consecutive exchanges reuse the connection (TLS handshakes
 * to a remote API cost more than a one-token answer).
 *
 * libcurl is loaded with dlopen() when a transport is opened, not linked:
 * linking it pulls some thirty shared libraries (TLS, HTTP/2, LDAP,
 * Kerberos...) into every start of the `jitrl` binary, which cost more
 * than a whole `jitrl run` of a walkthrough.  Runs without a network never
 * pay for it.  The function table lives on the transport (dlopen is
 * reference counted), so there is no global state.
 */
#include "net/http.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "jitrl/error.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NET_MAX_HEADERS (16u << 10)

/* The dozen libcurl entry points we use, resolved from libcurl.so.4, and
 * the handle. */
typedef struct curl_tr {
    void *dl;
    CURL *c;
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
} curl_tr;

static void tr_close(void *ctx)
{
    curl_tr *a = ctx;
    if (!a) return;
    if (a->c) {
        a->easy_cleanup(a->c);
        a->global_cleanup();
    }
    if (a->dl) dlclose(a->dl);
    jr_free(a);
}

/* Resolve every entry point or fail as a whole. */
static int api_open(curl_tr *a, char *why, size_t whylen)
{
    a->dl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!a->dl) {
        snprintf(why, whylen, "cannot load libcurl.so.4 (apt-get install libcurl4): %s", dlerror());
        return JITRL_EUNSUPPORTED;
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
            return JITRL_EUNSUPPORTED;
        }
    }
    return JITRL_OK;
}

typedef struct rx {
    jr_buf body, headers;
    long retry_after_ms;
    int too_big;
    const volatile sig_atomic_t *cancel;
} rx;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    rx *r = ud;
    size_t n = size * nmemb;
    int rc = jr_buf_append(&r->body, p, n);
    if (rc == JITRL_ETOOBIG) r->too_big = 1;
    return rc ? 0 : n;   /* 0 makes curl stop with CURLE_WRITE_ERROR */
}

/* Progress callback: a set cancel flag aborts the transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const rx *r = ud;
    (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
    return r->cancel && *r->cancel;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    rx *r = ud;
    size_t n = size * nmemb;
    /* a new response (after a redirect or a 100) starts the lines again */
    if (n > 5 && !strncmp(p, "HTTP/", 5)) jr_buf_reset(&r->headers);
    (void)jr_buf_append(&r->headers, p, n);   /* past the cap: the rest is dropped */
    char line[256];
    if (n >= sizeof line) return n;
    memcpy(line, p, n);
    line[n] = '\0';
    char *e = line + strlen(line);
    while (e > line && (e[-1] == '\r' || e[-1] == '\n')) *--e = '\0';
    /* retry-after-ms (Azure, some proxies) is finer than Retry-After. */
    if (strncasecmp(line, "retry-after-ms:", 15) == 0) {
        long ms = net_parse_retry_after(line + 15);
        if (ms >= 0) r->retry_after_ms = ms / 1000;
    } else if (strncasecmp(line, "retry-after:", 12) == 0 && r->retry_after_ms < 0) {
        r->retry_after_ms = net_parse_retry_after(line + 12);
    }
    return n;
}

static int tr_send(void *ctx, const net_request *rq, net_response *rs, char *err, size_t errlen)
{
    curl_tr *a = ctx;
    CURL *c = a->c;
    struct curl_slist *hdrs = NULL, *h;
    rx r;
    int rc = JITRL_OK;
    jr_buf line;
    jr_buf_init(&r.body, rq->max_body);
    jr_buf_init(&r.headers, NET_MAX_HEADERS);
    jr_buf_init(&line, 8192);
    r.retry_after_ms = -1;
    r.too_big = 0;
    r.cancel = rq->cancel;

    for (size_t i = 0; i < rq->n_headers; i++) {
        jr_buf_reset(&line);
        /* "Name:" alone removes a header curl would add (Expect:) */
        rc = rq->headers[i].value ? jr_buf_printf(&line, "%s: %s", rq->headers[i].name, rq->headers[i].value)
                                  : jr_buf_printf(&line, "%s:", rq->headers[i].name);
        if (rc) {
            snprintf(err, errlen, "HTTP header %s too long", rq->headers[i].name);
            if (rc != JITRL_ENOMEM) rc = JITRL_EINVAL;
            goto out;
        }
        h = a->slist_append(hdrs, jr_buf_str(&line));
        /* the line may hold a secret (Authorization): wipe it */
        memset(line.data, 0, line.len);
        if (!h) { rc = JITRL_ENOMEM; goto out; }
        hdrs = h;
    }

    a->easy_reset(c);
    a->easy_setopt(c, CURLOPT_URL, rq->url);
    a->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (!strcmp(rq->method, "POST")) {
        a->easy_setopt(c, CURLOPT_POST, 1L);
    } else if (strcmp(rq->method, "GET")) {
        a->easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (rq->body) {
        a->easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        a->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    }
    if (rq->timeout_ms > 0) a->easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    if (rq->connect_timeout_ms > 0) a->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    a->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    a->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    a->easy_setopt(c, CURLOPT_WRITEDATA, &r);
    a->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    a->easy_setopt(c, CURLOPT_HEADERDATA, &r);
    a->easy_setopt(c, CURLOPT_USERAGENT, "jitrl");
    a->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    a->easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (rq->cancel) {
        a->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        a->easy_setopt(c, CURLOPT_XFERINFODATA, &r);
        a->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }

    CURLcode cc = a->easy_perform(c);
    a->easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (cc != CURLE_OK) {
        if (r.too_big) {
            rc = JITRL_ETOOBIG;
            snprintf(err, errlen, "reply body over %zu bytes", rq->max_body);
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
    a->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
    rs->retry_after_ms = r.retry_after_ms;
    rs->body_len = r.body.len;
    rs->body = r.body.data ? jr_buf_steal(&r.body) : jr_strdup("");
    rs->headers = r.headers.data ? jr_buf_steal(&r.headers) : jr_strdup("");
    if (!rs->body || !rs->headers) rc = JITRL_ENOMEM;
out:
    a->slist_free_all(hdrs);
    jr_buf_free(&r.body);
    jr_buf_free(&r.headers);
    jr_buf_free(&line);
    return rc;
}

int net_curl_open(net_transport *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    curl_tr *a = jr_calloc(1, sizeof *a);
    if (!a) return JITRL_ENOMEM;
    int rc = api_open(a, err, errlen);
    if (rc) goto fail;
    /* curl_global_init is reference counted and thread-safe since 7.84;
     * pairing it with the transport keeps libcurl's own globals out of our
     * callers' way. */
    rc = JITRL_EHTTP;
    if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) goto fail;
    if (!(a->c = a->easy_init())) {
        a->global_cleanup();
        rc = JITRL_ENOMEM;
        goto fail;
    }
    out->ctx = a;
    out->send = tr_send;
    out->close = tr_close;
    return JITRL_OK;
fail:
    tr_close(a);
    return rc;
}
