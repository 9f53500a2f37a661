/* gen_api.h - what the API's files share: the resolved route of a request,
 * the JSON and RFC 7807 problem replies, and the submission handler. */
#ifndef GEN_API_H_INCLUDED
#define GEN_API_H_INCLUDED

#include <jansson.h>

#include "gen_int.h"
#include "i18n.h"
#include "officer.h"
#include "msg.h"

struct MHD_Connection;

typedef enum { GEN_R_NONE, GEN_R_HEALTH, GEN_R_SUBMIT, GEN_R_MOVEMENT, GEN_R_OFFICE } gen_rkind_t;

typedef struct {
    gen_rkind_t kind;
    sg_msg_type_t type;         /* GEN_R_SUBMIT: DEC, REL, NCF ... */
    char mrn[32];
    char office[32];
    const char *allow;          /* the methods of the route */
    officer_t who;              /* the token presented */
    const officer_t *token;     /* &who once authorised */
} gen_route_t;

#include "gen_reply.h"

/* Handles a POST of a declaration or an event (body[0..len)): checks,
 * builds the message, stores it for the node and answers. */
int gen_submit (gen_adapter_t *self, struct MHD_Connection *c, const gen_route_t *r,
                const char *url, const char *body, size_t len);

#endif
