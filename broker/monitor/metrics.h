/* metrics.h - the node's in-process metrics registry: counters per link
 * and message type, NAKs by code, link state and last contact, queue
 * gauges from the dispatcher, histograms of batch size and commit latency,
 * and a small ring of recent incidents. One registry per process (the
 * hooks take no handle); written by the node's threads, read by the
 * monitor's (broker/monitor/monitor.h). Every hook is lock-free except the rare
 * ones (first sight of a link, incidents), so the hot path costs a hash
 * lookup and a few relaxed atomic adds. */
#ifndef SG_METRICS_H_INCLUDED
#define SG_METRICS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Message types counted one by one; anything else is METRICS_T_OTHER. */
typedef enum {
    METRICS_T_DEC, METRICS_T_REL, METRICS_T_AAR, METRICS_T_ATR, METRICS_T_NCF,
    METRICS_T_ARR, METRICS_T_DCR, METRICS_T_WOF, METRICS_T_CAN, METRICS_T_INC,
    METRICS_T_ENQ, METRICS_T_ENR, METRICS_T_ARQ, METRICS_T_STQ, METRICS_T_STR,
    METRICS_T_ACK, METRICS_T_NAK, METRICS_T_OTHER, METRICS_NTYPES
} metrics_type_t;

#define METRICS_MAX_LINKS 256       /* later links are counted as "_other" */
#define METRICS_NAK_CODES 256       /* codes >= this are counted as code 0 */
#define METRICS_BATCH_BUCKETS 14
#define METRICS_LATENCY_BUCKETS 14
#define METRICS_NREFUSALS 3          /* authority, sequence, unknown */

/* ---- identity -------------------------------------------------------- */

/* Records this node's name (for sigmat_info) and the start time; call
 * once at start. name is copied. */
void metrics_set_node (const char *name);

/* The type's index for a code like "DEC" (METRICS_T_OTHER if unknown or
 * NULL), and the code of an index ("OTHER" past the end). */
metrics_type_t metrics_type (const char *code);
const char *metrics_type_name (int type);

/* Microseconds on the monotonic clock, for timing a commit. */
int64_t metrics_now_us (void);

/* ---- hooks the node calls ----------------------------------------------- */

/* A message of type (code) from link was stored (duplicate = 0) or was a
 * duplicate of one already stored (1). An INC message also becomes an
 * incident (mrn may be NULL). */
void metrics_msg_in (const char *link, const char *type, const char *mrn, int duplicate);

/* A message of type was sent to link for the first time. */
void metrics_msg_out (const char *link, const char *type);

/* The same, reading the type from the SGTP header ("Type: XXX" line). */
void metrics_msg_out_hdr (const char *link, const char *hdr, size_t hlen);

/* n messages to link were sent again after a timeout. */
void metrics_resent (const char *link, size_t n);

/* link acknowledged n messages. */
void metrics_acked (const char *link, size_t n);

/* This node refused a message from link with a NAK code. */
void metrics_nak_sent (const char *link, int code);

/* link refused one of our messages for good (it became a dead letter);
 * reason may be NULL. Recorded as an incident. */
void metrics_nak_received (const char *link, int code, const char *reason);

/* link (a peer node's outgoing link, or an adapter's session) went up or
 * down; a change of state is recorded as an incident. */
void metrics_link_up (const char *link, int is_node, int up);

/* Something was received from link now. */
void metrics_peer_seen (const char *link);

/* The dispatcher's numbers for link: messages held in memory not yet sent
 * and sent but not yet acknowledged. */
void metrics_link_queue (const char *link, size_t queued, size_t inflight);

/* A batch of size messages was committed in commit_us microseconds. */
void metrics_batch (size_t size, int64_t commit_us);

/* A batch could not be stored (database error). */
void metrics_db_error (void);

/* The lifecycle refused a message: reason is one of METRICS_REFUSALS
 * ("authority", "sequence", "unknown"); also records an incident. */
void metrics_lifecycle_refusal (const char *reason, const char *mrn, const char *text);

/* Records an incident of kind ("link", "nak", "inc", "db", ...) with a
 * text; link and mrn may be NULL. Strings are copied (truncated). */
void metrics_incident (const char *kind, const char *link, const char *mrn, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* ---- reading ----------------------------------------------------------- */

typedef struct {
    char name[64];
    int is_node;                    /* -1 unknown, 0 adapter, 1 node */
    int up;                         /* 1 up, 0 down, -1 never reported */
    long long changed;              /* unix seconds of the last up/down, 0 never */
    long long last_seen;            /* unix seconds, 0 never */
    uint64_t in[METRICS_NTYPES], out[METRICS_NTYPES];
    uint64_t in_total, out_total, duplicates, resent, acked, naks_sent, naks_received;
    uint64_t queued, inflight;
} metrics_link_t;

typedef struct {
    long long at;                   /* unix seconds */
    char kind[16];
    char link[64];
    char mrn[19];
    char text[200];
} metrics_incident_t;

typedef struct {
    char node[64];
    long long started;              /* unix seconds */
    uint64_t batches, db_errors;
    uint64_t naks_sent[METRICS_NAK_CODES], naks_received[METRICS_NAK_CODES];
    uint64_t batch_bucket[METRICS_BATCH_BUCKETS];       /* cumulative, le = bounds */
    uint64_t batch_sum;
    uint64_t latency_bucket[METRICS_LATENCY_BUCKETS];   /* cumulative */
    uint64_t latency_sum_us;
    uint64_t refusals[METRICS_NREFUSALS];   /* lifecycle refusals by reason */
} metrics_global_t;

/* The lifecycle refusal reasons, in metrics_global_t.refusals order. */
extern const char *const metrics_refusal_names[METRICS_NREFUSALS];

/* Copies up to max links (in order of first sight) into out; returns how
 * many links exist (may be more than max). */
size_t metrics_links (metrics_link_t *out, size_t max);

/* Copies the newest incidents, newest first, up to max; returns the count. */
size_t metrics_incidents (metrics_incident_t *out, size_t max);

/* Copies the global counters. */
void metrics_global (metrics_global_t *out);

/* Upper bounds of the histogram buckets (the last is +Inf, as HUGE_VAL):
 * batch sizes in messages, latencies in seconds. */
extern const double metrics_batch_bounds[METRICS_BATCH_BUCKETS];
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

/* Writes the registry in Prometheus text format (version 0.0.4), with HELP
 * and TYPE lines, to out. */
void metrics_write (FILE *out);

/* Forgets everything (for tests). Not safe while hooks run. */
void metrics_reset (void);

#endif
