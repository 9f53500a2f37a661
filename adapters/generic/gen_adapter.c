/* gen_adapter.c - sigmat-generic's assembly and its node link: queued API
 * submissions go out through lib/client.h with a header built once and
 * stored; ACK/NAK are recorded; DELIVERs become durable webhooks before
 * they are ACKed. */
#include "gen_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "gen_json.h"
#include "header.h"
#include "log.h"
#include "officer.h"
#include "msg.h"
#include "sign.h"

gen_adapter_t *
gen_adapter_new (const gen_conf_t *conf, sg_diag_t *diag)
{
    gen_adapter_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    self->conf = conf;
    gen_xslt_init ();
    if (!(self->state = gen_state_new (conf->state_db, diag)))
        goto fail;
    if (conf->xml_input_xslt && !(self->xml_in = gen_xslt_load (conf->xml_input_xslt, diag)))
        goto fail;
    if (conf->xml_input_schema && !(self->xml_schema = schema_load (conf->xml_input_schema, diag)))
        goto fail;
    if (conf->n_type_xslt && !(self->out_xslt = calloc (conf->n_type_xslt, sizeof (gen_xslt_t *))))
        goto fail;
    for (size_t i = 0; i < conf->n_type_xslt; i++)
        if (!(self->out_xslt[i] = gen_xslt_load (conf->type_xslt[i].path, diag)))
            goto fail;
    if (conf->webhook_url && !(self->webhook = gen_webhook_new (conf, self->state, diag)))
        goto fail;
    if (gen_api_start (self, diag) != SG_OK)
        goto fail;
    return self;
fail:
    gen_adapter_destroy (&self);
    return NULL;
}

void
gen_adapter_destroy (gen_adapter_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gen_adapter_t *self = *self_p;
    gen_api_stop (self);
    gen_webhook_destroy (&self->webhook);
    for (size_t i = 0; self->out_xslt && i < self->conf->n_type_xslt; i++)
        gen_xslt_destroy (&self->out_xslt[i]);
    free (self->out_xslt);
    gen_xslt_destroy (&self->xml_in);
    schema_destroy (&self->xml_schema);
    gen_state_destroy (&self->state);
    free (self);
    *self_p = NULL;
}

int
gen_adapter_port (const gen_adapter_t *self)
{
    return self->port;
}

/* The state an incoming message moves the recipient's view to, or NULL. */
static const char *
s_in_state (const msg_t *m)
{
    switch (m->type) {
    case MSG_AAR: case MSG_ATR: return "ANTICIPATED";
    case MSG_NCF: return "EN_ROUTE";
    case MSG_ARR: return "ARRIVED";
    case MSG_DCR: return strcmp (m->event.code, "B1") ? "CONTROLLED" : "DISCREPANCY";
    case MSG_WOF: return m->event.flag ? "DISCHARGED" : "RECOVERY";
    case MSG_ENR: return strcmp (m->event.code, "AR") ? NULL : "ARRIVED";
    case MSG_CAN: return "CANCELLED";
    case MSG_ENQ: return "UNDER_ENQUIRY";
    default: return NULL;
    }
}

/* Joins the declaration's transit offices with commas into buf. */
static void
s_transits (const msg_declaration_t *d, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = 0; i < d->n_transit; i++) {
        size_t n = strlen (buf);
        snprintf (buf + n, size - n, "%s%s", i ? "," : "", d->transit[i]);
    }
}

/* Builds the webhook payload of m (JSON, or XML through its stylesheet). */
static int
s_payload (gen_adapter_t *self, const msg_t *m, const char *header, size_t hlen,
           const char *body, size_t blen, gen_hook_t *hook, sg_diag_t *diag)
{
    const gen_conf_t *c = self->conf;
    if (!strcmp (c->webhook_format, "xml")) {
        gen_xslt_t *x = NULL;
        for (size_t i = 0; i < c->n_type_xslt; i++)
            if (!strcmp (c->type_xslt[i].type, msg_type_name (m->type)))
                x = self->out_xslt[i];
        sg_strlcpy (hook->content_type, "application/xml", sizeof hook->content_type);
        if (!x) {
            if (!(hook->payload = malloc (blen + 1)))
                return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            memcpy (hook->payload, body, blen);
            hook->payload[blen] = 0;
            hook->payload_len = blen;
            return SG_OK;
        }
        xmlDocPtr doc = xmlsafe_parse (body, blen, NULL, diag);
        if (!doc)
            return diag->code;
        const char *names[GEN_MAX_PARAMS], *values[GEN_MAX_PARAMS];
        for (size_t i = 0; i < c->n_params; i++)
            names[i] = c->params[i].name, values[i] = c->params[i].value;
        int rc = gen_xslt_apply_bytes (x, doc, names, values, c->n_params, &hook->payload,
                                       &hook->payload_len, diag);
        xmlFreeDoc (doc);
        return rc;
    }
    json_t *j = gen_json_from_msg (m);
    hdr_t *h = NULL;
    if (j && hdr_parse (header, hlen, &h, NULL) == SG_OK && hdr_get (h, HDR_ORIGIN_NODE))
        json_object_set_new (j, "OriginNode", json_string (hdr_get (h, HDR_ORIGIN_NODE)));
    hdr_destroy (&h);
    hook->payload = j ? json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (j);
    if (!hook->payload)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    hook->payload_len = strlen (hook->payload);
    sg_strlcpy (hook->content_type, "application/json", sizeof hook->content_type);
    return SG_OK;
}

int
gen_adapter_deliver (gen_adapter_t *self, const char *header, size_t hlen, const char *body,
                     size_t blen, sg_diag_t *diag)
{
    msg_t *m = NULL;
    gen_hook_t hook;
    gen_view_t view;
    memset (&hook, 0, sizeof hook);
    memset (&view, 0, sizeof view);
    char transits[90] = "", *decl = NULL;
    int rc = msg_parse (body, blen, NULL, &m, diag);
    if (rc != SG_OK)
        goto done;
    /* A message we sent ourselves, addressed to one of our own offices (a
     * DEC or REL names the departure office as recipient), comes back from
     * the node: it is no news for the national system. */
    if (gen_state_out_known (self->state, m->id)) {
        log_debug ("%s %s is our own message back from the node", msg_type_name (m->type), m->id);
        goto done;
    }
    /* Only the movement's office of departure may write it off or cancel it. */
    if ((m->type == MSG_WOF || m->type == MSG_CAN)
        && (gen_state_view (self->state, m->mrn, NULL, &view) != SG_OK
            || strcmp (view.departure, m->sender) != 0)) {
        log_error ("security: refused %s %s for MRN %s from %s: only the movement's office of "
                   "departure (%s) may %s it; nothing applied, no webhook",
                   msg_type_name (m->type), m->id, m->mrn, m->sender,
                   view.departure[0] ? view.departure : "unknown here",
                   m->type == MSG_WOF ? "write off" : "cancel");
        free (view.decl);
        memset (&view, 0, sizeof view);
        goto done;
    }
    free (view.decl);
    memset (&view, 0, sizeof view);
    if ((rc = s_payload (self, m, header, hlen, body, blen, &hook, diag)) != SG_OK) {
        /* Our mapping failed, not the message: leave it unacknowledged at
         * the node (resent later, e.g. after the stylesheet is fixed). */
        if (diag)
            diag->nak = 0;
        goto done;
    }
    sg_strlcpy (hook.id, m->id, sizeof hook.id);
    sg_strlcpy (hook.mrn, m->mrn, sizeof hook.mrn);
    sg_strlcpy (hook.type, msg_type_name (m->type), sizeof hook.type);
    int has_view = gen_state_view (self->state, m->mrn, m->recipient, &view) == SG_OK;
    /* A crossing or incident the office of departure passes on is news from
     * upstream for the national system (webhook), not a step of this view. */
    int notice = (m->type == MSG_NCF || m->type == MSG_INC) && has_view
                 && !strcmp (view.departure, m->sender);
    gen_mvt_t mvt = { .mrn = m->mrn, .office = m->recipient,
                      .state = notice ? NULL : s_in_state (m),
                      .message_id = m->id, .type = hook.type, .direction = "in" };
    if (m->type == MSG_AAR || m->type == MSG_ATR) {
        const msg_declaration_t *d = &m->decl;
        s_transits (d, transits, sizeof transits);
        if (!(decl = strndup (body, blen))) {
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto done;
        }
        mvt.role = m->type == MSG_AAR ? "DESTINATION" : "TRANSIT";
        mvt.departure = d->departure, mvt.destination = d->destination;
        mvt.transits = transits, mvt.lrn = d->lrn, mvt.decl = decl;
    }
    int dup = 0;
    rc = gen_state_deliver (self->state, &hook, (has_view || mvt.role) ? &mvt : NULL, &dup);
    if (rc != SG_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot queue the webhook");
        goto done;
    }
    log_info ("%s %s %s for %s queued for the webhook%s", hook.type, m->mrn, m->id, m->recipient,
              dup ? " (already queued)" : "");
    gen_webhook_kick (self->webhook);
done:
    free (decl);
    free (view.decl);
    gen_hook_clear (&hook);
    msg_destroy (&m);
    return rc;
}

/* ---- the node link ---- */

typedef struct {
    int64_t seq;
    char id[37];
    char *header, *body;
    size_t hlen, blen;
    char type[4], mrn[19];
    char officer[OFFICER_ID_MAX + 1];
} s_pending_t;

typedef struct {
    s_pending_t *items;
    size_t n, cap;
} s_batch_t;

static int
s_collect (void *arg, const gen_out_t *o)
{
    s_batch_t *b = arg;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        s_pending_t *p = realloc (b->items, cap * sizeof *p);
        if (!p)
            return SG_ENOMEM;
        b->items = p, b->cap = cap;
    }
    s_pending_t *p = &b->items[b->n];
    memset (p, 0, sizeof *p);
    p->seq = o->seq;
    sg_strlcpy (p->id, o->id, sizeof p->id);
    sg_strlcpy (p->type, o->type, sizeof p->type);
    sg_strlcpy (p->mrn, o->mrn, sizeof p->mrn);
    sg_strlcpy (p->officer, o->officer ? o->officer : "", sizeof p->officer);
    p->header = o->header_len ? strndup (o->header, o->header_len) : NULL;
    p->hlen = o->header_len;
    p->body = strndup (o->body, o->body_len);
    p->blen = o->body_len;
    b->n++;
    return p->body ? SG_OK : SG_ENOMEM;
}

/* Builds the SGTP header of a stored message from its body. */
static int
s_build_header (sg_client_t *client, s_pending_t *p)
{
    msg_head_t head;
    hdr_t *h = hdr_new ();
    char created[HDR_TIME_LEN + 1];
    int rc = msg_peek (p->body, p->blen, &head, NULL);
    hdr_time_now (created);
    if (rc == SG_OK && h)
        rc = hdr_set (h, HDR_MESSAGE_ID, head.id) || hdr_set (h, HDR_TYPE, p->type)
             || hdr_set (h, HDR_MRN, head.mrn) || hdr_set (h, HDR_SENDER, head.sender)
             || hdr_set (h, HDR_RECIPIENT, head.recipient) || hdr_set (h, HDR_CREATED, created)
             || hdr_set (h, HDR_ORIGIN_NODE, sg_client_node_name (client))
             || (head.correlation_id[0] && hdr_set (h, HDR_CORRELATION_ID, head.correlation_id))
             || (p->officer[0] && hdr_set (h, OFFICER_HEADER, p->officer))
             ? SG_EINVAL : SG_OK;
    if (rc == SG_OK)
        rc = h ? hdr_encode (h, &p->header, &p->hlen) : SG_ENOMEM;
    hdr_destroy (&h);
    return rc;
}

/* Hands every queued message after *handed to the client. */
static void
s_pump (gen_adapter_t *self, sg_client_t *client, int64_t *handed)
{
    s_batch_t b = { NULL, 0, 0 };
    gen_state_out_pending (self->state, *handed, s_collect, &b);
    for (size_t i = 0; i < b.n; i++) {
        s_pending_t *p = &b.items[i];
        if (!p->header) {
            if (s_build_header (client, p) != SG_OK) {
                log_error ("cannot build the header of %s %s", p->type, p->id);
                continue;
            }
            gen_state_out_set_header (self->state, p->id, p->header, p->hlen);
        }
        if (sg_client_send (client, p->header, p->hlen, p->body, p->blen) != SG_OK) {
            log_error ("cannot send %s %s to the node", p->type, p->id);
            atomic_store (&self->dirty, 1);     /* try again on the next turn */
            break;
        }
        *handed = p->seq;
    }
    for (size_t i = 0; i < b.n; i++) {
        free (b.items[i].header);
        free (b.items[i].body);
    }
    free (b.items);
}

static sg_client_t *
s_connect (gen_adapter_t *self, sg_diag_t *diag)
{
    const gen_conf_t *c = self->conf;
    char srv[SIGN_CURVE_Z85_LEN + 1], pub[SIGN_CURVE_Z85_LEN + 1], sec[SIGN_CURVE_Z85_LEN + 1];
    sg_client_opts_t o = { .endpoint = c->node_endpoint, .name = c->name, .role = "adapter",
                           .timeout_ms = 2000 };
    if (c->node_public) {
        if (sign_curve_load (c->node_public, srv) || sign_curve_load (c->curve_public, pub)
            || sign_curve_load (c->curve_secret, sec)) {
            sg_diag_set (diag, SG_EKEY, 0, 0, "cannot read the CURVE key files");
            return NULL;
        }
        o.server_public_z85 = srv, o.public_z85 = pub, o.secret_z85 = sec;
    }
    return sg_client_new (&o, diag);
}

/* Retention of the state file, once a minute (at once again while
 * batches are full); returns the rows removed, 0 when not due. */
static int
s_retention (gen_adapter_t *self, int64_t *next)
{
    enum { S_BATCH = 500 };
    const gen_conf_t *c = self->conf;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    int64_t now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (!c->retention || !c->archive_dir || !c->archive_dir[0] || now < *next)
        return 0;
    sg_diag_t d;
    int n = gen_state_prune (self->state, c->archive_dir, c->name ? c->name : "generic",
                             now - c->retention, S_BATCH, &d);
    if (n < 0)
        log_error ("%s", d.text);
    else if (n > 0)
        log_info ("retention: archived and removed %d old rows of the state file", n);
    *next = now + (n >= S_BATCH ? 0 : 60000);
    return n < 0 ? 0 : n;
}

int
gen_adapter_run (gen_adapter_t *self, volatile sig_atomic_t *stop)
{
    sg_client_t *client = NULL;
    sg_event_t ev;
    memset (&ev, 0, sizeof ev);
    int64_t handed = 0, next_retention = 0;
    int warned = 0;
    while (!*stop) {
        s_retention (self, &next_retention);
        if (!client) {
            sg_diag_t diag;
            sg_diag_clear (&diag);
            if (!(client = s_connect (self, &diag))) {
                if (!warned++)
                    log_warn ("node %s: %s; retrying", self->conf->node_endpoint, diag.text);
                for (int i = 0; i < 10 && !*stop; i++)
                    usleep (100000);
                continue;
            }
            log_info ("connected to node %s at %s", sg_client_node_name (client),
                      self->conf->node_endpoint);
            atomic_store (&self->connected, 1);
            warned = 0;
            handed = 0;                 /* a new session resends everything unanswered */
            atomic_store (&self->dirty, 1);
        }
        if (atomic_exchange (&self->dirty, 0))
            s_pump (self, client, &handed);
        int rc = sg_client_poll (client, &ev, 50);
        if (rc == SG_ETIMEOUT)
            continue;
        if (rc != SG_OK) {
            log_warn ("node link: %s%s%s; reconnecting", sg_strerror (rc), ev.reason[0] ? ": " : "",
                      ev.reason);
            sg_event_clear (&ev);
            sg_client_destroy (&client);
            atomic_store (&self->connected, 0);
            continue;
        }
        if (ev.type == SG_EV_ACK)
            gen_state_out_result (self->state, ev.id, 0, NULL);
        else if (ev.type == SG_EV_NAK) {
            log_warn ("node refused %s: NAK %d %s", ev.id, ev.code, ev.reason);
            gen_state_out_result (self->state, ev.id, ev.code, ev.reason);
        } else if (ev.type == SG_EV_DELIVER) {
            sg_diag_t diag;
            sg_diag_clear (&diag);
            rc = gen_adapter_deliver (self, ev.header, ev.header_len, ev.body, ev.body_len, &diag);
            if (rc == SG_OK)
                sg_client_ack (client, ev.id);
            else if (rc != SG_EDB && rc != SG_ENOMEM && diag.nak) {
                log_warn ("refusing delivery %s: NAK %d %s", ev.id, diag.nak, diag.text);
                sg_client_nak (client, ev.id, diag.nak, diag.text);
            } else
                log_error ("delivery %s not queued (%s); the node will resend it", ev.id,
                           diag.text);
        }
        sg_event_clear (&ev);
    }
    sg_client_destroy (&client);
    return SG_OK;
}
