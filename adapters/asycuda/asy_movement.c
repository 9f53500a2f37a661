/* asy_movement.c - rows of the local movement view and their JSON form. */
#include "asy_movement.h"

#include <stdio.h>
#include <string.h>

static void
s_join (char *out, size_t size, const char (*list)[9], size_t n)
{
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat (out, " ", size - strlen (out) - 1);
        strncat (out, list[i], size - strlen (out) - 1);
    }
}

int
asy_movement_put_decl (asy_state_t *st, const sg_msg_t *m, const char *office, const char *role,
                       const char *state, sg_diag_t *diag)
{
    const sg_msg_declaration_t *d = &m->decl;
    char transit[128], seals[2200], means[64];
    s_join (transit, sizeof transit, (const char (*)[9]) d->transit, d->n_transit);
    seals[0] = 0;
    for (size_t i = 0; i < d->n_seals; i++) {
        if (i)
            strcat (seals, " ");
        strcat (seals, d->seals[i]);
    }
    snprintf (means, sizeof means, "%s (%s)", d->means.id, d->means.nationality);
    asy_view_t v = { .mrn = m->mrn, .office = office, .role = role, .state = state,
                     .lrn = d->lrn, .departure = d->departure, .destination = d->destination,
                     .transit = transit, .time_limit = d->time_limit, .means = means,
                     .seals = seals, .principal = d->principal.name,
                     .last_type = sg_msg_type_name (m->type), .last_message = m->id };
    return asy_state_view_put (st, &v, diag);
}

int
asy_movement_set (asy_state_t *st, const char *mrn, const char *office, const char *state,
                  const sg_msg_t *m, sg_diag_t *diag)
{
    return asy_state_view_set (st, mrn, office, state, m ? sg_msg_type_name (m->type) : NULL,
                               m ? m->id : NULL, diag);
}

int
asy_movement_get (asy_state_t *st, const char *mrn, const char *office, char role[16],
                  char state[24], char departure[9], sg_diag_t *diag)
{
    if (departure) {
        char dep[16];
        int rc = asy_state_departure (st, mrn, dep, sizeof dep, diag);
        if (rc == SG_EDB)
            return rc;
        sg_strlcpy (departure, dep, 9);
    }
    return asy_state_view_get (st, mrn, office, role, state, diag);
}

static json_t *
s_str (sqlite3_stmt *q, int col)
{
    const char *t = (const char *) sqlite3_column_text (q, col);
    return t && *t ? json_string (t) : json_null ();
}

static json_t *
s_transit (const char *list)
{
    json_t *a = json_array ();
    char buf[128];
    sg_strlcpy (buf, list ? list : "", sizeof buf);
    char *save = NULL;
    for (char *t = strtok_r (buf, " ", &save); t; t = strtok_r (NULL, " ", &save))
        json_array_append_new (a, json_string (t));
    return a;
}

static json_t *
s_code (const asy_offices_t *tables, const char *ref)
{
    const char *c = asy_office_code (tables, ref);
    return c ? json_string (c) : json_null ();
}

/* One movement row as JSON. */
static json_t *
s_row (sqlite3_stmt *q, const asy_offices_t *tables)
{
    const char *office = (const char *) sqlite3_column_text (q, 1);
    const char *name = asy_office_name (tables, office);
    return json_pack ("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                      " s:I, s:o, s:o, s:o, s:o, s:o}",
                      "mrn", s_str (q, 0), "office", office ? office : "",
                      "office_code", s_code (tables, office),
                      "office_name", name ? json_string (name) : json_null (),
                      "role", s_str (q, 2), "state", s_str (q, 3), "lrn", s_str (q, 4),
                      "departure", s_str (q, 5), "destination", s_str (q, 6),
                      "time_limit", s_str (q, 8), "means", s_str (q, 9),
                      "seals", s_transit ((const char *) sqlite3_column_text (q, 10)),
                      "transit", s_transit ((const char *) sqlite3_column_text (q, 7)),
                      "incidents", (json_int_t) sqlite3_column_int64 (q, 12),
                      "last_type", s_str (q, 13), "last_message", s_str (q, 14),
                      "last_error", s_str (q, 15), "updated", s_str (q, 16),
                      "upstream", s_str (q, 17));
}

json_t *
asy_movement_json (asy_state_t *st, const asy_offices_t *tables, const char *mrn)
{
    json_t *views = json_array (), *msgs = json_array ();
    json_t *out = json_pack ("{s:s, s:o, s:o}", "mrn", mrn, "views", views, "messages", msgs);
    if (!out)
        return NULL;
    sqlite3_stmt *q = asy_state_views_of (st, mrn);
    while (q && sqlite3_step (q) == SQLITE_ROW) {
        json_t *r = s_row (q, tables);
        if (json_array_size (views) == 0 && r) {
            json_object_set (out, "lrn", json_object_get (r, "lrn"));
            json_object_set (out, "departure", json_object_get (r, "departure"));
            json_object_set (out, "destination", json_object_get (r, "destination"));
            json_object_set (out, "transit", json_object_get (r, "transit"));
            json_object_set (out, "time_limit", json_object_get (r, "time_limit"));
        }
        json_object_del (r, "mrn");
        json_array_append_new (views, r);
    }
    sqlite3_finalize (q);
    q = asy_state_outbox_of (st, mrn);
    while (q && sqlite3_step (q) == SQLITE_ROW) {
        json_t *m = json_pack ("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", s_str (q, 0),
                               "type", s_str (q, 1), "status", s_str (q, 2),
                               "sender", s_str (q, 5), "recipient", s_str (q, 6),
                               "created", s_str (q, 7));
        if (m && sqlite3_column_type (q, 3) != SQLITE_NULL) {
            json_object_set_new (m, "nak_code", json_integer (sqlite3_column_int (q, 3)));
            json_object_set_new (m, "nak_reason", s_str (q, 4));
        }
        json_array_append_new (msgs, m);
    }
    sqlite3_finalize (q);
    return out;
}

json_t *
asy_expected_json (asy_state_t *st, const asy_offices_t *tables, const char *office)
{
    json_t *list = json_array ();
    const char *name = asy_office_name (tables, office);
    json_t *out = json_pack ("{s:s, s:o, s:o, s:o}", "office", office,
                             "office_code", s_code (tables, office),
                             "office_name", name ? json_string (name) : json_null (),
                             "expected", list);
    if (!out)
        return NULL;
    sqlite3_stmt *q = asy_state_views_expected (st, office);
    while (q && sqlite3_step (q) == SQLITE_ROW)
        json_array_append_new (list, s_row (q, tables));
    sqlite3_finalize (q);
    return out;
}

int
asy_movement_from_departure (asy_state_t *st, const char *mrn, const char *sender)
{
    char dep[16];
    if (asy_state_departure (st, mrn, dep, sizeof dep, NULL) != SG_OK)
        return 0;
    return strcmp (dep, sender) == 0;
}

int
asy_movement_upstream (asy_state_t *st, const sg_msg_t *m, sg_diag_t *diag)
{
    const sg_msg_event_t *e = &m->event;
    char line[700], seals[2200] = "", means[64] = "";
    for (size_t i = 0; i < e->n_seals; i++) {
        if (i)
            strcat (seals, " ");
        strcat (seals, e->seals[i]);
    }
    if (e->has_new_means)
        snprintf (means, sizeof means, "%s (%s)", e->new_means.id, e->new_means.nationality);
    if (m->type == SG_MSG_NCF)
        snprintf (line, sizeof line, "%s NCF %s", e->datetime, e->office);
    else
        snprintf (line, sizeof line, "%s INC %s %s %.300s%s%s%s%s", e->datetime, e->office,
                  e->code, e->text, seals[0] ? "; new seals " : "", seals,
                  means[0] ? "; new means " : "", means);
    int rc = asy_movement_set (st, m->mrn, m->recipient, NULL, m, diag);
    if (rc == SG_OK)
        rc = asy_state_view_upstream (st, m->mrn, m->recipient, line, seals[0] ? seals : NULL,
                                      means[0] ? means : NULL, m->type == SG_MSG_INC, diag);
    return rc;
}
