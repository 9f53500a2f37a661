/* asy_cli.c - sigmat-asycuda's commands: argument parsing, config and
 * tables, and the output of status, show, expected and the officer verbs
 * (JSON, the same as the HTTP API). */
#include "asy_cli.h"

#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "asy_check.h"
#include "asy_conf.h"
#include "asy_daemon.h"
#include "asy_events.h"
#include "asy_map.h"
#include "asy_movement.h"
#include "asy_offices.h"
#include "asy_spool.h"
#include "asy_state.h"
#include "conf.h"
#include "ident.h"
#include "log.h"
#include "officer.h"
#include "xmlsafe.h"

#ifndef SG_SYSCONFDIR
#define SG_SYSCONFDIR "/etc"
#endif
#define S_DEFAULT_CONF SG_SYSCONFDIR "/sigmat/sigmat-asycuda.conf"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: sigmat-asycuda [-c FILE] [-o KEY=VALUE]... COMMAND [ARGS]\n"
        "       sigmat-asycuda [-c FILE] [-o KEY=VALUE]... --check-config | --print-config\n"
        "  -c, --config FILE   configuration file (default " S_DEFAULT_CONF ")\n"
        "  -o KEY=VALUE        override one configuration key\n"
        "  --check-config      read the config, both tables and the mapping profile,\n"
        "                      print a summary (0 good, 2 bad); also `check-config`\n"
        "  --print-config      every key with its help and current value (without\n"
        "                      -c: the defaults); also `print-config`\n"
        "  -V, --version       print the version\n"
        "  -h, --help          this help\n"
        "commands:\n"
        "  run                 the service: spool -> node, node -> inbox, callback API\n"
        "  status              folders, outbox, node connection, last errors\n"
        "  check-file [--show] FILE...  map ASYCUDA files as the service would, queue\n"
        "                      nothing; print the message (--show) or every reason\n"
        "  show MRN            the local view of a movement (JSON)\n"
        "  expected OFFICE     movements still expected at an office (JSON)\n"
        "  hash-token          read a token on stdin, print its SHA-256 (officer file)\n"
        "  crossing MRN --office O            record a frontier crossing (NCF)\n"
        "  arrival MRN --office O [--location L]          an arrival (ARR)\n"
        "  control MRN --office O --result A1|A2|B1 --seals-intact yes|no\n"
        "          [--discrepancies TEXT] [--seals-found \"S1 S2\"]\n"
        "                                                 control results (DCR)\n"
        "  incident MRN --office O --type SB|TS|AC|RD|OT --text TEXT\n"
        "          [--new-seals \"S1 S2\"] [--new-means PLATE --new-nationality CC]\n"
        "                                                 an incident (INC)\n"
        "  arrival-request MRN --office O [--departure-office O]\n"
        "                                                 record request for an undeclared arrival (ARQ)\n"
        "  enquiry-answer MRN --office O --answer AR|NP|UN [--text TEXT]\n"
        "                                                 answer an enquiry (ENR)\n"
        "  decision MRN --office O --decision write-off|recovery\n"
        "                                                 close a discrepancy (WOF)\n"
        "  cancellation MRN --office O --reason TEXT      cancel a declaration (CAN)\n"
        "  verbs also take --request-id ID (retry with the same id: done once),\n"
        "  --at YYYY-MM-DDThh:mm:ssZ (default now) and --officer ID (who acts).\n"
        "exit status: 0 done, 1 refused or failed, 2 usage or configuration error\n");
}

static int
s_print_json (json_t *j)
{
    if (!j)
        return 1;
    json_dumpf (j, stdout, JSON_INDENT (2) | JSON_SORT_KEYS);
    fputc ('\n', stdout);
    json_decref (j);
    return 0;
}

static int
s_daemon_running (const char *state_db)
{
    char path[4096];
    snprintf (path, sizeof path, "%s.lock", state_db);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int running = flock (fd, LOCK_SH | LOCK_NB) != 0;
    close (fd);
    return running;
}

static int
s_status (const asy_conf_t *conf, asy_state_t *st)
{
    char a[700], b[64], c[64], u[64];
    int running = s_daemon_running (conf->state_db);
    asy_state_meta_get (st, "daemon_pid", b, sizeof b);
    asy_state_meta_get (st, "daemon_updated", u, sizeof u);
    printf ("state file:  %s\n", conf->state_db);
    printf ("service:     %s (pid %s, status written %s)\n", running ? "running" : "NOT RUNNING",
            b[0] ? b : "-", u[0] ? u : "never");
    asy_state_meta_get (st, "node_state", a, sizeof a);
    asy_state_meta_get (st, "node_since", b, sizeof b);
    asy_state_meta_get (st, "node_last_ack", c, sizeof c);
    asy_state_meta_get (st, "node_unacked", u, sizeof u);
    printf ("node:        %s%s\n", running ? "" : "(last known) ", a[0] ? a : "never connected");
    printf ("             endpoint %s, connected since %s, last ACK %s, unacknowledged %s\n",
            conf->node, b[0] ? b : "-", c[0] ? c : "-", u[0] ? u : "0");
    printf ("folders:     spool %ld, work %ld, done %ld, rejected %ld (.err %ld), inbox %ld\n",
            asy_count_files (conf->spool_dir, ".xml"), asy_count_files (conf->work_dir, ".xml"),
            asy_count_files (conf->done_dir, NULL),
            asy_count_files (conf->rejected_dir, NULL) - asy_count_files (conf->rejected_dir, ".err"),
            asy_count_files (conf->rejected_dir, ".err"), asy_count_files (conf->inbox_dir, ".xml"));
    printf ("outbox:     ");
    printf (" queued %lld, accepted %lld, rejected %lld\n",
            asy_state_count (st, ASY_COUNT_QUEUED), asy_state_count (st, ASY_COUNT_ACCEPTED),
            asy_state_count (st, ASY_COUNT_REJECTED));
    printf ("ledger:      %lld files, %lld declarations with an MRN, %lld deliveries received,"
            " %lld refused\n", asy_state_count (st, ASY_COUNT_FILES),
            asy_state_count (st, ASY_COUNT_DECLARATIONS), asy_state_count (st, ASY_COUNT_DELIVERIES),
            asy_state_count (st, ASY_COUNT_REFUSED));
    sqlite3_stmt *q = asy_state_tally (st, ASY_TALLY_MOVEMENT_STATE);
    printf ("movements:  ");
    int any = 0;
    while (q && sqlite3_step (q) == SQLITE_ROW) {
        printf (" %s %d", sqlite3_column_text (q, 0), sqlite3_column_int (q, 1));
        any = 1;
    }
    sqlite3_finalize (q);
    printf ("%s\n", any ? "" : " none");
    q = asy_state_errors_last (st, 5);
    printf ("last errors:");
    any = 0;
    while (q && sqlite3_step (q) == SQLITE_ROW) {
        printf ("\n  %s %s: %s", sqlite3_column_text (q, 0), sqlite3_column_text (q, 1),
                sqlite3_column_text (q, 2));
        any = 1;
    }
    sqlite3_finalize (q);
    printf ("%s\n", any ? "" : " none");
    return 0;
}

/* The options of the officer verbs, each taking a value. */
static const char *s_verb_opts[] = { "office", "request-id", "at", "location", "result",
                                     "seals-intact", "discrepancies", "type", "text",
                                     "new-seals", "departure-office", "answer", "decision",
                                     "reason", "new-means", "new-nationality", "officer",
                                     "seals-found" };
#define S_NVERB_OPTS (sizeof s_verb_opts / sizeof s_verb_opts[0])

/* The value given for option name (without "--"), or NULL. */
static const char *
s_opt (const char *const *vals, const char *name)
{
    for (size_t k = 0; k < S_NVERB_OPTS; k++)
        if (strcmp (s_verb_opts[k], name + 2) == 0)
            return vals[k];
    return NULL;
}

/* The officer verbs: MRN first, then --option VALUE pairs. */
static int
s_verb (const asy_conf_t *conf, const asy_offices_t *tables, asy_state_t *st, const char *verb,
        int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '-') {
        fprintf (stderr, "sigmat-asycuda %s: the MRN comes first\n", verb);
        return 2;
    }
    struct option longopts[S_NVERB_OPTS + 1];
    const char *vals[S_NVERB_OPTS] = { NULL };
    for (size_t k = 0; k < S_NVERB_OPTS; k++)
        longopts[k] = (struct option) { s_verb_opts[k], required_argument, NULL, (int) k + 1 };
    longopts[S_NVERB_OPTS] = (struct option) { NULL, 0, NULL, 0 };
    int opt;
    optind = 0;                                     /* argv[0] is the MRN */
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:", longopts, NULL)) != -1) {
        if (opt > 0 && opt <= (int) S_NVERB_OPTS) {
            vals[opt - 1] = optarg;
            continue;
        }
        fprintf (stderr, "sigmat-asycuda %s: %s \"%s\"\n", verb,
                 opt == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
        return 2;
    }
    if (optind < argc) {
        fprintf (stderr, "sigmat-asycuda %s: unknown option \"%s\"\n", verb, argv[optind]);
        return 2;
    }
    char rid[40];
    asy_call_t c = { .verb = verb, .mrn = argv[0], .seals_intact = -1 };
    c.office = s_opt (vals, "--office");
    c.request_id = s_opt (vals, "--request-id");
    if (!c.request_id) {
        sg_msgid_new (rid);
        c.request_id = rid;
    }
    c.at = s_opt (vals, "--at");
    c.location = s_opt (vals, "--location");
    c.result = s_opt (vals, !strcmp (verb, "enquiry-answer") ? "--answer"
                      : !strcmp (verb, "decision") ? "--decision" : "--result");
    c.incident = s_opt (vals, "--type");
    c.text = s_opt (vals, !strcmp (verb, "control") ? "--discrepancies"
                    : !strcmp (verb, "cancellation") ? "--reason" : "--text");
    c.new_means = s_opt (vals, "--new-means");
    c.seals_found = s_opt (vals, "--seals-found");
    c.new_nationality = s_opt (vals, "--new-nationality");
    officer_t shell = { .n_offices = 1, .offices = { "*" } };
    const char *oid = s_opt (vals, "--officer");
    if (oid) {
        if (!officer_id_valid (oid)) {
            fprintf (stderr, "sigmat-asycuda %s: --officer \"%s\": 1-64 letters, digits or "
                     ". _ @ -\n", verb, oid);
            return 2;
        }
        strcpy (shell.id, oid);
        c.officer = &shell;
    }
    c.new_seals = s_opt (vals, "--new-seals");
    c.departure = s_opt (vals, "--departure-office");
    const char *si = s_opt (vals, "--seals-intact");
    if (si)
        c.seals_intact = strchr ("yYtT1", si[0]) ? 1 : strchr ("nNfF0", si[0]) ? 0 : -1;
    const char *env = getenv ("LC_ALL") && *getenv ("LC_ALL") ? getenv ("LC_ALL") : getenv ("LANG");
    asy_ctx_t ctx = { .state = st, .tables = tables, .conf = conf,
                      .lang = i18n_pick (env, I18N_EN) };
    json_t *out = NULL;
    int status = asy_call_run (&ctx, &c, &out);
    if (status != 200) {
        json_t *e = json_object_get (out, "error");
        fprintf (stderr, "sigmat-asycuda %s: %s\n", verb, e ? json_string_value (e) : "failed");
        json_decref (out);
        return 1;
    }
    return s_print_json (out);
}

int
asy_cli_main (int argc, char **argv)
{
    sg_config_args_t args;
    if (sg_config_args (argc, argv, 1, &args) != 0) {
        s_usage (stderr);
        return 2;
    }
    if (args.version) {
        printf ("sigmat-asycuda (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return 0;
    }
    if (args.help) {
        s_usage (stdout);
        return 0;
    }
    const char *path = args.path, *verb_flag = args.verb;
    const char *const *over = args.over;
    int nover = args.nover, opt;
    int i = optind;
    if (verb_flag ? i < argc : i >= argc) {
        s_usage (stderr);
        return 2;
    }
    const char *cmd = verb_flag ? verb_flag : argv[i++];
    /* print-config without -c prints the defaults, as sigmatd does */
    if (!path && strcmp (cmd, "print-config") != 0)
        path = S_DEFAULT_CONF;
    sg_log_open ("sigmat-asycuda", 0, SG_LOG_LVL_INFO);   /* deprecated keys warn while loading */
    if (!strcmp (cmd, "hash-token")) {
        char tok[512], hex[65];
        if (!fgets (tok, sizeof tok, stdin) || (tok[strcspn (tok, "\r\n")] = 0, strlen (tok) < 16)) {
            fprintf (stderr, "sigmat-asycuda hash-token: give the token (16 characters at "
                     "least) on stdin\n");
            return 2;
        }
        officer_hash (tok, hex);
        printf ("%s\n", hex);
        return 0;
    }
    asy_conf_t conf;
    memset (&conf, 0, sizeof conf);
    sg_diag_t d;
    asy_offices_t *tables = NULL;
    asy_state_t *st = NULL;
    int ret = 2;
    int rc = asy_conf_load (&conf, path, &d);
    for (int k = 0; rc == SG_OK && k < nover; k++)
        rc = asy_conf_set (&conf, over[k], &d);
    if (rc == SG_OK && strcmp (cmd, "print-config") == 0) {
        asy_conf_print (&conf, stdout);
        ret = 0;
        goto done;
    }
    if (rc == SG_OK)
        rc = asy_conf_check (&conf, &d);
    if (rc != SG_OK) {
        fprintf (stderr, "sigmat-asycuda: %s\n", d.text);
        goto done;
    }
    sg_log_open ("sigmat-asycuda", conf.syslog, (sg_log_level_t) conf.log_level);
    if (!(tables = asy_offices_load (conf.offices, conf.corridors, &d))) {
        fprintf (stderr, "sigmat-asycuda: %s\n", d.text);
        goto done;
    }
    if (!strcmp (cmd, "run")) {
        ret = asy_daemon_run (&conf, tables);
        goto done;
    }
    if (!strcmp (cmd, "check-config")) {
        if ((ret = asy_check_profile (&conf)) != 0)
            goto done;
        printf ("config %s: good; country %s, node %s as \"%s\", %zu offices, %zu corridors\n",
                path, conf.country, conf.node, conf.name, asy_offices_count (tables),
                asy_corridors_count (tables));
        goto done;
    }
    if (!strcmp (cmd, "check-file")) {
        static const struct option fileopts[] = { { "show", no_argument, NULL, 's' },
                                                  { NULL, 0, NULL, 0 } };
        int show = 0;
        optind = 0;                                 /* argv[i - 1] is the command */
        while ((opt = getopt_long (argc - i + 1, argv + i - 1, "", fileopts, NULL)) != -1) {
            if (opt != 's') {
                s_usage (stderr);
                goto done;
            }
            show = 1;
        }
        ret = asy_check_files (&conf, tables, show, argc - i + 1 - optind, argv + i - 1 + optind);
        goto done;
    }
    if (!(st = asy_state_open (conf.state_db, &d))) {
        fprintf (stderr, "sigmat-asycuda: %s\n", d.text);
        ret = 1;
        goto done;
    }
    ret = 1;
    if (!strcmp (cmd, "status"))
        ret = s_status (&conf, st);
    else if (!strcmp (cmd, "show") && i < argc)
        ret = s_print_json (asy_movement_json (st, tables, argv[i]));
    else if (!strcmp (cmd, "expected") && i < argc) {
        char ref[9];
        if (asy_office_resolve (tables, argv[i], ref, &d) != SG_OK)
            fprintf (stderr, "sigmat-asycuda: %s\n", d.text);
        else
            ret = s_print_json (asy_expected_json (st, tables, ref));
    }
    else if (!strcmp (cmd, "crossing") || !strcmp (cmd, "arrival") || !strcmp (cmd, "control")
             || !strcmp (cmd, "incident") || !strcmp (cmd, "arrival-request")
             || !strcmp (cmd, "enquiry-answer") || !strcmp (cmd, "decision")
             || !strcmp (cmd, "cancellation"))
        ret = s_verb (&conf, tables, st, cmd, argc - i, argv + i);
    else {
        fprintf (stderr, "sigmat-asycuda: unknown command or missing argument: %s\n", cmd);
        s_usage (stderr);
        ret = 2;
    }
done:
    asy_state_destroy (&st);
    asy_offices_destroy (&tables);
    asy_conf_free (&conf);
    return ret;
}
