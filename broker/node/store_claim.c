/* store_claim.c - the delivery claims of several active processes of one
 * node (store_claim.h, migration 011): one row per (next_hop, mrn) pair
 * naming the process that may send its messages, and until when. */
#include "node/store_claim.h"
#include "node/store_int.h"

#include <stdlib.h>
#include <string.h>

/* One page of the hop's queue and the claims of its MRNs, in one
 * statement. The page's rows are read with their messages at once,
 * through the indexes: joining the messages again after the claims let
 * the planner hash the whole message table for each page. A claim is taken only when it is free or already ours, never
 * from another process, even an expired one: the rows of a pair taken
 * over may lie before this cursor, so a takeover goes through
 * store_claim_takeover, after which the caller reads from the start. The
 * claims are inserted in MRN order, so two processes paging at once lock
 * them in one order. The first two columns (rows read, highest seq read)
 * come on every row, and on a lone row of NULLs when no claim was won. */
static const char s_sql_page[] =
    "WITH cand AS MATERIALIZED ("
    "  SELECT d.message_id, d.seq, d.attempts, m.mrn, m.header, m.body, m.signature"
    "  FROM delivery d JOIN message m ON m.id = d.message_id"
    "  WHERE d.next_hop = $1 AND d.state IN ('pending', 'inflight') AND d.seq > $2::int8"
    "  ORDER BY d.seq LIMIT $3::int8),"
    " won AS ("
    "  INSERT INTO delivery_claim AS c (next_hop, mrn, holder, expires)"
    "  SELECT $1, mrn, $4, now() + $5::int8 * interval '1 ms'"
    "  FROM (SELECT DISTINCT mrn FROM cand) x ORDER BY mrn"
    "  ON CONFLICT (next_hop, mrn) DO UPDATE SET expires = EXCLUDED.expires"
    "  WHERE c.holder = EXCLUDED.holder"
    "  RETURNING c.mrn)"
    " SELECT k.n, k.mx, x.message_id, x.mrn, x.seq, x.attempts, x.header, x.body, x.signature"
    " FROM (SELECT count(*) AS n, coalesce (max(seq), 0)::int8 AS mx FROM cand) k"
    " LEFT JOIN (SELECT c.message_id, c.mrn, c.seq, c.attempts, c.header, c.body, c.signature"
    "            FROM cand c JOIN won w ON w.mrn = c.mrn) x"
    "  ON true ORDER BY x.seq";

/* Runs one text-parameter statement that changes rows; *changed (may be
 * NULL) gets how many. SG_OK or SG_EDB. */
static int
s_change (store_t *self, const char *what, const char *sql, int n, const char *const *values,
          size_t *changed, sg_diag_t *diag)
{
    PGresult *res = store_i_exec (self, -1, what, sql, n, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    if (changed)
        *changed = (size_t) strtoull (PQcmdTuples (res), NULL, 10);
    PQclear (res);
    return SG_OK;
}

int
store_claim_page (store_t *self, const char *next_hop, const char *holder, int64_t ttl_ms,
                  long long after_seq, size_t limit, store_delivery_t **out, size_t *count,
                  size_t *scanned, long long *last_seq, sg_diag_t *diag)
{
    *out = NULL;
    *count = *scanned = 0;
    *last_seq = after_seq;
    if (!store_token_ok (next_hop) || !store_token_ok (holder))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad next hop or holder name");
    if (limit == 0)
        return SG_OK;
    char after[32], lim[32], ttl[32];
    snprintf (after, sizeof after, "%lld", after_seq);
    snprintf (lim, sizeof lim, "%zu", limit);
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_ms);
    const char *values[5] = { next_hop, after, lim, holder, ttl };
    PGresult *res = store_i_exec (self, -1, "cannot read and claim the queue", s_sql_page, 5,
                                  NULL, values, NULL, NULL, 1, diag);
    if (!res)
        return SG_EDB;
    int rc = SG_OK, rows = PQntuples (res);
    size_t n = 0;
    store_delivery_t *list = rows > 0 ? calloc ((size_t) rows, sizeof *list) : NULL;
    if (rows > 0 && !list) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    if (rows > 0) {
        *scanned = (size_t) store_get_i64 (PQgetvalue (res, 0, 0));
        if (*scanned)
            *last_seq = store_get_i64 (PQgetvalue (res, 0, 1));
    }
    for (int r = 0; r < rows; r++) {
        if (PQgetisnull (res, r, 2))
            continue;
        if (store_i_delivery_row (res, r, 2, &list[n++]) != SG_OK) {
            store_deliveries_free (list, n);
            list = NULL;
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto done;
        }
    }
    if (n == 0) {
        free (list);
        list = NULL;
    }
    *out = list;
    *count = n;
done:
    PQclear (res);
    return rc;
}

int
store_claim_mrns (store_t *self, const char *next_hop, const char *holder, int64_t ttl_ms,
                  const char *const *mrns, size_t n, unsigned char *won, sg_diag_t *diag)
{
    memset (won, 0, n);
    if (n == 0)
        return SG_OK;
    store_buf_t arr = { 0 };
    if (store_i_text_array (&arr, mrns, n, diag) != SG_OK)
        return SG_ENOMEM;
    char ttl[32];
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_ms);
    const char *values[4] = { next_hop, holder, ttl, arr.data };
    int lengths[4] = { 0, 0, 0, (int) arr.len }, formats[4] = { 0, 0, 0, 1 };
    Oid types[4] = { STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXTARRAY };
    /* Claims the free ones (in MRN order, as a page does) and asks the
     * holders of the others to read their queue again. */
    PGresult *res = store_i_exec (self, -1, "cannot claim MRNs",
        "WITH want AS (SELECT DISTINCT unnest ($4::text[]) AS mrn),"
        " won AS (INSERT INTO delivery_claim AS c (next_hop, mrn, holder, expires)"
        "  SELECT $1, mrn, $2, now() + $3::int8 * interval '1 ms' FROM want ORDER BY mrn"
        "  ON CONFLICT (next_hop, mrn) DO UPDATE SET expires = EXCLUDED.expires"
        "  WHERE c.holder = EXCLUDED.holder RETURNING c.mrn),"
        " nudge AS (UPDATE delivery_claim c SET recheck = true FROM want"
        "  WHERE c.next_hop = $1 AND c.mrn = want.mrn AND c.holder <> $2"
        "  AND want.mrn NOT IN (SELECT mrn FROM won))"
        " SELECT mrn FROM won", 4, types, values, lengths, formats, 0, diag);
    store_buf_free (&arr);
    if (!res)
        return SG_EDB;
    for (int r = 0; r < PQntuples (res); r++)
        for (size_t i = 0; i < n; i++)
            if (strcmp (mrns[i], PQgetvalue (res, r, 0)) == 0)
                won[i] = 1;
    PQclear (res);
    return SG_OK;
}

int
store_claim_rechecks (store_t *self, const char *holder, char (**hops)[64], size_t *n,
                      sg_diag_t *diag)
{
    *hops = NULL;
    *n = 0;
    const char *values[1] = { holder };
    PGresult *res = store_i_exec (self, -1, "cannot read the claims to recheck",
        "UPDATE delivery_claim SET recheck = false WHERE holder = $1 AND recheck"
        " RETURNING next_hop", 1, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    int rows = PQntuples (res), rc = SG_OK;
    if (rows > 0 && !(*hops = calloc ((size_t) rows, sizeof **hops)))
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    for (int r = 0; *hops && r < rows; r++)
        sg_strlcpy ((*hops)[(*n)++], PQgetvalue (res, r, 0), sizeof **hops);
    PQclear (res);
    return rc;
}

int
store_claim_alone (store_t *self, const char *holder, int64_t ttl_ms, int *alone,
                   sg_diag_t *diag)
{
    char ttl[32];
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_ms);
    const char *values[2] = { holder, ttl };
    PGresult *res = store_i_exec (self, -1, "cannot look for other processes",
        "SELECT NOT EXISTS (SELECT 1 FROM delivery_claim WHERE holder <> $1)"
        "   AND NOT EXISTS (SELECT 1 FROM node_status WHERE instance <> $1"
        "                   AND state = 'running'"
        "                   AND updated > now() - 2 * $2::int8 * interval '1 ms')",
        2, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    *alone = PQntuples (res) == 1 && PQgetvalue (res, 0, 0)[0] == 't';
    PQclear (res);
    return SG_OK;
}

int
store_claim_takeover (store_t *self, const char *next_hop, const char *holder, int64_t ttl_ms,
                      size_t *taken, sg_diag_t *diag)
{
    *taken = 0;
    char ttl[32];
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_ms);
    const char *values[3] = { next_hop, holder, ttl };
    return s_change (self, "cannot take over expired claims",
        "UPDATE delivery_claim c SET holder = $2, claimed = now(),"
        "  expires = now() + $3::int8 * interval '1 ms'"
        " FROM (SELECT next_hop, mrn FROM delivery_claim"
        "       WHERE next_hop = $1 AND holder <> $2 AND expires < now()"
        "       ORDER BY mrn FOR UPDATE SKIP LOCKED) x"
        " WHERE c.next_hop = x.next_hop AND c.mrn = x.mrn AND c.expires < now()",
        3, values, taken, diag);
}

int
store_claim_renew_send (store_t *self, const char *holder, int64_t ttl_ms, sg_diag_t *diag)
{
    char ttl[32];
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_ms);
    const char *values[2] = { holder, ttl };
    return store_send (self, "cannot renew the delivery claims",
                       "UPDATE delivery_claim SET expires = now() + $2::int8 * interval '1 ms'"
                       " WHERE holder = $1 AND expires >= now()", 2, values, diag);
}

int
store_claim_renew_result (store_t *self, int wait, int *done, sg_diag_t *diag)
{
    PGresult *res;
    *done = 0;
    if (store_result (self, "cannot renew the delivery claims", wait, &res, diag) != SG_OK)
        return SG_EDB;
    if (!res)
        return SG_OK;
    *done = 1;
    PQclear (res);
    return SG_OK;
}

int
store_claim_gone (store_t *self, const char *holder, int (*gone) (const char *holder, void *arg),
                  void *arg, sg_diag_t *diag)
{
    const char *values[1] = { holder };
    PGresult *res = store_i_exec (self, -1, "cannot read the claim holders",
        "SELECT DISTINCT holder FROM delivery_claim WHERE holder <> $1 AND expires > now()",
        1, NULL, values, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    int rc = SG_OK;
    for (int i = 0; i < PQntuples (res) && rc == SG_OK; i++) {
        const char *who = PQgetvalue (res, i, 0);
        if (!gone (who, arg))
            continue;
        rc = store_claim_expire (self, who, NULL, diag);
    }
    PQclear (res);
    return rc;
}

int
store_claim_release (store_t *self, const char *holder, const char *next_hop,
                     const char *const *mrns, size_t n, sg_diag_t *diag)
{
    if (mrns && n == 0)
        return SG_OK;
    store_buf_t arr = { 0 };
    if (mrns && store_i_text_array (&arr, mrns, n, diag) != SG_OK)
        return SG_ENOMEM;
    const char *values[3] = { holder, next_hop, mrns ? arr.data : NULL };
    int lengths[3] = { 0, 0, (int) arr.len }, formats[3] = { 0, 0, 1 };
    Oid types[3] = { STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXTARRAY };
    PGresult *res = store_i_exec (self, -1, "cannot release delivery claims",
        "DELETE FROM delivery_claim WHERE holder = $1 AND NOT recheck"
        " AND ($2::text IS NULL OR next_hop = $2) AND ($3::text[] IS NULL OR mrn = ANY ($3))",
        3, types, values, lengths, formats, 0, diag);
    store_buf_free (&arr);
    if (!res)
        return SG_EDB;
    PQclear (res);
    return SG_OK;
}

int
store_claim_expire (store_t *self, const char *holder, const char *next_hop, sg_diag_t *diag)
{
    const char *values[2] = { holder, next_hop };
    return s_change (self, "cannot give delivery claims up",
        "UPDATE delivery_claim SET expires = now() - interval '1 ms'"
        " WHERE holder = $1 AND ($2::text IS NULL OR next_hop = $2) AND expires >= now()",
        2, values, NULL, diag);
}

int
store_claim_print (store_t *self, FILE *out, sg_diag_t *diag)
{
    PGresult *res = store_i_exec (self, -1, "cannot read the delivery claims",
        "SELECT holder, next_hop, count(*), to_char (max(expires), 'YYYY-MM-DD HH24:MI:SS TZ'),"
        "  max(expires) > now()"
        " FROM delivery_claim GROUP BY holder, next_hop ORDER BY holder, next_hop",
        0, NULL, NULL, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    if (PQntuples (res) == 0)
        fprintf (out, "claims: none\n");
    for (int i = 0; i < PQntuples (res); i++)
        fprintf (out, "claims: %s holds %s MRN(s) for %s until %s%s\n", PQgetvalue (res, i, 0),
                 PQgetvalue (res, i, 2), PQgetvalue (res, i, 1), PQgetvalue (res, i, 3),
                 strcmp (PQgetvalue (res, i, 4), "t") ? " (expired: another process takes them)"
                                                      : "");
    PQclear (res);
    return SG_OK;
}
