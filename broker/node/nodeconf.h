/* nodeconf.h - sigmatd's configuration: one file, read through the
 * table-driven parser of lib/conf.h. Every key, its default and its help
 * text live in one table (nodeconf.c), which also prints the documented
 * example (deploy/sigmatd.conf.example, `sigmatd --print-config`). */
#ifndef SG_NODECONF_H_INCLUDED
#define SG_NODECONF_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "sg.h"

typedef struct {
    char prefix[9];             /* office ref or 2-letter country */
    char hop[64];
} nodeconf_route_t;

typedef struct {
    char *name;                 /* node name: HELLO, Origin-Node, ZAP User-Id at peers */
    char *country;              /* this node's country (2 letters) */
    sg_config_list_t offices;   /* offices this node speaks for (default: country) */
    char *bind;                 /* ROUTER endpoint */
    char *db;                   /* libpq conninfo */
    char *curve_secret;         /* CurveZMQ key files (Z85) */
    char *curve_public;
    char *sign_key;             /* Ed25519 private key (PEM) */
    char *migrations_dir;
    int batch_size;
    int workers;
    char *validate;             /* "origin" or "all": where bodies get the full XSD check */
    int batch_sign;             /* sign in batches where the next hop understands it */
    int packed;                 /* one-frame messages with sides that understand them */
    long long batch_delay;      /* ms */
    int window;
    long long resend_timeout;   /* ms */
    long long resend_backoff_max;
    int delivery_attempts;      /* dead letter after this many sends unanswered; 0 = never */
    long long db_timeout;       /* ms: bound on every database wait */
    long long heartbeat;
    size_t max_message_size;
    int queue_memory;
    int page_size;
    long long status_interval;
    long long rescan_interval;
    long long lease_ttl;
    int standby;                /* one active process, the others standbys */
    long long claim_poll;
    int log_level;
    int syslog;
    int lifecycle;              /* track movements (docs/lifecycle.md) */
    char *discharge;            /* "auto" or "manual" */
    long long enquiry_after;    /* ms: OVERDUE -> ENQ */
    long long recovery_after;   /* ms: UNDER_ENQUIRY / DISCREPANCY -> RECOVERY */
    long long timer_interval;   /* ms between timer runs */
    char *clock_file;           /* injectable clock (tests), NULL = system clock */
    char *http_listen;          /* monitor: ADDR:PORT, "" = no HTTP */
    char *http_token;           /* "" = loopback clients only */
    char *http_dashboard_dir;   /* "" = the embedded dashboard */
    sg_config_list_t http_peers;   /* peers' monitor URLs for the dashboard */
    sg_config_list_t http_adapters; /* local adapters' /metrics URLs */
    long long http_sample;      /* ms */
    long long http_queue_warn;  /* ms */
    long long http_queue_alert; /* ms */
    char *archive_dir;          /* retention archives; NULL/"" = retention off */
    long long retention;        /* ms: archive and remove what is older */
    long long dedup_window;     /* ms: removed ids still recognised as duplicates */
    int retention_batch;
    long long retention_interval; /* ms */
    nodeconf_route_t *routes;   /* seed routes (`route PREFIX HOP`) */
    size_t routes_n;
} nodeconf_t;

/* Fills conf (zeroed by the caller) with the defaults, then reads path on
 * top, applies the nover `-o KEY=VALUE` overrides and checks the result
 * (required keys, country and office syntax). Returns SG_OK; SG_ECONFIG or
 * SG_EIO with "path:line: reason" (or "path: reason" for a missing key) in
 * diag. Free with nodeconf_free whatever the result. */
int nodeconf_load (nodeconf_t *conf, const char *path, const char *const *over, int nover,
                   sg_diag_t *diag);

/* Fills conf (zeroed by the caller) with the defaults only (for
 * `sigmatd --print-config` without a file). Returns SG_OK or SG_ENOMEM. */
int nodeconf_defaults (nodeconf_t *conf, sg_diag_t *diag);

/* Frees what conf holds and zeroes it. */
void nodeconf_free (nodeconf_t *conf);

/* Prints every key with its help and the current value (the example file). */
void nodeconf_print (const nodeconf_t *conf, FILE *out);

#endif
