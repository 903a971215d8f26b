/*
 * test_kl_budget.c -- the KL-budget beta and the UCB optimism
 * (docs/method.md section 6).
 *
 *  1. jitrl_policy_kl_beta on random priors and advantages: when the
 *     constraint binds, KL(softmax(z + beta A) || softmax(z)) is within 1e-6
 *     of delta, and no random policy within the budget scores a higher
 *     E[A] (the constrained optimum); when it cannot bind (the argmax set
 *     already holds enough prior mass) beta is JITRL_KL_BETA_MAX; delta 0
 *     or a constant A give beta 0.
 *  2. Through jitrl_decide: with kl_budget c the decision's beta and kl are
 *     reported, kl = c ln n to 1e-6, and the trace carries both.
 *  3. UCB: an untried action gets V + c G_max sqrt(ln(1+|N|)), a tried one
 *     its mean plus c G_max sqrt(ln(1+|N|)/(1+n_a)), G_max being the
 *     largest |G| in the memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl.h"
#include "testutil.h"

static double expect(const double *p, const double *a, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e += p[i] * a[i];
    return e;
}

static void test_root(void)
{
    jitrl_rng r;
    jitrl_rng_seed(&r, 7);
    int binding = 0, slack = 0, beaten = 0;
    double worst = 0;
    for (int t = 0; t < 400; t++) {
        size_t n = 2 + jitrl_rng_next(&r) % 30;
        double z[32], a[32], pi[32], p2[32], q[32];
        int uniform = t % 2 == 0;   /* the offline case, and a model's prior */
        for (size_t i = 0; i < n; i++) {
            z[i] = uniform ? 0 : 6 * jitrl_rng_uniform(&r) - 3;
            a[i] = 2 * jitrl_rng_uniform(&r) - 1;
        }
        if (t % 5 == 0) a[1] = a[0] = 1.0;   /* a tie at the top (Ã = 1 for both) */
        if (t % 5 == 0) for (size_t i = 2; i < n; i++) a[i] = fmin(a[i], 0.5);
        double delta = (0.1 + 0.9 * jitrl_rng_uniform(&r)) * log((double)n);
        double beta = jitrl_policy_kl_beta(uniform ? NULL : z, a, n, delta);
        jitrl_policy_update(uniform ? NULL : z, NULL, n, 0, pi);
        jitrl_policy_update(uniform ? NULL : z, a, n, beta, p2);
        double kl = jitrl_policy_kl(p2, pi, n);
        CHECK(beta >= 0);
        if (beta == 0) {
            /* only a constant A (here: the two tied actions are all there is) */
            CHECK_MSG(n == 2 && a[0] == a[1], "trial %d: beta 0 with a non-constant A", t);
            continue;
        }
        if (beta >= JITRL_KL_BETA_MAX) {
            /* slack: even all mass on the argmax set stays within delta */
            slack++;
            CHECK_MSG(kl <= delta + 1e-9, "trial %d: beta at the cap but KL %g > delta %g", t, kl, delta);
            continue;
        }
        binding++;
        double err = fabs(kl - delta);
        if (err > worst) worst = err;
        CHECK_MSG(err <= 1e-6, "trial %d (n %zu): KL %.12g, delta %.12g", t, n, kl, delta);
        /* optimality: random policies inside the budget do no better */
        double best = expect(p2, a, n);
        for (int k = 0; k < 40; k++) {
            double s = 0;
            for (size_t i = 0; i < n; i++) {
                q[i] = p2[i] * exp(0.8 * (2 * jitrl_rng_uniform(&r) - 1));
                s += q[i];
            }
            for (size_t i = 0; i < n; i++) q[i] /= s;
            if (jitrl_policy_kl(q, pi, n) <= delta && expect(q, a, n) > best + 1e-9) beaten++;
        }
    }
    printf("FIGURE kl_budget_binding %d\nFIGURE kl_budget_slack %d\nFIGURE kl_budget_max_err %.3g\n", binding,
           slack, worst);
    CHECK(binding > 200);
    CHECK(slack > 10);
    CHECK_INT(beaten, 0);
    double a0[3] = {0.5, 0.5, 0.5}, a1[3] = {1, 0, -1};
    CHECK_NEAR(jitrl_policy_kl_beta(NULL, a0, 3, 0.5), 0, 0);
    CHECK_NEAR(jitrl_policy_kl_beta(NULL, a1, 3, 0), 0, 0);
    CHECK_NEAR(jitrl_policy_kl_beta(NULL, a1, 1, 0.5), 0, 0);
}

/* One state "s" with actions taken: "a" returns 4 (twice), "b" returns 0. */
static jitrl_memory *small_memory(void)
{
    jitrl_memory *mem = NULL;
    char err[256];
    CHECK_INT(jitrl_memory_open(NULL, NULL, &mem, err, sizeof err), JITRL_OK);
    const char *acts[3] = {"a", "a", "b"};
    double rw[3] = {4, 4, 0};
    for (int e = 0; e < 3; e++) {
        jitrl_field f[2] = {{"current", "room s with a lamp"}, {"history", ""}};
        jitrl_step st = {{f, 2}, acts[e], rw[e]};
        CHECK_INT(jitrl_memory_add_episode(mem, NULL, &st, 1, 0.5, NULL), JITRL_OK);
    }
    return mem;
}

static void test_decide(void)
{
    jitrl_memory *mem = small_memory();
    jitrl_params p;
    CHECK_INT(jitrl_params_default(&p, "offline"), JITRL_OK);
    CHECK(p.kl_budget > 0);
    CHECK_INT(p.explore, JITRL_EXPLORE_UCB);
    jitrl_field f[2] = {{"current", "room s with a lamp"}, {"history", ""}};
    jitrl_state s = {f, 2};
    const char *cands[5] = {"a", "b", "c", "d", "e"};
    jitrl_rng r;
    jitrl_rng_seed(&r, 1);
    /* UCB values: |N| = 3, G_max = 4 */
    p.kl_budget = 0.5;
    p.ucb_c = 0.25;
    jitrl_decision *d = NULL;
    CHECK_INT(jitrl_decide(mem, &p, &s, cands, NULL, 5, &r, &d), JITRL_OK);
    if (!d) return;
    double b = 0.25 * 4, ln = log(4.0), v = 8.0 / 3;
    CHECK_NEAR(d->v, v, 1e-12);
    CHECK_NEAR(d->q[0], 4 + b * sqrt(ln / 3), 1e-12);
    CHECK_NEAR(d->q[1], 0 + b * sqrt(ln / 2), 1e-12);
    CHECK_NEAR(d->q[2], v + b * sqrt(ln), 1e-12);
    CHECK_INT(d->qsource[2], JITRL_Q_OPTIMISTIC);
    /* the budget: 0.5 ln 5 */
    CHECK(d->beta > 0 && d->beta < JITRL_KL_BETA_MAX);
    CHECK_NEAR(d->kl, 0.5 * log(5.0), 1e-6);
    CHECK_NEAR(jitrl_policy_kl(d->probs, d->prior_probs, 5), d->kl, 1e-12);
    char *json = NULL;
    CHECK_INT(jitrl_decision_json(d, &json), JITRL_OK);
    CHECK(json && strstr(json, "\"beta\":") && strstr(json, "\"kl\":"));
    free(json);
    jitrl_decision_free(d);
    /* a fixed beta again with kl_budget 0 */
    p.kl_budget = 0;
    p.beta = 3;
    CHECK_INT(jitrl_decide(mem, &p, &s, cands, NULL, 5, &r, &d), JITRL_OK);
    if (d) CHECK_NEAR(d->beta, 3, 0);
    jitrl_decision_free(d);
    /* bad parameters are refused */
    p.kl_budget = -1;
    CHECK_INT(jitrl_decide(mem, &p, &s, cands, NULL, 5, &r, &d), JITRL_EINVAL);
    p.kl_budget = 0;
    p.explore = (jitrl_explore)7;
    CHECK_INT(jitrl_decide(mem, &p, &s, cands, NULL, 5, &r, &d), JITRL_EINVAL);
    jitrl_memory_close(mem);
    /* the paper preset keeps the paper's rules */
    CHECK_INT(jitrl_params_default(&p, "paper"), JITRL_OK);
    CHECK_INT(p.k, 10);
    CHECK_NEAR(p.kl_budget, 0, 0);
    CHECK_INT(p.explore, JITRL_EXPLORE_LAMBDA);
}

int main(void)
{
    test_root();
    test_decide();
    return tu_done();
}
