/* schema.h - XSD validation with libxml2: compile a schema once, validate
 * many documents against it, report the first error with its line. */
#ifndef SG_SCHEMA_H_INCLUDED
#define SG_SCHEMA_H_INCLUDED

#include <libxml/tree.h>

#include "sg.h"

typedef struct sg_schema_t sg_schema_t;

/* Compiles the XSD at path (includes resolved relative to it). Returns
 * NULL and fills diag on failure. Free with sg_schema_destroy. A compiled
 * schema is read-only and may be shared by threads. */
sg_schema_t *sg_schema_load (const char *path, sg_diag_t *diag);

/* Frees the schema and sets *self_p to NULL; accepts NULL. */
void sg_schema_destroy (sg_schema_t **self_p);

/* Validates doc. Returns SG_OK, or SG_ESCHEMA with diag naming the element,
 * the problem, and the line (nak: 13 for a missing element, else 12). */
int sg_schema_validate (sg_schema_t *self, xmlDocPtr doc, sg_diag_t *diag);

/* As sg_schema_validate, and stores in *nerrors (if not NULL) how many
 * errors libxml2 found in the whole document (diag keeps the first). */
int sg_schema_validate_count (sg_schema_t *self, xmlDocPtr doc, sg_diag_t *diag, int *nerrors);

/* The schema set for sigmat's own messages (messages/schemas/sigmat.xsd),
 * compiled on first use and kept for the life of the process. The folder
 * is $SIGMAT_SCHEMA_DIR if set, else the installed SG_SCHEMADIR. Returns
 * NULL and fills diag if it cannot be loaded. Thread-safe. */
sg_schema_t *sg_schema_messages (sg_diag_t *diag);

/* The folder sg_schema_messages loads from. */
const char *sg_schema_dir (void);

#endif
