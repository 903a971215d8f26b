/*
 * json_int.h -- private to src/api/: the parsed forms of the JSON requests
 * and the checking helpers json.c and json_record.c share.  The fuzz
 * harness (tests/fuzz/fuzz_json.c) drives the parsers through the public
 * calls only.
 */
#ifndef JR_JSON_INT_H
#define JR_JSON_INT_H

#include <jansson.h>
#include <stdint.h>

#include "base/buf.h"
#include "jitrl/json.h"
#include "jitrl/policy.h"

#define API_PATH 128

/* The first complaint about a request: code, where (a JSON path such as
 * "candidates[3].logit", "" for the whole request) and why. */
typedef struct api_err {
    int rc;
    char path[API_PATH];
    char msg[320];
} api_err;

void api_fail(api_err *e, int rc, const char *path, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Hand *response to the caller: ok's text when e holds no error, else the
 * error object; frees ok.  Returns e->rc. */
int api_finish(api_err *e, jr_buf *ok, char **response);

/* Parse text as a JSON object (size-limited, duplicates refused); NULL
 * with e filled on failure.  The caller json_decref()s the result. */
json_t *api_load(const char *text, api_err *e);
/* Each helper returns 0 (or the value) on success, -1 (or NULL) with e
 * filled; path names the value in messages. */
int api_known_keys(json_t *obj, const char *const *known, const char *where, api_err *e);
int api_number(json_t *v, const char *path, double lo, double hi, double *out, api_err *e);
const char *api_string(json_t *v, const char *path, size_t max, int nonempty, api_err *e);
/* A state object into fields[0..JITRL_JSON_MAX_FIELDS), borrowing the
 * strings from v. */
int api_state(json_t *v, const char *path, jitrl_field *fields, jitrl_state *st, api_err *e);

/* A parsed decide request; strings are borrowed from root. */
typedef struct api_decide {
    json_t *root;
    jitrl_params p;
    jitrl_field fields[JITRL_JSON_MAX_FIELDS];
    jitrl_state st;
    const char **cand;
    double *logits;
    size_t n;
    int have_logits;
    uint64_t seed;
    int trace;
    /* read for the service (NULL when absent); borrowed from root */
    const char *ns, *task, *observation;
} api_decide;

int api_parse_decide(const char *request, api_decide *d, api_err *e);
void api_decide_free(api_decide *d);   /* a zeroed d is fine */
/* The success answer of a decision, appended to b; decision_id (NULL =
 * none) leads it as "decision_id" (the service's). */
int api_decision_json(const jitrl_decision *dc, uint64_t seed, int trace, const char *decision_id, jr_buf *b);

/* A parsed episode (jitrl_record_json's request); strings borrowed from
 * root.  ns and episode_key are NULL when absent. */
typedef struct api_record {
    json_t *root;
    jitrl_episode_info info;
    double gamma;
    jitrl_step *steps;
    jitrl_field *fields;      /* n_steps * JITRL_JSON_MAX_FIELDS */
    size_t n;
    const char *ns, *episode_key;
} api_record;

int api_parse_record(const char *text, api_record *r, api_err *e);
void api_record_free(api_record *r);   /* a zeroed r is fine */
/* The error object of e (code, message, path?) as a fresh string, NULL
 * when out of memory; its "code" names e->rc. */
char *api_error_json(api_err *e);
const char *api_err_code(int rc);
#endif
