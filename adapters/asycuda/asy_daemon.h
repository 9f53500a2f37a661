/* asy_daemon.h - `sigmat-asycuda run`: the adapter's service loop. One
 * thread reads the spool, drains the outbox to the node (a row leaves the
 * outbox only on the node's ACK), and turns the node's DELIVERs into inbox
 * files (ACKed only once the file is durably in place); the callback API
 * runs in libmicrohttpd's thread on its own state connection. */
#ifndef ASY_DAEMON_H_INCLUDED
#define ASY_DAEMON_H_INCLUDED

#include "asy_conf.h"
#include "asy_offices.h"
#include "sg.h"

/* Runs until SIGTERM or SIGINT. Returns 0 after a clean stop, 1 when the
 * adapter cannot start (the reason is logged), 2 for a configuration
 * error or when another instance holds the state file. */
int asy_daemon_run (const asy_conf_t *conf, const asy_offices_t *tables);

#endif
