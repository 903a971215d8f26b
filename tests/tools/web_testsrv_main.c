/*
 * web_testsrv_main.c -- the browser tests' small site (tests/support/
 * web_testsrv.c) as a program, for shell tests of `jitrl play --env web`:
 * prints "URL http://127.0.0.1:PORT" and serves until a SIGTERM, or until
 * --seconds N (default 600) pass.
 */
#include "web_testsrv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long secs = 600;
    if (argc == 3 && !strcmp(argv[1], "--seconds")) secs = strtol(argv[2], NULL, 10);
    web_testsrv *s = web_testsrv_start();
    if (!s) {
        fprintf(stderr, "web_testsrv: cannot start\n");
        return 1;
    }
    printf("URL %s\n", web_testsrv_url(s));
    fflush(stdout);
    time_t end = time(NULL) + secs;
    while (time(NULL) < end) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    web_testsrv_stop(s);
    return 0;
}
