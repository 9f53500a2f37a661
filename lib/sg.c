/* sg.c - error names and diagnostics shared by the whole project. */
#include "sg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *s_names[SG_ERR_COUNT] = {
    [SG_OK]        = "success",
    [SG_ENOMEM]    = "out of memory",
    [SG_EINVAL]    = "invalid value",
    [SG_EIO]       = "input/output error",
    [SG_EXML]      = "invalid XML",
    [SG_ESCHEMA]   = "schema validation failed",
    [SG_ETOOBIG]   = "too large",
    [SG_ETOODEEP]  = "nested too deeply",
    [SG_EMRN]      = "invalid MRN",
    [SG_ESIG]      = "bad signature",
    [SG_EKEY]      = "bad key",
    [SG_EPROTO]    = "protocol error",
    [SG_EDB]       = "database error",
    [SG_EAUTH]     = "not authorised",
    [SG_ENOTFOUND] = "not found",
    [SG_ESEQ]      = "out of sequence",
    [SG_ECONFIG]   = "configuration error",
    [SG_ETIMEOUT]  = "timed out",
};

const char *
sg_strerror (int code)
{
    if (code < 0 || code >= SG_ERR_COUNT || !s_names[code])
        return "unknown error";
    return s_names[code];
}

int
sg_diag_set (sg_diag_t *diag, int code, int line, int nak, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        diag->code = code;
        diag->line = line;
        diag->nak = nak;
        va_start (ap, fmt);
        vsnprintf (diag->text, sizeof diag->text, fmt, ap);
        va_end (ap);
    }
    return code;
}

void
sg_diag_clear (sg_diag_t *diag)
{
    if (diag)
        memset (diag, 0, sizeof *diag);
}

int
sg_strlcpy (char *dst, const char *src, size_t size)
{
    size_t len = strlen (src);
    if (size == 0)
        return SG_ETOOBIG;
    if (len >= size) {
        memcpy (dst, src, size - 1);
        dst[size - 1] = '\0';
        return SG_ETOOBIG;
    }
    memcpy (dst, src, len + 1);
    return SG_OK;
}

void
sg_oneline (char *dst, size_t size, const char *src)
{
    size_t n = 0;
    for (; src && *src && n + 1 < size; src++)
        dst[n++] = (*src == '\n' || *src == '\r' || *src == '\t') ? ' ' : *src;
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

/* The time of clock id in units of 1/per_second of a second. */
static int64_t
s_clock (clockid_t id, int64_t per_second)
{
    struct timespec ts;
    clock_gettime (id, &ts);
    return (int64_t) ts.tv_sec * per_second + ts.tv_nsec / (1000000000 / per_second);
}

int64_t
sg_clock_us (void)
{
    return s_clock (CLOCK_MONOTONIC, 1000000);
}

int64_t
sg_clock_ms (void)
{
    return s_clock (CLOCK_MONOTONIC, 1000);
}

int64_t
sg_wall_ms (void)
{
    return s_clock (CLOCK_REALTIME, 1000);
}

void
sg_utc_now (char out[21])
{
    time_t t = time (NULL);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
