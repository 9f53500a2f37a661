/* check_peerkeys.c - unit tests for broker/node/peerkeys.c and sg_sign_key_id: a
 * peer's keys with validity periods, the key named by Key-Id checked at the
 * Created time, messages without Key-Id checked against the keys in turn,
 * and the legacy (unbounded) key after the keys with periods. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "node/peerkeys.h"
#include "sign.h"
#include "testutil.h"

static const char HDR[] = "Message-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\nType: DEC\n";
static const char BODY[] = "<Declaration/>\n";

/* A public-only copy of key, as a peer would have registered it. */
static sg_sign_key_t *
s_public (const sg_sign_key_t *key)
{
    char *pem = NULL;
    ck_assert_int_eq (sg_sign_key_public_pem (key, &pem), SG_OK);
    sg_sign_key_t *pub = sg_sign_key_from_pem (pem, strlen (pem), NULL);
    ck_assert_ptr_nonnull (pub);
    free (pem);
    return pub;
}

static int
s_verify (const peerkeys_t *keys, const char *key_id, int64_t at, const unsigned char *sig,
          sg_diag_t *d)
{
    return peerkeys_verify (keys, "CI", key_id, at, HDR, strlen (HDR), BODY, strlen (BODY), sig,
                            SG_SIGN_LEN, d);
}

START_TEST (test_key_id)
{
    sg_sign_key_t *k = sg_sign_key_generate ();
    sg_sign_key_t *pub = s_public (k);
    char a[SG_SIGN_KEY_ID_LEN + 1], b[SG_SIGN_KEY_ID_LEN + 1];
    ck_assert_int_eq (sg_sign_key_id (k, a), SG_OK);
    ck_assert_int_eq (sg_sign_key_id (pub, b), SG_OK);
    ck_assert_str_eq (a, b);                    /* the public key's id */
    ck_assert_uint_eq (strlen (a), SG_SIGN_KEY_ID_LEN);
    ck_assert_uint_eq (strspn (a, "0123456789abcdef"), SG_SIGN_KEY_ID_LEN);
    sg_sign_key_t *other = sg_sign_key_generate ();
    ck_assert_int_eq (sg_sign_key_id (other, b), SG_OK);
    ck_assert_str_ne (a, b);
    ck_assert_int_eq (sg_sign_key_id (NULL, b), SG_EINVAL);
    sg_sign_key_destroy (&k);
    sg_sign_key_destroy (&pub);
    sg_sign_key_destroy (&other);
}
END_TEST

START_TEST (test_periods)
{
    /* Old key valid until T, new key from T; T = 2025-06-01T00:00:00Z. */
    int64_t t;
    ck_assert_int_eq (sg_hdr_time_parse ("2025-06-01T00:00:00Z", &t), SG_OK);
    sg_sign_key_t *old = sg_sign_key_generate (), *new = sg_sign_key_generate (), *stranger = sg_sign_key_generate ();
    char old_id[SG_SIGN_KEY_ID_LEN + 1], new_id[SG_SIGN_KEY_ID_LEN + 1];
    sg_sign_key_id (old, old_id);
    sg_sign_key_id (new, new_id);
    unsigned char sig_old[SG_SIGN_LEN], sig_new[SG_SIGN_LEN], sig_x[SG_SIGN_LEN];
    ck_assert_int_eq (sg_sign_message (old, HDR, strlen (HDR), BODY, strlen (BODY), sig_old),
                      SG_OK);
    ck_assert_int_eq (sg_sign_message (new, HDR, strlen (HDR), BODY, strlen (BODY), sig_new),
                      SG_OK);
    ck_assert_int_eq (sg_sign_message (stranger, HDR, strlen (HDR), BODY, strlen (BODY), sig_x),
                      SG_OK);

    peerkeys_t *keys = peerkeys_new ();
    sg_sign_key_t *p = s_public (old);
    ck_assert_int_eq (peerkeys_add (keys, &p, 0, t), SG_OK);
    ck_assert_ptr_null (p);
    p = s_public (new);
    ck_assert_int_eq (peerkeys_add (keys, &p, t, 0), SG_OK);
    p = s_public (new);                         /* the same id again: ignored */
    ck_assert_int_eq (peerkeys_add (keys, &p, 0, 0), SG_OK);
    ck_assert_uint_eq (peerkeys_count (keys), 2);

    sg_diag_t d;
    /* Named key, valid when signed. */
    ck_assert_int_eq (s_verify (keys, old_id, t - 1, sig_old, &d), SG_OK);
    ck_assert_int_eq (s_verify (keys, new_id, t, sig_new, &d), SG_OK);
    /* Named key, not valid then. */
    ck_assert_int_eq (s_verify (keys, old_id, t, sig_old, &d), SG_ESIG);
    ck_assert_int_eq (d.nak, SG_NAK_SIGNATURE);
    ck_assert_msg (strstr (d.text, "was not valid at 2025-06-01T00:00:00.000Z"), "%s", d.text);
    ck_assert_int_eq (s_verify (keys, new_id, t - 1, sig_new, &d), SG_ESIG);
    /* Named key with another key's signature. */
    ck_assert_int_eq (s_verify (keys, new_id, t, sig_old, &d), SG_ESIG);
    ck_assert_msg (strstr (d.text, "does not verify against key"), "%s", d.text);
    /* Unknown key id. */
    ck_assert_int_eq (s_verify (keys, "0123456789abcdef", t, sig_new, &d), SG_ESIG);
    ck_assert_msg (strstr (d.text, "has no registered key 0123456789abcdef"), "%s", d.text);
    /* No Key-Id: every key valid at the time, in turn. */
    ck_assert_int_eq (s_verify (keys, NULL, t - 1, sig_old, &d), SG_OK);
    ck_assert_int_eq (s_verify (keys, "", t + 1, sig_new, &d), SG_OK);
    ck_assert_int_eq (s_verify (keys, NULL, t + 1, sig_old, &d), SG_ESIG);   /* old expired */
    ck_assert_int_eq (s_verify (keys, NULL, t - 1, sig_x, &d), SG_ESIG);
    peerkeys_destroy (&keys);
    ck_assert_ptr_null (keys);

    /* An empty set: nothing valid. */
    keys = peerkeys_new ();
    ck_assert_int_eq (s_verify (keys, NULL, t, sig_old, &d), SG_ESIG);
    ck_assert_msg (strstr (d.text, "no signing key of origin node CI was valid"), "%s", d.text);
    peerkeys_destroy (&keys);
    sg_sign_key_destroy (&old);
    sg_sign_key_destroy (&new);
    sg_sign_key_destroy (&stranger);
}
END_TEST

START_TEST (test_load)
{
    /* The legacy key (peer.sign_public_pem) is unbounded unless a row with
     * its id bounds it; rows of other peers are not taken. */
    int64_t t;
    ck_assert_int_eq (sg_hdr_time_parse ("2025-06-01T00:00:00Z", &t), SG_OK);
    sg_sign_key_t *k = sg_sign_key_generate ();
    char *pem = NULL, id[SG_SIGN_KEY_ID_LEN + 1];
    ck_assert_int_eq (sg_sign_key_public_pem (k, &pem), SG_OK);
    sg_sign_key_id (k, id);
    unsigned char sig[SG_SIGN_LEN];
    ck_assert_int_eq (sg_sign_message (k, HDR, strlen (HDR), BODY, strlen (BODY), sig), SG_OK);
    sg_diag_t d;

    peerkeys_t *keys = peerkeys_load ("CI", pem, NULL, 0);
    ck_assert_int_eq (s_verify (keys, id, t + 1000000000, sig, &d), SG_OK);
    peerkeys_destroy (&keys);

    store_sign_key_t rows[2] = { { .peer = "BF", .pem = pem, .from_ms = 0, .until_ms = 1 },
                                 { .peer = "CI", .pem = pem, .from_ms = 0, .until_ms = t } };
    strcpy (rows[0].key_id, id);
    strcpy (rows[1].key_id, id);
    keys = peerkeys_load ("CI", pem, rows, 2);
    ck_assert_uint_eq (peerkeys_count (keys), 1);
    ck_assert_int_eq (s_verify (keys, id, t - 1, sig, &d), SG_OK);
    ck_assert_int_eq (s_verify (keys, id, t, sig, &d), SG_ESIG);      /* retired at t */
    peerkeys_destroy (&keys);
    free (pem);
    sg_sign_key_destroy (&k);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("peerkeys");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_key_id);
    tcase_add_test (tc, test_periods);
    tcase_add_test (tc, test_load);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
