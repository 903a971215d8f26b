/*
 * actions.c -- valid actions: the commands that change the world at a
 * state, one readable command per distinct outcome.
 *
 * 1. Candidates come from the game's grammar (grammar.c): every verb line
 *    filled with the nouns the player can refer to (state.c names them by
 *    their dictionary words): the location's contents at any depth, the
 *    inventory, and objects named by nouns in the last observation and in
 *    the room description.  Lines are deduplicated by (action, objects), so
 *    verb synonyms cost nothing.  Two-object lines need one held object (or
 *    the first inside the second), and honour the grammar's own filters
 *    (held, creature, attribute, Infocom "find" flags).
 * 2. Each candidate is run from the snapshot on a private machine with an
 *    instruction budget; the world region (object tree, attributes and
 *    property tables, globals) is compared with the state before it.
 * 3. Noise is calibrated per state: the bits that change after no-op turns
 *    (`wait`, `look`) -- move counters, visited flags, wandering NPCs,
 *    timers, parser scratch globals -- are masked out.
 * 4. Candidates are grouped by the hash of the masked world after them; the
 *    first (simplest) command of each group is kept.
 * 5. Results are memoised by a hash of the world (without the move counter)
 *    and of the observation nouns used, so a revisited state costs nothing.
 * Work is split over `threads` machines (one per thread); results are
 * merged in candidate order, so the answer does not depend on threading.
 * Parser scratch globals are learnt per game (classify): a global a
 * command changed that a following no-op puts back is not world state.
 * Setting JITRL_ENV_DEBUG in the environment prints the diffs (a debugging
 * aid; it changes nothing).
 */
#include "env_int.h"

#include "base/alloc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#define MAX_THREADS 4
#define MAX_SCOPE 64
#define MAX_TEXT_NOUNS 12
#define CAND_BUDGET 3000000ull
#define CAND_CAP_ONE 1500   /* candidates per state up to the one-noun lines */
#define CAND_CAP 2000       /* ... and in all */
#define MEMO_MAX 100000
#define JITRL_EAGAIN_LEARNED (-1)   /* env_actions_outcome: recompute and retry */

typedef struct noun {
    unsigned obj;        /* 0 = a bare word from the text */
    int held;
    char phrase[48];
    char full[64];       /* every dictionary word of the short name, for topics */
} noun;

typedef struct memo_ent {
    uint64_t key;
    uint8_t noise[32];
    char *blob;          /* n NUL-terminated strings */
    uint64_t *outs;
    size_t n;
} memo_ent;

struct env_actions {
    const env_grammar *g;
    const env_world *w;
    const env_facts *f;
    jitrl_zvm *vm[MAX_THREADS];
    int nthreads;
    uint64_t budget;
    uint32_t moves_addr, moves_len;
    size_t rlen;
    uint8_t *base, *mask;
    uint8_t *scratch[MAX_THREADS];
    /* candidates of the current call */
    jr_buf cand;              /* NUL-separated commands */
    size_t *cand_off;
    size_t ncand, cand_cap;
    size_t cap;               /* candidates allowed in the current pass */
    int *changed;
    uint64_t *outcome;
    /* sparse diffs of each candidate against the base, in per-thread pools */
    struct dpool { uint32_t *idx; uint8_t *val; size_t n, cap; } pool[MAX_THREADS];
    uint8_t *dthr, *dquit, *dturn;
    unsigned base_moves;
    size_t *doff;
    uint32_t *dn;
    /* globals that most candidates change (parser scratch), per state */
    uint8_t noise[32];
    /* globals the parser overwrites on every command, learned per game */
    uint8_t scratch_g[32], real_g[32];
    uint8_t *after_wait, *after_x;
    int have_wait, have_x;
    /* memo */
    memo_ent *memo;
    size_t memo_cap, memo_n;
    /* current answer (borrowed by the caller) */
    const char **acts;
    size_t acts_cap;
    /* noise mask cache */
    uint64_t mask_key;
    int mask_valid;
    char look_text[2048];
};

/* ---- the world region ---- */

static void region_copy(const env_actions *a, const jitrl_zvm *vm, uint8_t *out)
{
    size_t len = 0;
    const uint8_t *m = jitrl_zvm_memory(vm, &len);
    const env_world *w = a->w;
    size_t k = 0;
    for (uint32_t i = w->glob_lo; i < w->glob_hi; i++) out[k++] = i < len ? m[i] : 0;
    for (uint32_t i = w->obj_lo; i < w->obj_hi; i++) out[k++] = i < len ? m[i] : 0;
    for (uint32_t i = w->obj2_lo; i < w->obj2_hi; i++) out[k++] = i < len ? m[i] : 0;
}

/* Index of memory address addr in the region, or -1. */
static long region_index(const env_actions *a, uint32_t addr)
{
    const env_world *w = a->w;
    size_t gl = w->glob_hi - w->glob_lo, o1 = w->obj_hi - w->obj_lo;
    if (addr >= w->glob_lo && addr < w->glob_hi) return (long)(addr - w->glob_lo);
    if (addr >= w->obj_lo && addr < w->obj_hi) return (long)(gl + addr - w->obj_lo);
    if (addr >= w->obj2_lo && addr < w->obj2_hi) return (long)(gl + o1 + addr - w->obj2_lo);
    return -1;
}

static int is_word_char(int c) { return isalpha(c) || c == '-'; }

/* The next word of text p, lower-cased into word (length in *k); returns
 * where to go on. */
static const char *next_word(const char *p, char *word, size_t cap, size_t *k)
{
    while (*p && !is_word_char((unsigned char)*p)) p++;
    *k = 0;
    while (*p && is_word_char((unsigned char)*p)) {
        if (*k < cap - 1) word[(*k)++] = (char)tolower((unsigned char)*p);
        p++;
    }
    word[*k] = 0;
    return p;
}

/* ---- running one command ---- */

/* Restore, feed, run.  Returns 1 if the command ran to the next prompt (or
 * ended the game), 0 if it faulted or ran out of budget. */
static int feed(jitrl_zvm *vm, const char *cmd, uint64_t budget, int *quit)
{
    *quit = 0;
    env_clear_output(vm);
    if (jitrl_zvm_input(vm, cmd)) return 0;
    jitrl_zvm_stop stop;
    for (int keys = 0; keys < 8; keys++) {
        if (jitrl_zvm_run(vm, budget, &stop)) return 0;
        if (stop == JITRL_ZVM_INPUT) return 1;
        if (stop == JITRL_ZVM_QUIT) { *quit = 1; return 1; }
        if (stop != JITRL_ZVM_CHAR || jitrl_zvm_input(vm, "")) return 0;
    }
    return 0;
}

static int run_cmd(jitrl_zvm *vm, const void *snap, size_t snaplen, const char *cmd, uint64_t budget,
                   int *quit)
{
    *quit = 0;
    if (jitrl_zvm_restore(vm, snap, snaplen)) return 0;
    return feed(vm, cmd, budget, quit);
}

#define MAX_DIFF 512

static unsigned read_moves(const env_actions *a, const jitrl_zvm *vm)
{
    if (a->moves_len == 1) return jitrl_zvm_read_byte(vm, a->moves_addr);
    return jitrl_zvm_read_word(vm, a->moves_addr);
}

/* Record where the machine's world differs from the base (outside the
 * calibrated mask) as (region index, new value) pairs in pool p. */
static int diff_world(const env_actions *a, const jitrl_zvm *vm, uint8_t *scratch, struct dpool *p, size_t *off,
                      uint32_t *n)
{
    region_copy(a, vm, scratch);
    *off = p->n;
    *n = 0;
    for (size_t i = 0; i < a->rlen; i++) {
        uint8_t v = scratch[i] & (uint8_t)~a->mask[i];
        if (v == (a->base[i] & (uint8_t)~a->mask[i])) continue;
        if (*n >= MAX_DIFF) break;
        if (p->n == p->cap) {
            size_t nc = p->cap ? p->cap * 2 : 4096;
            uint32_t *ni = jr_realloc(p->idx, nc * sizeof *ni);
            if (!ni) return JITRL_ENOMEM;
            p->idx = ni;
            uint8_t *nv = jr_realloc(p->val, nc);
            if (!nv) return JITRL_ENOMEM;
            p->val = nv;
            p->cap = nc;
        }
        p->idx[p->n] = (uint32_t)i;
        p->val[p->n++] = v;
        (*n)++;
    }
    return JITRL_OK;
}

/* The region starts with the globals (GLEN bytes), then the objects. */
#define GLEN(a) ((size_t)((a)->w->glob_hi - (a)->w->glob_lo))

static int is_noise(const env_actions *a, uint32_t i)
{
    if (i >= GLEN(a)) return 0;
    size_t g = i / 2;
    return g < 256 && (a->noise[g / 8] >> (g % 8) & 1);
}

/* Judge a recorded diff: did the world change (beyond noise), and the hash
 * identifying the outcome. */
/* Does the command `cmd` name object v by one of its words, or is v the
 * dictionary address of one of its words (the parser's topic word)? */
static int names_obj(const env_actions *a, const char *cmd, unsigned v)
{
    if (!v) return 0;
    const char *p = cmd;
    while (*p) {
        char word[32];
        size_t k;
        p = next_word(p, word, sizeof word, &k);
        if (!k) continue;
        uint32_t da = jitrl_zvm_dict_lookup(a->vm[0], word);
        if (da && da == v) return 1;
        if (v <= a->w->nobj && env_obj_has_word(a->vm[0], a->w, v, da)) return 1;
    }
    return 0;
}

static void judge(const env_actions *a, const struct dpool *p, size_t off, uint32_t n, int quit, int turn,
                  const char *cmd, int *changed, uint64_t *outcome)
{
    uint64_t h = 0;
    int ch = quit;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = p->idx[off + k];
        if (is_noise(a, i)) continue;
        /* a command that took no turn (a parser refusal, a meta verb) only
         * leaves scratch behind in the globals */
        if (i < GLEN(a) && !turn) continue;
        /* a global now naming an object of the command is a pronoun ("it",
         * "him") or the parser's noun, not world state */
        if (i < GLEN(a)) {
            uint32_t g0 = i & ~1u;
            unsigned hi = a->base[g0], lo = a->base[g0 + 1];
            for (uint32_t q = 0; q < n; q++) {
                if (p->idx[off + q] == g0) hi = p->val[off + q];
                if (p->idx[off + q] == g0 + 1) lo = p->val[off + q];
            }
            unsigned v = hi << 8 | lo;
            if (names_obj(a, cmd, v)) continue;
        }
        ch = 1;
        uint8_t rec[5] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, p->val[off + k]};
        h = XXH3_64bits_withSeed(rec, sizeof rec, h);
        if (getenv("JITRL_ENV_DEBUG")) fprintf(stderr, "  diff at region %u: -> %02x\n", i, p->val[off + k]);
    }
    *changed = ch;
    *outcome = ch ? (h ^ (quit ? 0x9e3779b97f4a7c15ull : 0)) | 1 : 0;
}

/* Globals changed by at least a quarter of the candidates that changed
 * anything (and by 8 or more) are parser scratch, not world state. */
static void find_noise(env_actions *a)
{
    memset(a->noise, 0, sizeof a->noise);
    size_t nany = 0;
    unsigned cnt[256] = {0};
    for (size_t c = 0; c < a->ncand; c++) {
        if (!a->dn[c]) continue;
        nany++;
        const struct dpool *p = &a->pool[a->dthr[c]];
        int last = -1;
        for (uint32_t k = 0; k < a->dn[c]; k++) {
            uint32_t i = p->idx[a->doff[c] + k];
            if (i >= GLEN(a)) continue;
            int g = (int)(i / 2);
            if (g != last && g < 256) cnt[g]++;
            last = g;
        }
    }
    for (int g = 0; g < 256; g++)
        if (cnt[g] >= 8 && cnt[g] * 4 >= nany) a->noise[g / 8] |= (uint8_t)(1u << (g % 8));
    for (int k = 0; k < 32; k++) a->noise[k] |= a->scratch_g[k];
    if (getenv("JITRL_ENV_DEBUG"))
        for (int g = 0; g < 256; g++)
            if (cnt[g]) fprintf(stderr, "global %d changed by %u of %zu%s\n", g, cnt[g], nany,
                                a->noise[g / 8] >> (g % 8) & 1 ? " (noise)" : "");
}

/* ---- noise calibration ---- */

static void calibrate(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen)
{
    memset(a->mask, 0, a->rlen);
    /* the move counter never counts as a change */
    if (a->moves_len) {
        for (uint32_t k = 0; k < a->moves_len; k++) {
            long i = region_index(a, a->moves_addr + k);
            if (i >= 0) a->mask[i] = 0xff;
        }
    }
    static const char *const noops[] = {"wait", "look", "examine me"};
    a->look_text[0] = 0;
    a->have_wait = a->have_x = 0;
    for (size_t c = 0; c < sizeof noops / sizeof noops[0]; c++) {
        int quit;
        if (!run_cmd(vm, snap, snaplen, noops[c], a->budget, &quit) || quit) continue;
        if (c == 1) {
            size_t n;
            const char *t = jitrl_zvm_output(vm, &n);
            snprintf(a->look_text, sizeof a->look_text, "%s", t);
        }
        region_copy(a, vm, a->scratch[0]);
        if (c == 0) {
            memcpy(a->after_wait, a->scratch[0], a->rlen);
            a->have_wait = 1;
        }
        if (c == 2) {
            memcpy(a->after_x, a->scratch[0], a->rlen);
            a->have_x = 1;
        }
        for (size_t i = 0; i < a->rlen; i++) {
            uint8_t d = a->scratch[0][i] ^ a->base[i];
            if (!d) continue;
            if (i >= GLEN(a)) a->mask[i] |= d;
            else {
                /* globals are words: mask both bytes */
                size_t g0 = i & ~(size_t)1;
                a->mask[g0] = 0xff;
                a->mask[g0 + 1] = 0xff;
            }
        }
    }
}

/* ---- candidates ---- */

static int add_cand(env_actions *a, const char *s)
{
    /* the budget: verbs come most common first, so the rare ones go */
    if (a->ncand >= a->cap) return JITRL_OK;
    /* exact duplicates are common (two lines printing the same words) */
    for (size_t i = a->ncand; i-- > 0 && i + 64 > a->ncand;)
        if (!strcmp(a->cand.data + a->cand_off[i], s)) return JITRL_OK;
    if (a->ncand == a->cand_cap) {
        size_t nc = a->cand_cap ? a->cand_cap * 2 : 1024;
        size_t *p = jr_realloc(a->cand_off, nc * sizeof *p);
        if (!p) return JITRL_ENOMEM;
        a->cand_off = p;
        a->cand_cap = nc;
    }
    a->cand_off[a->ncand] = a->cand.len;
    int rc = jr_buf_append(&a->cand, s, strlen(s) + 1);
    if (rc) return rc;
    a->ncand++;
    return JITRL_OK;
}

/* A small set of (action, obj1, obj2) keys already generated. */
typedef struct keyset {
    uint64_t *k;
    size_t cap, n;
} keyset;

static int keyset_add(keyset *s, uint64_t key)
{
    key |= 1;
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4096;
        uint64_t *nk = jr_calloc(nc, sizeof *nk);
        if (!nk) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->k[i]) {
                size_t j = s->k[i] & (nc - 1);
                while (nk[j]) j = (j + 1) & (nc - 1);
                nk[j] = s->k[i];
            }
        jr_free(s->k);
        s->k = nk;
        s->cap = nc;
    }
    size_t j = key & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == key) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->k[j] = key;
    s->n++;
    return 1;
}

static uint64_t line_key(unsigned action, unsigned o1, unsigned o2, unsigned salt)
{
    uint64_t k = (uint64_t)action << 40 | (uint64_t)(o1 & 0xfffff) << 20 | (o2 & 0xfffff);
    return XXH3_64bits_withSeed(&k, sizeof k, salt);
}

/* Can noun n fill token t?  `single`: a one-noun line, where Inform's
 * parser takes a "held" object implicitly ("wear mask" picks it up first),
 * so anything in reach will do. */
static int obj_ok(const jitrl_zvm *vm, const env_grammar *g, const gr_tok *t, const noun *n, int single)
{
    int inform = g->kind == GR_INFORM_GV1 || g->kind == GR_INFORM_GV2;
    if ((t->flags & GF_HELD) && !n->held && !(single && inform && n->obj)) return 0;
    if (!n->obj) return !(t->flags & (GF_ATTR | GF_CREATURE | GF_HELD));
    if ((t->flags & GF_ATTR) && !jitrl_zvm_attr(vm, n->obj, t->attr)) return 0;
    if ((t->flags & GF_CREATURE) && inform && !jitrl_zvm_attr(vm, n->obj, 0)) return 0;
    return 1;
}

/* Write "verb tok1 tok2 ..." with nouns substituted. */
static int render(const jitrl_zvm *vm, const char *verb, const gr_line *l, const char *n1, const char *n2,
                  char *out, size_t cap)
{
    size_t off = (size_t)snprintf(out, cap, "%s", verb);
    int which = 0;
    for (unsigned i = 0; i < l->ntok && off < cap; i++) {
        const gr_tok *t = &l->tok[i];
        char w[48];
        const char *s = w;
        if (t->kind == GT_PREP) jitrl_zvm_decode_text(vm, t->word, w, sizeof w);
        else s = which++ == 0 ? n1 : n2;
        if (!s || !s[0]) return 0;
        off += (size_t)snprintf(out + off, cap - off, " %s", s);
    }
    return off < cap;
}


/* The short name's dictionary words ("rare books"), else the phrase: a
 * topic is matched by the words typed, so the whole name reads as players
 * type it. */
static void full_name(const jitrl_zvm *vm, unsigned obj, const char *phrase, char *out, size_t cap)
{
    char name[128];
    jitrl_zvm_object_name(vm, obj, name, sizeof name);
    size_t off = 0;
    const char *p = name;
    out[0] = 0;
    while (*p) {
        char word[32];
        size_t k;
        p = next_word(p, word, sizeof word, &k);
        if (!k || !jitrl_zvm_dict_lookup(vm, word)) continue;
        if (!strcmp(word, "the") || !strcmp(word, "a") || !strcmp(word, "an") || !strcmp(word, "of")) continue;
        int n = snprintf(out + off, cap - off, "%s%s", off ? " " : "", word);
        if (n < 0 || (size_t)n >= cap - off) break;
        off += (size_t)n;
    }
    if (!off) snprintf(out, cap, "%s", phrase);
}

/* Collect the nouns the player can refer to. */
static size_t collect_nouns(env_actions *a, const jitrl_zvm *vm, const char *obs, noun *out, size_t max,
                            uint64_t *text_key)
{
    const env_world *w = a->w;
    unsigned loc = env_location(vm, w);
    unsigned player = w->player;
    if (player && !env_inside(vm, player, loc, w->nobj) && jitrl_zvm_parent(vm, player) != loc) player = 0;
    unsigned objs[MAX_SCOPE];
    size_t nobjs = 0;
    /* breadth-first over the location's subtree: nearer objects first */
    unsigned queue[512];
    size_t qh = 0, qt = 0;
    if (loc) queue[qt++] = loc;
    if (player && !env_inside(vm, player, loc, w->nobj)) queue[qt++] = player;
    while (qh < qt && nobjs < MAX_SCOPE) {
        unsigned p = queue[qh++];
        unsigned guard = 0;
        for (unsigned o = jitrl_zvm_child(vm, p); o && guard <= w->nobj; o = jitrl_zvm_sibling(vm, o), guard++) {
            if (qt < 512) queue[qt++] = o;
            if (o != player && nobjs < MAX_SCOPE) objs[nobjs++] = o;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < nobjs && n < max; i++) {
        noun *nn = &out[n];
        nn->obj = objs[i];
        nn->held = player && env_inside(vm, objs[i], player, w->nobj);
        if (!env_obj_phrase(vm, a->g, w, objs[i], objs, nobjs, nn->phrase, sizeof nn->phrase)) continue;
        full_name(vm, objs[i], nn->phrase, nn->full, sizeof nn->full);
        int dup = 0;
        for (size_t k = 0; k < n && !dup; k++) dup = !strcmp(out[k].phrase, nn->phrase);
        if (!dup) n++;
    }
    /* nouns of the observation and the room description naming objects we
     * have not got (local globals, things out of the tree) */
    *text_key = 0;
    size_t ntext = 0;
    const char *texts[2] = {obs, a->look_text};
    for (int ti = 0; ti < 2; ti++) {
        const char *p = texts[ti];
        while (p && *p && ntext < MAX_TEXT_NOUNS && n < max) {
            char word[32];
            size_t k;
            p = next_word(p, word, sizeof word, &k);
            if (k < 3) continue;
            uint32_t da = jitrl_zvm_dict_lookup(vm, word);
            if (!da) continue;
            int known = 0;
            for (size_t j = 0; j < n && !known; j++)
                known = !strcmp(out[j].phrase, word) || (out[j].obj && env_obj_has_word(vm, w, out[j].obj, da));
            if (known) continue;
            unsigned owner = 0;
            for (unsigned o = 1; o <= w->nobj && !owner; o++)
                if (env_obj_has_word(vm, w, o, da)) owner = o;
            if (!owner) continue;
            noun *nn = &out[n++];
            nn->obj = 0;
            nn->held = 0;
            snprintf(nn->phrase, sizeof nn->phrase, "%s", word);
            snprintf(nn->full, sizeof nn->full, "%s", word);
            *text_key = XXH3_64bits_withSeed(word, k, *text_key);
            ntext++;
        }
    }
    return n;
}

static const char *const directions[] = {"north", "south", "east", "west", "northeast", "northwest",
                                         "southeast", "southwest", "up", "down", "in", "out", NULL};

static int generate(env_actions *a, const jitrl_zvm *vm, const noun *nouns, size_t nn)
{
    const env_grammar *g = a->g;
    int rc = JITRL_OK;
    keyset ks = {0};
    char buf[160], verb[48];
    a->ncand = 0;
    a->cap = CAND_CAP_ONE;
    jr_buf_reset(&a->cand);
    for (int i = 0; directions[i]; i++)
        if (jitrl_zvm_dict_lookup(vm, directions[i]) && (rc = add_cand(a, directions[i]))) goto out;
    size_t pass_start[4] = {0};
    for (int pass = 0; pass < 3; pass++) {
        pass_start[pass] = a->ncand;
        a->cap = pass < 2 ? CAND_CAP_ONE : CAND_CAP;
        for (size_t oi = 0; oi < g->nverbs; oi++) {
            const gr_verb *v = &g->verbs[g->order[oi]];
            if (v->meta == 2 || !v->word) continue;
            jitrl_zvm_decode_text(vm, v->word, verb, sizeof verb);
            for (size_t li = v->first; li < v->first + v->n; li++) {
                const gr_line *l = &g->lines[li];
                int objs = 0, topics = 0, other = 0;
                const gr_tok *ot[2] = {NULL, NULL};
                for (unsigned t = 0; t < l->ntok; t++) {
                    if (l->tok[t].kind == GT_OBJ || l->tok[t].kind == GT_TOPIC) {
                        if (objs < 2) ot[objs] = &l->tok[t];
                        objs++;
                        if (l->tok[t].kind == GT_TOPIC) topics++;
                    } else if (l->tok[t].kind != GT_PREP) other = 1;
                }
                if (other || objs != pass) continue;
                if (objs == 0) {
                    if (v->meta) continue;
                    if (keyset_add(&ks, line_key(l->action, 0, 0, 1)) <= 0) continue;
                    if (render(vm, verb, l, NULL, NULL, buf, sizeof buf) && (rc = add_cand(a, buf))) goto out;
                } else if (objs == 1) {
                    if (ot[0]->flags & GF_MULTI && keyset_add(&ks, line_key(l->action, 0xfffff, 0, 2)) > 0 &&
                        render(vm, verb, l, "all", NULL, buf, sizeof buf) && (rc = add_cand(a, buf)))
                        goto out;
                    for (size_t i = 0; i < nn; i++) {
                        if (ot[0]->kind == GT_OBJ && !obj_ok(vm, g, ot[0], &nouns[i], 1)) continue;
                        if (keyset_add(&ks, line_key(l->action, nouns[i].obj ? nouns[i].obj : 0x80000 + (unsigned)i,
                                                     0, 3)) <= 0)
                            continue;
                        if (render(vm, verb, l, nouns[i].phrase, NULL, buf, sizeof buf) &&
                            (rc = add_cand(a, buf)))
                            goto out;
                    }
                } else if (objs == 2) {
                    const gr_tok *t1 = ot[0], *t2 = ot[1];
                    if ((t1->flags & GF_INSIDE) || (t2->flags & GF_INSIDE)) {
                        /* "take X from Y": X inside Y, and "take all from Y" */
                        for (size_t j = 0; j < nn; j++) {
                            if (!nouns[j].obj || !jitrl_zvm_child(vm, nouns[j].obj)) continue;
                            if (keyset_add(&ks, line_key(l->action, 0xfffff, nouns[j].obj, 4)) > 0 &&
                                render(vm, verb, l, "all", nouns[j].phrase, buf, sizeof buf) &&
                                (rc = add_cand(a, buf)))
                                goto out;
                            for (size_t i = 0; i < nn; i++) {
                                if (!nouns[i].obj || jitrl_zvm_parent(vm, nouns[i].obj) != nouns[j].obj) continue;
                                if (keyset_add(&ks, line_key(l->action, nouns[i].obj, nouns[j].obj, 5)) <= 0) continue;
                                if (render(vm, verb, l, nouns[i].phrase, nouns[j].phrase, buf, sizeof buf) &&
                                    (rc = add_cand(a, buf)))
                                    goto out;
                            }
                        }
                        continue;
                    }
                    if ((t1->flags & GF_MULTI) && t2->kind == GT_OBJ)
                        for (size_t j = 0; j < nn; j++) {
                            if (nouns[j].held || !obj_ok(vm, g, t2, &nouns[j], 0)) continue;
                            if (keyset_add(&ks, line_key(l->action, 0xfffff, nouns[j].obj ? nouns[j].obj : 0x80000 + (unsigned)j, 7)) <= 0)
                                continue;
                            if (render(vm, verb, l, "all", nouns[j].phrase, buf, sizeof buf) &&
                                (rc = add_cand(a, buf)))
                                goto out;
                        }
                    for (size_t i = 0; i < nn; i++) {
                        if (t1->kind == GT_OBJ && !obj_ok(vm, g, t1, &nouns[i], 0)) continue;
                        if (topics == 2) break;
                        for (size_t j = 0; j < nn; j++) {
                            if (i == j) continue;
                            if (t2->kind == GT_OBJ && !obj_ok(vm, g, t2, &nouns[j], 0)) continue;
                            /* the thing used is in hand: the slot the grammar says
                             * is held, else the first ("put X in Y", "give X
                             * to Y"); topics excepted */
                            if (!topics && !(t1->flags & GF_HELD) && !(t2->flags & GF_HELD) && !nouns[i].held &&
                                nouns[i].obj)
                                continue;
                            if (topics && t1->kind == GT_TOPIC && !nouns[j].obj) continue;
                            if ((t1->flags & GF_FIND) && nouns[i].obj && !jitrl_zvm_attr(vm, nouns[i].obj, t1->attr) &&
                                !(t2->flags & GF_FIND))
                                continue;
                            if ((t2->flags & GF_FIND) && nouns[j].obj && !jitrl_zvm_attr(vm, nouns[j].obj, t2->attr))
                                continue;
                            unsigned k1 = nouns[i].obj ? nouns[i].obj : 0x80000 + (unsigned)i;
                            unsigned k2 = nouns[j].obj ? nouns[j].obj : 0x80000 + (unsigned)j;
                            if (keyset_add(&ks, line_key(l->action, k1, k2, 6)) <= 0) continue;
                            if (render(vm, verb, l, t1->kind == GT_TOPIC ? nouns[i].full : nouns[i].phrase,
                                       t2->kind == GT_TOPIC ? nouns[j].full : nouns[j].phrase, buf, sizeof buf) &&
                                (rc = add_cand(a, buf)))
                                goto out;
                        }
                    }
                }
            }
        }
    }
    if (getenv("JITRL_ENV_DEBUG"))
        fprintf(stderr, "candidates: %zu dirs, %zu bare, %zu one-noun, %zu two-noun (%zu nouns)\n", pass_start[0],
                pass_start[1] - pass_start[0], pass_start[2] - pass_start[1], a->ncand - pass_start[2], nn);
out:
    jr_free(ks.k);
    return rc;
}

/* Keep the nouns the parser resolves here: "examine X" must take a turn or
 * change something (a parser refusal does neither).  Held things are kept
 * unasked: they can be handled in the dark. */
static size_t check_nouns(env_actions *a, const void *snap, size_t snaplen, noun *nouns, size_t nn)
{
    const char *x = jitrl_zvm_dict_lookup(a->vm[0], "examine") ? "examine" : "x";
    size_t k = 0;
    for (size_t i = 0; i < nn; i++) {
        int keep = nouns[i].held;
        if (!keep) {
            char cmd[80];
            int quit;
            snprintf(cmd, sizeof cmd, "%s %s", x, nouns[i].phrase);
            if (run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit)) {
                struct dpool p = {0};
                size_t off;
                uint32_t n;
                keep = quit || read_moves(a, a->vm[0]) != a->base_moves;
                if (!keep && !diff_world(a, a->vm[0], a->scratch[0], &p, &off, &n))
                    for (uint32_t q = 0; q < n && !keep; q++) keep = p.idx[off + q] >= GLEN(a);
                jr_free(p.idx);
                jr_free(p.val);
            }
        }
        if (keep) nouns[k++] = nouns[i];
    }
    return k;
}

/* ---- evaluation, threaded ---- */

typedef struct job {
    env_actions *a;
    int t;
    const void *snap;
    size_t snaplen;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    env_actions *a = j->a;
    for (size_t i = (size_t)j->t; i < a->ncand; i += (size_t)a->nthreads) {
        int quit;
        a->dthr[i] = (uint8_t)j->t;
        a->dn[i] = 0;
        a->dquit[i] = 0;
        if (!run_cmd(a->vm[j->t], j->snap, j->snaplen, a->cand.data + a->cand_off[i], CAND_BUDGET, &quit))
            continue;
        a->dquit[i] = (uint8_t)quit;
        a->dturn[i] = (uint8_t)(read_moves(a, a->vm[j->t]) != a->base_moves);
        if (diff_world(a, a->vm[j->t], a->scratch[j->t], &a->pool[j->t], &a->doff[i], &a->dn[i])) a->dn[i] = 0;
    }
    return NULL;
}

/* Learn the parser's scratch globals: a global a command changed that a
 * following `wait` puts back to what `wait` alone leaves is overwritten by
 * every parse, so it is not world state; one that stays is (or is sticky
 * parser state such as a pronoun, see names_obj).  Parsers do not change,
 * so each global is classified once per game.  Returns 1 if a new scratch
 * global was found. */
static int classify(env_actions *a, const void *snap, size_t snaplen, const char *cmd, const struct dpool *p,
                    size_t off, uint32_t n)
{
    if (!a->have_wait) return 0;
    int fresh = 0, found = 0;
    for (uint32_t k = 0; k < n && !fresh; k++) {
        uint32_t i = p->idx[off + k], g = i / 2;
        fresh = i < GLEN(a) && !((a->scratch_g[g / 8] | a->real_g[g / 8]) >> (g % 8) & 1);
    }
    if (!fresh) return 0;
    /* the command then a no-op, against the no-op alone: "examine me"
     * overwrites the parser's noun state, "wait" its verb state */
    static const char *const resets[2] = {"examine me", "wait"};
    uint8_t reset[32] = {0};
    for (int r = 0; r < 2; r++) {
        const uint8_t *ref = r == 0 ? a->after_x : a->after_wait;
        if (r == 0 && !a->have_x) continue;
        int quit;
        if (!run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit) || quit) return found;
        if (!feed(a->vm[0], resets[r], CAND_BUDGET, &quit) || quit) continue;
        region_copy(a, a->vm[0], a->scratch[0]);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = p->idx[off + k], g = i / 2;
            if (i < GLEN(a) && a->scratch[0][2 * g] == ref[2 * g] && a->scratch[0][2 * g + 1] == ref[2 * g + 1])
                reset[g / 8] |= (uint8_t)(1u << (g % 8));
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = p->idx[off + k], g = i / 2;
        if (i >= GLEN(a) || ((a->scratch_g[g / 8] | a->real_g[g / 8]) >> (g % 8) & 1)) continue;
        if (reset[g / 8] >> (g % 8) & 1) {
            a->scratch_g[g / 8] |= (uint8_t)(1u << (g % 8));
            found = 1;
        } else {
            a->real_g[g / 8] |= (uint8_t)(1u << (g % 8));
        }
    }
    return found;
}

static void learn_scratch(env_actions *a, const void *snap, size_t snaplen)
{
    for (size_t c = 0; c < a->ncand; c++)
        if (a->dturn[c] && a->dn[c] && !a->dquit[c])
            classify(a, snap, snaplen, a->cand.data + a->cand_off[c], &a->pool[a->dthr[c]], a->doff[c], a->dn[c]);
}

/* Free the per-candidate result arrays. */
static void free_results(env_actions *a)
{
    jr_free(a->changed);
    jr_free(a->outcome);
    jr_free(a->dthr);
    jr_free(a->dquit);
    jr_free(a->dturn);
    jr_free(a->doff);
    jr_free(a->dn);
}

static int evaluate(env_actions *a, const void *snap, size_t snaplen)
{
    free_results(a);
    a->dturn = jr_calloc(a->ncand + 1, 1);
    a->changed = jr_calloc(a->ncand + 1, sizeof *a->changed);
    a->outcome = jr_calloc(a->ncand + 1, sizeof *a->outcome);
    a->dthr = jr_calloc(a->ncand + 1, 1);
    a->dquit = jr_calloc(a->ncand + 1, 1);
    a->doff = jr_calloc(a->ncand + 1, sizeof *a->doff);
    a->dn = jr_calloc(a->ncand + 1, sizeof *a->dn);
    if (!a->dturn || !a->changed || !a->outcome || !a->dthr || !a->dquit || !a->doff || !a->dn) return JITRL_ENOMEM;
    for (int t = 0; t < MAX_THREADS; t++) a->pool[t].n = 0;
    job jobs[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < a->nthreads; t++) {
        jobs[t].a = a;
        jobs[t].t = t;
        jobs[t].snap = snap;
        jobs[t].snaplen = snaplen;
    }
    for (int t = 1; t < a->nthreads; t++) started[t] = pthread_create(&th[t], NULL, worker, &jobs[t]) == 0;
    worker(&jobs[0]);
    for (int t = 1; t < a->nthreads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else {
            /* no thread: do its share here */
            for (size_t i = (size_t)t; i < a->ncand; i += (size_t)a->nthreads) {
                int quit;
                a->dthr[i] = 0;
                if (!run_cmd(a->vm[0], snap, snaplen, a->cand.data + a->cand_off[i], CAND_BUDGET, &quit)) continue;
                a->dquit[i] = (uint8_t)quit;
                a->dturn[i] = (uint8_t)(read_moves(a, a->vm[0]) != a->base_moves);
                if (diff_world(a, a->vm[0], a->scratch[0], &a->pool[0], &a->doff[i], &a->dn[i])) a->dn[i] = 0;
            }
        }
    }
    learn_scratch(a, snap, snaplen);
    find_noise(a);
    for (size_t i = 0; i < a->ncand; i++)
        judge(a, &a->pool[a->dthr[i]], a->doff[i], a->dn[i], a->dquit[i], a->dturn[i], a->cand.data + a->cand_off[i],
              &a->changed[i], &a->outcome[i]);
    return JITRL_OK;
}

/* ---- memo ---- */

static memo_ent *memo_find(env_actions *a, uint64_t key)
{
    if (!a->memo_cap) return NULL;
    size_t j = key & (a->memo_cap - 1);
    while (a->memo[j].blob) {
        if (a->memo[j].key == key) return &a->memo[j];
        j = (j + 1) & (a->memo_cap - 1);
    }
    return NULL;
}

static void memo_clear(env_actions *a)
{
    for (size_t i = 0; i < a->memo_cap; i++) {
        jr_free(a->memo[i].blob);
        jr_free(a->memo[i].outs);
    }
    memset(a->memo, 0, a->memo_cap * sizeof *a->memo);
    a->memo_n = 0;
}

static memo_ent *memo_insert(env_actions *a, uint64_t key)
{
    if (a->memo_n >= MEMO_MAX) memo_clear(a);
    if ((a->memo_n + 1) * 2 > a->memo_cap) {
        size_t nc = a->memo_cap ? a->memo_cap * 2 : 1024;
        memo_ent *nm = jr_calloc(nc, sizeof *nm);
        if (!nm) return NULL;
        for (size_t i = 0; i < a->memo_cap; i++)
            if (a->memo[i].blob) {
                size_t j = a->memo[i].key & (nc - 1);
                while (nm[j].blob) j = (j + 1) & (nc - 1);
                nm[j] = a->memo[i];
            }
        jr_free(a->memo);
        a->memo = nm;
        a->memo_cap = nc;
    }
    size_t j = key & (a->memo_cap - 1);
    while (a->memo[j].blob) j = (j + 1) & (a->memo_cap - 1);
    a->memo[j].key = key;
    a->memo_n++;
    return &a->memo[j];
}

/* ---- public to the env ---- */

int env_actions_create(const uint8_t *story, size_t len, const jitrl_zvm_options *zopt, const env_grammar *g,
                       const env_world *w, const env_facts *f, int threads, uint64_t budget, env_actions **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    env_actions *a = jr_calloc(1, sizeof *a);
    if (!a) return JITRL_ENOMEM;
    a->g = g;
    a->w = w;
    a->f = f;
    a->budget = budget < CAND_BUDGET ? budget : CAND_BUDGET;
    a->nthreads = threads <= 0 ? 2 : threads > MAX_THREADS ? MAX_THREADS : threads;
    jr_buf_init(&a->cand, 16u << 20);
    int rc = JITRL_OK;
    for (int t = 0; t < a->nthreads; t++) {
        rc = jitrl_zvm_open_buffer(story, len, zopt, &a->vm[t], err, errlen);
        if (rc) goto fail;
    }
    a->rlen = (w->glob_hi - w->glob_lo) + (w->obj_hi - w->obj_lo) + (w->obj2_hi - w->obj2_lo);
    a->base = jr_malloc(a->rlen + 1);
    a->mask = jr_malloc(a->rlen + 1);
    a->after_wait = jr_malloc(a->rlen + 1);
    a->after_x = jr_malloc(a->rlen + 1);
    rc = JITRL_ENOMEM;
    if (!a->base || !a->mask || !a->after_wait || !a->after_x) goto fail;
    for (int t = 0; t < a->nthreads; t++)
        if (!(a->scratch[t] = jr_malloc(a->rlen + 1))) goto fail;
    if (f->known && f->moves.kind) {
        a->moves_addr = f->moves.addr;
        a->moves_len = f->moves.kind == 1 ? 1 : 2;
    } else {
        a->moves_addr = w->glob_lo + 4;
        a->moves_len = 2;
    }
    *out = a;
    return JITRL_OK;
fail:
    if (err && errlen && rc == JITRL_ENOMEM) snprintf(err, errlen, "out of memory");
    env_actions_free(a);
    return rc;
}

void env_actions_free(env_actions *a)
{
    if (!a) return;
    for (int t = 0; t < MAX_THREADS; t++) {
        jitrl_zvm_close(a->vm[t]);
        jr_free(a->scratch[t]);
    }
    memo_clear(a);
    jr_free(a->memo);
    jr_free(a->base);
    jr_free(a->mask);
    jr_free(a->after_wait);
    jr_free(a->after_x);
    jr_buf_free(&a->cand);
    jr_free(a->cand_off);
    free_results(a);
    for (int t = 0; t < MAX_THREADS; t++) {
        jr_free(a->pool[t].idx);
        jr_free(a->pool[t].val);
    }
    jr_free(a->acts);
    jr_free(a);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Key of a state: the whole world region, move counter included: the
 * noise calibration and the outcome hashes depend on the turn (timers,
 * daemons), so two states are the same only if everything is. */
static uint64_t state_key(env_actions *a, const jitrl_zvm *vm)
{
    region_copy(a, vm, a->scratch[0]);
    return XXH3_64bits(a->scratch[0], a->rlen);
}

/* Hash of the dictionary words in the observation: the candidates depend
 * on them, so the memo key must too. */
static uint64_t obs_key(const jitrl_zvm *vm, const char *obs)
{
    uint64_t h = 0x51ed27;
    const char *p = obs;
    while (p && *p) {
        char word[32];
        size_t k;
        p = next_word(p, word, sizeof word, &k);
        if (k >= 3 && jitrl_zvm_dict_lookup(vm, word)) h = XXH3_64bits_withSeed(word, k, h);
    }
    return h * 0x9e3779b97f4a7c15ull;
}

/* Prepare base, mask and the nouns for the state in `vm`. */
static int prepare(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, uint64_t skey)
{
    region_copy(a, vm, a->base);
    a->base_moves = read_moves(a, vm);
    if (!a->mask_valid || a->mask_key != skey) {
        calibrate(a, a->vm[0], snap, snaplen);
        a->mask_key = skey;
        a->mask_valid = 1;
    }
    return JITRL_OK;
}

static int set_answer(env_actions *a, memo_ent *m, const char *const **acts, const uint64_t **outs, size_t *n)
{
    if (a->acts_cap < m->n + 1) {
        const char **p = jr_realloc(a->acts, (m->n + 1) * sizeof *p);
        if (!p) return JITRL_ENOMEM;
        a->acts = p;
        a->acts_cap = m->n + 1;
    }
    const char *s = m->blob;
    for (size_t i = 0; i < m->n; i++) {
        a->acts[i] = s;
        s += strlen(s) + 1;
    }
    a->acts[m->n] = NULL;
    *acts = a->acts;
    *outs = m->outs;
    *n = m->n;
    return JITRL_OK;
}

static int cmp_idx(const void *x, const void *y, void *ctx)
{
    const env_actions *a = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    return strcmp(a->cand.data + a->cand_off[i], a->cand.data + a->cand_off[j]);
}

int env_actions_get(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                    const char *const **acts, const uint64_t **outcomes, size_t *n, jitrl_env_action_stats *st,
                    char *err, size_t errlen)
{
    double t0 = now_ms();
    memset(st, 0, sizeof *st);
    uint64_t key = state_key(a, vm) ^ obs_key(vm, obs);
    memo_ent *m = memo_find(a, key);
    if (m) {
        memcpy(a->noise, m->noise, sizeof a->noise);
        st->cached = 1;
        st->groups = m->n;
        int rc = set_answer(a, m, acts, outcomes, n);
        st->ms = now_ms() - t0;
        return rc;
    }
    noun *nouns = jr_malloc((MAX_SCOPE + MAX_TEXT_NOUNS) * sizeof *nouns);
    if (!nouns) return JITRL_ENOMEM;
    int rc = prepare(a, vm, snap, snaplen, key);
    uint64_t tkey = 0;
    size_t nn = collect_nouns(a, vm, obs, nouns, MAX_SCOPE + MAX_TEXT_NOUNS, &tkey);
    if (!rc) nn = check_nouns(a, snap, snaplen, nouns, nn);
    if (!rc) rc = generate(a, vm, nouns, nn);
    jr_free(nouns);
    if (!rc) rc = evaluate(a, snap, snaplen);
    if (rc) {
        snprintf(err, errlen, "valid actions: %s", jitrl_strerror(rc));
        return rc;
    }
    /* group by outcome, first candidate wins */
    size_t *keep = jr_malloc((a->ncand + 1) * sizeof *keep);
    if (!keep) return JITRL_ENOMEM;
    size_t nk = 0;
    keyset seen = {0};
    for (size_t i = 0; i < a->ncand; i++) {
        if (!a->changed[i]) continue;
        int r = keyset_add(&seen, a->outcome[i]);
        if (r < 0) { jr_free(keep); jr_free(seen.k); return JITRL_ENOMEM; }
        if (r) keep[nk++] = i;
    }
    jr_free(seen.k);
    qsort_r(keep, nk, sizeof *keep, cmp_idx, a);
    size_t bytes = 1;
    for (size_t i = 0; i < nk; i++) bytes += strlen(a->cand.data + a->cand_off[keep[i]]) + 1;
    m = memo_insert(a, key);
    if (!m) { jr_free(keep); return JITRL_ENOMEM; }
    m->blob = jr_malloc(bytes);
    m->outs = jr_malloc((nk + 1) * sizeof *m->outs);
    if (!m->blob || !m->outs) {
        /* leave a valid empty entry behind */
        jr_free(m->outs);
        m->outs = NULL;
        if (!m->blob) m->blob = jr_strdup("");
        m->n = 0;
        jr_free(keep);
        return JITRL_ENOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < nk; i++) {
        const char *s = a->cand.data + a->cand_off[keep[i]];
        size_t l = strlen(s) + 1;
        memcpy(m->blob + off, s, l);
        off += l;
        m->outs[i] = a->outcome[keep[i]];
    }
    m->blob[off] = 0;
    m->n = nk;
    memcpy(m->noise, a->noise, sizeof a->noise);
    jr_free(keep);
    st->candidates = a->ncand;
    st->groups = nk;
    rc = set_answer(a, m, acts, outcomes, n);
    st->ms = now_ms() - t0;
    return rc;
}

int env_actions_outcome(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen, const char *obs,
                        const char *cmd, int *changed, uint64_t *outcome)
{
    uint64_t skey = state_key(a, vm) ^ obs_key(vm, obs);
    prepare(a, vm, snap, snaplen, skey);
    int quit;
    *changed = 0;
    *outcome = 0;
    if (!run_cmd(a->vm[0], snap, snaplen, cmd, CAND_BUDGET, &quit)) return JITRL_OK;
    struct dpool p = {0};
    size_t off;
    uint32_t n;
    int rc = diff_world(a, a->vm[0], a->scratch[0], &p, &off, &n);
    int turn = read_moves(a, a->vm[0]) != a->base_moves;
    if (!rc && turn && classify(a, snap, snaplen, cmd, &p, off, n)) {
        /* a new scratch global: answers memoised so far counted it */
        memo_clear(a);
        rc = JITRL_EAGAIN_LEARNED;
    }
    if (!rc) judge(a, &p, off, n, quit, turn, cmd, changed, outcome);
    jr_free(p.idx);
    jr_free(p.val);
    if (rc) return rc;
    if (getenv("JITRL_ENV_DEBUG")) {
        size_t tl;
        fprintf(stderr, "[%s] quit=%d changed=%d: %s\n", cmd, quit, *changed, jitrl_zvm_output(a->vm[0], &tl));
    }
    return JITRL_OK;
}
