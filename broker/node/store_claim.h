/* store_claim.h - the delivery claims (table delivery_claim, migration
 * 011) that let several active sigmatd processes of one node share one
 * delivery queue: a process sends the messages of an MRN on a next hop
 * only while it holds the unexpired claim of that (next_hop, mrn) pair.
 * Times are the database's; the caller keeps its own deadline. */
#ifndef SG_STORE_CLAIM_H_INCLUDED
#define SG_STORE_CLAIM_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sg.h"
#include "node/store.h"

/* Reads up to limit undelivered rows of next_hop after seq after_seq (in
 * seq order), claims for holder (for ttl_ms) the MRNs of those rows whose
 * claim is free, expired or already holder's, and returns in *out only the
 * rows of the MRNs it holds now (free with store_deliveries_free).
 * *scanned gets the number of rows read and *last_seq the highest seq read
 * (the next cursor), whether claimed or not. SG_OK or SG_EDB/SG_ENOMEM. */
int store_claim_page (store_t *self, const char *next_hop, const char *holder, int64_t ttl_ms,
                      long long after_seq, size_t limit, store_delivery_t **out, size_t *count,
                      size_t *scanned, long long *last_seq, sg_diag_t *diag);

/* Claims for holder the MRNs mrns[0..n) on next_hop (messages this
 * process just stored and holds): won[i] = 1 for those it holds now (free
 * or already its own). The holders of the others are asked to read their
 * queue again (store_claim_rechecks): their cursor may have passed these
 * rows. SG_OK or SG_EDB/SG_ENOMEM. */
int store_claim_mrns (store_t *self, const char *next_hop, const char *holder, int64_t ttl_ms,
                      const char *const *mrns, size_t n, unsigned char *won, sg_diag_t *diag);

/* The next hops on which another process asked holder to read its queue
 * again (and clears the requests): *hops is allocated (free it), *n rows,
 * a hop may come more than once. SG_OK or SG_EDB/SG_ENOMEM. */
int store_claim_rechecks (store_t *self, const char *holder, char (**hops)[64], size_t *n,
                          sg_diag_t *diag);

/* Sets *alone to 1 when no other process of this node is at work on the
 * database: none holds a claim (valid or expired) and none has reported
 * itself running within the last 2 x ttl_ms (node_status); else 0. A
 * process alone needs no periodic read of its queues (claim_poll): every
 * row there is its own or was read at its start. SG_OK or SG_EDB. */
int store_claim_alone (store_t *self, const char *holder, int64_t ttl_ms, int *alone,
                       sg_diag_t *diag);

/* Takes over for holder the expired claims of other processes on
 * next_hop (their holder died or lost its database); *taken gets how
 * many (their rows may lie before any cursor: read the queue from its
 * start again). SG_OK or SG_EDB. */
int store_claim_takeover (store_t *self, const char *next_hop, const char *holder,
                          int64_t ttl_ms, size_t *taken, sg_diag_t *diag);

/* Renews every unexpired claim of holder for ttl_ms, without waiting
 * (store_send: self is a connection of its own, which nothing else uses
 * until the result is in). The UPDATE of every claim takes milliseconds
 * per thousand claims, which the caller's loop spends on its work. SG_OK
 * or SG_EDB. */
int store_claim_renew_send (store_t *self, const char *holder, int64_t ttl_ms, sg_diag_t *diag);

/* The renewal's result: *done 1 once it is in (wait 1: waits for it).
 * SG_OK or SG_EDB. */
int store_claim_renew_result (store_t *self, int wait, int *done, sg_diag_t *diag);

/* Makes the claims of gone holders expire at once: gone(holder, arg)
 * returns 1 for a process known to be dead (e.g. one of this host).
 * SG_OK or SG_EDB. */
int store_claim_gone (store_t *self, const char *holder,
                      int (*gone) (const char *holder, void *arg), void *arg, sg_diag_t *diag);

/* Deletes holder's claims of the MRNs mrns[0..n) on next_hop, or (mrns
 * NULL) all of next_hop, or (next_hop NULL too) all of holder's: only for
 * pairs with nothing left to send (a process that skipped their rows would
 * not read them again); a claim another process asked to recheck stays.
 * SG_OK or SG_EDB. */
int store_claim_release (store_t *self, const char *holder, const char *next_hop,
                         const char *const *mrns, size_t n, sg_diag_t *diag);

/* Gives up holder's claims on next_hop (NULL: all of them) that may still
 * have messages to send: they expire now, so another process takes them
 * over and reads its queue from the start (store_claim_takeover). SG_OK
 * or SG_EDB. */
int store_claim_expire (store_t *self, const char *holder, const char *next_hop,
                        sg_diag_t *diag);

/* Prints, per holder and next hop, the claims and their latest expiry
 * (for `sigmatctl status`). SG_OK or SG_EDB. */
int store_claim_print (store_t *self, FILE *out, sg_diag_t *diag);

#endif
