/* peerkeys.c - a peer node's signing keys with validity periods, and the
 * signature check against the key valid when a message was signed. */
#include "node/peerkeys.h"
#include "buf.h"
#include "header.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    sg_sign_key_t *key;
    char id[SG_SIGN_KEY_ID_LEN + 1];
    int64_t from_ms, until_ms;
} s_entry_t;

struct peerkeys_t {
    s_entry_t *keys;
    size_t n, cap;
};

peerkeys_t *
peerkeys_new (void)
{
    return calloc (1, sizeof (peerkeys_t));
}

void
peerkeys_destroy (peerkeys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    peerkeys_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        sg_sign_key_destroy (&self->keys[i].key);
    free (self->keys);
    free (self);
    *self_p = NULL;
}

size_t
peerkeys_count (const peerkeys_t *self)
{
    return self ? self->n : 0;
}

int
peerkeys_add (peerkeys_t *self, sg_sign_key_t **key_p, int64_t from_ms, int64_t until_ms)
{
    char id[SG_SIGN_KEY_ID_LEN + 1];
    if (sg_sign_key_id (*key_p, id) != SG_OK) {
        sg_sign_key_destroy (key_p);
        return SG_EINVAL;
    }
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->keys[i].id, id) == 0) {
            sg_sign_key_destroy (key_p);
            return SG_OK;
        }
    s_entry_t *e = sg_array_slot (&self->keys, self->n, &self->cap, sizeof *e, 4);
    if (!e) {
        sg_sign_key_destroy (key_p);
        return SG_ENOMEM;
    }
    self->n++;
    e->key = *key_p;
    *key_p = NULL;
    memcpy (e->id, id, sizeof e->id);
    e->from_ms = from_ms;
    e->until_ms = until_ms;
    return SG_OK;
}

int
peerkeys_add_rows (peerkeys_t *self, const char *peer, const store_sign_key_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp (rows[i].peer, peer) != 0)
            continue;
        sg_diag_t d;
        sg_sign_key_t *key = sg_sign_key_from_pem (rows[i].pem, strlen (rows[i].pem), &d);
        if (!key) {
            sg_log_warn ("peer %s: unusable signing key %s: %s", peer, rows[i].key_id, d.text);
            continue;
        }
        int rc = peerkeys_add (self, &key, rows[i].from_ms, rows[i].until_ms);
        if (rc == SG_ENOMEM)
            return rc;
    }
    return SG_OK;
}

peerkeys_t *
peerkeys_load (const char *peer, const char *legacy_pem, const store_sign_key_t *rows, size_t n)
{
    peerkeys_t *self = peerkeys_new ();
    if (!self || peerkeys_add_rows (self, peer, rows, n) != SG_OK)
        goto fail;
    if (legacy_pem && legacy_pem[0]) {
        sg_diag_t d;
        sg_sign_key_t *key = sg_sign_key_from_pem (legacy_pem, strlen (legacy_pem), &d);
        if (!key)
            sg_log_warn ("peer %s: unusable signing key: %s", peer, d.text);
        else if (peerkeys_add (self, &key, 0, 0) == SG_ENOMEM)
            goto fail;
    }
    return self;
fail:
    peerkeys_destroy (&self);
    return NULL;
}

/* 1 if e was valid at ms: from <= ms < until; any key when ms < 0. */
static int
s_valid_at (const s_entry_t *e, int64_t ms)
{
    if (ms < 0)
        return 1;
    return (e->from_ms == 0 || ms >= e->from_ms) && (e->until_ms == 0 || ms < e->until_ms);
}

int
peerkeys_verify (const peerkeys_t *self, const char *origin, const char *key_id,
                 int64_t created_ms, const char *hdr, size_t hdr_len, const char *body,
                 size_t body_len, const unsigned char *sig, size_t sig_len, sg_diag_t *diag)
{
    char when[SG_HDR_TIME_LEN + 1];
    sg_hdr_time_format (created_ms, when);
    size_t tried = 0;
    for (size_t i = 0; self && i < self->n; i++) {
        const s_entry_t *e = &self->keys[i];
        if (key_id && *key_id && strcmp (e->id, key_id) != 0)
            continue;
        if (!s_valid_at (e, created_ms)) {
            if (key_id && *key_id)
                return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                                    "key %s of origin node %s was not valid at %s", key_id,
                                    origin, when);
            continue;
        }
        tried++;
        if (sg_sign_verify (e->key, hdr, hdr_len, body, body_len, sig, sig_len) == SG_OK)
            return SG_OK;
    }
    if (key_id && *key_id && tried)
        return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                            "signature does not verify against key %s of origin node %s",
                            key_id, origin);
    if (key_id && *key_id)
        return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                            "origin node %s has no registered key %s", origin, key_id);
    if (!tried)
        return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                            "no signing key of origin node %s was valid at %s", origin, when);
    return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                        "signature does not verify against origin node %s", origin);
}
