/*
 * admin.c -- the shop's admin panel ("shopping_admin"): the product grid
 * and product editor (name, price, stock, enabled), orders (view, cancel,
 * ship), customers, and the reports (sales by month, bestsellers, best
 * customers).
 *
 * It edits the same jr_store the shop shows, so a price saved here is the
 * price on the shop's product page.  Reports count every order that is not
 * canceled and add up item subtotals (shipping excluded), so an answer
 * task's number can be read off one table.  No sign-in: WebArena's tasks
 * start signed in (storage_state), and ours start where that leaves them.
 * Called with the store's mutex held (sites.c).
 */
#include "env/web/sites/sites_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN "Harbor Market Admin"

static void begin(jr_buf *b, const char *title)
{
    static const char *const nav[] = {"/", "Dashboard", "/products", "Products", "/orders", "Orders",
                                      "/customers", "Customers", "/reports", "Reports", NULL};
    jr_html_begin(b, ADMIN, title, nav);
}

static int counted(const jr_order *o)
{
    return strcmp(o->status, "canceled") != 0;
}

/* year NULL = all time; else "2023" matches dates "2023-..". */
static int in_year(const jr_order *o, const char *year)
{
    return !year || !*year || !strncmp(o->date, year, 4);
}

static void dashboard(jr_store *st, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(b, "Dashboard");
    long sales = 0;
    int pending = 0, n = 0;
    for (int i = 0; i < st->norders; i++) {
        if (counted(&st->order[i])) sales += jr_order_subtotal(&st->order[i]), n++;
        pending += !strcmp(st->order[i].status, "pending");
    }
    jr_out(b, "<h1>Dashboard</h1><p>Lifetime sales: <span id=\"lifetime-sales\">");
    jr_html_money(b, sales);
    jr_outf(b, "</span></p><p>Orders (not canceled): <span id=\"order-count\">%d</span></p>"
               "<p>Pending orders: <span id=\"pending-count\">%d</span></p><h2>Last orders</h2><ul id=\"last-orders\">",
            n, pending);
    for (int i = st->norders - 1; i >= 0 && i >= st->norders - 5; i--) {
        const jr_order *o = &st->order[i];
        jr_outf(b, "<li><a href=\"/order/%d\">#%d</a> ", o->id, o->id);
        jr_esc(b, jr_store_customer(o->customer)->name);
        jr_out(b, " ");
        jr_html_money(b, jr_order_total(o));
        jr_out(b, "</li>");
    }
    jr_out(b, "</ul>");
    jr_html_end(b);
}

static void products(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *q = jr_form_get(&rq->query, "q");
    jr_buf *b = &rs->body;
    begin(b, "Products");
    jr_out(b, "<h1>Products</h1><form id=\"product-search\" method=\"get\" action=\"/products\">"
              "<input type=\"search\" id=\"keyword\" name=\"q\" aria-label=\"Search by keyword\" value=\"");
    jr_esc(b, q ? q : "");
    jr_out(b, "\"> <button type=\"submit\">Search</button></form><table id=\"product-grid\"><thead><tr><th>ID</th>"
              "<th>SKU</th><th>Name</th><th>Category</th><th>Price</th><th>Quantity</th><th>Status</th><th></th></tr></thead><tbody>");
    for (int i = 0; i < st->nproducts; i++) {
        const jr_product *p = &st->product[i];
        if (q && *q && !jr_icontains(p->name, q) && !jr_icontains(p->sku, q)) continue;
        jr_outf(b, "<tr class=\"product-row\" data-product-id=\"%d\"><td>%d</td><td>", p->id, p->id);
        jr_esc(b, p->sku);
        jr_tag(b, "</td><td class=\"product-name\">", p->name, "</td><td>");
        jr_esc(b, jr_categories[p->category].name);
        jr_out(b, "</td><td class=\"product-price\">");
        jr_html_money(b, p->price);
        jr_outf(b, "</td><td class=\"product-stock\">%ld</td><td>%s</td><td><a href=\"/product/%d/edit\">Edit</a></td></tr>",
                p->stock, p->enabled ? "Enabled" : "Disabled", p->id);
    }
    jr_out(b, "</tbody></table>");
    jr_html_end(b);
}

static void edit_form(jr_buf *b, const jr_product *p, const char *msg, int ok)
{
    begin(b, "Edit Product");
    jr_tag(b, "<h1>Edit Product: ", p->name, "</h1>");
    if (msg) {
        jr_outf(b, "<p class=\"%s\" id=\"messages\">", ok ? "msg" : "error");
        jr_esc(b, msg);
        jr_out(b, "</p>");
    }
    char price[32];
    jr_cents_str(p->price, price);
    jr_outf(b, "<form id=\"product-form\" method=\"post\" action=\"/product/%d/edit\">"
               "<p>SKU: <span id=\"product-sku\">", p->id);
    jr_esc(b, p->sku);
    jr_out(b, "</span></p><label>Product Name <input type=\"text\" id=\"product-name\" name=\"name\" maxlength=\"120\" value=\"");
    jr_esc(b, p->name);
    jr_outf(b, "\"></label><label>Price ($) <input type=\"text\" id=\"product-price\" name=\"price\" value=\"%s\"></label>"
               "<label>Quantity <input type=\"text\" id=\"product-stock\" name=\"stock\" value=\"%ld\"></label>"
               "<label>Status <select id=\"product-status\" name=\"enabled\"><option value=\"1\"%s>Enabled</option>"
               "<option value=\"0\"%s>Disabled</option></select></label><button type=\"submit\" id=\"save\">Save</button></form>"
               "<p><a href=\"/products\">Back to Products</a></p>",
            price, p->stock, p->enabled ? " selected" : "", p->enabled ? "" : " selected");
    jr_html_end(b);
}

static void edit_post(jr_store *st, const jr_req *rq, jr_resp *rs, jr_product *p)
{
    const char *name = jr_form_get(&rq->body, "name"), *price = jr_form_get(&rq->body, "price");
    const char *stock = jr_form_get(&rq->body, "stock"), *en = jr_form_get(&rq->body, "enabled");
    long cents = price ? jr_parse_cents(price, 100000000L) : p->price;
    long qty = p->stock, enabled = p->enabled;
    const char *err = NULL;
    if (name && (!*name || strlen(name) >= JR_NAME_MAX)) err = "The product name must have 1 to 120 characters.";
    else if (cents < 0) err = "The price must be an amount like 12.50, from 0 to 1,000,000.";
    else if (stock && jr_parse_long(stock, 0, 1000000, &qty)) err = "The quantity must be a whole number from 0 to 1,000,000.";
    else if (en && jr_parse_long(en, 0, 1, &enabled)) err = "The status must be Enabled or Disabled.";
    if (err) {
        edit_form(&rs->body, p, err, 0);
        rs->status = 400;
        return;
    }
    if (name) snprintf(p->name, sizeof p->name, "%s", name);
    p->price = cents;
    p->stock = qty;
    p->enabled = (int)enabled;
    jr_redirect(rs, "/product/%d/edit?saved=1", p->id);
}

static void order_list(jr_buf *b, jr_store *st, const char *id, int customer, const char *status)
{
    jr_outf(b, "<table id=\"%s\"><thead><tr><th>Order #</th><th>Purchase Date</th><th>Bill-to Name</th>"
               "<th>Grand Total</th><th>Status</th><th></th></tr></thead><tbody>", id);
    for (int i = st->norders - 1; i >= 0; i--) {
        const jr_order *o = &st->order[i];
        if ((customer && o->customer != customer) || (status && *status && strcmp(o->status, status))) continue;
        jr_outf(b, "<tr class=\"order-row\" data-order-id=\"%d\"><td>%d</td><td>%s</td><td>", o->id, o->id, o->date);
        jr_esc(b, jr_store_customer(o->customer)->name);
        jr_out(b, "</td><td>");
        jr_html_money(b, jr_order_total(o));
        jr_outf(b, "</td><td class=\"order-status\">%s</td><td><a href=\"/order/%d\">View</a></td></tr>", o->status, o->id);
    }
    jr_out(b, "</tbody></table>");
}

static void orders(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(b, "Orders");
    jr_out(b, "<h1>Orders</h1><p>Filter: <a href=\"/orders\">All</a> | <a href=\"/orders?status=pending\">Pending</a> | "
              "<a href=\"/orders?status=processing\">Processing</a> | <a href=\"/orders?status=complete\">Complete</a> | "
              "<a href=\"/orders?status=canceled\">Canceled</a></p>");
    order_list(b, st, "order-grid", 0, jr_form_get(&rq->query, "status"));
    jr_html_end(b);
}

static void order_page(jr_store *st, const jr_req *rq, jr_resp *rs, jr_order *o)
{
    jr_buf *b = &rs->body;
    begin(b, "Order");
    const char *done = jr_form_get(&rq->query, "done");
    if (done && !strcmp(done, "canceled")) jr_out(b, "<p class=\"msg\" id=\"messages\">You canceled the order.</p>");
    if (done && !strcmp(done, "shipped")) jr_out(b, "<p class=\"msg\" id=\"messages\">The order is complete.</p>");
    jr_order_details(b, o);
    jr_out(b, "<p>Customer: <a id=\"order-customer\" href=\"/customer/");
    jr_outf(b, "%d\">", o->customer);
    jr_esc(b, jr_store_customer(o->customer)->name);
    jr_out(b, "</a></p>");
    if (!strcmp(o->status, "pending") || !strcmp(o->status, "processing"))
        jr_outf(b, "<form class=\"inline\" method=\"post\" action=\"/order/%d/cancel\"><button type=\"submit\">Cancel Order</button></form> "
                   "<form class=\"inline\" method=\"post\" action=\"/order/%d/ship\"><button type=\"submit\">Ship Order</button></form>",
                o->id, o->id);
    jr_html_end(b);
}

static void order_post(jr_store *st, jr_resp *rs, jr_order *o, int cancel)
{
    if (strcmp(o->status, "pending") && strcmp(o->status, "processing")) {
        jr_html_error(rs, 400, ADMIN, "Only a pending or processing order can change.");
        return;
    }
    if (cancel) /* the items go back on the shelf */
        for (int i = 0; i < o->nlines; i++) {
            jr_product *p = jr_store_product(st, o->line[i].product);
            if (p) p->stock += o->line[i].qty;
        }
    snprintf(o->status, sizeof o->status, "%s", cancel ? "canceled" : "complete");
    jr_redirect(rs, "/order/%d?done=%s", o->id, cancel ? "canceled" : "shipped");
}

static void customer_totals(const jr_store *st, int id, int *n, long *spent)
{
    *n = 0;
    *spent = 0;
    for (int i = 0; i < st->norders; i++)
        if (st->order[i].customer == id && counted(&st->order[i])) (*n)++, *spent += jr_order_total(&st->order[i]);
}

static void customers(jr_store *st, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(b, "Customers");
    jr_out(b, "<h1>Customers</h1><table id=\"customer-grid\"><thead><tr><th>ID</th><th>Name</th><th>Email</th><th>City</th>"
              "<th>Customer Since</th></tr></thead><tbody>");
    for (int i = 0; i < jr_ncustomers; i++) {
        const jr_customer *c = &jr_customers[i];
        jr_outf(b, "<tr class=\"customer-row\" data-customer-id=\"%d\"><td>%d</td><td><a href=\"/customer/%d\">", c->id, c->id, c->id);
        jr_esc(b, c->name);
        jr_tag(b, "</a></td><td class=\"customer-email\">", c->email, "</td><td>");
        jr_esc(b, c->city);
        jr_outf(b, "</td><td>%s</td></tr>", c->joined);
    }
    jr_out(b, "</tbody></table>");
    jr_html_end(b);
}

static void customer_page(jr_store *st, jr_resp *rs, const jr_customer *c)
{
    jr_buf *b = &rs->body;
    begin(b, c->name);
    int n;
    long spent;
    customer_totals(st, c->id, &n, &spent);
    jr_tag(b, "<h1 id=\"customer-name\">", c->name, "</h1><p>Email: <span id=\"customer-email\">");
    jr_esc(b, c->email);
    jr_out(b, "</span></p><p>City: <span id=\"customer-city\">");
    jr_esc(b, c->city);
    jr_outf(b, "</span></p><p>Orders: <span id=\"customer-orders\">%d</span></p><p>Lifetime sales: <span id=\"customer-spent\">", n);
    jr_html_money(b, spent);
    jr_out(b, "</span></p><h2>Orders</h2>");
    order_list(b, st, "customer-order-grid", c->id, NULL);
    jr_html_end(b);
}

static void year_links(jr_buf *b, const char *path)
{
    jr_outf(b, "<p>Period: <a href=\"%s\">All time</a> | <a href=\"%s?year=2023\">2023</a> | <a href=\"%s?year=2024\">2024</a></p>",
            path, path, path);
}

static const char *year_of(const jr_req *rq)
{
    const char *y = jr_form_get(&rq->query, "year");
    long v;
    return y && !jr_parse_long(y, 1900, 2100, &v) ? y : NULL;
}

static void report_sales(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *year = year_of(rq);
    jr_buf *b = &rs->body;
    begin(b, "Sales Report");
    jr_out(b, "<h1>Sales Report: by month</h1>");
    year_links(b, "/reports/sales");
    jr_out(b, "<table id=\"sales-report\"><thead><tr><th>Month</th><th>Orders</th><th>Items Sold</th><th>Revenue</th></tr></thead><tbody>");
    /* the orders are kept in date order, so months come out sorted */
    int total_orders = 0, total_items = 0;
    long total = 0;
    for (int i = 0; i < st->norders;) {
        char month[8];
        snprintf(month, sizeof month, "%.7s", st->order[i].date);
        int n = 0, items = 0;
        long rev = 0;
        for (; i < st->norders && !strncmp(st->order[i].date, month, 7); i++) {
            const jr_order *o = &st->order[i];
            if (!counted(o) || !in_year(o, year)) continue;
            n++;
            rev += jr_order_subtotal(o);
            for (int k = 0; k < o->nlines; k++) items += o->line[k].qty;
        }
        if (!n) continue;
        jr_outf(b, "<tr class=\"report-row\" data-month=\"%s\"><td>%s</td><td>%d</td><td>%d</td><td>", month, month, n, items);
        jr_html_money(b, rev);
        jr_out(b, "</td></tr>");
        total_orders += n, total_items += items, total += rev;
    }
    jr_outf(b, "</tbody><tfoot><tr><th>Total</th><th>%d</th><th>%d</th><th id=\"sales-total\">", total_orders, total_items);
    jr_html_money(b, total);
    jr_out(b, "</th></tr></tfoot></table>");
    jr_html_end(b);
}

typedef struct { int id, qty; long rev; } sold;

static int cmp_sold(const void *a, const void *b)
{
    const sold *x = a, *y = b;
    if (x->qty != y->qty) return y->qty - x->qty;
    if (x->rev != y->rev) return y->rev > x->rev ? 1 : -1;
    return x->id - y->id;
}

static void report_bestsellers(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *year = year_of(rq);
    sold s[JR_MAX_PRODUCTS];
    int n = 0;
    for (int i = 0; i < st->nproducts; i++) s[n++] = (sold){st->product[i].id, 0, 0};
    for (int i = 0; i < st->norders; i++) {
        const jr_order *o = &st->order[i];
        if (!counted(o) || !in_year(o, year)) continue;
        for (int k = 0; k < o->nlines; k++)
            for (int j = 0; j < n; j++)
                if (s[j].id == o->line[k].product) s[j].qty += o->line[k].qty, s[j].rev += o->line[k].qty * o->line[k].price;
    }
    qsort(s, (size_t)n, sizeof s[0], cmp_sold);
    jr_buf *b = &rs->body;
    begin(b, "Bestsellers");
    jr_out(b, "<h1>Bestsellers Report</h1>");
    year_links(b, "/reports/bestsellers");
    jr_out(b, "<table id=\"bestsellers\"><thead><tr><th>Rank</th><th>Product</th><th>Quantity Sold</th><th>Revenue</th></tr></thead><tbody>");
    for (int i = 0, rank = 1; i < n; i++) {
        if (!s[i].qty) continue;
        const jr_product *p = jr_store_product(st, s[i].id);
        jr_outf(b, "<tr class=\"report-row\" data-product-id=\"%d\"><td>%d</td><td class=\"product-name\">", p->id, rank++);
        jr_esc(b, p->name);
        jr_outf(b, "</td><td>%d</td><td>", s[i].qty);
        jr_html_money(b, s[i].rev);
        jr_out(b, "</td></tr>");
    }
    jr_out(b, "</tbody></table>");
    jr_html_end(b);
}

static void report_customers(jr_store *st, jr_resp *rs)
{
    sold s[JR_MAX_CUSTOMERS];
    int n = 0;
    for (int i = 0; i < jr_ncustomers && n < JR_MAX_CUSTOMERS; i++, n++) {
        s[n].id = jr_customers[i].id;
        customer_totals(st, s[n].id, &s[n].qty, &s[n].rev);
    }
    qsort(s, (size_t)n, sizeof s[0], cmp_sold);
    jr_buf *b = &rs->body;
    begin(b, "Customer Report");
    jr_out(b, "<h1>Customers by Orders</h1><table id=\"customer-report\"><thead><tr><th>Customer</th><th>Orders</th>"
              "<th>Lifetime Sales</th></tr></thead><tbody>");
    for (int i = 0; i < n; i++) {
        jr_outf(b, "<tr class=\"report-row\" data-customer-id=\"%d\"><td class=\"customer-name\">", s[i].id);
        jr_esc(b, jr_store_customer(s[i].id)->name);
        jr_outf(b, "</td><td>%d</td><td>", s[i].qty);
        jr_html_money(b, s[i].rev);
        jr_out(b, "</td></tr>");
    }
    jr_out(b, "</tbody></table>");
    jr_html_end(b);
}

static void reports(jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(b, "Reports");
    jr_out(b, "<h1>Reports</h1><ul id=\"reports\"><li><a href=\"/reports/sales\">Sales by month</a></li>"
              "<li><a href=\"/reports/bestsellers\">Bestsellers</a></li><li><a href=\"/reports/customers\">Customers by orders</a></li></ul>");
    jr_html_end(b);
}

void jr_admin_handle(jr_store *st, const jr_req *rq, jr_resp *rs)
{
    const char *path = rq->path;
    int id;
    jr_product *p = NULL;
    jr_order *o = NULL;
    if ((id = jr_path_id(path, "/product/", "/edit")) >= 0 && !(p = jr_store_product(st, id))) {
        jr_html_error(rs, 404, ADMIN, "There is no such product.");
        return;
    }
    if (!p && ((id = jr_path_id(path, "/order/", "")) >= 0 || (id = jr_path_id(path, "/order/", "/cancel")) >= 0 ||
               (id = jr_path_id(path, "/order/", "/ship")) >= 0) &&
        !(o = jr_store_order(st, id))) {
        jr_html_error(rs, 404, ADMIN, "There is no such order.");
        return;
    }
    if (rq->post) {
        if (p) edit_post(st, rq, rs, p);
        else if (o && jr_path_id(path, "/order/", "/cancel") >= 0) order_post(st, rs, o, 1);
        else if (o && jr_path_id(path, "/order/", "/ship") >= 0) order_post(st, rs, o, 0);
        else jr_html_error(rs, 405, ADMIN, "This page does not take a POST.");
        return;
    }
    const jr_customer *c;
    if (p) edit_form(&rs->body, p, jr_form_get(&rq->query, "saved") ? "You saved the product." : NULL, 1);
    else if (o && jr_path_id(path, "/order/", "") >= 0) order_page(st, rq, rs, o);
    else if (!strcmp(path, "/")) dashboard(st, rs);
    else if (!strcmp(path, "/products")) products(st, rq, rs);
    else if (!strcmp(path, "/orders")) orders(st, rq, rs);
    else if (!strcmp(path, "/customers")) customers(st, rs);
    else if ((id = jr_path_id(path, "/customer/", "")) >= 0 && (c = jr_store_customer(id))) customer_page(st, rs, c);
    else if (!strcmp(path, "/reports")) reports(rs);
    else if (!strcmp(path, "/reports/sales")) report_sales(st, rq, rs);
    else if (!strcmp(path, "/reports/bestsellers")) report_bestsellers(st, rq, rs);
    else if (!strcmp(path, "/reports/customers")) report_customers(st, rs);
    else jr_html_error(rs, 404, ADMIN, "There is no such page.");
}
