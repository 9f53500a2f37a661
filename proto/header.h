/* header.h - the SGTP/1 header frame: "Key: value" lines in front of every
 * message body. Nodes forward the frame byte for byte; this codec parses it
 * strictly (without re-encoding), builds new ones, and checks the keys
 * every message must carry.
 *
 * Frame syntax (exact):
 *   frame = line *(LF line) [LF]       at most SG_HDR_MAX_BYTES bytes, SG_HDR_MAX_LINES lines
 *   line  = key ":" SP value           no empty lines, no CR anywhere
 *   key   = 1*64 of [A-Za-z0-9-]       case-sensitive; two keys that differ only by
 *                                      case are duplicates and refused
 *   value = 1* UTF-8 characters, no control characters (C0, DEL, C1), no NUL,
 *           CR or LF; it neither starts nor ends with a space
 * sg_hdr_encode writes every line followed by LF, keys in insertion order.
 *
 * Required keys: Message-Id (UUID), Type (3 letters A-Z), Mrn (ident.h),
 * Sender and Recipient (office reference numbers), Created (RFC 3339 UTC,
 * "YYYY-MM-DDTHH:MM:SSZ" with an optional fraction of 1-9 digits, uppercase
 * T and Z), Origin-Node (1-64 of [A-Za-z0-9._-]). Optional: Correlation-Id
 * (UUID), Officer (1-64 of [A-Za-z0-9._@-]: who acted, set by the adapter,
 * covered by the origin node's signature), Key-Id (the origin node's signing
 * key, sg_sign_key_id). Any other key is an extension,
 * kept as is and in order. */
#ifndef SG_HEADER_H_INCLUDED
#define SG_HEADER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sg.h"

#define SG_HDR_MAX_BYTES 8192
#define SG_HDR_MAX_LINES 64
#define SG_HDR_MAX_KEY 64
#define SG_HDR_MAX_NODE 64
#define SG_HDR_TIME_LEN 24          /* "2024-05-01T12:00:00.000Z" */

#define SG_HDR_MESSAGE_ID     "Message-Id"
#define SG_HDR_TYPE           "Type"
#define SG_HDR_MRN            "Mrn"
#define SG_HDR_SENDER         "Sender"
#define SG_HDR_RECIPIENT      "Recipient"
#define SG_HDR_CREATED        "Created"
#define SG_HDR_ORIGIN_NODE    "Origin-Node"
#define SG_HDR_CORRELATION_ID "Correlation-Id"
#define SG_HDR_OFFICER        "Officer"   /* optional: the officer whose action caused it */
#define SG_HDR_OFFICER_MAX    64
#define SG_HDR_KEY_ID         "Key-Id" /* optional: id of the origin's signing key (sign.h) */

typedef struct sg_hdr_t sg_hdr_t;

/* Returns a new empty header, or NULL when out of memory. */
sg_hdr_t *sg_hdr_new (void);

/* Frees the header (NULL is fine) and clears the caller's pointer. */
void sg_hdr_destroy (sg_hdr_t **self_p);

/* Sets key to a copy of value, replacing the value of an existing key in
 * place (its position is kept) or appending a new line. Returns SG_OK;
 * SG_EINVAL if key or value breaks the syntax above, or if a key differing
 * only by case exists; SG_ETOOBIG past SG_HDR_MAX_LINES lines or a value over
 * SG_HDR_MAX_BYTES; SG_ENOMEM. */
int sg_hdr_set (sg_hdr_t *self, const char *key, const char *value);

/* Returns the value of key (exact, case-sensitive match), or NULL if
 * absent. The string belongs to the header and lives until the key is set
 * again or the header is destroyed. */
const char *sg_hdr_get (const sg_hdr_t *self, const char *key);

/* Number of lines (keys) in the header. */
size_t sg_hdr_count (const sg_hdr_t *self);

/* Key and value of line i (0-based, in order), or NULL past the end. */
const char *sg_hdr_key_at (const sg_hdr_t *self, size_t i);
const char *sg_hdr_value_at (const sg_hdr_t *self, size_t i);

/* Returns 1 if id is a valid Officer value (1-SG_HDR_OFFICER_MAX of
 * A-Z a-z 0-9 . _ @ -), else 0. */
int sg_hdr_officer_check (const char *id);

/* Parses a header frame buf[0..len) (need not be NUL-terminated) into a new
 * header stored in *hdr_p, which the caller destroys. On error *hdr_p is
 * NULL and diag (may be NULL) names the line and the problem:
 *   SG_EPROTO, NAK 13 for an empty frame, NAK 12 for any syntax error,
 *   duplicate key or bad character; SG_ETOOBIG, NAK 103 over the limits.
 * Only syntax is checked here; see sg_hdr_check_required. */
int sg_hdr_parse (const char *buf, size_t len, sg_hdr_t **hdr_p, sg_diag_t *diag);

/* Encodes the header as "Key: value\n" lines in insertion order into a new
 * NUL-terminated buffer *buf_p (the caller frees it) of *len_p bytes (NUL
 * not counted). Returns SG_OK, SG_EINVAL for an empty header, SG_ETOOBIG
 * over SG_HDR_MAX_BYTES, or SG_ENOMEM. */
int sg_hdr_encode (const sg_hdr_t *self, char **buf_p, size_t *len_p);

/* The fields of a header to build: the required keys, then the optional
 * ones (NULL or "" = left out). created NULL or "" means now. */
typedef struct {
    const char *id, *type, *mrn, *sender, *recipient, *created, *origin;
    const char *correlation_id, *officer, *key_id;
    const char *extra_key, *extra_value;    /* one extension line, or NULL */
} sg_header_fields_t;

/* Builds and encodes a header from f, keys in the order of the protocol
 * (Message-Id, Type, Mrn, Sender, Recipient, Created, Origin-Node, then
 * Correlation-Id, Officer, Key-Id, the extension). The one place a header
 * is made from fields: clients, adapters, the lifecycle and the tests.
 * Returns SG_OK with *buf_p (the caller frees it) and *len_p, or
 * sg_hdr_set/sg_hdr_encode's error for a value that breaks the syntax. */
int sg_header_build (const sg_header_fields_t *f, char **buf_p, size_t *len_p);

/* Returns SG_OK if every required key is present and well-formed and
 * Correlation-Id, when present, is a UUID. Otherwise fills diag with the
 * first problem, naming the key: SG_EINVAL with NAK 13 for a missing key,
 * SG_EINVAL with NAK 12 for a bad value, SG_EMRN with NAK 93 for a bad MRN
 * (diag->line is the 1-based line of a bad value). */
int sg_hdr_check_required (const sg_hdr_t *self, sg_diag_t *diag);

/* Parses an RFC 3339 UTC time as accepted in Created; on SG_OK stores the
 * milliseconds since 1970-01-01 (fraction truncated) in *ms_p (may be NULL).
 * Returns SG_EINVAL for anything else (wrong form, month 13, 30 February). */
int sg_hdr_time_parse (const char *text, int64_t *ms_p);

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out. */
void sg_hdr_time_format (int64_t ms, char out[SG_HDR_TIME_LEN + 1]);

/* Formats the current UTC time like sg_hdr_time_format, for Created. */
void sg_hdr_time_now (char out[SG_HDR_TIME_LEN + 1]);

/* Returns 1 if name is a valid node name (1-64 of [A-Za-z0-9._-]), else 0. */
int sg_hdr_node_name_check (const char *name);

#endif
