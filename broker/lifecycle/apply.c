/* apply.c - applying one message (or timer tick) to the views of a
 * lifecycle transaction: who may send it (authority), what the transition
 * table says for each view of ours it concerns, and what follows: events,
 * the view's offices, incidents, refusals with a NAK, the messages to make
 * (generate.c), and the events of an STR a view misses (resynchronisation).
 * lifecycle/tracker.c and lifecycle/timers.c drive a batch through it. */
#include "lifecycle/lifecycle_int.h"
#include "header.h"
#include "ident.h"
#include "log.h"
#include "monitor/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the offices of a view ------------------------------------------------ */

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
    const sg_msg_declaration_t *d = &w->msg->decl;
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
    f->code = w->msg && (w->type == SG_MSG_DCR || w->type == SG_MSG_ENR) ? w->msg->event.code : "";
    f->office = w->msg ? w->msg->event.office : "";
    f->destination = v ? v->destination : "";
    f->departure = v ? v->departure : "";
    f->view_office = view_office;
    f->guarantee_kept = w->msg && w->type == SG_MSG_WOF && !w->msg->event.flag;
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
    int tick = w->type > SG_MSG_TYPE_COUNT;
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
                  tick ? "TIMER" : sg_msg_type_name ((sg_msg_type_t) w->type), st->to, at, b->now,
                  tick ? NULL : w);
    }
    if (st->actions & LC_ACT_FANOUT) {
        v->n_notified = 0;
        if (lc_gen_decl (b, v, SG_MSG_AAR, v->destination))
            s_office_add (v->notified, &v->n_notified, v->destination);
        for (size_t i = 0; i < v->n_transit; i++)
            if (strcmp (v->transit[i], v->destination) != 0
                && lc_gen_decl (b, v, SG_MSG_ATR, v->transit[i]))
                s_office_add (v->notified, &v->n_notified, v->transit[i]);
    }
    if (st->actions & LC_ACT_AMEND)
        for (size_t i = 0; i < v->n_transit + 1; i++)
            if (i == v->n_transit || strcmp (v->transit[i], v->destination) != 0)
                lc_gen_decl (b, v, SG_MSG_AMD, i == v->n_transit ? v->destination : v->transit[i]);
    if (st->actions & LC_ACT_DIVERT) {
        if (lc_decl (b, v) == SG_OK && lc_gen_decl (b, v, SG_MSG_AAR, w->sender))
            s_office_add (v->notified, &v->n_notified, w->sender);
    }
    lc_office_t inv[LC_MAX_OFFICES];
    size_t ninv = 0;
    if (st->actions & (LC_ACT_WOF | LC_ACT_CAN | LC_ACT_ENQ))
        ninv = s_involved (v, inv);
    if ((st->actions & LC_ACT_WOF) && b->lc->o.discharge_auto)
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, SG_MSG_WOF, inv[i], NULL);
    if (st->actions & LC_ACT_WOF_ALL) {
        ninv = s_involved (v, inv);
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, SG_MSG_WOF, inv[i], NULL);
    }
    if (st->actions & LC_ACT_CAN)
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, SG_MSG_CAN, inv[i], w->msg ? w->msg->event.text : NULL);
    if (st->actions & LC_ACT_ENQ)
        for (size_t i = 0; i < ninv; i++)
            lc_gen_event (b, v, SG_MSG_ENQ, inv[i], NULL);
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
        && lc_grow (b, (void **) &b->inc, &b->capinc, b->ninc, sizeof *b->inc) == 0) {
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
s_role_in_str (const sg_msg_t *m, const char *office)
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
    const char *type = sg_msg_type_name ((sg_msg_type_t) w->type);
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
    if (lc_grow (b, (void **) &b->rej, &b->caprej, b->nrej, sizeof *b->rej) < 0)
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
    if (w->type == SG_MSG_STR && side == LC_RECIPIENT)
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
    int tick = w->type > SG_MSG_TYPE_COUNT;
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
        rr = vr ? (int) vr->role : w->type == SG_MSG_STR ? s_role_in_str (w->msg, w->recipient)
                                 : lc_role_for (LC_RECIPIENT, w->type);
        if (rr >= 0)
            s_judge (b, w, vr, rr, LC_RECIPIENT, w->recipient, &sr);
        else if (w->type == SG_MSG_STQ) {
            sr.relevant = 1;
            sr.nak = SG_NAK_UNKNOWN_MRN;
            snprintf (sr.reason, sizeof sr.reason, "STQ: no record of movement %s at office %s",
                      w->mrn, w->recipient);
        }
        else if (w->type == SG_MSG_STR) {
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

void
lc_apply_made (lc_batch_t *b, size_t from)
{
    for (size_t k = from; k < b->out->n && !b->failed; k++) {
        lifecycle_gen_t *g = b->out->gen[k];
        lc_work_t w = { .type = g->type_code, .id = g->id, .mrn = g->mrn, .sender = g->sender,
                        .recipient = g->recipient, .msg = g->src ? g->src : g->own,
                        .generated = 1, .corr = g->corr, .body = g->body,
                        .body_len = g->body_len, .sig = g->sig, .sig_len = SG_SIGN_LEN };
        int consumed = 0;
        lc_apply (b, &w, &consumed);
    }
}

/* ---- resynchronisation ---------------------------------------------------- */

typedef struct {
    char (*ids)[37];
    size_t n, cap;
} s_ids_t;

static void
s_collect_id (void *arg, const char *id, const char *from, const char *to, const char *office,
              int64_t at_ms)
{
    (void) from, (void) to, (void) office, (void) at_ms;
    s_ids_t *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        char (*p)[37] = realloc (s->ids, cap * sizeof *p);
        if (!p)
            return;
        s->ids = p;
        s->cap = cap;
    }
    sg_strlcpy (s->ids[s->n++], id, 37);
}

int
lc_resync (lc_batch_t *b, lc_view_t *v, const lc_work_t *w)
{
    const sg_msg_t *m = w->msg;
    if (!m || m->type != SG_MSG_STR)
        return 0;
    int remote = lc_role_from_name (m->status.role);
    if (remote < 0)
        return 0;
    if (!v) {
        int role = strcmp (m->status.departure, w->recipient) == 0 ? LC_DEPARTURE
                 : strcmp (m->status.destination, w->recipient) == 0 ? LC_DESTINATION : -1;
        for (size_t i = 0; role < 0 && i < m->status.n_transit; i++)
            if (strcmp (m->status.transit[i], w->recipient) == 0)
                role = LC_TRANSIT;
        if (role < 0 || !(v = lc_view_add (b, w->mrn, w->recipient, (lc_role_t) role)))
            return 0;
    }
    if (v->role != LC_DEPARTURE) {
        sg_strlcpy (v->departure, m->status.departure, sizeof v->departure);
        sg_strlcpy (v->destination, m->status.destination, sizeof v->destination);
        v->n_transit = 0;
        for (size_t i = 0; i < m->status.n_transit && i < LC_MAX_OFFICES; i++)
            sg_strlcpy (v->transit[v->n_transit++], m->status.transit[i], sizeof *v->transit);
        v->dirty = 1;
    }
    s_ids_t have = { 0 };
    if (v->events && lc_events (b, v, s_collect_id, &have) != SG_OK)
        return 0;
    int applied = 0;
    for (size_t i = 0; i < m->status.n_events && !b->failed; i++) {
        const sg_msg_status_event_t *e = &m->status.events[i];
        int seen = 0;
        for (size_t k = 0; k < have.n && !seen; k++)
            seen = strcasecmp (have.ids[k], e->message_id) == 0;
        if (seen)
            continue;
        lc_state_t to = lc_resync_map (v->role, v->office, (lc_role_t) remote,
                                       lc_state_from_name (e->to), e->office);
        if (to == LC_NONE
            || (v->state != LC_NONE && lc_rank (v->role, to) <= lc_rank (v->role, v->state)))
            continue;
        int64_t at;
        if (sg_hdr_time_parse (e->at, &at) != SG_OK)
            at = b->now;
        if (lc_event (b, v, e->message_id, "STR", to, e->office, at, NULL) == SG_OK)
            applied++;
    }
    free (have.ids);
    if (applied)
        sg_log_info ("lifecycle: %s at %s resynchronised from %s's %s view: %d events, now %s",
                  v->mrn, v->office, w->sender, m->status.role, applied,
                  lc_state_name (v->state));
    return applied;
}
