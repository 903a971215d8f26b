/*
 * buf.h -- the one bounded growable byte buffer of libjitrl.
 *
 * Used for HTTP bodies, prompts, transcripts and JSON.  Every buffer has a
 * maximum size fixed at init; an append that would pass it fails with
 * JITRL_ETOOBIG and leaves the buffer unchanged, so a hostile server or
 * story cannot make us allocate without bound.  The contents are always
 * NUL-terminated (the NUL is not counted in len).
 */
#ifndef JR_BUF_H
#define JR_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct jr_buf {
    char *data;    /* NUL-terminated; NULL until the first append */
    size_t len;    /* bytes used, excluding the NUL */
    size_t cap;    /* bytes allocated */
    size_t max;    /* hard limit on len */
} jr_buf;

void jr_buf_init(jr_buf *b, size_t max);
void jr_buf_free(jr_buf *b);             /* frees storage; b may be reused after init */
void jr_buf_reset(jr_buf *b);            /* len = 0, keeps storage */
int jr_buf_append(jr_buf *b, const void *p, size_t n);
int jr_buf_puts(jr_buf *b, const char *s);
int jr_buf_putc(jr_buf *b, char c);
int jr_buf_printf(jr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int jr_buf_vprintf(jr_buf *b, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
int jr_buf_json_str(jr_buf *b, const char *s);
/* Hand the storage to the caller (who frees it with jr_free) and reset b. */
char *jr_buf_steal(jr_buf *b);
/* Never NULL: "" for an empty buffer. */
const char *jr_buf_str(const jr_buf *b);

#endif
