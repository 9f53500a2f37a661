/* fuzz_asycuda.c - libFuzzer target for the ASYCUDA mapper
 * (adapters/asycuda): any bytes as an ASYCUDA World SAD XML export, read
 * as `sigmat-asycuda check-file` and the spool read one: the hardened
 * parser with the adapter's size limit, then asy_spool_map through the
 * shipped profile (mapping.conf) and tables (offices.csv, corridors.csv),
 * for an adapter of each country of the fixtures (CI, BJ, TG). A refusal
 * must carry at least one reason, and the reasons must format; a mapped
 * declaration is serialised as `check-file --show` does. The profile and
 * tables are read once from $SIGMAT_SRCDIR/adapters/asycuda. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_conf.h"
#include "asy_map.h"
#include "asy_offices.h"
#include "asy_profile.h"
#include "asy_spool.h"
#include "ident.h"
#include "xmlsafe.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_countries[] = { "CI", "BJ", "TG" };
#define S_NCOUNTRIES (sizeof s_countries / sizeof s_countries[0])

static asy_conf_t s_conf[S_NCOUNTRIES];
static asy_offices_t *s_tables;
static asy_profile_t *s_profile;
static asy_reasons_t s_reasons;
static char s_text[24576];      /* as big as check-file's */

static void
s_fail (const char *what, const char *detail)
{
    fprintf (stderr, "fuzz_asycuda: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort ();
}

static void
s_setup (void)
{
    const char *src = getenv ("SIGMAT_SRCDIR");
    char kv[4200];
    sg_diag_t d;
    if (!src)
        src = ".";
    sg_xmlsafe_init ();
    for (size_t i = 0; i < S_NCOUNTRIES; i++) {
        asy_conf_t *c = &s_conf[i];
        if (asy_conf_load (c, NULL, &d) != SG_OK)
            s_fail ("the default configuration does not load", d.text);
        snprintf (kv, sizeof kv, "country=%s", s_countries[i]);
        if (asy_conf_set (c, kv, &d) != SG_OK)
            s_fail ("cannot set the country", d.text);
        snprintf (kv, sizeof kv, "mapping=%s/adapters/asycuda/mapping.conf", src);
        if (asy_conf_set (c, kv, &d) != SG_OK)
            s_fail ("cannot set the mapping", d.text);
        if (asy_conf_check (c, &d) != SG_OK)
            s_fail ("the configuration does not check", d.text);
    }
    char offices[4200], corridors[4200];
    snprintf (offices, sizeof offices, "%s/adapters/asycuda/offices.csv", src);
    snprintf (corridors, sizeof corridors, "%s/adapters/asycuda/corridors.csv", src);
    if (!(s_tables = asy_offices_load (offices, corridors, &d)))
        s_fail ("cannot load the office tables (set SIGMAT_SRCDIR)", d.text);
    if (!(s_profile = asy_profile_load (s_conf[0].mapping, &d)))
        s_fail ("cannot load the mapping profile (set SIGMAT_SRCDIR)", d.text);
}

/* What check-file --show does with a mapped message: a placeholder header,
 * then the canonical form (a refusal there is a printed reason, not a
 * crash, but it must say why). */
static void
s_serialize (sg_msg_t *m, const asy_sad_info_t *info, const char *country)
{
    char s12[16], *body = NULL;
    size_t len = 0;
    sg_diag_t d;
    sg_diag_clear (&d);
    snprintf (s12, sizeof s12, "%.6s000000", info->departure + 2);
    sg_mrn_new_ex (country, info->year % 100, 'J', s12, m->mrn);
    sg_msgid_new (m->id);
    strcpy (m->issued, "2026-01-01T00:00:00Z");
    strcpy (m->sender, m->decl.departure);
    strcpy (m->recipient, m->decl.departure);
    if (sg_msg_serialize (m, &body, &len, &d) != SG_OK && !d.text[0])
        s_fail ("a mapped declaration is refused without a reason", NULL);
    free (body);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_profile)
        s_setup ();
    sg_diag_t d;
    sg_diag_clear (&d);
    sg_xmlsafe_limits_t lim = { .max_bytes = s_conf[0].max_file_size, .max_depth = 0 };
    xmlDocPtr doc = sg_xmlsafe_parse ((const char *) data, size, &lim, &d);
    if (!doc) {
        if (!d.text[0])
            s_fail ("a file that does not parse, without a reason", NULL);
        return 0;
    }
    for (size_t i = 0; i < S_NCOUNTRIES; i++) {
        asy_sad_info_t info;
        sg_msg_t *dec = NULL, *rel = NULL;
        memset (&s_reasons, 0, sizeof s_reasons);
        memset (&info, 0, sizeof info);
        sg_diag_clear (&d);
        int rc = asy_spool_map (&s_conf[i], s_tables, s_profile, doc, &info, &dec, &rel,
                                &s_reasons, &d);
        if (rc == SG_OK && info.cancelled) {
            if (dec || rel)
                s_fail ("a cancellation that also maps a message", info.key);
        }
        else if (rc == SG_OK) {
            if (!dec)
                s_fail ("a mapped declaration without a message", info.key);
            if (info.stage == ASY_STAGE_RELEASED && !rel)
                s_fail ("a released declaration without its REL", info.key);
            s_serialize (dec, &info, s_countries[i]);
            if (rel)
                s_serialize (rel, &info, s_countries[i]);
        }
        else if (rc != SG_ENOMEM) {
            if (s_reasons.n == 0)
                s_fail ("a refused file without any reason", d.text);
            asy_reasons_format (&s_reasons, s_text, sizeof s_text);
            if (!s_text[0])
                s_fail ("the reasons format to nothing", d.text);
        }
        sg_msg_destroy (&dec);
        sg_msg_destroy (&rel);
    }
    xmlFreeDoc (doc);
    return 0;
}
