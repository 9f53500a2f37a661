/* asy_inbox.c - deliveries from the node into ASYCUDA's inbox folder and
 * into the local movement view. A file is written before the state row
 * that says it was, so a crash in between writes the same file (same name:
 * TYPE_MRN_MESSAGEID.xml) again on redelivery rather than losing it;
 * ASYCUDA's import should skip a message id it has already imported. */
#include "asy_inbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_map.h"
#include "asy_movement.h"
#include "log.h"
#include "msg.h"
#include "schema.h"
#include "xmlsafe.h"

/* A message refused by the node (SGTP NAK) or further on (a NAK message). */
void
asy_inbox_refused (asy_state_t *st, asy_spool_t *spool, const char *id, int code,
                    const char *reason)
{
    asy_sent_t sent;
    char text[1200];
    asy_state_outbox_rejected (st, id, code, reason, &sent);
    snprintf (text, sizeof text, "the node refused %s %s (MRN %s): NAK %d: %s", sent.type, id,
              sent.mrn, code, reason);
    sg_log_error ("%s", text);
    asy_state_error (st, sent.source[0] ? sent.source : "node", text);
    if (sent.mrn[0])
        asy_state_movement_error (st, sent.mrn, text);
    if (spool && strncmp (sent.source, "file:", 5) == 0)
        asy_spool_refused (spool, sent.source + 5, text);
}

/* The file types: what ASYCUDA imports (and the crossings and incidents
 * the office of departure passes on to the offices ahead). */
static int
s_has_file (asy_state_t *st, const sg_msg_t *m)
{
    sg_msg_type_t t = m->type;
    if (t == SG_MSG_NCF || t == SG_MSG_INC)
        return asy_movement_from_departure (st, m->mrn, m->sender);
    return t == SG_MSG_AAR || t == SG_MSG_ATR || t == SG_MSG_AMD || t == SG_MSG_WOF || t == SG_MSG_CAN
           || t == SG_MSG_ENQ;
}

/* Checks an inbox document against the published schema
 * (asycuda-inbox.xsd, compiled once). SG_OK, SG_ESCHEMA/SG_EXML with the
 * reason (a fault of the adapter's writer: the delivery is refused), or
 * SG_EIO when the schema cannot be read (installation: tried again). */
static int
s_inbox_valid (const char *xml, size_t len, sg_diag_t *diag)
{
    static sg_schema_t *schema;
    if (!schema) {
        char path[4096];
        snprintf (path, sizeof path, "%s/asycuda-inbox.xsd", sg_schema_dir ());
        if (!(schema = sg_schema_load (path, diag))) {
            char text[sizeof diag->text];
            sg_strlcpy (text, diag->text, sizeof text);
            return sg_diag_set (diag, SG_EIO, 0, 0, "inbox schema: %s", text);
        }
    }
    xmlDocPtr doc = sg_xmlsafe_parse (xml, len, NULL, diag);
    if (!doc)
        return SG_EXML;
    int rc = sg_schema_validate (schema, doc, diag);
    xmlFreeDoc (doc);
    return rc;
}

/* Applies m to the movement view inside the caller's transaction. */
static int
s_apply (asy_state_t *st, asy_spool_t *spool, const sg_msg_t *m, sg_diag_t *d)
{
    switch (m->type) {
    case SG_MSG_AAR:
        return asy_movement_put_decl (st, m, m->recipient, "DESTINATION", "ANTICIPATED", d);
    case SG_MSG_ATR:
        return asy_movement_put_decl (st, m, m->recipient, "TRANSIT", "ANTICIPATED", d);
    case SG_MSG_WOF:
        return asy_movement_set (st, m->mrn, NULL, m->event.flag ? "DISCHARGED" : "RECOVERY",
                                 m, d);
    case SG_MSG_CAN:
        return asy_movement_set (st, m->mrn, NULL, "CANCELLED", m, d);
    case SG_MSG_ENQ:
        return asy_movement_set (st, m->mrn, m->recipient, "UNDER_ENQUIRY", m, d);
    case SG_MSG_NCF:
        if (asy_movement_from_departure (st, m->mrn, m->sender))
            return asy_movement_upstream (st, m, d);     /* passed on: news from upstream */
        return asy_movement_set (st, m->mrn, m->recipient, "EN_ROUTE", m, d);
    case SG_MSG_ENR:
        return asy_movement_set (st, m->mrn, m->recipient,
                                 strcmp (m->event.code, "AR") ? NULL : "ARRIVED", m, d);
    case SG_MSG_ARR:
        return asy_movement_set (st, m->mrn, m->recipient, "ARRIVED", m, d);
    case SG_MSG_DCR:
        return asy_movement_set (st, m->mrn, m->recipient,
                                 strcmp (m->event.code, "B1") ? "CONTROLLED" : "DISCREPANCY", m, d);
    case SG_MSG_INC:
        if (asy_movement_from_departure (st, m->mrn, m->sender))
            return asy_movement_upstream (st, m, d);
        asy_movement_set (st, m->mrn, m->recipient, NULL, m, d);
        return asy_state_movement_incident (st, m->mrn, m->recipient, d);
    case SG_MSG_NAK:
        asy_inbox_refused (st, spool, m->correlation_id, m->result.code, m->result.reason);
        return SG_OK;
    default:
        return asy_movement_set (st, m->mrn, m->recipient, NULL, m, d);
    }
}

/* Records why delivery id was not taken and returns result. */
static int
s_not_taken (asy_state_t *st, const char *src, int result, sg_diag_t *diag, int nak,
             const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

static int
s_not_taken (asy_state_t *st, const char *src, int result, sg_diag_t *diag, int nak,
             const char *fmt, ...)
{
    char text[sizeof diag->text];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    sg_diag_set (diag, result == SG_LINK_REFUSE ? SG_EINVAL : SG_EIO, 0, nak, "%s", text);
    if (result != SG_LINK_REFUSE)
        sg_log_error ("%s", text);         /* a refusal is logged by the link */
    asy_state_error (st, src, text);
    return result;
}

int
asy_inbox_deliver (asy_state_t *st, const asy_offices_t *tables, const asy_conf_t *conf,
                   asy_spool_t *spool, const char *id, const char *body, size_t len,
                   sg_diag_t *diag)
{
    sg_diag_t d;
    char name[128] = "", src[64];
    snprintf (src, sizeof src, "deliver:%s", id);
    int rc = asy_state_inbox_seen (st, id, &d);
    if (rc == SG_OK)
        return SG_LINK_DELIVERED;            /* handled before: the node resent it */
    if (rc != SG_ENOTFOUND)
        return s_not_taken (st, src, SG_LINK_RETRY, diag, 0, "delivery %s: %s", id, d.text);
    sg_msg_t *m = NULL;
    char *xml = NULL;
    size_t xlen = 0;
    int ret = SG_LINK_RETRY;
    if (sg_msg_parse (body, len, NULL, &m, &d) != SG_OK)
        return s_not_taken (st, src, SG_LINK_REFUSE, diag, d.nak ? d.nak : SG_NAK_INVALID_XML,
                            "not a valid sigmat message: %s", d.text);
    const char *type = sg_msg_type_name (m->type);
    if ((m->type == SG_MSG_WOF || m->type == SG_MSG_CAN)
        && !asy_movement_from_departure (st, m->mrn, m->sender)) {
        char text[400];
        snprintf (text, sizeof text, "security: refused %s %s for MRN %s from %s: only the "
                  "movement's office of departure may %s it (nothing applied, no inbox file)",
                  type, id, m->mrn, m->sender, m->type == SG_MSG_WOF ? "write off" : "cancel");
        sg_log_error ("%s", text);
        asy_state_error (st, src, text);
        ret = asy_state_inbox_add (st, id, type, m->mrn, NULL, &d) == SG_OK
              ? SG_LINK_DELIVERED : SG_LINK_RETRY;
        goto done;
    }
    /* What the adapter can never do with this message (map it with its
     * tables, make a valid inbox file of it) is refused for good; what may
     * work later (memory, the schema file, the disk, the state) is not. */
    if (s_has_file (st, m)) {
        rc = asy_map_write (m, tables, &xml, &xlen, &d);
        if (rc != SG_OK) {
            ret = s_not_taken (st, src, rc == SG_ENOMEM ? SG_LINK_RETRY : SG_LINK_REFUSE, diag,
                               SG_NAK_UNDELIVERABLE, "%s %s (MRN %s) cannot be mapped to an "
                               "ASYCUDA inbox file: %s", type, id, m->mrn, d.text);
            goto done;
        }
        if ((rc = s_inbox_valid (xml, xlen, &d)) != SG_OK) {
            ret = s_not_taken (st, src, rc == SG_EIO ? SG_LINK_RETRY : SG_LINK_REFUSE, diag,
                               SG_NAK_UNDELIVERABLE, "%s %s (MRN %s) does not make an inbox file "
                               "valid against asycuda-inbox.xsd: %s", type, id, m->mrn, d.text);
            goto done;
        }
        snprintf (name, sizeof name, "%s_%s_%s.xml", type, m->mrn, m->id);
        if (asy_write_atomic (conf->inbox_dir, name, xml, xlen, &d) != SG_OK) {
            ret = s_not_taken (st, src, SG_LINK_RETRY, diag, 0, "%s %s (MRN %s) cannot be "
                               "written into the inbox (the node will deliver it again): %s",
                               type, id, m->mrn, d.text);
            goto done;
        }
    }
    if (asy_state_begin (st, &d) != SG_OK)
        goto fail;
    if (asy_state_inbox_add (st, id, type, m->mrn, name[0] ? name : NULL, &d) != SG_OK
        || s_apply (st, spool, m, &d) != SG_OK || asy_state_commit (st, &d) != SG_OK)
        goto fail;
    sg_log_info ("received %s %s for %s (MRN %s)%s%s", type, id, m->recipient, m->mrn,
              name[0] ? ": wrote " : "", name);
    ret = SG_LINK_DELIVERED;
    goto done;
fail:
    asy_state_rollback (st);
    ret = s_not_taken (st, src, SG_LINK_RETRY, diag, 0, "delivery %s: %s", id, d.text);
done:
    free (xml);
    sg_msg_destroy (&m);
    return ret;
}
