/*
 * state.c -- reading the world from the Z-machine: where the object tree,
 * property tables and globals lie (the region valid-action tests compare),
 * which property holds an object's dictionary words, who the player is,
 * what to call an object so the game's parser understands it, and the
 * structured state text (location, inventory, visible objects).
 *
 * Nothing here knows a particular game: the name property is found by
 * looking for the property whose data are dictionary addresses on most
 * objects, and the location is global 0 (the status-line location in
 * version 3, Inform's `location` in every version).
 */
#include "env/zgame/env_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static unsigned max_prop(const jitrl_zvm *vm) { return jitrl_zvm_version(vm) <= 3 ? 31 : 63; }

static void find_local_globals(const jitrl_zvm *vm, env_world *w);

uint32_t env_obj_entry(const jitrl_zvm *vm, unsigned o, unsigned *esize, unsigned *links, unsigned *llen)
{
    int v3 = jitrl_zvm_version(vm) <= 3;
    *esize = v3 ? 9 : 14;
    *links = v3 ? 4 : 6;
    *llen = v3 ? 3 : 6;
    return jitrl_zvm_read_word(vm, 0x0a) + (v3 ? 62 : 126) + (o - 1) * *esize;
}

static uint32_t prop_table(const jitrl_zvm *vm, unsigned obj)
{
    unsigned esize, links, llen;
    uint32_t e = env_obj_entry(vm, obj, &esize, &links, &llen);
    return jitrl_zvm_read_word(vm, e + links + llen);
}

static int all_dict_words(const jitrl_zvm *vm, const env_grammar *g, uint32_t a, unsigned len)
{
    if (len == 0 || len % 2) return 0;
    for (unsigned i = 0; i < len; i += 2)
        if (!env_dict_is_entry(g, jitrl_zvm_read_word(vm, a + i))) return 0;
    return 1;
}

/* Is byte b the value of some adjective in the dictionary (Infocom)? */
static int is_adj_number(const jitrl_zvm *vm, const env_grammar *g, unsigned b)
{
    for (uint32_t a = g->dict_start; a < g->dict_end; a += g->entry_len) {
        unsigned fl = jitrl_zvm_read_byte(vm, a + g->text_len);
        if (!(fl & 0x20)) continue;
        unsigned val = (fl & 3) == 2 ? jitrl_zvm_read_byte(vm, a + g->text_len + 1)
                                     : jitrl_zvm_read_byte(vm, a + g->text_len + 2);
        if (val == b) return 1;
    }
    return 0;
}

void env_world_init(const jitrl_zvm *vm, const env_grammar *g, env_world *w)
{
    memset(w, 0, sizeof *w);
    w->nobj = jitrl_zvm_object_count(vm);
    unsigned np = max_prop(vm);
    unsigned counts[64] = {0}, adj[64] = {0};
    uint32_t hi = 0;
    for (unsigned o = 1; o <= w->nobj; o++) {
        for (unsigned p = jitrl_zvm_next_prop(vm, o, 0), guard = 0; p && guard < 64;
             p = jitrl_zvm_next_prop(vm, o, p), guard++) {
            unsigned len = 0;
            uint32_t a = jitrl_zvm_prop_addr(vm, o, p, &len);
            if (!a || p > np) continue;
            if (a + len > hi) hi = a + len;
            if (g->entry_len && all_dict_words(vm, g, a, len)) counts[p]++;
            if (g->kind == GR_INFOCOM || g->kind == GR_INFOCOM_VAR) {
                int ok = len > 0;
                for (unsigned i = 0; ok && i < len && i < 8; i++)
                    ok = is_adj_number(vm, g, jitrl_zvm_read_byte(vm, a + i));
                if (ok) adj[p]++;
            }
        }
        uint32_t pt = prop_table(vm, o);
        if (pt + 1 > hi) hi = pt + 1;
    }
    for (unsigned p = 1; p <= np; p++)
        if (counts[p] > counts[w->name_prop]) w->name_prop = p;
    for (unsigned p = 1; p <= np; p++)
        if (p != w->name_prop && adj[p] > adj[w->adj_prop] && adj[p] >= 3) w->adj_prop = p;
    uint32_t dyn = jitrl_zvm_read_word(vm, 0x0e);
    w->glob_lo = jitrl_zvm_read_word(vm, 0x0c);
    w->glob_hi = w->glob_lo + 480 < dyn ? w->glob_lo + 480 : dyn;
    if (w->glob_hi < w->glob_lo) w->glob_hi = w->glob_lo;
    /* property tables may run past the globals (Inform 5): split there */
    w->obj_lo = jitrl_zvm_read_word(vm, 0x0a);
    uint32_t end = hi + 1 < dyn ? hi + 1 : dyn;
    if (end < w->obj_lo) end = w->obj_lo;
    w->obj_hi = end;
    if (w->glob_lo >= w->obj_lo && w->glob_lo < end) {
        w->obj_hi = w->glob_lo;
        if (end > w->glob_hi) { w->obj2_lo = w->glob_hi; w->obj2_hi = end; }
    }
    w->inform = g->kind == GR_INFORM_GV1 || g->kind == GR_INFORM_GV2;
    w->player = env_find_player(vm, w);
    if (!w->inform && w->nobj <= 255) find_local_globals(vm, w);
}

/* The byte-list property of rooms naming objects that share one parent
 * (LOCAL-GLOBALS) which is not in the rooms' own container: the pair
 * (property, parent) that most rooms agree on, if at least three do. */
static void find_local_globals(const jitrl_zvm *vm, env_world *w)
{
    unsigned np = max_prop(vm);
    unsigned best_n = 0;
    /* candidate parents come from the property data itself, so count per
     * (property, parent) in a small table */
    enum { SLOTS = 256 };
    struct { unsigned prop, parent, n; } tab[SLOTS];
    size_t nt = 0;
    for (unsigned o = 1; o <= w->nobj; o++) {
        unsigned op = jitrl_zvm_parent(vm, o);
        for (unsigned p = jitrl_zvm_next_prop(vm, o, 0), guard = 0; p && guard < 64;
             p = jitrl_zvm_next_prop(vm, o, p), guard++) {
            if (p > np || p == w->name_prop || p == w->adj_prop) continue;
            unsigned len = 0;
            uint32_t a = jitrl_zvm_prop_addr(vm, o, p, &len);
            if (!a || len < 2 || len > 32) continue;
            /* the parent most bytes share, which must hold at least half */
            unsigned par = 0, same = 0, objs = 0;
            for (unsigned i = 0; i < len; i++) {
                unsigned b = jitrl_zvm_read_byte(vm, a + i);
                if (!b || b > w->nobj) break;
                objs++;
                unsigned bp = jitrl_zvm_parent(vm, b), c = 0;
                for (unsigned k = 0; k < len; k++) {
                    unsigned b2 = jitrl_zvm_read_byte(vm, a + k);
                    c += b2 && b2 <= w->nobj && jitrl_zvm_parent(vm, b2) == bp;
                }
                if (c > same) { same = c; par = bp; }
            }
            if (objs != len || !par || par == op || par == o || same * 2 < len) continue;
            size_t k = 0;
            while (k < nt && (tab[k].prop != p || tab[k].parent != par)) k++;
            if (k == nt) {
                if (nt == SLOTS) continue;
                tab[nt].prop = p;
                tab[nt].parent = par;
                tab[nt++].n = 0;
            }
            if (++tab[k].n > best_n) {
                best_n = tab[k].n;
                w->global_prop = p;
                w->local_globals = par;
            }
        }
    }
    if (best_n < 3) w->global_prop = w->local_globals = 0;
}

size_t env_local_globals(const jitrl_zvm *vm, const env_world *w, unsigned loc, unsigned *out, size_t max)
{
    if (!w->global_prop || !loc) return 0;
    unsigned len = 0;
    uint32_t a = jitrl_zvm_prop_addr(vm, loc, w->global_prop, &len);
    size_t n = 0;
    for (unsigned i = 0; a && i < len && n < max; i++) {
        unsigned b = jitrl_zvm_read_byte(vm, a + i);
        if (b && b <= w->nobj) out[n++] = b;
    }
    return n;
}

/* Version 3 Infocom games keep the location in global 0 (the status line
 * reads it).  Inform's `location` may be the darkness pseudo-room, and its
 * global number varies, so there the location is the player's outermost
 * container. */
unsigned env_location(const jitrl_zvm *vm, const env_world *w)
{
    if (w->inform && w->player) {
        unsigned o = w->player, guard = 0;
        while (jitrl_zvm_parent(vm, o) && guard++ <= w->nobj) o = jitrl_zvm_parent(vm, o);
        if (o != w->player) return o;
    }
    unsigned loc = jitrl_zvm_global(vm, 0);
    return loc <= jitrl_zvm_object_count(vm) ? loc : 0;
}

int env_inside(const jitrl_zvm *vm, unsigned obj, unsigned anc, unsigned nobj)
{
    for (unsigned guard = 0; obj && guard <= nobj; guard++) {
        obj = jitrl_zvm_parent(vm, obj);
        if (obj == anc) return 1;
    }
    return 0;
}

int env_obj_has_word(const jitrl_zvm *vm, const env_world *w, unsigned obj, uint32_t word)
{
    if (!w->name_prop || !word) return 0;
    unsigned len = 0;
    uint32_t a = jitrl_zvm_prop_addr(vm, obj, w->name_prop, &len);
    for (unsigned i = 0; a && i + 1 < len + 1 && i < len; i += 2)
        if (jitrl_zvm_read_word(vm, a + i) == word) return 1;
    return 0;
}

/* Is `word` (a dictionary address) one of obj's adjectives (Infocom)? */
static int obj_has_adj(const jitrl_zvm *vm, const env_grammar *g, const env_world *w, unsigned obj,
                       uint32_t word)
{
    if (!w->adj_prop || !word) return 0;
    unsigned fl = jitrl_zvm_read_byte(vm, word + g->text_len);
    if (!(fl & 0x20)) return 0;
    unsigned val = (fl & 3) == 2 ? jitrl_zvm_read_byte(vm, word + g->text_len + 1)
                                 : jitrl_zvm_read_byte(vm, word + g->text_len + 2);
    unsigned len = 0;
    uint32_t a = jitrl_zvm_prop_addr(vm, obj, w->adj_prop, &len);
    for (unsigned i = 0; a && i < len; i++)
        if (jitrl_zvm_read_byte(vm, a + i) == val) return 1;
    return 0;
}

/* A dictionary adjective of obj (Infocom), preferring the longest that
 * begins a word of its short name ("south" for "southern wall"); 0 if
 * none. */
static int adj_word(const jitrl_zvm *vm, const env_grammar *g, const env_world *w, unsigned obj,
                    char words[][32], size_t nwords, char *out, size_t cap)
{
    unsigned len = 0;
    uint32_t a = w->adj_prop ? jitrl_zvm_prop_addr(vm, obj, w->adj_prop, &len) : 0;
    int found = 0;
    size_t best = 0;   /* the longest prefix of a short-name word ("south", not "s") */
    out[0] = 0;
    for (uint32_t d = g->dict_start; a && d < g->dict_end && g->entry_len; d += g->entry_len) {
        unsigned fl = jitrl_zvm_read_byte(vm, d + g->text_len);
        if (!(fl & 0x20)) continue;
        unsigned val = (fl & 3) == 2 ? jitrl_zvm_read_byte(vm, d + g->text_len + 1)
                                     : jitrl_zvm_read_byte(vm, d + g->text_len + 2);
        int mine = 0;
        for (unsigned i = 0; i < len && !mine; i++) mine = jitrl_zvm_read_byte(vm, a + i) == val;
        if (!mine) continue;
        char txt[32];
        jitrl_zvm_decode_text(vm, d, txt, sizeof txt);
        if (!isalpha((unsigned char)txt[0])) continue;
        size_t tl = strlen(txt), prefix = 0;
        for (size_t i = 0; i < nwords && !prefix; i++) prefix = strncmp(words[i], txt, tl) ? 0 : tl;
        if (!found || prefix > best) {
            snprintf(out, cap, "%s", txt);
            best = prefix;
        }
        found = 1;
    }
    return found;
}

/* Another of obj's name words that no object in `others` answering to
 * `noun` has ("silver" for the player's coin among the bronze and gold
 * ones); 0 if none. */
static int name_word(const jitrl_zvm *vm, const env_world *w, unsigned obj, uint32_t noun, const unsigned *others,
                     size_t nothers, char *out, size_t cap)
{
    unsigned len = 0;
    uint32_t a = w->name_prop ? jitrl_zvm_prop_addr(vm, obj, w->name_prop, &len) : 0;
    for (unsigned k = 0; a && k + 1 < len; k += 2) {
        uint32_t wd = jitrl_zvm_read_word(vm, a + k);
        if (wd == noun) continue;
        int shared = 0;
        for (size_t i = 0; i < nothers && !shared; i++)
            shared = others[i] != obj && env_obj_has_word(vm, w, others[i], noun) &&
                     env_obj_has_word(vm, w, others[i], wd);
        if (shared) continue;
        jitrl_zvm_decode_text(vm, wd, out, cap);
        if (isalpha((unsigned char)out[0])) return 1;
    }
    return 0;
}

static const char *const player_words[] = {"me", "myself", "self", "yourself", "cretin", "adventurer", NULL};

unsigned env_find_player(const jitrl_zvm *vm, const env_world *w)
{
    unsigned loc = w->inform ? 0 : env_location(vm, w);
    if (!loc && !w->inform) return 0;
    uint32_t words[8];
    size_t nw = 0;
    for (int i = 0; player_words[i] && nw < 8; i++) {
        uint32_t a = jitrl_zvm_dict_lookup(vm, player_words[i]);
        if (a) words[nw++] = a;
    }
    unsigned best = 0;
    for (unsigned o = 1; o <= w->nobj; o++) {
        if (loc ? !env_inside(vm, o, loc, w->nobj) : !jitrl_zvm_parent(vm, o)) continue;
        char name[64];
        jitrl_zvm_object_name(vm, o, name, sizeof name);
        if (!strcmp(name, "yourself") || !strcmp(name, "(self object)") || !strcmp(name, "cretin") ||
            !strcmp(name, "you") || !strcmp(name, "self"))
            return o;
        for (size_t i = 0; i < nw && !best; i++)
            if (env_obj_has_word(vm, w, o, words[i]) && (w->inform || jitrl_zvm_child(vm, o))) best = o;
    }
    return best;
}

/* Split an object's short name into lower-case words. */
static size_t split_words(const char *name, char words[][32], size_t max)
{
    size_t n = 0;
    const char *p = name;
    while (*p && n < max) {
        while (*p && !isalnum((unsigned char)*p) && *p != '-' && *p != '\'') p++;
        size_t k = 0;
        while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == '\'')) {
            if (k < 31) words[n][k++] = (char)tolower((unsigned char)*p);
            p++;
        }
        if (k) { words[n][k] = 0; n++; }
    }
    return n;
}

int env_obj_phrase(const jitrl_zvm *vm, const env_grammar *g, const env_world *w, unsigned obj,
                   const unsigned *others, size_t nothers, char *buf, size_t cap)
{
    char name[128], words[12][32];
    buf[0] = 0;
    jitrl_zvm_object_name(vm, obj, name, sizeof name);
    size_t n = split_words(name, words, 12);
    uint32_t addr[12];
    int noun = -1;
    for (size_t i = 0; i < n; i++) {
        addr[i] = jitrl_zvm_dict_lookup(vm, words[i]);
        if (env_obj_has_word(vm, w, obj, addr[i])) noun = (int)i;
    }
    if (noun < 0) {
        /* the short name does not parse: fall back on the first name word */
        unsigned len = 0;
        uint32_t a = w->name_prop ? jitrl_zvm_prop_addr(vm, obj, w->name_prop, &len) : 0;
        if (!a || len < 2) {
            /* no name property: the game parses the name itself
             * (parse_name); the short name's last dictionary word is the
             * likeliest noun ("horse") */
            for (size_t i = n; i-- > 0;)
                if (addr[i] && isalpha((unsigned char)words[i][0])) {
                    snprintf(buf, cap, "%s", words[i]);
                    return 1;
                }
            return 0;
        }
        uint32_t wd = jitrl_zvm_read_word(vm, a);
        jitrl_zvm_decode_text(vm, wd, buf, cap);
        return buf[0] != 0 && isalpha((unsigned char)buf[0]);
    }
    /* does another object in scope answer to the same noun? */
    int clash = 0;
    for (size_t i = 0; i < nothers && !clash; i++)
        if (others[i] != obj && env_obj_has_word(vm, w, others[i], addr[noun])) clash = 1;
    size_t start = (size_t)noun;
    if (clash) {
        while (start > 0 && (env_obj_has_word(vm, w, obj, addr[start - 1]) ||
                             obj_has_adj(vm, g, w, obj, addr[start - 1])) &&
               (size_t)noun - start < 2)
            start--;
        /* no word of the short name tells them apart ("northern" reads
         * as "northe", a direction, in a six-letter dictionary): take one
         * of the object's own adjectives */
        char adj[32];
        if (start == (size_t)noun && (name_word(vm, w, obj, addr[noun], others, nothers, adj, sizeof adj) ||
                                      adj_word(vm, g, w, obj, words, n, adj, sizeof adj))) {
            int k = snprintf(buf, cap, "%s %s", adj, words[noun]);
            return k > 0 && (size_t)k < cap;
        }
    }
    size_t off = 0;
    for (size_t i = start; i <= (size_t)noun; i++) {
        int k = snprintf(buf + off, cap - off, "%s%s", off ? " " : "", words[i]);
        if (k < 0 || (size_t)k >= cap - off) break;
        off += (size_t)k;
    }
    return off > 0;
}

static int list_children(const jitrl_zvm *vm, const env_world *w, unsigned parent, unsigned skip,
                         jr_buf *b, int depth)
{
    int any = 0;
    unsigned guard = 0;
    for (unsigned o = jitrl_zvm_child(vm, parent); o && guard <= w->nobj; o = jitrl_zvm_sibling(vm, o), guard++) {
        if (o == skip) continue;
        char name[128];
        jitrl_zvm_object_name(vm, o, name, sizeof name);
        if (!name[0]) continue;
        if (any) jr_buf_puts(b, ", ");
        jr_buf_puts(b, name);
        any = 1;
        if (depth < 2 && jitrl_zvm_child(vm, o)) {
            size_t mark = b->len;
            jr_buf_puts(b, " (");
            if (list_children(vm, w, o, skip, b, depth + 1)) jr_buf_puts(b, ")");
            else { b->len = mark; if (b->data) b->data[mark] = 0; }
        }
    }
    return any;
}

int env_state_text(const jitrl_zvm *vm, const env_world *w, jr_buf *loc, jr_buf *inv, jr_buf *vis)
{
    jr_buf_reset(loc);
    jr_buf_reset(inv);
    jr_buf_reset(vis);
    unsigned l = env_location(vm, w);
    char name[128] = "";
    if (l) jitrl_zvm_object_name(vm, l, name, sizeof name);
    jr_buf_puts(loc, name[0] ? name : "unknown");
    if (!w->player || !list_children(vm, w, w->player, 0, inv, 0)) jr_buf_puts(inv, "nothing");
    if (!l || !list_children(vm, w, l, w->player, vis, 0)) jr_buf_puts(vis, "nothing");
    return JITRL_OK;
}
