/* store_keys.c - the signing keys of peer nodes with their validity periods
 * (peer_sign_key, db/migrations/010_availability.sql). */
#include "node/store_int.h"
#include "node/store_row.h"

#include <stdlib.h>
#include <string.h>

int
store_sign_key_put (store_t *self, const char *peer, const char *key_id, const char *pem,
                    const char *from, const char *until, sg_diag_t *diag)
{
    const char *params[5] = { peer, key_id, pem, from && *from ? from : NULL,
                              until && *until ? until : NULL };
    PGresult *res = store_i_exec (self, -1, "cannot register the signing key",
        "INSERT INTO peer_sign_key (peer, key_id, sign_public_pem, valid_from, valid_until) "
        "SELECT name, $2, $3, $4::timestamptz, $5::timestamptz FROM peer WHERE name = $1 "
        "ON CONFLICT (peer, key_id) DO UPDATE SET sign_public_pem = EXCLUDED.sign_public_pem, "
        "valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until",
        5, NULL, params, NULL, NULL, 0, diag);
    return store_one_row (res, diag, "no peer %s", peer);
}

int
store_sign_key_retire (store_t *self, const char *peer, const char *key_id, const char *at,
                       sg_diag_t *diag)
{
    /* A key registered the old way (peer.sign_public_pem) gets its row here. */
    const char *params[3] = { peer, key_id, at && *at ? at : NULL };
    PGresult *res = store_i_exec (self, -1, "cannot retire the signing key",
        "UPDATE peer_sign_key SET valid_until = coalesce ($3::timestamptz, now()) "
        "WHERE peer = $1 AND key_id = $2",
        3, NULL, params, NULL, NULL, 0, diag);
    return store_one_row (res, diag, "peer %s has no key %s", peer, key_id);
}

/* Fills one store_sign_key_t from a row of store_sign_key_list; SG_ENOMEM. */
static int
s_sign_key_read (const PGresult *res, int r, void *elem)
{
    store_sign_key_t *k = elem;
    sg_strlcpy (k->peer, PQgetvalue (res, r, 0), sizeof k->peer);
    sg_strlcpy (k->key_id, PQgetvalue (res, r, 1), sizeof k->key_id);
    k->from_ms = atoll (PQgetvalue (res, r, 3));
    k->until_ms = atoll (PQgetvalue (res, r, 4));
    return (k->pem = strdup (PQgetvalue (res, r, 2))) ? SG_OK : SG_ENOMEM;
}

static void
s_sign_keys_free (void *list, size_t count)
{
    store_sign_keys_free (list, count);
}

int
store_sign_key_list (store_t *self, const char *peer, store_sign_key_t **out, size_t *count,
                     sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    const char *params[1] = { peer };
    PGresult *res = store_i_exec (self, -1, "cannot list the signing keys",
        "SELECT peer, key_id, sign_public_pem, "
        "coalesce ((extract (epoch FROM valid_from) * 1000)::bigint, 0), "
        "coalesce ((extract (epoch FROM valid_until) * 1000)::bigint, 0) "
        "FROM peer_sign_key WHERE $1::text IS NULL OR peer = $1 "
        "ORDER BY peer, valid_from NULLS FIRST, key_id",
        1, NULL, params, NULL, NULL, 0, diag);
    return store_rows (res, sizeof **out, s_sign_key_read, s_sign_keys_free, out, count, diag);
}

void
store_sign_keys_free (store_sign_key_t *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        free (list[i].pem);
    free (list);
}
