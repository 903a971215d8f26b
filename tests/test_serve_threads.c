/*
 * test_serve_threads.c -- one `jitrl serve` server (include/jitrl/serve.h)
 * under concurrent clients, also run under ThreadSanitizer (THREAD_TESTS):
 * 8 client threads each decide and record on two shared namespaces and one
 * of their own, with episode keys, retrying some of them, while a ninth
 * scrapes /metrics and the stats.  Every acknowledged episode must be in the
 * memory exactly once (retries stored once, same id), and every answer must
 * be 200.
 */
#include "jitrl/serve.h"
#include "srvutil.h"
#include "testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 8, ROUNDS = 40 };

typedef struct worker {
    const char *addr;
    int no;
    int bad;           /* non-200 answers or wrong ids */
    int recorded[3];   /* distinct episodes acknowledged, per namespace slot */
} worker;

static atomic_int stop_scraper;

static const char *ns_of(int no, int slot, char *buf)
{
    if (slot < 2) return slot ? "shared-1" : "shared-0";
    snprintf(buf, 32, "own-%d", no);
    return buf;
}

static void *work(void *arg)
{
    worker *w = arg;
    char body[1024], nsb[32], *out;
    for (int r = 0; r < ROUNDS; r++) {
        int slot = r % 3;
        const char *ns = ns_of(w->no, slot, nsb);
        snprintf(body, sizeof body,
                 "{\"namespace\":\"%s\",\"state\":{\"current\":\"room %d\"},\"candidates\":[{\"action\":\"a\"},{\"action\":\"b\"}],\"seed\":%d}",
                 ns, r % 5, r);
        if (su_http(w->addr, "POST", "/v1/decide", NULL, "application/json", body, strlen(body), &out, NULL) != 200)
            w->bad++;
        free(out);
        snprintf(body, sizeof body,
                 "{\"namespace\":\"%s\",\"episode_key\":\"w%d-r%d\",\"steps\":[{\"state\":{\"current\":\"room %d\"},\"action\":\"a\",\"reward\":%d}]}",
                 ns, w->no, r, r % 5, r % 2);
        long long id = -1;
        for (int attempt = 0; attempt < (r % 4 == 0 ? 2 : 1); attempt++) {   /* every 4th: a retry */
            if (su_http(w->addr, "POST", "/v1/episodes", NULL, "application/json", body, strlen(body), &out, NULL) !=
                200) {
                w->bad++;
                free(out);
                continue;
            }
            json_t *js = json_loads(out, 0, NULL);
            long long got = (long long)json_integer_value(json_object_get(js, "episode_id"));
            if (attempt == 0) id = got, w->recorded[slot]++;
            else if (got != id || !json_is_true(json_object_get(js, "replayed"))) w->bad++;
            json_decref(js);
            free(out);
        }
    }
    return NULL;
}

static void *scrape(void *arg)
{
    const char *addr = arg;
    for (int i = 0; i < 200 && !atomic_load(&stop_scraper); i++) {
        char *out;
        su_http(addr, "GET", "/metrics", NULL, NULL, NULL, 0, &out, NULL);
        free(out);
        su_http(addr, "GET", "/v1/namespaces/shared-0/stats", NULL, NULL, NULL, 0, &out, NULL);
        free(out);
    }
    return NULL;
}

static long long episodes(const char *addr, const char *ns)
{
    char path[128], *out;
    snprintf(path, sizeof path, "/v1/namespaces/%s/stats", ns);
    if (su_http(addr, "GET", path, NULL, NULL, NULL, 0, &out, NULL) != 200) {
        free(out);
        return -1;
    }
    json_t *js = json_loads(out, 0, NULL);
    long long n = (long long)json_integer_value(json_object_get(js, "episodes"));
    json_decref(js);
    free(out);
    return n;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    jitrl_serve_options o;
    jitrl_serve_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.memory = tu_tmpdir();   /* SQLite files: the sync thread refreshes them meanwhile */
    o.threads = 4;
    o.sync_ms = 20;
    jitrl_server *s = NULL;
    char err[512];
    CHECK_MSG(jitrl_server_open(&o, &s, err, sizeof err) == JITRL_OK, "%s", err);
    if (!s) return tu_done();
    const char *addr = jitrl_server_address(s);
    worker w[THREADS];
    pthread_t t[THREADS], sc;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){addr, i, 0, {0, 0, 0}};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    pthread_create(&sc, NULL, scrape, (void *)addr);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    atomic_store(&stop_scraper, 1);
    pthread_join(sc, NULL);
    long long shared[2] = {0, 0};
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        bad += w[i].bad;
        shared[0] += w[i].recorded[0];
        shared[1] += w[i].recorded[1];
        char nsb[32];
        CHECK_INT(episodes(addr, ns_of(i, 2, nsb)), w[i].recorded[2]);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(episodes(addr, "shared-0"), shared[0]);
    CHECK_INT(episodes(addr, "shared-1"), shared[1]);
    printf("FIGURE serve_threads: %d clients x %d rounds, %lld + %lld shared episodes, 0 lost\n", THREADS, ROUNDS,
           shared[0], shared[1]);
    jitrl_server_close(s);
    curl_global_cleanup();
    return tu_done();
}
