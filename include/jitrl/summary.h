/*
 * summary.h -- what a batch of `jitrl play` runs produced, and the statistics
 * over runs that the paper's tables report.
 *
 * A summary is one agent on one game: the per-episode scores of each run,
 * each run's Avg (mean score over its episodes) and Final (score of its last
 * episode), and across runs the mean and the 95% confidence half-width of
 * both (Student t with runs-1 degrees of freedom).  It is written as one
 * JSON object (the `--summary` file) and read back by `jitrl report`.
 *
 * A summary is plain data: the caller may fill the fields directly, then call
 * jitrl_summary_finish() to compute every derived number.  Strings and arrays
 * in it are owned by the summary and freed by jitrl_summary_free(); set them
 * with jitrl_summary_set() / jitrl_summary_add_run() or allocate them with
 * malloc.  A returned `char *` is the caller's (free with free()).
 */
#ifndef JITRL_SUMMARY_H
#define JITRL_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Statistics ---- */

/* The two-sided 95% critical value of Student's t with df degrees of
 * freedom (12.706 for df 1, 2.776 for df 4, -> 1.960).  df < 1 gives 0. */
JITRL_API double jitrl_t975(unsigned df);

/* Mean and 95% confidence half-width (t * s / sqrt(n), s the sample standard
 * deviation) of x[0..n).  n = 0 gives 0 and 0; n = 1 gives x[0] and 0 (one
 * run has no spread to measure).  Either output may be NULL. */
JITRL_API void jitrl_mean_ci95(const double *x, size_t n, double *mean, double *ci95);

/* ---- One agent on one game ---- */

typedef struct jitrl_run_summary {
    uint64_t seed;
    double *scores;          /* per-episode final score, n_scores of them */
    size_t n_scores;
    double avg, final;       /* mean of scores; last score (0 when none) */
    /* Model accounting for this run (0 offline). */
    uint64_t prompt_tokens, completion_tokens, calls, fallbacks, steps;
    double wall_s;
    /* A run that continued a memory: `resumed` of its scores (the first
     * ones) were read back from it, played before this run, and the rest
     * were played now; `stored_before` is how many of this game's episodes
     * the memory held when the run began (more than resumed when other
     * runs wrote to it too).  Both 0 for a fresh memory. */
    uint64_t resumed, stored_before;
} jitrl_run_summary;

typedef struct jitrl_summary {
    char *game;              /* e.g. "zork1", "jitrl_cave" */
    char *agent;             /* "jitrl" or "static" */
    char *model;             /* "none" offline, else the model name */
    char *prior;             /* "uniform", "token", "verbal", "propose" */
    int max_score;           /* the game's maximum, 0 when unknown */
    int episodes, max_steps; /* the protocol asked for */
    double beta;
    jitrl_run_summary *runs;
    size_t n_runs;
    /* Derived by jitrl_summary_finish(). */
    double avg_mean, avg_ci95, final_mean, final_ci95;
    uint64_t prompt_tokens, completion_tokens, calls, fallbacks, steps;
    double tokens_per_step;  /* (prompt + completion) / steps, 0 without steps */
    double prompt_tokens_per_step;
    double wall_s;           /* sum of the runs' wall time unless set larger */
    double wall_per_episode; /* wall_s / total episodes */
    double price_in, price_out, cost; /* per million tokens; cost in the same unit */
} jitrl_summary;

/* A new empty summary (all zero, strings NULL); NULL on allocation failure. */
JITRL_API jitrl_summary *jitrl_summary_new(void);
JITRL_API void jitrl_summary_free(jitrl_summary *s);   /* NULL is a no-op */

/* Replace one string field (*field must belong to s) with a copy of value
 * (NULL clears it).  JITRL_ENOMEM leaves the field unchanged. */
JITRL_API int jitrl_summary_set(char **field, const char *value);

/* Append a run with a copy of scores[0..n).  Totals are recomputed by
 * jitrl_summary_finish().  JITRL_ENOMEM leaves s unchanged. */
JITRL_API int jitrl_summary_add_run(jitrl_summary *s, uint64_t seed, const double *scores, size_t n);

/* Compute each run's avg/final and the cross-run means, CIs, token totals,
 * per-step figures and cost.  Never fails. */
JITRL_API void jitrl_summary_finish(jitrl_summary *s);

/* The summary as one JSON object (the --summary format), newline-ended.
 * NULL on allocation failure. */
JITRL_API char *jitrl_summary_to_json(const jitrl_summary *s);

/* Parse summaries from JSON text: either one summary object or a bundle
 * {"games": [summary, ...]} (what `jitrl bench play --json` and
 * `jitrl play --agent both --summary` write).  On success *out is an array of
 * *n summaries, freed with jitrl_summary_free_array().  Derived numbers are recomputed from the runs when the runs carry
 * scores, so a hand-edited file stays consistent.  Errors: JITRL_EPARSE (not
 * JSON, or not a summary; a message is written to err[0..errlen) when err is
 * non-NULL), JITRL_ENOMEM. */
JITRL_API int jitrl_summary_parse(const char *text, size_t len, jitrl_summary ***out, size_t *n,
                        char *err, size_t errlen);

/* Free arr[0..n) and arr itself.  NULL is a no-op. */
JITRL_API void jitrl_summary_free_array(jitrl_summary **arr, size_t n);

/* Mean over runs of each episode's score, and the 95% CI half-width, for
 * episodes 0..n_episodes-1 (runs shorter than that contribute to the
 * episodes they have).  mean and ci95 have n_episodes slots; episodes no run
 * reached get 0/0 and are counted in the return value's complement: returns
 * how many leading episodes have at least one run. */
JITRL_API size_t jitrl_summary_curve(const jitrl_summary *s, size_t n_episodes, double *mean, double *ci95);

#ifdef __cplusplus
}
#endif
#endif
