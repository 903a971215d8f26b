/*
 * shingle.c -- the similarity features: token n-grams ("shingles") of a
 * text as sorted unique 64-bit hashes, and Jaccard over such arrays.
 *
 * Shaped for speed at retrieval time: a state's shingles are hashed once
 * (at insert, or once per query) and similarity is then a merge of two
 * sorted integer arrays, with no strings touched.  64-bit xxHash makes a
 * collision between two distinct n-grams negligible at any memory size we
 * handle.
 *
 * Tokens are maximal runs of ASCII letters and digits (lowercased) or of
 * non-ASCII bytes; everything else separates.  A text with fewer than n
 * tokens (but at least one) gives one shingle of all its tokens, so short
 * fields still compare.
 *
 * Only a text's first MEM_SHINGLE_MAX_BYTES bytes and MEM_SHINGLE_MAX_TOKENS
 * tokens count (mem_int.h), so a hostile multi-megabyte state costs the
 * same bounded work as a long ordinary one at every insert and open.
 */
#include "engine/mem_int.h"

#include <string.h>
#include <xxhash.h>

uint64_t mem_hash_bytes(const void *p, size_t n, uint64_t seed) { return XXH3_64bits_withSeed(p, n, seed); }

static int is_tok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Insertion sort below MEM_SORT_SMALL hashes: no allocation, and the
 * fastest there; most states have a few hundred shingles at most. */
#define MEM_SORT_SMALL 64

/* Sort n hashes.  Small arrays by insertion; larger ones by an LSD radix
 * sort, 8 passes of 8 bits through one scratch array: O(n) whatever the
 * input, where the Shell sort used before (Ciura gaps, largest 701) grew
 * as n^2/701 and spent 20 s on one 16 MB state.  Radix rather than qsort
 * because the keys are uniform 64-bit hashes (every pass is a plain
 * counting pass, no comparisons through a function pointer), and glibc's
 * qsort allocates a scratch array anyway.  A pass where every key has the
 * same byte is skipped.  Returns JITRL_ENOMEM when the scratch cannot be
 * allocated (a unchanged). */
static int sort_u64(uint64_t *a, size_t n)
{
    if (n < MEM_SORT_SMALL) {
        for (size_t i = 1; i < n; i++) {
            uint64_t x = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > x) { a[j] = a[j - 1]; j--; }
            a[j] = x;
        }
        return JITRL_OK;
    }
    uint64_t *tmp = jr_malloc(n * sizeof *tmp);
    if (!tmp) return JITRL_ENOMEM;
    uint64_t *src = a, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & 0xff]++;
        if (count[(src[0] >> shift) & 0xff] == n) continue;
        size_t pos = 0;
        for (unsigned b = 0; b < 256; b++) { size_t c = count[b]; count[b] = pos; pos += c; }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    jr_free(tmp);
    return JITRL_OK;
}

int mem_shingle(const char *text, int ngram, uint64_t **out, uint32_t *nout)
{
    return mem_shingle_buf(text, ngram, NULL, 0, out, nout);
}

int mem_shingle_buf(const char *text, int ngram, uint64_t *buf, size_t bufcap, uint64_t **out, uint32_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (!text || ngram < 1) return JITRL_OK;
    /* Token hashes first, on the stack for ordinary texts (a token is
     * hashed lowercased through a small buffer, long ones in pieces). */
    uint64_t stack_tok[256];
    size_t ntok = 0, cap = sizeof stack_tok / sizeof stack_tok[0];
    uint64_t *tok = stack_tok;
    /* The work per field is bounded (see MEM_SHINGLE_MAX_BYTES in
     * mem_int.h): only the first bytes and tokens of a text count. */
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *end = p + strnlen(text, MEM_SHINGLE_MAX_BYTES);
    while (p < end && ntok < MEM_SHINGLE_MAX_TOKENS) {
        while (p < end && !is_tok(*p)) p++;
        if (p == end) break;
        XXH64_hash_t th = 0x9e3779b97f4a7c15ULL;
        char lower[64];
        size_t ln = 0;
        while (p < end && is_tok(*p)) {
            unsigned char c = *p++;
            lower[ln++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            if (ln == sizeof lower) { th = XXH3_64bits_withSeed(lower, ln, th); ln = 0; }
        }
        if (ln) th = XXH3_64bits_withSeed(lower, ln, th);
        if (ntok == cap) {
            size_t nc = cap * 2;
            uint64_t *t = jr_malloc(nc * sizeof *t);
            if (!t) { if (tok != stack_tok) jr_free(tok); return JITRL_ENOMEM; }
            memcpy(t, tok, ntok * sizeof *t);
            if (tok != stack_tok) jr_free(tok);
            tok = t;
            cap = nc;
        }
        tok[ntok++] = th;
    }
    if (ntok == 0) return JITRL_OK;   /* tok is still the stack buffer */
    size_t n = (size_t)ngram;
    size_t nsh = ntok >= n ? ntok - n + 1 : 1;
    if (ntok < n) n = ntok;
    uint64_t *sh = nsh <= bufcap ? buf : jr_malloc(nsh * sizeof *sh);
    if (!sh) { if (tok != stack_tok) jr_free(tok); return JITRL_ENOMEM; }
    for (size_t i = 0; i < nsh; i++)
        sh[i] = n == 1 ? tok[i] : XXH3_64bits_withSeed(tok + i, n * sizeof *tok, n);
    if (tok != stack_tok) jr_free(tok);
    if (sort_u64(sh, nsh)) {
        if (sh != buf) jr_free(sh);
        return JITRL_ENOMEM;
    }
    size_t u = 1;
    for (size_t i = 1; i < nsh; i++)
        if (sh[i] != sh[u - 1]) sh[u++] = sh[i];
    *out = sh;
    *nout = (uint32_t)u;
    return JITRL_OK;
}

double mem_jaccard(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb)
{
    if (na == 0 && nb == 0) return 1.0;
    uint32_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else { inter++; i++; j++; }
    }
    return (double)inter / (double)(na + nb - inter);
}

double mem_jaccard_min(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb, double min)
{
    if (na == 0 && nb == 0) return 1.0;
    if (min <= 0) return mem_jaccard(a, na, b, nb);
    /* J >= min needs the intersection I >= min*(na+nb)/(1+min); each
     * mismatch lowers the best reachable I by one. */
    double need = min * (double)(na + nb) / (1.0 + min) - 1e-9;
    uint32_t small = na < nb ? na : nb;
    if ((double)small < need) return -1;
    double slack = (double)small - need;   /* mismatches we can still afford */
    uint32_t i = 0, j = 0, inter = 0, miss_a = 0, miss_b = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
            if (na <= nb ? ++miss_a > slack : 0) return -1;
        } else if (a[i] > b[j]) {
            j++;
            if (nb < na ? ++miss_b > slack : 0) return -1;
        } else { inter++; i++; j++; }
    }
    double jac = (double)inter / (double)(na + nb - inter);
    return jac >= min ? jac : -1;
}
