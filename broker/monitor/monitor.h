/* monitor.h - the node's read-only HTTP monitoring (libmicrohttpd, own
 * threads, own PostgreSQL connection): /metrics in the Prometheus text
 * format, a JSON API under /api/ (docs/monitor-openapi.yaml) and the
 * corridor dashboard (broker/monitor/dashboard/, embedded at build time). Access:
 * with a token every request must carry it; without one only loopback
 * clients are served. See docs/monitoring.md. */
#ifndef SG_MONITOR_H_INCLUDED
#define SG_MONITOR_H_INCLUDED

#include <stddef.h>

#include "buf.h"
#include "sg.h"

typedef struct monitor_t monitor_t;

typedef struct {
    const char *listen;             /* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (all
                                       addresses); port 0 picks a free one */
    const char *token;              /* NULL or "": loopback clients only */
    const char *db;                 /* libpq conninfo of the node's database */
    const char *node_name;
    const char *dashboard_dir;      /* NULL or "": the embedded dashboard */
    char *const *peer_urls;         /* peers' monitor base URLs, fetched by the browser */
    size_t peer_urls_n;
    char *const *adapter_urls;      /* local adapters' /metrics URLs (?token= sent as bearer) */
    size_t adapter_urls_n;
    long long sample_ms;            /* database sampling period; 0: 2000 */
    long long queue_warn_ms;        /* oldest waiting message this old: amber; 0: 60000 */
    long long queue_alert_ms;       /* ... this old: red; 0: 300000 */
} monitor_opts_t;

/* Starts the HTTP server and the sampler on opts (strings copied). A
 * database that is down is not an error (retried; /metrics says
 * sigmat_monitor_db_up 0). Returns NULL with the reason in diag: SG_ECONFIG
 * for a bad listen address, SG_EIO if it cannot listen, SG_ENOMEM. */
monitor_t *monitor_new (const monitor_opts_t *opts, sg_diag_t *diag);

/* The TCP port it listens on (useful with port 0). */
unsigned monitor_port (const monitor_t *self);

/* Stops the server and the sampler, frees (NULL is fine) and clears the
 * caller's pointer. */
void monitor_destroy (monitor_t **self_p);

/* The node's one HTTP client (libcurl; http and https, short timeouts,
 * answers up to 8 MiB): GETs base + path (+ query) into body. base may
 * carry a query: the path goes before it, and a token= in it is sent as
 * Authorization: Bearer (the peers' monitors accept both; the adapters
 * only the header); token, when not NULL or empty, is sent instead;
 * ca_file (NULL: the system's) holds the certificates an https server is
 * checked against. 0, or -1 with the reason in err (body then holds what
 * came). Used by the monitor for its peers and adapters, and by
 * `sigmatctl top`. */
int monitor_fetch (const char *base, const char *path, const char *query, const char *token,
                   const char *ca_file, sg_buf_t *body, char *err, size_t esize);

#endif
