/* asy_map_in.c - reads an ASYCUDA World SAD document as a transit (T1)
 * declaration and builds the DEC or REL message. Every refusal names the
 * element (its path under <ASYCUDA>), the value found and what was
 * expected, because an IT team reads it in a .err file. */
#include "asy_map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_map_int.h"
#include "ident.h"

/* The first element child named name. */
xmlNodePtr
asy_xml_child (xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node ? node->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp ((const char *) c->name, name) == 0)
            return c;
    return NULL;
}

/* The element at a path "A/B/C" below node, or NULL. */
static xmlNodePtr
s_path (xmlNodePtr node, const char *path)
{
    char part[64];
    const char *p = path;
    while (node && *p) {
        size_t n = strcspn (p, "/");
        if (n >= sizeof part)
            return NULL;
        memcpy (part, p, n);
        part[n] = 0;
        node = asy_xml_child (node, part);
        p += n;
        if (*p == '/')
            p++;
    }
    return node;
}

/* The trimmed text of node (empty for <null/> or a missing element) into
 * out; keeps inner newlines. Returns 0, or -1 if it does not fit. */
static int
s_text (xmlNodePtr node, char *out, size_t size)
{
    out[0] = 0;
    if (!node)
        return 0;
    xmlChar *t = xmlNodeGetContent (node);
    if (!t)
        return 0;
    const char *s = (const char *) t, *e = s + strlen (s);
    while (*s && isspace ((unsigned char) *s))
        s++;
    while (e > s && isspace ((unsigned char) e[-1]))
        e--;
    int rc = 0;
    if ((size_t) (e - s) >= size)
        rc = -1;
    else {
        memcpy (out, s, (size_t) (e - s));
        out[e - s] = 0;
    }
    xmlFree (t);
    return rc;
}

/* Reads a required (req) or optional value at path into out; too long or
 * missing-but-required is an error naming the path. */
int
asy_map_get (asy_mapctx_t *c, xmlNodePtr base, const char *path, int req, char *out, size_t size,
       const char *what)
{
    if (s_text (s_path (base, path), out, size) < 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%s%s is too long (at most %zu characters)", c->scope, path, size - 1);
    if (req && !out[0])
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                            "%s%s is empty: %s", c->scope, path, what);
    return SG_OK;
}

/* Printable ASCII without leading/trailing space (identifier types). */
int
asy_ascii_id (const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return 1;
}

/* Parses a decimal ("15090.0", "0.5") into millionths; -1 if it is not one. */
long long
asy_decimal (const char *s)
{
    long long v = 0, frac = 0, scale = ASY_MICRO;
    const char *p = s;
    if (!isdigit ((unsigned char) *p))
        return -1;
    for (; isdigit ((unsigned char) *p); p++) {
        v = v * 10 + (*p - '0');
        if (v > 9999999999LL)
            return -1;
    }
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit ((unsigned char) *p))
            return -1;
        for (; isdigit ((unsigned char) *p); p++) {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
            else if (*p != '0')
                return -1;              /* more than 6 significant decimals */
        }
    }
    return *p ? -1 : v * ASY_MICRO + frac;
}

/* Formats millionths with at most `decimals` decimals; trims zeros if trim. */
void
asy_decimal_format (long long micro, int decimals, int trim, char *out, size_t size)
{
    long long frac = micro % ASY_MICRO;
    int n = snprintf (out, size, "%lld.%06lld", micro / ASY_MICRO, frac);
    if (n < 0 || (size_t) n >= size)
        return;
    char *dot = strchr (out, '.');
    dot[1 + decimals] = 0;
    if (trim) {
        char *e = out + strlen (out);
        while (e[-1] == '0')
            *--e = 0;
        if (e[-1] == '.')
            e[-1] = 0;
    }
}

int
asy_date_parse (const char *text, char out[11])
{
    int m, d, y, n = 0;
    out[0] = 0;
    if (!text || sscanf (text, "%2d/%2d/%4d%n", &m, &d, &y, &n) != 3 || text[n])
        return SG_EINVAL;
    const char *last = strrchr (text, '/') + 1;
    size_t ylen = strlen (last);
    if (ylen == 2)
        y += 2000;
    else if (ylen != 4)
        return SG_EINVAL;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 2000 || y > 2999)
        return SG_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return SG_EINVAL;
    snprintf (out, 11, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    return SG_OK;
}

static int
s_date (asy_mapctx_t *c, xmlNodePtr base, const char *path, int req, char out[11], const char *what)
{
    char v[64];
    int rc = asy_map_get (c, base, path, req, v, sizeof v, what);
    if (rc != SG_OK || !v[0])
        return rc;
    if (asy_date_parse (v, out) != SG_OK)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%s%s \"%s\" is not a date (expected M/D/YY, e.g. 3/8/26)",
                            c->scope, path, v);
    return SG_OK;
}

/* An office code at path, mapped through the table into ref. */
static int
s_office (asy_mapctx_t *c, const char *path, int req, char ref[9], const char *what)
{
    char code[64];
    ref[0] = 0;
    int rc = asy_map_get (c, c->root, path, req, code, sizeof code, what);
    if (rc != SG_OK || !code[0])
        return rc;
    const char *r = asy_office_ref (c->tables, code);
    if (!r)
        return sg_diag_set (c->diag, SG_ENOTFOUND, 0, SG_NAK_INCORRECT_VALUE,
                            "%s: office code \"%s\" is not in the office table (offices.csv): "
                            "add it with its 8-character reference number", path, code);
    strcpy (ref, r);
    return SG_OK;
}

/* Identification: transit or not, registered or released, the key. */
static int
s_identification (asy_mapctx_t *c, asy_sad_info_t *info, msg_t *m)
{
    char decl[16], tdoc[16];
    int rc = asy_map_get (c, c->root, "Identification/Type/Type_of_declaration", 0, decl, sizeof decl, "");
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, "Identification/Type/Type_of_transit_document", 0, tdoc,
                    sizeof tdoc, "");
    if (rc != SG_OK)
        return rc;
    if (!strcmp (tdoc, "T1") || !strcmp (tdoc, "T2") || !strcmp (tdoc, "T2F") || !strcmp (tdoc, "TIR"))
        strcpy (m->decl.type_code, tdoc);
    else if (!strcmp (decl, "TR") && !tdoc[0])
        strcpy (m->decl.type_code, "T1");
    else
        return sg_diag_set (c->diag, SG_ESEQ, 0, SG_NAK_INCORRECT_VALUE,
                            "not a transit declaration: Identification/Type/Type_of_declaration "
                            "is \"%s\" (expected TR) and Identification/Type/Type_of_transit_"
                            "document is \"%s\" (expected T1, T2, T2F or TIR)", decl, tdoc);
    char code[64], serial[16], number[32], date[11] = "";
    rc = asy_map_get (c, c->root, "Identification/Office_segment/Customs_clearance_office_code", 1,
                code, sizeof code, "the office of departure is required");
    if (rc == SG_OK)
        rc = s_office (c, "Identification/Office_segment/Customs_clearance_office_code", 1,
                       m->decl.departure, "");
    if (rc != SG_OK)
        return rc;
    strcpy (info->departure, m->decl.departure);
    if (strncmp (m->decl.departure, c->opts->country, 2) != 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Identification/Office_segment/Customs_clearance_office_code \"%s\" "
                            "(%s) is not an office of %s, this adapter's country", code,
                            m->decl.departure, c->opts->country);
    rc = asy_map_get (c, c->root, "Identification/Registration/Serial_number", 0, serial, sizeof serial, "");
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, "Identification/Registration/Number", 0, number, sizeof number, "");
    if (rc != SG_OK)
        return rc;
    if (!number[0])
        return sg_diag_set (c->diag, SG_ESEQ, 0, SG_NAK_MISSING_ELEMENT,
                            "not registered yet: Identification/Registration/Number is empty "
                            "(a T1 is sent once ASYCUDA has registered it)");
    rc = s_date (c, c->root, "Identification/Registration/Date", 1, date,
                 "a registered declaration has a registration date");
    if (rc != SG_OK)
        return rc;
    info->year = atoi (date);
    snprintf (info->key, sizeof info->key, "%s %d %s %s", code, info->year,
              serial[0] ? serial : "-", number);
    info->stage = ASY_STAGE_REGISTERED;
    /* Released: assessed (or, failing that, a receipt); its date is the release date. */
    static const char *const rel[] = { "Identification/Assessment", "Identification/receipt" };
    for (int i = 0; i < 2 && info->stage == ASY_STAGE_REGISTERED; i++) {
        char n[32], p[64];
        snprintf (p, sizeof p, "%s/Number", rel[i]);
        if ((rc = asy_map_get (c, c->root, p, 0, n, sizeof n, "")) != SG_OK)
            return rc;
        if (!n[0])
            continue;
        snprintf (p, sizeof p, "%s/Date", rel[i]);
        if ((rc = s_date (c, c->root, p, 1, info->release_date, "a released declaration has "
                          "the date of its assessment (or receipt)")) != SG_OK)
            return rc;
        info->stage = ASY_STAGE_RELEASED;
    }
    /* LRN: the declarant's reference if it is one, else built from the registration. */
    char ref[64] = "";
    s_text (s_path (c->root, "Declarant/Reference/Number"), ref, sizeof ref);
    if (ref[0] && strlen (ref) <= MSG_LRN_MAX && asy_ascii_id (ref))
        strcpy (info->lrn, ref);
    else
        snprintf (info->lrn, sizeof info->lrn, "%.5s-%d-%.1s%.9s", code, info->year,
                  serial[0] ? serial : "", number);
    for (char *p = info->lrn; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            *p = '-';
    strcpy (m->decl.lrn, info->lrn);
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
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%s: the %s \"%s\" is longer than %zu characters", path, what, v, max);
    strcpy (out, v);
    return SG_OK;
}

static int
s_principal (asy_mapctx_t *c, msg_t *m)
{
    msg_party_t *p = &m->decl.principal;
    char name[1024], *line[8];
    int rc = asy_map_get (c, c->root, "Transit/Principal/Code", 1, p->id, sizeof p->id,
                    "the principal's identification number (TIN) is required");
    if (rc == SG_OK && !asy_ascii_id (p->id))
        rc = sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "Transit/Principal/Code \"%s\" must be printable ASCII", p->id);
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, "Transit/Principal/Name", 1, name, sizeof name,
                    "the principal's name and address are required");
    if (rc != SG_OK)
        return rc;
    int n = s_lines (name, line, 8);
    if (n < 3)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                            "Transit/Principal/Name has %d line%s: expected at least 3 lines "
                            "(name, street, city)", n, n == 1 ? "" : "s");
    rc = s_text_field (c, "Transit/Principal/Name", "name (line 1)", line[0], MSG_TEXT70,
                       p->name, sizeof p->name);
    if (rc == SG_OK)
        rc = s_text_field (c, "Transit/Principal/Name", "street (line 2)", line[1], MSG_TEXT70,
                           p->street, sizeof p->street);
    if (rc == SG_OK)
        rc = s_text_field (c, "Transit/Principal/Name", "city (last line)", line[n - 1],
                           MSG_TEXT35, p->city, sizeof p->city);
    memcpy (p->country, m->decl.departure, 2);
    return rc;
}

/* Offices of destination, exit and transit (from the corridor table). */
static int
s_offices (asy_mapctx_t *c, msg_t *m)
{
    msg_declaration_t *d = &m->decl;
    char country[8];
    int rc = s_office (c, "Transit/Destination/Office", 1, d->destination,
                       "a T1 needs its office of destination");
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, "Transit/Destination/Country", 0, country, sizeof country, "");
    if (rc != SG_OK)
        return rc;
    if (country[0] && strncmp (country, d->destination, 2) != 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Transit/Destination/Country \"%s\" does not match the office of "
                            "destination %s (expected %.2s)", country, d->destination,
                            d->destination);
    if ((rc = s_office (c, "Transport/Border_office/Code", 0, d->exit, "")) != SG_OK)
        return rc;
    const char (*list)[9] = NULL;
    size_t n = 0;
    if (asy_corridor_find (c->tables, d->departure, d->destination, &list, &n) != SG_OK) {
        if (strncmp (d->departure, d->destination, 2) != 0)
            return sg_diag_set (c->diag, SG_ENOTFOUND, 0, SG_NAK_INCORRECT_VALUE,
                                "no corridor from %s to %s in the corridor table "
                                "(corridors.csv): add a line DEPARTURE,DESTINATION,TRANSIT "
                                "OFFICES", d->departure, d->destination);
        n = 0;
    }
    int exit_found = !d->exit[0];
    for (size_t i = 0; i < n; i++) {
        if ((rc = msg_add_transit_office (m, list[i])) != SG_OK)
            return sg_diag_set (c->diag, rc, 0, 0, "cannot add office of transit %s", list[i]);
        exit_found |= strcmp (list[i], d->exit) == 0;
    }
    if (!exit_found)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Transport/Border_office/Code (%s) is not an office of transit of "
                            "the corridor %s -> %s in corridors.csv", d->exit, d->departure,
                            d->destination);
    /* Routing countries: departure, transit, destination, without repeats. */
    char last[3] = "";
    for (size_t i = 0; i <= n + 1; i++) {
        const char *o = i == 0 ? d->departure : i <= n ? list[i - 1] : d->destination;
        if (strncmp (o, last, 2) != 0) {
            memcpy (last, o, 2);
            last[2] = 0;
            if ((rc = msg_add_routing_country (m, last)) != SG_OK)
                return sg_diag_set (c->diag, rc, 0, 0, "cannot add routing country");
        }
    }
    return SG_OK;
}

int
asy_map_read (xmlDocPtr doc, const asy_offices_t *tables, const asy_map_opts_t *opts,
              msg_type_t type, asy_sad_info_t *info, msg_t **msg_p, sg_diag_t *diag)
{
    *msg_p = NULL;
    memset (info, 0, sizeof *info);
    asy_mapctx_t c = { .root = xmlDocGetRootElement (doc), .tables = tables, .opts = opts,
                  .diag = diag };
    if (!c.root || strcmp ((const char *) c.root->name, "ASYCUDA") != 0)
        return sg_diag_set (diag, SG_ESEQ, 0, SG_NAK_INVALID_XML,
                            "not an ASYCUDA SAD file: the root element is <%s> (expected "
                            "<ASYCUDA>)", c.root ? (const char *) c.root->name : "");
    if (type != MSG_DEC && type != MSG_REL)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "asy_map_read makes DEC or REL only");
    msg_t *m = msg_new (type);
    if (!m)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    int rc = s_identification (&c, info, m);
    if (rc == SG_OK && type == MSG_REL && info->stage != ASY_STAGE_RELEASED)
        rc = sg_diag_set (diag, SG_ESEQ, 0, 0, "not released yet: Identification/Assessment "
                          "and Identification/receipt are empty");
    if (rc == SG_OK && type == MSG_REL)
        strcpy (m->decl.release_date, info->release_date);
    if (rc == SG_OK)
        rc = s_offices (&c, m);
    if (rc == SG_OK)
        rc = s_principal (&c, m);
    if (rc == SG_OK)
        rc = s_date (&c, c.root, "Transit/Time_limit", 1, m->decl.time_limit,
                     "a T1 has a time limit (date, M/D/YY)");
    if (rc == SG_OK && info->release_date[0] && strcmp (m->decl.time_limit, info->release_date) < 0)
        rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "Transit/Time_limit (%s) is before the release date (%s)",
                          m->decl.time_limit, info->release_date);
    if (rc == SG_OK)
        rc = asy_map_seals (&c, m);
    if (rc == SG_OK)
        rc = asy_map_guarantee_means (&c, m);
    if (rc == SG_OK)
        rc = asy_map_containers (&c, m);
    if (rc == SG_OK)
        rc = asy_map_items (&c, m);
    if (rc != SG_OK)
        msg_destroy (&m);
    *msg_p = m;
    return rc;
}
