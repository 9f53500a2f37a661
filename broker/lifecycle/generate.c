/* generate.c - the messages the lifecycle makes (AAR/ATR fan-out and
 * diversion, WOF, CAN, ENQ, NAK, STR, STQ): built as message structs,
 * serialised canonically (sg_msg_serialize validates what it writes), given
 * an SGTP/1 header with this node as Origin-Node, signed with the node's
 * key and routed like anything the node stores. It uses the views
 * (lifecycle/views.c) and the table's names and formats (lifecycle.c),
 * nothing above them. */
#include "lifecycle/lifecycle_int.h"
#include "header.h"
#include "ident.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_header (lifecycle_gen_t *g, const char *node, const sg_sign_key_t *key, int64_t now)
{
    char created[SG_HDR_TIME_LEN + 1], key_id[SG_SIGN_KEY_ID_LEN + 1];
    sg_hdr_time_format (now, created);
    if (sg_sign_key_id (key, key_id) != SG_OK)
        return SG_EINVAL;
    sg_header_fields_t f = { .id = g->id, .type = g->type, .mrn = g->mrn, .sender = g->sender,
                             .recipient = g->recipient, .created = created, .origin = node,
                             .correlation_id = g->corr, .key_id = key_id };
    return sg_header_build (&f, &g->header, &g->header_len);
}

static void
s_gen_free (lifecycle_gen_t *g)
{
    if (!g)
        return;
    free (g->header);
    free (g->body);
    sg_msg_destroy (&g->own);
    free (g);
}

lifecycle_gen_t *
lc_gen (lc_batch_t *b, sg_msg_t *m, const char *mrn, const char *sender, const char *recipient,
        const char *corr, const sg_msg_t *src)
{
    const lifecycle_opts_t *o = &b->lc->o;
    lifecycle_out_t *out = b->out;
    if (b->failed)
        return NULL;
    lifecycle_gen_t *g = calloc (1, sizeof *g);
    if (!g) {
        lc_oom (b);
        return NULL;
    }
    sg_msgid_new (g->id);
    sg_strlcpy (g->type, sg_msg_type_name (m->type), sizeof g->type);
    sg_strlcpy (g->mrn, mrn, sizeof g->mrn);
    sg_strlcpy (g->sender, sender, sizeof g->sender);
    sg_strlcpy (g->recipient, recipient, sizeof g->recipient);
    sg_strlcpy (g->corr, corr ? corr : "", sizeof g->corr);
    for (char *p = g->corr; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char) (*p - 'A' + 'a');
    g->type_code = m->type;
    g->src = src;
    sg_strlcpy (m->id, g->id, sizeof m->id);
    lc_format_datetime (b->now, m->issued);
    sg_strlcpy (m->mrn, mrn, sizeof m->mrn);
    sg_strlcpy (m->sender, sender, sizeof m->sender);
    sg_strlcpy (m->recipient, recipient, sizeof m->recipient);
    sg_strlcpy (m->correlation_id, g->corr, sizeof m->correlation_id);
    sg_diag_t d;
    sg_diag_clear (&d);
    if (sg_msg_serialize (m, &g->body, &g->body_len, &d) != SG_OK) {
        /* A message we cannot express (bad stored data): say so, carry on. */
        sg_log_error ("lifecycle: cannot make %s for %s to %s: %s", g->type, mrn, recipient,
                      d.text);
        s_gen_free (g);
        return NULL;
    }
    if (s_header (g, o->node_name, o->sign_key, b->now) != SG_OK
        || sg_sign_message (o->sign_key, g->header, g->header_len, g->body, g->body_len, g->sig)
               != SG_OK) {
        sg_log_error ("lifecycle: cannot make the header or signature of %s for %s", g->type, mrn);
        s_gen_free (g);
        lc_oom (b);
        return NULL;
    }
    const char *hop = o->router && *o->router ? routes_lookup (*o->router, recipient) : NULL;
    if (hop)
        sg_strlcpy (g->hop, hop, sizeof g->hop);
    else
        sg_log_warn ("lifecycle: no route to office %s: %s %s for %s stored, not sent", recipient,
                  g->type, g->id, mrn);
    g->sm = (store_msg_t) { .id = g->id, .type = g->type, .mrn = g->mrn, .sender = g->sender,
                            .recipient = g->recipient, .origin_node = o->node_name,
                            .correlation_id = g->corr[0] ? g->corr : NULL, .from_peer = NULL,
                            .header = g->header, .header_len = g->header_len,
                            .body = g->body, .body_len = g->body_len,
                            .signature = g->sig, .signature_len = SG_SIGN_LEN,
                            .next_hop = hop ? g->hop : NULL };
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 32;
        lifecycle_gen_t **p = realloc (out->gen, cap * sizeof *p);
        if (!p) {
            s_gen_free (g);
            lc_oom (b);
            return NULL;
        }
        out->gen = p;
        out->cap = cap;
    }
    out->gen[out->n++] = g;
    b->lc->stats.generated++;
    return g;
}

void
lc_gen_truncate (lifecycle_out_t *out, size_t from)
{
    while (out->n > from)
        s_gen_free (out->gen[--out->n]);
}

void
lifecycle_out_clear (lifecycle_out_t *out)
{
    if (!out)
        return;
    lc_gen_truncate (out, 0);
    free (out->gen);
    memset (out, 0, sizeof *out);
}

lifecycle_gen_t *
lc_gen_decl (lc_batch_t *b, lc_view_t *v, sg_msg_type_t type, const char *office)
{
    if (lc_decl (b, v) != SG_OK)
        return NULL;
    sg_msg_t *m = sg_msg_new (type);
    if (!m) {
        lc_oom (b);
        return NULL;
    }
    m->decl = v->decl->decl;            /* borrowed lists: cleared before destroy */
    lifecycle_gen_t *g = lc_gen (b, m, v->mrn, v->office, office, NULL, v->decl);
    memset (&m->decl, 0, sizeof m->decl);
    sg_msg_destroy (&m);
    return g;
}

lifecycle_gen_t *
lc_gen_event (lc_batch_t *b, lc_view_t *v, sg_msg_type_t type, const char *office, const char *text)
{
    sg_msg_t *m = sg_msg_new (type);
    if (!m) {
        lc_oom (b);
        return NULL;
    }
    lc_format_date (b->now, m->event.date);
    if (type == SG_MSG_WOF)
        m->event.flag = 1;
    else if (type == SG_MSG_CAN)
        sg_strlcpy (m->event.text, text && *text ? text : "cancelled by the office of departure",
                    sizeof m->event.text);
    else if (type == SG_MSG_ENQ)
        snprintf (m->event.text, sizeof m->event.text,
                  "time limit %s passed without arrival advice; please report what you know",
                  v->time_limit[0] ? v->time_limit : "(none)");
    lifecycle_gen_t *g = lc_gen (b, m, v->mrn, v->office, office, NULL, NULL);
    sg_msg_destroy (&m);
    return g;
}

lifecycle_gen_t *
lc_gen_nak (lc_batch_t *b, const lc_work_t *w, const char *office, int code, const char *reason)
{
    sg_msg_t *m = sg_msg_new (SG_MSG_NAK);
    if (!m) {
        lc_oom (b);
        return NULL;
    }
    m->result.code = code;
    sg_strlcpy (m->result.reason, reason, sizeof m->result.reason);
    lifecycle_gen_t *g = lc_gen (b, m, w->mrn, office, w->sender, w->id, NULL);
    sg_msg_destroy (&m);
    return g;
}

lifecycle_gen_t *
lc_gen_stq (lc_batch_t *b, const char *mrn, const char *own, const char *peer)
{
    sg_msg_t *m = sg_msg_new (SG_MSG_STQ);
    if (!m) {
        lc_oom (b);
        return NULL;
    }
    lifecycle_gen_t *g = lc_gen (b, m, mrn, own, peer, NULL, NULL);
    sg_msg_destroy (&m);
    return g;
}

static void
s_add_status_event (void *arg, const char *id, const char *from, const char *to,
                    const char *office, int64_t at_ms)
{
    sg_msg_t *m = arg;
    if (m->status.n_events >= SG_MSG_MAX_EVENTS)
        return;
    sg_msg_status_event_t *e = sg_msg_add_status_event (m);
    if (!e)
        return;
    sg_strlcpy (e->message_id, id, sizeof e->message_id);
    sg_strlcpy (e->from, from, sizeof e->from);
    sg_strlcpy (e->to, to, sizeof e->to);
    sg_strlcpy (e->office, office, sizeof e->office);
    lc_format_datetime (at_ms, e->at);
}

lifecycle_gen_t *
lc_gen_str (lc_batch_t *b, lc_view_t *v, const lc_work_t *w)
{
    sg_msg_t *m = sg_msg_new (SG_MSG_STR);
    if (!m) {
        lc_oom (b);
        return NULL;
    }
    sg_strlcpy (m->status.role, lc_role_name (v->role), sizeof m->status.role);
    sg_strlcpy (m->status.state, lc_state_name (v->state), sizeof m->status.state);
    sg_strlcpy (m->status.departure, v->departure, sizeof m->status.departure);
    sg_strlcpy (m->status.destination, v->destination, sizeof m->status.destination);
    for (size_t i = 0; i < v->n_transit && i < SG_MSG_MAX_TRANSIT; i++)
        sg_msg_add_transit_office (m, v->transit[i]);
    lifecycle_gen_t *g = NULL;
    if (lc_events (b, v, s_add_status_event, m) == SG_OK)
        g = lc_gen (b, m, v->mrn, v->office, w->sender, w->id, NULL);
    sg_msg_destroy (&m);
    return g;
}

lifecycle_gen_t *
lc_gen_notice (lc_batch_t *b, lc_view_t *v, const lc_work_t *w, const char *office)
{
    const sg_msg_event_t *s = &w->msg->event;
    sg_msg_t *m = sg_msg_new (w->msg->type);
    if (!m) {
        lc_oom (b);
        return NULL;
    }
    sg_msg_event_t *e = &m->event;
    memcpy (e->office, s->office, sizeof e->office);
    memcpy (e->datetime, s->datetime, sizeof e->datetime);
    memcpy (e->code, s->code, sizeof e->code);
    memcpy (e->text, s->text, sizeof e->text);
    e->has_new_means = s->has_new_means;
    e->new_means = s->new_means;
    for (size_t i = 0; i < s->n_seals; i++)
        if (sg_msg_add_seal (m, s->seals[i]) != SG_OK) {
            lc_oom (b);
            sg_msg_destroy (&m);
            return NULL;
        }
    if (!e->office[0])
        sg_strlcpy (e->office, w->sender, sizeof e->office);
    lifecycle_gen_t *g = lc_gen (b, m, v->mrn, v->office, office, w->id, NULL);
    sg_msg_destroy (&m);
    return g;
}
