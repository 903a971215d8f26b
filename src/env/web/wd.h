/*
 * wd.h -- a W3C WebDriver client for the web environment (src/env/web/):
 * it starts chromedriver (which starts Debian's chromium, headless, on a
 * fresh temporary profile), keeps one session, and sends commands as JSON
 * over the library's HTTP layer (src/net/, libcurl).
 *
 * Why WebDriver and not CDP alone: chromedriver already does what a careful
 * client must (waits for a navigation a click starts, refuses a hidden or
 * covered element with a W3C error code, reports alerts), so those become
 * error codes here instead of hand-written heuristics.
 *
 * Every exchange has a deadline: the HTTP timeout of each command, the
 * browser's page-load and script timeouts, and starting is bounded too
 * (the port tried a few times, the driver's readiness polled for a few
 * seconds).  A command that finds the browser or the driver dead returns
 * JITRL_EHTTP (or the W3C "invalid session id"); wd_restart() then starts
 * both again on a new profile.
 *
 * Errors: JITRL_OK; JITRL_ESTATE when the browser answered with a W3C
 * error (wd_error() is its code, e.g. "no such element", the message is in
 * err); JITRL_EHTTP / JITRL_ETIMEOUT when no answer came; JITRL_EPARSE for
 * an answer that is not WebDriver JSON; JITRL_ENOMEM; JITRL_EIO when a
 * process could not be started.
 */
#ifndef JR_WEB_WD_H
#define JR_WEB_WD_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct wd_opts {
    const char *chromium;      /* browser binary; NULL = /usr/bin/chromium */
    const char *chromedriver;  /* driver binary; NULL = /usr/bin/chromedriver */
    long page_load_ms;         /* the browser's page-load timeout */
    long script_ms;            /* the browser's script timeout */
    int headful;               /* 1 = show the window (debugging); default headless */
} wd_opts;

typedef struct wd wd;

/* Start the driver and the browser and open a session. */
int wd_open(const wd_opts *o, wd **out, char *err, size_t errlen);
/* End the session, stop both processes, remove the profile.  NULL-safe. */
void wd_close(wd *w);
/* Stop whatever is left of the browser and the driver and start both again
 * (a new profile); the session id changes. */
int wd_restart(wd *w, char *err, size_t errlen);
/* 1 while the driver process lives and the browser's main pid exists. */
int wd_alive(wd *w);

/* One command.  method "GET"/"POST"/"DELETE"; path after /session/{id}
 * (e.g. "/url", "/element"); session = 0 for paths from the root
 * ("/status").  body borrowed (NULL = "{}" for POST).  *value (may be
 * NULL) gets the reply's "value", the caller's to json_decref.  timeout_ms
 * caps the exchange (0 = the default: page load + 5 s). */
int wd_cmd(wd *w, const char *method, const char *path, json_t *body, json_t **value, long timeout_ms,
           char *err, size_t errlen);
/* The W3C error code of the last JITRL_ESTATE ("" otherwise). */
const char *wd_error(const wd *w);

/* Execute Script (sync): script is the function body, args borrowed (NULL
 * = []).  *value gets the result. */
int wd_script(wd *w, const char *script, json_t *args, json_t **value, char *err, size_t errlen);

/* The browser's main pid (0 if unknown) and the driver's pid. */
pid_t wd_browser_pid(const wd *w);
pid_t wd_driver_pid(const wd *w);
/* Memory of the driver's and the browser's process trees, in kB: the sum
 * of their proportional set sizes (PSS, /proc/PID/smaps_rollup; RSS where
 * that is unreadable); 0 if unknown. */
long wd_rss_kb(const wd *w);
/* How many times the browser was started (1 after open). */
int wd_starts(const wd *w);

#endif
