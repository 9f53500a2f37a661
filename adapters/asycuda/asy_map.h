/* asy_map.h - ASYCUDA World SAD XML <-> sigmat messages. In: a transit
 * declaration (T1) read from the spool becomes a DEC or REL (msg_t). Out:
 * a message delivered by the node (AAR ATR WOF CAN ENQ ...) becomes an
 * ASYCUDA-importable XML document. ASYCUDA conventions both ways: root
 * <ASYCUDA>, <null/> for an empty value, dates as M/D/YY. */
#ifndef ASY_MAP_H_INCLUDED
#define ASY_MAP_H_INCLUDED

#include <libxml/tree.h>

#include "asy_offices.h"
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
} asy_sad_info_t;

typedef struct {
    const char *country;        /* the adapter's country: departure must be in it */
    const char *currency;       /* guarantee currency, ISO 4217 */
} asy_map_opts_t;

/* Reads an ASYCUDA SAD document as a transit declaration and builds a
 * message of type DEC or REL (REL only for a released declaration) with
 * every declaration field filled; the header fields (id, issued, mrn)
 * are left for the caller. On SG_OK *msg_p is a new message (msg_destroy)
 * and info is filled; info is also filled as far as it was read on error.
 * Errors: SG_EINVAL with a sentence naming the element, its value and what
 * was expected (e.g. `Transit/Time_limit "soon" is not a date (expected
 * M/D/YY, e.g. 3/8/26)`); SG_ENOTFOUND for an office code missing from the
 * table; SG_ESEQ for a file that is not a transit declaration, or not
 * registered yet. */
int asy_map_read (xmlDocPtr doc, const asy_offices_t *tables, const asy_map_opts_t *opts,
                  msg_type_t type, asy_sad_info_t *info, msg_t **msg_p, sg_diag_t *diag);

/* Parses an ASYCUDA date "M/D/YY" (or M/D/YYYY; YY is 20YY) into
 * "YYYY-MM-DD". SG_OK or SG_EINVAL (not a date, or not a real day). */
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
int asy_map_write (const msg_t *msg, const asy_offices_t *tables, char **buf_p, size_t *len_p,
                   sg_diag_t *diag);

#endif
