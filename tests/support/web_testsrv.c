/*
 * web_testsrv.c -- the browser tests' small site (web_testsrv.h).  Pages
 * are generated from the URL and the server's state (the cart), so what a
 * test expects is written beside what it serves.
 */
#include "web_testsrv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct web_testsrv {
    struct MHD_Daemon *d;
    char url[64];
    pthread_mutex_t lock;
    int cart[4];
    int resets;
};

static const char *const products[] = {"", "Blue Mug", "Red Kettle", "Green Teapot"};
static const char *const prices[] = {"", "$12.50", "$30.00", "$21.75"};

static const char head[] = "<!doctype html><html><head><meta charset=utf-8><title>%s</title></head><body>"
                           "<nav><a href=\"/\">Home</a> <a href=\"/products\">Products</a> "
                           "<a href=\"/cart\">Cart</a></nav>";

static enum MHD_Result send_page(struct MHD_Connection *c, unsigned status, char *body, const char *location)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (location) MHD_add_response_header(r, "Location", location);
    enum MHD_Result res = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return res;
}

/* Escape for HTML text (the search query is echoed). */
static void esc(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 7 < cap; s++) {
        const char *r = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : *s == '"' ? "&quot;" : NULL;
        if (r) n += (size_t)snprintf(out + n, cap - n, "%s", r);
        else out[n++] = *s;
    }
    out[n] = '\0';
}

static char *page(web_testsrv *s, const char *url, struct MHD_Connection *c)
{
    char *b = malloc(16384);
    if (!b) return NULL;
    size_t n = 0, cap = 16384;
#define P(...) (n += (size_t)snprintf(b + n, n < cap ? cap - n : 0, __VA_ARGS__))
    if (!strcmp(url, "/")) {
        P(head, "Test Shop");
        P("<h1>Test Shop</h1><p>Welcome to the test shop.</p>"
          "<form action=\"/search\" method=\"get\"><input name=\"q\" aria-label=\"Search\" "
          "placeholder=\"Search products\"><button type=\"submit\">Search</button></form>"
          "<a href=\"/about\">About</a> <a href=\"/form\">Order form</a>");
    } else if (!strcmp(url, "/products")) {
        P(head, "Products");
        P("<h1>Products</h1><ul>");
        for (int i = 1; i <= 3; i++) P("<li><a href=\"/item/%d\">%s</a></li>", i, products[i]);
        P("</ul>");
    } else if (!strncmp(url, "/item/", 6) && url[6] >= '1' && url[6] <= '3' && !url[7]) {
        int i = url[6] - '0';
        P(head, products[i]);
        P("<h1>%s</h1><p>Price: <span class=\"price\">%s</span></p>"
          "<form method=\"post\" action=\"/cart/add\"><input type=\"hidden\" name=\"id\" value=\"%d\">"
          "<button type=\"submit\">Add to cart</button></form>",
          products[i], prices[i], i);
    } else if (!strcmp(url, "/cart")) {
        pthread_mutex_lock(&s->lock);
        int total = s->cart[1] + s->cart[2] + s->cart[3];
        P(head, "Cart");
        P("<h1>Cart</h1><p id=\"count\">%d items</p><ul>", total);
        for (int i = 1; i <= 3; i++)
            if (s->cart[i]) P("<li class=\"line\">%s x %d</li>", products[i], s->cart[i]);
        pthread_mutex_unlock(&s->lock);
        P("</ul>");
    } else if (!strcmp(url, "/search")) {
        const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
        char eq[256];
        esc(eq, sizeof eq, q ? q : "");
        P(head, "Search");
        P("<h1>Results for %s</h1><ul>", eq);
        for (int i = 1; i <= 3; i++)
            if (q && q[0] && strcasestr(products[i], q)) P("<li><a href=\"/item/%d\">%s</a></li>", i, products[i]);
        P("</ul>");
    } else if (!strcmp(url, "/about")) {
        P(head, "About");
        P("<h1>About us</h1><p>Founded in 1999 by two potters.</p>");
    } else if (!strcmp(url, "/form")) {
        P(head, "Order form");
        P("<h1>Order form</h1><form action=\"/result\" method=\"get\">"
          "<label for=\"color\">Colour</label><select id=\"color\" name=\"color\">"
          "<option>Red</option><option>Green</option><option>Blue</option></select>"
          "<label for=\"who\">Name</label><input id=\"who\" name=\"who\">"
          "<label><input type=\"checkbox\" name=\"gift\"> Gift wrap</label>"
          "<button type=\"submit\">Order</button></form>");
    } else if (!strcmp(url, "/result")) {
        const char *col = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "color");
        const char *who = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "who");
        char ec[64], ew[128];
        esc(ec, sizeof ec, col ? col : "");
        esc(ew, sizeof ew, who ? who : "");
        P(head, "Ordered");
        P("<h1>Thank you</h1><p id=\"order\">%s for %s</p>", ec, ew);
    } else if (!strcmp(url, "/stale")) {
        P(head, "Stale");
        P("<div id=\"box\"><button id=\"old\">Old</button></div>"
          "<button id=\"rep\" onclick=\"document.getElementById('box').innerHTML='<button id=new>New</button>'\">"
          "Replace</button>");
    } else if (!strcmp(url, "/covered")) {
        P(head, "Covered");
        P("<button id=\"under\" onclick=\"document.title='clicked'\">Under</button>"
          "<div style=\"position:fixed;top:0;left:0;width:100%%;height:100%%;background:rgba(0,0,0,0.05)\">"
          "</div>");
    } else if (!strcmp(url, "/hidden")) {
        P(head, "Hidden");
        P("<button id=\"h\" style=\"display:none\">Secret</button><button id=\"v\">Visible</button>");
    } else if (!strcmp(url, "/alert")) {
        P(head, "Alert");
        P("<button id=\"a\" onclick=\"alert('Hello there')\">Alert me</button>");
    } else if (!strcmp(url, "/slow")) {
        /* slower than the tests' page-load timeout */
        struct timespec ts = {8, 0};
        nanosleep(&ts, NULL);
        P(head, "Slow");
        P("<h1>Slow page</h1>");
    } else if (!strcmp(url, "/gen")) {
        P(head, "Generated");
        P("<p id=\"instr\">(no instruction yet)</p>");
        const char *const colours[] = {"Red", "Green", "Blue"};
        for (int i = 0; i < 3; i++)
            P("<button onclick=\"window.pressed=this.textContent\">%s</button>", colours[i]);
    } else {
        free(b);
        return NULL;
    }
    P("</body></html>");
#undef P
    return b;
}

typedef struct post_ctx {
    char body[1024];
    size_t len;
} post_ctx;

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls; (void)c; (void)t;
    free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)version;
    web_testsrv *s = cls;
    if (!strcmp(method, "POST")) {
        post_ctx *pc = *con_cls;
        if (!pc) {
            if (!(pc = calloc(1, sizeof *pc))) return MHD_NO;
            *con_cls = pc;
            return MHD_YES;
        }
        if (*data_size) {
            size_t k = *data_size < sizeof pc->body - 1 - pc->len ? *data_size : sizeof pc->body - 1 - pc->len;
            memcpy(pc->body + pc->len, data, k);
            pc->len += k;
            *data_size = 0;
            return MHD_YES;
        }
        if (!strcmp(url, "/__reset")) {
            web_testsrv_reset(s);
            pthread_mutex_lock(&s->lock);
            s->resets++;
            pthread_mutex_unlock(&s->lock);
            return send_page(c, 200, strdup("ok"), NULL);
        }
        if (!strcmp(url, "/cart/add")) {
            const char *id = strstr(pc->body, "id=");
            int i = id ? atoi(id + 3) : 0;
            if (i >= 1 && i <= 3) {
                pthread_mutex_lock(&s->lock);
                s->cart[i]++;
                pthread_mutex_unlock(&s->lock);
            }
            return send_page(c, 303, strdup("<a href=\"/cart\">cart</a>"), "/cart");
        }
        return send_page(c, 404, strdup("<h1>Not found</h1>"), NULL);
    }
    char *b = page(s, url, c);
    if (!b) return send_page(c, 404, strdup("<!doctype html><title>Not found</title><h1>Not found</h1>"), NULL);
    return send_page(c, 200, b, NULL);
}

web_testsrv *web_testsrv_start(void)
{
    web_testsrv *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->lock, NULL);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", di ? (unsigned)di->port : 0u);
    return s;
}

const char *web_testsrv_url(const web_testsrv *s) { return s->url; }

int web_testsrv_cart(web_testsrv *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->cart[1] + s->cart[2] + s->cart[3];
    pthread_mutex_unlock(&s->lock);
    return n;
}

int web_testsrv_resets(web_testsrv *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->resets;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void web_testsrv_reset(web_testsrv *s)
{
    pthread_mutex_lock(&s->lock);
    memset(s->cart, 0, sizeof s->cart);
    pthread_mutex_unlock(&s->lock);
}

void web_testsrv_stop(web_testsrv *s)
{
    if (!s) return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
