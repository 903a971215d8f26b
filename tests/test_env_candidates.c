/*
 * test_env_candidates.c -- the candidate half of valid actions
 * (src/env/zgame/candidates.c, src/env/zgame/state.c) on the stories where each mechanism is
 * needed: Infocom local globals and adjectives (zork3's Royal Puzzle walls),
 * nouns only the game's scope routines reach and a verb only its own code
 * produces (balances' spells: "learn rezrov", "rezrov box"), a name word
 * telling namesakes apart (balances' silver coin), and the player as "me".
 * Each case replays a walkthrough prefix on a bare machine, so it runs in
 * well under a second.
 */
#include "base/alloc.h"
#include "env/zgame/candidates.h"
#include "env/zgame/env_int.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct story {
    jitrl_zvm *vm;
    env_grammar g;
    env_world w;
} story;

/* Open the game, replay `steps` walkthrough commands. */
static int open_at(const char *game, int32_t seed, size_t steps, story *s)
{
    char path[512], walk[512], err[256];
    snprintf(path, sizeof path, "%s/jericho/games/%s.z5", tu_shared(), game);
    snprintf(walk, sizeof walk, "%s/jericho/walkthroughs/%s.txt", tu_shared(), game);
    memset(s, 0, sizeof *s);
    jitrl_zvm_options opt;
    jitrl_zvm_options_init(&opt);
    opt.seed = seed;
    if (jitrl_zvm_open_file(path, &opt, &s->vm, err, sizeof err)) {
        CHECK_MSG(0, "%s: %s", path, err);
        return 0;
    }
    CHECK_INT(env_grammar_parse(s->vm, &s->g, err, sizeof err), JITRL_OK);
    jitrl_zvm_stop stop;
    CHECK_INT(jitrl_zvm_run(s->vm, 50000000, &stop), JITRL_OK);
    env_world_init(s->vm, &s->g, &s->w);   /* at the first prompt, as the env does */
    size_t n = 0;
    char **lines = tu_read_lines(walk, &n);
    for (size_t i = 0; lines && i < steps && i < n; i++) {
        env_clear_output(s->vm);
        CHECK_INT(jitrl_zvm_input(s->vm, lines[i]), JITRL_OK);
        CHECK_INT(jitrl_zvm_run(s->vm, 50000000, &stop), JITRL_OK);
    }
    tu_free_lines(lines, n);
    return 1;
}

static void close_story(story *s)
{
    env_grammar_free(&s->g);
    jitrl_zvm_close(s->vm);
}

/* The nouns at the story's state, with no observation text. */
static size_t collect(story *s, env_noun *nouns)
{
    uint64_t tk;
    return env_collect_nouns(s->vm, &s->g, &s->w, "", "", nouns, ENV_MAX_NOUNS, &tk);
}

static const env_noun *find_noun(const env_noun *v, size_t n, const char *phrase, int kind)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].phrase, phrase) && (kind < 0 || v[i].kind == kind)) return &v[i];
    return NULL;
}

static int has_cand(const env_cands *c, const char *cmd)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(env_cand(c, i), cmd)) return 1;
    return 0;
}

/* Zork III, in the Royal Puzzle: the walls are local globals, and
 * "southern" reads as "southe" (a direction), so the adjective names them. */
static void test_local_globals(void)
{
    story s;
    if (!open_at("zork3", 0, 164, &s)) return;
    CHECK(s.w.global_prop != 0);
    CHECK(s.w.local_globals != 0);
    env_noun nouns[ENV_MAX_NOUNS];
    size_t n = collect(&s, nouns);
    CHECK(find_noun(nouns, n, "south wall", EN_SCOPE) != NULL);
    CHECK(find_noun(nouns, n, "north wall", EN_SCOPE) != NULL);
    CHECK(find_noun(nouns, n, "me", EN_SELF) != NULL);
    for (size_t i = 0; i < n; i++) CHECK(nouns[i].kind != EN_REMOTE);   /* Infocom: none */
    env_cands c;
    env_cands_init(&c);
    CHECK_INT(env_generate(&c, s.vm, &s.g, nouns, n), JITRL_OK);
    CHECK(c.n > 0 && c.n <= 2000);
    env_cands_free(&c);
    close_story(&s);
}

/* Balances after "search furniture": "learn rezrov" needs the spell the
 * book's scope routine reaches; after "learn rezrov" the spell's name is
 * the verb ("rezrov box"). */
static void test_spells(void)
{
    story s;
    if (!open_at("balances", 0, 1, &s)) return;
    env_noun nouns[ENV_MAX_NOUNS];
    size_t n = collect(&s, nouns);
    const env_noun *rez = find_noun(nouns, n, "rezrov", EN_REMOTE);
    CHECK(rez != NULL);
    CHECK(rez && !rez->in_mind);
    env_cands c;
    env_cands_init(&c);
    CHECK_INT(env_generate(&c, s.vm, &s.g, nouns, n), JITRL_OK);
    CHECK(has_cand(&c, "memorise rezrov"));
    CHECK(!has_cand(&c, "rezrov box"));   /* not memorised yet */
    close_story(&s);

    if (!open_at("balances", 0, 2, &s)) { env_cands_free(&c); return; }
    n = collect(&s, nouns);
    rez = find_noun(nouns, n, "rezrov", EN_REMOTE);
    CHECK(rez && rez->in_mind);
    CHECK_INT(env_generate(&c, s.vm, &s.g, nouns, n), JITRL_OK);
    CHECK(has_cand(&c, "rezrov box"));
    env_cands_free(&c);
    close_story(&s);
}

/* Balances in the cave, holding the player's silver coin among bronze and
 * gold ones: the phrase names it by a word the others lack. */
static void test_name_word(void)
{
    story s;
    if (!open_at("balances", 0, 40, &s)) return;
    env_noun nouns[ENV_MAX_NOUNS];
    size_t n = collect(&s, nouns);
    CHECK(find_noun(nouns, n, "silver coin", EN_SCOPE) != NULL);
    CHECK(find_noun(nouns, n, "bronze coin", EN_SCOPE) != NULL);
    close_story(&s);
}

/* The numbers of recent observations ("ticket 2306" is shown once, typed
 * later): kept for a few observations, not aged by asking again, and only
 * whole digit runs. */
static void test_numbers(void)
{
    env_numbers m = {0};
    char *t = env_numbers_join(&m, "\"Hope he doesn't pick 2306!\" thinks the barker. Room A2.");
    CHECK(t && strstr(t, " 2306") && m.n == 1);   /* not the 2 of "A2" */
    jr_free(t);
    t = env_numbers_join(&m, "You take lottery ticket 5802 out of the board.");
    CHECK(t && strstr(t, " 5802") && strstr(t, " 2306"));
    jr_free(t);
    for (int i = 0; i < 5; i++) jr_free(env_numbers_join(&m, "Time passes."));   /* the same text: no new observation */
    CHECK_INT((int)m.n, 2);
    jr_free(env_numbers_join(&m, "The barker smiles."));
    jr_free(env_numbers_join(&m, "Time passes."));
    jr_free(env_numbers_join(&m, "The barker frowns."));
    CHECK_INT((int)m.n, 0);
}

int main(void)
{
    test_numbers();
    char probe[512];
    snprintf(probe, sizeof probe, "%s/jericho/games/zork3.z5", tu_shared());
    FILE *f = fopen(probe, "rb");
    if (!f) tu_skip("no Jericho stories");
    fclose(f);
    test_local_globals();
    test_spells();
    test_name_word();
    return tu_done();
}
