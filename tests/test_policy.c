/*
 * test_policy.c -- the update and the estimators.
 *
 *  1. Property tests of the closed form: for random priors and advantages,
 *     softmax(z + beta*A) equals pi*exp(beta*A)/Z to 1e-9 and beats random
 *     perturbations on E[A] - (1/beta) KL(pi'||pi); beta -> 0 gives the
 *     prior; a large beta concentrates on argmax A.
 *  2. Estimator cases as data: hand-built memories with exact expected V,
 *     Q (and where it came from), augmentation and unseen handling.
 *  3. Modes (sample reproducible from the seed, argmax, legacy) and the
 *     JSON trace.
 *  4. Out-of-memory on every allocation of a decision: JITRL_ENOMEM, no
 *     leak (ASan's leak checker runs at exit in the SAN build).
 *  5. jitrl_params.size: a caller built against an older (smaller) struct
 *     gets the defaults for the fields it does not know; size 0 or one
 *     larger than the library's is refused.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "jitrl.h"
#include "testutil.h"

static double objective(const double *pi, const double *p2, const double *a, size_t n, double beta)
{
    double e = 0, kl = 0;
    for (size_t i = 0; i < n; i++) {
        e += p2[i] * a[i];
        if (p2[i] > 0) kl += p2[i] * log(p2[i] / pi[i]);
    }
    return e - kl / beta;
}

static void test_update_properties(void)
{
    jitrl_rng r;
    jitrl_rng_seed(&r, 42);
    int worse = 0, trials = 0;
    double max_err = 0;
    for (int t = 0; t < 300; t++) {
        size_t n = 2 + jitrl_rng_next(&r) % 12;
        double z[16], a[16], pi[16], p2[16], q[16];
        double beta = 0.05 + 10 * jitrl_rng_uniform(&r);
        for (size_t i = 0; i < n; i++) {
            z[i] = 6 * jitrl_rng_uniform(&r) - 3;
            a[i] = 2 * jitrl_rng_uniform(&r) - 1;
        }
        jitrl_policy_update(z, NULL, n, 0, pi);
        jitrl_policy_update(z, a, n, beta, p2);
        /* pi * exp(beta A) / Z, computed the direct way */
        double zs = 0;
        for (size_t i = 0; i < n; i++) zs += pi[i] * exp(beta * a[i]);
        for (size_t i = 0; i < n; i++) {
            double d = fabs(p2[i] - pi[i] * exp(beta * a[i]) / zs);
            if (d > max_err) max_err = d;
        }
        double best = objective(pi, p2, a, n, beta);
        for (int k = 0; k < 50; k++) {
            double s = 0;
            for (size_t i = 0; i < n; i++) {
                q[i] = p2[i] * exp(0.5 * (2 * jitrl_rng_uniform(&r) - 1));
                s += q[i];
            }
            for (size_t i = 0; i < n; i++) q[i] /= s;
            trials++;
            if (objective(pi, q, a, n, beta) > best + 1e-12) worse++;
        }
    }
    CHECK_MSG(max_err < 1e-9, "closed form off by %g", max_err);
    CHECK_MSG(worse == 0, "%d of %d perturbations beat the closed form", worse, trials);
    printf("FIGURE update: %d perturbations, none better; max |softmax(z+bA) - pi e^{bA}/Z| = %.2e\n", trials,
           max_err);

    double z[4] = {0.3, -1, 2, 0.5}, a[4] = {1, -0.5, -1, 0.2}, pi[4], p[4];
    jitrl_policy_update(z, NULL, 4, 0, pi);
    jitrl_policy_update(z, a, 4, 1e-9, p);
    for (int i = 0; i < 4; i++) CHECK_NEAR(p[i], pi[i], 1e-8);
    jitrl_policy_update(z, a, 4, 200, p);
    CHECK(p[0] > 1 - 1e-12);
    /* Huge logits must not overflow. */
    double big[3] = {1e300, 1e300, -1e300}, pb[3];
    jitrl_policy_update(big, NULL, 3, 0, pb);
    CHECK_NEAR(pb[0], 0.5, 1e-12);
    CHECK_NEAR(pb[2], 0.0, 1e-12);
}

/* ---------- estimator cases as data ----------
 * memory: episodes separated by '|', steps by ';', each step
 *   STATE:ACTION:REWARD (STATE is the "current" text; history is empty,
 *   so two states are identical (sim 1) or disjoint (sim 0.3 < 0.95)).
 * gamma is 0 unless given, so each return is its reward.
 * expect: ACTION=Q/SOURCE,... in decision order (candidates, then
 *   augmented), SOURCE one of seen, opt, unseen, none. */
static const struct ecase {
    const char *name, *memory;
    double gamma;
    const char *query, *cands;
    double lambda;
    int weighted, neutral, augment;
    double v;
    const char *expect;
} cases[] = {
    {"means", "A:go:1;A:go:3;A:take:8|B:go:100", 0, "A", "go,take", 0, 0, 0, 1, 4,
     "go=2/seen,take=8/seen"},
    {"augment", "A:go:1;A:jump:5", 0, "A", "go", 0, 0, 0, 1, 3, "go=1/seen,jump=5/seen"},
    {"no-augment", "A:go:1;A:jump:5", 0, "A", "go", 0, 0, 0, 0, 3, "go=1/seen"},
    {"unseen-optimistic", "A:go:2;A:go:4", 0, "A", "go,wait", 1, 0, 0, 1, 3, "go=3/seen,wait=5.5/opt"},
    {"unseen-zero", "A:go:2;A:go:4", 0, "A", "go,wait", 0, 0, 0, 1, 3, "go=3/seen,wait=0/unseen"},
    {"unseen-neutral", "A:go:2;A:go:4", 0, "A", "go,wait", 0, 0, 1, 1, 3, "go=3/seen,wait=3/unseen"},
    {"no-neighbours", "B:go:2", 0, "A", "go,wait", 1, 0, 0, 1, 0, "go=0/none,wait=0/none"},
    /* gamma 0.5: returns 1 + 0.5*2 = 2 and 2 for the two steps of A */
    {"returns", "A:go:1;A:go:2", 0.5, "A", "go", 0, 0, 0, 1, 2, "go=2/seen"},
    {"weighted-equal-sims", "A:go:1;A:go:3;A:take:8", 0, "A", "go,take", 0, 1, 0, 1, 4, "go=2/seen,take=8/seen"},
    /* k = 10 keeps the ten most recent of twelve identical neighbours */
    {"top-k-recent", "A:x:100;A:x:100;A:y:1;A:y:1;A:y:1;A:y:1;A:y:1;A:y:1;A:y:1;A:y:1;A:y:1;A:y:1", 0, "A", "x",
     0, 0, 0, 1, 1, "x=0/unseen,y=1/seen"},
};

static void split(char *s, char sep, char **out, size_t *n, size_t max)
{
    *n = 0;
    while (s && *n < max) {
        out[(*n)++] = s;
        s = strchr(s, sep);
        if (s) *s++ = '\0';
    }
}

static jitrl_memory *build_memory(const char *spec, double gamma)
{
    jitrl_memory *mem = NULL;
    char err[256];
    if (jitrl_memory_open(NULL, NULL, &mem, err, sizeof err)) return NULL;
    char *copy = strdup(spec), *eps[32], *st[32];
    size_t ne, ns;
    split(copy, '|', eps, &ne, 32);
    for (size_t e = 0; e < ne; e++) {
        split(eps[e], ';', st, &ns, 32);
        jitrl_step steps[32];
        jitrl_field fields[32][2];
        for (size_t i = 0; i < ns; i++) {
            char *parts[3];
            size_t np;
            split(st[i], ':', parts, &np, 3);
            fields[i][0] = (jitrl_field){"current", parts[0]};
            fields[i][1] = (jitrl_field){"history", ""};
            steps[i] = (jitrl_step){{fields[i], 2}, parts[1], strtod(parts[2], NULL)};
        }
        jitrl_episode_info info = {"case", 0, 1000 + (int64_t)e};
        CHECK_INT(jitrl_memory_add_episode(mem, &info, steps, ns, gamma, NULL), JITRL_OK);
    }
    free(copy);
    return mem;
}

static void test_estimator_cases(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct ecase *k = &cases[c];
        jitrl_memory *mem = build_memory(k->memory, k->gamma);
        CHECK(mem != NULL);
        if (!mem) continue;
        jitrl_params p;
        jitrl_params_default(&p, "text");
        p.lambda = k->lambda;
        p.weighted = k->weighted;
        p.unseen_neutral = k->neutral;
        p.augment = k->augment;
        p.mode = JITRL_MODE_ARGMAX;
        char *cc = strdup(k->cands), *cand[16];
        size_t nc;
        split(cc, ',', cand, &nc, 16);
        jitrl_field f[2] = {{"current", k->query}, {"history", ""}};
        jitrl_state s = {f, 2};
        jitrl_decision *d = NULL;
        int rc = jitrl_decide(mem, &p, &s, (const char *const *)cand, NULL, nc, NULL, &d);
        CHECK_MSG(rc == JITRL_OK, "case %s: decide %s (%s)", k->name, jitrl_strerror(rc), jitrl_memory_errmsg(mem));
        if (d) {
            CHECK_NEAR(d->v, k->v, 1e-12);
            char *ex = strdup(k->expect), *items[16];
            size_t ni;
            split(ex, ',', items, &ni, 16);
            CHECK_MSG(d->n_actions == ni, "case %s: %zu actions, expected %zu", k->name, d->n_actions, ni);
            static const char *const src[] = {"seen", "opt", "unseen", "none"};
            double maxabs = 0;
            for (size_t i = 0; i < d->n_actions; i++)
                if (fabs(d->adv[i]) > maxabs) maxabs = fabs(d->adv[i]);
            for (size_t i = 0; i < ni && i < d->n_actions; i++) {
                char *eq = strchr(items[i], '='), *sl = strchr(items[i], '/');
                *eq = *sl = '\0';
                CHECK_STR(d->actions[i], items[i]);
                CHECK_MSG(fabs(d->q[i] - strtod(eq + 1, NULL)) < 1e-9, "case %s: Q(%s) = %.17g", k->name,
                          items[i], d->q[i]);
                CHECK_MSG(!strcmp(src[d->qsource[i]], sl + 1), "case %s: %s source %s, expected %s", k->name,
                          items[i], src[d->qsource[i]], sl + 1);
                CHECK_NEAR(d->adv[i], d->q[i] - d->v, 1e-12);
                CHECK_NEAR(d->adv_norm[i], d->adv[i] / (maxabs + p.eps), 1e-12);
                CHECK(d->adv_norm[i] >= -1 && d->adv_norm[i] <= 1);
                CHECK_NEAR(d->prior_logits[i], 0, 0);
            }
            free(ex);
        }
        jitrl_decision_free(d);
        free(cc);
        jitrl_memory_close(mem);
    }
}

static void test_modes_and_trace(void)
{
    jitrl_memory *mem = build_memory("A:go:1;A:take:5;A:wait:0", 0);
    CHECK(mem != NULL);
    if (!mem) return;
    jitrl_params p;
    jitrl_params_default(&p, "text");
    const char *cand[3] = {"go", "take", "wait"};
    double logits[3] = {3, 0, 0};
    jitrl_field f[2] = {{"current", "A"}, {"history", ""}};
    jitrl_state s = {f, 2};
    jitrl_decision *d = NULL;

    /* Sampling reproduces from the seed and follows the distribution. */
    int counts[3] = {0};
    jitrl_rng r1, r2;
    jitrl_rng_seed(&r1, 9);
    jitrl_rng_seed(&r2, 9);
    for (int i = 0; i < 2000; i++) {
        jitrl_decision *a = NULL, *b = NULL;
        CHECK_INT(jitrl_decide(mem, &p, &s, cand, logits, 3, &r1, &a), JITRL_OK);
        CHECK_INT(jitrl_decide(mem, &p, &s, cand, logits, 3, &r2, &b), JITRL_OK);
        if (a && b) {
            CHECK(a->chosen == b->chosen);
            counts[a->chosen]++;
        }
        if (i == 0 && a) {
            /* V = 2, A = (-1, 3, -2) -> A~ = (-1/3, 1, -2/3) */
            double want[3], an[3] = {-1.0 / 3, 1, -2.0 / 3};
            jitrl_policy_update(logits, an, 3, p.beta, want);
            for (int k = 0; k < 3; k++) CHECK_NEAR(a->probs[k], want[k], 1e-7);
        }
        jitrl_decision_free(a);
        jitrl_decision_free(b);
    }
    CHECK_INT(jitrl_decide(mem, &p, &s, cand, logits, 3, &r1, &d), JITRL_OK);
    for (int k = 0; d && k < 3; k++)
        CHECK_MSG(fabs(counts[k] / 2000.0 - d->probs[k]) < 0.04, "action %d sampled %.3f, p = %.3f", k,
                  counts[k] / 2000.0, d->probs[k]);
    jitrl_decision_free(d);

    p.mode = JITRL_MODE_ARGMAX;
    CHECK_INT(jitrl_decide(mem, &p, &s, cand, logits, 3, NULL, &d), JITRL_OK);
    /* z' = (3 - 2/3, 0 + 2, 0 - 4/3): go still wins on its prior */
    if (d) CHECK_STR(d->actions[d->chosen], "go");
    jitrl_decision_free(d);

    /* Legacy: prior prob + A~, argmax.  pi(go) ~ 0.91 - 1/3 < pi(take) + 1. */
    p.mode = JITRL_MODE_LEGACY;
    CHECK_INT(jitrl_decide(mem, &p, &s, cand, logits, 3, NULL, &d), JITRL_OK);
    if (d) {
        CHECK_STR(d->actions[d->chosen], "take");
        CHECK_NEAR(d->probs[d->chosen], 1, 0);
        char *js = NULL;
        CHECK_INT(jitrl_decision_json(d, &js), JITRL_OK);
        CHECK(js && strstr(js, "\"chosen_action\":\"take\"") && strstr(js, "\"mode\":\"legacy\"") &&
              strstr(js, "\"q_source\":\"seen\"") && strstr(js, "\"n_neighbours\":3"));
        free(js);
    }
    jitrl_decision_free(d);

    /* Bad input is refused, never crashes. */
    const char *bad[2] = {"go", NULL};
    double inf[1] = {INFINITY};
    p.mode = JITRL_MODE_SAMPLE;
    CHECK_INT(jitrl_decide(mem, &p, &s, bad, NULL, 2, &r1, &d), JITRL_EINVAL);
    CHECK(d == NULL);
    CHECK_INT(jitrl_decide(mem, &p, &s, cand, inf, 1, &r1, &d), JITRL_EINVAL);
    CHECK_INT(jitrl_decide(mem, &p, &s, cand, NULL, 3, NULL, &d), JITRL_EINVAL);   /* sampling needs an rng */
    p.beta = -1;
    CHECK_INT(jitrl_decide(mem, &p, &s, cand, NULL, 3, &r1, &d), JITRL_EINVAL);
    jitrl_params_default(&p, "text");
    jitrl_field fb[2] = {{"current", "nowhere"}, {"history", ""}};
    jitrl_state sb = {fb, 2};
    CHECK_INT(jitrl_decide(mem, &p, &sb, NULL, NULL, 0, &r1, &d), JITRL_EINVAL);   /* no actions at all */
    CHECK(jitrl_params_default(&p, "web") == JITRL_OK && p.threshold == 0.8 && p.lambda == 0.05 && p.gamma == 0.1);
    CHECK_INT(jitrl_params_default(&p, "nope"), JITRL_EINVAL);
    jitrl_memory_close(mem);
}

/* A memory whose similarities are known exactly: one field, 1-grams, so
 * sim = Jaccard of word sets.  Three one-step episodes; sims to the query
 * "a b c": 1 ("a b c", x, 6), 3/4 ("a b c d", x, 2), 1/2 ("a b e", y, 9). */
static jitrl_memory *sim_memory(void)
{
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.fields[0] = (jitrl_field_spec){"current", 1, 1.0};
    o.n_fields = 1;
    jitrl_memory *mem = NULL;
    char err[256];
    CHECK_INT(jitrl_memory_open(NULL, &o, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return NULL;
    const char *texts[3] = {"a b c", "a b c d", "a b e"};
    double rewards[3] = {6, 2, 9};
    for (int i = 0; i < 3; i++) {
        jitrl_field f[1] = {{"current", texts[i]}};
        jitrl_step st[1] = {{{f, 1}, i == 2 ? "y" : "x", rewards[i]}};
        CHECK_INT(jitrl_memory_add_episode(mem, NULL, st, 1, 0.5, NULL), JITRL_OK);
    }
    return mem;
}

/* Similarity weights and keep_above, on sim_memory(). */
static void test_weighted_and_keep_above(void)
{
    jitrl_memory *mem = sim_memory();
    if (!mem) return;
    jitrl_params p;
    jitrl_params_default(&p, "text");
    p.threshold = 0.5;
    p.mode = JITRL_MODE_ARGMAX;
    p.lambda = 0;
    jitrl_field qf[1] = {{"current", "a b c"}};
    jitrl_state q = {qf, 1};
    const char *cand[1] = {"x"};
    jitrl_decision *d = NULL;
    CHECK_INT(jitrl_decide(mem, &p, &q, cand, NULL, 1, NULL, &d), JITRL_OK);
    if (d) {
        CHECK_INT(d->n_neighbours, 3);
        CHECK_NEAR(d->neighbours[0].sim, 1.0, 1e-15);
        CHECK_NEAR(d->neighbours[1].sim, 0.75, 1e-15);
        CHECK_NEAR(d->neighbours[2].sim, 0.5, 1e-15);
        CHECK_NEAR(d->v, 17.0 / 3, 1e-12);
        CHECK_NEAR(d->q[0], 4, 1e-12);
    }
    jitrl_decision_free(d);
    p.weighted = 1;
    CHECK_INT(jitrl_decide(mem, &p, &q, cand, NULL, 1, NULL, &d), JITRL_OK);
    if (d) {
        CHECK_NEAR(d->v, (1 * 6 + 0.75 * 2 + 0.5 * 9) / 2.25, 1e-12);
        CHECK_NEAR(d->q[0], (1 * 6 + 0.75 * 2) / 1.75, 1e-12);
        CHECK_NEAR(d->q[1], 9, 1e-12);
    }
    jitrl_decision_free(d);
    /* keep_above: k = 1 keeps only the best, keep_above 0.7 keeps two */
    p.weighted = 0;
    p.k = 1;
    CHECK_INT(jitrl_decide(mem, &p, &q, cand, NULL, 1, NULL, &d), JITRL_OK);
    if (d) CHECK_INT(d->n_neighbours, 1);
    jitrl_decision_free(d);
    p.keep_above = 0.7;
    CHECK_INT(jitrl_decide(mem, &p, &q, cand, NULL, 1, NULL, &d), JITRL_OK);
    if (d) {
        CHECK_INT(d->n_neighbours, 2);
        CHECK_NEAR(d->v, 4, 1e-12);
    }
    jitrl_decision_free(d);
    jitrl_memory_close(mem);
}

static void test_out_of_memory(void)
{
    jitrl_memory *mem = build_memory("A:go:1;A:take:5;A:wait:0|A:go:2;B:x:1", 0.5);
    CHECK(mem != NULL);
    if (!mem) return;
    jitrl_params p;
    jitrl_params_default(&p, "text");
    const char *cand[2] = {"go", "look"};
    jitrl_field f[2] = {{"current", "A"}, {"history", ""}};
    jitrl_state s = {f, 2};
    jitrl_rng r;
    jitrl_rng_seed(&r, 1);
    int ok = 0, fails = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        jitrl_decision *d = NULL;
        jr_alloc_fail_after(n);
        int rc = jitrl_decide(mem, &p, &s, cand, NULL, 2, &r, &d);
        jr_alloc_fail_after(-1);
        if (rc == JITRL_OK) ok = 1;
        else {
            fails++;
            CHECK_MSG(rc == JITRL_ENOMEM && d == NULL, "fail_after %ld: rc %d", n, rc);
        }
        jitrl_decision_free(d);
    }
    CHECK(ok);
    printf("FIGURE decide survived %d injected allocation failures\n", fails);
    /* add_episode under allocation failure: all or nothing. */
    ok = 0;
    fails = 0;
    for (long n = 0; n < 400 && !ok; n++) {
        jitrl_memory_stats a, b;
        jitrl_memory_stats_get(mem, &a);
        jitrl_field g[2] = {{"current", "C new room"}, {"history", "go"}};
        jitrl_step st[2] = {{{g, 2}, "fly", 1}, {{g, 2}, "land", 2}};
        jr_alloc_fail_after(n);
        int rc = jitrl_memory_add_episode(mem, NULL, st, 2, 0.5, NULL);
        jr_alloc_fail_after(-1);
        jitrl_memory_stats_get(mem, &b);
        if (rc == JITRL_OK) {
            ok = 1;
            CHECK_INT(b.steps, a.steps + 2);
        } else {
            fails++;
            CHECK_INT(rc, JITRL_ENOMEM);
            CHECK_INT(b.steps, a.steps);
            CHECK_INT(b.episodes, a.episodes);
        }
    }
    CHECK(ok);
    /* And the index still answers the same way after all those failures. */
    jitrl_decision *d = NULL;
    jitrl_field g[2] = {{"current", "C new room"}, {"history", "go"}};
    jitrl_state sg = {g, 2};
    p.mode = JITRL_MODE_ARGMAX;
    p.lambda = 0;
    CHECK_INT(jitrl_decide(mem, &p, &sg, NULL, NULL, 0, NULL, &d), JITRL_OK);
    if (d) {
        CHECK_INT(d->n_neighbours, 2);
        CHECK_NEAR(d->v, (2.0 + 2.0) / 2, 1e-12);   /* returns 1 + 0.5*2 = 2 and 2 */
    }
    jitrl_decision_free(d);
    printf("FIGURE add_episode survived %d injected allocation failures, all or nothing\n", fails);
    jitrl_memory_close(mem);
}

/* An older caller's jitrl_params (the struct before kl_budget, explore and
 * ucb_c were added): whatever lies past its size is not read, so values
 * that would be refused there are ignored and the decision is the one
 * with the defaults. */
static void test_params_size(void)
{
    jitrl_memory *mem = sim_memory();
    if (!mem) return;
    jitrl_params p;
    jitrl_params_default(&p, "text");
    CHECK(p.size == sizeof p);
    p.threshold = 0.5;
    p.mode = JITRL_MODE_ARGMAX;
    p.lambda = 0;   /* no draw for an unseen action: no rng needed */
    jitrl_field qf[1] = {{"current", "a b c"}};
    jitrl_state q = {qf, 1};
    const char *cand[2] = {"x", "y"};
    jitrl_decision *d0 = NULL, *d1 = NULL;
    CHECK_INT(jitrl_decide(mem, &p, &q, cand, NULL, 2, NULL, &d0), JITRL_OK);

    jitrl_params old = p;
    old.kl_budget = -1;                       /* refused if it were read */
    old.explore = (jitrl_explore)99;
    CHECK_INT(jitrl_decide(mem, &old, &q, cand, NULL, 2, NULL, &d1), JITRL_EINVAL);
    old.size = offsetof(jitrl_params, kl_budget);
    CHECK_INT(jitrl_decide(mem, &old, &q, cand, NULL, 2, NULL, &d1), JITRL_OK);
    CHECK(d0 && d1);
    if (d0 && d1) {
        CHECK_INT(d1->n_actions, d0->n_actions);
        CHECK_INT(d1->chosen, d0->chosen);
        CHECK_NEAR(d1->beta, d0->beta, 0);
        for (size_t i = 0; i < d0->n_actions && i < d1->n_actions; i++) CHECK_NEAR(d1->probs[i], d0->probs[i], 0);
    }
    jitrl_decision_free(d1);
    d1 = NULL;
    /* a shorter caller still has its own fields read: threshold 1 keeps
     * only the exact match, so V changes */
    old.threshold = 1.0;
    CHECK_INT(jitrl_decide(mem, &old, &q, cand, NULL, 2, NULL, &d1), JITRL_OK);
    if (d0 && d1) CHECK(d1->n_neighbours == 1 && d0->n_neighbours == 3);
    jitrl_decision_free(d1);
    d1 = NULL;

    old.size = 0;
    CHECK_INT(jitrl_decide(mem, &old, &q, cand, NULL, 2, NULL, &d1), JITRL_EINVAL);
    CHECK(d1 == NULL);
    CHECK(strstr(jitrl_memory_errmsg(mem), "jitrl_params.size is 0; call jitrl_params_default first") != NULL);
    old.size = sizeof old + 8;
    CHECK_INT(jitrl_decide(mem, &old, &q, cand, NULL, 2, NULL, &d1), JITRL_EINVAL);
    jitrl_query *qh = NULL;
    CHECK_INT(jitrl_query_open(mem, &qh), JITRL_OK);
    old.size = 0;
    CHECK_INT(jitrl_query_decide(qh, &old, &q, cand, NULL, 2, NULL, &d1), JITRL_EINVAL);
    CHECK(strstr(jitrl_query_errmsg(qh), "jitrl_params.size is 0") != NULL);
    jitrl_query_close(qh);
    jitrl_decision_free(d0);
    jitrl_memory_close(mem);
}

int main(void)
{
    test_update_properties();
    test_estimator_cases();
    test_modes_and_trace();
    test_weighted_and_keep_above();
    test_out_of_memory();
    test_params_size();
    return tu_done();
}
