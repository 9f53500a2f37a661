/* peers.c - the peer directory and the outgoing links. A link is a CURVE
 * DEALER to a peer node's ROUTER plus a socket monitor: every new
 * connection is a new session at the peer, so we say HELLO again and
 * report the link down until WELCOME, which makes the dispatcher resend
 * what was in flight. */
#include "node/peers.h"
#include "log.h"
#include "wire.h"
#include "node/zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_HELLO, S_READY, S_DENIED };

#define S_DENIED_RETRY_MS 5000
#define S_MAX_ENDPOINTS 8           /* endpoints of one peer node (its processes) */

typedef struct {
    char name[64];
    char endpoint[256];             /* as registered: one, or several tried in turn */
    char ep_buf[256];               /* endpoint cut at commas and spaces */
    char *eps[S_MAX_ENDPOINTS];
    size_t neps, ep;
    int64_t ep_at;                  /* connected to eps[ep] since (monotonic ms) */
    char server_key[41];
    void *sock, *mon;
    int state, hello_due, window;
    int batch;                      /* its WELCOME offered batch signatures */
    int packed;                     /* its WELCOME offered one-frame messages */
    int plain;                      /* HELLO offers no features (the last one got no answer) */
    int64_t hello_at, last_rx, last_tx;
} s_link_t;

struct peers_t {
    void *ctx;
    zap_t *zap;
    zap_keys_t *keys;
    char name[64], pub[41], sec[41];
    int heartbeat_ms, window, batch_sign, packed;
    peers_events_t ev;
    peer_info_t *dir;
    size_t dir_n;
    s_link_t **links;
    size_t links_n;
    unsigned serial;            /* makes monitor endpoints unique */
};

static void
s_info_clear (peer_info_t *p)
{
    sg_sign_key_destroy (&p->sign_key);
    peerkeys_destroy (&p->keys);
    free (p->endpoint);
    for (size_t i = 0; i < p->offices_n; i++)
        free (p->offices[i]);
    free (p->offices);
    memset (p, 0, sizeof *p);
}

static void
s_dir_free (peer_info_t *dir, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_info_clear (&dir[i]);
    free (dir);
}

static void
s_link_destroy (s_link_t **link_p)
{
    s_link_t *l = *link_p;
    if (!l)
        return;
    if (l->sock) {
        if (l->mon)
            zmq_socket_monitor (l->sock, NULL, 0);
        zmq_close (l->sock);
    }
    if (l->mon)
        zmq_close (l->mon);
    free (l);
    *link_p = NULL;
}

/* Opens a link to a peer node; NULL (logged) on failure. */
static s_link_t *
s_link_new (peers_t *self, const peer_info_t *p)
{
    char mon_ep[128];
    int linger = 0;
    s_link_t *l = calloc (1, sizeof *l);
    if (!l)
        return NULL;
    sg_strlcpy (l->name, p->name, sizeof l->name);
    sg_strlcpy (l->endpoint, p->endpoint, sizeof l->endpoint);
    sg_strlcpy (l->server_key, p->curve_public, sizeof l->server_key);
    l->state = S_HELLO;
    l->hello_due = 1;
    l->sock = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!l->sock)
        goto fail;
    int hwm = 100000, rcvhwm = 4 * (self->window > 0 ? self->window : 64) + 256;
    zmq_setsockopt (l->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (l->sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    if (wire_setup_client (l->sock, l->server_key, self->pub, self->sec, self->heartbeat_ms)
        != SG_OK) {
        sg_log_error ("peer %s: bad CURVE key (registered key or ours)", p->name);
        goto fail;
    }
    /* The other node only answers on this link (WELCOME, ACK, NAK, PONG):
     * no frame of those is over 41 KB (a packed ACK of 1,024 ids). */
    int64_t maxmsg = WIRE_REPLY_BOUND;
    zmq_setsockopt (l->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    snprintf (mon_ep, sizeof mon_ep, "inproc://sigmatd-link-%u-%p", self->serial++, (void *) l);
    if (zmq_socket_monitor (l->sock, mon_ep,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED
                                | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0
        || !(l->mon = zmq_socket (self->ctx, ZMQ_PAIR))) {
        sg_log_error ("peer %s: cannot monitor socket: %s", p->name, zmq_strerror (errno));
        goto fail;
    }
    zmq_setsockopt (l->mon, ZMQ_LINGER, &linger, sizeof linger);
    sg_strlcpy (l->ep_buf, l->endpoint, sizeof l->ep_buf);
    for (char *save = NULL, *t = strtok_r (l->ep_buf, ", \t", &save); t;
         t = strtok_r (NULL, ", \t", &save))
        if (l->neps < S_MAX_ENDPOINTS)
            l->eps[l->neps++] = t;
    if (zmq_connect (l->mon, mon_ep) != 0 || !l->neps || zmq_connect (l->sock, l->eps[0]) != 0) {
        sg_log_error ("peer %s: cannot connect to %s: %s", p->name, l->endpoint,
                   zmq_strerror (errno));
        goto fail;
    }
    sg_log_info ("peer %s: connecting to %s", l->name, l->eps[0]);
    return l;
fail:
    s_link_destroy (&l);
    return NULL;
}

peers_t *
peers_new (void *zmq_ctx, const peers_opts_t *opts)
{
    peers_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->ctx = zmq_ctx;
    sg_strlcpy (self->name, opts->name, sizeof self->name);
    sg_strlcpy (self->pub, opts->curve_public, sizeof self->pub);
    sg_strlcpy (self->sec, opts->curve_secret, sizeof self->sec);
    self->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : 5000;
    self->window = opts->window > 0 ? opts->window : WIRE_DEFAULT_WINDOW;
    self->batch_sign = opts->batch_sign;
    self->packed = opts->packed;
    self->ev = opts->events;
    self->keys = zap_keys_new ();
    if (!self->keys || !(self->zap = zap_new (zmq_ctx, zap_keys_lookup, self->keys))) {
        zap_keys_destroy (&self->keys);
        free (self);
        return NULL;
    }
    return self;
}

void
peers_destroy (peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    peers_t *self = *self_p;
    for (size_t i = 0; i < self->links_n; i++)
        s_link_destroy (&self->links[i]);
    free (self->links);
    zap_destroy (&self->zap);
    zap_keys_destroy (&self->keys);
    s_dir_free (self->dir, self->dir_n);
    free (self);
    *self_p = NULL;
}

/* Builds a directory entry from a store row; SG_ENOMEM. A key that does
 * not load is logged and left NULL (messages from that origin are then
 * refused with NAK 102). */
static int
s_info_from (peer_info_t *p, const store_peer_t *sp, const store_sign_key_t *krows, size_t kn)
{
    memset (p, 0, sizeof *p);
    sg_strlcpy (p->name, sp->name, sizeof p->name);
    p->is_node = strcmp (sp->role, "node") == 0;
    sg_strlcpy (p->curve_public, sp->curve_public, sizeof p->curve_public);
    if (sp->sign_public_pem && sp->sign_public_pem[0]) {
        sg_diag_t d;
        p->sign_key = sg_sign_key_from_pem (sp->sign_public_pem, strlen (sp->sign_public_pem), &d);
        if (!p->sign_key)
            sg_log_warn ("peer %s: unusable signing key: %s", sp->name, d.text);
    }
    if (!(p->keys = peerkeys_load (sp->name, sp->sign_public_pem, krows, kn)))
        return SG_ENOMEM;
    if (sp->endpoint && sp->endpoint[0] && !(p->endpoint = strdup (sp->endpoint)))
        return SG_ENOMEM;
    if (sp->offices_n && !(p->offices = calloc (sp->offices_n, sizeof *p->offices)))
        return SG_ENOMEM;
    for (size_t i = 0; i < sp->offices_n; i++) {
        if (!(p->offices[i] = strdup (sp->offices[i])))
            return SG_ENOMEM;
        p->offices_n++;
    }
    return SG_OK;
}

/* Index of the link to name, or -1. */
static long
s_link_index (const peers_t *self, const char *name)
{
    for (size_t i = 0; i < self->links_n; i++)
        if (strcmp (self->links[i]->name, name) == 0)
            return (long) i;
    return -1;
}

/* Closes link i, reporting it down if it was up. */
static void
s_link_drop (peers_t *self, size_t i)
{
    s_link_t *l = self->links[i];
    if (l->state == S_READY && self->ev.on_link)
        self->ev.on_link (self->ev.arg, l->name, 0, 0);
    sg_log_info ("peer %s: link closed", l->name);
    s_link_destroy (&self->links[i]);
    self->links[i] = self->links[--self->links_n];
}

int
peers_reload (peers_t *self, store_t *store, sg_diag_t *diag)
{
    store_peer_t *rows = NULL;
    size_t n = 0;
    peer_info_t *dir = NULL;
    size_t dir_n = 0;
    zap_keys_t *keys = NULL;
    store_sign_key_t *krows = NULL;
    size_t kn = 0;
    int rc = store_peer_list (store, &rows, &n, diag);
    if (rc != SG_OK)
        return rc;
    if ((rc = store_sign_key_list (store, NULL, &krows, &kn, diag)) != SG_OK)
        goto done;
    if ((n && !(dir = calloc (n, sizeof *dir))) || !(keys = zap_keys_new ())) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory loading peers");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = s_info_from (&dir[dir_n++], &rows[i], krows, kn)) != SG_OK) {
            sg_diag_set (diag, rc, 0, 0, "out of memory loading peers");
            goto done;
        }
        if (strcmp (rows[i].name, self->name) == 0)
            continue;           /* our own row (if any) admits nobody */
        if (rows[i].curve_public[0]
            && zap_keys_add (keys, rows[i].curve_public, rows[i].name, rows[i].role) != SG_OK)
            sg_log_warn ("peer %s: bad CURVE public key, not admitted", rows[i].name);
    }
    /* Swap the ZAP table first: once zap_set_lookup returns, the old table
     * is unused and can go. */
    zap_set_lookup (self->zap, zap_keys_lookup, keys);
    zap_keys_destroy (&self->keys);
    self->keys = keys;
    keys = NULL;
    s_dir_free (self->dir, self->dir_n);
    self->dir = dir;
    self->dir_n = dir_n;
    dir = NULL;
    dir_n = 0;

    /* Reconcile links with the new directory. */
    for (size_t i = self->links_n; i-- > 0;) {
        const peer_info_t *p = peers_find (self, self->links[i]->name);
        if (!p || !p->is_node || !p->endpoint || strcmp (p->endpoint, self->links[i]->endpoint)
            || strcmp (p->curve_public, self->links[i]->server_key))
            s_link_drop (self, i);
    }
    for (size_t i = 0; i < self->dir_n; i++) {
        const peer_info_t *p = &self->dir[i];
        if (!p->is_node || !p->endpoint || !p->curve_public[0] || strcmp (p->name, self->name) == 0
            || s_link_index (self, p->name) >= 0)
            continue;
        s_link_t **links = realloc (self->links, (self->links_n + 1) * sizeof *links);
        if (!links) {
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory opening links");
            goto done;
        }
        self->links = links;
        s_link_t *l = s_link_new (self, p);
        if (l)
            self->links[self->links_n++] = l;
    }
    sg_log_info ("peers: %zu registered, %zu outgoing links, %zu CURVE keys", self->dir_n,
              self->links_n, zap_keys_count (self->keys));
done:
    zap_keys_destroy (&keys);
    s_dir_free (dir, dir_n);
    store_peers_free (rows, n);
    store_sign_keys_free (krows, kn);
    return rc;
}

const peer_info_t *
peers_find (const peers_t *self, const char *name)
{
    for (size_t i = 0; i < self->dir_n; i++)
        if (strcmp (self->dir[i].name, name) == 0)
            return &self->dir[i];
    return NULL;
}

size_t
peers_count (const peers_t *self)
{
    return self->dir_n;
}

const peer_info_t *
peers_at (const peers_t *self, size_t i)
{
    return i < self->dir_n ? &self->dir[i] : NULL;
}

size_t
peers_poll_items (peers_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < self->links_n && k + 2 <= max; i++) {
        items[k++] = (zmq_pollitem_t) { self->links[i]->sock, 0, ZMQ_POLLIN, 0 };
        items[k++] = (zmq_pollitem_t) { self->links[i]->mon, 0, ZMQ_POLLIN, 0 };
    }
    return k;
}

/* Moves the link to the peer's next endpoint (another process of that
 * node); with one endpoint ZeroMQ reconnects by itself. */
static void
s_endpoint_next (s_link_t *l, int64_t now, const char *why)
{
    if (l->neps < 2)
        return;
    zmq_disconnect (l->sock, l->eps[l->ep]);
    sg_log_info ("peer %s: %s %s; trying %s", l->name, l->eps[l->ep], why,
              l->eps[(l->ep + 1) % l->neps]);
    l->ep = (l->ep + 1) % l->neps;
    if (zmq_connect (l->sock, l->eps[l->ep]) != 0)
        sg_log_warn ("peer %s: cannot connect to %s: %s", l->name, l->eps[l->ep],
                  zmq_strerror (errno));
    l->ep_at = now;
}

/* Marks the link as needing a new HELLO, reporting it down if it was up. */
static void
s_rehello (peers_t *self, s_link_t *l, const char *why)
{
    if (l->state == S_READY) {
        sg_log_info ("peer %s: %s, saying hello again", l->name, why);
        if (self->ev.on_link)
            self->ev.on_link (self->ev.arg, l->name, 0, 0);
    }
    l->state = S_HELLO;
    l->hello_due = 1;
}

static void
s_on_monitor (peers_t *self, s_link_t *l, int64_t now)
{
    zmq_msg_t f1, f2;
    zmq_msg_init (&f1);
    zmq_msg_init (&f2);
    if (zmq_msg_recv (&f1, l->mon, ZMQ_DONTWAIT) < 0)
        goto done;
    if (zmq_msg_more (&f1))
        zmq_msg_recv (&f2, l->mon, 0);
    if (zmq_msg_size (&f1) < 6)
        goto done;
    uint16_t event;
    uint32_t value;
    memcpy (&event, zmq_msg_data (&f1), 2);
    memcpy (&value, (const char *) zmq_msg_data (&f1) + 2, 4);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        s_rehello (self, l, "reconnected");
        l->state = S_HELLO;
        l->hello_due = 1;
        l->last_rx = now;
    }
    else if (event == ZMQ_EVENT_DISCONNECTED) {
        s_rehello (self, l, "disconnected");
        s_endpoint_next (l, now, "went away");
    }
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        sg_log_warn ("peer %s: refused our CURVE key (ZAP status %u)", l->name, (unsigned) value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        sg_log_warn ("peer %s: CURVE handshake failed (wrong server key?)", l->name);
done:
    zmq_msg_close (&f1);
    zmq_msg_close (&f2);
}

static void
s_on_message (peers_t *self, s_link_t *l, const wire_msg_t *m, int64_t now)
{
    l->last_rx = now;
    switch (m->cmd) {
    case WIRE_WELCOME: {
        if (l->state == S_READY)
            break;
        int w = m->nframes >= 2 ? wire_frame_number (&m->frames[1]) : WIRE_DEFAULT_WINDOW;
        l->window = w < self->window ? w : self->window;
        const wire_frame_t *used = m->nframes == 3 ? &m->frames[2] : NULL;
        l->batch = wire_has_feature (used, WIRE_FEATURE_BATCH);
        l->packed = self->packed && wire_has_feature (used, WIRE_FEATURE_PACKED);
        if (used)
            l->plain = 0;           /* the next session offers features first again */
        l->state = S_READY;
        sg_log_info ("peer %s: link up (window %d%s%s)", l->name, l->window,
                     l->batch ? ", batch signatures" : "", l->packed ? ", packed" : "");
        if (self->ev.on_link)
            self->ev.on_link (self->ev.arg, l->name, 1, l->window);
        break;
    }
    case WIRE_DENIED:
        if (m->frames[0].size == strlen (WIRE_HELLO_REQUIRED)
            && memcmp (m->frames[0].data, WIRE_HELLO_REQUIRED, m->frames[0].size) == 0) {
            s_rehello (self, l, "session unknown at the peer");
            break;
        }
        sg_log_error ("peer %s: denied us: %.*s", l->name,
                   (int) (m->frames[0].size > 200 ? 200 : m->frames[0].size),
                   (const char *) m->frames[0].data);
        s_rehello (self, l, "denied");
        l->state = S_DENIED;
        l->hello_due = 0;
        l->hello_at = now;
        break;
    case WIRE_ACK: {
        const char *ids[WIRE_MAX_IDS];
        char buf[WIRE_MAX_IDS][WIRE_ID_LEN + 1];
        wire_ack_ids (m, buf, ids);
        if (self->ev.on_ack)
            self->ev.on_ack (self->ev.arg, l->name, ids, m->nframes);
        break;
    }
    case WIRE_NAK: {
        char reason[WIRE_MAX_REASON + 1];
        int code = wire_nak_parse (m, reason, sizeof reason);
        if (self->ev.on_nak)
            self->ev.on_nak (self->ev.arg, l->name, m->id, code, reason);
        break;
    }
    case WIRE_PING:
        wire_send_cmd (l->sock, NULL, 0, WIRE_PONG, NULL, 0, ZMQ_DONTWAIT);
        break;
    case WIRE_PONG:
        break;
    default:
        sg_log_warn ("peer %s: unexpected %s on our link", l->name, wire_cmd_name (m->cmd));
        break;
    }
}

/* Sends HELLO or PING when due, and notices a silent link. */
static void
s_tick (peers_t *self, s_link_t *l, int64_t now)
{
    if (l->state == S_DENIED && now - l->hello_at >= S_DENIED_RETRY_MS) {
        l->state = S_HELLO;
        l->hello_due = 1;
    }
    if (l->state == S_HELLO && !l->hello_due && now - l->hello_at >= self->heartbeat_ms) {
        l->hello_due = 1;
        l->plain = !l->plain;       /* no answer: maybe a node from before features */
    }
    if (!l->ep_at)
        l->ep_at = now;
    if (l->state == S_HELLO && now - l->ep_at >= 2 * (int64_t) self->heartbeat_ms)
        s_endpoint_next (l, now, "gives no WELCOME");   /* not reachable, or silent */
    if (l->state == S_HELLO && l->hello_due) {
        char win[16];
        snprintf (win, sizeof win, "%d", self->window);
        /* A node from before features drops a HELLO of four frames as
         * malformed: a HELLO left unanswered is followed by one without
         * them, and the next one offers them again. */
        const char *features = wire_features (self->batch_sign, self->packed);
        wire_frame_t f[4] = { wire_str ("node"), wire_str (self->name), wire_str (win),
                              wire_str (features) };
        int offer = *features && !l->plain;
        if (wire_send_cmd (l->sock, NULL, 0, WIRE_HELLO, f, offer ? 4 : 3, ZMQ_DONTWAIT)
            == SG_OK) {
            l->hello_due = 0;
            l->hello_at = l->last_tx = now;
        }
        return;
    }
    if (l->state != S_READY)
        return;
    int64_t idle = now - (l->last_rx > l->last_tx ? l->last_rx : l->last_tx);
    if (idle >= self->heartbeat_ms
        && wire_send_cmd (l->sock, NULL, 0, WIRE_PING, NULL, 0, ZMQ_DONTWAIT) == SG_OK)
        l->last_tx = now;
    if (now - l->last_rx >= 3 * (int64_t) self->heartbeat_ms) {
        s_rehello (self, l, "silent for three heartbeats");
        l->last_rx = now;
    }
}

void
peers_process (peers_t *self, int64_t now)
{
    /* A callback may not add or remove links, so indexes stay valid. */
    for (size_t i = 0; i < self->links_n; i++) {
        s_link_t *l = self->links[i];
        int events = 0;
        size_t len = sizeof events;
        while (zmq_getsockopt (l->mon, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN))
            s_on_monitor (self, l, now);
        for (int k = 0; k < 10000; k++) {
            wire_msg_t *m = NULL;
            sg_diag_t d;
            int rc = wire_recv (l->sock, &m, ZMQ_DONTWAIT, &d);
            if (rc == SG_ETIMEOUT)
                break;
            if (rc != SG_OK) {
                sg_log_warn ("peer %s: %s", l->name, d.text);
                if (rc == SG_EIO)
                    break;
                continue;
            }
            s_on_message (self, l, m, now);
            wire_msg_destroy (&m);
        }
        s_tick (self, l, now);
    }
}

int64_t
peers_next_timer (const peers_t *self, int64_t now, int64_t cap)
{
    int64_t next = now + cap;
    for (size_t i = 0; i < self->links_n; i++) {
        const s_link_t *l = self->links[i];
        int64_t t = next;
        if (l->state == S_HELLO)
            t = l->hello_due ? now : l->hello_at + self->heartbeat_ms;
        else if (l->state == S_DENIED)
            t = l->hello_at + S_DENIED_RETRY_MS;
        else {
            int64_t last = l->last_rx > l->last_tx ? l->last_rx : l->last_tx;
            t = last + self->heartbeat_ms;
        }
        if (t < next)
            next = t;
    }
    return next > now ? next - now : 0;
}

int
peers_send (peers_t *self, const char *peer, const void *hdr, size_t hlen, const void *body,
            size_t blen, const void *sig, size_t slen)
{
    long i = s_link_index (self, peer);
    if (i < 0 || self->links[i]->state != S_READY)
        return SG_ENOTFOUND;
    s_link_t *l = self->links[i];
    wire_frame_t f[3] = { { hdr, hlen }, { body, blen }, { sig, slen } };
    return wire_send_cmd (l->sock, NULL, 0, WIRE_SEND, f, slen ? 3 : 2,
                          ZMQ_DONTWAIT | (l->packed ? WIRE_PACKED : 0));
}

size_t
peers_links_up (const peers_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->links_n; i++)
        n += self->links[i]->state == S_READY;
    return n;
}

void
peers_zap_stats (const peers_t *self, uint64_t *admitted, uint64_t *refused)
{
    zap_stats (self->zap, admitted, refused);
}

int
peers_batch (const peers_t *self, const char *name)
{
    for (size_t i = 0; i < self->links_n; i++)
        if (strcmp (self->links[i]->name, name) == 0)
            return self->links[i]->state == S_READY && self->links[i]->batch;
    return 0;
}
