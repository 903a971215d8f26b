/*
 * text.c -- Z-machine text: Z-string decoding and encoding (§3), ZSCII to
 * Unicode (§3.8), the dictionary and the tokeniser (§13).
 *
 * Decoding has one engine with two sinks: printing through the output
 * streams (screen.c) and filling a caller's buffer (object names, the
 * public decode call), so both always agree.  Every read is bounds-checked:
 * a Z-string running off the end of memory halts the machine.
 */
#include "zvm/zvm_int.h"

#include <string.h>

/* §3.5.3: the default alphabet table; A2 position 6 is the ZSCII escape
 * and position 7 newline (v3+). */
static const char default_alpha[3][27] = {
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    " \n0123456789.,!?_#'\"/\\-:()",
};

/* §3.8.5.3: default Unicode translations of ZSCII 155..223. */
static const uint16_t default_unicode[69] = {
    0xe4, 0xf6, 0xfc, 0xc4, 0xd6, 0xdc, 0xdf, 0xbb, 0xab, 0xeb, 0xef, 0xff, 0xcb, 0xcf,
    0xe1, 0xe9, 0xed, 0xf3, 0xfa, 0xfd, 0xc1, 0xc9, 0xcd, 0xd3, 0xda, 0xdd,
    0xe0, 0xe8, 0xec, 0xf2, 0xf9, 0xc0, 0xc8, 0xcc, 0xd2, 0xd9,
    0xe2, 0xea, 0xee, 0xf4, 0xfb, 0xc2, 0xca, 0xce, 0xd4, 0xdb,
    0xe5, 0xc5, 0xf8, 0xd8, 0xe3, 0xf1, 0xf5, 0xc3, 0xd1, 0xd5,
    0xe6, 0xc6, 0xe7, 0xc7, 0xfe, 0xf0, 0xde, 0xd0, 0xa3, 0x153, 0x152, 0xa1, 0xbf,
};

unsigned zm_zscii_to_unicode(jitrl_zvm *vm, unsigned z)
{
    if (z < 155 || z > 251) return z;
    if (vm->unicode_tab) {
        unsigned n = vm->mem[vm->unicode_tab];
        if (z - 155 < n) return zm_rw(vm, vm->unicode_tab + 1 + 2 * (z - 155));
        return '?';
    }
    if (z - 155 < 69) return default_unicode[z - 155];
    return '?';
}

unsigned zm_unicode_to_zscii(jitrl_zvm *vm, unsigned uc)
{
    if (uc < 128) return uc;
    for (unsigned z = 155; z <= 251; z++)
        if (zm_zscii_to_unicode(vm, z) == uc) return z;
    return '?';
}

static unsigned alpha_char(jitrl_zvm *vm, int a, unsigned i /* 0..25 */)
{
    if (vm->alphabet) return vm->mem[vm->alphabet + (uint32_t)a * 26 + i];
    return (unsigned char)default_alpha[a][i];
}

struct sink {
    jitrl_zvm *vm;
    char *buf;
    size_t cap, n;
    /* printing: characters go to the screen in runs, one call per run */
    unsigned npend;
    uint16_t pend[64];
};

static void flush_pend(struct sink *s)
{
    if (s->npend) zm_print_zscii(s->vm, s->pend, s->npend);
    s->npend = 0;
}

static inline void emit(struct sink *s, unsigned z)
{
    if (!s->buf) {
        if (s->npend == sizeof s->pend / sizeof s->pend[0]) flush_pend(s);
        s->pend[s->npend++] = (uint16_t)z;
        return;
    }
    unsigned u = zm_zscii_to_unicode(s->vm, z);
    char c = z == 13 ? '\n' : (u < 256 ? (char)u : '?');
    if (s->n + 1 < s->cap) s->buf[s->n] = c;
    s->n++;
}

/* §3.3-3.4: decode one string; depth > 0 inside an abbreviation. */
static uint32_t decode(struct sink *s, uint32_t addr, int depth)
{
    jitrl_zvm *vm = s->vm;
    int alpha = 0, esc = 0, abbrev = 0;
    unsigned hi = 0;
    for (;;) {
        if (addr + 1 >= vm->mem_len) {
            zm_fail(vm, "Z-string runs past the end of memory");
            return addr;
        }
        unsigned w = (unsigned)vm->mem[addr] << 8 | vm->mem[addr + 1];
        addr += 2;
        for (int k = 10; k >= 0; k -= 5) {
            unsigned c = (w >> k) & 31;
            if (c >= 8 && !(abbrev | esc)) {   /* the usual case: a letter of the current alphabet */
                emit(s, alpha_char(vm, alpha, c - 6));
                alpha = 0;
                continue;
            }
            if (abbrev) {
                /* §3.3: abbreviation (abbrev-1)*32 + c, a word address */
                uint32_t entry = vm->abbrevs + 2 * (32 * (unsigned)(abbrev - 1) + c);
                abbrev = 0;
                if (depth == 0 && entry + 1 < vm->mem_len) decode(s, 2u * zm_rw(vm, entry), 1);
                continue;
            }
            if (esc == 1) { hi = c; esc = 2; continue; }
            if (esc == 2) { emit(s, hi << 5 | c); esc = 0; continue; }
            if (c == 0) { emit(s, ' '); alpha = 0; continue; }
            if (c <= 3) {
                if (vm->version >= 2 && (vm->version >= 3 || c == 1)) abbrev = (int)c;
                alpha = 0;
                continue;
            }
            if (c == 4 || c == 5) { alpha = c - 3; continue; }
            if (alpha == 2 && c == 6) { esc = 1; alpha = 0; continue; }
            if (alpha == 2 && c == 7) { emit(s, 13); alpha = 0; continue; }
            emit(s, alpha_char(vm, alpha, c - 6));
            alpha = 0;
        }
        if (w & 0x8000) break;
        if (vm->halted) break;
    }
    return addr;
}

uint32_t zm_decode(jitrl_zvm *vm, uint32_t addr, char *out, size_t cap, size_t *n)
{
    struct sink s = {vm, out, cap, 0, 0, {0}};
    char dummy;
    if (!out) { s.buf = &dummy; s.cap = 0; }
    uint32_t end = decode(&s, addr, 0);
    if (cap) out[s.n < cap ? s.n : cap - 1] = '\0';
    if (n) *n = s.n;
    return end;
}

uint32_t zm_print_zstring(jitrl_zvm *vm, uint32_t addr)
{
    struct sink s;
    s.vm = vm;
    s.buf = NULL;
    s.cap = s.n = 0;
    s.npend = 0;
    uint32_t end = decode(&s, addr, 0);
    flush_pend(&s);
    return end;
}

/* §3.7: encode up to 6 (v3) or 9 (v4+) Z-characters for the dictionary. */
void zm_encode(jitrl_zvm *vm, const uint8_t *zscii, size_t n, uint8_t *out)
{
    unsigned zc[12];
    unsigned want = vm->version <= 3 ? 6 : 9, k = 0;
    for (size_t i = 0; i < n && k < want; i++) {
        unsigned c = zscii[i], found = 0;
        for (int a = 0; a < 3 && !found; a++)
            for (unsigned j = (a == 2 ? 2 : 0); j < 26; j++)
                if (alpha_char(vm, a, j) == c) {
                    if (a) zc[k++] = 3 + (unsigned)a;
                    if (k < want) zc[k++] = j + 6;
                    found = 1;
                    break;
                }
        if (!found) {
            unsigned seq[4] = {5, 6, c >> 5, c & 31};
            for (int q = 0; q < 4 && k < want; q++) zc[k++] = seq[q];
        }
    }
    while (k < want) zc[k++] = 5;
    for (unsigned w = 0; w < want / 3; w++) {
        unsigned v = zc[3 * w] << 10 | zc[3 * w + 1] << 5 | zc[3 * w + 2];
        if (w == want / 3 - 1) v |= 0x8000;
        out[2 * w] = (uint8_t)(v >> 8);
        out[2 * w + 1] = (uint8_t)v;
    }
}

/* §13.2-13.4: look a word up in the dictionary at dict; 0 if absent. */
uint32_t zm_dict_find(jitrl_zvm *vm, uint32_t dict, const uint8_t *word, size_t n)
{
    uint8_t key[6];
    unsigned klen = vm->version <= 3 ? 4 : 6;
    zm_encode(vm, word, n, key);
    unsigned nsep = zm_rb(vm, dict);
    uint32_t p = dict + 1 + nsep;
    unsigned elen = zm_rb(vm, p);
    int16_t count = (int16_t)zm_rw(vm, p + 1);
    uint32_t first = p + 3;
    if (vm->halted || elen < klen) return 0;
    if (count < 0) {
        for (int i = 0; i < -count; i++) {
            uint32_t e = first + (uint32_t)i * elen;
            if (e + klen > vm->mem_len) return 0;
            if (!memcmp(vm->mem + e, key, klen)) return e;
        }
        return 0;
    }
    int lo = 0, hi = count - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        uint32_t e = first + (uint32_t)mid * elen;
        if (e + klen > vm->mem_len) return 0;
        int c = memcmp(vm->mem + e, key, klen);
        if (c == 0) return e;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* §15 tokenise / §13.6: split the text buffer into words and fill the
 * parse buffer. */
void zm_tokenise(jitrl_zvm *vm, uint32_t text, uint32_t parse, uint32_t dict, int flag)
{
    uint8_t chars[256];
    unsigned n = 0, start;
    if (dict == 0) dict = vm->dict;
    if (vm->version <= 4) {
        start = 1;
        unsigned maxc = zm_rb(vm, text);
        while (n < 255 && text + start + n < vm->mem_len && vm->mem[text + start + n] && n < maxc)
            { chars[n] = vm->mem[text + start + n]; n++; }
    } else {
        start = 2;
        unsigned len = zm_rb(vm, text + 1);
        while (n < len && n < 255 && text + start + n < vm->mem_len)
            { chars[n] = vm->mem[text + start + n]; n++; }
    }
    unsigned nsep = zm_rb(vm, dict);
    if (vm->halted || dict + 1 + nsep > vm->mem_len) return;
    const uint8_t *seps = vm->mem + dict + 1;
    unsigned maxw = zm_rb(vm, parse), count = 0;
    unsigned i = 0;
    while (i < n && !vm->halted) {
        if (chars[i] == ' ') { i++; continue; }
        unsigned b = i;
        if (memchr(seps, chars[i], nsep)) i++;
        else
            while (i < n && chars[i] != ' ' && !memchr(seps, chars[i], nsep)) i++;
        if (count >= maxw) break;
        uint32_t found = zm_dict_find(vm, dict, chars + b, i - b);
        uint32_t ent = parse + 2 + 4 * count;
        if (!(flag && !found)) {
            zm_ww(vm, ent, (uint16_t)found);
            zm_wb(vm, ent + 2, (uint8_t)(i - b));
            zm_wb(vm, ent + 3, (uint8_t)(b + start));
        }
        count++;
    }
    zm_wb(vm, parse + 1, (uint8_t)count);
}
