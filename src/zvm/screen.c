/*
 * screen.c -- output streams (§7), windows (§8) and the v3 status line.
 * (First cut: lower window to the text buffer; upper window ignored.)
 */
#include "zvm/zvm_int.h"

#include <stdio.h>
#include <string.h>

void zm_screen_reset(jitrl_zvm *vm)
{
    vm->r.window = 0;
    vm->r.upper_rows = 0;
    vm->r.cur_row = vm->r.cur_col = 0;
    vm->r.text_style = 0;
}

static void out_char(jitrl_zvm *vm, unsigned z)
{
    if (vm->r.window != 0) return;
    if (z == 13) { jr_buf_putc(&vm->out, '\n'); return; }
    if (z >= 32 && z < 127) { jr_buf_putc(&vm->out, (char)z); return; }
    if (z >= 155 && z <= 251) {
        unsigned u = zm_zscii_to_unicode(vm, z);
        jr_buf_putc(&vm->out, u < 128 ? (char)u : '?');
    }
}

void zm_print_char(jitrl_zvm *vm, unsigned z)
{
    if (vm->r.stream3_depth) {
        unsigned d = vm->r.stream3_depth - 1;
        uint32_t t = vm->r.s3_table[d];
        uint16_t n = vm->r.s3_len[d];
        zm_wb(vm, t + 2 + n, (uint8_t)(z == 10 ? 13 : z));
        vm->r.s3_len[d] = (uint16_t)(n + 1);
        return;
    }
    if (vm->r.stream1_off) return;
    out_char(vm, z);
}

void zm_print_ascii(jitrl_zvm *vm, const char *s)
{
    while (*s) zm_print_char(vm, (unsigned char)*s++);
}

void zm_output_stream(jitrl_zvm *vm, int n, uint32_t table)
{
    if (n == 1) vm->r.stream1_off = 0;
    else if (n == -1) vm->r.stream1_off = 1;
    else if (n == 3) {
        if (vm->r.stream3_depth >= ZM_MAX_STREAM3) { zm_fail(vm, "output stream 3 nested too deeply"); return; }
        vm->r.s3_table[vm->r.stream3_depth] = table;
        vm->r.s3_len[vm->r.stream3_depth] = 0;
        vm->r.stream3_depth++;
    } else if (n == -3) {
        if (!vm->r.stream3_depth) return;
        unsigned d = --vm->r.stream3_depth;
        zm_ww(vm, vm->r.s3_table[d], vm->r.s3_len[d]);
    }
}

void zm_split_window(jitrl_zvm *vm, unsigned rows) { vm->r.upper_rows = (uint16_t)rows; }
void zm_set_window(jitrl_zvm *vm, unsigned w) { vm->r.window = w ? 1 : 0; vm->r.cur_row = vm->r.cur_col = 0; }
void zm_erase_window(jitrl_zvm *vm, int w) { if (w == -1) { vm->r.upper_rows = 0; vm->r.window = 0; } }
void zm_set_cursor(jitrl_zvm *vm, int row, int col) { vm->r.cur_row = (uint16_t)(row - 1); vm->r.cur_col = (uint16_t)(col - 1); }
void zm_set_style(jitrl_zvm *vm, unsigned style) { vm->r.text_style = (uint8_t)style; }
void zm_flush_upper(jitrl_zvm *vm) { (void)vm; }
void zm_echo_input(jitrl_zvm *vm, const char *line) { (void)vm; (void)line; }

/* §8.2: the v3 status line: location name, then score/moves or time. */
void zm_show_status(jitrl_zvm *vm)
{
    char name[160];
    unsigned loc = jitrl_zvm_global(vm, 0);
    name[0] = 0;
    if (loc && loc <= vm->obj_count) zm_decode(vm, zm_obj_name_addr(vm, loc), name, sizeof name, NULL);
    int16_t a = (int16_t)jitrl_zvm_global(vm, 1), b = (int16_t)jitrl_zvm_global(vm, 2);
    if (vm->mem[1] & 2)
        snprintf(vm->status, sizeof vm->status, "%s  Time: %d:%02d", name, a, b);
    else
        snprintf(vm->status, sizeof vm->status, "%s  Score: %d  Moves: %d", name, a, b);
}
