/*
 * test_json_api.c -- the JSON surface (include/jitrl/json.h, docs/api.md).
 *
 *  1. Round trip: on one memory, jitrl_decide_json's answer equals
 *     jitrl_decide's decision with the same seed -- choice, index, actions,
 *     probs, advantages, v, neighbours, bit for bit -- in every mode, with
 *     and without logits, with parameter overrides; the trace on request is
 *     jitrl_decision_json's.
 *  2. Record: jitrl_record_json stores what jitrl_memory_add_episode
 *     would (same returns: a later decision sees the same V), answers
 *     {"episode_id", "steps"}.
 *  3. Malformed requests, each with its own error: code, path and a word
 *     of the message; the memory is unchanged and its errmsg untouched.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl.h"
#include "testutil.h"

static const char *rooms[] = {"Kitchen. A table, a lamp.", "Cellar. Dark and damp.", "Hall. A door north.",
                              "Garden. Flowers and a gate."};
static const char *acts[] = {"north", "take lamp", "open door", "south", "light lamp"};

static jitrl_memory *filled(void)
{
    jitrl_memory *mem = NULL;
    char err[256];
    if (jitrl_memory_open(NULL, NULL, &mem, err, sizeof err)) return NULL;
    jitrl_rng r;
    jitrl_rng_seed(&r, 7);
    for (int e = 0; e < 40; e++) {
        jitrl_step steps[6];
        jitrl_field f[6][2];
        for (int t = 0; t < 6; t++) {
            f[t][0] = (jitrl_field){"current", rooms[jitrl_rng_next(&r) % 4]};
            f[t][1] = (jitrl_field){"history", t ? acts[(t + e) % 5] : ""};
            steps[t] = (jitrl_step){{f[t], 2}, acts[jitrl_rng_next(&r) % 5], (double)(jitrl_rng_next(&r) % 3)};
        }
        jitrl_episode_info info = {"t", 1, 0};
        if (jitrl_memory_add_episode(mem, &info, steps, 6, 0.5, NULL)) return NULL;
    }
    return mem;
}

static json_t *parse(const char *s)
{
    json_error_t je;
    json_t *j = s ? json_loads(s, 0, &je) : NULL;
    CHECK_MSG(j != NULL, "unparseable response: %s", s ? s : "(null)");
    return j;
}

static int same_array(json_t *a, const double *x, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (json_number_value(json_array_get(a, i)) != x[i]) return 0;
    return 1;
}

/* One request against jitrl_decide with the matching C arguments. */
static void round_trip(jitrl_memory *mem, const char *request, const jitrl_params *p, const char *room,
                       const char *hist, const char *const *cand, const double *logits, size_t n, uint64_t seed,
                       int trace)
{
    char *resp = NULL;
    int rc = jitrl_decide_json(mem, request, &resp);
    CHECK_MSG(rc == JITRL_OK, "request %s -> %d %s", request, rc, resp ? resp : "");
    jitrl_field f[2] = {{"current", room}, {"history", hist}};
    jitrl_state st = {f, 2};
    jitrl_rng rng;
    jitrl_rng_seed(&rng, seed);
    jitrl_decision *d = NULL;
    CHECK_INT(jitrl_decide(mem, p, &st, cand, logits, n, &rng, &d), JITRL_OK);
    json_t *j = parse(resp);
    if (j && d) {
        CHECK_STR(json_string_value(json_object_get(j, "choice")), d->actions[d->chosen]);
        CHECK_INT(json_integer_value(json_object_get(j, "index")), d->chosen);
        json_t *a = json_object_get(j, "actions");
        CHECK_INT(json_array_size(a), d->n_actions);
        for (size_t i = 0; i < d->n_actions && i < json_array_size(a); i++)
            CHECK_STR(json_string_value(json_array_get(a, i)), d->actions[i]);
        CHECK_MSG(same_array(json_object_get(j, "probs"), d->probs, d->n_actions), "probs differ: %s", resp);
        CHECK_MSG(same_array(json_object_get(j, "advantages"), d->adv, d->n_actions), "advantages differ: %s", resp);
        CHECK(json_number_value(json_object_get(j, "v")) == d->v);
        CHECK_INT(json_integer_value(json_object_get(j, "neighbours")), d->n_neighbours);
        CHECK_INT(json_integer_value(json_object_get(j, "index_steps")), d->index_steps);
        CHECK_INT(json_integer_value(json_object_get(j, "seed")), seed);
        json_t *tr = json_object_get(j, "trace");
        CHECK(trace ? json_is_object(tr) : tr == NULL);
        if (trace && tr) {
            char *want = NULL;
            CHECK_INT(jitrl_decision_json(d, &want), JITRL_OK);
            json_t *w = parse(want);
            CHECK_MSG(json_equal(w, tr), "trace differs from jitrl_decision_json");
            json_decref(w);
            jitrl_free(want);
        }
    }
    json_decref(j);
    jitrl_decision_free(d);
    jitrl_free(resp);
}

static void test_round_trip(jitrl_memory *mem)
{
    jitrl_params p;
    jitrl_params_default(&p, NULL);
    const char *c3[] = {"north", "take lamp", "dance"};
    double lg[] = {0.5, -1.25, 2};
    int seen_neighbours = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        const char *room = rooms[seed % 4];
        char req[1024];
        snprintf(req, sizeof req,
                 "{\"state\":{\"current\":\"%s\",\"history\":\"north\"},\"candidates\":[{\"action\":\"north\"},"
                 "{\"action\":\"take lamp\"},{\"action\":\"dance\"}],\"seed\":%llu}",
                 room, (unsigned long long)seed);
        round_trip(mem, req, &p, room, "north", c3, NULL, 3, seed, 0);
        snprintf(req, sizeof req,
                 "{\"state\":{\"current\":\"%s\",\"history\":\"north\"},\"candidates\":[{\"action\":\"north\","
                 "\"logit\":0.5},{\"action\":\"take lamp\",\"logit\":-1.25},{\"action\":\"dance\",\"logit\":2}],"
                 "\"seed\":%llu,\"trace\":true}",
                 room, (unsigned long long)seed);
        round_trip(mem, req, &p, room, "north", c3, lg, 3, seed, 1);
        /* parameter overrides and the other modes */
        jitrl_params q = p;
        q.beta = 3.5;
        q.k = 4;
        q.threshold = 0.5;
        q.lambda = 1;
        q.alpha = 2;
        q.weighted = 1;
        q.unseen_neutral = (int)(seed & 1);
        q.mode = seed % 3 == 0 ? JITRL_MODE_SAMPLE : seed % 3 == 1 ? JITRL_MODE_ARGMAX : JITRL_MODE_LEGACY;
        static const char *mn[] = {"sample", "argmax", "legacy"};
        snprintf(req, sizeof req,
                 "{\"state\":{\"current\":\"%s\",\"history\":\"north\"},\"candidates\":[{\"action\":\"north\","
                 "\"logit\":0.5},{\"action\":\"take lamp\",\"logit\":-1.25},{\"action\":\"dance\",\"logit\":2}],"
                 "\"params\":{\"beta\":3.5,\"k\":4,\"threshold\":0.5,\"lambda\":1,\"alpha\":2,\"weighted\":true,"
                 "\"unseen_neutral\":%s},\"mode\":\"%s\",\"seed\":%llu}",
                 room, q.unseen_neutral ? "true" : "false", mn[q.mode], (unsigned long long)seed);
        round_trip(mem, req, &q, room, "north", c3, lg, 3, seed, 0);
        /* no candidates: memory supplies them (augmentation) */
        snprintf(req, sizeof req,
                 "{\"state\":{\"current\":\"%s\",\"history\":\"north\"},\"candidates\":[],\"params\":{\"k\":0,"
                 "\"threshold\":0.6},\"seed\":%llu}",
                 room, (unsigned long long)seed);
        jitrl_params r = p;
        r.k = 0;
        r.threshold = 0.6;
        round_trip(mem, req, &r, room, "north", NULL, NULL, 0, seed, 0);
        char *resp = NULL;
        if (jitrl_decide_json(mem, req, &resp) == JITRL_OK) {
            json_t *j = parse(resp);
            if (json_integer_value(json_object_get(j, "neighbours")) > 0) seen_neighbours++;
            json_decref(j);
        }
        jitrl_free(resp);
    }
    /* the round trip is not vacuous: decisions had neighbours to use */
    CHECK_MSG(seen_neighbours >= 10, "only %d of 12 decisions had neighbours", seen_neighbours);
    /* no seed: one is drawn and reported, and repeating it reproduces */
    char *a = NULL, *b = NULL;
    const char *req = "{\"state\":{\"current\":\"Hall. A door north.\"},\"candidates\":[{\"action\":\"north\"},"
                      "{\"action\":\"south\"}]}";
    CHECK_INT(jitrl_decide_json(mem, req, &a), JITRL_OK);
    json_t *ja = parse(a);
    long long seed = json_integer_value(json_object_get(ja, "seed"));
    char req2[512];
    snprintf(req2, sizeof req2,
             "{\"state\":{\"current\":\"Hall. A door north.\"},\"candidates\":[{\"action\":\"north\"},"
             "{\"action\":\"south\"}],\"seed\":%lld}", seed);
    CHECK_INT(jitrl_decide_json(mem, req2, &b), JITRL_OK);
    CHECK_STR(a, b);
    json_decref(ja);
    jitrl_free(a);
    jitrl_free(b);
}

static void test_record(void)
{
    jitrl_memory *m1 = NULL, *m2 = NULL;
    char err[256];
    CHECK_INT(jitrl_memory_open(NULL, NULL, &m1, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_memory_open(NULL, NULL, &m2, err, sizeof err), JITRL_OK);
    if (!m1 || !m2) return;
    const char *ep = "{\"task\":\"cave\",\"gamma\":0.9,\"steps\":["
                     "{\"state\":{\"current\":\"Hall. A door north.\",\"history\":\"\"},\"action\":\"north\",\"reward\":1},"
                     "{\"state\":{\"current\":\"Garden. Flowers and a gate.\",\"history\":\"north\"},"
                     "\"action\":\"open gate\",\"reward\":-0.5},"
                     "{\"state\":{\"current\":\"Hall. A door north.\",\"history\":\"south\"},\"action\":\"south\","
                     "\"reward\":4}]}";
    char *resp = NULL;
    CHECK_INT(jitrl_record_json(m1, ep, &resp), JITRL_OK);
    json_t *j = parse(resp);
    CHECK(json_integer_value(json_object_get(j, "episode_id")) >= 1);
    CHECK_INT(json_integer_value(json_object_get(j, "steps")), 3);
    json_decref(j);
    jitrl_free(resp);
    jitrl_field f[3][2] = {{{"current", "Hall. A door north."}, {"history", ""}},
                           {{"current", "Garden. Flowers and a gate."}, {"history", "north"}},
                           {{"current", "Hall. A door north."}, {"history", "south"}}};
    jitrl_step s[3] = {{{f[0], 2}, "north", 1}, {{f[1], 2}, "open gate", -0.5}, {{f[2], 2}, "south", 4}};
    jitrl_episode_info info = {"cave", 4.5, 0};
    CHECK_INT(jitrl_memory_add_episode(m2, &info, s, 3, 0.9, NULL), JITRL_OK);
    jitrl_memory_stats a, b;
    CHECK_INT(jitrl_memory_stats_get(m1, &a), JITRL_OK);
    CHECK_INT(jitrl_memory_stats_get(m2, &b), JITRL_OK);
    CHECK_INT(a.steps, 3);
    CHECK_INT(a.steps, b.steps);
    CHECK_NEAR(a.mean_score, 4.5, 1e-12);   /* the default score: the rewards' sum */
    jitrl_params p;
    jitrl_params_default(&p, NULL);
    p.threshold = 0.3;
    p.mode = JITRL_MODE_ARGMAX;
    const char *c[] = {"north"};
    jitrl_decision *d1 = NULL, *d2 = NULL;
    CHECK_INT(jitrl_decide(m1, &p, &s[0].state, c, NULL, 1, NULL, &d1), JITRL_OK);
    CHECK_INT(jitrl_decide(m2, &p, &s[0].state, c, NULL, 1, NULL, &d2), JITRL_OK);
    if (d1 && d2) {
        CHECK(d1->n_neighbours >= 2);
        CHECK_INT(d1->n_neighbours, d2->n_neighbours);
        CHECK(d1->v == d2->v);   /* the same returns were stored */
    }
    jitrl_decision_free(d1);
    jitrl_decision_free(d2);
    /* an empty episode is recorded too, and a state without the primary
     * field (an empty shingle set: UBSan found pointer arithmetic on NULL) */
    CHECK_INT(jitrl_record_json(m1, "{\"steps\":[]}", &resp), JITRL_OK);
    jitrl_free(resp);
    CHECK_INT(jitrl_record_json(m1, "{\"steps\":[{\"state\":{\"other\":\"x\"},\"action\":\"n\",\"reward\":1}]}",
                                &resp), JITRL_OK);
    jitrl_free(resp);
    jitrl_memory_close(m1);
    jitrl_memory_close(m2);
}

typedef struct bad {
    const char *req;
    int rc;
    const char *code, *path, *word;
} bad;

static void check_bad(jitrl_memory *mem, int record, const bad *b)
{
    char *resp = NULL;
    int rc = record ? jitrl_record_json(mem, b->req, &resp) : jitrl_decide_json(mem, b->req, &resp);
    CHECK_MSG(rc == b->rc, "%s -> rc %d, want %d (%s)", b->req ? b->req : "NULL", rc, b->rc, resp ? resp : "");
    json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
    json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *path = json_string_value(json_object_get(e, "path"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    CHECK_MSG(code && !strcmp(code, b->code), "%s: code %s, want %s", b->req ? b->req : "NULL", code ? code : "-",
              b->code);
    CHECK_MSG(!b->path ? !path : path && !strcmp(path, b->path), "%s: path %s, want %s", b->req ? b->req : "NULL",
              path ? path : "-", b->path ? b->path : "-");
    CHECK_MSG(msg && strstr(msg, b->word), "%s: message '%s' lacks '%s'", b->req ? b->req : "NULL", msg ? msg : "-",
              b->word);
    json_decref(j);
    jitrl_free(resp);
}

#define ST "\"state\":{\"current\":\"Hall\"}"
#define C1 "\"candidates\":[{\"action\":\"north\"}]"

static void test_malformed(jitrl_memory *mem)
{
    static const bad dec[] = {
        {NULL, JITRL_EINVAL, "invalid_request", NULL, "NULL"},
        {"", JITRL_EPARSE, "malformed_json", NULL, "not valid JSON"},
        {"{\"state\":", JITRL_EPARSE, "malformed_json", NULL, "not valid JSON"},
        {"[1,2]", JITRL_EINVAL, "invalid_request", NULL, "JSON object"},
        {"{" ST "," C1 ",\"seed\":1,\"seed\":2}", JITRL_EPARSE, "malformed_json", NULL, "duplicate"},
        {"{\"state\":{\"current\":\"\xff\xfe\"}," C1 "}", JITRL_EPARSE, "malformed_json", NULL, "UTF-8"},
        {"{\"state\":{\"current\":\"a\\u0000b\"}," C1 "}", JITRL_EPARSE, "malformed_json", NULL, "NUL"},
        {"{" C1 "}", JITRL_EINVAL, "invalid_request", "state", "missing"},
        {"{" ST "}", JITRL_EINVAL, "invalid_request", "candidates", "missing"},
        {"{\"state\":\"Hall\"," C1 "}", JITRL_EINVAL, "invalid_request", "state", "object"},
        {"{\"state\":{\"current\":3}," C1 "}", JITRL_EINVAL, "invalid_request", "state.current", "string"},
        {"{\"state\":{\"\":\"x\"}," C1 "}", JITRL_EINVAL, "invalid_request", "state.", "field name"},
        {"{" ST ",\"candidates\":\"north\"}", JITRL_EINVAL, "invalid_request", "candidates", "array"},
        {"{" ST ",\"candidates\":[\"north\"]}", JITRL_EINVAL, "invalid_request", "candidates[0]", "object"},
        {"{" ST ",\"candidates\":[{\"logit\":1}]}", JITRL_EINVAL, "invalid_request", "candidates[0].action", "missing"},
        {"{" ST ",\"candidates\":[{\"action\":\"\"}]}", JITRL_EINVAL, "invalid_request", "candidates[0].action",
         "empty"},
        {"{" ST ",\"candidates\":[{\"action\":7}]}", JITRL_EINVAL, "invalid_request", "candidates[0].action", "string"},
        {"{" ST ",\"candidates\":[{\"action\":\"n\",\"logit\":\"high\"}]}", JITRL_EINVAL, "invalid_request",
         "candidates[0].logit", "number"},
        {"{" ST ",\"candidates\":[{\"action\":\"n\",\"logit\":1e400}]}", JITRL_EPARSE, "malformed_json", NULL,
         "overflow"},
        {"{" ST ",\"candidates\":[{\"action\":\"n\",\"logit\":NaN}]}", JITRL_EPARSE, "malformed_json", NULL, "JSON"},
        {"{" ST ",\"candidates\":[{\"action\":\"n\",\"logit\":1},{\"action\":\"s\"}]}", JITRL_EINVAL,
         "invalid_request", "candidates", "every one"},
        {"{" ST ",\"candidates\":[{\"action\":\"n\",\"prior\":1}]}", JITRL_EINVAL, "invalid_request",
         "candidates[0].prior", "unknown key"},
        {"{" ST "," C1 ",\"bogus\":1}", JITRL_EINVAL, "invalid_request", "bogus", "unknown key"},
        {"{" ST "," C1 ",\"params\":[]}", JITRL_EINVAL, "invalid_request", "params", "object"},
        {"{" ST "," C1 ",\"params\":{\"bta\":1}}", JITRL_EINVAL, "invalid_request", "params.bta", "unknown"},
        {"{" ST "," C1 ",\"params\":{\"beta\":-1}}", JITRL_EINVAL, "invalid_request", "params.beta", "outside"},
        {"{" ST "," C1 ",\"params\":{\"beta\":\"2\"}}", JITRL_EINVAL, "invalid_request", "params.beta", "number"},
        {"{" ST "," C1 ",\"params\":{\"lambda\":1.5}}", JITRL_EINVAL, "invalid_request", "params.lambda", "outside"},
        {"{" ST "," C1 ",\"params\":{\"k\":2.5}}", JITRL_EINVAL, "invalid_request", "params.k", "integer"},
        {"{" ST "," C1 ",\"params\":{\"k\":-1}}", JITRL_EINVAL, "invalid_request", "params.k", "outside"},
        {"{" ST "," C1 ",\"params\":{\"weighted\":1}}", JITRL_EINVAL, "invalid_request", "params.weighted", "true"},
        {"{" ST "," C1 ",\"params\":{\"preset\":\"chess\"}}", JITRL_EINVAL, "invalid_request", "params.preset",
         "unknown preset"},
        {"{" ST "," C1 ",\"mode\":\"greedy\"}", JITRL_EINVAL, "invalid_request", "mode", "sample"},
        {"{" ST "," C1 ",\"seed\":-3}", JITRL_EINVAL, "invalid_request", "seed", "outside"},
        {"{" ST "," C1 ",\"seed\":\"7\"}", JITRL_EINVAL, "invalid_request", "seed", "integer"},
        {"{" ST "," C1 ",\"trace\":\"yes\"}", JITRL_EINVAL, "invalid_request", "trace", "true or false"},
        {"{\"state\":{\"current\":\"nowhere like this\"},\"candidates\":[]}", JITRL_EINVAL, "invalid_request", NULL,
         "no candidate"},
    };
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++) check_bad(mem, 0, &dec[i]);
    static const bad rec[] = {
        {"{}", JITRL_EINVAL, "invalid_request", "steps", "missing"},
        {"{\"steps\":{}}", JITRL_EINVAL, "invalid_request", "steps", "array"},
        {"{\"steps\":[{\"state\":{},\"action\":\"n\"}]}", JITRL_EINVAL, "invalid_request", "steps[0].reward",
         "missing"},
        {"{\"steps\":[{\"state\":{},\"reward\":1}]}", JITRL_EINVAL, "invalid_request", "steps[0].action", "missing"},
        {"{\"steps\":[{\"action\":\"n\",\"reward\":1}]}", JITRL_EINVAL, "invalid_request", "steps[0].state",
         "missing"},
        {"{\"steps\":[{\"state\":{},\"action\":\"n\",\"reward\":true}]}", JITRL_EINVAL, "invalid_request",
         "steps[0].reward", "number"},
        {"{\"steps\":[{\"state\":{\"a\":[]},\"action\":\"n\",\"reward\":1}]}", JITRL_EINVAL, "invalid_request",
         "steps[0].state.a", "string"},
        {"{\"steps\":[],\"gamma\":1.5}", JITRL_EINVAL, "invalid_request", "gamma", "outside"},
        {"{\"steps\":[],\"time\":-1}", JITRL_EINVAL, "invalid_request", "time", "non-negative"},
        {"{\"steps\":[],\"task\":5}", JITRL_EINVAL, "invalid_request", "task", "string"},
        {"{\"steps\":[],\"rewards\":[]}", JITRL_EINVAL, "invalid_request", "rewards", "unknown"},
        {"{\"steps\":[{\"state\":{},\"action\":\"n\",\"reward\":1e301}]}", JITRL_EINVAL, "invalid_request",
         "steps[0].reward", "outside"},
    };
    for (size_t i = 0; i < sizeof rec / sizeof rec[0]; i++) check_bad(mem, 1, &rec[i]);

    /* huge inputs: too many candidates, a text over the field limit */
    size_t n = JITRL_JSON_MAX_CANDIDATES + 1;
    char *big = malloc(n * 16 + 128);
    if (big) {
        size_t len = (size_t)sprintf(big, "{" ST ",\"candidates\":[");
        for (size_t i = 0; i < n; i++) len += (size_t)sprintf(big + len, "%s{\"action\":\"a\"}", i ? "," : "");
        strcpy(big + len, "]}");
        bad b = {big, JITRL_ETOOBIG, "too_large", "candidates", "at most"};
        check_bad(mem, 0, &b);
        free(big);
    }
    size_t tl = JITRL_JSON_MAX_TEXT + 10;
    big = malloc(tl + 128);
    if (big) {
        size_t len = (size_t)sprintf(big, "{\"state\":{\"current\":\"");
        memset(big + len, 'x', tl);
        strcpy(big + len + tl, "\"}," C1 "}");
        bad b = {big, JITRL_ETOOBIG, "too_large", "state.current", "at most"};
        check_bad(mem, 0, &b);
        free(big);
    }
    /* an error that quotes a key cut mid-character is still valid JSON */
    char key[256] = "{\"state\":{\"current\":\"a\"},\"candidates\":[],\"a";
    for (int i = 0; i < 40; i++) strcat(key, "\xc3\xa9");
    strcat(key, "\":1}");
    char *resp = NULL;
    CHECK_INT(jitrl_decide_json(mem, key, &resp), JITRL_EINVAL);
    json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
    CHECK_MSG(j && strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "unknown key"),
              "not a JSON error: %s", resp ? resp : "(null)");
    json_decref(j);
    jitrl_free(resp);
    /* a NULL response pointer is refused without a crash */
    CHECK_INT(jitrl_decide_json(mem, "{}", NULL), JITRL_EINVAL);
    CHECK_INT(jitrl_record_json(mem, "{}", NULL), JITRL_EINVAL);
}

int main(void)
{
    jitrl_memory *mem = filled();
    CHECK(mem != NULL);
    if (!mem) return tu_done();
    jitrl_memory_stats before;
    CHECK_INT(jitrl_memory_stats_get(mem, &before), JITRL_OK);
    test_round_trip(mem);
    test_record();
    test_malformed(mem);
    /* the failures left no trace on the shared handle */
    CHECK_STR(jitrl_memory_errmsg(mem), "");
    jitrl_memory_stats after;
    CHECK_INT(jitrl_memory_stats_get(mem, &after), JITRL_OK);
    CHECK_INT(after.steps, before.steps);
    jitrl_memory_close(mem);
    return tu_done();
}
