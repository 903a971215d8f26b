/*
 * llm_testsrv.h -- start, steer and stop the scripted model server
 * (tests/tools/llm_server.c) from a C test.  Header-only (static
 * inline functions) because only the test_llm*.c programs use it.
 *
 * The server runs as a child process on an ephemeral loopback port; it
 * prints "PORT N" first, which we read from a pipe.  Control and stats go
 * over plain HTTP GETs (/control, /stats, /last) with libcurl.
 */
#ifndef LLM_TESTSRV_H
#define LLM_TESTSRV_H

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "testutil.h"

typedef struct testsrv {
    pid_t pid;
    int port;
    char base[64];     /* http://127.0.0.1:PORT/v1 */
} testsrv;

/* argv_extra: NULL-terminated extra flags.  Returns 0 on success. */
static inline int testsrv_start(testsrv *s, const char *const *argv_extra)
{
    const char *argv[48];
    int n = 0;
    static char bin[1024];
    snprintf(bin, sizeof bin, "%s/tests/llm_server", tu_build());
    argv[n++] = bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--max-seconds";
    argv[n++] = "600";
    for (int i = 0; argv_extra && argv_extra[i] && n < 46; i++) argv[n++] = argv_extra[i];
    argv[n] = NULL;
    int fd[2];
    if (pipe(fd)) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[64] = "";
    if (!f || !fgets(line, sizeof line, f) || strncmp(line, "PORT ", 5) != 0) {
        if (f) fclose(f);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fprintf(stderr, "llm_server did not start (%s)\n", bin);
        return -1;
    }
    fclose(f);
    s->pid = pid;
    s->port = (int)strtol(line + 5, NULL, 10);
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d/v1", s->port);
    return 0;
}

static inline void testsrv_stop(testsrv *s)
{
    if (s->pid <= 0) return;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static inline size_t testsrv_sink(char *p, size_t size, size_t nmemb, void *ud)
{
    return jr_buf_append(ud, p, size * nmemb) ? 0 : size * nmemb;
}

/* GET path (e.g. "/stats"); returns the body (caller frees) or NULL. */
static inline char *testsrv_get(const testsrv *s, const char *path)
{
    char url[512];
    jr_buf b;
    jr_buf_init(&b, 1 << 20);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    CURL *c = curl_easy_init();
    if (!c) return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, testsrv_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) { jr_buf_free(&b); return NULL; }
    return jr_buf_steal(&b);
}

/* GET /control?QUERY; returns 0 when the server said ok. */
static inline int testsrv_ctl(const testsrv *s, const char *query)
{
    char path[256];
    snprintf(path, sizeof path, "/control?%s", query);
    char *r = testsrv_get(s, path);
    int ok = r && strstr(r, "\"ok\"") != NULL;
    free(r);
    return ok ? 0 : -1;
}

/* One integer from /stats, by a dotted key ("faults.429"); -1 if absent. */
static inline long testsrv_stat(const testsrv *s, const char *key)
{
    char *body = testsrv_get(s, "/stats");
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    char k[128];
    snprintf(k, sizeof k, "%s", key);
    json_t *v = j;
    for (char *save = NULL, *t = strtok_r(k, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
        v = json_object_get(v, t);
    long out = json_is_integer(v) ? (long)json_integer_value(v) : -1;
    json_decref(j);
    return out;
}

#endif
