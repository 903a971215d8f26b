/*
 * exec.c -- the interpreter loop: instruction decoding (§4) and the opcodes
 * of §14-15 for versions 3, 4, 5, 7 and 8.
 *
 * One switch over a dense opcode number (0OP 0x00-0x0f, 1OP 0x10-0x1f,
 * 2OP 0x20-0x3f, VAR 0x40-0x5f, EXT 0x60-0x7f) with operands decoded into a
 * small array first: simple, and fast enough (the compiler makes a jump
 * table).  Faults never longjmp: zm_fail() marks the machine halted and the
 * loop stops after the current instruction.  Every loop over game data is
 * bounded; the instruction budget bounds the rest.
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
static uint16_t peek_var(jitrl_zvm *vm, unsigned v)
{
    if (v == 0) {
        if (vm->r.sp == 0) { zm_fail(vm, "stack underflow"); return 0; }
        return vm->stack[vm->r.sp - 1];
    }
    return read_var(vm, v);
}

static void poke_var(jitrl_zvm *vm, unsigned v, uint16_t val)
{
    if (v == 0) {
        if (vm->r.sp == 0) { zm_fail(vm, "stack underflow"); return; }
        vm->stack[vm->r.sp - 1] = val;
        return;
    }
    write_var(vm, v, val);
}

/* ---- calls and returns (§6.4, §6.5) ---- */

void zm_sync_frame(jitrl_zvm *vm)
{
    const struct zm_frame *f = &vm->frames[vm->r.nframes - 1];
    vm->lp = f->fp;
    vm->nlocals = f->nlocals;
    vm->floor = (uint32_t)f->fp + f->nlocals;
}

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
    struct zm_frame *f = &vm->frames[vm->r.nframes++];
    f->ret_pc = vm->r.pc;
    f->fp = (uint16_t)vm->r.sp;
    f->nlocals = (uint8_t)nl;
    f->argc = (uint8_t)argc;
    f->store = (int16_t)store;
    for (unsigned i = 0; i < nl; i++) {
        uint16_t v = 0;
        if (vm->version <= 4) {  /* §6.4.4: initial values follow the header */
            if (a + 1 >= vm->mem_len) { zm_fail(vm, "routine header past memory"); return; }
            v = (uint16_t)(vm->mem[a] << 8 | vm->mem[a + 1]);
            a += 2;
        }
        if (i < argc) v = args[i];
        vm->stack[vm->r.sp++] = v;
    }
    vm->r.pc = a;
    zm_sync_frame(vm);
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
    zm_sync_frame(vm);
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

static inline void store(jitrl_zvm *vm, uint32_t *pc, uint16_t v)
{
    write_var(vm, vm->mem[(*pc)++], v);
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

int zm_finish_read(jitrl_zvm *vm, const char *line)
{
    size_t n = strcspn(line, "\r\n");
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

/* Operand-type decoding of §4.4: fills ops[], returns the count. */
static inline unsigned decode_types(jitrl_zvm *vm, uint32_t *pcp, unsigned types, uint16_t *ops, unsigned start)
{
    const uint8_t *m = vm->mem;
    uint32_t pc = *pcp;
    unsigned n = start;
    for (int s = 6; s >= 0; s -= 2) {
        unsigned t = (types >> s) & 3;
        if (t == 3) break;
        if (t == 0) { ops[n++] = (uint16_t)(m[pc] << 8 | m[pc + 1]); pc += 2; }
        else if (t == 1) { ops[n++] = m[pc++]; }
        else { ops[n++] = read_var(vm, m[pc++]); }
    }
    *pcp = pc;
    return n;
}

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

void zm_execute(jitrl_zvm *vm)
{
    uint16_t ops[8];
    const int v = vm->version;
    const uint8_t *const m = vm->mem;
    /* vm->r.pc holds the start of the current instruction (for fault
     * messages); pc is the decode cursor, kept in a register.  Ops that
     * call, return or restore hand control flow back through vm->r.pc. */
    uint32_t pc = vm->r.pc;
    uint64_t done = 0, left = vm->stop_at > vm->r.icount ? vm->stop_at - vm->r.icount : 0;
    vm->brk = (uint8_t)(vm->halted || vm->r.wait || vm->r.quit);
    while (!vm->brk && done < left) {
        done++;
        if (pc >= vm->mem_len) { vm->r.pc = pc; zm_fail(vm, "PC outside memory"); break; }
        unsigned b = m[pc++], op, n;
        if (b < 0x80) {  /* long form 2OP */
            op = 0x20 + (b & 0x1f);
            uint8_t x = m[pc], y = m[pc + 1];
            pc += 2;
            ops[0] = (b & 0x40) ? read_var(vm, x) : x;
            ops[1] = (b & 0x20) ? read_var(vm, y) : y;
            n = 2;
        } else if (b < 0xc0) {
            unsigned t = (b >> 4) & 3;
            if (t == 3) {
                if (b == 0xbe && v >= 5) {
                    unsigned e = m[pc++];
                    if (e >= 0x20) { illegal(vm, 0xbe00 + e); break; }
                    op = 0x60 + e;
                    unsigned types = m[pc++];
                    n = decode_types(vm, &pc, types, ops, 0);
                } else {
                    op = b & 15;
                    n = 0;
                }
            } else {
                op = 0x10 + (b & 15);
                if (t == 0) { ops[0] = (uint16_t)(m[pc] << 8 | m[pc + 1]); pc += 2; }
                else if (t == 1) ops[0] = m[pc++];
                else ops[0] = read_var(vm, m[pc++]);
                n = 1;
            }
        } else {
            op = (b >= 0xe0 ? 0x40 : 0x20) + (b & 0x1f);
            unsigned t1 = m[pc++];
            if (b == 0xec || b == 0xfa) {
                unsigned t2 = m[pc++];
                n = decode_types(vm, &pc, t1, ops, 0);
                if (n == 4) n = decode_types(vm, &pc, t2, ops, 4);
            } else {
                n = decode_types(vm, &pc, t1, ops, 0);
            }
        }
        if (vm->brk) break;
        uint16_t a0 = ops[0], a1 = ops[1];
        vm->r.pc = pc;   /* frotz reports warnings with the PC after the operands */
        switch (op) {
        /* ---- 0OP ---- */
        case 0x00: ret(vm, 1); pc = vm->r.pc; break;                              /* rtrue */
        case 0x01: ret(vm, 0); pc = vm->r.pc; break;                              /* rfalse */
        case 0x02: pc = zm_print_zstring(vm, pc); break; /* print */
        case 0x03:                                                 /* print_ret */
            pc = zm_print_zstring(vm, pc);
            zm_print_char(vm, 13);
            ret(vm, 1); pc = vm->r.pc;
            break;
        case 0x04: break;                                          /* nop */
        case 0x05: case 0x06:                                      /* save / restore: unsupported -> fail */
            if (v <= 3) pc = branch(vm, pc, 0);
            else if (v == 4) store(vm, &pc, 0);
            else illegal(vm, op);
            break;
        case 0x07:                                                 /* restart */
            do_restart(vm);
            pc = vm->r.pc;
            done += 1000;   /* it reloads memory and clears the screen: charge the budget for it */
            break;
        case 0x08: ret(vm, pop(vm)); pc = vm->r.pc; break;                        /* ret_popped */
        case 0x09:
            if (v <= 4) pop(vm);                                   /* pop */
            else store(vm, &pc, (uint16_t)vm->r.nframes);               /* catch */
            break;
        case 0x0a: vm->r.quit = 1; vm->brk = 1; zm_show_screen_final(vm); break; /* quit */
        case 0x0b: zm_new_line(vm); break;                         /* new_line */
        case 0x0c: if (v == 3) zm_show_status(vm); break;          /* show_status */
        case 0x0d: pc = branch(vm, pc, verify(vm)); break;                  /* verify */
        case 0x0f: pc = branch(vm, pc, 1); break;                           /* piracy */
        /* ---- 1OP ---- */
        case 0x10: pc = branch(vm, pc, a0 == 0); break;                     /* jz */
        case 0x11: { if (!a0) zm_warn(vm, 22, "@get_sibling called with object 0"); unsigned s = zm_obj_sibling(vm, a0); store(vm, &pc, (uint16_t)s); pc = branch(vm, pc, s != 0); break; }
        case 0x12: { if (!a0) zm_warn(vm, 20, "@get_child called with object 0"); unsigned c = zm_obj_child(vm, a0); store(vm, &pc, (uint16_t)c); pc = branch(vm, pc, c != 0); break; }
        case 0x13:
            if (!a0) zm_warn(vm, 21, "@get_parent called with object 0");
            store(vm, &pc, (uint16_t)zm_obj_parent(vm, a0));
            break;
        case 0x14: store(vm, &pc, (uint16_t)zm_prop_len(vm, a0)); break; /* get_prop_len */
        case 0x15: poke_var(vm, a0 & 0xff, (uint16_t)(peek_var(vm, a0 & 0xff) + 1)); break; /* inc */
        case 0x16: poke_var(vm, a0 & 0xff, (uint16_t)(peek_var(vm, a0 & 0xff) - 1)); break; /* dec */
        case 0x17: zm_print_zstring(vm, a0); break;                /* print_addr */
        case 0x18:                                                 /* call_1s */
            if (v < 4) { illegal(vm, op); break; }
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, NULL, 0, sv); }
            break;
        case 0x19:
            if (!a0) zm_warn(vm, 31, "@remove_object called with object 0");
            zm_obj_remove(vm, a0);
            break;                   /* remove_obj */
        case 0x1a: zm_print_zstring(vm, zm_obj_name_addr(vm, a0)); break; /* print_obj */
        case 0x1b: ret(vm, a0); pc = vm->r.pc; break;                             /* ret */
        case 0x1c: pc = (uint32_t)((int32_t)pc + (int16_t)a0 - 2); break; /* jump */
        case 0x1d: zm_print_zstring(vm, unpack(vm, a0, 0)); break; /* print_paddr */
        case 0x1e: store(vm, &pc, peek_var(vm, a0 & 0xff)); break;      /* load */
        case 0x1f:
            if (v <= 4) store(vm, &pc, (uint16_t)~a0);                  /* not */
            else pc = do_call(vm, pc, a0, NULL, 0, -1);                /* call_1n */
            break;
        /* ---- 2OP ---- */
        case 0x21: {                                               /* je */
            int eq = 0;
            for (unsigned i = 1; i < n; i++) eq |= ops[i] == a0;
            pc = branch(vm, pc, eq);
            break;
        }
        case 0x22: pc = branch(vm, pc, (int16_t)a0 < (int16_t)a1); break;   /* jl */
        case 0x23: pc = branch(vm, pc, (int16_t)a0 > (int16_t)a1); break;   /* jg */
        case 0x24: {                                               /* dec_chk */
            int16_t x = (int16_t)(peek_var(vm, a0 & 0xff) - 1);
            poke_var(vm, a0 & 0xff, (uint16_t)x);
            pc = branch(vm, pc, x < (int16_t)a1);
            break;
        }
        case 0x25: {                                               /* inc_chk */
            int16_t x = (int16_t)(peek_var(vm, a0 & 0xff) + 1);
            poke_var(vm, a0 & 0xff, (uint16_t)x);
            pc = branch(vm, pc, x > (int16_t)a1);
            break;
        }
        case 0x26:                                                 /* jin */
            if (!a0) { zm_warn(vm, 19, "@jin called with object 0"); pc = branch(vm, pc, a1 == 0); break; }
            pc = branch(vm, pc, zm_obj_parent(vm, a0) == a1);
            break;
        case 0x27: pc = branch(vm, pc, (a0 & a1) == a1); break;             /* test */
        case 0x28: store(vm, &pc, a0 | a1); break;                      /* or */
        case 0x29: store(vm, &pc, a0 & a1); break;                      /* and */
        case 0x2a:                                                 /* test_attr */
            if (a1 == 48 && v <= 3) { pc = branch(vm, pc, 0); break; }
            if (!a0) zm_warn(vm, 28, "@test_attr called with object 0");
            pc = branch(vm, pc, zm_obj_attr(vm, a0, a1));
            break;
        case 0x2b:                                                 /* set_attr */
            if (!a0) zm_warn(vm, 27, "@set_attr called with object 0");
            zm_obj_set_attr(vm, a0, a1, 1);
            break;
        case 0x2c:                                                 /* clear_attr */
            if (!a0) zm_warn(vm, 26, "@clear_attr called with object 0");
            zm_obj_set_attr(vm, a0, a1, 0);
            break;
        case 0x2d: poke_var(vm, a0 & 0xff, a1); break;             /* store */
        case 0x2e:                                                 /* insert_obj */
            if (!a0) zm_warn(vm, 29, "@move_object called moving object 0");
            else if (!a1) zm_warn(vm, 30, "@move_object called moving into object 0");
            zm_obj_insert(vm, a0, a1);
            break;
        case 0x2f: store(vm, &pc, zm_rw(vm, (uint16_t)(a0 + 2 * a1))); break; /* loadw */
        case 0x30: store(vm, &pc, zm_rb(vm, (uint16_t)(a0 + a1))); break;     /* loadb */
        case 0x31:                                                 /* get_prop */
            if (!a0) zm_warn(vm, 24, "@get_prop called with object 0");
            store(vm, &pc, a0 ? zm_get_prop(vm, a0, a1) : 0);
            break;
        case 0x32:                                                 /* get_prop_addr */
            if (!a0) zm_warn(vm, 23, "@get_prop_addr called with object 0");
            store(vm, &pc, (uint16_t)(a0 ? zm_prop_addr(vm, a0, a1, NULL) : 0));
            break;
        case 0x33:                                                 /* get_next_prop */
            if (!a0) zm_warn(vm, 32, "@get_next_prop called with object 0");
            store(vm, &pc, (uint16_t)zm_next_prop(vm, a0, a1));
            break;
        case 0x34: store(vm, &pc, (uint16_t)(a0 + a1)); break;          /* add */
        case 0x35: store(vm, &pc, (uint16_t)(a0 - a1)); break;          /* sub */
        case 0x36: store(vm, &pc, (uint16_t)((uint32_t)a0 * a1)); break; /* mul */
        case 0x37: {                                               /* div */
            int16_t d = sdiv_check(vm, a1);
            if (!d) break;
            store(vm, &pc, (uint16_t)(int16_t)((int32_t)(int16_t)a0 / d));
            break;
        }
        case 0x38: {                                               /* mod */
            int16_t d = sdiv_check(vm, a1);
            if (!d) break;
            store(vm, &pc, (uint16_t)(int16_t)((int32_t)(int16_t)a0 % d));
            break;
        }
        case 0x39:                                                 /* call_2s */
            if (v < 4) { illegal(vm, op); break; }
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, ops + 1, 1, sv); }
            break;
        case 0x3a:                                                 /* call_2n */
            if (v < 5) { illegal(vm, op); break; }
            pc = do_call(vm, pc, a0, ops + 1, 1, -1);
            break;
        case 0x3b: break;                                          /* set_colour */
        case 0x3c:                                                 /* throw */
            if (v < 5) { illegal(vm, op); break; }
            if (a1 == 0 || a1 > vm->r.nframes) { zm_fail(vm, "throw to a bad frame %u", a1); break; }
            vm->r.nframes = a1;
            ret(vm, a0); pc = vm->r.pc;
            break;
        /* ---- VAR ---- */
        case 0x40:                                                 /* call / call_vs */
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, ops + 1, n ? n - 1 : 0, sv); }
            break;
        case 0x41: zm_ww(vm, (uint16_t)(a0 + 2 * a1), ops[2]); break; /* storew */
        case 0x42: zm_wb(vm, (uint16_t)(a0 + a1), (uint8_t)ops[2]); break; /* storeb */
        case 0x43:                                                 /* put_prop */
            if (!a0) zm_warn(vm, 25, "@put_prop called with object 0");
            zm_put_prop(vm, a0, a1, ops[2]);
            break;
        case 0x44:                                                 /* sread / aread */
            vm->r.in_text = a0;
            vm->r.in_parse = n > 1 ? a1 : 0;
            vm->r.in_store = v >= 5 ? (int16_t)m[pc++] : -1;
            vm->r.nkeys = 0;                                       /* a line read drops typed-ahead keys */
            if (v <= 3) zm_show_status(vm);
            zm_before_read(vm, 1);
            vm->r.wait = JITRL_ZVM_INPUT;
            vm->brk = 1;
            break;
        case 0x45: zm_print_char(vm, a0); break;                   /* print_char */
        case 0x46: print_num(vm, (int16_t)a0); break;              /* print_num */
        case 0x47: store(vm, &pc, zm_rng_next(vm, (int16_t)a0)); break; /* random */
        case 0x48: push(vm, a0); break;                            /* push */
        case 0x49:                                                 /* pull */
            if (v == 6) { illegal(vm, op); break; }
            { uint16_t x = pop(vm); poke_var(vm, a0 & 0xff, x); }
            break;
        case 0x4a: zm_split_window(vm, a0); break;                 /* split_window */
        case 0x4b: zm_set_window(vm, a0); break;                   /* set_window */
        case 0x4c:                                                 /* call_vs2 */
            { int sv = m[pc++]; pc = do_call(vm, pc, a0, ops + 1, n ? n - 1 : 0, sv); }
            break;
        case 0x4d: zm_erase_window(vm, (int16_t)a0); break;        /* erase_window */
        case 0x4e: if (v >= 4) zm_erase_line(vm, a0); break;      /* erase_line */
        case 0x4f: zm_set_cursor(vm, (int16_t)a0, (int16_t)a1); break; /* set_cursor */
        case 0x50: {                                               /* get_cursor */
            unsigned row, col;
            zm_get_cursor(vm, &row, &col);
            zm_ww(vm, a0, (uint16_t)row);
            zm_ww(vm, (uint16_t)(a0 + 2), (uint16_t)col);
            break;
        }
        case 0x51: zm_set_style(vm, a0); break;                    /* set_text_style */
        case 0x52: zm_buffer_mode(vm, a0); break;                  /* buffer_mode */
        case 0x53: zm_output_stream(vm, (int16_t)a0, a1); break;   /* output_stream */
        case 0x54: break;                                          /* input_stream */
        case 0x55: break;                                          /* sound_effect */
        case 0x56:                                                 /* read_char */
            if (vm->r.nkeys) {
                uint16_t k = (unsigned char)vm->r.keys[0];
                memmove(vm->r.keys, vm->r.keys + 1, --vm->r.nkeys);
                zm_after_key(vm);
                store(vm, &pc, k);
                break;
            }
            vm->r.in_store = (int16_t)m[pc++];
            zm_before_read(vm, 0);
            vm->r.wait = JITRL_ZVM_CHAR;
            vm->brk = 1;
            break;
        case 0x57: {                                               /* scan_table */
            unsigned form = n > 3 ? ops[3] : 0x82, len = form & 0x7f;
            uint32_t p = a1, found = 0;
            if (len == 0) len = 1;
            for (unsigned i = 0; i < ops[2] && !vm->halted; i++, p += len) {
                uint16_t x = (form & 0x80) ? zm_rw(vm, p) : zm_rb(vm, p);
                if (x == a0) { found = p; break; }
            }
            store(vm, &pc, (uint16_t)found);
            pc = branch(vm, pc, found != 0);
            break;
        }
        case 0x58: store(vm, &pc, (uint16_t)~a0); break;                /* not (v5) */
        case 0x59:                                                 /* call_vn */
        case 0x5a:                                                 /* call_vn2 */
            pc = do_call(vm, pc, a0, ops + 1, n ? n - 1 : 0, -1);
            break;
        case 0x5b: zm_tokenise(vm, a0, a1, n > 2 ? ops[2] : 0, n > 3 ? ops[3] : 0); break;
        case 0x5c: {                                               /* encode_text */
            uint8_t zs[256], enc[6];
            unsigned len = a1 > 255 ? 255 : a1;
            for (unsigned i = 0; i < len; i++) zs[i] = zm_rb(vm, (uint32_t)a0 + ops[2] + i);
            zm_encode(vm, zs, len, enc);
            for (unsigned i = 0; i < 6; i++) zm_wb(vm, (uint32_t)ops[3] + i, enc[i]);
            break;
        }
        case 0x5d: copy_table(vm, a0, a1, (int16_t)ops[2]); break; /* copy_table */
        case 0x5e:                                                 /* print_table */
            zm_print_table(vm, a0, a1, n > 2 ? ops[2] : 1, n > 3 ? ops[3] : 0);
            break;
        case 0x5f: pc = branch(vm, pc, a0 <= vm->frames[vm->r.nframes - 1].argc); break; /* check_arg_count */
        /* ---- EXT (v5+) ---- */
        case 0x60: case 0x61: store(vm, &pc, 0); break;                 /* save / restore: fail */
        case 0x62: {                                               /* log_shift */
            int16_t sh = (int16_t)a1;
            store(vm, &pc, sh >= 16 || sh <= -16 ? 0 : sh >= 0 ? (uint16_t)(a0 << sh) : (uint16_t)(a0 >> -sh));
            break;
        }
        case 0x63: {                                               /* art_shift */
            int16_t sh = (int16_t)a1, x = (int16_t)a0;
            if (sh >= 16) store(vm, &pc, 0);
            else if (sh <= -16) store(vm, &pc, x < 0 ? 0xffff : 0);
            else store(vm, &pc, sh >= 0 ? (uint16_t)(a0 << sh) : (uint16_t)(x >> -sh));
            break;
        }
        case 0x64: store(vm, &pc, a0 <= 1 ? 1 : 0); break;         /* set_font: dfrotz has only font 1 */
        case 0x69:                                                 /* save_undo */
            /* the slot is taken with the PC on the store byte, so that
             * restore_undo can resume there and store 2 */
            store(vm, &pc, (uint16_t)zm_save_undo(vm));
            break;
        case 0x6a:                                                 /* restore_undo */
            if (zm_restore_undo(vm)) { pc = vm->r.pc; store(vm, &pc, 2); }
            else store(vm, &pc, 0);
            break;
        case 0x6b: zm_print_unicode(vm, a0); break;               /* print_unicode */
        case 0x6c:                                                 /* check_unicode, as dfrotz answers */
            store(vm, &pc, a0 >= 0x20 && a0 <= 0x7e ? 3 : a0 >= 0xa0 ? 1 : 0);
            break;
        case 0x6d: break;                                          /* set_true_colour */
        default: illegal(vm, op); break;
        }
    }
    if (!vm->halted) vm->r.pc = pc;
    vm->r.icount += done;
}
