/*
 * action.c -- the web kind's action language: BrowserGym's function-call
 * strings (click('12'), fill('3', 'blue mug'), select_option, press,
 * scroll, goto, go_back) plus stop('answer'), parsed from outside input
 * (a model's proposal, a user's file) and formatted for candidates.
 *
 * The parser accepts what models write: single or double quotes with
 * Python's backslash escapes, a bare bid (click(12)), spaces anywhere
 * between tokens, send_msg_to_user(...) as stop(...).  Anything else is a
 * clear error, never a guess; it is fuzzed (tests/fuzz/fuzz_web_action.c).
 * format() escapes so that parse(format(a)) gives a back.
 */
#include "env/web/web_int.h"

#include "base/alloc.h"
#include "jitrl/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const act_names[] = {"click", "fill", "select_option", "press", "scroll",
                                        "goto", "go_back", "stop", "noop"};
/* arguments each kind takes: bid + text, numbers, ... */
static const int act_args[] = {1, 2, 2, 2, 2, 1, 0, -1, 0};   /* -1: zero or one */

const char *web_act_name(web_act_kind k)
{
    return (unsigned)k < sizeof act_names / sizeof act_names[0] ? act_names[k] : "?";
}

void web_action_free(web_action *a)
{
    if (!a) return;
    jr_free(a->text);
    a->text = NULL;
}

typedef struct arg {
    char *s;      /* jr_malloc'd, unescaped */
    int quoted;
} arg;

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r') (*p)++;
}

/* A string literal at *p (quote ' or "), unescaped into *out. */
static int read_string(const char **p, char **out, char *err, size_t errlen)
{
    char q = **p;
    const char *s = *p + 1;
    size_t cap = strlen(s) + 1;
    char *o = jr_malloc(cap), *w = o;
    if (!o) return JITRL_ENOMEM;
    for (;;) {
        char c = *s;
        if (!c) {
            jr_free(o);
            snprintf(err, errlen, "unterminated string (missing %c)", q);
            return JITRL_EINVAL;
        }
        s++;
        if (c == q) break;
        if (c == '\\' && *s) {
            char e = *s++;
            switch (e) {
            case 'n': *w++ = '\n'; break;
            case 't': *w++ = '\t'; break;
            case 'r': *w++ = '\r'; break;
            case '\\': case '\'': case '"': *w++ = e; break;
            default: *w++ = '\\'; *w++ = e; break;
            }
            continue;
        }
        *w++ = c;
    }
    *w = '\0';
    *p = s;
    *out = o;
    return JITRL_OK;
}

/* A bare argument: up to ',' or ')', trimmed. */
static int read_bare(const char **p, char **out, char *err, size_t errlen)
{
    const char *s = *p, *e = s;
    while (*e && *e != ',' && *e != ')' && *e != '\'' && *e != '"' && *e != '(') e++;
    const char *t = e;
    while (t > s && (t[-1] == ' ' || t[-1] == '\t')) t--;
    if (t == s) {
        snprintf(err, errlen, "empty argument");
        return JITRL_EINVAL;
    }
    *out = jr_strndup(s, (size_t)(t - s));
    if (!*out) return JITRL_ENOMEM;
    *p = e;
    return JITRL_OK;
}

static int valid_bid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 32) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') return 0;
    return 1;
}

static int read_long(const char *s, long *v)
{
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || !(d > -1e7 && d < 1e7)) return -1;
    *v = (long)d;
    return 0;
}

int web_action_parse(const char *s, web_action *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (err && errlen) err[0] = '\0';
    if (!s) return JITRL_EINVAL;
    if (strlen(s) > WEB_ACTION_MAX) {
        snprintf(err, errlen, "action longer than %d bytes", WEB_ACTION_MAX);
        return JITRL_EINVAL;
    }
    const char *p = s;
    skip_ws(&p);
    const char *n0 = p;
    while (isalpha((unsigned char)*p) || *p == '_') p++;
    size_t nl = (size_t)(p - n0);
    int kind = -1;
    for (size_t k = 0; k < sizeof act_names / sizeof act_names[0]; k++)
        if (strlen(act_names[k]) == nl && !strncmp(n0, act_names[k], nl)) kind = (int)k;
    if (kind < 0 && nl == 16 && !strncmp(n0, "send_msg_to_user", 16)) kind = WA_STOP;
    if (kind < 0) {
        snprintf(err, errlen, "unknown action '%.*s' (click, fill, select_option, press, scroll, goto, go_back, "
                 "stop, noop)", (int)(nl > 40 ? 40 : nl), n0);
        return JITRL_EINVAL;
    }
    skip_ws(&p);
    if (*p != '(') {
        snprintf(err, errlen, "%s: expected '(' after the name", act_names[kind]);
        return JITRL_EINVAL;
    }
    p++;
    arg args[3];
    int na = 0, rc = JITRL_OK;
    memset(args, 0, sizeof args);
    skip_ws(&p);
    if (*p != ')') {
        for (;;) {
            if (na == 3) {
                snprintf(err, errlen, "%s: too many arguments", act_names[kind]);
                rc = JITRL_EINVAL;
                goto out;
            }
            skip_ws(&p);
            if (*p == '\'' || *p == '"') {
                args[na].quoted = 1;
                rc = read_string(&p, &args[na].s, err, errlen);
            } else {
                rc = read_bare(&p, &args[na].s, err, errlen);
            }
            if (rc) goto out;
            na++;
            skip_ws(&p);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == ')') break;
            snprintf(err, errlen, "%s: expected ',' or ')' after argument %d", act_names[kind], na);
            rc = JITRL_EINVAL;
            goto out;
        }
    }
    p++;
    skip_ws(&p);
    if (*p == ';') p++, skip_ws(&p);
    if (*p) {
        snprintf(err, errlen, "%s: unexpected text after ')'", act_names[kind]);
        rc = JITRL_EINVAL;
        goto out;
    }
    int want = act_args[kind];
    if (want >= 0 ? na != want : na > 1) {
        snprintf(err, errlen, "%s takes %s, got %d", act_names[kind],
                 kind == WA_STOP ? "at most one argument" : want == 0 ? "no arguments"
                 : want == 1 ? "one argument" : "two arguments", na);
        rc = JITRL_EINVAL;
        goto out;
    }
    a->kind = (web_act_kind)kind;
    switch (a->kind) {
    case WA_CLICK: case WA_FILL: case WA_SELECT: case WA_PRESS:
        if (!valid_bid(args[0].s)) {
            snprintf(err, errlen, "%s: '%.40s' is not an element id (letters, digits, '-', '_')", act_names[kind],
                     args[0].s);
            rc = JITRL_EINVAL;
            goto out;
        }
        snprintf(a->bid, sizeof a->bid, "%s", args[0].s);
        if (a->kind != WA_CLICK) a->text = args[1].s, args[1].s = NULL;
        if (a->kind == WA_PRESS) {
            char keys[64];
            if (web_key_string(a->text, keys, sizeof keys)) {
                snprintf(err, errlen, "press: unknown key '%.40s' (e.g. Enter, Tab, Escape, ArrowDown, Control+a)",
                         a->text);
                rc = JITRL_EINVAL;
                goto out;
            }
        }
        break;
    case WA_SCROLL:
        if (read_long(args[0].s, &a->dx) || read_long(args[1].s, &a->dy)) {
            snprintf(err, errlen, "scroll: dx and dy must be numbers");
            rc = JITRL_EINVAL;
            goto out;
        }
        break;
    case WA_GOTO:
        if (strncmp(args[0].s, "http://", 7) && strncmp(args[0].s, "https://", 8) &&
            strncmp(args[0].s, "about:", 6)) {
            snprintf(err, errlen, "goto: '%.60s' is not an http(s) URL", args[0].s);
            rc = JITRL_EINVAL;
            goto out;
        }
        a->text = args[0].s, args[0].s = NULL;
        break;
    case WA_STOP:
        a->text = na ? args[0].s : jr_strdup("");
        if (na) args[0].s = NULL;
        if (!a->text) rc = JITRL_ENOMEM;
        break;
    default:
        break;
    }
out:
    for (int i = 0; i < 3; i++) jr_free(args[i].s);
    if (rc) web_action_free(a);
    return rc;
}

static int put_str(jr_buf *b, const char *s)
{
    int rc = jr_buf_putc(b, '\'');
    for (; !rc && *s; s++) {
        if (*s == '\\' || *s == '\'') rc = jr_buf_putc(b, '\\');
        if (!rc) rc = *s == '\n' ? jr_buf_puts(b, "\\n") : jr_buf_putc(b, *s);
    }
    return rc ? rc : jr_buf_putc(b, '\'');
}

int web_action_format(jr_buf *b, web_act_kind k, const char *bid, const char *text)
{
    int rc = jr_buf_puts(b, web_act_name(k));
    if (!rc) rc = jr_buf_putc(b, '(');
    if (!rc && bid) rc = put_str(b, bid);
    if (!rc && bid && text) rc = jr_buf_puts(b, ", ");
    if (!rc && text) rc = put_str(b, text);
    return rc ? rc : jr_buf_putc(b, ')');
}

/* ---- keys: the W3C WebDriver code points (WebDriver §17.4.2) ---- */

static const struct { const char *name; unsigned cp; } keys[] = {
    {"Enter", 0xE007}, {"Return", 0xE006}, {"Tab", 0xE004}, {"Escape", 0xE00C}, {"Backspace", 0xE003},
    {"Delete", 0xE017}, {"ArrowUp", 0xE013}, {"ArrowDown", 0xE015}, {"ArrowLeft", 0xE012},
    {"ArrowRight", 0xE014}, {"PageUp", 0xE00E}, {"PageDown", 0xE00F}, {"Home", 0xE011}, {"End", 0xE010},
    {"Space", ' '}, {"Shift", 0xE008}, {"Control", 0xE009}, {"Alt", 0xE00A}, {"Meta", 0xE03D},
    {"ControlOrMeta", 0xE009}, {"Insert", 0xE016}, {"F5", 0xE035},
};

static int put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
    char tmp[4];
    size_t k;
    if (cp < 0x80) tmp[0] = (char)cp, k = 1;
    else if (cp < 0x800) tmp[0] = (char)(0xC0 | cp >> 6), tmp[1] = (char)(0x80 | (cp & 63)), k = 2;
    else tmp[0] = (char)(0xE0 | cp >> 12), tmp[1] = (char)(0x80 | ((cp >> 6) & 63)),
         tmp[2] = (char)(0x80 | (cp & 63)), k = 3;
    if (*n + k + 1 > cap) return -1;
    memcpy(out + *n, tmp, k);
    *n += k;
    out[*n] = '\0';
    return 0;
}

int web_key_string(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    if (!cap) return -1;
    out[0] = '\0';
    const char *p = name;
    int parts = 0;
    while (*p) {
        const char *e = strchr(p, '+');
        if (e == p) e = p + 1;   /* a literal '+' */
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len > 20) return -1;
        unsigned cp = 0;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strlen(keys[i].name) == len && !strncmp(keys[i].name, p, len)) cp = keys[i].cp;
        if (!cp) {
            unsigned char c = (unsigned char)p[0];
            if (len == 1 && c >= 0x20 && c < 0x7f) cp = c;
            else return -1;
        }
        if (put_utf8(out, cap, &n, cp)) return -1;
        if (++parts > 4) return -1;
        p += len;
        if (*p == '+') p++;
    }
    if (!parts) return -1;
    /* release the modifiers (NULL key) */
    if (parts > 1 && put_utf8(out, cap, &n, 0xE000)) return -1;
    return 0;
}

/* ---- the values an intent offers ---- */

static int add_value(json_t *arr, const char *s, size_t n, size_t max)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '.' || s[n - 1] == ',' || s[n - 1] == '?')) n--;
    if (!n || n > 120 || json_array_size(arr) >= max) return 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *v = json_string_value(json_array_get(arr, i));
        if (strlen(v) == n && !strncmp(v, s, n)) return 0;
    }
    json_t *str = json_stringn(s, n);
    return str ? json_array_append_new(arr, str) : -1;
}

json_t *web_intent_values(const char *intent, size_t max)
{
    json_t *arr = json_array();
    if (!arr || !intent) return arr;
    const char *s = intent;
    /* quoted phrases: '...', "...", and the typographic quotes */
    for (const char *p = s; *p; p++) {
        const char *close = NULL;
        size_t ql = 1;
        if (*p == '"') close = "\"";
        else if (*p == '\'' && (p == s || !isalnum((unsigned char)p[-1]))) close = "'";
        else if (!strncmp(p, "\xe2\x80\x9c", 3)) close = "\xe2\x80\x9d", ql = 3;
        if (!close) continue;
        const char *e = strstr(p + ql, close);
        if (!e) break;
        add_value(arr, p + ql, (size_t)(e - p - (ptrdiff_t)ql), max);
        p = e + strlen(close) - 1;
    }
    /* numbers */
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))) continue;
        const char *e = p;
        while (isdigit((unsigned char)*e) || ((*e == '.' || *e == ',') && isdigit((unsigned char)e[1]))) e++;
        add_value(arr, p, (size_t)(e - p), max);
        p = e - 1;
    }
    /* names: runs of capitalised words, not counting the first word */
    const char *p = s;
    while (*p && !isspace((unsigned char)*p)) p++;
    while (*p) {
        while (*p && !isupper((unsigned char)*p)) p++;
        if (!*p) break;
        if (p > s && isalnum((unsigned char)p[-1])) {
            while (*p && !isspace((unsigned char)*p)) p++;
            continue;
        }
        const char *b = p, *e = p;
        for (;;) {
            const char *w = e;
            if (!isupper((unsigned char)*w)) break;
            while (*w && (isalnum((unsigned char)*w) || *w == '-' || *w == '\'')) w++;
            e = w;
            if (*w == ' ' && isupper((unsigned char)w[1])) e = w + 1;
            else break;
        }
        add_value(arr, b, (size_t)(e - b), max);
        p = e > p ? e : p + 1;
    }
    return arr;
}
