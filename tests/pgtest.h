/* pgtest.h - a real, throwaway PostgreSQL for Check programs, started
 * through tests/pg.sh (found from $SIGMAT_SRCDIR). Call pgtest_start once
 * in main() before srunner_run_all: the cluster is stopped at exit of that
 * process only (forked Check children never stop it). When PostgreSQL is
 * not available the program exits 77 (automake: skipped), or 1 under
 * CI=true, after saying why.
 *
 * The cluster lives in a fresh folder under /tmp (or $SIGMAT_TEST_TMPDIR,
 * which the postgres user must be able to reach when tests run as root);
 * fsync is on unless SIGMAT_TEST_FSYNC=off. If the test program is killed,
 * a watcher started by pg.sh stops the cluster within a second. To use it
 * from another test, add tests/pgtest.c tests/pgtest.h to its SOURCES and
 * -I$(top_srcdir)/tests to its CFLAGS (and link libsgnode, for the
 * migrations). */
#ifndef PGTEST_H_INCLUDED
#define PGTEST_H_INCLUDED

/* Starts a fresh cluster with database `sigmat` and returns its libpq
 * conninfo (static storage; the same string on later calls). */
const char *pgtest_start (void);

/* Creates another database NAME (lowercase, digits, _) in the cluster and
 * returns its conninfo; the caller frees it. Exits 1 on failure. */
char *pgtest_createdb (const char *name);

/* Stops the cluster and removes its folder now (also done at exit). */
void pgtest_stop (void);

/* The folder of the node's schema migrations, $SIGMAT_SRCDIR/db/migrations
 * (static storage). */
const char *pgtest_migrations (void);

/* Migrates the database at conninfo to the latest schema; on failure says
 * why, naming prog, and exits 1. */
void pgtest_migrate (const char *prog, const char *conninfo);

/* Runs sql on a fresh connection to conninfo and returns its first value
 * as a number; a Check assertion fails if the query does not run. */
long long pgtest_num (const char *conninfo, const char *sql);

#endif
