/*
 * paper.c -- the paper's published per-game numbers (Table 3), read from the
 * shared tab-separated file so reports can show them beside ours.
 *
 * The file is wide (one row per method, GAME_avg and GAME_final columns per
 * game) because that is how the paper prints the table; we flatten it into
 * (game, method, avg, final) rows at parse time so lookups stay trivial.
 */
#include "jitrl/report.h"

#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct paper_row {
    char game[48];
    char method[48];
    double avg, final;
    int has_avg, has_final;
} paper_row;

struct jitrl_paper {
    paper_row *rows;
    size_t n, cap;
};

#define MAX_COLS 64

void jitrl_paper_free(jitrl_paper *p)
{
    if (!p) return;
    jr_free(p->rows);
    jr_free(p);
}

/* Split line[0..len) at tabs into cols (pointers into a copy in scratch). */
static size_t split_tabs(const char *line, size_t len, char *scratch, size_t cap, char **cols)
{
    if (len >= cap) len = cap - 1;
    memcpy(scratch, line, len);
    scratch[len] = '\0';
    while (len && (scratch[len - 1] == '\r' || scratch[len - 1] == ' ')) scratch[--len] = '\0';
    size_t n = 0;
    char *p = scratch;
    while (n < MAX_COLS) {
        cols[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static paper_row *row_for(jitrl_paper *p, const char *game, const char *method)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->rows[i].game, game) && !strcmp(p->rows[i].method, method)) return &p->rows[i];
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        paper_row *r = jr_realloc(p->rows, ncap * sizeof *r);
        if (!r) return NULL;
        p->rows = r;
        p->cap = ncap;
    }
    paper_row *r = &p->rows[p->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->game, sizeof r->game, "%s", game);
    snprintf(r->method, sizeof r->method, "%s", method);
    return r;
}

int jitrl_paper_parse(const char *text, size_t len, jitrl_paper **out)
{
    *out = NULL;
    jitrl_paper *p = jr_calloc(1, sizeof *p);
    if (!p) return JITRL_ENOMEM;
    char header_buf[4096], line_buf[4096];
    char *header[MAX_COLS], *cols[MAX_COLS];
    size_t n_header = 0;
    int rc = JITRL_OK;
    for (size_t pos = 0; pos < len && !rc;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *line = text + pos;
        pos += ll + 1;
        if (ll == 0 || line[0] == '#') continue;
        if (!n_header) {
            n_header = split_tabs(line, ll, header_buf, sizeof header_buf, header);
            if (strcmp(header[0], "method") != 0) rc = JITRL_EPARSE;
            continue;
        }
        size_t nc = split_tabs(line, ll, line_buf, sizeof line_buf, cols);
        for (size_t c = 1; c < nc && c < n_header && !rc; c++) {
            const char *h = header[c];
            const char *us = strrchr(h, '_');
            if (!us || us == h || !*cols[c]) continue;
            int is_avg = !strcmp(us, "_avg"), is_final = !strcmp(us, "_final");
            if (!is_avg && !is_final) continue;
            char game[48];
            size_t gl = (size_t)(us - h) < sizeof game - 1 ? (size_t)(us - h) : sizeof game - 1;
            memcpy(game, h, gl);
            game[gl] = '\0';
            char *end;
            double v = strtod(cols[c], &end);
            if (end == cols[c] || *end) {
                rc = JITRL_EPARSE;
                break;
            }
            paper_row *r = row_for(p, game, cols[0]);
            if (!r) {
                rc = JITRL_ENOMEM;
                break;
            }
            if (is_avg) { r->avg = v; r->has_avg = 1; }
            else { r->final = v; r->has_final = 1; }
        }
    }
    if (!rc && !n_header) rc = JITRL_EPARSE;
    if (rc) {
        jitrl_paper_free(p);
        return rc;
    }
    *out = p;
    return JITRL_OK;
}

int jitrl_paper_lookup(const jitrl_paper *p, const char *game, const char *method,
                       double *avg, double *final)
{
    if (!p || !game || !method) return 0;
    for (size_t i = 0; i < p->n; i++) {
        const paper_row *r = &p->rows[i];
        if (strcmp(r->game, game) || strcmp(r->method, method) || !r->has_avg) continue;
        if (avg) *avg = r->avg;
        if (final) *final = r->has_final ? r->final : 0.0;
        return 1;
    }
    return 0;
}
