/*
 * web_testsrv.h -- a tiny web site for the browser tests (libmicrohttpd in
 * the test's process, an ephemeral loopback port): a shop of three
 * products with search, item pages, a cart kept on the server (POST
 * /__reset empties it), a form with a select, and pages that exercise the
 * environment's errors (an element that goes stale, one covered by an
 * overlay, a hidden one, an alert, a page that takes 8 s to load, a page
 * that writes its own instruction).  tests/test_web_env.c and tests/test_web_learn.c use it
 * until, and beside, the project's own sites (src/env/web/sites/).
 */
#ifndef WEB_TESTSRV_H
#define WEB_TESTSRV_H

typedef struct web_testsrv web_testsrv;

/* Start it; NULL on failure.  url() is "http://127.0.0.1:PORT". */
web_testsrv *web_testsrv_start(void);
const char *web_testsrv_url(const web_testsrv *s);
/* Items in the cart now; the count of /__reset calls. */
int web_testsrv_cart(web_testsrv *s);
int web_testsrv_resets(web_testsrv *s);
/* Empty the cart (what POST /__reset does). */
void web_testsrv_reset(web_testsrv *s);
void web_testsrv_stop(web_testsrv *s);

#endif
