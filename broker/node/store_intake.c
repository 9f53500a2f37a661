/* store_intake.c - durable batched intake: a whole batch of messages and
 * their delivery rows in one statement (one round trip, one commit), with
 * deduplication on message id; and reading one stored message back. */
#include "node/store_int.h"

#include <stdlib.h>
#include <string.h>

/* Why one statement: in autocommit a single statement is its own
 * transaction, so the message rows and the delivery rows commit together
 * or not at all, with one round trip and one WAL flush. Parameters are
 * binary arrays (no escaping of bodies). ON CONFLICT DO NOTHING skips ids
 * stored before, NOT EXISTS those archived and removed since (message_seen,
 * broker/node/retention.c); RETURNING tells which were new, and only those get a
 * delivery row. ORDER BY ord gives delivery.seq the batch order; each new
 * message comes back with its seq (the dispatcher's cursor may be past it:
 * dispatch_enqueue). A message with a claim holder ($13) also claims its
 * (next hop, MRN) for it when nobody holds that pair (store_msg_t), in the
 * same commit, in (next hop, MRN) order as every claim statement; the
 * third column says whether it did. */
#define S_SQL_ACCEPT \
    "WITH m AS (" \
    " INSERT INTO message (id, type, mrn, sender, recipient, origin_node, correlation_id," \
    "                      header, body, signature, from_peer)" \
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]," \
    "                      $6::text[], $7::uuid[], $8::bytea[], $9::bytea[], $10::bytea[]," \
    "                      $11::text[]) AS u(id, type, mrn, sender, recipient, origin_node," \
    "                      correlation_id, header, body, signature, from_peer)" \
    " WHERE NOT EXISTS (SELECT 1 FROM message_seen s WHERE s.id = u.id)" \
    " ON CONFLICT (id) DO NOTHING" \
    " RETURNING id)," \
    " d AS (" \
    " INSERT INTO delivery (message_id, next_hop)" \
    " SELECT u.id, u.hop FROM unnest($1::uuid[], $12::text[]) WITH ORDINALITY AS u(id, hop, ord)" \
    " WHERE u.hop IS NOT NULL AND u.id IN (SELECT id FROM m)" \
    " ORDER BY u.ord" \
    " RETURNING message_id, seq)"
static const char s_sql_accept[] =
    S_SQL_ACCEPT
    " SELECT m.id, d.seq, false FROM m LEFT JOIN d ON d.message_id = m.id";
static const char s_sql_accept_claim[] =
    S_SQL_ACCEPT ","
    " c AS ("
    " INSERT INTO delivery_claim (next_hop, mrn, holder, expires)"
    " SELECT DISTINCT u.hop, u.mrn, u.holder, now() + $14::int8 * interval '1 ms'"
    " FROM unnest($1::uuid[], $3::text[], $12::text[], $13::text[]) AS u(id, mrn, hop, holder)"
    " WHERE u.holder IS NOT NULL AND u.hop IS NOT NULL AND u.id IN (SELECT id FROM m)"
    " ORDER BY 1, 2"
    " ON CONFLICT (next_hop, mrn) DO NOTHING"
    " RETURNING next_hop, mrn)"
    " SELECT m.id, d.seq, c.mrn IS NOT NULL FROM m LEFT JOIN d ON d.message_id = m.id"
    " LEFT JOIN unnest($1::uuid[], $3::text[], $12::text[]) AS v(id, mrn, hop) ON v.id = m.id"
    " LEFT JOIN c ON c.next_hop = v.hop AND c.mrn = v.mrn";
static const Oid s_types_accept[] = {
    STORE_OID_UUIDARRAY, STORE_OID_TEXTARRAY, STORE_OID_TEXTARRAY, STORE_OID_TEXTARRAY,
    STORE_OID_TEXTARRAY, STORE_OID_TEXTARRAY, STORE_OID_UUIDARRAY, STORE_OID_BYTEAARRAY,
    STORE_OID_BYTEAARRAY, STORE_OID_BYTEAARRAY, STORE_OID_TEXTARRAY, STORE_OID_TEXTARRAY,
    STORE_OID_TEXTARRAY, STORE_OID_INT8
};
#define S_NPARAMS_PLAIN 12      /* s_sql_accept's: no claims */
#define S_NARRAYS 13            /* then the claims' holders, then their lifetime */
#define S_NPARAMS 14

typedef struct {
    unsigned char id[16];
    unsigned char corr[16];
    size_t index;               /* position in the caller's batch */
} s_key_t;

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    int c = memcmp (x->id, y->id, 16);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int
s_index_cmp (const void *a, const void *b)
{
    size_t x = *(const size_t *) a, y = *(const size_t *) b;
    return x < y ? -1 : x > y;
}

/* Allocates b for an array of n elements holding bytes in all, so it is
 * built without growing: the batch's headers, bodies and signatures
 * (megabytes for 500 AARs) are copied once, not again at each doubling. */
static void
s_reserve (store_buf_t *b, size_t n, size_t bytes)
{
    size_t cap = 20 + n * 4 + bytes;
    if (!(b->data = malloc (cap))) {
        b->failed = 1;
        return;
    }
    b->cap = cap;
}

/* Checks one message's fields; SG_OK or SG_EINVAL naming the field. */
static int
s_check (const store_msg_t *m, size_t i, s_key_t *key, sg_diag_t *diag)
{
    const char *bad = NULL;
    if (store_uuid_parse (m->id, key->id) != 0)
        bad = "id";
    else if (m->correlation_id && store_uuid_parse (m->correlation_id, key->corr) != 0)
        bad = "correlation_id";
    else if (!store_token_ok (m->type))
        bad = "type";
    else if (!store_token_ok (m->mrn))
        bad = "mrn";
    else if (!store_token_ok (m->sender))
        bad = "sender";
    else if (!store_token_ok (m->recipient))
        bad = "recipient";
    else if (!store_token_ok (m->origin_node))
        bad = "origin_node";
    else if (m->from_peer && !store_token_ok (m->from_peer))
        bad = "from_peer";
    else if (m->next_hop && !store_token_ok (m->next_hop))
        bad = "next_hop";
    else if (m->claim_holder && !store_token_ok (m->claim_holder))
        bad = "claim_holder";
    else if (!m->header || !m->body)
        bad = "header or body";
    else if (m->header_len > 0x7fffffff || m->body_len > 0x7fffffff
             || m->signature_len > 0x7fffffff)
        bad = "size";
    key->index = i;
    if (bad)
        return sg_diag_set (diag, SG_EINVAL, (int) i + 1, SG_NAK_INCORRECT_VALUE,
                            "message %zu of the batch: bad %s", i + 1, bad);
    return SG_OK;
}

int
store_accept (store_t *self, store_msg_t *msgs, size_t n, sg_diag_t *diag)
{
    if (!self || (!msgs && n))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "store_accept: no store or no messages");
    if (n == 0)
        return SG_OK;
    if (n > 100000)
        return sg_diag_set (diag, SG_ETOOBIG, 0, 0, "batch of %zu messages is too large", n);
    int rc = SG_OK;
    PGresult *res = NULL;
    store_buf_t arr[S_NARRAYS] = { { 0 } };
    s_key_t *keys = malloc (n * sizeof *keys);
    size_t *uniq = malloc (n * sizeof *uniq);
    if (!keys || !uniq) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        msgs[i].duplicate = 0;
        msgs[i].seq = 0;
        msgs[i].claimed = 0;
        if ((rc = s_check (&msgs[i], i, &keys[i], diag)) != SG_OK)
            goto done;
    }
    /* Repeats within the batch: sort by (id, index), keep the first of each
     * id, flag the rest; then put the survivors back in batch order. */
    qsort (keys, n, sizeof *keys, s_key_cmp);
    size_t u = 0;
    int has_corr_null = 0, has_sig_null = 0, has_hop_null = 0;
    int64_t claim_ttl = 0;
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && memcmp (keys[k].id, keys[k - 1].id, 16) == 0) {
            msgs[keys[k].index].duplicate = 1;
            continue;
        }
        uniq[u++] = keys[k].index;
    }
    for (size_t k = 0, w = 0; k < n; k++)       /* keys[] by id -> id of each index */
        if (!msgs[keys[k].index].duplicate)
            keys[w++] = keys[k];
    /* keys[0..u) are unique and sorted by id; uniq[] goes back to batch order. */
    qsort (uniq, u, sizeof *uniq, s_index_cmp);
    for (size_t k = 0; k < u; k++) {
        const store_msg_t *m = &msgs[uniq[k]];
        has_corr_null |= !m->correlation_id;
        has_sig_null |= !m->signature;
        has_hop_null |= !m->next_hop;
        if (m->claim_holder && m->claim_ttl_ms > claim_ttl)
            claim_ttl = m->claim_ttl_ms;
    }
    static const uint32_t elem[S_NARRAYS] = {
        STORE_OID_UUID, STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXT,
        STORE_OID_TEXT, STORE_OID_UUID, STORE_OID_BYTEA, STORE_OID_BYTEA, STORE_OID_BYTEA,
        STORE_OID_TEXT, STORE_OID_TEXT, STORE_OID_TEXT
    };
    int nulls[S_NARRAYS] = { 0, 0, 0, 0, 0, 0, has_corr_null, 0, 0, has_sig_null, 1, has_hop_null,
                             1 };
    size_t hbytes = 0, bbytes = 0, sbytes = 0;
    for (size_t k = 0; k < u; k++) {
        hbytes += msgs[uniq[k]].header_len;
        bbytes += msgs[uniq[k]].body_len;
        sbytes += msgs[uniq[k]].signature ? msgs[uniq[k]].signature_len : 0;
    }
    s_reserve (&arr[0], u, u * 16);
    s_reserve (&arr[6], u, u * 16);
    s_reserve (&arr[7], u, hbytes);
    s_reserve (&arr[8], u, bbytes);
    s_reserve (&arr[9], u, sbytes);
    for (int p = 0; p < S_NARRAYS; p++)
        store_array_begin (&arr[p], elem[p], u, nulls[p]);
    for (size_t k = 0; k < u; k++) {
        const store_msg_t *m = &msgs[uniq[k]];
        unsigned char id[16], corr[16];
        store_uuid_parse (m->id, id);
        store_array_elem (&arr[0], id, 16);
        store_array_elem (&arr[1], m->type, strlen (m->type));
        store_array_elem (&arr[2], m->mrn, strlen (m->mrn));
        store_array_elem (&arr[3], m->sender, strlen (m->sender));
        store_array_elem (&arr[4], m->recipient, strlen (m->recipient));
        store_array_elem (&arr[5], m->origin_node, strlen (m->origin_node));
        if (m->correlation_id)
            store_uuid_parse (m->correlation_id, corr);
        store_array_elem (&arr[6], m->correlation_id ? corr : NULL, 16);
        store_array_elem (&arr[7], m->header, m->header_len);
        store_array_elem (&arr[8], m->body, m->body_len);
        store_array_elem (&arr[9], m->signature, m->signature_len);
        store_array_elem (&arr[10], m->from_peer, m->from_peer ? strlen (m->from_peer) : 0);
        store_array_elem (&arr[11], m->next_hop, m->next_hop ? strlen (m->next_hop) : 0);
        store_array_elem (&arr[12], m->claim_holder,
                          m->claim_holder ? strlen (m->claim_holder) : 0);
    }
    const char *values[S_NPARAMS];
    int lengths[S_NPARAMS], formats[S_NPARAMS];
    unsigned char ttl[8];
    for (int i = 0; i < 8; i++)
        ttl[i] = (unsigned char) ((uint64_t) claim_ttl >> (56 - 8 * i));
    values[S_NARRAYS] = (const char *) ttl;
    lengths[S_NARRAYS] = 8;
    formats[S_NARRAYS] = 1;
    for (int p = 0; p < S_NARRAYS; p++) {
        if (arr[p].failed || arr[p].len > 0x7fffffff) {
            rc = sg_diag_set (diag, arr[p].failed ? SG_ENOMEM : SG_ETOOBIG, 0, 0,
                              "batch too large to send");
            goto done;
        }
        values[p] = arr[p].data;
        lengths[p] = (int) arr[p].len;
        formats[p] = 1;
    }
    if (claim_ttl)
        res = store_i_exec (self, STORE_STMT_ACCEPT_CLAIM, "cannot store batch",
                            s_sql_accept_claim, S_NPARAMS, s_types_accept, values, lengths,
                            formats, 1, diag);
    else
        res = store_i_exec (self, STORE_STMT_ACCEPT, "cannot store batch", s_sql_accept,
                            S_NPARAMS_PLAIN, s_types_accept, values, lengths, formats, 1, diag);
    if (!res) {
        rc = SG_EDB;
        goto done;
    }
    /* Every unique message not returned was stored by an earlier batch. */
    char *inserted = calloc (u ? u : 1, 1);
    if (!inserted) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (int r = 0; r < PQntuples (res); r++) {
        if (PQgetlength (res, r, 0) != 16)
            continue;
        s_key_t probe;
        memcpy (probe.id, PQgetvalue (res, r, 0), 16);
        size_t lo = 0, hi = u;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = memcmp (keys[mid].id, probe.id, 16);
            if (c == 0) {
                inserted[mid] = 1;
                if (PQgetlength (res, r, 1) == 8)
                    msgs[keys[mid].index].seq = store_get_i64 (PQgetvalue (res, r, 1));
                msgs[keys[mid].index].claimed = PQgetvalue (res, r, 2)[0] == 1;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    for (size_t k = 0; k < u; k++)
        if (!inserted[k])
            msgs[keys[k].index].duplicate = 1;
    free (inserted);
done:
    PQclear (res);
    for (int p = 0; p < S_NARRAYS; p++)
        store_buf_free (&arr[p]);
    free (keys);
    free (uniq);
    return rc;
}

int
store_conflicts (store_t *self, store_msg_t *msgs, size_t n, sg_diag_t *diag)
{
    size_t dups = 0;
    for (size_t i = 0; i < n; i++) {
        msgs[i].conflict = 0;
        dups += msgs[i].duplicate != 0;
    }
    if (dups == 0)
        return SG_OK;
    int rc = SG_OK;
    PGresult *res = NULL;
    store_buf_t arr[4] = { { 0 } };
    static const uint32_t elem[4] = { STORE_OID_UUID, STORE_OID_BYTEA, STORE_OID_BYTEA,
                                      STORE_OID_INT4 };
    for (int p = 0; p < 4; p++)
        store_array_begin (&arr[p], elem[p], dups, 0);
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].duplicate)
            continue;
        unsigned char id[16], pos[4];
        uint32_t k = (uint32_t) i;
        if (store_uuid_parse (msgs[i].id, id) != 0) {
            rc = sg_diag_set (diag, SG_EINVAL, (int) i + 1, SG_NAK_INCORRECT_VALUE, "bad id");
            goto done;
        }
        pos[0] = (unsigned char) (k >> 24);
        pos[1] = (unsigned char) (k >> 16);
        pos[2] = (unsigned char) (k >> 8);
        pos[3] = (unsigned char) k;
        store_array_elem (&arr[0], id, 16);
        store_array_elem (&arr[1], msgs[i].header, msgs[i].header_len);
        store_array_elem (&arr[2], msgs[i].body, msgs[i].body_len);
        store_array_elem (&arr[3], pos, 4);
    }
    const char *values[4];
    int lengths[4], formats[4] = { 1, 1, 1, 1 };
    for (int p = 0; p < 4; p++) {
        if (arr[p].failed || arr[p].len > 0x7fffffff) {
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory comparing duplicates");
            goto done;
        }
        values[p] = arr[p].data;
        lengths[p] = (int) arr[p].len;
    }
    static const Oid types[4] = { STORE_OID_UUIDARRAY, STORE_OID_BYTEAARRAY,
                                  STORE_OID_BYTEAARRAY, STORE_OID_INT4ARRAY };
    res = store_i_exec (self, -1, "cannot compare duplicates",
        "SELECT u.k FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::int4[])"
        " AS u(id, h, b, k) JOIN message m ON m.id = u.id"
        " WHERE m.body <> u.b", 4, types, values, lengths, formats, 1, diag);
    if (!res) {
        rc = SG_EDB;
        goto done;
    }
    for (int r = 0; r < PQntuples (res); r++) {
        int k = store_get_i32 (PQgetvalue (res, r, 0));
        if (k >= 0 && (size_t) k < n)
            msgs[k].conflict = 1;
    }
done:
    PQclear (res);
    for (int p = 0; p < 4; p++)
        store_buf_free (&arr[p]);
    return rc;
}

/* Copies a binary result value into a malloc'd buffer (NULL for SQL NULL). */
static int
s_copy_value (PGresult *res, int row, int col, void **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (PQgetisnull (res, row, col))
        return SG_OK;
    size_t n = (size_t) PQgetlength (res, row, col);
    char *p = malloc (n + 1);
    if (!p)
        return SG_ENOMEM;
    memcpy (p, PQgetvalue (res, row, col), n);
    p[n] = '\0';
    *out = p;
    *len = n;
    return SG_OK;
}

/* Copies a binary text value into a fixed field (truncating). */
static void
s_copy_text (PGresult *res, int row, int col, char *dst, size_t size)
{
    size_t n = (size_t) PQgetlength (res, row, col);
    if (n >= size)
        n = size - 1;
    memcpy (dst, PQgetvalue (res, row, col), n);
    dst[n] = '\0';
}

int
store_message_get (store_t *self, const char *id, store_message_t *out, sg_diag_t *diag)
{
    memset (out, 0, sizeof *out);
    unsigned char raw[16];
    if (store_uuid_parse (id, raw) != 0)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad message id \"%s\"", id ? id : "");
    const char *params[1] = { (const char *) raw };
    int lengths[1] = { 16 }, formats[1] = { 1 };
    Oid types[1] = { STORE_OID_UUID };
    PGresult *res = store_i_exec (self, -1, "cannot read message",
        "SELECT id, type, mrn, sender, recipient, origin_node, correlation_id, from_peer,"
        " extract(epoch FROM received)::bigint, header, body, signature"
        " FROM message WHERE id = $1", 1, types, params, lengths, formats, 1, diag);
    if (!res)
        return SG_EDB;
    int rc = SG_OK;
    if (PQntuples (res) != 1) {
        rc = sg_diag_set (diag, SG_ENOTFOUND, 0, 0, "no message %s", id);
        goto done;
    }
    store_uuid_format ((const unsigned char *) PQgetvalue (res, 0, 0), out->id);
    s_copy_text (res, 0, 1, out->type, sizeof out->type);
    s_copy_text (res, 0, 2, out->mrn, sizeof out->mrn);
    s_copy_text (res, 0, 3, out->sender, sizeof out->sender);
    s_copy_text (res, 0, 4, out->recipient, sizeof out->recipient);
    s_copy_text (res, 0, 5, out->origin_node, sizeof out->origin_node);
    if (!PQgetisnull (res, 0, 6))
        store_uuid_format ((const unsigned char *) PQgetvalue (res, 0, 6), out->correlation_id);
    if (!PQgetisnull (res, 0, 7))
        s_copy_text (res, 0, 7, out->from_peer, sizeof out->from_peer);
    out->received = store_get_i64 (PQgetvalue (res, 0, 8));
    if (s_copy_value (res, 0, 9, (void **) &out->header, &out->header_len)
        || s_copy_value (res, 0, 10, (void **) &out->body, &out->body_len)
        || s_copy_value (res, 0, 11, (void **) &out->signature, &out->signature_len)) {
        store_message_clear (out);
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    }
done:
    PQclear (res);
    return rc;
}

void
store_message_clear (store_message_t *msg)
{
    if (!msg)
        return;
    free (msg->header);
    free (msg->body);
    free (msg->signature);
    memset (msg, 0, sizeof *msg);
}
