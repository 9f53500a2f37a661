/* store.h - the node's PostgreSQL storage: schema migrations, batched
 * durable intake with deduplication, the per-hop delivery queue, dead
 * letters, peers and routes. One store_t is one libpq connection: use it
 * from one thread at a time. Tables and the reasons for their indexes are
 * described at the top of db/migrations/001_init.sql. */
#ifndef STORE_H_INCLUDED
#define STORE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sg.h"

typedef struct store_t store_t;

/* Connects with a libpq conninfo; NULL on failure (diag says why). */
store_t *store_new (const char *conninfo, sg_diag_t *diag);

/* Closes the connection and frees; accepts NULL, clears *self_p. */
void store_destroy (store_t **self_p);

/* Bounds every wait on the database to about timeout_ms (sigmatd; 0 turns
 * it off): statement_timeout on the server, connect_timeout and TCP
 * keepalives/user timeout on the connection, and a watchdog thread that
 * cuts the connection when a guarded stretch (store_guard_begin/end) runs
 * over 2 x timeout_ms, which is what frees the caller when the server hangs
 * (a stopped or frozen PostgreSQL never answers, and a Unix socket has no
 * keepalive). After a lost connection, calls fail at once (SG_EDB, "paused")
 * for a pause that doubles from 250 ms to 2 x timeout_ms, so a caller's loop
 * keeps serving its clients while the database is away. SG_OK, SG_ENOMEM. */
int store_set_timeout (store_t *self, int timeout_ms);

/* Starts / ends a stretch of database work the watchdog bounds (any calls
 * below). No-ops without store_set_timeout. */
void store_guard_begin (store_t *self);
void store_guard_end (store_t *self);

/* ---- running SQL ------------------------------------------------------- */
/* The one way to PostgreSQL for every module of sigmatd and sigmatctl that
 * keeps its own SQL (lifecycle, timers, node status, monitor, retention,
 * sigmatctl): the same reconnect, pause, watchdog and error text as the
 * store's own statements. No connection is handed out; results are libpq
 * results, read with PQntuples/PQgetvalue and freed with PQclear. */

struct pg_result;

/* Runs sql with n text parameters (values[i] NULL = SQL NULL) and text
 * (binary_result 0) or binary (1) results, reconnecting first when the
 * connection was lost outside a transaction. Returns the result (free with
 * PQclear) or NULL with diag "<what>: <reason>" (SG_EDB; the reason is never
 * empty, and a lost connection is logged with it). */
struct pg_result *store_exec (store_t *self, const char *what, const char *sql, int n,
                              const char *const *values, int binary_result, sg_diag_t *diag);

/* Sends sql as store_exec would run it, without waiting: the loop goes on
 * while PostgreSQL works, and collects the result with store_result
 * before anything else runs on this store (a connection of its own).
 * From here to the result the watchdog bounds the wait. SG_OK or SG_EDB
 * (diag as store_exec; nothing was sent). */
int store_send (store_t *self, const char *what, const char *sql, int n,
                const char *const *values, sg_diag_t *diag);

/* The result of the statement store_send sent: SG_OK with *res (free with
 * PQclear) once it is in, SG_OK with *res NULL while it is not (wait 1:
 * blocks until it is), or SG_EDB with diag as store_exec. */
int store_result (store_t *self, const char *what, int wait, struct pg_result **res,
                  sg_diag_t *diag);

/* Runs parameterless SQL, which may hold several statements; SG_OK or
 * SG_EDB with diag as store_exec. */
int store_run (store_t *self, const char *what, const char *sql, sg_diag_t *diag);

/* Opens a transaction; SG_OK or SG_EDB. Until store_commit or
 * store_rollback, a lost connection is not replaced: every call fails. */
int store_begin (store_t *self, const char *what, sg_diag_t *diag);

/* Commits the open transaction; SG_OK, or SG_EDB when the commit failed or
 * the server rolled the transaction back (a statement in it had failed). */
int store_commit (store_t *self, const char *what, sg_diag_t *diag);

/* Rolls the open transaction back, if any; never fails (a lost connection
 * has rolled it back already). */
void store_rollback (store_t *self);

/* 1 if the connection is up and no transaction is open, without trying to
 * reconnect. */
int store_idle (const store_t *self);

/* Makes sure the connection is up: reconnects if it was lost (and the pause
 * after a loss is over); SG_OK or SG_EDB with the reason. */
int store_ready (store_t *self, sg_diag_t *diag);

/* The server's host (or socket folder) and port, for status output; "?"
 * when unknown. */
const char *store_host (const store_t *self);
const char *store_port (const store_t *self);

/* ---- schema ---------------------------------------------------------- */

/* Highest applied migration into *version, 0 for an empty database. */
int store_schema_version (store_t *self, int *version);

/* Highest NNN of the NNN_name.sql files in dir into *latest (0 if none);
 * SG_EIO if the folder cannot be read, SG_EINVAL on two files with one NNN. */
int store_migrations_available (const char *dir, int *latest);

/* Applies the pending files of dir in order, each in its own transaction
 * together with its schema_migrations row, under an advisory lock so two
 * migrators cannot race; prints one line per applied file to progress (may
 * be NULL). Applying twice is a no-op. */
int store_migrate (store_t *self, const char *dir, FILE *progress, sg_diag_t *diag);

/* SG_OK if the database is at the latest version of dir; SG_EDB with a text
 * that says what to run ("... run `sigmatctl db migrate`") if it is behind,
 * SG_EDB too if it is ahead of this program. */
int store_check_schema (store_t *self, const char *dir, sg_diag_t *diag);

/* Binds the database to node `name` of `country` (may be NULL: not checked)
 * on first use; SG_ECONFIG, with a hint, if it belongs to another node. */
int store_identity (store_t *self, const char *name, const char *country, sg_diag_t *diag);

/* ---- intake ---------------------------------------------------------- */

/* One message to store. Strings are NUL-terminated; id and correlation_id
 * are UUIDs in text form; type, mrn, sender, recipient, origin_node,
 * from_peer and next_hop are printable ASCII tokens (no spaces, <= 255). */
typedef struct {
    const char *id, *type, *mrn, *sender, *recipient, *origin_node;
    const char *correlation_id;     /* may be NULL */
    const char *from_peer;          /* may be NULL: made by this node */
    const char *header; size_t header_len;
    const char *body; size_t body_len;
    const unsigned char *signature; size_t signature_len;   /* NULL/0: none */
    const char *next_hop;           /* where to forward; NULL = nowhere */
    /* Claims (store_claim.h): when set, the commit also claims (next_hop,
     * mrn) for this holder, for claim_ttl_ms, if no process holds it. */
    const char *claim_holder;
    int64_t claim_ttl_ms;
    int claimed;                    /* out: 1 if it did */
    long long seq;                  /* out: its delivery row's seq (0: none) */
    int duplicate;                  /* out: 1 if this id was stored before
                                       (or earlier in this batch): not stored again */
    int conflict;                   /* out (store_conflicts): 1 if a duplicate whose
                                       body differs from the stored one */
} store_msg_t;

/* Stores msgs[0..n) and their delivery rows in ONE transaction (one round
 * trip), deduplicating on id across and within batches; sets each
 * ->duplicate. The batch is durable when this returns SG_OK: only then ACK.
 * On a bad field nothing is stored: SG_EINVAL, diag->line = 1-based index
 * of the offending message, diag->nak = SG_NAK_INCORRECT_VALUE. SG_EDB if the
 * database failed (nothing stored; the sender will resend). */
int store_accept (store_t *self, store_msg_t *msgs, size_t n, sg_diag_t *diag);

/* For every msgs[i] flagged duplicate, compares its body with the message
 * stored under its id and sets ->conflict (1: they differ, the id is being
 * reused for another message; 0: a resend). Only the body: the header's
 * Type, Mrn, Sender and Recipient are bound to the body by the intake's
 * agreement check, and its Created stamps the send attempt (an adapter
 * that restarts sends the same body under a new header). One
 * statement, run only when the batch holds duplicates. SG_OK or SG_EDB
 * (->conflict is then unknown: the caller must not ACK those duplicates). */
int store_conflicts (store_t *self, store_msg_t *msgs, size_t n, sg_diag_t *diag);

/* A stored message, for `sigmatctl dead show` and resynchronisation. */
typedef struct {
    char id[37], type[16], mrn[19], sender[16], recipient[16], origin_node[64];
    char correlation_id[37];        /* "" if none */
    char from_peer[64];             /* "" if made here */
    long long received;             /* unix seconds */
    char *header; size_t header_len;
    char *body; size_t body_len;
    unsigned char *signature; size_t signature_len;
} store_message_t;

/* Fills *out with message id (free with store_message_clear); SG_ENOTFOUND. */
int store_message_get (store_t *self, const char *id, store_message_t *out, sg_diag_t *diag);
void store_message_clear (store_message_t *msg);

/* ---- delivery queue ---------------------------------------------------- */

typedef struct {
    char id[37];
    char mrn[19];
    long long seq;
    int attempts;
    char *header; size_t header_len;
    char *body; size_t body_len;
    unsigned char *signature; size_t signature_len;     /* NULL/0: none */
} store_delivery_t;

/* Undelivered (pending or inflight) deliveries for next_hop with
 * seq > after_seq, in seq order, at most limit; *out is allocated (NULL when
 * *count is 0), free with store_deliveries_free. Page with after_seq = last
 * seq seen; start again from 0 now and then (see 001_init.sql on seq). */
int store_pending (store_t *self, const char *next_hop, long long after_seq, size_t limit,
                   store_delivery_t **out, size_t *count, sg_diag_t *diag);
void store_deliveries_free (store_delivery_t *list, size_t count);

/* Marks ids as delivered to next_hop (state done, acked_at now); ids that
 * are unknown or already finished are ignored. *updated (may be NULL) gets
 * the number of rows that changed. */
int store_delivered (store_t *self, const char *next_hop, const char *const *ids, size_t n,
                     size_t *updated, sg_diag_t *diag);

/* Sets undelivered[i] (n of them) to 1 for each of ids[0..n) that is
 * still to be delivered to next_hop (not done, not a dead letter), read in
 * a statement of its own, so it sees every commit before it. With older
 * not NULL, the same statement also lists in *older (*nolder of them, free
 * it) the undelivered rows for next_hop of the MRNs of ids stored before
 * them (a lower seq than the first of ids with that MRN): rows another
 * process stored that must go first. SG_OK, SG_EDB, SG_ENOMEM. */
int store_undelivered (store_t *self, const char *next_hop, const char *const *ids, size_t n,
                       unsigned char *undelivered, char (**older)[37], size_t *nolder,
                       sg_diag_t *diag);

/* Marks ids as delivered to next_hop for an ACK that names messages this
 * process (holder) has not in flight: only those another process of the
 * node may have sent, i.e. the oldest undelivered message of its MRN on
 * that hop, whose claim is held by another process (or has expired). An
 * ACK for a message nobody sent changes nothing. */
int store_delivered_elsewhere (store_t *self, const char *next_hop, const char *holder,
                               const char *const *ids, size_t n, sg_diag_t *diag);

/* Records a resend after a timeout: attempts + 1, last_attempt now,
 * last_error = reason (may be NULL). Not called for the first send: retry
 * timing lives in the dispatcher's memory. */
int store_attempted (store_t *self, const char *next_hop, const char *const *ids, size_t n,
                     const char *reason, sg_diag_t *diag);

/* Moves one delivery to the dead letters with the NAK code and reason;
 * SG_ENOTFOUND if there is no such undelivered row. */
int store_dead (store_t *self, const char *next_hop, const char *id, int nak_code,
                const char *reason, sg_diag_t *diag);

/* Puts dead letters back in the queue (state pending, attempts 0, a new seq
 * so they go to the back of the queue): message id on every hop, or every
 * dead letter of next_hop when id is NULL, or both filters together. One of
 * the two is required. *count (may be NULL) gets the number replayed. */
int store_replay_dead (store_t *self, const char *id, const char *next_hop, int *count,
                       sg_diag_t *diag);

typedef struct {
    char id[37];
    char next_hop[64];
    char type[16];
    char mrn[19];
    long long seq;
    int attempts;
    int nak_code;
    char reason[256];
    long long received;     /* unix seconds */
} store_dead_t;

/* Dead letters of next_hop (NULL: all hops), oldest first, at most limit;
 * free *out with free(). */
int store_dead_list (store_t *self, const char *next_hop, size_t limit, store_dead_t **out,
                     size_t *count, sg_diag_t *diag);

typedef struct {
    char next_hop[64];
    long long pending;      /* undelivered, including in flight */
    long long dead;
    double oldest_age_s;    /* age of the oldest undelivered message, 0 if none */
} store_queue_stat_t;

/* One row per known peer and per hop that has queued rows, by name; free
 * *out with free(). Counting costs O(backlog) (index-only), not O(history). */
int store_queue_stats (store_t *self, store_queue_stat_t **out, size_t *count, sg_diag_t *diag);

/* ---- peers and routes ------------------------------------------------ */

typedef struct {
    char name[64];
    char role[8];               /* "node" or "adapter" */
    char curve_public[41];      /* Z85 CurveZMQ key, "" if none */
    char *sign_public_pem;      /* Ed25519 public key PEM, may be NULL */
    char *endpoint;             /* where to connect (nodes), may be NULL */
    char **offices;             /* office refs or 2-letter countries */
    size_t offices_n;
    long long last_seen;        /* unix seconds, 0 = never */
} store_peer_t;

/* Inserts or replaces peer by name (last_seen is kept). */
int store_peer_put (store_t *self, const store_peer_t *peer, sg_diag_t *diag);

/* Fills *out (free with store_peer_clear); SG_ENOTFOUND. */
int store_peer_get (store_t *self, const char *name, store_peer_t *out, sg_diag_t *diag);

/* Every peer by name; free with store_peers_free. */
int store_peer_list (store_t *self, store_peer_t **out, size_t *count, sg_diag_t *diag);

/* Deletes a peer; SG_ENOTFOUND. */
int store_peer_remove (store_t *self, const char *name, sg_diag_t *diag);

/* Sets last_seen to now; SG_ENOTFOUND. */
int store_peer_seen (store_t *self, const char *name, sg_diag_t *diag);

void store_peer_clear (store_peer_t *peer);
void store_peers_free (store_peer_t *list, size_t count);

/* ---- signing keys of peers (with validity periods) ---------------------- */

typedef struct {
    char peer[64];
    char key_id[17];            /* sg_sign_key_id */
    char *pem;                  /* Ed25519 public key PEM */
    long long from_ms, until_ms;    /* validity, ms since 1970; 0 = unbounded */
} store_sign_key_t;

/* Registers (or replaces) key key_id of peer valid from `from` until `until`
 * (PostgreSQL timestamptz text; NULL or "" = unbounded); SG_ENOTFOUND if no
 * such peer, SG_EDB for a bad time or an empty period. */
int store_sign_key_put (store_t *self, const char *peer, const char *key_id, const char *pem,
                        const char *from, const char *until, sg_diag_t *diag);

/* Ends key key_id of peer at `at` (NULL = now); SG_ENOTFOUND. */
int store_sign_key_retire (store_t *self, const char *peer, const char *key_id, const char *at,
                           sg_diag_t *diag);

/* The keys of peer (NULL: of every peer) by peer and start; free with
 * store_sign_keys_free. */
int store_sign_key_list (store_t *self, const char *peer, store_sign_key_t **out, size_t *count,
                         sg_diag_t *diag);
void store_sign_keys_free (store_sign_key_t *list, size_t count);

typedef struct {
    char prefix[9];             /* office ref (8) or country (2) */
    char next_hop[64];
} store_route_t;

/* Inserts or replaces the route for prefix (an office ref like CI000101 or
 * a country like BF); SG_EINVAL on a malformed prefix. */
int store_route_put (store_t *self, const char *prefix, const char *next_hop, sg_diag_t *diag);

/* Deletes a route; SG_ENOTFOUND. */
int store_route_remove (store_t *self, const char *prefix, sg_diag_t *diag);

/* The whole route table by prefix, for the router's in-memory copy
 * (reloaded on SIGHUP); free *out with free(). */
int store_route_list (store_t *self, store_route_t **out, size_t *count, sg_diag_t *diag);

#endif
