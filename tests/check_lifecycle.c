/* check_lifecycle.c - unit tests of the movement lifecycle: the transition
 * table (every state of each view reached, refusals with 90/92, follow
 * views never refuse, conditions, timers), the event hash chain, and,
 * against a real PostgreSQL (tests/pgtest.c), lifecycle_commit applying a
 * batch (fan-out, refusal, repeats within a batch and of stored messages)
 * and `sigmatctl movement verify` naming the event whose row was tampered
 * with. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/lifecycle.h"
#include "lifecycle/tracker.h"
#include "msg.h"
#include "pgtest.h"
#include "node/routes.h"
#include "sign.h"
#include "node/store.h"
#include "xmlsafe.h"
#include "testutil.h"

static const char *s_conninfo;

/* One step of `role` on `side` from `from` for message type t. */
static lc_step_t
s_step (lc_role_t role, lc_side_t side, lc_state_t from, int t, const char *code,
        const char *sender)
{
    static const char *crossed[] = { "BF000201" };
    lc_fact_t f = { .type = t, .sender = sender ? sender : "BF000101",
                    .recipient = "CI000101", .code = code ? code : "", .office = "",
                    .destination = "BF000101", .crossed = crossed, .n_crossed = 1,
                    .view_office = side == LC_SENDER ? "CI000101" : "BF000101" };
    lc_step_t st;
    lc_step (role, side, from, &f, &st);
    return st;
}

START_TEST (test_departure_path)
{
    struct { lc_side_t side; int type; const char *code, *sender; lc_state_t to; } path[] = {
        { LC_SENDER, SG_MSG_DEC, NULL, "CI000101", LC_REGISTERED },
        { LC_SENDER, SG_MSG_REL, NULL, "CI000101", LC_RELEASED },
        { LC_RECIPIENT, SG_MSG_NCF, NULL, "CI000401", LC_EN_ROUTE },
        { LC_RECIPIENT, SG_MSG_NCF, NULL, "BF000101", LC_EN_ROUTE },
        { LC_RECIPIENT, SG_MSG_ARR, NULL, "BF000101", LC_ARRIVED },
        { LC_RECIPIENT, SG_MSG_DCR, "A1", "BF000101", LC_CONTROLLED },
        { LC_SENDER, SG_MSG_WOF, NULL, "CI000101", LC_DISCHARGED },
    };
    lc_state_t s = LC_NONE;
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        lc_step_t st = s_step (LC_DEPARTURE, path[i].side, s, path[i].type, path[i].code,
                               path[i].sender);
        ck_assert_msg (st.relevant && st.nak == 0, "step %zu refused: %s", i, st.reason);
        ck_assert_str_eq (lc_state_name (st.to), lc_state_name (path[i].to));
        ck_assert_int_eq (st.event, 1);
        s = st.to;
    }
    /* REL fans out; a conform DCR asks for the WOF; B1 goes to DISCREPANCY */
    ck_assert (s_step (LC_DEPARTURE, LC_SENDER, LC_REGISTERED, SG_MSG_REL, NULL, NULL).actions
               & LC_ACT_FANOUT);
    ck_assert (s_step (LC_DEPARTURE, LC_RECIPIENT, LC_ARRIVED, SG_MSG_DCR, "A2", NULL).actions
               & LC_ACT_WOF);
    lc_step_t b1 = s_step (LC_DEPARTURE, LC_RECIPIENT, LC_ARRIVED, SG_MSG_DCR, "B1", NULL);
    ck_assert_int_eq (b1.to, LC_DISCREPANCY);
    ck_assert (!(b1.actions & LC_ACT_WOF));
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_DISCREPANCY, SG_MSG_WOF, NULL, NULL).to,
                      LC_DISCHARGED);
    /* the second WOF of a fan-out changes nothing and is no event */
    lc_step_t again = s_step (LC_DEPARTURE, LC_SENDER, LC_DISCHARGED, SG_MSG_WOF, NULL, NULL);
    ck_assert (again.nak == 0 && again.to == LC_DISCHARGED && !again.event);
    /* cancellation before and after release */
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_REGISTERED, SG_MSG_CAN, NULL, NULL).to,
                      LC_CANCELLED);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_RELEASED, SG_MSG_CAN, NULL, NULL).to,
                      LC_CANCELLED);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_EN_ROUTE, SG_MSG_CAN, NULL, NULL).nak,
                      92);
    /* a crossing notice held up by a link outage arrives after the arrival:
     * recorded as an event, state unchanged */
    lc_state_t after[] = { LC_ARRIVED, LC_CONTROLLED, LC_DISCREPANCY };
    for (size_t i = 0; i < 3; i++) {
        lc_step_t late = s_step (LC_DEPARTURE, LC_RECIPIENT, after[i], SG_MSG_NCF, NULL,
                                 "BF000301");
        ck_assert (late.nak == 0 && late.to == after[i] && late.event);
    }
}
END_TEST

/* AMD: accepted only before release, from the adapter to the departure
 * office (takes the declaration, fans out); the node's own copies to other
 * offices do nothing more (else they would fan out again); after release
 * it is refused; other offices accept it without a view. */
START_TEST (test_amendment)
{
    lc_step_t st = s_step (LC_DEPARTURE, LC_SENDER, LC_REGISTERED, SG_MSG_AMD, NULL, "CI000101");
    ck_assert (st.nak == 0 && st.to == LC_REGISTERED && st.event);
    ck_assert_uint_eq (st.actions, LC_ACT_DECL | LC_ACT_AMEND);
    lc_fact_t f = { .type = SG_MSG_AMD, .sender = "CI000101", .recipient = "BF000101", .code = "",
                    .office = "", .destination = "BF000101", .view_office = "CI000101" };
    lc_step (LC_DEPARTURE, LC_SENDER, LC_REGISTERED, &f, &st);
    ck_assert (st.relevant && st.nak == 0 && st.actions == 0 && !st.event);
    lc_state_t late[] = { LC_RELEASED, LC_EN_ROUTE, LC_CANCELLED };
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, late[i], SG_MSG_AMD, NULL,
                                  "CI000101").nak,
                          92);
    ck_assert_int_eq (lc_role_for (LC_SENDER, SG_MSG_AMD), LC_DEPARTURE);
    st = s_step (LC_DESTINATION, LC_RECIPIENT, LC_NONE, SG_MSG_AMD, NULL, "CI000101");
    ck_assert (st.relevant && st.nak == 0 && st.to == LC_NONE && !st.event);
}
END_TEST

START_TEST (test_departure_refusals)
{
    struct { lc_side_t side; lc_state_t from; int type; const char *code, *sender; int nak; } bad[] = {
        { LC_RECIPIENT, LC_REGISTERED, SG_MSG_ARR, NULL, NULL, 92 },  /* ARR before REL */
        { LC_RECIPIENT, LC_EN_ROUTE, SG_MSG_DCR, "A1", NULL, 92 },    /* DCR before ARR */
        { LC_RECIPIENT, LC_DISCHARGED, SG_MSG_NCF, NULL, "BF000301", 92 }, /* NCF after WOF */
        { LC_RECIPIENT, LC_EN_ROUTE, SG_MSG_NCF, NULL, "BF000201", 92 }, /* same post twice */
        { LC_RECIPIENT, LC_EN_ROUTE, SG_MSG_ARR, NULL, "BF000301", 92 }, /* not the destination */
        { LC_SENDER, LC_REGISTERED, SG_MSG_DEC, NULL, NULL, 92 },     /* declared twice */
        { LC_SENDER, LC_RELEASED, SG_MSG_WOF, NULL, NULL, 92 },       /* WOF before control */
        { LC_SENDER, LC_NONE, SG_MSG_REL, NULL, NULL, 90 },           /* unknown MRN */
        { LC_RECIPIENT, LC_NONE, SG_MSG_ARR, NULL, NULL, 90 },
        { LC_RECIPIENT, LC_NONE, SG_MSG_STQ, NULL, NULL, 90 },
        { LC_RECIPIENT, LC_RELEASED, SG_MSG_ENR, "AR", NULL, 92 },    /* no enquiry going on */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_step_t st = s_step (LC_DEPARTURE, bad[i].side, bad[i].from, bad[i].type, bad[i].code,
                               bad[i].sender);
        ck_assert_msg (st.nak == bad[i].nak, "case %zu: NAK %d, expected %d", i, st.nak,
                       bad[i].nak);
        ck_assert_msg (st.reason[0], "case %zu: no reason", i);
        ck_assert_int_eq (st.to, bad[i].from);
    }
    ck_assert_ptr_nonnull (strstr (s_step (LC_DEPARTURE, LC_RECIPIENT, LC_REGISTERED, SG_MSG_ARR,
                                           NULL,
                                           NULL).reason, "REGISTERED"));
    /* types that mean nothing to the departure view are ignored, not refused */
    lc_step_t ack = s_step (LC_DEPARTURE, LC_RECIPIENT, LC_RELEASED, SG_MSG_ACK, NULL, NULL);
    ck_assert (!ack.relevant && !ack.nak);
}
END_TEST

START_TEST (test_follow_views)
{
    lc_state_t s = LC_NONE;
    int dest[][2] = { { LC_RECIPIENT, SG_MSG_AAR }, { LC_SENDER, SG_MSG_ARR }, { LC_SENDER, SG_MSG_DCR },
                      { LC_RECIPIENT, SG_MSG_WOF } };
    lc_state_t want[] = { LC_ANTICIPATED, LC_ARRIVED, LC_CONTROLLED, LC_DISCHARGED };
    for (int i = 0; i < 4; i++) {
        lc_step_t st = s_step (LC_DESTINATION, (lc_side_t) dest[i][0], s, dest[i][1], NULL, NULL);
        ck_assert_int_eq (st.to, want[i]);
        s = st.to;
    }
    s = LC_NONE;
    int tr[][2] = { { LC_RECIPIENT, SG_MSG_ATR }, { LC_SENDER, SG_MSG_NCF }, { LC_RECIPIENT, SG_MSG_WOF } };
    lc_state_t twant[] = { LC_ANTICIPATED, LC_CROSSED, LC_DISCHARGED };
    for (int i = 0; i < 3; i++) {
        lc_step_t st = s_step (LC_TRANSIT, (lc_side_t) tr[i][0], s, tr[i][1], NULL, NULL);
        ck_assert_int_eq (st.to, twant[i]);
        s = st.to;
    }
    /* a view that only follows never refuses: the departure decides */
    for (int st = 0; st < LC_STATE_COUNT; st++)
        for (int t = SG_MSG_DEC; t < SG_MSG_TYPE_COUNT; t++)
            for (int side = 0; side < 2; side++) {
                ck_assert_int_eq (s_step (LC_TRANSIT, (lc_side_t) side, (lc_state_t) st, t, NULL,
                                          NULL).nak, 0);
                ck_assert_int_eq (s_step (LC_DESTINATION, (lc_side_t) side, (lc_state_t) st, t,
                                          NULL, NULL).nak, 0);
            }
    ck_assert_int_eq (lc_role_for (LC_RECIPIENT, SG_MSG_AAR), LC_DESTINATION);
    ck_assert_int_eq (lc_role_for (LC_RECIPIENT, SG_MSG_ATR), LC_TRANSIT);
    ck_assert_int_eq (lc_role_for (LC_SENDER, SG_MSG_DEC), LC_DEPARTURE);
    ck_assert_int_eq (lc_role_for (LC_RECIPIENT, SG_MSG_WOF), -1);
}
END_TEST

START_TEST (test_timers_and_resync)
{
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_EN_ROUTE, LC_TICK_OVERDUE, NULL, NULL).to,
                      LC_OVERDUE);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_ARRIVED, LC_TICK_OVERDUE, NULL, NULL).nak,
                      92);
    lc_step_t enq = s_step (LC_DEPARTURE, LC_SENDER, LC_OVERDUE, LC_TICK_ENQUIRY, NULL, NULL);
    ck_assert (enq.actions & LC_ACT_ENQ);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_OVERDUE, SG_MSG_ENQ, NULL, NULL).to,
                      LC_UNDER_ENQUIRY);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_RECIPIENT, LC_UNDER_ENQUIRY, SG_MSG_ARR, NULL,
                              NULL).to,
                      LC_ARRIVED);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_RECIPIENT, LC_UNDER_ENQUIRY, SG_MSG_ENR, "AR",
                              NULL).to,
                      LC_ARRIVED);
    lc_step_t np = s_step (LC_DEPARTURE, LC_RECIPIENT, LC_UNDER_ENQUIRY, SG_MSG_ENR, "NP", NULL);
    ck_assert (np.to == LC_UNDER_ENQUIRY && np.event);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_UNDER_ENQUIRY, LC_TICK_RECOVERY, NULL,
                              NULL).to, LC_RECOVERY);
    ck_assert_int_eq (s_step (LC_DEPARTURE, LC_SENDER, LC_DISCREPANCY, LC_TICK_RECOVERY, NULL,
                              NULL).to, LC_RECOVERY);
    ck_assert (s_step (LC_DEPARTURE, LC_RECIPIENT, LC_EN_ROUTE, SG_MSG_ARQ, NULL,
                       "BF000301").actions
               & LC_ACT_DIVERT);
    /* resync mapping moves views forward only to states of their own role */
    ck_assert_int_eq (lc_resync_map (LC_DESTINATION, "BF000101", LC_DEPARTURE, LC_ARRIVED,
                                     "BF000101"), LC_ARRIVED);
    ck_assert_int_eq (lc_resync_map (LC_TRANSIT, "BF000201", LC_DEPARTURE, LC_EN_ROUTE,
                                     "BF000201"), LC_CROSSED);
    ck_assert_int_eq (lc_resync_map (LC_TRANSIT, "BF000201", LC_DEPARTURE, LC_EN_ROUTE,
                                     "CI000401"), LC_NONE);
    ck_assert_int_eq (lc_resync_map (LC_DEPARTURE, "CI000101", LC_DESTINATION, LC_DISCHARGED,
                                     "BF000101"), LC_NONE);
    ck_assert (lc_rank (LC_DESTINATION, LC_DISCHARGED) > lc_rank (LC_DESTINATION, LC_ARRIVED));
    for (int s = 1; s < LC_STATE_COUNT; s++)
        ck_assert_int_eq (lc_state_from_name (lc_state_name ((lc_state_t) s)), s);
}
END_TEST

START_TEST (test_hash_chain)
{
    unsigned char zero[LC_HASH_LEN] = { 0 }, h1[LC_HASH_LEN], h2[LC_HASH_LEN], h3[LC_HASH_LEN];
    lc_event_t ev = { "26CI000101000123J8", "CI000101", 1, "eb879d21-d692-4fb8-833d-7778cd46be98",
                      "REL", "REGISTERED", "RELEASED", "CI000101", 1772447400000LL, "",
                      "", "", 1 };
    ck_assert_int_eq (lc_event_hash (zero, &ev, h1), SG_OK);
    ck_assert_int_eq (lc_event_hash (zero, &ev, h2), SG_OK);
    ck_assert (memcmp (h1, h2, LC_HASH_LEN) == 0);
    ev.to_state = "EN_ROUTE";                   /* any field changes the hash */
    ck_assert_int_eq (lc_event_hash (zero, &ev, h2), SG_OK);
    ck_assert (memcmp (h1, h2, LC_HASH_LEN) != 0);
    ev.to_state = "RELEASED";
    ev.at_ms++;
    ck_assert_int_eq (lc_event_hash (zero, &ev, h2), SG_OK);
    ck_assert (memcmp (h1, h2, LC_HASH_LEN) != 0);
    ev.at_ms--;
    ck_assert_int_eq (lc_event_hash (h1, &ev, h3), SG_OK);  /* and so does the previous hash */
    ck_assert (memcmp (h1, h3, LC_HASH_LEN) != 0);
    /* version 2 covers the officer, the body and the signature */
    ev.version = 2;
    ev.body_hash = "aa";
    ck_assert_int_eq (lc_event_hash (zero, &ev, h2), SG_OK);
    ck_assert (memcmp (h1, h2, LC_HASH_LEN) != 0);
    const char **fields[] = { &ev.officer, &ev.body_hash, &ev.sig_hash };
    for (size_t i = 0; i < 3; i++) {
        const char *keep = *fields[i];
        *fields[i] = "changed";
        ck_assert_int_eq (lc_event_hash (zero, &ev, h3), SG_OK);
        ck_assert_msg (memcmp (h2, h3, LC_HASH_LEN) != 0, "field %zu not covered", i);
        *fields[i] = keep;
    }
}
END_TEST


/* ---- the authority table --------------------------------------------------- */

/* The movement of these tests: CI000101 -> (CI000401, BF000201) -> NE000101;
 * BF000301 was sent an ATR later; TG000101 has no role in it. */
static int
s_auth (lc_role_t role, lc_side_t side, lc_state_t from, int type, const char *sender,
        int asked, char *why)
{
    static const char *transit[] = { "CI000401", "BF000201", "BF000301" };
    /* what a view receives comes to NE000101; what it sends goes to CI000101 */
    lc_fact_t f = { .type = type, .mrn = "26CI000101000123J8", .sender = sender,
                    .recipient = side == LC_SENDER ? "CI000101" : "NE000101", .code = "",
                    .office = "",
                    .destination = "NE000101", .view_office = "NE000101",
                    .departure = "CI000101", .transit = transit, .n_transit = 3,
                    .asked = asked };
    char reason[320] = "";
    int ok = lc_authorized (role, side, from, &f, reason, sizeof reason);
    if (why)
        strcpy (why, reason);
    ck_assert_msg (ok || reason[0], "a refusal without a reason");
    return ok;
}

START_TEST (test_authority_table)
{
    const char *dep = "CI000101", *tr = "BF000201", *later = "BF000301", *dst = "NE000101",
               *none = "TG000101";
    const char *who[] = { dep, tr, dst, none };
    /* who may send what to a view of each role: D T N(destination) -, ARQ from anyone */
    struct { lc_role_t role; int type; const char *may; } rows[] = {
        { LC_DEPARTURE, SG_MSG_NCF, "-T--" }, { LC_DEPARTURE, SG_MSG_ARR, "--N-" },
        { LC_DEPARTURE, SG_MSG_DCR, "--N-" }, { LC_DEPARTURE, SG_MSG_ENR, "--N-" },
        { LC_DEPARTURE, SG_MSG_INC, "-TN-" }, { LC_DEPARTURE, SG_MSG_ARQ, "DTNX" },
        { LC_DEPARTURE, SG_MSG_STQ, "DTN-" }, { LC_DEPARTURE, SG_MSG_WOF, "----" },
        { LC_DEPARTURE, SG_MSG_CAN, "----" }, { LC_DEPARTURE, SG_MSG_AAR, "----" },
        { LC_DESTINATION, SG_MSG_AAR, "D---" }, { LC_DESTINATION, SG_MSG_WOF, "D---" },
        { LC_DESTINATION, SG_MSG_CAN, "D---" }, { LC_DESTINATION, SG_MSG_ENQ, "D---" },
        { LC_DESTINATION, SG_MSG_STQ, "DTN-" }, { LC_DESTINATION, SG_MSG_ARR, "----" },
        { LC_DESTINATION, SG_MSG_NCF, "D---" }, { LC_DESTINATION, SG_MSG_DCR, "----" },
        { LC_TRANSIT, SG_MSG_ATR, "D---" }, { LC_TRANSIT, SG_MSG_WOF, "D---" },
        { LC_TRANSIT, SG_MSG_CAN, "D---" }, { LC_TRANSIT, SG_MSG_ENQ, "D---" },
        { LC_TRANSIT, SG_MSG_STQ, "DTN-" }, { LC_TRANSIT, SG_MSG_NCF, "D---" },
        { LC_TRANSIT, SG_MSG_ENR, "----" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (int k = 0; k < 4; k++) {
            char why[320];
            int want = rows[i].may[k] != '-';
            int got = s_auth (rows[i].role, LC_RECIPIENT, LC_EN_ROUTE, rows[i].type, who[k], 0, why);
            ck_assert_msg (got == want, "%s to %s from %s: %s (%s)",
                           sg_msg_type_name (rows[i].type), lc_role_name (rows[i].role), who[k],
                           got ? "allowed" : "refused", why);
        }
    /* an office sent an ATR after the declaration is an office of transit */
    ck_assert (s_auth (LC_DEPARTURE, LC_RECIPIENT, LC_EN_ROUTE, SG_MSG_NCF, later, 0, NULL));
    /* the reason names the office and the role it lacks */
    char why[320];
    ck_assert (!s_auth (LC_DESTINATION, LC_RECIPIENT, LC_ANTICIPATED, SG_MSG_WOF, tr, 0, why));
    ck_assert_msg (strstr (why, "BF000201") && strstr (why, "transit")
                   && strstr (why, "office of departure CI000101"), "%s", why);
    ck_assert (!s_auth (LC_DEPARTURE, LC_RECIPIENT, LC_ARRIVED, SG_MSG_DCR, none, 0, why));
    ck_assert_msg (strstr (why, "no role"), "%s", why);
    /* STR only as the answer to our STQ; even with no view */
    ck_assert (!s_auth (LC_DESTINATION, LC_RECIPIENT, LC_ANTICIPATED, SG_MSG_STR, dep, 0, NULL));
    ck_assert (s_auth (LC_DESTINATION, LC_RECIPIENT, LC_ANTICIPATED, SG_MSG_STR, dep, 1, NULL));
    ck_assert (!s_auth (LC_DESTINATION, LC_RECIPIENT, LC_NONE, SG_MSG_STR, dep, 0, NULL));
    /* what an office may send in its own role */
    ck_assert (!s_auth (LC_TRANSIT, LC_SENDER, LC_ANTICIPATED, SG_MSG_WOF, tr, 0, why));
    ck_assert_msg (strstr (why, "DEPARTURE"), "%s", why);
    ck_assert (!s_auth (LC_TRANSIT, LC_SENDER, LC_ANTICIPATED, SG_MSG_DCR, tr, 0, NULL));
    ck_assert (s_auth (LC_TRANSIT, LC_SENDER, LC_ANTICIPATED, SG_MSG_NCF, tr, 0, NULL));
    ck_assert (!s_auth (LC_DEPARTURE, LC_SENDER, LC_EN_ROUTE, SG_MSG_AAR, dep, 0, why));
    ck_assert_msg (strstr (why, "only to the office of destination NE000101"), "%s", why);
    ck_assert (s_auth (LC_DESTINATION, LC_SENDER, LC_ANTICIPATED, SG_MSG_ARR, dst, 0, NULL));
    ck_assert (!s_auth (LC_DESTINATION, LC_SENDER, LC_ANTICIPATED, SG_MSG_CAN, dst, 0, NULL));
    /* timers, ACK and NAK are not judged */
    ck_assert (s_auth (LC_DEPARTURE, LC_RECIPIENT, LC_EN_ROUTE, LC_TICK_OVERDUE, none, 0, NULL));
    ck_assert (s_auth (LC_DESTINATION, LC_RECIPIENT, LC_ANTICIPATED, SG_MSG_NAK, none, 0, NULL));
}
END_TEST

START_TEST (test_authority_declarations)
{
    /* an AAR that creates a view: from the departure office the body names,
     * with an MRN of that office's country */
    lc_fact_t f = { .type = SG_MSG_AAR, .mrn = "26CI000101000123J8", .sender = "CI000101",
                    .recipient = "NE000101", .code = "", .office = "", .destination = "",
                    .view_office = "NE000101", .departure = "", .decl_departure = "CI000101" };
    char why[320];
    ck_assert (lc_authorized (LC_DESTINATION, LC_RECIPIENT, LC_NONE, &f, why, sizeof why));
    f.sender = "TG000101";                      /* a non-party announces a truck */
    ck_assert (!lc_authorized (LC_DESTINATION, LC_RECIPIENT, LC_NONE, &f, why, sizeof why));
    f.decl_departure = "TG000101";              /* ... naming itself, for a CI MRN */
    ck_assert (!lc_authorized (LC_DESTINATION, LC_RECIPIENT, LC_NONE, &f, why, sizeof why));
    ck_assert_msg (strstr (why, "MRN"), "%s", why);
    f.type = SG_MSG_DEC;                        /* the same rule where a DEC enters */
    ck_assert (!lc_authorized (LC_DEPARTURE, LC_SENDER, LC_NONE, &f, why, sizeof why));
    f.mrn = "26TG000101000123J8";
    ck_assert (lc_authorized (LC_DEPARTURE, LC_SENDER, LC_NONE, &f, why, sizeof why));
}
END_TEST

/* ---- against PostgreSQL ---------------------------------------------------- */

static char *
s_example (const char *name, size_t *len)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/messages/examples/%s", getenv ("SIGMAT_SRCDIR"), name);
    FILE *f = fopen (path, "rb");
    ck_assert_msg (f != NULL, "cannot read %s", path);
    static char buf[65536];
    *len = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[*len] = '\0';
    return strdup (buf);
}

static char *
s_sql1 (const char *sql)
{
    PGconn *c = PQconnectdb (s_conninfo);
    PGresult *r = PQexec (c, sql);
    ck_assert_msg (PQresultStatus (r) == PGRES_TUPLES_OK || PQresultStatus (r) == PGRES_COMMAND_OK,
                   "%s: %s", sql, PQerrorMessage (c));
    char *v = strdup (PQntuples (r) ? PQgetvalue (r, 0, 0) : "");
    PQclear (r);
    PQfinish (c);
    return v;
}

/* One message of a batch: file from the examples, parsed, as if the local
 * adapter ci-adapter sent it towards hop; free with s_item_free. */
typedef struct {
    char *body;
    sg_msg_t *m;
    store_msg_t sm;
    lifecycle_in_t in;
} s_item_t;

static void
s_item (s_item_t *it, const char *file, const char *hop)
{
    size_t len;
    sg_diag_t d;
    it->body = s_example (file, &len);
    it->m = NULL;
    ck_assert_msg (sg_msg_parse (it->body, len, NULL, &it->m, &d) == SG_OK, "%s: %s", file,
                   d.text);
    sg_msg_t *m = it->m;
    it->sm = (store_msg_t) { .id = m->id, .type = sg_msg_type_name (m->type), .mrn = m->mrn,
                             .sender = m->sender, .recipient = m->recipient,
                             .origin_node = "CI", .from_peer = "ci-adapter",
                             .header = "H: v\n", .header_len = 5, .body = it->body,
                             .body_len = len, .next_hop = hop };
    it->in = (lifecycle_in_t) { m, 1, NULL };
}

static void
s_item_free (s_item_t *it)
{
    sg_msg_destroy (&it->m);
    free (it->body);
}

/* Commits one message (file from the examples) through the lifecycle as if
 * the local adapter ci-adapter sent it; returns the number it made. */
static size_t
s_commit (lifecycle_t *lc, store_t *st, const char *file, const char *hop, int *duplicate,
          const char **hop_after)
{
    s_item_t it;
    sg_diag_t d;
    s_item (&it, file, hop);
    lifecycle_out_t out = { 0 };
    ck_assert_msg (lifecycle_commit (lc, st, &it.sm, &it.in, 1, &out, &d) == SG_OK, "%s",
                   d.text);
    size_t made = out.n;
    if (duplicate)
        *duplicate = it.sm.duplicate;
    if (hop_after)
        *hop_after = it.sm.next_hop;
    lifecycle_out_clear (&out);
    s_item_free (&it);
    return made;
}

/* The tracker of node CI (offices CI; BF routed to BF, CI to its adapter)
 * that the database tests drive. */
typedef struct {
    sg_sign_key_t *key;
    routes_t *rt;
    char *offices[1];
    lifecycle_t *lc;
} s_node_t;

static void
s_node_new (s_node_t *n)
{
    n->key = sg_sign_key_generate ();
    n->rt = routes_new ();
    ck_assert_int_eq (routes_add (n->rt, "BF", "BF", ROUTES_EXPLICIT), SG_OK);
    ck_assert_int_eq (routes_add (n->rt, "CI", "ci-adapter", ROUTES_ADAPTER), SG_OK);
    n->offices[0] = "CI";
    setenv ("SIGMAT_CLOCK_FILE", "/nonexistent", 1);
    lifecycle_opts_t o = { .node_name = "CI", .sign_key = n->key, .offices = n->offices,
                           .offices_n = 1, .router = (const routes_t *const *) &n->rt,
                           .discharge_auto = 1, .enquiry_after_ms = 86400000LL,
                           .recovery_after_ms = 86400000LL };
    n->lc = lifecycle_new (&o);
    ck_assert_ptr_nonnull (n->lc);
}

static void
s_node_destroy (s_node_t *n)
{
    lifecycle_destroy (&n->lc);
    routes_destroy (&n->rt);
    sg_sign_key_destroy (&n->key);
}

START_TEST (test_commit_and_verify)
{
    sg_diag_t d;
    store_t *st = store_new (s_conninfo, &d);
    ck_assert_msg (st != NULL, "%s", d.text);
    s_node_t node;
    s_node_new (&node);
    lifecycle_t *lc = node.lc;
    const char *hop;
    int dup;
    /* DEC to its own office: registered, consumed (not echoed to the adapter) */
    ck_assert_uint_eq (s_commit (lc, st, "dec.xml", "ci-adapter", &dup, &hop), 0);
    ck_assert_ptr_null (hop);
    char *v = s_sql1 ("SELECT state FROM movement WHERE office = 'CI000101'");
    ck_assert_str_eq (v, "REGISTERED");
    free (v);
    /* REL: released, AAR to BF000101 and ATR to CI000401 and BF000201 */
    ck_assert_uint_eq (s_commit (lc, st, "rel.xml", "ci-adapter", NULL, NULL), 3);
    v = s_sql1 ("SELECT string_agg(type || '>' || recipient, ' ' ORDER BY recipient) FROM message"
                " WHERE from_peer IS NULL");
    ck_assert_str_eq (v, "AAR>BF000101 ATR>BF000201 ATR>CI000401");
    free (v);
    v = s_sql1 ("SELECT count(*) FROM delivery d JOIN message m ON m.id = d.message_id"
                " WHERE m.from_peer IS NULL AND d.next_hop IN ('BF', 'ci-adapter')");
    ck_assert_str_eq (v, "3");
    free (v);
    /* the local exit post got its transit view from the ATR to itself */
    v = s_sql1 ("SELECT role || ' ' || state FROM movement WHERE office = 'CI000401'");
    ck_assert_str_eq (v, "TRANSIT ANTICIPATED");
    free (v);
    /* the same REL again: a duplicate, nothing applied or made */
    ck_assert_uint_eq (s_commit (lc, st, "rel.xml", "ci-adapter", &dup, NULL), 0);
    ck_assert_int_eq (dup, 1);
    /* the example WOF (sent by the adapter) before control: NAK 92 message made */
    ck_assert_uint_eq (s_commit (lc, st, "wof.xml", "BF", NULL, &hop), 1);
    ck_assert_ptr_null (hop);
    v = s_sql1 ("SELECT code || ' ' || msg_type FROM movement_rejection");
    ck_assert_str_eq (v, "92 WOF");
    free (v);
    v = s_sql1 ("SELECT m.type || ' ' || m.recipient FROM message m JOIN movement_rejection r"
                " ON r.nak_message_id = m.id");
    ck_assert_str_eq (v, "NAK CI000101");
    free (v);

    /* the chain verifies; UPDATE and DELETE are refused by the trigger */
    char cmd[2048];
    snprintf (cmd, sizeof cmd, "'%s/broker/sigmatctl' movement verify 26CI000101000123J8 --db '%s'"
              " 2>&1", getenv ("SIGMAT_BUILDDIR"), s_conninfo);
    FILE *p = popen (cmd, "r");
    char out[2048] = "";
    size_t n = fread (out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ck_assert_msg (pclose (p) == 0, "verify failed: %s", out);
    ck_assert_ptr_nonnull (strstr (out, "chain intact"));
    PGconn *c = PQconnectdb (s_conninfo);
    PGresult *r = PQexec (c, "UPDATE movement_event SET to_state = 'ARRIVED' WHERE seq = 2");
    ck_assert_int_eq (PQresultStatus (r), PGRES_FATAL_ERROR);
    PQclear (r);
    r = PQexec (c, "DELETE FROM movement_event");
    ck_assert_int_eq (PQresultStatus (r), PGRES_FATAL_ERROR);
    PQclear (r);
    /* a superuser can get round the trigger; the chain still tells */
    r = PQexec (c, "SET session_replication_role = replica;"
                   " UPDATE movement_event SET at_office = 'CI000999'"
                   " WHERE office = 'CI000101' AND seq = 2");
    ck_assert_int_eq (PQresultStatus (r), PGRES_COMMAND_OK);
    PQclear (r);
    PQfinish (c);
    p = popen (cmd, "r");
    n = fread (out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ck_assert_msg (pclose (p) != 0, "tampering not detected: %s", out);
    ck_assert_msg (strstr (out, "FAIL 26CI000101000123J8 DEPARTURE at CI000101: event 2 (REL "),
                   "verify did not name the event: %s", out);

    s_node_destroy (&node);
    store_destroy (&st);
}
END_TEST

/* One batch holding a message twice and a message stored by an earlier
 * batch: each is applied once, the repeats are flagged duplicates, and
 * nothing is retried. */
START_TEST (test_commit_batch_repeats)
{
    char *conn = pgtest_createdb ("lc_repeats");
    pgtest_migrate ("check_lifecycle", conn);
    sg_diag_t d;
    store_t *st = store_new (conn, &d);
    ck_assert_msg (st != NULL, "%s", d.text);
    s_node_t node;
    s_node_new (&node);
    ck_assert_uint_eq (s_commit (node.lc, st, "dec.xml", "ci-adapter", NULL, NULL), 0);
    const char *files[3] = { "rel.xml", "rel.xml", "dec.xml" };
    s_item_t it[3];
    store_msg_t sm[3];
    lifecycle_in_t in[3];
    for (int i = 0; i < 3; i++) {
        s_item (&it[i], files[i], "ci-adapter");
        sm[i] = it[i].sm;
        in[i] = it[i].in;
    }
    lifecycle_out_t out = { 0 };
    ck_assert_msg (lifecycle_commit (node.lc, st, sm, in, 3, &out, &d) == SG_OK, "%s", d.text);
    ck_assert_uint_eq (out.n, 3);           /* AAR and two ATRs, made once */
    size_t queued = 0;
    for (size_t k = 0; k < out.n; k++)      /* each with its delivery row's seq */
        if (out.gen[k]->sm.next_hop) {
            ck_assert_int_gt (out.gen[k]->sm.seq, 0);
            queued++;
        }
    ck_assert_uint_gt (queued, 0);
    ck_assert_int_eq (sm[0].duplicate, 0);
    ck_assert_int_eq (sm[1].duplicate, 1);
    ck_assert_int_eq (sm[2].duplicate, 1);
    lifecycle_stats_t stats;
    lifecycle_stats (node.lc, &stats);
    ck_assert_uint_eq (stats.retries, 0);
    ck_assert_int_eq (pgtest_num (conn, "SELECT events FROM movement WHERE office = 'CI000101'"
                                        " AND state = 'RELEASED'"), 2);
    ck_assert_int_eq (pgtest_num (conn, "SELECT count(*) FROM movement_event"
                                        " WHERE office = 'CI000101'"), 2);
    ck_assert_int_eq (pgtest_num (conn, "SELECT count(*) FROM message"), 5);
    lifecycle_out_clear (&out);
    for (int i = 0; i < 3; i++)
        s_item_free (&it[i]);
    s_node_destroy (&node);
    store_destroy (&st);
    free (conn);
}
END_TEST

int
main (void)
{
    sg_xmlsafe_init ();
    s_conninfo = pgtest_start ();
    pgtest_migrate ("check_lifecycle", s_conninfo);
    Suite *s = suite_create ("lifecycle");
    TCase *tc = tcase_create ("table");
    tcase_add_test (tc, test_departure_path);
    tcase_add_test (tc, test_departure_refusals);
    tcase_add_test (tc, test_amendment);
    tcase_add_test (tc, test_follow_views);
    tcase_add_test (tc, test_timers_and_resync);
    tcase_add_test (tc, test_hash_chain);
    tcase_add_test (tc, test_authority_table);
    tcase_add_test (tc, test_authority_declarations);
    suite_add_tcase (s, tc);
    TCase *db = tcase_create ("database");
    tcase_set_timeout (db, 60);
    tcase_add_test (db, test_commit_and_verify);
    tcase_add_test (db, test_commit_batch_repeats);
    suite_add_tcase (s, db);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
