/*
 * cli.h -- the subcommands of the `jitrl` tool.  Each lives in its own
 * cli/cmd_*.c (or cli/bench_*.c) file and is a thin client of the public
 * API in include/jitrl.h.  Every command returns the process exit status:
 * 0 success, 1 failure of the work, 2 bad usage.
 */
#ifndef JITRL_CLI_H
#define JITRL_CLI_H

#include <stddef.h>

int cmd_run(int argc, char **argv);      /* cmd_run.c: play a story like dfrotz */
int cmd_actions(int argc, char **argv);  /* cmd_actions.c: valid actions along a walkthrough */
int cmd_play(int argc, char **argv);     /* cmd_play.c: the JitRL agent */
int cmd_report(int argc, char **argv);   /* cmd_report.c: HTML report from summaries */
int cmd_memory(int argc, char **argv);   /* cmd_memory.c: stats|export|import|prune */
int cmd_inspect(int argc, char **argv);  /* cmd_inspect.c: objects, dictionary, header */
int cmd_bench(int argc, char **argv);    /* cmd_bench.c: dispatches to bench_*.c */
int cmd_serve(int argc, char **argv);    /* cmd_serve.c: the HTTP service */
int cmd_sites(int argc, char **argv);    /* cmd_sites.c: serve the local web sites */

int bench_zvm(int argc, char **argv);
int bench_memory(int argc, char **argv);
int bench_actions(int argc, char **argv);
int bench_play(int argc, char **argv);
int bench_serve(int argc, char **argv);   /* bench_serve.c: jitrl serve under load */
int bench_web(int argc, char **argv);    /* bench_web.c: web step time, browser memory, success */

/* cli_env.c: what the CLI takes from the environment for the library, which
 * reads none itself.  JITRL_ENV_DEBUG (=2: every candidate too),
 * JITRL_ENV_STATS, JITRL_ENV_DUMP=FILE set the game's debugging log (to
 * stderr; dump lines appended to FILE). */
struct jitrl_zgame_options;
void cli_zgame_env(struct jitrl_zgame_options *opt);
/* JITRL_LLM_EXTRA, _TIMEOUT_MS, _RETRIES, _TOP_LOGPROBS, _MAX_LABELS,
 * _TEMPERATURE override the model client's settings, and the API key is
 * OPENAI_API_KEY, else JITRL_API_KEY (unless cfg->api_key is set; a key
 * never comes from a flag, where `ps` would show it).  JITRL_EINVAL with
 * a message naming the variable for a bad value. */
struct jitrl_llm_config;
int cli_llm_env(struct jitrl_llm_config *cfg, char *errmsg, size_t errlen);

/* The built-in default game, embedded at build time (build/gen/default_game.c). */
extern const unsigned char jitrl_default_game[];
extern const unsigned long jitrl_default_game_len;

#endif
