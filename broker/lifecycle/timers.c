/* timers.c - the lifecycle timers and the resync requests, in one
 * transaction per run: claim the due departure views (FOR UPDATE SKIP
 * LOCKED, so two sigmatd processes on one database never fire the same
 * timer), apply one tick to each through the transition table, store the
 * messages that makes (ENQ) with their deliveries, write the events,
 * commit. A view fires at most one timer per run. Of several active
 * processes of one node, one runs the timers at a time (a transaction
 * advisory lock; the others skip that round). */
#include "lifecycle/timers.h"
#include "lifecycle/lifecycle_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which tick is due for view v at the batch's time, or 0. */
static int
s_due (const lc_batch_t *b, const lc_view_t *v, const char *today)
{
    const lifecycle_opts_t *o = &b->lc->o;
    if (v->role != LC_DEPARTURE)
        return 0;
    switch (v->state) {
    case LC_RELEASED:
    case LC_EN_ROUTE:
        return v->time_limit[0] && strcmp (v->time_limit, today) < 0 ? LC_TICK_OVERDUE : 0;
    case LC_OVERDUE:
        return v->state_since + o->enquiry_after_ms <= b->now ? LC_TICK_ENQUIRY : 0;
    case LC_UNDER_ENQUIRY:
    case LC_DISCREPANCY:
        return v->state_since + o->recovery_after_ms <= b->now ? LC_TICK_RECOVERY : 0;
    default:
        return 0;
    }
}

/* 1 if this transaction may run the timers now: no other process of the
 * node is running them (the lock ends with the transaction). */
static int
s_fire_lock (lc_batch_t *b)
{
    PGresult *r = lc_query (b, "cannot take the timers lock",
                            "SELECT pg_try_advisory_xact_lock (hashtext ('sigmat.timers'))",
                            0, NULL, 0);
    int mine = r && PQntuples (r) == 1 && strcmp (PQgetvalue (r, 0, 0), "t") == 0;
    PQclear (r);
    return mine;
}

/* Claims the queued resync requests and makes their STQs. */
static int
s_requests (lc_batch_t *b, size_t limit)
{
    char lim[24];
    snprintf (lim, sizeof lim, "%zu", limit);
    const char *p1[1] = { lim };
    PGresult *r = lc_query (b, "cannot read resync requests",
        "SELECT id, mrn, own_office, peer_office FROM movement_request WHERE sent_at IS NULL"
        " ORDER BY id LIMIT $1::int8 FOR UPDATE SKIP LOCKED", 1, p1, 0);
    if (!r)
        return 0;
    int sent = 0;
    for (int i = 0; i < PQntuples (r) && !b->failed; i++) {
        lifecycle_gen_t *g = lc_gen_stq (b, PQgetvalue (r, i, 1), PQgetvalue (r, i, 2),
                                         PQgetvalue (r, i, 3));
        const char *p[2] = { PQgetvalue (r, i, 0), g ? g->id : NULL };
        PQclear (lc_query (b, "cannot mark a resync request",
            "UPDATE movement_request SET sent_at = now(), sent_message = $2::uuid"
            " WHERE id = $1::int8", 2, p, 0));
        if (g) {
            sent++;
            sg_log_info ("lifecycle: STQ %s for %s sent from %s to %s (resync)", g->id, g->mrn,
                      g->sender, g->recipient);
        }
    }
    PQclear (r);
    return sent;
}

int
timers_run (lifecycle_t *lc, store_t *store, size_t limit, lifecycle_out_t *out,
            timers_result_t *res, sg_diag_t *diag)
{
    timers_result_t dummy;
    lc_batch_t b;
    if (!res)
        res = &dummy;
    memset (res, 0, sizeof *res);
    if (store_ready (store, diag) != SG_OK)
        return SG_EDB;
    size_t out0 = out->n;
    int rc = lc_begin (&b, lc, store, out);
    char today[11], since_enq[32], since_rec[32], suffix[96];
    lc_format_date (b.now, today);
    snprintf (since_enq, sizeof since_enq, "%lld", (long long) (b.now - lc->o.enquiry_after_ms));
    snprintf (since_rec, sizeof since_rec, "%lld", (long long) (b.now - lc->o.recovery_after_ms));
    snprintf (suffix, sizeof suffix, "ORDER BY mrn, office LIMIT %zu FOR UPDATE SKIP LOCKED",
              limit ? limit : 1);
    int mine = rc == SG_OK && s_fire_lock (&b);
    if (mine) {
        lc_load (&b, "role = 'DEPARTURE' AND state IN ('RELEASED', 'EN_ROUTE')"
                     " AND time_limit < $1::date", today, suffix);
        lc_load (&b, "role = 'DEPARTURE' AND state = 'OVERDUE'"
                     " AND state_since <= timestamptz 'epoch' + $1::int8 * interval '1 ms'",
                 since_enq, suffix);
        lc_load (&b, "role = 'DEPARTURE' AND state IN ('UNDER_ENQUIRY', 'DISCREPANCY')"
                     " AND state_since <= timestamptz 'epoch' + $1::int8 * interval '1 ms'",
                 since_rec, suffix);
    }
    /* Decide first, then apply: a tick changes state_since. */
    size_t nv = b.nviews;
    int *ticks = calloc (nv ? nv : 1, sizeof *ticks);
    if (!ticks)
        b.failed = 1;
    for (size_t i = 0; i < nv && !b.failed; i++)
        ticks[i] = s_due (&b, b.views[i], today);
    for (size_t i = 0; i < nv && !b.failed; i++) {
        lc_view_t *v = b.views[i];
        if (!ticks[i])
            continue;
        lc_work_t w = { .type = ticks[i], .id = "", .mrn = v->mrn, .sender = v->office,
                        .recipient = v->office };
        int consumed = 0;
        if (lc_apply (&b, &w, &consumed) == 0) {
            res->overdue += ticks[i] == LC_TICK_OVERDUE;
            res->enquiry += ticks[i] == LC_TICK_ENQUIRY;
            res->recovery += ticks[i] == LC_TICK_RECOVERY;
            sg_log_info ("lifecycle: %s at %s: %s", v->mrn, v->office,
                      ticks[i] == LC_TICK_OVERDUE ? "time limit passed, OVERDUE"
                      : ticks[i] == LC_TICK_ENQUIRY ? "no arrival: enquiry sent"
                      : "no answer: RECOVERY");
        }
    }
    free (ticks);
    if (mine && !b.failed)
        res->requests = s_requests (&b, limit ? limit : 1);
    lc_apply_made (&b, out0);
    rc = b.failed ? SG_EDB : SG_OK;
    size_t nmade = out->n - out0;
    if (rc == SG_OK && nmade) {
        store_msg_t *all = malloc (nmade * sizeof *all);
        if (!all)
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        for (size_t k = 0; all && k < nmade; k++)
            all[k] = out->gen[out0 + k]->sm;
        if (all)
            rc = store_accept (store, all, nmade, diag);
        free (all);
    }
    if (rc == SG_OK)
        rc = lc_write (&b);
    int failed = b.failed;
    sg_diag_t bd = b.diag;
    int erc = lc_end (&b, rc);
    if (rc == SG_OK && erc != SG_OK) {
        rc = erc;
        *diag = b.diag;
    }
    else if (rc != SG_OK && failed)
        *diag = bd;
    if (rc != SG_OK) {
        lc_gen_truncate (out, out0);
        memset (res, 0, sizeof *res);
    }
    return rc;
}
