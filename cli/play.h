/*
 * play.h -- what `jitrl play`, `jitrl bench play` and `jitrl report` share:
 * the play options, finding a story (built-in, Jericho name or path),
 * running a batch of independent runs on worker threads with a live
 * progress line, and printing the final table beside the paper's numbers.
 */
#ifndef JITRL_CLI_PLAY_H
#define JITRL_CLI_PLAY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jitrl.h"
#include "jitrl/agent.h"
#include "jitrl/zgame.h"

typedef struct play_opts {
    const char *story;        /* NULL = built-in game */
    int episodes, max_steps, runs;
    uint64_t seed;
    const char *memory;       /* NULL = a fresh in-RAM memory per run */
    const char *llm_url;      /* NULL = offline, uniform prior */
    const char *model;
    const char *prior;        /* token | verbal | propose */
    int evaluator;
    double price_in, price_out;
    long llm_timeout_ms, llm_backoff_ms;  /* 0 = the client's defaults */
    int llm_retries;                      /* -1 = the client's default */
    int threads;              /* worker threads for runs; 0 = auto (2 at most) */
    int progress;             /* 1 = live progress line on stderr */
    jitrl_params params;      /* engine parameters (defaults + flags) */
    int beta_set;             /* --beta given; else play_opts_finish picks it */
    size_t history_len;
    double tabular_c;         /* --tabular-c: the tabular agent's UCB scale */
    FILE *log;                /* JSON Lines decision trace, or NULL */
    const char *log_path;     /* its name, for messages */
    const volatile sig_atomic_t *stop;
} play_opts;

/* Defaults: the paper protocol (50 x 60, 1 run, seed 1), offline. */
void play_opts_init(play_opts *o);

/* beta when the user gave none: the engine's default with a model prior;
 * PLAY_OFFLINE_BETA with the uniform prior, where there is no prior
 * knowledge for the KL term to protect (see play_util.c). */
#define PLAY_OFFLINE_BETA 5.0
void play_opts_finish(play_opts *o);

/* Engine presets: "offline" (the default with no model: docs/method.md
 * section 6, history 0) and "paper" (= "text", the paper's settings,
 * history 1; the default with a model), "web".  Call before the other
 * flags so they override it.  0, or 1 with a message. */
int play_opts_preset(play_opts *o, const char *preset);
/* The preset a command line asks for: the value of --preset, else
 * "paper" with --llm URL, else "offline". */
const char *play_preset_of(int argc, char **argv);
/* The learning flags shared by play and bench play: --preset (already
 * applied: skipped), --kl-budget C, --explore ucb|lambda, --ucb-c C,
 * --tabular-c C.
 * Returns 1 when flag is one of them (then *bad says whether val was
 * refused, with a message), else 0. */
int play_parse_learning(play_opts *o, const char *flag, const char *val, int *bad);

#define PLAY_MAX_WORKERS 16
/* Lanes of a batch (see play_batch.c): runs of one lane hand on their
 * valid-actions cache; a fixed number, so results do not depend on the
 * machine's cores. */
#define PLAY_LANES 2

/* A resolved story: bytes in memory plus a display name. */
typedef struct play_story {
    const uint8_t *bytes;     /* borrowed (built-in) or owned (file) */
    size_t len;
    uint8_t *owned;
    char name[128];           /* game name as the environment reports it */
    int max_score;
} play_story;

/* NULL = built-in; a name like "zork1" = ../shared/jericho/games/zork1.z5;
 * else a path.  Returns 0, or 1 with a message on stderr. */
int play_story_load(const char *story, play_story *out);
void play_story_free(play_story *s);

/* The ../shared directory (env JITRL_SHARED, ../shared, or beside the
 * build directory of this binary), or NULL. Static buffer. */
const char *play_shared_dir(void);
/* The paper's numbers, or NULL when the table is absent. */
jitrl_paper *play_paper_load(void);

/* Progress shared by the runs of one command. */
typedef struct play_progress play_progress;
play_progress *play_progress_new(int enabled, long total_episodes);
void play_progress_free(play_progress *p);
void play_progress_finish(play_progress *p);   /* ends the line */

/* Run o->runs independent runs of one agent kind on a story; fills a
 * summary (the caller's).  Returns 0 on success, 1 when a run failed (the
 * message is printed; completed episodes are still in the summary), 130
 * when interrupted. */
int play_batch(const play_opts *o, jitrl_agent_kind kind, play_story *story,
               play_progress *prog, jitrl_summary **out);
/* The same for several kinds in one pool of workers (no core idles between
 * the static runs and the jitrl runs); out[0..n_kinds) in kinds' order.
 * The status is 130 if any kind was interrupted, else 1 if any failed. */
int play_batches(const play_opts *o, const jitrl_agent_kind *kinds, int n_kinds, play_story *story,
                 play_progress *prog, jitrl_summary **out);

/* With --llm: one request before the run (jitrl_llm_check), so a refused
 * port, a bad URL, a rejected key or an unknown model fail at once.
 * 0 (also without --llm), or 1 with a message. */
int play_check_llm(const play_opts *o);

/* "static", "tabular" or "jitrl". */
const char *play_agent_name(jitrl_agent_kind kind);
/* --agent NAME as kinds, in table order (static, tabular, jitrl): "all"
 * is the three, "both" static and jitrl.  Returns the count, 0 for an
 * unknown name. */
size_t play_agent_kinds(const char *name, jitrl_agent_kind kinds[3]);

/* The final table for summaries s[0..n) of one game. */
void play_print_table(FILE *f, jitrl_summary *const *s, size_t n, const jitrl_paper *paper);

/* The --summary JSON (one summary, or {"games": [...]} for several) and the
 * --report HTML of s[0..n); either path may be NULL.  0 or 1 with a
 * message (cmd_play.c). */
int play_write_outputs(const char *summary, const char *report, jitrl_summary *const *s, size_t n,
                       const jitrl_paper *paper);
/* The model client's configuration for run `run` from the flags (the
 * environment's settings first); JITRL_EINVAL with err filled. */
int play_llm_config(const play_opts *o, int run, jitrl_llm_config *lc, char *err, size_t errlen);
/* SIGINT sets the returned flag (a second one kills); the old action is
 * saved in *old for sigaction(SIGINT, old, NULL) (cmd_play.c). */
struct sigaction;
volatile sig_atomic_t *play_catch_sigint(struct sigaction *old);
/* `jitrl play --env web ...` (play_web.c). */
int play_web(int argc, char **argv);

/* Write text to path; 0 or 1 with a message naming path and the reason
 * (ENOSPC ...): the write, the flush and the close are all checked. */
int play_write_file(const char *path, const char *text);
/* Before a run: can path be written?  Opens it without truncating (and
 * removes it again if this created it); 0, or 1 with a message naming
 * what and path. */
int play_check_output(const char *what, const char *path);
/* Parse a double/int flag value; 0 or 1 with a message naming the flag. */
int play_parse_double(const char *flag, const char *v, double *out);
int play_parse_int(const char *flag, const char *v, long lo, long hi, long *out);

#endif
