/*
 * sites_int.h -- private to src/env/web/sites/: the request and response
 * every site handler sees, the bounded form parser, the HTML helpers, and
 * the two stores (shop + admin share jr_store, the forum has jr_forum).
 *
 * sites.c owns the libmicrohttpd side (methods, body limits, routing by
 * port); a handler gets a parsed, validated request and fills a response,
 * with its store's mutex held, and never touches the network.
 */
#ifndef JR_SITES_INT_H
#define JR_SITES_INT_H

#include <pthread.h>
#include <stddef.h>

#include "base/buf.h"

/* Limits on untrusted input: a request over them is refused (413/400). */
#define JR_FORM_MAX_BODY 16384   /* bytes of a POST body */
#define JR_FORM_MAX_PAIRS 32     /* fields in a query or body */
#define JR_FORM_MAX_KEY 32       /* bytes of a field name */
#define JR_FORM_MAX_VALUE 4000   /* bytes of a decoded field value */
#define JR_PAGE_MAX (1u << 20)   /* bytes of a page we generate */

/* A parsed application/x-www-form-urlencoded string (query or body). */
typedef struct jr_form {
    size_t n;
    char *key[JR_FORM_MAX_PAIRS];
    char *val[JR_FORM_MAX_PAIRS];
} jr_form;

/* Parse s[0..len) into f (pairs separated by '&', '+' is a space, %XX
 * escapes).  Refused (JITRL_ECORRUPT, f empty): a bad %-escape, a decoded
 * NUL or other control byte (tab, CR, LF allowed in values), invalid
 * UTF-8, a key or value over its limit, more than JR_FORM_MAX_PAIRS pairs,
 * an empty key.  JITRL_ENOMEM on allocation failure.  f is always left
 * valid for jr_form_free. */
int jr_form_parse(jr_form *f, const char *s, size_t len);
void jr_form_free(jr_form *f);
/* The first value of `key`, or NULL. */
const char *jr_form_get(const jr_form *f, const char *key);
/* 1 when s[0..len) is valid UTF-8 with no NUL and no control byte other
 * than tab, CR, LF. */
int jr_text_ok(const char *s, size_t len);

/* Parse a decimal amount "12.5", "12.50", "$1,234.00" into cents in
 * [0, max_cents]; -1 when it is not one. */
long jr_parse_cents(const char *s, long max_cents);
/* Parse a whole number in [lo, hi]; returns 0 and *out, or -1. */
int jr_parse_long(const char *s, long lo, long hi, long *out);

/* The number in path = prefix + digits + suffix ("/product/", "/edit"),
 * or -1 when path has another shape. */
int jr_path_id(const char *path, const char *prefix, const char *suffix);

/* One request, as a handler sees it. */
typedef struct jr_req {
    int post;             /* 1 for POST, 0 for GET/HEAD */
    const char *path;     /* "/product/3" (no query) */
    jr_form query;
    jr_form body;         /* empty for GET */
} jr_req;

typedef struct jr_resp {
    int status;           /* 200, 303, 400, 404, ... */
    jr_buf body;          /* HTML, bounded by JR_PAGE_MAX */
    char location[256];   /* for a 303: a path on the same site */
} jr_resp;

/* --- HTML (html.c) --- */
/* Append s with & < > " ' escaped. */
int jr_html_esc(jr_buf *b, const char *s);
/* Append cents as "$1,234.50" (prices in pages) ... */
int jr_html_money(jr_buf *b, long cents);
/* ... or as "1234.50" (form values, machine-readable attributes). */
void jr_cents_str(long cents, char out[32]);
/* Page frame: doctype, <head> with the shared stylesheet, a header bar
 * with the site's title and nav links (pairs of href, label; NULL ends),
 * then <main>.  jr_html_end closes it.  Titles are escaped. */
int jr_html_begin(jr_buf *b, const char *site, const char *title, const char *const *nav);
int jr_html_end(jr_buf *b);
/* A whole error page (404, 400 ...) with a message. */
void jr_html_error(jr_resp *r, int status, const char *site, const char *msg);
/* A 303 to path (truncated paths are a bug: asserted). */
void jr_redirect(jr_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Page writers' shorthands: a page is far below JR_PAGE_MAX, so a failed
 * append (out of memory) only truncates it and sites.c answers 500 when
 * the body could not be built at all. */
static inline void jr_out(jr_buf *b, const char *s) { (void)jr_buf_puts(b, s); }
static inline void jr_esc(jr_buf *b, const char *s) { (void)jr_html_esc(b, s); }
/* pre, then text escaped, then post: the shape of most of a page. */
static inline void jr_tag(jr_buf *b, const char *pre, const char *text, const char *post)
{
    jr_out(b, pre);
    jr_esc(b, text);
    jr_out(b, post);
}
#define jr_outf(b, ...) ((void)jr_buf_printf((b), __VA_ARGS__))
/* Case-insensitive substring test (ASCII), for searches. */
int jr_icontains(const char *hay, const char *needle);

/* --- the shop's store (store.c: data, seed, reset; shop.c and admin.c pages) --- */
enum { JR_MAX_PRODUCTS = 64, JR_MAX_ORDERS = 128, JR_MAX_LINES = 8, JR_MAX_CUSTOMERS = 16,
       JR_MAX_CART = 16, JR_NAME_MAX = 121, JR_ADDR_MAX = 121 };

typedef struct jr_product {
    int id;
    char sku[16];
    char name[JR_NAME_MAX];
    int category;         /* index into the seed's categories */
    long price;           /* cents */
    long stock;
    int rating;           /* 1..5 stars */
    int reviews;
    int enabled;
    const char *desc;     /* static seed text */
} jr_product;

typedef struct jr_line {
    int product;          /* product id */
    int qty;
    long price;           /* unit price when ordered, cents */
    char name[JR_NAME_MAX];
} jr_line;

typedef struct jr_order {
    int id;               /* shown as "#000000<id>" */
    int customer;         /* customer id */
    char date[11];        /* YYYY-MM-DD */
    char status[12];      /* pending, processing, complete, canceled */
    int nlines;
    jr_line line[JR_MAX_LINES];
    long shipping;        /* cents */
    char ship_name[JR_NAME_MAX];
    char ship_addr[JR_ADDR_MAX];
    char ship_method[16];
} jr_order;

typedef struct jr_customer {
    int id;
    const char *name, *email, *city, *joined;
} jr_customer;

typedef struct jr_category {
    const char *slug, *name;
} jr_category;

typedef struct jr_store {
    pthread_mutex_t mu;
    int nproducts;
    jr_product product[JR_MAX_PRODUCTS];
    int norders;
    jr_order order[JR_MAX_ORDERS];
    int ncart;
    struct { int product, qty; } cart[JR_MAX_CART];
} jr_store;

extern const jr_category jr_categories[];
extern const int jr_ncategories;
extern const jr_customer jr_customers[];
extern const int jr_ncustomers;
#define JR_SHOP_USER 1          /* the signed-in shopper's customer id */
#define JR_STORE_TODAY "2024-03-15"

void jr_store_seed(jr_store *st);
jr_product *jr_store_product(jr_store *st, int id);
jr_order *jr_store_order(jr_store *st, int id);
const jr_customer *jr_store_customer(int id);
long jr_order_subtotal(const jr_order *o);
long jr_order_total(const jr_order *o);

/* An order's details (#order-number, #order-status, #order-items,
 * #order-total, #ship-name ...), for the shop's and the admin's order page. */
void jr_order_details(jr_buf *b, const jr_order *o);

void jr_shop_handle(jr_store *st, const jr_req *rq, jr_resp *rs);
void jr_admin_handle(jr_store *st, const jr_req *rq, jr_resp *rs);

/* --- the forum (forum.c pages, forum_seed.c data) --- */
enum { JR_MAX_THREADS = 96, JR_MAX_COMMENTS = 256, JR_TITLE_MAX = 201, JR_BODY_MAX = 4001 };

typedef struct jr_thread {
    int id;
    int forum;            /* index into jr_forums */
    char title[JR_TITLE_MAX];
    char author[32];
    char date[11];
    char *body;           /* owned (seed text copied), <= JR_BODY_MAX */
    int score;            /* votes of everyone else */
    int myvote;           /* -1, 0, +1: the user's own */
} jr_thread;

typedef struct jr_comment {
    int id;
    int thread;
    int parent;           /* 0 = top level, else a comment id */
    char author[32];
    char *body;
    int score;
    int myvote;
} jr_comment;

typedef struct jr_forum {
    pthread_mutex_t mu;
    int nthreads;
    jr_thread thread[JR_MAX_THREADS];
    int ncomments;
    jr_comment comment[JR_MAX_COMMENTS];
} jr_forum;

typedef struct jr_forum_info {
    const char *name, *title, *desc;
} jr_forum_info;

extern const jr_forum_info jr_forums[];
extern const int jr_nforums;
#define JR_FORUM_USER "alex_rivera"

/* Back to the seed; frees any bodies the previous state owned.
 * Returns JITRL_OK or JITRL_ENOMEM (then the forum is empty but valid). */
int jr_forum_seed(jr_forum *f);
void jr_forum_free(jr_forum *f);
void jr_forum_handle(jr_forum *f, const jr_req *rq, jr_resp *rs);

#endif
