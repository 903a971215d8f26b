/*
 * objects.c -- the object table (§12): tree links, attributes, properties.
 *
 * Versions 1-3 use 9-byte entries with byte links and 32 attributes;
 * versions 4+ use 14-byte entries with word links and 48 attributes.  Every
 * address computed from a game-supplied object number is checked against
 * memory; object 0 reads as empty (frotz warns and carries on; so do we,
 * silently), so a confused game halts only when it truly leaves memory.
 */
#include "zvm/zvm_int.h"

static unsigned entry_size(const jitrl_zvm *vm) { return vm->version <= 3 ? 9 : 14; }
static unsigned defaults_len(const jitrl_zvm *vm) { return vm->version <= 3 ? 31 : 63; }

void zm_obj_init(jitrl_zvm *vm)
{
    vm->obj_esize = entry_size(vm);
    vm->obj_base = vm->objects + 2 * defaults_len(vm);
}

uint32_t zm_obj_addr_fail(jitrl_zvm *vm, unsigned obj)
{
    zm_fail(vm, "object %u is outside memory", obj);
    return 0;
}

static unsigned link(jitrl_zvm *vm, unsigned obj, unsigned which /* 0 parent 1 sibling 2 child */)
{
    uint32_t a = zm_obj_addr(vm, obj);
    if (!a) return 0;
    if (vm->version <= 3) return vm->mem[a + 4 + which];
    return (unsigned)vm->mem[a + 6 + 2 * which] << 8 | vm->mem[a + 7 + 2 * which];
}

static void set_link(jitrl_zvm *vm, unsigned obj, unsigned which, unsigned v)
{
    uint32_t a = zm_obj_addr(vm, obj);
    if (!a) return;
    if (vm->version <= 3) zm_wb(vm, a + 4 + which, (uint8_t)v);
    else zm_ww(vm, a + 6 + 2 * which, (uint16_t)v);
}

unsigned zm_obj_parent(jitrl_zvm *vm, unsigned obj) { return link(vm, obj, 0); }
unsigned zm_obj_sibling(jitrl_zvm *vm, unsigned obj) { return link(vm, obj, 1); }
unsigned zm_obj_child(jitrl_zvm *vm, unsigned obj) { return link(vm, obj, 2); }

int zm_obj_attr(jitrl_zvm *vm, unsigned obj, unsigned attr)
{
    if (attr >= (vm->version <= 3 ? 32u : 48u)) return 0;
    uint32_t a = zm_obj_addr(vm, obj);
    if (!a) return 0;
    return (vm->mem[a + attr / 8] >> (7 - attr % 8)) & 1;
}

void zm_obj_set_attr(jitrl_zvm *vm, unsigned obj, unsigned attr, int on)
{
    if (attr >= (vm->version <= 3 ? 32u : 48u)) return;
    uint32_t a = zm_obj_addr(vm, obj);
    if (!a) return;
    uint8_t b = vm->mem[a + attr / 8], m = (uint8_t)(0x80 >> (attr % 8));
    zm_wb(vm, a + attr / 8, on ? (uint8_t)(b | m) : (uint8_t)(b & ~m));
}

/* §12.6 remove_obj: unlink obj from its parent's child list. */
void zm_obj_remove(jitrl_zvm *vm, unsigned obj)
{
    unsigned parent = zm_obj_parent(vm, obj);
    if (!parent) return;
    unsigned next = zm_obj_sibling(vm, obj);
    unsigned c = zm_obj_child(vm, parent);
    if (c == obj) {
        set_link(vm, parent, 2, next);
    } else {
        /* the sibling chain is game data: bound the walk */
        for (unsigned guard = 0; c && guard < 65536 && !vm->halted; guard++) {
            unsigned s = zm_obj_sibling(vm, c);
            if (s == obj) { set_link(vm, c, 1, next); break; }
            c = s;
        }
    }
    set_link(vm, obj, 0, 0);
    set_link(vm, obj, 1, 0);
}

/* §15 insert_obj: obj becomes the first child of dest. */
void zm_obj_insert(jitrl_zvm *vm, unsigned obj, unsigned dest)
{
    if (!obj || !dest) return;
    zm_obj_remove(vm, obj);
    set_link(vm, obj, 1, zm_obj_child(vm, dest));
    set_link(vm, dest, 2, obj);
    set_link(vm, obj, 0, dest);
}

static uint32_t prop_table(jitrl_zvm *vm, unsigned obj)
{
    uint32_t a = zm_obj_addr(vm, obj);
    if (!a) return 0;
    unsigned off = vm->version <= 3 ? 7 : 12;
    return (uint32_t)vm->mem[a + off] << 8 | vm->mem[a + off + 1];
}

uint32_t zm_obj_name_addr(jitrl_zvm *vm, unsigned obj)
{
    uint32_t t = prop_table(vm, obj);
    return t ? t + 1 : 0;
}

/* First property entry of obj (after the short name), or 0. */
static uint32_t first_prop(jitrl_zvm *vm, unsigned obj)
{
    uint32_t t = prop_table(vm, obj);
    if (!t) return 0;
    return t + 1 + 2u * zm_rb(vm, t);
}

/* Decode a property header at p: number, data length, data address. */
static uint32_t prop_header(jitrl_zvm *vm, uint32_t p, unsigned *num, unsigned *len)
{
    unsigned b = zm_rb(vm, p);
    if (vm->version <= 3) {
        *num = b & 31;
        *len = (b >> 5) + 1;
        return p + 1;
    }
    *num = b & 63;
    if (b & 0x80) {
        unsigned l = zm_rb(vm, p + 1) & 63;
        *len = l ? l : 64;   /* §12.4.2.1.1 */
        return p + 2;
    }
    *len = (b & 0x40) ? 2 : 1;
    return p + 1;
}

uint32_t zm_prop_addr(jitrl_zvm *vm, unsigned obj, unsigned prop, unsigned *len)
{
    uint32_t p = first_prop(vm, obj);
    if (len) *len = 0;
    if (!p) return 0;
    const uint8_t *m = vm->mem;
    int v3 = vm->version <= 3;
    for (unsigned guard = 0; guard < 64 && !vm->halted; guard++) {
        unsigned num, l;
        uint32_t data;
        if (p + 1 < vm->mem_len) {   /* prop_header inline, both bytes known to be in memory */
            unsigned b = m[p];
            if (v3) {
                num = b & 31;
                l = (b >> 5) + 1;
                data = p + 1;
            } else if (b & 0x80) {
                num = b & 63;
                l = m[p + 1] & 63;
                if (!l) l = 64;
                data = p + 2;
            } else {
                num = b & 63;
                l = (b & 0x40) ? 2 : 1;
                data = p + 1;
            }
        } else {
            data = prop_header(vm, p, &num, &l);
        }
        if (num == 0 || num < prop) return 0;  /* §12.4: descending order */
        if (num == prop) {
            if (len) *len = l;
            return data;
        }
        p = data + l;
    }
    return 0;
}

uint16_t zm_get_prop(jitrl_zvm *vm, unsigned obj, unsigned prop)
{
    unsigned len;
    uint32_t a = obj ? zm_prop_addr(vm, obj, prop, &len) : 0;
    if (!a) {
        if (prop == 0 || prop > defaults_len(vm)) return 0;
        return zm_rw(vm, vm->objects + 2 * (prop - 1));
    }
    return len == 1 ? zm_rb(vm, a) : zm_rw(vm, a);
}

void zm_put_prop(jitrl_zvm *vm, unsigned obj, unsigned prop, uint16_t val)
{
    unsigned len;
    uint32_t a = obj ? zm_prop_addr(vm, obj, prop, &len) : 0;
    if (!a) {
        if (obj) zm_fail(vm, "put_prop: object %u has no property %u", obj, prop);
        return;
    }
    if (len == 1) zm_wb(vm, a, (uint8_t)val);
    else zm_ww(vm, a, val);
}

/* §15 get_next_prop: 0 means the first property. */
unsigned zm_next_prop(jitrl_zvm *vm, unsigned obj, unsigned prop)
{
    if (!obj) return 0;
    uint32_t p = first_prop(vm, obj);
    if (!p) return 0;
    unsigned num, len;
    if (prop != 0) {
        uint32_t a = zm_prop_addr(vm, obj, prop, &len);
        if (!a) {
            zm_fail(vm, "get_next_prop: object %u has no property %u", obj, prop);
            return 0;
        }
        p = a + len;
    }
    prop_header(vm, p, &num, &len);
    return num;
}

/* §15 get_prop_len: from the data address, look back at the size byte. */
unsigned zm_prop_len(jitrl_zvm *vm, uint32_t data_addr)
{
    if (data_addr == 0) return 0;
    unsigned b = zm_rb(vm, data_addr - 1);
    if (vm->version <= 3) return (b >> 5) + 1;
    if (b & 0x80) {
        unsigned l = b & 63;
        return l ? l : 64;
    }
    return (b & 0x40) ? 2 : 1;
}

/* The table holds no count: objects run until the lowest property table. */
unsigned zm_count_objects(jitrl_zvm *vm)
{
    uint32_t base = vm->objects + 2 * defaults_len(vm);
    uint32_t lowest = vm->mem_len;
    unsigned n = 0, max = vm->version <= 3 ? 255 : 65535;
    while (n < max) {
        uint32_t a = base + n * entry_size(vm);
        if (a + entry_size(vm) > lowest || a + entry_size(vm) > vm->mem_len) break;
        unsigned off = vm->version <= 3 ? 7 : 12;
        uint32_t pt = (uint32_t)vm->mem[a + off] << 8 | vm->mem[a + off + 1];
        if (pt < a + entry_size(vm)) break;
        if (pt < lowest) lowest = pt;
        n++;
    }
    return n;
}
