/*
 * cmd_report.c -- `jitrl report A.json B.json ... -o out.html`: overlay the
 * learning curves of several run summaries (for example static against
 * jitrl, or two values of beta) in one self-contained HTML page, and print
 * their tables.  Each input is one summary or a {"games": [...]} bundle.
 */
#include "cli.h"
#include "play.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int read_text(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap >= ((size_t)256 << 20)) { free(buf); buf = NULL; errno = EFBIG; break; }
        char *p = realloc(buf, cap * 2);
        if (!p) { free(buf); buf = NULL; break; }
        buf = p;
        cap *= 2;
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) { free(buf); return 1; }
    *text = buf;
    *len = n;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    const char *out = NULL, *title = NULL;
    jitrl_summary **all = NULL;
    size_t n_all = 0;
    int status = 0;
    for (int i = 1; i < argc && !status; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: jitrl report SUMMARY.json... -o OUT.html [--title TEXT]\n"
                   "Overlays the learning curves (mean +- 95%% CI over runs) of every summary, one chart per\n"
                   "game, with the Avg/Final table and the paper's numbers where known.\n");
            return 0;
        }
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output") || !strcmp(argv[i], "--title")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "jitrl report: %s needs a value\n", argv[i]);
                status = 2;
                break;
            }
            if (!strcmp(argv[i], "--title")) title = argv[++i];
            else out = argv[++i];
            continue;
        }
        char *text = NULL, err[256] = "";
        size_t len = 0, n = 0;
        jitrl_summary **s = NULL;
        if (read_text(argv[i], &text, &len)) {
            fprintf(stderr, "jitrl report: cannot read %s: %s\n", argv[i], strerror(errno));
            status = 1;
            break;
        }
        int rc = jitrl_summary_parse(text, len, &s, &n, err, sizeof err);
        free(text);
        if (rc) {
            /* jitrl_strerror(JITRL_EPARSE) speaks of HTTP replies; a file
             * is "not a run summary" */
            fprintf(stderr, "jitrl report: %s: %s%s%s\n", argv[i],
                    rc == JITRL_EPARSE ? "not a run summary" : jitrl_strerror(rc), err[0] ? ": " : "", err);
            status = 1;
            break;
        }
        if (n == 0) {
            fprintf(stderr, "jitrl report: %s holds no run summaries (\"games\" is empty)\n", argv[i]);
            jitrl_summary_free_array(s, n);
            status = 1;
            break;
        }
        jitrl_summary **grown = realloc(all, (n_all + n) * sizeof *grown);
        if (!grown) {
            jitrl_summary_free_array(s, n);
            status = 1;
            break;
        }
        all = grown;
        for (size_t k = 0; k < n; k++) all[n_all++] = s[k];
        free(s);
    }
    if (!status && (!out || n_all == 0)) {
        if (n_all == 0) fprintf(stderr, "jitrl report: no SUMMARY.json given\n");
        else fprintf(stderr, "jitrl report: -o OUT.html is missing\n");
        fprintf(stderr, "usage: jitrl report SUMMARY.json... -o OUT.html [--title TEXT]\n");
        status = 2;
    }
    if (!status && play_check_output("-o", out)) status = 1;
    if (!status) {
        jitrl_paper *paper = play_paper_load();
        /* One table per game, in order of first appearance. */
        for (size_t i = 0; i < n_all; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(all[j]->game ? all[j]->game : "", all[i]->game ? all[i]->game : "");
            if (seen) continue;
            jitrl_summary *group[64];
            size_t ng = 0;
            for (size_t j = i; j < n_all && ng < 64; j++)
                if (!strcmp(all[j]->game ? all[j]->game : "", all[i]->game ? all[i]->game : "")) group[ng++] = all[j];
            play_print_table(stdout, group, ng, paper);
        }
        char *html = jitrl_report_html((const jitrl_summary *const *)all, n_all, paper, title);
        if (!html) {
            fprintf(stderr, "jitrl report: out of memory\n");
            status = 1;
        } else {
            status = play_write_file(out, html);
            free(html);
            if (!status) fprintf(stderr, "jitrl report: wrote %s (%zu summar%s)\n", out, n_all, n_all == 1 ? "y" : "ies");
        }
        jitrl_paper_free(paper);
    }
    for (size_t i = 0; i < n_all; i++) jitrl_summary_free(all[i]);
    free(all);
    return status;
}
