/*
 * error.c -- jitrl_strerror(): the text for each code of enum jitrl_rc.
 */
#include "jitrl/error.h"

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
