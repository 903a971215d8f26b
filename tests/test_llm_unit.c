/*
 * test_llm_unit.c -- the model backend with a fake transport, no sockets:
 * canned replies in, parsed priors out (tests as data, in the curl
 * style), the label/floor/verbal maths exactly, backoff bounds, and
 * out-of-memory at every allocation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "jitrl/llm.h"
#include "llm/llm_int.h"
#include "testutil.h"

typedef struct canned {
    int trc;            /* transport result */
    long status;
    const char *body;
    long retry_after_ms;
} canned;

typedef struct fake {
    const canned *script;
    size_t n, next;
    char last_body[65536];
    long sleeps[32];
    int n_sleeps;
} fake;

static int fake_post(void *ctx, const char *url, const char *api_key, const char *body,
                     size_t body_len, long timeout_ms, long *status, char **reply,
                     size_t *reply_len, long *retry_after_ms, char *err, size_t errlen)
{
    fake *f = ctx;
    snprintf(f->last_body, sizeof f->last_body, "%s", body);
    const canned *c = &f->script[f->next < f->n ? f->next : f->n - 1];
    f->next++;
    *status = c->status;
    *retry_after_ms = c->retry_after_ms;
    *reply = NULL;
    *reply_len = 0;
    if (c->trc) {
        snprintf(err, errlen, "fake failure");
        return c->trc;
    }
    if (c->body) {
        *reply = strdup(c->body);
        if (!*reply) return JITRL_ENOMEM;
        *reply_len = strlen(c->body);
    }
    return JITRL_OK;
}

static void fake_sleep(void *ctx, long ms)
{
    fake *f = ctx;
    if (f->n_sleeps < 32) f->sleeps[f->n_sleeps++] = ms;
}

static jitrl_llm *open_fake(fake *f, jitrl_llm_transport *tr, jitrl_llm_mode mode)
{
    tr->ctx = f;
    tr->post = fake_post;
    tr->sleep_ms = fake_sleep;
    jitrl_llm_config cfg;
    jitrl_llm_config_init(&cfg);
    cfg.base_url = "http://fake/v1/";
    cfg.model = "m";
    cfg.mode = mode;
    cfg.transport = tr;
    cfg.backoff_ms = 100;
    cfg.max_backoff_ms = 1000;
    cfg.max_retries = 4;
    jitrl_llm *llm = NULL;
    if (jitrl_llm_open(&cfg, &llm, NULL, 0)) return NULL;
    return llm;
}

#define TOP(list) "{\"choices\":[{\"message\":{\"content\":\"B\"},\"logprobs\":{\"content\":[{\"token\":\"B\",\"logprob\":-1,\"top_logprobs\":" list "}]}}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":1},\"extra\":{\"x\":[1,2]}}"

static const char *const C3[] = {"look", "north", "open mailbox"};

/* One canned token-mode reply -> the expected logits (NAN = the floor). */
typedef struct token_case {
    const char *body;
    int fell_back;
    double want[3];
    double floor;
} token_case;

static void test_token_parsing(void)
{
    static const token_case cases[] = {
        /* the documented shape, extra members everywhere */
        {TOP("[{\"token\":\"B\",\"logprob\":-0.1,\"bytes\":[66]},{\"token\":\"A\",\"logprob\":-2.5},{\"token\":\"C\",\"logprob\":-3}]"),
         0, {-2.5, -0.1, -3}, 0},
        /* " A" and "A" are one label: log(e^-1 + e^-2); "C" absent gets the floor */
        {TOP("[{\"token\":\" A\",\"logprob\":-1},{\"token\":\"A\",\"logprob\":-2},{\"token\":\"B\",\"logprob\":-3},{\"token\":\"The\",\"logprob\":-4}]"),
         0, {-0.6867383124818, -3, NAN}, -4 - 2.302585092994046},
        /* "(C)" and "B." are labels; lower case "a" and "D" (out of range) are not */
        {TOP("[{\"token\":\"(C)\",\"logprob\":-0.5},{\"token\":\"a\",\"logprob\":-1},{\"token\":\"B.\",\"logprob\":-2},{\"token\":\"D\",\"logprob\":-6}]"),
         0, {NAN, -2, -0.5}, -6 - 2.302585092994046},
        /* -Infinity-like and positive values: junk ignored, positives clamped */
        {TOP("[{\"token\":\"A\",\"logprob\":0.2},{\"token\":\"B\",\"logprob\":\"x\"},{\"token\":\"C\",\"logprob\":-9999}]"),
         0, {0, NAN, -100}, -100 - 2.302585092994046},
        /* unusable answers */
        {TOP("[]"), 1, {0, 0, 0}, 0},
        {TOP("[{\"token\":\"Hello\",\"logprob\":-0.1}]"), 1, {0, 0, 0}, 0},
        {"{\"choices\":[{\"message\":{\"content\":\"B\"}}]}", 1, {0, 0, 0}, 0},
        {"{\"choices\":[]}", 1, {0, 0, 0}, 0},
        {"{\"choices\":[{\"message\":{\"content\":\"B\"},\"logprobs\":null}]}", 1, {0, 0, 0}, 0},
        {"not json", 1, {0, 0, 0}, 0},
        {"", 1, {0, 0, 0}, 0},
        {"[1,2,3]", 1, {0, 0, 0}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const token_case *tc = &cases[i];
        canned script[] = {{0, 200, tc->body, -1}};
        fake f = {script, 1, 0, "", {0}, 0};
        jitrl_llm_transport tr;
        jitrl_llm *llm = open_fake(&f, &tr, JITRL_LLM_TOKEN);
        CHECK(llm != NULL);
        if (!llm) continue;
        double lg[3];
        jitrl_llm_call info;
        CHECK_INT(jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info), JITRL_OK);
        CHECK_MSG(info.fell_back == tc->fell_back, "case %zu: fell_back %d (%s)", i, info.fell_back, info.reason);
        for (int k = 0; k < 3; k++) {
            double w = isnan(tc->want[k]) ? tc->floor : tc->want[k];
            CHECK_MSG(fabs(lg[k] - w) < 1e-9, "case %zu: logit %d = %.12f, want %.12f", i, k, lg[k], w);
        }
        CHECK_INT(jitrl_llm_stats_get(llm)->fallbacks, tc->fell_back);
        if (i == 0) {
            CHECK_INT(info.prompt_tokens, 50);
            CHECK_INT(jitrl_llm_stats_get(llm)->completion_tokens, 1);
            /* the exact request: compact, ordered, nothing else */
            CHECK(strncmp(f.last_body, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":", 52) == 0);
            CHECK(strstr(f.last_body, "],\"max_tokens\":1,\"temperature\":1.0,\"logprobs\":true,\"top_logprobs\":20}") != NULL);
            CHECK(strstr(f.last_body, "A. look\\nB. north\\nC. open mailbox\\n") != NULL);
        }
        jitrl_llm_close(llm);
    }
}

#define CONTENT(s) "{\"choices\":[{\"message\":{\"content\":" s "}}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9}}"

static void test_verbal_propose_evaluate(void)
{
    static const struct { const char *body; int fell_back; double c[3]; } vcases[] = {
        {CONTENT("\"{\\\"A\\\": 100, \\\"B\\\": 50, \\\"C\\\": 0}\""), 0, {100, 50, 0}},
        {CONTENT("\"Sure!\\n```json\\n{\\\"B\\\": 250, \\\" C \\\": -4}\\n```\""), 0, {-1, 100, 0}},
        {CONTENT("\"[20, 40]\""), 0, {20, 40, -1}},
        {CONTENT("\"{\\\"A\\\": \\\"high\\\"}\""), 1, {0}},
        {CONTENT("\"\""), 1, {0}},
        {CONTENT("null"), 1, {0}},
    };
    for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
        canned script[] = {{0, 200, vcases[i].body, -1}};
        fake f = {script, 1, 0, "", {0}, 0};
        jitrl_llm_transport tr;
        jitrl_llm *llm = open_fake(&f, &tr, JITRL_LLM_VERBAL);
        double lg[3];
        jitrl_llm_call info;
        CHECK_INT(jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info), JITRL_OK);
        CHECK_MSG(info.fell_back == vcases[i].fell_back, "verbal %zu: %s", i, info.reason);
        for (int k = 0; k < 3 && !vcases[i].fell_back; k++) {
            double c = vcases[i].c[k] < 0 ? 0 : vcases[i].c[k];   /* left out = confidence 0 */
            CHECK_MSG(fabs(lg[k] - log((c + 1) / 101)) < 1e-12, "verbal %zu logit %d", i, k);
        }
        CHECK(strstr(f.last_body, "\"logprobs\":false}") != NULL && !strstr(f.last_body, "top_logprobs"));
        jitrl_llm_close(llm);
    }

    static const struct { const char *body; size_t n; const char *first; } pcases[] = {
        {CONTENT("\"[\\\"open  door\\\", \\\"North\\\", \\\"north\\\", 7, \\\"\\\", \\\"take lamp\\\", \\\"x\\\"]\""), 3, "open door"},
        {CONTENT("\"Here: {\\\"actions\\\": [\\\"wait\\\"]}\""), 1, "wait"},
        {CONTENT("\"go north\""), 0, NULL},
    };
    for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
        canned script[] = {{0, 200, pcases[i].body, -1}};
        fake f = {script, 1, 0, "", {0}, 0};
        jitrl_llm_transport tr;
        jitrl_llm *llm = open_fake(&f, &tr, JITRL_LLM_PROPOSE);
        char **a = NULL;
        size_t n = 0;
        jitrl_llm_call info;
        CHECK_INT(jitrl_llm_propose(llm, NULL, 3, &a, &n, &info), JITRL_OK);
        CHECK_INT(n, pcases[i].n);
        CHECK_INT(info.fell_back, pcases[i].n == 0);
        if (n && pcases[i].first) CHECK_STR(a[0], pcases[i].first);
        if (i == 0 && n == 3) { CHECK_STR(a[1], "North"); CHECK_STR(a[2], "take lamp"); }
        jitrl_llm_free_strings(a, n);
        CHECK(strstr(f.last_body, "Propose 3 different commands") != NULL);
        jitrl_llm_close(llm);
    }

    static const struct { const char *body; int fell_back; double r[3]; } ecases[] = {
        {CONTENT("\"{\\\"rewards\\\": [1, -20, 2.5]}\""), 0, {1, -10, 2.5}},
        {CONTENT("\"[0, 0, 10]\""), 0, {0, 0, 10}},
        {CONTENT("\"{\\\"rewards\\\": [1, 2]}\""), 1, {7, 7, 7}},
        {CONTENT("\"{\\\"rewards\\\": [1, \\\"2\\\", 3]}\""), 1, {7, 7, 7}},
        {CONTENT("\"no idea\""), 1, {7, 7, 7}},
    };
    const char *obs[] = {"o1", "o2", "o3"}, *acts[] = {"a1", "a2", "a3"};
    for (size_t i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
        canned script[] = {{0, 200, ecases[i].body, -1}};
        fake f = {script, 1, 0, "", {0}, 0};
        jitrl_llm_transport tr;
        jitrl_llm *llm = open_fake(&f, &tr, JITRL_LLM_TOKEN);
        double rw[3] = {7, 7, 7};
        jitrl_llm_call info;
        CHECK_INT(jitrl_llm_evaluate(llm, "task", obs, acts, 3, -10, 10, rw, &info), JITRL_OK);
        CHECK_MSG(info.fell_back == ecases[i].fell_back, "evaluate %zu: %s", i, info.reason);
        for (int k = 0; k < 3; k++) CHECK_NEAR(rw[k], ecases[i].r[k], 1e-12);
        CHECK(strstr(f.last_body, "Step 3 saw: o3\\n  did: a3") != NULL);
        jitrl_llm_close(llm);
    }
}

static void test_backoff(void)
{
    /* 503 five times: four retries, exponential with jitter, capped at 1000 */
    canned script[] = {{0, 503, "{\"error\":{\"message\":\"overloaded\"}}", -1}};
    fake f = {script, 1, 0, "", {0}, 0};
    jitrl_llm_transport tr;
    jitrl_llm *llm = open_fake(&f, &tr, JITRL_LLM_TOKEN);
    double lg[3];
    jitrl_llm_call info;
    CHECK_INT(jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 1);
    CHECK_INT(info.attempts, 5);
    CHECK(strstr(info.reason, "HTTP 503: overloaded") != NULL);
    CHECK_INT(f.n_sleeps, 4);
    for (int k = 0; k < f.n_sleeps; k++) {
        double base = 100.0 * (1 << k);
        double lo = base * 0.5, hi = base * 1.5 > 1000 ? 1000 : base * 1.5;
        CHECK_MSG(f.sleeps[k] >= (long)lo - 1 && f.sleeps[k] <= (long)hi, "sleep %d = %ld", k, f.sleeps[k]);
    }
    jitrl_llm_close(llm);

    /* Retry-After wins, capped by max_backoff_ms; timeouts and 408 retry; 400 does not */
    canned s2[] = {{0, 429, "", 700}, {0, 429, "", 60000}, {JITRL_ETIMEOUT, 0, NULL, -1},
                   {0, 408, "", -1}, {0, 200, TOP("[{\"token\":\"A\",\"logprob\":-0.1}]"), -1}};
    fake f2 = {s2, 5, 0, "", {0}, 0};
    llm = open_fake(&f2, &tr, JITRL_LLM_TOKEN);
    CHECK_INT(jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    CHECK_INT(info.attempts, 5);
    CHECK_INT(f2.sleeps[0], 700);
    CHECK_INT(f2.sleeps[1], 1000);
    CHECK_INT(jitrl_llm_stats_get(llm)->retries, 4);
    jitrl_llm_close(llm);

    canned s3[] = {{0, 400, "{\"error\":{\"message\":\"logprobs is not supported\"}}", -1}};
    fake f3 = {s3, 1, 0, "", {0}, 0};
    llm = open_fake(&f3, &tr, JITRL_LLM_TOKEN);
    CHECK_INT(jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info), JITRL_EHTTP);
    CHECK_INT(info.attempts, 1);
    CHECK(strstr(jitrl_llm_errmsg(llm), "logprobs is not supported") != NULL);
    CHECK_INT(f3.n_sleeps, 0);
    jitrl_llm_close(llm);
}

static void test_compact(void)
{
    jr_buf b;
    jr_buf_init(&b, 1000);
    CHECK_INT(llm_put_compact(&b, "  West of\n\n House \t ", 100), JITRL_OK);
    CHECK_STR(jr_buf_str(&b), "West of House");
    jr_buf_reset(&b);
    CHECK_INT(llm_put_compact(&b, "abc\xc3\xa9xyz", 4), JITRL_OK);   /* never split the é */
    CHECK_STR(jr_buf_str(&b), "abc...");
    jr_buf_free(&b);
    json_t *j = llm_extract_json("x {bad} y {\"a\": [1]} z", '{');
    CHECK(j && json_is_array(json_object_get(j, "a")));
    json_decref(j);
    CHECK(llm_extract_json("{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{}", '{') == NULL);
}

static void test_oom(void)
{
    /* Fail each allocation in turn through open + prior + propose + close:
     * every call returns JITRL_OK or JITRL_ENOMEM, and ASan sees no leak. */
    canned script[] = {{0, 200, TOP("[{\"token\":\"B\",\"logprob\":-0.1}]"), -1}};
    int saw_ok = 0, saw_oom = 0;
    for (long n = 0; n < 400 && !saw_ok; n++) {
        fake f = {script, 1, 0, "", {0}, 0};
        jitrl_llm_transport tr = {&f, fake_post, fake_sleep};
        jitrl_llm_config cfg;
        jitrl_llm_config_init(&cfg);
        cfg.base_url = "http://fake/v1";
        cfg.model = "m";
        cfg.transport = &tr;
        jitrl_llm *llm = NULL;
        double lg[3];
        jitrl_llm_call info;
        jr_alloc_fail_after(n);
        int rc = jitrl_llm_open(&cfg, &llm, NULL, 0);
        if (!rc) rc = jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info);
        jr_alloc_fail_after(-1);
        CHECK_MSG(rc == JITRL_OK || rc == JITRL_ENOMEM, "alloc %ld: rc %d", n, rc);
        if (rc == JITRL_OK) { saw_ok = 1; CHECK_INT(info.fell_back, 0); }
        else saw_oom = 1;
        jitrl_llm_close(llm);
    }
    CHECK(saw_ok && saw_oom);
}

static void test_config_env(void)
{
    jitrl_llm_config cfg;
    /* the library reads no environment (the CLI does: tests/test_cli_env.sh) */
    setenv("JITRL_LLM_TIMEOUT_MS", "1234", 1);
    setenv("JITRL_LLM_RETRIES", "lots", 1);
    setenv("JITRL_LLM_TEMPERATURE", "0.5", 1);
    jitrl_llm_config c2;
    jitrl_llm_config_init(&c2);
    CHECK_INT(c2.timeout_ms, 60000);
    CHECK_INT(c2.max_retries, 4);
    CHECK_NEAR(c2.temperature, 1.0, 0);
    CHECK(c2.api_key == NULL);
    c2.base_url = "http://h/v1";
    c2.model = "m";
    jitrl_llm *ok = NULL;
    char err[160] = "";
    CHECK_INT(jitrl_llm_open(&c2, &ok, err, sizeof err), JITRL_OK);
    jitrl_llm_close(ok);
    unsetenv("JITRL_LLM_TIMEOUT_MS");
    unsetenv("JITRL_LLM_RETRIES");
    unsetenv("JITRL_LLM_TEMPERATURE");

    /* base URLs: trailing slashes and a full endpoint path are forgiven */
    static const char *const bases[] = {"http://h/v1", "http://h/v1///", "http://h/v1/chat/completions"};
    for (int i = 0; i < 3; i++) {
        jitrl_llm_config_init(&cfg);
        cfg.base_url = bases[i];
        cfg.model = "m";
        jitrl_llm *l = NULL;
        CHECK_INT(jitrl_llm_open(&cfg, &l, NULL, 0), JITRL_OK);
        if (l) CHECK_STR(l->url, "http://h/v1/chat/completions");
        jitrl_llm_close(l);
    }

    /* OpenRouter gets provider.require_parameters unless told otherwise */
    canned script[] = {{0, 200, TOP("[{\"token\":\"A\",\"logprob\":-0.1}]"), -1}};
    fake f = {script, 1, 0, "", {0}, 0};
    jitrl_llm_transport tr = {&f, fake_post, fake_sleep};
    jitrl_llm_config_init(&cfg);
    cfg.base_url = "https://openrouter.ai/api/v1";
    cfg.model = "openai/gpt-4o-mini";
    cfg.transport = &tr;
    jitrl_llm *llm = NULL;
    CHECK_INT(jitrl_llm_open(&cfg, &llm, NULL, 0), JITRL_OK);
    double lg[3];
    CHECK_INT(jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, NULL), JITRL_OK);
    CHECK(strstr(f.last_body, ",\"provider\":{\"require_parameters\":true}}") != NULL);
    jitrl_llm_close(llm);
}

/* Mutated replies (bytes flipped, cut, spliced) through every mode: the
 * client must answer OK or fall back, never crash or misreport. */
static void test_mutations(void)
{
    static const char *const seeds[] = {
        TOP("[{\"token\":\" A\",\"logprob\":-1},{\"token\":\"B\",\"logprob\":-2}]"),
        CONTENT("\"{\\\"A\\\": 100, \\\"B\\\": 50}\""),
        CONTENT("\"[\\\"open door\\\", \\\"north\\\"]\""),
        CONTENT("\"{\\\"rewards\\\": [1, -2, 3]}\""),
    };
    static const char alphabet[] = "{}[]\",:0123456789-.eE ABtruefalsn\\";
    jr_rng r;
    jr_rng_seed(&r, 7);
    const int rounds = getenv("JITRL_SANITIZED") ? 600 : 3000;
    int ok = 1;
    for (int i = 0; i < rounds && ok; i++) {
        const char *seed = seeds[i % 4];
        char buf[1024];
        size_t len = strlen(seed);
        memcpy(buf, seed, len + 1);
        int edits = 1 + (int)jr_rng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)jr_rng_below(&r, len ? len : 1);
            switch (jr_rng_below(&r, 3)) {
            case 0: buf[at] = alphabet[jr_rng_below(&r, sizeof alphabet - 1)]; break;
            case 1: len = at; buf[len] = '\0'; break;
            default:
                if (len + 8 < sizeof buf) {
                    memmove(buf + at + 4, buf + at, len - at + 1);
                    memcpy(buf + at, "[{\"\"", 4);
                    len += 4;
                }
            }
        }
        canned script[] = {{0, 200, buf, -1}};
        fake f = {script, 1, 0, "", {0}, 0};
        jitrl_llm_transport tr;
        jitrl_llm_mode mode = i % 4 == 1 ? JITRL_LLM_VERBAL : i % 4 == 2 ? JITRL_LLM_PROPOSE : JITRL_LLM_TOKEN;
        jitrl_llm *llm = open_fake(&f, &tr, mode);
        jitrl_llm_call info;
        int rc;
        if (i % 4 == 2) {
            char **a = NULL;
            size_t n = 0;
            rc = jitrl_llm_propose(llm, NULL, 3, &a, &n, &info);
            ok &= n <= 3 && (n > 0) != info.fell_back;
            jitrl_llm_free_strings(a, n);
        } else if (i % 4 == 3) {
            const char *o[] = {"a", "b", "c"};
            double rw[3] = {0, 0, 0};
            rc = jitrl_llm_evaluate(llm, NULL, o, o, 3, -10, 10, rw, &info);
            for (int k = 0; k < 3; k++) ok &= rw[k] >= -10 && rw[k] <= 10;
        } else {
            double lg[3];
            rc = jitrl_llm_prior(llm, NULL, C3, 3, NULL, lg, &info);
            for (int k = 0; k < 3; k++) ok &= isfinite(lg[k]) && lg[k] <= 0;
            if (info.fell_back) ok &= lg[0] == 0 && lg[1] == 0 && lg[2] == 0;
        }
        ok &= rc == JITRL_OK;
        ok &= jitrl_llm_stats_get(llm)->fallbacks == info.fell_back;
        CHECK_MSG(ok, "mutation %d: rc %d reply '%s'", i, rc, buf);
        jitrl_llm_close(llm);
    }
    printf("FIGURE llm mutated replies: %d, all answered or fell back cleanly: %s\n", rounds, ok ? "yes" : "NO");
}

int main(void)
{
    test_mutations();
    test_config_env();
    test_token_parsing();
    test_verbal_propose_evaluate();
    test_backoff();
    test_compact();
    test_oom();
    return tu_done();
}
