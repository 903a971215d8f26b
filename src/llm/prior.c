/*
 * prior.c -- prior logits for candidate actions from one model call:
 * the token mode (label log-probabilities), the verbal mode (JSON
 * confidences) and the propose mode (the model names k actions).
 *
 * Why it is shaped so:
 *  - Labels are the capital letters A..Z.  Each is a single token in every
 *    tokenizer we target (OpenAI cl100k/o200k, Llama 2/3, Mistral, Qwen,
 *    Gemma), with and without a leading space, so one max_tokens=1 answer
 *    and its top_logprobs score every shown candidate at once.  Digits are
 *    not: "10".."26" are two tokens for Llama's SentencePiece, and lower
 *    case letters collide with words ("a", "i").  Variants of one label
 *    (" A", "A", "A.") are merged by log-sum-exp.
 *  - A label absent from top_logprobs is less likely than every listed
 *    token, so it gets floor = (least listed logprob) - ln 10: strictly
 *    below what we saw, without pretending to know how far.  Logprobs are
 *    clamped to >= -100 first (vLLM reports -9999 for "impossible").
 *  - More candidates than labels: the max_labels candidates of highest
 *    caller priority are shown (stable, so with no priority the input
 *    order rules and a caller lists memory actions first); the others get
 *    the floor too.  One call per step, never a second shortlist call.
 *  - Verbal: confidence c in 0..100 maps to logit ln((c+1)/101), i.e. the
 *    confidence read as a probability with add-one smoothing: 100 -> 0,
 *    50 -> -0.68, 0 -> -4.62.  A shown candidate the model left out gets
 *    c = 0.
 *  - Anything unusable becomes the uniform prior (all zeros), counted.
 */
#include "llm/llm_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"

/* Indices of the candidates to show, highest priority first, stable. */
static size_t shortlist(const double *priority, size_t n, size_t max, size_t *idx)
{
    for (size_t i = 0; i < n; i++) idx[i] = i;
    if (priority) {
        /* insertion sort: stable, and n is a few dozen */
        for (size_t i = 1; i < n; i++) {
            size_t v = idx[i], j = i;
            while (j > 0 && priority[idx[j - 1]] < priority[v]) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
    }
    return n < max ? n : max;
}

/* " A", "A", "A.", "(A)", "A:" -> 0; anything else -> -1. */
static int label_of(const char *tok, size_t m)
{
    const char *p = tok;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '(' || *p == '[' || *p == '"') p++;
    if (*p < 'A' || *p > 'Z') return -1;
    int lab = *p - 'A';
    p++;
    while (*p == ' ' || *p == ')' || *p == ']' || *p == '.' || *p == ':' || *p == '"' || *p == '\n')
        p++;
    if (*p) return -1;
    return (size_t)lab < m ? lab : -1;
}

static double logaddexp(double a, double b)
{
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double hi = a > b ? a : b, lo = a > b ? b : a;
    return hi + log1p(exp(lo - hi));
}

static void uniform(double *logits, size_t n)
{
    for (size_t i = 0; i < n; i++) logits[i] = 0.0;
}

/* Token mode: read the label logprobs.  Returns 1 if usable. */
static int read_token_answer(jitrl_llm *llm, const llm_reply *rep, size_t m, const size_t *idx,
                             size_t n, double *logits, jitrl_llm_call *info)
{
    double lab[LLM_MAX_LABELS];
    for (size_t i = 0; i < m; i++) lab[i] = -INFINITY;
    if (!rep->top_logprobs) {
        llm_fallback(llm, info, "prior", "%s", rep->content[0] ? "reply has no logprobs (does the server support them?)" : "empty answer and no logprobs");
        return 0;
    }
    double least = INFINITY;
    int found = 0, entries = 0;
    size_t nt = json_array_size(rep->top_logprobs);
    for (size_t i = 0; i < nt && i < 64; i++) {
        json_t *e = json_array_get(rep->top_logprobs, i);
        json_t *tok = json_object_get(e, "token"), *lp = json_object_get(e, "logprob");
        if (!json_is_string(tok) || !json_is_number(lp)) continue;
        double v = json_number_value(lp);
        if (!isfinite(v)) continue;     /* -inf / nan from odd servers carry no rank */
        if (v > 0) v = 0;
        if (v < LLM_MIN_LOGPROB) v = LLM_MIN_LOGPROB;   /* vLLM pads with -9999 */
        entries++;
        if (v < least) least = v;
        int l = label_of(json_string_value(tok), m);
        if (l < 0) continue;
        if (lab[l] == -INFINITY) found++;
        lab[l] = logaddexp(lab[l], v);
    }
    info->labels_found = found;
    if (!found) {
        if (!entries && !rep->content[0])
            llm_fallback(llm, info, "prior", "empty answer");
        else
            llm_fallback(llm, info, "prior", "no label A-%c in the answer (got \"%.20s\")",
                         'A' + (int)m - 1, rep->content);
        return 0;
    }
    double floor = least - LLM_FLOOR_MARGIN;
    for (size_t i = 0; i < n; i++) logits[i] = floor;
    long floored = (long)(n - m);
    for (size_t i = 0; i < m; i++) {
        if (lab[i] == -INFINITY) floored++;
        else logits[idx[i]] = lab[i];
    }
    llm->stats.floor_labels += floored;
    return 1;
}

/* Verbal mode: JSON object {label: confidence} (or an array in order). */
static int read_verbal_answer(jitrl_llm *llm, const llm_reply *rep, size_t m, const size_t *idx,
                              size_t n, double *logits, jitrl_llm_call *info)
{
    if (!rep->content[0]) {
        llm_fallback(llm, info, "prior", "empty answer");
        return 0;
    }
    double conf[LLM_MAX_LABELS];
    for (size_t i = 0; i < m; i++) conf[i] = -1;
    int found = 0;
    json_t *obj = llm_extract_json(rep->content, '{');
    json_t *arr = obj ? NULL : llm_extract_json(rep->content, '[');
    if (obj) {
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v) {
            int l = label_of(key, m);
            double c;
            if (l < 0) continue;
            if (json_is_number(v)) c = json_number_value(v);
            else continue;
            if (!(c >= 0)) c = 0;
            if (c > 100) c = 100;
            if (conf[l] < 0) found++;
            conf[l] = c;
        }
    } else if (arr) {
        for (size_t i = 0; i < m && i < json_array_size(arr); i++) {
            json_t *v = json_array_get(arr, i);
            if (!json_is_number(v)) continue;
            double c = json_number_value(v);
            conf[i] = c < 0 || c != c ? 0 : c > 100 ? 100 : c;
            found++;
        }
    }
    json_decref(obj);
    json_decref(arr);
    info->labels_found = found;
    if (!found) {
        llm_fallback(llm, info, "prior", "no usable confidences in the answer (\"%.30s\")", rep->content);
        return 0;
    }
    double zero = log(1.0 / 101.0);
    for (size_t i = 0; i < n; i++) logits[i] = zero;
    for (size_t i = 0; i < m; i++)
        if (conf[i] >= 0) logits[idx[i]] = log((conf[i] + 1.0) / 101.0);
    return 1;
}

int jitrl_llm_prior(jitrl_llm *llm, const jitrl_llm_context *ctx,
                    const char *const *candidates, size_t n, const double *priority,
                    double *logits_out, jitrl_llm_call *info)
{
    jitrl_llm_call local;
    int rc = JITRL_OK;
    size_t *idx = NULL;
    jr_buf sys, user;
    llm_reply rep = {0};
    if (!info) info = &local;
    llm_call_begin(info);
    jr_buf_init(&sys, LLM_MAX_PROMPT);
    jr_buf_init(&user, LLM_MAX_PROMPT);
    if (!llm || (n && (!candidates || !logits_out))) return JITRL_EINVAL;
    uniform(logits_out, n);
    llm->err[0] = '\0';
    if (n == 0) return JITRL_OK;
    if (llm->cfg.mode == JITRL_LLM_PROPOSE) return JITRL_OK;   /* proposals carry no prior */
    if (n == 1) { info->n_shown = 1; return JITRL_OK; }          /* nothing to choose */

    idx = jr_malloc(n * sizeof *idx);
    if (!idx) { rc = JITRL_ENOMEM; goto out; }
    size_t m = shortlist(priority, n, (size_t)llm->cfg.max_labels, idx);
    if (m < n) llm->stats.shortlisted++;
    info->n_shown = m;
    const char *shown[LLM_MAX_LABELS];
    for (size_t i = 0; i < m; i++) shown[i] = candidates[idx[i]];
    int verbal = llm->cfg.mode == JITRL_LLM_VERBAL;
    rc = llm_prompt_choice(llm, ctx, shown, m, verbal, &sys, &user);
    if (rc) {
        snprintf(llm->err, sizeof llm->err, "llm: cannot build the prompt: %s", jitrl_strerror(rc));
        goto out;
    }
    llm_request req = {jr_buf_str(&sys), jr_buf_str(&user), verbal ? (long)(10 * m + 40) : 1, !verbal};
    rc = llm_ask(llm, &req, &rep, info, "prior");
    if (rc || !rep.usable) goto out;
    if (verbal) read_verbal_answer(llm, &rep, m, idx, n, logits_out, info);
    else read_token_answer(llm, &rep, m, idx, n, logits_out, info);
out:
    if (rc) {
        uniform(logits_out, n);
        if (rc != JITRL_EAUTH && rc != JITRL_EHTTP && rc != JITRL_EINTERRUPTED) llm->stats.errors++;
    }
    llm_reply_free(&rep);
    jr_buf_free(&sys);
    jr_buf_free(&user);
    jr_free(idx);
    return rc;
}

int jitrl_llm_propose(jitrl_llm *llm, const jitrl_llm_context *ctx, int k,
                      char ***actions_out, size_t *n_out, jitrl_llm_call *info)
{
    jitrl_llm_call local;
    int rc = JITRL_OK;
    jr_buf sys, user;
    llm_reply rep = {0};
    json_t *arr = NULL;
    char **list = NULL;
    size_t cnt = 0;
    if (!info) info = &local;
    llm_call_begin(info);
    jr_buf_init(&sys, LLM_MAX_PROMPT);
    jr_buf_init(&user, LLM_MAX_PROMPT);
    if (!llm || !actions_out || !n_out) return JITRL_EINVAL;
    *actions_out = NULL;
    *n_out = 0;
    llm->err[0] = '\0';
    if (k <= 0) k = llm->cfg.propose_k;
    if (k > 20) k = 20;
    rc = llm_prompt_propose(llm, ctx, k, &sys, &user);
    if (rc) goto out;
    llm_request req = {jr_buf_str(&sys), jr_buf_str(&user), 16L * k + 40, 0};
    rc = llm_ask(llm, &req, &rep, info, "propose");
    if (rc || !rep.usable) goto out;
    arr = llm_extract_json(rep.content, '[');
    if (!arr) {
        json_t *obj = llm_extract_json(rep.content, '{');
        json_t *a = json_object_get(obj, "actions");
        if (json_is_array(a)) arr = json_incref(a);
        json_decref(obj);
    }
    list = jr_calloc((size_t)k, sizeof *list);
    if (!list) { rc = JITRL_ENOMEM; goto out; }
    for (size_t i = 0; arr && i < json_array_size(arr) && cnt < (size_t)k; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) continue;
        jr_buf a;
        jr_buf_init(&a, 200);
        if (llm_put_compact(&a, json_string_value(v), 80) || a.len == 0) { jr_buf_free(&a); continue; }
        int dup = 0;
        for (size_t j = 0; j < cnt; j++) dup |= strcasecmp(list[j], jr_buf_str(&a)) == 0;
        if (dup) { jr_buf_free(&a); continue; }
        list[cnt] = jr_buf_steal(&a);
        if (!list[cnt]) { rc = JITRL_ENOMEM; goto out; }
        cnt++;
    }
    if (cnt == 0)
        llm_fallback(llm, info, "propose", "no action strings in the answer (\"%.30s\")", rep.content);
out:
    if (rc) {
        jitrl_llm_free_strings(list, cnt);
        list = NULL;
        cnt = 0;
        if (rc != JITRL_EAUTH && rc != JITRL_EHTTP && rc != JITRL_EINTERRUPTED) llm->stats.errors++;
    }
    *actions_out = list;
    *n_out = cnt;
    json_decref(arr);
    llm_reply_free(&rep);
    jr_buf_free(&sys);
    jr_buf_free(&user);
    return rc;
}
