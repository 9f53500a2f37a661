/* xmlsafe.h - hardened XML input for everything sigmat reads from outside:
 * no network, no DTD, no entities, no XInclude, size and depth limits. */
#ifndef SG_XMLSAFE_H_INCLUDED
#define SG_XMLSAFE_H_INCLUDED

#include <libxml/tree.h>

#include "sg.h"

#define XMLSAFE_DEFAULT_MAX_BYTES (4u * 1024u * 1024u)
#define XMLSAFE_DEFAULT_MAX_DEPTH 64

typedef struct {
    size_t max_bytes;   /* input larger than this is refused; 0 = default */
    int max_depth;      /* element nesting deeper than this is refused; 0 = default */
} xmlsafe_limits_t;

/* Parses buf[0..len) into a document, or returns NULL and fills diag with
 * the reason (SG_ETOOBIG, SG_ETOODEEP, SG_EXML) and the line. Any DOCTYPE,
 * entity declaration or external reference is refused. limits may be NULL
 * for the defaults. The caller frees the result with xmlFreeDoc. */
xmlDocPtr xmlsafe_parse (const char *buf, size_t len, const xmlsafe_limits_t *limits,
                         sg_diag_t *diag);

/* Reads a whole file (at most limits->max_bytes) and parses it as above.
 * Only for trusted operator-supplied paths: the path is not sandboxed. */
xmlDocPtr xmlsafe_parse_file (const char *path, const xmlsafe_limits_t *limits,
                              sg_diag_t *diag);

/* Once per process, before threads: initialises libxml2 and silences its
 * default error printing (errors come back through sg_diag_t). */
void xmlsafe_init (void);

#endif
