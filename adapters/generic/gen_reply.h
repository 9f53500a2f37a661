/* gen_reply.h - sigmat-generic's HTTP answers: JSON replies and RFC 7807
 * problems with their titles in the request's language (on lib/http.h). */
#ifndef GEN_REPLY_H
#define GEN_REPLY_H

#include <jansson.h>
#include <microhttpd.h>

/* Queues a JSON reply (takes body's reference; ctype NULL = JSON) with
 * one optional extra header. Returns MHD's result. */
int gen_reply (struct MHD_Connection *c, int status, json_t *body, const char *ctype,
               const char *hname, const char *hvalue);

/* Queues an RFC 7807 problem (sg_http_problem): type urn:sigmat:problem:NAME,
 * its title in the language of the request's Accept-Language, detail, and
 * field (JSON pointer) and line when given, with one optional extra header. */
int gen_problem (struct MHD_Connection *c, int status, const char *name, const char *detail,
                 const char *field, int line, const char *hname, const char *hvalue);

#endif
