/*
 * test_concurrency.c -- 8 threads decide on one memory while 1 thread adds
 * episodes, over 10^5 stored steps; every decision must equal the one a
 * serial run makes on the same memory contents.
 *
 * How "the same contents" is known: the writer adds whole episodes in a
 * fixed order, and every decision reports index_steps, the number of
 * steps its index held.  Afterwards a second memory is filled serially in
 * the same order, and each decision is replayed (same state, candidates,
 * params, seed) when that memory holds exactly index_steps steps.  A
 * decision that saw half an episode would name a count that never occurs
 * and fail.  The deciders use query handles (even threads) and
 * jitrl_decide_json (odd threads); thresholds alternate between the
 * paper's 0.95 (partition index) and 0.6 (prefix filtering, whose
 * per-shingle postings are built lazily, by the first decision that needs
 * them, under the write lock).
 *
 * Built and run under ThreadSanitizer too (make TSAN=1, scripts/test.sh),
 * which checks that no two threads touch the same memory unordered.  The
 * test is not timed; its size is picked so the TSan run takes well under a
 * minute on two cores.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl.h"
#include "testutil.h"

enum {
    ROOMS = 300,
    BASE_EPISODES = 3800,     /* x 25 steps = 95,000 stored before the threads start */
    STEPS = 25,
    WRITER_EPISODES = 240,    /* + 6,000 while they run: 101,000 in all */
    DECIDERS = 8,
    MIN_DECISIONS = 100,      /* per decider; they go on while the writer runs ... */
    MAX_DECISIONS = 1000,     /* ... up to this many */
    NCAND = 4,
};

static const char *const verbs[] = {"north", "south", "east", "west", "take lamp", "open door", "read note",
                                    "light lamp", "up", "down"};

/* State t of episode e: a room with some of its objects, the last action. */
static void make_state(uint64_t e, int t, char *cur, size_t cc, char *hist, size_t hc, const char **act,
                       double *reward)
{
    uint64_t x = (e * 2654435761u + (uint64_t)t * 40503u) ^ (e >> 3);
    unsigned room = (unsigned)(x % ROOMS), objs = (unsigned)((x >> 12) % 4);
    snprintf(cur, cc,
             "Room %u. A quiet place number %u with walls of stone %u and a floor of wood %u. "
             "You see %s%s%s.",
             room, room * 7 % 101, room % 13, room % 17, objs & 1 ? "a lamp, " : "", objs & 2 ? "a note, " : "",
             "dust");
    snprintf(hist, hc, "%s", t ? verbs[(x >> 20) % 10] : "");
    *act = verbs[(x >> 24) % 10];
    *reward = (double)((x >> 28) % 5 == 0) * (1 + (double)(room % 3));
}

static int add_episode(jitrl_memory *mem, uint64_t e)
{
    char cur[STEPS][256], hist[STEPS][32];
    jitrl_field f[STEPS][2];
    jitrl_step s[STEPS];
    for (int t = 0; t < STEPS; t++) {
        const char *a;
        double r;
        make_state(e, t, cur[t], sizeof cur[t], hist[t], sizeof hist[t], &a, &r);
        f[t][0] = (jitrl_field){"current", cur[t]};
        f[t][1] = (jitrl_field){"history", hist[t]};
        s[t] = (jitrl_step){{f[t], 2}, a, r};
    }
    jitrl_episode_info info = {"conc", 0, 1};
    return jitrl_memory_add_episode(mem, &info, s, STEPS, 0.5, NULL);
}

typedef struct result {
    uint64_t q;            /* which query (state, params, seed) */
    size_t index_steps;
    size_t chosen, n_actions, n_neighbours;
    double v;
    double probs[16], adv[16];
    int rc;
} result;

typedef struct decider {
    jitrl_memory *mem;
    int id;
    result res[MAX_DECISIONS];
    int n;
    int failures;
    char why[256];
} decider;

static void query_params(uint64_t q, jitrl_params *p)
{
    jitrl_params_default(p, NULL);
    p->threshold = q % 2 ? 0.6 : 0.95;
    p->k = 10;
    p->mode = JITRL_MODE_SAMPLE;
}

static void query_state(uint64_t q, char *cur, size_t cc, char *hist, size_t hc)
{
    const char *a;
    double r;
    make_state(q * 7919 % (BASE_EPISODES + WRITER_EPISODES), (int)(q % STEPS), cur, cc, hist, hc, &a, &r);
}

static int decide_c(jitrl_query *qh, uint64_t q, result *out)
{
    char cur[256], hist[32];
    query_state(q, cur, sizeof cur, hist, sizeof hist);
    jitrl_field f[2] = {{"current", cur}, {"history", hist}};
    jitrl_state st = {f, 2};
    jitrl_params p;
    query_params(q, &p);
    const char *cand[NCAND] = {verbs[q % 10], verbs[(q + 3) % 10], "wait", "xyzzy"};
    double lg[NCAND] = {0.1, -0.2, 0.3, 0};
    jitrl_rng rng;
    jitrl_rng_seed(&rng, q);
    jitrl_decision *d = NULL;
    int rc = jitrl_query_decide(qh, &p, &st, cand, lg, NCAND, &rng, &d);
    memset(out, 0, sizeof *out);
    out->q = q;
    out->rc = rc;
    if (!rc) {
        out->index_steps = d->index_steps;
        out->chosen = d->chosen;
        out->n_actions = d->n_actions < 16 ? d->n_actions : 16;
        out->n_neighbours = d->n_neighbours;
        out->v = d->v;
        for (size_t i = 0; i < out->n_actions; i++) {
            out->probs[i] = d->probs[i];
            out->adv[i] = d->adv[i];
        }
    }
    jitrl_decision_free(d);
    return rc;
}

static int decide_json(jitrl_memory *mem, uint64_t q, result *out)
{
    char cur[256], hist[32], req[1024];
    query_state(q, cur, sizeof cur, hist, sizeof hist);
    snprintf(req, sizeof req,
             "{\"state\":{\"current\":\"%s\",\"history\":\"%s\"},\"candidates\":[{\"action\":\"%s\",\"logit\":0.1},"
             "{\"action\":\"%s\",\"logit\":-0.2},{\"action\":\"wait\",\"logit\":0.3},{\"action\":\"xyzzy\",\"logit\":0}],"
             "\"params\":{\"threshold\":%s,\"k\":10},\"seed\":%llu}",
             cur, hist, verbs[q % 10], verbs[(q + 3) % 10], q % 2 ? "0.6" : "0.95", (unsigned long long)q);
    char *resp = NULL;
    int rc = jitrl_decide_json(mem, req, &resp);
    memset(out, 0, sizeof *out);
    out->q = q;
    out->rc = rc;
    json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
    if (!rc && j) {
        out->index_steps = (size_t)json_integer_value(json_object_get(j, "index_steps"));
        out->chosen = (size_t)json_integer_value(json_object_get(j, "index"));
        json_t *pr = json_object_get(j, "probs"), *ad = json_object_get(j, "advantages");
        out->n_actions = json_array_size(pr) < 16 ? json_array_size(pr) : 16;
        out->n_neighbours = (size_t)json_integer_value(json_object_get(j, "neighbours"));
        out->v = json_number_value(json_object_get(j, "v"));
        for (size_t i = 0; i < out->n_actions; i++) {
            out->probs[i] = json_number_value(json_array_get(pr, i));
            out->adv[i] = json_number_value(json_array_get(ad, i));
        }
    } else if (!rc) {
        out->rc = -1;
    }
    json_decref(j);
    jitrl_free(resp);
    return out->rc;
}

static atomic_int writer_done;

static void *decider_main(void *arg)
{
    decider *dc = arg;
    jitrl_query *qh = NULL;
    if (jitrl_query_open(dc->mem, &qh)) {
        dc->failures++;
        return NULL;
    }
    for (int i = 0; i < MAX_DECISIONS && (i < MIN_DECISIONS || !atomic_load(&writer_done)); i++) {
        uint64_t q = (uint64_t)dc->id * 100003u + (uint64_t)i;
        int rc = dc->id % 2 ? decide_json(dc->mem, q, &dc->res[i]) : decide_c(qh, q, &dc->res[i]);
        if (rc && !dc->failures++)
            snprintf(dc->why, sizeof dc->why, "decision %d: rc %d %s", i, rc, jitrl_query_errmsg(qh));
        dc->n = i + 1;
    }
    jitrl_query_close(qh);
    return NULL;
}

typedef struct writer {
    jitrl_memory *mem;
    int failures;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    for (uint64_t e = BASE_EPISODES; e < BASE_EPISODES + WRITER_EPISODES; e++)
        if (add_episode(w->mem, e)) w->failures++;
    atomic_store(&writer_done, 1);
    return NULL;
}

static int cmp_steps(const void *a, const void *b)
{
    const result *x = *(const result *const *)a, *y = *(const result *const *)b;
    return (x->index_steps > y->index_steps) - (x->index_steps < y->index_steps);
}

int main(void)
{
    char err[256];
    jitrl_memory *mem = NULL, *serial = NULL;
    CHECK_INT(jitrl_memory_open(NULL, NULL, &mem, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_memory_open(NULL, NULL, &serial, err, sizeof err), JITRL_OK);
    if (!mem || !serial) return tu_done();
    int bad = 0;
    for (uint64_t e = 0; e < BASE_EPISODES; e++) bad += add_episode(mem, e) != 0;
    CHECK_INT(bad, 0);

    /* A query's failure is reported on the query, never on the memory. */
    jitrl_query *q0 = NULL;
    CHECK_INT(jitrl_query_open(mem, &q0), JITRL_OK);
    jitrl_params bp;
    jitrl_params_default(&bp, NULL);
    bp.beta = -1;
    jitrl_field f0[1] = {{"current", "Room 1."}};
    jitrl_state s0 = {f0, 1};
    const char *c0[1] = {"north"};
    jitrl_rng r0;
    jitrl_rng_seed(&r0, 1);
    jitrl_decision *d0 = NULL;
    CHECK_INT(jitrl_query_decide(q0, &bp, &s0, c0, NULL, 1, &r0, &d0), JITRL_EINVAL);
    CHECK(d0 == NULL);
    CHECK(strstr(jitrl_query_errmsg(q0), "invalid parameters") != NULL);
    CHECK_STR(jitrl_memory_errmsg(mem), "");
    jitrl_query_close(q0);
    CHECK_INT(jitrl_query_open(NULL, &q0), JITRL_EINVAL);

    static decider dc[DECIDERS];
    writer w = {mem, 0};
    pthread_t th[DECIDERS], wt;
    for (int i = 0; i < DECIDERS; i++) {
        dc[i] = (decider){.mem = mem, .id = i};
        CHECK_INT(pthread_create(&th[i], NULL, decider_main, &dc[i]), 0);
    }
    CHECK_INT(pthread_create(&wt, NULL, writer_main, &w), 0);
    for (int i = 0; i < DECIDERS; i++) pthread_join(th[i], NULL);
    pthread_join(wt, NULL);
    CHECK_INT(w.failures, 0);
    for (int i = 0; i < DECIDERS; i++) CHECK_MSG(dc[i].failures == 0, "decider %d: %s", i, dc[i].why);
    jitrl_memory_stats st;
    CHECK_INT(jitrl_memory_stats_get(mem, &st), JITRL_OK);
    CHECK_INT(st.steps, (BASE_EPISODES + WRITER_EPISODES) * STEPS);
    CHECK_STR(jitrl_memory_errmsg(mem), "");

    /* Replay serially in index_steps order. */
    size_t total = 0;
    result **all = malloc((size_t)DECIDERS * MAX_DECISIONS * sizeof *all);
    if (!all) return tu_done();
    for (int i = 0; i < DECIDERS; i++)
        for (int k = 0; k < dc[i].n; k++) all[total++] = &dc[i].res[k];
    qsort(all, total, sizeof *all, cmp_steps);
    for (uint64_t e = 0; e < BASE_EPISODES; e++) bad += add_episode(serial, e) != 0;
    CHECK_INT(bad, 0);
    uint64_t next_ep = BASE_EPISODES;
    size_t have = (size_t)BASE_EPISODES * STEPS, mismatched = 0, replayed = 0, distinct = 0, with_nb = 0;
    size_t last_seen = (size_t)-1;
    jitrl_query *sq = NULL;
    CHECK_INT(jitrl_query_open(serial, &sq), JITRL_OK);
    for (size_t i = 0; i < total && sq; i++) {
        result *r = all[i];
        if (r->rc) continue;
        while (have < r->index_steps && next_ep < BASE_EPISODES + WRITER_EPISODES) {
            bad += add_episode(serial, next_ep++) != 0;
            have += STEPS;
        }
        if (have != r->index_steps) {
            CHECK_MSG(0, "a decision saw %zu steps, not a whole number of episodes", r->index_steps);
            continue;
        }
        if (r->index_steps != last_seen) distinct++;
        last_seen = r->index_steps;
        result s;
        CHECK_INT(decide_c(sq, r->q, &s), JITRL_OK);
        replayed++;
        with_nb += s.n_neighbours > 0;
        int same = s.index_steps == r->index_steps && s.chosen == r->chosen && s.n_actions == r->n_actions &&
                   s.n_neighbours == r->n_neighbours && s.v == r->v;
        for (size_t k = 0; same && k < s.n_actions; k++) same = s.probs[k] == r->probs[k] && s.adv[k] == r->adv[k];
        if (!same && mismatched++ < 5)
            CHECK_MSG(0, "query %llu at %zu steps: threaded choice %zu |N| %zu v %.17g, serial %zu |N| %zu v %.17g",
                      (unsigned long long)r->q, r->index_steps, r->chosen, r->n_neighbours, r->v, s.chosen,
                      s.n_neighbours, s.v);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(mismatched, 0);
    CHECK_INT(replayed, total);
    /* Not vacuous: decisions ran beside the writer (they saw several
     * memory sizes) and most of them had neighbours to use. */
    CHECK_MSG(distinct >= 3, "decisions saw only %zu distinct memory sizes: no overlap with the writer", distinct);
    CHECK_MSG(with_nb * 2 >= replayed, "only %zu of %zu decisions had neighbours", with_nb, replayed);
    printf("FIGURE concurrency: %zu decisions by %d threads beside 1 writer (%d episodes), %zu distinct memory "
           "sizes seen, %zu with neighbours, all equal to the serial replay\n",
           replayed, DECIDERS, WRITER_EPISODES, distinct, with_nb);
    jitrl_query_close(sq);
    free(all);
    jitrl_memory_close(mem);
    jitrl_memory_close(serial);
    return tu_done();
}
