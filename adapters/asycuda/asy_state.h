/* asy_state.h - the adapter's durable local state in one SQLite file (WAL,
 * synchronous=FULL, so a committed transaction survives kill -9 and power
 * loss): the ledger of spool files and of declarations with their MRNs,
 * the outbox of messages for the node, the local view of each movement,
 * officer requests (idempotency), deliveries written to the inbox, and
 * errors. Every process (daemon, HTTP thread, CLI verbs) opens its own
 * connection; writers take BEGIN IMMEDIATE and wait on each other. */
#ifndef ASY_STATE_H_INCLUDED
#define ASY_STATE_H_INCLUDED

#include <sqlite3.h>
#include <stdint.h>

#include "link.h"
#include "msg.h"
#include "sg.h"

typedef struct asy_state_t asy_state_t;

/* Opens (creating it and its tables if needed) the state file at path.
 * Returns the handle, or NULL with the reason in diag. */
asy_state_t *asy_state_open (const char *path, sg_diag_t *diag);

/* Closes the connection (NULL is fine) and clears the caller's pointer. */
void asy_state_destroy (asy_state_t **self_p);

/* The SQLite connection, for modules that run their own queries. */
sqlite3 *asy_state_db (asy_state_t *self);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. SG_OK or SG_EDB (diag says why). */
int asy_state_begin (asy_state_t *self, sg_diag_t *diag);
int asy_state_commit (asy_state_t *self, sg_diag_t *diag);
void asy_state_rollback (asy_state_t *self);

/* Prepares sql and binds the arguments described by types, one letter per
 * `?`: 's' const char * (NULL binds NULL), 'i' long long, 'b' const void *
 * then size_t. Returns the statement (sqlite3_finalize it) or NULL with
 * the reason in diag. */
sqlite3_stmt *asy_state_prepare (asy_state_t *self, sg_diag_t *diag, const char *sql,
                                 const char *types, ...);

/* Runs a statement that returns no rows (binds as asy_state_prepare).
 * SG_OK, or SG_EDB with the reason in diag. */
int asy_state_exec (asy_state_t *self, sg_diag_t *diag, const char *sql, const char *types, ...);

/* Runs a query and copies the first column of the first row as text into
 * out. SG_OK, SG_ENOTFOUND (no row; out is ""), SG_EDB. */
int asy_state_text (asy_state_t *self, char *out, size_t size, sg_diag_t *diag, const char *sql,
                    const char *types, ...);

/* The next serial number (1, 2, ...) of an office for a year, inside the
 * caller's transaction. SG_OK or SG_EDB. */
int asy_state_next_serial (asy_state_t *self, const char *office, int year, long long *serial,
                           sg_diag_t *diag);

/* Queues a serialised message for the node (inside the caller's
 * transaction); source says where it came from ("file:NAME",
 * "call:REQUEST-ID"). SG_OK or SG_EDB. */
int asy_state_outbox_add (asy_state_t *self, const msg_t *msg, const char *body, size_t len,
                          const char *source, sg_diag_t *diag);

/* Calls fn for the outbox messages still queued after position after,
 * oldest first, at most max (the link's `pending`). SG_OK, SG_EDB, or
 * fn's non-zero return. */
int asy_state_outbox_pending (asy_state_t *self, int64_t after, size_t max,
                              int (*fn) (void *arg, const sg_link_out_t *out), void *arg);

/* Stores the header built for message id when first sent. SG_OK or SG_EDB. */
int asy_state_outbox_set_header (asy_state_t *self, const char *id, const char *header,
                                 size_t len);

/* The node ACKed message id: accepted, body dropped. */
void asy_state_outbox_accepted (asy_state_t *self, const char *id);

/* Where a message we sent came from. */
typedef struct {
    char source[1100];                  /* "file:NAME", "call:ID" */
    char type[8], mrn[20];
} asy_sent_t;

/* The node or an office further on refused message id: rejected with the
 * code and reason, body dropped; *sent says what it was. SG_OK, or
 * SG_ENOTFOUND when it is not ours (*sent empty). */
int asy_state_outbox_rejected (asy_state_t *self, const char *id, int code, const char *reason,
                               asy_sent_t *sent);

/* SG_OK if delivery id was handled before, SG_ENOTFOUND if not, SG_EDB. */
int asy_state_inbox_seen (asy_state_t *self, const char *id, sg_diag_t *diag);

/* Records delivery id as handled (file: what was written to the inbox
 * folder, or NULL). SG_OK or SG_EDB. */
int asy_state_inbox_add (asy_state_t *self, const char *id, const char *type, const char *mrn,
                         const char *file, sg_diag_t *diag);

/* Records that delivery id was refused for good (NAK code, reason). */
void asy_state_refused_add (asy_state_t *self, const char *id, int code, const char *reason);

/* Sets last_error of every view of mrn to text. */
void asy_state_movement_error (asy_state_t *self, const char *mrn, const char *text);

/* Counts one more incident at office's view of mrn (in the caller's
 * transaction). SG_OK or SG_EDB. */
int asy_state_movement_incident (asy_state_t *self, const char *mrn, const char *office,
                                 sg_diag_t *diag);

/* Sets a meta value (daemon status, schema version) in its own statement. */
int asy_state_meta_set (asy_state_t *self, const char *key, const char *value);

/* Appends an error (shown by `status`), in its own statement. */
void asy_state_error (asy_state_t *self, const char *source, const char *text);

/* Writes the current UTC time as "YYYY-MM-DDThh:mm:ssZ". */
void asy_now (char out[21]);

#endif
