/* retention.c - one retention batch of the node (retention.h): pick what
 * is old and no longer needed, write it to an archive (gzip JSON lines,
 * signed last line) and fsync it, then remove it in the same transaction
 * that picked it; removed message ids stay in message_seen for dedup. */
#include "node/retention.h"
#include "archive.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* What may go: every delivery done (pending, in flight and dead letters
 * stay), and no view of its movement here that is open or closed less
 * than `retention` ago (an open movement may still need its declaration:
 * diversion answers, resync). The BRIN index on received finds old rows. */
static const char s_sql_msg_pick[] =
    "SELECT m.id::text FROM message m"
    " WHERE m.received < to_timestamp($1::float8 / 1000)"
    "   AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = m.id AND d.state <> 'done')"
    "   AND NOT EXISTS (SELECT 1 FROM movement v WHERE v.mrn = m.mrn"
    "                    AND (v.finished IS NULL OR v.finished >= to_timestamp($2::float8 / 1000)))"
    " LIMIT $3 FOR UPDATE OF m SKIP LOCKED";

/* Bytes in base64 without line breaks: exact, whatever the encoding. */
#define S_B64(col) "translate(encode(" col ", 'base64'), E'\\n', '')"

static const char s_sql_msg_lines[] =
    "SELECT json_build_object('kind', 'message', 'id', m.id, 'type', m.type, 'mrn', m.mrn,"
    " 'sender', m.sender, 'recipient', m.recipient, 'origin_node', m.origin_node,"
    " 'correlation_id', m.correlation_id, 'from_peer', m.from_peer, 'received', m.received,"
    " 'header', " S_B64 ("m.header") ", 'body', " S_B64 ("m.body") ","
    " 'signature', " S_B64 ("m.signature") ","
    " 'deliveries', coalesce((SELECT json_agg(json_build_object('next_hop', d.next_hop,"
    "     'state', d.state, 'attempts', d.attempts, 'acked_at', d.acked_at) ORDER BY d.next_hop)"
    "   FROM delivery d WHERE d.message_id = m.id), '[]'::json))::text"
    " FROM message m WHERE m.id = ANY ($1::uuid[]) ORDER BY m.received, m.id";

/* Movements go whole (every view of the MRN here), once all are closed. */
static const char s_sql_mov_pick[] =
    "SELECT DISTINCT v.mrn FROM movement v"
    " WHERE v.finished < to_timestamp($1::float8 / 1000)"
    "   AND NOT EXISTS (SELECT 1 FROM movement w WHERE w.mrn = v.mrn"
    "                    AND (w.finished IS NULL OR w.finished >= to_timestamp($1::float8 / 1000)))"
    " LIMIT $2";

static const char s_sql_mov_lock[] =
    "SELECT DISTINCT mrn FROM (SELECT mrn FROM movement WHERE mrn = ANY ($1::text[])"
    " FOR UPDATE SKIP LOCKED) x";

/* Every column of each row (to_jsonb), so the archive keeps what later
 * migrations add; at_ms is the event time exactly as hashed. */
static const char s_sql_mov_lines[] =
    "SELECT json_build_object('kind', 'movement', 'mrn', x.mrn,"
    " 'views', (SELECT json_agg(to_jsonb (v) || jsonb_build_object('event_list',"
    "     coalesce((SELECT jsonb_agg(to_jsonb (e) || jsonb_build_object('at_ms',"
    "         (extract(epoch FROM e.at) * 1000)::int8) ORDER BY e.seq)"
    "       FROM movement_event e WHERE e.mrn = v.mrn AND e.office = v.office), '[]'::jsonb))"
    "     ORDER BY v.office) FROM movement v WHERE v.mrn = x.mrn),"
    " 'rejections', coalesce((SELECT json_agg(r ORDER BY r.at, r.message_id)"
    "     FROM movement_rejection r WHERE r.mrn = x.mrn), '[]'::json),"
    " 'incidents', coalesce((SELECT json_agg(i ORDER BY i.recorded, i.message_id)"
    "     FROM movement_incident i WHERE i.mrn = x.mrn), '[]'::json))::text"
    " FROM unnest ($1::text[]) AS x(mrn) ORDER BY x.mrn";

static const char *const s_sql_msg_delete[] = {
    "DELETE FROM delivery WHERE message_id = ANY ($1::uuid[])",
    "DELETE FROM message WHERE id = ANY ($1::uuid[])",
    "INSERT INTO message_seen (id) SELECT unnest ($1::uuid[]) ON CONFLICT DO NOTHING",
};

/* Events first: the trigger lets a DELETE through only while the view
 * row (closed) is still there. */
static const char *const s_sql_mov_delete[] = {
    "DELETE FROM movement_event WHERE mrn = ANY ($1::text[])",
    "DELETE FROM movement_rejection WHERE mrn = ANY ($1::text[])",
    "DELETE FROM movement_incident WHERE mrn = ANY ($1::text[])",
    "DELETE FROM movement_request WHERE mrn = ANY ($1::text[])",
    "DELETE FROM movement WHERE mrn = ANY ($1::text[])",
};

static const char s_sql_seen_prune[] =
    "DELETE FROM message_seen WHERE id IN (SELECT id FROM message_seen"
    " WHERE gone < now () - ($1::int8 * interval '1 millisecond') LIMIT $2)";

/* An archive being written, with the running digest of its lines. */
typedef struct {
    sg_archive_t *ar;
    EVP_MD_CTX *md;
    long records;
} s_out_t;

static int
s_put (s_out_t *o, const char *line, size_t len)
{
    if (sg_archive_line (o->ar, line, len) != SG_OK || !EVP_DigestUpdate (o->md, line, len)
        || !EVP_DigestUpdate (o->md, "\n", 1))
        return SG_EIO;
    o->records++;
    return SG_OK;
}

void
retention_signed_text (char *out, size_t size, const char *node, long records, const char *sha_hex)
{
    snprintf (out, size, "sigmat-archive/1|%s|%ld|%s", node, records, sha_hex);
}

static int
s_finish (s_out_t *o, const char *node, const sg_sign_key_t *key, sg_diag_t *diag)
{
    unsigned char sha[32], sig[SG_SIGN_LEN];
    unsigned int n = 0;
    char hex[65], text[256], b64[2 * SG_SIGN_LEN], line[512];
    if (!EVP_DigestFinal_ex (o->md, sha, &n) || n != 32)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot hash the archive");
    for (int i = 0; i < 32; i++)
        snprintf (hex + 2 * i, 3, "%02x", sha[i]);
    retention_signed_text (text, sizeof text, node, o->records, hex);
    int rc = sg_sign_message (key, text, strlen (text), NULL, 0, sig);
    if (rc != SG_OK)
        return sg_diag_set (diag, rc, 0, 0, "cannot sign the archive: %s", sg_strerror (rc));
    EVP_EncodeBlock ((unsigned char *) b64, sig, SG_SIGN_LEN);
    int len = snprintf (line, sizeof line,
                        "{\"kind\": \"end\", \"records\": %ld, \"sha256\": \"%s\", "
                        "\"signature\": \"%s\"}", o->records, hex, b64);
    if (sg_archive_line (o->ar, line, (size_t) len) != SG_OK)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot write %s", sg_archive_path (o->ar));
    return SG_OK;
}

/* Runs sql with n text parameters through the store; NULL with diag
 * "retention: <what>: <reason>" if it fails. */
static PGresult *
s_exec (store_t *st, const char *what, const char *sql, int n, const char *const *v,
        sg_diag_t *diag)
{
    char w[64];
    snprintf (w, sizeof w, "retention: %s", what);
    return store_exec (st, w, sql, n, v, 0, diag);
}

/* {a,b,c} from column 0 of r; NULL when out of memory. */
static char *
s_array (PGresult *r)
{
    size_t len = 3;
    for (int i = 0; i < PQntuples (r); i++)
        len += strlen (PQgetvalue (r, i, 0)) + 3;
    char *s = malloc (len), *p = s;
    if (!s)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < PQntuples (r); i++)
        p += sprintf (p, "%s\"%s\"", i ? "," : "", PQgetvalue (r, i, 0));
    strcpy (p, "}");
    return s;
}

/* Writes column 0 of every row of sql($1 = arr) as archive lines. */
static int
s_lines (store_t *c, s_out_t *o, const char *what, const char *sql, const char *arr,
         sg_diag_t *diag)
{
    PGresult *r = s_exec (c, what, sql, 1, &arr, diag);
    if (!r)
        return SG_EDB;
    int rc = SG_OK;
    for (int i = 0; i < PQntuples (r) && rc == SG_OK; i++)
        if (s_put (o, PQgetvalue (r, i, 0), (size_t) PQgetlength (r, i, 0)) != SG_OK)
            rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot write %s", sg_archive_path (o->ar));
    PQclear (r);
    return rc;
}

static int
s_deletes (store_t *c, const char *const *sql, size_t n, const char *arr, sg_diag_t *diag)
{
    for (size_t i = 0; i < n; i++) {
        PGresult *r = s_exec (c, "remove", sql[i], 1, &arr, diag);
        if (!r)
            return SG_EDB;
        PQclear (r);
    }
    return SG_OK;
}

int
retention_run (store_t *st, const retention_conf_t *conf, int64_t msg_before_ms,
               int64_t mov_before_ms, retention_result_t *res, sg_diag_t *diag)
{
    memset (res, 0, sizeof *res);
    store_t *c = st;
    if (!c || !conf || !conf->dir || !conf->node || !conf->key || conf->batch < 1)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "retention: incomplete configuration");
    if (!store_idle (c))
        return sg_diag_set (diag, SG_EDB, 0, 0,
                            "retention: the database connection is busy or down");
    int rc = SG_OK, in_tx = 0;
    PGresult *mp = NULL, *vp = NULL, *vl = NULL, *r = NULL;
    char *ids = NULL, *mrns = NULL, *picked = NULL;
    s_out_t o = { 0 };
    char mb[32], vb[32], lim[16], path[4096] = "";
    snprintf (mb, sizeof mb, "%lld", (long long) msg_before_ms);
    snprintf (vb, sizeof vb, "%lld", (long long) mov_before_ms);
    snprintf (lim, sizeof lim, "%d", conf->batch);

    /* Bounded: a batch never holds the loop for long, nor waits on a lock. */
    if (store_begin (c, "retention: begin", diag) != SG_OK) {
        rc = SG_EDB;
        goto done;
    }
    in_tx = 1;
    if (store_run (c, "retention: begin", "SET LOCAL sigmat.retention = 'on';"
                   " SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '30s'",
                   diag) != SG_OK) {
        rc = SG_EDB;
        goto done;
    }
    const char *pm[3] = { mb, vb, lim };
    if (!(mp = s_exec (c, "pick messages", s_sql_msg_pick, 3, pm, diag))) {
        rc = SG_EDB;
        goto done;
    }
    const char *pv[2] = { vb, lim };
    if (!(vp = s_exec (c, "pick movements", s_sql_mov_pick, 2, pv, diag))) {
        rc = SG_EDB;
        goto done;
    }
    if (PQntuples (vp) > 0) {
        if (!(picked = s_array (vp))) {
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto done;
        }
        const char *pl[1] = { picked };
        if (!(vl = s_exec (c, "lock movements", s_sql_mov_lock, 1, pl, diag))) {
            rc = SG_EDB;
            goto done;
        }
    }
    int nm = PQntuples (mp), nv = vl ? PQntuples (vl) : 0;
    if (nm > 0 || nv > 0) {
        if ((nm && !(ids = s_array (mp))) || (nv && !(mrns = s_array (vl))) ||
            !(o.md = EVP_MD_CTX_new ()) || !EVP_DigestInit_ex (o.md, EVP_sha256 (), NULL)) {
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto done;
        }
        if (!(o.ar = sg_archive_new (conf->dir, conf->node, diag))) {
            rc = diag ? diag->code : SG_EIO;
            goto done;
        }
        char head[512];
        int hl = snprintf (head, sizeof head,
                           "{\"kind\": \"archive\", \"format\": 1, \"node\": \"%s\", "
                           "\"messages\": %d, \"movements\": %d, \"messages_before_ms\": %s, "
                           "\"movements_before_ms\": %s}", conf->node, nm, nv, mb, vb);
        if (s_put (&o, head, (size_t) hl) != SG_OK) {
            rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot write %s", sg_archive_path (o.ar));
            goto done;
        }
        if ((nm && (rc = s_lines (c, &o, "read messages", s_sql_msg_lines, ids, diag)) != SG_OK)
            || (nv && (rc = s_lines (c, &o, "read movements", s_sql_mov_lines, mrns,
                                     diag)) != SG_OK)
            || (rc = s_finish (&o, conf->node, conf->key, diag)) != SG_OK)
            goto done;
        snprintf (path, sizeof path, "%s", sg_archive_path (o.ar));
        if ((rc = sg_archive_commit (&o.ar, diag)) != SG_OK)
            goto done;
        /* The archive is on disk: now the rows may go. */
        if ((nm && (rc = s_deletes (c, s_sql_msg_delete, 3, ids, diag)) != SG_OK)
            || (nv && (rc = s_deletes (c, s_sql_mov_delete, 5, mrns, diag)) != SG_OK))
            goto done;
    }
    in_tx = 0;
    if (store_commit (c, "retention: commit", diag) != SG_OK) {
        rc = SG_EDB;
        goto done;
    }
    res->messages = nm;
    res->movements = nv;
    snprintf (res->file, sizeof res->file, "%s", path);
    path[0] = 0;
    /* The dedup table's own retention, in its own small statement. */
    char dd[32];
    snprintf (dd, sizeof dd, "%lld", conf->dedup_ms);
    const char *pp[2] = { dd, lim };
    if ((r = s_exec (c, "prune message_seen", s_sql_seen_prune, 2, pp, diag)))
        res->seen_pruned = atoi (PQcmdTuples (r));
    else
        rc = SG_EDB;
done:
    if (in_tx)
        store_rollback (c);
    if (rc != SG_OK && path[0])
        sg_archive_unlink (path);   /* the rows stayed: do not leave a copy that claims them */
    sg_archive_abort (&o.ar);
    EVP_MD_CTX_free (o.md);
    PQclear (mp);
    PQclear (vp);
    PQclear (vl);
    PQclear (r);
    free (ids);
    free (mrns);
    free (picked);
    return rc;
}
