/*
 * test_env.c -- the environment on the ten Jericho games and on our own.
 *
 *  - every walkthrough replays through step() to the facts' final score;
 *    at sampled steps the env's score and moves equal what the game itself
 *    answers to `score` (run on a saved state, then restored), and the final
 *    score equals what dfrotz prints for `score` after the same walkthrough;
 *  - get/set state round-trips exactly (observation, valid actions, hash),
 *    also into a second handle;
 *  - the generic fallback (facts disabled) reads the score of our own games
 *    and of zork1 (version 3 status-line globals);
 *  - a story that is not a game (CZECH) gets a clear message.
 * Recall of valid actions is test_env_recall.c.
 */
#include "jitrl/zgame.h"
#include "testutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct game {
    char name[32], file[64], victory[8];
    int seed, max, result;
} game;

static int load_games(const char *shared, game *g, int max)
{
    FILE *f = fopen(tu_path(shared, "jericho/games.tsv"), "r");
    if (!f) return 0;
    char line[2048];
    int n = 0;
    char *fld[16];
    int nf;
    while (n < max && (nf = tu_games_row(f, line, sizeof line, fld, 16)) >= 0) {
        if (nf < 15) continue;
        snprintf(g[n].name, sizeof g[n].name, "%s", fld[0]);
        snprintf(g[n].file, sizeof g[n].file, "%s", fld[1]);
        g[n].seed = (int)strtol(fld[6], NULL, 10);
        g[n].max = (int)strtol(fld[7], NULL, 10);
        g[n].result = (int)strtol(fld[14], NULL, 10);
        n++;
    }
    fclose(f);
    return n;
}


/* The first integer after "score" in the game's answer, and the moves. */
static int parse_score(const char *t, int *score, int *moves)
{
    const char *p = strstr(t, "score");
    if (!p) p = strstr(t, "scored");
    if (!p) return 0;
    while (*p && !isdigit((unsigned char)*p) && *p != '-') p++;
    if (!*p) return 0;
    *score = (int)strtol(p, (char **)&p, 10);
    const char *m = strstr(p, " in ");
    *moves = -1;
    if (m && isdigit((unsigned char)m[4])) *moves = (int)strtol(m + 4, NULL, 10);
    return 1;
}

/* Ask the game for its score on a saved state; restore afterwards. */
static void check_score_at(jitrl_env *e, const game *g, size_t step, const jitrl_obs *now)
{
    size_t cap = jitrl_env_state_size(e), len = 0;
    void *buf = malloc(cap);
    CHECK_INT(jitrl_env_get_state(e, buf, cap, &len), JITRL_OK);
    jitrl_obs o;
    if (jitrl_env_step(e, "score", &o) == JITRL_OK) {
        int s, m;
        if (parse_score(o.text, &s, &m)) {
            CHECK_MSG(s == now->score, "%s step %zu: env score %d, game says %d", g->name, step, now->score, s);
            /* Inform counts the `score` turn itself in some games; allow that */
            if (m >= 0)
                CHECK_MSG(m == now->moves || m == now->moves + 1, "%s step %zu: env moves %d, game says %d",
                          g->name, step, now->moves, m);
        }
    }
    CHECK_INT(jitrl_env_set_state(e, buf, len), JITRL_OK);
    free(buf);
}

/* dfrotz's own answer to `score` after the whole walkthrough. */
static int dfrotz_final_score(const char *shared, const game *g)
{
    if (system("test -x /usr/games/dfrotz") != 0) return -1;
    char cmd[2048];
    char walk[512], story[512];
    snprintf(walk, sizeof walk, "%s/jericho/walkthroughs/%s.txt", shared, g->name);
    snprintf(story, sizeof story, "%s/jericho/%s", shared, g->file);
    snprintf(cmd, sizeof cmd, "(%s cat '%s'; echo score) | /usr/games/dfrotz -m -p -q -s %d '%s' 2>/dev/null",
             strcmp(g->name, "library") ? "" : "echo;", walk, g->seed, story);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[1024];
    int last = -1;
    while (fgets(line, sizeof line, p)) {
        int s, m;
        if ((strstr(line, "Your score is") || strstr(line, "scored") || strstr(line, "score is")) &&
            parse_score(line, &s, &m))
            last = s;
    }
    pclose(p);
    return last;
}

static void test_game(const char *shared, const game *g, int sanitized)
{
    char story[512], walk[512];
    snprintf(story, sizeof story, "%s/jericho/%s", shared, g->file);
    snprintf(walk, sizeof walk, "%s/jericho/walkthroughs/%s.txt", shared, g->name);
    jitrl_env *e = NULL;
    char err[256];
    jitrl_zgame_options opt;
    jitrl_zgame_options_init(&opt);
    if (jitrl_zgame_open_file(story, &opt, &e, err, sizeof err) != JITRL_OK) {
        CHECK_MSG(0, "open %s: %s", story, err);
        return;
    }
    CHECK_STR(jitrl_env_name(e), g->name);
    CHECK_INT(jitrl_zgame_known(e), 1);
    CHECK_INT(jitrl_zgame_seed(e), g->seed);
    CHECK_INT(jitrl_zgame_max_score(e), g->max);
    size_t n;
    char **steps = tu_read_lines(walk, &n);
    CHECK(steps != NULL);
    jitrl_obs o;
    CHECK_INT(jitrl_env_reset(e, &o), JITRL_OK);
    CHECK_INT(o.reward, 0);
    CHECK_INT(o.max_score, g->max);
    int initial = o.score;
    size_t every = n / (sanitized ? 3 : 8) + 1;
    double total = 0;
    size_t i;
    for (i = 0; i < n && !o.done; i++) {
        if (i % every == every / 2) check_score_at(e, g, i, &o);
        int before = o.score;
        int rc = jitrl_env_step(e, steps[i], &o);
        CHECK_MSG(rc == JITRL_OK, "%s step %zu '%s': %s", g->name, i, steps[i], jitrl_env_errmsg(e));
        if (rc) break;
        CHECK_NEAR(o.reward, o.score - before, 1e-9);
        total += o.reward;
        CHECK_MSG(!o.death, "%s: died at step %zu '%s'", g->name, i, steps[i]);
    }
    CHECK_MSG(o.score == g->result, "%s: walkthrough ends with score %d, facts say %d", g->name, o.score, g->result);
    CHECK_NEAR(total, o.score - initial, 1e-9);
    printf("FIGURE env %s: %zu/%zu steps, score %d/%d, done=%d victory=%d\n", g->name, i, n, o.score, o.max_score,
           o.done, o.victory);
    if (o.score == g->max) CHECK_MSG(o.done && o.victory, "%s: full score but no victory", g->name);
    if (!sanitized) {
        int d = dfrotz_final_score(shared, g);
        if (d >= 0) CHECK_MSG(d == o.score, "%s: dfrotz says %d, env %d", g->name, d, o.score);
    }
    tu_free_lines(steps, n);
    jitrl_env_close(e);
}

/* get/set state: same observation, valid actions and hash, in this handle
 * and in a fresh one. */
static void test_roundtrip(const char *shared)
{
    char story[512];
    snprintf(story, sizeof story, "%s/jericho/games/zork1.z5", shared);
    jitrl_env *e = NULL, *f = NULL;
    char err[256];
    CHECK_INT(jitrl_zgame_open_file(story, NULL, &e, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_zgame_open_file(story, NULL, &f, err, sizeof err), JITRL_OK);
    if (!e || !f) return;
    /* the kind's constant info, which the agent takes instead of knowing text games */
    const jitrl_env_info *in = jitrl_env_info_get(e);
    CHECK_STR(jitrl_env_kind(e), "zgame");
    CHECK_STR(in->name, "zork1");
    CHECK_STR(in->preset, "text");
    CHECK_STR(in->task, "Play the text adventure zork1 and maximise the score.");
    CHECK(in->system_prompt && strstr(in->system_prompt, "text adventure") != NULL);
    CHECK_NEAR(in->reward_lo, -10, 0);
    CHECK_NEAR(in->reward_hi, 10, 0);
    CHECK_INT(in->n_fallback, 9);
    CHECK_INT(in->n_fields, 2);
    if (in->n_fields == 2) {
        CHECK_STR(in->fields[0].name, "current");
        CHECK_INT(in->fields[0].ngram, 4);
        CHECK_STR(in->fields[1].name, "history");
    }
    jitrl_obs o;
    jitrl_env_reset(e, &o);
    /* retrieval sees "current" alone (the agent adds "history"); the model
     * sees its parts and the score */
    const jitrl_field *sf, *pf;
    size_t nsf, npf;
    jitrl_zgame_state_text zs;
    CHECK_INT(jitrl_env_state_fields(e, &sf, &nsf), JITRL_OK);
    CHECK_INT(jitrl_env_prompt_fields(e, &pf, &npf), JITRL_OK);
    CHECK_INT(jitrl_zgame_state(e, &zs), JITRL_OK);
    CHECK_INT(nsf, 1);
    CHECK_INT(npf, 4);
    if (nsf == 1 && npf == 4) {
        CHECK_STR(sf[0].name, "current");
        CHECK_STR(sf[0].text, zs.current);
        CHECK_STR(pf[0].text, zs.location);
        CHECK_STR(pf[2].name, "visible objects");
        CHECK_STR(pf[3].text, "0");
    }
    CHECK_STR(jitrl_env_observation(e), o.text);
    const char *pre[] = {"north", "north", "up", "take egg"};
    for (size_t i = 0; i < 4; i++) jitrl_env_step(e, pre[i], &o);
    char *obs1 = strdup(o.text);
    uint64_t h1 = jitrl_env_hash(e);
    const char *const *acts;
    size_t n1, n2;
    CHECK_INT(jitrl_env_actions(e, &acts, &n1), JITRL_OK);
    char **copy = calloc(n1 + 1, sizeof *copy);
    for (size_t i = 0; i < n1; i++) copy[i] = strdup(acts[i]);
    size_t cap = jitrl_env_state_size(e), len;
    void *buf = malloc(cap);
    CHECK_INT(jitrl_env_get_state(e, buf, cap - 1, &len), JITRL_ETOOBIG);
    CHECK_INT(jitrl_env_get_state(e, buf, cap, &len), JITRL_OK);
    jitrl_env_step(e, "down", &o);
    jitrl_env_step(e, "south", &o);
    CHECK(jitrl_env_hash(e) != h1);
    for (int round = 0; round < 2; round++) {
        jitrl_env *t = round ? f : e;
        CHECK_INT(jitrl_env_set_state(t, buf, len), JITRL_OK);
        CHECK(jitrl_env_hash(t) == h1);
        jitrl_zgame_state_text st;
        CHECK_INT(jitrl_zgame_state(t, &st), JITRL_OK);
        CHECK_STR(st.observation, obs1);
        CHECK_STR(st.location, "Up a Tree");
        CHECK(strstr(st.inventory, "egg") != NULL);
        CHECK_INT(jitrl_env_actions(t, &acts, &n2), JITRL_OK);
        CHECK_INT(n2, n1);
        for (size_t i = 0; i < n1 && i < n2; i++) CHECK_STR(acts[i], copy[i]);
        /* the same next step from the restored state */
        jitrl_obs a, b;
        CHECK_INT(jitrl_env_step(t, "down", &a), JITRL_OK);
        CHECK_INT(jitrl_env_set_state(t, buf, len), JITRL_OK);
        CHECK_INT(jitrl_env_step(t, "down", &b), JITRL_OK);
        CHECK_STR(a.text, b.text);
    }
    /* bad blobs are refused and leave the state alone */
    uint64_t hf = jitrl_env_hash(f);
    ((unsigned char *)buf)[10] ^= 1;
    CHECK_INT(jitrl_env_set_state(f, buf, len), JITRL_ECORRUPT);
    CHECK_INT(jitrl_env_set_state(f, buf, 3), JITRL_ECORRUPT);
    CHECK(jitrl_env_hash(f) == hf);
    int changes;
    long idx;
    CHECK_INT(jitrl_zgame_check_action(e, "take egg", &changes, &idx), JITRL_OK);
    for (size_t i = 0; i < n1; i++) free(copy[i]);
    free(copy);
    free(buf);
    free(obs1);
    jitrl_env_close(e);
    jitrl_env_close(f);
}

/* Facts disabled: zork1 through the v3 status-line globals must agree with
 * the facts; our own Inform games through the `score` verb. */
static void test_fallback(const char *shared)
{
    char story[512];
    snprintf(story, sizeof story, "%s/jericho/games/zork1.z5", shared);
    jitrl_zgame_options opt;
    jitrl_zgame_options_init(&opt);
    opt.use_facts = 0;
    opt.seed = 12;
    jitrl_env *e = NULL, *k = NULL;
    char err[256];
    CHECK_INT(jitrl_zgame_open_file(story, &opt, &e, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_zgame_open_file(story, NULL, &k, err, sizeof err), JITRL_OK);
    if (e && k) {
        CHECK_INT(jitrl_zgame_known(e), 0);
        CHECK_STR(jitrl_env_name(e), "zork1");
        jitrl_obs a, b;
        jitrl_env_reset(e, &a);
        jitrl_env_reset(k, &b);
        const char *cmds[] = {"north", "north", "up", "take egg", "down", "south", "east", "open window", "west"};
        for (size_t i = 0; i < 9; i++) {
            jitrl_env_step(e, cmds[i], &a);
            jitrl_env_step(k, cmds[i], &b);
            CHECK_INT(a.score, b.score);
            CHECK_INT(a.moves, b.moves);
        }
        CHECK_INT(a.score, 15);
    }
    jitrl_env_close(e);
    jitrl_env_close(k);

    /* the built-in game, by its walkthrough */
    char path[1024];
    snprintf(path, sizeof path, "%s/games/jitrl_cave.z5", tu_build());
    e = NULL;
    if (jitrl_zgame_open_file(path, &opt, &e, err, sizeof err) == JITRL_OK) {
        jitrl_obs o;
        CHECK_INT(jitrl_env_reset(e, &o), JITRL_OK);
        CHECK(o.max_score > 0);
        /* the turn counter, found by two waits (Inform 6/11 keeps it in
         * global 3, after the score), stays out of the world hash; the
         * score does not */
        jitrl_env_step(e, "wait", &o);   /* the first parse sets the parser's globals */
        uint64_t h0 = jitrl_env_hash(e);
        jitrl_env_step(e, "wait", &o);
        CHECK(o.moves > 0);
        CHECK(jitrl_env_hash(e) == h0);
        CHECK_INT(jitrl_env_reset(e, &o), JITRL_OK);
        char walk[1024];
        snprintf(walk, sizeof walk, "%s/games/jitrl_cave.walk", getenv("JITRL_ROOT") ? getenv("JITRL_ROOT") : ".");
        size_t n;
        char **steps = tu_read_lines(walk, &n);
        int last = 0, moves = 0;
        for (size_t i = 0; steps && i < n && !o.done; i++) {
            jitrl_env_step(e, steps[i], &o);
            CHECK(o.score >= 0 && o.score <= o.max_score);
            last = o.score;
            moves = o.moves;
        }
        printf("FIGURE env fallback jitrl_cave: score %d/%d after %d moves, done=%d victory=%d\n", last, o.max_score,
               moves, o.done, o.victory);
        CHECK_INT(last, o.max_score);   /* the winning move's points, read from the game's last words */
        CHECK(o.victory);
        CHECK(moves > 0);
        const char *const *acts;
        size_t na;
        if (!o.done) CHECK_INT(jitrl_env_actions(e, &acts, &na), JITRL_OK);
        tu_free_lines(steps, n);
        jitrl_env_close(e);
    }
}

static void test_not_a_game(const char *shared)
{
    char story[512];
    snprintf(story, sizeof story, "%s/zmachine-tests/czech/czech.z5", shared);
    jitrl_env *e = NULL;
    char err[256];
    if (jitrl_zgame_open_file(story, NULL, &e, err, sizeof err) != JITRL_OK) {
        CHECK_MSG(0, "czech: %s", err);
        return;
    }
    jitrl_obs o;
    int rc = jitrl_env_reset(e, &o);
    CHECK(rc == JITRL_OK || rc == JITRL_EBUDGET || rc == JITRL_EVM);
    const char *const *acts;
    size_t n;
    CHECK_INT(jitrl_env_actions(e, &acts, &n), JITRL_EUNSUPPORTED);
    CHECK(strstr(jitrl_env_errmsg(e), "not an Infocom or Inform text adventure") != NULL);
    printf("FIGURE env czech: %s\n", jitrl_env_errmsg(e));
    jitrl_env_close(e);

    /* garbage and empty input */
    unsigned char junk[100] = {0};
    CHECK(jitrl_zgame_open_buffer(junk, sizeof junk, NULL, &e, err, sizeof err) != JITRL_OK);
    CHECK(e == NULL);
    CHECK(jitrl_zgame_open_buffer(junk, 0, NULL, &e, err, sizeof err) != JITRL_OK);
    CHECK(jitrl_zgame_open_file("/nonexistent/story.z5", NULL, &e, err, sizeof err) == JITRL_EIO);
    jitrl_env_close(NULL);
}

int main(void)
{
    const char *shared = tu_shared();
    int sanitized = getenv("JITRL_SANITIZED") != NULL;
    game g[16];
    int n = load_games(shared, g, 16);
    CHECK_INT(n, 10);
    for (int i = 0; i < n; i++) test_game(shared, &g[i], sanitized);
    test_roundtrip(shared);
    test_fallback(shared);
    test_not_a_game(shared);
    return tu_done();
}
