/*
 * cmd_serve.c -- `jitrl serve`: JitRL as an HTTP service (include/jitrl/
 * serve.h; the API in docs/openapi.yaml, a walkthrough in docs/serve.md).
 * Prints the address it bound ("listening on ADDR:PORT", so --listen
 * 127.0.0.1:0 tells a script its port), writes the access log to stderr,
 * and stops cleanly on SIGINT or SIGTERM.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jitrl.h"
#include "jitrl/serve.h"

static const char usage[] =
    "usage: jitrl serve [--listen ADDR:PORT] [--memory DIR|postgres://...] [--tokens FILE]\n"
    "                   [--llm URL --model M] [--threads N] [--max-body BYTES] [--max-connections N]\n"
    "                   [--timeout S] [--quiet]\n"
    "  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; port 0 picks a free one)\n"
    "  --memory DIR         one SQLite memory per namespace, DIR/NS.db (default: in RAM, lost at exit);\n"
    "           postgres://...  one PostgreSQL database shared by several instances\n"
    "  --tokens FILE        bearer tokens: 'SHA256HEX  ns-glob,ns-glob' per line; without it only\n"
    "                       loopback addresses are accepted and every namespace is open\n"
    "  --llm URL --model M  prior logits from this OpenAI-compatible model for decisions sent without\n"
    "                       logits (key from $OPENAI_API_KEY or $JITRL_API_KEY)\n"
    "  --threads N          worker threads (default one per core)\n"
    "  --max-body BYTES     largest JSON body (default 1048576)\n"
    "  --max-connections N  open connections served; past it 503 (default 256)\n"
    "  --timeout S          idle connections closed, slow requests 408, after S seconds (default 10)\n"
    "  --quiet              no access log\n";

static jitrl_server *running;   /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    jitrl_server_stop(running);   /* async-signal-safe: a write to a pipe */
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    fprintf(stderr, "%s %s\n", ts, line);
}

static int num_arg(const char *flag, const char *v, unsigned long long lo, unsigned long long hi,
                   unsigned long long *out)
{
    char *end = NULL;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || x < lo || x > hi || v[0] == '-') {
        fprintf(stderr, "jitrl serve: %s needs an integer %llu..%llu\n", flag, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    jitrl_serve_options o;
    jitrl_serve_options_init(&o);
    o.log = log_line;
    unsigned long long x;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            o.log = NULL;
            continue;
        }
        if (!v) {
            fprintf(stderr, "jitrl serve: %s needs a value\n%s", a, usage);
            return 2;
        }
        i++;
        if (!strcmp(a, "--listen")) o.listen = v;
        else if (!strcmp(a, "--memory")) o.memory = v;
        else if (!strcmp(a, "--tokens")) o.tokens_file = v;
        else if (!strcmp(a, "--llm")) o.llm_url = v;
        else if (!strcmp(a, "--model")) o.llm_model = v;
        else if (!strcmp(a, "--threads")) {
            if (num_arg(a, v, 1, 1024, &x)) return 2;
            o.threads = (unsigned)x;
        } else if (!strcmp(a, "--max-body")) {
            if (num_arg(a, v, 1024, (unsigned long long)1 << 30, &x)) return 2;
            o.max_body = (size_t)x;
        } else if (!strcmp(a, "--max-connections")) {
            if (num_arg(a, v, 1, 100000, &x)) return 2;
            o.max_connections = (unsigned)x;
        } else if (!strcmp(a, "--timeout")) {
            if (num_arg(a, v, 1, 3600, &x)) return 2;
            o.timeout_s = (unsigned)x;
        } else {
            fprintf(stderr, "jitrl serve: unknown option %s\n%s", a, usage);
            return 2;
        }
    }
    char err[512];
    if (o.llm_url) {
        jitrl_llm_config c;
        jitrl_llm_config_init(&c);
        if (cli_llm_env(&c, err, sizeof err)) {
            fprintf(stderr, "jitrl serve: %s\n", err);
            return 2;
        }
        o.llm_key = c.api_key;
    }
    jitrl_server *srv = NULL;
    int rc = jitrl_server_open(&o, &srv, err, sizeof err);
    if (rc) {
        fprintf(stderr, "jitrl serve: %s\n", err);
        return rc == JITRL_EINVAL ? 2 : 1;
    }
    running = srv;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("listening on %s\n", jitrl_server_address(srv));
    fflush(stdout);
    jitrl_server_run(srv);
    fprintf(stderr, "jitrl serve: stopping\n");
    jitrl_server_close(srv);
    running = NULL;
    return 0;
}
