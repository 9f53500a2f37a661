/* check_sg.c - unit tests for lib/sg.c: error names, diagnostics, strlcpy. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sg.h"

START_TEST (test_strerror)
{
    ck_assert_str_eq (sg_strerror (SG_OK), "success");
    ck_assert_str_eq (sg_strerror (SG_ENOMEM), "out of memory");
    ck_assert_str_eq (sg_strerror (-1), "unknown error");
    ck_assert_str_eq (sg_strerror (SG_ERR_COUNT), "unknown error");
    for (int i = 0; i < SG_ERR_COUNT; i++)
        ck_assert_str_ne (sg_strerror (i), "unknown error");
}
END_TEST

START_TEST (test_diag)
{
    sg_diag_t d;
    sg_diag_clear (&d);
    ck_assert_int_eq (d.code, SG_OK);
    int rc = sg_diag_set (&d, SG_EMRN, 7, SG_NAK_INVALID_MRN, "bad check digit in %s", "24CI");
    ck_assert_int_eq (rc, SG_EMRN);
    ck_assert_int_eq (d.line, 7);
    ck_assert_int_eq (d.nak, 93);
    ck_assert_str_eq (d.text, "bad check digit in 24CI");
    ck_assert_int_eq (sg_diag_set (NULL, SG_EIO, 0, 0, "x"), SG_EIO);
}
END_TEST

START_TEST (test_strlcpy)
{
    char buf[5];
    ck_assert_int_eq (sg_strlcpy (buf, "abcd", sizeof buf), SG_OK);
    ck_assert_str_eq (buf, "abcd");
    ck_assert_int_eq (sg_strlcpy (buf, "abcdef", sizeof buf), SG_ETOOBIG);
    ck_assert_str_eq (buf, "abcd");
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("sg");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_strerror);
    tcase_add_test (tc, test_diag);
    tcase_add_test (tc, test_strlcpy);
    suite_add_tcase (s, tc);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
