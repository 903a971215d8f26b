/*
 * cmd_inspect.c -- `jitrl inspect STORY header|objects|tree|dict|globals`:
 * the infodump-style views a user reaches for when a game misbehaves.
 * A thin client of the read accessors in include/jitrl/zvm.h; nothing here
 * runs the story except `globals`, which shows them at the first prompt.
 */
#include "cli.h"
#include "jitrl/zvm.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: jitrl inspect STORY header|objects|tree|dict|globals\n"
               "  header   version, release, serial, addresses from the header\n"
               "  objects  every object: number, parent, sibling, child, attributes, name\n"
               "  tree     the object tree, indented\n"
               "  dict     dictionary words with their address and flag bytes\n"
               "  globals  the 240 globals at the first input prompt\n");
}

static void header(jitrl_zvm *vm)
{
    char serial[7];
    for (int i = 0; i < 6; i++) {
        unsigned char c = jitrl_zvm_read_byte(vm, 0x12 + (uint32_t)i);
        serial[i] = (char)(c >= 32 && c < 127 ? c : '?');
    }
    serial[6] = 0;
    printf("version          %d\n", jitrl_zvm_version(vm));
    printf("release          %u\n", jitrl_zvm_read_word(vm, 0x02));
    printf("serial           %s\n", serial);
    printf("high memory      0x%04x\n", jitrl_zvm_read_word(vm, 0x04));
    printf("initial PC       0x%04x\n", jitrl_zvm_read_word(vm, 0x06));
    printf("dictionary       0x%04x (%u words)\n", jitrl_zvm_read_word(vm, 0x08), jitrl_zvm_dict_count(vm));
    printf("objects          0x%04x (%u objects)\n", jitrl_zvm_read_word(vm, 0x0a), jitrl_zvm_object_count(vm));
    printf("globals          0x%04x\n", jitrl_zvm_read_word(vm, 0x0c));
    printf("static memory    0x%04x\n", jitrl_zvm_read_word(vm, 0x0e));
    printf("abbreviations    0x%04x\n", jitrl_zvm_read_word(vm, 0x18));
    printf("checksum         0x%04x\n", jitrl_zvm_read_word(vm, 0x1c));
    size_t len;
    jitrl_zvm_memory(vm, &len);
    printf("story size       %zu bytes\n", len);
}

static void objects(jitrl_zvm *vm)
{
    unsigned n = jitrl_zvm_object_count(vm), nattr = jitrl_zvm_version(vm) <= 3 ? 32 : 48;
    char name[256];
    for (unsigned o = 1; o <= n; o++) {
        jitrl_zvm_object_name(vm, o, name, sizeof name);
        printf("%4u  parent %4u  sibling %4u  child %4u  attrs", o, jitrl_zvm_parent(vm, o),
               jitrl_zvm_sibling(vm, o), jitrl_zvm_child(vm, o));
        for (unsigned a = 0; a < nattr; a++)
            if (jitrl_zvm_attr(vm, o, a)) printf(" %u", a);
        printf("  \"%s\"\n", name);
    }
}

static void tree_at(jitrl_zvm *vm, unsigned o, int depth, unsigned *budget)
{
    char name[256];
    for (; o && *budget; o = jitrl_zvm_sibling(vm, o)) {
        (*budget)--;
        jitrl_zvm_object_name(vm, o, name, sizeof name);
        printf("%*s[%u] %s\n", depth * 2, "", o, name);
        if (depth < 32) tree_at(vm, jitrl_zvm_child(vm, o), depth + 1, budget);
    }
}

static void tree(jitrl_zvm *vm)
{
    unsigned n = jitrl_zvm_object_count(vm), budget = 4 * n + 16;
    for (unsigned o = 1; o <= n; o++)
        if (!jitrl_zvm_parent(vm, o)) {
            char name[256];
            jitrl_zvm_object_name(vm, o, name, sizeof name);
            printf("[%u] %s\n", o, name);
            tree_at(vm, jitrl_zvm_child(vm, o), 1, &budget);
        }
}

static void dict(jitrl_zvm *vm)
{
    unsigned n = jitrl_zvm_dict_count(vm), klen = jitrl_zvm_version(vm) <= 3 ? 4 : 6;
    char w[64];
    for (unsigned i = 0; i < n; i++) {
        uint32_t e = jitrl_zvm_dict_entry(vm, i);
        jitrl_zvm_dict_word(vm, i, w, sizeof w);
        printf("%5u  0x%05x  %-10s flags", i, (unsigned)e, w);
        for (unsigned k = 0; k < 3; k++) printf(" %02x", jitrl_zvm_read_byte(vm, e + klen + k));
        printf("\n");
    }
}

static int globals(jitrl_zvm *vm)
{
    jitrl_zvm_stop stop;
    if (jitrl_zvm_run(vm, 0, &stop)) {
        fprintf(stderr, "jitrl inspect: %s\n", jitrl_zvm_errmsg(vm));
        return 1;
    }
    for (unsigned g = 0; g < 240; g++) printf("G%03u = %5u%s", g, jitrl_zvm_global(vm, g), g % 6 == 5 ? "\n" : "   ");
    return 0;
}

int cmd_inspect(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) { usage(stdout); return 0; }
    if (argc != 3) { usage(stderr); return 2; }
    jitrl_zvm *vm = NULL;
    char err[256];
    jitrl_zvm_options opt;
    jitrl_zvm_options_init(&opt);
    if (jitrl_zvm_open_file(argv[1], &opt, &vm, err, sizeof err)) {
        fprintf(stderr, "jitrl inspect: %s\n", err);
        return 1;
    }
    int rc = 0;
    const char *what = argv[2];
    if (!strcmp(what, "header")) header(vm);
    else if (!strcmp(what, "objects")) objects(vm);
    else if (!strcmp(what, "tree")) tree(vm);
    else if (!strcmp(what, "dict")) dict(vm);
    else if (!strcmp(what, "globals")) rc = globals(vm);
    else { usage(stderr); rc = 2; }
    jitrl_zvm_close(vm);
    return rc;
}
