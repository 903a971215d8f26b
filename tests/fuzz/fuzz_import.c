/*
 * fuzz_import.c -- libFuzzer harness for the memory importer, through the
 * public API (jitrl_memory_import_cb, include/jitrl/memory.h).
 *
 * Why shaped so: `jitrl memory import` takes JSON Lines from anywhere
 * (other versions, hand edits, other tools), so any bytes must end in
 * imported episodes or an error with a line number, never a crash, a leak,
 * a hang or a memory that cannot be read back.  Each input goes into a
 * fresh in-RAM memory, in chunks of varying size (the first byte picks the
 * chunk size, so line breaks fall across reads), and then the documented
 * round trip must hold, aborting (which libFuzzer reports) if not:
 *  - a failed import leaves a message and counts only what was added;
 *  - whatever was imported exports, and that export imports into another
 *    fresh memory completely (same count) and exports byte-identically.
 *
 * Built by scripts/fuzz.sh (FUZZ_TARGET=import) with clang
 * -fsanitize=fuzzer,address,undefined.
 */
#include "jitrl/memory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const uint8_t *p;
    size_t n, off, chunk;
} reader;

static int read_bytes(void *ctx, char *buf, size_t cap, size_t *got)
{
    reader *r = ctx;
    size_t k = r->n - r->off;
    if (k > cap) k = cap;
    if (k > r->chunk) k = r->chunk;
    if (k) memcpy(buf, r->p + r->off, k);   /* (an empty export has no buffer) */
    r->off += k;
    *got = k;
    return 0;
}

typedef struct sink {
    char *buf;
    size_t len, cap;
} sink;

static int write_bytes(void *ctx, const char *buf, size_t n)
{
    sink *s = ctx;
    if (s->len + n > s->cap) {
        size_t nc = (s->len + n) * 2;
        char *p = realloc(s->buf, nc);
        if (!p) return -1;
        s->buf = p;
        s->cap = nc;
    }
    memcpy(s->buf + s->len, buf, n);
    s->len += n;
    return 0;
}

static jitrl_memory *fresh(void)
{
    jitrl_memory *m = NULL;
    if (jitrl_memory_open(NULL, NULL, &m, NULL, 0)) abort();
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    static const size_t chunks[] = {1, 7, 64, 4096};
    reader r = {data + 1, size - 1, 0, chunks[data[0] & 3]};
    jitrl_memory *a = fresh();
    size_t na = 0;
    int rc = jitrl_memory_import_cb(a, read_bytes, &r, &na);
    if (rc && !jitrl_memory_errmsg(a)[0]) abort();
    sink ea = {0}, eb = {0};
    if (jitrl_memory_export_cb(a, write_bytes, &ea, 0, NULL)) abort();
    jitrl_memory *b = fresh();
    reader rb = {(const uint8_t *)ea.buf, ea.len, 0, 4096};
    size_t nb = 0;
    if (jitrl_memory_import_cb(b, read_bytes, &rb, &nb) || nb != na) abort();
    if (jitrl_memory_export_cb(b, write_bytes, &eb, 0, NULL)) abort();
    if (ea.len != eb.len || (ea.len && memcmp(ea.buf, eb.buf, ea.len))) abort();
    free(ea.buf);
    free(eb.buf);
    jitrl_memory_close(a);
    jitrl_memory_close(b);
    return 0;
}
