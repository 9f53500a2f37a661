/* asy_map_int.h - private to asy_map_in.c and asy_map_goods.c: the reading
 * context and the small helpers that read a field through the mapping
 * profile and record every reason a value is refused, naming its path. */
#ifndef ASY_MAP_INT_H_INCLUDED
#define ASY_MAP_INT_H_INCLUDED

#include "asy_map.h"

#define ASY_MICRO 1000000LL

typedef struct {
    xmlNodePtr root;
    const asy_offices_t *tables;
    const asy_map_opts_t *opts;
    const asy_profile_t *profile;
    asy_reasons_t *reasons;     /* opts->reasons or a local list */
    sg_diag_t *diag;
    int failed;                 /* number of reasons recorded */
    char scope[32];             /* "Item 3: " while reading items */
} asy_mapctx_t;

/* Records a reason (code, path, sentence) for the file; the first one also
 * goes into diag. Returns rc. */
int asy_map_fail (asy_mapctx_t *c, int rc, int nak, const char *code, const char *path,
                  const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

/* Reads field below base (the root when NULL) through the profile into
 * out; *path_p gets the path read. A value too long, or empty when the
 * profile requires it (what says why it is needed), is a recorded reason
 * and returns SG_EINVAL; otherwise SG_OK (out may be empty). */
int asy_map_val (asy_mapctx_t *c, xmlNodePtr base, const char *field, char *out, size_t size,
                 const char **path_p, const char *what);

/* Copies at most max UTF-8 characters of src into dst (size bytes). */
void asy_utf8_copy (char *dst, size_t size, const char *src, size_t max);

/* 1 if s is printable ASCII (identifier types), else 0. */
int asy_ascii_id (const char *s);

/* A decimal ("15090.0") in millionths, or -1 if it is not one. */
long long asy_decimal (const char *s);

/* Formats millionths with at most decimals decimals (trailing zeros cut if trim). */
void asy_decimal_format (long long micro, int decimals, int trim, char *out, size_t size);

/* The goods side of the declaration; each records its reasons and returns
 * SG_OK or the first error (SG_ENOMEM stops the reading). */
int asy_map_seals (asy_mapctx_t *c, sg_msg_t *m);
int asy_map_guarantee_means (asy_mapctx_t *c, sg_msg_t *m);
int asy_map_containers (asy_mapctx_t *c, sg_msg_t *m);
int asy_map_items (asy_mapctx_t *c, sg_msg_t *m);

#endif
