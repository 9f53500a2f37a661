/* store_queue.c - the per-hop delivery queue the dispatcher works from:
 * paging pending deliveries in seq order, marking them delivered, retried
 * or dead, replaying dead letters, and the queue statistics. */
#include "node/store_int.h"
#include "node/store_row.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reads the partial index delivery_pending (next_hop, seq) from the cursor
 * on, so a page costs O(limit) whatever the backlog. */
static const char s_sql_pending[] =
    "SELECT d.message_id, m.mrn, d.seq, d.attempts, m.header, m.body, m.signature"
    " FROM delivery d JOIN message m ON m.id = d.message_id"
    " WHERE d.next_hop = $1 AND d.state IN ('pending', 'inflight') AND d.seq > $2"
    " ORDER BY d.seq LIMIT $3";
static const Oid s_types_pending[] = { STORE_OID_TEXT, STORE_OID_INT8, STORE_OID_INT8 };

/* Found by primary key (message_id, next_hop) for each id. Committed
 * without waiting for the WAL flush (synchronous_commit off for this
 * transaction alone): a mark lost in a crash of PostgreSQL itself only
 * sends the message again, and the next hop drops the copy by its id. */
const char store_i_sql_delivered[] =
    "UPDATE delivery SET state = 'done', acked_at = now()"
    " FROM (SELECT set_config ('synchronous_commit', 'off', true)) AS async"
    " WHERE next_hop = $1 AND message_id = ANY ($2) AND " STORE_UNDELIVERED;

/* Builds a binary uuid[] of ids; SG_EINVAL names the first bad one. */
static int
s_uuid_array (store_buf_t *b, const char *const *ids, size_t n, sg_diag_t *diag)
{
    store_array_begin (b, STORE_OID_UUID, n, 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char raw[16];
        if (store_uuid_parse (ids[i], raw) != 0)
            return sg_diag_set (diag, SG_EINVAL, (int) i + 1, 0, "bad message id \"%s\"",
                                ids[i] ? ids[i] : "");
        store_array_elem (b, raw, 16);
    }
    if (b->failed)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    return SG_OK;
}

int
store_i_delivery_row (const PGresult *res, int r, int c, store_delivery_t *d)
{
    store_uuid_format ((const unsigned char *) PQgetvalue (res, r, c), d->id);
    size_t len = (size_t) PQgetlength (res, r, c + 1);
    if (len >= sizeof d->mrn)
        len = sizeof d->mrn - 1;
    memcpy (d->mrn, PQgetvalue (res, r, c + 1), len);
    d->mrn[len] = '\0';
    d->seq = store_get_i64 (PQgetvalue (res, r, c + 2));
    d->attempts = store_get_i32 (PQgetvalue (res, r, c + 3));
    d->header_len = (size_t) PQgetlength (res, r, c + 4);
    d->body_len = (size_t) PQgetlength (res, r, c + 5);
    d->header = malloc (d->header_len + 1);
    d->body = malloc (d->body_len + 1);
    int has_sig = !PQgetisnull (res, r, c + 6);
    if (has_sig) {
        d->signature_len = (size_t) PQgetlength (res, r, c + 6);
        d->signature = malloc (d->signature_len + 1);
    }
    if (!d->header || !d->body || (has_sig && !d->signature))
        return SG_ENOMEM;
    memcpy (d->header, PQgetvalue (res, r, c + 4), d->header_len);
    d->header[d->header_len] = '\0';
    memcpy (d->body, PQgetvalue (res, r, c + 5), d->body_len);
    d->body[d->body_len] = '\0';
    if (has_sig)
        memcpy (d->signature, PQgetvalue (res, r, c + 6), d->signature_len);
    return SG_OK;
}

static int
s_delivery_read (const PGresult *res, int r, void *elem)
{
    return store_i_delivery_row (res, r, 0, elem);
}

static void
s_deliveries_free (void *list, size_t count)
{
    store_deliveries_free (list, count);
}

int
store_pending (store_t *self, const char *next_hop, long long after_seq, size_t limit,
               store_delivery_t **out, size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    if (!store_token_ok (next_hop))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop name");
    if (limit == 0)
        return SG_OK;
    char after[32], lim[32];
    snprintf (after, sizeof after, "%lld", after_seq);
    snprintf (lim, sizeof lim, "%zu", limit);
    const char *values[3] = { next_hop, after, lim };
    PGresult *res = store_i_exec (self, STORE_STMT_PENDING, "cannot read the queue",
                                  s_sql_pending, 3, s_types_pending, values, NULL, NULL, 1, diag);
    return store_rows (res, sizeof **out, s_delivery_read, s_deliveries_free, out, count, diag);
}

void
store_deliveries_free (store_delivery_t *list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++) {
        free (list[i].header);
        free (list[i].body);
        free (list[i].signature);
    }
    free (list);
}

/* Runs sql with $1 next_hop, $2 the uuid[] of ids[0..n) and, if nparams is
 * 3, $3 extra; its result, or NULL with diag set. */
static PGresult *
s_ids_exec (store_t *self, int stmt, const char *sql, const char *what, const char *next_hop,
            const char *const *ids, size_t n, int nparams, const char *extra, sg_diag_t *diag)
{
    store_buf_t arr = { 0 };
    PGresult *res = NULL;
    if (s_uuid_array (&arr, ids, n, diag) == SG_OK) {
        const char *values[3] = { next_hop, arr.data, extra };
        int lengths[3] = { 0, (int) arr.len, 0 }, formats[3] = { 0, 1, 0 };
        Oid types[3] = { STORE_OID_TEXT, STORE_OID_UUIDARRAY, STORE_OID_TEXT };
        res = store_i_exec (self, stmt, what, sql, nparams, types, values, lengths, formats, 0,
                            diag);
    }
    store_buf_free (&arr);
    return res;
}

/* Runs an UPDATE over (next_hop, ids[]) with extra text params after them. */
static int
s_update_ids (store_t *self, int stmt, const char *sql, const char *what, const char *next_hop,
              const char *const *ids, size_t n, const char *extra, size_t *updated,
              sg_diag_t *diag)
{
    if (updated)
        *updated = 0;
    if (!store_token_ok (next_hop))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop name");
    if (n == 0)
        return SG_OK;
    PGresult *res = s_ids_exec (self, stmt, sql, what, next_hop, ids, n, stmt >= 0 ? 2 : 3, extra,
                                diag);
    if (!res)
        return diag ? diag->code : SG_EDB;
    if (updated)
        *updated = (size_t) strtoull (PQcmdTuples (res), NULL, 10);
    PQclear (res);
    return SG_OK;
}

int
store_delivered (store_t *self, const char *next_hop, const char *const *ids, size_t n,
                 size_t *updated, sg_diag_t *diag)
{
    return s_update_ids (self, STORE_STMT_DELIVERED, store_i_sql_delivered,
                         "cannot mark delivered", next_hop, ids, n, NULL, updated, diag);
}

int
store_undelivered (store_t *self, const char *next_hop, const char *const *ids, size_t n,
                   unsigned char *undelivered, char (**older)[37], size_t *nolder,
                   sg_diag_t *diag)
{
    memset (undelivered, 0, n);
    if (older) {
        *older = NULL;
        *nolder = 0;
    }
    if (!store_token_ok (next_hop))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop name");
    if (n == 0)
        return SG_OK;
    /* The second part reads the hop's undelivered rows up to the seq of
     * the newest of ids through delivery_pending: few once the hop is
     * caught up, which is when dispatch holds messages. */
    PGresult *res = s_ids_exec (self, -1, older
        ? "WITH h AS (SELECT d.message_id, d.seq, d.state, m.mrn FROM delivery d"
          "  JOIN message m ON m.id = d.message_id"
          "  WHERE d.next_hop = $1 AND d.message_id = ANY ($2)),"
          " f AS (SELECT mrn, min(seq) AS seq FROM h GROUP BY mrn)"
          " SELECT message_id::text, true FROM h WHERE " STORE_UNDELIVERED
          " UNION ALL"
          " SELECT d.message_id::text, false FROM delivery d"
          "  JOIN message m ON m.id = d.message_id JOIN f ON f.mrn = m.mrn"
          "  WHERE d.next_hop = $1 AND d.state IN ('pending', 'inflight') AND d.seq < f.seq"
          "  AND d.seq < (SELECT max(seq) FROM f)"
        : "SELECT message_id::text, true FROM delivery"
          " WHERE next_hop = $1 AND message_id = ANY ($2) AND " STORE_UNDELIVERED,
        "cannot read the state of deliveries", next_hop, ids, n, 2, NULL, diag);
    if (!res)
        return diag ? diag->code : SG_EDB;
    int rc = SG_OK, rows = PQntuples (res);
    if (older && rows > 0 && !(*older = calloc ((size_t) rows, sizeof **older)))
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    for (int r = 0; rc == SG_OK && r < rows; r++) {
        const char *id = PQgetvalue (res, r, 0);
        if (PQgetvalue (res, r, 1)[0] != 't')
            sg_strlcpy ((*older)[(*nolder)++], id, sizeof **older);
        else
            for (size_t i = 0; i < n; i++)
                if (strcasecmp (ids[i], id) == 0)
                    undelivered[i] = 1;
    }
    PQclear (res);
    return rc;
}

int
store_delivered_elsewhere (store_t *self, const char *next_hop, const char *holder,
                           const char *const *ids, size_t n, sg_diag_t *diag)
{
    return s_update_ids (self, -1,
        "UPDATE delivery d SET state = 'done', acked_at = now()"
        " FROM message m, delivery_claim c"
        " WHERE d.next_hop = $1 AND d.message_id = ANY ($2) AND d." STORE_UNDELIVERED
        "  AND m.id = d.message_id AND c.next_hop = d.next_hop AND c.mrn = m.mrn"
        "  AND (c.holder <> $3 OR c.expires < now())"
        "  AND NOT EXISTS (SELECT 1 FROM delivery e JOIN message em ON em.id = e.message_id"
        "                  WHERE e.next_hop = d.next_hop AND em.mrn = m.mrn"
        "                   AND e.state IN ('pending', 'inflight') AND e.seq < d.seq)",
        "cannot mark delivered", next_hop, ids, n, holder, NULL, diag);
}

int
store_attempted (store_t *self, const char *next_hop, const char *const *ids, size_t n,
                 const char *reason, sg_diag_t *diag)
{
    return s_update_ids (self, -1,
        "UPDATE delivery SET attempts = attempts + 1, last_attempt = now(),"
        " last_error = coalesce ($3, last_error)"
        " WHERE next_hop = $1 AND message_id = ANY ($2) AND " STORE_UNDELIVERED,
        "cannot record the attempt", next_hop, ids, n, reason, NULL, diag);
}

int
store_dead (store_t *self, const char *next_hop, const char *id, int nak_code,
            const char *reason, sg_diag_t *diag)
{
    unsigned char raw[16];
    if (!store_token_ok (next_hop) || store_uuid_parse (id, raw) != 0)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop or message id");
    char code[16];
    snprintf (code, sizeof code, "%d", nak_code);
    const char *values[4] = { next_hop, id, code, reason ? reason : "" };
    PGresult *res = store_i_exec (self, -1, "cannot record the dead letter",
        "UPDATE delivery SET state = 'dead', nak_code = $3::integer, last_error = $4"
        " WHERE next_hop = $1 AND message_id = $2::uuid AND " STORE_UNDELIVERED,
        4, NULL, values, NULL, NULL, 0, diag);
    return store_one_row (res, diag, "no undelivered message %s for %s", id, next_hop);
}

int
store_replay_dead (store_t *self, const char *id, const char *next_hop, int *count,
                   sg_diag_t *diag)
{
    unsigned char raw[16];
    if (count)
        *count = 0;
    if (!id && !next_hop)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "replay needs a message id or a next hop");
    if ((id && store_uuid_parse (id, raw) != 0) || (next_hop && !store_token_ok (next_hop)))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop or message id");
    const char *values[2] = { id, next_hop };
    /* New seq values in the old order, drawn in a sorted subquery, so the
     * replayed letters join the back of the queue in their original order. */
    PGresult *res = store_i_exec (self, -1, "cannot replay dead letters",
        "WITH s AS (SELECT message_id, next_hop, nextval('delivery_seq') AS nseq FROM"
        "  (SELECT message_id, next_hop FROM delivery WHERE state = 'dead'"
        "    AND ($1::uuid IS NULL OR message_id = $1::uuid)"
        "    AND ($2::text IS NULL OR next_hop = $2::text)"
        "    ORDER BY seq FOR UPDATE) x)"
        " UPDATE delivery d SET state = 'pending', attempts = 0, nak_code = NULL,"
        "  last_attempt = NULL, seq = s.nseq"
        " FROM s WHERE d.message_id = s.message_id AND d.next_hop = s.next_hop",
        2, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    if (count)
        *count = atoi (PQcmdTuples (res));
    PQclear (res);
    return SG_OK;
}

static int
s_dead_read (const PGresult *res, int r, void *elem)
{
    store_dead_t *d = elem;
    sg_strlcpy (d->id, PQgetvalue (res, r, 0), sizeof d->id);
    sg_strlcpy (d->next_hop, PQgetvalue (res, r, 1), sizeof d->next_hop);
    sg_strlcpy (d->type, PQgetvalue (res, r, 2), sizeof d->type);
    sg_strlcpy (d->mrn, PQgetvalue (res, r, 3), sizeof d->mrn);
    d->seq = atoll (PQgetvalue (res, r, 4));
    d->attempts = atoi (PQgetvalue (res, r, 5));
    d->nak_code = atoi (PQgetvalue (res, r, 6));
    sg_strlcpy (d->reason, PQgetvalue (res, r, 7), sizeof d->reason);
    d->received = atoll (PQgetvalue (res, r, 8));
    return SG_OK;
}

int
store_dead_list (store_t *self, const char *next_hop, size_t limit, store_dead_t **out,
                 size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    if (next_hop && !store_token_ok (next_hop))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop name");
    char lim[32];
    snprintf (lim, sizeof lim, "%zu", limit);
    const char *values[2] = { next_hop, lim };
    PGresult *res = store_i_exec (self, -1, "cannot list dead letters",
        "SELECT d.message_id, d.next_hop, m.type, m.mrn, d.seq, d.attempts,"
        " coalesce (d.nak_code, 0), coalesce (d.last_error, ''),"
        " extract(epoch FROM m.received)::bigint"
        " FROM delivery d JOIN message m ON m.id = d.message_id"
        " WHERE d.state = 'dead' AND ($1::text IS NULL OR d.next_hop = $1::text)"
        " ORDER BY d.seq LIMIT $2::bigint", 2, NULL, values, NULL, NULL, 0, diag);
    return store_rows (res, sizeof **out, s_dead_read, NULL, out, count, diag);
}

static int
s_queue_stat_read (const PGresult *res, int r, void *elem)
{
    store_queue_stat_t *q = elem;
    sg_strlcpy (q->next_hop, PQgetvalue (res, r, 0), sizeof q->next_hop);
    q->pending = atoll (PQgetvalue (res, r, 1));
    q->dead = atoll (PQgetvalue (res, r, 2));
    q->oldest_age_s = atof (PQgetvalue (res, r, 3));
    if (q->oldest_age_s < 0)
        q->oldest_age_s = 0;
    return SG_OK;
}

int
store_queue_stats (store_t *self, store_queue_stat_t **out, size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    /* Counts come from the two partial indexes only (undelivered and dead),
     * never from the finished history. */
    PGresult *res = store_i_exec (self, -1, "cannot read queue statistics",
        "WITH p AS (SELECT next_hop, count(*) AS n, min(seq) AS s FROM delivery"
        "           WHERE state IN ('pending', 'inflight') GROUP BY next_hop),"
        " x AS (SELECT next_hop, count(*) AS n FROM delivery WHERE state = 'dead'"
        "       GROUP BY next_hop),"
        " h AS (SELECT name AS next_hop FROM peer UNION SELECT next_hop FROM p"
        "       UNION SELECT next_hop FROM x)"
        " SELECT h.next_hop, coalesce (p.n, 0), coalesce (x.n, 0),"
        "  coalesce ((SELECT extract(epoch FROM now() - m.received)"
        "             FROM delivery d JOIN message m ON m.id = d.message_id"
        "             WHERE d.next_hop = p.next_hop AND d.state IN ('pending', 'inflight')"
        "               AND d.seq = p.s), 0)"
        " FROM h LEFT JOIN p USING (next_hop) LEFT JOIN x USING (next_hop)"
        " ORDER BY h.next_hop", 0, NULL, NULL, NULL, NULL, 0, diag);
    return store_rows (res, sizeof **out, s_queue_stat_read, NULL, out, count, diag);
}
