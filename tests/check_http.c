/* check_http.c - unit tests for lib/http.c (the HTTP server helper of the
 * monitor and the adapters) and the node's HTTP client (monitor_fetch, the
 * one `sigmatctl top` uses): a real libmicrohttpd server on a loopback port
 * below the ephemeral range, real libcurl requests, and for https a real
 * certificate made by openssl. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "monitor/monitor.h"
#include "testutil.h"

#define S_TOKEN "s3cret-token-of-the-tests"
#define S_LIMIT 65536

static sg_http_server_t *g_srv;
static int g_port;

/* The test server: GET /json, /html, /problem, /bearer (token checked),
 * POST /echo (answers the SHA-256 of the body and its length). */
static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void) cls, (void) version;
    sg_http_req_t *q;
    switch (sg_http_step (con_cls, sizeof *q, S_LIMIT, upload, upload_size, &q)) {
    case SG_HTTP_NOMEM: return MHD_NO;
    case SG_HTTP_READY: break;
    default: return MHD_YES;
    }
    if (!strcmp (url, "/json"))
        return sg_http_json (c, 200, "{\"ok\":true}", NULL);
    if (!strcmp (url, "/html"))
        return sg_http_reply_static (c, 200, sg_http_mime ("index.html"), "<p>hi</p>", 9, NULL);
    if (!strcmp (url, "/problem")) {
        const char *const h[] = { "Allow", "GET", "X-Skipped", NULL, NULL };
        return sg_http_problem (c, 422, "validation", "Invalid", "the \"Office\" is wrong",
                                "/Office", 7, h);
    }
    if (!strcmp (url, "/bearer")) {
        if (!sg_http_token_eq (sg_http_bearer (c), S_TOKEN))
            return sg_http_problem (c, 401, "unauthorized", "Unauthorized", NULL, NULL, 0, NULL);
        return sg_http_text (c, 200, "welcome\n");
    }
    if (!strcmp (url, "/echo") && !strcmp (method, "POST")) {
        if (q->body.too_big)
            return sg_http_problem (c, 413, "payload-too-large", "Too large", NULL, NULL, 0,
                                    NULL);
        unsigned char md[32];
        unsigned int n = 0;
        EVP_Digest (sg_buf_text (&q->body), q->body.len, md, &n, EVP_sha256 (), NULL);
        char out[100];
        int k = snprintf (out, sizeof out, "%zu ", q->body.len);
        for (unsigned i = 0; i < 32; i++)
            k += snprintf (out + k, sizeof out - (size_t) k, "%02x", md[i]);
        return sg_http_text (c, 200, out);
    }
    return sg_http_text (c, 404, "not found\n");
}

/* Starts a server with sg_http_start on host (an address as the config
 * writes it, "127.0.0.1" or "[::1]") and a random free port in 10000-31999
 * (below Linux's ephemeral range); with cert and key files it speaks https. */
static sg_http_server_t *
s_start (const char *host, const char *cert, const char *key, int *port)
{
    for (int tries = 0; tries < 50; tries++) {
        unsigned char r[2];
        FILE *f = fopen ("/dev/urandom", "rb");
        ck_assert_ptr_nonnull (f);
        ck_assert_uint_eq (fread (r, 1, 2, f), 2);
        fclose (f);
        *port = 10000 + (r[0] << 8 | r[1]) % 22000;
        char spec[64];
        snprintf (spec, sizeof spec, "%s:%d", host, *port);
        sg_http_opts_t o = { .key = "http_listen", .listen = spec, .tls_cert = cert,
                             .tls_key = key, .handler = s_handler };
        sg_diag_t d;
        sg_http_server_t *srv = sg_http_start (&o, &d);
        if (srv) {
            ck_assert_uint_eq (sg_http_port (srv), (unsigned) *port);
            return srv;
        }
        ck_assert_msg (d.code == SG_EIO, "%s", d.text);     /* taken: try another */
    }
    ck_abort_msg ("no free port for the test server");
    return NULL;
}

static void
s_setup (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    g_srv = s_start ("127.0.0.1", NULL, NULL, &g_port);
}

static void
s_teardown (void)
{
    sg_http_stop (&g_srv);
    ck_assert_ptr_null (g_srv);
}

typedef struct {
    long status;
    sg_buf_t body, head;
} s_resp_t;

static size_t
s_collect (char *p, size_t size, size_t n, void *arg)
{
    sg_buf_put (arg, p, size * n);
    return size * n;
}

/* One request with an optional Authorization header and body. */
static void
s_req (const char *method, const char *path, const char *auth, const char *body, size_t len,
       s_resp_t *r)
{
    char url[256];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", g_port, path);
    memset (r, 0, sizeof *r);
    CURL *c = curl_easy_init ();
    struct curl_slist *h = curl_slist_append (NULL, "Expect:");
    if (auth)
        h = curl_slist_append (h, auth);
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    }
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, s_collect);
    curl_easy_setopt (c, CURLOPT_HEADERDATA, &r->head);
    curl_easy_setopt (c, CURLOPT_TIMEOUT, 20L);
    CURLcode cc = curl_easy_perform (c);
    ck_assert_msg (cc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror (cc));
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup (c);
    curl_slist_free_all (h);
}

static void
s_resp_free (s_resp_t *r)
{
    sg_buf_free (&r->body);
    sg_buf_free (&r->head);
}

static int
s_has_header (const s_resp_t *r, const char *line)
{
    return strcasestr (sg_buf_text (&r->head), line) != NULL;
}

START_TEST (test_token_eq)
{
    ck_assert (sg_http_token_eq (S_TOKEN, S_TOKEN));
    ck_assert (!sg_http_token_eq ("s3cret-token-of-the-test", S_TOKEN));    /* prefix */
    ck_assert (!sg_http_token_eq (S_TOKEN "s", S_TOKEN));                   /* longer */
    ck_assert (!sg_http_token_eq ("S3cret-token-of-the-tests", S_TOKEN));   /* case */
    ck_assert (!sg_http_token_eq ("", S_TOKEN));
    ck_assert (!sg_http_token_eq (NULL, S_TOKEN));
    ck_assert (!sg_http_token_eq ("", ""));          /* no token configured: nobody */
    ck_assert (!sg_http_token_eq (S_TOKEN, NULL));
}
END_TEST

START_TEST (test_bearer)
{
    static const struct {
        const char *auth;
        long status;
    } cases[] = {
        { "Authorization: Bearer " S_TOKEN, 200 },
        { "Authorization: bearer " S_TOKEN, 200 },          /* RFC 6750: scheme in any case */
        { "Authorization: BEARER    " S_TOKEN, 200 },
        { "Authorization: Bearer " S_TOKEN "x", 401 },
        { "Authorization: Bearer s3cret", 401 },
        { "Authorization: Basic " S_TOKEN, 401 },
        { "Authorization: Bearer", 401 },
        { "Authorization: " S_TOKEN, 401 },
        { NULL, 401 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_resp_t r;
        s_req ("GET", "/bearer", cases[i].auth, NULL, 0, &r);
        ck_assert_msg (r.status == cases[i].status, "%s: %ld", cases[i].auth, r.status);
        if (r.status == 401)
            ck_assert (s_has_header (&r, "WWW-Authenticate: Bearer realm=\"sigmat\""));
        else
            ck_assert_str_eq (r.body.data, "welcome\n");
        s_resp_free (&r);
    }
}
END_TEST

START_TEST (test_body_limit)
{
    /* A body of exactly the limit arrives whole (in many chunks). */
    char *big = malloc (S_LIMIT + 1);
    for (size_t i = 0; i < S_LIMIT + 1; i++)
        big[i] = (char) ('a' + i % 26);
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest (big, S_LIMIT, md, &n, EVP_sha256 (), NULL);
    char want[100];
    int k = snprintf (want, sizeof want, "%d ", S_LIMIT);
    for (unsigned i = 0; i < 32; i++)
        k += snprintf (want + k, sizeof want - (size_t) k, "%02x", md[i]);
    s_resp_t r;
    s_req ("POST", "/echo", NULL, big, S_LIMIT, &r);
    ck_assert_int_eq (r.status, 200);
    ck_assert_str_eq (r.body.data, want);
    s_resp_free (&r);
    /* One byte more is refused as too large. */
    s_req ("POST", "/echo", NULL, big, S_LIMIT + 1, &r);
    ck_assert_int_eq (r.status, 413);
    ck_assert (strstr (r.body.data, "\"type\":\"urn:sigmat:problem:payload-too-large\""));
    s_resp_free (&r);
    /* An empty body is an empty body. */
    s_req ("POST", "/echo", NULL, "", 0, &r);
    ck_assert_int_eq (r.status, 200);
    ck_assert_str_eq (r.body.data,
                      "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    s_resp_free (&r);
    free (big);
}
END_TEST

START_TEST (test_replies)
{
    s_resp_t r;
    s_req ("GET", "/json", NULL, NULL, 0, &r);
    ck_assert_int_eq (r.status, 200);
    ck_assert_str_eq (r.body.data, "{\"ok\":true}");
    ck_assert (s_has_header (&r, "Content-Type: application/json\r\n"));
    ck_assert (s_has_header (&r, "X-Content-Type-Options: nosniff"));
    ck_assert (s_has_header (&r, "Cache-Control: no-store"));
    ck_assert (!s_has_header (&r, "Content-Security-Policy"));
    ck_assert (!s_has_header (&r, "Access-Control-Allow-Origin"));
    s_resp_free (&r);

    s_req ("GET", "/html", NULL, NULL, 0, &r);
    ck_assert_int_eq (r.status, 200);
    ck_assert (s_has_header (&r, "Content-Type: text/html; charset=utf-8"));
    ck_assert (s_has_header (&r, "Content-Security-Policy: default-src 'self'"));
    ck_assert (s_has_header (&r, "frame-ancestors 'none'"));
    ck_assert (s_has_header (&r, "X-Frame-Options: DENY"));
    s_resp_free (&r);

    s_req ("GET", "/problem", NULL, NULL, 0, &r);
    ck_assert_int_eq (r.status, 422);
    ck_assert (s_has_header (&r, "Content-Type: application/problem+json"));
    ck_assert (s_has_header (&r, "Allow: GET"));
    ck_assert (!s_has_header (&r, "X-Skipped"));
    json_error_t je;
    json_t *j = json_loads (r.body.data, 0, &je);
    ck_assert_msg (j != NULL, "not JSON: %s", r.body.data);
    ck_assert_str_eq (json_string_value (json_object_get (j, "type")),
                      "urn:sigmat:problem:validation");
    ck_assert_str_eq (json_string_value (json_object_get (j, "title")), "Invalid");
    ck_assert_int_eq (json_integer_value (json_object_get (j, "status")), 422);
    ck_assert_str_eq (json_string_value (json_object_get (j, "detail")), "the \"Office\" is wrong");
    ck_assert_str_eq (json_string_value (json_object_get (j, "field")), "/Office");
    ck_assert_int_eq (json_integer_value (json_object_get (j, "line")), 7);
    json_decref (j);
    s_resp_free (&r);

    /* detail defaults to the title; no field, no line */
    sg_buf_t b = { 0 };
    sg_http_problem_json (&b, 500, "internal", "Internal error", NULL, "", 0);
    ck_assert_str_eq (b.data, "{\"type\":\"urn:sigmat:problem:internal\",\"title\":"
                      "\"Internal error\",\"status\":500,\"detail\":\"Internal error\"}");
    sg_buf_free (&b);
    ck_assert_str_eq (sg_http_mime ("app.js"), "text/javascript; charset=utf-8");
    ck_assert_str_eq (sg_http_mime ("style.css"), "text/css; charset=utf-8");
    ck_assert_str_eq (sg_http_mime ("x"), "application/octet-stream");
}
END_TEST

START_TEST (test_fetch_http)
{
    char base[128], err[256] = "";
    snprintf (base, sizeof base, "http://127.0.0.1:%d/", g_port);
    sg_buf_t body = { 0 };
    ck_assert_int_eq (monitor_fetch (base, "/bearer", NULL, S_TOKEN, NULL, &body, err,
                                     sizeof err), 0);
    ck_assert_str_eq (body.data, "welcome\n");
    sg_buf_free (&body);
    /* the token from the base URL's query, sent as Bearer */
    snprintf (base, sizeof base, "http://127.0.0.1:%d?token=%s", g_port, S_TOKEN);
    ck_assert_int_eq (monitor_fetch (base, "/bearer", NULL, NULL, NULL, &body, err, sizeof err),
                      0);
    ck_assert_str_eq (body.data, "welcome\n");
    sg_buf_free (&body);
    snprintf (base, sizeof base, "http://127.0.0.1:%d", g_port);
    ck_assert_int_eq (monitor_fetch (base, "/bearer", NULL, "wrong", NULL, &body, err,
                                     sizeof err), -1);
    ck_assert_str_eq (err, "answered HTTP 401");
    sg_buf_free (&body);
    ck_assert_int_eq (monitor_fetch ("ftp://127.0.0.1:1", "/x", NULL, NULL, NULL, &body, err,
                                     sizeof err), -1);
    sg_buf_free (&body);
}
END_TEST

START_TEST (test_fetch_https)
{
    if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
        fprintf (stderr, "check_http: libmicrohttpd has no TLS here: https not tested\n");
        return;
    }
    char dir[] = "/tmp/check_http.XXXXXX", cmd[1024], crt[128], key[128];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    snprintf (crt, sizeof crt, "%s/tls.crt", dir);
    snprintf (key, sizeof key, "%s/tls.key", dir);
    snprintf (cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
              "-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s -days 2 >/dev/null 2>&1",
              key, crt);
    if (system (cmd) != 0) {
        fprintf (stderr, "check_http: openssl cannot make a certificate here: https not tested\n");
        return;
    }
    int port;
    sg_http_server_t *tls = s_start ("127.0.0.1", crt, key, &port);
    char want[64];
    snprintf (want, sizeof want, "https://127.0.0.1:%d", port);
    ck_assert_str_eq (sg_http_url (tls), want);
    char base[128], err[256] = "";
    snprintf (base, sizeof base, "https://127.0.0.1:%d", port);
    sg_buf_t body = { 0 };
    /* checked against the certificate given: served */
    ck_assert_msg (monitor_fetch (base, "/bearer", NULL, S_TOKEN, crt, &body, err,
                                  sizeof err) == 0, "%s", err);
    ck_assert_str_eq (body.data, "welcome\n");
    sg_buf_free (&body);
    /* against the system's certificates: this one is nobody's, refused */
    ck_assert_int_eq (monitor_fetch (base, "/bearer", NULL, S_TOKEN, NULL, &body, err,
                                     sizeof err), -1);
    ck_assert_ptr_null (body.data);
    sg_buf_free (&body);
    sg_http_stop (&tls);
    unlink (crt);
    unlink (key);
    rmdir (dir);
}
END_TEST

START_TEST (test_start_errors)
{
    static const struct {
        const char *listen, *cert, *key;
        int code;
        const char *text;
    } cases[] = {
        { "127.0.0.1", NULL, NULL, SG_ECONFIG, "http_listen \"127.0.0.1\": expected ADDRESS:PORT" },
        { "127.0.0.1:", NULL, NULL, SG_ECONFIG, "expected ADDRESS:PORT" },
        { "127.0.0.1:70000", NULL, NULL, SG_ECONFIG, "expected ADDRESS:PORT" },
        { "[::1:8780", NULL, NULL, SG_ECONFIG, "expected ADDRESS:PORT" },
        { "no-such-host.invalid:8780", NULL, NULL, SG_ECONFIG, "no-such-host.invalid" },
        { "127.0.0.1:18780", "/no/such/cert.pem", NULL, SG_ECONFIG, "set both or neither" },
        { "127.0.0.1:18780", "/no/such/cert.pem", "/no/such/key.pem", SG_EIO,
          "/no/such/cert.pem" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].code == SG_EIO && MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES)
            continue;
        sg_http_opts_t o = { .key = "http_listen", .listen = cases[i].listen,
                             .tls_cert = cases[i].cert, .tls_key = cases[i].key,
                             .handler = s_handler };
        sg_diag_t d;
        sg_http_server_t *srv = sg_http_start (&o, &d);
        ck_assert_ptr_null (srv);
        ck_assert_int_eq (d.code, cases[i].code);
        ck_assert_msg (strstr (d.text, cases[i].text), "%s: %s", cases[i].listen, d.text);
    }
    /* The port in use by the fixture's server: cannot listen. */
    char spec[32];
    snprintf (spec, sizeof spec, "127.0.0.1:%d", g_port);
    sg_http_opts_t o = { .key = "listen", .listen = spec, .handler = s_handler };
    sg_diag_t d;
    ck_assert_ptr_null (sg_http_start (&o, &d));
    ck_assert_int_eq (d.code, SG_EIO);
    ck_assert (strstr (d.text, "listen: cannot listen on 127.0.0.1:"));
}
END_TEST

/* IPv6 loopback, when the machine has it. */
START_TEST (test_start_ipv6)
{
    int port;
    char spec[32];
    snprintf (spec, sizeof spec, "[::1]:%d", 10000 + (int) (getpid () % 22000));
    sg_http_opts_t o = { .key = "http_listen", .listen = spec, .handler = s_handler };
    sg_diag_t d;
    sg_http_server_t *probe = sg_http_start (&o, &d);
    if (!probe) {
        fprintf (stderr, "check_http: no IPv6 loopback here (%s): [::1] not tested\n", d.text);
        return;
    }
    sg_http_stop (&probe);
    sg_http_server_t *srv = s_start ("[::1]", NULL, NULL, &port);
    char url[64];
    snprintf (url, sizeof url, "http://[::1]:%d", port);
    ck_assert_str_eq (sg_http_url (srv), url);
    sg_buf_t body = { 0 };
    char err[256];
    ck_assert_msg (monitor_fetch (url, "/json", NULL, NULL, NULL, &body, err, sizeof err) == 0,
                   "%s", err);
    ck_assert_str_eq (body.data, "{\"ok\":true}");
    sg_buf_free (&body);
    sg_http_stop (&srv);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("http");
    TCase *tc = tcase_create ("http");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_token_eq);
    tcase_add_test (tc, test_bearer);
    tcase_add_test (tc, test_body_limit);
    tcase_add_test (tc, test_replies);
    tcase_add_test (tc, test_fetch_http);
    tcase_add_test (tc, test_fetch_https);
    tcase_add_test (tc, test_start_errors);
    tcase_add_test (tc, test_start_ipv6);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? 1 : 0;
}
