/* asy_state.c - the SQLite state file: schema, pragmas, transactions and a
 * small variadic binding helper so the other modules' SQL stays short and
 * parameterised. Why SQLite and not plain files: the ledger row of a spool
 * file, its message(s) in the outbox, the MRN counter and the movement
 * view must change together or not at all; one WAL transaction with
 * synchronous=FULL gives exactly that across kill -9. */
#include "asy_state.h"
#include "../prune.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct asy_state_t {
    sqlite3 *db;
};

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);\n"
    /* every spool file whose messages were queued (or that needed none) */
    "CREATE TABLE IF NOT EXISTS file (hash TEXT PRIMARY KEY, name TEXT NOT NULL,\n"
    "  decl_key TEXT, mrn TEXT, outcome TEXT NOT NULL, at TEXT NOT NULL);\n"
    /* one row per ASYCUDA declaration: its one MRN forever */
    "CREATE TABLE IF NOT EXISTS declaration (decl_key TEXT PRIMARY KEY,\n"
    "  mrn TEXT NOT NULL UNIQUE, lrn TEXT, departure TEXT, dec_id TEXT, rel_id TEXT,\n"
    "  at TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS serial (office TEXT, year INTEGER, next INTEGER NOT NULL,\n"
    "  PRIMARY KEY (office, year));\n"
    /* messages for the node; body kept until the node ACKs */
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  msg_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, mrn TEXT NOT NULL,\n"
    "  sender TEXT NOT NULL, recipient TEXT NOT NULL, created TEXT NOT NULL,\n"
    "  source TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'queued',\n"
    "  nak_code INTEGER, nak_reason TEXT, body BLOB, updated TEXT, officer TEXT,\n"
    "  header BLOB);\n"
    "CREATE INDEX IF NOT EXISTS outbox_queued ON outbox (status, seq);\n"
    "CREATE INDEX IF NOT EXISTS outbox_mrn ON outbox (mrn);\n"
    /* the local view of a movement, per office of this adapter */
    "CREATE TABLE IF NOT EXISTS movement (mrn TEXT NOT NULL, office TEXT NOT NULL,\n"
    "  role TEXT NOT NULL, state TEXT NOT NULL, lrn TEXT, departure TEXT,\n"
    "  destination TEXT, transit TEXT, time_limit TEXT, means TEXT, seals TEXT,\n"
    "  principal TEXT, incidents INTEGER NOT NULL DEFAULT 0, last_type TEXT,\n"
    "  last_message TEXT, last_error TEXT, updated TEXT NOT NULL,\n"
    "  PRIMARY KEY (mrn, office));\n"
    "CREATE INDEX IF NOT EXISTS movement_office ON movement (office, state);\n"
    "CREATE TABLE IF NOT EXISTS request (id TEXT PRIMARY KEY, verb TEXT NOT NULL,\n"
    "  mrn TEXT NOT NULL, office TEXT, params TEXT NOT NULL, msg_id TEXT,\n"
    "  at TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS inbox (msg_id TEXT PRIMARY KEY, type TEXT, mrn TEXT,\n"
    "  file TEXT, at TEXT NOT NULL);\n"
    /* the declaration as last sent (DEC, AMD or REL body), to tell an
     * amendment from a copy; cancelled once a CAN was queued */
    "CREATE TABLE IF NOT EXISTS declaration_sent (decl_key TEXT PRIMARY KEY,\n"
    "  msg_id TEXT NOT NULL, body TEXT NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0);\n"
    /* deliveries refused for good (NAKed): kept in rejected/, counted here */
    "CREATE TABLE IF NOT EXISTS refused (msg_id TEXT PRIMARY KEY, code INTEGER NOT NULL,\n"
    "  reason TEXT NOT NULL, at TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS error (id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  at TEXT NOT NULL, source TEXT, text TEXT NOT NULL);\n"
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', '1');\n";

void
asy_now (char out[21])
{
    sg_utc_now (out);
}

asy_state_t *
asy_state_open (const char *path, sg_diag_t *diag)
{
    asy_state_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    int rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                              | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot open state file %s: %s", path,
                     self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
        goto fail;
    }
    sqlite3_busy_timeout (self->db, 30000);
    char *err = NULL;
    if (sqlite3_exec (self->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "PRAGMA foreign_keys=ON;", NULL, NULL, &err) != SQLITE_OK
        || sqlite3_exec (self->db, s_schema, NULL, NULL, &err) != SQLITE_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot set up state file %s: %s", path,
                     err ? err : sqlite3_errmsg (self->db));
        sqlite3_free (err);
        goto fail;
    }
    /* Files made before officer accounts: the officer who caused a message,
     * and what happened upstream of each office. */
    if ((sqlite3_exec (self->db, "SELECT officer FROM outbox LIMIT 0", NULL, NULL, NULL) != SQLITE_OK
         && sqlite3_exec (self->db, "ALTER TABLE outbox ADD COLUMN officer TEXT", NULL, NULL,
                          &err) != SQLITE_OK)
        || (sqlite3_exec (self->db, "SELECT upstream FROM movement LIMIT 0", NULL, NULL, NULL)
            != SQLITE_OK
            && sqlite3_exec (self->db, "ALTER TABLE movement ADD COLUMN upstream TEXT", NULL,
                             NULL, &err) != SQLITE_OK)
        || (sqlite3_exec (self->db, "SELECT header FROM outbox LIMIT 0", NULL, NULL, NULL)
            != SQLITE_OK
            && sqlite3_exec (self->db, "ALTER TABLE outbox ADD COLUMN header BLOB", NULL, NULL,
                             &err) != SQLITE_OK)) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot upgrade state file %s: %s", path,
                     err ? err : sqlite3_errmsg (self->db));
        sqlite3_free (err);
        goto fail;
    }
    return self;
fail:
    asy_state_destroy (&self);
    return NULL;
}

void
asy_state_destroy (asy_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sqlite3_close_v2 ((*self_p)->db);
    free (*self_p);
    *self_p = NULL;
}

static int
s_simple (asy_state_t *self, const char *sql, sg_diag_t *diag)
{
    char *err = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &err) == SQLITE_OK)
        return SG_OK;
    int rc = sg_diag_set (diag, SG_EDB, 0, 0, "state file: %s failed: %s", sql,
                          err ? err : sqlite3_errmsg (self->db));
    sqlite3_free (err);
    return rc;
}

int
asy_state_begin (asy_state_t *self, sg_diag_t *diag)
{
    return s_simple (self, "BEGIN IMMEDIATE", diag);
}

int
asy_state_commit (asy_state_t *self, sg_diag_t *diag)
{
    return s_simple (self, "COMMIT", diag);
}

void
asy_state_rollback (asy_state_t *self)
{
    if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *
s_vprepare (asy_state_t *self, sg_diag_t *diag, const char *sql, const char *types, va_list ap)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "state file: %s", sqlite3_errmsg (self->db));
        return NULL;
    }
    int i = 1, rc = SQLITE_OK;
    for (const char *t = types; t && *t && rc == SQLITE_OK; t++, i++) {
        if (*t == 's') {
            const char *s = va_arg (ap, const char *);
            rc = s ? sqlite3_bind_text (st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null (st, i);
        }
        else if (*t == 'i')
            rc = sqlite3_bind_int64 (st, i, va_arg (ap, long long));
        else if (*t == 'b') {
            const void *p = va_arg (ap, const void *);
            size_t n = va_arg (ap, size_t);
            rc = sqlite3_bind_blob64 (st, i, p, n, SQLITE_TRANSIENT);
        }
    }
    if (rc != SQLITE_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "state file: bind: %s", sqlite3_errmsg (self->db));
        sqlite3_finalize (st);
        return NULL;
    }
    return st;
}

static sqlite3_stmt *
s_prepare (asy_state_t *self, sg_diag_t *diag, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start (ap, types);
    sqlite3_stmt *st = s_vprepare (self, diag, sql, types, ap);
    va_end (ap);
    return st;
}

/* Prepares sql (parameters as s_vprepare) and steps to its first row:
 * the statement there (finalize it), or NULL with *rc SG_EDB (it did not
 * prepare, diag set) or SG_ENOTFOUND (no row). */
static sqlite3_stmt *
s_row (asy_state_t *self, sg_diag_t *diag, int *rc, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start (ap, types);
    sqlite3_stmt *st = s_vprepare (self, diag, sql, types, ap);
    va_end (ap);
    *rc = st ? SG_ENOTFOUND : SG_EDB;
    if (st && sqlite3_step (st) != SQLITE_ROW) {
        sqlite3_finalize (st);
        st = NULL;
    }
    return st;
}

static int
s_exec (asy_state_t *self, sg_diag_t *diag, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start (ap, types);
    sqlite3_stmt *st = s_vprepare (self, diag, sql, types, ap);
    va_end (ap);
    if (!st)
        return SG_EDB;
    int rc = sqlite3_step (st);
    sqlite3_finalize (st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return SG_OK;
    return sg_diag_set (diag, SG_EDB, 0, 0, "state file: %s", sqlite3_errmsg (self->db));
}

int
asy_state_text (asy_state_t *self, char *out, size_t size, sg_diag_t *diag, const char *sql,
                const char *types, ...)
{
    out[0] = 0;
    va_list ap;
    va_start (ap, types);
    sqlite3_stmt *st = s_vprepare (self, diag, sql, types, ap);
    va_end (ap);
    if (!st)
        return SG_EDB;
    int rc = sqlite3_step (st), ret = SG_OK;
    if (rc == SQLITE_ROW) {
        const char *t = (const char *) sqlite3_column_text (st, 0);
        sg_strlcpy (out, t ? t : "", size);
    }
    else if (rc == SQLITE_DONE)
        ret = SG_ENOTFOUND;
    else
        ret = sg_diag_set (diag, SG_EDB, 0, 0, "state file: %s", sqlite3_errmsg (self->db));
    sqlite3_finalize (st);
    return ret;
}

int
asy_state_next_serial (asy_state_t *self, const char *office, int year, long long *serial,
                       sg_diag_t *diag)
{
    char v[32];
    int rc = s_exec (self, diag, "INSERT OR IGNORE INTO serial VALUES (?, ?, 1)", "si",
                     office, (long long) year);
    if (rc == SG_OK)
        rc = asy_state_text (self, v, sizeof v, diag,
                             "SELECT next FROM serial WHERE office = ? AND year = ?", "si",
                             office, (long long) year);
    if (rc == SG_OK)
        rc = s_exec (self, diag,
                     "UPDATE serial SET next = next + 1 WHERE office = ? AND year = ?",
                     "si", office, (long long) year);
    *serial = rc == SG_OK ? atoll (v) : 0;
    return rc;
}

int
asy_state_outbox_add (asy_state_t *self, const sg_msg_t *m, const char *body, size_t len,
                      const char *source, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return s_exec (self, diag,
                   "INSERT INTO outbox (msg_id, type, mrn, sender, recipient, created,"
                   " source, body, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "sssssssbs", m->id, sg_msg_type_name (m->type), m->mrn, m->sender,
                   m->recipient, m->issued, source, (const void *) body, len, now);
}

int
asy_state_meta_set (asy_state_t *self, const char *key, const char *value)
{
    return s_exec (self, NULL, "INSERT OR REPLACE INTO meta VALUES (?, ?)", "ss", key,
                   value);
}

void
asy_state_error (asy_state_t *self, const char *source, const char *text)
{
    char now[21];
    asy_now (now);
    s_exec (self, NULL, "INSERT INTO error (at, source, text) VALUES (?, ?, ?)", "sss",
            now, source, text);
    s_exec (self, NULL, "DELETE FROM error WHERE id <= (SELECT max(id) - 1000 FROM error)",
            "");
}

int
asy_state_outbox_pending (asy_state_t *self, int64_t after, size_t max,
                          int (*fn) (void *arg, const sg_link_out_t *out), void *arg)
{
    sg_diag_t d;
    sqlite3_stmt *q = s_prepare (self, &d, "SELECT seq, msg_id, header, body, officer"
                                 " FROM outbox WHERE status = 'queued' AND seq > ?"
                                 " ORDER BY seq LIMIT ?", "ii", (long long) after,
                                 (long long) max);
    if (!q)
        return SG_EDB;
    int rc = SG_OK, step;
    while (rc == SG_OK && (step = sqlite3_step (q)) == SQLITE_ROW) {
        sg_link_out_t o = {
            .seq = sqlite3_column_int64 (q, 0),
            .id = (const char *) sqlite3_column_text (q, 1),
            .header = sqlite3_column_blob (q, 2),
            .header_len = (size_t) sqlite3_column_bytes (q, 2),
            .body = sqlite3_column_blob (q, 3),
            .body_len = (size_t) sqlite3_column_bytes (q, 3),
            .officer = (const char *) sqlite3_column_text (q, 4) };
        rc = fn (arg, &o);
    }
    if (rc == SG_OK && step != SQLITE_DONE)
        rc = SG_EDB;
    sqlite3_finalize (q);
    return rc;
}

int
asy_state_outbox_set_header (asy_state_t *self, const char *id, const char *header, size_t len)
{
    return s_exec (self, NULL, "UPDATE outbox SET header = ? WHERE msg_id = ?", "bs",
                   (const void *) header, len, id);
}

void
asy_state_outbox_accepted (asy_state_t *self, const char *id)
{
    char now[21];
    asy_now (now);
    s_exec (self, NULL, "UPDATE outbox SET status = 'accepted', body = NULL,"
            " updated = ? WHERE msg_id = ? AND status = 'queued'", "ss", now, id);
}

int
asy_state_outbox_rejected (asy_state_t *self, const char *id, int code, const char *reason,
                           asy_sent_t *sent)
{
    char now[21];
    asy_now (now);
    memset (sent, 0, sizeof *sent);
    s_exec (self, NULL, "UPDATE outbox SET status = 'rejected', nak_code = ?,"
            " nak_reason = ?, body = NULL, updated = ? WHERE msg_id = ?", "isss",
            (long long) code, reason, now, id);
    int rc;
    sqlite3_stmt *q = s_row (self, NULL, &rc, "SELECT source, type, mrn FROM outbox"
                             " WHERE msg_id = ?", "s", id);
    if (!q)
        return rc;
    sg_strlcpy (sent->source, (const char *) sqlite3_column_text (q, 0), sizeof sent->source);
    sg_strlcpy (sent->type, (const char *) sqlite3_column_text (q, 1), sizeof sent->type);
    sg_strlcpy (sent->mrn, (const char *) sqlite3_column_text (q, 2), sizeof sent->mrn);
    sqlite3_finalize (q);
    return SG_OK;
}

int
asy_state_inbox_seen (asy_state_t *self, const char *id, sg_diag_t *diag)
{
    char seen[8];
    return asy_state_text (self, seen, sizeof seen, diag, "SELECT 1 FROM inbox WHERE msg_id = ?",
                           "s", id);
}

int
asy_state_inbox_add (asy_state_t *self, const char *id, const char *type, const char *mrn,
                     const char *file, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return s_exec (self, diag, "INSERT INTO inbox VALUES (?, ?, ?, ?, ?)", "sssss", id,
                   type, mrn, file, now);
}

void
asy_state_refused_add (asy_state_t *self, const char *id, int code, const char *reason)
{
    char now[21];
    asy_now (now);
    s_exec (self, NULL, "INSERT OR REPLACE INTO refused VALUES (?, ?, ?, ?)", "siss", id,
            (long long) code, reason, now);
}

void
asy_state_movement_error (asy_state_t *self, const char *mrn, const char *text)
{
    s_exec (self, NULL, "UPDATE movement SET last_error = ? WHERE mrn = ?", "ss", text,
            mrn);
}

int
asy_state_movement_incident (asy_state_t *self, const char *mrn, const char *office,
                             sg_diag_t *diag)
{
    return s_exec (self, diag, "UPDATE movement SET incidents = incidents + 1"
                   " WHERE mrn = ? AND office = ?", "ss", mrn, office);
}

/* ---- the movement view ---- */

/* States in which the goods are no longer expected at the office. */
#define S_NOT_EXPECTED "'CROSSED', 'ARRIVED', 'CONTROLLED', 'DISCREPANCY', 'DISCHARGED'," \
                       " 'CANCELLED', 'RECOVERY', 'RECORD_REQUESTED', 'UNKNOWN'"

/* The columns of a view row, in the order asy_state.h documents. */
#define S_VIEW_COLS "mrn, office, role, state, lrn, departure, destination, transit," \
                    " time_limit, means, seals, principal, incidents, last_type, last_message," \
                    " last_error, updated, upstream"

int
asy_state_view_put (asy_state_t *self, const asy_view_t *v, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return s_exec (self, diag,
        "INSERT INTO movement (mrn, office, role, state, lrn, departure, destination, transit,"
        " time_limit, means, seals, principal, last_type, last_message, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (mrn, office) DO UPDATE SET role = excluded.role,"
        " state = excluded.state, lrn = excluded.lrn, departure = excluded.departure,"
        " destination = excluded.destination, transit = excluded.transit,"
        " time_limit = excluded.time_limit, means = excluded.means, seals = excluded.seals,"
        " principal = excluded.principal, last_type = excluded.last_type,"
        " last_message = excluded.last_message, updated = excluded.updated",
        "sssssssssssssss", v->mrn, v->office, v->role, v->state, v->lrn, v->departure,
        v->destination, v->transit, v->time_limit, v->means, v->seals, v->principal,
        v->last_type, v->last_message, now);
}

int
asy_state_view_add (asy_state_t *self, const char *mrn, const char *office, const char *role,
                    const char *state, const char *departure, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return s_exec (self, diag, "INSERT INTO movement (mrn, office, role, state,"
                   " departure, updated) VALUES (?, ?, ?, ?, ?, ?)", "ssssss", mrn,
                   office, role, state, departure, now);
}

int
asy_state_view_set (asy_state_t *self, const char *mrn, const char *office, const char *state,
                    const char *type, const char *id, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    if (office)
        return s_exec (self, diag,
                       "UPDATE movement SET state = coalesce (?, state), last_type = ?,"
                       " last_message = ?, updated = ? WHERE mrn = ? AND office = ?",
                       "ssssss", state, type, id, now, mrn, office);
    return s_exec (self, diag,
                   "UPDATE movement SET state = coalesce (?, state), last_type = ?,"
                   " last_message = ?, updated = ? WHERE mrn = ?",
                   "sssss", state, type, id, now, mrn);
}

int
asy_state_view_get (asy_state_t *self, const char *mrn, const char *office, char role[16],
                    char state[24], sg_diag_t *diag)
{
    int rc;
    sqlite3_stmt *q = s_row (self, diag, &rc, "SELECT role, state FROM movement"
                             " WHERE mrn = ? AND office = ?", "ss", mrn, office);
    if (!q)
        return rc;
    if (role)
        sg_strlcpy (role, (const char *) sqlite3_column_text (q, 0), 16);
    if (state)
        sg_strlcpy (state, (const char *) sqlite3_column_text (q, 1), 24);
    sqlite3_finalize (q);
    return SG_OK;
}

int
asy_state_view_seals (asy_state_t *self, const char *mrn, const char *office, char *out,
                      size_t size)
{
    return asy_state_text (self, out, size, NULL, "SELECT coalesce (seals, '') FROM movement"
                           " WHERE mrn = ? AND office = ?", "ss", mrn, office);
}

int
asy_state_departure (asy_state_t *self, const char *mrn, char *out, size_t size,
                     sg_diag_t *diag)
{
    return asy_state_text (self, out, size, diag, "SELECT departure FROM movement WHERE"
                           " mrn = ? AND departure IS NOT NULL AND departure <> '' LIMIT 1",
                           "s", mrn);
}

int
asy_state_view_upstream (asy_state_t *self, const char *mrn, const char *office,
                         const char *line, const char *seals, const char *means, int incident,
                         sg_diag_t *diag)
{
    return s_exec (self, diag, "UPDATE movement SET upstream = substr (coalesce"
                   " (upstream || char (10), '') || ?, -2000),"
                   " seals = coalesce (?, seals), means = coalesce (?, means),"
                   " incidents = incidents + ? WHERE mrn = ? AND office = ?",
                   "sssiss", line, seals, means, (long long) (incident != 0), mrn,
                   office);
}

sqlite3_stmt *
asy_state_views_of (asy_state_t *self, const char *mrn)
{
    return s_prepare (self, NULL, "SELECT " S_VIEW_COLS " FROM movement"
                      " WHERE mrn = ? ORDER BY role, office", "s", mrn);
}

sqlite3_stmt *
asy_state_views_expected (asy_state_t *self, const char *office)
{
    return s_prepare (self, NULL, "SELECT " S_VIEW_COLS " FROM movement"
                      " WHERE office = ? AND role <> 'DEPARTURE'"
                      " AND state NOT IN (" S_NOT_EXPECTED ")"
                      " ORDER BY time_limit, mrn", "s", office);
}

sqlite3_stmt *
asy_state_outbox_of (asy_state_t *self, const char *mrn)
{
    return s_prepare (self, NULL, "SELECT msg_id, type, status, nak_code, nak_reason,"
                      " sender, recipient, created FROM outbox WHERE mrn = ?"
                      " ORDER BY seq", "s", mrn);
}

/* ---- officers' requests ---- */

int
asy_state_request_get (asy_state_t *self, const char *id, char *params, size_t size,
                       char msg_id[40], char verb[32], sg_diag_t *diag)
{
    int rc;
    sqlite3_stmt *q = s_row (self, diag, &rc, "SELECT params, coalesce (msg_id, ''),"
                             " verb FROM request WHERE id = ?", "s", id);
    if (!q)
        return rc;
    sg_strlcpy (params, (const char *) sqlite3_column_text (q, 0), size);
    sg_strlcpy (msg_id, (const char *) sqlite3_column_text (q, 1), 40);
    sg_strlcpy (verb, (const char *) sqlite3_column_text (q, 2), 32);
    sqlite3_finalize (q);
    return SG_OK;
}

int
asy_state_request_add (asy_state_t *self, const char *id, const char *verb, const char *mrn,
                       const char *office, const char *params, const char *msg_id,
                       sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return s_exec (self, diag, "INSERT INTO request VALUES (?, ?, ?, ?, ?, ?, ?)",
                   "sssssss", id, verb, mrn, office, params, msg_id, now);
}

int
asy_state_outbox_officer (asy_state_t *self, const char *id, const char *officer,
                          sg_diag_t *diag)
{
    return s_exec (self, diag, "UPDATE outbox SET officer = ? WHERE msg_id = ?", "ss",
                   officer, id);
}

int
asy_state_inbox_last (asy_state_t *self, const char *mrn, const char *type, char *id,
                      size_t size)
{
    return asy_state_text (self, id, size, NULL, "SELECT msg_id FROM inbox WHERE mrn = ? AND"
                           " type = ? ORDER BY at DESC, rowid DESC LIMIT 1", "ss", mrn, type);
}

/* ---- the spool's ledger: files and declarations ---- */

int
asy_state_declaration_get (asy_state_t *self, const char *key, char mrn[32], char dec_id[40],
                           char rel_id[40], char **sent_body, int *cancelled, sg_diag_t *diag)
{
    int rc;
    sqlite3_stmt *q = s_row (self, diag, &rc, "SELECT mrn, coalesce (dec_id, ''),"
                             " coalesce (rel_id, ''), s.body, coalesce (s.cancelled, 0)"
                             " FROM declaration d LEFT JOIN declaration_sent s"
                             " USING (decl_key) WHERE decl_key = ?", "s", key);
    if (!q)
        return rc;
    sg_strlcpy (mrn, (const char *) sqlite3_column_text (q, 0), 32);
    sg_strlcpy (dec_id, (const char *) sqlite3_column_text (q, 1), 40);
    sg_strlcpy (rel_id, (const char *) sqlite3_column_text (q, 2), 40);
    if (sqlite3_column_type (q, 3) == SQLITE_TEXT)
        *sent_body = strdup ((const char *) sqlite3_column_text (q, 3));
    *cancelled = sqlite3_column_int (q, 4);
    sqlite3_finalize (q);
    return SG_OK;
}

int
asy_state_declaration_put (asy_state_t *self, const char *key, const char *mrn, const char *lrn,
                           const char *departure, const char *dec_id, const char *rel_id,
                           const char *at, sg_diag_t *diag)
{
    return s_exec (self, diag,
                   "INSERT INTO declaration (decl_key, mrn, lrn, departure, dec_id,"
                   " rel_id, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (decl_key)"
                   " DO UPDATE SET rel_id = excluded.rel_id", "sssssss", key, mrn, lrn,
                   departure, dec_id, rel_id, at);
}

int
asy_state_declaration_sent (asy_state_t *self, const char *key, const char *msg_id,
                            const char *body, sg_diag_t *diag)
{
    return s_exec (self, diag, "INSERT INTO declaration_sent (decl_key, msg_id, body)"
                   " VALUES (?, ?, ?) ON CONFLICT (decl_key) DO UPDATE SET"
                   " msg_id = excluded.msg_id, body = excluded.body", "sss", key, msg_id,
                   body);
}

int
asy_state_declaration_cancelled (asy_state_t *self, const char *key, const char *dec_id,
                                 sg_diag_t *diag)
{
    return s_exec (self, diag, "INSERT INTO declaration_sent (decl_key, msg_id, body,"
                   " cancelled) VALUES (?, ?, '', 1) ON CONFLICT (decl_key) DO UPDATE"
                   " SET cancelled = 1", "ss", key, dec_id);
}

int
asy_state_file_add (asy_state_t *self, const char *hash, const char *name, const char *key,
                    const char *mrn, const char *outcome, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return s_exec (self, diag, "INSERT INTO file VALUES (?, ?, ?, ?, ?, ?)", "ssssss",
                   hash, name, key, mrn, outcome, now);
}

int
asy_state_file_outcome (asy_state_t *self, const char *hash, char *outcome, size_t size,
                        sg_diag_t *diag)
{
    return asy_state_text (self, outcome, size, diag, "SELECT outcome FROM file WHERE hash = ?",
                           "s", hash);
}

/* ---- figures for `status` and /metrics ---- */

static const char *const s_count_sql[ASY_COUNT_N] = {
    [ASY_COUNT_QUEUED] = "SELECT count(*) FROM outbox WHERE status = 'queued'",
    [ASY_COUNT_ACCEPTED] = "SELECT count(*) FROM outbox WHERE status = 'accepted'",
    [ASY_COUNT_REJECTED] = "SELECT count(*) FROM outbox WHERE status = 'rejected'",
    [ASY_COUNT_FILES] = "SELECT count(*) FROM file",
    [ASY_COUNT_DECLARATIONS] = "SELECT count(*) FROM declaration",
    [ASY_COUNT_DELIVERIES] = "SELECT count(*) FROM inbox",
    [ASY_COUNT_REFUSED] = "SELECT count(*) FROM refused",
    [ASY_COUNT_ERRORS] = "SELECT count(*) FROM error",
    [ASY_COUNT_STATUS_AGE] = "SELECT coalesce(strftime('%s', 'now') - strftime('%s', value), -1)"
                             " FROM meta WHERE key = 'daemon_updated'",
    [ASY_COUNT_OLDEST_AGE] = "SELECT coalesce(strftime('%s', 'now') - strftime('%s',"
                             " min(created)), 0) FROM outbox WHERE status = 'queued'",
};

static const char *const s_tally_sql[ASY_TALLY_N] = {
    [ASY_TALLY_MOVEMENT_STATE] = "SELECT state, count(*) FROM movement GROUP BY 1 ORDER BY 1",
    [ASY_TALLY_OUTBOX_STATUS] = "SELECT status, count(*) FROM outbox GROUP BY 1 ORDER BY 1",
    [ASY_TALLY_INBOX_TYPE] = "SELECT coalesce(type, 'OTHER'), count(*) FROM inbox"
                             " GROUP BY 1 ORDER BY 1",
    [ASY_TALLY_INBOX_WRITES] = "SELECT coalesce(type, 'OTHER'), count(*) FROM inbox"
                               " WHERE file IS NOT NULL GROUP BY 1 ORDER BY 1",
    [ASY_TALLY_REQUEST_VERB] = "SELECT verb, count(*) FROM request GROUP BY 1 ORDER BY 1",
};

long long
asy_state_count (asy_state_t *self, asy_count_t what)
{
    char v[32] = "";
    if (what >= ASY_COUNT_N || asy_state_text (self, v, sizeof v, NULL, s_count_sql[what], "")
                               != SG_OK)
        return what == ASY_COUNT_STATUS_AGE ? -1 : 0;
    return atoll (v);
}

sqlite3_stmt *
asy_state_tally (asy_state_t *self, asy_tally_t what)
{
    return what < ASY_TALLY_N ? s_prepare (self, NULL, s_tally_sql[what], "") : NULL;
}

sqlite3_stmt *
asy_state_errors_last (asy_state_t *self, int n)
{
    return s_prepare (self, NULL, "SELECT at, coalesce (source, ''), text FROM error"
                      " ORDER BY id DESC LIMIT ?", "i", (long long) n);
}

void
asy_state_meta_get (asy_state_t *self, const char *key, char *out, size_t size)
{
    asy_state_text (self, out, size, NULL, "SELECT value FROM meta WHERE key = ?", "s", key);
}

/* ---- retention (adapters/prune.h) ---- */

#define S_CLOSED "('DISCHARGED', 'CANCELLED', 'RECOVERY')"

/* Times in this file are RFC 3339 UTC text, which sorts as time does.
 * Kept forever: the `declaration` ledger (one MRN per ASYCUDA declaration,
 * so a re-exported declaration never gets a second MRN), the `file` ledger
 * of spool files, `serial` and `meta`. */
static const prune_rule_t s_prune_rules[] = {
    { "outbox", "json_object('seq', seq, 'msg_id', msg_id, 'type', type, 'mrn', mrn,"
      " 'sender', sender, 'recipient', recipient, 'created', created, 'source', source,"
      " 'status', status, 'nak_code', nak_code, 'nak_reason', nak_reason,"
      " 'body', CAST(body AS TEXT), 'updated', updated)",
      "status IN ('accepted', 'rejected') AND coalesce(updated, created) < ?1", 1 },
    { "inbox", "json_object('msg_id', msg_id, 'type', type, 'mrn', mrn, 'file', file, 'at', at)",
      "at < ?1", 1 },
    { "movement", "json_object('mrn', mrn, 'office', office, 'role', role, 'state', state,"
      " 'lrn', lrn, 'departure', departure, 'destination', destination, 'transit', transit,"
      " 'time_limit', time_limit, 'incidents', incidents, 'last_type', last_type,"
      " 'last_message', last_message, 'updated', updated)",
      "state IN " S_CLOSED " AND updated < ?1", 1 },
    { "request", "json_object('id', id, 'verb', verb, 'mrn', mrn, 'office', office,"
      " 'params', params, 'msg_id', msg_id, 'at', at)", "at < ?1", 1 },
    { "error", "json_object('id', id, 'at', at, 'source', source, 'text', text)", "at < ?1", 1 },
    { "refused", "json_object('msg_id', msg_id, 'code', code, 'reason', reason, 'at', at)",
      "at < ?1", 1 },
};

int
asy_state_prune (asy_state_t *self, const char *dir, const char *prefix, long long cutoff_ms,
                 int limit, sg_diag_t *diag)
{
    return prune_run (self->db, dir, prefix, s_prune_rules,
                      (int) (sizeof s_prune_rules / sizeof s_prune_rules[0]), cutoff_ms, limit,
                      diag);
}
