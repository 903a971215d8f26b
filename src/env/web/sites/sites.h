/*
 * sites.h -- jitrl's own local web sites: a shop, a forum and a shop admin
 * panel, served over HTTP by libmicrohttpd from seed data compiled into the
 * library, so the `web` environment has an offline default and a test bed
 * with no network and no files.
 *
 * They stand in for WebArena's sites: the names below are WebArena's site
 * names, and its URL placeholders map to them (__SHOPPING__ -> "shopping",
 * __REDDIT__ -> "reddit", __SHOPPING_ADMIN__ -> "shopping_admin").  Each
 * site listens on its own ephemeral port (its own origin).  The shop and the
 * admin panel share one store (an edit in the admin shows in the shop), as
 * WebArena's two Magento sites share a database; the forum has its own.
 *
 * A jr_sites handle owns all its data: two handles are independent, and a
 * handle is safe under libmicrohttpd's threads (a mutex per store).  There
 * is one user of the shop (signed in, one cart) and one of the forum, so an
 * end state is a server-side fact that a check can read in any browser.
 *
 * Ownership: a returned `const char *` is borrowed from the handle and lives
 * until jr_sites_close.
 */
#ifndef JR_SITES_H
#define JR_SITES_H

#include <stddef.h>

typedef struct jr_sites jr_sites;

/* Start the three sites on `bind` (an IPv4 address, NULL = "127.0.0.1"),
 * each on an ephemeral port, with the seed data.  Returns JITRL_OK and
 * *out, or an error code with a message in err (JITRL_EINVAL for a bad
 * address, JITRL_EIO when a daemon cannot start, JITRL_ENOMEM). */
int jr_sites_open(jr_sites **out, const char *bind, char *err, size_t errlen);

/* The base URL of site `name` ("shopping", "reddit", "shopping_admin"),
 * like "http://127.0.0.1:40123" (no trailing slash), or NULL for an
 * unknown name or a NULL handle. */
const char *jr_sites_url(const jr_sites *s, const char *name);

/* Every site's state (cart, orders, products, posts, votes) back to the
 * seed data, deterministically.  Also reachable as `POST /__reset` on any
 * site (which resets the store behind that site).  JITRL_OK or
 * JITRL_EINVAL (NULL handle). */
int jr_sites_reset(jr_sites *s);

/* Stop the daemons and free everything.  NULL is a no-op. */
void jr_sites_close(jr_sites *s);

/* The site names, in a fixed order: i < jr_sites_count(). */
size_t jr_sites_count(void);
const char *jr_sites_name(size_t i);

/* WebArena's placeholder for site `name` ("__SHOPPING__"...), or NULL. */
const char *jr_sites_placeholder(const char *name);

/* A copy of `text` with every known placeholder replaced by its site's
 * URL (for start_url, reference_url and program_html urls).  The caller
 * frees it with jr_free; NULL on allocation failure or bad arguments. */
char *jr_sites_expand(const jr_sites *s, const char *text);

#endif
