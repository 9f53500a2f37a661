/* check_i18n.c - the adapters' message catalogue (adapters/i18n.c): every
 * code complete in English, French and Portuguese with the same
 * placeholders; Accept-Language parsing; placeholders filled in any order. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "testutil.h"

START_TEST (test_complete)
{
    const char *bad = NULL;
    ck_assert_msg (i18n_check (&bad), "catalogue entry %s is incomplete", bad ? bad : "?");
}
END_TEST

START_TEST (test_pick)
{
    ck_assert_int_eq (i18n_pick (NULL, I18N_EN), I18N_EN);
    ck_assert_int_eq (i18n_pick ("", I18N_FR), I18N_FR);
    ck_assert_int_eq (i18n_pick ("fr", I18N_EN), I18N_FR);
    ck_assert_int_eq (i18n_pick ("fr-BF, en;q=0.8", I18N_EN), I18N_FR);
    ck_assert_int_eq (i18n_pick ("de-DE, en;q=0.5, fr;q=0.7", I18N_EN), I18N_FR);
    ck_assert_int_eq (i18n_pick ("pt-GW", I18N_EN), I18N_PT);
    ck_assert_int_eq (i18n_pick ("fr_FR.UTF-8", I18N_EN), I18N_FR);
    ck_assert_int_eq (i18n_pick ("de, es", I18N_FR), I18N_FR);
    ck_assert_int_eq (i18n_pick ("french", I18N_EN), I18N_EN);
}
END_TEST

START_TEST (test_format)
{
    char out[256];
    const char *a[5] = { "a.ouedraogo", "BF000201", "BFNI1", NULL, NULL };
    ck_assert_str_eq (i18n_format (I18N_FR, "officer.office", out, sizeof out, a),
                      "l'agent a.ouedraogo ne peut pas agir pour le bureau BF000201 (BFNI1) : "
                      "son jeton est lié à d'autres bureaux");
    ck_assert_str_eq (i18n_format (I18N_EN, "no.such.code", out, sizeof out, a), "no.such.code");
    char small[8];
    i18n_format (I18N_EN, "officer.office", small, sizeof small, a);
    ck_assert_str_eq (small, "officer");
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("i18n");
    TCase *tc = tcase_create ("catalogue");
    tcase_add_test (tc, test_complete);
    tcase_add_test (tc, test_pick);
    tcase_add_test (tc, test_format);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
