/*
 * shop.c -- the shop ("shopping"): home, search, categories, product
 * pages, the cart, checkout and the signed-in shopper's order history.
 *
 * Every state a task checks is on a page with a stable id: the cart count
 * in the header (#cart-count), the cart (#cart-items, .cart-item), a
 * product's price (#product-price) and stock (#product-stock), an order's
 * number, status and total (#order-number, #order-status, #order-total).
 * Called with the store's mutex held (sites.c).
 */
#include "env/web/sites/sites_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOP "Harbor Market"

static int cart_count(const jr_store *st)
{
    int n = 0;
    for (int i = 0; i < st->ncart; i++) n += st->cart[i].qty;
    return n;
}

static void begin(jr_store *st, jr_buf *b, const char *title)
{
    char cart[96];
    snprintf(cart, sizeof cart, "Cart (<span id=\"cart-count\">%d</span>)", cart_count(st));
    const char *nav[] = {"/", "Home", "/orders", "My Orders", "/cart", cart, NULL};
    jr_html_begin(b, SHOP, title, nav);
    jr_out(b, "<form id=\"search-form\" method=\"get\" action=\"/search\" role=\"search\">"
              "<input type=\"search\" id=\"search\" name=\"q\" placeholder=\"Search the shop\" aria-label=\"Search\"> "
              "<button type=\"submit\">Search</button></form>\n");
}

static void product_item(jr_buf *b, const jr_product *p)
{
    jr_outf(b, "<li class=\"product-item\" data-product-id=\"%d\"><a class=\"product-link\" href=\"/product/%d\">",
            p->id, p->id);
    jr_esc(b, p->name);
    jr_out(b, "</a> <span class=\"price\">");
    jr_html_money(b, p->price);
    jr_outf(b, "</span> <span class=\"rating muted\">%d stars (%d reviews)</span> ", p->rating, p->reviews);
    if (p->stock > 0)
        jr_outf(b, "<form class=\"inline\" method=\"post\" action=\"/cart/add\"><input type=\"hidden\" name=\"product_id\" "
                   "value=\"%d\"><input type=\"hidden\" name=\"qty\" value=\"1\"><button type=\"submit\">Add to Cart</button></form>",
                p->id);
    else
        jr_out(b, "<span class=\"stock-out\">Out of stock</span>");
    jr_out(b, "</li>\n");
}

static void home(jr_store *st, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(st, b, "Home");
    jr_out(b, "<h1>Welcome to " SHOP "</h1><h2>Shop by category</h2><ul id=\"categories\">");
    for (int i = 0; i < jr_ncategories; i++) {
        jr_outf(b, "<li><a href=\"/category/%s\">", jr_categories[i].slug);
        jr_esc(b, jr_categories[i].name);
        jr_out(b, "</a></li>");
    }
    jr_out(b, "</ul><h2>Popular products</h2><ul id=\"popular\">");
    /* the six products with the most reviews, most first */
    int shown[6], ns = 0;
    while (ns < 6) {
        const jr_product *best = NULL;
        for (int i = 0; i < st->nproducts; i++) {
            const jr_product *p = &st->product[i];
            int seen = !p->enabled;
            for (int k = 0; k < ns; k++) seen |= shown[k] == p->id;
            if (!seen && (!best || p->reviews > best->reviews)) best = p;
        }
        if (!best) break;
        shown[ns++] = best->id;
        product_item(b, best);
    }
    jr_out(b, "</ul>");
    jr_html_end(b);
}

static int cmp_price_asc(const void *a, const void *b)
{
    const jr_product *x = *(const jr_product *const *)a, *y = *(const jr_product *const *)b;
    return x->price < y->price ? -1 : x->price > y->price ? 1 : x->id - y->id;
}

static int cmp_price_desc(const void *a, const void *b)
{
    return cmp_price_asc(b, a);
}

/* A product list (search results or a category) sorted as asked. */
static void product_list(jr_buf *b, const char *id, const jr_product **list, int n, const char *sort)
{
    if (sort && !strcmp(sort, "price_asc")) qsort(list, (size_t)n, sizeof *list, cmp_price_asc);
    else if (sort && !strcmp(sort, "price_desc")) qsort(list, (size_t)n, sizeof *list, cmp_price_desc);
    jr_outf(b, "<ul id=\"%s\">", id);
    for (int i = 0; i < n; i++) product_item(b, list[i]);
    jr_out(b, "</ul>");
}

static void sort_links(jr_buf *b, const char *base, const char *sep)
{
    jr_out(b, "<p class=\"sort\">Sort by: <a href=\"");
    jr_esc(b, base);
    jr_outf(b, "%ssort=price_asc\">Price: low to high</a> | <a href=\"", sep);
    jr_esc(b, base);
    jr_outf(b, "%ssort=price_desc\">Price: high to low</a></p>", sep);
}

/* Every space-separated word of q appears in the product's name,
 * description or category. */
static int matches(const jr_product *p, const char *q)
{
    char word[64];
    while (*q) {
        while (*q == ' ') q++;
        size_t n = 0;
        while (q[n] && q[n] != ' ') n++;
        if (!n) break;
        if (n >= sizeof word) n = sizeof word - 1;
        memcpy(word, q, n);
        word[n] = '\0';
        q += n;
        while (*q && *q != ' ') q++;
        if (!jr_icontains(p->name, word) && !jr_icontains(p->desc, word) &&
            !jr_icontains(jr_categories[p->category].name, word))
            return 0;
    }
    return 1;
}

static void search(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *q = jr_form_get(&rq->query, "q");
    if (!q) q = "";
    const jr_product *list[JR_MAX_PRODUCTS];
    int n = 0;
    for (int i = 0; i < st->nproducts; i++)
        if (st->product[i].enabled && *q && matches(&st->product[i], q)) list[n++] = &st->product[i];
    jr_buf *b = &rs->body;
    begin(st, b, "Search results");
    jr_out(b, "<h1>Search results for '");
    jr_esc(b, q);
    jr_outf(b, "'</h1><p id=\"search-summary\">%d %s found</p>", n, n == 1 ? "item" : "items");
    jr_buf base;
    jr_buf_init(&base, 8192);
    jr_out(&base, "/search?q=");
    for (const unsigned char *c = (const unsigned char *)q; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')) jr_buf_putc(&base, (char)*c);
        else if (*c == ' ') jr_buf_putc(&base, '+');
        else jr_buf_printf(&base, "%%%02X", *c);
    }
    if (n > 1) sort_links(b, jr_buf_str(&base), "&");
    jr_buf_free(&base);
    product_list(b, "search-results", list, n, jr_form_get(&rq->query, "sort"));
    if (!n) jr_out(b, "<p id=\"no-results\">Your search returned no results.</p>");
    jr_html_end(b);
}

static void category(jr_store *st, const jr_req *rq, jr_resp *rs, const char *slug)
{
    int c = -1;
    for (int i = 0; i < jr_ncategories; i++)
        if (!strcmp(jr_categories[i].slug, slug)) c = i;
    if (c < 0) {
        jr_html_error(rs, 404, SHOP, "There is no such category.");
        return;
    }
    const jr_product *list[JR_MAX_PRODUCTS];
    int n = 0;
    for (int i = 0; i < st->nproducts; i++)
        if (st->product[i].enabled && st->product[i].category == c) list[n++] = &st->product[i];
    jr_buf *b = &rs->body;
    begin(st, b, jr_categories[c].name);
    jr_out(b, "<h1 id=\"category-name\">");
    jr_esc(b, jr_categories[c].name);
    jr_outf(b, "</h1><p class=\"muted\">%d products</p>", n);
    char base[96];
    snprintf(base, sizeof base, "/category/%s", slug);
    sort_links(b, base, "?");
    product_list(b, "category-products", list, n, jr_form_get(&rq->query, "sort"));
    jr_html_end(b);
}

static void product_page(jr_store *st, jr_resp *rs, int id)
{
    const jr_product *p = jr_store_product(st, id);
    if (!p || !p->enabled) {
        jr_html_error(rs, 404, SHOP, "There is no such product.");
        return;
    }
    jr_buf *b = &rs->body;
    begin(st, b, p->name);
    jr_outf(b, "<p class=\"breadcrumbs\"><a href=\"/\">Home</a> &rsaquo; <a href=\"/category/%s\">",
            jr_categories[p->category].slug);
    jr_esc(b, jr_categories[p->category].name);
    jr_tag(b, "</a></p><h1 id=\"product-name\">", p->name, "</h1><p>Price: <span id=\"product-price\" class=\"price\">");
    jr_html_money(b, p->price);
    jr_tag(b, "</span></p><p>SKU: <span id=\"product-sku\">", p->sku, "</span></p><p id=\"product-stock\">");
    if (p->stock > 0) jr_outf(b, "In stock: %ld", p->stock);
    else jr_out(b, "Out of stock");
    jr_outf(b, "</p><p id=\"product-rating\">Rating: %d out of 5 (%d reviews)</p><p id=\"product-description\">",
            p->rating, p->reviews);
    jr_esc(b, p->desc);
    jr_out(b, "</p>");
    if (p->stock > 0)
        jr_outf(b, "<form id=\"add-to-cart\" method=\"post\" action=\"/cart/add\"><input type=\"hidden\" name=\"product_id\" "
                   "value=\"%d\"><label>Qty <input type=\"number\" id=\"qty\" name=\"qty\" value=\"1\" min=\"1\" max=\"99\">"
                   "</label> <button type=\"submit\">Add to Cart</button></form>",
                p->id);
    jr_html_end(b);
}

static int cart_find(const jr_store *st, int product)
{
    for (int i = 0; i < st->ncart; i++)
        if (st->cart[i].product == product) return i;
    return -1;
}

static void cart_remove_at(jr_store *st, int i)
{
    memmove(&st->cart[i], &st->cart[i + 1], (size_t)(st->ncart - i - 1) * sizeof st->cart[0]);
    st->ncart--;
}

/* POST /cart/add, /cart/update, /cart/remove. */
static void cart_post(jr_store *st, const jr_req *rq, jr_resp *rs, const char *what)
{
    long id, qty = 1;
    if (jr_parse_long(jr_form_get(&rq->body, "product_id"), 1, 1000000, &id)) {
        jr_html_error(rs, 400, SHOP, "The form names no product.");
        return;
    }
    const char *qs = jr_form_get(&rq->body, "qty");
    if (strcmp(what, "remove") && qs && jr_parse_long(qs, !strcmp(what, "update") ? 0 : 1, 99, &qty)) {
        jr_html_error(rs, 400, SHOP, "The quantity must be a whole number from 1 to 99.");
        return;
    }
    jr_product *p = jr_store_product(st, (int)id);
    if (!p || !p->enabled) {
        jr_html_error(rs, 404, SHOP, "There is no such product.");
        return;
    }
    int i = cart_find(st, p->id);
    if (!strcmp(what, "remove") || (!strcmp(what, "update") && qty == 0)) {
        if (i >= 0) cart_remove_at(st, i);
        jr_redirect(rs, "/cart");
        return;
    }
    long have = i >= 0 && !strcmp(what, "add") ? st->cart[i].qty : 0;
    if (have + qty > p->stock || have + qty > 99) {
        jr_html_error(rs, 400, SHOP, p->stock ? "We do not have that many in stock." : "This product is out of stock.");
        return;
    }
    if (i < 0) {
        if (st->ncart == JR_MAX_CART) {
            jr_html_error(rs, 400, SHOP, "Your cart is full.");
            return;
        }
        i = st->ncart++;
        st->cart[i].product = p->id;
        st->cart[i].qty = 0;
    }
    st->cart[i].qty = (int)(have + qty);
    if (!strcmp(what, "add")) jr_redirect(rs, "/cart?added=%d", p->id);
    else jr_redirect(rs, "/cart");
}

static void cart_page(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(st, b, "Shopping Cart");
    jr_out(b, "<h1>Shopping Cart</h1>");
    long added;
    const jr_product *ap;
    if (!jr_parse_long(jr_form_get(&rq->query, "added"), 1, 1000000, &added) && (ap = jr_store_product(st, (int)added))) {
        jr_tag(b, "<p class=\"msg\" id=\"cart-message\">You added ", ap->name, " to your shopping cart.</p>");
    }
    if (!st->ncart) {
        jr_out(b, "<p id=\"cart-empty\">You have no items in your shopping cart.</p>");
        jr_html_end(b);
        return;
    }
    jr_out(b, "<table id=\"cart-items\"><thead><tr><th>Item</th><th>Price</th><th>Qty</th><th>Subtotal</th><th></th></tr></thead><tbody>");
    long total = 0;
    for (int i = 0; i < st->ncart; i++) {
        const jr_product *p = jr_store_product(st, st->cart[i].product);
        if (!p) continue;
        long sub = p->price * st->cart[i].qty;
        total += sub;
        jr_outf(b, "<tr class=\"cart-item\" id=\"cart-item-%d\" data-product-id=\"%d\"><td class=\"item-name\"><a href=\"/product/%d\">",
                p->id, p->id, p->id);
        jr_esc(b, p->name);
        jr_out(b, "</a></td><td class=\"item-price\">");
        jr_html_money(b, p->price);
        jr_outf(b, "</td><td><form class=\"inline\" method=\"post\" action=\"/cart/update\"><input type=\"hidden\" name=\"product_id\" value=\"%d\">"
                   "<input class=\"item-qty\" type=\"number\" name=\"qty\" value=\"%d\" min=\"0\" max=\"99\" aria-label=\"Qty\"> "
                   "<button type=\"submit\">Update</button></form></td><td class=\"item-subtotal\">",
                p->id, st->cart[i].qty);
        jr_html_money(b, sub);
        jr_outf(b, "</td><td><form class=\"inline\" method=\"post\" action=\"/cart/remove\"><input type=\"hidden\" name=\"product_id\" value=\"%d\">"
                   "<button type=\"submit\">Remove</button></form></td></tr>",
                p->id);
    }
    jr_out(b, "</tbody></table><p>Order subtotal: <span id=\"cart-total\" class=\"price\">");
    jr_html_money(b, total);
    jr_out(b, "</span></p><p><a id=\"checkout-link\" href=\"/checkout\">Proceed to Checkout</a></p>");
    jr_html_end(b);
}

static void checkout_form(jr_store *st, jr_resp *rs, const char *error)
{
    jr_buf *b = &rs->body;
    begin(st, b, "Checkout");
    jr_out(b, "<h1>Checkout</h1>");
    if (!st->ncart) {
        jr_out(b, "<p id=\"cart-empty\">You have no items in your shopping cart.</p>");
        jr_html_end(b);
        return;
    }
    if (error) {
        jr_tag(b, "<p class=\"error\" id=\"checkout-error\">", error, "</p>");
    }
    const jr_customer *me = jr_store_customer(JR_SHOP_USER);
    jr_out(b, "<h2>Order summary</h2><ul id=\"checkout-items\">");
    for (int i = 0; i < st->ncart; i++) {
        const jr_product *p = jr_store_product(st, st->cart[i].product);
        if (!p) continue;
        jr_outf(b, "<li>%d &times; ", st->cart[i].qty);
        jr_esc(b, p->name);
        jr_out(b, "</li>");
    }
    jr_out(b, "</ul><form id=\"checkout-form\" method=\"post\" action=\"/checkout\">"
              "<label>Full name <input type=\"text\" id=\"ship-name\" name=\"name\" maxlength=\"120\" required value=\"");
    jr_esc(b, me->name);
    jr_out(b, "\"></label><label>Street address <input type=\"text\" id=\"ship-address\" name=\"address\" maxlength=\"120\" required value=\"");
    jr_outf(b, "%d Main Street, ", 10 + me->id * 7);
    jr_esc(b, me->city);
    jr_out(b, "\"></label><label>Shipping method <select id=\"ship-method\" name=\"ship_method\">"
              "<option value=\"standard\">Standard ($5.00)</option><option value=\"express\">Express ($15.00)</option>"
              "</select></label><button type=\"submit\" id=\"place-order\">Place Order</button></form>");
    jr_html_end(b);
}

static void checkout_post(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *name = jr_form_get(&rq->body, "name"), *addr = jr_form_get(&rq->body, "address");
    const char *method = jr_form_get(&rq->body, "ship_method");
    const char *err = NULL;
    if (!st->ncart) err = "Your cart is empty.";
    else if (!name || !*name || strlen(name) >= JR_NAME_MAX) err = "Please enter your name (at most 120 characters).";
    else if (!addr || !*addr || strlen(addr) >= JR_ADDR_MAX) err = "Please enter your address (at most 120 characters).";
    else if (!method || (strcmp(method, "standard") && strcmp(method, "express"))) err = "Please choose a shipping method.";
    else if (st->norders == JR_MAX_ORDERS) err = "The shop cannot take more orders today.";
    for (int i = 0; !err && i < st->ncart; i++) {
        const jr_product *p = jr_store_product(st, st->cart[i].product);
        if (!p || p->stock < st->cart[i].qty) err = "An item in your cart is no longer in stock.";
    }
    if (err) {
        checkout_form(st, rs, err);
        rs->status = 400;
        return;
    }
    jr_order *o = &st->order[st->norders];
    memset(o, 0, sizeof *o);
    for (int i = 0; i < st->norders; i++)
        if (st->order[i].id >= o->id) o->id = st->order[i].id + 1;
    st->norders++;
    o->customer = JR_SHOP_USER;
    snprintf(o->date, sizeof o->date, "%s", JR_STORE_TODAY);
    snprintf(o->status, sizeof o->status, "pending");
    snprintf(o->ship_method, sizeof o->ship_method, "%s", method);
    o->shipping = strcmp(method, "express") ? 500 : 1500;
    snprintf(o->ship_name, sizeof o->ship_name, "%s", name);
    snprintf(o->ship_addr, sizeof o->ship_addr, "%s", addr);
    for (int i = 0; i < st->ncart && o->nlines < JR_MAX_LINES; i++) {
        jr_product *p = jr_store_product(st, st->cart[i].product);
        jr_line *ln = &o->line[o->nlines++];
        ln->product = p->id;
        ln->qty = st->cart[i].qty;
        ln->price = p->price;
        _Static_assert(sizeof ln->name == sizeof p->name, "same size");
        memcpy(ln->name, p->name, sizeof ln->name);
        p->stock -= ln->qty;
    }
    st->ncart = 0;
    jr_redirect(rs, "/order/%d?placed=1", o->id);
}

static void orders_page(jr_store *st, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(st, b, "My Orders");
    jr_out(b, "<h1>My Orders</h1><table id=\"order-history\"><thead><tr><th>Order #</th><th>Date</th><th>Items</th>"
              "<th>Order Total</th><th>Status</th><th></th></tr></thead><tbody>");
    for (int i = st->norders - 1; i >= 0; i--) {  /* newest first */
        const jr_order *o = &st->order[i];
        if (o->customer != JR_SHOP_USER) continue;
        int items = 0;
        for (int k = 0; k < o->nlines; k++) items += o->line[k].qty;
        jr_outf(b, "<tr class=\"order-row\" data-order-id=\"%d\"><td class=\"order-number\">%d</td><td class=\"order-date\">%s</td>"
                   "<td>%d</td><td class=\"order-total\">",
                o->id, o->id, o->date, items);
        jr_html_money(b, jr_order_total(o));
        jr_outf(b, "</td><td class=\"order-status\">%s</td><td><a href=\"/order/%d\">View Order</a></td></tr>", o->status, o->id);
    }
    jr_out(b, "</tbody></table>");
    jr_html_end(b);
}

/* The order's details; shared with the admin panel's order page. */
void jr_order_details(jr_buf *b, const jr_order *o)
{
    jr_outf(b, "<h1>Order #<span id=\"order-number\">%d</span></h1><p>Date: <span id=\"order-date\">%s</span></p>"
               "<p>Status: <span id=\"order-status\">%s</span></p>"
               "<table id=\"order-items\"><thead><tr><th>Product</th><th>Price</th><th>Qty</th><th>Subtotal</th></tr></thead><tbody>",
            o->id, o->date, o->status);
    for (int i = 0; i < o->nlines; i++) {
        const jr_line *ln = &o->line[i];
        jr_outf(b, "<tr class=\"order-item\" data-product-id=\"%d\"><td class=\"item-name\">", ln->product);
        jr_esc(b, ln->name);
        jr_out(b, "</td><td>");
        jr_html_money(b, ln->price);
        jr_outf(b, "</td><td class=\"item-qty\">%d</td><td>", ln->qty);
        jr_html_money(b, ln->price * ln->qty);
        jr_out(b, "</td></tr>");
    }
    jr_out(b, "</tbody></table><p>Subtotal: <span id=\"order-subtotal\">");
    jr_html_money(b, jr_order_subtotal(o));
    jr_out(b, "</span></p><p>Shipping: <span id=\"order-shipping\">");
    jr_html_money(b, o->shipping);
    jr_out(b, "</span></p><p>Grand Total: <span id=\"order-total\" class=\"price\">");
    jr_html_money(b, jr_order_total(o));
    jr_tag(b, "</span></p><h2>Shipping address</h2><p id=\"ship-to\"><span id=\"ship-name\">", o->ship_name, "</span><br><span id=\"ship-address\">");
    jr_esc(b, o->ship_addr);
    jr_outf(b, "</span><br>Method: <span id=\"ship-method\">%s</span></p>", o->ship_method);
}

static void order_page(jr_store *st, const jr_req *rq, jr_resp *rs, int id)
{
    const jr_order *o = jr_store_order(st, id);
    if (!o || o->customer != JR_SHOP_USER) {
        jr_html_error(rs, 404, SHOP, "There is no such order in your account.");
        return;
    }
    jr_buf *b = &rs->body;
    begin(st, b, "Order");
    if (jr_form_get(&rq->query, "placed"))
        jr_outf(b, "<p class=\"msg\" id=\"order-message\">Thank you for your purchase! Your order number is %d.</p>", o->id);
    jr_order_details(b, o);
    jr_out(b, "<p><a href=\"/orders\">Back to My Orders</a></p>");
    jr_html_end(b);
}

void jr_shop_handle(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *path = rq->path;
    int id;
    if (rq->post) {
        if (!strcmp(path, "/cart/add")) cart_post(st, rq, rs, "add");
        else if (!strcmp(path, "/cart/update")) cart_post(st, rq, rs, "update");
        else if (!strcmp(path, "/cart/remove")) cart_post(st, rq, rs, "remove");
        else if (!strcmp(path, "/checkout")) checkout_post(st, rq, rs);
        else jr_html_error(rs, 405, SHOP, "This page does not take a POST.");
        return;
    }
    if (!strcmp(path, "/")) home(st, rs);
    else if (!strcmp(path, "/search")) search(st, rq, rs);
    else if (!strncmp(path, "/category/", 10)) category(st, rq, rs, path + 10);
    else if ((id = jr_path_id(path, "/product/", "")) >= 0) product_page(st, rs, id);
    else if (!strcmp(path, "/cart")) cart_page(st, rq, rs);
    else if (!strcmp(path, "/checkout")) checkout_form(st, rs, NULL);
    else if (!strcmp(path, "/orders")) orders_page(st, rs);
    else if ((id = jr_path_id(path, "/order/", "")) >= 0) order_page(st, rq, rs, id);
    else jr_html_error(rs, 404, SHOP, "There is no such page.");
}
