/*
 * retrieve.c -- the neighbour set N(s): every stored step whose weighted
 * n-gram Jaccard similarity to the query is >= threshold, the k most
 * similar (ties: most recent first), plus optionally every step at or above
 * keep_above.
 *
 * Two paths give the same answer:
 *  - exact: a linear scan over the distinct states (keys), the reference
 *    for tests and for measuring the index;
 *  - indexed: prefix filtering over the primary field's inverted index.
 *    With weights normalised to sum 1, sim >= t forces the primary field's
 *    Jaccard J_p >= m = (t - (1 - w_p)) / w_p, and J_p >= m forces an
 *    overlap of at least o = ceil(m*|q|) shingles, so a qualifying set must
 *    contain at least one of ANY |q| - o + 1 of the query's shingles.  We
 *    pick the rarest ones (shortest postings; shingles no set has cost
 *    nothing), verify candidates with an early-exit merge, and never miss
 *    a neighbour.  The cost follows the number of near-duplicate states,
 *    not the number of stored steps.  When m <= 0 (a low threshold or a
 *    light primary field) no pruning is possible and we scan.
 */
#include "engine/mem_int.h"

#include <stdlib.h>
#include <string.h>

#define SIM_TOL 1e-12

typedef struct cand {
    uint32_t key;
    uint32_t recent;   /* index of the key's most recent step */
    double sim;
} cand;

typedef struct cands {
    cand *c;
    size_t n, cap;
} cands;

static int push(cands *cs, uint32_t key, uint32_t recent, double sim)
{
    if (cs->n == cs->cap && mem_grow((void **)&cs->c, &cs->cap, cs->n + 1, sizeof *cs->c)) return JITRL_ENOMEM;
    cs->c[cs->n++] = (cand){key, recent, sim};
    return JITRL_OK;
}

/* Similarity of key `kid` given the primary field's Jaccard jp. */
static double key_sim(const mem_index *ix, const mem_query *q, uint32_t kid, double jp)
{
    const uint32_t *sets = &ix->key_sets[(size_t)kid * ix->n_fields];
    double sim = ix->w[ix->primary] * jp;
    for (size_t f = 0; f < ix->n_fields; f++) {
        if (f == ix->primary || ix->w[f] == 0) continue;
        const mem_set *s = &ix->pool[f].sets[sets[f]];
        sim += ix->w[f] * mem_jaccard(q->h[f], q->n[f], s->h, s->n);
    }
    return sim;
}

static int scan_exact(mem_index *ix, const mem_query *q, double thr, cands *cs, size_t *scored)
{
    size_t p = ix->primary;
    for (uint32_t kid = 0; kid < ix->n_keys; kid++) {
        const mem_key *k = &ix->keys[kid];
        if (!k->n_steps) continue;
        const mem_set *ps = &ix->pool[p].sets[ix->key_sets[(size_t)kid * ix->n_fields + p]];
        double sim = key_sim(ix, q, kid, mem_jaccard(q->h[p], q->n[p], ps->h, ps->n));
        (*scored)++;
        if (sim >= thr - SIM_TOL && push(cs, kid, k->steps[k->n_steps - 1], sim)) return JITRL_ENOMEM;
    }
    return JITRL_OK;
}

/* Portable SWAR popcount (no -mpopcnt: __builtin_popcountll would be a
 * libgcc call in the hot loop). */
static inline uint32_t popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

/* Given the primary Jaccard jp, each other field f must reach
 * m_f = (thr - w_p*jp - (sum of the remaining weights)) / w_f, which bounds
 * its symmetric difference by (1-m_f)/m_f * |q_f| elements.  Every bit set
 * in (query bitmap XOR key bitmap) comes from such an element, so the
 * popcount cannot exceed the summed bound.  UINT32_MAX = no bound. */
static uint32_t other_bound(const mem_index *ix, const mem_query *q, double thr, double jp)
{
    size_t p = ix->primary;
    double rest = 0, total = 0;
    for (size_t f = 0; f < ix->n_fields; f++)
        if (f != p) rest += ix->w[f];
    for (size_t f = 0; f < ix->n_fields; f++) {
        if (f == p || ix->w[f] == 0) continue;
        double mf = (thr - ix->w[p] * jp - (rest - ix->w[f])) / ix->w[f] - 1e-9;
        if (mf <= 0) return UINT32_MAX;
        total += (1.0 - mf) / mf * q->n[f];
    }
    return total >= 64 ? UINT32_MAX : (uint32_t)(total + 1e-9);
}

typedef struct rare { uint32_t len; const mem_posting *po; } rare;

static int cmp_rare(const void *a, const void *b)
{
    const rare *x = a, *y = b;
    return (x->len > y->len) - (x->len < y->len);
}

/* Candidates from postings: a set qualifies for verification when it
 * appears in at least `need` of the n lists; only the first `intro` lists
 * (the shortest) may bring in a new set, which is exact because a set
 * found in none of them can reach at most n - intro < need.  With qsig,
 * a candidate must also share sig_need partition signatures (compared on
 * the set, far cheaper than scanning the long lists).  Then verify
 * J_p >= m with an early-exit merge and score the set's keys. */
static int gather(const mem_index *ix, mem_scratch *sc, const mem_query *q, double thr, double m, rare *rs, uint32_t n, uint32_t intro,
                  uint32_t need, const uint16_t *qsig, uint32_t sig_need, cands *cs, size_t *scored)
{
    size_t p = ix->primary;
    const mem_pool *pl = &ix->pool[p];
    uint32_t nq = q->n[p];
    if (mem_scratch_grow(&sc->stamp, &sc->count, &sc->cap_stamp, pl->n)) return JITRL_ENOMEM;
    if (++sc->query_no == 0) {
        memset(sc->stamp, 0, sc->cap_stamp * sizeof *sc->stamp);
        sc->query_no = 1;
    }
    size_t nseen = 0, capseen = 0;
    uint32_t *seen = NULL;
    mem_fp_t qfp = {{0, 0}};
    if (qsig) qfp = mem_fp(qsig);
    int rc = JITRL_OK;
    for (uint32_t i = 0; i < n && !rc; i++) {
        const mem_posting *po = rs[i].po;
        if (!po) continue;
        for (uint32_t j = 0; j < po->n; j++) {
            uint32_t sid = po->ids[j];
            if (qsig) {
                /* Partition path: the inline fingerprint first (sequential
                 * memory), then the full signatures on one cache line; most
                 * ids fail and never touch the stamps. */
                if (mem_fp_diff(&po->fp[j], &qfp) > MEM_PARTS - sig_need) continue;
                const uint16_t *ps = &pl->psig[(size_t)sid * MEM_PARTS];
                uint32_t same = 0;
                for (unsigned t = 0; t < MEM_PARTS; t++) same += ps[t] == qsig[t];
                if (same < sig_need) continue;
            }
            if (sc->stamp[sid] == sc->query_no) {
                sc->count[sid]++;
                continue;
            }
            if (i >= intro) continue;
            sc->stamp[sid] = sc->query_no;
            sc->count[sid] = 1;
            if (nseen == capseen && mem_grow((void **)&seen, &capseen, nseen + 1, sizeof *seen)) {
                rc = JITRL_ENOMEM;
                break;
            }
            seen[nseen++] = sid;
        }
    }
    double lo = m * nq - 1e-9, hi = nq / m + 1e-9;   /* size filter for J >= m */
    uint64_t qbm = 0;
    for (size_t f = 0; f < ix->n_fields; f++)
        if (f != p)
            for (uint32_t i = 0; i < q->n[f]; i++) qbm |= mem_bit(q->h[f][i], f);
    for (size_t c = 0; c < nseen && !rc; c++) {
        uint32_t sid = seen[c];
        const mem_set *s = &pl->sets[sid];
        if (sc->count[sid] < need || s->n < lo || s->n > hi || !s->n_keys) continue;
        double jp = mem_jaccard_min(q->h[p], nq, s->h, s->n, m);
        if (jp < 0) continue;
        uint32_t dmax = other_bound(ix, q, thr, jp);
        for (uint32_t t = 0; t < s->n_keys; t++) {
            if (dmax != UINT32_MAX && popcount64(s->kbm[t] ^ qbm) > dmax) continue;
            uint32_t kid = s->keys[t];
            const mem_key *k = &ix->keys[kid];
            if (!k->n_steps) continue;
            double sim = key_sim(ix, q, kid, jp);
            (*scored)++;
            if (sim >= thr - SIM_TOL && push(cs, kid, k->steps[k->n_steps - 1], sim)) rc = JITRL_ENOMEM;
        }
    }
    jr_free(seen);
    return rc;
}

/* J_p >= m bounds the symmetric difference: |q ^ x| <= d = (1-m)/m * |q|
 * (U <= |q|/m and |q ^ x| = U - I <= (1-m) U).  Each differing partition
 * holds at least one of those elements, so of G partitions at most d
 * differ and a qualifying set shares at least G - d partition signatures
 * with the query (pigeonhole; PartEnum-style).  We take the coarsest posted
 * level with G > d, scan the d + 1 shortest lists (one of them must hold
 * the set), and demand MEM_PARTS - d equal fine signatures before the
 * exact check.  For near-duplicate thresholds (the paper's 0.95) this is
 * sharp and exact; otherwise fall back to prefix filtering on rare
 * shingles. */
static int scan_index(mem_index *ix, mem_scratch *sc, int may_build, const mem_query *q, double thr, double m,
                      cands *cs, size_t *scored)
{
    size_t p = ix->primary;
    uint32_t nq = q->n[p];
    uint32_t d = (uint32_t)((1.0 - m) / m * nq + 1e-9);
    uint16_t qsig[MEM_PARTS];
    uint64_t fine[MEM_PARTS];
    uint32_t fine_len[MEM_PARTS];
    for (unsigned j = 0; j < MEM_PARTS; j++) {
        fine[j] = mem_part_sig(q->h[p], nq, 5, j, &fine_len[j]);
        qsig[j] = (uint16_t)fine[j];
    }
    rare best[1u << MEM_LEVEL_MAX];
    uint32_t best_intro = 0;
    uint64_t best_cost = UINT64_MAX;
    for (unsigned bits = MEM_LEVEL_MIN; bits <= MEM_LEVEL_MAX; bits++) {
        uint32_t G = 1u << bits;
        if (d >= G) continue;
        /* Empty partitions are not posted; a shared empty partition is a
         * match we cannot see, so each lowers the count we can demand. */
        rare rs[1u << MEM_LEVEL_MAX];
        uint32_t nl = 0, empty = 0;
        for (unsigned j = 0; j < G; j++) {
            uint32_t len;
            uint64_t sig = bits == 5 ? fine[j] : mem_part_sig(q->h[p], nq, bits, j, &len);
            if (bits == 5) len = fine_len[j];
            if (!len) { empty++; continue; }
            const mem_pslot *sl = mem_index_part(ix, sig);
            rs[nl].po = sl ? &ix->part[sl->pid] : NULL;   /* not dereferenced until scanned */
            rs[nl].len = sl ? sl->len : 0;
            nl++;
        }
        uint32_t need = G - d;
        if (need <= empty) continue;
        uint32_t intro = nl - (need - empty) + 1;
        if (nl > 1) qsort(rs, nl, sizeof *rs, cmp_rare);
        /* The level whose intro lists are shortest in total wins: static
         * text (a room's description) makes some partitions shared by every
         * state of the room, and finer levels have more specific ones. */
        uint64_t cost = 0;
        for (uint32_t i = 0; i < intro; i++) cost += rs[i].len;
        if (cost < best_cost) {
            best_cost = cost;
            best_intro = intro;
            memcpy(best, rs, intro * sizeof *rs);
        }
    }
    if (best_cost != UINT64_MAX)
        return gather(ix, sc, q, thr, m, best, best_intro, best_intro, 1, qsig, MEM_PARTS > d ? MEM_PARTS - d : 0, cs,
                      scored);
    /* Prefix filtering: overlap >= o = ceil(m*|q|) means a qualifying set
     * holds one of any |q| - o + 1 query shingles; scanning e more lists
     * lets us demand e + 1 hits before verifying. */
    uint32_t o = (uint32_t)(m * nq - 1e-9);
    if ((double)o < m * nq - 1e-9) o++;
    if (o < 1) o = 1;
    if (o > nq) return JITRL_OK;
    uint32_t prefix = nq - o + 1;
    if (!ix->shingles_on && !may_build) return MEM_ENEED_SHINGLES;
    if (mem_index_need_shingles(ix)) return JITRL_ENOMEM;
    uint32_t e = nq - prefix < prefix + 4 ? nq - prefix : prefix + 4;
    rare *rs = jr_malloc(nq * sizeof *rs);
    if (!rs) return JITRL_ENOMEM;
    for (uint32_t i = 0; i < nq; i++) {
        rs[i].po = mem_index_posting(ix, q->h[p][i]);
        rs[i].len = rs[i].po ? rs[i].po->n : 0;
    }
    if (nq > 1) qsort(rs, nq, sizeof *rs, cmp_rare);
    int rc = gather(ix, sc, q, thr, m, rs, prefix + e, prefix, e + 1, NULL, 0, cs, scored);
    jr_free(rs);
    return rc;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->sim != y->sim) return x->sim < y->sim ? 1 : -1;
    return (x->recent < y->recent) - (x->recent > y->recent);
}

static int add_hit(mem_result *r, uint32_t key, uint32_t take, double sim)
{
    if (!take) return JITRL_OK;
    if (r->n_hits == r->cap_hits && mem_grow((void **)&r->hits, &r->cap_hits, r->n_hits + 1, sizeof *r->hits))
        return JITRL_ENOMEM;
    r->hits[r->n_hits++] = (mem_hit){key, take, sim};
    r->n_neighbours += take;
    return JITRL_OK;
}

/* Take the `want` most recent steps across the keys of a tie group. */
static int take_recent(const mem_index *ix, const cand *g, size_t ng, size_t want, mem_result *r)
{
    uint32_t *took = jr_calloc(ng, sizeof *took);
    if (!took) return JITRL_ENOMEM;
    for (size_t w = 0; w < want; w++) {
        size_t best = ng;
        uint32_t best_idx = 0;
        for (size_t i = 0; i < ng; i++) {
            const mem_key *k = &ix->keys[g[i].key];
            if (took[i] == k->n_steps) continue;
            uint32_t idx = k->steps[k->n_steps - 1 - took[i]];
            if (best == ng || idx > best_idx) { best = i; best_idx = idx; }
        }
        if (best == ng) break;
        took[best]++;
    }
    int rc = JITRL_OK;
    for (size_t i = 0; i < ng && !rc; i++) rc = add_hit(r, g[i].key, took[i], g[i].sim);
    jr_free(took);
    return rc;
}

static int select_hits(const mem_index *ix, const jitrl_params *p, cands *cs, mem_result *r)
{
    if (cs->n > 1) qsort(cs->c, cs->n, sizeof *cs->c, cmp_cand);
    size_t remaining = p->k ? p->k : SIZE_MAX;
    for (size_t i = 0; i < cs->n;) {
        size_t j = i, total = 0;
        while (j < cs->n && cs->c[j].sim == cs->c[i].sim) total += ix->keys[cs->c[j++].key].n_steps;
        int keep_all = cs->c[i].sim >= p->keep_above - SIM_TOL;
        int rc = JITRL_OK;
        if (keep_all || total <= remaining) {
            for (size_t t = i; t < j && !rc; t++)
                rc = add_hit(r, cs->c[t].key, ix->keys[cs->c[t].key].n_steps, cs->c[t].sim);
            remaining -= total < remaining ? total : remaining;
        } else if (remaining) {
            rc = take_recent(ix, cs->c + i, j - i, remaining, r);
            remaining = 0;
        }
        if (rc) return rc;
        if (!remaining && !keep_all) break;
        i = j;
    }
    return JITRL_OK;
}

int mem_retrieve(mem_index *ix, mem_scratch *sc, int may_build, const jitrl_params *p, const jitrl_state *st,
                 mem_result *r)
{
    r->n_hits = r->n_neighbours = r->scored = 0;
    mem_query q;
    int rc = mem_query_make(ix, st, &q);
    if (rc) return rc;
    cands cs = {0};
    double thr = p->threshold;
    size_t pf = ix->primary;
    double wp = ix->w[pf];
    double m = wp > 0 ? (thr - (1.0 - wp)) / wp - 1e-9 : 0;
    if (p->exact || m <= 0 || q.n[pf] == 0) rc = scan_exact(ix, &q, thr, &cs, &r->scored);
    else rc = scan_index(ix, sc, may_build, &q, thr, m, &cs, &r->scored);
    if (!rc) rc = select_hits(ix, p, &cs, r);
    jr_free(cs.c);
    mem_query_free(&q);
    return rc;
}

void mem_result_free(mem_result *r)
{
    jr_free(r->hits);
    memset(r, 0, sizeof *r);
}
