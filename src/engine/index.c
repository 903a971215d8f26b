/*
 * index.c -- the in-RAM retrieval index of a memory (see mem_int.h for the
 * data layout): interned shingle sets per field, distinct states ("keys"),
 * per-key step lists and action aggregates, the inverted index of the
 * primary field, and the action name table.
 *
 * It is rebuilt from SQLite at open and extended after each committed
 * episode.  Adding is two-phase (prepare may fail, commit may not) so that
 * an out-of-memory leaves the index answering exactly as before: the only
 * things prepare leaves behind on failure are interned sets, keys, postings
 * and action names that no step points to, which retrieval never reports
 * (a key with no steps contributes no neighbours).
 */
#include "engine/mem_int.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---------- open-addressing table of uint32 ids ---------- */

static int htab_reserve(mem_htab *t, size_t n_after, const uint64_t *digest)
{
    size_t cap = t->slot ? t->mask + 1 : 0;
    if (n_after * 10 < cap * 7) return JITRL_OK;
    size_t nc = cap ? cap : 64;
    while (n_after * 10 >= nc * 7) nc *= 2;
    uint32_t *s = jr_malloc(nc * sizeof *s);
    if (!s) return JITRL_ENOMEM;
    memset(s, 0xff, nc * sizeof *s);
    for (size_t i = 0; i < cap; i++) {
        uint32_t id = t->slot[i];
        if (id == MEM_NONE) continue;
        size_t h = (size_t)digest[id] & (nc - 1);
        while (s[h] != MEM_NONE) h = (h + 1) & (nc - 1);
        s[h] = id;
    }
    jr_free(t->slot);
    t->slot = s;
    t->mask = nc - 1;
    return JITRL_OK;
}

static void htab_insert(mem_htab *t, uint64_t digest, uint32_t id)
{
    /* reserved first: a power-of-two table that keeps an empty slot, so
     * probes end */
    assert(t->slot && ((t->mask + 1) & t->mask) == 0 && t->n + 1 < t->mask + 1);
    assert(id != MEM_NONE);
    size_t h = (size_t)digest & t->mask;
    while (t->slot[h] != MEM_NONE) h = (h + 1) & t->mask;
    t->slot[h] = id;
    t->n++;
}

typedef int (*eq_fn)(const void *ctx, uint32_t id);

static uint32_t htab_find(const mem_htab *t, uint64_t digest, const uint64_t *digests, eq_fn eq,
                          const void *ctx)
{
    if (!t->slot) return MEM_NONE;
    size_t h = (size_t)digest & t->mask;
    for (;;) {
        uint32_t id = t->slot[h];
        if (id == MEM_NONE) return MEM_NONE;
        if (digests[id] == digest && (!eq || eq(ctx, id))) return id;
        h = (h + 1) & t->mask;
    }
}

int mem_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return JITRL_OK;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return JITRL_ENOMEM;
        nc *= 2;
    }
    if (size && nc > SIZE_MAX / size) return JITRL_ENOMEM;
    void *q = jr_realloc(*p, nc * size);
    if (!q) return JITRL_ENOMEM;
    *p = q;
    *cap = nc;
    return JITRL_OK;
}

int mem_scratch_grow(uint32_t **stamp, uint32_t **val, size_t *cap, size_t need)
{
    if (need <= *cap) return JITRL_OK;
    size_t nc = need + need / 2 + 64;
    if (nc > SIZE_MAX / sizeof **stamp) return JITRL_ENOMEM;
    uint32_t *st = jr_realloc(*stamp, nc * sizeof *st);
    if (!st) return JITRL_ENOMEM;
    *stamp = st;
    uint32_t *v = jr_realloc(*val, nc * sizeof *v);
    if (!v) return JITRL_ENOMEM;   /* *cap unchanged: the stamps' new tail is zeroed next time */
    *val = v;
    memset(st + *cap, 0, (nc - *cap) * sizeof *st);
    *cap = nc;
    return JITRL_OK;
}

static int grow32(void **p, uint32_t *cap, size_t need, size_t size)
{
    size_t c = *cap;
    int rc = mem_grow(p, &c, need, size);
    if (!rc) *cap = (uint32_t)c;
    return rc;
}

/* ---------- life cycle ---------- */

int mem_index_init(mem_index *ix, const jitrl_field_spec *fields, size_t n_fields)
{
    memset(ix, 0, sizeof *ix);
    if (n_fields == 0 || n_fields > JITRL_MAX_FIELDS) return JITRL_EINVAL;
    double wsum = 0;
    for (size_t f = 0; f < n_fields; f++) {
        if (!fields[f].name || fields[f].ngram < 1 || fields[f].ngram > 16 || !(fields[f].weight >= 0))
            return JITRL_EINVAL;
        wsum += fields[f].weight;
    }
    if (!(wsum > 0)) return JITRL_EINVAL;
    ix->n_fields = n_fields;
    for (size_t f = 0; f < n_fields; f++) {
        ix->names[f] = jr_strdup(fields[f].name);
        if (!ix->names[f]) { mem_index_free(ix); return JITRL_ENOMEM; }
        ix->ngram[f] = fields[f].ngram;
        ix->w[f] = fields[f].weight / wsum;
        if (ix->w[f] > ix->w[ix->primary]) ix->primary = f;
    }
    return JITRL_OK;
}

void mem_index_free(mem_index *ix)
{
    if (!ix) return;
    for (size_t f = 0; f < JITRL_MAX_FIELDS; f++) {
        jr_free(ix->names[f]);
        mem_pool *pl = &ix->pool[f];
        for (size_t i = 0; i < pl->n; i++) {
            jr_free(pl->sets[i].h);
            jr_free(pl->sets[i].keys);
            jr_free(pl->sets[i].kbm);
        }
        jr_free(pl->sets);
        jr_free(pl->psig);
        jr_free(pl->digest);
        jr_free(pl->tab.slot);
    }
    for (size_t i = 0; i < ix->n_post; i++) jr_free(ix->post[i].ids);
    jr_free(ix->post);
    jr_free(ix->post_h);
    jr_free(ix->post_tab.slot);
    for (size_t i = 0; i < ix->n_part; i++) {
        jr_free(ix->part[i].ids);
        jr_free(ix->part[i].fp);
    }
    jr_free(ix->part);
    jr_free(ix->pslot);
    for (size_t i = 0; i < ix->n_keys; i++) {
        jr_free(ix->keys[i].steps);
        jr_free(ix->keys[i].acts);
    }
    jr_free(ix->keys);
    jr_free(ix->key_sets);
    jr_free(ix->key_digest);
    jr_free(ix->key_tab.slot);
    for (size_t i = 0; i < ix->n_act; i++) jr_free(ix->act[i]);
    jr_free(ix->act);
    jr_free(ix->act_digest);
    jr_free(ix->act_tab.slot);
    jr_free(ix->steps);
    jr_free(ix->pend);
    mem_scratch_free(&ix->own);
    memset(ix, 0, sizeof *ix);
}

void mem_scratch_free(mem_scratch *s)
{
    jr_free(s->stamp);
    jr_free(s->count);
    jr_free(s->act_stamp);
    jr_free(s->act_pos);
    memset(s, 0, sizeof *s);
}

/* ---------- queries: the shingle sets of a state ---------- */

static const char *field_text(const jitrl_state *st, const char *name)
{
    for (size_t i = 0; st && i < st->n_fields; i++)
        if (st->fields[i].name && !strcmp(st->fields[i].name, name)) return st->fields[i].text;
    return NULL;
}

int mem_query_make(const mem_index *ix, const jitrl_state *st, mem_query *q)
{
    memset(q, 0, sizeof *q);
    for (size_t f = 0; f < ix->n_fields; f++) {
        int rc = mem_shingle(field_text(st, ix->names[f]), ix->ngram[f], &q->h[f], &q->n[f]);
        if (rc) { mem_query_free(q); return rc; }
    }
    return JITRL_OK;
}

void mem_query_free(mem_query *q)
{
    for (size_t f = 0; f < JITRL_MAX_FIELDS; f++) jr_free(q->h[f]);
    memset(q, 0, sizeof *q);
}

/* ---------- interning ---------- */

typedef struct { const mem_pool *pl; const uint64_t *h; uint32_t n; } set_ctx;

static int set_eq(const void *vctx, uint32_t id)
{
    const set_ctx *c = vctx;
    const mem_set *s = &c->pl->sets[id];
    return s->n == c->n && (c->n == 0 || !memcmp(s->h, c->h, c->n * sizeof *c->h));
}

static int post_eq(const void *ctx, uint32_t id) { (void)ctx; (void)id; return 1; }

/* Append sid to the posting of key h in (post, post_h, tab); resumable:
 * a posting already ending in sid is left alone. */
static int post_add(mem_posting **post, uint64_t **post_h, size_t *n_post, size_t *cap_post, mem_htab *tab,
                    uint64_t h, uint32_t sid)
{
    uint32_t pid = htab_find(tab, h, *post_h, post_eq, NULL);
    if (pid == MEM_NONE) {
        size_t c = *cap_post;
        if (mem_grow((void **)post, &c, *n_post + 1, sizeof **post)) return JITRL_ENOMEM;
        c = *cap_post;
        if (mem_grow((void **)post_h, &c, *n_post + 1, sizeof **post_h)) return JITRL_ENOMEM;
        *cap_post = c;
        (*post_h)[*n_post] = h;
        if (htab_reserve(tab, *n_post + 1, *post_h)) return JITRL_ENOMEM;
        pid = (uint32_t)(*n_post)++;
        memset(&(*post)[pid], 0, sizeof (*post)[pid]);
        htab_insert(tab, h, pid);
    }
    mem_posting *po = &(*post)[pid];
    if (po->n && po->ids[po->n - 1] == sid) return JITRL_OK;   /* a resumed pass */
    if (grow32((void **)&po->ids, &po->cap, (size_t)po->n + 1, sizeof *po->ids)) return JITRL_ENOMEM;
    po->ids[po->n++] = sid;
    return JITRL_OK;
}

uint64_t mem_part_sig(const uint64_t *h, uint32_t n, unsigned bits, unsigned j, uint32_t *len)
{
    /* Partition j holds the hashes whose top `bits` bits are j: a run. */
    uint32_t lo = 0, hi = n;
    uint64_t bound = (uint64_t)j << (64 - bits);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h[mid] < bound) lo = mid + 1;
        else hi = mid;
    }
    uint32_t b = lo, e = lo;
    while (e < n && (h[e] >> (64 - bits)) == j) e++;
    if (len) *len = e - b;
    /* An empty set (a state without the primary field) has h == NULL:
     * no pointer arithmetic on it (UBSan, found by tests/fuzz/fuzz_json.c). */
    return mem_hash_bytes(n ? h + b : h, (size_t)(e - b) * sizeof *h, ((uint64_t)bits << 32) + j);
}

static mem_pslot *pslot_find(const mem_index *ix, uint64_t key)
{
    if (!ix->pslot) return NULL;
    for (size_t h = (size_t)key & ix->pmask;; h = (h + 1) & ix->pmask) {
        mem_pslot *sl = &ix->pslot[h];
        if (sl->pid == MEM_NONE) return NULL;
        if (sl->key == key) return sl;
    }
}

const mem_pslot *mem_index_part(const mem_index *ix, uint64_t sig) { return pslot_find(ix, sig); }

static int pslot_reserve(mem_index *ix, size_t n_after)
{
    size_t cap = ix->pslot ? ix->pmask + 1 : 0;
    if (n_after * 10 < cap * 7) return JITRL_OK;
    size_t nc = cap ? cap * 2 : 256;
    while (n_after * 10 >= nc * 7) nc *= 2;
    mem_pslot *s = jr_malloc(nc * sizeof *s);
    if (!s) return JITRL_ENOMEM;
    for (size_t i = 0; i < nc; i++) s[i].pid = MEM_NONE;
    for (size_t i = 0; i < cap; i++) {
        if (ix->pslot[i].pid == MEM_NONE) continue;
        size_t h = (size_t)ix->pslot[i].key & (nc - 1);
        while (s[h].pid != MEM_NONE) h = (h + 1) & (nc - 1);
        s[h] = ix->pslot[i];
    }
    jr_free(ix->pslot);
    ix->pslot = s;
    ix->pmask = nc - 1;
    return JITRL_OK;
}

/* Append sid (with its fingerprint) to the partition posting of sig;
 * resumable like post_add. */
static int part_add(mem_index *ix, uint64_t sig, uint32_t sid, const mem_fp_t *fp)
{
    mem_pslot *sl = pslot_find(ix, sig);
    if (!sl) {
        size_t c = ix->cap_part;
        if (mem_grow((void **)&ix->part, &c, ix->n_part + 1, sizeof *ix->part)) return JITRL_ENOMEM;
        ix->cap_part = c;
        if (pslot_reserve(ix, ix->pcount + 1)) return JITRL_ENOMEM;
        size_t h = (size_t)sig & ix->pmask;
        while (ix->pslot[h].pid != MEM_NONE) h = (h + 1) & ix->pmask;
        sl = &ix->pslot[h];
        *sl = (mem_pslot){sig, (uint32_t)ix->n_part, 0};
        memset(&ix->part[ix->n_part++], 0, sizeof ix->part[0]);
        ix->pcount++;
    }
    mem_posting *po = &ix->part[sl->pid];
    if (po->n && po->ids[po->n - 1] == sid) return JITRL_OK;
    uint32_t cap = po->cap;
    if (grow32((void **)&po->ids, &cap, (size_t)po->n + 1, sizeof *po->ids)) return JITRL_ENOMEM;
    cap = po->cap;
    if (grow32((void **)&po->fp, &cap, (size_t)po->n + 1, sizeof *po->fp)) return JITRL_ENOMEM;
    po->cap = cap;
    po->fp[po->n] = *fp;
    po->ids[po->n++] = sid;
    sl->len = po->n;
    return JITRL_OK;
}

static int post_shingles(mem_index *ix, uint32_t sid)
{
    const mem_set *s = &ix->pool[ix->primary].sets[sid];
    for (uint32_t i = 0; i < s->n; i++)
        if (post_add(&ix->post, &ix->post_h, &ix->n_post, &ix->cap_post, &ix->post_tab, s->h[i], sid))
            return JITRL_ENOMEM;
    return JITRL_OK;
}

/* The per-shingle postings serve only prefix filtering (low thresholds),
 * so they are built on the first query that needs them and kept up to
 * date from then on; ingest at the paper's thresholds never pays for them.
 * Resumable after a failure: shingles_next is where to go on, and
 * post_add skips a posting that already ends with the set. */
int mem_index_need_shingles(mem_index *ix)
{
    if (ix->shingles_on) return JITRL_OK;
    const mem_pool *pl = &ix->pool[ix->primary];
    for (; ix->shingles_next < pl->n; ix->shingles_next++)
        if (pl->sets[ix->shingles_next].posted && post_shingles(ix, (uint32_t)ix->shingles_next))
            return JITRL_ENOMEM;
    ix->shingles_on = 1;
    return JITRL_OK;
}

/* Write the postings of primary set `sid`: one per partition signature,
 * and one per shingle once those are in use. */
static int post_set(mem_index *ix, uint32_t sid)
{
    mem_set *s = &ix->pool[ix->primary].sets[sid];
    if (ix->shingles_on && post_shingles(ix, sid)) return JITRL_ENOMEM;
    /* Empty partitions are not posted: they would make one huge list. */
    uint16_t *ps = &ix->pool[ix->primary].psig[(size_t)sid * MEM_PARTS];
    for (unsigned j = 0; j < MEM_PARTS; j++) ps[j] = (uint16_t)mem_part_sig(s->h, s->n, 5, j, NULL);
    mem_fp_t fp = mem_fp(ps);
    for (unsigned bits = MEM_LEVEL_MIN; bits <= MEM_LEVEL_MAX; bits++)
        for (unsigned j = 0; j < (1u << bits); j++) {
            uint32_t len;
            uint64_t sig = mem_part_sig(s->h, s->n, bits, j, &len);
            if (len && part_add(ix, sig, sid, &fp))
                return JITRL_ENOMEM;
        }
    s->posted = 1;
    return JITRL_OK;
}

/* Intern the set (h, n) of field f; h stays the caller's (copied when new). */
static int intern_set(mem_index *ix, size_t f, const uint64_t *h, uint32_t n, uint32_t *out)
{
    mem_pool *pl = &ix->pool[f];
    uint64_t d = n ? mem_hash_bytes(h, n * sizeof *h, f) : 0x5bd1e995u + f;
    set_ctx c = {pl, h, n};
    uint32_t sid = htab_find(&pl->tab, d, pl->digest, set_eq, &c);
    uint64_t *copy = NULL;
    if (sid == MEM_NONE) {
        if (n && !(copy = jr_malloc(n * sizeof *copy))) return JITRL_ENOMEM;
        if (n) memcpy(copy, h, n * sizeof *copy);
        size_t cap = pl->cap;
        if (mem_grow((void **)&pl->sets, &cap, pl->n + 1, sizeof *pl->sets)) goto nomem;
        cap = pl->cap;
        if (mem_grow((void **)&pl->digest, &cap, pl->n + 1, sizeof *pl->digest)) goto nomem;
        if (f == ix->primary) {
            cap = pl->cap;
            if (mem_grow((void **)&pl->psig, &cap, pl->n + 1, MEM_PARTS * sizeof *pl->psig)) goto nomem;
        }
        pl->cap = cap;
        pl->digest[pl->n] = d;
        if (htab_reserve(&pl->tab, pl->n + 1, pl->digest)) goto nomem;
        sid = (uint32_t)pl->n++;
        memset(&pl->sets[sid], 0, sizeof pl->sets[sid]);
        pl->sets[sid].h = copy;
        copy = NULL;   /* the pool owns it now */
        pl->sets[sid].n = n;
        for (uint32_t i = 0; i < n; i++) pl->sets[sid].bm |= mem_bit(h[i], f);
        htab_insert(&pl->tab, d, sid);
    }
    if (f == ix->primary && !pl->sets[sid].posted) {
        int rc = post_set(ix, sid);
        if (rc) return rc;
    }
    *out = sid;
    return JITRL_OK;
nomem:
    jr_free(copy);
    return JITRL_ENOMEM;
}

typedef struct { const mem_index *ix; const uint32_t *sets; } key_ctx;

static int key_eq(const void *vctx, uint32_t id)
{
    const key_ctx *c = vctx;
    return !memcmp(&c->ix->key_sets[(size_t)id * c->ix->n_fields], c->sets, c->ix->n_fields * sizeof *c->sets);
}

static int intern_key(mem_index *ix, const uint32_t *sets, uint32_t *out)
{
    size_t nf = ix->n_fields;
    uint64_t d = mem_hash_bytes(sets, nf * sizeof *sets, 7);
    key_ctx c = {ix, sets};
    uint32_t kid = htab_find(&ix->key_tab, d, ix->key_digest, key_eq, &c);
    if (kid == MEM_NONE) {
        size_t cap = ix->cap_keys;
        if (mem_grow((void **)&ix->keys, &cap, ix->n_keys + 1, sizeof *ix->keys)) return JITRL_ENOMEM;
        cap = ix->cap_keys;
        if (mem_grow((void **)&ix->key_digest, &cap, ix->n_keys + 1, sizeof *ix->key_digest)) return JITRL_ENOMEM;
        cap = ix->cap_keys;
        if (mem_grow((void **)&ix->key_sets, &cap, ix->n_keys + 1, nf * sizeof *ix->key_sets)) return JITRL_ENOMEM;
        ix->cap_keys = cap;
        ix->key_digest[ix->n_keys] = d;
        if (htab_reserve(&ix->key_tab, ix->n_keys + 1, ix->key_digest)) return JITRL_ENOMEM;
        kid = (uint32_t)ix->n_keys++;
        memset(&ix->keys[kid], 0, sizeof ix->keys[kid]);
        memcpy(&ix->key_sets[(size_t)kid * nf], sets, nf * sizeof *sets);
        htab_insert(&ix->key_tab, d, kid);
    }
    mem_key *k = &ix->keys[kid];
    if (!k->linked) {
        mem_set *ps = &ix->pool[ix->primary].sets[sets[ix->primary]];
        uint32_t cap = ps->cap_keys;
        if (grow32((void **)&ps->keys, &cap, (size_t)ps->n_keys + 1, sizeof *ps->keys)) return JITRL_ENOMEM;
        cap = ps->cap_keys;
        if (grow32((void **)&ps->kbm, &cap, (size_t)ps->n_keys + 1, sizeof *ps->kbm)) return JITRL_ENOMEM;
        ps->cap_keys = cap;
        uint64_t bm = 0;
        for (size_t f = 0; f < nf; f++)
            if (f != ix->primary) bm |= ix->pool[f].sets[sets[f]].bm;
        ps->kbm[ps->n_keys] = bm;
        ps->keys[ps->n_keys++] = kid;
        k->linked = 1;
    }
    *out = kid;
    return JITRL_OK;
}

const mem_posting *mem_index_posting(const mem_index *ix, uint64_t h)
{
    uint32_t pid = htab_find(&ix->post_tab, h, ix->post_h, post_eq, NULL);
    return pid == MEM_NONE ? NULL : &ix->post[pid];
}

static int act_eq(const void *ctx, uint32_t id)
{
    const struct { const mem_index *ix; const char *s; } *c = ctx;
    return !strcmp(c->ix->act[id], c->s);
}

uint32_t mem_index_action(const mem_index *ix, const char *name)
{
    struct { const mem_index *ix; const char *s; } c = {ix, name};
    return htab_find(&ix->act_tab, mem_hash_bytes(name, strlen(name), 3), ix->act_digest, act_eq, &c);
}

static int intern_action(mem_index *ix, const char *name, uint32_t *out)
{
    uint32_t id = mem_index_action(ix, name);
    if (id == MEM_NONE) {
        uint64_t d = mem_hash_bytes(name, strlen(name), 3);
        size_t cap = ix->cap_act;
        if (mem_grow((void **)&ix->act, &cap, ix->n_act + 1, sizeof *ix->act)) return JITRL_ENOMEM;
        cap = ix->cap_act;
        if (mem_grow((void **)&ix->act_digest, &cap, ix->n_act + 1, sizeof *ix->act_digest)) return JITRL_ENOMEM;
        ix->cap_act = cap;
        ix->act_digest[ix->n_act] = d;
        if (htab_reserve(&ix->act_tab, ix->n_act + 1, ix->act_digest)) return JITRL_ENOMEM;
        char *s = jr_strdup(name);
        if (!s) return JITRL_ENOMEM;
        id = (uint32_t)ix->n_act;
        ix->act[ix->n_act++] = s;
        htab_insert(&ix->act_tab, d, id);
    }
    *out = id;
    return JITRL_OK;
}

/* ---------- two-phase add ---------- */

void mem_index_begin(mem_index *ix) { ix->n_pend = 0; }

int mem_index_prepare(mem_index *ix, const jitrl_state *st, const char *action, double ret,
                      int64_t step_id, int64_t episode_id)
{
    uint32_t sets[JITRL_MAX_FIELDS];
    int rc;
    for (size_t f = 0; f < ix->n_fields; f++) {
        uint64_t buf[512], *h;
        uint32_t n;
        rc = mem_shingle_buf(field_text(st, ix->names[f]), ix->ngram[f], buf, 512, &h, &n);
        if (rc) return rc;
        rc = intern_set(ix, f, h, n, &sets[f]);
        if (h != buf) jr_free(h);
        if (rc) return rc;
    }
    mem_step s = {.id = step_id, .episode = episode_id, .ret = ret};
    if ((rc = intern_key(ix, sets, &s.key))) return rc;
    if ((rc = intern_action(ix, action, &s.action))) return rc;
    mem_key *k = &ix->keys[s.key];
    /* Reserve room for this step in the key's list and the aggregate slot. */
    if (grow32((void **)&k->steps, &k->cap_steps, (size_t)k->n_steps + k->n_res + 1, sizeof *k->steps))
        return JITRL_ENOMEM;
    uint32_t a = 0;
    while (a < k->n_acts && k->acts[a].action != s.action) a++;
    if (a == k->n_acts) {
        if (grow32((void **)&k->acts, &k->cap_acts, (size_t)k->n_acts + 1, sizeof *k->acts)) return JITRL_ENOMEM;
        k->acts[k->n_acts++] = (mem_astat){.action = s.action};
    }
    if (mem_grow((void **)&ix->steps, &ix->cap_steps, ix->n_steps + ix->n_pend + 1, sizeof *ix->steps))
        return JITRL_ENOMEM;
    if (mem_grow((void **)&ix->pend, &ix->cap_pend, ix->n_pend + 1, sizeof *ix->pend)) return JITRL_ENOMEM;
    if (ix->n_steps + ix->n_pend + 1 >= MEM_NONE) return JITRL_ETOOBIG;
    k->n_res++;
    ix->pend[ix->n_pend++] = s;
    return JITRL_OK;
}

void mem_index_commit(mem_index *ix)
{
    for (size_t i = 0; i < ix->n_pend; i++) {
        mem_step *s = &ix->pend[i];
        mem_key *k = &ix->keys[s->key];
        uint32_t idx = (uint32_t)ix->n_steps;
        /* prepare reserved this step's room in both lists */
        assert(k->n_res > 0 && k->n_steps < k->cap_steps && ix->n_steps < ix->cap_steps);
        ix->steps[ix->n_steps++] = *s;
        k->steps[k->n_steps++] = idx;
        if (fabs(s->ret) > ix->ret_absmax) ix->ret_absmax = fabs(s->ret);
        k->n_res--;
        for (uint32_t a = 0; a < k->n_acts; a++)
            if (k->acts[a].action == s->action) {
                k->acts[a].count++;
                k->acts[a].sum_ret += s->ret;
                break;
            }
    }
    ix->n_pend = 0;
}

void mem_index_abort(mem_index *ix)
{
    for (size_t i = 0; i < ix->n_pend; i++) {
        assert(ix->keys[ix->pend[i].key].n_res > 0);
        ix->keys[ix->pend[i].key].n_res--;
    }
    ix->n_pend = 0;
}

size_t mem_index_bytes(const mem_index *ix)
{
    size_t b = ix->cap_steps * sizeof(mem_step) + ix->cap_keys * (sizeof(mem_key) + 8 + ix->n_fields * 4);
    for (size_t i = 0; i < ix->n_keys; i++)
        b += ix->keys[i].cap_steps * 4 + ix->keys[i].cap_acts * sizeof(mem_astat);
    for (size_t f = 0; f < ix->n_fields; f++) {
        const mem_pool *pl = &ix->pool[f];
        b += pl->cap * (sizeof(mem_set) + 8) + (pl->tab.slot ? (pl->tab.mask + 1) * 4 : 0);
        for (size_t i = 0; i < pl->n; i++) b += pl->sets[i].n * 8 + pl->sets[i].cap_keys * 12;
    }
    for (size_t i = 0; i < ix->n_post; i++) b += ix->post[i].cap * 4;
    b += ix->cap_post * (sizeof(mem_posting) + 8);
    for (size_t i = 0; i < ix->n_part; i++) b += ix->part[i].cap * (4 + sizeof(mem_fp_t));
    b += ix->cap_part * sizeof(mem_posting) + (ix->pslot ? (ix->pmask + 1) * sizeof(mem_pslot) : 0);
    return b;
}
