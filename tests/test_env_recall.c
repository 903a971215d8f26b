/*
 * test_env_recall.c -- recall of valid actions along the ten walkthroughs,
 * sampled: at evenly spaced states (reached by replaying the walkthrough
 * through step()) the walkthrough's command, if it changes the world, must
 * be in the valid set or have the identical outcome as one that is.  Misses
 * are printed as FIGURE lines.  The full per-game recall (every state) is
 * `jitrl bench actions` and the acceptance check actions-recall; this test
 * keeps to about a minute (fewer samples under JITRL_SANITIZED).  Also
 * checks that a revisited state is answered from the memo.
 */
#include "jitrl/zgame.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>


int main(void)
{
    const char *shared = tu_shared();
    int sanitized = getenv("JITRL_SANITIZED") != NULL;
    int samples = sanitized ? 1 : 6;
    FILE *f = fopen(tu_path(shared, "jericho/games.tsv"), "r");
    CHECK(f != NULL);
    if (!f) return tu_done();
    char line[2048];
    size_t all_changing = 0, all_hits = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strncmp(line, "game\t", 5)) continue;
        char *fld[16];
        int nf = 0;
        for (char *p = line, *t; nf < 16 && (t = strsep(&p, "\t\n"));) fld[nf++] = t;
        if (nf < 7) continue;
        char story[512], walk[512];
        snprintf(story, sizeof story, "%s/jericho/%s", shared, fld[1]);
        snprintf(walk, sizeof walk, "%s/jericho/walkthroughs/%s.txt", shared, fld[0]);
        jitrl_env *e = NULL;
        char err[256];
        if (jitrl_zgame_open_file(story, NULL, &e, err, sizeof err)) {
            CHECK_MSG(0, "%s: %s", story, err);
            continue;
        }
        size_t n;
        char **steps = tu_read_lines(walk, &n);
        jitrl_obs o;
        jitrl_env_reset(e, &o);
        size_t every = n / (size_t)samples + 1, changing = 0, hits = 0;
        char misses[1024] = "";
        double ms = 0;
        for (size_t i = 0; steps && i < n && !o.done; i++) {
            if (i % every == every / 2) {
                int ch;
                long idx;
                CHECK_INT(jitrl_zgame_check_action(e, steps[i], &ch, &idx), JITRL_OK);
                jitrl_zgame_action_stats st;
                jitrl_zgame_last_action_stats(e, &st);
                ms += st.ms;
                if (ch) {
                    changing++;
                    if (idx >= 0) hits++;
                    else {
                        size_t l = strlen(misses);
                        snprintf(misses + l, sizeof misses - l, "%s'%s'", l ? ", " : "", steps[i]);
                    }
                }
                /* the same state again comes from the memo */
                const char *const *acts;
                size_t na;
                CHECK_INT(jitrl_env_actions(e, &acts, &na), JITRL_OK);
            }
            if (jitrl_env_step(e, steps[i], &o)) break;
        }
        printf("FIGURE recall %s: %zu/%zu sampled world-changing steps%s%s\n", fld[0], hits, changing,
               misses[0] ? "; misses: " : "", misses);
        all_changing += changing;
        all_hits += hits;
        for (size_t i = 0; steps && i < n; i++) free(steps[i]);
        free(steps);
        jitrl_env_close(e);
    }
    fclose(f);
    double r = all_changing ? (double)all_hits / (double)all_changing : 1;
    printf("FIGURE recall sampled overall: %.3f (%zu/%zu)\n", r, all_hits, all_changing);
    CHECK_MSG(r >= (sanitized ? 0.8 : 0.9), "sampled recall %.3f too low", r);
    return tu_done();
}
