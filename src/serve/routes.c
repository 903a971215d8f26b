/*
 * routes.c -- what each route of `jitrl serve` answers (docs/openapi.yaml):
 *   POST   /v1/decide                             one decision
 *   POST   /v1/episodes                           one episode (idempotent by episode_key)
 *   GET    /v1/namespaces/{ns}/stats              the memory's figures
 *   GET    /v1/namespaces/{ns}/episodes           JSON Lines export
 *   POST   /v1/namespaces/{ns}/episodes:import    JSON Lines import
 *   DELETE /v1/namespaces/{ns}/episodes?before=|keep=   prune
 *   GET    /healthz, /readyz, /metrics
 *
 * Shaped so: the JSON bodies are parsed once, by the library's own JSON
 * surface (src/api/: the same checks, paths and error codes as
 * jitrl_decide_json / jitrl_record_json), and the namespace read from the
 * parsed request; the order of checks is fixed -- the route, the token
 * (401), the body's type (415), its JSON (400), the namespace's grant (403)
 * -- so a client learns nothing about a namespace it may not use.  Every
 * library error becomes a status that says what was wrong: 400 the
 * request, 404 no such namespace, 413 a limit, 503 a store that may come
 * back (the client retries), 500 the rest.
 */
#include "serve/serve_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/json_int.h"
#include "base/alloc.h"
#include "engine/mem_int.h"

/* The HTTP status of a library error. */
static int status_of(int rc)
{
    switch (rc) {
    case JITRL_EPARSE:
    case JITRL_EINVAL:
    case JITRL_ECORRUPT: return 400;
    case JITRL_ENOTFOUND: return 404;
    case JITRL_ETOOBIG: return 413;
    case JITRL_EAUTH:
    case JITRL_EHTTP: return 502;
    case JITRL_ESTATE:
    case JITRL_EIO:
    case JITRL_ETIMEOUT:
    case JITRL_EUNSUPPORTED:
    case JITRL_ENOMEM: return 503;
    default: return 500;
    }
}

static const char *code_of(int rc)
{
    switch (rc) {
    case JITRL_ENOTFOUND: return "not_found";
    case JITRL_EIO:
    case JITRL_ETIMEOUT:
    case JITRL_EUNSUPPORTED: return "unavailable";
    case JITRL_EAUTH:
    case JITRL_EHTTP: return "model_error";
    case JITRL_ECORRUPT: return "invalid_request";
    default: return api_err_code(rc);
    }
}

static void fail_rc(srv_reply *rp, int rc, const char *msg)
{
    srv_error(rp, status_of(rc), code_of(rc), "%s", msg && *msg ? msg : jitrl_strerror(rc));
}

/* The library's JSON error object for a parse failure (its path included). */
static void fail_api(srv_reply *rp, api_err *e)
{
    jr_free(rp->body);
    rp->body = api_error_json(e);
    rp->status = status_of(e->rc);
    rp->ctype = "application/json";
    rp->len = rp->body ? strlen(rp->body) : 0;
}

static void ok_buf(srv_reply *rp, jr_buf *b, const char *ctype)
{
    rp->status = 200;
    rp->ctype = ctype;
    rp->len = b->len;
    rp->body = jr_buf_steal(b);
    if (!rp->body) srv_error(rp, 503, "out_of_memory", "out of memory");
}

static int type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return !strncasecmp(ct, want, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* JSON bodies: application/json (or no Content-Type). */
static int json_type_ok(srv_request *rq, srv_reply *rp)
{
    if (!rq->content_type || type_is(rq->content_type, "application/json")) return 1;
    srv_error(rp, 415, "unsupported_media_type", "send the body as application/json, not %.100s", rq->content_type);
    return 0;
}

/* A body with a NUL byte in it is not JSON (the parsers read C strings). */
static int no_nul(srv_request *rq, srv_reply *rp)
{
    if (strlen(rq->body) == rq->body_len) return 1;
    srv_error(rp, 400, "malformed_json", "the body holds a NUL byte");
    return 0;
}

static int granted(struct jitrl_server *srv, int grant, srv_request *rq, const char *ns, srv_reply *rp)
{
    snprintf(rq->ns, sizeof rq->ns, "%s", srv_ns_valid(ns) ? ns : "?");
    if (!srv_ns_valid(ns)) {
        srv_error(rp, 400, "invalid_request", "namespace: 1..64 of [A-Za-z0-9_.-], not starting with '.'");
        return 0;
    }
    if (srv->auth && !srv_auth_allows(srv->auth, grant, ns)) {
        srv_error(rp, 403, "forbidden", "this token is not granted namespace '%s'", ns);
        return 0;
    }
    return 1;
}

static jitrl_memory *ns_memory(struct jitrl_server *srv, const char *ns, int create, srv_reply *rp)
{
    jitrl_memory *mem = NULL;
    char err[512] = "";
    int rc = srv_ns_get(srv->ns, ns, create, &mem, err, sizeof err);
    if (rc) fail_rc(rp, rc == JITRL_ETOOBIG ? JITRL_EUNSUPPORTED : rc, err);
    return mem;
}

/* The memory of the namespace a body names, granted and open (made on first
 * use), or NULL with the reply set. */
static jitrl_memory *body_memory(struct jitrl_server *srv, int grant, srv_request *rq, const char *ns,
                                 const char *what, srv_reply *rp)
{
    if (!ns) {
        srv_error(rp, 400, "invalid_request", "namespace: missing (the memory to %s)", what);
        return NULL;
    }
    return granted(srv, grant, rq, ns, rp) ? ns_memory(srv, ns, 1, rp) : NULL;
}

/* A small JSON answer from a format. */
static void ok_printf(srv_reply *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok_printf(srv_reply *rp, const char *fmt, ...)
{
    jr_buf b;
    jr_buf_init(&b, 4096);
    va_list ap;
    va_start(ap, fmt);
    int rc = jr_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc) srv_error(rp, 503, "out_of_memory", "out of memory");
    else ok_buf(rp, &b, "application/json");
    jr_buf_free(&b);
}

/* ---------- POST /v1/decide ---------- */

static void route_decide(struct jitrl_server *srv, int grant, srv_request *rq, srv_reply *rp)
{
    if (!json_type_ok(rq, rp) || !no_nul(rq, rp)) return;
    api_decide d;
    api_err e = {0};
    jitrl_decision *dc = NULL;
    jr_buf b;
    jr_buf_init(&b, (size_t)256 << 20);
    if (api_parse_decide(rq->body, &d, &e)) {
        fail_api(rp, &e);
        goto out;
    }
    jitrl_memory *mem = body_memory(srv, grant, rq, d.ns, "decide with", rp);
    if (!mem) goto out;
    if (d.n > srv->o.max_candidates) {
        srv_error(rp, 413, "too_large", "%zu candidates; this server takes at most %zu", d.n, srv->o.max_candidates);
        goto out;
    }
    char err[512] = "";
    int rc;
    if (!d.have_logits && d.n > 1 && srv->llm) {
        rc = srv_llm_prior(srv->llm, &srv->m, d.task, d.observation, &d.st, d.cand, d.n, d.logits, err, sizeof err);
        if (rc) {
            fail_rc(rp, rc, err);
            goto out;
        }
        d.have_logits = 1;
    }
    jitrl_rng rng;
    jitrl_rng_seed(&rng, d.seed);
    rc = mem_pool_decide(mem, &d.p, &d.st, d.cand, d.have_logits ? d.logits : NULL, d.n, &rng,
                         err, sizeof err, &dc);
    if (rc) {
        fail_rc(rp, rc, err);
        goto out;
    }
    char id[48];
    snprintf(id, sizeof id, "d-%s", rq->id);
    if ((rc = api_decision_json(dc, d.seed, d.trace, id, &b))) fail_rc(rp, rc, "the answer is too large");
    else ok_buf(rp, &b, "application/json");
out:
    jitrl_decision_free(dc);
    api_decide_free(&d);
    jr_buf_free(&b);
}

/* ---------- POST /v1/episodes ---------- */

static void route_episodes(struct jitrl_server *srv, int grant, srv_request *rq, srv_reply *rp)
{
    if (!json_type_ok(rq, rp) || !no_nul(rq, rp)) return;
    api_record r = {0};
    api_err e = {0};
    if (api_parse_record(rq->body, &r, &e)) {
        fail_api(rp, &e);
        goto out;
    }
    jitrl_memory *mem = body_memory(srv, grant, rq, r.ns, "record into", rp);
    if (!mem) goto out;
    int64_t id = 0;
    int replayed = 0;
    char err[512] = "";
    int rc = r.episode_key ? mem_add_episode_keyed(mem, r.episode_key, &r.info, r.steps, r.n, r.gamma, &id, &replayed,
                                                   err, sizeof err)
                           : mem_add_episode_err(mem, &r.info, r.steps, r.n, r.gamma, &id, err, sizeof err);
    srv_ns_note(srv->ns, rc);
    if (rc) {
        fail_rc(rp, rc, err);
        goto out;
    }
    ok_printf(rp, "{\"episode_id\":%lld,\"steps\":%zu,\"replayed\":%s}", (long long)id, r.n,
              replayed ? "true" : "false");
out:
    api_record_free(&r);
}

/* ---------- /v1/namespaces/{ns}/... ---------- */

/* The end of a maintenance call begun with srv_ns_ops_begin: its message
 * read while the turn is still ours, the outcome noted, the failure
 * answered (with `after` appended to the message).  Returns rc. */
static int op_end(struct jitrl_server *srv, jitrl_memory *mem, int rc, const char *after, srv_reply *rp)
{
    char err[512] = "";
    if (rc) mem_errmsg_copy(mem, err, sizeof err);
    srv_ns_ops_end(srv->ns);
    srv_ns_note(srv->ns, rc);
    if (rc) srv_error(rp, status_of(rc), code_of(rc), "%s%s", err[0] ? err : jitrl_strerror(rc), after);
    return rc;
}

static void route_stats(struct jitrl_server *srv, jitrl_memory *mem, srv_request *rq, srv_reply *rp)
{
    jitrl_memory_stats st;
    srv_ns_ops_begin(srv->ns);
    if (op_end(srv, mem, jitrl_memory_stats_get(mem, &st), "", rp)) return;
    ok_printf(rp,
                      "{\"namespace\":\"%s\",\"episodes\":%zu,\"steps\":%zu,\"distinct_states\":%zu,"
                      "\"distinct_actions\":%zu,\"mean_score\":%.17g,\"best_score\":%.17g,\"first_time\":%lld,"
                      "\"last_time\":%lld,\"schema_version\":%d,\"index_bytes\":%zu}",
                      rq->ns, st.episodes, st.steps, st.distinct_states, st.distinct_actions, st.mean_score,
                      st.best_score, (long long)st.first_time, (long long)st.last_time, st.schema_version,
                      st.index_bytes);
}

static int buf_write(void *ctx, const char *p, size_t n) { return jr_buf_append(ctx, p, n) ? -1 : 0; }

static void route_export(struct jitrl_server *srv, jitrl_memory *mem, srv_reply *rp)
{
    jr_buf b;
    jr_buf_init(&b, (size_t)1 << 30);
    srv_ns_ops_begin(srv->ns);
    int rc = jitrl_memory_export_cb(mem, buf_write, &b, 0, NULL);
    if (rc == JITRL_EIO && b.len >= b.max / 2) rc = JITRL_ETOOBIG;   /* our buffer, not the store */
    if (!op_end(srv, mem, rc, "", rp)) ok_buf(rp, &b, "application/x-ndjson");
    jr_buf_free(&b);
}

typedef struct body_reader {
    const char *p;
    size_t left;
} body_reader;

static int body_read(void *ctx, char *buf, size_t cap, size_t *got)
{
    body_reader *r = ctx;
    size_t n = r->left < cap ? r->left : cap;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    *got = n;
    return 0;
}

static void route_import(struct jitrl_server *srv, jitrl_memory *mem, srv_request *rq, srv_reply *rp)
{
    body_reader r = {rq->body, rq->body_len};
    size_t n = 0;
    srv_ns_ops_begin(srv->ns);
    int rc = jitrl_memory_import_cb(mem, body_read, &r, &n);
    char after[64];
    snprintf(after, sizeof after, " (%zu episodes imported before it)", n);
    if (!op_end(srv, mem, rc, after, rp)) ok_printf(rp, "{\"imported\":%zu}", n);
}

/* A query argument as an integer in [lo, hi]: 1 and *v, 0 when absent, -1
 * (with the reply) when malformed. */
static int int_arg(srv_request *rq, const char *key, long long lo, long long hi, long long *v, srv_reply *rp)
{
    const char *s = srv_query_arg(rq, key);
    if (!s) return 0;
    char *end = NULL;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end || x < lo || x > hi) {
        srv_error(rp, 400, "invalid_request", "%s must be an integer in [%lld, %lld]", key, lo, hi);
        return -1;
    }
    *v = x;
    return 1;
}

static void route_prune(struct jitrl_server *srv, jitrl_memory *mem, srv_request *rq, srv_reply *rp)
{
    long long before = 0, keep = 0;
    int hb = int_arg(rq, "before", 1, (long long)1 << 40, &before, rp);
    int hk = hb < 0 ? -1 : int_arg(rq, "keep", 1, (long long)1 << 40, &keep, rp);
    if (hb < 0 || hk < 0) return;
    if (!hb && !hk) {
        srv_error(rp, 400, "invalid_request", "say what to drop: ?before=UNIX_SECONDS and/or ?keep=N (the best N)");
        return;
    }
    size_t removed = 0;
    srv_ns_ops_begin(srv->ns);
    /* older than `before`: time < now - max_age with now = before + 1, max_age = 1 */
    int rc = jitrl_memory_prune(mem, hb ? 1 : 0, (size_t)keep, hb ? before + 1 : 0, &removed);
    if (!op_end(srv, mem, rc, "", rp)) ok_printf(rp, "{\"removed\":%zu}", removed);
}

/* /v1/namespaces/NS/REST: NS into ns (up to SRV_NS_MAX + 1 bytes, so a long
 * one stays invalid), the rest returned. */
static const char *split_ns(const char *url, char *ns)
{
    const char *p = url + strlen("/v1/namespaces/");
    const char *slash = strchr(p, '/');
    if (!slash) return NULL;
    size_t n = (size_t)(slash - p);
    if (n > SRV_NS_MAX + 1) n = SRV_NS_MAX + 1;
    memcpy(ns, p, n);
    ns[n] = 0;
    return slash + 1;
}

static int method_is(srv_request *rq, const char *allow, srv_reply *rp)
{
    /* allow is one method, or "GET, DELETE" */
    size_t n = strlen(rq->method);
    for (const char *p = allow; (p = strstr(p, rq->method)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == 0 || p[n] == ',')) return 1;
    srv_error(rp, 405, "method_not_allowed", "%.16s is not allowed here; use %s", rq->method, allow);
    rp->allow = allow;
    return 0;
}

static void route_namespace(struct jitrl_server *srv, int grant, srv_request *rq, srv_reply *rp)
{
    char ns[SRV_NS_MAX + 2];
    const char *rest = split_ns(rq->url, ns);
    const char *allow = NULL;
    if (rest && !strcmp(rest, "stats")) rq->route = SRV_R_STATS, allow = "GET";
    else if (rest && !strcmp(rest, "episodes")) allow = "GET, DELETE";
    else if (rest && !strcmp(rest, "episodes:import")) rq->route = SRV_R_IMPORT, allow = "POST";
    if (!allow) {
        srv_error(rp, 404, "not_found", "no route %.200s", rq->url);
        return;
    }
    if (!strcmp(allow, "GET, DELETE")) rq->route = strcmp(rq->method, "DELETE") ? SRV_R_EXPORT : SRV_R_PRUNE;
    if (!method_is(rq, allow, rp) || !granted(srv, grant, rq, ns, rp)) return;
    if (rq->route == SRV_R_IMPORT && rq->content_type && !type_is(rq->content_type, "application/x-ndjson") &&
        !type_is(rq->content_type, "application/jsonl") && !type_is(rq->content_type, "application/json") &&
        !type_is(rq->content_type, "text/plain")) {
        srv_error(rp, 415, "unsupported_media_type", "send JSON Lines as application/x-ndjson, not %.100s",
                  rq->content_type);
        return;
    }
    jitrl_memory *mem = ns_memory(srv, ns, rq->route == SRV_R_IMPORT, rp);
    if (!mem) return;
    switch (rq->route) {
    case SRV_R_STATS: route_stats(srv, mem, rq, rp); break;
    case SRV_R_EXPORT: route_export(srv, mem, rp); break;
    case SRV_R_IMPORT: route_import(srv, mem, rq, rp); break;
    default: route_prune(srv, mem, rq, rp); break;
    }
}

void srv_route(struct jitrl_server *srv, srv_request *rq, srv_reply *rp)
{
    const char *u = rq->url;
    if (!strcmp(u, "/healthz")) {
        rq->route = SRV_R_HEALTHZ;
        if (method_is(rq, "GET", rp)) ok_printf(rp, "{\"status\":\"ok\"}");
        return;
    }
    if (!strcmp(u, "/readyz")) {
        rq->route = SRV_R_READYZ;
        if (!method_is(rq, "GET", rp)) return;
        char err[512] = "";
        int rc = srv_ns_ready(srv->ns, err, sizeof err);
        if (rc) srv_error(rp, 503, "unavailable", "not ready: %s", err);
        else ok_printf(rp, "{\"status\":\"ready\"}");
        return;
    }
    if (!strcmp(u, "/metrics")) {
        rq->route = SRV_R_METRICS;
        if (!method_is(rq, "GET", rp)) return;
        jr_buf b;
        jr_buf_init(&b, (size_t)64 << 20);
        if (srv_metrics_render(srv, &b)) srv_error(rp, 503, "out_of_memory", "out of memory");
        else ok_buf(rp, &b, "text/plain; version=0.0.4");
        jr_buf_free(&b);
        return;
    }
    int v1 = !strncmp(u, "/v1/", 4);
    if (!strcmp(u, "/v1/decide")) rq->route = SRV_R_DECIDE;
    else if (!strcmp(u, "/v1/episodes")) rq->route = SRV_R_EPISODES;
    else if (strncmp(u, "/v1/namespaces/", 15)) v1 = 0;
    if (!v1) {
        srv_error(rp, 404, "not_found", "no route %.200s", u);
        return;
    }
    int grant = -1;
    if (srv->auth && (grant = srv_auth_grant(srv->auth, rq->authorization)) < 0) {
        srv_error(rp, 401, "unauthorized", rq->authorization ? "unknown token" : "send Authorization: Bearer TOKEN");
        return;
    }
    if (rq->route == SRV_R_DECIDE) {
        if (method_is(rq, "POST", rp)) route_decide(srv, grant, rq, rp);
    } else if (rq->route == SRV_R_EPISODES) {
        if (method_is(rq, "POST", rp)) route_episodes(srv, grant, rq, rp);
    } else {
        route_namespace(srv, grant, rq, rp);
    }
}
