/*
 * zvm_int.h -- the private state of one Z-machine, shared by the files of
 * src/zvm/ only.
 *
 * The whole machine lives in struct jitrl_zvm (mojozork style: one struct,
 * no globals), so many machines run side by side.  The mutable part that a
 * snapshot must capture is kept in a few plain arrays and scalars (dynamic
 * memory, the word stack, the frame stack, `struct zm_regs`) so snapshot and
 * restore are a handful of memcpy calls.
 *
 * Locals live on the word stack just below each frame's evaluation stack
 * (as in most interpreters); a frame records where they start.
 */
#ifndef JITRL_ZVM_INT_H
#define JITRL_ZVM_INT_H

#include "jitrl/zvm.h"
#include "base/buf.h"

#include <stdint.h>
#include <stddef.h>

#define ZM_STACK_WORDS 8192    /* evaluation stack + locals, in words */
#define ZM_MAX_FRAMES 1024     /* routine call depth */
#define ZM_MAX_STREAM3 16      /* §7.1.2.1: nesting depth of output stream 3 */
#define ZM_OUT_MAX (64u << 20) /* cap on buffered main-window text */
#define ZM_PAD 64              /* zero bytes after memory so decoding never overruns */
#define ZM_UNDO_SLOTS 16
#define ZM_SCREEN_ROWS 24
#define ZM_SCREEN_COLS 80

struct zm_frame {
    uint32_t ret_pc;   /* where to continue after return */
    uint16_t fp;       /* stack index of local 1 */
    uint8_t nlocals;
    uint8_t argc;      /* arguments supplied (§15 check_arg_count) */
    int16_t store;     /* variable to store the result in; -1 = discard */
    uint16_t pad;
};

/* One frotz-style window (§8.6-8.7): position, size and cursor are
 * 1-based in screen cells, as frotz keeps them. */
struct zm_win {
    int16_t y_pos, y_size, x_size, y_cursor, x_cursor, line_count;
    uint8_t attribute;    /* 1 wrap, 2 scroll, 8 buffer */
};

#define ZM_TEXTBUF 276      /* frotz's word buffer */
#define ZM_MAX_ROWS 32
#define ZM_MAX_COLS 132
#define ZM_STYLE_CODE 0x8000 /* in the word buffer: the next entry is a style */

/* The screen as dumb frotz keeps it (screen.c): a grid of cells, which of
 * them changed since last shown, and the windows over it.  Part of the
 * snapshot because what is shown next depends on it. */
struct zm_screen {
    uint8_t rows, cols;
    uint8_t cwin;         /* 0 lower, 1 upper, 2 the v3 status line */
    uint8_t wstyle;       /* text style of window 0 (§8.7.1.1: shared) */
    uint8_t os_style;     /* style of the next cell written */
    uint8_t stream1_off, stream3_depth;
    uint8_t cursor_on;
    int16_t cur_row, cur_col;   /* the grid cursor, 0-based */
    struct zm_win win[3];
    uint16_t buf[ZM_TEXTBUF];
    uint16_t buflen, prev_c;
    uint32_t s3_table[ZM_MAX_STREAM3];
    uint16_t s3_len[ZM_MAX_STREAM3];
    uint8_t warned[40];   /* frotz reports each runtime warning once */
    uint8_t rowmap[ZM_MAX_ROWS];  /* logical row -> storage row */
    uint8_t dirty[ZM_MAX_ROWS];   /* storage row may hold a changed non-blank cell */
    uint32_t cell[ZM_MAX_ROWS * ZM_MAX_COLS];   /* char | style << 16 */
    uint8_t changed[ZM_MAX_ROWS * ZM_MAX_COLS];
};

/* Everything scalar that a snapshot carries. */
struct zm_regs {
    uint32_t pc;
    uint32_t sp;          /* number of words on the stack */
    uint32_t nframes;     /* frames[0] is the main routine's */
    uint64_t icount;      /* instructions executed */
    /* frotz-compatible RNG (random.c) */
    uint32_t rng_a;
    int32_t rng_interval, rng_counter;
    /* pending input (§15 read / read_char) */
    int32_t wait;         /* 0 none, JITRL_ZVM_INPUT or JITRL_ZVM_CHAR */
    uint32_t in_text, in_parse;
    int16_t in_store;     /* v5+ store variable of @aread / @read_char, -1 = none */
    uint8_t quit;
    uint8_t nkeys;        /* keys typed ahead for @read_char (dumb frotz reads lines) */
    char keys[62];
    /* a game's @save / @restore dialogue (saveio.c): which question is
     * waiting for its line, the name dfrotz offers, the name to overwrite */
    uint8_t file_op;      /* 0 none, or ZM_FILE_* */
    char file_default[64];
    char file_pending[64];
};

struct jitrl_zvm {
    uint8_t *mem;         /* mem_len bytes + ZM_PAD zero bytes */
    uint32_t mem_len;
    uint8_t *orig;        /* pristine dynamic memory, dyn_size bytes (restart, verify) */
    int version;
    uint32_t dyn_size;    /* static memory base (§1.1) */
    uint32_t high_base;
    uint32_t globals, objects, abbrevs, dict, alphabet, unicode_tab;
    uint32_t routine_off, string_off;  /* v7 offsets, times 8 */
    unsigned pack_shift;
    unsigned obj_count;
    uint32_t obj_base;    /* entry of object 1 (§12.3), after the property defaults */
    unsigned obj_esize;   /* 9 (v1-3) or 14 bytes per object */
    uint32_t story_id;    /* hash of the original header, checked by restore */
    jitrl_zvm_options opt;

    struct zm_regs r;
    uint16_t stack[ZM_STACK_WORDS];
    struct zm_frame frames[ZM_MAX_FRAMES];

    /* Output, not part of snapshots. */
    jr_buf out;           /* lower-window text */
    int oom;              /* output or an undo slot was lost for want of memory: run says so */
    char status[256];     /* v3 status line */
    struct zm_screen scr;
    uint8_t qmark_to_space; /* frotz blanks '?' in input for early Infocom games */
    int halted;
    char err[256];
    char save_dir[1024];  /* sandbox of the game's save files; "" = saving fails */

    /* budget for one run call */
    uint64_t stop_at;
    /* CPU-time bound (ns, 0 = none), the CPU time its runs spent since it
     * was set, and whether a run stopped on it: jitrl_zvm_set_deadline */
    uint64_t cpu_budget_ns, cpu_used_ns;
    int out_of_time;
    uint8_t brk;          /* the loop must stop: halted, waiting or quit */
    /* cached from frames[nframes-1] by zm_sync_frame */
    uint32_t lp, floor;
    unsigned nlocals;

    /* §15 save_undo slots: snapshots, newest last; not part of snapshots */
    uint8_t *undo[ZM_UNDO_SLOTS];
    size_t undo_len[ZM_UNDO_SLOTS], undo_cap[ZM_UNDO_SLOTS];
    unsigned nundo;
};

/* ---- zvm.c ---- */
/* Halt the machine with a message (the PC is appended). */
void zm_fail(jitrl_zvm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int zm_header_init(jitrl_zvm *vm);

/* ---- memory access (bounds-checked; a fault halts the machine) ---- */
static inline uint8_t zm_rb(jitrl_zvm *vm, uint32_t a)
{
    if (a < vm->mem_len) return vm->mem[a];
    zm_fail(vm, "read of byte beyond memory at %#x", (unsigned)a);
    return 0;
}
static inline uint16_t zm_rw(jitrl_zvm *vm, uint32_t a)
{
    if (a + 1 < vm->mem_len) return (uint16_t)(vm->mem[a] << 8 | vm->mem[a + 1]);
    zm_fail(vm, "read of word beyond memory at %#x", (unsigned)a);
    return 0;
}
static inline void zm_wb(jitrl_zvm *vm, uint32_t a, uint8_t v)
{
    if (a < vm->dyn_size) { vm->mem[a] = v; return; }
    zm_fail(vm, "write outside dynamic memory at %#x", (unsigned)a);
}
static inline void zm_ww(jitrl_zvm *vm, uint32_t a, uint16_t v)
{
    if (a + 1 < vm->dyn_size) { vm->mem[a] = (uint8_t)(v >> 8); vm->mem[a + 1] = (uint8_t)v; return; }
    zm_fail(vm, "write outside dynamic memory at %#x", (unsigned)a);
}

/* ---- exec.c ---- */
void zm_reset_machine(jitrl_zvm *vm);   /* registers, stack, PC for a (re)start */
void zm_sync_frame(jitrl_zvm *vm);      /* after frames or sp change outside exec.c */
/* With a deadline set, jitrl_zvm_run reads the clock every this many
 * instructions (about 0.3-1 ms of work; 0.3-1 us of clock reads). */
#define ZM_CLOCK_EVERY 65536u
void zm_execute(jitrl_zvm *vm);         /* run until stop_at, wait, quit or halt */
int zm_finish_read(jitrl_zvm *vm, const char *line);

/* ---- text.c ---- */
/* Decode the Z-string at addr, appending ZSCII to out (cap bytes, always
 * NUL-terminated if cap > 0); returns the address after the string and the
 * decoded length in *n. */
uint32_t zm_decode(jitrl_zvm *vm, uint32_t addr, char *out, size_t cap, size_t *n);
/* Print the Z-string at addr through the output streams; returns the end address. */
uint32_t zm_print_zstring(jitrl_zvm *vm, uint32_t addr);
void zm_encode(jitrl_zvm *vm, const uint8_t *zscii, size_t n, uint8_t *out /* 4 or 6 bytes */);
uint32_t zm_dict_find(jitrl_zvm *vm, uint32_t dict, const uint8_t *word, size_t n);
void zm_tokenise(jitrl_zvm *vm, uint32_t text, uint32_t parse, uint32_t dict, int flag);
unsigned zm_unicode_to_zscii(jitrl_zvm *vm, unsigned uc);
unsigned zm_zscii_to_unicode(jitrl_zvm *vm, unsigned z);

/* ---- objects.c (§12) ---- */
void zm_obj_init(jitrl_zvm *vm);   /* obj_base, obj_esize from the header */
uint32_t zm_obj_addr_fail(jitrl_zvm *vm, unsigned obj);
/* The address of object obj's entry; 0 for object 0 or after a fault.
 * Inline: every attribute test and tree walk starts here. */
static inline uint32_t zm_obj_addr(jitrl_zvm *vm, unsigned obj)
{
    if (obj == 0) return 0;
    uint32_t a = vm->obj_base + (obj - 1) * vm->obj_esize;
    if (obj > 65535 || a + vm->obj_esize > vm->mem_len) return zm_obj_addr_fail(vm, obj);
    return a;
}
unsigned zm_obj_parent(jitrl_zvm *vm, unsigned obj);
unsigned zm_obj_sibling(jitrl_zvm *vm, unsigned obj);
unsigned zm_obj_child(jitrl_zvm *vm, unsigned obj);
int zm_obj_attr(jitrl_zvm *vm, unsigned obj, unsigned attr);
void zm_obj_set_attr(jitrl_zvm *vm, unsigned obj, unsigned attr, int on);
void zm_obj_remove(jitrl_zvm *vm, unsigned obj);
void zm_obj_insert(jitrl_zvm *vm, unsigned obj, unsigned dest);
uint32_t zm_obj_name_addr(jitrl_zvm *vm, unsigned obj);
uint32_t zm_prop_addr(jitrl_zvm *vm, unsigned obj, unsigned prop, unsigned *len);
uint16_t zm_get_prop(jitrl_zvm *vm, unsigned obj, unsigned prop);
void zm_put_prop(jitrl_zvm *vm, unsigned obj, unsigned prop, uint16_t val);
unsigned zm_next_prop(jitrl_zvm *vm, unsigned obj, unsigned prop);
unsigned zm_prop_len(jitrl_zvm *vm, uint32_t data_addr);
unsigned zm_count_objects(jitrl_zvm *vm);

/* ---- screen.c (§7, §8): dumb frotz's screen, so output matches it ---- */
void zm_print_char(jitrl_zvm *vm, unsigned zscii);
void zm_print_zscii(jitrl_zvm *vm, const uint16_t *zscii, size_t n);   /* a run of zm_print_char */
void zm_print_unicode(jitrl_zvm *vm, unsigned uc);   /* §15 print_unicode */
void zm_print_ascii(jitrl_zvm *vm, const char *s);
void zm_new_line(jitrl_zvm *vm);
void zm_output_stream(jitrl_zvm *vm, int n, uint32_t table);
void zm_split_window(jitrl_zvm *vm, unsigned rows);
void zm_set_window(jitrl_zvm *vm, unsigned w);
void zm_erase_window(jitrl_zvm *vm, int w);
void zm_erase_line(jitrl_zvm *vm, unsigned val);
void zm_set_cursor(jitrl_zvm *vm, int row, int col);
void zm_get_cursor(jitrl_zvm *vm, unsigned *row, unsigned *col);
void zm_set_style(jitrl_zvm *vm, unsigned style);
void zm_buffer_mode(jitrl_zvm *vm, unsigned on);
void zm_print_table(jitrl_zvm *vm, uint32_t addr, unsigned width, unsigned height, unsigned skip);
void zm_flush(jitrl_zvm *vm);                       /* the word buffer */
/* Before input: show what changed and the prompt, as dumb frotz does. */
void zm_before_read(jitrl_zvm *vm, int line_input);
/* After a line was read: the typed text joins the screen. */
void zm_after_read(jitrl_zvm *vm, const char *typed, size_t n);
void zm_after_key(jitrl_zvm *vm);
void zm_show_screen_final(jitrl_zvm *vm);          /* at @quit */
void zm_show_status(jitrl_zvm *vm);
void zm_screen_reset(jitrl_zvm *vm);
/* frotz's once-only runtime warnings (object 0 and friends), which it
 * prints into the game text. */
void zm_warn(jitrl_zvm *vm, int code, const char *what);

/* ---- snapshot.c ---- */
int zm_save_undo(jitrl_zvm *vm);      /* 1 on success */
int zm_restore_undo(jitrl_zvm *vm);   /* 1 on success; the machine is then back at the save */
void zm_free_undo(jitrl_zvm *vm);

/* ---- saveio.c: the game's @save / @restore files, bleeps ---- */
enum { ZM_FILE_SAVE = 1, ZM_FILE_RESTORE = 2, ZM_FILE_OVERWRITE = 3 };
void zm_beep(jitrl_zvm *vm, unsigned which);      /* @sound_effect 1 or 2 */
/* Ask for a file name, as dfrotz does; 0 if there is no sandbox (then the
 * op just fails).  The machine then waits for a line (JITRL_ZVM_INPUT). */
int zm_file_begin(jitrl_zvm *vm, int op);
/* The line for the question waiting: the op's result (0 failed, 1 saved,
 * 2 restored: the machine is then at the save's store/branch byte), or -1
 * when another question was asked (overwrite?) and a line is awaited. */
int zm_file_finish(jitrl_zvm *vm, const char *line, size_t n);

/* ---- random.c ---- */
void zm_rng_seed(jitrl_zvm *vm, int32_t value);
uint16_t zm_rng_next(jitrl_zvm *vm, int16_t range);

#endif
