/*
 * test_env_recall.c -- recall of valid actions along the ten walkthroughs,
 * sampled: at evenly spaced states (reached by replaying the walkthrough
 * through step()) the walkthrough's command, if it changes the world, must
 * be in the valid set or have the identical outcome as one that is.  Misses
 * are printed as FIGURE lines.  The full per-game recall (every state) is
 * `jitrl bench actions` and the acceptance check actions-recall; this test
 * keeps to about a minute (fewer samples under JITRL_SANITIZED).  Also
 * checks that a revisited state (left by a step, restored by set_state) is
 * answered from the memo, with the same list: the count of memo answers
 * must equal the count of revisits, and there must be revisits.
 */
#include "jitrl/zgame.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The list as one number (order and text). */
static uint64_t list_sum(const char *const *acts, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ n;
    for (size_t i = 0; i < n; i++)
        for (const char *p = acts[i]; ; p++) {
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
            if (!*p) break;
        }
    return h;
}

/* Leave the state by `cmd` and come back by set_state: the valid actions
 * must then come from the memo, and be the same list.  1 = they did. */
static int revisit_from_memo(jitrl_env *e, const char *cmd)
{
    const char *const *acts;
    size_t na;
    if (jitrl_env_actions(e, &acts, &na)) return 0;
    uint64_t before = list_sum(acts, na);
    size_t cap = jitrl_env_state_size(e), len = 0;
    void *buf = malloc(cap ? cap : 1);
    jitrl_obs o;
    int ok = buf && !jitrl_env_get_state(e, buf, cap, &len) && !jitrl_env_step(e, cmd, &o) &&
             !jitrl_env_set_state(e, buf, len) && !jitrl_env_actions(e, &acts, &na);
    jitrl_zgame_action_stats st;
    ok = ok && !jitrl_zgame_last_action_stats(e, &st) && st.cached && list_sum(acts, na) == before;
    free(buf);
    return ok;
}


int main(void)
{
    const char *shared = tu_shared();
    int sanitized = getenv("JITRL_SANITIZED") != NULL;
    int samples = sanitized ? 1 : 6;
    FILE *f = fopen(tu_path(shared, "jericho/games.tsv"), "r");
    CHECK(f != NULL);
    if (!f) return tu_done();
    char line[2048];
    size_t all_changing = 0, all_hits = 0, revisits = 0, from_memo = 0;
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
                revisits++;
                from_memo += revisit_from_memo(e, steps[i]);
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
    double r = all_changing ? (double)all_hits / (double)all_changing : 0;   /* nothing sampled: no recall */
    printf("FIGURE recall sampled overall: %.3f (%zu/%zu)\n", r, all_hits, all_changing);
    printf("FIGURE memo: %zu of %zu revisited states answered from the memo, same list\n", from_memo, revisits);
    CHECK(revisits > 0);
    CHECK_INT(from_memo, revisits);
    CHECK_MSG(r >= (sanitized ? 0.8 : 0.9), "sampled recall %.3f too low", r);
    return tu_done();
}
