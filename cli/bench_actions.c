/*
 * bench_actions.c -- `jitrl bench actions [--json] [--shared DIR] [--steps N]`:
 * valid actions along every Jericho walkthrough in ../shared/jericho (or
 * $JITRL_SHARED/jericho): median and p95 ms per state cold, memoised,
 * candidates tried per state, and recall.  Prints figures; never fails on
 * speed.  The per-game work is actions_walk() in cmd_actions.c.
 */
#include "cli.h"
#include "actions_walk.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: jitrl bench actions [--json] [--shared DIR] [--steps N] [--game NAME]\n");
}

int bench_actions(int argc, char **argv)
{
    int json = 0, steps = 0;
    const char *shared = getenv("JITRL_SHARED"), *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--shared") && i + 1 < argc) shared = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--game") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--help")) { usage(stdout); return 0; }
        else { usage(stderr); return 2; }
    }
    if (!shared) shared = "../shared";
    char path[1024];
    snprintf(path, sizeof path, "%s/jericho/games.tsv", shared);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "jitrl bench actions: cannot read %s (set --shared or JITRL_SHARED)\n", path);
        return 1;
    }
    jr_buf out;
    jr_buf_init(&out, 1 << 24);
    jr_buf_puts(&out, "{\"games\":[");
    if (!json)
        printf("%-10s %6s %7s %9s %9s %10s %10s\n", "game", "states", "recall", "cold_ms", "cold_p95", "memo_ms",
               "candidates");
    char line[2048];
    int n = 0, fail = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strncmp(line, "game\t", 5)) continue;
        char *fld[16];
        int nf = 0;
        for (char *p = line, *t; nf < 16 && (t = strsep(&p, "\t\n"));) fld[nf++] = t;
        if (nf < 7 || (only && strcmp(fld[0], only))) continue;
        char story[1200], walk[1200];
        snprintf(story, sizeof story, "%s/jericho/%s", shared, fld[1]);
        snprintf(walk, sizeof walk, "%s/jericho/walkthroughs/%s.txt", shared, fld[0]);
        walk_opts o = {0};
        o.story = story;
        o.walkthrough = walk;
        o.seed = strtol(fld[6], NULL, 10);
        o.max_steps = steps;
        o.out = stdout;
        jr_buf one;
        jr_buf_init(&one, 1 << 22);
        if (actions_walk(&o, &one)) { fail = 1; jr_buf_free(&one); continue; }
        if (n++) jr_buf_putc(&out, ',');
        jr_buf_puts(&out, jr_buf_str(&one));
        if (!json) {
            json_t *j = json_loads(jr_buf_str(&one), 0, NULL);
            if (j) {
                printf("%-10s %6lld %7.3f %9.1f %9.1f %10.4f %10.0f\n", fld[0],
                       (long long)json_integer_value(json_object_get(j, "states")),
                       json_number_value(json_object_get(j, "recall")),
                       json_number_value(json_object_get(j, "ms_cold_median")),
                       json_number_value(json_object_get(j, "ms_cold_p95")),
                       json_number_value(json_object_get(j, "ms_cached_median")),
                       json_number_value(json_object_get(j, "candidates_median")));
                fflush(stdout);
                json_decref(j);
            }
        }
        jr_buf_free(&one);
    }
    fclose(f);
    jr_buf_puts(&out, "]}");
    if (json) printf("%s\n", jr_buf_str(&out));
    jr_buf_free(&out);
    return fail;
}
