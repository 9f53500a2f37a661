/* sgtest.c - the scenario tests' client: sends generated messages through
 * a node (proto/client.h) and records every ACK/NAK, receives and
 * acknowledges deliveries recording what arrived, sends a single body
 * file as is, and impersonates a peer node with a forged signature.
 *
 *   sgtest hello  CONN     (connects, prints "WELCOME node", exit 0; 3 if refused)
 *   sgtest send   CONN --template XML --from OFFICE --to OFFICE[,OFFICE...]
 *                 --count N [--mrns M] [--repeat K] [--out FILE] [--timeout S]
 *                 [--mrn-list FILE]   (the MRNs, one a line, instead of new ones)
 *   sgtest body   CONN --body FILE [--type T --mrn MRN --from O --to O --id UUID]
 *   sgtest listen CONN --count N --out FILE [--timeout S]
 *   sgtest forge  CONN --sign-key PEM --origin NODE (--template XML --from O --to O
 *                 | --body FILE [--to O: header's recipient]) [--officer ID]
 *                 (as a peer node that skips its own checks: HELLO node, the
 *                 message signed with the node's key; prints DENIED reason,
 *                 ACK id or NAK id code reason)
 *   sgtest one    CONN [--role R] [--rid RID] [--hello no] [--sign-key PEM]
 *                 [--officer ID] (--template ... | --body FILE)   (one SEND as
 *                 any role, or with no HELLO: a connection reusing another's
 *                 routing id)
 *   sgtest raw    CONN --frames 'CMD|FRAME|...' [--frames ...] [--repeat K]
 *                 [--first F] [--count N] [--timeout S]
 *                 (after HELLO/WELCOME, and after F replies with --first,
 *                 sends each --frames as one multipart
 *                 message, unchecked, K times over; a FRAME "@file" is the
 *                 file's bytes, "#N" is N bytes of 'x', "*N" is N frames of
 *                 one byte; then prints every
 *                 reply as "CMD frame frame..." (escaped, cut at 160 bytes)
 *                 until N replies or the timeout; exit 0 when N arrived;
 *                 a PING a second keeps the session, its PONGs not shown)
 *   CONN = --node ENDPOINT --server-pub FILE --key BASE --name NAME
 *          [--role adapter|node] [--window W]
 *
 * send writes "ACK id mrn seq recipient" / "NAK id code reason" lines (--out, else
 * stdout); listen writes "id mrn seq sender recipient" per delivery, and
 * "DUP id" for a delivery seen before. Generated messages carry the
 * header extension "X-Seq: n" (n counts per MRN from 1) so the receiver
 * can check the order per MRN. Exit 0 when everything was answered. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "client.h"
#include "header.h"
#include "ident.h"
#include "log.h"
#include "msg.h"
#include "msggen.h"
#include "sign.h"
#include "wire.h"
#include "xmlsafe.h"

typedef struct {
    const char *node, *server_pub, *key, *name, *role;
    const char *template, *from, *to, *out, *body, *type, *mrn, *id, *sign_key, *origin;
    const char *mrn_list, *rid, *officer;
    long count, mrns, repeat, timeout, window, first;
    int no_hello;
    const char *frames[64];
    int nframes;
} s_opts_t;

static void
s_die (const char *fmt, const char *a)
{
    fprintf (stderr, "sgtest: ");
    fprintf (stderr, fmt, a ? a : "");
    fprintf (stderr, "\n");
    exit (2);
}

static sg_client_t *
s_connect (const s_opts_t *o)
{
    sg_client_t *c = msggen_connect (o->node, o->server_pub, o->key, o->name, o->role,
                                     (int) o->window, o->timeout);
    if (!c)
        exit (3);
    return c;
}

static int
s_cmd_send (const s_opts_t *o)
{
    sg_client_t *c = s_connect (o);
    sg_msg_t *t = msggen_template (o->template);
    const char *origin = sg_client_node_name (c);
    char tos[16][9];
    size_t nto = 0;
    for (const char *p = o->to; *p && nto < 16;) {
        size_t n = strcspn (p, ",");
        snprintf (tos[nto++], sizeof tos[0], "%.*s", (int) n, p);
        p += n + (p[n] == ',');
    }
    long nmrn = o->mrns > 0 ? o->mrns : 1;
    size_t list_len = 0;
    char *list = o->mrn_list ? msggen_read (o->mrn_list, &list_len) : NULL;
    if (list) {
        nmrn = 0;
        for (size_t i = 0; i < list_len; i++)
            nmrn += list[i] == '\n';
    }
    if (nmrn < 1)
        s_die ("no MRN in %s", o->mrn_list);
    char (*mrns)[19] = calloc ((size_t) nmrn, sizeof *mrns);
    long *seqs = calloc ((size_t) nmrn, sizeof *seqs);
    char country[3] = { o->from[0], o->from[1], 0 };
    for (long i = 0, at = 0; i < nmrn; i++) {
        if (list) {
            size_t n = strcspn (list + at, "\n");
            snprintf (mrns[i], sizeof mrns[i], "%.*s", (int) n, list + at);
            at += (long) n + 1;
        }
        else if (sg_mrn_new (country, mrns[i]) != SG_OK)
            s_die ("cannot make an MRN for %s", country);
    }
    free (list);
    /* id -> mrn/seq for the report, in send order */
    typedef struct { char id[37]; long m, seq, to; } s_sent_t;
    s_sent_t *sent = calloc ((size_t) o->count, sizeof *sent);
    FILE *out = o->out ? fopen (o->out, "w") : stdout;
    if (!out)
        s_die ("cannot write %s", o->out);
    long made = 0, answered = 0, expected = o->count * (o->repeat > 0 ? o->repeat : 1);
    long acks = 0, naks = 0;
    int64_t idle_deadline = sg_clock_ms () + o->timeout * 1000;
    size_t max_unacked = (size_t) (o->window > 0 ? o->window : 64) * 4;
    sg_event_t ev;
    memset (&ev, 0, sizeof ev);
    while (answered < expected) {
        while (made < o->count && sg_client_unacked (c) < max_unacked) {
            s_sent_t *s = &sent[made];
            sg_msgid_new (s->id);
            s->m = made % nmrn;
            s->seq = ++seqs[s->m];
            s->to = made % (long) nto;
            const char *to = tos[s->to];
            size_t hl, bl;
            char *body = msggen_body (t, s->id, mrns[s->m], o->from, to, &bl);
            char seqtext[24];
            snprintf (seqtext, sizeof seqtext, "%ld", s->seq);
            char *hdr = msggen_header (s->id, sg_msg_type_name (t->type), mrns[s->m], o->from, to,
                                       origin, "X-Seq", seqtext, &hl);
            for (long r = 0; r < (o->repeat > 0 ? o->repeat : 1); r++)
                if (sg_client_send (c, hdr, hl, body, bl) != SG_OK)
                    s_die ("cannot queue %s", s->id);
            free (hdr);
            free (body);
            made++;
        }
        int rc = sg_client_poll (c, &ev, 200);
        if (rc == SG_ETIMEOUT) {
            if (sg_clock_ms () > idle_deadline)
                break;
            continue;
        }
        if (rc != SG_OK)
            s_die ("client failed: %s", ev.reason);
        idle_deadline = sg_clock_ms () + o->timeout * 1000;
        if (ev.type == SG_EV_ACK || ev.type == SG_EV_NAK) {
            answered++;
            const s_sent_t *s = NULL;
            for (long i = made - 1; i >= 0 && !s; i--)
                if (strcmp (sent[i].id, ev.id) == 0)
                    s = &sent[i];
            if (ev.type == SG_EV_ACK) {
                acks++;
                fprintf (out, "ACK %s %s %ld %s\n", ev.id, s ? mrns[s->m] : "?", s ? s->seq : 0,
                         s ? tos[s->to] : "?");
            }
            else {
                naks++;
                fprintf (out, "NAK %s %d %s\n", ev.id, ev.code, ev.reason);
            }
        }
        else if (ev.type == SG_EV_DELIVER)
            sg_client_ack (c, ev.id);
    }
    sg_event_clear (&ev);
    if (out != stdout)
        fclose (out);
    fprintf (stderr, "sgtest send: %ld sent, %ld ACK, %ld NAK, %ld unanswered\n", made, acks,
             naks, expected - answered);
    sg_client_destroy (&c);
    sg_msg_destroy (&t);
    free (sent);
    free (mrns);
    free (seqs);
    return answered == expected ? 0 : 1;
}

static int
s_cmd_body (const s_opts_t *o)
{
    sg_client_t *c = s_connect (o);
    size_t bl, hl;
    char *body = msggen_read (o->body, &bl);
    sg_msg_head_t head;
    sg_diag_t d;
    memset (&head, 0, sizeof head);
    if (sg_msg_peek (body, bl, &head, &d) != SG_OK)
        memset (&head, 0, sizeof head);
    char id[37];
    if (o->id)
        sg_strlcpy (id, o->id, sizeof id);
    else if (head.id[0])
        sg_strlcpy (id, head.id, sizeof id);
    else
        sg_msgid_new (id);
    const char *type = o->type ? o->type : head.type ? sg_msg_type_name (head.type) : "WOF";
    const char *mrn = o->mrn ? o->mrn : head.mrn;
    const char *from = o->from ? o->from : head.sender;
    const char *to = o->to ? o->to : head.recipient;
    char *hdr = msggen_header (id, type, mrn, from, to, sg_client_node_name (c), NULL, NULL, &hl);
    if (sg_client_send (c, hdr, hl, body, bl) != SG_OK)
        s_die ("cannot queue %s", id);
    sg_event_t ev;
    memset (&ev, 0, sizeof ev);
    int rc = 1;
    int64_t deadline = sg_clock_ms () + o->timeout * 1000;
    while (sg_clock_ms () < deadline) {
        if (sg_client_poll (c, &ev, 200) != SG_OK)
            continue;
        if (ev.type == SG_EV_ACK) {
            printf ("ACK %s\n", ev.id);
            rc = 0;
            break;
        }
        if (ev.type == SG_EV_NAK) {
            printf ("NAK %s %d %s\n", ev.id, ev.code, ev.reason);
            rc = 0;
            break;
        }
    }
    if (rc)
        printf ("TIMEOUT %s\n", id);
    sg_event_clear (&ev);
    free (hdr);
    free (body);
    sg_client_destroy (&c);
    return rc;
}

/* Tiny open set of ids seen by listen. */
typedef struct {
    char (*k)[37];
    size_t cap, n;
} s_set_t;

static size_t
s_h (const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char) *s++;
    return h;
}

/* Adds id; returns 1 if it was new. */
static int
s_set_add (s_set_t *set, const char *id)
{
    if (set->n * 2 >= set->cap) {
        s_set_t bigger = { calloc (set->cap ? set->cap * 2 : 1024, 37), set->cap ? set->cap * 2 : 1024, 0 };
        for (size_t i = 0; i < set->cap; i++)
            if (set->k[i][0])
                s_set_add (&bigger, set->k[i]);
        free (set->k);
        *set = bigger;
    }
    size_t i = s_h (id) & (set->cap - 1);
    while (set->k[i][0]) {
        if (strcmp (set->k[i], id) == 0)
            return 0;
        i = (i + 1) & (set->cap - 1);
    }
    sg_strlcpy (set->k[i], id, 37);
    set->n++;
    return 1;
}

static int
s_cmd_listen (const s_opts_t *o)
{
    sg_client_t *c = s_connect (o);
    FILE *out = o->out ? fopen (o->out, "w") : stdout;
    if (!out)
        s_die ("cannot write %s", o->out);
    s_set_t seen = { 0 };
    long dups = 0;
    sg_event_t ev;
    memset (&ev, 0, sizeof ev);
    int64_t deadline = sg_clock_ms () + o->timeout * 1000;
    while ((long) seen.n < o->count && sg_clock_ms () < deadline) {
        int rc = sg_client_poll (c, &ev, 200);
        if (rc == SG_ETIMEOUT)
            continue;
        if (rc != SG_OK)
            s_die ("client failed: %s", ev.reason);
        if (ev.type != SG_EV_DELIVER)
            continue;
        deadline = sg_clock_ms () + o->timeout * 1000;
        char mrn[32] = "", seq[32] = "", from[16] = "", to[16] = "";
        wire_header_get (ev.header, ev.header_len, "Mrn", mrn, sizeof mrn);
        wire_header_get (ev.header, ev.header_len, "X-Seq", seq, sizeof seq);
        wire_header_get (ev.header, ev.header_len, "Sender", from, sizeof from);
        wire_header_get (ev.header, ev.header_len, "Recipient", to, sizeof to);
        if (s_set_add (&seen, ev.id))
            fprintf (out, "%s %s %s %s %s\n", ev.id, mrn, seq[0] ? seq : "0", from, to);
        else {
            fprintf (out, "DUP %s\n", ev.id);
            dups++;
        }
        fflush (out);
        sg_client_ack (c, ev.id);
    }
    /* Let the last ACKs go out. */
    for (int i = 0; i < 5; i++)
        if (sg_client_poll (c, &ev, 100) == SG_OK && ev.type == SG_EV_DELIVER)
            sg_client_ack (c, ev.id);
    sg_event_clear (&ev);
    fprintf (stderr, "sgtest listen %s: %zu delivered, %ld duplicates\n", o->name, seen.n, dups);
    if (out != stdout)
        fclose (out);
    free (seen.k);
    sg_client_destroy (&c);
    return (long) seen.n >= o->count ? 0 : 1;
}

/* A DEALER (with routing id --rid if given) that said HELLO as role and
 * got WELCOME (exits otherwise); with --hello no, just connected. */
/* HELLOs s_raw_open sent beyond the one answered: a busy node answers
 * each, and those WELCOMEs are no replies to what raw sends next. */
static long s_extra_welcomes;

static void *
s_raw_open (const s_opts_t *o, void *ctx, const char *role)
{
    char path[1024], pub[41], sec[41], srv[41], win[16];
    sg_diag_t d;
    snprintf (path, sizeof path, "%s.curve.pub", o->key);
    sg_sign_curve_load (path, pub);
    snprintf (path, sizeof path, "%s.curve.key", o->key);
    sg_sign_curve_load (path, sec);
    if (sg_sign_curve_load (o->server_pub, srv) != SG_OK)
        s_die ("cannot read %s", o->server_pub);
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    if (o->rid)
        zmq_setsockopt (sock, ZMQ_ROUTING_ID, o->rid, strlen (o->rid));
    if (wire_setup_client (sock, srv, pub, sec, 1000) != SG_OK || zmq_connect (sock, o->node))
        s_die ("cannot connect to %s", o->node);
    int tmo = 200;
    zmq_setsockopt (sock, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    if (o->no_hello)
        return sock;
    snprintf (win, sizeof win, "%ld", o->window);
    wire_frame_t hello[3] = { wire_str (role), wire_str (o->name), wire_str (win) };
    int64_t deadline = sg_clock_ms () + o->timeout * 1000;
    s_extra_welcomes = -1;
    while (sg_clock_ms () < deadline) {
        wire_send_cmd (sock, NULL, 0, WIRE_HELLO, hello, 3, ZMQ_DONTWAIT);
        s_extra_welcomes++;
        wire_msg_t *m = NULL;
        int welcomed = wire_recv (sock, &m, 0, &d) == SG_OK && m->cmd == WIRE_WELCOME;
        wire_msg_destroy (&m);
        if (welcomed)
            return sock;
    }
    s_die ("no WELCOME from %s", o->node);
    return NULL;
}

/* Sends one spec "CMD|FRAME|..." as a multipart message, unchecked. */
static void
s_raw_send (void *sock, const char *spec)
{
    char *copy = strdup (spec), *save = NULL;
    zmq_send (sock, WIRE_MAGIC, strlen (WIRE_MAGIC), ZMQ_SNDMORE);
    char *part = strtok_r (copy, "|", &save);
    while (part) {
        char *next = strtok_r (NULL, "|", &save);
        int more = next ? ZMQ_SNDMORE : 0;
        if (part[0] == '@') {
            size_t n;
            char *data = msggen_read (part + 1, &n);
            zmq_send (sock, data, n, more);
            free (data);
        }
        else if (part[0] == '*') {
            /* N frames of one byte each, sent one at a time */
            long n = atol (part + 1);
            for (long k = 0; k < n; k++)
                zmq_send (sock, "x", 1, k + 1 < n ? ZMQ_SNDMORE : more);
        }
        else if (part[0] == '#') {
            size_t n = (size_t) atol (part + 1);
            char *data = malloc (n ? n : 1);
            memset (data, 'x', n);
            zmq_send (sock, data, n, more);
            free (data);
        }
        else
            zmq_send (sock, part, strlen (part), more);
        part = next;
    }
    free (copy);
}

static int
s_cmd_raw (const s_opts_t *o)
{
    void *ctx = zmq_ctx_new ();
    void *sock = s_raw_open (o, ctx, o->role);
    long got = 0, keepalives = 0;
    int sent = 0;
    int64_t deadline = sg_clock_ms () + o->timeout * 1000, next_ping = sg_clock_ms () + 1000;
    while (got < o->count && sg_clock_ms () < deadline) {
        if (!sent && got >= o->first) {
            for (long r = 0; r < o->repeat; r++)
                for (int i = 0; i < o->nframes; i++)
                    s_raw_send (sock, o->frames[i]);
            sent = 1;
        }
        /* a PING a second keeps the session (the node forgets silent ones);
         * their PONGs are not counted */
        if (sg_clock_ms () >= next_ping) {
            wire_send_cmd (sock, NULL, 0, WIRE_PING, NULL, 0, ZMQ_DONTWAIT);
            keepalives++;
            next_ping = sg_clock_ms () + 1000;
        }
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, sock, 0) < 0) {
            zmq_msg_close (&part);
            continue;
        }
        if ((keepalives > 0 || s_extra_welcomes > 0) && zmq_msg_more (&part)) {
            /* look at the command frame: a PONG may be one of ours, a
             * WELCOME an answer to a HELLO repeated at the start */
            zmq_msg_t cmd;
            zmq_msg_init (&cmd);
            zmq_msg_recv (&cmd, sock, 0);
            const char *c = zmq_msg_data (&cmd);
            size_t cn = zmq_msg_size (&cmd);
            int is_pong = keepalives > 0 && cn == 4 && !memcmp (c, "PONG", 4)
                          && !zmq_msg_more (&cmd);
            int is_welcome = s_extra_welcomes > 0 && cn == 7 && !memcmp (c, "WELCOME", 7);
            if (is_pong || is_welcome) {
                keepalives -= is_pong;
                s_extra_welcomes -= is_welcome;
                while (zmq_msg_more (&cmd)) {
                    zmq_msg_close (&cmd);
                    zmq_msg_init (&cmd);
                    zmq_msg_recv (&cmd, sock, 0);
                }
                zmq_msg_close (&cmd);
                zmq_msg_close (&part);
                continue;
            }
            /* neither: print it as below, starting from the command */
            zmq_msg_close (&part);
            part = cmd;
        }
        /* one reply: print its frames after the magic */
        int first = 1, more;
        do {
            const unsigned char *p = zmq_msg_data (&part);
            size_t n = zmq_msg_size (&part);
            if (!(first && n == strlen (WIRE_MAGIC) && !memcmp (p, WIRE_MAGIC, n))) {
                if (!first)
                    putchar (' ');
                for (size_t k = 0; k < n && k < 160; k++)
                    if (p[k] < 0x20 || p[k] >= 0x7f || p[k] == '\\')
                        printf ("\\x%02x", p[k]);
                    else
                        putchar (p[k]);
                first = 0;
            }
            more = zmq_msg_more (&part);
            zmq_msg_close (&part);
            zmq_msg_init (&part);
        } while (more && zmq_msg_recv (&part, sock, 0) >= 0);
        zmq_msg_close (&part);
        putchar ('\n');
        fflush (stdout);
        got++;
    }
    zmq_close (sock);
    zmq_ctx_term (ctx);
    return got >= o->count ? 0 : 1;
}

/* one (and forge --body): a bare DEALER with this client's CURVE keys (and an
 * explicit routing id with --rid), optionally without HELLO, sending one
 * message signed with --sign-key if given: a peer node that skips its own
 * checks, or a connection reusing another's routing id. Prints DENIED
 * reason, ACK id or NAK id code reason as they come. */
static int
s_cmd_one (const s_opts_t *o, const char *role)
{
    char id[37], mrn[19];
    sg_diag_t d;
    sg_sign_key_t *k = NULL;
    if (o->sign_key && !(k = sg_sign_key_load (o->sign_key, &d)))
        s_die ("cannot load key: %s", d.text);
    void *ctx = zmq_ctx_new (), *sock = s_raw_open (o, ctx, role);
    int64_t deadline = sg_clock_ms () + o->timeout * 1000;
    int rc = 1;
    size_t hl, bl;
    char *body, *hdr;
    if (o->body) {
        sg_msg_head_t head;
        memset (&head, 0, sizeof head);
        body = msggen_read (o->body, &bl);
        if (sg_msg_peek (body, bl, &head, &d) != SG_OK)
            s_die ("cannot read the message %s", o->body);
        /* --to puts another recipient in the header than the body's */
        hdr = msggen_header (head.id, sg_msg_type_name (head.type), head.mrn, head.sender,
                             o->to ? o->to : head.recipient, o->origin ? o->origin : o->name,
                             o->officer ? "Officer" : NULL, o->officer, &hl);
    }
    else {
        sg_msg_t *t = msggen_template (o->template);
        char country[3] = { o->from[0], o->from[1], 0 };
        sg_msgid_new (id);
        sg_mrn_new (country, mrn);
        body = msggen_body (t, id, mrn, o->from, o->to, &bl);
        hdr = msggen_header (id, sg_msg_type_name (t->type), mrn, o->from, o->to,
                             o->origin ? o->origin : o->name, NULL, NULL, &hl);
        sg_msg_destroy (&t);
    }
    unsigned char sig[SG_SIGN_LEN];
    if (k)
        sg_sign_message (k, hdr, hl, body, bl, sig);
    wire_frame_t f[3] = { { hdr, hl }, { body, bl }, { sig, SG_SIGN_LEN } };
    wire_send_cmd (sock, NULL, 0, WIRE_SEND, f, k ? 3 : 2, 0);
    while (sg_clock_ms () < deadline) {
        wire_msg_t *m = NULL;
        if (wire_recv (sock, &m, 0, &d) != SG_OK)
            continue;
        if (m->cmd == WIRE_NAK) {
            printf ("NAK %s %.*s %.*s\n", m->id, (int) m->frames[1].size,
                    (const char *) m->frames[1].data, (int) m->frames[2].size,
                    (const char *) m->frames[2].data);
            rc = 0;
        }
        else if (m->cmd == WIRE_ACK) {
            printf ("ACK %s\n", m->id);
            rc = 0;
        }
        else if (m->cmd == WIRE_DENIED) {
            printf ("DENIED %.*s\n", (int) m->frames[0].size, (const char *) m->frames[0].data);
            rc = 0;
        }
        wire_msg_destroy (&m);
        if (rc == 0)
            break;
    }
    free (hdr);
    free (body);
    sg_sign_key_destroy (&k);
    zmq_close (sock);
    zmq_ctx_term (ctx);
    return rc;
}

int
main (int argc, char **argv)
{
    s_opts_t o = { .role = "adapter", .count = 1, .mrns = 1, .repeat = 1, .timeout = 20,
                   .window = 64 };
    int raw = argc > 1 && !strcmp (argv[1], "raw");
    if (raw)
        o.count = 0;
    if (argc < 2)
        s_die ("usage: sgtest send|body|listen|forge|raw OPTIONS%s", "");
    static const struct option longopts[] = {
        { "node", required_argument, NULL, 0 },
        { "server-pub", required_argument, NULL, 0 },
        { "key", required_argument, NULL, 0 },
        { "name", required_argument, NULL, 0 },
        { "role", required_argument, NULL, 0 },
        { "template", required_argument, NULL, 0 },
        { "from", required_argument, NULL, 0 },
        { "to", required_argument, NULL, 0 },
        { "out", required_argument, NULL, 0 },
        { "body", required_argument, NULL, 0 },
        { "type", required_argument, NULL, 0 },
        { "mrn", required_argument, NULL, 0 },
        { "id", required_argument, NULL, 0 },
        { "sign-key", required_argument, NULL, 0 },
        { "origin", required_argument, NULL, 0 },
        { "count", required_argument, NULL, 0 },
        { "mrns", required_argument, NULL, 0 },
        { "mrn-list", required_argument, NULL, 0 },
        { "repeat", required_argument, NULL, 0 },
        { "first", required_argument, NULL, 0 },
        { "timeout", required_argument, NULL, 0 },
        { "window", required_argument, NULL, 0 },
        { "frames", required_argument, NULL, 0 },
        { "rid", required_argument, NULL, 0 },
        { "officer", required_argument, NULL, 0 },
        { "hello", required_argument, NULL, 0 },
        { NULL, 0, NULL, 0 }
    };
    int idx, opt;
    opterr = 0;
    /* argv[1], the command, stands where getopt wants the program's name */
    while ((opt = getopt_long (argc - 1, argv + 1, "+:", longopts, &idx)) != -1) {
        if (opt == ':' || opt == '?')
            s_die ("option %s: unknown or without a value", argv[optind]);
        const char *k = longopts[idx].name, *v = optarg;
        if (!strcmp (k, "node")) o.node = v;
        else if (!strcmp (k, "server-pub")) o.server_pub = v;
        else if (!strcmp (k, "key")) o.key = v;
        else if (!strcmp (k, "name")) o.name = v;
        else if (!strcmp (k, "role")) o.role = v;
        else if (!strcmp (k, "template")) o.template = v;
        else if (!strcmp (k, "from")) o.from = v;
        else if (!strcmp (k, "to")) o.to = v;
        else if (!strcmp (k, "out")) o.out = v;
        else if (!strcmp (k, "body")) o.body = v;
        else if (!strcmp (k, "type")) o.type = v;
        else if (!strcmp (k, "mrn")) o.mrn = v;
        else if (!strcmp (k, "id")) o.id = v;
        else if (!strcmp (k, "sign-key")) o.sign_key = v;
        else if (!strcmp (k, "origin")) o.origin = v;
        else if (!strcmp (k, "count")) o.count = atol (v);
        else if (!strcmp (k, "mrns")) o.mrns = atol (v);
        else if (!strcmp (k, "mrn-list")) o.mrn_list = v;
        else if (!strcmp (k, "repeat")) o.repeat = atol (v);
        else if (!strcmp (k, "first")) o.first = atol (v);
        else if (!strcmp (k, "timeout")) o.timeout = atol (v);
        else if (!strcmp (k, "window")) o.window = atol (v);
        else if (!strcmp (k, "frames") && o.nframes < 64) o.frames[o.nframes++] = v;
        else if (!strcmp (k, "rid")) o.rid = v;
        else if (!strcmp (k, "officer")) o.officer = v;
        else if (!strcmp (k, "hello")) o.no_hello = !strcmp (v, "no");
        else s_die ("unknown option %s", k);
    }
    if (optind < argc - 1)
        s_die ("unexpected argument %s", argv[optind + 1]);
    if (!o.node || !o.server_pub || !o.key || !o.name)
        s_die ("--node, --server-pub, --key and --name are required%s", "");
    sg_log_open ("sgtest", 0, getenv ("SGTEST_DEBUG") ? SG_LOG_LVL_DEBUG : SG_LOG_LVL_WARN);
    sg_xmlsafe_init ();
    const char *cmd = argv[1];
    if (!strcmp (cmd, "hello")) {
        sg_client_t *c = s_connect (&o);
        printf ("WELCOME %s\n", sg_client_node_name (c));
        sg_client_destroy (&c);
        return 0;
    }
    if (!strcmp (cmd, "send") && o.template && o.from && o.to)
        return s_cmd_send (&o);
    if (!strcmp (cmd, "body") && o.body)
        return s_cmd_body (&o);
    if (!strcmp (cmd, "listen"))
        return s_cmd_listen (&o);
    if (!strcmp (cmd, "raw") && o.nframes)
        return s_cmd_raw (&o);
    if (!strcmp (cmd, "forge") && o.sign_key && o.origin
        && (o.body || (o.template && o.from && o.to)))
        return s_cmd_one (&o, "node");
    if (!strcmp (cmd, "one") && (o.body || (o.template && o.from && o.to)))
        return s_cmd_one (&o, o.role);
    s_die ("bad command or missing options for \"%s\"", cmd);
    return 2;
}
