/* rto.h - the resend timeout of a link, from its measured round trip, as
 * TCP does it (RFC 6298): smoothed RTT and RTT variance from the ACKs of
 * messages sent once (Karn: never from a resend), timeout = SRTT + 4 RTTVAR
 * within [min, max], doubled on every timeout until the next good sample.
 * The node's dispatcher and the client library both use it, so a busy link
 * whose ACKs slow down is not flooded with copies. Times are milliseconds. */
#ifndef SG_RTO_H_INCLUDED
#define SG_RTO_H_INCLUDED

#include <stdint.h>

typedef struct {
    double srtt, rttvar;        /* ms; srtt < 0 until the first sample */
    int64_t rto;                /* the timeout now */
    int64_t min, max;           /* its bounds */
    uint64_t samples;           /* round trips measured */
} rto_t;

/* Starts with timeout min (no round trip measured yet), bounded by
 * [min, max] (max below min is raised to min). */
void rto_init (rto_t *self, int64_t min_ms, int64_t max_ms);

/* Feeds one round trip (ms) of a message sent exactly once. */
void rto_sample (rto_t *self, int64_t rtt_ms);

/* A message timed out: the timeout doubles (up to max) until the next
 * sample. */
void rto_backoff (rto_t *self);

/* How long to wait for the ACK of a message sent for the (attempts+1)-th
 * time: the timeout doubled attempts times, at most max. */
int64_t rto_delay (const rto_t *self, int attempts);

#endif
