/* link.h - an adapter's link to its node, shared by sigmat-asycuda and
 * sigmat-generic: connects (and reconnects) with sg_client, pumps the
 * adapter's durable outbox to the node with a header built once from each
 * message and stored, records the node's ACK/NAK, and hands every DELIVER
 * to the adapter, answering the node from what the adapter says: delivered
 * (ACK), retry later (no answer: the node delivers it again), or refused
 * for good (NAK with a code and a reason; the delivery is kept with a .err
 * in the rejected folder). The storage stays the adapter's: callbacks. */
#ifndef SG_LINK_H_INCLUDED
#define SG_LINK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "sg.h"

typedef struct sg_link_t sg_link_t;

/* What the adapter made of a DELIVER. */
typedef enum {
    SG_LINK_DELIVERED = 0,  /* safely handed on (or handled before): ACK */
    SG_LINK_RETRY,          /* cannot take it now (disk, permission, state): no answer */
    SG_LINK_REFUSE          /* can never take it: NAK with diag->nak and diag->text */
} sg_link_result_t;

/* One queued outbox message, as the adapter's store hands it over. */
typedef struct {
    int64_t seq;                        /* queue position, increasing */
    const char *id;                     /* Message-Id */
    const char *header; size_t header_len;  /* as first sent; NULL/0 = not sent yet */
    const char *body; size_t body_len;
    const char *officer;                /* Officer header, or NULL */
} sg_link_out_t;

/* The adapter's side. Every callback runs in the thread of sg_link_step. */
typedef struct {
    void *arg;
    /* Calls fn for the queued messages (not answered by the node) after
     * queue position after, oldest first, at most max of them; stops at
     * fn's first non-zero return. Returns SG_OK or an error. */
    int (*pending) (void *arg, int64_t after, size_t max,
                    int (*fn) (void *fn_arg, const sg_link_out_t *out), void *fn_arg);
    /* Stores the header built for message id, so resends (even after a
     * restart) carry the same bytes. SG_OK or an error (not sent then). */
    int (*set_header) (void *arg, const char *id, const char *header, size_t len);
    /* The node ACKed (code 0) or NAKed (code, reason) message id. */
    void (*answered) (void *arg, const char *id, int code, const char *reason);
    /* Takes one DELIVER; returns an sg_link_result_t, with diag->nak and
     * diag->text saying why for SG_LINK_REFUSE (and diag->text for
     * SG_LINK_RETRY). */
    int (*deliver) (void *arg, const sg_event_t *ev, sg_diag_t *diag);
    /* Optional: a delivery was refused for good (after the NAK is queued
     * and the copy kept), for the adapter's own records and metrics. */
    void (*refused) (void *arg, const sg_event_t *ev, int code, const char *reason);
} sg_link_ops_t;

typedef struct {
    const char *endpoint;               /* node endpoint, passed as is to sg_client */
    const char *node_public;            /* CURVE key files; all NULL = plaintext (tests) */
    const char *curve_public;
    const char *curve_secret;
    const char *name;                   /* our name at the node */
    int timeout_ms;                     /* sg_client timeout; 0 = 5000 */
    int window;                         /* sg_client window; 0 = its default */
    int reconnect_ms;                   /* wait between connection attempts; 0 = 1000 */
    size_t max_inflight;                /* outbox messages handed to the client; 0 = 1000 */
    int pump_ms;                        /* look at the outbox this often even when not
                                           kicked; 0 = every step, -1 = only when kicked */
    const char *rejected_dir;           /* where refused deliveries are kept (NULL = not) */
} sg_link_opts_t;

/* Returns a link (not connected yet: sg_link_step connects), or NULL when
 * out of memory. opts' strings and ops->arg must outlive the link. */
sg_link_t *sg_link_new (const sg_link_opts_t *opts, const sg_link_ops_t *ops);

/* Closes the connection, frees the link (NULL is fine) and clears the
 * caller's pointer. What the node has not ACKed stays in the outbox. */
void sg_link_destroy (sg_link_t **self_p);

/* One turn: connects when due (else waits up to timeout_ms for it), hands
 * queued outbox messages to the node, then waits up to timeout_ms for the
 * node's answers and DELIVERs and handles them. Returns SG_OK, or on the
 * turn a session is lost the error that ended it (SG_EAUTH when the node
 * denied us, SG_EIO); sg_link_state says why and later turns reconnect. */
int sg_link_step (sg_link_t *self, int timeout_ms);

/* Something was queued: look at the outbox on the next step. Safe from
 * any thread. */
void sg_link_kick (sg_link_t *self);

/* 1 while a session with the node is up, else 0. */
int sg_link_connected (const sg_link_t *self);

/* A line for status: "connected to NODE (ENDPOINT)", "unreachable: ...". */
const char *sg_link_state (const sg_link_t *self);

/* When the state last changed and when the last ACK came, as
 * "YYYY-MM-DDThh:mm:ssZ" ("" before the first). */
const char *sg_link_since (const sg_link_t *self);
const char *sg_link_last_ack (const sg_link_t *self);

/* Outbox messages handed to the client and not answered yet. */
size_t sg_link_unacked (const sg_link_t *self);

/* Keeps a refused delivery for inspection in dir: the body as
 * deliver-TYPE_MRN_ID.xml and beside it a readable .err (what was
 * refused, the NAK code and reason, what to do, the header). SG_OK or
 * SG_EIO with diag. Called by sg_link_step; public for the tools. */
int sg_link_keep_refused (const char *dir, const sg_event_t *ev, int code, const char *reason,
                          sg_diag_t *diag);

#endif
