/* facts_data.c -- generated from data/games.tsv by scripts/gen_facts.sh; do not edit. */
#include "env/zgame/env_int.h"

const char env_facts_tsv[] =
    "# Facts about known story files, recognised by md5 (see src/env/zgame/facts.c).  Copied from ../shared/jericho/games.tsv\n"
    "# (the Jericho benchmark's per-game bindings, checked with dfrotz).  score/moves: byte@A or word@A in Z-machine memory.\n"
    "# After editing, run: sh scripts/gen_facts.sh > src/env/zgame/facts_data.c  (tests/test_env_facts checks they agree).\n"
    "game\tfile\tmd5\tzversion\trelease\tserial\tseed\tmax_score\tscore\tmoves\tvictory_text\tdeath_text\tintro\twalkthrough_steps\twalkthrough_result\n"
    "zork1\tgames/zork1.z5\tb732a93a6244ddd92a9b9a3e3a46c687\t3\t88\t840726\t12\t350\tword@8819\tword@8821\tInside the Barrow\t****  You have died  ****\t\t396\t350/350\n"
    "zork3\tgames/zork3.z5\tffda9ee2d428fa2fa8e75a1914ff6959\t3\t17\t840727\t0\t7\tbyte@7955\tword@7956\tyou have at last completed your quest in ZORK\t****  You have died  ****\t\t273\t7/7\n"
    "library\tgames/library.z5\tdaf57133d346442b983bd333fb586cc4\t5\t2\t951204\t0\t30\tbyte@3610\tword@3611\t*** You have won ***\tWould you like to RESTART, RESTORE a saved game\t\\n\t52\t30/30\n"
    "detective\tgames/detective.z5\t822655c9be83e292e06d3d3b1d6a9734\t5\t1\t000715\t0\t360\tword@6801\tword@6777\t*** You have won ***\t*** You have died ***\t\t51\t360/360\n"
    "balances\tgames/balances.z5\tf2cb8f94a7e8df3b850a758da26fa387\t5\t5\t961216\t0\t51\tbyte@6842\tword@6843\t*** You have won ***\t*** You have died ***\t\t122\t50/51\n"
    "deephome\tgames/deephome.z5\t5e56a6e5cdeecded434a8fd8012fc2c6\t5\t1\t991210\t0\t300\tword@12433\tword@12411\t****  You have won  ****\tWould you like to RESTART, RESTORE a saved game, give the FULL score for that game or QUIT\t\t327\t300/300\n"
    "ludicorp\tgames/ludicorp.z5\t646a63307f77dcdcd011f330277ae262\t5\t12\t031010\t0\t150\tbyte@24216\tword@24205\t*** You have won ***\t*** You have died ***\t\t364\t150/150\n"
    "pentari\tgames/pentari.z5\tf24c6863468823b744e910ccfe997c6d\t5\t6\t030206\t0\t70\tbyte@4938\tword@4939\t*** You have won ***\t*** You have died ***\t\t49\t70/70\n"
    "temple\tgames/temple.z5\t22a0ddac6be15540616c10f1007197f3\t5\t2\t021118\t0\t35\tbyte@8309\tword@8310\t*** You have won ***\t*** You have died ***\t\t181\t35/35\n"
    "ztuu\tgames/ztuu.z5\td8e1578470cbc676e013e03d72c93141\t5\t16\t970828\t0\t100\tbyte@8855\tbyte@8857\t*** You have won ***\tWould you like to RESTART\t\t84\t100/100\n"
    ;
