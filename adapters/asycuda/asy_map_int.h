/* asy_map_int.h - private to asy_map_in.c and asy_map_goods.c: the reading
 * context and the small helpers that turn ASYCUDA elements into checked
 * values with messages naming the element. */
#ifndef ASY_MAP_INT_H_INCLUDED
#define ASY_MAP_INT_H_INCLUDED

#include "asy_map.h"

#define ASY_MICRO 1000000LL

typedef struct {
    xmlNodePtr root;
    const asy_offices_t *tables;
    const asy_map_opts_t *opts;
    sg_diag_t *diag;
    char scope[32];             /* "Item 3: " while reading items */
} asy_mapctx_t;

/* The first element child of node named name, or NULL. */
xmlNodePtr asy_xml_child (xmlNodePtr node, const char *name);

/* Reads the trimmed value at path below base (empty for <null/>) into out;
 * SG_EINVAL naming the path when too long, or when empty and req. */
int asy_map_get (asy_mapctx_t *c, xmlNodePtr base, const char *path, int req, char *out,
                 size_t size, const char *what);

/* 1 if s is printable ASCII (identifier types), else 0. */
int asy_ascii_id (const char *s);

/* A decimal ("15090.0") in millionths, or -1 if it is not one. */
long long asy_decimal (const char *s);

/* Formats millionths with at most decimals decimals (trailing zeros cut if trim). */
void asy_decimal_format (long long micro, int decimals, int trim, char *out, size_t size);

/* The goods side of the declaration; SG_OK or an error naming the element. */
int asy_map_seals (asy_mapctx_t *c, msg_t *m);
int asy_map_guarantee_means (asy_mapctx_t *c, msg_t *m);
int asy_map_containers (asy_mapctx_t *c, msg_t *m);
int asy_map_items (asy_mapctx_t *c, msg_t *m);

#endif
