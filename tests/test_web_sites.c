/*
 * test_web_sites.c -- the local web sites (src/env/web/sites/) over real
 * HTTP: every route of the shop (search, category, product, cart,
 * checkout, order history), the admin panel (product edit, orders,
 * customers, reports) and the forum (browse, submit, reply, vote); that
 * the admin's edits show in the shop; reset (the call and POST /__reset)
 * brings back the seed; two handles are independent; hostile input
 * (huge bodies, bad encodings, script injection, odd methods, open
 * redirects) is refused or escaped; and threads hammering one handle keep
 * its counts exact.
 */
#include "env/web/sites/sites.h"
#include "base/alloc.h"
#include "jitrl/error.h"
#include "testutil.h"
#include "tu_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char url[512];

static const char *at(jr_sites *s, const char *site, const char *path)
{
    snprintf(url, sizeof url, "%s%s", jr_sites_url(s, site), path);
    return url;
}

static long get(tu_reply *r, jr_sites *s, const char *site, const char *path)
{
    return tu_http(r, "GET", at(s, site, path), NULL, 0, NULL);
}

static long post(tu_reply *r, jr_sites *s, const char *site, const char *path, const char *body)
{
    return tu_http(r, "POST", at(s, site, path), body, strlen(body), NULL);
}

/* GET path and check it answers 200 and contains every needle. */
static int page_has(jr_sites *s, const char *site, const char *path, const char *const *needles)
{
    tu_reply r;
    long st = get(&r, s, site, path);
    int ok = st == 200;
    CHECK_MSG(st == 200, "GET %s %s -> %ld", site, path, st);
    for (size_t i = 0; needles[i]; i++) {
        int has = r.body && strstr(r.body, needles[i]) != NULL;
        CHECK_MSG(has, "GET %s %s lacks '%s'", site, path, needles[i]);
        ok &= has;
    }
    tu_reply_free(&r);
    return ok;
}

#define HAS(s, site, path, ...) page_has((s), (site), (path), (const char *const[]){__VA_ARGS__, NULL})

static int page_lacks(jr_sites *s, const char *site, const char *path, const char *needle)
{
    tu_reply r;
    get(&r, s, site, path);
    int ok = r.body && !strstr(r.body, needle);
    CHECK_MSG(ok, "GET %s %s has '%s'", site, path, needle);
    tu_reply_free(&r);
    return ok;
}

/* POST and expect a 303 to `to` (a prefix; NULL = any) or the status. */
static void post_expect(jr_sites *s, const char *site, const char *path, const char *body, long status, const char *to)
{
    tu_reply r;
    long st = post(&r, s, site, path, body);
    CHECK_MSG(st == status, "POST %s %s [%s] -> %ld, want %ld", site, path, body, st, status);
    if (to) {
        char want[600];
        snprintf(want, sizeof want, "%s%s", jr_sites_url(s, site), to);
        int ok = !strncmp(r.location, to, strlen(to)) || !strncmp(r.location, want, strlen(want));
        CHECK_MSG(ok, "POST %s %s -> Location '%s', want '%s'", site, path, r.location, to);
    }
    tu_reply_free(&r);
}

static void test_names(jr_sites *s)
{
    CHECK_INT(jr_sites_count(), 3);
    CHECK_STR(jr_sites_name(0), "shopping");
    CHECK(jr_sites_name(3) == NULL);
    CHECK_STR(jr_sites_placeholder("shopping_admin"), "__SHOPPING_ADMIN__");
    CHECK(jr_sites_placeholder("gitlab") == NULL);
    CHECK(jr_sites_url(s, "gitlab") == NULL);
    CHECK(jr_sites_url(NULL, "shopping") == NULL);
    const char *a = jr_sites_url(s, "shopping"), *b = jr_sites_url(s, "reddit"), *c = jr_sites_url(s, "shopping_admin");
    CHECK(a && b && c && strcmp(a, b) && strcmp(b, c) && strcmp(a, c));
    CHECK(!strncmp(a, "http://127.0.0.1:", 17));
    char *x = jr_sites_expand(s, "__SHOPPING_ADMIN__/x __SHOPPING__/y __REDDIT__");
    char want[600];
    snprintf(want, sizeof want, "%s/x %s/y %s", c, a, b);
    CHECK_STR(x, want);
    jr_free(x);
    x = jr_sites_expand(s, "");
    CHECK_STR(x, "");
    jr_free(x);
}

static void test_shop(jr_sites *s)
{
    const char *S = "shopping";
    HAS(s, S, "/", "id=\"cart-count\">0<", "href=\"/category/books\"", "Insulated Water Bottle 750ml");
    HAS(s, S, "/search?q=yoga", "Yoga Mat 6mm", "1 item found");
    HAS(s, S, "/search?q=Wireless+mouse", "Wireless Optical Mouse", "1 item found");
    page_lacks(s, S, "/search?q=wireless+mouse", "Headphones");
    HAS(s, S, "/search?q=zzzz", "id=\"no-results\"");
    { /* sorted by price: the cheapest book first */
        tu_reply r;
        get(&r, s, S, "/category/books?sort=price_asc");
        const char *a = strstr(r.body, "The Silent Orchard"), *b = strstr(r.body, "Learning C the Careful Way");
        CHECK(r.status == 200 && a && b && a < b);
        tu_reply_free(&r);
        get(&r, s, S, "/category/books?sort=price_desc");
        a = strstr(r.body, "The Silent Orchard"), b = strstr(r.body, "Learning C the Careful Way");
        CHECK(a && b && b < a);
        tu_reply_free(&r);
    }
    HAS(s, S, "/category/grocery", "Roasted Almonds 500g", "4 products");
    HAS(s, S, "/product/13", "id=\"product-name\">Yoga Mat 6mm<", "id=\"product-price\" class=\"price\">$29.99<", "In stock: 42");
    HAS(s, S, "/product/11", "Out of stock");
    HAS(s, S, "/product/14", "$119.00");
    tu_reply r;
    CHECK_INT(get(&r, s, S, "/product/999"), 404);
    tu_reply_free(&r);
    CHECK_INT(get(&r, s, S, "/category/toys"), 404);
    tu_reply_free(&r);

    HAS(s, S, "/cart", "id=\"cart-empty\"");
    post_expect(s, S, "/cart/add", "product_id=13&qty=1", 303, "/cart?added=13");
    post_expect(s, S, "/cart/add", "product_id=15", 303, "/cart?added=15");
    post_expect(s, S, "/cart/add", "product_id=13&qty=2", 303, NULL);
    HAS(s, S, "/cart?added=13", "You added Yoga Mat 6mm to your shopping cart.", "id=\"cart-count\">4<",
        "data-product-id=\"13\"", "value=\"3\"", "$89.97", "$114.92");
    post_expect(s, S, "/cart/add", "product_id=11&qty=1", 400, NULL);   /* out of stock */
    post_expect(s, S, "/cart/add", "product_id=13&qty=100", 400, NULL); /* over 99 */
    post_expect(s, S, "/cart/add", "product_id=13&qty=40", 400, NULL);  /* more than the 42 in stock */
    post_expect(s, S, "/cart/add", "product_id=999", 404, NULL);
    post_expect(s, S, "/cart/add", "qty=1", 400, NULL);
    post_expect(s, S, "/cart/update", "product_id=13&qty=2", 303, "/cart");
    post_expect(s, S, "/cart/remove", "product_id=15", 303, "/cart");
    HAS(s, S, "/cart", "id=\"cart-count\">2<", "$59.98");
    page_lacks(s, S, "/cart", "Insulated Water Bottle");
    HAS(s, S, "/checkout", "id=\"checkout-form\"", "value=\"Jordan Ellis\"", "2 &times; Yoga Mat 6mm");
    post_expect(s, S, "/checkout", "name=&address=x&ship_method=standard", 400, NULL);
    post_expect(s, S, "/checkout", "name=A&address=x&ship_method=drone", 400, NULL);
    post_expect(s, S, "/checkout", "name=Sam+Lee&address=1+Elm+St%2C+Salem&ship_method=express", 303, "/order/116?placed=1");
    HAS(s, S, "/order/116?placed=1", "Your order number is 116.", "id=\"order-status\">pending<", "id=\"ship-name\">Sam Lee<",
        "1 Elm St, Salem", "id=\"order-total\" class=\"price\">$74.98<", "express");
    HAS(s, S, "/", "id=\"cart-count\">0<");
    HAS(s, S, "/product/13", "In stock: 40");
    HAS(s, S, "/orders", "data-order-id=\"116\"", "data-order-id=\"101\"", "$84.89");
    page_lacks(s, S, "/orders", "data-order-id=\"102\""); /* another customer's */
    CHECK_INT(get(&r, s, S, "/order/102"), 404);
    tu_reply_free(&r);
    post_expect(s, S, "/checkout", "name=A&address=B&ship_method=standard", 400, NULL); /* empty cart */
}

static void test_admin(jr_sites *s)
{
    const char *A = "shopping_admin";
    HAS(s, A, "/", "id=\"pending-count\">3<", "id=\"order-count\">15<");
    HAS(s, A, "/products", "id=\"product-grid\"", "SP-3001", "Learning C the Careful Way");
    HAS(s, A, "/products?q=bamboo", "Bamboo Cutting Board");
    page_lacks(s, A, "/products?q=bamboo", "Yoga Mat");
    HAS(s, A, "/product/13/edit", "id=\"product-price\" name=\"price\" value=\"29.99\"", "value=\"40\"");
    post_expect(s, A, "/product/13/edit", "name=Yoga+Mat+6mm&price=12.5&stock=55&enabled=1", 303, "/product/13/edit?saved=1");
    HAS(s, A, "/product/13/edit?saved=1", "You saved the product.", "value=\"12.50\"", "value=\"55\"");
    HAS(s, "shopping", "/product/13", "$12.50", "In stock: 55");
    post_expect(s, A, "/product/13/edit", "price=abc", 400, NULL);
    post_expect(s, A, "/product/13/edit", "price=-1", 400, NULL);
    post_expect(s, A, "/product/13/edit", "stock=1.5", 400, NULL);
    post_expect(s, A, "/product/13/edit", "name=", 400, NULL);
    post_expect(s, A, "/product/13/edit", "price=%241%2C234.5", 303, NULL);
    HAS(s, "shopping", "/product/13", "$1,234.50");
    post_expect(s, A, "/product/7/edit", "enabled=0", 303, NULL);
    tu_reply r;
    CHECK_INT(get(&r, s, "shopping", "/product/7"), 404);
    tu_reply_free(&r);
    page_lacks(s, "shopping", "/search?q=french+press", "Stainless Steel French Press");
    post_expect(s, A, "/product/99/edit", "price=1", 404, NULL);

    HAS(s, A, "/orders", "data-order-id=\"116\"", "Jordan Ellis");
    HAS(s, A, "/orders?status=canceled", "data-order-id=\"105\"");
    page_lacks(s, A, "/orders?status=canceled", "data-order-id=\"101\"");
    HAS(s, A, "/order/114", "Sofia Rossi", "Cancel Order");
    post_expect(s, A, "/order/114/cancel", "", 303, "/order/114?done=canceled");
    HAS(s, A, "/order/114?done=canceled", "id=\"order-status\">canceled<", "You canceled the order.");
    post_expect(s, A, "/order/114/cancel", "", 400, NULL);
    post_expect(s, A, "/order/115/ship", "", 303, NULL);
    HAS(s, A, "/order/115", "id=\"order-status\">complete<");
    HAS(s, A, "/customers", "aiko.tanaka@example.com", "href=\"/customer/3\"");
    HAS(s, A, "/customer/1", "id=\"customer-orders\">5<", "jordan.ellis@example.com");
    HAS(s, A, "/reports", "/reports/sales", "/reports/bestsellers", "/reports/customers");
    HAS(s, A, "/reports/sales?year=2023", "data-month=\"2023-03\"><td>2023-03</td><td>1</td><td>2</td><td>$29.98<");
    page_lacks(s, A, "/reports/sales?year=2023", "2024-01");
    HAS(s, A, "/reports/bestsellers?year=2023",
        "data-product-id=\"15\"><td>1</td><td class=\"product-name\">Insulated Water Bottle 750ml</td><td>6</td>");
    HAS(s, A, "/reports/customers", "<tbody><tr class=\"report-row\" data-customer-id=\"1\">");
    CHECK_INT(get(&r, s, A, "/reports/nope"), 404);
    tu_reply_free(&r);
}

static void test_forum(jr_sites *s)
{
    const char *F = "reddit";
    HAS(s, F, "/", "Saw a bald eagle at Crater Lake today", "id=\"score-16\">301<");
    HAS(s, F, "/forums", "href=\"/f/hiking\"", "(4 threads)");
    HAS(s, F, "/f/gaming", "Finally beat the last boss after 40 hours", "id=\"forum-title\">Gaming<");
    { /* top first, new first */
        tu_reply r;
        get(&r, s, F, "/f/gaming");
        const char *a = strstr(r.body, "Finally beat"), *b = strstr(r.body, "mechanical keyboard");
        CHECK(a && b && a < b);
        tu_reply_free(&r);
        get(&r, s, F, "/f/gaming?sort=new");
        a = strstr(r.body, "Finally beat"), b = strstr(r.body, "mechanical keyboard");
        CHECK(a && b && b < a);
        tu_reply_free(&r);
    }
    HAS(s, F, "/f/hiking/16", "id=\"thread-title\" class=\"thread-title\">Saw a bald eagle", "id=\"thread-score\" class=\"score\">301<",
        "id=\"thread-author\" href=\"/user/birdnerd\"", "id=\"comment-count\">2<", "Lucky! I have never seen one there.");
    tu_reply r;
    CHECK_INT(get(&r, s, F, "/f/books/16"), 404); /* thread in another forum */
    tu_reply_free(&r);
    CHECK_INT(get(&r, s, F, "/f/nope"), 404);
    tu_reply_free(&r);
    post_expect(s, F, "/vote", "kind=thread&id=16&dir=up&back=%2Ff%2Fhiking%2F16", 303, "/f/hiking/16");
    HAS(s, F, "/f/hiking/16", "id=\"thread-score\" class=\"score\">302<", "aria-pressed=\"true\"");
    post_expect(s, F, "/vote", "kind=thread&id=16&dir=up", 303, "/f/hiking/16");
    HAS(s, F, "/f/hiking/16", "id=\"thread-score\" class=\"score\">301<");
    post_expect(s, F, "/vote", "kind=thread&id=16&dir=down&back=%2F%2Fevil.example", 303, "/f/hiking/16");
    HAS(s, F, "/f/hiking/16", ">300<");
    post_expect(s, F, "/vote", "kind=comment&id=28&dir=up", 303, "/f/hiking/16");
    HAS(s, F, "/f/hiking/16", "comment-score score\">45<");
    post_expect(s, F, "/vote", "kind=comment&id=999&dir=up", 404, NULL);
    post_expect(s, F, "/vote", "kind=thread&id=16&dir=sideways", 400, NULL);

    HAS(s, F, "/submit?forum=books", "id=\"submit-form\"", "<option value=\"books\" selected>");
    post_expect(s, F, "/submit", "forum=books&title=Favourite+poetry+collections%3F&body=Mine+is+old.%0AYours%3F", 303, "/f/books/21");
    HAS(s, F, "/f/books/21", "Favourite poetry collections?", "Mine is old.<br>Yours?", "id=\"thread-score\" class=\"score\">1<",
        "href=\"/user/alex_rivera\"");
    HAS(s, F, "/f/books", "Favourite poetry collections?");
    post_expect(s, F, "/submit", "forum=books&title=+++", 400, NULL);
    post_expect(s, F, "/submit", "forum=movies&title=x", 400, NULL);
    post_expect(s, F, "/f/hiking/16/comment", "body=Beautiful+bird!", 303, "/f/hiking/16#comment-35");
    post_expect(s, F, "/f/hiking/16/comment", "body=Agreed&parent=28", 303, "/f/hiking/16#comment-36");
    post_expect(s, F, "/f/hiking/16/comment", "body=x&parent=1", 400, NULL);  /* a comment of another thread */
    post_expect(s, F, "/f/hiking/16/comment", "body=", 400, NULL);
    HAS(s, F, "/f/hiking/16", "id=\"comment-35\"", "Beautiful bird!", "id=\"comment-count\">4<");
    HAS(s, F, "/f/hiking/16?reply_to=28", "Replying to summit_sam", "name=\"parent\" value=\"28\"");
    HAS(s, F, "/user/alex_rivera", "What drill should a beginner buy?", "Beautiful bird!", "Favourite poetry collections?");
    CHECK_INT(get(&r, s, F, "/user/nobody"), 404);
    tu_reply_free(&r);
    HAS(s, F, "/search?q=eagle", "Saw a bald eagle at Crater Lake today");
    page_lacks(s, F, "/search?q=eagle", "lentil");
}

static void test_reset(jr_sites *s)
{
    tu_reply r;
    CHECK_INT(post(&r, s, "reddit", "/__reset", ""), 200);
    tu_reply_free(&r);
    HAS(s, "shopping", "/product/13", "$29.99", "In stock: 42");
    HAS(s, "shopping", "/product/7", "Stainless Steel French Press");
    page_lacks(s, "shopping", "/orders", "data-order-id=\"116\"");
    HAS(s, "shopping_admin", "/order/114", "id=\"order-status\">pending<");
    HAS(s, "reddit", "/f/hiking/16", ">301<", "id=\"comment-count\">2<");
    CHECK_INT(get(&r, s, "reddit", "/f/books/21"), 404);
    tu_reply_free(&r);
    /* the call too, and from a changed state */
    post_expect(s, "shopping", "/cart/add", "product_id=2", 303, NULL);
    post_expect(s, "reddit", "/vote", "kind=thread&id=1&dir=up", 303, NULL);
    CHECK_INT(jr_sites_reset(s), JITRL_OK);
    CHECK_INT(jr_sites_reset(NULL), JITRL_EINVAL);
    HAS(s, "shopping", "/cart", "id=\"cart-empty\"");
    HAS(s, "reddit", "/f/books/1", "id=\"thread-score\" class=\"score\">152<");
    /* deterministic: two resets give byte-identical pages */
    tu_reply a, b;
    get(&a, s, "shopping_admin", "/reports/bestsellers");
    jr_sites_reset(s);
    get(&b, s, "shopping_admin", "/reports/bestsellers");
    CHECK(a.len == b.len && a.len > 1000 && !memcmp(a.body, b.body, a.len));
    tu_reply_free(&a);
    tu_reply_free(&b);
}

static void test_two_handles(jr_sites *s)
{
    char err[256];
    jr_sites *t = NULL;
    CHECK_INT(jr_sites_open(&t, "127.0.0.1", err, sizeof err), JITRL_OK);
    if (!t) return;
    CHECK(strcmp(jr_sites_url(s, "shopping"), jr_sites_url(t, "shopping")));
    post_expect(t, "shopping", "/cart/add", "product_id=3", 303, NULL);
    post_expect(t, "shopping_admin", "/product/3/edit", "price=1.00", 303, NULL);
    HAS(t, "shopping", "/cart", "id=\"cart-count\">1<", "$1.00");
    HAS(s, "shopping", "/cart", "id=\"cart-count\">0<");
    HAS(s, "shopping", "/product/3", "$45.50");
    jr_sites_close(t);
    jr_sites_close(NULL);
    CHECK_INT(jr_sites_open(&t, "not-an-address", err, sizeof err), JITRL_EINVAL);
    CHECK(t == NULL && strstr(err, "not-an-address"));
}

static void test_hostile(jr_sites *s)
{
    tu_reply r;
    size_t big = 64 * 1024;
    char *body = malloc(big + 1);
    memset(body, 'a', big);
    memcpy(body, "body=", 5);
    body[big] = '\0';
    CHECK_INT(tu_http(&r, "POST", at(s, "reddit", "/f/hiking/16/comment"), body, big, NULL), 413);
    tu_reply_free(&r);
    free(body);
    /* chunked, no Content-Length: counted as it arrives */
    {
        size_t n = 40000;
        char *b = malloc(n + 1);
        memset(b, 'b', n);
        memcpy(b, "title=", 6);
        b[n] = '\0';
        CHECK_INT(tu_http(&r, "POST", at(s, "reddit", "/submit"), b, n, "chunked"), 413);
        tu_reply_free(&r);
        free(b);
    }
    CHECK_INT(tu_http(&r, "PUT", at(s, "shopping", "/cart/add"), "product_id=1", 12, NULL), 405);
    tu_reply_free(&r);
    CHECK_INT(tu_http(&r, "DELETE", at(s, "shopping", "/"), NULL, 0, NULL), 405);
    tu_reply_free(&r);
    CHECK_INT(tu_http(&r, "HEAD", at(s, "shopping", "/"), NULL, 0, NULL), 200);
    tu_reply_free(&r);
    CHECK_INT(tu_http(&r, "POST", at(s, "shopping", "/cart/add"), "{\"product_id\":1}", 16, "application/json"), 415);
    tu_reply_free(&r);
    post_expect(s, "shopping", "/cart/add", "product_id=%zz", 400, NULL);
    post_expect(s, "shopping", "/cart/add", "product_id=1%", 400, NULL);
    post_expect(s, "reddit", "/submit", "forum=books&title=%C3%28", 400, NULL);      /* invalid UTF-8 */
    post_expect(s, "reddit", "/submit", "forum=books&title=a%00b", 400, NULL);       /* NUL */
    post_expect(s, "reddit", "/submit", "forum=books&title=%ED%A0%80", 400, NULL);   /* a surrogate */
    post_expect(s, "reddit", "/submit", "forum=books&title=%C0%AF", 400, NULL);      /* overlong */
    CHECK_INT(get(&r, s, "shopping", "/search?q=%FF"), 400);
    tu_reply_free(&r);
    CHECK_INT(get(&r, s, "shopping", "/product/1/../../etc/passwd"), 404);
    tu_reply_free(&r);
    CHECK_INT(get(&r, s, "shopping", "/product/%2e%2e"), 404);
    tu_reply_free(&r);
    {
        char q[2048] = "/search?";
        for (int i = 0; i < 40; i++) strcat(q, "a=1&");
        CHECK_INT(get(&r, s, "shopping", q), 400);
        tu_reply_free(&r);
    }
    /* script injection is escaped everywhere it shows */
    post_expect(s, "reddit", "/submit", "forum=books&title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&body=%3Cimg+src%3Dx+onerror%3Dalert(2)%3E%22%27",
                303, "/f/books/21");
    HAS(s, "reddit", "/f/books/21", "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;&quot;&#39;");
    page_lacks(s, "reddit", "/f/books/21", "<script>");
    page_lacks(s, "reddit", "/", "<script>");
    page_lacks(s, "reddit", "/user/alex_rivera", "<img");
    HAS(s, "shopping", "/search?q=%3Cb%3Ebold%22", "&lt;b&gt;bold&quot;");
    page_lacks(s, "shopping", "/search?q=%3Cb%3Ebold%22", "<b>bold");
    post_expect(s, "shopping_admin", "/product/5/edit", "name=%3Ci%3EMouse%3C%2Fi%3E", 303, NULL);
    HAS(s, "shopping", "/product/5", "&lt;i&gt;Mouse&lt;/i&gt;");
    HAS(s, "shopping_admin", "/products", "&lt;i&gt;Mouse&lt;/i&gt;");
    { /* a name over 120 bytes, a key over 32 */
        char b[400] = "name=";
        memset(b + 5, 'x', 130);
        b[135] = '\0';
        post_expect(s, "shopping_admin", "/product/5/edit", b, 400, NULL);
        post_expect(s, "shopping_admin", "/product/5/edit", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1", 400, NULL);
    }
    jr_sites_reset(s);
}

/* Threads adding to the cart and voting at once: every add counts, the
 * vote toggles an even number of times. */
struct worker {
    jr_sites *s;
    int id;
    int ok;
};

static void *work(void *p)
{
    struct worker *w = p;
    w->ok = 1;
    for (int i = 0; i < 10; i++) {
        tu_reply r;
        char u[256];
        snprintf(u, sizeof u, "%s/cart/add", jr_sites_url(w->s, "shopping"));
        if (tu_http(&r, "POST", u, "product_id=2&qty=1", 18, NULL) != 303) w->ok = 0;
        tu_reply_free(&r);
        snprintf(u, sizeof u, "%s/vote", jr_sites_url(w->s, "reddit"));
        if (tu_http(&r, "POST", u, "kind=thread&id=3&dir=up", 23, NULL) != 303) w->ok = 0;
        tu_reply_free(&r);
        snprintf(u, sizeof u, "%s/reports/bestsellers", jr_sites_url(w->s, "shopping_admin"));
        if (tu_http(&r, "GET", u, NULL, 0, NULL) != 200) w->ok = 0;
        tu_reply_free(&r);
    }
    return NULL;
}

static void test_threads(jr_sites *s)
{
    jr_sites_reset(s);
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){s, i, 0};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(w[i].ok);
    }
    HAS(s, "shopping", "/cart", "id=\"cart-count\">40<");
    HAS(s, "reddit", "/f/books/3", "id=\"thread-score\" class=\"score\">64<"); /* 40 toggles */
    jr_sites_reset(s);
}

int main(void)
{
    char err[256] = "";
    jr_sites *s = NULL;
    int rc = jr_sites_open(&s, NULL, err, sizeof err);
    CHECK_MSG(rc == JITRL_OK, "jr_sites_open: %s", err);
    if (rc) return tu_done();
    test_names(s);
    test_shop(s);
    test_admin(s);
    test_forum(s);
    test_reset(s);
    test_two_handles(s);
    test_hostile(s);
    test_threads(s);
    jr_sites_close(s);
    return tu_done();
}
