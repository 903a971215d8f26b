/*
 * candidates.h -- the candidate half of valid actions (candidates.c): the
 * nouns the player can refer to at a state, and the commands the game's
 * grammar makes of them.  actions.c runs and judges the commands.
 *
 * Library-internal (env_ prefix).
 */
#ifndef JITRL_CANDIDATES_H
#define JITRL_CANDIDATES_H

#include "env/zgame/env_int.h"

#include <stddef.h>
#include <stdint.h>

#define ENV_MAX_NOUNS 128
#define ENV_EXTRA_CAP 200  /* extra candidates per state (env_cands) */  /* nouns per state: the tree, text nouns, the player, remote nouns */

/* How a noun may be used. */
enum {
    EN_SCOPE = 0,    /* in scope: any slot */
    EN_SELF,         /* the player ("me"): the second slot, scope routines, verb-less lines */
    EN_REMOTE,       /* out of the tree, reached by the game's own scope routines (spells) */
    EN_TOPIC,        /* a word of the text the parser does not resolve: topic slots only */
    EN_NUMBER,       /* a number of the recent text: number and `special` slots */
};

typedef struct env_noun {
    unsigned obj;        /* 0 = a bare word (a number, a text noun) */
    int held;
    int kind;            /* EN_* */
    int in_mind;         /* EN_REMOTE inside an internal-named holder (a spell memorised) */
    int probe;           /* a guessed phrase ("ticket 2306"): asked of the parser even when held */
    int dir;             /* a direction word naming an object (Inform's compass): "push cart east" only */
    int extra;           /* a number or a word naming nothing: its commands are extras (env_cands) */
    char phrase[48];
    char full[64];       /* every dictionary word of the short name, for topics */
} env_noun;

/* The candidate commands of one state, NUL-separated in `text`. */
typedef struct env_cands {
    jr_buf text;
    size_t *off;
    size_t n, alloc;
    size_t cap;          /* candidates allowed in the current pass (extras not counted) */
    size_t over;         /* candidates the cap refused */
    /* extras: commands of the numbers, of the words naming nothing and
     * orders to characters, which take nothing from the others' cap but
     * have ENV_EXTRA_CAP of their own */
    int extra;
    size_t nextra;
    const env_log *log;  /* debugging output of env_generate; NULL = none */
} env_cands;

static inline const char *env_cand(const env_cands *c, size_t i) { return c->text.data + c->off[i]; }
void env_cands_init(env_cands *c);
void env_cands_free(env_cands *c);

/* A set of 64-bit keys (0 is a valid key). */
typedef struct env_keyset {
    uint64_t *k;
    size_t cap, n;
} env_keyset;
/* 1 = added, 0 = already there, -1 = out of memory.  Free k with jr_free. */
int env_keyset_add(env_keyset *s, uint64_t key);

/* The next word of text p, lower-cased into word (length in *k); returns
 * where to go on. */
const char *env_next_word(const char *p, char *word, size_t cap, size_t *k);

/* Collect the nouns the player can refer to at the machine's state into
 * out[0..max): the object tree around the player, then nouns of the last
 * observation `obs` and of the room description `look` that name objects.
 * *text_key hashes the text nouns used.  Returns the count. */
size_t env_collect_nouns(const jitrl_zvm *vm, const env_grammar *g, const env_world *w, const char *obs,
                         const char *look, env_noun *out, size_t max, uint64_t *text_key);

/* The numbers of the last few observations: a name's number ("ticket
 * 2306") is shown once, when the thing is met or taken, and is typed later. */
#define ENV_NUMS_KEPT 4     /* numbers remembered */
#define ENV_NUMS_AGE 4      /* observations a number is remembered for */
typedef struct env_numbers {
    char num[ENV_NUMS_KEPT][8];
    unsigned age[ENV_NUMS_KEPT];
    size_t n;
    uint64_t last;           /* hash of the last text seen: asking again is no new observation */
} env_numbers;
/* Remember obs's numbers (ageing the others) and return obs with the
 * remembered numbers appended (jr_free it), the text env_collect_nouns
 * reads numbers from; NULL when out of memory. */
char *env_numbers_join(env_numbers *m, const char *obs);

/* Does the parser resolve `cmd` (an "examine X")?  1 = it took a turn or
 * changed the world. */
typedef int (*env_noun_probe)(void *ctx, const char *cmd);
/* Keep the nouns the parser resolves here (held ones unasked); returns the
 * new count. */
size_t env_check_nouns(const jitrl_zvm *vm, env_noun *nouns, size_t nn, env_noun_probe probe, void *ctx,
                       const env_log *log);

/* Fill c with the candidate commands: directions, then the grammar's lines
 * with no noun, one noun and two nouns.  Returns JITRL_OK or JITRL_ENOMEM. */
int env_generate(env_cands *c, const jitrl_zvm *vm, const env_grammar *g, const env_noun *nouns, size_t nn);

#endif
