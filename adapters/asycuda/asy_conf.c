/* asy_conf.c - sigmat-asycuda's configuration table: every key, its type,
 * default and help text, in one place (nginx-style directive table). */
#include "asy_conf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define S_OFF(f) offsetof (asy_conf_t, f)
#define S_DAY 86400000LL
#define S_VAR "/var/lib/sigmat-asycuda"

static const sg_config_entry_t s_table[] = {
    { "country", SG_CONFIG_STRING, S_OFF (country), NULL,
      "This administration's country, two letters (required), e.g. CI. MRNs are\n"
      "made for this country, and the office of departure of every T1 read from\n"
      "the spool must be in it.", 0, 0, NULL, NULL },
    { "name", SG_CONFIG_STRING, S_OFF (name), "asycuda",
      "This adapter's client name, as registered at the node with\n"
      "`sigmatctl peer add NAME --role adapter --offices ...`.", 0, 0, NULL, NULL },
    { "node_endpoint", SG_CONFIG_STRING, S_OFF (node), "tcp://127.0.0.1:7700",
      "Endpoint of the national node (sigmatd's `bind`).", 0, 0, NULL, NULL },
    { "node_public_key", SG_CONFIG_PATH, S_OFF (node_public_key), NULL,
      "The node's CurveZMQ public key file, Z85 (required; the node's\n"
      "`curve_public`).", 0, 0, NULL, NULL },
    { "curve_secret", SG_CONFIG_PATH, S_OFF (curve_secret), NULL,
      "This adapter's CurveZMQ secret key file (required; `sigmatctl keygen`).\n"
      "Readable only by the service user.", 0, 0, NULL, NULL },
    { "curve_public", SG_CONFIG_PATH, S_OFF (curve_public), NULL,
      "This adapter's CurveZMQ public key file (required; registered at the node).",
      0, 0, NULL, NULL },
    { "connect_timeout", SG_CONFIG_DURATION, S_OFF (connect_timeout), "5s",
      "How long to wait for the node's WELCOME, and the first resend delay.",
      100, 600000, NULL, NULL },
    { "reconnect_interval", SG_CONFIG_DURATION, S_OFF (reconnect_interval), "5s",
      "While the node is unreachable, try again this often (files are still read\n"
      "and queued meanwhile).", 100, S_DAY, NULL, NULL },
    { "window", SG_CONFIG_INT, S_OFF (window), "64",
      "Most messages sent to the node and not yet acknowledged.", 1, 65535, NULL, NULL },
    { "spool_dir", SG_CONFIG_PATH, S_OFF (spool_dir), S_VAR "/spool",
      "Folder where ASYCUDA World writes SAD XML files (*.xml). Write each file\n"
      "under another name (e.g. *.tmp) and rename it to *.xml when complete.",
      0, 0, NULL, NULL },
    { "work_dir", SG_CONFIG_PATH, S_OFF (work_dir), S_VAR "/work",
      "Files being processed (claimed by rename from the spool). Same file system\n"
      "as spool_dir, done_dir and rejected_dir.", 0, 0, NULL, NULL },
    { "done_dir", SG_CONFIG_PATH, S_OFF (done_dir), S_VAR "/done",
      "Files whose messages are safely queued for the node.", 0, 0, NULL, NULL },
    { "rejected_dir", SG_CONFIG_PATH, S_OFF (rejected_dir), S_VAR "/rejected",
      "Files that were refused, each with NAME.err beside it saying why.",
      0, 0, NULL, NULL },
    { "inbox_dir", SG_CONFIG_PATH, S_OFF (inbox_dir), S_VAR "/inbox",
      "Folder where the adapter writes ASYCUDA XML files of incoming messages\n"
      "(AAR ATR WOF CAN ENQ) for ASYCUDA World to import.", 0, 0, NULL, NULL },
    { "state_db", SG_CONFIG_PATH, S_OFF (state_db), S_VAR "/state.db",
      "The adapter's durable state (SQLite): ledger of files, MRNs, outbox,\n"
      "movements, officer requests.", 0, 0, NULL, NULL },
    { "archive_dir", SG_CONFIG_PATH, S_OFF (archive_dir), S_VAR "/archive",
      "Retention: where old finished rows of state_db (messages the node\n"
      "answered, deliveries written to the inbox, closed movements, officer\n"
      "requests, errors) are archived (gzip JSON lines) before they are deleted.",
      0, 0, NULL, NULL },
    { "retention", SG_CONFIG_DURATION, S_OFF (retention), "90d",
      "How long finished rows stay in state_db; 0 keeps everything. Queued\n"
      "messages, open movements and the declaration -> MRN ledger always stay.",
      0, 3660LL * 86400000, NULL, NULL },
    { "office_table", SG_CONFIG_PATH, S_OFF (offices), "/etc/sigmat/asycuda/offices.csv",
      "Office table: ASYCUDA office code -> office reference number (CSV,\n"
      "see docs/asycuda.md).", 0, 0, NULL, NULL },
    { "corridor_table", SG_CONFIG_PATH, S_OFF (corridors), "/etc/sigmat/asycuda/corridors.csv",
      "Corridor table: departure + destination -> offices of transit in order\n"
      "(CSV, see docs/asycuda.md).", 0, 0, NULL, NULL },
    { "mapping", SG_CONFIG_PATH, S_OFF (mapping), "/etc/sigmat/asycuda/mapping.conf",
      "Mapping profile: for each field of the transit message, the SAD XML\n"
      "paths to read in order, the code tables and what is required (see\n"
      "docs/asycuda.md). Check it with `sigmat-asycuda check-config`.",
      0, 0, NULL, NULL },
    { "procedure", SG_CONFIG_STRING, S_OFF (procedure), "J",
      "MRN procedure letter (J = transit, as in NCTS phase 5).", 0, 0, NULL, NULL },
    { "currency", SG_CONFIG_STRING, S_OFF (currency), "XOF",
      "Currency of the guarantee amounts ASYCUDA writes (ISO 4217).", 0, 0, NULL, NULL },
    { "scan_interval", SG_CONFIG_DURATION, S_OFF (scan_interval), "1s",
      "How often the spool folder is scanned.", 10, 3600000, NULL, NULL },
    { "spool_settle", SG_CONFIG_DURATION, S_OFF (spool_settle), "2s",
      "A file is read only once it has not changed for this long (guards\n"
      "against files still being written in place).", 0, 3600000, NULL, NULL },
    { "scan_batch", SG_CONFIG_INT, S_OFF (scan_batch), "200",
      "Most files read per scan before the adapter attends to the node again.",
      1, 100000, NULL, NULL },
    { "max_file_size", SG_CONFIG_SIZE, S_OFF (max_file_size), "4MiB",
      "Larger spool files are rejected.", 1024, 64 * 1024 * 1024, NULL, NULL },
    { "http_listen", SG_CONFIG_STRING, S_OFF (http_listen), "127.0.0.1:8780",
      "Address:port of the officer callback API and screen: IPv4 (127.0.0.1:8780),\n"
      "IPv6 in brackets ([::1]:8780, [::]:8780 for every address) or *:PORT;\n"
      "empty turns it off. On a network, set http_tls_cert and http_tls_key.",
      0, 0, NULL, NULL },
    { "http_token_file", SG_CONFIG_PATH, S_OFF (http_token_file), "/etc/sigmat/asycuda/token",
      "Deprecated: one Bearer token shared by every officer, acting for every\n"
      "office (one line, at least 16 characters). Use http_officers instead;\n"
      "one of the two is required when http_listen is set; with http_officers\n"
      "set, a missing file here is ignored.", 0, 0, NULL, NULL },
    { "http_officers", SG_CONFIG_PATH, S_OFF (http_officers), NULL,
      "Officer token file: one line per officer or post, `ID SHA256 OFFICES`\n"
      "(docs/officers.md). Each token acts only for its offices and its ID is\n"
      "sent with the messages it causes. Re-read when the file changes.",
      0, 0, NULL, NULL },
    { "http_tls_cert", SG_CONFIG_PATH, S_OFF (http_tls_cert), NULL,
      "PEM certificate (chain) of the callback API; with http_tls_key the\n"
      "listener speaks HTTPS only. Empty: plain HTTP.", 0, 0, NULL, NULL },
    { "http_tls_key", SG_CONFIG_PATH, S_OFF (http_tls_key), NULL,
      "PEM private key of http_tls_cert (readable only by the service user).",
      0, 0, NULL, NULL },
    { "http_max_body", SG_CONFIG_SIZE, S_OFF (http_max_body), "64KiB",
      "Largest request body accepted by the callback API.", 256, 16 * 1024 * 1024,
      NULL, NULL },
    { "log_level", SG_CONFIG_LEVEL, S_OFF (log_level), "info",
      "error, warn, info or debug.", 0, 0, NULL, NULL },
    { "syslog", SG_CONFIG_BOOL, S_OFF (syslog), "no",
      "Log to syslog (journald) instead of stderr.", 0, 0, NULL, NULL },
    /* the names before the shared vocabulary (docs/configuration.md) */
    SG_CONFIG_ALIAS_OF ("node", "node_endpoint"),
    SG_CONFIG_ALIAS_OF ("offices", "office_table"),
    SG_CONFIG_ALIAS_OF ("corridors", "corridor_table"),
    { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL }
};

int
asy_conf_check (asy_conf_t *c, sg_diag_t *diag)
{
    const char *p = "config";
    if (!c->country || strlen (c->country) != 2 || !isupper ((unsigned char) c->country[0])
        || !isupper ((unsigned char) c->country[1]))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: country must be set to two capital letters (e.g. CI)", p);
    if (!c->procedure || strlen (c->procedure) != 1 || !isupper ((unsigned char) c->procedure[0]))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: procedure must be one capital letter (e.g. J)", p);
    if (!c->currency || strlen (c->currency) != 3)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: currency must be an ISO 4217 code (e.g. XOF)", p);
    for (int i = 0; i < 3; i++)
        if (!isupper ((unsigned char) c->currency[i]))
            return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                                "%s: currency must be an ISO 4217 code (e.g. XOF)", p);
    return SG_OK;
}

int
asy_conf_load (asy_conf_t *conf, const char *path, sg_diag_t *diag)
{
    int rc = sg_config_defaults (s_table, conf, diag);
    if (rc == SG_OK && path)
        rc = sg_config_load (s_table, conf, path, diag);
    return rc;
}

int
asy_conf_set (asy_conf_t *conf, const char *kv, sg_diag_t *diag)
{
    return sg_config_set_kv (s_table, conf, kv, diag);
}

void
asy_conf_print (const asy_conf_t *conf, FILE *out)
{
    sg_config_dump (s_table, conf, out);
}

void
asy_conf_free (asy_conf_t *conf)
{
    if (conf)
        sg_config_free (s_table, conf);
}
