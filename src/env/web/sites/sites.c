/*
 * sites.c -- the jr_sites handle: three libmicrohttpd daemons (shop,
 * forum, admin; one ephemeral port each), the request gate every byte
 * from a browser passes, routing to the site's handler, and reset.
 *
 * The gate refuses before a handler runs: methods other than GET, HEAD and
 * POST (405), a POST body over JR_FORM_MAX_BODY (413, counted as it
 * arrives, not trusted from Content-Length alone) or not form-encoded
 * (415), a path with characters our routes never use, a query or body the
 * form parser refuses (400).  A handler runs with its store's mutex held,
 * so MHD's pool threads and the shared shop/admin store never race.
 *
 * libmicrohttpd is loaded with dlopen() when a handle opens, not linked:
 * it brings GnuTLS and a dozen libraries that would cost every start of
 * `jitrl` about 2 ms (see src/net/http_curl.c for the same choice).  The
 * function table lives on the handle, so there is no global state.
 */
#include "env/web/sites/sites.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "env/web/sites/sites_int.h"
#include "jitrl/error.h"

enum { SITE_SHOP, SITE_FORUM, SITE_ADMIN, NSITES };

static const char *const site_names[NSITES] = {"shopping", "reddit", "shopping_admin"};
static const char *const site_holders[NSITES] = {"__SHOPPING__", "__REDDIT__", "__SHOPPING_ADMIN__"};

struct site {
    jr_sites *owner;
    int kind;
    struct MHD_Daemon *d;
    char url[64];
};

/* The libmicrohttpd entry points we use. */
struct mhd_fns {
    void *dl;
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *d);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d, enum MHD_DaemonInfoType t, ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header, const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
    void (*destroy_response)(struct MHD_Response *r);
};

struct jr_sites {
    struct mhd_fns mhd;
    jr_store store;
    jr_forum forum;
    struct site site[NSITES];
};

/* One request's state across MHD's calls: the raw URI (from the URI log
 * callback, before MHD decodes anything) and the body as it arrives. */
struct conn {
    char *uri;
    jr_buf body;
    int too_big;
    int started;
};

size_t jr_sites_count(void)
{
    return NSITES;
}

const char *jr_sites_name(size_t i)
{
    return i < NSITES ? site_names[i] : NULL;
}

const char *jr_sites_placeholder(const char *name)
{
    for (int i = 0; name && i < NSITES; i++)
        if (!strcmp(name, site_names[i])) return site_holders[i];
    return NULL;
}

const char *jr_sites_url(const jr_sites *s, const char *name)
{
    for (int i = 0; s && name && i < NSITES; i++)
        if (!strcmp(name, site_names[i])) return s->site[i].url;
    return NULL;
}

char *jr_sites_expand(const jr_sites *s, const char *text)
{
    if (!s || !text) return NULL;
    jr_buf b;
    jr_buf_init(&b, 1u << 20);
    const char *p = text;
    while (*p) {
        int hit = -1;
        /* the longest placeholder first: __SHOPPING_ADMIN__ before __SHOPPING__ */
        for (int i = NSITES - 1; i >= 0 && hit < 0; i--)
            if (!strncmp(p, site_holders[i], strlen(site_holders[i]))) hit = i;
        int rc;
        if (hit >= 0) {
            rc = jr_buf_puts(&b, s->site[hit].url);
            p += strlen(site_holders[hit]);
        } else {
            rc = jr_buf_putc(&b, *p++);
        }
        if (rc) {
            jr_buf_free(&b);
            return NULL;
        }
    }
    return jr_buf_steal(&b);  /* "" for an empty text */
}

int jr_sites_reset(jr_sites *s)
{
    if (!s) return JITRL_EINVAL;
    pthread_mutex_lock(&s->store.mu);
    jr_store_seed(&s->store);
    pthread_mutex_unlock(&s->store.mu);
    pthread_mutex_lock(&s->forum.mu);
    int rc = jr_forum_seed(&s->forum);
    pthread_mutex_unlock(&s->forum.mu);
    return rc;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct conn *k = jr_calloc(1, sizeof *k);
    if (!k) return NULL;
    k->uri = jr_strdup(uri ? uri : "/");
    jr_buf_init(&k->body, JR_FORM_MAX_BODY);
    if (!k->uri) {
        jr_free(k);
        return NULL;
    }
    return k;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct conn *k = *con_cls;
    if (!k) return;
    jr_free(k->uri);
    jr_buf_free(&k->body);
    jr_free(k);
    *con_cls = NULL;
}

static enum MHD_Result reply(const struct mhd_fns *m, struct MHD_Connection *c, int status, const char *body, size_t len, const char *location)
{
    struct MHD_Response *r = m->create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    m->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    m->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    m->add_response_header(r, "X-Content-Type-Options", "nosniff");
    m->add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'");
    if (location) m->add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    if (status == 405) m->add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
    enum MHD_Result ret = m->queue_response(c, (unsigned)status, r);
    m->destroy_response(r);
    return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, const struct site *st, int status, const char *msg)
{
    jr_resp rs = {0};
    jr_buf_init(&rs.body, JR_PAGE_MAX);
    jr_html_error(&rs, status, site_names[st->kind], msg);
    enum MHD_Result ret = reply(&st->owner->mhd, c, status, jr_buf_str(&rs.body), rs.body.len, NULL);
    jr_buf_free(&rs.body);
    return ret;
}

static int path_ok(const char *p, size_t n)
{
    if (n == 0 || p[0] != '/' || n > 200) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '/' ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

static void dispatch(struct site *st, const jr_req *rq, jr_resp *rs)
{
    jr_sites *s = st->owner;
    if (rq->post && !strcmp(rq->path, "/__reset")) {
        int rc = jr_sites_reset(s);
        rs->status = rc ? 500 : 200;
        jr_html_begin(&rs->body, site_names[st->kind], "Reset", NULL);
        jr_out(&rs->body, rc ? "<p id=\"reset\">reset failed</p>" : "<p id=\"reset\">reset</p>");
        jr_html_end(&rs->body);
        return;
    }
    pthread_mutex_t *mu = st->kind == SITE_FORUM ? &s->forum.mu : &s->store.mu;
    pthread_mutex_lock(mu);
    switch (st->kind) {
    case SITE_SHOP: jr_shop_handle(&s->store, rq, rs); break;
    case SITE_ADMIN: jr_admin_handle(&s->store, rq, rs); break;
    default: jr_forum_handle(&s->forum, rq, rs); break;
    }
    pthread_mutex_unlock(mu);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct site *st = cls;
    struct conn *k = *con_cls;
    if (!k) return MHD_NO;  /* the URI log callback ran out of memory */
    int post = !strcmp(method, "POST");
    if (!k->started) {
        k->started = 1;
        if (!post && strcmp(method, "GET") && strcmp(method, "HEAD"))
            return refuse(c, st, 405, "Only GET, HEAD and POST are served here.");
        if (post) {
            const char *cl = st->owner->mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            long n;
            if (cl && (jr_parse_long(cl, 0, 999999999, &n) || n > JR_FORM_MAX_BODY))
                return refuse(c, st, 413, "The form is too large.");
            const char *ct = st->owner->mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
            if (ct && strncmp(ct, "application/x-www-form-urlencoded", 33))
                return refuse(c, st, 415, "Forms must be sent as application/x-www-form-urlencoded.");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!k->too_big && jr_buf_append(&k->body, upload, *upload_size)) k->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (k->too_big) return refuse(c, st, 413, "The form is too large.");
    if (!post && k->body.len) return refuse(c, st, 400, "A GET carries no body.");

    const char *q = strchr(k->uri, '?');
    size_t plen = q ? (size_t)(q - k->uri) : strlen(k->uri);
    if (!path_ok(k->uri, plen)) return refuse(c, st, 404, "There is no such page.");
    char path[208];
    memcpy(path, k->uri, plen);
    path[plen] = '\0';
    jr_req rq = {.post = post, .path = path};
    jr_resp rs = {.status = 200};
    jr_buf_init(&rs.body, JR_PAGE_MAX);
    enum MHD_Result ret;
    int prc = q ? jr_form_parse(&rq.query, q + 1, strlen(q + 1)) : JITRL_OK;
    if (!prc && post) prc = jr_form_parse(&rq.body, jr_buf_str(&k->body), k->body.len);
    if (prc) {
        ret = refuse(c, st, prc == JITRL_ENOMEM ? 503 : 400, "The request is not a valid form (bad encoding or too many or too long fields).");
        goto out;
    }
    dispatch(st, &rq, &rs);
    if (rs.status == 303) ret = reply(&st->owner->mhd, c, 303, "", 0, rs.location);
    else if (!rs.body.data) ret = refuse(c, st, 503, "The page could not be built.");
    else ret = reply(&st->owner->mhd, c, rs.status, rs.body.data, rs.body.len, NULL);
out:
    jr_form_free(&rq.query);
    jr_form_free(&rq.body);
    jr_buf_free(&rs.body);
    return ret;
}

static int load_mhd(struct mhd_fns *m, char *err, size_t errlen)
{
    m->dl = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!m->dl) {
        snprintf(err, errlen, "cannot load libmicrohttpd.so.12 (install libmicrohttpd12): %s", dlerror());
        return JITRL_EUNSUPPORTED;
    }
    const struct {
        const char *name;
        void **slot;
    } syms[] = {
        {"MHD_start_daemon", (void **)&m->start_daemon},
        {"MHD_stop_daemon", (void **)&m->stop_daemon},
        {"MHD_get_daemon_info", (void **)&m->get_daemon_info},
        {"MHD_lookup_connection_value", (void **)&m->lookup_connection_value},
        {"MHD_create_response_from_buffer", (void **)&m->create_response_from_buffer},
        {"MHD_add_response_header", (void **)&m->add_response_header},
        {"MHD_queue_response", (void **)&m->queue_response},
        {"MHD_destroy_response", (void **)&m->destroy_response},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(m->dl, syms[i].name);
        if (!*syms[i].slot) {
            snprintf(err, errlen, "libmicrohttpd.so.12 lacks %s", syms[i].name);
            return JITRL_EUNSUPPORTED;
        }
    }
    return JITRL_OK;
}

void jr_sites_close(jr_sites *s)
{
    if (!s) return;
    for (int i = 0; i < NSITES; i++)
        if (s->site[i].d) s->mhd.stop_daemon(s->site[i].d);
    jr_forum_free(&s->forum);
    if (s->mhd.dl) dlclose(s->mhd.dl);
    pthread_mutex_destroy(&s->store.mu);
    pthread_mutex_destroy(&s->forum.mu);
    jr_free(s);
}

int jr_sites_open(jr_sites **out, const char *bind, char *err, size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    if (!bind) bind = "127.0.0.1";
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    if (inet_pton(AF_INET, bind, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "'%s' is not an IPv4 address", bind);
        return JITRL_EINVAL;
    }
    jr_sites *s = jr_calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    pthread_mutex_init(&s->store.mu, NULL);
    pthread_mutex_init(&s->forum.mu, NULL);
    int rc = load_mhd(&s->mhd, err, errlen);
    if (rc) {
        jr_sites_close(s);
        return rc;
    }
    if (jr_sites_reset(s)) {
        snprintf(err, errlen, "out of memory");
        jr_sites_close(s);
        return JITRL_ENOMEM;
    }
    const char *host = strcmp(bind, "0.0.0.0") ? bind : "127.0.0.1";
    for (int i = 0; i < NSITES; i++) {
        struct site *st = &s->site[i];
        st->owner = s;
        st->kind = i;
        st->d = s->mhd.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, handle, st,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
                                 MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                 MHD_OPTION_END);
        const union MHD_DaemonInfo *info = st->d ? s->mhd.get_daemon_info(st->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
        if (!info || !info->port) {
            snprintf(err, errlen, "cannot start the %s site on %s", site_names[i], bind);
            jr_sites_close(s);
            return JITRL_EIO;
        }
        snprintf(st->url, sizeof st->url, "http://%s:%u", host, (unsigned)info->port);
    }
    *out = s;
    return JITRL_OK;
}
