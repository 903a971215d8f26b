/*
 * forum.c -- the forum ("reddit"): the front page, forums, threads with
 * nested comments, submitting a thread, replying, voting, user pages and
 * search.
 *
 * One user (JR_FORUM_USER) is signed in.  A vote is the user's own
 * (-1, 0, +1) on top of everyone else's score, so voting twice in the same
 * direction takes the vote back, and the shown score is score + myvote.
 * A check reads #thread-score, .comment-score, #thread-title,
 * .comment-body, and aria-pressed on the vote buttons.  Called with the
 * forum's mutex held (sites.c).
 */
#include "env/web/sites/sites_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define FORUM "Commons"

static void begin(jr_buf *b, const char *title)
{
    static const char *const nav[] = {"/", "Home", "/forums", "Forums", "/submit", "Submit",
                                      "/user/" JR_FORUM_USER, JR_FORUM_USER, NULL};
    jr_html_begin(b, FORUM, title, nav);
    jr_out(b, "<form id=\"search-form\" method=\"get\" action=\"/search\" role=\"search\"><input type=\"search\" id=\"search\" "
              "name=\"q\" placeholder=\"Search threads\" aria-label=\"Search\"> <button type=\"submit\">Search</button></form>\n");
}

/* Escaped, with newlines as <br>. */
static void esc_text(jr_buf *b, const char *s)
{
    const char *nl;
    while ((nl = strchr(s, '\n'))) {
        char *line = jr_strndup(s, (size_t)(nl - s));
        if (line) jr_esc(b, line);
        jr_free(line);
        jr_out(b, "<br>");
        s = nl + 1;
    }
    jr_esc(b, s);
}

static int forum_index(const char *name)
{
    for (int i = 0; i < jr_nforums; i++)
        if (!strcmp(jr_forums[i].name, name)) return i;
    return -1;
}

static jr_thread *find_thread(jr_forum *f, int id)
{
    for (int i = 0; i < f->nthreads; i++)
        if (f->thread[i].id == id) return &f->thread[i];
    return NULL;
}

static jr_comment *find_comment(jr_forum *f, int id)
{
    for (int i = 0; i < f->ncomments; i++)
        if (f->comment[i].id == id) return &f->comment[i];
    return NULL;
}

static int ncomments(const jr_forum *f, int thread)
{
    int n = 0;
    for (int i = 0; i < f->ncomments; i++) n += f->comment[i].thread == thread;
    return n;
}

static void vote_buttons(jr_buf *b, const char *kind, int id, int myvote, const char *back)
{
    for (int d = 1; d >= -1; d -= 2) {
        jr_outf(b, "<form class=\"inline vote\" method=\"post\" action=\"/vote\"><input type=\"hidden\" name=\"kind\" value=\"%s\">"
                   "<input type=\"hidden\" name=\"id\" value=\"%d\"><input type=\"hidden\" name=\"dir\" value=\"%s\">"
                   "<input type=\"hidden\" name=\"back\" value=\"",
                kind, id, d > 0 ? "up" : "down");
        jr_esc(b, back);
        jr_outf(b, "\"><button type=\"submit\" class=\"%s%s\" aria-label=\"%s\" aria-pressed=\"%s\">%s</button></form>",
                d > 0 ? "upvote" : "downvote", myvote == d ? " voted" : "", d > 0 ? "Upvote" : "Downvote",
                myvote == d ? "true" : "false", d > 0 ? "&#9650;" : "&#9660;");
    }
}

static void thread_item(jr_buf *b, const jr_forum *f, const jr_thread *t, const char *back)
{
    const char *fn = jr_forums[t->forum].name;
    jr_outf(b, "<li class=\"thread\" data-thread-id=\"%d\">", t->id);
    vote_buttons(b, "thread", t->id, t->myvote, back);
    jr_outf(b, " <span class=\"score\" id=\"score-%d\">%d</span> <a class=\"thread-title\" href=\"/f/%s/%d\">",
            t->id, t->score + t->myvote, fn, t->id);
    jr_esc(b, t->title);
    jr_outf(b, "</a> <span class=\"meta muted\">in <a href=\"/f/%s\">", fn);
    jr_esc(b, jr_forums[t->forum].title);
    jr_tag(b, "</a> by <a href=\"/user/", t->author, "\">");
    jr_esc(b, t->author);
    int n = ncomments(f, t->id);
    jr_outf(b, "</a> on %s &middot; <a href=\"/f/%s/%d\">%d %s</a></span></li>\n", t->date, fn, t->id, n,
            n == 1 ? "comment" : "comments");
}

static int by_score(const void *a, const void *b)
{
    const jr_thread *x = *(const jr_thread *const *)a, *y = *(const jr_thread *const *)b;
    int sx = x->score + x->myvote, sy = y->score + y->myvote;
    return sx != sy ? sy - sx : x->id - y->id;
}

static int by_new(const void *a, const void *b)
{
    const jr_thread *x = *(const jr_thread *const *)a, *y = *(const jr_thread *const *)b;
    int c = strcmp(y->date, x->date);
    return c ? c : y->id - x->id;
}

/* Threads of forum fi (-1 = all), matching q (NULL = all), sorted. */
static void thread_list(jr_buf *b, jr_forum *f, int fi, const char *q, const char *sort, const char *id, const char *back)
{
    const jr_thread *list[JR_MAX_THREADS];
    int n = 0;
    for (int i = 0; i < f->nthreads; i++) {
        const jr_thread *t = &f->thread[i];
        if ((fi < 0 || t->forum == fi) && (!q || jr_icontains(t->title, q) || jr_icontains(t->body, q))) list[n++] = t;
    }
    qsort(list, (size_t)n, sizeof list[0], sort && !strcmp(sort, "new") ? by_new : by_score);
    jr_outf(b, "<ul id=\"%s\" class=\"threads\">", id);
    for (int i = 0; i < n; i++) thread_item(b, f, list[i], back);
    jr_out(b, "</ul>");
    if (!n) jr_out(b, "<p id=\"no-results\">No threads here.</p>");
}

static void sort_links(jr_buf *b, const char *path)
{
    jr_outf(b, "<p class=\"sort\">Sort: <a href=\"%s\">Top</a> | <a href=\"%s?sort=new\">New</a></p>", path, path);
}

static void front(jr_forum *f, const jr_req *rq, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(b, "Front page");
    jr_out(b, "<h1>Front page</h1>");
    sort_links(b, "/");
    thread_list(b, f, -1, NULL, jr_form_get(&rq->query, "sort"), "threads", "/");
    jr_html_end(b);
}

static void forums(jr_forum *f, jr_resp *rs)
{
    jr_buf *b = &rs->body;
    begin(b, "Forums");
    jr_out(b, "<h1>Forums</h1><ul id=\"forum-list\">");
    for (int i = 0; i < jr_nforums; i++) {
        int n = 0;
        for (int k = 0; k < f->nthreads; k++) n += f->thread[k].forum == i;
        jr_outf(b, "<li class=\"forum-item\" data-forum=\"%s\"><a href=\"/f/%s\">", jr_forums[i].name, jr_forums[i].name);
        jr_esc(b, jr_forums[i].title);
        jr_out(b, "</a> <span class=\"muted\">");
        jr_esc(b, jr_forums[i].desc);
        jr_outf(b, " (%d threads)</span></li>", n);
    }
    jr_out(b, "</ul>");
    jr_html_end(b);
}

static void forum_page(jr_forum *f, const jr_req *rq, jr_resp *rs, int fi)
{
    jr_buf *b = &rs->body;
    char path[64];
    snprintf(path, sizeof path, "/f/%s", jr_forums[fi].name);
    begin(b, jr_forums[fi].title);
    jr_tag(b, "<h1 id=\"forum-title\">", jr_forums[fi].title, "</h1><p id=\"forum-description\">");
    jr_esc(b, jr_forums[fi].desc);
    jr_outf(b, "</p><p><a href=\"/submit?forum=%s\">Submit a new thread</a></p>", jr_forums[fi].name);
    sort_links(b, path);
    thread_list(b, f, fi, NULL, jr_form_get(&rq->query, "sort"), "threads", path);
    jr_html_end(b);
}

/* The comments under parent, depth-first; parents always come before
 * their replies (a reply names an existing comment), so this ends. */
static void comment_tree(jr_buf *b, jr_forum *f, const jr_thread *t, int parent, int depth, const char *back)
{
    for (int i = 0; i < f->ncomments; i++) {
        const jr_comment *c = &f->comment[i];
        if (c->thread != t->id || c->parent != parent) continue;
        jr_outf(b, "<div class=\"comment\" id=\"comment-%d\" data-comment-id=\"%d\"><p class=\"comment-meta\"><a class=\"comment-author\" href=\"/user/",
                c->id, c->id);
        jr_esc(b, c->author);
        jr_out(b, "\">");
        jr_esc(b, c->author);
        jr_outf(b, "</a> <span class=\"comment-score score\">%d</span> points</p><div class=\"comment-body\">", c->score + c->myvote);
        esc_text(b, c->body);
        jr_out(b, "</div>");
        vote_buttons(b, "comment", c->id, c->myvote, back);
        jr_outf(b, " <a class=\"reply-link\" href=\"/f/%s/%d?reply_to=%d#reply-form\">Reply</a>", jr_forums[t->forum].name, t->id, c->id);
        if (depth < 16) comment_tree(b, f, t, c->id, depth + 1, back);
        jr_out(b, "</div>\n");
    }
}

static void thread_page(jr_forum *f, const jr_req *rq, jr_resp *rs, jr_thread *t, const char *error)
{
    jr_buf *b = &rs->body;
    const char *fn = jr_forums[t->forum].name;
    char back[64];
    snprintf(back, sizeof back, "/f/%s/%d", fn, t->id);
    begin(b, t->title);
    jr_outf(b, "<article id=\"thread\" data-thread-id=\"%d\"><h1 id=\"thread-title\" class=\"thread-title\">", t->id);
    jr_esc(b, t->title);
    jr_tag(b, "</h1><p class=\"meta muted\">submitted by <a id=\"thread-author\" href=\"/user/", t->author, "\">");
    jr_esc(b, t->author);
    jr_outf(b, "</a> in <a id=\"thread-forum\" href=\"/f/%s\">", fn);
    jr_esc(b, jr_forums[t->forum].title);
    jr_outf(b, "</a> on <span id=\"thread-date\">%s</span></p><p>", t->date);
    vote_buttons(b, "thread", t->id, t->myvote, back);
    jr_outf(b, " <span id=\"thread-score\" class=\"score\">%d</span> points</p><div id=\"thread-body\">", t->score + t->myvote);
    esc_text(b, t->body);
    int n = ncomments(f, t->id);
    jr_outf(b, "</div></article><h2><span id=\"comment-count\">%d</span> %s</h2><div id=\"comments\">", n, n == 1 ? "comment" : "comments");
    comment_tree(b, f, t, 0, 0, back);
    jr_out(b, "</div>");
    long rt;
    const jr_comment *to = NULL;
    if (!jr_parse_long(jr_form_get(&rq->query, "reply_to"), 1, 1000000, &rt)) {
        to = find_comment(f, (int)rt);
        if (to && to->thread != t->id) to = NULL;
    }
    jr_outf(b, "<h2>Add a comment</h2><form id=\"reply-form\" method=\"post\" action=\"/f/%s/%d/comment\">", fn, t->id);
    if (error) {
        jr_tag(b, "<p class=\"error\" id=\"reply-error\">", error, "</p>");
    }
    if (to) {
        jr_outf(b, "<p id=\"replying-to\">Replying to ");
        jr_esc(b, to->author);
        jr_outf(b, "</p><input type=\"hidden\" name=\"parent\" value=\"%d\">", to->id);
    }
    jr_out(b, "<textarea id=\"reply-body\" name=\"body\" rows=\"4\" cols=\"60\" maxlength=\"4000\" aria-label=\"Comment\" required></textarea>"
              "<br><button type=\"submit\" id=\"post-comment\">Post comment</button></form>");
    jr_html_end(b);
}

/* Text a user typed: 1..max-1 bytes, not only spaces. */
static int text_ok(const char *s, size_t max)
{
    if (!s || strlen(s) >= max) return 0;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 1;
    return 0;
}

static void comment_post(jr_forum *f, const jr_req *rq, jr_resp *rs, jr_thread *t)
{
    const char *body = jr_form_get(&rq->body, "body"), *ps = jr_form_get(&rq->body, "parent");
    long parent = 0;
    const char *err = NULL;
    if (!text_ok(body, JR_BODY_MAX)) err = "A comment needs some text (at most 4000 characters).";
    else if (ps && *ps && (jr_parse_long(ps, 1, 1000000, &parent) || !find_comment(f, (int)parent) ||
                           find_comment(f, (int)parent)->thread != t->id))
        err = "The comment you reply to is not in this thread.";
    else if (f->ncomments == JR_MAX_COMMENTS) err = "This forum takes no more comments today.";
    char *copy = err ? NULL : jr_strdup(body);
    if (!err && !copy) err = "Out of memory.";
    if (err) {
        thread_page(f, rq, rs, t, err);
        rs->status = 400;
        return;
    }
    jr_comment *c = &f->comment[f->ncomments];
    memset(c, 0, sizeof *c);
    for (int i = 0; i < f->ncomments; i++)
        if (f->comment[i].id >= c->id) c->id = f->comment[i].id + 1;
    f->ncomments++;
    c->thread = t->id;
    c->parent = (int)parent;
    snprintf(c->author, sizeof c->author, "%s", JR_FORUM_USER);
    c->body = copy;
    c->myvote = 1;
    jr_redirect(rs, "/f/%s/%d#comment-%d", jr_forums[t->forum].name, t->id, c->id);
}

static void submit_form(jr_buf *b, const char *forum, const char *error)
{
    begin(b, "Create submission");
    jr_out(b, "<h1>Create submission</h1>");
    if (error) {
        jr_tag(b, "<p class=\"error\" id=\"submit-error\">", error, "</p>");
    }
    jr_out(b, "<form id=\"submit-form\" method=\"post\" action=\"/submit\"><label>Forum <select id=\"submit-forum\" name=\"forum\">");
    for (int i = 0; i < jr_nforums; i++) {
        jr_outf(b, "<option value=\"%s\"%s>", jr_forums[i].name, forum && !strcmp(forum, jr_forums[i].name) ? " selected" : "");
        jr_esc(b, jr_forums[i].title);
        jr_out(b, "</option>");
    }
    jr_out(b, "</select></label><label>Title <input type=\"text\" id=\"submit-title\" name=\"title\" maxlength=\"200\" required></label>"
              "<label>Body <textarea id=\"submit-body\" name=\"body\" rows=\"6\" cols=\"60\" maxlength=\"4000\"></textarea></label>"
              "<button type=\"submit\" id=\"create-submission\">Create submission</button></form>");
    jr_html_end(b);
}

static void submit_post(jr_forum *f, const jr_req *rq, jr_resp *rs)
{
    const char *forum = jr_form_get(&rq->body, "forum"), *title = jr_form_get(&rq->body, "title");
    const char *body = jr_form_get(&rq->body, "body");
    int fi = forum ? forum_index(forum) : -1;
    const char *err = NULL;
    if (fi < 0) err = "Choose a forum.";
    else if (!text_ok(title, JR_TITLE_MAX)) err = "A title needs some text (at most 200 characters).";
    else if (body && strlen(body) >= JR_BODY_MAX) err = "The body has at most 4000 characters.";
    else if (f->nthreads == JR_MAX_THREADS) err = "This forum takes no more threads today.";
    char *copy = err ? NULL : jr_strdup(body ? body : "");
    if (!err && !copy) err = "Out of memory.";
    if (err) {
        submit_form(&rs->body, forum, err);
        rs->status = 400;
        return;
    }
    jr_thread *t = &f->thread[f->nthreads];
    memset(t, 0, sizeof *t);
    for (int i = 0; i < f->nthreads; i++)
        if (f->thread[i].id >= t->id) t->id = f->thread[i].id + 1;
    f->nthreads++;
    t->forum = fi;
    snprintf(t->title, sizeof t->title, "%s", title);
    snprintf(t->author, sizeof t->author, "%s", JR_FORUM_USER);
    snprintf(t->date, sizeof t->date, "%s", JR_STORE_TODAY);
    t->body = copy;
    t->myvote = 1;
    jr_redirect(rs, "/f/%s/%d", jr_forums[fi].name, t->id);
}

/* A path on this site to go back to: "/..." of our own characters. */
static int back_ok(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/' || strlen(s) > 200) return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.?=&#", *s)) return 0;
    return 1;
}

static void vote_post(jr_forum *f, const jr_req *rq, jr_resp *rs)
{
    const char *kind = jr_form_get(&rq->body, "kind"), *dir = jr_form_get(&rq->body, "dir");
    const char *back = jr_form_get(&rq->body, "back");
    long id;
    int d = dir && !strcmp(dir, "up") ? 1 : dir && !strcmp(dir, "down") ? -1 : 0;
    if (!kind || !d || jr_parse_long(jr_form_get(&rq->body, "id"), 1, 1000000, &id)) {
        jr_html_error(rs, 400, FORUM, "A vote needs a kind, an id and a direction.");
        return;
    }
    int *my = NULL;
    const jr_thread *t = NULL;
    if (!strcmp(kind, "thread") && (t = find_thread(f, (int)id))) my = &find_thread(f, (int)id)->myvote;
    jr_comment *c = !strcmp(kind, "comment") ? find_comment(f, (int)id) : NULL;
    if (c) {
        my = &c->myvote;
        t = find_thread(f, c->thread);
    }
    if (!my || !t) {
        jr_html_error(rs, 404, FORUM, "There is nothing to vote on there.");
        return;
    }
    *my = *my == d ? 0 : d;
    if (back_ok(back)) jr_redirect(rs, "%s", back);
    else jr_redirect(rs, "/f/%s/%d", jr_forums[t->forum].name, t->id);
}

static void user_page(jr_forum *f, jr_resp *rs, const char *name)
{
    int known = !strcmp(name, JR_FORUM_USER);
    for (int i = 0; !known && i < f->nthreads; i++) known = !strcmp(f->thread[i].author, name);
    for (int i = 0; !known && i < f->ncomments; i++) known = !strcmp(f->comment[i].author, name);
    if (!known) {
        jr_html_error(rs, 404, FORUM, "There is no such user.");
        return;
    }
    jr_buf *b = &rs->body;
    begin(b, name);
    jr_tag(b, "<h1 id=\"user-name\">", name, "</h1><h2>Threads</h2><ul id=\"user-threads\" class=\"threads\">");
    for (int i = 0; i < f->nthreads; i++)
        if (!strcmp(f->thread[i].author, name)) thread_item(b, f, &f->thread[i], "/");
    jr_out(b, "</ul><h2>Comments</h2><ul id=\"user-comments\">");
    for (int i = 0; i < f->ncomments; i++) {
        const jr_comment *c = &f->comment[i];
        const jr_thread *t = find_thread(f, c->thread);
        if (strcmp(c->author, name) || !t) continue;
        jr_outf(b, "<li class=\"user-comment\"><span class=\"comment-body\">");
        esc_text(b, c->body);
        jr_outf(b, "</span> on <a href=\"/f/%s/%d#comment-%d\">", jr_forums[t->forum].name, t->id, c->id);
        jr_esc(b, t->title);
        jr_out(b, "</a></li>");
    }
    jr_out(b, "</ul>");
    jr_html_end(b);
}

static void search(jr_forum *f, const jr_req *rq, jr_resp *rs)
{
    const char *q = jr_form_get(&rq->query, "q");
    jr_buf *b = &rs->body;
    begin(b, "Search");
    jr_tag(b, "<h1>Search results for '", q ? q : "", "'</h1>");
    if (q && *q) thread_list(b, f, -1, q, NULL, "search-results", "/");
    else jr_out(b, "<p id=\"no-results\">Type something to search for.</p>");
    jr_html_end(b);
}

void jr_forum_handle(jr_forum *f, const jr_req *rq, jr_resp *rs)
{
    const char *path = rq->path;
    /* /f/NAME, /f/NAME/ID, /f/NAME/ID/comment */
    if (!strncmp(path, "/f/", 3)) {
        char name[32];
        const char *rest = strchr(path + 3, '/');
        size_t n = rest ? (size_t)(rest - path - 3) : strlen(path + 3);
        int fi = -1;
        if (n < sizeof name) {
            memcpy(name, path + 3, n);
            name[n] = '\0';
            fi = forum_index(name);
        }
        if (fi < 0) {
            jr_html_error(rs, 404, FORUM, "There is no such forum.");
            return;
        }
        if (!rest || !strcmp(rest, "/")) {
            if (rq->post) jr_html_error(rs, 405, FORUM, "This page does not take a POST.");
            else forum_page(f, rq, rs, fi);
            return;
        }
        int id = jr_path_id(rest, "/", ""), cid = jr_path_id(rest, "/", "/comment");
        jr_thread *t = find_thread(f, id >= 0 ? id : cid);
        if (!t || t->forum != fi) jr_html_error(rs, 404, FORUM, "There is no such thread.");
        else if (rq->post && cid >= 0) comment_post(f, rq, rs, t);
        else if (rq->post || id < 0) jr_html_error(rs, rq->post ? 405 : 404, FORUM, "There is no such page.");
        else thread_page(f, rq, rs, t, NULL);
        return;
    }
    if (rq->post) {
        if (!strcmp(path, "/vote")) vote_post(f, rq, rs);
        else if (!strcmp(path, "/submit")) submit_post(f, rq, rs);
        else jr_html_error(rs, 405, FORUM, "This page does not take a POST.");
        return;
    }
    if (!strcmp(path, "/")) front(f, rq, rs);
    else if (!strcmp(path, "/forums")) forums(f, rs);
    else if (!strcmp(path, "/submit")) submit_form(&rs->body, jr_form_get(&rq->query, "forum"), NULL);
    else if (!strncmp(path, "/user/", 6) && path[6] && strlen(path + 6) < 32 && !strchr(path + 6, '/')) user_page(f, rs, path + 6);
    else if (!strcmp(path, "/search")) search(f, rq, rs);
    else jr_html_error(rs, 404, FORUM, "There is no such page.");
}
