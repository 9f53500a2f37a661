/* check_dispatch.c - unit tests for broker/node/dispatch.c against a real
 * PostgreSQL (tests/pgtest.c): the window, at most one unacknowledged
 * message per MRN per hop, resends with backoff, paging of a backlog
 * through a small memory queue, and the delivery claims that let two
 * dispatchers (two active processes of one node) share one queue: each
 * MRN sent by one of them at a time, in order, every message once; claims
 * of a dispatcher that died taken over after they expire, those of a hop
 * whose link went down at once; an ACK reaching the other process
 * recorded. Each test uses a database of its own. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node/dispatch.h"
#include "node/store_claim.h"
#include "pgtest.h"
#include "node/store.h"
#include "testutil.h"


/* ---- what the dispatchers sent ----------------------------------------- */

#define S_MAX 256

typedef struct {
    int who;                        /* 1 or 2: which dispatcher sent it */
    char id[37];
    char mrn[32];
} s_sent_t;

static s_sent_t s_sent[4 * S_MAX];
static size_t s_nsent;
static int s_refuse;                /* the link takes nothing (SG_ETIMEOUT) */

/* The send function: records (dispatcher, id, MRN) from the header. */
static int
s_send (void *arg, const char *hop, const char *hdr, size_t hlen, const char *body, size_t blen,
        const unsigned char *sig, size_t slen)
{
    (void) hop; (void) body; (void) blen; (void) sig; (void) slen;
    if (s_refuse)
        return SG_ETIMEOUT;
    ck_assert_uint_lt (s_nsent, sizeof s_sent / sizeof s_sent[0]);
    s_sent_t *s = &s_sent[s_nsent++];
    s->who = (int) (intptr_t) arg;
    char h[256];
    snprintf (h, sizeof h, "%.*s", (int) hlen, hdr);
    ck_assert_int_eq (sscanf (h, "Message-Id: %36s\nMrn: %31s", s->id, s->mrn), 2);
    return SG_OK;
}

/* ---- fixtures ---------------------------------------------------------- */

/* A fresh migrated database for one test; returns its open store. */
static store_t *
s_db (const char *name, char **conninfo)
{
    *conninfo = pgtest_createdb (name);
    sg_diag_t d;
    store_t *st = store_new (*conninfo, &d);
    ck_assert_msg (st != NULL, "store_new: %s", d.text);
    ck_assert_msg (store_migrate (st, pgtest_migrations (), NULL, &d) == SG_OK, "migrate: %s", d.text);
    return st;
}

static void
s_id (char out[37], unsigned n)
{
    snprintf (out, 37, "00000000-0000-4000-8000-%012u", n);
}

/* Stores message n of mrn for hop (its header names both). */
static void
s_store (store_t *st, const char *hop, unsigned n, const char *mrn)
{
    char id[37], hdr[160];
    s_id (id, n);
    snprintf (hdr, sizeof hdr, "Message-Id: %s\nMrn: %s\nType: WOF\n", id, mrn);
    store_msg_t m = { .id = id, .type = "WOF", .mrn = mrn, .sender = "CI000101",
                      .recipient = "BF000201", .origin_node = "CI", .header = hdr,
                      .header_len = strlen (hdr), .body = "<x/>", .body_len = 4,
                      .next_hop = hop };
    sg_diag_t d;
    ck_assert_msg (store_accept (st, &m, 1, &d) == SG_OK, "accept: %s", d.text);
}

/* Enqueues message n of mrn for hop straight into d (as the intake does). */
static void
s_enqueue (dispatch_t *d, const char *hop, unsigned n, const char *mrn)
{
    char id[37], hdr[160];
    s_id (id, n);
    snprintf (hdr, sizeof hdr, "Message-Id: %s\nMrn: %s\nType: WOF\n", id, mrn);
    ck_assert_int_eq (dispatch_enqueue (d, hop, id, mrn, 0, 0, hdr, strlen (hdr), "<x/>", 4, NULL,
                                        0), SG_OK);
}


static void
s_ack (dispatch_t *d, const char *hop, const char *id)
{
    const char *ids[1] = { id };
    dispatch_acked (d, hop, ids, 1);
}

static void
s_reset (void)
{
    s_nsent = 0;
    s_refuse = 0;
}

/* ---- one dispatcher ---------------------------------------------------- */

/* The window bounds what is in flight; a second message of an MRN waits
 * for the first one's ACK, while other MRNs pass it. */
START_TEST (test_window_and_mrn)
{
    char *ci;
    store_t *st = s_db ("d_window", &ci);
    s_reset ();
    dispatch_opts_t o = { .window = 3, .resend_ms = 60000, .queue_max = 100, .page_size = 10 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_link (d, "p", 1, 0);
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);     /* caught up: empty queue */
    const char *mrn[6] = { "MA", "MA", "MB", "MA", "MC", "MD" };
    for (unsigned i = 0; i < 6; i++) {
        s_store (st, "p", i + 1, mrn[i]);
        s_enqueue (d, "p", i + 1, mrn[i]);
    }
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    /* MA#1, then MA#2 and MA#4 wait (MRN busy), MB#3, MC#5: window full. */
    ck_assert_uint_eq (s_nsent, 3);
    ck_assert_str_eq (s_sent[0].id + 24, "000000000001");
    ck_assert_str_eq (s_sent[1].id + 24, "000000000003");
    ck_assert_str_eq (s_sent[2].id + 24, "000000000005");
    dispatch_stat_t ds;
    ck_assert_int_eq (dispatch_stat (d, 0, &ds), SG_OK);
    ck_assert_uint_eq (ds.inflight, 3);
    ck_assert_uint_eq (ds.queued, 3);
    /* An ACK for MB frees a slot, but MA is still busy: MD goes. */
    s_ack (d, "p", s_sent[1].id);
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 4);
    ck_assert_str_eq (s_sent[3].id + 24, "000000000006");
    /* The ACK for MA#1 lets MA#2 go (not #4: one at a time). */
    s_ack (d, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 5);
    ck_assert_str_eq (s_sent[4].id + 24, "000000000002");
    /* The database has what was acknowledged. */
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 2);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* A message never acknowledged is resent when due, each wait longer than
 * the last up to the cap, and after max_attempts becomes a dead letter. */
START_TEST (test_backoff)
{
    char *ci;
    store_t *st = s_db ("d_backoff", &ci);
    s_reset ();
    dispatch_opts_t o = { .window = 8, .resend_ms = 100, .backoff_max_ms = 800,
                          .max_attempts = 6, .queue_max = 100, .page_size = 10 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) 1);
    s_store (st, "p", 1, "MA");
    dispatch_link (d, "p", 1, 0);
    int64_t t = 1000000;        /* the dispatcher's clock is the caller's */
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    ck_assert_uint_eq (s_nsent, 1);
    int64_t last = t, prev_gap = 0;
    for (int k = 0; k < 4; k++) {
        int64_t wait = dispatch_next_timer (d, t, 100000);
        for (int i = 0; wait == 0 && i < 3; i++) {     /* the retry count goes to the database */
            ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
            wait = dispatch_next_timer (d, t, 100000);
        }
        ck_assert_int_gt (wait, 0);
        ck_assert_int_eq (dispatch_pump (d, t + wait - 1), SG_OK);     /* not yet */
        ck_assert_uint_eq (s_nsent, (size_t) k + 1);
        t += wait;
        ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
        ck_assert_uint_eq (s_nsent, (size_t) k + 2);
        int64_t gap = t - last;
        ck_assert_int_le (gap, 800);
        if (k > 0 && prev_gap < 800)
            ck_assert_int_gt (gap, prev_gap);
        prev_gap = gap;
        last = t;
    }
    /* Attempts 5 and 6, then a dead letter. */
    for (int k = 0; k < 12; k++) {
        t += dispatch_next_timer (d, t, 100000);
        ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    }
    ck_assert_uint_eq (s_nsent, 6);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'dead'"), 1);
    ck_assert_int_ge (pgtest_num (ci, "SELECT attempts FROM delivery"), 4);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* A backlog larger than memory is paged in: every message sent once, in
 * the order stored, never more than queue_max held. */
START_TEST (test_paging)
{
    char *ci;
    store_t *st = s_db ("d_paging", &ci);
    s_reset ();
    dispatch_opts_t o = { .window = 64, .resend_ms = 60000, .queue_max = 4, .page_size = 3 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) 1);
    for (unsigned i = 1; i <= 25; i++) {
        char mrn[8];
        snprintf (mrn, sizeof mrn, "M%u", i);
        s_store (st, "p", i, mrn);
    }
    dispatch_add_hop (d, "p");
    dispatch_link (d, "p", 1, 0);
    for (int round = 0; round < 100 && s_nsent < 25; round++) {
        size_t before = s_nsent;
        ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
        dispatch_stat_t ds;
        dispatch_stat (d, 0, &ds);
        ck_assert_uint_le (ds.queued + ds.inflight, 4);
        for (size_t k = before; k < s_nsent; k++)
            s_ack (d, "p", s_sent[k].id);
    }
    ck_assert_uint_eq (s_nsent, 25);
    for (unsigned i = 0; i < 25; i++) {
        char want[37];
        s_id (want, i + 1);
        ck_assert_str_eq (s_sent[i].id, want);
    }
    ck_assert_int_eq (dispatch_flush (d), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 25);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* A page may read the rows of a commit before the intake hands its
 * messages over: a message paged, sent and acknowledged in between is not
 * sent again by the handover, nor one refused for good. */
START_TEST (test_handover_after_page)
{
    char *ci;
    store_t *st = s_db ("d_handover", &ci);
    s_reset ();
    dispatch_opts_t o = { .window = 8, .resend_ms = 60000, .queue_max = 100, .page_size = 10 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_link (d, "p", 1, 0);
    /* The commit thread stores 1 and 2; before the main thread hands them
     * over, a page sends them, 1 is acknowledged and 2 refused. */
    dispatch_handover (d, 1);
    s_store (st, "p", 1, "MA");
    s_store (st, "p", 2, "MB");
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 2);
    s_ack (d, "p", s_sent[0].id);
    dispatch_naked (d, "p", s_sent[1].id, 17, "test refusal");
    /* That page caught up: no other page until the hand-over (4, stored
     * meanwhile, waits), then 4 goes by a page, and 1 and 2 not again. */
    s_store (st, "p", 4, "MD");
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 2);
    s_enqueue (d, "p", 1, "MA");
    s_enqueue (d, "p", 2, "MB");
    s_enqueue (d, "p", 4, "MD");
    dispatch_handover (d, -1);
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 3);
    ck_assert_str_eq (s_sent[2].id + 24, "000000000004");
    s_ack (d, "p", s_sent[2].id);
    /* Nothing pending: that page caught up for good, and a later commit's
     * message goes by the hand-over, once. */
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    dispatch_handover (d, 1);
    s_store (st, "p", 3, "MC");
    s_enqueue (d, "p", 3, "MC");
    dispatch_handover (d, -1);
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 4);
    ck_assert_str_eq (s_sent[3].id + 24, "000000000003");
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 2);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* ---- two dispatchers on one database ------------------------------------ */

/* A fresh database (s_db) for two processes: returns the first one's
 * store, the second's in *st2, the conninfo in *ci (free it); the record
 * of what was sent is emptied. */
static store_t *
s_db2 (const char *name, char **ci, store_t **st2)
{
    store_t *st1 = s_db (name, ci);
    sg_diag_t d;
    *st2 = store_new (*ci, &d);
    ck_assert_msg (*st2 != NULL, "store_new: %s", d.text);
    s_reset ();
    return st1;
}

/* Frees what s_db2 and the two processes' dispatchers hold (any may be
 * NULL, already freed). */
static void
s_done2 (dispatch_t **d1, dispatch_t **d2, store_t **st1, store_t **st2, char *ci)
{
    dispatch_destroy (d1);
    dispatch_destroy (d2);
    store_destroy (st1);
    store_destroy (st2);
    free (ci);
}

/* Stores messages 1..n for hop p, message i for MRN "M<(i - 1) % nmrn>". */
static void
s_store_spread (store_t *st, unsigned n, unsigned nmrn)
{
    for (unsigned i = 1; i <= n; i++) {
        char mrn[16];
        snprintf (mrn, sizeof mrn, "M%u", (i - 1) % nmrn);
        s_store (st, "p", i, mrn);
    }
}

/* Pumps d n times, each SG_OK. */
static void
s_pump (dispatch_t *d, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
}

/* Pumps d (every 5 ms, 10 s at most) until n messages were sent in all. */
static void
s_pump_until (dispatch_t *d, size_t n)
{
    int64_t until = sg_clock_ms () + 10000;
    while (s_nsent < n && sg_clock_ms () < until) {
        ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
        usleep (5000);
    }
    ck_assert_uint_eq (s_nsent, n);
}

static dispatch_t *
s_claimer (store_t *st, const char *holder, int who, int64_t ttl)
{
    dispatch_opts_t o = { .window = 64, .resend_ms = 60000, .queue_max = 1000, .page_size = 50,
                          .claim_holder = holder, .claim_ttl_ms = ttl, .claim_poll_ms = 10 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) (intptr_t) who);
    ck_assert_ptr_nonnull (d);
    dispatch_add_hop (d, "p");
    dispatch_link (d, "p", 1, 0);
    return d;
}

/* Checks the rules over everything sent so far: per MRN the ids come in
 * the order stored (n = mrn_index + k * nmrn), each at most once. */
static void
s_check_order (size_t nmrn)
{
    unsigned last[64] = { 0 };
    for (size_t i = 0; i < s_nsent; i++) {
        unsigned n = (unsigned) strtoul (s_sent[i].id + 24, NULL, 10);
        unsigned m = (n - 1) % (unsigned) nmrn;
        ck_assert_msg (n > last[m], "MRN %s: %u sent after %u", s_sent[i].mrn, n, last[m]);
        last[m] = n;
    }
}

/* Both dispatchers active on one queue: every message sent exactly once
 * (no process sends an MRN another holds), per MRN in order, never two of
 * one MRN unacknowledged across both. */
START_TEST (test_claims_shared)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_shared", &ci, &st2);
    enum { NMRN = 8, PER = 6, N = NMRN * PER };
    s_store_spread (st1, N, NMRN);
    dispatch_t *d[2] = { s_claimer (st1, "h:1", 1, 10000), s_claimer (st2, "h:2", 2, 10000) };
    size_t acked = 0;
    char busy[NMRN][37];        /* the unacknowledged message of each MRN, across both */
    memset (busy, 0, sizeof busy);
    int64_t until = sg_clock_ms () + 20000;
    while (acked < N && sg_clock_ms () < until) {
        for (int k = 0; k < 2; k++) {
            size_t before = s_nsent;
            ck_assert_int_eq (dispatch_pump (d[k], sg_clock_ms ()), SG_OK);
            for (size_t j = before; j < s_nsent; j++) {
                unsigned m = (unsigned) atoi (s_sent[j].mrn + 1);
                ck_assert_msg (!busy[m][0], "MRN %s: %s sent while %s unacknowledged",
                               s_sent[j].mrn, s_sent[j].id, busy[m]);
                memcpy (busy[m], s_sent[j].id, 37);
            }
        }
        /* The receiver acknowledges everything in flight, to the sender. */
        for (unsigned m = 0; m < NMRN; m++)
            if (busy[m][0]) {
                int who = 0;
                for (size_t j = 0; j < s_nsent; j++)
                    if (strcmp (s_sent[j].id, busy[m]) == 0)
                        who = s_sent[j].who;
                s_ack (d[who - 1], "p", busy[m]);
                busy[m][0] = '\0';
                acked++;
            }
        usleep (2000);
    }
    ck_assert_uint_eq (acked, N);
    ck_assert_uint_eq (s_nsent, N);     /* nothing twice */
    s_check_order (NMRN);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq (dispatch_flush (d[k]), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), N);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery_claim WHERE expires > now()"),
                      0);       /* given up at the stop */
    s_done2 (&d[0], &d[1], &st1, &st2, ci);
}
END_TEST

/* A dispatcher dies holding claims with messages in flight: the other
 * sends none of those MRNs while the claims last, then takes them over and
 * sends each MRN from its oldest undelivered message on. */
START_TEST (test_claims_takeover)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_takeover", &ci, &st2);
    enum { NMRN = 4, PER = 3, N = NMRN * PER };
    s_store_spread (st1, N, NMRN);
    dispatch_t *d1 = s_claimer (st1, "h:1", 1, 1500);
    ck_assert_int_eq (dispatch_pump (d1, sg_clock_ms ()), SG_OK);     /* renews, no page yet */
    ck_assert_int_eq (dispatch_pump (d1, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, NMRN);          /* the first of each MRN, no ACK */
    /* d1 dies: no flush, its claims stay until they expire. */
    dispatch_destroy (&d1);
    store_destroy (&st1);
    dispatch_t *d2 = s_claimer (st2, "h:2", 2, 1500);
    ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
    ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, NMRN);          /* all claimed by the dead one */
    /* After expiry d2 takes over: first the messages d1 had in flight. */
    int64_t until = sg_clock_ms () + 20000;
    size_t acked = 0;
    while (acked < N && sg_clock_ms () < until) {
        size_t before = s_nsent;
        ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
        for (size_t j = before; j < s_nsent; j++) {
            ck_assert_int_eq (s_sent[j].who, 2);
            s_ack (d2, "p", s_sent[j].id);
            acked++;
        }
        usleep (5000);
    }
    ck_assert_uint_eq (acked, N);
    /* Per MRN, d2 started again from d1's unacknowledged one: order kept. */
    unsigned last[NMRN] = { 0 };
    for (size_t j = NMRN; j < s_nsent; j++) {
        unsigned n = (unsigned) strtoul (s_sent[j].id + 24, NULL, 10), m = (n - 1) % NMRN;
        ck_assert_uint_gt (n, last[m]);
        if (!last[m])
            ck_assert_uint_eq (n, m + 1);       /* the one d1 had in flight */
        last[m] = n;
    }
    ck_assert_int_eq (dispatch_flush (d2), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state <> 'done'"), 0);
    s_done2 (NULL, &d2, NULL, &st2, ci);
}
END_TEST

/* A link going down at one process gives its claims up at once (the
 * other, where the hop is connected, takes them without waiting for
 * expiry); an ACK reaching the process that did not send is recorded;
 * enqueued messages of an MRN claimed elsewhere are not sent. */
START_TEST (test_claims_link_down)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_linkdown", &ci, &st2);
    s_store (st1, "p", 1, "MA");
    s_store (st1, "p", 2, "MA");
    dispatch_t *d1 = s_claimer (st1, "h:1", 1, 600000);    /* only a release frees them */
    dispatch_t *d2 = s_claimer (st2, "h:2", 2, 600000);
    dispatch_link (d2, "p", 0, 0);
    s_pump (d1, 3);
    ck_assert_uint_eq (s_nsent, 1);
    ck_assert_int_eq (s_sent[0].who, 1);
    /* d2 (not connected to p) never sends; a new MA message stored and
     * enqueued there is not sent by it. */
    s_store (st2, "p", 3, "MA");
    s_enqueue (d2, "p", 3, "MA");
    ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 1);
    /* p connects to d2 instead; d1 loses it. */
    dispatch_link (d2, "p", 1, 0);
    s_pump (d2, 3);
    ck_assert_uint_eq (s_nsent, 1);             /* MA is d1's */
    dispatch_link (d1, "p", 0, 0);
    ck_assert_int_eq (dispatch_pump (d1, sg_clock_ms ()), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery_claim"
                                      " WHERE holder = 'h:1' AND expires > now()"), 0);
    s_pump_until (d2, 2);
    ck_assert_int_eq (s_sent[1].who, 2);
    ck_assert_str_eq (s_sent[1].id, s_sent[0].id);      /* d1's unacknowledged one again */
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery_claim WHERE holder = 'h:1'"), 0);
    /* The ACK of d1's first copy reaches d1 late: recorded all the same. */
    s_ack (d1, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d1, sg_clock_ms ()), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 1);
    s_done2 (&d1, &d2, &st1, &st2, ci);
}
END_TEST

/* When nearly every message has an MRN of its own, the claims of the
 * delivered ones are given up as soon as 1,024 of a hop are idle, without
 * waiting for a renewal (none comes here: ttl 10 min): renewals then stay
 * small. Below that they wait for the renewal, as before. */
START_TEST (test_claims_idle_release)
{
    char *ci;
    store_t *st = s_db ("d_idle", &ci);
    s_reset ();
    dispatch_opts_t o = { .window = 200, .resend_ms = 60000, .queue_max = 4000, .page_size = 500,
                          .claim_holder = "h:1", .claim_ttl_ms = 600000, .claim_poll_ms = 10 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) (intptr_t) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_add_hop (d, "p");
    dispatch_link (d, "p", 1, 0);
    unsigned acked = 0;
    const unsigned upto[2] = { 1000, 1100 };
    const int claims_left[2] = { 1000, 0 };
    for (int part = 0; part < 2; part++) {
        for (unsigned i = acked + 1; i <= upto[part]; i++) {
            char mrn[16];
            snprintf (mrn, sizeof mrn, "M%u", i);
            s_store (st, "p", i, mrn);
            s_enqueue (d, "p", i, mrn);
        }
        int64_t until = sg_clock_ms () + 30000;
        while (acked < upto[part] && sg_clock_ms () < until) {
            ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
            for (size_t k = 0; k < s_nsent; k++)
                s_ack (d, "p", s_sent[k].id);
            acked += (unsigned) s_nsent;
            s_nsent = 0;
        }
        ck_assert_uint_eq (acked, upto[part]);
        ck_assert_int_eq (dispatch_pump (d, sg_clock_ms ()), SG_OK);
        ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"),
                          (int) upto[part]);
        ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery_claim"),
                          claims_left[part]);
    }
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* A claim used since the last renewal survives the renewal (an MRN that
 * comes back every few seconds is not claimed again each time, a commit
 * on the loop thread); one idle for a whole period is given up at the
 * next. The clock is the pumps' now; the database's expiry is real. */
START_TEST (test_claims_second_chance)
{
    char *ci;
    store_t *st = s_db ("d_chance", &ci);
    s_reset ();
    dispatch_opts_t o = { .window = 10, .resend_ms = 60000, .queue_max = 100, .page_size = 50,
                          .claim_holder = "h:1", .claim_ttl_ms = 600000, .claim_poll_ms = 10 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) (intptr_t) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_add_hop (d, "p");
    dispatch_link (d, "p", 1, 0);
    int64_t t = sg_clock_ms ();
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);         /* the first renewal */
    s_store (st, "p", 1, "MA");
    s_enqueue (d, "p", 1, "MA");
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    ck_assert_uint_eq (s_nsent, 1);
    s_ack (d, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);         /* delivered: MA idle */
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 1);
    const char *held = "SELECT count(*) FROM delivery_claim WHERE mrn = 'MA' AND holder = 'h:1'";
    ck_assert_int_eq (pgtest_num (ci, held), 1);
    t += o.claim_ttl_ms / 3 + 1;
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);         /* used since the last: kept */
    ck_assert_int_eq (pgtest_num (ci, held), 1);
    t += o.claim_ttl_ms / 3 + 1;
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);         /* idle a whole period: gone */
    ck_assert_int_eq (pgtest_num (ci, held), 0);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

static int s_gone;                  /* s_send_gone: the connection is gone */

static int
s_send_gone (void *arg, const char *hop, const char *hdr, size_t hlen, const char *body,
             size_t blen, const unsigned char *sig, size_t slen)
{
    return s_gone ? SG_ENOTFOUND : s_send (arg, hop, hdr, hlen, body, blen, sig, slen);
}

/* Another process of the node reported itself running (not alone). */
static void
s_not_alone (const char *ci)
{
    ck_assert_int_eq (pgtest_num (ci, "WITH x AS (INSERT INTO node_status (instance, name, host,"
                                      " pid, started, state) VALUES ('h:9', 'CI', 'h', 9, now(),"
                                      " 'running') RETURNING 1) SELECT count(*) FROM x"), 1);
}

/* Message n of mrn stored and handed to d, as the intake does, then a pump at t. */
static void
s_accept (store_t *st, dispatch_t *d, int64_t t, unsigned n, const char *mrn)
{
    s_store (st, "p", n, mrn);
    s_enqueue (d, "p", n, mrn);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
}

/* Exactly k + 1 messages were sent, the last message n. */
static void
s_expect (size_t k, unsigned n)
{
    char want[37];
    s_id (want, n);
    ck_assert_uint_eq (s_nsent, k + 1);
    ck_assert_str_eq (s_sent[k].id, want);
}

/* Sets the state of message n's delivery row (tests that stand for a
 * commit not visible yet). */
static void
s_state (const char *ci, unsigned n, const char *state)
{
    char id[37], q[200];
    s_id (id, n);
    snprintf (q, sizeof q, "WITH x AS (UPDATE delivery SET state = '%s' WHERE message_id ="
              " '%s' RETURNING 1) SELECT count(*) FROM x", state, id);
    ck_assert_int_eq (pgtest_num (ci, q), 1);
}

/* Message 1 in flight: ACKing each in turn sends 2, 3, ... last, in order. */
static void
s_expect_in_order (dispatch_t *d, int64_t t, unsigned last)
{
    for (unsigned n = 2; n <= last; n++) {
        s_ack (d, "p", s_sent[n - 2].id);
        ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
        s_expect (n - 1, n);
    }
}

/* Process h:1 of the node, hop p up, with another process at work and no
 * periodic page: pumped once at t (renewal, first page: caught up). */
static dispatch_t *
s_beside (store_t *st, const char *ci, int64_t t)
{
    s_not_alone (ci);
    dispatch_opts_t o = { .window = 10, .resend_ms = 60000, .queue_max = 100, .page_size = 50,
                          .claim_holder = "h:1", .claim_ttl_ms = 600000,
                          .claim_poll_ms = 600000 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) (intptr_t) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_add_hop (d, "p");
    dispatch_link (d, "p", 1, 0);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    return d;
}

/* A process died between committing message 1 of MA and claiming MA:
 * nobody sends it. Message 2 of MA, stored here and held until MA is
 * claimed, must not overtake it: the hop reads its queue from the start. */
START_TEST (test_claims_orphan)
{
    char *ci;
    store_t *st = s_db ("d_orphan", &ci);
    s_reset ();
    int64_t t = sg_clock_ms ();
    dispatch_t *d = s_beside (st, ci, t);
    ck_assert_uint_eq (s_nsent, 0);
    s_store (st, "p", 1, "MA");                         /* the dead process's */
    s_store (st, "p", 2, "MA");
    s_enqueue (d, "p", 2, "MA");
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect (0, 1);
    s_ack (d, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect (1, 2);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* This process holds MA and sends its messages. Another process stored
 * message 2 of MA (its sender then moved here) and died before its holder
 * read it; message 3, stored here, must not overtake it. */
START_TEST (test_claims_holder_order)
{
    char *ci;
    store_t *st = s_db ("d_holder_order", &ci);
    s_reset ();
    int64_t t = sg_clock_ms ();
    dispatch_t *d = s_beside (st, ci, t);
    s_accept (st, d, t, 1, "MA");                       /* MA claimed here, message 1 sent */
    ck_assert_uint_eq (s_nsent, 1);
    s_ack (d, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_store (st, "p", 2, "MA");                         /* the other process's */
    s_store (st, "p", 3, "MA");
    s_enqueue (d, "p", 3, "MA");
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect (1, 2);
    s_ack (d, "p", s_sent[1].id);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect (2, 3);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* Message 2 of MA commits late (another process's): message 3 was
 * already queued here when message 4 finds 2 missing. The queue is read
 * again from the start with 3 put back, so 2 goes before it. */
START_TEST (test_claims_late_row_requeue)
{
    char *ci;
    store_t *st = s_db ("d_requeue", &ci);
    s_reset ();
    int64_t t = sg_clock_ms ();
    dispatch_t *d = s_beside (st, ci, t);
    s_accept (st, d, t, 1, "MA");
    s_expect (0, 1);                                    /* in flight */
    s_store (st, "p", 2, "MA");
    s_state (ci, 2, "dead");                            /* "not committed yet": hidden */
    s_accept (st, d, t, 3, "MA");                       /* 3 queued behind 1 */
    s_state (ci, 2, "pending");                         /* committed now */
    s_accept (st, d, t, 4, "MA");                       /* 2 is missing: read again */
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect_in_order (d, t, 4);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* Message 2 of MA, stored by another process, commits after a page here
 * read past it; message 3 of MA, stored there too, was found by a page.
 * The next page to reach the end of the queue, with message 4, finds 2
 * missing: the queue is read again, 3 put back, and 2 goes first. */
START_TEST (test_claims_late_row_paged)
{
    char *ci;
    store_t *st = s_db ("d_late_paged", &ci);
    s_reset ();
    s_not_alone (ci);
    dispatch_opts_t o = { .window = 10, .resend_ms = 60000, .queue_max = 100, .page_size = 50,
                          .claim_holder = "h:1", .claim_ttl_ms = 600000,
                          .claim_poll_ms = 1000 };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) (intptr_t) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_link (d, "p", 1, 0);
    int64_t t = sg_clock_ms ();
    s_store (st, "p", 1, "MA");
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect (0, 1);                                    /* paged, claimed, in flight */
    s_store (st, "p", 2, "MA");
    s_state (ci, 2, "dead");                            /* "not committed yet": hidden */
    s_store (st, "p", 3, "MA");
    t += 1001;
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);     /* 3 paged, queued behind 1 */
    s_state (ci, 2, "pending");                         /* committed now */
    s_store (st, "p", 4, "MA");
    t += 1001;
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);     /* 2 is missing: read again */
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect_in_order (d, t, 4);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* A page read past message 1 of MA before this process's commit of it
 * was visible (another process's later row committed first), and the hop
 * was still paging when it was handed over: the next page starts before
 * it, instead of leaving it to the next full read. */
START_TEST (test_claims_handover_behind)
{
    char *ci;
    store_t *st = s_db ("d_behind", &ci);
    s_reset ();
    int64_t t = sg_clock_ms ();
    dispatch_t *d = s_beside (st, ci, t);
    /* Stands for "not visible yet": a claim of MA elsewhere keeps the page
     * from taking row 1 as it reads past it to row 2. */
    ck_assert_int_eq (pgtest_num (ci, "WITH x AS (INSERT INTO delivery_claim (next_hop, mrn,"
                                      " holder, expires) VALUES ('p', 'MA', 'h:2', now() +"
                                      " interval '1 hour') RETURNING 1) SELECT count(*) FROM x"),
                      1);
    s_store (st, "p", 1, "MA");
    s_store (st, "p", 2, "MB");
    dispatch_rescan (d);
    dispatch_handover (d, 1);                           /* this commit is being handed over */
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    ck_assert_uint_eq (s_nsent, 1);                     /* MB's */
    ck_assert_int_eq (pgtest_num (ci, "WITH x AS (DELETE FROM delivery_claim WHERE holder ="
                                      " 'h:2' RETURNING 1) SELECT count(*) FROM x"), 1);
    char id[37], hdr[160];
    s_id (id, 1);
    snprintf (hdr, sizeof hdr, "Message-Id: %s\nMrn: MA\nType: WOF\n", id);
    char q[200];
    snprintf (q, sizeof q, "SELECT seq FROM delivery WHERE message_id = '%s'", id);
    long long seq = pgtest_num (ci, q);
    ck_assert_int_eq (dispatch_enqueue (d, "p", id, "MA", seq, 0, hdr, strlen (hdr), "<x/>", 4,
                                        NULL, 0), SG_OK);
    dispatch_handover (d, -1);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    s_expect (1, 1);
    dispatch_destroy (&d);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* An adapter's connection found gone on sending (no link-down from the
 * node) gives the hop's claims up like a link that went down: the process
 * where the adapter reconnects sends its messages. */
START_TEST (test_claims_connection_gone)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_gone", &ci, &st2);
    s_not_alone (ci);
    s_gone = 0;
    s_store (st1, "p", 1, "MA");
    s_store (st1, "p", 2, "MA");
    dispatch_opts_t o = { .window = 64, .resend_ms = 60000, .queue_max = 1000, .page_size = 50,
                          .claim_holder = "h:1", .claim_ttl_ms = 600000, .claim_poll_ms = 10 };
    dispatch_t *d1 = dispatch_new (st1, &o, s_send_gone, (void *) (intptr_t) 1);
    ck_assert_ptr_nonnull (d1);
    dispatch_link (d1, "p", 1, 0);
    s_pump (d1, 3);
    ck_assert_uint_eq (s_nsent, 1);
    s_gone = 1;
    dispatch_link (d1, "p", 1, 0);      /* resend now: the connection is gone */
    s_pump (d1, 2);
    s_gone = 0;
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery_claim"
                                      " WHERE holder = 'h:1' AND expires > now()"), 0);
    dispatch_t *d2 = s_claimer (st2, "h:2", 2, 600000);
    s_pump_until (d2, 2);
    ck_assert_int_eq (s_sent[1].who, 2);
    ck_assert_str_eq (s_sent[1].id, s_sent[0].id);
    s_done2 (&d1, &d2, &st1, &st2, ci);
}
END_TEST

/* A message committed here but not handed over yet, which the process
 * holding its MRN sent from the database meanwhile (and then gave the
 * claim up): the hand-over wins the claim but does not send it again. */
START_TEST (test_claims_held_delivered)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_held", &ci, &st2);
    s_not_alone (ci);
    dispatch_t *d2 = s_claimer (st2, "h:2", 2, 600000);
    dispatch_t *d1 = s_claimer (st1, "h:1", 1, 600000);
    s_pump (d1, 2);
    dispatch_handover (d1, 1);          /* d1's commit of MX, not handed over yet */
    s_store (st1, "p", 1, "MX");
    s_pump_until (d2, 1);
    ck_assert_int_eq (s_sent[0].who, 2);
    s_ack (d2, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
    sg_diag_t d;                        /* d2 gives MX up (as an idle release would) */
    ck_assert_int_eq (store_claim_release (st2, "h:2", "p", (const char *[]) { "MX" }, 1, &d),
                      SG_OK);
    s_enqueue (d1, "p", 1, "MX");
    dispatch_handover (d1, -1);
    s_pump (d1, 3);
    ck_assert_uint_eq (s_nsent, 1);     /* not sent again */
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 1);
    s_done2 (&d1, &d2, &st1, &st2, ci);
}
END_TEST

/* An ACK that arrives after the link went down (still on the socket) is
 * recorded: the hop's claims are given up before its ACKs are written. */
START_TEST (test_claims_ack_after_down)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_ackdown", &ci, &st2);
    s_store (st1, "p", 1, "MA");
    dispatch_t *d1 = s_claimer (st1, "h:1", 1, 600000);
    s_pump (d1, 3);
    ck_assert_uint_eq (s_nsent, 1);
    dispatch_link (d1, "p", 0, 0);
    s_ack (d1, "p", s_sent[0].id);
    s_pump (d1, 2);
    ck_assert_int_eq (pgtest_num (ci, "SELECT count(*) FROM delivery WHERE state = 'done'"), 1);
    s_done2 (&d1, NULL, &st1, &st2, ci);
}
END_TEST

/* A process is alone (no periodic read of its queues) only while no other
 * process of the node holds a claim or reported itself running lately. */
START_TEST (test_claims_alone)
{
    char *ci;
    store_t *st = s_db ("d_alone", &ci);
    sg_diag_t d;
    int alone = -1;
    ck_assert_int_eq (store_claim_alone (st, "h:1", 600, &alone, &d), SG_OK);
    ck_assert_int_eq (alone, 1);
    ck_assert_int_eq (store_claim_mrns (st, "p", "h:2", 600, (const char *[]) { "MX" }, 1,
                                        (unsigned char[1]) { 0 }, &d), SG_OK);
    ck_assert_int_eq (store_claim_alone (st, "h:1", 600, &alone, &d), SG_OK);
    ck_assert_int_eq (alone, 0);        /* h:2 holds a claim */
    ck_assert_int_eq (store_claim_alone (st, "h:2", 600, &alone, &d), SG_OK);
    ck_assert_int_eq (alone, 1);        /* its own claims do not count */
    ck_assert_int_eq (store_claim_expire (st, "h:2", NULL, &d), SG_OK);
    ck_assert_int_eq (pgtest_num (ci, "WITH x AS (DELETE FROM delivery_claim RETURNING 1)"
                                      " SELECT count(*) FROM x"), 1);
    ck_assert_int_eq (pgtest_num (ci, "WITH x AS (INSERT INTO node_status (instance, name,"
                                      " host, pid, started, state) VALUES ('h:3', 'CI', 'h', 3,"
                                      " now(), 'running') RETURNING 1) SELECT count(*) FROM x"), 1);
    ck_assert_int_eq (store_claim_alone (st, "h:1", 600, &alone, &d), SG_OK);
    ck_assert_int_eq (alone, 0);        /* h:3 reported itself running */
    ck_assert_int_eq (pgtest_num (ci, "WITH x AS (UPDATE node_status SET updated = now() -"
                                      " interval '1 hour' RETURNING 1) SELECT count(*) FROM x"), 1);
    ck_assert_int_eq (store_claim_alone (st, "h:1", 600, &alone, &d), SG_OK);
    ck_assert_int_eq (alone, 1);        /* ...but not lately: dead */
    store_destroy (&st);
    free (ci);
}
END_TEST

/* Runs sql on c, which must succeed. */
static void
s_pq (PGconn *c, const char *sql)
{
    PGresult *r = PQexec (c, sql);
    ck_assert_msg (PQresultStatus (r) == PGRES_COMMAND_OK || PQresultStatus (r) == PGRES_TUPLES_OK,
                   "%s: %s", sql, PQerrorMessage (c));
    PQclear (r);
}

/* The claims' renewal goes out on a connection of its own and the
 * dispatcher does not wait for it: while it waits (here for another
 * session's lock on a claim), messages of MRNs held go on being sent under
 * the claims still valid; a new MRN waits for the renewal's end, and the
 * claims are renewed once the lock goes. With the renewal waited for, the
 * first pump under the lock would never return. */
START_TEST (test_claims_renew_async)
{
    char *ci;
    store_t *st = s_db ("d_renew", &ci);
    sg_diag_t dg;
    store_t *keeper = store_new (ci, &dg);
    ck_assert_msg (keeper != NULL, "store_new: %s", dg.text);
    s_reset ();
    dispatch_opts_t o = { .window = 10, .resend_ms = 60000, .queue_max = 100, .page_size = 50,
                          .claim_holder = "h:1", .claim_ttl_ms = 600000, .claim_poll_ms = 10,
                          .claim_store = keeper };
    dispatch_t *d = dispatch_new (st, &o, s_send, (void *) (intptr_t) 1);
    ck_assert_ptr_nonnull (d);
    dispatch_add_hop (d, "p");
    dispatch_link (d, "p", 1, 0);
    int64_t t = sg_clock_ms ();
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);     /* the first renewal: waited for */
    s_accept (st, d, t, 1, "MA");
    ck_assert_uint_eq (s_nsent, 1);
    s_ack (d, "p", s_sent[0].id);
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
    const char *expires = "SELECT (extract (epoch FROM expires) * 1000000)::int8"
                          " FROM delivery_claim WHERE mrn = 'MA'";
    long long before = pgtest_num (ci, expires);
    PGconn *lock = PQconnectdb (ci);
    ck_assert_int_eq (PQstatus (lock), CONNECTION_OK);
    s_pq (lock, "BEGIN");
    s_pq (lock, "SELECT 1 FROM delivery_claim WHERE mrn = 'MA' FOR UPDATE");
    t += o.claim_ttl_ms / 3 + 1;
    ck_assert_int_eq (dispatch_pump (d, t), SG_OK);     /* the renewal goes out */
    ck_assert_int_le (dispatch_next_timer (d, t, 1000), 1);
    s_accept (st, d, t, 2, "MA");                       /* MA is held: sent at once */
    s_accept (st, d, t, 3, "MB");                       /* MB: claimed after the renewal */
    ck_assert_uint_eq (s_nsent, 2);
    ck_assert_str_eq (s_sent[1].mrn, "MA");
    ck_assert_int_eq (pgtest_num (ci, expires), before);
    s_pq (lock, "ROLLBACK");
    PQfinish (lock);
    int64_t until = sg_clock_ms () + 10000;
    while (s_nsent < 3 && sg_clock_ms () < until) {
        ck_assert_int_eq (dispatch_pump (d, t), SG_OK);
        usleep (2000);
    }
    ck_assert_uint_eq (s_nsent, 3);
    ck_assert_str_eq (s_sent[2].mrn, "MB");
    ck_assert_int_gt (pgtest_num (ci, expires), before);
    dispatch_destroy (&d);
    store_destroy (&keeper);
    store_destroy (&st);
    free (ci);
}
END_TEST

/* A message stored by one process for an MRN another holds, committed
 * after a newer row had moved the holder's cursor past it (a slow
 * transaction): the process that stored it cannot claim it and asks the
 * holder to read again, so it is sent, after the one before it. */
START_TEST (test_claims_late_commit)
{
    char *ci;
    store_t *st2, *st1 = s_db2 ("d_late", &ci, &st2);
    s_store (st1, "p", 1, "MA");
    dispatch_t *d1 = s_claimer (st1, "h:1", 1, 600);       /* renews every 200 ms */
    s_pump (d1, 3);
    ck_assert_uint_eq (s_nsent, 1);                         /* MA#1 from d1, in flight */
    dispatch_t *d2 = s_claimer (st2, "h:2", 2, 600000);
    s_pump (d2, 2);                     /* d2 has read its queue */
    ck_assert_uint_eq (s_nsent, 1);
    /* MA#2 is inserted (its seq drawn) in a transaction left open... */
    PGconn *slow = PQconnectdb (ci);
    ck_assert_int_eq (PQstatus (slow), CONNECTION_OK);
    /* d2's process reports itself running (nodestat.c does so every
     * status_interval): d1 is not alone, it reads its queue every poll. */
    PGresult *r = PQexec (slow, "INSERT INTO node_status (instance, name, host, pid, started,"
                          " state) VALUES ('h:2', 'CI', 'h', 2, now(), 'running')");
    ck_assert_msg (PQresultStatus (r) == PGRES_COMMAND_OK, "%s", PQerrorMessage (slow));
    PQclear (r);
    char id[37], sql[600];
    s_id (id, 2);
    snprintf (sql, sizeof sql,
              "BEGIN; INSERT INTO message (id, type, mrn, sender, recipient, origin_node, header,"
              " body) VALUES ('%s', 'WOF', 'MA', 'CI000101', 'BF000201', 'CI',"
              " convert_to ('Message-Id: %s' || chr(10) || 'Mrn: MA' || chr(10), 'UTF8'),"
              " '<x/>'); INSERT INTO delivery (message_id, next_hop) VALUES ('%s', 'p')",
              id, id, id);
    r = PQexec (slow, sql);
    ck_assert_msg (PQresultStatus (r) == PGRES_COMMAND_OK, "%s", PQerrorMessage (slow));
    PQclear (r);
    /* ...while a newer row commits and d1's page moves past both. */
    s_store (st2, "p", 3, "MB");
    int64_t until = sg_clock_ms () + 10000;
    while (s_nsent < 2 && sg_clock_ms () < until) {
        ck_assert_int_eq (dispatch_pump (d1, sg_clock_ms ()), SG_OK);
        usleep (5000);
    }
    ck_assert_uint_eq (s_nsent, 2);
    ck_assert_str_eq (s_sent[1].mrn, "MB");
    r = PQexec (slow, "COMMIT");
    ck_assert_int_eq (PQresultStatus (r), PGRES_COMMAND_OK);
    PQclear (r);
    PQfinish (slow);
    /* d2 (where it was "stored") cannot claim MA: d1 holds it. */
    s_enqueue (d2, "p", 2, "MA");
    ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
    ck_assert_uint_eq (s_nsent, 2);
    /* MA#1 acknowledged: d1 sends MA#2 (its cursor alone would never
     * come back to it). */
    s_ack (d1, "p", s_sent[0].id);
    until = sg_clock_ms () + 10000;
    while (s_nsent < 3 && sg_clock_ms () < until) {
        ck_assert_int_eq (dispatch_pump (d1, sg_clock_ms ()), SG_OK);
        ck_assert_int_eq (dispatch_pump (d2, sg_clock_ms ()), SG_OK);
        usleep (5000);
    }
    ck_assert_uint_eq (s_nsent, 3);
    ck_assert_int_eq (s_sent[2].who, 1);
    ck_assert_str_eq (s_sent[2].id, id);
    s_done2 (&d1, &d2, &st1, &st2, ci);
}
END_TEST

int
main (void)
{
    pgtest_start ();
    Suite *s = suite_create ("dispatch");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_window_and_mrn);
    tcase_add_test (tc, test_backoff);
    tcase_add_test (tc, test_paging);
    tcase_add_test (tc, test_handover_after_page);
    tcase_add_test (tc, test_claims_shared);
    tcase_add_test (tc, test_claims_takeover);
    tcase_add_test (tc, test_claims_link_down);
    tcase_add_test (tc, test_claims_late_commit);
    tcase_add_test (tc, test_claims_alone);
    tcase_add_test (tc, test_claims_idle_release);
    tcase_add_test (tc, test_claims_second_chance);
    tcase_add_test (tc, test_claims_orphan);
    tcase_add_test (tc, test_claims_holder_order);
    tcase_add_test (tc, test_claims_handover_behind);
    tcase_add_test (tc, test_claims_late_row_requeue);
    tcase_add_test (tc, test_claims_late_row_paged);
    tcase_add_test (tc, test_claims_connection_gone);
    tcase_add_test (tc, test_claims_held_delivered);
    tcase_add_test (tc, test_claims_ack_after_down);
    tcase_add_test (tc, test_claims_renew_async);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
