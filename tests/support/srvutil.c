/*
 * srvutil.c -- see srvutil.h.
 */
#include "srvutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <nettle/sha2.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct sink {
    char *p;
    size_t n, cap;
} sink;

static size_t on_data(char *d, size_t sz, size_t nm, void *ctx)
{
    sink *s = ctx;
    size_t n = sz * nm;
    if (s->n + n + 1 > s->cap) {
        size_t nc = (s->n + n + 1) * 2;
        char *q = realloc(s->p, nc);
        if (!q) return 0;
        s->p = q;
        s->cap = nc;
    }
    memcpy(s->p + s->n, d, n);
    s->n += n;
    s->p[s->n] = 0;
    return n;
}

long su_http(const char *addr, const char *method, const char *path, const char *token, const char *ctype,
             const char *body, size_t len, char **out, size_t *out_len)
{
    CURL *c = curl_easy_init();
    if (!c) return 0;
    char url[512], h1[4200], h2[256];
    snprintf(url, sizeof url, "http://%s%s", addr, path);
    struct curl_slist *hs = NULL;
    if (token) {
        snprintf(h1, sizeof h1, "Authorization: Bearer %s", token);
        hs = curl_slist_append(hs, h1);
    }
    if (ctype) {
        snprintf(h2, sizeof h2, "Content-Type: %s", ctype);
        hs = curl_slist_append(hs, h2);
    } else {
        hs = curl_slist_append(hs, "Content-Type:");   /* none, not curl's form type */
    }
    /* small bodies go at once; a large one waits for 100 Continue, so a
     * server that refuses it (413) is heard rather than reset mid-upload */
    if (len < ((size_t)1 << 20)) hs = curl_slist_append(hs, "Expect:");
    sink s = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    if (!s.p) s.p = calloc(1, 1);
    if (out_len) *out_len = s.n;
    if (out) *out = s.p;
    else free(s.p);
    return status;
}

int su_connect(const char *addr)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

static long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

char *su_read_all(int fd, long timeout_ms, int *closed)
{
    *closed = 0;
    size_t n = 0, cap = 4096;
    char *p = malloc(cap);
    if (!p) return NULL;
    long end = ms_now() + timeout_ms;
    for (;;) {
        long left = end - ms_now();
        if (left <= 0) break;
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0) break;
        if (n + 1024 > cap) {
            char *q = realloc(p, cap * 2);
            if (!q) break;
            p = q;
            cap *= 2;
        }
        ssize_t r = read(fd, p + n, cap - n - 1);
        if (r <= 0) {
            *closed = 1;
            break;
        }
        n += (size_t)r;
    }
    p[n] = 0;
    return p;
}

void su_sha256_hex(const char *s, char hex[65])
{
    struct sha256_ctx c;
    unsigned char d[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, strlen(s), (const unsigned char *)s);
    sha256_digest(&c, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}
