/*
 * json_record.c -- jitrl_record_json: one episode as JSON (docs/api.md)
 * into jitrl_memory_add_episode.  Everything the store would refuse is
 * checked here first, with the path of the bad value, so the only errors
 * left to the store are its own (disk, read-only, lost index).
 */
#include "api/json_int.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/mem_int.h"

static int parse_step(json_t *s, size_t t, api_record *r, api_err *e)
{
    static const char *const known[] = {"state", "action", "reward", NULL};
    char path[API_PATH];
    snprintf(path, sizeof path, "steps[%zu]", t);
    if (!json_is_object(s)) {
        api_fail(e, JITRL_EINVAL, path, "must be an object {\"state\", \"action\", \"reward\"}");
        return -1;
    }
    if (api_known_keys(s, known, path, e)) return -1;
    jitrl_step *st = &r->steps[t];
    json_t *v;
    static const char *const need[] = {"state", "action", "reward"};
    for (size_t i = 0; i < 3; i++)
        if (!json_object_get(s, need[i])) {
            snprintf(path, sizeof path, "steps[%zu].%s", t, need[i]);
            api_fail(e, JITRL_EINVAL, path, "missing");
            return -1;
        }
    snprintf(path, sizeof path, "steps[%zu].state", t);
    if (api_state(json_object_get(s, "state"), path, &r->fields[t * JITRL_JSON_MAX_FIELDS], &st->state, e))
        return -1;
    snprintf(path, sizeof path, "steps[%zu].action", t);
    if (!(st->action = api_string(json_object_get(s, "action"), path, JITRL_JSON_MAX_ACTION, 1, e))) return -1;
    snprintf(path, sizeof path, "steps[%zu].reward", t);
    v = json_object_get(s, "reward");
    if (api_number(v, path, -1e300, 1e300, &st->reward, e)) return -1;
    return 0;
}

int api_parse_record(const char *text, api_record *r, api_err *e)
{
    static const char *const known[] = {"task", "score", "time", "gamma", "steps",
                                        /* read by the service, ignored here (docs/api.md) */
                                        "namespace", "episode_key", NULL};
    memset(r, 0, sizeof *r);
    r->gamma = 0.5;
    if (!(r->root = api_load(text, e))) return -1;
    json_t *o = r->root, *v;
    if (api_known_keys(o, known, "", e)) return -1;
    if ((v = json_object_get(o, "namespace")) && !(r->ns = api_string(v, "namespace", 256, 1, e))) return -1;
    if ((v = json_object_get(o, "episode_key")) && !(r->episode_key = api_string(v, "episode_key", 256, 1, e)))
        return -1;
    if ((v = json_object_get(o, "task")) && !(r->info.task = api_string(v, "task", 4096, 0, e))) return -1;
    if ((v = json_object_get(o, "gamma")) && api_number(v, "gamma", 0, 1, &r->gamma, e)) return -1;
    if ((v = json_object_get(o, "time"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            api_fail(e, JITRL_EINVAL, "time", "must be a non-negative integer (unix seconds)");
            return -1;
        }
        r->info.time = json_integer_value(v);
    }
    json_t *steps = json_object_get(o, "steps");
    if (!steps || !json_is_array(steps)) {
        api_fail(e, JITRL_EINVAL, "steps", steps ? "must be an array" : "missing (an array, possibly empty)");
        return -1;
    }
    size_t n = json_array_size(steps);
    if (n > JITRL_JSON_MAX_STEPS) {
        api_fail(e, JITRL_ETOOBIG, "steps", "%zu steps; at most %d", n, JITRL_JSON_MAX_STEPS);
        return -1;
    }
    r->steps = jr_calloc(n ? n : 1, sizeof *r->steps);
    r->fields = jr_calloc((n ? n : 1) * JITRL_JSON_MAX_FIELDS, sizeof *r->fields);
    if (!r->steps || !r->fields) {
        api_fail(e, JITRL_ENOMEM, NULL, "out of memory");
        return -1;
    }
    double sum = 0;
    for (size_t t = 0; t < n; t++) {
        if (parse_step(json_array_get(steps, t), t, r, e)) return -1;
        sum += r->steps[t].reward;
    }
    r->n = n;
    r->info.score = sum;
    /* |reward| <= 1e300 over at most 1e5 steps: the sum and the returns
     * stay finite. */
    if ((v = json_object_get(o, "score")) && api_number(v, "score", -1e300, 1e300, &r->info.score, e)) return -1;
    return 0;
}

void api_record_free(api_record *r)
{
    jr_free(r->steps);
    jr_free(r->fields);
    json_decref(r->root);
    memset(r, 0, sizeof *r);
}

int jitrl_record_json(jitrl_memory *mem, const char *episode, char **response)
{
    if (!response) return JITRL_EINVAL;
    *response = NULL;
    api_err e = {0};
    api_record r = {0};
    jr_buf b;
    jr_buf_init(&b, 4096);
    if (!mem) api_fail(&e, JITRL_EINVAL, NULL, "no memory handle (NULL)");
    if (!e.rc && !api_parse_record(episode, &r, &e)) {
        int64_t id = 0;
        char err[320] = "";
        int rc = mem_add_episode_err(mem, &r.info, r.steps, r.n, r.gamma, &id, err, sizeof err);
        if (rc) api_fail(&e, rc, NULL, "%s", err);
        else if (jr_buf_printf(&b, "{\"episode_id\":%lld,\"steps\":%zu}", (long long)id, r.n))
            api_fail(&e, JITRL_ENOMEM, NULL, "out of memory");
    }
    api_record_free(&r);
    return api_finish(&e, &b, response);
}
