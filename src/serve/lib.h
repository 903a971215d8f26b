/*
 * lib.h -- private to src/serve/: the entry points of libmicrohttpd and
 * nettle that the server uses, loaded by srv_lib_open (lib.c).  Types come
 * from the libraries' own headers; only the calls go through the table.
 */
#ifndef JR_SERVE_LIB_H
#define JR_SERVE_LIB_H

#include <microhttpd.h>
#include <nettle/sha2.h>
#include <stddef.h>

#include "jitrl/error.h"

typedef struct srv_lib {
    void *mhd, *nettle;
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *d);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d, enum MHD_DaemonInfoType t, ...);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c, enum MHD_ConnectionInfoType t, ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
    struct MHD_Response *(*create_response_with_free)(size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc);
    enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header, const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
    void (*destroy_response)(struct MHD_Response *r);
    void (*h_init)(struct sha256_ctx *ctx);
    void (*h_update)(struct sha256_ctx *ctx, size_t length, const uint8_t *data);
    void (*h_digest)(struct sha256_ctx *ctx, size_t length, uint8_t *digest);
} srv_lib;

/* Load both libraries and every entry point: JITRL_OK, or
 * JITRL_EUNSUPPORTED with the missing library or symbol in err (l zeroed). */
int srv_lib_open(srv_lib *l, char *err, size_t errlen);
void srv_lib_close(srv_lib *l);   /* a zeroed l is fine */

#endif
