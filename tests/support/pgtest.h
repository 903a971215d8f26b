/*
 * pgtest.h -- a throw-away PostgreSQL cluster for a test program, through
 * scripts/pg.sh (initdb in a fresh /tmp directory, a unix socket there
 * only, fsync off; as root it runs as the postgres user).
 *
 * When PostgreSQL is not installed the test is skipped (exit 77) with a
 * message -- unless CI=true, where that, like a server that fails to start,
 * is a failure.  The cluster is stopped and its directory removed at exit.
 */
#ifndef PGTEST_H
#define PGTEST_H

/* Start the cluster (once per program); returns its URI (static). */
const char *pgt_start(void);
/* Stop / start the same cluster again (its data kept).  0 on success. */
int pgt_stop(void);
int pgt_restart(void);
/* The URI of another database on the cluster, created on first use. */
const char *pgt_database(const char *name);

#endif
