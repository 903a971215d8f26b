/*
 * inspect.c -- the read-only accessors of include/jitrl/zvm.h: objects,
 * properties, dictionary, Z-string decoding.
 *
 * They must have no side effects, yet the internal helpers they reuse halt
 * the machine on a bad address.  So each accessor validates what it can up
 * front and runs the helper on a scratch "probe" that restores the halt
 * state afterwards: a caller poking at garbage gets 0 / empty, and the
 * machine is untouched.
 */
#include "zvm/zvm_int.h"

#include <string.h>

struct probe {
    jitrl_zvm *vm;
    int halted;
    char err[sizeof ((jitrl_zvm *)0)->err];
};

static jitrl_zvm *probe_begin(struct probe *p, const jitrl_zvm *cvm)
{
    p->vm = (jitrl_zvm *)cvm;   /* the helpers only read; halt state is restored below */
    p->halted = p->vm->halted;
    memcpy(p->err, p->vm->err, sizeof p->err);
    p->vm->halted = 0;
    return p->vm;
}

/* returns nonzero if the probe faulted */
static int probe_end(struct probe *p)
{
    int faulted = p->vm->halted;
    p->vm->halted = p->halted;
    memcpy(p->vm->err, p->err, sizeof p->err);
    return faulted;
}

static int valid_obj(const jitrl_zvm *vm, unsigned obj) { return vm && obj >= 1 && obj <= vm->obj_count; }

unsigned jitrl_zvm_object_count(const jitrl_zvm *vm) { return vm ? vm->obj_count : 0; }

static unsigned link_of(const jitrl_zvm *cvm, unsigned obj, unsigned (*f)(jitrl_zvm *, unsigned))
{
    if (!valid_obj(cvm, obj)) return 0;
    struct probe p;
    unsigned v = f(probe_begin(&p, cvm), obj);
    return probe_end(&p) ? 0 : v;
}

unsigned jitrl_zvm_parent(const jitrl_zvm *vm, unsigned obj) { return link_of(vm, obj, zm_obj_parent); }
unsigned jitrl_zvm_sibling(const jitrl_zvm *vm, unsigned obj) { return link_of(vm, obj, zm_obj_sibling); }
unsigned jitrl_zvm_child(const jitrl_zvm *vm, unsigned obj) { return link_of(vm, obj, zm_obj_child); }

int jitrl_zvm_attr(const jitrl_zvm *vm, unsigned obj, unsigned attr)
{
    if (!valid_obj(vm, obj)) return 0;
    struct probe p;
    int v = zm_obj_attr(probe_begin(&p, vm), obj, attr);
    return probe_end(&p) ? 0 : v;
}

size_t jitrl_zvm_object_name(const jitrl_zvm *vm, unsigned obj, char *buf, size_t cap)
{
    if (buf && cap) buf[0] = '\0';
    if (!valid_obj(vm, obj)) return 0;
    struct probe p;
    jitrl_zvm *m = probe_begin(&p, vm);
    size_t n = 0;
    uint32_t a = zm_obj_name_addr(m, obj);
    if (a && zm_rb(m, a - 1) > 0) zm_decode(m, a, buf, cap, &n);
    if (probe_end(&p)) {
        if (buf && cap) buf[0] = '\0';
        return 0;
    }
    return n;
}

uint32_t jitrl_zvm_prop_addr(const jitrl_zvm *vm, unsigned obj, unsigned prop, unsigned *len)
{
    if (len) *len = 0;
    if (!valid_obj(vm, obj)) return 0;
    struct probe p;
    unsigned l = 0;
    uint32_t a = zm_prop_addr(probe_begin(&p, vm), obj, prop, &l);
    if (probe_end(&p)) return 0;
    if (len) *len = a ? l : 0;
    return a;
}

unsigned jitrl_zvm_next_prop(const jitrl_zvm *vm, unsigned obj, unsigned prop)
{
    if (!valid_obj(vm, obj)) return 0;
    struct probe p;
    unsigned v = zm_next_prop(probe_begin(&p, vm), obj, prop);
    return probe_end(&p) ? 0 : v;
}

/* ---- dictionary (§13) ---- */

static int dict_layout(const jitrl_zvm *vm, uint32_t *first, unsigned *elen, unsigned *count)
{
    uint32_t d = vm->dict;
    if (d + 1 >= vm->mem_len) return 0;
    uint32_t p = d + 1 + vm->mem[d];
    if (p + 3 > vm->mem_len) return 0;
    *elen = vm->mem[p];
    int16_t n = (int16_t)(vm->mem[p + 1] << 8 | vm->mem[p + 2]);
    *count = (unsigned)(n < 0 ? -n : n);
    *first = p + 3;
    if (*elen < (vm->version <= 3 ? 4u : 6u)) return 0;
    /* clip to memory */
    if (*first + (uint64_t)*count * *elen > vm->mem_len) *count = (vm->mem_len - *first) / *elen;
    return 1;
}

unsigned jitrl_zvm_dict_count(const jitrl_zvm *vm)
{
    uint32_t first;
    unsigned elen, count;
    if (!vm || !dict_layout(vm, &first, &elen, &count)) return 0;
    return count;
}

uint32_t jitrl_zvm_dict_entry(const jitrl_zvm *vm, unsigned i)
{
    uint32_t first;
    unsigned elen, count;
    if (!vm || !dict_layout(vm, &first, &elen, &count) || i >= count) return 0;
    return first + i * elen;
}

size_t jitrl_zvm_dict_word(const jitrl_zvm *vm, unsigned i, char *buf, size_t cap)
{
    if (buf && cap) buf[0] = '\0';
    uint32_t e = jitrl_zvm_dict_entry(vm, i);
    if (!e) return 0;
    return jitrl_zvm_decode_text(vm, e, buf, cap);
}

uint32_t jitrl_zvm_dict_lookup(const jitrl_zvm *vm, const char *word)
{
    if (!vm || !word) return 0;
    uint8_t w[64];
    size_t n = 0;
    for (; word[n] && n < sizeof w; n++) {
        unsigned char c = (unsigned char)word[n];
        w[n] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    struct probe p;
    uint32_t a = zm_dict_find(probe_begin(&p, vm), vm->dict, w, n);
    return probe_end(&p) ? 0 : a;
}

size_t jitrl_zvm_decode_text(const jitrl_zvm *vm, uint32_t addr, char *buf, size_t cap)
{
    if (buf && cap) buf[0] = '\0';
    if (!vm || addr >= vm->mem_len) return 0;
    struct probe p;
    size_t n = 0;
    zm_decode(probe_begin(&p, vm), addr, buf, cap, &n);
    if (probe_end(&p)) {
        if (buf && cap) buf[0] = '\0';
        return 0;
    }
    return n;
}
