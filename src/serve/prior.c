/*
 * prior.c -- prior logits from the model for decisions sent without
 * logits (`jitrl serve --llm URL --model M`): the same one-call
 * label-logprob prior as `jitrl play` (jitrl_llm_prior), with the
 * request's task, state fields and observation as the prompt's inputs.
 *
 * Shaped so: a jitrl_llm is used by one thread at a time, so the server
 * keeps a small pool of them (one per worker thread), each with its own
 * connection to the endpoint; a request borrows one and gives it back.
 * A call that cannot be used falls back to the uniform prior inside
 * jitrl_llm_prior; only the hard errors (bad key, unknown model) reach the
 * client, as 502.
 */
#include "serve/serve_int.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

struct srv_llm {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    jitrl_llm **idle;
    size_t n_idle, n;
    jitrl_llm **all;
};

void srv_llm_close(srv_llm *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) jitrl_llm_close(l->all[i]);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    jr_free(l->idle);
    jr_free(l->all);
    jr_free(l);
}

int srv_llm_open(const jitrl_serve_options *o, unsigned handles, srv_llm **out, char *err, size_t errlen)
{
    *out = NULL;
    srv_llm *l = jr_calloc(1, sizeof *l);
    if (!l) goto oom;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->all = jr_calloc(handles, sizeof *l->all);
    l->idle = jr_calloc(handles, sizeof *l->idle);
    if (!l->all || !l->idle) goto oom;
    jitrl_llm_config c;
    jitrl_llm_config_init(&c);
    c.base_url = o->llm_url;
    c.model = o->llm_model;
    c.api_key = o->llm_key;
    c.timeout_ms = 20000;   /* a decision waits on it: less patient than a batch run */
    c.max_retries = 2;
    c.max_failed_calls = 0; /* a server keeps answering (uniform) while the model is away */
    for (unsigned i = 0; i < handles; i++) {
        c.seed = i + 1;
        int rc = jitrl_llm_open(&c, &l->all[i], err, errlen);
        if (rc) {
            srv_llm_close(l);
            return rc;
        }
        l->n++;
        l->idle[l->n_idle++] = l->all[i];
    }
    *out = l;
    return JITRL_OK;
oom:
    srv_llm_close(l);
    snprintf(err, errlen, "out of memory");
    return JITRL_ENOMEM;
}

int srv_llm_prior(srv_llm *l, srv_metrics *m, const char *task, const char *observation, const jitrl_state *st,
                  const char *const *cand, size_t n, double *logits, char *err, size_t errlen)
{
    jitrl_llm_field f[64];
    size_t nf = st->n_fields < 64 ? st->n_fields : 64;
    for (size_t i = 0; i < nf; i++) f[i] = (jitrl_llm_field){st->fields[i].name, st->fields[i].text};
    jitrl_llm_context ctx = {0};
    ctx.task = task;
    ctx.fields = f;
    ctx.n_fields = nf;
    ctx.observation = observation;
    pthread_mutex_lock(&l->mu);
    while (!l->n_idle) pthread_cond_wait(&l->cv, &l->mu);   /* handles == worker threads: a short wait */
    jitrl_llm *h = l->idle[--l->n_idle];
    pthread_mutex_unlock(&l->mu);
    jitrl_llm_call info;
    memset(&info, 0, sizeof info);
    int rc = jitrl_llm_prior(h, &ctx, cand, n, NULL, logits, &info);
    if (rc) snprintf(err, errlen, "the model: %s", jitrl_llm_errmsg(h));
    pthread_mutex_lock(&l->mu);
    l->idle[l->n_idle++] = h;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    if (n > 1) atomic_fetch_add(&m->model_calls, 1);
    if (info.fell_back) atomic_fetch_add(&m->model_fallbacks, 1);
    if (rc) atomic_fetch_add(&m->model_errors, 1);
    if (info.prompt_tokens > 0) atomic_fetch_add(&m->prompt_tokens, (unsigned long long)info.prompt_tokens);
    if (info.completion_tokens > 0)
        atomic_fetch_add(&m->completion_tokens, (unsigned long long)info.completion_tokens);
    return rc;
}
