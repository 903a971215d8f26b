/*
 * web_int.h -- the web kind's own parts, shared by its files:
 *   task.c     WebArena task files -> web_task; site placeholders -> URLs
 *   action.c   the action language (parse, format) and the candidates
 *   eval.c     WebArena's evaluators (string_match, url_match,
 *              program_html) as functions of the answer, the URL and a
 *              callback that reads the page
 *   observe.c  the script run in the page: bids, roles, names, lines
 *   env_web.c  the kind "web" (jitrl/web.h) over wd.h
 * Pure parts (parse, format, match) take no browser, so tests and the
 * fuzzer run them as data.
 */
#ifndef JR_WEB_INT_H
#define JR_WEB_INT_H

#include "base/buf.h"
#include "jitrl/web.h"

#include <jansson.h>
#include <stddef.h>

/* ---- tasks (task.c) ---- */

typedef struct web_task {
    json_t *json;          /* the task object as read (a reference) */
    char id[96];
    char site[48];
    char *intent;          /* "" with intent_js */
} web_task;

struct jitrl_web_tasks {
    web_task *v;
    size_t n;
};

/* Site placeholders: "__SHOPPING__" -> "http://127.0.0.1:8081". */
typedef struct web_sites {
    char **key;    /* "__SHOPPING__" */
    char **url;    /* without a trailing '/' */
    size_t n;
} web_sites;

int web_sites_set(web_sites *s, const jitrl_web_site *v, size_t n, char *err, size_t errlen);
void web_sites_free(web_sites *s);
/* in with every __NAME__ placeholder replaced; *out the caller's
 * (jr_free).  JITRL_EINVAL naming a placeholder s does not map. */
int web_sites_map(const web_sites *s, const char *in, char **out, char *err, size_t errlen);
/* Copy task src into dst (a new reference). */
int web_task_copy(web_task *dst, const web_task *src);
void web_task_free(web_task *t);

/* ---- actions (action.c) ---- */

typedef enum web_act_kind {
    WA_CLICK, WA_FILL, WA_SELECT, WA_PRESS, WA_SCROLL, WA_GOTO, WA_BACK, WA_STOP, WA_NOOP
} web_act_kind;

typedef struct web_action {
    web_act_kind kind;
    char bid[32];
    char *text;            /* fill / select / press / goto / stop (jr_malloc'd, may be "") */
    long dx, dy;           /* scroll */
} web_action;

#define WEB_ACTION_MAX 8192
/* Parse one action string ("click('12')", "fill(\"3\", 'a b')", ...).
 * JITRL_EINVAL with err saying what is wrong; on success *a is the
 * caller's (web_action_free). */
int web_action_parse(const char *s, web_action *a, char *err, size_t errlen);
void web_action_free(web_action *a);
/* Append the canonical string of an action: name('bid', 'text') with
 * quotes and backslashes escaped, so parse(format(a)) == a. */
int web_action_format(jr_buf *b, web_act_kind k, const char *bid, const char *text);
const char *web_act_name(web_act_kind k);
/* The W3C key string for a key name ("Enter", "Control+a", "x"): into
 * out (UTF-8).  0 ok, -1 unknown key name. */
int web_key_string(const char *name, char *out, size_t cap);
/* The values an intent offers for text boxes: quoted phrases, numbers,
 * capitalised names; at most max, into a JSON array of strings. */
json_t *web_intent_values(const char *intent, size_t max);

/* ---- evaluators (eval.c) ---- */

/* Reads the page for program_html: url is "last" (the current page) or
 * an absolute URL to open first; locator is "" (the page's HTML) or a
 * document.* expression; prep (may be NULL) a JSON array of JS statements
 * run before.  *text gets the value as text (jr_free); a locator that
 * throws gives "" (WebArena's rule), not an error. */
typedef int (*web_locate_fn)(void *ctx, const char *url, const char *locator, json_t *prep, char **text,
                             char *err, size_t errlen);

/* A model judge for fuzzy_match (WebArena's llm_fuzzy_match and
 * llm_ua_match): *score 1 when pred answers the intent as ref does (ua:
 * when pred says the task cannot be done, for ref's reason), else 0. */
typedef struct web_judge {
    int (*fn)(void *ctx, const char *intent, const char *ref, const char *pred, int ua, double *score, char *err,
              size_t errlen);
    void *ctx;
    const char *intent;
    const char *string_note;   /* eval.string_note: the reason an N/A task cannot be done */
} web_judge;

/* WebArena's answer cleaning: trimmed, one pair of outer quotes removed,
 * lower case (ASCII); jr_malloc'd. */
char *web_clean_answer(const char *s);
double web_exact_match(const char *ref, const char *pred);
double web_must_include(const char *ref, const char *pred, int tokenize);
/* string_match over reference_answers.  fuzzy_match asks judge; with
 * judge NULL it is JITRL_EUNSUPPORTED (err says "needs --llm"), except an
 * "N/A" answered exactly. */
int web_string_match(json_t *refs, const char *answer, const web_judge *judge, double *score, char *err,
                     size_t errlen);
/* url_match: reference (alternatives split by " |OR| "), rule url_note
 * (NULL = "GOLD in PRED"; JITRL_EUNSUPPORTED for another). */
int web_url_match(const char *reference, const char *note, const char *pred, double *score, char *err,
                  size_t errlen);
int web_program_html(json_t *targets, const web_sites *sites, web_locate_fn fn, void *ctx, double *score,
                     char *err, size_t errlen);
/* Can this eval be judged without an answer and without leaving the page
 * (url_match, program_html on "last", js_reward only)? */
int web_eval_cheap(json_t *eval);
/* Whether eval needs an answer (string_match among its types). */
int web_eval_wants_answer(json_t *eval);
/* Check that every eval type and locator is one this build runs (with a
 * model judge or not): JITRL_EUNSUPPORTED naming the first that is not. */
int web_eval_supported(json_t *eval, int have_judge, char *err, size_t errlen);
/* The whole eval (the product of its types' scores, WebArena's
 * EvaluatorComb).  answer NULL = the episode ended without stop() (then a
 * string_match scores 0). */
int web_eval_task(json_t *eval, const web_sites *sites, const char *answer, const char *url, web_locate_fn fn,
                  void *ctx, const web_judge *judge, double *score, char *err, size_t errlen);

/* ---- the page script (observe.c) ---- */

/* The function body run by Execute Script: arguments[0] = max lines.
 * Returns {url, title, focused, lines: [...], keys: [...], acts: [[bid,
 * kind, [options]]...], texts: [...]}. */
extern const char web_observe_js[];
/* select_option: arguments bid, option -> "" or an error message. */
extern const char web_select_js[];

#endif
