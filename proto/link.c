/* link.c - the adapters' link to their node: one sg_client session kept up,
 * the durable outbox pumped through it (header built once, stored, resent
 * byte for byte), ACK/NAK recorded through the adapter's callbacks, and
 * each DELIVER answered from the adapter's verdict: ACK, nothing (the node
 * resends), or NAK with the delivery kept in the rejected folder. */
#include "link.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "header.h"
#include "log.h"
#include "sign.h"

#define S_DEFAULT_INFLIGHT 1000

struct sg_link_t {
    sg_link_opts_t o;
    sg_link_ops_t ops;
    sg_client_t *client;
    int64_t cursor;             /* last outbox seq handed to this session */
    int64_t next_connect, last_pump;
    int more;                   /* the last pump filled the room: look again */
    int warned;                 /* the node is away and we said so */
    atomic_int kicked;
    char state[700];
    char since[21], last_ack[21];
};

/* A copy of an outbox row, taken while the store walks its queue. */
typedef struct {
    int64_t seq;
    char id[37];
    char *header, *body, *officer;
    size_t hlen, blen;
} s_row_t;

typedef struct {
    s_row_t *rows;
    size_t n, cap;
} s_rows_t;

sg_link_t *
sg_link_new (const sg_link_opts_t *opts, const sg_link_ops_t *ops)
{
    sg_link_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->o = *opts;
    self->ops = *ops;
    if (!self->o.max_inflight)
        self->o.max_inflight = S_DEFAULT_INFLIGHT;
    if (!self->o.reconnect_ms)
        self->o.reconnect_ms = 1000;
    atomic_init (&self->kicked, 1);
    sg_strlcpy (self->state, "not connected yet", sizeof self->state);
    return self;
}

void
sg_link_destroy (sg_link_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sg_client_destroy (&(*self_p)->client);
    free (*self_p);
    *self_p = NULL;
}

void
sg_link_kick (sg_link_t *self)
{
    atomic_store (&self->kicked, 1);
}

int
sg_link_connected (const sg_link_t *self)
{
    return self->client != NULL;
}

const char *
sg_link_state (const sg_link_t *self)
{
    return self->state;
}

const char *
sg_link_since (const sg_link_t *self)
{
    return self->since;
}

const char *
sg_link_last_ack (const sg_link_t *self)
{
    return self->last_ack;
}

size_t
sg_link_unacked (const sg_link_t *self)
{
    return self->client ? sg_client_unacked (self->client) : 0;
}

static void
s_connect (sg_link_t *self)
{
    const sg_link_opts_t *o = &self->o;
    char srv[SG_SIGN_CURVE_Z85_LEN + 1], pub[SG_SIGN_CURVE_Z85_LEN + 1], sec[SG_SIGN_CURVE_Z85_LEN + 1];
    sg_client_opts_t co = { .endpoint = o->endpoint, .role = "adapter", .name = o->name,
                            .timeout_ms = o->timeout_ms, .window = o->window };
    sg_diag_t diag;
    sg_diag_clear (&diag);
    if (o->node_public || o->curve_public || o->curve_secret) {
        if (!o->node_public || !o->curve_public || !o->curve_secret
            || sg_sign_curve_load (o->node_public, srv) != SG_OK
            || sg_sign_curve_load (o->curve_public, pub) != SG_OK
            || sg_sign_curve_load (o->curve_secret, sec) != SG_OK) {
            snprintf (self->state, sizeof self->state, "cannot read the CURVE key files "
                      "(the node's public key, our public and secret keys)");
            goto failed;
        }
        co.server_public_z85 = srv, co.public_z85 = pub, co.secret_z85 = sec;
    }
    if (!(self->client = sg_client_new (&co, &diag))) {
        snprintf (self->state, sizeof self->state, "unreachable: %s", diag.text);
        goto failed;
    }
    self->cursor = 0;               /* a new session resends everything unanswered */
    self->more = 0;
    self->warned = 0;
    atomic_store (&self->kicked, 1);
    sg_utc_now (self->since);
    snprintf (self->state, sizeof self->state, "connected to %s (%s)",
              sg_client_node_name (self->client), o->endpoint);
    sg_log_info ("connected to node %s at %s", sg_client_node_name (self->client), o->endpoint);
    return;
failed:
    if (!self->warned++)
        sg_log_warn ("node %s: %s; retrying", o->endpoint, self->state);
}

static int
s_collect (void *arg, const sg_link_out_t *out)
{
    s_rows_t *b = arg;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        s_row_t *p = realloc (b->rows, cap * sizeof *p);
        if (!p)
            return SG_ENOMEM;
        b->rows = p, b->cap = cap;
    }
    s_row_t *r = &b->rows[b->n];
    memset (r, 0, sizeof *r);
    r->seq = out->seq;
    sg_strlcpy (r->id, out->id ? out->id : "", sizeof r->id);
    if (out->header && out->header_len && !(r->header = strndup (out->header, out->header_len)))
        return SG_ENOMEM;
    r->hlen = r->header ? out->header_len : 0;
    b->n++;
    if (!(r->body = malloc (out->body_len + 1)))
        return SG_ENOMEM;
    memcpy (r->body, out->body, out->body_len);
    r->body[out->body_len] = 0;
    r->blen = out->body_len;
    if (out->officer && out->officer[0] && !(r->officer = strdup (out->officer)))
        return SG_ENOMEM;
    return SG_OK;
}

/* Hands the queued messages after the cursor to the client, up to the room
 * left under max_inflight, building (and storing) a header where none was
 * built before. */
static void
s_pump (sg_link_t *self)
{
    size_t busy = sg_client_unacked (self->client);
    size_t room = busy < self->o.max_inflight ? self->o.max_inflight - busy : 0;
    self->more = 0;
    self->last_pump = sg_clock_ms ();
    if (room == 0) {
        self->more = 1;
        return;
    }
    s_rows_t b = { NULL, 0, 0 };
    int rc = self->ops.pending (self->ops.arg, self->cursor, room, s_collect, &b);
    if (rc != SG_OK)
        sg_log_error ("cannot read the outbox: %s", sg_strerror (rc));
    for (size_t i = 0; rc == SG_OK && i < b.n; i++) {
        s_row_t *r = &b.rows[i];
        if (!r->header) {
            sg_diag_t d;
            char id[37];
            sg_diag_clear (&d);
            if (sg_client_header (r->body, r->blen, sg_client_node_name (self->client),
                                  r->officer, &r->header, &r->hlen, id, &d) != SG_OK) {
                sg_log_error ("cannot build the header of outbox message %s: %s", r->id, d.text);
                self->cursor = r->seq;
                continue;
            }
            if (self->ops.set_header
                && self->ops.set_header (self->ops.arg, r->id, r->header, r->hlen) != SG_OK) {
                sg_log_error ("cannot store the header of %s; tried again later", r->id);
                self->more = 1;
                break;
            }
        }
        rc = sg_client_send (self->client, r->header, r->hlen, r->body, r->blen);
        if (rc != SG_OK) {
            sg_log_error ("cannot send message %s: %s", r->id, sg_strerror (rc));
            self->more = 1;             /* try again on the next turn */
            break;
        }
        self->cursor = r->seq;
    }
    if (rc == SG_OK && b.n >= room)
        self->more = 1;
    for (size_t i = 0; i < b.n; i++) {
        free (b.rows[i].header);
        free (b.rows[i].body);
        free (b.rows[i].officer);
    }
    free (b.rows);
}

/* Writes "deliver-TYPE_MRN_ID.xml" (or "deliver-ID.xml" for a header we
 * cannot read) into name. */
static void
s_kept_name (const sg_event_t *ev, sg_hdr_t *h, char *name, size_t size)
{
    const char *type = h ? sg_hdr_get (h,
                                       SG_HDR_TYPE) : NULL, *mrn = h ? sg_hdr_get (h, SG_HDR_MRN) : NULL;
    if (type && mrn && sg_hdr_node_name_check (type) && sg_hdr_node_name_check (mrn))
        snprintf (name, size, "deliver-%s_%s_%s.xml", type, mrn, ev->id);
    else
        snprintf (name, size, "deliver-%s.xml", ev->id);
}

int
sg_link_keep_refused (const char *dir, const sg_event_t *ev, int code, const char *reason,
                      sg_diag_t *diag)
{
    sg_hdr_t *h = NULL;
    char name[200], path[4096], *err = NULL, stamp[21];
    int rc = SG_OK;
    if (!ev->header || sg_hdr_parse (ev->header, ev->header_len, &h, NULL) != SG_OK)
        h = NULL;
    s_kept_name (ev, h, name, sizeof name);
    sg_utc_now (stamp);
    if (mkdir (dir, 0750) != 0 && errno != EEXIST) {
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot make %s: %s", dir, strerror (errno));
        goto done;
    }
    snprintf (path, sizeof path, "%s/%s", dir, name);
    if (sg_file_write (path, ev->body ? ev->body : "", ev->body_len, 0640) != SG_OK) {
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot write %s: %s", path, strerror (errno));
        goto done;
    }
    const char *g = h ? sg_hdr_get (h, SG_HDR_SENDER) : NULL;
    int n = asprintf (&err,
        "%s: delivery %s refused for good at %s\n"
        "  type %s, MRN %s, from %s, through node %s\n"
        "  NAK %d: %s\n"
        "What to do: the node keeps it as a dead letter. Fix the cause (the office table,\n"
        "the mapping or the stylesheet of this adapter), then ask the node's operator to\n"
        "send it again: sigmatctl dead replay %s\n"
        "Header as delivered:\n%.*s%s",
        name, ev->id, stamp, h && sg_hdr_get (h, SG_HDR_TYPE) ? sg_hdr_get (h, SG_HDR_TYPE) : "?",
        h && sg_hdr_get (h, SG_HDR_MRN) ? sg_hdr_get (h, SG_HDR_MRN) : "?", g ? g : "?",
        h && sg_hdr_get (h,
                         SG_HDR_ORIGIN_NODE) ? sg_hdr_get (h,
                                                           SG_HDR_ORIGIN_NODE) : "?", code, reason,
        ev->id, (int) (ev->header ? ev->header_len : 0), ev->header ? ev->header : "",
        ev->header_len && ev->header[ev->header_len - 1] != '\n' ? "\n" : "");
    if (n < 0) {
        err = NULL;
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    snprintf (path, sizeof path, "%s/%s.err", dir, name);
    if (sg_file_write (path, err, (size_t) n, 0640) != SG_OK)
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot write %s: %s", path, strerror (errno));
done:
    free (err);
    sg_hdr_destroy (&h);
    return rc;
}

/* Answers the node for one DELIVER from what the adapter made of it. */
static void
s_deliver (sg_link_t *self, const sg_event_t *ev)
{
    sg_diag_t d;
    sg_diag_clear (&d);
    int r = self->ops.deliver (self->ops.arg, ev, &d);
    if (r == SG_LINK_DELIVERED) {
        sg_client_ack (self->client, ev->id);
        return;
    }
    if (r != SG_LINK_REFUSE) {
        sg_log_warn ("delivery %s not taken now (%s); the node will deliver it again", ev->id,
                  d.text[0] ? d.text : "no reason given");
        return;
    }
    int code = d.nak ? d.nak : SG_NAK_UNDELIVERABLE;
    const char *reason = d.text[0] ? d.text : "the adapter cannot take this message";
    /* Kept, logged and counted before the NAK: once the node has it, the
     * message is a dead letter there, and the copy here must be in place. */
    sg_diag_t kd;
    sg_diag_clear (&kd);
    if (self->o.rejected_dir
        && sg_link_keep_refused (self->o.rejected_dir, ev, code, reason, &kd) != SG_OK)
        sg_log_error ("delivery %s: cannot keep a copy: %s", ev->id, kd.text);
    sg_log_error ("delivery %s refused for good: NAK %d %s%s%s", ev->id, code, reason,
               self->o.rejected_dir ? "; kept in " : "",
               self->o.rejected_dir ? self->o.rejected_dir : "");
    if (self->ops.refused)
        self->ops.refused (self->ops.arg, ev, code, reason);
    sg_client_nak (self->client, ev->id, code, reason);
}

/* Handles what the client reports for up to timeout_ms; SG_OK, or the
 * error that ended the session (the client is dropped). */
static int
s_events (sg_link_t *self, int timeout_ms)
{
    sg_event_t ev;
    memset (&ev, 0, sizeof ev);
    for (int i = 0; i < 1000; i++) {
        int rc = sg_client_poll (self->client, &ev, i ? 0 : timeout_ms);
        if (rc == SG_ETIMEOUT)
            break;
        if (rc != SG_OK) {
            snprintf (self->state, sizeof self->state, "%s: %s",
                      rc == SG_EAUTH ? "denied" : "connection error",
                      ev.reason[0] ? ev.reason : sg_strerror (rc));
            sg_log_warn ("node link: %s; reconnecting", self->state);
            sg_utc_now (self->since);
            sg_event_clear (&ev);
            sg_client_destroy (&self->client);
            self->next_connect = 0;     /* at once; later attempts every reconnect_ms */
            return rc;
        }
        if (ev.type == SG_EV_ACK) {
            sg_utc_now (self->last_ack);
            self->ops.answered (self->ops.arg, ev.id, 0, NULL);
        }
        else if (ev.type == SG_EV_NAK)
            self->ops.answered (self->ops.arg, ev.id, ev.code, ev.reason);
        else if (ev.type == SG_EV_DELIVER)
            s_deliver (self, &ev);
        sg_event_clear (&ev);
    }
    return SG_OK;
}

int
sg_link_step (sg_link_t *self, int timeout_ms)
{
    int64_t now = sg_clock_ms ();
    if (!self->client) {
        if (now < self->next_connect) {
            int64_t wait = self->next_connect - now;
            if (timeout_ms >= 0 && wait > timeout_ms)
                wait = timeout_ms;
            usleep ((useconds_t) wait * 1000);
            return SG_OK;
        }
        s_connect (self);
        self->next_connect = sg_clock_ms () + self->o.reconnect_ms;
        if (!self->client)
            return SG_OK;
    }
    int due = self->o.pump_ms == 0
              || (self->o.pump_ms > 0 && now - self->last_pump >= self->o.pump_ms);
    if (atomic_exchange (&self->kicked, 0) || self->more || due)
        s_pump (self);
    return s_events (self, self->more ? 0 : timeout_ms);
}
