/* ctl_archive.c - `sigmatctl archive verify FILE...`: checks retention
 * archives offline (broker/node/retention_verify.c) against signing keys
 * from --keys DIR (NAME.sign.pub files) and/or a node's peer table. */
#include "ctl/ctl.h"
#include "node/retention.h"
#include "node/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ctl_archive_verify (const ctl_verb_t *v, int argc, char **argv)
{
    const char *db = NULL, *keys = NULL;
    char **files = calloc ((size_t) argc + 1, sizeof *files);
    int nfiles = 0, rc = CTL_OK;
    if (!files)
        return CTL_FAIL;
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "keys", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 }
    };
    const char *val;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        if (opt == 'd' || opt == 'k')
            *(opt == 'd' ? &db : &keys) = val;
        else if (opt == 1)
            files[nfiles++] = (char *) val;
        else {
            ctl_usage (v, 1);
            free (files);
            return CTL_USAGE;
        }
    }
    if (nfiles == 0 || (!db && !keys && !getenv ("SIGMAT_DB"))) {
        if (nfiles)
            fprintf (stderr, "sigmatctl: give --keys DIR and/or --db CONNINFO: the public keys "
                             "to check the signatures against\n");
        ctl_usage (v, 1);
        free (files);
        return CTL_USAGE;
    }
    if (!db && !keys)
        db = getenv ("SIGMAT_DB");
    retention_keys_t k = { keys, NULL };
    if (db) {
        sg_diag_t d;
        if (!(k.db = store_new (db, &d))) {
            fprintf (stderr, "sigmatctl: %s\n", d.text);
            free (files);
            return CTL_FAIL;
        }
    }
    for (int i = 0; i < nfiles; i++) {
        retention_verify_t s;
        sg_diag_t d = { 0 };
        int r = retention_verify (files[i], &k, stdout, &s, &d);
        if (r == SG_OK)
            printf ("ok   %s: %d messages (signatures verify), %d movements (%d views, %d "
                    "events, chains intact), signed digest matches\n", files[i], s.messages,
                    s.movements, s.views, s.events);
        else if (r == SG_ESIG)
            printf ("FAIL %s: %d problem%s\n", files[i], s.problems, s.problems == 1 ? "" : "s");
        else
            printf ("FAIL %s: %s\n", files[i], d.text);
        if (r != SG_OK)
            rc = CTL_FAIL;
    }
    store_destroy (&k.db);
    free (files);
    return rc;
}
