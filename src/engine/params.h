/*
 * params.h -- loading a caller's jitrl_params at a library entry point.
 *
 * jitrl_params starts with `size_t size` (set by jitrl_params_default), so
 * a caller built against an older header passes a smaller struct; every
 * entry point that reads one copies it over the defaults first (see
 * base/opts.h), and refuses a size it cannot honour.
 */
#ifndef JR_PARAMS_H
#define JR_PARAMS_H

#include <stddef.h>

#include "jitrl/policy.h"

/* *dst = the defaults (jitrl_params_default(NULL)) with src's fields over
 * them.  JITRL_EINVAL with a message in err[0..errlen) for a size out of
 * range (0, or larger than this library's struct). */
int jr_params_load(jitrl_params *dst, const jitrl_params *src, char *err, size_t errlen);

#endif
