/*
 * trace.c -- the decision trace as JSON: everything a caller needs to see
 * why an action was chosen (neighbours, V, Q per action and where it came
 * from, A, A~, prior and final probabilities).  Numbers use %.10g: traces
 * are for reading and plotting, not for exact round trips.
 */
#include "engine/mem.h"

#include <math.h>

#include "base/alloc.h"

static const char *const qsource_names[] = {"seen", "optimistic", "unseen", "none"};
static const char *const mode_names[] = {"sample", "argmax", "legacy"};

static int num(jr_buf *b, const char *key, double x)
{
    if (!isfinite(x)) return jr_buf_printf(b, "\"%s\":null", key);
    return jr_buf_printf(b, "\"%s\":%.10g", key, x);
}

int mem_decision_json(const jitrl_decision *d, jr_buf *b)
{
    if (!d || !b) return JITRL_EINVAL;
    size_t mark = b->len;
    int rc = jr_buf_putc(b, '{');
    if (!rc) rc = num(b, "v", d->v);
    if (!rc) rc = jr_buf_printf(b, ",\"n_neighbours\":%zu,\"neighbours\":[", d->n_neighbours);
    for (size_t i = 0; !rc && i < d->n_listed; i++) {
        const jitrl_neighbour *nb = &d->neighbours[i];
        rc = jr_buf_printf(b, "%s{\"id\":%lld,\"episode\":%lld,", i ? "," : "", (long long)nb->step_id,
                           (long long)nb->episode_id);
        if (!rc) rc = num(b, "sim", nb->sim);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "ret", nb->ret);
        if (!rc) rc = jr_buf_puts(b, ",\"action\":");
        if (!rc) rc = jr_buf_json_str(b, nb->action);
        if (!rc) rc = jr_buf_putc(b, '}');
    }
    if (!rc) rc = jr_buf_puts(b, "],\"actions\":[");
    for (size_t i = 0; !rc && i < d->n_actions; i++) {
        rc = jr_buf_puts(b, i ? ",{\"action\":" : "{\"action\":");
        if (!rc) rc = jr_buf_json_str(b, d->actions[i]);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "prior_logit", d->prior_logits[i]);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "prior_prob", d->prior_probs[i]);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "q", d->q[i]);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "adv", d->adv[i]);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "adv_norm", d->adv_norm[i]);
        if (!rc) rc = jr_buf_putc(b, ',');
        if (!rc) rc = num(b, "prob", d->probs[i]);
        int qs = d->qsource[i];
        if (!rc)
            rc = jr_buf_printf(b, ",\"q_source\":\"%s\",\"candidate\":%s}",
                               qs >= 0 && qs <= 3 ? qsource_names[qs] : "?", i < d->n_candidates ? "true" : "false");
    }
    if (!rc) rc = jr_buf_printf(b, "],\"chosen\":%zu,\"chosen_action\":", d->chosen);
    if (!rc) rc = jr_buf_json_str(b, d->chosen < d->n_actions ? d->actions[d->chosen] : "");
    if (!rc) rc = jr_buf_putc(b, ',');
    if (!rc) rc = num(b, "beta", d->beta);
    if (!rc) rc = jr_buf_putc(b, ',');
    if (!rc) rc = num(b, "kl", d->kl);
    if (!rc)
        rc = jr_buf_printf(b, ",\"mode\":\"%s\",\"scored\":%zu}",
                           d->mode >= 0 && d->mode <= 2 ? mode_names[d->mode] : "?", d->candidates_scored);
    if (rc) {
        b->len = mark;
        if (b->data) b->data[mark] = '\0';
    }
    return rc;
}

int jitrl_decision_json(const jitrl_decision *d, char **json)
{
    if (!json) return JITRL_EINVAL;
    *json = NULL;
    jr_buf b;
    jr_buf_init(&b, (size_t)1 << 30);
    int rc = mem_decision_json(d, &b);
    if (!rc) {
        *json = jr_buf_steal(&b);
        if (!*json) rc = JITRL_ENOMEM;
    }
    jr_buf_free(&b);
    return rc;
}
