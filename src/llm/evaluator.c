/*
 * evaluator.c -- the paper's reflective step rewards: after an episode, one
 * model call scores every step on the environment's scale (text games
 * -10..10, web -3..3) and answers strict JSON {"rewards": [...]}.
 *
 * Why it is shaped so: one call per episode, not per step, keeps its cost
 * at a fraction of the decision calls.  The evaluator gets only what the
 * agent saw at each step (the observation before acting) and what it did;
 * the caller hands over nothing else, so ground truth the agent never saw
 * (walkthroughs, hidden scores, the web task's answer) cannot leak into
 * the rewards.  An answer of the wrong length is unusable rather than
 * padded: a reward pinned to the wrong step would teach the wrong thing,
 * and the caller still has the score deltas to fall back on.
 */
#include "llm/llm_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int jitrl_llm_evaluate(jitrl_llm *llm, const char *task, const char *const *observations,
                       const char *const *actions, size_t n_steps, double lo, double hi,
                       double *rewards_out, jitrl_llm_call *info)
{
    jitrl_llm_call local;
    int rc = JITRL_OK;
    jr_buf sys, user;
    llm_reply rep = {0};
    json_t *obj = NULL, *arr = NULL;
    if (!info) info = &local;
    llm_call_begin(info);
    jr_buf_init(&sys, LLM_MAX_PROMPT);
    jr_buf_init(&user, LLM_MAX_PROMPT);
    if (!llm || (n_steps && (!actions || !rewards_out)) || !(lo < hi)) return JITRL_EINVAL;
    llm->err[0] = '\0';
    if (n_steps == 0) return JITRL_OK;
    if (n_steps > 1000) {
        snprintf(llm->err, sizeof llm->err, "llm: evaluate: %zu steps is more than one call can score", n_steps);
        return JITRL_EINVAL;
    }
    rc = llm_prompt_evaluate(llm, task, observations, actions, n_steps, lo, hi, &sys, &user);
    if (rc) {
        snprintf(llm->err, sizeof llm->err, "llm: cannot build the evaluator prompt: %s", jitrl_strerror(rc));
        goto out;
    }
    llm_request req = {jr_buf_str(&sys), jr_buf_str(&user), (long)(6 * n_steps + 40), 0};
    rc = llm_ask(llm, &req, &rep, info, "evaluate");
    if (rc || !rep.usable) goto out;
    obj = llm_extract_json(rep.content, '{');
    arr = json_incref(json_object_get(obj, "rewards"));
    if (!json_is_array(arr)) {
        json_decref(arr);
        arr = llm_extract_json(rep.content, '[');
    }
    if (!arr) {
        llm_fallback(llm, info, "evaluate", "no rewards array in the answer (\"%.30s\")", rep.content);
        goto out;
    }
    if (json_array_size(arr) != n_steps) {
        llm_fallback(llm, info, "evaluate", "%zu rewards for %zu steps", json_array_size(arr), n_steps);
        goto out;
    }
    for (size_t i = 0; i < n_steps; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            llm_fallback(llm, info, "evaluate", "reward %zu is not a number", i + 1);
            goto out;
        }
    }
    for (size_t i = 0; i < n_steps; i++) {
        double r = json_number_value(json_array_get(arr, i));
        rewards_out[i] = r < lo ? lo : r > hi ? hi : r;
    }
out:
    if (rc && rc != JITRL_EAUTH && rc != JITRL_EHTTP && rc != JITRL_EINTERRUPTED) llm->stats.errors++;
    json_decref(obj);
    json_decref(arr);
    llm_reply_free(&rep);
    jr_buf_free(&sys);
    jr_buf_free(&user);
    return rc;
}
