/*
 * memory_io.c -- the memory as a whole: stats, JSON Lines export/import,
 * and pruning.
 *
 * Export writes one episode per line with every number printed %.17g (so
 * it parses back to the same double) and the state object exactly as
 * stored; import rebuilds the stored state with the same writer, keeps the
 * file's returns and, when free, its episode ids.  Hence export -> import
 * into an empty memory -> export is byte-identical.  Import is untrusted
 * input: every field is type-checked, lines are bounded, and a bad line
 * stops the import with its line number.
 */
#include "memory/memory_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_LINE ((size_t)256 << 20)

int jitrl_memory_stats_get(jitrl_memory *mem, jitrl_memory_stats *st)
{
    if (!mem || !st) return JITRL_EINVAL;
    memset(st, 0, sizeof *st);
    sqlite3_stmt *s = NULL;
    static const char sql[] =
        "SELECT count(*), coalesce(avg(score),0), coalesce(max(score),0), coalesce(min(time),0),"
        " coalesce(max(time),0), (SELECT count(*) FROM steps) FROM episodes";
    if (sqlite3_prepare_v2(mem->db, sql, -1, &s, NULL) != SQLITE_OK) return mem_db_err(mem, "stats");
    int rc = JITRL_OK;
    if (sqlite3_step(s) == SQLITE_ROW) {
        st->episodes = (size_t)sqlite3_column_int64(s, 0);
        st->mean_score = sqlite3_column_double(s, 1);
        st->best_score = sqlite3_column_double(s, 2);
        st->first_time = sqlite3_column_int64(s, 3);
        st->last_time = sqlite3_column_int64(s, 4);
        st->steps = (size_t)sqlite3_column_int64(s, 5);
    } else {
        rc = mem_db_err(mem, "stats");
    }
    sqlite3_finalize(s);
    int64_t ver = 0;
    if (!rc) rc = mem_query_int(mem, "PRAGMA user_version", 0, &ver);
    st->schema_version = (int)ver;
    for (size_t k = 0; k < mem->ix.n_keys; k++) st->distinct_states += mem->ix.keys[k].n_steps > 0;
    st->distinct_actions = mem->ix.n_act;
    st->index_bytes = mem_index_bytes(&mem->ix);
    return rc;
}

/* ---------- export ---------- */

static int put_num(jr_buf *b, const char *key, double x) { return jr_buf_printf(b, "\"%s\":%.17g", key, x); }

int jitrl_memory_export(jitrl_memory *mem, void *fp)
{
    if (!mem || !fp) return JITRL_EINVAL;
    FILE *f = fp;
    sqlite3_stmt *eps = NULL, *sts = NULL;
    jr_buf b;
    jr_buf_init(&b, MAX_LINE);
    int rc = JITRL_OK;
    if (sqlite3_prepare_v2(mem->db, "SELECT id, task, score, time, gamma FROM episodes ORDER BY id", -1, &eps,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(mem->db, "SELECT state, action, reward, ret FROM steps WHERE episode = ?1 ORDER BY t",
                           -1, &sts, NULL) != SQLITE_OK) {
        rc = mem_db_err(mem, "export");
        goto out;
    }
    /* One read transaction so a concurrent writer cannot tear the export. */
    if ((rc = mem_exec(mem, "BEGIN"))) goto out;
    int s;
    while (!rc && (s = sqlite3_step(eps)) == SQLITE_ROW) {
        jr_buf_reset(&b);
        int64_t id = sqlite3_column_int64(eps, 0);
        const char *task = (const char *)sqlite3_column_text(eps, 1);
        rc = jr_buf_printf(&b, "{\"id\":%lld,\"task\":", (long long)id);
        if (!rc) rc = jr_buf_json_str(&b, task ? task : "");
        if (!rc) rc = jr_buf_putc(&b, ',');
        if (!rc) rc = put_num(&b, "score", sqlite3_column_double(eps, 2));
        if (!rc) rc = jr_buf_printf(&b, ",\"time\":%lld,", (long long)sqlite3_column_int64(eps, 3));
        if (!rc) rc = put_num(&b, "gamma", sqlite3_column_double(eps, 4));
        if (!rc) rc = jr_buf_puts(&b, ",\"steps\":[");
        sqlite3_bind_int64(sts, 1, id);
        int first = 1, t;
        while (!rc && (t = sqlite3_step(sts)) == SQLITE_ROW) {
            const char *state = (const char *)sqlite3_column_text(sts, 0);
            const char *action = (const char *)sqlite3_column_text(sts, 1);
            rc = jr_buf_puts(&b, first ? "{\"state\":" : ",{\"state\":");
            first = 0;
            if (!rc) rc = jr_buf_puts(&b, state ? state : "{}");
            if (!rc) rc = jr_buf_puts(&b, ",\"action\":");
            if (!rc) rc = jr_buf_json_str(&b, action ? action : "");
            if (!rc) rc = jr_buf_putc(&b, ',');
            if (!rc) rc = put_num(&b, "reward", sqlite3_column_double(sts, 2));
            if (!rc) rc = jr_buf_putc(&b, ',');
            if (!rc) rc = put_num(&b, "return", sqlite3_column_double(sts, 3));
            if (!rc) rc = jr_buf_putc(&b, '}');
        }
        if (!rc && t != SQLITE_DONE) rc = mem_db_err(mem, "export steps");
        sqlite3_reset(sts);
        if (!rc) rc = jr_buf_puts(&b, "]}\n");
        if (!rc && fwrite(b.data, 1, b.len, f) != b.len) {
            mem_set_err(mem, "export: write failed");
            rc = JITRL_EIO;
        }
        if (rc == JITRL_ETOOBIG || rc == JITRL_ENOMEM) mem_set_err(mem, "export: episode %lld too large", (long long)id);
    }
    if (!rc && s != SQLITE_DONE) rc = mem_db_err(mem, "export");
    sqlite3_exec(mem->db, "COMMIT", NULL, NULL, NULL);
    if (!rc && fflush(f) != 0) {
        mem_set_err(mem, "export: write failed");
        rc = JITRL_EIO;
    }
out:
    sqlite3_finalize(eps);
    sqlite3_finalize(sts);
    jr_buf_free(&b);
    return rc;
}

/* ---------- import ---------- */

/* Read one line (without its newline) into b; 0 at EOF with nothing read. */
static int read_line(FILE *f, jr_buf *b, int *got)
{
    jr_buf_reset(b);
    *got = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        *got = 1;
        if (c == '\n') return JITRL_OK;
        int rc = jr_buf_putc(b, (char)c);
        if (rc) return rc;
    }
    return ferror(f) ? JITRL_EIO : JITRL_OK;
}

static int num_of(const json_t *o, const char *k, double *x)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v)) return 0;
    *x = json_number_value(v);
    return isfinite(*x);
}

static int import_line(jitrl_memory *mem, const char *line, size_t lineno)
{
    json_error_t jerr;
    json_t *js = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    jitrl_step *steps = NULL;
    jitrl_field *fields = NULL;
    double *ret = NULL;
    int rc = JITRL_EPARSE;
    if (!js) {
        mem_set_err(mem, "line %zu: %s", lineno, jerr.text);
        goto out;
    }
    json_t *jsteps = json_object_get(js, "steps"), *jid = json_object_get(js, "id"),
           *jtime = json_object_get(js, "time"), *jtask = json_object_get(js, "task");
    jitrl_episode_info info = {0};
    double gamma;
    if (!json_is_object(js) || !json_is_array(jsteps) || !json_is_string(jtask) || !json_is_integer(jtime) ||
        (jid && !json_is_integer(jid)) || !num_of(js, "score", &info.score) || !num_of(js, "gamma", &gamma) ||
        !(gamma >= 0 && gamma <= 1)) {
        mem_set_err(mem, "line %zu: not an episode (needs task, score, time, gamma, steps)", lineno);
        goto out;
    }
    info.task = json_string_value(jtask);
    info.time = json_integer_value(jtime);
    size_t n = json_array_size(jsteps), nfields = 0;
    for (size_t t = 0; t < n; t++) nfields += json_object_size(json_object_get(json_array_get(jsteps, t), "state"));
    steps = jr_calloc(n ? n : 1, sizeof *steps);
    fields = jr_calloc(nfields ? nfields : 1, sizeof *fields);
    ret = jr_calloc(n ? n : 1, sizeof *ret);
    if (!steps || !fields || !ret) {
        rc = JITRL_ENOMEM;
        mem_set_err(mem, "line %zu: out of memory", lineno);
        goto out;
    }
    size_t fi = 0;
    for (size_t t = 0; t < n; t++) {
        json_t *s = json_array_get(jsteps, t), *st = json_object_get(s, "state"), *a = json_object_get(s, "action");
        if (!json_is_object(st) || !json_is_string(a) || !num_of(s, "reward", &steps[t].reward) ||
            !num_of(s, "return", &ret[t])) {
            mem_set_err(mem, "line %zu: step %zu needs state, action, reward, return", lineno, t);
            goto out;
        }
        steps[t].state.fields = fields + fi;
        const char *k;
        json_t *v;
        json_object_foreach(st, k, v) {
            if (!json_is_string(v)) {
                mem_set_err(mem, "line %zu: step %zu: field \"%s\" is not a string", lineno, t, k);
                goto out;
            }
            fields[fi++] = (jitrl_field){k, json_string_value(v)};
            steps[t].state.n_fields++;
        }
        steps[t].action = json_string_value(a);
    }
    /* An id that is not positive, or is taken, gets a new one. */
    int64_t want = 0, id = jid ? json_integer_value(jid) : 0;
    if (id > 0) {
        int64_t used = 0;
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM episodes WHERE id = %lld", (long long)id);
        rc = mem_query_int(mem, sql, 0, &used);
        if (rc) goto out;
        if (!used) want = id;
    }
    rc = mem_insert_episode(mem, &info, steps, n, gamma, ret, want, NULL);
out:
    json_decref(js);
    jr_free(steps);
    jr_free(fields);
    jr_free(ret);
    return rc;
}

int jitrl_memory_import(jitrl_memory *mem, void *fp, size_t *n_imported)
{
    if (n_imported) *n_imported = 0;
    if (!mem || !fp) return JITRL_EINVAL;
    jr_buf line;
    jr_buf_init(&line, MAX_LINE);
    int rc = JITRL_OK, got = 1;
    for (size_t lineno = 1; !rc; lineno++) {
        rc = read_line(fp, &line, &got);
        if (rc) {
            mem_set_err(mem, "line %zu: %s", lineno,
                        rc == JITRL_EIO ? "read error" : rc == JITRL_ETOOBIG ? "line too long" : "out of memory");
            break;
        }
        if (!got) break;
        if (line.len == 0) continue;
        rc = import_line(mem, jr_buf_str(&line), lineno);
        if (!rc && n_imported) (*n_imported)++;
    }
    jr_buf_free(&line);
    return rc;
}

/* ---------- prune ---------- */

int jitrl_memory_prune(jitrl_memory *mem, int64_t max_age_s, size_t keep_count, int64_t now, size_t *n_removed)
{
    if (n_removed) *n_removed = 0;
    if (!mem) return JITRL_EINVAL;
    if (mem->read_only) {
        mem_set_err(mem, "the memory is open read-only");
        return JITRL_ESTATE;
    }
    int64_t before = 0, after = 0;
    int rc = mem_exec(mem, "BEGIN IMMEDIATE");
    if (rc) return rc;
    char sql[256];
    rc = mem_query_int(mem, "SELECT count(*) FROM episodes", 0, &before);
    if (!rc && max_age_s > 0) {
        if (!now) now = (int64_t)time(NULL);
        snprintf(sql, sizeof sql, "DELETE FROM episodes WHERE time < %lld", (long long)(now - max_age_s));
        rc = mem_exec(mem, sql);
    }
    if (!rc && keep_count > 0) {
        snprintf(sql, sizeof sql,
                 "DELETE FROM episodes WHERE id NOT IN (SELECT id FROM episodes"
                 " ORDER BY score DESC, time DESC, id DESC LIMIT %zu)", keep_count);
        rc = mem_exec(mem, sql);
    }
    if (!rc) rc = mem_exec(mem, "DELETE FROM steps WHERE episode NOT IN (SELECT id FROM episodes)");
    if (!rc) rc = mem_query_int(mem, "SELECT count(*) FROM episodes", 0, &after);
    if (!rc) rc = mem_exec(mem, "COMMIT");
    if (rc) {
        sqlite3_exec(mem->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (n_removed) *n_removed = (size_t)(before - after);
    if (before != after && (rc = mem_rebuild(mem)))
        mem_set_err(mem, "prune: rebuilding the index failed (%s); reopen the memory", jitrl_strerror(rc));
    return rc;
}
