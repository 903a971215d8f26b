/*
 * env_zgame.c -- the environment kind "zgame" (jitrl/zgame.h): a Z-machine
 * game played through reset/step with Jericho's observation (text, reward =
 * score delta, done, score, moves, max score, victory, death), valid
 * actions, structured state, get/set state on VM snapshots, and a
 * world-state hash, behind the methods table of jitrl/env.h (src/env/env.c).
 *
 * Shape: the kind's state (struct zgame, the ctx of its jitrl_env) owns one
 * machine that plays the game; valid actions are
 * computed by actions.c on its own machines from a snapshot of this one, so
 * asking for them never disturbs the game.  Score and moves come from the
 * facts (known games), else the version 3 status-line globals, else the
 * game's own `score` verb run on a snapshot and parsed.
 */
#include "env/zgame/env_int.h"

#include "env/kind.h"
#include "jitrl/zgame.h"

#include "base/alloc.h"
#include "base/opts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENV_DEFAULT_BUDGET 20000000ull
#define ENV_MAX_KEYS 50
#define ENV_OBS_MAX (1u << 20)

enum { SCORE_FACTS, SCORE_V3, SCORE_VERB, SCORE_NONE };

typedef struct zgame zgame;

struct zgame {
    jitrl_zvm *vm;
    uint8_t *story;
    size_t story_len;
    uint8_t md5[16];
    jitrl_zgame_options opt;
    jitrl_zvm_options zopt;
    env_facts facts;
    char name[64];
    int score_mode;
    env_grammar gram;
    int have_grammar;
    char gram_err[160];
    char parser_mode[176];   /* jitrl_zgame_parser's text for the fallback */
    env_world world;
    env_actions *acts;
    int cache_held;           /* acts came from / go back to opt.actions_cache */
    char err[256];

    int started, done, victory, death, score, moves, max_score;
    uint8_t prev_globals[480];
    uint8_t counters[32];     /* with no facts: the globals that count turns */
    jr_buf obs, loc, inv, vis, cur;
    int text_valid;               /* loc/inv/vis/cur are this state's (until reset/step/set_state) */
    char score_text[16];
    jitrl_field state_field[1];   /* "current" */
    jitrl_field prompt_field[4];  /* location, inventory, visible objects, score */
    uint8_t *snap;
    size_t snap_cap, snap_len;

    const char *const *va;
    const uint64_t *vo;
    size_t nva;
    int va_valid;
    jitrl_zgame_action_stats stats;
};

/* The tag of this kind (env/kind.h): only handles made here carry it. */
static const char zgame_tag = 'z';

static zgame *of(const jitrl_env *env) { return env_kind_ctx(env, &zgame_tag); }

void jitrl_zgame_options_init(jitrl_zgame_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->seed = -1;
    opt->use_facts = 1;
}

static void seterr(zgame *e, const char *fmt, const char *detail)
{
    snprintf(e->err, sizeof e->err, fmt, detail ? detail : "");
}

static const char *zg_errmsg(void *ctx) { return ((zgame *)ctx)->err; }

static uint64_t budget(const zgame *e) { return e->opt.step_budget ? e->opt.step_budget : ENV_DEFAULT_BUDGET; }

/* Run until the game wants a line (answering key presses with Return) or
 * quits.  Output accumulates in the VM. */
static int run_to_input_within(jitrl_zvm *vm, uint64_t bud, jitrl_zvm_stop *stop, char *err, size_t errlen)
{
    for (int keys = 0;; keys++) {
        int rc = jitrl_zvm_run(vm, bud, stop);
        if (rc) {
            snprintf(err, errlen, "story halted: %s", jitrl_zvm_errmsg(vm));
            return rc;
        }
        if (*stop == JITRL_ZVM_INPUT || *stop == JITRL_ZVM_QUIT) return JITRL_OK;
        if (*stop == JITRL_ZVM_BUDGET && jitrl_zvm_out_of_time(vm)) {
            snprintf(err, errlen, "the story ran for %d ms (the turn's time limit) without asking for input",
                     ENV_TURN_MS);
            return JITRL_EBUDGET;
        }
        if (*stop == JITRL_ZVM_BUDGET) {
            snprintf(err, errlen, "the story ran %llu instructions without asking for input",
                     (unsigned long long)bud);
            return JITRL_EBUDGET;
        }
        if (*stop == JITRL_ZVM_CHAR) {
            if (keys >= ENV_MAX_KEYS) {
                snprintf(err, errlen, "the story keeps asking for key presses");
                return JITRL_EBUDGET;
            }
            rc = jitrl_zvm_input(vm, "");
            if (rc) return rc;
            continue;
        }
        snprintf(err, errlen, "story halted: %s", jitrl_zvm_errmsg(vm));
        return JITRL_EVM;
    }
}

/* The same within the turn's time limit (ENV_TURN_MS) as well as its
 * instruction budget. */
static int run_to_input(jitrl_zvm *vm, uint64_t bud, jitrl_zvm_stop *stop, char *err, size_t errlen)
{
    jitrl_zvm_set_deadline(vm, ENV_TURN_MS);
    int rc = run_to_input_within(vm, bud, stop, err, errlen);
    jitrl_zvm_set_deadline(vm, 0);
    return rc;
}

/* Parse the game's answer to `score`: "Your score is 10 (total of 350
 * points), in 5 moves." or "You have so far scored 3 out of a possible 30,
 * in 12 turns."  Returns 1 if a score was found. */
static int parse_score_text(const char *t, int *score, int *max, int *moves)
{
    const char *p = NULL;
    for (const char *s = t; *s; s++)
        if (!strncasecmp(s, "score", 5)) { p = s; break; }
    if (!p) return 0;
    while (*p && !isdigit((unsigned char)*p) && !(*p == '-' && isdigit((unsigned char)p[1]))) p++;
    if (!*p) return 0;
    *score = (int)strtol(p, (char **)&p, 10);
    const char *q;
    if ((q = strstr(p, "possible")) || (q = strstr(p, "total of")) || (q = strstr(p, "out of"))) {
        while (*q && !isdigit((unsigned char)*q)) q++;
        if (*q) *max = (int)strtol(q, NULL, 10);
    }
    const char *m = NULL;
    for (const char *s = p; *s; s++)
        if (!strncmp(s, " in ", 4) && isdigit((unsigned char)s[4])) { m = s + 4; break; }
    if (m) *moves = (int)strtol(m, NULL, 10);
    return 1;
}

/* When the game is over, `score` no longer answers (the game asks to
 * RESTART or QUIT), but its last words say "In that game you scored 36 out
 * of a possible 36, in 14 turns": the last scoring move counts too. */
static void final_score(zgame *e)
{
    const char *t = strcasestr(jr_buf_str(&e->obs), "you scored");
    int m = 0;
    if (t) parse_score_text(t + 4, &e->score, &m, &e->moves);
    if (m > 0) e->max_score = m;
}

/* Run `score` on a snapshot of the main machine and restore it. */
static int score_by_verb(zgame *e, int *score, int *max, int *moves)
{
    size_t len = 0;
    if (jitrl_zvm_snapshot(e->vm, e->snap, e->snap_cap, &len)) return 0;
    env_clear_output(e->vm);
    jitrl_zvm_stop stop;
    char err[64];
    int found = 0;
    if (!jitrl_zvm_input(e->vm, "score") && !run_to_input(e->vm, budget(e), &stop, err, sizeof err)) {
        size_t n;
        found = parse_score_text(jitrl_zvm_output(e->vm, &n), score, max, moves);
    }
    jitrl_zvm_restore(e->vm, e->snap, len);
    env_clear_output(e->vm);
    return found;
}

static int read_loc(const jitrl_zvm *vm, const env_loc *l)
{
    if (l->kind == 1) return jitrl_zvm_read_byte(vm, l->addr);
    if (l->kind == 2) return (int16_t)jitrl_zvm_read_word(vm, l->addr);
    return 0;
}

static void read_score(zgame *e)
{
    switch (e->score_mode) {
    case SCORE_FACTS:
        e->score = read_loc(e->vm, &e->facts.score);
        e->moves = read_loc(e->vm, &e->facts.moves);
        break;
    case SCORE_V3:
        e->score = (int16_t)jitrl_zvm_global(e->vm, 1);
        e->moves = jitrl_zvm_global(e->vm, 2);
        break;
    case SCORE_VERB: {
        int s = e->score, m = e->max_score, mv = e->moves;
        if (score_by_verb(e, &s, &m, &mv)) {
            e->score = s;
            e->moves = mv;
            if (m > 0) e->max_score = m;
        }
        break;
    }
    default: break;
    }
}

/* Find needle in hay, any run of white space matching any other (the game
 * wraps lines where it likes). */
static int has_text(const char *hay, const char *needle)
{
    if (!needle[0]) return 0;
    for (const char *h = hay; *h; h++) {
        const char *a = h, *b = needle;
        while (*a && *b) {
            if (isspace((unsigned char)*b)) {
                if (!isspace((unsigned char)*a)) break;
                while (isspace((unsigned char)*a)) a++;
                while (isspace((unsigned char)*b)) b++;
            } else if (*a == *b) {
                a++;
                b++;
            } else {
                break;
            }
        }
        if (!*b) return 1;
    }
    return 0;
}

/* The game's own end-of-game question ("Would you like to RESTART,
 * RESTORE a saved game ... or QUIT?"). */
static int end_question(const char *t)
{
    return strstr(t, "RESTART") && strstr(t, "RESTORE") && strstr(t, "QUIT");
}

/* Inform keeps the outcome in `deadflag` (1 died, 2 won): when the game
 * has just ended, a global that went from 0 to 2 this turn says "won",
 * one that went 0 to 1 says "died". */
static int flag_says(const zgame *e)
{
    uint32_t g = jitrl_zvm_read_word(e->vm, 0x0c);
    int won = 0, died = 0;
    for (unsigned i = 0; i < 240; i++) {
        unsigned was = (unsigned)e->prev_globals[2 * i] << 8 | e->prev_globals[2 * i + 1];
        unsigned now = jitrl_zvm_read_word(e->vm, g + 2 * i);
        if (was == 0 && now == 2) won = 1;
        if (was == 0 && now == 1) died = 1;
    }
    return won && !died ? 2 : died && !won ? 1 : 0;
}

static void detect_end(zgame *e, const char *text, jitrl_zvm_stop stop)
{
    if (e->facts.known) {
        if (has_text(text, e->facts.victory)) e->victory = 1;
        else if (has_text(text, e->facts.death) && !end_question(text)) e->death = 1;
    } else {
        if (strstr(text, "You have won") || strstr(text, "you have won")) e->victory = 1;
        else if (strstr(text, "You have died") || strstr(text, "you have died")) e->death = 1;
    }
    if (!e->victory && !e->death && end_question(text)) {
        /* dfrotz (and we) may show a styled "*** You have won ***" as
         * blanks: fall back on the score and Inform's deadflag */
        int f = flag_says(e);
        if (f == 2 || (e->max_score > 0 && e->score >= e->max_score)) e->victory = 1;
        else e->death = 1;
    }
    if (e->victory || e->death || stop == JITRL_ZVM_QUIT) e->done = 1;
}

static void keep_globals(zgame *e)
{
    uint32_t g = jitrl_zvm_read_word(e->vm, 0x0c);
    for (unsigned i = 0; i < 480; i++) e->prev_globals[i] = jitrl_zvm_read_byte(e->vm, g + i);
}

/* Keep the output as the observation, without the trailing prompt. */
static int take_obs(zgame *e)
{
    size_t n = 0;
    const char *t = jitrl_zvm_output(e->vm, &n);
    while (n > 0 && (isspace((unsigned char)t[n - 1]) || t[n - 1] == '>')) n--;
    size_t s = 0;
    while (s < n && (t[s] == '\n' || t[s] == '\r')) s++;
    jr_buf_reset(&e->obs);
    int rc = jr_buf_append(&e->obs, t + s, n - s);
    if (rc == JITRL_ETOOBIG) rc = jr_buf_append(&e->obs, t + s, ENV_OBS_MAX - 1);
    if (rc) seterr(e, "observation: %s", jitrl_strerror(rc));
    return rc;
}

static int take_snapshot(zgame *e)
{
    return jitrl_zvm_snapshot(e->vm, e->snap, e->snap_cap, &e->snap_len);
}

static void fill_obs(const zgame *e, jitrl_obs *out, double reward)
{
    if (!out) return;
    out->text = jr_buf_str(&e->obs);
    out->reward = reward;
    out->done = e->done;
    out->victory = e->victory;
    out->death = e->death;
    out->score = e->score;
    out->moves = e->moves;
    out->max_score = e->max_score;
}

static void base_name(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, cap, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

static void zg_close(void *ctx);
static int zg_wrap(zgame *e, jitrl_env **out, char *err, size_t errlen);

static int env_open(const uint8_t *story, size_t len, const jitrl_zgame_options *opt, const char *path,
                    jitrl_env **out, char *err, size_t errlen)
{
    *out = NULL;
    jitrl_zgame_options o;
    jitrl_zgame_options_init(&o);
    if (jr_opts_load(&o, sizeof o, opt)) {
        if (err && errlen) snprintf(err, errlen, "options.size is not that of a jitrl_zgame_options");
        return JITRL_EINVAL;
    }
    zgame *e = jr_calloc(1, sizeof *e);
    if (!e) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    e->opt = o;
    int rc = JITRL_ENOMEM;
    jr_buf_init(&e->obs, ENV_OBS_MAX);
    jr_buf_init(&e->loc, 1 << 16);
    jr_buf_init(&e->inv, 1 << 16);
    jr_buf_init(&e->vis, 1 << 16);
    jr_buf_init(&e->cur, 1 << 18);
    e->story = jr_malloc(len ? len : 1);
    if (!e->story) goto fail;
    memcpy(e->story, story, len);
    e->story_len = len;
    env_md5(story, len, e->md5);
    if (e->opt.use_facts) env_facts_lookup(story, len, &e->facts);
    else memset(&e->facts, 0, sizeof e->facts);
    if (e->facts.known) snprintf(e->name, sizeof e->name, "%s", e->facts.name);
    else if (o.name && *o.name) snprintf(e->name, sizeof e->name, "%s", o.name);
    else if (path) base_name(path, e->name, sizeof e->name);
    else snprintf(e->name, sizeof e->name, "story");
    e->opt.name = NULL;   /* the caller's string: copied above, not kept */

    jitrl_zvm_options_init(&e->zopt);
    e->zopt.seed = e->opt.seed >= 0 ? e->opt.seed : e->facts.known ? e->facts.seed : 0;
    rc = jitrl_zvm_open_buffer(story, len, &e->zopt, &e->vm, err, errlen);
    if (rc) goto fail;
    e->snap_cap = jitrl_zvm_snapshot_size(e->vm);
    e->snap = jr_malloc(e->snap_cap);
    rc = JITRL_ENOMEM;
    if (!e->snap) goto fail;

    int grc = env_grammar_parse(e->vm, &e->gram, e->gram_err, sizeof e->gram_err);
    if (grc == JITRL_ENOMEM) goto fail;
    e->have_grammar = grc == JITRL_OK;
    if (!e->have_grammar) seterr(e, "%s", e->gram_err);
    snprintf(e->parser_mode, sizeof e->parser_mode, "fallback: %s", e->gram_err);

    if (e->facts.known) {
        e->score_mode = SCORE_FACTS;
        e->max_score = e->facts.max_score;
    } else if (jitrl_zvm_version(e->vm) <= 3 && !(jitrl_zvm_read_byte(e->vm, 1) & 0x02)) {
        e->score_mode = SCORE_V3;
    } else {
        /* the fallback knows no `score` verb */
        e->score_mode = e->have_grammar && e->gram.kind != GR_FALLBACK ? SCORE_VERB : SCORE_NONE;
    }
    return zg_wrap(e, out, err, errlen);
fail:
    if (err && errlen && rc == JITRL_ENOMEM) snprintf(err, errlen, "out of memory");
    zg_close(e);
    return rc;
}

int jitrl_zgame_open_buffer(const uint8_t *story, size_t len, const jitrl_zgame_options *opt, jitrl_env **out,
                          char *err, size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    if (!story || !len) {
        if (err && errlen) snprintf(err, errlen, "empty story");
        return JITRL_EINVAL;
    }
    return env_open(story, len, opt, NULL, out, err, errlen);
}

int jitrl_zgame_open_file(const char *path, const jitrl_zgame_options *opt, jitrl_env **out, char *err,
                          size_t errlen)
{
    if (!out || !path) return JITRL_EINVAL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen) snprintf(err, errlen, "cannot open %s", path);
        return JITRL_EIO;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = JITRL_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= (64u << 20)) { rc = JITRL_ECORRUPT; break; }
            size_t nc = cap ? cap * 2 : 1 << 17;
            uint8_t *p = jr_realloc(buf, nc);
            if (!p) { rc = JITRL_ENOMEM; break; }
            buf = p;
            cap = nc;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
    }
    if (ferror(f) && !rc) rc = JITRL_EIO;
    fclose(f);
    if (rc) {
        if (err && errlen) snprintf(err, errlen, "cannot read %s: %s", path, jitrl_strerror(rc));
        jr_free(buf);
        return rc;
    }
    if (!len) {
        jr_free(buf);
        if (err && errlen) snprintf(err, errlen, "%s is empty", path);
        return JITRL_ECORRUPT;
    }
    rc = env_open(buf, len, opt, path, out, err, errlen);
    jr_free(buf);
    return rc;
}

static void zg_close(void *ctx)
{
    zgame *e = ctx;
    if (!e) return;
    if (e->cache_held) env_cache_give(e->opt.actions_cache, e->acts);
    else env_actions_free(e->acts);
    env_grammar_free(&e->gram);
    jitrl_zvm_close(e->vm);
    jr_free(e->story);
    jr_free(e->snap);
    jr_buf_free(&e->obs);
    jr_buf_free(&e->loc);
    jr_buf_free(&e->inv);
    jr_buf_free(&e->vis);
    jr_buf_free(&e->cur);
    jr_free(e);
}

/* Restart the machine from the story bytes (a fresh open keeps the seed
 * semantics of `dfrotz -s N` exact). */
static int restart_vm(zgame *e)
{
    jitrl_zvm *vm = NULL;
    char err[200];
    int rc = jitrl_zvm_open_buffer(e->story, e->story_len, &e->zopt, &vm, err, sizeof err);
    if (rc) {
        seterr(e, "%s", err);
        return rc;
    }
    jitrl_zvm_close(e->vm);
    e->vm = vm;
    return JITRL_OK;
}

static int ensure_actions(zgame *e);

static int zg_reset(void *ctx, jitrl_obs *out)
{
    zgame *e = ctx;
    e->text_valid = 0;
    int rc = restart_vm(e);
    if (rc) return rc;
    e->started = 1;
    e->done = e->victory = e->death = 0;
    e->va_valid = 0;
    e->score = e->moves = 0;
    jitrl_zvm_stop stop = JITRL_ZVM_HALT;
    env_clear_output(e->vm);
    /* the intro input: lines separated by '\n' (an empty line is one
     * Return); they answer key presses too, as they do in frotz */
    const char *intro = e->facts.intro;
    rc = JITRL_OK;
    while (!rc && *intro) {
        rc = jitrl_zvm_run(e->vm, budget(e), &stop);
        if (rc || (stop != JITRL_ZVM_INPUT && stop != JITRL_ZVM_CHAR)) break;
        const char *nl = strchr(intro, '\n');
        char line[64];
        size_t n = nl ? (size_t)(nl - intro) : strlen(intro);
        if (n >= sizeof line) n = sizeof line - 1;
        memcpy(line, intro, n);
        line[n] = 0;
        rc = jitrl_zvm_input(e->vm, line);
        intro = nl ? nl + 1 : intro + n;
    }
    if (!rc) rc = run_to_input(e->vm, budget(e), &stop, e->err, sizeof e->err);
    else snprintf(e->err, sizeof e->err, "story halted: %s", jitrl_zvm_errmsg(e->vm));
    if (rc) {
        e->done = 1;
        return rc;
    }
    if ((rc = take_obs(e))) return rc;
    if (!e->world.nobj && e->have_grammar) env_world_init(e->vm, &e->gram, &e->world);
    else if (e->have_grammar) e->world.player = env_find_player(e->vm, &e->world);
    if ((rc = take_snapshot(e))) return rc;
    /* with no facts and no v3 status line, the turn counter is wherever
     * the game keeps it: found once, it stays out of the world hash */
    if (e->score_mode == SCORE_VERB && (rc = ensure_actions(e)) == JITRL_OK)
        if ((rc = env_actions_counters(e->acts, e->vm, e->snap, e->snap_len, e->counters)))
            seterr(e, "turn counter: %s", jitrl_strerror(rc));
    if (rc) return rc;
    read_score(e);
    detect_end(e, jr_buf_str(&e->obs), stop);
    fill_obs(e, out, 0);
    return JITRL_OK;
}

static int zg_step(void *ctx, const char *action, jitrl_obs *out)
{
    zgame *e = ctx;
    e->text_valid = 0;
    if (!e->started || e->done) {
        seterr(e, "%s", e->started ? "the game is over: call reset" : "call reset first");
        return JITRL_ESTATE;
    }
    char line[256];
    size_t n = 0;
    for (const char *p = action; *p && n + 1 < sizeof line; p++)
        line[n++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
    line[n] = 0;
    int before = e->score;
    keep_globals(e);
    env_clear_output(e->vm);
    e->va_valid = 0;
    int rc = jitrl_zvm_input(e->vm, line);
    jitrl_zvm_stop stop = JITRL_ZVM_HALT;
    if (!rc) rc = run_to_input(e->vm, budget(e), &stop, e->err, sizeof e->err);
    int trc = take_obs(e);
    if (rc) {
        e->done = 1;
        fill_obs(e, out, 0);
        return rc;
    }
    if (trc) return trc;
    if (stop == JITRL_ZVM_INPUT && (rc = take_snapshot(e))) return rc;
    if (stop == JITRL_ZVM_INPUT) read_score(e);
    else if (e->score_mode == SCORE_FACTS || e->score_mode == SCORE_V3) read_score(e);
    detect_end(e, jr_buf_str(&e->obs), stop);
    if (e->done && e->score_mode == SCORE_VERB) final_score(e);
    fill_obs(e, out, (double)(e->score - before));
    return JITRL_OK;
}

static int ensure_actions(zgame *e)
{
    if (e->acts) return JITRL_OK;
    int rc = JITRL_OK;
    if (e->opt.actions_cache && !e->cache_held) {
        /* the cache's actions, else our own, given to it at close */
        if ((rc = env_cache_take(e->opt.actions_cache, e->md5, e->opt.fast_actions != 0, &e->gram, &e->world,
                                 &e->facts, &e->acts, e->err, sizeof e->err)))
            return rc;
        e->cache_held = 1;
    }
    if (!e->acts)
        rc = env_actions_create(e->story, e->story_len, &e->zopt, &e->gram, &e->world, &e->facts,
                                e->opt.threads, budget(e), &e->acts, e->err, sizeof e->err);
    if (!rc) env_actions_set_fast(e->acts, e->opt.fast_actions);
    if (!rc) {
        env_log log = {e->opt.log_mask, e->opt.log, e->opt.log_ctx};
        env_actions_set_log(e->acts, &log);
    }
    return rc;
}

static int zg_actions(void *ctx, const char *const **actions, size_t *n)
{
    zgame *e = ctx;
    *actions = NULL;
    *n = 0;
    if (!e->started) {
        seterr(e, "%s", "call reset first");
        return JITRL_ESTATE;
    }
    if (!e->have_grammar) {
        seterr(e, "%s", e->gram_err);
        return JITRL_EUNSUPPORTED;
    }
    if (e->done) {
        static const char *const none[1] = {NULL};
        *actions = none;
        return JITRL_OK;
    }
    if (!e->va_valid) {
        int rc = ensure_actions(e);
        if (rc) return rc;
        rc = env_actions_get(e->acts, e->vm, e->snap, e->snap_len, jr_buf_str(&e->obs), &e->va, &e->vo,
                             &e->nva, &e->stats, e->err, sizeof e->err);
        if (rc) return rc;
        e->va_valid = 1;
    }
    *actions = e->va;
    *n = e->nva;
    return JITRL_OK;
}

static int check_action(zgame *e, const char *action, int *changes_world, long *valid_index)
{
    const char *const *acts;
    size_t n;
    int rc = zg_actions(e, &acts, &n);
    if (rc) return rc;
    if (e->done) return JITRL_OK;
    uint64_t oc = 0;
    rc = env_actions_outcome(e->acts, e->vm, e->snap, e->snap_len, jr_buf_str(&e->obs), action,
                             changes_world, &oc);
    if (rc < 0) {
        /* the check taught the noise model something: recompute, retry */
        e->va_valid = 0;
        if ((rc = zg_actions(e, &acts, &n))) return rc;
        rc = env_actions_outcome(e->acts, e->vm, e->snap, e->snap_len, jr_buf_str(&e->obs), action,
                                 changes_world, &oc);
        if (rc < 0) rc = JITRL_OK;
    }
    if (rc) return rc;
    for (size_t i = 0; i < e->nva && *changes_world; i++)
        if (e->vo[i] == oc) { *valid_index = (long)i; break; }
    return JITRL_OK;
}

/* Read the structured state into the handle's buffers, once per state:
 * the state fields, the prompt fields and jitrl_zgame_state() then share
 * one reading, and what one returned stays valid while the others run. */
static void state_text(zgame *e)
{
    if (e->text_valid) return;
    e->text_valid = 1;
    env_state_text(e->vm, &e->world, &e->loc, &e->inv, &e->vis);
    jr_buf_reset(&e->cur);
    jr_buf_printf(&e->cur, "location: %s\ninventory: %s\nvisible: %s", jr_buf_str(&e->loc),
                  jr_buf_str(&e->inv), jr_buf_str(&e->vis));
}

/* Retrieval: "current" alone; the agent adds its "history". */
static int zg_state_fields(void *ctx, const jitrl_field **fields, size_t *n)
{
    zgame *e = ctx;
    state_text(e);
    e->state_field[0] = (jitrl_field){"current", jr_buf_str(&e->cur)};
    *fields = e->state_field;
    *n = 1;
    return JITRL_OK;
}

/* What the model is shown: the parts of "current" and the score. */
static int zg_prompt_fields(void *ctx, const jitrl_field **fields, size_t *n)
{
    zgame *e = ctx;
    state_text(e);
    snprintf(e->score_text, sizeof e->score_text, "%d", e->score);
    e->prompt_field[0] = (jitrl_field){"location", jr_buf_str(&e->loc)};
    e->prompt_field[1] = (jitrl_field){"inventory", jr_buf_str(&e->inv)};
    e->prompt_field[2] = (jitrl_field){"visible objects", jr_buf_str(&e->vis)};
    e->prompt_field[3] = (jitrl_field){"score", e->score_text};
    *fields = e->prompt_field;
    *n = 4;
    return JITRL_OK;
}

static const char *zg_observation(void *ctx) { return jr_buf_str(&((zgame *)ctx)->obs); }

/* ---- state blobs: "JENV" 1, md5, flags and numbers, text, VM snapshot ---- */

#define BLOB_HEAD (4 + 4 + 16 + 7 * 4 + 8)

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static size_t zg_state_size(void *ctx)
{
    zgame *e = ctx;
    return e->started ? BLOB_HEAD + e->obs.len + e->snap_len : 0;
}

static int zg_get_state(void *ctx, void *buf, size_t cap, size_t *len)
{
    zgame *e = ctx;
    if (!e->started) return JITRL_ESTATE;
    size_t need = zg_state_size(e);
    if (cap < need) return JITRL_ETOOBIG;
    uint8_t *p = buf;
    memcpy(p, "JENV", 4);
    put32(p + 4, 1);
    memcpy(p + 8, e->md5, 16);
    int v[7] = {e->done, e->victory, e->death, e->score, e->moves, e->max_score, 0};
    for (int i = 0; i < 7; i++) put32(p + 24 + 4 * i, (uint32_t)v[i]);
    put32(p + 52, (uint32_t)e->obs.len);
    put32(p + 56, (uint32_t)e->snap_len);
    memcpy(p + BLOB_HEAD, jr_buf_str(&e->obs), e->obs.len);
    memcpy(p + BLOB_HEAD + e->obs.len, e->snap, e->snap_len);
    *len = need;
    return JITRL_OK;
}

static int zg_set_state(void *ctx, const void *buf, size_t len)
{
    zgame *e = ctx;
    e->text_valid = 0;
    const uint8_t *p = buf;
    if (len < BLOB_HEAD || memcmp(p, "JENV", 4) || get32(p + 4) != 1 || memcmp(p + 8, e->md5, 16)) {
        seterr(e, "%s", "not a state of this story");
        return JITRL_ECORRUPT;
    }
    size_t tl = get32(p + 52), sl = get32(p + 56);
    if (BLOB_HEAD + tl + sl != len || sl > e->snap_cap) {
        seterr(e, "%s", "truncated state");
        return JITRL_ECORRUPT;
    }
    if (!e->started) {
        /* a fresh handle: the machine needs its header set up first */
        int rc = restart_vm(e);
        if (rc) return rc;
    }
    int rc = jitrl_zvm_restore(e->vm, p + BLOB_HEAD + tl, sl);
    if (rc) {
        seterr(e, "snapshot rejected: %s", jitrl_zvm_errmsg(e->vm));
        return JITRL_ECORRUPT;
    }
    jr_buf_reset(&e->obs);
    if ((rc = jr_buf_append(&e->obs, p + BLOB_HEAD, tl))) return rc;
    memcpy(e->snap, p + BLOB_HEAD + tl, sl);
    e->snap_len = sl;
    e->done = (int)get32(p + 24);
    e->victory = (int)get32(p + 28);
    e->death = (int)get32(p + 32);
    e->score = (int)get32(p + 36);
    e->moves = (int)get32(p + 40);
    e->max_score = (int)get32(p + 44);
    int fresh = !e->started;
    if (fresh && e->have_grammar && !e->world.nobj) env_world_init(e->vm, &e->gram, &e->world);
    e->started = 1;
    e->va_valid = 0;
    env_clear_output(e->vm);
    /* a handle never reset has not found the turn counter(s) the hash
     * leaves out (score by verb): find them now, from this state, so the
     * hash equals the saving handle's */
    if (fresh && e->score_mode == SCORE_VERB && (rc = ensure_actions(e)) == JITRL_OK)
        if ((rc = env_actions_counters(e->acts, e->vm, e->snap, e->snap_len, e->counters)))
            seterr(e, "turn counter: %s", jitrl_strerror(rc));
    return rc;
}

static uint64_t zg_hash(void *ctx)
{
    const zgame *e = ctx;
    if (!e->started) return 0;
    /* the globals without the turn counter(s): the facts' counter, global
     * 2 of a v3 status line, or those found by two waits (reset) */
    uint8_t skip[32] = {0};
    uint32_t glo = jitrl_zvm_read_word(e->vm, 0x0c);
    if (e->score_mode == SCORE_FACTS && e->facts.moves.kind) {
        uint32_t ma = e->facts.moves.addr, mlen = e->facts.moves.kind == 1 ? 1 : 2;
        for (uint32_t g = 0; g < 240; g++)
            if (ma < glo + 2 * g + 2 && glo + 2 * g < ma + mlen) skip[g / 8] |= (uint8_t)(1u << (g % 8));
    } else if (e->score_mode == SCORE_V3) {
        skip[0] = 1u << 2;
    } else if (e->score_mode == SCORE_VERB) {
        memcpy(skip, e->counters, sizeof skip);
    }
    jitrl_zvm_range r[241];
    size_t n = 0;
    for (uint32_t g = 0; g < 240; g++) {
        if (skip[g / 8] >> (g % 8) & 1) continue;
        if (n && r[n - 1].addr + r[n - 1].len == glo + 2 * g) r[n - 1].len += 2;
        else r[n].addr = glo + 2 * g, r[n++].len = 2;
    }
    return jitrl_zvm_hash(e->vm, r, n);
}

/* ---- the kind: its methods, its info, its extras ---- */

static const char *const zgame_fallback[] = {
    "north", "south", "east", "west", "up", "down", "look", "inventory", "wait",
};

/* The paper's text-game similarity: current 4-grams 0.7, history 1-grams 0.3. */
static const jitrl_field_spec zgame_fields[] = {{"current", 4, 0.7}, {"history", 1, 0.3}};

static int zg_wrap(zgame *e, jitrl_env **out, char *err, size_t errlen)
{
    jitrl_env_methods m;
    jitrl_env_methods_init(&m);
    m.reset = zg_reset;
    m.step = zg_step;
    m.actions = zg_actions;
    m.state_fields = zg_state_fields;
    m.prompt_fields = zg_prompt_fields;
    m.observation = zg_observation;
    m.state_size = zg_state_size;
    m.get_state = zg_get_state;
    m.set_state = zg_set_state;
    m.hash = zg_hash;
    m.errmsg = zg_errmsg;
    m.close = zg_close;
    char task[160];
    snprintf(task, sizeof task, "Play the text adventure %s and maximise the score.", e->name);
    jitrl_env_info in;
    jitrl_env_info_init(&in);
    in.kind = "zgame";
    in.name = e->name;
    in.preset = "text";
    in.system_prompt = "You are an expert player of text adventure games. You pick the next command "
                       "that makes progress and earns points, avoiding death and repetition.";
    in.task = task;
    in.action_hint = "short and in the game's usual form (e.g. \"open door\", \"north\")";
    in.reward_lo = -10;
    in.reward_hi = 10;
    in.fallback_actions = zgame_fallback;
    in.n_fallback = sizeof zgame_fallback / sizeof zgame_fallback[0];
    in.fields = zgame_fields;
    in.n_fields = sizeof zgame_fields / sizeof zgame_fields[0];
    int rc = env_create_kind(&m, &in, e, &zgame_tag, out, err, errlen);
    if (rc) zg_close(e);
    return rc;
}

int jitrl_zgame_check_action(jitrl_env *env, const char *action, int *changes_world, long *valid_index)
{
    zgame *e = of(env);
    if (changes_world) *changes_world = 0;
    if (valid_index) *valid_index = -1;
    if (!e || !action || !changes_world || !valid_index) return JITRL_EINVAL;
    if (!e->started) {
        env_kind_seterr(env, "call reset first");
        return JITRL_ESTATE;
    }
    int rc = check_action(e, action, changes_world, valid_index);
    if (rc) env_kind_seterr(env, e->err);
    return rc;
}

int jitrl_zgame_last_action_stats(const jitrl_env *env, jitrl_zgame_action_stats *out)
{
    const zgame *e = of(env);
    if (!out) return JITRL_EINVAL;
    if (!e) {
        memset(out, 0, sizeof *out);
        return JITRL_EINVAL;
    }
    *out = e->stats;
    return JITRL_OK;
}

int jitrl_zgame_state(jitrl_env *env, jitrl_zgame_state_text *out)
{
    zgame *e = of(env);
    if (!e || !out) return JITRL_EINVAL;
    state_text(e);
    out->location = jr_buf_str(&e->loc);
    out->inventory = jr_buf_str(&e->inv);
    out->visible = jr_buf_str(&e->vis);
    out->current = jr_buf_str(&e->cur);
    out->observation = jr_buf_str(&e->obs);
    out->score = e->score;
    out->moves = e->moves;
    return JITRL_OK;
}

int jitrl_zgame_max_score(const jitrl_env *env) { const zgame *e = of(env); return e ? e->max_score : 0; }
int32_t jitrl_zgame_seed(const jitrl_env *env) { const zgame *e = of(env); return e ? e->zopt.seed : 0; }
int jitrl_zgame_known(const jitrl_env *env) { const zgame *e = of(env); return e ? e->facts.known : 0; }
const char *jitrl_zgame_intro(const jitrl_env *env) { const zgame *e = of(env); return e ? e->facts.intro : ""; }
const jitrl_zvm *jitrl_zgame_vm(const jitrl_env *env) { const zgame *e = of(env); return e ? e->vm : NULL; }

unsigned jitrl_zgame_player(const jitrl_env *env)
{
    const zgame *e = of(env);
    return e && e->have_grammar && e->started ? e->world.player : 0;
}

int jitrl_zgame_progress(const jitrl_env *env, int *score, int *moves, int *done, int *victory, int *death)
{
    const zgame *e = of(env);
    int v[5] = {0};
    if (e && e->started) {
        v[0] = e->score, v[1] = e->moves, v[2] = e->done, v[3] = e->victory, v[4] = e->death;
    }
    int *out[5] = {score, moves, done, victory, death};
    for (int i = 0; i < 5; i++)
        if (out[i]) *out[i] = v[i];
    return e ? JITRL_OK : JITRL_EINVAL;
}

const char *jitrl_zgame_parser(const jitrl_env *env)
{
    const zgame *e = of(env);
    if (!e) return "";
    switch (e->have_grammar ? e->gram.kind : GR_NONE) {
    case GR_INFORM_GV1: return "inform-gv1";
    case GR_INFORM_GV2: return "inform-gv2";
    case GR_INFOCOM: return "infocom";
    case GR_INFOCOM_VAR: return "infocom-compact";
    case GR_INFOCOM2: return "infocom-new";
    case GR_FALLBACK: return e->parser_mode;
    default: return "none";
    }
}
