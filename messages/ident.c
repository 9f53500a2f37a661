/* ident.c - MRN check digit, validation and generation; office reference
 * numbers; message ids (UUIDs from libuuid). */
#include "ident.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

static const char s_alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Letter values of the ISO 6346 check digit: A=10 upwards, skipping the
 * multiples of 11 (11, 22, 33) so that no letter aliases another's weight. */
static const unsigned char s_letter_value[26] = {
    10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24,   /* A..M */
    25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38    /* N..Z */
};

static int
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static int
s_is_upper (char c)
{
    return c >= 'A' && c <= 'Z';
}

static int
s_is_alnum (char c)
{
    return s_is_digit (c) || s_is_upper (c);
}

/* Renders one input character for a diagnostic: 'x' when printable ASCII,
 * otherwise its byte value, so reasons never carry control bytes. */
static const char *
s_show (char c, char buf[8])
{
    unsigned char u = (unsigned char) c;
    if (u >= 0x20 && u < 0x7f && u != '\'')
        snprintf (buf, 8, "'%c'", c);
    else
        snprintf (buf, 8, "0x%02x", u);
    return buf;
}

/* SG_OK if s is present with exactly want characters; otherwise code (with
 * nak) and "<what> is missing" or "<what> has N characters, expected want". */
static int
s_check_length (const char *s, int want, const char *what, int code, int nak, sg_diag_t *diag)
{
    if (!s)
        return sg_diag_set (diag, code, 0, nak, "%s is missing", what);
    size_t len = strnlen (s, (size_t) want + 1);
    if (len != (size_t) want)
        return sg_diag_set (diag, code, 0, nak, "%s has %s%zu characters, expected %d", what,
                            len > (size_t) want ? "more than " : "",
                            len > (size_t) want ? (size_t) want : len, want);
    return SG_OK;
}

/* SG_OK if characters from..to-1 of s all pass ok; otherwise code (with
 * nak) and "<rule>, character N is 'x'" for the first that does not. */
static int
s_check_chars (const char *s, int from, int to, int (*ok) (char), const char *rule, int code,
               int nak, sg_diag_t *diag)
{
    char shown[8];
    for (int i = from; i < to; i++)
        if (!ok (s[i]))
            return sg_diag_set (diag, code, 0, nak, "%s, character %d is %s", rule, i + 1,
                                s_show (s[i], shown));
    return SG_OK;
}

char
sg_mrn_check_digit (const char *mrn17)
{
    if (!mrn17)
        return 0;
    unsigned long sum = 0;
    for (int i = 0; i < MRN_LEN - 1; i++) {
        char c = mrn17[i];
        unsigned value;
        if (s_is_digit (c))
            value = (unsigned) (c - '0');
        else if (s_is_upper (c))
            value = s_letter_value[c - 'A'];
        else
            return 0;           /* also catches a string shorter than 17 */
        sum += (unsigned long) value << i;
    }
    return (char) ('0' + (sum % 11) % 10);
}

int
sg_mrn_check (const char *mrn, sg_diag_t *diag)
{
    char shown[8];
    int rc = s_check_length (mrn, MRN_LEN, "MRN", SG_EMRN, SG_NAK_INVALID_MRN, diag);
    if (rc == SG_OK)
        rc = s_check_chars (mrn, 0, 2, s_is_digit, "MRN year (characters 1-2) must be digits",
                            SG_EMRN, SG_NAK_INVALID_MRN, diag);
    if (rc == SG_OK)
        rc = s_check_chars (mrn, 2, 4, s_is_upper,
                            "MRN country (characters 3-4) must be letters A-Z",
                            SG_EMRN, SG_NAK_INVALID_MRN, diag);
    if (rc == SG_OK)
        rc = s_check_chars (mrn, 4, 16, s_is_alnum,
                            "MRN serial (characters 5-16) must be in [0-9A-Z]",
                            SG_EMRN, SG_NAK_INVALID_MRN, diag);
    if (rc != SG_OK)
        return rc;
    if (!s_is_upper (mrn[16]))
        return sg_diag_set (diag, SG_EMRN, 0, SG_NAK_INVALID_MRN,
                            "MRN procedure (character 17) must be a letter A-Z, not %s",
                            s_show (mrn[16], shown));
    if (!s_is_digit (mrn[17]))
        return sg_diag_set (diag, SG_EMRN, 0, SG_NAK_INVALID_MRN,
                            "MRN check digit (character 18) must be a digit, not %s",
                            s_show (mrn[17], shown));
    char expected = sg_mrn_check_digit (mrn);
    if (mrn[17] != expected)
        return sg_diag_set (diag, SG_EMRN, 0, SG_NAK_INVALID_MRN,
                            "wrong check digit '%c' (expected '%c')", mrn[17], expected);
    return SG_OK;
}

int
sg_mrn_new_ex (const char *country2, int year2, char procedure,
            const char *serial12, char out[MRN_LEN + 1])
{
    out[0] = '\0';
    if (!country2 || strlen (country2) != 2 || !s_is_upper (country2[0])
        || !s_is_upper (country2[1]))
        return SG_EINVAL;
    if (year2 < 0 || year2 > 99 || !s_is_upper (procedure))
        return SG_EINVAL;
    if (!serial12 || strnlen (serial12, 13) != 12)
        return SG_EINVAL;
    for (int i = 0; i < 12; i++)
        if (!s_is_alnum (serial12[i]))
            return SG_EINVAL;

    char buf[MRN_LEN + 1];
    buf[0] = (char) ('0' + year2 / 10);
    buf[1] = (char) ('0' + year2 % 10);
    buf[2] = country2[0];
    buf[3] = country2[1];
    memcpy (buf + 4, serial12, 12);
    buf[16] = procedure;
    buf[17] = sg_mrn_check_digit (buf);
    buf[18] = '\0';
    memcpy (out, buf, sizeof buf);
    return SG_OK;
}

int
sg_mrn_new (const char *country2, char out[MRN_LEN + 1])
{
    out[0] = '\0';
    if (!country2 || strlen (country2) != 2 || !s_is_upper (country2[0])
        || !s_is_upper (country2[1]))
        return SG_EINVAL;

    /* Rejection sampling: 252 = 7 * 36, so bytes below it map to the 36
     * characters without bias; about 1.6% of bytes are drawn again. */
    char serial[13];
    unsigned char rnd[32];
    int filled = 0;
    while (filled < 12) {
        if (RAND_bytes (rnd, sizeof rnd) != 1)
            return SG_EIO;
        for (size_t i = 0; i < sizeof rnd && filled < 12; i++)
            if (rnd[i] < 252)
                serial[filled++] = s_alnum[rnd[i] % 36];
    }
    serial[12] = '\0';

    time_t now = time (NULL);
    struct tm tm;
    if (!gmtime_r (&now, &tm))
        return SG_EIO;
    return sg_mrn_new_ex (country2, (tm.tm_year + 1900) % 100, MRN_DEFAULT_PROCEDURE,
                       serial, out);
}

int
sg_office_check (const char *ref, sg_diag_t *diag)
{
    int rc = s_check_length (ref, OFFICE_LEN, "office reference", SG_EINVAL,
                             SG_NAK_INCORRECT_VALUE, diag);
    if (rc == SG_OK)
        rc = s_check_chars (ref, 0, 2, s_is_upper,
                            "office reference country (characters 1-2) must be letters A-Z",
                            SG_EINVAL, SG_NAK_INCORRECT_VALUE, diag);
    if (rc == SG_OK)
        rc = s_check_chars (ref, 2, OFFICE_LEN, s_is_alnum,
                            "office reference code (characters 3-8) must be in [0-9A-Z]",
                            SG_EINVAL, SG_NAK_INCORRECT_VALUE, diag);
    return rc;
}

void
sg_msgid_new (char out[MSGID_LEN + 1])
{
    uuid_t uu;
    uuid_generate_random (uu);
    uuid_unparse_lower (uu, out);
}

int
sg_msgid_check (const char *id)
{
    if (!id)
        return 0;
    for (int i = 0; i < MSGID_LEN; i++) {
        char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        }
        else if (!s_is_digit (c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F'))
            return 0;           /* also stops at the NUL of a short string */
    }
    return id[MSGID_LEN] == '\0';
}
