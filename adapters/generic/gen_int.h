/* gen_int.h - sigmat-generic's private shared struct: what the API
 * (gen_api.c) and the node link (gen_adapter.c) both use. */
#ifndef GEN_INT_H_INCLUDED
#define GEN_INT_H_INCLUDED

#include <stdatomic.h>
#include <stdint.h>

#include "gen_adapter.h"
#include "gen_conf.h"
#include "gen_state.h"
#include "gen_webhook.h"
#include "gen_xslt.h"
#include "http.h"
#include "officer.h"
#include "schema.h"

struct gen_adapter_t {
    const gen_conf_t *conf;
    gen_state_t *state;
    gen_webhook_t *webhook;
    gen_xslt_t *xml_in;             /* xml_input_xslt, may be NULL */
    sg_schema_t *xml_schema;        /* xml_input_schema, may be NULL */
    gen_xslt_t **out_xslt;          /* one per conf->type_xslt */
    sg_http_server_t *httpd;
    int port;
    officer_book_t *book;           /* token lines of the config + token_file */
    atomic_int dirty;               /* the API queued something for the node */
    atomic_int connected;
};

/* Starts the HTTP API on conf->listen; SG_OK or SG_EIO with diag. */
int gen_api_start (gen_adapter_t *self, sg_diag_t *diag);

/* Stops it (if started). */
void gen_api_stop (gen_adapter_t *self);

#endif
