/*
 * snapshot.c -- whole-machine snapshots, the undo slots built on them
 * (§15 save_undo / restore_undo) and the world-state hash.
 *
 * A snapshot is a flat byte image: a small header, the registers, the
 * screen model (only the rows*cols cells in use), dynamic memory, the used
 * part of the word stack and the frames.  Static and high memory never
 * change, so they are not copied; that keeps zork1's snapshot around 20 KB
 * and snapshot+restore a few memcpy calls.  The header records the story's
 * identity and sizes, so a snapshot from another story is refused.
 */
#include "zvm/zvm_int.h"
#include "base/alloc.h"

#include <stddef.h>
#include <string.h>
#include <xxhash.h>

#define SNAP_MAGIC 0x5a534e31u  /* "ZSN1" */

struct snap_hdr {
    uint32_t magic;
    uint32_t total;       /* bytes in the whole snapshot */
    uint32_t dyn_size, mem_len;
    uint32_t story;
    uint16_t version, pad;
    uint32_t cells;
};

static size_t scr_head(void) { return offsetof(struct zm_screen, cell); }

/* the exact size of a snapshot of the machine as it is now */
static size_t snapshot_need(const jitrl_zvm *vm)
{
    size_t cells = (size_t)vm->scr.rows * vm->scr.cols;
    return sizeof(struct snap_hdr) + sizeof(struct zm_regs) + scr_head() + cells * 5 + vm->dyn_size +
           vm->r.sp * sizeof(uint16_t) + vm->r.nframes * sizeof(struct zm_frame);
}

size_t jitrl_zvm_snapshot_size(const jitrl_zvm *vm)
{
    if (!vm) return 0;
    return sizeof(struct snap_hdr) + sizeof(struct zm_regs) + scr_head() +
           (size_t)ZM_MAX_ROWS * ZM_MAX_COLS * 5 + vm->dyn_size +
           sizeof vm->stack + sizeof vm->frames;
}

int jitrl_zvm_snapshot(const jitrl_zvm *vm, void *buf, size_t cap, size_t *len)
{
    if (len) *len = 0;
    if (!vm || !buf) return JITRL_EINVAL;
    size_t cells = (size_t)vm->scr.rows * vm->scr.cols, need = snapshot_need(vm);
    if (cap < need) return JITRL_ETOOBIG;
    uint8_t *p = buf;
    struct snap_hdr h = {SNAP_MAGIC, (uint32_t)need, vm->dyn_size, vm->mem_len, vm->story_id,
                         (uint16_t)vm->version, 0, (uint32_t)cells};
    memcpy(p, &h, sizeof h); p += sizeof h;
    memcpy(p, &vm->r, sizeof vm->r); p += sizeof vm->r;
    memcpy(p, &vm->scr, scr_head()); p += scr_head();
    memcpy(p, vm->scr.cell, cells * 4); p += cells * 4;
    memcpy(p, vm->scr.changed, cells); p += cells;
    memcpy(p, vm->mem, vm->dyn_size); p += vm->dyn_size;
    memcpy(p, vm->stack, vm->r.sp * sizeof(uint16_t)); p += vm->r.sp * sizeof(uint16_t);
    memcpy(p, vm->frames, vm->r.nframes * sizeof(struct zm_frame));
    if (len) *len = need;
    return JITRL_OK;
}

int jitrl_zvm_restore(jitrl_zvm *vm, const void *buf, size_t len)
{
    if (!vm || !buf) return JITRL_EINVAL;
    struct snap_hdr h;
    struct zm_regs r;
    const uint8_t *p = buf;
    if (len < sizeof h + sizeof r + scr_head()) return JITRL_ECORRUPT;
    memcpy(&h, p, sizeof h);
    memcpy(&r, p + sizeof h, sizeof r);
    size_t cells = (size_t)vm->scr.rows * vm->scr.cols;
    if (h.magic != SNAP_MAGIC || h.total != len || h.dyn_size != vm->dyn_size || h.mem_len != vm->mem_len ||
        h.story != vm->story_id || h.version != vm->version || h.cells != cells)
        return JITRL_ECORRUPT;
    /* a file-name question (saveio.c) waits only as line input */
    if (r.file_op > ZM_FILE_OVERWRITE || (r.file_op && r.wait != JITRL_ZVM_INPUT)) return JITRL_ECORRUPT;
    if (r.sp > ZM_STACK_WORDS || r.nframes < 1 || r.nframes > ZM_MAX_FRAMES ||
        len != sizeof h + sizeof r + scr_head() + cells * 5 + vm->dyn_size + r.sp * sizeof(uint16_t) +
                   r.nframes * sizeof(struct zm_frame))
        return JITRL_ECORRUPT;
    p += sizeof h;
    memcpy(&vm->r, p, sizeof vm->r); p += sizeof vm->r;
    vm->oom = 0;   /* what was lost belonged to the state left behind */
    memcpy(&vm->scr, p, scr_head()); p += scr_head();
    memcpy(vm->scr.cell, p, cells * 4); p += cells * 4;
    memcpy(vm->scr.changed, p, cells); p += cells;
    memcpy(vm->mem, p, vm->dyn_size); p += vm->dyn_size;
    memcpy(vm->stack, p, vm->r.sp * sizeof(uint16_t)); p += vm->r.sp * sizeof(uint16_t);
    memcpy(vm->frames, p, vm->r.nframes * sizeof(struct zm_frame));
    zm_sync_frame(vm);
    vm->halted = 0;
    vm->err[0] = '\0';
    vm->nundo = 0;   /* undo history belongs to the timeline we left */
    return JITRL_OK;
}

/* ---- undo (§15 save_undo, restore_undo) ---- */

int zm_save_undo(jitrl_zvm *vm)
{
    size_t cap = jitrl_zvm_snapshot_size(vm);
    if (vm->nundo == ZM_UNDO_SLOTS) {   /* drop the oldest */
        uint8_t *old = vm->undo[0];
        size_t oldcap = vm->undo_cap[0];
        memmove(vm->undo, vm->undo + 1, (ZM_UNDO_SLOTS - 1) * sizeof vm->undo[0]);
        memmove(vm->undo_len, vm->undo_len + 1, (ZM_UNDO_SLOTS - 1) * sizeof vm->undo_len[0]);
        memmove(vm->undo_cap, vm->undo_cap + 1, (ZM_UNDO_SLOTS - 1) * sizeof vm->undo_cap[0]);
        vm->nundo--;
        vm->undo[vm->nundo] = old;
        vm->undo_cap[vm->nundo] = oldcap;
    }
    /* slots grow to what a snapshot needs now (plus slack), not the worst case */
    size_t need = snapshot_need(vm);
    if (vm->undo_cap[vm->nundo] < need) {
        size_t ncap = need + 4096 > cap ? cap : need + 4096;
        uint8_t *p = jr_realloc(vm->undo[vm->nundo], ncap);
        if (!p) {
            vm->oom = 1;   /* the game hears "undo failed"; the run fails */
            return 0;
        }
        vm->undo[vm->nundo] = p;
        vm->undo_cap[vm->nundo] = ncap;
    }
    size_t len;
    if (jitrl_zvm_snapshot(vm, vm->undo[vm->nundo], vm->undo_cap[vm->nundo], &len)) return 0;
    vm->undo_len[vm->nundo] = len;
    vm->nundo++;
    return 1;
}

int zm_restore_undo(jitrl_zvm *vm)
{
    if (!vm->nundo) return 0;
    unsigned n = vm->nundo - 1;
    uint8_t *slot = vm->undo[n];
    size_t len = vm->undo_len[n];
    uint64_t icount = vm->r.icount;
    /* restore clears the ring; keep the older slots */
    uint8_t *keep[ZM_UNDO_SLOTS];
    size_t keep_len[ZM_UNDO_SLOTS], keep_cap[ZM_UNDO_SLOTS];
    memcpy(keep, vm->undo, sizeof keep);
    memcpy(keep_len, vm->undo_len, sizeof keep_len);
    memcpy(keep_cap, vm->undo_cap, sizeof keep_cap);
    /* undo rewinds the machine, not the screen (frotz leaves it alone) */
    struct zm_screen *scr = jr_malloc(sizeof *scr);
    if (!scr) return 0;
    memcpy(scr, &vm->scr, sizeof *scr);
    int rc = jitrl_zvm_restore(vm, slot, len);
    memcpy(&vm->scr, scr, sizeof *scr);
    jr_free(scr);
    if (rc) return 0;
    memcpy(vm->undo, keep, sizeof keep);
    memcpy(vm->undo_len, keep_len, sizeof keep_len);
    memcpy(vm->undo_cap, keep_cap, sizeof keep_cap);
    vm->nundo = n;
    vm->r.icount = icount;
    return 1;
}

void zm_free_undo(jitrl_zvm *vm)
{
    for (unsigned i = 0; i < ZM_UNDO_SLOTS; i++) jr_free(vm->undo[i]);
}

/* ---- world-state hash ---- */

uint64_t jitrl_zvm_hash(const jitrl_zvm *vm, const jitrl_zvm_range *extra, size_t n_extra)
{
    if (!vm) return 0;
    const uint8_t *m = vm->mem;
    unsigned esize = vm->version <= 3 ? 9 : 14, poff = vm->version <= 3 ? 7 : 12;
    uint32_t base = vm->objects + (vm->version <= 3 ? 62 : 126);
    uint64_t h = XXH3_64bits(m + base, (size_t)vm->obj_count * esize);  /* tree links + attributes */
    for (unsigned i = 0; i < vm->obj_count; i++) {
        uint32_t a = base + i * esize;
        uint32_t pt = (uint32_t)m[a + poff] << 8 | m[a + poff + 1];
        if (pt >= vm->mem_len) continue;
        /* the property table: name, then entries until a zero size byte */
        uint32_t p = pt + 1 + 2u * m[pt];
        for (unsigned guard = 0; guard < 64 && p < vm->mem_len && m[p]; guard++) {
            unsigned b = m[p], len;
            if (vm->version <= 3) { len = (b >> 5) + 1; p += 1; }
            else if (b & 0x80) { len = p + 1 < vm->mem_len ? (m[p + 1] & 63) : 0; if (!len) len = 64; p += 2; }
            else { len = (b & 0x40) ? 2 : 1; p += 1; }
            p += len;
        }
        if (p > vm->mem_len) p = vm->mem_len;
        h = XXH3_64bits_withSeed(m + pt, p - pt, h);
    }
    for (size_t i = 0; i < n_extra; i++) {
        uint64_t a = extra[i].addr, n = extra[i].len;
        if (a >= vm->mem_len) continue;
        if (a + n > vm->mem_len) n = vm->mem_len - a;
        h = XXH3_64bits_withSeed(m + a, (size_t)n, h);
    }
    return h;
}
