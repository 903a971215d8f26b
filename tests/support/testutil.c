/*
 * testutil.c -- the test harness.  See testutil.h.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

int tu_failures;
int tu_checks;

int tu_check(int ok, const char *expr, const char *file, int line)
{
    tu_checks++;
    if (!ok) {
        tu_failures++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
    }
    return ok;
}

int tu_check_int(long long a, long long b, const char *ea, const char *eb, const char *file, int line)
{
    int ok = tu_check(a == b, ea, file, line);
    if (!ok) fprintf(stderr, "    %s = %lld, %s = %lld\n", ea, a, eb, b);
    return ok;
}

int tu_check_str(const char *a, const char *b, const char *ea, const char *eb, const char *file, int line)
{
    int ok = tu_check(a && b && !strcmp(a, b), ea, file, line);
    if (!ok) fprintf(stderr, "    %s = \"%s\"\n    %s = \"%s\"\n", ea, a ? a : "(null)", eb, b ? b : "(null)");
    return ok;
}

int tu_check_near(double a, double b, double eps, const char *ea, const char *eb, const char *file, int line)
{
    int ok = tu_check(fabs(a - b) <= eps, ea, file, line);
    if (!ok) fprintf(stderr, "    %s = %.12g, %s = %.12g (eps %g)\n", ea, a, eb, b, eps);
    return ok;
}

int tu_done(void)
{
    printf("%d checks, %d failed\n", tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}

void tu_skip(const char *why)
{
    printf("skipped: %s\n", why);
    exit(77);
}

const char *tu_shared(void)
{
    static char path[4096];
    const char *env = getenv("JITRL_SHARED");
    snprintf(path, sizeof path, "%s", env && *env ? env : "../shared");
    struct stat st;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/jericho/games.tsv", path);
    if (stat(probe, &st) != 0) {
        const char *ci = getenv("CI");
        if (ci && !strcmp(ci, "true")) {
            fprintf(stderr, "../shared is missing (looked in %s) and CI=true: failing\n", path);
            exit(1);
        }
        tu_skip("../shared is absent (set JITRL_SHARED or place shared/ beside the checkout)");
    }
    return path;
}

const char *tu_path(const char *dir, const char *rel)
{
    static char slots[8][4096];
    static int next;
    char *p = slots[next++ % 8];
    snprintf(p, 4096, "%s/%s", dir, rel);
    return p;
}

const char *tu_build(void)
{
    const char *b = getenv("JITRL_BUILD");
    return b && *b ? b : "build";
}

const char *tu_jitrl_bin(void)
{
    static char p[4200];
    const char *b = getenv("JITRL_BIN");
    if (b && *b) return b;
    snprintf(p, sizeof p, "%s/jitrl", tu_build());
    return p;
}

unsigned char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf && len) *len = n;
    return buf;
}

const char *tu_tmpdir(void)
{
    static char tmpl[64];
    snprintf(tmpl, sizeof tmpl, "/tmp/jitrl-test-XXXXXX");
    if (!mkdtemp(tmpl)) { perror("mkdtemp"); exit(1); }
    return tmpl;
}

char **tu_read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f) return NULL;
    char **v = calloc(4096, sizeof *v);
    char line[512];
    while (v && *n < 4096 && fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
        if (l && !(v[*n] = strdup(line))) break;
        if (l) (*n)++;
    }
    fclose(f);
    return v;
}

void tu_free_lines(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

int tu_games_row(FILE *f, char *line, size_t cap, char **fld, int max)
{
    while (fgets(line, (int)cap, f)) {
        if (line[0] == '#' || !strncmp(line, "game\t", 5)) continue;
        line[strcspn(line, "\r\n")] = '\0';
        int n = 0;
        for (char *p = line, *t; n < max && (t = strsep(&p, "\t"));) fld[n++] = t;
        return n;
    }
    return -1;
}

void tu_on_trace(void *ctx, const char *line)
{
    tu_trace_hash *t = ctx;
    t->h = XXH3_64bits_withSeed(line, strlen(line), t->h);
    t->lines++;
}
