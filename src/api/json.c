/*
 * json.c -- jitrl_decide_json and jitrl_record_json: the engine's JSON
 * surface (schema: docs/api.md), shared by the service and the Python
 * package.
 *
 * Shaped so: a request is parsed with jansson (which rejects invalid
 * UTF-8, NUL bytes in strings and, with JSON_REJECT_DUPLICATES, repeated
 * keys) into the C call's arguments, every field checked for type and range
 * with the path of the offending value in the message, then the ordinary C
 * call runs.  The answer is written with jr_buf and %.17g, so a client that
 * parses it gets exactly the doubles jitrl_decide computed.  Errors go into
 * the response (and the return code), never onto the memory handle, which
 * other threads may be using.
 */
#include "api/json_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "engine/mem.h"
#include "engine/mem_int.h"

void api_fail(api_err *e, int rc, const char *path, const char *fmt, ...)
{
    if (e->rc) return;   /* the first complaint is the one reported */
    e->rc = rc;
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

const char *api_err_code(int rc)
{
    switch (rc) {
    case JITRL_EPARSE: return "malformed_json";
    case JITRL_EINVAL: return "invalid_request";
    case JITRL_ETOOBIG: return "too_large";
    case JITRL_ENOMEM: return "out_of_memory";
    case JITRL_ESTATE: return "unavailable";
    case JITRL_EDB:
    case JITRL_EIO: return "storage_error";
    default: return "internal_error";
    }
}

/* {"error": {"code", "message", "path"?}} as the caller's string, or NULL
 * when even that cannot be allocated. */
static void ascii_only(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) *s = '?';
}

char *api_error_json(api_err *e)
{
    /* Messages quote the request (a key, jansson's "near '...'"), which may
     * be the invalid UTF-8 being complained about, or cut mid-character:
     * the error itself must be valid JSON, so it is kept to ASCII. */
    ascii_only(e->msg);
    ascii_only(e->path);
    jr_buf b;
    jr_buf_init(&b, 4096);
    int rc = jr_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", api_err_code(e->rc));
    if (!rc) rc = jr_buf_json_str(&b, e->msg);
    if (!rc && e->path[0]) rc = jr_buf_puts(&b, ",\"path\":");
    if (!rc && e->path[0]) rc = jr_buf_json_str(&b, e->path);
    if (!rc) rc = jr_buf_puts(&b, "}}");
    char *s = rc ? NULL : jr_buf_steal(&b);
    jr_buf_free(&b);
    return s;
}

/* Hand the answer (or the error) to the caller. */
int api_finish(api_err *e, jr_buf *ok, char **response)
{
    if (!e->rc) {
        *response = jr_buf_steal(ok);
        if (!*response) api_fail(e, JITRL_ENOMEM, NULL, "out of memory");
    }
    if (e->rc) *response = api_error_json(e);
    jr_buf_free(ok);
    return e->rc;
}

/* ---------- parsing helpers ---------- */

json_t *api_load(const char *text, api_err *e)
{
    if (!text) {
        api_fail(e, JITRL_EINVAL, NULL, "no request text (NULL)");
        return NULL;
    }
    size_t len = strnlen(text, JITRL_JSON_MAX_BYTES + 1);
    if (len > JITRL_JSON_MAX_BYTES) {
        api_fail(e, JITRL_ETOOBIG, NULL, "request over %zu bytes", JITRL_JSON_MAX_BYTES);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        /* jansson says "unable to decode byte 0x.." for bad UTF-8 */
        api_fail(e, JITRL_EPARSE, NULL, "not valid JSON at line %d column %d: %s%s", je.line, je.column, je.text,
                 strstr(je.text, "decode byte") ? " (invalid UTF-8)" : "");
        return NULL;
    }
    if (!json_is_object(root)) {
        api_fail(e, JITRL_EINVAL, NULL, "the request must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

int api_known_keys(json_t *obj, const char *const *known, const char *where, api_err *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k)) i++;
        if (!known[i]) {
            char path[API_PATH];
            snprintf(path, sizeof path, "%s%s%.64s", where, where[0] ? "." : "", k);
            api_fail(e, JITRL_EINVAL, path, "unknown key '%.64s'", k);
            return -1;
        }
    }
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

int api_number(json_t *v, const char *path, double lo, double hi, double *out, api_err *e)
{
    if (!json_is_number(v)) {
        api_fail(e, JITRL_EINVAL, path, "must be a number, not %s", type_name(v));
        return -1;
    }
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi) {
        api_fail(e, JITRL_EINVAL, path, "%g is outside [%g, %g]", x, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int integer(json_t *v, const char *path, long long lo, long long hi, long long *out, api_err *e)
{
    if (!json_is_integer(v)) {
        api_fail(e, JITRL_EINVAL, path, "must be an integer, not %s", json_is_real(v) ? "a fraction" : type_name(v));
        return -1;
    }
    long long x = json_integer_value(v);
    if (x < lo || x > hi) {
        api_fail(e, JITRL_EINVAL, path, "%lld is outside [%lld, %lld]", x, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int boolean(json_t *v, const char *path, int *out, api_err *e)
{
    if (!json_is_boolean(v)) {
        api_fail(e, JITRL_EINVAL, path, "must be true or false, not %s", type_name(v));
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

const char *api_string(json_t *v, const char *path, size_t max, int nonempty, api_err *e)
{
    if (!json_is_string(v)) {
        api_fail(e, JITRL_EINVAL, path, "must be a string, not %s", type_name(v));
        return NULL;
    }
    size_t n = json_string_length(v);
    if (n > max) {
        api_fail(e, JITRL_ETOOBIG, path, "%zu bytes; at most %zu", n, max);
        return NULL;
    }
    if (nonempty && n == 0) {
        api_fail(e, JITRL_EINVAL, path, "must not be empty");
        return NULL;
    }
    return json_string_value(v);
}

int api_state(json_t *v, const char *path, jitrl_field *fields, jitrl_state *st, api_err *e)
{
    if (!json_is_object(v)) {
        api_fail(e, JITRL_EINVAL, path, "a state must be an object of text fields, not %s", type_name(v));
        return -1;
    }
    if (json_object_size(v) > JITRL_JSON_MAX_FIELDS) {
        api_fail(e, JITRL_ETOOBIG, path, "%zu fields; at most %d", json_object_size(v), JITRL_JSON_MAX_FIELDS);
        return -1;
    }
    size_t n = 0;
    const char *k;
    json_t *t;
    json_object_foreach(v, k, t) {
        char fp[API_PATH];
        snprintf(fp, sizeof fp, "%s.%.64s", path, k);
        if (!k[0] || strlen(k) > JITRL_JSON_MAX_NAME) {
            api_fail(e, JITRL_EINVAL, fp, "a field name must have 1..%d bytes", JITRL_JSON_MAX_NAME);
            return -1;
        }
        const char *text = api_string(t, fp, JITRL_JSON_MAX_TEXT, 0, e);
        if (!text) return -1;
        fields[n++] = (jitrl_field){k, text};
    }
    *st = (jitrl_state){fields, n};
    return 0;
}

/* ---------- decide ---------- */

static const char *const mode_names[] = {"sample", "argmax", "legacy"};

static int parse_params(json_t *o, jitrl_params *p, api_err *e)
{
    static const char *const known[] = {"preset", "beta", "k", "threshold", "keep_above", "lambda", "alpha",
                                        "gamma", "eps", "weighted", "exact", "augment", "unseen_neutral",
                                        "max_listed", NULL};
    if (!json_is_object(o)) {
        api_fail(e, JITRL_EINVAL, "params", "must be an object, not %s", type_name(o));
        return -1;
    }
    if (api_known_keys(o, known, "params", e)) return -1;
    json_t *v = json_object_get(o, "preset");
    const char *preset = "text";
    if (v && !(preset = api_string(v, "params.preset", 16, 1, e))) return -1;
    if (jitrl_params_default(p, preset)) {
        api_fail(e, JITRL_EINVAL, "params.preset", "unknown preset '%s' (text, web)", preset);
        return -1;
    }
    struct { const char *key; double lo, hi; double *dst; } nums[] = {
        {"beta", 0, 1e6, &p->beta},         {"threshold", 0, 1, &p->threshold}, {"keep_above", 0, 2, &p->keep_above},
        {"lambda", 0, 1, &p->lambda},       {"alpha", -1e12, 1e12, &p->alpha},  {"gamma", 0, 1, &p->gamma},
        {"eps", 0, 1e6, &p->eps},
    };
    char path[API_PATH];
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (!(v = json_object_get(o, nums[i].key))) continue;
        snprintf(path, sizeof path, "params.%s", nums[i].key);
        if (api_number(v, path, nums[i].lo, nums[i].hi, nums[i].dst, e)) return -1;
    }
    struct { const char *key; int *dst; } flags[] = {
        {"weighted", &p->weighted}, {"exact", &p->exact}, {"augment", &p->augment},
        {"unseen_neutral", &p->unseen_neutral},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!(v = json_object_get(o, flags[i].key))) continue;
        snprintf(path, sizeof path, "params.%s", flags[i].key);
        if (boolean(v, path, flags[i].dst, e)) return -1;
    }
    long long x;
    if ((v = json_object_get(o, "k"))) {
        if (integer(v, "params.k", 0, 1000000, &x, e)) return -1;
        p->k = (size_t)x;
    }
    if ((v = json_object_get(o, "max_listed"))) {
        if (integer(v, "params.max_listed", 0, 1000000, &x, e)) return -1;
        p->max_listed = (size_t)x;
    }
    return 0;
}

static int parse_candidates(json_t *a, api_decide *d, api_err *e)
{
    if (!json_is_array(a)) {
        api_fail(e, JITRL_EINVAL, "candidates", "must be an array of {\"action\", \"logit\"?}, not %s", type_name(a));
        return -1;
    }
    size_t n = json_array_size(a);
    if (n > JITRL_JSON_MAX_CANDIDATES) {
        api_fail(e, JITRL_ETOOBIG, "candidates", "%zu candidates; at most %d", n, JITRL_JSON_MAX_CANDIDATES);
        return -1;
    }
    d->cand = jr_malloc((n ? n : 1) * sizeof *d->cand);
    d->logits = jr_malloc((n ? n : 1) * sizeof *d->logits);
    if (!d->cand || !d->logits) {
        api_fail(e, JITRL_ENOMEM, NULL, "out of memory");
        return -1;
    }
    static const char *const known[] = {"action", "logit", NULL};
    size_t with_logit = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(a, i);
        char path[API_PATH];
        snprintf(path, sizeof path, "candidates[%zu]", i);
        if (!json_is_object(c)) {
            api_fail(e, JITRL_EINVAL, path, "must be an object {\"action\", \"logit\"?}, not %s", type_name(c));
            return -1;
        }
        if (api_known_keys(c, known, path, e)) return -1;
        json_t *act = json_object_get(c, "action"), *lg = json_object_get(c, "logit");
        snprintf(path, sizeof path, "candidates[%zu].action", i);
        if (!act) {
            api_fail(e, JITRL_EINVAL, path, "missing");
            return -1;
        }
        if (!(d->cand[i] = api_string(act, path, JITRL_JSON_MAX_ACTION, 1, e))) return -1;
        d->logits[i] = 0;
        if (lg) {
            snprintf(path, sizeof path, "candidates[%zu].logit", i);
            if (api_number(lg, path, -1e300, 1e300, &d->logits[i], e)) return -1;
            with_logit++;
        }
    }
    if (with_logit && with_logit != n) {
        api_fail(e, JITRL_EINVAL, "candidates", "%zu of %zu candidates have a logit: give every one a logit, or none",
                 with_logit, n);
        return -1;
    }
    d->n = n;
    d->have_logits = with_logit > 0;
    return 0;
}

/* A seed when the request gives none: from the kernel, else the clock. */
static uint64_t fresh_seed(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s) return s & INT64_MAX;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&s) & INT64_MAX;
}

int api_parse_decide(const char *request, api_decide *d, api_err *e)
{
    static const char *const known[] = {"state", "candidates", "params", "seed", "mode", "trace",
                                        /* read by the service, ignored here (docs/api.md) */
                                        "namespace", "task", "observation", NULL};
    memset(d, 0, sizeof *d);
    jitrl_params_default(&d->p, NULL);
    d->root = api_load(request, e);
    if (!d->root) return -1;
    json_t *r = d->root, *v;
    if (api_known_keys(r, known, "", e)) return -1;
    if (!(v = json_object_get(r, "state"))) {
        api_fail(e, JITRL_EINVAL, "state", "missing (an object of text fields, e.g. {\"current\": \"...\"})");
        return -1;
    }
    if (api_state(v, "state", d->fields, &d->st, e)) return -1;
    if ((v = json_object_get(r, "params")) && parse_params(v, &d->p, e)) return -1;
    if (!(v = json_object_get(r, "candidates"))) {
        api_fail(e, JITRL_EINVAL, "candidates", "missing (an array, possibly empty)");
        return -1;
    }
    if (parse_candidates(v, d, e)) return -1;
    if ((v = json_object_get(r, "mode"))) {
        const char *m = api_string(v, "mode", 16, 1, e);
        if (!m) return -1;
        size_t i = 0;
        while (i < 3 && strcmp(m, mode_names[i])) i++;
        if (i == 3) {
            api_fail(e, JITRL_EINVAL, "mode", "'%s' is not sample, argmax or legacy", m);
            return -1;
        }
        d->p.mode = (jitrl_mode)i;
    }
    if ((v = json_object_get(r, "seed"))) {
        long long s;
        if (integer(v, "seed", 0, INT64_MAX, &s, e)) return -1;
        d->seed = (uint64_t)s;
    } else {
        d->seed = fresh_seed();
    }
    if ((v = json_object_get(r, "trace")) && boolean(v, "trace", &d->trace, e)) return -1;
    if ((v = json_object_get(r, "namespace")) && !(d->ns = api_string(v, "namespace", 256, 1, e))) return -1;
    if ((v = json_object_get(r, "task")) && !(d->task = api_string(v, "task", JITRL_JSON_MAX_TEXT, 0, e))) return -1;
    if ((v = json_object_get(r, "observation")) &&
        !(d->observation = api_string(v, "observation", JITRL_JSON_MAX_TEXT, 0, e)))
        return -1;
    return 0;
}

void api_decide_free(api_decide *d)
{
    jr_free(d->cand);
    jr_free(d->logits);
    json_decref(d->root);
    memset(d, 0, sizeof *d);
}

static int put_num(jr_buf *b, double x)
{
    if (!isfinite(x)) return jr_buf_puts(b, "null");
    return jr_buf_printf(b, "%.17g", x);
}

static int put_nums(jr_buf *b, const char *key, const double *x, size_t n)
{
    int rc = jr_buf_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; !rc && i < n; i++) {
        if (i) rc = jr_buf_putc(b, ',');
        if (!rc) rc = put_num(b, x[i]);
    }
    if (!rc) rc = jr_buf_putc(b, ']');
    return rc;
}

int api_decision_json(const jitrl_decision *dc, uint64_t seed, int trace, const char *decision_id, jr_buf *b)
{
    int rc = jr_buf_putc(b, '{');
    if (!rc && decision_id) rc = jr_buf_puts(b, "\"decision_id\":");
    if (!rc && decision_id) rc = jr_buf_json_str(b, decision_id);
    if (!rc && decision_id) rc = jr_buf_putc(b, ',');
    if (!rc) rc = jr_buf_puts(b, "\"choice\":");
    if (!rc) rc = jr_buf_json_str(b, dc->actions[dc->chosen]);
    if (!rc) rc = jr_buf_printf(b, ",\"index\":%zu,\"actions\":[", dc->chosen);
    for (size_t i = 0; !rc && i < dc->n_actions; i++) {
        if (i) rc = jr_buf_putc(b, ',');
        if (!rc) rc = jr_buf_json_str(b, dc->actions[i]);
    }
    if (!rc) rc = jr_buf_putc(b, ']');
    if (!rc) rc = put_nums(b, "probs", dc->probs, dc->n_actions);
    if (!rc) rc = put_nums(b, "advantages", dc->adv, dc->n_actions);
    if (!rc) rc = jr_buf_puts(b, ",\"v\":");
    if (!rc) rc = put_num(b, dc->v);
    if (!rc)
        rc = jr_buf_printf(b, ",\"neighbours\":%zu,\"index_steps\":%zu,\"seed\":%llu,\"mode\":\"%s\"",
                           dc->n_neighbours, dc->index_steps, (unsigned long long)seed, mode_names[dc->mode]);
    if (!rc && trace) rc = jr_buf_puts(b, ",\"trace\":");
    if (!rc && trace) rc = mem_decision_json(dc, b);
    if (!rc) rc = jr_buf_putc(b, '}');
    return rc;
}

int jitrl_decide_json(jitrl_memory *mem, const char *request, char **response)
{
    if (!response) return JITRL_EINVAL;
    *response = NULL;
    api_err e = {0};
    api_decide d = {0};
    jr_buf b;
    jr_buf_init(&b, (size_t)1 << 30);
    jitrl_decision *dc = NULL;
    if (!mem) api_fail(&e, JITRL_EINVAL, NULL, "no memory handle (NULL)");
    if (!e.rc && !api_parse_decide(request, &d, &e)) {
        jitrl_rng rng;
        jitrl_rng_seed(&rng, d.seed);
        char err[256] = "";
        int rc = mem_pool_decide(mem, &d.p, &d.st, d.cand, d.have_logits ? d.logits : NULL, d.n, &rng, err,
                                   sizeof err, &dc);
        if (rc) api_fail(&e, rc, NULL, "%s", err);
        else if ((rc = api_decision_json(dc, d.seed, d.trace, NULL, &b)))
            api_fail(&e, rc, NULL, rc == JITRL_ETOOBIG ? "the answer is over 1 GiB" : "out of memory");
    }
    api_decide_free(&d);
    jitrl_decision_free(dc);
    return api_finish(&e, &b, response);
}
