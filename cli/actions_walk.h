/*
 * actions_walk.h -- the walkthrough replay shared by `jitrl actions` and
 * `jitrl bench actions` (cli/cmd_actions.c): at each step compute the
 * valid actions (cold, then memoised), check whether the walkthrough's
 * command changes the world and whether an action with the identical
 * outcome is in the valid set (recall), then play the command.
 */
#ifndef JITRL_CLI_ACTIONS_WALK_H
#define JITRL_CLI_ACTIONS_WALK_H

#include <stdio.h>

#include "base/buf.h"

typedef struct walk_opts {
    const char *story, *walkthrough;
    long seed;          /* -1 = from the facts */
    int print;          /* print each state's valid actions to `out` */
    int threads;        /* 0 = default */
    int max_steps;      /* 0 = all */
    FILE *out;
} walk_opts;

/* Run it and append one JSON object to json.  Returns 0, or 1 with a
 * message on stderr. */
int actions_walk(const walk_opts *o, jr_buf *json);

#endif
