/* sign.h - message signatures and keys: Ed25519 over header || body with
 * OpenSSL 3 EVP (keys in PEM files: PKCS#8 private, SubjectPublicKeyInfo
 * public), and the CurveZMQ key pairs (Z85 text files) used for transport. */
#ifndef SG_SIGN_H_INCLUDED
#define SG_SIGN_H_INCLUDED

#include <stddef.h>

#include "sg.h"

#define SG_SIGN_LEN 64              /* Ed25519 signature bytes */
#define SG_SIGN_CURVE_Z85_LEN 40    /* CurveZMQ key in Z85 text */
#define SG_SIGN_MAX_PEM 16384       /* larger key files are refused */

typedef struct sg_sign_key_t sg_sign_key_t;

/* Loads an Ed25519 key from a PEM file holding a private key (which also
 * gives the public key) or only a public key. Returns the key, or NULL with
 * diag (may be NULL) set: SG_EKEY if the file is unreadable, holds no PEM
 * key, an encrypted key, or a key that is not Ed25519 (the reason names
 * the type found). The caller destroys the key. */
sg_sign_key_t *sg_sign_key_load (const char *pem_path, sg_diag_t *diag);

/* The same from PEM text pem[0..len) (need not be NUL-terminated), e.g. a
 * peer's public key stored in the database. */
sg_sign_key_t *sg_sign_key_from_pem (const char *pem, size_t len, sg_diag_t *diag);

/* Returns a new random Ed25519 key pair, or NULL on failure. */
sg_sign_key_t *sg_sign_key_generate (void);

/* Writes the private key (PKCS#8 PEM, mode 0600) to secret_path and the
 * public key (PEM, mode 0644) to public_path; either path may be NULL to
 * skip it. Each file is written to a temporary file in the same folder,
 * fsynced, and renamed into place. Returns SG_OK, SG_EKEY if a secret is
 * asked of a public-only key, SG_EIO (errno kept) or SG_ENOMEM. */
int sg_sign_key_write (const sg_sign_key_t *key, const char *secret_path, const char *public_path);

/* Stores in *pem_p a new NUL-terminated PEM text of the public key; the
 * caller frees it. Returns SG_OK, SG_EINVAL or SG_ENOMEM. */
int sg_sign_key_public_pem (const sg_sign_key_t *key, char **pem_p);

#define SG_SIGN_KEY_ID_LEN 16       /* hex characters of a key id */

/* Writes the key's id into id: the first 8 bytes of the SHA-256 of its raw
 * 32-byte public key, in lowercase hex (the SGTP `Key-Id` header). Returns
 * SG_OK or SG_EINVAL (id is then ""). */
int sg_sign_key_id (const sg_sign_key_t *key, char id[SG_SIGN_KEY_ID_LEN + 1]);

/* Frees the key (NULL is fine) and clears the caller's pointer. */
void sg_sign_key_destroy (sg_sign_key_t **self_p);

/* Returns 1 if the key holds a private part (can sign), else 0. */
int sg_sign_has_private (const sg_sign_key_t *key);

/* Signs hdr[0..hdr_len) || body[0..body_len) into sig. Either part may be
 * empty (pointer NULL with length 0). Thread-safe; reuses a per-thread
 * buffer for the concatenation. Returns SG_OK, SG_EKEY for a key without
 * a private part, SG_EINVAL or SG_ENOMEM. */
int sg_sign_message (const sg_sign_key_t *key, const char *hdr, size_t hdr_len,
                  const char *body, size_t body_len, unsigned char sig[SG_SIGN_LEN]);

/* Returns SG_OK if sig[0..sig_len) is key's valid signature of
 * hdr || body, a plain one (SG_SIGN_LEN bytes) or a batch signature (below),
 * SG_ESIG otherwise, SG_EINVAL for a NULL key, SG_ENOMEM. Thread-safe. A
 * batch root verified lately by this thread with this key and these
 * signature bytes is not verified again (per-thread cache). */
int sg_sign_verify (const sg_sign_key_t *key, const char *hdr, size_t hdr_len,
                 const char *body, size_t body_len,
                 const unsigned char *sig, size_t sig_len);

/* Batch signatures (SGTP feature `batch-sign`, docs/protocol.md): the
 * origin node signs once for a whole batch, over the root of a Merkle tree
 * (SHA-256) whose leaves are its messages; each message carries the signed
 * root and the path from its leaf to the root:
 *   "SGB1" | Ed25519 signature (64) | leaves (u32 BE) | index (u32 BE) | path (32 each)
 * The signature covers SG_SIGN_BATCH_CONTEXT | leaves (u32 BE) | root. A leaf
 * is SHA-256 (0x00 | header length (u32 BE) | header | body), a node
 * SHA-256 (0x01 | left | right); the last node of an odd level goes up
 * unchanged. sg_sign_verify accepts both kinds of signature. */
#define SG_SIGN_BATCH_MAGIC "SGB1"
#define SG_SIGN_BATCH_CONTEXT "sigmat batch signature 1\n"
#define SG_SIGN_LEAF_LEN 32
#define SG_SIGN_BATCH_MAX 65536     /* messages under one signature */

/* Computes the leaf of hdr || body. Returns SG_OK or SG_ENOMEM. */
int sg_sign_leaf (const char *hdr, size_t hdr_len, const char *body, size_t body_len,
                  unsigned char leaf[SG_SIGN_LEAF_LEN]);

/* Signs n leaves (1..SG_SIGN_BATCH_MAX) with one Ed25519 signature; sigs[i]
 * (malloc'd, the caller frees each) and sig_lens[i] get the batch signature
 * of message i. Returns SG_OK (all set), SG_EINVAL, SG_EKEY or SG_ENOMEM
 * (none set). */
int sg_sign_batch (const sg_sign_key_t *key, const unsigned char (*leaves)[SG_SIGN_LEAF_LEN],
                   size_t n, unsigned char **sigs, size_t *sig_lens);

/* Returns 1 if sig is a batch signature by its form (not checked), else 0. */
int sg_sign_is_batch (const unsigned char *sig, size_t sig_len);

/* Generates a CurveZMQ key pair (zmq_curve_keypair) and writes each key as
 * one line of Z85 text: secret_path mode 0600, public_path mode 0644, both
 * atomically. Returns SG_OK, SG_EKEY if libzmq lacks CURVE, SG_EIO. */
int sg_sign_curve_keygen (const char *secret_path, const char *public_path);

/* Reads a Z85 key file (40 Z85 characters, optional trailing newline) into
 * z85 (NUL-terminated). Returns SG_OK, SG_EIO if unreadable, SG_EKEY if the
 * content is not one Z85 key. */
int sg_sign_curve_load (const char *path, char z85[SG_SIGN_CURVE_Z85_LEN + 1]);

/* Derives the Z85 public key from a Z85 secret key (zmq_curve_public).
 * Returns SG_OK or SG_EKEY. */
int sg_sign_curve_public (const char *secret_z85, char public_z85[SG_SIGN_CURVE_Z85_LEN + 1]);

#endif
