/* asy_amend.c - field-by-field comparison of two versions of a transit
 * declaration, naming each field that changed (for the AMD decision and
 * the .err of a change after release). */
#include "asy_amend.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *out;
    size_t size, off;
    int n;
} s_list_t;

static void
s_add (s_list_t *l, const char *name)
{
    l->n++;
    if (l->off >= l->size)
        return;
    int k = snprintf (l->out + l->off, l->size - l->off, "%s%s", l->n > 1 ? ", " : "", name);
    if (k > 0)
        l->off += (size_t) k;
}

static void
s_str (s_list_t *l, const char *a, const char *b, const char *name)
{
    if (strcmp (a, b) != 0)
        s_add (l, name);
}

static void
s_party (s_list_t *l, const sg_msg_party_t *a, const sg_msg_party_t *b, const char *who)
{
    char n[64];
    snprintf (n, sizeof n, "%s name", who);
    s_str (l, a->name, b->name, n);
    snprintf (n, sizeof n, "%s TIN", who);
    s_str (l, a->id, b->id, n);
    if (strcmp (a->street, b->street) || strcmp (a->city, b->city)
        || strcmp (a->postcode, b->postcode) || strcmp (a->country, b->country)) {
        snprintf (n, sizeof n, "%s address", who);
        s_add (l, n);
    }
}

static int
s_list_differs (const void *a, size_t na, const void *b, size_t nb, size_t elem)
{
    return na != nb || (na && memcmp (a, b, na * elem) != 0);
}

int
asy_decl_changes (const sg_msg_declaration_t *a, const sg_msg_declaration_t *b, char *out,
                  size_t size)
{
    s_list_t l = { .out = out, .size = size };
    out[0] = 0;
    s_str (&l, a->lrn, b->lrn, "LRN");
    s_str (&l, a->type_code, b->type_code, "declaration type");
    s_str (&l, a->time_limit, b->time_limit, "time limit");
    s_str (&l, a->destination, b->destination, "office of destination");
    s_str (&l, a->exit, b->exit, "office of exit");
    if (s_list_differs (a->transit, a->n_transit, b->transit, b->n_transit,
                        sizeof (sg_msg_office_t)))
        s_add (&l, "offices of transit");
    s_party (&l, &a->principal, &b->principal, "principal");
    s_party (&l, &a->consignor, &b->consignor, "consignor");
    s_party (&l, &a->consignee, &b->consignee, "consignee");
    s_party (&l, &a->declarant, &b->declarant, "declarant");
    s_str (&l, a->export_country, b->export_country, "country of export");
    s_str (&l, a->guarantee_ref, b->guarantee_ref, "guarantee reference");
    s_str (&l, a->guarantee_amount, b->guarantee_amount, "guarantee amount");
    s_str (&l, a->means.id, b->means.id, "means of transport");
    s_str (&l, a->means.nationality, b->means.nationality, "nationality of the means");
    s_str (&l, a->means.mode, b->means.mode, "mode of transport");
    if (s_list_differs (a->containers, a->n_containers, b->containers, b->n_containers,
                        sizeof (sg_msg_equipment_t)))
        s_add (&l, "containers");
    if (a->seal_count != b->seal_count
        || s_list_differs (a->seals, a->n_seals, b->seals, b->n_seals, sizeof (sg_msg_seal_t)))
        s_add (&l, "seals");
    s_str (&l, a->total_gross_mass, b->total_gross_mass, "total gross mass");
    if (a->n_items != b->n_items)
        s_add (&l, "number of items");
    for (size_t i = 0; i < a->n_items && i < b->n_items; i++) {
        const sg_msg_item_t *x = &a->items[i], *y = &b->items[i];
        static const char *const what[] = { "HS code", "description", "packages",
                                             "kind of packages", "gross mass", "origin" };
        int diff[6] = { strcmp (x->hs_code, y->hs_code) != 0,
                        strcmp (x->description, y->description) != 0,
                        x->packages != y->packages,
                        strcmp (x->package_type, y->package_type) != 0,
                        strcmp (x->gross_mass, y->gross_mass) != 0,
                        strcmp (x->origin, y->origin) != 0 };
        for (int k = 0; k < 6; k++)
            if (diff[k]) {
                char n[64];
                snprintf (n, sizeof n, "item %zu %s", i + 1, what[k]);
                s_add (&l, n);
            }
    }
    return l.n;
}
