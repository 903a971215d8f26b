/*
 * env.c -- the generic environment handle: a methods table, its ctx and a
 * copy of the world's constant info, behind the calls of jitrl/env.h.
 *
 * Why it is shaped so: everything a caller of any kind can get wrong, and
 * everything a callback can get wrong, is checked once here, so a kind --
 * the built-in zgame, or an embedder's few callbacks -- implements only its
 * world.  The handle tracks just enough of the episode (reset called,
 * episode over) to keep the promise of the callback contract that step()
 * is never called out of turn.  A method's failure is turned into the
 * handle's message at once, so jitrl_env_errmsg() never has to call back
 * into a world that has just failed.
 */
#include "env/kind.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/opts.h"
#include "jitrl/policy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ENV_OBS_COPY_MAX ((size_t)1 << 20)

struct jitrl_env {
    jitrl_env_methods m;
    void *ctx;
    const void *tag;         /* a built-in kind's identity (kind.h); NULL = custom */
    jitrl_env_info info;     /* strings, fallbacks and specs below are owned */
    int started;             /* reset (or set_state) has been called */
    int done;                /* the episode is over: step is refused until reset */
    jr_buf obs;              /* the last obs text, when the kind has no observation method */
    char err[512];
};

void jitrl_env_methods_init(jitrl_env_methods *m)
{
    memset(m, 0, sizeof *m);
    m->size = sizeof *m;
}

void jitrl_env_info_init(jitrl_env_info *info)
{
    memset(info, 0, sizeof *info);
    info->size = sizeof *info;
    info->reward_lo = -1;
    info->reward_hi = 1;
}

static void seterr(jitrl_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(jitrl_env *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
}

/* After method `what` returned rc != 0: the method's own reason, else a
 * generic one.  Returns rc. */
static int failed(jitrl_env *e, const char *what, int rc)
{
    const char *why = e->m.errmsg ? e->m.errmsg(e->ctx) : NULL;
    if (why && *why) seterr(e, "%s", why);
    else seterr(e, "%s: %s", what, jitrl_strerror(rc));
    return rc;
}

static void free_info(jitrl_env_info *in)
{
    jr_free((char *)in->kind);
    jr_free((char *)in->name);
    jr_free((char *)in->preset);
    jr_free((char *)in->system_prompt);
    jr_free((char *)in->task);
    jr_free((char *)in->action_hint);
    for (size_t i = 0; in->fallback_actions && i < in->n_fallback; i++) jr_free((char *)in->fallback_actions[i]);
    jr_free((void *)in->fallback_actions);
    for (size_t i = 0; in->fields && i < in->n_fields; i++) jr_free((char *)in->fields[i].name);
    jr_free((void *)in->fields);
}

/* NULL stays NULL; otherwise a copy (NULL on failure: *nomem set). */
static const char *dup_opt(const char *s, int *nomem)
{
    if (!s) return NULL;
    char *c = jr_strdup(s);
    if (!c) *nomem = 1;
    return c;
}

/* Why info cannot be used, or NULL. */
static const char *bad_info(const jitrl_env_info *in, int builtin)
{
    if (!(in->reward_lo < in->reward_hi) || !isfinite(in->reward_lo) || !isfinite(in->reward_hi))
        return "reward_lo must be below reward_hi (both finite)";
    if (!builtin && in->kind && !strcmp(in->kind, "zgame")) return "the kind \"zgame\" is the library's own";
    if (!builtin && in->kind && !strcmp(in->kind, "web")) return "the kind \"web\" is the library's own";
    jitrl_params p;
    if (in->preset && jitrl_params_default(&p, in->preset)) return "unknown preset (jitrl_params_default: \"text\" or \"web\")";
    if (in->n_fallback && !in->fallback_actions) return "n_fallback > 0 but no fallback_actions";
    for (size_t i = 0; i < in->n_fallback; i++)
        if (!in->fallback_actions[i]) return "a NULL fallback action";
    if (in->n_fields > JITRL_MAX_FIELDS) return "more field specs than JITRL_MAX_FIELDS";
    if (in->n_fields && !in->fields) return "n_fields > 0 but no field specs";
    for (size_t i = 0; i < in->n_fields; i++) {
        const jitrl_field_spec *f = &in->fields[i];
        if (!f->name || !*f->name) return "a field spec without a name";
        if (f->ngram < 1) return "a field spec's ngram must be >= 1";
        if (!(f->weight >= 0) || !isfinite(f->weight)) return "a field spec's weight must be finite and >= 0";
    }
    return NULL;
}

/* Deep copy of *in into *out with the defaults filled in.  JITRL_ENOMEM
 * leaves *out to free_info. */
static int copy_info(const jitrl_env_info *in, jitrl_env_info *out)
{
    int nomem = 0;
    *out = *in;
    out->fallback_actions = NULL;
    out->fields = NULL;
    out->kind = jr_strdup(in->kind ? in->kind : "custom");
    out->name = jr_strdup(in->name ? in->name : out->kind ? out->kind : "");
    out->preset = dup_opt(in->preset, &nomem);
    out->system_prompt = dup_opt(in->system_prompt, &nomem);
    out->action_hint = dup_opt(in->action_hint, &nomem);
    if (in->task) {
        out->task = jr_strdup(in->task);
    } else if (out->name) {
        jr_buf t;
        jr_buf_init(&t, 4096);
        if (jr_buf_printf(&t, "Maximise the reward in %s.", out->name) == JITRL_OK) out->task = jr_buf_steal(&t);
        jr_buf_free(&t);
    }
    if (!out->kind || !out->name || !out->task || nomem) return JITRL_ENOMEM;
    if (in->n_fallback) {
        char **fb = jr_calloc(in->n_fallback, sizeof *fb);
        if (!fb) { out->n_fallback = 0; return JITRL_ENOMEM; }
        out->fallback_actions = (const char *const *)fb;
        for (size_t i = 0; i < in->n_fallback; i++)
            if (!(fb[i] = jr_strdup(in->fallback_actions[i]))) return JITRL_ENOMEM;
    }
    if (in->n_fields) {
        jitrl_field_spec *fs = jr_calloc(in->n_fields, sizeof *fs);
        if (!fs) { out->n_fields = 0; return JITRL_ENOMEM; }
        out->fields = fs;
        for (size_t i = 0; i < in->n_fields; i++) {
            fs[i] = in->fields[i];
            if (!(fs[i].name = jr_strdup(in->fields[i].name))) return JITRL_ENOMEM;
        }
    }
    return JITRL_OK;
}

static int say(char *err, size_t errlen, int rc, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return rc;
}

int env_create_kind(const jitrl_env_methods *m, const jitrl_env_info *info, void *ctx, const void *tag,
                    jitrl_env **out, char *err, size_t errlen)
{
    if (!out) return say(err, errlen, JITRL_EINVAL, "NULL out");
    *out = NULL;
    if (!m) return say(err, errlen, JITRL_EINVAL, "no methods table");
    jitrl_env_methods mm;
    jitrl_env_methods_init(&mm);
    if (jr_opts_load(&mm, sizeof mm, m))
        return say(err, errlen, JITRL_EINVAL, "methods.size is not that of a jitrl_env_methods (use jitrl_env_methods_init)");
    jitrl_env_info ii;
    jitrl_env_info_init(&ii);
    if (jr_opts_load(&ii, sizeof ii, info))
        return say(err, errlen, JITRL_EINVAL, "info.size is not that of a jitrl_env_info (use jitrl_env_info_init)");
    const char *why = NULL;
    if (!mm.reset || !mm.step || !mm.state_fields) why = "reset, step and state_fields are required methods";
    else if (!!mm.state_size != !!mm.get_state || !!mm.get_state != !!mm.set_state)
        why = "state_size, get_state and set_state go together: all three or none";
    else why = bad_info(&ii, tag != NULL);
    if (why) return say(err, errlen, JITRL_EINVAL, why);

    jitrl_env *e = jr_calloc(1, sizeof *e);
    if (!e) return say(err, errlen, JITRL_ENOMEM, "out of memory");
    e->m = mm;
    e->tag = tag;
    jr_buf_init(&e->obs, ENV_OBS_COPY_MAX);
    if (copy_info(&ii, &e->info)) {
        free_info(&e->info);
        jr_free(e);
        return say(err, errlen, JITRL_ENOMEM, "out of memory");
    }
    e->ctx = ctx;   /* owned from here on: close() frees it */
    *out = e;
    return JITRL_OK;
}

int jitrl_env_create(const jitrl_env_methods *m, const jitrl_env_info *info, void *ctx, jitrl_env **out,
                     char *err, size_t errlen)
{
    return env_create_kind(m, info, ctx, NULL, out, err, errlen);
}

void *env_kind_ctx(const jitrl_env *env, const void *tag)
{
    return env && tag && env->tag == tag ? env->ctx : NULL;
}

void jitrl_env_close(jitrl_env *e)
{
    if (!e) return;
    if (e->m.close) e->m.close(e->ctx);
    free_info(&e->info);
    jr_buf_free(&e->obs);
    jr_free(e);
}

const char *jitrl_env_errmsg(const jitrl_env *e) { return e ? e->err : "no environment"; }

/* Check what a reset/step method wrote, and keep its text when the kind
 * cannot give it back later. */
static int took_obs(jitrl_env *e, const char *what, jitrl_obs *o)
{
    if (!o->text) o->text = "";
    if (!isfinite(o->reward)) {
        seterr(e, "%s: the environment returned a non-finite reward", what);
        return JITRL_ECORRUPT;
    }
    if (!e->m.observation) {
        jr_buf_reset(&e->obs);
        int rc = jr_buf_puts(&e->obs, o->text);
        if (rc == JITRL_ETOOBIG) rc = jr_buf_append(&e->obs, o->text, ENV_OBS_COPY_MAX - 1);
        if (rc) {
            seterr(e, "%s: cannot keep the observation: %s", what, jitrl_strerror(rc));
            return rc;
        }
    }
    return JITRL_OK;
}

int jitrl_env_reset(jitrl_env *e, jitrl_obs *out)
{
    if (!e) return JITRL_EINVAL;
    jitrl_obs local;
    if (!out) out = &local;
    memset(out, 0, sizeof *out);
    e->started = 1;
    e->done = 1;   /* until the reset succeeds */
    jr_buf_reset(&e->obs);
    int rc = e->m.reset(e->ctx, out);
    if (rc) return failed(e, "reset", rc);
    out->reward = 0;
    if ((rc = took_obs(e, "reset", out))) return rc;
    e->done = out->done != 0;
    return JITRL_OK;
}

int jitrl_env_step(jitrl_env *e, const char *action, jitrl_obs *out)
{
    if (!e) return JITRL_EINVAL;
    if (!action) {
        seterr(e, "NULL action");
        return JITRL_EINVAL;
    }
    if (!e->started || e->done) {
        seterr(e, "%s", e->started ? "the episode is over: call reset" : "call reset first");
        return JITRL_ESTATE;
    }
    jitrl_obs local;
    if (!out) out = &local;
    memset(out, 0, sizeof *out);
    int rc = e->m.step(e->ctx, action, out);
    if (!rc) rc = took_obs(e, "step", out);
    else failed(e, "step", rc);
    if (rc) {
        if (!out->text) out->text = "";
        out->done = 1;
    }
    e->done = out->done != 0;
    return rc;
}

int jitrl_env_actions(jitrl_env *e, const char *const **actions, size_t *n)
{
    if (!e || !actions || !n) return JITRL_EINVAL;
    *actions = NULL;
    *n = 0;
    if (!e->started) {
        seterr(e, "call reset first");
        return JITRL_ESTATE;
    }
    if (!e->m.actions) {
        seterr(e, "the %s environment has no action list", e->info.kind);
        return JITRL_EUNSUPPORTED;
    }
    const char *const *a = NULL;
    size_t k = 0;
    int rc = e->m.actions(e->ctx, &a, &k);
    if (rc) return failed(e, "actions", rc);
    if (k && !a) {
        seterr(e, "actions: %zu actions but no list", k);
        return JITRL_ECORRUPT;
    }
    for (size_t i = 0; i < k; i++)
        if (!a[i]) {
            seterr(e, "actions: action %zu is NULL", i);
            return JITRL_ECORRUPT;
        }
    *actions = a;
    *n = k;
    return JITRL_OK;
}

static int get_fields(jitrl_env *e, int (*fn)(void *, const jitrl_field **, size_t *), const char *what,
                      const jitrl_field **fields, size_t *n)
{
    if (!e || !fields || !n) return JITRL_EINVAL;
    *fields = NULL;
    *n = 0;
    if (!e->started) {
        seterr(e, "call reset first");
        return JITRL_ESTATE;
    }
    const jitrl_field *f = NULL;
    size_t k = 0;
    int rc = fn(e->ctx, &f, &k);
    if (rc) return failed(e, what, rc);
    if (k && !f) {
        seterr(e, "%s: %zu fields but no list", what, k);
        return JITRL_ECORRUPT;
    }
    for (size_t i = 0; i < k; i++)
        if (!f[i].name || !f[i].text) {
            seterr(e, "%s: field %zu has a NULL name or text", what, i);
            return JITRL_ECORRUPT;
        }
    *fields = f;
    *n = k;
    return JITRL_OK;
}

int jitrl_env_state_fields(jitrl_env *e, const jitrl_field **fields, size_t *n)
{
    return get_fields(e, e ? e->m.state_fields : NULL, "state_fields", fields, n);
}

int jitrl_env_prompt_fields(jitrl_env *e, const jitrl_field **fields, size_t *n)
{
    if (e && e->m.prompt_fields) return get_fields(e, e->m.prompt_fields, "prompt_fields", fields, n);
    return jitrl_env_state_fields(e, fields, n);
}

const char *jitrl_env_observation(jitrl_env *e)
{
    if (!e) return "";
    if (!e->m.observation) return jr_buf_str(&e->obs);
    const char *t = e->m.observation(e->ctx);
    return t ? t : "";
}

size_t jitrl_env_state_size(const jitrl_env *e)
{
    return e && e->started && e->m.state_size ? e->m.state_size(e->ctx) : 0;
}

int jitrl_env_get_state(jitrl_env *e, void *buf, size_t cap, size_t *len)
{
    if (!e || !buf || !len) return JITRL_EINVAL;
    *len = 0;
    if (!e->m.get_state) {
        seterr(e, "the %s environment cannot save its state", e->info.kind);
        return JITRL_EUNSUPPORTED;
    }
    if (!e->started) {
        seterr(e, "call reset first");
        return JITRL_ESTATE;
    }
    size_t k = 0;
    int rc = e->m.get_state(e->ctx, buf, cap, &k);
    if (rc) return failed(e, "get_state", rc);
    if (k > cap) {
        seterr(e, "get_state: wrote %zu bytes into %zu", k, cap);
        return JITRL_ECORRUPT;
    }
    *len = k;
    return JITRL_OK;
}

int jitrl_env_set_state(jitrl_env *e, const void *buf, size_t len)
{
    if (!e || !buf) return JITRL_EINVAL;
    if (!e->m.set_state) {
        seterr(e, "the %s environment cannot restore a state", e->info.kind);
        return JITRL_EUNSUPPORTED;
    }
    int rc = e->m.set_state(e->ctx, buf, len);
    if (rc) return failed(e, "set_state", rc);
    /* The kind refuses steps from a restored terminal state itself. */
    e->started = 1;
    e->done = 0;
    jr_buf_reset(&e->obs);
    return JITRL_OK;
}

uint64_t jitrl_env_hash(const jitrl_env *e)
{
    return e && e->started && e->m.hash ? e->m.hash(e->ctx) : 0;
}

const char *jitrl_env_kind(const jitrl_env *e) { return e ? e->info.kind : ""; }
const char *jitrl_env_name(const jitrl_env *e) { return e ? e->info.name : ""; }
const jitrl_env_info *jitrl_env_info_get(const jitrl_env *e) { return e ? &e->info : NULL; }

void env_kind_seterr(jitrl_env *e, const char *msg)
{
    if (e) seterr(e, "%s", msg ? msg : "");
}
