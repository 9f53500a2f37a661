/* check_retention.c - retention against a real PostgreSQL (tests/pgtest.c):
 * old delivered messages and closed movements are archived and removed in
 * batches; what is undelivered, dead, recent or part of an open movement
 * stays; archives verify offline and tampered ones do not; a late copy of
 * an archived message is still a duplicate; the dedup table is pruned
 * after its window; events cannot be deleted any other way. */
#include <check.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lifecycle/lifecycle.h"
#include "pgtest.h"
#include "node/retention.h"
#include "sign.h"
#include "node/store.h"
#include "testutil.h"

#define S_DAY_MS 86400000LL

static const char *s_conninfo;
static char s_dir[64], s_keys[100], s_arch[100];
static sg_sign_key_t *s_key;

static const char *S_CLOSED = "24CI000000000001A9";    /* not a real MRN check: the store does not care */
static const char *S_OPEN = "24CI000000000002A9";

static long long
s_num (const char *sql)
{
    return pgtest_num (s_conninfo, sql);
}

/* Runs sql; returns 1 if it succeeded. */
static int
s_exec (const char *sql)
{
    PGconn *c = PQconnectdb (s_conninfo);
    PGresult *r = PQexec (c, sql);
    int ok = PQresultStatus (r) == PGRES_COMMAND_OK || PQresultStatus (r) == PGRES_TUPLES_OK;
    PQclear (r);
    PQfinish (c);
    return ok;
}

typedef struct {
    char id[37], hdr[256], body[64];
    unsigned char sig[SG_SIGN_LEN];
} s_fix_t;

/* A message signed by node CI (the origin), for mrn, to next hop hop. */
static void
s_msg (store_msg_t *m, s_fix_t *f, int n, const char *mrn, const char *hop)
{
    memset (m, 0, sizeof *m);
    snprintf (f->id, sizeof f->id, "00000000-0000-4000-8000-%012d", n);
    snprintf (f->hdr, sizeof f->hdr, "Message-Id: %s\nType: NCF\nMrn: %s\n", f->id, mrn);
    snprintf (f->body, sizeof f->body, "<Body n=\"%d\"/>", n);
    ck_assert_int_eq (sg_sign_message (s_key, f->hdr, strlen (f->hdr), f->body, strlen (f->body),
                                    f->sig), SG_OK);
    m->id = f->id;
    m->type = "NCF";
    m->mrn = mrn;
    m->sender = "CI000101";
    m->recipient = "BF000201";
    m->origin_node = "CI";
    m->header = f->hdr;
    m->header_len = strlen (f->hdr);
    m->body = f->body;
    m->body_len = strlen (f->body);
    m->signature = f->sig;
    m->signature_len = SG_SIGN_LEN;
    m->next_hop = hop;
}

static void
s_hex (const unsigned char *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf (out + 2 * i, 3, "%02x", h[i]);
}

/* A view of mrn at office with a chain of n events; finished (ms) or 0. */
static void
s_view (const char *mrn, const char *office, int n, long long finished_ms)
{
    static const char *states[] = { "REGISTERED", "RELEASED", "EN_ROUTE", "DISCHARGED" };
    unsigned char prev[32] = { 0 }, h[32];
    char sql[2048], ph[65], hh[65], mid[37];
    long long at = finished_ms ? finished_ms - 3 * 3600000LL : 1700000000000LL;
    for (int i = 1; i <= n; i++) {
        snprintf (mid, sizeof mid, "00000000-0000-4000-9000-%012d", i);
        lc_event_t ev = { mrn, office, i, mid, "DEC", i > 1 ? states[i - 2] : "", states[i - 1],
                          office, at + i * 1000, "", "", "", 2 };   /* hash_version 2 */
        ck_assert_int_eq (lc_event_hash (prev, &ev, h), SG_OK);
        s_hex (prev, ph);
        s_hex (h, hh);
        snprintf (sql, sizeof sql,
                  "INSERT INTO movement_event VALUES ('%s', '%s', %d, '%s', 'DEC', %s%s%s, '%s',"
                  " '%s', to_timestamp(%lld / 1000.0), '\\x%s', '\\x%s')", mrn, office, i, mid,
                  i > 1 ? "'" : "", i > 1 ? states[i - 2] : "NULL", i > 1 ? "'" : "",
                  states[i - 1], office, at + i * 1000, ph, hh);
        ck_assert_msg (s_exec (sql), "%s", sql);
        memcpy (prev, h, 32);
    }
    s_hex (prev, hh);
    char fin[64] = "NULL";
    if (finished_ms)
        snprintf (fin, sizeof fin, "to_timestamp(%lld / 1000.0)", finished_ms);
    snprintf (sql, sizeof sql,
              "INSERT INTO movement (mrn, office, role, state, departure, destination, created,"
              " state_since, finished, events, last_hash) VALUES ('%s', '%s', 'DEPARTURE', '%s',"
              " 'CI000101', 'BF000201', now(), now(), %s, %d, '\\x%s')", mrn, office,
              states[n - 1], fin, n, hh);
    ck_assert_msg (s_exec (sql), "%s", sql);
    snprintf (sql, sizeof sql, "INSERT INTO movement_incident VALUES ('00000000-0000-4000-a000-"
              "%012d', '%s', '%s', '2026-01-01T10:00:00Z', 'AC', 'dented', now())",
              (int) strlen (office) + n + (finished_ms ? 100 : 200), mrn, office);
    ck_assert_msg (s_exec (sql), "%s", sql);
}

static int
s_archives (char names[][512], int max)
{
    DIR *d = opendir (s_arch);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir (d)) && n < max)
        if (strstr (e->d_name, ".jsonl.gz") && !strstr (e->d_name, ".tmp"))
            snprintf (names[n++], 512, "%s/%s", s_arch, e->d_name);
    if (d)
        closedir (d);
    return n;
}

/* Rewrites an archive with the first occurrence of from replaced by to. */
static void
s_tamper (const char *in, const char *out, const char *from, const char *to)
{
    gzFile g = gzopen (in, "rb");
    ck_assert_ptr_nonnull (g);
    static char buf[1 << 20];
    int n = gzread (g, buf, sizeof buf - 1);
    gzclose (g);
    ck_assert_int_gt (n, 0);
    buf[n] = 0;
    char *p = strstr (buf, from);
    ck_assert_msg (p != NULL, "%s not in %s", from, in);
    gzFile w = gzopen (out, "wb");
    gzwrite (w, buf, (unsigned) (p - buf));
    gzwrite (w, to, (unsigned) strlen (to));
    gzwrite (w, p + strlen (from), (unsigned) (n - (p - buf) - strlen (from)));
    gzclose (w);
}

static int
s_verify (const char *path, char *report, size_t size, retention_verify_t *st)
{
    FILE *f = fmemopen (report, size, "w");
    retention_keys_t k = { s_keys, NULL };
    sg_diag_t d = { 0 };
    memset (report, 0, size);
    int rc = retention_verify (path, &k, f, st, &d);
    fclose (f);
    if (rc != SG_OK && rc != SG_ESIG)
        snprintf (report, size, "%s", d.text);
    return rc;
}

START_TEST (test_retention)
{
    sg_diag_t d;
    store_t *st = store_new (s_conninfo, &d);
    ck_assert_ptr_nonnull (st);
    long long now = (long long) time (NULL) * 1000, old = now - 100 * S_DAY_MS;

    /* 1,2: the closed movement's messages; 3: the open one's; 4: waits for
     * its next hop; 5: recent; 6: a dead letter; 7, 8: no movement here. */
    s_fix_t f[9];
    store_msg_t m[9];
    const char *mrn[9] = { NULL, S_CLOSED, S_CLOSED, S_OPEN, "24CI000000000003A9",
                           "24CI000000000004A9", "24CI000000000005A9", "24CI000000000006A9",
                           "24CI000000000007A9" };
    for (int i = 1; i <= 8; i++)
        s_msg (&m[i], &f[i], i, mrn[i], "hub");
    ck_assert_int_eq (store_accept (st, m + 1, 8, &d), SG_OK);
    const char *done[] = { f[1].id, f[2].id, f[3].id, f[5].id, f[7].id, f[8].id };
    ck_assert_int_eq (store_delivered (st, "hub", done, 6, NULL, &d), SG_OK);
    ck_assert_int_eq (store_dead (st, "hub", f[6].id, 101, "refused", &d), SG_OK);
    ck_assert (s_exec ("UPDATE message SET received = now() - interval '100 days'"
                       " WHERE id::text NOT LIKE '%00000000005'"));
    s_view (S_CLOSED, "CI000101", 4, old);
    s_view (S_OPEN, "CI000101", 3, 0);

    /* Events stay append-only outside retention, and for open views within. */
    ck_assert (!s_exec ("DELETE FROM movement_event WHERE mrn = '24CI000000000001A9'"));
    ck_assert (!s_exec ("BEGIN; SET LOCAL sigmat.retention = 'on';"
                        " DELETE FROM movement_event WHERE mrn = '24CI000000000002A9'; COMMIT"));
    ck_assert_int_eq (s_num ("SELECT count(*) FROM movement_event"), 7);

    /* Batches of 2 until nothing is left to do. */
    retention_conf_t rc = { s_arch, "CI", s_key, 2, 366 * S_DAY_MS };
    retention_result_t res;
    int msgs = 0, movs = 0, runs = 0;
    do {
        ck_assert_msg (retention_run (st, &rc, now - 90 * S_DAY_MS, now - 90 * S_DAY_MS, &res, &d)
                       == SG_OK, "%s", d.text);
        msgs += res.messages;
        movs += res.movements;
        ck_assert_int_le (res.messages, 2);
    } while ((res.messages || res.movements) && ++runs < 10);
    ck_assert_int_eq (msgs, 4);         /* 1, 2, 7, 8 */
    ck_assert_int_eq (movs, 1);
    ck_assert_int_ge (runs, 2);

    /* What stayed, and what went. */
    ck_assert_int_eq (s_num ("SELECT count(*) FROM message"), 4);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM message WHERE right(id::text, 1) IN"
                             " ('3', '4', '5', '6')"), 4);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM delivery"), 4);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM delivery WHERE state = 'dead'"), 1);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM message_seen"), 4);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM movement"), 1);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM movement WHERE mrn = '24CI000000000002A9'"), 1);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM movement_event"), 3);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM movement_incident"), 1);

    /* Every archive verifies and together they hold exactly what went. */
    char names[16][512], report[8192];
    int n = s_archives (names, 16), am = 0, av = 0, ae = 0;
    ck_assert_int_ge (n, 2);
    for (int i = 0; i < n; i++) {
        retention_verify_t vs;
        ck_assert_msg (s_verify (names[i], report, sizeof report, &vs) == SG_OK, "%s: %s",
                       names[i], report);
        am += vs.messages;
        av += vs.movements;
        ae += vs.events;
    }
    ck_assert_int_eq (am, 4);
    ck_assert_int_eq (av, 1);
    ck_assert_int_eq (ae, 4);

    /* Tampered archives fail: a message body, an event, the last line. */
    char bad[600];
    snprintf (bad, sizeof bad, "%s/tampered.jsonl.gz", s_dir);
    int checked = 0;
    for (int i = 0; i < n; i++) {
        retention_verify_t vs;
        gzFile g = gzopen (names[i], "rb");
        static char buf[1 << 16];
        int len = gzread (g, buf, sizeof buf - 1);
        gzclose (g);
        buf[len > 0 ? len : 0] = 0;
        if (strstr (buf, "\"kind\" : \"movement\"") || strstr (buf, "\"kind\": \"movement\"")) {
            s_tamper (names[i], bad, "\"to_state\": \"EN_ROUTE\"", "\"to_state\": \"ARRIVED\"");
            ck_assert_int_eq (s_verify (bad, report, sizeof report, &vs), SG_ESIG);
            ck_assert_msg (strstr (report, "does not match its hash"), "%s", report);
            checked |= 1;
        }
        if (strstr (buf, "\"kind\" : \"message\"")) {
            /* <Body n="1"/> is PEJvZHkgbj0iMSIvPg== in base64; "2" is Mg */
            if (strstr (buf, "PEJvZHkgbj0iMSIvPg==")) {
                s_tamper (names[i], bad, "PEJvZHkgbj0iMSIvPg==", "PEJvZHkgbj0iMiIvPg==");
                ck_assert_int_eq (s_verify (bad, report, sizeof report, &vs), SG_ESIG);
                ck_assert_msg (strstr (report, "signature does not verify"), "%s", report);
                checked |= 2;
            }
            s_tamper (names[i], bad, "\"kind\": \"end\", \"records\": ",
                      "\"kind\": \"end\", \"records\": 1");
            ck_assert_int_eq (s_verify (bad, report, sizeof report, &vs), SG_ESIG);
            checked |= 4;
        }
    }
    ck_assert_int_eq (checked, 7);
    /* Cut short (the end line gone): fails too. */
    {
        retention_verify_t vs;
        gzFile g = gzopen (names[0], "rb");
        static char buf[1 << 16];
        int len = gzread (g, buf, sizeof buf - 1);
        gzclose (g);
        buf[len] = 0;
        *strstr (buf, "{\"kind\": \"end\"") = 0;
        gzFile w = gzopen (bad, "wb");
        gzwrite (w, buf, (unsigned) strlen (buf));
        gzclose (w);
        ck_assert_int_eq (s_verify (bad, report, sizeof report, &vs), SG_ESIG);
        ck_assert_msg (strstr (report, "cut short"), "%s", report);
    }

    /* A late copy of an archived message is a duplicate: ACKed, not stored,
     * not forwarded again. */
    s_fix_t g;
    store_msg_t again;
    s_msg (&again, &g, 1, S_CLOSED, "hub");
    ck_assert_int_eq (store_accept (st, &again, 1, &d), SG_OK);
    ck_assert_int_eq (again.duplicate, 1);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM message"), 4);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM delivery"), 4);

    /* Past the dedup window the id leaves message_seen (the horizon). */
    ck_assert (s_exec ("UPDATE message_seen SET gone = now() - interval '400 days'"
                       " WHERE id = '00000000-0000-4000-8000-000000000007'"));
    ck_assert_int_eq (retention_run (st, &rc, now - 90 * S_DAY_MS, now - 90 * S_DAY_MS, &res, &d),
                      SG_OK);
    ck_assert_int_eq (res.seen_pruned, 1);
    ck_assert_int_eq (res.messages + res.movements, 0);
    ck_assert_int_eq (s_num ("SELECT count(*) FROM message_seen"), 3);
    store_destroy (&st);
}
END_TEST

int
main (void)
{
    s_conninfo = pgtest_start ();
    pgtest_migrate ("check_retention", s_conninfo);
    snprintf (s_dir, sizeof s_dir, "/tmp/check_retention.XXXXXX");
    if (!mkdtemp (s_dir))
        return EXIT_FAILURE;
    snprintf (s_keys, sizeof s_keys, "%s/keys", s_dir);
    snprintf (s_arch, sizeof s_arch, "%s/archive", s_dir);
    char sk[400], pk[400];
    snprintf (sk, sizeof sk, "%s/CI.sign.key", s_keys);
    snprintf (pk, sizeof pk, "%s/CI.sign.pub", s_keys);
    s_key = sg_sign_key_generate ();
    if (!s_key || mkdir (s_keys, 0700) != 0 || sg_sign_key_write (s_key, sk, pk) != SG_OK)
        return EXIT_FAILURE;

    Suite *s = suite_create ("retention");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_retention);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    char cmd[400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "check_retention: could not remove %s\n", s_dir);
    sg_sign_key_destroy (&s_key);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
