/*
 * html.c -- the HTML every site page is built with: escaping, money, the
 * page frame with its embedded stylesheet, error pages and redirects.
 *
 * Pages are plain server-rendered HTML with forms (no script needed to use
 * them), so the accessibility tree a browser builds is the page itself and
 * an end-state check can read a stable id.  Every piece of data a page
 * shows goes through jr_html_esc; only our own constant markup does not.
 */
#include "env/web/sites/sites_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char css[] =
    "body{font-family:sans-serif;margin:0;background:#f6f6f4;color:#222}"
    "header{background:#2d3e50;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}"
    "header a{color:#fff}header .brand{font-weight:bold;font-size:1.2em;text-decoration:none}"
    "main{max-width:960px;margin:1em auto;background:#fff;padding:1em 1.5em;border-radius:6px}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left}"
    ".price{font-weight:bold;color:#b12704}.muted{color:#666}.msg{background:#e7f6e7;padding:.5em;border-radius:4px}"
    ".error{background:#fbe4e4;padding:.5em;border-radius:4px}"
    "form.inline{display:inline}label{display:block;margin:.4em 0}input,select,textarea{font-size:1em}"
    ".score{font-weight:bold;margin:0 .3em}.voted{color:#c60}.comment{border-left:3px solid #ddd;padding-left:.6em;margin:.6em 0}";

int jr_html_esc(jr_buf *b, const char *s)
{
    if (!s) return 0;
    const char *run = s;
    for (const char *p = s;; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\0': return jr_buf_append(b, run, (size_t)(p - run));
        default: continue;
        }
        int rc = jr_buf_append(b, run, (size_t)(p - run));
        if (!rc) rc = jr_buf_puts(b, rep);
        if (rc) return rc;
        run = p + 1;
    }
}

void jr_cents_str(long cents, char out[32])
{
    assert(cents >= 0);
    snprintf(out, 32, "%ld.%02ld", cents / 100, cents % 100);
}

int jr_html_money(jr_buf *b, long cents)
{
    assert(cents >= 0);
    long d = cents / 100;
    if (d >= 1000000) return jr_buf_printf(b, "$%ld,%03ld,%03ld.%02ld", d / 1000000, d / 1000 % 1000, d % 1000, cents % 100);
    if (d >= 1000) return jr_buf_printf(b, "$%ld,%03ld.%02ld", d / 1000, d % 1000, cents % 100);
    return jr_buf_printf(b, "$%ld.%02ld", d, cents % 100);
}

int jr_html_begin(jr_buf *b, const char *site, const char *title, const char *const *nav)
{
    int rc = jr_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                            "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    if (!rc) rc = jr_html_esc(b, title);
    if (!rc) rc = jr_buf_puts(b, " | ");
    if (!rc) rc = jr_html_esc(b, site);
    if (!rc) rc = jr_buf_printf(b, "</title><style>%s</style></head><body><header><a class=\"brand\" href=\"/\">", css);
    if (!rc) rc = jr_html_esc(b, site);
    if (!rc) rc = jr_buf_puts(b, "</a><nav>");
    for (size_t i = 0; nav && nav[i] && !rc; i += 2) {
        rc = jr_buf_puts(b, " <a href=\"");
        if (!rc) rc = jr_html_esc(b, nav[i]);
        if (!rc) rc = jr_buf_puts(b, "\">");
        if (!rc) rc = jr_buf_puts(b, nav[i + 1]);  /* labels may carry our own markup */
        if (!rc) rc = jr_buf_puts(b, "</a>");
    }
    if (!rc) rc = jr_buf_puts(b, "</nav></header><main>\n");
    return rc;
}

int jr_html_end(jr_buf *b)
{
    return jr_buf_puts(b, "\n</main></body></html>\n");
}

void jr_html_error(jr_resp *r, int status, const char *site, const char *msg)
{
    jr_buf_reset(&r->body);
    r->status = status;
    r->location[0] = '\0';
    const char *title = status == 404 ? "Not found" : status == 405 ? "Method not allowed"
                        : status == 413 ? "Request too large" : "Bad request";
    jr_html_begin(&r->body, site, title, NULL);
    jr_buf_printf(&r->body, "<h1>%s</h1><p class=\"error\" id=\"error\">", title);
    jr_html_esc(&r->body, msg);
    jr_buf_puts(&r->body, "</p><p><a href=\"/\">Home</a></p>");
    jr_html_end(&r->body);
}

void jr_redirect(jr_resp *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->location, sizeof r->location, fmt, ap);
    va_end(ap);
    assert(n > 0 && (size_t)n < sizeof r->location);
    (void)n;
    r->status = 303;
    jr_buf_reset(&r->body);
}

int jr_icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) return 1;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i]) {
            char a = hay[i], c = needle[i];
            if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (a != c) break;
            i++;
        }
        if (i == n) return 1;
    }
    return 0;
}
