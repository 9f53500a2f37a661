/* asy_map_goods.c - the goods side of an ASYCUDA T1: seals, guarantee,
 * means of transport, containers and items (with the package and mass
 * totals). Helpers shared with asy_map_in.c are in asy_map_int.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "asy_map_int.h"

int
asy_map_seals (asy_mapctx_t *c, msg_t *m)
{
    char num[16], ids[4096];
    int rc = asy_map_get (c, c->root, "Transit/Seals/Number", 0, num, sizeof num, "");
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, "Transit/Seals/Identity", 0, ids, sizeof ids, "");
    if (rc != SG_OK)
        return rc;
    if (!num[0] && !ids[0])
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                            "Transit/Seals: no seals (Number and Identity are empty); a T1 "
                            "must give the number of seals and their identities");
    char *save = NULL;
    for (char *t = strtok_r (ids, " \t\r\n,;", &save); t; t = strtok_r (NULL, " \t\r\n,;", &save)) {
        if (strlen (t) > MSG_SEAL_ID_MAX || !asy_ascii_id (t))
            return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                                "Transit/Seals/Identity: seal \"%s\" is not a seal identity "
                                "(1-%d printable ASCII characters, separated by spaces)", t,
                                MSG_SEAL_ID_MAX);
        if ((rc = msg_add_seal (m, t)) != SG_OK)
            return sg_diag_set (c->diag, rc, 0, 0, "cannot add seal");
    }
    long long count = num[0] ? asy_decimal (num) : (long long) m->decl.n_seals * ASY_MICRO;
    if (count < 0 || count % ASY_MICRO || count / ASY_MICRO > MSG_MAX_SEALS)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Transit/Seals/Number \"%s\" is not a number of seals (0-%d)", num,
                            MSG_MAX_SEALS);
    m->decl.seal_count = (uint32_t) (count / ASY_MICRO);
    if (m->decl.n_seals == 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                            "Transit/Seals/Identity is empty: the %u seal%s need their "
                            "identities, separated by spaces", m->decl.seal_count,
                            m->decl.seal_count == 1 ? "" : "s");
    if (m->decl.seal_count < m->decl.n_seals)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Transit/Seals/Number is %u but Transit/Seals/Identity lists %zu "
                            "seals", m->decl.seal_count, m->decl.n_seals);
    return SG_OK;
}

int
asy_map_guarantee_means (asy_mapctx_t *c, msg_t *m)
{
    msg_declaration_t *d = &m->decl;
    char amount[32];
    int rc = asy_map_get (c, c->root, "Financial/Guarantee/Name", 1, d->guarantee_ref,
                    sizeof d->guarantee_ref, "the adapter reads the guarantee reference "
                    "(GRN) from it");
    if (rc == SG_OK && !asy_ascii_id (d->guarantee_ref))
        rc = sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "Financial/Guarantee/Name \"%s\" is not a guarantee reference "
                          "(printable ASCII)", d->guarantee_ref);
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, "Financial/Guarantee/Amount", 1, amount, sizeof amount,
                    "the guarantee amount is required");
    if (rc != SG_OK)
        return rc;
    long long a = asy_decimal (amount);
    if (a < 0 || a % 10000)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Financial/Guarantee/Amount \"%s\" is not an amount (expected a "
                            "decimal with at most 2 decimals, e.g. 8750000.00)", amount);
    asy_decimal_format (a, 2, 0, d->guarantee_amount, sizeof d->guarantee_amount);
    strcpy (d->currency, c->opts->currency);

    const char *bi = "Transport/Means_of_transport/Border_information";
    const char *da = "Transport/Means_of_transport/Departure_arrival_information";
    char p[128], mode[8];
    snprintf (p, sizeof p, "%s/Identity", bi);
    if ((rc = asy_map_get (c, c->root, p, 0, d->means.id, sizeof d->means.id, "")) != SG_OK)
        return rc;
    const char *which = bi;
    if (!d->means.id[0])
        which = da;
    snprintf (p, sizeof p, "%s/Identity", which);
    rc = asy_map_get (c, c->root, p, 1, d->means.id, sizeof d->means.id,
                "the registration of the truck (or other means of transport) is required");
    if (rc == SG_OK && !asy_ascii_id (d->means.id))
        rc = sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "%s \"%s\" must be printable ASCII", p, d->means.id);
    snprintf (p, sizeof p, "%s/Nationality", which);
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, p, 1, d->means.nationality, sizeof d->means.nationality,
                    "the country of registration of the means of transport is required");
    if (rc == SG_OK && (!isupper ((unsigned char) d->means.nationality[0])
                        || !isupper ((unsigned char) d->means.nationality[1])))
        rc = sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "%s \"%s\" is not a country code (two capital letters)", p,
                          d->means.nationality);
    snprintf (p, sizeof p, "%s/Mode", bi);
    if (rc == SG_OK)
        rc = asy_map_get (c, c->root, p, 0, mode, sizeof mode, "");
    if (rc == SG_OK && !mode[0])
        rc = asy_map_get (c, c->root, "Transport/Means_of_transport/Inland_mode_of_transport", 0,
                    mode, sizeof mode, "");
    if (rc != SG_OK)
        return rc;
    if (!mode[0])
        strcpy (mode, "3");                                  /* road, the corridor case */
    if (strlen (mode) != 1 || !strchr ("12345789", mode[0]))
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%s \"%s\" is not a mode of transport (UN/ECE Rec. 19: 1-5, 7-9; "
                            "3 = road)", p, mode);
    strcpy (d->means.mode, mode);
    return SG_OK;
}

/* <Container> elements at the root (or in <Containers>), each identity once. */
int
asy_map_containers (asy_mapctx_t *c, msg_t *m)
{
    for (int pass = 0; pass < 2; pass++) {
        xmlNodePtr parent = pass ? asy_xml_child (c->root, "Containers") : c->root;
        for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next) {
            if (n->type != XML_ELEMENT_NODE || strcmp ((const char *) n->name, "Container"))
                continue;
            char id[64];
            int rc = asy_map_get (c, n, "Container_identity", 0, id, sizeof id, "");
            if (rc != SG_OK)
                return rc;
            if (!id[0])
                continue;
            if (strlen (id) > MSG_EQUIPMENT_MAX || !asy_ascii_id (id))
                return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                                    "Container/Container_identity \"%s\" is not a container "
                                    "number (1-%d printable ASCII characters)", id,
                                    MSG_EQUIPMENT_MAX);
            int seen = 0;
            for (size_t i = 0; i < m->decl.n_containers; i++)
                seen |= strcmp (m->decl.containers[i], id) == 0;
            if (!seen && (rc = msg_add_container (m, id)) != SG_OK)
                return sg_diag_set (c->diag, rc, 0, 0, "cannot add container");
        }
    }
    return SG_OK;
}

/* Copies at most max UTF-8 characters of src. */
static void
s_utf8_copy (char *dst, size_t size, const char *src, size_t max)
{
    size_t n = 0, chars = 0;
    while (src[n]) {
        size_t k = 1;
        while ((src[n + k] & 0xC0) == 0x80)
            k++;
        if (chars == max || n + k >= size)
            break;
        n += k;
        chars++;
    }
    memcpy (dst, src, n);
    dst[n] = 0;
}

static int
s_item (asy_mapctx_t *c, xmlNodePtr node, msg_t *m, long long *mass)
{
    msg_item_t *it = msg_add_item (m);
    if (!it)
        return sg_diag_set (c->diag, SG_ENOMEM, 0, 0, "out of memory");
    snprintf (c->scope, sizeof c->scope, "Item %d: ", it->seq);
    char v[64], desc[2048], com[1024];
    int rc = asy_map_get (c, node, "Packages/Number_of_packages", 1, v, sizeof v,
                    "the number of packages is required");
    if (rc != SG_OK)
        return rc;
    long long n = asy_decimal (v);
    if (n < 0 || n % ASY_MICRO || n / ASY_MICRO > 99999999)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%sPackages/Number_of_packages \"%s\" is not a whole number",
                            c->scope, v);
    it->packages = (uint32_t) (n / ASY_MICRO);
    if ((rc = asy_map_get (c, node, "Packages/Kind_of_packages_code", 1, it->package_type,
                     sizeof it->package_type, "the kind of packages (UN/ECE Rec. 21 code, "
                     "e.g. BG) is required")) != SG_OK)
        return rc;
    if ((rc = asy_map_get (c, node, "Tarification/HScode/Commodity_code", 1, it->hs_code,
                     sizeof it->hs_code, "the HS code is required")) != SG_OK)
        return rc;
    size_t hl = strlen (it->hs_code);
    if (hl < 6 || strspn (it->hs_code, "0123456789") != hl)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%sTarification/HScode/Commodity_code \"%s\" is not an HS code "
                            "(6 to 8 digits)", c->scope, it->hs_code);
    if ((rc = asy_map_get (c, node, "Goods_description/Country_of_origin_code", 1, it->origin,
                     sizeof it->origin, "the country of origin is required")) != SG_OK)
        return rc;
    if ((rc = asy_map_get (c, node, "Goods_description/Description_of_goods", 1, desc, sizeof desc,
                     "the description of the goods is required")) != SG_OK
        || (rc = asy_map_get (c, node, "Goods_description/Commercial_Description", 0, com, sizeof com,
                        "")) != SG_OK)
        return rc;
    if (com[0] && strcmp (com, desc) != 0 && strlen (desc) + strlen (com) + 3 < sizeof desc)
        strcat (strcat (desc, "; "), com);
    for (char *p = desc; *p; p++)
        if (*p == '\r' || *p == '\n' || *p == '\t')
            *p = ' ';
    s_utf8_copy (it->description, sizeof it->description, desc, MSG_TEXT512);
    if ((rc = asy_map_get (c, node, "Valuation_item/Weight_itm/Gross_weight_itm", 1, v, sizeof v,
                     "the gross mass (kg) is required")) != SG_OK)
        return rc;
    long long g = asy_decimal (v);
    if (g < 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "%sValuation_item/Weight_itm/Gross_weight_itm \"%s\" is not a mass "
                            "in kg (a decimal, at most 6 decimals)", c->scope, v);
    asy_decimal_format (g, 6, 1, it->gross_mass, sizeof it->gross_mass);
    *mass += g;
    m->decl.total_packages += it->packages;
    c->scope[0] = 0;
    return SG_OK;
}

int
asy_map_items (asy_mapctx_t *c, msg_t *m)
{
    long long mass = 0;
    int rc = SG_OK;
    for (xmlNodePtr n = c->root->children; n && rc == SG_OK; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, "Item") == 0) {
            if (m->decl.n_items == MSG_MAX_ITEMS)
                return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                                    "more than %d Item elements", MSG_MAX_ITEMS);
            rc = s_item (c, n, m, &mass);
        }
    if (rc != SG_OK)
        return rc;
    if (m->decl.n_items == 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                            "no Item: a T1 declares at least one goods item");
    char v[64];
    if ((rc = asy_map_get (c, c->root, "Valuation/Weight/Gross_weight", 0, v, sizeof v, "")) != SG_OK)
        return rc;
    long long total = v[0] ? asy_decimal (v) : mass;
    if (total < 0)
        return sg_diag_set (c->diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                            "Valuation/Weight/Gross_weight \"%s\" is not a mass in kg", v);
    asy_decimal_format (total, 6, 1, m->decl.total_gross_mass, sizeof m->decl.total_gross_mass);
    return SG_OK;
}
