/*
 * serve.h -- JitRL as an HTTP service (`jitrl serve`): agents in any
 * language send a state and candidate actions and get the JitRL choice
 * back; at the end of an episode they send its rewards.  JSON in, JSON
 * out; the routes, fields and errors are in docs/openapi.yaml, the
 * walkthrough in docs/serve.md.
 *
 * One jitrl_server is one listening daemon (libmicrohttpd, a pool of
 * threads) over a set of namespaces, each its own memory: in RAM, a
 * SQLite file DIR/NS.db, or a PostgreSQL database.  There is no global
 * state, so a program (a test) may run several servers side by side.
 *
 * Auth: with a tokens file every /v1 request needs "Authorization: Bearer
 * TOKEN" whose SHA-256 is listed there with namespace globs; without one
 * the server refuses any address but loopback.
 *
 * Ownership: options strings are copied at open.  jitrl_server_address
 * and jitrl_server_errmsg return borrowed strings valid until close.
 * Threads: run, stop and close from one controlling thread; stop may also
 * be called from a signal handler (it only writes to a pipe).
 */
#ifndef JITRL_SERVE_H
#define JITRL_SERVE_H

#include <stddef.h>

#include "jitrl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jitrl_server jitrl_server;

typedef struct jitrl_serve_options {
    size_t size;               /* sizeof the struct the caller was built with: set by _init */
    const char *listen;        /* "ADDR:PORT" (IPv4 dotted quad or "[v6]"); port 0 picks one.
                                * Default "127.0.0.1:8080" */
    /* Where namespaces live: NULL or ":memory:" = each in RAM (lost at
     * exit); a directory = one SQLite file DIR/NS.db per namespace
     * (created on first use); postgres://... = one database, each
     * namespace apart in it. */
    const char *memory;
    const char *tokens_file;   /* NULL = no auth (then only a loopback address is accepted) */
    /* A model for candidates sent without logits: an OpenAI-compatible base
     * URL, model and key (NULL = none: such a decision gets the uniform
     * prior).  The key is copied and never logged. */
    const char *llm_url, *llm_model, *llm_key;
    unsigned threads;          /* worker threads; 0 = one per core */
    size_t max_body;           /* bytes of a JSON body; 0 = 1 MiB */
    size_t max_import_body;    /* bytes of an import (JSON Lines) body; 0 = 64 MiB */
    unsigned max_connections;  /* open connections answered normally; past it 503; 0 = 256 */
    unsigned timeout_s;        /* an idle connection is closed, a request that takes longer
                                * to arrive gets 408; 0 = 10 */
    size_t max_candidates;     /* per decision; 0 = 1000 */
    size_t max_namespaces;     /* namespaces open at once; 0 = 1024 */
    int sync_ms;               /* how often other writers' commits are picked up; 0 = 200 */
    /* One line per request (request id, method, path, status, bytes,
     * microseconds, namespace) and the server's notices; never a token.
     * NULL = silent. */
    void (*log)(void *log_ctx, const char *line);
    void *log_ctx;
} jitrl_serve_options;

/* Fill *opt with the defaults above.  Cannot fail. */
JITRL_API void jitrl_serve_options_init(jitrl_serve_options *opt);

/* Bind and start serving (requests are answered from return on, on the
 * server's own threads).  Errors: JITRL_EINVAL (bad options or address, a
 * non-loopback address without a tokens file, a bad tokens file: the
 * message names the line), JITRL_ENOTFOUND (no tokens file / memory
 * directory), JITRL_EIO (cannot bind: the message says why),
 * JITRL_EUNSUPPORTED, JITRL_ENOMEM.  On error *out is NULL and the
 * reason is in errmsg[0..errlen). */
JITRL_API int jitrl_server_open(const jitrl_serve_options *opt, jitrl_server **out, char *errmsg,
                                size_t errlen);
/* "ADDR:PORT" actually bound (the chosen port when 0 was asked for). */
JITRL_API const char *jitrl_server_address(const jitrl_server *srv);
/* Block until jitrl_server_stop.  Returns JITRL_OK. */
JITRL_API int jitrl_server_run(jitrl_server *srv);
/* Make run return.  Async-signal-safe. */
JITRL_API void jitrl_server_stop(jitrl_server *srv);
/* Stop accepting, finish the requests in flight, close every namespace.
 * NULL is a no-op. */
JITRL_API void jitrl_server_close(jitrl_server *srv);

#ifdef __cplusplus
}
#endif
#endif
