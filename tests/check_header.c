/* check_header.c - unit tests for proto/header.c: the SGTP/1 header frame
 * (round trip, strict syntax, limits, required keys, Created times). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "header.h"

static const char *GOOD =
    "Message-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\n"
    "Type: DEC\n"
    "Mrn: 24GB000246J8NY33L7\n"
    "Sender: CI000101\n"
    "Recipient: BF000201\n"
    "Created: 2024-05-01T12:00:00.123Z\n"
    "Origin-Node: sigmat-ci\n";

/* Parses text, expecting failure; returns the diagnostic. */
static sg_diag_t
t_parse_fails (const char *text, size_t len, int code)
{
    sg_hdr_t *h = (sg_hdr_t *) 1;
    sg_diag_t d;
    sg_diag_clear (&d);
    int rc = sg_hdr_parse (text, len, &h, &d);
    ck_assert_msg (rc == code, "'%.*s': rc %d, expected %d (%s)", (int) len, text, rc, code,
                   d.text);
    ck_assert_int_eq (d.code, code);
    ck_assert_ptr_null (h);
    return d;
}

static sg_hdr_t *
t_parse_ok (const char *text)
{
    sg_hdr_t *h = NULL;
    sg_diag_t d;
    sg_diag_clear (&d);
    int rc = sg_hdr_parse (text, strlen (text), &h, &d);
    ck_assert_msg (rc == SG_OK, "parse failed: %s", d.text);
    ck_assert_ptr_nonnull (h);
    return h;
}

START_TEST (test_round_trip)
{
    sg_hdr_t *h = sg_hdr_new ();
    ck_assert_ptr_nonnull (h);
    ck_assert_int_eq (sg_hdr_set (h, "Message-Id", "0f8fad5b-d9cb-469f-a165-70867728950e"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Type", "DEC"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Mrn", "24GB000246J8NY33L7"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Sender", "CI000101"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Recipient", "BF000201"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Created", "2024-05-01T12:00:00.123Z"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Origin-Node", "sigmat-ci"), SG_OK);
    ck_assert_int_eq (sg_hdr_check_required (h, NULL), SG_OK);
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq (sg_hdr_encode (h, &buf, &len), SG_OK);
    ck_assert_str_eq (buf, GOOD);
    ck_assert_uint_eq (len, strlen (GOOD));
    free (buf);

    /* Extensions and UTF-8 values survive, in order. */
    ck_assert_int_eq (sg_hdr_set (h, "X-Corridor", "Abidjan-Ouagadougou"), SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "Correlation-Id", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                      SG_OK);
    ck_assert_int_eq (sg_hdr_set (h, "X-Office-Name",
                                  "C\xc3\xb4te d'Ivoire \xe2\x82\xac \xf0\x9f\x9a\x9a"),
                      SG_OK);
    ck_assert_int_eq (sg_hdr_encode (h, &buf, &len), SG_OK);
    sg_hdr_t *back = t_parse_ok (buf);
    ck_assert_uint_eq (sg_hdr_count (back), 10);
    for (size_t i = 0; i < sg_hdr_count (h); i++) {
        ck_assert_str_eq (sg_hdr_key_at (back, i), sg_hdr_key_at (h, i));
        ck_assert_str_eq (sg_hdr_value_at (back, i), sg_hdr_value_at (h, i));
    }
    ck_assert_ptr_null (sg_hdr_key_at (back, 10));
    ck_assert_ptr_null (sg_hdr_value_at (back, 10));
    ck_assert_int_eq (sg_hdr_check_required (back, NULL), SG_OK);
    char *again = NULL;
    size_t again_len = 0;
    ck_assert_int_eq (sg_hdr_encode (back, &again, &again_len), SG_OK);
    ck_assert_uint_eq (again_len, len);
    ck_assert (memcmp (again, buf, len) == 0);
    free (again);
    free (buf);
    sg_hdr_destroy (&back);
    sg_hdr_destroy (&h);
    ck_assert_ptr_null (h);
    sg_hdr_destroy (&h);
    sg_hdr_destroy (NULL);
}
END_TEST

START_TEST (test_parse_forms)
{
    /* The last LF is optional; the buffer need not be NUL-terminated. */
    size_t len = strlen (GOOD);
    char *copy = malloc (len + 5);
    memcpy (copy, GOOD, len - 1);
    memcpy (copy + len - 1, "XXXXX", 5);
    sg_hdr_t *h = NULL;
    ck_assert_int_eq (sg_hdr_parse (copy, len - 1, &h, NULL), SG_OK);
    ck_assert_str_eq (sg_hdr_get (h, "Origin-Node"), "sigmat-ci");
    ck_assert_int_eq (sg_hdr_check_required (h, NULL), SG_OK);
    sg_hdr_destroy (&h);
    free (copy);

    h = t_parse_ok (GOOD);
    ck_assert_uint_eq (sg_hdr_count (h), 7);
    ck_assert_str_eq (sg_hdr_get (h, "Mrn"), "24GB000246J8NY33L7");
    ck_assert_str_eq (sg_hdr_get (h, "Created"), "2024-05-01T12:00:00.123Z");
    ck_assert_ptr_null (sg_hdr_get (h, "mrn"));                /* case-sensitive */
    ck_assert_ptr_null (sg_hdr_get (h, "Correlation-Id"));
    ck_assert_ptr_null (sg_hdr_get (h, NULL));
    /* Values may contain ':' and inner spaces. */
    sg_hdr_destroy (&h);
    h = t_parse_ok ("X-Note: a: b  c\nX-Url: http://x:8080/");
    ck_assert_str_eq (sg_hdr_get (h, "X-Note"), "a: b  c");
    ck_assert_str_eq (sg_hdr_get (h, "X-Url"), "http://x:8080/");
    sg_hdr_destroy (&h);
}
END_TEST

START_TEST (test_extensions_in_order)
{
    char text[1024];
    snprintf (text, sizeof text, "X-Zeta: 1\n%sX-Alpha: 2\nX-Mid-Key: three\n", GOOD);
    sg_hdr_t *h = t_parse_ok (text);
    ck_assert_uint_eq (sg_hdr_count (h), 10);
    ck_assert_str_eq (sg_hdr_key_at (h, 0), "X-Zeta");
    ck_assert_str_eq (sg_hdr_key_at (h, 1), "Message-Id");
    ck_assert_str_eq (sg_hdr_key_at (h, 8), "X-Alpha");
    ck_assert_str_eq (sg_hdr_key_at (h, 9), "X-Mid-Key");
    ck_assert_str_eq (sg_hdr_value_at (h, 9), "three");
    ck_assert_int_eq (sg_hdr_check_required (h, NULL), SG_OK);
    char *buf;
    size_t len;
    ck_assert_int_eq (sg_hdr_encode (h, &buf, &len), SG_OK);
    ck_assert_str_eq (buf, text);
    free (buf);
    sg_hdr_destroy (&h);
}
END_TEST

START_TEST (test_missing_required)
{
    const char *keys[] = { "Message-Id", "Type", "Mrn", "Sender", "Recipient", "Created",
                           "Origin-Node" };
    for (size_t k = 0; k < 7; k++) {
        /* GOOD without the line of key k. */
        char text[1024] = "";
        const char *p = GOOD;
        while (*p) {
            const char *eol = strchr (p, '\n');
            if (strncmp (p, keys[k], strlen (keys[k])) != 0 || p[strlen (keys[k])] != ':')
                strncat (text, p, (size_t) (eol - p + 1));
            p = eol + 1;
        }
        sg_hdr_t *h = t_parse_ok (text);
        ck_assert_uint_eq (sg_hdr_count (h), 6);
        sg_diag_t d;
        sg_diag_clear (&d);
        ck_assert_int_eq (sg_hdr_check_required (h, &d), SG_EINVAL);
        ck_assert_int_eq (d.nak, SG_NAK_MISSING_ELEMENT);
        char want[64];
        snprintf (want, sizeof want, "header %s is missing", keys[k]);
        ck_assert_str_eq (d.text, want);
        sg_hdr_destroy (&h);
    }
    /* A key in another case is not the required key. */
    sg_hdr_t *h = t_parse_ok ("Message-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\nTYPE: DEC\n");
    sg_diag_t d;
    ck_assert_int_eq (sg_hdr_check_required (h, &d), SG_EINVAL);
    ck_assert_str_eq (d.text, "header Type is missing");
    sg_hdr_destroy (&h);
    ck_assert_int_eq (sg_hdr_check_required (NULL, &d), SG_EINVAL);
}
END_TEST

START_TEST (test_bad_values)
{
    struct { const char *key, *value; int code, nak; const char *why; } cases[] = {
        { "Message-Id", "0f8fad5b-d9cb-469f-a165-70867728950", SG_EINVAL, 12, "Message-Id" },
        { "Message-Id", "not-a-uuid", SG_EINVAL, 12, "is not a UUID" },
        { "Type", "DE", SG_EINVAL, 12, "Type 'DE' is not 3 letters" },
        { "Type", "DECL", SG_EINVAL, 12, "Type" },
        { "Type", "dec", SG_EINVAL, 12, "Type" },
        { "Mrn", "24GB000246J8NY33L1", SG_EMRN, 93,
          "header Mrn: wrong check digit '1' (expected '7')" },
        { "Mrn", "24gb000246J8NY33L7", SG_EMRN, 93, "country" },
        { "Sender", "ci000101", SG_EINVAL, 12, "header Sender: office reference country" },
        { "Recipient", "BF00020", SG_EINVAL, 12, "header Recipient: office reference has 7" },
        { "Created", "2024-13-01T00:00:00Z", SG_EINVAL, 12, "Created" },
        { "Created", "2023-02-29T00:00:00Z", SG_EINVAL, 12, "RFC 3339" },
        { "Created", "2024-04-31T00:00:00Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T24:00:00Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:60:00Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:00:61Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01 12:00:00Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01t12:00:00z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:00:00+00:00", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:00:00", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:00:00.Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:00:00.1234567890Z", SG_EINVAL, 12, "Created" },
        { "Created", "2024-05-01T12:00:00ZZ", SG_EINVAL, 12, "Created" },
        { "Created", "2024-5-01T12:00:00Z", SG_EINVAL, 12, "Created" },
        { "Origin-Node", "node ci", SG_EINVAL, 12, "Origin-Node 'node ci' is not a node name" },
        { "Origin-Node", "n\xc3\xb6" "de", SG_EINVAL, 12, "Origin-Node" },
        { "Correlation-Id", "42", SG_EINVAL, 12, "Correlation-Id '42' is not a UUID" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_hdr_t *h = t_parse_ok (GOOD);
        ck_assert_int_eq (sg_hdr_set (h, cases[i].key, cases[i].value), SG_OK);
        sg_diag_t d;
        sg_diag_clear (&d);
        int rc = sg_hdr_check_required (h, &d);
        ck_assert_msg (rc == cases[i].code, "%s: %s gave %d (%s)", cases[i].key,
                       cases[i].value, rc, d.text);
        ck_assert_int_eq (d.nak, cases[i].nak);
        ck_assert_msg (strstr (d.text, cases[i].why), "case %zu: '%s' lacks '%s'", i, d.text,
                       cases[i].why);
        /* The line of the bad value (Correlation-Id is appended as line 8). */
        int line = 0;
        for (size_t k = 0; k < sg_hdr_count (h); k++)
            if (strcmp (sg_hdr_key_at (h, k), cases[i].key) == 0)
                line = (int) k + 1;
        ck_assert_int_eq (d.line, line);
        sg_hdr_destroy (&h);
    }
    /* A long bad value is cut in the reason, on a character boundary. */
    sg_hdr_t *h = t_parse_ok (GOOD);
    char longv[300];
    memset (longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    ck_assert_int_eq (sg_hdr_set (h, "Type", longv), SG_OK);
    sg_diag_t d;
    ck_assert_int_eq (sg_hdr_check_required (h, &d), SG_EINVAL);
    ck_assert_ptr_nonnull (strstr (d.text, "xxx...' is not 3 letters"));
    sg_hdr_destroy (&h);
}
END_TEST

START_TEST (test_created_good)
{
    const char *good[] = { "2024-02-29T23:59:59Z", "2000-02-29T00:00:00Z", "2024-05-01T12:00:00.5Z",
                           "2024-05-01T12:00:00.123456789Z", "2016-12-31T23:59:60Z",
                           "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        sg_hdr_t *h = t_parse_ok (GOOD);
        ck_assert_int_eq (sg_hdr_set (h, "Created", good[i]), SG_OK);
        sg_diag_t d;
        ck_assert_msg (sg_hdr_check_required (h, &d) == SG_OK, "%s: %s", good[i], d.text);
        sg_hdr_destroy (&h);
    }
    ck_assert_int_eq (sg_hdr_time_parse ("1900-02-29T00:00:00Z", NULL), SG_EINVAL);
    ck_assert_int_eq (sg_hdr_time_parse (NULL, NULL), SG_EINVAL);
    ck_assert_int_eq (sg_hdr_time_parse ("", NULL), SG_EINVAL);
}
END_TEST

START_TEST (test_time_values)
{
    int64_t ms = -1;
    ck_assert_int_eq (sg_hdr_time_parse ("1970-01-01T00:00:00Z", &ms), SG_OK);
    ck_assert_int_eq (ms, 0);
    ck_assert_int_eq (sg_hdr_time_parse ("2024-05-01T12:00:00.123Z", &ms), SG_OK);
    ck_assert_int_eq (ms, INT64_C (1714564800123));
    ck_assert_int_eq (sg_hdr_time_parse ("2024-05-01T12:00:00.1Z", &ms), SG_OK);
    ck_assert_int_eq (ms, INT64_C (1714564800100));
    ck_assert_int_eq (sg_hdr_time_parse ("2024-05-01T12:00:00.987654321Z", &ms), SG_OK);
    ck_assert_int_eq (ms, INT64_C (1714564800987));
    char out[SG_HDR_TIME_LEN + 1];
    sg_hdr_time_format (INT64_C (1714564800123), out);
    ck_assert_str_eq (out, "2024-05-01T12:00:00.123Z");
    sg_hdr_time_format (0, out);
    ck_assert_str_eq (out, "1970-01-01T00:00:00.000Z");

    /* Against libc's timegm/gmtime for random instants up to year 2200. */
    srand (7);
    for (int i = 0; i < 2000; i++) {
        int64_t t = ((int64_t) rand () << 31 | rand ()) % INT64_C (7258118400000);
        sg_hdr_time_format (t, out);
        ck_assert_uint_eq (strlen (out), SG_HDR_TIME_LEN);
        int64_t back;
        ck_assert_int_eq (sg_hdr_time_parse (out, &back), SG_OK);
        ck_assert_int_eq (back, t);
        time_t secs = (time_t) (t / 1000);
        struct tm tm;
        gmtime_r (&secs, &tm);
        char want[32];
        strftime (want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        ck_assert (strncmp (out, want, 19) == 0);
    }
    sg_hdr_time_now (out);
    ck_assert_int_eq (sg_hdr_time_parse (out, &ms), SG_OK);
    int64_t now = (int64_t) time (NULL) * 1000;
    ck_assert (ms > now - 5000 && ms < now + 5000);
}
END_TEST

START_TEST (test_syntax_errors)
{
    struct { const char *text; int line; const char *why; } cases[] = {
        { "Mrn: a\nMrn: b", 2, "line 2: duplicate key 'Mrn' (first on line 1)" },
        { "Mrn: a\nType: b\nMRN: c\n", 3, "duplicate key 'MRN'" },
        { "Mrn: x\r\nType: DEC\n", 1, "carriage return" },
        { "Mrn\n", 1, "line 1: no ':'" },
        { "Type: DEC\nMrn", 2, "line 2: no ':'" },
        { "Mrn:", 1, "expected one space after 'Mrn:'" },
        { "Mrn:x", 1, "expected one space" },
        { "Mrn: ", 1, "empty value" },
        { "Mrn:  x", 1, "value starts with a space" },
        { "Mrn: x ", 1, "value ends with a space" },
        { " Mrn: x", 1, "character not allowed in a key" },
        { "X_Y: z", 1, "character not allowed in a key" },
        { "K\xc3\xa4se: x", 1, "character not allowed in a key" },
        { ": x", 1, "empty key" },
        { "\n", 1, "line 1: empty line" },
        { "A: b\n\nC: d", 2, "line 2: empty line" },
        { "A: b\n\n", 2, "empty line" },
        { "A: b\tc", 1, "control character" },
        { "A: b\x7f", 1, "control character" },
        { "A: \xc2\x85", 1, "control character" },
        { "A: \xc3\x28", 1, "invalid UTF-8" },
        { "A: \xc0\xaf", 1, "invalid UTF-8" },
        { "A: \xe0\x80\xaf", 1, "invalid UTF-8" },
        { "A: \xed\xa0\x80", 1, "invalid UTF-8" },
        { "A: \xf4\x90\x80\x80", 1, "invalid UTF-8" },
        { "A: \xf8\x88\x80\x80\x80", 1, "invalid UTF-8" },
        { "A: \xe2\x82", 1, "truncated UTF-8" },
        { "A: \xe2\x82\nB: c", 1, "truncated UTF-8" },
        { "A: \x80", 1, "invalid UTF-8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_diag_t d = t_parse_fails (cases[i].text, strlen (cases[i].text), SG_EPROTO);
        ck_assert_int_eq (d.nak, SG_NAK_INCORRECT_VALUE);
        ck_assert_msg (d.line == cases[i].line, "case %zu: line %d", i, d.line);
        ck_assert_msg (strstr (d.text, cases[i].why), "case %zu: '%s' lacks '%s'", i, d.text,
                       cases[i].why);
    }
    /* NUL bytes inside a value or a key (explicit lengths). */
    sg_diag_t d = t_parse_fails ("Mrn: a\0b\n", 9, SG_EPROTO);
    ck_assert_ptr_nonnull (strstr (d.text, "NUL byte"));
    d = t_parse_fails ("Mr\0n: ab\n", 9, SG_EPROTO);
    ck_assert_ptr_nonnull (strstr (d.text, "character not allowed in a key"));
    /* A key of 64 characters is fine, 65 is not. */
    char key[80];
    memset (key, 'K', 64);
    strcpy (key + 64, ": v");
    sg_hdr_t *h = t_parse_ok (key);
    sg_hdr_destroy (&h);
    memset (key, 'K', 65);
    strcpy (key + 65, ": v");
    d = t_parse_fails (key, strlen (key), SG_EPROTO);
    ck_assert_ptr_nonnull (strstr (d.text, "longer than 64"));
    /* Valid multi-byte UTF-8 passes. */
    h = t_parse_ok ("A: \xe2\x82\xac\nB: \xf0\x9f\x9a\x9a\nC: \xc2\xa0x\nD: \xef\xbf\xbd");
    sg_hdr_destroy (&h);
}
END_TEST

START_TEST (test_empty_and_limits)
{
    sg_diag_t d = t_parse_fails ("", 0, SG_EPROTO);
    ck_assert_int_eq (d.nak, SG_NAK_MISSING_ELEMENT);
    ck_assert_str_eq (d.text, "header is empty");
    d = t_parse_fails (NULL, 0, SG_EPROTO);
    ck_assert_int_eq (sg_hdr_parse (GOOD, strlen (GOOD), NULL, NULL), SG_EINVAL);

    /* Exactly SG_HDR_MAX_BYTES parses; one byte more does not. */
    char *big = malloc (SG_HDR_MAX_BYTES + 2);
    memcpy (big, "X-Pad: ", 7);
    memset (big + 7, 'p', SG_HDR_MAX_BYTES - 7);
    sg_hdr_t *h = NULL;
    ck_assert_int_eq (sg_hdr_parse (big, SG_HDR_MAX_BYTES, &h, NULL), SG_OK);
    ck_assert_uint_eq (strlen (sg_hdr_get (h, "X-Pad")), SG_HDR_MAX_BYTES - 7);
    /* ...but it cannot be encoded again with its LF (one byte over). */
    char *enc;
    size_t len;
    ck_assert_int_eq (sg_hdr_encode (h, &enc, &len), SG_ETOOBIG);
    sg_hdr_destroy (&h);
    big[SG_HDR_MAX_BYTES] = 'p';
    d = t_parse_fails (big, SG_HDR_MAX_BYTES + 1, SG_ETOOBIG);
    ck_assert_int_eq (d.nak, SG_NAK_TOO_LARGE);
    free (big);

    /* 64 lines parse, 65 do not. */
    char lines[2048] = "";
    for (int i = 0; i < SG_HDR_MAX_LINES; i++) {
        char line[32];
        snprintf (line, sizeof line, "X-L%d: %d\n", i, i);
        strcat (lines, line);
    }
    h = t_parse_ok (lines);
    ck_assert_uint_eq (sg_hdr_count (h), SG_HDR_MAX_LINES);
    ck_assert_str_eq (sg_hdr_key_at (h, 63), "X-L63");
    ck_assert_int_eq (sg_hdr_set (h, "X-One-More", "x"), SG_ETOOBIG);
    ck_assert_int_eq (sg_hdr_set (h, "X-L5", "replaced"), SG_OK);   /* replacing is fine */
    sg_hdr_destroy (&h);
    strcat (lines, "X-L64: 64\n");
    d = t_parse_fails (lines, strlen (lines), SG_ETOOBIG);
    ck_assert_int_eq (d.line, 65);
    ck_assert_int_eq (d.nak, SG_NAK_TOO_LARGE);

    /* Encoding an empty header is refused. */
    h = sg_hdr_new ();
    ck_assert_int_eq (sg_hdr_encode (h, &enc, &len), SG_EINVAL);
    ck_assert_uint_eq (sg_hdr_count (h), 0);
    ck_assert_uint_eq (sg_hdr_count (NULL), 0);
    sg_hdr_destroy (&h);
}
END_TEST

START_TEST (test_set)
{
    sg_hdr_t *h = t_parse_ok (GOOD);
    /* Replacing keeps the position, in a parsed header too. */
    ck_assert_int_eq (sg_hdr_set (h, "Type", "REL"), SG_OK);
    ck_assert_str_eq (sg_hdr_key_at (h, 1), "Type");
    ck_assert_str_eq (sg_hdr_get (h, "Type"), "REL");
    ck_assert_int_eq (sg_hdr_set (h, "Type", "ARR"), SG_OK);
    ck_assert_str_eq (sg_hdr_value_at (h, 1), "ARR");
    ck_assert_uint_eq (sg_hdr_count (h), 7);
    /* A different case of an existing key is refused, not added. */
    ck_assert_int_eq (sg_hdr_set (h, "TYPE", "DEC"), SG_EINVAL);
    ck_assert_uint_eq (sg_hdr_count (h), 7);

    const char *bad_keys[] = { "", "X Y", "X:Y", "X_Y", "X\nY", "K\xc3\xa4se" };
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++)
        ck_assert_int_eq (sg_hdr_set (h, bad_keys[i], "v"), SG_EINVAL);
    const char *bad_values[] = { "", "a\nb", "a\rb", " a", "a ", "a\tb", "\xff", "\xc3" };
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++)
        ck_assert_int_eq (sg_hdr_set (h, "X-K", bad_values[i]), SG_EINVAL);
    ck_assert_int_eq (sg_hdr_set (h, NULL, "v"), SG_EINVAL);
    ck_assert_int_eq (sg_hdr_set (h, "X-K", NULL), SG_EINVAL);
    ck_assert_int_eq (sg_hdr_set (NULL, "X-K", "v"), SG_EINVAL);
    ck_assert_uint_eq (sg_hdr_count (h), 7);

    char *huge = malloc (SG_HDR_MAX_BYTES + 2);
    memset (huge, 'h', SG_HDR_MAX_BYTES + 1);
    huge[SG_HDR_MAX_BYTES + 1] = '\0';
    ck_assert_int_eq (sg_hdr_set (h, "X-Huge", huge), SG_ETOOBIG);
    huge[SG_HDR_MAX_BYTES - 100] = '\0';
    ck_assert_int_eq (sg_hdr_set (h, "X-Huge", huge), SG_OK);
    char *enc;
    size_t len;
    ck_assert_int_eq (sg_hdr_encode (h, &enc, &len), SG_ETOOBIG);
    free (huge);
    sg_hdr_destroy (&h);
}
END_TEST

START_TEST (test_node_names)
{
    ck_assert (sg_hdr_node_name_check ("sigmat-ci"));
    ck_assert (sg_hdr_node_name_check ("CI.node_1"));
    char n[80];
    memset (n, 'n', 64);
    n[64] = '\0';
    ck_assert (sg_hdr_node_name_check (n));
    n[64] = 'n';
    n[65] = '\0';
    ck_assert (!sg_hdr_node_name_check (n));
    ck_assert (!sg_hdr_node_name_check (""));
    ck_assert (!sg_hdr_node_name_check ("a b"));
    ck_assert (!sg_hdr_node_name_check ("a/b"));
    ck_assert (!sg_hdr_node_name_check (NULL));
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("header");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_round_trip);
    tcase_add_test (tc, test_parse_forms);
    tcase_add_test (tc, test_extensions_in_order);
    tcase_add_test (tc, test_missing_required);
    tcase_add_test (tc, test_bad_values);
    tcase_add_test (tc, test_created_good);
    tcase_add_test (tc, test_time_values);
    tcase_add_test (tc, test_syntax_errors);
    tcase_add_test (tc, test_empty_and_limits);
    tcase_add_test (tc, test_set);
    tcase_add_test (tc, test_node_names);
    suite_add_tcase (s, tc);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
