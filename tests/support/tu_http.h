/*
 * tu_http.h -- one HTTP exchange with libcurl for tests of our own servers
 * (the local web sites): no redirect following, so a test sees a 303 and
 * its Location; bounded body; 10 s timeout.
 */
#ifndef TU_HTTP_H
#define TU_HTTP_H

#include <stddef.h>

typedef struct tu_reply {
    long status;           /* 0 when the exchange failed */
    char *body;            /* NUL-terminated, malloc'ed; free with tu_reply_free */
    size_t len;
    char location[512];    /* the Location header, "" if none */
} tu_reply;

/* method "GET", "POST", ...; body NULL for none; ctype NULL means
 * application/x-www-form-urlencoded when there is a body; "chunked" sends
 * a form body with Transfer-Encoding: chunked (no Content-Length).  Returns the
 * status (also in r->status). */
long tu_http(tu_reply *r, const char *method, const char *url, const char *body, size_t len, const char *ctype);
void tu_reply_free(tu_reply *r);

#endif
