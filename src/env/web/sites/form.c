/*
 * form.c -- the one parser of untrusted input on our sites: query strings
 * and application/x-www-form-urlencoded bodies, plus the number parsers
 * the forms use.
 *
 * Everything a browser (or a fuzzer) sends passes through here before a
 * handler sees it, so the handlers can trust that every value is bounded,
 * valid UTF-8 and free of NUL and control bytes.  A request that breaks a
 * rule is refused whole rather than repaired: a page built from half a
 * form would be a worse surprise than a 400.  Fuzzed by
 * tests/fuzz/fuzz_form.c.
 */
#include "env/web/sites/sites_int.h"

#include <assert.h>
#include <string.h>

#include "base/alloc.h"
#include "jitrl/error.h"

int jr_text_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return 0;
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
        else return 0;
        if (len - i <= n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        /* overlong, surrogate, beyond U+10FFFF */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode s[0..len) into a new string of at most max bytes; NULL with *rc
 * set on a bad escape, bad text or overflow. */
static char *decode(const char *s, size_t len, size_t max, int is_key, int *rc)
{
    if (len > 3 * max) { *rc = JITRL_ECORRUPT; return NULL; }
    char *out = jr_malloc(len + 1);
    if (!out) { *rc = JITRL_ENOMEM; return NULL; }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') c = ' ';
        else if (c == '%') {
            if (i + 2 >= len) goto bad;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) goto bad;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (o > max || !jr_text_ok(out, o) || (is_key && (o == 0 || strpbrk(out, "\t\r\n")))) goto bad;
    return out;
bad:
    jr_free(out);
    *rc = JITRL_ECORRUPT;
    return NULL;
}

void jr_form_free(jr_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        jr_free(f->key[i]);
        jr_free(f->val[i]);
    }
    f->n = 0;
}

int jr_form_parse(jr_form *f, const char *s, size_t len)
{
    f->n = 0;
    int rc = JITRL_OK;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&') end++;
        if (end > i) {   /* "a=1&&b=2": empty pieces are skipped */
            size_t eq = i;
            while (eq < end && s[eq] != '=') eq++;
            if (f->n == JR_FORM_MAX_PAIRS) { rc = JITRL_ECORRUPT; goto fail; }
            char *k = decode(s + i, eq - i, JR_FORM_MAX_KEY, 1, &rc);
            if (!k) goto fail;
            char *v = eq < end ? decode(s + eq + 1, end - eq - 1, JR_FORM_MAX_VALUE, 0, &rc)
                               : decode("", 0, JR_FORM_MAX_VALUE, 0, &rc);
            if (!v) { jr_free(k); goto fail; }
            f->key[f->n] = k;
            f->val[f->n] = v;
            f->n++;
        }
        i = end + 1;
    }
    return JITRL_OK;
fail:
    jr_form_free(f);
    return rc;
}

const char *jr_form_get(const jr_form *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->key[i], key)) return f->val[i];
    return NULL;
}

int jr_parse_long(const char *s, long lo, long hi, long *out)
{
    assert(lo <= hi && hi < 1000000000L);
    if (!s) return -1;
    while (*s == ' ') s++;
    int neg = 0;
    if (*s == '-') { neg = 1; s++; }
    if (!*s) return -1;
    long v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > 1000000000L) return -1;
    }
    while (*s == ' ') s++;
    if (*s) return -1;
    if (neg) v = -v;
    if (v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

long jr_parse_cents(const char *s, long max_cents)
{
    assert(max_cents >= 0 && max_cents < 100000000000L);
    if (!s) return -1;
    while (*s == ' ') s++;
    if (*s == '$') s++;
    long v = 0;
    int digits = 0;
    for (; (*s >= '0' && *s <= '9') || *s == ','; s++) {
        if (*s == ',') continue;
        v = v * 10 + (*s - '0');
        if (v > max_cents) return -1;
        digits++;
    }
    long cents = 0;
    if (*s == '.') {
        s++;
        int frac = 0;
        for (; *s >= '0' && *s <= '9'; s++, frac++) {
            if (frac >= 2) return -1;
            cents = cents * 10 + (*s - '0');
        }
        if (frac == 1) cents *= 10;
        digits += frac;
    }
    while (*s == ' ') s++;
    if (*s || !digits) return -1;
    if (v > (max_cents - cents) / 100) return -1;
    return v * 100 + cents;
}

int jr_path_id(const char *path, const char *prefix, const char *suffix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n)) return -1;
    const char *p = path + n;
    long v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 7) v = v * 10 + (*p++ - '0'), digits++;
    if (!digits || strcmp(p, suffix)) return -1;
    return (int)v;
}
