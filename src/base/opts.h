/*
 * opts.h -- options structs that grow without breaking compiled callers.
 *
 * Every public options/config struct starts with `size_t size`, which its
 * _init() function sets to sizeof the struct as the library was compiled.
 * A caller compiled against an older header passes a smaller size; the
 * library then reads only the fields that existed in that version and
 * takes the defaults for the rest.  The rule for library code:
 *
 *     jitrl_x_options o;
 *     jitrl_x_options_init(&o);                     // defaults, o.size set
 *     if (jr_opts_load(&o, sizeof o, caller_opt))   // caller's fields over them
 *         return JITRL_EINVAL;
 *
 * A size
 * smaller than the first member, or larger than a struct this library knows
 * (a caller built against a newer header), is refused with JITRL_EINVAL, so
 * fields the library cannot honour are never silently dropped.
 */
#ifndef JR_OPTS_H
#define JR_OPTS_H

#include <stddef.h>
#include <string.h>

#include "jitrl/error.h"

/* dst: the library's struct, already filled with defaults (dst->size set).
 * src: the caller's struct or NULL (= defaults).  Returns JITRL_OK or
 * JITRL_EINVAL for a size outside [sizeof(size_t), sizeof *dst]. */
static inline int jr_opts_load(void *dst, size_t dst_size, const void *src)
{
    if (!src) return JITRL_OK;
    size_t n;
    memcpy(&n, src, sizeof n);
    if (n < sizeof(size_t) || n > dst_size) return JITRL_EINVAL;
    memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t), n - sizeof(size_t));
    memcpy(dst, &dst_size, sizeof dst_size);
    return JITRL_OK;
}

#endif
