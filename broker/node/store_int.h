/* store_int.h - what the store_*.c files share and nobody else sees: the
 * store_t struct, statement execution with reconnect, binary parameter
 * building (PostgreSQL array wire format) and binary result decoding. */
#ifndef STORE_INT_H_INCLUDED
#define STORE_INT_H_INCLUDED

#include <libpq-fe.h>
#include <stdint.h>

#include "buf.h"
#include "node/store.h"

/* Built-in type OIDs (stable across PostgreSQL versions). */
/* A delivery not yet done nor dead, for the statements that find their
 * rows by primary key (message_id, next_hop). Not written as state IN
 * ('pending', 'inflight'), the predicate of the partial index
 * delivery_pending (the CHECK on state makes the two equal): with that the
 * planner may read the hop's whole queue through the index and filter the
 * ids out of it, O(backlog) per statement. It did, on a fresh database. */
#define STORE_UNDELIVERED "state NOT IN ('done', 'dead')"

#define STORE_OID_BOOL       16
#define STORE_OID_BYTEA      17
#define STORE_OID_INT8       20
#define STORE_OID_INT4       23
#define STORE_OID_TEXT       25
#define STORE_OID_UUID       2950
#define STORE_OID_TEXTARRAY  1009
#define STORE_OID_BYTEAARRAY 1001
#define STORE_OID_UUIDARRAY  2951
#define STORE_OID_INT4ARRAY  1007

/* The delivered mark ($1 next hop, $2 uuid[]), store_queue.c; check_store
 * reads its plan. */
extern const char store_i_sql_delivered[];

/* Prepared statements, prepared lazily per connection. */
typedef enum {
    STORE_STMT_ACCEPT, STORE_STMT_ACCEPT_CLAIM, STORE_STMT_PENDING, STORE_STMT_DELIVERED,
    STORE_STMT_COUNT
} store_stmt_t;

struct store_t {
    PGconn *conn;
    char *conninfo;             /* as given to store_new, to reconnect */
    unsigned prepared;          /* bit per store_stmt_t on this connection */
    int in_tx;                  /* store_begin ... store_commit/rollback */
    /* store_set_timeout: statement_timeout, the watchdog and the pause
     * after a lost connection (store_guard.c) */
    int timeout_ms;             /* 0: none (sigmatctl) */
    int64_t down_until;         /* no reconnect before this (monotonic ms) */
    int down_ms;                /* the pause, doubling to timeout_ms */
    struct store_guard *guard;  /* the watchdog thread, or NULL */
    PGconn *pending;            /* a reconnect in progress (store_i_ready), or NULL */
    int64_t pending_until;      /* ... given up after this (monotonic ms) */
    int pending_poll;           /* ... its last PostgresPollingStatusType */
};

/* The session settings (and statement_timeout) on a new connection. */
void store_i_session (store_t *self);

/* The connection was lost or reset: pause reconnects for a while. */
void store_i_down (store_t *self);

/* The watchdog's lock, held while the connection is replaced (so it never
 * cuts a socket being swapped), and its end (store_destroy). */
void store_i_guard_lock (store_t *self);
void store_i_guard_unlock (store_t *self);
void store_i_guard_stop (store_t *self);

/* Starts the watchdog (once; not when timeout_ms is 0). SG_OK or SG_ENOMEM. */
int store_i_guard_start (store_t *self);

/* A growable byte buffer: the project's one (lib/buf.h). */
typedef sg_buf_t store_buf_t;
#define store_buf_put sg_buf_put
#define store_buf_free sg_buf_free
void store_buf_u32 (store_buf_t *b, uint32_t v);

/* Builds a one-dimensional binary array of n elements of element type oid:
 * call store_array_begin, then store_array_elem n times (p NULL = SQL NULL). */
void store_array_begin (store_buf_t *b, uint32_t elem_oid, size_t n, int has_nulls);
void store_array_elem (store_buf_t *b, const void *p, size_t len);

/* Parses a textual UUID into 16 bytes; 0 on success, -1 if malformed. */
int store_uuid_parse (const char *text, unsigned char out[16]);

/* Formats 16 bytes as a 36-character lowercase UUID plus NUL. */
void store_uuid_format (const unsigned char in[16], char out[37]);

/* Big-endian readers for binary results. */
long long store_get_i64 (const char *p);
int store_get_i32 (const char *p);

/* 1 if s is a printable-ASCII token (no space or control), 1..255 bytes. */
int store_token_ok (const char *s);
/* A binary text[] of strs[0..n) in arr; SG_OK or SG_ENOMEM (arr freed). */
int store_i_text_array (store_buf_t *arr, const char *const *strs, size_t n, sg_diag_t *diag);

/* Makes sure the connection is up (resets it once if it dropped). */
int store_i_ready (store_t *self, sg_diag_t *diag);

/* Runs sql with text or binary params (types may be NULL, formats NULL =
 * all text) and returns the result if its status is PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; otherwise NULL with diag set to "<what>: <pg error>".
 * stmt >= 0 names a prepared statement (store_stmt_t: prepared from sql
 * and types on its first use on this connection, the same sql and types
 * every time); -1 runs sql unnamed. */
PGresult *store_i_exec (store_t *self, int stmt, const char *what, const char *sql, int n,
                        const Oid *types, const char *const *values, const int *lengths,
                        const int *formats, int binary_result, sg_diag_t *diag);

/* Decodes one binary result row of a delivery page (columns c..c+6:
 * message_id, mrn, seq int8, attempts int4, header, body, signature) into
 * d, whose buffers it allocates (free with store_deliveries_free even on
 * failure). SG_OK or SG_ENOMEM. */
int store_i_delivery_row (const PGresult *res, int r, int c, store_delivery_t *d);

/* Fills diag from a failed result or the connection; returns SG_EDB. */
int store_i_fail (store_t *self, PGresult *res, const char *what, sg_diag_t *diag);

#endif
