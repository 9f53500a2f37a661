/* asy_state.h - the adapter's durable local state in one SQLite file (WAL,
 * synchronous=FULL, so a committed transaction survives kill -9 and power
 * loss): the ledger of spool files and of declarations with their MRNs,
 * the outbox of messages for the node, the local view of each movement,
 * officer requests (idempotency), deliveries written to the inbox, and
 * errors. Every process (daemon, HTTP thread, CLI verbs) opens its own
 * connection; writers take BEGIN IMMEDIATE and wait on each other. All
 * the adapter's SQL is here, behind the named functions below. */
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

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. SG_OK or SG_EDB (diag says why). */
int asy_state_begin (asy_state_t *self, sg_diag_t *diag);
int asy_state_commit (asy_state_t *self, sg_diag_t *diag);
void asy_state_rollback (asy_state_t *self);

/* Runs a query and copies the first column of the first row as text into
 * out (binds: types has one letter per `?`: 's' const char *, NULL binds
 * NULL; 'i' long long; 'b' const void * then size_t). For this file's
 * named functions and the tests, which read the state; every other
 * module calls a named function. SG_OK, SG_ENOTFOUND (no row; out is ""),
 * SG_EDB. */
int asy_state_text (asy_state_t *self, char *out, size_t size, sg_diag_t *diag, const char *sql,
                    const char *types, ...);

/* The next serial number (1, 2, ...) of an office for a year, inside the
 * caller's transaction. SG_OK or SG_EDB. */
int asy_state_next_serial (asy_state_t *self, const char *office, int year, long long *serial,
                           sg_diag_t *diag);

/* Queues a serialised message for the node (inside the caller's
 * transaction); source says where it came from ("file:NAME",
 * "call:REQUEST-ID"). SG_OK or SG_EDB. */
int asy_state_outbox_add (asy_state_t *self, const sg_msg_t *msg, const char *body, size_t len,
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

/* One row of the movement view (a movement at one office of this adapter). */
typedef struct {
    const char *mrn, *office, *role, *state, *lrn, *departure, *destination;
    const char *transit, *time_limit, *means, *seals, *principal;
    const char *last_type, *last_message;
} asy_view_t;

/* Creates or replaces the view row (v->mrn, v->office), in the caller's
 * transaction. SG_OK or SG_EDB. */
int asy_state_view_put (asy_state_t *self, const asy_view_t *v, sg_diag_t *diag);

/* Creates a bare view row for an office that acts on a movement it had no
 * row for. SG_OK or SG_EDB (also when the row exists). */
int asy_state_view_add (asy_state_t *self, const char *mrn, const char *office, const char *role,
                        const char *state, const char *departure, sg_diag_t *diag);

/* Sets the state (NULL = kept) and last message (type, id) of row (mrn,
 * office), or of every row of mrn when office is NULL. SG_OK or SG_EDB. */
int asy_state_view_set (asy_state_t *self, const char *mrn, const char *office, const char *state,
                        const char *type, const char *id, sg_diag_t *diag);

/* Role and state (NULL to skip) of row (mrn, office): SG_OK,
 * SG_ENOTFOUND, SG_EDB. */
int asy_state_view_get (asy_state_t *self, const char *mrn, const char *office, char role[16],
                        char state[24], sg_diag_t *diag);

/* The seals recorded at row (mrn, office) into out ("" if none); as
 * asy_state_text. */
int asy_state_view_seals (asy_state_t *self, const char *mrn, const char *office, char *out,
                          size_t size);

/* The office of departure of mrn from any row; as asy_state_text. */
int asy_state_departure (asy_state_t *self, const char *mrn, char *out, size_t size,
                         sg_diag_t *diag);

/* Appends line to the upstream history of row (mrn, office), replaces its
 * seals and means (NULL = kept), counts an incident. SG_OK or SG_EDB. */
int asy_state_view_upstream (asy_state_t *self, const char *mrn, const char *office,
                             const char *line, const char *seals, const char *means,
                             int incident, sg_diag_t *diag);

/* Queries for the JSON views (sqlite3_finalize them; NULL on error). The
 * view rows have the columns mrn, office, role, state, lrn, departure,
 * destination, transit, time_limit, means, seals, principal, incidents,
 * last_type, last_message, last_error, updated, upstream (0-17): every
 * row of mrn, or the rows of office still expecting the goods. The
 * outbox rows of mrn: msg_id, type, status, nak_code, nak_reason, sender,
 * recipient, created. */
sqlite3_stmt *asy_state_views_of (asy_state_t *self, const char *mrn);
sqlite3_stmt *asy_state_views_expected (asy_state_t *self, const char *office);
sqlite3_stmt *asy_state_outbox_of (asy_state_t *self, const char *mrn);

/* The stored request id (an officer's call): its params into params, the
 * message it queued into msg_id, its verb. SG_OK, SG_ENOTFOUND, SG_EDB. */
int asy_state_request_get (asy_state_t *self, const char *id, char *params, size_t size,
                           char msg_id[40], char verb[32], sg_diag_t *diag);

/* Stores request id (in the caller's transaction). SG_OK or SG_EDB. */
int asy_state_request_add (asy_state_t *self, const char *id, const char *verb, const char *mrn,
                           const char *office, const char *params, const char *msg_id,
                           sg_diag_t *diag);

/* Records the officer who caused outbox message id. SG_OK or SG_EDB. */
int asy_state_outbox_officer (asy_state_t *self, const char *id, const char *officer,
                              sg_diag_t *diag);

/* The id of the last delivery of type for mrn into id ("" if none); as
 * asy_state_text. */
int asy_state_inbox_last (asy_state_t *self, const char *mrn, const char *type, char *id,
                          size_t size);

/* The ledger row of ASYCUDA declaration key: its MRN, DEC and REL ids,
 * the body last sent (*sent_body, malloc'd, NULL if none) and whether its
 * CAN was sent. SG_OK, SG_ENOTFOUND, SG_EDB. */
int asy_state_declaration_get (asy_state_t *self, const char *key, char mrn[32],
                               char dec_id[40], char rel_id[40], char **sent_body,
                               int *cancelled, sg_diag_t *diag);

/* Stores declaration key with its MRN (rel_id updated on conflict). */
int asy_state_declaration_put (asy_state_t *self, const char *key, const char *mrn,
                               const char *lrn, const char *departure, const char *dec_id,
                               const char *rel_id, const char *at, sg_diag_t *diag);

/* Records the declaration body last sent for key (DEC, AMD or REL). */
int asy_state_declaration_sent (asy_state_t *self, const char *key, const char *msg_id,
                                const char *body, sg_diag_t *diag);

/* Records that the CAN of declaration key was queued. */
int asy_state_declaration_cancelled (asy_state_t *self, const char *key, const char *dec_id,
                                     sg_diag_t *diag);

/* Records a processed spool file (content hash, name, outcome). */
int asy_state_file_add (asy_state_t *self, const char *hash, const char *name, const char *key,
                        const char *mrn, const char *outcome, sg_diag_t *diag);

/* The outcome of the file with content hash; as asy_state_text. */
int asy_state_file_outcome (asy_state_t *self, const char *hash, char *outcome, size_t size,
                            sg_diag_t *diag);

/* Figures of the state file, for `status` and /metrics. */
typedef enum {
    ASY_COUNT_QUEUED, ASY_COUNT_ACCEPTED, ASY_COUNT_REJECTED,   /* outbox by status */
    ASY_COUNT_FILES, ASY_COUNT_DECLARATIONS,                    /* the spool's ledger */
    ASY_COUNT_DELIVERIES, ASY_COUNT_REFUSED,                    /* taken, refused for good */
    ASY_COUNT_ERRORS,
    ASY_COUNT_STATUS_AGE,       /* seconds since the daemon wrote its status, -1 never */
    ASY_COUNT_OLDEST_AGE,       /* seconds the oldest queued message has waited, 0 none */
    ASY_COUNT_N
} asy_count_t;

/* One figure (0 on error, -1 for an unknown status age). */
long long asy_state_count (asy_state_t *self, asy_count_t what);

/* Counts by a key: rows (key text, count) from asy_state_tally. */
typedef enum {
    ASY_TALLY_MOVEMENT_STATE, ASY_TALLY_OUTBOX_STATUS, ASY_TALLY_INBOX_TYPE,
    ASY_TALLY_INBOX_WRITES,     /* deliveries written as inbox files, by type */
    ASY_TALLY_REQUEST_VERB,
    ASY_TALLY_N
} asy_tally_t;

/* The query of a tally (sqlite3_finalize it), or NULL on error. */
sqlite3_stmt *asy_state_tally (asy_state_t *self, asy_tally_t what);

/* The last n errors, newest first: rows (at, source, text). */
sqlite3_stmt *asy_state_errors_last (asy_state_t *self, int n);

/* A meta value into out ("" if unset). */
void asy_state_meta_get (asy_state_t *self, const char *key, char *out, size_t size);

/* Retention: archives into dir (files named from prefix), then deletes,
 * at most limit rows per table finished before cutoff_ms (answered
 * messages, deliveries, closed movements, requests, errors; the ledgers
 * are kept). Returns the rows removed, or -1 with diag set. */
int asy_state_prune (asy_state_t *self, const char *dir, const char *prefix, long long cutoff_ms,
                     int limit, sg_diag_t *diag);

/* Sets a meta value (daemon status, schema version) in its own statement. */
int asy_state_meta_set (asy_state_t *self, const char *key, const char *value);

/* Appends an error (shown by `status`), in its own statement. */
void asy_state_error (asy_state_t *self, const char *source, const char *text);

/* Writes the current UTC time as "YYYY-MM-DDThh:mm:ssZ". */
void asy_now (char out[21]);

#endif
