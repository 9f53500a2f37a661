/* client.h - libsigmat's SGTP/1 client for adapters and tools: one CURVE
 * DEALER connection to a node, a window of unacknowledged SENDs resent
 * (same bytes, same id) until ACKed or NAKed, and the node's DELIVERs as
 * events. Single-threaded: all work happens inside these calls. */
#ifndef SG_CLIENT_H_INCLUDED
#define SG_CLIENT_H_INCLUDED

#include <stddef.h>

#include "sg.h"

typedef struct sg_client_t sg_client_t;

typedef struct {
    const char *endpoint;           /* "tcp://node.example:7700"; several processes of
                                       one node: "tcp://a:7700,tcp://b:7700", tried in
                                       turn (the next when one goes away or gives no
                                       WELCOME within timeout_ms) */
    const char *server_public_z85;  /* the node's CURVE public key (40 chars) */
    const char *public_z85;         /* our keypair; all three NULL = plaintext (tests) */
    const char *secret_z85;
    const char *role;               /* "adapter" (default) or "node" */
    const char *name;               /* our name, as registered at the node */
    int timeout_ms;                 /* WELCOME wait, first resend delay; 0 = 5000 */
    int window;                     /* unacknowledged SENDs (and DELIVERs we accept); 0 = 64 */
    int heartbeat_ms;               /* PING / ZMTP heartbeat interval; 0 = 5000 */
} sg_client_opts_t;

typedef enum { SG_EV_NONE, SG_EV_ACK, SG_EV_NAK, SG_EV_DELIVER } sg_event_type_t;

/* An event from sg_client_poll. For SG_EV_DELIVER, header, body and
 * signature are NUL-terminated copies owned by the event (one allocation,
 * freed by sg_event_clear); for ACK and NAK they are NULL. */
typedef struct {
    sg_event_type_t type;
    char id[37];                    /* message id acknowledged, refused or delivered */
    int code;                       /* NAK code (SG_NAK_*) */
    char reason[256];               /* NAK reason (truncated) */
    char *header;
    size_t header_len;
    char *body;
    size_t body_len;
    unsigned char *signature;
    size_t signature_len;
} sg_event_t;

/* Connects to opts->endpoint, says HELLO and waits up to timeout_ms (per
 * endpoint of the list) for
 * WELCOME. Returns the client, or NULL with the reason in diag (may be
 * NULL): SG_EAUTH when the node refused our key or DENIED us, SG_ETIMEOUT
 * without an answer, SG_EINVAL/SG_EKEY for bad options. */
sg_client_t *sg_client_new (const sg_client_opts_t *opts, sg_diag_t *diag);

/* Closes the connection, frees the client (NULL is fine) and clears the
 * caller's pointer. Messages not yet ACKed are dropped: the caller keeps
 * its own copy until it sees their ACK. */
void sg_client_destroy (sg_client_t **self_p);

/* Queues a SEND of header and body (copied) and sends it as soon as the
 * window and the per-MRN order allow (at most one unacknowledged message
 * per Mrn). It is resent, same bytes, after a timeout with backoff and
 * after every reconnection until ACKed or NAKed. Returns SG_OK, SG_EINVAL
 * if the header has no Message-Id UUID or the body is empty, SG_EAUTH if
 * the node has denied us, SG_ENOMEM. */
int sg_client_send (sg_client_t *self, const char *header, size_t hlen, const char *body,
                    size_t blen);

/* Waits up to timeout_ms (-1 = forever, 0 = just look) for the next event,
 * doing the client's sending, resending and heartbeats meanwhile. ev must
 * be zeroed before its first use; it is cleared on entry. Returns SG_OK
 * with *ev filled, SG_ETIMEOUT if no event came, SG_EAUTH if the node
 * denied the session (ev->reason says why; the client is then unusable),
 * SG_EIO on a socket error. */
int sg_client_poll (sg_client_t *self, sg_event_t *ev, int timeout_ms);

/* Sends a message body (a sigmat message document) with the header built
 * from its own fields (Message-Id, Type, Mrn, Sender, Recipient,
 * Correlation-Id), Created now and Origin-Node the node's name from
 * WELCOME; as sg_client_send otherwise. Copies the message id into id_out
 * (may be NULL). Returns SG_OK, or sg_msg_peek's errors for a body that is not
 * a sigmat message, with diag saying why. */
int sg_client_send_body (sg_client_t *self, const char *body, size_t blen, char id_out[37],
                         sg_diag_t *diag);

/* Builds the SGTP header of a message body from its own fields
 * (Message-Id, Type, Mrn, Sender, Recipient, Correlation-Id), Created now,
 * Origin-Node origin ("unknown" if NULL or empty) and Officer officer (NULL
 * = none): the header from a message that sg_client_send_body and the
 * adapters' link (link.h) send. Copies the message id into id_out (may be
 * NULL). Returns SG_OK with *buf_p (the caller frees it), sg_msg_peek's
 * errors for a body that is not a sigmat message, SG_EINVAL (NAK 12) for
 * fields a header cannot carry, SG_ENOMEM; diag says why. */
int sg_client_header (const char *body, size_t blen, const char *origin, const char *officer,
                      char **buf_p, size_t *len_p, char id_out[37], sg_diag_t *diag);

/* Acknowledges a DELIVER once the adapter has safely handed it on; queued
 * and sent in batches. Returns SG_OK, SG_EINVAL for a non-UUID id, SG_ENOMEM. */
int sg_client_ack (sg_client_t *self, const char *id);

/* Refuses a DELIVER for good with an SG_NAK_* code and a reason. Returns
 * as sg_client_ack. */
int sg_client_nak (sg_client_t *self, const char *id, int code, const char *reason);

/* Number of SENDs queued or in flight, not yet ACKed or NAKed. */
size_t sg_client_unacked (const sg_client_t *self);

/* The node's name from WELCOME ("" before the first WELCOME). */
const char *sg_client_node_name (const sg_client_t *self);

/* Frees what the event owns and zeroes it (NULL is fine). */
void sg_event_clear (sg_event_t *ev);

#endif
