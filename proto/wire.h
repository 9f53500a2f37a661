/* wire.h - SGTP/1 framing over ZeroMQ: build, send, receive and validate the
 * multipart messages of the protocol (docs/protocol.md). On a DEALER socket
 * a message is  "SGTP/1", COMMAND, frame...  ; on a ROUTER socket the
 * routing-id frame comes first. There is never an empty delimiter frame. */
#ifndef SG_WIRE_H_INCLUDED
#define SG_WIRE_H_INCLUDED

#include <stddef.h>

#include "sg.h"

#define WIRE_MAGIC          "SGTP/1"
#define WIRE_MAX_IDS        1024        /* message ids in one ACK */
#define WIRE_MAX_RID        255         /* ZeroMQ routing ids are 1-255 bytes */
#define WIRE_MAX_NAME       64          /* node or adapter name in HELLO/WELCOME */
#define WIRE_MAX_ROLE       16
#define WIRE_MAX_REASON     1024        /* DENIED and NAK reason text */
#define WIRE_MAX_SIGNATURE  1024
#define WIRE_MAX_WINDOW     65535
#define WIRE_DEFAULT_WINDOW 64          /* when HELLO/WELCOME do not say */
#define WIRE_ID_LEN         36          /* UUID text form */
#define WIRE_HELLO_REQUIRED "hello required"   /* the one non-fatal DENIED */
#define WIRE_MAX_FEATURES   256         /* the features frame of HELLO/WELCOME */
/* The largest frame of an answer (WELCOME, DENIED, ACK, NAK, PONG): a
 * packed ACK of WIRE_MAX_IDS ids, each with its 4-byte length. */
#define WIRE_MAX_REPLY_FRAME (6 + 4 + 3 + WIRE_MAX_IDS * (4 + WIRE_ID_LEN))
/* ZMQ_MAXMSGSIZE bounds a frame as it arrives, and under CURVE a frame
 * arrives 33 bytes longer (libzmq 4.3): every bound leaves this much. */
#define WIRE_CURVE_MARGIN   64
/* The frame bound of a socket where only answers arrive (a peer link). */
#define WIRE_REPLY_BOUND    (WIRE_MAX_REPLY_FRAME + WIRE_CURVE_MARGIN)
/* The largest header + body a node may be configured to take
 * (max_message_size), and what a packed SEND or DELIVER adds to it: the
 * header's own 8 KiB at most, a signature, the lengths, CURVE. */
#define WIRE_MAX_MESSAGE    (32L * 1024 * 1024)
#define WIRE_FRAME_OVERHEAD 16384
#define WIRE_FEATURE_BATCH  "batch-sign"   /* batch signatures (sign.h) understood */
#define WIRE_FEATURE_PACKED "packed"       /* one-frame messages understood (WIRE_PACKED) */

/* A flag for wire_send_cmd, wire_send_ack and wire_send_nak, beside
 * ZMQ_DONTWAIT: send SEND, DELIVER, ACK or NAK as one frame (the feature
 * "packed", docs/protocol.md 2a) to a side whose HELLO or WELCOME offered
 * it. Other commands are always sent as separate frames. */
#define WIRE_PACKED         0x100

/* The protocol's commands; WIRE_NONE is never on the wire. */
typedef enum {
    WIRE_NONE = 0,
    WIRE_HELLO, WIRE_WELCOME, WIRE_DENIED,
    WIRE_SEND, WIRE_DELIVER, WIRE_ACK, WIRE_NAK,
    WIRE_PING, WIRE_PONG,
    WIRE_CMD_COUNT
} wire_cmd_t;

/* One frame: bytes and length; never owns its data. */
typedef struct {
    const void *data;
    size_t size;
} wire_frame_t;

/* A received and validated message. Frames point into ZeroMQ's buffers and
 * live until wire_msg_destroy. */
typedef struct {
    wire_cmd_t cmd;
    unsigned char rid[WIRE_MAX_RID];    /* routing id (ROUTER sockets only) */
    size_t rid_len;                     /* 0 on DEALER sockets */
    char user_id[256];                  /* ZAP User-Id (peer name), "" if none */
    char role[32];                      /* ZAP metadata "Role", "" if none */
    char key[41];                       /* ZAP metadata "Key" (CURVE public, Z85), "" if none */
    char id[WIRE_ID_LEN + 1];           /* Message-Id of SEND/DELIVER, NAK id, first ACK id */
    size_t nframes;                     /* frames after the command */
    wire_frame_t *frames;
    int packed;                         /* it came as one frame (WIRE_PACKED) */
} wire_msg_t;

/* Frame made from a C string (not copied). */
static inline wire_frame_t
wire_str (const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return (wire_frame_t) { s, n };
}

/* Static name of a command ("SEND"), or "?" for WIRE_NONE and out of range. */
const char *wire_cmd_name (wire_cmd_t cmd);

/* Command for a name of len bytes (exact, uppercase), or WIRE_NONE. */
wire_cmd_t wire_cmd_parse (const void *name, size_t len);

/* The value of a frame wire_check found to be a decimal number (a window,
 * a NAK code). */
int wire_frame_number (const wire_frame_t *f);

/* The ids of ACK m as C strings: buf holds them, ids[i] points into buf
 * (both at least m->nframes long, at most WIRE_MAX_IDS). Returns the count. */
size_t wire_ack_ids (const wire_msg_t *m, char (*buf)[WIRE_ID_LEN + 1], const char **ids);

/* NAK m's code; its reason is copied into reason (NUL-terminated, cut to
 * size bytes). */
int wire_nak_parse (const wire_msg_t *m, char *reason, size_t size);

/* 1 if the features frame f (HELLO's fourth, WELCOME's third: names
 * separated by single spaces) names feature, else 0. */
int wire_has_feature (const wire_frame_t *f, const char *feature);

/* The features frame naming those given (names separated by spaces), ""
 * for none. */
const char *wire_features (int batch_sign, int packed);

/* Checks the frames that follow cmd against the protocol grammar. Returns
 * SG_OK, or SG_EPROTO with the reason in diag (may be NULL). */
int wire_check (wire_cmd_t cmd, const wire_frame_t *frames, size_t nframes, sg_diag_t *diag);

/* Sends one command as a multipart message: rid (NULL/0 on DEALER), magic,
 * command name, then the frames, after wire_check. flags may be
 * ZMQ_DONTWAIT and WIRE_PACKED (magic, command and frames in one frame,
 * for SEND, DELIVER, ACK and NAK). Returns SG_OK; SG_EPROTO if the frames break the grammar;
 * SG_ETIMEOUT if nothing could be queued (EAGAIN: high-water mark, send
 * timeout, or no connected peer with ZMQ_IMMEDIATE); SG_ENOTFOUND when a
 * ROUTER_MANDATORY socket does not know rid; SG_EIO otherwise (errno kept). */
int wire_send_cmd (void *sock, const void *rid, size_t rid_len, wire_cmd_t cmd,
                   const wire_frame_t *frames, size_t nframes, int flags);

/* Sends ACK for n ids (1..WIRE_MAX_IDS, NUL-terminated UUID strings).
 * Returns as wire_send_cmd. */
int wire_send_ack (void *sock, const void *rid, size_t rid_len,
                   const char *const *ids, size_t n, int flags);

/* Sends NAK id code reason. Returns as wire_send_cmd. */
int wire_send_nak (void *sock, const void *rid, size_t rid_len, const char *id,
                   int code, const char *reason, int flags);

/* Receives one whole multipart message, in separate frames or packed
 * (either is taken at any time), and validates it. On SG_OK *out is a
 * new message the caller destroys. On error *out is NULL and every frame of
 * the offending message has been consumed: SG_ETIMEOUT if no message was
 * waiting (ZMQ_DONTWAIT or ZMQ_RCVTIMEO), SG_EPROTO with the reason (and
 * the peer's User-Id) in diag for a malformed message, SG_EIO on a socket
 * error (errno kept: EINTR, ETERM...), SG_ENOMEM. */
int wire_recv (void *sock, wire_msg_t **out, int flags, sg_diag_t *diag);

/* Frees a received message (NULL is fine) and clears the caller's pointer. */
void wire_msg_destroy (wire_msg_t **msg_p);

/* Finds "key: value" in a header frame (LF-separated lines, case-sensitive
 * key) and copies the value, NUL-terminated, into out. Returns SG_OK,
 * SG_ENOTFOUND, or SG_ETOOBIG when the value does not fit in outsize. */
int wire_header_get (const void *header, size_t len, const char *key,
                     char *out, size_t outsize);

/* Returns 1 if p[0..len) is a UUID in 8-4-4-4-12 hex text (either case). */
int wire_id_check (const void *p, size_t len);

/* Applies the socket options every SGTP/1 socket uses: linger, heartbeats
 * (ivl ms, timeout 3*ivl; 0 = default 5000), and CURVE. For a server
 * (ROUTER) pass secret_z85 and NULL keys, plus ZAP domain "sigmat" and
 * ROUTER_MANDATORY; for a client pass server_public_z85, public_z85 and
 * secret_z85. All-NULL keys leave the socket in plaintext (tests only).
 * Returns SG_OK, SG_EKEY for a bad key, SG_EIO otherwise. */
int wire_setup_server (void *sock, const char *secret_z85, int heartbeat_ms);
int wire_setup_client (void *sock, const char *server_public_z85, const char *public_z85,
                       const char *secret_z85, int heartbeat_ms);

#endif
