/*
 * summary.c -- the run summary: building it, its derived statistics, and
 * its JSON form (the `--summary` file that the acceptance checks and
 * `jitrl report` read).
 *
 * Writing goes through the bounded jr_buf so the number format is ours
 * (integers print as integers, %.10g otherwise) and one run sits on one
 * line; reading goes through jansson and tolerates extra fields, because
 * summaries are exchanged between versions and edited by hand.
 */
#include "jitrl/summary.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_JSON_MAX ((size_t)256 << 20)

jitrl_summary *jitrl_summary_new(void) { return jr_calloc(1, sizeof(jitrl_summary)); }

void jitrl_summary_free(jitrl_summary *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_runs; i++) jr_free(s->runs[i].scores);
    jr_free(s->runs);
    jr_free(s->game);
    jr_free(s->agent);
    jr_free(s->model);
    jr_free(s->prior);
    jr_free(s);
}

void jitrl_summary_free_array(jitrl_summary **arr, size_t n)
{
    for (size_t i = 0; arr && i < n; i++) jitrl_summary_free(arr[i]);
    jr_free(arr);
}

int jitrl_summary_set(char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = jr_strdup(value))) return JITRL_ENOMEM;
    jr_free(*field);
    *field = copy;
    return JITRL_OK;
}

int jitrl_summary_add_run(jitrl_summary *s, uint64_t seed, const double *scores, size_t n)
{
    double *copy = jr_malloc((n ? n : 1) * sizeof *copy);
    if (!copy) return JITRL_ENOMEM;
    if (n) memcpy(copy, scores, n * sizeof *copy);
    jitrl_run_summary *runs = jr_realloc(s->runs, (s->n_runs + 1) * sizeof *runs);
    if (!runs) {
        jr_free(copy);
        return JITRL_ENOMEM;
    }
    s->runs = runs;
    jitrl_run_summary *r = &runs[s->n_runs++];
    memset(r, 0, sizeof *r);
    r->seed = seed;
    r->scores = copy;
    r->n_scores = n;
    return JITRL_OK;
}

void jitrl_summary_finish(jitrl_summary *s)
{
    double *avgs = jr_malloc((s->n_runs ? s->n_runs : 1) * sizeof *avgs);
    double *finals = jr_malloc((s->n_runs ? s->n_runs : 1) * sizeof *finals);
    uint64_t episodes = 0;
    double run_wall = 0.0;
    s->prompt_tokens = s->completion_tokens = s->calls = s->fallbacks = s->steps = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        jitrl_run_summary *r = &s->runs[i];
        jitrl_mean_ci95(r->scores, r->n_scores, &r->avg, NULL);
        r->final = r->n_scores ? r->scores[r->n_scores - 1] : 0.0;
        if (avgs) avgs[i] = r->avg;
        if (finals) finals[i] = r->final;
        s->prompt_tokens += r->prompt_tokens;
        s->completion_tokens += r->completion_tokens;
        s->calls += r->calls;
        s->fallbacks += r->fallbacks;
        s->steps += r->steps;
        episodes += r->n_scores;
        run_wall += r->wall_s;
    }
    if (avgs && finals) {
        jitrl_mean_ci95(avgs, s->n_runs, &s->avg_mean, &s->avg_ci95);
        jitrl_mean_ci95(finals, s->n_runs, &s->final_mean, &s->final_ci95);
    }
    jr_free(avgs);
    jr_free(finals);
    if (s->wall_s <= 0.0) s->wall_s = run_wall;
    s->wall_per_episode = episodes ? (run_wall > 0 ? run_wall : s->wall_s) / (double)episodes : 0.0;
    s->tokens_per_step = s->steps ? (double)(s->prompt_tokens + s->completion_tokens) / (double)s->steps : 0.0;
    s->prompt_tokens_per_step = s->steps ? (double)s->prompt_tokens / (double)s->steps : 0.0;
    s->cost = ((double)s->prompt_tokens * s->price_in + (double)s->completion_tokens * s->price_out) / 1e6;
}

/* ---- Writing ---- */

static int put_num(jr_buf *b, double x)
{
    if (!isfinite(x)) x = 0.0;
    if (x == floor(x) && fabs(x) < 1e15) return jr_buf_printf(b, "%.0f", x);
    return jr_buf_printf(b, "%.10g", x);
}

static int put_key_num(jr_buf *b, const char *key, double x)
{
    int rc = jr_buf_printf(b, ",\"%s\":", key);
    return rc ? rc : put_num(b, x);
}

static int put_key_str(jr_buf *b, const char *key, const char *v, int first)
{
    int rc = jr_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
    return rc ? rc : jr_buf_json_str(b, v ? v : "");
}

static int put_tokens(jr_buf *b, uint64_t prompt, uint64_t completion, uint64_t calls)
{
    return jr_buf_printf(b, ",\"tokens\":{\"prompt\":%llu,\"completion\":%llu,\"calls\":%llu",
                         (unsigned long long)prompt, (unsigned long long)completion,
                         (unsigned long long)calls);
}

static int put_run(jr_buf *b, const jitrl_run_summary *r)
{
    int rc = jr_buf_printf(b, "{\"seed\":%llu,\"scores\":[", (unsigned long long)r->seed);
    for (size_t i = 0; !rc && i < r->n_scores; i++) {
        if (i) rc = jr_buf_putc(b, ',');
        if (!rc) rc = put_num(b, r->scores[i]);
    }
    if (!rc) rc = jr_buf_putc(b, ']');
    if (!rc) rc = put_key_num(b, "avg", r->avg);
    if (!rc) rc = put_key_num(b, "final", r->final);
    if (!rc) rc = put_tokens(b, r->prompt_tokens, r->completion_tokens, r->calls);
    if (!rc) rc = jr_buf_putc(b, '}');
    if (!rc) rc = put_key_num(b, "fallbacks", (double)r->fallbacks);
    if (!rc) rc = put_key_num(b, "steps", (double)r->steps);
    if (!rc) rc = put_key_num(b, "wall_s", r->wall_s);
    if (!rc) rc = put_key_num(b, "resumed", (double)r->resumed);
    if (!rc) rc = put_key_num(b, "stored_before", (double)r->stored_before);
    if (!rc) rc = jr_buf_putc(b, '}');
    return rc;
}

char *jitrl_summary_to_json(const jitrl_summary *s)
{
    jr_buf b;
    jr_buf_init(&b, SUMMARY_JSON_MAX);
    int rc = jr_buf_putc(&b, '{');
    if (!rc) rc = put_key_str(&b, "game", s->game, 1);
    if (!rc) rc = put_key_str(&b, "agent", s->agent, 0);
    if (!rc) rc = put_key_str(&b, "model", s->model ? s->model : "none", 0);
    if (!rc) rc = put_key_str(&b, "prior", s->prior ? s->prior : "uniform", 0);
    if (!rc) rc = put_key_num(&b, "max_score", s->max_score);
    if (!rc) rc = put_key_num(&b, "episodes", s->episodes);
    if (!rc) rc = put_key_num(&b, "max_steps", s->max_steps);
    if (!rc) rc = put_key_num(&b, "beta", s->beta);
    if (!rc) rc = jr_buf_puts(&b, ",\"runs\":[\n");
    for (size_t i = 0; !rc && i < s->n_runs; i++) {
        rc = put_run(&b, &s->runs[i]);
        if (!rc) rc = jr_buf_puts(&b, i + 1 < s->n_runs ? ",\n" : "\n");
    }
    if (!rc) rc = jr_buf_putc(&b, ']');
    if (!rc) rc = put_key_num(&b, "avg_mean", s->avg_mean);
    if (!rc) rc = put_key_num(&b, "avg_ci95", s->avg_ci95);
    if (!rc) rc = put_key_num(&b, "final_mean", s->final_mean);
    if (!rc) rc = put_key_num(&b, "final_ci95", s->final_ci95);
    if (!rc) rc = put_tokens(&b, s->prompt_tokens, s->completion_tokens, s->calls);
    if (!rc) rc = put_key_num(&b, "per_step", s->tokens_per_step);
    if (!rc) rc = put_key_num(&b, "prompt_per_step", s->prompt_tokens_per_step);
    if (!rc) rc = jr_buf_putc(&b, '}');
    if (!rc) rc = put_key_num(&b, "tokens_per_step", s->tokens_per_step);
    if (!rc) rc = put_key_num(&b, "fallbacks", (double)s->fallbacks);
    if (!rc) rc = put_key_num(&b, "steps", (double)s->steps);
    if (!rc) rc = put_key_num(&b, "price_in", s->price_in);
    if (!rc) rc = put_key_num(&b, "price_out", s->price_out);
    if (!rc) rc = put_key_num(&b, "cost", s->cost);
    if (!rc) rc = put_key_num(&b, "wall_s", s->wall_s);
    if (!rc) rc = put_key_num(&b, "wall_per_episode", s->wall_per_episode);
    if (!rc) rc = jr_buf_puts(&b, "}\n");
    if (rc) {
        jr_buf_free(&b);
        return NULL;
    }
    return jr_buf_steal(&b);
}

/* ---- Reading ---- */

/* Reading is strict about types and ranges: a field that is present must
 * have its type (a string where a number belongs is an error naming the
 * field, not a silent 0), and a score must be finite and within
 * SUMMARY_MAX_ABS, beyond which no game scores and the report's axis
 * arithmetic would overflow.  The first complaint is kept in rd->why. */
#define SUMMARY_MAX_ABS 1e12

typedef struct reader {
    char why[160];
} reader;

static void complain(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void complain(reader *rd, const char *fmt, ...)
{
    if (rd->why[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->why, sizeof rd->why, fmt, ap);
    va_end(ap);
}

static double num_of(reader *rd, json_t *o, const char *key, double dflt)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return dflt;
    if (!json_is_number(v)) {
        complain(rd, "\"%s\" is not a number", key);
        return dflt;
    }
    double x = json_number_value(v);
    if (!isfinite(x) || fabs(x) > SUMMARY_MAX_ABS) {
        complain(rd, "\"%s\" is %g, outside +-1e12", key, x);
        return dflt;
    }
    return x;
}

static uint64_t count_of(reader *rd, json_t *o, const char *key)
{
    double x = num_of(rd, o, key, 0.0);
    if (x < 0 || x != floor(x)) {
        complain(rd, "\"%s\" is %g, not a count", key, x);
        return 0;
    }
    return (uint64_t)x;
}

static int int_of(reader *rd, json_t *o, const char *key)
{
    double x = num_of(rd, o, key, 0.0);
    if (x < -1e9 || x > 1e9 || x != floor(x)) {
        complain(rd, "\"%s\" is %g, not an integer", key, x);
        return 0;
    }
    return (int)x;
}

static void set_err(char *err, size_t errlen, const char *msg, size_t index)
{
    if (err && errlen) snprintf(err, errlen, "summary %zu: %s", index, msg);
}

static int str_field(reader *rd, json_t *o, const char *key, char **field)
{
    json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) && !json_is_string(v)) complain(rd, "\"%s\" is not a string", key);
    return jitrl_summary_set(field, json_is_string(v) ? json_string_value(v) : NULL);
}

static int parse_run(reader *rd, jitrl_summary *s, json_t *jr, size_t run)
{
    json_t *jscores = json_object_get(jr, "scores");
    if (jscores && !json_is_array(jscores)) complain(rd, "run %zu: \"scores\" is not an array", run + 1);
    size_t n = json_is_array(jscores) ? json_array_size(jscores) : 0;
    double *scores = jr_malloc((n ? n : 1) * sizeof *scores);
    if (!scores) return JITRL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(jscores, i);
        double x = json_is_number(v) ? json_number_value(v) : NAN;
        if (!isfinite(x) || fabs(x) > SUMMARY_MAX_ABS) {
            if (json_is_number(v)) complain(rd, "run %zu: score %zu is %g, outside +-1e12", run + 1, i + 1, x);
            else complain(rd, "run %zu: score %zu is not a number", run + 1, i + 1);
            x = 0.0;
        }
        scores[i] = x;
    }
    int rc = jitrl_summary_add_run(s, count_of(rd, jr, "seed"), scores, n);
    jr_free(scores);
    if (rc) return rc;
    jitrl_run_summary *r = &s->runs[s->n_runs - 1];
    json_t *tok = json_object_get(jr, "tokens");
    r->prompt_tokens = count_of(rd, tok, "prompt");
    r->completion_tokens = count_of(rd, tok, "completion");
    r->calls = count_of(rd, tok, "calls");
    r->fallbacks = count_of(rd, jr, "fallbacks");
    r->steps = count_of(rd, jr, "steps");
    r->wall_s = num_of(rd, jr, "wall_s", 0.0);
    r->avg = num_of(rd, jr, "avg", 0.0);
    r->final = num_of(rd, jr, "final", 0.0);
    r->resumed = count_of(rd, jr, "resumed");
    r->stored_before = count_of(rd, jr, "stored_before");
    if (r->resumed > r->n_scores)
        complain(rd, "run %zu: \"resumed\" is %llu, more than its %zu scores", run + 1,
                 (unsigned long long)r->resumed, r->n_scores);
    return JITRL_OK;
}

static int parse_one(json_t *o, jitrl_summary **out, char *err, size_t errlen, size_t index)
{
    *out = NULL;
    json_t *jruns = json_object_get(o, "runs");
    if (!json_is_object(o) || !json_is_array(jruns) || !json_is_string(json_object_get(o, "agent"))) {
        set_err(err, errlen, "not a run summary (needs \"agent\" and \"runs\")", index);
        return JITRL_EPARSE;
    }
    jitrl_summary *s = jitrl_summary_new();
    if (!s) return JITRL_ENOMEM;
    reader rd = {""};
    int rc = str_field(&rd, o, "game", &s->game);
    if (!rc) rc = str_field(&rd, o, "agent", &s->agent);
    if (!rc) rc = str_field(&rd, o, "model", &s->model);
    if (!rc) rc = str_field(&rd, o, "prior", &s->prior);
    s->max_score = int_of(&rd, o, "max_score");
    s->episodes = int_of(&rd, o, "episodes");
    s->max_steps = int_of(&rd, o, "max_steps");
    s->beta = num_of(&rd, o, "beta", 0.0);
    s->price_in = num_of(&rd, o, "price_in", 0.0);
    s->price_out = num_of(&rd, o, "price_out", 0.0);
    s->wall_s = num_of(&rd, o, "wall_s", 0.0);
    int have_scores = 1;
    for (size_t i = 0; !rc && i < json_array_size(jruns); i++) {
        json_t *jr = json_array_get(jruns, i);
        if (!json_is_object(jr)) {
            set_err(err, errlen, "a run is not an object", index);
            rc = JITRL_EPARSE;
            break;
        }
        rc = parse_run(&rd, s, jr, i);
        if (!rc && !json_is_array(json_object_get(jr, "scores"))) have_scores = 0;
    }
    if (!rc && rd.why[0]) {
        set_err(err, errlen, rd.why, index);
        rc = JITRL_EPARSE;
    }
    if (rc) {
        jitrl_summary_free(s);
        return rc;
    }
    if (have_scores) {
        jitrl_summary_finish(s);
    } else {
        s->avg_mean = num_of(&rd, o, "avg_mean", 0.0);
        s->avg_ci95 = num_of(&rd, o, "avg_ci95", 0.0);
        s->final_mean = num_of(&rd, o, "final_mean", 0.0);
        s->final_ci95 = num_of(&rd, o, "final_ci95", 0.0);
    }
    /* Older or hand-made files may keep tokens only at the top level. */
    json_t *tok = json_object_get(o, "tokens");
    if (!s->calls && count_of(&rd, tok, "calls")) {
        s->prompt_tokens = count_of(&rd, tok, "prompt");
        s->completion_tokens = count_of(&rd, tok, "completion");
        s->calls = count_of(&rd, tok, "calls");
        s->steps = count_of(&rd, o, "steps");
        s->fallbacks = count_of(&rd, o, "fallbacks");
        s->tokens_per_step = num_of(&rd, o, "tokens_per_step", 0.0);
        s->prompt_tokens_per_step = num_of(&rd, tok, "prompt_per_step", 0.0);
    }
    if (rd.why[0]) {
        set_err(err, errlen, rd.why, index);
        jitrl_summary_free(s);
        return JITRL_EPARSE;
    }
    *out = s;
    return JITRL_OK;
}

int jitrl_summary_parse(const char *text, size_t len, jitrl_summary ***out, size_t *n,
                        char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        if (err && errlen) snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
        return JITRL_EPARSE;
    }
    json_t *games = json_is_object(root) ? json_object_get(root, "games") : NULL;
    size_t count = json_is_array(games) ? json_array_size(games) : 1;
    jitrl_summary **arr = jr_calloc(count ? count : 1, sizeof *arr);
    int rc = arr ? JITRL_OK : JITRL_ENOMEM;
    for (size_t i = 0; !rc && i < count; i++)
        rc = parse_one(games ? json_array_get(games, i) : root, &arr[i], err, errlen, i);
    json_decref(root);
    if (rc) {
        jitrl_summary_free_array(arr, count);
        return rc;
    }
    *out = arr;
    *n = count;
    return JITRL_OK;
}

size_t jitrl_summary_curve(const jitrl_summary *s, size_t n_episodes, double *mean, double *ci95)
{
    double *col = jr_malloc((s->n_runs ? s->n_runs : 1) * sizeof *col);
    size_t reached = 0;
    for (size_t e = 0; e < n_episodes; e++) {
        size_t k = 0;
        for (size_t r = 0; col && r < s->n_runs; r++)
            if (e < s->runs[r].n_scores) col[k++] = s->runs[r].scores[e];
        jitrl_mean_ci95(col, k, &mean[e], &ci95[e]);
        if (k && reached == e) reached = e + 1;
    }
    jr_free(col);
    return reached;
}
