/*
 * prompt.c -- the texts we send the model: a decision prompt (token and
 * verbal modes), a proposal prompt and the evaluator's prompt.
 *
 * Why it is shaped so: the prompt is paid for at every step, so it is
 * built from the structured state the environment already has (for a text
 * game: location, inventory, objects, score), its last output cut to a
 * cap, and a
 * short tail of recent actions -- never the whole transcript.  Whitespace
 * runs collapse to one space (game text is full of layout that costs
 * tokens and says nothing).  On a zork1 state with 26 candidates it comes
 * to roughly 400-600 tokens; tests/test_llm_prompt.c prints the figure.
 * The answer format is stated last, right before the model answers,
 * which is where small models follow it best.  The wording that depends
 * on the world (the system message, how actions look) comes from the
 * environment through the context (jitrl_env_info); what is left here is
 * the answer format.
 */
#include "llm/llm_int.h"

#include <string.h>

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int llm_put_compact(jr_buf *b, const char *s, size_t max)
{
    if (!s) return JITRL_OK;
    size_t start = b->len, wrote = 0;
    int rc = JITRL_OK, pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if (is_space(*p) || *p < 0x20) {
            pending_space = wrote > 0;
            continue;
        }
        /* Room for this character's whole UTF-8 sequence? */
        size_t seq = 1;
        if (*p >= 0xC0) {
            while (p[seq] && (p[seq] & 0xC0) == 0x80 && seq < 4) seq++;
        }
        if (wrote + pending_space + seq > max) {
            rc = jr_buf_puts(b, "...");
            break;
        }
        if (pending_space) {
            rc = jr_buf_putc(b, ' ');
            wrote++;
            pending_space = 0;
        }
        if (!rc) rc = jr_buf_append(b, p, seq);
        wrote += seq;
        p += seq - 1;
    }
    if (rc) {
        b->len = start;
        if (b->data) b->data[start] = '\0';
    }
    return rc;
}

/* The state block shared by the decision and proposal prompts. */
static int put_state(const jitrl_llm *llm, const jitrl_llm_context *ctx, jr_buf *u)
{
    int rc = JITRL_OK;
    size_t cap = llm->cfg.field_chars ? llm->cfg.field_chars : 600;
    if (ctx && ctx->task && *ctx->task) {
        rc = jr_buf_puts(u, "Task: ");
        if (!rc) rc = llm_put_compact(u, ctx->task, cap);
        if (!rc) rc = jr_buf_putc(u, '\n');
    }
    for (size_t i = 0; ctx && !rc && i < ctx->n_fields; i++) {
        const jitrl_llm_field *f = &ctx->fields[i];
        if (!f->name || !f->text || !*f->text) continue;
        rc = llm_put_compact(u, f->name, 40);
        if (!rc) rc = jr_buf_puts(u, ": ");
        if (!rc) rc = llm_put_compact(u, f->text, cap);
        if (!rc) rc = jr_buf_putc(u, '\n');
    }
    if (!rc && ctx && ctx->observation && *ctx->observation) {
        rc = jr_buf_puts(u, "Last output: ");
        if (!rc) rc = llm_put_compact(u, ctx->observation, cap);
        if (!rc) rc = jr_buf_putc(u, '\n');
    }
    if (!rc && ctx && ctx->n_history && ctx->history) {
        size_t keep = llm->cfg.history_len;
        size_t from = ctx->n_history > keep ? ctx->n_history - keep : 0;
        if (from < ctx->n_history) rc = jr_buf_puts(u, "Recent actions: ");
        for (size_t i = from; !rc && i < ctx->n_history; i++) {
            if (i > from) rc = jr_buf_puts(u, "; ");
            if (!rc) rc = llm_put_compact(u, ctx->history[i] ? ctx->history[i] : "", 80);
        }
        if (!rc && from < ctx->n_history) rc = jr_buf_putc(u, '\n');
    }
    return rc;
}

static const char *const SYS_GENERIC =
    "You are an expert agent. You pick the next action that makes progress on the task "
    "and earns reward, avoiding repetition.";

static const char *system_text(const jitrl_llm_context *ctx)
{
    return ctx && ctx->system && *ctx->system ? ctx->system : SYS_GENERIC;
}

int llm_prompt_choice(const jitrl_llm *llm, const jitrl_llm_context *ctx,
                      const char *const *shown, size_t m, int verbal, jr_buf *sys, jr_buf *user)
{
    int rc = jr_buf_puts(sys, system_text(ctx));
    if (!rc) rc = put_state(llm, ctx, user);
    if (!rc) rc = jr_buf_puts(user, "Actions:\n");
    for (size_t i = 0; !rc && i < m; i++) {
        rc = jr_buf_printf(user, "%c. ", 'A' + (int)i);
        if (!rc) rc = llm_put_compact(user, shown[i] ? shown[i] : "", 80);
        if (!rc) rc = jr_buf_putc(user, '\n');
    }
    char last = (char)('A' + (int)m - 1);
    if (rc) return rc;
    if (verbal)
        rc = jr_buf_printf(user,
                           "For each action give your confidence (0-100) that it is the best "
                           "next command. Reply with only a JSON object mapping each letter to "
                           "a number, e.g. {\"A\": 70, \"B\": 5}.");
    else
        rc = jr_buf_printf(user, "Reply with the letter (A-%c) of the best action only.", last);
    return rc;
}

int llm_prompt_propose(const jitrl_llm *llm, const jitrl_llm_context *ctx, int k, jr_buf *sys,
                       jr_buf *user)
{
    int rc = jr_buf_puts(sys, system_text(ctx));
    if (!rc) rc = put_state(llm, ctx, user);
    if (!rc) rc = jr_buf_printf(user, "Propose %d different commands to try next", k);
    if (!rc && ctx && ctx->action_hint && *ctx->action_hint) {
        rc = jr_buf_puts(user, ", ");
        if (!rc) rc = llm_put_compact(user, ctx->action_hint, 200);
    }
    if (!rc) rc = jr_buf_printf(user, ". Reply with only a JSON array of %d strings.", k);
    return rc;
}

int llm_prompt_evaluate(const jitrl_llm *llm, const char *task, const char *const *observations,
                        const char *const *actions, size_t n, double lo, double hi, jr_buf *sys,
                        jr_buf *user)
{
    /* Per-step observations are cut harder than in decision prompts: one
     * call carries the whole episode (60 steps on the text games). */
    size_t cap = llm->cfg.field_chars ? llm->cfg.field_chars / 2 : 300;
    if (cap < 60) cap = 60;
    int rc = jr_buf_printf(sys,
                           "You review an episode of an agent's play and score each step's "
                           "action from %g (harmful or useless) to %g (clear progress).",
                           lo, hi);
    if (!rc && task && *task) {
        rc = jr_buf_puts(user, "Task: ");
        if (!rc) rc = llm_put_compact(user, task, 600);
        if (!rc) rc = jr_buf_putc(user, '\n');
    }
    for (size_t i = 0; !rc && i < n; i++) {
        rc = jr_buf_printf(user, "Step %zu saw: ", i + 1);
        if (!rc) rc = llm_put_compact(user, observations && observations[i] ? observations[i] : "", cap);
        if (!rc) rc = jr_buf_puts(user, "\n  did: ");
        if (!rc) rc = llm_put_compact(user, actions && actions[i] ? actions[i] : "", 80);
        if (!rc) rc = jr_buf_putc(user, '\n');
    }
    if (!rc)
        rc = jr_buf_printf(user,
                           "Score every step. Reply with only a JSON object {\"rewards\": [...]} "
                           "holding exactly %zu numbers between %g and %g, one per step in order.",
                           n, lo, hi);
    return rc;
}
