/*
 * test_serve.c -- `jitrl serve` (include/jitrl/serve.h) against live
 * servers in this process: every route; tenant isolation route by route
 * (a token granted `a` can neither read nor write `b`, an unknown token is
 * 401, a namespace outside the grant 403); malformed JSON, invalid UTF-8,
 * wrong types, a NUL byte, huge bodies, wrong media types and methods, a
 * slow client (408, and an idle one closed), a chunked body past the limit
 * (413); /readyz following the memory directory; episode_key idempotency across
 * a restart on the same memory directory; two servers side by side; the
 * options' size rule and refusals at open.
 */
#include "jitrl/serve.h"
#include "serve/serve_int.h"
#include "srvutil.h"
#include "testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char memdir[128], tokfile[160];

static jitrl_server *start(const char *memory, const char *tokens, unsigned timeout_s)
{
    jitrl_serve_options o;
    jitrl_serve_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.memory = memory;
    o.tokens_file = tokens;
    o.timeout_s = timeout_s;
    o.threads = 2;
    o.sync_ms = 50;
    jitrl_server *s = NULL;
    char err[512];
    int rc = jitrl_server_open(&o, &s, err, sizeof err);
    CHECK_MSG(rc == JITRL_OK, "open: %s", err);
    return s;
}

/* status of one request; *js the parsed JSON body (NULL if not JSON) */
static long call(jitrl_server *s, const char *method, const char *path, const char *tok, const char *body,
                 json_t **js)
{
    char *out = NULL;
    long st = su_http(jitrl_server_address(s), method, path, tok, body ? "application/json" : NULL, body,
                      body ? strlen(body) : 0, &out, NULL);
    if (js) *js = json_loads(out, JSON_DECODE_ANY, NULL);
    free(out);
    return st;
}

static const char *err_code(json_t *js)
{
    json_t *c = json_object_get(json_object_get(js, "error"), "code");
    return json_is_string(c) ? json_string_value(c) : "(none)";
}

static long long num(json_t *js, const char *k) { return (long long)json_number_value(json_object_get(js, k)); }

/* A request that must answer `status` with the number `key` = want. */
static void expect_num(jitrl_server *s, const char *method, const char *path, const char *tok, const char *body,
                       long status, const char *key, long long want)
{
    json_t *js;
    CHECK_MSG(call(s, method, path, tok, body, &js) == status, "%s %s", method, path);
    CHECK_MSG(num(js, key) == want, "%s %s: %s is %lld, not %lld", method, path, key, num(js, key), want);
    json_decref(js);
}

#define DECIDE(ns) "{\"namespace\":\"" ns "\",\"state\":{\"current\":\"a dark room\"},\"candidates\":[{\"action\":\"north\"},{\"action\":\"south\"}],\"seed\":3}"
#define EPISODE(ns, key) "{\"namespace\":\"" ns "\"" key ",\"steps\":[{\"state\":{\"current\":\"a dark room\"},\"action\":\"north\",\"reward\":1}]}"

static void test_routes(jitrl_server *s)
{
    json_t *js;
    CHECK_INT(call(s, "GET", "/healthz", NULL, NULL, &js), 200);
    json_decref(js);
    CHECK_INT(call(s, "GET", "/readyz", NULL, NULL, &js), 200);
    json_decref(js);
    /* decide on an empty namespace: uniform */
    CHECK_INT(call(s, "POST", "/v1/decide", "tok-a", DECIDE("a"), &js), 200);
    CHECK(json_is_string(json_object_get(js, "decision_id")));
    CHECK_NEAR(json_number_value(json_array_get(json_object_get(js, "probs"), 0)), 0.5, 1e-12);
    CHECK_INT(num(js, "neighbours"), 0);
    json_decref(js);
    /* record, then the decision uses it */
    CHECK_INT(call(s, "POST", "/v1/episodes", "tok-a", EPISODE("a", ""), &js), 200);
    long long id1 = num(js, "episode_id");
    CHECK(id1 > 0);
    CHECK_INT(num(js, "steps"), 1);
    json_decref(js);
    CHECK_INT(call(s, "POST", "/v1/decide", "tok-a", DECIDE("a"), &js), 200);
    CHECK_INT(num(js, "neighbours"), 1);
    CHECK(json_number_value(json_array_get(json_object_get(js, "probs"), 0)) > 0.8);
    json_decref(js);
    /* idempotency: the same key stores once and answers the same id */
    CHECK_INT(call(s, "POST", "/v1/episodes", "tok-a", EPISODE("a", ",\"episode_key\":\"run-7\""), &js), 200);
    long long id2 = num(js, "episode_id");
    CHECK(json_is_false(json_object_get(js, "replayed")));
    json_decref(js);
    CHECK_INT(call(s, "POST", "/v1/episodes", "tok-a", EPISODE("a", ",\"episode_key\":\"run-7\""), &js), 200);
    CHECK_INT(num(js, "episode_id"), id2);
    CHECK(json_is_true(json_object_get(js, "replayed")));
    json_decref(js);
    CHECK_INT(call(s, "GET", "/v1/namespaces/a/stats", "tok-a", NULL, &js), 200);
    CHECK_INT(num(js, "episodes"), 2);
    CHECK_INT(num(js, "steps"), 2);
    json_decref(js);
    /* export -> import into another namespace -> same stats */
    char *lines = NULL;
    size_t n = 0;
    CHECK_INT(su_http(jitrl_server_address(s), "GET", "/v1/namespaces/a/episodes", "tok-a", NULL, NULL, 0, &lines,
                      &n),
              200);
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) nl += lines[i] == '\n';
    CHECK_INT(nl, 2);
    char *out = NULL;
    CHECK_INT(su_http(jitrl_server_address(s), "POST", "/v1/namespaces/a-copy/episodes:import", "tok-a",
                      "application/x-ndjson", lines, n, &out, NULL),
              200);
    js = json_loads(out, 0, NULL);
    CHECK_INT(num(js, "imported"), 2);
    json_decref(js);
    free(out);
    free(lines);
    expect_num(s, "GET", "/v1/namespaces/a-copy/stats", "tok-a", NULL, 200, "episodes", 2);
    /* a bad import line: 400 naming it, the lines before it kept */
    const char *bad = "{\"id\":1,\"task\":\"\",\"score\":0,\"time\":1,\"gamma\":0.5,\"steps\":[]}\nnot json\n";
    CHECK_INT(su_http(jitrl_server_address(s), "POST", "/v1/namespaces/a-bad/episodes:import", "tok-a",
                      "application/x-ndjson", bad, strlen(bad), &out, NULL),
              400);
    CHECK(strstr(out, "line 2") != NULL);
    free(out);
    /* prune: keep the best 1, then everything before a time far ahead */
    expect_num(s, "DELETE", "/v1/namespaces/a-copy/episodes?keep=1", "tok-a", NULL, 200, "removed", 1);
    expect_num(s, "DELETE", "/v1/namespaces/a-copy/episodes?before=99999999999", "tok-a", NULL, 200, "removed", 1);
    CHECK_INT(call(s, "DELETE", "/v1/namespaces/a-copy/episodes", "tok-a", NULL, &js), 400);
    json_decref(js);
    CHECK_INT(call(s, "DELETE", "/v1/namespaces/a-copy/episodes?keep=x", "tok-a", NULL, &js), 400);
    json_decref(js);
    expect_num(s, "GET", "/v1/namespaces/a-copy/stats", "tok-a", NULL, 200, "episodes", 0);
    /* stats of a namespace never used: 404 */
    CHECK_INT(call(s, "GET", "/v1/namespaces/a-none/stats", "tok-a", NULL, &js), 404);
    CHECK_STR(err_code(js), "not_found");
    json_decref(js);
    /* metrics: counted by route and code */
    CHECK_INT(su_http(jitrl_server_address(s), "GET", "/metrics", NULL, NULL, NULL, 0, &out, NULL), 200);
    CHECK(strstr(out, "jitrl_requests_total{route=\"decide\",code=\"200\"} 2") != NULL);
    CHECK(strstr(out, "jitrl_stored_steps{namespace=\"a\"} 2") != NULL);
    CHECK(strstr(out, "jitrl_request_seconds_bucket{route=\"episodes\",le=\"+Inf\"}") != NULL);
    free(out);
}

/* Token a (granted a, a-*) against namespace b, and unknown/absent tokens,
 * on every /v1 route; b is unchanged afterwards. */
static void test_isolation(jitrl_server *s)
{
    json_t *js;
    CHECK_INT(call(s, "POST", "/v1/episodes", "tok-b", EPISODE("b", ""), &js), 200);
    json_decref(js);
    struct { const char *method, *path, *body; } r[] = {
        {"POST", "/v1/decide", DECIDE("b")},
        {"POST", "/v1/episodes", EPISODE("b", ",\"episode_key\":\"x\"")},
        {"GET", "/v1/namespaces/b/stats", NULL},
        {"GET", "/v1/namespaces/b/episodes", NULL},
        {"POST", "/v1/namespaces/b/episodes:import", "{\"id\":9,\"task\":\"\",\"score\":0,\"time\":1,\"gamma\":0.5,\"steps\":[]}\n"},
        {"DELETE", "/v1/namespaces/b/episodes?keep=1", NULL},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        CHECK_MSG(call(s, r[i].method, r[i].path, "tok-a", r[i].body, &js) == 403, "%s %s", r[i].method, r[i].path);
        CHECK_STR(err_code(js), "forbidden");
        json_decref(js);
        CHECK_MSG(call(s, r[i].method, r[i].path, "tok-nobody", r[i].body, &js) == 401, "%s %s", r[i].method,
                  r[i].path);
        CHECK_STR(err_code(js), "unauthorized");
        json_decref(js);
        CHECK_INT(call(s, r[i].method, r[i].path, NULL, r[i].body, &js), 401);
        json_decref(js);
    }
    expect_num(s, "GET", "/v1/namespaces/b/stats", "tok-b", NULL, 200, "episodes", 1);
    /* b's token cannot read a either */
    CHECK_INT(call(s, "GET", "/v1/namespaces/a/episodes", "tok-b", NULL, &js), 403);
    json_decref(js);
    /* health and metrics need no token */
    CHECK_INT(call(s, "GET", "/metrics", NULL, NULL, NULL), 200);
}

static void expect_error(jitrl_server *s, const char *method, const char *path, const char *ctype, const char *body,
                         size_t len, long status, const char *code)
{
    char *out = NULL;
    long st = su_http(jitrl_server_address(s), method, path, "tok-a", ctype, body, len, &out, NULL);
    json_t *js = json_loads(out, 0, NULL);
    CHECK_MSG(st == status && !strcmp(err_code(js), code), "%s %s: %ld %s, wanted %ld %s", method, path, st, out,
              status, code);
    CHECK_MSG(json_is_string(json_object_get(json_object_get(js, "error"), "message")), "%s", out);
    json_decref(js);
    free(out);
}

static void test_bad_input(jitrl_server *s)
{
    const char *j = "application/json";
    expect_error(s, "POST", "/v1/decide", j, "{\"namespace\":", 13, 400, "malformed_json");
    expect_error(s, "POST", "/v1/decide", j, "", 0, 400, "malformed_json");
    expect_error(s, "POST", "/v1/decide", j, "[1,2]", 5, 400, "invalid_request");
    const char utf[] = "{\"namespace\":\"a\",\"state\":{\"current\":\"\xff\xfe\"},\"candidates\":[]}";
    expect_error(s, "POST", "/v1/decide", j, utf, sizeof utf - 1, 400, "malformed_json");
    const char nul[] = "{\"namespace\":\"a\"}\0 trailing";
    expect_error(s, "POST", "/v1/decide", j, nul, sizeof nul - 1, 400, "malformed_json");
    const char *wrong = "{\"namespace\":\"a\",\"state\":{\"current\":3},\"candidates\":[]}";
    expect_error(s, "POST", "/v1/decide", j, wrong, strlen(wrong), 400, "invalid_request");
    wrong = "{\"namespace\":7,\"state\":{},\"candidates\":[]}";
    expect_error(s, "POST", "/v1/decide", j, wrong, strlen(wrong), 400, "invalid_request");
    wrong = "{\"state\":{},\"candidates\":[]}";
    expect_error(s, "POST", "/v1/decide", j, wrong, strlen(wrong), 400, "invalid_request");
    wrong = "{\"namespace\":\"../etc\",\"state\":{},\"candidates\":[]}";
    expect_error(s, "POST", "/v1/decide", j, wrong, strlen(wrong), 400, "invalid_request");
    wrong = "{\"namespace\":\"a\",\"steps\":[{\"state\":{},\"action\":\"x\",\"reward\":\"1\"}]}";
    expect_error(s, "POST", "/v1/episodes", j, wrong, strlen(wrong), 400, "invalid_request");
    /* a body over the 1 MiB limit, with and without a Content-Length the server can see first */
    size_t big = (size_t)2 << 20;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = 0;
    expect_error(s, "POST", "/v1/decide", j, huge, big, 413, "too_large");
    free(huge);
    /* too many candidates for the server's limit (1000) */
    char *many = malloc(64 * 1024);
    size_t k = (size_t)snprintf(many, 64, "{\"namespace\":\"a\",\"state\":{},\"candidates\":[");
    for (int i = 0; i < 1001; i++) k += (size_t)snprintf(many + k, 64, "%s{\"action\":\"a%d\"}", i ? "," : "", i);
    k += (size_t)snprintf(many + k, 8, "]}");
    expect_error(s, "POST", "/v1/decide", j, many, k, 413, "too_large");
    free(many);
    expect_error(s, "POST", "/v1/decide", "text/html", "{}", 2, 415, "unsupported_media_type");
    expect_error(s, "POST", "/v1/namespaces/a/episodes:import", "image/png", "x", 1, 415, "unsupported_media_type");
    expect_error(s, "GET", "/v1/decide", NULL, NULL, 0, 405, "method_not_allowed");
    expect_error(s, "PUT", "/v1/namespaces/a/episodes", NULL, NULL, 0, 405, "method_not_allowed");
    expect_error(s, "GET", "/v2/nothing", NULL, NULL, 0, 404, "not_found");
    expect_error(s, "GET", "/v1/namespaces/a/nothing", NULL, NULL, 0, 404, "not_found");
    expect_error(s, "GET", "/v1/namespaces/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/stats", NULL, NULL,
                 0, 400, "invalid_request");
    /* still serving */
    CHECK_INT(call(s, "GET", "/healthz", NULL, NULL, NULL), 200);
}

/* A client that trickles its body past the timeout gets 408; one that sends
 * nothing is disconnected; neither stops the others. */
static void test_slow(jitrl_server *s)
{
    int fd = su_connect(jitrl_server_address(s));
    CHECK(fd >= 0);
    const char *head = "POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-a\r\n"
                       "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    CHECK(write(fd, head, strlen(head)) == (ssize_t)strlen(head));
    int closed = 0;
    char *got = NULL;
    for (int i = 0; i < 12 && !got; i++) {   /* 12 x 0.3 s, one byte each: never idle for 1 s */
        usleep(300000);
        if (write(fd, " ", 1) != 1) break;
        CHECK_INT(call(s, "GET", "/healthz", NULL, NULL, NULL), 200);
        char *r = su_read_all(fd, 10, &closed);
        if (r && *r) got = r;
        else free(r);
        if (closed) break;
    }
    if (!got) got = su_read_all(fd, 2000, &closed);
    CHECK_MSG(got && strstr(got, " 408 ") && strstr(got, "\"timeout\""), "slow client got: %s", got ? got : "(null)");
    free(got);
    close(fd);
    /* idle: headers only, then silence -- closed within the timeout (1 s) and some slack */
    fd = su_connect(jitrl_server_address(s));
    CHECK(fd >= 0);
    const char *part = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    CHECK(write(fd, part, strlen(part)) == (ssize_t)strlen(part));
    got = su_read_all(fd, 5000, &closed);
    CHECK_MSG(closed, "an idle connection was not closed");
    free(got);
    close(fd);
}

/* A chunked body (no Content-Length to refuse it by) past the limit: 413 as
 * soon as it passes, and the connection closed. */
static void test_chunked_too_big(jitrl_server *s)
{
    int fd = su_connect(jitrl_server_address(s));
    CHECK(fd >= 0);
    const char *head = "POST /v1/episodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-a\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    CHECK(write(fd, head, strlen(head)) == (ssize_t)strlen(head));
    static char chunk[65536 + 16];
    int n = snprintf(chunk, sizeof chunk, "10000\r\n");
    memset(chunk + n, ' ', 65536);
    memcpy(chunk + n + 65536, "\r\n", 2);
    for (int i = 0; i < 40; i++)   /* 2.5 MiB, or until the server closes */
        if (write(fd, chunk, (size_t)n + 65538) < 0) break;
    int closed = 0;
    char *got = su_read_all(fd, 5000, &closed);
    CHECK_MSG(got && strstr(got, " 413 ") && strstr(got, "\"too_large\""), "chunked: %s", got ? got : "(null)");
    free(got);
    close(fd);
}

/* /readyz follows the memory directory: gone -> 503, back -> 200. */
static void test_ready(jitrl_server *s)
{
    char away[160];
    snprintf(away, sizeof away, "%s.away", memdir);
    json_t *js;
    CHECK(rename(memdir, away) == 0);
    CHECK_INT(call(s, "GET", "/readyz", NULL, NULL, &js), 503);
    CHECK_STR(err_code(js), "unavailable");
    json_decref(js);
    CHECK_INT(call(s, "GET", "/healthz", NULL, NULL, NULL), 200);
    CHECK(rename(away, memdir) == 0);
    CHECK_INT(call(s, "GET", "/readyz", NULL, NULL, NULL), 200);
}

/* Past max_connections open connections a request is answered 503 at once;
 * once they close, requests are served again. */
static void test_overload(void)
{
    jitrl_serve_options o;
    jitrl_serve_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.max_connections = 2;
    o.threads = 1;
    jitrl_server *s = NULL;
    char err[256];
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_OK);
    if (!s) return;
    int fd[3];
    for (int i = 0; i < 3; i++) fd[i] = su_connect(jitrl_server_address(s));
    usleep(200000);   /* accepted by the server's event loop */
    json_t *js;
    CHECK_INT(call(s, "GET", "/healthz", NULL, NULL, &js), 503);
    CHECK_STR(err_code(js), "overloaded");
    json_decref(js);
    for (int i = 0; i < 3; i++) close(fd[i]);
    long st = 0;
    for (int i = 0; i < 50 && st != 200; i++) {   /* the closes reach the server */
        usleep(50000);
        st = call(s, "GET", "/healthz", NULL, NULL, NULL);
    }
    CHECK_INT(st, 200);
    jitrl_server_close(s);
}

static void test_open_refusals(void)
{
    jitrl_serve_options o;
    jitrl_serve_options_init(&o);
    jitrl_server *s = NULL;
    char err[512];
    o.listen = "0.0.0.0:0";   /* no tokens: loopback only */
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_EINVAL);
    CHECK(strstr(err, "loopback") != NULL);
    o.listen = "127.0.0.1:99999";
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_EINVAL);
    o.listen = "127.0.0.1:0";
    o.tokens_file = "/nonexistent/tokens";
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_ENOTFOUND);
    o.tokens_file = NULL;
    o.memory = "/nonexistent/dir";
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_ENOTFOUND);
    o.memory = NULL;
    o.size = 0;
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_EINVAL);
    CHECK(s == NULL);
    /* a malformed tokens file names its line */
    char bad[200];
    snprintf(bad, sizeof bad, "%s.bad", tokfile);
    FILE *f = fopen(bad, "w");
    fprintf(f, "# comment\n\nabc123 a\n");
    fclose(f);
    jitrl_serve_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.tokens_file = bad;
    CHECK_INT(jitrl_server_open(&o, &s, err, sizeof err), JITRL_EINVAL);
    CHECK_MSG(strstr(err, ":3:") != NULL, "%s", err);
    unlink(bad);
}

/* URI passwords never reach a client or the log. */
static void test_redact(void)
{
    char m[] = "postgres://app:s3cr3t@db.example:5432/jitrl?sslmode=require&password=hunter2 failed; "
               "postgresql:///x?host=/tmp&user=u ok";
    srv_redact_uri(m);
    CHECK_MSG(!strstr(m, "s3cr3t") && !strstr(m, "hunter2"), "%s", m);
    CHECK(strstr(m, "postgres://app:******@db.example:5432") != NULL);
    CHECK(strstr(m, "postgresql:///x?host=/tmp&user=u ok") != NULL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);   /* writes to a connection the server closed (413) */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(memdir, sizeof memdir, "%s", tu_tmpdir());
    snprintf(tokfile, sizeof tokfile, "%s/tokens", tu_tmpdir());
    char ha[65], hb[65];
    su_sha256_hex("tok-a", ha);
    su_sha256_hex("tok-b", hb);
    FILE *f = fopen(tokfile, "w");
    fprintf(f, "# test grants\n%s  a,a-*   # team a\n%s b\n", ha, hb);
    fclose(f);

    jitrl_server *s = start(memdir, tokfile, 1);
    if (!s) return tu_done();
    test_routes(s);
    test_isolation(s);
    test_bad_input(s);
    test_slow(s);
    test_chunked_too_big(s);
    test_ready(s);
    jitrl_server_close(s);

    /* restart on the same directory: the key is remembered, the episodes kept */
    s = start(memdir, tokfile, 10);
    json_t *js;
    CHECK_INT(call(s, "POST", "/v1/episodes", "tok-a", EPISODE("a", ",\"episode_key\":\"run-7\""), &js), 200);
    CHECK(json_is_true(json_object_get(js, "replayed")));
    json_decref(js);
    expect_num(s, "GET", "/v1/namespaces/a/stats", "tok-a", NULL, 200, "episodes", 2);

    /* a second server beside it (in RAM, no tokens): independent */
    jitrl_server *s2 = start(NULL, NULL, 10);
    CHECK(strcmp(jitrl_server_address(s), jitrl_server_address(s2)) != 0);
    CHECK_INT(call(s2, "GET", "/v1/namespaces/a/stats", NULL, NULL, &js), 404);
    json_decref(js);
    CHECK_INT(call(s2, "POST", "/v1/episodes", NULL, EPISODE("a", ""), &js), 200);
    json_decref(js);
    expect_num(s2, "GET", "/v1/namespaces/a/stats", NULL, NULL, 200, "episodes", 1);
    jitrl_server_stop(s2);
    CHECK_INT(jitrl_server_run(s2), JITRL_OK);   /* stop before run: returns at once */
    jitrl_server_close(s2);
    jitrl_server_close(s);
    test_open_refusals();
    test_overload();
    test_redact();
    jitrl_server_close(NULL);
    curl_global_cleanup();
    return tu_done();
}
