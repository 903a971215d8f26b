/*
 * metrics.c -- what `GET /metrics` shows, in the Prometheus text format:
 * requests by route and status, a latency histogram per route, the stored
 * steps of each open namespace, and the model's calls and tokens.
 *
 * Shaped so: counting is one relaxed atomic add per request into fixed
 * arrays on the server handle (no lock on the hot path, no allocation);
 * the exposition is written only when scraped.
 */
#include "serve/serve_int.h"

#include <stdio.h>

static const char *const route_names[SRV_N_ROUTES] = {
    "decide", "episodes", "stats", "export", "import", "prune", "healthz", "readyz", "metrics", "other",
};
static const int codes[SRV_N_CODES] = {200, 400, 401, 403, 404, 405, 408, 413, 415, 429, 500, 503, 0, 0, 0, 0};
/* upper bounds in microseconds */
static const uint64_t bounds_us[SRV_N_BUCKETS] = {100,   250,    500,    1000,   2500,    5000,    10000,  25000,
                                                   50000, 100000, 250000, 500000, 1000000, 2500000, 10000000};

const char *srv_route_name(int route)
{
    return route >= 0 && route < SRV_N_ROUTES ? route_names[route] : "other";
}

void srv_metrics_count(srv_metrics *m, int route, int status, uint64_t us)
{
    if (route < 0 || route >= SRV_N_ROUTES) route = SRV_R_OTHER;
    int c = SRV_N_CODES;
    for (int i = 0; i < SRV_N_CODES; i++)
        if (codes[i] == status) c = i;
    atomic_fetch_add_explicit(&m->req[route][c], 1, memory_order_relaxed);
    int b = SRV_N_BUCKETS;
    for (int i = SRV_N_BUCKETS - 1; i >= 0; i--)
        if (us <= bounds_us[i]) b = i;
    atomic_fetch_add_explicit(&m->lat[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->lat_sum_us[route], us, memory_order_relaxed);
}

static unsigned long long get(atomic_ullong *x) { return atomic_load_explicit(x, memory_order_relaxed); }

typedef struct ns_ctx {
    jr_buf *b;
    int rc;
    int episodes;   /* 0: the steps gauge, 1: the episodes gauge */
} ns_ctx;

static void ns_line(void *ctx, const char *name, jitrl_memory *mem)
{
    ns_ctx *c = ctx;
    jitrl_memory_stats st;
    if (c->rc || jitrl_memory_stats_get(mem, &st)) return;
    /* namespace names are [A-Za-z0-9_.-]: nothing to escape in a label */
    c->rc = jr_buf_printf(c->b, "jitrl_stored_%s{namespace=\"%s\"} %zu\n", c->episodes ? "episodes" : "steps", name,
                          c->episodes ? st.episodes : st.steps);
}

int srv_metrics_render(struct jitrl_server *srv, jr_buf *b)
{
    srv_metrics *m = &srv->m;
    int rc = jr_buf_puts(b, "# HELP jitrl_requests_total Requests answered, by route and HTTP status.\n"
                            "# TYPE jitrl_requests_total counter\n");
    for (int r = 0; !rc && r < SRV_N_ROUTES; r++)
        for (int c = 0; !rc && c <= SRV_N_CODES; c++) {
            unsigned long long n = get(&m->req[r][c]);
            if (!n) continue;
            if (c < SRV_N_CODES && codes[c])
                rc = jr_buf_printf(b, "jitrl_requests_total{route=\"%s\",code=\"%d\"} %llu\n", route_names[r],
                                   codes[c], n);
            else
                rc = jr_buf_printf(b, "jitrl_requests_total{route=\"%s\",code=\"other\"} %llu\n", route_names[r], n);
        }
    if (!rc)
        rc = jr_buf_puts(b, "# HELP jitrl_request_seconds Time from the request's first byte to its answer.\n"
                            "# TYPE jitrl_request_seconds histogram\n");
    for (int r = 0; !rc && r < SRV_N_ROUTES; r++) {
        unsigned long long cum = 0;
        for (int i = 0; !rc && i <= SRV_N_BUCKETS; i++) {
            cum += get(&m->lat[r][i]);
            if (i < SRV_N_BUCKETS)
                rc = jr_buf_printf(b, "jitrl_request_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", route_names[r],
                                   (double)bounds_us[i] / 1e6, cum);
            else
                rc = jr_buf_printf(b, "jitrl_request_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", route_names[r],
                                   cum);
        }
        if (!rc)
            rc = jr_buf_printf(b, "jitrl_request_seconds_sum{route=\"%s\"} %.6f\njitrl_request_seconds_count{route=\"%s\"} %llu\n",
                               route_names[r], (double)get(&m->lat_sum_us[r]) / 1e6, route_names[r], cum);
    }
    if (!rc)
        rc = jr_buf_printf(b,
                           "# HELP jitrl_overloaded_total Requests refused with 503 past the connection limit.\n"
                           "# TYPE jitrl_overloaded_total counter\njitrl_overloaded_total %llu\n"
                           "# HELP jitrl_model_calls_total Prior requests sent to the model.\n"
                           "# TYPE jitrl_model_calls_total counter\njitrl_model_calls_total %llu\n"
                           "# HELP jitrl_model_fallbacks_total Model calls answered with the uniform prior.\n"
                           "# TYPE jitrl_model_fallbacks_total counter\njitrl_model_fallbacks_total %llu\n"
                           "# HELP jitrl_model_errors_total Model calls that failed.\n"
                           "# TYPE jitrl_model_errors_total counter\njitrl_model_errors_total %llu\n"
                           "# HELP jitrl_model_tokens_total Tokens the model reported, by kind.\n"
                           "# TYPE jitrl_model_tokens_total counter\n"
                           "jitrl_model_tokens_total{kind=\"prompt\"} %llu\njitrl_model_tokens_total{kind=\"completion\"} %llu\n"
                           "# HELP jitrl_stored_steps Steps stored in each open namespace.\n"
                           "# TYPE jitrl_stored_steps gauge\n",
                           get(&m->overloaded), get(&m->model_calls), get(&m->model_fallbacks), get(&m->model_errors),
                           get(&m->prompt_tokens), get(&m->completion_tokens));
    ns_ctx c = {b, rc, 0};
    if (!c.rc) srv_ns_each(srv->ns, ns_line, &c);
    if (!c.rc)
        c.rc = jr_buf_puts(b, "# HELP jitrl_stored_episodes Episodes stored in each open namespace.\n"
                              "# TYPE jitrl_stored_episodes gauge\n");
    c.episodes = 1;
    if (!c.rc) srv_ns_each(srv->ns, ns_line, &c);
    return c.rc;
}
