/*
 * env_web.c -- the environment kind "web" (jitrl/web.h): one WebArena-style
 * task in a real browser, behind the methods table of jitrl/env.h.
 *
 * One step: parse the action (action.c) -> make sure the browser lives
 * (restart it and reload the last page if not) -> perform it through
 * WebDriver (wd.c) -> accept an alert it raised -> observe (the page
 * script of observe.c) -> judge (eval.c): stop() scores the answer and the
 * end state; js_reward and the checks that need no answer are tried after
 * every step; the step limit scores what there is.  Anything the page or
 * the browser does wrong becomes the "last action error" line of the next
 * observation; only a browser that cannot be started again fails the call.
 */
#include "env/web/web_int.h"
#include "env/web/wd.h"

#include "env/kind.h"

#include "base/alloc.h"
#include "base/opts.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OBS_MAX (1u << 20)
#define MAX_CANDIDATES 160
#define MAX_STOPS 40

struct jitrl_web_browser {
    wd *w;
};

typedef struct web_env {
    jitrl_web_browser *br;
    int own_browser;
    jitrl_web_options o;
    web_sites sites;
    web_task task;
    char *start_url;
    char *intent;
    json_t *values;            /* what the intent offers text boxes */
    int wants_answer, cheap;

    int started, done, steps;
    double score;
    char *answer;
    json_t *obs;               /* the last observation (the page script's object) */
    char last_url[2048];
    char act_err[640];
    char err[640];
    int restarted;
    jr_buf text, url_f, page_f, acts_buf, task_f, err_f;
    const char **acts;
    size_t n_acts, cap_acts;
    jitrl_field fields[2], prompt[4];
    jitrl_web_step_stats st;
} web_env;

static const char web_tag;

static void set_error(web_env *e, const char *msg);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void jitrl_web_options_init(jitrl_web_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

static void fill_defaults(jitrl_web_options *o)
{
    if (o->page_load_ms <= 0) o->page_load_ms = 10000;
    if (o->script_ms <= 0) o->script_ms = 5000;
    if (o->step_ms <= 0) o->step_ms = 20000;
    if (o->max_steps <= 0) o->max_steps = 15;
    if (o->max_lines == 0) o->max_lines = 250;
}

/* ---- the browser handle ---- */

int jitrl_web_browser_open(const jitrl_web_options *opt, jitrl_web_browser **out, char *err, size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    jitrl_web_options o;
    jitrl_web_options_init(&o);
    if (jr_opts_load(&o, sizeof o, opt)) {
        if (err && errlen) snprintf(err, errlen, "jitrl_web_options.size is wrong; call jitrl_web_options_init");
        return JITRL_EINVAL;
    }
    fill_defaults(&o);
    jitrl_web_browser *b = jr_calloc(1, sizeof *b);
    if (!b) return JITRL_ENOMEM;
    wd_opts wo = {o.chromium, o.chromedriver, o.page_load_ms, o.script_ms, o.headful};
    char e[512] = "";
    int rc = wd_open(&wo, &b->w, e, sizeof e);
    if (rc) {
        if (err && errlen) snprintf(err, errlen, "starting the browser: %s", e);
        jr_free(b);
        return rc;
    }
    *out = b;
    return JITRL_OK;
}

void jitrl_web_browser_close(jitrl_web_browser *b)
{
    if (!b) return;
    wd_close(b->w);
    jr_free(b);
}

int jitrl_web_browser_stats_get(jitrl_web_browser *b, jitrl_web_browser_stats *out)
{
    if (!b || !out || out->size < sizeof(size_t) || out->size > sizeof *out) return JITRL_EINVAL;
    jitrl_web_browser_stats s;
    memset(&s, 0, sizeof s);
    s.size = out->size;
    s.driver_pid = wd_driver_pid(b->w);
    s.browser_pid = wd_browser_pid(b->w);
    s.rss_kb = wd_rss_kb(b->w);
    s.starts = wd_starts(b->w);
    memcpy(out, &s, out->size);
    return JITRL_OK;
}

/* ---- talking to the page ---- */

static int script(web_env *e, const char *js, json_t *args, json_t **v, char *err, size_t errlen)
{
    return wd_script(e->br->w, js, args, v, err, errlen);
}

/* The value of a JS expression as text (rc != 0: the page threw). */
static int eval_expr(web_env *e, const char *expr, char **text, char *err, size_t errlen)
{
    *text = NULL;
    jr_buf b;
    jr_buf_init(&b, WEB_ACTION_MAX * 8);
    int rc = jr_buf_printf(&b, "var v = (function () { return (%s); })(); return v == null ? '' : String(v);", expr);
    json_t *v = NULL;
    if (!rc) rc = script(e, jr_buf_str(&b), NULL, &v, err, errlen);
    jr_buf_free(&b);
    if (rc) return rc;
    *text = jr_strdup(json_is_string(v) ? json_string_value(v) : "");
    json_decref(v);
    return *text ? JITRL_OK : JITRL_ENOMEM;
}

static int navigate(web_env *e, const char *url, char *err, size_t errlen)
{
    json_t *b = json_pack("{s:s}", "url", url);
    if (!b) return JITRL_ENOMEM;
    int rc = wd_cmd(e->br->w, "POST", "/url", b, NULL, 0, err, errlen);
    json_decref(b);
    return rc;
}

/* program_html's page reader (eval.c's web_locate_fn). */
static int locate(void *ctx, const char *url, const char *locator, json_t *prep, char **text, char *err,
                  size_t errlen)
{
    web_env *e = ctx;
    *text = NULL;
    char e2[256];
    if (strcmp(url, "last")) {
        int rc = navigate(e, url, err, errlen);
        if (rc && rc != JITRL_ESTATE) return rc;
    }
    for (size_t i = 0; i < json_array_size(prep); i++) {
        const char *p = json_string_value(json_array_get(prep, i));
        char *ignored = NULL;
        if (p) eval_expr(e, p, &ignored, e2, sizeof e2);
        jr_free(ignored);
    }
    const char *loc = locator;
    while (isspace((unsigned char)*loc)) loc++;
    int rc = eval_expr(e, *loc ? loc : "document.documentElement.outerHTML", text, e2, sizeof e2);
    if (rc == JITRL_ESTATE) {   /* the locator threw: WebArena reads "" */
        *text = jr_strdup("");
        return *text ? JITRL_OK : JITRL_ENOMEM;
    }
    if (rc) snprintf(err, errlen, "program_html: %s", e2);
    return rc;
}

/* Is this W3C error a sign that the browser or its page died? */
static int fatal_code(const char *code, const char *msg)
{
    return !strcmp(code, "invalid session id") || !strcmp(code, "session not created") ||
           strstr(msg, "not reachable") || strstr(msg, "disconnected") || strstr(msg, "session deleted") ||
           strstr(msg, "target crashed") || strstr(msg, "target window already closed");
}

/* Start the browser again and reopen the last page (or the start). */
static int revive(web_env *e, const char *why)
{
    char err[512] = "";
    int rc = wd_restart(e->br->w, err, sizeof err);
    if (rc) {
        snprintf(e->err, sizeof e->err, "the browser died (%s) and could not be started again: %s", why, err);
        return rc;
    }
    e->restarted = 1;
    const char *url = e->last_url[0] && strncmp(e->last_url, "about:", 6) ? e->last_url : e->start_url;
    navigate(e, url, err, sizeof err);
    snprintf(e->act_err, sizeof e->act_err, "the browser died (%.200s) and was restarted; the page was reloaded",
             why);
    return JITRL_OK;
}

static int ensure_alive(web_env *e)
{
    if (wd_alive(e->br->w)) return JITRL_OK;
    return revive(e, "its process is gone");
}

/* Find the element with this bid: its WebDriver reference into ref. */
static int find_bid(web_env *e, const char *bid, char *ref, size_t cap, char *err, size_t errlen)
{
    char sel[64];
    snprintf(sel, sizeof sel, "[bid=\"%s\"]", bid);
    json_t *b = json_pack("{s:s, s:s}", "using", "css selector", "value", sel);
    json_t *v = NULL;
    if (!b) return JITRL_ENOMEM;
    int rc = wd_cmd(e->br->w, "POST", "/element", b, &v, e->o.script_ms, err, errlen);
    json_decref(b);
    if (rc == JITRL_ESTATE && !strcmp(wd_error(e->br->w), "no such element"))
        snprintf(err, errlen, "no element with bid %s (it is gone: the page changed since the observation)", bid);
    if (rc) return rc;
    const char *id = NULL;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) if (json_is_string(x)) id = json_string_value(x);
    if (!id || strlen(id) >= cap) {
        json_decref(v);
        snprintf(err, errlen, "WebDriver find element: no element reference in the reply");
        return JITRL_EPARSE;
    }
    snprintf(ref, cap, "%s", id);
    json_decref(v);
    return JITRL_OK;
}

/* The user-facing wording of a W3C error on element bid. */
static void explain(web_env *e, const char *bid, char *err, size_t errlen)
{
    const char *code = wd_error(e->br->w);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err);
    if (!strcmp(code, "stale element reference"))
        snprintf(err, errlen, "element %s went stale (the page replaced it): %.300s", bid, msg);
    else if (!strcmp(code, "element click intercepted"))
        snprintf(err, errlen, "element %s is covered by another element: %.300s", bid, msg);
    else if (!strcmp(code, "element not interactable"))
        snprintf(err, errlen, "element %s is hidden or cannot take this action: %.300s", bid, msg);
    else if (!strcmp(code, "invalid element state"))
        snprintf(err, errlen, "element %s cannot take this action now (disabled or read-only?): %.300s", bid, msg);
}

static int elem_cmd(web_env *e, const char *bid, const char *verb, json_t *body, char *err, size_t errlen)
{
    char ref[128], path[200];
    int rc = find_bid(e, bid, ref, sizeof ref, err, errlen);
    if (rc) return rc;
    snprintf(path, sizeof path, "/element/%s/%s", ref, verb);
    rc = wd_cmd(e->br->w, "POST", path, body, NULL, 0, err, errlen);
    if (rc == JITRL_ESTATE) explain(e, bid, err, errlen);
    return rc;
}

/* Perform a parsed action.  JITRL_ESTATE: the page refused it (err says
 * why); other codes: the exchange failed. */
static int perform(web_env *e, const web_action *a, char *err, size_t errlen)
{
    wd *w = e->br->w;
    json_t *b = NULL;
    int rc = JITRL_OK;
    switch (a->kind) {
    case WA_CLICK:
        rc = elem_cmd(e, a->bid, "click", NULL, err, errlen);
        break;
    case WA_FILL:
        if (!(rc = elem_cmd(e, a->bid, "clear", NULL, err, errlen))) {
            b = json_pack("{s:s}", "text", a->text);
            rc = b ? elem_cmd(e, a->bid, "value", b, err, errlen) : JITRL_ENOMEM;
        }
        break;
    case WA_PRESS: {
        char keys[64];
        web_key_string(a->text, keys, sizeof keys);   /* checked by the parser */
        b = json_pack("{s:s}", "text", keys);
        rc = b ? elem_cmd(e, a->bid, "value", b, err, errlen) : JITRL_ENOMEM;
        break;
    }
    case WA_SELECT: {
        json_t *args = json_pack("[s,s]", a->bid, a->text), *v = NULL;
        rc = args ? script(e, web_select_js, args, &v, err, errlen) : JITRL_ENOMEM;
        json_decref(args);
        if (!rc && json_is_string(v) && json_string_value(v)[0]) {
            snprintf(err, errlen, "%s", json_string_value(v));
            rc = JITRL_ESTATE;
        }
        json_decref(v);
        break;
    }
    case WA_SCROLL: {
        json_t *args = json_pack("[I,I]", (json_int_t)a->dx, (json_int_t)a->dy);
        rc = args ? script(e, "window.scrollBy(arguments[0], arguments[1]); return '';", args, NULL, err, errlen)
                  : JITRL_ENOMEM;
        json_decref(args);
        break;
    }
    case WA_GOTO:
        rc = navigate(e, a->text, err, errlen);
        break;
    case WA_BACK:
        rc = wd_cmd(w, "POST", "/back", NULL, NULL, 0, err, errlen);
        break;
    case WA_STOP: case WA_NOOP:
        break;
    }
    json_decref(b);
    if (rc == JITRL_ESTATE && !strcmp(wd_error(w), "timeout")) {
        /* a page that never finished loading: stop it and go on */
        char e2[128];
        script(e, "window.stop(); return '';", NULL, NULL, e2, sizeof e2);
    }
    return rc;
}

/* After an action that may navigate (click, press, select): if the page
 * already changed its URL, chromedriver waited for it and we are done;
 * else while the old document says it is unloading (the beforeunload hook
 * of the page script), wait for the new one, and give a page that
 * schedules its navigation a moment after the event one short look (15
 * ms).  Bounded by the step's deadline. */
static void settle(web_env *e, double deadline)
{
    for (int i = 0; i < 200 && now_ms() < deadline; i++) {
        json_t *v = NULL;
        char e2[256];
        int rc = script(e, "return [window.__jrGoing ? 1 : 0, String(location.href)];", NULL, &v, e2, sizeof e2);
        int going = rc == JITRL_OK && json_integer_value(json_array_get(v, 0)) == 1;
        const char *url = json_string_value(json_array_get(v, 1));
        int moved = url && strcmp(url, e->last_url) != 0;
        json_decref(v);
        if (rc || moved) return;
        if (!going && i > 0) return;
        struct timespec ts = {0, (going ? 20 : 15) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* An alert, confirm or prompt the action raised: accepted, and reported. */
static void handle_alert(web_env *e)
{
    json_t *v = NULL;
    char e2[256];
    if (wd_cmd(e->br->w, "GET", "/alert/text", NULL, &v, e->o.script_ms, e2, sizeof e2) != JITRL_OK) return;
    char note[300];
    snprintf(note, sizeof note, "an alert said '%.200s' (accepted)", json_is_string(v) ? json_string_value(v) : "");
    json_decref(v);
    wd_cmd(e->br->w, "POST", "/alert/accept", NULL, NULL, e->o.script_ms, e2, sizeof e2);
    size_t l = strlen(e->act_err);
    snprintf(e->act_err + l, sizeof e->act_err - l, "%s%s", l ? "; " : "", note);
}

/* ---- the observation ---- */

static int push_act(web_env *e, const char *s)
{
    if (e->n_acts >= MAX_CANDIDATES) return JITRL_OK;
    for (size_t i = 0; i < e->n_acts; i++)
        if (!strcmp(e->acts[i], s)) return JITRL_OK;
    if (e->n_acts == e->cap_acts) {
        size_t nc = e->cap_acts ? e->cap_acts * 2 : 64;
        const char **nv = jr_realloc(e->acts, nc * sizeof *nv);
        if (!nv) return JITRL_ENOMEM;
        e->acts = nv;
        e->cap_acts = nc;
    }
    char *c = jr_strdup(s);
    if (!c) return JITRL_ENOMEM;
    e->acts[e->n_acts++] = c;
    return JITRL_OK;
}

static void clear_acts(web_env *e)
{
    for (size_t i = 0; i < e->n_acts; i++) jr_free((void *)e->acts[i]);
    e->n_acts = 0;
}

/* The URL with the site's address replaced by its placeholder, so states
 * compare across runs whose sites listen on other ports. */
static int norm_url(web_env *e, const char *url, jr_buf *b)
{
    jr_buf_reset(b);
    for (size_t i = 0; i < e->sites.n; i++) {
        size_t n = strlen(e->sites.url[i]);
        if (!strncmp(url, e->sites.url[i], n)) {
            int rc = jr_buf_puts(b, e->sites.key[i]);
            return rc ? rc : jr_buf_append(b, url + n, strcspn(url + n, "#"));
        }
    }
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    return jr_buf_append(b, p, strcspn(p, "#"));
}

static const char *obs_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int build_candidates(web_env *e)
{
    clear_acts(e);
    jr_buf b;
    jr_buf_init(&b, WEB_ACTION_MAX + 64);
    int rc = JITRL_OK;
    json_t *acts = json_object_get(e->obs, "acts");
    for (size_t i = 0; !rc && i < json_array_size(acts); i++) {
        json_t *a = json_array_get(acts, i);
        const char *bid = json_string_value(json_array_get(a, 0)), *k = json_string_value(json_array_get(a, 1));
        if (!bid || !k) continue;
        if (!strcmp(k, "click")) {
            jr_buf_reset(&b);
            if (!(rc = web_action_format(&b, WA_CLICK, bid, NULL))) rc = push_act(e, jr_buf_str(&b));
        } else if (!strcmp(k, "fill")) {
            for (size_t j = 0; !rc && j < json_array_size(e->values); j++) {
                jr_buf_reset(&b);
                rc = web_action_format(&b, WA_FILL, bid, json_string_value(json_array_get(e->values, j)));
                if (!rc) rc = push_act(e, jr_buf_str(&b));
            }
            jr_buf_reset(&b);
            if (!rc && !(rc = web_action_format(&b, WA_PRESS, bid, "Enter"))) rc = push_act(e, jr_buf_str(&b));
        } else if (!strcmp(k, "select")) {
            json_t *opts = json_array_get(a, 2);
            for (size_t j = 0; !rc && j < json_array_size(opts) && j < 20; j++) {
                jr_buf_reset(&b);
                rc = web_action_format(&b, WA_SELECT, bid, json_string_value(json_array_get(opts, j)));
                if (!rc) rc = push_act(e, jr_buf_str(&b));
            }
        }
    }
    if (!rc && e->wants_answer) {
        /* the answers the page offers: its short texts, and the numbers in them */
        json_t *texts = json_object_get(e->obs, "texts");
        size_t stops = 0;
        for (size_t i = 0; !rc && i < json_array_size(texts) && stops < MAX_STOPS; i++) {
            const char *t = json_string_value(json_array_get(texts, i));
            if (!t || !t[0]) continue;
            if (strlen(t) <= 80) {
                jr_buf_reset(&b);
                if (!(rc = web_action_format(&b, WA_STOP, NULL, t))) rc = push_act(e, jr_buf_str(&b)), stops++;
            }
            for (const char *p = t; !rc && *p && stops < MAX_STOPS; p++) {
                if (!isdigit((unsigned char)*p) || (p > t && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
                    continue;
                const char *s0 = p > t && p[-1] == '$' ? p - 1 : p, *q = p;
                while (isdigit((unsigned char)*q) || ((*q == '.' || *q == ',') && isdigit((unsigned char)q[1]))) q++;
                char num[40];
                size_t n = (size_t)(q - s0);
                if (n < sizeof num && n != strlen(t)) {
                    memcpy(num, s0, n);
                    num[n] = '\0';
                    jr_buf_reset(&b);
                    if (!(rc = web_action_format(&b, WA_STOP, NULL, num))) rc = push_act(e, jr_buf_str(&b)), stops++;
                }
                p = q - 1;
            }
        }
    } else if (!rc && !e->cheap) {
        rc = push_act(e, "stop()");
    }
    if (!rc && e->steps > 0 && strcmp(obs_str(e->obs, "url"), e->start_url)) rc = push_act(e, "go_back()");
    jr_buf_free(&b);
    return rc;
}

static int render(web_env *e)
{
    json_t *o = e->obs;
    jr_buf_reset(&e->text);
    jr_buf_reset(&e->page_f);
    jr_buf_reset(&e->err_f);
    const char *focused = obs_str(o, "focused");
    int rc = jr_buf_printf(&e->text, "URL: %s\nTitle: %s\nFocused: %s%s%s\n", obs_str(o, "url"), obs_str(o, "title"),
                           focused[0] ? "[" : "none", focused, focused[0] ? "]" : "");
    if (!rc && e->act_err[0]) rc = jr_buf_printf(&e->text, "Last action error: %s\n", e->act_err);
    if (!rc) rc = jr_buf_puts(&e->err_f, e->act_err[0] ? e->act_err : "none");
    json_t *lines = json_object_get(o, "lines"), *keys = json_object_get(o, "keys");
    for (size_t i = 0; !rc && i < json_array_size(lines); i++) {
        const char *l = json_string_value(json_array_get(lines, i));
        if (l) rc = jr_buf_printf(&e->text, "%s\n", l);
        if (rc == JITRL_ETOOBIG) rc = JITRL_OK;   /* a huge page: the rest is cut */
    }
    for (size_t i = 0; !rc && i < json_array_size(keys) && i < 80; i++) {
        const char *l = json_string_value(json_array_get(keys, i));
        if (l) rc = jr_buf_printf(&e->page_f, "%s\n", l);
        if (rc == JITRL_ETOOBIG) rc = JITRL_OK;
    }
    if (!rc) rc = norm_url(e, obs_str(o, "url"), &e->url_f);
    snprintf(e->last_url, sizeof e->last_url, "%s", obs_str(o, "url"));
    e->st.lines = json_array_size(lines);
    if (!rc && !strncmp(e->last_url, "chrome-error:", 13)) {
        /* the browser's own error page: say which error it shows */
        const char *code = "";
        json_t *texts = json_object_get(o, "texts");
        for (size_t i = 0; i < json_array_size(texts); i++) {
            const char *x = json_string_value(json_array_get(texts, i));
            if (x && !strncmp(x, "ERR_", 4)) code = x;
        }
        char m[200];
        snprintf(m, sizeof m, "the page could not be loaded (%s)", code[0] ? code : "a browser error page");
        if (!strstr(e->act_err, m)) {
            set_error(e, m);
            return render(e);
        }
    }
    return rc;
}

/* Observe the page (a navigation in flight is waited out, bounded). */
static int observe(web_env *e, double deadline)
{
    json_t *args = json_pack("[I]", (json_int_t)e->o.max_lines), *v = NULL;
    if (!args) return JITRL_ENOMEM;
    char err[512] = "";
    int rc = JITRL_OK;
    for (int tries = 0; tries < 6; tries++) {
        rc = script(e, web_observe_js, args, &v, err, sizeof err);
        if (rc == JITRL_OK && json_is_object(v)) break;
        json_decref(v);
        v = NULL;
        if (rc == JITRL_ESTATE && !strcmp(wd_error(e->br->w), "unexpected alert open")) {
            handle_alert(e);
            continue;
        }
        if (rc != JITRL_ESTATE || fatal_code(wd_error(e->br->w), err) || now_ms() > deadline) break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    json_decref(args);
    if (rc == JITRL_OK && !json_is_object(v)) rc = JITRL_EPARSE;
    if (rc) {
        snprintf(e->err, sizeof e->err, "observing the page: %s", err);
        json_decref(v);
        return rc;
    }
    json_decref(e->obs);
    e->obs = v;
    if ((rc = render(e))) return rc;
    return build_candidates(e);
}

/* ---- judging ---- */

static void set_error(web_env *e, const char *msg)
{
    size_t l = strlen(e->act_err);
    snprintf(e->act_err + l, sizeof e->act_err - l, "%s%s", l ? "; " : "", msg);
}

/* fuzzy_match's judge (web_judge): the model's prior over "correct" and
 * "incorrect", one call; a fallback (no usable answer) is an error, not
 * a verdict. */
static int llm_judge(void *ctx, const char *intent, const char *ref, const char *pred, int ua, double *score,
                     char *err, size_t errlen)
{
    web_env *e = ctx;
    *score = 0;
    jitrl_llm_field f[3] = {{"question", intent}, {ua ? "why the task cannot be done" : "reference answer", ref},
                            {"answer given", pred}};
    jitrl_llm_context c;
    memset(&c, 0, sizeof c);
    c.task = ua ? "Grade the answer given: is it correct to say that the task cannot be done, for the reason stated?"
                : "Grade the answer given: does it mean the same as the reference answer, for this question?";
    c.fields = f;
    c.n_fields = 3;
    c.system = "You are a strict grader of answers to questions about web pages.";
    const char *cands[2] = {"correct", "incorrect"};
    double lg[2];
    jitrl_llm_call info;
    memset(&info, 0, sizeof info);
    int rc = jitrl_llm_prior(e->o.judge, &c, cands, 2, NULL, lg, &info);
    if (rc) {
        snprintf(err, errlen, "the model judge: %s", jitrl_llm_errmsg(e->o.judge));
        return rc;
    }
    if (info.fell_back) {
        snprintf(err, errlen, "the model judge gave no usable answer (%s)", info.reason);
        return JITRL_EPARSE;
    }
    *score = lg[0] > lg[1] ? 1.0 : 0.0;
    return JITRL_OK;
}

/* 1 = the episode ends now (e->score set). */
static int judge(web_env *e, int stopped, int final)
{
    json_t *ev = json_object_get(e->task.json, "eval");
    char err[512] = "";
    json_t *jsr = json_object_get(ev, "js_reward");
    if (json_is_string(jsr)) {
        char *t = NULL;
        if (eval_expr(e, json_string_value(jsr), &t, err, sizeof err) == JITRL_OK) {
            double r = strtod(t, NULL);
            jr_free(t);
            if (isfinite(r) && r > 0) {
                e->score = r > 1 ? 1 : r;
                return 1;
            }
        } else {
            char m[600];
            snprintf(m, sizeof m, "js_reward: %s", err);
            set_error(e, m);
        }
        json_t *types = json_object_get(ev, "eval_types");
        if (!stopped && !final) return 0;
        if (json_array_size(types) == 0) {
            e->score = 0;
            return 1;
        }
    }
    if (!stopped && !final && !e->cheap) return 0;
    if (!stopped && !final && json_array_size(json_object_get(ev, "eval_types")) == 0) return 0;
    double s = 0;
    web_judge jd = {llm_judge, e, e->intent, json_string_value(json_object_get(ev, "string_note"))};
    int rc = web_eval_task(ev, &e->sites, stopped ? e->answer : NULL, e->last_url, locate, e,
                           e->o.judge ? &jd : NULL, &s, err, sizeof err);
    if (rc) {
        char m[600];
        snprintf(m, sizeof m, "evaluating: %s", err);
        set_error(e, m);
        s = 0;
    }
    if (stopped || final || s > 0) {
        e->score = s;
        return 1;
    }
    return 0;
}

static void fill_obs(web_env *e, jitrl_obs *out, double reward)
{
    out->text = jr_buf_str(&e->text);
    out->reward = reward;
    out->done = e->done;
    out->victory = e->done && e->score > 0;
    out->score = (int)lround(e->score * 100);
    out->moves = e->steps;
    out->max_score = 100;
}

static int web_reset(void *ctx, jitrl_obs *out)
{
    web_env *e = ctx;
    double t0 = now_ms(), deadline = t0 + (double)e->o.step_ms;
    e->started = e->done = e->steps = 0;
    e->score = 0;
    e->restarted = 0;
    e->act_err[0] = '\0';
    jr_free(e->answer);
    e->answer = NULL;
    memset(&e->st, 0, sizeof e->st);
    e->st.size = sizeof e->st;
    int rc = ensure_alive(e);
    if (rc) return rc;
    char err[512] = "";
    if (e->o.reset_hook && (rc = e->o.reset_hook(e->o.reset_ctx, err, sizeof err))) {
        snprintf(e->err, sizeof e->err, "resetting the sites: %s", err);
        return rc;
    }
    /* a fresh session's worth of client state: cookies and storage of the
     * page we are on (the sites share one host, so one page clears all) */
    if (e->last_url[0] && strncmp(e->last_url, "about:", 6)) {
        wd_cmd(e->br->w, "DELETE", "/cookie", NULL, NULL, e->o.script_ms, err, sizeof err);
        script(e, "try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} return '';", NULL, NULL, err,
               sizeof err);
    }
    rc = navigate(e, e->start_url, err, sizeof err);
    if (rc && rc != JITRL_ESTATE) {
        if (!wd_alive(e->br->w) && !(rc = revive(e, err))) rc = navigate(e, e->start_url, err, sizeof err);
        if (rc && rc != JITRL_ESTATE) {
            snprintf(e->err, sizeof e->err, "opening %s: %s", e->start_url, err);
            return rc;
        }
    }
    if (rc == JITRL_ESTATE) {
        snprintf(e->act_err, sizeof e->act_err, "opening the start page: %.500s", err);
        rc = JITRL_OK;
    }
    json_t *setup = json_object_get(e->task.json, "setup_js");
    if (json_is_string(setup)) {
        char *t = NULL;
        if (eval_expr(e, json_string_value(setup), &t, err, sizeof err)) {
            snprintf(e->err, sizeof e->err, "setup_js: %s", err);
            return JITRL_ECORRUPT;
        }
        jr_free(t);
    }
    json_t *ijs = json_object_get(e->task.json, "intent_js");
    if (json_is_string(ijs)) {
        char *t = NULL;
        if (eval_expr(e, json_string_value(ijs), &t, err, sizeof err)) {
            snprintf(e->err, sizeof e->err, "intent_js: %s", err);
            return JITRL_ECORRUPT;
        }
        jr_free(e->intent);
        e->intent = t;
        json_decref(e->values);
        e->values = web_intent_values(e->intent, 8);
        if (!e->values) return JITRL_ENOMEM;
    }
    jr_buf_reset(&e->task_f);
    if ((rc = jr_buf_puts(&e->task_f, e->intent))) return rc;
    double t1 = now_ms();
    if ((rc = observe(e, deadline))) return rc;
    e->st.action_ms = t1 - t0;
    e->st.observe_ms = now_ms() - t1;
    e->st.restarted = e->restarted;
    e->started = 1;
    fill_obs(e, out, 0);
    return JITRL_OK;
}

static int web_step(void *ctx, const char *action, jitrl_obs *out)
{
    web_env *e = ctx;
    double t0 = now_ms(), deadline = t0 + (double)e->o.step_ms;
    e->act_err[0] = '\0';
    e->restarted = 0;
    int rc = ensure_alive(e);
    if (rc) return rc;
    web_action a;
    memset(&a, 0, sizeof a);
    a.kind = WA_NOOP;
    char err[640] = "";
    int stopped = 0;
    if (web_action_parse(action, &a, err, sizeof err)) {
        snprintf(e->act_err, sizeof e->act_err, "cannot parse the action: %.560s", err);
    } else {
        if (a.kind == WA_STOP) {
            stopped = 1;
            jr_free(e->answer);
            e->answer = a.text;
            a.text = NULL;
        }
        rc = perform(e, &a, err, sizeof err);
        web_action_free(&a);
        if (rc == JITRL_ESTATE && fatal_code(wd_error(e->br->w), err)) {
            if ((rc = revive(e, err))) return rc;
        } else if (rc == JITRL_ESTATE && !strcmp(wd_error(e->br->w), "unexpected alert open")) {
            rc = JITRL_OK;   /* reported by handle_alert below */
        } else if (rc == JITRL_ESTATE || rc == JITRL_ETIMEOUT) {
            set_error(e, err);
        } else if (rc == JITRL_EHTTP) {
            if (wd_alive(e->br->w)) set_error(e, err);
            else if ((rc = revive(e, err))) return rc;
        } else if (rc) {
            snprintf(e->err, sizeof e->err, "%s", err);
            return rc;
        }
        rc = JITRL_OK;
    }
    handle_alert(e);
    if (rc == JITRL_OK && (a.kind == WA_CLICK || a.kind == WA_PRESS || a.kind == WA_SELECT)) settle(e, deadline);
    if (now_ms() > deadline) set_error(e, "the step's deadline passed");
    double t1 = now_ms();
    rc = observe(e, deadline);
    if (rc && !wd_alive(e->br->w)) {
        if (!(rc = revive(e, e->err))) rc = observe(e, deadline);
    }
    if (rc) return rc;
    double t2 = now_ms();
    e->steps++;
    int end = judge(e, stopped, e->steps >= e->o.max_steps);
    if (end) {
        e->done = 1;
        clear_acts(e);
    }
    e->st.action_ms = t1 - t0;
    e->st.observe_ms = t2 - t1;
    e->st.eval_ms = now_ms() - t2;
    e->st.restarted = e->restarted;
    if (end && e->act_err[0]) render(e);
    fill_obs(e, out, end ? e->score : 0);
    return JITRL_OK;
}

static int web_actions(void *ctx, const char *const **acts, size_t *n)
{
    web_env *e = ctx;
    *acts = e->acts;
    *n = e->done ? 0 : e->n_acts;
    return JITRL_OK;
}

static int web_state_fields(void *ctx, const jitrl_field **fields, size_t *n)
{
    web_env *e = ctx;
    e->fields[0].name = "url";
    e->fields[0].text = jr_buf_str(&e->url_f);
    e->fields[1].name = "page";
    e->fields[1].text = jr_buf_str(&e->page_f);
    *fields = e->fields;
    *n = 2;
    return JITRL_OK;
}

static int web_prompt_fields(void *ctx, const jitrl_field **fields, size_t *n)
{
    web_env *e = ctx;
    e->prompt[0].name = "task";
    e->prompt[0].text = jr_buf_str(&e->task_f);
    e->prompt[1].name = "last action error";
    e->prompt[1].text = jr_buf_str(&e->err_f);
    e->prompt[2].name = "page";
    e->prompt[2].text = jr_buf_str(&e->text);
    *fields = e->prompt;
    *n = 3;
    return JITRL_OK;
}

static const char *web_observation(void *ctx) { return jr_buf_str(&((web_env *)ctx)->text); }
static const char *web_errmsg(void *ctx) { return ((web_env *)ctx)->err; }

static void web_close(void *ctx)
{
    web_env *e = ctx;
    if (!e) return;
    clear_acts(e);
    jr_free(e->acts);
    if (e->own_browser) jitrl_web_browser_close(e->br);
    web_sites_free(&e->sites);
    web_task_free(&e->task);
    jr_free(e->start_url);
    jr_free(e->intent);
    jr_free(e->answer);
    json_decref(e->values);
    json_decref(e->obs);
    jr_buf_free(&e->text);
    jr_buf_free(&e->url_f);
    jr_buf_free(&e->page_f);
    jr_buf_free(&e->acts_buf);
    jr_buf_free(&e->task_f);
    jr_buf_free(&e->err_f);
    jr_free(e);
}

/* The paper's web setting: the URL, the page's key lines, the history. */
static const jitrl_field_spec web_fields[] = {{"url", 1, 0.35}, {"page", 2, 0.45}, {"history", 1, 0.2}};
static const char *const web_fallback[] = {"go_back()", "scroll(0, 600)", "stop()"};

int jitrl_web_open(const jitrl_web_options *opt, const jitrl_web_tasks *tasks, size_t i, jitrl_env **out,
                   char *err, size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    if (!tasks || i >= tasks->n) {
        if (err && errlen) snprintf(err, errlen, "no task %zu (the file has %zu)", i, tasks ? tasks->n : 0);
        return JITRL_EINVAL;
    }
    web_env *e = jr_calloc(1, sizeof *e);
    if (!e) return JITRL_ENOMEM;
    jitrl_web_options_init(&e->o);
    int rc = JITRL_OK;
    char e2[512] = "";
    if (jr_opts_load(&e->o, sizeof e->o, opt)) {
        snprintf(e2, sizeof e2, "jitrl_web_options.size is wrong; call jitrl_web_options_init");
        rc = JITRL_EINVAL;
        goto fail;
    }
    fill_defaults(&e->o);
    jr_buf_init(&e->text, OBS_MAX);
    jr_buf_init(&e->url_f, 8192);
    jr_buf_init(&e->page_f, OBS_MAX);
    jr_buf_init(&e->acts_buf, 1024);
    jr_buf_init(&e->task_f, 65536);
    jr_buf_init(&e->err_f, 1024);
    if ((rc = web_task_copy(&e->task, &tasks->v[i]))) goto fail;
    if ((rc = web_sites_set(&e->sites, e->o.sites, e->o.n_sites, e2, sizeof e2))) goto fail;
    e->o.sites = NULL;
    e->o.n_sites = 0;
    json_t *ev = json_object_get(e->task.json, "eval");
    if ((rc = web_eval_supported(ev, e->o.judge != NULL, e2, sizeof e2))) goto fail;
    if ((rc = web_sites_map(&e->sites, json_string_value(json_object_get(e->task.json, "start_url")),
                            &e->start_url, e2, sizeof e2)))
        goto fail;
    /* WebArena's start_url may list several pages (" |AND| "): the first opens */
    char *and = strstr(e->start_url, " |AND| ");
    if (and) *and = '\0';
    if (strncmp(e->start_url, "http://", 7) && strncmp(e->start_url, "https://", 8) &&
        strncmp(e->start_url, "about:", 6)) {
        snprintf(e2, sizeof e2, "task %s: start_url '%.200s' is not an http(s) URL", e->task.id, e->start_url);
        rc = JITRL_EINVAL;
        goto fail;
    }
    e->intent = jr_strdup(e->task.intent);
    e->values = web_intent_values(e->intent, 8);
    if (!e->intent || !e->values) {
        rc = JITRL_ENOMEM;
        goto fail;
    }
    e->wants_answer = web_eval_wants_answer(ev);
    e->cheap = web_eval_cheap(ev) && json_array_size(json_object_get(ev, "eval_types")) > 0;
    if (e->o.browser) {
        e->br = e->o.browser;
    } else {
        if ((rc = jitrl_web_browser_open(&e->o, &e->br, e2, sizeof e2))) goto fail;
        e->own_browser = 1;
    }
    jitrl_env_methods m;
    jitrl_env_methods_init(&m);
    m.reset = web_reset;
    m.step = web_step;
    m.actions = web_actions;
    m.state_fields = web_state_fields;
    m.prompt_fields = web_prompt_fields;
    m.observation = web_observation;
    m.errmsg = web_errmsg;
    m.close = web_close;
    jitrl_env_info in;
    jitrl_env_info_init(&in);
    in.kind = "web";
    in.name = e->task.id;
    in.preset = "web";
    in.system_prompt = "You are a careful web agent. You read the page's accessibility tree and pick the next "
                       "action that completes the user's task; when the task asks a question, answer with "
                       "stop('answer').";
    in.task = e->intent[0] ? e->intent : "Complete the task the page gives.";
    in.action_hint = "one call such as click('12'), fill('7', 'text'), select_option('3', 'Blue'), "
                     "press('7', 'Enter'), go_back() or stop('answer')";
    in.reward_lo = 0;
    in.reward_hi = 1;
    in.fallback_actions = web_fallback;
    in.n_fallback = sizeof web_fallback / sizeof web_fallback[0];
    in.fields = web_fields;
    in.n_fields = sizeof web_fields / sizeof web_fields[0];
    rc = env_create_kind(&m, &in, e, &web_tag, out, e2, sizeof e2);
    if (rc) goto fail;
    return JITRL_OK;
fail:
    if (err && errlen) snprintf(err, errlen, "%s", e2[0] ? e2 : jitrl_strerror(rc));
    web_close(e);
    return rc;
}

static web_env *of(const jitrl_env *env) { return env_kind_ctx(env, &web_tag); }

int jitrl_web_last_step(const jitrl_env *env, jitrl_web_step_stats *out)
{
    web_env *e = of(env);
    if (!e || !out || out->size < sizeof(size_t) || out->size > sizeof *out) return JITRL_EINVAL;
    jitrl_web_step_stats s = e->st;
    s.size = out->size;
    s.error = e->act_err;
    s.answer = e->answer ? e->answer : "";
    s.score = e->done ? e->score : 0;
    memcpy(out, &s, out->size);
    return JITRL_OK;
}

jitrl_web_browser *jitrl_web_env_browser(const jitrl_env *env)
{
    web_env *e = of(env);
    return e ? e->br : NULL;
}

int jitrl_web_eval_js(jitrl_env *env, const char *expr, char *out, size_t cap)
{
    web_env *e = of(env);
    if (!e || !expr || !out || !cap) return JITRL_EINVAL;
    char *t = NULL, err[512] = "";
    int rc = eval_expr(e, expr, &t, err, sizeof err);
    if (rc) {
        env_kind_seterr(env, err);
        return rc;
    }
    snprintf(out, cap, "%s", t);
    jr_free(t);
    return JITRL_OK;
}
