/*
 * kind.h -- for the environment kinds built into the library (zgame): how
 * they make a jitrl_env and find their own state behind one.
 *
 * A built-in kind creates its handle like an embedder does, through the
 * same methods table, plus a tag only it knows (the address of a static in
 * its own file).  Its extras then ask env_kind_ctx(env, tag): an
 * environment of another kind -- even a custom one calling itself by the
 * same name -- has another tag and gets NULL, so the extras can refuse it.
 */
#ifndef JITRL_ENV_KIND_H
#define JITRL_ENV_KIND_H

#include "jitrl/env.h"

/* jitrl_env_create with a tag (non-NULL); the only way to make the kind
 * names the library reserves. */
int env_create_kind(const jitrl_env_methods *m, const jitrl_env_info *info, void *ctx, const void *tag,
                    jitrl_env **out, char *err, size_t errlen);

/* env's ctx if env was made with tag, else NULL (also for a NULL env). */
void *env_kind_ctx(const jitrl_env *env, const void *tag);

/* Set env's message: for a kind's extras, which fail outside the methods
 * table (msg NULL = ""). */
void env_kind_seterr(jitrl_env *env, const char *msg);

#endif
