/*
 * test_web_env.c -- the web kind end to end in a real browser (one
 * chromium for the whole file, shared by the environments), against the
 * small site of tests/support/web_testsrv.c mapped in place of
 * __SHOPPING__: the observation, every action kind, every evaluator
 * (string_match, url_match, program_html on the last page and on another,
 * js_reward with intent_js/setup_js), the errors (a stale, covered, hidden
 * and missing element, an alert, a page slower than the page-load timeout,
 * a refused page, an unparsable action),
 * the reset hook, and chromium killed mid-task and restarted.  Also a task
 * file in WebArena's own format (tests/web/webarena_format.json).
 *
 * No browser: skipped, except under CI=true, where it is a failure.
 */
#include "jitrl/web.h"
#include "testutil.h"
#include "web_testsrv.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static web_testsrv *srv;
static jitrl_web_browser *br;
static int resets;

static int reset_hook(void *ctx, char *err, size_t errlen)
{
    (void)err; (void)errlen;
    web_testsrv_reset(ctx);
    resets++;
    return 0;
}

static jitrl_env *open_task(const char *json, int max_steps)
{
    jitrl_web_tasks *t = NULL;
    char err[512] = "";
    int rc = jitrl_web_tasks_parse(json, strlen(json), "inline", &t, err, sizeof err);
    CHECK_MSG(rc == 0, "tasks: %s", err);
    if (rc) return NULL;
    jitrl_web_site site = {"shopping", web_testsrv_url(srv)};
    jitrl_web_options o;
    jitrl_web_options_init(&o);
    o.browser = br;
    o.sites = &site;
    o.n_sites = 1;
    o.max_steps = max_steps;
    o.reset_hook = reset_hook;
    o.reset_ctx = srv;
    jitrl_env *env = NULL;
    rc = jitrl_web_open(&o, t, 0, &env, err, sizeof err);
    CHECK_MSG(rc == 0, "open: %s", err);
    jitrl_web_tasks_close(t);
    return env;
}

/* The bid of the first line containing `what` (e.g. "button 'Add to cart'"). */
static const char *bid_of(const char *text, const char *what)
{
    static char bid[8][32];
    static int slot;
    const char *p = strstr(text, what);
    if (!p) return "none";
    while (p > text && p[-1] != '\n') p--;
    char *b = bid[slot++ % 8];
    if (sscanf(p, "[%31[^]]]", b) != 1) return "none";
    return b;
}

static jitrl_obs step(jitrl_env *env, const char *fmt, const char *arg)
{
    char act[512];
    snprintf(act, sizeof act, fmt, arg);
    jitrl_obs o;
    memset(&o, 0, sizeof o);
    int rc = jitrl_env_step(env, act, &o);
    CHECK_MSG(rc == 0, "step %s: %s", act, jitrl_env_errmsg(env));
    return o;
}

static const char *last_error(jitrl_env *env)
{
    static jitrl_web_step_stats st;
    st.size = sizeof st;
    jitrl_web_last_step(env, &st);
    return st.error;
}

static int has_action(jitrl_env *env, const char *a)
{
    const char *const *acts;
    size_t n;
    if (jitrl_env_actions(env, &acts, &n)) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(acts[i], a)) return 1;
    return 0;
}

static void test_answer_task(void)
{
    jitrl_env *env = open_task("{\"task_id\": \"price\", \"sites\": [\"shopping\"], \"start_url\": \"__SHOPPING__/item/1\","
                               " \"intent\": \"What is the price of the Blue Mug?\", \"eval\": {\"eval_types\": "
                               "[\"string_match\"], \"reference_answers\": {\"must_include\": [\"$12.50\"]}}}", 5);
    if (!env) return;
    CHECK_STR(jitrl_env_kind(env), "web");
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    const char *t = o.text;
    CHECK(strstr(t, "URL: http://127.0.0.1:") != NULL);
    CHECK(strstr(t, "Title: Blue Mug") != NULL);
    CHECK(strstr(t, "heading 'Blue Mug'") != NULL);
    CHECK(strstr(t, "button 'Add to cart'") != NULL);
    CHECK(strstr(t, "link 'Products'") != NULL);
    CHECK(strstr(t, "StaticText '$12.50'") != NULL);
    CHECK(strstr(t, "Secret") == NULL);   /* the hidden input's page has none; nothing hidden shows */
    /* retrieval: the URL with the site's address as its placeholder */
    const jitrl_field *f;
    size_t nf;
    CHECK_INT(jitrl_env_state_fields(env, &f, &nf), 0);
    CHECK_INT(nf, 2);
    CHECK_STR(f[0].text, "__SHOPPING__/item/1");
    CHECK(strstr(f[1].text, "button Add to cart") != NULL);
    /* candidates: clicks and the answers the page offers */
    char clk[64];
    snprintf(clk, sizeof clk, "click('%s')", bid_of(t, "button 'Add to cart'"));
    CHECK(has_action(env, clk));
    CHECK(has_action(env, "stop('$12.50')"));
    CHECK(has_action(env, "stop('Blue Mug')"));
    o = step(env, "stop('%s')", "It costs $12.50");
    CHECK(o.done);
    CHECK_NEAR(o.reward, 1.0, 1e-9);
    CHECK(o.victory);
    CHECK_INT(o.score, 100);
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    o = step(env, "stop('%s')", "$30.00");
    CHECK(o.done);
    CHECK_NEAR(o.reward, 0.0, 1e-9);
    CHECK(!o.victory);
    jitrl_env_close(env);
}

static void test_fill_press_url_match(void)
{
    jitrl_env *env = open_task("{\"task_id\": 2, \"start_url\": \"__SHOPPING__/\", \"intent\": "
                               "\"Search the shop for \\\"blue mug\\\"\", \"eval\": {\"eval_types\": [\"url_match\"], "
                               "\"reference_url\": \"__SHOPPING__/search?q=blue+mug\", \"url_note\": \"GOLD in PRED\"}}",
                               6);
    if (!env) return;
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    const char *box = bid_of(o.text, "textbox 'Search'");
    char want[128];
    snprintf(want, sizeof want, "fill('%s', 'blue mug')", box);
    CHECK_MSG(has_action(env, want), "no %s in the candidates", want);
    snprintf(want, sizeof want, "press('%s', 'Enter')", box);
    CHECK(has_action(env, want));
    o = step(env, "fill('%s', 'blue mug')", box);
    CHECK(!o.done);
    CHECK(strstr(o.text, "value='blue mug'") != NULL);
    CHECK(strstr(o.text, "focused") != NULL);
    CHECK_STR(last_error(env), "");
    o = step(env, "press('%s', 'Enter')", box);
    CHECK_MSG(o.done, "press Enter did not end the episode: %s", o.text);
    CHECK_NEAR(o.reward, 1.0, 1e-9);
    CHECK(strstr(o.text, "Results for blue mug") != NULL);
    jitrl_env_close(env);
}

static void test_cart_program_html(void)
{
    /* program_html on another page than the last: judged at stop() */
    jitrl_env *env = open_task("{\"task_id\": \"cart\", \"start_url\": \"__SHOPPING__/item/2\", \"intent\": "
                               "\"Add the Red Kettle to the cart\", \"eval\": {\"eval_types\": [\"program_html\"], "
                               "\"program_html\": [{\"url\": \"__SHOPPING__/cart\", \"locator\": "
                               "\"document.querySelector('#count').outerText\", \"required_contents\": "
                               "{\"exact_match\": \"1 items\"}}, {\"url\": \"last\", \"locator\": \"\", "
                               "\"required_contents\": {\"must_include\": [\"Red Kettle x 1 |OR| nothing\"]}}]}}", 6);
    if (!env) return;
    jitrl_obs o;
    web_testsrv_reset(srv);
    int r0 = resets;
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    CHECK_INT(resets, r0 + 1);
    CHECK(has_action(env, "stop()"));
    o = step(env, "click('%s')", bid_of(o.text, "button 'Add to cart'"));
    CHECK(!o.done);
    CHECK_MSG(strstr(o.text, "Title: Cart") != NULL, "after add to cart: %s", o.text);
    CHECK_INT(web_testsrv_cart(srv), 1);
    o = step(env, "%s", "stop()");
    CHECK(o.done);
    CHECK_NEAR(o.reward, 1.0, 1e-9);
    /* reset puts the site back: the cart is empty, and stopping at once fails */
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    CHECK_INT(web_testsrv_cart(srv), 0);
    o = step(env, "%s", "stop()");
    CHECK(o.done);
    CHECK_NEAR(o.reward, 0.0, 1e-9);
    /* the step limit ends and scores an episode */
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    for (int i = 0; i < 6 && !o.done; i++) o = step(env, "%s", "scroll(0, 100)");
    CHECK(o.done);
    CHECK_INT(o.moves, 6);
    jitrl_env_close(env);
}

static void test_select_checkbox_goto_back(void)
{
    jitrl_env *env = open_task("{\"task_id\": \"order\", \"start_url\": \"__SHOPPING__/form\", \"intent\": "
                               "\"Order a Blue one for Ann as a gift\", \"eval\": {\"eval_types\": [\"url_match\"], "
                               "\"reference_url\": \"__SHOPPING__/result?color=Blue&gift=on |OR| "
                               "__SHOPPING__/result?color=Navy\"}}", 10);
    if (!env) return;
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    const char *sel = bid_of(o.text, "combobox 'Colour'");
    CHECK(strstr(o.text, "options=['Red', 'Green', 'Blue']") != NULL);
    char want[128];
    snprintf(want, sizeof want, "select_option('%s', 'Green')", sel);
    CHECK(has_action(env, want));
    snprintf(want, sizeof want, "fill('%s', 'Ann')", bid_of(o.text, "textbox 'Name'"));
    CHECK_MSG(has_action(env, want), "no %s", want);
    o = step(env, "select_option('%s', 'Purple')", sel);
    CHECK(strstr(last_error(env), "has no option") != NULL);
    o = step(env, "select_option('%s', 'Blue')", sel);
    CHECK_STR(last_error(env), "");
    CHECK(strstr(o.text, "value='Blue'") != NULL);
    o = step(env, "fill('%s', 'Ann')", bid_of(o.text, "textbox 'Name'"));
    const char *cb = bid_of(o.text, "checkbox 'Gift wrap'");
    CHECK(strstr(o.text, "checked='false'") != NULL);
    o = step(env, "click('%s')", cb);
    CHECK(strstr(o.text, "checked='true'") != NULL);
    CHECK(!o.done);
    /* goto and go_back */
    char url[160];
    snprintf(url, sizeof url, "%s/about", web_testsrv_url(srv));
    o = step(env, "goto('%s')", url);
    CHECK(strstr(o.text, "heading 'About us'") != NULL);
    CHECK(has_action(env, "go_back()"));
    o = step(env, "%s", "go_back()");
    CHECK(strstr(o.text, "Title: Order form") != NULL);
    /* back on the form (the browser restores its values or not): fill it again and order */
    o = step(env, "select_option('%s', 'Blue')", bid_of(o.text, "combobox 'Colour'"));
    if (strstr(o.text, "checked='false'")) o = step(env, "click('%s')", bid_of(o.text, "checkbox 'Gift wrap'"));
    o = step(env, "click('%s')", bid_of(o.text, "button 'Order'"));
    CHECK_MSG(o.done, "ordering did not end the task: %s", o.text);
    CHECK_NEAR(o.reward, 1.0, 1e-9);
    jitrl_env_close(env);
}

static void test_generated_task(void)
{
    jitrl_env *env = open_task("{\"task_id\": \"gen\", \"start_url\": \"__SHOPPING__/gen\", \"setup_js\": "
                               "\"document.getElementById('instr').textContent = 'Press the Green button'\", "
                               "\"intent_js\": \"document.getElementById('instr').textContent\", \"eval\": "
                               "{\"eval_types\": [], \"js_reward\": \"window.pressed === 'Green' ? 1 : 0\"}}", 5);
    if (!env) return;
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    const jitrl_field *f;
    size_t nf;
    CHECK_INT(jitrl_env_prompt_fields(env, &f, &nf), 0);
    CHECK_STR(f[0].text, "Press the Green button");
    CHECK(strstr(o.text, "paragraph 'Press the Green button'") != NULL);
    o = step(env, "click('%s')", bid_of(o.text, "button 'Red'"));
    CHECK(!o.done);
    o = step(env, "click('%s')", bid_of(o.text, "button 'Green'"));
    CHECK(o.done);
    CHECK_NEAR(o.reward, 1.0, 1e-9);
    jitrl_env_close(env);
}

static void test_errors_and_restart(void)
{
    jitrl_env *env = open_task("{\"task_id\": \"err\", \"start_url\": \"__SHOPPING__/stale\", \"intent\": \"x\", "
                               "\"eval\": {\"eval_types\": [\"string_match\"], \"reference_answers\": "
                               "{\"exact_match\": \"never\"}}}", 40);
    if (!env) return;
    jitrl_obs o;
    char buf[256], url[200];
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    /* stale: the page replaces the element after the observation */
    char old[32];
    snprintf(old, sizeof old, "%s", bid_of(o.text, "button 'Old'"));
    o = step(env, "click('%s')", bid_of(o.text, "button 'Replace'"));
    CHECK(strstr(o.text, "button 'New'") != NULL);
    o = step(env, "click('%s')", old);
    CHECK_MSG(strstr(last_error(env), "gone") != NULL, "stale: %s", last_error(env));
    CHECK(strstr(o.text, "Last action error: no element with bid") != NULL);
    /* missing and unparsable */
    o = step(env, "%s", "click('99999')");
    CHECK(strstr(last_error(env), "no element with bid 99999") != NULL);
    o = step(env, "%s", "click(12");
    CHECK(strstr(last_error(env), "cannot parse") != NULL);
    o = step(env, "%s", "jump('3')");
    CHECK(strstr(last_error(env), "unknown action") != NULL);
    /* covered */
    snprintf(url, sizeof url, "%s/covered", web_testsrv_url(srv));
    o = step(env, "goto('%s')", url);
    o = step(env, "click('%s')", bid_of(o.text, "button 'Under'"));
    CHECK_MSG(strstr(last_error(env), "covered") != NULL, "covered: %s", last_error(env));
    CHECK(strstr(o.text, "Title: Covered") != NULL);
    /* hidden: not in the observation, and refused when named */
    snprintf(url, sizeof url, "%s/hidden", web_testsrv_url(srv));
    o = step(env, "goto('%s')", url);
    CHECK(strstr(o.text, "Secret") == NULL);
    CHECK(strstr(o.text, "button 'Visible'") != NULL);
    CHECK_INT(jitrl_web_eval_js(env, "document.getElementById('h').getAttribute('bid')", buf, sizeof buf), 0);
    o = step(env, "click('%s')", buf);
    CHECK_MSG(strstr(last_error(env), "hidden") != NULL, "hidden: %s", last_error(env));
    /* an alert: accepted and reported */
    snprintf(url, sizeof url, "%s/alert", web_testsrv_url(srv));
    o = step(env, "goto('%s')", url);
    o = step(env, "click('%s')", bid_of(o.text, "button 'Alert me'"));
    CHECK_MSG(strstr(last_error(env), "Hello there") != NULL, "alert: %s", last_error(env));
    CHECK(strstr(o.text, "button 'Alert me'") != NULL);
    /* a page slower than the page-load timeout (6 s here): an error, and the step comes back */
    snprintf(url, sizeof url, "%s/slow", web_testsrv_url(srv));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    o = step(env, "goto('%s')", url);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_MSG(strstr(last_error(env), "timeout") != NULL, "slow page: %s", last_error(env));
    printf("FIGURE web_page_load_timeout_step_s %.1f\n", secs);
    /* a page that refuses the connection */
    o = step(env, "%s", "goto('http://127.0.0.1:1/')");
    CHECK_MSG(last_error(env)[0] != '\0', "a refused page gave no error: %s", o.text);
    /* chromium killed mid-task: restarted, the page reloaded, the episode goes on */
    snprintf(url, sizeof url, "%s/products", web_testsrv_url(srv));
    o = step(env, "goto('%s')", url);
    jitrl_web_browser_stats bs;
    bs.size = sizeof bs;
    CHECK_INT(jitrl_web_browser_stats_get(br, &bs), 0);
    CHECK(bs.browser_pid > 0);
    CHECK(bs.rss_kb > 0);
    int starts = bs.starts;
    printf("FIGURE web_browser_rss_mb %.1f\n", (double)bs.rss_kb / 1024.0);
    CHECK_INT(kill((pid_t)bs.browser_pid, SIGKILL), 0);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    o = step(env, "click('%s')", bid_of(o.text, "link 'Blue Mug'"));
    CHECK_MSG(strstr(last_error(env), "restarted") != NULL, "after the kill: %s", last_error(env));
    CHECK(strstr(o.text, "Title: Products") != NULL);
    CHECK_INT(jitrl_web_browser_stats_get(br, &bs), 0);
    CHECK_INT(bs.starts, starts + 1);
    o = step(env, "click('%s')", bid_of(o.text, "link 'Blue Mug'"));
    CHECK_STR(last_error(env), "");
    CHECK(strstr(o.text, "Title: Blue Mug") != NULL);
    /* the driver killed too: the next reset starts both again */
    CHECK_INT(jitrl_web_browser_stats_get(br, &bs), 0);
    kill((pid_t)bs.driver_pid, SIGKILL);
    nanosleep(&ts, NULL);
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    CHECK(strstr(o.text, "button 'Replace'") != NULL);
    CHECK_INT(jitrl_web_browser_stats_get(br, &bs), 0);
    CHECK_INT(bs.starts, starts + 2);
    jitrl_env_close(env);
}

static void test_webarena_file(void)
{
    /* a task file in WebArena's format, read unchanged, with its placeholder mapped to our site */
    char path[4096];
    const char *root = getenv("JITRL_ROOT");
    snprintf(path, sizeof path, "%s/tests/web/webarena_format.json", root ? root : ".");
    jitrl_web_tasks *t = NULL;
    char err[512] = "";
    int rc = jitrl_web_tasks_load(path, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "load: %s", err);
    if (rc) return;
    CHECK_INT(jitrl_web_tasks_count(t), 2);
    CHECK_STR(jitrl_web_task_site(t, 0), "shopping");
    CHECK_STR(jitrl_web_task_id(t, 0), "9001");
    jitrl_web_options o;
    jitrl_web_options_init(&o);
    o.browser = br;
    jitrl_env *env = NULL;
    /* without the mapping: a clear error naming the flag */
    CHECK_INT(jitrl_web_open(&o, t, 0, &env, err, sizeof err), JITRL_EINVAL);
    CHECK_MSG(strstr(err, "--site SHOPPING=URL") != NULL, "%s", err);
    jitrl_web_site site = {"__SHOPPING__", web_testsrv_url(srv)};
    o.sites = &site;
    o.n_sites = 1;
    for (size_t i = 0; i < 2; i++) {
        rc = jitrl_web_open(&o, t, i, &env, err, sizeof err);
        CHECK_MSG(rc == 0, "open %zu: %s", i, err);
        if (rc) continue;
        jitrl_obs ob;
        CHECK_INT(jitrl_env_reset(env, &ob), 0);
        if (i == 0) ob = step(env, "click('%s')", bid_of(ob.text, "link 'About'"));
        else ob = step(env, "stop('%s')", "founded in 1999");
        CHECK_MSG(ob.done && ob.reward == 1.0, "task %zu: done %d reward %g", i, ob.done, ob.reward);
        jitrl_env_close(env);
    }
    jitrl_web_tasks_close(t);
}

static void test_step_time(void)
{
    jitrl_env *env = open_task("{\"task_id\": \"t\", \"start_url\": \"__SHOPPING__/products\", \"intent\": \"x\", "
                               "\"eval\": {\"eval_types\": [\"string_match\"], \"reference_answers\": "
                               "{\"exact_match\": \"never\"}}}", 100);
    if (!env) return;
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(env, &o), 0);
    double ms[20], act = 0, obs = 0;
    int n = 0;
    for (int i = 0; i < 20; i++) {
        const char *link = i % 2 ? "link 'Products'" : "link 'Green Teapot'";
        o = step(env, "click('%s')", bid_of(o.text, link));
        jitrl_web_step_stats st;
        st.size = sizeof st;
        jitrl_web_last_step(env, &st);
        ms[n++] = st.action_ms + st.observe_ms;
        act += st.action_ms;
        obs += st.observe_ms;
    }
    printf("FIGURE web_step_mean_action_ms %.1f observe_ms %.1f\n", act / n, obs / n);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
            double x = ms[j];
            ms[j] = ms[j - 1];
            ms[j - 1] = x;
        }
    printf("FIGURE web_step_median_ms %.1f\n", ms[n / 2]);
    jitrl_env_close(env);
}

int main(void)
{
    srv = web_testsrv_start();
    CHECK(srv != NULL);
    if (!srv) return tu_done();
    char err[512] = "";
    jitrl_web_options o;
    jitrl_web_options_init(&o);
    o.page_load_ms = 6000;   /* above a normal load on a busy machine, below /slow's 8 s */
    int rc = jitrl_web_browser_open(&o, &br, err, sizeof err);
    if (rc) {
        const char *ci = getenv("CI");
        web_testsrv_stop(srv);
        if (ci && !strcmp(ci, "true")) {
            fprintf(stderr, "the browser did not start under CI: %s\n", err);
            return 1;
        }
        fprintf(stderr, "no browser: %s\n", err);
        tu_skip("chromium/chromedriver not available");
    }
    test_answer_task();
    test_fill_press_url_match();
    test_cart_program_html();
    test_select_checkbox_goto_back();
    test_generated_task();
    test_webarena_file();
    test_step_time();
    test_errors_and_restart();
    jitrl_web_browser_close(br);
    web_testsrv_stop(srv);
    return tu_done();
}
