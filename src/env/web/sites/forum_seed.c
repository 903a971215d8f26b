/*
 * forum_seed.c -- the forum's seed: five forums, twenty threads with their
 * scores, and the comments under them.  jr_forum_seed copies it into a
 * jr_forum on every reset; tasks/web/reddit_*.json quote these facts.
 */
#include "env/web/sites/sites_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "jitrl/error.h"

const jr_forum_info jr_forums[] = {
    {"books", "Books", "Talk about what you are reading."},
    {"cooking", "Cooking", "Recipes, techniques and kitchen disasters."},
    {"gaming", "Gaming", "Video games, board games and everything between."},
    {"hiking", "Hiking", "Trails, gear and trip reports."},
    {"diy", "DIY", "Fix it, build it, make it yourself."},
};
const int jr_nforums = (int)(sizeof jr_forums / sizeof jr_forums[0]);

static const struct {
    int forum;
    const char *title, *author, *date;
    int score;
    const char *body;
} seed_threads[] = {
    {0, "What is the best book you read this year?", "maple_reader", "2024-01-03", 152,
     "Mine was a slow mystery set on a fishing boat. Tell me yours."},
    {0, "The Silent Orchard ending explained (spoilers)", "quietfox", "2024-02-11", 87,
     "I finished it last night and I have questions about the last chapter."},
    {0, "Looking for science fiction like The Expanse", "nova_kid", "2024-02-20", 64,
     "Big ships, believable politics, characters I care about."},
    {0, "Do you keep reading a book you dislike?", "maple_reader", "2024-03-01", 23,
     "I always feel guilty putting a book down."},
    {1, "My grandmother's lentil soup recipe", "soup_whisperer", "2023-12-15", 210,
     "Red lentils, one onion, two carrots, cumin, and a lot of patience."},
    {1, "How do you keep a cast iron pan from rusting?", "ironchef_dan", "2024-01-22", 98,
     "Mine gets orange spots after every wash."},
    {1, "Best budget chef's knife?", "quietfox", "2024-02-05", 45,
     "Under fifty dollars, for someone who cooks every day."},
    {1, "Sourdough starter smells like nail polish, help", "breadhead", "2024-03-04", 31,
     "It is two weeks old and fed once a day."},
    {2, "Which console should I buy in 2024?", "pixel_pusher", "2024-01-10", 77,
     "I mostly play racing games and the odd platformer."},
    {2, "Board game night recommendations for 6 players", "meeple_mia", "2024-02-02", 120,
     "Something that plays in under an hour and is easy to teach."},
    {2, "Finally beat the last boss after 40 hours", "nova_kid", "2024-02-28", 256,
     "Forty hours, two hundred deaths, no regrets."},
    {2, "Is a mechanical keyboard worth it for gaming?", "pixel_pusher", "2024-03-08", 19,
     "The cheap one I have works, but people keep telling me to upgrade."},
    {3, "Trip report: three days on the Ridge Trail", "trailmix", "2023-11-30", 143,
     "Forty-two miles, two nights, one very cold morning."},
    {3, "Trail running shoes vs hiking boots", "trailmix", "2024-01-17", 56,
     "I am switching to shoes for day hikes. Convince me otherwise."},
    {3, "Lightest two-person tent you would recommend?", "summit_sam", "2024-02-14", 38,
     "Three seasons, under two kilograms if possible."},
    {3, "Saw a bald eagle at Crater Lake today", "birdnerd", "2024-03-10", 301,
     "It circled the rim twice and landed on a snag near the lodge."},
    {4, "Fixed my leaking kitchen faucet for $4", "handy_hal", "2024-01-05", 189,
     "It was a worn O-ring. Shut off the water first!"},
    {4, "What drill should a beginner buy?", "alex_rivera", "2024-01-29", 27,
     "I want to hang shelves and maybe build a small table."},
    {4, "Built a bookshelf from reclaimed pallets", "handy_hal", "2024-02-19", 134,
     "Sanded, stained, and sealed. It holds about two hundred books."},
    {4, "How do I patch a hole in drywall?", "quietfox", "2024-03-06", 12,
     "A door handle went through the wall. About five centimetres across."},
};

/* thread (1-based index above), parent comment id (0 = top), author, score, body */
static const struct {
    int thread, parent;
    const char *author;
    int score;
    const char *body;
} seed_comments[] = {
    {1, 0, "quietfox", 41, "The Silent Orchard, without a doubt."},
    {1, 0, "nova_kid", 18, "Project Hail Mary. Could not put it down."},
    {1, 1, "maple_reader", 9, "Adding it to my list, thanks!"},
    {2, 0, "birdnerd", 22, "I read the last chapter twice. The orchard is the mother."},
    {2, 4, "quietfox", 7, "That is exactly how I read it too."},
    {3, 0, "maple_reader", 15, "Try the Murderbot Diaries."},
    {3, 0, "trailmix", 4, "Seconding Murderbot."},
    {4, 0, "soup_whisperer", 6, "Life is too short, I stop at page 50."},
    {5, 0, "breadhead", 33, "Made this last night, it was perfect."},
    {5, 0, "ironchef_dan", 12, "A squeeze of lemon at the end makes it."},
    {5, 9, "soup_whisperer", 8, "So glad you liked it!"},
    {6, 0, "handy_hal", 27, "Dry it on the stove and wipe on a thin layer of oil."},
    {6, 0, "soup_whisperer", 5, "Never soak it."},
    {7, 0, "ironchef_dan", 11, "A Victorinox Fibrox is hard to beat for the price."},
    {8, 0, "soup_whisperer", 9, "That is hunger; feed it twice a day."},
    {9, 0, "meeple_mia", 24, "Depends on the games you like. The exclusives decide it."},
    {9, 0, "nova_kid", 13, "The one your friends play on."},
    {9, 16, "pixel_pusher", 3, "Mostly racing games."},
    {10, 0, "trailmix", 30, "Codenames works great with six."},
    {10, 0, "quietfox", 14, "Wavelength!"},
    {11, 0, "pixel_pusher", 40, "Congrats! That fight took me a week."},
    {11, 0, "meeple_mia", 6, "Which build did you use?"},
    {12, 0, "handy_hal", 2, "Only if you like the feel."},
    {13, 0, "summit_sam", 19, "Great photos. How was the water supply?"},
    {13, 24, "trailmix", 8, "Two springs were running, the third was dry."},
    {14, 0, "birdnerd", 10, "Shoes for dry trails, boots with a heavy pack."},
    {15, 0, "trailmix", 12, "Anything under 1.5 kg is good; check the floor area."},
    {16, 0, "summit_sam", 44, "Lucky! I have never seen one there."},
    {16, 0, "maple_reader", 9, "Photo or it did not happen :)"},
    {17, 0, "quietfox", 21, "Saved me a plumber visit, thank you."},
    {17, 0, "alex_rivera", 5, "Was it the O-ring or the cartridge?"},
    {18, 0, "handy_hal", 14, "A 12 V drill driver is enough to start."},
    {18, 0, "trailmix", 3, "Get one with two batteries."},
    {19, 0, "breadhead", 17, "That looks better than store-bought."},
};

void jr_forum_free(jr_forum *f)
{
    for (int i = 0; i < f->nthreads; i++) jr_free(f->thread[i].body);
    for (int i = 0; i < f->ncomments; i++) jr_free(f->comment[i].body);
    f->nthreads = f->ncomments = 0;
}

int jr_forum_seed(jr_forum *f)
{
    jr_forum_free(f);
    size_t nt = sizeof seed_threads / sizeof seed_threads[0], nc = sizeof seed_comments / sizeof seed_comments[0];
    assert(nt <= JR_MAX_THREADS && nc <= JR_MAX_COMMENTS);
    for (size_t i = 0; i < nt; i++) {
        jr_thread *t = &f->thread[i];
        memset(t, 0, sizeof *t);
        t->id = (int)i + 1;
        t->forum = seed_threads[i].forum;
        snprintf(t->title, sizeof t->title, "%s", seed_threads[i].title);
        snprintf(t->author, sizeof t->author, "%s", seed_threads[i].author);
        snprintf(t->date, sizeof t->date, "%s", seed_threads[i].date);
        t->score = seed_threads[i].score;
        t->body = jr_strdup(seed_threads[i].body);
        f->nthreads = (int)i + 1;
        if (!t->body) goto nomem;
    }
    for (size_t i = 0; i < nc; i++) {
        jr_comment *c = &f->comment[i];
        memset(c, 0, sizeof *c);
        c->id = (int)i + 1;
        c->thread = seed_comments[i].thread;
        c->parent = seed_comments[i].parent;
        snprintf(c->author, sizeof c->author, "%s", seed_comments[i].author);
        c->score = seed_comments[i].score;
        c->body = jr_strdup(seed_comments[i].body);
        f->ncomments = (int)i + 1;
        if (!c->body) goto nomem;
    }
    return JITRL_OK;
nomem:
    jr_forum_free(f);
    return JITRL_ENOMEM;
}
