/*
 * memory_io.c -- the memory as a whole, written once over the store
 * interface (store.h): stats, JSON Lines export/import, prune and check.
 *
 * Export writes one episode per line, in commit order, with every number
 * printed %.17g (so it parses back to the same double) and the state
 * object exactly as stored; import rebuilds the stored state with the same
 * writer, keeps the file's returns and, when free, its episode ids.  Hence
 * export -> import into an empty memory -> export is byte-identical.
 * Import is untrusted input: every field is type-checked, lines are
 * bounded, and a bad line stops the import with its line number.  The
 * library reads and writes through callbacks (or a path it opens itself),
 * never a caller's FILE *.
 */
#include "memory/memory_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LINE ((size_t)256 << 20)
#define EXPORT_PAGE 4096

static int stats_get(jitrl_memory *mem, jitrl_memory_stats *st)
{
    if (!mem || !st) return JITRL_EINVAL;
    memset(st, 0, sizeof *st);
    mem_store_stats ss;
    int rc = mem->ops->stats(mem->st, &ss);
    if (rc) {
        mem_store_fail(mem, rc, mem->name);
    } else {
        st->episodes = ss.episodes;
        st->steps = ss.steps;
        st->mean_score = ss.mean_score;
        st->best_score = ss.best_score;
        st->first_time = ss.first_time;
        st->last_time = ss.last_time;
        st->schema_version = ss.schema_version;
    }
    mem_ix_rdlock(mem);   /* a decision may be building postings */
    for (size_t k = 0; k < mem->ix.n_keys; k++) st->distinct_states += mem->ix.keys[k].n_steps > 0;
    st->distinct_actions = mem->ix.n_act;
    st->index_bytes = mem_index_bytes(&mem->ix);
    mem_ix_unlock(mem);
    return rc;
}

/* Each public call here takes the memory's writer turn (query.c): the
 * store connection and the handle's message are the writers'. */
int jitrl_memory_stats_get(jitrl_memory *mem, jitrl_memory_stats *st)
{
    if (!mem || !st) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = stats_get(mem, st);
    mem_write_end(mem);
    return rc;
}

/* ---------- export ---------- */

typedef struct export_ctx {
    jitrl_memory *mem;
    jitrl_write_fn write;
    void *wctx;
    unsigned flags;
    size_t skipped;
    jr_buf b;
} export_ctx;

static int put_num(jr_buf *b, const char *key, double x) { return jr_buf_printf(b, "\"%s\":%.17g", key, x); }

static int export_line(jr_buf *b, const mem_ep_rec *ep)
{
    jr_buf_reset(b);
    int rc = jr_buf_printf(b, "{\"id\":%lld,\"task\":", (long long)ep->id);
    if (!rc) rc = jr_buf_json_str(b, ep->task);
    if (!rc) rc = jr_buf_putc(b, ',');
    if (!rc) rc = put_num(b, "score", ep->score);
    if (!rc) rc = jr_buf_printf(b, ",\"time\":%lld,", (long long)ep->time);
    if (!rc) rc = put_num(b, "gamma", ep->gamma);
    if (!rc) rc = jr_buf_puts(b, ",\"steps\":[");
    for (size_t t = 0; !rc && t < ep->n_steps; t++) {
        const mem_step_rec *s = &ep->steps[t];
        rc = jr_buf_puts(b, t ? ",{\"state\":" : "{\"state\":");
        if (!rc) rc = jr_buf_puts(b, s->state);
        if (!rc) rc = jr_buf_puts(b, ",\"action\":");
        if (!rc) rc = jr_buf_json_str(b, s->action);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = put_num(b, "reward", s->reward);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = put_num(b, "return", s->ret);
        if (!rc) rc = jr_buf_putc(b, '}');
    }
    if (!rc) rc = jr_buf_puts(b, "]}\n");
    return rc;
}

static int export_episode(void *ctx, const mem_ep_rec *ep)
{
    export_ctx *x = ctx;
    jitrl_memory *mem = x->mem;
    const char *why = mem_episode_problem(ep);
    if (why) {
        if (x->flags & JITRL_EXPORT_SKIP_BAD) {
            x->skipped++;
            return JITRL_OK;
        }
        mem_set_err(mem, "%s: episode %lld: %s (export with --skip-bad to leave the bad episodes out)", mem->name,
                    (long long)ep->id, why);
        return JITRL_ECORRUPT;
    }
    int rc = export_line(&x->b, ep);
    if (rc) {
        mem_set_err(mem, "export: episode %lld too large", (long long)ep->id);
        return rc;
    }
    int e = x->write(x->wctx, x->b.data, x->b.len);
    if (e) {
        mem_set_err(mem, "write failed: %s", e > 0 ? strerror(e) : "the writer refused");
        return JITRL_EIO;
    }
    return JITRL_OK;
}

static int export_cb(jitrl_memory *mem, jitrl_write_fn write, void *ctx, unsigned flags, size_t *n_skipped)
{
    if (n_skipped) *n_skipped = 0;
    if (!mem || !write) return JITRL_EINVAL;
    export_ctx x = {mem, write, ctx, flags, 0, {0}};
    jr_buf_init(&x.b, MAX_LINE);
    /* One read view so a concurrent writer cannot tear the export. */
    int rc = mem->ops->read_begin(mem->st);
    if (rc) {
        mem_store_fail(mem, rc, "export");
        goto out;
    }
    int64_t cur = 0;
    int more = 1;
    mem->err[0] = '\0';
    while (!rc && more) {
        rc = mem->ops->scan(mem->st, &cur, EXPORT_PAGE, 0, export_episode, &x, &more);
        if (rc && !mem->err[0]) mem_store_fail(mem, rc, "export");
    }
    mem->ops->read_end(mem->st);
out:
    jr_buf_free(&x.b);
    if (n_skipped) *n_skipped = x.skipped;
    return rc;
}

int jitrl_memory_export_cb(jitrl_memory *mem, jitrl_write_fn write, void *ctx, unsigned flags, size_t *n_skipped)
{
    if (n_skipped) *n_skipped = 0;
    if (!mem || !write) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = export_cb(mem, write, ctx, flags, n_skipped);
    mem_write_end(mem);
    return rc;
}

static int write_file(void *ctx, const char *buf, size_t n)
{
    errno = 0;
    if (fwrite(buf, 1, n, ctx) == n) return 0;
    return errno ? errno : EIO;
}

static int export_path(jitrl_memory *mem, const char *path, unsigned flags, size_t *n_skipped)
{
    if (n_skipped) *n_skipped = 0;
    if (!mem) return JITRL_EINVAL;
    if (!path || !*path || !strcmp(path, "-")) {
        mem_set_err(mem, "export: give a file path (for a stream use jitrl_memory_export_cb)");
        return JITRL_EINVAL;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        mem_set_err(mem, "%s: %s", path, strerror(errno));
        return JITRL_EIO;
    }
    int rc = export_cb(mem, write_file, f, flags, n_skipped);
    if (rc == JITRL_EIO) {   /* the writer's failure: name the file */
        char why[sizeof mem->err];
        snprintf(why, sizeof why, "%s", mem->err);
        mem_set_err(mem, "%s: %s", path, why);
    }
    errno = 0;
    if ((fflush(f) != 0 || ferror(f)) && !rc) {
        mem_set_err(mem, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        rc = JITRL_EIO;
    }
    if (fclose(f) != 0 && !rc) {
        mem_set_err(mem, "%s: write failed: %s", path, strerror(errno));
        rc = JITRL_EIO;
    }
    return rc;
}

int jitrl_memory_export(jitrl_memory *mem, const char *path, unsigned flags, size_t *n_skipped)
{
    if (n_skipped) *n_skipped = 0;
    if (!mem) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = export_path(mem, path, flags, n_skipped);
    mem_write_end(mem);
    return rc;
}

/* ---------- import ---------- */

/* Lines from a read callback, each without its "\n" (or "\r\n"). */
typedef struct line_reader {
    jitrl_read_fn read;
    void *ctx;
    char chunk[1 << 16];
    size_t pos, len;
    int eof;
    jr_buf line;
} line_reader;

/* Next line into r->line; *got = 0 at the end with nothing read.
 * JITRL_EIO (with the reader's errno in *err) or JITRL_ETOOBIG. */
static int read_line(line_reader *r, int *got, int *err)
{
    jr_buf_reset(&r->line);
    *got = 0;
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof) break;
            size_t n = 0;
            int e = r->read(r->ctx, r->chunk, sizeof r->chunk, &n);
            if (e) {
                *err = e;
                return JITRL_EIO;
            }
            if (n > sizeof r->chunk) n = sizeof r->chunk;   /* a reader that lies */
            if (n == 0) {
                r->eof = 1;
                break;
            }
            r->pos = 0;
            r->len = n;
        }
        *got = 1;
        const char *p = r->chunk + r->pos, *nl = memchr(p, '\n', r->len - r->pos);
        size_t take = nl ? (size_t)(nl - p) : r->len - r->pos;
        int rc = jr_buf_append(&r->line, p, take);
        if (rc) return rc;
        r->pos += take + (nl != NULL);
        if (nl) break;
    }
    if (r->line.len && r->line.data[r->line.len - 1] == '\r') r->line.data[--r->line.len] = '\0';
    return JITRL_OK;
}

static int num_of(const json_t *o, const char *k, double *x)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v)) return 0;
    *x = json_number_value(v);
    return isfinite(*x);
}

static int import_line(jitrl_memory *mem, const char *line, size_t lineno)
{
    json_error_t jerr;
    json_t *js = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    jitrl_step *steps = NULL;
    jitrl_field *fields = NULL;
    double *ret = NULL;
    int rc = JITRL_EPARSE;
    if (!js) {
        mem_set_err(mem, "line %zu: not JSON: %s (column %d)", lineno, jerr.text, jerr.column);
        goto out;
    }
    json_t *jsteps = json_object_get(js, "steps"), *jid = json_object_get(js, "id"),
           *jtime = json_object_get(js, "time"), *jtask = json_object_get(js, "task");
    jitrl_episode_info info = {0};
    double gamma;
    if (!json_is_object(js) || !json_is_array(jsteps) || !json_is_string(jtask) || !json_is_integer(jtime) ||
        (jid && !json_is_integer(jid)) || !num_of(js, "score", &info.score) || !num_of(js, "gamma", &gamma) ||
        !(gamma >= 0 && gamma <= 1)) {
        mem_set_err(mem, "line %zu: not an episode (needs task, score, time, gamma, steps)", lineno);
        goto out;
    }
    info.task = json_string_value(jtask);
    info.time = json_integer_value(jtime);
    size_t n = json_array_size(jsteps), nfields = 0;
    for (size_t t = 0; t < n; t++) nfields += json_object_size(json_object_get(json_array_get(jsteps, t), "state"));
    steps = jr_calloc(n ? n : 1, sizeof *steps);
    fields = jr_calloc(nfields ? nfields : 1, sizeof *fields);
    ret = jr_calloc(n ? n : 1, sizeof *ret);
    if (!steps || !fields || !ret) {
        rc = JITRL_ENOMEM;
        mem_set_err(mem, "line %zu: out of memory", lineno);
        goto out;
    }
    size_t fi = 0;
    for (size_t t = 0; t < n; t++) {
        json_t *s = json_array_get(jsteps, t), *st = json_object_get(s, "state"), *a = json_object_get(s, "action");
        if (!json_is_object(st) || !json_is_string(a) || !num_of(s, "reward", &steps[t].reward) ||
            !num_of(s, "return", &ret[t])) {
            mem_set_err(mem, "line %zu: step %zu needs state, action, reward, return", lineno, t);
            goto out;
        }
        steps[t].state.fields = fields + fi;
        const char *k;
        json_t *v;
        json_object_foreach(st, k, v) {
            if (!json_is_string(v)) {
                mem_set_err(mem, "line %zu: step %zu: field \"%s\" is not a string", lineno, t, k);
                goto out;
            }
            fields[fi++] = (jitrl_field){k, json_string_value(v)};
            steps[t].state.n_fields++;
        }
        steps[t].action = json_string_value(a);
    }
    /* An id that is not positive, or is taken, gets a new one (the store
     * decides inside the episode's transaction). */
    int64_t id = jid ? json_integer_value(jid) : 0;
    rc = mem_insert_episode(mem, &info, steps, n, gamma, ret, id > 0 ? id : 0, NULL);
    if (rc) {
        char why[sizeof mem->err];
        snprintf(why, sizeof why, "%s", mem->err);
        mem_set_err(mem, "line %zu: %s", lineno, why);
    }
out:
    json_decref(js);
    jr_free(steps);
    jr_free(fields);
    jr_free(ret);
    return rc;
}

static int import_cb(jitrl_memory *mem, jitrl_read_fn read, void *ctx, size_t *n_imported)
{
    if (n_imported) *n_imported = 0;
    if (!mem || !read) return JITRL_EINVAL;
    line_reader *r = jr_calloc(1, sizeof *r);
    if (!r) {
        mem_set_err(mem, "out of memory");
        return JITRL_ENOMEM;
    }
    r->read = read;
    r->ctx = ctx;
    jr_buf_init(&r->line, MAX_LINE);
    int rc = JITRL_OK, got = 1;
    for (size_t lineno = 1; !rc; lineno++) {
        int e = 0;
        rc = read_line(r, &got, &e);
        if (rc) {
            mem_set_err(mem, "line %zu: %s%s%s", lineno,
                        rc == JITRL_EIO ? "read error" : rc == JITRL_ETOOBIG ? "line too long (over 256 MiB)"
                                                                             : "out of memory",
                        e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
            break;
        }
        if (!got) break;
        if (r->line.len == 0) continue;
        rc = import_line(mem, jr_buf_str(&r->line), lineno);
        if (!rc && n_imported) (*n_imported)++;
    }
    jr_buf_free(&r->line);
    jr_free(r);
    return rc;
}

int jitrl_memory_import_cb(jitrl_memory *mem, jitrl_read_fn read, void *ctx, size_t *n_imported)
{
    if (n_imported) *n_imported = 0;
    if (!mem || !read) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = import_cb(mem, read, ctx, n_imported);
    mem_write_end(mem);
    return rc;
}

static int read_file(void *ctx, char *buf, size_t cap, size_t *got)
{
    errno = 0;
    *got = fread(buf, 1, cap, ctx);
    if (*got < cap && ferror(ctx)) return errno ? errno : EIO;
    return 0;
}

static int import_path(jitrl_memory *mem, const char *path, size_t *n_imported)
{
    if (n_imported) *n_imported = 0;
    if (!mem) return JITRL_EINVAL;
    if (!path || !*path || !strcmp(path, "-")) {
        mem_set_err(mem, "import: give a file path (for a stream use jitrl_memory_import_cb)");
        return JITRL_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        mem_set_err(mem, "import: %s: %s", path, strerror(errno));
        return errno == ENOENT ? JITRL_ENOTFOUND : JITRL_EIO;
    }
    int rc = import_cb(mem, read_file, f, n_imported);
    fclose(f);
    if (rc) {
        char why[sizeof mem->err];
        snprintf(why, sizeof why, "%s", mem->err);
        mem_set_err(mem, "%s: %s", path, why);
    }
    return rc;
}

int jitrl_memory_import(jitrl_memory *mem, const char *path, size_t *n_imported)
{
    if (n_imported) *n_imported = 0;
    if (!mem) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = import_path(mem, path, n_imported);
    mem_write_end(mem);
    return rc;
}

/* ---------- prune ---------- */

typedef struct ep_head {
    int64_t id, time;
    double score;
} ep_head;

typedef struct heads {
    ep_head *v;
    size_t n, cap;
} heads;

static int collect_head(void *ctx, const mem_ep_rec *ep)
{
    heads *h = ctx;
    if (ep->bad) return JITRL_OK;   /* a bad row is for check and export --skip-bad, not for ranking */
    if (mem_grow((void **)&h->v, &h->cap, h->n + 1, sizeof *h->v)) return JITRL_ENOMEM;
    h->v[h->n++] = (ep_head){ep->id, ep->time, ep->score};
    return JITRL_OK;
}

/* Best first: score, then newer, then higher id. */
static int by_rank(const void *a, const void *b)
{
    const ep_head *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->time != y->time) return x->time > y->time ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

static int prune(jitrl_memory *mem, int64_t max_age_s, size_t keep_count, int64_t now, size_t *n_removed)
{
    if (n_removed) *n_removed = 0;
    if (!mem) return JITRL_EINVAL;
    if (mem->read_only) {
        mem_set_err(mem, "%s is open read-only", mem->name);
        return JITRL_ESTATE;
    }
    heads h = {0};
    int64_t *drop = NULL;
    size_t nd = 0, removed = 0;
    int64_t cur = 0;
    int more = 1, rc = JITRL_OK;
    while (!rc && more) rc = mem->ops->scan(mem->st, &cur, 1 << 16, MEM_SCAN_HEADERS, collect_head, &h, &more);
    if (rc) {
        if (rc == JITRL_ENOMEM) mem_set_err(mem, "prune: out of memory");
        else mem_store_fail(mem, rc, "prune");
        goto out;
    }
    drop = jr_malloc((h.n ? h.n : 1) * sizeof *drop);
    if (!drop) {
        rc = JITRL_ENOMEM;
        mem_set_err(mem, "prune: out of memory");
        goto out;
    }
    size_t live = 0;
    if (max_age_s > 0) {
        if (!now) now = (int64_t)time(NULL);
        int64_t cutoff = now >= INT64_MIN + max_age_s ? now - max_age_s : INT64_MIN;
        for (size_t i = 0; i < h.n; i++) {
            if (h.v[i].time < cutoff) drop[nd++] = h.v[i].id;
            else h.v[live++] = h.v[i];
        }
    } else {
        live = h.n;
    }
    if (keep_count > 0 && live > keep_count) {
        qsort(h.v, live, sizeof *h.v, by_rank);
        for (size_t i = keep_count; i < live; i++) drop[nd++] = h.v[i].id;
    }
    if (nd && (rc = mem->ops->remove(mem->st, drop, nd, &removed))) {
        mem_store_fail(mem, rc, "prune");
        goto out;
    }
    if (n_removed) *n_removed = removed;
    if (removed && mem->indexed && (rc = mem_rebuild(mem)))
        mem_set_err(mem, "prune: removed %zu episodes, but rebuilding the index failed (%s); the next refresh retries",
                    removed, jitrl_strerror(rc));
out:
    jr_free(h.v);
    jr_free(drop);
    return rc;
}

int jitrl_memory_prune(jitrl_memory *mem, int64_t max_age_s, size_t keep_count, int64_t now, size_t *n_removed)
{
    if (n_removed) *n_removed = 0;
    if (!mem) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = prune(mem, max_age_s, keep_count, now, n_removed);
    mem_write_end(mem);
    return rc;
}

/* ---------- check ---------- */

typedef struct check_ctx {
    size_t bad;
    jr_buf list;   /* the first few, named */
} check_ctx;

static int check_episode(void *ctx, const mem_ep_rec *ep)
{
    check_ctx *c = ctx;
    const char *why = mem_episode_problem(ep);
    if (!why) return JITRL_OK;
    if (c->bad++ < 10) jr_buf_printf(&c->list, "%sepisode %lld: %s", c->bad > 1 ? "; " : "", (long long)ep->id, why);
    return JITRL_OK;
}

static int check(jitrl_memory *mem)
{
    if (!mem) return JITRL_EINVAL;
    int rc = mem->ops->check(mem->st);
    if (rc) return mem_store_fail(mem, rc, mem->name);
    check_ctx c = {0, {0}};
    jr_buf_init(&c.list, 4096);
    int64_t cur = 0;
    int more = 1;
    while (!rc && more) rc = mem->ops->scan(mem->st, &cur, EXPORT_PAGE, 0, check_episode, &c, &more);
    if (rc) {
        mem_store_fail(mem, rc, mem->name);
    } else if (c.bad) {
        mem_set_err(mem, "%s: %zu bad episode%s: %s%s", mem->name, c.bad, c.bad == 1 ? "" : "s", jr_buf_str(&c.list),
                    c.bad > 10 ? "; ..." : "");
        rc = JITRL_ECORRUPT;
    }
    jr_buf_free(&c.list);
    return rc;
}

int jitrl_memory_check(jitrl_memory *mem)
{
    if (!mem) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = check(mem);
    mem_write_end(mem);
    return rc;
}
