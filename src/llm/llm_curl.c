/*
 * llm_curl.c -- the default transport of the model backend: one POST over
 * the library's HTTP layer (src/net/, libcurl loaded with dlopen on first
 * use), the reply body capped at LLM_MAX_REPLY, Retry-After read.
 *
 * Why it is shaped so: the client (llm_openai.c) only sees the
 * jitrl_llm_transport seam, so tests swap this file out for a fake and the
 * retry logic is tested without sockets.  One HTTP transport lives on the
 * jitrl_llm so consecutive calls reuse the connection.  The key goes only
 * into the Authorization header, never into a message.
 */
#include "llm/llm_int.h"

#include <stdio.h>
#include <string.h>

int llm_curl_init(jitrl_llm *llm)
{
    return net_curl_open(&llm->net, llm->err, sizeof llm->err);
}

void llm_curl_free(jitrl_llm *llm) { net_transport_close(&llm->net); }

long llm_parse_retry_after(const char *v) { return net_parse_retry_after(v); }

int llm_curl_post(void *ctx, const char *url, const char *api_key, const char *body,
                  size_t body_len, long timeout_ms, long *status, char **reply,
                  size_t *reply_len, long *retry_after_ms, char *err, size_t errlen)
{
    jitrl_llm *llm = ctx;
    char auth[1024];
    *status = 0;
    *reply = NULL;
    *reply_len = 0;
    *retry_after_ms = -1;
    err[0] = '\0';
    net_header h[3] = {{"Content-Type", "application/json"},
                       {"Expect", NULL}};   /* "Expect: 100-continue" costs a round trip on large prompts */
    size_t nh = 2;
    if (api_key) {
        if ((size_t)snprintf(auth, sizeof auth, "Bearer %s", api_key) >= sizeof auth) {
            memset(auth, 0, sizeof auth);
            snprintf(err, errlen, "API key too long");
            return JITRL_EHTTP;
        }
        h[nh++] = (net_header){"Authorization", auth};
    }
    net_request rq = {"POST", url, h, nh, body, body_len, timeout_ms, llm->cfg.connect_timeout_ms,
                      LLM_MAX_REPLY, llm->cfg.cancel};
    net_response rs;
    int rc = net_send(&llm->net, &rq, &rs, err, errlen);
    memset(auth, 0, sizeof auth);
    if (rc == JITRL_ETOOBIG) err[0] = '\0';   /* the client says it its way */
    if (rc) return rc;
    *status = rs.status;
    *retry_after_ms = rs.retry_after_ms;
    *reply_len = rs.body_len;
    *reply = rs.body;   /* the caller's (jr_free) */
    rs.body = NULL;
    net_response_free(&rs);
    return JITRL_OK;
}
