/*
 * env_int.h -- internals shared by the environment's files: facts.c (known
 * games), grammar.c (the game's parser tables), state.c (object tree reading
 * and naming), candidates.c (the commands worth trying, candidates.h),
 * actions*.c (running and judging them: valid actions; actions_int.h is
 * their private header) and env_zgame.c (the handle).
 *
 * Everything here is library-internal (env_ prefix); the public contract is
 * include/jitrl/zgame.h.
 */
#ifndef JITRL_ENV_INT_H
#define JITRL_ENV_INT_H

#include "jitrl/zgame.h"
#include "jitrl/zvm.h"
#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

/* A turn's time limit (CPU time), as well as its instruction budget: one
 * command run to the next input (reset, step), or one state's valid
 * actions (all its candidates together), gets at most ENV_TURN_MS
 * milliseconds (jitrl_zvm_set_deadline; the clock is read every 65536
 * instructions).  A story that loops without asking for input then ends
 * its episode with JITRL_EBUDGET after 5 s, where the instruction budgets
 * alone let one turn of valid actions run 16-23 s (41-116 s under ASan).
 * Real turns take milliseconds (zork1's slowest cold valid actions: well
 * under a second under ASan), so the limit never decides a normal run. */
#define ENV_TURN_MS 5000

/* Drop the machine's pending output.  Reading it first makes the screen
 * model flush its rows, so no half-written row leaks into the next turn. */
static inline void env_clear_output(jitrl_zvm *vm)
{
    size_t n;
    (void)jitrl_zvm_output(vm, &n);
    jitrl_zvm_clear_output(vm);
}

/* ---- env_log.c: debugging output (jitrl_zgame_options.log) ---- */

typedef struct env_log {
    unsigned mask;   /* JITRL_ZGAME_LOG_* kinds wanted */
    void (*fn)(void *ctx, unsigned kind, const char *line);
    void *ctx;
} env_log;

static inline int env_log_on(const env_log *l, unsigned kind) { return l && l->fn && (l->mask & kind); }
/* One line of the given kind (cut at 4 KB), if it is wanted. */
void env_logf(const env_log *l, unsigned kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- facts.c ---- */

/* Where a number lives in memory: a byte or a big-endian word. */
typedef struct env_loc {
    int kind;        /* 0 none, 1 byte, 2 word */
    uint32_t addr;
} env_loc;

typedef struct env_facts {
    int known;                 /* 1 = found in the facts table */
    char name[64];
    int32_t seed;
    int max_score;
    env_loc score, moves;
    char victory[128], death[128];
    char intro[64];            /* lines separated by '\n' */
    int walk_result;           /* walkthrough_result score, -1 unknown */
} env_facts;

void env_md5(const uint8_t *data, size_t len, uint8_t out[16]);
/* Look the story up by md5; fills *f (known = 0 and defaults if absent). */
void env_facts_lookup(const uint8_t *story, size_t len, env_facts *f);
/* The embedded facts table text (TSV, generated from data/games.tsv). */
extern const char env_facts_tsv[];

/* ---- grammar.c ---- */

/* GR_FALLBACK: no parser table we can read; verbs are dictionary words
 * (grammar.c parse_fallback) */
/* GR_INFOCOM2: Infocom's later format (late v5 games, grammar.c) */
enum { GR_NONE = 0, GR_INFOCOM, GR_INFOCOM_VAR, GR_INFORM_GV1, GR_INFORM_GV2, GR_FALLBACK, GR_INFOCOM2 };

enum { GT_PREP = 1, GT_OBJ, GT_TOPIC, GT_NUMBER, GT_OTHER };
/* object token flags */
#define GF_HELD 0x01       /* must (should) be held */
#define GF_MULTI 0x02      /* accepts "all" */
#define GF_CREATURE 0x04   /* animate */
#define GF_INSIDE 0x08     /* things inside the other noun */
#define GF_ATTR 0x10       /* must have attribute `attr` */
#define GF_FIND 0x20       /* Infocom: prefers attribute `attr` */
#define GF_ROUTINE 0x40    /* noun=Routine / scope=Routine */
#define GF_SCOPE 0x80      /* scope=Routine: the game decides what is in scope */
/* GT_TOPIC / GT_NUMBER: GF_ROUTINE = a general parsing routine (a word or a
 * number, as the game's code reads it); GT_NUMBER with GF_MULTI = `special`
 * (a number or any word) */

#define GR_MAX_TOK 8

typedef struct gr_tok {
    uint8_t kind, flags, attr;
    uint8_t ground;  /* Infocom: looked for on the ground or in the room, never carried */
    uint32_t word;   /* GT_PREP: dictionary address */
} gr_tok;

typedef struct gr_line {
    uint16_t action;
    uint8_t ntok;
    uint8_t nobj;
    gr_tok tok[GR_MAX_TOK];
} gr_line;

typedef struct gr_verb {
    uint32_t word;         /* the dictionary word we print */
    size_t first, n;       /* lines[first .. first+n) */
    int meta;
    int rank;              /* lower = more common verb (candidates try these first) */
} gr_verb;

typedef struct env_grammar {
    int kind;
    gr_verb *verbs;
    size_t nverbs;
    gr_line *lines;
    size_t nlines;
    size_t *order;         /* verb indices, most common first */
    /* dictionary geometry */
    uint32_t dict_start, dict_end;
    unsigned entry_len, text_len;
} env_grammar;

/* Parse the grammar of the story in mem[0..len) (a Z-machine image).
 * Returns JITRL_OK, JITRL_ENOTFOUND (not even a dictionary) or
 * JITRL_ENOMEM; on failure *g is empty.  A story whose parser tables we
 * cannot read gets the GR_FALLBACK grammar, and err says so. */
int env_grammar_parse(const jitrl_zvm *vm, env_grammar *g, char *err, size_t errlen);
void env_grammar_free(env_grammar *g);
/* Dictionary flags byte of the entry at addr (0 if not an entry). */
int env_dict_is_entry(const env_grammar *g, uint32_t addr);

/* ---- state.c ---- */

typedef struct env_world {
    unsigned nobj;
    unsigned name_prop;        /* property listing an object's dictionary words */
    unsigned adj_prop;         /* Infocom: adjective numbers (bytes); 0 none */
    unsigned player;           /* 0 unknown */
    int inform;                /* Inform story: the location is the player's outermost container */
    uint32_t obj_lo, obj_hi;   /* object table + property tables region ... */
    uint32_t obj2_lo, obj2_hi; /* ... and its part after the globals, if any */
    uint32_t glob_lo, glob_hi; /* globals region */
    /* Infocom "local globals": doors, walls and the like live out of the
     * tree under one object; a room's `global_prop` lists (as bytes) the
     * ones in scope there.  0 = none found. */
    unsigned global_prop, local_globals;
} env_world;

void env_world_init(const jitrl_zvm *vm, const env_grammar *g, env_world *w);
unsigned env_location(const jitrl_zvm *vm, const env_world *w);
unsigned env_find_player(const jitrl_zvm *vm, const env_world *w);
/* Is `obj` inside `anc` (any depth)? */
int env_inside(const jitrl_zvm *vm, unsigned obj, unsigned anc, unsigned nobj);
/* A readable noun phrase for obj, unique among `others` if possible. */
int env_obj_phrase(const jitrl_zvm *vm, const env_grammar *g, const env_world *w, unsigned obj,
                   const unsigned *others, size_t nothers, char *buf, size_t cap);
/* Does obj list dictionary word `word` among its names? */
/* Where object o's entry starts (§12.3: after the property defaults), its
 * size, where its tree links start (after the attribute bytes) and how
 * long they are; the property table address follows the links. */
uint32_t env_obj_entry(const jitrl_zvm *vm, unsigned o, unsigned *esize, unsigned *links, unsigned *llen);
int env_obj_has_word(const jitrl_zvm *vm, const env_world *w, unsigned obj, uint32_t word);
/* The local globals in scope at room `loc` into out[0..max); returns the
 * count. */
size_t env_local_globals(const jitrl_zvm *vm, const env_world *w, unsigned loc, unsigned *out, size_t max);
/* Structured state text into the buffers. */
int env_state_text(const jitrl_zvm *vm, const env_world *w, jr_buf *loc, jr_buf *inv, jr_buf *vis);

/* ---- actions.c ---- */

typedef struct env_actions env_actions;
int env_actions_create(const uint8_t *story, size_t len, const jitrl_zvm_options *zopt,
                       const env_grammar *g, const env_world *w, const env_facts *f, int threads,
                       uint64_t budget, env_actions **out, char *err, size_t errlen);
void env_actions_free(env_actions *a);
/* jitrl_zgame_cache (actions_cache.c): take the cache's valid actions for
 * an environment of the story with this md5 (*out NULL: none yet; the
 * caller creates them and gives them back), bound to its grammar, world
 * and facts; JITRL_ESTATE while another handle holds them, JITRL_EINVAL
 * for another story or fast setting (err filled).  give hands them back
 * (NULL: nothing was taken or created). */
int env_cache_take(jitrl_zgame_cache *c, const uint8_t md5[16], int fast, const env_grammar *g,
                   const env_world *w, const env_facts *f, env_actions **out, char *err, size_t errlen);
void env_cache_give(jitrl_zgame_cache *c, env_actions *a);
/* Approximate for speed (jitrl_zgame_options.fast_actions). */
void env_actions_set_fast(env_actions *a, int fast);
/* Where the debugging output goes (copied). */
void env_actions_set_log(env_actions *a, const env_log *log);
/* The globals that count the turns (bit g of out[g / 8]), found by two
 * `wait`s from the state in `vm` (its snapshot `snap`) the first time.
 * JITRL_ENOMEM: not found yet (out is what is known), tried again next
 * time. */
int env_actions_counters(env_actions *a, const jitrl_zvm *vm, const void *snap, size_t snaplen, uint8_t out[32]);
/* Compute (or fetch from the memo) the valid actions for the machine state in
 * `vm` (stopped at input; `snap` is its snapshot) with the last observation
 * text `obs`.  The returned arrays stay valid until the next call. */
int env_actions_get(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen,
                    const char *obs, const char *const **acts, const uint64_t **outcomes, size_t *n,
                    jitrl_zgame_action_stats *st, char *err, size_t errlen);
/* Outcome of one command at the snapshot: *changed and *outcome (0 if not).
 * Returns a negative value when the command taught the noise model a new
 * scratch global (the memo was cleared): recompute the valid actions and
 * call again. */
int env_actions_outcome(env_actions *a, jitrl_zvm *vm, const void *snap, size_t snaplen,
                        const char *obs, const char *cmd, int *changed, uint64_t *outcome);

#endif
