/* asy_inbox.c - deliveries from the node into ASYCUDA's inbox folder and
 * into the local movement view. A file is written before the state row
 * that says it was, so a crash in between writes the same file (same name:
 * TYPE_MRN_MESSAGEID.xml) again on redelivery rather than losing it;
 * ASYCUDA's import should skip a message id it has already imported. */
#include "asy_inbox.h"

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
    char now[21], source[1100] = "", type[8] = "", mrn[20] = "", text[1200];
    asy_now (now);
    asy_state_exec (st, NULL, "UPDATE outbox SET status = 'rejected', nak_code = ?,"
                    " nak_reason = ?, body = NULL, updated = ? WHERE msg_id = ?", "isss",
                    (long long) code, reason, now, id);
    sqlite3_stmt *q = asy_state_prepare (st, NULL, "SELECT source, type, mrn FROM outbox"
                                         " WHERE msg_id = ?", "s", id);
    if (q && sqlite3_step (q) == SQLITE_ROW) {
        sg_strlcpy (source, (const char *) sqlite3_column_text (q, 0), sizeof source);
        sg_strlcpy (type, (const char *) sqlite3_column_text (q, 1), sizeof type);
        sg_strlcpy (mrn, (const char *) sqlite3_column_text (q, 2), sizeof mrn);
    }
    sqlite3_finalize (q);
    snprintf (text, sizeof text, "the node refused %s %s (MRN %s): NAK %d: %s", type, id, mrn,
              code, reason);
    log_error ("%s", text);
    asy_state_error (st, source[0] ? source : "node", text);
    if (mrn[0])
        asy_state_exec (st, NULL, "UPDATE movement SET last_error = ? WHERE mrn = ?", "ss",
                        text, mrn);
    if (spool && strncmp (source, "file:", 5) == 0)
        asy_spool_refused (spool, source + 5, text);
}

/* The file types: what ASYCUDA imports (and the crossings and incidents
 * the office of departure passes on to the offices ahead). */
static int
s_has_file (asy_state_t *st, const msg_t *m)
{
    msg_type_t t = m->type;
    if (t == MSG_NCF || t == MSG_INC)
        return asy_movement_from_departure (st, m->mrn, m->sender);
    return t == MSG_AAR || t == MSG_ATR || t == MSG_AMD || t == MSG_WOF || t == MSG_CAN
           || t == MSG_ENQ;
}

/* Checks an inbox document against the published schema
 * (asycuda-inbox.xsd, compiled once). SG_OK, SG_ESCHEMA/SG_EXML with the
 * reason (a fault of the adapter's writer: the delivery is refused), or
 * SG_EIO when the schema cannot be read (installation: tried again). */
static int
s_inbox_valid (const char *xml, size_t len, sg_diag_t *diag)
{
    static schema_t *schema;
    if (!schema) {
        char path[4096];
        snprintf (path, sizeof path, "%s/asycuda-inbox.xsd", schema_dir ());
        if (!(schema = schema_load (path, diag))) {
            char text[sizeof diag->text];
            sg_strlcpy (text, diag->text, sizeof text);
            return sg_diag_set (diag, SG_EIO, 0, 0, "inbox schema: %s", text);
        }
    }
    xmlDocPtr doc = xmlsafe_parse (xml, len, NULL, diag);
    if (!doc)
        return SG_EXML;
    int rc = schema_validate (schema, doc, diag);
    xmlFreeDoc (doc);
    return rc;
}

/* Applies m to the movement view inside the caller's transaction. */
static int
s_apply (asy_state_t *st, asy_spool_t *spool, const msg_t *m, sg_diag_t *d)
{
    switch (m->type) {
    case MSG_AAR:
        return asy_movement_put_decl (st, m, m->recipient, "DESTINATION", "ANTICIPATED", d);
    case MSG_ATR:
        return asy_movement_put_decl (st, m, m->recipient, "TRANSIT", "ANTICIPATED", d);
    case MSG_WOF:
        return asy_movement_set (st, m->mrn, NULL, m->event.flag ? "DISCHARGED" : "RECOVERY",
                                 m, d);
    case MSG_CAN:
        return asy_movement_set (st, m->mrn, NULL, "CANCELLED", m, d);
    case MSG_ENQ:
        return asy_movement_set (st, m->mrn, m->recipient, "UNDER_ENQUIRY", m, d);
    case MSG_NCF:
        if (asy_movement_from_departure (st, m->mrn, m->sender))
            return asy_movement_upstream (st, m, d);     /* passed on: news from upstream */
        return asy_movement_set (st, m->mrn, m->recipient, "EN_ROUTE", m, d);
    case MSG_ENR:
        return asy_movement_set (st, m->mrn, m->recipient,
                                 strcmp (m->event.code, "AR") ? NULL : "ARRIVED", m, d);
    case MSG_ARR:
        return asy_movement_set (st, m->mrn, m->recipient, "ARRIVED", m, d);
    case MSG_DCR:
        return asy_movement_set (st, m->mrn, m->recipient,
                                 strcmp (m->event.code, "B1") ? "CONTROLLED" : "DISCREPANCY", m, d);
    case MSG_INC:
        if (asy_movement_from_departure (st, m->mrn, m->sender))
            return asy_movement_upstream (st, m, d);
        asy_movement_set (st, m->mrn, m->recipient, NULL, m, d);
        return asy_state_exec (st, d, "UPDATE movement SET incidents = incidents + 1"
                               " WHERE mrn = ? AND office = ?", "ss", m->mrn, m->recipient);
    case MSG_NAK:
        asy_inbox_refused (st, spool, m->correlation_id, m->result.code, m->result.reason);
        return SG_OK;
    default:
        return asy_movement_set (st, m->mrn, m->recipient, NULL, m, d);
    }
}

int
asy_inbox_deliver (asy_state_t *st, const asy_offices_t *tables, const asy_conf_t *conf,
                   asy_spool_t *spool, const char *id, const char *body, size_t len)
{
    sg_diag_t d;
    char seen[8], name[128] = "", now[21], src[64];
    snprintf (src, sizeof src, "deliver:%s", id);
    int rc = asy_state_text (st, seen, sizeof seen, &d, "SELECT 1 FROM inbox WHERE msg_id = ?",
                             "s", id);
    if (rc == SG_OK)
        return ASY_INBOX_ACK;                /* handled before: the node resent it */
    if (rc != SG_ENOTFOUND) {
        asy_state_error (st, src, d.text);
        return ASY_INBOX_RETRY;
    }
    msg_t *m = NULL;
    char *xml = NULL;
    size_t xlen = 0;
    int ret = ASY_INBOX_RETRY;
    if (msg_parse (body, len, NULL, &m, &d) != SG_OK) {
        log_error ("delivery %s is not a valid message: %s", id, d.text);
        asy_state_error (st, src, d.text);
        return ASY_INBOX_NAK;
    }
    if ((m->type == MSG_WOF || m->type == MSG_CAN)
        && !asy_movement_from_departure (st, m->mrn, m->sender)) {
        char text[400];
        snprintf (text, sizeof text, "security: refused %s %s for MRN %s from %s: only the "
                  "movement's office of departure may %s it (nothing applied, no inbox file)",
                  msg_type_name (m->type), id, m->mrn, m->sender,
                  m->type == MSG_WOF ? "write off" : "cancel");
        log_error ("%s", text);
        asy_state_error (st, src, text);
        asy_now (now);
        ret = asy_state_exec (st, &d, "INSERT INTO inbox VALUES (?, ?, ?, NULL, ?)", "ssss", id,
                              msg_type_name (m->type), m->mrn, now) == SG_OK
              ? ASY_INBOX_ACK : ASY_INBOX_RETRY;
        goto done;
    }
    if (s_has_file (st, m)) {
        const char *why = NULL;
        if (asy_map_write (m, tables, &xml, &xlen, &d) == SG_OK
            && (rc = s_inbox_valid (xml, xlen, &d)) != SG_OK) {
            why = "does not make an inbox file valid against asycuda-inbox.xsd";
            if (rc != SG_EIO)
                ret = ASY_INBOX_NAK;
        }
        else if (!xml
                 || (snprintf (name, sizeof name, "%s_%s_%s.xml", msg_type_name (m->type),
                               m->mrn, m->id),
                     asy_write_atomic (conf->inbox_dir, name, xml, xlen, &d)) != SG_OK)
            why = "cannot be written into the inbox (the node will deliver it again)";
        if (why) {
            char text[800];
            snprintf (text, sizeof text, "%s %s (MRN %s) %s: %s", msg_type_name (m->type), id,
                      m->mrn, why, d.text);
            log_error ("%s", text);
            asy_state_error (st, src, text);
            goto done;
        }
    }
    asy_now (now);
    if (asy_state_begin (st, &d) != SG_OK)
        goto fail;
    if (asy_state_exec (st, &d, "INSERT INTO inbox VALUES (?, ?, ?, ?, ?)", "sssss", id,
                        msg_type_name (m->type), m->mrn, name[0] ? name : NULL, now) != SG_OK
        || s_apply (st, spool, m, &d) != SG_OK || asy_state_commit (st, &d) != SG_OK)
        goto fail;
    log_info ("received %s %s for %s (MRN %s)%s%s", msg_type_name (m->type), id, m->recipient,
              m->mrn, name[0] ? ": wrote " : "", name);
    ret = ASY_INBOX_ACK;
    goto done;
fail:
    asy_state_rollback (st);
    log_error ("delivery %s: %s", id, d.text);
    asy_state_error (st, src, d.text);
done:
    free (xml);
    msg_destroy (&m);
    return ret;
}
