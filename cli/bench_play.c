/*
 * bench_play.c -- `jitrl bench play`: the static, tabular and jitrl agents, offline, on every story
 * in ../shared/jericho/games and on the built-in game, N runs each of the
 * paper's 50 x 60 protocol.  Prints a table shaped like the paper's Table 3
 * (Avg and Final per game and agent, mean +- 95% CI over runs) with the
 * wall time per episode; --json prints {"games": [summary, ...]} instead,
 * one summary per game and agent.
 */
#include "cli.h"
#include "play.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted game names (file names without .z5/.z3/.z8) in DIR; caller frees. */
static size_t list_games(const char *dir, char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0, cap = 0;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || e->d_name[len - 3] != '.' || e->d_name[len - 2] != 'z') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        names[n] = malloc(len + 1 + strlen(dir) + 1);
        if (!names[n]) break;
        snprintf(names[n], len + 2 + strlen(dir), "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    return n;
}

#define N_AGENTS 3   /* static, tabular, jitrl: play_agent_kinds("all") order */

static void print_row(jitrl_summary *const *s, const jitrl_paper *paper)
{
    char cell[2 * N_AGENTS][32];
    double wall = 0;
    for (int k = 0; k < N_AGENTS; k++) {
        snprintf(cell[2 * k], sizeof cell[0], "%.2f +- %.2f", s[k]->avg_mean, s[k]->avg_ci95);
        snprintf(cell[2 * k + 1], sizeof cell[0], "%.2f +- %.2f", s[k]->final_mean, s[k]->final_ci95);
        wall += s[k]->wall_per_episode / N_AGENTS;
    }
    double ps = 0, pj = 0, fs = 0, fj = 0;
    char paper_txt[48] = "";
    if (jitrl_paper_lookup(paper, s[0]->game, "static", &ps, &fs) &&
        jitrl_paper_lookup(paper, s[2]->game, "jitrl", &pj, &fj))
        snprintf(paper_txt, sizeof paper_txt, "%.1f/%g  %.1f/%g", ps, fs, pj, fj);
    printf("%-11s %5d ", s[0]->game, s[0]->max_score);
    for (int i = 0; i < 2 * N_AGENTS; i++) printf(" %-16s", cell[i]);
    printf(" %8.3f  %s\n", wall, paper_txt);
    fflush(stdout);
}

int bench_play(int argc, char **argv)
{
    play_opts o;
    play_opts_init(&o);
    o.runs = 5;
    if (play_opts_preset(&o, play_preset_of(argc, argv))) return 2;
    int json = 0;
    const char *only = NULL;
    long v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: jitrl bench play [--runs N] [--episodes N] [--max-steps N] [--games a,b] [--json]\n"
                   "         [--preset offline|paper] [--k K] [--beta B] [--history N] [--kl-budget C]\n"
                   "         [--explore ucb|lambda] [--ucb-c C] [--tabular-c C]\n"
                   "  static, tabular and jitrl, offline, on every game in ../shared/jericho/games and the\n"
                   "  built-in game (default 5 runs of 50 episodes x 60 steps each)\n");
            return 0;
        }
        /* an unknown flag is unknown, not one that "needs a value" */
        static const char *const known[] = {"--runs", "--episodes", "--max-steps", "--history", "--k", "--beta",
                                            "--games", "--preset", "--kl-budget", "--explore", "--ucb-c",
                                            "--tabular-c"};
        int is_known = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) is_known |= !strcmp(a, known[k]);
        if (!is_known) {
            fprintf(stderr, "jitrl bench play: unknown option '%s' (see jitrl bench play --help)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "jitrl bench play: %s needs a value\n", a);
            return 2;
        }
        const char *val = argv[++i];
        int bad = 0;
        if (play_parse_learning(&o, a, val, &bad)) {}
        else if (!strcmp(a, "--runs")) { bad = play_parse_int(a, val, 1, 1000, &v); o.runs = (int)v; }
        else if (!strcmp(a, "--episodes")) { bad = play_parse_int(a, val, 1, 100000, &v); o.episodes = (int)v; }
        else if (!strcmp(a, "--max-steps")) { bad = play_parse_int(a, val, 1, 100000, &v); o.max_steps = (int)v; }
        else if (!strcmp(a, "--history")) { bad = play_parse_int(a, val, 0, 64, &v); o.history_len = (size_t)v; }
        else if (!strcmp(a, "--k")) { bad = play_parse_int(a, val, 0, 1000000, &v); o.params.k = (size_t)v; }
        else if (!strcmp(a, "--beta")) { bad = play_parse_double(a, val, &o.params.beta); o.beta_set = 1; }
        else if (!strcmp(a, "--games")) only = val;
        else {
            fprintf(stderr, "jitrl bench play: unknown option '%s'\n", a);
            return 2;
        }
        if (bad) return 2;
    }

    play_opts_finish(&o);
    char **files = NULL;
    size_t n_files = 0;
    const char *sh = play_shared_dir();
    if (sh) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/jericho/games", sh);
        n_files = list_games(dir, &files);
    } else {
        fprintf(stderr, "jitrl bench play: ../shared not found (set JITRL_SHARED); built-in game only\n");
    }
    jitrl_paper *paper = play_paper_load();
    int progress = isatty(STDERR_FILENO);
    int status = 0;
    if (!json)
        printf("%-11s %5s  %-16s %-16s %-16s %-16s %-16s %-16s %8s  %s\n", "game", "max", "static Avg",
               "static Final", "tabular Avg", "tabular Final", "jitrl Avg", "jitrl Final", "s/episode",
               "paper Avg/Final static  jitrl");
    if (json) printf("{\"games\":[\n");
    int first = 1;
    for (size_t g = 0; g <= n_files && !status; g++) {
        const char *file = g < n_files ? files[g] : NULL;   /* last: the built-in game */
        play_story story;
        if (play_story_load(file, &story)) {
            status = 1;
            break;
        }
        if (only && !strstr(only, story.name)) {
            play_story_free(&story);
            continue;
        }
        jitrl_summary *s[N_AGENTS] = {NULL, NULL, NULL};
        jitrl_agent_kind kinds[N_AGENTS];
        play_agent_kinds("all", kinds);
        play_progress *prog = play_progress_new(progress, (long)o.runs * o.episodes * N_AGENTS);
        status = play_batches(&o, kinds, N_AGENTS, &story, prog, s);
        play_progress_free(prog);
        if (s[0] && s[1] && s[2]) {
            if (json) {
                for (int k = 0; k < N_AGENTS; k++) {
                    char *text = jitrl_summary_to_json(s[k]);
                    if (text) printf("%s%s", first ? "" : ",", text);
                    first = 0;
                    free(text);
                }
                fflush(stdout);
            } else {
                print_row(s, paper);
            }
        }
        for (int k = 0; k < N_AGENTS; k++) jitrl_summary_free(s[k]);
        play_story_free(&story);
    }
    if (json) printf("]}\n");
    else printf("(%d runs of %d episodes x %d steps per game and agent, offline, uniform prior; mean +- 95%% CI "
                "over runs; paper: Li et al. 2026 Table 3, Gemini-2.5-flash)\n", o.runs, o.episodes, o.max_steps);
    for (size_t i = 0; i < n_files; i++) free(files[i]);
    free(files);
    jitrl_paper_free(paper);
    return status;
}
