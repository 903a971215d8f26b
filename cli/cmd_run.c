/*
 * cmd_run.c -- `jitrl run STORY [--seed N]`: play a story like
 * `dfrotz -m -p -q -s N`: commands from stdin, game text to stdout.
 * With --save-dir DIR the game's own SAVE / RESTORE write and read Quetzal
 * files in DIR (dfrotz uses the current directory); without it they fail.
 *
 * A thin client of include/jitrl/zvm.h: run until the machine waits, print
 * what it wrote, read a line, feed it, repeat.  At end of input the
 * machine's remaining output is printed and we stop (dfrotz does the same).
 */
#include "cli.h"
#include "jitrl/zvm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: jitrl run STORY [--seed N] [--width W] [--height H] [--save-dir DIR]\n"
               "Plays STORY like `dfrotz -m -p -q -s N`: commands from stdin, game text to stdout.\n"
               "--save-dir DIR: the game's SAVE/RESTORE use files in DIR (none: they fail).\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void flush_output(jitrl_zvm *vm)
{
    size_t n;
    const char *t = jitrl_zvm_output(vm, &n);
    fwrite(t, 1, n, stdout);
    jitrl_zvm_clear_output(vm);
}

int cmd_run(int argc, char **argv)
{
    const char *story = NULL;
    jitrl_zvm_options opt;
    jitrl_zvm_options_init(&opt);
    for (int i = 1; i < argc; i++) {
        long v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if ((!strcmp(argv[i], "--seed") || !strcmp(argv[i], "-s")) && i + 1 < argc) {
            if (parse_int(argv[++i], -2147483647L, 2147483647L, &v)) { usage(stderr); return 2; }
            opt.seed = (int32_t)v;
        } else if (!strcmp(argv[i], "--width") && i + 1 < argc) {
            if (parse_int(argv[++i], 1, 255, &v)) { usage(stderr); return 2; }
            opt.screen_width = (uint16_t)v;
        } else if (!strcmp(argv[i], "--height") && i + 1 < argc) {
            if (parse_int(argv[++i], 1, 255, &v)) { usage(stderr); return 2; }
            opt.screen_height = (uint16_t)v;
        } else if (!strcmp(argv[i], "--save-dir") && i + 1 < argc) {
            opt.save_dir = argv[++i];
        } else if (argv[i][0] == '-' || story) {
            usage(stderr);
            return 2;
        } else {
            story = argv[i];
        }
    }
    if (!story) { usage(stderr); return 2; }
    jitrl_zvm *vm = NULL;
    char err[256];
    int rc = jitrl_zvm_open_file(story, &opt, &vm, err, sizeof err);
    if (rc) {
        fprintf(stderr, "jitrl run: %s\n", err);
        return 1;
    }
    char line[4096];
    int status = 0, spins = 0;
    for (;;) {
        jitrl_zvm_stop stop;
        rc = jitrl_zvm_run(vm, 0, &stop);
        flush_output(vm);
        if (rc) {
            fflush(stdout);
            fprintf(stderr, "jitrl run: %s: %s\n", jitrl_strerror(rc), jitrl_zvm_errmsg(vm));
            status = 1;
            break;
        }
        if (stop == JITRL_ZVM_QUIT) break;
        if (stop == JITRL_ZVM_BUDGET) {
            /* a story that never asks for input: give up after 2e9 instructions */
            if (++spins < 200) continue;
            fflush(stdout);
            fprintf(stderr, "jitrl run: the story ran %llu instructions without asking for input\n",
                    (unsigned long long)jitrl_zvm_instructions(vm));
            status = 1;
            break;
        }
        spins = 0;
        if (!fgets(line, sizeof line, stdin)) break;
        jitrl_zvm_input(vm, line);
    }
    fflush(stdout);
    jitrl_zvm_close(vm);
    return status;
}
