/*
 * web.h -- the environment kind "web": web tasks in a real browser
 * (Debian's chromium driven through chromedriver over W3C WebDriver), with
 * tasks in WebArena's own JSON format.  docs/web.md is the long version.
 *
 * A task (jitrl_web_tasks) is a WebArena config object read unchanged:
 * intent, start_url with site placeholders (__SHOPPING__, __REDDIT__,
 * __SHOPPING_ADMIN__, __GITLAB__, __MAP__, __WIKIPEDIA__, ...) that
 * jitrl_web_options.sites maps to URLs, and eval with eval_types
 * string_match (exact_match, must_include; fuzzy_match with a model judge,
 * jitrl_web_options.judge, else refused with "needs --llm"), url_match and
 * program_html.  Two
 * extensions: eval.js_reward (a JS expression evaluated in the page after
 * every step; a value > 0 ends the episode with that reward) and intent_js
 * (the instruction read from the page after setup_js runs).
 *
 * The environment (jitrl/env.h): reset() opens the start URL (after the
 * options' reset hook, which puts the sites back to their seed state);
 * the observation is the page's accessibility tree flattened to lines
 * "[bid] role 'name' value=... states" (bids are stable attributes the
 * environment writes into the DOM) with the URL, the title, the focused
 * element and the last action's error.  Actions are BrowserGym's:
 * click('bid'), fill('bid', 'text'), select_option('bid', 'option'),
 * press('bid', 'Enter'), scroll(dx, dy), goto('url'), go_back(), plus
 * stop('answer'), which ends the episode and scores it.  A stale, hidden,
 * covered or missing element, an alert, a page that navigated away or a
 * browser that died (it is restarted) is an error in the next
 * observation, never a failed call.  The reward is the task's score
 * (0..1), given when the episode ends: at stop(), at the environment's
 * step limit, or as soon as a check that needs no answer passes (url_match,
 * program_html on the current page, js_reward).
 *
 * State fields for retrieval (the paper's web setting): "url" (the
 * normalised URL), "page" (the page's key lines, without bids) and the
 * agent's "history"; the "web" engine preset.
 *
 * Ownership and threading as in jitrl/env.h; a browser handle is used by
 * one thread at a time, and by the environments that borrow it in turn.
 */
#ifndef JITRL_WEB_H
#define JITRL_WEB_H

#include <stddef.h>

#include "jitrl/env.h"
#include "jitrl/error.h"
#include "jitrl/llm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_web_browser jitrl_web_browser;
typedef struct jitrl_web_tasks jitrl_web_tasks;

/* A site placeholder and its URL: name "shopping" or "__SHOPPING__". */
typedef struct jitrl_web_site {
    const char *name;
    const char *url;
} jitrl_web_site;

typedef struct jitrl_web_options {
    size_t size;                 /* sizeof(jitrl_web_options), set by jitrl_web_options_init */
    const char *chromium;        /* NULL = /usr/bin/chromium */
    const char *chromedriver;    /* NULL = /usr/bin/chromedriver */
    long page_load_ms;           /* the browser's page-load timeout; 0 = 10000 */
    long script_ms;              /* the browser's script timeout; 0 = 5000 */
    long step_ms;                /* overall deadline of one step (action + observation); 0 = 20000 */
    int max_steps;               /* the environment's step limit: the episode is scored and ends
                                  * there; 0 = 15 */
    size_t max_lines;            /* observation lines kept; 0 = 250 */
    int headful;                 /* 1 = show the browser window (debugging) */
    const jitrl_web_site *sites; /* placeholder -> URL (copied at open) */
    size_t n_sites;
    /* Called at the start of every reset(), before the start URL is
     * opened: put the sites back to their seed state.  Nonzero = reset
     * fails with that code and the hook's message.  NULL = none. */
    int (*reset_hook)(void *ctx, char *err, size_t errlen);
    void *reset_ctx;
    /* A browser to borrow (it must outlive the environment); NULL = the
     * environment starts one of its own. */
    jitrl_web_browser *browser;
    /* A model that judges fuzzy_match (borrowed, token or verbal mode):
     * one call per reference, the prior of "correct" vs "incorrect".  NULL
     * = tasks with fuzzy_match are refused at open ("needs --llm"). */
    jitrl_llm *judge;
} jitrl_web_options;

JITRL_API void jitrl_web_options_init(jitrl_web_options *o);

/* ---- tasks ---------------------------------------------------------- */

/* Load tasks: a JSON file holding one task object or an array of them
 * (WebArena's test.raw.json), or a directory of such files (*.json,
 * sorted by name).  Each task needs an intent (or intent_js), a start_url
 * and an eval with eval_types; anything else is kept and ignored.
 * Errors: JITRL_EIO (unreadable), JITRL_ECORRUPT (not JSON, or a task
 * without those fields; err names the file and the task), JITRL_ENOMEM.
 * At most 10000 tasks, 16 MB per file. */
JITRL_API int jitrl_web_tasks_load(const char *path, jitrl_web_tasks **out, char *err, size_t errlen);
/* The same from a JSON text; origin names it in errors. */
JITRL_API int jitrl_web_tasks_parse(const char *json, size_t len, const char *origin, jitrl_web_tasks **out,
                                    char *err, size_t errlen);
JITRL_API void jitrl_web_tasks_close(jitrl_web_tasks *t);   /* NULL is a no-op */
JITRL_API size_t jitrl_web_tasks_count(const jitrl_web_tasks *t);
/* Borrowed until close; "" for an index out of range.  id: task_id as
 * text (or the file name); site: the first of "sites" (or the first
 * placeholder of start_url, lower case, "" if none); intent: "" when the
 * page gives it (intent_js). */
JITRL_API const char *jitrl_web_task_id(const jitrl_web_tasks *t, size_t i);
JITRL_API const char *jitrl_web_task_site(const jitrl_web_tasks *t, size_t i);
JITRL_API const char *jitrl_web_task_intent(const jitrl_web_tasks *t, size_t i);

/* ---- the browser ----------------------------------------------------- */

/* Start chromedriver and chromium (headless, a fresh temporary profile,
 * --no-sandbox when root) and open one WebDriver session, reused by every
 * episode; if the browser or the driver dies it is started again at the
 * next step or reset.  Reads chromium, chromedriver, page_load_ms,
 * script_ms, headful.  Errors: JITRL_EUNSUPPORTED (a binary is missing),
 * JITRL_EIO (a process did not start or get ready; err quotes the driver's
 * log), JITRL_EHTTP, JITRL_ENOMEM, JITRL_EINVAL (a bad options size). */
JITRL_API int jitrl_web_browser_open(const jitrl_web_options *o, jitrl_web_browser **out, char *err,
                                     size_t errlen);
/* End the session, stop both processes, remove the profile.  NULL = no-op. */
JITRL_API void jitrl_web_browser_close(jitrl_web_browser *b);

typedef struct jitrl_web_browser_stats {
    size_t size;       /* set by the caller: sizeof(jitrl_web_browser_stats) */
    long driver_pid;   /* chromedriver's pid (0 if not running) */
    long browser_pid;  /* chromium's main pid (0 if unknown) */
    long rss_kb;       /* memory of both process trees: the sum of their PSS (RSS if unreadable) */
    int starts;        /* browsers started so far (1 + restarts) */
} jitrl_web_browser_stats;
/* JITRL_EINVAL for a NULL or a bad size. */
JITRL_API int jitrl_web_browser_stats_get(jitrl_web_browser *b, jitrl_web_browser_stats *out);

/* ---- the environment -------------------------------------------------- */

/* An environment for task i of tasks (the task is copied; tasks may be
 * closed afterwards).  Opens its own browser unless o->browser is given.
 * Errors: those of jitrl_web_browser_open; JITRL_EINVAL (bad index or
 * options, a placeholder of the task that o->sites does not map: err names
 * it and the --site flag to give); JITRL_EUNSUPPORTED (an evaluator this
 * build cannot run: fuzzy_match without a model, "func:" locators). */
JITRL_API int jitrl_web_open(const jitrl_web_options *o, const jitrl_web_tasks *tasks, size_t i, jitrl_env **out,
                             char *err, size_t errlen);

typedef struct jitrl_web_step_stats {
    size_t size;           /* set by the caller */
    double action_ms;      /* the last step's action (with the alert check) */
    double observe_ms;     /* its observation */
    double eval_ms;        /* its checks */
    size_t lines;          /* lines in the observation */
    int restarted;         /* 1 = the browser was restarted during it */
    const char *error;     /* the last action's error ("" if none); borrowed */
    const char *answer;    /* the answer given with stop(), "" if none; borrowed */
    double score;          /* the task's score when the episode ended, else 0 */
} jitrl_web_step_stats;
/* What the last reset or step cost and found.  JITRL_EINVAL for another
 * kind or a bad size. */
JITRL_API int jitrl_web_last_step(const jitrl_env *env, jitrl_web_step_stats *out);
/* The browser an environment uses (borrowed), NULL for another kind. */
JITRL_API jitrl_web_browser *jitrl_web_env_browser(const jitrl_env *env);
/* Evaluate a JS expression in the current page and write its value as
 * text to out[0..cap) (for tests and tools).  JITRL_ESTATE with errmsg
 * when the page throws. */
JITRL_API int jitrl_web_eval_js(jitrl_env *env, const char *expr, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
