/*
 * http.c -- what every HTTP transport shares (see http.h): the request
 * check, response headers, Retry-After.
 */
#include "net/http.h"

#include "base/alloc.h"
#include "jitrl/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void net_transport_close(net_transport *t)
{
    if (!t) return;
    if (t->close) t->close(t->ctx);
    memset(t, 0, sizeof *t);
}

int net_send(const net_transport *t, const net_request *rq, net_response *rs, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    rs->retry_after_ms = -1;
    if (err && errlen) err[0] = '\0';
    if (!t || !t->send || !rq || !rq->method || !rq->url || !rq->max_body || (rq->n_headers && !rq->headers)) {
        if (err && errlen) snprintf(err, errlen, "bad HTTP request");
        return JITRL_EINVAL;
    }
    int rc = t->send(t->ctx, rq, rs, err, errlen);
    if (rc) net_response_free(rs);
    return rc;
}

void net_response_free(net_response *rs)
{
    if (!rs) return;
    jr_free(rs->body);
    jr_free(rs->headers);
    memset(rs, 0, sizeof *rs);
    rs->retry_after_ms = -1;
}

int net_response_header(const net_response *rs, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = rs && rs->headers ? rs->headers : ""; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1, *ve = p + len;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            if (cap) {
                size_t n = (size_t)(ve - v) < cap - 1 ? (size_t)(ve - v) : cap - 1;
                memcpy(out, v, n);
                out[n] = '\0';
            }
            return 1;
        }
        p += len + (e != NULL);
    }
    return 0;
}

long net_parse_retry_after(const char *v)
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
