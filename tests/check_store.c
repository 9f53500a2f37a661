/* check_store.c - unit tests for broker/store*.c against a real PostgreSQL
 * started by tests/pgtest.c: migrations, batched intake and deduplication,
 * atomicity when the connection is killed, the delivery queue, dead
 * letters, stats, peers and routes. With SIGMAT_STORE_BENCH=1 it also
 * measures intake rates (see s_bench). */
#include <check.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pgtest.h"
#include "node/store.h"
#include "node/store_int.h"
#include "testutil.h"

static const char *s_conninfo;      /* the main database, migrated in main() */

static store_t *
s_open (const char *conninfo)
{
    sg_diag_t d;
    store_t *st = store_new (conninfo, &d);
    ck_assert_msg (st != NULL, "store_new: %s", d.text);
    return st;
}

/* A deterministic UUID from two numbers. */
static void
s_uuid (char out[37], unsigned tag, unsigned long long n)
{
    snprintf (out, 37, "%08x-0000-4000-8000-%012llx", tag, n);
}

typedef struct {
    char id[37];
    char hdr[128];
    char body[64];
    unsigned char sig[64];
} s_fixture_t;

/* Fills a message with recognisable bytes (NULs in the body and signature). */
static void
s_fill (store_msg_t *m, s_fixture_t *f, unsigned tag, unsigned long long n, const char *hop)
{
    memset (m, 0, sizeof *m);
    s_uuid (f->id, tag, n);
    snprintf (f->hdr, sizeof f->hdr, "Message-Id: %s\nType: DEC\n", f->id);
    memset (f->body, 0, sizeof f->body);
    snprintf (f->body, sizeof f->body, "<Body n=\"%llu\"/>", n);
    for (int i = 0; i < 64; i++)
        f->sig[i] = (unsigned char) (i * 7 + n);
    m->id = f->id;
    m->type = "DEC";
    m->mrn = "24GB000246J8NY33L7";
    m->sender = "CI000101";
    m->recipient = "BF000201";
    m->origin_node = "ci";
    m->from_peer = "asycuda-ci";
    m->header = f->hdr;
    m->header_len = strlen (f->hdr);
    m->body = f->body;
    m->body_len = sizeof f->body;
    m->signature = f->sig;
    m->signature_len = sizeof f->sig;
    m->next_hop = hop;
}

/* ---- migrations --------------------------------------------------------- */

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    ck_assert_ptr_nonnull (f);
    fputs (text, f);
    fclose (f);
}

START_TEST (test_migrations_available)
{
    char dir[] = "/tmp/sigmat-mig-XXXXXX", path[256];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    int latest = -1;
    ck_assert_int_eq (store_migrations_available (dir, &latest), SG_OK);
    ck_assert_int_eq (latest, 0);
    snprintf (path, sizeof path, "%s/001_a.sql", dir); s_write (path, "SELECT 1;");
    snprintf (path, sizeof path, "%s/010_b.sql", dir); s_write (path, "SELECT 1;");
    snprintf (path, sizeof path, "%s/README", dir); s_write (path, "x");
    snprintf (path, sizeof path, "%s/011_c.sql~", dir); s_write (path, "x");
    ck_assert_int_eq (store_migrations_available (dir, &latest), SG_OK);
    ck_assert_int_eq (latest, 10);
    snprintf (path, sizeof path, "%s/010_again.sql", dir); s_write (path, "SELECT 1;");
    ck_assert_int_eq (store_migrations_available (dir, &latest), SG_EINVAL);
    ck_assert_int_eq (store_migrations_available ("/nonexistent/sigmat", &latest), SG_EIO);
    ck_assert_int_eq (store_migrations_available (pgtest_migrations (), &latest), SG_OK);
    ck_assert_int_ge (latest, 1);
    char cmd[300];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq (system (cmd), 0);
}
END_TEST

START_TEST (test_migrate)
{
    char *ci = pgtest_createdb ("mig");
    store_t *st = s_open (ci);
    sg_diag_t d;
    int v = -1, latest;
    ck_assert_int_eq (store_migrations_available (pgtest_migrations (), &latest), SG_OK);
    /* Numbers are reserved per change, so the files need not be 1..latest. */
    glob_t g;
    char pattern[1100];
    snprintf (pattern, sizeof pattern, "%s/[0-9]*_*.sql", pgtest_migrations ());
    ck_assert_int_eq (glob (pattern, 0, NULL, &g), 0);
    int files = (int) g.gl_pathc;
    globfree (&g);
    ck_assert_int_eq (store_schema_version (st, &v), SG_OK);
    ck_assert_int_eq (v, 0);
    char want[200];
    snprintf (want, sizeof want, "database schema is at version 0, this sigmatd needs %d; "
              "hint: run `sigmatctl db migrate`", latest);
    ck_assert_int_eq (store_check_schema (st, pgtest_migrations (), &d), SG_EDB);
    ck_assert_str_eq (d.text, want);

    char out[4096] = "";
    FILE *f = fmemopen (out, sizeof out, "w");
    ck_assert_int_eq (store_migrate (st, pgtest_migrations (), f, &d), SG_OK);
    fclose (f);
    ck_assert_msg (strstr (out, "applied 001_init.sql\n") == out, "progress: %s", out);
    ck_assert_int_eq (store_schema_version (st, &v), SG_OK);
    ck_assert_int_eq (v, latest);
    ck_assert_int_eq (store_check_schema (st, pgtest_migrations (), &d), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM schema_migrations"), files);

    /* Twice is a no-op. */
    memset (out, 0, sizeof out);
    f = fmemopen (out, sizeof out, "w");
    ck_assert_int_eq (store_migrate (st, pgtest_migrations (), f, &d), SG_OK);
    fclose (f);
    ck_assert_ptr_null (strstr (out, "applied"));
    ck_assert_ptr_nonnull (strstr (out, "up to date"));
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM schema_migrations"), files);

    /* A newer program: behind by one, told what to run, then migrated. */
    char dir[] = "/tmp/sigmat-mig-XXXXXX", path[1200], cmd[2600];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    snprintf (cmd, sizeof cmd, "cp '%s'/*.sql '%s'/", pgtest_migrations (), dir);
    ck_assert_int_eq (system (cmd), 0);
    snprintf (path, sizeof path, "%s/%03d_extra.sql", dir, latest + 1);
    s_write (path, "CREATE TABLE extra (a int);\nINSERT INTO extra VALUES (1);\n");
    ck_assert_int_eq (store_check_schema (st, dir, &d), SG_EDB);
    snprintf (want, sizeof want, "database schema is at version %d, this sigmatd needs %d; "
              "hint: run `sigmatctl db migrate`", latest, latest + 1);
    ck_assert_str_eq (d.text, want);
    ck_assert_int_eq (store_migrate (st, dir, NULL, &d), SG_OK);
    ck_assert_int_eq (store_check_schema (st, dir, &d), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM extra"), 1);

    /* A failing migration leaves nothing of itself, and says where it failed. */
    snprintf (path, sizeof path, "%s/%03d_bad.sql", dir, latest + 2);
    s_write (path, "CREATE TABLE half (a int);\n-- comment\nINSERT INTO nosuchtable VALUES (1);\n");
    ck_assert_int_eq (store_migrate (st, dir, NULL, &d), SG_EDB);
    ck_assert_int_eq (d.line, 3);
    ck_assert_msg (strstr (d.text, "_bad.sql failed") && strstr (d.text, "nosuchtable")
                   && strstr (d.text, "line 3)"), "%s", d.text);
    ck_assert_int_eq (store_schema_version (st, &v), SG_OK);
    ck_assert_int_eq (v, latest + 1);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM pg_class WHERE relname = 'half'"), 0);

    /* The other direction: the database is newer than the program. */
    ck_assert_int_eq (store_check_schema (st, pgtest_migrations (), &d), SG_EDB);
    ck_assert_ptr_nonnull (strstr (d.text, "upgrade this program"));
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq (system (cmd), 0);
    store_destroy (&st);
    ck_assert_ptr_null (st);
    free (ci);
}
END_TEST

START_TEST (test_identity)
{
    char *ci = pgtest_createdb ("ident");
    store_t *st = s_open (ci);
    sg_diag_t d;
    ck_assert_int_eq (store_migrate (st, pgtest_migrations (), NULL, &d), SG_OK);
    ck_assert_int_eq (store_identity (st, "ci", NULL, &d), SG_OK);
    ck_assert_int_eq (store_identity (st, "ci", NULL, &d), SG_OK);
    ck_assert_int_eq (store_identity (st, "bf", NULL, &d), SG_ECONFIG);
    ck_assert_msg (strstr (d.text, "this database belongs to node \"ci\", not \"bf\"; hint:"),
                   "%s", d.text);
    /* The country: recorded on first use with one, then held to. */
    ck_assert_int_eq (store_identity (st, "ci", "CI", &d), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM node_identity WHERE country = 'CI'"), 1);
    ck_assert_int_eq (store_identity (st, "ci", "BF", &d), SG_ECONFIG);
    ck_assert_msg (strstr (d.text, "of country CI, not BF; hint:"), "%s", d.text);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* ---- intake ------------------------------------------------------------- */

START_TEST (test_accept_roundtrip)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    store_msg_t m[3];
    s_fixture_t f[3];
    for (int i = 0; i < 3; i++)
        s_fill (&m[i], &f[i], 0xa1, i, i == 2 ? NULL : "rt");
    m[1].correlation_id = f[0].id;
    m[1].signature = NULL;
    m[1].signature_len = 0;
    m[2].from_peer = NULL;
    ck_assert_int_eq (store_accept (st, m, 3, &d), SG_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq (m[i].duplicate, 0);

    store_message_t got;
    ck_assert_int_eq (store_message_get (st, f[0].id, &got, &d), SG_OK);
    ck_assert_str_eq (got.id, f[0].id);
    ck_assert_str_eq (got.type, "DEC");
    ck_assert_str_eq (got.mrn, "24GB000246J8NY33L7");
    ck_assert_str_eq (got.sender, "CI000101");
    ck_assert_str_eq (got.recipient, "BF000201");
    ck_assert_str_eq (got.origin_node, "ci");
    ck_assert_str_eq (got.from_peer, "asycuda-ci");
    ck_assert_str_eq (got.correlation_id, "");
    ck_assert_uint_eq (got.header_len, strlen (f[0].hdr));
    ck_assert_mem_eq (got.header, f[0].hdr, got.header_len);
    ck_assert_uint_eq (got.body_len, sizeof f[0].body);
    ck_assert_mem_eq (got.body, f[0].body, sizeof f[0].body);
    ck_assert_uint_eq (got.signature_len, 64);
    ck_assert_mem_eq (got.signature, f[0].sig, 64);
    ck_assert_int_le (llabs (got.received - (long long) time (NULL)), 60);
    store_message_clear (&got);

    ck_assert_int_eq (store_message_get (st, f[1].id, &got, &d), SG_OK);
    ck_assert_str_eq (got.correlation_id, f[0].id);
    ck_assert_ptr_null (got.signature);
    store_message_clear (&got);
    ck_assert_int_eq (store_message_get (st, f[2].id, &got, &d), SG_OK);
    ck_assert_str_eq (got.from_peer, "");
    store_message_clear (&got);

    char none[37];
    s_uuid (none, 0xa1, 999);
    ck_assert_int_eq (store_message_get (st, none, &got, &d), SG_ENOTFOUND);
    /* Only the two with a next hop are queued. */
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery WHERE next_hop = 'rt'"), 2);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery d JOIN message m"
                                  " ON m.id = d.message_id WHERE m.id::text LIKE '000000a1-%'"), 2);
    ck_assert_int_eq (store_accept (st, m, 0, &d), SG_OK);
    store_destroy (&st);
}
END_TEST

START_TEST (test_accept_duplicates)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    store_msg_t m[4];
    s_fixture_t f[4];
    s_fill (&m[0], &f[0], 0xd1, 1, "dup");
    s_fill (&m[1], &f[1], 0xd1, 2, "dup");
    s_fill (&m[2], &f[2], 0xd1, 1, "dup");      /* repeats m[0] within the batch */
    s_fill (&m[3], &f[3], 0xd1, 1, "dup");      /* and again */
    ck_assert_int_eq (store_accept (st, m, 4, &d), SG_OK);
    ck_assert_int_eq (m[0].duplicate, 0);
    ck_assert_int_eq (m[1].duplicate, 0);
    ck_assert_int_eq (m[2].duplicate, 1);
    ck_assert_int_eq (m[3].duplicate, 1);

    /* Across batches: m[0] again, plus a new one. */
    store_msg_t n[2];
    s_fixture_t g[2];
    s_fill (&n[0], &g[0], 0xd1, 3, "dup");
    s_fill (&n[1], &g[1], 0xd1, 1, "dup");
    ck_assert_int_eq (store_accept (st, n, 2, &d), SG_OK);
    ck_assert_int_eq (n[0].duplicate, 0);
    ck_assert_int_eq (n[1].duplicate, 1);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM message"
                                  " WHERE id::text LIKE '000000d1-%'"), 3);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery WHERE next_hop = 'dup'"), 3);

    /* The whole batch again: all duplicates, nothing new. */
    ck_assert_int_eq (store_accept (st, m, 4, &d), SG_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq (m[i].duplicate, 1);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery WHERE next_hop = 'dup'"), 3);
    store_destroy (&st);
}
END_TEST

/* A batch whose messages name a claim holder claims their (next hop,
 * MRN) in the same commit when nobody holds it: won once per pair, never
 * from another holder, never for a duplicate, never without a next hop. */
START_TEST (test_accept_claims)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    store_msg_t m[5];
    s_fixture_t f[5];
    const char *mrns[5] = { "MC1", "MC1", "MC2", "MC3", "MC4" };
    for (int i = 0; i < 5; i++) {
        s_fill (&m[i], &f[i], 0xc5, i, i == 4 ? NULL : "clm");
        m[i].mrn = mrns[i];
        m[i].claim_holder = "h:1";
        m[i].claim_ttl_ms = 60000;
    }
    m[3].claim_holder = NULL;                   /* MC3: not asked */
    ck_assert_int_eq (pgtest_num (s_conninfo, "WITH x AS (INSERT INTO delivery_claim (next_hop,"
                                  " mrn, holder, expires) VALUES ('clm', 'MC2', 'h:2', now()"
                                  " + interval '1 h') RETURNING 1) SELECT count(*) FROM x"), 1);
    ck_assert_int_eq (store_accept (st, m, 5, &d), SG_OK);
    ck_assert_int_eq (m[0].claimed, 1);
    ck_assert_int_eq (m[1].claimed, 1);         /* the same pair, one claim */
    ck_assert_int_eq (m[2].claimed, 0);         /* h:2 holds it */
    ck_assert_int_eq (m[3].claimed, 0);
    ck_assert_int_eq (m[4].claimed, 0);         /* no next hop */
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery_claim WHERE"
                                  " next_hop = 'clm' AND holder = 'h:1' AND mrn = 'MC1'"
                                  " AND expires > now() + interval '50 s'"), 1);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery_claim WHERE"
                                  " next_hop = 'clm' AND holder = 'h:2'"), 1);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery_claim WHERE"
                                  " next_hop = 'clm'"), 2);
    /* Again: all duplicates, nothing claimed; a new message of a pair
     * already claimed does not win it again. */
    ck_assert_int_eq (store_accept (st, m, 5, &d), SG_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq (m[i].claimed, 0);
    s_fill (&m[0], &f[0], 0xc5, 10, "clm");
    m[0].mrn = "MC1";
    m[0].claim_holder = "h:1";
    m[0].claim_ttl_ms = 60000;
    ck_assert_int_eq (store_accept (st, m, 1, &d), SG_OK);
    ck_assert_int_eq (m[0].duplicate, 0);
    ck_assert_int_eq (m[0].claimed, 0);
    m[0].claim_holder = "bad holder";
    ck_assert_int_eq (store_accept (st, m, 1, &d), SG_EINVAL);
    store_destroy (&st);
}
END_TEST

START_TEST (test_accept_invalid)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    store_msg_t m[3];
    s_fixture_t f[3];
    for (int i = 0; i < 3; i++)
        s_fill (&m[i], &f[i], 0xe1, i, "inv");
    m[1].id = "not-a-uuid";
    ck_assert_int_eq (store_accept (st, m, 3, &d), SG_EINVAL);
    ck_assert_int_eq (d.line, 2);
    ck_assert_int_eq (d.nak, SG_NAK_INCORRECT_VALUE);
    ck_assert_str_eq (d.text, "message 2 of the batch: bad id");
    m[1].id = f[1].id;
    m[2].mrn = "24GB 0246";
    ck_assert_int_eq (store_accept (st, m, 3, &d), SG_EINVAL);
    ck_assert_str_eq (d.text, "message 3 of the batch: bad mrn");
    m[2].mrn = "24GB000246J8NY33L7";
    m[0].correlation_id = "zz";
    ck_assert_int_eq (store_accept (st, m, 3, &d), SG_EINVAL);
    ck_assert_str_eq (d.text, "message 1 of the batch: bad correlation_id");
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM message"
                                  " WHERE id::text LIKE '000000e1-%'"), 0);
    store_destroy (&st);
}
END_TEST

typedef struct {
    store_t *st;
    store_msg_t *m;
    size_t n;
    int rc;
    sg_diag_t d;
} s_job_t;

static void *
s_accept_thread (void *arg)
{
    s_job_t *job = arg;
    job->rc = store_accept (job->st, job->m, job->n, &job->d);
    return NULL;
}

/* A batch whose last id is held by another open transaction blocks after
 * its first rows are inserted; killing its backend there must leave none
 * of them stored. */
START_TEST (test_accept_killed_midway)
{
    store_t *st = s_open (s_conninfo);
    enum { N = 50 };
    store_msg_t m[N];
    s_fixture_t *f = calloc (N, sizeof *f);
    for (int i = 0; i < N; i++)
        s_fill (&m[i], &f[i], 0xc1, i, "kill");
    PGconn *other = PQconnectdb (s_conninfo);
    ck_assert_int_eq (PQstatus (other), CONNECTION_OK);
    PGresult *r = PQexec (other, "BEGIN");
    PQclear (r);
    char sql[512];
    snprintf (sql, sizeof sql, "INSERT INTO message (id, type, mrn, sender, recipient, origin_node,"
              " header, body) VALUES ('%s', 'DEC', 'x', 'x', 'x', 'x', '', '')", f[N - 1].id);
    r = PQexec (other, sql);
    ck_assert_int_eq (PQresultStatus (r), PGRES_COMMAND_OK);
    PQclear (r);

    PGresult *pr = store_exec (st, "pid", "SELECT pg_backend_pid()", 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull (pr);
    int pid = atoi (PQgetvalue (pr, 0, 0));
    PQclear (pr);
    s_job_t job = { .st = st, .m = m, .n = N };
    pthread_t th;
    ck_assert_int_eq (pthread_create (&th, NULL, s_accept_thread, &job), 0);
    char wait_sql[256];
    snprintf (wait_sql, sizeof wait_sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d"
              " AND wait_event_type = 'Lock'", pid);
    int waited = 0;
    while (pgtest_num (s_conninfo, wait_sql) == 0 && waited++ < 200)
        usleep (20000);
    ck_assert_int_lt (waited, 200);
    char kill_sql[128];
    snprintf (kill_sql, sizeof kill_sql, "SELECT pg_terminate_backend(%d)::int", pid);
    ck_assert_int_eq (pgtest_num (s_conninfo, kill_sql), 1);
    pthread_join (th, NULL);
    ck_assert_int_eq (job.rc, SG_EDB);
    r = PQexec (other, "ROLLBACK");
    PQclear (r);
    PQfinish (other);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM message"
                                  " WHERE id::text LIKE '000000c1-%'"), 0);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery WHERE next_hop = 'kill'"), 0);

    /* The store reconnects and the resent batch is stored whole. */
    sg_diag_t d;
    ck_assert_int_eq (store_accept (st, m, N, &d), SG_OK);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq (m[i].duplicate, 0);
    ck_assert_int_eq (pgtest_num (s_conninfo, "SELECT count(*) FROM delivery WHERE next_hop = 'kill'"), N);
    free (f);
    store_destroy (&st);
}
END_TEST

/* ---- delivery queue ----------------------------------------------------- */

START_TEST (test_queue)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    store_msg_t m[7];
    s_fixture_t f[7];
    for (int i = 0; i < 7; i++)
        s_fill (&m[i], &f[i], 0xb1, 6 - i, i < 5 ? "q1" : "q2");  /* ids not in seq order */
    ck_assert_int_eq (store_accept (st, m, 7, &d), SG_OK);

    store_delivery_t *p;
    size_t n;
    ck_assert_int_eq (store_pending (st, "q1", 0, 3, &p, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq (p[i].id, f[i].id);            /* batch order */
        ck_assert_str_eq (p[i].mrn, "24GB000246J8NY33L7");
        ck_assert_int_eq (p[i].attempts, 0);
        ck_assert_mem_eq (p[i].body, f[i].body, sizeof f[i].body);
        ck_assert_uint_eq (p[i].signature_len, 64);
        if (i)
            ck_assert_int_gt (p[i].seq, p[i - 1].seq);
    }
    long long cursor = p[2].seq;
    store_deliveries_free (p, n);
    ck_assert_int_eq (store_pending (st, "q1", cursor, 10, &p, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 2);
    ck_assert_str_eq (p[0].id, f[3].id);
    ck_assert_str_eq (p[1].id, f[4].id);
    store_deliveries_free (p, n);
    ck_assert_int_eq (store_pending (st, "nobody", 0, 10, &p, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 0);
    ck_assert_ptr_null (p);

    /* Delivered: gone from pending, idempotent. */
    const char *acked[2] = { f[0].id, f[1].id };
    size_t updated;
    ck_assert_int_eq (store_delivered (st, "q1", acked, 2, &updated, &d), SG_OK);
    ck_assert_uint_eq (updated, 2);
    ck_assert_int_eq (store_delivered (st, "q1", acked, 2, &updated, &d), SG_OK);
    ck_assert_uint_eq (updated, 0);
    ck_assert_int_eq (store_delivered (st, "q2", acked, 2, &updated, &d), SG_OK);
    ck_assert_uint_eq (updated, 0);                     /* not theirs */
    const char *bad[1] = { "nope" };
    ck_assert_int_eq (store_delivered (st, "q1", bad, 1, NULL, &d), SG_EINVAL);

    /* A retry is counted. */
    const char *retried[1] = { f[3].id };
    ck_assert_int_eq (store_attempted (st, "q1", retried, 1, "timeout", &d), SG_OK);

    /* Dead letter. */
    ck_assert_int_eq (store_dead (st, "q1", f[2].id, SG_NAK_INCORRECT_VALUE, "bad seal number", &d), SG_OK);
    ck_assert_int_eq (store_dead (st, "q1", f[0].id, 12, "x", &d), SG_ENOTFOUND);  /* already done */
    ck_assert_int_eq (store_pending (st, "q1", 0, 10, &p, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 2);
    ck_assert_str_eq (p[0].id, f[3].id);
    ck_assert_int_eq (p[0].attempts, 1);
    ck_assert_str_eq (p[1].id, f[4].id);
    store_deliveries_free (p, n);

    store_dead_t *dl;
    ck_assert_int_eq (store_dead_list (st, "q1", 10, &dl, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 1);
    ck_assert_str_eq (dl[0].id, f[2].id);
    ck_assert_str_eq (dl[0].next_hop, "q1");
    ck_assert_str_eq (dl[0].type, "DEC");
    ck_assert_int_eq (dl[0].nak_code, 12);
    ck_assert_str_eq (dl[0].reason, "bad seal number");
    free (dl);
    ck_assert_int_eq (store_dead_list (st, "q2", 10, &dl, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 0);

    /* Stats. */
    store_queue_stat_t *qs;
    ck_assert_int_eq (store_queue_stats (st, &qs, &n, &d), SG_OK);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp (qs[i].next_hop, "q1") == 0) {
            ck_assert_int_eq (qs[i].pending, 2);
            ck_assert_int_eq (qs[i].dead, 1);
            ck_assert (qs[i].oldest_age_s >= 0 && qs[i].oldest_age_s < 60);
            seen++;
        }
        if (strcmp (qs[i].next_hop, "q2") == 0) {
            ck_assert_int_eq (qs[i].pending, 2);
            ck_assert_int_eq (qs[i].dead, 0);
            seen++;
        }
    }
    ck_assert_int_eq (seen, 2);
    free (qs);

    /* Replay: back in the queue, at its end. */
    int count;
    ck_assert_int_eq (store_replay_dead (st, NULL, NULL, &count, &d), SG_EINVAL);
    ck_assert_int_eq (store_replay_dead (st, NULL, "q1", &count, &d), SG_OK);
    ck_assert_int_eq (count, 1);
    ck_assert_int_eq (store_replay_dead (st, f[2].id, NULL, &count, &d), SG_OK);
    ck_assert_int_eq (count, 0);
    ck_assert_int_eq (store_pending (st, "q1", 0, 10, &p, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 3);
    ck_assert_str_eq (p[2].id, f[2].id);
    ck_assert_int_eq (p[2].attempts, 0);
    store_deliveries_free (p, n);
    ck_assert_int_eq (store_dead_list (st, NULL, 10, &dl, &n, &d), SG_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_ne (dl[i].id, f[2].id);
    free (dl);
    store_destroy (&st);
}
END_TEST

/* ---- peers and routes --------------------------------------------------- */

/* The statements that find deliveries by id (delivered, attempted, dead)
 * go through the primary key, never through delivery_pending, which would
 * read the hop's whole queue for each: a fresh table without statistics,
 * 20,000 queued for one hop, is where the planner chose that index. */
START_TEST (test_by_id_plan)
{
    char *ci = pgtest_createdb ("plan");
    store_t *st = s_open (ci);
    sg_diag_t d;
    ck_assert_int_eq (store_migrate (st, pgtest_migrations (), NULL, &d), SG_OK);
    store_destroy (&st);
    PGconn *c = PQconnectdb (ci);
    ck_assert_int_eq (PQstatus (c), CONNECTION_OK);
    PGresult *r = PQexec (c,
        "INSERT INTO message (id, type, mrn, sender, recipient, origin_node, header, body)"
        " SELECT gen_random_uuid (), 'AAR', 'M' || i, 'CI000101', 'BF000101', 'CI', 'h', 'b'"
        " FROM generate_series (1, 20000) i;"
        "INSERT INTO delivery (message_id, next_hop) SELECT id, 'BF' FROM message");
    ck_assert_int_eq (PQresultStatus (r), PGRES_COMMAND_OK);
    PQclear (r);
    char mark[1024];                /* the statement the dispatcher runs */
    snprintf (mark, sizeof mark, "PREPARE mark (text, uuid[]) AS %s", store_i_sql_delivered);
    r = PQexec (c, mark);
    ck_assert_int_eq (PQresultStatus (r), PGRES_COMMAND_OK);
    PQclear (r);
    const char *by_id[] = {
        "EXECUTE mark ('BF', '{00000000-0000-4000-8000-000000000001}')",
        "UPDATE delivery SET state = 'dead' WHERE next_hop = 'BF'"
        " AND message_id = '00000000-0000-4000-8000-000000000001'::uuid AND " STORE_UNDELIVERED,
    };
    for (size_t i = 0; i < sizeof by_id / sizeof by_id[0]; i++) {
        char sql[512], plan[2048] = "";
        snprintf (sql, sizeof sql, "EXPLAIN %s", by_id[i]);
        r = PQexec (c, sql);
        ck_assert_int_eq (PQresultStatus (r), PGRES_TUPLES_OK);
        for (int row = 0; row < PQntuples (r); row++)
            snprintf (plan + strlen (plan), sizeof plan - strlen (plan), "%s\n",
                      PQgetvalue (r, row, 0));
        PQclear (r);
        ck_assert_msg (strstr (plan, "delivery_pkey") && !strstr (plan, "delivery_pending"),
                       "%s\n%s", by_id[i], plan);
    }
    PQfinish (c);
    free (ci);
}
END_TEST

START_TEST (test_peers)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    char *offices[2] = { "BF", "BF000201" };
    store_peer_t p = { .name = "node-bf", .role = "node",
                       .curve_public = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
                       .sign_public_pem = "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n",
                       .endpoint = "tcp://127.0.0.1:7001", .offices = offices, .offices_n = 2 };
    ck_assert_int_eq (store_peer_put (st, &p, &d), SG_OK);
    store_peer_t g;
    ck_assert_int_eq (store_peer_get (st, "node-bf", &g, &d), SG_OK);
    ck_assert_str_eq (g.name, "node-bf");
    ck_assert_str_eq (g.role, "node");
    ck_assert_str_eq (g.curve_public, p.curve_public);
    ck_assert_str_eq (g.sign_public_pem, p.sign_public_pem);
    ck_assert_str_eq (g.endpoint, p.endpoint);
    ck_assert_uint_eq (g.offices_n, 2);
    ck_assert_str_eq (g.offices[0], "BF");
    ck_assert_str_eq (g.offices[1], "BF000201");
    ck_assert_int_eq (g.last_seen, 0);
    store_peer_clear (&g);

    ck_assert_int_eq (store_peer_seen (st, "node-bf", &d), SG_OK);
    store_peer_t a = { .name = "asycuda-ci", .role = "adapter", .offices = offices, .offices_n = 0 };
    ck_assert_int_eq (store_peer_put (st, &a, &d), SG_OK);
    p.offices_n = 1;
    p.endpoint = NULL;
    ck_assert_int_eq (store_peer_put (st, &p, &d), SG_OK);      /* replace */

    store_peer_t *list;
    size_t n;
    ck_assert_int_eq (store_peer_list (st, &list, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 2);
    ck_assert_str_eq (list[0].name, "asycuda-ci");
    ck_assert_str_eq (list[0].curve_public, "");
    ck_assert_ptr_null (list[0].sign_public_pem);
    ck_assert_uint_eq (list[0].offices_n, 0);
    ck_assert_str_eq (list[1].name, "node-bf");
    ck_assert_uint_eq (list[1].offices_n, 1);
    ck_assert_ptr_null (list[1].endpoint);
    ck_assert_int_gt (list[1].last_seen, 0);                    /* kept by put */
    store_peers_free (list, n);

    /* The same CurveZMQ key cannot belong to two peers. */
    store_peer_t twin = p;
    sg_strlcpy (twin.name, "node-xx", sizeof twin.name);
    ck_assert_int_eq (store_peer_put (st, &twin, &d), SG_EDB);
    ck_assert_ptr_nonnull (strstr (d.text, "cannot store peer"));
    store_peer_t bad = { .name = "x", .role = "hub" };
    ck_assert_int_eq (store_peer_put (st, &bad, &d), SG_EINVAL);
    char *bad_office[1] = { "ci0001" };
    store_peer_t bad2 = { .name = "y", .role = "node", .offices = bad_office, .offices_n = 1 };
    ck_assert_int_eq (store_peer_put (st, &bad2, &d), SG_EINVAL);

    ck_assert_int_eq (store_peer_remove (st, "node-bf", &d), SG_OK);
    ck_assert_int_eq (store_peer_remove (st, "node-bf", &d), SG_ENOTFOUND);
    ck_assert_str_eq (d.text, "no peer named \"node-bf\"");
    ck_assert_int_eq (store_peer_get (st, "node-bf", &g, &d), SG_ENOTFOUND);
    ck_assert_int_eq (store_peer_seen (st, "node-bf", &d), SG_ENOTFOUND);
    ck_assert_int_eq (store_peer_remove (st, "asycuda-ci", &d), SG_OK);
    store_destroy (&st);
}
END_TEST

START_TEST (test_routes)
{
    store_t *st = s_open (s_conninfo);
    sg_diag_t d;
    ck_assert_int_eq (store_route_put (st, "BF", "node-bf", &d), SG_OK);
    ck_assert_int_eq (store_route_put (st, "CI000101", "asycuda-ci", &d), SG_OK);
    ck_assert_int_eq (store_route_put (st, "NE", "node-bf", &d), SG_OK);
    ck_assert_int_eq (store_route_put (st, "NE", "hub", &d), SG_OK);     /* replace */
    ck_assert_int_eq (store_route_put (st, "bf", "x", &d), SG_EINVAL);
    ck_assert_str_eq (d.text, "bad route prefix \"bf\": expected an office reference like "
                      "CI000101 or a country code like CI");
    ck_assert_int_eq (store_route_put (st, "CI00010", "x", &d), SG_EINVAL);
    ck_assert_int_eq (store_route_put (st, "CI", "two words", &d), SG_EINVAL);
    store_route_t *r;
    size_t n;
    ck_assert_int_eq (store_route_list (st, &r, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 3);
    ck_assert_str_eq (r[0].prefix, "BF");
    ck_assert_str_eq (r[0].next_hop, "node-bf");
    ck_assert_str_eq (r[1].prefix, "CI000101");
    ck_assert_str_eq (r[1].next_hop, "asycuda-ci");
    ck_assert_str_eq (r[2].prefix, "NE");
    ck_assert_str_eq (r[2].next_hop, "hub");
    free (r);
    ck_assert_int_eq (store_route_remove (st, "NE", &d), SG_OK);
    ck_assert_int_eq (store_route_remove (st, "NE", &d), SG_ENOTFOUND);
    ck_assert_int_eq (store_route_list (st, &r, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 2);
    free (r);
    store_destroy (&st);
}
END_TEST

START_TEST (test_connect_fail)
{
    sg_diag_t d;
    store_t *st = store_new ("host=/nonexistent/sock port=1 dbname=x connect_timeout=2", &d);
    ck_assert_ptr_null (st);
    ck_assert_int_eq (d.code, SG_EDB);
    ck_assert_msg (strncmp (d.text, "cannot connect to the database: ", 32) == 0, "%s", d.text);
    store_destroy (&st);
    store_destroy (NULL);
}
END_TEST

/* ---- optional measurement ------------------------------------------------ */

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Accepts total messages in batches of `batch` with ~1.5 KB bodies; returns msgs/s. */
static double
s_rate (store_t *st, unsigned tag, size_t batch, size_t total, const char *hop)
{
    static char body[1500];
    memset (body, 'x', sizeof body);
    static const unsigned char sig[64];
    store_msg_t *m = calloc (batch, sizeof *m);
    char (*ids)[37] = calloc (batch, 37);
    sg_diag_t d;
    double t0 = s_now ();
    for (size_t done = 0; done < total; done += batch) {
        for (size_t i = 0; i < batch; i++) {
            s_uuid (ids[i], tag, done + i);
            m[i] = (store_msg_t) { .id = ids[i], .type = "AAR", .mrn = "24GB000246J8NY33L7",
                .sender = "CI000101", .recipient = "BF000201", .origin_node = "ci",
                .from_peer = "asycuda-ci", .header = body, .header_len = 200, .body = body,
                .body_len = sizeof body, .signature = sig, .signature_len = 64, .next_hop = hop };
        }
        int rc = store_accept (st, m, batch, &d);
        ck_assert_msg (rc == SG_OK, "%s", d.text);
    }
    double rate = total / (s_now () - t0);
    free (m);
    free (ids);
    return rate;
}

/* SIGMAT_STORE_BENCH=1: intake rates for batches of 1, 50 and 500, then
 * again behind a backlog of SIGMAT_STORE_BACKLOG pending messages for an
 * offline hop. Without it, a small run that only checks it works. */
START_TEST (test_bench)
{
    const char *on = getenv ("SIGMAT_STORE_BENCH");
    int bench = on && strcmp (on, "1") == 0;
    store_t *st = s_open (s_conninfo);
    size_t sizes[3] = { 1, 50, 500 };
    size_t totals[3] = { bench ? 2000 : 20, bench ? 50000 : 100, bench ? 100000 : 1000 };
    double before[3], after[3];
    for (int i = 0; i < 3; i++)
        before[i] = s_rate (st, 0xf0 + i, sizes[i], totals[i], "peer-up");
    const char *bl = getenv ("SIGMAT_STORE_BACKLOG");
    size_t backlog = bench ? (bl ? strtoul (bl, NULL, 10) : 1000000) : 2000;
    double load = s_rate (st, 0xf8, 500, backlog, "offline");
    if (bench) {
        /* Let the bulk load's checkpoint and autovacuum settle first: we
         * measure the steady state behind a backlog, not the load's echo. */
        PGconn *c = PQconnectdb (s_conninfo);
        PGresult *r = PQexec (c, "CHECKPOINT");
        PQclear (r);
        r = PQexec (c, "VACUUM ANALYZE message, delivery");
        PQclear (r);
        PQfinish (c);
    }
    for (int i = 0; i < 3; i++)
        after[i] = s_rate (st, 0xe0 + i, sizes[i], totals[i], "peer-up");
    if (bench)
        fprintf (stderr, "store bench: backlog of %zu for an offline hop loaded at %.0f msgs/s\n",
                 backlog, load);
    if (bench)
        for (int i = 0; i < 3; i++)
            fprintf (stderr, "store bench: batch %4zu: %8.0f msgs/s; with %zu backlog: %8.0f msgs/s\n",
                     sizes[i], before[i], backlog, after[i]);
    store_delivery_t *p;
    size_t n;
    sg_diag_t d;
    ck_assert_int_eq (store_pending (st, "offline", 0, 5, &p, &n, &d), SG_OK);
    ck_assert_uint_eq (n, 5);
    store_deliveries_free (p, n);
    store_destroy (&st);
}
END_TEST

int
main (void)
{
    s_conninfo = pgtest_start ();
    pgtest_migrate ("check_store", s_conninfo);

    Suite *s = suite_create ("store");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_migrations_available);
    tcase_add_test (tc, test_migrate);
    tcase_add_test (tc, test_identity);
    tcase_add_test (tc, test_accept_roundtrip);
    tcase_add_test (tc, test_accept_duplicates);
    tcase_add_test (tc, test_accept_claims);
    tcase_add_test (tc, test_accept_invalid);
    tcase_add_test (tc, test_accept_killed_midway);
    tcase_add_test (tc, test_queue);
    tcase_add_test (tc, test_by_id_plan);
    tcase_add_test (tc, test_peers);
    tcase_add_test (tc, test_routes);
    tcase_add_test (tc, test_connect_fail);
    suite_add_tcase (s, tc);
    TCase *tb = tcase_create ("bench");
    tcase_set_timeout (tb, 3600);
    tcase_add_test (tb, test_bench);
    suite_add_tcase (s, tb);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
