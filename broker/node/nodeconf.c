/* nodeconf.c - sigmatd's key table and the checks the table cannot
 * express (required keys, country and office syntax, seed routes). */
#include "node/nodeconf.h"
#include "code.h"
#include "header.h"
#include "wire.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef SG_MIGRATIONSDIR
#define SG_MIGRATIONSDIR "/usr/local/share/sigmat/migrations"
#endif

#define S_MAX_ROUTES 4096

static int
s_route_add (void *conf, const sg_config_entry_t *e, int argc, char **argv, char *err, size_t size)
{
    nodeconf_t *c = conf;
    if (argc != 2) {
        snprintf (err, size, "expected PREFIX NEXT_HOP");
        return -1;
    }
    if (!sg_code_office (argv[0], SG_CODE_ANY)) {
        snprintf (err, size, "prefix must be a country (BF) or an office reference (BF000201)");
        return -1;
    }
    if (!sg_hdr_node_name_check (argv[1])) {
        snprintf (err, size, "next hop must be a peer name (1-63 of A-Z a-z 0-9 . _ -)");
        return -1;
    }
    if (c->routes_n == S_MAX_ROUTES) {
        snprintf (err, size, "more than %d routes", S_MAX_ROUTES);
        return -1;
    }
    nodeconf_route_t *r = realloc (c->routes, (c->routes_n + 1) * sizeof *r);
    if (!r) {
        snprintf (err, size, "out of memory");
        return -1;
    }
    c->routes = r;
    sg_strlcpy (r[c->routes_n].prefix, argv[0], sizeof r->prefix);
    sg_strlcpy (r[c->routes_n].hop, argv[1], sizeof r->hop);
    c->routes_n++;
    return 0;
}

static void
s_route_dump (const void *conf, const sg_config_entry_t *e, FILE *out)
{
    const nodeconf_t *c = conf;
    for (size_t i = 0; i < c->routes_n; i++)
        fprintf (out, "%s %s %s\n", e->name, c->routes[i].prefix, c->routes[i].hop);
}

#define S_OFF(f) offsetof (nodeconf_t, f)
#define S_DAY 86400000LL

static const sg_config_entry_t s_table[] = {
    { "name", SG_CONFIG_STRING, S_OFF (name), NULL,
      "This node's name (required): what it says in HELLO, the Origin-Node of the\n"
      "messages its adapters send, and its name in the peer tables of other nodes.",
      0, 0, NULL, NULL },
    { "country", SG_CONFIG_STRING, S_OFF (country), NULL,
      "This node's country, two letters (required), e.g. CI.", 0, 0, NULL, NULL },
    { "offices", SG_CONFIG_LIST, S_OFF (offices), NULL,
      "Offices (8-character references) or countries this node itself speaks for;\n"
      "empty means the whole country. Only used to check messages that name this\n"
      "node as their origin.", 0, 0, NULL, NULL },
    { "bind", SG_CONFIG_STRING, S_OFF (bind), "tcp://*:7700",
      "Endpoint of the node's ROUTER socket (CurveZMQ server) for adapters and peers.",
      0, 0, NULL, NULL },
    { "db", SG_CONFIG_STRING, S_OFF (db), "dbname=sigmat",
      "PostgreSQL connection (libpq conninfo). The schema must be up to date:\n"
      "run `sigmatctl db migrate --db ...` first.", 0, 0, NULL, NULL },
    { "migrations_dir", SG_CONFIG_PATH, S_OFF (migrations_dir), SG_MIGRATIONSDIR,
      "Folder of the numbered SQL migrations, to check the schema version.", 0, 0, NULL, NULL },
    { "curve_secret", SG_CONFIG_PATH, S_OFF (curve_secret), NULL,
      "This node's CurveZMQ secret key file, Z85 (required; `sigmatctl keygen`).",
      0, 0, NULL, NULL },
    { "curve_public", SG_CONFIG_PATH, S_OFF (curve_public), NULL,
      "This node's CurveZMQ public key file, Z85 (required).", 0, 0, NULL, NULL },
    { "sign_key", SG_CONFIG_PATH, S_OFF (sign_key), NULL,
      "This node's Ed25519 private key, PEM (required): signs what local adapters send.",
      0, 0, NULL, NULL },
    { "batch_size", SG_CONFIG_INT, S_OFF (batch_size), "500",
      "Most messages stored in one transaction (and acknowledged together).",
      1, 10000, NULL, NULL },
    { "workers", SG_CONFIG_INT, S_OFF (workers), "2",
      "Threads that check messages (XML schema, Ed25519 signing and verification,\n"
      "most of the CPU per message); 0 does it all in the main thread.",
      0, 64, NULL, NULL },
    { "validate", SG_CONFIG_STRING, S_OFF (validate), "origin",
      "origin: the full check of a body (XML schema, semantic checks) is done where\n"
      "it enters the network, by the node its adapter sends to, which then signs\n"
      "it; a message from a peer node has its origin's signature verified and its\n"
      "header checked against the body's (docs/performance.md). all: every node\n"
      "checks every body in full, as the origin does.",
      0, 0, NULL, NULL },
    { "batch_sign", SG_CONFIG_BOOL, S_OFF (batch_sign), "yes",
      "yes: what local adapters send is signed a batch at a time (one Ed25519\n"
      "signature over a Merkle root, a proof per message) for next hops that say\n"
      "they understand it (SGTP feature batch-sign), and each message alone for\n"
      "the others; no: each message alone, and the feature is not offered.",
      0, 0, NULL, NULL },
    { "packed", SG_CONFIG_BOOL, S_OFF (packed), "yes",
      "yes: messages go as one ZeroMQ frame each (SGTP feature packed) to the\n"
      "adapters and nodes that say they understand it, and as separate frames to\n"
      "the others; no: always separate frames, and the feature is not offered.",
      0, 0, NULL, NULL },
    { "batch_delay", SG_CONFIG_DURATION, S_OFF (batch_delay), "0ms",
      "How long a batch may wait for more messages once the socket is empty;\n"
      "0 commits at once (lowest latency; batches still grow under load).",
      0, 1000, NULL, NULL },
    { "window", SG_CONFIG_INT, S_OFF (window), "256",
      "Most unacknowledged messages per link, in both directions.", 1, 65535, NULL, NULL },
    { "resend_timeout", SG_CONFIG_DURATION, S_OFF (resend_timeout), "5s",
      "Shortest wait for an acknowledgement before a resend (and the first, before\n"
      "any round trip is measured); the wait follows each link's measured round\n"
      "trip (SRTT + 4 RTTVAR, as TCP) and doubles on each try.", 100, S_DAY, NULL, NULL },
    { "resend_backoff_max", SG_CONFIG_DURATION, S_OFF (resend_backoff_max), "5m",
      "Longest delay between two resends.", 100, 7 * S_DAY, NULL, NULL },
    { "delivery_attempts", SG_CONFIG_INT, S_OFF (delivery_attempts), "30",
      "A message sent this many times on a live link without an ACK or NAK becomes\n"
      "a dead letter (the receiver can never take it; see `sigmatctl dead`);\n"
      "0 resends for ever.", 0, 1000000, NULL, NULL },
    { "db_timeout", SG_CONFIG_DURATION, S_OFF (db_timeout), "10s",
      "Bound on every database wait: statement timeout, connection timeout; a\n"
      "database that does not answer for twice this long is cut off and retried,\n"
      "while the node keeps answering its peers (nothing is acknowledged meanwhile).",
      1000, 600000, NULL, NULL },
    { "heartbeat", SG_CONFIG_DURATION, S_OFF (heartbeat), "5s",
      "ZeroMQ heartbeat and PING interval; a link silent for three is reconnected.",
      100, 3600000, NULL, NULL },
    { "max_message_size", SG_CONFIG_SIZE, S_OFF (max_message_size), "1MiB",
      "Largest header + body accepted; larger SENDs are refused with NAK 103.",
      1024, WIRE_MAX_MESSAGE, NULL, NULL },
    { "queue_memory", SG_CONFIG_INT, S_OFF (queue_memory), "4096",
      "Messages kept in memory per next hop; the rest of a backlog stays in the\n"
      "database and is paged in as the hop catches up.", 16, 1000000, NULL, NULL },
    { "page_size", SG_CONFIG_INT, S_OFF (page_size), "1000",
      "Messages read from the database queue at a time.", 1, 100000, NULL, NULL },
    { "status_interval", SG_CONFIG_DURATION, S_OFF (status_interval), "5s",
      "How often the node writes its status for `sigmatctl status`.",
      100, 3600000, NULL, NULL },
    { "rescan_interval", SG_CONFIG_DURATION, S_OFF (rescan_interval), "1m",
      "How often idle queues are re-read from the database (finds dead letters\n"
      "replayed by `sigmatctl dead replay`).", 1000, S_DAY, NULL, NULL },
    { "lease_ttl", SG_CONFIG_DURATION, S_OFF (lease_ttl), "15s",
      "Lifetime of a process's leases on the database. Several sigmatd processes\n"
      "of this node may serve on one database, all active: each sends the\n"
      "messages of the MRNs whose delivery claim it holds, renews its claims\n"
      "every third of this and stops sending if it cannot; the claims of a\n"
      "process that died are taken over this long after (at once by a process\n"
      "of the same host). With `standby yes` it is the node lease's lifetime\n"
      "instead. 0 turns both off: one process only (two would send twice).",
      0, 3600000, NULL, NULL },
    { "standby", SG_CONFIG_BOOL, S_OFF (standby), "no",
      "yes: of several sigmatd processes of this node on one database only the\n"
      "holder of the node lease serves; the others wait as standbys and take the\n"
      "lease over lease_ttl after the holder died. no: every process is active.",
      0, 0, NULL, NULL },
    { "claim_poll", SG_CONFIG_DURATION, S_OFF (claim_poll), "200ms",
      "With several active processes: how often each reads the queue of every\n"
      "connected next hop for messages another process stored or left (the\n"
      "longest a message accepted by one process waits for a hop connected to\n"
      "another).", 10, 60000, NULL, NULL },
    { "log_level", SG_CONFIG_LEVEL, S_OFF (log_level), "info",
      "error, warn, info or debug.", 0, 0, NULL, NULL },
    { "syslog", SG_CONFIG_BOOL, S_OFF (syslog), "no",
      "Log to syslog (journald) instead of stderr.", 0, 0, NULL, NULL },
    { "lifecycle", SG_CONFIG_BOOL, S_OFF (lifecycle), "yes",
      "Track every movement that concerns this node's offices, in the transaction\n"
      "that stores its messages: states, hash-chained events, AAR/ATR fan-out on\n"
      "REL, NAK 90/92 messages for what the departure view refuses, timers\n"
      "(docs/lifecycle.md). `no` makes the node a plain store-and-forward relay.",
      0, 0, NULL, NULL },
    { "discharge", SG_CONFIG_STRING, S_OFF (discharge), "auto",
      "auto: after a conform DCR (A1/A2) the departure node sends the WOF to every\n"
      "office involved itself; manual: the departure adapter sends the WOF.",
      0, 0, NULL, NULL },
    { "enquiry_after", SG_CONFIG_DURATION, S_OFF (enquiry_after), "7d",
      "How long a departure view stays OVERDUE (time limit passed, no arrival)\n"
      "before ENQ goes to the destination and transit offices (UNDER_ENQUIRY).",
      0, 366 * S_DAY, NULL, NULL },
    { "recovery_after", SG_CONFIG_DURATION, S_OFF (recovery_after), "28d",
      "How long a movement may stay UNDER_ENQUIRY without arrival, or in\n"
      "DISCREPANCY without a write-off, before it goes to RECOVERY.",
      0, 3660 * S_DAY, NULL, NULL },
    { "timer_interval", SG_CONFIG_DURATION, S_OFF (timer_interval), "1s",
      "How often the lifecycle timers and resync requests are run.",
      100, 3600000, NULL, NULL },
    { "clock_file", SG_CONFIG_PATH, S_OFF (clock_file), NULL,
      "Tests only: a file holding the current time (RFC 3339, UTC) that the\n"
      "lifecycle uses instead of the system clock, read at every use so time can\n"
      "be moved without a restart. The variable SIGMAT_CLOCK_FILE does the same.",
      0, 0, NULL, NULL },
    { "http_listen", SG_CONFIG_STRING, S_OFF (http_listen), NULL,
      "Address and port of the read-only HTTP monitor (/metrics, /api/, the\n"
      "dashboard), e.g. 127.0.0.1:7780; empty: no HTTP. See docs/monitoring.md.",
      0, 0, NULL, NULL },
    { "http_token", SG_CONFIG_STRING, S_OFF (http_token), NULL,
      "If set, every HTTP request must carry this token (Authorization: Bearer,\n"
      "or ?token= once for the dashboard); if empty, only loopback clients are\n"
      "served.", 0, 0, NULL, NULL },
    { "http_dashboard_dir", SG_CONFIG_PATH, S_OFF (http_dashboard_dir), NULL,
      "Serve the dashboard files from this folder instead of the copy built into\n"
      "the program (for development).", 0, 0, NULL, NULL },
    { "http_peers", SG_CONFIG_LIST, S_OFF (http_peers), NULL,
      "Base URLs of peers' monitors (http://bf-node:7780, with ?token=... if\n"
      "needed): this monitor gathers their links, late movements and corridor\n"
      "figures to show the region (/api/region, /api/corridors).",
      0, 0, NULL, NULL },
    { "http_adapters", SG_CONFIG_LIST, S_OFF (http_adapters), NULL,
      "The local adapters' /metrics URLs (http://127.0.0.1:8780/metrics?token=...;\n"
      "the token is sent as Authorization: Bearer): this monitor reads them to\n"
      "show the adapters on the dashboard (/api/adapters).",
      0, 0, NULL, NULL },
    { "http_sample", SG_CONFIG_DURATION, S_OFF (http_sample), "2s",
      "How often the monitor reads queue and movement numbers from the database.",
      200, 3600000, NULL, NULL },
    { "http_queue_warn", SG_CONFIG_DURATION, S_OFF (http_queue_warn), "1m",
      "A link whose oldest waiting message is this old shows amber.", 1000, S_DAY, NULL, NULL },
    { "http_queue_alert", SG_CONFIG_DURATION, S_OFF (http_queue_alert), "5m",
      "... and red.", 1000, 7 * S_DAY, NULL, NULL },
    { "archive_dir", SG_CONFIG_PATH, S_OFF (archive_dir), NULL,
      "Retention: the folder where delivered messages and closed movements are\n"
      "archived (gzip JSON lines, signed; `sigmatctl archive verify`) before they\n"
      "are removed from the database. Empty: retention off, nothing is removed.\n"
      "See docs/operations.md, \"Retention and archives\".", 0, 0, NULL, NULL },
    { "retention", SG_CONFIG_DURATION, S_OFF (retention), "90d",
      "How long a message stays in the database after it was received (once all\n"
      "its deliveries are done and its movement is closed), and a closed movement\n"
      "after it was discharged, cancelled or sent to recovery.",
      60000, 3660 * S_DAY, NULL, NULL },
    { "dedup_window", SG_CONFIG_DURATION, S_OFF (dedup_window), "366d",
      "How long the id of a removed message is still recognised as a duplicate\n"
      "(message_seen table): the dedup horizon is retention + dedup_window.",
      60000, 36600 * S_DAY, NULL, NULL },
    { "retention_batch", SG_CONFIG_INT, S_OFF (retention_batch), "200",
      "Most messages (and movements) archived and removed in one batch; a full\n"
      "batch runs again at once, between turns of the event loop.", 1, 10000, NULL, NULL },
    { "retention_interval", SG_CONFIG_DURATION, S_OFF (retention_interval), "1m",
      "How often retention looks for old rows when the last batch was not full.",
      100, S_DAY, NULL, NULL },
    { "route", SG_CONFIG_MULTI, 0, NULL,
      "A seed route `route PREFIX NEXT_HOP`, repeatable: added to the database's\n"
      "route table at start if that prefix has no route yet (`sigmatctl route`\n"
      "manages them afterwards). PREFIX is a country or an office reference.",
      0, 0, s_route_add, s_route_dump },
    { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL }
};

/* Checks what the table cannot; "path: reason" in diag. */
static int
s_check (nodeconf_t *c, const char *path, sg_diag_t *diag)
{
    struct { const char *key; const char *value; } req[] = {
        { "name", c->name }, { "country", c->country }, { "curve_secret", c->curve_secret },
        { "curve_public", c->curve_public }, { "sign_key", c->sign_key },
        { "bind", c->bind }, { "db", c->db },
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (!req[i].value || !req[i].value[0])
            return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: %s is required", path, req[i].key);
    if (!sg_hdr_node_name_check (c->name) || strlen (c->name) > 63)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: bad name \"%s\": 1-63 of A-Z a-z 0-9 . _ -", path, c->name);
    if (!sg_code_office (c->country, SG_CODE_COUNTRY))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: bad country \"%s\": two capital letters", path, c->country);
    for (size_t i = 0; i < c->offices.n; i++)
        if (!sg_code_office (c->offices.items[i], SG_CODE_ANY))
            return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                                "%s: bad office \"%s\": a country or an office reference",
                                path, c->offices.items[i]);
    if (c->offices.n == 0) {
        c->offices.items = malloc (sizeof *c->offices.items);
        if (!c->offices.items || !(c->offices.items[0] = strdup (c->country)))
            return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        c->offices.n = 1;
    }
    if (!c->validate || (strcmp (c->validate, "origin") != 0 && strcmp (c->validate, "all") != 0))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: validate must be origin or all", path);
    if (!c->discharge || (strcmp (c->discharge, "auto") != 0 && strcmp (c->discharge, "manual") != 0))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: discharge must be auto or manual", path);
    if (c->resend_backoff_max < c->resend_timeout)
        c->resend_backoff_max = c->resend_timeout;
    return SG_OK;
}

int
nodeconf_load (nodeconf_t *conf, const char *path, const char *const *over, int nover,
               sg_diag_t *diag)
{
    int rc = sg_config_defaults (s_table, conf, diag);
    if (rc == SG_OK)
        rc = sg_config_load (s_table, conf, path, diag);
    for (int i = 0; rc == SG_OK && i < nover; i++)
        rc = sg_config_set_kv (s_table, conf, over[i], diag);
    if (rc == SG_OK)
        rc = s_check (conf, path, diag);
    return rc;
}

int
nodeconf_defaults (nodeconf_t *conf, sg_diag_t *diag)
{
    return sg_config_defaults (s_table, conf, diag);
}

void
nodeconf_free (nodeconf_t *conf)
{
    if (!conf)
        return;
    sg_config_free (s_table, conf);
    free (conf->routes);
    memset (conf, 0, sizeof *conf);
}

void
nodeconf_print (const nodeconf_t *conf, FILE *out)
{
    sg_config_dump (s_table, conf, out);
}
