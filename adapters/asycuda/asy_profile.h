/* asy_profile.h - the mapping profile of sigmat-asycuda: which SAD XML
 * path(s) each field of the transit message is read from, in order, which
 * code table converts it, whether it is required, and the date formats.
 * One text file (adapters/asycuda/mapping.conf, installed per country),
 * described in docs/asycuda.md, so a national team adapts the adapter to
 * its ASYCUDA World version by editing a file, not C. */
#ifndef ASY_PROFILE_H_INCLUDED
#define ASY_PROFILE_H_INCLUDED

#include <stddef.h>
#include <libxml/tree.h>

#include "sg.h"

typedef struct asy_profile_t asy_profile_t;

#define ASY_PROFILE_MAX_PATHS 8

/* Loads and checks the profile at path: every line known, every field the
 * transit message needs mapped (and required), every table a field names
 * defined, every path well-formed. NULL with "file:line: ..." in diag. */
asy_profile_t *asy_profile_load (const char *path, sg_diag_t *diag);

/* Frees the profile (NULL is fine) and clears the caller's pointer. */
void asy_profile_destroy (asy_profile_t **self_p);

/* Number of fields mapped, for check-config. */
size_t asy_profile_fields (const asy_profile_t *self);

/* Number of code table entries, for check-config. */
size_t asy_profile_codes (const asy_profile_t *self);

/* Reads field (e.g. "principal.tin") below base: the trimmed text of the
 * first of its paths that is not empty (<null/> is empty), converted
 * through its code table when the value is listed there (kept as it is
 * otherwise). Writes the value into out (size bytes; empty when nothing
 * was found or the field is not mapped) and the path it came from (or the
 * first path) into *path_p (owned by the profile). Returns 0 (found or
 * empty) or -1 when the value does not fit. *required_p (may be NULL)
 * says whether the profile requires it. */
int asy_profile_get (const asy_profile_t *self, const char *field, xmlNodePtr base, char *out,
                     size_t size, const char **path_p, int *required_p);

/* Calls fn for every non-empty value of field below base, in document
 * order, over all its paths (repeated elements: containers). */
void asy_profile_each (const asy_profile_t *self, const char *field, xmlNodePtr base,
                       void (*fn) (void *arg, const char *path, const char *value), void *arg);

/* Parses text as a date in one of the profile's date formats (self NULL:
 * M/D/YY only) into "YYYY-MM-DD". SG_OK or SG_EINVAL (no format fits, or
 * not a real day). */
int asy_profile_date (const asy_profile_t *self, const char *text, char out[11]);

/* The profile's date formats, space-separated ("M/D/YY D.M.YYYY"). */
const char *asy_profile_date_formats (const asy_profile_t *self);

#endif
