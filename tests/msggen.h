/* msggen.h - message generation and connection helpers shared by the
 * scenario client (tests/scenarios/sgtest) and the bench tool: valid
 * messages made from a template with new ids, MRNs and offices, their
 * SGTP/1 headers, and a client connection from key files. */
#ifndef SG_MSGGEN_H_INCLUDED
#define SG_MSGGEN_H_INCLUDED

#include <stddef.h>

#include "client.h"
#include "msg.h"

/* Parses the template message file; exits with a reason if it is bad. */
sg_msg_t *msggen_template (const char *path);

/* Serialises template t with a new id, MRN, sender and recipient (and, for
 * a declaration, departure office = sender); caller frees. Exits on error. */
char *msggen_body (sg_msg_t *t, const char *id, const char *mrn, const char *from, const char *to,
                   size_t *len);

/* Header lines for a message; extra_key/extra_value (may be NULL) add one
 * extension line (X-Seq, X-Sent...). Caller frees. Exits on error. */
char *msggen_header (const char *id, const char *type, const char *mrn, const char *from,
                     const char *to, const char *origin, const char *extra_key,
                     const char *extra_value, size_t *len);

/* Connects as name with BASE.curve.key/.pub to node (server_pub a key
 * file), retrying until timeout_s; returns NULL with the reason printed
 * if the node refused us or did not answer. */
sg_client_t *msggen_connect (const char *node, const char *server_pub, const char *key_base,
                             const char *name, const char *role, int window, long timeout_s);

/* Whole file, NUL-terminated; exits with a reason if unreadable. */
char *msggen_read (const char *path, size_t *len);

#endif
