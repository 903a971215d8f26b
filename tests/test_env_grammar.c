/*
 * test_env_grammar.c -- grammar formats no test game of ours can be
 * compiled in (src/env/zgame/grammar.c), on story images built here:
 * Infocom's later format (the "new parser" of late v5 games: verb records
 * reached from the dictionary, as ztools' infodump documents them), read
 * into lines the candidates are made of; and a story with a dictionary but
 * no grammar table, which gets the fallback instead of a refusal.  No
 * ../shared needed; runs in milliseconds.
 */
#include "base/alloc.h"
#include "env/zgame/candidates.h"
#include "env/zgame/env_int.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define IMG 0x800
enum { OBJ = 0x40, DICT = 0x100, RECS = 0x200, GLOB = 0x400, DYN = 0x600, CODE = 0x700 };

static void w16(uint8_t *m, uint32_t a, unsigned v) { m[a] = (uint8_t)(v >> 8); m[a + 1] = (uint8_t)v; }

/* Z-encode a lower-case word into 6 bytes (version 5: 9 Z-characters). */
static void zenc(uint8_t *out, const char *w)
{
    unsigned z[9];
    size_t n = strlen(w);
    for (size_t i = 0; i < 9; i++) z[i] = i < n ? (unsigned)(w[i] - 'a' + 6) : 5;
    for (int i = 0, k = 0; i < 3; i++, k += 3) w16(out, 2 * i, (z[k] << 10 | z[k + 1] << 5 | z[k + 2]) | (i == 2 ? 0x8000 : 0));
}

typedef struct word { const char *text; unsigned rec; unsigned flags; } word;

/* A version 5 image: header, two objects (a room holding a box), the
 * dictionary `words` (sorted), and code that quits.  With infocom2 the verb
 * records of the later format follow. */
static uint8_t *build(const word *words, size_t nw, int serial8)
{
    uint8_t *m = jr_calloc(IMG, 1);
    if (!m) return NULL;
    m[0] = 5;
    w16(m, 0x04, CODE);        /* high memory */
    w16(m, 0x06, CODE);        /* initial PC */
    w16(m, 0x08, DICT);
    w16(m, 0x0a, OBJ);
    w16(m, 0x0c, GLOB);
    w16(m, 0x0e, DYN);
    memcpy(m + 0x12, serial8 ? "880101" : "250101", 6);
    w16(m, 0x1a, IMG / 4);
    /* objects 1 (room) and 2 (box, in the room); property tables empty */
    uint32_t o1 = OBJ + 126, o2 = o1 + 14;
    w16(m, o1 + 10, 2);        /* room: child = box */
    w16(m, o1 + 12, 0xe0);
    w16(m, o2 + 6, 1);         /* box: parent = room */
    w16(m, o2 + 12, 0xf0);
    /* dictionary: no separators, 9-byte entries: text, record, flags */
    m[DICT] = 0;
    m[DICT + 1] = 9;
    w16(m, DICT + 2, (unsigned)nw);
    for (size_t i = 0; i < nw; i++) {
        uint32_t e = DICT + 4 + (uint32_t)i * 9;
        zenc(m + e, words[i].text);
        w16(m, e + 6, words[i].rec);
        m[e + 8] = (uint8_t)words[i].flags;
    }
    m[CODE] = 0xba;            /* quit */
    return m;
}

static uint32_t entry(const word *words, size_t nw, const char *w)
{
    for (size_t i = 0; i < nw; i++)
        if (!strcmp(words[i].text, w)) return DICT + 4 + (uint32_t)i * 9;
    return 0;
}

static int has_cand(const env_cands *c, const char *cmd)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(env_cand(c, i), cmd)) return 1;
    return 0;
}

static jitrl_zvm *open_image(const uint8_t *m)
{
    jitrl_zvm *vm = NULL;
    char err[256];
    jitrl_zvm_options o;
    jitrl_zvm_options_init(&o);
    if (jitrl_zvm_open_buffer(m, IMG, &o, &vm, err, sizeof err)) CHECK_MSG(0, "open: %s", err);
    return vm;
}

/* Infocom's later format: verb records reached from the dictionary. */
static void test_infocom_new(void)
{
    /* records: 0 take/get (alone: none; 1 object; 2 objects "take X from Y"),
     * 1 open (1 object; "open X with Y"), 2 look (alone), 3..7 more verbs
     * with one object each, 8 a meta verb */
    static const char *const names[] = {"box", "close", "drop", "examine", "from", "get", "key", "look",
                                        "open", "push", "read", "take", "verify", "wait", "with"};
    enum { NW = sizeof names / sizeof names[0] };
    word words[NW];
    for (size_t i = 0; i < NW; i++) words[i] = (word){names[i], 0, 0};
    struct { const char *w; int rec; } verbs[] = {{"take", 0}, {"get", 0}, {"open", 1}, {"look", 2},
                                                  {"close", 3}, {"drop", 4}, {"examine", 5}, {"push", 6},
                                                  {"read", 7}, {"wait", 8}, {"verify", 9}};
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
        for (size_t i = 0; i < NW; i++)
            if (!strcmp(words[i].text, verbs[v].w)) {
                words[i].rec = RECS + 8 * (unsigned)verbs[v].rec;
                words[i].flags = 1;
            }
    uint8_t *m = build(words, NW, 1);
    CHECK(m != NULL);
    if (!m) return;
    /* entry lists after the records */
    uint32_t lists = RECS + 8 * 10;
    for (int r = 0; r < 10; r++) {
        uint32_t rec = RECS + 8 * (uint32_t)r;
        w16(m, rec, r == 2 || r == 8 || r == 9 ? 40u + (unsigned)r : 0xffff);   /* alone */
        if (r == 2 || r == 8 || r == 9) continue;
        /* one object: action 10 + r, no preposition */
        w16(m, rec + 4, lists);
        w16(m, lists, 1);
        w16(m, lists + 2, 10u + (unsigned)r);
        m[lists + 7] = 0x0f;
        lists += 8;
        if (r > 1) continue;
        /* two objects: "take X from Y" / "open X with Y" */
        w16(m, rec + 6, lists);
        w16(m, lists, 1);
        w16(m, lists + 2, 20u + (unsigned)r);
        w16(m, lists + 8, entry(words, NW, r == 0 ? "from" : "with"));
        lists += 12;
    }
    jitrl_zvm *vm = open_image(m);
    if (!vm) { jr_free(m); return; }
    env_grammar g;
    char err[256];
    CHECK_INT(env_grammar_parse(vm, &g, err, sizeof err), JITRL_OK);
    CHECK_INT(g.kind, GR_INFOCOM2);
    CHECK_INT((long)g.nverbs, 10);   /* take and get share a record */
    size_t two = 0, with = 0;
    for (size_t i = 0; i < g.nlines; i++) {
        if (g.lines[i].nobj == 2) two++;
        for (unsigned t = 0; t < g.lines[i].ntok; t++)
            if (g.lines[i].tok[t].kind == GT_PREP && g.lines[i].tok[t].word == entry(words, NW, "with")) with++;
    }
    CHECK_INT((long)two, 4);   /* each with the first held, and with the second */
    CHECK_INT((long)with, 2);
    /* candidates: the box alone, and with the key in hand */
    env_noun nouns[2];
    memset(nouns, 0, sizeof nouns);
    nouns[0].obj = 2;
    snprintf(nouns[0].phrase, sizeof nouns[0].phrase, "box");
    nouns[1].obj = 1;   /* the image's other object stands for a key in hand */
    nouns[1].held = 1;
    snprintf(nouns[1].phrase, sizeof nouns[1].phrase, "key");
    env_cands c;
    env_cands_init(&c);
    CHECK_INT(env_generate(&c, vm, &g, nouns, 2), JITRL_OK);
    CHECK(has_cand(&c, "take box"));
    CHECK(has_cand(&c, "open box with key"));
    CHECK(has_cand(&c, "push box"));
    CHECK(!has_cand(&c, "get box"));      /* a synonym adds nothing */
    CHECK(!has_cand(&c, "verify"));       /* meta */
    printf("FIGURE grammar infocom-new: %zu verbs, %zu lines, %zu candidates\n", g.nverbs, g.nlines, c.n);
    env_cands_free(&c);
    env_grammar_free(&g);
    jitrl_zvm_close(vm);

    /* the same image with the records broken: not this format (and no
     * table of the older ones either), so the fallback */
    for (int r = 0; r < 10; r++) w16(m, RECS + 8 * (uint32_t)r + 4, 0x7ff0);
    vm = open_image(m);
    if (vm) {
        CHECK_INT(env_grammar_parse(vm, &g, err, sizeof err), JITRL_OK);
        CHECK_INT(g.kind, GR_FALLBACK);
        CHECK(strstr(err, "no parser grammar found") != NULL);
        env_grammar_free(&g);
        jitrl_zvm_close(vm);
    }
    jr_free(m);
}

/* No grammar table and no verb flags: the fallback's verbs are the
 * dictionary's words, commonest first, meta words left out. */
static void test_fallback(void)
{
    static const char *const names[] = {"box", "open", "push", "save", "xyzzy"};
    word words[5];
    for (size_t i = 0; i < 5; i++) words[i] = (word){names[i], 0, 0};
    uint8_t *m = build(words, 5, 0);
    CHECK(m != NULL);
    if (!m) return;
    jitrl_zvm *vm = open_image(m);
    if (vm) {
        env_grammar g;
        char err[256];
        CHECK_INT(env_grammar_parse(vm, &g, err, sizeof err), JITRL_OK);
        CHECK_INT(g.kind, GR_FALLBACK);
        CHECK_INT((long)g.nverbs, 4);   /* not "save" */
        char w[16] = "";
        if (g.nverbs) jitrl_zvm_decode_text(vm, g.verbs[g.order[0]].word, w, sizeof w);
        CHECK_STR(w, "open");           /* the commonest verb first */
        env_noun box;
        memset(&box, 0, sizeof box);
        box.obj = 2;
        snprintf(box.phrase, sizeof box.phrase, "box");
        env_cands c;
        env_cands_init(&c);
        CHECK_INT(env_generate(&c, vm, &g, &box, 1), JITRL_OK);
        CHECK(has_cand(&c, "open box") && has_cand(&c, "push box") && has_cand(&c, "xyzzy"));
        env_cands_free(&c);
        env_grammar_free(&g);
        jitrl_zvm_close(vm);
    }
    jr_free(m);
}

/* The line of verb `w` whose tokens read `shape` (one letter a token: P
 * preposition, O object, N number, T topic), or NULL. */
static const gr_line *line_of(const jitrl_zvm *vm, const env_grammar *g, const char *w, const char *shape)
{
    uint32_t da = jitrl_zvm_dict_lookup(vm, w);
    for (size_t i = 0; i < g->nverbs; i++) {
        if (g->verbs[i].word != da) continue;
        for (size_t li = g->verbs[i].first; li < g->verbs[i].first + g->verbs[i].n; li++) {
            const gr_line *l = &g->lines[li];
            char sh[GR_MAX_TOK + 1];
            for (unsigned t = 0; t < l->ntok; t++)
                sh[t] = "?POTN?"[l->tok[t].kind < 6 ? l->tok[t].kind : 0];
            sh[l->ntok] = 0;
            if (!strcmp(sh, shape)) return l;
        }
    }
    return NULL;
}

/* Inform grammar version 1 (t_gv1.inf, compiled by the build): every
 * token type read into the flags the candidates use. */
static void test_gv1(void)
{
    jitrl_zvm *vm = NULL;
    char err[256];
    jitrl_zvm_options o;
    jitrl_zvm_options_init(&o);
    const char *path = tu_path(tu_build(), "tests/games/t_gv1.z5");
    if (jitrl_zvm_open_file(path, &o, &vm, err, sizeof err)) { CHECK_MSG(0, "%s: %s", path, err); return; }
    env_grammar g;
    CHECK_INT(env_grammar_parse(vm, &g, err, sizeof err), JITRL_OK);
    CHECK_INT(g.kind, GR_INFORM_GV1);
    const gr_line *l;
    CHECK((l = line_of(vm, &g, "take", "O")) && (l->tok[0].flags & GF_MULTI));
    CHECK((l = line_of(vm, &g, "take", "OPO")) && (l->tok[0].flags & GF_INSIDE));
    CHECK((l = line_of(vm, &g, "put", "OPO")) && (l->tok[0].flags & GF_MULTI));
    CHECK((l = line_of(vm, &g, "set", "OPN")) && (l->tok[2].flags & GF_MULTI));   /* special */
    CHECK((l = line_of(vm, &g, "set", "OPN")) != NULL);
    CHECK((l = line_of(vm, &g, "ask", "OPO")) && (l->tok[0].flags & GF_CREATURE));
    CHECK((l = line_of(vm, &g, "eat", "O")) && (l->tok[0].flags & GF_ATTR) && l->tok[0].attr == 1);
    CHECK((l = line_of(vm, &g, "call", "O")) && (l->tok[0].flags & GF_SCOPE));
    CHECK((l = line_of(vm, &g, "find", "O")) && (l->tok[0].flags & GF_ROUTINE) && !(l->tok[0].flags & GF_SCOPE));
    CHECK((l = line_of(vm, &g, "chant", "T")) && (l->tok[0].flags & GF_ROUTINE));
    CHECK(line_of(vm, &g, "wait", "") != NULL);
    /* candidates: a number of the text fills `special` ("set cake to 42") */
    env_noun nouns[2];
    memset(nouns, 0, sizeof nouns);
    for (unsigned ob = 1; ob <= jitrl_zvm_object_count(vm); ob++) {   /* after Inform's 4 class objects */
        char nm[16];
        jitrl_zvm_object_name(vm, ob, nm, sizeof nm);
        if (!strcmp(nm, "cake")) nouns[0].obj = ob;
    }
    CHECK(nouns[0].obj != 0);
    snprintf(nouns[0].phrase, sizeof nouns[0].phrase, "cake");
    nouns[1].kind = EN_NUMBER;
    snprintf(nouns[1].phrase, sizeof nouns[1].phrase, "42");
    env_cands c;
    env_cands_init(&c);
    CHECK_INT(env_generate(&c, vm, &g, nouns, 2), JITRL_OK);
    CHECK(has_cand(&c, "set cake to 42") && has_cand(&c, "eat cake") && !has_cand(&c, "set cake to cake"));
    printf("FIGURE grammar gv1: %zu verbs, %zu lines, %zu candidates\n", g.nverbs, g.nlines, c.n);
    env_cands_free(&c);
    env_grammar_free(&g);
    jitrl_zvm_close(vm);
}

int main(void)
{
    test_gv1();
    test_infocom_new();
    test_fallback();
    return tu_done();
}
