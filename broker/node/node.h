/* node.h - sigmatd's process: builds the node from its configuration
 * (keys, database, peer directory, routes, sockets), runs the event loop
 * (intake on the ROUTER, outgoing links, dispatch, timers, signals) and
 * stops cleanly on SIGTERM/SIGINT; SIGHUP reloads peers, keys and routes. */
#ifndef SG_NODE_H_INCLUDED
#define SG_NODE_H_INCLUDED

#include "node/nodeconf.h"
#include "sg.h"

typedef struct node_t node_t;

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every
 * thread started after it) and builds the node: loads the keys, connects
 * to the database and refuses a schema that is behind, binds the ROUTER.
 * conf is borrowed for the life of the node. Returns NULL with the reason
 * in diag (SG_ECONFIG/SG_EKEY/SG_EIO for keys and sockets, SG_EDB). */
node_t *node_new (const nodeconf_t *conf, sg_diag_t *diag);

/* Runs until SIGTERM or SIGINT (or node_stop), then finishes the current
 * batch (commit + ACK), records pending acknowledgements and returns SG_OK;
 * SG_EIO on a fatal socket error. */
int node_run (node_t *self);

/* Asks node_run to stop at its next turn (async-signal-safe). */
void node_stop (node_t *self);

/* Closes everything (NULL is fine) and clears the caller's pointer. */
void node_destroy (node_t **self_p);

#endif
