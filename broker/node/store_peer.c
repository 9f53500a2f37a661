/* store_peer.c - peers (other nodes and national adapters, with their keys
 * and the offices they may speak for) and the route table. */
#include "node/store_int.h"
#include "node/store_row.h"
#include "code.h"

#include <stdlib.h>
#include <string.h>

/* Peer columns in the order s_peer_read expects. */
#define S_PEER_COLS "name, role, coalesce (curve_public, ''), sign_public_pem, endpoint," \
    " array_to_string (offices, ' '), coalesce (extract(epoch FROM last_seen)::bigint, 0)"

static char *
s_strdup_or_null (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? NULL : strdup (PQgetvalue (res, row, col));
}

/* Fills peer from a text-format row of S_PEER_COLS; SG_ENOMEM. */
static int
s_peer_read (const PGresult *res, int row, void *elem)
{
    store_peer_t *peer = elem;
    memset (peer, 0, sizeof *peer);
    sg_strlcpy (peer->name, PQgetvalue (res, row, 0), sizeof peer->name);
    sg_strlcpy (peer->role, PQgetvalue (res, row, 1), sizeof peer->role);
    sg_strlcpy (peer->curve_public, PQgetvalue (res, row, 2), sizeof peer->curve_public);
    peer->sign_public_pem = s_strdup_or_null (res, row, 3);
    peer->endpoint = s_strdup_or_null (res, row, 4);
    peer->last_seen = atoll (PQgetvalue (res, row, 6));
    if ((!PQgetisnull (res, row, 3) && !peer->sign_public_pem)
        || (!PQgetisnull (res, row, 4) && !peer->endpoint))
        goto nomem;
    const char *offices = PQgetvalue (res, row, 5);
    size_t n = 0;
    for (const char *p = offices; *p; p++)
        n += (p == offices || p[-1] == ' ') && *p != ' ';
    if (n) {
        peer->offices = calloc (n, sizeof *peer->offices);
        if (!peer->offices)
            goto nomem;
        const char *p = offices;
        while (*p) {
            size_t len = strcspn (p, " ");
            if (len) {
                peer->offices[peer->offices_n] = strndup (p, len);
                if (!peer->offices[peer->offices_n])
                    goto nomem;
                peer->offices_n++;
            }
            p += len;
            p += strspn (p, " ");
        }
    }
    return SG_OK;
nomem:
    store_peer_clear (peer);
    return SG_ENOMEM;
}

int
store_peer_put (store_t *self, const store_peer_t *peer, sg_diag_t *diag)
{
    if (!peer || !store_token_ok (peer->name) || strlen (peer->name) >= sizeof peer->name)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad peer name");
    if (strcmp (peer->role, "node") != 0 && strcmp (peer->role, "adapter") != 0)
        return sg_diag_set (diag, SG_EINVAL, 0, 0,
                            "peer %s: role must be node or adapter, not \"%s\"",
                            peer->name, peer->role);
    size_t klen = strlen (peer->curve_public);
    if (klen != 0 && klen != 40)
        return sg_diag_set (diag, SG_EINVAL, 0, 0,
                            "peer %s: curve public key must be 40 Z85 characters", peer->name);
    store_buf_t offices = { 0 };
    store_array_begin (&offices, STORE_OID_TEXT, peer->offices_n, 0);
    for (size_t i = 0; i < peer->offices_n; i++) {
        if (!sg_code_office (peer->offices[i], SG_CODE_ANY)) {
            store_buf_free (&offices);
            return sg_diag_set (diag, SG_EINVAL, 0, 0,
                                "peer %s: \"%s\" is not an office reference or a country code",
                                peer->name, peer->offices[i] ? peer->offices[i] : "");
        }
        store_array_elem (&offices, peer->offices[i], strlen (peer->offices[i]));
    }
    if (offices.failed) {
        store_buf_free (&offices);
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    }
    const char *values[6] = { peer->name, peer->role, klen ? peer->curve_public : NULL,
                              peer->sign_public_pem, peer->endpoint, offices.data };
    int lengths[6] = { 0, 0, 0, 0, 0, (int) offices.len };
    int formats[6] = { 0, 0, 0, 0, 0, 1 };
    Oid types[6] = { STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXT,
                     STORE_OID_TEXT, STORE_OID_TEXTARRAY };
    PGresult *res = store_i_exec (self, -1, "cannot store peer",
        "INSERT INTO peer (name, role, curve_public, sign_public_pem, endpoint, offices)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role,"
        "  curve_public = EXCLUDED.curve_public, sign_public_pem = EXCLUDED.sign_public_pem,"
        "  endpoint = EXCLUDED.endpoint, offices = EXCLUDED.offices",
        6, types, values, lengths, formats, 0, diag);
    store_buf_free (&offices);
    if (!res)
        return SG_EDB;
    PQclear (res);
    return SG_OK;
}

int
store_peer_get (store_t *self, const char *name, store_peer_t *out, sg_diag_t *diag)
{
    memset (out, 0, sizeof *out);
    const char *values[1] = { name };
    PGresult *res = store_i_exec (self, -1, "cannot read peer",
        "SELECT " S_PEER_COLS " FROM peer WHERE name = $1", 1, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    int rc = SG_OK;
    if (PQntuples (res) != 1)
        rc = sg_diag_set (diag, SG_ENOTFOUND, 0, 0, "no peer named \"%s\"", name ? name : "");
    else if (s_peer_read (res, 0, out) != SG_OK)
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    PQclear (res);
    return rc;
}

static void
s_peers_free (void *list, size_t count)
{
    store_peers_free (list, count);
}

int
store_peer_list (store_t *self, store_peer_t **out, size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    PGresult *res = store_i_exec (self, -1, "cannot list peers",
        "SELECT " S_PEER_COLS " FROM peer ORDER BY name", 0, NULL, NULL, NULL, NULL, 0, diag);
    return store_rows (res, sizeof **out, s_peer_read, s_peers_free, out, count, diag);
}

/* Runs a one-parameter statement that must touch exactly one row. */
static int
s_one_row (store_t *self, const char *sql, const char *what, const char *key, const char *kind,
           sg_diag_t *diag)
{
    const char *values[1] = { key };
    return store_one_row (store_i_exec (self, -1, what, sql, 1, NULL, values, NULL, NULL, 0,
                                        diag),
                          diag, "no %s \"%s\"", kind, key ? key : "");
}

int
store_peer_remove (store_t *self, const char *name, sg_diag_t *diag)
{
    return s_one_row (self, "DELETE FROM peer WHERE name = $1", "cannot remove peer", name,
                      "peer named", diag);
}

int
store_peer_seen (store_t *self, const char *name, sg_diag_t *diag)
{
    return s_one_row (self, "UPDATE peer SET last_seen = now() WHERE name = $1",
                      "cannot update peer", name, "peer named", diag);
}

void
store_peer_clear (store_peer_t *peer)
{
    if (!peer)
        return;
    free (peer->sign_public_pem);
    free (peer->endpoint);
    for (size_t i = 0; i < peer->offices_n; i++)
        free (peer->offices[i]);
    free (peer->offices);
    memset (peer, 0, sizeof *peer);
}

void
store_peers_free (store_peer_t *list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        store_peer_clear (&list[i]);
    free (list);
}

int
store_route_put (store_t *self, const char *prefix, const char *next_hop, sg_diag_t *diag)
{
    if (!sg_code_office (prefix, SG_CODE_ANY))
        return sg_diag_set (diag, SG_EINVAL, 0, 0,
                            "bad route prefix \"%s\": expected an office reference like "
                            "CI000101 or a country code like CI", prefix ? prefix : "");
    if (!store_token_ok (next_hop) || strlen (next_hop) >= sizeof ((store_route_t *) 0)->next_hop)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop name");
    const char *values[2] = { prefix, next_hop };
    PGresult *res = store_i_exec (self, -1, "cannot store route",
        "INSERT INTO route (prefix, next_hop) VALUES ($1, $2)"
        " ON CONFLICT (prefix) DO UPDATE SET next_hop = EXCLUDED.next_hop",
        2, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    PQclear (res);
    return SG_OK;
}

int
store_route_remove (store_t *self, const char *prefix, sg_diag_t *diag)
{
    return s_one_row (self, "DELETE FROM route WHERE prefix = $1", "cannot remove route",
                      prefix, "route for", diag);
}

static int
s_route_read (const PGresult *res, int r, void *elem)
{
    store_route_t *route = elem;
    sg_strlcpy (route->prefix, PQgetvalue (res, r, 0), sizeof route->prefix);
    sg_strlcpy (route->next_hop, PQgetvalue (res, r, 1), sizeof route->next_hop);
    return SG_OK;
}

int
store_route_list (store_t *self, store_route_t **out, size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    PGresult *res = store_i_exec (self, -1, "cannot list routes",
        "SELECT prefix, next_hop FROM route ORDER BY prefix", 0, NULL, NULL, NULL, NULL, 0, diag);
    return store_rows (res, sizeof **out, s_route_read, NULL, out, count, diag);
}
