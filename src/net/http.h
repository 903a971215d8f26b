/*
 * http.h -- the one HTTP layer of libjitrl (src/net/), for the model
 * client, the WebDriver client and tests.
 *
 * A request (method, URL, headers, body, timeouts, a cap on the reply
 * body, a cancel flag) goes through a transport, a table of functions, so
 * a test or an embedder can swap the network out; the default transport is
 * libcurl (http_curl.c), loaded with dlopen on first use.  A response has
 * the status, the header lines, the body (NUL-terminated, the caller's)
 * and the Retry-After delay already read.
 *
 * Ownership: net_response's body and headers are freed by
 * net_response_free; the request's strings are borrowed for the call.
 * Errors: JITRL_EHTTP (no exchange: refused, DNS, TLS, a reset; err says
 * which), JITRL_ETIMEOUT, JITRL_ETOOBIG (the body passed max_body),
 * JITRL_EINTERRUPTED (cancel), JITRL_ENOMEM, JITRL_EINVAL.  An HTTP error
 * status (4xx, 5xx) is a response, not an error.
 */
#ifndef JITRL_NET_HTTP_H
#define JITRL_NET_HTTP_H

#include <signal.h>
#include <stddef.h>

typedef struct net_header {
    const char *name, *value;
} net_header;

typedef struct net_request {
    const char *method;             /* "GET", "POST", "DELETE", ... */
    const char *url;                /* http:// or https:// only */
    const net_header *headers;      /* sent as "name: value"; a NULL value removes curl's default */
    size_t n_headers;
    const char *body;               /* NULL = none */
    size_t body_len;
    long timeout_ms;                /* whole exchange; 0 = none */
    long connect_timeout_ms;        /* 0 = the transport's default */
    size_t max_body;                /* cap on the reply body (required, > 0) */
    const volatile sig_atomic_t *cancel;   /* set = stop the exchange; NULL = never */
} net_request;

typedef struct net_response {
    long status;                    /* HTTP status, 0 if none */
    char *body;                     /* NUL-terminated; "" when empty */
    size_t body_len;
    char *headers;                  /* the header lines as received ("Name: value\r\n" ...), capped at 16 KB */
    long retry_after_ms;            /* Retry-After / retry-after-ms, -1 when absent or unreadable */
} net_response;

typedef struct net_transport {
    void *ctx;
    /* One exchange; *rs is filled on JITRL_OK (free it with
     * net_response_free) and left empty on an error. */
    int (*send)(void *ctx, const net_request *rq, net_response *rs, char *err, size_t errlen);
    void (*close)(void *ctx);       /* NULL = nothing to free */
} net_transport;

/* The libcurl transport (http_curl.c): one connection-reusing handle.
 * JITRL_EUNSUPPORTED (libcurl.so.4 absent; err says so), JITRL_ENOMEM,
 * JITRL_EHTTP. */
int net_curl_open(net_transport *out, char *err, size_t errlen);
/* Close a transport (its close, if any); zeroes *t.  NULL-safe. */
void net_transport_close(net_transport *t);
/* One exchange over t: checks the request, then t->send. */
int net_send(const net_transport *t, const net_request *rq, net_response *rs, char *err, size_t errlen);
void net_response_free(net_response *rs);
/* The value of response header `name` (case-insensitive), trimmed, into
 * out[0..cap); 1 if present. */
int net_response_header(const net_response *rs, const char *name, char *out, size_t cap);
/* A Retry-After value (delta-seconds or an HTTP-date) in milliseconds, -1
 * if unreadable or over a day. */
long net_parse_retry_after(const char *value);

#endif
