/*
 * error.c -- jitrl_strerror(): the text for each code of enum jitrl_rc;
 * jitrl_version() and jitrl_free(), the two calls every binding needs.
 */
#include "jitrl/error.h"

#include <stdlib.h>

#define JR_STR2(x) #x
#define JR_STR(x) JR_STR2(x)

const char *jitrl_version(void)
{
    return JR_STR(JITRL_ABI_VERSION) ".4.0";
}

/* Everything the library hands over as the caller's comes from malloc
 * (jr_malloc is a thin wrapper), so free() is the matching release. */
void jitrl_free(void *p)
{
    free(p);
}

const char *jitrl_strerror(int rc)
{
    switch (rc) {
    case JITRL_OK: return "ok";
    case JITRL_ENOMEM: return "out of memory";
    case JITRL_EINVAL: return "invalid argument";
    case JITRL_EIO: return "input/output error";
    case JITRL_ECORRUPT: return "malformed data";
    case JITRL_EUNSUPPORTED: return "unsupported";
    case JITRL_EBUDGET: return "budget exhausted";
    case JITRL_EVM: return "Z-machine error";
    case JITRL_EDB: return "database error";
    case JITRL_EHTTP: return "HTTP error";
    case JITRL_EPARSE: return "unparseable reply";
    case JITRL_ENOTFOUND: return "not found";
    case JITRL_ETOOBIG: return "too big";
    case JITRL_ETIMEOUT: return "timed out";
    case JITRL_ESTATE: return "invalid state for this call";
    case JITRL_EINTERRUPTED: return "interrupted";
    case JITRL_EAUTH: return "authentication or model refused";
    }
    return "unknown error";
}
