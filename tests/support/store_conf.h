/*
 * store_conf.h -- the store-level checks every memory backend must pass,
 * written once: test_memory_store.c runs them on SQLite files,
 * test_memory_pg.c on PostgreSQL namespaces.
 */
#ifndef STORE_CONF_H
#define STORE_CONF_H

#include <stddef.h>

#include "jitrl.h"

/* How a backend opens the store called `name` (the same name gives the
 * same store; a name not used before gives an empty one). */
typedef struct sc_backend {
    int (*open)(void *ctx, const char *name, const jitrl_memory_options *o, jitrl_memory **m, char *err,
                size_t errlen);
    void *ctx;
    const char *dir;   /* a temporary directory for files (exports) */
} sc_backend;

/* One episode of n (<= 8) steps whose actions are unique to tag. */
int sc_add_tagged(jitrl_memory *mem, const char *tag, int n);
/* Import the JSON Lines `text` through a file in dir. */
int sc_import_text(jitrl_memory *mem, const char *dir, const char *text, size_t *n);

/* Refresh follows commit order, not id order: episodes imported under low
 * ids, INT64_MAX, adds after it, writes through both handles -- each seen
 * once; export lists them in commit order; a prune through one handle makes
 * the other rebuild. */
void sc_commit_order(const sc_backend *b);
/* The field spec is stored: another is refused naming both, n_fields 0
 * adopts it. */
void sc_spec(const sc_backend *b);
/* Export -> import into an empty store -> export is byte-identical; stats
 * and check agree. */
void sc_roundtrip(const sc_backend *b);

#endif
