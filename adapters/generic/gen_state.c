/* gen_state.c - the SQLite state of sigmat-generic: schema, the durable
 * transactions of the API and of DELIVERs, the webhook outbox queries, and
 * the JSON views of movements. One connection behind one mutex. */
#include "gen_state.h"
#include "../prune.h"

#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "header.h"
#include "log.h"

struct gen_state_t {
    sqlite3 *db;
    pthread_mutex_t lock;
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS out_msg ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
    "  mrn TEXT NOT NULL, type TEXT NOT NULL, header BLOB NOT NULL, body BLOB NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued', nak_code INTEGER, nak_reason TEXT,"
    "  created INTEGER NOT NULL, answered INTEGER, officer TEXT);"
    "CREATE INDEX IF NOT EXISTS out_msg_status ON out_msg (status, seq);"
    "CREATE TABLE IF NOT EXISTS hook ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
    "  mrn TEXT NOT NULL, type TEXT NOT NULL, content_type TEXT NOT NULL,"
    "  payload BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT, created INTEGER NOT NULL, delivered INTEGER);"
    "CREATE INDEX IF NOT EXISTS hook_pending ON hook (state, mrn, seq);"
    "CREATE TABLE IF NOT EXISTS movement ("
    "  mrn TEXT NOT NULL, office TEXT NOT NULL, role TEXT NOT NULL, state TEXT NOT NULL,"
    "  departure TEXT, destination TEXT, transits TEXT, lrn TEXT, decl TEXT,"
    "  updated INTEGER NOT NULL, PRIMARY KEY (mrn, office));"
    "CREATE INDEX IF NOT EXISTS movement_office ON movement (office, state, updated);"
    "CREATE TABLE IF NOT EXISTS movement_event ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, mrn TEXT NOT NULL, office TEXT NOT NULL,"
    "  message_id TEXT NOT NULL, type TEXT NOT NULL, direction TEXT NOT NULL,"
    "  from_state TEXT, to_state TEXT, at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS movement_event_mrn ON movement_event (mrn, seq);"
    "CREATE TABLE IF NOT EXISTS refused ("
    "  id TEXT PRIMARY KEY, code INTEGER NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS idem ("
    "  token TEXT NOT NULL, key TEXT NOT NULL, req_hash TEXT NOT NULL,"
    "  status INTEGER NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL,"
    "  PRIMARY KEY (token, key));";

static int64_t
s_now_ms (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int
s_exec (gen_state_t *self, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        sg_log_error ("state: %s failed: %s", sql, err ? err : "?");
        sqlite3_free (err);
        return SG_EDB;
    }
    return SG_OK;
}

static sqlite3_stmt *
s_prep (gen_state_t *self, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sg_log_error ("state: cannot prepare query: %s", sqlite3_errmsg (self->db));
        return NULL;
    }
    return st;
}

static void
s_text (sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text (st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, i);
}

/* Binds the arguments to st from parameter 1 on, one per letter of fmt:
 * 't' text (NULL binds NULL), 'i' int, 'n' int (0 binds NULL), 'I' int64_t,
 * 'b' blob (const void *, size_t). */
static void
s_bind (sqlite3_stmt *st, const char *fmt, va_list ap)
{
    for (int i = 1; *fmt; fmt++, i++)
        if (*fmt == 't')
            s_text (st, i, va_arg (ap, const char *));
        else if (*fmt == 'i')
            sqlite3_bind_int (st, i, va_arg (ap, int));
        else if (*fmt == 'n') {
            int v = va_arg (ap, int);
            if (v)
                sqlite3_bind_int (st, i, v);
            else
                sqlite3_bind_null (st, i);
        } else if (*fmt == 'I')
            sqlite3_bind_int64 (st, i, va_arg (ap, int64_t));
        else if (*fmt == 'b') {
            const void *p = va_arg (ap, const void *);
            sqlite3_bind_blob (st, i, p, (int) va_arg (ap, size_t), SQLITE_TRANSIENT);
        }
}

/* Prepares sql with its parameters bound as s_bind does; NULL if it does
 * not prepare (logged). */
static sqlite3_stmt *
s_vprepf (gen_state_t *self, const char *sql, const char *fmt, va_list ap)
{
    sqlite3_stmt *st = s_prep (self, sql);
    if (st)
        s_bind (st, fmt, ap);
    return st;
}

static sqlite3_stmt *
s_prepf (gen_state_t *self, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    sqlite3_stmt *st = s_vprepf (self, sql, fmt, ap);
    va_end (ap);
    return st;
}

/* Steps st (NULL: it did not prepare) to its end and finalizes it; SG_OK if
 * it ran to SQLITE_DONE, else SG_EDB. */
static int
s_step_done (sqlite3_stmt *st)
{
    int rc = st && sqlite3_step (st) == SQLITE_DONE ? SG_OK : SG_EDB;
    sqlite3_finalize (st);
    return rc;
}

/* Runs one statement that returns no rows (parameters as s_bind) under the
 * lock; SG_OK or SG_EDB. */
static int
s_run (gen_state_t *self, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    pthread_mutex_lock (&self->lock);
    int rc = s_step_done (s_vprepf (self, sql, fmt, ap));
    pthread_mutex_unlock (&self->lock);
    va_end (ap);
    return rc;
}

static const char *
s_col (sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text (st, i);
    return v ? (const char *) v : "";
}

gen_state_t *
gen_state_new (const char *path, sg_diag_t *diag)
{
    gen_state_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot open state %s: %s", path,
                     self->db ? sqlite3_errmsg (self->db) : "out of memory");
        gen_state_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    if (s_exec (self, "PRAGMA journal_mode=WAL") || s_exec (self, "PRAGMA synchronous=FULL")
        || s_exec (self, s_schema)
        /* files made before officer accounts: the officer of each message */
        || (sqlite3_exec (self->db, "SELECT officer FROM out_msg LIMIT 0", NULL, NULL, NULL)
            != SQLITE_OK && s_exec (self, "ALTER TABLE out_msg ADD COLUMN officer TEXT"))) {
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot set up state %s: %s", path,
                     sqlite3_errmsg (self->db));
        gen_state_destroy (&self);
        return NULL;
    }
    return self;
}

void
gen_state_destroy (gen_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gen_state_t *self = *self_p;
    sqlite3_close (self->db);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

/* Applies a movement change and its event row (inside a transaction). */
static int
s_apply_mvt (gen_state_t *self, const gen_mvt_t *m, int64_t now)
{
    char from[16] = "";
    sqlite3_stmt *st = s_prepf (self, "SELECT state FROM movement WHERE mrn = ? AND office = ?",
                                "tt", m->mrn, m->office);
    if (!st)
        return SG_EDB;
    int exists = sqlite3_step (st) == SQLITE_ROW;
    if (exists)
        sg_strlcpy (from, s_col (st, 0), sizeof from);
    sqlite3_finalize (st);
    const char *to = m->state ? m->state : from;
    const char *sql = exists
        ? "UPDATE movement SET role = coalesce(?3, role), state = ?4,"
                     " departure = coalesce(?5, departure), destination = coalesce(?6, destination),"
                     " transits = coalesce(?7, transits), lrn = coalesce(?8, lrn),"
                     " decl = coalesce(?9, decl), updated = ?10 WHERE mrn = ?1 AND office = ?2"
        : "INSERT INTO movement (mrn, office, role, state, departure,"
          " destination, transits, lrn, decl, updated)"
          " VALUES (?1, ?2, coalesce(?3, 'UNKNOWN'), ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    if (s_step_done (s_prepf (self, sql, "tttttttttI", m->mrn, m->office, m->role,
                              to[0] ? to : "UNKNOWN", m->departure, m->destination,
                              m->transits, m->lrn, m->decl, now)) != SG_OK)
        return SG_EDB;
    return s_step_done (s_prepf (self, "INSERT INTO movement_event (mrn, office, message_id,"
                                 " type, direction, from_state, to_state, at)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "tttttttI",
                                 m->mrn, m->office, m->message_id, m->type, m->direction,
                                 from[0] ? from : NULL, to[0] ? to : NULL, now));
}

/* Ends a write begun under the lock (BEGIN IMMEDIATE when began): commits
 * when rc is SG_OK, else rolls back; logs "<what> <id>" with SQLite's
 * reason on SG_EDB; finalizes st and unlocks. Returns rc, or SG_EDB when
 * the commit failed. */
static int
s_finish (gen_state_t *self, sqlite3_stmt *st, int began, int rc, const char *what,
          const char *id)
{
    if (rc == SG_OK && began) {
        if (s_exec (self, "COMMIT") == SG_OK)
            began = 0;
        else
            rc = SG_EDB;
    }
    if (rc == SG_EDB)
        sg_log_error ("state: %s %s: %s", what, id, sqlite3_errmsg (self->db));
    sqlite3_finalize (st);
    if (began)
        s_exec (self, "ROLLBACK");
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
gen_state_submit (gen_state_t *self, const gen_out_t *out, const gen_mvt_t *mvt,
                  const char *token, const char *key, const char *req_hash, int status,
                  const char *resp_body)
{
    int rc = SG_EDB, began = 0;
    int64_t now = s_now_ms ();
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock (&self->lock);
    if (s_exec (self, "BEGIN IMMEDIATE") != SG_OK)
        goto done;
    began = 1;
    if (key) {
        st = s_prepf (self, "INSERT INTO idem (token, key, req_hash, status, body, created)"
                      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", "tttitI",
                      token, key, req_hash, status, resp_body, now);
        if (!st || sqlite3_step (st) != SQLITE_DONE)
            goto done;
        if (sqlite3_changes (self->db) == 0) {
            rc = SG_ESEQ;
            goto done;
        }
        sqlite3_finalize (st);
        st = NULL;
    }
    if (s_step_done (s_prepf (self, "INSERT INTO out_msg (id, mrn, type, header, body, created,"
                              " officer) VALUES (?, ?, ?, ?, ?, ?, ?)", "tttbbIt",
                              out->id, out->mrn, out->type,
                              (const void *) (out->header ? out->header : ""), out->header_len,
                              (const void *) out->body, out->body_len, now, out->officer))
        != SG_OK)
        goto done;
    if (mvt && s_apply_mvt (self, mvt, now) != SG_OK)
        goto done;
    rc = SG_OK;
done:
    return s_finish (self, st, began, rc, "cannot store message", out->id);
}

int
gen_state_idem_get (gen_state_t *self, const char *token, const char *key, gen_idem_t *idem)
{
    int rc = SG_EDB;
    memset (idem, 0, sizeof *idem);
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prepf (self, "SELECT req_hash, status, body FROM idem"
                                " WHERE token = ? AND key = ?", "tt", token, key);
    if (st) {
        int r = sqlite3_step (st);
        if (r == SQLITE_ROW) {
            sg_strlcpy (idem->req_hash, s_col (st, 0), sizeof idem->req_hash);
            idem->status = sqlite3_column_int (st, 1);
            idem->body = strdup (s_col (st, 2));
            rc = idem->body ? SG_OK : SG_ENOMEM;
        } else
            rc = r == SQLITE_DONE ? SG_ENOTFOUND : SG_EDB;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
gen_state_out_pending (gen_state_t *self, int64_t after_seq, size_t max,
                       int (*fn) (void *arg, const sg_link_out_t *out), void *arg)
{
    int rc = SG_OK;
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prepf (self, "SELECT id, header, body, seq, officer FROM out_msg"
                                " WHERE status = 'queued' AND seq > ? ORDER BY seq LIMIT ?",
                                "II", after_seq, (int64_t) max);
    if (!st)
        rc = SG_EDB;
    while (st && rc == SG_OK && sqlite3_step (st) == SQLITE_ROW) {
        sg_link_out_t o = { .seq = sqlite3_column_int64 (st, 3), .id = s_col (st, 0),
                            .header = (const char *) sqlite3_column_blob (st, 1),
                            .header_len = (size_t) sqlite3_column_bytes (st, 1),
                            .body = (const char *) sqlite3_column_blob (st, 2),
                            .body_len = (size_t) sqlite3_column_bytes (st, 2),
                            .officer = s_col (st, 4) };
        rc = fn (arg, &o);
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
gen_state_out_known (gen_state_t *self, const char *id)
{
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prepf (self, "SELECT 1 FROM out_msg WHERE id = ?", "t", id);
    int known = st && sqlite3_step (st) == SQLITE_ROW;
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return known;
}

int
gen_state_out_set_header (gen_state_t *self, const char *id, const char *header, size_t len)
{
    return s_run (self, "UPDATE out_msg SET header = ? WHERE id = ?", "bt",
                  (const void *) header, len, id);
}

int
gen_state_out_result (gen_state_t *self, const char *id, int code, const char *reason)
{
    return s_run (self, "UPDATE out_msg SET status = ?, nak_code = ?, nak_reason = ?,"
                  " answered = ? WHERE id = ? AND status = 'queued'", "tntIt",
                  code ? "rejected" : "acknowledged", code, code ? reason : NULL, s_now_ms (),
                  id);
}

int
gen_state_refused_add (gen_state_t *self, const char *id, int code, const char *reason)
{
    return s_run (self, "INSERT OR REPLACE INTO refused VALUES (?, ?, ?, ?)", "titI", id, code,
                  reason, s_now_ms ());
}

int
gen_state_deliver (gen_state_t *self, const gen_hook_t *hook, const gen_mvt_t *mvt, int *dup)
{
    int rc = SG_EDB, began = 0;
    int64_t now = s_now_ms ();
    *dup = 0;
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = NULL;
    if (s_exec (self, "BEGIN IMMEDIATE") != SG_OK)
        goto done;
    began = 1;
    st = s_prepf (self, "INSERT INTO hook (id, mrn, type, content_type, payload, created)"
                  " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", "ttttbI", hook->id,
                  hook->mrn, hook->type, hook->content_type, (const void *) hook->payload,
                  hook->payload_len, now);
    if (!st || sqlite3_step (st) != SQLITE_DONE)
        goto done;
    *dup = sqlite3_changes (self->db) == 0;
    if (!*dup && mvt && s_apply_mvt (self, mvt, now) != SG_OK)
        goto done;
    rc = SG_OK;
done:
    return s_finish (self, st, began, rc, "cannot queue webhook", hook->id);
}

int
gen_state_hooks_due (gen_state_t *self, int64_t now_ms, gen_hook_t *hooks, int max)
{
    int n = 0;
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prepf (self,
        "SELECT seq, id, mrn, type, content_type, payload, attempts FROM hook h"
        " WHERE state = 'pending' AND next_at <= ? AND NOT EXISTS (SELECT 1 FROM hook p"
        " WHERE p.state = 'pending' AND p.mrn = h.mrn AND p.seq < h.seq)"
        " ORDER BY seq LIMIT ?", "Ii", now_ms, max);
    if (!st)
        n = -1;
    while (st && n < max && sqlite3_step (st) == SQLITE_ROW) {
        gen_hook_t *h = &hooks[n];
        memset (h, 0, sizeof *h);
        h->seq = sqlite3_column_int64 (st, 0);
        sg_strlcpy (h->id, s_col (st, 1), sizeof h->id);
        sg_strlcpy (h->mrn, s_col (st, 2), sizeof h->mrn);
        sg_strlcpy (h->type, s_col (st, 3), sizeof h->type);
        sg_strlcpy (h->content_type, s_col (st, 4), sizeof h->content_type);
        h->payload_len = (size_t) sqlite3_column_bytes (st, 5);
        h->payload = malloc (h->payload_len + 1);
        if (!h->payload)
            break;
        memcpy (h->payload, sqlite3_column_blob (st, 5), h->payload_len);
        h->payload[h->payload_len] = 0;
        h->attempts = sqlite3_column_int (st, 6);
        n++;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
gen_state_hook_done (gen_state_t *self, int64_t seq)
{
    return s_run (self, "UPDATE hook SET state = 'delivered', attempts = attempts + 1,"
                  " delivered = ?2, last_error = ?3 WHERE seq = ?1", "IIt",
                  seq, s_now_ms (), (const char *) NULL);
}

int
gen_state_hook_failed (gen_state_t *self, int64_t seq, int64_t next_ms, const char *error)
{
    return s_run (self, "UPDATE hook SET attempts = attempts + 1, next_at = ?2,"
                  " last_error = ?3 WHERE seq = ?1", "IIt", seq, next_ms, error);
}

int64_t
gen_state_hooks_next (gen_state_t *self, int64_t now_ms)
{
    int64_t next = -1;
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prep (self, "SELECT min(next_at) FROM hook WHERE state = 'pending'");
    if (st && sqlite3_step (st) == SQLITE_ROW && sqlite3_column_type (st, 0) != SQLITE_NULL) {
        next = sqlite3_column_int64 (st, 0) - now_ms;
        if (next < 0)
            next = 0;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return next;
}

void
gen_hook_clear (gen_hook_t *hook)
{
    if (!hook)
        return;
    free (hook->payload);
    memset (hook, 0, sizeof *hook);
}

int
gen_state_view (gen_state_t *self, const char *mrn, const char *office, gen_view_t *v)
{
    int rc = SG_EDB;
    memset (v, 0, sizeof *v);
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prepf (self,
        "SELECT mrn, office, role, state, departure, destination, transits, lrn, decl"
        " FROM movement WHERE mrn = ?1 AND (?2 IS NULL OR office = ?2)"
        " ORDER BY role = 'DEPARTURE' DESC, updated LIMIT 1", "tt", mrn, office);
    if (st) {
        int r = sqlite3_step (st);
        if (r == SQLITE_ROW) {
            sg_strlcpy (v->mrn, s_col (st, 0), sizeof v->mrn);
            sg_strlcpy (v->office, s_col (st, 1), sizeof v->office);
            sg_strlcpy (v->role, s_col (st, 2), sizeof v->role);
            sg_strlcpy (v->state, s_col (st, 3), sizeof v->state);
            sg_strlcpy (v->departure, s_col (st, 4), sizeof v->departure);
            sg_strlcpy (v->destination, s_col (st, 5), sizeof v->destination);
            sg_strlcpy (v->transits, s_col (st, 6), sizeof v->transits);
            sg_strlcpy (v->lrn, s_col (st, 7), sizeof v->lrn);
            if (sqlite3_column_type (st, 8) != SQLITE_NULL)
                v->decl = strdup (s_col (st, 8));
            rc = SG_OK;
        } else
            rc = r == SQLITE_DONE ? SG_ENOTFOUND : SG_EDB;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

static json_t *
s_time_json (int64_t ms)
{
    char t[SG_HDR_TIME_LEN + 1];
    sg_hdr_time_format (ms, t);
    return json_string (t);
}

static json_t *
s_opt (const char *v)
{
    return v && v[0] ? json_string (v) : json_null ();
}

/* The history of one view, with each outgoing message's delivery status. */
static json_t *
s_history (gen_state_t *self, const char *mrn, const char *office)
{
    json_t *arr = json_array ();
    sqlite3_stmt *st = s_prepf (self,
        "SELECT e.message_id, e.type, e.direction, e.from_state, e.to_state, e.at,"
        " o.status, o.nak_code, o.nak_reason FROM movement_event e"
        " LEFT JOIN out_msg o ON o.id = e.message_id"
        " WHERE e.mrn = ? AND e.office = ? ORDER BY e.seq", "tt", mrn, office);
    if (!st || !arr) {
        sqlite3_finalize (st);
        json_decref (arr);
        return NULL;
    }
    while (sqlite3_step (st) == SQLITE_ROW) {
        json_t *e = json_pack ("{s:s, s:s, s:s, s:o, s:o, s:o}", "MessageID", s_col (st, 0),
                               "Type", s_col (st, 1), "Direction", s_col (st, 2),
                               "FromState", s_opt (s_col (st, 3)), "ToState", s_opt (s_col (st, 4)),
                               "At", s_time_json (sqlite3_column_int64 (st, 5)));
        if (e && sqlite3_column_type (st, 6) != SQLITE_NULL) {
            json_object_set_new (e, "NodeStatus", json_string (s_col (st, 6)));
            if (sqlite3_column_type (st, 7) != SQLITE_NULL)
                json_object_set_new (e, "Error", json_pack ("{s:i, s:s}", "ValidationCode",
                                     sqlite3_column_int (st, 7), "Description", s_col (st, 8)));
        }
        json_array_append_new (arr, e);
    }
    sqlite3_finalize (st);
    return arr;
}

static json_t *
s_view_json (gen_state_t *self, sqlite3_stmt *st, int history)
{
    json_t *transits = json_array ();
    char buf[90];
    sg_strlcpy (buf, s_col (st, 6), sizeof buf);
    char *save = NULL;
    for (char *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
        json_array_append_new (transits, json_string (t));
    json_t *v = json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
                           "DeclarationID", s_col (st, 0), "Office", s_col (st, 1),
                           "Role", s_col (st, 2), "State", s_col (st, 3),
                           "DepartureCustomsOffice", s_opt (s_col (st, 4)),
                           "DestinationCustomsOffice", s_opt (s_col (st, 5)),
                           "TransitCustomsOffice", transits,
                           "FunctionalReferenceID", s_opt (s_col (st, 7)),
                           "Updated", s_time_json (sqlite3_column_int64 (st, 8)));
    if (v && history)
        json_object_set_new (v, "History", s_history (self, s_col (st, 0), s_col (st, 1)));
    return v;
}

/* The views st selects (columns as s_view_json reads them) as a JSON
 * array, under the lock; NULL if st is NULL or out of memory. Finalizes st. */
static json_t *
s_views_json (gen_state_t *self, sqlite3_stmt *st, int history)
{
    json_t *arr = json_array ();
    if (!st || !arr) {
        json_decref (arr);
        arr = NULL;
    } else
        while (sqlite3_step (st) == SQLITE_ROW)
            json_array_append_new (arr, s_view_json (self, st, history));
    sqlite3_finalize (st);
    return arr;
}

json_t *
gen_state_movement_json (gen_state_t *self, const char *mrn)
{
    pthread_mutex_lock (&self->lock);
    json_t *arr = s_views_json (self, s_prepf (self,
        "SELECT mrn, office, role, state, departure, destination, transits, lrn, updated"
        " FROM movement WHERE mrn = ? ORDER BY role = 'DEPARTURE' DESC, office", "t", mrn), 1);
    pthread_mutex_unlock (&self->lock);
    return arr;
}

json_t *
gen_state_office_json (gen_state_t *self, const char *office, const char *state, int limit)
{
    pthread_mutex_lock (&self->lock);
    json_t *arr = s_views_json (self, s_prepf (self,
        "SELECT mrn, office, role, state, departure, destination, transits, lrn, updated"
        " FROM movement WHERE office = ?1 AND (?2 IS NULL OR state = ?2 OR (?2 = 'expected'"
        " AND role <> 'DEPARTURE' AND state IN ('ANTICIPATED', 'OVERDUE', 'UNDER_ENQUIRY')))"
        " ORDER BY updated DESC, mrn LIMIT ?3", "tti", office, state, limit), 0);
    pthread_mutex_unlock (&self->lock);
    return arr;
}

static int64_t
s_int (gen_state_t *self, const char *sql)
{
    int64_t v = -1;
    sqlite3_stmt *st = s_prep (self, sql);
    if (st && sqlite3_step (st) == SQLITE_ROW)
        v = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return v;
}

int64_t
gen_state_scalar (gen_state_t *self, const char *sql)
{
    pthread_mutex_lock (&self->lock);
    int64_t v = s_int (self, sql);
    pthread_mutex_unlock (&self->lock);
    return v;
}

void
gen_state_rows (gen_state_t *self, const char *sql,
                void (*fn) (const char *key, int64_t n, void *arg), void *arg)
{
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prep (self, sql);
    while (st && sqlite3_step (st) == SQLITE_ROW)
        fn ((const char *) sqlite3_column_text (st, 0), sqlite3_column_int64 (st, 1), arg);
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
}

json_t *
gen_state_status_json (gen_state_t *self, int64_t now_ms, int list)
{
    pthread_mutex_lock (&self->lock);
    int64_t oldest = s_int (self, "SELECT coalesce(min(created), 0) FROM hook"
                            " WHERE state = 'pending'");
    json_t *o = json_pack ("{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I}",
        "webhooks", "pending", (json_int_t) s_int (self, "SELECT count(*) FROM hook WHERE state = 'pending'"),
        "delivered", (json_int_t) s_int (self, "SELECT count(*) FROM hook WHERE state = 'delivered'"),
        "mrns_waiting", (json_int_t) s_int (self, "SELECT count(DISTINCT mrn) FROM hook WHERE state = 'pending'"),
        "oldest_age_ms", (json_int_t) (oldest ? now_ms - oldest : 0),
        "to_node", "queued", (json_int_t) s_int (self, "SELECT count(*) FROM out_msg WHERE status = 'queued'"),
        "acknowledged", (json_int_t) s_int (self, "SELECT count(*) FROM out_msg WHERE status = 'acknowledged'"),
        "rejected", (json_int_t) s_int (self, "SELECT count(*) FROM out_msg WHERE status = 'rejected'"),
        "movements", (json_int_t) s_int (self, "SELECT count(*) FROM movement"));
    if (o && list) {
        json_t *arr = json_array ();
        sqlite3_stmt *st = s_prepf (self, "SELECT seq, id, mrn, type, attempts, next_at,"
                                    " last_error, created FROM hook WHERE state = 'pending'"
                                    " ORDER BY seq LIMIT ?", "i", list);
        if (st) {
            while (sqlite3_step (st) == SQLITE_ROW)
                json_array_append_new (arr, json_pack ("{s:I, s:s, s:s, s:s, s:i, s:o, s:o, s:o}",
                    "seq", (json_int_t) sqlite3_column_int64 (st, 0), "id", s_col (st, 1),
                    "mrn", s_col (st, 2), "type", s_col (st, 3),
                    "attempts", sqlite3_column_int (st, 4),
                    "next_attempt", s_time_json (sqlite3_column_int64 (st, 5)),
                    "last_error", s_opt (s_col (st, 6)),
                    "queued", s_time_json (sqlite3_column_int64 (st, 7))));
        }
        sqlite3_finalize (st);
        json_object_set_new (o, "outbox", arr);
    }
    pthread_mutex_unlock (&self->lock);
    return o;
}

void
gen_state_last_in (gen_state_t *self, const char *mrn, const char *type, char id[37])
{
    id[0] = 0;
    pthread_mutex_lock (&self->lock);
    sqlite3_stmt *st = s_prepf (self, "SELECT message_id FROM movement_event WHERE mrn = ?"
                                " AND type = ? AND direction = 'in' ORDER BY seq DESC LIMIT 1",
                                "tt", mrn, type);
    if (st && sqlite3_step (st) == SQLITE_ROW)
        sg_strlcpy (id, s_col (st, 0), 37);
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
}

/* Retention rules (adapters/prune.h); times are ms since 1970. Events go
 * before their movement, and events left without a movement go too. */
#define S_CLOSED "('DISCHARGED', 'CANCELLED', 'RECOVERY')"
static const prune_rule_t s_prune_rules[] = {
    { "out_msg", "json_object('seq', seq, 'id', id, 'mrn', mrn, 'type', type,"
      " 'header', CAST(header AS TEXT), 'body', CAST(body AS TEXT), 'status', status,"
      " 'nak_code', nak_code, 'nak_reason', nak_reason, 'created', created, 'answered', answered)",
      "status IN ('acknowledged', 'rejected') AND coalesce(answered, created) < ?1", 0 },
    { "hook", "json_object('seq', seq, 'id', id, 'mrn', mrn, 'type', type,"
      " 'content_type', content_type, 'payload', CAST(payload AS TEXT), 'attempts', attempts,"
      " 'created', created, 'delivered', delivered)",
      "state = 'delivered' AND delivered < ?1", 0 },
    { "movement_event", "json_object('seq', seq, 'mrn', mrn, 'office', office,"
      " 'message_id', message_id, 'type', type, 'direction', direction,"
      " 'from_state', from_state, 'to_state', to_state, 'at', at)",
      "NOT EXISTS (SELECT 1 FROM movement m WHERE m.mrn = movement_event.mrn"
      " AND NOT (m.state IN " S_CLOSED " AND m.updated < ?1))", 0 },
    { "movement", "json_object('mrn', mrn, 'office', office, 'role', role, 'state', state,"
      " 'departure', departure, 'destination', destination, 'transits', transits, 'lrn', lrn,"
      " 'decl', decl, 'updated', updated)",
      "state IN " S_CLOSED " AND updated < ?1"
      " AND NOT EXISTS (SELECT 1 FROM movement_event e WHERE e.mrn = movement.mrn)", 0 },
    { "idem", "json_object('token', token, 'key', key, 'req_hash', req_hash, 'status', status,"
      " 'body', body, 'created', created)", "created < ?1", 0 },
    { "refused", "json_object('id', id, 'code', code, 'reason', reason, 'at', at)", "at < ?1", 0 },
};

int
gen_state_prune (gen_state_t *self, const char *dir, const char *prefix, int64_t cutoff_ms,
                 int limit, sg_diag_t *diag)
{
    pthread_mutex_lock (&self->lock);
    int n = prune_run (self->db, dir, prefix, s_prune_rules,
                       (int) (sizeof s_prune_rules / sizeof s_prune_rules[0]), cutoff_ms, limit,
                       diag);
    pthread_mutex_unlock (&self->lock);
    return n;
}
