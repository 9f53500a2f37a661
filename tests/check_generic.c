/* check_generic.c - sigmat-generic: config, JSON <-> messages, the XSLT
 * mappings on the NCTS reference examples, webhook signatures, every API
 * route over real HTTP (libcurl) with its exact problem+json answers, and
 * webhook delivery to a real receiver (tests/generic/receiver.py) that is
 * down for a while and then answers 500 now and then. */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_adapter.h"
#include "gen_conf.h"
#include "gen_json.h"
#include "gen_webhook.h"
#include "gen_xslt.h"
#include "buf.h"
#include "file.h"
#include "header.h"
#include "ident.h"
#include "log.h"
#include "msg.h"
#include "xmlsafe.h"
#include "generic/gentest.h"
#include "testutil.h"

char g_src[1024], g_ref[1024], g_tmp[256];
int g_have_ref;


char *
gt_read (const char *path, size_t *len)
{
    sg_buf_t b = { 0 };
    ck_assert_msg (sg_file_read (path, 1 << 30, &b) == SG_OK, "cannot read %s", path);
    if (len)
        *len = b.len;
    char *buf = b.data ? sg_buf_take (&b) : calloc (1, 1);
    ck_assert (buf != NULL);
    return buf;
}

sg_msg_t *
gt_example (const char *name)
{
    char path[1200];
    size_t len;
    sg_diag_t d;
    sg_msg_t *m = NULL;
    snprintf (path, sizeof path, "%s/messages/examples/%s", g_src, name);
    char *buf = gt_read (path, &len);
    ck_assert_msg (sg_msg_parse (buf, len, NULL, &m, &d) == SG_OK, "%s: %s", name, d.text);
    free (buf);
    return m;
}

/* ---- config ---- */

START_TEST (test_conf_example)
{
    /* The example documents every key at its default: loading it changes nothing. */
    gen_conf_t a, b;
    sg_diag_t d;
    char path[1200];
    memset (&a, 0, sizeof a);
    memset (&b, 0, sizeof b);
    snprintf (path, sizeof path, "%s/deploy/sigmat-generic.conf.example", g_src);
    ck_assert_int_eq (gen_conf_defaults (&a, &d), SG_OK);
    ck_assert_int_eq (gen_conf_defaults (&b, &d), SG_OK);
    ck_assert_msg (gen_conf_load (&b, path, &d) == SG_OK, "%s", d.text);
    char *da = NULL, *db = NULL;
    size_t la, lb;
    FILE *fa = open_memstream (&da, &la), *fb = open_memstream (&db, &lb);
    gen_conf_dump (&a, fa);
    gen_conf_dump (&b, fb);
    fclose (fa);
    fclose (fb);
    ck_assert_str_eq (da, db);
    free (da);
    free (db);
    gen_conf_free (&a);
    gen_conf_free (&b);
}
END_TEST

START_TEST (test_conf_errors)
{
    gen_conf_t c;
    sg_diag_t d;
    memset (&c, 0, sizeof c);
    gen_conf_defaults (&c, &d);
    ck_assert_int_eq (gen_conf_set (&c, "http_token", "x", &d), SG_ECONFIG);
    char path[300];
    snprintf (path, sizeof path, "%s/bad.conf", g_tmp);
    FILE *f = fopen (path, "w");
    fprintf (f, "# a token for an office that is not one\nhttp_token portal %s CI0001\n", CI_TOKEN);
    fclose (f);
    ck_assert_int_eq (gen_conf_load (&c, path, &d), SG_ECONFIG);
    ck_assert_msg (strstr (d.text, "bad.conf:2:") && strstr (d.text, "bad office \"CI0001\""),
                   "%s", d.text);
    gen_conf_free (&c);
    memset (&c, 0, sizeof c);
    gen_conf_defaults (&c, &d);
    ck_assert_int_eq (gen_conf_set (&c, "webhook_url", "ftp://x", &d), SG_OK);
    ck_assert_int_eq (gen_conf_check (&c, "t", &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, "t: webhook_url must start with http:// or https://");
    gen_conf_free (&c);
}
END_TEST

/* ---- JSON ---- */

static json_t *
s_dec_json (void)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/tests/generic/dec.json", g_src);
    json_error_t je;
    json_t *j = json_load_file (path, 0, &je);
    ck_assert_msg (j != NULL, "%s", je.text);
    return j;
}

START_TEST (test_json_dec_equals_example)
{
    sg_msg_t *want = gt_example ("dec.xml");
    sg_msg_t *got = sg_msg_new (SG_MSG_DEC);
    json_t *j = s_dec_json ();
    gen_err_t e;
    ck_assert_msg (gen_json_to_decl (j, got, &e) == 0, "%s", e.detail);
    memcpy (got->id, want->id, sizeof got->id);
    memcpy (got->issued, want->issued, sizeof got->issued);
    memcpy (got->mrn, want->mrn, sizeof got->mrn);
    memcpy (got->sender, want->sender, sizeof got->sender);
    memcpy (got->recipient, want->recipient, sizeof got->recipient);
    ck_assert (sg_msg_equal (got, want));
    /* and back: the JSON form of the example is the fixture plus the header */
    json_t *out = gen_json_from_msg (want);
    ck_assert (json_equal (json_object_get (out, "Declaration"), json_object_get (j, "Declaration")));
    ck_assert_str_eq (json_string_value (json_object_get (out, "Type")), "DEC");
    json_decref (out);
    json_decref (j);
    sg_msg_destroy (&got);
    sg_msg_destroy (&want);
}
END_TEST

/* Every event example survives XML -> JSON -> msg unchanged. */
static const char *s_events[] = { "ncf.xml", "arr.xml", "dcr.xml", "wof.xml", "can.xml",
                                  "inc.xml", "enq.xml", "enr.xml", "arq.xml" };

START_TEST (test_json_event_roundtrip)
{
    sg_msg_t *want = gt_example (s_events[_i]);
    json_t *j = gen_json_from_msg (want);
    sg_msg_t *got = sg_msg_new (want->type);
    gen_err_t e;
    ck_assert_msg (gen_json_to_event (j, got, &e) == 0, "%s: %s", s_events[_i], e.detail);
    memcpy (got->id, want->id, sizeof got->id);
    memcpy (got->issued, want->issued, sizeof got->issued);
    memcpy (got->mrn, want->mrn, sizeof got->mrn);
    memcpy (got->sender, want->sender, sizeof got->sender);
    memcpy (got->recipient, want->recipient, sizeof got->recipient);
    memcpy (got->correlation_id, want->correlation_id, sizeof got->correlation_id);
    ck_assert_msg (sg_msg_equal (got, want), "%s differs after JSON", s_events[_i]);
    json_decref (j);
    sg_msg_destroy (&got);
    sg_msg_destroy (&want);
}
END_TEST

/* Mutations of dec.json and the field each refusal names. */
static const struct {
    const char *path;           /* JSON pointer to change */
    const char *value;          /* new JSON value, NULL = delete */
    const char *field;
    const char *detail;
} s_bad[] = {
    { "/Declaration/Principal", NULL, "/Declaration/Principal",
      "/Declaration/Principal is required" },
    { "/Declaration/GoodsShipment/Consignment/ConsignmentItem/2/Commodity/Classification/ID",
      "\"12AB\"", "/Declaration/GoodsShipment/Consignment/ConsignmentItem/2/Commodity/Classification/ID",
      "/Declaration/GoodsShipment/Consignment/ConsignmentItem/2/Commodity/Classification/ID "
      "\"12AB\" is not an HS code of 6 to 8 digits" },
    { "/Declaration/TotalPackageQuantity", "601", "/Declaration/TotalPackageQuantity",
      "/Declaration/TotalPackageQuantity is 601 but the items hold 600 packages" },
    { "/Declaration/TimeLimitDate", "\"2026-02-30\"", "/Declaration/TimeLimitDate",
      "/Declaration/TimeLimitDate \"2026-02-30\" is not a real date" },
    { "/Declaration/DepartureCustomsOffice/ID", "\"CI01\"", "/Declaration/DepartureCustomsOffice/ID",
      "/Declaration/DepartureCustomsOffice/ID \"CI01\" is not an office reference number: 2 "
      "letters then 6 of A-Z 0-9 (CI000101)" },
    { "/Declaration/GoodsShipment/Consignment/Seal/1/SequenceNumeric", "7",
      "/Declaration/GoodsShipment/Consignment/Seal/1",
      "/Declaration/GoodsShipment/Consignment/Seal/1/SequenceNumeric must be 2 (its position)" },
    { "/Declaration/TypeCode", "\"T9\"", "/Declaration/TypeCode",
      "/Declaration/TypeCode \"T9\" is not one of T1, T2, T2F, TIR, ISRT" },
    { "/Declaration/ObligationGuarantee/AmountAmount/value", "\"1.234\"",
      "/Declaration/ObligationGuarantee/AmountAmount/value",
      "/Declaration/ObligationGuarantee/AmountAmount/value \"1.234\" is not an amount: up to 14 "
      "digits and 2 decimals, no leading zero" },
    { "/DeclarationID", "\"26BF000101000123J8\"", "/DeclarationID",
      "/DeclarationID \"26BF000101000123J8\" is not a valid MRN: wrong check digit '8' (expected '2')" },
    { "/Declaration/GoodsShipment/Consignment/ConsignmentItem", "[]",
      "/Declaration/GoodsShipment/Consignment/ConsignmentItem",
      "/Declaration/GoodsShipment/Consignment/ConsignmentItem needs at least one item" },
};

/* Sets (value) or deletes (NULL) the member at pointer p of root. */
static void
s_mutate (json_t *root, const char *p, const char *value)
{
    char buf[400], *save = NULL, *last = NULL;
    snprintf (buf, sizeof buf, "%s", p);
    json_t *cur = root, *parent = NULL;
    for (char *t = strtok_r (buf, "/", &save); t; t = strtok_r (NULL, "/", &save)) {
        parent = cur;
        last = t;
        cur = json_is_array (cur) ? json_array_get (cur, (size_t) atoi (t)) : json_object_get (cur, t);
    }
    ck_assert (parent != NULL);
    json_t *v = value ? json_loads (value, JSON_DECODE_ANY, NULL) : NULL;
    if (json_is_array (parent))
        json_array_set_new (parent, (size_t) atoi (last), v);
    else if (v)
        json_object_set_new (parent, last, v);
    else
        json_object_del (parent, last);
}

START_TEST (test_json_refusals)
{
    json_t *j = s_dec_json ();
    s_mutate (j, s_bad[_i].path, s_bad[_i].value);
    sg_msg_t *m = sg_msg_new (SG_MSG_DEC);
    gen_err_t e;
    memset (&e, 0, sizeof e);
    ck_assert_int_eq (gen_json_to_decl (j, m, &e), 422);
    ck_assert_str_eq (e.field, s_bad[_i].field);
    ck_assert_str_eq (e.detail, s_bad[_i].detail);
    sg_msg_destroy (&m);
    json_decref (j);
}
END_TEST

/* ---- XSLT ---- */

static sg_schema_t *
s_cc015c_schema (void)
{
    char path[1200];
    sg_diag_t d;
    snprintf (path, sizeof path, "%s/ncts/xsd/cc015c.xsd", g_ref);
    sg_schema_t *s = sg_schema_load (path, &d);
    ck_assert_msg (s != NULL, "%s", d.text);
    return s;
}

static gen_xslt_t *
s_xslt (const char *name)
{
    char path[1200];
    sg_diag_t d;
    snprintf (path, sizeof path, "%s/adapters/generic/xslt/%s", g_src, name);
    gen_xslt_t *x = gen_xslt_load (path, &d);
    ck_assert_msg (x != NULL, "%s", d.text);
    return x;
}

START_TEST (test_xslt_cc015c)
{
    if (!g_have_ref)
        return;
    sg_schema_t *schema = s_cc015c_schema ();
    gen_xslt_t *x = s_xslt ("cc015c-to-dec.xsl");
    gen_conf_t c;
    memset (&c, 0, sizeof c);
    gen_param_t p = { "default-origin-country", "BG" };
    c.params = &p, c.n_params = 1;
    char path[1200];
    size_t len;
    sg_diag_t d;
    sg_msg_t *m = NULL;

    /* The full T1 example maps to a DEC that sg_msg_parse accepts. */
    snprintf (path, sizeof path, "%s/ncts/cc015c-valid-2.xml", g_ref);
    char *buf = gt_read (path, &len);
    ck_assert_msg (gen_xslt_map_declaration (x, schema, buf, len, &c, 8 * 86400000LL, &m, &d)
                   == SG_OK, "%s", d.text);
    ck_assert_int_eq (m->type, SG_MSG_DEC);
    ck_assert_int_eq (sg_mrn_check (m->mrn, NULL), SG_OK);
    ck_assert (strncmp (m->mrn + 2, "XI", 2) == 0);
    ck_assert_str_eq (m->decl.lrn, "MDTP-18");
    ck_assert_str_eq (m->decl.departure, "XI000081");
    ck_assert_str_eq (m->decl.destination, "GB000120");
    ck_assert_uint_eq (m->decl.n_transit, 1);
    ck_assert_str_eq (m->decl.transit[0], "GB000060");
    ck_assert_str_eq (m->decl.time_limit, "2023-07-30");
    ck_assert_str_eq (m->decl.guarantee_ref, "20XI0000010000070");
    ck_assert_str_eq (m->decl.guarantee_amount, "1.00");
    ck_assert_str_eq (m->decl.currency, "GBP");
    ck_assert_str_eq (m->decl.means.id, "56984526487521");
    ck_assert_str_eq (m->decl.means.mode, "1");
    ck_assert_uint_eq (m->decl.n_seals, 1);
    ck_assert_str_eq (m->decl.seals[0], "F742");
    ck_assert_uint_eq (m->decl.n_items, 1);
    ck_assert_str_eq (m->decl.items[0].hs_code, "152000");
    ck_assert_str_eq (m->decl.items[0].origin, "BG");
    ck_assert_uint_eq (m->decl.total_packages, 10);
    char *out = NULL;
    ck_assert_int_eq (sg_msg_serialize (m, &out, &len, &d), SG_OK);
    free (out);
    sg_msg_destroy (&m);
    free (buf);

    /* The minimal placeholder example validates against cc015c.xsd but lacks
     * what a DEC needs: the mapping refuses it and says why. */
    snprintf (path, sizeof path, "%s/ncts/cc015c-valid.xml", g_ref);
    buf = gt_read (path, &len);
    ck_assert_int_eq (gen_xslt_map_declaration (x, schema, buf, len, &c, 0, &m, &d), SG_EINVAL);
    ck_assert_str_eq (d.text, "CC015C: TransitOperation/declarationType \"gJ\" has no sigmat "
                              "TypeCode (T1, T2, T2F, TIR)");
    ck_assert (m == NULL);
    free (buf);

    /* Another NCTS message is refused by the schema before any mapping. */
    snprintf (path, sizeof path, "%s/ncts/cc007c-valid.xml", g_ref);
    buf = gt_read (path, &len);
    ck_assert_int_eq (gen_xslt_map_declaration (x, schema, buf, len, &c, 0, &m, &d), SG_ESCHEMA);
    ck_assert_int_eq (d.line, 1);
    free (buf);
    gen_xslt_destroy (&x);
    sg_schema_destroy (&schema);
}
END_TEST

START_TEST (test_xslt_aar_cc001c)
{
    gen_xslt_t *x = s_xslt ("aar-to-cc001c.xsl");
    char path[1200];
    size_t len, wlen;
    sg_diag_t d;
    snprintf (path, sizeof path, "%s/messages/examples/aar.xml", g_src);
    char *buf = gt_read (path, &len), *out = NULL;
    snprintf (path, sizeof path, "%s/tests/generic/aar-cc001c.xml", g_src);
    char *want = gt_read (path, &wlen);
    xmlDocPtr doc = sg_xmlsafe_parse (buf, len, NULL, &d);
    ck_assert (doc != NULL);
    ck_assert_int_eq (gen_xslt_apply_bytes (x, doc, NULL, NULL, 0, &out, &len, &d), SG_OK);
    ck_assert_str_eq (out, want);
    xmlFreeDoc (doc);
    free (out);
    free (want);
    free (buf);
    gen_xslt_destroy (&x);
}
END_TEST

/* A stylesheet may not read files (document()) nor include one from
 * outside its folder. */
START_TEST (test_xslt_sandbox)
{
    char path[300], sub[300];
    sg_diag_t d;
    snprintf (path, sizeof path, "%s/steal.xsl", g_tmp);
    FILE *f = fopen (path, "w");
    fprintf (f, "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
                "<xsl:template match=\"/\"><x><xsl:copy-of select=\"document('/etc/hostname')\"/>"
                "</x></xsl:template></xsl:stylesheet>\n");
    fclose (f);
    gen_xslt_t *x = gen_xslt_load (path, &d);
    ck_assert_msg (x != NULL, "%s", d.text);
    xmlDocPtr doc = sg_xmlsafe_parse ("<a/>", 4, NULL, &d);
    char *out = NULL;
    size_t len;
    int rc = gen_xslt_apply_bytes (x, doc, NULL, NULL, 0, &out, &len, &d);
    ck_assert_msg (rc != SG_OK || !strstr (out,
                                           "<x>") || strcmp (out + strlen (out) - 5, "<x/>\n") == 0,
                   "document() read a file: %s", out);
    ck_assert_int_eq (rc, SG_EINVAL);
    free (out);
    xmlFreeDoc (doc);
    gen_xslt_destroy (&x);

    snprintf (sub, sizeof sub, "%s/sub", g_tmp);
    mkdir (sub, 0755);
    snprintf (path, sizeof path, "%s/sub/inc.xsl", g_tmp);
    f = fopen (path, "w");
    fprintf (f, "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
                "<xsl:include href=\"../steal.xsl\"/></xsl:stylesheet>\n");
    fclose (f);
    ck_assert (gen_xslt_load (path, &d) == NULL);
}
END_TEST

START_TEST (test_webhook_signature)
{
    char sig[GEN_SIG_MAX];
    gen_webhook_sign (SECRET, strlen (SECRET), 1700000000, "{\"a\":1}", 7, sig);
    ck_assert_str_eq (sig, "t=1700000000,v1=52e90d1dd12a13a24573e24995f6e44f18bdf63a33560576f69ed7770bee5a3c");
}
END_TEST


int
main (void)
{
    const char *src = getenv ("SIGMAT_SRCDIR"), *ref = getenv ("SIGMAT_REFERENCE_DIR");
    const char *ci = getenv ("CI");
    snprintf (g_src, sizeof g_src, "%s", src ? src : ".");
    if (ref && *ref)
        snprintf (g_ref, sizeof g_ref, "%s", ref);
    else
        snprintf (g_ref, sizeof g_ref, "%.990s/../shared/reference", g_src);
    g_have_ref = access (g_ref, R_OK) == 0;
    if (!g_have_ref) {
        printf ("reference data absent: %s (NCTS mapping tests skipped)\n", g_ref);
        if (ci && !strcmp (ci, "true"))
            return EXIT_FAILURE;
    }
    snprintf (g_tmp, sizeof g_tmp, "/tmp/check_generic.XXXXXX");
    if (!mkdtemp (g_tmp))
        return EXIT_FAILURE;
    sg_xmlsafe_init ();
    gen_xslt_init ();
    sg_log_open ("check_generic", 0, SG_LOG_LVL_ERROR);
    curl_global_init (CURL_GLOBAL_DEFAULT);
    signal (SIGPIPE, SIG_IGN);

    Suite *s = suite_create ("generic");
    TCase *tc = tcase_create ("model");
    tcase_add_test (tc, test_conf_example);
    tcase_add_test (tc, test_conf_errors);
    tcase_add_test (tc, test_json_dec_equals_example);
    tcase_add_loop_test (tc, test_json_event_roundtrip, 0, sizeof s_events / sizeof s_events[0]);
    tcase_add_loop_test (tc, test_json_refusals, 0, sizeof s_bad / sizeof s_bad[0]);
    tcase_add_test (tc, test_xslt_cc015c);
    tcase_add_test (tc, test_xslt_aar_cc001c);
    tcase_add_test (tc, test_xslt_sandbox);
    tcase_add_test (tc, test_webhook_signature);
    tcase_set_timeout (tc, 30);
    suite_add_tcase (s, tc);
    gt_add_http (s);
    int failed = testutil_run (s);
    char cmd[300];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (!failed && system (cmd) != 0)
        failed = 1;
    if (failed)
        return EXIT_FAILURE;
    if (!g_have_ref) {
        /* 77 is automake's SKIP: the NCTS mapping tests did not run */
        printf ("SKIP: reference data absent: %s (set SIGMAT_REFERENCE_DIR); the rest passed\n", g_ref);
        return 77;
    }
    return EXIT_SUCCESS;
}
