/*
 * test_retrieve.c -- the retrieval index against the exact linear scan.
 *
 * The index must return exactly the neighbours the scan returns (same step
 * ids, same similarities, same order) for every parameter combination we
 * offer: thresholds from near-duplicate (partition filter) through medium
 * (prefix filter) to none (scan), top-k with and without keep_above, and
 * field specs other than the default.  The memory is game-like: rooms with
 * fixed descriptions, objects that come and go, an inventory, a history of
 * recent actions, plus a little noise so similarities spread out.  Prints
 * FIGURE index recall at top-10 on the default (paper) parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl.h"
#include "testutil.h"

static const char *const words[] = {
    "dark", "narrow", "passage", "leads", "north", "south", "old", "wooden", "door", "stands", "open", "closed",
    "dusty", "shelf", "cold", "wind", "blows", "through", "cracks", "stone", "wall", "water", "drips", "ceiling",
    "lantern", "brass", "key", "rusty", "sword", "scroll", "rope", "coin", "silver", "map", "torn", "bottle"};
#define NWORDS (sizeof words / sizeof words[0])

typedef struct gen {
    jitrl_rng r;
    char cur[512], hist[256];
} gen;

static void gen_state(gen *g, int room, unsigned objs, unsigned inv, const char *hist, int noise)
{
    size_t len = (size_t)snprintf(g->cur, sizeof g->cur, "Room %d.", room);
    jitrl_rng rr;
    jitrl_rng_seed(&rr, (uint64_t)room * 7919);   /* a room's description is fixed */
    for (int i = 0; i < 18; i++) len += (size_t)snprintf(g->cur + len, sizeof g->cur - len, " %s", words[jitrl_rng_next(&rr) % NWORDS]);
    for (int o = 0; o < 4; o++)
        if (objs >> o & 1) len += (size_t)snprintf(g->cur + len, sizeof g->cur - len, " a %s lies here", words[24 + o]);
    len += (size_t)snprintf(g->cur + len, sizeof g->cur - len, ". Carrying:");
    for (int o = 0; o < 8; o++)
        if (inv >> o & 1) len += (size_t)snprintf(g->cur + len, sizeof g->cur - len, " %s", words[28 + o]);
    for (int i = 0; i < noise; i++)
        len += (size_t)snprintf(g->cur + len, sizeof g->cur - len, " %s", words[jitrl_rng_next(&g->r) % NWORDS]);
    snprintf(g->hist, sizeof g->hist, "%s", hist);
}

static const char *const acts[] = {"go north", "go south", "take key", "drop key", "open door", "look", "wait"};

static jitrl_memory *make_memory(const jitrl_memory_options *o, int episodes, uint64_t seed)
{
    char err[256];
    jitrl_memory *mem = NULL;
    if (jitrl_memory_open(NULL, o, &mem, err, sizeof err)) return NULL;
    gen g;
    jitrl_rng_seed(&g.r, seed);
    static char cur[40][512], hist[40][256];
    for (int e = 0; e < episodes; e++) {
        jitrl_step steps[40];
        jitrl_field f[40][2];
        int room = (int)(jitrl_rng_next(&g.r) % 6);
        unsigned objs = 15, inv = 0;
        char h[256] = "";
        for (int t = 0; t < 40; t++) {
            int noise = jitrl_rng_next(&g.r) % 4 == 0 ? (int)(jitrl_rng_next(&g.r) % 3) : 0;
            gen_state(&g, room, objs, inv, h, noise);
            memcpy(cur[t], g.cur, sizeof cur[t]);
            memcpy(hist[t], g.hist, sizeof hist[t]);
            const char *a = acts[jitrl_rng_next(&g.r) % 7];
            f[t][0] = (jitrl_field){"current", cur[t]};
            f[t][1] = (jitrl_field){"history", hist[t]};
            steps[t] = (jitrl_step){{f[t], 2}, a, (double)(jitrl_rng_next(&g.r) % 3)};
            if (!strcmp(a, "go north")) room = (room + 1) % 6;
            if (!strcmp(a, "go south")) room = (room + 5) % 6;
            if (!strcmp(a, "take key")) { objs &= ~(1u << (jitrl_rng_next(&g.r) % 4)); inv |= 1u << (jitrl_rng_next(&g.r) % 3); }
            if (!strcmp(a, "drop key")) inv = 0;
            size_t hl = strlen(h);
            if (hl > 40) memmove(h, h + hl - 40, 41);
            hl = strlen(h);
            snprintf(h + hl, sizeof h - hl, "%s%s", hl ? ", " : "", a);
        }
        jitrl_episode_info info = {"gen", e, 100 + e};
        if (jitrl_memory_add_episode(mem, &info, steps, 40, 0.5, NULL)) {
            jitrl_memory_close(mem);
            return NULL;
        }
    }
    return mem;
}

/* Compare index and scan on n queries; returns mean recall (1 = same)
 * over the queries the scan finds neighbours for, NAN when it finds none
 * (a recall of nothing is no recall: the check must fail). */
static double compare(jitrl_memory *mem, const jitrl_params *pp, int n, uint64_t seed, int *mismatch,
                      size_t *neigh)
{
    gen g;
    jitrl_rng_seed(&g.r, seed);
    jitrl_params pi = *pp, px = *pp;
    pi.mode = px.mode = JITRL_MODE_ARGMAX;
    pi.lambda = px.lambda = 0;
    px.exact = 1;
    double rsum = 0;
    int rn = 0;
    for (int i = 0; i < n; i++) {
        /* Queries look like the states an agent meets: often an episode
         * start (full room, empty hands, short history), sometimes not. */
        char h[64] = "";
        uint64_t x = jitrl_rng_next(&g.r);
        if (x % 3 == 1) snprintf(h, sizeof h, "%s", acts[(x >> 8) % 7]);
        if (x % 3 == 2) snprintf(h, sizeof h, "%s, %s", acts[(x >> 8) % 7], acts[(x >> 16) % 7]);
        gen_state(&g, (int)((x >> 24) % 7), (x >> 32) & 1 ? 15 : (unsigned)((x >> 36) % 16),
                  (x >> 40) & 1 ? 0 : (unsigned)((x >> 44) % 8), h, (x >> 48) % 4 ? 0 : (int)((x >> 52) % 3));
        jitrl_field f[2] = {{"current", g.cur}, {"history", g.hist}};
        jitrl_state s = {f, 2};
        const char *c[1] = {"look"};
        jitrl_decision *a = NULL, *b = NULL;
        if (jitrl_decide(mem, &pi, &s, c, NULL, 1, NULL, &a) || jitrl_decide(mem, &px, &s, c, NULL, 1, NULL, &b)) {
            (*mismatch)++;
        } else {
            int same = a->n_neighbours == b->n_neighbours && a->n_listed == b->n_listed &&
                       fabs(a->v - b->v) < 1e-12;
            size_t hit = 0;
            for (size_t xi = 0; xi < b->n_listed; xi++) {
                for (size_t y = 0; y < a->n_listed; y++)
                    if (a->neighbours[y].step_id == b->neighbours[xi].step_id) { hit++; break; }
                if (xi < a->n_listed && (a->neighbours[xi].step_id != b->neighbours[xi].step_id ||
                                        a->neighbours[xi].sim != b->neighbours[xi].sim))
                    same = 0;
            }
            if (!same) (*mismatch)++;
            if (b->n_listed) {
                rsum += (double)hit / (double)b->n_listed;
                rn++;
            }
            *neigh += b->n_neighbours;
        }
        jitrl_decision_free(a);
        jitrl_decision_free(b);
    }
    return rn ? rsum / rn : NAN;
}

int main(void)
{
    int sanitized = getenv("JITRL_SANITIZED") != NULL;
    int episodes = sanitized ? 60 : 200, queries = sanitized ? 60 : 300;
    jitrl_memory *mem = make_memory(NULL, episodes, 1);
    CHECK(mem != NULL);
    if (!mem) return tu_done();
    jitrl_memory_stats st;
    jitrl_memory_stats_get(mem, &st);

    jitrl_params p;
    jitrl_params_default(&p, "text");
    int mismatch = 0;
    size_t neigh = 0;
    double recall = compare(mem, &p, queries, 99, &mismatch, &neigh);
    CHECK_MSG(recall >= 0.95, "recall %.4f (NAN: no query had neighbours)", recall);
    CHECK(neigh >= (size_t)queries);   /* most queries have neighbours: the recall measures something */
    CHECK_INT(mismatch, 0);
    printf("FIGURE index recall at top-10 (paper text parameters): %.4f over %d queries, %zu steps, %zu distinct "
           "states, mean |N| %.1f\n",
           recall, queries, st.steps, st.distinct_states, (double)neigh / queries);

    /* Every other combination must agree exactly too. */
    const double thresholds[] = {0.99, 0.9, 0.8, 0.6, 0.3, 0.0};
    const size_t ks[] = {10, 3, 0};
    int combos = 0;
    for (size_t t = 0; t < sizeof thresholds / sizeof thresholds[0]; t++)
        for (size_t k = 0; k < 3; k++)
            for (int keep = 0; keep < 2; keep++)
                for (int w = 0; w < 2; w++) {
                    jitrl_params q = p;
                    q.threshold = thresholds[t];
                    q.k = ks[k];
                    q.keep_above = keep ? 0.98 : 2.0;
                    q.weighted = w;
                    int mm = 0;
                    size_t nn = 0;
                    compare(mem, &q, sanitized ? 5 : 25, 1000 + t * 10 + k, &mm, &nn);
                    CHECK_MSG(mm == 0, "threshold %.2f k %zu keep %d weighted %d: %d mismatches", q.threshold, q.k,
                              keep, w, mm);
                    combos++;
                }
    jitrl_memory_close(mem);

    /* A different field spec: history heavier, 2-grams on current, a
     * third field nobody fills. */
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.fields[0] = (jitrl_field_spec){"current", 2, 0.5};
    o.fields[1] = (jitrl_field_spec){"history", 1, 0.6};
    o.fields[2] = (jitrl_field_spec){"unused", 3, 0.1};
    o.n_fields = 3;
    mem = make_memory(&o, sanitized ? 30 : 120, 2);
    CHECK(mem != NULL);
    for (size_t t = 0; mem && t < 4; t++) {
        jitrl_params q = p;
        q.threshold = thresholds[t];
        int mm = 0;
        size_t nn = 0;
        compare(mem, &q, sanitized ? 10 : 40, 7 + t, &mm, &nn);
        CHECK_MSG(mm == 0, "3-field spec, threshold %.2f: %d mismatches", q.threshold, mm);
        combos++;
    }
    jitrl_memory_close(mem);
    printf("FIGURE index == exact scan on %d parameter combinations\n", combos);
    return tu_done();
}
