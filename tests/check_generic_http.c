/* check_generic_http.c - sigmat-generic over real HTTP: every API route
 * (libcurl as the national system) with its exact answers, and webhook
 * delivery to tests/generic/receiver.py while it is down, then answering
 * 500 to every third request. */
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "generic/gentest.h"
#include "gen_adapter.h"
#include "gen_conf.h"
#include "header.h"
#include "ident.h"

typedef struct {
    long status;
    char *body;
    size_t len;
    char headers[4096];
    json_t *json;
} s_resp_t;

static size_t
s_body_cb (char *p, size_t size, size_t n, void *arg)
{
    s_resp_t *r = arg;
    r->body = realloc (r->body, r->len + size * n + 1);
    memcpy (r->body + r->len, p, size * n);
    r->len += size * n;
    r->body[r->len] = 0;
    return size * n;
}

static size_t
s_head_cb (char *p, size_t size, size_t n, void *arg)
{
    s_resp_t *r = arg;
    size_t have = strlen (r->headers);
    if (have + size * n < sizeof r->headers)
        memcpy (r->headers + have, p, size * n), r->headers[have + size * n] = 0;
    return size * n;
}

static void
s_resp_clear (s_resp_t *r)
{
    free (r->body);
    json_decref (r->json);
    memset (r, 0, sizeof *r);
}

/* One request; fills r (cleared first). */
static void
s_http (int port, const char *method, const char *path, const char *token, const char *ctype,
        const char *body, size_t len, const char *idem, s_resp_t *r)
{
    char url[512], line[256];
    struct curl_slist *h = NULL;
    s_resp_clear (r);
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init ();
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, method);
    if (token) {
        snprintf (line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append (h, line);
    }
    if (ctype) {
        snprintf (line, sizeof line, "Content-Type: %s", ctype);
        h = curl_slist_append (h, line);
    }
    if (idem) {
        snprintf (line, sizeof line, "Idempotency-Key: %s", idem);
        h = curl_slist_append (h, line);
    }
    h = curl_slist_append (h, "Expect:");
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    }
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_body_cb);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, s_head_cb);
    curl_easy_setopt (c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt (c, CURLOPT_TIMEOUT, 10L);
    CURLcode cc = curl_easy_perform (c);
    ck_assert_msg (cc == CURLE_OK || cc == CURLE_SEND_ERROR, "%s %s: %s", method, path,
                   curl_easy_strerror (cc));
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup (c);
    curl_slist_free_all (h);
    r->json = r->body ? json_loads (r->body, 0, NULL) : NULL;
}

static void
s_post_json (int port, const char *path, const char *token, json_t *j, const char *idem,
             s_resp_t *r)
{
    char *text = json_dumps (j, JSON_COMPACT);
    s_http (port, "POST", path, token, "application/json", text, strlen (text), idem, r);
    free (text);
}

/* The answer is exactly this problem (with Content-Type application/problem+json). */
static void
s_problem (const s_resp_t *r, long status, const char *name, const char *detail,
           const char *field)
{
    ck_assert_msg (r->status == status, "status %ld, expected %ld: %s", r->status, status,
                   r->body ? r->body : "");
    ck_assert_msg (strstr (r->headers, "Content-Type: application/problem+json"), "%s", r->headers);
    json_t *want = json_pack ("{s:s+, s:i, s:s}", "type", "urn:sigmat:problem:", name,
                              "status", (int) status, "detail", detail);
    if (field)
        json_object_set_new (want, "field", json_string (field));
    json_t *got = json_deep_copy (r->json);
    ck_assert_msg (got != NULL, "not JSON: %s", r->body);
    ck_assert (json_is_string (json_object_get (got, "title")));
    json_object_del (got, "title");
    char *a = json_dumps (got, JSON_SORT_KEYS), *b = json_dumps (want, JSON_SORT_KEYS);
    ck_assert_str_eq (a, b);
    free (a);
    free (b);
    json_decref (want);
    json_decref (got);
}

static const char *
s_str (const s_resp_t *r, const char *key)
{
    const char *v = json_string_value (json_object_get (r->json, key));
    ck_assert_msg (v != NULL, "no %s in %s", key, r->body ? r->body : "");
    return v;
}

/* sql prepared on the state file db, opened read-only in *h (finalize the
 * statement, then close *h). */
static sqlite3_stmt *
s_query (const char *db, const char *sql, sqlite3 **h)
{
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq (sqlite3_open_v2 (db, h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq (sqlite3_prepare_v2 (*h, sql, -1, &st, NULL), SQLITE_OK);
    return st;
}

static long long
s_sql (const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = s_query (db, sql, &h);
    long long v = -1;
    if (sqlite3_step (st) == SQLITE_ROW)
        v = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (h);
    return v;
}

/* The first value of sql on the state file db as text ("" if none). */
static void
s_sql_text (const char *db, const char *sql, char *out, size_t size)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = s_query (db, sql, &h);
    const unsigned char *v = sqlite3_step (st) == SQLITE_ROW ? sqlite3_column_text (st, 0) : NULL;
    sg_strlcpy (out, v ? (const char *) v : "", size);
    sqlite3_finalize (st);
    sqlite3_close (h);
}

/* Delivers m as the node would (header + canonical body); diag may be NULL. */
static int
s_deliver_diag (gen_adapter_t *a, const sg_msg_t *m, sg_diag_t *diag)
{
    char *body = NULL, *hdr = NULL;
    size_t blen, hlen;
    sg_diag_t d;
    ck_assert_msg (sg_msg_serialize (m, &body, &blen, &d) == SG_OK, "%s", d.text);
    sg_header_fields_t f = { .id = m->id, .type = sg_msg_type_name (m->type), .mrn = m->mrn,
                             .sender = m->sender, .recipient = m->recipient, .origin = "CI" };
    ck_assert_int_eq (sg_header_build (&f, &hdr, &hlen), SG_OK);
    int rc = gen_adapter_deliver (a, hdr, hlen, body, blen, diag ? diag : &d);
    free (hdr);
    free (body);
    return rc;
}

static int
s_deliver (gen_adapter_t *a, const sg_msg_t *m)
{
    return s_deliver_diag (a, m, NULL);
}

static gen_adapter_t *
s_adapter (gen_conf_t *c, const char *name, const char *extra)
{
    char path[400];
    sg_diag_t d;
    snprintf (path, sizeof path, "%s/%s.conf", g_tmp, name);
    FILE *f = fopen (path, "w");
    char hex[65];
    gen_sha256_hex (BF_TOKEN, strlen (BF_TOKEN), hex);
    fprintf (f, "name test-%s\nnode_endpoint tcp://127.0.0.1:1\nhttp_listen 127.0.0.1:0\n"
                "state_db %s/%s.db\nhttp_max_body 64k\nlog_level error\n"
                "http_token ci-portal %s CI\nhttp_token bf-portal sha256:%s BF000101,BF000201\n"
                "http_token xi-portal %s XI\n%s", name, g_tmp, name, CI_TOKEN, hex, XI_TOKEN,
             extra ? extra : "");
    fclose (f);
    memset (c, 0, sizeof *c);
    ck_assert_int_eq (gen_conf_defaults (c, &d), SG_OK);
    ck_assert_msg (gen_conf_load (c, path, &d) == SG_OK, "%s", d.text);
    ck_assert_msg (gen_conf_check (c, path, &d) == SG_OK, "%s", d.text);
    gen_adapter_t *a = gen_adapter_new (c, &d);
    ck_assert_msg (a != NULL, "%s", d.text);
    return a;
}

START_TEST (test_api_routes)
{
    gen_conf_t conf;
    char extra[3000], db[400], path[1400], *text;
    snprintf (extra, sizeof extra,
              "xml_input_xslt %s/adapters/generic/xslt/cc015c-to-dec.xsl\n"
              "xslt_param default-origin-country BG\n%s%s%s", g_src,
              g_have_ref ? "xml_input_schema " : "", g_have_ref ? g_ref : "",
              g_have_ref ? "/ncts/xsd/cc015c.xsd\n" : "");
    gen_adapter_t *a = s_adapter (&conf, "api", extra);
    int port = gen_adapter_port (a);
    snprintf (db, sizeof db, "%s/api.db", g_tmp);
    s_resp_t r;
    memset (&r, 0, sizeof r);
    const char *mrn = "26CI000101000123J8";

    /* health, no token needed */
    s_http (port, "GET", "/v1/health", NULL, NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq (r.status, 200);
    ck_assert_str_eq (s_str (&r, "status"), "ok");

    /* a declaration with its MRN */
    snprintf (path, sizeof path, "%s/tests/generic/dec.json", g_src);
    json_t *dec = json_load_file (path, 0, NULL);
    json_object_set_new (dec, "DeclarationID", json_string (mrn));
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, NULL, &r);
    ck_assert_msg (r.status == 201, "%s", r.body);
    ck_assert_str_eq (s_str (&r, "Type"), "DEC");
    ck_assert_str_eq (s_str (&r, "DeclarationID"), mrn);
    ck_assert_str_eq (s_str (&r, "State"), "REGISTERED");
    ck_assert_str_eq (s_str (&r, "NodeStatus"), "queued");
    ck_assert (sg_msgid_check (s_str (&r, "MessageID")));
    ck_assert (strstr (r.headers, "Location: /v1/movements/26CI000101000123J8"));
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, NULL, &r);
    s_problem (&r, 409, "conflict", "movement 26CI000101000123J8 is already known",
               "/DeclarationID");

    /* idempotency: replayed, stored once; the same key for another body is refused */
    json_object_del (dec, "DeclarationID");
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, "order-77", &r);
    ck_assert_int_eq (r.status, 201);
    char *first = strdup (r.body);
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, "order-77", &r);
    ck_assert_int_eq (r.status, 201);
    ck_assert_str_eq (r.body, first);
    ck_assert (strstr (r.headers, "Idempotent-Replayed: true"));
    free (first);
    ck_assert_int_eq (s_sql (db, "SELECT count(*) FROM out_msg WHERE type = 'DEC'"), 2);
    json_object_set_new (json_object_get (dec, "Declaration"), "FunctionalReferenceID",
                         json_string ("OTHER-LRN"));
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, "order-77", &r);
    s_problem (&r, 422, "idempotency-key-reused",
               "this Idempotency-Key was used for a different request", NULL);
    json_decref (dec);

    /* bad JSON, missing field, bad field, wrong office, too large, media type */
    s_http (port, "POST", "/v1/declarations", CI_TOKEN, "application/json", "{\"Declaration\": ",
            16, NULL, &r);
    s_problem (&r, 400, "invalid-json", "line 1, column 16: unexpected token near end of file", NULL);
    dec = json_load_file (path, 0, NULL);
    json_object_del (json_object_get (dec, "Declaration"), "Principal");
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, NULL, &r);
    s_problem (&r, 422, "validation", "/Declaration/Principal is required", "/Declaration/Principal");
    json_decref (dec);
    dec = json_load_file (path, 0, NULL);
    json_object_set_new (json_object_get (json_object_get (json_array_get (json_object_get (
        json_object_get (json_object_get (json_object_get (dec, "Declaration"), "GoodsShipment"),
                         "Consignment"), "ConsignmentItem"), 2), "Commodity"), "Classification"),
                         "ID", json_string ("12AB"));
    s_post_json (port, "/v1/declarations", CI_TOKEN, dec, NULL, &r);
    s_problem (&r, 422, "validation",
               "/Declaration/GoodsShipment/Consignment/ConsignmentItem/2/Commodity/Classification/ID"
               " \"12AB\" is not an HS code of 6 to 8 digits",
               "/Declaration/GoodsShipment/Consignment/ConsignmentItem/2/Commodity/Classification/ID");
    json_decref (dec);
    dec = json_load_file (path, 0, NULL);
    s_post_json (port, "/v1/declarations", BF_TOKEN, dec, NULL, &r);
    s_problem (&r, 403, "forbidden-office", "this token may not act for office CI000101",
               "/Declaration/DepartureCustomsOffice/ID");
    s_post_json (port, "/v1/declarations", "not-a-known-token-at-all", dec, NULL, &r);
    s_problem (&r, 401, "unauthorized", "send Authorization: Bearer <token>", NULL);
    ck_assert (strstr (r.headers, "WWW-Authenticate: Bearer realm=\"sigmat\""));
    json_decref (dec);
    text = calloc (1, 70000);
    memset (text, ' ', 69999);
    s_http (port, "POST", "/v1/declarations", CI_TOKEN, "application/json", text, 69999, NULL, &r);
    s_problem (&r, 413, "payload-too-large", "the body must not exceed 65536 bytes", NULL);
    free (text);
    s_http (port, "POST", "/v1/declarations", CI_TOKEN, "text/plain", "x", 1, NULL, &r);
    s_problem (&r, 415, "unsupported-media-type", "send application/json or application/xml",
               NULL);

    /* routes and methods */
    s_http (port, "GET", "/v1/nothing", CI_TOKEN, NULL, NULL, 0, NULL, &r);
    s_problem (&r, 404, "not-found", "no such route", NULL);
    s_http (port, "DELETE", "/v1/declarations", CI_TOKEN, NULL, NULL, 0, NULL, &r);
    s_problem (&r, 405, "method-not-allowed", "DELETE is not allowed here (allowed: POST)", NULL);
    ck_assert (strstr (r.headers, "Allow: POST"));

    /* unknown MRN */
    char unknown[MRN_LEN + 1], upath[128];
    sg_mrn_new_ex ("CI", 26, 'J', "000101000999", unknown);
    snprintf (upath, sizeof upath, "/v1/movements/%s/crossing", unknown);
    s_http (port, "POST", upath, BF_TOKEN, "application/json", "{}", 2, NULL, &r);
    char detail[200];
    snprintf (detail, sizeof detail, "no movement %s is known here", unknown);
    s_problem (&r, 404, "unknown-mrn", detail, NULL);
    snprintf (upath, sizeof upath, "/v1/movements/%s", unknown);
    s_http (port, "GET", upath, CI_TOKEN, NULL, NULL, 0, NULL, &r);
    snprintf (detail, sizeof detail, "no movement %s at the offices of this token", unknown);
    s_problem (&r, 404, "unknown-mrn", detail, NULL);

    /* release */
    const char *rel = "/v1/movements/26CI000101000123J8/release";
    s_http (port, "POST", rel, CI_TOKEN, "application/json", "{\"ReleaseDate\":\"2026-03-09\"}",
            28, NULL, &r);
    s_problem (&r, 422, "validation", "/ReleaseDate 2026-03-09 is after the time limit 2026-03-08",
               "/ReleaseDate");
    s_http (port, "POST", rel, BF_TOKEN, "application/json", "{}", 2, NULL, &r);
    s_problem (&r, 403, "forbidden-office", "this token may not act for office CI000101", NULL);
    s_http (port, "POST", rel, CI_TOKEN, "application/json", "{\"ReleaseDate\":\"2026-03-02\"}",
            28, NULL, &r);
    ck_assert_msg (r.status == 202, "%s", r.body);
    ck_assert_str_eq (s_str (&r, "Type"), "REL");
    ck_assert_str_eq (s_str (&r, "State"), "RELEASED");
    s_http (port, "POST", rel, CI_TOKEN, "application/json", "{\"ReleaseDate\":\"2026-03-02\"}",
            28, NULL, &r);
    s_problem (&r, 409, "conflict", "movement 26CI000101000123J8 is RELEASED", NULL);

    /* the node's AAR and ATR for the BF offices; what BF expects */
    sg_msg_t *aar = gt_example ("aar.xml"), *atr = gt_example ("atr.xml");
    ck_assert_int_eq (s_deliver (a, aar), SG_OK);
    ck_assert_int_eq (s_deliver (a, aar), SG_OK);           /* a redelivery: queued once */
    ck_assert_int_eq (s_deliver (a, atr), SG_OK);
    ck_assert_int_eq (s_sql (db, "SELECT count(*) FROM hook"), 2);
    sg_msg_destroy (&aar);
    sg_msg_destroy (&atr);
    s_http (port, "GET", "/v1/offices/BF000101/movements", BF_TOKEN, NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq (r.status, 200);
    json_t *mv = json_object_get (r.json, "Movements");
    ck_assert_uint_eq (json_array_size (mv), 1);
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (mv, 0), "DeclarationID")), mrn);
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (mv, 0), "Role")), "DESTINATION");
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (mv, 0), "State")), "ANTICIPATED");
    s_http (port, "GET", "/v1/offices/CI000101/movements", BF_TOKEN, NULL, NULL, 0, NULL, &r);
    s_problem (&r, 403, "forbidden-office", "this token may not act for office CI000101", NULL);
    s_http (port, "GET", "/v1/offices/BF000101/movements?state=LOST", BF_TOKEN, NULL, NULL, 0, NULL, &r);
    s_problem (&r, 422, "validation", "state \"LOST\" is not a movement state or \"any\"", "?state");

    /* the border: crossing, arrival, control, incident */
    const char *base = "/v1/movements/26CI000101000123J8";
    struct {
        const char *action, *token, *body;
        long status;
        const char *type, *state, *name, *detail, *field;
    } ev[] = {
        { "crossing", BF_TOKEN, "{\"TransitCustomsOffice\":{\"ID\":\"CI000401\"}}", 403, NULL, NULL,
          "forbidden-office", "this token may not act for office CI000401", "/TransitCustomsOffice/ID" },
        { "crossing", BF_TOKEN, "{\"CrossingDateTime\":\"2026-03-05T16:20:00Z\"}", 422, NULL, NULL,
          "validation", "/TransitCustomsOffice is required", "/TransitCustomsOffice" },
        { "crossing", BF_TOKEN, "{\"TransitCustomsOffice\":{\"ID\":\"BF000201\"},"
          "\"CrossingDateTime\":\"2026-03-05T16:20:00Z\"}", 202, "NCF", "CROSSED", NULL, NULL, NULL },
        { "arrival", BF_TOKEN, "{\"ArrivalCustomsOffice\":{\"ID\":\"BF000101\"}}", 422, NULL, NULL,
          "validation", "/GoodsLocation is required", "/GoodsLocation" },
        { "arrival", BF_TOKEN, "{\"ArrivalCustomsOffice\":{\"ID\":\"BF000101\"},\"GoodsLocation\":"
          "{\"Name\":\"Ouaga Inter\"}}", 202, "ARR", "ARRIVED", NULL, NULL, NULL },
        { "control", BF_TOKEN, "{\"ControlCustomsOffice\":{\"ID\":\"BF000101\"},\"ControlResultCode\":"
          "\"B1\",\"SealsIntactIndicator\":false}", 422, NULL, NULL, "validation",
          "/DiscrepanciesDescription is required with ControlResultCode B1", "/DiscrepanciesDescription" },
        { "control", BF_TOKEN, "{\"ControlCustomsOffice\":{\"ID\":\"BF000101\"},\"ControlResultCode\":"
          "\"A1\",\"SealsIntactIndicator\":true}", 202, "DCR", "CONTROLLED", NULL, NULL, NULL },
        { "incident", BF_TOKEN, "{\"IncidentCustomsOffice\":{\"ID\":\"BF000201\"},\"IncidentTypeCode\":"
          "\"SB\",\"IncidentText\":\"seal 2 broken\",\"NewSeal\":[{\"ID\":\"BF-77\"}]}", 202, "INC",
          NULL, NULL, NULL, NULL },
        { "cancellation", CI_TOKEN, "{\"ReasonText\":\"duplicate\"}", 202, "CAN", "CANCELLED",
          NULL, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
        char p[200];
        snprintf (p, sizeof p, "%s/%s", base, ev[i].action);
        s_http (port, "POST", p, ev[i].token, "application/json", ev[i].body, strlen (ev[i].body),
                NULL, &r);
        if (ev[i].status != 202) {
            s_problem (&r, ev[i].status, ev[i].name, ev[i].detail, ev[i].field);
            continue;
        }
        ck_assert_msg (r.status == 202, "%s: %s", ev[i].action, r.body);
        ck_assert_str_eq (s_str (&r, "Type"), ev[i].type);
        ck_assert_str_eq (s_str (&r, "RecipientOfficeID"), "CI000101");
        if (ev[i].state)
            ck_assert_str_eq (s_str (&r, "State"), ev[i].state);
    }

    /* state and history, filtered by the token's offices */
    s_http (port, "GET", base, BF_TOKEN, NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq (r.status, 200);
    json_t *views = json_object_get (r.json, "Views");
    ck_assert_uint_eq (json_array_size (views), 2);
    s_http (port, "GET", base, CI_TOKEN, NULL, NULL, 0, NULL, &r);
    views = json_object_get (r.json, "Views");
    ck_assert_uint_eq (json_array_size (views), 1);
    json_t *v = json_array_get (views, 0);
    ck_assert_str_eq (json_string_value (json_object_get (v, "State")), "CANCELLED");
    json_t *hist = json_object_get (v, "History");
    ck_assert_uint_eq (json_array_size (hist), 3);          /* DEC REL CAN */
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (hist, 1), "Type")), "REL");

    /* every message for the node is a valid sigmat message */
    ck_assert_int_eq (s_sql (db, "SELECT count(*) FROM out_msg"), 8);   /* DEC x2 REL NCF ARR DCR INC CAN */

    /* XML input through cc015c-to-dec.xsl */
    if (g_have_ref) {
        size_t len;
        snprintf (path, sizeof path, "%s/ncts/cc015c-valid-2.xml", g_ref);
        text = gt_read (path, &len);
        s_http (port, "POST", "/v1/declarations", CI_TOKEN, "application/xml", text, len, NULL, &r);
        s_problem (&r, 403, "forbidden-office", "this token may not act for office XI000081",
                   "/Declaration/DepartureCustomsOffice/ID");
        s_http (port, "POST", "/v1/declarations", XI_TOKEN, "application/xml", text, len, NULL, &r);
        ck_assert_msg (r.status == 201, "%s", r.body);
        ck_assert_str_eq (s_str (&r, "SenderOfficeID"), "XI000081");
        free (text);
        snprintf (path, sizeof path, "%s/ncts/cc015c-valid.xml", g_ref);
        text = gt_read (path, &len);
        s_http (port, "POST", "/v1/declarations", XI_TOKEN, "application/xml", text, len, NULL, &r);
        s_problem (&r, 422, "mapping", "CC015C: TransitOperation/declarationType \"gJ\" has no "
                   "sigmat TypeCode (T1, T2, T2F, TIR)", NULL);
        free (text);
        s_http (port, "POST", "/v1/declarations", XI_TOKEN, "application/xml", "<a><b></a>", 10,
                NULL, &r);
        ck_assert_int_eq (r.status, 400);
        ck_assert_str_eq (s_str (&r, "type"), "urn:sigmat:problem:invalid-xml");
        ck_assert_int_eq (json_integer_value (json_object_get (r.json, "line")), 1);
    }
    s_resp_clear (&r);
    gen_adapter_destroy (&a);
    gen_conf_free (&conf);
}
END_TEST

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t n = sizeof sa;
    ck_assert_int_eq (bind (fd, (struct sockaddr *) &sa, sizeof sa), 0);
    getsockname (fd, (struct sockaddr *) &sa, &n);
    close (fd);
    return ntohs (sa.sin_port);
}

static pid_t
s_receiver (int port, const char *log, const char *secret, const char *fail_every)
{
    char script[1200], ps[16];
    snprintf (script, sizeof script, "%s/tests/generic/receiver.py", g_src);
    snprintf (ps, sizeof ps, "%d", port);
    pid_t pid = fork ();
    if (pid == 0) {
        execl ("/usr/bin/python3", "python3", script, "--log", log, "--secret-file", secret,
               "--port", ps, "--fail-every", fail_every, (char *) NULL);
        _exit (127);
    }
    return pid;
}

START_TEST (test_webhook_delivery)
{
    char secret[400], log[400], extra[800];
    snprintf (secret, sizeof secret, "%s/hook.secret", g_tmp);
    snprintf (log, sizeof log, "%s/hook.log", g_tmp);
    FILE *f = fopen (secret, "w");
    fprintf (f, "%s\n", SECRET);
    fclose (f);
    int port = s_free_port ();
    snprintf (extra, sizeof extra, "webhook_url http://127.0.0.1:%d/sigmat\nwebhook_secret_file %s\n"
              "webhook_retry_min 100ms\nwebhook_retry_max 400ms\nwebhook_timeout 2s\n", port, secret);
    gen_conf_t conf;
    gen_adapter_t *a = s_adapter (&conf, "hook", extra);

    /* 4 MRNs x 5 messages, interleaved, while the receiver is down */
    enum { NM = 4, NPER = 5 };
    char ids[NM][NPER][37], mrns[NM][19];
    sg_msg_t *m = gt_example ("enq.xml");
    for (int k = 0; k < NPER; k++)
        for (int j = 0; j < NM; j++) {
            char serial[13];
            snprintf (serial, sizeof serial, "0001010009%02d", j);
            sg_mrn_new_ex ("CI", 26, 'J', serial, mrns[j]);
            memcpy (m->mrn, mrns[j], sizeof m->mrn);
            sg_msgid_new (m->id);
            memcpy (ids[j][k], m->id, 37);
            ck_assert_int_eq (s_deliver (a, m), SG_OK);
        }
    ck_assert_int_eq (s_deliver (a, m), SG_OK);     /* the last one again: not queued twice */
    sg_msg_destroy (&m);
    usleep (600 * 1000);
    char db[400];
    snprintf (db, sizeof db, "%s/hook.db", g_tmp);
    ck_assert_int_eq (s_sql (db, "SELECT count(*) FROM hook WHERE state = 'pending'"), NM * NPER);
    ck_assert_int_ge (s_sql (db, "SELECT max(attempts) FROM hook"), 2);

    /* up, answering 500 to every third request */
    pid_t rx = s_receiver (port, log, secret, "3");
    int done = 0;
    for (int i = 0; i < 300 && !done; i++) {
        usleep (50 * 1000);
        done = s_sql (db, "SELECT count(*) FROM hook WHERE state = 'delivered'") == NM * NPER;
    }
    kill (rx, SIGTERM);
    waitpid (rx, NULL, 0);
    ck_assert_msg (done, "not every webhook was delivered");

    /* every message once (answered 200), in order per MRN, validly signed */
    FILE *in = fopen (log, "r");
    char line[8192];
    int seen[NM] = { 0 }, ok = 0, failed = 0;
    while (fgets (line, sizeof line, in)) {
        json_t *rec = json_loads (line, 0, NULL);
        ck_assert (rec != NULL);
        ck_assert_msg (json_is_true (json_object_get (rec, "valid")), "bad signature: %s", line);
        ck_assert_str_eq (json_string_value (json_object_get (rec, "content_type")), "application/json");
        const char *id = json_string_value (json_object_get (rec, "id"));
        const char *mrn = json_string_value (json_object_get (rec, "mrn"));
        json_t *body = json_loads (json_string_value (json_object_get (rec, "body")), 0, NULL);
        ck_assert_str_eq (json_string_value (json_object_get (body, "MessageID")), id);
        ck_assert_str_eq (json_string_value (json_object_get (body, "Type")), "ENQ");
        ck_assert_str_eq (json_string_value (json_object_get (body, "OriginNode")), "CI");
        int j = 0;
        while (j < NM && strcmp (mrns[j], mrn))
            j++;
        ck_assert_int_lt (j, NM);
        ck_assert_msg (seen[j] < NPER && !strcmp (ids[j][seen[j]], id),
                       "MRN %s: got %s out of order", mrn, id);
        if (json_integer_value (json_object_get (rec, "status")) == 200)
            seen[j]++, ok++;
        else
            failed++;
        json_decref (body);
        json_decref (rec);
    }
    fclose (in);
    ck_assert_int_eq (ok, NM * NPER);
    ck_assert_int_ge (failed, NM * NPER / 3);       /* and each 500 was retried */
    gen_adapter_destroy (&a);
    gen_conf_free (&conf);
}
END_TEST

/* webhook_format xml: the AAR goes out as the CC001C-like record. */
START_TEST (test_webhook_xml)
{
    char extra[1200], db[400], path[1200];
    snprintf (extra, sizeof extra, "webhook_format xml\nwebhook_xslt AAR %s/adapters/generic/xslt/"
              "aar-to-cc001c.xsl\n", g_src);
    gen_conf_t conf;
    gen_adapter_t *a = s_adapter (&conf, "xmlout", extra);
    sg_msg_t *aar = gt_example ("aar.xml"), *wof = gt_example ("wof.xml");
    ck_assert_int_eq (s_deliver (a, aar), SG_OK);
    ck_assert_int_eq (s_deliver (a, wof), SG_OK);
    gen_adapter_destroy (&a);
    snprintf (db, sizeof db, "%s/xmlout.db", g_tmp);
    sqlite3 *h;
    sqlite3_stmt *st = s_query (db, "SELECT type, content_type, payload FROM hook ORDER BY seq",
                                &h);
    ck_assert_int_eq (sqlite3_step (st), SQLITE_ROW);
    ck_assert_str_eq ((const char *) sqlite3_column_text (st, 0), "AAR");
    ck_assert_str_eq ((const char *) sqlite3_column_text (st, 1), "application/xml");
    snprintf (path, sizeof path, "%s/tests/generic/aar-cc001c.xml", g_src);
    char *want = gt_read (path, NULL);
    ck_assert_str_eq ((const char *) sqlite3_column_text (st, 2), want);
    free (want);
    ck_assert_int_eq (sqlite3_step (st), SQLITE_ROW);       /* WOF: no stylesheet, sigmat XML */
    ck_assert (strstr ((const char *) sqlite3_column_text (st, 2), "<WOF xmlns=\"urn:sigmat:mip:transit:1\">"));
    sqlite3_finalize (st);
    sqlite3_close (h);
    sg_msg_destroy (&aar);
    sg_msg_destroy (&wof);
    gen_conf_free (&conf);
}
END_TEST

/* A stylesheet that fails on a message: the delivery is refused for good
 * (NAK 107 with the reason, so the link NAKs it), no webhook queued; the
 * other types still flow. */
START_TEST (test_webhook_xslt_fails)
{
    char extra[1500], xsl[600], db[400];
    snprintf (xsl, sizeof xsl, "%s/fails.xsl", g_tmp);
    FILE *f = fopen (xsl, "w");
    ck_assert_ptr_nonnull (f);
    fputs ("<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
           "<xsl:template match=\"/\"><xsl:message terminate=\"yes\">no mapping for this "
           "office</xsl:message></xsl:template></xsl:stylesheet>\n", f);
    fclose (f);
    snprintf (extra, sizeof extra, "webhook_format xml\nwebhook_xslt WOF %s\n", xsl);
    gen_conf_t conf;
    gen_adapter_t *a = s_adapter (&conf, "xslfail", extra);
    sg_msg_t *aar = gt_example ("aar.xml"), *wof = gt_example ("wof.xml");
    sg_diag_t d;
    sg_diag_clear (&d);
    ck_assert_int_eq (s_deliver (a, aar), SG_OK);
    ck_assert_int_ne (s_deliver_diag (a, wof, &d), SG_OK);
    ck_assert_int_eq (d.nak, SG_NAK_UNDELIVERABLE);
    ck_assert_msg (strstr (d.text, "cannot make the webhook of WOF"), "%s", d.text);
    gen_adapter_destroy (&a);
    snprintf (db, sizeof db, "%s/xslfail.db", g_tmp);
    char types[64];
    s_sql_text (db, "SELECT group_concat(type) FROM hook", types, sizeof types);
    ck_assert_str_eq (types, "AAR");
    sg_msg_destroy (&aar);
    sg_msg_destroy (&wof);
    gen_conf_free (&conf);
}
END_TEST

void
gt_add_http (Suite *s)
{
    TCase *tc = tcase_create ("http");
    tcase_add_test (tc, test_api_routes);
    tcase_add_test (tc, test_webhook_delivery);
    tcase_add_test (tc, test_webhook_xml);
    tcase_add_test (tc, test_webhook_xslt_fails);
    tcase_set_timeout (tc, 60);
    suite_add_tcase (s, tc);
}
