/* asy_events.c - officer calls -> NCF ARR DCR INC ARQ. The checks give the
 * officer a sentence that names the field and says what to do; the message
 * itself is validated by msg_serialize before it is queued. */
#include "asy_events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_movement.h"
#include "header.h"
#include "ident.h"
#include "log.h"

json_t *
asy_error_json (const char *field, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    return json_pack ("{s:s, s:o}", "error", text, "field",
                      field ? json_string (field) : json_null ());
}

typedef struct {
    const char *verb;
    msg_type_t type;
} s_verb_t;

static const s_verb_t s_verbs[] = {
    { "crossing", MSG_NCF }, { "arrival", MSG_ARR }, { "control", MSG_DCR },
    { "incident", MSG_INC }, { "arrival-request", MSG_ARQ }, { NULL, MSG_NONE }
};

static int
s_ascii (const char *s, size_t max)
{
    size_t n = s ? strlen (s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    return 1;
}

/* The call's values as one string: a replay must repeat them exactly. */
static void
s_params (const asy_call_t *c, char *out, size_t size)
{
    snprintf (out, size, "%s|%s|%s|%s|%s|%s|%d|%s|%s|%s|%s", c->verb, c->mrn, c->office,
              c->at ? c->at : "", c->location ? c->location : "", c->result ? c->result : "",
              c->seals_intact, c->text ? c->text : "", c->incident ? c->incident : "",
              c->new_seals ? c->new_seals : "", c->departure ? c->departure : "");
}

static int
s_fail (json_t **out, int status, const char *field, const char *text)
{
    *out = asy_error_json (field, "%s", text);
    return status;
}

/* Checks the values that need no state; fills the message's event. */
static int
s_build (const asy_ctx_t *ctx, const asy_call_t *c, msg_t *m, json_t **out)
{
    msg_event_t *e = &m->event;
    sg_diag_t d;
    char now[21], buf[600];
    asy_now (now);
    if (c->at && c->at[0]) {
        int64_t ms;
        int dateonly = m->type == MSG_DCR && strlen (c->at) == 10;
        char probe[32];
        snprintf (probe, sizeof probe, "%sT00:00:00Z", c->at);
        if ((strlen (c->at) != 20 && !dateonly)
            || hdr_time_parse (dateonly ? probe : c->at, &ms) != SG_OK) {
            snprintf (buf, sizeof buf, "at \"%s\" is not a UTC time (expected "
                      "YYYY-MM-DDThh:mm:ssZ, e.g. 2026-03-05T16:20:00Z)", c->at);
            return s_fail (out, 400, "at", buf);
        }
    }
    const char *at = c->at && c->at[0] ? c->at : now;
    if (m->type != MSG_DCR)
        sg_strlcpy (e->datetime, at, sizeof e->datetime);
    else
        snprintf (e->date, sizeof e->date, "%.10s", at);
    if (asy_office_resolve (ctx->tables, c->office, e->office, &d) != SG_OK)
        return s_fail (out, 404, "office", d.text);
    if (m->type == MSG_ARR) {
        const char *loc = c->location && c->location[0] ? c->location
                                                         : asy_office_name (ctx->tables, e->office);
        sg_strlcpy (e->location, loc && loc[0] ? loc : e->office, sizeof e->location);
    }
    else if (m->type == MSG_DCR) {
        if (!c->result || (strcmp (c->result, "A1") && strcmp (c->result, "A2")
                           && strcmp (c->result, "B1")))
            return s_fail (out, 400, "result", "result must be A1 (satisfactory), A2 "
                           "(considered satisfactory) or B1 (discrepancies)");
        strcpy (e->code, c->result);
        if (c->seals_intact < 0)
            return s_fail (out, 400, "seals_intact", "seals_intact is required: true if the "
                           "seals were found intact, false if broken");
        e->flag = c->seals_intact ? 1 : 0;
        if (!strcmp (c->result, "B1") && !(c->text && c->text[0]))
            return s_fail (out, 400, "discrepancies", "discrepancies is required with result "
                           "B1: describe what differs from the declaration");
        sg_strlcpy (e->text, c->text ? c->text : "", sizeof e->text);
    }
    else if (m->type == MSG_INC) {
        static const char *codes = " SB TS AC RD OT ";
        char probe[8];
        snprintf (probe, sizeof probe, " %.2s ", c->incident ? c->incident : "");
        if (!c->incident || strlen (c->incident) != 2 || !strstr (codes, probe))
            return s_fail (out, 400, "type", "type must be SB (seals broken), TS "
                           "(transhipment), AC (accident), RD (deviation from the itinerary) "
                           "or OT (other)");
        strcpy (e->code, c->incident);
        if (!c->text || !c->text[0])
            return s_fail (out, 400, "text", "text is required: say what happened");
        sg_strlcpy (e->text, c->text, sizeof e->text);
        char seals[2048], *save = NULL;
        sg_strlcpy (seals, c->new_seals ? c->new_seals : "", sizeof seals);
        for (char *t = strtok_r (seals, " ,;", &save); t; t = strtok_r (NULL, " ,;", &save)) {
            if (!s_ascii (t, MSG_SEAL_ID_MAX)) {
                snprintf (buf, sizeof buf, "new_seals: \"%s\" is not a seal identity (1-%d "
                          "printable characters)", t, MSG_SEAL_ID_MAX);
                return s_fail (out, 400, "new_seals", buf);
            }
            msg_add_seal (m, t);
        }
    }
    return 0;
}

/* The departure office of an ARQ: given, known here, or read from an MRN
 * made by a sigmat adapter (country + the office's 6 characters). */
static int
s_arq_departure (const asy_ctx_t *ctx, const asy_call_t *c, char known[9], json_t **out)
{
    sg_diag_t d;
    if (c->departure && c->departure[0]) {
        if (asy_office_resolve (ctx->tables, c->departure, known, &d) != SG_OK)
            return s_fail (out, 404, "departure_office", d.text);
        return 0;
    }
    if (known[0])
        return 0;
    char guess[9];
    snprintf (guess, sizeof guess, "%.2s%.6s", c->mrn + 2, c->mrn + 4);
    if (asy_office_code (ctx->tables, guess)) {
        strcpy (known, guess);
        return 0;
    }
    return s_fail (out, 400, "departure_office", "departure_office is required: the movement "
                   "is not known here and its MRN does not name an office of the table");
}

/* The state checks; returns 0 and the new state (NULL = unchanged). */
static int
s_check (const asy_ctx_t *ctx, const asy_call_t *c, const msg_t *m, const char *role,
         const char *state, int have_row, char departure[9], const char **next, json_t **out)
{
    char buf[700];
    const char *office = m->event.office;
    *next = NULL;
    if (m->type == MSG_ARQ) {
        if (have_row && strcmp (state, "ANTICIPATED") == 0) {
            snprintf (buf, sizeof buf, "movement %s is already expected at %s (state "
                      "ANTICIPATED): record the arrival instead", c->mrn, office);
            return s_fail (out, 409, "mrn", buf);
        }
        int rc = s_arq_departure (ctx, c, departure, out);
        *next = "RECORD_REQUESTED";
        return rc;
    }
    if (!departure[0]) {
        snprintf (buf, sizeof buf, "movement %s is not known at this adapter: no AAR or ATR "
                  "was received for it. If the goods are at your office without a record, "
                  "request it with arrival-request (ARQ)", c->mrn);
        return s_fail (out, 404, "mrn", buf);
    }
    if (m->type == MSG_INC)
        return 0;
    if (m->type == MSG_NCF) {
        if (have_row && strcmp (state, "CROSSED") == 0) {
            snprintf (buf, sizeof buf, "the crossing of %s at %s is already recorded", c->mrn,
                      office);
            return s_fail (out, 409, "mrn", buf);
        }
        *next = "CROSSED";
        return 0;
    }
    const char *want = m->type == MSG_ARR ? "ANTICIPATED" : "ARRIVED";
    if (!have_row || strcmp (role, "DESTINATION") != 0) {
        snprintf (buf, sizeof buf, "%s is not the office of destination of %s: a diverted "
                  "arrival is recorded with arrival-request (ARQ)", office, c->mrn);
        return s_fail (out, 409, "office", buf);
    }
    if (strcmp (state, want) != 0) {
        snprintf (buf, sizeof buf, "movement %s at %s is %s; %s needs %s%s", c->mrn, office,
                  state, c->verb, want, m->type == MSG_DCR ? " (record the arrival first)" : "");
        return s_fail (out, 409, "mrn", buf);
    }
    *next = m->type == MSG_ARR ? "ARRIVED" : !strcmp (m->event.code, "B1") ? "DISCREPANCY"
                                                                             : "CONTROLLED";
    return 0;
}

static json_t *
s_result (const asy_ctx_t *ctx, const char *rid, int replayed, const char *id, const char *type,
          const char *mrn)
{
    return json_pack ("{s:s, s:b, s:{s:s, s:s}, s:o}", "request_id", rid, "replayed", replayed,
                      "message", "id", id, "type", type, "movement",
                      asy_movement_json (ctx->state, ctx->tables, mrn));
}

int
asy_call_run (const asy_ctx_t *ctx, const asy_call_t *c, json_t **out)
{
    *out = NULL;
    const s_verb_t *v = s_verbs;
    while (v->verb && (!c->verb || strcmp (v->verb, c->verb) != 0))
        v++;
    if (!v->verb)
        return s_fail (out, 400, "verb", "unknown verb: expected crossing, arrival, control, "
                       "incident or arrival-request");
    if (!s_ascii (c->request_id, 64))
        return s_fail (out, 400, "request_id", "request_id is required: 1-64 printable "
                       "characters chosen by the caller, the same when a call is retried");
    sg_diag_t d;
    if (!c->mrn || mrn_check (c->mrn, &d) != SG_OK) {
        char buf[700];
        snprintf (buf, sizeof buf, "mrn: %s", c->mrn ? d.text : "is required");
        return s_fail (out, 400, "mrn", buf);
    }
    if (!c->office || !c->office[0])
        return s_fail (out, 400, "office", "office is required (ASYCUDA code or reference)");
    msg_t *m = msg_new (v->type);
    if (!m)
        return s_fail (out, 500, NULL, "out of memory");
    char params[4096], old[4096], role[16] = "", state[24] = "", dep[9] = "", source[80];
    char *body = NULL;
    size_t len = 0;
    const char *next = NULL;
    int status = s_build (ctx, c, m, out);
    if (status)
        goto done;
    s_params (c, params, sizeof params);
    status = 500;
    if (asy_state_begin (ctx->state, &d) != SG_OK)
        goto fail;
    sqlite3_stmt *q = asy_state_prepare (ctx->state, &d, "SELECT params, coalesce (msg_id, ''),"
                                         " verb FROM request WHERE id = ?", "s", c->request_id);
    if (!q)
        goto fail;
    if (sqlite3_step (q) == SQLITE_ROW) {
        sg_strlcpy (old, (const char *) sqlite3_column_text (q, 0), sizeof old);
        char id[40], verb[32];
        sg_strlcpy (id, (const char *) sqlite3_column_text (q, 1), sizeof id);
        sg_strlcpy (verb, (const char *) sqlite3_column_text (q, 2), sizeof verb);
        sqlite3_finalize (q);
        asy_state_rollback (ctx->state);
        if (strcmp (old, params) != 0) {
            char buf[300];
            snprintf (buf, sizeof buf, "request_id \"%s\" was already used for another call "
                      "(%s): choose a new request id for a new call", c->request_id, verb);
            status = s_fail (out, 409, "request_id", buf);
        }
        else {
            *out = s_result (ctx, c->request_id, 1, id, msg_type_name (v->type), c->mrn);
            status = 200;
        }
        goto done;
    }
    sqlite3_finalize (q);
    int rc = asy_movement_get (ctx->state, c->mrn, m->event.office, role, state, dep, &d);
    if (rc == SG_EDB)
        goto fail;
    status = s_check (ctx, c, m, role, state, rc == SG_OK, dep, &next, out);
    if (status) {
        asy_state_rollback (ctx->state);
        goto done;
    }
    status = 500;
    msgid_new (m->id);
    asy_now (m->issued);
    strcpy (m->mrn, c->mrn);
    strcpy (m->sender, m->event.office);
    strcpy (m->recipient, dep);
    if (msg_serialize (m, &body, &len, &d) != SG_OK) {
        asy_state_rollback (ctx->state);
        char buf[800];
        snprintf (buf, sizeof buf, "the values do not make a valid %s message: %s",
                  msg_type_name (m->type), d.text);
        status = s_fail (out, 400, NULL, buf);
        goto done;
    }
    snprintf (source, sizeof source, "call:%.64s", c->request_id);
    char now[21];
    asy_now (now);
    if (asy_state_outbox_add (ctx->state, m, body, len, source, &d) != SG_OK)
        goto fail;
    if (rc != SG_OK && asy_state_exec (ctx->state, &d,
            "INSERT INTO movement (mrn, office, role, state, departure, updated)"
            " VALUES (?, ?, ?, ?, ?, ?)", "ssssss", c->mrn, m->event.office,
            m->type == MSG_NCF ? "TRANSIT" : m->type == MSG_INC ? "TRANSIT" : "DESTINATION",
            next ? next : "UNKNOWN", dep, now) != SG_OK)
        goto fail;
    if (asy_movement_set (ctx->state, c->mrn, m->event.office, next, m, &d) != SG_OK)
        goto fail;
    if (m->type == MSG_INC && asy_state_exec (ctx->state, &d, "UPDATE movement SET incidents ="
                                              " incidents + 1 WHERE mrn = ? AND office = ?",
                                              "ss", c->mrn, m->event.office) != SG_OK)
        goto fail;
    if (asy_state_exec (ctx->state, &d, "INSERT INTO request VALUES (?, ?, ?, ?, ?, ?, ?)",
                        "sssssss", c->request_id, c->verb, c->mrn, m->event.office, params,
                        m->id, now) != SG_OK
        || asy_state_commit (ctx->state, &d) != SG_OK)
        goto fail;
    log_info ("%s %s at %s: queued %s %s for %s", c->verb, c->mrn, m->event.office,
              msg_type_name (m->type), m->id, dep);
    *out = s_result (ctx, c->request_id, 0, m->id, msg_type_name (m->type), c->mrn);
    status = 200;
    goto done;
fail:
    asy_state_rollback (ctx->state);
    log_error ("%s %s: %s", c->verb, c->mrn, d.text);
    status = s_fail (out, 500, NULL, d.text);
done:
    free (body);
    msg_destroy (&m);
    return status;
}
