/* asy_state.c - the SQLite state file: schema, pragmas, transactions and a
 * small variadic binding helper so the other modules' SQL stays short and
 * parameterised. Why SQLite and not plain files: the ledger row of a spool
 * file, its message(s) in the outbox, the MRN counter and the movement
 * view must change together or not at all; one WAL transaction with
 * synchronous=FULL gives exactly that across kill -9. */
#include "asy_state.h"

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

sqlite3 *
asy_state_db (asy_state_t *self)
{
    return self->db;
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

sqlite3_stmt *
asy_state_prepare (asy_state_t *self, sg_diag_t *diag, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start (ap, types);
    sqlite3_stmt *st = s_vprepare (self, diag, sql, types, ap);
    va_end (ap);
    return st;
}

int
asy_state_exec (asy_state_t *self, sg_diag_t *diag, const char *sql, const char *types, ...)
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
    int rc = asy_state_exec (self, diag, "INSERT OR IGNORE INTO serial VALUES (?, ?, 1)", "si",
                             office, (long long) year);
    if (rc == SG_OK)
        rc = asy_state_text (self, v, sizeof v, diag,
                             "SELECT next FROM serial WHERE office = ? AND year = ?", "si",
                             office, (long long) year);
    if (rc == SG_OK)
        rc = asy_state_exec (self, diag,
                             "UPDATE serial SET next = next + 1 WHERE office = ? AND year = ?",
                             "si", office, (long long) year);
    *serial = rc == SG_OK ? atoll (v) : 0;
    return rc;
}

int
asy_state_outbox_add (asy_state_t *self, const msg_t *m, const char *body, size_t len,
                      const char *source, sg_diag_t *diag)
{
    char now[21];
    asy_now (now);
    return asy_state_exec (self, diag,
                           "INSERT INTO outbox (msg_id, type, mrn, sender, recipient, created,"
                           " source, body, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           "sssssssbs", m->id, msg_type_name (m->type), m->mrn, m->sender,
                           m->recipient, m->issued, source, (const void *) body, len, now);
}

int
asy_state_meta_set (asy_state_t *self, const char *key, const char *value)
{
    return asy_state_exec (self, NULL, "INSERT OR REPLACE INTO meta VALUES (?, ?)", "ss", key,
                           value);
}

void
asy_state_error (asy_state_t *self, const char *source, const char *text)
{
    char now[21];
    asy_now (now);
    asy_state_exec (self, NULL, "INSERT INTO error (at, source, text) VALUES (?, ?, ?)", "sss",
                    now, source, text);
    asy_state_exec (self, NULL, "DELETE FROM error WHERE id <= (SELECT max(id) - 1000 FROM error)",
                    "");
}

int
asy_state_outbox_pending (asy_state_t *self, int64_t after, size_t max,
                          int (*fn) (void *arg, const sg_link_out_t *out), void *arg)
{
    sg_diag_t d;
    sqlite3_stmt *q = asy_state_prepare (self, &d, "SELECT seq, msg_id, header, body, officer"
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
    return asy_state_exec (self, NULL, "UPDATE outbox SET header = ? WHERE msg_id = ?", "bs",
                           (const void *) header, len, id);
}

void
asy_state_outbox_accepted (asy_state_t *self, const char *id)
{
    char now[21];
    asy_now (now);
    asy_state_exec (self, NULL, "UPDATE outbox SET status = 'accepted', body = NULL,"
                    " updated = ? WHERE msg_id = ? AND status = 'queued'", "ss", now, id);
}

int
asy_state_outbox_rejected (asy_state_t *self, const char *id, int code, const char *reason,
                           asy_sent_t *sent)
{
    char now[21];
    asy_now (now);
    memset (sent, 0, sizeof *sent);
    asy_state_exec (self, NULL, "UPDATE outbox SET status = 'rejected', nak_code = ?,"
                    " nak_reason = ?, body = NULL, updated = ? WHERE msg_id = ?", "isss",
                    (long long) code, reason, now, id);
    sqlite3_stmt *q = asy_state_prepare (self, NULL, "SELECT source, type, mrn FROM outbox"
                                         " WHERE msg_id = ?", "s", id);
    int rc = SG_ENOTFOUND;
    if (q && sqlite3_step (q) == SQLITE_ROW) {
        sg_strlcpy (sent->source, (const char *) sqlite3_column_text (q, 0), sizeof sent->source);
        sg_strlcpy (sent->type, (const char *) sqlite3_column_text (q, 1), sizeof sent->type);
        sg_strlcpy (sent->mrn, (const char *) sqlite3_column_text (q, 2), sizeof sent->mrn);
        rc = SG_OK;
    }
    sqlite3_finalize (q);
    return rc;
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
    return asy_state_exec (self, diag, "INSERT INTO inbox VALUES (?, ?, ?, ?, ?)", "sssss", id,
                           type, mrn, file, now);
}

void
asy_state_refused_add (asy_state_t *self, const char *id, int code, const char *reason)
{
    char now[21];
    asy_now (now);
    asy_state_exec (self, NULL, "INSERT OR REPLACE INTO refused VALUES (?, ?, ?, ?)", "siss", id,
                    (long long) code, reason, now);
}

void
asy_state_movement_error (asy_state_t *self, const char *mrn, const char *text)
{
    asy_state_exec (self, NULL, "UPDATE movement SET last_error = ? WHERE mrn = ?", "ss", text,
                    mrn);
}

int
asy_state_movement_incident (asy_state_t *self, const char *mrn, const char *office,
                             sg_diag_t *diag)
{
    return asy_state_exec (self, diag, "UPDATE movement SET incidents = incidents + 1"
                           " WHERE mrn = ? AND office = ?", "ss", mrn, office);
}
