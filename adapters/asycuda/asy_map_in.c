/* asy_map_in.c - reads an ASYCUDA World SAD document as a transit (T1)
 * declaration through the mapping profile and builds the DEC, REL or AMD
 * message. Every refusal names the element (its path under <ASYCUDA>), the
 * value found and what was expected, with a stable code, and the reading
 * goes on so that one .err lists every reason at once. */
#include "asy_map.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_map_int.h"
#include "ident.h"

int
asy_date_parse (const char *text, char out[11])
{
    return text ? asy_profile_date (NULL, text, out) : SG_EINVAL;
}

/* A date field into out (YYYY-MM-DD); empty stays empty unless required. */
static int
s_date (asy_mapctx_t *c, const char *field, char out[11], const char *what)
{
    char v[64];
    const char *path;
    out[0] = 0;
    int rc = asy_map_val (c, NULL, field, v, sizeof v, &path, what);
    if (rc != SG_OK || !v[0])
        return rc;
    if (asy_profile_date (c->profile, v, out) != SG_OK)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_DATE", path,
                             "%s \"%s\" is not a date (expected one of: %s; e.g. 3/8/26)", path, v,
                             asy_profile_date_formats (c->profile));
    return SG_OK;
}

/* An office code field, mapped through the table into ref. */
static int
s_office (asy_mapctx_t *c, const char *field, char ref[9], char *code, size_t size,
          const char *what)
{
    const char *path;
    ref[0] = 0;
    int rc = asy_map_val (c, NULL, field, code, size, &path, what);
    if (rc != SG_OK || !code[0])
        return rc;
    const char *r = asy_office_ref (c->tables, code);
    if (!r)
        return asy_map_fail (c, SG_ENOTFOUND, SG_NAK_INCORRECT_VALUE, "UNKNOWN_OFFICE", path,
                             "%s: office code \"%s\" is not in the office table (offices.csv): "
                             "add it with its 8-character reference number", path, code);
    strcpy (ref, r);
    return SG_OK;
}

/* Cancelled in ASYCUDA: a cancellation date, or a status the profile's
 * table turns into CANCELLED. */
static void
s_cancellation (asy_mapctx_t *c, asy_sad_info_t *info)
{
    char status[64];
    asy_map_val (c, NULL, "cancellation.status", status, sizeof status, NULL, "");
    s_date (c, "cancellation.date", info->cancel_date, "");
    asy_map_val (c, NULL, "cancellation.reason", info->cancel_reason, sizeof info->cancel_reason,
                 NULL, "");
    for (char *p = info->cancel_reason; *p; p++)
        if (*p == '\r' || *p == '\n' || *p == '\t')
            *p = ' ';
    info->cancelled = !strcmp (status, "CANCELLED") || info->cancel_date[0];
}

/* Identification: transit or not, registered or released, the key. These
 * decide whether the file is for this adapter at all, so they stop the
 * reading (SG_ESEQ) rather than add to the list. */
static int
s_identification (asy_mapctx_t *c, asy_sad_info_t *info, sg_msg_t *m)
{
    char decl[16], tdoc[16];
    const char *p1, *p2;
    asy_profile_get (c->profile, "declaration.kind", c->root, decl, sizeof decl, &p1, NULL);
    asy_profile_get (c->profile, "declaration.transit_document", c->root, tdoc, sizeof tdoc, &p2,
                     NULL);
    if (!strcmp (tdoc, "T1") || !strcmp (tdoc, "T2") || !strcmp (tdoc, "T2F") || !strcmp (tdoc, "TIR"))
        strcpy (m->decl.type_code, tdoc);
    else if (!strcmp (decl, "TR") && !tdoc[0])
        strcpy (m->decl.type_code, "T1");
    else
        return asy_map_fail (c, SG_ESEQ, SG_NAK_INCORRECT_VALUE, "NOT_TRANSIT", p1,
                             "not a transit declaration: %s is \"%s\" (expected TR) and %s is "
                             "\"%s\" (expected T1, T2, T2F or TIR)", p1, decl, p2, tdoc);
    char code[64], serial[16], number[32], date[11] = "";
    const char *path;
    int rc = s_office (c, "office.departure", m->decl.departure, code, sizeof code,
                       "the office of departure is required");
    if (rc != SG_OK)
        return rc;
    strcpy (info->departure, m->decl.departure);
    asy_profile_get (c->profile, "office.departure", c->root, code, sizeof code, &path, NULL);
    if (strncmp (m->decl.departure, c->opts->country, 2) != 0)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "OFFICE_NOT_OURS", path,
                             "%s \"%s\" (%s) is not an office of %s, this adapter's country",
                             path, code, m->decl.departure, c->opts->country);
    if (asy_profile_get (c->profile, "registration.serial", c->root, serial, sizeof serial, NULL,
                         NULL) < 0)
        serial[0] = 0;
    if (asy_profile_get (c->profile, "registration.number", c->root, number, sizeof number, &path,
                         NULL) < 0 || !number[0])
        return asy_map_fail (c, SG_ESEQ, SG_NAK_MISSING_ELEMENT, "NOT_REGISTERED", path,
                             "not registered yet: %s is empty (a T1 is sent once ASYCUDA has "
                             "registered it)", path);
    if ((rc = s_date (c, "registration.date", date, "a registered declaration has a "
                      "registration date")) != SG_OK)
        return rc;
    info->year = atoi (date);
    snprintf (info->key, sizeof info->key, "%s %d %s %s", code, info->year,
              serial[0] ? serial : "-", number);
    info->stage = ASY_STAGE_REGISTERED;
    char n[32];
    if (asy_profile_get (c->profile, "release.number", c->root, n, sizeof n, NULL, NULL) == 0
        && n[0]) {
        if ((rc = s_date (c, "release.date", info->release_date, "")) != SG_OK)
            return rc;
        if (!info->release_date[0])
            return asy_map_fail (c, SG_EINVAL, SG_NAK_MISSING_ELEMENT, "MISSING", "release.date",
                                 "released (release.number is %s) but no release date: a "
                                 "released declaration has the date of its assessment (or "
                                 "receipt)", n);
        info->stage = ASY_STAGE_RELEASED;
    }
    /* LRN: the declarant's reference if it is one, else built from the registration. */
    char ref[64] = "";
    if (asy_profile_get (c->profile, "declaration.reference", c->root, ref, sizeof ref, NULL,
                         NULL) < 0)
        ref[0] = 0;
    if (ref[0] && strlen (ref) <= SG_MSG_LRN_MAX && asy_ascii_id (ref))
        strcpy (info->lrn, ref);
    else
        snprintf (info->lrn, sizeof info->lrn, "%.5s-%d-%.1s%.9s", code, info->year,
                  serial[0] ? serial : "", number);
    for (char *p = info->lrn; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            *p = '-';
    strcpy (m->decl.lrn, info->lrn);
    s_cancellation (c, info);
    return SG_OK;
}

/* Splits a multi-line ASYCUDA name into its lines (trimmed, non-empty). */
static int
s_lines (char *text, char **line, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r (text, "\r\n", &save); t && n < max; t = strtok_r (NULL, "\r\n", &save)) {
        while (isspace ((unsigned char) *t))
            t++;
        char *e = t + strlen (t);
        while (e > t && isspace ((unsigned char) e[-1]))
            *--e = 0;
        if (*t)
            line[n++] = t;
    }
    return n;
}

/* Number of UTF-8 characters. */
static size_t
s_chars (const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char) *s & 0xC0) != 0x80;
    return n;
}

static int
s_text_field (asy_mapctx_t *c, const char *path, const char *what, const char *v, size_t max,
              char *out, size_t size)
{
    if (s_chars (v) > max || strlen (v) >= size)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "TOO_LONG", path,
                             "%s: the %s \"%s\" is longer than %zu characters", path, what, v, max);
    strcpy (out, v);
    return SG_OK;
}

/* A TIN field into id; must be printable ASCII. */
static int
s_tin (asy_mapctx_t *c, const char *field, char *id, size_t size, const char *what)
{
    const char *path;
    int rc = asy_map_val (c, NULL, field, id, size, &path, what);
    if (rc == SG_OK && !asy_ascii_id (id)) {
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_ASCII", path,
                           "%s \"%s\" must be printable ASCII", path, id);
        id[0] = 0;
    }
    return rc;
}

static int
s_principal (asy_mapctx_t *c, sg_msg_t *m)
{
    sg_msg_party_t *p = &m->decl.principal;
    char name[1024], addr[1024], *line[8], *aline[8];
    const char *path, *apath;
    int rc = s_tin (c, "principal.tin", p->id, sizeof p->id,
                    "the principal's identification number (TIN) is required");
    int rn = asy_map_val (c, NULL, "principal.name", name, sizeof name, &path,
                          "the principal's name is required");
    if (rn != SG_OK || !name[0])
        return rn != SG_OK ? rn : rc;
    int n = s_lines (name, line, 8);
    if (s_text_field (c, path, "name (line 1)", line[0], SG_MSG_TEXT70, p->name, sizeof p->name)
        != SG_OK)
        rc = SG_EINVAL;
    /* The address: lines 2.. of a name of 3 lines or more, else the
     * principal.address field, else none (the TIN identifies the principal). */
    char **al = line + 1;
    int an = n >= 3 ? n - 1 : 0;
    if (!an) {
        if (asy_map_val (c, NULL, "principal.address", addr, sizeof addr, &apath, "") != SG_OK)
            return SG_EINVAL;
        an = s_lines (addr, aline, 8);
        al = aline;
        path = apath;
        if (an == 1)
            return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "ADDRESS_INCOMPLETE",
                                 path, "%s has one line: an address needs the street and the "
                                 "city (last line)", path);
    }
    if (an >= 2) {
        if (s_text_field (c, path, "street", al[0], SG_MSG_TEXT70, p->street, sizeof p->street)
            != SG_OK
            || s_text_field (c, path, "city (last line)", al[an - 1], SG_MSG_TEXT35, p->city,
                             sizeof p->city) != SG_OK)
            rc = SG_EINVAL;
        memcpy (p->country, m->decl.departure, 2);
    }
    return rc;
}

/* Consignor, consignee or declarant (who: "consignor"): optional; the name's first
 * line, cut to 70 characters, and the TIN when given. */
static int
s_trader (asy_mapctx_t *c, const char *who, sg_msg_party_t *p)
{
    char f[40], name[1024], *line[8];
    snprintf (f, sizeof f, "%s.name", who);
    if (asy_map_val (c, NULL, f, name, sizeof name, NULL, "") != SG_OK)
        return SG_EINVAL;
    int n = s_lines (name, line, 8);
    if (n == 0)
        return SG_OK;
    asy_utf8_copy (p->name, sizeof p->name, line[0], SG_MSG_TEXT70);
    snprintf (f, sizeof f, "%s.tin", who);
    return s_tin (c, f, p->id, sizeof p->id, "");
}

/* An optional country code field (two capital letters) into cc[3]. */
static int
s_country (asy_mapctx_t *c, const char *field, char cc[3])
{
    char v[8];
    const char *path;
    cc[0] = 0;
    int rc = asy_map_val (c, NULL, field, v, sizeof v, &path, "a country code is required");
    if (rc != SG_OK || !v[0])
        return rc;
    if (strlen (v) != 2 || !isupper ((unsigned char) v[0]) || !isupper ((unsigned char) v[1]))
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_COUNTRY", path,
                             "%s \"%s\" is not a country code (two capital letters)", path, v);
    memcpy (cc, v, 3);
    return SG_OK;
}

/* Offices of destination, exit and transit (from the corridor table). */
static int
s_offices (asy_mapctx_t *c, sg_msg_t *m)
{
    sg_msg_declaration_t *d = &m->decl;
    char country[8], code[64], ecode[64];
    const char *path;
    int rc = s_office (c, "office.destination", d->destination, code, sizeof code,
                       "a T1 needs its office of destination");
    if (asy_map_val (c, NULL, "destination.country", country, sizeof country, &path, "") != SG_OK)
        rc = SG_EINVAL;
    else if (country[0] && d->destination[0] && strncmp (country, d->destination, 2) != 0)
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "DESTINATION_COUNTRY", path,
                           "%s \"%s\" does not match the office of destination %s (expected "
                           "%.2s)", path, country, d->destination, d->destination);
    int re = s_office (c, "office.exit", d->exit, ecode, sizeof ecode, "");
    if (rc != SG_OK || re != SG_OK || !d->destination[0])
        return rc != SG_OK ? rc : re;
    const char (*list)[9] = NULL;
    size_t n = 0;
    if (asy_corridor_find (c->tables, d->departure, d->destination, &list, &n) != SG_OK) {
        if (strncmp (d->departure, d->destination, 2) != 0)
            return asy_map_fail (c, SG_ENOTFOUND, SG_NAK_INCORRECT_VALUE, "NO_CORRIDOR", "",
                                 "no corridor from %s to %s in the corridor table "
                                 "(corridors.csv): add a line DEPARTURE,DESTINATION,TRANSIT "
                                 "OFFICES", d->departure, d->destination);
        n = 0;
    }
    int exit_found = !d->exit[0];
    for (size_t i = 0; i < n; i++) {
        if ((rc = sg_msg_add_transit_office (m, list[i])) != SG_OK)
            return asy_map_fail (c, rc, 0, "INTERNAL", "", "cannot add office of transit %s",
                                 list[i]);
        exit_found |= strcmp (list[i], d->exit) == 0;
    }
    if (!exit_found) {
        asy_profile_get (c->profile, "office.exit", c->root, ecode, sizeof ecode, &path, NULL);
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "EXIT_NOT_ON_CORRIDOR", path,
                             "%s (%s) is not an office of transit of the corridor %s -> %s in "
                             "corridors.csv", path, d->exit, d->departure, d->destination);
    }
    /* Routing countries: departure, transit, destination, without repeats. */
    char last[3] = "";
    for (size_t i = 0; i <= n + 1; i++) {
        const char *o = i == 0 ? d->departure : i <= n ? list[i - 1] : d->destination;
        if (strncmp (o, last, 2) != 0) {
            memcpy (last, o, 2);
            last[2] = 0;
            if ((rc = sg_msg_add_routing_country (m, last)) != SG_OK)
                return asy_map_fail (c, rc, 0, "INTERNAL", "", "cannot add routing country");
        }
    }
    return SG_OK;
}

int
asy_map_read (xmlDocPtr doc, const asy_offices_t *tables, const asy_map_opts_t *opts,
              sg_msg_type_t type, asy_sad_info_t *info, sg_msg_t **msg_p, sg_diag_t *diag)
{
    *msg_p = NULL;
    memset (info, 0, sizeof *info);
    sg_diag_clear (diag);
    asy_reasons_t local;
    asy_mapctx_t c = { .root = xmlDocGetRootElement (doc), .tables = tables, .opts = opts,
                       .profile = opts->profile, .diag = diag,
                       .reasons = opts->reasons ? opts->reasons : &local };
    memset (c.reasons, 0, sizeof *c.reasons);
    if (!c.root || strcmp ((const char *) c.root->name, "ASYCUDA") != 0)
        return asy_map_fail (&c, SG_ESEQ, SG_NAK_INVALID_XML, "NOT_ASYCUDA", "",
                             "not an ASYCUDA SAD file: the root element is <%s> (expected "
                             "<ASYCUDA>)", c.root ? (const char *) c.root->name : "");
    if (!c.profile)
        return asy_map_fail (&c, SG_EINVAL, 0, "INTERNAL", "", "no mapping profile");
    if (type != SG_MSG_DEC && type != SG_MSG_REL && type != SG_MSG_AMD)
        return asy_map_fail (&c, SG_EINVAL, 0, "INTERNAL", "", "asy_map_read makes DEC, REL "
                             "or AMD only");
    sg_msg_t *m = sg_msg_new (type);
    if (!m)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    int rc = s_identification (&c, info, m);
    if (rc == SG_OK && info->cancelled) {
        sg_msg_destroy (&m);
        return SG_OK;
    }
    if (rc == SG_OK && type == SG_MSG_REL && info->stage != ASY_STAGE_RELEASED)
        rc = asy_map_fail (&c, SG_ESEQ, 0, "NOT_RELEASED", "", "not released yet: "
                           "release.number is empty");
    if (rc != SG_OK) {
        sg_msg_destroy (&m);
        return rc;
    }
    if (type == SG_MSG_REL)
        strcpy (m->decl.release_date, info->release_date);
    /* From here on every part is read and every reason recorded. */
    s_offices (&c, m);
    s_principal (&c, m);
    s_trader (&c, "consignor", &m->decl.consignor);
    s_trader (&c, "consignee", &m->decl.consignee);
    s_trader (&c, "declarant", &m->decl.declarant);
    s_country (&c, "export.country", m->decl.export_country);
    memcpy (m->decl.destination_country, m->decl.destination, 2);
    if (s_date (&c, "time_limit", m->decl.time_limit, "a T1 has a time limit") == SG_OK
        && info->release_date[0] && m->decl.time_limit[0]
        && strcmp (m->decl.time_limit, info->release_date) < 0) {
        const char *path;
        char v[64];
        asy_profile_get (c.profile, "time_limit", c.root, v, sizeof v, &path, NULL);
        asy_map_fail (&c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "TIME_LIMIT_BEFORE_RELEASE", path,
                      "%s (%s) is before the release date (%s)", path, m->decl.time_limit,
                      info->release_date);
    }
    asy_map_seals (&c, m);
    asy_map_guarantee_means (&c, m);
    asy_map_containers (&c, m);
    rc = asy_map_items (&c, m);
    if (rc != SG_ENOMEM && c.failed)
        rc = diag->code ? diag->code : SG_EINVAL;
    if (rc != SG_OK)
        sg_msg_destroy (&m);
    *msg_p = m;
    return rc;
}
