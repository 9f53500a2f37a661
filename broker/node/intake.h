/* intake.h - the node's intake: each SEND received on the ROUTER is
 * checked (header, size, schema, MRN, header/body agreement, who may
 * speak for the sender office, the origin node's signature), signed when
 * it comes from a local adapter, routed, and collected in a batch; a
 * commit stores the batch in one transaction, THEN acknowledges every
 * message of it (one ACK per connection) and hands the new ones to the
 * dispatcher. A refused message is answered with NAK at once and never
 * disturbs the batch. The commit runs on a thread of the intake's own,
 * with the store given to intake_new, while the next batch fills. */
#ifndef SG_INTAKE_H_INCLUDED
#define SG_INTAKE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "node/dispatch.h"
#include "lifecycle/tracker.h"
#include "node/peers.h"
#include "node/routes.h"
#include "sg.h"
#include "sign.h"
#include "node/store.h"
#include "wire.h"

typedef struct intake_t intake_t;

typedef struct {
    const char *node_name;          /* Origin-Node of what local adapters send */
    const sg_sign_key_t *sign_key;  /* this node's Ed25519 private key (borrowed) */
    char *const *offices;           /* this node's own offices / country */
    size_t offices_n;
    size_t max_message;             /* header + body bytes; over it: NAK 103 */
    size_t batch_max;               /* messages per transaction */
    size_t workers;                 /* threads doing the checks; 0 = in the caller's */
    int validate_all;               /* full body check of what peer nodes send too */
    int packed;                     /* a packed SEND may be answered packed (`packed`) */
    lifecycle_t *lifecycle;         /* movement tracking in the batch transaction, or NULL */
    /* 1 if messages for this next hop may carry a batch signature (the
     * hop understands them); NULL: every message signed alone. Called on
     * the caller's thread, by intake_commit. */
    int (*batch_hop) (void *arg, const char *hop);
    void *batch_arg;
} intake_opts_t;

/* The connection a SEND came from. */
typedef struct {
    const unsigned char *rid;       /* ROUTER routing id, for ACK/NAK */
    size_t rid_len;
    const char *peer;               /* registered name (ZAP User-Id) */
    int is_node;                    /* 1 for a peer node, 0 for an adapter */
    int window;                     /* most SENDs of this connection held unanswered
                                       (the window WELCOME announced); 0 = no bound */
} intake_src_t;

typedef struct {
    uint64_t received, accepted, duplicates, refused, batches, db_errors;
} intake_stats_t;

/* Returns an intake answering on router_sock, storing in store and
 * queueing on dispatch (all borrowed); NULL when out of memory. store is
 * used by the intake's commit thread only: a connection of its own, not
 * the one the caller uses meanwhile. opts strings are borrowed too and
 * must outlive it. */
intake_t *intake_new (const intake_opts_t *opts, store_t *store, void *router_sock,
                      dispatch_t *dispatch);

/* Frees the intake (NULL is fine) and clears the caller's pointer; a batch
 * not committed is dropped unacknowledged (its senders will resend). */
void intake_destroy (intake_t **self_p);

/* Checks one SEND from src (refused at once with NAK 103 when src already
 * has src->window SENDs unanswered: the sender broke its window), using the peer directory and routing table
 * given (which must not change until the check is done: see intake_wait).
 * Takes the message (*msg_p becomes NULL). Without workers: returns SG_OK
 * if it joined the batch, or the error after sending NAK with its code.
 * With workers: queues the check and returns SG_OK (SG_ENOMEM if it could
 * not); the result is applied by intake_collect. */
int intake_add (intake_t *self, wire_msg_t **msg_p, const intake_src_t *src,
                const peers_t *peers, const routes_t *router);

/* Answers for a batch whose commit is over (ACK, NAK, dispatch) and
 * applies the checks the workers have finished: NAK or into the batch
 * (handed to the commit thread when it fills). Call when intake_fd is
 * readable. */
void intake_collect (intake_t *self);

/* Waits until every queued check is done and collected and the batch out
 * for commit, if any, is committed and answered (before a reload, or
 * before the caller touches the lifecycle, the routing table or the
 * database the commit uses). The open batch stays open. */
void intake_wait (intake_t *self);

/* intake_wait, then commits the open batch and waits for that too (a
 * stop). */
void intake_flush (intake_t *self);

/* 1 while a batch is out with the commit thread. */
int intake_committing (const intake_t *self);

/* Checks queued or running, not yet collected. */
size_t intake_outstanding (const intake_t *self);

/* A file descriptor readable when results or a finished commit wait for
 * intake_collect. */
int intake_fd (const intake_t *self);

/* Messages in the current batch. */
size_t intake_pending (const intake_t *self);

/* 1 when the batch has reached batch_max. */
int intake_full (const intake_t *self);

/* Hands the open batch to the commit thread, which stores it (one
 * transaction, with the lifecycle's changes and the messages it makes);
 * intake_collect then ACKs it and queues the new messages for dispatch
 * (not those the lifecycle refused or consumed), or, when the commit
 * failed, logs it and acknowledges nothing (the senders resend). Returns
 * SG_OK (also for an empty batch), or SG_ESEQ while the previous batch is
 * still out (try again once intake_fd is readable). */
int intake_commit (intake_t *self);

/* Counters since intake_new. */
void intake_stats (const intake_t *self, intake_stats_t *out);

#endif
