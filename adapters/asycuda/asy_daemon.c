/* asy_daemon.c - the service loop of sigmat-asycuda: spool -> outbox ->
 * node, node -> inbox, status in the state file for `status`. The node
 * link is the adapters' shared one (proto/link.h) on the state file's outbox
 * and inbox. The node may be away for days: files are still read and
 * queued, and the queue is sent when the node is back. */
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
#include "link.h"
#include "log.h"
#include "notify.h"

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
    sg_link_t *link;
} s_daemon_t;

/* ---- the link's callbacks: the outbox and the inbox in the state file ---- */

static int
s_pending (void *arg, int64_t after, size_t max, int (*fn) (void *, const sg_link_out_t *),
           void *fn_arg)
{
    s_daemon_t *d = arg;
    return asy_state_outbox_pending (d->state, after, max, fn, fn_arg);
}

static int
s_set_header (void *arg, const char *id, const char *header, size_t len)
{
    s_daemon_t *d = arg;
    return asy_state_outbox_set_header (d->state, id, header, len);
}

static void
s_answered (void *arg, const char *id, int code, const char *reason)
{
    s_daemon_t *d = arg;
    if (code == 0)
        asy_state_outbox_accepted (d->state, id);
    else
        asy_inbox_refused (d->state, d->spool, id, code, reason);
}

static int
s_deliver (void *arg, const sg_event_t *ev, sg_diag_t *diag)
{
    s_daemon_t *d = arg;
    return asy_inbox_deliver (d->state, d->tables, d->conf, d->spool, ev->id, ev->body,
                              ev->body_len, diag);
}

static void
s_refused (void *arg, const sg_event_t *ev, int code, const char *reason)
{
    s_daemon_t *d = arg;
    asy_state_refused_add (d->state, ev->id, code, reason);
}

/* Writes the daemon's status for `status`; stopped: the adapter is going. */
static void
s_status (s_daemon_t *d, int stopped)
{
    char buf[64];
    asy_state_meta_set (d->state, "node_state",
                        stopped ? "adapter stopped" : sg_link_state (d->link));
    asy_state_meta_set (d->state, "node_since", sg_link_since (d->link));
    asy_state_meta_set (d->state, "node_last_ack", sg_link_last_ack (d->link));
    snprintf (buf, sizeof buf, "%zu", stopped ? 0 : sg_link_unacked (d->link));
    asy_state_meta_set (d->state, "node_unacked", buf);
    snprintf (buf, sizeof buf, "%ld", (long) getpid ());
    asy_state_meta_set (d->state, "daemon_pid", buf);
    asy_now (buf);
    asy_state_meta_set (d->state, "daemon_updated", buf);
}

static int
s_lock (const char *state_db)
{
    char path[4096];
    snprintf (path, sizeof path, "%s.lock", state_db);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) != 0) {
        sg_log_error ("another sigmat-asycuda is running on %s (lock %s: %s)", state_db, path,
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
    if (!conf->node_public_key || !conf->curve_secret || !conf->curve_public) {
        sg_log_error ("node_public_key, curve_secret and curve_public must be set in the "
                   "configuration (see sigmat-asycuda.conf.example)");
        ret = 2;
        goto done;
    }
    d.state = asy_state_open (conf->state_db, &diag);
    if (!d.state || !(d.spool = asy_spool_new (conf, tables, d.state, &diag))) {
        sg_log_error ("%s", diag.text);
        goto done;
    }
    if (conf->http_listen && conf->http_listen[0]
        && !(http = asy_http_start (conf, tables, &diag))) {
        sg_log_error ("%s", diag.text);
        ret = diag.code == SG_ECONFIG ? 2 : 1;
        goto done;
    }
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    sg_log_info ("sigmat-asycuda started: country %s, spool %s, inbox %s, %zu offices, "
              "%zu corridors", conf->country, conf->spool_dir, conf->inbox_dir,
              asy_offices_count (tables), asy_corridors_count (tables));
    sg_notify_ready ();
    sg_link_opts_t lo = { .endpoint = conf->node, .node_public = conf->node_public_key,
                          .curve_public = conf->curve_public, .curve_secret = conf->curve_secret,
                          .name = conf->name, .timeout_ms = (int) conf->connect_timeout,
                          .window = conf->window, .reconnect_ms = (int) conf->reconnect_interval,
                          .max_inflight = S_MAX_INFLIGHT, .pump_ms = 0,
                          .rejected_dir = conf->rejected_dir };
    sg_link_ops_t ops = { .arg = &d, .pending = s_pending, .set_header = s_set_header,
                          .answered = s_answered, .deliver = s_deliver, .refused = s_refused };
    if (!(d.link = sg_link_new (&lo, &ops))) {
        sg_log_error ("out of memory");
        goto done;
    }
    long long next_scan = 0, next_status = 0, next_retention = 0;
    while (!s_stop) {
        long long now = sg_clock_ms ();
        int busy = 0;
        if (now >= next_scan) {
            int n = asy_spool_run (d.spool, conf->scan_batch);
            busy = n >= conf->scan_batch;
            next_scan = busy ? 0 : sg_clock_ms () + conf->scan_interval;
        }
        if (sg_link_step (d.link, busy ? 0 : 100) != SG_OK)
            asy_state_error (d.state, "node", sg_link_state (d.link));
        if (!busy && sg_clock_ms () >= next_retention) {
            enum { S_RETENTION_BATCH = 500 };
            int n = asy_retention_run (d.state, conf, S_RETENTION_BATCH);
            next_retention = sg_clock_ms () + (n >= S_RETENTION_BATCH ? 0 : 60000);
        }
        if (sg_clock_ms () >= next_status) {
            s_status (&d, 0);
            sg_notify_status ("node: %s", sg_link_state (d.link));
            next_status = sg_clock_ms () + 1000;
        }
    }
    sg_log_info ("stopping");
    sg_notify_stopping ();
    s_status (&d, 1);
    ret = 0;
done:
    asy_http_stop (&http);
    sg_link_destroy (&d.link);
    asy_spool_destroy (&d.spool);
    asy_state_destroy (&d.state);
    close (lock);
    return ret;
}
