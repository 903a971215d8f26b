/*
 * bench_serve.c -- `jitrl bench serve [--seconds N] [--agents N] [--steps N,N,...] [--instances N] [--kill]
 * [--memory DIR|postgres://...]`: `jitrl serve` under load on loopback.
 *
 * For each memory size: the memory is filled to that many stored steps (through the import route), then
 * `agents` simulated agents (one thread and one keep-alive connection each) decide and record for `seconds`
 * against `instances` server processes (this binary's own `serve`, children of the bench) sharing one
 * memory. Printed: decisions/s, p50/p99 decide latency as the agent saw it, episodes/s, errors, each
 * instance's peak RSS, and whether every episode the server acknowledged is in the memory (read back by
 * export). With --kill, instance 1 is killed with SIGKILL halfway through; its agents move to instance 0,
 * and no acknowledged episode may be missing. Every loop is bounded in count and time; nothing here passes
 * or fails on speed.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jitrl.h"

#define MAX_INST 4
#define MAX_AGENTS 512
#define EP_LEN 10            /* decisions per recorded episode */
#define ROOMS 2000
#define LAT_CAP 200000       /* latencies kept per agent */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------- a minimal keep-alive HTTP/1.1 client ---------- */

typedef struct conn {
    int fd;
    char addr[64];
    char *buf;          /* response bytes */
    size_t cap;
} conn;

static int conn_open_t(conn *c, long timeout_s);
static int conn_open(conn *c) { return conn_open_t(c, 10); }

static int conn_open_t(conn *c, long timeout_s)
{
    char host[64];
    const char *colon = strrchr(c->addr, ':');
    if (!colon || (size_t)(colon - c->addr) >= sizeof host) return -1;
    memcpy(host, c->addr, (size_t)(colon - c->addr));
    host[colon - c->addr] = 0;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return -1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {timeout_s, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a)) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One request; the status (0 on a transport failure, the connection then
 * closed), the body in c->buf (NUL-ended) and its length in *len. */
static int http(conn *c, const char *method, const char *path, const char *ctype, const char *body, size_t blen,
                size_t *len)
{
    if (c->fd < 0 && conn_open(c)) return 0;
    char head[512];
    int hn = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: bench\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                      method, path, ctype, blen);
    if (send_all(c->fd, head, (size_t)hn) || (blen && send_all(c->fd, body, blen))) goto fail;
    size_t got = 0, need = 0, hend = 0;
    int status = 0;
    for (int reads = 0; reads < 1000000; reads++) {   /* bounded; each read waits at most 10 s */
        if (got + 65536 + 1 > c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 1 << 16;
            while (nc < got + 65536 + 1) nc *= 2;
            char *q = realloc(c->buf, nc);
            if (!q) goto fail;
            c->buf = q;
            c->cap = nc;
        }
        ssize_t r = recv(c->fd, c->buf + got, c->cap - got - 1, 0);
        if (r <= 0) goto fail;
        got += (size_t)r;
        c->buf[got] = 0;
        if (!hend) {
            char *e = strstr(c->buf, "\r\n\r\n");
            if (!e) continue;
            hend = (size_t)(e - c->buf) + 4;
            status = atoi(c->buf + 9);
            char *cl = strcasestr(c->buf, "\r\nContent-Length:");
            if (!cl || cl > e) goto fail;
            need = hend + strtoul(cl + 17, NULL, 10);
        }
        if (got >= need) break;
    }
    if (!hend || got < need) goto fail;
    memmove(c->buf, c->buf + hend, need - hend);
    c->buf[need - hend] = 0;
    *len = need - hend;
    if (strcasestr(c->buf, "Connection: close")) conn_close(c);
    return status;
fail:
    conn_close(c);
    return 0;
}

/* ---------- the simulated task ---------- */

static const char *const ACTIONS[] = {"go north", "go south", "go east", "go west", "take lamp", "open door"};
enum { N_ACT = 6 };

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A state's JSON text ({"current", "history"}) for room r after action h. */
static int state_json(char *out, size_t cap, unsigned r, unsigned h)
{
    return snprintf(out, cap,
                    "{\"current\":\"Room %u of the old mine. The walls are %s and a draught comes from the %s.\","
                    "\"history\":\"%s\"}",
                    r, r % 3 ? "damp granite" : "dry sandstone", ACTIONS[r % 4], ACTIONS[h % N_ACT]);
}

static double reward_of(unsigned r, unsigned a) { return (r + a) % N_ACT == 0 ? 1.0 : 0.0; }

/* ---------- servers ---------- */

typedef struct inst {
    pid_t pid;
    char addr[64];
    atomic_int alive;   /* cleared by the main thread when it kills the instance */
} inst;

static int spawn(const char *memory, inst *in, int quiet_log)
{
    int p[2];
    if (pipe(p)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        if (quiet_log) {
            int dn = open("/dev/null", O_WRONLY);
            if (dn >= 0) dup2(dn, 2);
        }
        execl("/proc/self/exe", "jitrl", "serve", "--listen", "127.0.0.1:0", "--memory", memory, "--quiet",
              "--max-connections", "2048", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[256] = "";
    size_t n = 0;
    double end = now_s() + 30;
    while (n + 1 < sizeof line && now_s() < end && !strchr(line, '\n')) {
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, 1000) <= 0) continue;
        ssize_t r = read(p[0], line + n, sizeof line - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        line[n] = 0;
    }
    close(p[0]);
    if (sscanf(line, "listening on %63s", in->addr) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    in->pid = pid;
    atomic_store(&in->alive, 1);
    return 0;
}

static long peak_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* ---------- the agents ---------- */

typedef struct agent {
    int no;
    inst *insts;
    int n_inst;
    double deadline;
    unsigned long long seed;
    /* results */
    double *lat;
    size_t n_lat;
    long decisions, episodes, errors;
    long long *acked;
    size_t n_acked, cap_acked;
} agent;

static void *agent_main(void *arg)
{
    agent *a = arg;
    int target = a->no % a->n_inst;
    conn c = {-1, "", NULL, 0};
    snprintf(c.addr, sizeof c.addr, "%s", a->insts[target].addr);
    uint64_t rs = a->seed * 7919u + (uint64_t)a->no;
    char body[4096], st[1024];
    char *epbuf = malloc(EP_LEN * 1200 + 256);
    if (!epbuf) return NULL;
    unsigned room = (unsigned)(mix(&rs) % ROOMS), last = 0;
    size_t eplen = 0;
    int in_ep = 0, fails = 0;
    for (long it = 0; it < 100000000L && now_s() < a->deadline; it++) {
        /* a killed (or unanswering) instance: move to the next live one */
        if (!atomic_load(&a->insts[target].alive) || fails >= 3) {
            for (int i = 1; i <= a->n_inst; i++)
                if (atomic_load(&a->insts[(target + i) % a->n_inst].alive)) {
                    target = (target + i) % a->n_inst;
                    break;
                }
            conn_close(&c);
            snprintf(c.addr, sizeof c.addr, "%s", a->insts[target].addr);
            fails = 0;
        }
        state_json(st, sizeof st, room, last);
        int n = snprintf(body, sizeof body,
                         "{\"namespace\":\"bench\",\"state\":%s,\"candidates\":[{\"action\":\"go north\"},{\"action\":\"go south\"},"
                         "{\"action\":\"go east\"},{\"action\":\"go west\"},{\"action\":\"take lamp\"},{\"action\":\"open door\"}],"
                         "\"seed\":%llu}",
                         st, (unsigned long long)(mix(&rs) >> 1));
        size_t len = 0;
        double t0 = now_s();
        int s = http(&c, "POST", "/v1/decide", "application/json", body, (size_t)n, &len);
        double dt = now_s() - t0;
        if (s != 200) {
            a->errors++;
            if (!s) fails++, usleep(1000);
            continue;
        }
        fails = 0;
        a->decisions++;
        if (a->n_lat < LAT_CAP) a->lat[a->n_lat++] = dt;
        const char *ch = strstr(c.buf, "\"index\":");
        unsigned act = ch ? (unsigned)atoi(ch + 8) % N_ACT : 0;
        /* the step into the episode being built */
        if (!in_ep) {
            eplen = (size_t)snprintf(epbuf, 256, "{\"namespace\":\"bench\",\"episode_key\":\"a%d-%ld\",\"steps\":[", a->no, it);
            in_ep = 1;
        } else {
            epbuf[eplen++] = ',';
        }
        eplen += (size_t)snprintf(epbuf + eplen, 1200, "{\"state\":%s,\"action\":\"%s\",\"reward\":%g}", st,
                                  ACTIONS[act], reward_of(room, act));
        last = act;
        room = (unsigned)((room * 31u + act * 7u + 1u) % ROOMS);
        if (a->decisions % EP_LEN) continue;
        eplen += (size_t)snprintf(epbuf + eplen, 8, "]}");
        in_ep = 0;
        /* recorded with its key: a retry after a failure stores it once */
        for (int attempt = 0; attempt < 3 && now_s() < a->deadline + 5; attempt++) {
            if (!atomic_load(&a->insts[target].alive)) break;
            s = http(&c, "POST", "/v1/episodes", "application/json", epbuf, eplen, &len);
            if (s == 200) {
                const char *p = strstr(c.buf, "\"episode_id\":");
                if (p && a->n_acked < a->cap_acked) a->acked[a->n_acked++] = atoll(p + 13);
                a->episodes++;
                break;
            }
            a->errors++;
        }
        room = (unsigned)(mix(&rs) % ROOMS);
    }
    conn_close(&c);
    free(c.buf);
    free(epbuf);
    return NULL;
}

/* ---------- filling the memory ---------- */

static int preload(const char *addr, size_t have, size_t want, uint64_t seed)
{
    conn c = {-1, "", NULL, 0};
    snprintf(c.addr, sizeof c.addr, "%s", addr);
    size_t cap = (size_t)2 << 20, n = 0;
    if (conn_open_t(&c, 300)) return -1;   /* an import chunk may take a while on a busy machine */
    char *b = malloc(cap + 65536), st[1024];
    if (!b) return -1;
    int rc = 0;
    uint64_t rs = seed;
    const size_t per_ep = 50;
    for (size_t steps = have; steps < want && !rc;) {
        unsigned room = (unsigned)(mix(&rs) % ROOMS), last = 0;
        n += (size_t)snprintf(b + n, 256, "{\"id\":0,\"task\":\"bench\",\"score\":0,\"time\":%lld,\"gamma\":0.5,\"steps\":[",
                              (long long)time(NULL));
        double g = 0;
        for (size_t t = 0; t < per_ep; t++) {
            unsigned act = (unsigned)(mix(&rs) % N_ACT);
            state_json(st, sizeof st, room, last);
            double r = reward_of(room, act);
            g = r;   /* returns as stored; the bench's decisions only need them plausible */
            n += (size_t)snprintf(b + n, 1400, "%s{\"state\":%s,\"action\":\"%s\",\"reward\":%g,\"return\":%g}",
                                  t ? "," : "", st, ACTIONS[act], r, g);
            last = act;
            room = (unsigned)((room * 31u + act * 7u + 1u) % ROOMS);
        }
        n += (size_t)snprintf(b + n, 8, "]}\n");
        steps += per_ep;
        if (n >= cap || steps >= want) {
            size_t len;
            int s = http(&c, "POST", "/v1/namespaces/bench/episodes:import", "application/x-ndjson", b, n, &len);
            if (s != 200) {
                fprintf(stderr, "bench serve: import answered %d: %.200s\n", s, s ? c.buf : "(no reply)");
                rc = -1;
            }
            n = 0;
        }
    }
    conn_close(&c);
    free(c.buf);
    free(b);
    return rc;
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static int cmp_ll(const void *x, const void *y)
{
    long long a = *(const long long *)x, b = *(const long long *)y;
    return a < b ? -1 : a > b;
}

/* Every acknowledged id in the export of instance 0; the count missing. */
static long missing_acked(const char *addr, agent *ag, int n_ag, size_t *exported)
{
    conn c = {-1, "", NULL, 0};
    snprintf(c.addr, sizeof c.addr, "%s", addr);
    size_t len = 0;
    long missing = -1;
    if (!conn_open_t(&c, 300) && http(&c, "GET", "/v1/namespaces/bench/episodes", "application/json", "", 0, &len) == 200) {
        size_t n = 0, cap = 1 << 16;
        long long *ids = malloc(cap * sizeof *ids);
        for (const char *p = c.buf; ids && (p = strstr(p, "{\"id\":")); p += 6) {
            if (p != c.buf && p[-1] != '\n') continue;
            if (n == cap) {
                long long *q = realloc(ids, (cap *= 2) * sizeof *ids);
                if (!q) break;
                ids = q;
            }
            ids[n++] = atoll(p + 6);
        }
        qsort(ids, n, sizeof *ids, cmp_ll);
        missing = 0;
        for (int i = 0; i < n_ag; i++)
            for (size_t j = 0; j < ag[i].n_acked; j++)
                if (!bsearch(&ag[i].acked[j], ids, n, sizeof *ids, cmp_ll)) missing++;
        *exported = n;
        free(ids);
    }
    conn_close(&c);
    free(c.buf);
    return missing;
}

int bench_serve(int argc, char **argv)
{
    double seconds = 60;
    int n_agents = 64, n_inst = 1, do_kill = 0;
    const char *memory = NULL, *sizes = "100000,1000000";
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--seconds") && v) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--agents") && v) n_agents = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--instances") && v) n_inst = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && v) sizes = argv[++i];
        else if (!strcmp(argv[i], "--memory") && v) memory = argv[++i];
        else if (!strcmp(argv[i], "--kill")) do_kill = 1;
        else {
            fprintf(stderr, "usage: jitrl bench serve [--seconds N] [--agents N] [--steps N,N,...] [--instances N] "
                            "[--kill] [--memory DIR|postgres://...]\n");
            return 2;
        }
    }
    if (!(seconds >= 1 && seconds <= 3600) || n_agents < 1 || n_agents > MAX_AGENTS || n_inst < 1 ||
        n_inst > MAX_INST || (do_kill && n_inst < 2)) {
        fprintf(stderr, "bench serve: --seconds 1..3600, --agents 1..%d, --instances 1..%d (--kill needs 2)\n",
                MAX_AGENTS, MAX_INST);
        return 2;
    }
    char tmpl[] = "/tmp/jitrl-bench-serve-XXXXXX";
    if (!memory) {
        if (!mkdtemp(tmpl)) {
            perror("bench serve: mkdtemp");
            return 1;
        }
        memory = tmpl;
    }
    signal(SIGPIPE, SIG_IGN);
    inst insts[MAX_INST];
    memset(insts, 0, sizeof insts);
    int rc = 0;
    for (int i = 0; i < n_inst && !rc; i++)
        if (spawn(memory, &insts[i], 1)) {
            fprintf(stderr, "bench serve: instance %d did not start on %s\n", i, memory);
            rc = 1;
        }
    printf("bench serve: %d agents, %d instance(s) on %s, %.0f s per size%s\n", n_agents, n_inst, memory, seconds,
           do_kill ? ", instance 1 SIGKILLed halfway" : "");
    size_t have = 0;
    agent *ag = calloc((size_t)n_agents, sizeof *ag);
    for (const char *p = sizes; !rc && ag && *p;) {
        size_t want = strtoul(p, NULL, 10);
        p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p);
        double t0 = now_s();
        if (want > have && preload(insts[0].addr, have, want, 42 + have)) {
            rc = 1;
            break;
        }
        if (want > have) have = want;
        printf("  %zu stored steps (filled in %.1f s)\n", have, now_s() - t0);
        if (n_inst > 1) usleep(1500000);   /* the other instances pick the fill up */
        double start = now_s();
        pthread_t th[MAX_AGENTS];
        for (int i = 0; i < n_agents; i++) {
            free(ag[i].lat);
            free(ag[i].acked);
            ag[i] = (agent){.no = i, .insts = insts, .n_inst = n_inst, .deadline = start + seconds, .seed = have};
            ag[i].lat = malloc(LAT_CAP * sizeof *ag[i].lat);
            ag[i].cap_acked = 1000000;
            ag[i].acked = malloc(ag[i].cap_acked * sizeof *ag[i].acked);
            pthread_create(&th[i], NULL, agent_main, &ag[i]);
        }
        if (do_kill) {
            usleep((useconds_t)(seconds / 2 * 1e6));
            kill(insts[1].pid, SIGKILL);
            waitpid(insts[1].pid, NULL, 0);
            atomic_store(&insts[1].alive, 0);
            printf("  instance 1 (pid %d) SIGKILLed at %.1f s\n", (int)insts[1].pid, now_s() - start);
        }
        for (int i = 0; i < n_agents; i++) pthread_join(th[i], NULL);
        double el = now_s() - start;
        long dec = 0, eps = 0, errs = 0;
        size_t nl = 0;
        for (int i = 0; i < n_agents; i++) dec += ag[i].decisions, eps += ag[i].episodes, errs += ag[i].errors, nl += ag[i].n_lat;
        double *all = malloc((nl ? nl : 1) * sizeof *all);
        size_t k = 0;
        for (int i = 0; i < n_agents && all; i++)
            for (size_t j = 0; j < ag[i].n_lat; j++) all[k++] = ag[i].lat[j];
        if (all) qsort(all, k, sizeof *all, cmp_d);
        double p50 = k ? all[k / 2] * 1e3 : 0, p99 = k ? all[(size_t)((double)k * 0.99)] * 1e3 : 0;
        free(all);
        printf("  decisions/s %.0f (%.0f per instance)  decide p50 %.3f ms  p99 %.3f ms\n", (double)dec / el,
               (double)dec / el / n_inst, p50, p99);
        printf("  episodes/s %.0f  errors %ld\n", (double)eps / el, errs);
        for (int i = 0; i < n_inst; i++)
            if (atomic_load(&insts[i].alive)) printf("  instance %d peak RSS %.1f MB\n", i, (double)peak_rss_kb(insts[i].pid) / 1024);
        if (n_inst > 1) usleep(1500000);
        size_t exported = 0;
        long miss = missing_acked(insts[0].addr, ag, n_agents, &exported);
        long acked = 0;
        for (int i = 0; i < n_agents; i++) acked += (long)ag[i].n_acked;
        printf("  acknowledged episodes %ld, in the memory %s (%zu episodes exported)\n", acked,
               miss == 0 ? "all" : miss < 0 ? "UNKNOWN (export failed)" : "NOT ALL", exported);
        if (miss) printf("  MISSING %ld acknowledged episodes\n", miss);
        printf("FIGURE bench_serve steps=%zu agents=%d instances=%d decisions_per_s=%.0f p50_ms=%.3f p99_ms=%.3f "
               "episodes_per_s=%.0f errors=%ld missing=%ld\n",
               have, n_agents, n_inst, (double)dec / el, p50, p99, (double)eps / el, errs, miss);
        if (miss) rc = 1;
        have += (size_t)eps * EP_LEN;
        if (do_kill) break;   /* one size: the killed instance is gone */
    }
    for (int i = 0; ag && i < n_agents; i++) {
        free(ag[i].lat);
        free(ag[i].acked);
    }
    free(ag);
    for (int i = 0; i < n_inst; i++)
        if (atomic_load(&insts[i].alive)) {
            kill(insts[i].pid, SIGTERM);
            waitpid(insts[i].pid, NULL, 0);
        }
    if (memory == tmpl) {   /* our scratch directory: the one namespace's files */
        static const char *const files[] = {"bench.db", "bench.db-wal", "bench.db-shm"};
        char path[128];
        for (size_t i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", tmpl, files[i]);
            unlink(path);
        }
        rmdir(tmpl);
    }
    return rc;
}
