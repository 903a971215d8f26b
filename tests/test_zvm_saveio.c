/*
 * test_zvm_saveio.c -- the game's own save and restore (src/zvm/saveio.c)
 * on tests/games/t_saveio.z5, through the public API, beyond what the
 * transcript test (test_games.sh) shows: without a sandbox nothing is asked
 * and both fail; names that leave the sandbox are refused and create
 * nothing; a damaged or foreign file is refused and the machine goes on
 * unchanged; a snapshot taken at the file-name question restores to it; an
 * over-long save_dir is a clean open error.
 */
#include "testutil.h"
#include "jitrl/zvm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *story(void) { return tu_path(tu_build(), "tests/games/t_saveio.z5"); }

/* run to the next wait and return its output (static copy) */
static const char *step(jitrl_zvm *vm, const char *line)
{
    static char out[4096];
    jitrl_zvm_stop stop = 0;
    jitrl_zvm_clear_output(vm);
    if (line) CHECK_INT(jitrl_zvm_input(vm, line), JITRL_OK);
    CHECK_INT(jitrl_zvm_run(vm, 0, &stop), JITRL_OK);
    CHECK_INT(stop, JITRL_ZVM_INPUT);
    size_t n;
    const char *t = jitrl_zvm_output(vm, &n);
    snprintf(out, sizeof out, "%.*s", (int)n, t);
    return out;
}

static jitrl_zvm *open_game(const char *dir)
{
    jitrl_zvm_options o;
    jitrl_zvm_options_init(&o);
    o.save_dir = dir;
    jitrl_zvm *vm = NULL;
    char err[200];
    CHECK_INT(jitrl_zvm_open_file(story(), &o, &vm, err, sizeof err), JITRL_OK);
    if (vm) step(vm, NULL);
    return vm;
}

static void test_no_sandbox(void)
{
    jitrl_zvm *vm = open_game(NULL);
    if (!vm) return;
    const char *t = step(vm, "save");
    CHECK_MSG(strstr(t, "save result=0") && !strstr(t, "filename"), "%s", t);
    t = step(vm, "restore");
    CHECK_MSG(strstr(t, "restore result=0") && !strstr(t, "filename"), "%s", t);
    t = step(vm, "beep");
    CHECK_MSG(strstr(t, "[HIGH-PITCHED BEEP]\n[LOW-PITCHED BEEP]\n"), "%s", t);
    jitrl_zvm_close(vm);
}

static void write_bytes(const char *path, const unsigned char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_INT(fwrite(d, 1, n, f), n);
    fclose(f);
}

static void test_sandbox(void)
{
    char dir[512], box[600], qzl[700], esc[700];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir());
    snprintf(box, sizeof box, "%s/box", dir);
    CHECK_INT(mkdir(box, 0755), 0);
    snprintf(qzl, sizeof qzl, "%s/t_saveio.qzl", box);
    snprintf(esc, sizeof esc, "%s/escape", dir);
    jitrl_zvm *vm = open_game(box);
    if (!vm) return;
    /* names that would leave the box: the save fails and writes nothing */
    const char *bad[] = {"../escape", "a/b", ".hidden", ".."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *t = step(vm, "save");
        CHECK_MSG(strstr(t, "Please enter a filename ["), "%s", t);
        t = step(vm, bad[i]);
        CHECK_MSG(strstr(t, "save result=0"), "%s: %s", bad[i], t);
    }
    CHECK(access(esc, F_OK) != 0);
    /* a save at counter 1, then counter 2 */
    step(vm, "inc");
    step(vm, "save");
    const char *t = step(vm, "t_saveio.qzl");
    CHECK_MSG(strstr(t, "save result=1 counter=1"), "%s", t);
    CHECK(access(qzl, F_OK) == 0);
    step(vm, "inc");
    /* a snapshot at the file-name question comes back to it */
    t = step(vm, "restore");
    CHECK_MSG(strstr(t, "Please enter a filename [t_saveio.qzl]: "), "%s", t);
    size_t cap = jitrl_zvm_snapshot_size(vm), len = 0;
    unsigned char *snap = malloc(cap);
    CHECK_INT(jitrl_zvm_snapshot(vm, snap, cap, &len), JITRL_OK);
    t = step(vm, "");
    CHECK_MSG(strstr(t, "save result=2 counter=1 depth=17"), "%s", t);
    CHECK_INT(jitrl_zvm_restore(vm, snap, len), JITRL_OK);
    t = step(vm, "nosuchfile");
    CHECK_MSG(strstr(t, "restore result=0"), "%s", t);
    t = step(vm, "restore");   /* dfrotz offers the name last tried */
    CHECK_MSG(strstr(t, "[nosuchfile]: "), "%s", t);
    step(vm, "nosuchfile");
    t = step(vm, "show");
    CHECK_MSG(strstr(t, "counter=2"), "%s", t);
    /* damaged and foreign files are refused; the machine is unchanged */
    size_t n = 0;
    unsigned char *good = tu_read_file(qzl, &n);
    CHECK(good != NULL && n > 40);
    if (good) {
        size_t cuts[] = {n / 2, 20, 12};
        for (size_t i = 0; i < 3; i++) {
            write_bytes(qzl, good, cuts[i]);
            step(vm, "restore");
            t = step(vm, i ? "" : "t_saveio.qzl");   /* then offered by default */
            CHECK_MSG(strstr(t, "restore result=0"), "cut at %zu: %s", cuts[i], t);
        }
        good[0x15] ^= 1;   /* IFhd release: a save of another story */
        write_bytes(qzl, good, n);
        step(vm, "restore");
        t = step(vm, "t_saveio.qzl");
        CHECK_MSG(strstr(t, "restore result=0"), "foreign: %s", t);
        good[0x15] ^= 1;
        write_bytes(qzl, good, n);
        t = step(vm, "show");
        CHECK_MSG(strstr(t, "counter=2"), "%s", t);
        step(vm, "restore");
        t = step(vm, "t_saveio.qzl");
        CHECK_MSG(strstr(t, "save result=2 counter=1 depth=17"), "intact again: %s", t);
    }
    free(good);
    free(snap);
    unlink(qzl);
    rmdir(box);
    jitrl_zvm_close(vm);
}

static void test_long_dir(void)
{
    char dir[2000];
    memset(dir, 'a', sizeof dir - 1);
    dir[sizeof dir - 1] = '\0';
    jitrl_zvm_options o;
    jitrl_zvm_options_init(&o);
    o.save_dir = dir;
    jitrl_zvm *vm = (jitrl_zvm *)1;
    char err[200];
    CHECK_INT(jitrl_zvm_open_file(story(), &o, &vm, err, sizeof err), JITRL_EINVAL);
    CHECK(vm == NULL);
}

int main(void)
{
    if (access(story(), R_OK)) {
        fprintf(stderr, "%s is not built\n", story());
        return 1;
    }
    test_no_sandbox();
    test_sandbox();
    test_long_dir();
    return tu_done();
}
