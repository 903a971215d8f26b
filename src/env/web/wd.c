/*
 * wd.c -- the WebDriver client (wd.h): chromedriver and chromium as child
 * processes, one session, commands as JSON over src/net/.
 *
 * Processes: chromedriver is spawned in a process group of its own (so
 * stopping it also stops the chromium it started, whose pid the session's
 * capabilities report as goog:processID), with its output in a log file in
 * the environment's temporary directory (quoted in start errors).  Its
 * port is chosen by binding an ephemeral port and releasing it (not every
 * chromedriver accepts --port=0); another process may take it meanwhile, so
 * a driver that exits or never gets ready is retried on a new port.
 */
#include "env/web/wd.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "jitrl/error.h"
#include "net/http.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define WD_MAX_REPLY (64u << 20)
#define WD_PORT_TRIES 4
#define WD_READY_MS 15000

struct wd {
    wd_opts o;
    char chromium[512], chromedriver[512];
    char dir[256];          /* the temporary directory: profile + driver log */
    char base[64];          /* http://127.0.0.1:PORT */
    char session[128];
    pid_t driver, browser;
    int starts;
    net_transport net;
    int have_net;
    char error[64];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

/* The last lines of the driver's log, for an error message. */
static void log_tail(const wd *w, char *out, size_t cap)
{
    out[0] = '\0';
    char path[300];
    snprintf(path, sizeof path, "%s/driver.log", w->dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char buf[2048];
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz > (long)sizeof buf - 1) fseek(f, sz - (long)sizeof buf + 1, SEEK_SET);
        else fseek(f, 0, SEEK_SET);
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\n' || buf[i] == '\r') buf[i] = ' ';
    snprintf(out, cap, "%s", buf + (n > 300 ? n - 300 : 0));
}

static void stop_processes(wd *w)
{
    if (w->browser > 0) kill(w->browser, SIGKILL);
    if (w->driver > 0) {
        kill(-w->driver, SIGKILL);   /* its group: the driver and what it started */
        kill(w->driver, SIGKILL);
        for (int i = 0; i < 200; i++) {   /* bounded: 2 s */
            pid_t r = waitpid(w->driver, NULL, WNOHANG);
            if (r == w->driver || (r < 0 && errno == ECHILD)) break;
            sleep_ms(10);
        }
    }
    w->driver = w->browser = 0;
    w->session[0] = '\0';
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(const char *dir)
{
    if (dir[0]) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *wd_error(const wd *w) { return w ? w->error : ""; }
pid_t wd_browser_pid(const wd *w) { return w ? w->browser : 0; }
pid_t wd_driver_pid(const wd *w) { return w ? w->driver : 0; }
int wd_starts(const wd *w) { return w ? w->starts : 0; }

int wd_alive(wd *w)
{
    if (!w || w->driver <= 0) return 0;
    int st;
    if (waitpid(w->driver, &st, WNOHANG) == w->driver) {
        w->driver = 0;
        return 0;
    }
    if (w->browser > 0 && kill(w->browser, 0) != 0 && errno == ESRCH) return 0;
    /* a killed browser lingers as a zombie until the driver reaps it */
    if (w->browser > 0) {
        char path[64], st_line[256];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)w->browser);
        FILE *f = fopen(path, "r");
        if (!f) return 0;
        size_t n = fread(st_line, 1, sizeof st_line - 1, f);
        fclose(f);
        st_line[n] = '\0';
        const char *p = strrchr(st_line, ')');
        if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) return 0;
    }
    return 1;
}

/* An HTTP exchange with the driver; on JITRL_OK *rs is the caller's. */
static int exchange(wd *w, const char *method, const char *url, const char *body, long timeout_ms,
                    net_response *rs, char *err, size_t errlen)
{
    net_header h[] = {{"Content-Type", "application/json; charset=utf-8"}, {"Expect", NULL}};
    net_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = method;
    rq.url = url;
    rq.headers = h;
    rq.n_headers = 2;
    rq.body = body;
    rq.body_len = body ? strlen(body) : 0;
    rq.timeout_ms = timeout_ms;
    rq.connect_timeout_ms = 2000;
    rq.max_body = WD_MAX_REPLY;
    return net_send(&w->net, &rq, rs, err, errlen);
}

/* The reply's value, or its W3C error (JITRL_ESTATE, w->error set). */
static int read_reply(wd *w, const net_response *rs, json_t **value, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(rs->body, rs->body_len, 0, &je);
    json_t *v = root ? json_object_get(root, "value") : NULL;
    if (!root || !v) {
        snprintf(err, errlen, "WebDriver reply (HTTP %ld) is not JSON with a value: %.120s", rs->status,
                 rs->body);
        json_decref(root);
        return JITRL_EPARSE;
    }
    json_t *e = json_is_object(v) ? json_object_get(v, "error") : NULL;
    if (rs->status >= 400 || json_is_string(e)) {
        const char *code = json_is_string(e) ? json_string_value(e) : "unknown error";
        json_t *m = json_object_get(v, "message");
        snprintf(w->error, sizeof w->error, "%s", code);
        /* chromedriver's messages carry a long stack trace after a newline */
        const char *msg = json_is_string(m) ? json_string_value(m) : "";
        size_t ml = strcspn(msg, "\n");
        if (ml > 300) ml = 300;
        snprintf(err, errlen, "%s: %.*s", code, (int)ml, msg);
        json_decref(root);
        return JITRL_ESTATE;
    }
    if (value) *value = json_incref(v);
    json_decref(root);
    return JITRL_OK;
}

int wd_cmd(wd *w, const char *method, const char *path, json_t *body, json_t **value, long timeout_ms,
           char *err, size_t errlen)
{
    if (value) *value = NULL;
    w->error[0] = '\0';
    if (!w->session[0] && path[0] == '/' && strcmp(path, "/status") != 0) {
        snprintf(err, errlen, "no browser session");
        return JITRL_EHTTP;
    }
    char url[1024];
    if (!strcmp(path, "/status")) snprintf(url, sizeof url, "%s/status", w->base);
    else snprintf(url, sizeof url, "%s/session/%s%s", w->base, w->session, path);
    char *text = NULL;
    if (body) text = json_dumps(body, JSON_COMPACT);
    else if (!strcmp(method, "POST")) text = strdup("{}");
    if ((body || !strcmp(method, "POST")) && !text) return JITRL_ENOMEM;
    net_response rs;
    long to = timeout_ms > 0 ? timeout_ms : w->o.page_load_ms + 5000;
    int rc = exchange(w, method, url, text, to, &rs, err, errlen);
    free(text);
    if (rc) return rc;
    rc = read_reply(w, &rs, value, err, errlen);
    net_response_free(&rs);
    return rc;
}

int wd_script(wd *w, const char *script, json_t *args, json_t **value, char *err, size_t errlen)
{
    json_t *b = json_object();
    if (!b) return JITRL_ENOMEM;
    json_object_set_new(b, "script", json_string(script));
    json_object_set_new(b, "args", args ? json_incref(args) : json_array());
    int rc = wd_cmd(w, "POST", "/execute/sync", b, value, w->o.script_ms + 5000, err, errlen);
    json_decref(b);
    return rc;
}

static pid_t spawn_driver(wd *w, int port, char *err, size_t errlen)
{
    char portarg[32], logpath[300];
    snprintf(portarg, sizeof portarg, "--port=%d", port);
    snprintf(logpath, sizeof logpath, "%s/driver.log", w->dir);
    char *argv[] = {w->chromedriver, portarg, "--allowed-ips=127.0.0.1", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_init(&at);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    int e = posix_spawn(&pid, w->chromedriver, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e) {
        snprintf(err, errlen, "cannot start %s: %s", w->chromedriver, strerror(e));
        return -1;
    }
    return pid;
}

/* Wait (bounded) for the driver's /status to say ready: 0 ready, 1 it
 * exited or never got ready (try another port). */
static int wait_ready(wd *w)
{
    double t0 = now_ms();
    while (now_ms() - t0 < WD_READY_MS) {
        int st;
        if (waitpid(w->driver, &st, WNOHANG) == w->driver) {
            w->driver = 0;
            return 1;
        }
        net_response rs;
        char e[256];
        char url[128];
        snprintf(url, sizeof url, "%s/status", w->base);
        if (exchange(w, "GET", url, NULL, 1000, &rs, e, sizeof e) == JITRL_OK) {
            int ready = strstr(rs.body, "\"ready\":true") != NULL;
            net_response_free(&rs);
            if (ready) return 0;
        }
        sleep_ms(20);
    }
    return 1;
}

static int new_session(wd *w, char *err, size_t errlen)
{
    char prof[300];
    snprintf(prof, sizeof prof, "--user-data-dir=%s/profile%d", w->dir, w->starts);
    json_t *args = json_array();
    json_array_append_new(args, json_string(prof));
    if (!w->o.headful) json_array_append_new(args, json_string("--headless=new"));
    if (geteuid() == 0) json_array_append_new(args, json_string("--no-sandbox"));
    const char *fixed[] = {"--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                           "--no-default-browser-check", "--disable-extensions",
                           "--disable-background-networking", "--disable-sync", "--disable-translate",
                           "--disable-component-update", "--metrics-recording-only", "--mute-audio",
                           "--window-size=1280,900", "--proxy-server=direct://", "--proxy-bypass-list=*"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) json_array_append_new(args, json_string(fixed[i]));
    json_t *copts = json_pack("{s:s, s:o}", "binary", w->chromium, "args", args);
    json_t *always = json_pack("{s:s, s:o, s:s, s:{s:I, s:I, s:i}}", "browserName", "chrome",
                               "goog:chromeOptions", copts, "unhandledPromptBehavior", "ignore", "timeouts",
                               "pageLoad", (json_int_t)w->o.page_load_ms, "script", (json_int_t)w->o.script_ms,
                               "implicit", 0);
    json_t *body = json_pack("{s:{s:o}}", "capabilities", "alwaysMatch", always);
    if (!body) return JITRL_ENOMEM;
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) return JITRL_ENOMEM;
    char url[128];
    snprintf(url, sizeof url, "%s/session", w->base);
    net_response rs;
    int rc = exchange(w, "POST", url, text, 60000, &rs, err, errlen);
    free(text);
    if (rc) return rc;
    json_t *v = NULL;
    rc = read_reply(w, &rs, &v, err, errlen);
    net_response_free(&rs);
    if (rc) return rc;
    json_t *sid = json_object_get(v, "sessionId");
    json_t *caps = json_object_get(v, "capabilities");
    json_t *pid = caps ? json_object_get(caps, "goog:processID") : NULL;
    if (!json_is_string(sid) || strlen(json_string_value(sid)) >= sizeof w->session) {
        json_decref(v);
        snprintf(err, errlen, "WebDriver new session: no sessionId in the reply");
        return JITRL_EPARSE;
    }
    snprintf(w->session, sizeof w->session, "%s", json_string_value(sid));
    w->browser = json_is_integer(pid) ? (pid_t)json_integer_value(pid) : 0;
    json_decref(v);
    return JITRL_OK;
}

/* Driver + browser + session, the port retried on collision. */
static int start(wd *w, char *err, size_t errlen)
{
    int rc = JITRL_EIO;
    for (int attempt = 0; attempt < WD_PORT_TRIES; attempt++) {
        int port = free_port();
        if (port <= 0) {
            snprintf(err, errlen, "no free loopback port: %s", strerror(errno));
            return JITRL_EIO;
        }
        snprintf(w->base, sizeof w->base, "http://127.0.0.1:%d", port);
        w->driver = spawn_driver(w, port, err, errlen);
        if (w->driver < 0) {
            w->driver = 0;
            return JITRL_EIO;
        }
        if (wait_ready(w)) {
            char tail[320];
            log_tail(w, tail, sizeof tail);
            snprintf(err, errlen, "%s did not get ready on port %d: %s", w->chromedriver, port, tail);
            stop_processes(w);
            rc = JITRL_EIO;
            continue;
        }
        w->starts++;
        rc = new_session(w, err, errlen);
        if (rc == JITRL_OK) return JITRL_OK;
        stop_processes(w);
        if (rc == JITRL_ENOMEM) return rc;
    }
    return rc;
}

int wd_open(const wd_opts *o, wd **out, char *err, size_t errlen)
{
    *out = NULL;
    wd *w = jr_calloc(1, sizeof *w);
    if (!w) return JITRL_ENOMEM;
    w->o = *o;
    if (w->o.page_load_ms <= 0) w->o.page_load_ms = 10000;
    if (w->o.script_ms <= 0) w->o.script_ms = 5000;
    snprintf(w->chromium, sizeof w->chromium, "%s", o->chromium ? o->chromium : "/usr/bin/chromium");
    snprintf(w->chromedriver, sizeof w->chromedriver, "%s",
             o->chromedriver ? o->chromedriver : "/usr/bin/chromedriver");
    w->o.chromium = w->chromium;
    w->o.chromedriver = w->chromedriver;
    int rc = JITRL_EIO;
    if (access(w->chromedriver, X_OK) != 0 || access(w->chromium, X_OK) != 0) {
        snprintf(err, errlen, "%s or %s is missing (scripts/bootstrap.sh installs chromium and chromium-driver)",
                 w->chromium, w->chromedriver);
        jr_free(w);
        return JITRL_EUNSUPPORTED;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(w->dir, sizeof w->dir, "%s/jitrl-web-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(w->dir)) {
        snprintf(err, errlen, "cannot make a temporary profile directory: %s", strerror(errno));
        w->dir[0] = '\0';
        goto fail;
    }
    if ((rc = net_curl_open(&w->net, err, errlen))) goto fail;
    w->have_net = 1;
    if ((rc = start(w, err, errlen))) goto fail;
    *out = w;
    return JITRL_OK;
fail:
    wd_close(w);
    return rc;
}

int wd_restart(wd *w, char *err, size_t errlen)
{
    stop_processes(w);
    char prof[300];
    snprintf(prof, sizeof prof, "%s/profile%d", w->dir, w->starts - 1);
    remove_dir(prof);
    return start(w, err, errlen);
}

void wd_close(wd *w)
{
    if (!w) return;
    if (w->session[0] && w->driver > 0 && wd_alive(w)) {
        char e[128];
        wd_cmd(w, "DELETE", "", NULL, NULL, 5000, e, sizeof e);
    }
    stop_processes(w);
    if (w->have_net) net_transport_close(&w->net);
    remove_dir(w->dir);
    jr_free(w);
}

/* ---- memory of the process trees, from /proc ---- */

/* A process's proportional set size (shared pages split among their
 * users, so a tree's sum is what it really costs), or its RSS where
 * smaps_rollup is unreadable; and its parent. */
static long rss_of(int pid, int *ppid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long rss = 0;
    *ppid = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "PPid:", 5)) *ppid = (int)strtol(line + 5, NULL, 10);
        else if (!strncmp(line, "VmRSS:", 6)) rss = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    if ((f = fopen(path, "r"))) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "Pss:", 4)) {
                rss = strtol(line + 4, NULL, 10);
                break;
            }
        fclose(f);
    }
    return rss;
}

long wd_rss_kb(const wd *w)
{
    if (!w || w->driver <= 0) return 0;
    /* two passes over /proc: parents, then the descendants of the driver */
    enum { MAXP = 4096 };
    int *pid = jr_malloc(MAXP * sizeof *pid), *par = jr_malloc(MAXP * sizeof *par);
    long *rss = jr_malloc(MAXP * sizeof *rss);
    unsigned char *in = jr_calloc(MAXP, 1);
    long total = 0;
    DIR *d = opendir("/proc");
    if (!pid || !par || !rss || !in || !d) goto out;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < MAXP) {
        char *end;
        long p = strtol(de->d_name, &end, 10);
        if (*end || p <= 0) continue;
        int pp;
        long r = rss_of((int)p, &pp);
        if (r < 0) continue;
        pid[n] = (int)p, par[n] = pp, rss[n] = r, n++;
    }
    for (size_t i = 0; i < n; i++)
        if (pid[i] == w->driver || pid[i] == w->browser) in[i] = 1;
    for (int changed = 1, round = 0; changed && round < 32; round++) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (in[i]) continue;
            for (size_t j = 0; j < n; j++)
                if (in[j] && pid[j] == par[i]) {
                    in[i] = 1;
                    changed = 1;
                    break;
                }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (in[i]) total += rss[i];
out:
    if (d) closedir(d);
    jr_free(pid), jr_free(par), jr_free(rss), jr_free(in);
    return total;
}
