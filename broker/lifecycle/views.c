/* views.c - the views of a lifecycle transaction: BEGIN, loading
 * and locking them (one SELECT ... FOR UPDATE, in (mrn, office) order so
 * two processes cannot deadlock), applying one message or timer tick
 * through the transition table in memory (events, actions, refusals),
 * COMMIT. lifecycle/tracker.c drives a batch through it, lifecycle/write.c
 * writes the rows, lifecycle/generate.c makes the messages. */
#include "lifecycle/lifecycle_int.h"
#include "ident.h"
#include "log.h"
#include "monitor/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers --------------------------------------------------------- */

int
lc_own (const lifecycle_t *lc, const char *office)
{
    return routes_office_in (office, lc->o.offices, lc->o.offices_n);
}

PGresult *
lc_query (lc_batch_t *b, const char *what, const char *sql, int n, const char *const *values,
          int binary_result)
{
    sg_diag_t d;
    PGresult *r = store_exec (b->store, what, sql, n, values, binary_result, &d);
    if (!r) {
        if (!b->failed)
            sg_diag_set (&b->diag, d.code, 0, 0, "%s", d.text);
        b->failed = 1;
    }
    return r;
}

void
lc_oom (lc_batch_t *b)
{
    if (!b->failed)
        sg_diag_set (&b->diag, SG_ENOMEM, 0, 0, "lifecycle: out of memory");
    b->failed = 1;
}

/* Grows *arr (of elements of size sz) to hold one more; 0 or -1. */
static int
s_grow (lc_batch_t *b, void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc (*arr, c * sz);
    if (!p) {
        lc_oom (b);
        return -1;
    }
    *arr = p;
    *cap = c;
    return 0;
}

static size_t
s_offices_parse (const char *csv, lc_office_t *list, size_t max)
{
    size_t n = 0;
    while (csv && *csv && n < max) {
        size_t len = strcspn (csv, ",");
        if (len == 8) {
            memcpy (list[n], csv, 8);
            list[n++][8] = '\0';
        }
        csv += len + (csv[len] == ',');
    }
    return n;
}

/* ---- transaction and views ------------------------------------------------- */

int
lc_begin (lc_batch_t *b, lifecycle_t *lc, store_t *store, lifecycle_out_t *out)
{
    memset (b, 0, sizeof *b);
    b->lc = lc;
    b->store = store;
    b->out = out;
    b->now = lc_clock_ms (lc->o.clock_file);
    if (store_begin (store, "cannot begin a lifecycle transaction", &b->diag) != SG_OK)
        b->failed = 1;
    return b->failed ? SG_EDB : SG_OK;
}

static int
s_view_cmp (const char *mrn, const char *office, const lc_view_t *v)
{
    int c = strcmp (mrn, v->mrn);
    return c ? c : strcmp (office, v->office);
}

/* Index where (mrn, office) is or would go. */
static size_t
s_view_pos (lc_batch_t *b, const char *mrn, const char *office, int *found)
{
    size_t lo = 0, hi = b->nviews;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = s_view_cmp (mrn, office, b->views[mid]);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

lc_view_t *
lc_find (lc_batch_t *b, const char *mrn, const char *office)
{
    int found;
    size_t i = s_view_pos (b, mrn, office, &found);
    return found ? b->views[i] : NULL;
}

lc_view_t *
lc_view_add (lc_batch_t *b, const char *mrn, const char *office, lc_role_t role)
{
    int found;
    size_t i = s_view_pos (b, mrn, office, &found);
    if (found)
        return b->views[i];
    if (s_grow (b, (void **) &b->views, &b->capviews, b->nviews, sizeof *b->views) < 0)
        return NULL;
    lc_view_t *v = calloc (1, sizeof *v);
    if (!v) {
        lc_oom (b);
        return NULL;
    }
    sg_strlcpy (v->mrn, mrn, sizeof v->mrn);
    sg_strlcpy (v->office, office, sizeof v->office);
    v->role = role;
    v->created = b->now;
    memmove (&b->views[i + 1], &b->views[i], (b->nviews - i) * sizeof *b->views);
    b->views[i] = v;
    b->nviews++;
    return v;
}

static int64_t
s_i64 (PGresult *r, int row, int col)
{
    return strtoll (PQgetvalue (r, row, col), NULL, 10);
}

int
lc_load (lc_batch_t *b, const char *where, const char *param1, const char *suffix)
{
    char sql[2048];
    snprintf (sql, sizeof sql,
              "SELECT mrn, office, role, state, departure, destination,"
              " array_to_string(transit, ','), array_to_string(notified, ','),"
              " array_to_string(crossed, ','), coalesce(time_limit::text, ''),"
              " coalesce(guarantee_ref, ''), coalesce(guarantee_amount, ''),"
              " coalesce(currency, ''), coalesce(decl_message_id::text, ''),"
              " (extract(epoch FROM created) * 1000)::int8,"
              " coalesce((extract(epoch FROM released) * 1000)::int8, 0),"
              " coalesce((extract(epoch FROM arrived) * 1000)::int8, 0),"
              " coalesce((extract(epoch FROM finished) * 1000)::int8, 0),"
              " (extract(epoch FROM state_since) * 1000)::int8,"
              " events, coalesce(encode(last_hash, 'hex'), '')"
              " FROM movement WHERE %s %s", where, suffix ? suffix : "");
    const char *params[1] = { param1 };
    PGresult *r = lc_query (b, "cannot read the movements", sql, param1 ? 1 : 0, params, 0);
    if (!r)
        return -1;
    int rows = PQntuples (r);
    for (int i = 0; i < rows; i++) {
        int role = lc_role_from_name (PQgetvalue (r, i, 2));
        lc_view_t *v = lc_view_add (b, PQgetvalue (r, i, 0), PQgetvalue (r, i, 1),
                                    role < 0 ? LC_DEPARTURE : (lc_role_t) role);
        if (!v)
            break;
        v->state = lc_state_from_name (PQgetvalue (r, i, 3));
        sg_strlcpy (v->departure, PQgetvalue (r, i, 4), sizeof v->departure);
        sg_strlcpy (v->destination, PQgetvalue (r, i, 5), sizeof v->destination);
        v->n_transit = s_offices_parse (PQgetvalue (r, i, 6), v->transit, LC_MAX_OFFICES);
        v->n_notified = s_offices_parse (PQgetvalue (r, i, 7), v->notified, LC_MAX_OFFICES);
        v->n_crossed = s_offices_parse (PQgetvalue (r, i, 8), v->crossed, LC_MAX_OFFICES);
        sg_strlcpy (v->time_limit, PQgetvalue (r, i, 9), sizeof v->time_limit);
        sg_strlcpy (v->guarantee_ref, PQgetvalue (r, i, 10), sizeof v->guarantee_ref);
        sg_strlcpy (v->guarantee_amount, PQgetvalue (r, i, 11), sizeof v->guarantee_amount);
        sg_strlcpy (v->currency, PQgetvalue (r, i, 12), sizeof v->currency);
        sg_strlcpy (v->decl_id, PQgetvalue (r, i, 13), sizeof v->decl_id);
        v->created = s_i64 (r, i, 14);
        v->released = s_i64 (r, i, 15);
        v->arrived = s_i64 (r, i, 16);
        v->finished = s_i64 (r, i, 17);
        v->state_since = s_i64 (r, i, 18);
        v->events = (int) s_i64 (r, i, 19);
        const char *hex = PQgetvalue (r, i, 20);
        for (int k = 0; k < LC_HASH_LEN && strlen (hex) == 2 * LC_HASH_LEN; k++) {
            unsigned x;
            sscanf (hex + 2 * k, "%2x", &x);
            v->last_hash[k] = (unsigned char) x;
        }
    }
    PQclear (r);
    return b->failed ? -1 : rows;
}

int
lc_event (lc_batch_t *b, lc_view_t *v, const char *message_id, const char *msg_type,
          lc_state_t to, const char *at_office, int64_t at_ms, const lc_work_t *w)
{
    if (s_grow (b, (void **) &b->ev, &b->capev, b->nev, sizeof *b->ev) < 0)
        return SG_ENOMEM;
    lc_ev_t *e = &b->ev[b->nev];
    memset (e, 0, sizeof *e);
    sg_strlcpy (e->mrn, v->mrn, sizeof e->mrn);
    sg_strlcpy (e->office, v->office, sizeof e->office);
    sg_strlcpy (e->at_office, at_office, sizeof e->at_office);
    sg_strlcpy (e->message_id, message_id, sizeof e->message_id);
    for (char *p = e->message_id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char) (*p - 'A' + 'a');
    sg_strlcpy (e->msg_type, msg_type, sizeof e->msg_type);
    e->seq = v->events + 1;
    e->from = v->events ? v->state : LC_NONE;
    e->to = to;
    e->at_ms = at_ms;
    if (w) {
        sg_strlcpy (e->officer, w->officer ? w->officer : "", sizeof e->officer);
        lc_sha256_hex (w->body, w->body_len, e->body_hash);
        lc_sha256_hex (w->sig, w->sig_len, e->sig_hash);
    }
    memcpy (e->prev, v->last_hash, LC_HASH_LEN);
    lc_event_t h = { e->mrn, e->office, e->seq, e->message_id, e->msg_type,
                     lc_state_name (e->from), lc_state_name (to), e->at_office, at_ms,
                     e->officer, e->body_hash, e->sig_hash, 2 };
    if (lc_event_hash (e->prev, &h, e->hash) != SG_OK) {
        lc_oom (b);
        return SG_ENOMEM;
    }
    b->nev++;
    memcpy (v->last_hash, e->hash, LC_HASH_LEN);
    v->events++;
    if (to != v->state)
        v->state_since = b->now;
    if (!v->state_since)
        v->state_since = b->now;
    v->state = to;
    if (to == LC_RELEASED && !v->released)
        v->released = b->now;
    if (to == LC_ARRIVED && !v->arrived)
        v->arrived = b->now;
    if (to == LC_DISCHARGED || to == LC_CANCELLED || to == LC_RECOVERY)
        v->finished = b->now;
    v->dirty = 1;
    b->lc->stats.events++;
    return SG_OK;
}

static void
s_office_add (lc_office_t *list, size_t *n, const char *office)
{
    if (!office || strlen (office) != 8)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp (list[i], office) == 0)
            return;
    if (*n < LC_MAX_OFFICES)
        sg_strlcpy (list[(*n)++], office, sizeof *list);
}

/* The view takes offices, time limit and guarantee from the declaration. */
static void
s_take_decl (lc_view_t *v, const lc_work_t *w)
{
    const msg_declaration_t *d = &w->msg->decl;
    sg_strlcpy (v->departure, d->departure, sizeof v->departure);
    sg_strlcpy (v->destination, d->destination, sizeof v->destination);
    v->n_transit = 0;
    for (size_t i = 0; i < d->n_transit; i++)
        s_office_add (v->transit, &v->n_transit, d->transit[i]);
    if (d->exit[0])
        s_office_add (v->transit, &v->n_transit, d->exit);
    sg_strlcpy (v->time_limit, d->time_limit, sizeof v->time_limit);
    sg_strlcpy (v->guarantee_ref, d->guarantee_ref, sizeof v->guarantee_ref);
    sg_strlcpy (v->guarantee_amount, d->guarantee_amount, sizeof v->guarantee_amount);
    sg_strlcpy (v->currency, d->currency, sizeof v->currency);
    sg_strlcpy (v->decl_id, w->id, sizeof v->decl_id);
    v->decl = w->msg;
    v->dirty = 1;
}

/* Offices told about the movement (for WOF, CAN, ENQ): those notified, or
 * the declared ones when the view has no fan-out on record. */
static size_t
s_involved (const lc_view_t *v, lc_office_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_notified; i++)
        s_office_add (out, &n, v->notified[i]);
    if (!n) {
        s_office_add (out, &n, v->destination);
        for (size_t i = 0; i < v->n_transit; i++)
            s_office_add (out, &n, v->transit[i]);
    }
    return n;
}

/* ---- applying one message --------------------------------------------------- */

static void
s_facts (const lc_work_t *w, const lc_view_t *v, const char *view_office, const char **crossed,
         const char **transit, lc_fact_t *f)
{
    memset (f, 0, sizeof *f);
    f->type = w->type;
    f->mrn = w->mrn;
    f->sender = w->sender;
    f->recipient = w->recipient;
    f->code = w->msg && (w->type == MSG_DCR || w->type == MSG_ENR) ? w->msg->event.code : "";
    f->office = w->msg ? w->msg->event.office : "";
    f->destination = v ? v->destination : "";
    f->departure = v ? v->departure : "";
    f->view_office = view_office;
    f->guarantee_kept = w->msg && w->type == MSG_WOF && !w->msg->event.flag;
    if (v) {
        for (size_t i = 0; i < v->n_crossed; i++)
            crossed[f->n_crossed++] = v->crossed[i];
        /* offices of transit: declared, and those sent an ATR (notified,
         * but for the destination) */
        for (size_t i = 0; i < v->n_transit; i++)
            transit[f->n_transit++] = v->transit[i];
        for (size_t i = 0; i < v->n_notified && f->n_transit < 2 * LC_MAX_OFFICES; i++)
            if (strcmp (v->notified[i], v->destination) != 0)
                transit[f->n_transit++] = v->notified[i];
    }
    f->crossed = crossed;
    f->transit = transit;
    if (w->msg && sg_msg_type_has_declaration (w->msg->type))
        f->decl_departure = w->msg->decl.departure;
}

/* 1 if STR w answers (Correlation-Id) an STQ this node sent about its MRN
 * from w's recipient to w's sender. */
static int
s_asked (lc_batch_t *b, const lc_work_t *w)
{
    if (!w->corr || !*w->corr || !sg_msgid_check (w->corr))
        return 0;
    const char *params[4] = { w->corr, w->mrn, w->recipient, w->sender };
    PGresult *r = lc_query (b, "cannot look up the status request",
                            "SELECT 1 FROM message WHERE id = $1::uuid AND type = 'STQ'"
                            " AND mrn = $2 AND sender = $3 AND recipient = $4"
                            " AND from_peer IS NULL", 4, params, 0);
    int ok = r && PQntuples (r) > 0;
    PQclear (r);
    return ok;
}

/* Performs step st on the view of office (v may be NULL: created when the
 * step leads somewhere). */
static void
s_do (lc_batch_t *b, lc_view_t *v, int role, const char *office, const lc_step_t *st,
      const lc_work_t *w, int *consumed)
{
    int tick = w->type > MSG_TYPE_COUNT;
    if (!st->relevant || b->failed)
        return;
    if (st->actions & LC_ACT_RESYNC) {
        lc_resync (b, v, w);
        *consumed = 1;
        return;
    }
    if (!v) {
        if (st->to == LC_NONE)
            return;
        if (!(v = lc_view_add (b, w->mrn, office, (lc_role_t) role)))
            return;
    }
    if ((st->actions & LC_ACT_DECL) && w->msg && sg_msg_type_has_declaration (w->msg->type))
        s_take_decl (v, w);
    if (st->actions & LC_ACT_CROSS) {
        s_office_add (v->crossed, &v->n_crossed, w->sender);
        v->dirty = 1;
    }
    if (st->actions & LC_ACT_DIVERT) {
        sg_strlcpy (v->destination, w->sender, sizeof v->destination);
        v->dirty = 1;
    }
    if (st->event) {
        char tick_id[MSGID_LEN + 1];
        const char *at = tick ? v->office
                       : w->msg && w->msg->event.office[0] ? w->msg->event.office : w->sender;
        if (tick)
            sg_msgid_new (tick_id);
        lc_event (b, v, tick ? tick_id : w->id,
                  tick ? "TIMER" : sg_msg_type_name ((msg_type_t) w->type), st->to, at, b->now,
                  tick ? NULL : w);
    }
    if (st->actions & LC_ACT_FANOUT) {
        v->n_notified = 0;
        if (lc_gen_decl (b, v, MSG_AAR, v->destination))
            s_office_add (v->notified, &v->n_notified, v->destination);
        for (size_t i = 0; i < v->n_transit; i++)
            if (strcmp (v->transit[i], v->destination) != 0
                && lc_gen_decl (b, v, MSG_ATR, v->transit[i]))
                s_office_add (v->notified, &v->n_notified, v->transit[i]);
    }
    if (st->actions & LC_ACT_AMEND)
        for (size_t i = 0; i < v->n_transit + 1; i++)
            if (i == v->n_transit || strcmp (v->transit[i], v->destination) != 0)
                lc_gen_decl (b, v, MSG_AMD, i == v->n_transit ? v->destination : v->transit[i]);
    if (st->actions & LC_ACT_DIVERT) {
        if (lc_decl (b, v) == SG_OK && lc_gen_decl (b, v, MSG_AAR, w->sender))
            s_office_add (v->notified, &v->n_notified, w->sender);
    }
    lc_office_t inv[LC_MAX_OFFICES];
    size_t ninv = 0;
    if (st->actions & (LC_ACT_WOF | LC_ACT_CAN | LC_ACT_ENQ))
        ninv = s_involved (v, inv);
    if ((st->actions & LC_ACT_WOF) && b->lc->o.discharge_auto)
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, MSG_WOF, inv[i], NULL);
    if (st->actions & LC_ACT_WOF_ALL) {
        ninv = s_involved (v, inv);
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, MSG_WOF, inv[i], NULL);
    }
    if (st->actions & LC_ACT_CAN)
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, MSG_CAN, inv[i], w->msg ? w->msg->event.text : NULL);
    if (st->actions & LC_ACT_ENQ)
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, MSG_ENQ, inv[i], NULL);
    /* What happened upstream reaches the offices still ahead of the truck:
     * every crossing or incident the departure view records is passed on
     * to the offices it notified that have not seen the truck yet. */
    if ((st->actions & (LC_ACT_CROSS | LC_ACT_INCIDENT)) && role == LC_DEPARTURE && w->msg
        && !w->generated) {
        lc_office_t ahead[LC_MAX_OFFICES];
        size_t nahead = s_involved (v, ahead);
        const char *at = w->msg->event.office[0] ? w->msg->event.office : w->sender;
        for (size_t i = 0; i < nahead; i++) {
            int seen = !strcmp (ahead[i], at) || !strcmp (ahead[i], w->sender);
            for (size_t k = 0; k < v->n_crossed && !seen; k++)
                seen = !strcmp (ahead[i], v->crossed[k]);
            if (!seen)
                lc_gen_notice (b, v, w, ahead[i]);
        }
    }
    if (st->actions & LC_ACT_STR) {
        lc_gen_str (b, v, w);
        *consumed = 1;
    }
    if ((st->actions & LC_ACT_INCIDENT) && w->msg
        && s_grow (b, (void **) &b->inc, &b->capinc, b->ninc, sizeof *b->inc) == 0) {
        lc_inc_t *in = &b->inc[b->ninc];
        memset (in, 0, sizeof *in);
        sg_strlcpy (in->id, w->id, sizeof in->id);
        sg_strlcpy (in->mrn, w->mrn, sizeof in->mrn);
        sg_strlcpy (in->office, w->msg->event.office[0] ? w->msg->event.office : w->sender,
                    sizeof in->office);
        sg_strlcpy (in->happened, w->msg->event.datetime, sizeof in->happened);
        sg_strlcpy (in->code, w->msg->event.code, sizeof in->code);
        if (!(in->text = strdup (w->msg->event.text)))
            lc_oom (b);
        else
            b->ninc++;
    }
}

/* The role of our office `office` in the movement an STR describes. */
static int
s_role_in_str (const msg_t *m, const char *office)
{
    if (!m)
        return -1;
    if (strcmp (m->status.departure, office) == 0)
        return LC_DEPARTURE;
    if (strcmp (m->status.destination, office) == 0)
        return LC_DESTINATION;
    for (size_t i = 0; i < m->status.n_transit; i++)
        if (strcmp (m->status.transit[i], office) == 0)
            return LC_TRANSIT;
    return -1;
}

/* Records the refusal of w (NAK message back to office, rejection row,
 * security log for authority); returns code. */
static int
s_refuse (lc_batch_t *b, const lc_work_t *w, const char *office, int code, const char *reason)
{
    const char *type = sg_msg_type_name ((msg_type_t) w->type);
    if (w->generated) {
        sg_log_error ("lifecycle: own message %s %s refused (%d %s); not sent", type, w->id, code,
                   reason);
        return code;
    }
    if (code == SG_NAK_AUTHORIZATION)
        sg_log_warn ("security: %s %s for %s from %s to %s refused for authority: %s", type, w->id,
                  w->mrn, w->sender, w->recipient, reason);
    else
        sg_log_info ("lifecycle: %s %s for %s from %s refused: NAK %d %s", type, w->id, w->mrn,
                  w->sender, code, reason);
    metrics_lifecycle_refusal (code == SG_NAK_AUTHORIZATION ? "authority"
                               : code == SG_NAK_UNKNOWN_MRN ? "unknown" : "sequence",
                               w->mrn, reason);
    if (s_grow (b, (void **) &b->rej, &b->caprej, b->nrej, sizeof *b->rej) < 0)
        return code;
    lc_rej_t *r = &b->rej[b->nrej++];
    memset (r, 0, sizeof *r);
    sg_strlcpy (r->id, w->id, sizeof r->id);
    sg_strlcpy (r->mrn, w->mrn, sizeof r->mrn);
    sg_strlcpy (r->type, type, sizeof r->type);
    sg_strlcpy (r->sender, w->sender, sizeof r->sender);
    sg_strlcpy (r->recipient, w->recipient, sizeof r->recipient);
    r->code = code;
    sg_strlcpy (r->reason, reason, sizeof r->reason);
    lifecycle_gen_t *g = lc_gen_nak (b, w, office, code, reason);
    if (g)
        sg_strlcpy (r->nak_id, g->id, sizeof r->nak_id);
    b->lc->stats.rejected++;
    if (code == SG_NAK_AUTHORIZATION)
        b->lc->stats.refused_authority++;
    return code;
}

/* Authority, then the state machine, for the view of our office `office`
 * (on side) of role; fills *st. Returns 0 or the NAK code. */
static int
s_judge (lc_batch_t *b, const lc_work_t *w, lc_view_t *v, int role, lc_side_t side,
         const char *office, lc_step_t *st)
{
    const char *xc[LC_MAX_OFFICES], *xt[2 * LC_MAX_OFFICES];
    lc_fact_t f;
    s_facts (w, v, office, xc, xt, &f);
    if (w->type == MSG_STR && side == LC_RECIPIENT)
        f.asked = s_asked (b, w);
    memset (st, 0, sizeof *st);
    if (!lc_authorized ((lc_role_t) role, side, v ? v->state : LC_NONE, &f, st->reason,
                        sizeof st->reason)) {
        st->relevant = 1;
        st->nak = SG_NAK_AUTHORIZATION;
        return st->nak;
    }
    lc_step ((lc_role_t) role, side, v ? v->state : LC_NONE, &f, st);
    return st->nak;
}

int
lc_apply (lc_batch_t *b, const lc_work_t *w, int *consumed)
{
    *consumed = 0;
    if (b->failed)
        return 0;
    int tick = w->type > MSG_TYPE_COUNT;
    lc_view_t *vs = NULL, *vr = NULL;
    lc_step_t ss, sr;
    int rs = -1, rr = -1;
    memset (&ss, 0, sizeof ss);
    memset (&sr, 0, sizeof sr);
    if (lc_own (b->lc, w->sender)) {
        vs = lc_find (b, w->mrn, w->sender);
        rs = vs ? (int) vs->role : lc_role_for (LC_SENDER, w->type);
        if (rs >= 0)
            s_judge (b, w, vs, rs, LC_SENDER, w->sender, &ss);
    }
    if (!ss.nak && !tick && strcmp (w->recipient, w->sender) != 0
        && lc_own (b->lc, w->recipient)) {
        vr = lc_find (b, w->mrn, w->recipient);
        rr = vr ? (int) vr->role : w->type == MSG_STR ? s_role_in_str (w->msg, w->recipient)
                                 : lc_role_for (LC_RECIPIENT, w->type);
        if (rr >= 0)
            s_judge (b, w, vr, rr, LC_RECIPIENT, w->recipient, &sr);
        else if (w->type == MSG_STQ) {
            sr.relevant = 1;
            sr.nak = SG_NAK_UNKNOWN_MRN;
            snprintf (sr.reason, sizeof sr.reason, "STQ: no record of movement %s at office %s",
                      w->mrn, w->recipient);
        }
        else if (w->type == MSG_STR) {
            sr.relevant = 1;
            sr.nak = SG_NAK_AUTHORIZATION;
            snprintf (sr.reason, sizeof sr.reason, "STR from %s refused: office %s has no role"
                      " in movement %s that the status describes", w->sender, w->recipient,
                      w->mrn);
        }
    }
    if (b->failed)
        return 0;
    if (ss.nak)
        return s_refuse (b, w, w->sender, ss.nak, ss.reason);
    if (sr.nak)
        return s_refuse (b, w, w->recipient, sr.nak, sr.reason);
    if (rs >= 0)
        s_do (b, vs, rs, w->sender, &ss, w, consumed);
    if (rr >= 0)
        s_do (b, vr, rr, w->recipient, &sr, w, consumed);
    if (ss.relevant || sr.relevant)
        b->lc->stats.applied++;
    return 0;
}

int
lc_end (lc_batch_t *b, int rc)
{
    if (rc == SG_OK && b->failed)
        rc = b->diag.code ? b->diag.code : SG_EDB;
    if (rc != SG_OK)
        store_rollback (b->store);
    else if (store_commit (b->store, "cannot commit the lifecycle transaction", &b->diag) != SG_OK) {
        b->failed = 1;
        rc = SG_EDB;
    }
    for (size_t i = 0; i < b->nviews; i++) {
        sg_msg_destroy (&b->views[i]->decl_own);
        free (b->views[i]);
    }
    free (b->views);
    free (b->ev);
    free (b->rej);
    for (size_t i = 0; i < b->ninc; i++)
        free (b->inc[i].text);
    free (b->inc);
    b->views = NULL;
    b->ev = NULL;
    b->rej = NULL;
    b->inc = NULL;
    b->nviews = b->nev = b->nrej = b->ninc = 0;
    return rc;
}
