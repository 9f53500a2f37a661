/* check_wire.c - unit tests for proto/wire.c (SGTP/1 framing over real
 * ZeroMQ sockets on 127.0.0.1) and broker/node/zap.c (CURVE admission). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "buf.h"
#include "sg.h"
#include "wire.h"
#include "node/zap.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define ID1 "6f1c2a3e-9b7d-4c1e-8f00-1234567890ab"
#define ID2 "0a0b0c0d-1111-4222-8333-444455556666"
#define HDR1 "Message-Id: " ID1 "\nType: DEC\nMrn: 24GB000246J8NY33L7\n"

static void *s_ctx;
static void *s_socks[16];      /* closed by the teardown, even after a failure */
static int s_nsocks;
static zap_t *s_zap;

static void
s_setup (void)
{
    s_ctx = zmq_ctx_new ();
    s_nsocks = 0;
}

static void
s_teardown (void)
{
    int zero = 0;
    for (int i = 0; i < s_nsocks; i++) {
        zmq_setsockopt (s_socks[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_close (s_socks[i]);
    }
    zap_destroy (&s_zap);
    zmq_ctx_term (s_ctx);
}

/* Closes a socket at once, dropping what it still queues. */
static void
s_close (void *sock)
{
    int zero = 0;
    for (int i = 0; i < s_nsocks; i++)
        if (s_socks[i] == sock)
            s_socks[i] = s_socks[--s_nsocks];
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (sock);
}

/* A socket of this type in the test context, closed by the teardown. */
static void *
s_socket (int type)
{
    void *sock = zmq_socket (s_ctx, type);
    ck_assert_ptr_nonnull (sock);
    ck_assert_int_lt (s_nsocks, 16);
    s_socks[s_nsocks++] = sock;
    return sock;
}

static void
s_timeout (void *sock, int ms)
{
    zmq_setsockopt (sock, ZMQ_RCVTIMEO, &ms, sizeof ms);
}

/* A ROUTER bound on an ephemeral port and a DEALER connected to it. */
static void
s_pair (void **router, void **dealer)
{
    char ep[256];
    size_t len = sizeof ep;
    *router = s_socket (ZMQ_ROUTER);
    ck_assert_int_eq (wire_setup_server (*router, NULL, 0), SG_OK);
    ck_assert_int_eq (zmq_bind (*router, "tcp://127.0.0.1:*"), 0);
    zmq_getsockopt (*router, ZMQ_LAST_ENDPOINT, ep, &len);
    *dealer = s_socket (ZMQ_DEALER);
    ck_assert_int_eq (wire_setup_client (*dealer, NULL, NULL, NULL, 0), SG_OK);
    ck_assert_int_eq (zmq_connect (*dealer, ep), 0);
    s_timeout (*router, 2000);
    s_timeout (*dealer, 2000);
}

static void
s_frames_eq (const wire_msg_t *m, const wire_frame_t *f, size_t n)
{
    ck_assert_uint_eq (m->nframes, n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq (m->frames[i].size, f[i].size);
        ck_assert (memcmp (m->frames[i].data, f[i].data, f[i].size) == 0);
    }
}

START_TEST (test_roundtrip)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
    const unsigned char sig[64] = { 1, 2, 3, 0, 5 };
    const char *body = "<Declaration/>";
    struct {
        wire_cmd_t cmd;
        wire_frame_t f[3];
        size_t n;
        const char *id;
    } cases[] = {
        { WIRE_HELLO, { wire_str ("adapter"), wire_str ("CI-asycuda") }, 2, "" },
        { WIRE_HELLO, { wire_str ("node"), wire_str ("BF"), wire_str ("128") }, 3, "" },
        { WIRE_WELCOME, { wire_str ("CI") }, 1, "" },
        { WIRE_WELCOME, { wire_str ("CI"), wire_str ("64") }, 2, "" },
        { WIRE_DENIED, { wire_str ("unknown peer") }, 1, "" },
        { WIRE_SEND, { wire_str (HDR1), wire_str (body) }, 2, ID1 },
        { WIRE_SEND, { wire_str (HDR1), wire_str (body), { sig, 64 } }, 3, ID1 },
        { WIRE_DELIVER, { wire_str (HDR1), wire_str (body), { sig, 64 } }, 3, ID1 },
        { WIRE_ACK, { wire_str (ID1), wire_str (ID2) }, 2, ID1 },
        { WIRE_NAK, { wire_str (ID2), wire_str ("92"), wire_str ("out of sequence") }, 3, ID2 },
        { WIRE_PING, { { 0 } }, 0, "" },
        { WIRE_PONG, { { 0 } }, 0, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wire_msg_t *m = NULL;
        sg_diag_t d;
        ck_assert_int_eq (wire_send_cmd (dealer, NULL, 0, cases[i].cmd, cases[i].f, cases[i].n, 0),
                          SG_OK);
        ck_assert_int_eq (wire_recv (router, &m, 0, &d), SG_OK);
        ck_assert_int_eq (m->cmd, cases[i].cmd);
        ck_assert_uint_gt (m->rid_len, 0);
        ck_assert_str_eq (m->id, cases[i].id);
        ck_assert_str_eq (m->user_id, "");
        s_frames_eq (m, cases[i].f, cases[i].n);
        /* and back, addressed by the routing id */
        ck_assert_int_eq (wire_send_cmd (router, m->rid, m->rid_len, cases[i].cmd, cases[i].f,
                                         cases[i].n, 0),
                          SG_OK);
        wire_msg_destroy (&m);
        ck_assert_ptr_null (m);
        ck_assert_int_eq (wire_recv (dealer, &m, 0, &d), SG_OK);
        ck_assert_int_eq (m->cmd, cases[i].cmd);
        ck_assert_uint_eq (m->rid_len, 0);
        s_frames_eq (m, cases[i].f, cases[i].n);
        wire_msg_destroy (&m);
    }
}
END_TEST

/* Fills ids with WIRE_MAX_IDS distinct message ids (static storage). */
static void
s_many_ids (const char *ids[WIRE_MAX_IDS])
{
    static char buf[WIRE_MAX_IDS][WIRE_ID_LEN + 1];
    for (int i = 0; i < WIRE_MAX_IDS; i++) {
        snprintf (buf[i], sizeof buf[i], "00000000-0000-4000-8000-%012d", i);
        ids[i] = buf[i];
    }
}

START_TEST (test_ack_batch)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
    const char *ids[WIRE_MAX_IDS];
    s_many_ids (ids);
    ck_assert_int_eq (wire_send_ack (dealer, NULL, 0, ids, WIRE_MAX_IDS, 0), SG_OK);
    wire_msg_t *m = NULL;
    ck_assert_int_eq (wire_recv (router, &m, 0, NULL), SG_OK);
    ck_assert_int_eq (m->cmd, WIRE_ACK);
    ck_assert_uint_eq (m->nframes, WIRE_MAX_IDS);
    for (int i = 0; i < WIRE_MAX_IDS; i++)
        ck_assert (memcmp (m->frames[i].data, ids[i], WIRE_ID_LEN) == 0);
    wire_msg_destroy (&m);
    ck_assert_int_eq (wire_send_ack (dealer, NULL, 0, ids, WIRE_MAX_IDS + 1, 0), SG_EPROTO);
    ck_assert_int_eq (wire_send_nak (dealer, NULL, 0, ID1, 90, "unknown MRN", 0), SG_OK);
    ck_assert_int_eq (wire_recv (router, &m, 0, NULL), SG_OK);
    ck_assert_int_eq (m->cmd, WIRE_NAK);
    ck_assert_str_eq (m->id, ID1);
    ck_assert (memcmp (m->frames[1].data, "90", 2) == 0);
    wire_msg_destroy (&m);
}
END_TEST

/* After a bad message from the dealer: the router refuses it (SG_EPROTO
 * with `expect` in the reason) and is still on a message boundary, as a
 * good PING behind it shows. */
static void
s_refused (void *router, void *dealer, const char *expect)
{
    ck_assert_int_eq (wire_send_cmd (dealer, NULL, 0, WIRE_PING, NULL, 0, 0), SG_OK);
    wire_msg_t *m = (wire_msg_t *) 1;
    sg_diag_t d;
    sg_diag_clear (&d);
    ck_assert_int_eq (wire_recv (router, &m, 0, &d), SG_EPROTO);
    ck_assert_ptr_null (m);
    ck_assert_int_eq (d.code, SG_EPROTO);
    ck_assert_msg (strstr (d.text, expect), "reason '%s' lacks '%s'", d.text, expect);
    ck_assert_int_eq (wire_recv (router, &m, 0, &d), SG_OK);
    ck_assert_int_eq (m->cmd, WIRE_PING);
    wire_msg_destroy (&m);
}

/* Sends raw frames from the dealer and expects them refused. */
static void
s_bad (void *router, void *dealer, const char *expect, const char **frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zmq_send (dealer, frames[i], strlen (frames[i]), i + 1 < n ? ZMQ_SNDMORE : 0);
    s_refused (router, dealer, expect);
}

START_TEST (test_malformed)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
#define BAD(expect, ...)                                                     \
    do {                                                                     \
        const char *f_[] = { __VA_ARGS__ };                                  \
        s_bad (router, dealer, expect, f_, sizeof f_ / sizeof f_[0]);        \
    } while (0)
    BAD ("not SGTP/1", "SGTP/2", "PING");
    BAD ("not SGTP/1", "HTTP/1.1 GET /");
    BAD ("no delimiter", "", "SGTP/1", "PING");
    BAD ("no command", "SGTP/1");
    BAD ("unknown command 'FETCH'", "SGTP/1", "FETCH", "x");
    BAD ("unknown command 'ping'", "SGTP/1", "ping");
    BAD ("PING takes 0 to 0 frames, got 1", "SGTP/1", "PING", "x");
    BAD ("SEND takes 2 to 3 frames, got 1", "SGTP/1", "SEND", HDR1);
    BAD ("SEND takes 2 to 3 frames, got 4", "SGTP/1", "SEND", HDR1, "b", "s", "x");
    BAD ("DELIVER takes 3 to 3 frames, got 2", "SGTP/1", "DELIVER", HDR1, "b");
    BAD ("ACK takes 1 to 1024 frames, got 0", "SGTP/1", "ACK");
    BAD ("NAK takes 3 to 3 frames, got 2", "SGTP/1", "NAK", ID1, "12");
    BAD ("frame 2 is empty", "SGTP/1", "SEND", HDR1, "");
    BAD ("frame 3 is empty", "SGTP/1", "DELIVER", HDR1, "b", "");
    BAD ("frame 2 is empty", "SGTP/1", "HELLO", "adapter", "");
    BAD ("frame 1 is empty", "SGTP/1", "DENIED", "");
    BAD ("no Message-Id", "SGTP/1", "SEND", "Type: DEC\n", "b");
    BAD ("not a UUID", "SGTP/1", "SEND", "Message-Id: 42\n", "b");
    BAD ("ACK frame 2 is not a UUID", "SGTP/1", "ACK", ID1, "nope");
    BAD ("NAK code", "SGTP/1", "NAK", ID1, "012", "x");
    BAD ("NAK code", "SGTP/1", "NAK", ID1, "12a", "x");
    BAD ("HELLO role", "SGTP/1", "HELLO", "Adapter", "CI");
    BAD ("HELLO name", "SGTP/1", "HELLO", "adapter", "C I");
    BAD ("HELLO window", "SGTP/1", "HELLO", "node", "CI", "0");
    BAD ("WELCOME window", "SGTP/1", "WELCOME", "CI", "70000");
#undef BAD
    /* The sender refuses to build what the receiver would refuse. */
    wire_frame_t f[2] = { wire_str ("Type: DEC\n"), wire_str ("b") };
    ck_assert_int_eq (wire_send_cmd (dealer, NULL, 0, WIRE_SEND, f, 2, 0), SG_EPROTO);
    ck_assert_int_eq (wire_send_cmd (dealer, NULL, 0, WIRE_NONE, NULL, 0, 0), SG_EPROTO);
    wire_msg_t *m = NULL;
    ck_assert_int_eq (wire_recv (router, &m, ZMQ_DONTWAIT, NULL), SG_ETIMEOUT);
    ck_assert_ptr_null (m);
}
END_TEST

/* Packed (one frame, WIRE_PACKED): every command of the message flow both
 * ways, with the same frames as sent; the others still go as frames. */
START_TEST (test_packed_roundtrip)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
    const unsigned char sig[64] = { 1, 2, 3, 0, 5 };
    const char *body = "<Declaration/>";
    static char buf[WIRE_MAX_IDS][WIRE_ID_LEN + 1];
    static wire_frame_t ids[WIRE_MAX_IDS];
    for (int i = 0; i < WIRE_MAX_IDS; i++) {
        snprintf (buf[i], sizeof buf[i], "00000000-0000-4000-8000-%012d", i);
        ids[i] = wire_str (buf[i]);
    }
    struct {
        wire_cmd_t cmd;
        wire_frame_t f[3];
        size_t n;
        int packed;
    } cases[] = {
        { WIRE_SEND, { wire_str (HDR1), wire_str (body) }, 2, 1 },
        { WIRE_SEND, { wire_str (HDR1), wire_str (body), { sig, 64 } }, 3, 1 },
        { WIRE_DELIVER, { wire_str (HDR1), wire_str (body), { sig, 64 } }, 3, 1 },
        { WIRE_ACK, { wire_str (ID1) }, 1, 1 },
        { WIRE_ACK, { { 0 } }, WIRE_MAX_IDS, 1 },      /* the ids above */
        { WIRE_NAK, { wire_str (ID2), wire_str ("92"), wire_str ("out of sequence") }, 3, 1 },
        { WIRE_HELLO, { wire_str ("node"), wire_str ("BF"), wire_str ("128") }, 3, 0 },
        { WIRE_PING, { { 0 } }, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const wire_frame_t *f = cases[i].n == WIRE_MAX_IDS ? ids : cases[i].f;
        wire_msg_t *m = NULL;
        ck_assert_int_eq (wire_send_cmd (dealer, NULL, 0, cases[i].cmd, f, cases[i].n,
                                         WIRE_PACKED), SG_OK);
        ck_assert_int_eq (wire_recv (router, &m, 0, NULL), SG_OK);
        ck_assert_int_eq (m->cmd, cases[i].cmd);
        ck_assert_int_eq (m->packed, cases[i].packed);
        ck_assert_uint_gt (m->rid_len, 0);
        s_frames_eq (m, f, cases[i].n);
        if (cases[i].cmd != WIRE_HELLO && cases[i].cmd != WIRE_PING)
            ck_assert_str_eq (m->id, cases[i].cmd == WIRE_NAK ? ID2
                                     : cases[i].n == WIRE_MAX_IDS ? buf[0] : ID1);
        ck_assert_int_eq (wire_send_cmd (router, m->rid, m->rid_len, cases[i].cmd, f,
                                         cases[i].n, WIRE_PACKED | ZMQ_DONTWAIT), SG_OK);
        wire_msg_destroy (&m);
        ck_assert_int_eq (wire_recv (dealer, &m, 0, NULL), SG_OK);
        ck_assert_int_eq (m->cmd, cases[i].cmd);
        ck_assert_int_eq (m->packed, cases[i].packed);
        s_frames_eq (m, f, cases[i].n);
        wire_msg_destroy (&m);
    }
    /* One ZeroMQ frame on the wire, laid out as docs/protocol.md says. */
    void *raw = s_socket (ZMQ_DEALER);
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, ep, &len);
    void *r2 = s_socket (ZMQ_ROUTER);
    ck_assert_int_eq (zmq_bind (r2, "tcp://127.0.0.1:*"), 0);
    len = sizeof ep;
    zmq_getsockopt (r2, ZMQ_LAST_ENDPOINT, ep, &len);
    ck_assert_int_eq (zmq_connect (raw, ep), 0);
    s_timeout (r2, 2000);
    wire_frame_t f[3] = { wire_str ("a"), wire_str ("12"), wire_str ("x") };
    char id[] = ID1;
    f[0] = wire_str (id);
    ck_assert_int_eq (wire_send_cmd (raw, NULL, 0, WIRE_NAK, f, 3, WIRE_PACKED), SG_OK);
    zmq_msg_t part;
    zmq_msg_init (&part);
    ck_assert_int_ge (zmq_msg_recv (&part, r2, 0), 0);     /* the routing id */
    ck_assert (zmq_msg_more (&part));
    ck_assert_int_ge (zmq_msg_recv (&part, r2, 0), 0);
    ck_assert (!zmq_msg_more (&part));
    const char want[] = "SGTP/1\0\0\0\3NAK\0\0\0\044" ID1 "\0\0\0\00212\0\0\0\1x";
    ck_assert_uint_eq (zmq_msg_size (&part), sizeof want - 1);
    ck_assert (memcmp (zmq_msg_data (&part), want, sizeof want - 1) == 0);
    zmq_msg_close (&part);
}
END_TEST

/* Appends one part (its length, then its bytes) at out + k; the new end. */
static size_t
s_part (unsigned char *out, size_t k, const void *data, size_t len)
{
    sg_be32_put (out + k, (uint32_t) len);
    memcpy (out + k + 4, data, len);
    return k + 4 + len;
}

/* Builds a packed frame: the magic, then each part with its length. */
static size_t
s_pack (unsigned char *out, const wire_frame_t *parts, size_t n)
{
    size_t k = 6;
    memcpy (out, "SGTP/1", 6);
    for (size_t i = 0; i < n; i++)
        k = s_part (out, k, parts[i].data, parts[i].size);
    return k;
}

/* Sends one raw frame (and a second one with `more`) and expects it
 * refused. */
static void
s_bad_packed (void *router, void *dealer, const char *expect, const void *data, size_t len,
              int more)
{
    zmq_send (dealer, data, len, more ? ZMQ_SNDMORE : 0);
    if (more)
        zmq_send (dealer, "x", 1, 0);
    s_refused (router, dealer, expect);
}

START_TEST (test_packed_malformed)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
    static unsigned char b[WIRE_MAX_IDS * 48 + 64 * 1024];
    size_t n;
#define PACKED(expect, more, ...)                                              \
    do {                                                                       \
        const wire_frame_t p_[] = { __VA_ARGS__ };                             \
        n = s_pack (b, p_, sizeof p_ / sizeof p_[0]);                          \
        s_bad_packed (router, dealer, expect, b, n, more);                     \
    } while (0)
    PACKED ("unknown command 'FETCH'", 0, wire_str ("FETCH"), wire_str ("x"));
    PACKED ("HELLO cannot be packed", 0, wire_str ("HELLO"), wire_str ("node"), wire_str ("CI"));
    PACKED ("PING cannot be packed", 0, wire_str ("PING"));
    PACKED ("SEND takes 2 to 3 frames, got 1", 0, wire_str ("SEND"), wire_str (HDR1));
    PACKED ("no Message-Id", 0, wire_str ("SEND"), wire_str ("Type: DEC\n"), wire_str ("b"));
    PACKED ("ACK frame 2 is not a UUID", 0, wire_str ("ACK"), wire_str (ID1), wire_str ("no"));
    /* a packed frame is the whole message: nothing may follow it */
    PACKED ("packed message followed by another frame", 1, wire_str ("ACK"), wire_str (ID1));
    /* lengths that lie */
    n = s_pack (b, (wire_frame_t[]) { wire_str ("ACK"), wire_str (ID1) }, 2);
    s_bad_packed (router, dealer, "ends inside a frame length", b, n + 2, 0);
    b[n - WIRE_ID_LEN - 1] = 37;        /* the id's length, one more than there is */
    s_bad_packed (router, dealer, "runs past the end", b, n, 0);
    b[n - WIRE_ID_LEN - 1] = 0xff;
    b[n - WIRE_ID_LEN - 4] = 0xff;      /* 4 GiB */
    s_bad_packed (router, dealer, "runs past the end", b, n, 0);
    n = s_pack (b, (wire_frame_t[]) { wire_str ("ACK"), wire_str (ID1) }, 2);
    memset (b + n, 0, 4);               /* an empty frame after the id */
    s_bad_packed (router, dealer, "empty frame", b, n + 4, 0);
    /* more ids than ACK takes, and a flood of one-byte frames */
    n = s_pack (b, (wire_frame_t[]) { wire_str ("ACK") }, 1);
    for (int i = 0; i <= WIRE_MAX_IDS; i++)
        n = s_part (b, n, ID1, WIRE_ID_LEN);
    s_bad_packed (router, dealer, "ACK takes 1 to 1024 frames, got 1025", b, n, 0);
    n = s_pack (b, (wire_frame_t[]) { wire_str ("ACK") }, 1);
    for (int i = 0; i < 10000; i++)
        n = s_part (b, n, "x", 1);
    s_bad_packed (router, dealer, "more frames than any command takes", b, n, 0);
#undef PACKED
}
END_TEST

START_TEST (test_unknown_rid)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
    ck_assert_int_eq (wire_send_cmd (router, "\0nope", 5, WIRE_PING, NULL, 0, 0), SG_ENOTFOUND);
}
END_TEST

START_TEST (test_header_get)
{
    char out[64];
    const char *h = "Type: DEC\nMessage-Id: " ID1 "\nMrn: 24GB000246J8NY33L7";
    ck_assert_int_eq (wire_header_get (h, strlen (h), "Message-Id", out, sizeof out), SG_OK);
    ck_assert_str_eq (out, ID1);
    ck_assert_int_eq (wire_header_get (h, strlen (h), "Mrn", out, sizeof out), SG_OK);
    ck_assert_str_eq (out, "24GB000246J8NY33L7");
    ck_assert_int_eq (wire_header_get (h, strlen (h), "Type", out, 3), SG_ETOOBIG);
    ck_assert_int_eq (wire_header_get (h, strlen (h), "Sender", out, sizeof out), SG_ENOTFOUND);
    ck_assert_int_eq (wire_header_get (h, strlen (h), "Message", out, sizeof out), SG_ENOTFOUND);
    ck_assert (wire_id_check (ID1, 36));
    ck_assert (wire_id_check ("6F1C2A3E-9B7D-4C1E-8F00-1234567890AB", 36));
    ck_assert (!wire_id_check ("6f1c2a3e-9b7d-4c1e-8f00-1234567890a", 35));
    ck_assert (!wire_id_check ("6f1c2a3e+9b7d-4c1e-8f00-1234567890ab", 36));
    ck_assert_str_eq (wire_cmd_name (WIRE_DELIVER), "DELIVER");
    ck_assert_int_eq (wire_cmd_parse ("NAK", 3), WIRE_NAK);
    ck_assert_int_eq (wire_cmd_parse ("NAKX", 4), WIRE_NONE);
}
END_TEST

START_TEST (test_throughput)
{
    void *router, *dealer;
    s_pair (&router, &dealer);
    enum { N = 20000 };
    char body[1024];
    memset (body, 'x', sizeof body);
    wire_frame_t f[2] = { wire_str (HDR1), { body, sizeof body } };
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    int got = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq (wire_send_cmd (dealer, NULL, 0, WIRE_SEND, f, 2, 0), SG_OK);
        wire_msg_t *m;
        while (wire_recv (router, &m, ZMQ_DONTWAIT, NULL) == SG_OK) {
            got += m->cmd == WIRE_SEND && m->frames[1].size == sizeof body;
            wire_msg_destroy (&m);
        }
    }
    while (got < N) {
        wire_msg_t *m;
        ck_assert_int_eq (wire_recv (router, &m, 0, NULL), SG_OK);
        got += m->cmd == WIRE_SEND;
        wire_msg_destroy (&m);
    }
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf (stderr, "wire: %d SEND of 1 KiB in %.3f s (%.0f/s)\n", N, s, N / s);
    /* The rate is printed, never asserted: on a loaded machine or under
     * valgrind or the sanitizers it says nothing about the code. */
    ck_assert_int_eq (got, N);
}
END_TEST

/* --- ZAP ---------------------------------------------------------------- */

typedef struct {
    char pub[41], sec[41];
} s_keypair_t;

static s_keypair_t s_server, s_alice, s_mallory;
static char s_endpoint[256];

static void
s_keys (s_keypair_t *k)
{
    ck_assert_int_eq (zmq_curve_keypair (k->pub, k->sec), 0);
}

static void *
s_curve_router (void)
{
    size_t len = sizeof s_endpoint;
    void *r = s_socket (ZMQ_ROUTER);
    ck_assert_int_eq (wire_setup_server (r, s_server.sec, 0), SG_OK);
    ck_assert_int_eq (zmq_bind (r, "tcp://127.0.0.1:*"), 0);
    zmq_getsockopt (r, ZMQ_LAST_ENDPOINT, s_endpoint, &len);
    s_timeout (r, 2000);
    return r;
}

/* A CURVE DEALER that queues even before it is connected; bound > 0
 * sets its ZMQ_MAXMSGSIZE. */
static void *
s_curve_dealer_bound (const s_keypair_t *k, int64_t bound)
{
    int off = 0;
    void *d = s_socket (ZMQ_DEALER);
    ck_assert_int_eq (wire_setup_client (d, s_server.pub, k->pub, k->sec, 0), SG_OK);
    if (bound > 0)
        ck_assert_int_eq (zmq_setsockopt (d, ZMQ_MAXMSGSIZE, &bound, sizeof bound), 0);
    zmq_setsockopt (d, ZMQ_IMMEDIATE, &off, sizeof off);
    ck_assert_int_eq (zmq_connect (d, s_endpoint), 0);
    return d;
}

static void *
s_curve_dealer (const s_keypair_t *k)
{
    return s_curve_dealer_bound (k, 0);
}

/* Sends a PING from d and returns what the router made of it (or NULL). */
static wire_msg_t *
s_ping_through (void *router, void *d, int wait_ms)
{
    wire_msg_t *m = NULL;
    ck_assert_int_eq (wire_send_cmd (d, NULL, 0, WIRE_PING, NULL, 0, 0), SG_OK);
    /* zmq_poll first: the path where libzmq 4.3 leaves the routing-id
     * frame without connection properties. */
    zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&it, 1, wait_ms) == 1)
        wire_recv (router, &m, ZMQ_DONTWAIT, NULL);
    return m;
}

START_TEST (test_zap)
{
    s_keys (&s_server);
    s_keys (&s_alice);
    s_keys (&s_mallory);
    zap_keys_t *keys = zap_keys_new ();
    ck_assert_int_eq (zap_keys_add (keys, s_alice.pub, "CI-asycuda", "adapter"), SG_OK);
    ck_assert_int_eq (zap_keys_add (keys, "tooshort", "x", "adapter"), SG_EKEY);
    ck_assert_int_eq (zap_keys_add (keys, s_mallory.pub, "", "adapter"), SG_EINVAL);
    ck_assert_uint_eq (zap_keys_count (keys), 1);
    s_zap = zap_new (s_ctx, zap_keys_lookup, keys);
    zap_t *zap = s_zap;
    ck_assert_ptr_nonnull (zap);
    ck_assert_ptr_null (zap_new (s_ctx, zap_keys_lookup, keys));   /* one per context */
    void *router = s_curve_router ();

    /* A registered key gets through, named by ZAP. */
    void *alice = s_curve_dealer (&s_alice);
    wire_msg_t *m = s_ping_through (router, alice, 3000);
    ck_assert_ptr_nonnull (m);
    ck_assert_str_eq (m->user_id, "CI-asycuda");
    ck_assert_str_eq (m->role, "adapter");
    wire_msg_destroy (&m);

    /* An unknown key never gets a message through. */
    void *mallory = s_curve_dealer (&s_mallory);
    m = s_ping_through (router, mallory, 500);
    ck_assert_ptr_null (m);
    uint64_t admitted, refused;
    zap_stats (zap, &admitted, &refused);
    ck_assert_uint_eq (admitted, 1);
    ck_assert_uint_ge (refused, 1);
    s_close (mallory);

    /* Reload without alice: her next connection is refused. */
    zap_keys_t *keys2 = zap_keys_new ();
    ck_assert_int_eq (zap_keys_add (keys2, s_mallory.pub, "BF", "node"), SG_OK);
    zap_set_lookup (zap, zap_keys_lookup, keys2);
    zap_keys_destroy (&keys);
    ck_assert_ptr_null (keys);
    void *alice2 = s_curve_dealer (&s_alice);
    m = s_ping_through (router, alice2, 500);
    ck_assert_ptr_null (m);
    /* ...while mallory, now registered as node BF, gets in on a new connection. */
    void *mallory2 = s_curve_dealer (&s_mallory);
    m = s_ping_through (router, mallory2, 3000);
    ck_assert_ptr_nonnull (m);
    ck_assert_str_eq (m->user_id, "BF");
    ck_assert_str_eq (m->role, "node");
    wire_msg_destroy (&m);

    zap_destroy (&s_zap);
    ck_assert_ptr_null (s_zap);
    zap_keys_destroy (&keys2);
}
END_TEST

/* ZMQ_MAXMSGSIZE bounds a frame as it arrives, which CURVE makes longer:
 * a peer link (bounded at WIRE_REPLY_BOUND) must still take the largest
 * answer, a packed ACK of WIRE_MAX_IDS ids. No ZAP handler runs here. */
START_TEST (test_curve_reply_bound)
{
    s_keys (&s_server);
    s_keys (&s_alice);
    void *router = s_curve_router ();
    void *link = s_curve_dealer_bound (&s_alice, WIRE_REPLY_BOUND);
    s_timeout (link, 3000);
    wire_msg_t *m = s_ping_through (router, link, 3000);
    ck_assert_ptr_nonnull (m);
    const char *ids[WIRE_MAX_IDS];
    s_many_ids (ids);
    ck_assert_int_eq (wire_send_ack (router, m->rid, m->rid_len, ids, WIRE_MAX_IDS, WIRE_PACKED),
                      SG_OK);
    wire_msg_destroy (&m);
    ck_assert_int_eq (wire_recv (link, &m, 0, NULL), SG_OK);
    ck_assert_int_eq (m->cmd, WIRE_ACK);
    ck_assert (m->packed);
    ck_assert_uint_eq (m->nframes, WIRE_MAX_IDS);
    wire_msg_destroy (&m);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("wire");
    TCase *tc = tcase_create ("wire");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, RUNNING_ON_VALGRIND ? 300 : 20);
    tcase_add_test (tc, test_roundtrip);
    tcase_add_test (tc, test_ack_batch);
    tcase_add_test (tc, test_malformed);
    tcase_add_test (tc, test_packed_roundtrip);
    tcase_add_test (tc, test_packed_malformed);
    tcase_add_test (tc, test_unknown_rid);
    tcase_add_test (tc, test_header_get);
    tcase_add_test (tc, test_throughput);
    suite_add_tcase (s, tc);
    TCase *tz = tcase_create ("zap");
    tcase_add_checked_fixture (tz, s_setup, s_teardown);
    tcase_set_timeout (tz, RUNNING_ON_VALGRIND ? 300 : 20);
    tcase_add_test (tz, test_zap);
    tcase_add_test (tz, test_curve_reply_bound);
    suite_add_tcase (s, tz);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
