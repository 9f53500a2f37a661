/* gen_adapter.c - sigmat-generic's assembly and its node link: queued API
 * submissions go out through the shared link (proto/link.h) with a header
 * built once and stored; ACK/NAK are recorded; DELIVERs become durable
 * webhooks before they are ACKed, or are refused for good (NAK) when the
 * adapter's mapping cannot make one. */
#include "gen_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen_json.h"
#include "header.h"
#include "link.h"
#include "log.h"
#include "msg.h"

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
    if (conf->xml_input_schema && !(self->xml_schema = sg_schema_load (conf->xml_input_schema, diag)))
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
    sg_schema_destroy (&self->xml_schema);
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
s_in_state (const sg_msg_t *m)
{
    switch (m->type) {
    case SG_MSG_AAR: case SG_MSG_ATR: return "ANTICIPATED";
    case SG_MSG_NCF: return "EN_ROUTE";
    case SG_MSG_ARR: return "ARRIVED";
    case SG_MSG_DCR: return strcmp (m->event.code, "B1") ? "CONTROLLED" : "DISCREPANCY";
    case SG_MSG_WOF: return m->event.flag ? "DISCHARGED" : "RECOVERY";
    case SG_MSG_ENR: return strcmp (m->event.code, "AR") ? NULL : "ARRIVED";
    case SG_MSG_CAN: return "CANCELLED";
    case SG_MSG_ENQ: return "UNDER_ENQUIRY";
    default: return NULL;
    }
}

/* Joins the declaration's transit offices with commas into buf. */
static void
s_transits (const sg_msg_declaration_t *d, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = 0; i < d->n_transit; i++) {
        size_t n = strlen (buf);
        snprintf (buf + n, size - n, "%s%s", i ? "," : "", d->transit[i]);
    }
}

/* Builds the webhook payload of m (JSON, or XML through its stylesheet). */
static int
s_payload (gen_adapter_t *self, const sg_msg_t *m, const char *header, size_t hlen,
           const char *body, size_t blen, gen_hook_t *hook, sg_diag_t *diag)
{
    const gen_conf_t *c = self->conf;
    if (!strcmp (c->webhook_format, "xml")) {
        gen_xslt_t *x = NULL;
        for (size_t i = 0; i < c->n_type_xslt; i++)
            if (!strcmp (c->type_xslt[i].type, sg_msg_type_name (m->type)))
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
        xmlDocPtr doc = sg_xmlsafe_parse (body, blen, NULL, diag);
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
    sg_hdr_t *h = NULL;
    if (j && sg_hdr_parse (header, hlen, &h, NULL) == SG_OK && sg_hdr_get (h, SG_HDR_ORIGIN_NODE))
        json_object_set_new (j, "OriginNode", json_string (sg_hdr_get (h, SG_HDR_ORIGIN_NODE)));
    sg_hdr_destroy (&h);
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
    sg_msg_t *m = NULL;
    gen_hook_t hook;
    gen_view_t view;
    memset (&hook, 0, sizeof hook);
    memset (&view, 0, sizeof view);
    char transits[90] = "", *decl = NULL;
    int rc = sg_msg_parse (body, blen, NULL, &m, diag);
    if (rc != SG_OK)
        goto done;
    /* A message we sent ourselves, addressed to one of our own offices (a
     * DEC or REL names the departure office as recipient), comes back from
     * the node: it is no news for the national system. */
    if (gen_state_out_known (self->state, m->id)) {
        sg_log_debug ("%s %s is our own message back from the node", sg_msg_type_name (m->type),
                      m->id);
        goto done;
    }
    /* Only the movement's office of departure may write it off or cancel it. */
    if ((m->type == SG_MSG_WOF || m->type == SG_MSG_CAN)
        && (gen_state_view (self->state, m->mrn, NULL, &view) != SG_OK
            || strcmp (view.departure, m->sender) != 0)) {
        sg_log_error ("security: refused %s %s for MRN %s from %s: only the movement's office of "
                   "departure (%s) may %s it; nothing applied, no webhook",
                   sg_msg_type_name (m->type), m->id, m->mrn, m->sender,
                   view.departure[0] ? view.departure : "unknown here",
                   m->type == SG_MSG_WOF ? "write off" : "cancel");
        free (view.decl);
        memset (&view, 0, sizeof view);
        goto done;
    }
    free (view.decl);
    memset (&view, 0, sizeof view);
    if ((rc = s_payload (self, m, header, hlen, body, blen, &hook, diag)) != SG_OK) {
        /* Our mapping cannot make a webhook of it (a stylesheet that fails
         * on it): refused for good, kept in rejected/ with the reason. */
        if (diag && rc != SG_ENOMEM) {
            char text[sizeof diag->text];
            sg_strlcpy (text, diag->text, sizeof text);
            sg_diag_set (diag, rc, 0, SG_NAK_UNDELIVERABLE, "cannot make the webhook of %s %s "
                         "(MRN %s): %s", sg_msg_type_name (m->type), m->id, m->mrn, text);
        }
        goto done;
    }
    sg_strlcpy (hook.id, m->id, sizeof hook.id);
    sg_strlcpy (hook.mrn, m->mrn, sizeof hook.mrn);
    sg_strlcpy (hook.type, sg_msg_type_name (m->type), sizeof hook.type);
    int has_view = gen_state_view (self->state, m->mrn, m->recipient, &view) == SG_OK;
    /* A crossing or incident the office of departure passes on is news from
     * upstream for the national system (webhook), not a step of this view. */
    int notice = (m->type == SG_MSG_NCF || m->type == SG_MSG_INC) && has_view
                 && !strcmp (view.departure, m->sender);
    gen_mvt_t mvt = { .mrn = m->mrn, .office = m->recipient,
                      .state = notice ? NULL : s_in_state (m),
                      .message_id = m->id, .type = hook.type, .direction = "in" };
    if (m->type == SG_MSG_AAR || m->type == SG_MSG_ATR) {
        const sg_msg_declaration_t *d = &m->decl;
        s_transits (d, transits, sizeof transits);
        if (!(decl = strndup (body, blen))) {
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto done;
        }
        mvt.role = m->type == SG_MSG_AAR ? "DESTINATION" : "TRANSIT";
        mvt.departure = d->departure, mvt.destination = d->destination;
        mvt.transits = transits, mvt.lrn = d->lrn, mvt.decl = decl;
    }
    int dup = 0;
    rc = gen_state_deliver (self->state, &hook, (has_view || mvt.role) ? &mvt : NULL, &dup);
    if (rc != SG_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot queue the webhook");
        goto done;
    }
    sg_log_info ("%s %s %s for %s queued for the webhook%s", hook.type, m->mrn, m->id, m->recipient,
              dup ? " (already queued)" : "");
    gen_webhook_kick (self->webhook);
done:
    free (decl);
    free (view.decl);
    gen_hook_clear (&hook);
    sg_msg_destroy (&m);
    return rc;
}

/* ---- the node link (proto/link.h): the callbacks on the state ---- */

static int
s_pending (void *arg, int64_t after, size_t max, int (*fn) (void *, const sg_link_out_t *),
           void *fn_arg)
{
    gen_adapter_t *self = arg;
    return gen_state_out_pending (self->state, after, max, fn, fn_arg);
}

static int
s_set_header (void *arg, const char *id, const char *header, size_t len)
{
    gen_adapter_t *self = arg;
    return gen_state_out_set_header (self->state, id, header, len);
}

static void
s_answered (void *arg, const char *id, int code, const char *reason)
{
    gen_adapter_t *self = arg;
    if (code)
        sg_log_warn ("node refused %s: NAK %d %s", id, code, reason);
    gen_state_out_result (self->state, id, code, reason);
}

static int
s_deliver (void *arg, const sg_event_t *ev, sg_diag_t *diag)
{
    gen_adapter_t *self = arg;
    int rc = gen_adapter_deliver (self, ev->header, ev->header_len, ev->body, ev->body_len, diag);
    if (rc == SG_OK)
        return SG_LINK_DELIVERED;
    return rc != SG_EDB && rc != SG_ENOMEM && diag->nak ? SG_LINK_REFUSE : SG_LINK_RETRY;
}

static void
s_refused (void *arg, const sg_event_t *ev, int code, const char *reason)
{
    gen_adapter_t *self = arg;
    gen_state_refused_add (self->state, ev->id, code, reason);
}

/* Where refused deliveries are kept: rejected/ beside the state file. */
static void
s_rejected_dir (const gen_conf_t *c, char *out, size_t size)
{
    const char *slash = strrchr (c->state_db, '/');
    if (slash)
        snprintf (out, size, "%.*s/rejected", (int) (slash - c->state_db), c->state_db);
    else
        snprintf (out, size, "rejected");
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
        sg_log_error ("%s", d.text);
    else if (n > 0)
        sg_log_info ("retention: archived and removed %d old rows of the state file", n);
    *next = now + (n >= S_BATCH ? 0 : 60000);
    return n < 0 ? 0 : n;
}

int
gen_adapter_run (gen_adapter_t *self, volatile sig_atomic_t *stop)
{
    const gen_conf_t *c = self->conf;
    char rejected[4096];
    s_rejected_dir (c, rejected, sizeof rejected);
    sg_link_opts_t lo = { .endpoint = c->node_endpoint, .name = c->name, .timeout_ms = 2000,
                          .reconnect_ms = 1000, .max_inflight = SIZE_MAX, .pump_ms = -1,
                          .rejected_dir = rejected };
    if (c->node_public)
        lo.node_public = c->node_public, lo.curve_public = c->curve_public,
        lo.curve_secret = c->curve_secret;
    sg_link_ops_t ops = { .arg = self, .pending = s_pending, .set_header = s_set_header,
                          .answered = s_answered, .deliver = s_deliver, .refused = s_refused };
    sg_link_t *link = sg_link_new (&lo, &ops);
    if (!link)
        return SG_ENOMEM;
    int64_t next_retention = 0;
    while (!*stop) {
        s_retention (self, &next_retention);
        if (atomic_exchange (&self->dirty, 0))
            sg_link_kick (link);
        sg_link_step (link, 50);
        atomic_store (&self->connected, sg_link_connected (link));
    }
    sg_link_destroy (&link);
    return SG_OK;
}
