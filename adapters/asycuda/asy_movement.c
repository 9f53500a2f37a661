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
asy_movement_put_decl (asy_state_t *st, const msg_t *m, const char *office, const char *role,
                       const char *state, sg_diag_t *diag)
{
    const msg_declaration_t *d = &m->decl;
    char now[21], transit[128], seals[2200], means[64];
    asy_now (now);
    s_join (transit, sizeof transit, (const char (*)[9]) d->transit, d->n_transit);
    seals[0] = 0;
    for (size_t i = 0; i < d->n_seals; i++) {
        if (i)
            strcat (seals, " ");
        strcat (seals, d->seals[i]);
    }
    snprintf (means, sizeof means, "%s (%s)", d->means.id, d->means.nationality);
    return asy_state_exec (st, diag,
        "INSERT INTO movement (mrn, office, role, state, lrn, departure, destination, transit,"
        " time_limit, means, seals, principal, last_type, last_message, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (mrn, office) DO UPDATE SET role = excluded.role,"
        " state = excluded.state, lrn = excluded.lrn, departure = excluded.departure,"
        " destination = excluded.destination, transit = excluded.transit,"
        " time_limit = excluded.time_limit, means = excluded.means, seals = excluded.seals,"
        " principal = excluded.principal, last_type = excluded.last_type,"
        " last_message = excluded.last_message, updated = excluded.updated",
        "sssssssssssssss", m->mrn, office, role, state, d->lrn, d->departure, d->destination,
        transit, d->time_limit, means, seals, d->principal.name, msg_type_name (m->type), m->id,
        now);
}

int
asy_movement_set (asy_state_t *st, const char *mrn, const char *office, const char *state,
                  const msg_t *m, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    const char *type = m ? msg_type_name (m->type) : NULL;
    const char *id = m ? m->id : NULL;
    if (office)
        return asy_state_exec (st, diag,
                               "UPDATE movement SET state = coalesce (?, state), last_type = ?,"
                               " last_message = ?, updated = ? WHERE mrn = ? AND office = ?",
                               "ssssss", state, type, id, now, mrn, office);
    return asy_state_exec (st, diag,
                           "UPDATE movement SET state = coalesce (?, state), last_type = ?,"
                           " last_message = ?, updated = ? WHERE mrn = ?",
                           "sssss", state, type, id, now, mrn);
}

int
asy_movement_get (asy_state_t *st, const char *mrn, const char *office, char role[16],
                  char state[24], char departure[9], sg_diag_t *diag)
{
    if (departure) {
        char dep[16];
        int rc = asy_state_text (st, dep, sizeof dep, diag,
                                 "SELECT departure FROM movement WHERE mrn = ? AND"
                                 " departure IS NOT NULL AND departure <> '' LIMIT 1", "s", mrn);
        if (rc == SG_EDB)
            return rc;
        sg_strlcpy (departure, dep, 9);
    }
    sqlite3_stmt *q = asy_state_prepare (st, diag, "SELECT role, state FROM movement"
                                         " WHERE mrn = ? AND office = ?", "ss", mrn, office);
    if (!q)
        return SG_EDB;
    int rc = SG_ENOTFOUND;
    if (sqlite3_step (q) == SQLITE_ROW) {
        if (role)
            sg_strlcpy (role, (const char *) sqlite3_column_text (q, 0), 16);
        if (state)
            sg_strlcpy (state, (const char *) sqlite3_column_text (q, 1), 24);
        rc = SG_OK;
    }
    sqlite3_finalize (q);
    return rc;
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

/* States in which the goods are no longer expected at the office. */
#define ASY_NOT_EXPECTED "'CROSSED', 'ARRIVED', 'CONTROLLED', 'DISCREPANCY', 'DISCHARGED'," \
                         " 'CANCELLED', 'RECOVERY', 'RECORD_REQUESTED', 'UNKNOWN'"

#define S_COLS "mrn, office, role, state, lrn, departure, destination, transit, time_limit," \
               " means, seals, principal, incidents, last_type, last_message, last_error, updated," \
               " upstream"

json_t *
asy_movement_json (asy_state_t *st, const asy_offices_t *tables, const char *mrn)
{
    json_t *views = json_array (), *msgs = json_array ();
    json_t *out = json_pack ("{s:s, s:o, s:o}", "mrn", mrn, "views", views, "messages", msgs);
    if (!out)
        return NULL;
    sqlite3_stmt *q = asy_state_prepare (st, NULL, "SELECT " S_COLS " FROM movement"
                                         " WHERE mrn = ? ORDER BY role, office", "s", mrn);
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
    q = asy_state_prepare (st, NULL, "SELECT msg_id, type, status, nak_code, nak_reason,"
                           " sender, recipient, created FROM outbox WHERE mrn = ? ORDER BY seq",
                           "s", mrn);
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
    sqlite3_stmt *q = asy_state_prepare (st, NULL, "SELECT " S_COLS " FROM movement"
                                         " WHERE office = ? AND role <> 'DEPARTURE'"
                                         " AND state NOT IN (" ASY_NOT_EXPECTED ")"
                                         " ORDER BY time_limit, mrn", "s", office);
    while (q && sqlite3_step (q) == SQLITE_ROW)
        json_array_append_new (list, s_row (q, tables));
    sqlite3_finalize (q);
    return out;
}

int
asy_movement_from_departure (asy_state_t *st, const char *mrn, const char *sender)
{
    char dep[16];
    if (asy_state_text (st, dep, sizeof dep, NULL, "SELECT departure FROM movement WHERE"
                        " mrn = ? AND departure IS NOT NULL AND departure <> '' LIMIT 1", "s",
                        mrn) != SG_OK)
        return 0;
    return strcmp (dep, sender) == 0;
}

int
asy_movement_upstream (asy_state_t *st, const msg_t *m, sg_diag_t *diag)
{
    const msg_event_t *e = &m->event;
    char line[700], seals[2200] = "", means[64] = "";
    for (size_t i = 0; i < e->n_seals; i++) {
        if (i)
            strcat (seals, " ");
        strcat (seals, e->seals[i]);
    }
    if (e->has_new_means)
        snprintf (means, sizeof means, "%s (%s)", e->new_means.id, e->new_means.nationality);
    if (m->type == MSG_NCF)
        snprintf (line, sizeof line, "%s NCF %s", e->datetime, e->office);
    else
        snprintf (line, sizeof line, "%s INC %s %s %.300s%s%s%s%s", e->datetime, e->office,
                  e->code, e->text, seals[0] ? "; new seals " : "", seals,
                  means[0] ? "; new means " : "", means);
    int rc = asy_movement_set (st, m->mrn, m->recipient, NULL, m, diag);
    if (rc == SG_OK)
        rc = asy_state_exec (st, diag, "UPDATE movement SET upstream = substr (coalesce"
                             " (upstream || char (10), '') || ?, -2000),"
                             " seals = coalesce (?, seals), means = coalesce (?, means),"
                             " incidents = incidents + ? WHERE mrn = ? AND office = ?",
                             "sssiss", line, seals[0] ? seals : NULL, means[0] ? means : NULL,
                             (long long) (m->type == MSG_INC), m->mrn, m->recipient);
    return rc;
}
