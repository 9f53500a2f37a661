/* xmlsafe.h - hardened XML input for everything sigmat reads from outside:
 * no network, no DTD, no entities, no XInclude, size and depth limits. */
#ifndef SG_XMLSAFE_H_INCLUDED
#define SG_XMLSAFE_H_INCLUDED

#include <libxml/tree.h>

#include "sg.h"

#define SG_XMLSAFE_DEFAULT_MAX_BYTES (4u * 1024u * 1024u)
#define SG_XMLSAFE_DEFAULT_MAX_DEPTH 64
/* A start tag with more attributes (namespace declarations included) is
 * refused: libxml2 2.9 checks duplicates quadratically. */
#define SG_XMLSAFE_MAX_ATTRIBUTES 256
/* More namespace declarations than this on the open elements are refused:
 * libxml2 2.9 looks prefixes up linearly, per element and per attribute. */
#define SG_XMLSAFE_MAX_NAMESPACES 64

typedef struct {
    size_t max_bytes;   /* input larger than this is refused; 0 = default */
    int max_depth;      /* element nesting deeper than this is refused; 0 = default */
} sg_xmlsafe_limits_t;

/* Parses buf[0..len) into a document, or returns NULL and fills diag with
 * the reason (SG_ETOOBIG, SG_ETOODEEP, SG_EXML) and the line. Any DOCTYPE,
 * entity declaration or external reference is refused. limits may be NULL
 * for the defaults. The caller frees the result with xmlFreeDoc. */
xmlDocPtr sg_xmlsafe_parse (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
                         sg_diag_t *diag);

/* Flags for sg_xmlsafe_parse_flags. */
enum {
    /* Why: indentation between elements becomes text nodes that the
     * parser allocates and the validator, the walk and xmlFreeDoc each
     * visit again; for a schema without mixed content they carry nothing.
     * With this flag a whitespace-only text node is not kept where it is
     * a sibling of an element (before, between or after child elements);
     * whitespace that is an element's whole content (no element beside
     * it) is kept. Only for documents validated against such a schema. */
    SG_XMLSAFE_ELEMENT_ONLY = 1
};

/* As sg_xmlsafe_parse, with flags (SG_XMLSAFE_ELEMENT_ONLY or 0). */
xmlDocPtr sg_xmlsafe_parse_flags (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
                               int flags, sg_diag_t *diag);

/* Reads a whole file (at most limits->max_bytes) and parses it as above.
 * Only for trusted operator-supplied paths: the path is not sandboxed. */
xmlDocPtr sg_xmlsafe_parse_file (const char *path, const sg_xmlsafe_limits_t *limits,
                              sg_diag_t *diag);

/* Once per process, before threads: initialises libxml2 and silences its
 * default error printing (errors come back through sg_diag_t). */
void sg_xmlsafe_init (void);

/* sg_xmlsafe_init installs a process-wide libxml2 entity loader that refuses
 * every external resource (DTDs, entities, XInclude, xs:include, and
 * xmlReadFile's own file). Between these two calls the calling thread may
 * load plain local files under the folder root (symlinks resolved, no URL
 * schemes, no catalogs); sg_schema_load uses this to compile XSDs. Returns
 * SG_OK, or SG_EIO if root cannot be resolved. Not nestable. */
int sg_xmlsafe_trusted_begin (const char *root, sg_diag_t *diag);

/* Ends the calling thread's trusted window opened by sg_xmlsafe_trusted_begin. */
void sg_xmlsafe_trusted_end (void);

/* Why the calling thread's loader last refused a file in its trusted
 * window ("refused <path>: outside the schema folder"), or "" if it did not
 * since sg_xmlsafe_trusted_begin. Valid until the thread's next begin. */
const char *sg_xmlsafe_trusted_refusal (void);

#endif
