/*
 * jitrl.h -- the public API of libjitrl, in one include.
 *
 * libjitrl makes LLM agents learn on the job without gradient updates
 * (Just-In-Time Reinforcement Learning, Li et al. 2026): a memory of
 * (state, action, return) triplets, retrieval of similar past states,
 * advantage estimates, and the KL-optimal logit update z' = z + beta*A.
 * It also carries its own Z-machine and a text-game environment on top of
 * it, and a client for OpenAI-compatible model endpoints.
 *
 * Conventions for every module header included here:
 *  - handles are opaque, made by jitrl_X_open/_create and freed by
 *    jitrl_X_close/_destroy; closing NULL is a no-op;
 *  - fallible calls return an enum jitrl_rc (jitrl/error.h) and leave a
 *    detail message on the handle;
 *  - a returned `char *` is the caller's (free with free()); a returned
 *    `const char *` is borrowed until the next call on that handle.
 */
#ifndef JITRL_H
#define JITRL_H

#include "jitrl/error.h"
#include "jitrl/zvm.h"
#include "jitrl/env.h"
#include "jitrl/zgame.h"
#include "jitrl/web.h"
#include "jitrl/memory.h"
#include "jitrl/policy.h"
#include "jitrl/json.h"
#include "jitrl/llm.h"
#include "jitrl/summary.h"
#include "jitrl/report.h"
#include "jitrl/agent.h"
#include "jitrl/serve.h"

#endif
