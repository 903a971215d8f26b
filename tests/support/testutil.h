/*
 * testutil.h -- the small harness every C test program uses.
 *
 * A test program is a main() that calls CHECK()/CHECK_EQ...; the first
 * failure is printed with file:line and counted, and tu_done() returns the
 * exit status (0 pass, 1 fail).  tu_skip() exits 77, which tests/run.sh
 * reports as skipped.  Lines starting "FIGURE" are echoed by the runner, for
 * numbers a test wants seen (e.g. index recall).
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdio.h>

extern int tu_failures;
extern int tu_checks;

#define CHECK(cond) tu_check((cond) != 0, #cond, __FILE__, __LINE__)
#define CHECK_MSG(cond, ...) do { if (!tu_check((cond) != 0, #cond, __FILE__, __LINE__)) { fprintf(stderr, "    "); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_INT(a, b) tu_check_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STR(a, b) tu_check_str((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_NEAR(a, b, eps) tu_check_near((double)(a), (double)(b), (eps), #a, #b, __FILE__, __LINE__)

int tu_check(int ok, const char *expr, const char *file, int line);
int tu_check_int(long long a, long long b, const char *ea, const char *eb, const char *file, int line);
int tu_check_str(const char *a, const char *b, const char *ea, const char *eb, const char *file, int line);
int tu_check_near(double a, double b, double eps, const char *ea, const char *eb, const char *file, int line);
int tu_done(void);
void tu_skip(const char *why) __attribute__((noreturn));

/* ../shared beside the checkout (or $JITRL_SHARED).  When it is absent the
 * test is skipped with a message -- unless CI=true, where that is a failure
 * (exit 1).  The returned path is static. */
const char *tu_shared(void);
/* path = dir + "/" + rel in a static rotating buffer (8 slots). */
const char *tu_path(const char *dir, const char *rel);
/* The build directory ($JITRL_BUILD, default "build") and the CLI binary. */
const char *tu_build(void);
const char *tu_jitrl_bin(void);
/* Read a whole file; caller frees.  NULL on error. */
unsigned char *tu_read_file(const char *path, size_t *len);
/* The next data row of ../shared/jericho/games.tsv (comments and the header
 * skipped), split in place at tabs into fld[0..max): returns the number of
 * fields, or -1 at the end of the file. */
int tu_games_row(FILE *f, char *line, size_t cap, char **fld, int max);
/* The non-empty lines of a text file (a walkthrough), at most 4096, without
 * line ends; NULL if it cannot be read.  Free with tu_free_lines. */
char **tu_read_lines(const char *path, size_t *n);
void tu_free_lines(char **v, size_t n);
/* A fresh temporary directory (mkdtemp); static path. */
const char *tu_tmpdir(void);
/* An agent trace callback (jitrl_agent_config.trace) chaining a hash over
 * the lines, and counting them. */
typedef struct tu_trace_hash {
    unsigned long long h;
    size_t lines;
} tu_trace_hash;
void tu_on_trace(void *ctx, const char *line);

#endif
