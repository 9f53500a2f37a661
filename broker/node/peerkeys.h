/* peerkeys.h - the signing keys of one peer node, each with a validity
 * period, and the check of a message's signature against the key that was
 * valid when it was signed (its `Created` time), named by its `Key-Id`
 * header or, for messages without one, tried in turn. Used by intake for
 * messages that arrive and by `sigmatctl message verify` for stored ones. */
#ifndef SG_PEERKEYS_H_INCLUDED
#define SG_PEERKEYS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sg.h"
#include "sign.h"
#include "node/store.h"

typedef struct peerkeys_t peerkeys_t;

/* Returns an empty key set, or NULL when out of memory. */
peerkeys_t *peerkeys_new (void);

/* Frees the set and its keys (NULL is fine), clears the caller's pointer. */
void peerkeys_destroy (peerkeys_t **self_p);

/* Adds key (ownership taken, *key_p cleared) valid from from_ms until
 * until_ms (ms since 1970, 0 = unbounded). A key whose id is already in the
 * set replaces nothing: the first one added wins (add the periods from
 * peer_sign_key before the peer's unbounded legacy key). SG_ENOMEM. */
int peerkeys_add (peerkeys_t *self, sg_sign_key_t **key_p, int64_t from_ms, int64_t until_ms);

/* Adds every row of rows[0..n) that belongs to peer; a key that does not
 * load is logged and skipped. SG_ENOMEM. */
int peerkeys_add_rows (peerkeys_t *self, const char *peer, const store_sign_key_t *rows,
                       size_t n);

/* A peer's whole key set: its rows of peer_sign_key (with their periods),
 * then legacy_pem (peer.sign_public_pem, may be NULL), unbounded, unless a
 * row has its id. NULL when out of memory; unusable keys are logged. */
peerkeys_t *peerkeys_load (const char *peer, const char *legacy_pem,
                           const store_sign_key_t *rows, size_t n);

/* Number of keys in the set (NULL: 0). */
size_t peerkeys_count (const peerkeys_t *self);

/* Checks the signature sig of hdr || body by node `origin` against the set:
 * with key_id (the Key-Id header; NULL or "" if absent) only that key, which
 * must have been valid at created_ms; without, every key valid at
 * created_ms in turn. created_ms < 0 (the signing time is not known, as for
 * an archive's own signature): any key, whatever its period. SG_OK, or SG_ESIG with NAK 102 and a text that says
 * which key failed or that none was valid then. */
int peerkeys_verify (const peerkeys_t *self, const char *origin, const char *key_id,
                     int64_t created_ms, const char *hdr, size_t hdr_len, const char *body,
                     size_t body_len, const unsigned char *sig, size_t sig_len, sg_diag_t *diag);

#endif
