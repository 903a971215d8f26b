/*
 * test_zgame_progress.c -- jitrl_zgame_player and jitrl_zgame_progress,
 * the accessors the Python FrotzEnv reads Jericho's get_score, get_moves,
 * victory, game_over and get_player_object from: on the built-in game,
 * before reset, along the winning walkthrough (each step's progress equals
 * the step's observation), at the victory, and after set_state into a
 * fresh handle (the progress of the saved state, not of the fresh one,
 * and the saving handle's world hash).
 */
#include "jitrl/zgame.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void expect_progress(jitrl_env *e, const jitrl_obs *o)
{
    int s = -1, m = -1, d = -1, v = -1, k = -1;
    CHECK_INT(jitrl_zgame_progress(e, &s, &m, &d, &v, &k), JITRL_OK);
    CHECK_INT(s, o->score);
    CHECK_INT(m, o->moves);
    CHECK_INT(d, o->done);
    CHECK_INT(v, o->victory);
    CHECK_INT(k, o->death);
}

int main(void)
{
    size_t len = 0;
    unsigned char *story = tu_read_file(tu_path(tu_build(), "games/jitrl_cave.z5"), &len);
    if (!story) tu_skip("the built-in game is not built (BUILD/games/jitrl_cave.z5)");
    size_t nwalk = 0;
    char **walk = tu_read_lines(tu_path(getenv("JITRL_ROOT") ? getenv("JITRL_ROOT") : ".", "games/jitrl_cave.walk"),
                                &nwalk);
    CHECK(walk != NULL && nwalk > 5);
    if (!walk) return tu_done();
    char err[256];
    jitrl_env *e = NULL, *f = NULL;
    CHECK_INT(jitrl_zgame_open_buffer(story, len, NULL, &e, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_zgame_open_buffer(story, len, NULL, &f, err, sizeof err), JITRL_OK);
    /* before reset: nothing known, all zero, and NULL outputs are fine */
    CHECK_INT(jitrl_zgame_player(e), 0);
    int s = 9, d = 9;
    CHECK_INT(jitrl_zgame_progress(e, &s, NULL, &d, NULL, NULL), JITRL_OK);
    CHECK_INT(s, 0);
    CHECK_INT(d, 0);
    CHECK_INT(jitrl_zgame_progress(NULL, NULL, NULL, NULL, NULL, NULL), JITRL_EINVAL);
    CHECK_INT(jitrl_zgame_player(NULL), 0);

    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(e, &o), JITRL_OK);
    expect_progress(e, &o);
    unsigned player = jitrl_zgame_player(e);
    CHECK(player > 0);
    const jitrl_zvm *vm = jitrl_zgame_vm(e);
    CHECK(player <= jitrl_zvm_object_count(vm));
    char name[64];
    jitrl_zvm_object_name(vm, player, name, sizeof name);
    CHECK_MSG(!strcmp(name, "yourself") || !strcmp(name, "(self object)"), "player object is '%s'", name);
    unsigned char *mid = NULL;
    size_t mid_len = 0;
    int mid_score = -1, mid_moves = -1;
    uint64_t mid_hash = 0;
    for (size_t i = 0; i < nwalk && !o.done; i++) {
        CHECK_INT(jitrl_env_step(e, walk[i], &o), JITRL_OK);
        expect_progress(e, &o);
        CHECK_INT(jitrl_zgame_player(e), player);
        if (i == nwalk / 2) {
            mid_len = jitrl_env_state_size(e);
            mid = malloc(mid_len);
            CHECK_INT(jitrl_env_get_state(e, mid, mid_len, &mid_len), JITRL_OK);
            jitrl_zgame_progress(e, &mid_score, &mid_moves, NULL, NULL, NULL);
            mid_hash = jitrl_env_hash(e);
        }
    }
    CHECK_INT(o.done, 1);
    CHECK_INT(o.victory, 1);
    CHECK_INT(o.score, jitrl_zgame_max_score(e));
    int v = 0, k = 9;
    CHECK_INT(jitrl_zgame_progress(e, NULL, NULL, &d, &v, &k), JITRL_OK);
    CHECK_INT(d, 1);
    CHECK_INT(v, 1);
    CHECK_INT(k, 0);
    /* a fresh handle restored to the middle state reports that state */
    CHECK(mid != NULL);
    if (mid) {
        CHECK_INT(jitrl_env_set_state(f, mid, mid_len), JITRL_OK);
        int m = -1;
        CHECK_INT(jitrl_zgame_progress(f, &s, &m, &d, &v, NULL), JITRL_OK);
        CHECK_INT(s, mid_score);
        CHECK_INT(m, mid_moves);
        CHECK(mid_moves > 0);
        CHECK_INT(d, 0);
        CHECK_INT(v, 0);
        CHECK_INT(jitrl_zgame_player(f), player);
        /* and hashes as the saving handle did (the built-in game keeps its
         * score by verb: the fresh handle finds its turn counter at set_state) */
        CHECK(mid_hash != 0 && jitrl_env_hash(f) == mid_hash);
    }
    free(mid);
    jitrl_env_close(e);
    jitrl_env_close(f);
    tu_free_lines(walk, nwalk);
    free(story);
    return tu_done();
}
