/*
 * test_report.c -- the statistics, the summary JSON and the HTML report:
 * t quantiles against published values, CIs against a hand computation,
 * summary write -> parse -> write byte-identical, bundles, bad input, the
 * paper table, and the report's SVG paths and table rows.
 */
#include "jitrl/report.h"
#include "jitrl/summary.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_t(void)
{
    /* Two-sided 95% critical values from any t table. */
    CHECK_NEAR(jitrl_t975(1), 12.7062, 1e-3);
    CHECK_NEAR(jitrl_t975(2), 4.3027, 1e-3);
    CHECK_NEAR(jitrl_t975(4), 2.7764, 1e-3);
    CHECK_NEAR(jitrl_t975(9), 2.2622, 1e-3);
    CHECK_NEAR(jitrl_t975(30), 2.0423, 1e-3);
    CHECK_NEAR(jitrl_t975(120), 1.9799, 1e-3);
    CHECK_NEAR(jitrl_t975(100000), 1.96, 1e-3);
    CHECK_NEAR(jitrl_t975(0), 0.0, 0);

    double x[5] = {1, 2, 3, 4, 5}, m, ci;
    jitrl_mean_ci95(x, 5, &m, &ci);
    CHECK_NEAR(m, 3.0, 1e-12);
    /* s = sqrt(2.5); ci = 2.7764 * s / sqrt(5) */
    CHECK_NEAR(ci, 2.776445 * sqrt(2.5) / sqrt(5.0), 1e-4);
    jitrl_mean_ci95(x, 1, &m, &ci);
    CHECK_NEAR(m, 1.0, 0);
    CHECK_NEAR(ci, 0.0, 0);
    jitrl_mean_ci95(x, 0, &m, &ci);
    CHECK_NEAR(m, 0.0, 0);
}

static jitrl_summary *make(const char *game, const char *agent, double base, double slope)
{
    jitrl_summary *s = jitrl_summary_new();
    CHECK(s != NULL);
    jitrl_summary_set(&s->game, game);
    jitrl_summary_set(&s->agent, agent);
    s->max_score = 30;
    s->episodes = 20;
    s->max_steps = 60;
    s->beta = 2;
    for (int r = 0; r < 5; r++) {
        double sc[20];
        for (int e = 0; e < 20; e++) sc[e] = base + slope * e + ((r * 7 + e * 3) % 5);
        CHECK_INT(jitrl_summary_add_run(s, 100 + (uint64_t)r, sc, 20), JITRL_OK);
        s->runs[r].wall_s = 1.5;
        s->runs[r].steps = 1200;
        s->runs[r].prompt_tokens = 1000 * (uint64_t)r;
        s->runs[r].calls = 10;
    }
    jitrl_summary_finish(s);
    return s;
}

static void test_summary(void)
{
    jitrl_summary *s = make("jitrl_cave", "jitrl", 2, 0.5);
    CHECK_NEAR(s->runs[0].final, s->runs[0].scores[19], 0);
    double m = 0;
    for (int e = 0; e < 20; e++) m += s->runs[0].scores[e];
    CHECK_NEAR(s->runs[0].avg, m / 20, 1e-12);
    CHECK_INT(s->prompt_tokens, 10000);
    CHECK_INT(s->steps, 6000);
    CHECK_NEAR(s->tokens_per_step, 10000.0 / 6000.0, 1e-12);
    CHECK_NEAR(s->wall_per_episode, 7.5 / 100, 1e-12);

    char *j1 = jitrl_summary_to_json(s);
    CHECK(j1 != NULL);
    CHECK(strstr(j1, "\"avg_mean\":") && strstr(j1, "\"final_ci95\":") && strstr(j1, "\"tokens\":{"));
    jitrl_summary **arr = NULL;
    size_t n = 0;
    char err[200];
    CHECK_INT(jitrl_summary_parse(j1, strlen(j1), &arr, &n, err, sizeof err), JITRL_OK);
    CHECK_INT(n, 1);
    char *j2 = jitrl_summary_to_json(arr[0]);
    CHECK_STR(j2, j1);
    CHECK_NEAR(arr[0]->avg_ci95, s->avg_ci95, 1e-9);
    jitrl_summary_free_array(arr, n);
    free(j2);

    /* A bundle of two. */
    jitrl_summary *t = make("jitrl_cave", "static", 1, 0);
    char *jt = jitrl_summary_to_json(t);
    size_t cap = strlen(j1) + strlen(jt) + 64;
    char *bundle = malloc(cap);
    snprintf(bundle, cap, "{\"games\": [%s, %s], \"extra\": true}", j1, jt);
    CHECK_INT(jitrl_summary_parse(bundle, strlen(bundle), &arr, &n, err, sizeof err), JITRL_OK);
    CHECK_INT(n, 2);
    if (n == 2) CHECK_STR(arr[1]->agent, "static");
    jitrl_summary_free_array(arr, n);

    /* Bad inputs are errors, never crashes. */
    static const char *bad[] = {"", "{", "[1,2]", "{\"agent\":\"x\"}", "{\"agent\":\"x\",\"runs\":[3]}",
                                "{\"games\":[{\"agent\":1,\"runs\":[]}]}", "nul\0l"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = jitrl_summary_parse(bad[i], strlen(bad[i]), &arr, &n, err, sizeof err);
        CHECK_MSG(rc == JITRL_EPARSE, "bad[%zu] gave %d", i, rc);
        CHECK(arr == NULL && n == 0);
    }
    /* Extra and missing optional fields are fine; scores drive the stats. */
    const char *minimal = "{\"agent\":\"jitrl\",\"runs\":[{\"scores\":[1,2,3]},{\"scores\":[3,4,5]}],\"x\":[]}";
    CHECK_INT(jitrl_summary_parse(minimal, strlen(minimal), &arr, &n, err, sizeof err), JITRL_OK);
    if (n == 1) {
        CHECK_NEAR(arr[0]->avg_mean, 3.0, 1e-12);
        CHECK_NEAR(arr[0]->final_mean, 4.0, 1e-12);
        CHECK_NEAR(arr[0]->final_ci95, 12.7062 * 1.0, 1e-3);
    }
    jitrl_summary_free_array(arr, n);

    double mean[25], ci[25];
    CHECK_INT(jitrl_summary_curve(s, 25, mean, ci), 20);
    CHECK_NEAR(mean[24], 0.0, 0);

    free(bundle);
    free(jt);
    free(j1);
    jitrl_summary_free(t);
    jitrl_summary_free(s);
}

static void test_paper_and_html(void)
{
    const char *tsv = "# comment\nmethod\tlibrary_avg\tlibrary_final\tzork1_avg\tzork1_final\n"
                      "static\t10.0\t10\t8.5\t10\njitrl\t25.9\t30\t53.0\t69\n";
    jitrl_paper *p = NULL;
    CHECK_INT(jitrl_paper_parse(tsv, strlen(tsv), &p), JITRL_OK);
    double a = 0, f = 0;
    CHECK(jitrl_paper_lookup(p, "zork1", "jitrl", &a, &f));
    CHECK_NEAR(a, 53.0, 0);
    CHECK_NEAR(f, 69.0, 0);
    CHECK(!jitrl_paper_lookup(p, "zork3", "jitrl", &a, &f));
    CHECK(!jitrl_paper_lookup(NULL, "zork1", "jitrl", &a, &f));
    jitrl_paper *bad = NULL;
    CHECK_INT(jitrl_paper_parse("game\tx\n", 7, &bad), JITRL_EPARSE);
    CHECK_INT(jitrl_paper_parse("method\tzork1_avg\nstatic\tabc\n", 27, &bad), JITRL_EPARSE);
    CHECK(bad == NULL);

    jitrl_summary *s[3] = {make("zork1", "static", 1, 0), make("zork1", "jitrl", 2, 0.8),
                           make("pentari", "jitrl<script>", 0, 0.1)};
    char *html = jitrl_report_html((const jitrl_summary *const *)s, 3, p, "t & t");
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "<svg") != NULL);
        CHECK(strstr(html, "class=\"curve\" data-agent=\"jitrl\"") != NULL);
        CHECK(strstr(html, "class=\"band\" data-agent=\"static\"") != NULL);
        CHECK(strstr(html, "<table id=\"summary\">") != NULL);
        CHECK(strstr(html, ">53.0<") != NULL);          /* paper Avg beside ours */
        CHECK(strstr(html, "<script") == NULL);         /* names are escaped */
        CHECK(strstr(html, "t &amp; t") != NULL);
        CHECK(strstr(html, "http://") == NULL || strstr(html, "http://www.w3.org/2000/svg") != NULL);
        /* two charts: zork1 and pentari */
        const char *q = html;
        int charts = 0;
        while ((q = strstr(q, "<svg class=\"chart\""))) { charts++; q++; }
        CHECK_INT(charts, 2);
    }
    free(html);
    for (int i = 0; i < 3; i++) jitrl_summary_free(s[i]);
    jitrl_paper_free(p);
}

/* Issue 16: absurd and mistyped values.  Parsing refuses them naming the
 * field; a summary built through the API with scores near DBL_MAX still
 * renders (the axis ignores them) instead of looping to the buffer cap. */
static void test_absurd(void)
{
    static const struct { const char *json, *why; } cases[] = {
        {"{\"agent\":\"j\",\"runs\":[{\"scores\":[1.7e308,1]}]}", "score 1 is 1.7e+308"},
        {"{\"agent\":\"j\",\"runs\":[{\"scores\":[1,-1e13]}]}", "score 2 is -1e+13"},
        {"{\"agent\":\"j\",\"runs\":[{\"scores\":[1,\"2\"]}]}", "score 2 is not a number"},
        {"{\"agent\":\"j\",\"episodes\":\"50\",\"runs\":[]}", "\"episodes\" is not a number"},
        {"{\"agent\":\"j\",\"game\":7,\"runs\":[]}", "\"game\" is not a string"},
        {"{\"agent\":\"j\",\"runs\":[{\"scores\":[1],\"fallbacks\":-3}]}", "\"fallbacks\" is -3"},
        {"{\"agent\":\"j\",\"runs\":[{\"scores\":{}}]}", "\"scores\" is not an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jitrl_summary **arr = NULL;
        size_t n = 0;
        char err[200] = "";
        int rc = jitrl_summary_parse(cases[i].json, strlen(cases[i].json), &arr, &n, err, sizeof err);
        CHECK_MSG(rc == JITRL_EPARSE, "case %zu gave %d", i, rc);
        CHECK_MSG(strstr(err, cases[i].why) != NULL, "case %zu: '%s' lacks '%s'", i, err, cases[i].why);
        jitrl_summary_free_array(arr, n);
    }
    jitrl_summary *s = jitrl_summary_new();
    double sc[3] = {1.7e308, -1.7e308, 1};
    CHECK_INT(jitrl_summary_set(&s->agent, "jitrl"), JITRL_OK);
    CHECK_INT(jitrl_summary_add_run(s, 1, sc, 3), JITRL_OK);
    CHECK_INT(jitrl_summary_add_run(s, 2, sc, 3), JITRL_OK);
    jitrl_summary_finish(s);
    char *html = jitrl_report_html((const jitrl_summary *const *)&s, 1, NULL, NULL);
    CHECK(html != NULL && strlen(html) < ((size_t)1 << 20));
    free(html);
    jitrl_summary_free(s);
}

int main(void)
{
    test_absurd();
    test_t();
    test_summary();
    test_paper_and_html();
    return tu_done();
}
