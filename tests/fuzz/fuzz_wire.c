/* fuzz_wire.c - libFuzzer target for the SGTP/1 frame codec, as the node's
 * intake meets it: the input is cut into frames (a 0xFF byte ends a frame),
 * the first naming the command; wire_cmd_parse, wire_check and, on the first
 * frame, wire_header_get and wire_id_check must survive anything. A message
 * wire_check accepts must also pass it again after a round trip through
 * wire_send_cmd / wire_recv on an inproc socket pair, in frames and packed.
 * The whole input behind the magic is also received as one packed frame:
 * whatever wire_recv accepts of it must pass wire_check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_MAX_FRAMES 1100

static void *s_ctx, *s_in, *s_out;

static void
s_fail (const char *what)
{
    fprintf (stderr, "fuzz_wire: %s\n", what);
    abort ();
}

static void
s_sockets (void)
{
    if (s_ctx)
        return;
    s_ctx = zmq_ctx_new ();
    s_in = zmq_socket (s_ctx, ZMQ_ROUTER);
    s_out = zmq_socket (s_ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (s_in, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (s_out, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind (s_in, "inproc://fuzz-wire") || zmq_connect (s_out, "inproc://fuzz-wire"))
        s_fail ("cannot set up the inproc pair");
}

/* Sends what was cut from the input (flags 0 or WIRE_PACKED) and checks it
 * comes back the same. */
static void
s_roundtrip (wire_cmd_t cmd, const wire_frame_t *f, size_t n, int flags)
{
    sg_diag_t diag;
    if (wire_send_cmd (s_out, NULL, 0, cmd, f, n, flags) != SG_OK)
        s_fail ("a checked message cannot be sent");
    wire_msg_t *m = NULL;
    if (wire_recv (s_in, &m, 0, &diag) != SG_OK)
        s_fail ("a checked message does not come back");
    if (m->cmd != cmd || m->nframes != n)
        s_fail ("the message changed on the way");
    for (size_t i = 0; i < n; i++)
        if (m->frames[i].size != f[i].size || memcmp (m->frames[i].data, f[i].data, f[i].size) != 0)
            s_fail ("a frame changed on the way");
    wire_msg_destroy (&m);
}

/* "SGTP/1" and the input as one frame, as a hostile peer could send it. */
static void
s_packed_raw (const uint8_t *data, size_t size)
{
    static uint8_t buf[6 + (1 << 20)];
    if (size > sizeof buf - 6)
        return;
    memcpy (buf, "SGTP/1", 6);
    memcpy (buf + 6, data, size);
    s_sockets ();
    if (zmq_send (s_out, buf, 6 + size, 0) < 0)
        s_fail ("cannot send a raw frame");
    wire_msg_t *m = NULL;
    sg_diag_t diag;
    if (wire_recv (s_in, &m, 0, &diag) == SG_OK) {
        if (size == 0 || !m->packed || wire_check (m->cmd, m->frames, m->nframes, &diag) != SG_OK)
            s_fail ("a packed frame was taken that breaks the grammar");
        wire_msg_destroy (&m);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_packed_raw (data, size);
    static wire_frame_t f[S_MAX_FRAMES];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < S_MAX_FRAMES; i++)
        if (i == size || data[i] == 0xFF) {
            f[n++] = (wire_frame_t) { data + start, i - start };
            start = i + 1;
        }
    if (n == 0)
        return 0;
    wire_cmd_t cmd = wire_cmd_parse (f[0].data, f[0].size);
    sg_diag_t diag;
    int ok = wire_check (cmd, f + 1, n - 1, &diag) == SG_OK;
    if (n > 1) {
        char value[300];
        wire_header_get (f[1].data, f[1].size, "Message-Id", value, sizeof value);
        wire_id_check (f[1].data, f[1].size);
    }
    if (!ok || cmd == WIRE_NONE)
        return 0;
    s_sockets ();
    s_roundtrip (cmd, f + 1, n - 1, 0);
    s_roundtrip (cmd, f + 1, n - 1, WIRE_PACKED);
    return 0;
}
