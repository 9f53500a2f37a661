/* check_officer.c - the officer token book (adapters/officer.c): the file
 * format and its errors with line numbers, lookups by SHA-256, offices
 * (reference, country, *), reload when the file changes (a bad new file
 * keeps the old tokens), and tokens added from a config. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "officer.h"
#include "testutil.h"

static char s_path[64];

/* Writes text as the token file (new inode and a new time, as an editor or
 * a rename would). */
static void
s_write (const char *text)
{
    char tmp[80];
    snprintf (tmp, sizeof tmp, "%s.tmp", s_path);
    FILE *f = fopen (tmp, "w");
    ck_assert_ptr_nonnull (f);
    fputs (text, f);
    fclose (f);
    ck_assert_int_eq (rename (tmp, s_path), 0);
}

static void
s_setup (void)
{
    snprintf (s_path, sizeof s_path, "/tmp/check_officer.%ld", (long) getpid ());
}

static void
s_teardown (void)
{
    unlink (s_path);
}

static char *
s_line (const char *id, const char *token, const char *offices)
{
    static char buf[512];
    char hex[65];
    officer_hash (token, hex);
    snprintf (buf, sizeof buf, "%s %s %s\n", id, hex, offices);
    return buf;
}

START_TEST (test_lookup)
{
    char text[2048] = "# officers of BF\n\n";
    strcat (text, s_line ("a.ouedraogo@ouaga", "token-of-ouaga-0001", "BF000101"));
    strcat (text, s_line ("poste.niangoloko", "token-of-niang-0001", "BF000201, BF000202 # post"));
    strcat (text, s_line ("chef", "token-of-chef-00001", "BF"));
    s_write (text);
    sg_diag_t d;
    officer_book_t *b = officer_book_new (s_path, &d);
    ck_assert_msg (b != NULL, "%s", d.text);
    ck_assert_uint_eq (officer_book_size (b), 3);
    officer_t o;
    ck_assert (officer_book_find (b, "token-of-ouaga-0001", &o));
    ck_assert_str_eq (o.id, "a.ouedraogo@ouaga");
    ck_assert (officer_may (&o, "BF000101"));
    ck_assert (!officer_may (&o, "BF000201"));
    ck_assert (officer_book_find (b, "token-of-niang-0001", &o));
    ck_assert (officer_may (&o, "BF000202"));
    ck_assert (officer_book_find (b, "token-of-chef-00001", &o));
    ck_assert (officer_may (&o, "BF000501"));
    ck_assert (!officer_may (&o, "CI000101"));
    ck_assert (!officer_book_find (b, "token-of-ouaga-0002", &o));
    ck_assert (!officer_book_find (b, "", &o));
    ck_assert (!officer_book_find (b, NULL, &o));
    officer_book_destroy (&b);
    ck_assert_ptr_null (b);
}
END_TEST

START_TEST (test_errors)
{
    struct { const char *text; const char *want; } bad[] = {
        { "x\n", ":1: expected ID SHA256" },
        { "bad/id 0000000000000000000000000000000000000000000000000000000000000000 BF\n",
          "officer id \"bad/id\"" },
        { "a literal-token-is-refused-here BF\n", "must be given as its SHA-256" },
        { "a 0000000000000000000000000000000000000000000000000000000000000000 B1\n",
          "is not an office reference" },
        { "# c\na 0000000000000000000000000000000000000000000000000000000000000000 BF\n"
          "b 0000000000000000000000000000000000000000000000000000000000000000 CI\n",
          ":3: officer b: the id or the token is already on another line" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_write (bad[i].text);
        sg_diag_t d;
        officer_book_t *b = officer_book_new (s_path, &d);
        ck_assert_ptr_null (b);
        ck_assert_msg (strstr (d.text, bad[i].want), "%zu: \"%s\" lacks \"%s\"", i, d.text,
                       bad[i].want);
    }
    sg_diag_t d;
    ck_assert_ptr_null (officer_book_new ("/nonexistent/officers", &d));
}
END_TEST

START_TEST (test_reload)
{
    s_write (s_line ("one", "token-number-one-0001", "BF000101"));
    sg_diag_t d;
    officer_book_t *b = officer_book_new (s_path, &d);
    ck_assert_ptr_nonnull (b);
    officer_t o;
    ck_assert (officer_book_find (b, "token-number-one-0001", &o));
    /* the first token revoked, a second one added */
    char text[1024] = "";
    strcat (text, s_line ("two", "token-number-two-0002", "BF000201"));
    s_write (text);
    ck_assert_int_eq (officer_book_reload (b, 0, &d), SG_OK);
    ck_assert (!officer_book_find (b, "token-number-one-0001", &o));
    ck_assert (officer_book_find (b, "token-number-two-0002", &o));
    ck_assert_str_eq (o.id, "two");
    /* a broken file keeps what was there */
    s_write ("broken line\n");
    ck_assert_int_eq (officer_book_reload (b, 1, &d), SG_ECONFIG);
    ck_assert (officer_book_find (b, "token-number-two-0002", &o));
    officer_book_destroy (&b);
}
END_TEST

START_TEST (test_added)
{
    sg_diag_t d;
    officer_book_t *b = officer_book_new (NULL, &d);
    ck_assert_ptr_nonnull (b);
    char secret[80] = "sha256:";
    officer_hash ("portal-token-000001", secret + 7);
    ck_assert_int_eq (officer_book_add (b, "ci-portal", secret, "CI", &d), SG_OK);
    ck_assert_int_eq (officer_book_add (b, "bf-portal", "literal-token-00001", "BF000101,BF000201",
                                        &d), SG_OK);
    ck_assert_int_eq (officer_book_add (b, "short", "too-short", "BF", &d), SG_EINVAL);
    ck_assert_int_eq (officer_book_add (b, "ci-portal", "another-token-0001", "CI", &d), SG_EINVAL);
    ck_assert_int_eq (officer_book_add (b, "none", "another-token-0002", "", &d), SG_EINVAL);
    officer_t o;
    ck_assert (officer_book_find (b, "portal-token-000001", &o));
    ck_assert (officer_may (&o, "CI000401"));
    ck_assert (officer_book_find (b, "literal-token-00001", &o));
    ck_assert (officer_may (&o, "BF000201") && !officer_may (&o, "BF000301"));
    ck_assert (officer_id_valid ("a.b_c-d@e"));
    ck_assert (!officer_id_valid ("a b"));
    ck_assert (!officer_id_valid (""));
    char long_id[70];
    memset (long_id, 'a', 65);
    long_id[65] = 0;
    ck_assert (!officer_id_valid (long_id));
    officer_book_destroy (&b);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("officer");
    TCase *tc = tcase_create ("book");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, test_lookup);
    tcase_add_test (tc, test_errors);
    tcase_add_test (tc, test_reload);
    tcase_add_test (tc, test_added);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
