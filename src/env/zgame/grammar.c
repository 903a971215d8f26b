/*
 * grammar.c -- read a game's own parser tables: Infocom syntax tables
 * (version 3 ZIL games such as Zork) and Inform grammar versions 1 and 2.
 *
 * The facts used (Z-Machine Standards Document, Inform Technical Manual,
 * ZIL parser conventions as shown by ztools' infodump):
 *  - the grammar table starts at the base of static memory (header $0E): a
 *    table of word pointers, one per verb; a verb's dictionary entry holds
 *    its number, stored inverted (index = 255 - number);
 *  - Infocom (ZIL) dictionary entries carry part-of-speech flags in the
 *    byte after the text (object 128, verb 64, adjective 32, direction 16,
 *    preposition 8, buzz 4) and two value bytes; the low two flag bits say
 *    which part of speech owns the first value byte (1 verb, 2 adjective,
 *    3 direction, 0 object/preposition);
 *  - an Infocom syntax entry is 8 bytes: object count (low 2 bits), two
 *    preposition numbers, two "find" attributes, two search-option bytes
 *    (HAVE = 2, MANY = 4, ...), the action number;
 *  - Inform dictionary entries have flags (verb 1, meta 2, preposition 8),
 *    the verb number and the preposition ("adjective") number;
 *  - Inform GV1 lines are 8 bytes: parameter count, six tokens (object
 *    tokens < $b0, preposition numbers >= $b0), action;
 *  - Inform GV2 lines are an action word (low 10 bits; $400 = reverse
 *    objects), then 3-byte tokens (type in the low 4 bits, alternatives in
 *    bits 4-5, a data word) ended by ENDIT (15).
 * Everything read here comes from an untrusted file, so every address is
 * bounds-checked and a malformed table gives JITRL_ENOTFOUND, never a crash.
 */
#include "env/zgame/env_int.h"

#include "base/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct rd {
    const uint8_t *m;
    size_t len;
} rd;

static unsigned rb(const rd *r, uint32_t a) { return a < r->len ? r->m[a] : 0; }
static unsigned rw(const rd *r, uint32_t a) { return a + 1 < r->len ? (unsigned)(r->m[a] << 8 | r->m[a + 1]) : 0; }

int env_dict_is_entry(const env_grammar *g, uint32_t addr)
{
    return g->entry_len && addr >= g->dict_start && addr < g->dict_end &&
           (addr - g->dict_start) % g->entry_len == 0;
}

static int push_line(env_grammar *g, size_t *cap, const gr_line *l)
{
    if (g->nlines == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        gr_line *p = jr_realloc(g->lines, nc * sizeof *p);
        if (!p) return JITRL_ENOMEM;
        g->lines = p;
        *cap = nc;
    }
    g->lines[g->nlines++] = *l;
    return JITRL_OK;
}

/* Words we would rather print for a verb, most readable first. */
static const char *const preferred_verbs[] = {
    "take", "drop", "put", "open", "close", "examine", "read", "turn", "push", "pull", "move", "give",
    "attack", "kill", "unlock", "lock", "light", "eat", "drink", "wear", "remove", "climb", "enter",
    "throw", "tie", "search", "look", "wave", "listen", "go", "get", "insert", "show", "ask", "tell",
    "say", "switch", "burn", "cut", "dig", "fill", "pour", "empty", "inflate", "ring", "rub", "wind",
    "knock", "kick", "break", "touch", "smell", "taste", "squeeze", "shake", "sit", "stand", "lie",
    "jump", "pray", "sleep", "wait", "write", "play", "blow", "untie", "unscrew", "screw", "set",
    "press", "pick", "board", "disembark", "exit", "follow", "hide", "hit", "pry", "swim", "yell",
    "talk", "buy", "feed", "pet", "oil", NULL};

static int verb_rank(const char *w)
{
    for (int i = 0; preferred_verbs[i]; i++)
        if (!strcmp(w, preferred_verbs[i])) return i;
    return 1000 - (int)strlen(w);   /* otherwise prefer longer (less cryptic) words */
}

/* Verbs never tried as actions: they save, quit, restart, or change
 * interpreter settings rather than the world (2), and no-op verbs whose
 * bare form only serves to calibrate noise (1; their lines with nouns, such
 * as "look under X", are still used). */
static const char *const hard_meta[] = {
    "save", "restore", "restart", "quit", "q", "script", "unscript", "transcrip", "transcript",
    "noscript", "verify", "version", "undo", "oops", "again", "g", "score", "fullscore", "full",
    "verbose", "brief", "superbrief", "superbrie", "notify", "pronouns", "nouns", "diagnose",
    "recording", "replay", "random", "trace", "actions", "messages", "routines", "timers", "daemons",
    "changes", "purloin", "abstract", "tree", "scope", "showobj", "showverb", "gonear", "goto",
    "xtree", "xgoto", "help", "hint", "hints", "about", "credits", "info", "mode", "normal", "long",
    "short", "die", "license", "menu", "$ve", "$verify", "#comm", "#random", "#record", "#unreco",
    "#comman", NULL};
static const char *const soft_meta[] = {"look", "l", "wait", "z", NULL};

/* w is a dictionary word, perhaps truncated (6 letters in version 3, 9
 * later): it matches a list word it is a prefix of at full length. */
static int in_list(const char *const *list, const char *w)
{
    size_t n = strlen(w);
    for (int i = 0; list[i]; i++)
        if (!strcmp(w, list[i]) || (n >= 6 && !strncmp(w, list[i], n))) return 1;
    return 0;
}

/* Pick the word to print for verb number vnum among the dictionary entries
 * carrying it, and classify the verb (meta 0, 1 or 2, see above). */
static void choose_verb_word(const jitrl_zvm *vm, const rd *r, env_grammar *g, gr_verb *v, unsigned vnum,
                             int inform)
{
    int best = 1 << 30, any = 0, flagged = 0, soft = 0;
    v->word = 0;
    v->meta = 0;
    for (uint32_t a = g->dict_start; a < g->dict_end; a += g->entry_len) {
        unsigned fl = rb(r, a + g->text_len);
        unsigned val;
        if (inform) {
            if (!(fl & 1)) continue;
            val = rb(r, a + g->text_len + 1);
        } else {
            if (!(fl & 0x40)) continue;
            val = (fl & 3) == 1 ? rb(r, a + g->text_len + 1) : rb(r, a + g->text_len + 2);
        }
        if (val != vnum) continue;
        char w[32];
        jitrl_zvm_decode_text(vm, a, w, sizeof w);
        if (inform && (fl & 2)) flagged = 1;   /* Inform marks meta verbs */
        if (!w[0] || w[0] == '#' || w[0] == '$' || in_list(hard_meta, w)) continue;
        int rank = verb_rank(w);
        if (in_list(soft_meta, w)) { soft = 1; rank += 2000; }
        any = 1;
        if (rank < best) { best = rank; v->word = a; }
    }
    v->rank = best;
    if (!any || flagged) v->meta = 2;
    else if (soft) v->meta = 1;
}

/* Infocom preposition number -> a dictionary word with that value. */
static uint32_t infocom_prep_word(const jitrl_zvm *vm, const rd *r, const env_grammar *g, unsigned num)
{
    uint32_t best = 0;
    size_t bestlen = 0;
    for (uint32_t a = g->dict_start; a < g->dict_end; a += g->entry_len) {
        unsigned fl = rb(r, a + g->text_len);
        if (!(fl & 0x08)) continue;
        unsigned val = (fl & 3) == 0 ? rb(r, a + g->text_len + 1) : rb(r, a + g->text_len + 2);
        if (val != num) continue;
        /* synonyms share the number ("u" and "up"): print the longest */
        char w[16];
        size_t l = jitrl_zvm_decode_text(vm, a, w, sizeof w);
        if (l > bestlen) { best = a; bestlen = l; }
    }
    return best;
}

/* Inform GV1 preposition ("adjective") number -> dictionary word. */
static uint32_t gv1_prep_word(const rd *r, const env_grammar *g, unsigned num)
{
    for (uint32_t a = g->dict_start; a < g->dict_end; a += g->entry_len) {
        unsigned fl = rb(r, a + g->text_len);
        if ((fl & 0x08) && rb(r, a + g->text_len + 2) == num) return a;
    }
    return 0;
}

/* Start verb i: its entry address (0 if out of bounds) and its record. */
static uint32_t begin_verb(const jitrl_zvm *vm, const rd *r, env_grammar *g, uint32_t base, unsigned i, int inform,
                           gr_verb **out)
{
    uint32_t e = rw(r, base + 2 * i);
    if (e < base || e >= r->len) return 0;
    gr_verb *v = &g->verbs[g->nverbs++];
    v->first = g->nlines;
    v->n = 0;
    choose_verb_word(vm, r, g, v, 255 - i, inform);
    *out = v;
    return e;
}

static int parse_infocom(const jitrl_zvm *vm, const rd *r, env_grammar *g, uint32_t base, unsigned nverbs)
{
    size_t cap = 0;
    uint32_t first = rw(r, base), second = nverbs > 1 ? rw(r, base + 2) : 0;
    unsigned n0 = rb(r, first);
    int variable = nverbs > 1 && n0 && (second - first) / n0 <= 7;
    g->kind = variable ? GR_INFOCOM_VAR : GR_INFOCOM;
    for (unsigned i = 0; i < nverbs; i++) {
        gr_verb *v;
        uint32_t e = begin_verb(vm, r, g, base, i, 0, &v);
        if (!e) return JITRL_ENOTFOUND;
        unsigned cnt = rb(r, e++);
        for (unsigned k = 0; k < cnt; k++) {
            unsigned nobj, p1, p2, f1, f2, l1, l2, act;
            if (!variable) {
                nobj = rb(r, e) & 3; p1 = rb(r, e + 1); p2 = rb(r, e + 2);
                f1 = rb(r, e + 3); f2 = rb(r, e + 4); l1 = rb(r, e + 5); l2 = rb(r, e + 6);
                act = rb(r, e + 7);
                e += 8;
            } else {
                unsigned b0 = rb(r, e);
                nobj = (b0 >> 6) & 3;
                p1 = (b0 & 0x3f) ? (b0 | 0xc0) : 0;
                act = rb(r, e + 1);
                f1 = nobj > 0 ? rb(r, e + 2) : 0; l1 = nobj > 0 ? rb(r, e + 3) : 0;
                unsigned b4 = nobj > 1 ? rb(r, e + 4) : 0;
                p2 = (b4 & 0x3f) ? (b4 | 0xc0) : 0;
                f2 = nobj > 1 ? rb(r, e + 5) : 0; l2 = nobj > 1 ? rb(r, e + 6) : 0;
                e += nobj == 0 ? 2 : nobj == 1 ? 4 : 7;
            }
            if (nobj > 2 || e > r->len) return JITRL_ENOTFOUND;
            gr_line l;
            memset(&l, 0, sizeof l);
            l.action = (uint16_t)act;
            l.nobj = (uint8_t)nobj;
            unsigned preps[2] = {p1 >= 0x80 ? p1 : 0, p2 >= 0x80 ? p2 : 0};
            unsigned finds[2] = {f1, f2}, locs[2] = {l1, l2};
            for (unsigned s = 0; s < 2; s++) {
                if (preps[s]) {
                    uint32_t w = infocom_prep_word(vm, r, g, preps[s]);
                    if (!w) goto skip;
                    l.tok[l.ntok].kind = GT_PREP;
                    l.tok[l.ntok++].word = w;
                }
                if (s < nobj) {
                    gr_tok *t = &l.tok[l.ntok++];
                    t->kind = GT_OBJ;
                    if (locs[s] & 2) t->flags |= GF_HELD;   /* HAVE */
                    if (locs[s] & 4) t->flags |= GF_MULTI;  /* MANY */
                    /* ON-GROUND 0x20 / IN-ROOM 0x10 without HELD 0x80,
                     * CARRIED 0x40 or HAVE 2: "unlock DOOR with key" */
                    t->ground = (locs[s] & 0x30) && !(locs[s] & 0xc2);
                    if (finds[s]) { t->flags |= GF_FIND; t->attr = (uint8_t)finds[s]; }
                }
            }
            if (push_line(g, &cap, &l)) return JITRL_ENOMEM;
            v->n++;
        skip:;
        }
    }
    return JITRL_OK;
}

static void gv1_token(unsigned val, gr_tok *t)
{
    t->kind = GT_OBJ;
    switch (val) {
    case 0: break;
    case 1: t->flags = GF_HELD; break;
    case 2: t->flags = GF_MULTI; break;
    case 3: t->flags = GF_HELD | GF_MULTI; break;
    case 4: t->flags = GF_MULTI; break;
    case 5: t->flags = GF_MULTI | GF_INSIDE; break;
    case 6: t->flags = GF_CREATURE; break;
    case 7: t->kind = GT_NUMBER; t->flags = GF_MULTI; break;   /* special */
    case 8: t->kind = GT_NUMBER; break;
    default:
        if (val >= 16 && val < 48) t->flags = GF_ROUTINE;
        else if (val >= 48 && val < 80) { t->kind = GT_TOPIC; t->flags = GF_ROUTINE; }
        else if (val >= 80 && val < 112) t->flags = GF_ROUTINE | GF_SCOPE;
        else if (val >= 128 && val < 176) { t->flags = GF_ATTR; t->attr = (uint8_t)(val - 128); }
        else t->kind = GT_OTHER;
    }
}

static int parse_gv1(const jitrl_zvm *vm, const rd *r, env_grammar *g, uint32_t base, unsigned nverbs)
{
    size_t cap = 0;
    g->kind = GR_INFORM_GV1;
    for (unsigned i = 0; i < nverbs; i++) {
        gr_verb *v;
        uint32_t e = begin_verb(vm, r, g, base, i, 1, &v);
        if (!e) return JITRL_ENOTFOUND;
        unsigned cnt = rb(r, e++);
        for (unsigned k = 0; k < cnt; k++, e += 8) {
            if (e + 8 > r->len) return JITRL_ENOTFOUND;
            gr_line l;
            memset(&l, 0, sizeof l);
            unsigned objs = rb(r, e);
            l.action = (uint16_t)rb(r, e + 7);
            int bad = 0;
            for (unsigned j = 0; j < 6; j++) {
                unsigned val = rb(r, e + 1 + j);
                if (val < 0xb0) {
                    if (val == 0 && objs == 0) break;
                    if (objs == 0) break;
                    objs--;
                    gv1_token(val, &l.tok[l.ntok]);
                    if (l.tok[l.ntok].kind == GT_OBJ) l.nobj++;
                    l.ntok++;
                } else {
                    uint32_t w = gv1_prep_word(r, g, val);
                    if (!w) { bad = 1; break; }
                    l.tok[l.ntok].kind = GT_PREP;
                    l.tok[l.ntok++].word = w;
                }
            }
            if (bad) continue;
            if (push_line(g, &cap, &l)) return JITRL_ENOMEM;
            v->n++;
        }
    }
    return JITRL_OK;
}

/* ---- Infocom's later grammar (the "new parser": late v5 and v6 games) ----
 *
 * As ztools' infodump documents it: no table of verb pointers; a verb's
 * dictionary entry has its flags in its LAST byte (bit 0 = verb, bit 7 not
 * set) and, in the first word after the text, the address of an 8-byte
 * verb record: the action of the verb alone ($FFFF none), an unused word,
 * then pointers to its one-object and two-object entries.  Each of those is
 * a word count, then entries of 6 bytes (action, preposition's dictionary
 * address or 0, attribute, flags) or 10 (the same for a second
 * preposition and object).  Synonyms share a record.  The two words before
 * the object table give the action and pre-action tables, which bound the
 * records. */

/* The verb record of the dictionary entry at a, or 0. */
static uint32_t ic2_record(const rd *r, const env_grammar *g, uint32_t a, uint32_t limit)
{
    unsigned fl = rb(r, a + g->entry_len - 1);
    if (!(fl & 1) || (fl & 0x80)) return 0;
    uint32_t rec = rw(r, a + g->text_len);
    return rec >= 64 && rec + 8 <= r->len && (!limit || rec < limit) ? rec : 0;
}

/* Is the entry list at p (entries of esize bytes) sane: a small count, and
 * prepositions 0 or dictionary words? */
static int ic2_list_ok(const rd *r, const env_grammar *g, uint32_t p, unsigned esize)
{
    if (!p) return 1;
    unsigned n = rw(r, p);
    if (p + 2 + n * esize > r->len || n > 64) return 0;
    for (unsigned k = 0; k < n; k++) {
        uint32_t e = p + 2 + k * esize;
        uint32_t p1 = rw(r, e + 2), p2 = esize == 10 ? rw(r, e + 6) : 0;
        if ((p1 && !env_dict_is_entry(g, p1)) || (p2 && !env_dict_is_entry(g, p2))) return 0;
    }
    return 1;
}

/* The bound on records: the action table (the word 4 bytes before the
 * object table), when it lies after the records. */
static uint32_t ic2_limit(const rd *r)
{
    uint32_t obj = rw(r, 0x0a);
    return obj >= 68 ? rw(r, obj - 4) : 0;
}

/* Does the story use this format: at least 8 verbs, and every verb's
 * record and entry lists sane? */
static int ic2_detect(const rd *r, const env_grammar *g)
{
    unsigned verbs = 0, bad = 0;
    uint32_t limit = ic2_limit(r);
    for (uint32_t a = g->dict_start; a < g->dict_end; a += g->entry_len) {
        unsigned fl = rb(r, a + g->entry_len - 1);
        if (!(fl & 1) || (fl & 0x80)) continue;
        uint32_t rec = ic2_record(r, g, a, limit);
        if (rec && ic2_list_ok(r, g, rw(r, rec + 4), 6) && ic2_list_ok(r, g, rw(r, rec + 6), 10)) verbs++;
        else bad++;
    }
    return verbs >= 8 && bad * 10 <= verbs;
}

/* One object of an entry: preposition (if any) then the object token. */
static void ic2_object(gr_line *l, uint32_t prep, unsigned attr, unsigned flags)
{
    if (prep) {
        l->tok[l->ntok].kind = GT_PREP;
        l->tok[l->ntok++].word = prep;
    }
    gr_tok *t = &l->tok[l->ntok++];
    t->kind = GT_OBJ;
    /* the attribute is a hint (the game's helper suggests with it): a
     * preference, as Infocom's older "find" attribute */
    if (attr) { t->flags |= GF_FIND; t->attr = (uint8_t)attr; }
    (void)flags;   /* its meaning is not documented: no filter */
    l->nobj++;
}

static int parse_infocom2(const jitrl_zvm *vm, const rd *r, env_grammar *g)
{
    size_t cap = 0, nrec = 0;
    uint32_t limit = ic2_limit(r);
    size_t ndict = (g->dict_end - g->dict_start) / g->entry_len;
    uint32_t *recs = jr_calloc(ndict + 1, sizeof *recs);
    g->verbs = jr_calloc(ndict + 1, sizeof *g->verbs);
    if (!recs || !g->verbs) { jr_free(recs); return JITRL_ENOMEM; }
    g->kind = GR_INFOCOM2;
    int rc = JITRL_OK;
    for (uint32_t a = g->dict_start; !rc && a < g->dict_end; a += g->entry_len) {
        uint32_t rec = ic2_record(r, g, a, limit);
        if (!rec) continue;
        char w[32];
        jitrl_zvm_decode_text(vm, a, w, sizeof w);
        int rank = !w[0] || !isalpha((unsigned char)w[0]) || in_list(hard_meta, w) ? 1 << 30 : verb_rank(w);
        if (rank < (1 << 30) && in_list(soft_meta, w)) rank += 2000;
        size_t vi = 0;
        while (vi < nrec && recs[vi] != rec) vi++;
        if (vi < nrec) {
            /* a synonym: keep the most readable word */
            gr_verb *v = &g->verbs[vi];
            if (rank < v->rank) { v->rank = rank; v->word = a; v->meta = rank >= 2000 ? rank >= (1 << 30) ? 2 : 1 : 0; }
            continue;
        }
        recs[nrec++] = rec;
        gr_verb *v = &g->verbs[g->nverbs++];
        v->word = a;
        v->rank = rank;
        v->meta = rank >= 2000 ? rank >= (1 << 30) ? 2 : 1 : 0;
        v->first = g->nlines;
        gr_line l;
        unsigned alone = rw(r, rec);
        if (alone != 0xffff) {
            memset(&l, 0, sizeof l);
            l.action = (uint16_t)alone;
            if ((rc = push_line(g, &cap, &l))) break;
            v->n++;
        }
        for (int objs = 1; objs <= 2 && !rc; objs++) {
            uint32_t p = rw(r, rec + 2 + 2 * objs);
            unsigned esize = objs == 1 ? 6 : 10, n = p ? rw(r, p) : 0;
            for (unsigned k = 0; k < n && k < 64; k++) {
                uint32_t e = p + 2 + k * esize;
                memset(&l, 0, sizeof l);
                l.action = (uint16_t)rw(r, e);
                ic2_object(&l, rw(r, e + 2), rb(r, e + 4), rb(r, e + 5));
                if (objs == 2) ic2_object(&l, rw(r, e + 6), rb(r, e + 8), rb(r, e + 9));
                if ((rc = push_line(g, &cap, &l))) break;
                v->n++;
                if (objs < 2) continue;
                /* which object is in hand is not documented: the first
                 * ("put X in Y"), or the second ("open X with Y"), a line
                 * each (the candidates are keyed by action and objects, so
                 * no command comes twice) */
                gr_line *first = &g->lines[g->nlines - 1];
                first->tok[first->tok[0].kind == GT_PREP ? 1 : 0].flags |= GF_HELD;
                l.tok[l.ntok - 1].flags |= GF_HELD;
                if ((rc = push_line(g, &cap, &l))) break;
                v->n++;
            }
        }
    }
    /* a verb no player types (all its words meta or symbols) is not tried */
    for (size_t i = 0; i < g->nverbs; i++)
        if (g->verbs[i].rank >= (1 << 30)) g->verbs[i].meta = 2;
    jr_free(recs);
    return rc;
}

/* Does the table parse cleanly as GV2?  Checks every line's tokens. */
static int gv2_valid(const rd *r, const env_grammar *g, uint32_t base, unsigned nverbs)
{
    for (unsigned i = 0; i < nverbs; i++) {
        uint32_t e = rw(r, base + 2 * i);
        if (e < base || e >= r->len) return 0;
        unsigned cnt = rb(r, e++);
        for (unsigned k = 0; k < cnt; k++) {
            e += 2;
            unsigned guard = 0;
            for (;;) {
                if (e >= r->len || ++guard > 32) return 0;
                unsigned tt = rb(r, e);
                if (tt == 15) { e++; break; }
                unsigned type = tt & 0x0f, data = rw(r, e + 1);
                if (type < 1 || type > 6) return 0;
                if (type == 1 && data > 9) return 0;
                if (type == 2 && !env_dict_is_entry(g, data)) return 0;
                e += 3;
            }
        }
    }
    return 1;
}

static int parse_gv2(const jitrl_zvm *vm, const rd *r, env_grammar *g, uint32_t base, unsigned nverbs)
{
    size_t cap = 0;
    g->kind = GR_INFORM_GV2;
    for (unsigned i = 0; i < nverbs; i++) {
        gr_verb *v;
        uint32_t e = begin_verb(vm, r, g, base, i, 1, &v);
        if (!e) return JITRL_ENOTFOUND;
        unsigned cnt = rb(r, e++);
        for (unsigned k = 0; k < cnt; k++) {
            gr_line l;
            memset(&l, 0, sizeof l);
            unsigned aw = rw(r, e);
            e += 2;
            l.action = (uint16_t)(aw & 0x3ff);
            int bad = 0;
            for (;;) {
                unsigned tt = rb(r, e);
                if (tt == 15) { e++; break; }
                unsigned type = tt & 0x0f, data = rw(r, e + 1);
                e += 3;
                /* later members of an alternative list ("in"/"into") add nothing */
                if ((tt & 0x30) == 0x10 || (tt & 0x30) == 0x30) continue;
                if (l.ntok >= GR_MAX_TOK) { bad = 1; continue; }
                gr_tok *t = &l.tok[l.ntok++];
                switch (type) {
                case 1:
                    if (data == 9) t->kind = GT_TOPIC;
                    else if (data == 8) t->kind = GT_NUMBER;
                    else if (data == 7) { t->kind = GT_NUMBER; t->flags = GF_MULTI; }   /* special */
                    else if (data > 6) t->kind = GT_OTHER;
                    else {
                        static const uint8_t fl[7] = {0, GF_HELD, GF_MULTI, GF_HELD | GF_MULTI, GF_MULTI,
                                                      GF_MULTI | GF_INSIDE, GF_CREATURE};
                        t->kind = GT_OBJ;
                        t->flags = fl[data];
                    }
                    break;
                case 2: t->kind = GT_PREP; t->word = data; break;
                case 3: t->kind = GT_OBJ; t->flags = GF_ROUTINE; break;
                case 5: t->kind = GT_OBJ; t->flags = GF_ROUTINE | GF_SCOPE; break;
                case 4: t->kind = GT_OBJ; t->flags = GF_ATTR; t->attr = (uint8_t)data; break;
                default:   /* a general parsing routine: a word or a number */
                    t->kind = GT_TOPIC;
                    t->flags = GF_ROUTINE;
                    break;
                }
                if (t->kind == GT_OBJ) l.nobj++;
            }
            if (bad) continue;
            if (push_line(g, &cap, &l)) return JITRL_ENOMEM;
            v->n++;
        }
    }
    return JITRL_OK;
}

/* The fallback for a story whose parser we cannot read: every dictionary
 * word a player could type as a verb (letters only, not a direction or a
 * meta verb), the commonest verbs first, each with a bare line and a
 * one-noun line.  Judging keeps what changes the world, as for any grammar;
 * the candidate cap trims the rarest words.  Fails only without a
 * dictionary. */
#define FALLBACK_VERBS 96
static int parse_fallback(const jitrl_zvm *vm, const rd *r, env_grammar *g)
{
    static const char *const dirs[] = {"north", "south", "east", "west", "northeast", "northwest", "southeast",
                                       "southwest", "up", "down", "in", "out", "n", "s", "e", "w", "ne", "nw",
                                       "se", "sw", "u", "d", NULL};
    size_t ndict = g->entry_len ? (g->dict_end - g->dict_start) / g->entry_len : 0;
    if (!ndict) return JITRL_ENOTFOUND;
    struct cand { uint32_t word; int rank; } *c = jr_calloc(ndict, sizeof *c);
    if (!c) return JITRL_ENOMEM;
    size_t nc = 0;
    for (uint32_t a = g->dict_start; a < g->dict_end; a += g->entry_len) {
        char w[32];
        jitrl_zvm_decode_text(vm, a, w, sizeof w);
        int ok = strlen(w) >= 2 && !in_list(hard_meta, w) && !in_list(dirs, w);
        for (const char *p = w; ok && *p; p++) ok = (*p >= 'a' && *p <= 'z') || *p == '-';
        if (!ok) continue;
        c[nc].word = a;
        c[nc++].rank = verb_rank(w) + (in_list(soft_meta, w) ? 2000 : 0);
    }
    /* the best FALLBACK_VERBS by rank (selection: the dictionary is small) */
    size_t keep = nc < FALLBACK_VERBS ? nc : FALLBACK_VERBS;
    for (size_t i = 0; i < keep; i++)
        for (size_t j = i + 1; j < nc; j++)
            if (c[j].rank < c[i].rank) { struct cand t = c[i]; c[i] = c[j]; c[j] = t; }
    g->verbs = jr_calloc(keep + 1, sizeof *g->verbs);
    int rc = g->verbs ? JITRL_OK : JITRL_ENOMEM;
    size_t cap = 0;
    for (size_t i = 0; !rc && i < keep; i++) {
        gr_verb *v = &g->verbs[g->nverbs++];
        char w[32];
        jitrl_zvm_decode_text(vm, c[i].word, w, sizeof w);
        v->word = c[i].word;
        v->rank = c[i].rank;
        v->meta = in_list(soft_meta, w);
        v->first = g->nlines;
        gr_line l;
        memset(&l, 0, sizeof l);
        l.action = (uint16_t)i;
        rc = push_line(g, &cap, &l);
        l.ntok = l.nobj = 1;
        l.tok[0].kind = GT_OBJ;
        if (!rc) rc = push_line(g, &cap, &l);
        v->n = 2;
    }
    jr_free(c);
    (void)r;
    g->kind = GR_FALLBACK;
    return rc ? rc : g->nverbs ? JITRL_OK : JITRL_ENOTFOUND;
}

static int grammar_order(env_grammar *g)
{
    g->order = jr_calloc(g->nverbs + 1, sizeof *g->order);
    if (!g->order) return JITRL_ENOMEM;
    /* insertion sort by rank: stable, and there are at most 256 verbs */
    for (size_t i = 0; i < g->nverbs; i++) {
        size_t j = i;
        while (j > 0 && g->verbs[g->order[j - 1]].rank > g->verbs[i].rank) {
            g->order[j] = g->order[j - 1];
            j--;
        }
        g->order[j] = i;
    }
    return JITRL_OK;
}

int env_grammar_parse(const jitrl_zvm *vm, env_grammar *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    rd r;
    r.m = jitrl_zvm_memory(vm, &r.len);
    int ver = jitrl_zvm_version(vm);
    if (!r.m || r.len < 64) goto none;
    uint32_t dict = rw(&r, 0x08);
    unsigned nsep = rb(&r, dict);
    g->entry_len = rb(&r, dict + 1 + nsep);
    int count = (int16_t)rw(&r, dict + 2 + nsep);
    if (count < 0) count = -count;
    g->text_len = ver <= 3 ? 4 : 6;
    g->dict_start = dict + 4 + nsep;
    g->dict_end = g->dict_start + (uint32_t)count * g->entry_len;
    if (g->entry_len < g->text_len + 3 || g->dict_end > r.len || count == 0) goto none;

    const uint8_t *serial = r.m + 0x12;
    int infocom = serial[0] == '8' && ver <= 5 && !(r.m[0x3c] >= '5' && r.m[0x3c] <= '6' && r.m[0x3d] == '.');
    int rc;
    /* Infocom's later format has no verb table at all: looked for first */
    if (infocom && ver >= 4 && g->entry_len >= g->text_len + 3 && ic2_detect(&r, g)) {
        rc = parse_infocom2(vm, &r, g);
        if (rc == JITRL_ENOMEM) { env_grammar_free(g); return rc; }
        if (rc || g->nlines == 0) goto none;
        if (grammar_order(g)) { env_grammar_free(g); return JITRL_ENOMEM; }
        return JITRL_OK;
    }

    uint32_t base = rw(&r, 0x0e);
    uint32_t first = rw(&r, base);
    if (first <= base || first >= r.len || (first - base) % 2) goto none;
    unsigned nverbs = (first - base) / 2;
    if (nverbs == 0 || nverbs > 256) goto none;
    /* every pointer must lie after the table and inside the file */
    for (unsigned i = 0; i < nverbs; i++) {
        uint32_t e = rw(&r, base + 2 * i);
        if (e < first || e >= r.len) goto none;
    }
    g->verbs = jr_calloc(nverbs, sizeof *g->verbs);
    if (!g->verbs) return JITRL_ENOMEM;

    if (infocom) rc = parse_infocom(vm, &r, g, base, nverbs);
    else if (gv2_valid(&r, g, base, nverbs)) rc = parse_gv2(vm, &r, g, base, nverbs);
    else rc = parse_gv1(vm, &r, g, base, nverbs);
    if (rc == JITRL_ENOMEM) { env_grammar_free(g); return rc; }
    if (rc || g->nlines == 0) { env_grammar_free(g); goto none; }
    if (grammar_order(g)) { env_grammar_free(g); return JITRL_ENOMEM; }
    return JITRL_OK;
none:;
    /* the dictionary, if any, for the fallback */
    uint32_t ds = g->dict_start, de = g->dict_end;
    unsigned el = g->entry_len, tl = g->text_len;
    env_grammar_free(g);
    if (r.m && de <= r.len && el >= tl + 1) {
        g->dict_start = ds;
        g->dict_end = de;
        g->entry_len = el;
        g->text_len = tl;
        int frc = parse_fallback(vm, &r, g);
        if (!frc) frc = grammar_order(g);
        if (frc == JITRL_ENOMEM) { env_grammar_free(g); return frc; }
        if (!frc) {
            if (err && errlen)
                snprintf(err, errlen, "no parser grammar found in this story; candidates from %zu dictionary "
                         "words and the nouns in scope", g->nverbs);
            return JITRL_OK;
        }
        env_grammar_free(g);
    }
    if (err && errlen)
        snprintf(err, errlen, "no parser grammar found in this story (not an Infocom or Inform text adventure?)");
    g->kind = GR_NONE;
    return JITRL_ENOTFOUND;
}

void env_grammar_free(env_grammar *g)
{
    if (!g) return;
    jr_free(g->verbs);
    jr_free(g->lines);
    jr_free(g->order);
    memset(g, 0, sizeof *g);
}
