/* asy_events.c - officer calls -> NCF ARR DCR INC ARQ. The checks give the
 * officer a sentence that names the field and says what to do; the message
 * itself is validated by sg_msg_serialize before it is queued. */
#include "asy_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_movement.h"
#include "header.h"
#include "ident.h"
#include "log.h"
#include "officer.h"

json_t *
asy_error (i18n_lang_t lang, const char *field, const char *code, const char *const a[5])
{
    char text[2048];
    i18n_format (lang, code, text, sizeof text, a);
    return json_pack ("{s:s, s:s, s:o}", "error", text, "code", code, "field",
                      field ? json_string (field) : json_null ());
}

typedef struct {
    const char *verb;
    sg_msg_type_t type;
} s_verb_t;

static const s_verb_t s_verbs[] = {
    { "crossing", SG_MSG_NCF }, { "arrival", SG_MSG_ARR }, { "control", SG_MSG_DCR },
    { "incident", SG_MSG_INC }, { "arrival-request", SG_MSG_ARQ }, { "enquiry-answer", SG_MSG_ENR },
    { "decision", SG_MSG_WOF }, { "cancellation", SG_MSG_CAN }, { NULL, SG_MSG_NONE }
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
#define S_(x) ((x) ? (x) : "")
    snprintf (out, size, "%s|%s|%s|%s|%s|%s|%d|%s|%s|%s|%s|%s|%s|%s", c->verb, c->mrn, c->office,
              S_ (c->at), S_ (c->location), S_ (c->result), c->seals_intact, S_ (c->text),
              S_ (c->incident), S_ (c->new_seals), S_ (c->departure), S_ (c->new_means),
              S_ (c->new_nationality), c->officer ? c->officer->id : "");
    if (c->seals_found)
        snprintf (out + strlen (out), size - strlen (out), "|%s", c->seals_found);
#undef S_
}

static int
s_failv (const asy_ctx_t *ctx, json_t **out, int status, const char *field, const char *code,
         const char *const a[5])
{
    *out = asy_error (ctx->lang, field, code, a);
    return status;
}

/* S_FAIL (ctx, out, status, field, code, args...): the error in the
 * caller's language (i18n.h), up to five string arguments. */
#define S_FAIL(ctx, out, status, field, ...) \
    s_failv (ctx, out, status, field, ASY_I18N_ARGS (__VA_ARGS__))

/* 1 for the types whose event has a date rather than a date and time. */
static int
s_dated (sg_msg_type_t t)
{
    return t == SG_MSG_DCR || t == SG_MSG_ENR || t == SG_MSG_WOF || t == SG_MSG_CAN;
}

/* Checks the values that need no state; fills the message's event. */
static int
s_build (const asy_ctx_t *ctx, const asy_call_t *c, sg_msg_t *m, json_t **out)
{
    sg_msg_event_t *e = &m->event;
    sg_diag_t d;
    char now[21], buf[600];
    asy_now (now);
    if (c->at && c->at[0]) {
        int64_t ms;
        int dateonly = s_dated (m->type) && strlen (c->at) == 10;
        char probe[32];
        snprintf (probe, sizeof probe, "%sT00:00:00Z", c->at);
        if ((strlen (c->at) != 20 && !dateonly)
            || sg_hdr_time_parse (dateonly ? probe : c->at, &ms) != SG_OK) {
            return S_FAIL (ctx, out, 400, "at", "call.time", c->at);
        }
    }
    const char *at = c->at && c->at[0] ? c->at : now;
    if (!s_dated (m->type))
        sg_strlcpy (e->datetime, at, sizeof e->datetime);
    else
        snprintf (e->date, sizeof e->date, "%.10s", at);
    if (asy_office_resolve (ctx->tables, c->office, e->office, &d) != SG_OK)
        return S_FAIL (ctx, out, 404, "office", "office.unknown", d.text);
    if (c->officer && !officer_may (c->officer, e->office))
        return S_FAIL (ctx, out, 403, "office", "officer.office", c->officer->id, e->office,
                       c->office);
    if (m->type == SG_MSG_ARR) {
        const char *loc = c->location && c->location[0] ? c->location
                                                         : asy_office_name (ctx->tables, e->office);
        sg_strlcpy (e->location, loc && loc[0] ? loc : e->office, sizeof e->location);
    }
    else if (m->type == SG_MSG_DCR) {
        if (!c->result || (strcmp (c->result, "A1") && strcmp (c->result, "A2")
                           && strcmp (c->result, "B1")))
            return S_FAIL (ctx, out, 400, "result", "call.result");
        strcpy (e->code, c->result);
        if (c->seals_intact < 0 && !c->seals_found)
            return S_FAIL (ctx, out, 400, "seals_intact", "call.seals_intact");
        e->flag = c->seals_intact ? 1 : 0;
        if (!strcmp (c->result, "B1") && !(c->text && c->text[0]))
            return S_FAIL (ctx, out, 400, "discrepancies", "call.discrepancies");
        sg_strlcpy (e->text, c->text ? c->text : "", sizeof e->text);
    }
    else if (m->type == SG_MSG_INC) {
        static const char *codes = " SB TS AC RD OT ";
        char probe[8];
        snprintf (probe, sizeof probe, " %.2s ", c->incident ? c->incident : "");
        if (!c->incident || strlen (c->incident) != 2 || !strstr (codes, probe))
            return S_FAIL (ctx, out, 400, "type", "call.incident_type");
        strcpy (e->code, c->incident);
        if (!c->text || !c->text[0])
            return S_FAIL (ctx, out, 400, "text", "call.incident_text");
        sg_strlcpy (e->text, c->text, sizeof e->text);
        char seals[2048], *save = NULL;
        sg_strlcpy (seals, c->new_seals ? c->new_seals : "", sizeof seals);
        for (char *t = strtok_r (seals, " ,;", &save); t; t = strtok_r (NULL, " ,;", &save)) {
            if (!s_ascii (t, SG_MSG_SEAL_ID_MAX)) {
                snprintf (buf, sizeof buf, "%d", SG_MSG_SEAL_ID_MAX);
                return S_FAIL (ctx, out, 400, "new_seals", "call.seal", t, buf);
            }
            sg_msg_add_seal (m, t);
        }
        if (c->new_means && c->new_means[0]) {
            const char *nat = c->new_nationality ? c->new_nationality : "";
            if (!s_ascii (c->new_means, SG_MSG_MEANS_ID_MAX))
                return S_FAIL (ctx, out, 400, "new_means", "call.new_means");
            if (strlen (nat) != 2 || nat[0] < 'A' || nat[0] > 'Z' || nat[1] < 'A' || nat[1] > 'Z')
                return S_FAIL (ctx, out, 400, "new_nationality", "call.new_nationality");
            e->has_new_means = 1;
            strcpy (e->new_means.id, c->new_means);
            strcpy (e->new_means.nationality, nat);
            strcpy (e->new_means.mode, "3");
        }
    }
    else if (m->type == SG_MSG_ENR) {
        const char *a = c->result ? c->result : "";
        if (strcmp (a, "AR") && strcmp (a, "NP") && strcmp (a, "UN"))
            return S_FAIL (ctx, out, 400, "answer", "call.answer");
        strcpy (e->code, a);
        if (strcmp (a, "AR") && !(c->text && c->text[0]))
            return S_FAIL (ctx, out, 400, "text", "call.answer_text");
        sg_strlcpy (e->text, c->text && c->text[0] ? c->text : "goods arrived", sizeof e->text);
        if (!strcmp (a, "AR"))
            strcpy (e->arrival_date, e->date);
    }
    else if (m->type == SG_MSG_WOF) {
        const char *dec = c->result ? c->result : "";
        if (strcmp (dec, "write-off") && strcmp (dec, "recovery"))
            return S_FAIL (ctx, out, 400, "decision", "call.decision");
        e->flag = !strcmp (dec, "write-off");
    }
    else if (m->type == SG_MSG_CAN) {
        if (!c->text || !c->text[0])
            return S_FAIL (ctx, out, 400, "reason", "call.reason");
        sg_strlcpy (e->text, c->text, sizeof e->text);
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
            return S_FAIL (ctx, out, 404, "departure_office", "office.unknown", d.text);
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
    return S_FAIL (ctx, out, 400, "departure_office", "call.departure");
}

/* 1 if state is one of the space-separated names of list. */
static int
s_in (const char *state, const char *list)
{
    char probe[32];
    snprintf (probe, sizeof probe, " %s ", state);
    char all[256];
    snprintf (all, sizeof all, " %s ", list);
    return state[0] && strstr (all, probe) != NULL;
}

/* The rule of each officer verb on the adapter's own view: the role the
 * office must play, the states that allow it, and the state it leads to
 * (NULL: unchanged; "?" decided by the values). A destination still
 * waiting for the goods may record them whatever upstream made of the
 * movement (an enquiry, a time limit passed): the departure node accepts
 * a late arrival, so the adapter must too. */
typedef struct {
    sg_msg_type_t type;
    const char *role, *from, *to, *hint;
} s_rule_t;

static const s_rule_t s_rules[] = {
    { SG_MSG_ARR, "DESTINATION", "ANTICIPATED OVERDUE UNDER_ENQUIRY", "ARRIVED", NULL },
    { SG_MSG_DCR, "DESTINATION", "ARRIVED", "?", "hint.arrival_first" },
    { SG_MSG_ENR, "DESTINATION", "UNDER_ENQUIRY ANTICIPATED OVERDUE", "?", "hint.enquiry" },
    { SG_MSG_WOF, "DEPARTURE", "DISCREPANCY", "?", "hint.decision" },
    { SG_MSG_CAN, "DEPARTURE", "REGISTERED RELEASED", "CANCELLED", "hint.cancel" },
    { SG_MSG_NONE, NULL, NULL, NULL, NULL }
};

/* 1 if the space-separated lists a and b hold the same seals, any order. */
static int
s_same_seals (const char *a, const char *b)
{
    char x[2200], y[2200], *sx = NULL, *sy = NULL;
    size_t na = 0, nb = 0;
    sg_strlcpy (x, a ? a : "", sizeof x);
    for (char *t = strtok_r (x, " ,;", &sx); t; t = strtok_r (NULL, " ,;", &sx)) {
        char probe[64];
        snprintf (probe, sizeof probe, " %s ", t);
        snprintf (y, sizeof y, " %s ", b ? b : "");
        for (char *p = y; *p; p++)
            if (*p == ',' || *p == ';')
                *p = ' ';
        if (!strstr (y, probe))
            return 0;
        na++;
    }
    sg_strlcpy (y, b ? b : "", sizeof y);
    for (char *t = strtok_r (y, " ,;", &sy); t; t = strtok_r (NULL, " ,;", &sy))
        nb++;
    return na == nb;
}

/* A control that lists the seals found compares them with the movement's
 * current seals (the declared ones, or the new ones of an incident passed
 * on by the office of departure): intact when they are the same; other
 * seals with A1/A2 is refused. Sets the DCR's seals flag; 0 or -1 with *out. */
static int
s_seals_check (const asy_ctx_t *ctx, const asy_call_t *c, sg_msg_t *m, json_t **out)
{
    char current[2200] = "";
    asy_state_view_seals (ctx->state, c->mrn, m->event.office, current, sizeof current);
    int same = s_same_seals (c->seals_found, current);
    if (c->seals_intact >= 0 && c->seals_intact != same) {
        S_FAIL (ctx, out, 400, "seals_intact", "call.seals_flag", c->seals_found, current);
        return -1;
    }
    if (!same && strcmp (m->event.code, "B1") != 0) {
        S_FAIL (ctx, out, 400, "seals_found", "call.seals_mismatch", c->seals_found, current);
        return -1;
    }
    m->event.flag = same;
    return 0;
}

/* The state checks; returns 0 and the new state (NULL = unchanged). */
static int
s_check (const asy_ctx_t *ctx, const asy_call_t *c, const sg_msg_t *m, const char *role,
         const char *state, int have_row, char departure[9], const char **next, json_t **out)
{
    const char *office = m->event.office;
    *next = NULL;
    if (m->type == SG_MSG_ARQ) {
        if (have_row && strcmp (state, "ANTICIPATED") == 0) {
            return S_FAIL (ctx, out, 409, "mrn", "mrn.already_expected", c->mrn, office);
        }
        int rc = s_arq_departure (ctx, c, departure, out);
        *next = "RECORD_REQUESTED";
        return rc;
    }
    if (!departure[0]) {
        return S_FAIL (ctx, out, 404, "mrn", "mrn.no_record", c->mrn);
    }
    if (m->type == SG_MSG_INC)
        return 0;
    if (m->type == SG_MSG_NCF) {
        if (have_row && strcmp (state, "CROSSED") == 0) {
            return S_FAIL (ctx, out, 409, "mrn", "mrn.crossed", c->mrn, office);
        }
        *next = "CROSSED";
        return 0;
    }
    /* Checked last: a movement known here whose state forbids the verb. */
    const s_rule_t *r = s_rules;
    while (r->type != SG_MSG_NONE && r->type != m->type)
        r++;
    if (!have_row || strcmp (role, r->role) != 0)
        return S_FAIL (ctx, out, 409, "office", !strcmp (r->role, "DEPARTURE")
                       ? "office.not_departure" : "office.not_destination", office, c->mrn);
    if (!s_in (state, r->from)) {
        char need[300], hint[300];
        snprintf (need, sizeof need, "%s%s%s%s", r->from, r->hint ? " (" : "",
                  r->hint ? i18n_format (ctx->lang, r->hint, hint, sizeof hint, NULL) : "",
                  r->hint ? ")" : "");
        return S_FAIL (ctx, out, 409, "mrn", "mrn.state", c->mrn, office, state, c->verb, need);
    }
    *next = r->to;
    if (strcmp (r->to, "?") != 0)
        return 0;
    switch (m->type) {
    case SG_MSG_DCR:
        if (c->seals_found && s_seals_check (ctx, c, (sg_msg_t *) m, out))
            return 400;
        *next = !strcmp (m->event.code, "B1") ? "DISCREPANCY" : "CONTROLLED";
        break;
    case SG_MSG_ENR:
        *next = !strcmp (m->event.code, "AR") ? "ARRIVED" : NULL;
        break;
    default:
        *next = m->event.flag ? "DISCHARGED" : "RECOVERY";
        break;
    }
    return 0;
}

/* Who the call's message goes to: the office of departure; the office of
 * departure itself for its own decisions (a cancellation, a write-off or
 * recovery), which its node then tells every office concerned. */
static const char *
s_recipient (const sg_msg_t *m, const char *dep)
{
    return m->type == SG_MSG_CAN || m->type == SG_MSG_WOF ? m->event.office : dep;
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
        return S_FAIL (ctx, out, 400, "verb", "call.verb");
    if (!s_ascii (c->request_id, 64))
        return S_FAIL (ctx, out, 400, "request_id", "call.request_id");
    sg_diag_t d;
    if (!c->mrn || sg_mrn_check (c->mrn, &d) != SG_OK)
        return S_FAIL (ctx, out, 400, "mrn", "mrn.invalid", c->mrn ? d.text : "is required");
    if (!c->office || !c->office[0])
        return S_FAIL (ctx, out, 400, "office", "office.required");
    sg_msg_t *m = sg_msg_new (v->type);
    if (!m)
        return S_FAIL (ctx, out, 500, NULL, "internal", "out of memory");
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
    char id[40], verb[32];
    int rc = asy_state_request_get (ctx->state, c->request_id, old, sizeof old, id, verb, &d);
    if (rc == SG_EDB)
        goto fail;
    if (rc == SG_OK) {
        asy_state_rollback (ctx->state);
        if (strcmp (old, params) != 0) {
            status = S_FAIL (ctx, out, 409, "request_id", "call.request_reused", c->request_id,
                             verb);
        }
        else {
            *out = s_result (ctx, c->request_id, 1, id, sg_msg_type_name (v->type), c->mrn);
            status = 200;
        }
        goto done;
    }
    rc = asy_movement_get (ctx->state, c->mrn, m->event.office, role, state, dep, &d);
    if (rc == SG_EDB)
        goto fail;
    status = s_check (ctx, c, m, role, state, rc == SG_OK, dep, &next, out);
    if (status) {
        asy_state_rollback (ctx->state);
        goto done;
    }
    char to[9], own[9];
    strcpy (to, s_recipient (m, dep));
    /* WOF, CAN and ENR name no office in their body: it is the sender. */
    strcpy (own, m->event.office);
    if (m->type == SG_MSG_WOF || m->type == SG_MSG_CAN || m->type == SG_MSG_ENR)
        m->event.office[0] = 0;
    if (m->type == SG_MSG_ENR)
        asy_state_inbox_last (ctx->state, c->mrn, "ENQ", m->correlation_id,
                              sizeof m->correlation_id);
    snprintf (source, sizeof source, "call:%.64s", c->request_id);
    status = 500;
    sg_msgid_new (m->id);
    asy_now (m->issued);
    strcpy (m->mrn, c->mrn);
    strcpy (m->sender, own);
    strcpy (m->recipient, to);
    if (sg_msg_serialize (m, &body, &len, &d) != SG_OK) {
        asy_state_rollback (ctx->state);
        status = S_FAIL (ctx, out, 400, NULL, "call.invalid_message", sg_msg_type_name (m->type),
                         d.text);
        goto done;
    }
    if (asy_state_outbox_add (ctx->state, m, body, len, source, &d) != SG_OK
        || (c->officer && asy_state_outbox_officer (ctx->state, m->id, c->officer->id, &d)
                          != SG_OK))
        goto fail;
    if (rc != SG_OK
        && asy_state_view_add (ctx->state, c->mrn, own,
                               m->type == SG_MSG_NCF || m->type == SG_MSG_INC ? "TRANSIT"
                               : "DESTINATION", next ? next : "UNKNOWN", dep, &d) != SG_OK)
        goto fail;
    if (asy_movement_set (ctx->state, c->mrn, own, next, m, &d) != SG_OK)
        goto fail;
    if (m->type == SG_MSG_INC && asy_state_movement_incident (ctx->state, c->mrn, own, &d) != SG_OK)
        goto fail;
    if (asy_state_request_add (ctx->state, c->request_id, c->verb, c->mrn, own, params, m->id,
                               &d) != SG_OK
        || asy_state_commit (ctx->state, &d) != SG_OK)
        goto fail;
    sg_log_info ("%s %s at %s%s%s: queued %s %s for %s", c->verb, c->mrn, own,
              c->officer ? " by officer " : "", c->officer ? c->officer->id : "",
              sg_msg_type_name (m->type), m->id, to);
    *out = s_result (ctx, c->request_id, 0, m->id, sg_msg_type_name (m->type), c->mrn);
    status = 200;
    goto done;
fail:
    asy_state_rollback (ctx->state);
    sg_log_error ("%s %s: %s", c->verb, c->mrn, d.text);
    status = S_FAIL (ctx, out, 500, NULL, "internal", d.text);
done:
    free (body);
    sg_msg_destroy (&m);
    return status;
}
