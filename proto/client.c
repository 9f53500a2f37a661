/* client.c - the SGTP/1 client: DEALER socket, HELLO on every new
 * connection (seen through a socket monitor), a window of SENDs in flight
 * with per-MRN order and timed resends, queued ACK/NAK replies, PING when
 * idle. Everything runs in the caller's thread. */
#include "client.h"
#include "hash.h"
#include "header.h"
#include "list.h"
#include "log.h"
#include "msg.h"
#include "rto.h"
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zmq.h>

#define S_MAX_BACKOFF_MS 60000
#define S_LOOKAHEAD 256         /* pending entries skipped (MRN busy) before giving up */
#define S_MAX_ENDPOINTS 8       /* endpoints of one node (its processes) */
#define S_MRN_BUCKETS 1024      /* in-flight MRN and id tables (a power of two) */

enum { S_HELLO, S_READY, S_DENIED };

/* A queued SEND: header then body in data[]. */
typedef struct s_out {
    struct s_out *prev, *next;
    struct s_out *mnext;        /* next in flight in the same MRN bucket */
    struct s_out *inext;        /* next in flight in the same id bucket */
    char id[WIRE_ID_LEN + 1];
    char mrn[32];
    int64_t due;                /* next (re)send, while in flight; 0 = now (new session) */
    int64_t sent_at;            /* last transmission */
    int attempts;
    size_t hlen, blen;
    char data[];
} s_out_t;

typedef struct {
    s_out_t *head, *tail;
    size_t n;
} s_list_t;

/* A queued ACK (code 0) or NAK for a DELIVER. */
typedef struct s_reply {
    struct s_reply *next;
    char id[WIRE_ID_LEN + 1];
    int code;
    char reason[];
} s_reply_t;

struct sg_client_t {
    void *ctx, *sock, *mon;
    char role[WIRE_MAX_ROLE + 1], name[WIRE_MAX_NAME + 1], node[WIRE_MAX_NAME + 1];
    int timeout_ms, window, peer_window, heartbeat_ms;
    int state, hello_due, out_blocked;
    int connected;              /* a handshake succeeded since the last disconnection */
    int hello_sent;             /* a HELLO went out since the last disconnection */
    int plain_sent;             /* the HELLO without features after it went out too */
    int packed;                 /* the node's WELCOME offered one-frame messages */
    int64_t hello_at, last_rx, last_ping;
    s_list_t pending, inflight;
    /* In flight by MRN (one message per MRN at a time: s_mrn_busy), and
     * the earliest resend among them, so that a pump with nothing due
     * does not walk the window. */
    s_out_t *by_mrn[S_MRN_BUCKETS];
    s_out_t *by_id[S_MRN_BUCKETS];      /* in flight by Message-Id, for the ACKs */
    int64_t next_due;
    rto_t rto;                  /* resend timeout from the measured round trips */
    s_reply_t *replies, *replies_tail;
    sg_event_t *evq;
    size_t ev_head, ev_len, ev_cap;
    char reason[256];
    /* The node's endpoints, tried in turn (several processes of one node):
     * a copy of opts->endpoint cut at commas and spaces. */
    char *ep_buf;
    char *eps[S_MAX_ENDPOINTS];
    size_t neps, ep;
    int64_t ep_at;              /* connected to eps[ep] since */
};

static void
s_list_push (s_list_t *l, s_out_t *e)
{
    SG_LIST_PUSH (l, e);
}

static void
s_list_remove (s_list_t *l, s_out_t *e)
{
    SG_LIST_REMOVE (l, e);
}

static s_out_t **
s_mrn_bucket (sg_client_t *self, const char *mrn)
{
    return &self->by_mrn[sg_hash_str (mrn) & (S_MRN_BUCKETS - 1)];
}

/* The bucket of a Message-Id of len bytes, whatever its case (an ACK
 * names an id as the node read it; ids compare without case). */
static s_out_t **
s_id_bucket (sg_client_t *self, const char *id, size_t len)
{
    char low[WIRE_ID_LEN + 1];
    size_t n = len < WIRE_ID_LEN ? len : WIRE_ID_LEN;
    for (size_t i = 0; i < n; i++)
        low[i] = (char) tolower ((unsigned char) id[i]);
    low[n] = '\0';
    return &self->by_id[sg_hash_str (low) & (S_MRN_BUCKETS - 1)];
}

/* e joins the messages in flight (just sent). */
static void
s_inflight_add (sg_client_t *self, s_out_t *e)
{
    s_list_push (&self->inflight, e);
    s_out_t **b = s_mrn_bucket (self, e->mrn);
    e->mnext = *b;
    *b = e;
    b = s_id_bucket (self, e->id, strlen (e->id));
    e->inext = *b;
    *b = e;
    if (e->due < self->next_due)
        self->next_due = e->due;
}

/* e leaves the messages in flight (answered). */
static void
s_inflight_remove (sg_client_t *self, s_out_t *e)
{
    s_list_remove (&self->inflight, e);
    for (s_out_t **p = s_mrn_bucket (self, e->mrn); *p; p = &(*p)->mnext)
        if (*p == e) {
            *p = e->mnext;
            break;
        }
    for (s_out_t **p = s_id_bucket (self, e->id, strlen (e->id)); *p; p = &(*p)->inext)
        if (*p == e) {
            *p = e->inext;
            break;
        }
    e->mnext = e->inext = NULL;
}

/* Appends an event slot and returns it (zeroed), or NULL when out of memory. */
static sg_event_t *
s_event_push (sg_client_t *self)
{
    if (self->ev_len == self->ev_cap) {
        size_t cap = self->ev_cap ? self->ev_cap * 2 : 16;
        sg_event_t *q = malloc (cap * sizeof *q);
        if (!q)
            return NULL;
        for (size_t i = 0; i < self->ev_len; i++)
            q[i] = self->evq[(self->ev_head + i) % self->ev_cap];
        free (self->evq);
        self->evq = q;
        self->ev_cap = cap;
        self->ev_head = 0;
    }
    sg_event_t *ev = &self->evq[(self->ev_head + self->ev_len++) % self->ev_cap];
    memset (ev, 0, sizeof *ev);
    return ev;
}

static int
s_window (const sg_client_t *self)
{
    return self->window < self->peer_window ? self->window : self->peer_window;
}

/* Flags for sending SEND, ACK and NAK: packed once the node said it reads
 * that. */
static int
s_flags (const sg_client_t *self)
{
    return ZMQ_DONTWAIT | (self->packed ? WIRE_PACKED : 0);
}

/* Sends one queued SEND; SG_OK, SG_ETIMEOUT when the socket cannot take it. */
static int
s_transmit (sg_client_t *self, s_out_t *e, int64_t now)
{
    wire_frame_t f[2] = { { e->data, e->hlen }, { e->data + e->hlen, e->blen } };
    int rc = wire_send_cmd (self->sock, NULL, 0, WIRE_SEND, f, 2, s_flags (self));
    if (rc != SG_OK) {
        self->out_blocked = 1;
        return rc;
    }
    e->due = now + rto_delay (&self->rto, e->attempts);
    e->sent_at = now;
    e->attempts++;
    return SG_OK;
}

/* 1 if a message of this MRN is already in flight. */
static int
s_mrn_busy (sg_client_t *self, const char *mrn)
{
    if (!mrn[0])
        return 0;
    for (const s_out_t *e = *s_mrn_bucket (self, mrn); e; e = e->mnext)
        if (strcmp (e->mrn, mrn) == 0)
            return 1;
    return 0;
}

/* Sends queued replies, batching consecutive ACKs in one ACK command. */
static void
s_flush_replies (sg_client_t *self)
{
    while (self->replies) {
        s_reply_t *r = self->replies;
        int rc;
        size_t n = 0;
        if (r->code == 0) {
            const char *ids[WIRE_MAX_IDS];
            for (s_reply_t *q = r; q && q->code == 0 && n < WIRE_MAX_IDS; q = q->next)
                ids[n++] = q->id;
            rc = wire_send_ack (self->sock, NULL, 0, ids, n, s_flags (self));
        }
        else {
            n = 1;
            rc = wire_send_nak (self->sock, NULL, 0, r->id, r->code, r->reason, s_flags (self));
        }
        if (rc != SG_OK) {
            self->out_blocked = 1;
            return;
        }
        while (n--) {
            s_reply_t *next = self->replies->next;
            free (self->replies);
            self->replies = next;
        }
        if (!self->replies)
            self->replies_tail = NULL;
    }
}

/* Leaves the node's endpoint in use for the next one of the list (one
 * endpoint: nothing to do, ZeroMQ reconnects by itself). */
static void
s_endpoint_next (sg_client_t *self, const char *why)
{
    if (self->neps < 2)
        return;
    const char *old = self->eps[self->ep];
    zmq_disconnect (self->sock, old);
    self->ep = (self->ep + 1) % self->neps;
    sg_log_info ("client: %s %s; trying %s", old, why, self->eps[self->ep]);
    if (zmq_connect (self->sock, self->eps[self->ep]) != 0)
        sg_log_warn ("client: cannot connect to %s: %s", self->eps[self->ep], zmq_strerror (errno));
    self->ep_at = sg_clock_ms ();
    self->connected = 0;
    self->hello_sent = 0;
    self->hello_due = 1;
}

/* 1 when the HELLO that offered features has gone half a timeout without
 * WELCOME, and the one without them is still to follow. */
static int
s_plain_due (const sg_client_t *self, int64_t now)
{
    return self->hello_sent && !self->hello_due && !self->plain_sent
           && now - self->hello_at >= self->timeout_ms / 2;
}

/* Does whatever sending is due: HELLO, replies, resends, new SENDs, PING. */
static void
s_pump (sg_client_t *self, int64_t now)
{
    self->out_blocked = 0;
    if (self->state == S_HELLO && self->neps > 1 && now - self->ep_at >= self->timeout_ms
        && now - self->hello_at >= self->timeout_ms)
        s_endpoint_next (self, "gives no WELCOME"); /* not reachable, or not answering */
    if (self->state == S_HELLO) {
        /* A HELLO offers the features we understand. A node from before
         * features drops a HELLO of four frames as malformed, so half a
         * timeout without WELCOME the same HELLO follows without them
         * (once; the next HELLO offers them again). */
        int plain = s_plain_due (self, now);
        if (self->hello_due || now - self->hello_at >= self->timeout_ms || plain) {
            char win[16];
            snprintf (win, sizeof win, "%d", self->window);
            wire_frame_t f[4] = { wire_str (self->role), wire_str (self->name), wire_str (win),
                                  wire_str (WIRE_FEATURE_PACKED) };
            if (plain)
                self->plain_sent = 1;
            else {
                self->hello_at = now;
                self->plain_sent = 0;
            }
            if (wire_send_cmd (self->sock, NULL, 0, WIRE_HELLO, f, plain ? 3 : 4,
                               ZMQ_DONTWAIT) == SG_OK) {
                self->hello_due = 0;
                self->hello_sent = 1;
            }
            else if (self->connected)
                self->out_blocked = 1;  /* the pipe is about to attach: POLLOUT */
            else
                self->hello_due = 0;    /* wait for the handshake or the timer */
        }
        return;
    }
    if (self->state != S_READY)
        return;
    s_flush_replies (self);
    int backed_off = 0;
    int64_t next_due = INT64_MAX;
    for (s_out_t *e = now >= self->next_due ? self->inflight.head : NULL; e; e = e->next) {
        if (e->due > now || self->out_blocked) {
            if (e->due < next_due)
                next_due = e->due;
            continue;
        }
        /* A timeout (due 0 is a new session) is judged with the timeout of
         * now: while the node's ACKs slow down, or after a backoff (once
         * per pass), the wait stretches instead of everything being sent
         * again (as in dispatch.c). */
        if (e->due > 0) {
            int64_t due = e->sent_at + rto_delay (&self->rto, e->attempts - 1);
            if (due > now) {
                e->due = due;
                if (due < next_due)
                    next_due = due;
                continue;
            }
            if (!backed_off) {      /* this one is resent, the others judged anew */
                rto_backoff (&self->rto);
                backed_off = 1;
            }
        }
        if (s_transmit (self, e, now) == SG_OK && e->attempts > 1)
            sg_log_debug ("client: resent %s (attempt %d)", e->id, e->attempts);
        if (e->due < next_due)
            next_due = e->due;
    }
    if (now >= self->next_due)
        self->next_due = next_due;
    size_t skipped = 0;
    s_out_t *e = self->pending.head;
    while (e && !self->out_blocked && self->inflight.n < (size_t) s_window (self)
           && skipped < S_LOOKAHEAD) {
        s_out_t *next = e->next;
        if (s_mrn_busy (self, e->mrn))
            skipped++;
        else if (s_transmit (self, e, now) == SG_OK) {
            s_list_remove (&self->pending, e);
            s_inflight_add (self, e);
        }
        e = next;
    }
    int64_t idle = now - (self->last_rx > self->last_ping ? self->last_rx : self->last_ping);
    if (!self->out_blocked && idle >= self->heartbeat_ms) {
        if (wire_send_cmd (self->sock, NULL, 0, WIRE_PING, NULL, 0, ZMQ_DONTWAIT) == SG_OK)
            self->last_ping = now;
    }
    /* Three heartbeats of silence: our session may be gone; say HELLO again
     * (harmless if it is not) and resend what is in flight after WELCOME. */
    if (now - self->last_rx >= 3 * (int64_t) self->heartbeat_ms) {
        self->state = S_HELLO;
        self->hello_due = 1;
        self->last_rx = now;
    }
}

/* Finds and removes the in-flight SEND with this id; NULL if none. */
static s_out_t *
s_take_inflight (sg_client_t *self, const char *id, size_t len)
{
    for (s_out_t *e = *s_id_bucket (self, id, len); e; e = e->inext)
        if (strlen (e->id) == len && strncasecmp (e->id, id, len) == 0) {
            s_inflight_remove (self, e);
            return e;
        }
    return NULL;
}

static void
s_on_deliver (sg_client_t *self, const wire_msg_t *m)
{
    const wire_frame_t *f = m->frames;
    sg_event_t *ev = s_event_push (self);
    char *block = ev ? malloc (f[0].size + f[1].size + f[2].size + 3) : NULL;
    if (!block) {
        /* Not acknowledged: the node will deliver it again. */
        if (ev)
            self->ev_len--;
        sg_log_error ("client: out of memory for a delivery");
        return;
    }
    ev->type = SG_EV_DELIVER;
    memcpy (ev->id, m->id, sizeof ev->id);
    ev->header = block;
    ev->header_len = f[0].size;
    memcpy (block, f[0].data, f[0].size);
    block[f[0].size] = '\0';
    ev->body = block + f[0].size + 1;
    ev->body_len = f[1].size;
    memcpy (ev->body, f[1].data, f[1].size);
    ev->body[f[1].size] = '\0';
    ev->signature = (unsigned char *) ev->body + f[1].size + 1;
    ev->signature_len = f[2].size;
    memcpy (ev->signature, f[2].data, f[2].size);
    ev->signature[f[2].size] = '\0';
}

static void
s_on_message (sg_client_t *self, const wire_msg_t *m, int64_t now)
{
    self->last_rx = now;
    switch (m->cmd) {
    case WIRE_WELCOME:
        if (self->state != S_HELLO)
            break;
        self->state = S_READY;
        snprintf (self->node, sizeof self->node, "%.*s", (int) m->frames[0].size,
                  (const char *) m->frames[0].data);
        self->peer_window = WIRE_DEFAULT_WINDOW;
        if (m->nframes >= 2)
            self->peer_window = wire_frame_number (&m->frames[1]);
        self->packed = m->nframes == 3 && wire_has_feature (&m->frames[2], WIRE_FEATURE_PACKED);
        /* New session: whatever was in flight may be lost; resend it now. */
        for (s_out_t *e = self->inflight.head; e; e = e->next)
            e->due = 0;
        self->next_due = 0;
        sg_log_info ("client: welcomed by node %s%s", self->node,
                     self->packed ? " (packed)" : "");
        break;
    case WIRE_DENIED:
        if (m->frames[0].size == strlen (WIRE_HELLO_REQUIRED)
            && memcmp (m->frames[0].data, WIRE_HELLO_REQUIRED, m->frames[0].size) == 0) {
            if (self->state == S_READY) {
                sg_log_info ("client: node %s lost our session, saying hello again", self->node);
                self->state = S_HELLO;
                self->hello_due = 1;
            }
            break;
        }
        self->state = S_DENIED;
        snprintf (self->reason, sizeof self->reason, "node denied us: %.*s",
                  (int) (m->frames[0].size > 200 ? 200 : m->frames[0].size),
                  (const char *) m->frames[0].data);
        sg_log_error ("client: %s", self->reason);
        break;
    case WIRE_ACK:
        for (size_t i = 0; i < m->nframes; i++) {
            s_out_t *e = s_take_inflight (self, m->frames[i].data, m->frames[i].size);
            if (e && e->attempts == 1)      /* Karn: never time a resend */
                rto_sample (&self->rto, now - e->sent_at);
            sg_event_t *ev = e ? s_event_push (self) : NULL;
            if (ev) {
                ev->type = SG_EV_ACK;
                memcpy (ev->id, e->id, sizeof ev->id);
            }
            free (e);
        }
        break;
    case WIRE_NAK: {
        s_out_t *e = s_take_inflight (self, m->frames[0].data, m->frames[0].size);
        sg_event_t *ev = e ? s_event_push (self) : NULL;
        if (ev) {
            ev->type = SG_EV_NAK;
            memcpy (ev->id, e->id, sizeof ev->id);
            ev->code = wire_nak_parse (m, ev->reason, sizeof ev->reason);
        }
        free (e);
        break;
    }
    case WIRE_DELIVER:
        if (self->state == S_READY)
            s_on_deliver (self, m);
        break;
    case WIRE_PING:
        wire_send_cmd (self->sock, NULL, 0, WIRE_PONG, NULL, 0, ZMQ_DONTWAIT);
        break;
    case WIRE_PONG:
        break;
    default:
        sg_log_warn ("client: unexpected %s from the node", wire_cmd_name (m->cmd));
        break;
    }
}

/* Handles one socket-monitor event. */
static void
s_on_monitor (sg_client_t *self)
{
    zmq_msg_t f1, f2;
    zmq_msg_init (&f1);
    zmq_msg_init (&f2);
    if (zmq_msg_recv (&f1, self->mon, ZMQ_DONTWAIT) < 0)
        goto done;
    if (zmq_msg_more (&f1))
        zmq_msg_recv (&f2, self->mon, 0);
    if (zmq_msg_size (&f1) < 6)
        goto done;
    const uint8_t *d = zmq_msg_data (&f1);
    uint16_t event;
    uint32_t value;
    memcpy (&event, d, 2);
    memcpy (&value, d + 2, 4);
    if (event == ZMQ_EVENT_DISCONNECTED) {
        if (self->state == S_READY)
            sg_log_info ("client: disconnected from node %s", self->node);
        self->connected = 0;
        self->hello_sent = 0;
        if (self->state != S_DENIED) {
            self->state = S_HELLO;
            self->hello_due = 0;
            self->hello_at = sg_clock_ms ();
            s_endpoint_next (self, "went away");    /* another process of the node */
        }
    }
    else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        /* A new connection is a new session at the node: HELLO again,
         * unless our HELLO already went out through this connection. */
        self->connected = 1;
        if (self->state != S_DENIED)
            self->reason[0] = '\0';
        if (self->state == S_READY || (self->state == S_HELLO && !self->hello_sent)) {
            self->state = S_HELLO;
            self->hello_due = 1;
        }
    }
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf (self->reason, sizeof self->reason,
                  "node refused our CURVE key (ZAP status %u)", (unsigned) value);
        sg_log_warn ("client: %s", self->reason);
    }
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        snprintf (self->reason, sizeof self->reason,
                  "CURVE handshake failed (protocol error %u: wrong server key?)", (unsigned) value);
        sg_log_warn ("client: %s", self->reason);
    }
done:
    zmq_msg_close (&f1);
    zmq_msg_close (&f2);
}

/* Handles everything waiting on the socket and the monitor; returns the
 * number of messages and events handled, or -1 on a socket error. */
static int
s_drain (sg_client_t *self)
{
    int events = 0, handled = 0;
    size_t len = sizeof events;
    while (zmq_getsockopt (self->mon, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN)) {
        s_on_monitor (self);
        handled++;
    }
    for (;;) {
        wire_msg_t *m = NULL;
        sg_diag_t d;
        int rc = wire_recv (self->sock, &m, ZMQ_DONTWAIT, &d);
        if (rc == SG_ETIMEOUT)
            return handled;
        handled++;
        if (rc == SG_EPROTO) {
            sg_log_warn ("client: %s", d.text);
            continue;
        }
        if (rc != SG_OK)
            return -1;
        s_on_message (self, m, sg_clock_ms ());
        wire_msg_destroy (&m);
    }
}

/* Milliseconds until the next timer (resend, hello retry, ping), capped. */
static int64_t
s_next_timer (const sg_client_t *self, int64_t now)
{
    int64_t next = now + self->heartbeat_ms;
    if (self->state == S_HELLO && !self->hello_due)
        next = self->hello_at + (self->hello_sent && !self->plain_sent ? self->timeout_ms / 2
                                                                        : self->timeout_ms);
    if (self->state == S_READY) {
        int64_t ping = (self->last_rx > self->last_ping ? self->last_rx : self->last_ping)
                       + self->heartbeat_ms;
        if (ping < next)
            next = ping;
        if (self->inflight.n && self->next_due < next)
            next = self->next_due;
    }
    return next > now ? next - now : 0;
}

/* One round: drain input, pump output, then wait up to wait_ms for input
 * or for the socket to become writable again. */
static int
s_step (sg_client_t *self, int64_t wait_ms)
{
    int handled = s_drain (self);
    if (handled < 0)
        return SG_EIO;
    int64_t now = sg_clock_ms ();
    s_pump (self, now);
    /* After any input the caller looks again before we sleep. */
    if (handled || self->ev_len || self->state == S_DENIED || wait_ms <= 0)
        return SG_OK;
    int64_t t = s_next_timer (self, now);
    if (t < wait_ms)
        wait_ms = t;
    if (self->out_blocked && wait_ms > 100)
        wait_ms = 100;          /* belt and braces if POLLOUT misses a reconnection */
    zmq_pollitem_t items[2] = {
        { self->sock, 0, ZMQ_POLLIN | (self->out_blocked ? ZMQ_POLLOUT : 0), 0 },
        { self->mon, 0, ZMQ_POLLIN, 0 },
    };
    if (zmq_poll (items, 2, (long) wait_ms) < 0 && errno != EINTR)
        return SG_EIO;
    return SG_OK;
}

sg_client_t *
sg_client_new (const sg_client_opts_t *opts, sg_diag_t *diag)
{
    char mon_ep[64];
    sg_client_t *self = NULL;
    if (!opts || !opts->endpoint || !opts->name) {
        sg_diag_set (diag, SG_EINVAL, 0, 0, "client needs an endpoint and a name");
        return NULL;
    }
    const char *role = opts->role ? opts->role : "adapter";
    if (strlen (opts->name) > WIRE_MAX_NAME || strlen (role) > WIRE_MAX_ROLE) {
        sg_diag_set (diag, SG_EINVAL, 0, 0, "client name or role too long");
        return NULL;
    }
    if (!(self = calloc (1, sizeof *self))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    strcpy (self->role, role);
    strcpy (self->name, opts->name);
    self->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 5000;
    rto_init (&self->rto, self->timeout_ms, S_MAX_BACKOFF_MS);
    self->window = opts->window > 0 ? (opts->window > WIRE_MAX_WINDOW ? WIRE_MAX_WINDOW
                                                                       : opts->window)
                                    : WIRE_DEFAULT_WINDOW;
    self->peer_window = WIRE_DEFAULT_WINDOW;
    self->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : 5000;
    self->state = S_HELLO;
    self->hello_due = 1;
    self->ctx = zmq_ctx_new ();
    self->sock = self->ctx ? zmq_socket (self->ctx, ZMQ_DEALER) : NULL;
    if (!self->sock) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot create socket: %s", zmq_strerror (errno));
        goto fail;
    }
    int rc = wire_setup_client (self->sock, opts->server_public_z85, opts->public_z85,
                                opts->secret_z85, self->heartbeat_ms);
    if (rc != SG_OK) {
        sg_diag_set (diag, rc, 0, 0, rc == SG_EKEY ? "bad CURVE key (need 40 Z85 characters)"
                                                   : "cannot set socket options");
        goto fail;
    }
    snprintf (mon_ep, sizeof mon_ep, "inproc://sigmat-client-mon-%p", (void *) self);
    if (zmq_socket_monitor (self->sock, mon_ep,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED
                                | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0
        || !(self->mon = zmq_socket (self->ctx, ZMQ_PAIR))
        || zmq_connect (self->mon, mon_ep) != 0) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot monitor socket: %s", zmq_strerror (errno));
        goto fail;
    }
    if (!(self->ep_buf = strdup (opts->endpoint))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    for (char *save = NULL, *t = strtok_r (self->ep_buf, ", \t", &save); t;
         t = strtok_r (NULL, ", \t", &save))
        if (self->neps < S_MAX_ENDPOINTS)
            self->eps[self->neps++] = t;
    if (!self->neps || zmq_connect (self->sock, self->eps[0]) != 0) {
        sg_diag_set (diag, SG_EINVAL, 0, 0, "cannot connect to %s: %s", opts->endpoint,
                     self->neps ? zmq_strerror (errno) : "no endpoint");
        goto fail;
    }
    self->ep_at = sg_clock_ms ();
    int64_t deadline = sg_clock_ms () + self->timeout_ms * (int64_t) self->neps;
    self->last_rx = sg_clock_ms ();
    while (self->state != S_READY) {
        int64_t left = deadline - sg_clock_ms ();
        if (self->state == S_DENIED) {
            sg_diag_set (diag, SG_EAUTH, 0, 0, "%s", self->reason);
            goto fail;
        }
        if (left <= 0 || self->reason[0]) {
            sg_diag_set (diag, self->reason[0] ? SG_EAUTH : SG_ETIMEOUT, 0, 0,
                         "no WELCOME from %s within %d ms%s%s", opts->endpoint, self->timeout_ms,
                         self->reason[0] ? ": " : "", self->reason);
            goto fail;
        }
        if (s_step (self, left) != SG_OK) {
            sg_diag_set (diag, SG_EIO, 0, 0, "socket error: %s", zmq_strerror (errno));
            goto fail;
        }
    }
    self->last_rx = self->last_ping = sg_clock_ms ();
    return self;
fail:
    sg_client_destroy (&self);
    return NULL;
}

void
sg_client_destroy (sg_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sg_client_t *self = *self_p;
    if (self->sock) {
        if (self->mon)
            zmq_socket_monitor (self->sock, NULL, 0);
        zmq_close (self->sock);
    }
    if (self->mon) {
        int linger = 0;
        zmq_setsockopt (self->mon, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close (self->mon);
    }
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    s_list_t *lists[2] = { &self->pending, &self->inflight };
    for (int i = 0; i < 2; i++)
        while (lists[i]->head) {
            s_out_t *e = lists[i]->head;
            s_list_remove (lists[i], e);
            free (e);
        }
    while (self->replies) {
        s_reply_t *next = self->replies->next;
        free (self->replies);
        self->replies = next;
    }
    for (size_t i = 0; i < self->ev_len; i++)
        sg_event_clear (&self->evq[(self->ev_head + i) % self->ev_cap]);
    free (self->evq);
    free (self->ep_buf);
    free (self);
    *self_p = NULL;
}

int
sg_client_send (sg_client_t *self, const char *header, size_t hlen, const char *body,
                size_t blen)
{
    char id[WIRE_ID_LEN + 2], mrn[32];
    if (self->state == S_DENIED)
        return SG_EAUTH;
    if (!header || !body || blen == 0
        || wire_header_get (header, hlen, "Message-Id", id, sizeof id) != SG_OK
        || !wire_id_check (id, strlen (id)))
        return SG_EINVAL;
    int rc = wire_header_get (header, hlen, "Mrn", mrn, sizeof mrn);
    if (rc == SG_ETOOBIG)
        return SG_EINVAL;
    s_out_t *e = malloc (sizeof *e + hlen + blen);
    if (!e)
        return SG_ENOMEM;
    memset (e, 0, sizeof *e);
    memcpy (e->id, id, sizeof e->id);
    if (rc == SG_OK)
        memcpy (e->mrn, mrn, sizeof e->mrn);
    e->hlen = hlen;
    e->blen = blen;
    memcpy (e->data, header, hlen);
    memcpy (e->data + hlen, body, blen);
    s_list_push (&self->pending, e);
    s_pump (self, sg_clock_ms ());
    return SG_OK;
}

int
sg_client_poll (sg_client_t *self, sg_event_t *ev, int timeout_ms)
{
    sg_event_clear (ev);
    int64_t deadline = sg_clock_ms () + (timeout_ms < 0 ? INT64_C (1) << 40 : timeout_ms);
    for (;;) {
        if (self->ev_len) {
            *ev = self->evq[self->ev_head];
            self->ev_head = (self->ev_head + 1) % self->ev_cap;
            self->ev_len--;
            return SG_OK;
        }
        if (self->state == S_DENIED) {
            sg_strlcpy (ev->reason, self->reason, sizeof ev->reason);
            return SG_EAUTH;
        }
        int64_t left = deadline - sg_clock_ms ();
        if (left < 0)
            left = 0;
        int rc = s_step (self, left);
        if (rc != SG_OK)
            return rc;
        if (!self->ev_len && self->state != S_DENIED && left == 0)
            return SG_ETIMEOUT;
    }
}

/* Queues an ACK (code 0) or NAK for a DELIVER and sends what it can. */
static int
s_reply (sg_client_t *self, const char *id, int code, const char *reason)
{
    if (!id || !wire_id_check (id, strlen (id)) || code < 0 || code > 65535)
        return SG_EINVAL;
    if (code && (!reason || !reason[0]))
        reason = "refused";
    size_t rlen = code ? strlen (reason) : 0;
    if (rlen > WIRE_MAX_REASON)
        rlen = WIRE_MAX_REASON;
    s_reply_t *r = malloc (sizeof *r + rlen + 1);
    if (!r)
        return SG_ENOMEM;
    r->next = NULL;
    memcpy (r->id, id, sizeof r->id);
    r->code = code;
    memcpy (r->reason, code ? reason : "", rlen);
    r->reason[rlen] = '\0';
    if (self->replies_tail)
        self->replies_tail->next = r;
    else
        self->replies = r;
    self->replies_tail = r;
    s_pump (self, sg_clock_ms ());
    return SG_OK;
}

int
sg_client_ack (sg_client_t *self, const char *id)
{
    return s_reply (self, id, 0, NULL);
}

int
sg_client_nak (sg_client_t *self, const char *id, int code, const char *reason)
{
    if (code <= 0)
        return SG_EINVAL;
    return s_reply (self, id, code, reason);
}

size_t
sg_client_unacked (const sg_client_t *self)
{
    return self->pending.n + self->inflight.n;
}

const char *
sg_client_node_name (const sg_client_t *self)
{
    return self->node;
}

void
sg_event_clear (sg_event_t *ev)
{
    if (!ev)
        return;
    free (ev->header);          /* body and signature share this block */
    memset (ev, 0, sizeof *ev);
}

int
sg_client_header (const char *body, size_t blen, const char *origin, const char *officer,
                  char **buf_p, size_t *len_p, char id_out[37], sg_diag_t *diag)
{
    sg_msg_head_t head;
    *buf_p = NULL;
    *len_p = 0;
    int rc = sg_msg_peek (body, blen, &head, diag);
    if (rc != SG_OK)
        return rc;
    sg_header_fields_t f = { .id = head.id, .type = sg_msg_type_name (head.type),
                             .mrn = head.mrn, .sender = head.sender,
                             .recipient = head.recipient,
                             .origin = origin && *origin ? origin : "unknown",
                             .correlation_id = head.correlation_id, .officer = officer };
    rc = sg_header_build (&f, buf_p, len_p);
    if (rc == SG_ENOMEM)
        return sg_diag_set (diag, rc, 0, 0, "out of memory");
    if (rc != SG_OK)
        return sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "cannot build a header from the message's own fields");
    if (id_out)
        memcpy (id_out, head.id, sizeof head.id);
    return SG_OK;
}

int
sg_client_send_body (sg_client_t *self, const char *body, size_t blen, char id_out[37],
                     sg_diag_t *diag)
{
    char *buf = NULL, id[37];
    size_t len = 0;
    int rc = sg_client_header (body, blen, sg_client_node_name (self), NULL, &buf, &len, id,
                               diag);
    if (rc == SG_OK) {
        rc = sg_client_send (self, buf, len, body, blen);
        if (rc != SG_OK)
            sg_diag_set (diag, rc, 0, 0, "cannot queue the message: %s", sg_strerror (rc));
        else if (id_out)
            memcpy (id_out, id, sizeof id);
    }
    free (buf);
    return rc;
}
