/*
 * srvutil.h -- helpers for the tests of `jitrl serve` (include/jitrl/serve.h):
 * one HTTP exchange with a live server through libcurl, a raw socket for
 * the requests curl will not send (slow, truncated, malformed), and the
 * SHA-256 hex of a token for a tokens file.
 */
#ifndef SRVUTIL_H
#define SRVUTIL_H

#include <stddef.h>

/* One request to http://ADDR PATH.  token NULL = no Authorization header,
 * ctype NULL = none, body NULL = no body.  Returns the status (0 when no
 * reply came); *out (if non-NULL) gets the body (malloc'd, NUL-ended,
 * the caller frees), *out_len its length.  Times out after 30 s. */
long su_http(const char *addr, const char *method, const char *path, const char *token, const char *ctype,
             const char *body, size_t len, char **out, size_t *out_len);
/* Open a TCP connection to ADDR ("127.0.0.1:PORT"), -1 on failure. */
int su_connect(const char *addr);
/* Read what the server sends until it closes or timeout_ms passes; the
 * bytes (NUL-ended, malloc'd) or NULL.  *closed = 1 if it closed. */
char *su_read_all(int fd, long timeout_ms, int *closed);
/* The lower-case hex SHA-256 of s into hex[65]. */
void su_sha256_hex(const char *s, char hex[65]);

#endif
