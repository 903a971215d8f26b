/*
 * actions_cache.c -- jitrl_zgame_cache: valid actions handed from one
 * environment to the next (jitrl_zgame_options.actions_cache).
 *
 * Why: `jitrl play` runs many short-lived environments of one story (runs
 * x agents), and computing valid actions is most of their time.  A state
 * one run computed is often met again by the next (every run starts at the
 * same states and random play wanders over the same rooms).  The cache
 * keeps one env_actions (memo, what fast mode learnt, worker machines)
 * alive between handles: an environment opened with it takes it on its
 * first jitrl_env_actions() and gives it back when closed.  Handles take
 * it one at a time, so the answers depend only on the order in which the
 * caller used them, never on threads.
 */
#include "env/zgame/actions_int.h"

#include "base/alloc.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

struct jitrl_zgame_cache {
    pthread_mutex_t lock;   /* busy and acts: a handle may close on another thread */
    env_actions *acts;      /* NULL until the first handle computed */
    uint8_t md5[16];
    int fast;
    int bound;              /* md5 and fast are set */
    int busy;               /* a handle holds acts */
};

int jitrl_zgame_cache_open(jitrl_zgame_cache **out)
{
    if (!out) return JITRL_EINVAL;
    jitrl_zgame_cache *c = jr_calloc(1, sizeof *c);
    *out = c;
    if (!c) return JITRL_ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    return JITRL_OK;
}

void jitrl_zgame_cache_close(jitrl_zgame_cache *c)
{
    if (!c) return;
    assert(!c->busy);   /* closed while a handle uses it: the caller's bug */
    env_actions_free(c->acts);
    pthread_mutex_destroy(&c->lock);
    jr_free(c);
}

int env_cache_take(jitrl_zgame_cache *c, const uint8_t md5[16], int fast, const env_grammar *g,
                   const env_world *w, const env_facts *f, env_actions **out, char *err, size_t errlen)
{
    *out = NULL;
    pthread_mutex_lock(&c->lock);
    int rc = JITRL_OK;
    if (c->busy) {
        snprintf(err, errlen, "the valid-actions cache is in use by another environment");
        rc = JITRL_ESTATE;
    } else if (c->bound && (memcmp(c->md5, md5, 16) || c->fast != fast)) {
        snprintf(err, errlen, "the valid-actions cache holds another story's or another fast_actions setting's");
        rc = JITRL_EINVAL;
    } else {
        memcpy(c->md5, md5, 16);
        c->fast = fast;
        c->bound = 1;
        c->busy = 1;
        env_actions *a = c->acts;
        c->acts = NULL;
        if (a) {
            /* the same story: equal grammar, world and facts, but the new
             * handle's copies (the old ones die with their handle) */
            a->g = g;
            a->w = w;
            a->f = f;
            a->probe_snap = NULL;
            a->probe_len = 0;
        }
        *out = a;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void env_cache_give(jitrl_zgame_cache *c, env_actions *a)
{
    pthread_mutex_lock(&c->lock);
    assert(c->busy);
    assert(!c->acts);
    c->acts = a;
    c->busy = 0;
    pthread_mutex_unlock(&c->lock);
}
