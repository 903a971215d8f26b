/*
 * serve_int.h -- private to src/serve/: the server handle and what its
 * modules share.  server.c runs the daemon (connections, bodies, limits,
 * request ids, the access log), routes.c answers each route, auth.c checks
 * tokens, ns.c keeps the open namespaces, metrics.c counts, prior.c asks
 * the model for logits.  Nothing outside src/serve/ includes this.
 */
#ifndef JR_SERVE_INT_H
#define JR_SERVE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "jitrl/llm.h"
#include "jitrl/memory.h"
#include "jitrl/serve.h"
#include "serve/lib.h"

/* ---------- metrics.c ---------- */

enum srv_route {
    SRV_R_DECIDE, SRV_R_EPISODES, SRV_R_STATS, SRV_R_EXPORT, SRV_R_IMPORT, SRV_R_PRUNE,
    SRV_R_HEALTHZ, SRV_R_READYZ, SRV_R_METRICS, SRV_R_OTHER, SRV_N_ROUTES
};
#define SRV_N_CODES 16    /* the statuses counted apart; others count as "other" */
#define SRV_N_BUCKETS 15  /* latency histogram upper bounds, + Inf */

typedef struct srv_metrics {
    atomic_ullong req[SRV_N_ROUTES][SRV_N_CODES + 1];
    atomic_ullong lat[SRV_N_ROUTES][SRV_N_BUCKETS + 1];   /* cumulative at render time only */
    atomic_ullong lat_sum_us[SRV_N_ROUTES];
    atomic_ullong model_calls, model_fallbacks, model_errors, prompt_tokens, completion_tokens;
    atomic_ullong overloaded;   /* connections answered 503 past the limit */
} srv_metrics;

const char *srv_route_name(int route);
void srv_metrics_count(srv_metrics *m, int route, int status, uint64_t us);
struct jitrl_server;
/* The Prometheus text exposition of everything counted, and the stored
 * steps of each open namespace, appended to b. */
int srv_metrics_render(struct jitrl_server *srv, jr_buf *b);

/* ---------- auth.c ---------- */

typedef struct srv_auth srv_auth;
/* Load a tokens file: "SHA256HEX  glob[,glob...]" per line, '#' starts a
 * comment.  JITRL_ENOTFOUND, JITRL_EIO, JITRL_EINVAL (the line named). */
int srv_auth_load(const srv_lib *lib, const char *path, srv_auth **out, char *err, size_t errlen);
/* The same from an open stream; path names it in messages.  lib (its
 * SHA-256) must outlive the result. */
int srv_auth_parse(const srv_lib *lib, FILE *f, const char *path, srv_auth **out, char *err, size_t errlen);
void srv_auth_free(srv_auth *a);
/* The grant of the token in an Authorization header value ("Bearer T"):
 * its index >= 0, or -1 (no header, another scheme, unknown token).  The
 * token's hash is compared with every grant in constant time. */
int srv_auth_grant(const srv_auth *a, const char *authorization);
/* Whether grant g may read and write namespace ns. */
int srv_auth_allows(const srv_auth *a, int g, const char *ns);

/* ---------- ns.c ---------- */

#define SRV_NS_MAX 64
typedef struct srv_ns srv_ns;
/* [A-Za-z0-9_.-]{1,64}, not starting with '.'. */
int srv_ns_valid(const char *name);
int srv_ns_open(const jitrl_serve_options *o, srv_ns **out, char *err, size_t errlen);
void srv_ns_close(srv_ns *n);
/* The memory of namespace name, opened on first use (create: make it if it
 * does not exist; else JITRL_ENOTFOUND).  Borrowed until srv_ns_close.
 * Errors of the open are in err (JITRL_ETOOBIG: too many namespaces). */
int srv_ns_get(srv_ns *n, const char *name, int create, jitrl_memory **mem, char *err, size_t errlen);
/* Note the outcome of a store operation on mem (an error that may pass
 * marks the store unready until a later success). */
void srv_ns_note(srv_ns *n, int rc);
/* Whether the store answers: JITRL_OK, or the error with why in err. */
int srv_ns_ready(srv_ns *n, char *err, size_t errlen);
/* The calls whose failure message is read from the memory handle
 * (stats, export, import, prune, refresh) take turns between these, so
 * the message read is theirs. */
void srv_ns_ops_begin(srv_ns *n);
void srv_ns_ops_end(srv_ns *n);
/* Pick up other writers' commits in every open namespace (a no-op for
 * RAM namespaces), noting the outcome. */
void srv_ns_sync(srv_ns *n);
/* For each open namespace: fn(ctx, name, mem). */
void srv_ns_each(srv_ns *n, void (*fn)(void *ctx, const char *name, jitrl_memory *mem), void *ctx);

/* ---------- prior.c ---------- */

typedef struct srv_llm srv_llm;
int srv_llm_open(const jitrl_serve_options *o, unsigned handles, srv_llm **out, char *err, size_t errlen);
void srv_llm_close(srv_llm *l);
/* Prior logits for n candidates from the model (one call); logits[0..n)
 * is always written (uniform on a fallback).  Counts into m. */
int srv_llm_prior(srv_llm *l, srv_metrics *m, const char *task, const char *observation, const jitrl_state *st,
                  const char *const *cand, size_t n, double *logits, char *err, size_t errlen);

/* ---------- server.c / routes.c ---------- */

/* One request as routes.c sees it. */
typedef struct srv_request {
    const char *method, *url;
    const char *body;          /* NUL-terminated; "" when none */
    size_t body_len;
    const char *content_type;  /* NULL when absent */
    const char *authorization;
    void *conn;                /* the MHD connection (query arguments) */
    const srv_lib *lib;        /* to read them */
    const char *id;            /* request id */
    int route;                 /* set by routes.c for the metrics */
    char ns[SRV_NS_MAX + 1];   /* the namespace, once known, for the access log */
} srv_request;

/* One answer: status, type, the body (owned, jr_malloc'd) and an Allow
 * header for 405. */
typedef struct srv_reply {
    int status;
    const char *ctype;
    char *body;
    size_t len;
    const char *allow;
} srv_reply;

struct jitrl_server {
    jitrl_serve_options o;     /* strings below are our copies */
    srv_lib lib;               /* libmicrohttpd and nettle, loaded at open */
    char *s_listen, *s_memory, *s_tokens, *s_llm_url, *s_llm_model, *s_llm_key;
    struct MHD_Daemon *d;
    char addr[96];
    int stop_pipe[2];
    srv_auth *auth;            /* NULL = no tokens: every namespace open (loopback only) */
    srv_ns *ns;
    srv_llm *llm;              /* NULL = no model */
    srv_metrics m;
    uint32_t instance;         /* random, prefixes request ids */
    atomic_ullong seq;         /* requests so far */
    atomic_uint conns;         /* open connections */
    pthread_t sync;            /* picks up other writers' commits */
    int sync_on;
    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    int sync_stop;
};

void srv_log(struct jitrl_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Answer one complete request. */
void srv_route(struct jitrl_server *srv, srv_request *rq, srv_reply *rp);
/* Star out the password of any URI (user:PASSWORD@, password=...) in msg. */
void srv_redact_uri(char *msg);
/* A JSON error reply {"error": {"code", "message"}}; the message's URI
 * passwords starred out. */
void srv_error(srv_reply *rp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A request with no body, headers or id yet (conn NULL: made up in-process). */
srv_request srv_request_make(const char *method, const char *url, void *conn, const srv_lib *lib);
/* A query argument of the request, NULL when absent (or when rq->conn is
 * NULL: a request made up in-process, as the fuzz harness does). */
const char *srv_query_arg(srv_request *rq, const char *key);

#endif
