/* sigmatd.c - the store-and-forward node: reads its one config file and
 * runs the node (broker/node/node.c). Exit 0 on a clean stop, 1 when the node
 * cannot start or fails, 2 for a usage or configuration error. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "node/node.h"
#include "node/nodeconf.h"
#include "xmlsafe.h"

#ifndef SG_SYSCONFDIR
#define SG_SYSCONFDIR "/etc"
#endif
#define S_DEFAULT_CONF SG_SYSCONFDIR "/sigmat/sigmatd.conf"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: sigmatd [-c FILE] [-o KEY=VALUE]... [--check-config | --print-config]\n"
             "  -c, --config FILE   configuration file (default " S_DEFAULT_CONF ")\n"
             "  -o KEY=VALUE        override one configuration key\n"
             "  --check-config      read and check the file, then exit (0 good, 2 bad)\n"
             "  --print-config      print every key with its help and current value\n"
             "                      (without -c: the defaults)\n"
             "  -V, --version       print the version\n"
             "  -h, --help          this help\n"
             "Signals: TERM/INT stop cleanly after the current batch; HUP reloads peers,\n"
             "keys and routes from the database.\n");
}

int
main (int argc, char **argv)
{
    sg_config_args_t args;
    if (sg_config_args (argc, argv, 1, &args) != 0) {
        s_usage (stderr);
        return 2;
    }
    if (args.version) {
        printf ("sigmatd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return 0;
    }
    if (args.help) {
        s_usage (stdout);
        return 0;
    }
    const char *path = args.path ? args.path : S_DEFAULT_CONF;
    int check = args.verb && !strcmp (args.verb, "check-config");
    int print = args.verb && !strcmp (args.verb, "print-config"), path_given = !!args.path;
    if (optind < argc) {
        fprintf (stderr, "sigmatd: unknown argument \"%s\"\n", argv[optind]);
        s_usage (stderr);
        return 2;
    }
    sg_log_open ("sigmatd", 0, SG_LOG_LVL_INFO);       /* deprecated keys warn while loading */
    nodeconf_t conf;
    sg_diag_t d;
    memset (&conf, 0, sizeof conf);
    if (print && !path_given) {
        int rc = nodeconf_defaults (&conf, &d);
        if (rc == SG_OK)
            nodeconf_print (&conf, stdout);
        nodeconf_free (&conf);
        return rc == SG_OK ? 0 : 1;
    }
    if (nodeconf_load (&conf, path, args.over, args.nover, &d) != SG_OK) {
        fprintf (stderr, "sigmatd: %s\n", d.text);
        nodeconf_free (&conf);
        return 2;
    }
    if (check || print) {
        if (print)
            nodeconf_print (&conf, stdout);
        nodeconf_free (&conf);
        return 0;
    }
    sg_log_open ("sigmatd", conf.syslog, (sg_log_level_t) conf.log_level);
    sg_log_set_tag (conf.name);
    sg_xmlsafe_init ();
    int rc = 1;
    node_t *node = node_new (&conf, &d);
    if (!node && d.code == SG_OK) {
        sg_log_info ("%s", d.text);        /* stopped while a standby */
        rc = 0;
    }
    else if (!node)
        sg_log_error ("cannot start: %s", d.text);
    else
        rc = node_run (node) == SG_OK ? 0 : 1;
    node_destroy (&node);
    if (rc == 0)
        sg_log_info ("stopped");
    nodeconf_free (&conf);
    return rc;
}
