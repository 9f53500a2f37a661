/* sigmatd.c - the store-and-forward node: reads its one config file and
 * runs the node (broker/node.c). Exit 0 on a clean stop, 1 when the node
 * cannot start or fails, 2 for a usage or configuration error. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "node.h"
#include "nodeconf.h"
#include "xmlsafe.h"

#ifndef SG_SYSCONFDIR
#define SG_SYSCONFDIR "/etc"
#endif
#define S_DEFAULT_CONF SG_SYSCONFDIR "/sigmat/sigmatd.conf"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: sigmatd [-c FILE] [--check-config] [--print-config]\n"
             "  -c, --config FILE   configuration file (default " S_DEFAULT_CONF ")\n"
             "  --check-config      read and check the file, then exit (0 good, 2 bad)\n"
             "  --print-config      print every key with its help and current value\n"
             "  -V, --version       print the version\n"
             "Signals: TERM/INT stop cleanly after the current batch; HUP reloads peers,\n"
             "keys and routes from the database.\n");
}

int
main (int argc, char **argv)
{
    const char *path = S_DEFAULT_CONF;
    int check = 0, print = 0, path_given = 0;
    for (int i = 1; i < argc; i++) {
        if ((strcmp (argv[i], "-c") == 0 || strcmp (argv[i], "--config") == 0) && i + 1 < argc) {
            path = argv[++i];
            path_given = 1;
        }
        else if (strcmp (argv[i], "--check-config") == 0)
            check = 1;
        else if (strcmp (argv[i], "--print-config") == 0)
            print = 1;
        else if (strcmp (argv[i], "-V") == 0 || strcmp (argv[i], "--version") == 0) {
            printf ("sigmatd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
            return 0;
        }
        else if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0) {
            s_usage (stdout);
            return 0;
        }
        else {
            fprintf (stderr, "sigmatd: unknown argument \"%s\"\n", argv[i]);
            s_usage (stderr);
            return 2;
        }
    }
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
    if (nodeconf_load (&conf, path, &d) != SG_OK) {
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
    log_open ("sigmatd", conf.syslog, (log_level_t) conf.log_level);
    log_set_tag (conf.name);
    xmlsafe_init ();
    int rc = 1;
    node_t *node = node_new (&conf, &d);
    if (!node && d.code == SG_OK) {
        log_info ("%s", d.text);        /* stopped while a standby */
        rc = 0;
    }
    else if (!node)
        log_error ("cannot start: %s", d.text);
    else
        rc = node_run (node) == SG_OK ? 0 : 1;
    node_destroy (&node);
    if (rc == 0)
        log_info ("stopped");
    nodeconf_free (&conf);
    return rc;
}
