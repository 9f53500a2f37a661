/* peers.h - who the node talks to: the peer directory loaded from the
 * `peer` table (roles, offices, Ed25519 keys, CURVE keys for the ZAP
 * handler) and the node's outgoing DEALER links to its peer nodes (HELLO,
 * reconnects, heartbeats, SEND out, ACK/NAK in). Reloaded on SIGHUP.
 * Single-threaded except for the ZAP thread it owns. */
#ifndef SG_PEERS_H_INCLUDED
#define SG_PEERS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "sg.h"
#include "node/peerkeys.h"
#include "sign.h"
#include "node/store.h"

typedef struct peers_t peers_t;

/* One registered peer as the node sees it. */
typedef struct {
    char name[64];
    int is_node;                /* role "node" (1) or "adapter" (0) */
    char curve_public[41];      /* Z85, "" if none */
    sg_sign_key_t *sign_key;    /* Ed25519 public key, NULL if none or unreadable */
    peerkeys_t *keys;           /* every signing key with its validity (peerkeys.h) */
    char *endpoint;             /* nodes: where we connect; NULL if none */
    char **offices;             /* office refs or 2-letter countries */
    size_t offices_n;
} peer_info_t;

/* What the links report back to the node. */
typedef struct {
    void *arg;
    /* A link became ready (WELCOME; window = what both sides allow) or went
     * away (up = 0). Everything in flight on it must be resent once up. */
    void (*on_link) (void *arg, const char *peer, int up, int window);
    /* The peer stored these message ids (n >= 1). */
    void (*on_ack) (void *arg, const char *peer, const char *const *ids, size_t n);
    /* The peer refused a message for good. */
    void (*on_nak) (void *arg, const char *peer, const char *id, int code, const char *reason);
} peers_events_t;

typedef struct {
    const char *name;               /* this node's name (HELLO) */
    const char *curve_public;       /* this node's CURVE key pair, Z85 */
    const char *curve_secret;
    int heartbeat_ms;               /* PING when idle; link is stale after 3x */
    int window;                     /* our window in HELLO */
    int batch_sign;                 /* offer the batch-sign feature in HELLO */
    int packed;                     /* offer the packed feature in HELLO */
    peers_events_t events;
} peers_opts_t;

/* Starts the ZAP handler in zmq_ctx (admitting nobody until the first
 * peers_reload) and returns the directory with no links. Create it before
 * the node's ROUTER binds. NULL on failure (logged). opts strings are
 * copied. */
peers_t *peers_new (void *zmq_ctx, const peers_opts_t *opts);

/* Closes every link, stops the ZAP handler, frees (NULL is fine) and
 * clears the caller's pointer. Call before zmq_ctx_term. */
void peers_destroy (peers_t **self_p);

/* Reads the peer table and replaces the directory and the ZAP key table;
 * opens links to new peer nodes with an endpoint, closes links of removed
 * ones and reopens those whose endpoint or key changed (reporting them
 * down). On error (database, bad data) the old directory stays and the
 * reason is in diag. */
int peers_reload (peers_t *self, store_t *store, sg_diag_t *diag);

/* The directory entry of name, owned by the directory (valid until the
 * next peers_reload), or NULL. */
const peer_info_t *peers_find (const peers_t *self, const char *name);

/* Number of directory entries, and entry i (0-based) or NULL past the end. */
size_t peers_count (const peers_t *self);
const peer_info_t *peers_at (const peers_t *self, size_t i);

/* Appends the poll items of the links (up to max) and returns how many. */
size_t peers_poll_items (peers_t *self, zmq_pollitem_t *items, size_t max);

/* Handles everything waiting on the links and does what is due (HELLO,
 * PING, stale-link detection); reports through the events. */
void peers_process (peers_t *self, int64_t now_ms);

/* Milliseconds until peers_process has something due, capped at cap. */
int64_t peers_next_timer (const peers_t *self, int64_t now_ms, int64_t cap);

/* Sends SEND header body signature on the link to peer. Returns SG_OK;
 * SG_ENOTFOUND if there is no ready link to that peer; SG_ETIMEOUT if the
 * socket cannot take it now (try again later); SG_EIO. */
int peers_send (peers_t *self, const char *peer, const void *hdr, size_t hlen,
                const void *body, size_t blen, const void *sig, size_t slen);

/* 1 if the link to peer node name is up and its WELCOME offered batch
 * signatures (wire.h WIRE_FEATURE_BATCH), else 0. */
int peers_batch (const peers_t *self, const char *name);

/* Number of links that are ready (WELCOMEd). */
size_t peers_links_up (const peers_t *self);

/* Counts of CURVE handshakes admitted and refused by the ZAP handler. */
void peers_zap_stats (const peers_t *self, uint64_t *admitted, uint64_t *refused);

#endif
