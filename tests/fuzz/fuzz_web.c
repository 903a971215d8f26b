/*
 * fuzz_web.c -- libFuzzer harness for the web kind's parsers of
 * outside input (src/env/web/): the action language (a model's or a
 * user's action string), key names, the values an intent offers, site
 * placeholders and WebArena task files.
 *
 * Properties checked, each aborting (which libFuzzer reports) when broken:
 *  - a refused action leaves a message; an accepted one formats to a
 *    string that parses again to the same kind, bid and text;
 *  - every byte string ends in a task list or an error with a message.
 *
 * Built by scripts/fuzz.sh (FUZZ_TARGET=web).
 */
#include "env/web/web_int.h"

#include "base/alloc.h"
#include "jitrl/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    web_action a;
    char err[512] = "";
    int rc = web_action_parse(s, &a, err, sizeof err);
    if (rc && !err[0] && rc != JITRL_ENOMEM) abort();
    if (!rc) {
        jr_buf b;
        jr_buf_init(&b, 1 << 20);
        int bid = a.kind == WA_CLICK || a.kind == WA_FILL || a.kind == WA_SELECT || a.kind == WA_PRESS;
        if (a.kind != WA_SCROLL && !web_action_format(&b, a.kind, bid ? a.bid : NULL, (a.kind == WA_STOP && a.text && !a.text[0]) ? NULL : a.text)) {
            web_action a2;
            if (web_action_parse(jr_buf_str(&b), &a2, err, sizeof err)) abort();
            if (a2.kind != a.kind || strcmp(a2.bid, a.bid) || strcmp(a2.text ? a2.text : "", a.text ? a.text : ""))
                abort();
            web_action_free(&a2);
        }
        jr_buf_free(&b);
        web_action_free(&a);
    }
    char keys[64];
    web_key_string(s, keys, sizeof keys);
    json_t *v = web_intent_values(s, 8);
    json_decref(v);
    web_sites sites;
    jitrl_web_site sv[] = {{"shopping", "http://127.0.0.1:1"}};
    if (!web_sites_set(&sites, sv, 1, err, sizeof err)) {
        char *out = NULL;
        if (!web_sites_map(&sites, s, &out, err, sizeof err)) jr_free(out);
        web_sites_free(&sites);
    }
    jitrl_web_tasks *t = NULL;
    rc = jitrl_web_tasks_parse(s, size, "fuzz", &t, err, sizeof err);
    if (rc && (t || !err[0]) && rc != JITRL_ENOMEM) abort();
    jitrl_web_tasks_close(t);
    free(s);
    return 0;
}
