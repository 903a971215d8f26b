/*
 * task.c -- web tasks in WebArena's JSON format (jitrl/web.h): one task
 * object, an array of them (WebArena's test.raw.json), or a directory of
 * such files; and the site placeholders (__SHOPPING__ ...) mapped to URLs.
 *
 * The task object is kept as read (a jansson reference), so fields we do
 * not use survive and the evaluators read the same JSON WebArena's do.
 */
#include "env/web/web_int.h"

#include "base/alloc.h"
#include "jitrl/error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TASKS_MAX 10000
#define TASK_FILE_MAX (16u << 20)

void web_task_free(web_task *t)
{
    if (!t) return;
    json_decref(t->json);
    jr_free(t->intent);
    memset(t, 0, sizeof *t);
}

int web_task_copy(web_task *dst, const web_task *src)
{
    *dst = *src;
    dst->intent = jr_strdup(src->intent);
    if (!dst->intent) return JITRL_ENOMEM;
    json_incref(dst->json);
    return JITRL_OK;
}

void jitrl_web_tasks_close(jitrl_web_tasks *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) web_task_free(&t->v[i]);
    jr_free(t->v);
    jr_free(t);
}

size_t jitrl_web_tasks_count(const jitrl_web_tasks *t) { return t ? t->n : 0; }

const char *jitrl_web_task_id(const jitrl_web_tasks *t, size_t i) { return t && i < t->n ? t->v[i].id : ""; }
const char *jitrl_web_task_site(const jitrl_web_tasks *t, size_t i) { return t && i < t->n ? t->v[i].site : ""; }
const char *jitrl_web_task_intent(const jitrl_web_tasks *t, size_t i)
{
    return t && i < t->n ? t->v[i].intent : "";
}

/* The first __NAME__ of s, lower-cased, into out ("" if none). */
static void first_placeholder(const char *s, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = strstr(s, "__");
    while (p) {
        const char *q = p + 2;
        while (isupper((unsigned char)*q) || *q == '_' || isdigit((unsigned char)*q)) q++;
        if (q - p > 4 && q[-1] == '_' && q[-2] == '_') {
            size_t n = (size_t)(q - p) - 4;
            if (n >= cap) n = cap - 1;
            for (size_t i = 0; i < n; i++) out[i] = (char)tolower((unsigned char)p[2 + i]);
            out[n] = '\0';
            return;
        }
        p = strstr(p + 2, "__");
    }
}

static int add_task(jitrl_web_tasks *t, json_t *o, const char *origin, size_t idx, char *err, size_t errlen)
{
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: task %zu is not a JSON object", origin, idx);
        return JITRL_ECORRUPT;
    }
    json_t *intent = json_object_get(o, "intent"), *ijs = json_object_get(o, "intent_js");
    json_t *start = json_object_get(o, "start_url"), *ev = json_object_get(o, "eval");
    json_t *types = ev ? json_object_get(ev, "eval_types") : NULL;
    const char *what = !json_is_string(intent) && !json_is_string(ijs) ? "intent (or intent_js)"
                       : !json_is_string(start) ? "start_url"
                       : !json_is_object(ev) ? "eval object"
                       : !json_is_array(types) ? "eval.eval_types" : NULL;
    if (what) {
        snprintf(err, errlen, "%s: task %zu has no %s", origin, idx, what);
        return JITRL_ECORRUPT;
    }
    if (t->n >= TASKS_MAX) {
        snprintf(err, errlen, "%s: more than %d tasks", origin, TASKS_MAX);
        return JITRL_ETOOBIG;
    }
    web_task *nv = jr_realloc(t->v, (t->n + 1) * sizeof *nv);
    if (!nv) return JITRL_ENOMEM;
    t->v = nv;
    web_task *w = &t->v[t->n];
    memset(w, 0, sizeof *w);
    w->intent = jr_strdup(json_is_string(intent) ? json_string_value(intent) : "");
    if (!w->intent) return JITRL_ENOMEM;
    json_t *id = json_object_get(o, "task_id");
    if (json_is_integer(id)) snprintf(w->id, sizeof w->id, "%lld", (long long)json_integer_value(id));
    else if (json_is_string(id)) snprintf(w->id, sizeof w->id, "%s", json_string_value(id));
    else snprintf(w->id, sizeof w->id, "%s#%zu", origin, idx);
    for (char *c = w->id; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.' && *c != '#') *c = '_';
    json_t *sites = json_object_get(o, "sites");
    if (json_is_array(sites) && json_is_string(json_array_get(sites, 0)))
        snprintf(w->site, sizeof w->site, "%s", json_string_value(json_array_get(sites, 0)));
    else first_placeholder(json_string_value(start), w->site, sizeof w->site);
    w->json = json_incref(o);
    t->n++;
    return JITRL_OK;
}

static int parse_into(jitrl_web_tasks *t, const char *text, size_t len, const char *origin, char *err,
                      size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s: not JSON (line %d: %s)", origin, je.line, je.text);
        return JITRL_ECORRUPT;
    }
    int rc = JITRL_OK;
    if (json_is_array(root)) {
        for (size_t i = 0; !rc && i < json_array_size(root); i++)
            rc = add_task(t, json_array_get(root, i), origin, i, err, errlen);
    } else {
        rc = add_task(t, root, origin, 0, err, errlen);
    }
    json_decref(root);
    return rc;
}

int jitrl_web_tasks_parse(const char *json, size_t len, const char *origin, jitrl_web_tasks **out, char *err,
                          size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    if (!json) return JITRL_EINVAL;
    jitrl_web_tasks *t = jr_calloc(1, sizeof *t);
    if (!t) return JITRL_ENOMEM;
    int rc = parse_into(t, json, len, origin ? origin : "tasks", err, errlen);
    if (rc) {
        jitrl_web_tasks_close(t);
        return rc;
    }
    *out = t;
    return JITRL_OK;
}

static int load_file(jitrl_web_tasks *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return JITRL_EIO;
    }
    char *buf = jr_malloc(TASK_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, TASK_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf) return JITRL_ENOMEM;
    int rc;
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        rc = JITRL_EIO;
    } else if (n > TASK_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, TASK_FILE_MAX);
        rc = JITRL_ETOOBIG;
    } else {
        rc = parse_into(t, buf, n, path, err, errlen);
    }
    jr_free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int jitrl_web_tasks_load(const char *path, jitrl_web_tasks **out, char *err, size_t errlen)
{
    if (!out) return JITRL_EINVAL;
    *out = NULL;
    if (!path) return JITRL_EINVAL;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return JITRL_EIO;
    }
    jitrl_web_tasks *t = jr_calloc(1, sizeof *t);
    if (!t) return JITRL_ENOMEM;
    int rc = JITRL_OK;
    if (!S_ISDIR(st.st_mode)) {
        rc = load_file(t, path, err, errlen);
    } else {
        DIR *d = opendir(path);
        char **names = NULL;
        size_t nn = 0;
        struct dirent *de;
        if (!d) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            rc = JITRL_EIO;
        }
        while (!rc && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l < 6 || strcmp(de->d_name + l - 5, ".json") || de->d_name[0] == '.') continue;
            char **nv = nn < TASKS_MAX ? jr_realloc(names, (nn + 1) * sizeof *nv) : NULL;
            if (!nv || !(nv[nn] = jr_strdup(de->d_name))) {
                if (nv) names = nv;
                rc = nn < TASKS_MAX ? JITRL_ENOMEM : JITRL_ETOOBIG;
                break;
            }
            names = nv;
            nn++;
        }
        if (d) closedir(d);
        if (names) qsort(names, nn, sizeof *names, cmp_str);
        for (size_t i = 0; !rc && i < nn; i++) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", path, names[i]);
            rc = load_file(t, full, err, errlen);
        }
        for (size_t i = 0; i < nn; i++) jr_free(names[i]);
        jr_free(names);
        if (!rc && t->n == 0) {
            snprintf(err, errlen, "%s: no *.json task files", path);
            rc = JITRL_ENOTFOUND;
        }
    }
    if (rc) {
        jitrl_web_tasks_close(t);
        return rc;
    }
    *out = t;
    return JITRL_OK;
}

/* ---- site placeholders ---- */

void web_sites_free(web_sites *s)
{
    for (size_t i = 0; i < s->n; i++) jr_free(s->key[i]), jr_free(s->url[i]);
    jr_free(s->key);
    jr_free(s->url);
    memset(s, 0, sizeof *s);
}

int web_sites_set(web_sites *s, const jitrl_web_site *v, size_t n, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!n) return JITRL_OK;
    s->key = jr_calloc(n, sizeof *s->key);
    s->url = jr_calloc(n, sizeof *s->url);
    if (!s->key || !s->url) {
        web_sites_free(s);
        return JITRL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const char *nm = v[i].name, *u = v[i].url;
        if (!nm || !u || !nm[0] || strlen(nm) > 60 || (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))) {
            snprintf(err, errlen, "site %zu: give NAME=URL with an http(s) URL (e.g. shopping=http://127.0.0.1:7770)",
                     i + 1);
            web_sites_free(s);
            return JITRL_EINVAL;
        }
        char key[80];
        size_t k = 0;
        int wrapped = !strncmp(nm, "__", 2);
        if (!wrapped) key[k++] = '_', key[k++] = '_';
        for (const char *c = nm; *c; c++) key[k++] = (char)toupper((unsigned char)*c);
        if (!wrapped) key[k++] = '_', key[k++] = '_';
        key[k] = '\0';
        size_t ul = strlen(u);
        while (ul > 0 && u[ul - 1] == '/') ul--;
        s->key[s->n] = jr_strdup(key);
        s->url[s->n] = jr_strndup(u, ul);
        s->n++;
        if (!s->key[s->n - 1] || !s->url[s->n - 1]) {
            web_sites_free(s);
            return JITRL_ENOMEM;
        }
    }
    return JITRL_OK;
}

int web_sites_map(const web_sites *s, const char *in, char **out, char *err, size_t errlen)
{
    *out = NULL;
    jr_buf b;
    jr_buf_init(&b, 1u << 20);
    int rc = JITRL_OK;
    const char *p = in;
    while (!rc && *p) {
        const char *q = strstr(p, "__");
        const char *e = q ? q + 2 : NULL;
        while (e && (isupper((unsigned char)*e) || isdigit((unsigned char)*e) || (*e == '_' && e[1] != '_')))
            e++;
        if (!q || !e || strncmp(e, "__", 2) || e == q + 2) {
            /* no placeholder here: copy through the "__" (or the rest) */
            size_t n = q ? (size_t)(q - p) + 2 : strlen(p);
            rc = jr_buf_append(&b, p, n);
            p += n;
            continue;
        }
        rc = jr_buf_append(&b, p, (size_t)(q - p));
        size_t kl = (size_t)(e + 2 - q);
        size_t i = 0;
        for (; i < s->n; i++)
            if (strlen(s->key[i]) == kl && !strncmp(s->key[i], q, kl)) break;
        if (i == s->n) {
            snprintf(err, errlen, "the task uses the site %.*s, which no --site maps (give --site %.*s=URL)",
                     (int)kl, q, (int)(kl - 4), q + 2);
            rc = JITRL_EINVAL;
            break;
        }
        if (!rc) rc = jr_buf_puts(&b, s->url[i]);
        p = e + 2;
    }
    if (rc) {
        jr_buf_free(&b);
        return rc;
    }
    *out = jr_strdup(jr_buf_str(&b));
    jr_buf_free(&b);
    return *out ? JITRL_OK : JITRL_ENOMEM;
}
