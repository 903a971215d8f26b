/*
 * auth.c -- bearer tokens for `jitrl serve`: the tokens file and the check
 * of one Authorization header.
 *
 * Shaped so: the file holds only SHA-256 digests (a leaked file gives no
 * token), each with the namespace globs (fnmatch) the token may read and
 * write.  A presented token is hashed (nettle) and its digest compared
 * with every grant's, all bytes of all grants, so the time taken says
 * nothing about how close a guess was.  Tokens are never copied into a
 * message or a log line.
 */
#include "serve/serve_int.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

#define AUTH_MAX_GRANTS 4096
#define AUTH_MAX_GLOBS 64
#define AUTH_MAX_TOKEN 4096

typedef struct grant {
    uint8_t digest[SHA256_DIGEST_SIZE];
    char *globs[AUTH_MAX_GLOBS];
    size_t n_globs;
} grant;

struct srv_auth {
    grant *g;
    size_t n;
    const srv_lib *lib;   /* SHA-256 */
};

void srv_auth_free(srv_auth *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < a->g[i].n_globs; j++) jr_free(a->g[i].globs[j]);
    jr_free(a->g);
    jr_free(a);
}

/* Room for one more grant (doubling); -1 when out of memory (a unchanged). */
static int grow_grants(srv_auth *a, size_t *cap)
{
    if (a->n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 16;
    grant *g = jr_realloc(a->g, nc * sizeof *g);
    if (!g) return -1;
    a->g = g;
    *cap = nc;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One line "HEX globs" (comment already cut) into *g.  0, or -1 with why. */
static int parse_line(char *s, grant *g, char *why, size_t whylen)
{
    char *hex = s;
    while (*s && !isspace((unsigned char)*s)) s++;
    if (s - hex != 2 * SHA256_DIGEST_SIZE) {
        snprintf(why, whylen, "the digest must be 64 hex digits (the token's SHA-256), not %d characters",
                 (int)(s - hex));
        return -1;
    }
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            snprintf(why, whylen, "the digest is not hex");
            return -1;
        }
        g->digest[i] = (uint8_t)(hi << 4 | lo);
    }
    while (isspace((unsigned char)*s)) s++;
    if (!*s) {
        snprintf(why, whylen, "no namespaces after the digest (e.g. 'team-a,shared-*')");
        return -1;
    }
    char *save = NULL;
    for (char *tok = strtok_r(s, ", \t\r\n", &save); tok; tok = strtok_r(NULL, ", \t\r\n", &save)) {
        if (g->n_globs == AUTH_MAX_GLOBS) {
            snprintf(why, whylen, "more than %d namespace globs", AUTH_MAX_GLOBS);
            return -1;
        }
        if (strlen(tok) > 256) {
            snprintf(why, whylen, "a namespace glob over 256 bytes");
            return -1;
        }
        if (!(g->globs[g->n_globs] = jr_strdup(tok))) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        g->n_globs++;
    }
    if (!g->n_globs) {
        snprintf(why, whylen, "no namespaces after the digest");
        return -1;
    }
    return 0;
}

int srv_auth_parse(const srv_lib *lib, FILE *f, const char *path, srv_auth **out, char *err, size_t errlen)
{
    *out = NULL;
    srv_auth *a = jr_calloc(1, sizeof *a);
    if (a) a->lib = lib;
    size_t cap = 0;
    int rc = a ? JITRL_OK : JITRL_ENOMEM;
    char line[8192];
    for (int no = 1; !rc && fgets(line, sizeof line, f); no++) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            snprintf(err, errlen, "%s:%d: line over %zu bytes", path, no, sizeof line - 2);
            rc = JITRL_EINVAL;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        if (!*s) continue;
        if (a->n == AUTH_MAX_GRANTS) {
            snprintf(err, errlen, "%s:%d: more than %d grants", path, no, AUTH_MAX_GRANTS);
            rc = JITRL_EINVAL;
        } else if (grow_grants(a, &cap)) {
            rc = JITRL_ENOMEM;
        } else {
            char why[160];
            grant *g = &a->g[a->n];
            memset(g, 0, sizeof *g);
            a->n++;   /* counted first, so free() sees its globs on failure */
            if (parse_line(s, g, why, sizeof why)) {
                snprintf(err, errlen, "%s:%d: %s", path, no, why);
                rc = JITRL_EINVAL;
            }
        }
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "tokens file %s: read error", path);
        rc = JITRL_EIO;
    }
    if (rc == JITRL_ENOMEM) snprintf(err, errlen, "out of memory");
    if (rc) {
        srv_auth_free(a);
        return rc;
    }
    *out = a;
    return JITRL_OK;
}

int srv_auth_load(const srv_lib *lib, const char *path, srv_auth **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "tokens file %s: %s", path, strerror(errno));
        return errno == ENOENT ? JITRL_ENOTFOUND : JITRL_EIO;
    }
    int rc = srv_auth_parse(lib, f, path, out, err, errlen);
    fclose(f);
    return rc;
}

int srv_auth_grant(const srv_auth *a, const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7)) return -1;
    const char *tok = authorization + 7;
    while (*tok == ' ') tok++;
    size_t n = strnlen(tok, AUTH_MAX_TOKEN + 1);
    if (!n || n > AUTH_MAX_TOKEN) return -1;
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    a->lib->h_init(&c);
    a->lib->h_update(&c, n, (const uint8_t *)tok);
    a->lib->h_digest(&c, sizeof d, d);
    /* every byte of every grant, whatever matched */
    int found = -1;
    for (size_t i = 0; i < a->n; i++) {
        unsigned diff = 0;
        for (int j = 0; j < SHA256_DIGEST_SIZE; j++) diff |= (unsigned)(a->g[i].digest[j] ^ d[j]);
        unsigned hit = ((diff - 1) >> 8) & 1 & (unsigned)(found < 0);   /* 1 iff diff == 0, first hit only */
        found = hit ? (int)i : found;
    }
    return found;
}

int srv_auth_allows(const srv_auth *a, int g, const char *ns)
{
    if (g < 0 || (size_t)g >= a->n) return 0;
    for (size_t j = 0; j < a->g[g].n_globs; j++)
        if (!fnmatch(a->g[g].globs[j], ns, 0)) return 1;
    return 0;
}
