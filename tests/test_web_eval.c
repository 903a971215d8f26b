/*
 * test_web_eval.c -- the web kind's pure parts as data, no browser:
 * WebArena's evaluators over tests/web_eval_cases.json (answer, URL and
 * page state -> the expected score, or the expected refusal), the action
 * parser's cases (and format -> parse round trips), the values an intent
 * offers, key names, and the task loader's errors.
 */
#include "env/web/web_int.h"

#include "base/alloc.h"
#include "jitrl/error.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The page of a case: "URL LOCATOR" first, then "LOCATOR". */
static int page_locate(void *ctx, const char *url, const char *locator, json_t *prep, char **text, char *err,
                       size_t errlen)
{
    (void)prep; (void)err; (void)errlen;
    json_t *page = ctx;
    char key[1024];
    snprintf(key, sizeof key, "%s %s", url, locator);
    json_t *v = json_object_get(page, key);
    if (!v) v = json_object_get(page, locator);
    *text = jr_strdup(json_is_string(v) ? json_string_value(v) : "");
    return *text ? JITRL_OK : JITRL_ENOMEM;
}

/* A judge for the cases: the case's "judge" says what it answers. */
static int case_judge(void *ctx, const char *intent, const char *ref, const char *pred, int ua, double *score,
                      char *err, size_t errlen)
{
    (void)intent; (void)ref; (void)pred; (void)err; (void)errlen;
    json_t *c = ctx;
    const char *want = json_string_value(json_object_get(c, ua ? "judge_ua" : "judge"));
    *score = want && !strcmp(want, "correct");
    return JITRL_OK;
}

static void run_cases(json_t *root)
{
    web_sites sites;
    json_t *js = json_object_get(root, "sites");
    jitrl_web_site sv[8];
    size_t ns = 0;
    const char *k;
    json_t *v;
    json_object_foreach(js, k, v) if (ns < 8) sv[ns].name = k, sv[ns].url = json_string_value(v), ns++;
    char err[512];
    CHECK_INT(web_sites_set(&sites, sv, ns, err, sizeof err), 0);
    json_t *cases = json_object_get(root, "cases");
    CHECK(json_array_size(cases) >= 20);
    size_t n_ok = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *ans = json_object_get(c, "answer");
        const char *url = json_string_value(json_object_get(c, "url"));
        json_t *page = json_object_get(c, "page");
        const char *want_err = json_string_value(json_object_get(c, "error"));
        json_t *ev = json_object_get(c, "eval");
        double score = -1;
        err[0] = '\0';
        int with_judge = json_object_get(c, "judge") || json_object_get(c, "judge_ua");
        web_judge jd = {case_judge, c, "the question", "the note"};
        int rc = web_eval_supported(ev, with_judge, err, sizeof err);
        if (!rc)
            rc = web_eval_task(ev, &sites, json_is_string(ans) ? json_string_value(ans) : NULL, url ? url : "",
                               page_locate, page, with_judge ? &jd : NULL, &score, err, sizeof err);
        if (want_err) {
            CHECK_MSG(rc != 0 && strstr(err, want_err), "case '%s': want an error with '%s', got rc %d '%s'", name,
                      want_err, rc, err);
        } else {
            double want = json_number_value(json_object_get(c, "score"));
            CHECK_MSG(rc == 0 && score == want, "case '%s': want %g, got %g (rc %d %s)", name, want, score, rc, err);
            n_ok += rc == 0 && score == want;
        }
    }
    printf("FIGURE web_eval_cases %zu\n", json_array_size(cases));
    web_sites_free(&sites);
}

static void run_actions(json_t *root)
{
    json_t *acts = json_object_get(root, "actions");
    CHECK(json_array_size(acts) >= 20);
    for (size_t i = 0; i < json_array_size(acts); i++) {
        json_t *c = json_array_get(acts, i);
        const char *in = json_string_value(json_object_get(c, "in"));
        const char *want_err = json_string_value(json_object_get(c, "error"));
        web_action a;
        char err[256] = "";
        int rc = web_action_parse(in, &a, err, sizeof err);
        if (want_err) {
            CHECK_MSG(rc == JITRL_EINVAL && strstr(err, want_err), "'%s': want '%s', got rc %d '%s'", in, want_err, rc,
                      err);
            continue;
        }
        CHECK_MSG(rc == 0, "'%s': %s", in, err);
        if (rc) continue;
        CHECK_STR(web_act_name(a.kind), json_string_value(json_object_get(c, "kind")));
        const char *bid = json_string_value(json_object_get(c, "bid"));
        if (bid) CHECK_STR(a.bid, bid);
        const char *text = json_string_value(json_object_get(c, "text"));
        if (text) CHECK_STR(a.text ? a.text : "(null)", text);
        if (json_object_get(c, "dy")) {
            CHECK_INT(a.dx, json_integer_value(json_object_get(c, "dx")));
            CHECK_INT(a.dy, json_integer_value(json_object_get(c, "dy")));
        }
        /* format -> parse gives the same action back */
        if (a.kind != WA_SCROLL) {
            jr_buf b;
            jr_buf_init(&b, 1 << 16);
            int with_bid = a.kind == WA_CLICK || a.kind == WA_FILL || a.kind == WA_SELECT || a.kind == WA_PRESS;
            CHECK_INT(web_action_format(&b, a.kind, with_bid ? a.bid : NULL, (a.kind == WA_STOP && a.text && !a.text[0]) ? NULL : a.text), 0);
            web_action a2;
            CHECK_MSG(web_action_parse(jr_buf_str(&b), &a2, err, sizeof err) == 0, "reparse '%s': %s",
                      jr_buf_str(&b), err);
            CHECK_INT(a2.kind, a.kind);
            CHECK_STR(a2.bid, a.bid);
            CHECK_STR(a2.text ? a2.text : "", a.text ? a.text : "");
            web_action_free(&a2);
            jr_buf_free(&b);
        }
        web_action_free(&a);
    }
}

static void test_intent_values(void)
{
    json_t *v = web_intent_values("Search for \"blue mug\" and add 2 of them to the cart of Ann Smith", 8);
    CHECK(v != NULL);
    char *s = json_dumps(v, JSON_COMPACT);
    CHECK_STR(s, "[\"blue mug\",\"2\",\"Ann Smith\"]");
    free(s);
    json_decref(v);
    v = web_intent_values("Change my bio to \xe2\x80\x9cPro Python Developer\xe2\x80\x9d by 2024.", 8);
    s = json_dumps(v, JSON_COMPACT);
    CHECK_STR(s, "[\"Pro Python Developer\",\"2024\"]");
    free(s);
    json_decref(v);
    v = web_intent_values("What's the price of it?", 8);
    CHECK_INT(json_array_size(v), 0);
    json_decref(v);
    char k[64];
    CHECK_INT(web_key_string("Enter", k, sizeof k), 0);
    CHECK_STR(k, "\xee\x80\x87");
    CHECK_INT(web_key_string("Control+a", k, sizeof k), 0);
    CHECK_STR(k, "\xee\x80\x89" "a" "\xee\x80\x80");
    CHECK_INT(web_key_string("+", k, sizeof k), 0);
    CHECK_STR(k, "+");
    CHECK(web_key_string("", k, sizeof k) != 0);
}

static void test_task_errors(void)
{
    jitrl_web_tasks *t = NULL;
    char err[512] = "";
    const char *bad[][2] = {
        {"[1]", "not a JSON object"},
        {"{\"start_url\": \"x\", \"eval\": {\"eval_types\": []}}", "no intent"},
        {"{\"intent\": \"x\", \"eval\": {\"eval_types\": []}}", "no start_url"},
        {"{\"intent\": \"x\", \"start_url\": \"__A__\"}", "no eval object"},
        {"{\"intent\": \"x\", \"start_url\": \"__A__\", \"eval\": {}}", "eval.eval_types"},
        {"{\"intent\": ", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = jitrl_web_tasks_parse(bad[i][0], strlen(bad[i][0]), "case", &t, err, sizeof err);
        CHECK_MSG(rc == JITRL_ECORRUPT && strstr(err, bad[i][1]) && !t, "'%s': rc %d '%s'", bad[i][0], rc, err);
    }
    const char *ok = "[{\"task_id\": 7, \"start_url\": \"__SHOPPING_ADMIN__/admin\", \"intent\": \"x\", "
                     "\"eval\": {\"eval_types\": []}}, {\"start_url\": \"http://a/\", \"intent_js\": \"1\", "
                     "\"eval\": {\"eval_types\": []}}]";
    CHECK_INT(jitrl_web_tasks_parse(ok, strlen(ok), "mem", &t, err, sizeof err), 0);
    CHECK_INT(jitrl_web_tasks_count(t), 2);
    CHECK_STR(jitrl_web_task_id(t, 0), "7");
    CHECK_STR(jitrl_web_task_site(t, 0), "shopping_admin");
    CHECK_STR(jitrl_web_task_id(t, 1), "mem#1");
    CHECK_STR(jitrl_web_task_intent(t, 1), "");
    CHECK_STR(jitrl_web_task_id(t, 5), "");
    jitrl_web_tasks_close(t);
    /* placeholders */
    web_sites s;
    jitrl_web_site sv[] = {{"shopping_admin", "http://127.0.0.1:1/"}, {"__MAP__", "http://m"}};
    CHECK_INT(web_sites_set(&s, sv, 2, err, sizeof err), 0);
    char *out = NULL;
    CHECK_INT(web_sites_map(&s, "__SHOPPING_ADMIN__/a?x=__MAP__&y=__a__", &out, err, sizeof err), 0);
    CHECK_STR(out, "http://127.0.0.1:1/a?x=http://m&y=__a__");
    jr_free(out);
    CHECK_INT(web_sites_map(&s, "__WIKIPEDIA__/wiki", &out, err, sizeof err), JITRL_EINVAL);
    CHECK(strstr(err, "--site WIKIPEDIA=URL") != NULL);
    web_sites_free(&s);
    jitrl_web_site badsite = {"x", "ftp://a"};
    CHECK_INT(web_sites_set(&s, &badsite, 1, err, sizeof err), JITRL_EINVAL);
}

int main(void)
{
    char path[4096];
    const char *root = getenv("JITRL_ROOT");
    snprintf(path, sizeof path, "%s/tests/web_eval_cases.json", root ? root : ".");
    json_error_t je;
    json_t *cases = json_load_file(path, 0, &je);
    CHECK_MSG(cases != NULL, "%s: %s", path, je.text);
    if (cases) {
        run_cases(cases);
        run_actions(cases);
        json_decref(cases);
    }
    test_intent_values();
    test_task_errors();
    return tu_done();
}
