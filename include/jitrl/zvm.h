/*
 * zvm.h -- jitrl's own Z-machine (story versions 3, 4, 5, 7 and 8).
 *
 * One jitrl_zvm handle holds a whole machine: memory, stacks, PC, RNG,
 * output and pending input.  There is no global state, so any number of
 * machines run side by side in one process (not one handle from two threads
 * at once).
 *
 * Ownership: a returned `const char *` or `const uint8_t *` is borrowed and
 * valid until the next call that runs, feeds, restores or closes that
 * handle.  Buffers passed in are the caller's.  Every fallible call returns
 * a jitrl_rc; on failure jitrl_zvm_errmsg() says why (with the PC for
 * runtime faults) and, unless the call says otherwise, the machine is left
 * halted (further run calls return JITRL_ESTATE).
 */
#ifndef JITRL_ZVM_H
#define JITRL_ZVM_H

#include <stddef.h>
#include <stdint.h>

#include "jitrl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_zvm jitrl_zvm;

typedef struct jitrl_zvm_options {
    size_t size;          /* sizeof the struct the caller was built with: set by _init */
    /* frotz-compatible RNG seed, exactly as `dfrotz -s N` (so 0 means the
     * generator state 0, as `dfrotz -s 0` does, and is reproducible). */
    int32_t seed;
    /* Screen geometry (header and screen model); 0 = dfrotz defaults (80x24);
     * clamped to 2..32 rows and 10..132 columns. */
    uint16_t screen_width, screen_height;
    /* Nonzero: ignore `seed` and seed from the clock, like frotz without -s. */
    uint8_t seed_from_time;
    /* The game's own @save / @restore (not snapshots): NULL or "" = they
     * fail, as a game sees a failed save.  Otherwise the directory the
     * save files live in (copied at open; at most 1023 bytes, else open
     * fails with JITRL_EINVAL): the machine asks for a file name as dfrotz
     * does ("Please enter a filename [NAME]: ", then waits at
     * JITRL_ZVM_INPUT for the line; an existing file needs "y" to
     * "Overwrite existing file? "), writes and reads Quetzal files, and
     * refuses names with '/', '\\', a leading '.' or control characters. */
    const char *save_dir;
    /* The name offered first (NULL: the story file's name with .qzl, as
     * dfrotz offers, or "story.qzl" for jitrl_zvm_open_buffer); at most
     * 63 bytes. */
    const char *save_name;
} jitrl_zvm_options;

/* Fill *opt with the defaults: size set, every other field 0 / NULL (seed
 * 0, 80x24 screen, no save directory).  Cannot fail. */
JITRL_API void jitrl_zvm_options_init(jitrl_zvm_options *opt);

/* Why jitrl_zvm_run() returned. */
typedef enum jitrl_zvm_stop {
    JITRL_ZVM_INPUT = 1,   /* waiting for a line (@read / @sread) */
    JITRL_ZVM_CHAR = 2,    /* waiting for one key (@read_char) */
    JITRL_ZVM_QUIT = 3,    /* @quit, or returned from the main routine */
    JITRL_ZVM_BUDGET = 4,  /* the instruction budget ran out; run again to go on */
    JITRL_ZVM_HALT = 5,    /* halted on an error; see jitrl_zvm_errmsg */
} jitrl_zvm_stop;

/* Open a story.  The bytes are copied; the caller's buffer may be freed at
 * once.  opt: NULL for the defaults, or filled by jitrl_zvm_options_init
 * first (a size out of range gives JITRL_EINVAL).  Errors: JITRL_ECORRUPT (truncated/bad header), JITRL_EUNSUPPORTED
 * (version 1, 2, 6 or >8), JITRL_EIO, JITRL_ENOMEM.  On error *out is NULL
 * and, if errmsg is non-NULL, a static or caller-owned message is written
 * to errmsg[0..errlen). */
JITRL_API int jitrl_zvm_open_buffer(const uint8_t *story, size_t len, const jitrl_zvm_options *opt,
                          jitrl_zvm **out, char *errmsg, size_t errlen);
JITRL_API int jitrl_zvm_open_file(const char *path, const jitrl_zvm_options *opt, jitrl_zvm **out,
                        char *errmsg, size_t errlen);
JITRL_API void jitrl_zvm_close(jitrl_zvm *vm);      /* NULL is a no-op */

JITRL_API const char *jitrl_zvm_errmsg(const jitrl_zvm *vm);

/* Execute up to `budget` instructions (0 = a default of 10 million).
 * Returns JITRL_OK with *stop set, or an error (and *stop = HALT).
 * JITRL_ENOMEM: the machine ran on, but output (or an undo slot) was lost
 * for want of memory, so what it printed is short; restore to retry. */
JITRL_API int jitrl_zvm_run(jitrl_zvm *vm, uint64_t budget, jitrl_zvm_stop *stop);

/* A time bound as well as the instruction budget (a story that loops
 * without asking for input): from now on, until the next call, the runs
 * of this machine may spend `ms` milliseconds of CPU time in all (the
 * running thread's CPU clock, read at each jitrl_zvm_run's start and every
 * 65536 instructions; time spent waiting for a core on a loaded machine
 * does not count, so the bound depends on the story, not on the load).
 * Past it, jitrl_zvm_run returns JITRL_OK with *stop = JITRL_ZVM_BUDGET
 * (resumable, like the instruction budget) and jitrl_zvm_out_of_time() =
 * 1.  ms = 0 clears the bound (the default: no clock reads).  The bound
 * lives in the handle: no global state, and it does not go into
 * snapshots. */
JITRL_API void jitrl_zvm_set_deadline(jitrl_zvm *vm, uint64_t ms);
/* 1 if a run stopped on the deadline since it was last set, else 0. */
JITRL_API int jitrl_zvm_out_of_time(const jitrl_zvm *vm);

/* Feed one line of input (no newline needed; one is accepted) to a machine
 * stopped at JITRL_ZVM_INPUT, or its first character to one stopped at
 * JITRL_ZVM_CHAR (an empty line sends Return; the rest of the line is kept
 * as typed-ahead keys for the next @read_char calls, as dumb frotz reads
 * keys, and dropped by the next line read).  The line joins the screen
 * model as dfrotz shows typed text (not echoed into the output).  Does not
 * run: call jitrl_zvm_run next.  JITRL_ESTATE if the machine is not
 * waiting; JITRL_EVM if storing the line faulted (machine halted). */
JITRL_API int jitrl_zvm_input(jitrl_zvm *vm, const char *line);

/* Text produced since the last clear, exactly as `dfrotz -m -p -q` would
 * have printed it (UTF-8; upper-window text where dfrotz shows it; rows are
 * shown when input is requested, as dfrotz does), and the version 3 status
 * line (location, score/moves or time) as plain text, as last drawn. */
JITRL_API const char *jitrl_zvm_output(const jitrl_zvm *vm, size_t *len);
JITRL_API void jitrl_zvm_clear_output(jitrl_zvm *vm);
JITRL_API const char *jitrl_zvm_status_line(const jitrl_zvm *vm);

/* Instructions executed since open (snapshots restore it). */
JITRL_API uint64_t jitrl_zvm_instructions(const jitrl_zvm *vm);

/* Snapshots: the complete machine state (dynamic memory, stacks, PC, RNG,
 * pending input and typed-ahead keys, output streams and the screen model;
 * not the output text, not the @save_undo slots, which a restore clears).
 * The buffer is the caller's; a snapshot never aliases live memory.
 * snapshot_size gives an upper bound that holds for the life of the handle;
 * JITRL_ETOOBIG if cap is smaller than this snapshot needs. */
JITRL_API size_t jitrl_zvm_snapshot_size(const jitrl_zvm *vm);
JITRL_API int jitrl_zvm_snapshot(const jitrl_zvm *vm, void *buf, size_t cap, size_t *len);
/* Restores a snapshot taken from this handle or one opened on the same
 * story.  JITRL_ECORRUPT if it does not fit; the machine is then unchanged. */
JITRL_API int jitrl_zvm_restore(jitrl_zvm *vm, const void *buf, size_t len);

/* 64-bit world-state hash: object tree (parent/sibling/child), attributes
 * and property tables of every object, plus optional extra memory ranges
 * [addr, addr+len). */
typedef struct jitrl_zvm_range { uint32_t addr, len; } jitrl_zvm_range;
JITRL_API uint64_t jitrl_zvm_hash(const jitrl_zvm *vm, const jitrl_zvm_range *extra, size_t n_extra);

/* ---- Read access (no side effects) ---- */
JITRL_API int jitrl_zvm_version(const jitrl_zvm *vm);
/* The whole current memory image (dynamic memory live, rest static). */
JITRL_API const uint8_t *jitrl_zvm_memory(const jitrl_zvm *vm, size_t *len);
JITRL_API uint16_t jitrl_zvm_read_word(const jitrl_zvm *vm, uint32_t addr);  /* 0 when out of range */
JITRL_API uint8_t jitrl_zvm_read_byte(const jitrl_zvm *vm, uint32_t addr);   /* 0 when out of range */
JITRL_API uint16_t jitrl_zvm_global(const jitrl_zvm *vm, unsigned n);        /* global variable n (0..239) */

/* Objects are numbered 1..jitrl_zvm_object_count().  Out-of-range numbers
 * give 0 / empty. */
JITRL_API unsigned jitrl_zvm_object_count(const jitrl_zvm *vm);
JITRL_API unsigned jitrl_zvm_parent(const jitrl_zvm *vm, unsigned obj);
JITRL_API unsigned jitrl_zvm_sibling(const jitrl_zvm *vm, unsigned obj);
JITRL_API unsigned jitrl_zvm_child(const jitrl_zvm *vm, unsigned obj);
JITRL_API int jitrl_zvm_attr(const jitrl_zvm *vm, unsigned obj, unsigned attr);
/* Short name decoded to ZSCII/Latin-1 text into buf (always terminated);
 * returns the full length. */
JITRL_API size_t jitrl_zvm_object_name(const jitrl_zvm *vm, unsigned obj, char *buf, size_t cap);
/* Property data: address and length of property `prop` of obj, or 0 if the
 * object lacks it.  Iterate with prop = 0 for the first, then next_prop. */
JITRL_API uint32_t jitrl_zvm_prop_addr(const jitrl_zvm *vm, unsigned obj, unsigned prop, unsigned *len);
JITRL_API unsigned jitrl_zvm_next_prop(const jitrl_zvm *vm, unsigned obj, unsigned prop);

/* Dictionary: entries 0..count-1, in the table's order. */
JITRL_API unsigned jitrl_zvm_dict_count(const jitrl_zvm *vm);
JITRL_API uint32_t jitrl_zvm_dict_entry(const jitrl_zvm *vm, unsigned i);    /* byte address of entry i */
JITRL_API size_t jitrl_zvm_dict_word(const jitrl_zvm *vm, unsigned i, char *buf, size_t cap);
/* Address of the dictionary entry matching `word` (lower case, truncated as
 * the tokenizer would), or 0. */
JITRL_API uint32_t jitrl_zvm_dict_lookup(const jitrl_zvm *vm, const char *word);
/* Decode the Z-string at byte address addr into buf; returns its length. */
JITRL_API size_t jitrl_zvm_decode_text(const jitrl_zvm *vm, uint32_t addr, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
