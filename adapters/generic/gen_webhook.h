/* gen_webhook.h - delivery of incoming messages to the national system:
 * HTTP POSTs (libcurl) from the durable outbox in gen_state, signed with
 * HMAC-SHA256 over "<timestamp>.<body>", retried with exponential backoff,
 * in order per MRN. One background thread. */
#ifndef GEN_WEBHOOK_H_INCLUDED
#define GEN_WEBHOOK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "gen_conf.h"
#include "gen_state.h"
#include "sg.h"

#define GEN_SIGNATURE_HEADER "X-Sigmat-Signature"
#define GEN_SIG_MAX 96      /* "t=<unix>,v1=<64 hex>" */

typedef struct gen_webhook_t gen_webhook_t;

/* Writes the signature header value "t=<t>,v1=<hex HMAC-SHA256(key,
 * "<t>." || body)>" into out. */
void gen_webhook_sign (const void *key, size_t key_len, int64_t t, const char *body,
                       size_t len, char out[GEN_SIG_MAX]);

/* Reads the HMAC key (first line of path, at least 16 bytes) into key.
 * SG_OK, SG_EIO or SG_ECONFIG with diag. */
int gen_webhook_read_secret (const char *path, char *key, size_t size, sg_diag_t *diag);

/* Starts the delivery thread for conf->webhook_url over state. NULL with
 * diag on failure (bad secret, thread). */
gen_webhook_t *gen_webhook_new (const gen_conf_t *conf, gen_state_t *state, sg_diag_t *diag);

/* Wakes the thread: new hooks were queued. */
void gen_webhook_kick (gen_webhook_t *self);

/* Number of POSTs answered 2xx since start (for tests and status). */
uint64_t gen_webhook_delivered (gen_webhook_t *self);

/* Stops the thread (an in-flight POST finishes or times out), frees it and
 * clears the caller's pointer; NULL is fine. */
void gen_webhook_destroy (gen_webhook_t **self_p);

#endif
