/*
 * cli_env.c -- the environment variables the CLI honours for the library.
 * The library reads no environment (every setting is an option read at
 * open); this file is where the CLI turns its variables into options:
 * the game's debugging log and the model client's settings and key.
 */
#include "cli.h"

#include "jitrl/llm.h"
#include "jitrl/zgame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The game's debugging lines: stderr, or appended to JITRL_ENV_DUMP's file
 * (opened per line, as a crash must not lose what was written). */
static void zgame_log(void *ctx, unsigned kind, const char *line)
{
    const char *dump = ctx;
    if (kind == JITRL_ZGAME_LOG_DUMP) {
        FILE *f = dump ? fopen(dump, "a") : NULL;
        if (!f) return;
        fprintf(f, "%s\n", line);
        fclose(f);
        return;
    }
    fprintf(stderr, "%s\n", line);
}

void cli_zgame_env(struct jitrl_zgame_options *opt)
{
    const char *dbg = getenv("JITRL_ENV_DEBUG"), *dump = getenv("JITRL_ENV_DUMP");
    unsigned mask = 0;
    if (dbg) mask |= JITRL_ZGAME_LOG_DEBUG;
    if (dbg && !strcmp(dbg, "2")) mask |= JITRL_ZGAME_LOG_CANDIDATES;
    if (getenv("JITRL_ENV_STATS")) mask |= JITRL_ZGAME_LOG_STATS;
    if (dump && *dump) mask |= JITRL_ZGAME_LOG_DUMP;
    if (!mask) return;
    opt->log_mask = mask;
    opt->log = zgame_log;
    opt->log_ctx = (void *)dump;
}

static int env_long(const char *name, long lo, long hi, long *out, char *errmsg, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v) return 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi) {
        if (errmsg && errlen) snprintf(errmsg, errlen, "llm: %s must be an integer %ld..%ld", name, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int cli_llm_env(struct jitrl_llm_config *cfg, char *errmsg, size_t errlen)
{
    long v;
    const char *s = getenv("JITRL_LLM_EXTRA");
    if (s && *s) cfg->extra_json = s;
    v = cfg->timeout_ms;
    if (env_long("JITRL_LLM_TIMEOUT_MS", 1, 3600000, &v, errmsg, errlen)) return JITRL_EINVAL;
    cfg->timeout_ms = v;
    v = cfg->max_retries;
    if (env_long("JITRL_LLM_RETRIES", 0, 20, &v, errmsg, errlen)) return JITRL_EINVAL;
    cfg->max_retries = (int)v;
    v = cfg->top_logprobs;
    if (env_long("JITRL_LLM_TOP_LOGPROBS", 1, 20, &v, errmsg, errlen)) return JITRL_EINVAL;
    cfg->top_logprobs = (int)v;
    v = cfg->max_labels;
    if (env_long("JITRL_LLM_MAX_LABELS", 2, 26, &v, errmsg, errlen)) return JITRL_EINVAL;
    cfg->max_labels = (int)v;
    s = getenv("JITRL_LLM_TEMPERATURE");
    if (s && *s) {
        char *end;
        double t = strtod(s, &end);
        if (*end || !(t >= 0 && t <= 2)) {
            if (errmsg && errlen) snprintf(errmsg, errlen, "llm: JITRL_LLM_TEMPERATURE must be a number 0..2");
            return JITRL_EINVAL;
        }
        cfg->temperature = t;
    }
    if (!cfg->api_key) {
        const char *key = getenv("OPENAI_API_KEY");
        if (!key || !*key) key = getenv("JITRL_API_KEY");
        if (key && *key) cfg->api_key = key;
    }
    return JITRL_OK;
}
