/* ident.h - the identifiers every sigmat message carries: the MRN (movement
 * reference number, with its ISO 6346-style check digit as in NCTS), the
 * 8-character customs office reference number, and the message id (UUID). */
#ifndef SG_IDENT_H_INCLUDED
#define SG_IDENT_H_INCLUDED

#include "sg.h"

/* MRN layout (18 characters, uppercase ASCII only):
 *   [0..1]   YY, two digits: year of registration
 *   [2..3]   country, two letters A-Z (ISO 3166 alpha-2 is not checked)
 *   [4..15]  12 characters [0-9A-Z], the national serial
 *   [16]     procedure letter A-Z. NCTS phase 5 uses J-M for transit
 *            (J transit only, K/L/M with exit/entry summary data) and other
 *            letters for export and import procedures; sigmat accepts any
 *            letter A-Z and generates MRN_DEFAULT_PROCEDURE.
 *   [17]     check digit 0-9 over the first 17 characters.
 * NCTS phase 4 "legacy" MRNs with a digit in [16] are refused. */
#define MRN_LEN 18
#define MRN_DEFAULT_PROCEDURE 'J'

/* Office reference number: two letters A-Z (ISO country) + 6 [A-Z0-9]. */
#define OFFICE_LEN 8

/* Message id: a UUID in its 36-character text form. */
#define MSGID_LEN 36

/* Returns SG_OK if mrn is a well-formed MRN with the right check digit;
 * otherwise SG_EMRN, and diag (may be NULL) gets NAK 93 and one precise
 * reason (length, year, country, serial charset, procedure letter, check
 * digit character, or "wrong check digit 'X' (expected '7')"). */
int sg_mrn_check (const char *mrn, sg_diag_t *diag);

/* Returns the check digit ('0'..'9') for the first 17 characters of mrn17,
 * or 0 if one of them is not in [0-9A-Z] (or the string is shorter). */
char sg_mrn_check_digit (const char *mrn17);

/* Writes a new random MRN into out (NUL-terminated): current UTC year,
 * country2, 12 characters from OpenSSL's CSPRNG, MRN_DEFAULT_PROCEDURE and
 * the check digit. Returns SG_OK, SG_EINVAL for a country that is not two
 * letters A-Z, or SG_EIO if the CSPRNG fails. */
int sg_mrn_new (const char *country2, char out[MRN_LEN + 1]);

/* Deterministic form for adapters that number their own movements: year2
 * 0..99, country2 two letters A-Z, procedure A-Z, serial12 exactly 12
 * characters [0-9A-Z]. Writes the MRN with its check digit into out;
 * returns SG_OK or SG_EINVAL (out is then an empty string). */
int sg_mrn_new_ex (const char *country2, int year2, char procedure,
                const char *serial12, char out[MRN_LEN + 1]);

/* Returns SG_OK if ref is an office reference number (8 characters: two
 * letters A-Z then 6 of [A-Z0-9]); otherwise SG_EINVAL with NAK 12 and the
 * reason in diag (may be NULL). */
int sg_office_check (const char *ref, sg_diag_t *diag);

/* Writes a new random (version 4) UUID, lowercase, NUL-terminated. */
void sg_msgid_new (char out[MSGID_LEN + 1]);

/* Returns 1 if id is a UUID in 8-4-4-4-12 hex form (either case), else 0. */
int sg_msgid_check (const char *id);

#endif
