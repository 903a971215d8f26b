/*
 * fuzz_serve.c -- libFuzzer harness for what `jitrl serve` parses from a
 * client (src/serve/): request bodies through the routes (decide, record,
 * import), URLs through the router (namespace in the path), and the tokens
 * file with an Authorization header checked against it.
 *
 * Why shaped so: the routes are called in-process on a real server handle
 * (srv_route with a made-up request, no socket), so each input costs
 * microseconds and reaches the same code a client's request does.  The
 * first byte picks what the rest is (8: a message whose URI passwords are
 * starred out); every answer must be a JSON object,
 * and an error status must carry {"error": {"code", "message"}} -- anything
 * else aborts, which libFuzzer reports.  The server is re-opened every 512
 * inputs so its namespaces (each a RAM memory) stay few and small.
 *
 * Built by scripts/fuzz.sh (FUZZ_TARGET=serve).
 */
#include "serve/serve_int.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

static jitrl_server *srv;
static unsigned inputs;

static void fresh_server(void)
{
    jitrl_server_close(srv);
    srv = NULL;
    jitrl_serve_options o;
    jitrl_serve_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    char err[256];
    if (jitrl_server_open(&o, &srv, err, sizeof err)) abort();
    inputs = 0;
}

static void check_reply(const srv_reply *rp)
{
    if (rp->status < 200 || rp->status > 599 || !rp->body) abort();
    if (!rp->ctype || strcmp(rp->ctype, "application/json")) return;   /* export: JSON Lines */
    json_t *js = json_loadb(rp->body, rp->len, 0, NULL);
    if (!json_is_object(js)) abort();
    if (rp->status >= 400) {
        json_t *e = json_object_get(js, "error");
        if (!json_is_string(json_object_get(e, "code")) || !json_is_string(json_object_get(e, "message"))) abort();
    }
    json_decref(js);
}

static void route(const char *method, const char *url, const char *body, size_t len)
{
    srv_request rq = srv_request_make(method, url, NULL, &srv->lib);
    rq.body = body;
    rq.body_len = len;
    rq.id = "fuzz";
    srv_reply rp = {0};
    srv_route(srv, &rq, &rp);
    check_reply(&rp);
    jr_free(rp.body);
}

static void tokens(const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    FILE *f = fmemopen((void *)text, len ? len : 1, "r");
    if (!f) return;
    srv_auth *a = NULL;
    char err[256];
    if (!srv_auth_parse(&srv->lib, f, "fuzz", &a, err, sizeof err)) {
        char hdr[512];
        snprintf(hdr, sizeof hdr, "Bearer %.400s", nl ? nl + 1 : text);
        int g = srv_auth_grant(a, hdr);
        if (g >= 0) srv_auth_allows(a, g, "ns");
        srv_auth_free(a);
    }
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv || inputs++ >= 512) fresh_server();
    if (size == 0) return 0;
    /* the body as the server holds it: NUL-terminated, maybe with NULs inside */
    char *body = malloc(size);
    if (!body) return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = 0;
    size_t len = size - 1;
    char url[256];
    switch (data[0] % 9) {
    case 0: route("POST", "/v1/decide", body, len); break;
    case 1: route("POST", "/v1/episodes", body, len); break;
    case 2: route("POST", "/v1/namespaces/fz/episodes:import", body, len); break;
    case 3:
        snprintf(url, sizeof url, "/v1/namespaces/%.200s", body);
        route("GET", url, "", 0);
        break;
    case 4: tokens(body, len); break;
    case 8: srv_redact_uri(body); break;
    case 5: route("DELETE", "/v1/namespaces/fz/episodes", body, len); break;
    case 6: route("GET", "/v1/namespaces/fz/episodes", "", 0); break;
    default: route(len && body[0] == 'P' ? "POST" : "GET", body, "", 0); break;
    }
    free(body);
    return 0;
}
