/*
 * screen.c -- output streams (§7), windows (§8) and the v3 status line,
 * reproducing what `dfrotz -m -p -q` prints.
 *
 * Why a screen model: dumb frotz does not print text as it is produced.  It
 * keeps a grid of cells (both windows and the status line draw into it),
 * remembers which cells changed, and prints the changed rows when the game
 * asks for input or when a screenful has scrolled (the elided MORE prompt).
 * Which words appear, in which order, and even whether a word is split at a
 * hyphen depend on that model: upper-window text appears at its row, text
 * in some styles prints as nothing, rows that scrolled away unseen are lost.
 * So we keep the same grid with the same rules, written from the observed
 * behaviour of dfrotz 2.54 and the facts of the Z-machine standard:
 *  - text is buffered into words (a break before a space and after a
 *    hyphen) and wrapped at the window's width (§8.4.2);
 *  - windows: lower window (scrolls; the cursor starts at the bottom in
 *    v3/v4 and at the top in v5+), upper window (no wrap, no scroll), and in
 *    v3 a one-row status line above them (§8.6);
 *  - a row is printed without its trailing blanks; cells in styles other
 *    than roman, reverse (lower window) or fixed print nothing;
 *  - runs of unchanged rows between changed ones print as one blank line.
 * All state lives in vm->scr, so snapshots carry it.
 */
#include "zvm/zvm_int.h"

#include <stdio.h>
#include <string.h>

enum { ST_REVERSE = 1, ST_FIXED = 8 };

/* The per-character path (grid_char and its callers) runs for every
 * character a game prints; with GNU C it is forced inline. */
#if defined(__GNUC__)
#define ZM_HOT static inline __attribute__((always_inline))
#else
#define ZM_HOT static inline
#endif

/* ---- the grid ----
 * Logical row r lives in storage row rowmap[r], so scrolling the lower
 * window rotates a few indices instead of moving every cell.  dirty[] (per
 * storage row) says a row may hold a changed, non-blank cell, so showing
 * the screen skips clean rows.  Positions are "flat" (row * cols + col), as
 * in dumb frotz, whose cursor may run off the end of a row into the next. */

static inline int ncells(const struct zm_screen *s) { return s->rows * s->cols; }

static inline int phys_row(const struct zm_screen *s, int r) { return s->rowmap[r]; }

static inline uint32_t *row_cells(struct zm_screen *s, int r) { return s->cell + phys_row(s, r) * s->cols; }

static inline uint8_t *row_changed(struct zm_screen *s, int r) { return s->changed + phys_row(s, r) * s->cols; }

/* a cell: the character (Unicode, 16 bits) and its style above it */
static inline uint32_t mk(int style, unsigned ch) { return (uint32_t)(style & 0xff) << 16 | (ch & 0xffff); }

static inline int is_blank(uint32_t c) { return (c & 0xffff) == ' '; }

static void set_cell(struct zm_screen *s, int idx, uint32_t c)
{
    if (idx < 0 || idx >= ncells(s)) return;
    int r = idx / s->cols, col = idx % s->cols, p = phys_row(s, r) * s->cols + col;
    uint8_t ch = s->cell[p] != c;
    s->changed[p] = ch;
    s->cell[p] = c;
    if (ch && !is_blank(c)) s->dirty[phys_row(s, r)] = 1;
}

ZM_HOT void grid_char(struct zm_screen *s, unsigned ch)
{
    uint32_t c = mk(s->os_style, ch);
    if (s->cur_row >= 0 && s->cur_row < s->rows && s->cur_col >= 0 && s->cur_col < s->cols) {
        /* the usual case, without the divisions of a flat position */
        int p = phys_row(s, s->cur_row) * s->cols + s->cur_col;
        uint8_t changed = s->cell[p] != c;
        s->changed[p] = changed;
        s->cell[p] = c;
        if (changed && !is_blank(c)) s->dirty[phys_row(s, s->cur_row)] = 1;
    } else {
        set_cell(s, s->cur_row * s->cols + s->cur_col, c);
    }
    if (++s->cur_col == s->cols) {
        if (s->cur_row == s->rows - 1) s->cur_col--;
        else { s->cur_row++; s->cur_col = 0; }
    }
}

static int char_width(unsigned c) { (void)c; return 1; }

ZM_HOT void display_char(struct zm_screen *s, unsigned c)
{
    if (c >= 0xa0 || (c >= 32 && c <= 126)) {
        grid_char(s, c);
    } else if (c == 11) {          /* frotz's "gap" (ZSCII 11): two spaces */
        grid_char(s, ' ');
        grid_char(s, ' ');
    } else if (c == 9) {           /* frotz's "indent" (ZSCII 9): three spaces */
        grid_char(s, ' ');
        grid_char(s, ' ');
        grid_char(s, ' ');
    }
}

/* 1-based inclusive rectangle, erased in the current style */
static void erase_area(struct zm_screen *s, int top, int left, int bottom, int right)
{
    uint32_t blank = mk(s->os_style, ' ');
    for (int r = top - 1; r <= bottom - 1; r++)
        for (int c = left - 1; c <= right - 1; c++)
            if (r >= 0 && r < s->rows && c >= 0 && c < s->cols) set_cell(s, r * s->cols + c, blank);
}

/* Scroll rows top..bottom (1-based) up by one, carrying each cell's
 * changed flag with it, and erase the bottom row (its changed flags
 * compare the blanks with what was there: the row that moved up). */
static void scroll_area(struct zm_screen *s, int top, int left, int bottom, int right)
{
    if (top < 1) top = 1;
    if (bottom > s->rows) bottom = s->rows;
    if (left < 1) left = 1;
    if (right > s->cols) right = s->cols;
    if (top >= bottom || left > right) {
        erase_area(s, bottom, left, bottom, right);
        return;
    }
    if (left == 1 && right == s->cols) {
        uint8_t first = s->rowmap[top - 1];
        memmove(s->rowmap + top - 1, s->rowmap + top, (size_t)(bottom - top));
        s->rowmap[bottom - 1] = first;
        uint32_t blank = mk(s->os_style, ' ');
        const uint32_t *above = row_cells(s, bottom - 2);
        uint32_t *cells = row_cells(s, bottom - 1);
        uint8_t *ch = row_changed(s, bottom - 1);
        for (int c = 0; c < s->cols; c++) {
            ch[c] = above[c] != blank;
            cells[c] = blank;
        }
        s->dirty[first] = 0;
        return;
    }
    size_t w = (size_t)(right - left + 1);
    for (int r = top - 1; r <= bottom - 2; r++) {
        memcpy(row_cells(s, r) + left - 1, row_cells(s, r + 1) + left - 1, w * sizeof s->cell[0]);
        memcpy(row_changed(s, r) + left - 1, row_changed(s, r + 1) + left - 1, w);
        s->dirty[phys_row(s, r)] |= s->dirty[phys_row(s, r + 1)];
    }
    erase_area(s, bottom, left, bottom, right);
}

/* ---- showing the grid (what lands in the output text) ---- */

/* dfrotz 2.54 prints roman, fixed and reverse cells; bold, italic and the
 * combinations (the upper window is always fixed, so reverse there is 9)
 * print as nothing at all. */
static int style_visible(int st) { return st == 0 || st == ST_FIXED || st == ST_REVERSE; }
static int will_print_blank(uint32_t c) { return (c & 0xffff) == ' '; }

/* dfrotz 2.54 writes UTF-8 (its -p flag does not reach the output code).
 * Appends the cell's bytes at p (room for 3) and returns the new end. */
static char *cell_utf8(char *p, uint32_t cell)
{
    if (!style_visible((int)(cell >> 16))) return p;
    unsigned c = cell & 0xffff;
    if (c > 0x7ff) {
        *p++ = (char)(0xe0 | (c >> 12));
        *p++ = (char)(0x80 | ((c >> 6) & 0x3f));
        *p++ = (char)(0x80 | (c & 0x3f));
    } else if (c > 0x7f) {
        *p++ = (char)(0xc0 | (c >> 6));
        *p++ = (char)(0x80 | (c & 0x3f));
    } else {
        *p++ = (char)c;
    }
    return p;
}

static void put_cell(jitrl_zvm *vm, uint32_t cell)
{
    char u[3], *e = cell_utf8(u, cell);
    if (e > u && jr_buf_append(&vm->out, u, (size_t)(e - u)) == JITRL_ENOMEM) vm->oom = 1;
}

static void show_row(jitrl_zvm *vm, int r)
{
    struct zm_screen *s = &vm->scr;
    char line[ZM_MAX_COLS * 3 + 1], *p = line;
    if (r >= 0 && r < s->rows) {
        const uint32_t *row = row_cells(s, r);
        int last = s->cols - 1;
        while (last >= 0 && will_print_blank(row[last])) last--;
        for (int c = 0; c <= last; c++) {
            uint32_t cell = row[c];
            if (cell < 0x80) *p++ = (char)cell;   /* roman ASCII, the usual cell */
            else p = cell_utf8(p, cell);
        }
    }
    *p++ = '\n';
    /* past the buffer's maximum the text is cut (ETOOBIG, by design);
     * lost for want of memory, the run fails (jitrl_zvm_run) */
    if (jr_buf_append(&vm->out, line, (size_t)(p - line)) == JITRL_ENOMEM) vm->oom = 1;
}

static void show_screen(jitrl_zvm *vm, int show_cursor)
{
    struct zm_screen *s = &vm->scr;
    uint8_t changed_rows[ZM_MAX_ROWS + 1];
    int first = -1, last = -1;
    memset(changed_rows, 0, sizeof changed_rows);
    for (int r = 0; r < s->rows; r++) {
        if (!s->dirty[phys_row(s, r)]) continue;
        const uint32_t *cells = row_cells(s, r);
        const uint8_t *ch = row_changed(s, r);
        for (int c = 0; c < s->cols; c++)
            if (ch[c] && !is_blank(cells[c])) { changed_rows[r] = 1; break; }
        if (changed_rows[r]) {
            if (first < 0) first = r;
            last = r;
        }
    }
    if (first < 0) return;
    if (show_cursor && s->cur_row == last) {
        int c = s->cur_col;
        const uint32_t *cells = row_cells(s, last);
        while (c < s->cols && is_blank(cells[c])) c++;
        if (c == s->cols) last--;   /* a cursor past the edge keeps the row, as in dfrotz */
    }
    for (int r = first; r <= last; r++) {
        if (changed_rows[r] || changed_rows[r + 1]) {
            show_row(vm, r);
        } else {
            while (r + 1 < s->rows && !changed_rows[r + 1]) r++;
            show_row(vm, -1);
        }
    }
    if (show_cursor && s->cur_row > last + 1) show_row(vm, s->cur_row == last + 2 ? last + 1 : -1);
    memset(s->changed, 0, (size_t)ncells(s));
    memset(s->dirty, 0, sizeof s->dirty);
}

static void show_prompt(jitrl_zvm *vm)
{
    struct zm_screen *s = &vm->scr;
    if (s->cur_row < 0 || s->cur_row >= s->rows) return;
    /* a cursor past the right edge reads on into the next row, as dfrotz's flat grid does */
    for (int c = 0; c < s->cur_col; c++) {
        int idx = s->cur_row * s->cols + c;
        if (idx >= ncells(s)) break;
        put_cell(vm, row_cells(s, idx / s->cols)[idx % s->cols]);
    }
}

/* ---- frotz's window layer ---- */

static struct zm_win *cw(jitrl_zvm *vm) { return &vm->scr.win[vm->scr.cwin]; }

static void update_cursor(jitrl_zvm *vm)
{
    struct zm_screen *s = &vm->scr;
    const struct zm_win *w = cw(vm);
    s->cur_row = (int16_t)(w->y_pos + w->y_cursor - 2);
    s->cur_col = (int16_t)(w->x_cursor - 1);
    if (s->cur_row >= s->rows) s->cur_row = (int16_t)(s->rows - 1);
}

static int units_left(jitrl_zvm *vm)
{
    const struct zm_win *w = cw(vm);
    return w->x_size - w->x_cursor + 1;
}

static void reset_cursor(jitrl_zvm *vm, int win)
{
    struct zm_win *w = &vm->scr.win[win];
    int lines = 0;
    if (vm->version <= 4 && win == 0) lines = w->y_size - 1;
    w->y_cursor = (int16_t)(lines + 1);
    w->x_cursor = 1;
    if (win == vm->scr.cwin) update_cursor(vm);
}

static void screen_new_line(jitrl_zvm *vm)
{
    struct zm_screen *s = &vm->scr;
    struct zm_win *w = cw(vm);
    w->x_cursor = 1;
    if (w->y_cursor + 1 > w->y_size) {
        if (w->attribute & 2)
            scroll_area(s, w->y_pos, 1, w->y_pos + w->y_size - 1, w->x_size);
        else
            w->y_cursor = 1;
    } else {
        w->y_cursor++;
    }
    update_cursor(vm);
    if ((w->attribute & 2) && w->line_count != -999) {
        int above = w->y_cursor - 1, below = w->y_size - w->y_cursor + 1;
        w->line_count++;
        if (w->line_count >= above + below - 1) {
            /* the MORE prompt -m elides: show the screen, then a blank line */
            show_screen(vm, 0);
            show_row(vm, -1);
            w->line_count = 0;
        }
    }
}

static void screen_char(jitrl_zvm *vm, unsigned c)
{
    struct zm_win *w = cw(vm);
    if (c == 9 && w->x_cursor != 1) c = ' ';
    int width = char_width(c);
    if (units_left(vm) < width) {
        if (!(w->attribute & 1)) {
            w->x_cursor = w->x_size;
            return;
        }
        screen_new_line(vm);
    }
    display_char(&vm->scr, c);
    w->x_cursor = (int16_t)(w->x_cursor + width);
}

/* The word buffer holds characters and, as in frotz, two-entry style
 * changes (ZM_STYLE_CODE, then the style). */
static int word_width(const uint16_t *p, int n)
{
    int w = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] == ZM_STYLE_CODE) i++;
        else w += char_width(p[i]);
    }
    return w;
}

static void display_word(jitrl_zvm *vm, const uint16_t *p, int n, int via_screen_char)
{
    struct zm_screen *s = &vm->scr;
    if (!via_screen_char && s->cur_row >= 0 && s->cur_row < s->rows && s->cur_col >= 0 && s->cur_col + n < s->cols) {
        /* the usual word: plain characters that fit before the row's last
         * cell, so grid_char's checks and wrapping can be done once */
        int row = phys_row(s, s->cur_row), q = row * s->cols + s->cur_col, i, dirty = 0;
        uint32_t style = mk(s->os_style, 0);
        for (i = 0; i < n && p[i] >= 32 && p[i] <= 126; i++, q++) {
            uint32_t cell = style | p[i];
            uint8_t changed = s->cell[q] != cell;
            s->changed[q] = changed;
            s->cell[q] = cell;
            dirty |= changed && p[i] != ' ';
        }
        s->cur_col = (int16_t)(s->cur_col + i);
        if (dirty) s->dirty[row] = 1;
        p += i;
        n -= i;
    }
    for (int i = 0; i < n; i++) {
        if (p[i] == ZM_STYLE_CODE) {
            if (i + 1 < n) vm->scr.os_style = (uint8_t)p[++i];
        } else if (via_screen_char) {
            screen_char(vm, p[i]);
        } else {
            display_char(&vm->scr, p[i]);
        }
    }
}

static void screen_word(jitrl_zvm *vm, const uint16_t *p, int n)
{
    struct zm_win *w = cw(vm);
    if (n && p[0] == 9 && w->x_cursor != 1) {
        screen_char(vm, *p++);
        n--;
    }
    int width = word_width(p, n);
    if (units_left(vm) < width) {
        /* frotz 2.54 looks at entry width-1 (sic) to spot a trailing space,
         * and then does not break the line */
        int last_space = width > 0 && width - 1 < n && p[width - 1] == ' ';
        if (!(w->attribute & 1)) {
            display_word(vm, p, n, 1);
            return;
        }
        if (n && (p[0] == ' ' || p[0] == 9 || p[0] == 11)) {
            p++;
            n--;
            width = word_width(p, n);
        }
        if (!last_space) screen_new_line(vm);
        w = cw(vm);
    }
    display_word(vm, p, n, 0);
    w->x_cursor = (int16_t)(w->x_cursor + width);
}

void zm_flush(jitrl_zvm *vm)
{
    struct zm_screen *s = &vm->scr;
    if (!s->buflen) return;
    if (!s->stream1_off) screen_word(vm, s->buf, s->buflen);
    s->buflen = 0;
    s->prev_c = 0;
}

static void stream3_char(jitrl_zvm *vm, unsigned z)
{
    struct zm_screen *s = &vm->scr;
    unsigned d = s->stream3_depth - 1u;
    uint16_t n = s->s3_len[d];
    zm_wb(vm, s->s3_table[d] + 2 + n, (uint8_t)z);
    s->s3_len[d] = (uint16_t)(n + 1);
}

/* §7.1.2.2: while stream 3 is selected, a new line goes to its table only */
void zm_new_line(jitrl_zvm *vm)
{
    if (vm->scr.stream3_depth) {
        stream3_char(vm, 13);
        return;
    }
    zm_flush(vm);
    if (!vm->scr.stream1_off) screen_new_line(vm);
}

static void buffer_char(jitrl_zvm *vm, uint16_t c)
{
    struct zm_screen *s = &vm->scr;
    if (s->buflen >= ZM_TEXTBUF - 2) zm_flush(vm);  /* frotz would stop with an error */
    s->buf[s->buflen++] = c;
}

static void buffer_style(jitrl_zvm *vm, unsigned st)
{
    buffer_char(vm, ZM_STYLE_CODE);
    vm->scr.buf[vm->scr.buflen++] = (uint16_t)st;
}

static void refresh_style(jitrl_zvm *vm)
{
    struct zm_screen *s = &vm->scr;
    unsigned st = s->wstyle;
    if (s->cwin != 0 || (vm->mem[0x11] & 2)) st |= ST_FIXED;
    if (!s->stream3_depth && !s->stream1_off && (cw(vm)->attribute & 8))
        buffer_style(vm, st);
    else
        s->os_style = (uint8_t)st;
}

/* Everything printed goes through here: ZSCII in (or, from
 * @print_unicode, a Unicode character with zscii = 0), streams out (§7.1). */
static void print_out(jitrl_zvm *vm, unsigned z, unsigned uc)
{
    struct zm_screen *s = &vm->scr;
    if (z == 0 && uc == 0) return;
    if (s->stream3_depth) {
        stream3_char(vm, z ? z : zm_unicode_to_zscii(vm, uc));
        return;
    }
    if (z == 13) { zm_new_line(vm); return; }
    unsigned c = uc;
    if (cw(vm)->attribute & 8) {
        if (c == ' ' || c == 9 || c == 11 || (s->prev_c == '-' && c != '-')) zm_flush(vm);
        s->prev_c = (uint16_t)c;
        buffer_char(vm, (uint16_t)c);
    } else if (!s->stream1_off) {
        screen_char(vm, c);
    }
}

ZM_HOT void print_zscii(jitrl_zvm *vm, unsigned z)
{
    struct zm_screen *s = &vm->scr;
    /* the common case, print_out's buffered path without its rare turns:
     * a printable ASCII character other than a space, not after a hyphen,
     * into a buffered window with room in the word buffer */
    if (z > ' ' && z < 127 && !s->stream3_depth && s->prev_c != '-' && (s->win[s->cwin].attribute & 8) &&
        s->buflen < ZM_TEXTBUF - 2) {
        s->prev_c = (uint16_t)z;
        s->buf[s->buflen++] = (uint16_t)z;
        return;
    }
    print_out(vm, z, z >= 155 ? zm_zscii_to_unicode(vm, z) : z);
}

void zm_print_char(jitrl_zvm *vm, unsigned z) { print_zscii(vm, z); }

void zm_print_zscii(jitrl_zvm *vm, const uint16_t *z, size_t n)
{
    for (size_t i = 0; i < n; i++) print_zscii(vm, z[i]);
}

void zm_print_unicode(jitrl_zvm *vm, unsigned uc)
{
    if (uc < 0x20) print_out(vm, '?', '?');
    else print_out(vm, 0, uc);
}

void zm_print_ascii(jitrl_zvm *vm, const char *str)
{
    while (*str) zm_print_char(vm, (unsigned char)*str++);
}

void zm_output_stream(jitrl_zvm *vm, int n, uint32_t table)
{
    struct zm_screen *s = &vm->scr;
    zm_flush(vm);
    if (n == 1) s->stream1_off = 0;
    else if (n == -1) s->stream1_off = 1;
    /* §7.3: the transcript is not written, but the game sees it selected in
     * Flags 2 bit 0, as under dfrotz (which asks for a file name first) */
    else if (n == 2) vm->mem[0x11] |= 1;
    else if (n == -2) vm->mem[0x11] &= (uint8_t)~1;
    else if (n == 3) {
        if (s->stream3_depth >= ZM_MAX_STREAM3) { zm_fail(vm, "output stream 3 nested too deeply"); return; }
        s->s3_table[s->stream3_depth] = table;
        s->s3_len[s->stream3_depth] = 0;
        s->stream3_depth++;
    } else if (n == -3) {
        if (!s->stream3_depth) return;
        unsigned d = --s->stream3_depth;
        zm_ww(vm, s->s3_table[d], s->s3_len[d]);
    }
}

static void set_window(jitrl_zvm *vm, int win)
{
    zm_flush(vm);
    vm->scr.cwin = (uint8_t)win;
    refresh_style(vm);
    if (win != 0) {
        vm->scr.win[win].y_cursor = 1;
        vm->scr.win[win].x_cursor = 1;
    }
    update_cursor(vm);
}

static void erase_window(jitrl_zvm *vm, int win)
{
    struct zm_win *w = &vm->scr.win[win];
    erase_area(&vm->scr, w->y_pos, 1, w->y_pos + w->y_size - 1, w->x_size);
    reset_cursor(vm, win);
    w->line_count = 0;
}

static void split_window(jitrl_zvm *vm, int height)
{
    struct zm_screen *s = &vm->scr;
    int stat = vm->version <= 3 ? 1 : 0;
    zm_flush(vm);
    if (height > s->rows) height = s->rows;
    struct zm_win *up = &s->win[1], *lo = &s->win[0];
    up->y_cursor = (int16_t)(up->y_cursor + up->y_pos - 1 - stat);
    up->y_pos = (int16_t)(1 + stat);
    up->y_size = (int16_t)height;
    if (up->y_cursor > up->y_size) reset_cursor(vm, 1);
    lo->y_cursor = (int16_t)(lo->y_cursor + lo->y_pos - 1 - stat - height);
    lo->y_pos = (int16_t)(1 + stat + height);
    lo->y_size = (int16_t)(s->rows - stat - height);
    if (lo->y_cursor < 1) reset_cursor(vm, 0);
    if (vm->version <= 3 && height != 0) erase_window(vm, 1);
}

void zm_split_window(jitrl_zvm *vm, unsigned rows) { split_window(vm, (int)(rows > 255 ? 255 : rows)); }

void zm_set_window(jitrl_zvm *vm, unsigned w)
{
    if (w > 1) { zm_fail(vm, "illegal window %u", w); return; }
    set_window(vm, (int)w);
}

static void erase_screen(jitrl_zvm *vm, int win)
{
    struct zm_screen *s = &vm->scr;
    erase_area(s, 1, 1, s->rows, s->cols);
    if (win == -1) {
        split_window(vm, 0);
        set_window(vm, 0);
        reset_cursor(vm, 0);
    }
    for (int i = 0; i < 3; i++) s->win[i].line_count = 0;
}

void zm_erase_window(jitrl_zvm *vm, int w)
{
    zm_flush(vm);
    if (w == -1 || w == -2) erase_screen(vm, w);
    else if (w == 0 || w == 1) erase_window(vm, w);
}

void zm_erase_line(jitrl_zvm *vm, unsigned val)
{
    zm_flush(vm);
    int n = (int)val - 1, left = units_left(vm);
    if (n <= 0 || n > left) n = left;
    const struct zm_win *w = cw(vm);
    int y = w->y_pos + w->y_cursor - 1;
    erase_area(&vm->scr, y, w->x_cursor, y, w->x_cursor + n - 1);
}

void zm_set_cursor(jitrl_zvm *vm, int y, int x)
{
    struct zm_screen *s = &vm->scr;
    zm_flush(vm);
    if (y < 0) {
        if (y == -2) s->cursor_on = 1;
        if (y == -1) s->cursor_on = 0;
        return;
    }
    if (s->cwin == 0) return;   /* §8.7.2.3: only the upper window */
    struct zm_win *w = &s->win[1];
    if (y == 0) y = w->y_cursor;
    if (x == 0) x = w->x_cursor;
    if (x <= 0 || x > w->x_size) x = 1;
    w->y_cursor = (int16_t)y;
    w->x_cursor = (int16_t)x;
    if (s->cwin == 1) update_cursor(vm);
}

void zm_get_cursor(jitrl_zvm *vm, unsigned *row, unsigned *col)
{
    zm_flush(vm);
    *row = (unsigned)cw(vm)->y_cursor;
    *col = (unsigned)cw(vm)->x_cursor;
}

void zm_set_style(jitrl_zvm *vm, unsigned style)
{
    struct zm_screen *s = &vm->scr;
    if (style == 0) s->wstyle = 0;
    else s->wstyle = (uint8_t)(s->wstyle | style);
    refresh_style(vm);
}

void zm_buffer_mode(jitrl_zvm *vm, unsigned on)
{
    zm_flush(vm);
    vm->scr.win[0].attribute = (uint8_t)((vm->scr.win[0].attribute & ~8) | (on ? 8 : 0));
}

/* §15 print_table: rows below each other starting at the cursor column. */
void zm_print_table(jitrl_zvm *vm, uint32_t addr, unsigned width, unsigned height, unsigned skip)
{
    /* one instruction must not run unbounded: no real table is this big */
    if ((uint64_t)width * height > (1u << 20)) {
        zm_fail(vm, "print_table of %u x %u characters", width, height);
        return;
    }
    zm_flush(vm);
    int x = cw(vm)->x_cursor;
    for (unsigned r = 0; r < height && !vm->halted; r++) {
        if (r && vm->scr.cwin == 0) {
            zm_new_line(vm);        /* frotz 2.54: the lower window gets newlines */
        } else if (r) {
            zm_flush(vm);
            cw(vm)->y_cursor++;
            cw(vm)->x_cursor = (int16_t)x;
            update_cursor(vm);
        }
        for (unsigned c = 0; c < width && !vm->halted; c++) zm_print_char(vm, zm_rb(vm, addr++));
        addr += skip;
    }
}

void zm_screen_reset(jitrl_zvm *vm)
{
    struct zm_screen *s = &vm->scr;
    unsigned rows = vm->opt.screen_height ? vm->opt.screen_height : ZM_SCREEN_ROWS;
    unsigned cols = vm->opt.screen_width ? vm->opt.screen_width : ZM_SCREEN_COLS;
    uint8_t warned[sizeof s->warned];
    int first = s->rows == 0;
    memcpy(warned, s->warned, sizeof warned);
    if (!first) zm_flush(vm);
    /* frotz keeps the grid across @restart; only the windows are reset */
    if (first) {
        /* only the rows * cols cells in use are touched (see build() in zvm.c) */
        memset(s, 0, offsetof(struct zm_screen, cell));
        s->rows = (uint8_t)(rows < 2 ? 2 : rows > ZM_MAX_ROWS ? ZM_MAX_ROWS : rows);
        s->cols = (uint8_t)(cols < 10 ? 10 : cols > ZM_MAX_COLS ? ZM_MAX_COLS : cols);
        for (int i = 0; i < ncells(s); i++) s->cell[i] = mk(0, ' ');
        memset(s->changed, 0, (size_t)ncells(s));
        for (int r = 0; r < s->rows; r++) s->rowmap[r] = (uint8_t)r;
    } else {
        memcpy(s->warned, warned, sizeof warned);
    }
    s->buflen = 0;
    s->prev_c = 0;
    s->stream1_off = 0;
    s->stream3_depth = 0;
    s->os_style = 0;
    s->wstyle = 0;
    s->cursor_on = 1;
    for (int i = 0; i < 3; i++) {
        struct zm_win *w = &s->win[i];
        memset(w, 0, sizeof *w);
        w->y_pos = 1;
        w->y_cursor = 1;
        w->x_cursor = 1;
        w->attribute = 8;
        w->x_size = s->cols;
    }
    s->win[0].attribute = 15;
    if (vm->version <= 3) s->win[2].y_size = 1;
    s->cwin = 0;
    erase_screen(vm, -1);
}

/* ---- input ---- */

void zm_before_read(jitrl_zvm *vm, int line_input)
{
    zm_flush(vm);
    if (line_input && vm->scr.cwin == 0 && units_left(vm) < 10) screen_new_line(vm);
    show_screen(vm, line_input ? 1 : vm->scr.cursor_on);
    if (line_input || vm->scr.cursor_on) show_prompt(vm);
}

void zm_after_read(jitrl_zvm *vm, const char *typed, size_t n)
{
    struct zm_screen *s = &vm->scr;
    if (n > 1024) n = 1024;
    /* dumb frotz copies the typed text onto the grid without marking it changed */
    for (size_t i = 0; i < n; i++) {
        int idx = s->cur_row * s->cols + s->cur_col;
        if (idx >= 0 && idx < ncells(s)) {
            int r = idx / s->cols;
            row_cells(s, r)[idx % s->cols] = mk(0, (unsigned char)typed[i]);
            s->dirty[phys_row(s, r)] = 1;   /* an old changed flag may now count */
        }
        s->cur_col++;
    }
    cw(vm)->x_cursor = (int16_t)(cw(vm)->x_cursor + (int)n);
    for (int i = 0; i < 3; i++) s->win[i].line_count = 0;
    screen_new_line(vm);
}

void zm_after_key(jitrl_zvm *vm)
{
    for (int i = 0; i < 3; i++) vm->scr.win[i].line_count = 0;
}

void zm_show_screen_final(jitrl_zvm *vm)
{
    zm_flush(vm);
    show_screen(vm, 0);
}

/* ---- runtime warnings, printed into the text as frotz does ---- */

void zm_warn(jitrl_zvm *vm, int code, const char *what)
{
    if (code < 0 || code >= (int)sizeof vm->scr.warned || vm->scr.warned[code]) return;
    vm->scr.warned[code] = 1;
    char msg[160];
    snprintf(msg, sizeof msg, "Warning: %s (PC = %x) (will ignore further occurrences)", what, (unsigned)vm->r.pc);
    zm_print_ascii(vm, msg);
    zm_new_line(vm);
}

/* ---- §8.2: the v3 status line, drawn into its own one-row window ---- */

static void pad_status(jitrl_zvm *vm, int column)
{
    zm_flush(vm);
    /* screen_char(' ') `spaces` times: the room is there, so no wrapping */
    int spaces = units_left(vm) - column;
    if (spaces <= 0) return;
    struct zm_screen *s = &vm->scr;
    int i = 0;
    if (s->cur_row >= 0 && s->cur_row < s->rows && s->cur_col >= 0) {
        /* the part that stays inside the cursor's row: grid_char without
         * its per-cell checks (a blank never marks the row dirty) */
        int run = s->cols - 1 - s->cur_col;
        if (run > spaces) run = spaces;
        uint32_t c = mk(s->os_style, ' ');
        int p = phys_row(s, s->cur_row) * s->cols + s->cur_col;
        for (; i < run; i++, p++) {
            s->changed[p] = s->cell[p] != c;
            s->cell[p] = c;
        }
        if (run > 0) s->cur_col = (int16_t)(s->cur_col + run);
    }
    for (; i < spaces; i++) grid_char(s, ' ');
    cw(vm)->x_cursor = (int16_t)(cw(vm)->x_cursor + spaces);
}

static void print_num_str(jitrl_zvm *vm, int v)
{
    char b[12];
    int n = 0;
    long x = v;
    if (x < 0) { zm_print_char(vm, '-'); x = -x; }
    do { b[n++] = (char)('0' + x % 10); x /= 10; } while (x);
    while (n) zm_print_char(vm, (unsigned char)b[--n]);
}

/* bounded appends for the status string: copy up to end, return the new end */
static char *put_str(char *o, char *end, const char *str)
{
    while (*str && o < end) *o++ = *str++;
    return o;
}

static char *put_int(char *o, char *end, int v)
{
    char b[12];
    int n = 0;
    long x = v;
    if (x < 0) { if (o < end) *o++ = '-'; x = -x; }
    do { b[n++] = (char)('0' + x % 10); x /= 10; } while (x);
    while (n && o < end) *o++ = b[--n];
    return o;
}

void zm_show_status(jitrl_zvm *vm)
{
    char name[160];
    unsigned loc = jitrl_zvm_global(vm, 0);
    int16_t g1 = (int16_t)jitrl_zvm_global(vm, 1), g2 = (int16_t)jitrl_zvm_global(vm, 2);
    name[0] = 0;
    if (loc && loc <= vm->obj_count) zm_decode(vm, zm_obj_name_addr(vm, loc), name, sizeof name, NULL);
    int brief = vm->scr.cols < 55, time = vm->mem[1] & 2;
    if (time) {
        int h = (g1 + 11) % 12 + 1;
        snprintf(vm->status, sizeof vm->status, "%s  Time: %d:%02d %cm", name, h, g2, g1 >= 12 ? 'p' : 'a');
    } else {
        /* "%s  Score: %d  Moves: %d", built by hand: this runs every turn */
        char *o = vm->status, *end = vm->status + sizeof vm->status - 1;
        o = put_str(o, end, name);
        o = put_str(o, end, "  Score: ");
        o = put_int(o, end, g1);
        o = put_str(o, end, "  Moves: ");
        o = put_int(o, end, g2);
        *o = '\0';
    }
    if (vm->scr.stream3_depth) return;  /* frotz would draw it into the table; nobody does this */
    set_window(vm, 2);
    buffer_style(vm, ST_REVERSE | ST_FIXED);
    zm_print_char(vm, ' ');
    if (loc) zm_print_zstring(vm, zm_obj_name_addr(vm, loc));
    if (time) {
        int h = (g1 + 11) % 12 + 1;
        pad_status(vm, brief ? 15 : 20);
        zm_print_ascii(vm, "Time: ");
        if (h < 10) zm_print_char(vm, ' ');
        print_num_str(vm, h);
        zm_print_char(vm, ':');
        if (g2 < 10) zm_print_char(vm, '0');
        print_num_str(vm, g2);
        zm_print_char(vm, ' ');
        zm_print_char(vm, g1 >= 12 ? 'p' : 'a');
        zm_print_char(vm, 'm');
    } else {
        pad_status(vm, brief ? 15 : 30);
        zm_print_ascii(vm, brief ? "S: " : "Score: ");
        print_num_str(vm, g1);
        pad_status(vm, brief ? 8 : 14);
        zm_print_ascii(vm, brief ? "M: " : "Moves: ");
        print_num_str(vm, g2);
    }
    pad_status(vm, 0);
    set_window(vm, 0);
}
