/*
 * llm_server.c -- a scripted OpenAI-compatible chat-completions server on
 * loopback, for testing the model backend and the agent offline.
 *
 * Why it exists: a real endpoint is slow, paid, non-deterministic and
 * cannot be made to fail on cue.  This one answers in microseconds, knows
 * which commands it "likes", fails exactly when told to, and checks that
 * every request has the exact documented shape, so a client bug shows up
 * as HTTP 400 rather than as a silently different experiment.
 *
 * Usage: llm_server [flags]
 *   --port N            port on 127.0.0.1 (default 0 = ephemeral).  The
 *                       bound port is printed on stdout as "PORT N".
 *   --port-file FILE    also write the port number to FILE (for scripts).
 *   --mode M            oracle | uniform | adversarial | sequence (default oracle)
 *                         oracle: candidates listed in --prefer get the
 *                           highest logprobs (earlier in the file = higher);
 *                         uniform: every label ln(1/m);
 *                         adversarial: preferred commands get the lowest
 *                           logprobs (without --prefer: the last label wins);
 *                         sequence: --prefer is a walkthrough; the server
 *                           finds where the prompt's "Recent actions" leave
 *                           off in it and prefers the next command.
 *                       Commands are compared lower-cased with the usual
 *                       abbreviations expanded (n, get, x, i, go north...).
 *   --prefer FILE       preferred commands, one per line (a walkthrough works),
 *                       compared case-insensitively with the candidate text.
 *   --faults LIST       comma list of faults for the rotation (default: all
 *                       of delay,429,500,truncated,cut,garbage,nologprobs,
 *                       empty,badlabel)
 *   --fault-every N     every Nth chat request gets the next fault of the
 *                       rotation (default 0 = never)
 *   --delay-ms N        how long the "delay" fault stalls (default 3000)
 *   --retry-after S     Retry-After seconds sent with 429 (default 1)
 *   --require-key KEY   answer 401 unless "Authorization: Bearer KEY"
 *   --model NAME        answer 404 model_not_found for any other model
 *   --echo-headers STATUS  answer every chat request with STATUS and an
 *                       error message quoting all its headers (the
 *                       Authorization one too), as careless servers do
 *   --allow-extra KEY   accept this extra top-level request member
 *                       (repeatable; e.g. provider for OpenRouter)
 *   --stats-file FILE   write the stats JSON there on exit
 *   --max-seconds N     exit by itself after N seconds (default 900)
 *
 * Faults: delay (stall, then answer), 429 (with Retry-After), 500, 401,
 * 404, truncated (200 with half a JSON body), cut (the connection drops
 * mid-body), garbage (200 with non-JSON bytes), nologprobs (a valid answer
 * without logprobs), empty (empty content and top list), badlabel (the
 * answer and top list hold no label).
 *
 * Endpoints:
 *   POST /v1/chat/completions  the API.  Request checks: JSON object with
 *        exactly model (non-empty string), messages (non-empty array of
 *        {role: system|user|assistant, content: string}), max_tokens
 *        (integer >= 1), temperature (number 0..2), logprobs (boolean) and,
 *        iff logprobs is true, top_logprobs (integer 0..20); any other
 *        member unless --allow-extra.  A bad request gets 400 with the
 *        reason in {"error":{"message":...}}.
 *        The request kind is read from the prompt: logprobs true = token
 *        prior; "confidence (0-100)" = verbal; "Propose N" = propose;
 *        "Score every step" = evaluator.
 *   GET /stats            counters as JSON (requests, chat, ok, bad_request,
 *                         auth_fail, faults by name, kinds, tokens)
 *   GET /last             the body of the last chat request, verbatim
 *   GET /control?fault=NAME&count=N   the next N chat requests get NAME
 *   GET /control?mode=M   switch the answer mode
 *   GET /control?reset=1  zero the counters and the fault queue
 *   GET /control?retry_after=S   Retry-After seconds for later 429s
 *   Prompt tokens are counted as ceil(chars/4)+3 per message, roughly
 *   what BPE tokenizers give for English.
 */
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (1u << 20)
#define MAX_PREFER 4096
#define MAX_CANDS 64

enum fault {
    F_NONE, F_DELAY, F_429, F_500, F_401, F_404, F_TRUNC, F_CUT, F_GARBAGE, F_NOLOGPROBS,
    F_EMPTY, F_BADLABEL, F_COUNT
};
static const char *const FAULT_NAMES[F_COUNT] = {
    "none", "delay", "429", "500", "401", "404", "truncated", "cut", "garbage", "nologprobs",
    "empty", "badlabel",
};

enum mode { M_ORACLE, M_UNIFORM, M_ADVERSARIAL, M_SEQUENCE, M_NMODES };
static const char *const MODE_NAMES[M_NMODES] = {"oracle", "uniform", "adversarial", "sequence"};

typedef struct server {
    pthread_mutex_t mu;
    enum mode mode;
    char **prefer;
    size_t n_prefer;
    enum fault rotation[32];
    size_t n_rotation, next_rotation;
    long fault_every;
    long delay_ms, retry_after;
    const char *require_key, *model;
    long echo_status;              /* --echo-headers: answer every chat with this status */
    const char *allow_extra[16];
    size_t n_allow;
    /* queue of on-demand faults */
    enum fault queue_fault[32];
    long queue_count[32];
    size_t queue_len;
    /* counters */
    long requests, chat, ok, bad_request, auth_fail, faults[F_COUNT];
    long kinds[4];
    long prompt_tokens, completion_tokens;
    char *last_body;
    char last_error[256];
} server;

typedef struct conn {
    char *body;
    size_t len, cap;
    int too_big;
} conn;

static int parse_fault(const char *s, enum fault *f)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcasecmp(s, FAULT_NAMES[i]) == 0) { *f = (enum fault)i; return 0; }
    return -1;
}

static int parse_mode(const char *s, enum mode *m)
{
    for (int i = 0; i < M_NMODES; i++)
        if (strcasecmp(s, MODE_NAMES[i]) == 0) { *m = (enum mode)i; return 0; }
    return -1;
}

/* ---- replies ---------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *body,
                                 const char *ctype)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result res = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return res;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s) return MHD_NO;
    enum MHD_Result res = send_text(c, status, s, "application/json");
    free(s);
    return res;
}

static enum MHD_Result send_error(server *sv, struct MHD_Connection *c, unsigned status,
                                  const char *type, const char *msg)
{
    pthread_mutex_lock(&sv->mu);
    snprintf(sv->last_error, sizeof sv->last_error, "%u %s", status, msg);
    pthread_mutex_unlock(&sv->mu);
    return send_json(c, status, json_pack("{s:{s:s, s:s}}", "error", "message", msg, "type", type));
}

/* The "cut" fault: promise the whole body, deliver half, then drop. */
typedef struct cut_body { char *data; size_t half; } cut_body;

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    cut_body *cb = cls;
    if (pos >= cb->half) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = cb->half - (size_t)pos;
    if (n > max) n = max;
    memcpy(buf, cb->data + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    cut_body *cb = cls;
    free(cb->data);
    free(cb);
}

/* ---- request validation ------------------------------------------------ */

static const char *validate(server *sv, json_t *req)
{
    static const char *const required[] = {"model", "messages", "max_tokens", "temperature", "logprobs"};
    if (!json_is_object(req)) return "request body is not a JSON object";
    for (size_t i = 0; i < 5; i++)
        if (!json_object_get(req, required[i])) return "missing a required member (model, messages, max_tokens, temperature, logprobs)";
    json_t *v = json_object_get(req, "model");
    if (!json_is_string(v) || !json_string_length(v)) return "model must be a non-empty string";
    v = json_object_get(req, "messages");
    if (!json_is_array(v) || json_array_size(v) == 0) return "messages must be a non-empty array";
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
        if (!json_is_object(m) || json_object_size(m) != 2) return "each message must be {role, content}";
        json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
        if (!json_is_string(role) || !json_is_string(content)) return "message role and content must be strings";
        const char *r = json_string_value(role);
        if (strcmp(r, "system") && strcmp(r, "user") && strcmp(r, "assistant")) return "unknown message role";
    }
    v = json_object_get(req, "max_tokens");
    if (!json_is_integer(v) || json_integer_value(v) < 1) return "max_tokens must be an integer >= 1";
    v = json_object_get(req, "temperature");
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 2) return "temperature must be a number in 0..2";
    v = json_object_get(req, "logprobs");
    if (!json_is_boolean(v)) return "logprobs must be a boolean";
    json_t *top = json_object_get(req, "top_logprobs");
    if (json_is_true(v)) {
        if (!json_is_integer(top) || json_integer_value(top) < 0 || json_integer_value(top) > 20)
            return "top_logprobs must be an integer 0..20 when logprobs is true";
    } else if (top) {
        return "top_logprobs given without logprobs: true";
    }
    const char *key;
    json_object_foreach(req, key, v) {
        int known = 0;
        for (size_t k = 0; k < 5; k++) known |= strcmp(key, required[k]) == 0;
        known |= strcmp(key, "top_logprobs") == 0;
        for (size_t k = 0; k < sv->n_allow; k++) known |= strcmp(key, sv->allow_extra[k]) == 0;
        if (!known) return "unexpected request member";
    }
    return NULL;
}

/* ---- answers ------------------------------------------------------------ */

/* Commands compared in one canonical form: lower case, single spaces, the
 * usual abbreviations expanded ("n" -> "north", "get" -> "take", "x" ->
 * "examine", "go north" -> "north"), so a walkthrough's "N" / "Get egg"
 * matches the environment's "north" / "take egg". */
static void canon(const char *in, char *out, size_t cap)
{
    static const char *const abbr[][2] = {
        {"n", "north"}, {"s", "south"}, {"e", "east"}, {"w", "west"}, {"ne", "northeast"},
        {"nw", "northwest"}, {"se", "southeast"}, {"sw", "southwest"}, {"u", "up"}, {"d", "down"},
        {"i", "inventory"}, {"l", "look"}, {"x", "examine"}, {"z", "wait"}, {"get", "take"},
        {"inv", "inventory"}, {"g", "again"},
    };
    char tmp[256];
    size_t j = 0;
    int space = 0;
    for (const char *p = in; *p && j + 1 < sizeof tmp; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { space = j > 0; continue; }
        if (space && j + 2 < sizeof tmp) tmp[j++] = ' ';
        space = 0;
        tmp[j++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    tmp[j] = '\0';
    const char *rest = strchr(tmp, ' ');
    size_t wlen = rest ? (size_t)(rest - tmp) : strlen(tmp);
    const char *word = tmp;
    char first[32];
    snprintf(first, sizeof first, "%.*s", (int)(wlen < 31 ? wlen : 31), tmp);
    for (size_t k = 0; k < sizeof abbr / sizeof abbr[0]; k++)
        if (strcmp(first, abbr[k][0]) == 0) { word = abbr[k][1]; wlen = strlen(word); break; }
    if (strcmp(first, "go") == 0 && rest) {   /* "go north" -> "north" */
        char sub[256];
        canon(rest + 1, sub, sizeof sub);
        static const char *const dirs[] = {"north", "south", "east", "west", "northeast", "northwest",
                                           "southeast", "southwest", "up", "down", "in", "out"};
        for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++)
            if (strcmp(sub, dirs[k]) == 0) { snprintf(out, cap, "%s", sub); return; }
    }
    snprintf(out, cap, "%.*s%s", (int)wlen, word, rest ? rest : "");
}

static int preferred_rank(const server *sv, const char *cmd)
{
    char c[256];
    canon(cmd, c, sizeof c);
    for (size_t i = 0; i < sv->n_prefer; i++)
        if (strcmp(sv->prefer[i], c) == 0) return (int)i;
    return -1;
}

/* Does every word of want appear in have?  Words match when equal or when
 * one is a prefix of the other of at least 6 letters (version 3
 * dictionaries keep 6), so "open window" is in "open small window". */
static int words_within(const char *want, const char *have)
{
    char w[256];
    snprintf(w, sizeof w, "%s", want);
    int any = 0;
    for (char *save = NULL, *t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        size_t tl = strlen(t);
        int found = 0;
        for (const char *h = have; *h && !found; ) {
            while (*h == ' ') h++;
            size_t hl = strcspn(h, " ");
            size_t k = tl < hl ? tl : hl;
            if (hl && ((tl == hl && strncmp(t, h, tl) == 0) || (k >= 6 && strncmp(t, h, k) == 0))) found = 1;
            h += hl;
        }
        if (!found) return 0;
        any = 1;
    }
    return any;
}

/* Sequence mode: where in the preferred sequence (a walkthrough) the
 * recent actions leave off -- the longest suffix of "Recent actions: a;
 * b; c" that matches a run of the sequence -- and so which command comes
 * next.  No history = the start.  -1 if the history matches nothing. */
static long sequence_next(const server *sv, const char *user)
{
    const char *h = strstr(user, "Recent actions: ");
    if (!h) return sv->n_prefer ? 0 : -1;
    h += 16;
    char hist[8][256];
    size_t nh = 0;
    char line[2048];
    const char *eol = strchr(h, '\n');
    size_t len = eol ? (size_t)(eol - h) : strlen(h);
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), h);
    for (char *save = NULL, *t = strtok_r(line, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        if (nh == 8) { memmove(hist, hist + 1, sizeof hist[0] * 7); nh = 7; }
        canon(t, hist[nh++], sizeof hist[0]);
    }
    size_t best_k = 0;
    long best = -1;
    for (size_t p = 1; p <= sv->n_prefer; p++) {   /* the next command is prefer[p] */
        size_t k = 0;
        while (k < nh && k < p && strcmp(sv->prefer[p - 1 - k], hist[nh - 1 - k]) == 0) k++;
        if (k > best_k) { best_k = k; best = (long)p; }
    }
    if (best >= (long)sv->n_prefer) return -1;   /* the sequence is done */
    return best;
}

/* Candidates "X. text" at line starts of the prompt, in label order. */
static size_t read_candidates(const char *user, char cands[][128])
{
    size_t m = 0;
    for (const char *p = user; p && *p; ) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len >= 3 && p[0] == 'A' + (int)m && p[1] == '.' && p[2] == ' ' && m < MAX_CANDS) {
            size_t n = len - 3 < 127 ? len - 3 : 127;
            memcpy(cands[m], p + 3, n);
            cands[m][n] = '\0';
            m++;
        }
        p = eol ? eol + 1 : NULL;
    }
    return m;
}

/* A score per candidate: higher = the server "wants" it more.  next is
 * the sequence position (sequence mode), -1 otherwise. */
static double cand_score(const server *sv, enum mode mode, const char *cand, size_t i, size_t m, long next)
{
    int r = preferred_rank(sv, cand);
    switch (mode) {
    case M_SEQUENCE:
        if (next >= 0) {
            char c[256];
            canon(cand, c, sizeof c);
            if (strcmp(c, sv->prefer[next]) == 0) return 10.0;
            if (words_within(sv->prefer[next], c)) return 9.0 - (double)strlen(c) * 0.01;
            return -(double)i * 0.01;
        }
        return r >= 0 ? 5.0 : -(double)i * 0.01;   /* lost: any walkthrough command */
    case M_NMODES: return 0;
    case M_UNIFORM: return 0;
    case M_ORACLE: return r >= 0 ? 10.0 - 0.5 * (r < 10 ? r : 10) : -(double)i * 0.01;
    case M_ADVERSARIAL:
        if (sv->n_prefer) return r >= 0 ? -10.0 - 0.5 * (r < 10 ? r : 10) : -(double)i * 0.01;
        return (double)i - (double)m;
    }
    return 0;
}

static long approx_tokens(const char *s) { return (long)((strlen(s) + 3) / 4); }

static json_t *completion(const char *model, const char *content, json_t *logprobs, long pt, long ct)
{
    json_t *choice = json_pack("{s:i, s:{s:s, s:s, s:n}, s:s}", "index", 0, "message", "role",
                               "assistant", "content", content, "refusal", "finish_reason", "stop");
    json_object_set_new(choice, "logprobs", logprobs ? logprobs : json_null());
    return json_pack("{s:s, s:s, s:i, s:s, s:[o], s:{s:i, s:i, s:i}, s:s}", "id", "chatcmpl-test",
                     "object", "chat.completion", "created", (json_int_t)time(NULL), "model", model,
                     "choices", choice, "usage", "prompt_tokens", (json_int_t)pt,
                     "completion_tokens", (json_int_t)ct, "total_tokens", (json_int_t)(pt + ct),
                     "system_fingerprint", "fp_jitrl_test");
}

static json_t *token_entry(const char *tok, double lp)
{
    json_t *bytes = json_array();
    for (const unsigned char *p = (const unsigned char *)tok; *p; p++) json_array_append_new(bytes, json_integer(*p));
    return json_pack("{s:s, s:f, s:o}", "token", tok, "logprob", lp, "bytes", bytes);
}

/* Build the answer for one valid chat request.  Returns the JSON reply. */
static json_t *answer(server *sv, enum mode mode, json_t *req, enum fault f, long *ct_out, int *kind_out)
{
    const char *model = json_string_value(json_object_get(req, "model"));
    json_t *msgs = json_object_get(req, "messages");
    long pt = 0;
    size_t i;
    json_t *m;
    const char *user = "";
    json_array_foreach(msgs, i, m) {
        const char *c = json_string_value(json_object_get(m, "content"));
        pt += approx_tokens(c) + 3;
        if (strcmp(json_string_value(json_object_get(m, "role")), "user") == 0) user = c;
    }
    static char cands[MAX_CANDS][128];   /* guarded by the caller's lock */
    size_t n = read_candidates(user, cands);
    long next = mode == M_SEQUENCE ? sequence_next(sv, user) : -1;
    char content[4096] = "";
    json_t *logprobs = NULL;
    int kind;
    if (json_is_true(json_object_get(req, "logprobs"))) {
        kind = 0;
        long top = (long)json_integer_value(json_object_get(req, "top_logprobs"));
        double sc[MAX_CANDS];
        size_t order[MAX_CANDS];
        for (size_t k = 0; k < n; k++) { sc[k] = cand_score(sv, mode, cands[k], k, n, next); order[k] = k; }
        for (size_t a = 1; a < n; a++) {
            size_t v = order[a], b = a;
            while (b > 0 && sc[order[b - 1]] < sc[v]) { order[b] = order[b - 1]; b--; }
            order[b] = v;
        }
        /* logprob = log softmax(score) over the labels, keep 95% of the mass for labels */
        double mx = n ? sc[order[0]] : 0, z = 0;
        for (size_t k = 0; k < n; k++) z += exp(sc[k] - mx);
        json_t *list = json_array();
        size_t shown = 0;
        for (size_t k = 0; k < n && (long)shown < top; k++, shown++) {
            char tok[4] = {(char)('A' + (int)order[k]), 0, 0, 0};
            double lp = sc[order[k]] - mx - log(z) + log(0.95);
            if (f == F_BADLABEL) tok[0] = (char)('a' + (int)(k % 26)), tok[1] = 'x';
            json_array_append_new(list, token_entry(tok, lp));
        }
        if ((long)shown < top) json_array_append_new(list, token_entry(" The", log(0.03)));
        if (f == F_EMPTY) json_array_clear(list);
        const char *first = json_array_size(list) ? json_string_value(json_object_get(json_array_get(list, 0), "token")) : "";
        snprintf(content, sizeof content, "%s", f == F_EMPTY ? "" : first);
        json_t *first_entry = json_pack("{s:s, s:f, s:[], s:O}", "token", content,
                                        "logprob", json_array_size(list) ? json_real_value(json_object_get(json_array_get(list, 0), "logprob")) : 0.0,
                                        "bytes", "top_logprobs", list);
        json_decref(list);
        logprobs = json_pack("{s:[o], s:n}", "content", first_entry, "refusal");
        if (f == F_NOLOGPROBS) { json_decref(logprobs); logprobs = NULL; }
    } else if (strstr(user, "confidence (0-100)")) {
        kind = 1;
        json_t *o = json_object();
        for (size_t k = 0; k < n; k++) {
            char key[2] = {(char)('A' + (int)k), 0};
            double s = cand_score(sv, mode, cands[k], k, n, next);
            int pr = preferred_rank(sv, cands[k]);
            int c = mode == M_SEQUENCE ? (s >= 10 ? 95 : s >= 5 ? 50 : 10) : mode == M_UNIFORM ? 50 : s >= 4 ? 95 - 10 * (pr < 5 ? pr : 5) : s <= -4 ? 0 : (mode == M_ADVERSARIAL && !sv->n_prefer) ? (int)(100 * (k + 1) / n) : 10;
            json_object_set_new(o, key, json_integer(c));
        }
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        snprintf(content, sizeof content, "```json\n%s\n```", s ? s : "{}");
        free(s);
    } else if (strstr(user, "Propose ")) {
        kind = 2;
        long k = strtol(strstr(user, "Propose ") + 8, NULL, 10);
        if (k < 1 || k > 20) k = 3;
        static const char *const generic[] = {"look", "inventory", "north", "south", "east", "west", "up", "down", "wait", "examine room"};
        json_t *a = json_array();
        if (next >= 0) json_array_append_new(a, json_string(sv->prefer[next]));
        for (size_t q = 0; q < sv->n_prefer && (long)json_array_size(a) < k && mode == M_ORACLE; q++)
            json_array_append_new(a, json_string(sv->prefer[q]));
        for (size_t q = 0; q < 10 && (long)json_array_size(a) < k; q++)
            json_array_append_new(a, json_string(generic[q]));
        char *s = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        snprintf(content, sizeof content, "%s", s ? s : "[]");
        free(s);
    } else {
        kind = 3;
        json_t *r = json_array();
        for (const char *p = strstr(user, "Step "); p; p = strstr(p + 1, "\nStep ")) {
            const char *did = strstr(p, "did: ");
            char act[128] = "";
            if (did) {
                size_t q = 0;
                for (did += 5; *did && *did != '\n' && q < sizeof act - 1; did++) act[q++] = *did;
                act[q] = '\0';
            }
            int pr = preferred_rank(sv, act);
            double v = mode == M_UNIFORM ? 0 : pr >= 0 ? (mode == M_ADVERSARIAL ? -5 : 5) : 0;
            json_array_append_new(r, json_real(v));
        }
        json_t *o = json_pack("{s:o}", "rewards", r);
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        snprintf(content, sizeof content, "%s", s ? s : "{}");
        free(s);
    }
    if (kind != 0 && f == F_EMPTY) content[0] = '\0';
    if (kind != 0 && f == F_BADLABEL) snprintf(content, sizeof content, "%s", kind == 1 ? "{\"Q9\": 50}" : "I think so.");
    long ct = kind == 0 ? 1 : approx_tokens(content);
    *ct_out = ct;
    *kind_out = kind;
    (void)pt;
    json_t *rep = completion(model, content, logprobs, pt, ct);
    return rep;
}

static enum fault next_fault(server *sv)
{
    if (sv->queue_len) {
        enum fault f = sv->queue_fault[0];
        if (--sv->queue_count[0] <= 0) {
            memmove(sv->queue_fault, sv->queue_fault + 1, (sv->queue_len - 1) * sizeof sv->queue_fault[0]);
            memmove(sv->queue_count, sv->queue_count + 1, (sv->queue_len - 1) * sizeof sv->queue_count[0]);
            sv->queue_len--;
        }
        return f;
    }
    if (sv->fault_every > 0 && sv->n_rotation && sv->chat % sv->fault_every == 0)
        return sv->rotation[sv->next_rotation++ % sv->n_rotation];
    return F_NONE;
}

/* --echo-headers: the request's headers, Authorization included, in the
 * error message, as some servers do (issue 16: the key must not reach a
 * client's messages). */
static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    char *buf = cls;
    size_t n = strlen(buf);
    if (n < 4000) snprintf(buf + n, 4096 - n, "%s: %s; ", key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result echo_headers(server *sv, struct MHD_Connection *c)
{
    char buf[4096] = "rejected; your request headers were: ";
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, buf);
    return send_error(sv, c, (unsigned)sv->echo_status, "invalid_request_error", buf);
}

static enum MHD_Result handle_chat(server *sv, struct MHD_Connection *c, conn *cn)
{
    const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    pthread_mutex_lock(&sv->mu);
    sv->chat++;
    free(sv->last_body);
    sv->last_body = strdup(cn->body ? cn->body : "");
    enum fault f = next_fault(sv);
    enum mode mode = sv->mode;
    pthread_mutex_unlock(&sv->mu);

    if (sv->echo_status) return echo_headers(sv, c);
    if (sv->require_key) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        char want[512];
        snprintf(want, sizeof want, "Bearer %s", sv->require_key);
        if (!auth || strcmp(auth, want) != 0) {
            pthread_mutex_lock(&sv->mu);
            sv->auth_fail++;
            pthread_mutex_unlock(&sv->mu);
            return send_error(sv, c, 401, "invalid_request_error", "Incorrect API key provided.");
        }
    }
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0) {
        pthread_mutex_lock(&sv->mu);
        sv->bad_request++;
        pthread_mutex_unlock(&sv->mu);
        return send_error(sv, c, 400, "invalid_request_error", "Content-Type must be application/json");
    }
    json_error_t jerr;
    json_t *req = cn->too_big ? NULL : json_loadb(cn->body ? cn->body : "", cn->len, 0, &jerr);
    const char *bad = req ? validate(sv, req) : "request body is not valid JSON";
    if (bad) {
        json_decref(req);
        pthread_mutex_lock(&sv->mu);
        sv->bad_request++;
        pthread_mutex_unlock(&sv->mu);
        return send_error(sv, c, 400, "invalid_request_error", bad);
    }
    if (sv->model && strcmp(sv->model, json_string_value(json_object_get(req, "model"))) != 0) {
        json_decref(req);
        pthread_mutex_lock(&sv->mu);
        sv->auth_fail++;
        pthread_mutex_unlock(&sv->mu);
        return send_error(sv, c, 404, "invalid_request_error", "The model does not exist or you do not have access to it.");
    }
    pthread_mutex_lock(&sv->mu);
    sv->faults[f]++;
    pthread_mutex_unlock(&sv->mu);
    enum MHD_Result res;
    if (f == F_429 || f == F_500 || f == F_401 || f == F_404) {
        json_decref(req);
        unsigned st = f == F_429 ? 429 : f == F_500 ? 500 : f == F_401 ? 401 : 404;
        json_t *e = json_pack("{s:{s:s, s:s}}", "error", "message",
                              st == 429 ? "Rate limit reached, retry later." : st == 500 ? "The server had an error." : st == 401 ? "Incorrect API key provided." : "The model does not exist.",
                              "type", st == 429 ? "rate_limit_error" : "server_error");
        char *s = json_dumps(e, JSON_COMPACT);
        json_decref(e);
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "application/json");
        if (st == 429) {
            char ra[32];
            snprintf(ra, sizeof ra, "%ld", sv->retry_after);
            MHD_add_response_header(r, "Retry-After", ra);
        }
        res = MHD_queue_response(c, st, r);
        MHD_destroy_response(r);
        return res;
    }
    if (f == F_DELAY) {
        struct timespec ts = {sv->delay_ms / 1000, (sv->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (f == F_GARBAGE) {
        json_decref(req);
        return send_text(c, 200, "\x01\x02<html>502 Bad Gateway</html>\xff\xfe{{{", "application/json");
    }
    long ct = 0;
    int kind = 0;
    pthread_mutex_lock(&sv->mu);
    json_t *rep = answer(sv, mode, req, f, &ct, &kind);
    long pt = (long)json_integer_value(json_object_get(json_object_get(rep, "usage"), "prompt_tokens"));
    sv->ok++;
    sv->kinds[kind]++;
    sv->prompt_tokens += pt;
    sv->completion_tokens += ct;
    pthread_mutex_unlock(&sv->mu);
    json_decref(req);
    char *s = json_dumps(rep, JSON_COMPACT);
    json_decref(rep);
    if (!s) return MHD_NO;
    if (f == F_TRUNC) {
        s[strlen(s) / 2] = '\0';
    } else if (f == F_CUT) {
        cut_body *cb = malloc(sizeof *cb);
        if (!cb) { free(s); return MHD_NO; }
        cb->data = s;
        cb->half = strlen(s) / 2;
        struct MHD_Response *r = MHD_create_response_from_callback(strlen(s), 4096, cut_reader, cb, cut_free);
        MHD_add_response_header(r, "Content-Type", "application/json");
        res = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return res;
    }
    res = send_text(c, 200, s, "application/json");
    free(s);
    return res;
}

static json_t *stats_json(server *sv)
{
    json_t *faults = json_object();
    for (int i = 1; i < F_COUNT; i++) json_object_set_new(faults, FAULT_NAMES[i], json_integer(sv->faults[i]));
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:o, s:{s:i, s:i, s:i, s:i}, s:i, s:i, s:s, s:s}",
                     "requests", (json_int_t)sv->requests, "chat", (json_int_t)sv->chat,
                     "ok", (json_int_t)sv->ok, "bad_request", (json_int_t)sv->bad_request,
                     "auth_fail", (json_int_t)sv->auth_fail, "faults", faults, "kinds",
                     "token", (json_int_t)sv->kinds[0], "verbal", (json_int_t)sv->kinds[1],
                     "propose", (json_int_t)sv->kinds[2], "evaluate", (json_int_t)sv->kinds[3],
                     "prompt_tokens", (json_int_t)sv->prompt_tokens, "completion_tokens",
                     (json_int_t)sv->completion_tokens, "mode", MODE_NAMES[sv->mode],
                     "last_error", sv->last_error);
}

static enum MHD_Result handle_control(server *sv, struct MHD_Connection *c)
{
    const char *fault = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fault");
    const char *count = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "count");
    const char *mode = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mode");
    const char *reset = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reset");
    const char *ra = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "retry_after");
    pthread_mutex_lock(&sv->mu);
    const char *bad = NULL;
    if (reset) {
        sv->requests = sv->chat = sv->ok = sv->bad_request = sv->auth_fail = 0;
        memset(sv->faults, 0, sizeof sv->faults);
        memset(sv->kinds, 0, sizeof sv->kinds);
        sv->prompt_tokens = sv->completion_tokens = 0;
        sv->queue_len = 0;
        sv->next_rotation = 0;
        sv->last_error[0] = '\0';
    }
    if (ra) {
        char *end;
        long v = strtol(ra, &end, 10);
        if (*ra == '\0' || *end || v < 0 || v > 3600) bad = "bad retry_after";
        else sv->retry_after = v;
    }
    if (mode) {
        enum mode md;
        if (parse_mode(mode, &md)) bad = "unknown mode";
        else sv->mode = md;
    }
    if (fault) {
        enum fault f;
        long n = count ? strtol(count, NULL, 10) : 1;
        if (parse_fault(fault, &f) || n < 1) bad = "unknown fault or bad count";
        else if (sv->queue_len >= 32) bad = "fault queue full";
        else {
            sv->queue_fault[sv->queue_len] = f;
            sv->queue_count[sv->queue_len] = n;
            sv->queue_len++;
        }
    }
    pthread_mutex_unlock(&sv->mu);
    if (bad) return send_error(sv, c, 400, "invalid_request_error", bad);
    return send_text(c, 200, "{\"ok\":true}", "application/json");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    server *sv = cls;
    (void)version;
    conn *cn = *con_cls;
    if (!cn) {
        cn = calloc(1, sizeof *cn);
        if (!cn) return MHD_NO;
        *con_cls = cn;
        pthread_mutex_lock(&sv->mu);
        sv->requests++;
        pthread_mutex_unlock(&sv->mu);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (!cn->too_big && cn->len + n + 1 > MAX_BODY) cn->too_big = 1;
        if (!cn->too_big) {
            if (cn->len + n + 1 > cn->cap) {
                size_t nc = cn->cap ? cn->cap : 4096;
                while (nc < cn->len + n + 1) nc *= 2;
                char *p = realloc(cn->body, nc);
                if (!p) return MHD_NO;
                cn->body = p;
                cn->cap = nc;
            }
            memcpy(cn->body + cn->len, upload, n);
            cn->len += n;
            cn->body[cn->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/chat/completions") == 0) {
        if (cn->too_big) return send_error(sv, c, 413, "invalid_request_error", "request too large");
        return handle_chat(sv, c, cn);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/stats") == 0) {
        pthread_mutex_lock(&sv->mu);
        json_t *j = stats_json(sv);
        pthread_mutex_unlock(&sv->mu);
        return send_json(c, 200, j);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/last") == 0) {
        pthread_mutex_lock(&sv->mu);
        char *b = strdup(sv->last_body ? sv->last_body : "");
        pthread_mutex_unlock(&sv->mu);
        if (!b) return MHD_NO;
        enum MHD_Result r = send_text(c, 200, b, "application/json");
        free(b);
        return r;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/control") == 0) return handle_control(sv, c);
    return send_error(sv, c, 404, "invalid_request_error", "unknown path");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)c; (void)toe;
    conn *cn = *con_cls;
    if (cn) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

static int load_prefer(server *sv, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    sv->prefer = calloc(MAX_PREFER, sizeof *sv->prefer);
    if (!sv->prefer) { fclose(f); return -1; }
    while (sv->n_prefer < MAX_PREFER && fgets(line, sizeof line, f)) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t') s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ')) *--e = '\0';
        if (!*s || *s == '#') continue;
        char c[256];
        canon(s, c, sizeof c);
        sv->prefer[sv->n_prefer] = strdup(c);
        if (sv->prefer[sv->n_prefer]) sv->n_prefer++;
    }
    fclose(f);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: llm_server [--port N] [--port-file F] [--mode oracle|uniform|adversarial] "
                    "[--prefer FILE] [--faults LIST] [--fault-every N] [--delay-ms N] [--retry-after S] "
                    "[--require-key KEY] [--model NAME] [--allow-extra KEY]... [--stats-file F] "
                    "[--max-seconds N]\n(see the comment at the top of tests/tools/llm_server.c)\n");
}

int main(int argc, char **argv)
{
    static server sv;
    long port = 0, max_seconds = 900;
    const char *port_file = NULL, *stats_file = NULL;
    pthread_mutex_init(&sv.mu, NULL);
    sv.delay_ms = 3000;
    sv.retry_after = 1;
    static const enum fault all[] = {F_DELAY, F_429, F_500, F_TRUNC, F_CUT, F_GARBAGE, F_NOLOGPROBS, F_EMPTY, F_BADLABEL};
    memcpy(sv.rotation, all, sizeof all);
    sv.n_rotation = sizeof all / sizeof all[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { usage(); return 2; }
        i++;
        if (!strcmp(a, "--port")) port = strtol(v, NULL, 10);
        else if (!strcmp(a, "--port-file")) port_file = v;
        else if (!strcmp(a, "--mode")) { if (parse_mode(v, &sv.mode)) { usage(); return 2; } }
        else if (!strcmp(a, "--prefer")) { if (load_prefer(&sv, v)) { fprintf(stderr, "llm_server: cannot read %s\n", v); return 2; } }
        else if (!strcmp(a, "--fault-every")) sv.fault_every = strtol(v, NULL, 10);
        else if (!strcmp(a, "--delay-ms")) sv.delay_ms = strtol(v, NULL, 10);
        else if (!strcmp(a, "--retry-after")) sv.retry_after = strtol(v, NULL, 10);
        else if (!strcmp(a, "--require-key")) sv.require_key = v;
        else if (!strcmp(a, "--model")) sv.model = v;
        else if (!strcmp(a, "--echo-headers")) sv.echo_status = strtol(v, NULL, 10);
        else if (!strcmp(a, "--stats-file")) stats_file = v;
        else if (!strcmp(a, "--max-seconds")) max_seconds = strtol(v, NULL, 10);
        else if (!strcmp(a, "--allow-extra")) { if (sv.n_allow < 16) sv.allow_extra[sv.n_allow++] = v; }
        else if (!strcmp(a, "--faults")) {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", v);
            sv.n_rotation = 0;
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && sv.n_rotation < 32; t = strtok_r(NULL, ",", &save)) {
                if (parse_fault(t, &sv.rotation[sv.n_rotation])) { fprintf(stderr, "llm_server: unknown fault %s\n", t); return 2; }
                sv.n_rotation++;
            }
        } else { usage(); return 2; }
    }
    if (port < 0 || port > 65535) { usage(); return 2; }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);   /* MHD's threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)port, NULL, NULL,
        handler, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!d) { fprintf(stderr, "llm_server: cannot listen on 127.0.0.1:%ld\n", port); return 1; }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : (unsigned)port;
    printf("PORT %u\n", bound);
    fflush(stdout);
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (f) { fprintf(f, "%u\n", bound); fclose(f); }
    }
    struct timespec limit = {max_seconds > 0 ? max_seconds : 900, 0};
    int sig = sigtimedwait(&sigs, NULL, &limit);
    (void)sig;
    MHD_stop_daemon(d);
    if (stats_file) {
        json_t *j = stats_json(&sv);
        json_dump_file(j, stats_file, JSON_INDENT(1));
        json_decref(j);
    }
    for (size_t i = 0; i < sv.n_prefer; i++) free(sv.prefer[i]);
    free(sv.prefer);
    free(sv.last_body);
    return 0;
}
