/* retention_verify.c - offline checks of a retention archive
 * (retention.h): the signed digest of its lines, each message's origin
 * signature, each movement view's event hash chain. Needs only the file
 * and the signing public keys (key files or a node's peer table). */
#include "node/retention.h"
#include "archive.h"
#include "header.h"
#include "lifecycle/lifecycle.h"
#include "node/peerkeys.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char name[64];
    peerkeys_t *keys;           /* NULL: none found (remembered) */
} s_key_t;

typedef struct {
    const retention_keys_t *src;
    s_key_t keys[64];
    size_t nkeys;
    FILE *out;
    retention_verify_t *st;
    long line;
} s_ctx_t;

static void
s_problem (s_ctx_t *x, const char *fmt, const char *a, const char *b)
{
    fprintf (x->out, "FAIL line %ld: ", x->line);
    fprintf (x->out, fmt, a ? a : "?", b ? b : "?");
    fputc ('\n', x->out);
    x->st->problems++;
}

/* The signing keys of node name, each with its period: from the peer
 * table (--db: its keys of peer_sign_key, then its legacy key) and from
 * NAME.sign.pub in the keys folder (--keys, valid at any time: this node's
 * own key, whose files are not in the database). NULL when none. */
static const peerkeys_t *
s_keys (s_ctx_t *x, const char *name)
{
    for (size_t i = 0; i < x->nkeys; i++)
        if (strcmp (x->keys[i].name, name) == 0)
            return x->keys[i].keys;
    sg_diag_t d;
    store_sign_key_t *rows = NULL;
    size_t n = 0;
    char *pem = NULL;
    if (x->src->db) {
        const char *p[1] = { name };
        PGresult *r = store_exec (x->src->db, "cannot read the peer's key",
                                  "SELECT sign_public_pem FROM peer WHERE name = $1"
                                  " AND sign_public_pem IS NOT NULL", 1, p, 0, NULL);
        if (r && PQntuples (r) == 1)
            pem = strdup (PQgetvalue (r, 0, 0));
        PQclear (r);
        if (store_sign_key_list (x->src->db, name, &rows, &n, &d) != SG_OK)
            n = 0;
    }
    peerkeys_t *k = peerkeys_load (name, pem, rows, n);
    free (pem);
    store_sign_keys_free (rows, n);
    if (k && x->src->keys_dir && strlen (name) < 64 && !strchr (name, '/')) {
        char path[4200];
        snprintf (path, sizeof path, "%s/%s.sign.pub", x->src->keys_dir, name);
        sg_sign_key_t *f = sg_sign_key_load (path, &d);
        if (f)
            peerkeys_add (k, &f, 0, 0);
    }
    if (!peerkeys_count (k))
        peerkeys_destroy (&k);
    if (x->nkeys < sizeof x->keys / sizeof x->keys[0]) {
        snprintf (x->keys[x->nkeys].name, sizeof x->keys[0].name, "%s", name);
        x->keys[x->nkeys++].keys = k;
    }
    return k;
}

/* Decodes base64 text; malloc'd bytes in *out (NULL for JSON null). */
static int
s_b64 (json_t *v, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (json_is_null (v) || !v)
        return 0;
    const char *s = json_string_value (v);
    size_t n = s ? strlen (s) : 0;
    if (!s || n % 4)
        return -1;
    if (!(*out = malloc (n / 4 * 3 + 1)))
        return -1;
    int got = n ? EVP_DecodeBlock (*out, (const unsigned char *) s, (int) n) : 0;
    if (got < 0) {
        free (*out);
        *out = NULL;
        return -1;
    }
    while (n > 0 && s[n - 1] == '=' && got > 0) {
        n--;
        got--;
    }
    *len = (size_t) got;
    return 0;
}

/* PostgreSQL's bytea text form "\x" + hex into 32 bytes. */
static int
s_hash (json_t *v, unsigned char out[LC_HASH_LEN])
{
    const char *s = json_string_value (v);
    if (!s || strlen (s) != 2 + 2 * LC_HASH_LEN || s[0] != '\\' || s[1] != 'x')
        return -1;
    for (int i = 0; i < LC_HASH_LEN; i++) {
        unsigned x;
        if (sscanf (s + 2 + 2 * i, "%2x", &x) != 1)
            return -1;
        out[i] = (unsigned char) x;
    }
    return 0;
}

static const char *
s_str (json_t *o, const char *k)
{
    return json_string_value (json_object_get (o, k));
}

/* 1 if the header's Message-Id line names id (the signed part must say
 * which message it is, not only the archive's JSON). */
static int
s_header_names (const unsigned char *h, size_t n, const char *id)
{
    const char *want = "Message-Id:";
    size_t wl = strlen (want), il = strlen (id);
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && h[e] != '\n')
            e++;
        if (e - i > wl && strncasecmp ((const char *) h + i, want, wl) == 0) {
            size_t v = i + wl;
            while (v < e && h[v] == ' ')
                v++;
            size_t end = e;
            while (end > v && (h[end - 1] == '\r' || h[end - 1] == ' '))
                end--;
            return end - v == il && strncasecmp ((const char *) h + v, id, il) == 0;
        }
        i = e + 1;
    }
    return 0;
}

static void
s_message (s_ctx_t *x, json_t *m)
{
    const char *id = s_str (m, "id"), *origin = s_str (m, "origin_node");
    unsigned char *h = NULL, *b = NULL, *sig = NULL;
    size_t hl, bl, sl;
    x->st->messages++;
    if (!id || !origin || s_b64 (json_object_get (m, "header"), &h, &hl) != 0
        || s_b64 (json_object_get (m, "body"), &b, &bl) != 0
        || s_b64 (json_object_get (m, "signature"), &sig, &sl) != 0 || !h || !b)
        s_problem (x, "message %s from %s: a field is missing or not base64", id, origin);
    else if (!sig)
        s_problem (x, "message %s from %s: no signature", id, origin);
    else if (!s_header_names (h, hl, id))
        s_problem (x, "message %s: its signed header names another message id (%s)", id, origin);
    else {
        /* Against the key that was valid when it was signed (Key-Id,
         * Created), as a node checks it on arrival: an archive may span a
         * rotation of its origin's key. */
        const peerkeys_t *k = s_keys (x, origin);
        sg_hdr_t *hd = NULL;
        sg_diag_t d;
        int64_t created = -1;
        if (!k)
            s_problem (x, "message %s: no public key for origin node %s (give --keys DIR or --db)",
                       id, origin);
        else if (sg_hdr_parse ((const char *) h, hl, &hd, &d) != SG_OK)
            s_problem (x, "message %s: unreadable signed header (%s)", id, d.text);
        else if (sg_hdr_get (hd, SG_HDR_CREATED)
                 && sg_hdr_time_parse (sg_hdr_get (hd, SG_HDR_CREATED), &created) != SG_OK)
            s_problem (x, "message %s: unreadable Created header (%s)", id, origin);
        else if (peerkeys_verify (k, origin, sg_hdr_get (hd, SG_HDR_KEY_ID), created,
                                  (const char *) h, hl, (const char *) b, bl, sig, sl, &d)
                 != SG_OK)
            s_problem (x, "message %s: %s", id, d.text);
        sg_hdr_destroy (&hd);
    }
    free (h);
    free (b);
    free (sig);
}

/* A bytea column as to_jsonb writes it ("\\x" + hex): the hex digits, or
 * "" when NULL or absent. */
static const char *
s_bytea_hex (json_t *o, const char *key)
{
    const char *v = s_str (o, key);
    return v && v[0] == '\\' && v[1] == 'x' ? v + 2 : "";
}

static void
s_view (s_ctx_t *x, const char *mrn, json_t *v)
{
    const char *office = s_str (v, "office");
    json_t *evs = json_object_get (v, "event_list");
    unsigned char prev[LC_HASH_LEN] = { 0 }, want[LC_HASH_LEN], got[LC_HASH_LEN],
                  h[LC_HASH_LEN];
    char what[160];
    x->st->views++;
    if (!office || !json_is_array (evs)) {
        s_problem (x, "movement %s view %s: no event list", mrn, office);
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach (evs, i, e) {
        x->st->events++;
        json_t *hv = json_object_get (e, "hash_version");
        lc_event_t ev = { mrn, office, (int) json_integer_value (json_object_get (e, "seq")),
                          s_str (e, "message_id"), s_str (e, "msg_type"),
                          s_str (e, "from_state") ? s_str (e, "from_state") : "",
                          s_str (e, "to_state"), s_str (e, "at_office"),
                          json_integer_value (json_object_get (e, "at_ms")),
                          s_str (e, "officer") ? s_str (e, "officer") : "",
                          s_bytea_hex (e, "body_hash"), s_bytea_hex (e, "sig_hash"),
                          hv ? (int) json_integer_value (hv) : 1 };
        snprintf (what, sizeof what, "%s at %s, event %d", mrn, office, ev.seq);
        if (ev.seq != (int) i + 1 || !ev.message_id || !ev.msg_type || !ev.to_state
            || !ev.at_office) {
            s_problem (x, "movement %s: %s", what, "event missing, out of order or incomplete");
            return;
        }
        if (s_hash (json_object_get (e, "prev_hash"), got) != 0
            || s_hash (json_object_get (e, "hash"), want) != 0
            || memcmp (got, prev, LC_HASH_LEN) != 0) {
            s_problem (x, "movement %s: %s", what,
                       "its previous hash does not match the event before (changed, removed or inserted)");
            return;
        }
        if (lc_event_hash (prev, &ev, h) != SG_OK || memcmp (h, want, LC_HASH_LEN) != 0) {
            s_problem (x, "movement %s: %s", what, "its content does not match its hash (altered)");
            return;
        }
        memcpy (prev, want, LC_HASH_LEN);
    }
    unsigned char head[LC_HASH_LEN];
    json_int_t n = json_integer_value (json_object_get (v, "events"));
    if ((size_t) n != json_array_size (evs))
        s_problem (x, "movement %s at %s: the view records a different number of events than "
                   "the archive holds (events removed or added)", mrn, office);
    else if (n && (s_hash (json_object_get (v, "last_hash"), head) != 0
                   || memcmp (head, prev, LC_HASH_LEN) != 0))
        s_problem (x, "movement %s at %s: the last event's hash does not match the chain head",
                   mrn, office);
}

static void
s_movement (s_ctx_t *x, json_t *m)
{
    const char *mrn = s_str (m, "mrn");
    json_t *views = json_object_get (m, "views");
    x->st->movements++;
    if (!mrn || !json_is_array (views) || json_array_size (views) == 0) {
        s_problem (x, "movement %s: no views%s", mrn, "");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach (views, i, v) {
        const char *vm = s_str (v, "mrn");
        if (!vm || strcmp (vm, mrn) != 0)
            s_problem (x, "movement %s: a view of another movement (%s) is filed under it", mrn, vm);
        else
            s_view (x, mrn, v);
    }
}

/* Checks the last line: record count, digest, and the node's signature. */
static void
s_end (s_ctx_t *x, json_t *end, const char *node, const unsigned char sha[32])
{
    char hex[65], text[256];
    for (int i = 0; i < 32; i++)
        snprintf (hex + 2 * i, 3, "%02x", sha[i]);
    const char *said = s_str (end, "sha256");
    long records = (long) json_integer_value (json_object_get (end, "records"));
    unsigned char *sig = NULL;
    size_t sl = 0;
    if (records != x->line - 1)
        s_problem (x, "the archive says %s records but holds %s (lines removed or added)", "its",
                   "another number");
    else if (!said || strcmp (said, hex) != 0)
        s_problem (x, "the digest of the lines does not match the one the node signed (%s, %s)",
                   said, hex);
    else if (s_b64 (json_object_get (end, "signature"), &sig, &sl) != 0 || !sig)
        s_problem (x, "no signature on the archive (%s%s)", node, "");
    else {
        const peerkeys_t *k = s_keys (x, node);
        sg_diag_t d;
        retention_signed_text (text, sizeof text, node, records, hex);
        if (!k)
            s_problem (x, "no public key for node %s, which signed the archive (give --keys DIR "
                       "with %s.sign.pub, or --db)", node, node);
        else if (peerkeys_verify (k, node, NULL, -1, text, strlen (text), NULL, 0, sig, sl, &d)
                 != SG_OK)
            s_problem (x, "the archive's signature does not verify against node %s's keys%s",
                       node, "");
    }
    free (sig);
}

int
retention_verify (const char *path, const retention_keys_t *keys, FILE *out,
                  retention_verify_t *stats, sg_diag_t *diag)
{
    memset (stats, 0, sizeof *stats);
    s_ctx_t x = { .src = keys, .out = out, .st = stats };
    sg_archive_reader_t *rd = sg_archive_reader_new (path, diag);
    if (!rd)
        return SG_EIO;
    EVP_MD_CTX *md = EVP_MD_CTX_new ();
    int rc = SG_OK, ended = 0, got;
    char node[64] = "";
    const char *line;
    size_t len;
    if (!md || !EVP_DigestInit_ex (md, EVP_sha256 (), NULL)) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    while ((got = sg_archive_read (rd, &line, &len, diag)) == 1) {
        x.line++;
        json_error_t je;
        json_t *j = json_loadb (line, len, 0, &je);
        const char *kind = j ? s_str (j, "kind") : NULL;
        if (ended)
            s_problem (&x, "a line after the end line (%s%s)", kind, "");
        else if (!kind)
            s_problem (&x, "not a JSON record with a kind (%s%s)", je.text, "");
        else if (x.line == 1) {
            const char *n = s_str (j, "node");
            if (strcmp (kind, "archive") != 0 || !n || strlen (n) >= sizeof node) {
                json_decref (j);
                rc = sg_diag_set (diag, SG_EINVAL, 1, 0, "%s is not a sigmat archive", path);
                goto done;
            }
            snprintf (node, sizeof node, "%s", n);
        }
        else if (strcmp (kind, "end") == 0) {
            unsigned char sha[32];
            unsigned int n = 0;
            EVP_DigestFinal_ex (md, sha, &n);
            s_end (&x, j, node, sha);
            ended = 1;
        }
        else if (strcmp (kind, "message") == 0)
            s_message (&x, j);
        else if (strcmp (kind, "movement") == 0)
            s_movement (&x, j);
        else
            s_problem (&x, "unknown record kind %s%s", kind, "");
        if (!ended && (!EVP_DigestUpdate (md, line, len) || !EVP_DigestUpdate (md, "\n", 1)))
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot hash");
        json_decref (j);
    }
    if (got < 0) {
        rc = diag ? diag->code : SG_EIO;
        goto done;
    }
    if (x.line == 0) {
        rc = sg_diag_set (diag, SG_EINVAL, 0, 0, "%s is empty", path);
        goto done;
    }
    if (!ended) {
        x.line++;
        s_problem (&x, "the archive has no end line: it was cut short%s%s", "", "");
    }
    if (rc == SG_OK && stats->problems)
        rc = SG_ESIG;
done:
    for (size_t i = 0; i < x.nkeys; i++)
        peerkeys_destroy (&x.keys[i].keys);
    EVP_MD_CTX_free (md);
    sg_archive_reader_destroy (&rd);
    return rc;
}
