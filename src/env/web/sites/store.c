/*
 * store.c -- the shop's data (products, customers, orders, the cart) and
 * its seed, shared by the shop (shop.c) and the admin panel (admin.c).
 *
 * The seed is constant tables compiled in, copied into a jr_store on every
 * reset, so every episode starts from the same facts: the tasks under
 * tasks/web/ quote them (prices, stock, who ordered what, monthly sales).
 * Change a number here and the test that checks every task's reference
 * answer against the pages says which tasks to update.
 */
#include "env/web/sites/sites_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const jr_category jr_categories[] = {
    {"electronics", "Electronics"},
    {"home-kitchen", "Home & Kitchen"},
    {"sports-outdoors", "Sports & Outdoors"},
    {"beauty", "Beauty & Personal Care"},
    {"books", "Books"},
    {"grocery", "Grocery"},
};
const int jr_ncategories = (int)(sizeof jr_categories / sizeof jr_categories[0]);

const jr_customer jr_customers[] = {
    {1, "Jordan Ellis", "jordan.ellis@example.com", "Portland", "2021-04-02"},
    {2, "Priya Shah", "priya.shah@example.com", "Austin", "2021-09-14"},
    {3, "Marcus Chen", "marcus.chen@example.com", "Chicago", "2022-01-20"},
    {4, "Sofia Rossi", "sofia.rossi@example.com", "Boston", "2022-05-03"},
    {5, "Daniel Okafor", "daniel.okafor@example.com", "Denver", "2022-08-11"},
    {6, "Hannah Weber", "hannah.weber@example.com", "Seattle", "2023-02-27"},
    {7, "Luis Moreno", "luis.moreno@example.com", "Miami", "2023-06-09"},
    {8, "Aiko Tanaka", "aiko.tanaka@example.com", "San Jose", "2023-10-30"},
};
const int jr_ncustomers = (int)(sizeof jr_customers / sizeof jr_customers[0]);

static const jr_product seed_products[] = {
    {1, "EL-1001", "Wireless Noise-Cancelling Headphones", 0, 8999, 14, 4, 212, 1,
     "Over-ear headphones with active noise cancelling and 30 hours of battery."},
    {2, "EL-1002", "USB-C Charging Cable 2m", 0, 1299, 120, 5, 530, 1,
     "Braided USB-C to USB-C cable, 60 W fast charging."},
    {3, "EL-1003", "Bluetooth Portable Speaker", 0, 4550, 35, 4, 98, 1,
     "Waterproof speaker with 12 hours of playtime."},
    {4, "EL-1004", "Mechanical Keyboard", 0, 7400, 8, 5, 61, 1,
     "Tenkeyless keyboard with tactile brown switches."},
    {5, "EL-1005", "Wireless Optical Mouse", 0, 2199, 60, 4, 143, 1,
     "Quiet clicks, 2.4 GHz receiver, 18 months on one battery."},
    {6, "EL-1006", "4K Action Camera", 0, 15900, 5, 3, 27, 1,
     "Shoots 4K at 60 fps; waterproof case included."},
    {7, "HK-2001", "Stainless Steel French Press", 1, 3249, 22, 5, 310, 1,
     "Double-walled 1 litre press that keeps coffee hot."},
    {8, "HK-2002", "Ceramic Coffee Mug Set (4)", 1, 2800, 40, 4, 77, 1,
     "Four 350 ml stoneware mugs, dishwasher safe."},
    {9, "HK-2003", "Non-Stick Frying Pan 28cm", 1, 3999, 18, 4, 156, 1,
     "Induction-ready pan with a stay-cool handle."},
    {10, "HK-2004", "Bamboo Cutting Board", 1, 1875, 55, 5, 204, 1,
     "Large reversible board with a juice groove."},
    {11, "HK-2005", "Electric Kettle 1.7L", 1, 4499, 0, 4, 88, 1,
     "Boils in three minutes; automatic shut-off."},
    {12, "HK-2006", "Cotton Bath Towels (Set of 2)", 1, 2450, 30, 3, 45, 1,
     "Soft 600 gsm cotton towels."},
    {13, "SP-3001", "Yoga Mat 6mm", 2, 2999, 42, 5, 389, 1,
     "Non-slip mat with a carrying strap."},
    {14, "SP-3002", "Adjustable Dumbbells 20kg", 2, 11900, 7, 4, 52, 1,
     "A pair of dumbbells adjustable from 2 to 10 kg each."},
    {15, "SP-3003", "Insulated Water Bottle 750ml", 2, 2495, 80, 5, 640, 1,
     "Keeps drinks cold for 24 hours and hot for 12."},
    {16, "SP-3004", "Trail Running Shoes", 2, 8950, 12, 4, 73, 1,
     "Grippy outsole and a rock plate for rough trails."},
    {17, "SP-3005", "Camping Tent for 2", 2, 13499, 6, 4, 38, 1,
     "Three-season tent, 2.1 kg, pitches in five minutes."},
    {18, "SP-3006", "Resistance Bands Set", 2, 1650, 90, 4, 211, 1,
     "Five bands from light to extra heavy, with handles."},
    {19, "BE-4001", "Lavender Hand Cream", 3, 899, 75, 5, 122, 1,
     "Shea butter cream with lavender oil, 75 ml."},
    {20, "BE-4002", "Vitamin C Face Serum", 3, 2150, 33, 4, 95, 1,
     "15% vitamin C serum with hyaluronic acid."},
    {21, "BE-4003", "Electric Toothbrush", 3, 4999, 20, 5, 301, 1,
     "Sonic toothbrush with a two-minute timer and two heads."},
    {22, "BE-4004", "Argan Oil Shampoo", 3, 1399, 48, 4, 66, 1,
     "Sulfate-free shampoo for dry hair, 400 ml."},
    {23, "BO-5001", "The Silent Orchard (Paperback)", 4, 1499, 25, 5, 840, 1,
     "A novel of a family orchard over three generations."},
    {24, "BO-5002", "Cooking for Two: 100 Recipes", 4, 2299, 16, 4, 57, 1,
     "Weeknight recipes scaled for two people."},
    {25, "BO-5003", "A Field Guide to Birds", 4, 1950, 9, 5, 112, 1,
     "Over 500 species with colour plates and range maps."},
    {26, "BO-5004", "Learning C the Careful Way", 4, 3900, 11, 4, 29, 1,
     "An introduction to C with an eye on undefined behaviour."},
    {27, "GR-6001", "Organic Green Tea (100 bags)", 5, 1100, 65, 5, 402, 1,
     "Sencha green tea, individually wrapped bags."},
    {28, "GR-6002", "Dark Chocolate 85% (Pack of 5)", 5, 1575, 50, 4, 188, 1,
     "Five 100 g bars of single-origin dark chocolate."},
    {29, "GR-6003", "Extra Virgin Olive Oil 1L", 5, 1725, 28, 5, 133, 1,
     "Cold-pressed olive oil from a single estate."},
    {30, "GR-6004", "Roasted Almonds 500g", 5, 999, 70, 4, 91, 1,
     "Dry-roasted, lightly salted almonds."},
};

/* Orders: id, customer, date, status, shipping method, then (product, qty)
 * pairs ended by 0. */
static const struct {
    int id, customer;
    const char *date, *status, *method;
    int lines[2 * JR_MAX_LINES + 1];
} seed_orders[] = {
    {101, 1, "2023-01-12", "complete", "standard", {13, 1, 15, 2, 0}},
    {102, 2, "2023-02-03", "complete", "express", {1, 1, 0}},
    {103, 3, "2023-02-18", "complete", "standard", {7, 1, 8, 1, 0}},
    {104, 1, "2023-03-05", "complete", "standard", {23, 2, 0}},
    {105, 4, "2023-03-22", "canceled", "standard", {6, 1, 0}},
    {106, 5, "2023-04-10", "complete", "standard", {15, 3, 18, 1, 0}},
    {107, 2, "2023-05-01", "complete", "standard", {21, 1, 19, 2, 0}},
    {108, 6, "2023-05-19", "complete", "standard", {13, 2, 16, 1, 0}},
    {109, 1, "2023-06-30", "complete", "standard", {4, 1, 5, 1, 0}},
    {110, 7, "2023-08-14", "complete", "standard", {15, 1, 27, 2, 0}},
    {111, 3, "2023-09-02", "complete", "standard", {2, 3, 0}},
    {112, 8, "2023-11-25", "complete", "express", {14, 1, 0}},
    {113, 1, "2024-01-08", "processing", "standard", {9, 1, 10, 1, 0}},
    {114, 4, "2024-02-14", "pending", "standard", {28, 2, 19, 1, 0}},
    {115, 5, "2024-03-02", "pending", "standard", {3, 1, 0}},
};

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src);
}

void jr_store_seed(jr_store *st)
{
    size_t np = sizeof seed_products / sizeof seed_products[0];
    assert(np <= JR_MAX_PRODUCTS);
    memcpy(st->product, seed_products, sizeof seed_products);
    st->nproducts = (int)np;
    st->norders = 0;
    for (size_t i = 0; i < sizeof seed_orders / sizeof seed_orders[0]; i++) {
        jr_order *o = &st->order[st->norders++];
        memset(o, 0, sizeof *o);
        o->id = seed_orders[i].id;
        o->customer = seed_orders[i].customer;
        copy_str(o->date, sizeof o->date, seed_orders[i].date);
        copy_str(o->status, sizeof o->status, seed_orders[i].status);
        copy_str(o->ship_method, sizeof o->ship_method, seed_orders[i].method);
        o->shipping = strcmp(seed_orders[i].method, "express") ? 500 : 1500;
        const jr_customer *c = jr_store_customer(o->customer);
        assert(c);
        copy_str(o->ship_name, sizeof o->ship_name, c->name);
        snprintf(o->ship_addr, sizeof o->ship_addr, "%d Main Street, %s", 10 + o->customer * 7, c->city);
        for (const int *l = seed_orders[i].lines; *l; l += 2) {
            const jr_product *p = jr_store_product(st, l[0]);
            assert(p && o->nlines < JR_MAX_LINES);
            jr_line *ln = &o->line[o->nlines++];
            ln->product = p->id;
            ln->qty = l[1];
            ln->price = p->price;
            _Static_assert(sizeof ln->name == sizeof p->name, "same size");
            memcpy(ln->name, p->name, sizeof ln->name);
        }
    }
    st->ncart = 0;
}

jr_product *jr_store_product(jr_store *st, int id)
{
    for (int i = 0; i < st->nproducts; i++)
        if (st->product[i].id == id) return &st->product[i];
    return NULL;
}

jr_order *jr_store_order(jr_store *st, int id)
{
    for (int i = 0; i < st->norders; i++)
        if (st->order[i].id == id) return &st->order[i];
    return NULL;
}

const jr_customer *jr_store_customer(int id)
{
    for (int i = 0; i < jr_ncustomers; i++)
        if (jr_customers[i].id == id) return &jr_customers[i];
    return NULL;
}

long jr_order_subtotal(const jr_order *o)
{
    long t = 0;
    for (int i = 0; i < o->nlines; i++) t += o->line[i].price * o->line[i].qty;
    return t;
}

long jr_order_total(const jr_order *o)
{
    return jr_order_subtotal(o) + o->shipping;
}
