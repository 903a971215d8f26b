/*
 * test_zvm_games.c -- the ten Jericho games through the public API:
 *  - each walkthrough, replayed with the game's seed, reaches the score in
 *    games.tsv (read from the game's memory where games.tsv says it lives);
 *  - snapshot fidelity: at every step, snapshot, play three other commands,
 *    restore, go on; the transcript is byte-identical to the straight
 *    replay and the world hash after restore equals the one before;
 *  - two machines stepped in turn give the same transcripts as two
 *    separate runs (no shared state).
 * Under JITRL_SANITIZED the fidelity check samples every 7th step.
 * The games live in ../shared (skipped with a message when absent).
 */
#include "testutil.h"
#include "jitrl/zvm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct game {
    char name[32], file[128], score[32], result[32], intro[16];
    int seed;
};

static int load_games(const char *shared, struct game *g, int max)
{
    FILE *f = fopen(tu_path(shared, "jericho/games.tsv"), "r");
    if (!f) return 0;
    char line[2048];
    int n = 0;
    char *fields[16];
    int k;
    while (n < max && (k = tu_games_row(f, line, sizeof line, fields, 16)) >= 0) {
        if (k < 15) continue;
        snprintf(g[n].name, sizeof g[n].name, "%s", fields[0]);
        snprintf(g[n].file, sizeof g[n].file, "%s", fields[1]);
        g[n].seed = (int)strtol(fields[6], NULL, 10);
        snprintf(g[n].score, sizeof g[n].score, "%s", fields[8]);
        snprintf(g[n].intro, sizeof g[n].intro, "%s", fields[12]);
        snprintf(g[n].result, sizeof g[n].result, "%s", fields[14]);
        n++;
    }
    fclose(f);
    return n;
}

/* The input lines: the intro (\n = an empty line), then the walkthrough. */
static char **load_script(const char *shared, const struct game *g, int *count)
{
    char path[4200];
    snprintf(path, sizeof path, "jericho/walkthroughs/%.31s.txt", g->name);
    size_t len;
    unsigned char *raw = tu_read_file(tu_path(shared, path), &len);
    if (!raw) return NULL;
    char *text = malloc(len + 1);   /* tu_read_file does not terminate */
    memcpy(text, raw, len);
    text[len] = '\0';
    free(raw);
    int cap = 16, n = 0;
    char **lines = malloc((size_t)cap * sizeof *lines);
    if (!lines) { fprintf(stderr, "out of memory\n"); exit(1); }
    if (!strcmp(g->intro, "\\n")) lines[n++] = strdup("");
    for (char *p = text; *p;) {
        char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (n + 1 >= cap) {
            char **grown = realloc(lines, (size_t)cap * 2 * sizeof *lines);
            if (!grown) { fprintf(stderr, "out of memory\n"); exit(1); }
            lines = grown;
            cap *= 2;
        }
        lines[n] = malloc(l + 1);
        if (!lines[n]) { fprintf(stderr, "out of memory\n"); exit(1); }
        memcpy(lines[n], p, l);
        lines[n][l] = '\0';
        n++;
        p += l + (e ? 1 : 0);
    }
    free(text);
    *count = n;
    return lines;
}

static jitrl_zvm *open_game(const char *shared, const struct game *g)
{
    jitrl_zvm_options opt;
    jitrl_zvm_options_init(&opt);
    opt.seed = g->seed;
    jitrl_zvm *vm = NULL;
    char err[256];
    int rc = jitrl_zvm_open_file(tu_path(shared, tu_path("jericho", g->file)), &opt, &vm, err, sizeof err);
    CHECK_MSG(rc == JITRL_OK, "%s: %s", g->name, err);
    return rc ? NULL : vm;
}

/* Run to the next input; append the text to *t. 0 when the game goes on. */
static int advance(jitrl_zvm *vm, char **t, size_t *tlen)
{
    jitrl_zvm_stop stop;
    int rc = jitrl_zvm_run(vm, 50000000, &stop);
    size_t n;
    const char *o = jitrl_zvm_output(vm, &n);
    if (t) {
        *t = realloc(*t, *tlen + n + 1);
        memcpy(*t + *tlen, o, n);
        *tlen += n;
        (*t)[*tlen] = '\0';
    }
    jitrl_zvm_clear_output(vm);
    if (rc) return -1;
    return stop == JITRL_ZVM_INPUT || stop == JITRL_ZVM_CHAR ? 0 : 1;
}

static char *straight(const char *shared, const struct game *g, char **lines, int n, jitrl_zvm **keep)
{
    jitrl_zvm *vm = open_game(shared, g);
    if (!vm) return NULL;
    char *t = NULL;
    size_t tl = 0;
    int st = advance(vm, &t, &tl);
    for (int i = 0; i < n && st == 0; i++) {
        jitrl_zvm_input(vm, lines[i]);
        st = advance(vm, &t, &tl);
    }
    if (keep) *keep = vm;
    else jitrl_zvm_close(vm);
    return t;
}

static long read_score(jitrl_zvm *vm, const char *where)
{
    unsigned long a = strtoul(where + 5, NULL, 10);
    if (!strncmp(where, "byte@", 5)) return jitrl_zvm_read_byte(vm, (uint32_t)a);
    return (int16_t)jitrl_zvm_read_word(vm, (uint32_t)a);
}

static void fidelity(const char *shared, const struct game *g, char **lines, int n, const char *want, int every)
{
    static const char *detour[3] = {"inventory", "look", "wait"};
    jitrl_zvm *vm = open_game(shared, g);
    if (!vm) return;
    size_t cap = jitrl_zvm_snapshot_size(vm), len;
    uint8_t *snap = malloc(cap);
    char *t = NULL;
    size_t tl = 0;
    int st = advance(vm, &t, &tl), bad_hash = 0, snaps = 0;
    for (int i = 0; i < n && st == 0; i++) {
        if (i % every == 0) {
            uint64_t h = jitrl_zvm_hash(vm, NULL, 0);
            CHECK_INT(jitrl_zvm_snapshot(vm, snap, cap, &len), JITRL_OK);
            for (int d = 0; d < 3; d++) {
                if (jitrl_zvm_input(vm, detour[d]) != JITRL_OK || advance(vm, NULL, NULL) != 0) break;
            }
            CHECK_INT(jitrl_zvm_restore(vm, snap, len), JITRL_OK);
            if (jitrl_zvm_hash(vm, NULL, 0) != h) bad_hash++;
            snaps++;
        }
        jitrl_zvm_input(vm, lines[i]);
        st = advance(vm, &t, &tl);
    }
    CHECK_MSG(bad_hash == 0, "%s: %d hashes differ after restore", g->name, bad_hash);
    CHECK_MSG(t && want && !strcmp(t, want), "%s: transcript after snapshot/restore differs from the straight replay", g->name);
    printf("FIGURE zvm snapshot fidelity %s: %d snapshots restored, transcript identical: %s\n", g->name, snaps,
           t && want && !strcmp(t, want) ? "yes" : "NO");
    free(t);
    free(snap);
    jitrl_zvm_close(vm);
}

int main(void)
{
    const char *shared = tu_shared();
    struct game games[16];
    int ng = load_games(shared, games, 16);
    CHECK(ng >= 10);
    int every = getenv("JITRL_SANITIZED") ? 7 : 1;
    char *first_t = NULL, *second_t = NULL;
    char **first_lines = NULL, **second_lines = NULL;
    int first_n = 0, second_n = 0;
    for (int k = 0; k < ng; k++) {
        const struct game *g = &games[k];
        int n = 0;
        char **lines = load_script(shared, g, &n);
        CHECK_MSG(lines != NULL, "%s: no walkthrough", g->name);
        if (!lines) continue;
        jitrl_zvm *vm = NULL;
        char *t = straight(shared, g, lines, n, &vm);
        CHECK(t != NULL);
        if (vm) {
            long want = strtol(g->result, NULL, 10);
            long got = read_score(vm, g->score);
            CHECK_MSG(got == want, "%s: score %ld, walkthrough should reach %ld", g->name, got, want);
            printf("FIGURE zvm %s walkthrough: score %ld (expected %ld), %llu Z-instructions\n", g->name, got, want,
                   (unsigned long long)jitrl_zvm_instructions(vm));
            jitrl_zvm_close(vm);
        }
        fidelity(shared, g, lines, n, t, every);
        if (k == 0) { first_t = t; first_lines = lines; first_n = n; continue; }
        if (k == 2) { second_t = t; second_lines = lines; second_n = n; continue; }
        free(t);
        for (int i = 0; i < n; i++) free(lines[i]);
        free(lines);
    }
    /* two machines stepped in turn */
    if (first_t && second_t) {
        jitrl_zvm *a = open_game(shared, &games[0]), *b = open_game(shared, &games[2]);
        char *ta = NULL, *tb = NULL;
        size_t la = 0, lb = 0;
        int sa = advance(a, &ta, &la), sb = advance(b, &tb, &lb);
        for (int i = 0; i < first_n || i < second_n; i++) {
            if (i < first_n && sa == 0) { jitrl_zvm_input(a, first_lines[i]); sa = advance(a, &ta, &la); }
            if (i < second_n && sb == 0) { jitrl_zvm_input(b, second_lines[i]); sb = advance(b, &tb, &lb); }
        }
        CHECK_MSG(ta && !strcmp(ta, first_t), "interleaved %s differs from its separate run", games[0].name);
        CHECK_MSG(tb && !strcmp(tb, second_t), "interleaved %s differs from its separate run", games[2].name);
        free(ta);
        free(tb);
        jitrl_zvm_close(a);
        jitrl_zvm_close(b);
    }
    free(first_t);
    free(second_t);
    for (int i = 0; i < first_n; i++) free(first_lines[i]);
    for (int i = 0; i < second_n; i++) free(second_lines[i]);
    free(first_lines);
    free(second_lines);
    return tu_done();
}
