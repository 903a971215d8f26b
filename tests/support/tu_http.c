/*
 * tu_http.c -- see tu_http.h.
 */
#include "tu_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
    tu_reply *r = ctx;
    size_t k = sz * n;
    if (r->len + k > (8u << 20)) return 0;
    char *nb = realloc(r->body, r->len + k + 1);
    if (!nb) return 0;
    r->body = nb;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
    tu_reply *r = ctx;
    size_t k = sz * n;
    if (k > 9 && !strncasecmp(p, "Location:", 9)) {
        size_t a = 9, e = k;
        while (a < e && p[a] == ' ') a++;
        while (e > a && (p[e - 1] == '\r' || p[e - 1] == '\n')) e--;
        if (e - a < sizeof r->location) {
            memcpy(r->location, p + a, e - a);
            r->location[e - a] = '\0';
        }
    }
    return k;
}

long tu_http(tu_reply *r, const char *method, const char *url, const char *body, size_t len, const char *ctype)
{
    memset(r, 0, sizeof *r);
    r->body = calloc(1, 1);
    CURL *c = curl_easy_init();
    if (!c || !r->body) {
        if (c) curl_easy_cleanup(c);
        return 0;
    }
    struct curl_slist *h = NULL;
    int chunked = ctype && !strcmp(ctype, "chunked");
    if (body || ctype) {
        char line[256];
        snprintf(line, sizeof line, "Content-Type: %s", ctype && !chunked ? ctype : "application/x-www-form-urlencoded");
        h = curl_slist_append(h, line);
    }
    if (chunked) h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (!chunked) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r->status;
}

void tu_reply_free(tu_reply *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
