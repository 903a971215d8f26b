/*
 * env_log.c -- the environment's debugging output: lines handed to the
 * embedder's callback (jitrl_zgame_options.log), never printed by the
 * library itself, so a library user decides where they go (the CLI sends
 * them to stderr and a dump file, from its environment variables).
 */
#include "env/zgame/env_int.h"

#include <stdarg.h>
#include <stdio.h>

void env_logf(const env_log *l, unsigned kind, const char *fmt, ...)
{
    if (!env_log_on(l, kind)) return;
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    l->fn(l->ctx, kind, line);
}
