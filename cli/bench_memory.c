/*
 * bench_memory.c -- `jitrl bench memory [--json] [--sizes N,N,...]
 * [--queries N] [--seed N]`: decision latency (retrieve + estimate +
 * update), index recall against the exact scan, ingest rate and RAM per
 * stored step, on a synthetic text-game memory grown to each size.
 *
 * The synthetic world is shaped like a parser game so the numbers mean
 * something for Jericho: a few hundred rooms with 20-40 word descriptions
 * drawn from a shared and a room-specific vocabulary, objects to take and
 * drop, a bounded inventory, exits, sparse rewards.  Episodes are random
 * walks from the start room; a state is {current: room + visible objects +
 * inventory, history: the last four actions}, the fields the agent uses.
 * Queries are states of fresh episodes (not stored), as at play time.
 * The memory is in RAM (NULL path) and grown incrementally; ingest is timed
 * over add_episode calls only.
 *
 * --memory URI grows it in that store instead (a namespace of its own,
 * --ns, default bench-PID) and reports the process's peak RSS at each size
 * (what one instance holding that memory needs) and how long a second
 * handle takes to load it; --writers N first has N handles -- each its own
 * connection and index, as N instances of a fleet -- record episodes of
 * FLEET_LEN steps into one namespace at once for --seconds S, and reports
 * episodes/s across them.
 */
#include "cli.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jitrl.h"

#define ROOMS 400
#define OBJS_PER_ROOM 3
#define NOBJ (ROOMS * OBJS_PER_ROOM)
#define MAX_INV 3
#define HIST 4

typedef struct world {
    char *room_text[ROOMS];
    int exits[ROOMS][4];
    char *obj_name[NOBJ];
    int treasure[NOBJ];
} world;

typedef struct walker {      /* one episode in progress */
    int room;
    int where[NOBJ];         /* room, or -1 carried */
    int inv[MAX_INV], n_inv;
    char hist[HIST][64];
    int n_hist;
    char current[2048], history[512];
    char cand[16][64];
    int n_cand;
} walker;

static uint64_t rnd(jitrl_rng *r, uint64_t n) { return jitrl_rng_next(r) % n; }

static void make_word(jitrl_rng *r, char *w, size_t cap)
{
    static const char *const syl[] = {"ka", "lo", "ri", "tan", "mu", "se", "dor", "vi", "nel", "pa", "gro", "shi",
                                      "el", "wen", "th", "ar", "bu", "cy", "fe", "om"};
    size_t n = 2 + rnd(r, 2);
    w[0] = '\0';
    for (size_t i = 0; i < n; i++) strncat(w, syl[rnd(r, 20)], cap - strlen(w) - 1);
}

static int world_make(world *w, uint64_t seed)
{
    jitrl_rng r;
    jitrl_rng_seed(&r, seed);
    static char common[300][16];
    for (int i = 0; i < 300; i++) make_word(&r, common[i], sizeof common[i]);
    memset(w, 0, sizeof *w);
    for (int i = 0; i < ROOMS; i++) {
        char own[12][16], buf[1024] = "";
        for (int j = 0; j < 12; j++) make_word(&r, own[j], sizeof own[j]);
        size_t len = (size_t)snprintf(buf, sizeof buf, "%s %s.", own[0], own[1]);
        int nw = 20 + (int)rnd(&r, 21);
        for (int j = 0; j < nw && len < sizeof buf - 20; j++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, " %s",
                                    rnd(&r, 10) < 6 ? common[rnd(&r, 300)] : own[2 + rnd(&r, 10)]);
        w->room_text[i] = strdup(buf);
        if (!w->room_text[i]) return -1;
        for (int d = 0; d < 4; d++) w->exits[i][d] = rnd(&r, 4) == 0 ? -1 : (int)((i + ROOMS + (int)rnd(&r, 11) - 5) % ROOMS);
    }
    for (int o = 0; o < NOBJ; o++) {
        char a[16], b[16], buf[40];
        make_word(&r, a, sizeof a);
        make_word(&r, b, sizeof b);
        snprintf(buf, sizeof buf, "%s %s", a, b);
        w->obj_name[o] = strdup(buf);
        if (!w->obj_name[o]) return -1;
        w->treasure[o] = rnd(&r, 8) == 0;
    }
    return 0;
}

static void world_free(world *w)
{
    for (int i = 0; i < ROOMS; i++) free(w->room_text[i]);
    for (int o = 0; o < NOBJ; o++) free(w->obj_name[o]);
}

static const char *const dirs[4] = {"north", "south", "east", "west"};

/* Render the state and the valid actions of w's position. */
static void render(const world *wd, walker *w)
{
    size_t len = (size_t)snprintf(w->current, sizeof w->current, "%s", wd->room_text[w->room]);
    int first = 1;
    w->n_cand = 0;
    for (int o = w->room * OBJS_PER_ROOM; o < (w->room + 1) * OBJS_PER_ROOM; o++) {
        if (w->where[o] != w->room) continue;
        len += (size_t)snprintf(w->current + len, sizeof w->current - len, "%s %s", first ? " You can see a" : ", a",
                                wd->obj_name[o]);
        first = 0;
        if (w->n_inv < MAX_INV) snprintf(w->cand[w->n_cand++], 64, "take %s", wd->obj_name[o]);
    }
    len += (size_t)snprintf(w->current + len, sizeof w->current - len, ". You are carrying");
    if (!w->n_inv) len += (size_t)snprintf(w->current + len, sizeof w->current - len, " nothing");
    for (int i = 0; i < w->n_inv; i++) {
        len += (size_t)snprintf(w->current + len, sizeof w->current - len, "%s a %s", i ? "," : "",
                                wd->obj_name[w->inv[i]]);
        snprintf(w->cand[w->n_cand++], 64, "drop %s", wd->obj_name[w->inv[i]]);
    }
    snprintf(w->current + len, sizeof w->current - len, ".");
    for (int d = 0; d < 4; d++)
        if (wd->exits[w->room][d] >= 0) snprintf(w->cand[w->n_cand++], 64, "go %s", dirs[d]);
    snprintf(w->cand[w->n_cand++], 64, "look");
    len = 0;
    w->history[0] = '\0';
    for (int i = 0; i < w->n_hist; i++)
        len += (size_t)snprintf(w->history + len, sizeof w->history - len, "%s%s", i ? ", " : "", w->hist[i]);
}

static void walker_start(const world *wd, walker *w)
{
    memset(w, 0, sizeof *w);
    for (int o = 0; o < NOBJ; o++) w->where[o] = o / OBJS_PER_ROOM;
    render(wd, w);
}

/* Apply candidate c; returns the reward. */
static double walker_act(const world *wd, walker *w, int c)
{
    char a[64];
    memcpy(a, w->cand[c], sizeof a);
    double reward = 0;
    if (!strncmp(a, "go ", 3)) {
        for (int d = 0; d < 4; d++)
            if (!strcmp(a + 3, dirs[d])) w->room = wd->exits[w->room][d];
    } else if (!strncmp(a, "take ", 5)) {
        for (int o = w->room * OBJS_PER_ROOM; o < (w->room + 1) * OBJS_PER_ROOM; o++)
            if (w->where[o] == w->room && !strcmp(a + 5, wd->obj_name[o]) && w->n_inv < MAX_INV) {
                w->where[o] = -1;
                w->inv[w->n_inv++] = o;
                reward = wd->treasure[o] ? 10 : 0;
                break;
            }
    } else if (!strncmp(a, "drop ", 5)) {
        for (int i = 0; i < w->n_inv; i++)
            if (!strcmp(a + 5, wd->obj_name[w->inv[i]])) {
                w->where[w->inv[i]] = w->room;
                w->inv[i] = w->inv[--w->n_inv];
                break;
            }
    }
    if (w->n_hist == HIST) {
        memmove(w->hist[0], w->hist[1], sizeof w->hist[0] * (HIST - 1));
        w->n_hist--;
    }
    snprintf(w->hist[w->n_hist++], sizeof w->hist[0], "%s", a);
    render(wd, w);
    return reward;
}

/* A random policy that prefers moving, so episodes spread out. */
static int pick(jitrl_rng *r, const walker *w)
{
    if (rnd(r, 3)) {
        int moves[4], n = 0;
        for (int i = 0; i < w->n_cand; i++)
            if (!strncmp(w->cand[i], "go ", 3)) moves[n++] = i;
        if (n) return moves[rnd(r, (uint64_t)n)];
    }
    return (int)rnd(r, (uint64_t)w->n_cand);
}

typedef struct ep_buf {
    jitrl_step steps[160];
    jitrl_field fields[160][2];
    char *cur[160], *hist[160], *act[160];
    size_t n;
} ep_buf;

static void ep_clear(ep_buf *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->cur[i]);
        free(e->hist[i]);
        free(e->act[i]);
    }
    e->n = 0;
}

static int ep_make(const world *wd, jitrl_rng *r, ep_buf *e, size_t len)
{
    walker w;
    walker_start(wd, &w);
    ep_clear(e);
    for (size_t t = 0; t < len && t < 160; t++) {
        int c = pick(r, &w);
        e->cur[t] = strdup(w.current);
        e->hist[t] = strdup(w.history);
        e->act[t] = strdup(w.cand[c]);
        e->n = t + 1;
        if (!e->cur[t] || !e->hist[t] || !e->act[t]) return -1;
        e->fields[t][0] = (jitrl_field){"current", e->cur[t]};
        e->fields[t][1] = (jitrl_field){"history", e->hist[t]};
        e->steps[t].state = (jitrl_state){e->fields[t], 2};
        e->steps[t].action = e->act[t];
        e->steps[t].reward = walker_act(wd, &w, c);
    }
    return 0;
}

static clockid_t lat_clock = CLOCK_MONOTONIC;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(lat_clock, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
    return res * sysconf(_SC_PAGESIZE);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct size_res {
    size_t steps, distinct;
    double p50, p99, recall, mean_neigh, mean_scored;
    size_t recall_n;
    long peak_rss;    /* the process's peak RSS once the memory held `steps` */
    double load_s;    /* --memory: a second handle's open (loads the whole index) */
} size_res;

/* Random query states: positions reached by fresh walks. */
static int make_queries(const world *wd, jitrl_rng *r, walker *qs, size_t nq)
{
    for (size_t i = 0; i < nq; i++) {
        walker_start(wd, &qs[i]);
        size_t len = rnd(r, 60);
        for (size_t t = 0; t < len; t++) walker_act(wd, &qs[i], pick(r, &qs[i]));
    }
    return 0;
}

static int measure(jitrl_memory *mem, const walker *qs, size_t nq, size_t n_recall, size_res *out)
{
    jitrl_params p, px;
    jitrl_params_default(&p, "text");
    jitrl_rng rng;
    jitrl_rng_seed(&rng, 7);
    double *lat = malloc(nq * sizeof *lat);
    if (!lat) return -1;
    double neigh = 0, scored = 0;
    for (size_t i = 0; i < nq; i++) {
        const walker *w = &qs[i];
        jitrl_field f[2] = {{"current", w->current}, {"history", w->history}};
        jitrl_state st = {f, 2};
        const char *cand[16];
        for (int c = 0; c < w->n_cand; c++) cand[c] = w->cand[c];
        double t0 = now_s();
        jitrl_decision *d = NULL;
        int rc = jitrl_decide(mem, &p, &st, cand, NULL, (size_t)w->n_cand, &rng, &d);
        if (!rc) neigh += (double)d->n_neighbours, scored += (double)d->candidates_scored;
        jitrl_decision_free(d);
        lat[i] = (now_s() - t0) * 1e6;
        if (rc) {
            fprintf(stderr, "bench memory: decide: %s (%s)\n", jitrl_strerror(rc), jitrl_memory_errmsg(mem));
            free(lat);
            return -1;
        }
    }
    qsort(lat, nq, sizeof *lat, cmp_d);
    out->p50 = lat[nq / 2];
    out->p99 = lat[(size_t)((double)nq * 0.99)];
    out->mean_neigh = neigh / (double)nq;
    out->mean_scored = scored / (double)nq;
    free(lat);
    /* Recall of the index against the exact scan, per query, over the
     * neighbour step ids (ties are broken the same way by both). */
    px = p;
    px.exact = 1;
    px.mode = p.mode = JITRL_MODE_ARGMAX;
    px.lambda = p.lambda = 0;
    double rsum = 0;
    size_t rn = 0;
    for (size_t i = 0; i < n_recall && i < nq; i++) {
        const walker *w = &qs[i];
        jitrl_field f[2] = {{"current", w->current}, {"history", w->history}};
        jitrl_state st = {f, 2};
        const char *cand[16];
        for (int c = 0; c < w->n_cand; c++) cand[c] = w->cand[c];
        jitrl_decision *a = NULL, *b = NULL;
        if (jitrl_decide(mem, &p, &st, cand, NULL, (size_t)w->n_cand, NULL, &a) ||
            jitrl_decide(mem, &px, &st, cand, NULL, (size_t)w->n_cand, NULL, &b)) {
            jitrl_decision_free(a);
            jitrl_decision_free(b);
            return -1;
        }
        if (b->n_listed) {
            size_t hit = 0;
            for (size_t x = 0; x < b->n_listed; x++)
                for (size_t y = 0; y < a->n_listed; y++)
                    if (a->neighbours[y].step_id == b->neighbours[x].step_id) { hit++; break; }
            rsum += (double)hit / (double)b->n_listed;
            rn++;
        }
        jitrl_decision_free(a);
        jitrl_decision_free(b);
    }
    /* no query with neighbours measures nothing: 0, so a recall check fails
     * rather than passing on an empty sample (recall_n says why) */
    out->recall = rn ? rsum / (double)rn : 0.0;
    out->recall_n = rn;
    return 0;
}

/* The process's peak resident set (VmHWM), in bytes. */
static long peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb * 1024;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define FLEET_LEN 10
#define FLEET_MAX_WRITERS 64

typedef struct fleet_w {
    const world *wd;
    const char *uri, *ns;
    double secs;
    uint64_t seed;
    size_t episodes;
    int rc;
    char err[512];
} fleet_w;

static void *fleet_main(void *p)
{
    fleet_w *f = p;
    jitrl_memory_options o;
    jitrl_memory_options_init(&o);
    o.ns = f->ns;
    jitrl_memory *m = NULL;
    ep_buf *eb = calloc(1, sizeof *eb);
    if (!eb) {
        f->rc = JITRL_ENOMEM;
        return NULL;
    }
    f->rc = jitrl_memory_open(f->uri, &o, &m, f->err, sizeof f->err);
    jitrl_rng r;
    jitrl_rng_seed(&r, f->seed);
    double end = mono_s() + f->secs;
    while (!f->rc && mono_s() < end && f->episodes < 100000000) {
        if (ep_make(f->wd, &r, eb, FLEET_LEN)) {
            f->rc = JITRL_ENOMEM;
            break;
        }
        jitrl_episode_info info = {"fleet", 0, 0};
        if ((f->rc = jitrl_memory_add_episode(m, &info, eb->steps, eb->n, 0.5, NULL)))
            snprintf(f->err, sizeof f->err, "%s", jitrl_memory_errmsg(m));
        else f->episodes++;
    }
    jitrl_memory_close(m);
    ep_clear(eb);
    free(eb);
    return NULL;
}

/* N writers on one namespace for secs seconds: episodes/s (0 on failure). */
static double fleet_ingest(const world *wd, const char *uri, const char *ns, int writers, double secs, int json,
                           size_t *total)
{
    fleet_w w[FLEET_MAX_WRITERS];
    pthread_t th[FLEET_MAX_WRITERS];
    int started = 0;
    double t0 = mono_s();
    for (int i = 0; i < writers; i++) {
        w[i] = (fleet_w){wd, uri, ns, secs, 1000 + (uint64_t)i, 0, 0, ""};
        if (pthread_create(&th[i], NULL, fleet_main, &w[i])) break;
        started++;
    }
    *total = 0;
    int bad = started < writers;
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        *total += w[i].episodes;
        if (w[i].rc) {
            fprintf(stderr, "bench memory: writer %d: %s\n", i, w[i].err);
            bad = 1;
        }
    }
    double dt = mono_s() - t0, rate = dt > 0 ? (double)*total / dt : 0;
    if (!json)
        printf("fleet ingest: %d writers recorded %zu episodes of %d steps in %.1f s: %.0f episodes/s (%.0f steps/s)\n",
               writers, *total, FLEET_LEN, dt, rate, rate * FLEET_LEN);
    return bad ? 0 : rate;
}

static int parse_sizes(const char *s, size_t *sizes, size_t *n)
{
    *n = 0;
    while (*s && *n < 8) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 1 || v > 2e7) return -1;
        sizes[(*n)++] = (size_t)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return *n ? 0 : -1;
}

int bench_memory(int argc, char **argv)
{
    int json = 0;
    size_t sizes[8] = {1000, 10000, 100000, 1000000}, n_sizes = 4, nq = 2000, n_recall = 200;
    uint64_t seed = 1;
    const char *uri = NULL, *ns = NULL;
    char nsbuf[64];
    int writers = 0;
    double secs = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--memory") && i + 1 < argc) uri = argv[++i];
        else if (!strcmp(argv[i], "--ns") && i + 1 < argc) ns = argv[++i];
        else if (!strcmp(argv[i], "--writers") && i + 1 < argc) {
            writers = atoi(argv[++i]);
            if (writers < 1 || writers > FLEET_MAX_WRITERS) goto usage;
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            secs = strtod(argv[++i], NULL);
            if (!(secs > 0 && secs <= 3600)) goto usage;
        }
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            if (parse_sizes(argv[++i], sizes, &n_sizes)) goto usage;
        } else if (!strcmp(argv[i], "--queries") && i + 1 < argc) {
            nq = strtoul(argv[++i], NULL, 10);
            if (nq < 10 || nq > 1000000) goto usage;
        } else if (!strcmp(argv[i], "--cpu")) {
            lat_clock = CLOCK_THREAD_CPUTIME_ID;   /* immune to a loaded machine's scheduling */
        } else if (!strcmp(argv[i], "--recall") && i + 1 < argc) {
            n_recall = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else goto usage;
    }
    static world wd;
    walker *qs = calloc(nq, sizeof *qs);
    ep_buf *eb = calloc(1, sizeof *eb);
    jitrl_memory *mem = NULL;
    size_res res[8];
    int status = 1;
    char err[256];
    if (!qs || !eb || world_make(&wd, seed)) {
        fprintf(stderr, "bench memory: out of memory\n");
        goto out;
    }
    if (writers && !uri) goto usage;
    if (!ns) {
        snprintf(nsbuf, sizeof nsbuf, "bench-%ld", (long)getpid());
        ns = nsbuf;
    }
    const char *mem_kind = uri ? "the store" : "RAM";
    double fleet_rate = 0;
    size_t fleet_total = 0;
    if (writers) {
        char fns[128];
        snprintf(fns, sizeof fns, "%s-fleet", ns);
        if (!(fleet_rate = fleet_ingest(&wd, uri, fns, writers, secs, json, &fleet_total))) goto out;
    }
    long rss0 = rss_bytes();
    jitrl_memory_options mo;
    jitrl_memory_options_init(&mo);
    mo.ns = uri ? ns : NULL;
    int rc = jitrl_memory_open(uri, &mo, &mem, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench memory: open: %s\n", err);
        goto out;
    }
    jitrl_rng r;
    jitrl_rng_seed(&r, seed * 7919 + 1);
    make_queries(&wd, &r, qs, nq);
    size_t stored = 0;
    double ingest_s = 0;
    for (size_t si = 0; si < n_sizes; si++) {
        while (stored < sizes[si]) {
            size_t len = 40 + rnd(&r, 80);
            if (len > sizes[si] - stored) len = sizes[si] - stored;
            if (ep_make(&wd, &r, eb, len)) goto out;
            jitrl_episode_info info = {"synthetic", 0, 1700000000 + (int64_t)stored};
            double t0 = now_s();
            rc = jitrl_memory_add_episode(mem, &info, eb->steps, eb->n, 0.5, NULL);
            ingest_s += now_s() - t0;
            if (rc) {
                fprintf(stderr, "bench memory: add: %s\n", jitrl_memory_errmsg(mem));
                goto out;
            }
            stored += eb->n;
        }
        res[si].steps = stored;
        jitrl_memory_stats stx;
        if (jitrl_memory_stats_get(mem, &stx)) {
            fprintf(stderr, "bench memory: stats: %s\n", jitrl_memory_errmsg(mem));
            goto out;
        }
        res[si].distinct = stx.distinct_states;
        if (measure(mem, qs, nq, n_recall, &res[si])) goto out;
        res[si].peak_rss = peak_rss_bytes();
        if (uri) {   /* what an instance starting on this memory does: load it all */
            jitrl_memory *m2 = NULL;
            double t0 = mono_s();
            rc = jitrl_memory_open(uri, &mo, &m2, err, sizeof err);
            res[si].load_s = mono_s() - t0;
            jitrl_memory_close(m2);
            if (rc) {
                fprintf(stderr, "bench memory: reopen: %s\n", err);
                goto out;
            }
            if (!json)
                printf("%8zu steps in %s: peak RSS %.1f MiB; a second handle loads them in %.2f s\n", stored, mem_kind,
                       res[si].peak_rss / 1048576.0, res[si].load_s);
        }
        if (!json)
            printf("%8zu steps (%zu distinct states): p50 %.2f us  p99 %.2f us  index recall %.4f (%zu queries "
                   "with neighbours)  mean |N| %.1f  states scored %.1f\n",
                   stored, res[si].distinct, res[si].p50, res[si].p99, res[si].recall, res[si].recall_n,
                   res[si].mean_neigh, res[si].mean_scored);
        fflush(stdout);
    }
    double ingest = ingest_s > 0 ? (double)stored / ingest_s : 0;
    double per_step = stored ? (double)(rss_bytes() - rss0) / (double)stored : 0;
    if (json) {
        printf("{\"sizes\": [");
        for (size_t si = 0; si < n_sizes; si++)
            printf("%s{\"steps\": %zu, \"p50_us\": %.3f, \"p99_us\": %.3f, \"index_recall\": %.4f, "
                   "\"distinct_states\": %zu, \"mean_neighbours\": %.2f, \"states_scored\": %.1f}",
                   si ? ", " : "", res[si].steps, res[si].p50, res[si].p99, res[si].recall, res[si].distinct,
                   res[si].mean_neigh, res[si].mean_scored);
        printf("], \"ingest_steps_per_s\": %.0f, \"rss_bytes_per_step\": %.1f, \"queries\": %zu", ingest,
               per_step, nq);
        if (uri) {
            printf(", \"store\": true, \"peak_rss_bytes\": [");
            for (size_t si = 0; si < n_sizes; si++) printf("%s%ld", si ? ", " : "", res[si].peak_rss);
            printf("], \"load_s\": [");
            for (size_t si = 0; si < n_sizes; si++) printf("%s%.3f", si ? ", " : "", res[si].load_s);
            printf("]");
        }
        if (writers)
            printf(", \"fleet_writers\": %d, \"fleet_episodes\": %zu, \"fleet_episodes_per_s\": %.0f", writers,
                   fleet_total, fleet_rate);
        printf("}\n");
    } else {
        printf("ingest: %.0f steps/s\nRSS per stored step: %.1f bytes (%s)\n", ingest, per_step,
               uri ? "the index and the store's client" : "SQLite in RAM + index");
    }
    status = 0;
out:
    jitrl_memory_close(mem);
    if (eb) ep_clear(eb);
    free(eb);
    free(qs);
    world_free(&wd);
    return status;
usage:
    fprintf(stderr, "usage: jitrl bench memory [--json] [--sizes N,N,...] [--queries N] [--recall N] [--seed N] [--cpu]\n"
                    "                          [--memory URI [--ns NAME] [--writers N --seconds S]]\n");
    return 2;
}
