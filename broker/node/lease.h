/* lease.h - the node's activity lease (table node_lease, migration 010),
 * used with `standby yes`: of several sigmatd processes of one node on one
 * database, only the holder of the unexpired lease serves (accepts, sends,
 * runs timers); the others wait as standbys and take the lease over when
 * it expires. (By default every process is active and shares the queue by
 * delivery claims instead: dispatch.h, store_claim.h.) Times
 * are the database's, so the machines' clocks do not matter; the holder
 * also keeps a local deadline and stops serving when it cannot renew. */
#ifndef SG_LEASE_H_INCLUDED
#define SG_LEASE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sg.h"
#include "node/store.h"

typedef struct lease_t lease_t;

/* A lease handle for this process (instance = host:pid) with a lifetime of
 * ttl_ms; store is borrowed. NULL when out of memory. */
lease_t *lease_new (store_t *store, int64_t ttl_ms);

/* Frees (NULL is fine) and clears the caller's pointer; does not release. */
void lease_destroy (lease_t **self_p);

/* Takes the lease if it is free, expired or already ours, else leaves it;
 * now_ms is a monotonic clock. SG_OK with *held = 1 if we hold it, 0 with
 * holder (may be NULL) set to who does; SG_EDB if the database failed. */
int lease_acquire (lease_t *self, int64_t now_ms, int *held, char *holder, size_t size,
                   sg_diag_t *diag);

/* Renews a held lease. SG_OK; SG_ESEQ (logged by the caller) if another
 * process holds it now; SG_EDB if the database failed (try again). */
int lease_renew (lease_t *self, int64_t now_ms, sg_diag_t *diag);

/* 1 while the lease is held and its local deadline (last successful
 * acquire or renew + ttl, less a margin) has not passed; 1 for NULL (no
 * lease: `lease_ttl 0`, every process serves). */
int lease_valid (const lease_t *self, int64_t now_ms);

/* Milliseconds between renewals (ttl / 3). */
int64_t lease_period (const lease_t *self);

/* Gives the lease up (at a clean stop) so a standby takes over at once. */
void lease_release (lease_t *self);

/* Writes this process's instance name (host:pid) to out. */
void lease_instance_name (char *out, size_t size);

/* 1 if holder ("host:pid") names a process of this host that is gone (a
 * sigmatd killed here and started again need not wait for the ttl); arg
 * is unused (the shape of dispatch_opts_t.claim_gone). */
int lease_holder_gone (const char *holder, void *arg);

/* This process's instance name (host:pid). */
const char *lease_instance (const lease_t *self);

#endif
