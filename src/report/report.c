/*
 * report.c -- the HTML learning-curve report (see report.h).
 *
 * One self-contained page: CSS and SVG inline, no script, no fonts or images
 * fetched, so it opens from a mail attachment or a CI artefact and renders
 * the same in headless Chromium.  The curves are plain SVG paths (a band
 * polygon per agent for the 95% CI, a polyline for the mean) with class and
 * data- attributes a test can find in the DOM.
 */
#include "jitrl/report.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define REPORT_MAX ((size_t)64 << 20)

/* Chart geometry, in SVG user units. */
enum { W = 760, H = 360, ML = 58, MR = 170, MT = 18, MB = 46 };

static const char *const palette[] = {
    "#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
};

static const char *agent_color(const char *agent, size_t index)
{
    if (agent && !strcmp(agent, "static")) return palette[0];
    if (agent && !strcmp(agent, "jitrl")) return palette[1];
    return palette[2 + index % 6];
}

static int put_html(jr_buf *b, const char *s)
{
    int rc = JITRL_OK;
    for (; !rc && s && *s; s++) {
        switch (*s) {
        case '<': rc = jr_buf_puts(b, "&lt;"); break;
        case '>': rc = jr_buf_puts(b, "&gt;"); break;
        case '&': rc = jr_buf_puts(b, "&amp;"); break;
        case '"': rc = jr_buf_puts(b, "&quot;"); break;
        default: rc = jr_buf_putc(b, *s);
        }
    }
    return rc;
}

/* agent names go into attributes: keep only characters that need no escape. */
static const char *attr_safe(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++) {
        char ch = *s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.')
            buf[n++] = ch;
    }
    buf[n] = '\0';
    return buf;
}

/* A "nice" tick step (1, 2, 2.5 or 5 times a power of ten) giving about
 * `want` intervals over [0, span]. */
static double nice_step(double span, int want)
{
    if (span <= 0) return 1.0;
    double raw = span / want, mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return nice * mag;
}

static const char *label_of(const jitrl_summary *s, char *buf, size_t cap)
{
    const char *agent = s->agent ? s->agent : "?";
    if (s->model && *s->model && strcmp(s->model, "none"))
        snprintf(buf, cap, "%s + %s", agent, s->model);
    else
        snprintf(buf, cap, "%s", agent);
    return buf;
}

#define REPORT_MAX_ABS 1e12

typedef struct chart {
    size_t episodes;     /* x axis: 1..episodes */
    double ymin, ymax, ystep;
} chart;

static double px(const chart *c, double episode)
{
    double span = c->episodes > 1 ? (double)(c->episodes - 1) : 1.0;
    return ML + (episode - 1.0) / span * (W - ML - MR);
}

static double py(const chart *c, double y)
{
    return MT + (c->ymax - y) / (c->ymax - c->ymin) * (H - MT - MB);
}

static int put_axes(jr_buf *b, const chart *c, const char *game)
{
    int rc = jr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>\n",
                           ML, MT, W - ML - MR, H - MT - MB);
    /* Counted, not stepped by adding: near DBL_MAX y += ystep stops moving
     * (issue 16); nice_step gives about 6 intervals, so 64 is plenty. */
    for (int k = 0; !rc && k < 64; k++) {
        double y = c->ymin + k * c->ystep;
        if (y > c->ymax + 1e-9 * c->ystep) break;
        rc = jr_buf_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                              "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                           ML, W - MR, py(c, y), py(c, y), ML - 6, py(c, y) + 4, y);
    }
    double xs = nice_step((double)(c->episodes > 1 ? c->episodes - 1 : 1), 8);
    if (xs < 1) xs = 1;
    for (double e = 1; !rc && e <= (double)c->episodes + 1e-9; e = (e == 1 && xs > 1) ? xs : e + xs)
        rc = jr_buf_printf(b, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                           px(c, e), H - MB + 16, e);
    if (!rc)
        rc = jr_buf_printf(b, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">episode</text>\n"
                              "<text class=\"axis\" transform=\"translate(14,%d) rotate(-90)\" "
                              "text-anchor=\"middle\">score (%s)</text>\n",
                           ML + (W - ML - MR) / 2, H - 8, MT + (H - MT - MB) / 2, "mean over runs");
    (void)game;
    return rc;
}

/* The CI band and mean line of one summary on chart c. */
static int put_curve(jr_buf *b, const chart *c, const jitrl_summary *s, size_t index,
                     const double *mean, const double *lo, const double *hi, size_t reached)
{
    char label[160], agent[64];
    const char *color = agent_color(s->agent, index);
    attr_safe(s->agent, agent, sizeof agent);
    int rc = JITRL_OK;
    if (reached > 1) {
        rc = jr_buf_printf(b, "<path class=\"band\" data-agent=\"%s\" fill=\"%s\" d=\"",
                           agent, color);
        for (size_t e = 0; !rc && e < reached; e++)
            rc = jr_buf_printf(b, "%s%.1f,%.1f", e ? " L" : "M", px(c, (double)e + 1),
                               py(c, hi[e]));
        for (size_t e = reached; !rc && e-- > 0;)
            rc = jr_buf_printf(b, " L%.1f,%.1f", px(c, (double)e + 1), py(c, lo[e]));
        if (!rc) rc = jr_buf_puts(b, " Z\"/>\n");
        if (!rc)
            rc = jr_buf_printf(b, "<path class=\"curve\" data-agent=\"%s\" stroke=\"%s\" d=\"",
                               agent, color);
        for (size_t e = 0; !rc && e < reached; e++)
            rc = jr_buf_printf(b, "%s%.1f,%.1f", e ? " L" : "M", px(c, (double)e + 1), py(c, mean[e]));
        if (!rc) rc = jr_buf_puts(b, "\"><title>");
        if (!rc) rc = put_html(b, label_of(s, label, sizeof label));
        if (!rc) rc = jr_buf_printf(b, ": mean of %zu runs</title></path>\n", s->n_runs);
    } else if (reached == 1) {
        rc = jr_buf_printf(b, "<circle class=\"curve\" data-agent=\"%s\" fill=\"%s\" cx=\"%.1f\" "
                              "cy=\"%.1f\" r=\"4\"/>\n",
                           agent, color, px(c, 1), py(c, mean[0]));
    }
    /* Legend entry, right of the plot. */
    double ly = MT + 14 + 22.0 * (double)index;
    if (!rc)
        rc = jr_buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                              "stroke-width=\"3\"/><text class=\"legend\" x=\"%d\" y=\"%.1f\">",
                           W - MR + 12, W - MR + 34, ly, ly, color, W - MR + 40, ly + 4);
    if (!rc) rc = put_html(b, label_of(s, label, sizeof label));
    if (!rc) rc = jr_buf_printf(b, " (%zu run%s)</text>\n", s->n_runs, s->n_runs == 1 ? "" : "s");
    return rc;
}

/* The curve of s with its band clipped to the scores actually observed: with
 * two or three runs the t interval is wide enough to leave the range of
 * possible scores, which says nothing and squashes every other curve. */
static size_t clipped_curve(const jitrl_summary *s, size_t episodes, double *mean, double *ci_lo, double *ci_hi)
{
    size_t reached = jitrl_summary_curve(s, episodes, mean, ci_hi);
    double lo = 0, hi = 0;
    int any = 0;
    for (size_t r = 0; r < s->n_runs; r++)
        for (size_t e = 0; e < s->runs[r].n_scores; e++) {
            double x = s->runs[r].scores[e];
            if (!any || x < lo) lo = x;
            if (!any || x > hi) hi = x;
            any = 1;
        }
    for (size_t e = 0; e < reached; e++) {
        double ci = ci_hi[e];
        ci_lo[e] = mean[e] - ci < lo ? lo : mean[e] - ci;
        ci_hi[e] = mean[e] + ci > hi ? hi : mean[e] + ci;
    }
    return reached;
}

static int same_game(const jitrl_summary *a, const jitrl_summary *b)
{
    const char *ga = a->game ? a->game : "", *gb = b->game ? b->game : "";
    return !strcmp(ga, gb);
}

static int put_chart(jr_buf *b, const jitrl_summary *const *s, size_t n, size_t first)
{
    chart c = {1, 0, 1, 1};
    for (size_t i = first; i < n; i++) {
        if (!same_game(s[i], s[first])) continue;
        for (size_t r = 0; r < s[i]->n_runs; r++)
            if (s[i]->runs[r].n_scores > c.episodes) c.episodes = s[i]->runs[r].n_scores;
    }
    double *mean = jr_malloc(c.episodes * sizeof *mean), *blo = jr_malloc(c.episodes * sizeof *blo),
           *bhi = jr_malloc(c.episodes * sizeof *bhi);
    if (!mean || !blo || !bhi) {
        jr_free(mean);
        jr_free(blo);
        jr_free(bhi);
        return JITRL_ENOMEM;
    }
    /* y range: cover every band, from min(0, lowest) to the highest top. */
    double lo = 0, hi = 1;
    for (size_t i = first; i < n; i++) {
        if (!same_game(s[i], s[first])) continue;
        size_t reached = clipped_curve(s[i], c.episodes, mean, blo, bhi);
        /* Only finite values within +-REPORT_MAX_ABS set the axis (a summary
         * built through the API is not range-checked as a parsed one is);
         * others are drawn clipped to the frame. */
        for (size_t e = 0; e < reached; e++) {
            if (bhi[e] > hi && bhi[e] <= REPORT_MAX_ABS) hi = bhi[e];
            if (blo[e] < lo && blo[e] >= -REPORT_MAX_ABS) lo = blo[e];
        }
    }
    c.ystep = nice_step(hi - lo, 6);
    c.ymin = floor(lo / c.ystep) * c.ystep;
    c.ymax = ceil(hi / c.ystep) * c.ystep;
    if (c.ymax <= c.ymin) c.ymax = c.ymin + c.ystep;

    const char *game = s[first]->game ? s[first]->game : "";
    int rc = jr_buf_puts(b, "<section class=\"game\"><h2>");
    if (!rc) rc = put_html(b, *game ? game : "(unnamed game)");
    if (!rc && s[first]->max_score > 0) rc = jr_buf_printf(b, " <small>max score %d</small>", s[first]->max_score);
    if (!rc) rc = jr_buf_puts(b, "</h2>\n<svg class=\"chart\" data-game=\"");
    if (!rc) rc = put_html(b, game);
    if (!rc)
        rc = jr_buf_printf(b, "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                              "height=\"%d\" role=\"img\">\n", W, H, W, H);
    if (!rc) rc = put_axes(b, &c, game);
    size_t index = 0;
    for (size_t i = first; !rc && i < n; i++) {
        if (!same_game(s[i], s[first])) continue;
        size_t reached = clipped_curve(s[i], c.episodes, mean, blo, bhi);
        rc = put_curve(b, &c, s[i], index++, mean, blo, bhi, reached);
    }
    if (!rc) rc = jr_buf_puts(b, "</svg></section>\n");
    jr_free(mean);
    jr_free(blo);
    jr_free(bhi);
    return rc;
}

static int put_pm(jr_buf *b, double m, double ci)
{
    return jr_buf_printf(b, "<td class=\"num\">%.2f <span class=\"ci\">&plusmn; %.2f</span></td>", m, ci);
}

static int put_table(jr_buf *b, const jitrl_summary *const *s, size_t n, const jitrl_paper *paper)
{
    /* Model columns only when some summary used a model. */
    int model = 0;
    for (size_t i = 0; i < n; i++) model |= s[i]->calls > 0 || (s[i]->model && *s[i]->model && strcmp(s[i]->model, "none"));
    int rc = jr_buf_printf(b,
        "<table id=\"summary\"><thead><tr><th>game</th><th>agent</th>%s<th>runs</th>"
        "<th>episodes &times; steps</th><th>Avg (95%% CI)</th><th>Final (95%% CI)</th>"
        "<th>paper Avg</th><th>paper Final</th>%s<th>s/episode</th></tr></thead>\n<tbody>\n",
        model ? "<th>model</th>" : "", model ? "<th>tokens/step</th><th>fallbacks</th>" : "");
    for (size_t i = 0; !rc && i < n; i++) {
        const jitrl_summary *x = s[i];
        double pa = 0, pf = 0;
        char agent[64];
        int known = jitrl_paper_lookup(paper, x->game, x->agent, &pa, &pf);
        rc = jr_buf_printf(b, "<tr data-agent=\"%s\"><td>", attr_safe(x->agent, agent, sizeof agent));
        if (!rc) rc = put_html(b, x->game);
        if (!rc) rc = jr_buf_puts(b, "</td><td>");
        if (!rc) rc = put_html(b, x->agent);
        if (!rc && model) rc = jr_buf_puts(b, "</td><td>");
        if (!rc && model) rc = put_html(b, x->model && *x->model ? x->model : "none");
        if (!rc) rc = jr_buf_printf(b, "</td><td class=\"num\">%zu</td><td class=\"num\">%d &times; %d</td>",
                                    x->n_runs, x->episodes, x->max_steps);
        if (!rc) rc = put_pm(b, x->avg_mean, x->avg_ci95);
        if (!rc) rc = put_pm(b, x->final_mean, x->final_ci95);
        if (!rc && known) rc = jr_buf_printf(b, "<td class=\"num paper\">%.1f</td><td class=\"num paper\">%g</td>", pa, pf);
        if (!rc && !known) rc = jr_buf_puts(b, "<td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td>");
        if (!rc && model)
            rc = jr_buf_printf(b, "<td class=\"num\">%.0f</td><td class=\"num\">%llu</td>", x->tokens_per_step,
                               (unsigned long long)x->fallbacks);
        if (!rc) rc = jr_buf_printf(b, "<td class=\"num\">%.3f</td></tr>\n", x->wall_per_episode);
    }
    if (!rc) rc = jr_buf_puts(b, "</tbody></table>\n");
    return rc;
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:980px;"
    "color:#222;padding:0 16px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 6px}"
    "h2 small{color:#777;font-weight:normal;font-size:13px}p.note{color:#555;margin:4px 0 14px}"
    "svg.chart{display:block;max-width:100%;height:auto;background:#fff}"
    ".plot{fill:#fafafa;stroke:#bbb}.grid{stroke:#e4e4e4}.tick{font-size:11px;fill:#555}"
    ".axis{font-size:12px;fill:#333}.legend{font-size:12px;fill:#222}"
    ".band{opacity:.18;stroke:none}.curve{fill:none;stroke-width:2;stroke-linejoin:round}"
    "circle.curve{stroke:none}"
    "table{border-collapse:collapse;margin-top:18px;width:100%}th,td{padding:4px 7px;font-size:13px;border-bottom:1px solid #ddd;"
    "text-align:left;white-space:nowrap}th{background:#f3f3f3;font-weight:600}td.num{text-align:right;"
    "font-variant-numeric:tabular-nums}.ci{color:#777}.paper{color:#5a4ab0}";

char *jitrl_report_html(const jitrl_summary *const *s, size_t n, const jitrl_paper *paper,
                        const char *title)
{
    jr_buf b;
    jr_buf_init(&b, REPORT_MAX);
    if (!title) title = "jitrl learning curves";
    int rc = jr_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    if (!rc) rc = put_html(&b, title);
    if (!rc) rc = jr_buf_printf(&b, "</title><style>%s</style></head>\n<body>\n<h1>", css);
    if (!rc) rc = put_html(&b, title);
    if (!rc)
        rc = jr_buf_puts(&b, "</h1>\n<p class=\"note\">Score at the end of each episode, mean over independent "
                             "runs (line) with its 95% confidence band (Student t, clipped to the observed scores). Avg = mean score over a "
                             "run's episodes; Final = score of its last episode; both as mean &plusmn; 95% CI "
                             "over runs. Paper numbers: Li et al. 2026, Table 3 (Gemini-2.5-flash).</p>\n");
    for (size_t i = 0; !rc && i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) seen = same_game(s[j], s[i]);
        if (!seen) rc = put_chart(&b, s, n, i);
    }
    if (!rc) rc = put_table(&b, s, n, paper);
    if (!rc) rc = jr_buf_puts(&b, "</body></html>\n");
    if (rc) {
        jr_buf_free(&b);
        return NULL;
    }
    return jr_buf_steal(&b);
}
