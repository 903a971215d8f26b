/*
 * candidates.c -- the candidate half of valid actions: the nouns the
 * player can refer to at a state and the commands the game's grammar
 * (grammar.c) makes of them.  actions.c runs each command and keeps one per
 * distinct outcome, so everything here trades recall against candidates:
 * a command missing here is a valid action lost; a useless one costs a run.
 *
 * Nouns: the location's contents at any depth (nearest first) and the
 * inventory, each named by its dictionary words (state.c); then words of
 * the last observation and the room description naming objects the tree
 * walk missed (local globals, scenery out of the tree).  A noun the parser
 * refuses ("examine X" does nothing) is dropped.  Numbers of the text and
 * of the names in scope make guessed phrases "NOUN NUMBER": a game's own
 * name parser may take a number as a name ("ticket 2306"); only a text
 * with numbers pays for them, and the parser keeps the right ones.
 * Commands: lines are deduplicated by (action, objects), so verb synonyms
 * cost nothing.  Two-object lines need one held object (or the first
 * inside the second), and honour the grammar's own filters (held,
 * creature, attribute, Infocom "find" flags).  Verbs come most common
 * first, and the list is capped, so rare verbs are the ones that go.
 */
#include "env/zgame/candidates.h"

#include "base/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define CAND_CAP_ONE 1500   /* candidates per state up to the one-noun lines */
#define CAND_CAP 2000       /* ... and in all */
#define MAX_SCOPE 64
#define MAX_TEXT_NOUNS 12
#define MAX_REMOTE 32
#define MAX_NUMBERS 5       /* numbers of the text tried as parts of names */
#define MAX_NUM_VARIANTS 16 /* "NOUN NUMBER" phrases asked of the parser per state */
#define MAX_TOPIC_WORDS 4   /* words of the text naming nothing, tried as topics */
/* attribute numbers the Inform 6 library declares (linklpa.h order) */
#define INFORM_SCENERY 17
#define INFORM_STATIC 19

void env_cands_init(env_cands *c)
{
    memset(c, 0, sizeof *c);
    jr_buf_init(&c->text, 16u << 20);
}

void env_cands_free(env_cands *c)
{
    jr_buf_free(&c->text);
    jr_free(c->off);
    c->off = NULL;
    c->n = c->alloc = 0;
}

static int is_word_char(int c) { return isalpha(c) || c == '-'; }

/* The next word of text p, lower-cased into word (length in *k); returns
 * where to go on. */
const char *env_next_word(const char *p, char *word, size_t cap, size_t *k)
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


static int add_cand(env_cands *a, const char *s)
{
    /* the budget: verbs come most common first, so the rare ones go */
    if (a->extra ? a->nextra >= ENV_EXTRA_CAP : a->n - a->nextra >= a->cap) {
        a->over++;
        return JITRL_OK;
    }
    /* exact duplicates are common (two lines printing the same words) */
    for (size_t i = a->n; i-- > 0 && i + 64 > a->n;)
        if (!strcmp(a->text.data + a->off[i], s)) return JITRL_OK;
    if (a->n == a->alloc) {
        size_t nc = a->alloc ? a->alloc * 2 : 1024;
        size_t *p = jr_realloc(a->off, nc * sizeof *p);
        if (!p) return JITRL_ENOMEM;
        a->off = p;
        a->alloc = nc;
    }
    a->off[a->n] = a->text.len;
    int rc = jr_buf_append(&a->text, s, strlen(s) + 1);
    if (rc) return rc;
    a->n++;
    a->nextra += a->extra != 0;
    return JITRL_OK;
}

int env_keyset_add(env_keyset *s, uint64_t key)
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
static int obj_ok(const jitrl_zvm *vm, const env_grammar *g, const gr_tok *t, const env_noun *n, int single)
{
    int inform = g->kind == GR_INFORM_GV1 || g->kind == GR_INFORM_GV2;
    if ((t->flags & GF_HELD) && !n->held && !(single && inform && n->obj)) return 0;
    /* the implicit take fails on what the Inform library calls scenery
     * (attribute 17) or static (19): "wear door" only says so */
    if ((t->flags & GF_HELD) && !n->held && inform && n->obj &&
        (jitrl_zvm_attr(vm, n->obj, INFORM_SCENERY) || jitrl_zvm_attr(vm, n->obj, INFORM_STATIC)))
        return 0;
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
        p = env_next_word(p, word, sizeof word, &k);
        if (!k || !jitrl_zvm_dict_lookup(vm, word)) continue;
        if (!strcmp(word, "the") || !strcmp(word, "a") || !strcmp(word, "an") || !strcmp(word, "of")) continue;
        int n = snprintf(out + off, cap - off, "%s%s", off ? " " : "", word);
        if (n < 0 || (size_t)n >= cap - off) break;
        off += (size_t)n;
    }
    if (!off) snprintf(out, cap, "%s", phrase);
}

/* Does obj's short name read "(identifier)"?  Inform gives that name to
 * objects declared without one: the game's abstractions (a memory, a
 * spell, a topic), never a room or a thing on show. */
static int internal_name(const jitrl_zvm *vm, unsigned obj)
{
    char name[64];
    jitrl_zvm_object_name(vm, obj, name, sizeof name);
    size_t k = strlen(name);
    return k >= 3 && name[0] == '(' && name[k - 1] == ')';
}

/* Add obj's Inform classes to cl[0..n) (unique); returns the new count.
 * Inform keeps an object's classes in property 2 as object numbers of
 * children of object 1 (Class); anything else there is not a class list. */
static size_t add_classes(const jitrl_zvm *vm, const env_world *w, unsigned obj, unsigned *cl, size_t n, size_t max)
{
    unsigned len = 0;
    uint32_t a = jitrl_zvm_prop_addr(vm, obj, 2, &len);
    for (unsigned i = 0; a && i + 1 < len && n < max; i += 2) {
        unsigned c = jitrl_zvm_read_word(vm, a + i);
        if (!c || c > w->nobj || jitrl_zvm_parent(vm, c) != 1) continue;
        int dup = 0;
        for (size_t k = 0; k < n && !dup; k++) dup = cl[k] == c;
        if (!dup) cl[n++] = c;
    }
    return n;
}

/* Nouns out of the tree that only the game's own scope routines reach
 * ("learn rezrov": the spells in the book, or in the memory): named
 * objects whose outermost holder has an internal name, or that are such
 * objects themselves.  Each is named by its first dictionary word no other
 * of them has, so it also reads as a verb ("rezrov box"). */
static size_t remote_nouns(const jitrl_zvm *vm, const env_world *w, unsigned loc, env_noun *out, size_t n,
                           size_t max)
{
    if (!w->inform || !w->name_prop) return n;
    unsigned objs[MAX_REMOTE];
    size_t no = 0;
    unsigned classes[8];
    size_t ncl = 0;
    for (unsigned o = 1; o <= w->nobj && no < MAX_REMOTE; o++) {
        unsigned r = o, guard = 0;
        while (jitrl_zvm_parent(vm, r) && guard++ <= w->nobj) r = jitrl_zvm_parent(vm, r);
        if (r == loc || !internal_name(vm, r)) continue;
        unsigned len = 0;
        if (!jitrl_zvm_prop_addr(vm, o, w->name_prop, &len) || len < 2) continue;
        objs[no++] = o;
        if (r == o) ncl = add_classes(vm, w, o, classes, ncl, 8);
    }
    /* their class-mates out of scope, wherever they lie (a spell still on
     * its scroll, but copied into the book) */
    for (unsigned o = 1; o <= w->nobj && no < MAX_REMOTE && ncl; o++) {
        int dup = 0;
        for (size_t i = 0; i < no && !dup; i++) dup = objs[i] == o;
        if (dup || env_inside(vm, o, loc, w->nobj)) continue;
        unsigned mine[8];
        size_t nm = add_classes(vm, w, o, mine, 0, 8), hit = 0;
        for (size_t i = 0; i < nm && !hit; i++)
            for (size_t k = 0; k < ncl && !hit; k++) hit = mine[i] == classes[k];
        if (hit) objs[no++] = o;
    }
    for (size_t i = 0; i < no && n < max; i++) {
        unsigned len = 0;
        uint32_t a = jitrl_zvm_prop_addr(vm, objs[i], w->name_prop, &len);
        uint32_t pick = 0;
        for (unsigned k = 0; k + 1 < len && !pick; k += 2) {
            uint32_t wd = jitrl_zvm_read_word(vm, a + k);
            int shared = 0;
            for (size_t j = 0; j < no && !shared; j++) shared = j != i && env_obj_has_word(vm, w, objs[j], wd);
            if (!shared) pick = wd;
        }
        if (!pick) continue;
        env_noun *nn = &out[n];
        nn->obj = objs[i];
        nn->held = 0;
        nn->kind = EN_REMOTE;
        unsigned par = jitrl_zvm_parent(vm, objs[i]);
        nn->in_mind = par && !jitrl_zvm_parent(vm, par) && internal_name(vm, par);
        jitrl_zvm_decode_text(vm, pick, nn->phrase, sizeof nn->phrase);
        if (!isalpha((unsigned char)nn->phrase[0])) continue;
        snprintf(nn->full, sizeof nn->full, "%s", nn->phrase);
        n++;
    }
    return n;
}

/* Add the digit runs of text (whole tokens, 1-5 digits) to nums[0..n),
 * unique; returns the new count. */
static size_t add_numbers(const char *text, char nums[][8], size_t n, size_t max)
{
    for (const char *p = text; p && *p && n < max;) {
        if (!isdigit((unsigned char)*p)) { p++; continue; }
        const char *b = p;
        while (isdigit((unsigned char)*p)) p++;
        size_t k = (size_t)(p - b);
        if (k > 5 || (b > text && isalnum((unsigned char)b[-1])) || isalpha((unsigned char)*p)) continue;
        int dup = 0;
        for (size_t i = 0; i < n && !dup; i++) dup = strlen(nums[i]) == k && !memcmp(nums[i], b, k);
        if (!dup) snprintf(nums[n++], sizeof nums[0], "%.*s", (int)k, b);
    }
    return n;
}

char *env_numbers_join(env_numbers *m, const char *obs)
{
    if (!obs) obs = "";
    char seen[MAX_NUMBERS][8];
    uint64_t h = XXH3_64bits(obs, strlen(obs)) | 1;
    int fresh = h != m->last;
    m->last = h;
    size_t ns = fresh ? add_numbers(obs, seen, 0, MAX_NUMBERS) : 0, k = 0;
    for (size_t i = 0; fresh && i < m->n; i++) {
        int again = 0;
        for (size_t j = 0; j < ns && !again; j++) again = !strcmp(seen[j], m->num[i]);
        if (again || ++m->age[i] >= ENV_NUMS_AGE) continue;
        memmove(m->num[k], m->num[i], sizeof m->num[k]);
        m->age[k++] = m->age[i];
    }
    if (fresh) m->n = k;
    /* the newest first: the oldest go when it is full */
    for (size_t j = ns; j-- > 0;) {
        size_t keep = m->n < ENV_NUMS_KEPT ? m->n : ENV_NUMS_KEPT - 1;
        memmove(m->num[1], m->num[0], keep * sizeof m->num[0]);
        memmove(&m->age[1], &m->age[0], keep * sizeof m->age[0]);
        memcpy(m->num[0], seen[j], sizeof m->num[0]);
        m->age[0] = 0;
        m->n = keep + 1;
    }
    size_t len = strlen(obs), cap = len + 2 + ENV_NUMS_KEPT * 9;
    char *out = jr_malloc(cap);
    if (!out) return NULL;
    memcpy(out, obs, len);
    for (size_t i = 0; i < m->n; i++) len += (size_t)snprintf(out + len, cap - len, " %s", m->num[i]);
    out[len] = 0;
    return out;
}

/* Append "NOUN NUMBER" to out[n..max) (unless there already), to be
 * probed; returns the new count. */
static size_t add_variant(const env_noun *base, const char *num, env_noun *out, size_t n, size_t max)
{
    if (n >= max) return n;
    env_noun v = *base;
    v.probe = 1;
    int len = snprintf(v.phrase, sizeof v.phrase, "%s %s", base->phrase, num);
    if (len < 0 || (size_t)len >= sizeof v.phrase) return n;
    snprintf(v.full, sizeof v.full, "%s", v.phrase);
    for (size_t k = 0; k < n; k++)
        if (!strcmp(out[k].phrase, v.phrase)) return n;
    out[n] = v;
    return n + 1;
}

/* Phrases "NOUN NUMBER" for the scope's nouns sc[0..nsc), appended to
 * out[n..max) to be probed: a noun whose printed name shows a number with
 * that number; then the numbers of obs with namesakes first (a number is
 * what tells two tickets apart), then with the rest.  Returns the new
 * count. */
static size_t number_variants(const jitrl_zvm *vm, const env_noun *sc, size_t nsc, const char *obs,
                              env_noun *out, size_t n, size_t max, uint64_t *text_key)
{
    char nums[MAX_NUMBERS][8];
    size_t nnum = add_numbers(obs, nums, 0, MAX_NUMBERS);
    for (size_t j = 0; j < nnum; j++) *text_key = XXH3_64bits_withSeed(nums[j], strlen(nums[j]), *text_key);
    size_t limit = n + MAX_NUM_VARIANTS < max ? n + MAX_NUM_VARIANTS : max;
    unsigned char namesake[MAX_SCOPE] = {0};
    for (size_t i = 0; i < nsc; i++) {
        char name[64], own[1][8];
        jitrl_zvm_object_name(vm, sc[i].obj, name, sizeof name);
        if (add_numbers(name, own, 0, 1)) n = add_variant(&sc[i], own[0], out, n, limit);
        for (size_t k = 0; k < nsc; k++) namesake[i] |= k != i && !strcmp(sc[k].phrase, sc[i].phrase);
    }
    for (int tier = 1; tier >= 0; tier--)
        for (size_t i = 0; i < nsc; i++)
            for (size_t j = 0; j < nnum && namesake[i] == tier; j++) n = add_variant(&sc[i], nums[j], out, n, limit);
    return n;
}

static const char *const directions[] = {"north", "south", "east", "west", "northeast", "northwest",
                                         "southeast", "southwest", "up", "down", "in", "out", NULL};

/* Words of the parser's own that are no topic: articles, pronouns and the
 * words of 'all' forms (Inform and ZIL parsers know these as their own). */
static const char *const parser_words[] = {
    "the", "and", "but", "all", "any", "each", "every", "everything", "except", "both", "then", "them",
    "him", "her", "its", "you", "your", "yourself", "myself", "self", "this", "that", "these", "those",
    "one", "ones", "there", "here", "with", "from", "into", "onto", NULL};

/* Can the dictionary word at da (text `word`) be a topic?  Not a verb, a
 * preposition, a direction or a parser word, by the dictionary's own flags
 * (Inform: verb 1, preposition 8; ZIL: verb 0x40, direction 0x10,
 * preposition 8, buzz word 4). */
static int topic_word(const jitrl_zvm *vm, const env_grammar *g, uint32_t da, const char *word)
{
    unsigned fl = jitrl_zvm_read_byte(vm, da + g->text_len);
    int inform = g->kind == GR_INFORM_GV1 || g->kind == GR_INFORM_GV2;
    if (inform ? (fl & 0x09) : (fl & 0x5c)) return 0;
    for (int i = 0; directions[i]; i++)
        if (!strcmp(word, directions[i])) return 0;
    for (int i = 0; parser_words[i]; i++)
        if (!strcmp(word, parser_words[i])) return 0;
    return isalpha((unsigned char)word[0]) != 0;
}

/* Collect the nouns the player can refer to. */
size_t env_collect_nouns(const jitrl_zvm *vm, const env_grammar *g, const env_world *w, const char *obs,
                         const char *look, env_noun *out, size_t max, uint64_t *text_key)
{
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
    /* the room's local globals (Infocom doors, walls, ...) */
    unsigned lg[32];
    size_t nlg = env_local_globals(vm, w, loc, lg, 32);
    for (size_t i = 0; i < nlg && nobjs < MAX_SCOPE; i++) {
        int dup = lg[i] == player;
        for (size_t k = 0; k < nobjs && !dup; k++) dup = objs[k] == lg[i];
        if (!dup) objs[nobjs++] = lg[i];
    }
    size_t n = 0;
    memset(out, 0, max * sizeof *out);
    /* every scope noun, namesakes too (two tickets): their numbers tell them apart */
    env_noun *sc = jr_malloc(MAX_SCOPE * sizeof *sc);
    size_t nsc = 0;
    for (size_t i = 0; i < nobjs && n < max; i++) {
        env_noun *nn = &out[n];
        nn->obj = objs[i];
        nn->kind = EN_SCOPE;
        nn->in_mind = 0;
        nn->held = player && env_inside(vm, objs[i], player, w->nobj);
        if (!env_obj_phrase(vm, g, w, objs[i], objs, nobjs, nn->phrase, sizeof nn->phrase)) continue;
        full_name(vm, objs[i], nn->phrase, nn->full, sizeof nn->full);
        if (sc && nsc < MAX_SCOPE) sc[nsc++] = *nn;
        int dup = 0;
        for (size_t k = 0; k < n && !dup; k++) dup = !strcmp(out[k].phrase, nn->phrase);
        if (!dup) n++;
    }
    /* nouns of the observation and the room description naming objects we
     * have not got (local globals, things out of the tree) */
    *text_key = 0;
    size_t ntext = 0, ntopic = 0;
    const char *texts[2] = {obs, look};
    for (int ti = 0; ti < 2; ti++) {
        const char *p = texts[ti];
        while (p && *p && ntext < MAX_TEXT_NOUNS && n < max) {
            char word[32];
            size_t k;
            p = env_next_word(p, word, sizeof word, &k);
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
            if (!owner) {
                /* a word of the last observation naming nothing may be a
                 * topic ("ask guard about password", "chant klaatu") */
                if (ti == 0 && ntopic < MAX_TOPIC_WORDS && topic_word(vm, g, da, word)) {
                    env_noun *tn = &out[n++];
                    tn->obj = 0;
                    tn->kind = EN_TOPIC;
                    tn->extra = 1;
                    snprintf(tn->phrase, sizeof tn->phrase, "%s", word);
                    snprintf(tn->full, sizeof tn->full, "%s", word);
                    *text_key = XXH3_64bits_withSeed(word, k, *text_key ^ 0x70);
                    ntopic++;
                }
                continue;
            }
            env_noun *nn = &out[n++];
            nn->obj = 0;
            nn->held = 0;
            nn->kind = EN_SCOPE;
            nn->in_mind = 0;
            nn->dir = 0;
            for (int d = 0; directions[d]; d++) nn->dir |= !strcmp(word, directions[d]);
            snprintf(nn->phrase, sizeof nn->phrase, "%s", word);
            snprintf(nn->full, sizeof nn->full, "%s", word);
            *text_key = XXH3_64bits_withSeed(word, k, *text_key);
            ntext++;
        }
    }
    if (sc) n = number_variants(vm, sc, nsc, obs, out, n, max, text_key);
    jr_free(sc);
    /* the numbers themselves, for number and `special` slots ("set dial
     * to 776"); number_variants hashed them into the key */
    char nums[MAX_NUMBERS][8];
    size_t nnum = add_numbers(obs, nums, 0, MAX_NUMBERS);
    for (size_t j = 0; j < nnum && n < max; j++) {
        env_noun *nn = &out[n++];
        memset(nn, 0, sizeof *nn);
        nn->kind = EN_NUMBER;
        nn->extra = 1;
        snprintf(nn->phrase, sizeof nn->phrase, "%s", nums[j]);
        snprintf(nn->full, sizeof nn->full, "%s", nums[j]);
    }
    /* the player, as the parser's own word for it */
    static const char *const me[] = {"me", "myself", "self", NULL};
    for (int i = 0; me[i] && w->player && n < max; i++) {
        if (!jitrl_zvm_dict_lookup(vm, me[i])) continue;
        env_noun *nn = &out[n++];
        nn->obj = w->player;
        nn->held = 0;
        nn->kind = EN_SELF;
        nn->in_mind = 0;
        snprintf(nn->phrase, sizeof nn->phrase, "%s", me[i]);
        snprintf(nn->full, sizeof nn->full, "%s", me[i]);
        break;
    }
    return remote_nouns(vm, w, loc, out, n, max);
}


/* One generation pass over the grammar. */
typedef struct gen {
    env_cands *c;
    const jitrl_zvm *vm;
    const env_grammar *g;
    const env_noun *nouns;
    size_t nn;
    env_keyset ks;
    unsigned oi;        /* the verb's place in the order */
    int late;           /* the last pass: pairs with the player or a topic word */
    char verb[48];
} gen;

static unsigned noun_key(const gen *x, size_t i)
{
    /* a guessed phrase may name a namesake of its object: a key of its own */
    return x->nouns[i].obj && !x->nouns[i].probe ? x->nouns[i].obj : 0x80000 + (unsigned)i;
}

/* Add "verb ... n1 ... n2" once per (action, objects, salt). */
static int emit(gen *x, const gr_line *l, const char *verb, uint64_t key, const char *n1, const char *n2)
{
    char buf[160];
    int r = env_keyset_add(&x->ks, key);
    if (r < 0) return JITRL_ENOMEM;
    if (!r || !render(x->vm, verb, l, n1, n2, buf, sizeof buf)) return JITRL_OK;
    return add_cand(x->c, buf);
}

/* Is noun n in token t an extra: a number or a word naming nothing, or a
 * topic word in an object slot (a scope routine's)? */
static int is_extra(const env_noun *n, const gr_tok *t)
{
    return n && (n->extra || (n->kind == EN_TOPIC && t->kind == GT_OBJ));
}

/* emit, as an extra when noun a (in token ta) or b (in tb) is one, or
 * during orders. */
static int emit_n(gen *x, const gr_line *l, uint64_t key, const env_noun *a, const gr_tok *ta, const char *s1,
                  const env_noun *b, const gr_tok *tb, const char *s2)
{
    int was = x->c->extra;
    x->c->extra = was || is_extra(a, ta) || (b && is_extra(b, tb));
    int rc = emit(x, l, x->verb, key, s1, s2);
    x->c->extra = was;
    return rc;
}

/* Can noun n fill token t of a line with `objs` nouns, as noun `slot`? */
static int slot_ok(const gen *x, const gr_tok *t, const env_noun *n, int objs, int slot)
{
    /* a number slot takes the numbers of the text, nothing else */
    if (t->kind == GT_NUMBER) return n->kind == EN_NUMBER;
    /* A direction the text names stays a noun in every slot: limiting it to
     * "push cart east" lines (2c9108c) cut t_grammar's candidates but took
     * commands the built-in game's learners need out of fast mode's first
     * candidates (play-converges: jitrl 24.18/34 -> 22.18/30). */
    switch (n->kind) {
    case EN_NUMBER: return t->kind == GT_TOPIC && (t->flags & GF_ROUTINE);
    /* a word the parser does not resolve here may still be what the game's
     * own scope routine puts in scope (a thing seen far away) */
    case EN_TOPIC: return t->kind == GT_TOPIC || (t->kind == GT_OBJ && (t->flags & GF_SCOPE));
    case EN_REMOTE: return t->kind == GT_OBJ && (t->flags & GF_SCOPE);
    case EN_SELF:
        if (t->kind == GT_OBJ && (t->flags & GF_SCOPE)) return 1;
        if (objs < 2 || slot == 0) return 0;
        break;
    default: break;
    }
    return t->kind != GT_OBJ || obj_ok(x->vm, x->g, t, n, objs == 1);
}

static int gen_one(gen *x, const gr_line *l, const gr_tok *t)
{
    int rc;
    /* "all" lines are kept per verb: "put all down" and "drop all" leave
     * different parser state behind */
    if (t->kind == GT_OBJ && (t->flags & GF_MULTI) &&
        (rc = emit(x, l, x->verb, line_key(l->action, 0xfffff, x->oi, 2), "all", NULL)))
        return rc;
    for (size_t i = 0; i < x->nn; i++) {
        if (!slot_ok(x, t, &x->nouns[i], 1, 0)) continue;
        if ((rc = emit_n(x, l, line_key(l->action, noun_key(x, i), 0, 3), &x->nouns[i], t, x->nouns[i].phrase, NULL,
                         NULL, NULL)))
            return rc;
    }
    return JITRL_OK;
}

static int gen_two(gen *x, const gr_line *l, const gr_tok *t1, const gr_tok *t2, int topics)
{
    const env_noun *nouns = x->nouns;
    const jitrl_zvm *vm = x->vm;
    int rc;
    if (x->late) goto pairs;
    if ((t1->flags & GF_INSIDE) || (t2->flags & GF_INSIDE)) {
        /* "take X from Y": X inside Y, and "take all from Y" */
        for (size_t j = 0; j < x->nn; j++) {
            if (!nouns[j].obj || nouns[j].kind != EN_SCOPE || !jitrl_zvm_child(vm, nouns[j].obj)) continue;
            if ((rc = emit(x, l, x->verb, line_key(l->action, 0xfffff, nouns[j].obj, 4), "all", nouns[j].phrase)))
                return rc;
            for (size_t i = 0; i < x->nn; i++) {
                if (!nouns[i].obj || jitrl_zvm_parent(vm, nouns[i].obj) != nouns[j].obj) continue;
                if ((rc = emit(x, l, x->verb, line_key(l->action, nouns[i].obj, nouns[j].obj, 5), nouns[i].phrase,
                               nouns[j].phrase)))
                    return rc;
            }
        }
        return JITRL_OK;
    }
    if (t1->kind == GT_OBJ && (t1->flags & GF_MULTI) && t2->kind == GT_OBJ)
        for (size_t j = 0; j < x->nn; j++) {
            if (nouns[j].held || nouns[j].kind != EN_SCOPE || !obj_ok(vm, x->g, t2, &nouns[j], 0)) continue;
            if ((rc = emit(x, l, x->verb, line_key(l->action, 0xfffff, noun_key(x, j), 7 + 256 * x->oi), "all",
                           nouns[j].phrase)))
                return rc;
        }
pairs:
    if (topics == 2) return JITRL_OK;
    for (size_t i = 0; i < x->nn; i++) {
        if (!slot_ok(x, t1, &nouns[i], 2, 0)) continue;
        for (size_t j = 0; j < x->nn; j++) {
            /* a word of the text the parser resolves may name the thing in
             * hand a topic is written on ("write chasm on featureless"):
             * the game names it itself */
            int named = t1->kind == GT_TOPIC && (t2->flags & GF_HELD) && !nouns[j].obj && nouns[j].kind == EN_SCOPE;
            if (i == j || !(named || slot_ok(x, t2, &nouns[j], 2, 1))) continue;
            /* less likely pairs come last, so the cap trims them first */
            int late = nouns[i].kind == EN_SELF || nouns[j].kind == EN_SELF;
            /* a topic looked up in a thing not in hand ("read about X in
             * scales") */
            if (t1->kind == GT_TOPIC && t2->kind == GT_OBJ && !t2->flags && !nouns[j].held) late = 1;
            if (t2->kind == GT_TOPIC && t1->kind == GT_OBJ && !t1->flags && !nouns[i].held) late = 1;
            if (late != x->late) continue;
            /* the thing used is in hand: the slot the grammar says is held,
             * else the first ("put X in Y", "give X to Y"); topics excepted */
            if (!topics && !(t1->flags & GF_HELD) && !(t2->flags & GF_HELD) && !t1->ground && !nouns[i].held &&
                nouns[i].obj)
                continue;
            /* Infocom wants the first on the ground ("unlock door with
             * key", "attack troll with sword"): then the second is in hand */
            if (t1->ground && (nouns[i].held || (nouns[j].obj && !nouns[j].held && !(t2->flags & GF_HELD))))
                continue;
            if (topics && t1->kind == GT_TOPIC && !nouns[j].obj && !named) continue;
            /* a topic the parser does not know goes where the grammar wants
             * a thing in hand ("write cave on cube") or someone spoken to
             * ("ask guard about password") */
            if (nouns[i].kind == EN_TOPIC && !(t2->flags & (GF_HELD | GF_CREATURE))) continue;
            if (nouns[j].kind == EN_TOPIC && !(t1->flags & (GF_HELD | GF_CREATURE))) continue;
            if ((t1->flags & GF_FIND) && nouns[i].obj && !jitrl_zvm_attr(vm, nouns[i].obj, t1->attr) &&
                !(t2->flags & GF_FIND))
                continue;
            /* ... and the tool's, unless only the tool has one: a key
             * need not be a "tool" to unlock a door */
            if ((t2->flags & GF_FIND) && nouns[j].obj && !jitrl_zvm_attr(vm, nouns[j].obj, t2->attr) &&
                !(t1->ground && !(t1->flags & GF_FIND)))
                continue;
            if ((rc = emit_n(x, l, line_key(l->action, noun_key(x, i), noun_key(x, j), 6), &nouns[i], t1,
                             t1->kind == GT_TOPIC ? nouns[i].full : nouns[i].phrase, &nouns[j], t2,
                             t2->kind == GT_TOPIC ? nouns[j].full : nouns[j].phrase)))
                return rc;
        }
    }
    return JITRL_OK;
}

/* A verb word no player can type ("c,cast"): the game's own code turns
 * another first word into it (Inform's UnknownVerb: a spell's name cast
 * as a verb, "rezrov box").  The remote nouns the player has in mind (in
 * an internal-named holder: memorised spells) are tried as that word. */
static int gen_verbless(gen *x, const gr_line *l, const gr_tok *t, int objs)
{
    int rc;
    for (size_t r = 0; r < x->nn; r++) {
        if (x->nouns[r].kind != EN_REMOTE || !x->nouns[r].in_mind) continue;
        const char *w = x->nouns[r].phrase;
        if (objs == 0) {
            if ((rc = emit(x, l, w, line_key(l->action, noun_key(x, r), 0, 8), NULL, NULL))) return rc;
            continue;
        }
        for (size_t j = 0; j < x->nn; j++) {
            const env_noun *n = &x->nouns[j];
            if (n->kind == EN_TOPIC || n->kind == EN_NUMBER || j == r) continue;
            if (t->kind == GT_OBJ && !obj_ok(x->vm, x->g, t, n, 1)) continue;
            if ((rc = emit(x, l, w, line_key(l->action, noun_key(x, r), noun_key(x, j), 9), n->phrase, NULL)))
                return rc;
        }
    }
    return JITRL_OK;
}

static int typeable(const char *w)
{
    for (; *w; w++)
        if (!isalpha((unsigned char)*w) && *w != '-') return 0;
    return 1;
}

/* Orders to a character ("robot, push button"): the Inform parser reads
 * "NAME, COMMAND" as COMMAND done by NAME, whose `orders` rule decides.
 * For each animate noun in scope (attribute 0, the library's `animate`):
 * the directions, then the bare and one-noun lines of the ORDER_VERBS most
 * common verbs with the things not in the player's hands, as extras (an
 * order costs a whole turn of the other's rules).  Infocom's actors have no attribute we can read: none. */
#define ORDER_VERBS 12
static int gen_orders_of(gen *x);
static int gen_orders(gen *x)
{
    int rc;
    const env_grammar *g = x->g;
    if (g->kind != GR_INFORM_GV1 && g->kind != GR_INFORM_GV2) return JITRL_OK;
    x->c->extra = 1;
    rc = gen_orders_of(x);
    x->c->extra = 0;
    return rc;
}

static int gen_orders_of(gen *x)
{
    int rc;
    const env_grammar *g = x->g;
    for (size_t a = 0; a < x->nn; a++) {
        const env_noun *who = &x->nouns[a];
        if (who->kind != EN_SCOPE || !who->obj || !jitrl_zvm_attr(x->vm, who->obj, 0)) continue;
        char pre[64];
        snprintf(pre, sizeof pre, "%s,", who->phrase);
        for (int d = 0; directions[d]; d++) {
            if (!jitrl_zvm_dict_lookup(x->vm, directions[d])) continue;
            char cmd[96];
            snprintf(cmd, sizeof cmd, "%s %s", pre, directions[d]);
            if ((rc = env_keyset_add(&x->ks, line_key(0x3ff, who->obj, (unsigned)d, 11))) < 0) return JITRL_ENOMEM;
            if (rc && (rc = add_cand(x->c, cmd))) return rc;
        }
        size_t used = 0;
        for (size_t oi = 0; oi < g->nverbs && used < ORDER_VERBS; oi++) {
            const gr_verb *v = &g->verbs[g->order[oi]];
            char verb[112], word[48];
            if (v->meta || !v->word) continue;
            jitrl_zvm_decode_text(x->vm, v->word, word, sizeof word);
            if (!typeable(word)) continue;
            used++;
            snprintf(verb, sizeof verb, "%s %s", pre, word);
            for (size_t li = v->first; li < v->first + v->n; li++) {
                const gr_line *l = &g->lines[li];
                if (l->nobj == 0 && l->ntok == 0) {
                    if ((rc = emit(x, l, verb, line_key(l->action, 0, who->obj, 12), NULL, NULL))) return rc;
                    continue;
                }
                if (l->nobj != 1 || l->ntok > 2) continue;
                const gr_tok *t = NULL;
                for (unsigned k = 0; k < l->ntok; k++)
                    if (l->tok[k].kind == GT_OBJ) t = &l->tok[k];
                    else if (l->tok[k].kind != GT_PREP) t = NULL, k = l->ntok;
                if (!t) continue;
                for (size_t j = 0; j < x->nn; j++) {
                    const env_noun *n = &x->nouns[j];
                    /* what the player holds is rarely what another is told to handle */
                    if (j == a || n->kind != EN_SCOPE || !n->obj || n->held || (t->flags & (GF_ATTR | GF_CREATURE)))
                        continue;
                    if ((rc = emit(x, l, verb, line_key(l->action, noun_key(x, j), who->obj, 13), n->phrase, NULL)))
                        return rc;
                }
            }
        }
    }
    return JITRL_OK;
}


int env_generate(env_cands *a, const jitrl_zvm *vm, const env_grammar *g, const env_noun *nouns, size_t nn)
{
    int rc = JITRL_OK;
    gen x = {.c = a, .vm = vm, .g = g, .nouns = nouns, .nn = nn};
    a->n = 0;
    a->cap = CAND_CAP_ONE;
    a->over = 0;
    a->extra = 0;
    a->nextra = 0;
    jr_buf_reset(&a->text);
    for (int i = 0; directions[i]; i++)
        if (jitrl_zvm_dict_lookup(vm, directions[i]) && (rc = add_cand(a, directions[i]))) goto out;
    /* passes: verb-only lines, one-noun lines, two-noun lines, then the
     * least likely pairs */
    static const int pass_objs[4] = {0, 1, 2, 2};
    size_t pass_start[4] = {0};
    for (int pass = 0; pass < 4; pass++) {
        /* orders to characters before the least likely pairs (extras) */
        if (pass == 3 && (rc = gen_orders(&x))) goto out;
        pass_start[pass] = a->n;
        a->cap = pass < 2 ? CAND_CAP_ONE : CAND_CAP;
        x.late = pass == 3;
        for (size_t oi = 0; oi < g->nverbs; oi++) {
            const gr_verb *v = &g->verbs[g->order[oi]];
            if (v->meta == 2 || !v->word) continue;
            jitrl_zvm_decode_text(vm, v->word, x.verb, sizeof x.verb);
            x.oi = (unsigned)oi;
            int verbless = !typeable(x.verb);
            for (size_t li = v->first; li < v->first + v->n; li++) {
                const gr_line *l = &g->lines[li];
                int objs = 0, topics = 0, other = 0;
                const gr_tok *ot[2] = {NULL, NULL};
                for (unsigned t = 0; t < l->ntok; t++) {
                    int k = l->tok[t].kind;
                    if (k == GT_OBJ || k == GT_TOPIC || k == GT_NUMBER) {
                        if (objs < 2) ot[objs] = &l->tok[t];
                        objs++;
                        /* a number is a topic to the pairing rules: no
                         * thing in hand is needed ("set dial to 776") */
                        if (k != GT_OBJ) topics++;
                    } else if (l->tok[t].kind != GT_PREP) other = 1;
                }
                if (other || objs != pass_objs[pass]) continue;
                if (verbless) {
                    if (x.late) continue;
                    if (objs < 2 && (rc = gen_verbless(&x, l, ot[0], objs))) goto out;
                } else if (objs == 0) {
                    if (v->meta) continue;
                    if ((rc = emit(&x, l, x.verb, line_key(l->action, 0, 0, 1), NULL, NULL))) goto out;
                } else if (objs == 1) {
                    if ((rc = gen_one(&x, l, ot[0]))) goto out;
                } else if ((rc = gen_two(&x, l, ot[0], ot[1], topics))) {
                    goto out;
                }
            }
        }
    }
    for (size_t i = 0; env_log_on(a->log, JITRL_ZGAME_LOG_CANDIDATES) && i < a->n; i++)
        env_logf(a->log, JITRL_ZGAME_LOG_CANDIDATES, "cand %s", env_cand(a, i));
    env_logf(a->log, JITRL_ZGAME_LOG_DEBUG,
             "candidates: %zu dirs, %zu bare, %zu one-noun, %zu two-noun, %zu late (%zu nouns), %zu over the cap, "
             "%zu extras",
             pass_start[0], pass_start[1] - pass_start[0], pass_start[2] - pass_start[1],
             pass_start[3] - pass_start[2], a->n - pass_start[3], nn, a->over, a->nextra);
out:
    jr_free(x.ks.k);
    return rc;
}

/* Keep the nouns the parser resolves here: "examine X" must take a turn or
 * change something (a parser refusal does neither).  Held things are kept
 * unasked: they can be handled in the dark. */
size_t env_check_nouns(const jitrl_zvm *vm, env_noun *nouns, size_t nn, env_noun_probe probe, void *ctx,
                       const env_log *log)
{
    const char *x = jitrl_zvm_dict_lookup(vm, "examine") ? "examine" : "x";
    size_t k = 0;
    for (size_t i = 0; i < nn; i++) {
        int keep = (nouns[i].held && !nouns[i].probe) || nouns[i].kind != EN_SCOPE;
        if (!keep) {
            char cmd[80];
            snprintf(cmd, sizeof cmd, "%s %s", x, nouns[i].phrase);
            keep = probe(ctx, cmd);
            /* a word of the text the parser refuses may still be a topic */
            if (!keep && !nouns[i].obj) {
                nouns[i].kind = EN_TOPIC;
                keep = 1;
            }
        }
        env_logf(log, JITRL_ZGAME_LOG_DEBUG, "noun %u %s%s [%s] kind %d%s%s", nouns[i].obj, keep ? "" : "(dropped) ",
                 nouns[i].phrase, nouns[i].full, nouns[i].kind, nouns[i].held ? " held" : "",
                 nouns[i].probe ? " probed" : "");
        if (keep) nouns[k++] = nouns[i];
    }
    return k;
}
