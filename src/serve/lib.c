/*
 * lib.c -- the two libraries `jitrl serve` stands on, libmicrohttpd (the
 * HTTP daemon) and nettle (SHA-256 of tokens), loaded with dlopen when a
 * server opens, as libcurl and libpq are when a model client or a
 * PostgreSQL memory opens.
 *
 * Why: linked into the CLI, libmicrohttpd brings GnuTLS and eight more
 * shared libraries that every `jitrl run` or `jitrl play` would resolve at
 * start for nothing.  The table lives on the server handle (dlopen counts
 * its own references), so servers in one process share no state.
 */
#include "serve/lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int sym(void *h, const char *name, void *out, char *err, size_t errlen)
{
    void *p = dlsym(h, name);
    if (!p) {
        snprintf(err, errlen, "%s lacks %s", h ? "a loaded library" : "no library", name);
        return -1;
    }
    memcpy(out, &p, sizeof p);   /* object pointer -> function pointer, as POSIX dlsym allows */
    return 0;
}

int srv_lib_open(srv_lib *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->mhd = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    l->nettle = dlopen("libnettle.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!l->mhd || !l->nettle) {
        snprintf(err, errlen, "cannot load %s (apt-get install %s): %s", l->mhd ? "libnettle.so.8" : "libmicrohttpd.so.12",
                 l->mhd ? "libnettle8" : "libmicrohttpd12", dlerror());
        srv_lib_close(l);
        return JITRL_EUNSUPPORTED;
    }
    struct { void *h; const char *name; void *dst; } t[] = {
        {l->mhd, "MHD_start_daemon", &l->start_daemon},
        {l->mhd, "MHD_stop_daemon", &l->stop_daemon},
        {l->mhd, "MHD_get_daemon_info", &l->get_daemon_info},
        {l->mhd, "MHD_get_connection_info", &l->get_connection_info},
        {l->mhd, "MHD_lookup_connection_value", &l->lookup_connection_value},
        {l->mhd, "MHD_create_response_from_buffer", &l->create_response_from_buffer},
        {l->mhd, "MHD_create_response_from_buffer_with_free_callback", &l->create_response_with_free},
        {l->mhd, "MHD_add_response_header", &l->add_response_header},
        {l->mhd, "MHD_queue_response", &l->queue_response},
        {l->mhd, "MHD_destroy_response", &l->destroy_response},
        {l->nettle, "nettle_sha256_init", &l->h_init},
        {l->nettle, "nettle_sha256_update", &l->h_update},
        {l->nettle, "nettle_sha256_digest", &l->h_digest},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (sym(t[i].h, t[i].name, t[i].dst, err, errlen)) {
            srv_lib_close(l);
            return JITRL_EUNSUPPORTED;
        }
    return JITRL_OK;
}

void srv_lib_close(srv_lib *l)
{
    if (l->mhd) dlclose(l->mhd);
    if (l->nettle) dlclose(l->nettle);
    memset(l, 0, sizeof *l);
}
