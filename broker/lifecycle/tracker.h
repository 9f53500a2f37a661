/* tracker.h - the node's lifecycle tracker: applies each batch of
 * messages to the movement views of this node's offices IN the transaction
 * that stores the batch (set-based, a few statements per batch), refuses
 * what the departure view does not allow (NAK 90/92 messages back to the
 * sender office), makes the messages the lifecycle calls for (AAR/ATR
 * fan-out, WOF, CAN, ENQ, NAK, STR, STQ), signs them as this node's and
 * stores them with their deliveries, to be dispatched after the commit.
 * The timers (timers.h) use the same machinery. See docs/lifecycle.md. */
#ifndef SG_TRACKER_H_INCLUDED
#define SG_TRACKER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "lifecycle/lifecycle.h"
#include "msg.h"
#include "node/routes.h"
#include "sg.h"
#include "sign.h"
#include "node/store.h"
#include "lifecycle/generate.h"

typedef struct lifecycle_t lifecycle_t;

typedef struct {
    const char *node_name;          /* Origin-Node of what the lifecycle sends */
    const sg_sign_key_t *sign_key;  /* signs it (borrowed) */
    char *const *offices;           /* this node's offices or country (borrowed) */
    size_t offices_n;
    const routes_t *const *router;  /* the node's current routing table (its pointer is
                                       swapped on reload, so we hold its address) */
    int discharge_auto;             /* 1: WOF sent by the node after a conform DCR */
    const char *clock_file;         /* injectable clock (lifecycle.h), may be NULL */
    int64_t enquiry_after_ms;       /* OVERDUE -> ENQ after this long */
    int64_t recovery_after_ms;      /* UNDER_ENQUIRY / DISCREPANCY -> RECOVERY after this long */
} lifecycle_opts_t;

/* What the intake knows about each message of a batch beyond store_msg_t. */
typedef struct {
    const sg_msg_t *msg;            /* the parsed body (borrowed); NULL: leave it alone */
    int from_adapter;               /* 1 if it came from a local adapter of this node */
    const char *officer;            /* the header's Officer (who acted), NULL if none */
} lifecycle_in_t;

typedef struct {
    uint64_t applied, events, rejected, refused_authority, generated, retries;
} lifecycle_stats_t;

/* Returns a tracker (opts and the strings in it are borrowed and must
 * outlive it), or NULL when out of memory. */
lifecycle_t *lifecycle_new (const lifecycle_opts_t *opts);

/* Frees the tracker (NULL is fine) and clears the caller's pointer. */
void lifecycle_destroy (lifecycle_t **self_p);

/* Stores msgs[0..n) like store_accept and, in the same transaction,
 * applies them to this node's movement views (in[i] describes msgs[i]).
 * Rejected and consumed messages get next_hop = NULL (stored, recorded,
 * not forwarded); the messages the lifecycle made are stored too and
 * appended to out (dispatch them after this returns SG_OK; free with
 * lifecycle_out_clear). Same returns as store_accept (SG_EINVAL with
 * diag->line = the 1-based bad message; nothing is stored then). With
 * self NULL it is store_accept. */
int lifecycle_commit (lifecycle_t *self, store_t *store, store_msg_t *msgs,
                      const lifecycle_in_t *in, size_t n, lifecycle_out_t *out,
                      sg_diag_t *diag);

/* Counters since lifecycle_new. */
void lifecycle_stats (const lifecycle_t *self, lifecycle_stats_t *out);

#endif
