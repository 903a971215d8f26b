/*
 * store_conf.c -- the store conformance checks (store_conf.h), shared by
 * the SQLite and PostgreSQL test programs.
 */
#include "store_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/memory_int.h"
#include "testutil.h"

/* One episode of n steps whose actions are unique to tag. */
int sc_add_tagged(jitrl_memory *mem, const char *tag, int n)
{
    jitrl_step steps[8];
    jitrl_field f[8][2];
    char cur[8][64], act[8][64];
    for (int t = 0; t < n && t < 8; t++) {
        snprintf(cur[t], sizeof cur[t], "room %d with a lamp", t);
        snprintf(act[t], sizeof act[t], "act %s %d", tag, t);
        f[t][0] = (jitrl_field){"current", cur[t]};
        f[t][1] = (jitrl_field){"history", "look"};
        steps[t] = (jitrl_step){{f[t], 2}, act[t], 1.0};
    }
    jitrl_episode_info info = {tag, 1.0, 1000};
    return jitrl_memory_add_episode(mem, &info, steps, (size_t)n, 0.9, NULL);
}

int sc_import_text(jitrl_memory *mem, const char *dir, const char *text, size_t *n)
{
    const char *p = tu_path(dir, "in.jsonl");
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
    return jitrl_memory_import(mem, p, n);
}

/* Commit order, not id order: a second handle's refresh sees every
 * episode exactly once. */
void sc_commit_order(const sc_backend *b)
{
    const char *dir = b->dir;
    char ex[4096], err[512];
    snprintf(ex, sizeof ex, "%s", tu_path(dir, "order.jsonl"));
    jitrl_memory *w = NULL, *r = NULL, *fresh = NULL;
    CHECK_INT(b->open(b->ctx, "sc-order", NULL, &w, err, sizeof err), JITRL_OK);
    CHECK_INT(b->open(b->ctx, "sc-order", NULL, &r, err, sizeof err), JITRL_OK);
    if (!w || !r) goto out;
    size_t n = 0;
    CHECK_INT(sc_import_text(w, dir,
                          "{\"id\":100,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":"
                          "{\"current\":\"a\"},\"action\":\"x100\",\"reward\":1,\"return\":1}]}\n",
                          &n),
              JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 1);
    /* a lower id after a higher one, then INT64_MAX, then a plain add
     * (which the store must give some id below INT64_MAX) */
    CHECK_INT(sc_import_text(w, dir,
                          "{\"id\":50,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,\"steps\":[{\"state\":"
                          "{\"current\":\"b\"},\"action\":\"x50\",\"reward\":1,\"return\":1}]}\n"
                          "{\"id\":9223372036854775807,\"task\":\"t\",\"score\":1,\"time\":5,\"gamma\":0.5,"
                          "\"steps\":[{\"state\":{\"current\":\"c\"},\"action\":\"xmax\",\"reward\":1,\"return\":1}]}\n",
                          &n),
              JITRL_OK);
    CHECK_INT(n, 2);
    CHECK_INT(sc_add_tagged(w, "after-max", 2), JITRL_OK);
    CHECK_INT(sc_add_tagged(w, "after-max2", 1), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 6);
    CHECK_INT(r->ix.n_act, 6);
    /* r writes too, between w's writes: each handle indexes every
     * episode once (its own at commit, the other's at refresh) */
    CHECK_INT(sc_add_tagged(r, "from-r", 1), JITRL_OK);
    CHECK_INT(sc_add_tagged(w, "from-w", 1), JITRL_OK);
    CHECK_INT(sc_add_tagged(r, "from-r2", 1), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(w), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 9);
    CHECK_INT(w->ix.n_steps, 9);
    CHECK_INT(b->open(b->ctx, "sc-order", NULL, &fresh, err, sizeof err), JITRL_OK);
    if (fresh) CHECK_INT(fresh->ix.n_steps, 9);
    /* export: commit order */
    CHECK_INT(jitrl_memory_export(r, ex, 0, NULL), JITRL_OK);
    size_t nl = 0;
    char **lines = tu_read_lines(ex, &nl);
    CHECK_INT(nl, 8);
    if (lines && nl == 8) {
        CHECK(!strncmp(lines[0], "{\"id\":100,", 10));
        CHECK(!strncmp(lines[1], "{\"id\":50,", 9));
        CHECK(!strncmp(lines[2], "{\"id\":9223372036854775807,", 26));
        CHECK(strstr(lines[3], "after-max") && strstr(lines[4], "after-max2"));
        CHECK(strstr(lines[5], "from-r") && strstr(lines[6], "from-w") && strstr(lines[7], "from-r2"));
    }
    tu_free_lines(lines, nl);
    /* a prune through w: r rebuilds at its refresh */
    size_t removed = 0;
    CHECK_INT(jitrl_memory_prune(w, 100, 0, 1050, &removed), JITRL_OK);   /* the three imported at time 5 */
    CHECK_INT(removed, 3);
    CHECK_INT(w->ix.n_steps, 6);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 6);
    CHECK(mem_index_action(&r->ix, "x50") == MEM_NONE || r->ix.keys == NULL ||
          r->ix.n_act == 5);   /* a rebuilt index no longer knows the pruned actions */
    CHECK_INT(sc_add_tagged(w, "after-prune", 2), JITRL_OK);
    CHECK_INT(jitrl_memory_refresh(r), JITRL_OK);
    CHECK_INT(r->ix.n_steps, 8);
out:
    jitrl_memory_close(fresh);
    jitrl_memory_close(r);
    jitrl_memory_close(w);
}

void sc_spec(const sc_backend *b)
{
    char err[512];
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    jitrl_memory *m = NULL;
    CHECK_INT(b->open(b->ctx, "sc-spec", &o, &m, err, sizeof err), JITRL_OK);
    if (m) CHECK_INT(sc_add_tagged(m, "a", 3), JITRL_OK);
    jitrl_memory_close(m);
    m = NULL;
    o.fields[0] = (jitrl_field_spec){"current", 2, 1};
    o.n_fields = 1;
    CHECK_INT(b->open(b->ctx, "sc-spec", &o, &m, err, sizeof err), JITRL_EINVAL);
    CHECK(m == NULL);
    CHECK_MSG(strstr(err, "was created with fields current:4:0.7,history:1:0.3; opened with current:2:1") != NULL,
              "message: %s", err);
    o.n_fields = 0;
    CHECK_INT(b->open(b->ctx, "sc-spec", &o, &m, err, sizeof err), JITRL_OK);
    if (m) {
        CHECK_INT(m->n_spec, 2);
        CHECK_INT(m->ix.n_steps, 3);
    }
    jitrl_memory_close(m);
}

void sc_roundtrip(const sc_backend *b)
{
    char err[512], e1[4096], e2[4096];
    snprintf(e1, sizeof e1, "%s", tu_path(b->dir, "rt1.jsonl"));
    snprintf(e2, sizeof e2, "%s", tu_path(b->dir, "rt2.jsonl"));
    jitrl_memory *a = NULL, *c = NULL;
    CHECK_INT(b->open(b->ctx, "sc-rt-a", NULL, &a, err, sizeof err), JITRL_OK);
    CHECK_INT(b->open(b->ctx, "sc-rt-b", NULL, &c, err, sizeof err), JITRL_OK);
    if (!a || !c) goto out;
    for (int e = 0; e < 5; e++) CHECK_INT(sc_add_tagged(a, e % 2 ? "odd" : "even", e + 1), JITRL_OK);
    jitrl_memory_stats st;
    CHECK_INT(jitrl_memory_stats_get(a, &st), JITRL_OK);
    CHECK_INT(st.episodes, 5);
    CHECK_INT(st.steps, 15);
    CHECK_INT(jitrl_memory_check(a), JITRL_OK);
    CHECK_INT(jitrl_memory_export(a, e1, 0, NULL), JITRL_OK);
    size_t n = 0;
    CHECK_INT(jitrl_memory_import(c, e1, &n), JITRL_OK);
    CHECK_INT(n, 5);
    CHECK_INT(c->ix.n_steps, 15);
    CHECK_INT(jitrl_memory_export(c, e2, 0, NULL), JITRL_OK);
    size_t l1 = 0, l2 = 0;
    unsigned char *x = tu_read_file(e1, &l1), *y = tu_read_file(e2, &l2);
    CHECK_MSG(x && y && l1 == l2 && l1 > 0 && !memcmp(x, y, l1), "export -> import -> export differs");
    free(x);
    free(y);
    double *scores = NULL;
    CHECK_INT(jitrl_memory_scores(c, "odd", &scores, &n), JITRL_OK);
    CHECK_INT(n, 2);
    jitrl_free(scores);
out:
    jitrl_memory_close(a);
    jitrl_memory_close(c);
}
