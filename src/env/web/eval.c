/*
 * eval.c -- WebArena's evaluators (evaluation_harness/evaluators.py), as
 * functions of the answer, the final URL and a callback that reads the
 * page, so tests run them as data (tests/web_eval_cases.json) without a
 * browser.  The rules, as WebArena states them:
 *
 *  - answers are cleaned: trimmed, one pair of outer quotes dropped,
 *    lower-cased; exact_match compares the cleaned strings; must_include
 *    asks each reference to be a substring of the answer, except that a
 *    lone one-character reference must be a whole token (so "0" does not
 *    match "10"); fuzzy_match asks a model judge (web_judge; without
 *    one the task is refused: "needs --llm"), and an "N/A" reference that
 *    is not answered exactly makes the score the judge's verdict on
 *    whether the answer says the task cannot be done (string_note);
 *  - url_match ("GOLD in PRED"): trailing '/' dropped; some reference's
 *    host+path is a substring of the page's host+path, and for each query
 *    key of the references one of its values is among the page's values;
 *    alternatives are split by " |OR| ";
 *  - program_html: for each target, the page (url "last" or one to open),
 *    a locator ("" = the HTML, or a document.* expression; a throwing one
 *    reads as ""), HTML entities unescaped, then exact_match or
 *    must_include (each item's " |OR| " alternatives, any one suffices);
 *  - the task's score is the product over its eval_types.
 */
#include "env/web/web_int.h"

#include "base/alloc.h"
#include "jitrl/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *web_clean_answer(const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= 2 && ((s[0] == '\'' && s[n - 1] == '\'') || (s[0] == '"' && s[n - 1] == '"'))) s++, n -= 2;
    char *o = jr_strndup(s, n);
    if (o)
        for (char *c = o; *c; c++) *c = (char)tolower((unsigned char)*c);
    return o;
}

double web_exact_match(const char *ref, const char *pred)
{
    char *a = web_clean_answer(ref), *b = web_clean_answer(pred);
    double r = a && b && !strcmp(a, b) ? 1.0 : 0.0;
    jr_free(a);
    jr_free(b);
    return r;
}

/* Is c (one character) a whole token of s?  Tokens: runs of letters and
 * digits, and each other non-space character on its own (what nltk's
 * word_tokenize gives for such a reference). */
static int whole_token(char c, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p != c) continue;
        int alnum = isalnum((unsigned char)c);
        if (!alnum) return 1;
        int before = p > s && isalnum((unsigned char)p[-1]);
        int after = isalnum((unsigned char)p[1]) != 0;
        if (!before && !after) return 1;
    }
    return 0;
}

double web_must_include(const char *ref, const char *pred, int tokenize)
{
    char *a = web_clean_answer(ref), *b = web_clean_answer(pred);
    double r = 0;
    if (a && b) {
        if (tokenize && strlen(a) == 1) r = whole_token(a[0], b);
        else r = strstr(b, a) != NULL;
    }
    jr_free(a);
    jr_free(b);
    return r;
}

int web_string_match(json_t *refs, const char *answer, const web_judge *judge, double *score, char *err,
                     size_t errlen)
{
    *score = 0;
    if (!json_is_object(refs)) {
        snprintf(err, errlen, "string_match: eval.reference_answers is not an object");
        return JITRL_ECORRUPT;
    }
    double s = 1, j = 0;
    int rc;
    const char *key;
    json_t *v;
    json_object_foreach(refs, key, v) {
        if (!strcmp(key, "exact_match")) {
            if (!json_is_string(v)) goto bad;
            s *= web_exact_match(json_string_value(v), answer);
        } else if (!strcmp(key, "must_include")) {
            if (!json_is_array(v)) goto bad;
            size_t n = json_array_size(v);
            for (size_t i = 0; i < n; i++) {
                json_t *x = json_array_get(v, i);
                if (!json_is_string(x)) goto bad;
                s *= web_must_include(json_string_value(x), answer, n == 1);
            }
        } else if (!strcmp(key, "fuzzy_match")) {
            int na = json_is_string(v) && !strcmp(json_string_value(v), "N/A");
            if (!na && !json_is_array(v)) goto bad;
            /* "N/A" answered exactly needs no model */
            if (na && web_exact_match("N/A", answer) == 1.0) continue;
            if (!judge || !judge->fn) {
                snprintf(err, errlen, "string_match: fuzzy_match needs a model to judge (needs --llm)");
                return JITRL_EUNSUPPORTED;
            }
            if (na) {
                /* WebArena: the score is then the judge's alone */
                if ((rc = judge->fn(judge->ctx, judge->intent, judge->string_note ? judge->string_note : "", answer, 1,
                                    &j, err, errlen)))
                    return rc;
                s = j;
                continue;
            }
            for (size_t i = 0; i < json_array_size(v); i++) {
                const char *ref = json_string_value(json_array_get(v, i));
                if (!ref) goto bad;
                if ((rc = judge->fn(judge->ctx, judge->intent, ref, answer, 0, &j, err, errlen))) return rc;
                s *= j;
            }
        } else {
            snprintf(err, errlen, "string_match: unknown reference_answers key '%.40s'", key);
            return JITRL_EUNSUPPORTED;
        }
    }
    *score = s;
    return JITRL_OK;
bad:
    snprintf(err, errlen, "string_match: reference_answers.%s has the wrong type", key);
    return JITRL_ECORRUPT;
}

/* ---- url_match ---- */

typedef struct url_parts {
    char *base;        /* host + path */
    char **k, **v;     /* query pairs, percent-decoded */
    size_t n;
} url_parts;

static void parts_free(url_parts *u)
{
    jr_free(u->base);
    for (size_t i = 0; i < u->n; i++) jr_free(u->k[i]), jr_free(u->v[i]);
    jr_free(u->k);
    jr_free(u->v);
    memset(u, 0, sizeof *u);
}

static char *pct_decode(const char *s, size_t n)
{
    char *o = jr_malloc(n + 1), *w = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') *w++ = ' ';
        else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            *w++ = (char)strtol(h, NULL, 16);
            i += 2;
        } else {
            *w++ = s[i];
        }
    }
    *w = '\0';
    return o;
}

/* urllib.parse's split, as far as url_match uses it: netloc + path, the
 * query's key=value pairs (blank values dropped, as parse_qs does). */
static int parse_url(const char *url, url_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    if (!strstr(url, "://") && !strncmp(url, "//", 2)) p = url + 2;
    size_t bl = strcspn(p, "?#");
    u->base = jr_strndup(p, bl);
    if (!u->base) return JITRL_ENOMEM;
    if (p[bl] != '?') return JITRL_OK;
    const char *q = p + bl + 1;
    size_t ql = strcspn(q, "#");
    const char *end = q + ql;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(pe - q));
        if (eq && eq + 1 < pe && u->n < 64) {
            char **nk = jr_realloc(u->k, (u->n + 1) * sizeof *nk);
            if (!nk) return JITRL_ENOMEM;
            u->k = nk;
            char **nv = jr_realloc(u->v, (u->n + 1) * sizeof *nv);
            if (!nv) return JITRL_ENOMEM;
            u->v = nv;
            u->k[u->n] = pct_decode(q, (size_t)(eq - q));
            u->v[u->n] = pct_decode(eq + 1, (size_t)(pe - eq - 1));
            u->n++;
            if (!u->k[u->n - 1] || !u->v[u->n - 1]) return JITRL_ENOMEM;
        }
        q = pe + 1;
    }
    return JITRL_OK;
}

static char *rstrip_slash(const char *s, size_t n)
{
    while (n && isspace((unsigned char)s[n - 1])) n--;
    while (n && s[n - 1] == '/') n--;
    return jr_strndup(s, n);
}

int web_url_match(const char *reference, const char *note, const char *pred, double *score, char *err,
                  size_t errlen)
{
    *score = 0;
    if (note && note[0] && strcmp(note, "GOLD in PRED")) {
        snprintf(err, errlen, "url_match: unknown url_note '%.60s' (only \"GOLD in PRED\")", note);
        return JITRL_EUNSUPPORTED;
    }
    int rc = JITRL_OK;
    char *pc = rstrip_slash(pred, strlen(pred));
    url_parts pu, ru;
    memset(&pu, 0, sizeof pu);
    memset(&ru, 0, sizeof ru);
    if (!pc || (rc = parse_url(pc, &pu))) goto out;
    /* the references' query values, by key, over all alternatives */
    double base = 0, query = 1;
    const char *p = reference;
    url_parts all[16];
    size_t na = 0;
    while (*p && na < 16) {
        const char *sep = strstr(p, " |OR| ");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        char *r = rstrip_slash(p, n);
        if (!r) { rc = JITRL_ENOMEM; break; }
        rc = parse_url(r, &all[na]);
        jr_free(r);
        na++;
        if (rc) break;
        if (strstr(pu.base, all[na - 1].base)) base = 1;
        p = sep ? sep + 6 : p + n;
    }
    for (size_t i = 0; !rc && i < na; i++)
        for (size_t j = 0; j < all[i].n; j++) {
            const char *key = all[i].k[j];
            /* this key's values in every reference; one must be in pred */
            int seen_before = 0;
            for (size_t i2 = 0; i2 <= i && !seen_before; i2++)
                for (size_t j2 = 0; j2 < (i2 == i ? j : all[i2].n); j2++)
                    if (!strcmp(all[i2].k[j2], key)) { seen_before = 1; break; }
            if (seen_before) continue;
            int hit = 0;
            for (size_t i2 = 0; i2 < na && !hit; i2++)
                for (size_t j2 = 0; j2 < all[i2].n && !hit; j2++) {
                    if (strcmp(all[i2].k[j2], key)) continue;
                    for (size_t m = 0; m < pu.n; m++)
                        if (!strcmp(pu.k[m], key) && !strcmp(pu.v[m], all[i2].v[j2])) hit = 1;
                }
            if (!hit) query = 0;
        }
    for (size_t i = 0; i < na; i++) parts_free(&all[i]);
    if (!rc) *score = base * query;
out:
    if (!pc) rc = JITRL_ENOMEM;
    jr_free(pc);
    parts_free(&pu);
    parts_free(&ru);
    return rc;
}

/* ---- program_html ---- */

/* html.unescape for the entities pages use: &amp; &lt; &gt; &quot; &#39;
 * &apos; &nbsp; and numeric ones (ASCII range kept, others as UTF-8). */
static char *html_unescape(const char *s)
{
    jr_buf b;
    jr_buf_init(&b, strlen(s) + 16);
    static const struct { const char *e; const char *r; } ents[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&#39;", "'"},
        {"&nbsp;", "\xc2\xa0"},
    };
    int rc = 0;
    for (const char *p = s; *p && !rc;) {
        if (*p == '&') {
            size_t i;
            for (i = 0; i < sizeof ents / sizeof ents[0]; i++)
                if (!strncmp(p, ents[i].e, strlen(ents[i].e))) break;
            if (i < sizeof ents / sizeof ents[0]) {
                rc = jr_buf_puts(&b, ents[i].r);
                p += strlen(ents[i].e);
                continue;
            }
            if (p[1] == '#') {
                char *end;
                long cp = p[2] == 'x' || p[2] == 'X' ? strtol(p + 3, &end, 16) : strtol(p + 2, &end, 10);
                if (*end == ';' && cp > 0 && cp < 0x110000 && end > p + 2) {
                    char u[5] = {0};
                    if (cp < 0x80) u[0] = (char)cp;
                    else if (cp < 0x800) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63));
                    else if (cp < 0x10000)
                        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63)),
                        u[2] = (char)(0x80 | (cp & 63));
                    else
                        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63)),
                        u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63));
                    rc = jr_buf_puts(&b, u);
                    p = end + 1;
                    continue;
                }
            }
        }
        rc = jr_buf_putc(&b, *p++);
    }
    char *o = rc ? NULL : jr_strdup(jr_buf_str(&b));
    jr_buf_free(&b);
    return o;
}

/* WebArena runs "" and document.* locators; ours may be any JS expression
 * (tasks/web guards with `(document.querySelector(...) || {}).value`).
 * Only WebArena's Python helpers ("func:...") cannot run here. */
static int locator_ok(const char *loc)
{
    while (isspace((unsigned char)*loc)) loc++;
    return strncmp(loc, "func:", 5) != 0;
}

int web_program_html(json_t *targets, const web_sites *sites, web_locate_fn fn, void *ctx, double *score,
                     char *err, size_t errlen)
{
    *score = 0;
    if (!json_is_array(targets)) {
        snprintf(err, errlen, "program_html: eval.program_html is not an array");
        return JITRL_ECORRUPT;
    }
    double s = 1;
    int rc = JITRL_OK;
    for (size_t i = 0; !rc && i < json_array_size(targets); i++) {
        json_t *t = json_array_get(targets, i);
        json_t *ju = json_object_get(t, "url"), *jl = json_object_get(t, "locator");
        json_t *req = json_object_get(t, "required_contents");
        if (!json_is_string(ju) || !json_is_string(jl) || !json_is_object(req)) {
            snprintf(err, errlen, "program_html[%zu]: needs url, locator and required_contents", i);
            return JITRL_ECORRUPT;
        }
        const char *url = json_string_value(ju), *loc = json_string_value(jl);
        if (!strncmp(url, "func:", 5) || !locator_ok(loc)) {
            snprintf(err, errlen, "program_html[%zu]: helper functions (func:) are WebArena's Python; not supported",
                     i);
            return JITRL_EUNSUPPORTED;
        }
        char *mapped = NULL, *text = NULL, *clean = NULL;
        if (strcmp(url, "last") && (rc = web_sites_map(sites, url, &mapped, err, errlen))) return rc;
        rc = fn(ctx, mapped ? mapped : "last", loc, json_object_get(t, "prep_actions"), &text, err, errlen);
        jr_free(mapped);
        if (rc) return rc;
        clean = html_unescape(text ? text : "");
        jr_free(text);
        if (!clean) return JITRL_ENOMEM;
        json_t *em = json_object_get(req, "exact_match"), *mi = json_object_get(req, "must_include");
        if (json_is_string(em)) {
            s *= web_exact_match(json_string_value(em), clean);
        } else if (json_is_array(mi)) {
            for (size_t k = 0; k < json_array_size(mi); k++) {
                const char *c = json_string_value(json_array_get(mi, k));
                if (!c) continue;
                int any = 0;
                for (const char *p = c; *p && !any;) {
                    const char *sep = strstr(p, " |OR| ");
                    size_t n = sep ? (size_t)(sep - p) : strlen(p);
                    char *alt = jr_strndup(p, n);
                    if (!alt) { rc = JITRL_ENOMEM; break; }
                    any = web_must_include(alt, clean, 0) > 0;
                    jr_free(alt);
                    p = sep ? sep + 6 : p + n;
                }
                if (!any) s = 0;
            }
        } else {
            snprintf(err, errlen, "program_html[%zu]: required_contents needs exact_match or must_include", i);
            rc = JITRL_ECORRUPT;
        }
        jr_free(clean);
    }
    if (!rc) *score = s;
    return rc;
}

static int has_type(json_t *eval, const char *name)
{
    json_t *types = json_object_get(eval, "eval_types");
    for (size_t i = 0; i < json_array_size(types); i++) {
        const char *t = json_string_value(json_array_get(types, i));
        if (t && !strcmp(t, name)) return 1;
    }
    return 0;
}

int web_eval_wants_answer(json_t *eval) { return has_type(eval, "string_match"); }

int web_eval_cheap(json_t *eval)
{
    if (has_type(eval, "string_match")) return 0;
    if (has_type(eval, "program_html")) {
        json_t *t = json_object_get(eval, "program_html");
        for (size_t i = 0; i < json_array_size(t); i++) {
            const char *u = json_string_value(json_object_get(json_array_get(t, i), "url"));
            if (!u || strcmp(u, "last")) return 0;
        }
    }
    return 1;
}

int web_eval_supported(json_t *eval, int have_judge, char *err, size_t errlen)
{
    json_t *types = json_object_get(eval, "eval_types");
    for (size_t i = 0; i < json_array_size(types); i++) {
        const char *t = json_string_value(json_array_get(types, i));
        if (!t || (strcmp(t, "string_match") && strcmp(t, "url_match") && strcmp(t, "program_html"))) {
            snprintf(err, errlen, "eval_type '%.40s' is not supported (string_match, url_match, program_html)",
                     t ? t : "?");
            return JITRL_EUNSUPPORTED;
        }
    }
    if (has_type(eval, "string_match")) {
        json_t *r = json_object_get(eval, "reference_answers");
        json_t *fz = json_object_get(r, "fuzzy_match");
        if (fz && !have_judge && !(json_is_string(fz) && !strcmp(json_string_value(fz), "N/A"))) {
            snprintf(err, errlen, "string_match with fuzzy_match needs a model to judge (needs --llm)");
            return JITRL_EUNSUPPORTED;
        }
    }
    if (has_type(eval, "program_html")) {
        json_t *t = json_object_get(eval, "program_html");
        for (size_t i = 0; i < json_array_size(t); i++) {
            json_t *x = json_array_get(t, i);
            const char *u = json_string_value(json_object_get(x, "url"));
            const char *l = json_string_value(json_object_get(x, "locator"));
            if ((u && !strncmp(u, "func:", 5)) || (l && !locator_ok(l))) {
                snprintf(err, errlen, "program_html[%zu]: helper functions (func:) are WebArena's Python; not "
                         "supported", i);
                return JITRL_EUNSUPPORTED;
            }
        }
    }
    return JITRL_OK;
}

int web_eval_task(json_t *eval, const web_sites *sites, const char *answer, const char *url, web_locate_fn fn,
                  void *ctx, const web_judge *judge, double *score, char *err, size_t errlen)
{
    *score = 0;
    double s = 1, part = 0;
    int rc = JITRL_OK;
    if (has_type(eval, "string_match")) {
        if (!answer) part = 0;
        else if ((rc = web_string_match(json_object_get(eval, "reference_answers"), answer, judge, &part, err,
                                        errlen)))
            return rc;
        s *= part;
    }
    if (has_type(eval, "url_match")) {
        const char *ref = json_string_value(json_object_get(eval, "reference_url"));
        char *mapped = NULL;
        if (!ref) {
            snprintf(err, errlen, "url_match: eval.reference_url is missing");
            return JITRL_ECORRUPT;
        }
        if ((rc = web_sites_map(sites, ref, &mapped, err, errlen))) return rc;
        rc = web_url_match(mapped, json_string_value(json_object_get(eval, "url_note")), url, &part, err, errlen);
        jr_free(mapped);
        if (rc) return rc;
        s *= part;
    }
    if (has_type(eval, "program_html") && s > 0) {
        if ((rc = web_program_html(json_object_get(eval, "program_html"), sites, fn, ctx, &part, err, errlen)))
            return rc;
        s *= part;
    }
    *score = s;
    return JITRL_OK;
}
