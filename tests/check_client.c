/* check_client.c - unit tests for proto/client.c against a small SGTP/1 node
 * written here on proto/wire.c and broker/node/zap.c: a ROUTER with CURVE + ZAP on
 * 127.0.0.1, run in its own thread, that can be told to deny, hold, NAK,
 * drop, forget a session, deliver, or restart its socket. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "client.h"
#include "sg.h"
#include "wire.h"
#include "node/zap.h"
#include "testutil.h"

enum { P_ACK, P_HOLD, P_NAK, P_DROP_FIRST };
#define P_MAX 64

typedef struct {
    void *ctx, *sock;
    zap_t *zap;
    zap_keys_t *keys;
    char endpoint[256];
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t lock;
    /* behaviour, set by the test */
    int deny, mode, forget, ack_held, deliver;
    int old;                        /* a node from before features: drops a HELLO of 4 frames */
    int packed;                     /* offers the packed feature, answers in kind */
    /* what the peer saw */
    int session, hellos, pings;
    unsigned char rid[256];
    size_t rid_len;
    char hello_user[64], hello_role[32], hello_name[64], hello_window[16], hello_features[64];
    int hellos_dropped;
    int send_packed, ack_packed, nak_packed;    /* how the last SEND, ACK, NAK came */
    char seen[P_MAX][37];           /* SEND ids in arrival order, resends included */
    int nseen;
    char held[P_MAX][37];
    int nheld;
    char last_send[2048];           /* header + "|" + body of the last SEND */
    char acked[P_MAX][37];          /* ACK ids from the client */
    int nacked;
    char nak_id[37], nak_code[8], nak_reason[64];
} peer_t;

static char s_srv_pub[41], s_srv_sec[41], s_cli_pub[41], s_cli_sec[41];
static peer_t s_peer;

#define ID(n) "00000000-0000-4000-8000-00000000000" #n
#define HDR(n, mrn) "Message-Id: " ID (n) "\nType: DEC\nMrn: " mrn "\n"

static void
s_cpy (char *dst, size_t size, const wire_frame_t *f)
{
    snprintf (dst, size, "%.*s", (int) f->size, (const char *) f->data);
}

static void
s_reply (peer_t *p, const wire_msg_t *m, wire_cmd_t cmd, const wire_frame_t *f, size_t n)
{
    wire_send_cmd (p->sock, m->rid, m->rid_len, cmd, f, n, m->packed ? WIRE_PACKED : 0);
}

static void
s_handle (peer_t *p, const wire_msg_t *m)
{
    if (m->cmd == WIRE_HELLO) {
        if (p->old && m->nframes == 4) {
            p->hellos_dropped++;
            return;
        }
        p->hellos++;
        sg_strlcpy (p->hello_user, m->user_id, sizeof p->hello_user);
        s_cpy (p->hello_role, sizeof p->hello_role, &m->frames[0]);
        s_cpy (p->hello_name, sizeof p->hello_name, &m->frames[1]);
        if (m->nframes >= 3)
            s_cpy (p->hello_window, sizeof p->hello_window, &m->frames[2]);
        p->hello_features[0] = '\0';
        if (m->nframes == 4)
            s_cpy (p->hello_features, sizeof p->hello_features, &m->frames[3]);
        if (p->deny) {
            wire_frame_t f = wire_str ("not registered here");
            s_reply (p, m, WIRE_DENIED, &f, 1);
            return;
        }
        p->session = 1;
        memcpy (p->rid, m->rid, m->rid_len);
        p->rid_len = m->rid_len;
        int packed = p->packed && wire_has_feature (m->nframes == 4 ? &m->frames[3] : NULL,
                                                    WIRE_FEATURE_PACKED);
        wire_frame_t f[3] = { wire_str ("test-node"), wire_str ("16"), wire_str ("packed") };
        s_reply (p, m, WIRE_WELCOME, f, packed ? 3 : 2);
        return;
    }
    if (!p->session || m->rid_len != p->rid_len || memcmp (m->rid, p->rid, m->rid_len)) {
        wire_frame_t f = wire_str (WIRE_HELLO_REQUIRED);
        s_reply (p, m, WIRE_DENIED, &f, 1);
        return;
    }
    const char *ids[1] = { m->id };
    switch (m->cmd) {
    case WIRE_SEND: {
        int dup = 0;
        for (int i = 0; i < p->nseen; i++)
            dup |= strcmp (p->seen[i], m->id) == 0;
        if (p->nseen < P_MAX)
            strcpy (p->seen[p->nseen++], m->id);
        p->send_packed = m->packed;
        snprintf (p->last_send, sizeof p->last_send, "%.*s|%.*s", (int) m->frames[0].size,
                  (const char *) m->frames[0].data, (int) m->frames[1].size,
                  (const char *) m->frames[1].data);
        if (p->mode == P_ACK || (p->mode == P_DROP_FIRST && dup))
            wire_send_ack (p->sock, m->rid, m->rid_len, ids, 1, m->packed ? WIRE_PACKED : 0);
        else if (p->mode == P_HOLD && p->nheld < P_MAX)
            strcpy (p->held[p->nheld++], m->id);
        else if (p->mode == P_NAK)
            wire_send_nak (p->sock, m->rid, m->rid_len, m->id, SG_NAK_UNKNOWN_MRN,
                           "unknown MRN", m->packed ? WIRE_PACKED : 0);
        break;
    }
    case WIRE_ACK:
        p->ack_packed = m->packed;
        for (size_t i = 0; i < m->nframes && p->nacked < P_MAX; i++)
            s_cpy (p->acked[p->nacked++], 37, &m->frames[i]);
        break;
    case WIRE_NAK:
        p->nak_packed = m->packed;
        strcpy (p->nak_id, m->id);
        s_cpy (p->nak_code, sizeof p->nak_code, &m->frames[1]);
        s_cpy (p->nak_reason, sizeof p->nak_reason, &m->frames[2]);
        break;
    case WIRE_PING:
        p->pings++;
        s_reply (p, m, WIRE_PONG, NULL, 0);
        break;
    default:
        break;
    }
}

/* Things the test asked for, done from the peer's thread. */
static void
s_outbox (peer_t *p)
{
    if (p->forget) {
        p->forget = 0;
        p->session = 0;
    }
    if (p->ack_held && p->nheld) {
        const char *ids[P_MAX];
        for (int i = 0; i < p->nheld; i++)
            ids[i] = p->held[i];
        wire_send_ack (p->sock, p->rid, p->rid_len, ids, (size_t) p->nheld, 0);
        p->nheld = 0;
    }
    if (p->deliver && p->session) {
        p->deliver = 0;
        unsigned char sig[64];
        for (int i = 0; i < 64; i++)
            sig[i] = (unsigned char) i;         /* includes a NUL byte */
        wire_frame_t f[3] = { wire_str (HDR (7, "24CI000000000001A1")), wire_str ("<b>7</b>"),
                              { sig, 64 } };
        wire_send_cmd (p->sock, p->rid, p->rid_len, WIRE_DELIVER, f, 3,
                       p->packed ? WIRE_PACKED : 0);
    }
}

static void *
s_peer_thread (void *arg)
{
    peer_t *p = arg;
    while (!atomic_load (&p->stop)) {
        zmq_pollitem_t it = { p->sock, 0, ZMQ_POLLIN, 0 };
        zmq_poll (&it, 1, 5);
        wire_msg_t *m;
        pthread_mutex_lock (&p->lock);
        while (wire_recv (p->sock, &m, ZMQ_DONTWAIT, NULL) == SG_OK) {
            s_handle (p, m);
            wire_msg_destroy (&m);
        }
        s_outbox (p);
        pthread_mutex_unlock (&p->lock);
    }
    return NULL;
}

/* Binds (the same endpoint again after a restart) and starts the thread. */
static void
s_peer_start (peer_t *p)
{
    p->sock = zmq_socket (p->ctx, ZMQ_ROUTER);
    ck_assert_int_eq (wire_setup_server (p->sock, s_srv_sec, 0), SG_OK);
    if (!p->endpoint[0]) {
        size_t len = sizeof p->endpoint;
        ck_assert_int_eq (zmq_bind (p->sock, "tcp://127.0.0.1:*"), 0);
        zmq_getsockopt (p->sock, ZMQ_LAST_ENDPOINT, p->endpoint, &len);
    }
    else {
        int rc = -1;
        for (int i = 0; i < 200 && rc != 0; i++)
            if ((rc = zmq_bind (p->sock, p->endpoint)) != 0)
                usleep (10000);
        ck_assert_int_eq (rc, 0);
    }
    p->session = 0;
    atomic_store (&p->stop, 0);
    pthread_create (&p->thread, NULL, s_peer_thread, p);
}

static void
s_peer_stop (peer_t *p)
{
    atomic_store (&p->stop, 1);
    pthread_join (p->thread, NULL);
    int zero = 0;
    zmq_setsockopt (p->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (p->sock);
}

static void
s_setup (void)
{
    memset (&s_peer, 0, sizeof s_peer);
    pthread_mutex_init (&s_peer.lock, NULL);
    zmq_curve_keypair (s_srv_pub, s_srv_sec);
    zmq_curve_keypair (s_cli_pub, s_cli_sec);
    s_peer.ctx = zmq_ctx_new ();
    s_peer.keys = zap_keys_new ();
    zap_keys_add (s_peer.keys, s_cli_pub, "test-adapter", "adapter");
    s_peer.zap = zap_new (s_peer.ctx, zap_keys_lookup, s_peer.keys);
    s_peer_start (&s_peer);
}

static void
s_teardown (void)
{
    s_peer_stop (&s_peer);
    zap_destroy (&s_peer.zap);
    zap_keys_destroy (&s_peer.keys);
    zmq_ctx_term (s_peer.ctx);
    pthread_mutex_destroy (&s_peer.lock);
}

static sg_client_opts_t
s_opts (void)
{
    return (sg_client_opts_t) { .endpoint = s_peer.endpoint, .server_public_z85 = s_srv_pub,
                                .public_z85 = s_cli_pub, .secret_z85 = s_cli_sec,
                                .role = "adapter", .name = "test-adapter", .timeout_ms = 2000,
                                .window = 8 };
}

static sg_client_t *
s_client (void)
{
    sg_client_opts_t o = s_opts ();
    sg_diag_t d;
    sg_client_t *c = sg_client_new (&o, &d);
    ck_assert_msg (c != NULL, "client: %s", d.text);
    return c;
}

/* Polls until an event comes (fails the test after 5 s). */
static void
s_event (sg_client_t *c, sg_event_t *ev)
{
    ck_assert_int_eq (sg_client_poll (c, ev, 5000), SG_OK);
}

/* Polls the client for ms milliseconds, expecting no event. */
static void
s_idle (sg_client_t *c, int ms)
{
    sg_event_t ev = { 0 };
    ck_assert_int_eq (sg_client_poll (c, &ev, ms), SG_ETIMEOUT);
}

/* Reads an int field of the peer under its lock. */
static int
s_peek (const int *field)
{
    pthread_mutex_lock (&s_peer.lock);
    int v = *field;
    pthread_mutex_unlock (&s_peer.lock);
    return v;
}

START_TEST (test_hello_welcome)
{
    sg_client_t *c = s_client ();
    ck_assert_str_eq (sg_client_node_name (c), "test-node");
    ck_assert_int_eq (s_peek (&s_peer.hellos), 1);
    ck_assert_str_eq (s_peer.hello_user, "test-adapter");   /* from ZAP */
    ck_assert_str_eq (s_peer.hello_role, "adapter");
    ck_assert_str_eq (s_peer.hello_name, "test-adapter");
    ck_assert_str_eq (s_peer.hello_window, "8");
    ck_assert_str_eq (s_peer.hello_features, "packed");
    sg_client_destroy (&c);
    ck_assert_ptr_null (c);
}
END_TEST

START_TEST (test_denied)
{
    s_peer.deny = 1;
    sg_client_opts_t o = s_opts ();
    sg_diag_t d;
    ck_assert_ptr_null (sg_client_new (&o, &d));
    ck_assert_int_eq (d.code, SG_EAUTH);
    ck_assert_msg (strstr (d.text, "not registered here"), "%s", d.text);
}
END_TEST

START_TEST (test_unknown_key)
{
    char pub[41], sec[41];
    zmq_curve_keypair (pub, sec);
    sg_client_opts_t o = s_opts ();
    o.public_z85 = pub;
    o.secret_z85 = sec;
    sg_diag_t d;
    ck_assert_ptr_null (sg_client_new (&o, &d));
    ck_assert_int_eq (d.code, SG_EAUTH);
    ck_assert_msg (strstr (d.text, "refused our CURVE key"), "%s", d.text);
    ck_assert_int_eq (s_peek (&s_peer.hellos), 0);
    o.secret_z85 = "short";
    ck_assert_ptr_null (sg_client_new (&o, &d));
    ck_assert_int_eq (d.code, SG_EKEY);
}
END_TEST

START_TEST (test_send_ack)
{
    sg_client_t *c = s_client ();
    sg_event_t ev = { 0 };
    ck_assert_int_eq (sg_client_send (c, "Type: DEC\n", 10, "b", 1), SG_EINVAL);
    ck_assert_int_eq (sg_client_send (c, HDR (1, "M1"), strlen (HDR (1, "M1")), "", 0),
                      SG_EINVAL);
    ck_assert_int_eq (sg_client_send (c, HDR (1, "M1"), strlen (HDR (1, "M1")), "<b>1</b>", 8),
                      SG_OK);
    ck_assert_int_eq (sg_client_send (c, HDR (2, "M2"), strlen (HDR (2, "M2")), "<b>2</b>", 8),
                      SG_OK);
    ck_assert_uint_eq (sg_client_unacked (c), 2);
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_ACK);
    ck_assert_str_eq (ev.id, ID (1));
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_ACK);
    ck_assert_str_eq (ev.id, ID (2));
    ck_assert_uint_eq (sg_client_unacked (c), 0);
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_str_eq (s_peer.last_send, HDR (2, "M2") "|<b>2</b>");
    ck_assert_int_eq (s_peer.nseen, 2);
    pthread_mutex_unlock (&s_peer.lock);
    s_idle (c, 50);
    sg_client_destroy (&c);
}
END_TEST

START_TEST (test_nak)
{
    s_peer.mode = P_NAK;
    sg_client_t *c = s_client ();
    sg_event_t ev = { 0 };
    ck_assert_int_eq (sg_client_send (c, HDR (3, "M3"), strlen (HDR (3, "M3")), "<b/>", 4), SG_OK);
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_NAK);
    ck_assert_str_eq (ev.id, ID (3));
    ck_assert_int_eq (ev.code, SG_NAK_UNKNOWN_MRN);
    ck_assert_str_eq (ev.reason, "unknown MRN");
    ck_assert_uint_eq (sg_client_unacked (c), 0);
    sg_client_destroy (&c);
}
END_TEST

/* Window 2 and one message per MRN in flight: of A1 A2 B C only A1 and B
 * go out; after the batched ACK, A2 and C follow, A2 never before A1. */
START_TEST (test_window_order)
{
    s_peer.mode = P_HOLD;
    sg_client_opts_t o = s_opts ();
    o.window = 2;
    sg_diag_t d;
    sg_client_t *c = sg_client_new (&o, &d);
    ck_assert_ptr_nonnull (c);
    sg_client_send (c, HDR (1, "A"), strlen (HDR (1, "A")), "1", 1);
    sg_client_send (c, HDR (2, "A"), strlen (HDR (2, "A")), "2", 1);
    sg_client_send (c, HDR (3, "B"), strlen (HDR (3, "B")), "3", 1);
    sg_client_send (c, HDR (4, "C"), strlen (HDR (4, "C")), "4", 1);
    s_idle (c, 300);
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_eq (s_peer.nseen, 2);
    ck_assert_str_eq (s_peer.seen[0], ID (1));
    ck_assert_str_eq (s_peer.seen[1], ID (3));
    s_peer.ack_held = 1;
    pthread_mutex_unlock (&s_peer.lock);
    sg_event_t ev = { 0 };
    s_event (c, &ev);
    ck_assert_str_eq (ev.id, ID (1));
    s_event (c, &ev);
    ck_assert_str_eq (ev.id, ID (3));
    s_event (c, &ev);
    s_event (c, &ev);
    ck_assert_uint_eq (sg_client_unacked (c), 0);
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_eq (s_peer.nseen, 4);
    ck_assert_str_eq (s_peer.seen[2], ID (2));
    ck_assert_str_eq (s_peer.seen[3], ID (4));
    pthread_mutex_unlock (&s_peer.lock);
    sg_client_destroy (&c);
}
END_TEST

START_TEST (test_deliver)
{
    sg_client_t *c = s_client ();
    pthread_mutex_lock (&s_peer.lock);
    s_peer.deliver = 1;
    pthread_mutex_unlock (&s_peer.lock);
    sg_event_t ev = { 0 };
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_DELIVER);
    ck_assert_str_eq (ev.id, ID (7));
    ck_assert_str_eq (ev.header, HDR (7, "24CI000000000001A1"));
    ck_assert_uint_eq (ev.header_len, strlen (HDR (7, "24CI000000000001A1")));
    ck_assert_str_eq (ev.body, "<b>7</b>");
    ck_assert_uint_eq (ev.signature_len, 64);
    ck_assert_int_eq (ev.signature[0], 0);
    ck_assert_int_eq (ev.signature[63], 63);
    ck_assert_int_eq (sg_client_ack (c, "not-a-uuid"), SG_EINVAL);
    ck_assert_int_eq (sg_client_ack (c, ev.id), SG_OK);
    ck_assert_int_eq (sg_client_nak (c, ID (8), SG_NAK_INVALID_XML, "bad XML"), SG_OK);
    sg_event_clear (&ev);
    ck_assert_ptr_null (ev.header);
    s_idle (c, 200);
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_eq (s_peer.nacked, 1);
    ck_assert_str_eq (s_peer.acked[0], ID (7));
    ck_assert_str_eq (s_peer.nak_id, ID (8));
    ck_assert_str_eq (s_peer.nak_code, "52");
    ck_assert_str_eq (s_peer.nak_reason, "bad XML");
    pthread_mutex_unlock (&s_peer.lock);
    sg_client_destroy (&c);
}
END_TEST

/* A node that offers packed: the client's SEND, ACK and NAK go packed,
 * and it reads the packed DELIVER, ACK and NAK of the node. */
START_TEST (test_packed)
{
    s_peer.packed = 1;
    sg_client_t *c = s_client ();
    sg_event_t ev = { 0 };
    ck_assert_int_eq (sg_client_send (c, HDR (1, "M1"), strlen (HDR (1, "M1")), "<b>1</b>", 8),
                      SG_OK);
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_ACK);
    ck_assert_str_eq (ev.id, ID (1));
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_eq (s_peer.send_packed, 1);
    ck_assert_str_eq (s_peer.last_send, HDR (1, "M1") "|<b>1</b>");
    s_peer.mode = P_NAK;
    s_peer.deliver = 1;
    pthread_mutex_unlock (&s_peer.lock);
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_DELIVER);
    ck_assert_str_eq (ev.body, "<b>7</b>");
    ck_assert_uint_eq (ev.signature_len, 64);
    ck_assert_int_eq (sg_client_ack (c, ev.id), SG_OK);
    ck_assert_int_eq (sg_client_nak (c, ID (8), SG_NAK_INVALID_XML, "bad XML"), SG_OK);
    ck_assert_int_eq (sg_client_send (c, HDR (2, "M2"), strlen (HDR (2, "M2")), "<b/>", 4),
                      SG_OK);
    sg_event_clear (&ev);
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_NAK);
    ck_assert_str_eq (ev.reason, "unknown MRN");
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_eq (s_peer.nacked, 1);
    ck_assert_int_eq (s_peer.ack_packed, 1);
    ck_assert_str_eq (s_peer.nak_code, "52");
    ck_assert_int_eq (s_peer.nak_packed, 1);
    pthread_mutex_unlock (&s_peer.lock);
    sg_client_destroy (&c);
}
END_TEST

/* A node from before features drops the HELLO that offers them: the client
 * says HELLO again without them within its timeout, is welcomed, and sends
 * as separate frames. */
START_TEST (test_old_node)
{
    s_peer.old = 1;
    s_peer.packed = 1;                  /* would offer it, had it been asked */
    sg_client_t *c = s_client ();
    ck_assert_int_eq (s_peek (&s_peer.hellos_dropped), 1);
    ck_assert_int_eq (s_peek (&s_peer.hellos), 1);
    ck_assert_str_eq (s_peer.hello_features, "");
    ck_assert_int_eq (sg_client_send (c, HDR (1, "M1"), strlen (HDR (1, "M1")), "<b>1</b>", 8),
                      SG_OK);
    sg_event_t ev = { 0 };
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_ACK);
    ck_assert_int_eq (s_peek (&s_peer.send_packed), 0);
    sg_client_destroy (&c);
}
END_TEST

/* The node restarts its socket (all session state gone) while a SEND is
 * unacknowledged: the client says HELLO again on the new connection and
 * resends the same bytes right after WELCOME (the resend timer, 10 s here,
 * is too slow to pass this test). */
START_TEST (test_resend_after_restart)
{
    s_peer.mode = P_HOLD;
    sg_client_opts_t o = s_opts ();
    o.timeout_ms = 10000;
    sg_diag_t d;
    sg_client_t *c = sg_client_new (&o, &d);
    ck_assert_ptr_nonnull (c);
    ck_assert_int_eq (sg_client_send (c, HDR (5, "R"), strlen (HDR (5, "R")), "<b>5</b>", 8),
                      SG_OK);
    s_idle (c, 200);
    ck_assert_int_eq (s_peek (&s_peer.nseen), 1);
    s_peer_stop (&s_peer);
    s_peer.mode = P_ACK;
    s_peer.nseen = 0;
    s_peer.hellos = 0;
    s_peer.last_send[0] = '\0';
    s_peer_start (&s_peer);
    sg_event_t ev = { 0 };
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_ACK);
    ck_assert_str_eq (ev.id, ID (5));
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_ge (s_peer.hellos, 1);
    ck_assert_int_ge (s_peer.nseen, 1);
    ck_assert_str_eq (s_peer.last_send, HDR (5, "R") "|<b>5</b>");
    pthread_mutex_unlock (&s_peer.lock);
    sg_client_destroy (&c);
}
END_TEST

/* The node lost the session without a reconnection (DENIED "hello
 * required"), and separately drops the first copy of a message: both end
 * in an ACK, the second through the timed resend. */
START_TEST (test_resend_timeout_and_rehello)
{
    sg_client_opts_t o = s_opts ();
    o.timeout_ms = 200;
    sg_diag_t d;
    sg_client_t *c = sg_client_new (&o, &d);
    ck_assert_ptr_nonnull (c);
    pthread_mutex_lock (&s_peer.lock);
    s_peer.forget = 1;
    pthread_mutex_unlock (&s_peer.lock);
    usleep (50000);
    sg_event_t ev = { 0 };
    sg_client_send (c, HDR (1, "X"), strlen (HDR (1, "X")), "1", 1);
    s_event (c, &ev);
    ck_assert_str_eq (ev.id, ID (1));
    ck_assert_int_eq (s_peek (&s_peer.hellos), 2);

    pthread_mutex_lock (&s_peer.lock);
    s_peer.mode = P_DROP_FIRST;
    s_peer.nseen = 0;
    pthread_mutex_unlock (&s_peer.lock);
    sg_client_send (c, HDR (2, "X"), strlen (HDR (2, "X")), "2", 1);
    s_event (c, &ev);
    ck_assert_int_eq (ev.type, SG_EV_ACK);
    ck_assert_str_eq (ev.id, ID (2));
    pthread_mutex_lock (&s_peer.lock);
    ck_assert_int_eq (s_peer.nseen, 2);
    ck_assert_str_eq (s_peer.seen[0], ID (2));
    ck_assert_str_eq (s_peer.seen[1], ID (2));
    pthread_mutex_unlock (&s_peer.lock);
    sg_client_destroy (&c);
}
END_TEST

START_TEST (test_heartbeat)
{
    sg_client_opts_t o = s_opts ();
    o.heartbeat_ms = 50;
    sg_diag_t d;
    sg_client_t *c = sg_client_new (&o, &d);
    ck_assert_ptr_nonnull (c);
    s_idle (c, 300);
    ck_assert_int_ge (s_peek (&s_peer.pings), 2);
    ck_assert_int_eq (s_peek (&s_peer.hellos), 1);     /* PONGs keep the session */
    sg_client_destroy (&c);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("client");
    TCase *tc = tcase_create ("client");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, 20);
    tcase_add_test (tc, test_hello_welcome);
    tcase_add_test (tc, test_denied);
    tcase_add_test (tc, test_unknown_key);
    tcase_add_test (tc, test_send_ack);
    tcase_add_test (tc, test_nak);
    tcase_add_test (tc, test_window_order);
    tcase_add_test (tc, test_deliver);
    tcase_add_test (tc, test_packed);
    tcase_add_test (tc, test_old_node);
    tcase_add_test (tc, test_resend_after_restart);
    tcase_add_test (tc, test_resend_timeout_and_rehello);
    tcase_add_test (tc, test_heartbeat);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
