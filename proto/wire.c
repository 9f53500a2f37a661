/* wire.c - SGTP/1 multipart codec on ZeroMQ sockets. Receives keep the
 * frames in zmq_msg_t (no copy of headers or bodies); one allocation per
 * message, a second only for ACKs carrying more than a few ids. */
#include "wire.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_INLINE 4                      /* frames kept without a second malloc */
#define S_MAX_FRAMES WIRE_MAX_IDS       /* the largest legal command */
/* The largest packed DELIVER of the largest message a node takes. */
#define S_MAX_FRAME_SIZE (WIRE_MAX_MESSAGE + WIRE_FRAME_OVERHEAD)

static const char *s_names[WIRE_CMD_COUNT] = {
    [WIRE_NONE] = "?",
    [WIRE_HELLO] = "HELLO", [WIRE_WELCOME] = "WELCOME", [WIRE_DENIED] = "DENIED",
    [WIRE_SEND] = "SEND", [WIRE_DELIVER] = "DELIVER", [WIRE_ACK] = "ACK",
    [WIRE_NAK] = "NAK", [WIRE_PING] = "PING", [WIRE_PONG] = "PONG",
};

/* Frames after the command: minimum and maximum count. */
static const struct { size_t min, max; } s_counts[WIRE_CMD_COUNT] = {
    [WIRE_HELLO] = { 2, 4 }, [WIRE_WELCOME] = { 1, 3 }, [WIRE_DENIED] = { 1, 1 },
    [WIRE_SEND] = { 2, 3 }, [WIRE_DELIVER] = { 3, 3 }, [WIRE_ACK] = { 1, WIRE_MAX_IDS },
    [WIRE_NAK] = { 3, 3 }, [WIRE_PING] = { 0, 0 }, [WIRE_PONG] = { 0, 0 },
};

typedef struct {
    wire_msg_t pub;                     /* first: wire_msg_t * is s_msg_t * */
    size_t nparts;                      /* initialised entries of parts */
    size_t cap;
    zmq_msg_t *parts;
    zmq_msg_t inl_parts[S_INLINE];
    wire_frame_t inl_frames[S_INLINE];
    wire_frame_t *unpacked;             /* frames of a packed message over S_INLINE */
} s_msg_t;

const char *
wire_cmd_name (wire_cmd_t cmd)
{
    if ((int) cmd <= WIRE_NONE || cmd >= WIRE_CMD_COUNT)
        return "?";
    return s_names[cmd];
}

wire_cmd_t
wire_cmd_parse (const void *name, size_t len)
{
    for (int c = WIRE_HELLO; c < WIRE_CMD_COUNT; c++)
        if (strlen (s_names[c]) == len && memcmp (s_names[c], name, len) == 0)
            return (wire_cmd_t) c;
    return WIRE_NONE;
}

int
wire_id_check (const void *p, size_t len)
{
    const unsigned char *s = p;
    if (len != WIRE_ID_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        }
        else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
                   || (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    }
    return 1;
}

/* 1 if the frame is 1..max bytes of [A-Za-z0-9._-] (lower only: [a-z]). */
static int
s_token (const wire_frame_t *f, size_t max, int lower_only)
{
    const unsigned char *s = f->data;
    if (f->size == 0 || f->size > max)
        return 0;
    for (size_t i = 0; i < f->size; i++) {
        unsigned char c = s[i];
        if (c >= 'a' && c <= 'z')
            continue;
        if (lower_only)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
              || c == '-'))
            return 0;
    }
    return 1;
}

/* A features frame: names of [a-z0-9-] separated by single spaces. */
static int
s_features (const wire_frame_t *f)
{
    const unsigned char *s = f->data;
    if (f->size == 0 || f->size > WIRE_MAX_FEATURES || s[0] == ' ' || s[f->size - 1] == ' ')
        return 0;
    for (size_t i = 0; i < f->size; i++) {
        unsigned char c = s[i];
        if (c == ' ' ? s[i - 1] == ' ' : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                                           || c == '-'))
            return 0;
    }
    return 1;
}

int
wire_frame_number (const wire_frame_t *f)
{
    char buf[16];
    snprintf (buf, sizeof buf, "%.*s", (int) (f->size < 15 ? f->size : 15), (const char *) f->data);
    return atoi (buf);
}

size_t
wire_ack_ids (const wire_msg_t *m, char (*buf)[WIRE_ID_LEN + 1], const char **ids)
{
    for (size_t i = 0; i < m->nframes; i++) {
        memcpy (buf[i], m->frames[i].data, WIRE_ID_LEN);
        buf[i][WIRE_ID_LEN] = '\0';
        ids[i] = buf[i];
    }
    return m->nframes;
}

int
wire_nak_parse (const wire_msg_t *m, char *reason, size_t size)
{
    size_t n = m->frames[2].size < size ? m->frames[2].size : size - 1;
    memcpy (reason, m->frames[2].data, n);
    reason[n] = '\0';
    return wire_frame_number (&m->frames[1]);
}

int
wire_has_feature (const wire_frame_t *f, const char *feature)
{
    size_t n = strlen (feature);
    const char *s = f ? f->data : NULL;
    for (size_t i = 0; s && i + n <= f->size; i++)
        if ((i == 0 || s[i - 1] == ' ') && memcmp (s + i, feature, n) == 0
            && (i + n == f->size || s[i + n] == ' '))
            return 1;
    return 0;
}

const char *
wire_features (int batch_sign, int packed)
{
    if (batch_sign)
        return packed ? WIRE_FEATURE_BATCH " " WIRE_FEATURE_PACKED : WIRE_FEATURE_BATCH;
    return packed ? WIRE_FEATURE_PACKED : "";
}

/* Decimal number without sign or leading zero in [1, max]; -1 otherwise. */
static long
s_number (const wire_frame_t *f, long max)
{
    const unsigned char *s = f->data;
    long v = 0;
    if (f->size == 0 || f->size > 9 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < f->size; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

/* 1 if the frame is 1..max bytes of text without NUL. */
static int
s_text (const wire_frame_t *f, size_t max)
{
    return f->size > 0 && f->size <= max && !memchr (f->data, 0, f->size);
}

/* Checks a header frame carries a Message-Id that is a UUID. */
static int
s_header_id (const wire_frame_t *f, sg_diag_t *diag)
{
    char id[WIRE_ID_LEN + 2];
    int rc = wire_header_get (f->data, f->size, "Message-Id", id, sizeof id);
    if (rc == SG_ENOTFOUND)
        return sg_diag_set (diag, SG_EPROTO, 0, SG_NAK_MISSING_ELEMENT,
                            "header has no Message-Id line");
    if (rc != SG_OK || !wire_id_check (id, strlen (id)))
        return sg_diag_set (diag, SG_EPROTO, 0, SG_NAK_INCORRECT_VALUE,
                            "header Message-Id is not a UUID");
    return SG_OK;
}

int
wire_check (wire_cmd_t cmd, const wire_frame_t *f, size_t n, sg_diag_t *diag)
{
    if ((int) cmd <= WIRE_NONE || cmd >= WIRE_CMD_COUNT)
        return sg_diag_set (diag, SG_EPROTO, 0, 0, "unknown command");
    const char *name = s_names[cmd];
    if (n < s_counts[cmd].min || n > s_counts[cmd].max)
        return sg_diag_set (diag, SG_EPROTO, 0, 0, "%s takes %zu to %zu frames, got %zu", name,
                            s_counts[cmd].min, s_counts[cmd].max, n);
    for (size_t i = 0; i < n; i++)
        if (f[i].size == 0)
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "%s frame %zu is empty", name, i + 1);

    switch (cmd) {
    case WIRE_HELLO:
        if (!s_token (&f[0], WIRE_MAX_ROLE, 1))
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "HELLO role is not a lowercase word");
        if (!s_token (&f[1], WIRE_MAX_NAME, 0))
            return sg_diag_set (diag, SG_EPROTO, 0, 0,
                                "HELLO name is not 1-64 of [A-Za-z0-9._-]");
        if (n >= 3 && s_number (&f[2], WIRE_MAX_WINDOW) < 0)
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "HELLO window is not 1-65535");
        if (n == 4 && !s_features (&f[3]))
            return sg_diag_set (diag, SG_EPROTO, 0, 0,
                                "HELLO features are not names of [a-z0-9-] separated by spaces");
        break;
    case WIRE_WELCOME:
        if (!s_token (&f[0], WIRE_MAX_NAME, 0))
            return sg_diag_set (diag, SG_EPROTO, 0, 0,
                                "WELCOME name is not 1-64 of [A-Za-z0-9._-]");
        if (n >= 2 && s_number (&f[1], WIRE_MAX_WINDOW) < 0)
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "WELCOME window is not 1-65535");
        if (n == 3 && !s_features (&f[2]))
            return sg_diag_set (diag, SG_EPROTO, 0, 0,
                                "WELCOME features are not names of [a-z0-9-] separated by spaces");
        break;
    case WIRE_DENIED:
        if (!s_text (&f[0], WIRE_MAX_REASON))
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "DENIED reason too long or has NUL");
        break;
    case WIRE_SEND:
    case WIRE_DELIVER:
        if (s_header_id (&f[0], diag) != SG_OK)
            return SG_EPROTO;
        if (n == 3 && f[2].size > WIRE_MAX_SIGNATURE)
            return sg_diag_set (diag, SG_EPROTO, 0, SG_NAK_SIGNATURE,
                                "%s signature over %d bytes", name, WIRE_MAX_SIGNATURE);
        break;
    case WIRE_ACK:
        for (size_t i = 0; i < n; i++)
            if (!wire_id_check (f[i].data, f[i].size))
                return sg_diag_set (diag, SG_EPROTO, 0, 0, "ACK frame %zu is not a UUID", i + 1);
        break;
    case WIRE_NAK:
        if (!wire_id_check (f[0].data, f[0].size))
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "NAK id is not a UUID");
        if (s_number (&f[1], 65535) < 0)
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "NAK code is not a number 1-65535");
        if (!s_text (&f[2], WIRE_MAX_REASON))
            return sg_diag_set (diag, SG_EPROTO, 0, 0, "NAK reason too long or has NUL");
        break;
    default:
        break;
    }
    return SG_OK;
}

static int
s_errno_rc (void)
{
    if (errno == EAGAIN)
        return SG_ETIMEOUT;
    if (errno == EHOSTUNREACH)
        return SG_ENOTFOUND;
    return SG_EIO;
}

/* The commands that may travel packed: those of the message flow. */
static int
s_packable (wire_cmd_t cmd)
{
    return cmd == WIRE_SEND || cmd == WIRE_DELIVER || cmd == WIRE_ACK || cmd == WIRE_NAK;
}

/* The packed form: one frame of the magic, then the command name and each
 * frame, every one preceded by its length (4 bytes, big-endian). It is
 * one ZeroMQ frame to queue, encrypt and read instead of four to six. */
static int
s_send_packed (void *sock, const void *rid, size_t rid_len, const char *name,
               const wire_frame_t *frames, size_t n, int flags)
{
    size_t nlen = strlen (name), total = 6 + 4 + nlen;
    for (size_t i = 0; i < n; i++)
        total += 4 + frames[i].size;
    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, total) != 0)
        return SG_ENOMEM;
    unsigned char *p = zmq_msg_data (&msg);
    memcpy (p, WIRE_MAGIC, 6);
    p += 6;
    sg_be32_put (p, (uint32_t) nlen);
    memcpy (p + 4, name, nlen);
    p += 4 + nlen;
    for (size_t i = 0; i < n; i++) {
        sg_be32_put (p, (uint32_t) frames[i].size);
        memcpy (p + 4, frames[i].data, frames[i].size);
        p += 4 + frames[i].size;
    }
    if ((rid && rid_len > 0 && zmq_send (sock, rid, rid_len, ZMQ_SNDMORE | flags) < 0)
        || zmq_msg_send (&msg, sock, flags) < 0) {
        int e = errno;
        zmq_msg_close (&msg);
        errno = e;
        return s_errno_rc ();
    }
    return SG_OK;
}

int
wire_send_cmd (void *sock, const void *rid, size_t rid_len, wire_cmd_t cmd,
               const wire_frame_t *frames, size_t n, int flags)
{
    if (wire_check (cmd, frames, n, NULL) != SG_OK)
        return SG_EPROTO;
    const char *name = s_names[cmd];
    int packed = flags & WIRE_PACKED;
    flags &= ~WIRE_PACKED;
    if (packed && s_packable (cmd))
        return s_send_packed (sock, rid, rid_len, name, frames, n, flags);
    int more = ZMQ_SNDMORE | flags;
    /* Only the first frame can fail with EAGAIN/EHOSTUNREACH: once it is
     * accepted ZeroMQ takes the rest of the multipart message. */
    if (rid && rid_len > 0 && zmq_send (sock, rid, rid_len, more) < 0)
        return s_errno_rc ();
    if (zmq_send (sock, WIRE_MAGIC, 6, more) < 0)
        return s_errno_rc ();
    if (zmq_send (sock, name, strlen (name), n ? more : flags) < 0)
        return s_errno_rc ();
    for (size_t i = 0; i < n; i++)
        if (zmq_send (sock, frames[i].data, frames[i].size, i + 1 < n ? more : flags) < 0)
            return s_errno_rc ();
    return SG_OK;
}

int
wire_send_ack (void *sock, const void *rid, size_t rid_len, const char *const *ids, size_t n,
               int flags)
{
    wire_frame_t inl[16], *f = inl;
    if (n == 0 || n > WIRE_MAX_IDS)
        return SG_EPROTO;
    if (n > 16 && !(f = malloc (n * sizeof *f)))
        return SG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        f[i] = wire_str (ids[i]);
    int rc = wire_send_cmd (sock, rid, rid_len, WIRE_ACK, f, n, flags);
    if (f != inl)
        free (f);
    return rc;
}

int
wire_send_nak (void *sock, const void *rid, size_t rid_len, const char *id, int code,
               const char *reason, int flags)
{
    char num[16];
    snprintf (num, sizeof num, "%d", code);
    wire_frame_t f[3] = { wire_str (id), wire_str (num), wire_str (reason) };
    /* A reason that is too long is cut rather than making the NAK illegal. */
    if (f[2].size > WIRE_MAX_REASON)
        f[2].size = WIRE_MAX_REASON;
    return wire_send_cmd (sock, rid, rid_len, WIRE_NAK, f, 3, flags);
}

void
wire_msg_destroy (wire_msg_t **msg_p)
{
    if (!msg_p || !*msg_p)
        return;
    s_msg_t *m = (s_msg_t *) *msg_p;
    for (size_t i = 0; i < m->nparts; i++)
        zmq_msg_close (&m->parts[i]);
    if (m->parts != m->inl_parts) {
        free (m->parts);
        free (m->pub.frames);
    }
    free (m->unpacked);
    free (m);
    *msg_p = NULL;
}

/* Makes room for one more kept frame; 0 on success. */
static int
s_grow (s_msg_t *m)
{
    if (m->nparts < m->cap)
        return 0;
    size_t cap = m->cap * 4;
    if (cap > S_MAX_FRAMES)
        cap = S_MAX_FRAMES;
    zmq_msg_t *parts = malloc (cap * sizeof *parts);
    wire_frame_t *frames = malloc (cap * sizeof *frames);
    if (!parts || !frames) {
        free (parts);
        free (frames);
        return -1;
    }
    /* zmq_msg_t may not be copied bytewise once initialised: move them. */
    for (size_t i = 0; i < m->nparts; i++) {
        zmq_msg_init (&parts[i]);
        zmq_msg_move (&parts[i], &m->parts[i]);
        zmq_msg_close (&m->parts[i]);
    }
    if (m->parts != m->inl_parts) {
        free (m->parts);
        free (m->pub.frames);
    }
    m->parts = parts;
    m->pub.frames = frames;
    m->cap = cap;
    return 0;
}

/* Splits the one frame of a packed message (parts[0], kept whole) into its
 * command and frames, pointing into it. Returns NULL, or what is wrong
 * (static text, or written into why). A hostile length or count costs
 * one pass over the frame and no memory. */
static const char *
s_unpack (s_msg_t *m, char *why, size_t size)
{
    const unsigned char *p = zmq_msg_data (&m->parts[0]);
    const unsigned char *end = p + zmq_msg_size (&m->parts[0]);
    p += 6;
    size_t n = 0;
    for (const unsigned char *q = p; q < end; n++) {
        if (n > S_MAX_FRAMES + 1)
            return "packed message holds more frames than any command takes";
        if (end - q < 4)
            return "packed message ends inside a frame length";
        size_t len = sg_be32_get (q);
        if (len == 0)
            return "packed message holds an empty frame";
        if (len > (size_t) (end - q) - 4)
            return "packed frame runs past the end of the message";
        q += 4 + len;
    }
    size_t clen = sg_be32_get (p);
    m->pub.cmd = wire_cmd_parse (p + 4, clen);
    if (m->pub.cmd == WIRE_NONE) {
        snprintf (why, size, "unknown command '%.*s'", (int) (clen > 16 ? 16 : clen),
                  (const char *) p + 4);
        return why;
    }
    if (!s_packable (m->pub.cmd)) {
        snprintf (why, size, "%s cannot be packed", s_names[m->pub.cmd]);
        return why;
    }
    p += 4 + clen;
    n--;                                /* the frames after the command */
    if (n > s_counts[m->pub.cmd].max) {
        snprintf (why, size, "%s takes %zu to %zu frames, got %zu", s_names[m->pub.cmd],
                  s_counts[m->pub.cmd].min, s_counts[m->pub.cmd].max, n);
        return why;
    }
    if (n > S_INLINE) {
        if (!(m->unpacked = malloc (n * sizeof *m->unpacked)))
            return "out of memory";
        m->pub.frames = m->unpacked;
    }
    for (size_t i = 0; i < n; i++) {
        m->pub.frames[i].size = sg_be32_get (p);
        m->pub.frames[i].data = p + 4;
        p += 4 + m->pub.frames[i].size;
    }
    m->pub.nframes = n;
    return NULL;
}

int
wire_recv (void *sock, wire_msg_t **out, int flags, sg_diag_t *diag)
{
    int type = 0, rc = SG_OK, too_many = 0;
    size_t tlen = sizeof type, index = 0;
    const char *problem = NULL;
    char why[200] = "";
    zmq_msg_t part;

    *out = NULL;
    zmq_getsockopt (sock, ZMQ_TYPE, &type, &tlen);
    s_msg_t *m = calloc (1, sizeof *m);
    if (!m)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory receiving a message");
    m->parts = m->inl_parts;
    m->pub.frames = m->inl_frames;
    m->cap = S_INLINE;

    /* Read every part of the message whatever happens, so that the next
     * receive starts on a message boundary; decide validity afterwards. */
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, sock, flags) < 0) {
        int e = errno;
        zmq_msg_close (&part);
        free (m);
        errno = e;
        if (e == EAGAIN)
            return SG_ETIMEOUT;
        return sg_diag_set (diag, SG_EIO, 0, 0, "receive failed: %s", zmq_strerror (e));
    }
    size_t base = type == ZMQ_ROUTER ? 1 : 0;   /* index of the magic frame */
    for (;;) {
        size_t size = zmq_msg_size (&part);
        const void *data = zmq_msg_data (&part);
        int more = zmq_msg_more (&part);
        int keep = 0;
        /* Connection properties: a ROUTER's routing-id frame lacks them
         * when the message was first seen by zmq_poll (libzmq 4.3), so
         * read them from the first transported frame. */
        if (index == base) {
            const char *uid = zmq_msg_gets (&part, "User-Id");
            const char *role = zmq_msg_gets (&part, "Role");
            const char *key = zmq_msg_gets (&part, "Key");
            if (key)
                sg_strlcpy (m->pub.key, key, sizeof m->pub.key);
            if (uid)
                sg_strlcpy (m->pub.user_id, uid, sizeof m->pub.user_id);
            if (role)
                sg_strlcpy (m->pub.role, role, sizeof m->pub.role);
        }
        if (problem) {
            /* drain the rest of the message */
        }
        else if (base && index == 0) {
            if (size == 0 || size > WIRE_MAX_RID)
                problem = "bad routing id";
            else {
                memcpy (m->pub.rid, data, size);
                m->pub.rid_len = size;
            }
        }
        else if (index == base) {
            int magic = size >= 6 && memcmp (data, WIRE_MAGIC, 6) == 0;
            if (size > 6 && !more && magic)
                keep = m->pub.packed = 1;       /* one frame: split below */
            else if (size > 6 && magic)
                problem = "packed message followed by another frame";
            else if (size != 6 || !magic)
                problem = size == 0 ? "empty first frame (no delimiter frame in SGTP/1)"
                                    : "first frame is not SGTP/1";
        }
        else if (index == base + 1) {
            m->pub.cmd = wire_cmd_parse (data, size);
            if (m->pub.cmd == WIRE_NONE) {
                snprintf (why, sizeof why, "unknown command '%.*s'", (int) (size > 16 ? 16 : size),
                          (const char *) data);
                problem = why;
            }
        }
        else if (m->nparts >= s_counts[m->pub.cmd].max) {
            /* Past what the command takes: refuse it, and drain the rest
             * one frame at a time without keeping any (counted for the
             * log), so a message of a million frames costs no memory here. */
            problem = why;
            too_many = 1;
        }
        else if (s_grow (m) != 0) {
            rc = SG_ENOMEM;
            problem = "out of memory";
        }
        else
            keep = 1;
        if (keep) {
            zmq_msg_init (&m->parts[m->nparts]);
            zmq_msg_move (&m->parts[m->nparts], &part);
            m->nparts++;
        }
        index++;
        if (!more)
            break;
        if (zmq_msg_recv (&part, sock, 0) < 0) {
            rc = SG_EIO;
            problem = "receive failed in the middle of a message";
            break;
        }
    }
    zmq_msg_close (&part);
    if (too_many)
        snprintf (why, sizeof why, "%s takes %zu to %zu frames, got %zu", s_names[m->pub.cmd],
                  s_counts[m->pub.cmd].min, s_counts[m->pub.cmd].max, index - base - 2);
    if (!problem && !m->pub.packed && index < base + 2)
        problem = index <= base ? "message has no SGTP/1 frame" : "message has no command frame";

    /* Small frames live inside their zmq_msg_t, so pointers are taken only
     * now that the parts have stopped moving. */
    if (m->pub.packed) {
        if (!problem)
            problem = s_unpack (m, why, sizeof why);
    }
    else {
        m->pub.nframes = m->nparts;
        for (size_t i = 0; i < m->nparts; i++) {
            m->pub.frames[i].data = zmq_msg_data (&m->parts[i]);
            m->pub.frames[i].size = zmq_msg_size (&m->parts[i]);
        }
    }
    if (!problem) {
        sg_diag_t d;
        if (wire_check (m->pub.cmd, m->pub.frames, m->pub.nframes, &d) != SG_OK) {
            sg_strlcpy (why, d.text, sizeof why);
            problem = why;
        }
    }
    if (problem) {
        const char *who = m->pub.user_id[0] ? m->pub.user_id : "unauthenticated peer";
        if (rc == SG_OK)
            rc = SG_EPROTO;
        sg_diag_set (diag, rc, 0, 0, "malformed SGTP/1 message from %s: %s", who, problem);
        wire_msg_destroy ((wire_msg_t **) &m);
        return rc;
    }
    if (m->pub.cmd == WIRE_SEND || m->pub.cmd == WIRE_DELIVER)
        wire_header_get (m->pub.frames[0].data, m->pub.frames[0].size, "Message-Id", m->pub.id,
                         sizeof m->pub.id);
    else if (m->pub.cmd == WIRE_ACK || m->pub.cmd == WIRE_NAK) {
        memcpy (m->pub.id, m->pub.frames[0].data, WIRE_ID_LEN);
        m->pub.id[WIRE_ID_LEN] = '\0';
    }
    *out = &m->pub;
    return SG_OK;
}

int
wire_header_get (const void *header, size_t len, const char *key, char *out, size_t outsize)
{
    const char *p = header, *end = p + len;
    size_t klen = strlen (key);
    while (p < end) {
        const char *eol = memchr (p, '\n', (size_t) (end - p));
        if (!eol)
            eol = end;
        if ((size_t) (eol - p) >= klen + 2 && memcmp (p, key, klen) == 0 && p[klen] == ':'
            && p[klen + 1] == ' ') {
            const char *v = p + klen + 2;
            size_t vlen = (size_t) (eol - v);
            if (vlen >= outsize) {
                if (outsize)
                    out[0] = '\0';
                return SG_ETOOBIG;
            }
            memcpy (out, v, vlen);
            out[vlen] = '\0';
            return SG_OK;
        }
        p = eol + 1;
    }
    if (outsize)
        out[0] = '\0';
    return SG_ENOTFOUND;
}

/* Sets an int option, logging the failure; 0 on success. */
static int
s_setint (void *sock, int opt, int value)
{
    if (zmq_setsockopt (sock, opt, &value, sizeof value) == 0)
        return 0;
    sg_log_error ("zmq option %d: %s", opt, zmq_strerror (errno));
    return -1;
}

/* Sets a CURVE key given in Z85; 0 on success. */
static int
s_setkey (void *sock, int opt, const char *z85)
{
    uint8_t raw[32];
    if (!z85 || strlen (z85) != 40 || !zmq_z85_decode (raw, z85))
        return -1;
    return zmq_setsockopt (sock, opt, raw, sizeof raw) == 0 ? 0 : -1;
}

static int
s_common (void *sock, int heartbeat_ms)
{
    int ivl = heartbeat_ms > 0 ? heartbeat_ms : 5000;
    int64_t max = S_MAX_FRAME_SIZE;
    if (s_setint (sock, ZMQ_LINGER, 200) || s_setint (sock, ZMQ_HEARTBEAT_IVL, ivl)
        || s_setint (sock, ZMQ_HEARTBEAT_TIMEOUT, 3 * ivl)
        || s_setint (sock, ZMQ_HEARTBEAT_TTL, 3 * ivl > 6553599 ? 6553599 : 3 * ivl)
        || zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0)
        return SG_EIO;
    return SG_OK;
}

int
wire_setup_server (void *sock, const char *secret_z85, int heartbeat_ms)
{
    if (s_common (sock, heartbeat_ms) != SG_OK || s_setint (sock, ZMQ_ROUTER_MANDATORY, 1)
        || s_setint (sock, ZMQ_SNDTIMEO, 100))
        return SG_EIO;
    if (!secret_z85)
        return SG_OK;
    if (s_setint (sock, ZMQ_CURVE_SERVER, 1) || s_setkey (sock, ZMQ_CURVE_SECRETKEY, secret_z85))
        return SG_EKEY;
    if (zmq_setsockopt (sock, ZMQ_ZAP_DOMAIN, "sigmat", 6) != 0)
        return SG_EIO;
    return SG_OK;
}

int
wire_setup_client (void *sock, const char *server_public_z85, const char *public_z85,
                   const char *secret_z85, int heartbeat_ms)
{
    if (s_common (sock, heartbeat_ms) != SG_OK || s_setint (sock, ZMQ_IMMEDIATE, 1)
        || s_setint (sock, ZMQ_RECONNECT_IVL, 100) || s_setint (sock, ZMQ_RECONNECT_IVL_MAX, 5000))
        return SG_EIO;
    if (!server_public_z85 && !public_z85 && !secret_z85)
        return SG_OK;
    if (s_setkey (sock, ZMQ_CURVE_SERVERKEY, server_public_z85)
        || s_setkey (sock, ZMQ_CURVE_PUBLICKEY, public_z85)
        || s_setkey (sock, ZMQ_CURVE_SECRETKEY, secret_z85))
        return SG_EKEY;
    return SG_OK;
}
