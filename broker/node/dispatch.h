/* dispatch.h - the node's outgoing queues, one per next hop (a peer node
 * or a local adapter): a window of unacknowledged messages, at most one
 * unacknowledged message per MRN per hop (order per MRN), resends after a
 * timeout that follows the hop's measured round trip, with backoff, NAK -> dead letter, and a bounded in-memory queue
 * paged from the database's delivery queue when a hop has a backlog.
 * With claims on (several active processes of one node on one database,
 * store_claim.h) a hop's messages are sent only for the MRNs whose claim
 * this dispatcher holds, and nothing is sent while its claims may have
 * expired. Single-threaded; every database call goes through the store it
 * is given, but for the claims' renewal (claim_store). */
#ifndef SG_DISPATCH_H_INCLUDED
#define SG_DISPATCH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sg.h"
#include "node/store.h"

typedef struct dispatch_t dispatch_t;

/* Puts one message on the wire to hop. Returns SG_OK; SG_ETIMEOUT when the
 * link cannot take more now (the dispatcher tries again at its next pump);
 * SG_ENOTFOUND when the hop is not connected (the hop is then down until
 * dispatch_link says otherwise). */
typedef int (dispatch_send_fn) (void *arg, const char *hop, const char *hdr, size_t hlen,
                                const char *body, size_t blen, const unsigned char *sig,
                                size_t slen);

typedef struct {
    int window;                 /* max unacknowledged per hop (links may ask for less) */
    int resend_ms;              /* shortest resend timeout, and the first before any
                                   round trip is measured (lib/rto.h) */
    int backoff_max_ms;         /* longest: the timeout and its doubling stop here */
    int max_attempts;           /* sends without answer before a dead letter; 0 = no limit */
    size_t queue_max;           /* messages kept in memory per hop */
    size_t page_size;           /* rows read from the database at a time */
    /* Claims (several active processes on one database; docs/operations.md):
     * claim_holder NULL = off, this process alone sends the whole queue. */
    const char *claim_holder;   /* this process, host:pid (borrowed) */
    int64_t claim_ttl_ms;       /* a claim's lifetime; renewed every third of it */
    int64_t claim_poll_ms;      /* each up hop's queue is read at least this often
                                   (rows other processes stored, claims they left) */
    int (*claim_gone) (const char *holder, void *arg);  /* 1: that process is dead */
    store_t *claim_store;       /* a connection of its own for the claims' renewal, so
                                   the loop does not wait for it (borrowed; NULL: the
                                   renewal runs on store and is waited for) */
} dispatch_opts_t;

/* Per-hop numbers for status and logs. */
typedef struct {
    const char *hop;            /* owned by the dispatcher */
    int up;
    int backlog;                /* 1 if rows wait in the database only */
    size_t queued, inflight;
    uint64_t sent, resent, acked, dead;
    size_t claims;              /* MRNs claimed on this hop (claims on) */
    int64_t rto_ms;             /* resend timeout now (from the round trips) */
    int64_t srtt_ms;            /* smoothed round trip, -1 before the first ACK */
} dispatch_stat_t;

/* Returns a dispatcher with no hops, or NULL when out of memory. store,
 * send and arg are borrowed and must outlive it. */
dispatch_t *dispatch_new (store_t *store, const dispatch_opts_t *opts, dispatch_send_fn *send,
                          void *arg);

/* Frees the queues (NULL is fine) and clears the caller's pointer. Nothing
 * is lost: whatever was queued is in the database. */
void dispatch_destroy (dispatch_t **self_p);

/* Makes hop known, to be paged from the database (e.g. at start for every
 * peer and every hop with queued rows). Returns SG_OK or SG_ENOMEM. */
int dispatch_add_hop (dispatch_t *self, const char *hop);

/* Hands a message just committed for hop to its queue (copied). When the
 * hop's memory queue is caught up with the database and has room it goes
 * straight there; otherwise it is left to paging, from before seq (its
 * delivery row's; 0: unknown) if a page already read past it (another
 * process committed a later row first). claimed: the commit claimed its
 * MRN for this process (dispatch_intake_claim), in this claim epoch.
 * Returns SG_OK or SG_ENOMEM (the message is still safe in the database). */
int dispatch_enqueue (dispatch_t *self, const char *hop, const char *id, const char *mrn,
                      long long seq, int claimed, const char *hdr, size_t hlen,
                      const char *body, size_t blen, const unsigned char *sig, size_t slen);

/* The same for a message just stored, to its next hop (none: SG_OK, nothing
 * to send: refused, or consumed by the lifecycle). */
int dispatch_enqueue_msg (dispatch_t *self, const store_msg_t *sm);

/* Claims on, for a message about to be committed for hop: the holder to
 * put in its store_msg_t (with *ttl_ms), so that the commit claims the MRN
 * when nobody holds it, and the loop does not have to after, one commit
 * of its own per batch. NULL when not: claims off, another process at work
 * (its messages of the MRN may be older), the MRN held here already, the
 * hop down or in backlog, no valid claims. */
const char *dispatch_intake_claim (const dispatch_t *self, const char *hop, const char *mrn,
                                   int64_t *ttl_ms);

/* A number that changes whenever this process may have given claims up in
 * the database (a link down, a lapse, another process seen): a claim won
 * by a commit handed over in another epoch is not trusted (the caller
 * clears store_msg_t.claimed; the MRN is claimed at the next pump). */
unsigned dispatch_claim_epoch (const dispatch_t *self);

/* A commit whose messages are handed over later (dispatch_enqueue after
 * the commit) begins (+1) or has handed them over (-1). While one is
 * between the two, its rows may already be visible to a page: a hop in
 * backlog then stays in backlog, so that the handover, which would add
 * them a second time (sent twice if already acknowledged), leaves them to
 * the pages. */
void dispatch_handover (dispatch_t *self, int delta);

/* The hop's link is up (window: what the link allows, capped by the
 * configured one) or down. Going up makes everything in flight due now.
 * With claims on, going down forgets the hop's messages here and gives
 * its claims up (at the next pump), so a process where the hop is
 * connected takes them. */
void dispatch_link (dispatch_t *self, const char *hop, int up, int window);

/* The hop acknowledged ids: they leave the queue; the database is updated
 * at the next dispatch_pump (one statement per hop). With claims on, an id
 * not in flight here is recorded too (another process of the node sent
 * it, or this one before its claim was given up). */
void dispatch_acked (dispatch_t *self, const char *hop, const char *const *ids, size_t n);

/* The hop refused id for good: it leaves the queue and becomes a dead
 * letter with code and reason (logged). */
void dispatch_naked (dispatch_t *self, const char *hop, const char *id, int code,
                     const char *reason);

/* Does the work that is due (now_ms: CLOCK_MONOTONIC milliseconds): records acknowledgements and retries in the
 * database, pages backlogs, resends what timed out and sends what the
 * windows allow. Returns SG_OK or SG_EDB (logged; retried next pump). */
int dispatch_pump (dispatch_t *self, int64_t now_ms);

/* Records pending acknowledgements in the database without sending
 * anything and gives every claim up, so other processes take over at once
 * (at shutdown). Returns SG_OK or SG_EDB. */
int dispatch_flush (dispatch_t *self);

/* 1 while the dispatcher may send: claims off, or its claims renewed
 * recently enough that none can have expired. */
int dispatch_claims_valid (const dispatch_t *self, int64_t now_ms);

/* Milliseconds until dispatch_pump has work (0 = now), at most cap. */
int64_t dispatch_next_timer (const dispatch_t *self, int64_t now_ms, int64_t cap);

/* Makes every hop re-read its queue from the start of the database's
 * queue at its next page (finds replayed dead letters and rows written
 * by other processes). */
void dispatch_rescan (dispatch_t *self);

/* Number of hops, and the numbers of hop i (0-based); SG_ENOTFOUND past
 * the end. */
size_t dispatch_hops (const dispatch_t *self);
int dispatch_stat (const dispatch_t *self, size_t i, dispatch_stat_t *out);

#endif
