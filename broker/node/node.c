/* node.c - sigmatd's lifecycle and event loop, all in one thread (the ZAP
 * handler and libzmq's I/O thread aside). One turn: poll the ROUTER, the
 * outgoing links and a signalfd; drain the ROUTER without blocking into
 * the intake batch (committing whenever it is full, and as soon as the
 * socket is empty); let the links report ACKs; pump the dispatcher; run
 * the timers. See docs/node.md. */
#include "node/node.h"
#include "node/dispatch.h"
#include "header.h"
#include "node/intake.h"
#include "node/lease.h"
#include "lifecycle/tracker.h"
#include "log.h"
#include "monitor/metrics.h"
#include "monitor/monitor.h"
#include "node/nodestat.h"
#include "notify.h"
#include "node/peers.h"
#include "node/retention.h"
#include "node/routes.h"
#include "schema.h"
#include "sign.h"
#include "node/store.h"
#include "lifecycle/timers.h"
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_MAX_POLL 259              /* ROUTER, signalfd, intake, 128 links x 2 */
#define S_SESSION_IDLE_BEATS 10     /* a silent session is forgotten after this */
#define S_HWM 200000

/* An inbound connection that said HELLO. */
typedef struct {
    unsigned char rid[WIRE_MAX_RID];
    size_t rid_len;
    char name[64];
    char key[41];                   /* the CURVE key (Z85) that said HELLO */
    int is_node;
    int window;
    int packed;                     /* its HELLO offered one-frame messages (WIRE_PACKED) */
    uint64_t serial;                /* HELLO order: the latest of a name gets DELIVERs */
    int64_t last_rx;
} s_sess_t;

struct node_t {
    const nodeconf_t *conf;
    int sigfd;
    volatile sig_atomic_t stop;
    void *ctx, *router;
    store_t *store;
    store_t *commit_store;          /* the intake's commit thread's connection */
    store_t *claim_store;           /* the claims' renewal's (dispatch.h), or NULL */
    sg_sign_key_t *sign_key;
    char curve_pub[41], curve_sec[41];
    peers_t *peers;
    routes_t *routes;
    dispatch_t *dispatch;
    intake_t *intake;
    lifecycle_t *lifecycle;         /* NULL with `lifecycle no` */
    monitor_t *monitor;
    s_sess_t *sess;
    size_t nsess, capsess;
    uint64_t hellos;
    time_t started;
    int batch_open;
    int64_t batch_since;            /* when the open batch got its first message */
    int64_t next_status, next_rescan, next_expiry, next_lc_timers;
    int64_t next_retention;         /* INT64_MAX: retention off */
    lease_t *lease;                 /* `standby yes`: only its holder serves (lease.h) */
    int64_t next_lease;
    int serving;                    /* the lease is valid: take SENDs, ACKs, NAKs */
    char instance[300];             /* host:pid: holder of this process's claims */
};

/* ---- sessions ---------------------------------------------------------- */

static s_sess_t *
s_sess_by_rid (node_t *self, const unsigned char *rid, size_t len)
{
    for (size_t i = 0; i < self->nsess; i++)
        if (self->sess[i].rid_len == len && memcmp (self->sess[i].rid, rid, len) == 0)
            return &self->sess[i];
    return NULL;
}

/* The latest session of name (an adapter may run several connections:
 * all may SEND, the one that said HELLO last gets the DELIVERs). */
static s_sess_t *
s_sess_by_name (node_t *self, const char *name)
{
    s_sess_t *best = NULL;
    for (size_t i = 0; i < self->nsess; i++)
        if (strcmp (self->sess[i].name, name) == 0
            && (!best || self->sess[i].serial > best->serial))
            best = &self->sess[i];
    return best;
}

/* Forgets session s; an adapter's queue moves to its next latest session,
 * or stops until it says HELLO again. */
static void
s_sess_drop (node_t *self, s_sess_t *s, const char *why)
{
    char name[64];
    int is_node = s->is_node;
    sg_strlcpy (name, s->name, sizeof name);
    sg_log_info ("%s %s: session closed (%s)", is_node ? "node" : "adapter", name, why);
    /* Only the latest session of a name gets DELIVERs: closing an older one
     * changes nothing in flight (re-linking would resend it all). */
    int was_latest = s_sess_by_name (self, name) == s;
    *s = self->sess[--self->nsess];
    if (is_node || !was_latest)
        return;
    s_sess_t *next = s_sess_by_name (self, name);
    if (!next)
        metrics_link_up (name, 0, 0);
    dispatch_link (self->dispatch, name, next != NULL, next ? next->window : 0);
}

/* 1 if name is registered, in role, with the CURVE key `key`: a session
 * lives only as long as the key that opened it (a key removed or replaced
 * at SIGHUP ends it). */
static int
s_key_current (node_t *self, const char *name, int is_node, const char *key)
{
    const peer_info_t *p = peers_find (self->peers, name);
    return p && p->is_node == is_node && key && *key && strcmp (p->curve_public, key) == 0;
}

/* Ends the sessions whose key is no longer registered (after a reload):
 * DENIED, and no more DELIVERs on that connection. */
static void
s_sess_revoke (node_t *self)
{
    for (size_t i = self->nsess; i-- > 0;) {
        s_sess_t *s = &self->sess[i];
        if (s_key_current (self, s->name, s->is_node, s->key))
            continue;
        sg_log_warn ("security: %s %s: its key is no longer registered; session ended",
                  s->is_node ? "node" : "adapter", s->name);
        wire_frame_t f = wire_str ("key revoked");
        wire_send_cmd (self->router, s->rid, s->rid_len, WIRE_DENIED, &f, 1, ZMQ_DONTWAIT);
        s_sess_drop (self, s, "key revoked");
    }
}

/* ---- dispatch's way out ------------------------------------------------- */

/* The signature to send to peer node hop. A batch signature is made for a
 * hop whose link took them when the message was stored; if the link's
 * session now does not (the peer went back to a version without them, or
 * its standby on one answers), a message this node signed with its
 * current key is signed again on its own into plain (Ed25519 gives the
 * same bytes every time), instead of going as a signature the peer must
 * refuse. Another origin's message keeps its batch signature (only the
 * origin could sign it again): the peer refuses it, a dead letter to
 * replay once it takes batch signatures again. */
static const unsigned char *
s_sig_for_peer (node_t *self, const char *hop, const char *hdr, size_t hlen, const char *body,
                size_t blen, const unsigned char *sig, size_t *slen,
                unsigned char plain[SG_SIGN_LEN])
{
    if (!*slen || !sg_sign_is_batch (sig, *slen) || peers_batch (self->peers, hop))
        return sig;
    sg_hdr_t *h = NULL;
    sg_diag_t d;
    char kid[SG_SIGN_KEY_ID_LEN + 1];
    const char *origin = NULL, *key = NULL;
    if (sg_hdr_parse (hdr, hlen, &h, &d) == SG_OK) {
        origin = sg_hdr_get (h, SG_HDR_ORIGIN_NODE);
        key = sg_hdr_get (h, SG_HDR_KEY_ID);
    }
    int ours = origin && key && strcmp (origin, self->conf->name) == 0
               && sg_sign_key_id (self->sign_key, kid) == SG_OK && strcmp (key, kid) == 0;
    sg_hdr_destroy (&h);
    if (!ours || sg_sign_message (self->sign_key, hdr, hlen, body, blen, plain) != SG_OK)
        return sig;
    *slen = SG_SIGN_LEN;
    return plain;
}

/* DELIVER to a connected adapter on the ROUTER, or SEND on our link to a
 * peer node. */
static int
s_send_hop (void *arg, const char *hop, const char *hdr, size_t hlen, const char *body,
            size_t blen, const unsigned char *sig, size_t slen)
{
    node_t *self = arg;
    const peer_info_t *p = peers_find (self->peers, hop);
    if (p && p->is_node) {
        unsigned char plain[SG_SIGN_LEN];
        sig = s_sig_for_peer (self, hop, hdr, hlen, body, blen, sig, &slen, plain);
        return peers_send (self->peers, hop, hdr, hlen, body, blen, sig, slen);
    }
    s_sess_t *s = s_sess_by_name (self, hop);
    if (!s || s->is_node)
        return SG_ENOTFOUND;
    wire_frame_t f[3] = { { hdr, hlen }, { body, blen }, { sig, slen } };
    int rc = wire_send_cmd (self->router, s->rid, s->rid_len, WIRE_DELIVER, f, 3,
                            ZMQ_DONTWAIT | (s->packed ? WIRE_PACKED : 0));
    while (rc == SG_ENOTFOUND && s) {
        /* The connection is gone. Called from the dispatcher, which marks
         * the hop down itself on SG_ENOTFOUND: no dispatch_link here, but
         * an older session of the same adapter may take over (a listener
         * outlives the short connections that only sent). */
        sg_log_info ("adapter %s: connection gone", s->name);
        *s = self->sess[--self->nsess];
        if ((s = s_sess_by_name (self, hop)))
            rc = wire_send_cmd (self->router, s->rid, s->rid_len, WIRE_DELIVER, f, 3,
                                ZMQ_DONTWAIT | (s->packed ? WIRE_PACKED : 0));
    }
    if (rc == SG_EPROTO)
        sg_log_error ("cannot deliver to %s: malformed stored message", hop);
    if (rc == SG_ENOTFOUND)
        metrics_link_up (hop, 0, 0);
    return rc == SG_EPROTO ? SG_ETIMEOUT : rc;
}

/* For the intake: 1 if a message for hop may carry a batch signature. A
 * local adapter never checks signatures; a peer node must have offered
 * the feature in its last WELCOME (peers.c); a hop not connected yet gets
 * plain signatures. */
static int
s_batch_hop (void *arg, const char *hop)
{
    node_t *self = arg;
    if (!self->conf->batch_sign)
        return 0;
    const peer_info_t *p = peers_find (self->peers, hop);
    return p && p->is_node ? peers_batch (self->peers, hop) : 1;
}

static void
s_on_link (void *arg, const char *peer, int up, int window)
{
    node_t *self = arg;
    metrics_link_up (peer, 1, up);
    dispatch_link (self->dispatch, peer, up, window);
}

static void
s_on_ack (void *arg, const char *peer, const char *const *ids, size_t n)
{
    node_t *self = arg;
    metrics_peer_seen (peer);
    dispatch_acked (self->dispatch, peer, ids, n);
}

static void
s_on_nak (void *arg, const char *peer, const char *id, int code, const char *reason)
{
    node_t *self = arg;
    dispatch_naked (self->dispatch, peer, id, code, reason);
}

/* ---- loading ----------------------------------------------------------- */

/* Builds the routing table from the database and the adapters' offices. */
static int
s_load_routes (node_t *self, sg_diag_t *diag)
{
    store_route_t *routes = NULL;
    size_t n = 0;
    int rc = store_route_list (self->store, &routes, &n, diag);
    if (rc != SG_OK)
        return rc;
    routes_t *r = routes_new ();
    if (!r) {
        free (routes);
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (routes_add (r, routes[i].prefix, routes[i].next_hop, ROUTES_EXPLICIT) != SG_OK)
            sg_log_warn ("route %s -> %s: ignored (bad prefix or hop)", routes[i].prefix,
                      routes[i].next_hop);
        else if (!peers_find (self->peers, routes[i].next_hop))
            sg_log_warn ("route %s -> %s: no such peer registered; messages will wait",
                      routes[i].prefix, routes[i].next_hop);
        dispatch_add_hop (self->dispatch, routes[i].next_hop);
    }
    for (size_t i = 0; i < peers_count (self->peers); i++) {
        const peer_info_t *p = peers_at (self->peers, i);
        dispatch_add_hop (self->dispatch, p->name);
        if (!p->is_node)
            for (size_t k = 0; k < p->offices_n; k++)
                routes_add (r, p->offices[k], p->name, ROUTES_ADAPTER);
    }
    sg_log_info ("routes: %zu entries (%zu from the route table)", routes_count (r), n);
    free (routes);
    routes_destroy (&self->routes);
    self->routes = r;
    return SG_OK;
}

/* Inserts the config's seed routes whose prefix has no route yet. */
static int
s_seed_routes (node_t *self, sg_diag_t *diag)
{
    if (!self->conf->routes_n)
        return SG_OK;
    store_route_t *routes = NULL;
    size_t n = 0;
    int rc = store_route_list (self->store, &routes, &n, diag);
    for (size_t i = 0; rc == SG_OK && i < self->conf->routes_n; i++) {
        const nodeconf_route_t *cr = &self->conf->routes[i];
        int found = 0;
        for (size_t k = 0; k < n && !found; k++)
            found = strcmp (routes[k].prefix, cr->prefix) == 0;
        if (!found && (rc = store_route_put (self->store, cr->prefix, cr->hop, diag)) == SG_OK)
            sg_log_info ("route %s -> %s: added from the config", cr->prefix, cr->hop);
    }
    free (routes);
    return rc;
}

static void
s_reload (node_t *self)
{
    sg_diag_t d;
    sg_log_info ("reloading peers, keys and routes");
    sg_notify_reloading ();
    intake_wait (self->intake);     /* no check may read the tables we swap */
    if (peers_reload (self->peers, self->store, &d) != SG_OK)
        sg_log_error ("cannot reload peers (keeping the old ones): %s", d.text);
    else if (s_load_routes (self, &d) != SG_OK)
        sg_log_error ("cannot reload routes (keeping the old ones): %s", d.text);
    s_sess_revoke (self);
    dispatch_rescan (self->dispatch);
    sg_notify_ready ();
}

/* Writes the status row; failures are logged only. */
static void
s_status (node_t *self, const char *state)
{
    const char *names[256];
    size_t n = 0;
    for (size_t i = 0; i < self->nsess && n < 256; i++)
        names[n++] = self->sess[i].name;
    intake_stats_t is;
    intake_stats (self->intake, &is);
    nodestat_t st = { .name = self->conf->name, .bind = self->conf->bind, .state = state,
                      .started = self->started, .connections = (int) self->nsess,
                      .links_up = (int) peers_links_up (self->peers), .connected = names,
                      .n_connected = n, .accepted = is.accepted, .duplicates = is.duplicates,
                      .refused = is.refused };
    for (size_t i = 0; i < dispatch_hops (self->dispatch); i++) {
        dispatch_stat_t ds;
        if (dispatch_stat (self->dispatch, i, &ds) == SG_OK) {
            st.queued += ds.queued;
            st.inflight += ds.inflight;
        }
    }
    sg_diag_t d;
    if (nodestat_write (self->store, &st, &d) != SG_OK)
        sg_log_warn ("%s", d.text);
}

/* ---- the ROUTER --------------------------------------------------------- */

static void
s_denied (node_t *self, const wire_msg_t *m, const char *reason)
{
    wire_frame_t f = wire_str (reason);
    wire_send_cmd (self->router, m->rid, m->rid_len, WIRE_DENIED, &f, 1, ZMQ_DONTWAIT);
}

static void
s_on_hello (node_t *self, const wire_msg_t *m, int64_t now)
{
    char role[WIRE_MAX_ROLE + 1], name[WIRE_MAX_NAME + 1];
    snprintf (role, sizeof role, "%.*s", (int) m->frames[0].size, (const char *) m->frames[0].data);
    snprintf (name, sizeof name, "%.*s", (int) m->frames[1].size, (const char *) m->frames[1].data);
    if (strcmp (role, "adapter") != 0 && strcmp (role, "node") != 0) {
        s_denied (self, m, "role must be adapter or node");
        return;
    }
    if (!m->user_id[0] || strcmp (name, m->user_id) != 0 || strcmp (role, m->role) != 0) {
        sg_log_warn ("HELLO as %s %s from a key registered as %s %s: denied", role, name,
                  m->role[0] ? m->role : "?", m->user_id[0] ? m->user_id : "?");
        s_denied (self, m, "name or role does not match the registered key");
        return;
    }
    /* The connection was admitted with this key; it may have been removed
     * or replaced since (SIGHUP): a connection outlives its ZAP check. */
    if (!s_key_current (self, name, strcmp (role, "node") == 0, m->key)) {
        sg_log_warn ("security: HELLO as %s %s with a key that is no longer registered: denied",
                  role, name);
        s_denied (self, m, "key revoked");
        return;
    }
    s_sess_t *s = s_sess_by_rid (self, m->rid, m->rid_len);
    if (s && (strcmp (s->name, name) != 0 || strcmp (s->key, m->key) != 0)) {
        sg_log_warn ("security: routing id of %s %s reused by %s with another key; the old"
                  " session is ended", s->is_node ? "node" : "adapter", s->name, name);
        s_sess_drop (self, s, "routing id reused by another key");
        s = NULL;
    }
    int fresh = !s;     /* a HELLO again on the same connection lost nothing in flight */
    if (!s) {
        if (self->nsess == self->capsess) {
            size_t cap = self->capsess ? self->capsess * 2 : 16;
            s_sess_t *a = realloc (self->sess, cap * sizeof *a);
            if (!a) {
                s_denied (self, m, "node out of memory");
                return;
            }
            self->sess = a;
            self->capsess = cap;
        }
        s = &self->sess[self->nsess++];
        memset (s, 0, sizeof *s);
        memcpy (s->rid, m->rid, m->rid_len);
        s->rid_len = m->rid_len;
        sg_strlcpy (s->name, name, sizeof s->name);
        sg_strlcpy (s->key, m->key, sizeof s->key);
    }
    s->is_node = strcmp (role, "node") == 0;
    s->window = m->nframes >= 3 ? wire_frame_number (&m->frames[2]) : WIRE_DEFAULT_WINDOW;
    s->serial = ++self->hellos;
    s->last_rx = now;
    char win[16];
    snprintf (win, sizeof win, "%d", self->conf->window);
    /* Features only to a client that offered some (an older one would
     * refuse a WELCOME of three frames), and only those of them we use. */
    const wire_frame_t *offer = m->nframes == 4 ? &m->frames[3] : NULL;
    int batch = self->conf->batch_sign && wire_has_feature (offer, WIRE_FEATURE_BATCH);
    /* A client library says HELLO again without features when the first
     * one is not answered in time (an old node): a slow new node answers
     * both, and the client keeps the first WELCOME, packed. */
    s->packed = self->conf->packed
                && (wire_has_feature (offer, WIRE_FEATURE_PACKED) || (!fresh && s->packed));
    const char *features = wire_features (batch, s->packed);
    wire_frame_t f[3] = { wire_str (self->conf->name), wire_str (win), wire_str (features) };
    sg_log_info ("%s %s: welcome (window %d%s%s)", role, name, s->window,
                 batch ? ", batch signatures" : "", s->packed ? ", packed" : "");
    wire_send_cmd (self->router, m->rid, m->rid_len, WIRE_WELCOME, f, *features ? 3 : 2,
                   ZMQ_DONTWAIT);
    metrics_peer_seen (name);
    if (!s->is_node && fresh) {
        metrics_link_up (name, 0, 1);
        dispatch_link (self->dispatch, name, 1, s->window);
    }
}

static void
s_on_router_msg (node_t *self, wire_msg_t **mp, int64_t now)
{
    wire_msg_t *m = *mp;
    if (m->cmd == WIRE_HELLO) {
        s_on_hello (self, m, now);
        return;
    }
    /* No session for this connection (new connection, or we restarted):
     * the one non-final DENIED makes the client say HELLO again. PING is
     * answered the same way, which is how an idle client notices. */
    s_sess_t *s = s_sess_by_rid (self, m->rid, m->rid_len);
    if (s && (strcmp (s->name, m->user_id) != 0 || strcmp (s->key, m->key) != 0)) {
        /* Another key behind this routing id: it gets nothing of the
         * session (no ACK, no NAK applied, no DELIVER); it must HELLO. */
        sg_log_warn ("security: %s on the session of %s %s from %s with another key: refused",
                  wire_cmd_name (m->cmd), s->is_node ? "node" : "adapter", s->name,
                  m->user_id[0] ? m->user_id : "an unknown peer");
        s_sess_drop (self, s, "routing id reused by another key");
        s = NULL;
    }
    if (!s) {
        if (m->cmd != WIRE_PONG)
            s_denied (self, m, WIRE_HELLO_REQUIRED);
        return;
    }
    if (m->cmd == WIRE_PING)
        wire_send_cmd (self->router, m->rid, m->rid_len, WIRE_PONG, NULL, 0, ZMQ_DONTWAIT);
    s->last_rx = now;
    metrics_peer_seen (s->name);
    /* Without a valid lease (its renewal failed: the database is away) the
     * node still reads, so that it says HELLO and PONG and its peers see it
     * alive, but takes nothing in: a SEND goes unacknowledged (its sender
     * resends), an ACK or NAK is ignored (the delivery is sent again). */
    if (!self->serving)
        return;
    switch (m->cmd) {
    case WIRE_SEND: {
        intake_src_t src = { m->rid, m->rid_len, s->name, s->is_node, (int) self->conf->window };
        intake_add (self->intake, mp, &src, self->peers, self->routes);
        break;
    }
    case WIRE_ACK: {
        const char *ids[WIRE_MAX_IDS];
        char buf[WIRE_MAX_IDS][WIRE_ID_LEN + 1];
        wire_ack_ids (m, buf, ids);
        dispatch_acked (self->dispatch, s->name, ids, m->nframes);
        break;
    }
    case WIRE_NAK: {
        char reason[WIRE_MAX_REASON + 1];
        int code = wire_nak_parse (m, reason, sizeof reason);
        dispatch_naked (self->dispatch, s->name, m->id, code, reason);
        break;
    }
    case WIRE_PING:
    case WIRE_PONG:
        break;
    default:
        sg_log_warn ("%s: unexpected %s, ignored", s->name, wire_cmd_name (m->cmd));
        break;
    }
}

/* Reads what waits on the ROUTER, at most limit messages; returns 1 if the
 * socket is now empty, 0 if more may wait, -1 on a fatal socket error. */
static int
s_drain (node_t *self, int64_t now, size_t limit)
{
    for (size_t i = 0; i < limit; i++) {
        wire_msg_t *m = NULL;
        sg_diag_t d;
        int rc = wire_recv (self->router, &m, ZMQ_DONTWAIT, &d);
        if (rc == SG_ETIMEOUT)
            return 1;
        if (rc == SG_EPROTO || rc == SG_ENOMEM) {
            sg_log_warn ("%s", d.text);
            continue;
        }
        if (rc != SG_OK) {
            if (errno == EINTR)
                return 1;
            sg_log_error ("%s", d.text);
            return -1;
        }
        s_on_router_msg (self, &m, now);
        wire_msg_destroy (&m);
    }
    return 0;
}

/* ---- timers and signals ------------------------------------------------ */

static void
s_signals (node_t *self)
{
    struct signalfd_siginfo si;
    while (read (self->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
        if (si.ssi_signo == SIGHUP)
            s_reload (self);
        else {
            sg_log_info ("signal %d: stopping", (int) si.ssi_signo);
            self->stop = 1;
        }
    }
}

/* Waits until this process holds the node lease (another sigmatd of this
 * node may be active on the database): SG_OK once held; on SIGTERM/SIGINT
 * returns SG_ETIMEOUT with diag->code SG_OK (a clean stop). */
static int
s_lease_wait (node_t *self, sg_diag_t *diag)
{
    char holder[400], said[400] = "";
    for (;;) {
        int held = 0;
        sg_diag_t d;
        if (lease_acquire (self->lease, sg_clock_ms (), &held, holder, sizeof holder, &d) != SG_OK)
            sg_log_warn ("%s; trying again", d.text);
        else if (held) {
            sg_log_info ("node %s: this process (%s) holds the node lease", self->conf->name,
                      lease_instance (self->lease));
            return SG_OK;
        }
        else if (strcmp (holder, said) != 0) {
            sg_log_info ("node %s: another process is active: %s; waiting as a standby",
                      self->conf->name, holder);
            sg_strlcpy (said, holder, sizeof said);
        }
        nodestat_t st = { .name = self->conf->name, .bind = self->conf->bind,
                          .state = "standby", .started = self->started };
        if (nodestat_write (self->store, &st, &d) != SG_OK)
            sg_log_warn ("%s", d.text);
        struct pollfd pfd = { .fd = self->sigfd, .events = POLLIN };
        if (poll (&pfd, 1, (int) lease_period (self->lease)) > 0) {
            struct signalfd_siginfo si;
            while (read (self->sigfd, &si, sizeof si) == (ssize_t) sizeof si)
                if (si.ssi_signo != SIGHUP) {
                    st.state = "stopped";
                    nodestat_write (self->store, &st, NULL);
                    sg_diag_clear (diag);
                    snprintf (diag->text, sizeof diag->text,
                              "signal %d: stopped while waiting as a standby", (int) si.ssi_signo);
                    return SG_ETIMEOUT;
                }
        }
    }
}

/* Renews the lease; losing it to another process stops this one. */
static void
s_lease (node_t *self, int64_t now)
{
    sg_diag_t d;
    self->next_lease = now + lease_period (self->lease);
    int rc = lease_renew (self->lease, now, &d);
    if (rc == SG_ESEQ) {
        sg_log_error ("node %s: %s: stopping, so that nothing is sent twice", self->conf->name,
                   d.text);
        self->stop = 2;
    }
    else if (rc != SG_OK)
        sg_log_warn ("%s%s", d.text,
                  lease_valid (self->lease, now) ? "" : " (not serving until it is renewed)");
}

/* Runs the lifecycle timers and dispatches what they made; soon again
 * when a run hit its limit. */
static void
s_lc_timers (node_t *self, int64_t now)
{
    enum { S_TIMER_LIMIT = 500 };
    lifecycle_out_t made = { 0 };
    timers_result_t res;
    sg_diag_t d;
    self->next_lc_timers = now + self->conf->timer_interval;
    if (timers_run (self->lifecycle, self->store, S_TIMER_LIMIT, &made, &res, &d) != SG_OK) {
        sg_log_error ("lifecycle timers: %s", d.text);
        lifecycle_out_clear (&made);
        return;
    }
    for (size_t k = 0; k < made.n; k++)
        dispatch_enqueue_msg (self->dispatch, &made.gen[k]->sm);
    lifecycle_out_clear (&made);
    if (res.overdue == S_TIMER_LIMIT || res.enquiry == S_TIMER_LIMIT
        || res.recovery == S_TIMER_LIMIT || res.requests == S_TIMER_LIMIT)
        self->next_lc_timers = now;
}

/* One retention batch (retention.c); at once again while batches are
 * full, else after retention_interval. Skipped while a batch of intake
 * is open, so it never delays an ACK by more than one batch. */
static void
s_retention (node_t *self, int64_t now)
{
    const nodeconf_t *c = self->conf;
    retention_conf_t rc = { c->archive_dir, c->name, self->sign_key, c->retention_batch,
                            c->dedup_window };
    retention_result_t res;
    sg_diag_t d;
    int64_t wall = (int64_t) time (NULL) * 1000;
    int64_t lc_now = lc_clock_ms (c->clock_file);
    self->next_retention = now + c->retention_interval;
    if (retention_run (self->store, &rc, wall - c->retention, lc_now - c->retention, &res, &d)
        != SG_OK) {
        sg_log_error ("retention: %s", d.text);
        return;
    }
    if (res.messages || res.movements)
        sg_log_info ("retention: archived and removed %d messages and %d movements in %lld ms (%s)",
                  res.messages, res.movements, (long long) (sg_clock_ms () - now), res.file);
    if (res.messages == c->retention_batch || res.movements == c->retention_batch)
        self->next_retention = now;
}

static void
s_housekeeping (node_t *self, int64_t now)
{
    if (now >= self->next_expiry) {
        int64_t idle = (int64_t) S_SESSION_IDLE_BEATS * self->conf->heartbeat;
        for (size_t i = self->nsess; i-- > 0;)
            if (now - self->sess[i].last_rx > idle)
                s_sess_drop (self, &self->sess[i], "silent");
        for (size_t i = 0; i < dispatch_hops (self->dispatch); i++) {
            dispatch_stat_t ds;
            if (dispatch_stat (self->dispatch, i, &ds) == SG_OK)
                metrics_link_queue (ds.hop, ds.queued, ds.inflight);
        }
        self->next_expiry = now + 1000;
    }
    if (now >= self->next_rescan) {
        dispatch_rescan (self->dispatch);
        self->next_rescan = now + self->conf->rescan_interval;
    }
    /* The timers and retention leave the intake's tables to its commit. */
    int quiet = !intake_pending (self->intake) && !intake_committing (self->intake);
    if (self->lifecycle && now >= self->next_lc_timers && quiet && lease_valid (self->lease, now))
        s_lc_timers (self, now);
    if (now >= self->next_retention && quiet)
        s_retention (self, now);
    if (now >= self->next_status) {
        s_status (self, "running");
        self->next_status = now + self->conf->status_interval;
    }
}

/* When the open batch should be committed (once the socket is empty and
 * the commit thread is free): at once by default. Checks still running
 * join the next batch, stored while this one is answered. */
static int64_t
s_commit_at (const node_t *self)
{
    return self->batch_since + self->conf->batch_delay;
}

int
node_run (node_t *self)
{
    zmq_pollitem_t items[S_MAX_POLL];
    int rc = SG_OK;
    int64_t now = sg_clock_ms ();
    self->next_status = self->next_rescan = self->next_expiry = self->next_lc_timers = now;
    self->next_rescan = now + self->conf->rescan_interval;
    self->next_retention = self->conf->archive_dir && self->conf->archive_dir[0]
                               ? now + self->conf->retention_interval : INT64_MAX;
    if (self->next_retention == INT64_MAX)
        sg_log_info ("retention off (no archive_dir): messages and movements are kept forever");
    sg_log_info ("node %s: ready on %s", self->conf->name, self->conf->bind);
    sg_notify_ready ();
    while (!self->stop) {
        now = sg_clock_ms ();
        int64_t wait = 1000;
        if (lease_valid (self->lease, now))     /* else the dispatcher waits */
            wait = dispatch_next_timer (self->dispatch, now, wait);
        wait = peers_next_timer (self->peers, now, wait);
        int64_t due[5] = { self->next_status, self->next_rescan, self->next_expiry,
                           self->lifecycle ? self->next_lc_timers : self->next_status,
                           self->next_lease };
        for (int i = 0; i < 5; i++)
            if (due[i] - now < wait)
                wait = due[i] > now ? due[i] - now : 0;
        if (intake_pending (self->intake) && !intake_committing (self->intake)) {
            int64_t left = s_commit_at (self) - now;
            if (left < wait)
                wait = left > 0 ? left : 0;
        }
        /* Stop reading while the workers have plenty to do: the senders'
         * windows hold the rest back. */
        self->serving = lease_valid (self->lease, now);
        int reading = !self->serving
                      || intake_outstanding (self->intake) < 2 * (size_t) self->conf->batch_size;
        items[0] = (zmq_pollitem_t) { self->router, 0, reading ? ZMQ_POLLIN : 0, 0 };
        items[1] = (zmq_pollitem_t) { NULL, self->sigfd, ZMQ_POLLIN, 0 };
        items[2] = (zmq_pollitem_t) { NULL, intake_fd (self->intake), ZMQ_POLLIN, 0 };
        size_t n = 3 + peers_poll_items (self->peers, items + 3, S_MAX_POLL - 3);
        if (zmq_poll (items, (int) n, (long) wait) < 0 && errno != EINTR) {
            sg_log_error ("poll failed: %s", zmq_strerror (errno));
            rc = SG_EIO;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_signals (self);
        if (self->stop)
            break;
        now = sg_clock_ms ();
        store_guard_begin (self->store);    /* a hung database cannot hold the loop */
        int drained = 1;
        if (reading && (drained = s_drain (self, now, 4 * (size_t) self->conf->batch_size)) < 0) {
            rc = SG_EIO;
            break;
        }
        intake_collect (self->intake);
        if (intake_pending (self->intake) && !self->batch_open) {
            self->batch_open = 1;
            self->batch_since = now;
        }
        /* Commit as soon as the socket is empty and no check is running
         * (or after batch_delay): latency at low load; under load the
         * batch fills while the commit thread stores the previous one. */
        if (intake_pending (self->intake) && drained && now >= s_commit_at (self)
            && intake_commit (self->intake) == SG_OK)
            self->batch_open = 0;
        peers_process (self->peers, now);
        if (self->lease && now >= self->next_lease)
            s_lease (self, now);
        if (lease_valid (self->lease, now))     /* without the lease, send nothing */
            dispatch_pump (self->dispatch, now);
        s_housekeeping (self, now);
        store_guard_end (self->store);
    }
    /* Stop accepting: what is still in the socket is not acknowledged and
     * will be resent by its senders; what is in the batch is finished. */
    sg_log_info ("node %s: stopping (finishing a batch of %zu)", self->conf->name,
              intake_pending (self->intake));
    sg_notify_stopping ();
    intake_flush (self->intake);
    dispatch_flush (self->dispatch);
    s_status (self, "stopped");
    if (self->stop == 2)
        return SG_ESEQ;             /* the lease was lost: not a clean stop */
    lease_release (self->lease);
    return rc;
}

void
node_stop (node_t *self)
{
    self->stop = 1;
}

/* ---- construction ------------------------------------------------------ */

static int
s_load_keys (node_t *self, sg_diag_t *diag)
{
    const nodeconf_t *c = self->conf;
    char derived[41];
    if (sg_sign_curve_load (c->curve_secret, self->curve_sec) != SG_OK)
        return sg_diag_set (diag, SG_EKEY, 0, 0, "cannot read CURVE secret key %s",
                            c->curve_secret);
    if (sg_sign_curve_load (c->curve_public, self->curve_pub) != SG_OK)
        return sg_diag_set (diag, SG_EKEY, 0, 0, "cannot read CURVE public key %s",
                            c->curve_public);
    if (sg_sign_curve_public (self->curve_sec, derived) != SG_OK
        || strcmp (derived, self->curve_pub) != 0)
        return sg_diag_set (diag, SG_EKEY, 0, 0, "CURVE keys %s and %s are not one pair",
                            c->curve_secret, c->curve_public);
    sg_diag_t d;
    if (!(self->sign_key = sg_sign_key_load (c->sign_key, &d)))
        return sg_diag_set (diag, SG_EKEY, 0, 0, "signing key %s: %s", c->sign_key, d.text);
    if (!sg_sign_has_private (self->sign_key))
        return sg_diag_set (diag, SG_EKEY, 0, 0, "signing key %s holds no private key",
                            c->sign_key);
    return SG_OK;
}

/* A database connection with the watchdog of db_timeout, or NULL. */
static store_t *
s_store_open (const nodeconf_t *conf, sg_diag_t *diag)
{
    store_t *store = store_new (conf->db, diag);
    if (store && store_set_timeout (store, (int) conf->db_timeout) != SG_OK) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot start the database watchdog");
        store_destroy (&store);
    }
    return store;
}

static int
s_open_router (node_t *self, sg_diag_t *diag)
{
    int hwm = S_HWM;
    self->router = zmq_socket (self->ctx, ZMQ_ROUTER);
    if (!self->router)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot create socket: %s", zmq_strerror (errno));
    /* High-water marks far above what the windows allow: never reached, so
     * never dropping; ROUTER_MANDATORY and a finite send timeout are set by
     * wire_setup_server. */
    zmq_setsockopt (self->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* Inbound, a full pipe only stops ZeroMQ reading that connection (TCP
     * pushes back, nothing is dropped): a few windows' worth per peer is
     * all a well-behaved sender ever has in flight, and bounds what a
     * hostile one can park in the node's memory. */
    int rcvhwm = 4 * self->conf->window + 256;
    zmq_setsockopt (self->router, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    int rc = wire_setup_server (self->router, self->curve_sec, (int) self->conf->heartbeat);
    if (rc != SG_OK)
        return sg_diag_set (diag, rc, 0, 0, "cannot set up the ROUTER socket");
    /* No frame larger than a whole message (plus room for a signature):
     * ZeroMQ drops a connection that sends one before buffering it, so a
     * peer cannot make the node hold more than this per frame. */
    int64_t maxmsg = (int64_t) self->conf->max_message_size + WIRE_FRAME_OVERHEAD;
    if (maxmsg < WIRE_REPLY_BOUND)
        maxmsg = WIRE_REPLY_BOUND;          /* a full packed ACK from an adapter */
    if (zmq_setsockopt (self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot bound the frame size: %s",
                            zmq_strerror (errno));
    if (zmq_bind (self->router, self->conf->bind) != 0)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot bind %s: %s", self->conf->bind,
                            zmq_strerror (errno));
    return SG_OK;
}

node_t *
node_new (const nodeconf_t *conf, sg_diag_t *diag)
{
    sigset_t set;
    node_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    self->conf = conf;
    self->sigfd = -1;
    self->started = time (NULL);
    metrics_set_node (conf->name);
    sigemptyset (&set);
    sigaddset (&set, SIGTERM);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGHUP);
    if (pthread_sigmask (SIG_BLOCK, &set, NULL) != 0
        || (self->sigfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot set up signals: %s", strerror (errno));
        goto fail;
    }
    signal (SIGPIPE, SIG_IGN);
    /* The message schemas are this node's own files: if they cannot be
     * loaded, refuse to start rather than NAK every message for good
     * (found by the chaos run: a node started without them dead-lettered
     * every message its peers sent). */
    sg_diag_t sd;
    if (!sg_schema_messages (&sd)) {
        sg_diag_set (diag, SG_ECONFIG, 0, 0, "cannot load the message schemas from %s: %s "
                     "(install them, or set SIGMAT_SCHEMA_DIR)", sg_schema_dir (), sd.text);
        goto fail;
    }
    if (s_load_keys (self, diag) != SG_OK)
        goto fail;
    if (!(self->store = s_store_open (conf, diag)))
        goto fail;
    if (store_check_schema (self->store, conf->migrations_dir, diag) != SG_OK
        || store_identity (self->store, conf->name, conf->country, diag) != SG_OK)
        goto fail;
    /* With `standby yes` a standby process waits here, before it links to
     * anyone; by default every process is active and claims its share of
     * the queue (dispatch.h). */
    self->next_lease = INT64_MAX;
    lease_instance_name (self->instance, sizeof self->instance);
    if (conf->lease_ttl > 0 && conf->standby) {
        if (!(self->lease = lease_new (self->store, conf->lease_ttl))) {
            sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto fail;
        }
        if (s_lease_wait (self, diag) != SG_OK)
            goto fail;
        self->next_lease = sg_clock_ms () + lease_period (self->lease);
    }
    if (s_seed_routes (self, diag) != SG_OK)
        goto fail;
    if (!(self->ctx = zmq_ctx_new ())) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot create the ZeroMQ context");
        goto fail;
    }
    peers_opts_t po = { .name = conf->name, .curve_public = self->curve_pub,
                        .curve_secret = self->curve_sec, .heartbeat_ms = (int) conf->heartbeat,
                        .window = conf->window, .batch_sign = conf->batch_sign,
                        .packed = conf->packed,
                        .events = { self, s_on_link, s_on_ack, s_on_nak } };
    if (!(self->peers = peers_new (self->ctx, &po))) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot start the ZAP handler");
        goto fail;
    }
    dispatch_opts_t dopts = { .window = conf->window, .resend_ms = (int) conf->resend_timeout,
                              .backoff_max_ms = (int) conf->resend_backoff_max,
                              .max_attempts = conf->delivery_attempts,
                              .queue_max = (size_t) conf->queue_memory,
                              .page_size = (size_t) conf->page_size };
    if (conf->lease_ttl > 0 && !conf->standby) {
        dopts.claim_holder = self->instance;
        dopts.claim_ttl_ms = conf->lease_ttl;
        dopts.claim_poll_ms = conf->claim_poll;
        dopts.claim_gone = lease_holder_gone;
        if (!(self->claim_store = dopts.claim_store = s_store_open (conf, diag)))
            goto fail;
        sg_log_info ("node %s: active process %s (claims for %lld ms; other processes of this node"
                  " on this database share the queue)", conf->name, self->instance,
                  (long long) conf->lease_ttl);
    }
    if (!(self->dispatch = dispatch_new (self->store, &dopts, s_send_hop, self))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    if (peers_reload (self->peers, self->store, diag) != SG_OK
        || s_load_routes (self, diag) != SG_OK)
        goto fail;
    store_queue_stat_t *qs = NULL;
    size_t nq = 0;
    if (store_queue_stats (self->store, &qs, &nq, diag) != SG_OK)
        goto fail;
    for (size_t i = 0; i < nq; i++)
        if (qs[i].pending > 0) {
            dispatch_add_hop (self->dispatch, qs[i].next_hop);
            sg_log_info ("queue for %s: %lld waiting", qs[i].next_hop, qs[i].pending);
        }
    free (qs);
    if (s_open_router (self, diag) != SG_OK)
        goto fail;
    if (conf->lifecycle) {
        lifecycle_opts_t lo = { .node_name = conf->name, .sign_key = self->sign_key,
                                .offices = conf->offices.items, .offices_n = conf->offices.n,
                                .router = (const routes_t *const *) &self->routes,
                                .discharge_auto = strcmp (conf->discharge, "manual") != 0,
                                .clock_file = conf->clock_file,
                                .enquiry_after_ms = conf->enquiry_after,
                                .recovery_after_ms = conf->recovery_after };
        if (!(self->lifecycle = lifecycle_new (&lo))) {
            sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto fail;
        }
    }
    intake_opts_t io = { .node_name = conf->name, .sign_key = self->sign_key,
                         .offices = conf->offices.items, .offices_n = conf->offices.n,
                         .max_message = conf->max_message_size,
                         .batch_max = (size_t) conf->batch_size,
                         .workers = (size_t) conf->workers, .lifecycle = self->lifecycle,
                         .validate_all = strcmp (conf->validate, "all") == 0,
                         .packed = conf->packed,
                         .batch_hop = s_batch_hop, .batch_arg = self };
    if (!(self->commit_store = s_store_open (conf, diag)))
        goto fail;
    if (!(self->intake = intake_new (&io, self->commit_store, self->router, self->dispatch))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    if (conf->http_listen && *conf->http_listen) {
        monitor_opts_t mo = { .listen = conf->http_listen, .token = conf->http_token,
                              .db = conf->db, .node_name = conf->name,
                              .dashboard_dir = conf->http_dashboard_dir,
                              .peer_urls = conf->http_peers.items,
                              .peer_urls_n = conf->http_peers.n,
                              .adapter_urls = conf->http_adapters.items,
                              .adapter_urls_n = conf->http_adapters.n,
                              .sample_ms = conf->http_sample,
                              .queue_warn_ms = conf->http_queue_warn,
                              .queue_alert_ms = conf->http_queue_alert };
        if (!(self->monitor = monitor_new (&mo, diag)))
            goto fail;
    }
    return self;
fail:
    node_destroy (&self);
    return NULL;
}

void
node_destroy (node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    node_t *self = *self_p;
    monitor_destroy (&self->monitor);
    intake_destroy (&self->intake);
    lifecycle_destroy (&self->lifecycle);
    if (self->router)
        zmq_close (self->router);
    peers_destroy (&self->peers);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    dispatch_destroy (&self->dispatch);
    routes_destroy (&self->routes);
    lease_destroy (&self->lease);
    store_destroy (&self->commit_store);
    store_destroy (&self->claim_store);
    store_destroy (&self->store);
    sg_sign_key_destroy (&self->sign_key);
    free (self->sess);
    if (self->sigfd >= 0)
        close (self->sigfd);
    free (self);
    *self_p = NULL;
}
