/* zap.c - ZAP handler thread for CurveZMQ (RFC 27). libzmq sends one
 * request per handshake to inproc://zeromq.zap.01; we answer 200 with the
 * peer's name as User-Id and its role as the "Role" metadata property, or
 * 400 for an unknown key. A PAIR pipe tells the thread to stop. */
#include "node/zap.h"
#include "buf.h"
#include "log.h"
#include "sg.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_FRAMES 7      /* a request is version, id, domain, address, identity, mechanism, key */

struct zap_t {
    void *rep;                  /* REP socket, used only by the thread after start */
    void *pipe_main;            /* PAIR, main side: "$TERM" */
    void *pipe_thread;          /* PAIR, thread side */
    pthread_t thread;
    pthread_mutex_t lock;       /* guards lookup and arg */
    zap_lookup_fn *lookup;
    void *arg;
    atomic_uint_least64_t admitted, refused;
};

typedef struct {
    char key[41];
    char name[65];
    char role[17];
} s_key_t;

struct zap_keys_t {
    s_key_t *keys;
    size_t count, cap;
};

/* Appends the ZMTP property name = value to meta (at *len, of size). */
static void
s_prop (unsigned char *meta, size_t *len, size_t size, const char *name, const char *value)
{
    size_t nlen = strlen (name), vlen = value ? strlen (value) : 0;
    if (!vlen || *len + 1 + nlen + 4 + vlen > size)
        return;
    meta[(*len)++] = (unsigned char) nlen;
    memcpy (meta + *len, name, nlen);
    *len += nlen;
    meta[(*len)++] = 0;
    meta[(*len)++] = 0;
    meta[(*len)++] = 0;
    meta[(*len)++] = (unsigned char) vlen;
    memcpy (meta + *len, value, vlen);
    *len += vlen;
}

/* Sends the six reply frames; metadata is a ZMTP property list: the
 * peer's Role and its CURVE public Key (Z85), so the node can bind every
 * message to the key that sent it. */
static void
s_reply (void *rep, const void *reqid, size_t reqid_len, const char *status, const char *text,
         const char *user_id, const char *role, const char *key)
{
    unsigned char meta[160];
    size_t mlen = 0;
    s_prop (meta, &mlen, sizeof meta, "Role", role);
    s_prop (meta, &mlen, sizeof meta, "Key", key);
    zmq_send (rep, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (rep, reqid, reqid_len, ZMQ_SNDMORE);
    zmq_send (rep, status, strlen (status), ZMQ_SNDMORE);
    zmq_send (rep, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (rep, user_id, strlen (user_id), ZMQ_SNDMORE);
    zmq_send (rep, meta, mlen, 0);
}

/* Reads one request and answers it. */
static void
s_handle (zap_t *self)
{
    zmq_msg_t f[S_FRAMES];
    size_t n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->rep, 0) < 0) {
            zmq_msg_close (&part);
            break;
        }
        more = zmq_msg_more (&part);
        if (n < S_FRAMES) {
            zmq_msg_init (&f[n]);
            zmq_msg_move (&f[n++], &part);
        }
        zmq_msg_close (&part);
    }
    if (n < 2) {
        /* A REP socket must answer something; there is no request id. */
        s_reply (self->rep, "", 0, "500", "malformed ZAP request", "", NULL, NULL);
        goto done;
    }
    const void *reqid = zmq_msg_data (&f[1]);
    size_t reqid_len = zmq_msg_size (&f[1]);
    if (n != S_FRAMES || zmq_msg_size (&f[0]) != 3 || memcmp (zmq_msg_data (&f[0]), "1.0", 3)) {
        s_reply (self->rep, reqid, reqid_len, "500", "bad ZAP request", "", NULL, NULL);
        goto done;
    }
    if (zmq_msg_size (&f[5]) != 5 || memcmp (zmq_msg_data (&f[5]), "CURVE", 5)
        || zmq_msg_size (&f[6]) != 32) {
        atomic_fetch_add (&self->refused, 1);
        sg_log_warn ("zap: refused a %.*s connection (only CURVE is allowed)",
                  (int) (zmq_msg_size (&f[5]) > 16 ? 16 : zmq_msg_size (&f[5])),
                  (const char *) zmq_msg_data (&f[5]));
        s_reply (self->rep, reqid, reqid_len, "400", "CURVE required", "", NULL, NULL);
        goto done;
    }
    char z85[41], name[256] = "", role[32] = "", addr[64];
    zmq_z85_encode (z85, zmq_msg_data (&f[6]), 32);
    snprintf (addr, sizeof addr, "%.*s",
              (int) (zmq_msg_size (&f[3]) > 60 ? 60 : zmq_msg_size (&f[3])),
              (const char *) zmq_msg_data (&f[3]));
    pthread_mutex_lock (&self->lock);
    int ok = self->lookup && self->lookup (self->arg, z85, name, sizeof name, role, sizeof role);
    pthread_mutex_unlock (&self->lock);
    name[sizeof name - 1] = role[sizeof role - 1] = '\0';
    if (ok && name[0]) {
        atomic_fetch_add (&self->admitted, 1);
        sg_log_debug ("zap: admitted %s (%s) from %s", name, role, addr);
        s_reply (self->rep, reqid, reqid_len, "200", "OK", name, role, z85);
    }
    else {
        atomic_fetch_add (&self->refused, 1);
        sg_log_warn ("zap: refused unknown curve key %.8s... from %s", z85, addr);
        s_reply (self->rep, reqid, reqid_len, "400", "unknown key", "", NULL, NULL);
    }
done:
    for (size_t i = 0; i < n; i++)
        zmq_msg_close (&f[i]);
}

static void *
s_thread (void *arg)
{
    zap_t *self = arg;
    zmq_pollitem_t items[2] = {
        { self->rep, 0, ZMQ_POLLIN, 0 },
        { self->pipe_thread, 0, ZMQ_POLLIN, 0 },
    };
    for (;;) {
        if (zmq_poll (items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;                      /* ETERM: the context is going away */
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            s_handle (self);
    }
    zmq_close (self->rep);
    zmq_close (self->pipe_thread);
    return NULL;
}

zap_t *
zap_new (void *zmq_ctx, zap_lookup_fn *lookup, void *arg)
{
    char pipe_ep[64];
    int linger = 0;
    zap_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    self->lookup = lookup;
    self->arg = arg;
    snprintf (pipe_ep, sizeof pipe_ep, "inproc://sigmat-zap-%p", (void *) self);
    self->rep = zmq_socket (zmq_ctx, ZMQ_REP);
    self->pipe_main = zmq_socket (zmq_ctx, ZMQ_PAIR);
    self->pipe_thread = zmq_socket (zmq_ctx, ZMQ_PAIR);
    if (!self->rep || !self->pipe_main || !self->pipe_thread) {
        sg_log_error ("zap: cannot create sockets: %s", zmq_strerror (errno));
        goto fail;
    }
    zmq_setsockopt (self->rep, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->pipe_main, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->pipe_thread, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind (self->rep, ZAP_ENDPOINT) != 0) {
        sg_log_error ("zap: cannot bind %s: %s", ZAP_ENDPOINT, zmq_strerror (errno));
        goto fail;
    }
    if (zmq_bind (self->pipe_thread, pipe_ep) != 0 || zmq_connect (self->pipe_main, pipe_ep) != 0) {
        sg_log_error ("zap: cannot set up control pipe: %s", zmq_strerror (errno));
        goto fail;
    }
    /* pthread_create is a full barrier: the sockets move to the thread. */
    if (pthread_create (&self->thread, NULL, s_thread, self) != 0) {
        sg_log_error ("zap: cannot start thread");
        goto fail;
    }
    return self;
fail:
    if (self->rep)
        zmq_close (self->rep);
    if (self->pipe_main)
        zmq_close (self->pipe_main);
    if (self->pipe_thread)
        zmq_close (self->pipe_thread);
    pthread_mutex_destroy (&self->lock);
    free (self);
    return NULL;
}

void
zap_destroy (zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zap_t *self = *self_p;
    zmq_send (self->pipe_main, "$TERM", 5, 0);
    pthread_join (self->thread, NULL);
    zmq_close (self->pipe_main);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
zap_set_lookup (zap_t *self, zap_lookup_fn *lookup, void *arg)
{
    pthread_mutex_lock (&self->lock);
    self->lookup = lookup;
    self->arg = arg;
    pthread_mutex_unlock (&self->lock);
}

void
zap_stats (zap_t *self, uint64_t *admitted, uint64_t *refused)
{
    if (admitted)
        *admitted = atomic_load (&self->admitted);
    if (refused)
        *refused = atomic_load (&self->refused);
}

zap_keys_t *
zap_keys_new (void)
{
    return calloc (1, sizeof (zap_keys_t));
}

void
zap_keys_destroy (zap_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->keys);
    free (*self_p);
    *self_p = NULL;
}

int
zap_keys_add (zap_keys_t *self, const char *key, const char *name, const char *role)
{
    uint8_t raw[32];
    if (!key || strlen (key) != 40 || !zmq_z85_decode (raw, key))
        return SG_EKEY;
    if (!name || !name[0] || strlen (name) > 64 || !role || !role[0] || strlen (role) > 16)
        return SG_EINVAL;
    s_key_t *k = NULL;
    for (size_t i = 0; i < self->count && !k; i++)
        if (strcmp (self->keys[i].key, key) == 0)
            k = &self->keys[i];
    if (!k) {
        if (!(k = sg_array_slot (&self->keys, self->count, &self->cap, sizeof *k, 16)))
            return SG_ENOMEM;
        self->count++;
        memcpy (k->key, key, 41);
    }
    sg_strlcpy (k->name, name, sizeof k->name);
    sg_strlcpy (k->role, role, sizeof k->role);
    return SG_OK;
}

size_t
zap_keys_count (const zap_keys_t *self)
{
    return self ? self->count : 0;
}

int
zap_keys_lookup (void *arg, const char *key, char *name_out, size_t name_size, char *role_out,
                 size_t role_size)
{
    const zap_keys_t *self = arg;
    if (!self)
        return 0;
    /* Linear: a node knows tens to hundreds of keys, and lookups happen
     * once per connection, not per message. */
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->keys[i].key, key) == 0) {
            sg_strlcpy (name_out, self->keys[i].name, name_size);
            sg_strlcpy (role_out, self->keys[i].role, role_size);
            return 1;
        }
    return 0;
}
