/*
 * test_zvm_api.c -- the Z-machine's public contract on hand-made stories:
 * bad stories give clean errors (truncated, bad header, version 6, random
 * garbage, illegal opcode, stack overflow and underflow, division by zero),
 * the budget stops a runaway loop, snapshots refuse foreign or short
 * buffers, accessors never touch the machine; jitrl_zvm_options from an
 * older (smaller) struct leave the newer fields at their defaults, and a
 * size of 0 is refused.
 */
#include "testutil.h"
#include "jitrl/zvm.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CODE 0x400
#define LEN 0x600

/* A minimal version 5 image: globals at 0x100, an empty object table at
 * 0x300, an empty dictionary at 0x380, static memory from 0x3c0, code at
 * 0x400 (the first instruction; the main routine has no header in v5). */
static void make_story(uint8_t *m, const uint8_t *code, size_t n)
{
    memset(m, 0, LEN);
    m[0] = 5;
    m[0x04] = CODE >> 8;              /* high memory */
    m[0x06] = CODE >> 8;              /* initial PC */
    m[0x08] = 0x03; m[0x09] = 0x80;   /* dictionary */
    m[0x0a] = 0x03; m[0x0b] = 0x00;   /* objects */
    m[0x0c] = 0x01; m[0x0d] = 0x00;   /* globals */
    m[0x0e] = 0x03; m[0x0f] = 0xc0;   /* static memory */
    m[0x18] = 0x00; m[0x19] = 0x40;   /* abbreviations */
    m[0x1a] = (LEN / 4) >> 8; m[0x1b] = (LEN / 4) & 0xff;
    m[0x381] = 9;                     /* dictionary: no separators, entry length 9, 0 entries */
    memcpy(m + CODE, code, n);
}

static int run_code(const uint8_t *code, size_t n, uint64_t budget, jitrl_zvm_stop *stop, char *msg, size_t cap)
{
    uint8_t m[LEN];
    make_story(m, code, n);
    jitrl_zvm *vm = NULL;
    char err[200];
    int rc = jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err);
    if (rc) { snprintf(msg, cap, "%s", err); return -1; }
    rc = jitrl_zvm_run(vm, budget, stop);
    snprintf(msg, cap, "%s", jitrl_zvm_errmsg(vm));
    if (rc == JITRL_OK && *stop == JITRL_ZVM_BUDGET) {
        /* running on keeps going, and says so again */
        rc = jitrl_zvm_run(vm, budget, stop);
    }
    jitrl_zvm_close(vm);
    return rc;
}

static void test_bad_headers(void)
{
    uint8_t m[LEN];
    const uint8_t quit[] = {0xba};
    jitrl_zvm *vm = (jitrl_zvm *)1;
    char err[200];

    make_story(m, quit, sizeof quit);
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err), JITRL_OK);
    jitrl_zvm_close(vm);

    CHECK_INT(jitrl_zvm_open_buffer(m, 20, NULL, &vm, err, sizeof err), JITRL_ECORRUPT);
    CHECK(vm == NULL);
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN - 100, NULL, &vm, err, sizeof err), JITRL_ECORRUPT);
    CHECK_MSG(strstr(err, "truncated") != NULL, "got: %s", err);

    m[0] = 6;
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err), JITRL_EUNSUPPORTED);
    CHECK_MSG(strstr(err, "version 6") != NULL, "got: %s", err);
    m[0] = 0;
    CHECK(jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err) != JITRL_OK);
    m[0] = 5;
    m[0x0e] = 0x7f;  /* static memory beyond the file */
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err), JITRL_ECORRUPT);
    m[0x0e] = 0x03;
    m[0x0c] = 0x03; m[0x0d] = 0xb0;  /* globals run past dynamic memory */
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err), JITRL_ECORRUPT);
    CHECK_INT(jitrl_zvm_open_file("/nonexistent/story.z5", NULL, &vm, err, sizeof err), JITRL_EIO);
    jitrl_zvm_close(NULL);
}

static void test_runtime_faults(void)
{
    jitrl_zvm_stop stop;
    char msg[256];
    /* 2OP:0 does not exist */
    const uint8_t illegal[] = {0x00, 0x00, 0x00};
    CHECK_INT(run_code(illegal, sizeof illegal, 0, &stop, msg, sizeof msg), JITRL_EVM);
    CHECK_INT(stop, JITRL_ZVM_HALT);
    CHECK_MSG(strstr(msg, "illegal opcode") && strstr(msg, "PC"), "got: %s", msg);
    /* @div 1 0 -> sp */
    const uint8_t div0[] = {0x17, 0x01, 0x00, 0x00, 0xba};
    CHECK_INT(run_code(div0, sizeof div0, 0, &stop, msg, sizeof msg), JITRL_EVM);
    CHECK_MSG(strstr(msg, "division by zero") != NULL, "got: %s", msg);
    /* @mod 1 0 -> sp */
    const uint8_t mod0[] = {0x18, 0x01, 0x00, 0x00, 0xba};
    CHECK_INT(run_code(mod0, sizeof mod0, 0, &stop, msg, sizeof msg), JITRL_EVM);
    /* @ret_popped with an empty stack */
    const uint8_t under[] = {0xb8};
    CHECK_INT(run_code(under, sizeof under, 0, &stop, msg, sizeof msg), JITRL_EVM);
    CHECK_MSG(strstr(msg, "underflow") != NULL, "got: %s", msg);
    /* @push 1; @jump back: the stack fills */
    const uint8_t pushes[] = {0xe8, 0x7f, 0x01, 0x8c, 0xff, 0xfc};
    CHECK_INT(run_code(pushes, sizeof pushes, 0, &stop, msg, sizeof msg), JITRL_EVM);
    CHECK_MSG(strstr(msg, "overflow") != NULL, "got: %s", msg);
    /* a routine at 0x404 (packed 0x101) that calls itself forever */
    const uint8_t recurse[] = {0xf9, 0x3f, 0x01, 0x01, 0x00, 0xf9, 0x3f, 0x01, 0x01};
    CHECK_INT(run_code(recurse, sizeof recurse, 0, &stop, msg, sizeof msg), JITRL_EVM);
    CHECK_MSG(strstr(msg, "overflow") != NULL, "got: %s", msg);
    /* @jump to itself: only the budget stops it, as a distinct outcome */
    const uint8_t spin[] = {0x8c, 0xff, 0xff};
    CHECK_INT(run_code(spin, sizeof spin, 1000, &stop, msg, sizeof msg), JITRL_OK);
    CHECK_INT(stop, JITRL_ZVM_BUDGET);
    /* @quit */
    const uint8_t quit[] = {0xba};
    CHECK_INT(run_code(quit, sizeof quit, 0, &stop, msg, sizeof msg), JITRL_OK);
    CHECK_INT(stop, JITRL_ZVM_QUIT);
    /* calling a routine outside memory */
    const uint8_t wild[] = {0xf9, 0x3f, 0x7f, 0xff};
    CHECK_INT(run_code(wild, sizeof wild, 0, &stop, msg, sizeof msg), JITRL_EVM);
    /* storew into static memory */
    const uint8_t st[] = {0xe1, 0x17, 0x04, 0x00, 0x00, 0x01, 0xba};
    CHECK_INT(run_code(st, sizeof st, 0, &stop, msg, sizeof msg), JITRL_EVM);
}

static void test_state_calls(void)
{
    uint8_t m[LEN];
    const uint8_t quit[] = {0xba};
    make_story(m, quit, sizeof quit);
    jitrl_zvm *vm = NULL, *other = NULL;
    char err[200];
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_zvm_input(vm, "look"), JITRL_ESTATE);  /* not waiting */
    size_t cap = jitrl_zvm_snapshot_size(vm), len = 0;
    uint8_t *snap = malloc(cap);
    CHECK_INT(jitrl_zvm_snapshot(vm, snap, 10, &len), JITRL_ETOOBIG);
    CHECK_INT(jitrl_zvm_snapshot(vm, snap, cap, &len), JITRL_OK);
    CHECK(len > 0 && len <= cap);
    uint64_t h = jitrl_zvm_hash(vm, NULL, 0);
    CHECK_INT(jitrl_zvm_restore(vm, snap, len - 1), JITRL_ECORRUPT);
    CHECK_INT(jitrl_zvm_restore(vm, snap, len), JITRL_OK);
    CHECK(jitrl_zvm_hash(vm, NULL, 0) == h);
    /* a snapshot of another story is refused and leaves the machine alone */
    m[0x400] = 0xbb;
    m[0x03] = 2;      /* another release: stories are told apart by their header */
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, NULL, &other, err, sizeof err), JITRL_OK);
    CHECK_INT(jitrl_zvm_restore(other, snap, len), JITRL_ECORRUPT);
    /* accessors on nonsense are quiet */
    char name[32];
    CHECK_INT(jitrl_zvm_object_count(vm), 0);
    CHECK_INT(jitrl_zvm_parent(vm, 5), 0);
    CHECK_INT(jitrl_zvm_object_name(vm, 9999, name, sizeof name), 0);
    CHECK_INT(jitrl_zvm_read_word(vm, 0xffffff), 0);
    CHECK_INT(jitrl_zvm_decode_text(vm, LEN - 1, name, sizeof name), 0);
    CHECK_INT(jitrl_zvm_dict_lookup(vm, "xyzzy"), 0);
    CHECK_INT(jitrl_zvm_dict_count(vm), 0);
    jitrl_zvm_stop stop;
    CHECK_INT(jitrl_zvm_run(vm, 0, &stop), JITRL_OK);   /* still runs after all that */
    CHECK_INT(stop, JITRL_ZVM_QUIT);
    free(snap);
    jitrl_zvm_close(vm);
    jitrl_zvm_close(other);
}

/* Random bytes behind a plausible header, and fully random files: load,
 * run with a budget, feed input, never crash or hang. */
static void test_garbage(void)
{
    uint64_t seed = 12345;
    int opened = 0;
    int rounds = getenv("JITRL_SANITIZED") ? 150 : 600;
    for (int round = 0; round < rounds; round++) {
        uint8_t m[LEN];
        const uint8_t nop[] = {0xb4};
        make_story(m, nop, sizeof nop);
        size_t from = round % 3 == 0 ? 0 : round % 3 == 1 ? 0x40 : CODE;
        for (size_t i = from; i < LEN; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            m[i] = (uint8_t)(seed >> 56);
        }
        static const uint8_t versions[] = {3, 4, 5, 8};
        if (round % 3 != 0) {
            m[0] = versions[round % 4];
            unsigned scale = m[0] <= 3 ? 2 : m[0] <= 5 ? 4 : 8;
            m[0x1a] = (uint8_t)((LEN / scale) >> 8);
            m[0x1b] = (uint8_t)(LEN / scale);
        }
        jitrl_zvm *vm = NULL;
        char err[200];
        if (jitrl_zvm_open_buffer(m, LEN, NULL, &vm, err, sizeof err) != JITRL_OK) {
            CHECK(vm == NULL && err[0]);
            continue;
        }
        opened++;
        jitrl_zvm_stop stop;
        for (int step = 0; step < 4; step++) {
            int rc = jitrl_zvm_run(vm, 20000, &stop);
            if (rc != JITRL_OK) {
                CHECK(jitrl_zvm_errmsg(vm)[0] != '\0');
                CHECK_INT(jitrl_zvm_run(vm, 10, &stop), JITRL_ESTATE);
                break;
            }
            if (stop == JITRL_ZVM_QUIT) break;
            if (stop == JITRL_ZVM_INPUT || stop == JITRL_ZVM_CHAR) jitrl_zvm_input(vm, "look at the thing");
        }
        size_t len;
        jitrl_zvm_output(vm, &len);
        (void)jitrl_zvm_hash(vm, NULL, 0);
        jitrl_zvm_close(vm);
    }
    CHECK(opened > 0);
    printf("FIGURE zvm garbage stories opened and run without a crash: %d of %d\n", opened, rounds);
}

/* The options' size: the fields past it are not read.  A save_dir longer
 * than 1023 bytes fails open when read; in an older caller's struct that
 * ends before save_dir it is ignored. */
static void test_options_size(void)
{
    uint8_t m[LEN];
    const uint8_t quit[] = {0xba};
    jitrl_zvm *vm = NULL;
    char err[200], longdir[1100];
    memset(longdir, 'd', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    make_story(m, quit, sizeof quit);

    jitrl_zvm_options o;
    jitrl_zvm_options_init(&o);
    CHECK(o.size == sizeof o && o.seed == 0 && o.save_dir == NULL && o.screen_width == 0);
    o.save_dir = longdir;
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, &o, &vm, err, sizeof err), JITRL_EINVAL);
    CHECK(vm == NULL);
    o.size = offsetof(jitrl_zvm_options, save_dir);
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, &o, &vm, err, sizeof err), JITRL_OK);
    jitrl_zvm_close(vm);
    vm = NULL;
    o.size = 0;
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, &o, &vm, err, sizeof err), JITRL_EINVAL);
    CHECK(vm == NULL && strstr(err, "jitrl_zvm_options_init") != NULL);
    CHECK_INT(jitrl_zvm_open_file("/nonexistent/story.z5", &o, &vm, err, sizeof err), JITRL_EINVAL);
    o.size = sizeof o + 8;
    CHECK_INT(jitrl_zvm_open_buffer(m, LEN, &o, &vm, err, sizeof err), JITRL_EINVAL);
}

int main(void)
{
    test_bad_headers();
    test_runtime_faults();
    test_state_calls();
    test_garbage();
    test_options_size();
    return tu_done();
}
