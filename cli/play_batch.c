/*
 * play_batch.c -- running N independent runs of one or more agents on one
 * story, on up to two worker threads, with a live progress line.
 *
 * Each run owns every handle it touches (environment, memory, model client,
 * agent), with one exception: the static baseline's runs are dealt to
 * PLAY_LANES lanes (run r to lane r % PLAY_LANES), and the runs of a lane,
 * played one after another in run order, hand on one valid-actions cache
 * (jitrl_zgame_cache): a state an earlier run of the lane computed costs the
 * next nothing, and computing valid actions is most of a run's time.  A
 * worker thread takes a whole lane, so a run's result depends on its seed
 * (and a static run's on its lane's earlier runs), never on which thread
 * ran it or when.  Only static shares: fast valid actions are approximate
 * and their errors grow with the states a handle has seen (docs/method.md
 * 6.7), which a random walk does not mind but a learner does (a jitrl run
 * after another on one cache fell from 24 to 10.5 on the built-in game).  Scores are kept per run in the order episodes were played; a run
 * resumed from its memory file first reads back the scores of the episodes
 * already stored there.
 */
#include "cli.h"
#include "play.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct play_progress {
    pthread_mutex_t lock;
    int enabled;
    long total, done;
    double t0, last_draw;
    long tokens;
    int open_line;
    char line[256];
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

play_progress *play_progress_new(int enabled, long total_episodes)
{
    play_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->enabled = enabled;
    p->total = total_episodes;
    p->t0 = mono_s();
    return p;
}

void play_progress_finish(play_progress *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    if (p->open_line) fputc('\n', stderr);
    p->open_line = 0;
    pthread_mutex_unlock(&p->lock);
}

void play_progress_free(play_progress *p)
{
    if (!p) return;
    play_progress_finish(p);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void fmt_tokens(char *buf, size_t cap, long t)
{
    if (t >= 1000000) snprintf(buf, cap, "%.1fM", (double)t / 1e6);
    else if (t >= 1000) snprintf(buf, cap, "%.1fk", (double)t / 1e3);
    else snprintf(buf, cap, "%ld", t);
}

/* Caller holds the lock. */
static void draw(play_progress *p)
{
    if (!p->enabled) return;
    fprintf(stderr, "\r%s\033[K", p->line);
    fflush(stderr);
    p->open_line = 1;
    p->last_draw = mono_s();
}

/* What one run reports to the progress line. */
typedef struct run_view {
    const char *agent;
    int run, runs;
    int episode, episodes, step, max_steps;
    double score, best, avg;
} run_view;

static void progress_update(play_progress *p, const run_view *v, int episode_done, long new_tokens)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    if (episode_done) p->done++;
    p->tokens += new_tokens;
    double now = mono_s();
    if (p->enabled && (episode_done || now - p->last_draw > 0.2)) {
        char eta[32], tok[32];
        double el = now - p->t0;
        if (p->done > 0 && p->total > p->done) {
            long rem = (long)(el / (double)p->done * (double)(p->total - p->done) + 0.5);
            snprintf(eta, sizeof eta, "%ld:%02ld", rem / 60, rem % 60);
        } else {
            snprintf(eta, sizeof eta, p->done >= p->total ? "0:00" : "--");
        }
        fmt_tokens(tok, sizeof tok, p->tokens);
        char stepbuf[40] = "";
        if (!episode_done && v->step > 0) snprintf(stepbuf, sizeof stepbuf, " step %d/%d", v->step, v->max_steps);
        snprintf(p->line, sizeof p->line,
                 "%-6s run %d/%d  episode %d/%d%s  score %g  best %g  avg %.1f  ETA %s  tokens %s",
                 v->agent, v->run, v->runs, v->episode, v->episodes, stepbuf, v->score, v->best, v->avg,
                 eta, tok);
        draw(p);
    }
    pthread_mutex_unlock(&p->lock);
}

/* A message on stderr that does not tear the progress line. */
static void progress_say(play_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress_say(play_progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (p) pthread_mutex_lock(&p->lock);
    if (p && p->open_line) fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (p && p->open_line) draw(p);
    if (p) pthread_mutex_unlock(&p->lock);
    va_end(ap);
}

/* ---- one run ---- */

typedef struct run_slot {
    uint64_t seed;
    double *scores;
    size_t n_scores, cap;
    size_t resumed, stored_before;   /* see jitrl_run_summary */
    long prompt, completion, calls, fallbacks, steps;
    double wall, best, sum;
    int rc;
} run_slot;

/* The runs of one or more agent kinds, in one pool of workers: job j is
 * run j % runs of kind kinds[j / runs]. */
typedef struct batch {
    const play_opts *o;
    const jitrl_agent_kind *kinds;
    int n_kinds;
    play_story *story;
    play_progress *prog;
    run_slot *slots;
    int next_lane, lanes;
    int static_kind, static_lanes;   /* the static kind's index (-1: none) and its lanes */
    pthread_mutex_t lock;
    int workers;
    int log_errno;            /* first write error on o->log (under lock) */
} batch;

typedef struct run_ctx {
    batch *b;
    int run;
    run_slot *slot;
    run_view view;
    long last_tokens;
} run_ctx;

static int push_score(run_slot *s, double score)
{
    if (s->n_scores == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        double *p = realloc(s->scores, nc * sizeof *p);
        if (!p) return 1;
        s->scores = p;
        s->cap = nc;
    }
    s->scores[s->n_scores++] = score;
    if (s->n_scores == 1 || score > s->best) s->best = score;
    s->sum += score;
    return 0;
}

/* The scores of this game's episodes already in a memory (resume), in
 * commit order, read from the episodes' headers only. */
static int load_scores(jitrl_memory *mem, const char *game, run_slot *s)
{
    double *v = NULL;
    size_t n = 0;
    int rc = jitrl_memory_scores(mem, game, &v, &n);
    for (size_t i = 0; !rc && i < n; i++)
        if (push_score(s, v[i])) rc = JITRL_ENOMEM;
    jitrl_free(v);
    return rc;
}

static void on_step(void *ctx, int episode, int step, int score)
{
    run_ctx *rc = ctx;
    rc->view.episode = episode + 1;
    rc->view.step = step;
    rc->view.score = score;
    progress_update(rc->b->prog, &rc->view, 0, 0);
}

static void on_llm_log(void *ctx, const char *line)
{
    run_ctx *rc = ctx;
    progress_say(rc->b->prog, "jitrl: run %d: model: %s", rc->run + 1, line);
}

/* The first write error on the log (an errno), under b->lock. */
static void note_log_error(batch *b, int err)
{
    if (!b->log_errno) b->log_errno = err ? err : EIO;
}

static void on_trace(void *ctx, const char *json_line)
{
    run_ctx *rc = ctx;
    pthread_mutex_lock(&rc->b->lock);
    errno = 0;
    if (fputs(json_line, rc->b->o->log) == EOF || fputc('\n', rc->b->o->log) == EOF) note_log_error(rc->b, errno);
    pthread_mutex_unlock(&rc->b->lock);
}

/* Flush the log after an episode: a full disk fails the run with the
 * reason instead of cutting the trace mid-line and exiting 0.  Returns 0
 * or JITRL_EIO with err filled. */
static int flush_log(batch *b, char *err, size_t errlen)
{
    pthread_mutex_lock(&b->lock);
    errno = 0;
    if (fflush(b->o->log) != 0 || ferror(b->o->log)) note_log_error(b, errno);
    int e = b->log_errno;
    pthread_mutex_unlock(&b->lock);
    if (!e) return 0;
    snprintf(err, errlen, "writing --log %.300s: %s", b->o->log_path ? b->o->log_path : "", strerror(e));
    return JITRL_EIO;
}

/* The model client's configuration for run `run` (its seed), from the
 * flags.  JITRL_EINVAL with err filled for an unknown --prior. */
static int llm_config_of(const play_opts *o, int run, jitrl_llm_config *lc, char *err, size_t errlen)
{
    jitrl_llm_config_init(lc);
    /* the environment's settings, then the flags (which win) */
    if (cli_llm_env(lc, err, errlen)) return JITRL_EINVAL;
    lc->base_url = o->llm_url;
    lc->model = o->model;
    lc->price_in = o->price_in;
    lc->price_out = o->price_out;
    lc->seed = o->seed + (uint64_t)run;
    if (o->llm_timeout_ms > 0) lc->timeout_ms = o->llm_timeout_ms;
    if (o->llm_backoff_ms > 0) lc->backoff_ms = o->llm_backoff_ms;
    if (o->llm_retries >= 0) lc->max_retries = o->llm_retries;
    lc->cancel = o->stop;
    if (jitrl_llm_mode_parse(o->prior, &lc->mode)) {
        snprintf(err, errlen, "unknown --prior '%s' (token, verbal or propose)", o->prior);
        return JITRL_EINVAL;
    }
    return JITRL_OK;
}

int play_check_llm(const play_opts *o)
{
    if (!o->llm_url) return 0;
    jitrl_llm_config lc;
    jitrl_llm *llm = NULL;
    char err[512] = "";
    int rc = llm_config_of(o, 0, &lc, err, sizeof err);
    if (!rc) rc = jitrl_llm_open(&lc, &llm, err, sizeof err);
    if (!rc && (rc = jitrl_llm_check(llm))) snprintf(err, sizeof err, "%s", jitrl_llm_errmsg(llm));
    jitrl_llm_close(llm);
    if (!rc) return 0;
    fprintf(stderr, "jitrl: the model endpoint fails its check before the run: %s\n", err);
    return 1;
}

static int run_one(batch *b, int job, jitrl_zgame_cache *cache)
{
    const play_opts *o = b->o;
    int run = job % o->runs;
    jitrl_agent_kind kind = b->kinds[job / o->runs];
    run_slot *slot = &b->slots[job];
    run_ctx ctx = {b, run, slot, {0}, 0};
    ctx.view.agent = play_agent_name(kind);
    ctx.view.run = run + 1;
    ctx.view.runs = o->runs;
    ctx.view.episodes = o->episodes;
    ctx.view.max_steps = o->max_steps;
    jitrl_env *env = NULL;
    jitrl_memory *mem = NULL;
    jitrl_llm *llm = NULL;
    jitrl_agent *ag = NULL;
    char err[512] = "", path[4096];
    int rc = 0;
    double t0 = mono_s();

    {
        /* fast (approximate) valid actions: their memo then depends on
         * the states seen before, so each run has an environment of its
         * own and its result depends on its seed alone */
        jitrl_zgame_options eo;
        jitrl_zgame_options_init(&eo);
        if (b->workers > 1) eo.threads = 1;
        eo.fast_actions = 1;
        eo.actions_cache = cache;
        eo.name = b->story->name;   /* the built-in game is "jitrl_cave" in the trace and memory too */
        cli_zgame_env(&eo);
        if ((rc = jitrl_zgame_open_buffer(b->story->bytes, b->story->len, &eo, &env, err, sizeof err))) goto out;
    }
    if (kind == JITRL_AGENT_JITRL) {
        const char *mpath = NULL;
        if (o->memory) {
            if (o->runs > 1) snprintf(path, sizeof path, "%s.run%d", o->memory, run + 1);
            else snprintf(path, sizeof path, "%s", o->memory);
            mpath = path;
        }
        jitrl_memory_options mo;
        jitrl_memory_options_init(&mo);
        if ((rc = jitrl_memory_open(mpath, &mo, &mem, err, sizeof err))) goto out;
        if (mpath && (rc = load_scores(mem, jitrl_env_name(env), slot))) {
            snprintf(err, sizeof err, "reading %.200s: %.280s", mpath, jitrl_memory_errmsg(mem));
            goto out;
        }
        /* The run's curve starts with the stored episodes, but never holds
         * more than --episodes: a memory other runs wrote to may have more
         * (two runs of 15 leave 30), which the summary reports apart as
         * stored_before instead of contradicting "episodes". */
        slot->stored_before = slot->n_scores;
        if (slot->n_scores > (size_t)o->episodes) slot->n_scores = (size_t)o->episodes;
        slot->resumed = slot->n_scores;
        slot->best = slot->sum = 0;
        for (size_t i = 0; i < slot->n_scores; i++) {
            if (i == 0 || slot->scores[i] > slot->best) slot->best = slot->scores[i];
            slot->sum += slot->scores[i];
        }
        if (mpath && slot->stored_before > slot->resumed)
            progress_say(b->prog, "jitrl: run %d: %s holds %zu episodes of this game; the first %zu are this "
                         "run's --episodes %d", run + 1, mpath, slot->stored_before, slot->resumed, o->episodes);
        else if (mpath && slot->stored_before)
            progress_say(b->prog, "jitrl: run %d: resuming %s after %zu stored episode%s", run + 1, mpath,
                         slot->resumed, slot->resumed == 1 ? "" : "s");
    }
    jitrl_agent_config ac;
    jitrl_agent_config_init(&ac);
    if (o->llm_url && kind != JITRL_AGENT_TABULAR) {   /* the tabular baseline takes no model */
        jitrl_llm_config lc;
        if ((rc = llm_config_of(o, run, &lc, err, sizeof err))) goto out;
        lc.log = on_llm_log;
        lc.log_ctx = &ctx;
        if ((rc = jitrl_llm_open(&lc, &llm, err, sizeof err))) goto out;
        ac.llm = llm;
        ac.prior_mode = lc.mode;
        ac.evaluator = o->evaluator;
    }
    ac.kind = kind;
    ac.max_steps = o->max_steps;
    ac.seed = slot->seed;
    ac.params = o->params;
    ac.history_len = o->history_len;
    ac.tabular_c = o->tabular_c;
    ac.run_id = run + 1;
    ac.stop = o->stop;
    if (o->log) {
        ac.trace = on_trace;
        ac.trace_ctx = &ctx;
    }
    if ((rc = jitrl_agent_open(env, mem, &ac, &ag, err, sizeof err))) goto out;
    if (b->prog) jitrl_agent_on_step(ag, on_step, &ctx);
    for (int e = (int)slot->n_scores; e < o->episodes; e++) {
        jitrl_episode_result res;
        rc = jitrl_agent_run_episode(ag, e, &res);
        if (rc) {
            snprintf(err, sizeof err, "%s", jitrl_agent_errmsg(ag));
            break;
        }
        if (push_score(slot, res.score)) {
            rc = JITRL_ENOMEM;
            break;
        }
        slot->prompt += res.prompt_tokens;
        slot->completion += res.completion_tokens;
        slot->calls += res.calls;
        slot->fallbacks += res.fallbacks;
        slot->steps += res.steps;
        if (o->log && (rc = flush_log(b, err, sizeof err))) break;
        ctx.view.episode = e + 1;
        ctx.view.step = 0;
        ctx.view.score = res.score;
        ctx.view.best = slot->best;
        ctx.view.avg = slot->sum / (double)slot->n_scores;
        progress_update(b->prog, &ctx.view, 1, res.prompt_tokens + res.completion_tokens);
    }
out:
    slot->wall = mono_s() - t0;
    if (rc == JITRL_EINTERRUPTED) {
        slot->rc = 130;
    } else if (rc) {
        progress_say(b->prog, "jitrl: %s run %d (seed %llu): %s: %s", ctx.view.agent, run + 1,
                     (unsigned long long)slot->seed, jitrl_strerror(rc), err[0] ? err : "failed");
        slot->rc = 1;
    }
    jitrl_agent_close(ag);
    jitrl_llm_close(llm);
    jitrl_memory_close(mem);
    jitrl_env_close(env);
    return slot->rc;
}

static void *worker(void *arg)
{
    batch *b = arg;
    int jobs = b->o->runs * b->n_kinds;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        int lane = b->next_lane < b->lanes ? b->next_lane++ : -1;
        pthread_mutex_unlock(&b->lock);
        if (lane < 0) break;
        if (lane < b->static_lanes) {
            /* no cache (out of memory): the lane's runs compute alone, as
             * they would have with one, only slower */
            jitrl_zgame_cache *cache = NULL;
            (void)jitrl_zgame_cache_open(&cache);
            for (int r = lane; r < b->o->runs; r += b->static_lanes) run_one(b, b->static_kind * b->o->runs + r, cache);
            jitrl_zgame_cache_close(cache);
            continue;
        }
        /* the other runs, one per lane, after static's (the longest) */
        int d = lane - b->static_lanes;
        int j = d + (b->static_kind >= 0 && d >= b->static_kind * b->o->runs ? b->o->runs : 0);
        assert(j < jobs);
        run_one(b, j, NULL);
    }
    return NULL;
}

/* One summary of the runs of kind index k. */
static int summarise(batch *b, int k, double wall, jitrl_summary **out)
{
    const play_opts *o = b->o;
    jitrl_summary *s = jitrl_summary_new();
    *out = s;
    if (!s) return 1;
    int status = 0;
    jitrl_summary_set(&s->game, b->story->name);
    jitrl_summary_set(&s->agent, play_agent_name(b->kinds[k]));
    jitrl_summary_set(&s->model, o->llm_url ? o->model : "none");
    jitrl_summary_set(&s->prior, o->llm_url ? o->prior : "uniform");
    s->max_score = b->story->max_score;
    s->episodes = o->episodes;
    s->max_steps = o->max_steps;
    s->beta = o->params.beta;
    s->price_in = o->price_in;
    s->price_out = o->price_out;
    for (int r = 0; r < o->runs; r++) {
        run_slot *sl = &b->slots[k * o->runs + r];
        if (sl->rc == 130) status = 130;
        else if (sl->rc && status == 0) status = 1;
        if (jitrl_summary_add_run(s, sl->seed, sl->scores, sl->n_scores) == JITRL_OK) {
            jitrl_run_summary *rs = &s->runs[s->n_runs - 1];
            rs->prompt_tokens = (uint64_t)sl->prompt;
            rs->completion_tokens = (uint64_t)sl->completion;
            rs->calls = (uint64_t)sl->calls;
            rs->fallbacks = (uint64_t)sl->fallbacks;
            rs->steps = (uint64_t)sl->steps;
            rs->wall_s = sl->wall;
            rs->resumed = sl->resumed;
            rs->stored_before = sl->stored_before;
        }
    }
    s->wall_s = wall;
    jitrl_summary_finish(s);
    return status;
}

int play_batches(const play_opts *o, const jitrl_agent_kind *kinds, int n_kinds, play_story *story,
                 play_progress *prog, jitrl_summary **out)
{
    for (int k = 0; k < n_kinds; k++) out[k] = NULL;
    batch b = {o, kinds, n_kinds, story, prog, NULL, 0, 1, -1, 0, PTHREAD_MUTEX_INITIALIZER, 1, 0};
    int jobs = o->runs * n_kinds;
    b.slots = calloc((size_t)(jobs > 0 ? jobs : 1), sizeof *b.slots);
    if (!b.slots) {
        fprintf(stderr, "jitrl: out of memory\n");
        return 1;
    }
    for (int j = 0; j < jobs; j++) b.slots[j].seed = o->seed + (uint64_t)(j % o->runs);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = o->threads > 0 ? o->threads : (ncpu >= 2 ? 2 : 1);
    /* the lanes do not depend on the machine (PLAY_LANES) */
    for (int k = 0; k < n_kinds; k++)
        if (kinds[k] == JITRL_AGENT_STATIC && b.static_kind < 0) b.static_kind = k;
    b.static_lanes = b.static_kind < 0 ? 0 : o->runs < PLAY_LANES ? o->runs : PLAY_LANES;
    b.lanes = b.static_lanes + jobs - (b.static_kind < 0 ? 0 : o->runs);
    if (b.lanes < 1) b.lanes = 1;
    if (workers > b.lanes) workers = b.lanes;
    if (workers < 1) workers = 1;
    if (workers > PLAY_MAX_WORKERS) workers = PLAY_MAX_WORKERS;
    b.workers = workers;
    double t0 = mono_s();
    pthread_t th[PLAY_MAX_WORKERS];
    int started = 0;
    for (int i = 1; i < workers; i++)
        if (pthread_create(&th[started], NULL, worker, &b) == 0) started++;
    worker(&b);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    double wall = mono_s() - t0;

    int status = 0;
    for (int k = 0; k < n_kinds; k++) {
        int st = summarise(&b, k, wall, &out[k]);
        if (!out[k]) fprintf(stderr, "jitrl: out of memory\n");
        if (st == 130 || (!status && st)) status = st;
    }
    for (int j = 0; j < jobs; j++) free(b.slots[j].scores);
    free(b.slots);
    pthread_mutex_destroy(&b.lock);
    return status;
}

int play_batch(const play_opts *o, jitrl_agent_kind kind, play_story *story, play_progress *prog,
               jitrl_summary **out)
{
    return play_batches(o, &kind, 1, story, prog, out);
}

int play_llm_config(const play_opts *o, int run, jitrl_llm_config *lc, char *err, size_t errlen)
{
    return llm_config_of(o, run, lc, err, errlen);
}
