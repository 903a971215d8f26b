/*
 * exec.c -- the interpreter loop: instruction decoding (§4) and the opcodes
 * of §14-15 for versions 3, 4, 5, 7 and 8.
 *
 * Operands are decoded into a small array first, then one dispatch over a
 * dense opcode number (0OP 0x00-0x0f, 1OP 0x10-0x1f, 2OP 0x20-0x3f, VAR
 * 0x40-0x5f, EXT 0x60-0x7f): a table of label addresses with GNU C, a
 * switch otherwise.  The decoder is a short tree of tests on the first byte;
 * a table of per-form decoders reached by a second indirect jump was tried
 * and measured 20-30% slower.  The hot helpers are macros or inline so the
 * decode cursor and the budget stay in registers.  Faults never longjmp:
 * zm_fail() marks the machine halted and the loop stops after the current
 * instruction (a bad operand variable stops it before).  Every loop over
 * game data is bounded; the instruction budget bounds the rest.
 */
#include "zvm/zvm_int.h"

#include <string.h>

/* ---- variables (§4.2.2, §6.3) ---- */

static inline void push(jitrl_zvm *vm, uint16_t v)
{
    if (vm->r.sp >= ZM_STACK_WORDS) {
        zm_fail(vm, "stack overflow");
        return;
    }
    vm->stack[vm->r.sp++] = v;
}

/* The current frame's locals and evaluation-stack floor, cached from
 * frames[nframes-1] (see zm_sync_frame) because every variable access
 * needs them. */
static inline uint16_t pop(jitrl_zvm *vm)
{
    if (vm->r.sp <= vm->floor) {
        zm_fail(vm, "stack underflow");
        return 0;
    }
    return vm->stack[--vm->r.sp];
}

static inline uint16_t read_var(jitrl_zvm *vm, unsigned v)
{
    if (v == 0) return pop(vm);
    if (v < 16) {
        if (v > vm->nlocals) {
            zm_fail(vm, "read of local %u in a routine with %u", v, vm->nlocals);
            return 0;
        }
        return vm->stack[vm->lp + v - 1];
    }
    uint32_t a = vm->globals + 2 * (v - 16);
    return (uint16_t)(vm->mem[a] << 8 | vm->mem[a + 1]);
}

static inline void write_var(jitrl_zvm *vm, unsigned v, uint16_t val)
{
    if (v == 0) { push(vm, val); return; }
    if (v < 16) {
        if (v > vm->nlocals) {
            zm_fail(vm, "write of local %u in a routine with %u", v, vm->nlocals);
            return;
        }
        vm->stack[vm->lp + v - 1] = val;
        return;
    }
    uint32_t a = vm->globals + 2 * (v - 16);
    vm->mem[a] = (uint8_t)(val >> 8);
    vm->mem[a + 1] = (uint8_t)val;
}

/* §6.3.4: indirect variable references to the stack read/write in place. */
static inline uint16_t peek_var(jitrl_zvm *vm, unsigned v)
{
    if (v == 0) {
        if (vm->r.sp == 0) { zm_fail(vm, "stack underflow"); return 0; }
        return vm->stack[vm->r.sp - 1];
    }
    return read_var(vm, v);
}

static inline void poke_var(jitrl_zvm *vm, unsigned v, uint16_t val)
{
    if (v == 0) {
        if (vm->r.sp == 0) { zm_fail(vm, "stack underflow"); return; }
        vm->stack[vm->r.sp - 1] = val;
        return;
    }
    write_var(vm, v, val);
}

/* ---- calls and returns (§6.4, §6.5) ---- */

static inline void sync_frame(jitrl_zvm *vm)
{
    const struct zm_frame *f = &vm->frames[vm->r.nframes - 1];
    vm->lp = f->fp;
    vm->nlocals = f->nlocals;
    vm->floor = (uint32_t)f->fp + f->nlocals;
}

void zm_sync_frame(jitrl_zvm *vm) { sync_frame(vm); }

static uint32_t unpack(const jitrl_zvm *vm, uint16_t p, int routine)
{
    uint32_t a = (uint32_t)p << vm->pack_shift;
    if (vm->version == 7) a += routine ? vm->routine_off : vm->string_off;
    return a;
}

/* store < 0: discard the result.  Returns 0 after a fault. */
static void call_routine(jitrl_zvm *vm, uint16_t packed, const uint16_t *args, unsigned argc, int store)
{
    if (packed == 0) {  /* §6.4.3: calling address 0 returns false */
        if (store >= 0) write_var(vm, (unsigned)store, 0);
        return;
    }
    uint32_t a = unpack(vm, packed, 1);
    if (a >= vm->mem_len) { zm_fail(vm, "call to %#x outside memory", (unsigned)a); return; }
    unsigned nl = vm->mem[a++];
    if (nl > 15) { zm_fail(vm, "routine at %#x declares %u locals", (unsigned)(a - 1), nl); return; }
    if (vm->r.nframes >= ZM_MAX_FRAMES) { zm_fail(vm, "call stack overflow"); return; }
    if (vm->r.sp + nl > ZM_STACK_WORDS) { zm_fail(vm, "stack overflow"); return; }
    /* §6.4.4: in versions 1-4 the initial values follow the header */
    int initial = vm->version <= 4;
    if (initial && a + 2 * nl > vm->mem_len) { zm_fail(vm, "routine header past memory"); return; }
    struct zm_frame *f = &vm->frames[vm->r.nframes++];
    f->ret_pc = vm->r.pc;
    f->fp = (uint16_t)vm->r.sp;
    f->nlocals = (uint8_t)nl;
    f->argc = (uint8_t)argc;
    f->store = (int16_t)store;
    f->pad = 0;   /* frames are copied into snapshots byte for byte */
    uint16_t *loc = vm->stack + vm->r.sp;
    const uint8_t *init = vm->mem + a;
    unsigned i = 0;
    for (; i < nl && i < argc; i++) loc[i] = args[i];
    if (initial) {
        for (; i < nl; i++) loc[i] = (uint16_t)(init[2 * i] << 8 | init[2 * i + 1]);
        a += 2 * nl;
    } else {
        for (; i < nl; i++) loc[i] = 0;
    }
    vm->r.sp += nl;
    vm->r.pc = a;
    sync_frame(vm);
}

/* call_routine with the decode cursor as return address; returns the new cursor */
static inline uint32_t do_call(jitrl_zvm *vm, uint32_t pc, uint16_t packed, const uint16_t *args, unsigned argc, int store_var)
{
    vm->r.pc = pc;
    call_routine(vm, packed, args, argc, store_var);
    return vm->r.pc;
}

static void ret(jitrl_zvm *vm, uint16_t val)
{
    if (vm->r.nframes <= 1) {  /* returning from the main routine ends the game */
        vm->r.quit = 1;
        vm->brk = 1;
        zm_show_screen_final(vm);
        return;
    }
    struct zm_frame *f = &vm->frames[--vm->r.nframes];
    vm->r.sp = f->fp;
    vm->r.pc = f->ret_pc;
    sync_frame(vm);
    if (f->store >= 0) write_var(vm, (unsigned)f->store, val);
}

/* §4.7: branch offsets; 0 and 1 mean return false/true.  Takes the
 * decode cursor and returns the next one. */
static inline uint32_t branch(jitrl_zvm *vm, uint32_t pc, int cond)
{
    uint8_t b = vm->mem[pc++];
    int32_t off;
    if (b & 0x40) {
        off = b & 0x3f;
    } else {
        off = ((b & 0x3f) << 8) | vm->mem[pc++];
        if (off & 0x2000) off -= 0x4000;
    }
    if (((b & 0x80) != 0) != (cond != 0)) return pc;
    if (off == 0 || off == 1) {
        ret(vm, (uint16_t)off);
        return vm->r.pc;
    }
    return (uint32_t)((int32_t)pc + off - 2);
}

void zm_reset_machine(jitrl_zvm *vm)
{
    vm->r.sp = 0;
    vm->r.nframes = 1;
    memset(&vm->frames[0], 0, sizeof vm->frames[0]);
    vm->frames[0].store = -1;
    vm->r.pc = (uint32_t)(vm->mem[6] << 8 | vm->mem[7]);
    zm_sync_frame(vm);
    vm->r.wait = 0;
    vm->r.quit = 0;
    vm->r.nkeys = 0;
    zm_rng_seed(vm, 0);
}

/* ---- input (§15 read, read_char) ---- */

/* The line answering a @save / @restore question: finish the op as §15
 * says (v3 branch on success, v4+ store 0, 1 or 2) at the PC it waited at,
 * which after a restore is the save's. */
static void file_done(jitrl_zvm *vm, const char *line, size_t n)
{
    int res = zm_file_finish(vm, line, n);
    if (res < 0) return;   /* another question: the machine still waits */
    vm->r.wait = 0;
    uint32_t pc = vm->r.pc;
    if (vm->version <= 3) {
        vm->r.pc = branch(vm, pc, res != 0);
    } else {
        unsigned var = zm_rb(vm, pc);
        vm->r.pc = pc + 1;
        write_var(vm, var, (uint16_t)res);
    }
}

int zm_finish_read(jitrl_zvm *vm, const char *line)
{
    size_t n = strcspn(line, "\r\n");
    if (vm->r.file_op) {
        file_done(vm, line, n);
        return vm->halted ? JITRL_EVM : JITRL_OK;
    }
    if (vm->r.wait == JITRL_ZVM_CHAR) {
        /* dumb frotz reads a whole line for a key: an empty line is Return,
         * otherwise its characters are the next keys, one per @read_char */
        uint16_t c = n ? (uint16_t)(unsigned char)line[0] : 13;
        if (c >= 128) c = (uint16_t)zm_unicode_to_zscii(vm, c);
        size_t rest = n > 1 ? n - 1 : 0;
        if (rest > sizeof vm->r.keys) rest = sizeof vm->r.keys;
        memcpy(vm->r.keys, line + 1, rest);
        vm->r.nkeys = (uint8_t)rest;
        vm->r.wait = 0;
        zm_after_key(vm);
        if (vm->r.in_store >= 0) write_var(vm, (unsigned)vm->r.in_store, c);
        return vm->halted ? JITRL_EVM : JITRL_OK;
    }
    uint32_t text = vm->r.in_text, parse = vm->r.in_parse;
    unsigned max = zm_rb(vm, text);
    unsigned start = vm->version <= 4 ? 1 : 2;
    unsigned have = 0;
    if (vm->version <= 4) {
        if (max) max--;          /* §15 sread: room for the terminating 0 */
    } else {
        have = zm_rb(vm, text + 1);  /* §15 aread: text already there is kept */
        if (have > max) have = max;
    }
    zm_after_read(vm, line, n);
    if (n > max - have) n = max - have;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)line[i];
        if (c >= 'A' && c <= 'Z') c += 32;
        else if (c >= 0xc0 && c <= 0xde && c != 0xd7) c += 0x20;
        if (c == '?' && vm->qmark_to_space) c = ' ';
        if (c >= 128) c = zm_unicode_to_zscii(vm, c);
        else if (c < 32 || c > 126) c = ' ';
        zm_wb(vm, text + start + have + (uint32_t)i, (uint8_t)c);
    }
    if (vm->version <= 4) zm_wb(vm, text + start + (uint32_t)n, 0);
    else zm_wb(vm, text + 1, (uint8_t)(have + n));
    if (parse) zm_tokenise(vm, text, parse, 0, 0);
    vm->r.wait = 0;
    if (vm->version >= 5 && vm->r.in_store >= 0) write_var(vm, (unsigned)vm->r.in_store, 13);
    return vm->halted ? JITRL_EVM : JITRL_OK;
}

/* ---- the loop ---- */

static void illegal(jitrl_zvm *vm, unsigned op)
{
    zm_fail(vm, "illegal opcode %#x", op);
}

static int16_t sdiv_check(jitrl_zvm *vm, uint16_t b)
{
    if (b == 0) zm_fail(vm, "division by zero");
    return (int16_t)b;
}

/* §15 copy_table: size < 0 forces a forward copy; otherwise memmove-like. */
static void copy_table(jitrl_zvm *vm, uint16_t first, uint16_t second, int16_t size)
{
    uint32_t n = (uint32_t)(size < 0 ? -(int32_t)size : size);
    if (second == 0) {
        for (uint32_t i = 0; i < n && !vm->halted; i++) zm_wb(vm, first + i, 0);
    } else if (size < 0 || second < first) {
        for (uint32_t i = 0; i < n && !vm->halted; i++) zm_wb(vm, second + i, zm_rb(vm, first + i));
    } else {
        for (uint32_t i = n; i-- > 0 && !vm->halted;) zm_wb(vm, second + i, zm_rb(vm, first + i));
    }
}

static void print_num(jitrl_zvm *vm, int16_t v)
{
    char b[8];
    int n = 0;
    int32_t x = v;
    if (x < 0) { zm_print_char(vm, '-'); x = -x; }
    do { b[n++] = (char)('0' + x % 10); x /= 10; } while (x);
    while (n) zm_print_char(vm, (unsigned char)b[--n]);
}

/* §15 verify: sum of the story bytes from 0x40 to the header's length
 * (computed when asked: most games never ask). */
static int verify(jitrl_zvm *vm)
{
    uint16_t want = (uint16_t)(vm->orig[0x1c] << 8 | vm->orig[0x1d]);
    uint32_t sum = 0;
    /* orig holds dynamic memory only; static memory never changes */
    for (uint32_t i = 0x40; i < vm->dyn_size; i++) sum += vm->orig[i];
    for (uint32_t i = vm->dyn_size; i < vm->mem_len; i++) sum += vm->mem[i];
    return want == (uint16_t)sum;
}

static void do_restart(jitrl_zvm *vm)
{
    uint8_t keep = vm->mem[0x11] & 3;  /* §6.1.3: transcript and fixed-pitch bits survive */
    memcpy(vm->mem, vm->orig, vm->dyn_size);
    zm_header_init(vm);
    vm->mem[0x11] = (uint8_t)((vm->mem[0x11] & ~3) | keep);
    zm_screen_reset(vm);
    zm_reset_machine(vm);
}

/* Reads variable v (§4.2.2) into dst during operand decoding.  A bad
 * variable halts the machine and leaves the loop before the instruction
 * runs.  A macro, not a function, so that the common cases stay in
 * registers and the failure can leave the loop directly. */
#define READ_VAR(dst, v) do {                                                                    \
        unsigned v_ = (v);                                                                       \
        if (v_ >= 16) {                                                                          \
            uint32_t a_ = globals + 2 * (v_ - 16);                                               \
            (dst) = (uint16_t)(m[a_] << 8 | m[a_ + 1]);                                          \
        } else if (v_ == 0) {                                                                    \
            if (vm->r.sp <= vm->floor) { zm_fail(vm, "stack underflow"); goto stop; }            \
            (dst) = vm->stack[--vm->r.sp];                                                       \
        } else {                                                                                 \
            if (v_ > vm->nlocals) {                                                              \
                zm_fail(vm, "read of local %u in a routine with %u", v_, vm->nlocals);           \
                goto stop;                                                                       \
            }                                                                                    \
            (dst) = vm->stack[vm->lp + v_ - 1];                                                  \
        }                                                                                        \
    } while (0)

/* §4.4.3: the operand-type byte; fills ops[] from index start, sets n.
 * Unrolled: the loop form cost a sixth of all instructions in Inform games. */
#define DECODE_ONE(k) do {                                                                       \
        unsigned k_ = (k);                                                                       \
        if (k_ == 0) { ops[n++] = (uint16_t)(m[pc] << 8 | m[pc + 1]); pc += 2; }                 \
        else if (k_ == 1) ops[n++] = m[pc++];                                                    \
        else { unsigned x_ = m[pc++]; READ_VAR(ops[n], x_); n++; }                                \
    } while (0)
#define DECODE_TYPES(types, start) do {                                                          \
        unsigned t_ = (types);                                                                   \
        n = (start);                                                                             \
        if (t_ < 0xc0) {                                                                         \
            DECODE_ONE(t_ >> 6);                                                                 \
            if ((t_ & 0x30) != 0x30) {                                                           \
                DECODE_ONE((t_ >> 4) & 3);                                                       \
                if ((t_ & 0x0c) != 0x0c) {                                                       \
                    DECODE_ONE((t_ >> 2) & 3);                                                   \
                    if ((t_ & 0x03) != 0x03) DECODE_ONE(t_ & 3);                                 \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    } while (0)

/* Dispatch: with GNU C (gcc, clang) a table of label addresses, so each
 * opcode is one indirect jump with no range check; otherwise a plain
 * switch.  The handlers are the same text either way: CASE(n) opens one,
 * NEXT ends it. */
#if defined(__GNUC__) && !defined(ZM_NO_COMPUTED_GOTO)
#define ZM_THREADED 1
#define CASE(n) L_##n:
#else
#define ZM_THREADED 0
#define CASE(n) case n:
#endif
#define NEXT goto next
/* the store byte of §4.6 follows the operands (a macro: pc stays a register) */
#define STORE(val) write_var(vm, m[pc++], (val))

void zm_execute(jitrl_zvm *vm)
{
#if ZM_THREADED
    static const void *const dispatch[128] = {
        &&L_0x00, &&L_0x01, &&L_0x02, &&L_0x03, &&L_0x04, &&L_0x05, &&L_0x06, &&L_0x07,
        &&L_0x08, &&L_0x09, &&L_0x0a, &&L_0x0b, &&L_0x0c, &&L_0x0d, &&L_illegal, &&L_0x0f,
        &&L_0x10, &&L_0x11, &&L_0x12, &&L_0x13, &&L_0x14, &&L_0x15, &&L_0x16, &&L_0x17,
        &&L_0x18, &&L_0x19, &&L_0x1a, &&L_0x1b, &&L_0x1c, &&L_0x1d, &&L_0x1e, &&L_0x1f,
        &&L_illegal, &&L_0x21, &&L_0x22, &&L_0x23, &&L_0x24, &&L_0x25, &&L_0x26, &&L_0x27,
        &&L_0x28, &&L_0x29, &&L_0x2a, &&L_0x2b, &&L_0x2c, &&L_0x2d, &&L_0x2e, &&L_0x2f,
        &&L_0x30, &&L_0x31, &&L_0x32, &&L_0x33, &&L_0x34, &&L_0x35, &&L_0x36, &&L_0x37,
        &&L_0x38, &&L_0x39, &&L_0x3a, &&L_0x3b, &&L_0x3c, &&L_illegal, &&L_illegal, &&L_illegal,
        &&L_0x40, &&L_0x41, &&L_0x42, &&L_0x43, &&L_0x44, &&L_0x45, &&L_0x46, &&L_0x47,
        &&L_0x48, &&L_0x49, &&L_0x4a, &&L_0x4b, &&L_0x4c, &&L_0x4d, &&L_0x4e, &&L_0x4f,
        &&L_0x50, &&L_0x51, &&L_0x52, &&L_0x53, &&L_0x54, &&L_0x55, &&L_0x56, &&L_0x57,
        &&L_0x58, &&L_0x59, &&L_0x5a, &&L_0x5b, &&L_0x5c, &&L_0x5d, &&L_0x5e, &&L_0x5f,
        &&L_0x60, &&L_0x61, &&L_0x62, &&L_0x63, &&L_0x64, &&L_illegal, &&L_illegal, &&L_illegal,
        &&L_illegal, &&L_0x69, &&L_0x6a, &&L_0x6b, &&L_0x6c, &&L_0x6d, &&L_illegal, &&L_illegal,
        &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal,
        &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal, &&L_illegal,
    };
#endif
    uint16_t ops[8] = {0};
    const int v = vm->version;
    const uint8_t *const m = vm->mem;
    const uint32_t mem_len = vm->mem_len, globals = vm->globals;
    /* vm->r.pc holds the PC after the current instruction's operands (for
     * fault and warning messages, as frotz reports them); pc is the decode
     * cursor, kept in a register.  Ops that call, return or restore hand
     * control flow back through vm->r.pc. */
    uint32_t pc = vm->r.pc;
    /* one down-counter for the budget: fewer values live across calls */
    const uint64_t budget = vm->stop_at > vm->r.icount ? vm->stop_at - vm->r.icount : 0;
    uint64_t left = budget;
    unsigned op, n;
    vm->brk = (uint8_t)(vm->halted || vm->r.wait || vm->r.quit);
    for (;;) {
        if (vm->brk || left == 0) break;
        left--;
        if (pc >= mem_len) { vm->r.pc = pc; zm_fail(vm, "PC outside memory"); break; }
        unsigned b = m[pc++];
        if (b < 0x80) {  /* long form 2OP */
            op = 0x20 + (b & 0x1f);
            unsigned x = m[pc], y = m[pc + 1];
            pc += 2;
            if (b & 0x40) READ_VAR(ops[0], x); else ops[0] = (uint16_t)x;
            if (b & 0x20) READ_VAR(ops[1], y); else ops[1] = (uint16_t)y;
            n = 2;
        } else if (b < 0xc0) {
            unsigned t = (b >> 4) & 3;
            if (t == 3) {
                if (b == 0xbe && v >= 5) {
                    unsigned e = m[pc++];
                    if (e >= 0x20) { illegal(vm, 0xbe00 + e); break; }
                    op = 0x60 + e;
                    unsigned types = m[pc++];
                    DECODE_TYPES(types, 0);
                } else {
                    op = b & 15;
                    n = 0;
                }
            } else {
                op = 0x10 + (b & 15);
                if (t == 0) { ops[0] = (uint16_t)(m[pc] << 8 | m[pc + 1]); pc += 2; }
                else if (t == 1) ops[0] = m[pc++];
                else { unsigned x = m[pc++]; READ_VAR(ops[0], x); }
                n = 1;
            }
        } else {
            op = (b >= 0xe0 ? 0x40 : 0x20) + (b & 0x1f);
            unsigned t1 = m[pc++];
            if (b == 0xec || b == 0xfa) {
                unsigned t2 = m[pc++];
                DECODE_TYPES(t1, 0);
                if (n == 4) DECODE_TYPES(t2, 4);
            } else {
                DECODE_TYPES(t1, 0);
            }
        }
        uint16_t a0 = ops[0], a1 = ops[1];
        vm->r.pc = pc;   /* frotz reports warnings with the PC after the operands */
#if ZM_THREADED
        goto *dispatch[op];
#else
        switch (op) {
#endif
        /* ---- 0OP ---- */
        CASE(0x00) ret(vm, 1); pc = vm->r.pc; NEXT;                              /* rtrue */
        CASE(0x01) ret(vm, 0); pc = vm->r.pc; NEXT;                              /* rfalse */
        CASE(0x02) pc = zm_print_zstring(vm, pc); NEXT; /* print */
        CASE(0x03)                                                 /* print_ret */
            pc = zm_print_zstring(vm, pc);
            zm_print_char(vm, 13);
            ret(vm, 1); pc = vm->r.pc;
            NEXT;
        CASE(0x04) NEXT;                                          /* nop */
        CASE(0x05) CASE(0x06)                                      /* save / restore (v3 branch, v4 store) */
            /* with a sandbox: ask for a file name and wait, the PC on the
             * branch or store byte (file_done completes the op) */
            if (v <= 4 && zm_file_begin(vm, op == 0x05 ? ZM_FILE_SAVE : ZM_FILE_RESTORE)) {
                vm->r.wait = JITRL_ZVM_INPUT;
                vm->brk = 1;
            } else if (v <= 3) pc = branch(vm, pc, 0);
            else if (v == 4) STORE(0);
            else illegal(vm, op);
            NEXT;
        CASE(0x07)                                                 /* restart */
            do_restart(vm);
            pc = vm->r.pc;
            /* it reloads memory and clears the screen: charge the budget
             * 1000 instructions for it (beyond what is left, directly) */
            vm->r.icount += left < 1000 ? 1000 - left : 0;
            left = left < 1000 ? 0 : left - 1000;
            NEXT;
        CASE(0x08) ret(vm, pop(vm)); pc = vm->r.pc; NEXT;                        /* ret_popped */
        CASE(0x09)
            if (v <= 4) pop(vm);                                   /* pop */
            else STORE((uint16_t)vm->r.nframes);               /* catch */
            NEXT;
        CASE(0x0a) vm->r.quit = 1; vm->brk = 1; zm_show_screen_final(vm); NEXT; /* quit */
        CASE(0x0b) zm_new_line(vm); NEXT;                         /* new_line */
        CASE(0x0c) if (v == 3) zm_show_status(vm); NEXT;          /* show_status */
        CASE(0x0d) pc = branch(vm, pc, verify(vm)); NEXT;                  /* verify */
        CASE(0x0f) pc = branch(vm, pc, 1); NEXT;                           /* piracy */
        /* ---- 1OP ---- */
        CASE(0x10) pc = branch(vm, pc, a0 == 0); NEXT;                     /* jz */
        CASE(0x11) { if (!a0) zm_warn(vm, 22, "@get_sibling called with object 0"); unsigned s = zm_obj_sibling(vm, a0); STORE((uint16_t)s); pc = branch(vm, pc, s != 0); NEXT; }
        CASE(0x12) { if (!a0) zm_warn(vm, 20, "@get_child called with object 0"); unsigned c = zm_obj_child(vm, a0); STORE((uint16_t)c); pc = branch(vm, pc, c != 0); NEXT; }
        CASE(0x13)
            if (!a0) zm_warn(vm, 21, "@get_parent called with object 0");
            STORE((uint16_t)zm_obj_parent(vm, a0));
            NEXT;
        CASE(0x14) STORE((uint16_t)zm_prop_len(vm, a0)); NEXT; /* get_prop_len */
        CASE(0x15) poke_var(vm, a0 & 0xff, (uint16_t)(peek_var(vm, a0 & 0xff) + 1)); NEXT; /* inc */
        CASE(0x16) poke_var(vm, a0 & 0xff, (uint16_t)(peek_var(vm, a0 & 0xff) - 1)); NEXT; /* dec */
        CASE(0x17) zm_print_zstring(vm, a0); NEXT;                /* print_addr */
        CASE(0x18)                                                 /* call_1s */
            if (v < 4) { illegal(vm, op); NEXT; }
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, NULL, 0, sv); }
            NEXT;
        CASE(0x19)
            if (!a0) zm_warn(vm, 31, "@remove_object called with object 0");
            zm_obj_remove(vm, a0);
            NEXT;                   /* remove_obj */
        CASE(0x1a) zm_print_zstring(vm, zm_obj_name_addr(vm, a0)); NEXT; /* print_obj */
        CASE(0x1b) ret(vm, a0); pc = vm->r.pc; NEXT;                             /* ret */
        CASE(0x1c) pc = (uint32_t)((int32_t)pc + (int16_t)a0 - 2); NEXT; /* jump */
        CASE(0x1d) zm_print_zstring(vm, unpack(vm, a0, 0)); NEXT; /* print_paddr */
        CASE(0x1e) STORE(peek_var(vm, a0 & 0xff)); NEXT;      /* load */
        CASE(0x1f)
            if (v <= 4) STORE((uint16_t)~a0);                  /* not */
            else pc = do_call(vm, pc, a0, NULL, 0, -1);                /* call_1n */
            NEXT;
        /* ---- 2OP ---- */
        CASE(0x21) {                                               /* je */
            int eq = 0;
            for (unsigned i = 1; i < n; i++) eq |= ops[i] == a0;
            pc = branch(vm, pc, eq);
            NEXT;
        }
        CASE(0x22) pc = branch(vm, pc, (int16_t)a0 < (int16_t)a1); NEXT;   /* jl */
        CASE(0x23) pc = branch(vm, pc, (int16_t)a0 > (int16_t)a1); NEXT;   /* jg */
        CASE(0x24) {                                               /* dec_chk */
            int16_t x = (int16_t)(peek_var(vm, a0 & 0xff) - 1);
            poke_var(vm, a0 & 0xff, (uint16_t)x);
            pc = branch(vm, pc, x < (int16_t)a1);
            NEXT;
        }
        CASE(0x25) {                                               /* inc_chk */
            int16_t x = (int16_t)(peek_var(vm, a0 & 0xff) + 1);
            poke_var(vm, a0 & 0xff, (uint16_t)x);
            pc = branch(vm, pc, x > (int16_t)a1);
            NEXT;
        }
        CASE(0x26)                                                 /* jin */
            if (!a0) { zm_warn(vm, 19, "@jin called with object 0"); pc = branch(vm, pc, a1 == 0); NEXT; }
            pc = branch(vm, pc, zm_obj_parent(vm, a0) == a1);
            NEXT;
        CASE(0x27) pc = branch(vm, pc, (a0 & a1) == a1); NEXT;             /* test */
        CASE(0x28) STORE(a0 | a1); NEXT;                      /* or */
        CASE(0x29) STORE(a0 & a1); NEXT;                      /* and */
        CASE(0x2a)                                                 /* test_attr */
            if (a1 == 48 && v <= 3) { pc = branch(vm, pc, 0); NEXT; }
            if (!a0) zm_warn(vm, 28, "@test_attr called with object 0");
            pc = branch(vm, pc, zm_obj_attr(vm, a0, a1));
            NEXT;
        CASE(0x2b)                                                 /* set_attr */
            if (!a0) zm_warn(vm, 27, "@set_attr called with object 0");
            zm_obj_set_attr(vm, a0, a1, 1);
            NEXT;
        CASE(0x2c)                                                 /* clear_attr */
            if (!a0) zm_warn(vm, 26, "@clear_attr called with object 0");
            zm_obj_set_attr(vm, a0, a1, 0);
            NEXT;
        CASE(0x2d) poke_var(vm, a0 & 0xff, a1); NEXT;             /* store */
        CASE(0x2e)                                                 /* insert_obj */
            if (!a0) zm_warn(vm, 29, "@move_object called moving object 0");
            else if (!a1) zm_warn(vm, 30, "@move_object called moving into object 0");
            zm_obj_insert(vm, a0, a1);
            NEXT;
        CASE(0x2f) STORE(zm_rw(vm, (uint16_t)(a0 + 2 * a1))); NEXT; /* loadw */
        CASE(0x30) STORE(zm_rb(vm, (uint16_t)(a0 + a1))); NEXT;     /* loadb */
        CASE(0x31)                                                 /* get_prop */
            if (!a0) zm_warn(vm, 24, "@get_prop called with object 0");
            STORE(a0 ? zm_get_prop(vm, a0, a1) : 0);
            NEXT;
        CASE(0x32)                                                 /* get_prop_addr */
            if (!a0) zm_warn(vm, 23, "@get_prop_addr called with object 0");
            STORE((uint16_t)(a0 ? zm_prop_addr(vm, a0, a1, NULL) : 0));
            NEXT;
        CASE(0x33)                                                 /* get_next_prop */
            if (!a0) zm_warn(vm, 32, "@get_next_prop called with object 0");
            STORE((uint16_t)zm_next_prop(vm, a0, a1));
            NEXT;
        CASE(0x34) STORE((uint16_t)(a0 + a1)); NEXT;          /* add */
        CASE(0x35) STORE((uint16_t)(a0 - a1)); NEXT;          /* sub */
        CASE(0x36) STORE((uint16_t)((uint32_t)a0 * a1)); NEXT; /* mul */
        CASE(0x37) {                                               /* div */
            int16_t d = sdiv_check(vm, a1);
            if (!d) NEXT;
            STORE((uint16_t)(int16_t)((int32_t)(int16_t)a0 / d));
            NEXT;
        }
        CASE(0x38) {                                               /* mod */
            int16_t d = sdiv_check(vm, a1);
            if (!d) NEXT;
            STORE((uint16_t)(int16_t)((int32_t)(int16_t)a0 % d));
            NEXT;
        }
        CASE(0x39)                                                 /* call_2s */
            if (v < 4) { illegal(vm, op); NEXT; }
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, ops + 1, 1, sv); }
            NEXT;
        CASE(0x3a)                                                 /* call_2n */
            if (v < 5) { illegal(vm, op); NEXT; }
            pc = do_call(vm, pc, a0, ops + 1, 1, -1);
            NEXT;
        CASE(0x3b) NEXT;                                          /* set_colour */
        CASE(0x3c)                                                 /* throw */
            if (v < 5) { illegal(vm, op); NEXT; }
            if (a1 == 0 || a1 > vm->r.nframes) { zm_fail(vm, "throw to a bad frame %u", a1); NEXT; }
            vm->r.nframes = a1;
            ret(vm, a0); pc = vm->r.pc;
            NEXT;
        /* ---- VAR ---- */
        CASE(0x40)                                                 /* call / call_vs */
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, ops + 1, n ? n - 1 : 0, sv); }
            NEXT;
        CASE(0x41) zm_ww(vm, (uint16_t)(a0 + 2 * a1), ops[2]); NEXT; /* storew */
        CASE(0x42) zm_wb(vm, (uint16_t)(a0 + a1), (uint8_t)ops[2]); NEXT; /* storeb */
        CASE(0x43)                                                 /* put_prop */
            if (!a0) zm_warn(vm, 25, "@put_prop called with object 0");
            zm_put_prop(vm, a0, a1, ops[2]);
            NEXT;
        CASE(0x44)                                                 /* sread / aread */
            vm->r.in_text = a0;
            vm->r.in_parse = n > 1 ? a1 : 0;
            vm->r.in_store = v >= 5 ? (int16_t)m[pc++] : -1;
            vm->r.nkeys = 0;                                       /* a line read drops typed-ahead keys */
            if (v <= 3) zm_show_status(vm);
            zm_before_read(vm, 1);
            vm->r.wait = JITRL_ZVM_INPUT;
            vm->brk = 1;
            NEXT;
        CASE(0x45) zm_print_char(vm, a0); NEXT;                   /* print_char */
        CASE(0x46) print_num(vm, (int16_t)a0); NEXT;              /* print_num */
        CASE(0x47) STORE(zm_rng_next(vm, (int16_t)a0)); NEXT; /* random */
        CASE(0x48) push(vm, a0); NEXT;                            /* push */
        CASE(0x49)                                                 /* pull */
            if (v == 6) { illegal(vm, op); NEXT; }
            { uint16_t x = pop(vm); poke_var(vm, a0 & 0xff, x); }
            NEXT;
        CASE(0x4a) zm_split_window(vm, a0); NEXT;                 /* split_window */
        CASE(0x4b) zm_set_window(vm, a0); NEXT;                   /* set_window */
        CASE(0x4c)                                                 /* call_vs2 */
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, ops + 1, n ? n - 1 : 0, sv); }
            NEXT;
        CASE(0x4d) zm_erase_window(vm, (int16_t)a0); NEXT;        /* erase_window */
        CASE(0x4e) if (v >= 4) zm_erase_line(vm, a0); NEXT;      /* erase_line */
        CASE(0x4f) zm_set_cursor(vm, (int16_t)a0, (int16_t)a1); NEXT; /* set_cursor */
        CASE(0x50) {                                               /* get_cursor */
            unsigned row, col;
            zm_get_cursor(vm, &row, &col);
            zm_ww(vm, a0, (uint16_t)row);
            zm_ww(vm, (uint16_t)(a0 + 2), (uint16_t)col);
            NEXT;
        }
        CASE(0x51) zm_set_style(vm, a0); NEXT;                    /* set_text_style */
        CASE(0x52) zm_buffer_mode(vm, a0); NEXT;                  /* buffer_mode */
        CASE(0x53) zm_output_stream(vm, (int16_t)a0, a1); NEXT;   /* output_stream */
        CASE(0x54) NEXT;                                          /* input_stream */
        CASE(0x55) if (n && (a0 == 1 || a0 == 2)) zm_beep(vm, a0); NEXT; /* sound_effect: bleeps only */
        CASE(0x56)                                                 /* read_char */
            if (vm->r.nkeys) {
                uint16_t k = (unsigned char)vm->r.keys[0];
                memmove(vm->r.keys, vm->r.keys + 1, --vm->r.nkeys);
                zm_after_key(vm);
                STORE(k);
                NEXT;
            }
            vm->r.in_store = (int16_t)m[pc++];
            zm_before_read(vm, 0);
            vm->r.wait = JITRL_ZVM_CHAR;
            vm->brk = 1;
            NEXT;
        CASE(0x57) {                                               /* scan_table */
            unsigned form = n > 3 ? ops[3] : 0x82, len = form & 0x7f;
            uint32_t p = a1, found = 0;
            if (len == 0) len = 1;
            for (unsigned i = 0; i < ops[2] && !vm->halted; i++, p += len) {
                uint16_t x = (form & 0x80) ? zm_rw(vm, p) : zm_rb(vm, p);
                if (x == a0) { found = p; break; }
            }
            STORE((uint16_t)found);
            pc = branch(vm, pc, found != 0);
            NEXT;
        }
        CASE(0x58) STORE((uint16_t)~a0); NEXT;                /* not (v5) */
        CASE(0x59)                                                 /* call_vn */
        CASE(0x5a)                                                 /* call_vn2 */
            pc = do_call(vm, pc, a0, ops + 1, n ? n - 1 : 0, -1);
            NEXT;
        CASE(0x5b) zm_tokenise(vm, a0, a1, n > 2 ? ops[2] : 0, n > 3 ? ops[3] : 0); NEXT;
        CASE(0x5c) {                                               /* encode_text */
            uint8_t zs[256], enc[6];
            unsigned len = a1 > 255 ? 255 : a1;
            for (unsigned i = 0; i < len; i++) zs[i] = zm_rb(vm, (uint32_t)a0 + ops[2] + i);
            zm_encode(vm, zs, len, enc);
            for (unsigned i = 0; i < 6; i++) zm_wb(vm, (uint32_t)ops[3] + i, enc[i]);
            NEXT;
        }
        CASE(0x5d) copy_table(vm, a0, a1, (int16_t)ops[2]); NEXT; /* copy_table */
        CASE(0x5e)                                                 /* print_table */
            zm_print_table(vm, a0, a1, n > 2 ? ops[2] : 1, n > 3 ? ops[3] : 0);
            NEXT;
        CASE(0x5f) pc = branch(vm, pc, a0 <= vm->frames[vm->r.nframes - 1].argc); NEXT; /* check_arg_count */
        /* ---- EXT (v5+) ---- */
        CASE(0x60) CASE(0x61)                                      /* save / restore */
            /* the auxiliary-file forms (with operands) are not offered */
            if (n == 0 && zm_file_begin(vm, op == 0x60 ? ZM_FILE_SAVE : ZM_FILE_RESTORE)) {
                vm->r.wait = JITRL_ZVM_INPUT;
                vm->brk = 1;
            } else STORE(0);
            NEXT;
        CASE(0x62) {                                               /* log_shift */
            int16_t sh = (int16_t)a1;
            STORE(sh >= 16 || sh <= -16 ? 0 : sh >= 0 ? (uint16_t)(a0 << sh) : (uint16_t)(a0 >> -sh));
            NEXT;
        }
        CASE(0x63) {                                               /* art_shift */
            int16_t sh = (int16_t)a1, x = (int16_t)a0;
            if (sh >= 16) STORE(0);
            else if (sh <= -16) STORE(x < 0 ? 0xffff : 0);
            else STORE(sh >= 0 ? (uint16_t)(a0 << sh) : (uint16_t)(x >> -sh));
            NEXT;
        }
        CASE(0x64) STORE(a0 <= 1 ? 1 : 0); NEXT;         /* set_font: dfrotz has only font 1 */
        CASE(0x69)                                                 /* save_undo */
            /* the slot is taken with the PC on the store byte, so that
             * restore_undo can resume there and store 2 */
            STORE((uint16_t)zm_save_undo(vm));
            NEXT;
        CASE(0x6a)                                                 /* restore_undo */
            if (zm_restore_undo(vm)) { pc = vm->r.pc; STORE(2); }
            else STORE(0);
            NEXT;
        CASE(0x6b) zm_print_unicode(vm, a0); NEXT;               /* print_unicode */
        CASE(0x6c)                                                 /* check_unicode, as dfrotz answers */
            STORE(a0 >= 0x20 && a0 <= 0x7e ? 3 : a0 >= 0xa0 ? 1 : 0);
            NEXT;
        CASE(0x6d) NEXT;                                          /* set_true_colour */
#if ZM_THREADED
        L_illegal:
#else
        default:
#endif
            illegal(vm, op);
            NEXT;
#if !ZM_THREADED
        }
#endif
    next:;
    }
stop:
    if (!vm->halted) vm->r.pc = pc;
    vm->r.icount += budget - left;
}
