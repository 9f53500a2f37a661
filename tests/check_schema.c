/* check_schema.c - unit tests for messages/schema.c: compiling XSDs (with
 * xs:include, and refusing reads outside the schema's folder), the first
 * error's element, line and NAK code, thread safety, sg_schema_messages. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"
#include "xmlsafe.h"
#include "testutil.h"

static char s_tmp[256];         /* temp folder: x/ holds the schemas */
static char s_real_dir[1024];   /* SIGMAT_SCHEMA_DIR as the harness set it */

#define SECRET "SIGMAT-SECRET-MARKER-9e107d9d372b"

static const char *s_main_xsd =
    "<?xml version=\"1.0\"?>\n"
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
    "  xmlns=\"urn:t\" targetNamespace=\"urn:t\" elementFormDefault=\"qualified\">\n"
    "  <xs:include schemaLocation=\"sub/types.xsd\"/>\n"
    "  <xs:element name=\"Order\">\n"
    "    <xs:complexType><xs:sequence>\n"
    "      <xs:element name=\"Id\" type=\"IdType\"/>\n"
    "      <xs:element name=\"Colour\" type=\"ColourType\"/>\n"
    "      <xs:element name=\"Qty\" type=\"xs:positiveInteger\"/>\n"
    "      <xs:element name=\"Note\" type=\"xs:string\" minOccurs=\"0\"/>\n"
    "    </xs:sequence></xs:complexType>\n"
    "  </xs:element>\n"
    "</xs:schema>\n";

/* included from sub/, and itself includes ../common.xsd (same folder tree) */
static const char *s_types_xsd =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
    "  xmlns=\"urn:t\" targetNamespace=\"urn:t\">\n"
    "  <xs:include schemaLocation=\"../common.xsd\"/>\n"
    "  <xs:simpleType name=\"ColourType\"><xs:restriction base=\"xs:string\">\n"
    "    <xs:enumeration value=\"red\"/><xs:enumeration value=\"blue\"/>\n"
    "  </xs:restriction></xs:simpleType>\n"
    "</xs:schema>\n";

static const char *s_common_xsd =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
    "  xmlns=\"urn:t\" targetNamespace=\"urn:t\">\n"
    "  <xs:simpleType name=\"IdType\"><xs:restriction base=\"xs:string\">\n"
    "    <xs:pattern value=\"[A-Z]{2}[0-9]{4}\"/>\n"
    "  </xs:restriction></xs:simpleType>\n"
    "</xs:schema>\n";

/* includes a file outside its own folder: must be refused */
static const char *s_escape_xsd =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
    "  <xs:include schemaLocation=\"../outside.xsd\"/>\n"
    "  <xs:element name=\"r\" type=\"Leak\"/>\n"
    "</xs:schema>\n";

static const char *s_outside_xsd =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
    "  <xs:simpleType name=\"Leak\"><xs:restriction base=\"xs:string\">\n"
    "    <xs:enumeration value=\"" SECRET "\"/>\n"
    "  </xs:restriction></xs:simpleType>\n"
    "</xs:schema>\n";

static const char *s_network_xsd =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
    "  <xs:import namespace=\"urn:n\" schemaLocation=\"http://127.0.0.1:1/n.xsd\"/>\n"
    "  <xs:element name=\"r\" xmlns:n=\"urn:n\" type=\"n:T\"/>\n"
    "</xs:schema>\n";

static const char *s_good =
    "<Order xmlns=\"urn:t\"\n"
    "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
    "  xsi:schemaLocation=\"urn:t http://127.0.0.1:1/other.xsd\">\n"
    "  <Id>AB1234</Id>\n"
    "  <Colour>red</Colour>\n"
    "  <Qty>3</Qty>\n"
    "</Order>\n";

static void
s_write (const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    if (!f || fputs (text, f) < 0 || fclose (f) != 0) {
        perror (path);
        exit (EXIT_FAILURE);
    }
}

static sg_schema_t *
s_load (const char *name, sg_diag_t *diag)
{
    char path[512];
    snprintf (path, sizeof path, "%s/x/%s", s_tmp, name);
    return sg_schema_load (path, diag);
}

static xmlDocPtr
s_doc (const char *xml)
{
    sg_diag_t diag;
    xmlDocPtr doc = sg_xmlsafe_parse (xml, strlen (xml), NULL, &diag);
    ck_assert_msg (doc != NULL, "test document: %s", diag.text);
    return doc;
}

/* Replaces the first `from` in s_good by `to` and validates the result. */
static int
s_validate_edit (sg_schema_t *schema, const char *from, const char *to, sg_diag_t *diag)
{
    char xml[1024];
    const char *at = strstr (s_good, from);
    ck_assert_ptr_nonnull (at);
    snprintf (xml, sizeof xml, "%.*s%s%s", (int) (at - s_good), s_good, to,
              at + strlen (from));
    xmlDocPtr doc = s_doc (xml);
    int rc = sg_schema_validate (schema, doc, diag);
    xmlFreeDoc (doc);
    return rc;
}

START_TEST (test_load_and_validate)
{
    sg_diag_t diag;
    sg_schema_t *schema = s_load ("main.xsd", &diag);
    ck_assert_msg (schema != NULL, "%s", diag.text);
    ck_assert_int_eq (diag.code, SG_OK);
    xmlDocPtr doc = s_doc (s_good);
    sg_diag_set (&diag, SG_EINVAL, 1, 1, "stale");
    ck_assert_int_eq (sg_schema_validate (schema, doc, &diag), SG_OK);
    ck_assert_int_eq (diag.code, SG_OK);
    int n = -1;
    ck_assert_int_eq (sg_schema_validate_count (schema, doc, &diag, &n), SG_OK);
    ck_assert_int_eq (n, 0);
    xmlFreeDoc (doc);
    sg_schema_destroy (&schema);
    ck_assert_ptr_null (schema);
    sg_schema_destroy (&schema);
    sg_schema_destroy (NULL);
}
END_TEST

START_TEST (test_errors)
{
    sg_diag_t diag;
    sg_schema_t *schema = s_load ("main.xsd", &diag);
    ck_assert_ptr_nonnull (schema);

    /* bad enumeration value (from the included file): 12 */
    ck_assert_int_eq (s_validate_edit (schema, "red", "green", &diag), SG_ESCHEMA);
    ck_assert_int_eq (diag.code, SG_ESCHEMA);
    ck_assert_int_eq (diag.nak, SG_NAK_INCORRECT_VALUE);
    ck_assert_int_eq (diag.line, 5);
    ck_assert_msg (strstr (diag.text, "line 5, element Colour: [facet 'enumeration'] "
                                      "The value 'green' is not an element of the set"),
                   "%s", diag.text);

    /* pattern from the twice-included file: 12 */
    ck_assert_int_eq (s_validate_edit (schema, "AB1234", "ab1234", &diag), SG_ESCHEMA);
    ck_assert_int_eq (diag.nak, SG_NAK_INCORRECT_VALUE);
    ck_assert_int_eq (diag.line, 4);
    ck_assert_ptr_nonnull (strstr (diag.text, "element Id: [facet 'pattern']"));

    /* a missing element in the middle: "Expected is": 13 */
    ck_assert_int_eq (s_validate_edit (schema, "<Colour>red</Colour>", "", &diag),
                      SG_ESCHEMA);
    ck_assert_int_eq (diag.nak, SG_NAK_MISSING_ELEMENT);
    ck_assert_msg (strstr (diag.text, "element Qty: This element is not expected. "
                                      "Expected is ( {urn:t}Colour )"), "%s", diag.text);

    /* a missing element at the end: "Missing child element(s)": 13 */
    ck_assert_int_eq (s_validate_edit (schema, "<Qty>3</Qty>", "", &diag), SG_ESCHEMA);
    ck_assert_int_eq (diag.nak, SG_NAK_MISSING_ELEMENT);
    ck_assert_int_eq (diag.line, 3);      /* libxml2: where the start tag ends */
    ck_assert_ptr_nonnull (strstr (diag.text, "element Order: Missing child element(s)"));

    /* an unknown element after the last one: not a missing element: 12 */
    ck_assert_int_eq (s_validate_edit (schema, "<Qty>3</Qty>",
                                       "<Qty>3</Qty><Note/><Extra/>", &diag), SG_ESCHEMA);
    ck_assert_int_eq (diag.nak, SG_NAK_INCORRECT_VALUE);
    ck_assert_ptr_nonnull (strstr (diag.text, "element Extra: This element is not expected."));

    /* wrong root: 12, and the first of several errors is reported */
    xmlDocPtr doc = s_doc ("<Other xmlns=\"urn:t\"/>");
    int n = 0;
    ck_assert_int_eq (sg_schema_validate_count (schema, doc, &diag, &n), SG_ESCHEMA);
    ck_assert_int_eq (n, 1);
    ck_assert_ptr_nonnull (strstr (diag.text, "No matching global declaration"));
    xmlFreeDoc (doc);
    doc = s_doc ("<Order xmlns=\"urn:t\"><Id>x</Id><Colour>pink</Colour><Qty>0</Qty>"
                 "</Order>");
    ck_assert_int_eq (sg_schema_validate_count (schema, doc, &diag, &n), SG_ESCHEMA);
    ck_assert_int_eq (n, 3);
    ck_assert_ptr_nonnull (strstr (diag.text, "element Id:"));
    xmlFreeDoc (doc);

    ck_assert_int_eq (sg_schema_validate (schema, NULL, &diag), SG_EINVAL);
    ck_assert_int_eq (sg_schema_validate (NULL, NULL, &diag), SG_EINVAL);
    sg_schema_destroy (&schema);
}
END_TEST

START_TEST (test_load_failures)
{
    sg_diag_t diag;
    ck_assert_ptr_null (s_load ("escape.xsd", &diag));
    ck_assert_int_eq (diag.code, SG_ESCHEMA);
    ck_assert_ptr_null (strstr (diag.text, SECRET));
    ck_assert_msg (strstr (diag.text, "escape.xsd line 2:")
                   && strstr (diag.text, "outside.xsd: outside the schema folder"),
                   "%s", diag.text);

    ck_assert_ptr_null (s_load ("network.xsd", &diag));
    ck_assert_int_eq (diag.code, SG_ESCHEMA);
    ck_assert_msg (strstr (diag.text, "refused http://127.0.0.1:1/n.xsd: not a local file"),
                   "%s", diag.text);

    ck_assert_ptr_null (s_load ("missing.xsd", &diag));
    ck_assert_int_eq (diag.code, SG_ESCHEMA);
    ck_assert_ptr_nonnull (strstr (diag.text, "missing.xsd"));

    ck_assert_ptr_null (s_load ("notxsd.xsd", &diag));
    ck_assert_int_eq (diag.code, SG_ESCHEMA);
    ck_assert_ptr_null (sg_schema_load (NULL, &diag));
    ck_assert_int_eq (diag.code, SG_EINVAL);

    /* the window closed: nothing else may be read afterwards */
    char path[512];
    snprintf (path, sizeof path, "%s/x/main.xsd", s_tmp);
    ck_assert_ptr_null (xmlReadFile (path, NULL, XML_PARSE_NOERROR));
}
END_TEST

static void *
s_thread (void *arg)
{
    sg_schema_t *schema = arg;
    xmlDocPtr good = sg_xmlsafe_parse (s_good, strlen (s_good), NULL, NULL);
    const char *bad_xml = "<Order xmlns=\"urn:t\"><Id>AB1234</Id><Colour>no</Colour>"
                          "<Qty>1</Qty></Order>";
    xmlDocPtr bad = sg_xmlsafe_parse (bad_xml, strlen (bad_xml), NULL, NULL);
    void *ret = NULL;
    for (int i = 0; i < 300 && !ret; i++) {
        sg_diag_t diag;
        if (sg_schema_validate (schema, good, &diag) != SG_OK)
            ret = (void *) 1;
        if (sg_schema_validate (schema, bad, &diag) != SG_ESCHEMA
            || !strstr (diag.text, "element Colour:"))
            ret = (void *) 1;
    }
    xmlFreeDoc (good);
    xmlFreeDoc (bad);
    return ret;
}

START_TEST (test_threads)
{
    sg_diag_t diag;
    sg_schema_t *schema = s_load ("main.xsd", &diag);
    ck_assert_ptr_nonnull (schema);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq (pthread_create (&t[i], NULL, s_thread, schema), 0);
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join (t[i], &ret);
        ck_assert_ptr_null (ret);
    }
    sg_schema_destroy (&schema);
}
END_TEST

static void *
s_messages_thread (void *arg)
{
    return sg_schema_messages (NULL);
}

/* main() pointed SIGMAT_SCHEMA_DIR at the temp folder. */
START_TEST (test_messages)
{
    char want[512];
    snprintf (want, sizeof want, "%s/x", s_tmp);
    ck_assert_str_eq (sg_schema_dir (), want);
    pthread_t t[4];
    void *got[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq (pthread_create (&t[i], NULL, s_messages_thread, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join (t[i], &got[i]);
    sg_diag_t diag;
    sg_schema_t *schema = sg_schema_messages (&diag);
    ck_assert_ptr_nonnull (schema);
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_eq (got[i], schema);
    xmlDocPtr doc = s_doc (s_good);
    ck_assert_int_eq (sg_schema_validate (schema, doc, &diag), SG_OK);
    xmlFreeDoc (doc);
}
END_TEST

/* The project's own schema set, when present, compiles under the loader's
 * rule (everything it includes lives in its folder). */
START_TEST (test_project_schemas)
{
    char path[1100];
    snprintf (path, sizeof path, "%s/sigmat.xsd", s_real_dir);
    if (!s_real_dir[0] || access (path, R_OK) != 0) {
        printf ("project schemas absent: %s\n", path);
        return;
    }
    sg_diag_t diag;
    sg_schema_t *schema = sg_schema_load (path, &diag);
    ck_assert_msg (schema != NULL, "%s", diag.text);
    sg_schema_destroy (&schema);
}
END_TEST

int
main (void)
{
    const char *real = getenv ("SIGMAT_SCHEMA_DIR");
    snprintf (s_real_dir, sizeof s_real_dir, "%s", real ? real : "");
    sg_xmlsafe_init ();
    snprintf (s_tmp, sizeof s_tmp, "/tmp/check_schema.XXXXXX");
    if (!mkdtemp (s_tmp)) {
        perror ("mkdtemp");
        return EXIT_FAILURE;
    }
    char x[300], sub[320];
    snprintf (x, sizeof x, "%s/x", s_tmp);
    snprintf (sub, sizeof sub, "%s/x/sub", s_tmp);
    mkdir (x, 0700);
    mkdir (sub, 0700);
    s_write (x, "main.xsd", s_main_xsd);
    s_write (x, "sigmat.xsd", s_main_xsd);
    s_write (sub, "types.xsd", s_types_xsd);
    s_write (x, "common.xsd", s_common_xsd);
    s_write (x, "escape.xsd", s_escape_xsd);
    s_write (x, "network.xsd", s_network_xsd);
    s_write (x, "notxsd.xsd", "<r>not a schema</r>\n");
    s_write (s_tmp, "outside.xsd", s_outside_xsd);
    setenv ("SIGMAT_SCHEMA_DIR", x, 1);

    Suite *s = suite_create ("schema");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_load_and_validate);
    tcase_add_test (tc, test_errors);
    tcase_add_test (tc, test_load_failures);
    tcase_add_test (tc, test_threads);
    tcase_add_test (tc, test_messages);
    tcase_add_test (tc, test_project_schemas);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);

    const char *files[] = { "x/main.xsd", "x/sigmat.xsd", "x/sub/types.xsd", "x/common.xsd",
                            "x/escape.xsd", "x/network.xsd", "x/notxsd.xsd", "outside.xsd" };
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf (path, sizeof path, "%s/%s", s_tmp, files[i]);
        unlink (path);
    }
    rmdir (sub);
    rmdir (x);
    rmdir (s_tmp);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
