/*
 * cli.h -- the subcommands of the `jitrl` tool.  Each lives in its own
 * cli/cmd_*.c (or cli/bench_*.c) file and is a thin client of the public
 * API in include/jitrl.h.  Every command returns the process exit status:
 * 0 success, 1 failure of the work, 2 bad usage.
 */
#ifndef JITRL_CLI_H
#define JITRL_CLI_H

int cmd_run(int argc, char **argv);      /* cmd_run.c: play a story like dfrotz */
int cmd_actions(int argc, char **argv);  /* cmd_actions.c: valid actions along a walkthrough */
int cmd_play(int argc, char **argv);     /* cmd_play.c: the JitRL agent */
int cmd_report(int argc, char **argv);   /* cmd_report.c: HTML report from summaries */
int cmd_memory(int argc, char **argv);   /* cmd_memory.c: stats|export|import|prune */
int cmd_inspect(int argc, char **argv);  /* cmd_inspect.c: objects, dictionary, header */
int cmd_bench(int argc, char **argv);    /* cmd_bench.c: dispatches to bench_*.c */

int bench_zvm(int argc, char **argv);
int bench_memory(int argc, char **argv);
int bench_actions(int argc, char **argv);
int bench_play(int argc, char **argv);

/* The built-in default game, embedded at build time (build/gen/default_game.c). */
extern const unsigned char jitrl_default_game[];
extern const unsigned long jitrl_default_game_len;

#endif
