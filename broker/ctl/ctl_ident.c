/* ctl_ident.c - sigmatctl verbs for identifiers and keys: `mrn new`,
 * `mrn check` and `keygen`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/ctl.h"
#include "ident.h"
#include "sign.h"

int
ctl_mrn_new (const ctl_verb_t *v, int argc, char **argv)
{
    long count = 1;
    const char *country = NULL;
    static const struct option opts[] = { { "count", required_argument, NULL, 'c' },
                                          { NULL, 0, NULL, 0 } };
    const char *val;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        char *end;
        if (opt == 'c') {
            count = strtol (val, &end, 10);
            if (*end || count < 1 || count > 1000000) {
                fprintf (stderr, "sigmatctl: --count must be 1..1000000, not \"%s\"\n", val);
                return CTL_USAGE;
            }
        }
        else if (opt == 1 && !country)
            country = val;
        else {
            ctl_usage (v, 1);
            return CTL_USAGE;
        }
    }
    if (!country) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    for (long i = 0; i < count; i++) {
        char mrn[MRN_LEN + 1];
        if (sg_mrn_new (country, mrn) != SG_OK) {
            fprintf (stderr, "sigmatctl: \"%s\" is not a 2-letter country code (e.g. CI, BF, NE)\n", country);
            return CTL_FAIL;
        }
        puts (mrn);
    }
    return CTL_OK;
}

int
ctl_mrn_check (const ctl_verb_t *v, int argc, char **argv)
{
    if (argc == 0) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        sg_diag_t diag;
        if (sg_mrn_check (argv[i], &diag) == SG_OK)
            printf ("%s: ok\n", argv[i]);
        else {
            printf ("%s: %s\n", argv[i], diag.text);
            bad = 1;
        }
    }
    return bad ? CTL_FAIL : CTL_OK;
}

static int
s_path (char *out, size_t size, const char *dir, const char *name, const char *suffix)
{
    int n = snprintf (out, size, "%s/%s%s", dir, name, suffix);
    return n > 0 && (size_t) n < size;
}

int
ctl_keygen (const ctl_verb_t *v, int argc, char **argv)
{
    const char *dir = ".";
    const char *name = NULL;
    static const struct option opts[] = { { "dir", required_argument, NULL, 'd' },
                                          { NULL, 0, NULL, 0 } };
    const char *val;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        if (opt == 'd')
            dir = val;
        else if (opt == 1 && !name)
            name = val;
        else {
            ctl_usage (v, 1);
            return CTL_USAGE;
        }
    }
    if (!name || strchr (name, '/')) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
        fprintf (stderr, "sigmatctl: cannot create folder %s: %s\n", dir, strerror (errno));
        return CTL_FAIL;
    }
    char sign_key[PATH_MAX], sign_pub[PATH_MAX], curve_key[PATH_MAX], curve_pub[PATH_MAX];
    if (!s_path (sign_key, sizeof sign_key, dir, name, ".sign.key")
        || !s_path (sign_pub, sizeof sign_pub, dir, name, ".sign.pub")
        || !s_path (curve_key, sizeof curve_key, dir, name, ".curve.key")
        || !s_path (curve_pub, sizeof curve_pub, dir, name, ".curve.pub")) {
        fprintf (stderr, "sigmatctl: path too long\n");
        return CTL_FAIL;
    }
    const char *existing[] = { sign_key, sign_pub, curve_key, curve_pub };
    for (size_t i = 0; i < 4; i++) {
        struct stat st;
        if (stat (existing[i], &st) == 0) {
            fprintf (stderr, "sigmatctl: %s already exists; refusing to overwrite a key\n", existing[i]);
            return CTL_FAIL;
        }
    }
    sg_sign_key_t *key = sg_sign_key_generate ();
    if (!key) {
        fprintf (stderr, "sigmatctl: cannot generate an Ed25519 key\n");
        return CTL_FAIL;
    }
    int rc = sg_sign_key_write (key, sign_key, sign_pub);
    sg_sign_key_destroy (&key);
    if (rc != SG_OK) {
        fprintf (stderr, "sigmatctl: cannot write %s: %s\n", sign_key, sg_strerror (rc));
        return CTL_FAIL;
    }
    rc = sg_sign_curve_keygen (curve_key, curve_pub);
    if (rc != SG_OK) {
        fprintf (stderr, "sigmatctl: cannot write %s: %s\n", curve_key, sg_strerror (rc));
        return CTL_FAIL;
    }
    printf ("signing key:   %s (secret, mode 0600)\n               %s (public, PEM)\n", sign_key, sign_pub);
    printf ("transport key: %s (secret, mode 0600)\n               %s (public, Z85)\n", curve_key, curve_pub);
    return CTL_OK;
}
