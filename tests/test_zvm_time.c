/*
 * test_zvm_time.c -- a story that loops without asking for input is
 * bounded by time as well as by instructions (issue 16, defect 12).
 *
 * The story is tests/fuzz/corpus/endless.z3 (make_corpus.py: a jump to
 * itself).  Nothing here measures speed: with an instruction budget that
 * would take hours, the run must stop on its deadline (the stop reason,
 * the out-of-time flag and a count of instructions far below the budget
 * say so); the environment must end the turn with JITRL_EBUDGET and a
 * message naming the time limit, even with a huge step budget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jitrl.h"
#include "testutil.h"

static const char *story_path(void)
{
    static char p[4096];
    const char *root = getenv("JITRL_ROOT");
    snprintf(p, sizeof p, "%s/tests/fuzz/corpus/endless.z3", root && *root ? root : ".");
    return p;
}

static void test_zvm(void)
{
    jitrl_zvm *vm = NULL;
    char err[256];
    CHECK_INT(jitrl_zvm_open_file(story_path(), NULL, &vm, err, sizeof err), JITRL_OK);
    if (!vm) return;
    jitrl_zvm_stop stop = JITRL_ZVM_HALT;
    /* no deadline: the instruction budget alone, and no out-of-time */
    CHECK_INT(jitrl_zvm_run(vm, 100000, &stop), JITRL_OK);
    CHECK_INT(stop, JITRL_ZVM_BUDGET);
    CHECK_INT(jitrl_zvm_out_of_time(vm), 0);
    /* 10^13 instructions would take hours; 30 ms of them do not */
    const uint64_t huge = 10000000000000ull;
    jitrl_zvm_set_deadline(vm, 30);
    uint64_t before = jitrl_zvm_instructions(vm);
    CHECK_INT(jitrl_zvm_run(vm, huge, &stop), JITRL_OK);
    CHECK_INT(stop, JITRL_ZVM_BUDGET);
    CHECK_INT(jitrl_zvm_out_of_time(vm), 1);
    uint64_t ran = jitrl_zvm_instructions(vm) - before;
    CHECK_MSG(ran > 0 && ran < huge / 1000, "%llu instructions", (unsigned long long)ran);
    /* past the deadline a run stops at once; clearing it lets it go on */
    before = jitrl_zvm_instructions(vm);
    CHECK_INT(jitrl_zvm_run(vm, huge, &stop), JITRL_OK);
    CHECK_INT(jitrl_zvm_instructions(vm) - before, 0);
    jitrl_zvm_set_deadline(vm, 0);
    CHECK_INT(jitrl_zvm_out_of_time(vm), 0);
    CHECK_INT(jitrl_zvm_run(vm, 1000, &stop), JITRL_OK);
    CHECK_INT(jitrl_zvm_instructions(vm) - before, 1000);
    /* the bound is CPU time the machine spent, not time that passed: a
     * pause longer than the whole bound between two short runs (a thread
     * waiting for a core on a loaded machine) does not end the turn */
    jitrl_zvm_set_deadline(vm, 40);
    CHECK_INT(jitrl_zvm_run(vm, 1000, &stop), JITRL_OK);
    struct timespec pause = {0, 120 * 1000000L};
    nanosleep(&pause, NULL);
    before = jitrl_zvm_instructions(vm);
    CHECK_INT(jitrl_zvm_run(vm, 1000, &stop), JITRL_OK);
    CHECK_INT(jitrl_zvm_instructions(vm) - before, 1000);
    CHECK_INT(jitrl_zvm_out_of_time(vm), 0);
    jitrl_zvm_close(vm);
}

static void test_env(void)
{
    jitrl_zgame_options eo;
    jitrl_zgame_options_init(&eo);
    eo.step_budget = 10000000000000ull;   /* hours of instructions */
    jitrl_env *env = NULL;
    char err[256];
    CHECK_INT(jitrl_zgame_open_file(story_path(), &eo, &env, err, sizeof err), JITRL_OK);
    if (!env) return;
    jitrl_obs obs;
    CHECK_INT(jitrl_env_reset(env, &obs), JITRL_EBUDGET);
    const char *msg = jitrl_env_errmsg(env);
    CHECK_MSG(strstr(msg, "ms (the turn's time limit)") != NULL, "message: %s", msg);
    jitrl_env_close(env);
}

int main(void)
{
    test_zvm();
    test_env();
    return tu_done();
}
