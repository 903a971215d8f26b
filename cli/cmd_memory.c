/*
 * cmd_memory.c -- `jitrl memory stats|export|import|prune FILE`: look at
 * and move an episodic memory file.  A thin client of jitrl/memory.h.
 *
 *   jitrl memory stats FILE [--json]
 *   jitrl memory export FILE [-o OUT.jsonl] [--skip-bad]   (default: stdout)
 *   jitrl memory import FILE [IN.jsonl]            (default: stdin; creates FILE)
 *   jitrl memory prune FILE [--max-age SECONDS|Nd|Nh] [--keep N]
 *   jitrl memory check FILE
 *
 * Export then import into a new file then export again gives the same
 * bytes.  Prune keeps the best episodes by final score.  Check names the
 * unusable rows; export --skip-bad salvages the rest.  Only stats builds
 * the retrieval index (its figures are part of the answer).
 */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jitrl.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: jitrl memory stats FILE [--json]\n"
            "       jitrl memory export FILE [-o OUT.jsonl] [--skip-bad]\n"
            "       jitrl memory import FILE [IN.jsonl]\n"
            "       jitrl memory prune FILE [--max-age SECONDS|Nh|Nd] [--keep N]\n"
            "       jitrl memory check FILE\n"
            "FILE is a SQLite file or a postgres:// URI (docs/memory.md); JITRL_NAMESPACE=NAME picks a namespace.\n");
    return 2;
}

/* stdio through the library's callbacks (the library takes no FILE *) */
static int write_stdio(void *ctx, const char *buf, size_t n)
{
    errno = 0;
    return fwrite(buf, 1, n, ctx) == n ? 0 : errno ? errno : EIO;
}

static int read_stdio(void *ctx, char *buf, size_t cap, size_t *got)
{
    errno = 0;
    *got = fread(buf, 1, cap, ctx);
    return *got < cap && ferror((FILE *)ctx) ? (errno ? errno : EIO) : 0;
}

static int open_mem(const char *path, int read_only, int create, int index, jitrl_memory **mem)
{
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.n_fields = 0;   /* the fields the memory was created with */
    o.read_only = read_only;
    o.create = create;
    o.no_index = !index;
    const char *ns = getenv("JITRL_NAMESPACE");   /* a namespace of a PostgreSQL memory (docs/memory.md) */
    if (ns && *ns) o.ns = ns;
    char err[1024];
    int rc = jitrl_memory_open(path, &o, mem, err, sizeof err);
    if (rc) fprintf(stderr, "jitrl memory: %s\n", err);   /* the message names the file */
    return rc;
}

/* --keep N: a whole number >= 1 (a huge one keeps everything). */
static int parse_keep(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long k = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || k == 0) {
        fprintf(stderr, "jitrl memory prune: --keep needs a whole number of episodes >= 1, not '%s'\n", s);
        return -1;
    }
    *out = errno == ERANGE || k > SIZE_MAX ? SIZE_MAX : (size_t)k;
    return 0;
}

static int parse_age(const char *s, int64_t *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0)) return -1;   /* also refuses nan */
    if (*end == 'd') v *= 86400, end++;
    else if (*end == 'h') v *= 3600, end++;
    else if (*end == 's') end++;
    if (*end) return -1;
    if (v > 1e15) v = 1e15;   /* ~30 million years: no limit, and no overflowing cast */
    *out = (int64_t)v;
    return 0;
}

static int do_stats(jitrl_memory *mem, int json)
{
    jitrl_memory_stats st;
    int rc = jitrl_memory_stats_get(mem, &st);
    if (rc) {
        fprintf(stderr, "jitrl memory stats: %s\n", jitrl_memory_errmsg(mem));
        return 1;
    }
    if (json)
        printf("{\"episodes\": %zu, \"steps\": %zu, \"distinct_states\": %zu, \"distinct_actions\": %zu, "
               "\"mean_score\": %.6g, \"best_score\": %.6g, \"first_time\": %lld, \"last_time\": %lld, "
               "\"schema_version\": %d, \"index_bytes\": %zu}\n",
               st.episodes, st.steps, st.distinct_states, st.distinct_actions, st.mean_score, st.best_score,
               (long long)st.first_time, (long long)st.last_time, st.schema_version, st.index_bytes);
    else
        printf("episodes         %zu\nsteps            %zu\ndistinct states  %zu\ndistinct actions %zu\n"
               "mean score       %.6g\nbest score       %.6g\ntime span        %lld .. %lld\nschema version   %d\n"
               "index RAM        %zu bytes\n",
               st.episodes, st.steps, st.distinct_states, st.distinct_actions, st.mean_score, st.best_score,
               (long long)st.first_time, (long long)st.last_time, st.schema_version, st.index_bytes);
    return 0;
}

int cmd_memory(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "--help")) {
        usage();
        return 0;
    }
    if (argc < 3) return usage();
    const char *verb = argv[1], *path = argv[2];
    jitrl_memory *mem = NULL;
    int status = 1;
    if (!strcmp(verb, "stats")) {
        int json = argc > 3 && !strcmp(argv[3], "--json");
        if (argc > 3 + json) return usage();
        if (open_mem(path, 1, 0, 1, &mem)) return 1;
        status = do_stats(mem, json);
    } else if (!strcmp(verb, "export")) {
        const char *out = NULL;
        unsigned flags = 0;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
            else if (!strcmp(argv[i], "--skip-bad")) flags |= JITRL_EXPORT_SKIP_BAD;
            else return usage();
        }
        if (open_mem(path, 1, 0, 0, &mem)) return 1;
        size_t skipped = 0;
        int rc = out && strcmp(out, "-") ? jitrl_memory_export(mem, out, flags, &skipped)
                                         : jitrl_memory_export_cb(mem, write_stdio, stdout, flags, &skipped);
        if (skipped) fprintf(stderr, "jitrl memory export: left out %zu bad episode%s (jitrl memory check %s names them)\n",
                             skipped, skipped == 1 ? "" : "s", path);
        if (rc) {
            fprintf(stderr, "jitrl memory export: %s%s\n", rc == JITRL_EIO && (!out || !strcmp(out, "-")) ? "stdout: " : "",
                    jitrl_memory_errmsg(mem));
        } else if ((!out || !strcmp(out, "-")) && fflush(stdout) != 0) {   /* e.g. a full disk */
            fprintf(stderr, "jitrl memory export: stdout: write failed: %s\n", strerror(errno));
            rc = JITRL_EIO;
        }
        status = rc ? 1 : 0;
    } else if (!strcmp(verb, "import")) {
        if (argc > 4) return usage();
        const char *in = argc == 4 && strcmp(argv[3], "-") ? argv[3] : NULL;
        if (in && access(in, R_OK) != 0) {   /* before the memory file is created */
            fprintf(stderr, "jitrl memory import: %s: %s\n", in, strerror(errno));
            return 1;
        }
        if (!open_mem(path, 0, 1, 0, &mem)) {
            size_t n = 0;
            int rc = in ? jitrl_memory_import(mem, in, &n) : jitrl_memory_import_cb(mem, read_stdio, stdin, &n);
            fprintf(stderr, "imported %zu episode%s\n", n, n == 1 ? "" : "s");
            if (rc) fprintf(stderr, "jitrl memory import: %s%s\n", in ? "" : "stdin: ", jitrl_memory_errmsg(mem));
            status = rc ? 1 : 0;
        }
    } else if (!strcmp(verb, "prune")) {
        int64_t age = 0;
        size_t keep = 0;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--max-age") && i + 1 < argc) {
                if (parse_age(argv[++i], &age)) {
                    fprintf(stderr, "jitrl memory prune: --max-age needs SECONDS, Nh or Nd (>= 0), not '%s'\n", argv[i]);
                    return 2;
                }
            } else if (!strcmp(argv[i], "--keep") && i + 1 < argc) {
                if (parse_keep(argv[++i], &keep)) return 2;
            } else {
                return usage();
            }
        }
        if (!age && !keep) {
            fprintf(stderr, "jitrl memory prune: give --max-age and/or --keep\n");
            return 2;
        }
        if (open_mem(path, 0, 0, 0, &mem)) return 1;
        size_t removed = 0;
        int rc = jitrl_memory_prune(mem, age, keep, 0, &removed);
        if (rc) fprintf(stderr, "jitrl memory prune: %s\n", jitrl_memory_errmsg(mem));
        else printf("removed %zu episode%s\n", removed, removed == 1 ? "" : "s");
        status = rc ? 1 : 0;
    } else if (!strcmp(verb, "check")) {
        if (argc != 3) return usage();
        if (open_mem(path, 1, 0, 0, &mem)) return 1;
        int rc = jitrl_memory_check(mem);
        if (rc) fprintf(stderr, "jitrl memory check: %s\n", jitrl_memory_errmsg(mem));
        else printf("%s: ok\n", path);
        status = rc ? 1 : 0;
    } else {
        return usage();
    }
    jitrl_memory_close(mem);
    return status;
}
