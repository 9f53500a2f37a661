/* main.c - sigmat-generic: reads its config and runs the adapter, or one
 * of its tools (status, hash-token, map, sign, check-config, print-config).
 * All logic lives in the gen_* modules. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "file.h"
#include "gen_adapter.h"
#include "gen_conf.h"
#include "gen_state.h"
#include "gen_webhook.h"
#include "gen_xslt.h"
#include "log.h"
#include "notify.h"
#include "xmlsafe.h"

#ifndef SG_SYSCONFDIR
#define SG_SYSCONFDIR "/etc"
#endif
#define S_DEFAULT_CONF SG_SYSCONFDIR "/sigmat/sigmat-generic.conf"

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    s_stop = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: sigmat-generic [-c FILE] [-o KEY=VALUE]... [run]\n"
        "       sigmat-generic [-c FILE] [-o KEY=VALUE]... --check-config | --print-config\n"
        "       sigmat-generic [-c FILE] status [--json]\n"
        "       sigmat-generic hash-token [TOKEN]        (TOKEN from stdin if absent)\n"
        "       sigmat-generic sign SECRET_FILE TIMESTAMP BODY_FILE\n"
        "       sigmat-generic [-c FILE] map XSLT [--schema XSD] [--declaration] "
        "[--param NAME=VALUE]... XML_FILE\n"
        "  -c, --config FILE   configuration file (default %s)\n"
        "  -o KEY=VALUE        override one configuration key\n"
        "  --check-config      read and check the config and its stylesheets, print a\n"
        "                      summary (0 good, 2 bad); also `check-config`\n"
        "  --print-config      every key with its help and current value (without\n"
        "                      -c: the defaults); also `print-config`\n"
        "  -V, --version       print the version\n"
        "  -h, --help          this help\n", S_DEFAULT_CONF);
}

static char *
s_read (const char *path, size_t *len)
{
    sg_buf_t b = { 0 };
    if (sg_file_read (path, 0, &b) != SG_OK) {
        sg_buf_free (&b);
        return NULL;
    }
    *len = b.len;
    return b.data ? sg_buf_take (&b) : calloc (1, 1);
}

static int
s_status (const gen_conf_t *conf, int as_json)
{
    sg_diag_t d;
    gen_state_t *st = gen_state_new (conf->state_db, &d);
    if (!st) {
        fprintf (stderr, "sigmat-generic: %s\n", d.text);
        return 1;
    }
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    json_t *s = gen_state_status_json (st, (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000, 100);
    gen_state_destroy (&st);
    if (!s)
        return 1;
    if (as_json) {
        json_dumpf (s, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
        printf ("\n");
    } else {
        json_t *w = json_object_get (s, "webhooks"), *n = json_object_get (s, "to_node");
        printf ("webhook outbox: %lld pending (%lld MRNs, oldest %lld s), %lld delivered\n",
                json_integer_value (json_object_get (w, "pending")),
                json_integer_value (json_object_get (w, "mrns_waiting")),
                json_integer_value (json_object_get (w, "oldest_age_ms")) / 1000,
                json_integer_value (json_object_get (w, "delivered")));
        printf ("to the node:    %lld queued, %lld acknowledged, %lld rejected\n",
                json_integer_value (json_object_get (n, "queued")),
                json_integer_value (json_object_get (n, "acknowledged")),
                json_integer_value (json_object_get (n, "rejected")));
        printf ("movements:      %lld\n", json_integer_value (json_object_get (s, "movements")));
        size_t i;
        json_t *h;
        json_array_foreach (json_object_get (s, "outbox"), i, h)
            printf ("  %s %s %s attempts %lld next %s%s%s\n",
                    json_string_value (json_object_get (h, "type")),
                    json_string_value (json_object_get (h, "mrn")),
                    json_string_value (json_object_get (h, "id")),
                    json_integer_value (json_object_get (h, "attempts")),
                    json_string_value (json_object_get (h, "next_attempt")),
                    json_is_string (json_object_get (h, "last_error")) ? " last error: " : "",
                    json_is_string (json_object_get (h, "last_error"))
                        ? json_string_value (json_object_get (h, "last_error")) : "");
    }
    json_decref (s);
    return 0;
}

static int
s_map (const gen_conf_t *conf, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "schema", required_argument, NULL, 's' }, { "declaration", no_argument, NULL, 'd' },
        { "param", required_argument, NULL, 'p' }, { NULL, 0, NULL, 0 }
    };
    const char *schema_path = NULL, *xslt = NULL, *file = NULL;
    const char *names[GEN_MAX_PARAMS], *values[GEN_MAX_PARAMS];
    gen_param_t params[GEN_MAX_PARAMS];
    size_t np = 0;
    int decl = 0, opt;
    optind = 0;                                     /* argv[0] is "map" */
    while ((opt = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
        char *eq = opt == 'p' ? strchr (optarg, '=') : NULL;
        if (opt == 's')
            schema_path = optarg;
        else if (opt == 'd')
            decl = 1;
        else if (opt == 'p' && eq && np < GEN_MAX_PARAMS) {
            *eq = 0;
            params[np].name = optarg, params[np].value = eq + 1;
            names[np] = optarg, values[np] = eq + 1;
            np++;
        } else
            return s_usage (stderr), 2;
    }
    if (argc - optind != 2)
        return s_usage (stderr), 2;
    xslt = argv[optind];
    file = argv[optind + 1];
    sg_diag_t d;
    sg_diag_clear (&d);
    size_t len = 0;
    char *buf = s_read (file, &len), *out = NULL;
    gen_xslt_t *x = gen_xslt_load (xslt, &d);
    sg_schema_t *schema = schema_path ? sg_schema_load (schema_path, &d) : NULL;
    int rc = 1;
    if (!buf || !x || (schema_path && !schema)) {
        fprintf (stderr, "sigmat-generic: %s\n", buf ? d.text : "cannot read the input");
        goto done;
    }
    if (decl) {
        gen_conf_t c = *conf;
        c.params = params, c.n_params = np;
        sg_msg_t *m = NULL;
        if (gen_xslt_map_declaration (x, schema, buf, len, &c, conf->default_time_limit, &m, &d)
            == SG_OK && sg_msg_serialize (m, &out, &len, &d) == SG_OK) {
            fwrite (out, 1, len, stdout);
            rc = 0;
        } else
            fprintf (stderr, "sigmat-generic: %s%s%d\n", d.text, d.line ? " at line " : "",
                     d.line);
        sg_msg_destroy (&m);
    } else {
        xmlDocPtr doc = sg_xmlsafe_parse (buf, len, NULL, &d);
        if (doc && (!schema || sg_schema_validate (schema, doc, &d) == SG_OK)
            && gen_xslt_apply_bytes (x, doc, names, values, np, &out, &len, &d) == SG_OK) {
            fwrite (out, 1, len, stdout);
            rc = 0;
        } else
            fprintf (stderr, "sigmat-generic: %s\n", d.text);
        if (doc)
            xmlFreeDoc (doc);
    }
done:
    free (out);
    free (buf);
    gen_xslt_destroy (&x);
    sg_schema_destroy (&schema);
    return rc;
}

/* check-config: the stylesheets and schema named in conf load; 0 or 2. */
static int
s_check_files (const gen_conf_t *conf, const char *path)
{
    sg_diag_t d;
    sg_diag_clear (&d);
    int rc = 0;
    for (size_t i = 0; i <= conf->n_type_xslt && rc == 0; i++) {
        const char *x = i < conf->n_type_xslt ? conf->type_xslt[i].path : conf->xml_input_xslt;
        gen_xslt_t *t = x ? gen_xslt_load (x, &d) : NULL;
        if (x && !t)
            rc = 2;
        gen_xslt_destroy (&t);
    }
    if (rc == 0 && conf->xml_input_schema) {
        sg_schema_t *sc = sg_schema_load (conf->xml_input_schema, &d);
        rc = sc ? 0 : 2;
        sg_schema_destroy (&sc);
    }
    if (rc != 0)
        fprintf (stderr, "sigmat-generic: %s: %s\n", path, d.text);
    else
        printf ("config %s: good; node %s as \"%s\", API on %s, %zu tokens%s\n", path,
                conf->node_endpoint, conf->name, conf->listen, conf->n_tokens,
                conf->webhook_url ? ", webhooks on" : "");
    return rc;
}

int
main (int argc, char **argv)
{
    sg_config_args_t args;
    if (sg_config_args (argc, argv, 1, &args) != 0)
        return s_usage (stderr), 2;
    if (args.version) {
        printf ("sigmat-generic (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return 0;
    }
    if (args.help)
        return s_usage (stdout), 0;
    const char *path = args.path, *verb_flag = args.verb;
    int no = args.nover, opt;
    if (verb_flag && optind < argc)
        return s_usage (stderr), 2;
    const char *cmd = verb_flag ? verb_flag : optind < argc ? argv[optind++] : "run";
    sg_log_open ("sigmat-generic", 0, SG_LOG_LVL_INFO);   /* deprecated keys warn while loading */
    if (!strcmp (cmd, "hash-token")) {
        char line[1024] = "", hex[65];
        if (optind < argc)
            sg_strlcpy (line, argv[optind], sizeof line);
        else if (fgets (line, sizeof line, stdin))
            line[strcspn (line, "\r\n")] = 0;
        if (strlen (line) < 16) {
            fprintf (stderr, "sigmat-generic: a token needs at least 16 characters\n");
            return 1;
        }
        gen_sha256_hex (line, strlen (line), hex);
        printf ("sha256:%s\n", hex);
        return 0;
    }
    if (!strcmp (cmd, "sign")) {
        char key[256], sig[GEN_SIG_MAX];
        sg_diag_t d;
        size_t len = 0;
        if (argc - optind != 3)
            return s_usage (stderr), 2;
        char *body = s_read (argv[optind + 2], &len);
        if (gen_webhook_read_secret (argv[optind], key, sizeof key, &d) != SG_OK || !body) {
            fprintf (stderr, "sigmat-generic: %s\n", body ? d.text : "cannot read the body");
            free (body);
            return 1;
        }
        gen_webhook_sign (key, strlen (key), atoll (argv[optind + 1]), body, len, sig);
        printf ("%s\n", sig);
        free (body);
        return 0;
    }
    sg_xmlsafe_init ();
    gen_xslt_init ();
    gen_conf_t conf;
    memset (&conf, 0, sizeof conf);
    sg_diag_t d;
    sg_diag_clear (&d);
    int rc = gen_conf_defaults (&conf, &d);
    if (rc == SG_OK && (path || strcmp (cmd, "print-config")))
        rc = gen_conf_load (&conf, path ? path : S_DEFAULT_CONF, &d);
    for (int i = 0; rc == SG_OK && i < no; i++)
        rc = gen_conf_set_kv (&conf, args.over[i], &d);
    if (rc == SG_OK)
        rc = gen_conf_check (&conf, path ? path : S_DEFAULT_CONF, &d);
    if (rc != SG_OK) {
        fprintf (stderr, "sigmat-generic: %s\n", d.text);
        gen_conf_free (&conf);
        return 2;
    }
    sg_log_open ("sigmat-generic", conf.syslog, (sg_log_level_t) conf.log_level);
    int status = 0;
    if (!strcmp (cmd, "print-config"))
        gen_conf_dump (&conf, stdout);
    else if (!strcmp (cmd, "check-config"))
        status = s_check_files (&conf, path ? path : S_DEFAULT_CONF);
    else if (!strcmp (cmd, "status")) {
        static const struct option statusopts[] = { { "json", no_argument, NULL, 'j' },
                                                    { NULL, 0, NULL, 0 } };
        int as_json = 0, sargc = argc - optind + 1;
        char **sargv = argv + optind - 1;           /* sargv[0] is "status" */
        optind = 0;
        while ((opt = getopt_long (sargc, sargv, "", statusopts, NULL)) != -1)
            as_json |= opt == 'j' ? 1 : 2;
        status = as_json > 1 || optind < sargc ? (s_usage (stderr), 2) : s_status (&conf, as_json);
    }
    else if (!strcmp (cmd, "map"))
        status = s_map (&conf, argc - optind + 1, argv + optind - 1);
    else if (!strcmp (cmd, "run")) {
        struct sigaction sa;
        memset (&sa, 0, sizeof sa);
        sa.sa_handler = s_on_signal;
        sigaction (SIGTERM, &sa, NULL);
        sigaction (SIGINT, &sa, NULL);
        signal (SIGPIPE, SIG_IGN);
        if (conf.n_tokens == 0 && !conf.token_file)
            sg_log_warn ("no http_token lines nor http_officers: the API will refuse every request but /v1/health");
        gen_adapter_t *a = gen_adapter_new (&conf, &d);
        if (!a) {
            sg_log_error ("cannot start: %s", d.text);
            status = 1;
        } else {
            sg_notify_ready ();
            sg_notify_status ("API on port %d", gen_adapter_port (a));
            gen_adapter_run (a, &s_stop);
            sg_log_info ("stopping");
            sg_notify_stopping ();
            gen_adapter_destroy (&a);
        }
    } else {
        s_usage (stderr);
        status = 2;
    }
    gen_conf_free (&conf);
    return status;
}
