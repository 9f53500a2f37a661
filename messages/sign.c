/* sign.c - Ed25519 keys and signatures through OpenSSL 3 EVP, key files
 * written atomically, and CurveZMQ key pairs as Z85 text files. */
#include "sign.h"
#include "buf.h"
#include "file.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

struct sg_sign_key_t {
    EVP_PKEY *pkey;
    int has_private;
};

/* Ed25519 is one-shot: OpenSSL needs header || body in one buffer. Each
 * thread keeps one growing buffer (freed at thread exit by the key's
 * destructor) so signing and verifying do not allocate per message;
 * buffers above S_TBUF_KEEP are released after use. */
#define S_TBUF_KEEP (1024 * 1024)

typedef sg_buf_t s_tbuf_t;        /* lib/buf.h; emptied (len 0) before each use */

static pthread_key_t s_tbuf_key;
static pthread_once_t s_tbuf_once = PTHREAD_ONCE_INIT;
static int s_tbuf_ok;

static void
s_tbuf_free (void *arg)
{
    s_tbuf_t *tbuf = arg;
    sg_buf_free (tbuf);
    free (tbuf);
}

static void
s_tbuf_init (void)
{
    s_tbuf_ok = pthread_key_create (&s_tbuf_key, s_tbuf_free) == 0;
}

/* Points *msg_p at hdr || body: the caller's own bytes when one part is
 * empty, else the thread's buffer. Returns SG_OK or SG_ENOMEM. */
static int
s_concat (const char *hdr, size_t hdr_len, const char *body, size_t body_len,
          const unsigned char **msg_p)
{
    static const unsigned char empty[1];
    if (body_len == 0) {
        *msg_p = hdr_len ? (const unsigned char *) hdr : empty;
        return SG_OK;
    }
    if (hdr_len == 0) {
        *msg_p = (const unsigned char *) body;
        return SG_OK;
    }
    size_t need = hdr_len + body_len;
    if (need < hdr_len)
        return SG_ENOMEM;
    pthread_once (&s_tbuf_once, s_tbuf_init);
    if (!s_tbuf_ok)
        return SG_ENOMEM;
    s_tbuf_t *tbuf = pthread_getspecific (s_tbuf_key);
    if (!tbuf) {
        if (!(tbuf = calloc (1, sizeof *tbuf)))
            return SG_ENOMEM;
        if (pthread_setspecific (s_tbuf_key, tbuf) != 0) {
            free (tbuf);
            return SG_ENOMEM;
        }
    }
    tbuf->len = 0;
    tbuf->failed = 0;
    sg_buf_put (tbuf, hdr, hdr_len);
    sg_buf_put (tbuf, body, body_len);
    if (tbuf->failed)
        return SG_ENOMEM;
    *msg_p = (unsigned char *) tbuf->data;
    return SG_OK;
}

/* Releases an oversized thread buffer after a big message. */
static void
s_concat_done (void)
{
    if (!s_tbuf_ok)
        return;
    s_tbuf_t *tbuf = pthread_getspecific (s_tbuf_key);
    if (tbuf && tbuf->cap > S_TBUF_KEEP)
        sg_buf_free (tbuf);
}

/* Never prompt for a passphrase: encrypted keys are refused. */
static int
s_no_passphrase (char *buf, int size, int rwflag, void *user)
{
    return -1;
}

/* Reads a whole small file into a new buffer (NUL-terminated). Returns
 * SG_OK, SG_EIO (errno kept) or SG_ETOOBIG past max bytes. */
static int
s_read_file (const char *path, size_t max, char **buf_p, size_t *len_p, mode_t *mode_p)
{
    int rc = SG_OK;
    char *buf = NULL;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SG_EIO;
    struct stat st;
    if (fstat (fd, &st) != 0) {
        rc = SG_EIO;
        goto done;
    }
    if (!S_ISREG (st.st_mode)) {
        errno = EINVAL;
        rc = SG_EIO;
        goto done;
    }
    if ((size_t) st.st_size > max) {
        rc = SG_ETOOBIG;
        goto done;
    }
    if (!(buf = malloc (max + 1))) {
        rc = SG_ENOMEM;
        goto done;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read (fd, buf + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = SG_EIO;
            goto done;
        }
        if (n == 0)
            break;
        len += (size_t) n;
        if (len > max) {
            rc = SG_ETOOBIG;
            goto done;
        }
    }
    buf[len] = '\0';
    *buf_p = buf;
    *len_p = len;
    if (mode_p)
        *mode_p = st.st_mode;
    buf = NULL;
done:
    if (buf) {
        OPENSSL_cleanse (buf, max + 1);
        free (buf);
    }
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

sg_sign_key_t *
sg_sign_key_from_pem (const char *pem, size_t len, sg_diag_t *diag)
{
    sg_sign_key_t *self = NULL;
    EVP_PKEY *pkey = NULL;
    int has_private = 0;
    BIO *bio = NULL;
    if (!pem || len == 0 || len > SG_SIGN_MAX_PEM) {
        sg_diag_set (diag, SG_EKEY, 0, 0, len ? "key text is over %d bytes" : "key text is empty",
                     SG_SIGN_MAX_PEM);
        goto done;
    }
    if (!(bio = BIO_new_mem_buf (pem, (int) len))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory reading a key");
        goto done;
    }
    pkey = PEM_read_bio_PrivateKey (bio, NULL, s_no_passphrase, NULL);
    if (pkey)
        has_private = 1;
    else if (BIO_reset (bio) == 1)
        pkey = PEM_read_bio_PUBKEY (bio, NULL, s_no_passphrase, NULL);
    if (!pkey) {
        char why[256];
        ERR_error_string_n (ERR_peek_last_error (), why, sizeof why);
        if (memmem (pem, len, "ENCRYPTED", 9))
            sg_diag_set (diag, SG_EKEY, 0, 0,
                         "encrypted private keys are not supported (store it unencrypted, mode 0600)");
        else
            sg_diag_set (diag, SG_EKEY, 0, 0, "no PEM private or public key found (%s)", why);
        goto done;
    }
    if (EVP_PKEY_get_base_id (pkey) != EVP_PKEY_ED25519) {
        const char *type = EVP_PKEY_get0_type_name (pkey);
        if (!type)
            type = OBJ_nid2sn (EVP_PKEY_get_base_id (pkey));
        sg_diag_set (diag, SG_EKEY, 0, 0, "%s key is %s, not Ed25519",
                     has_private ? "private" : "public", type ? type : "of an unknown type");
        goto done;
    }
    if (!(self = calloc (1, sizeof *self))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory reading a key");
        goto done;
    }
    self->pkey = pkey;
    self->has_private = has_private;
    pkey = NULL;
done:
    EVP_PKEY_free (pkey);
    BIO_free (bio);
    ERR_clear_error ();
    return self;
}

sg_sign_key_t *
sg_sign_key_load (const char *pem_path, sg_diag_t *diag)
{
    char *buf = NULL;
    size_t len = 0;
    mode_t mode = 0;
    if (!pem_path) {
        sg_diag_set (diag, SG_EKEY, 0, 0, "no key file given");
        return NULL;
    }
    int rc = s_read_file (pem_path, SG_SIGN_MAX_PEM, &buf, &len, &mode);
    if (rc != SG_OK) {
        sg_diag_set (diag, SG_EKEY, 0, 0, "cannot read key file %s: %s", pem_path,
                     rc == SG_ETOOBIG ? "over 16 KiB" : rc == SG_ENOMEM ? "out of memory"
                     : strerror (errno));
        return NULL;
    }
    sg_diag_t sub;
    sg_diag_clear (&sub);
    sg_sign_key_t *self = sg_sign_key_from_pem (buf, len, &sub);
    OPENSSL_cleanse (buf, len);
    free (buf);
    if (!self)
        sg_diag_set (diag, sub.code, 0, 0, "key file %s: %s", pem_path, sub.text);
    else if (self->has_private && (mode & 077))
        sg_log_warn ("private key file %s is accessible to other users (mode %03o); "
                  "chmod 600 it", pem_path, (unsigned) (mode & 0777));
    return self;
}

sg_sign_key_t *
sg_sign_key_generate (void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
    if (!pkey) {
        ERR_clear_error ();
        return NULL;
    }
    sg_sign_key_t *self = calloc (1, sizeof *self);
    if (!self) {
        EVP_PKEY_free (pkey);
        return NULL;
    }
    self->pkey = pkey;
    self->has_private = 1;
    return self;
}

void
sg_sign_key_destroy (sg_sign_key_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    EVP_PKEY_free ((*self_p)->pkey);
    free (*self_p);
    *self_p = NULL;
}

int
sg_sign_has_private (const sg_sign_key_t *key)
{
    return key && key->has_private;
}

int
sg_sign_key_id (const sg_sign_key_t *key, char id[SG_SIGN_KEY_ID_LEN + 1])
{
    unsigned char raw[32], md[EVP_MAX_MD_SIZE];
    size_t len = sizeof raw;
    unsigned int mdlen = 0;
    id[0] = '\0';
    if (!key || EVP_PKEY_get_raw_public_key (key->pkey, raw, &len) != 1
        || EVP_Digest (raw, len, md, &mdlen, EVP_sha256 (), NULL) != 1) {
        ERR_clear_error ();
        return SG_EINVAL;
    }
    for (int i = 0; i < SG_SIGN_KEY_ID_LEN / 2; i++)
        snprintf (id + 2 * i, 3, "%02x", md[i]);
    return SG_OK;
}

int
sg_sign_key_public_pem (const sg_sign_key_t *key, char **pem_p)
{
    int rc = SG_ENOMEM;
    if (!key || !pem_p)
        return SG_EINVAL;
    BIO *bio = BIO_new (BIO_s_mem ());
    char *data;
    if (!bio || PEM_write_bio_PUBKEY (bio, key->pkey) != 1)
        goto done;
    long len = BIO_get_mem_data (bio, &data);
    char *pem = malloc ((size_t) len + 1);
    if (!pem)
        goto done;
    memcpy (pem, data, (size_t) len);
    pem[len] = '\0';
    *pem_p = pem;
    rc = SG_OK;
done:
    BIO_free (bio);
    ERR_clear_error ();
    return rc;
}

int
sg_sign_key_write (const sg_sign_key_t *key, const char *secret_path, const char *public_path)
{
    int rc = SG_OK;
    char *pub = NULL;
    if (!key)
        return SG_EINVAL;
    if (secret_path) {
        if (!key->has_private)
            return SG_EKEY;
        /* Secure-heap memory BIO: the PEM text is wiped when freed. */
        BIO *bio = BIO_new (BIO_s_secmem ());
        char *data;
        if (!bio || PEM_write_bio_PrivateKey (bio, key->pkey, NULL, NULL, 0, NULL, NULL) != 1)
            rc = SG_ENOMEM;
        else {
            long len = BIO_get_mem_data (bio, &data);
            rc = sg_file_write (secret_path, data, (size_t) len, 0600);
        }
        int saved = errno;
        BIO_free (bio);
        ERR_clear_error ();
        errno = saved;
        if (rc != SG_OK)
            return rc;
    }
    if (public_path) {
        if ((rc = sg_sign_key_public_pem (key, &pub)) != SG_OK)
            return rc;
        rc = sg_file_write (public_path, pub, strlen (pub), 0644);
        int saved = errno;
        free (pub);
        errno = saved;
    }
    return rc;
}

int
sg_sign_message (const sg_sign_key_t *key, const char *hdr, size_t hdr_len,
              const char *body, size_t body_len, unsigned char sig[SG_SIGN_LEN])
{
    if (!key || !sig || (!hdr && hdr_len) || (!body && body_len))
        return SG_EINVAL;
    if (!key->has_private)
        return SG_EKEY;
    const unsigned char *msg;
    int rc = s_concat (hdr, hdr_len, body, body_len, &msg);
    if (rc != SG_OK)
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    size_t sig_len = SG_SIGN_LEN;
    if (!ctx)
        rc = SG_ENOMEM;
    else if (EVP_DigestSignInit (ctx, NULL, NULL, NULL, key->pkey) != 1
             || EVP_DigestSign (ctx, sig, &sig_len, msg, hdr_len + body_len) != 1
             || sig_len != SG_SIGN_LEN)
        rc = SG_EKEY;
    EVP_MD_CTX_free (ctx);
    s_concat_done ();
    if (rc != SG_OK)
        ERR_clear_error ();
    return rc;
}

static int s_batch_verify (const sg_sign_key_t *key, const char *hdr, size_t hdr_len,
                           const char *body, size_t body_len, const unsigned char *sig,
                           size_t sig_len);

int
sg_sign_verify (const sg_sign_key_t *key, const char *hdr, size_t hdr_len,
             const char *body, size_t body_len,
             const unsigned char *sig, size_t sig_len)
{
    if (!key || (!hdr && hdr_len) || (!body && body_len))
        return SG_EINVAL;
    if (sg_sign_is_batch (sig, sig_len))
        return s_batch_verify (key, hdr, hdr_len, body, body_len, sig, sig_len);
    if (!sig || sig_len != SG_SIGN_LEN)
        return SG_ESIG;
    const unsigned char *msg;
    int rc = s_concat (hdr, hdr_len, body, body_len, &msg);
    if (rc != SG_OK)
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    if (!ctx)
        rc = SG_ENOMEM;
    else if (EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, key->pkey) != 1
             || EVP_DigestVerify (ctx, sig, sig_len, msg, hdr_len + body_len) != 1)
        rc = SG_ESIG;
    EVP_MD_CTX_free (ctx);
    s_concat_done ();
    if (rc != SG_OK)
        ERR_clear_error ();
    return rc;
}

/* ---- batch signatures (sign.h) ---- */

#define S_BATCH_HEAD (4 + SG_SIGN_LEN + 8) /* magic, signature, leaves, index */
#define S_BATCH_SIGNED (sizeof SG_SIGN_BATCH_CONTEXT - 1 + 4 + SG_SIGN_LEAF_LEN)
#define S_CACHE 16                          /* roots remembered per thread */

/* SHA-256 fetched from OpenSSL's providers once: EVP_sha256 () in a
 * digest call makes OpenSSL 3 look the algorithm up again each time, which
 * was half the cost of hashing a Merkle node (0.28 against 0.12 us). */
static EVP_MD *s_sha256_md;
static pthread_once_t s_sha256_once = PTHREAD_ONCE_INIT;

static void
s_sha256_init (void)
{
    s_sha256_md = EVP_MD_fetch (NULL, "SHA256", NULL);
}

static const EVP_MD *
s_sha256 (void)
{
    pthread_once (&s_sha256_once, s_sha256_init);
    return s_sha256_md ? s_sha256_md : EVP_sha256 ();
}

/* out = SHA-256 (0x01 | left | right). */
static int
s_node (const unsigned char *left, const unsigned char *right, unsigned char *out)
{
    unsigned char buf[1 + 2 * SG_SIGN_LEAF_LEN];
    unsigned int len;
    buf[0] = 1;
    memcpy (buf + 1, left, SG_SIGN_LEAF_LEN);
    memcpy (buf + 1 + SG_SIGN_LEAF_LEN, right, SG_SIGN_LEAF_LEN);
    return EVP_Digest (buf, sizeof buf, out, &len, s_sha256 (), NULL) == 1 ? SG_OK : SG_ENOMEM;
}

/* The bytes the root's Ed25519 signature covers. */
static void
s_signed_part (uint32_t leaves, const unsigned char *root, unsigned char out[S_BATCH_SIGNED])
{
    size_t c = sizeof SG_SIGN_BATCH_CONTEXT - 1;
    memcpy (out, SG_SIGN_BATCH_CONTEXT, c);
    sg_be32_put (out + c, leaves);
    memcpy (out + c + 4, root, SG_SIGN_LEAF_LEN);
}

int
sg_sign_leaf (const char *hdr, size_t hdr_len, const char *body, size_t body_len,
              unsigned char leaf[SG_SIGN_LEAF_LEN])
{
    unsigned char head[5] = { 0 };
    unsigned int len;
    if (hdr_len > UINT32_MAX)
        return SG_EINVAL;
    sg_be32_put (head + 1, (uint32_t) hdr_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new ();
    int ok = md && EVP_DigestInit_ex (md, s_sha256 (), NULL) == 1
             && EVP_DigestUpdate (md, head, sizeof head) == 1
             && EVP_DigestUpdate (md, hdr, hdr_len) == 1
             && EVP_DigestUpdate (md, body, body_len) == 1
             && EVP_DigestFinal_ex (md, leaf, &len) == 1;
    EVP_MD_CTX_free (md);
    return ok ? SG_OK : SG_ENOMEM;
}

int
sg_sign_is_batch (const unsigned char *sig, size_t sig_len)
{
    return sig && sig_len >= S_BATCH_HEAD && sig_len != SG_SIGN_LEN
           && memcmp (sig, SG_SIGN_BATCH_MAGIC, 4) == 0;
}

int
sg_sign_batch (const sg_sign_key_t *key, const unsigned char (*leaves)[SG_SIGN_LEAF_LEN], size_t n,
               unsigned char **sigs, size_t *sig_lens)
{
    if (!key || !leaves || !sigs || !sig_lens || n == 0 || n > SG_SIGN_BATCH_MAX)
        return SG_EINVAL;
    /* All levels in one array: level 0 the leaves, each next one half as
     * wide (rounded up), the root last. */
    size_t levels = 0, total = 0, w = n;
    size_t start[32], width[32];
    do {
        start[levels] = total;
        width[levels++] = w;
        total += w;
        w = w > 1 ? (w + 1) / 2 : 0;
    } while (w);
    unsigned char (*t)[SG_SIGN_LEAF_LEN] = malloc (total * SG_SIGN_LEAF_LEN);
    if (!t)
        return SG_ENOMEM;
    memcpy (t, leaves, n * SG_SIGN_LEAF_LEN);
    int rc = SG_OK;
    for (size_t l = 1; l < levels && rc == SG_OK; l++)
        for (size_t j = 0; j < width[l] && rc == SG_OK; j++) {
            const unsigned char *left = t[start[l - 1] + 2 * j];
            if (2 * j + 1 < width[l - 1])
                rc = s_node (left, t[start[l - 1] + 2 * j + 1], t[start[l] + j]);
            else
                memcpy (t[start[l] + j], left, SG_SIGN_LEAF_LEN);
        }
    unsigned char part[S_BATCH_SIGNED], sig[SG_SIGN_LEN];
    size_t i = 0;
    if (rc != SG_OK)
        goto done;
    s_signed_part ((uint32_t) n, t[total - 1], part);
    if ((rc = sg_sign_message (key, (const char *) part, sizeof part, NULL, 0, sig)) != SG_OK)
        goto done;
    for (i = 0; i < n; i++) {
        unsigned char *b = malloc (S_BATCH_HEAD + (levels - 1) * SG_SIGN_LEAF_LEN);
        if (!b) {
            rc = SG_ENOMEM;
            goto done;
        }
        memcpy (b, SG_SIGN_BATCH_MAGIC, 4);
        memcpy (b + 4, sig, SG_SIGN_LEN);
        sg_be32_put (b + 4 + SG_SIGN_LEN, (uint32_t) n);
        sg_be32_put (b + 8 + SG_SIGN_LEN, (uint32_t) i);
        size_t len = S_BATCH_HEAD, x = i;
        for (size_t l = 0; l + 1 < levels; l++, x /= 2) {
            size_t sib = x ^ 1;
            if (sib < width[l]) {
                memcpy (b + len, t[start[l] + sib], SG_SIGN_LEAF_LEN);
                len += SG_SIGN_LEAF_LEN;
            }
        }
        sigs[i] = b;
        sig_lens[i] = len;
    }
done:
    if (rc != SG_OK)
        while (i > 0) {
            i--;
            free (sigs[i]);
            sigs[i] = NULL;
        }
    free (t);
    return rc;
}

/* Roots this thread verified lately: (public key, signed part, signature). */
typedef struct {
    unsigned char pub[32], part[S_BATCH_SIGNED], sig[SG_SIGN_LEN];
    int used;
} s_verified_t;

static _Thread_local s_verified_t s_cache[S_CACHE];
static _Thread_local unsigned s_cache_next;

static int
s_batch_verify (const sg_sign_key_t *key, const char *hdr, size_t hdr_len, const char *body,
                size_t body_len, const unsigned char *sig, size_t sig_len)
{
    uint32_t n = sg_be32_get (sig + 4 + SG_SIGN_LEN), i = sg_be32_get (sig + 8 + SG_SIGN_LEN);
    if (n == 0 || n > SG_SIGN_BATCH_MAX || i >= n)
        return SG_ESIG;
    unsigned char h[SG_SIGN_LEAF_LEN];
    int rc = sg_sign_leaf (hdr, hdr_len, body, body_len, h);
    if (rc != SG_OK)
        return rc;
    /* Fold the path: the same walk as sg_sign_batch, taking a sibling only
     * where the level has one; every byte of the path must be used. */
    const unsigned char *p = sig + S_BATCH_HEAD, *end = sig + sig_len;
    size_t x = i, w = n;
    while (w > 1) {
        size_t sib = x ^ 1;
        if (sib < w) {
            if (end - p < SG_SIGN_LEAF_LEN)
                return SG_ESIG;
            rc = x & 1 ? s_node (p, h, h) : s_node (h, p, h);
            if (rc != SG_OK)
                return rc;
            p += SG_SIGN_LEAF_LEN;
        }
        x /= 2;
        w = (w + 1) / 2;
    }
    if (p != end)
        return SG_ESIG;
    s_verified_t v = { .used = 1 };
    size_t publen = sizeof v.pub;
    if (EVP_PKEY_get_raw_public_key (key->pkey, v.pub, &publen) != 1 || publen != sizeof v.pub) {
        ERR_clear_error ();
        return SG_EINVAL;
    }
    s_signed_part (n, h, v.part);
    memcpy (v.sig, sig + 4, SG_SIGN_LEN);
    for (size_t k = 0; k < S_CACHE; k++)
        if (s_cache[k].used && !memcmp (s_cache[k].pub, v.pub, sizeof v.pub)
            && !memcmp (s_cache[k].part, v.part, sizeof v.part)
            && !memcmp (s_cache[k].sig, v.sig, sizeof v.sig))
            return SG_OK;
    if ((rc = sg_sign_verify (key, (const char *) v.part, sizeof v.part, NULL, 0, v.sig,
                              SG_SIGN_LEN)) != SG_OK)
        return rc;
    s_cache[s_cache_next++ % S_CACHE] = v;
    return SG_OK;
}

/* Z85 alphabet of ZMQ RFC 32. */
static const char s_z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

static int
s_z85_key_ok (const char *z85)
{
    uint8_t raw[32];
    if (strlen (z85) != SG_SIGN_CURVE_Z85_LEN
        || strspn (z85, s_z85_chars) != SG_SIGN_CURVE_Z85_LEN)
        return 0;
    int ok = zmq_z85_decode (raw, z85) != NULL;
    OPENSSL_cleanse (raw, sizeof raw);
    return ok;
}

int
sg_sign_curve_keygen (const char *secret_path, const char *public_path)
{
    char pub[SG_SIGN_CURVE_Z85_LEN + 2], sec[SG_SIGN_CURVE_Z85_LEN + 2];
    if (!secret_path || !public_path)
        return SG_EINVAL;
    if (!zmq_has ("curve") || zmq_curve_keypair (pub, sec) != 0)
        return SG_EKEY;
    pub[SG_SIGN_CURVE_Z85_LEN] = '\n';
    sec[SG_SIGN_CURVE_Z85_LEN] = '\n';
    int rc = sg_file_write (secret_path, sec, SG_SIGN_CURVE_Z85_LEN + 1, 0600);
    if (rc == SG_OK)
        rc = sg_file_write (public_path, pub, SG_SIGN_CURVE_Z85_LEN + 1, 0644);
    OPENSSL_cleanse (sec, sizeof sec);
    return rc;
}

int
sg_sign_curve_load (const char *path, char z85[SG_SIGN_CURVE_Z85_LEN + 1])
{
    char *buf = NULL;
    size_t len = 0;
    z85[0] = '\0';
    if (!path)
        return SG_EINVAL;
    int rc = s_read_file (path, 128, &buf, &len, NULL);
    if (rc == SG_ETOOBIG)
        return SG_EKEY;
    if (rc != SG_OK)
        return rc;
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    if (s_z85_key_ok (buf))
        memcpy (z85, buf, SG_SIGN_CURVE_Z85_LEN + 1);
    else
        rc = SG_EKEY;
    OPENSSL_cleanse (buf, len);
    free (buf);
    return rc;
}

int
sg_sign_curve_public (const char *secret_z85, char public_z85[SG_SIGN_CURVE_Z85_LEN + 1])
{
    public_z85[0] = '\0';
    if (!secret_z85 || !s_z85_key_ok (secret_z85))
        return SG_EKEY;
    if (zmq_curve_public (public_z85, secret_z85) != 0)
        return SG_EKEY;
    return SG_OK;
}
