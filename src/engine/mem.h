/*
 * mem.h -- what the engine offers the rest of the library beyond the
 * public headers: the decision trace written straight into a jr_buf, so
 * the agent can log it inside a larger JSON record without a copy.
 */
#ifndef JR_MEM_H
#define JR_MEM_H

#include "base/buf.h"
#include "jitrl/policy.h"

/* Append the trace of d as one JSON object (the format of
 * jitrl_decision_json) to b.  On failure (JITRL_ETOOBIG, JITRL_ENOMEM) b is
 * unchanged. */
int mem_decision_json(const jitrl_decision *d, jr_buf *b);

#endif
