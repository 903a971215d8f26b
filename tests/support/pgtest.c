/*
 * pgtest.c -- see pgtest.h.  One cluster per test program, kept in static
 * state of the test harness (not the library).
 */
#include "pgtest.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

static char pg_dir[256], pg_uri[1024];

/* Run scripts/pg.sh CMD on the cluster's directory; its first output line
 * into out (if non-NULL).  Returns its exit status. */
static int pg_sh(const char *cmd, char *out, size_t cap)
{
    const char *root = getenv("JITRL_ROOT");
    char line[2048];
    snprintf(line, sizeof line, "sh '%s/scripts/pg.sh' %s '%s'", root && *root ? root : ".", cmd, pg_dir);
    FILE *p = popen(line, "r");
    if (!p) return 1;
    char buf[1024] = "";
    if (!fgets(buf, sizeof buf, p)) buf[0] = '\0';
    int st = pclose(p);
    buf[strcspn(buf, "\n")] = '\0';
    if (out) snprintf(out, cap, "%s", buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void pg_cleanup(void)
{
    if (!pg_dir[0]) return;
    pg_sh("stop", NULL, 0);
    char line[512];
    snprintf(line, sizeof line, "rm -rf '%s'", pg_dir);
    if (system(line)) fprintf(stderr, "could not remove %s\n", pg_dir);
    pg_dir[0] = '\0';
}

const char *pgt_start(void)
{
    if (pg_uri[0]) return pg_uri;
    snprintf(pg_dir, sizeof pg_dir, "/tmp/jitrl-pg-XXXXXX");
    if (!mkdtemp(pg_dir)) {
        fprintf(stderr, "mkdtemp failed\n");
        exit(1);
    }
    atexit(pg_cleanup);
    int rc = pg_sh("start", pg_uri, sizeof pg_uri);
    if (rc == 77) {
        const char *ci = getenv("CI");
        if (ci && !strcmp(ci, "true")) {
            fprintf(stderr, "PostgreSQL is not installed and CI=true: failing\n");
            exit(1);
        }
        tu_skip("PostgreSQL is not installed (apt-get install postgresql; scripts/bootstrap.sh does)");
    }
    if (rc || !pg_uri[0]) {
        fprintf(stderr, "scripts/pg.sh start %s failed (exit %d): the PostgreSQL server did not start\n", pg_dir, rc);
        exit(1);
    }
    return pg_uri;
}

int pgt_stop(void) { return pg_sh("stop", NULL, 0); }

int pgt_restart(void)
{
    char u[1024];
    return pg_sh("start", u, sizeof u);
}

const char *pgt_database(const char *name)
{
    static char uri[1200];
    const char *base = pgt_start(), *q = strchr(base, '?');
    PGconn *c = PQconnectdb(base);
    char sql[300];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);   /* a test's own constant name */
    PGresult *r = PQexec(c, sql);
    PQclear(r);
    PQfinish(c);
    snprintf(uri, sizeof uri, "postgresql:///%s%s", name, q ? q : "");
    return uri;
}
