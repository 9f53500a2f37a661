/* pgtest.c - starts and stops the test PostgreSQL through tests/pg.sh; see
 * pgtest.h. The cluster lives in a mkdtemp folder under /tmp (or
 * $SIGMAT_TEST_TMPDIR), where the postgres user can reach it. */
#include "pgtest.h"

#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/store.h"

static char s_dir[512];
static char s_conninfo[1024];
static pid_t s_owner;

/* Path of pg.sh, from $SIGMAT_SRCDIR or the current folder. */
static const char *
s_script (void)
{
    static char path[1024];
    const char *src = getenv ("SIGMAT_SRCDIR");
    snprintf (path, sizeof path, "%s/tests/pg.sh", src && *src ? src : ".");
    return path;
}

/* PostgreSQL cannot be had: skip, or fail under CI. */
static void
s_unavailable (const char *why)
{
    const char *ci = getenv ("CI");
    if (ci && strcmp (ci, "true") == 0) {
        fprintf (stderr, "pgtest: PostgreSQL is required under CI=true: %s\n", why);
        exit (1);
    }
    fprintf (stderr, "pgtest: skipping, PostgreSQL is not available: %s\n", why);
    exit (77);
}

/* Runs pg.sh with args, reads its one-line stdout into out; returns its exit status. */
static int
s_run (const char *args, char *out, size_t size)
{
    char cmd[2048];
    snprintf (cmd, sizeof cmd, "sh '%s' %s", s_script (), args);
    FILE *p = popen (cmd, "r");
    if (!p)
        return -1;
    out[0] = '\0';
    if (!fgets (out, (int) size, p))
        out[0] = '\0';
    out[strcspn (out, "\n")] = '\0';
    char sink[256];
    while (fgets (sink, sizeof sink, p))
        ;
    int st = pclose (p);
    return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static void
s_atexit (void)
{
    if (getpid () == s_owner)
        pgtest_stop ();
}

const char *
pgtest_start (void)
{
    if (s_conninfo[0])
        return s_conninfo;
    if (access (s_script (), R_OK) != 0) {
        fprintf (stderr, "pgtest: cannot find %s (set SIGMAT_SRCDIR)\n", s_script ());
        exit (1);
    }
    const char *tmp = getenv ("SIGMAT_TEST_TMPDIR");
    snprintf (s_dir, sizeof s_dir, "%s/sigmat-pg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (s_dir)) {
        perror ("pgtest: mkdtemp");
        exit (1);
    }
    char args[1024];
    snprintf (args, sizeof args, "start '%s' %ld", s_dir, (long) getpid ());
    int rc = s_run (args, s_conninfo, sizeof s_conninfo);
    if (rc == 3) {
        rmdir (s_dir);
        s_conninfo[0] = '\0';
        s_unavailable ("tests/pg.sh could not find or run the server (see above)");
    }
    if (rc != 0 || strncmp (s_conninfo, "host=", 5) != 0) {
        fprintf (stderr, "pgtest: tests/pg.sh start %s failed (exit %d)\n", s_dir, rc);
        s_conninfo[0] = '\0';
        exit (1);
    }
    s_owner = getpid ();
    atexit (s_atexit);
    return s_conninfo;
}

char *
pgtest_createdb (const char *name)
{
    if (!s_conninfo[0])
        pgtest_start ();
    char args[1024], out[1024];
    snprintf (args, sizeof args, "createdb '%s' '%s'", s_dir, name);
    if (s_run (args, out, sizeof out) != 0 || strncmp (out, "host=", 5) != 0) {
        fprintf (stderr, "pgtest: cannot create database %s\n", name);
        exit (1);
    }
    char *copy = strdup (out);
    if (!copy)
        exit (1);
    return copy;
}

void
pgtest_stop (void)
{
    if (!s_conninfo[0])
        return;
    char args[1024], out[256];
    snprintf (args, sizeof args, "stop '%s'", s_dir);
    if (s_run (args, out, sizeof out) != 0)
        fprintf (stderr, "pgtest: stopping the cluster in %s failed\n", s_dir);
    s_conninfo[0] = '\0';
}

const char *
pgtest_migrations (void)
{
    static char path[1024];
    const char *src = getenv ("SIGMAT_SRCDIR");
    snprintf (path, sizeof path, "%s/db/migrations", src && *src ? src : ".");
    return path;
}

void
pgtest_migrate (const char *prog, const char *conninfo)
{
    sg_diag_t d;
    store_t *st = store_new (conninfo, &d);
    if (!st || store_migrate (st, pgtest_migrations (), NULL, &d) != SG_OK) {
        fprintf (stderr, "%s: cannot prepare the database: %s\n", prog, d.text);
        exit (EXIT_FAILURE);
    }
    store_destroy (&st);
}

long long
pgtest_num (const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb (conninfo);
    ck_assert_int_eq (PQstatus (c), CONNECTION_OK);
    PGresult *r = PQexec (c, sql);
    ck_assert_msg (PQresultStatus (r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage (c));
    long long v = atoll (PQgetvalue (r, 0, 0));
    PQclear (r);
    PQfinish (c);
    return v;
}
