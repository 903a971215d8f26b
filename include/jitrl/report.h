/*
 * report.h -- the learning-curve report: one self-contained HTML page (inline
 * SVG and CSS, nothing fetched from the network) with, per game, the mean
 * score per episode over runs and its 95% confidence band for each agent,
 * and a table of Avg and Final (mean +- 95% CI over runs) beside the paper's
 * published numbers when they are known.
 *
 * Also the reader for the paper's numbers (../shared/jericho/paper-results.tsv):
 * a tab-separated table, '#' comment lines, a header `method GAME_avg
 * GAME_final ...` and one row per method.
 */
#ifndef JITRL_REPORT_H
#define JITRL_REPORT_H

#include <stddef.h>

#include "jitrl/summary.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_paper jitrl_paper;

/* Parse the paper-results table.  Errors: JITRL_EPARSE (no `method` header
 * or a row with a bad number), JITRL_ENOMEM; *out is NULL then. */
JITRL_API int jitrl_paper_parse(const char *text, size_t len, jitrl_paper **out);
JITRL_API void jitrl_paper_free(jitrl_paper *p);   /* NULL is a no-op */

/* The paper's Avg and Final for (game, method), e.g. ("zork1", "jitrl").
 * Returns 1 and fills avg/final when known, 0 otherwise (p may be NULL). */
JITRL_API int jitrl_paper_lookup(const jitrl_paper *p, const char *game, const char *method,
                       double *avg, double *final);

/* The HTML page for summaries s[0..n) (any mix of games and agents; one
 * chart per game, in order of first appearance).  paper may be NULL; title
 * may be NULL for a default.  Returns the caller's string (free with free())
 * or NULL on allocation failure. */
JITRL_API char *jitrl_report_html(const jitrl_summary *const *s, size_t n, const jitrl_paper *paper,
                        const char *title);

#ifdef __cplusplus
}
#endif
#endif
