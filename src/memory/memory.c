/*
 * memory.c -- the SQLite store behind jitrl_memory: open/create with a
 * versioned schema, one transaction per episode, and the RAM index kept in
 * step with what is committed.
 *
 * Why shaped so: SQLite is the source of truth and the only thing shared
 * between processes (WAL: many readers, one writer; a busy timeout instead
 * of "database is locked").  The index is derived data, rebuilt at open and
 * extended only after a commit succeeds, so a crash can never leave the
 * two disagreeing.  Schema (user_version 1, application_id 'JiRL'):
 *
 *   episodes(id, task, score, time, gamma, n_steps)
 *   steps(id, episode, t, state, action, reward, ret)
 *
 * where state is a JSON object of the state's text fields, in the caller's
 * field order.  Export, import and prune live in memory_io.c.
 */
#include "memory/memory_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define APP_ID 0x4a69524c   /* 'JiRL' */
#define SCHEMA_VERSION 1

static const char *const schema_sql =
    "CREATE TABLE episodes(id INTEGER PRIMARY KEY, task TEXT NOT NULL, score REAL NOT NULL,"
    " time INTEGER NOT NULL, gamma REAL NOT NULL, n_steps INTEGER NOT NULL);"
    "CREATE TABLE steps(id INTEGER PRIMARY KEY, episode INTEGER NOT NULL, t INTEGER NOT NULL,"
    " state TEXT NOT NULL, action TEXT NOT NULL, reward REAL NOT NULL, ret REAL NOT NULL);"
    "CREATE INDEX steps_episode ON steps(episode, t);";

void mem_set_err(jitrl_memory *mem, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mem->err, sizeof mem->err, fmt, ap);
    va_end(ap);
}

int mem_db_err(jitrl_memory *mem, const char *what)
{
    int code = sqlite3_errcode(mem->db) & 0xff;
    mem_set_err(mem, "%s: %s", what, sqlite3_errmsg(mem->db));
    if (code == SQLITE_NOMEM) return JITRL_ENOMEM;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return JITRL_ECORRUPT;
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_IOERR || code == SQLITE_FULL ||
        code == SQLITE_PERM)
        return JITRL_EIO;
    return JITRL_EDB;
}

mem_index *mem_memory_index(jitrl_memory *mem) { return mem->ix_ok ? &mem->ix : NULL; }

const char *jitrl_memory_errmsg(const jitrl_memory *mem) { return mem ? mem->err : "no memory handle"; }

void jitrl_memory_options_default(jitrl_memory_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->fields[0] = (jitrl_field_spec){"current", 4, 0.7};
    opt->fields[1] = (jitrl_field_spec){"history", 1, 0.3};
    opt->n_fields = 2;
    opt->create = 1;
}

void jitrl_returns(const double *rewards, size_t n, double gamma, double *ret)
{
    double g = 0;
    for (size_t i = n; i-- > 0;) {
        g = rewards[i] + gamma * g;
        ret[i] = g;
    }
}

int mem_exec(jitrl_memory *mem, const char *sql)
{
    if (sqlite3_exec(mem->db, sql, NULL, NULL, NULL) != SQLITE_OK) return mem_db_err(mem, sql);
    return JITRL_OK;
}

/* One integer from a one-row query (or dflt when no row). */
int mem_query_int(jitrl_memory *mem, const char *sql, int64_t dflt, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(mem->db, sql, -1, &st, NULL) != SQLITE_OK) return mem_db_err(mem, sql);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : dflt;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) rc = mem_db_err(mem, sql);
    else rc = JITRL_OK;
    sqlite3_finalize(st);
    return rc;
}

/* ---------- the RAM index from the rows ---------- */

/* Load the steps of episodes with id > after into the index. */
int mem_load(jitrl_memory *mem, int64_t after)
{
    static const char sql[] = "SELECT id, episode, state, action, ret FROM steps WHERE episode > ?1 ORDER BY id";
    sqlite3_stmt *st = NULL;
    int rc = JITRL_OK;
    jitrl_field fields[JITRL_MAX_FIELDS * 4];
    json_t *js = NULL;
    if (sqlite3_prepare_v2(mem->db, sql, -1, &st, NULL) != SQLITE_OK) return mem_db_err(mem, "load");
    sqlite3_bind_int64(st, 1, after);
    mem_index_begin(&mem->ix);
    /* Batches commit only between episodes, and max_episode follows what
     * is committed, so a load that fails part way leaves whole episodes
     * indexed and a later refresh picks up exactly the rest. */
    size_t batch = 0;
    int64_t last_ep = INT64_MIN, seen_max = mem->max_episode;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), ep = sqlite3_column_int64(st, 1);
        if (batch >= 4096 && ep != last_ep) {
            mem_index_commit(&mem->ix);
            mem->max_episode = seen_max;
            mem_index_begin(&mem->ix);
            batch = 0;
        }
        const char *state = (const char *)sqlite3_column_text(st, 2);
        const char *action = (const char *)sqlite3_column_text(st, 3);
        double ret = sqlite3_column_double(st, 4);
        json_error_t jerr;
        js = state ? json_loads(state, 0, &jerr) : NULL;
        if (!js || !json_is_object(js) || !action || !isfinite(ret)) {
            mem_set_err(mem, "step %lld: bad row (state is not a JSON object, or no action/return)", (long long)id);
            rc = JITRL_ECORRUPT;
            goto out;
        }
        size_t nf = 0;
        const char *k;
        json_t *v;
        json_object_foreach(js, k, v) {
            if (nf < sizeof fields / sizeof fields[0] && json_is_string(v))
                fields[nf++] = (jitrl_field){k, json_string_value(v)};
        }
        jitrl_state ss = {fields, nf};
        rc = mem_index_prepare(&mem->ix, &ss, action, ret, id, ep);
        json_decref(js);
        js = NULL;
        if (rc) {
            mem_set_err(mem, "loading the index: %s", jitrl_strerror(rc));
            goto out;
        }
        if (ep > seen_max) seen_max = ep;
        last_ep = ep;
        batch++;
    }
    if (s != SQLITE_DONE) rc = mem_db_err(mem, "load");
out:
    if (rc) {
        mem_index_abort(&mem->ix);
    } else {
        mem_index_commit(&mem->ix);
        mem->max_episode = seen_max;
    }
    json_decref(js);
    sqlite3_finalize(st);
    return rc;
}

/* Rebuild the index from the file (after prune).  The new index is built
 * beside the old one; on failure the handle refuses further decisions
 * (its index no longer matches the file) until reopened. */
int mem_rebuild(jitrl_memory *mem)
{
    mem_index old = mem->ix;
    int64_t old_max = mem->max_episode;
    int rc = mem_index_init(&mem->ix, mem->spec, mem->n_spec);   /* copies the names out of old */
    if (!rc) {
        mem->max_episode = 0;
        rc = mem_load(mem, INT64_MIN);
    }
    if (rc) {
        mem_index_free(&mem->ix);
        mem->ix = old;
        mem->max_episode = old_max;
        mem->ix_ok = 0;
        return rc;
    }
    mem_index_free(&old);
    for (size_t f = 0; f < mem->n_spec; f++) mem->spec[f].name = mem->ix.names[f];
    return JITRL_OK;
}

/* ---------- open / close ---------- */

static int setup_schema(jitrl_memory *mem)
{
    int64_t app = 0, ver = 0, ntab = 0;
    int rc = mem_query_int(mem, "PRAGMA application_id", 0, &app);
    if (rc) {
        if (rc == JITRL_ECORRUPT) mem_set_err(mem, "not a SQLite database (or corrupt): %s", sqlite3_errmsg(mem->db));
        return rc;
    }
    if ((rc = mem_query_int(mem, "PRAGMA user_version", 0, &ver))) return rc;
    if ((rc = mem_query_int(mem, "SELECT count(*) FROM sqlite_master", 0, &ntab))) return rc;
    if (ntab == 0 && app == 0) {
        if (mem->read_only) {
            mem_set_err(mem, "empty file: not a jitrl memory");
            return JITRL_ECORRUPT;
        }
        char sql[1024];
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE;%sPRAGMA application_id=%d;PRAGMA user_version=%d;COMMIT;",
                 schema_sql, APP_ID, SCHEMA_VERSION);
        if ((rc = mem_exec(mem, sql))) {
            sqlite3_exec(mem->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        return JITRL_OK;
    }
    if (app != APP_ID) {
        mem_set_err(mem, "a SQLite database but not a jitrl memory (application_id %lld)", (long long)app);
        return JITRL_ECORRUPT;
    }
    if (ver > SCHEMA_VERSION) {
        mem_set_err(mem, "schema version %lld is newer than this jitrl (%d)", (long long)ver, SCHEMA_VERSION);
        return JITRL_EUNSUPPORTED;
    }
    if (ver < 1) {
        mem_set_err(mem, "jitrl memory without a schema version");
        return JITRL_ECORRUPT;
    }
    return JITRL_OK;
}

static int open_db(jitrl_memory *mem, const char *path, const jitrl_memory_options *o)
{
    int in_ram = !path || !strcmp(path, ":memory:");
    mem->read_only = o->read_only && !in_ram;
    if (!in_ram) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            if (errno != ENOENT) {
                mem_set_err(mem, "%s: %s", path, strerror(errno));
                return JITRL_EIO;
            }
            if (mem->read_only || !o->create) {
                mem_set_err(mem, "%s: no such memory file", path);
                return JITRL_ENOTFOUND;
            }
        } else if (!S_ISREG(sb.st_mode)) {
            mem_set_err(mem, "%s: not a regular file", path);
            return JITRL_EIO;
        }
    }
    int flags = mem->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(in_ram ? ":memory:" : path, &mem->db, flags, NULL) != SQLITE_OK) {
        int rc = mem->db ? mem_db_err(mem, "open") : JITRL_ENOMEM;
        if (rc == JITRL_EDB) rc = JITRL_EIO;
        return rc;
    }
    sqlite3_extended_result_codes(mem->db, 1);
    sqlite3_busy_timeout(mem->db, o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 10000);
    if (!mem->read_only && sqlite3_db_readonly(mem->db, "main") == 1) {
        mem_set_err(mem, "%s: the file is read-only; open it with read_only to read it", path);
        return JITRL_EIO;
    }
    int rc = setup_schema(mem);
    if (rc) return rc;
    if (!mem->read_only) {
        if (!in_ram && (rc = mem_exec(mem, "PRAGMA journal_mode=WAL"))) return rc;
        if ((rc = mem_exec(mem, "PRAGMA synchronous=NORMAL"))) return rc;
    }
    return JITRL_OK;
}

int jitrl_memory_open(const char *path, const jitrl_memory_options *opt, jitrl_memory **out, char *errmsg,
                      size_t errlen)
{
    if (errmsg && errlen) errmsg[0] = '\0';
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    jitrl_memory_options dflt;
    if (!opt) {
        jitrl_memory_options_default(&dflt);
        opt = &dflt;
    }
    jitrl_memory *mem = jr_calloc(1, sizeof *mem);
    if (!mem) {
        if (errmsg && errlen) snprintf(errmsg, errlen, "out of memory");
        return JITRL_ENOMEM;
    }
    jr_buf_init(&mem->sbuf, (size_t)256 << 20);
    int rc;
    if (opt->n_fields) {
        memcpy(mem->spec, opt->fields, sizeof mem->spec);
        mem->n_spec = opt->n_fields;
    } else {
        jitrl_memory_options d;
        jitrl_memory_options_default(&d);
        memcpy(mem->spec, d.fields, sizeof mem->spec);
        mem->n_spec = d.n_fields;
    }
    rc = mem_index_init(&mem->ix, mem->spec, mem->n_spec);
    if (rc) {
        mem_set_err(mem, rc == JITRL_EINVAL ? "bad field specs (1..%d fields, ngram 1..16, weights >= 0, sum > 0)"
                                            : "out of memory", JITRL_MAX_FIELDS);
        goto out;
    }
    /* The spec's names now live in the index; point at them. */
    for (size_t f = 0; f < mem->n_spec; f++) mem->spec[f].name = mem->ix.names[f];
    if ((rc = open_db(mem, path, opt))) goto out;
    if ((rc = mem_load(mem, INT64_MIN))) goto out;
    mem->ix_ok = 1;
out:
    if (rc) {
        if (errmsg && errlen) snprintf(errmsg, errlen, "%s", mem->err[0] ? mem->err : jitrl_strerror(rc));
        jitrl_memory_close(mem);
        return rc;
    }
    *out = mem;
    return JITRL_OK;
}

void jitrl_memory_close(jitrl_memory *mem)
{
    if (!mem) return;
    sqlite3_finalize(mem->ins_ep);
    sqlite3_finalize(mem->ins_step);
    if (mem->db) sqlite3_close_v2(mem->db);
    mem_index_free(&mem->ix);
    jr_buf_free(&mem->sbuf);
    jr_free(mem);
}

/* ---------- adding episodes ---------- */

static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0 || (*p == 0xc0 || *p == 0xc1) || *p > 0xf4) return 0;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xc0) != 0x80) return 0;
        p += n + 1;
    }
    return 1;
}

/* Text made safe for JSON Lines: invalid UTF-8 bytes become '?'.  Returns s
 * itself when it is already valid, else a copy in *tmp (caller frees). */
const char *mem_clean_text(const char *s, char **tmp)
{
    *tmp = NULL;
    if (!s) return "";
    if (utf8_ok(s)) return s;
    char *c = jr_strdup(s);
    if (!c) return NULL;
    unsigned char *p = (unsigned char *)c;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        int ok = n > 0 && *p != 0xc0 && *p != 0xc1 && *p <= 0xf4;
        for (int i = 1; ok && i <= n; i++)
            if ((p[i] & 0xc0) != 0x80) ok = 0;
        if (ok) p += n + 1;
        else *p++ = '?';
    }
    *tmp = c;
    return c;
}

/* A JSON string literal, escaping exactly as jr_buf_json_str does but
 * appending unescaped runs whole (this is on the ingest path). */
static int json_str(jr_buf *b, const char *s)
{
    int rc = jr_buf_putc(b, '"');
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\') continue;
        rc = jr_buf_append(b, run, (size_t)((const char *)p - run));
        char esc[8];
        switch (*p) {
        case '"': snprintf(esc, sizeof esc, "\\\""); break;
        case '\\': snprintf(esc, sizeof esc, "\\\\"); break;
        case '\n': snprintf(esc, sizeof esc, "\\n"); break;
        case '\r': snprintf(esc, sizeof esc, "\\r"); break;
        case '\t': snprintf(esc, sizeof esc, "\\t"); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", *p);
        }
        if (!rc) rc = jr_buf_puts(b, esc);
        run = (const char *)p + 1;
    }
    if (!rc) rc = jr_buf_append(b, run, strlen(run));
    if (!rc) rc = jr_buf_putc(b, '"');
    return rc;
}

/* The state as stored: a JSON object of its fields, in order. */
static int state_json(jr_buf *b, const jitrl_state *st)
{
    jr_buf_reset(b);
    int rc = jr_buf_putc(b, '{');
    for (size_t i = 0; !rc && st && i < st->n_fields; i++) {
        if (i) rc = jr_buf_putc(b, ',');
        if (!rc) rc = json_str(b, st->fields[i].name);
        if (!rc) rc = jr_buf_putc(b, ':');
        if (!rc) rc = json_str(b, st->fields[i].text ? st->fields[i].text : "");
    }
    if (!rc) rc = jr_buf_putc(b, '}');
    return rc;
}

static int prepare_stmts(jitrl_memory *mem)
{
    if (!mem->ins_ep &&
        sqlite3_prepare_v2(mem->db, "INSERT INTO episodes(id, task, score, time, gamma, n_steps) VALUES(?1,?2,?3,?4,?5,?6)",
                           -1, &mem->ins_ep, NULL) != SQLITE_OK)
        return mem_db_err(mem, "prepare");
    if (!mem->ins_step &&
        sqlite3_prepare_v2(mem->db, "INSERT INTO steps(episode, t, state, action, reward, ret) VALUES(?1,?2,?3,?4,?5,?6)",
                           -1, &mem->ins_step, NULL) != SQLITE_OK)
        return mem_db_err(mem, "prepare");
    return JITRL_OK;
}

/* Insert one step row and prepare its index entry.  Texts are cleaned to
 * valid UTF-8 first so the index sees exactly what a reopen will see. */
static int insert_step(jitrl_memory *mem, int64_t ep, size_t t, const jitrl_step *s, double ret)
{
    enum { MAXF = JITRL_MAX_FIELDS * 4 };
    jitrl_field clean[MAXF];
    char *tmp[2 * MAXF] = {0};
    jitrl_state cs = s->state;
    int rc = JITRL_OK;
    if (cs.n_fields > MAXF) {
        mem_set_err(mem, "a state has %zu fields; at most %d", cs.n_fields, (int)MAXF);
        return JITRL_EINVAL;
    }
    for (size_t i = 0; i < cs.n_fields; i++) {
        clean[i].name = mem_clean_text(cs.fields[i].name, &tmp[2 * i]);
        clean[i].text = mem_clean_text(cs.fields[i].text, &tmp[2 * i + 1]);
        if (!clean[i].name || !clean[i].text) { rc = JITRL_ENOMEM; goto out; }
    }
    cs.fields = clean;
    char *atmp = NULL;
    const char *action = mem_clean_text(s->action, &atmp);
    if (!action) { rc = JITRL_ENOMEM; goto out; }
    if ((rc = state_json(&mem->sbuf, &cs))) { jr_free(atmp); goto out; }
    sqlite3_stmt *st = mem->ins_step;
    sqlite3_bind_int64(st, 1, ep);
    sqlite3_bind_int64(st, 2, (int64_t)t);
    sqlite3_bind_text(st, 3, mem->sbuf.data, (int)mem->sbuf.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, s->reward);
    sqlite3_bind_double(st, 6, ret);
    if (sqlite3_step(st) != SQLITE_DONE) rc = mem_db_err(mem, "insert step");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!rc) rc = mem_index_prepare(&mem->ix, &cs, action, ret, sqlite3_last_insert_rowid(mem->db), ep);
    jr_free(atmp);
out:
    for (size_t i = 0; i < 2 * MAXF; i++) jr_free(tmp[i]);
    if (rc == JITRL_ENOMEM) mem_set_err(mem, "out of memory");
    return rc;
}

int mem_insert_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                       double gamma, const double *ret, int64_t want_id, int64_t *episode_id)
{
    if (mem->read_only) {
        mem_set_err(mem, "the memory is open read-only");
        return JITRL_ESTATE;
    }
    if (!mem->ix_ok) {
        mem_set_err(mem, "the memory's index is unusable after an earlier failure");
        return JITRL_ESTATE;
    }
    int rc = prepare_stmts(mem);
    if (rc) return rc;
    if ((rc = mem_exec(mem, "BEGIN IMMEDIATE"))) return rc;
    mem_index_begin(&mem->ix);
    char *ttmp = NULL;
    const char *task = mem_clean_text(info && info->task ? info->task : "", &ttmp);
    int64_t now = info && info->time ? info->time : (int64_t)time(NULL);
    sqlite3_stmt *st = mem->ins_ep;
    if (want_id > 0) sqlite3_bind_int64(st, 1, want_id);
    else sqlite3_bind_null(st, 1);
    sqlite3_bind_text(st, 2, task ? task : "", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, info ? info->score : 0.0);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_double(st, 5, gamma);
    sqlite3_bind_int64(st, 6, (int64_t)n);
    if (!task) rc = JITRL_ENOMEM;
    else if (sqlite3_step(st) != SQLITE_DONE) rc = mem_db_err(mem, "insert episode");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    jr_free(ttmp);
    int64_t ep = sqlite3_last_insert_rowid(mem->db);
    for (size_t t = 0; !rc && t < n; t++) rc = insert_step(mem, ep, t, &steps[t], ret[t]);
    if (!rc && sqlite3_exec(mem->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = mem_db_err(mem, "commit");
    if (rc) {
        mem_index_abort(&mem->ix);
        if (!sqlite3_get_autocommit(mem->db)) sqlite3_exec(mem->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    mem_index_commit(&mem->ix);
    if (ep > mem->max_episode) mem->max_episode = ep;
    if (episode_id) *episode_id = ep;
    return JITRL_OK;
}

int mem_check_steps(jitrl_memory *mem, const jitrl_step *steps, size_t n)
{
    if (n && !steps) return JITRL_EINVAL;
    for (size_t t = 0; t < n; t++) {
        if (!steps[t].action || !isfinite(steps[t].reward) || (steps[t].state.n_fields && !steps[t].state.fields)) {
            mem_set_err(mem, "step %zu: NULL action or fields, or a non-finite reward", t);
            return JITRL_EINVAL;
        }
        for (size_t i = 0; i < steps[t].state.n_fields; i++)
            if (!steps[t].state.fields[i].name) {
                mem_set_err(mem, "step %zu: field %zu has no name", t, i);
                return JITRL_EINVAL;
            }
    }
    return JITRL_OK;
}

int jitrl_memory_add_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                             double gamma, int64_t *episode_id)
{
    if (!mem) return JITRL_EINVAL;
    if (!(gamma >= 0 && gamma <= 1)) {
        mem_set_err(mem, "gamma %g is outside [0, 1]", gamma);
        return JITRL_EINVAL;
    }
    if (info && !isfinite(info->score)) {
        mem_set_err(mem, "non-finite episode score");
        return JITRL_EINVAL;
    }
    int rc = mem_check_steps(mem, steps, n);
    if (rc) return rc;
    double *ret = jr_malloc((n ? n : 1) * sizeof *ret);
    if (!ret) {
        mem_set_err(mem, "out of memory");
        return JITRL_ENOMEM;
    }
    for (size_t t = 0; t < n; t++) ret[t] = steps[t].reward;
    jitrl_returns(ret, n, gamma, ret);
    rc = mem_insert_episode(mem, info, steps, n, gamma, ret, 0, episode_id);
    jr_free(ret);
    return rc;
}

int jitrl_memory_refresh(jitrl_memory *mem)
{
    if (!mem) return JITRL_EINVAL;
    if (!mem->ix_ok) {
        mem_set_err(mem, "the memory's index is unusable after an earlier failure");
        return JITRL_ESTATE;
    }
    return mem_load(mem, mem->max_episode);
}

int jitrl_memory_check(jitrl_memory *mem)
{
    if (!mem) return JITRL_EINVAL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(mem->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return mem_db_err(mem, "integrity_check");
    int rc = JITRL_OK;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = mem_db_err(mem, "integrity_check");
    } else {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (!r || strcmp(r, "ok")) {
            mem_set_err(mem, "integrity_check: %s", r ? r : "(null)");
            rc = JITRL_ECORRUPT;
        }
    }
    sqlite3_finalize(st);
    return rc;
}
