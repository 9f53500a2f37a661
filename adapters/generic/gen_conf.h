/* gen_conf.h - sigmat-generic's configuration: the key table (lib/conf.h)
 * and the checks the table cannot express (tokens, offices, webhook). */
#ifndef GEN_CONF_H_INCLUDED
#define GEN_CONF_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "sg.h"

#define GEN_MAX_TOKEN_OFFICES 32
#define GEN_MAX_PARAMS 32

/* One API bearer token: its name (for logs), the SHA-256 of the secret
 * (hex) and the offices (8 characters) or countries (2) it may act for. */
typedef struct {
    char name[64];
    char sha256[65];
    char offices[GEN_MAX_TOKEN_OFFICES][9];
    size_t n_offices;
} gen_token_t;

/* A stylesheet for one outgoing message type (webhook_xslt TYPE FILE). */
typedef struct {
    char type[4];
    char *path;
} gen_type_xslt_t;

/* An XSLT parameter (xslt_param NAME VALUE). */
typedef struct {
    char *name;
    char *value;
} gen_param_t;

typedef struct {
    char *name;                     /* adapter name at the node */
    char *node_endpoint;
    char *node_public;              /* node's CURVE public key file */
    char *curve_public, *curve_secret;
    char *listen;                   /* HTTP address:port */
    char *state_db;
    char *archive_dir;          /* retention archives */
    long long retention;        /* ms; 0 = keep everything */
    size_t max_body;
    long long request_timeout;
    gen_token_t *tokens; size_t n_tokens;
    char *token_file;               /* officer token file (docs/officers.md) */
    char *tls_cert, *tls_key;       /* PEM files of the API listener */
    char *webhook_url;
    char *webhook_secret_file;
    char *webhook_ca_file;
    char *webhook_format;           /* json or xml */
    long long webhook_timeout;
    long long webhook_retry_min, webhook_retry_max;
    int webhook_batch;
    gen_type_xslt_t *type_xslt; size_t n_type_xslt;
    char *xml_input_xslt;
    char *xml_input_schema;
    gen_param_t *params; size_t n_params;
    long long default_time_limit;
    int log_level;
    int syslog;
} gen_conf_t;

/* Fills conf (zeroed by the caller) with the defaults. SG_OK or SG_ECONFIG. */
int gen_conf_defaults (gen_conf_t *conf, sg_diag_t *diag);

/* Loads path on top of the defaults and checks it; SG_OK, SG_EIO or
 * SG_ECONFIG with "path:line: ..." or "path: ..." in diag. */
int gen_conf_load (gen_conf_t *conf, const char *path, sg_diag_t *diag);

/* Sets one key to one value (before gen_conf_check). */
int gen_conf_set (gen_conf_t *conf, const char *key, const char *value, sg_diag_t *diag);

/* Applies one `-o KEY=VALUE` override (lib/conf.h sg_config_set_kv). */
int gen_conf_set_kv (gen_conf_t *conf, const char *key_eq_value, sg_diag_t *diag);

/* Checks what the table cannot (required keys, webhook format...); name
 * prefixes the messages. SG_OK or SG_ECONFIG. */
int gen_conf_check (gen_conf_t *conf, const char *name, sg_diag_t *diag);

/* Prints every key with its help and current value (the example config). */
void gen_conf_dump (const gen_conf_t *conf, FILE *out);

/* Frees everything conf holds; conf can be reused after gen_conf_defaults. */
void gen_conf_free (gen_conf_t *conf);

/* Stylesheet configured for outgoing type ("AAR"), or NULL. */
const char *gen_conf_type_xslt (const gen_conf_t *conf, const char *type);

/* Writes the lowercase hex SHA-256 of text into out. */
void gen_sha256_hex (const void *data, size_t len, char out[65]);

#endif
