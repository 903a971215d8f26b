/*
 * alloc.c -- allocation wrapper with a thread-local failure countdown used
 * by the out-of-memory tests.  See alloc.h.
 */
#include "base/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local long fail_countdown = -1;

long jr_alloc_fail_after(long n)
{
    long was = fail_countdown;
    fail_countdown = n;
    return was;
}

static int should_fail(void)
{
    if (fail_countdown < 0) return 0;
    if (fail_countdown == 0) return 1;
    fail_countdown--;
    return 0;
}

void *jr_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *jr_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    if (size && count > SIZE_MAX / size) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *jr_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void jr_free(void *p) { free(p); }

char *jr_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = jr_malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *jr_strdup(const char *s) { return jr_strndup(s, SIZE_MAX); }
