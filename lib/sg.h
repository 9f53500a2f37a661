/* sg.h - what every part of sigmat shares: the project's error codes, the
 * NAK codes sent on the wire, and a diagnostic record that carries a
 * human-readable reason (and a line number when the input has lines). */
#ifndef SG_H_INCLUDED
#define SG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Return codes of every fallible function in the project. */
typedef enum {
    SG_OK = 0,
    SG_ENOMEM,      /* out of memory */
    SG_EINVAL,      /* bad argument or bad input value */
    SG_EIO,         /* file or socket error (see errno in the text) */
    SG_EXML,        /* not well-formed XML, or forbidden XML (DTD, entities) */
    SG_ESCHEMA,     /* well-formed but does not match its schema */
    SG_ETOOBIG,     /* over a size limit */
    SG_ETOODEEP,    /* over the nesting depth limit */
    SG_EMRN,        /* invalid MRN (format or check digit) */
    SG_ESIG,        /* signature does not verify */
    SG_EKEY,        /* key missing, unreadable or of the wrong kind */
    SG_EPROTO,      /* SGTP/1 protocol violation */
    SG_EDB,         /* database error */
    SG_EAUTH,       /* peer not authenticated or not authorised */
    SG_ENOTFOUND,   /* no such thing */
    SG_ESEQ,        /* not allowed in the current state */
    SG_ECONFIG,     /* bad configuration */
    SG_ETIMEOUT,    /* timed out */
    SG_ERR_COUNT
} sg_err_t;

/* NAK codes on the wire: NCTS codes where one exists, then our own. */
enum {
    SG_NAK_INCORRECT_VALUE  = 12,
    SG_NAK_MISSING_ELEMENT  = 13,
    SG_NAK_INVALID_XML      = 52,
    SG_NAK_UNKNOWN_MRN      = 90,
    SG_NAK_OUT_OF_SEQUENCE  = 92,
    SG_NAK_INVALID_MRN      = 93,
    SG_NAK_AUTHENTICATION   = 100,
    SG_NAK_AUTHORIZATION    = 101,  /* sender office not allowed for this peer */
    SG_NAK_SIGNATURE        = 102,
    SG_NAK_TOO_LARGE        = 103,
    SG_NAK_HEADER_MISMATCH  = 104,  /* header and body disagree */
    SG_NAK_UNKNOWN_TYPE     = 105,
    SG_NAK_NO_ROUTE         = 106,
    SG_NAK_UNDELIVERABLE    = 107   /* the recipient's adapter can never take it */
};

/* A diagnostic: what went wrong, where, and the NAK code to send for it. */
typedef struct {
    int code;           /* sg_err_t */
    int line;           /* 1-based line in the input, 0 when unknown */
    int nak;            /* wire NAK code, 0 when not applicable */
    char text[512];     /* one readable sentence, no trailing newline */
} sg_diag_t;

/* Static English name of an error code ("out of memory"). */
const char *sg_strerror (int code);

/* Fills diag (if not NULL) and returns code, so callers can write
 * `return sg_diag_set (diag, SG_EINVAL, 0, 12, "bad %s", x);`. */
int sg_diag_set (sg_diag_t *diag, int code, int line, int nak, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

/* Clears diag to SG_OK. */
void sg_diag_clear (sg_diag_t *diag);

/* Copies at most size-1 bytes of src into dst and NUL-terminates; returns
 * SG_ETOOBIG if src did not fit (dst then holds the truncated prefix). */
int sg_strlcpy (char *dst, const char *src, size_t size);

/* Copies src (NULL: "") into dst of size bytes on one line: newlines and
 * tabs become spaces, trailing spaces are dropped; truncates to fit. */
void sg_oneline (char *dst, size_t size, const char *src);

/* Milliseconds of CLOCK_MONOTONIC, for timeouts and intervals. */
int64_t sg_clock_ms (void);

/* Microseconds of CLOCK_MONOTONIC, for short durations. */
int64_t sg_clock_us (void);

/* Milliseconds since the epoch (CLOCK_REALTIME), for times shown to people. */
int64_t sg_wall_ms (void);

/* Writes the current UTC time as "YYYY-MM-DDThh:mm:ssZ" into out. */
void sg_utc_now (char out[21]);

#endif
