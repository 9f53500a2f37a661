/* check_xmlsafe.c - unit tests for messages/xmlsafe.c: a table of hostile
 * inputs (entities, DTDs, XInclude, depth, size, encoding), each refused
 * fast, with bounded memory, with a named reason, and never leaking a byte
 * of a local file; plus the process-wide entity loader and the limits. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xmlsafe.h"
#include "testutil.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define SECRET "SIGMAT-SECRET-MARKER-5d41402abc4b"

static char s_tmp[256];         /* temp folder of this run */
static char s_secret[300];      /* a local file holding SECRET */
static char s_inside[300];      /* an XML file holding SECRET */

/* A growable buffer for generated inputs. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
} buf_t;

static void
s_put (buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc (b->p, b->cap);
        ck_assert_ptr_nonnull (b->p);
    }
    memcpy (b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
s_puts (buf_t *b, const char *s)
{
    s_put (b, s, strlen (s));
}

static void
s_printf (buf_t *b, const char *fmt, const char *arg)
{
    char tmp[2048];
    int n = snprintf (tmp, sizeof tmp, fmt, arg);
    s_put (b, tmp, (size_t) n);
}

static void
s_gen_deep (buf_t *b)
{
    for (int i = 0; i < 200000; i++)
        s_puts (b, "<a>");
    for (int i = 0; i < 200000; i++)
        s_puts (b, "</a>");
}

static void
s_gen_big_text (buf_t *b)
{
    size_t n = 64u << 20;
    b->p = malloc (n + 1);
    ck_assert_ptr_nonnull (b->p);
    memcpy (b->p, "<r>", 3);
    memset (b->p + 3, 'x', n - 7);
    memcpy (b->p + n - 4, "</r>", 4);
    b->len = n;
}

static void
s_gen_attrs (buf_t *b)
{
    char tmp[32];
    s_puts (b, "<r");
    for (int i = 0; i < 300000; i++) {
        snprintf (tmp, sizeof tmp, " a%d=\"\"", i);
        s_puts (b, tmp);
    }
    s_puts (b, "/>");
}

static void
s_gen_namespaces (buf_t *b)
{
    char tmp[64];
    for (int level = 0; level < 60; level++) {
        s_puts (b, "<e");
        for (int k = 0; k < 200; k++) {
            snprintf (tmp, sizeof tmp, " xmlns:p%d_%d='urn:x'", level, k);
            s_puts (b, tmp);
        }
        s_puts (b, ">");
    }
    for (int i = 0; i < 100000; i++)
        s_puts (b, "<p0_0:x/>");
    for (int level = 0; level < 60; level++)
        s_puts (b, "</e>");
}

static void
s_gen_quadratic (buf_t *b)
{
    s_puts (b, "<!DOCTYPE r [<!ENTITY a \"");
    for (int i = 0; i < 50000; i++)
        s_puts (b, "x");
    s_puts (b, "\">]><r>");
    for (int i = 0; i < 50000; i++)
        s_puts (b, "&a;");
    s_puts (b, "</r>");
}

typedef struct {
    const char *name;
    const char *fmt;            /* input; %s is replaced by the secret file path */
    void (*gen) (buf_t *);      /* or a generator */
    int code;
    const char *expect;         /* a substring of diag.text */
    int nak;
} hostile_t;

static const hostile_t s_hostile[] = {
    { "billion laughs",
      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      " <!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
      "]>\n<lolz>&lol9;</lolz>", NULL, SG_EXML, "DOCTYPE not allowed", 52 },
    { "quadratic blowup", NULL, s_gen_quadratic, SG_EXML, "DOCTYPE not allowed", 52 },
    { "xxe /etc/passwd",
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "xxe secret file",
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s\">]><r>&x;</r>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "xxe secret file, bare path",
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"%s\">]><r>&x;</r>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "xxe network",
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"http://127.0.0.1:1/\">]><r>&x;</r>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "parameter entities",
      "<!DOCTYPE r [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]><r/>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "external DTD",
      "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"file://%s\">\n<r/>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "external DTD on the network",
      "<!DOCTYPE r PUBLIC \"-//X//Y\" \"http://127.0.0.1:1/r.dtd\"><r/>", NULL,
      SG_EXML, "DOCTYPE not allowed", 52 },
    { "undeclared entity", "<r>&x;</r>", NULL, SG_EXML, "Entity 'x' not defined", 52 },
    { "200,000-deep nesting", NULL, s_gen_deep, SG_ETOODEEP,
      "document nested deeper than 64 elements", 52 },
    { "64 MiB text node", NULL, s_gen_big_text, SG_ETOOBIG,
      "input is 67108864 bytes, limit is 4194304", 103 },
    { "invalid UTF-8", "<r>caf\xc3\x28</r>", NULL, SG_EXML, "not proper UTF-8", 52 },
    { "NUL in the middle", "<r>ab\0cd</r>", NULL, SG_EXML, "NUL byte at offset 5", 52 },
    { "truncated", "<?xml version=\"1.0\"?>\n<r>\n<a>text", NULL, SG_EXML,
      "at line 3: Premature end of data", 52 },
    { "empty", "", NULL, SG_EXML, "Document is empty", 52 },
    { "only whitespace", " \n\t\r\n ", NULL, SG_EXML, "Document is empty", 52 },
    { "huge attribute count", NULL, s_gen_attrs, SG_EXML,
      "element at line 1 has more than 256 attributes", 52 },
    { "namespace flood", NULL, s_gen_namespaces, SG_EXML,
      "more than 64 namespace declarations in scope", 52 },
    { "undeclared prefix", "<r><p:a/></r>", NULL, SG_EXML,
      "Namespace prefix p on a is not defined", 52 },
    { "two roots", "<r/><r/>", NULL, SG_EXML, "Extra content at the end", 52 },
    { "tag mismatch on line 3", "<r>\n<a>\n</b></r>", NULL, SG_EXML,
      "at line 3: Opening and ending tag mismatch", 52 },
};

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static long
s_maxrss_kb (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

START_TEST (test_hostile)
{
    const hostile_t *h = &s_hostile[_i];
    buf_t in = { 0 };
    if (h->gen)
        h->gen (&in);
    else if (strcmp (h->name, "NUL in the middle") == 0)
        s_put (&in, h->fmt, 12);
    else
        s_printf (&in, h->fmt, s_secret);

    sg_diag_t diag;
    long rss0 = s_maxrss_kb ();
    double t0 = s_now ();
    xmlDocPtr doc = sg_xmlsafe_parse (in.p, in.len, NULL, &diag);
    double dt = s_now () - t0;
    long grew_mb = (s_maxrss_kb () - rss0) / 1024;

    ck_assert_msg (doc == NULL, "%s: accepted", h->name);
    ck_assert_msg (diag.code == h->code, "%s: code %d, want %d (%s)", h->name,
                   diag.code, h->code, diag.text);
    ck_assert_msg (strstr (diag.text, h->expect), "%s: text \"%s\" lacks \"%s\"",
                   h->name, diag.text, h->expect);
    ck_assert_msg (diag.nak == h->nak, "%s: nak %d", h->name, diag.nak);
    ck_assert_msg (!strstr (diag.text, SECRET), "%s: secret leaked", h->name);
    ck_assert_msg (!strstr (diag.text, "root:"), "%s: /etc/passwd leaked", h->name);
    ck_assert_msg (dt < (RUNNING_ON_VALGRIND ? 60.0 : 1.0), "%s: took %.2fs", h->name, dt);
    ck_assert_msg (grew_mb < 32, "%s: memory grew by %ld MiB", h->name, grew_mb);
    free (in.p);
}
END_TEST

START_TEST (test_good)
{
    const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<m:Msg xmlns:m=\"urn:sigmat\" id=\"1\"><m:A>caf\xc3\xa9 &amp; "
                      "&#x41;<![CDATA[<x>]]></m:A><!-- c --><?pi x?></m:Msg>\n";
    sg_diag_t diag;
    sg_diag_set (&diag, SG_EINVAL, 9, 9, "stale");
    xmlDocPtr doc = sg_xmlsafe_parse (xml, strlen (xml), NULL, &diag);
    ck_assert_ptr_nonnull (doc);
    ck_assert_int_eq (diag.code, SG_OK);
    ck_assert_str_eq (diag.text, "");
    xmlNodePtr root = xmlDocGetRootElement (doc);
    ck_assert_str_eq ((const char *) root->name, "Msg");
    ck_assert_str_eq ((const char *) root->ns->href, "urn:sigmat");
    xmlChar *text = xmlNodeGetContent (root->children);
    ck_assert_str_eq ((const char *) text, "caf\xc3\xa9 & A<x>");
    xmlFree (text);
    xmlFreeDoc (doc);

    /* ISO-8859-1 declared: an ASCII-compatible encoding is fine */
    const char *latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\xe9</r>";
    doc = sg_xmlsafe_parse (latin, strlen (latin), NULL, &diag);
    ck_assert_ptr_nonnull (doc);
    text = xmlNodeGetContent (xmlDocGetRootElement (doc));
    ck_assert_str_eq ((const char *) text, "\xc3\xa9");
    xmlFree (text);
    xmlFreeDoc (doc);
}
END_TEST

/* The text children of n joined with '|', element children as <name>. */
static void
s_children (xmlNodePtr n, char *out, size_t size)
{
    out[0] = '\0';
    for (xmlNodePtr c = n->children; c; c = c->next) {
        size_t len = strlen (out);
        if (c->type == XML_ELEMENT_NODE)
            snprintf (out + len, size - len, "<%s>|", (const char *) c->name);
        else if (c->type == XML_TEXT_NODE)
            snprintf (out + len, size - len, "'%s'|", (const char *) c->content);
        else
            snprintf (out + len, size - len, "#%d|", (int) c->type);
    }
}

/* SG_XMLSAFE_ELEMENT_ONLY drops whitespace beside elements and nothing else. */
START_TEST (test_element_only)
{
    const char *xml = "<r>\n  <a>  </a>\n  <b> x </b>\t<c>\n<d/>\n</c>\n"
                      "  <e> <!-- c --> </e><f>\n</f>\n  <g>t <h/> u</g>\n</r>\n";
    sg_diag_t diag;
    xmlDocPtr doc = sg_xmlsafe_parse_flags (xml, strlen (xml), NULL, SG_XMLSAFE_ELEMENT_ONLY,
                                            &diag);
    ck_assert_ptr_nonnull (doc);
    xmlNodePtr r = xmlDocGetRootElement (doc);
    char got[256];
    s_children (r, got, sizeof got);
    ck_assert_str_eq (got, "<a>|<b>|<c>|<e>|<f>|<g>|");
    xmlNodePtr a = r->children, b = a->next, c = b->next, e = c->next, f = e->next;
    xmlNodePtr g = f->next;
    s_children (a, got, sizeof got);
    ck_assert_str_eq (got, "'  '|");            /* whitespace as the whole content stays */
    s_children (b, got, sizeof got);
    ck_assert_str_eq (got, "' x '|");
    s_children (c, got, sizeof got);
    ck_assert_str_eq (got, "<d>|");
    s_children (e, got, sizeof got);
    ck_assert_str_eq (got, "' '|#8|' '|");     /* beside a comment: kept */
    s_children (f, got, sizeof got);
    ck_assert_str_eq (got, "'\n'|");
    s_children (g, got, sizeof got);
    ck_assert_str_eq (got, "'t '|<h>|' u'|");  /* mixed text is never touched */
    ck_assert_int_eq (xmlGetLineNo (g), 8);
    xmlFreeDoc (doc);

    /* without the flag every text node stays */
    doc = sg_xmlsafe_parse (xml, strlen (xml), NULL, &diag);
    ck_assert_ptr_nonnull (doc);
    s_children (xmlDocGetRootElement (doc), got, sizeof got);
    ck_assert_str_eq (got, "'\n  '|<a>|'\n  '|<b>|'\t'|<c>|'\n  '|<e>|<f>|'\n  '|<g>|'\n'|");
    xmlFreeDoc (doc);

    /* the limits and refusals are the same with the flag */
    const char *dtd = "<!DOCTYPE r [<!ENTITY x \"y\">]>\n<r>\n  <a>&x;</a>\n</r>";
    ck_assert_ptr_null (sg_xmlsafe_parse_flags (dtd, strlen (dtd), NULL, SG_XMLSAFE_ELEMENT_ONLY,
                                                &diag));
    ck_assert_int_eq (diag.code, SG_EXML);
    ck_assert_ptr_nonnull (strstr (diag.text, "DOCTYPE not allowed"));
    sg_xmlsafe_limits_t lim = { .max_depth = 2 };
    const char *deep = "<r>\n <a>\n  <b/>\n </a>\n</r>";
    ck_assert_ptr_null (sg_xmlsafe_parse_flags (deep, strlen (deep), &lim,
                                                SG_XMLSAFE_ELEMENT_ONLY, &diag));
    ck_assert_int_eq (diag.code, SG_ETOODEEP);
    ck_assert_int_eq (diag.line, 3);
}
END_TEST

/* XInclude is never processed: the element stays, its target is never read. */
START_TEST (test_xinclude_not_expanded)
{
    buf_t in = { 0 };
    s_printf (&in, "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
                   "<xi:include href=\"file://%s\" parse=\"text\"/></r>", s_secret);
    sg_diag_t diag;
    xmlDocPtr doc = sg_xmlsafe_parse (in.p, in.len, NULL, &diag);
    ck_assert_ptr_nonnull (doc);
    xmlNodePtr inc = xmlDocGetRootElement (doc)->children;
    ck_assert_str_eq ((const char *) inc->name, "include");
    xmlChar *out = NULL;
    int outlen = 0;
    xmlDocDumpMemory (doc, &out, &outlen);
    ck_assert_ptr_nonnull (out);
    ck_assert_ptr_null (strstr ((char *) out, SECRET));
    xmlFree (out);
    xmlFreeDoc (doc);
    free (in.p);
}
END_TEST

/* The process-wide loader also protects code that calls libxml2 directly
 * with dangerous options. */
START_TEST (test_loader_refuses)
{
    sg_xmlsafe_init ();
    buf_t in = { 0 };
    s_printf (&in, "<!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s\">]><r>&x;</r>", s_secret);
    xmlDocPtr doc = xmlReadMemory (in.p, (int) in.len, NULL, NULL,
                                   XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_NOERROR
                                   | XML_PARSE_NOWARNING);
    if (doc) {
        xmlChar *out = NULL;
        int outlen = 0;
        xmlDocDumpMemory (doc, &out, &outlen);
        ck_assert_ptr_null (strstr ((char *) out, SECRET));
        xmlFree (out);
        xmlFreeDoc (doc);
    }
    free (in.p);
    ck_assert_ptr_null (xmlReadFile (s_inside, NULL, XML_PARSE_NOERROR));
    ck_assert_ptr_null (xmlReadFile ("http://127.0.0.1:1/x.xml", NULL, XML_PARSE_NOERROR));
}
END_TEST

/* Inside a trusted window, only files under its folder can be read. */
START_TEST (test_loader_trusted_window)
{
    sg_diag_t diag;
    char sub[300], outside[300];
    snprintf (sub, sizeof sub, "%s/sub", s_tmp);
    snprintf (outside, sizeof outside, "%s/sub/../inside.xml", s_tmp);
    ck_assert_int_eq (sg_xmlsafe_trusted_begin (s_tmp, &diag), SG_OK);
    xmlDocPtr doc = xmlReadFile (s_inside, NULL, XML_PARSE_NOERROR);
    ck_assert_ptr_nonnull (doc);
    xmlFreeDoc (doc);
    ck_assert_ptr_null (xmlReadFile ("/etc/passwd", NULL, XML_PARSE_NOERROR));
    ck_assert_ptr_null (xmlReadFile ("http://127.0.0.1:1/x.xml", NULL, XML_PARSE_NOERROR));
    sg_xmlsafe_trusted_end ();
    ck_assert_int_eq (sg_xmlsafe_trusted_begin (sub, &diag), SG_OK);
    ck_assert_ptr_null (xmlReadFile (outside, NULL, XML_PARSE_NOERROR));
    sg_xmlsafe_trusted_end ();
    ck_assert_ptr_null (xmlReadFile (s_inside, NULL, XML_PARSE_NOERROR));
    ck_assert_int_eq (sg_xmlsafe_trusted_begin ("/nonexistent/dir", &diag), SG_EIO);
    ck_assert_ptr_null (xmlReadFile (s_inside, NULL, XML_PARSE_NOERROR));
}
END_TEST

START_TEST (test_limits)
{
    sg_xmlsafe_limits_t lim = { .max_bytes = 100, .max_depth = 3 };
    sg_diag_t diag;
    const char *ok = "<a><b><c/></b></a>";
    const char *deep = "<a><b><c><d/></c></b></a>";
    xmlDocPtr doc = sg_xmlsafe_parse (ok, strlen (ok), &lim, &diag);
    ck_assert_ptr_nonnull (doc);
    xmlFreeDoc (doc);
    ck_assert_ptr_null (sg_xmlsafe_parse (deep, strlen (deep), &lim, &diag));
    ck_assert_int_eq (diag.code, SG_ETOODEEP);
    ck_assert_str_eq (diag.text, "document nested deeper than 3 elements (line 1)");

    char big[101];
    memset (big, ' ', sizeof big);
    memcpy (big, "<a>", 3);
    memcpy (big + 97, "</a>", 4);
    ck_assert_ptr_null (sg_xmlsafe_parse (big, 101, &lim, &diag));
    ck_assert_int_eq (diag.code, SG_ETOOBIG);
    ck_assert_int_eq (diag.nak, SG_NAK_TOO_LARGE);
    ck_assert_str_eq (diag.text, "input is 101 bytes, limit is 100");
    doc = sg_xmlsafe_parse (big, 100 - 3, &lim, &diag);     /* "<a>  ...  " unclosed */
    ck_assert_ptr_null (doc);
    ck_assert_int_eq (diag.code, SG_EXML);

    /* the default depth: 64 levels pass, 65 do not */
    buf_t in = { 0 };
    for (int i = 0; i < 64; i++)
        s_puts (&in, "<a>");
    for (int i = 0; i < 64; i++)
        s_puts (&in, "</a>");
    doc = sg_xmlsafe_parse (in.p, in.len, NULL, &diag);
    ck_assert_ptr_nonnull (doc);
    xmlFreeDoc (doc);
    free (in.p);
    in = (buf_t) { 0 };
    for (int i = 0; i < 65; i++)
        s_puts (&in, "<a>\n");
    ck_assert_ptr_null (sg_xmlsafe_parse (in.p, in.len, NULL, &diag));
    ck_assert_int_eq (diag.code, SG_ETOODEEP);
    ck_assert_int_eq (diag.line, 65);
    free (in.p);
}
END_TEST

START_TEST (test_attribute_limit)
{
    sg_diag_t diag;
    char tmp[32];
    for (int n = 256; n <= 257; n++) {
        buf_t in = { 0 };
        s_puts (&in, "<!-- a=1 b=2 --><r x='a=b>c'");
        for (int i = 1; i < n; i++) {
            snprintf (tmp, sizeof tmp, " a%d=\"=\"", i);
            s_puts (&in, tmp);
        }
        s_puts (&in, "><![CDATA[ a=b ]]></r>");
        xmlDocPtr doc = sg_xmlsafe_parse (in.p, in.len, NULL, &diag);
        if (n == 256) {
            ck_assert_msg (doc != NULL, "256 attributes refused: %s", diag.text);
            xmlFreeDoc (doc);
        }
        else {
            ck_assert_ptr_null (doc);
            ck_assert_str_eq (diag.text, "element at line 1 has more than 256 attributes");
        }
        free (in.p);
    }
}
END_TEST

START_TEST (test_parse_file)
{
    sg_diag_t diag;
    xmlDocPtr doc = sg_xmlsafe_parse_file (s_inside, NULL, &diag);
    ck_assert_ptr_nonnull (doc);
    xmlFreeDoc (doc);
    sg_xmlsafe_limits_t lim = { .max_bytes = 10 };
    ck_assert_ptr_null (sg_xmlsafe_parse_file (s_inside, &lim, &diag));
    ck_assert_int_eq (diag.code, SG_ETOOBIG);
    ck_assert_ptr_nonnull (strstr (diag.text, "limit is 10"));
    ck_assert_ptr_null (sg_xmlsafe_parse_file ("/nonexistent/x.xml", NULL, &diag));
    ck_assert_int_eq (diag.code, SG_EIO);
    ck_assert_ptr_null (sg_xmlsafe_parse_file (s_secret, NULL, &diag));
    ck_assert_int_eq (diag.code, SG_EXML);
    ck_assert_ptr_null (strstr (diag.text, SECRET));
}
END_TEST

/* Nothing reaches stderr, whatever the input. */
START_TEST (test_silent)
{
    char path[300];
    snprintf (path, sizeof path, "%s/stderr.txt", s_tmp);
    fflush (stderr);
    int saved = dup (2);
    FILE *f = fopen (path, "w+");
    ck_assert_ptr_nonnull (f);
    dup2 (fileno (f), 2);
    sg_diag_t diag;
    for (size_t i = 0; i < sizeof s_hostile / sizeof s_hostile[0]; i++) {
        if (s_hostile[i].fmt && !strstr (s_hostile[i].fmt, "%s")) {
            xmlDocPtr doc = sg_xmlsafe_parse (s_hostile[i].fmt, strlen (s_hostile[i].fmt),
                                           NULL, &diag);
            xmlFreeDoc (doc);
        }
    }
    xmlFreeDoc (sg_xmlsafe_parse_file ("/nonexistent", NULL, &diag));
    /* libxml2 used directly, without options: its generic channel is silenced */
    xmlFreeDoc (xmlReadMemory ("<r><a></r>", 10, NULL, NULL, 0));
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fclose (f);
    ck_assert_int_eq (size, 0);
}
END_TEST

static void *
s_thread (void *arg)
{
    long id = (long) arg;
    char bad[64], good[64];
    snprintf (bad, sizeof bad, "<r>\n<t%ld>\n</x></r>", id);
    snprintf (good, sizeof good, "<r><t%ld/></r>", id);
    for (int i = 0; i < 500; i++) {
        sg_diag_t diag;
        xmlDocPtr doc = sg_xmlsafe_parse (bad, strlen (bad), NULL, &diag);
        char want[64];
        snprintf (want, sizeof want, "mismatch: t%ld line 2 and x", id);
        if (doc || diag.line != 3 || !strstr (diag.text, want))
            return (void *) 1;
        doc = sg_xmlsafe_parse (good, strlen (good), NULL, &diag);
        if (!doc || diag.code != SG_OK)
            return (void *) 1;
        xmlFreeDoc (doc);
    }
    return NULL;
}

/* Errors are captured per parse: threads never see each other's. */
START_TEST (test_threads)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        ck_assert_int_eq (pthread_create (&t[i], NULL, s_thread, (void *) i), 0);
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join (t[i], &ret);
        ck_assert_ptr_null (ret);
    }
}
END_TEST

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (!f || fputs (text, f) < 0 || fclose (f) != 0) {
        perror (path);
        exit (EXIT_FAILURE);
    }
}

int
main (void)
{
    sg_xmlsafe_init ();
    snprintf (s_tmp, sizeof s_tmp, "/tmp/check_xmlsafe.XXXXXX");
    if (!mkdtemp (s_tmp)) {
        perror ("mkdtemp");
        return EXIT_FAILURE;
    }
    char sub[300];
    snprintf (sub, sizeof sub, "%s/sub", s_tmp);
    mkdir (sub, 0700);
    snprintf (s_secret, sizeof s_secret, "%s/secret.txt", s_tmp);
    snprintf (s_inside, sizeof s_inside, "%s/inside.xml", s_tmp);
    s_write (s_secret, SECRET "\n");
    s_write (s_inside, "<r>" SECRET "</r>\n");

    Suite *s = suite_create ("xmlsafe");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, RUNNING_ON_VALGRIND ? 600 : 20);
    tcase_add_loop_test (tc, test_hostile, 0, sizeof s_hostile / sizeof s_hostile[0]);
    tcase_add_test (tc, test_good);
    tcase_add_test (tc, test_element_only);
    tcase_add_test (tc, test_xinclude_not_expanded);
    tcase_add_test (tc, test_loader_refuses);
    tcase_add_test (tc, test_loader_trusted_window);
    tcase_add_test (tc, test_limits);
    tcase_add_test (tc, test_attribute_limit);
    tcase_add_test (tc, test_parse_file);
    tcase_add_test (tc, test_silent);
    tcase_add_test (tc, test_threads);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);

    char path[300];
    unlink (s_secret);
    unlink (s_inside);
    snprintf (path, sizeof path, "%s/stderr.txt", s_tmp);
    unlink (path);
    rmdir (sub);
    rmdir (s_tmp);
    xmlCleanupParser ();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
