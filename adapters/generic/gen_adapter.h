/* gen_adapter.h - sigmat-generic as one object: its state, the REST API,
 * the webhook thread, the XSLT mappings, and the link to the national node
 * (proto/client.h) that carries API submissions out and DELIVERs in. */
#ifndef GEN_ADAPTER_H_INCLUDED
#define GEN_ADAPTER_H_INCLUDED

#include <signal.h>
#include <stddef.h>

#include "gen_conf.h"
#include "sg.h"

typedef struct gen_adapter_t gen_adapter_t;

/* Opens the state, compiles the stylesheets and schema, starts the
 * webhook thread (if webhook_url is set) and the HTTP API. conf must
 * outlive the adapter. NULL with diag on failure. */
gen_adapter_t *gen_adapter_new (const gen_conf_t *conf, sg_diag_t *diag);

/* Stops everything, frees it (NULL is fine) and clears the pointer. */
void gen_adapter_destroy (gen_adapter_t **self_p);

/* The TCP port the API listens on (useful with listen address:0). */
int gen_adapter_port (const gen_adapter_t *self);

/* Runs the node link (proto/link.h) until *stop becomes non-zero: connects
 * (retrying), sends queued submissions, records ACK/NAK, and hands every
 * DELIVER to gen_adapter_deliver: ACKed once queued, NAKed when it can
 * never be taken (kept in rejected/ beside the state file with a .err),
 * left to the node's resend when the state cannot take it now. Returns
 * SG_OK, or SG_ENOMEM. */
int gen_adapter_run (gen_adapter_t *self, volatile sig_atomic_t *stop);

/* Takes one incoming message (SGTP header and body): checks it, queues its
 * webhook and updates the movement view in one durable transaction. SG_OK
 * when queued (or queued before: a duplicate); otherwise an sg error with
 * diag->nak set for a message to refuse (NAK: not a valid message, or one
 * the webhook mapping fails on), or SG_EDB/SG_ENOMEM to retry later. */
int gen_adapter_deliver (gen_adapter_t *self, const char *header, size_t hlen,
                         const char *body, size_t blen, sg_diag_t *diag);

#endif
