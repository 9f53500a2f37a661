/* check_sign.c - unit tests for messages/sign.c: Ed25519 sign/verify, tamper
 * detection, key files (modes, atomic writes, wrong key types), CurveZMQ
 * key files, signing from several threads, and batch signatures (one
 * signature over a Merkle root, a proof per message). */
#include <check.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign.h"

static const char HDR[] =
    "Message-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\n"
    "Type: DEC\n"
    "Mrn: 24GB000246J8NY33L7\n"
    "Sender: CI000101\n"
    "Recipient: BF000201\n"
    "Created: 2024-05-01T12:00:00.123Z\n"
    "Origin-Node: sigmat-ci\n";
static const char BODY[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Declaration><FunctionalReferenceID>24GB000246J8NY33L7</FunctionalReferenceID>"
    "<TypeCode>DEC</TypeCode><GoodsShipment><Consignment/></GoodsShipment></Declaration>\n";

static char tmpdir[64];

static void
t_setup (void)
{
    strcpy (tmpdir, "/tmp/check_sign.XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (tmpdir));
}

static void
t_teardown (void)
{
    DIR *dir = opendir (tmpdir);
    if (dir) {
        struct dirent *e;
        char path[512];
        while ((e = readdir (dir)))
            if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")) {
                snprintf (path, sizeof path, "%s/%s", tmpdir, e->d_name);
                unlink (path);
            }
        closedir (dir);
    }
    rmdir (tmpdir);
}

static const char *
t_path (const char *name)
{
    static char buf[4][256];
    static int n;
    char *p = buf[n++ % 4];
    snprintf (p, 256, "%s/%s", tmpdir, name);
    return p;
}

static int
t_count_files (void)
{
    int n = 0;
    DIR *dir = opendir (tmpdir);
    ck_assert_ptr_nonnull (dir);
    struct dirent *e;
    while ((e = readdir (dir)))
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
            n++;
    closedir (dir);
    return n;
}

static void
t_write (const char *path, const void *data, size_t len)
{
    FILE *f = fopen (path, "wb");
    ck_assert_ptr_nonnull (f);
    ck_assert_uint_eq (fwrite (data, 1, len, f), len);
    fclose (f);
}

/* PEM text of a freshly generated key of another algorithm. */
static char *
t_foreign_pem (const char *alg, int private)
{
    EVP_PKEY *pkey = strcmp (alg, "RSA") == 0 ? EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 1024)
                   : strcmp (alg, "EC") == 0 ? EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256")
                   : EVP_PKEY_Q_keygen (NULL, NULL, alg);
    ck_assert_ptr_nonnull (pkey);
    BIO *bio = BIO_new (BIO_s_mem ());
    if (private)
        ck_assert_int_eq (PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    else
        ck_assert_int_eq (PEM_write_bio_PUBKEY (bio, pkey), 1);
    char *data;
    long len = BIO_get_mem_data (bio, &data);
    char *pem = strndup (data, (size_t) len);
    BIO_free (bio);
    EVP_PKEY_free (pkey);
    return pem;
}

START_TEST (test_sign_verify)
{
    sg_sign_key_t *key = sg_sign_key_generate ();
    ck_assert_ptr_nonnull (key);
    ck_assert (sg_sign_has_private (key));
    unsigned char sig[SG_SIGN_LEN], sig2[SG_SIGN_LEN];
    size_t hl = strlen (HDR), bl = strlen (BODY);
    ck_assert_int_eq (sg_sign_message (key, HDR, hl, BODY, bl, sig), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl, BODY, bl, sig, SG_SIGN_LEN), SG_OK);
    /* Ed25519 is deterministic. */
    ck_assert_int_eq (sg_sign_message (key, HDR, hl, BODY, bl, sig2), SG_OK);
    ck_assert (memcmp (sig, sig2, SG_SIGN_LEN) == 0);
    /* The signature covers hdr || body: the same bytes in one piece verify. */
    char *joined = malloc (hl + bl);
    memcpy (joined, HDR, hl);
    memcpy (joined + hl, BODY, bl);
    ck_assert_int_eq (sg_sign_verify (key, joined, hl + bl, NULL, 0, sig, SG_SIGN_LEN), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, NULL, 0, joined, hl + bl, sig, SG_SIGN_LEN), SG_OK);
    free (joined);
    /* Truncations and wrong lengths fail. */
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl - 1, BODY, bl, sig, SG_SIGN_LEN), SG_ESIG);
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl, BODY, bl - 1, sig, SG_SIGN_LEN), SG_ESIG);
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl, BODY, bl, sig, SG_SIGN_LEN - 1), SG_ESIG);
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl, BODY, bl, sig, 0), SG_ESIG);
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl, BODY, bl, NULL, SG_SIGN_LEN), SG_ESIG);
    /* Empty parts. */
    ck_assert_int_eq (sg_sign_message (key, NULL, 0, NULL, 0, sig2), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, NULL, 0, NULL, 0, sig2, SG_SIGN_LEN), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, HDR, 1, NULL, 0, sig2, SG_SIGN_LEN), SG_ESIG);
    /* Bad arguments. */
    ck_assert_int_eq (sg_sign_message (NULL, HDR, hl, BODY, bl, sig2), SG_EINVAL);
    ck_assert_int_eq (sg_sign_message (key, NULL, 5, BODY, bl, sig2), SG_EINVAL);
    ck_assert_int_eq (sg_sign_verify (NULL, HDR, hl, BODY, bl, sig, SG_SIGN_LEN), SG_EINVAL);
    sg_sign_key_destroy (&key);
    ck_assert_ptr_null (key);
    sg_sign_key_destroy (&key);
    sg_sign_key_destroy (NULL);
}
END_TEST

/* Batch signatures: every message of batches of 1 to 40 and 500 verifies
 * with its own proof; any change to the message, the proof, the index,
 * the leaf count or the root signature fails, also once the root is in
 * the verifier's cache; another key fails. */
START_TEST (test_batch)
{
    sg_sign_key_t *key = sg_sign_key_generate (), *other = sg_sign_key_generate ();
    ck_assert_ptr_nonnull (key);
    ck_assert_ptr_nonnull (other);
    enum { MAX = 500 };
    static char hdr[MAX][160];
    static unsigned char leaves[MAX][SG_SIGN_LEAF_LEN];
    unsigned char *sigs[MAX];
    size_t lens[MAX];
    size_t bl = strlen (BODY);
    for (size_t n = 1; n <= MAX; n = n < 40 ? n + 1 : n < MAX ? MAX : MAX + 1) {
        for (size_t i = 0; i < n; i++) {
            snprintf (hdr[i], sizeof hdr[i], "Message-Id: %zu of %zu\n", i, n);
            ck_assert_int_eq (sg_sign_leaf (hdr[i], strlen (hdr[i]), BODY, bl, leaves[i]), SG_OK);
        }
        ck_assert_int_eq (sg_sign_batch (key, (const unsigned char (*)[SG_SIGN_LEAF_LEN]) leaves, n,
                                         sigs, lens), SG_OK);
        for (size_t i = 0; i < n; i++) {
            size_t hl = strlen (hdr[i]);
            ck_assert (sg_sign_is_batch (sigs[i], lens[i]));
            ck_assert_int_le (lens[i], 1024);
            ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl, sigs[i], lens[i]), SG_OK);
            ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl, sigs[i], lens[i]), SG_OK);
            if (i == 0)
                ck_assert_int_eq (sg_sign_verify (other, hdr[i], hl, BODY, bl, sigs[i], lens[i]),
                                  SG_ESIG);
            ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl - 1, sigs[i], lens[i]),
                              SG_ESIG);
            /* Another message's proof, a shorter or longer one. */
            if (n > 1)
                ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl, sigs[(i + 1) % n],
                                                  lens[(i + 1) % n]), SG_ESIG);
            ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl, sigs[i], lens[i] - 1),
                              SG_ESIG);
            unsigned char *b = malloc (lens[i] + 32);
            memcpy (b, sigs[i], lens[i]);
            memset (b + lens[i], 0, 32);
            ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl, b, lens[i] + 32),
                              SG_ESIG);
            /* Each byte after the magic matters: signature, counts, path
             * (the root of this batch is cached by now). */
            for (size_t k = 4; (i == 0 || i == n - 1) && k < lens[i];
                 k += (k < 4 + SG_SIGN_LEN + 8 ? 7 : 13)) {
                memcpy (b, sigs[i], lens[i]);
                b[k] ^= 0x20;
                ck_assert_int_eq (sg_sign_verify (key, hdr[i], hl, BODY, bl, b, lens[i]),
                                  SG_ESIG);
            }
            free (b);
        }
        for (size_t i = 0; i < n; i++)
            free (sigs[i]);
    }
    ck_assert_int_eq (sg_sign_batch (key, (const unsigned char (*)[SG_SIGN_LEAF_LEN]) leaves, 0,
                                     sigs, lens), SG_EINVAL);
    /* A plain signature is not taken for a batch one, nor the reverse. */
    unsigned char sig[SG_SIGN_LEN];
    ck_assert_int_eq (sg_sign_message (key, HDR, strlen (HDR), BODY, bl, sig), SG_OK);
    ck_assert (!sg_sign_is_batch (sig, SG_SIGN_LEN));
    sg_sign_key_destroy (&key);
    sg_sign_key_destroy (&other);
}
END_TEST

START_TEST (test_tamper)
{
    sg_sign_key_t *key = sg_sign_key_generate ();
    char hdr[sizeof HDR], body[sizeof BODY];
    memcpy (hdr, HDR, sizeof hdr);
    memcpy (body, BODY, sizeof body);
    size_t hl = strlen (hdr), bl = strlen (body);
    unsigned char sig[SG_SIGN_LEN];
    ck_assert_int_eq (sg_sign_message (key, hdr, hl, body, bl, sig), SG_OK);
    /* Pass 0 flips one bit (a different bit position from byte to byte),
     * pass 1 flips the whole byte. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < hl; i++) {
            unsigned char mask = pass ? 0xff : (unsigned char) (1u << (i % 8));
            hdr[i] ^= mask;
            ck_assert_int_eq (sg_sign_verify (key, hdr, hl, body, bl, sig, SG_SIGN_LEN), SG_ESIG);
            hdr[i] ^= mask;
        }
        for (size_t i = 0; i < bl; i++) {
            unsigned char mask = pass ? 0xff : (unsigned char) (1u << (i % 8));
            body[i] ^= mask;
            ck_assert_int_eq (sg_sign_verify (key, hdr, hl, body, bl, sig, SG_SIGN_LEN), SG_ESIG);
            body[i] ^= mask;
        }
        for (size_t i = 0; i < SG_SIGN_LEN; i++) {
            unsigned char mask = pass ? 0xff : (unsigned char) (1u << (i % 8));
            sig[i] ^= mask;
            ck_assert_int_eq (sg_sign_verify (key, hdr, hl, body, bl, sig, SG_SIGN_LEN), SG_ESIG);
            sig[i] ^= mask;
        }
    }
    /* Everything restored: verifies again (the loop really tested). */
    ck_assert_int_eq (sg_sign_verify (key, hdr, hl, body, bl, sig, SG_SIGN_LEN), SG_OK);

    sg_sign_key_t *other = sg_sign_key_generate ();
    ck_assert_int_eq (sg_sign_verify (other, hdr, hl, body, bl, sig, SG_SIGN_LEN), SG_ESIG);
    unsigned char sig2[SG_SIGN_LEN];
    ck_assert_int_eq (sg_sign_message (other, hdr, hl, body, bl, sig2), SG_OK);
    ck_assert (memcmp (sig, sig2, SG_SIGN_LEN) != 0);
    sg_sign_key_destroy (&other);
    sg_sign_key_destroy (&key);
}
END_TEST

START_TEST (test_big_message)
{
    sg_sign_key_t *key = sg_sign_key_generate ();
    size_t bl = 3 * 1024 * 1024;
    char *body = malloc (bl);
    for (size_t i = 0; i < bl; i++)
        body[i] = (char) ('a' + i % 26);
    unsigned char sig[SG_SIGN_LEN];
    ck_assert_int_eq (sg_sign_message (key, HDR, strlen (HDR), body, bl, sig), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, HDR, strlen (HDR), body, bl, sig, SG_SIGN_LEN), SG_OK);
    body[bl - 1] = 'Z';
    ck_assert_int_eq (sg_sign_verify (key, HDR, strlen (HDR), body, bl, sig, SG_SIGN_LEN), SG_ESIG);
    /* A small message after a big one still works (buffer released). */
    ck_assert_int_eq (sg_sign_message (key, HDR, strlen (HDR), BODY, strlen (BODY), sig), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, HDR, strlen (HDR), BODY, strlen (BODY), sig,
                                      SG_SIGN_LEN),
                      SG_OK);
    free (body);
    sg_sign_key_destroy (&key);
}
END_TEST

START_TEST (test_pem_round_trip)
{
    mode_t old = umask (0);         /* modes must not depend on the umask */
    sg_sign_key_t *key = sg_sign_key_generate ();
    const char *sec = t_path ("node.key"), *pub = t_path ("node.pub");
    ck_assert_int_eq (sg_sign_key_write (key, sec, pub), SG_OK);
    umask (old);
    struct stat st;
    ck_assert_int_eq (stat (sec, &st), 0);
    ck_assert_int_eq (st.st_mode & 0777, 0600);
    ck_assert_int_eq (stat (pub, &st), 0);
    ck_assert_int_eq (st.st_mode & 0777, 0644);
    ck_assert_int_eq (t_count_files (), 2);         /* no temporary left behind */

    sg_diag_t d;
    sg_diag_clear (&d);
    sg_sign_key_t *secret = sg_sign_key_load (sec, &d);
    ck_assert_msg (secret != NULL, "%s", d.text);
    ck_assert (sg_sign_has_private (secret));
    sg_sign_key_t *public = sg_sign_key_load (pub, &d);
    ck_assert_msg (public != NULL, "%s", d.text);
    ck_assert (!sg_sign_has_private (public));

    unsigned char sig[SG_SIGN_LEN], sig2[SG_SIGN_LEN];
    size_t hl = strlen (HDR), bl = strlen (BODY);
    ck_assert_int_eq (sg_sign_message (secret, HDR, hl, BODY, bl, sig), SG_OK);
    ck_assert_int_eq (sg_sign_message (key, HDR, hl, BODY, bl, sig2), SG_OK);
    ck_assert (memcmp (sig, sig2, SG_SIGN_LEN) == 0);       /* the same key came back */
    ck_assert_int_eq (sg_sign_verify (public, HDR, hl, BODY, bl, sig, SG_SIGN_LEN), SG_OK);
    ck_assert_int_eq (sg_sign_message (public, HDR, hl, BODY, bl, sig), SG_EKEY);

    /* Public PEM text: identical from every copy, and loadable from memory. */
    char *p1 = NULL, *p2 = NULL, *p3 = NULL;
    ck_assert_int_eq (sg_sign_key_public_pem (key, &p1), SG_OK);
    ck_assert_int_eq (sg_sign_key_public_pem (secret, &p2), SG_OK);
    ck_assert_int_eq (sg_sign_key_public_pem (public, &p3), SG_OK);
    ck_assert_str_eq (p1, p2);
    ck_assert_str_eq (p1, p3);
    ck_assert_ptr_nonnull (strstr (p1, "-----BEGIN PUBLIC KEY-----"));
    sg_sign_key_t *mem = sg_sign_key_from_pem (p1, strlen (p1), &d);
    ck_assert_ptr_nonnull (mem);
    ck_assert (!sg_sign_has_private (mem));
    ck_assert_int_eq (sg_sign_verify (mem, HDR, hl, BODY, bl, sig2, SG_SIGN_LEN), SG_OK);
    sg_sign_key_destroy (&mem);
    ck_assert_int_eq (sg_sign_key_public_pem (NULL, &p3), SG_EINVAL);

    /* A public-only key cannot write a secret; it can write its public. */
    ck_assert_int_eq (sg_sign_key_write (public, t_path ("x.key"), NULL), SG_EKEY);
    ck_assert_int_eq (sg_sign_key_write (public, NULL, t_path ("copy.pub")), SG_OK);
    ck_assert_int_eq (t_count_files (), 3);

    /* Overwriting replaces the key. */
    sg_sign_key_t *next = sg_sign_key_generate ();
    ck_assert_int_eq (sg_sign_key_write (next, sec, NULL), SG_OK);
    sg_sign_key_t *reloaded = sg_sign_key_load (sec, &d);
    ck_assert_ptr_nonnull (reloaded);
    ck_assert_int_eq (sg_sign_message (reloaded, HDR, hl, BODY, bl, sig), SG_OK);
    ck_assert_int_eq (sg_sign_verify (next, HDR, hl, BODY, bl, sig, SG_SIGN_LEN), SG_OK);
    ck_assert_int_eq (sg_sign_verify (key, HDR, hl, BODY, bl, sig, SG_SIGN_LEN), SG_ESIG);
    ck_assert_int_eq (stat (sec, &st), 0);
    ck_assert_int_eq (st.st_mode & 0777, 0600);

    /* Unwritable place. */
    ck_assert_int_eq (sg_sign_key_write (key, t_path ("no/such/dir.key"), NULL), SG_EIO);
    ck_assert_int_eq (t_count_files (), 3);

    free (p1);
    free (p2);
    free (p3);
    sg_sign_key_destroy (&reloaded);
    sg_sign_key_destroy (&next);
    sg_sign_key_destroy (&public);
    sg_sign_key_destroy (&secret);
    sg_sign_key_destroy (&key);
}
END_TEST

START_TEST (test_wrong_keys)
{
    struct { const char *alg; int private; const char *why; } foreign[] = {
        { "RSA", 1, "private key is RSA, not Ed25519" },
        { "RSA", 0, "public key is RSA, not Ed25519" },
        { "EC", 1, "private key is EC, not Ed25519" },
        { "ED448", 0, "public key is ED448, not Ed25519" },
        { "X25519", 1, "private key is X25519, not Ed25519" },
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        char *pem = t_foreign_pem (foreign[i].alg, foreign[i].private);
        sg_diag_t d;
        sg_diag_clear (&d);
        ck_assert_ptr_null (sg_sign_key_from_pem (pem, strlen (pem), &d));
        ck_assert_int_eq (d.code, SG_EKEY);
        ck_assert_msg (strstr (d.text, foreign[i].why), "'%s' lacks '%s'", d.text, foreign[i].why);
        /* From a file, the reason names the file. */
        const char *path = t_path ("foreign.pem");
        t_write (path, pem, strlen (pem));
        sg_diag_clear (&d);
        ck_assert_ptr_null (sg_sign_key_load (path, &d));
        ck_assert_int_eq (d.code, SG_EKEY);
        ck_assert_ptr_nonnull (strstr (d.text, path));
        ck_assert_ptr_nonnull (strstr (d.text, foreign[i].why));
        free (pem);
    }

    struct { const char *text; const char *why; } garbage[] = {
        { "hello, this is not a key\n", "no PEM private or public key found" },
        { "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n",
          "no PEM private or public key found" },
        { "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
          "no PEM private or public key found" },
        { "\x01\x02\x03\xff", "no PEM" },
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        sg_diag_t d;
        sg_diag_clear (&d);
        ck_assert_ptr_null (sg_sign_key_from_pem (garbage[i].text, strlen (garbage[i].text), &d));
        ck_assert_int_eq (d.code, SG_EKEY);
        ck_assert_msg (strstr (d.text, garbage[i].why), "'%s' lacks '%s'", d.text, garbage[i].why);
    }
    sg_diag_t d;
    ck_assert_ptr_null (sg_sign_key_from_pem ("", 0, &d));
    ck_assert_int_eq (d.code, SG_EKEY);
    ck_assert_ptr_null (sg_sign_key_from_pem (NULL, 10, &d));
    ck_assert_int_eq (d.code, SG_EKEY);

    /* An encrypted private key is refused without prompting. */
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
    BIO *bio = BIO_new (BIO_s_mem ());
    ck_assert_int_eq (PEM_write_bio_PKCS8PrivateKey (bio, pkey, EVP_aes_256_cbc (), NULL, 0,
                                                     NULL, (void *) "secret"), 1);
    char *data;
    long len = BIO_get_mem_data (bio, &data);
    ck_assert_ptr_null (sg_sign_key_from_pem (data, (size_t) len, &d));
    ck_assert_int_eq (d.code, SG_EKEY);
    ck_assert_ptr_nonnull (strstr (d.text, "encrypted"));
    BIO_free (bio);
    EVP_PKEY_free (pkey);

    /* Files that cannot be keys. */
    ck_assert_ptr_null (sg_sign_key_load (t_path ("missing.pem"), &d));
    ck_assert_int_eq (d.code, SG_EKEY);
    ck_assert_ptr_nonnull (strstr (d.text, "No such file"));
    t_write (t_path ("empty.pem"), "", 0);
    ck_assert_ptr_null (sg_sign_key_load (t_path ("empty.pem"), &d));
    ck_assert_int_eq (d.code, SG_EKEY);
    ck_assert_ptr_null (sg_sign_key_load (tmpdir, &d));
    ck_assert_int_eq (d.code, SG_EKEY);
    char *big = calloc (1, SG_SIGN_MAX_PEM + 10);
    memset (big, 'A', SG_SIGN_MAX_PEM + 9);
    t_write (t_path ("big.pem"), big, SG_SIGN_MAX_PEM + 9);
    ck_assert_ptr_null (sg_sign_key_load (t_path ("big.pem"), &d));
    ck_assert_ptr_nonnull (strstr (d.text, "over 16 KiB"));
    free (big);
    ck_assert_ptr_null (sg_sign_key_load (NULL, &d));
}
END_TEST

START_TEST (test_curve)
{
    const char *sec = t_path ("curve.key"), *pub = t_path ("curve.pub");
    ck_assert_int_eq (sg_sign_curve_keygen (sec, pub), SG_OK);
    struct stat st;
    ck_assert_int_eq (stat (sec, &st), 0);
    ck_assert_int_eq (st.st_mode & 0777, 0600);
    ck_assert_int_eq (st.st_size, 41);              /* one line: 40 + LF */
    ck_assert_int_eq (stat (pub, &st), 0);
    ck_assert_int_eq (st.st_size, 41);
    ck_assert_int_eq (t_count_files (), 2);

    char s[SG_SIGN_CURVE_Z85_LEN + 1], p[SG_SIGN_CURVE_Z85_LEN + 1], derived[SG_SIGN_CURVE_Z85_LEN + 1];
    ck_assert_int_eq (sg_sign_curve_load (sec, s), SG_OK);
    ck_assert_int_eq (sg_sign_curve_load (pub, p), SG_OK);
    ck_assert_uint_eq (strlen (s), 40);
    ck_assert_uint_eq (strlen (p), 40);
    ck_assert_str_ne (s, p);
    ck_assert_int_eq (sg_sign_curve_public (s, derived), SG_OK);
    ck_assert_str_eq (derived, p);

    /* A second pair differs. */
    char s2[SG_SIGN_CURVE_Z85_LEN + 1];
    ck_assert_int_eq (sg_sign_curve_keygen (t_path ("b.key"), t_path ("b.pub")), SG_OK);
    ck_assert_int_eq (sg_sign_curve_load (t_path ("b.key"), s2), SG_OK);
    ck_assert_str_ne (s, s2);

    /* Without newline and with CRLF are fine; anything else is not a key. */
    char line[64];
    snprintf (line, sizeof line, "%s", p);
    t_write (t_path ("nolf"), line, 40);
    ck_assert_int_eq (sg_sign_curve_load (t_path ("nolf"), s2), SG_OK);
    ck_assert_str_eq (s2, p);
    snprintf (line, sizeof line, "%s\r\n", p);
    t_write (t_path ("crlf"), line, 42);
    ck_assert_int_eq (sg_sign_curve_load (t_path ("crlf"), s2), SG_OK);

    const char *bad[] = { "", "\n", "short\n", NULL, NULL, NULL, NULL };
    char b1[64], b2[64], b3[64], b4[128];
    snprintf (b1, sizeof b1, "%.39s\n", p);                 /* 39 characters */
    snprintf (b2, sizeof b2, "%sx\n", p);                   /* 41 characters */
    snprintf (b3, sizeof b3, "%.39s~\n", p);                /* not Z85 */
    snprintf (b4, sizeof b4, "%s\n%s\n", p, p);             /* two lines */
    bad[3] = b1;
    bad[4] = b2;
    bad[5] = b3;
    bad[6] = b4;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_write (t_path ("bad"), bad[i], strlen (bad[i]));
        ck_assert_msg (sg_sign_curve_load (t_path ("bad"), s2) == SG_EKEY, "case %zu", i);
        ck_assert_str_eq (s2, "");
    }
    ck_assert_int_eq (sg_sign_curve_load (t_path ("none"), s2), SG_EIO);
    ck_assert_int_eq (sg_sign_curve_public ("tooshort", derived), SG_EKEY);
    ck_assert_int_eq (sg_sign_curve_keygen (t_path ("no/dir.key"), pub), SG_EIO);
}
END_TEST

/* Several threads sign and verify at once with one shared key; each keeps
 * its own concatenation buffer. */
static void *
t_worker (void *arg)
{
    sg_sign_key_t *key = arg;
    char body[256];
    unsigned char sig[SG_SIGN_LEN];
    for (int i = 0; i < 100; i++) {
        int n = snprintf (body, sizeof body, "<Body n=\"%d\" t=\"%p\"/>", i, (void *) &body);
        if (sg_sign_message (key, HDR, strlen (HDR), body, (size_t) n, sig) != SG_OK
            || sg_sign_verify (key, HDR, strlen (HDR), body, (size_t) n, sig, SG_SIGN_LEN) != SG_OK)
            return (void *) 1;
        body[0] = '!';
        if (sg_sign_verify (key, HDR, strlen (HDR), body, (size_t) n, sig, SG_SIGN_LEN) != SG_ESIG)
            return (void *) 1;
    }
    return NULL;
}

START_TEST (test_threads)
{
    sg_sign_key_t *key = sg_sign_key_generate ();
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq (pthread_create (&th[i], NULL, t_worker, key), 0);
    for (int i = 0; i < 4; i++) {
        void *res = (void *) 1;
        ck_assert_int_eq (pthread_join (th[i], &res), 0);
        ck_assert_ptr_null (res);
    }
    sg_sign_key_destroy (&key);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("sign");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_checked_fixture (tc, t_setup, t_teardown);
    tcase_add_test (tc, test_sign_verify);
    tcase_add_test (tc, test_tamper);
    tcase_add_test (tc, test_batch);
    tcase_add_test (tc, test_big_message);
    tcase_add_test (tc, test_pem_round_trip);
    tcase_add_test (tc, test_wrong_keys);
    tcase_add_test (tc, test_curve);
    tcase_add_test (tc, test_threads);
    suite_add_tcase (s, tc);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
