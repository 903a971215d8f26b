/*
 * test_llm_prompt.c -- how big the per-step prompt really is on zork1.
 *
 * Plays the first 40 walkthrough steps through the environment, and at
 * each step builds the token-mode prompt exactly as the agent does (the
 * structured state, the last output, recent actions, the labelled valid
 * actions) through a fake transport that captures it.  Reports chars and
 * an estimate of tokens per step; the target is <= 1,500 tokens.
 *
 * The token estimate is the larger of chars/4 and a count of word and
 * punctuation pieces (each word, number and punctuation mark or newline
 * counted as one token, long words as one per 8 letters) -- the second is
 * closer for the label lines ("B. open mailbox\n" is about 5 tokens, not
 * 4).  Both overestimate slightly for plain English with cl100k/o200k.
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jitrl/zgame.h"
#include "jitrl/llm.h"
#include "testutil.h"

typedef struct capture { long chars; long est; } capture;

static long estimate_tokens(const char *s)
{
    long n = 0;
    while (*s) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\t') { s++; continue; }
        if (isalpha(c)) {
            size_t len = 0;
            while (isalpha((unsigned char)s[len])) len++;
            n += 1 + (long)(len - 1) / 8;
            s += len;
        } else if (isdigit(c)) {
            size_t len = 0;
            while (isdigit((unsigned char)s[len])) len++;
            n += 1 + (long)(len - 1) / 3;
            s += len;
        } else {
            n++;
            s++;
        }
    }
    return n;
}

static int capture_post(void *ctx, const char *url, const char *api_key, const char *body,
                        size_t body_len, long timeout_ms, long *status, char **reply,
                        size_t *reply_len, long *retry_after_ms, char *err, size_t errlen)
{
    capture *cap = ctx;
    static const char rep[] = "{\"choices\":[{\"message\":{\"content\":\"A\"},\"logprobs\":{\"content\":"
                              "[{\"token\":\"A\",\"logprob\":-0.1,\"top_logprobs\":[{\"token\":\"A\",\"logprob\":-0.1}]}]}}]}";
    /* Measure the two message contents, decoded, as the model sees them. */
    json_t *j = json_loads(body, 0, NULL);
    json_t *m;
    size_t i;
    cap->chars = 0;
    cap->est = 0;
    json_array_foreach(json_object_get(j, "messages"), i, m) {
        const char *c = json_string_value(json_object_get(m, "content"));
        cap->chars += (long)strlen(c);
        cap->est += estimate_tokens(c) + 4;   /* + the chat template's per-message tokens */
    }
    json_decref(j);
    *status = 200;
    *retry_after_ms = -1;
    *reply = strdup(rep);
    *reply_len = strlen(rep);
    return *reply ? JITRL_OK : JITRL_ENOMEM;
}

int main(void)
{
    const char *shared = tu_shared();
    const char *story = tu_path(shared, "jericho/games/zork1.z5");
    const char *walk = tu_path(shared, "jericho/walkthroughs/zork1.txt");
    size_t wlen = 0;
    unsigned char *wt = tu_read_file(walk, &wlen);
    if (!wt) tu_skip("no zork1 walkthrough in ../shared");
    char err[256] = "";
    jitrl_env *env = NULL;
    if (jitrl_zgame_open_file(story, NULL, &env, err, sizeof err)) {
        free(wt);
        tu_skip("cannot open zork1 through the environment");
    }
    capture cap = {0, 0};
    jitrl_llm_transport tr = {&cap, capture_post, NULL};
    jitrl_llm_config cfg;
    jitrl_llm_config_init(&cfg);
    cfg.base_url = "http://capture/v1";
    cfg.model = "m";
    cfg.transport = &tr;
    jitrl_llm *llm = NULL;
    CHECK_INT(jitrl_llm_open(&cfg, &llm, err, sizeof err), JITRL_OK);
    jitrl_obs obs;
    CHECK_INT(jitrl_env_reset(env, &obs), JITRL_OK);

    const int steps = getenv("JITRL_SANITIZED") ? 12 : 40;
    const char *hist[64];
    char *lines[64];
    int nl = 0;
    for (char *p = (char *)wt, *save = NULL, *t = strtok_r(p, "\n", &save); t && nl < steps;
         t = strtok_r(NULL, "\n", &save))
        if (*t) lines[nl++] = t;
    long sum_est = 0, max_est = 0, sum_chars = 0, max_chars = 0, sum_cands = 0;
    int measured = 0;
    for (int s = 0; s < nl; s++) {
        /* the context the agent builds (src/agent/agent.c): the
         * environment's prompt fields, observation and wording */
        const char *const *valid = NULL;
        size_t nv = 0, npf = 0;
        const jitrl_field *pf = NULL;
        if (jitrl_env_actions(env, &valid, &nv) || nv == 0 || jitrl_env_prompt_fields(env, &pf, &npf) ||
            npf > 8) {
            if (jitrl_env_step(env, lines[s], &obs)) break;
            continue;
        }
        jitrl_llm_field fields[8];
        for (size_t i = 0; i < npf; i++) fields[i] = (jitrl_llm_field){pf[i].name, pf[i].text};
        const jitrl_env_info *in = jitrl_env_info_get(env);
        jitrl_llm_context ctx = {in->task, fields, npf, jitrl_env_observation(env), hist, (size_t)s,
                                 in->system_prompt, in->action_hint};
        double *lg = malloc(nv * sizeof *lg);
        jitrl_llm_call info;
        CHECK_INT(jitrl_llm_prior(llm, &ctx, valid, nv, NULL, lg, &info), JITRL_OK);
        free(lg);
        sum_est += cap.est;
        sum_chars += cap.chars;
        sum_cands += (long)nv;
        if (cap.est > max_est) max_est = cap.est;
        if (cap.chars > max_chars) max_chars = cap.chars;
        measured++;
        hist[s] = lines[s];
        if (jitrl_env_step(env, lines[s], &obs) || obs.done) break;
    }
    CHECK(measured >= steps / 2);
    if (measured) {
        printf("FIGURE llm zork1 prompt over %d walkthrough steps: mean %ld chars / ~%ld tokens, "
               "max %ld chars / ~%ld tokens (target <= 1500), mean %.1f valid actions\n",
               measured, sum_chars / measured, sum_est / measured, max_chars, max_est,
               (double)sum_cands / measured);
        CHECK(max_est <= 1500);
    }
    jitrl_llm_close(llm);
    jitrl_env_close(env);
    free(wt);
    return tu_done();
}
