/* asy_map.h - ASYCUDA World SAD XML <-> sigmat messages. In: a transit
 * declaration (T1) read from the spool becomes a DEC or REL (sg_msg_t). Out:
 * a message delivered by the node (AAR ATR WOF CAN ENQ ...) becomes an
 * ASYCUDA-importable XML document. ASYCUDA conventions both ways: root
 * <ASYCUDA>, <null/> for an empty value, dates as M/D/YY. */
#ifndef ASY_MAP_H_INCLUDED
#define ASY_MAP_H_INCLUDED

#include <libxml/tree.h>

#include "asy_offices.h"
#include "asy_profile.h"
#include "msg.h"
#include "sg.h"

/* How far ASYCUDA has taken a declaration (docs/asycuda.md, "registered
 * or released"). */
typedef enum { ASY_STAGE_NONE = 0, ASY_STAGE_REGISTERED, ASY_STAGE_RELEASED } asy_stage_t;

/* What identifies a declaration, read with the mapping. */
typedef struct {
    asy_stage_t stage;
    char key[128];              /* "CIAB1 2026 T 123": office, year, serial, number */
    char lrn[23];
    int year;                   /* of registration, 4 digits */
    char departure[9];
    char release_date[11];      /* YYYY-MM-DD when released */
    int cancelled;              /* cancelled in ASYCUDA (docs/asycuda.md, "Cancellations") */
    char cancel_date[11];       /* YYYY-MM-DD, empty if the export gives none */
    char cancel_reason[256];
} asy_sad_info_t;

/* One reason a file cannot be mapped: a stable code (docs/asycuda.md lists
 * them), the SAD path it concerns (may be empty) and a sentence. */
typedef struct {
    char code[24];
    char path[160];
    char text[400];
} asy_reason_t;

#define ASY_MAX_REASONS 64

/* Every reason found in one file (the first ASY_MAX_REASONS; dropped
 * counts the others). */
typedef struct {
    asy_reason_t r[ASY_MAX_REASONS];
    size_t n, dropped;
} asy_reasons_t;

typedef struct {
    const char *country;        /* the adapter's country: departure must be in it */
    const char *currency;       /* guarantee currency, ISO 4217 */
    const asy_profile_t *profile; /* where each field is read (required) */
    asy_reasons_t *reasons;     /* every reason is appended here, if not NULL */
} asy_map_opts_t;

/* Appends one reason to rs (NULL is fine); returns rc. */
int asy_reason_add (asy_reasons_t *rs, int rc, const char *code, const char *path,
                    const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

/* Writes every reason of rs as lines "  [CODE] PATH: text" into out (size
 * bytes, truncated with "..." if needed). */
void asy_reasons_format (const asy_reasons_t *rs, char *out, size_t size);

/* Reads an ASYCUDA SAD document as a transit declaration through the
 * mapping profile and builds a message of type DEC, REL (REL only for a
 * released declaration) or AMD with every declaration field filled; the
 * header fields (id, issued, mrn) are left for the caller. On SG_OK
 * *msg_p is a new message (sg_msg_destroy) and info is filled, except for a
 * declaration cancelled in ASYCUDA: SG_OK, info->cancelled set and *msg_p
 * NULL. On error every reason found is in opts->reasons and the first in
 * diag: SG_EINVAL (a value, e.g. `Transit/Time_limit "soon" is not a
 * date`), SG_ENOTFOUND (an office code missing from the table), SG_ESEQ (a
 * file that is not a transit declaration, or not registered yet). */
int asy_map_read (xmlDocPtr doc, const asy_offices_t *tables, const asy_map_opts_t *opts,
                  sg_msg_type_t type, asy_sad_info_t *info, sg_msg_t **msg_p, sg_diag_t *diag);

/* Parses an ASYCUDA date "M/D/YY" (or M/D/YYYY; YY is 20YY) into
 * "YYYY-MM-DD" (the profile's default format). SG_OK or SG_EINVAL (not a
 * date, or not a real day). */
int asy_date_parse (const char *text, char out[11]);

/* Formats "YYYY-MM-DD" (or the date part of a date-time) as M/D/YY. */
void asy_date_format (const char *iso, char out[16]);

/* Writes msg as an ASYCUDA-importable document (UTF-8) into a new buffer
 * *buf_p (free()) of *len_p bytes: a <Sigmat> segment with the message's
 * header, then for a declaration (AAR ATR DEC REL) the SAD segments
 * (Identification, Traders, Transport, Financial/Guarantee, Transit,
 * Container, Item), for an event an <Event> segment. Office references are
 * written as ASYCUDA codes from the table (and as references beside them).
 * SG_OK, SG_ENOTFOUND naming an office missing from the table, SG_ENOMEM. */
int asy_map_write (const sg_msg_t *msg, const asy_offices_t *tables, char **buf_p, size_t *len_p,
                   sg_diag_t *diag);

#endif
