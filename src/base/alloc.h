/*
 * alloc.h -- the one allocation wrapper of libjitrl.
 *
 * Every allocation in the library goes through jr_malloc/jr_calloc/
 * jr_realloc/jr_free so a test can make the Nth allocation fail
 * (jr_alloc_fail_after) and check that the caller returns JITRL_ENOMEM and
 * leaks nothing.  The countdown is thread-local test state, not library
 * state: it is inert (-1) unless a test arms it.
 *
 * jr_realloc never loses the old block: on failure it returns NULL and the
 * old pointer stays valid, so `p = jr_realloc(p, n)` is still a bug.
 */
#ifndef JR_ALLOC_H
#define JR_ALLOC_H

#include <stddef.h>

void *jr_malloc(size_t n);
void *jr_calloc(size_t count, size_t size);
void *jr_realloc(void *p, size_t n);
void jr_free(void *p);
char *jr_strdup(const char *s);
char *jr_strndup(const char *s, size_t n);

/* Test hook: the next `n` allocations succeed and every later one fails,
 * until re-armed.  n < 0 disarms.  Affects the calling thread only.
 * Returns the countdown it replaces (-1 disarmed), so arming a large n and
 * disarming counts a sequence's allocations. */
long jr_alloc_fail_after(long n);

#endif
