/*
 * test_llm.c -- the model backend against the scripted server
 * (tests/tools/llm_server.c): every prior mode, the evaluator, every fault,
 * the exact request shape, Retry-After, and the 4xx hard errors.
 *
 * Backoff waits go through a recording sleep that does not sleep, so the
 * test checks what the client would wait (Retry-After: 1 -> 1000 ms)
 * without spending it.
 */
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl/llm.h"
#include "llm/llm_int.h"
#include "llm_testsrv.h"

typedef struct sleeps { long ms[64]; int n; } sleeps;

static void record_sleep(void *ctx, long ms)
{
    sleeps *s = ctx;
    if (s->n < 64) s->ms[s->n++] = ms;
}

static sleeps slept;
static const jitrl_llm_transport recorder = {&slept, NULL, record_sleep};

static const char *const CANDS[] = {"look", "north", "open mailbox", "take leaflet"};
static const jitrl_llm_field FIELDS[] = {
    {"Location", "West of House"},
    {"Inventory", "nothing"},
    {"Objects", "small mailbox, door"},
};
static const char *const HIST[] = {"look", "wait"};
static const jitrl_llm_context CTX = {"Play Zork I and maximise the score.", FIELDS, 3,
                                      "You are standing in an open field west of a white house.",
                                      HIST, 2, NULL, NULL};

static jitrl_llm *open_llm(const char *base, jitrl_llm_mode mode, const char *key, const char *model)
{
    jitrl_llm_config cfg;
    jitrl_llm_config_init(&cfg);
    cfg.base_url = base;
    cfg.model = model ? model : "test-model";
    cfg.api_key = key;
    cfg.mode = mode;
    cfg.max_retries = 2;
    cfg.backoff_ms = 5;
    cfg.timeout_ms = 1000;   /* below the 1.5 s delay stall: that fault always times out */
    cfg.transport = &recorder;
    jitrl_llm *llm = NULL;
    char err[200];
    int rc = jitrl_llm_open(&cfg, &llm, err, sizeof err);
    CHECK_MSG(rc == JITRL_OK, "open: %s", err);
    return llm;
}

static int argmax(const double *v, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++) if (v[i] > v[b]) b = i;
    return (int)b;
}

static void test_config(void)
{
    jitrl_llm_config cfg;
    jitrl_llm_config_init(&cfg);
    CHECK_INT(cfg.top_logprobs, 20);
    CHECK_INT(cfg.mode, JITRL_LLM_TOKEN);
    jitrl_llm *llm = (jitrl_llm *)1;
    char err[200] = "";
    CHECK_INT(jitrl_llm_open(&cfg, &llm, err, sizeof err), JITRL_EINVAL);
    CHECK(llm == NULL);
    CHECK(strstr(err, "base URL") != NULL);
    cfg.base_url = "http://127.0.0.1:1/v1";
    cfg.model = "m";
    cfg.top_logprobs = 21;
    CHECK_INT(jitrl_llm_open(&cfg, &llm, err, sizeof err), JITRL_EINVAL);
    cfg.top_logprobs = 20;
    cfg.extra_json = "[1]";
    CHECK_INT(jitrl_llm_open(&cfg, &llm, err, sizeof err), JITRL_EINVAL);
    jitrl_llm_mode m;
    CHECK_INT(jitrl_llm_mode_parse("verbal", &m), JITRL_OK);
    CHECK_INT(m, JITRL_LLM_VERBAL);
    CHECK_INT(jitrl_llm_mode_parse("nope", &m), JITRL_EINVAL);
    jitrl_llm_close(NULL);
    CHECK_INT(llm_parse_retry_after("2"), 2000);
    CHECK_INT(llm_parse_retry_after(" 0.5\r\n"), 500);
    CHECK_INT(llm_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
    CHECK_INT(llm_parse_retry_after("soon"), -1);
}

/* The request body the server saw last has exactly the documented members. */
static void check_last_request(const testsrv *s, int logprobs, long max_tokens)
{
    char *body = testsrv_get(s, "/last");
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    CHECK(j != NULL);
    const char *want_tok[] = {"model", "messages", "max_tokens", "temperature", "logprobs", "top_logprobs"};
    size_t nwant = logprobs ? 6 : 5;
    CHECK_INT(json_object_size(j), nwant);
    for (size_t i = 0; i < nwant; i++) CHECK_MSG(json_object_get(j, want_tok[i]) != NULL, "member %s", want_tok[i]);
    CHECK(json_is_true(json_object_get(j, "logprobs")) == logprobs);
    if (logprobs) CHECK_INT(json_integer_value(json_object_get(j, "top_logprobs")), 20);
    if (max_tokens > 0) CHECK_INT(json_integer_value(json_object_get(j, "max_tokens")), max_tokens);
    json_t *msgs = json_object_get(j, "messages");
    CHECK_INT(json_array_size(msgs), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "system");
    CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, 1), "role")), "user");
    /* compact JSON, key order as documented */
    CHECK(body && strncmp(body, "{\"model\":\"test-model\",\"messages\":[", 34) == 0);
    json_decref(j);
    free(body);
}

static void test_token_modes(testsrv *s)
{
    jitrl_llm *llm = open_llm(s->base, JITRL_LLM_TOKEN, NULL, NULL);
    double lg[4];
    jitrl_llm_call info;
    CHECK_INT(testsrv_ctl(s, "reset=1&mode=oracle"), 0);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    CHECK_INT(argmax(lg, 4), 2);            /* "open mailbox" is first in the prefer file */
    CHECK(lg[1] > lg[0] && lg[1] > lg[3]);  /* "north" second */
    CHECK(info.prompt_tokens > 0 && info.completion_tokens == 1);
    CHECK_INT(info.labels_found, 4);
    CHECK_INT(info.n_shown, 4);
    check_last_request(s, 1, 1);
    /* tokens as the server counted them */
    CHECK_INT(testsrv_stat(s, "prompt_tokens"), info.prompt_tokens);
    printf("FIGURE llm token-mode prompt (4 candidates): %ld chars, %ld tokens (server estimate)\n",
           info.prompt_chars, info.prompt_tokens);

    CHECK_INT(testsrv_ctl(s, "mode=uniform"), 0);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    CHECK_NEAR(lg[0], lg[3], 1e-9);
    CHECK_NEAR(lg[0], log(0.95 / 4), 1e-6);

    CHECK_INT(testsrv_ctl(s, "mode=adversarial"), 0);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK(lg[2] < lg[0] && lg[2] < lg[3] && lg[1] < lg[0]);

    /* Shortlist: 30 candidates, the preferred one last. */
    CHECK_INT(testsrv_ctl(s, "mode=oracle"), 0);
    char names[30][16];
    const char *many[30];
    double prio[30];
    for (int i = 0; i < 30; i++) {
        snprintf(names[i], sizeof names[i], "cand %d", i);
        many[i] = names[i];
        prio[i] = 0;
    }
    many[29] = "open mailbox";
    double lg30[30];
    CHECK_INT(jitrl_llm_prior(llm, &CTX, many, 30, NULL, lg30, &info), JITRL_OK);
    CHECK_INT(info.n_shown, 26);
    CHECK_INT(info.fell_back, 0);
    double lo = lg30[0];
    for (int i = 0; i < 26; i++) if (lg30[i] < lo) lo = lg30[i];
    CHECK(lg30[29] <= lo);                 /* not shown: the floor, at or below every shown label */
    CHECK_NEAR(lg30[29], lg30[28], 1e-12);  /* all unshown get the same floor */
    prio[29] = 1;                          /* now it is shown first, as label A */
    CHECK_INT(jitrl_llm_prior(llm, &CTX, many, 30, prio, lg30, &info), JITRL_OK);
    CHECK_INT(argmax(lg30, 30), 29);
    CHECK_INT(jitrl_llm_stats_get(llm)->shortlisted, 2);
    /* With 26 shown but at most 20 in top_logprobs, 6 shown labels get the floor. */
    CHECK(jitrl_llm_stats_get(llm)->floor_labels >= 2 * (4 + 6));
    /* n = 1 and n = 0 need no request */
    long before = testsrv_stat(s, "chat");
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 1, NULL, lg, &info), JITRL_OK);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 0, NULL, lg, &info), JITRL_OK);
    CHECK_INT(testsrv_stat(s, "chat"), before);
    const jitrl_llm_stats *st = jitrl_llm_stats_get(llm);
    CHECK_INT(st->calls, 5);
    CHECK_INT(st->fallbacks, 0);
    jitrl_llm_close(llm);
}

static void test_verbal_propose_evaluate(testsrv *s)
{
    double lg[4];
    jitrl_llm_call info;
    CHECK_INT(testsrv_ctl(s, "reset=1&mode=oracle"), 0);
    jitrl_llm *llm = open_llm(s->base, JITRL_LLM_VERBAL, NULL, NULL);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    CHECK_NEAR(lg[2], log(96.0 / 101.0), 1e-9);   /* confidence 95 */
    CHECK_NEAR(lg[0], log(11.0 / 101.0), 1e-9);   /* confidence 10 */
    check_last_request(s, 0, 0);
    CHECK_INT(testsrv_stat(s, "kinds.verbal"), 1);
    jitrl_llm_close(llm);

    llm = open_llm(s->base, JITRL_LLM_PROPOSE, NULL, NULL);
    char **acts = NULL;
    size_t na = 0;
    CHECK_INT(jitrl_llm_propose(llm, &CTX, 0, &acts, &na, &info), JITRL_OK);
    CHECK_INT(na, 3);
    if (na == 3) {
        CHECK_STR(acts[0], "open mailbox");
        CHECK_STR(acts[1], "north");
        CHECK_STR(acts[2], "look");
    }
    jitrl_llm_free_strings(acts, na);
    CHECK_INT(testsrv_stat(s, "kinds.propose"), 1);
    /* the prior in propose mode is uniform and costs nothing */
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK(lg[0] == 0 && lg[3] == 0);
    CHECK_INT(testsrv_stat(s, "chat"), 2);

    const char *obs[] = {"West of House.", "A small mailbox.", "Opening the mailbox reveals a leaflet.", "Taken."};
    const char *act[] = {"look", "north", "open mailbox", "take leaflet"};
    double rw[4] = {9, 9, 9, 9};
    CHECK_INT(jitrl_llm_evaluate(llm, "Play Zork I.", obs, act, 4, -3, 3, rw, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    CHECK_NEAR(rw[0], 0, 1e-12);
    CHECK_NEAR(rw[1], 3, 1e-12);   /* 5 clamped to the web scale */
    CHECK_NEAR(rw[2], 3, 1e-12);
    CHECK_INT(testsrv_stat(s, "kinds.evaluate"), 1);
    /* the evaluator saw only what we passed it */
    char *last = testsrv_get(s, "/last");
    CHECK(last && strstr(last, "Opening the mailbox reveals a leaflet.") && !strstr(last, "walkthrough"));
    free(last);
    jitrl_llm_close(llm);
}

typedef struct fault_case {
    const char *fault;
    int count;
    jitrl_llm_mode mode;
    int want_fallback;
    int want_attempts;
    const char *want_reason;   /* substring of info.reason, or NULL */
} fault_case;

static void test_faults(testsrv *s)
{
    static const fault_case cases[] = {
        {"429", 1, JITRL_LLM_TOKEN, 0, 2, NULL},
        {"500", 1, JITRL_LLM_TOKEN, 0, 2, NULL},
        {"cut", 1, JITRL_LLM_TOKEN, 0, 2, NULL},
        {"delay", 1, JITRL_LLM_TOKEN, 0, 2, NULL},
        {"500", 2, JITRL_LLM_TOKEN, 0, 3, NULL},
        {"429", 3, JITRL_LLM_TOKEN, 1, 3, "HTTP 429"},
        {"truncated", 1, JITRL_LLM_TOKEN, 1, 1, "malformed JSON"},
        {"garbage", 1, JITRL_LLM_TOKEN, 1, 1, "malformed JSON"},
        {"nologprobs", 1, JITRL_LLM_TOKEN, 1, 1, "no logprobs"},
        {"empty", 1, JITRL_LLM_TOKEN, 1, 1, "empty answer"},
        {"badlabel", 1, JITRL_LLM_TOKEN, 1, 1, "no label"},
        {"garbage", 1, JITRL_LLM_VERBAL, 1, 1, "malformed JSON"},
        {"empty", 1, JITRL_LLM_VERBAL, 1, 1, "empty answer"},
        {"badlabel", 1, JITRL_LLM_VERBAL, 1, 1, "no usable confidences"},
        {"truncated", 1, JITRL_LLM_VERBAL, 1, 1, "malformed JSON"},
        {"429", 1, JITRL_LLM_VERBAL, 0, 2, NULL},
    };
    CHECK_INT(testsrv_ctl(s, "reset=1&mode=oracle"), 0);
    long fallbacks = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const fault_case *fc = &cases[i];
        char q[96];
        snprintf(q, sizeof q, "fault=%s&count=%d", fc->fault, fc->count);
        CHECK_INT(testsrv_ctl(s, q), 0);
        jitrl_llm *llm = open_llm(s->base, fc->mode, NULL, NULL);
        double lg[4] = {7, 7, 7, 7};
        jitrl_llm_call info;
        slept.n = 0;
        int rc = jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info);
        CHECK_MSG(rc == JITRL_OK, "fault %s: rc %d", fc->fault, rc);
        CHECK_MSG(info.fell_back == fc->want_fallback, "fault %s x%d: fell_back %d (%s)", fc->fault, fc->count, info.fell_back, info.reason);
        CHECK_MSG(info.attempts == fc->want_attempts, "fault %s x%d: %d attempts", fc->fault, fc->count, info.attempts);
        if (fc->want_reason) CHECK_MSG(strstr(info.reason, fc->want_reason) != NULL, "fault %s: reason '%s'", fc->fault, info.reason);
        if (info.fell_back) {
            CHECK(lg[0] == 0 && lg[1] == 0 && lg[2] == 0 && lg[3] == 0);
            fallbacks++;
        } else {
            CHECK_INT(argmax(lg, 4), 2);
        }
        CHECK_INT(jitrl_llm_stats_get(llm)->fallbacks, info.fell_back);
        CHECK_INT(jitrl_llm_stats_get(llm)->retries, info.attempts - 1);
        if (!strcmp(fc->fault, "429")) {
            /* Retry-After: 1 beats the 5 ms backoff */
            CHECK(slept.n >= 1);
            for (int k = 0; k < slept.n; k++) CHECK_INT(slept.ms[k], 1000);
        } else if (!strcmp(fc->fault, "500") && fc->count == 2) {
            /* exponential backoff with +-50% jitter: 5 ms then 10 ms base */
            CHECK_INT(slept.n, 2);
            CHECK(slept.ms[0] >= 2 && slept.ms[0] <= 8);
            CHECK(slept.ms[1] >= 5 && slept.ms[1] <= 15);
        }
        printf("fault %-10s x%d mode %d: attempts %d fell_back %d reason '%s' (%.0f ms)\n", fc->fault,
               fc->count, (int)fc->mode, info.attempts, info.fell_back, info.reason, info.latency_ms);
        jitrl_llm_close(llm);
    }
    CHECK_INT(testsrv_stat(s, "bad_request"), 0);
    printf("FIGURE llm fault cases: %zu, fallbacks %ld\n", sizeof cases / sizeof cases[0], fallbacks);

    /* propose and evaluate fall back too, without failing */
    jitrl_llm *llm = open_llm(s->base, JITRL_LLM_PROPOSE, NULL, NULL);
    char **acts;
    size_t na;
    jitrl_llm_call info;
    CHECK_INT(testsrv_ctl(s, "fault=garbage"), 0);
    CHECK_INT(jitrl_llm_propose(llm, &CTX, 3, &acts, &na, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 1);
    CHECK_INT(na, 0);
    jitrl_llm_free_strings(acts, na);
    CHECK_INT(testsrv_ctl(s, "fault=empty"), 0);
    CHECK_INT(jitrl_llm_propose(llm, &CTX, 3, &acts, &na, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 1);
    jitrl_llm_free_strings(acts, na);
    const char *obs[] = {"a", "b"}, *act[] = {"look", "wait"};
    double rw[2] = {4, 4};
    CHECK_INT(testsrv_ctl(s, "fault=badlabel"), 0);
    CHECK_INT(jitrl_llm_evaluate(llm, NULL, obs, act, 2, -10, 10, rw, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 1);
    CHECK(rw[0] == 4 && rw[1] == 4);   /* untouched: the caller keeps its rewards */
    CHECK_INT(jitrl_llm_stats_get(llm)->fallbacks, 3);
    jitrl_llm_close(llm);

    /* 4xx from a fault: immediate, no retry, an error */
    static const char *const hard[] = {"401", "404"};
    for (int i = 0; i < 2; i++) {
        char q[64];
        snprintf(q, sizeof q, "fault=%s", hard[i]);
        CHECK_INT(testsrv_ctl(s, q), 0);
        llm = open_llm(s->base, JITRL_LLM_TOKEN, NULL, NULL);
        double lg[4] = {7, 7, 7, 7};
        CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EAUTH);
        CHECK_INT(info.attempts, 1);
        CHECK(lg[0] == 0 && lg[3] == 0);
        CHECK(strstr(jitrl_llm_errmsg(llm), hard[i]) != NULL);
        CHECK_INT(jitrl_llm_stats_get(llm)->errors, 1);
        jitrl_llm_close(llm);
    }
}

static void test_refused(void)
{
    /* Nothing listens on port 1: connection refused is transient, then a fallback. */
    jitrl_llm *llm = open_llm("http://127.0.0.1:1/v1", JITRL_LLM_TOKEN, NULL, NULL);
    double lg[4] = {7, 7, 7, 7};
    jitrl_llm_call info;
    slept.n = 0;
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 1);
    CHECK_INT(info.attempts, 3);
    CHECK_INT(slept.n, 2);
    CHECK(strstr(info.reason, "no reply") != NULL);
    CHECK(lg[0] == 0);
    jitrl_llm_close(llm);
}

static void collect_log(void *ctx, const char *line)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 4096 - n, "%s\n", line);
}

static void test_auth_and_extra(void)
{
    static const char *const args[] = {"--require-key", "sk-test-SECRET", "--model", "gpt-test",
                                       "--allow-extra", "provider", NULL};
    testsrv s2;
    if (testsrv_start(&s2, args)) { CHECK(0); return; }
    double lg[4];
    jitrl_llm_call info;
    /* a wrong key (the CLI takes it from the environment; the library from
     * its config only, tests/test_cli_env.sh) */
    jitrl_llm *llm = open_llm(s2.base, JITRL_LLM_TOKEN, "sk-wrong-SECRET", "gpt-test");
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EAUTH);
    CHECK(strstr(jitrl_llm_errmsg(llm), "401") != NULL);
    CHECK(strstr(jitrl_llm_errmsg(llm), "SECRET") == NULL);   /* never the key */
    CHECK_INT(info.attempts, 1);
    jitrl_llm_close(llm);
    /* no key in the config: none sent, whatever the environment holds */
    setenv("OPENAI_API_KEY", "sk-test-SECRET", 1);
    llm = open_llm(s2.base, JITRL_LLM_TOKEN, NULL, "gpt-test");
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EAUTH);
    jitrl_llm_close(llm);
    unsetenv("OPENAI_API_KEY");
    llm = open_llm(s2.base, JITRL_LLM_TOKEN, "sk-test-SECRET", "gpt-test");
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    jitrl_llm_close(llm);
    /* the key never reaches a log line or a message, whatever happens */
    {
        static char logged[4096];
        logged[0] = '\0';
        jitrl_llm_config cfg;
        jitrl_llm_config_init(&cfg);
        cfg.base_url = s2.base;
        cfg.model = "gpt-test";
        cfg.api_key = "sk-wrong-SECRET";
        cfg.log = collect_log;
        cfg.log_ctx = logged;
        cfg.transport = &recorder;
        CHECK_INT(jitrl_llm_open(&cfg, &llm, NULL, 0), JITRL_OK);
        CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EAUTH);
        CHECK(strstr(logged, "401") != NULL);
        CHECK(strstr(logged, "SECRET") == NULL);
        jitrl_llm_close(llm);
    }
    /* unknown model: 404, immediate */
    llm = open_llm(s2.base, JITRL_LLM_TOKEN, "sk-test-SECRET", "gpt-nonexistent");
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EAUTH);
    CHECK(strstr(jitrl_llm_errmsg(llm), "404") != NULL);
    jitrl_llm_close(llm);
    /* extra members (OpenRouter's provider.require_parameters) */
    jitrl_llm_config cfg;
    jitrl_llm_config_init(&cfg);
    cfg.base_url = s2.base;
    cfg.model = "gpt-test";
    cfg.api_key = "sk-test-SECRET";
    cfg.transport = &recorder;
    cfg.extra_json = "{\"provider\": {\"require_parameters\": true}, \"model\": \"ignored\"}";
    char err[200];
    CHECK_INT(jitrl_llm_open(&cfg, &llm, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_OK);
    CHECK_INT(info.fell_back, 0);
    char *last = testsrv_get(&s2, "/last");
    CHECK(last && strstr(last, "\"provider\":{\"require_parameters\":true}") && strstr(last, "\"model\":\"gpt-test\""));
    free(last);
    jitrl_llm_close(llm);
    testsrv_stop(&s2);

    /* the main server has no --allow-extra: an extra member is a 400, a hard error */
    testsrv s3;
    if (testsrv_start(&s3, NULL)) { CHECK(0); return; }
    cfg.base_url = s3.base;
    CHECK_INT(jitrl_llm_open(&cfg, &llm, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EHTTP);
    CHECK(strstr(jitrl_llm_errmsg(llm), "unexpected request member") != NULL);
    CHECK_INT(testsrv_stat(&s3, "bad_request"), 1);
    jitrl_llm_close(llm);
    testsrv_stop(&s3);
}

static volatile sig_atomic_t cancel_flag;

#define DELAY_MS 1500   /* the server's "delay" fault stall, --delay-ms in main */
#define DELAY_MS_STR "1500"

static void *raise_cancel(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    cancel_flag = 1;
    return NULL;
}

/* The cancel flag ends a transfer in flight and a backoff wait. */
static void test_cancel(testsrv *s)
{
    jitrl_llm_config cfg;
    jitrl_llm_config_init(&cfg);
    cfg.base_url = s->base;
    cfg.model = "test-model";
    cfg.cancel = &cancel_flag;
    cfg.timeout_ms = 5000;
    jitrl_llm *llm = NULL;
    CHECK_INT(jitrl_llm_open(&cfg, &llm, NULL, 0), JITRL_OK);
    double lg[4] = {7, 7, 7, 7};
    jitrl_llm_call info;
    /* A stalled reply: the server holds it for DELAY_MS (main's --delay-ms),
     * so a call that waited for it cannot return sooner; the flag, raised
     * after 150 ms, must end it before.  The bound is causal, not a speed
     * target: only a cancel that works can beat the stall. */
    CHECK_INT(testsrv_ctl(s, "fault=delay"), 0);
    cancel_flag = 0;
    pthread_t th;
    pthread_create(&th, NULL, raise_cancel, NULL);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EINTERRUPTED);
    pthread_join(th, NULL);
    CHECK(info.latency_ms < DELAY_MS);
    CHECK(lg[0] == 0 && lg[3] == 0);
    /* A 429 with Retry-After: 30 (the wait cap): the backoff wait is cut
     * short too, long before the 30 s it would otherwise last. */
    CHECK_INT(testsrv_ctl(s, "fault=429&count=3&retry_after=30"), 0);
    cancel_flag = 0;
    pthread_create(&th, NULL, raise_cancel, NULL);
    CHECK_INT(jitrl_llm_prior(llm, &CTX, CANDS, 4, NULL, lg, &info), JITRL_EINTERRUPTED);
    pthread_join(th, NULL);
    CHECK(info.latency_ms < 30000);
    CHECK_INT(info.attempts, 1);
    CHECK_INT(testsrv_ctl(s, "retry_after=1"), 0);
    CHECK_INT(jitrl_llm_stats_get(llm)->errors, 0);
    CHECK_INT(testsrv_ctl(s, "reset=1"), 0);
    cancel_flag = 0;
    jitrl_llm_close(llm);
}

/* Sequence mode: the server follows a walkthrough from the recent actions,
 * matching abbreviations ("N", "Get egg") to full commands. */
static void test_sequence(void)
{
    char pref[512];
    snprintf(pref, sizeof pref, "%s/walk.txt", tu_tmpdir());
    FILE *f = fopen(pref, "w");
    if (!f) { CHECK(0); return; }
    fputs("N\nGet egg\nopen mailbox\nW\n", f);
    fclose(f);
    const char *args[] = {"--prefer", pref, "--mode", "sequence", NULL};
    testsrv s;
    if (testsrv_start(&s, args)) { CHECK(0); return; }
    jitrl_llm *llm = open_llm(s.base, JITRL_LLM_TOKEN, NULL, NULL);
    static const char *const cands[] = {"west", "take egg", "open mailbox", "north"};
    static const char *const h3[] = {"look", "north", "take egg"};
    static const char *const h4[] = {"north", "take egg", "open mailbox", "west"};
    static const struct { const char *const *h; size_t n; int want; } steps[] = {
        {NULL, 0, 3}, {h3 + 1, 1, 1}, {h3, 3, 2}, {h4, 3, 0},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        jitrl_llm_context ctx = CTX;
        ctx.history = steps[i].h;
        ctx.n_history = steps[i].n;
        double lg[4];
        jitrl_llm_call info;
        CHECK_INT(jitrl_llm_prior(llm, &ctx, cands, 4, NULL, lg, &info), JITRL_OK);
        CHECK_MSG(argmax(lg, 4) == steps[i].want, "sequence step %zu: argmax %d", i, argmax(lg, 4));
    }
    jitrl_llm_close(llm);
    testsrv_stop(&s);
}

int main(void)
{
    char pref[512];
    snprintf(pref, sizeof pref, "%s/prefer.txt", tu_tmpdir());
    FILE *f = fopen(pref, "w");
    if (!f) tu_skip("cannot write a temporary file");
    fputs("open mailbox\nnorth\n", f);
    fclose(f);
    const char *args[] = {"--prefer", pref, "--delay-ms", DELAY_MS_STR, "--retry-after", "1", NULL};
    test_config();
    testsrv s;
    if (testsrv_start(&s, args)) {
        CHECK(0);
        return tu_done();
    }
    test_token_modes(&s);
    test_verbal_propose_evaluate(&s);
    test_faults(&s);
    test_cancel(&s);
    testsrv_stop(&s);
    test_refused();
    test_auth_and_extra();
    test_sequence();
    return tu_done();
}
