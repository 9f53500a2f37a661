/* monitor_int.h - what the monitor_*.c files share: the monitor struct,
 * the sampled snapshot of the database (queues, peers, movements) with a
 * short history per link, and a small growable text buffer for JSON and
 * the metrics text. */
#ifndef SG_MONITOR_INT_H_INCLUDED
#define SG_MONITOR_INT_H_INCLUDED

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "monitor.h"
#include "store.h"

#define MON_HIST 150                /* samples kept per link (5 minutes at 2 s) */

/* ---- text buffer ----------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;                        /* an append failed: the text is incomplete */
} mbuf_t;

void mbuf_put (mbuf_t *b, const char *s, size_t n);
void mbuf_puts (mbuf_t *b, const char *s);
void mbuf_printf (mbuf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Appends s as a JSON string (quoted, escaped; NULL as null). */
void mbuf_json (mbuf_t *b, const char *s);
void mbuf_free (mbuf_t *b);

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
} mon_snap_t;

struct monitor_t {
    monitor_opts_t o;               /* strings owned (copied) */
    char **peer_urls;
    void *mhd;                      /* struct MHD_Daemon */
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

/* Milliseconds of wall-clock time. */
long long mon_now_ms (void);

/* Starts / stops the sampler thread (monitor_sample.c). */
int mon_sampler_start (monitor_t *self);
void mon_sampler_stop (monitor_t *self);
void mon_snap_clear (mon_snap_t *s);

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
             const char *const *qvals, size_t nq, mbuf_t *out, const char **type);

/* Writes /metrics (registry + database gauges). */
void mon_metrics (monitor_t *self, mbuf_t *out);

#endif
