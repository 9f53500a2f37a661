/* check_ident.c - unit tests for messages/ident.c: MRN check digit against an
 * independent computation, every single-character substitution, generation,
 * office reference numbers and message ids. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ident.h"
#include "testutil.h"

/* The check digit as the NCTS specification states it, written out by hand:
 * letter values typed in, weights 2^i typed in. */
static int
t_value (char c)
{
    static const struct { char c; int v; } letters[] = {
        {'A', 10}, {'B', 12}, {'C', 13}, {'D', 14}, {'E', 15}, {'F', 16}, {'G', 17},
        {'H', 18}, {'I', 19}, {'J', 20}, {'K', 21}, {'L', 23}, {'M', 24}, {'N', 25},
        {'O', 26}, {'P', 27}, {'Q', 28}, {'R', 29}, {'S', 30}, {'T', 31}, {'U', 32},
        {'V', 34}, {'W', 35}, {'X', 36}, {'Y', 37}, {'Z', 38},
    };
    if (c >= '0' && c <= '9')
        return c - '0';
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
        if (letters[i].c == c)
            return letters[i].v;
    return -1;
}

static char
t_check_digit (const char *m)
{
    static const long weight[17] = {
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536
    };
    long sum = 0;
    for (int i = 0; i < 17; i++)
        sum += t_value (m[i]) * weight[i];
    long r = sum % 11;
    if (r == 10)
        r = 0;
    return (char) ('0' + r);
}

/* Format rules per position, restated independently of the library. */
static int
t_position_ok (int pos, char c)
{
    int digit = c >= '0' && c <= '9';
    int upper = c >= 'A' && c <= 'Z';
    if (pos < 2 || pos == 17)
        return digit;
    if (pos < 4 || pos == 16)
        return upper;
    return digit || upper;
}

static const char *alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

START_TEST (test_reference_mrn)
{
    sg_diag_t d;
    sg_diag_clear (&d);
    ck_assert_int_eq (sg_mrn_check ("24GB000246J8NY33L7", &d), SG_OK);
    ck_assert_int_eq (sg_mrn_check_digit ("24GB000246J8NY33L"), '7');
    ck_assert_int_eq (t_check_digit ("24GB000246J8NY33L"), '7');
    /* From the NCTS phase 5 IE029 example (legacy form with 'J'). */
    ck_assert_int_eq (sg_mrn_check ("23GB000246IF9W5YJ0", NULL), SG_OK);
    ck_assert_int_eq (sg_mrn_check_digit ("23GB000246IF9W5YJ"), '0');
    /* Works on the full 18-character string too (reads only 17). */
    ck_assert_int_eq (sg_mrn_check_digit ("24GB000246J8NY33L7"), '7');
    ck_assert_int_eq (sg_mrn_check_digit ("24GB000246J8NY33l"), 0);
    ck_assert_int_eq (sg_mrn_check_digit ("24GB"), 0);
    ck_assert_int_eq (sg_mrn_check_digit (NULL), 0);
}
END_TEST

START_TEST (test_check_digit_independent)
{
    /* Random 17-character prefixes over the whole alphabet. */
    srand (12345);
    char m[18];
    for (int n = 0; n < 5000; n++) {
        for (int i = 0; i < 17; i++)
            m[i] = alnum[rand () % 36];
        m[17] = '\0';
        ck_assert_int_eq (sg_mrn_check_digit (m), t_check_digit (m));
    }
    /* A prefix whose sum is 10 mod 11 must give '0'. */
    int found = 0;
    for (int n = 0; n < 5000 && !found; n++) {
        for (int i = 0; i < 17; i++)
            m[i] = alnum[rand () % 36];
        long sum = 0;
        for (int i = 0; i < 17; i++)
            sum += (long) t_value (m[i]) << i;
        if (sum % 11 == 10) {
            found = 1;
            ck_assert_int_eq (sg_mrn_check_digit (m), '0');
        }
    }
    ck_assert (found);
}
END_TEST

/* Every substitution of one character by another of [0-9A-Z], at every
 * position, of several valid MRNs: it passes exactly when the position's
 * format allows the character and the mod-11 sum cannot tell the change. */
static void
t_all_substitutions (const char *valid, int *passes, int *fails)
{
    char m[MRN_LEN + 1];
    for (int pos = 0; pos < MRN_LEN; pos++)
        for (const char *c = alnum; *c; c++) {
            if (*c == valid[pos])
                continue;
            memcpy (m, valid, sizeof m);
            m[pos] = *c;
            int expect_ok = t_position_ok (pos, *c) && t_check_digit (m) == m[17];
            sg_diag_t d;
            sg_diag_clear (&d);
            int rc = sg_mrn_check (m, &d);
            if (expect_ok) {
                ck_assert_msg (rc == SG_OK, "%s should pass: %s", m, d.text);
                ck_assert_msg (pos != 17, "check digit substitution %s passed", m);
                (*passes)++;
            }
            else {
                ck_assert_msg (rc == SG_EMRN, "%s should fail", m);
                ck_assert_int_eq (d.nak, SG_NAK_INVALID_MRN);
                (*fails)++;
            }
        }
    /* Any byte outside [0-9A-Z] anywhere is refused. */
    for (int pos = 0; pos < MRN_LEN; pos++)
        for (int b = 1; b < 256; b++) {
            if (strchr (alnum, b))
                continue;
            memcpy (m, valid, sizeof m);
            m[pos] = (char) b;
            ck_assert_int_eq (sg_mrn_check (m, NULL), SG_EMRN);
        }
}

START_TEST (test_every_substitution)
{
    const char *valid[] = { "24GB000246J8NY33L7", "23GB000246IF9W5YJ0", NULL, NULL };
    char gen1[MRN_LEN + 1], gen2[MRN_LEN + 1];
    ck_assert_int_eq (sg_mrn_new ("CI", gen1), SG_OK);
    ck_assert_int_eq (sg_mrn_new ("BF", gen2), SG_OK);
    valid[2] = gen1;
    valid[3] = gen2;
    int passes = 0, fails = 0;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq (sg_mrn_check (valid[i], NULL), SG_OK);
        t_all_substitutions (valid[i], &passes, &fails);
    }
    /* 4 MRNs * 18 positions * 35 other characters. */
    ck_assert_int_eq (passes + fails, 4 * 18 * 35);
    /* mod 11 over 36 symbols cannot catch everything: the test must have
     * seen some undetectable substitutions, and far more detected ones. */
    ck_assert_int_gt (passes, 0);
    ck_assert_int_gt (fails, passes * 5);
}
END_TEST

START_TEST (test_known_undetectable)
{
    /* Index 5 has weight 32. 'B' is 12 and 'L' is 23: they differ by 11,
     * so swapping them cannot change the sum mod 11 (undetectable by
     * design); 'M' (24) differs by 12 and is caught. */
    char m[] = "24GB0B0246J8NY33L7";
    char d = t_check_digit (m);
    m[17] = d;
    ck_assert_int_eq (sg_mrn_check (m, NULL), SG_OK);
    m[5] = 'L';
    ck_assert_int_eq (sg_mrn_check (m, NULL), SG_OK);
    m[5] = 'M';
    ck_assert_int_eq (sg_mrn_check (m, NULL), SG_EMRN);
}
END_TEST

START_TEST (test_format_reasons)
{
    struct { const char *mrn; const char *reason; } cases[] = {
        { "24GB000246J8NY33L",   "has 17 characters, expected 18" },
        { "24GB000246J8NY33L77", "has more than 18 characters" },
        { "",                    "has 0 characters" },
        { "2AGB000246J8NY33L7",  "year (characters 1-2) must be digits, character 2 is 'A'" },
        { "241B000246J8NY33L7",  "country (characters 3-4) must be letters A-Z, character 3 is '1'" },
        { "24Gb000246J8NY33L7",  "country (characters 3-4) must be letters A-Z, character 4 is 'b'" },
        { "24GB000246j8NY33L7",  "serial (characters 5-16) must be in [0-9A-Z], character 11 is 'j'" },
        { "24GB0002-6J8NY33L7",  "serial (characters 5-16) must be in [0-9A-Z], character 9 is '-'" },
        { "24GB000246J8NY\t3L7", "character 15 is 0x09" },
        { "24GB000246J8NY3337",  "procedure (character 17) must be a letter A-Z, not '3'" },
        { "24GB000246J8NY33LX",  "check digit (character 18) must be a digit, not 'X'" },
        { "24GB000246J8NY33L1",  "wrong check digit '1' (expected '7')" },
    };
    char seen[sizeof cases / sizeof cases[0]][512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_diag_t d;
        sg_diag_clear (&d);
        ck_assert_int_eq (sg_mrn_check (cases[i].mrn, &d), SG_EMRN);
        ck_assert_int_eq (d.code, SG_EMRN);
        ck_assert_int_eq (d.nak, SG_NAK_INVALID_MRN);
        ck_assert_msg (strstr (d.text, cases[i].reason), "case %zu: '%s' lacks '%s'",
                       i, d.text, cases[i].reason);
        strcpy (seen[i], d.text);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne (seen[i], seen[j]);
    }
    sg_diag_t d;
    ck_assert_int_eq (sg_mrn_check (NULL, &d), SG_EMRN);
    ck_assert_int_eq (sg_mrn_check ("24GB000246J8NY33L1", NULL), SG_EMRN);
    /* The exact wording promised in the header. */
    sg_mrn_check ("24GB000246J8NY33L1", &d);
    ck_assert_str_eq (d.text, "wrong check digit '1' (expected '7')");
}
END_TEST

static int
t_cmp (const void *a, const void *b)
{
    return memcmp (a, b, MRN_LEN + 1);
}

START_TEST (test_generate)
{
    enum { N = 1000 };
    char (*all)[MRN_LEN + 1] = calloc (N, sizeof *all);
    ck_assert_ptr_nonnull (all);
    int seen[36] = { 0 };
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    char yy[8];
    snprintf (yy, sizeof yy, "%02d", (tm.tm_year + 1900) % 100);

    for (int i = 0; i < N; i++) {
        ck_assert_int_eq (sg_mrn_new ("CI", all[i]), SG_OK);
        ck_assert_uint_eq (strlen (all[i]), MRN_LEN);
        sg_diag_t d;
        ck_assert_msg (sg_mrn_check (all[i], &d) == SG_OK, "%s: %s", all[i], d.text);
        ck_assert_int_eq (all[i][17], t_check_digit (all[i]));
        ck_assert (memcmp (all[i], yy, 2) == 0);
        ck_assert (memcmp (all[i] + 2, "CI", 2) == 0);
        ck_assert_int_eq (all[i][16], MRN_DEFAULT_PROCEDURE);
        for (int k = 4; k < 16; k++)
            seen[strchr (alnum, all[i][k]) - alnum]++;
    }
    qsort (all, N, sizeof *all, t_cmp);
    for (int i = 1; i < N; i++)
        ck_assert_str_ne (all[i - 1], all[i]);
    /* 12,000 serial characters: every one of the 36 must appear, and none
     * wildly more than its share (~333). */
    for (int k = 0; k < 36; k++) {
        ck_assert_int_gt (seen[k], 150);
        ck_assert_int_lt (seen[k], 550);
    }
    free (all);

    char out[MRN_LEN + 1] = "x";
    ck_assert_int_eq (sg_mrn_new ("ci", out), SG_EINVAL);
    ck_assert_str_eq (out, "");
    ck_assert_int_eq (sg_mrn_new ("C", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new ("CIV", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new (NULL, out), SG_EINVAL);
}
END_TEST

START_TEST (test_generate_ex)
{
    char out[MRN_LEN + 1];
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, 'L', "000246J8NY33", out), SG_OK);
    ck_assert_str_eq (out, "24GB000246J8NY33L7");
    ck_assert_int_eq (sg_mrn_new_ex ("CI", 5, 'J', "000000000001", out), SG_OK);
    ck_assert (strncmp (out, "05CI000000000001J", 17) == 0);
    ck_assert_int_eq (sg_mrn_check (out, NULL), SG_OK);
    ck_assert_int_eq (out[17], t_check_digit (out));

    ck_assert_int_eq (sg_mrn_new_ex ("GB", 100, 'L', "000246J8NY33", out), SG_EINVAL);
    ck_assert_str_eq (out, "");
    ck_assert_int_eq (sg_mrn_new_ex ("GB", -1, 'L', "000246J8NY33", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, '1', "000246J8NY33", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, 'l', "000246J8NY33", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("G1", 24, 'L', "000246J8NY33", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, 'L', "000246J8NY3", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, 'L', "000246J8NY333", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, 'L', "000246j8NY33", out), SG_EINVAL);
    ck_assert_int_eq (sg_mrn_new_ex ("GB", 24, 'L', NULL, out), SG_EINVAL);
}
END_TEST

START_TEST (test_office)
{
    const char *good[] = { "CI000101", "BF0A1B2C", "NE000000", "GBZZZZZZ" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_int_eq (sg_office_check (good[i], NULL), SG_OK);

    struct { const char *ref; const char *reason; } bad[] = {
        { "ci000101",  "country (characters 1-2) must be letters A-Z, character 1 is 'c'" },
        { "C1000101",  "character 2 is '1'" },
        { "CI00010",   "has 7 characters, expected 8" },
        { "CI0001011", "has more than 8 characters" },
        { "",          "has 0 characters" },
        { "CI00010a",  "code (characters 3-8) must be in [0-9A-Z], character 8 is 'a'" },
        { "CI 00101",  "character 3 is ' '" },
        { "CIAB1",     "has 5 characters" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_diag_t d;
        sg_diag_clear (&d);
        ck_assert_int_eq (sg_office_check (bad[i].ref, &d), SG_EINVAL);
        ck_assert_int_eq (d.nak, SG_NAK_INCORRECT_VALUE);
        ck_assert_msg (strstr (d.text, bad[i].reason), "'%s' lacks '%s'", d.text, bad[i].reason);
    }
    ck_assert_int_eq (sg_office_check (NULL, NULL), SG_EINVAL);
}
END_TEST

static int
t_cmp_id (const void *a, const void *b)
{
    return memcmp (a, b, MSGID_LEN + 1);
}

START_TEST (test_msgid)
{
    enum { N = 1000 };
    char (*ids)[MSGID_LEN + 1] = calloc (N, sizeof *ids);
    ck_assert_ptr_nonnull (ids);
    for (int i = 0; i < N; i++) {
        sg_msgid_new (ids[i]);
        ck_assert_uint_eq (strlen (ids[i]), MSGID_LEN);
        ck_assert (sg_msgid_check (ids[i]));
        ck_assert_int_eq (ids[i][14], '4');                 /* version 4 */
        ck_assert (strchr ("89ab", ids[i][19]));            /* RFC 4122 variant */
        for (int k = 0; k < MSGID_LEN; k++)
            ck_assert (!(ids[i][k] >= 'A' && ids[i][k] <= 'F'));
    }
    qsort (ids, N, sizeof *ids, t_cmp_id);
    for (int i = 1; i < N; i++)
        ck_assert_str_ne (ids[i - 1], ids[i]);
    free (ids);

    ck_assert (sg_msgid_check ("0f8fad5b-d9cb-469f-a165-70867728950e"));
    ck_assert (sg_msgid_check ("0F8FAD5B-D9CB-469F-A165-70867728950E"));
    ck_assert (!sg_msgid_check ("0f8fad5b-d9cb-469f-a165-70867728950"));
    ck_assert (!sg_msgid_check ("0f8fad5b-d9cb-469f-a165-70867728950e0"));
    ck_assert (!sg_msgid_check ("0f8fad5bd-9cb-469f-a165-70867728950e"));
    ck_assert (!sg_msgid_check ("0f8fad5b-d9cb-469f-a165-70867728950g"));
    ck_assert (!sg_msgid_check ("{0f8fad5b-d9cb-469f-a165-70867728950e}"));
    ck_assert (!sg_msgid_check ("0f8fad5b d9cb 469f a165 70867728950e"));
    ck_assert (!sg_msgid_check (""));
    ck_assert (!sg_msgid_check (NULL));
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("ident");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_reference_mrn);
    tcase_add_test (tc, test_check_digit_independent);
    tcase_add_test (tc, test_every_substitution);
    tcase_add_test (tc, test_known_undetectable);
    tcase_add_test (tc, test_format_reasons);
    tcase_add_test (tc, test_generate);
    tcase_add_test (tc, test_generate_ex);
    tcase_add_test (tc, test_office);
    tcase_add_test (tc, test_msgid);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
