/* gen_xslt.h - XSLT mappings between a national XML format and sigmat's
 * messages (libxslt), hardened: stylesheets are operator files loaded
 * through xmlsafe, documents through sg_xmlsafe_parse, and a stylesheet may
 * neither read nor write files or the network. */
#ifndef GEN_XSLT_H_INCLUDED
#define GEN_XSLT_H_INCLUDED

#include <stddef.h>
#include <libxml/tree.h>

#include "gen_conf.h"
#include "msg.h"
#include "schema.h"
#include "sg.h"

typedef struct gen_xslt_t gen_xslt_t;

/* Once per process, after sg_xmlsafe_init: libxslt's defaults, with file and
 * network access forbidden to every stylesheet. */
void gen_xslt_init (void);

/* Compiles the stylesheet at path (xsl:import/include resolved inside its
 * own folder only). NULL with diag (SG_EIO, SG_EXML) on failure. */
gen_xslt_t *gen_xslt_load (const char *path, sg_diag_t *diag);

/* Frees it (NULL is fine) and clears the caller's pointer. */
void gen_xslt_destroy (gen_xslt_t **self_p);

/* Transforms doc with string parameters (names[i] = values[i], n of them)
 * into a new document *out_p (the caller frees it with xmlFreeDoc).
 * SG_OK, or SG_EINVAL with the stylesheet's xsl:message or libxslt's
 * error in diag. Thread-safe. */
int gen_xslt_apply (gen_xslt_t *self, xmlDocPtr doc, const char **names, const char **values,
                    size_t n, xmlDocPtr *out_p, sg_diag_t *diag);

/* As gen_xslt_apply, serialised by the stylesheet's xsl:output into a new
 * buffer *buf_p of *len_p bytes (free()). */
int gen_xslt_apply_bytes (gen_xslt_t *self, xmlDocPtr doc, const char **names,
                          const char **values, size_t n, char **buf_p, size_t *len_p,
                          sg_diag_t *diag);

/* Maps a national XML declaration buf[0..len) to a DEC: xmlsafe parse,
 * validation against schema (may be NULL), transformation with the
 * parameters message-id, issued, mrn (empty), today, time-limit (today +
 * time_limit_ms) and conf's xslt_param values; an empty DeclarationID is
 * given a new MRN in the departure office's country; then sg_msg_parse
 * checks the result. On SG_OK *msg_p is a new DEC. diag->nak tells which
 * stage failed: SG_EXML (input not well-formed), SG_ESCHEMA (input
 * invalid, line set), SG_EINVAL (mapping refused or result invalid). */
int gen_xslt_map_declaration (gen_xslt_t *self, sg_schema_t *schema, const char *buf, size_t len,
                              const gen_conf_t *conf, long long time_limit_ms, sg_msg_t **msg_p,
                              sg_diag_t *diag);

#endif
