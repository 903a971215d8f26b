/*
 * check.c -- one request before a run: is the endpoint there, and does it
 * know the model?
 *
 * Calls treat a missing reply as transient (retried, then the uniform
 * prior), which is right mid-run and wrong at the start: a refused port,
 * an unresolvable host or a mistyped URL would otherwise cost a whole run
 * of retries and exit 0.  So a caller checks once, with no retries: no
 * reply at all is an error naming the URL and the reason, and so is what
 * a call would refuse (401/403: the key; 404: the URL or the model; other
 * 4xx).  A reply the calls would retry or fall back on (429, 5xx, an odd
 * 200) means the server is there, and passes.
 */
#include "llm/llm_int.h"

#include <stdio.h>
#include <string.h>

int jitrl_llm_check(jitrl_llm *llm)
{
    if (!llm) return JITRL_EINVAL;
    int retries = llm->cfg.max_retries;
    llm->cfg.max_retries = 0;
    llm_request req = {"Answer with one letter.", "Say A.", 1, 0};
    llm_reply rep;
    jitrl_llm_call info;
    llm_call_begin(&info);
    int rc = llm_chat(llm, &req, &rep, &info);
    llm->cfg.max_retries = retries;
    int usable = rep.usable;
    llm_reply_free(&rep);
    if (!rc && !usable && info.http_status == 0) {
        rc = JITRL_EHTTP;
        snprintf(llm->err, sizeof llm->err, "llm: cannot reach %s: %s", llm->url, info.reason);
        llm_redact(llm->err, sizeof llm->err, llm->api_key);
    }
    /* the check is not part of the run's accounting */
    jitrl_llm_stats_reset(llm);
    llm->failed_in_row = 0;
    return rc;
}
