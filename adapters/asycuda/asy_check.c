/* asy_check.c - dry runs: `check-file` maps ASYCUDA exports through the
 * mapping profile exactly as the spool does (asy_spool_map) and prints the
 * result or every reason; `check-config` loads the profile. Nothing is
 * queued and no state is touched, so it answers for the file alone (an
 * amendment or a copy of a declaration already sent is the spool's
 * decision, docs/asycuda.md). */
#include "asy_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_map.h"
#include "asy_profile.h"
#include "asy_spool.h"
#include "ident.h"
#include "xmlsafe.h"

/* Prints m in canonical form with a placeholder header (MRN with serial 0). */
static void
s_show (sg_msg_t *m, const asy_sad_info_t *info, const char *country)
{
    char s12[16], *body = NULL;
    size_t len = 0;
    sg_diag_t d;
    snprintf (s12, sizeof s12, "%.6s000000", info->departure + 2);
    sg_mrn_new_ex (country, info->year % 100, 'J', s12, m->mrn);
    sg_msgid_new (m->id);
    asy_now (m->issued);
    strcpy (m->sender, m->decl.departure);
    strcpy (m->recipient, m->decl.departure);
    if (sg_msg_serialize (m, &body, &len, &d) == SG_OK)
        fwrite (body, 1, len, stdout);
    else
        printf ("  [INVALID_MESSAGE] the declaration does not make a valid %s message: %s\n",
                sg_msg_type_name (m->type), d.text);
    free (body);
}

int
asy_check_files (const asy_conf_t *conf, const asy_offices_t *tables, int show, int argc,
                 char **argv)
{
    if (argc < 1)
        return 2;
    sg_diag_t d;
    asy_profile_t *profile = asy_profile_load (conf->mapping, &d);
    if (!profile) {
        fprintf (stderr, "sigmat-asycuda: %s\n", d.text);
        return 2;
    }
    asy_reasons_t *rs = calloc (1, sizeof *rs);
    int bad = 0;
    for (int i = 0; rs && i < argc; i++) {
        sg_xmlsafe_limits_t lim = { .max_bytes = conf->max_file_size };
        xmlDocPtr doc = sg_xmlsafe_parse_file (argv[i], &lim, &d);
        sg_msg_t *dec = NULL, *rel = NULL;
        asy_sad_info_t info;
        memset (rs, 0, sizeof *rs);
        int rc = d.code;
        if (!doc)
            asy_reason_add (rs, rc, "NOT_WELL_FORMED", "", "cannot read or parse the file: %s"
                            " (line %d)", d.text, d.line);
        else
            rc = asy_spool_map (conf, tables, profile, doc, &info, &dec, &rel, rs, &d);
        if (rc == SG_OK && info.cancelled)
            printf ("%s: cancelled in ASYCUDA (date %s) -> CAN if its declaration %s was sent\n",
                    argv[i], info.cancel_date[0] ? info.cancel_date : "today", info.key);
        else if (rc == SG_OK) {
            const sg_msg_declaration_t *x = &dec->decl;
            printf ("%s: T1 %s, declaration %s, LRN %s, %s -> %s, %zu transit offices, %zu "
                    "items, %zu containers, %zu seals, principal %s%s%s -> %s\n", argv[i],
                    info.stage == ASY_STAGE_RELEASED ? "released" : "registered", info.key,
                    info.lrn, x->departure, x->destination, x->n_transit, x->n_items,
                    x->n_containers, x->n_seals, x->principal.id,
                    x->consignee.name[0] ? ", consignee " : "", x->consignee.name,
                    rel ? "DEC + REL (or AMD + REL if changed)" : "DEC (or AMD if changed)");
            if (show)
                s_show (dec, &info, conf->country);
            if (show && rel)
                s_show (rel, &info, conf->country);
        }
        else {
            char text[24576];
            asy_reasons_format (rs, text, sizeof text);
            printf ("%s: rejected, %zu reason%s:\n%s", argv[i], rs->n + rs->dropped,
                    rs->n + rs->dropped == 1 ? "" : "s", text);
            bad = 1;
        }
        sg_msg_destroy (&dec);
        sg_msg_destroy (&rel);
        xmlFreeDoc (doc);
    }
    free (rs);
    asy_profile_destroy (&profile);
    return bad;
}

int
asy_check_profile (const asy_conf_t *conf)
{
    sg_diag_t d;
    asy_profile_t *p = asy_profile_load (conf->mapping, &d);
    if (!p) {
        fprintf (stderr, "sigmat-asycuda: %s\n", d.text);
        return 2;
    }
    printf ("mapping %s: good; %zu fields, %zu code table entries, dates %s\n", conf->mapping,
            asy_profile_fields (p), asy_profile_codes (p), asy_profile_date_formats (p));
    asy_profile_destroy (&p);
    return 0;
}
