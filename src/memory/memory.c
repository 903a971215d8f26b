/*
 * memory.c -- the jitrl_memory handle: a store (store.h; which one is
 * picked by the URI's scheme) and the RAM retrieval index kept in step with
 * what the store has committed.
 *
 * Why shaped so: the store is the source of truth and the only thing
 * shared between handles and processes.  The index is derived data, built
 * at open from a paged scan in commit order and extended only by episodes
 * whose transaction commits (append's precommit step prepares their index
 * entries, so running out of memory rolls the episode back rather than
 * leaving the two disagreeing).  Refresh continues the scan from the
 * commit-sequence cursor; when the store's generation has moved (another
 * handle pruned), it rebuilds instead.  The field spec the memory was
 * created with is part of the store (metadata "fields"): opening it with
 * another spec would silently change what "similar" means, so it is an
 * error.  Export, import, prune and check live in memory_io.c.
 */
#include "memory/memory_int.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/opts.h"

#define MAX_STATE_BYTES ((size_t)1 << 32)   /* all state texts of one episode being appended */
#define LOAD_PAGE 4096                      /* steps per scan page (and per index commit) */
#define PAGE_BYTES ((size_t)4 << 20)        /* ... or this much state text, whichever comes first */
#define PAGE_FULL 1000                      /* collect_episode's "stop here", not an error */

void mem_set_err(jitrl_memory *mem, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mem->err, sizeof mem->err, fmt, ap);
    va_end(ap);
}

int mem_store_fail(jitrl_memory *mem, int rc, const char *what)
{
    const char *why = mem->ops->errmsg(mem->st);
    if (rc == JITRL_ENOMEM && !*why) why = "out of memory";
    if (what) mem_set_err(mem, "%s: %s", what, *why ? why : jitrl_strerror(rc));
    else mem_set_err(mem, "%s", *why ? why : jitrl_strerror(rc));
    return rc;
}

mem_index *mem_memory_index(jitrl_memory *mem) { return mem->ix_ok ? &mem->ix : NULL; }

const char *jitrl_memory_errmsg(const jitrl_memory *mem) { return mem ? mem->err : "no memory handle"; }

void jitrl_memory_options_init(jitrl_memory_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->fields[0] = (jitrl_field_spec){"current", 4, 0.7};
    opt->fields[1] = (jitrl_field_spec){"history", 1, 0.3};
    opt->n_fields = 2;
    opt->create = 1;
}

void jitrl_returns(const double *rewards, size_t n, double gamma, double *ret)
{
    double g = 0;
    for (size_t i = n; i-- > 0;) {
        g = rewards[i] + gamma * g;
        ret[i] = g;
    }
}

/* ---------- the field spec, as stored ---------- */

/* "current:4:0.7,history:1:0.3": how messages show a spec. */
static void spec_text(const jitrl_field_spec *f, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        int w = snprintf(out + len, cap - len, "%s%s:%d:%g", i ? "," : "", f[i].name, f[i].ngram, f[i].weight);
        if (w < 0) break;
        len += (size_t)w;
    }
}

/* The spec as metadata: a JSON array of {name, ngram, weight} (names are
 * free text, so no ad hoc separators). */
static char *spec_json(const jitrl_field_spec *f, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s, s:i, s:f}", "name", f[i].name, "ngram", f[i].ngram, "weight", f[i].weight);
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    char *s = a ? json_dumps(a, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(a);
    char *copy = s ? jr_strdup(s) : NULL;
    free(s);
    return copy;
}

/* Parse stored metadata into f (names in *names, one jr_malloc'd block the
 * caller frees).  JITRL_ECORRUPT when it is not a spec. */
static int spec_parse(const char *text, jitrl_field_spec *f, size_t *n, char **names)
{
    *n = 0;
    *names = NULL;
    json_t *a = json_loads(text, 0, NULL);
    size_t k = json_array_size(a), bytes = 0;
    int rc = a && json_is_array(a) && k >= 1 && k <= JITRL_MAX_FIELDS ? JITRL_OK : JITRL_ECORRUPT;
    for (size_t i = 0; !rc && i < k; i++) {
        json_t *o = json_array_get(a, i), *nm = json_object_get(o, "name"), *ng = json_object_get(o, "ngram"),
               *w = json_object_get(o, "weight");
        if (!json_is_string(nm) || !json_is_integer(ng) || !json_is_number(w)) rc = JITRL_ECORRUPT;
        else bytes += strlen(json_string_value(nm)) + 1;
    }
    char *p = rc ? NULL : jr_malloc(bytes ? bytes : 1);
    if (!rc && !p) rc = JITRL_ENOMEM;
    for (size_t i = 0; !rc && i < k; i++) {
        json_t *o = json_array_get(a, i);
        const char *nm = json_string_value(json_object_get(o, "name"));
        size_t l = strlen(nm) + 1;
        memcpy(p, nm, l);
        json_int_t ng = json_integer_value(json_object_get(o, "ngram"));
        f[i] = (jitrl_field_spec){p, ng > 0 && ng < 1000 ? (int)ng : 0,
                                  json_number_value(json_object_get(o, "weight"))};
        p += l;
    }
    if (!rc) {
        *n = k;
        *names = p - bytes;
    } else if (p) {
        jr_free(p);
    }
    json_decref(a);
    return rc;
}

/* Do two specs mean the same similarity?  Same fields in the same order,
 * same n-grams, the same weights once normalised (as the index uses them). */
static int spec_same(const jitrl_field_spec *a, size_t na, const jitrl_field_spec *b, size_t nb)
{
    if (na != nb) return 0;
    double sa = 0, sb = 0;
    for (size_t i = 0; i < na; i++) sa += a[i].weight, sb += b[i].weight;
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i].name, b[i].name) || a[i].ngram != b[i].ngram) return 0;
        if (fabs(a[i].weight / sa - b[i].weight / sb) > 1e-12) return 0;
    }
    return 1;
}

/* Settle the spec at open: the stored one must equal the requested one (if
 * any); a memory without one (new, or from before specs were stored)
 * adopts the requested one, or the default, and stores it when writable.
 * On success mem->spec/n_spec hold it, names borrowed from *names or req. */
static int settle_spec(jitrl_memory *mem, const jitrl_field_spec *req, size_t n_req, char **names)
{
    char *stored = NULL;
    *names = NULL;
    int rc = mem->ops->meta_get(mem->st, "fields", &stored);
    if (rc && rc != JITRL_ENOTFOUND) return mem_store_fail(mem, rc, "reading the field spec");
    if (rc == JITRL_OK) {
        jitrl_field_spec f[JITRL_MAX_FIELDS];
        size_t n = 0;
        rc = spec_parse(stored, f, &n, names);
        jr_free(stored);
        if (rc) {
            mem_set_err(mem, rc == JITRL_ENOMEM ? "out of memory" : "%s: the stored field spec is damaged",
                        mem->name);
            return rc;
        }
        if (n_req && !spec_same(f, n, req, n_req)) {
            char a[256], b[256];
            spec_text(f, n, a, sizeof a);
            spec_text(req, n_req, b, sizeof b);
            mem_set_err(mem, "memory %s was created with fields %s; opened with %s", mem->name, a, b);
            return JITRL_EINVAL;
        }
        memcpy(mem->spec, f, sizeof f);
        mem->n_spec = n;
        return JITRL_OK;
    }
    if (n_req) {
        memcpy(mem->spec, req, n_req * sizeof *req);
        mem->n_spec = n_req;
    } else {
        jitrl_memory_options d;
        jitrl_memory_options_init(&d);
        memcpy(mem->spec, d.fields, sizeof mem->spec);
        mem->n_spec = d.n_fields;
    }
    if (mem->read_only) return JITRL_OK;
    char *js = spec_json(mem->spec, mem->n_spec);
    if (!js) {
        mem_set_err(mem, "out of memory");
        return JITRL_ENOMEM;
    }
    rc = mem->ops->meta_set(mem->st, "fields", js);
    jr_free(js);
    return rc ? mem_store_fail(mem, rc, "storing the field spec") : JITRL_OK;
}

/* ---------- the RAM index from the store ---------- */

int mem_parse_state(const char *text, json_t **js, jitrl_field *fields, size_t cap, size_t *n)
{
    *n = 0;
    *js = text ? json_loads(text, 0, NULL) : NULL;
    if (!*js || !json_is_object(*js)) return JITRL_ECORRUPT;
    const char *k;
    json_t *v;
    json_object_foreach(*js, k, v) {
        if (!json_is_string(v)) return JITRL_ECORRUPT;
        if (*n < cap) fields[(*n)++] = (jitrl_field){k, json_string_value(v)};
    }
    return JITRL_OK;
}

const char *mem_episode_problem(const mem_ep_rec *ep)
{
    if (ep->bad) return ep->bad;
    for (size_t t = 0; t < ep->n_steps; t++) {
        json_t *js = NULL;
        jitrl_field f[1];
        size_t n;
        int rc = mem_parse_state(ep->steps[t].state, &js, f, 0, &n);
        json_decref(js);
        if (rc) return "a step's state is not a JSON object of strings";
    }
    return NULL;
}

/* One page of the store's episodes, copied out of the scan so that it is
 * read without the index lock and indexed under it afterwards: a slow
 * store delays refresh, never a decision. */
typedef struct page_ep {
    int64_t id, seq;
    const char *bad;         /* the backend's literal, or NULL */
    size_t first, n;         /* its steps in page.steps */
} page_ep;

typedef struct page_step {
    int64_t id;
    double ret;
    size_t state, action;    /* offsets into page.text */
} page_step;

typedef struct page {
    page_ep *eps;
    size_t n_eps, cap_eps;
    page_step *steps;
    size_t n_steps, cap_steps;
    jr_buf text;
} page;

typedef struct load_ctx {
    jitrl_memory *mem;
    page *pg;
    int skip_own;            /* loading into the live index: our own appends are in it */
} load_ctx;

/* Is seq one of our own appends (indexed when it committed)? */
static int own_has(const jitrl_memory *mem, int64_t seq)
{
    for (size_t i = 0; i < mem->n_own; i++)
        if (mem->own[i] == seq) return 1;
    return 0;
}

static int copy_text(jr_buf *b, const char *s, size_t *off)
{
    *off = b->len;
    return jr_buf_append(b, s, strlen(s) + 1);   /* NUL-terminated in place */
}

static int collect_episode(void *ctx, const mem_ep_rec *ep)
{
    load_ctx *lc = ctx;
    page *pg = lc->pg;
    if (lc->skip_own && own_has(lc->mem, ep->seq)) return JITRL_OK;
    if (mem_grow((void **)&pg->eps, &pg->cap_eps, pg->n_eps + 1, sizeof *pg->eps) ||
        mem_grow((void **)&pg->steps, &pg->cap_steps, pg->n_steps + ep->n_steps, sizeof *pg->steps))
        return JITRL_ENOMEM;
    pg->eps[pg->n_eps++] = (page_ep){ep->id, ep->seq, ep->bad, pg->n_steps, ep->bad ? 0 : ep->n_steps};
    for (size_t t = 0; !ep->bad && t < ep->n_steps; t++) {
        page_step *ps = &pg->steps[pg->n_steps++];
        ps->id = ep->steps[t].id;
        ps->ret = ep->steps[t].ret;
        int rc = copy_text(&pg->text, ep->steps[t].state, &ps->state);
        if (!rc) rc = copy_text(&pg->text, ep->steps[t].action, &ps->action);
        if (rc) return rc;
    }
    /* a page holds whole episodes, as many as fit in PAGE_BYTES (at least one) */
    return pg->text.len >= PAGE_BYTES ? PAGE_FULL : JITRL_OK;
}

/* Index a collected page into ix (between begin and commit/abort). */
static int index_page(jitrl_memory *mem, mem_index *ix, const page *pg)
{
    jitrl_field fields[JITRL_MAX_FIELDS * 4];
    for (size_t e = 0; e < pg->n_eps; e++) {
        const page_ep *ep = &pg->eps[e];
        if (ep->bad) {
            mem_set_err(mem, "%s: episode %lld: %s (`jitrl memory check` lists the bad rows)", mem->name,
                        (long long)ep->id, ep->bad);
            return JITRL_ECORRUPT;
        }
        for (size_t t = ep->first; t < ep->first + ep->n; t++) {
            const page_step *r = &pg->steps[t];
            json_t *js = NULL;
            size_t nf = 0;
            int rc = mem_parse_state(pg->text.data + r->state, &js, fields, sizeof fields / sizeof fields[0], &nf);
            if (rc) {
                mem_set_err(mem, "%s: step %lld of episode %lld: its state is not a JSON object of strings",
                            mem->name, (long long)r->id, (long long)ep->id);
            } else {
                jitrl_state ss = {fields, nf};
                rc = mem_index_prepare(ix, &ss, pg->text.data + r->action, r->ret, r->id, ep->id);
                if (rc) mem_set_err(mem, "loading the index: %s", jitrl_strerror(rc));
            }
            json_decref(js);
            if (rc) return rc;
        }
    }
    return JITRL_OK;
}

/* Index the episodes committed after *cursor into ix, a page at a time:
 * each page is read from the store with no index lock held, then indexed
 * and committed whole, with the cursor, under the index's write lock when
 * ix is the live index (live).  A load that fails part way leaves whole
 * episodes indexed and a later refresh picks up exactly the rest.  The
 * caller holds the writer turn (the store connection, cursor, own). */
static int mem_load(jitrl_memory *mem, mem_index *ix, int64_t *cursor, int live)
{
    int more = 1, rc = JITRL_OK;
    page pg = {0};
    jr_buf_init(&pg.text, MAX_STATE_BYTES);
    while (more && !rc) {
        int64_t cur = *cursor;
        pg.n_eps = pg.n_steps = 0;
        jr_buf_reset(&pg.text);
        load_ctx lc = {mem, &pg, live};
        rc = mem->ops->scan(mem->st, &cur, LOAD_PAGE, 0, collect_episode, &lc, &more);
        if (rc == PAGE_FULL) {   /* the scan stopped after that episode (cur is its seq) */
            rc = JITRL_OK;
            more = 1;
        }
        if (rc) {
            if (rc == JITRL_ENOMEM || rc == JITRL_ETOOBIG) mem_set_err(mem, "loading the index: out of memory");
            else mem_store_fail(mem, rc, "reading the memory");
            break;
        }
        if (live) mem_ix_wrlock(mem);
        mem_index_begin(ix);
        rc = index_page(mem, ix, &pg);
        if (rc) mem_index_abort(ix);
        else mem_index_commit(ix);
        if (live) mem_ix_unlock(mem);
        if (rc) break;
        *cursor = cur;
        if (live) {
            size_t keep = 0;   /* own appends the cursor has passed are done with */
            for (size_t i = 0; i < mem->n_own; i++)
                if (mem->own[i] > cur) mem->own[keep++] = mem->own[i];
            mem->n_own = keep;
        }
    }
    jr_free(pg.eps);
    jr_free(pg.steps);
    jr_buf_free(&pg.text);
    return rc;
}

/* Build the live index from the whole store at its current generation
 * (at open: nobody decides yet). */
static int load_all(jitrl_memory *mem)
{
    int64_t gen = 0;
    int rc = mem->ops->generation(mem->st, &gen);
    if (rc) return mem_store_fail(mem, rc, "reading the memory");
    mem->cursor = 0;   /* seqs are positive */
    mem->n_own = 0;
    mem->generation = gen;
    return mem_load(mem, &mem->ix, &mem->cursor, 1);
}

/* Rebuild the index from the store (after a prune here or elsewhere): a new
 * index is built beside the live one, which keeps answering decisions, and
 * swapped in under the write lock.  If the build fails the live index stays
 * (whole, at its old generation) and is marked stale, so the next refresh
 * tries again. */
int mem_rebuild(jitrl_memory *mem)
{
    int64_t gen = 0, cur = 0;
    mem_index fresh;
    int rc = mem->ops->generation(mem->st, &gen);
    if (rc) mem_store_fail(mem, rc, "reading the memory");
    if (!rc && (rc = mem_index_init(&fresh, mem->spec, mem->n_spec))) mem_set_err(mem, "out of memory");
    else if (!rc && (rc = mem_load(mem, &fresh, &cur, 0))) mem_index_free(&fresh);
    if (rc) {
        if (rc == JITRL_ENOMEM && !mem->err[0]) mem_set_err(mem, "out of memory");
        mem->generation = INT64_MIN;   /* no store has it: the next refresh rebuilds */
        return rc;
    }
    mem_ix_wrlock(mem);
    mem_index old = mem->ix;
    mem->ix = fresh;
    for (size_t f = 0; f < mem->n_spec; f++) mem->spec[f].name = mem->ix.names[f];
    mem->cursor = cur;
    mem->n_own = 0;
    mem->generation = gen;
    mem_ix_unlock(mem);
    mem_index_free(&old);
    return JITRL_OK;
}

/* ---------- open / close ---------- */

/* Which backend a URI names, and the backend's part of it.  A plain path
 * (no scheme) is a SQLite file; so are sqlite:PATH and file: URIs;
 * postgres:// and postgresql:// URIs are PostgreSQL.  A scheme is letters
 * then "://" (so "a:b.db" stays a file name). */
static int pick_backend(jitrl_memory *mem, const char *uri, const mem_store_ops **ops, const char **where)
{
    *ops = &mem_store_sqlite;
    *where = uri;
    if (!uri) return JITRL_OK;
    if (!strncmp(uri, "sqlite:", 7)) {
        *where = uri + 7;
        return JITRL_OK;
    }
    if (!strncmp(uri, "file:", 5)) return JITRL_OK;   /* SQLite reads file: URIs itself */
    size_t k = 0;
    while ((uri[k] >= 'a' && uri[k] <= 'z') || (uri[k] >= 'A' && uri[k] <= 'Z') ||
           (k && ((uri[k] >= '0' && uri[k] <= '9') || uri[k] == '+' || uri[k] == '.' || uri[k] == '-')))
        k++;
    if (k == 0 || strncmp(uri + k, "://", 3)) return JITRL_OK;
    if ((k == 8 && !strncmp(uri, "postgres", 8)) || (k == 10 && !strncmp(uri, "postgresql", 10))) {
        *ops = &mem_store_pg;   /* libpq reads the whole URI */
        return JITRL_OK;
    }
    mem_set_err(mem, "%.*s: unknown memory scheme (use a file path, sqlite:PATH or file:URI)", (int)k + 3, uri);
    return JITRL_EINVAL;
}

static int utf8_ok(const char *s);

/* How messages name a store: the URI with any password replaced by "***"
 * (scheme://user:PASSWORD@host..., or password=... in its query). */
static char *display_name(const char *uri)
{
    char *d = jr_strdup(uri);
    if (!d || !strstr(d, "://")) return d;
    char *auth = strstr(d, "://") + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
    char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (at && colon && (!slash || at < slash)) memcpy(colon + 1, "***", 3), memmove(colon + 4, at, strlen(at) + 1);
    char *pw = strstr(d, "password=");
    if (pw) {
        pw += 9;
        size_t n = strcspn(pw, "&#");
        if (n > 3) memcpy(pw, "***", 3), memmove(pw + 3, pw + n, strlen(pw + n) + 1);
    }
    return d;
}

int jitrl_memory_open(const char *uri, const jitrl_memory_options *opt, jitrl_memory **out, char *errmsg,
                      size_t errlen)
{
    if (errmsg && errlen) errmsg[0] = '\0';
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    if (jr_opts_load(&o, sizeof o, opt)) {
        if (errmsg && errlen) snprintf(errmsg, errlen, "bad jitrl_memory_options size (call jitrl_memory_options_init)");
        return JITRL_EINVAL;
    }
    jitrl_memory *mem = jr_calloc(1, sizeof *mem);
    if (!mem) {
        if (errmsg && errlen) snprintf(errmsg, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    jr_buf_init(&mem->sbuf, MAX_STATE_BYTES);
    char *names = NULL;
    const char *where = NULL;
    int rc = JITRL_ENOMEM;
    if (mem_sync_init(&mem->sync)) {
        mem_set_err(mem, "out of memory (locks)");
        goto out;
    }
    mem->name = display_name(uri ? uri : ":memory:");
    if (!mem->name) goto out;
    if (o.ns && (!*o.ns || strlen(o.ns) > JITRL_MAX_NAMESPACE || !utf8_ok(o.ns))) {
        mem_set_err(mem, "bad namespace (1..%d bytes of UTF-8)", JITRL_MAX_NAMESPACE);
        rc = JITRL_EINVAL;
        goto out;
    }
    if (o.n_fields > JITRL_MAX_FIELDS) o.n_fields = JITRL_MAX_FIELDS + 1;   /* refused below */
    /* A requested spec is checked before the store is touched, so a bad
     * one never creates a file. */
    if (o.n_fields && (rc = mem_index_init(&mem->ix, o.fields, o.n_fields))) goto bad_spec;
    mem_index_free(&mem->ix);
    memset(&mem->ix, 0, sizeof mem->ix);
    if ((rc = pick_backend(mem, uri, &mem->ops, &where))) goto out;
    mem_store_cfg cfg = {where, mem->name, o.read_only, o.create, o.busy_timeout_ms > 0 ? o.busy_timeout_ms : 10000,
                         o.ns};
    char serr[512];
    if ((rc = mem->ops->open(&cfg, &mem->st, serr, sizeof serr))) {
        mem_set_err(mem, "%s: %s", mem->name, serr);
        goto out;
    }
    mem->read_only = o.read_only && uri && strcmp(uri, ":memory:");
    if ((rc = settle_spec(mem, o.fields, o.n_fields, &names))) goto out;
    if ((rc = mem_index_init(&mem->ix, mem->spec, mem->n_spec))) goto bad_spec;
    /* The spec's names now live in the index; point at them. */
    for (size_t f = 0; f < mem->n_spec; f++) mem->spec[f].name = mem->ix.names[f];
    mem->indexed = !o.no_index;
    if (mem->indexed && (rc = load_all(mem))) goto out;
    mem->ix_ok = mem->indexed;
    goto out;
bad_spec:
    mem_set_err(mem, rc == JITRL_EINVAL ? "bad field specs (1..%d fields, ngram 1..16, weights >= 0, sum > 0)"
                                        : "out of memory", JITRL_MAX_FIELDS);
out:
    jr_free(names);
    if (rc) {
        if (errmsg && errlen) snprintf(errmsg, errlen, "%s", mem->err[0] ? mem->err : jitrl_strerror(rc));
        jitrl_memory_close(mem);
        return rc;
    }
    *out = mem;
    return JITRL_OK;
}

void jitrl_memory_close(jitrl_memory *mem)
{
    if (!mem) return;
    if (mem->st) mem->ops->close(mem->st);
    mem_index_free(&mem->ix);
    jr_buf_free(&mem->sbuf);
    jr_free(mem->own);
    jr_free(mem->name);
    mem_sync_free(&mem->sync);
    jr_free(mem);
}

/* ---------- adding episodes ---------- */

static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0 || (*p == 0xc0 || *p == 0xc1) || *p > 0xf4) return 0;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xc0) != 0x80) return 0;
        p += n + 1;
    }
    return 1;
}

/* Text made safe for JSON Lines: invalid UTF-8 bytes become '?'.  Returns s
 * itself when it is already valid, else a copy in *tmp (caller frees). */
const char *mem_clean_text(const char *s, char **tmp)
{
    *tmp = NULL;
    if (!s) return "";
    if (utf8_ok(s)) return s;
    char *c = jr_strdup(s);
    if (!c) return NULL;
    unsigned char *p = (unsigned char *)c;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        int ok = n > 0 && *p != 0xc0 && *p != 0xc1 && *p <= 0xf4;
        for (int i = 1; ok && i <= n; i++)
            if ((p[i] & 0xc0) != 0x80) ok = 0;
        if (ok) p += n + 1;
        else *p++ = '?';
    }
    *tmp = c;
    return c;
}

/* A JSON string literal, escaping exactly as jr_buf_json_str does but
 * appending unescaped runs whole (this is on the ingest path). */
static int json_str(jr_buf *b, const char *s)
{
    int rc = jr_buf_putc(b, '"');
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\') continue;
        rc = jr_buf_append(b, run, (size_t)((const char *)p - run));
        char esc[8];
        switch (*p) {
        case '"': snprintf(esc, sizeof esc, "\\\""); break;
        case '\\': snprintf(esc, sizeof esc, "\\\\"); break;
        case '\n': snprintf(esc, sizeof esc, "\\n"); break;
        case '\r': snprintf(esc, sizeof esc, "\\r"); break;
        case '\t': snprintf(esc, sizeof esc, "\\t"); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", *p);
        }
        if (!rc) rc = jr_buf_puts(b, esc);
        run = (const char *)p + 1;
    }
    if (!rc) rc = jr_buf_append(b, run, strlen(run));
    if (!rc) rc = jr_buf_putc(b, '"');
    return rc;
}

/* The state as stored, appended to b: a JSON object of its fields, in order. */
static int state_json(jr_buf *b, const jitrl_state *st)
{
    int rc = jr_buf_putc(b, '{');
    for (size_t i = 0; !rc && st && i < st->n_fields; i++) {
        if (i) rc = jr_buf_putc(b, ',');
        if (!rc) rc = json_str(b, st->fields[i].name);
        if (!rc) rc = jr_buf_putc(b, ':');
        if (!rc) rc = json_str(b, st->fields[i].text ? st->fields[i].text : "");
    }
    if (!rc) rc = jr_buf_putc(b, '}');
    return rc;
}

/* What append's precommit step indexes: the cleaned states and actions. */
typedef struct pending {
    jitrl_memory *mem;
    const jitrl_state *states;
    const mem_step_rec *recs;
    size_t n;
    int rc;
} pending;

static int index_pending(void *ctx, int64_t episode_id, const int64_t *step_ids)
{
    pending *p = ctx;
    for (size_t t = 0; t < p->n && !p->rc; t++)
        p->rc = mem_index_prepare(&p->mem->ix, &p->states[t], p->recs[t].action, p->recs[t].ret, step_ids[t],
                                  episode_id);
    if (p->rc) mem_set_err(p->mem, "indexing the episode: %s", jitrl_strerror(p->rc));
    if (!p->rc && p->mem->key_meta) {   /* the episode_key, committed with the episode */
        char idtext[24];
        snprintf(idtext, sizeof idtext, "%lld", (long long)episode_id);
        int rc = p->mem->ops->meta_set(p->mem->st, p->mem->key_meta, idtext);
        if (rc) p->rc = mem_store_fail(p->mem, rc, "recording the episode key");
    }
    return p->rc;
}

int mem_insert_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                       double gamma, const double *ret, int64_t want_id, int64_t *episode_id)
{
    enum { MAXF = JITRL_MAX_FIELDS * 4 };
    if (mem->read_only) {
        mem_set_err(mem, "%s is open read-only", mem->name);
        return JITRL_ESTATE;
    }
    if (mem->indexed && !mem->ix_ok) {
        mem_set_err(mem, "the memory's index is unusable after an earlier failure");
        return JITRL_ESTATE;
    }
    size_t nf = 0;
    for (size_t t = 0; t < n; t++) {
        if (steps[t].state.n_fields > MAXF) {
            mem_set_err(mem, "a state has %zu fields; at most %d", steps[t].state.n_fields, (int)MAXF);
            return JITRL_EINVAL;
        }
        nf += steps[t].state.n_fields;
    }
    /* Texts are cleaned to valid UTF-8 first, so the index sees exactly
     * what a reopen will read back; tmp holds the copies cleaning made. */
    size_t ntmp = 2 * nf + n + 1, k = 0;
    mem_step_rec *recs = jr_calloc(n ? n : 1, sizeof *recs);
    int64_t *ids = jr_calloc(n ? n : 1, sizeof *ids);
    jitrl_state *states = jr_calloc(n ? n : 1, sizeof *states);
    jitrl_field *fields = jr_calloc(nf ? nf : 1, sizeof *fields);
    size_t *offs = jr_calloc(n ? n : 1, sizeof *offs);
    char **tmp = jr_calloc(ntmp, sizeof *tmp);
    int rc = recs && ids && states && fields && offs && tmp ? JITRL_OK : JITRL_ENOMEM;
    const char *task = rc ? NULL : mem_clean_text(info && info->task ? info->task : "", &tmp[k++]);
    if (!task) rc = JITRL_ENOMEM;
    jr_buf_reset(&mem->sbuf);
    for (size_t t = 0, fi = 0; !rc && t < n; t++) {
        const jitrl_state *s = &steps[t].state;
        states[t] = (jitrl_state){fields + fi, s->n_fields};
        for (size_t i = 0; !rc && i < s->n_fields; i++, fi++) {
            fields[fi].name = mem_clean_text(s->fields[i].name, &tmp[k++]);
            fields[fi].text = mem_clean_text(s->fields[i].text, &tmp[k++]);
            if (!fields[fi].name || !fields[fi].text) rc = JITRL_ENOMEM;
        }
        recs[t].action = rc ? NULL : mem_clean_text(steps[t].action, &tmp[k++]);
        if (!recs[t].action) rc = JITRL_ENOMEM;
        recs[t].reward = steps[t].reward;
        recs[t].ret = ret[t];
        offs[t] = mem->sbuf.len;
        if (!rc) rc = state_json(&mem->sbuf, &states[t]);
        if (!rc) rc = jr_buf_append(&mem->sbuf, "", 1);   /* each text NUL-terminated in place */
    }
    assert(k <= ntmp);
    if (rc) {
        mem_set_err(mem, rc == JITRL_ETOOBIG ? "the episode's states are too large" : "out of memory");
        goto out;
    }
    for (size_t t = 0; t < n; t++) recs[t].state = mem->sbuf.data + offs[t];
    mem_ep_rec ep = {0};
    ep.task = task;
    ep.score = info ? info->score : 0.0;
    ep.time = info && info->time ? info->time : (int64_t)time(NULL);
    ep.gamma = gamma;
    ep.n_steps = n;
    ep.steps = recs;
    pending p = {mem, states, recs, n, JITRL_OK};
    int64_t eid = 0, seq = 0;
    /* room for our seq first: once the append commits nothing may fail */
    if (mem_grow((void **)&mem->own, &mem->cap_own, mem->n_own + 1, sizeof *mem->own)) {
        mem_set_err(mem, "out of memory");
        rc = JITRL_ENOMEM;
        goto out;
    }
    if (!mem->indexed) {   /* no index to keep in step: the store alone */
        rc = mem->ops->append(mem->st, &ep, want_id, ids, NULL, NULL, &eid, &seq);
        if (rc) mem_store_fail(mem, rc, mem->name);
        else if (episode_id) *episode_id = eid;
        goto out;
    }
    /* The index grows while the store appends (index_pending runs before
     * its commit), so decisions wait from the first prepare to the index's
     * commit or abort: they see the episode whole or not at all. */
    mem_ix_wrlock(mem);
    mem_index_begin(&mem->ix);
    rc = mem->ops->append(mem->st, &ep, want_id, ids, index_pending, &p, &eid, &seq);
    if (rc) {
        mem_index_abort(&mem->ix);
        mem_ix_unlock(mem);
        if (!p.rc) mem_store_fail(mem, rc, mem->name);
        goto out;
    }
    mem_index_commit(&mem->ix);
    /* The cursor follows our commit when nothing came between; else an
     * episode another handle committed is not read yet, and the next
     * refresh reads it and skips ours (mem->own). */
    if (seq == mem->cursor + 1) mem->cursor = seq;
    else mem->own[mem->n_own++] = seq;
    mem_ix_unlock(mem);
    if (episode_id) *episode_id = eid;
out:
    for (size_t i = 0; tmp && i < ntmp; i++) jr_free(tmp[i]);
    jr_free(tmp);
    jr_free(offs);
    jr_free(fields);
    jr_free(states);
    jr_free(ids);
    jr_free(recs);
    return rc;
}

static int check_steps(jitrl_memory *mem, const jitrl_step *steps, size_t n)
{
    if (n && !steps) return JITRL_EINVAL;
    for (size_t t = 0; t < n; t++) {
        if (!steps[t].action || !isfinite(steps[t].reward) || (steps[t].state.n_fields && !steps[t].state.fields)) {
            mem_set_err(mem, "step %zu: NULL action or fields, or a non-finite reward", t);
            return JITRL_EINVAL;
        }
        for (size_t i = 0; i < steps[t].state.n_fields; i++)
            if (!steps[t].state.fields[i].name) {
                mem_set_err(mem, "step %zu: field %zu has no name", t, i);
                return JITRL_EINVAL;
            }
    }
    return JITRL_OK;
}

static int add_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                       double gamma, int64_t *episode_id)
{
    if (!(gamma >= 0 && gamma <= 1)) {
        mem_set_err(mem, "gamma %g is outside [0, 1]", gamma);
        return JITRL_EINVAL;
    }
    if (info && !isfinite(info->score)) {
        mem_set_err(mem, "non-finite episode score");
        return JITRL_EINVAL;
    }
    int rc = check_steps(mem, steps, n);
    if (rc) return rc;
    double *ret = jr_malloc((n ? n : 1) * sizeof *ret);
    if (!ret) {
        mem_set_err(mem, "out of memory");
        return JITRL_ENOMEM;
    }
    for (size_t t = 0; t < n; t++) ret[t] = steps[t].reward;
    jitrl_returns(ret, n, gamma, ret);
    rc = mem_insert_episode(mem, info, steps, n, gamma, ret, 0, episode_id);
    jr_free(ret);
    return rc;
}

int jitrl_memory_add_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                             double gamma, int64_t *episode_id)
{
    if (!mem) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = add_episode(mem, info, steps, n, gamma, episode_id);
    mem_write_end(mem);
    return rc;
}

int mem_add_episode_err(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                        double gamma, int64_t *episode_id, char *err, size_t errlen)
{
    mem_write_begin(mem);
    char saved[sizeof mem->err];
    memcpy(saved, mem->err, sizeof saved);
    int rc = add_episode(mem, info, steps, n, gamma, episode_id);
    if (rc) snprintf(err, errlen, "%s", mem->err);
    memcpy(mem->err, saved, sizeof saved);
    mem_write_end(mem);
    return rc;
}

int mem_add_episode_keyed(jitrl_memory *mem, const char *key, const jitrl_episode_info *info,
                          const jitrl_step *steps, size_t n, double gamma, int64_t *episode_id, int *replayed,
                          char *err, size_t errlen)
{
    *replayed = 0;
    if (!mem->indexed) {
        snprintf(err, errlen, "episode keys need an indexed memory");
        return JITRL_EINVAL;
    }
    jr_buf mk;
    jr_buf_init(&mk, 1024);
    if (jr_buf_puts(&mk, "episode_key:") || jr_buf_puts(&mk, key)) {
        jr_buf_free(&mk);
        snprintf(err, errlen, "the episode key is over 1000 bytes");
        return JITRL_ETOOBIG;
    }
    mem_write_begin(mem);
    char saved[sizeof mem->err];
    memcpy(saved, mem->err, sizeof saved);
    char *v = NULL;
    int rc = mem->ops->meta_get(mem->st, mk.data, &v);
    if (rc == JITRL_OK) {   /* stored before: answer with its id */
        char *end = NULL;
        long long id = strtoll(v, &end, 10);
        if (end == v || *end || id <= 0) {
            rc = JITRL_ECORRUPT;
            mem_set_err(mem, "the stored id of episode key '%.64s' is '%.32s'", key, v);
        } else {
            *episode_id = id;
            *replayed = 1;
        }
    } else if (rc == JITRL_ENOTFOUND) {
        mem->key_meta = mk.data;
        rc = add_episode(mem, info, steps, n, gamma, episode_id);
        mem->key_meta = NULL;
    } else {
        mem_store_fail(mem, rc, "reading the episode key");
    }
    jr_free(v);
    if (rc) snprintf(err, errlen, "%s", mem->err);
    memcpy(mem->err, saved, sizeof saved);
    mem_write_end(mem);
    jr_buf_free(&mk);
    return rc;
}

void mem_errmsg_copy(jitrl_memory *mem, char *buf, size_t len)
{
    mem_write_begin(mem);
    snprintf(buf, len, "%s", mem->err);
    mem_write_end(mem);
}

static int refresh(jitrl_memory *mem);

int jitrl_memory_refresh(jitrl_memory *mem)
{
    if (!mem) return JITRL_EINVAL;
    if (!mem->indexed) return JITRL_OK;
    mem_write_begin(mem);
    int rc = refresh(mem);
    mem_write_end(mem);
    return rc;
}

static int refresh(jitrl_memory *mem)
{
    if (!mem->ix_ok) {
        mem_set_err(mem, "the memory's index is unusable after an earlier failure");
        return JITRL_ESTATE;
    }
    int64_t gen = 0;
    int rc = mem->ops->generation(mem->st, &gen);
    if (rc) return mem_store_fail(mem, rc, "refresh");
    /* Rows were removed since the index was built (another handle
     * pruned): the cursor no longer describes it. */
    if (gen != mem->generation) return mem_rebuild(mem);
    return mem_load(mem, &mem->ix, &mem->cursor, 1);
}

/* ---------- a fleet on one store ---------- */

int jitrl_memory_ping(jitrl_memory *mem)
{
    if (!mem) return JITRL_EINVAL;
    mem_write_begin(mem);
    int rc = mem->ops->ping(mem->st);
    if (rc) {
        mem_store_fail(mem, rc, mem->name);
        rc = JITRL_EIO;
    }
    mem_write_end(mem);
    return rc;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The store's change token, under the writer turn. */
static int change_token(jitrl_memory *mem, int64_t *tok)
{
    mem_write_begin(mem);
    int rc = mem->ops->changed(mem->st, tok);
    mem_write_end(mem);
    return rc;
}

/* Without a store that notifies: poll its change token every POLL_MS
 * until it differs from the one the last sync refreshed at. */
#define POLL_MS 20
static void poll_changes(jitrl_memory *mem, int64_t deadline)
{
    int64_t tok = 0;
    if (change_token(mem, &tok)) return;   /* the refresh will say why */
    while (mem->sync_known && tok == mem->sync_token) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) break;
        sleep_ms(left < POLL_MS ? left : POLL_MS);
        if (change_token(mem, &tok)) return;
    }
    mem_write_begin(mem);
    mem->sync_token = tok;   /* what the refresh below reads up to, at least */
    mem->sync_known = 1;
    mem_write_end(mem);
}

int jitrl_memory_sync(jitrl_memory *mem, int timeout_ms)
{
    if (!mem) return JITRL_EINVAL;
    if (timeout_ms < 0) timeout_ms = 0;
    if (timeout_ms > 3600000) timeout_ms = 3600000;
    int64_t deadline = mono_ms() + timeout_ms;
    int wrc = JITRL_OK;
    if (mem->ops->wait) wrc = mem->ops->wait(mem->st, timeout_ms);   /* no lock: decisions and adds go on */
    else if (mem->ops->changed) poll_changes(mem, deadline);
    int rc = jitrl_memory_refresh(mem);
    /* A store that cannot be watched (it is down) must not turn the
     * caller's wait loop into a busy loop: the full wait, then the error. */
    if (wrc || rc == JITRL_EIO || rc == JITRL_ETIMEOUT) {
        int64_t left = deadline - mono_ms();
        if (left > 0) sleep_ms(left);
    }
    return rc;
}
