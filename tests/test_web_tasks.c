/*
 * test_web_tasks.c -- the web tasks under tasks/web/ (and the official-
 * format copies in tasks/web/webarena_style/) against the local sites:
 * every file is a WebArena task (the fields, their types, the intent is
 * its template filled in, only our three sites, start_url on a listed
 * site's placeholder, eval types and reference kinds WebArena knows);
 * every answer task's reference answer is on its reference page over
 * HTTP, from the seed; every URL task's reference URL answers 200; and
 * every end-state task is solved here by its HTTP requests (a table
 * below), after which its checks hold, while on the seed they do not.
 *
 * The checks run the locator's querySelector on the HTML (an id, an id
 * and a descendant class, then .value, .innerText or .getAttribute), which
 * is what the browser would compute for our pages; locators that map over
 * lists fall back to "the page's text includes it".
 */
#include "env/web/sites/sites.h"
#include "base/alloc.h"
#include "jitrl/error.h"
#include "testutil.h"
#include "tu_http.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How each end-state task (by task_id) is done over HTTP, and where its
 * "last" page is.  A step is "SITE METHOD PATH [BODY]". */
static const struct {
    int task;
    const char *last;
    const char *steps[4];
} solutions[] = {
    {117, NULL, {"shopping POST /cart/add product_id=13"}},
    {118, NULL, {"shopping POST /cart/add product_id=28"}},
    {119, NULL, {"shopping POST /cart/add product_id=5"}},
    {120, NULL, {"shopping POST /cart/add product_id=15&qty=3"}},
    {121, NULL, {"shopping POST /cart/add product_id=3", "shopping POST /cart/add product_id=2"}},
    {122, NULL, {"shopping POST /cart/add product_id=19", "shopping POST /checkout name=Jordan+Ellis&address=59+Main+Street&ship_method=express"}},
    {123, NULL, {"shopping POST /cart/add product_id=30",
                 "shopping POST /checkout name=Maria+Garcia&address=42+Oak+Avenue%2C+Springfield&ship_method=standard"}},
    {212, NULL, {"shopping_admin POST /product/13/edit price=24.99"}},
    {213, NULL, {"shopping_admin POST /product/16/edit price=79.50"}},
    {214, NULL, {"shopping_admin POST /product/12/edit price=19.99"}},
    {215, NULL, {"shopping_admin POST /product/11/edit stock=25"}},
    {216, NULL, {"shopping_admin POST /product/6/edit stock=0"}},
    {217, NULL, {"shopping_admin POST /product/2/edit name=Braided+USB-C+Cable+2m"}},
    {218, NULL, {"shopping_admin POST /product/12/edit enabled=0"}},
    {219, NULL, {"shopping_admin POST /order/114/cancel "}},
    {220, NULL, {"shopping_admin POST /order/113/ship "}},
    {309, NULL, {"reddit POST /vote kind=thread&id=9&dir=up"}},
    {310, NULL, {"reddit POST /vote kind=thread&id=20&dir=up"}},
    {311, NULL, {"reddit POST /vote kind=thread&id=3&dir=up"}},
    {312, NULL, {"reddit POST /vote kind=thread&id=12&dir=down"}},
    {313, NULL, {"reddit POST /vote kind=comment&id=14&dir=up"}},
    {314, NULL, {"reddit POST /submit forum=hiking&title=Best+waterproof+jacket+under+%24150%3F"}},
    {315, NULL, {"reddit POST /submit forum=cooking&title=Favourite+way+to+use+leftover+rice%3F&body=Fried+rice%3F"}},
    {316, NULL, {"reddit POST /f/hiking/15/comment body=I+love+my+1.4+kg+tent"}},
    {317, NULL, {"reddit POST /f/diy/20/comment body=Use+a+mesh+patch+and+two+coats+of+joint+compound."}},
    {600, "__REDDIT__/f/hiking/21", {"reddit POST /submit forum=hiking&title=what+is+the+lightest+tent+for+two+people"}},
};

static const char *known_sites[] = {"shopping", "reddit", "shopping_admin"};

/* The page's text: tags dropped (a space for each), the five entities we
 * write decoded. */
static char *page_text(const char *html)
{
    size_t n = strlen(html);
    char *t = malloc(n + 1), *o = t;
    for (const char *p = html; *p;) {
        if (*p == '<') {
            const char *e = strchr(p, '>');
            if (!e) break;
            /* skip the stylesheet's text */
            if (!strncmp(p, "<style", 6)) {
                const char *end = strstr(p, "</style>");
                e = end ? end + 7 : e;
            }
            *o++ = ' ';
            p = e + 1;
            continue;
        }
        static const struct { const char *ent; char c; } ents[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
        int hit = 0;
        for (size_t i = 0; i < 5 && !hit; i++)
            if (!strncmp(p, ents[i].ent, strlen(ents[i].ent))) {
                *o++ = ents[i].c;
                p += strlen(ents[i].ent);
                hit = 1;
            }
        if (!hit) *o++ = *p++;
    }
    *o = '\0';
    return t;
}

static long fetch(jr_sites *s, const char *templ, tu_reply *r)
{
    char *u = jr_sites_expand(s, templ);
    long st = tu_http(r, "GET", u, NULL, 0, NULL);
    jr_free(u);
    return st;
}

/* An attribute's value in the tag starting at tag (a copy, decoded), or NULL. */
static char *attr(const char *tag, const char *name)
{
    const char *end = strchr(tag, '>');
    char pat[64];
    snprintf(pat, sizeof pat, " %s=\"", name);
    const char *a = strstr(tag, pat);
    if (!a || !end || a > end) return NULL;
    a += strlen(pat);
    const char *q = strchr(a, '"');
    char *raw = strndup(a, (size_t)(q - a));
    char *v = page_text(raw);
    free(raw);
    return v;
}

/* What the locator yields on this HTML, or NULL when it is not one of the
 * shapes we emulate (then the caller falls back to the page text). */
static char *emulate(const char *html, const char *locator)
{
    const char *qs = strstr(locator, "querySelector('");
    if (!qs || strstr(locator, "querySelectorAll") || strstr(locator, "Array.from")) return NULL;
    qs += strlen("querySelector('");
    const char *qe = strchr(qs, '\'');
    char sel[128];
    snprintf(sel, sizeof sel, "%.*s", (int)(qe - qs), qs);
    if (sel[0] != '#') return NULL;
    char id[64], desc[64] = "";
    const char *sp = strchr(sel, ' ');
    snprintf(id, sizeof id, "%.*s", (int)(sp ? sp - sel - 1 : (long)strlen(sel) - 1), sel + 1);
    if (sp) {
        const char *dot = strchr(sp, '.');
        if (!dot) return NULL;
        snprintf(desc, sizeof desc, "%s", dot + 1);
    }
    char pat[96];
    snprintf(pat, sizeof pat, "id=\"%s\"", id);
    const char *at = strstr(html, pat);
    if (!at) return strdup("");   /* the element is missing: the locator gives '' */
    if (*desc) {
        snprintf(pat, sizeof pat, "class=\"%s", desc);
        const char *d = strstr(at, pat);
        if (!d) return strdup("");
        at = d;
    }
    const char *tag = at;
    while (tag > html && *tag != '<') tag--;
    const char *rest = qe + 2;  /* past "')" */
    if (strstr(rest, ".value")) {
        if (!strncmp(tag, "<select", 7)) {
            const char *close = strstr(tag, "</select>");
            for (const char *o = strstr(tag, "<option"); o && o < close; o = strstr(o + 1, "<option")) {
                const char *gt = strchr(o, '>');
                const char *sel2 = strstr(o, " selected");
                if (sel2 && sel2 < gt) return attr(o, "value");
            }
            return attr(strstr(tag, "<option"), "value");
        }
        char *v = attr(tag, "value");
        return v ? v : strdup("");
    }
    if (strstr(rest, ".getAttribute('")) {
        const char *n = strstr(rest, ".getAttribute('") + strlen(".getAttribute('");
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(n, '\'') - n), n);
        char *v = attr(tag, name);
        return v ? v : strdup("");
    }
    if (strstr(rest, "Text")) { /* innerText / outerText of a leaf element; others: NULL */
        const char *gt = strchr(tag, '>');
        const char *lt = gt ? strchr(gt, '<') : NULL;
        if (!lt) return strdup("");
        if (lt[1] != '/') return NULL;
        char *raw = strndup(gt + 1, (size_t)(lt - gt - 1));
        char *v = page_text(raw);
        free(raw);
        return v;
    }
    return NULL;
}

/* Does the check hold on this HTML? */
static int check_holds(const char *html, json_t *check)
{
    const char *locator = json_string_value(json_object_get(check, "locator"));
    json_t *rc = json_object_get(check, "required_contents");
    const char *exact = json_string_value(json_object_get(rc, "exact_match"));
    json_t *must = json_object_get(rc, "must_include");
    char *got = locator && *locator ? emulate(html, locator) : NULL;
    char *text = got ? got : page_text(html);
    int ok = 1;
    if (exact) ok = got ? !strcasecmp(got, exact) : strcasestr(text, exact) != NULL;
    size_t i;
    json_t *m;
    json_array_foreach(must, i, m) ok &= strcasestr(text, json_string_value(m)) != NULL;
    free(text);
    return ok;
}

static void run_steps(jr_sites *s, const char *const *steps, const char *file)
{
    for (int i = 0; i < 4 && steps[i]; i++) {
        char site[32], method[8], path[128], body[512] = "";
        int n = sscanf(steps[i], "%31s %7s %127s %511[^\n]", site, method, path, body);
        CHECK(n >= 3);
        char u[700];
        snprintf(u, sizeof u, "%s%s", jr_sites_url(s, site), path);
        tu_reply r;
        long st = tu_http(&r, method, u, body, strlen(body), NULL);
        CHECK_MSG(st == 303, "%s: step '%s' -> %ld", file, steps[i], st);
        tu_reply_free(&r);
    }
}

static void check_end_state(jr_sites *s, json_t *t, const char *file, int id)
{
    int k = -1;
    for (size_t i = 0; i < sizeof solutions / sizeof solutions[0]; i++)
        if (solutions[i].task == id) k = (int)i;
    CHECK_MSG(k >= 0, "%s: end-state task %d has no solution in test_web_tasks.c", file, id);
    if (k < 0) return;
    json_t *checks = json_object_get(json_object_get(t, "eval"), "program_html");
    CHECK_MSG(json_array_size(checks) > 0, "%s: program_html is empty", file);
    for (int phase = 0; phase < 2; phase++) {
        jr_sites_reset(s);
        if (phase) run_steps(s, solutions[k].steps, file);
        int all = 1;
        size_t i;
        json_t *c;
        json_array_foreach(checks, i, c) {
            const char *u = json_string_value(json_object_get(c, "url"));
            CHECK_MSG(u && json_is_object(json_object_get(c, "required_contents")), "%s: check %zu lacks url or contents", file, i);
            if (!u) continue;
            if (!strcmp(u, "last")) {
                CHECK_MSG(solutions[k].last, "%s: a 'last' check needs the last page in the table", file);
                u = solutions[k].last ? solutions[k].last : "";
            }
            tu_reply r;
            long st = fetch(s, u, &r);
            int holds = st == 200 && check_holds(r.body, c);
            if (phase) CHECK_MSG(holds, "%s: check %zu (%s) fails after the solution (HTTP %ld)", file, i, u, st);
            all &= holds;
            tu_reply_free(&r);
        }
        if (!phase) CHECK_MSG(!all, "%s: the seed already passes every check", file);
    }
}

static void check_answer(jr_sites *s, json_t *ev, const char *file)
{
    json_t *ra = json_object_get(ev, "reference_answers");
    const char *page = json_string_value(json_object_get(ev, "reference_url"));
    CHECK_MSG(json_is_object(ra), "%s: string_match without reference_answers", file);
    CHECK_MSG(page && *page, "%s: string_match tasks here name their page in reference_url", file);
    if (!json_is_object(ra) || !page || !*page) return;
    jr_sites_reset(s);
    tu_reply r;
    long st = fetch(s, page, &r);
    CHECK_MSG(st == 200, "%s: reference page %s -> %ld", file, page, st);
    char *text = page_text(r.body ? r.body : "");
    const char *key;
    json_t *v;
    int kinds = 0;
    json_object_foreach(ra, key, v) {
        kinds++;
        if (!strcmp(key, "exact_match")) {
            CHECK_MSG(json_is_string(v) && strcasestr(text, json_string_value(v)), "%s: exact answer '%s' not on %s", file,
                      json_string_value(v), page);
        } else if (!strcmp(key, "must_include")) {
            size_t i;
            json_t *m;
            CHECK_MSG(json_array_size(v) > 0, "%s: empty must_include", file);
            json_array_foreach(v, i, m) CHECK_MSG(json_is_string(m) && strcasestr(text, json_string_value(m)),
                                                  "%s: answer part '%s' not on %s", file, json_string_value(m), page);
        } else {
            CHECK_MSG(!strcmp(key, "fuzzy_match"), "%s: unknown reference kind %s", file, key);
        }
    }
    CHECK_MSG(kinds >= 1, "%s: no reference answer", file);
    free(text);
    tu_reply_free(&r);
}

/* intent == intent_template with every {{key}} replaced by its value. */
static void check_intent(json_t *t, const char *file)
{
    const char *tpl = json_string_value(json_object_get(t, "intent_template"));
    const char *intent = json_string_value(json_object_get(t, "intent"));
    json_t *inst = json_object_get(t, "instantiation_dict");
    CHECK_MSG(tpl && intent && *intent && json_is_object(inst), "%s: intent, intent_template, instantiation_dict", file);
    if (!tpl || !intent || !json_is_object(inst)) return;
    char out[2048] = "";
    size_t o = 0;
    for (const char *p = tpl; *p && o < sizeof out - 256;) {
        const char *e;
        if (p[0] == '{' && p[1] == '{' && (e = strstr(p, "}}"))) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(e - p - 2), p + 2);
            json_t *v = json_object_get(inst, key);
            CHECK_MSG(v != NULL, "%s: template key %s not in instantiation_dict", file, key);
            if (json_is_string(v)) o += (size_t)snprintf(out + o, sizeof out - o, "%s", json_string_value(v));
            else if (json_is_integer(v)) o += (size_t)snprintf(out + o, sizeof out - o, "%lld", (long long)json_integer_value(v));
            p = e + 2;
        } else {
            out[o++] = *p++;
            out[o] = '\0';
        }
    }
    CHECK_MSG(!strcmp(out, intent), "%s: intent '%s' is not its template filled in ('%s')", file, intent, out);
}

static int seen_ids[1024], nseen;

static void check_task(jr_sites *s, const char *dir, const char *name, int counts[3])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t je;
    json_t *t = json_load_file(path, 0, &je);
    CHECK_MSG(json_is_object(t), "%s: not a JSON object (%s line %d)", name, je.text, je.line);
    if (!json_is_object(t)) return;
    json_t *sites = json_object_get(t, "sites");
    CHECK_MSG(json_array_size(sites) >= 1, "%s: no sites", name);
    size_t i;
    json_t *sv;
    const char *first = NULL;
    json_array_foreach(sites, i, sv) {
        int known = -1;
        for (int k = 0; k < 3; k++)
            if (json_is_string(sv) && !strcmp(json_string_value(sv), known_sites[k])) known = k;
        CHECK_MSG(known >= 0, "%s: unknown site %s", name, json_string_value(sv));
        if (known >= 0 && !first) first = known_sites[known], counts[known]++;
    }
    json_t *id = json_object_get(t, "task_id");
    CHECK_MSG(json_is_integer(id), "%s: task_id", name);
    for (int k = 0; k < nseen; k++) CHECK_MSG(seen_ids[k] != json_integer_value(id), "%s: task_id %lld twice", name, (long long)json_integer_value(id));
    if (nseen < 1024) seen_ids[nseen++] = (int)json_integer_value(id);
    CHECK_MSG(json_is_boolean(json_object_get(t, "require_login")) && json_is_boolean(json_object_get(t, "require_reset")),
              "%s: require_login, require_reset", name);
    CHECK_MSG(json_object_get(t, "storage_state") && json_object_get(t, "geolocation") &&
              json_is_integer(json_object_get(t, "intent_template_id")), "%s: storage_state, geolocation, intent_template_id", name);
    const char *start = json_string_value(json_object_get(t, "start_url"));
    const char *ph = first ? jr_sites_placeholder(first) : NULL;
    CHECK_MSG(start && ph && !strncmp(start, ph, strlen(ph)), "%s: start_url '%s' is not on %s", name, start, ph);
    if (start) {
        tu_reply r;
        CHECK_MSG(fetch(s, start, &r) == 200, "%s: start_url does not answer 200", name);
        tu_reply_free(&r);
    }
    check_intent(t, name);
    json_t *ev = json_object_get(t, "eval");
    json_t *types = json_object_get(ev, "eval_types");
    CHECK_MSG(json_array_size(types) >= 1, "%s: eval.eval_types", name);
    json_array_foreach(types, i, sv) {
        const char *ty = json_string_value(sv);
        if (ty && !strcmp(ty, "string_match")) check_answer(s, ev, name);
        else if (ty && !strcmp(ty, "url_match")) {
            const char *ref = json_string_value(json_object_get(ev, "reference_url"));
            tu_reply r;
            CHECK_MSG(ref && !strncmp(ref, ph ? ph : "", ph ? strlen(ph) : 0), "%s: reference_url", name);
            jr_sites_reset(s);
            CHECK_MSG(ref && fetch(s, ref, &r) == 200, "%s: reference_url %s does not answer 200", name, ref);
            if (ref) tu_reply_free(&r);
        } else if (ty && !strcmp(ty, "program_html")) check_end_state(s, t, name, (int)json_integer_value(id));
        else CHECK_MSG(0, "%s: unknown eval type %s", name, ty);
    }
    json_decref(t);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_dir(jr_sites *s, const char *dir, int counts[3])
{
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s", dir);
    if (!d) return 0;
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    for (int i = 0; i < n; i++) {
        check_task(s, dir, names[i], counts);
        free(names[i]);
    }
    return n;
}

int main(void)
{
    const char *root = getenv("JITRL_ROOT");
    char dir[1024], wa[1100];
    snprintf(dir, sizeof dir, "%s/tasks/web", root ? root : ".");
    snprintf(wa, sizeof wa, "%s/webarena_style", dir);
    char err[256];
    jr_sites *s = NULL;
    CHECK_INT(jr_sites_open(&s, NULL, err, sizeof err), JITRL_OK);
    if (!s) return tu_done();
    int counts[3] = {0, 0, 0}, wcounts[3] = {0, 0, 0};
    int n = check_dir(s, dir, counts);
    int nw = check_dir(s, wa, wcounts);
    printf("FIGURE web_tasks %d (shopping %d, reddit %d, shopping_admin %d); webarena-format copies %d\n", n, counts[0],
           counts[1], counts[2], nw);
    CHECK(n >= 40);
    CHECK(counts[0] >= 10 && counts[1] >= 10 && counts[2] >= 10);
    CHECK(nw >= 1);
    /* a broken check is caught: the emulation is not vacuous */
    json_t *c = json_pack("{s:s, s:{s:s}}", "locator", "document.querySelector('#product-price').value", "required_contents",
                          "exact_match", "24.99");
    const char *page = "<input type=\"text\" id=\"product-price\" name=\"price\" value=\"29.99\">";
    CHECK(!check_holds(page, c));
    json_decref(c);
    jr_sites_close(s);
    return tu_done();
}
