/*
 * server.c -- the daemon of `jitrl serve`: a libmicrohttpd server with its
 * own pool of threads (one per core by default), the request bodies, the
 * limits, request ids and the access log.  What each route answers is in
 * routes.c.
 *
 * Shaped so: libmicrohttpd's event loop reads every connection, so a slow
 * client holds a socket, never a worker: an idle connection is closed
 * after timeout_s, and a body that takes longer than that to arrive is
 * answered 408.  Bodies go into a bounded buffer (413 past max_body, at
 * once when Content-Length says so); past max_connections open
 * connections a request is answered 503 at once (and libmicrohttpd itself
 * refuses connections 64 beyond that).  Each request gets an id (the
 * instance's random prefix and a counter), sent back as X-Request-Id and
 * written in the access log line; no header value (a token) is ever
 * logged.  All state is on the handle.
 */
#include "serve/serve_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/opts.h"

void jitrl_serve_options_init(jitrl_serve_options *opt)
{
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->listen = "127.0.0.1:8080";
}

void srv_log(struct jitrl_server *srv, const char *fmt, ...)
{
    if (!srv->o.log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    srv->o.log(srv->o.log_ctx, line);
}

/* Messages may quote a store's URI (postgres://user:PASSWORD@host/db?
 * password=...): its secrets are starred out before a client or the log
 * sees them. */
void srv_redact_uri(char *msg)
{
    for (char *p = msg; (p = strstr(p, "://")); p += 3) {
        char *end = p + 3 + strcspn(p + 3, " \"'/?");
        char *at = memchr(p + 3, '@', (size_t)(end - p - 3));
        char *colon = at ? memchr(p + 3, ':', (size_t)(at - p - 3)) : NULL;
        if (colon)
            for (char *q = colon + 1; q < at; q++) *q = '*';
    }
    for (char *p = msg; (p = strstr(p, "password=")); p += 9)
        for (char *q = p + 9; *q && *q != '&' && *q != ' ' && *q != '"' && *q != '\''; q++) *q = '*';
}

void srv_error(srv_reply *rp, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    srv_redact_uri(msg);
    for (char *p = msg; *p; p++)   /* messages may quote a client's bytes: keep the JSON valid */
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20) *p = '?';
    jr_free(rp->body);
    jr_buf b;
    jr_buf_init(&b, 4096);
    int rc = jr_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", code);
    if (!rc) rc = jr_buf_json_str(&b, msg);
    if (!rc) rc = jr_buf_puts(&b, "}}");
    rp->status = status;
    rp->ctype = "application/json";
    rp->len = rc ? 0 : b.len;
    rp->body = rc ? NULL : jr_buf_steal(&b);
    jr_buf_free(&b);
}

srv_request srv_request_make(const char *method, const char *url, void *conn, const srv_lib *lib)
{
    srv_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = method;
    rq.url = url;
    rq.conn = conn;
    rq.lib = lib;
    rq.body = "";
    rq.route = SRV_R_OTHER;
    return rq;
}

const char *srv_query_arg(srv_request *rq, const char *key)
{
    return rq->conn ? rq->lib->lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key) : NULL;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* What one connection's current request has received so far. */
typedef struct conn_req {
    jr_buf body;
    uint64_t t0;
    int too_big, late;
    char id[40];
} conn_req;

static enum MHD_Result send_reply(struct jitrl_server *srv, struct MHD_Connection *c, conn_req *cr,
                                  srv_request *rq, srv_reply *rp, int close)
{
    if (!rp->body) srv_error(rp, 500, "out_of_memory", "out of memory");
    struct MHD_Response *r =
        rp->body ? srv->lib.create_response_with_free(rp->len, rp->body, jr_free)
                 : srv->lib.create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        jr_free(rp->body);
        return MHD_NO;
    }
    size_t len = rp->len;
    rp->body = NULL;   /* the response owns it now */
    srv->lib.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->ctype ? rp->ctype : "application/json");
    srv->lib.add_response_header(r, "X-Request-Id", cr->id);
    srv->lib.add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rp->allow) srv->lib.add_response_header(r, MHD_HTTP_HEADER_ALLOW, rp->allow);
    if (close) srv->lib.add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = srv->lib.queue_response(c, (unsigned)rp->status, r);
    srv->lib.destroy_response(r);
    uint64_t us = now_us() - cr->t0;
    srv_metrics_count(&srv->m, rq->route, rp->status, us);
    srv_log(srv, "%s %s %.200s %d %zu %lluus ns=%s", cr->id, rq->method, rq->url, rp->status, len,
            (unsigned long long)us, rq->ns[0] ? rq->ns : "-");
    return ok;
}

/* Mid-body, libmicrohttpd takes no response (it queues one only once the
 * whole request is in), so a body too big or too slow is answered here:
 * the status line, headers and JSON written straight to the socket (tiny,
 * into an empty send buffer: nothing else is being sent on it), then the
 * connection is closed by returning MHD_NO. */
static enum MHD_Result reply_and_close(struct jitrl_server *srv, struct MHD_Connection *c, conn_req *cr,
                                       srv_request *rq, srv_reply *rp)
{
    const union MHD_ConnectionInfo *ci = srv->lib.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nX-Request-Id: %s\r\n"
                     "Connection: close\r\nContent-Length: %zu\r\n\r\n",
                     rp->status, rp->status == 413 ? "Content Too Large" : "Request Timeout", cr->id, rp->len);
    if (ci && n > 0 && rp->body) {
        ssize_t w = send(ci->connect_fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w == n) w = send(ci->connect_fd, rp->body, rp->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
    }
    srv_metrics_count(&srv->m, rq->route, rp->status, now_us() - cr->t0);
    srv_log(srv, "%s %s %.200s %d %zu %lluus ns=- (closed)", cr->id, rq->method, rq->url, rp->status, rp->len,
            (unsigned long long)(now_us() - cr->t0));
    jr_free(rp->body);
    rp->body = NULL;
    return MHD_NO;
}

static int is_import(const char *url) { return strstr(url, "/episodes:import") != NULL; }

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct jitrl_server *srv = cls;
    conn_req *cr = *con_cls;
    srv_request rq = srv_request_make(method, url, c, &srv->lib);
    srv_reply rp = {0};
    if (!cr) {   /* the headers are in: the first call for this request */
        if (!(cr = jr_calloc(1, sizeof *cr))) return MHD_NO;
        *con_cls = cr;
        cr->t0 = now_us();
        unsigned long long n = atomic_fetch_add(&srv->seq, 1) + 1;
        snprintf(cr->id, sizeof cr->id, "%08x-%llu", srv->instance, n);
        size_t limit = is_import(url) ? srv->o.max_import_body : srv->o.max_body;
        jr_buf_init(&cr->body, limit);
        rq.id = cr->id;
        if (atomic_load(&srv->conns) > srv->o.max_connections) {
            atomic_fetch_add(&srv->m.overloaded, 1);
            srv_error(&rp, 503, "overloaded", "over %u open connections; retry later", srv->o.max_connections);
            return send_reply(srv, c, cr, &rq, &rp, 1);
        }
        const char *cl = srv->lib.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > limit) {
            srv_error(&rp, 413, "too_large", "the body is %s bytes; at most %zu", cl, limit);
            return send_reply(srv, c, cr, &rq, &rp, 1);
        }
        return MHD_YES;
    }
    rq.id = cr->id;
    if (*upload_size) {
        if (!cr->too_big && !cr->late && jr_buf_append(&cr->body, upload, *upload_size)) cr->too_big = 1;
        *upload_size = 0;
        if (!cr->late && now_us() - cr->t0 > (uint64_t)srv->o.timeout_s * 1000000u) cr->late = 1;
        if (cr->too_big) srv_error(&rp, 413, "too_large", "the body is over %zu bytes", cr->body.max);
        else if (cr->late) srv_error(&rp, 408, "timeout", "the request took over %u s to arrive", srv->o.timeout_s);
        else return MHD_YES;
        return reply_and_close(srv, c, cr, &rq, &rp);
    }
    rq.body = jr_buf_str(&cr->body);
    rq.body_len = cr->body.len;
    rq.content_type = srv->lib.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    rq.authorization = srv->lib.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    srv_route(srv, &rq, &rp);
    return send_reply(srv, c, cr, &rq, &rp, 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    conn_req *cr = *con_cls;
    if (!cr) return;
    jr_buf_free(&cr->body);
    jr_free(cr);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx, enum MHD_ConnectionNotificationCode t)
{
    struct jitrl_server *srv = cls;
    if (t == MHD_CONNECTION_NOTIFY_STARTED) atomic_fetch_add(&srv->conns, 1);
    else atomic_fetch_sub(&srv->conns, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct jitrl_server *srv = cls;
    if (!srv->o.log) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    srv_log(srv, "libmicrohttpd: %s", line);
}

/* "A.B.C.D:PORT", "[V6]:PORT" or "localhost:PORT" into *ss. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, int *loopback, char *err,
                        size_t errlen)
{
    memset(ss, 0, sizeof *ss);
    const char *colon = strrchr(s, ':');
    char host[64];
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) goto bad;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) goto bad;
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']') goto bad;
        host[n - 1] = 0;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) goto bad;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) goto bad;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    return 0;
bad:
    snprintf(err, errlen, "--listen '%.100s': expected ADDR:PORT (e.g. 127.0.0.1:8080, [::1]:0)", s);
    return -1;
}

static void *sync_main(void *arg)
{
    struct jitrl_server *srv = arg;
    pthread_mutex_lock(&srv->sync_mu);
    while (!srv->sync_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long ns = ts.tv_nsec + (long)srv->o.sync_ms % 1000 * 1000000L;
        ts.tv_sec += srv->o.sync_ms / 1000 + ns / 1000000000L;
        ts.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&srv->sync_cv, &srv->sync_mu, &ts);
        if (srv->sync_stop) break;
        pthread_mutex_unlock(&srv->sync_mu);
        srv_ns_sync(srv->ns);
        pthread_mutex_lock(&srv->sync_mu);
    }
    pthread_mutex_unlock(&srv->sync_mu);
    return NULL;
}

static char *dup_opt(const char *s, int *fail)
{
    if (!s) return NULL;
    char *d = jr_strdup(s);
    if (!d) *fail = 1;
    return d;
}

int jitrl_server_open(const jitrl_serve_options *opt, jitrl_server **out, char *errmsg, size_t errlen)
{
    char dummy[8];
    if (!errmsg) {
        errmsg = dummy;
        errlen = sizeof dummy;
    }
    errmsg[0] = 0;
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    jitrl_server *srv = jr_calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(errmsg, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
    pthread_mutex_init(&srv->sync_mu, NULL);
    pthread_cond_init(&srv->sync_cv, NULL);
    jitrl_serve_options_init(&srv->o);
    int rc = JITRL_OK;
    if (jr_opts_load(&srv->o, sizeof srv->o, opt)) {
        snprintf(errmsg, errlen, "jitrl_serve_options.size is %zu; call jitrl_serve_options_init first",
                 opt ? opt->size : 0);
        rc = JITRL_EINVAL;
        goto fail;
    }
    jitrl_serve_options *o = &srv->o;
    int oom = 0;
    o->listen = srv->s_listen = dup_opt(o->listen ? o->listen : "127.0.0.1:8080", &oom);
    o->memory = srv->s_memory = dup_opt(o->memory, &oom);
    o->tokens_file = srv->s_tokens = dup_opt(o->tokens_file, &oom);
    o->llm_url = srv->s_llm_url = dup_opt(o->llm_url, &oom);
    o->llm_model = srv->s_llm_model = dup_opt(o->llm_model, &oom);
    o->llm_key = srv->s_llm_key = dup_opt(o->llm_key, &oom);
    if (oom) {
        snprintf(errmsg, errlen, "out of memory");
        rc = JITRL_ENOMEM;
        goto fail;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    if (!o->threads) o->threads = (unsigned)(o->llm_url ? (ncpu * 4 > 8 ? ncpu * 4 : 8) : ncpu);
    if (!o->max_body) o->max_body = (size_t)1 << 20;
    if (!o->max_import_body) o->max_import_body = (size_t)64 << 20;
    if (!o->max_connections) o->max_connections = 256;
    if (!o->timeout_s) o->timeout_s = 10;
    if (!o->max_candidates) o->max_candidates = 1000;
    if (!o->max_namespaces) o->max_namespaces = 1024;
    if (o->sync_ms <= 0) o->sync_ms = 200;
    if (o->threads > 1024 || o->max_connections > 100000) {
        snprintf(errmsg, errlen, "threads (%u) or max_connections (%u) out of range", o->threads, o->max_connections);
        rc = JITRL_EINVAL;
        goto fail;
    }
    if ((o->llm_url != NULL) != (o->llm_model != NULL)) {
        snprintf(errmsg, errlen, "a model needs both its URL and its name (--llm URL --model M)");
        rc = JITRL_EINVAL;
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    int loopback = 0;
    if (parse_listen(o->listen, &ss, &sslen, &loopback, errmsg, errlen)) {
        rc = JITRL_EINVAL;
        goto fail;
    }
    if (!o->tokens_file && !loopback) {
        snprintf(errmsg, errlen, "without --tokens the server listens on loopback only, not %s", o->listen);
        rc = JITRL_EINVAL;
        goto fail;
    }
    if ((rc = srv_lib_open(&srv->lib, errmsg, errlen))) goto fail;
    if (o->tokens_file && (rc = srv_auth_load(&srv->lib, o->tokens_file, &srv->auth, errmsg, errlen))) goto fail;
    if ((rc = srv_ns_open(o, &srv->ns, errmsg, errlen))) goto fail;
    if (o->llm_url && (rc = srv_llm_open(o, o->threads, &srv->llm, errmsg, errlen))) goto fail;
    if (getrandom(&srv->instance, sizeof srv->instance, GRND_NONBLOCK) != (ssize_t)sizeof srv->instance)
        srv->instance = (uint32_t)now_us() ^ (uint32_t)getpid();
    if (pipe2(srv->stop_pipe, O_CLOEXEC)) {
        snprintf(errmsg, errlen, "pipe: %s", strerror(errno));
        rc = JITRL_EIO;
        goto fail;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->d = srv->lib.start_daemon(flags, 0, NULL, NULL, on_request, srv,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_connections + 64),
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                              MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                              MHD_OPTION_END);
    if (!srv->d) {
        snprintf(errmsg, errlen, "cannot listen on %s (address in use, or not this machine's?)", o->listen);
        rc = JITRL_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *di = srv->lib.get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : 0;
    char host[64] = "";
    if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    snprintf(srv->addr, sizeof srv->addr, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
    if (pthread_create(&srv->sync, NULL, sync_main, srv)) {
        snprintf(errmsg, errlen, "cannot start the sync thread");
        rc = JITRL_ENOMEM;
        goto fail;
    }
    srv->sync_on = 1;
    if (!srv->auth)
        srv_log(srv, "no --tokens: every namespace is open to any local client; listening on loopback only");
    *out = srv;
    return JITRL_OK;
fail:
    jitrl_server_close(srv);
    return rc;
}

const char *jitrl_server_address(const jitrl_server *srv) { return srv ? srv->addr : ""; }

int jitrl_server_run(jitrl_server *srv)
{
    if (!srv) return JITRL_EINVAL;
    for (;;) {
        char c;
        ssize_t n = read(srv->stop_pipe[0], &c, 1);
        if (n == 1 || (n < 0 && errno != EINTR) || n == 0) break;
    }
    return JITRL_OK;
}

void jitrl_server_stop(jitrl_server *srv)
{
    if (!srv || srv->stop_pipe[1] < 0) return;
    ssize_t n = write(srv->stop_pipe[1], "x", 1);
    (void)n;
}

void jitrl_server_close(jitrl_server *srv)
{
    if (!srv) return;
    if (srv->d) srv->lib.stop_daemon(srv->d);
    if (srv->sync_on) {
        pthread_mutex_lock(&srv->sync_mu);
        srv->sync_stop = 1;
        pthread_cond_signal(&srv->sync_cv);
        pthread_mutex_unlock(&srv->sync_mu);
        pthread_join(srv->sync, NULL);
    }
    pthread_mutex_destroy(&srv->sync_mu);
    pthread_cond_destroy(&srv->sync_cv);
    srv_llm_close(srv->llm);
    srv_ns_close(srv->ns);
    srv_auth_free(srv->auth);
    srv_lib_close(&srv->lib);
    for (int i = 0; i < 2; i++)
        if (srv->stop_pipe[i] >= 0) close(srv->stop_pipe[i]);
    if (srv->s_llm_key) memset(srv->s_llm_key, 0, strlen(srv->s_llm_key));
    jr_free(srv->s_listen);
    jr_free(srv->s_memory);
    jr_free(srv->s_tokens);
    jr_free(srv->s_llm_url);
    jr_free(srv->s_llm_model);
    jr_free(srv->s_llm_key);
    jr_free(srv);
}
