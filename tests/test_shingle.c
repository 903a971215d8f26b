/*
 * test_shingle.c -- the similarity features (src/engine/shingle.c): the
 * sort against a naive one at every size class, and the per-field work
 * bound (issue 16, defect 1: a 16 MB state cost 20 s at import and again
 * at every open, through a sort that grew as n^2/701).
 *
 * The bound is asserted on what the code did, never on time: a text far
 * past MEM_SHINGLE_MAX_BYTES / MEM_SHINGLE_MAX_TOKENS yields at most the
 * cap's shingles, and exactly the shingles of its bounded prefix; a
 * multi-megabyte state goes through the public import and is retrieved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/mem_int.h"
#include "jitrl.h"
#include "testutil.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A text of n distinct tokens "w0 w1 ..." (plus repeats every 7th, so
 * duplicates must be merged). */
static char *distinct_text(size_t n, size_t *len)
{
    size_t cap = n * 12 + 1, off = 0;
    char *t = malloc(cap);
    if (!t) return NULL;
    t[0] = '\0';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(t + off, cap - off, "w%zu ", i % 7 == 6 ? i - 3 : i);
    *len = off;
    return t;
}

/* Sorted unique, and the same set as the naive path: hash the unigrams the
 * same way through mem_shingle of each token alone, qsort, unique. */
static void test_sort_sizes(void)
{
    static const size_t sizes[] = {0, 1, 2, 5, 63, 64, 65, 300, 1000, 5000, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t len = 0, n = sizes[k];
        char *t = distinct_text(n, &len);
        CHECK(t != NULL);
        if (!t) return;
        uint64_t *h = NULL;
        uint32_t nh = 0;
        CHECK_INT(mem_shingle(t, 1, &h, &nh), JITRL_OK);
        /* naive: each token's hash on its own */
        size_t cap = n ? n : 1, m = 0;
        uint64_t *ref = malloc(cap * sizeof *ref);
        char *save = NULL;
        for (char *w = strtok_r(t, " ", &save); w && m < MEM_SHINGLE_MAX_TOKENS; w = strtok_r(NULL, " ", &save)) {
            uint64_t *one = NULL;
            uint32_t n1 = 0;
            CHECK_INT(mem_shingle(w, 1, &one, &n1), JITRL_OK);
            CHECK_INT(n1, 1);
            if (n1 == 1) ref[m++] = one[0];
            jr_free(one);
        }
        qsort(ref, m, sizeof *ref, cmp_u64);
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
            if (!u || ref[i] != ref[u - 1]) ref[u++] = ref[i];
        CHECK_INT(nh, u);
        int same = nh == u;
        for (size_t i = 0; same && i < u; i++) same = h[i] == ref[i];
        CHECK_MSG(same, "size %zu: shingles differ from the naive sort", n);
        jr_free(h);
        free(ref);
        free(t);
    }
}

/* Far past both caps: the result has at most MEM_SHINGLE_MAX_TOKENS
 * shingles and equals the shingles of the bounded prefix, so the rest of
 * the text was never part of the work. */
static void test_bound(void)
{
    size_t len = 0;
    char *t = distinct_text(2000000, &len);   /* ~16 MB, 2M distinct tokens */
    CHECK(t && len > ((size_t)8 << 20));
    if (!t) return;
    for (int ngram = 1; ngram <= 3; ngram += 2) {
        uint64_t *h = NULL, *hp = NULL;
        uint32_t nh = 0, np = 0;
        CHECK_INT(mem_shingle(t, ngram, &h, &nh), JITRL_OK);
        CHECK_MSG(nh <= MEM_SHINGLE_MAX_TOKENS, "%u shingles from a 16 MB field (cap %zu)", nh,
                  (size_t)MEM_SHINGLE_MAX_TOKENS);
        CHECK(nh > MEM_SHINGLE_MAX_TOKENS / 2);
        /* the prefix holding exactly the capped tokens */
        size_t cut = 0, tokens = 0;
        while (cut < len && tokens < MEM_SHINGLE_MAX_TOKENS) {
            while (t[cut] == ' ') cut++;
            while (cut < len && t[cut] != ' ') cut++;
            tokens++;
        }
        char keep = t[cut];
        t[cut] = '\0';
        CHECK_INT(mem_shingle(t, ngram, &hp, &np), JITRL_OK);
        t[cut] = keep;
        CHECK_INT(np, nh);
        CHECK(np == nh && !memcmp(h, hp, nh * sizeof *h));
        jr_free(h);
        jr_free(hp);
    }
    /* One 16 MB token of letters: scanned up to the byte cap only, one
     * shingle, the same as its first MEM_SHINGLE_MAX_BYTES bytes. */
    memset(t, 'a', len);
    uint64_t *h = NULL, *hp = NULL;
    uint32_t nh = 0, np = 0;
    CHECK_INT(mem_shingle(t, 2, &h, &nh), JITRL_OK);
    t[MEM_SHINGLE_MAX_BYTES] = '\0';
    CHECK_INT(mem_shingle(t, 2, &hp, &np), JITRL_OK);
    CHECK(nh == 1 && np == 1 && h[0] == hp[0]);
    jr_free(h);
    jr_free(hp);
    free(t);
}

/* A 6 MB state through the public import, then retrieved by a query that
 * shares its bounded prefix. */
static void test_import_big(void)
{
    const char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "big.jsonl");
    size_t len = 0;
    char *t = distinct_text(700000, &len);
    CHECK(t != NULL);
    if (!t) return;
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) { free(t); return; }
    fprintf(f, "{\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":{\"current\":\"%s\"},"
               "\"action\":\"go\",\"reward\":1,\"return\":1}]}\n", t);
    CHECK(fclose(f) == 0);
    jitrl_memory *mem = NULL;
    char err[256];
    CHECK_INT(jitrl_memory_open(NULL, NULL, &mem, err, sizeof err), JITRL_OK);
    size_t n = 0;
    CHECK_INT(jitrl_memory_import(mem, path, &n), JITRL_OK);
    CHECK_INT(n, 1);
    jitrl_memory_stats st;
    CHECK_INT(jitrl_memory_stats_get(mem, &st), JITRL_OK);
    CHECK_INT(st.steps, 1);
    /* The index holds at most the capped shingles of the field. */
    CHECK_MSG(st.index_bytes < ((size_t)64 << 20), "index %zu bytes for one capped state", st.index_bytes);
    jitrl_memory_close(mem);
    free(t);
}

int main(void)
{
    test_sort_sizes();
    test_bound();
    test_import_big();
    return tu_done();
}
