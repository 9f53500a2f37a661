/* asy_map_goods.c - the goods side of an ASYCUDA T1, read through the
 * mapping profile: seals, guarantee, means of transport, containers and
 * items (with the package and mass totals). Each part records every
 * reason it finds (asy_map_fail) and goes on. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "asy_map_int.h"

/* Seals are optional (the message allows none); when given, the count and
 * the identities must agree. */
int
asy_map_seals (asy_mapctx_t *c, sg_msg_t *m)
{
    char num[16], ids[4096];
    const char *npath, *ipath;
    int rc = asy_map_val (c, NULL, "seals.number", num, sizeof num, &npath,
                          "the number of seals is required");
    if (asy_map_val (c, NULL, "seals.identity", ids, sizeof ids, &ipath,
                     "the seal identities are required") != SG_OK || rc != SG_OK)
        return SG_EINVAL;
    if (!num[0] && !ids[0])
        return SG_OK;
    char *save = NULL;
    for (char *t = strtok_r (ids, " \t\r\n,;", &save); t; t = strtok_r (NULL, " \t\r\n,;", &save)) {
        if (strlen (t) > SG_MSG_SEAL_ID_MAX || !asy_ascii_id (t)) {
            rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_SEAL", ipath,
                               "%s: seal \"%s\" is not a seal identity (1-%d printable ASCII "
                               "characters, separated by spaces)", ipath, t, SG_MSG_SEAL_ID_MAX);
            continue;
        }
        if (sg_msg_add_seal (m, t) != SG_OK)
            return asy_map_fail (c, SG_ENOMEM, 0, "INTERNAL", "", "cannot add seal");
    }
    long long count = num[0] ? asy_decimal (num) : (long long) m->decl.n_seals * ASY_MICRO;
    if (count < 0 || count % ASY_MICRO || count / ASY_MICRO > SG_MSG_MAX_SEALS)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_NUMBER", npath,
                             "%s \"%s\" is not a number of seals (0-%d)", npath, num,
                             SG_MSG_MAX_SEALS);
    m->decl.seal_count = (uint32_t) (count / ASY_MICRO);
    if (rc == SG_OK && m->decl.n_seals == 0 && m->decl.seal_count > 0)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_MISSING_ELEMENT, "SEAL_COUNT", ipath,
                             "%s is empty: the %u seal%s need their identities, separated by "
                             "spaces", ipath, m->decl.seal_count,
                             m->decl.seal_count == 1 ? "" : "s");
    if (m->decl.seal_count < m->decl.n_seals)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "SEAL_COUNT", npath,
                             "%s is %u but %s lists %zu seals", npath, m->decl.seal_count, ipath,
                             m->decl.n_seals);
    return rc;
}

int
asy_map_guarantee_means (asy_mapctx_t *c, sg_msg_t *m)
{
    sg_msg_declaration_t *d = &m->decl;
    char amount[32], mode[8];
    const char *path;
    int rc = SG_OK;
    if (asy_map_val (c, NULL, "guarantee.reference", d->guarantee_ref, sizeof d->guarantee_ref,
                     &path, "the guarantee reference (GRN) is required") != SG_OK)
        rc = SG_EINVAL;
    else if (!asy_ascii_id (d->guarantee_ref))
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_ASCII", path,
                           "%s \"%s\" is not a guarantee reference (printable ASCII)", path,
                           d->guarantee_ref);
    if (asy_map_val (c, NULL, "guarantee.amount", amount, sizeof amount, &path,
                     "the guarantee amount is required") != SG_OK)
        rc = SG_EINVAL;
    else {
        long long a = asy_decimal (amount);
        if (a < 0 || a % 10000)
            rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_AMOUNT", path,
                               "%s \"%s\" is not an amount (expected a decimal with at most 2 "
                               "decimals, e.g. 8750000.00)", path, amount);
        else
            asy_decimal_format (a, 2, 0, d->guarantee_amount, sizeof d->guarantee_amount);
    }
    strcpy (d->currency, c->opts->currency);

    if (asy_map_val (c, NULL, "means.identity", d->means.id, sizeof d->means.id, &path,
                     "the registration of the truck (or other means of transport) is "
                     "required") != SG_OK)
        rc = SG_EINVAL;
    else if (!asy_ascii_id (d->means.id))
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_ASCII", path,
                           "%s \"%s\" must be printable ASCII", path, d->means.id);
    if (asy_map_val (c, NULL, "means.nationality", d->means.nationality,
                     sizeof d->means.nationality, &path, "the country of registration of the "
                     "means of transport is required") != SG_OK)
        rc = SG_EINVAL;
    else if (!isupper ((unsigned char) d->means.nationality[0])
             || !isupper ((unsigned char) d->means.nationality[1]))
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_COUNTRY", path,
                           "%s \"%s\" is not a country code (two capital letters)", path,
                           d->means.nationality);
    if (asy_map_val (c, NULL, "means.mode", mode, sizeof mode, &path, "the mode of transport "
                     "is required") != SG_OK)
        return SG_EINVAL;
    if (!mode[0])
        strcpy (mode, "3");                                  /* road, the corridor case */
    if (strlen (mode) != 1 || !strchr ("12345789", mode[0]))
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_MODE", path,
                             "%s \"%s\" is not a mode of transport (UN/ECE Rec. 19: 1-5, 7-9; "
                             "3 = road; two-digit ASYCUDA codes need a `code mode` line in the "
                             "mapping profile)", path, mode);
    strcpy (d->means.mode, mode);
    return rc;
}

typedef struct {
    asy_mapctx_t *c;
    sg_msg_t *m;
    int rc;
} s_cont_t;

static void
s_container (void *arg, const char *path, const char *id)
{
    s_cont_t *s = arg;
    if (!id || strlen (id) > SG_MSG_EQUIPMENT_MAX || !asy_ascii_id (id)) {
        s->rc = asy_map_fail (s->c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_CONTAINER", path,
                              "%s \"%s\" is not a container number (1-%d printable ASCII "
                              "characters)", path, id ? id : "(too long)", SG_MSG_EQUIPMENT_MAX);
        return;
    }
    for (size_t i = 0; i < s->m->decl.n_containers; i++)
        if (strcmp (s->m->decl.containers[i], id) == 0)
            return;
    if (sg_msg_add_container (s->m, id) != SG_OK)
        s->rc = asy_map_fail (s->c, SG_ENOMEM, 0, "INTERNAL", "", "cannot add container");
}

/* Every container identity the profile's paths find, each once; none is fine. */
int
asy_map_containers (asy_mapctx_t *c, sg_msg_t *m)
{
    s_cont_t s = { .c = c, .m = m, .rc = SG_OK };
    asy_profile_each (c->profile, "container.identity", c->root, s_container, &s);
    return s.rc;
}

static int
s_item (asy_mapctx_t *c, xmlNodePtr node, sg_msg_t *m, long long *mass)
{
    sg_msg_item_t *it = sg_msg_add_item (m);
    if (!it)
        return asy_map_fail (c, SG_ENOMEM, 0, "INTERNAL", "", "out of memory");
    snprintf (c->scope, sizeof c->scope, "Item %d: ", it->seq);
    char v[64], desc[2048], com[1024];
    const char *path;
    int rc = SG_OK;
    if (asy_map_val (c, node, "item.packages", v, sizeof v, &path, "the number of packages is "
                     "required") != SG_OK)
        rc = SG_EINVAL;
    else {
        long long n = asy_decimal (v);
        if (n < 0 || n % ASY_MICRO || n / ASY_MICRO > 99999999)
            rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_NUMBER", path,
                               "%s \"%s\" is not a whole number", path, v);
        else
            it->packages = (uint32_t) (n / ASY_MICRO);
    }
    if (asy_map_val (c, node, "item.package_kind", it->package_type, sizeof it->package_type,
                     &path, "the kind of packages (UN/ECE Rec. 21 code, e.g. BG) is "
                     "required") != SG_OK)
        rc = SG_EINVAL;
    else if (strlen (it->package_type) != 2 || !isalnum ((unsigned char) it->package_type[0])
             || !isalnum ((unsigned char) it->package_type[1]))
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_PACKAGE_KIND", path,
                           "%s \"%s\" is not a kind of packages (UN/ECE Rec. 21, two "
                           "characters; national codes need a `code package` line in the "
                           "mapping profile)", path, it->package_type);
    if (asy_map_val (c, node, "item.hs_code", it->hs_code, sizeof it->hs_code, &path,
                     "the HS code is required") != SG_OK)
        rc = SG_EINVAL;
    else {
        size_t hl = strlen (it->hs_code);
        if (hl < 6 || strspn (it->hs_code, "0123456789") != hl)
            rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_HS_CODE", path,
                               "%s \"%s\" is not an HS code (6 to 8 digits)", path,
                               it->hs_code);
    }
    if (asy_map_val (c, node, "item.origin", it->origin, sizeof it->origin, &path,
                     "the country of origin is required") != SG_OK)
        rc = SG_EINVAL;
    else if (!isupper ((unsigned char) it->origin[0]) || !isupper ((unsigned char) it->origin[1]))
        rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_COUNTRY", path,
                           "%s \"%s\" is not a country code (two capital letters)", path,
                           it->origin);
    if (asy_map_val (c, node, "item.description", desc, sizeof desc, &path,
                     "the description of the goods is required") != SG_OK
        || asy_map_val (c, node, "item.commercial_description", com, sizeof com, NULL, "")
           != SG_OK)
        rc = SG_EINVAL;
    else {
        if (com[0] && strcmp (com, desc) != 0 && strlen (desc) + strlen (com) + 3 < sizeof desc)
            strcat (strcat (desc, "; "), com);
        for (char *p = desc; *p; p++)
            if (*p == '\r' || *p == '\n' || *p == '\t')
                *p = ' ';
        asy_utf8_copy (it->description, sizeof it->description, desc, SG_MSG_TEXT512);
    }
    if (asy_map_val (c, node, "item.gross_mass", v, sizeof v, &path,
                     "the gross mass (kg) is required") != SG_OK)
        rc = SG_EINVAL;
    else {
        long long g = asy_decimal (v);
        if (g < 0)
            rc = asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_MASS", path,
                               "%s \"%s\" is not a mass in kg (a decimal, at most 6 decimals)",
                               path, v);
        else {
            asy_decimal_format (g, 6, 1, it->gross_mass, sizeof it->gross_mass);
            *mass += g;
        }
    }
    m->decl.total_packages += it->packages;
    c->scope[0] = 0;
    return rc;
}

int
asy_map_items (asy_mapctx_t *c, sg_msg_t *m)
{
    long long mass = 0;
    int rc = SG_OK;
    for (xmlNodePtr n = c->root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, "Item") == 0) {
            if (m->decl.n_items == SG_MSG_MAX_ITEMS)
                return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "TOO_MANY_ITEMS",
                                     "Item", "more than %d Item elements", SG_MSG_MAX_ITEMS);
            int r = s_item (c, n, m, &mass);
            if (r == SG_ENOMEM)
                return r;
            if (r != SG_OK)
                rc = r;
        }
    if (m->decl.n_items == 0)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_MISSING_ELEMENT, "NO_ITEMS", "Item",
                             "no Item: a T1 declares at least one goods item");
    char v[64];
    const char *path;
    if (asy_map_val (c, NULL, "total.gross_mass", v, sizeof v, &path, "the total gross mass "
                     "is required") != SG_OK)
        return SG_EINVAL;
    long long total = v[0] ? asy_decimal (v) : mass;
    if (total < 0)
        return asy_map_fail (c, SG_EINVAL, SG_NAK_INCORRECT_VALUE, "NOT_MASS", path,
                             "%s \"%s\" is not a mass in kg", path, v);
    asy_decimal_format (total, 6, 1, m->decl.total_gross_mass, sizeof m->decl.total_gross_mass);
    return rc;
}
