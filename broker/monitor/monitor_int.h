/* monitor_int.h - what the monitor_*.c files share: the monitor struct,
 * the sampled snapshot of the database (queues, peers, movements) with a
 * short history per link; JSON and the metrics text are written into an
 * sg_buf_t (lib/buf.h). */
#ifndef SG_MONITOR_INT_H_INCLUDED
#define SG_MONITOR_INT_H_INCLUDED

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "monitor/metrics.h"
#include "monitor/monitor.h"
#include "node/store.h"

#define MON_HIST 150                /* samples kept per link (5 minutes at 2 s) */

/* ---- the sampled picture -------------------------------------------------- */

typedef struct {
    char name[64];
    char role[8];                   /* "node", "adapter" or "" (a hop with no peer row) */
    char endpoint[160];
    char offices[256];              /* comma-separated */
    long long db_last_seen;         /* peer.last_seen, unix seconds, 0 never */
    long long pending, dead;        /* delivery rows (database) */
    double oldest_age;              /* seconds */
    int hn, hpos;                   /* history ring: count and next position */
    long long ht[MON_HIST];         /* unix ms */
    long long hdepth[MON_HIST];
    uint64_t hin[MON_HIST], hout[MON_HIST];
    int seen;                       /* in the last sample */
} mon_link_t;

typedef struct {
    int db_up;
    long long sampled;              /* unix ms of the last good sample, 0 never */
    mon_link_t *links;
    size_t nlinks, caplinks;
    char *routes_json;              /* JSON array, or NULL */
    int has_movement, has_events;   /* lifecycle tables present */
    char *movement_cols;            /* ",col,col," of table movement, or NULL */
    char *event_cols;               /* ... of movement_event */
    char *incident_cols;            /* ... of movement_incident */
    char *rejection_cols;           /* ... of movement_rejection */
    char *state_counts_json;        /* [{"role","state","n"}...], or NULL */
    char *state_metrics;            /* sigmat_movements lines, or NULL */
    char *incidents_json;           /* newest movement_incident rows, or NULL */
    long long overdue, under_enquiry;
    char *hops;                     /* ",hop,hop," next hops named by routes, or NULL */
    char *corridor_metrics;         /* sigmat_corridor_* text, or NULL */
    long long corridors_at;         /* unix ms of the last corridor sample */
    char *region_json;              /* mon_region_gather's answer, or NULL */
    char *adapters_json;            /* mon_adapters_gather's answer, or NULL */
} mon_snap_t;

struct monitor_t {
    monitor_opts_t o;               /* strings owned (copied) */
    char **peer_urls;
    char **adapter_urls;
    sg_http_server_t *http;         /* the HTTP server (lib/http.h) */
    unsigned port;
    pthread_t sampler;
    int sampler_started;
    pthread_mutex_t lock;           /* snap, stop */
    pthread_cond_t wake;
    int stop;
    mon_snap_t snap;
    pthread_mutex_t db_lock;        /* store: the sampler and the request thread */
    store_t *store;
    long long db_retry_at;          /* unix ms */
};


/* Starts / stops the sampler thread (monitor_sample.c). */
int mon_sampler_start (monitor_t *self);
void mon_sampler_stop (monitor_t *self);
void mon_snap_clear (mon_snap_t *s);

/* ---- monitor_db.c ---- */

/* The store, connected (reconnecting if needed), with db_lock HELD on
 * success; NULL (lock not held) if the database is unreachable. Release
 * with mon_db_release. */
store_t *mon_db_acquire (monitor_t *self);
void mon_db_release (monitor_t *self, int failed);

/* Runs sql with text params and returns the first column of the first row
 * as a malloc'd string (NULL on error or no row: *failed set on error). */
char *mon_db_value (store_t *st, const char *sql, int n, const char *const *params, int *failed);

/* 1 if ",name," is in the column list cols. */
int mon_has_col (const char *cols, const char *name);

/* ---- answers (monitor_api.c) ---------------------------------------------- */

/* Writes the answer for GET path?query into out; returns the HTTP status.
 * *type gets the content type (static). */
int mon_api (monitor_t *self, const char *path, const char *const *qkeys,
             const char *const *qvals, size_t nq, sg_buf_t *out, const char **type);

/* Writes /metrics (registry + database gauges). */
void mon_metrics (monitor_t *self, sg_buf_t *out);

/* ---- corridors (monitor_corridors.c) --------------------------------------- */

#define MON_CORRIDOR_BUCKETS 12     /* finite bounds; +Inf follows */
extern const double mon_corridor_bounds[MON_CORRIDOR_BUCKETS];

/* Checks the /api/corridors arguments (from and to: unix seconds or
 * YYYY-MM-DD; period: all, day, week, month; NULL = absent) and writes
 * from and to as unix seconds into fbuf and tbuf ("" when absent); -1
 * with *why set if one is malformed. */
int mon_corridors_args (const char *from, const char *to, const char *period, char *fbuf,
                        char *tbuf, size_t size, const char **why);

/* Reads this node's corridor figures (JSON array, malloc'd into *json,
 * see docs/monitor-openapi.yaml) released in [from, to) (NULL: open)
 * grouped by period ("all", "day", "week", "month"); -1 on a database
 * error. */
int mon_corridors_query (monitor_t *self, store_t *st, const char *from, const char *to,
                         const char *period, char **json);

/* The Prometheus text (gauges and histograms per corridor) for a
 * period=all corridor array; malloc'd, NULL on error. */
char *mon_corridors_metrics (const char *json);

/* ---- region (monitor_region.c) --------------------------------------------- */

/* Copies url into out with its secrets (user:password@, token=) replaced
 * by "redacted". */
void mon_redact_url (const char *url, char *out, size_t size);

/* Fetches each http_peers monitor's overview and late movements; returns
 * the region JSON (peers, late, totals; malloc'd) or NULL. Slow peers
 * cost at most a few seconds each: call it from the sampler only. */
char *mon_region_gather (monitor_t *self);

/* Reads each http_adapters /metrics and returns a JSON array (one object
 * per adapter: url redacted, ok, error, and its main gauges; malloc'd), or
 * NULL. For the sampler only (slow adapters cost seconds). */
char *mon_adapters_gather (monitor_t *self);

/* Appends ,"corridors":[own + each peer's] and ,"peers":[...] to out,
 * asking each peer for /api/corridors?query. own is this node's array
 * (JSON text or NULL). -1 if out of memory. */
int mon_region_corridors (monitor_t *self, const char *own, const char *query, sg_buf_t *out);

#endif
