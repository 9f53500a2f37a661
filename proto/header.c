/* header.c - SGTP/1 header frame codec: strict single-pass parser over one
 * copy of the frame, encoder, required-key checks and the Created time
 * format. The syntax is specified in header.h. */
#include "header.h"
#include "code.h"
#include "ident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    const char *key;
    const char *value;
    size_t key_len;
    char *owned;            /* "key\0value\0" from sg_hdr_set, or NULL if in buf */
} s_entry_t;

struct sg_hdr_t {
    char *buf;              /* parsed copy of the frame, NUL at ':' and LF */
    size_t count;
    s_entry_t entries[SG_HDR_MAX_LINES];
};

/* Why a value is refused, or NULL if it is fine; *bad is the offset of the
 * offending byte. Values are UTF-8 without control characters; the ASCII
 * fast path covers nearly every real header. */
static const char *
s_value_problem (const char *value, size_t len, size_t *bad)
{
    const unsigned char *p = (const unsigned char *) value;
    if (len == 0)
        return "empty value";
    if (p[0] == ' ') {
        *bad = 0;
        return "value starts with a space";
    }
    if (p[len - 1] == ' ') {
        *bad = len - 1;
        return "value ends with a space";
    }
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        *bad = i;
        if (c >= 0x20 && c < 0x7f) {
            i++;
            continue;
        }
        if (c == '\r')
            return "carriage return (lines end with LF only)";
        if (c == 0)
            return "NUL byte";
        if (c < 0x20 || c == 0x7f)
            return "control character";
        /* Multi-byte UTF-8: lead byte gives the length and the range of
         * the first continuation byte (no overlongs, no surrogates, at
         * most U+10FFFF). */
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        }
        else
            return "invalid UTF-8";
        if (i + n > len)
            return "truncated UTF-8 sequence";
        if (p[i + 1] < lo || p[i + 1] > hi)
            return "invalid UTF-8";
        for (size_t k = 2; k < n; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return "invalid UTF-8";
        if (c == 0xc2 && p[i + 1] < 0xa0)
            return "control character";     /* C1 controls U+0080..U+009F */
        i += n;
    }
    return NULL;
}

/* Why a key is refused, or NULL; *bad as above. */
static const char *
s_key_problem (const char *key, size_t len, size_t *bad)
{
    if (len == 0) {
        *bad = 0;
        return "empty key";
    }
    if (len > SG_HDR_MAX_KEY) {
        *bad = SG_HDR_MAX_KEY;
        return "key longer than 64 characters";
    }
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-')) {
            *bad = i;
            return "character not allowed in a key (only A-Z a-z 0-9 -)";
        }
    }
    return NULL;
}

/* Index of the entry whose key equals key ignoring case, or -1. */
static int
s_find_nocase (const sg_hdr_t *self, const char *key, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->entries[i].key_len == len
            && strncasecmp (self->entries[i].key, key, len) == 0)
            return (int) i;
    return -1;
}

/* Copies at most max bytes of a UTF-8 value into out for a diagnostic,
 * cutting on a character boundary and marking the cut with "...". */
static const char *
s_excerpt (const char *value, char *out, size_t max)
{
    size_t len = strlen (value);
    if (len <= max) {
        memcpy (out, value, len + 1);
        return out;
    }
    size_t cut = max;
    while (cut > 0 && ((unsigned char) value[cut] & 0xc0) == 0x80)
        cut--;
    memcpy (out, value, cut);
    memcpy (out + cut, "...", 4);
    return out;
}

sg_hdr_t *
sg_hdr_new (void)
{
    sg_hdr_t *self = calloc (1, sizeof *self);
    return self;
}

void
sg_hdr_destroy (sg_hdr_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sg_hdr_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries[i].owned);
    free (self->buf);
    free (self);
    *self_p = NULL;
}

int
sg_hdr_set (sg_hdr_t *self, const char *key, const char *value)
{
    if (!self || !key || !value)
        return SG_EINVAL;
    size_t bad;
    size_t klen = strlen (key);
    size_t vlen = strnlen (value, SG_HDR_MAX_BYTES + 1);
    if (s_key_problem (key, klen, &bad))
        return SG_EINVAL;
    if (vlen > SG_HDR_MAX_BYTES)
        return SG_ETOOBIG;
    if (s_value_problem (value, vlen, &bad))
        return SG_EINVAL;

    int at = s_find_nocase (self, key, klen);
    if (at >= 0 && strcmp (self->entries[at].key, key) != 0)
        return SG_EINVAL;
    if (at < 0 && self->count == SG_HDR_MAX_LINES)
        return SG_ETOOBIG;

    char *owned = malloc (klen + vlen + 2);
    if (!owned)
        return SG_ENOMEM;
    memcpy (owned, key, klen + 1);
    memcpy (owned + klen + 1, value, vlen + 1);

    s_entry_t *e = at >= 0 ? &self->entries[at] : &self->entries[self->count++];
    free (e->owned);
    e->owned = owned;
    e->key = owned;
    e->key_len = klen;
    e->value = owned + klen + 1;
    return SG_OK;
}

const char *
sg_hdr_get (const sg_hdr_t *self, const char *key)
{
    if (!self || !key)
        return NULL;
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->entries[i].key, key) == 0)
            return self->entries[i].value;
    return NULL;
}

size_t
sg_hdr_count (const sg_hdr_t *self)
{
    return self ? self->count : 0;
}

const char *
sg_hdr_key_at (const sg_hdr_t *self, size_t i)
{
    return self && i < self->count ? self->entries[i].key : NULL;
}

const char *
sg_hdr_value_at (const sg_hdr_t *self, size_t i)
{
    return self && i < self->count ? self->entries[i].value : NULL;
}

int
sg_hdr_parse (const char *buf, size_t len, sg_hdr_t **hdr_p, sg_diag_t *diag)
{
    int rc = SG_OK;
    sg_hdr_t *self = NULL;
    if (!hdr_p)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no place for the header");
    *hdr_p = NULL;
    if (!buf || len == 0)
        return sg_diag_set (diag, SG_EPROTO, 0, SG_NAK_MISSING_ELEMENT, "header is empty");
    if (len > SG_HDR_MAX_BYTES)
        return sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE,
                            "header is %zu bytes, over the limit of %d", len, SG_HDR_MAX_BYTES);

    self = sg_hdr_new ();
    if (!self || !(self->buf = malloc (len + 1))) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory parsing a header");
        goto done;
    }
    memcpy (self->buf, buf, len);
    self->buf[len] = '\0';

    char *p = self->buf, *end = self->buf + len;
    int line = 0;
    while (p < end) {
        line++;
        char *eol = memchr (p, '\n', (size_t) (end - p));
        if (!eol)
            eol = end;          /* the last line need not end with LF */
        if (line > SG_HDR_MAX_LINES) {
            rc = sg_diag_set (diag, SG_ETOOBIG, line, SG_NAK_TOO_LARGE,
                              "line %d: header has more than %d lines", line, SG_HDR_MAX_LINES);
            goto done;
        }
        if (eol == p) {
            rc = sg_diag_set (diag, SG_EPROTO, line, SG_NAK_INCORRECT_VALUE,
                              "line %d: empty line", line);
            goto done;
        }
        size_t bad = 0;
        char *colon = memchr (p, ':', (size_t) (eol - p));
        if (!colon) {
            rc = sg_diag_set (diag, SG_EPROTO, line, SG_NAK_INCORRECT_VALUE,
                              "line %d: no ':' (expected 'Key: value')", line);
            goto done;
        }
        size_t klen = (size_t) (colon - p);
        const char *why = s_key_problem (p, klen, &bad);
        if (why) {
            rc = sg_diag_set (diag, SG_EPROTO, line, SG_NAK_INCORRECT_VALUE,
                              "line %d: %s (byte %zu)", line, why, bad + 1);
            goto done;
        }
        if (colon + 1 == eol || colon[1] != ' ') {
            rc = sg_diag_set (diag, SG_EPROTO, line, SG_NAK_INCORRECT_VALUE,
                              "line %d: expected one space after '%.*s:'", line, (int) klen, p);
            goto done;
        }
        char *value = colon + 2;
        why = s_value_problem (value, (size_t) (eol - value), &bad);
        if (why) {
            rc = sg_diag_set (diag, SG_EPROTO, line, SG_NAK_INCORRECT_VALUE,
                              "line %d: %s in the value of '%.*s' (byte %zu)",
                              line, why, (int) klen, p, (size_t) (value - p) + bad + 1);
            goto done;
        }
        int dup = s_find_nocase (self, p, klen);
        if (dup >= 0) {
            rc = sg_diag_set (diag, SG_EPROTO, line, SG_NAK_INCORRECT_VALUE,
                              "line %d: duplicate key '%.*s' (first on line %d)",
                              line, (int) klen, p, dup + 1);
            goto done;
        }
        *colon = '\0';
        *eol = '\0';            /* eol == end writes the terminator at buf[len] */
        s_entry_t *e = &self->entries[self->count++];
        e->key = p;
        e->key_len = klen;
        e->value = value;
        p = eol + 1;
    }
    *hdr_p = self;
    self = NULL;
done:
    sg_hdr_destroy (&self);
    return rc;
}

int
sg_hdr_encode (const sg_hdr_t *self, char **buf_p, size_t *len_p)
{
    if (!self || !buf_p || self->count == 0)
        return SG_EINVAL;
    size_t total = 0;
    size_t vlen[SG_HDR_MAX_LINES];
    for (size_t i = 0; i < self->count; i++) {
        vlen[i] = strlen (self->entries[i].value);
        total += self->entries[i].key_len + 2 + vlen[i] + 1;
    }
    if (total > SG_HDR_MAX_BYTES)
        return SG_ETOOBIG;
    char *buf = malloc (total + 1);
    if (!buf)
        return SG_ENOMEM;
    char *w = buf;
    for (size_t i = 0; i < self->count; i++) {
        const s_entry_t *e = &self->entries[i];
        memcpy (w, e->key, e->key_len);
        w += e->key_len;
        *w++ = ':';
        *w++ = ' ';
        memcpy (w, e->value, vlen[i]);
        w += vlen[i];
        *w++ = '\n';
    }
    *w = '\0';
    *buf_p = buf;
    if (len_p)
        *len_p = total;
    return SG_OK;
}

/* Line (1-based position) of key, for diagnostics about its value. */
static int
s_line_of (const sg_hdr_t *self, const char *key)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->entries[i].key, key) == 0)
            return (int) i + 1;
    return 0;
}

static int
s_bad_value (const sg_hdr_t *self, sg_diag_t *diag, const char *key, const char *value,
             const char *what)
{
    char shown[72];
    return sg_diag_set (diag, SG_EINVAL, s_line_of (self, key), SG_NAK_INCORRECT_VALUE,
                        "header %s '%s' is not %s", key, s_excerpt (value, shown, 64), what);
}

int
sg_hdr_check_required (const sg_hdr_t *self, sg_diag_t *diag)
{
    static const char *required[] = {
        SG_HDR_MESSAGE_ID, SG_HDR_TYPE, SG_HDR_MRN, SG_HDR_SENDER, SG_HDR_RECIPIENT,
        SG_HDR_CREATED, SG_HDR_ORIGIN_NODE
    };
    if (!self)
        return sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT, "no header");
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!sg_hdr_get (self, required[i]))
            return sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                                "header %s is missing", required[i]);

    const char *v = sg_hdr_get (self, SG_HDR_MESSAGE_ID);
    if (!sg_msgid_check (v))
        return s_bad_value (self, diag, SG_HDR_MESSAGE_ID, v, "a UUID");
    v = sg_hdr_get (self, SG_HDR_TYPE);
    if (strlen (v) != 3 || strspn (v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
        return s_bad_value (self, diag, SG_HDR_TYPE, v, "3 letters A-Z");

    sg_diag_t sub;
    v = sg_hdr_get (self, SG_HDR_MRN);
    if (sg_mrn_check (v, &sub) != SG_OK)
        return sg_diag_set (diag, SG_EMRN, s_line_of (self, SG_HDR_MRN), SG_NAK_INVALID_MRN,
                            "header %s: %s", SG_HDR_MRN, sub.text);
    const char *offices[] = { SG_HDR_SENDER, SG_HDR_RECIPIENT };
    for (int i = 0; i < 2; i++) {
        v = sg_hdr_get (self, offices[i]);
        if (sg_office_check (v, &sub) != SG_OK)
            return sg_diag_set (diag, SG_EINVAL, s_line_of (self, offices[i]),
                                SG_NAK_INCORRECT_VALUE, "header %s: %s", offices[i], sub.text);
    }
    v = sg_hdr_get (self, SG_HDR_CREATED);
    if (sg_hdr_time_parse (v, NULL) != SG_OK)
        return s_bad_value (self, diag, SG_HDR_CREATED, v,
                            "an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fff]Z)");
    v = sg_hdr_get (self, SG_HDR_ORIGIN_NODE);
    if (!sg_hdr_node_name_check (v))
        return s_bad_value (self, diag, SG_HDR_ORIGIN_NODE, v,
                            "a node name (1-64 of A-Z a-z 0-9 . _ -)");
    v = sg_hdr_get (self, SG_HDR_CORRELATION_ID);
    if (v && !sg_msgid_check (v))
        return s_bad_value (self, diag, SG_HDR_CORRELATION_ID, v, "a UUID");
    return SG_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), and the inverse; no time zone or libc state involved. */
static int64_t
s_days_from_civil (int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static void
s_civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

/* Reads n digits at s into *out; 0 if one is not a digit. */
static int
s_digits (const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned) (s[i] - '0');
    }
    *out = v;
    return 1;
}

int
sg_hdr_time_parse (const char *s, int64_t *ms_p)
{
    static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned y, mo, d, h, mi, sec, ms = 0;
    if (!s || strnlen (s, 20) < 20)
        return SG_EINVAL;
    if (!s_digits (s, 4, &y) || s[4] != '-' || !s_digits (s + 5, 2, &mo) || s[7] != '-'
        || !s_digits (s + 8, 2, &d) || s[10] != 'T' || !s_digits (s + 11, 2, &h)
        || s[13] != ':' || !s_digits (s + 14, 2, &mi) || s[16] != ':'
        || !s_digits (s + 17, 2, &sec))
        return SG_EINVAL;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                ms = ms * 10 + (unsigned) (*p - '0');
        if (n == 0 || n > 9)
            return SG_EINVAL;
        for (; n < 3; n++)
            ms *= 10;
    }
    if (p[0] != 'Z' || p[1] != '\0')
        return SG_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
        return SG_EINVAL;
    if (h > 23 || mi > 59 || sec > 60)      /* 60: RFC 3339 leap second */
        return SG_EINVAL;
    if (ms_p) {
        int64_t days = s_days_from_civil (y, mo, d);
        *ms_p = ((days * 86400) + h * 3600 + mi * 60 + sec) * 1000 + ms;
    }
    return SG_OK;
}

/* Writes v as exactly n decimal digits at p (v < 10^n). */
static void
s_put_digits (char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char) ('0' + v % 10);
}

void
sg_hdr_time_format (int64_t ms, char out[SG_HDR_TIME_LEN + 1])
{
    const int64_t max = INT64_C (253402300799999);     /* 9999-12-31T23:59:59.999Z */
    if (ms < 0)
        ms = 0;
    if (ms > max)
        ms = max;
    int64_t secs = ms / 1000, days = secs / 86400, y;
    unsigned rem = (unsigned) (secs % 86400), m, d;
    s_civil_from_days (days, &y, &m, &d);
    memcpy (out, "0000-00-00T00:00:00.000Z", SG_HDR_TIME_LEN + 1);
    s_put_digits (out, (unsigned) y, 4);
    s_put_digits (out + 5, m, 2);
    s_put_digits (out + 8, d, 2);
    s_put_digits (out + 11, rem / 3600, 2);
    s_put_digits (out + 14, rem / 60 % 60, 2);
    s_put_digits (out + 17, rem % 60, 2);
    s_put_digits (out + 20, (unsigned) (ms % 1000), 3);
}

void
sg_hdr_time_now (char out[SG_HDR_TIME_LEN + 1])
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    sg_hdr_time_format ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000, out);
}

int
sg_hdr_node_name_check (const char *name)
{
    return sg_code_id (name, SG_HDR_MAX_NODE, "._-", 0);
}

int
sg_hdr_officer_check (const char *id)
{
    return sg_code_id (id, SG_HDR_OFFICER_MAX, "._@-", 0);
}

int
sg_header_build (const sg_header_fields_t *f, char **buf_p, size_t *len_p)
{
    char now[SG_HDR_TIME_LEN + 1];
    if (!f->created || !f->created[0])
        sg_hdr_time_now (now);
    const char *keys[] = { SG_HDR_MESSAGE_ID, SG_HDR_TYPE, SG_HDR_MRN, SG_HDR_SENDER, SG_HDR_RECIPIENT,
                           SG_HDR_CREATED, SG_HDR_ORIGIN_NODE, SG_HDR_CORRELATION_ID, SG_HDR_OFFICER,
                           SG_HDR_KEY_ID, f->extra_key };
    const char *vals[] = { f->id, f->type, f->mrn, f->sender, f->recipient,
                           f->created && f->created[0] ? f->created : now, f->origin,
                           f->correlation_id, f->officer, f->key_id, f->extra_value };
    *buf_p = NULL;
    *len_p = 0;
    sg_hdr_t *h = sg_hdr_new ();
    int rc = h ? SG_OK : SG_ENOMEM;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == SG_OK; i++) {
        if (i < 7 && (!vals[i] || !vals[i][0]))
            rc = SG_EINVAL;                 /* a required key without a value */
        else if (keys[i] && vals[i] && vals[i][0])
            rc = sg_hdr_set (h, keys[i], vals[i]);
    }
    if (rc == SG_OK)
        rc = sg_hdr_encode (h, buf_p, len_p);
    sg_hdr_destroy (&h);
    return rc;
}
