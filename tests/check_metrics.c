/* check_metrics.c - unit tests for the metrics registry (broker/monitor/metrics.c,
 * metrics_prom.c) and the HTTP monitor (broker/monitor*.c) against a real
 * PostgreSQL: counters per link and type, the type read from a header,
 * NAKs by code, histograms, incidents, exact totals under concurrent
 * writers, the text format checked by a strict parser, and the monitor's
 * /metrics, JSON answers and access rules over a real socket. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/metrics.h"
#include "monitor/monitor.h"
#include "pgtest.h"
#include "node/store.h"
#include "testutil.h"

static const char *s_conninfo;

/* ---- a strict reader of the text format -------------------------------- */

/* Returns NULL if text is valid exposition format 0.0.4 as we write it
 * (every sample belongs to the family of the last TYPE line, names and
 * labels well formed, values numbers, no series twice), else the first bad
 * line (static buffer). */
static const char *
s_strict (const char *text)
{
    static char bad[512];
    char family[128] = "", *copy = strdup (text), *save = NULL;
    char **keys = calloc (20000, sizeof *keys);
    size_t nkeys = 0;
    const char *result = NULL;
    for (char *line = strtok_r (copy, "\n", &save); line && !result; line = strtok_r (NULL, "\n", &save)) {
        char name[128], type[32];
        if (strncmp (line, "# HELP ", 7) == 0)
            continue;
        if (strncmp (line, "# TYPE ", 7) == 0) {
            if (sscanf (line, "# TYPE %127s %31s", name, type) != 2
                || (strcmp (type, "counter") && strcmp (type, "gauge") && strcmp (type, "histogram")))
                result = line;
            snprintf (family, sizeof family, "%s", name);
            continue;
        }
        const char *p = line;
        size_t n = 0;
        while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_'
               || p[n] == ':' || (n && p[n] >= '0' && p[n] <= '9'))
            n++;
        if (n == 0 || n >= sizeof name) {
            result = line;
            break;
        }
        memcpy (name, p, n);
        name[n] = '\0';
        size_t fl = strlen (family);
        if (strncmp (name, family, fl) != 0
            || (name[fl] && strcmp (name + fl, "_bucket") && strcmp (name + fl, "_sum")
                && strcmp (name + fl, "_count"))) {
            result = line;
            break;
        }
        p += n;
        if (*p == '{') {
            p++;
            for (;;) {
                size_t k = 0;
                while ((p[k] >= 'a' && p[k] <= 'z') || p[k] == '_')
                    k++;
                if (!k || p[k] != '=' || p[k + 1] != '"')
                    break;
                p += k + 2;
                while (*p && *p != '"')
                    p += (*p == '\\' && p[1]) ? 2 : 1;
                if (*p != '"')
                    break;
                p++;
                if (*p == ',') {
                    p++;
                    continue;
                }
                break;
            }
            if (*p != '}') {
                result = line;
                break;
            }
            p++;
        }
        char *end;
        if (*p != ' ' || (strtod (p + 1, &end), *end != '\0' && strcmp (p + 1, "+Inf") != 0)) {
            result = line;
            break;
        }
        size_t keylen = (size_t) (p - line);
        for (size_t i = 0; i < nkeys && !result; i++)
            if (strlen (keys[i]) == keylen && strncmp (keys[i], line, keylen) == 0)
                result = line;
        if (nkeys < 20000)
            keys[nkeys++] = strndup (line, keylen);
    }
    if (result)
        snprintf (bad, sizeof bad, "%s", result);
    for (size_t i = 0; i < nkeys; i++)
        free (keys[i]);
    free (keys);
    free (copy);
    return result ? bad : NULL;
}

static char *
s_render (void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    ck_assert_ptr_nonnull (f);
    metrics_write (f);
    fclose (f);
    return text;
}

/* The value of the series written exactly as key ("name{labels}"), or -1. */
static double
s_value (const char *text, const char *key)
{
    size_t kl = strlen (key);
    for (const char *p = text; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
        if (strncmp (p, key, kl) == 0 && p[kl] == ' ')
            return strtod (p + kl + 1, NULL);
    return -1;
}

/* ---- the registry ------------------------------------------------------- */

START_TEST (test_counters)
{
    metrics_reset ();
    metrics_set_node ("CI \"main\"");
    for (int i = 0; i < 7; i++)
        metrics_msg_in ("ci-adapter", "AAR", "24GB000246J8NY33L7", 0);
    metrics_msg_in ("ci-adapter", "AAR", NULL, 1);
    metrics_msg_in ("ci-adapter", "XYZ", NULL, 0);
    const char hdr[] = "Message-Id: 1\nType: WOF\nMrn: 24GB000246J8NY33L7\n";
    for (int i = 0; i < 3; i++)
        metrics_msg_out_hdr ("hub", hdr, sizeof hdr - 1);
    metrics_msg_out_hdr ("hub", "Message-Id: 1\n", 14);
    metrics_acked ("hub", 3);
    metrics_resent ("hub", 2);
    metrics_nak_sent ("ci-adapter", 101);
    metrics_nak_sent ("ci-adapter", 101);
    metrics_nak_received ("hub", 92, "out of sequence");
    metrics_nak_sent ("ci-adapter", 9999);
    metrics_link_queue ("hub", 5, 2);

    metrics_link_t l[4];
    ck_assert_uint_eq (metrics_links (l, 4), 2);
    ck_assert_str_eq (l[0].name, "ci-adapter");
    ck_assert_uint_eq (l[0].in[METRICS_T_AAR], 7);
    ck_assert_uint_eq (l[0].in[METRICS_T_OTHER], 1);
    ck_assert_uint_eq (l[0].in_total, 8);
    ck_assert_uint_eq (l[0].duplicates, 1);
    ck_assert_uint_eq (l[0].naks_sent, 3);
    ck_assert_str_eq (l[1].name, "hub");
    ck_assert_uint_eq (l[1].out[METRICS_T_WOF], 3);
    ck_assert_uint_eq (l[1].out[METRICS_T_OTHER], 1);
    ck_assert_uint_eq (l[1].acked, 3);
    ck_assert_uint_eq (l[1].resent, 2);
    ck_assert_uint_eq (l[1].queued, 5);
    ck_assert_uint_eq (l[1].inflight, 2);
    ck_assert_int_eq (l[1].up, -1);

    char *text = s_render ();
    const char *bad = s_strict (text);
    ck_assert_msg (bad == NULL, "bad line: %s", bad ? bad : "");
    ck_assert_double_eq (s_value (text, "sigmat_messages_in_total{link=\"ci-adapter\",type=\"AAR\"}"), 7);
    ck_assert_double_eq (s_value (text, "sigmat_messages_in_total{link=\"ci-adapter\",type=\"DEC\"}"), 0);
    ck_assert_double_eq (s_value (text, "sigmat_messages_out_total{link=\"hub\",type=\"WOF\"}"), 3);
    ck_assert_double_eq (s_value (text, "sigmat_naks_total{direction=\"sent\",code=\"101\"}"), 2);
    ck_assert_double_eq (s_value (text, "sigmat_naks_total{direction=\"sent\",code=\"0\"}"), 1);
    ck_assert_double_eq (s_value (text, "sigmat_naks_total{direction=\"received\",code=\"92\"}"), 1);
    ck_assert_double_eq (s_value (text, "sigmat_naks_total{direction=\"received\",code=\"101\"}"), -1);
    ck_assert_ptr_nonnull (strstr (text, "sigmat_info{node=\"CI \\\"main\\\"\",version="));
    free (text);

    metrics_incident_t in[4];
    ck_assert_uint_eq (metrics_incidents (in, 4), 1);     /* only the dead letter */
    ck_assert_str_eq (in[0].kind, "nak");
    ck_assert_str_eq (in[0].link, "hub");
    ck_assert_ptr_nonnull (strstr (in[0].text, "NAK 92"));
}
END_TEST

START_TEST (test_link_state_and_incidents)
{
    metrics_reset ();
    metrics_msg_in ("BF", "INC", "24GB000246J8NY33L7", 0);
    metrics_link_up ("BF", 1, 1);
    metrics_link_up ("BF", 1, 1);       /* no change, no incident */
    metrics_link_up ("BF", 1, 0);
    metrics_peer_seen ("BF");
    metrics_link_t l[2];
    ck_assert_uint_eq (metrics_links (l, 2), 1);
    ck_assert_int_eq (l[0].up, 0);
    ck_assert_int_eq (l[0].is_node, 1);
    ck_assert (l[0].changed > 0 && l[0].last_seen > 0);
    metrics_incident_t in[8];
    ck_assert_uint_eq (metrics_incidents (in, 8), 3);
    ck_assert_str_eq (in[0].text, "node BF is down");
    ck_assert_str_eq (in[1].text, "node BF is up");
    ck_assert_str_eq (in[2].kind, "inc");
    ck_assert_str_eq (in[2].mrn, "24GB000246J8NY33L7");
    for (int i = 0; i < 200; i++)
        metrics_incident ("db", NULL, NULL, "n %d", i);
    metrics_incident_t many[200];
    ck_assert_uint_eq (metrics_incidents (many, 200), 128);     /* a bounded ring */
    ck_assert_str_eq (many[0].text, "n 199");
}
END_TEST

START_TEST (test_histograms)
{
    metrics_reset ();
    metrics_batch (1, 300);             /* 0.3 ms */
    metrics_batch (500, 4000);          /* 4 ms */
    metrics_batch (20000, 9000000);     /* beyond every finite bound */
    metrics_global_t *g = malloc (sizeof *g);
    metrics_global (g);
    ck_assert_uint_eq (g->batches, 3);
    ck_assert_uint_eq (g->batch_bucket[0], 1);            /* le 1 */
    ck_assert_uint_eq (g->batch_bucket[8], 2);            /* le 500 */
    ck_assert_uint_eq (g->batch_bucket[METRICS_BATCH_BUCKETS - 2], 2);
    ck_assert_uint_eq (g->batch_bucket[METRICS_BATCH_BUCKETS - 1], 3);
    ck_assert_uint_eq (g->batch_sum, 20501);
    ck_assert_uint_eq (g->latency_bucket[0], 1);          /* le 0.0005 */
    ck_assert_uint_eq (g->latency_bucket[3], 2);          /* le 0.005 */
    ck_assert_uint_eq (g->latency_sum_us, 9004300);
    free (g);
    char *text = s_render ();
    ck_assert_ptr_null (s_strict (text));
    ck_assert_double_eq (s_value (text, "sigmat_batch_size_bucket{le=\"500\"}"), 2);
    ck_assert_double_eq (s_value (text, "sigmat_batch_size_bucket{le=\"+Inf\"}"), 3);
    ck_assert_double_eq (s_value (text, "sigmat_batch_size_count"), 3);
    ck_assert_double_eq (s_value (text, "sigmat_commit_latency_seconds_bucket{le=\"0.005\"}"), 2);
    ck_assert_double_eq (s_value (text, "sigmat_commit_latency_seconds_sum"), 9.0043);
    free (text);
}
END_TEST

START_TEST (test_strict_parser_rejects)
{
    ck_assert_ptr_null (s_strict ("# TYPE a counter\na{x=\"1\"} 2\n"));
    ck_assert_ptr_nonnull (s_strict ("# TYPE a counter\nb 2\n"));               /* other family */
    ck_assert_ptr_nonnull (s_strict ("# TYPE a counter\na{x=1} 2\n"));          /* unquoted */
    ck_assert_ptr_nonnull (s_strict ("# TYPE a counter\na 2\na 3\n"));          /* twice */
    ck_assert_ptr_nonnull (s_strict ("# TYPE a counter\na two\n"));
    ck_assert_ptr_nonnull (s_strict ("# TYPE a countr\na 1\n"));
}
END_TEST

static void *
s_writer (void *arg)
{
    char name[16];
    snprintf (name, sizeof name, "L%d", (int) (intptr_t) arg % 3);
    for (int i = 0; i < 20000; i++) {
        metrics_msg_in (name, "ARR", NULL, 0);
        metrics_acked ("shared", 1);
    }
    return NULL;
}

START_TEST (test_concurrent_exact)
{
    metrics_reset ();
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq (pthread_create (&t[i], NULL, s_writer, (void *) (intptr_t) i), 0);
    for (int i = 0; i < 6; i++)
        pthread_join (t[i], NULL);
    metrics_link_t l[8];
    size_t n = metrics_links (l, 8);
    ck_assert_uint_eq (n, 4);       /* L0 L1 L2 shared, each once */
    uint64_t arr = 0;
    for (size_t i = 0; i < n; i++) {
        arr += l[i].in[METRICS_T_ARR];
        if (strcmp (l[i].name, "shared") == 0)
            ck_assert_uint_eq (l[i].acked, 120000);
        else
            ck_assert_uint_eq (l[i].in[METRICS_T_ARR], 40000);
    }
    ck_assert_uint_eq (arr, 120000);
}
END_TEST

START_TEST (test_link_overflow)
{
    metrics_reset ();
    char name[32];
    for (int i = 0; i < METRICS_MAX_LINKS + 10; i++) {
        snprintf (name, sizeof name, "peer-%d", i);
        metrics_acked (name, 1);
    }
    metrics_link_t *l = calloc (METRICS_MAX_LINKS + 1, sizeof *l);
    ck_assert_uint_eq (metrics_links (l, METRICS_MAX_LINKS + 1), METRICS_MAX_LINKS + 1);
    ck_assert_str_eq (l[METRICS_MAX_LINKS].name, "_other");
    ck_assert_uint_eq (l[METRICS_MAX_LINKS].acked, 10);
    ck_assert_str_eq (l[5].name, "peer-5");
    free (l);
}
END_TEST

/* ---- the monitor over HTTP ------------------------------------------------- */

/* GET path from 127.0.0.1:port; returns the status, body in *body. */
static int
s_http (unsigned port, const char *path, const char *extra, char **body)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert_int_eq (connect (fd, (struct sockaddr *) &a, sizeof a), 0);
    char req[512];
    int n = snprintf (req, sizeof req, "GET %s HTTP/1.0\r\nHost: x\r\n%s\r\n", path, extra ? extra : "");
    ck_assert_int_eq (write (fd, req, (size_t) n), n);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc (cap);
    ssize_t r;
    while ((r = read (fd, buf + len, cap - len - 1)) > 0)
        len += (size_t) r;
    close (fd);
    buf[len] = '\0';
    int status = 0;
    sscanf (buf, "HTTP/%*s %d", &status);
    char *b = strstr (buf, "\r\n\r\n");
    *body = strdup (b ? b + 4 : "");
    free (buf);
    return status;
}

static void
s_queue_rows (void)
{
    sg_diag_t d;
    store_t *st = store_new (s_conninfo, &d);
    ck_assert_ptr_nonnull (st);
    store_peer_t p = { .name = "BF", .role = "node" };
    ck_assert_int_eq (store_peer_put (st, &p, &d), SG_OK);
    char ids[3][37], hdr[] = "Type: AAR\n";
    store_msg_t m[3];
    for (int i = 0; i < 3; i++) {
        snprintf (ids[i], sizeof ids[i], "00000000-0000-4000-8000-%012d", 100 + i);
        m[i] = (store_msg_t) { .id = ids[i], .type = "AAR", .mrn = "24GB000246J8NY33L7",
                               .sender = "CI000101", .recipient = "BF000101", .origin_node = "CI",
                               .header = hdr, .header_len = strlen (hdr), .body = "<x/>",
                               .body_len = 4, .next_hop = "BF" };
    }
    ck_assert_int_eq (store_accept (st, m, 3, &d), SG_OK);
    store_destroy (&st);
}

START_TEST (test_monitor_http)
{
    metrics_reset ();
    metrics_set_node ("CI");
    metrics_msg_in ("ci-adapter", "AAR", NULL, 0);
    metrics_link_up ("BF", 1, 0);
    s_queue_rows ();
    sg_diag_t d;
    monitor_opts_t o = { .listen = "127.0.0.1:0", .db = s_conninfo, .node_name = "CI",
                         .sample_ms = 100 };
    monitor_t *m = monitor_new (&o, &d);
    ck_assert_msg (m != NULL, "%s", d.text);
    unsigned port = monitor_port (m);
    ck_assert_uint_gt (port, 0);
    char *body = NULL;
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) {       /* until the first sample */
        free (body);
        ck_assert_int_eq (s_http (port, "/metrics", NULL, &body), 200);
        ok = s_value (body, "sigmat_monitor_db_up") == 1;
        if (!ok)
            usleep (100000);
    }
    ck_assert_msg (ok, "the monitor never sampled the database");
    const char *bad = s_strict (body);
    ck_assert_msg (bad == NULL, "bad line: %s", bad ? bad : "");
    ck_assert_double_eq (s_value (body, "sigmat_queue_depth{link=\"BF\"}"), 3);
    ck_assert_double_eq (s_value (body, "sigmat_peer_up{link=\"BF\",role=\"node\"}"), 0);
    ck_assert_double_eq (s_value (body, "sigmat_messages_in_total{link=\"ci-adapter\",type=\"AAR\"}"), 1);
    free (body);
    ck_assert_int_eq (s_http (port, "/api/queues", NULL, &body), 200);
    ck_assert_ptr_nonnull (strstr (body, "{\"next_hop\":\"BF\",\"depth\":3,"));
    free (body);
    ck_assert_int_eq (s_http (port, "/api/links", NULL, &body), 200);
    ck_assert_ptr_nonnull (strstr (body, "\"name\":\"BF\",\"role\":\"node\",\"up\":false,\"health\":\"down\""));
    free (body);
    ck_assert_int_eq (s_http (port, "/api/movements/24GB000246J8NY33L7", NULL, &body), 200);
    ck_assert_ptr_nonnull (strstr (body, "\"type\":\"AAR\""));
    free (body);
    /* The monitor's connection is cut (as by a restart of PostgreSQL): the
     * next request is answered all the same, on a new connection. */
    ck_assert_int_ge (pgtest_num (s_conninfo, "SELECT count(*) FILTER (WHERE"
                                              " pg_terminate_backend (pid, 5000))"
                                              " FROM pg_stat_activity"
                                              " WHERE application_name = 'sigmatd-monitor'"), 1);
    ck_assert_int_eq (s_http (port, "/api/movements/24GB000246J8NY33L7", NULL, &body), 200);
    ck_assert_ptr_nonnull (strstr (body, "\"type\":\"AAR\""));
    free (body);
    ck_assert_int_eq (s_http (port, "/api/movements/no%20such", NULL, &body), 400);
    free (body);
    ck_assert_int_eq (s_http (port, "/api/nothing", NULL, &body), 404);
    free (body);
    ck_assert_int_eq (s_http (port, "/", NULL, &body), 200);
    ck_assert_ptr_nonnull (strstr (body, "app.js"));
    free (body);
    ck_assert_int_eq (s_http (port, "/../etc/passwd", NULL, &body), 404);
    free (body);
    monitor_destroy (&m);
    ck_assert_ptr_null (m);

    o.token = "t0ken";
    m = monitor_new (&o, &d);
    ck_assert_ptr_nonnull (m);
    port = monitor_port (m);
    ck_assert_int_eq (s_http (port, "/metrics", NULL, &body), 403);
    free (body);
    ck_assert_int_eq (s_http (port, "/metrics", "Authorization: Bearer t0ke\r\n", &body), 403);
    free (body);
    ck_assert_int_eq (s_http (port, "/metrics", "Authorization: Bearer t0ken\r\n", &body), 200);
    free (body);
    ck_assert_int_eq (s_http (port, "/api/config?token=t0ken", NULL, &body), 200);
    ck_assert_ptr_nonnull (strstr (body, "\"node\":\"CI\""));
    free (body);
    monitor_destroy (&m);

    o.listen = "no-port";
    ck_assert_ptr_null (monitor_new (&o, &d));
    ck_assert_int_eq (d.code, SG_ECONFIG);
}
END_TEST

int
main (void)
{
    s_conninfo = pgtest_start ();
    pgtest_migrate ("check_metrics", s_conninfo);
    Suite *s = suite_create ("metrics");
    TCase *tc = tcase_create ("registry");
    tcase_add_test (tc, test_counters);
    tcase_add_test (tc, test_link_state_and_incidents);
    tcase_add_test (tc, test_histograms);
    tcase_add_test (tc, test_strict_parser_rejects);
    tcase_add_test (tc, test_concurrent_exact);
    tcase_add_test (tc, test_link_overflow);
    suite_add_tcase (s, tc);
    TCase *th = tcase_create ("monitor");
    tcase_set_timeout (th, 30);
    tcase_add_test (th, test_monitor_http);
    suite_add_tcase (s, th);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
