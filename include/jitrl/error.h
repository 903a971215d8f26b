/*
 * error.h -- the one error enum of libjitrl.
 *
 * Every fallible public call returns an int that is either JITRL_OK (0) or
 * one of the codes below.  The numbers are part of the ABI and never change;
 * new codes are appended.  A human-readable detail message, when there is
 * one, stays on the handle that failed (for example jitrl_zvm_errmsg()).
 */
#ifndef JITRL_ERROR_H
#define JITRL_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* JITRL_API marks the exported functions: the library is built with
 * -fvisibility=hidden, so everything else (jr_*, mem_*, zvm internals)
 * stays out of libjitrl.so's dynamic symbol table. */
#if defined(__GNUC__) || defined(__clang__)
#define JITRL_API __attribute__((visibility("default")))
#else
#define JITRL_API
#endif

/* The ABI of libjitrl.so.N: bumped when a compiled caller would break.
 * jitrl_version() gives the library's version string, e.g. "0.3.0". */
#define JITRL_ABI_VERSION 0

enum jitrl_rc {
    JITRL_OK = 0,
    JITRL_ENOMEM = 1,        /* an allocation failed */
    JITRL_EINVAL = 2,        /* a bad argument from the caller */
    JITRL_EIO = 3,           /* a file could not be read or written */
    JITRL_ECORRUPT = 4,      /* outside data is malformed (story, JSON, DB) */
    JITRL_EUNSUPPORTED = 5,  /* well-formed but not supported (e.g. Z-machine v6) */
    JITRL_EBUDGET = 6,       /* an instruction/time budget ran out */
    JITRL_EVM = 7,           /* the Z-machine halted on an illegal operation */
    JITRL_EDB = 8,           /* SQLite reported an error */
    JITRL_EHTTP = 9,         /* an HTTP exchange failed */
    JITRL_EPARSE = 10,       /* a reply could not be parsed */
    JITRL_ENOTFOUND = 11,    /* a named thing does not exist */
    JITRL_ETOOBIG = 12,      /* a bounded buffer would exceed its maximum */
    JITRL_ETIMEOUT = 13,     /* a network or wall-clock timeout */
    JITRL_ESTATE = 14,       /* the call is not valid in the handle's state */
    JITRL_EINTERRUPTED = 15, /* stopped on request (signal, cancel) */
    JITRL_EAUTH = 16,        /* the remote refused our credentials or model */
};

/* A static, never-NULL English description of rc.  Unknown codes give
 * "unknown error". */
JITRL_API JITRL_API const char *jitrl_strerror(int rc);

/* The library's version, "MAJOR.MINOR.PATCH" (static, never NULL); MAJOR
 * is JITRL_ABI_VERSION, the N of libjitrl.so.N. */
JITRL_API const char *jitrl_version(void);

/* Free a string or buffer the library returned as the caller's (a `char *`
 * out-parameter, e.g. jitrl_decision_json).  NULL is a no-op.  Use this,
 * not free(), from other languages and from programs built with another C
 * runtime. */
JITRL_API void jitrl_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
