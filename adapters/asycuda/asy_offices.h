/* asy_offices.h - the adapter's two reference tables: ASYCUDA office codes
 * (CIAB1) <-> 8-character office reference numbers (CI000101), and the
 * corridors (departure + destination -> offices of transit in order),
 * because ASYCUDA declarations carry no itinerary. Both are CSV files;
 * their format is in docs/asycuda.md. */
#ifndef ASY_OFFICES_H_INCLUDED
#define ASY_OFFICES_H_INCLUDED

#include <stddef.h>

#include "sg.h"

#define ASY_CODE_MAX 17
#define ASY_MAX_TRANSIT 9

typedef struct asy_offices_t asy_offices_t;

/* Reads the office table and (if corridors is not NULL) the corridor
 * table. Returns the tables, or NULL with "file:line: reason" in diag
 * (bad reference, duplicate code or reference, unknown office in a
 * corridor, too many offices of transit). Free with asy_offices_destroy. */
asy_offices_t *asy_offices_load (const char *offices, const char *corridors, sg_diag_t *diag);

/* Frees the tables (NULL is fine) and clears the caller's pointer. */
void asy_offices_destroy (asy_offices_t **self_p);

/* Number of offices and of corridors. */
size_t asy_offices_count (const asy_offices_t *self);
size_t asy_corridors_count (const asy_offices_t *self);

/* The reference number of an ASYCUDA code, or NULL if unknown. The string
 * belongs to the table. */
const char *asy_office_ref (const asy_offices_t *self, const char *code);

/* The ASYCUDA code of a reference number, or NULL if unknown. */
const char *asy_office_code (const asy_offices_t *self, const char *ref);

/* The office's name (UTF-8) from the table, or NULL. */
const char *asy_office_name (const asy_offices_t *self, const char *ref);

/* Resolves what a person typed, an ASYCUDA code or a reference number that
 * is in the table, into ref. SG_OK, or SG_ENOTFOUND with a reason naming
 * the value in diag. */
int asy_office_resolve (const asy_offices_t *self, const char *code_or_ref, char ref[9],
                        sg_diag_t *diag);

/* The offices of transit between two references, in order: *list points
 * into the table (n entries of 9 bytes each, possibly 0). Returns SG_OK or
 * SG_ENOTFOUND when the corridor table has no such line. */
int asy_corridor_find (const asy_offices_t *self, const char *departure, const char *destination,
                       const char (**list)[9], size_t *n);

#endif
