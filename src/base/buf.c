/*
 * buf.c -- bounded growable buffer.  See buf.h.
 */
#include "base/buf.h"
#include "base/alloc.h"
#include "jitrl/error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void jr_buf_init(jr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void jr_buf_free(jr_buf *b)
{
    jr_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void jr_buf_reset(jr_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static int reserve(jr_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) return JITRL_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return JITRL_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) ncap = ncap * 2;
    char *p = jr_realloc(b->data, ncap);
    if (!p) return JITRL_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return JITRL_OK;
}

int jr_buf_append(jr_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return JITRL_OK;
}

int jr_buf_puts(jr_buf *b, const char *s) { return jr_buf_append(b, s, strlen(s)); }

int jr_buf_putc(jr_buf *b, char c) { return jr_buf_append(b, &c, 1); }

int jr_buf_vprintf(jr_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return JITRL_EINVAL;
    int rc = reserve(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return JITRL_OK;
}

int jr_buf_printf(jr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = jr_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int jr_buf_json_str(jr_buf *b, const char *s)
{
    size_t mark = b->len;
    int rc = jr_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        switch (*p) {
        case '"': rc = jr_buf_puts(b, "\\\""); break;
        case '\\': rc = jr_buf_puts(b, "\\\\"); break;
        case '\n': rc = jr_buf_puts(b, "\\n"); break;
        case '\r': rc = jr_buf_puts(b, "\\r"); break;
        case '\t': rc = jr_buf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20) rc = jr_buf_printf(b, "\\u%04x", *p);
            else rc = jr_buf_putc(b, (char)*p);
        }
    }
    if (!rc) rc = jr_buf_putc(b, '"');
    if (rc) { b->len = mark; if (b->data) b->data[mark] = '\0'; }
    return rc;
}

char *jr_buf_steal(jr_buf *b)
{
    char *p = b->data;
    if (!p) p = jr_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *jr_buf_str(const jr_buf *b) { return b->data ? b->data : ""; }
