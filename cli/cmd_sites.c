/*
 * cmd_sites.c -- `jitrl sites [--listen ADDR] [--seconds N]`: serve the
 * local web sites (src/env/web/sites/) and print their URLs, so a person
 * can open the shop, the forum and the admin panel in a browser, or point
 * `jitrl play --env web --site NAME=URL` at them.
 *
 * It prints one line per site ("NAME URL PLACEHOLDER") and serves until
 * SIGINT or SIGTERM (or N seconds, for scripts).  The signals are blocked
 * before the daemons start, so their threads never take them and the main
 * thread picks them up with sigtimedwait.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env/web/sites/sites.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: jitrl sites [--listen ADDR] [--seconds N]\n"
               "  serve the local shop, forum and admin panel (one port each) and print their URLs;\n"
               "  --listen ADDR  IPv4 address to bind (default 127.0.0.1)\n"
               "  --seconds N    stop after N seconds (default: until Ctrl-C)\n"
               "  POST /__reset on any site puts every site back to its seed data.\n");
}

int cmd_sites(int argc, char **argv)
{
    const char *listen = "127.0.0.1";
    long seconds = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
            listen = argv[++i];
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            char *end;
            errno = 0;
            seconds = strtol(argv[++i], &end, 10);
            if (errno || *end || seconds <= 0 || seconds > 86400 * 365) {
                fprintf(stderr, "jitrl sites: --seconds wants a whole number from 1 up\n");
                return 2;
            }
        } else {
            fprintf(stderr, "jitrl sites: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    char err[256] = "";
    jr_sites *s = NULL;
    int rc = jr_sites_open(&s, listen, err, sizeof err);
    if (rc) {
        fprintf(stderr, "jitrl sites: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < jr_sites_count(); i++) {
        const char *name = jr_sites_name(i);
        printf("%-15s %s  %s\n", name, jr_sites_url(s, name), jr_sites_placeholder(name));
    }
    fflush(stdout);
    struct timespec ts = {seconds ? seconds : 3600, 0};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM || (sig < 0 && errno == EAGAIN && seconds)) break;
    }
    jr_sites_close(s);
    return 0;
}
