/*
 * agent.c -- the JitRL agent: the paper's Algorithm 1 over any environment
 * (jitrl/env.h), an episodic memory and (optionally) a language model.
 *
 * The loop is deliberately thin: the environment supplies states, actions
 * and its own wording (jitrl_env_info: task, system prompt, fallback
 * actions, evaluator scale), the engine (jitrl_decide) does retrieval,
 * estimation and the update, the model client supplies prior logits.
 * Nothing here knows what world it acts in.  What lives here is the glue
 * that the paper leaves to the implementer, and the choices are:
 *  - the retrieval state is the environment's state fields, plus the
 *    agent's own "history" (the last few actions) when the environment's
 *    field specs name it (a text game: "current" + "history");
 *  - with an action list the candidates are exactly those actions
 *    (memory actions outside it would not change the world here, so
 *    candidate augmentation is only used when the model proposes actions);
 *  - an episode's RNG is seeded from (run seed, episode index) alone, so a
 *    run resumed from its memory file replays exactly what an uninterrupted
 *    run would have done;
 *  - the episode is kept in RAM and stored whole at its end (one memory
 *    transaction), so a kill loses at most the episode in flight.
 */
#include "jitrl/agent.h"

#include "agent/tabular.h"
#include "engine/params.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/opts.h"
#include "base/rng.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TRACE_MAX ((size_t)16 << 20)
#define HISTORY_TEXT_MAX 4096

typedef struct ag_step {
    jitrl_field *fields; /* the retrieval state; names and texts owned */
    size_t n_fields;
    char *observation;   /* what the agent saw before acting (evaluator input) */
    char *action;
    double reward;
} ag_step;

struct jitrl_agent {
    jitrl_env *env;
    const jitrl_env_info *info;   /* the environment's, borrowed */
    int add_history;              /* the env's field specs name "history" */
    jitrl_memory *mem;
    jitrl_agent_config cfg;
    char *task;
    char *game;
    char errmsg[512];
    ag_step *steps;
    size_t n_steps, cap_steps;
    jr_buf trace;
    void (*on_step)(void *ctx, int episode, int step, int score);
    void *on_step_ctx;
    ag_tabular *tab;     /* the tabular agent's table; NULL for the others */
};

static void set_err(jitrl_agent *ag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(jitrl_agent *ag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ag->errmsg, sizeof ag->errmsg, fmt, ap);
    va_end(ap);
}

void jitrl_agent_config_init(jitrl_agent_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->kind = JITRL_AGENT_JITRL;
    cfg->max_steps = 60;
    cfg->seed = 1;
    jitrl_params_default(&cfg->params, NULL);
    cfg->history_len = 1;
    cfg->prior_mode = JITRL_LLM_TOKEN;
    cfg->tabular_c = 0.2;
}

int jitrl_agent_config_init_env(jitrl_agent_config *cfg, const jitrl_env *env)
{
    jitrl_agent_config_init(cfg);
    const jitrl_env_info *in = jitrl_env_info_get(env);
    if (!in) return JITRL_EINVAL;
    return jitrl_params_default(&cfg->params, in->preset);
}

int jitrl_agent_open(jitrl_env *env, jitrl_memory *mem, const jitrl_agent_config *cfg,
                     jitrl_agent **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *why = NULL;
    /* the caller's config over the defaults, and its params over theirs:
     * a caller built against an older header gets the defaults for the
     * fields it does not know */
    jitrl_agent_config c;
    char perr[96];
    jitrl_agent_config_init(&c);
    if (cfg && jr_opts_load(&c, sizeof c, cfg)) {
        if (err && errlen)
            snprintf(err, errlen, "jitrl_agent_config.size is %zu; call jitrl_agent_config_init first", cfg->size);
        return JITRL_EINVAL;
    }
    jitrl_params given = c.params;
    if (cfg && jr_params_load(&c.params, &given, perr, sizeof perr)) {
        if (err && errlen) snprintf(err, errlen, "%s", perr);
        return JITRL_EINVAL;
    }
    if (cfg) cfg = &c;
    if (!env || !cfg) why = "an agent needs an environment and a config";
    else if (cfg->kind == JITRL_AGENT_JITRL && !mem) why = "the jitrl agent needs a memory";
    else if (cfg->kind != JITRL_AGENT_JITRL && cfg->kind != JITRL_AGENT_STATIC && cfg->kind != JITRL_AGENT_TABULAR)
        why = "unknown agent kind";
    else if (cfg->kind == JITRL_AGENT_TABULAR && (cfg->llm || !(cfg->tabular_c >= 0) || !isfinite(cfg->tabular_c)))
        why = "the tabular agent takes no model and needs tabular_c >= 0";
    else if (cfg->max_steps < 1 || cfg->max_steps > 1000000) why = "max_steps must be 1..1000000";
    else if (cfg->history_len > 64) why = "history_len must be 0..64";
    else if (!(cfg->params.beta >= 0) || !isfinite(cfg->params.beta)) why = "beta must be finite and >= 0";
    else if (!(cfg->params.gamma >= 0 && cfg->params.gamma <= 1)) why = "gamma must be in [0, 1]";
    else if (cfg->evaluator && !cfg->llm) why = "the evaluator needs a model";
    if (why) {
        if (err && errlen) snprintf(err, errlen, "%s", why);
        return JITRL_EINVAL;
    }
    jitrl_agent *ag = jr_calloc(1, sizeof *ag);
    if (!ag) goto nomem;
    ag->env = env;
    ag->info = jitrl_env_info_get(env);
    for (size_t i = 0; i < ag->info->n_fields; i++)
        if (!strcmp(ag->info->fields[i].name, "history")) ag->add_history = 1;
    ag->mem = cfg->kind == JITRL_AGENT_JITRL ? mem : NULL;
    ag->cfg = *cfg;
    ag->cfg.task = NULL;
    ag->game = jr_strdup(jitrl_env_name(env));
    if (!ag->game) goto nomem;
    ag->task = jr_strdup(cfg->task ? cfg->task : ag->info->task);
    if (cfg->kind == JITRL_AGENT_TABULAR && !(ag->tab = ag_tabular_new(cfg->tabular_c))) goto nomem;
    if (!ag->task) goto nomem;
    jr_buf_init(&ag->trace, TRACE_MAX);
    *out = ag;
    return JITRL_OK;
nomem:
    jitrl_agent_close(ag);
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return JITRL_ENOMEM;
}

static void free_fields(jitrl_field *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        jr_free((char *)f[i].name);
        jr_free((char *)f[i].text);
    }
    jr_free(f);
}

static void step_free(ag_step *st)
{
    free_fields(st->fields, st->n_fields);
    jr_free(st->observation);
    jr_free(st->action);
}

static void clear_steps(jitrl_agent *ag)
{
    for (size_t i = 0; i < ag->n_steps; i++) step_free(&ag->steps[i]);
    ag->n_steps = 0;
}

/* Copies of n fields (names and texts) into a new array.  NULL on failure. */
static jitrl_field *copy_fields(const jitrl_field *f, size_t n, size_t extra)
{
    jitrl_field *c = jr_calloc(n + extra ? n + extra : 1, sizeof *c);
    for (size_t i = 0; c && i < n; i++)
        if (!(c[i].name = jr_strdup(f[i].name)) || !(c[i].text = jr_strdup(f[i].text))) {
            free_fields(c, n);
            return NULL;
        }
    return c;
}

void jitrl_agent_close(jitrl_agent *ag)
{
    if (!ag) return;
    clear_steps(ag);
    jr_free(ag->steps);
    jr_free(ag->task);
    jr_free(ag->game);
    jr_buf_free(&ag->trace);
    ag_tabular_free(ag->tab);
    jr_free(ag);
}

const char *jitrl_agent_errmsg(const jitrl_agent *ag) { return ag ? ag->errmsg : ""; }

void jitrl_agent_on_step(jitrl_agent *ag, void (*fn)(void *ctx, int episode, int step, int score),
                         void *ctx)
{
    ag->on_step = fn;
    ag->on_step_ctx = ctx;
}

/* splitmix64 of (seed, episode): distinct, well-mixed streams per episode. */
static uint64_t episode_seed(uint64_t seed, int episode)
{
    uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)(uint32_t)episode * 0xbf58476d1ce4e5b9ULL + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The "history" field: the last history_len actions, oldest first, one per
 * line.  Empty at the start of an episode. */
static char *history_text(const jitrl_agent *ag)
{
    jr_buf b;
    jr_buf_init(&b, HISTORY_TEXT_MAX);
    size_t h = ag->cfg.history_len, n = ag->n_steps;
    for (size_t i = n > h ? n - h : 0; i < n; i++)
        if (jr_buf_puts(&b, ag->steps[i].action) || jr_buf_putc(&b, '\n')) break;
    return jr_buf_steal(&b);
}

static int push_step(jitrl_agent *ag, ag_step *st)
{
    if (ag->n_steps == ag->cap_steps) {
        size_t nc = ag->cap_steps ? ag->cap_steps * 2 : 64;
        ag_step *p = jr_realloc(ag->steps, nc * sizeof *p);
        if (!p) return JITRL_ENOMEM;
        ag->steps = p;
        ag->cap_steps = nc;
    }
    ag->steps[ag->n_steps++] = *st;
    return JITRL_OK;
}

/* Sample index from softmax(logits) (NULL = uniform) with r. */
static size_t sample_prior(const double *logits, size_t n, jr_rng *r, double *probs)
{
    if (!logits) {
        for (size_t i = 0; i < n; i++) probs[i] = 1.0 / (double)n;
    } else {
        double mx = logits[0], sum = 0;
        for (size_t i = 1; i < n; i++) if (logits[i] > mx) mx = logits[i];
        for (size_t i = 0; i < n; i++) sum += (probs[i] = exp(logits[i] - mx));
        for (size_t i = 0; i < n; i++) probs[i] /= sum;
    }
    double u = jr_rng_uniform(r), acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += probs[i];
        if (u < acc) return i;
    }
    return n - 1;
}

/* One decision's inputs and outputs, so the step and its trace share them. */
typedef struct ag_choice {
    const char *const *cands;
    size_t n;
    double *logits;           /* NULL = uniform */
    char **proposed;          /* propose mode: owned list */
    size_t n_proposed;
    jitrl_decision *d;        /* jitrl agent */
    double *static_probs;     /* static agent */
    size_t chosen_static;
    jitrl_llm_call call;
    int called;
} ag_choice;

static void choice_free(ag_choice *c)
{
    jr_free(c->logits);
    jr_free(c->static_probs);
    jitrl_llm_free_strings(c->proposed, c->n_proposed);
    jitrl_decision_free(c->d);
}

/* The trace's view of the state: the environment's prompt fields, copied
 * before the step clobbers them. */
typedef struct ag_view {
    jitrl_field *fields;
    size_t n;
} ag_view;

static int trace_step(jitrl_agent *ag, int episode, const ag_view *view, const char *history,
                      const ag_choice *c, const char *action, const jitrl_obs *obs)
{
    jr_buf *b = &ag->trace;
    jr_buf_reset(b);
    int rc = jr_buf_printf(b, "{\"run\":%d,\"seed\":%llu,\"game\":", ag->cfg.run_id,
                           (unsigned long long)ag->cfg.seed);
    if (!rc) rc = jr_buf_json_str(b, ag->game);
    if (!rc) rc = jr_buf_printf(b, ",\"agent\":\"%s\",\"episode\":%d,\"step\":%zu,\"state\":{",
                                ag->mem ? "jitrl" : ag->tab ? "tabular" : "static", episode, ag->n_steps);
    for (size_t i = 0; !rc && i < view->n; i++) {
        if (i) rc = jr_buf_putc(b, ',');
        if (!rc) rc = jr_buf_json_str(b, view->fields[i].name);
        if (!rc) rc = jr_buf_putc(b, ':');
        if (!rc) rc = jr_buf_json_str(b, view->fields[i].text);
    }
    if (!rc) rc = jr_buf_puts(b, "},\"history\":");
    if (!rc) rc = jr_buf_json_str(b, history);
    if (!rc) rc = jr_buf_printf(b, ",\"n_candidates\":%zu,\"prior\":\"%s\"", c->n, c->logits ? "model" : "uniform");
    if (!rc && c->called) {
        rc = jr_buf_printf(b, ",\"llm\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"attempts\":%d,"
                              "\"fell_back\":%d,\"latency_ms\":%.1f,\"reason\":",
                           c->call.prompt_tokens, c->call.completion_tokens, c->call.attempts,
                           c->call.fell_back, c->call.latency_ms);
        if (!rc) rc = jr_buf_json_str(b, c->call.reason);
        if (!rc) rc = jr_buf_putc(b, '}');
    }
    if (!rc && c->d) {
        char *dj = NULL;
        rc = jitrl_decision_json(c->d, &dj);
        if (!rc) rc = jr_buf_puts(b, ",\"decision\":");
        if (!rc) rc = jr_buf_puts(b, dj);
        jr_free(dj);
    } else if (!rc) {
        rc = jr_buf_puts(b, ",\"decision\":{\"actions\":[");
        for (size_t i = 0; !rc && i < c->n; i++) {
            rc = jr_buf_puts(b, i ? ",{\"action\":" : "{\"action\":");
            if (!rc) rc = jr_buf_json_str(b, c->cands[i]);
            if (!rc) rc = jr_buf_printf(b, ",\"prob\":%.6g}", c->static_probs[i]);
        }
        if (!rc) rc = jr_buf_printf(b, "],\"chosen\":%zu}", c->chosen_static);
    }
    if (!rc) rc = jr_buf_puts(b, ",\"action\":");
    if (!rc) rc = jr_buf_json_str(b, action);
    if (!rc)
        rc = jr_buf_printf(b, ",\"reward\":%g,\"score\":%d,\"done\":%d,\"victory\":%d,\"death\":%d}",
                           obs->reward, obs->score, obs->done, obs->victory, obs->death);
    if (!rc) ag->cfg.trace(ag->cfg.trace_ctx, jr_buf_str(b));
    return rc;
}

/* The environment's prompt fields (borrowed until the next step; the
 * action list fetched meanwhile does not disturb them). */
static int prompt_fields(jitrl_agent *ag, const jitrl_field **pf, size_t *n)
{
    int rc = jitrl_env_prompt_fields(ag->env, pf, n);
    if (rc) set_err(ag, "state: %s", jitrl_env_errmsg(ag->env));
    return rc;
}

/* What the model sees: the prompt fields, observation and the
 * environment's wording.  *fields is allocated here; the caller frees it. */
static int model_context(jitrl_agent *ag, jitrl_llm_context *ctx, jitrl_llm_field **fields)
{
    const jitrl_field *pf = NULL;
    size_t n = 0;
    int rc = prompt_fields(ag, &pf, &n);
    if (rc) return rc;
    *fields = jr_malloc((n ? n : 1) * sizeof **fields);
    if (!*fields) return JITRL_ENOMEM;
    for (size_t i = 0; i < n; i++) (*fields)[i] = (jitrl_llm_field){pf[i].name, pf[i].text};
    ctx->task = ag->task;
    ctx->fields = *fields;
    ctx->n_fields = n;
    ctx->observation = jitrl_env_observation(ag->env);
    ctx->system = ag->info->system_prompt;
    ctx->action_hint = ag->info->action_hint;
    return JITRL_OK;
}

/* Gather the candidates and the prior for the current state (steps 1-2). */
static int gather(jitrl_agent *ag, const jitrl_state *state, const jitrl_rng *rng, ag_choice *c,
                  jitrl_episode_result *res)
{
    const char *const *valid = NULL;
    size_t n_valid = 0;
    int propose = ag->cfg.llm && ag->cfg.prior_mode == JITRL_LLM_PROPOSE;
    const char **hist = NULL;
    size_t n_hist = ag->n_steps;
    jitrl_llm_field *fields = NULL;
    jitrl_llm_context ctx;
    memset(&ctx, 0, sizeof ctx);
    int rc = JITRL_OK;

    if (ag->cfg.llm) {
        hist = jr_malloc((n_hist ? n_hist : 1) * sizeof *hist);
        if (!hist) return JITRL_ENOMEM;
        for (size_t i = 0; i < n_hist; i++) hist[i] = ag->steps[i].action;
        if ((rc = model_context(ag, &ctx, &fields))) goto out;
        ctx.history = hist;
        ctx.n_history = n_hist;
    }
    if (propose) {
        rc = jitrl_llm_propose(ag->cfg.llm, &ctx, 0, &c->proposed, &c->n_proposed, &c->call);
        c->called = 1;
        if (rc) {
            set_err(ag, "model: %s", jitrl_llm_errmsg(ag->cfg.llm));
            goto out;
        }
        c->cands = (const char *const *)c->proposed;
        c->n = c->n_proposed;
    }
    if (!propose || c->n == 0) {
        rc = jitrl_env_actions(ag->env, &valid, &n_valid);
        if (rc && rc != JITRL_EUNSUPPORTED) {
            set_err(ag, "valid actions: %s", jitrl_env_errmsg(ag->env));
            goto out;
        }
        rc = JITRL_OK;
        c->cands = valid;
        c->n = n_valid;
    }
    if (c->n == 0 && !(ag->mem && propose)) {
        c->cands = ag->info->fallback_actions;
        c->n = ag->info->n_fallback;
        if (c->n == 0) {
            set_err(ag, "the %s environment offers no action here and has no fallback actions",
                    ag->info->kind);
            rc = JITRL_ESTATE;
            goto out;
        }
    }
    if (ag->cfg.llm && !propose && c->n > 0) {
        c->logits = jr_malloc(c->n * sizeof *c->logits);
        double *priority = NULL;
        if (!c->logits) { rc = JITRL_ENOMEM; goto out; }
        if (ag->mem) {
            /* Shortlist by what memory says: a dry-run decision on a copy of
             * the RNG (so sampling is unaffected) ranks the candidates by
             * their advantage under a uniform prior. */
            jitrl_rng probe = *rng;
            jitrl_decision *dry = NULL;
            if (jitrl_decide(ag->mem, &ag->cfg.params, state, c->cands, NULL, c->n, &probe, &dry) == JITRL_OK &&
                (priority = jr_malloc(c->n * sizeof *priority)) != NULL)
                for (size_t i = 0; i < c->n; i++) priority[i] = dry->adv_norm[i];
            jitrl_decision_free(dry);
        }
        rc = jitrl_llm_prior(ag->cfg.llm, &ctx, c->cands, c->n, priority, c->logits, &c->call);
        c->called = 1;
        jr_free(priority);
        if (rc) {
            set_err(ag, "model: %s", jitrl_llm_errmsg(ag->cfg.llm));
            goto out;
        }
    }
    if (c->called) {
        res->calls++;
        res->prompt_tokens += c->call.prompt_tokens;
        res->completion_tokens += c->call.completion_tokens;
        res->fallbacks += c->call.fell_back;
    }
out:
    jr_free(hist);
    jr_free(fields);
    return rc;
}

/* Steps 3-5: retrieve, estimate, shift, sample.  Returns the chosen action
 * (borrowed from c) in *action. */
static int choose(jitrl_agent *ag, const jitrl_state *state, jr_rng *srng, jitrl_rng *rng,
                  ag_choice *c, const char **action)
{
    if (ag->mem) {
        jitrl_params p = ag->cfg.params;
        /* Memory actions outside a valid-action list would not change the
         * world here; augmentation is for proposed candidates only. */
        int propose = ag->cfg.llm && ag->cfg.prior_mode == JITRL_LLM_PROPOSE;
        if (!propose) p.augment = 0;
        int rc = jitrl_decide(ag->mem, &p, state, c->cands, c->logits, c->n, rng, &c->d);
        if (rc) {
            set_err(ag, "decide: %s (%s)", jitrl_strerror(rc), jitrl_memory_errmsg(ag->mem));
            return rc;
        }
        *action = c->d->actions[c->d->chosen];
        return JITRL_OK;
    }
    c->static_probs = jr_malloc((c->n ? c->n : 1) * sizeof *c->static_probs);
    if (!c->static_probs) return JITRL_ENOMEM;
    if (ag->tab) {
        /* deterministic given the table and srng: the trace shows what was acted on, one-hot */
        int rc = ag_tabular_choose(ag->tab, state->n_fields ? state->fields[0].text : "", c->cands, c->n, srng,
                                   &c->chosen_static);
        if (rc) return rc;
        for (size_t i = 0; i < c->n; i++) c->static_probs[i] = i == c->chosen_static;
    } else {
        c->chosen_static = sample_prior(c->logits, c->n, srng, c->static_probs);
    }
    *action = c->cands[c->chosen_static];
    return JITRL_OK;
}

/* Replace the score-delta rewards by the evaluator's, when it answers. */
static int evaluate(jitrl_agent *ag, jitrl_episode_result *res)
{
    size_t n = ag->n_steps;
    if (!n) return JITRL_OK;
    const char **obs = jr_malloc(n * sizeof *obs), **acts = jr_malloc(n * sizeof *acts);
    double *rw = jr_malloc(n * sizeof *rw);
    int rc = (obs && acts && rw) ? JITRL_OK : JITRL_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            obs[i] = ag->steps[i].observation;
            acts[i] = ag->steps[i].action;
        }
        jitrl_llm_call call;
        memset(&call, 0, sizeof call);
        rc = jitrl_llm_evaluate(ag->cfg.llm, ag->task, obs, acts, n, ag->info->reward_lo, ag->info->reward_hi, rw,
                                &call);
        res->calls++;
        res->prompt_tokens += call.prompt_tokens;
        res->completion_tokens += call.completion_tokens;
        res->fallbacks += call.fell_back;
        if (rc) set_err(ag, "evaluator: %s", jitrl_llm_errmsg(ag->cfg.llm));
        if (!rc && !call.fell_back) {
            for (size_t i = 0; i < n; i++) ag->steps[i].reward = rw[i];
            res->evaluated = 1;
        }
    }
    jr_free(obs);
    jr_free(acts);
    jr_free(rw);
    return rc;
}

static int store(jitrl_agent *ag, jitrl_episode_result *res)
{
    size_t n = ag->n_steps;
    jitrl_step *steps = jr_malloc((n ? n : 1) * sizeof *steps);
    int rc = steps ? JITRL_OK : JITRL_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            steps[i].state.fields = ag->steps[i].fields;
            steps[i].state.n_fields = ag->steps[i].n_fields;
            steps[i].action = ag->steps[i].action;
            steps[i].reward = ag->steps[i].reward;
        }
        jitrl_episode_info info = {ag->game, res->score, 0};
        rc = jitrl_memory_add_episode(ag->mem, &info, steps, n, ag->cfg.params.gamma, &res->episode_id);
        if (rc) set_err(ag, "storing the episode: %s", jitrl_memory_errmsg(ag->mem));
    }
    jr_free(steps);
    return rc;
}

/* The retrieval state now: the environment's fields, copied, and the
 * agent's history when the field specs name it. */
static int read_state(jitrl_agent *ag, ag_step *step, char **history)
{
    const jitrl_field *sf = NULL;
    size_t n = 0;
    *history = history_text(ag);
    if (!*history) return JITRL_ENOMEM;
    int rc = jitrl_env_state_fields(ag->env, &sf, &n);
    if (rc) {
        set_err(ag, "state: %s", jitrl_env_errmsg(ag->env));
        return rc;
    }
    step->fields = copy_fields(sf, n, ag->add_history);
    if (!step->fields) return JITRL_ENOMEM;
    step->n_fields = n;
    if (ag->add_history) {
        jitrl_field *h = &step->fields[step->n_fields];
        if (!(h->name = jr_strdup("history")) || !(h->text = jr_strdup(*history))) {
            jr_free((char *)h->name);
            return JITRL_ENOMEM;
        }
        step->n_fields++;
    }
    return JITRL_OK;
}

/* The trace's copy of the prompt fields (they change with the step). */
static int read_view(jitrl_agent *ag, ag_view *v)
{
    const jitrl_field *pf = NULL;
    size_t n = 0;
    int rc = prompt_fields(ag, &pf, &n);
    if (rc) return rc;
    if (!(v->fields = copy_fields(pf, n, 0))) return JITRL_ENOMEM;
    v->n = n;
    return JITRL_OK;
}

/* The tabular agent's every-visit update: each step's discounted return,
 * keyed by the step's first state field (a text game's "current"). */
static int store_tabular(jitrl_agent *ag)
{
    size_t n = ag->n_steps;
    double *r = jr_malloc((n ? n : 1) * sizeof *r), *g = jr_malloc((n ? n : 1) * sizeof *g);
    int rc = (r && g) ? JITRL_OK : JITRL_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) r[i] = ag->steps[i].reward;
    if (!rc) jitrl_returns(r, n, ag->cfg.params.gamma, g);
    for (size_t i = 0; !rc && i < n; i++)
        rc = ag_tabular_add(ag->tab, ag->steps[i].n_fields ? ag->steps[i].fields[0].text : "",
                            ag->steps[i].action, g[i]);
    if (rc) set_err(ag, "tabular update: out of memory");
    jr_free(r);
    jr_free(g);
    return rc;
}

int jitrl_agent_run_episode(jitrl_agent *ag, int episode, jitrl_episode_result *out)
{
    double t0 = now_s();
    memset(out, 0, sizeof *out);
    out->episode = episode;
    ag->errmsg[0] = '\0';
    clear_steps(ag);
    uint64_t es = episode_seed(ag->cfg.seed, episode);
    jitrl_rng rng;
    jitrl_rng_seed(&rng, es);
    jr_rng srng;
    jr_rng_seed(&srng, es ^ 0x5bd1e995u);

    jitrl_obs obs;
    int rc = jitrl_env_reset(ag->env, &obs);
    if (rc) {
        set_err(ag, "reset: %s", jitrl_env_errmsg(ag->env));
        return rc;
    }
    out->score = out->best_score = obs.score;
    while (!obs.done && ag->n_steps < (size_t)ag->cfg.max_steps) {
        if (ag->cfg.stop && *ag->cfg.stop) {
            set_err(ag, "interrupted; episode %d not stored", episode);
            clear_steps(ag);
            return JITRL_EINTERRUPTED;
        }
        ag_step step = {NULL, 0, NULL, NULL, 0.0};
        char *history = NULL;
        ag_view view = {NULL, 0};
        ag_choice c;
        memset(&c, 0, sizeof c);
        const char *action = NULL;
        rc = read_state(ag, &step, &history);
        if (!rc && ag->cfg.evaluator && !(step.observation = jr_strdup(jitrl_env_observation(ag->env))))
            rc = JITRL_ENOMEM;
        jitrl_state state = {step.fields, step.n_fields};
        if (!rc) rc = gather(ag, &state, &rng, &c, out);
        if (!rc) rc = choose(ag, &state, &srng, &rng, &c, &action);
        if (!rc && !(step.action = jr_strdup(action))) rc = JITRL_ENOMEM;
        /* The trace needs the state as it was; copy what step() will clobber. */
        if (!rc && ag->cfg.trace) rc = read_view(ag, &view);
        int step_rc = JITRL_OK, pushed = 0;
        if (!rc) {
            step_rc = jitrl_env_step(ag->env, step.action, &obs);
            if (step_rc) set_err(ag, "step '%s': %s", step.action, jitrl_env_errmsg(ag->env));
            if (step_rc == JITRL_ENOMEM) {
                rc = step_rc;   /* no memory is no end of the episode: it fails */
            } else {
                if (step_rc) {
                    /* A world fault or a runaway turn ends the episode; the
                     * steps so far are real experience and are kept. */
                    obs.done = 1;
                    obs.reward = 0;
                }
                step.reward = obs.reward;
                rc = push_step(ag, &step);
                pushed = !rc;
            }
        }
        if (!rc && ag->cfg.trace) rc = trace_step(ag, episode, &view, history, &c, step.action, &obs);
        free_fields(view.fields, view.n);
        jr_free(history);
        choice_free(&c);
        if (rc) {
            if (!pushed) step_free(&step);
            if (!ag->errmsg[0]) set_err(ag, "episode %d: %s", episode, jitrl_strerror(rc));
            clear_steps(ag);
            return rc;
        }
        if (!step_rc) {
            out->score = obs.score;
            if (obs.score > out->best_score) out->best_score = obs.score;
        }
        out->done = obs.done;
        out->victory = obs.victory;
        out->death = obs.death;
        if (ag->on_step) ag->on_step(ag->on_step_ctx, episode, (int)ag->n_steps, (int)out->score);
    }
    out->steps = (int)ag->n_steps;
    if (!rc && ag->cfg.evaluator) rc = evaluate(ag, out);
    if (!rc && ag->mem) rc = store(ag, out);
    if (!rc && ag->tab) rc = store_tabular(ag);
    clear_steps(ag);
    out->wall_s = now_s() - t0;
    return rc;
}
