/* asy_map_util.c - what every part of the ASYCUDA mapper (asy_map_in.c,
 * asy_map_goods.c) and the file check (asy_check.c) use: the list of refusal
 * reasons, recording a refusal with its path and code, reading a field
 * through the profile, text and identifier checks, decimals. */
#include "asy_map.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "asy_map_int.h"
#include "ident.h"

int
asy_reason_add (asy_reasons_t *rs, int rc, const char *code, const char *path,
                const char *fmt, ...)
{
    if (!rs)
        return rc;
    if (rs->n == ASY_MAX_REASONS) {
        rs->dropped++;
        return rc;
    }
    asy_reason_t *r = &rs->r[rs->n++];
    sg_strlcpy (r->code, code, sizeof r->code);
    sg_strlcpy (r->path, path ? path : "", sizeof r->path);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->text, sizeof r->text, fmt, ap);
    va_end (ap);
    return rc;
}

void
asy_reasons_format (const asy_reasons_t *rs, char *out, size_t size)
{
    size_t off = 0;
    out[0] = 0;
    for (size_t i = 0; rs && i < rs->n && off < size; i++) {
        int n = snprintf (out + off, size - off, "  [%s] %s\n", rs->r[i].code, rs->r[i].text);
        if (n < 0 || (size_t) n >= size - off) {
            if (size > 5)
                strcpy (out + size - 5, "...\n");
            return;
        }
        off += (size_t) n;
    }
    if (rs && rs->dropped && off < size)
        snprintf (out + off, size - off, "  ... and %zu more\n", rs->dropped);
}

int
asy_map_fail (asy_mapctx_t *c, int rc, int nak, const char *code, const char *path,
              const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    if (!c->failed)
        sg_diag_set (c->diag, rc, 0, nak, "%s%s", c->scope, text);
    c->failed++;
    return asy_reason_add (c->reasons, rc, code, path, "%s%s", c->scope, text);
}

int
asy_map_val (asy_mapctx_t *c, xmlNodePtr base, const char *field, char *out, size_t size,
             const char **path_p, const char *what)
{
    const char *path = field;
    int req = 0;
    int rc = asy_profile_get (c->profile, field, base ? base : c->root, out, size, &path, &req);
    if (path_p)
        *path_p = path;
    if (rc < 0) {
        out[0] = 0;
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "TOO_LONG", path,
                             "%s is too long (at most %zu characters)", path, size - 1);
    }
    if (req && !out[0])
        return asy_map_fail (c, SG_EINVAL, SG_NAK_MISSING_ELEMENT, "MISSING", path,
                             "%s is empty: %s (field %s of the mapping profile)", path, what,
                             field);
    return SG_OK;
}

/* Copies at most max UTF-8 characters of src into dst (size bytes). */
void
asy_utf8_copy (char *dst, size_t size, const char *src, size_t max)
{
    size_t n = 0, chars = 0;
    while (src[n]) {
        size_t k = 1;
        while ((src[n + k] & 0xC0) == 0x80)
            k++;
        if (chars == max || n + k >= size)
            break;
        n += k;
        chars++;
    }
    memcpy (dst, src, n);
    dst[n] = 0;
}

/* Printable ASCII without leading/trailing space (identifier types). */
int
asy_ascii_id (const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return 1;
}

/* Parses a decimal ("15090.0", "0.5") into millionths; -1 if it is not one. */
long long
asy_decimal (const char *s)
{
    long long v = 0, frac = 0, scale = ASY_MICRO;
    const char *p = s;
    if (!isdigit ((unsigned char) *p))
        return -1;
    for (; isdigit ((unsigned char) *p); p++) {
        v = v * 10 + (*p - '0');
        if (v > 9999999999LL)
            return -1;
    }
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit ((unsigned char) *p))
            return -1;
        for (; isdigit ((unsigned char) *p); p++) {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
            else if (*p != '0')
                return -1;              /* more than 6 significant decimals */
        }
    }
    return *p ? -1 : v * ASY_MICRO + frac;
}

/* Formats millionths with at most `decimals` decimals; trims zeros if trim. */
void
asy_decimal_format (long long micro, int decimals, int trim, char *out, size_t size)
{
    long long frac = micro % ASY_MICRO;
    int n = snprintf (out, size, "%lld.%06lld", micro / ASY_MICRO, frac);
    if (n < 0 || (size_t) n >= size)
        return;
    char *dot = strchr (out, '.');
    dot[1 + decimals] = 0;
    if (trim) {
        char *e = out + strlen (out);
        while (e[-1] == '0')
            *--e = 0;
        if (e[-1] == '.')
            e[-1] = 0;
    }
}
