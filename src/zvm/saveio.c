/*
 * saveio.c -- the game's own @save / @restore to Quetzal files (§15, and
 * the Quetzal 1.4 format of the Standards Document), done as
 * `dfrotz -m -p -q` does them, and dfrotz's bleeps (@sound_effect 1, 2).
 *
 * Why: a game that offers RESTORE (a death menu, a SAVE command) must see
 * the same dialogue as under dfrotz, or transcripts part ways.  dfrotz asks
 * "Please enter a filename [NAME]: " (NAME the last name used, first the
 * story's name with .qzl), reads a line (empty = NAME), and for a save over
 * an existing file asks "Overwrite existing file? " and saves only on y.
 * Both prompts go straight to the output, ahead of the game text still on
 * the screen model, as dfrotz prints them.
 *
 * Files live only in the sandbox directory the embedder gave
 * (jitrl_zvm_options.save_dir): a name with '/' or '\\', "." or "..", a
 * leading '.' or control characters is refused and the save or restore
 * fails (result 0), as it does with no sandbox, where no prompt is shown.
 * Snapshots (snapshot.c) remain the agent's tool; these files are the game's.
 *
 * Quetzal written here: IFhd (release, serial, checksum, PC of the store or
 * branch byte), CMem (dynamic memory XOR the original, zero runs
 * compressed) and Stks (one frame per routine, the v1-5 dummy first).
 * Read back: IFhd must match the story; CMem or UMem; Stks.  Everything is
 * checked before the machine is touched, so a bad file leaves it as it was.
 */
#include "zvm/zvm_int.h"
#include "base/alloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QZ_MAX_FILE (4u << 20)   /* no honest save of a <=512 KB story is larger */

void zm_beep(jitrl_zvm *vm, unsigned which)
{
    /* dumb frotz prints the bleep at once, not through the screen model */
    if (jr_buf_puts(&vm->out, which == 1 ? "[HIGH-PITCHED BEEP]\n" : "[LOW-PITCHED BEEP]\n")) vm->oom = 1;
}

static void say(jitrl_zvm *vm, const char *s)
{
    if (jr_buf_puts(&vm->out, s)) vm->oom = 1;
}

static void term(char *s, size_t cap) { s[cap - 1] = '\0'; }

int zm_file_begin(jitrl_zvm *vm, int op)
{
    if (!vm->save_dir[0]) return 0;
    term(vm->r.file_default, sizeof vm->r.file_default);
    if (!vm->r.file_default[0]) snprintf(vm->r.file_default, sizeof vm->r.file_default, "story.qzl");
    char prompt[sizeof vm->r.file_default + 40];
    snprintf(prompt, sizeof prompt, "Please enter a filename [%s]: ", vm->r.file_default);
    say(vm, prompt);
    vm->r.file_op = (uint8_t)op;
    return 1;
}

/* a name that stays inside the sandbox directory */
static int name_ok(const char *s)
{
    if (!s[0] || s[0] == '.') return 0;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 32 || *p == 127) return 0;
    return 1;
}

static int path_of(const jitrl_zvm *vm, const char *name, char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/%s", vm->save_dir, name);
    return n > 0 && (size_t)n < cap;
}

/* ---- writing ---- */

static void put32(jr_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    jr_buf_append(b, x, 4);
}
static void put16(jr_buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    jr_buf_append(b, x, 2);
}
static void put8(jr_buf *b, unsigned v) { jr_buf_putc(b, (char)(uint8_t)v); }

/* opens a chunk; returns where its length goes */
static size_t chunk_open(jr_buf *b, const char *id)
{
    jr_buf_append(b, id, 4);
    put32(b, 0);
    return b->len;
}
static void chunk_close(jr_buf *b, size_t start)
{
    size_t n = b->len - start;
    uint8_t *p = (uint8_t *)b->data + start - 4;
    p[0] = (uint8_t)(n >> 24); p[1] = (uint8_t)(n >> 16); p[2] = (uint8_t)(n >> 8); p[3] = (uint8_t)n;
    if (n & 1) put8(b, 0);   /* IFF pads chunks to an even length */
}

static int quetzal_build(jitrl_zvm *vm, jr_buf *b)
{
    const uint8_t *o = vm->orig;
    jr_buf_append(b, "FORM", 4);
    put32(b, 0);
    jr_buf_append(b, "IFZS", 4);
    size_t c = chunk_open(b, "IFhd");
    jr_buf_append(b, o + 2, 2);
    jr_buf_append(b, o + 0x12, 6);
    jr_buf_append(b, o + 0x1c, 2);
    put8(b, vm->r.pc >> 16); put16(b, vm->r.pc & 0xffff);
    chunk_close(b, c);

    c = chunk_open(b, "CMem");
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < vm->dyn_size; i++) {
        uint8_t x = (uint8_t)(vm->mem[i] ^ o[i]);
        if (x == 0) { zeros++; continue; }
        for (; zeros; zeros -= zeros > 256 ? 256 : zeros) { put8(b, 0); put8(b, (zeros > 256 ? 256 : zeros) - 1); }
        put8(b, x);
    }
    chunk_close(b, c);   /* trailing zeros may be left out */

    c = chunk_open(b, "Stks");
    for (uint32_t f = 0; f < vm->r.nframes; f++) {
        const struct zm_frame *fr = &vm->frames[f];
        uint32_t lo = fr->fp + fr->nlocals, hi = f + 1 < vm->r.nframes ? vm->frames[f + 1].fp : vm->r.sp;
        assert(lo <= hi);
        put8(b, fr->ret_pc >> 16); put16(b, fr->ret_pc & 0xffff);
        /* the dummy frame of the main routine has no result: flags 0, as frotz writes it */
        put8(b, fr->nlocals | (fr->store < 0 && f ? 0x10 : 0));
        put8(b, fr->store < 0 ? 0 : (unsigned)fr->store);
        put8(b, (1u << fr->argc) - 1);
        put16(b, hi - lo);
        for (uint32_t i = fr->fp; i < hi; i++) put16(b, vm->stack[i]);
    }
    chunk_close(b, c);
    uint32_t total = (uint32_t)b->len - 8;
    uint8_t *p = (uint8_t *)b->data + 4;
    p[0] = (uint8_t)(total >> 24); p[1] = (uint8_t)(total >> 16); p[2] = (uint8_t)(total >> 8); p[3] = (uint8_t)total;
    return 1;
}

static int write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return 0;
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { close(fd); return 0; }
        p += w; n -= (size_t)w;
    }
    return close(fd) == 0;
}

static int do_save(jitrl_zvm *vm, const char *path)
{
    jr_buf b;
    jr_buf_init(&b, QZ_MAX_FILE);
    /* reserve the worst case first, so no append below can fail half-way */
    size_t bound = 64 + 2 * (size_t)vm->dyn_size + 2 * (size_t)vm->r.sp + 8 * (size_t)vm->r.nframes;
    int ok = bound < QZ_MAX_FILE && jr_buf_printf(&b, "%*s", (int)bound, "") == 0;
    jr_buf_reset(&b);
    ok = ok && quetzal_build(vm, &b) && b.len > 12 && write_file(path, b.data, b.len);
    jr_buf_free(&b);
    return ok;
}

/* ---- reading ---- */

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

static uint8_t *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 12 || st.st_size > (off_t)QZ_MAX_FILE) {
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *buf = jr_malloc(n);
    while (buf && got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { jr_free(buf); buf = NULL; break; }
        got += (size_t)r;
    }
    close(fd);
    *len = n;
    return buf;
}

/* The restored state, built aside so a bad file changes nothing. */
struct qz_state {
    uint32_t pc, sp, nframes;
    uint8_t *mem;                        /* dyn_size bytes */
    uint16_t stack[ZM_STACK_WORDS];
    struct zm_frame frames[ZM_MAX_FRAMES];
};

static int parse_stks(const uint8_t *p, uint32_t n, struct qz_state *s)
{
    uint32_t i = 0;
    s->sp = 0; s->nframes = 0;
    while (i < n) {
        if (n - i < 8 || s->nframes >= ZM_MAX_FRAMES) return 0;
        struct zm_frame *f = &s->frames[s->nframes++];
        unsigned flags = p[i + 3], nloc = flags & 15, args = p[i + 5], neval = get16(p + i + 6);
        if (flags & 0xe0) return 0;
        f->ret_pc = (uint32_t)p[i] << 16 | get16(p + i + 1);
        f->nlocals = (uint8_t)nloc;
        f->store = (flags & 0x10) ? -1 : p[i + 4];
        unsigned argc = 0;
        while (argc < 7 && (args >> argc) & 1) argc++;
        f->argc = (uint8_t)argc;
        f->pad = 0;
        f->fp = (uint16_t)s->sp;
        i += 8;
        uint32_t words = nloc + neval;
        if ((n - i) / 2 < words || s->sp + words > ZM_STACK_WORDS) return 0;
        for (uint32_t k = 0; k < words; k++, i += 2) s->stack[s->sp++] = (uint16_t)get16(p + i);
    }
    /* v1-5: the main routine's dummy frame comes first, has no locals and
     * nothing to return to */
    if (s->nframes < 1 || s->frames[0].nlocals) return 0;
    s->frames[0].store = -1;
    s->frames[0].ret_pc = 0;
    return 1;
}

static int parse_quetzal(jitrl_zvm *vm, const uint8_t *d, size_t len, struct qz_state *s)
{
    if (len < 12 || memcmp(d, "FORM", 4) || memcmp(d + 8, "IFZS", 4)) return 0;
    size_t end = (size_t)get32(d + 4) + 8;
    if (end > len) return 0;
    int have_hd = 0, have_mem = 0, have_stk = 0;
    for (size_t i = 12; i + 8 <= end;) {
        const uint8_t *id = d + i;
        uint32_t n = get32(d + i + 4);
        const uint8_t *p = d + i + 8;
        if (n > end - i - 8) return 0;
        if (!memcmp(id, "IFhd", 4)) {
            const uint8_t *o = vm->orig;
            if (n < 13 || memcmp(p, o + 2, 2) || memcmp(p + 2, o + 0x12, 6) || memcmp(p + 8, o + 0x1c, 2)) return 0;
            s->pc = (uint32_t)p[10] << 16 | get16(p + 11);
            have_hd = 1;
        } else if (!memcmp(id, "CMem", 4) && !have_mem) {
            memcpy(s->mem, vm->orig, vm->dyn_size);
            uint32_t a = 0;
            for (uint32_t k = 0; k < n; k++) {
                if (p[k]) {
                    if (a >= vm->dyn_size) return 0;
                    s->mem[a++] ^= p[k];
                } else {
                    if (++k >= n) return 0;
                    a += (uint32_t)p[k] + 1;
                    if (a > vm->dyn_size) return 0;
                }
            }
            have_mem = 1;
        } else if (!memcmp(id, "UMem", 4) && !have_mem) {
            if (n != vm->dyn_size) return 0;
            memcpy(s->mem, p, n);
            have_mem = 1;
        } else if (!memcmp(id, "Stks", 4) && !have_stk) {
            if (!parse_stks(p, n, s)) return 0;
            have_stk = 1;
        }
        i += 8 + (size_t)n + (n & 1);
    }
    /* the PC points at the save's store or branch byte */
    return have_hd && have_mem && have_stk && s->pc >= 0x40 && s->pc + 2 < vm->mem_len;
}

static int do_restore(jitrl_zvm *vm, const char *path)
{
    size_t len = 0;
    uint8_t *d = read_file(path, &len);
    if (!d) return 0;
    struct qz_state *s = jr_malloc(sizeof *s);
    uint8_t *mem = jr_malloc(vm->dyn_size);
    int ok = s && mem;
    if (ok) {
        s->mem = mem;
        ok = parse_quetzal(vm, d, len, s);
    }
    if (ok) {
        uint8_t keep = vm->mem[0x11] & 3;  /* §6.1.3: transcript and fixed-pitch bits survive */
        memcpy(vm->mem, s->mem, vm->dyn_size);
        zm_header_init(vm);
        vm->mem[0x11] = (uint8_t)((vm->mem[0x11] & ~3) | keep);
        memcpy(vm->stack, s->stack, s->sp * sizeof vm->stack[0]);
        memcpy(vm->frames, s->frames, s->nframes * sizeof vm->frames[0]);
        vm->r.sp = s->sp;
        vm->r.nframes = s->nframes;
        vm->r.pc = s->pc;
        zm_sync_frame(vm);
    }
    jr_free(mem);
    jr_free(s);
    jr_free(d);
    return ok;
}

int zm_file_finish(jitrl_zvm *vm, const char *line, size_t n)
{
    int op = vm->r.file_op;
    assert(op == ZM_FILE_SAVE || op == ZM_FILE_RESTORE || op == ZM_FILE_OVERWRITE);
    char path[1200];
    if (op == ZM_FILE_OVERWRITE) {
        vm->r.file_op = 0;
        term(vm->r.file_pending, sizeof vm->r.file_pending);
        if (!n || (line[0] != 'y' && line[0] != 'Y')) return 0;
        memcpy(vm->r.file_default, vm->r.file_pending, sizeof vm->r.file_default);
        return path_of(vm, vm->r.file_pending, path, sizeof path) && do_save(vm, path);
    }
    vm->r.file_op = 0;
    char name[sizeof vm->r.file_default];
    if (n == 0) {
        memcpy(name, vm->r.file_default, sizeof name);
    } else {
        if (n >= sizeof name) return 0;
        memcpy(name, line, n);
        name[n] = '\0';
    }
    /* dfrotz offers the last name accepted next time, even if the file then
     * fails to open; a save refused at "Overwrite?" leaves it alone */
    int exists = 0;
    struct stat st;
    if (name_ok(name) && path_of(vm, name, path, sizeof path)) exists = lstat(path, &st) == 0;
    else path[0] = '\0';
    if (op == ZM_FILE_SAVE && exists) {
        memcpy(vm->r.file_pending, name, sizeof name);
        vm->r.file_op = ZM_FILE_OVERWRITE;
        say(vm, "Overwrite existing file? ");
        return -1;
    }
    memcpy(vm->r.file_default, name, sizeof name);
    if (!path[0]) return 0;   /* outside the sandbox */
    if (op == ZM_FILE_RESTORE) return do_restore(vm, path) ? 2 : 0;
    return do_save(vm, path);
}
