/* gen_state.h - sigmat-generic's durable local state in one SQLite file
 * (WAL, synchronous=FULL): messages for the node until it ACKs them, the
 * webhook outbox, the adapter's own view of each movement with its
 * history, and the idempotency keys of the API. Thread-safe. */
#ifndef GEN_STATE_H_INCLUDED
#define GEN_STATE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "link.h"
#include "sg.h"

typedef struct gen_state_t gen_state_t;

/* A message for the node (header and body as sent on the wire). */
typedef struct {
    int64_t seq;                        /* unused (the queue position is the row's) */
    const char *id, *type, *mrn;
    const char *header; size_t header_len;  /* empty until first sent */
    const char *body; size_t body_len;
    const char *officer;                /* who caused it (Officer header), or NULL */
} gen_out_t;

/* One change to the adapter's view of a movement at one office, and the
 * event row that records it. NULL fields keep their stored value. */
typedef struct {
    const char *mrn, *office, *role;    /* role DEPARTURE TRANSIT DESTINATION */
    const char *state;                  /* new state, NULL = unchanged */
    const char *departure, *destination, *transits, *lrn;
    const char *decl;                   /* declaration XML (DEC/REL/AAR/ATR) */
    const char *message_id, *type, *direction;  /* "out" or "in" */
} gen_mvt_t;

/* A webhook to deliver. */
typedef struct {
    int64_t seq;
    char id[37], mrn[19], type[4];
    char content_type[64];
    char *payload; size_t payload_len;
    int attempts;
} gen_hook_t;

/* The idempotent answer stored for a request. */
typedef struct {
    int status;
    char *body;                         /* malloc'd JSON */
    char req_hash[65];
} gen_idem_t;

/* A movement view at one office. */
typedef struct {
    char mrn[19], office[9], role[12], state[16];
    char departure[9], destination[9], transits[90], lrn[23];
    char *decl;                         /* malloc'd, may be NULL */
} gen_view_t;

/* Opens (creating if needed) the state file. NULL with diag on failure. */
gen_state_t *gen_state_new (const char *path, sg_diag_t *diag);

/* Closes it (NULL is fine) and clears the caller's pointer. */
void gen_state_destroy (gen_state_t **self_p);

/* Stores a message for the node, the movement change and (when key is not
 * NULL) the idempotency record {token, key, req_hash, status, body}, all
 * in one durable transaction. SG_ESEQ if that key is already stored (the
 * caller then replays it), SG_EDB on failure. */
int gen_state_submit (gen_state_t *self, const gen_out_t *out, const gen_mvt_t *mvt,
                      const char *token, const char *key, const char *req_hash, int status,
                      const char *resp_body);

/* Looks up an idempotency key; SG_OK with *idem filled (free idem->body),
 * SG_ENOTFOUND, SG_EDB. */
int gen_state_idem_get (gen_state_t *self, const char *token, const char *key, gen_idem_t *idem);

/* Calls fn for the messages after queue position after_seq that the node
 * has not answered yet, oldest first, at most max (the link's `pending`);
 * fn's non-zero return stops the walk and is returned. fn must not call
 * gen_state. */
int gen_state_out_pending (gen_state_t *self, int64_t after_seq, size_t max,
                           int (*fn) (void *arg, const sg_link_out_t *out), void *arg);

/* Stores the SGTP header built for message id when it was first sent, so
 * that every resend carries the same bytes. */
int gen_state_out_set_header (gen_state_t *self, const char *id, const char *header, size_t len);

/* 1 if message id is one this adapter sent to the node, else 0. */
int gen_state_out_known (gen_state_t *self, const char *id);

/* Records the node's ACK (code 0) or NAK (code, reason) of message id. */
int gen_state_out_result (gen_state_t *self, const char *id, int code, const char *reason);

/* Records that delivery id was refused for good (NAK code, reason). */
int gen_state_refused_add (gen_state_t *self, const char *id, int code, const char *reason);

/* Queues an incoming message's webhook and applies its movement change in
 * one durable transaction. A message id seen before is not queued again
 * (SG_OK, *dup = 1). SG_EDB on failure. */
int gen_state_deliver (gen_state_t *self, const gen_hook_t *hook, const gen_mvt_t *mvt, int *dup);

/* Fills up to max hooks due at now_ms: the oldest pending one of each MRN
 * (later ones of that MRN wait for it), in queue order. The caller frees
 * each payload with gen_hook_clear. Returns the number, or -1. */
int gen_state_hooks_due (gen_state_t *self, int64_t now_ms, gen_hook_t *hooks, int max);

/* Marks hook seq delivered. */
int gen_state_hook_done (gen_state_t *self, int64_t seq);

/* Records a failed try of hook seq and when to try again. */
int gen_state_hook_failed (gen_state_t *self, int64_t seq, int64_t next_ms, const char *error);

/* Milliseconds until the next pending hook is due (0 = now), or -1 if none. */
int64_t gen_state_hooks_next (gen_state_t *self, int64_t now_ms);

/* Retention: archives into dir, then deletes, at most limit rows per table
 * finished before cutoff_ms (answered messages, delivered webhooks, closed
 * movements with their events, idempotency keys). Returns the rows
 * removed, or -1 with diag set. */
int gen_state_prune (gen_state_t *self, const char *dir, const char *prefix, int64_t cutoff_ms,
                     int limit, sg_diag_t *diag);

/* Frees what a hook holds. */
void gen_hook_clear (gen_hook_t *hook);

/* Reads the view of mrn at office (office NULL: the first view, departure
 * first). SG_OK (free view->decl), SG_ENOTFOUND, SG_EDB. */
int gen_state_view (gen_state_t *self, const char *mrn, const char *office, gen_view_t *view);

/* Every view of mrn with its history, as a JSON array (new reference), or
 * NULL on error. Empty array when unknown. */
json_t *gen_state_movement_json (gen_state_t *self, const char *mrn);

/* Views at office in state (NULL = any; "expected": every view still
 * waiting for the goods, whatever upstream made of the movement), newest
 * first, as a JSON array. */
json_t *gen_state_office_json (gen_state_t *self, const char *office, const char *state,
                               int limit);

/* Counters and the pending webhooks/messages, as a JSON object. */
json_t *gen_state_status_json (gen_state_t *self, int64_t now_ms, int list);

/* The id of the last message of type received for mrn (the ENQ an ENR
 * answers) into id[37], "" if none. */
void gen_state_last_in (gen_state_t *self, const char *mrn, const char *type, char id[37]);

/* The first column of the first row of a read-only query with no
 * parameters (a count, for /metrics), or -1 on error. */
int64_t gen_state_scalar (gen_state_t *self, const char *sql);

/* Calls fn (key, n, arg) for each row of a query returning (text, count). */
void gen_state_rows (gen_state_t *self, const char *sql,
                     void (*fn) (const char *key, int64_t n, void *arg), void *arg);

#endif
