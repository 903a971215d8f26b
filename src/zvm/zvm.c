/*
 * zvm.c -- the machine handle: opening a story, the header (§11) as dfrotz
 * fills it, the run/input calls and the read-only accessors of
 * include/jitrl/zvm.h.
 *
 * Opening validates every header address a later instruction relies on
 * without a check (globals, object table, dictionary), so the hot paths in
 * exec.c can read globals directly.  Everything else is checked where it is
 * used.
 */
#include "zvm/zvm_int.h"
#include "base/alloc.h"
#include "base/opts.h"

#include <errno.h>
#include <xxhash.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void zm_fail(jitrl_zvm *vm, const char *fmt, ...)
{
    if (vm->halted) return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(vm->err, sizeof vm->err, "%s (PC = %#x)", msg, (unsigned)vm->r.pc);
    vm->halted = 1;
    vm->brk = 1;
}

static uint16_t hw(const uint8_t *m, uint32_t a) { return (uint16_t)(m[a] << 8 | m[a + 1]); }

/* §11.1: the fields the interpreter sets, with dfrotz's values (checked by
 * printing them from a test story under dfrotz -m -p -q). */
int zm_header_init(jitrl_zvm *vm)
{
    uint8_t *m = vm->mem;
    unsigned rows = vm->opt.screen_height ? vm->opt.screen_height : ZM_SCREEN_ROWS;
    unsigned cols = vm->opt.screen_width ? vm->opt.screen_width : ZM_SCREEN_COLS;
    /* the same limits as the screen model (screen.c) */
    if (rows < 2) rows = 2;
    if (rows > ZM_MAX_ROWS) rows = ZM_MAX_ROWS;
    if (cols < 10) cols = 10;
    if (cols > ZM_MAX_COLS) cols = ZM_MAX_COLS;
    if (vm->version <= 3) {
        m[1] = (uint8_t)((m[1] & ~0x70) | 0x20);   /* split screen available */
        m[0x11] &= (uint8_t)~0x10;
    } else {
        m[1] = 0x80;                                /* timed input; no styles advertised */
        m[0x1e] = 1;                                /* DECSystem-20, as dfrotz */
        m[0x1f] = 'F';
        m[0x20] = (uint8_t)rows;
        m[0x21] = (uint8_t)cols;
        if (vm->version >= 5) {
            m[0x22] = (uint8_t)(cols >> 8); m[0x23] = (uint8_t)cols;
            m[0x24] = (uint8_t)(rows >> 8); m[0x25] = (uint8_t)rows;
            m[0x26] = 1; m[0x27] = 1;
            m[0x11] &= (uint8_t)~(0x08 | 0x20 | 0x40 | 0x80); /* no pictures, mouse, colours, sound */
        }
    }
    m[0x32] = 1; m[0x33] = 1;                       /* standard 1.1 */
    return JITRL_OK;
}

/* frotz turns '?' in input into a space for some early Infocom games (their
 * parsers choke on it); these are the ones we know by release and serial. */
static int blanks_question_mark(const uint8_t *story)
{
    static const struct { uint16_t release; char serial[7]; } games[] = {
        {88, "840726"},  /* Zork I */
        {17, "840727"},  /* Zork III */
    };
    if (story[0] > 3) return 0;
    for (size_t i = 0; i < sizeof games / sizeof games[0]; i++)
        if (hw(story, 2) == games[i].release && !memcmp(story + 0x12, games[i].serial, 6)) return 1;
    return 0;
}

static int open_fail(char *errmsg, size_t errlen, int rc, const char *msg)
{
    if (errmsg && errlen) snprintf(errmsg, errlen, "%s", msg);
    return rc;
}

/* Checks the header of a story of len bytes; sets *mlen to the bytes that
 * form its memory.  Returns JITRL_OK or an error code with a message. */
static int check_story(const uint8_t *story, size_t len, uint32_t *mlen_out, char *errmsg, size_t errlen)
{
    char msg[160];
    if (!story || len < 64) return open_fail(errmsg, errlen, JITRL_ECORRUPT, "story file too short for a header");
    int v = story[0];
    if (v == 6) return open_fail(errmsg, errlen, JITRL_EUNSUPPORTED, "Z-machine version 6 stories are not supported");
    if (v < 1 || v > 8) {
        /* a text file, an image, ...: its first byte is no version at all */
        snprintf(msg, sizeof msg, "not a Z-machine story file (its first byte, %d, is no Z-machine version)", v);
        return open_fail(errmsg, errlen, JITRL_ECORRUPT, msg);
    }
    if (v != 3 && v != 4 && v != 5 && v != 7 && v != 8) {
        snprintf(msg, sizeof msg, "unsupported Z-machine version %d (3, 4, 5, 7 and 8 run)", v);
        return open_fail(errmsg, errlen, v == 1 || v == 2 ? JITRL_EUNSUPPORTED : JITRL_ECORRUPT, msg);
    }
    uint32_t scale = v <= 3 ? 2 : v <= 5 ? 4 : 8;
    uint32_t maxlen = v <= 3 ? 128u << 10 : v <= 5 ? 256u << 10 : v == 7 ? 320u << 10 : 512u << 10;
    uint32_t flen = hw(story, 0x1a) * scale;
    uint32_t mlen = (uint32_t)(len > maxlen ? maxlen : len);
    if (flen) {
        if (flen > mlen) {
            snprintf(msg, sizeof msg, "story file truncated: header says %u bytes, file has %zu", (unsigned)flen, len);
            return open_fail(errmsg, errlen, JITRL_ECORRUPT, msg);
        }
        if (flen >= 64) mlen = flen;
    }
    uint32_t dyn = hw(story, 0x0e), glob = hw(story, 0x0c), obj = hw(story, 0x0a), dict = hw(story, 0x08);
    uint32_t pc = hw(story, 0x06);
    if (dyn < 64 || dyn > mlen) return open_fail(errmsg, errlen, JITRL_ECORRUPT, "bad static memory base in header");
    if (glob < 64 || glob + 480 > dyn) return open_fail(errmsg, errlen, JITRL_ECORRUPT, "global variable table outside dynamic memory");
    if (obj < 64 || obj + 126 > dyn) return open_fail(errmsg, errlen, JITRL_ECORRUPT, "object table outside dynamic memory");
    if (dict < 64 || dict + 4 > mlen) return open_fail(errmsg, errlen, JITRL_ECORRUPT, "dictionary outside memory");
    if (pc >= mlen) return open_fail(errmsg, errlen, JITRL_ECORRUPT, "initial PC outside memory");
    *mlen_out = mlen;
    return JITRL_OK;
}

/* Builds a machine around mem, a checked story image of mlen bytes
 * followed by at least ZM_PAD more; takes ownership of mem, also on error.
 *
 * Process start-up is a third of a short `jitrl run`, and on a virtual
 * machine a first touch of a page costs ~15 us, so opening touches as few
 * pages as it can: the story is used where it was read, only dynamic memory
 * is copied as the pristine image (static memory never changes), and the
 * large arrays of the handle (stack, frames) are left for the run to touch. */
/* The save sandbox and the first name offered (saveio.c), copied from the
 * options: "NAME.qzl" from the story's file name, as dfrotz offers it. */
static int set_save_names(jitrl_zvm *vm, const jitrl_zvm_options *opt, const char *path)
{
    const char *dir = opt ? opt->save_dir : NULL, *name = opt ? opt->save_name : NULL;
    vm->opt.save_dir = vm->opt.save_name = NULL;   /* the caller's strings are not kept */
    if (dir && strlen(dir) >= sizeof vm->save_dir) return 0;
    if (name && strlen(name) >= sizeof vm->r.file_default) return 0;
    if (dir) strcpy(vm->save_dir, dir);
    if (name) {
        strcpy(vm->r.file_default, name);
    } else if (path) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        const char *dot = strrchr(base, '.');
        size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
        if (n > sizeof vm->r.file_default - 5) n = sizeof vm->r.file_default - 5;
        snprintf(vm->r.file_default, sizeof vm->r.file_default, "%.*s.qzl", (int)n, base);
    } else {
        strcpy(vm->r.file_default, "story.qzl");
    }
    return 1;
}

void jitrl_zvm_options_init(jitrl_zvm_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
}

/* The caller's options (NULL = defaults) over the defaults, into *o. */
static int load_options(jitrl_zvm_options *o, const jitrl_zvm_options *opt, char *errmsg, size_t errlen)
{
    jitrl_zvm_options_init(o);
    if (jr_opts_load(o, sizeof *o, opt))
        return open_fail(errmsg, errlen, JITRL_EINVAL, "bad jitrl_zvm_options size (call jitrl_zvm_options_init)");
    return JITRL_OK;
}

static int build(uint8_t *mem, uint32_t mlen, const jitrl_zvm_options *opt, const char *path, jitrl_zvm **out,
                 char *errmsg, size_t errlen)
{
    memset(mem + mlen, 0, ZM_PAD);
    jitrl_zvm *vm = jr_malloc(sizeof *vm);
    if (!vm) {
        jr_free(mem);
        return open_fail(errmsg, errlen, JITRL_ENOMEM, "out of memory");
    }
    /* everything up to the stack is zeroed; stack and frames are only read
     * below sp / nframes, and the screen is set up by zm_screen_reset */
    memset(vm, 0, offsetof(struct jitrl_zvm, stack));
    memset(&vm->frames[0], 0, sizeof vm->frames[0]);
    memset(&vm->out, 0, offsetof(struct jitrl_zvm, scr) + offsetof(struct zm_screen, cell) -
                            offsetof(struct jitrl_zvm, out));
    memset((char *)vm + offsetof(struct jitrl_zvm, scr) + sizeof vm->scr, 0,
           sizeof *vm - offsetof(struct jitrl_zvm, scr) - sizeof vm->scr);
    vm->mem = mem;
    uint32_t dyn = hw(mem, 0x0e);
    vm->orig = jr_malloc(dyn);
    if (!vm->orig) {
        jitrl_zvm_close(vm);
        return open_fail(errmsg, errlen, JITRL_ENOMEM, "out of memory");
    }
    memcpy(vm->orig, mem, dyn);
    const uint8_t *story = vm->orig;   /* the header, as in the file */
    int v = story[0];
    vm->mem_len = mlen;
    vm->version = v;
    vm->dyn_size = dyn;
    vm->high_base = hw(story, 0x04);
    vm->globals = hw(story, 0x0c);
    vm->objects = hw(story, 0x0a);
    vm->dict = hw(story, 0x08);
    vm->abbrevs = hw(story, 0x18);
    vm->pack_shift = v <= 3 ? 1 : v <= 7 ? 2 : 3;
    if (v == 7) {
        vm->routine_off = 8u * hw(story, 0x28);
        vm->string_off = 8u * hw(story, 0x2a);
    }
    if (v >= 5) {
        uint32_t alpha = hw(story, 0x34);
        if (alpha && alpha + 78 <= mlen) vm->alphabet = alpha;
        uint32_t ext = hw(story, 0x36);
        if (ext && ext + 8 <= mlen && hw(mem, ext) >= 3) {
            uint32_t ut = hw(mem, ext + 6);
            if (ut && ut < mlen && ut + 1 + 2u * mem[ut] <= mlen) vm->unicode_tab = ut;
        }
    }
    /* identifies the story for snapshots: the original header (release,
     * serial, checksum, sizes) is enough, and cheap */
    vm->story_id = (uint32_t)XXH3_64bits(story, 64);
    if (opt) vm->opt = *opt;
    if (!set_save_names(vm, opt, path)) {
        jitrl_zvm_close(vm);
        return open_fail(errmsg, errlen, JITRL_EINVAL, "save_dir or save_name too long");
    }
    vm->qmark_to_space = blanks_question_mark(story);
    jr_buf_init(&vm->out, ZM_OUT_MAX);
    zm_obj_init(vm);
    vm->obj_count = zm_count_objects(vm);
    zm_header_init(vm);
    zm_screen_reset(vm);
    zm_reset_machine(vm);
    *out = vm;
    if (errmsg && errlen) errmsg[0] = '\0';
    return JITRL_OK;
}

int jitrl_zvm_open_buffer(const uint8_t *story, size_t len, const jitrl_zvm_options *opt,
                          jitrl_zvm **out, char *errmsg, size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    jitrl_zvm_options o;
    int rc = load_options(&o, opt, errmsg, errlen);
    if (rc) return rc;
    uint32_t mlen;
    rc = check_story(story, len, &mlen, errmsg, errlen);
    if (rc) return rc;
    uint8_t *mem = jr_malloc((size_t)mlen + ZM_PAD);
    if (!mem) return open_fail(errmsg, errlen, JITRL_ENOMEM, "out of memory");
    memcpy(mem, story, mlen);
    return build(mem, mlen, &o, NULL, out, errmsg, errlen);
}

int jitrl_zvm_open_file(const char *path, const jitrl_zvm_options *opt, jitrl_zvm **out,
                        char *errmsg, size_t errlen)
{
    char msg[300];
    if (!out || !path) return JITRL_EINVAL;
    *out = NULL;
    jitrl_zvm_options o;
    int orc = load_options(&o, opt, errmsg, errlen);
    if (orc) return orc;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, sizeof msg, "cannot open %s: %s", path, strerror(errno));
        return open_fail(errmsg, errlen, JITRL_EIO, msg);
    }
    /* no story exceeds 512 KB: read at most one byte more to notice.  The
     * buffer becomes the machine's memory (see build), so it has the pad. */
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    size_t cap = size >= 0 && size < (1L << 19) ? (size_t)size + 1 : (1u << 19) + 1, n;
    rewind(f);
    uint8_t *buf = jr_malloc(cap + ZM_PAD);
    if (!buf) { fclose(f); return open_fail(errmsg, errlen, JITRL_ENOMEM, "out of memory"); }
    n = fread(buf, 1, cap, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        jr_free(buf);
        snprintf(msg, sizeof msg, "cannot read %s", path);
        return open_fail(errmsg, errlen, JITRL_EIO, msg);
    }
    uint32_t mlen;
    int rc = check_story(buf, n, &mlen, errmsg, errlen);
    if (rc) {
        jr_free(buf);
        return rc;
    }
    return build(buf, mlen, &o, path, out, errmsg, errlen);
}

void jitrl_zvm_close(jitrl_zvm *vm)
{
    if (!vm) return;
    zm_free_undo(vm);
    jr_free(vm->mem);
    jr_free(vm->orig);
    jr_buf_free(&vm->out);
    jr_free(vm);
}

const char *jitrl_zvm_errmsg(const jitrl_zvm *vm)
{
    if (!vm) return "no machine";
    return vm->err;
}

static uint64_t cpu_ns(void);

int jitrl_zvm_run(jitrl_zvm *vm, uint64_t budget, jitrl_zvm_stop *stop)
{
    jitrl_zvm_stop dummy;
    if (!stop) stop = &dummy;
    *stop = JITRL_ZVM_HALT;
    if (!vm) return JITRL_EINVAL;
    if (vm->halted) return JITRL_ESTATE;
    if (vm->r.quit) { *stop = JITRL_ZVM_QUIT; return JITRL_OK; }
    if (vm->r.wait) { *stop = (jitrl_zvm_stop)vm->r.wait; return JITRL_OK; }
    if (budget == 0) budget = 10000000;
    if (vm->cpu_budget_ns) {
        /* In slices of ZM_CLOCK_EVERY instructions with a clock read
         * between them: the hot loop stays as it is, and a slice is well
         * under a millisecond.  The clock is this thread's CPU time, so
         * what the story spent is counted and a loaded machine (time the
         * thread waited for a core) is not: the bound never decides a run
         * that would have finished on a quiet machine. */
        uint64_t end = vm->r.icount + budget, t0 = cpu_ns(), t = t0;
        while (!vm->halted && !vm->r.quit && !vm->r.wait && vm->r.icount < end) {
            if (vm->cpu_used_ns + (t - t0) >= vm->cpu_budget_ns) {
                vm->out_of_time = 1;
                break;
            }
            uint64_t left = end - vm->r.icount;
            vm->stop_at = vm->r.icount + (left < ZM_CLOCK_EVERY ? left : ZM_CLOCK_EVERY);
            zm_execute(vm);
            t = cpu_ns();
        }
        vm->cpu_used_ns += t - t0;
    } else {
        vm->stop_at = vm->r.icount + budget;
        zm_execute(vm);
    }
    if (vm->halted) return JITRL_EVM;
    if (vm->oom) {
        /* the story went on, but its output (or undo slot) is short: what
         * the caller reads of this run is not what the story did */
        vm->oom = 0;
        return JITRL_ENOMEM;
    }
    if (vm->r.quit) *stop = JITRL_ZVM_QUIT;
    else if (vm->r.wait) *stop = (jitrl_zvm_stop)vm->r.wait;
    else *stop = JITRL_ZVM_BUDGET;
    return JITRL_OK;
}

/* The calling thread's CPU time; a machine may run on several threads in
 * turn, so each run reads the clock of the thread it runs on. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void jitrl_zvm_set_deadline(jitrl_zvm *vm, uint64_t ms)
{
    if (!vm) return;
    vm->cpu_budget_ns = ms * 1000000u;
    vm->cpu_used_ns = 0;
    vm->out_of_time = 0;
}

int jitrl_zvm_out_of_time(const jitrl_zvm *vm) { return vm ? vm->out_of_time : 0; }

int jitrl_zvm_input(jitrl_zvm *vm, const char *line)
{
    if (!vm || !line) return JITRL_EINVAL;
    if (vm->halted || !vm->r.wait) return JITRL_ESTATE;
    return zm_finish_read(vm, line);
}

const char *jitrl_zvm_output(const jitrl_zvm *vm, size_t *len)
{
    if (len) *len = vm ? vm->out.len : 0;
    return vm ? jr_buf_str(&vm->out) : "";
}

void jitrl_zvm_clear_output(jitrl_zvm *vm)
{
    if (vm) jr_buf_reset(&vm->out);
}

const char *jitrl_zvm_status_line(const jitrl_zvm *vm) { return vm ? vm->status : ""; }

uint64_t jitrl_zvm_instructions(const jitrl_zvm *vm) { return vm ? vm->r.icount : 0; }

/* ---- read access ---- */

int jitrl_zvm_version(const jitrl_zvm *vm) { return vm ? vm->version : 0; }

const uint8_t *jitrl_zvm_memory(const jitrl_zvm *vm, size_t *len)
{
    if (len) *len = vm ? vm->mem_len : 0;
    return vm ? vm->mem : NULL;
}

uint16_t jitrl_zvm_read_word(const jitrl_zvm *vm, uint32_t addr)
{
    if (!vm || addr + 1 >= vm->mem_len) return 0;
    return hw(vm->mem, addr);
}

uint8_t jitrl_zvm_read_byte(const jitrl_zvm *vm, uint32_t addr)
{
    if (!vm || addr >= vm->mem_len) return 0;
    return vm->mem[addr];
}

uint16_t jitrl_zvm_global(const jitrl_zvm *vm, unsigned n)
{
    if (!vm || n >= 240) return 0;
    return hw(vm->mem, vm->globals + 2 * n);
}
