/* asy_daemon.c - the service loop of sigmat-asycuda: spool -> outbox ->
 * node, node -> inbox, status in the state file for `status`. The node
 * may be away for days: files are still read and queued, and the queue is
 * sent when the node is back (sg_client resends until ACK). */
#include "asy_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "asy_http.h"
#include "asy_inbox.h"
#include "asy_retention.h"
#include "asy_spool.h"
#include "asy_state.h"
#include "client.h"
#include "header.h"
#include "log.h"
#include "notify.h"
#include "officer.h"
#include "sign.h"

#define S_MAX_INFLIGHT 1000

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

typedef struct {
    const asy_conf_t *conf;
    const asy_offices_t *tables;
    asy_state_t *state;
    asy_spool_t *spool;
    sg_client_t *client;
    long long cursor;               /* last outbox seq handed to the client */
    char node_state[700];
    char since[21], last_ack[21];
} s_daemon_t;

static long long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_connect (s_daemon_t *d)
{
    const asy_conf_t *c = d->conf;
    char server[64], pub[64], sec[64];
    sg_diag_t diag;
    sg_diag_clear (&diag);
    if (sign_curve_load (c->node_public_key, server) != SG_OK
        || sign_curve_load (c->curve_public, pub) != SG_OK
        || sign_curve_load (c->curve_secret, sec) != SG_OK) {
        snprintf (d->node_state, sizeof d->node_state, "cannot read the CURVE key files "
                  "(node_public_key, curve_public, curve_secret)");
        return;
    }
    sg_client_opts_t o = { .endpoint = c->node, .server_public_z85 = server,
                           .public_z85 = pub, .secret_z85 = sec, .role = "adapter",
                           .name = c->name, .timeout_ms = (int) c->connect_timeout,
                           .window = c->window };
    d->client = sg_client_new (&o, &diag);
    if (!d->client) {
        snprintf (d->node_state, sizeof d->node_state, "unreachable: %s", diag.text);
        return;
    }
    d->cursor = 0;
    asy_now (d->since);
    snprintf (d->node_state, sizeof d->node_state, "connected to %s (%s)",
              sg_client_node_name (d->client), c->node);
    log_info ("connected to node %s at %s", sg_client_node_name (d->client), c->node);
}

/* Hands queued outbox rows to the client, in order, up to S_MAX_INFLIGHT. */
static void
s_feed (s_daemon_t *d)
{
    size_t room = S_MAX_INFLIGHT - sg_client_unacked (d->client);
    if (room == 0 || room > S_MAX_INFLIGHT)
        return;
    sqlite3_stmt *q = asy_state_prepare (d->state, NULL,
        "SELECT seq, msg_id, type, mrn, sender, recipient, created, body, officer FROM outbox"
        " WHERE status = 'queued' AND seq > ? ORDER BY seq LIMIT ?", "ii", d->cursor,
        (long long) room);
    while (q && sqlite3_step (q) == SQLITE_ROW) {
        hdr_t *h = hdr_new ();
        const char *keys[] = { HDR_MESSAGE_ID, HDR_TYPE, HDR_MRN, HDR_SENDER, HDR_RECIPIENT,
                               HDR_CREATED };
        int rc = h ? SG_OK : SG_ENOMEM;
        for (int i = 0; i < 6 && rc == SG_OK; i++)
            rc = hdr_set (h, keys[i], (const char *) sqlite3_column_text (q, i + 1));
        if (rc == SG_OK)
            rc = hdr_set (h, HDR_ORIGIN_NODE, sg_client_node_name (d->client));
        if (rc == SG_OK && sqlite3_column_type (q, 8) != SQLITE_NULL)
            rc = hdr_set (h, OFFICER_HEADER, (const char *) sqlite3_column_text (q, 8));
        char *hb = NULL;
        size_t hl = 0;
        if (rc == SG_OK)
            rc = hdr_encode (h, &hb, &hl);
        if (rc == SG_OK)
            rc = sg_client_send (d->client, hb, hl, sqlite3_column_blob (q, 7),
                                 (size_t) sqlite3_column_bytes (q, 7));
        free (hb);
        hdr_destroy (&h);
        if (rc != SG_OK) {
            log_error ("cannot send message %s: %s", sqlite3_column_text (q, 1),
                       sg_strerror (rc));
            break;
        }
        d->cursor = sqlite3_column_int64 (q, 0);
    }
    sqlite3_finalize (q);
}

static void
s_on_ack (s_daemon_t *d, const char *id)
{
    char now[21];
    asy_now (now);
    asy_state_exec (d->state, NULL, "UPDATE outbox SET status = 'accepted', body = NULL,"
                    " updated = ? WHERE msg_id = ? AND status = 'queued'", "ss", now, id);
    strcpy (d->last_ack, now);
}

static void
s_status (s_daemon_t *d)
{
    char buf[64];
    asy_state_meta_set (d->state, "node_state", d->node_state);
    asy_state_meta_set (d->state, "node_since", d->since);
    asy_state_meta_set (d->state, "node_last_ack", d->last_ack);
    snprintf (buf, sizeof buf, "%zu", d->client ? sg_client_unacked (d->client) : 0);
    asy_state_meta_set (d->state, "node_unacked", buf);
    snprintf (buf, sizeof buf, "%ld", (long) getpid ());
    asy_state_meta_set (d->state, "daemon_pid", buf);
    asy_now (buf);
    asy_state_meta_set (d->state, "daemon_updated", buf);
}

/* Handles what the client reports; returns 0, or -1 when the session is
 * lost for good (the client is dropped and reconnected later). */
static int
s_events (s_daemon_t *d, int timeout_ms)
{
    sg_event_t ev = { 0 };
    for (int i = 0; i < 1000; i++) {
        int rc = sg_client_poll (d->client, &ev, i ? 0 : timeout_ms);
        if (rc == SG_ETIMEOUT)
            break;
        if (rc != SG_OK) {
            snprintf (d->node_state, sizeof d->node_state, "%s: %s",
                      rc == SG_EAUTH ? "denied" : "connection error",
                      ev.reason[0] ? ev.reason : sg_strerror (rc));
            log_error ("node: %s", d->node_state);
            asy_state_error (d->state, "node", d->node_state);
            sg_event_clear (&ev);
            sg_client_destroy (&d->client);
            return -1;
        }
        if (ev.type == SG_EV_ACK)
            s_on_ack (d, ev.id);
        else if (ev.type == SG_EV_NAK)
            asy_inbox_refused (d->state, d->spool, ev.id, ev.code, ev.reason);
        else if (ev.type == SG_EV_DELIVER) {
            int a = asy_inbox_deliver (d->state, d->tables, d->conf, d->spool, ev.id, ev.body,
                                       ev.body_len);
            if (a == ASY_INBOX_ACK)
                sg_client_ack (d->client, ev.id);
            else if (a == ASY_INBOX_NAK)
                sg_client_nak (d->client, ev.id, SG_NAK_INVALID_XML, "not a valid sigmat message");
        }
        sg_event_clear (&ev);
    }
    return 0;
}

static int
s_lock (const char *state_db)
{
    char path[4096];
    snprintf (path, sizeof path, "%s.lock", state_db);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) != 0) {
        log_error ("another sigmat-asycuda is running on %s (lock %s: %s)", state_db, path,
                   strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    return fd;
}

int
asy_daemon_run (const asy_conf_t *conf, const asy_offices_t *tables)
{
    s_daemon_t d = { .conf = conf, .tables = tables };
    sg_diag_t diag;
    asy_http_t *http = NULL;
    int ret = 1, lock = s_lock (conf->state_db);
    if (lock < 0)
        return 2;
    strcpy (d.node_state, "not connected yet");
    if (!conf->node_public_key || !conf->curve_secret || !conf->curve_public) {
        log_error ("node_public_key, curve_secret and curve_public must be set in the "
                   "configuration (see sigmat-asycuda.conf.example)");
        ret = 2;
        goto done;
    }
    d.state = asy_state_open (conf->state_db, &diag);
    if (!d.state || !(d.spool = asy_spool_new (conf, tables, d.state, &diag))) {
        log_error ("%s", diag.text);
        goto done;
    }
    if (conf->http_listen && conf->http_listen[0]
        && !(http = asy_http_start (conf, tables, &diag))) {
        log_error ("%s", diag.text);
        ret = diag.code == SG_ECONFIG ? 2 : 1;
        goto done;
    }
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    log_info ("sigmat-asycuda started: country %s, spool %s, inbox %s, %zu offices, "
              "%zu corridors", conf->country, conf->spool_dir, conf->inbox_dir,
              asy_offices_count (tables), asy_corridors_count (tables));
    sg_notify_ready ();
    long long next_connect = 0, next_scan = 0, next_status = 0, next_retention = 0;
    while (!s_stop) {
        long long now = s_now_ms ();
        if (!d.client && now >= next_connect) {
            s_connect (&d);
            next_connect = s_now_ms () + conf->reconnect_interval;
        }
        int busy = 0;
        if (now >= next_scan) {
            int n = asy_spool_run (d.spool, conf->scan_batch);
            busy = n >= conf->scan_batch;
            next_scan = busy ? 0 : s_now_ms () + conf->scan_interval;
        }
        if (d.client) {
            s_feed (&d);
            s_events (&d, busy ? 0 : 100);
        }
        else if (!busy)
            usleep (100 * 1000);
        if (!busy && s_now_ms () >= next_retention) {
            enum { S_RETENTION_BATCH = 500 };
            int n = asy_retention_run (d.state, conf, S_RETENTION_BATCH);
            next_retention = s_now_ms () + (n >= S_RETENTION_BATCH ? 0 : 60000);
        }
        if (s_now_ms () >= next_status) {
            s_status (&d);
            sg_notify_status ("node: %s", d.node_state);
            next_status = s_now_ms () + 1000;
        }
    }
    log_info ("stopping");
    sg_notify_stopping ();
    strcpy (d.node_state, "adapter stopped");
    s_status (&d);
    ret = 0;
done:
    asy_http_stop (&http);
    sg_client_destroy (&d.client);
    asy_spool_destroy (&d.spool);
    asy_state_destroy (&d.state);
    close (lock);
    return ret;
}
