/*
 * test_net.c -- the HTTP layer (src/net/) against a loopback server
 * (libmicrohttpd in this process, an ephemeral port on 127.0.0.1):
 * methods, request headers and body as the server saw them, status and
 * response headers (Retry-After, in seconds and as a date), an empty
 * body, the body cap, a timeout, a cancel flag, a refused port and a
 * malformed request.  The model client over it is tests/test_llm.c.
 */
#include "jitrl/error.h"
#include "net/http.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct upload {
    char body[4096];
    size_t len;
} upload;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body, size_t len,
                             const char *hname, const char *hval)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    if (hname) MHD_add_response_header(r, hname, hval);
    enum MHD_Result res = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return res;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls; (void)c; (void)t;
    free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)cls; (void)version;
    upload *u = *con_cls;
    if (!u) {
        if (!(u = calloc(1, sizeof *u))) return MHD_NO;
        *con_cls = u;
        return MHD_YES;
    }
    if (*data_size) {
        size_t n = *data_size < sizeof u->body - 1 - u->len ? *data_size : sizeof u->body - 1 - u->len;
        memcpy(u->body + u->len, data, n);
        u->len += n;
        *data_size = 0;
        return MHD_YES;
    }
    char out[8192];
    if (!strcmp(url, "/echo")) {
        /* what the server saw: method, the X-Jitrl and Content-Type headers, the body */
        const char *x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Jitrl");
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        int n = snprintf(out, sizeof out, "%s|%s|%s|%.*s", method, x ? x : "-", ct ? ct : "-", (int)u->len, u->body);
        return reply(c, 200, out, (size_t)n, "Retry-After", "2");
    }
    if (!strcmp(url, "/busy")) return reply(c, 503, "busy", 4, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    if (!strcmp(url, "/empty")) return reply(c, 204, "", 0, NULL, NULL);
    if (!strcmp(url, "/big")) {
        memset(out, 'x', 6000);
        return reply(c, 200, out, 6000, NULL, NULL);
    }
    if (!strcmp(url, "/slow")) {
        struct timespec ts = {1, 500000000};
        nanosleep(&ts, NULL);
        return reply(c, 200, "late", 4, NULL, NULL);
    }
    return reply(c, 404, "no", 2, NULL, NULL);
}

static struct MHD_Daemon *start(unsigned *port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                            NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
                                            (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                            MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    *port = info ? info->port : 0;
    return d;
}

static int send_to(const net_transport *t, const char *method, const char *url, const char *body, size_t max,
                   long timeout_ms, const volatile sig_atomic_t *cancel, net_response *rs, char *err, size_t errlen)
{
    net_header h[2] = {{"X-Jitrl", "yes"}, {"Content-Type", "text/plain"}};
    net_request rq = {method, url, h, 2, body, body ? strlen(body) : 0, timeout_ms, 2000, max, cancel};
    return net_send(t, &rq, rs, err, errlen);
}

int main(void)
{
    net_transport t;
    char err[256] = "";
    int rc = net_curl_open(&t, err, sizeof err);
    if (rc == JITRL_EUNSUPPORTED) tu_skip(err);
    CHECK_INT(rc, JITRL_OK);
    unsigned port = 0;
    struct MHD_Daemon *d = start(&port);
    CHECK(d != NULL && port > 0);
    if (rc || !d) return tu_done();
    char url[128];
    net_response rs;

    /* POST: the server saw the method, headers and body; the reply's
     * status, body and headers come back */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/echo", port);
    CHECK_INT(send_to(&t, "POST", url, "hello body", 1 << 16, 5000, NULL, &rs, err, sizeof err), JITRL_OK);
    CHECK_INT(rs.status, 200);
    CHECK_STR(rs.body, "POST|yes|text/plain|hello body");
    CHECK_INT(rs.body_len, strlen("POST|yes|text/plain|hello body"));
    char v[64];
    CHECK(net_response_header(&rs, "retry-after", v, sizeof v) && !strcmp(v, "2"));
    CHECK(!net_response_header(&rs, "x-absent", v, sizeof v));
    CHECK_INT(rs.retry_after_ms, 2000);
    net_response_free(&rs);
    /* GET (no body) and DELETE, on the same transport (connection reuse) */
    CHECK_INT(send_to(&t, "GET", url, NULL, 1 << 16, 5000, NULL, &rs, err, sizeof err), JITRL_OK);
    CHECK_STR(rs.body, "GET|yes|text/plain|");
    net_response_free(&rs);
    CHECK_INT(send_to(&t, "DELETE", url, NULL, 1 << 16, 5000, NULL, &rs, err, sizeof err), JITRL_OK);
    CHECK_STR(rs.body, "DELETE|yes|text/plain|");
    net_response_free(&rs);
    /* an error status is a response, with its Retry-After (a past date: 0) */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/busy", port);
    CHECK_INT(send_to(&t, "GET", url, NULL, 1 << 16, 5000, NULL, &rs, err, sizeof err), JITRL_OK);
    CHECK_INT(rs.status, 503);
    CHECK_INT(rs.retry_after_ms, 0);
    net_response_free(&rs);
    /* an empty body is "" */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/empty", port);
    CHECK_INT(send_to(&t, "GET", url, NULL, 1 << 16, 5000, NULL, &rs, err, sizeof err), JITRL_OK);
    CHECK_INT(rs.status, 204);
    CHECK(rs.body && rs.body_len == 0 && !rs.body[0]);
    CHECK_INT(rs.retry_after_ms, -1);
    net_response_free(&rs);
    /* the body cap: 6000 bytes pass a 6000 cap, not a 5999 one */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/big", port);
    CHECK_INT(send_to(&t, "GET", url, NULL, 6000, 5000, NULL, &rs, err, sizeof err), JITRL_OK);
    CHECK_INT(rs.body_len, 6000);
    net_response_free(&rs);
    CHECK_INT(send_to(&t, "GET", url, NULL, 5999, 5000, NULL, &rs, err, sizeof err), JITRL_ETOOBIG);
    CHECK(rs.body == NULL);
    /* a timeout, and a cancel flag already set */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/slow", port);
    CHECK_INT(send_to(&t, "GET", url, NULL, 1 << 16, 300, NULL, &rs, err, sizeof err), JITRL_ETIMEOUT);
    volatile sig_atomic_t stop = 1;
    CHECK_INT(send_to(&t, "GET", url, NULL, 1 << 16, 5000, &stop, &rs, err, sizeof err), JITRL_EINTERRUPTED);
    /* a malformed request: no body cap */
    CHECK_INT(send_to(&t, "GET", url, NULL, 0, 5000, NULL, &rs, err, sizeof err), JITRL_EINVAL);

    /* a refused port: the server's, once it has gone */
    MHD_stop_daemon(d);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/echo", port);
    err[0] = '\0';
    CHECK_INT(send_to(&t, "GET", url, NULL, 1 << 16, 5000, NULL, &rs, err, sizeof err), JITRL_EHTTP);
    CHECK(err[0] != '\0');
    CHECK_INT(net_parse_retry_after("1.5"), 1500);
    CHECK_INT(net_parse_retry_after("soon"), -1);
    net_transport_close(&t);
    net_transport_close(&t);   /* closed twice: a no-op */
    return tu_done();
}
