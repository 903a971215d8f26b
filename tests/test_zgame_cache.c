/*
 * test_zgame_cache.c -- jitrl_zgame_cache (jitrl_zgame_options.actions_cache):
 * valid actions handed from one zgame handle to the next.
 *
 * `jitrl play` deals the static baseline's runs to lanes that share one
 * cache, so what matters is: a handle opened after another on the cache
 * answers a state the first computed from the memo, with the same list
 * (exact mode: answers are a function of the state); the first handle's
 * grammar, world and facts are not used after it closed (ASan sees a use
 * after free otherwise); a cache in use by an open handle is refused to a
 * second one (JITRL_ESTATE) until the first closes; a cache bound to one
 * fast_actions setting refuses the other (JITRL_EINVAL).
 */
#include "jitrl/zgame.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static unsigned char *story;
static size_t story_len;

/* Open and reset; *reset_rc is reset's code (a handle refused the cache
 * may fail there: reset finds the turn counter through valid actions when
 * the game has no facts). */
static jitrl_env *open_env(jitrl_zgame_cache *c, int fast, int *reset_rc)
{
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.threads = 1;
    eo.fast_actions = fast;
    eo.actions_cache = c;
    jitrl_env *e = NULL;
    char err[256];
    if (jitrl_zgame_open_buffer(story, story_len, &eo, &e, err, sizeof err)) {
        fprintf(stderr, "env: %s\n", err);
        exit(1);
    }
    jitrl_obs o;
    *reset_rc = jitrl_env_reset(e, &o);
    return e;
}

/* The actions at the current state as one '|'-joined string (malloc). */
static char *joined(jitrl_env *e, int *rc)
{
    const char *const *acts = NULL;
    size_t n = 0;
    *rc = jitrl_env_actions(e, &acts, &n);
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(acts[i]) + 1;
    char *s = calloc(1, len);
    for (size_t i = 0; s && i < n; i++) {
        strcat(s, acts[i]);
        strcat(s, "|");
    }
    return s;
}

int main(void)
{
    const char *path = tu_path(tu_build(), "games/jitrl_cave.z5");
    story = tu_read_file(path, &story_len);
    if (!story) tu_skip("the built-in game is not built (BUILD/games/jitrl_cave.z5)");
    jitrl_zgame_cache *c = NULL;
    CHECK_INT(jitrl_zgame_cache_open(&c), JITRL_OK);
    CHECK_INT(jitrl_zgame_cache_open(NULL), JITRL_EINVAL);

    /* the first handle computes the start state and one after a step */
    int rc;
    jitrl_env *a = open_env(c, 0, &rc);
    CHECK_INT(rc, JITRL_OK);
    char *first = joined(a, &rc);
    CHECK_INT(rc, JITRL_OK);
    jitrl_zgame_action_stats st;
    CHECK_INT(jitrl_zgame_last_action_stats(a, &st), JITRL_OK);
    CHECK_MSG(!st.cached && st.groups > 0, "the first handle computed the start (cached %d, %zu actions)", st.cached,
              st.groups);

    /* while a holds the cache, another handle cannot use it */
    jitrl_env *busy = open_env(c, 0, &rc);
    char *none = rc ? NULL : joined(busy, &rc);
    CHECK_INT(rc, JITRL_ESTATE);
    CHECK_MSG(strstr(jitrl_env_errmsg(busy), "in use") != NULL, "the refusal says why: %s", jitrl_env_errmsg(busy));
    jitrl_env_close(busy);   /* took nothing: gives nothing back */
    free(none);
    jitrl_env_close(a);

    /* the next handle: the start state from the memo, the same list */
    jitrl_env *b = open_env(c, 0, &rc);
    CHECK_INT(rc, JITRL_OK);
    char *second = joined(b, &rc);
    CHECK_INT(rc, JITRL_OK);
    CHECK_INT(jitrl_zgame_last_action_stats(b, &st), JITRL_OK);
    CHECK_MSG(st.cached == 1, "the second handle answered the start state from the cache (cached %d)", st.cached);
    CHECK_MSG(first && second && !strcmp(first, second), "the same actions: [%s] vs [%s]", first ? first : "",
              second ? second : "");
    /* a new state, computed on b's grammar and world (a's are freed) */
    jitrl_obs o;
    CHECK_INT(jitrl_env_step(b, "take lamp", &o), JITRL_OK);
    char *after = joined(b, &rc);
    CHECK_INT(rc, JITRL_OK);
    CHECK_MSG(after && strstr(after, "drop ") != NULL && !strstr(after, "take lamp"),
              "after taking the lamp it can be dropped, not taken: [%s]",
              after ? after : "");
    jitrl_env_close(b);

    /* bound to exact answers: a fast handle is refused */
    jitrl_env *f = open_env(c, 1, &rc);
    char *fast = rc ? NULL : joined(f, &rc);
    CHECK_INT(rc, JITRL_EINVAL);
    jitrl_env_close(f);
    printf("start state: %s\n", first ? first : "");
    free(first);
    free(second);
    free(after);
    free(fast);
    jitrl_zgame_cache_close(c);
    jitrl_zgame_cache_close(NULL);
    free(story);
    return tu_done();
}
