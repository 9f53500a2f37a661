/* gen_json.h - the JSON form of sigmat's messages for the REST API and the
 * webhooks: the XML message model (messages/msg.h, docs/messages.md) with
 * the same WCO-DM names, checked field by field so that every refusal
 * names its field as a JSON pointer (RFC 6901, arrays counted from 0). */
#ifndef GEN_JSON_H_INCLUDED
#define GEN_JSON_H_INCLUDED

#include <jansson.h>

#include "msg.h"

/* Why a request was refused: HTTP status, the JSON pointer of the field
 * ("" when it is not about one field) and one readable sentence. */
typedef struct {
    int status;
    char field[320];
    char detail[640];
} gen_err_t;

/* Sets err and returns status (so callers can `return gen_err (...)`). */
int gen_err (gen_err_t *err, int status, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Fills m->decl (and m->mrn from an optional "DeclarationID") from a
 * request body {"DeclarationID"?, "Declaration": {...}}; m is a DEC.
 * Returns 0, or 422 with err naming the field. */
int gen_json_to_decl (json_t *root, sg_msg_t *m, gen_err_t *err);

/* Fills m->event from the body of an event request for m->type (NCF ARR
 * DCR INC CAN ...). Dates and times that are left out default to now.
 * Returns 0 or 422 with err. */
int gen_json_to_event (json_t *root, sg_msg_t *m, gen_err_t *err);

/* Returns 0 if the declaration passes the semantic checks sg_msg_serialize
 * applies (numbering, totals, seals, MRN country), else 422 with err. */
int gen_json_check_decl (const sg_msg_t *m, gen_err_t *err);

/* The whole message as JSON (header, then the declaration, event, status
 * or error), a new reference, or NULL when out of memory. */
json_t *gen_json_from_msg (const sg_msg_t *m);

/* The JSON pointer of the sending office's field of an event type
 * ("/TransitCustomsOffice/ID" for NCF), or NULL when the type has none. */
const char *gen_json_office_field (sg_msg_type_t type);

/* Writes today's UTC date ("YYYY-MM-DD") and the UTC time now
 * ("YYYY-MM-DDThh:mm:ssZ"), both of one instant. */
void gen_json_now (char date[11], char datetime[21]);

#endif
