/* gen_submit.c - the API's submissions: a declaration (JSON, or national
 * XML through the configured XSLT) becomes a DEC; release, crossing,
 * arrival, control, incident and cancellation become REL NCF ARR DCR INC
 * CAN. Each is checked, authorised by office, stored for the node with
 * the movement change and its idempotency record, then answered. */
#include "gen_api.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "gen_json.h"
#include "ident.h"
#include "log.h"

/* A submission being built. */
typedef struct {
    sg_msg_t *m;
    gen_view_t view;            /* the movement's view (events) */
    char *body;                 /* serialised message */
    size_t blen;
    const char *state;          /* new state of the sender's view */
    const char *role;
    char transits[90];
} s_sub_t;

static int
s_err_reply (struct MHD_Connection *c, const gen_err_t *e)
{
    const char *name = e->status == 403 ? "forbidden-office" : e->status == 404 ? "unknown-mrn"
                       : e->status == 409 ? "conflict" : e->status == 400 ? "invalid-json"
                       : e->status >= 500 ? "internal" : "validation";
    return gen_problem (c, e->status, name, e->detail, e->field, 0, NULL, NULL);
}

/* 1 if the Content-Type is JSON (application/json or +json, any params). */
static int
s_is (const char *ctype, const char *what)
{
    if (!ctype)
        return 0;
    size_t n = strcspn (ctype, ";");
    while (n && ctype[n - 1] == ' ')
        n--;
    if (!strcmp (what, "json"))
        return (n == 16 && !strncasecmp (ctype, "application/json", 16));
    return (n == 15 && !strncasecmp (ctype, "application/xml", 15))
           || (n == 8 && !strncasecmp (ctype, "text/xml", 8));
}

/* The declaration: JSON or mapped XML into s->m (a DEC). */
static int
s_declaration (gen_adapter_t *self, const gen_route_t *r, const char *ctype, const char *body,
               size_t len, s_sub_t *s, gen_err_t *e, int *line)
{
    if (s_is (ctype, "xml")) {
        if (!self->xml_in)
            return gen_err (e, 415, "", "XML input is not configured (xml_input_xslt)");
        sg_diag_t d;
        sg_diag_clear (&d);
        int rc = gen_xslt_map_declaration (self->xml_in, self->xml_schema, body, len, self->conf,
                                           self->conf->default_time_limit, &s->m, &d);
        if (rc == SG_OK)
            return 0;
        *line = d.line;
        if (rc == SG_EXML || rc == SG_ETOOBIG || rc == SG_ETOODEEP)
            return gen_err (e, 400, "", "%s", d.text);
        return gen_err (e, 422, rc == SG_ESCHEMA ? "" : "mapping", "%s", d.text);
    }
    if (!s_is (ctype, "json"))
        return gen_err (e, 415, "", "send application/json%s",
                        self->xml_in ? " or application/xml" : "");
    json_error_t je;
    json_t *root = json_loadb (body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return gen_err (e, 400, "", "line %d, column %d: %s", je.line, je.column, je.text);
    s->m = sg_msg_new (SG_MSG_DEC);
    int rc = s->m ? gen_json_to_decl (root, s->m, e) : gen_err (e, 500, "", "out of memory");
    json_decref (root);
    if (rc)
        return rc;
    char country[3] = { s->m->decl.departure[0], s->m->decl.departure[1], 0 };
    if (!s->m->mrn[0] && sg_mrn_new (country, s->m->mrn) != SG_OK)
        return gen_err (e, 500, "", "cannot generate an MRN");
    return 0;
}

/* Parses an event body (may be empty: {}). */
static json_t *
s_event_json (const char *ctype, const char *body, size_t len, gen_err_t *e)
{
    json_error_t je;
    if (len == 0)
        return json_object ();
    if (!s_is (ctype, "json")) {
        gen_err (e, 415, "", "send application/json");
        return NULL;
    }
    json_t *root = json_loadb (body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        gen_err (e, 400, "", "line %d, column %d: %s", je.line, je.column, je.text);
    return root;
}

/* REL: the stored DEC, released. */
static int
s_release (json_t *root, s_sub_t *s, const char *today, gen_err_t *e)
{
    sg_diag_t d;
    if (!s->view.decl || sg_msg_parse (s->view.decl, strlen (s->view.decl), NULL, &s->m,
                                       &d) != SG_OK)
        return gen_err (e, 409, "", "no registered declaration is kept for %s", s->view.mrn);
    sg_msg_t *m = s->m;
    sg_msg_event_t ev;
    memset (&ev, 0, sizeof ev);
    json_t *rd = json_object_get (root, "ReleaseDate");
    if (rd && !json_is_string (rd))
        return gen_err (e, 422, "/ReleaseDate", "/ReleaseDate must be a date YYYY-MM-DD");
    const char *date = rd ? json_string_value (rd) : today;
    if (strlen (date) != 10 || date[4] != '-' || date[7] != '-')
        return gen_err (e, 422, "/ReleaseDate", "/ReleaseDate \"%.20s\" is not a date YYYY-MM-DD",
                        date);
    m->type = SG_MSG_REL;
    sg_strlcpy (m->decl.release_date, date, sizeof m->decl.release_date);
    if (strcmp (m->decl.time_limit, date) < 0)
        return gen_err (e, 422, "/ReleaseDate", "/ReleaseDate %s is after the time limit %s", date,
                        m->decl.time_limit);
    return 0;
}

/* The office of departure of an arrival request: DepartureCustomsOffice/ID
 * when given (taken out of the body before it is mapped), else the one
 * known here, else the one an MRN made by a sigmat node names. */
static int
s_arq_departure (json_t *root, gen_view_t *v, gen_err_t *e)
{
    json_t *dep = json_object_get (root, "DepartureCustomsOffice");
    json_t *id = json_is_object (dep) ? json_object_get (dep, "ID") : NULL;
    if (dep) {
        if (!json_is_string (id) || sg_office_check (json_string_value (id), NULL) != SG_OK)
            return gen_err (e, 422, "/DepartureCustomsOffice/ID", "/DepartureCustomsOffice/ID "
                            "must be an office reference number (CI000101)");
        sg_strlcpy (v->departure, json_string_value (id), sizeof v->departure);
        json_object_del (root, "DepartureCustomsOffice");
    }
    if (sg_office_check (v->departure, NULL) != SG_OK)
        return gen_err (e, 422, "/DepartureCustomsOffice/ID", "/DepartureCustomsOffice/ID is "
                        "required: the movement is not known here and its MRN names no office");
    return 0;
}

/* The states of the view an officer's decision needs, or NULL when the
 * type has no such rule here: an enquiry answer follows an enquiry (or an
 * arrival that was never recorded), the write-off or recovery decision a
 * control that found discrepancies. */
static const char *
s_need (sg_msg_type_t type)
{
    switch (type) {
    case SG_MSG_ENR: return "ANTICIPATED UNDER_ENQUIRY OVERDUE";
    case SG_MSG_WOF: return "DISCREPANCY";
    default: return NULL;
    }
}

/* Everything the route needs before storing; 0 or an HTTP status in e. */
static int
s_build (gen_adapter_t *self, struct MHD_Connection *c, const gen_route_t *r, const char *body,
         size_t len, s_sub_t *s, gen_err_t *e, int *line)
{
    const char *ctype = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Content-Type");
    char issued[21], today[11];
    gen_json_now (today, issued);
    int rc;
    if (r->type == SG_MSG_DEC) {
        if ((rc = s_declaration (self, r, ctype, body, len, s, e, line)))
            return rc;
        sg_msg_declaration_t *d = &s->m->decl;
        if (!officer_may (r->token, d->departure))
            return gen_err (e, 403, "/Declaration/DepartureCustomsOffice/ID",
                            "this token may not act for office %s", d->departure);
        gen_view_t v;
        if (gen_state_view (self->state, s->m->mrn, NULL, &v) == SG_OK) {
            free (v.decl);
            return gen_err (e, 409, "/DeclarationID", "movement %s is already known", s->m->mrn);
        }
        sg_strlcpy (s->m->sender, d->departure, sizeof s->m->sender);
        sg_strlcpy (s->m->recipient, d->departure, sizeof s->m->recipient);
        s->state = "REGISTERED", s->role = "DEPARTURE";
        for (size_t i = 0; i < d->n_transit; i++) {
            size_t n = strlen (s->transits);
            snprintf (s->transits + n, sizeof s->transits - n, "%s%s", i ? "," : "", d->transit[i]);
        }
    } else {
        if (sg_mrn_check (r->mrn, NULL) != SG_OK)
            return gen_err (e, 404, "", "no movement %.20s is known here", r->mrn);
        if (gen_state_view (self->state, r->mrn, NULL, &s->view) != SG_OK) {
            if (r->type != SG_MSG_ARQ)
                return gen_err (e, 404, "", "no movement %.20s is known here", r->mrn);
            /* A diverted arrival: the MRN names its office of departure. */
            sg_strlcpy (s->view.mrn, r->mrn, sizeof s->view.mrn);
            snprintf (s->view.departure, sizeof s->view.departure, "%.8s", r->mrn + 2);
        }
        const char *need = s_need (r->type);
        if (need && (strcmp (s->view.role, r->type == SG_MSG_ENR ? "DESTINATION" : "DEPARTURE")
                     || !strstr (need, s->view.state) || !s->view.state[0]))
            return gen_err (e, 409, "", "movement %s is %s %s here; %s needs the %s view in %s",
                            r->mrn, s->view.state, s->view.role, sg_msg_type_name (r->type),
                            r->type == SG_MSG_ENR ? "DESTINATION" : "DEPARTURE", need);
        json_t *root = s_event_json (ctype, body, len, e);
        if (!root)
            return e->status;
        if (r->type == SG_MSG_ARQ && s_arq_departure (root, &s->view, e)) {
            json_decref (root);
            return e->status;
        }
        if (r->type == SG_MSG_REL || r->type == SG_MSG_CAN) {
            if (strcmp (s->view.role, "DEPARTURE")) {
                json_decref (root);
                return gen_err (e, 409, "", "%s is not registered here as departure", r->mrn);
            }
            if (!officer_may (r->token, s->view.departure)) {
                json_decref (root);
                return gen_err (e, 403, "", "this token may not act for office %s",
                                s->view.departure);
            }
            int ok = !strcmp (s->view.state, "REGISTERED")
                     || (r->type == SG_MSG_CAN && !strcmp (s->view.state, "RELEASED"));
            if (!ok) {
                json_decref (root);
                return gen_err (e, 409, "", "movement %s is %s", r->mrn, s->view.state);
            }
        }
        if (r->type == SG_MSG_REL)
            rc = s_release (root, s, today, e);
        else {
            s->m = sg_msg_new (r->type);
            rc = s->m ? gen_json_to_event (root, s->m, e) : gen_err (e, 500, "", "out of memory");
        }
        json_decref (root);
        if (rc)
            return rc;
        sg_msg_t *m = s->m;
        sg_strlcpy (m->mrn, r->mrn, sizeof m->mrn);
        const char *sender = r->type == SG_MSG_REL || r->type == SG_MSG_CAN || r->type == SG_MSG_WOF
                             ? s->view.departure : r->type == SG_MSG_ENR ? s->view.office
                             : m->event.office;
        if (!officer_may (r->token, sender))
            return gen_err (e, 403, gen_json_office_field (r->type),
                            "this token may not act for office %s", sender);
        sg_strlcpy (m->sender, sender, sizeof m->sender);
        sg_strlcpy (m->recipient, s->view.departure, sizeof m->recipient);
        if (r->type == SG_MSG_ENR)
            gen_state_last_in (self->state, r->mrn, "ENQ", m->correlation_id);
        switch (r->type) {
        case SG_MSG_ENR:
            s->state = strcmp (m->event.code, "AR") ? NULL : "ARRIVED";
            s->role = "DESTINATION";
            break;
        case SG_MSG_WOF:
            s->state = m->event.flag ? "DISCHARGED" : "RECOVERY", s->role = "DEPARTURE";
            break;
        case SG_MSG_ARQ: s->state = "RECORD_REQUESTED", s->role = "DESTINATION"; break;
        case SG_MSG_REL: s->state = "RELEASED", s->role = "DEPARTURE"; break;
        case SG_MSG_CAN: s->state = "CANCELLED", s->role = "DEPARTURE"; break;
        case SG_MSG_NCF: s->state = "CROSSED", s->role = "TRANSIT"; break;
        case SG_MSG_ARR: s->state = "ARRIVED", s->role = "DESTINATION"; break;
        case SG_MSG_DCR:
            s->state = strcmp (m->event.code, "B1") ? "CONTROLLED" : "DISCREPANCY";
            s->role = "DESTINATION";
            break;
        default: break;
        }
    }
    sg_msgid_new (s->m->id);
    sg_strlcpy (s->m->issued, issued, sizeof s->m->issued);
    sg_diag_t d;
    sg_diag_clear (&d);
    if (sg_msg_serialize (s->m, &s->body, &s->blen, &d) != SG_OK)
        return gen_err (e, 422, r->type == SG_MSG_DEC ? "/Declaration" : "", "%s", d.text);
    return 0;
}

int
gen_submit (gen_adapter_t *self, struct MHD_Connection *c, const gen_route_t *r, const char *url,
            const char *body, size_t len)
{
    s_sub_t s;
    gen_err_t e;
    memset (&s, 0, sizeof s);
    memset (&e, 0, sizeof e);
    int ret, line = 0;
    char hash[65] = "";
    const char *key = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Idempotency-Key");
    if (key) {
        size_t n = strlen (key);
        int ok = n >= 1 && n <= 255;
        for (size_t i = 0; ok && i < n; i++)
            ok = key[i] > ' ' && key[i] < 0x7f;
        if (!ok) {
            ret = gen_problem (c, 422, "validation", "Idempotency-Key must be 1-255 printable "
                               "ASCII characters without spaces", NULL, 0, NULL, NULL);
            goto done;
        }
        char *buf = malloc (strlen (url) + len + 8);
        if (!buf) {
            ret = MHD_NO;
            goto done;
        }
        int hl = sprintf (buf, "POST %s\n", url);
        memcpy (buf + hl, body, len);
        gen_sha256_hex (buf, (size_t) hl + len, hash);
        free (buf);
        gen_idem_t idem;
        if (gen_state_idem_get (self->state, r->token->id, key, &idem) == SG_OK) {
            int same = !strcmp (idem.req_hash, hash);
            if (same)
                ret = gen_reply (c, idem.status, json_loads (idem.body, 0, NULL), NULL,
                                 "Idempotent-Replayed", "true");
            else
                ret = gen_problem (c, 422, "idempotency-key-reused",
                                   "this Idempotency-Key was used for a different request",
                                   NULL, 0, NULL, NULL);
            free (idem.body);
            goto done;
        }
    }
    if (s_build (self, c, r, body, len, &s, &e, &line)) {
        if (e.status == 422 && !strcmp (e.field, "mapping"))
            ret = gen_problem (c, 422, "mapping", e.detail, NULL, line, NULL, NULL);
        else if (e.status == 415)
            ret = gen_problem (c, 415, "unsupported-media-type", e.detail, NULL, 0, NULL, NULL);
        else if (e.status == 400 && r->type == SG_MSG_DEC && s_is (MHD_lookup_connection_value (
                     c, MHD_HEADER_KIND, "Content-Type"), "xml"))
            ret = gen_problem (c, 400, "invalid-xml", e.detail, NULL, line, NULL, NULL);
        else if (line > 0)
            ret = gen_problem (c, e.status, "validation", e.detail, NULL, line, NULL, NULL);
        else
            ret = s_err_reply (c, &e);
        goto done;
    }
    sg_msg_t *m = s.m;
    const char *type = sg_msg_type_name (m->type);
    char location[64];
    snprintf (location, sizeof location, "/v1/movements/%s", m->mrn);
    int status = m->type == SG_MSG_DEC ? 201 : 202;
    json_t *resp = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "MessageID", m->id,
                              "Type", type, "DeclarationID", m->mrn, "SenderOfficeID", m->sender,
                              "RecipientOfficeID", m->recipient, "NodeStatus", "queued",
                              "Location", location);
    if (s.state)
        json_object_set_new (resp, "State", json_string (s.state));
    char *text = json_dumps (resp, JSON_COMPACT | JSON_PRESERVE_ORDER);
    const sg_msg_declaration_t *d = &m->decl;
    int has_decl = m->type == SG_MSG_DEC;
    gen_out_t out = { 0, m->id, type, m->mrn, NULL, 0, s.body, s.blen, r->token->id };
    gen_mvt_t mvt = { .mrn = m->mrn, .office = m->sender, .role = s.role, .state = s.state,
                      .departure = has_decl ? d->departure : (s.view.departure[0] ? s.view.departure : NULL),
                      .destination = has_decl ? d->destination
                                              : (s.view.destination[0] ? s.view.destination : NULL),
                      .transits = has_decl ? s.transits : (s.view.transits[0] ? s.view.transits : NULL),
                      .lrn = has_decl ? d->lrn : (s.view.lrn[0] ? s.view.lrn : NULL),
                      .decl = sg_msg_type_has_declaration (m->type) ? s.body : NULL,
                      .message_id = m->id, .type = type, .direction = "out" };
    int rc = text ? gen_state_submit (self->state, &out, &mvt, r->token->id, key, hash, status,
                                      text) : SG_ENOMEM;
    if (rc == SG_ESEQ) {            /* the same key won a race: replay it */
        gen_idem_t idem;
        json_decref (resp);
        if (gen_state_idem_get (self->state, r->token->id, key, &idem) == SG_OK
            && !strcmp (idem.req_hash, hash))
            ret = gen_reply (c, idem.status, json_loads (idem.body, 0, NULL), NULL,
                             "Idempotent-Replayed", "true");
        else
            ret = gen_problem (c, 422, "idempotency-key-reused",
                               "this Idempotency-Key was used for a different request", NULL, 0,
                               NULL, NULL);
        free (idem.body);
    } else if (rc != SG_OK) {
        json_decref (resp);
        ret = gen_problem (c, 503, "internal", "the adapter cannot store the message now",
                           NULL, 0, "Retry-After", "5");
    } else {
        sg_log_info ("%s %s %s from %s queued for the node (token %s)", type, m->mrn, m->id,
                  m->sender, r->token->id);
        atomic_store (&self->dirty, 1);
        ret = gen_reply (c, status, resp, NULL, "Location", location);
    }
    free (text);
done:
    free (s.body);
    free (s.view.decl);
    sg_msg_destroy (&s.m);
    return ret;
}
