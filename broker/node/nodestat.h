/* nodestat.h - the node's status row (table node_status, migration 002):
 * who is running, since when, with which connections and counters, so
 * that `sigmatctl status` can show it. Written by sigmatd only. */
#ifndef SG_NODESTAT_H_INCLUDED
#define SG_NODESTAT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "sg.h"
#include "node/store.h"

typedef struct {
    const char *name;           /* node name */
    const char *bind;           /* ROUTER endpoint */
    const char *state;          /* "running", "standby", "stopping" or "stopped" */
    time_t started;
    int connections;            /* inbound sessions */
    int links_up;               /* outgoing links up */
    const char *const *connected;   /* peer names, may be NULL when n_connected is 0 */
    size_t n_connected;
    uint64_t accepted, duplicates, refused, queued, inflight;
} nodestat_t;

/* Upserts this process's row (instance = host:pid). Returns SG_OK or
 * SG_EDB with the reason in diag. */
int nodestat_write (store_t *store, const nodestat_t *st, sg_diag_t *diag);

/* Prints every process row of node_status (newest first) for `sigmatctl
 * status`, flagging a running process that stopped reporting. */
int nodestat_print (store_t *store, FILE *out, sg_diag_t *diag);

/* Prints which server of `db` the store reached and its role: "primary"
 * (with its standbys and whether each is synchronous) or "standby" (in
 * recovery, read-only). Returns SG_OK or SG_EDB with the reason in diag. */
int nodestat_print_db (store_t *store, FILE *out, sg_diag_t *diag);

#endif
