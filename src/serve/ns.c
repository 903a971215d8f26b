/*
 * ns.c -- the namespaces of `jitrl serve`: a tenant's name -> its open
 * jitrl_memory, opened on first use and kept until the server closes.
 *
 * Shaped so: isolation is by construction -- each namespace is its own
 * memory handle (its own SQLite file DIR/NS.db, its own RAM index, or its
 * own part of the PostgreSQL database), so no query of one can see
 * another's rows.  Names are checked against [A-Za-z0-9_.-]{1,64} (not
 * starting with '.') before they come near a path.  Lookups share a
 * read/write lock; only opening a new namespace takes it exclusively.
 * Store failures that may pass (JITRL_EIO, JITRL_ETIMEOUT) mark the store
 * unready until the next success, which is what /readyz reports.
 */
#include "serve/serve_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

enum { NS_RAM, NS_DIR, NS_PG };

typedef struct ns_entry {
    char name[SRV_NS_MAX + 1];
    jitrl_memory *mem;
} ns_entry;

struct srv_ns {
    int kind;
    char *where;              /* the directory or the postgres:// URI */
    size_t max;
    pthread_rwlock_t lock;
    ns_entry *e;
    size_t n;
    atomic_int unready;       /* the last store operation failed in a way that may pass */
    pthread_mutex_t op_mu;    /* maintenance calls take turns (srv_ns_ops_begin) */
};

int srv_ns_valid(const char *name)
{
    size_t n = 0;
    if (!name || name[0] == '.') return 0;
    for (; name[n]; n++) {
        char c = name[n];
        if (n == SRV_NS_MAX) return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return n > 0;
}

int srv_ns_open(const jitrl_serve_options *o, srv_ns **out, char *err, size_t errlen)
{
    *out = NULL;
    srv_ns *n = jr_calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    n->max = o->max_namespaces;
    const char *m = o->memory;
    if (!m || !*m || !strcmp(m, ":memory:")) {
        n->kind = NS_RAM;
    } else if (!strncmp(m, "postgres://", 11) || !strncmp(m, "postgresql://", 13)) {
        n->kind = NS_PG;
    } else {
        n->kind = NS_DIR;
        struct stat sb;
        int bad = stat(m, &sb);
        if (bad || !S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "--memory %s: %s (give a directory: each namespace is DIR/NS.db)", m,
                     bad ? strerror(errno) : "not a directory");
            jr_free(n);
            return JITRL_ENOTFOUND;
        }
    }
    n->where = jr_strdup(m ? m : "");
    n->e = jr_calloc(n->max ? n->max : 1, sizeof *n->e);
    if (!n->where || !n->e || pthread_rwlock_init(&n->lock, NULL)) {
        jr_free(n->where);
        jr_free(n->e);
        jr_free(n);
        snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    pthread_mutex_init(&n->op_mu, NULL);
    *out = n;
    return JITRL_OK;
}

void srv_ns_ops_begin(srv_ns *n) { pthread_mutex_lock(&n->op_mu); }
void srv_ns_ops_end(srv_ns *n) { pthread_mutex_unlock(&n->op_mu); }

void srv_ns_close(srv_ns *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) jitrl_memory_close(n->e[i].mem);
    pthread_rwlock_destroy(&n->lock);
    pthread_mutex_destroy(&n->op_mu);
    jr_free(n->e);
    jr_free(n->where);
    jr_free(n);
}

static jitrl_memory *find(srv_ns *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (!strcmp(n->e[i].name, name)) return n->e[i].mem;
    return NULL;
}

static int open_one(srv_ns *n, const char *name, int create, jitrl_memory **mem, char *err, size_t errlen)
{
    jitrl_memory_options mo;
    jitrl_memory_options_init(&mo);
    mo.n_fields = 0;   /* as the memory was created; a new one gets the text default */
    mo.create = create;
    char path[4096];
    int rc;
    switch (n->kind) {
    case NS_RAM:
        if (!create) {
            snprintf(err, errlen, "namespace '%s' has no memory yet", name);
            return JITRL_ENOTFOUND;
        }
        rc = jitrl_memory_open(":memory:", &mo, mem, err, errlen);
        break;
    case NS_DIR:
        snprintf(path, sizeof path, "%s/%s.db", n->where, name);
        if (!create && access(path, F_OK)) {
            snprintf(err, errlen, "namespace '%s' has no memory yet", name);
            return JITRL_ENOTFOUND;
        }
        rc = jitrl_memory_open(path, &mo, mem, err, errlen);
        break;
    default:   /* NS_PG: one database, the namespace a column of every table (docs/memory.md) */
        mo.ns = name;
        rc = jitrl_memory_open(n->where, &mo, mem, err, errlen);
        break;
    }
    srv_ns_note(n, rc);
    return rc;
}

int srv_ns_get(srv_ns *n, const char *name, int create, jitrl_memory **mem, char *err, size_t errlen)
{
    *mem = NULL;
    if (!srv_ns_valid(name)) {
        snprintf(err, errlen, "a namespace is 1..64 of [A-Za-z0-9_.-], not starting with '.'");
        return JITRL_EINVAL;
    }
    pthread_rwlock_rdlock(&n->lock);
    *mem = find(n, name);
    pthread_rwlock_unlock(&n->lock);
    if (*mem) return JITRL_OK;
    pthread_rwlock_wrlock(&n->lock);
    int rc = JITRL_OK;
    if (!(*mem = find(n, name))) {
        if (n->n >= n->max) {
            snprintf(err, errlen, "this server has %zu namespaces open, its limit", n->n);
            rc = JITRL_ETOOBIG;
        } else if (!(rc = open_one(n, name, create, mem, err, errlen))) {
            snprintf(n->e[n->n].name, sizeof n->e[n->n].name, "%s", name);
            n->e[n->n++].mem = *mem;
        }
    }
    pthread_rwlock_unlock(&n->lock);
    return rc;
}

void srv_ns_note(srv_ns *n, int rc)
{
    if (rc == JITRL_EIO || rc == JITRL_ETIMEOUT) atomic_store(&n->unready, 1);
    else if (rc == JITRL_OK) atomic_store(&n->unready, 0);
}

int srv_ns_ready(srv_ns *n, char *err, size_t errlen)
{
    if (n->kind == NS_DIR && access(n->where, W_OK | X_OK)) {
        snprintf(err, errlen, "the memory directory %s: %s", n->where, strerror(errno));
        return JITRL_EIO;
    }
    if (atomic_load(&n->unready)) {
        snprintf(err, errlen, "the store failed its last operation (it may be unreachable); retrying");
        return JITRL_EIO;
    }
    return JITRL_OK;
}

void srv_ns_each(srv_ns *n, void (*fn)(void *ctx, const char *name, jitrl_memory *mem), void *ctx)
{
    pthread_rwlock_rdlock(&n->lock);
    for (size_t i = 0; i < n->n; i++) fn(ctx, n->e[i].name, n->e[i].mem);
    pthread_rwlock_unlock(&n->lock);
}

/* Pick up what other writers committed (other processes on the same
 * files, other instances on the same database); RAM namespaces have none. */
static void sync_one(void *ctx, const char *name, jitrl_memory *mem)
{
    srv_ns *n = ctx;
    srv_ns_note(n, jitrl_memory_refresh(mem));
}

void srv_ns_sync(srv_ns *n)
{
    if (n->kind == NS_RAM) return;
    srv_ns_ops_begin(n);
    srv_ns_each(n, sync_one, n);
    srv_ns_ops_end(n);
}
