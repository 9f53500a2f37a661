/* gen_conf.c - sigmat-generic's key table (lib/conf.h), its MULTI keys
 * (token, webhook_xslt, xslt_param) and the checks the table cannot do. */
#include "gen_conf.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "buf.h"
#include "code.h"
#include "header.h"
#include "ident.h"
#include "msg.h"

void
gen_sha256_hex (const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest (data, len, md, &n, EVP_sha256 (), NULL);
    for (unsigned int i = 0; i < 32; i++)
        snprintf (out + 2 * i, 3, "%02x", md[i]);
    out[64] = 0;
}

static int
s_hex64 (const char *s)
{
    if (strlen (s) != 64)
        return 0;
    for (; *s; s++)
        if (!isdigit ((unsigned char) *s) && !(*s >= 'a' && *s <= 'f'))
            return 0;
    return 1;
}

/* token NAME SECRET OFFICE... (offices may also be comma-separated). */
/* Makes room for element n of a list of the config (*arr_p, n elements of
 * size bytes): the new element, zeroed, or NULL with "out of memory" in err. */
static void *
s_push (void *arr_p, size_t n, size_t size, char *err, size_t errsize)
{
    size_t cap = n;     /* the lists hold exactly n: each push grows them */
    void *slot = sg_array_slot (arr_p, n, &cap, size, 1);
    if (!slot)
        snprintf (err, errsize, "out of memory");
    return slot;
}

static int
s_token_add (void *conf, const sg_config_entry_t *e, int argc, char **argv, char *err, size_t size)
{
    gen_conf_t *c = conf;
    if (argc < 3) {
        snprintf (err, size, "expected NAME SECRET OFFICE...");
        return -1;
    }
    gen_token_t t;
    memset (&t, 0, sizeof t);
    if (sg_strlcpy (t.name, argv[0], sizeof t.name) != SG_OK) {
        snprintf (err, size, "token name longer than 63 characters");
        return -1;
    }
    if (strncmp (argv[1], "sha256:", 7) == 0) {
        if (!s_hex64 (argv[1] + 7)) {
            snprintf (err, size, "sha256: must be followed by 64 lowercase hex digits");
            return -1;
        }
        memcpy (t.sha256, argv[1] + 7, 65);
    } else {
        if (strlen (argv[1]) < 16) {
            snprintf (err, size, "a literal token must have at least 16 characters");
            return -1;
        }
        gen_sha256_hex (argv[1], strlen (argv[1]), t.sha256);
    }
    for (int i = 2; i < argc; i++) {
        char *list = strdup (argv[i]), *save = NULL;
        if (!list) {
            snprintf (err, size, "out of memory");
            return -1;
        }
        for (char *o = strtok_r (list, ",", &save); o; o = strtok_r (NULL, ",", &save)) {
            if (!sg_code_office (o, SG_CODE_ANY) || t.n_offices == GEN_MAX_TOKEN_OFFICES) {
                snprintf (err, size, "bad office \"%s\": an office reference (CI000101) or a "
                          "country (CI), at most %d", o, GEN_MAX_TOKEN_OFFICES);
                free (list);
                return -1;
            }
            sg_strlcpy (t.offices[t.n_offices++], o, 9);
        }
        free (list);
    }
    for (size_t i = 0; i < c->n_tokens; i++)
        if (!strcmp (c->tokens[i].name, t.name) || !strcmp (c->tokens[i].sha256, t.sha256)) {
            snprintf (err, size, "duplicate token name or secret");
            return -1;
        }
    gen_token_t *n = s_push (&c->tokens, c->n_tokens, sizeof *n, err, size);
    if (!n)
        return -1;
    *n = t;
    c->n_tokens++;
    return 0;
}

static void
s_token_dump (const void *conf, const sg_config_entry_t *e, FILE *out)
{
    const gen_conf_t *c = conf;
    for (size_t i = 0; i < c->n_tokens; i++) {
        fprintf (out, "%s %s sha256:%s", e->name, c->tokens[i].name, c->tokens[i].sha256);
        for (size_t j = 0; j < c->tokens[i].n_offices; j++)
            fprintf (out, "%s%s", j ? "," : " ", c->tokens[i].offices[j]);
        fprintf (out, "\n");
    }
}

static int
s_xslt_add (void *conf, const sg_config_entry_t *e, int argc, char **argv, char *err, size_t size)
{
    gen_conf_t *c = conf;
    if (argc != 2 || sg_msg_type_from_name (argv[0]) == SG_MSG_NONE) {
        snprintf (err, size, "expected TYPE FILE, TYPE a message type such as AAR");
        return -1;
    }
    gen_type_xslt_t *n = s_push (&c->type_xslt, c->n_type_xslt, sizeof *n, err, size);
    if (!n)
        return -1;
    sg_strlcpy (n->type, argv[0], 4);
    if (!(n->path = strdup (argv[1]))) {
        snprintf (err, size, "out of memory");
        return -1;
    }
    c->n_type_xslt++;
    return 0;
}

static void
s_xslt_dump (const void *conf, const sg_config_entry_t *e, FILE *out)
{
    const gen_conf_t *c = conf;
    for (size_t i = 0; i < c->n_type_xslt; i++)
        fprintf (out, "%s %s \"%s\"\n", e->name, c->type_xslt[i].type, c->type_xslt[i].path);
}

static int
s_param_add (void *conf, const sg_config_entry_t *e, int argc, char **argv, char *err, size_t size)
{
    gen_conf_t *c = conf;
    if (argc != 2 || !argv[0][0] || strspn (argv[0], "abcdefghijklmnopqrstuvwxyz"
                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
                                        != strlen (argv[0])) {
        snprintf (err, size, "expected NAME VALUE, NAME of A-Z a-z 0-9 - _");
        return -1;
    }
    if (c->n_params == GEN_MAX_PARAMS) {
        snprintf (err, size, "more than %d parameters", GEN_MAX_PARAMS);
        return -1;
    }
    gen_param_t *n = s_push (&c->params, c->n_params, sizeof *n, err, size);
    if (!n)
        return -1;
    n->name = strdup (argv[0]);
    n->value = strdup (argv[1]);
    c->n_params++;
    if (!n->name || !n->value) {
        snprintf (err, size, "out of memory");
        return -1;
    }
    return 0;
}

static void
s_param_dump (const void *conf, const sg_config_entry_t *e, FILE *out)
{
    const gen_conf_t *c = conf;
    for (size_t i = 0; i < c->n_params; i++)
        fprintf (out, "%s %s \"%s\"\n", e->name, c->params[i].name, c->params[i].value);
}

#define S_OFF(f) offsetof (gen_conf_t, f)
#define S_DAY 86400000LL

static const sg_config_entry_t s_table[] = {
    { "name", SG_CONFIG_STRING, S_OFF (name), "generic",
      "This adapter's name, as registered at the node (`sigmatctl peer add NAME\n"
      "--role adapter --offices ...`).", 0, 0, NULL, NULL },
    { "node_endpoint", SG_CONFIG_STRING, S_OFF (node_endpoint), "tcp://127.0.0.1:7700",
      "The national node's SGTP/1 endpoint.", 0, 0, NULL, NULL },
    { "node_public_key", SG_CONFIG_PATH, S_OFF (node_public), NULL,
      "The node's CurveZMQ public key file, Z85 (the node's `curve_public`).\n"
      "Unset with curve_public and curve_secret unset too: plaintext, for tests\n"
      "only.", 0, 0, NULL, NULL },
    { "curve_public", SG_CONFIG_PATH, S_OFF (curve_public), NULL,
      "This adapter's CurveZMQ public key file (`sigmatctl keygen`).", 0, 0, NULL, NULL },
    { "curve_secret", SG_CONFIG_PATH, S_OFF (curve_secret), NULL,
      "This adapter's CurveZMQ secret key file.", 0, 0, NULL, NULL },
    { "http_listen", SG_CONFIG_STRING, S_OFF (listen), "127.0.0.1:8480",
      "Address and port of the REST/JSON API: IPv4 (127.0.0.1:8480), IPv6 in\n"
      "brackets ([::1]:8480, [::]:8480 for every address) or *:PORT. Plain HTTP\n"
      "unless http_tls_cert and http_tls_key are set.", 0, 0, NULL, NULL },
    { "http_tls_cert", SG_CONFIG_PATH, S_OFF (tls_cert), NULL,
      "PEM certificate (chain) of the API; with http_tls_key the API speaks HTTPS\n"
      "only.",
      0, 0, NULL, NULL },
    { "http_tls_key", SG_CONFIG_PATH, S_OFF (tls_key), NULL,
      "PEM private key of http_tls_cert (readable only by the service user).", 0, 0, NULL, NULL },
    { "http_officers", SG_CONFIG_PATH, S_OFF (token_file), NULL,
      "Officer token file: one line per officer or post, `ID SHA256 OFFICES`\n"
      "(docs/officers.md), re-read when it changes; used with the http_token lines.\n"
      "The token's ID is sent with the messages it causes (Officer header).",
      0, 0, NULL, NULL },
    { "state_db", SG_CONFIG_PATH, S_OFF (state_db), "/var/lib/sigmat/generic.db",
      "SQLite file of the adapter's durable state: messages to the node, the\n"
      "webhook outbox, movements, idempotency keys (WAL, synchronous=FULL).",
      0, 0, NULL, NULL },
    { "archive_dir", SG_CONFIG_PATH, S_OFF (archive_dir), "/var/lib/sigmat/generic-archive",
      "Retention: where old finished rows of state_db (messages the node\n"
      "answered, delivered webhooks, closed movements and their events,\n"
      "idempotency keys) are archived (gzip JSON lines) before they are deleted.",
      0, 0, NULL, NULL },
    { "retention", SG_CONFIG_DURATION, S_OFF (retention), "90d",
      "How long finished rows stay in state_db; 0 keeps everything. Queued\n"
      "messages, pending webhooks and open movements always stay.",
      0, 3660LL * 86400000, NULL, NULL },
    { "http_max_body", SG_CONFIG_SIZE, S_OFF (max_body), "1MiB",
      "Largest request body accepted; larger ones are answered 413.",
      1024, 64 * 1024 * 1024, NULL, NULL },
    { "http_request_timeout", SG_CONFIG_DURATION, S_OFF (request_timeout), "30s",
      "An HTTP connection idle this long is closed.", 1000, 3600000, NULL, NULL },
    { "http_token", SG_CONFIG_MULTI, 0, NULL,
      "An API bearer token, repeatable: `http_token NAME SECRET OFFICE[,OFFICE...]`.\n"
      "SECRET is sha256:<hex of the token> (print it with `sigmat-generic\n"
      "hash-token`) or the token itself (16 characters at least). OFFICE is an\n"
      "office reference (SN000101) or a whole country (SN) the token may act for.",
      0, 0, s_token_add, s_token_dump },
    { "webhook_url", SG_CONFIG_STRING, S_OFF (webhook_url), NULL,
      "Where incoming messages (AAR, ATR, WOF, CAN, ENQ, NAK...) are POSTed.\n"
      "http:// or https:// (TLS through libcurl). Unset: they stay in the outbox.",
      0, 0, NULL, NULL },
    { "webhook_secret_file", SG_CONFIG_PATH, S_OFF (webhook_secret_file), NULL,
      "File holding the HMAC-SHA256 key for X-Sigmat-Signature (its first line,\n"
      "16 bytes at least). Required with webhook_url.", 0, 0, NULL, NULL },
    { "webhook_ca_file", SG_CONFIG_PATH, S_OFF (webhook_ca_file), NULL,
      "CA bundle (PEM) to verify an https:// webhook; unset: the system's.",
      0, 0, NULL, NULL },
    { "webhook_format", SG_CONFIG_STRING, S_OFF (webhook_format), "json",
      "json: the message as JSON (WCO-DM names, as in the API). xml: the\n"
      "message's XML, transformed by its webhook_xslt stylesheet if one is set.",
      0, 0, NULL, NULL },
    { "webhook_xslt", SG_CONFIG_MULTI, 0, NULL,
      "`webhook_xslt TYPE FILE`, repeatable: with webhook_format xml, messages of\n"
      "TYPE (AAR, ATR...) are transformed by FILE, e.g. aar-to-cc001c.xsl.",
      0, 0, s_xslt_add, s_xslt_dump },
    { "webhook_timeout", SG_CONFIG_DURATION, S_OFF (webhook_timeout), "10s",
      "Longest wait for the national system to answer one POST.", 100, 600000, NULL, NULL },
    { "webhook_retry_min", SG_CONFIG_DURATION, S_OFF (webhook_retry_min), "1s",
      "First delay before a failed webhook is retried; it doubles on each failure.",
      10, S_DAY, NULL, NULL },
    { "webhook_retry_max", SG_CONFIG_DURATION, S_OFF (webhook_retry_max), "5m",
      "Longest delay between two tries of one webhook.", 10, 7 * S_DAY, NULL, NULL },
    { "webhook_batch", SG_CONFIG_INT, S_OFF (webhook_batch), "32",
      "Most webhooks read from the outbox per pass (each MRN in order).",
      1, 10000, NULL, NULL },
    { "xml_input_xslt", SG_CONFIG_PATH, S_OFF (xml_input_xslt), NULL,
      "Stylesheet mapping the national XML declaration POSTed as application/xml\n"
      "to a sigmat DEC, e.g. cc015c-to-dec.xsl. Unset: XML input is refused (415).",
      0, 0, NULL, NULL },
    { "xml_input_schema", SG_CONFIG_PATH, S_OFF (xml_input_schema), NULL,
      "XSD the national XML must validate against before it is mapped\n"
      "(e.g. the NCTS cc015c.xsd). Unset: no validation before mapping.",
      0, 0, NULL, NULL },
    { "xslt_param", SG_CONFIG_MULTI, 0, NULL,
      "`xslt_param NAME VALUE`, repeatable: a string parameter given to every\n"
      "stylesheet (defaults for data the national format does not carry).",
      0, 0, s_param_add, s_param_dump },
    { "default_time_limit", SG_CONFIG_DURATION, S_OFF (default_time_limit), "8d",
      "Time limit given to an XML-mapped declaration that carries none (from today).",
      S_DAY, 365 * S_DAY, NULL, NULL },
    { "log_level", SG_CONFIG_LEVEL, S_OFF (log_level), "info",
      "error, warn, info or debug.", 0, 0, NULL, NULL },
    { "syslog", SG_CONFIG_BOOL, S_OFF (syslog), "no",
      "Log to syslog (journald) instead of stderr.", 0, 0, NULL, NULL },
    /* the names before the shared vocabulary (docs/configuration.md) */
    SG_CONFIG_ALIAS_OF ("node_public", "node_public_key"),
    SG_CONFIG_ALIAS_OF ("listen", "http_listen"),
    SG_CONFIG_ALIAS_OF ("tls_cert", "http_tls_cert"),
    SG_CONFIG_ALIAS_OF ("tls_key", "http_tls_key"),
    SG_CONFIG_ALIAS_OF ("token_file", "http_officers"),
    SG_CONFIG_ALIAS_OF ("max_body", "http_max_body"),
    SG_CONFIG_ALIAS_OF ("request_timeout", "http_request_timeout"),
    SG_CONFIG_ALIAS_OF ("token", "http_token"),
    { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL }
};

int
gen_conf_defaults (gen_conf_t *conf, sg_diag_t *diag)
{
    return sg_config_defaults (s_table, conf, diag);
}

int
gen_conf_load (gen_conf_t *conf, const char *path, sg_diag_t *diag)
{
    size_t first = conf->n_type_xslt;
    int rc = sg_config_load (s_table, conf, path, diag);
    if (rc != SG_OK)
        return rc;
    /* webhook_xslt files are relative to the config file, like PATH keys. */
    const char *slash = strrchr (path, '/');
    if (!slash)
        return SG_OK;
    for (size_t i = first; i < conf->n_type_xslt; i++) {
        char *p = conf->type_xslt[i].path, *abs = NULL;
        if (p[0] == '/')
            continue;
        if (asprintf (&abs, "%.*s/%s", (int) (slash - path), path, p) < 0)
            return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        free (p);
        conf->type_xslt[i].path = abs;
    }
    return SG_OK;
}

int
gen_conf_set (gen_conf_t *conf, const char *key, const char *value, sg_diag_t *diag)
{
    return sg_config_set (s_table, conf, key, value, diag);
}

int
gen_conf_set_kv (gen_conf_t *conf, const char *key_eq_value, sg_diag_t *diag)
{
    return sg_config_set_kv (s_table, conf, key_eq_value, diag);
}

int
gen_conf_check (gen_conf_t *c, const char *name, sg_diag_t *diag)
{
    if (!c->name || !sg_hdr_node_name_check (c->name) || strlen (c->name) > 63)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: bad name: 1-63 of A-Z a-z 0-9 . _ -",
                            name);
    if (!c->state_db || !c->listen || !c->node_endpoint)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: state_db, http_listen and node_endpoint are required", name);
    int nkeys = !!c->node_public + !!c->curve_public + !!c->curve_secret;
    if (nkeys != 0 && nkeys != 3)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: node_public_key, curve_public and curve_secret go together", name);
    if (strcmp (c->webhook_format, "json") && strcmp (c->webhook_format, "xml"))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: webhook_format must be json or xml, not \"%s\"", name,
                            c->webhook_format);
    if (c->webhook_url) {
        if (strncmp (c->webhook_url, "http://", 7) && strncmp (c->webhook_url, "https://", 8))
            return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                                "%s: webhook_url must start with http:// or https://", name);
        if (!c->webhook_secret_file)
            return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                                "%s: webhook_secret_file is required with webhook_url", name);
    }
    if (c->webhook_retry_max < c->webhook_retry_min)
        c->webhook_retry_max = c->webhook_retry_min;
    return SG_OK;
}

void
gen_conf_dump (const gen_conf_t *conf, FILE *out)
{
    sg_config_dump (s_table, conf, out);
}

void
gen_conf_free (gen_conf_t *c)
{
    sg_config_free (s_table, c);
    free (c->tokens);
    for (size_t i = 0; i < c->n_type_xslt; i++)
        free (c->type_xslt[i].path);
    free (c->type_xslt);
    for (size_t i = 0; i < c->n_params; i++) {
        free (c->params[i].name);
        free (c->params[i].value);
    }
    free (c->params);
    c->tokens = NULL, c->n_tokens = 0;
    c->type_xslt = NULL, c->n_type_xslt = 0;
    c->params = NULL, c->n_params = 0;
}

const char *
gen_conf_type_xslt (const gen_conf_t *conf, const char *type)
{
    for (size_t i = 0; i < conf->n_type_xslt; i++)
        if (!strcmp (conf->type_xslt[i].type, type))
            return conf->type_xslt[i].path;
    return NULL;
}
