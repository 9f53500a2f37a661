/* msg.c - the message struct: type names, construction and destruction,
 * appending to the repeated parts, and deep comparison. Parsing lives in
 * msg_parse.c, canonical serialisation in msg_build.c. */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "buf.h"

static const char *s_names[SG_MSG_TYPE_COUNT] = {
    NULL, "DEC", "REL", "AAR", "ATR", "NCF", "ARR", "DCR", "WOF", "CAN",
    "INC", "ENQ", "ENR", "ARQ", "STQ", "STR", "ACK", "NAK", "AMD"
};

const char *
sg_msg_type_name (sg_msg_type_t t)
{
    if ((int) t <= SG_MSG_NONE || t >= SG_MSG_TYPE_COUNT)
        return NULL;
    return s_names[t];
}

sg_msg_type_t
sg_msg_type_from_name (const char *name)
{
    if (!name || strlen (name) != 3)
        return SG_MSG_NONE;
    for (int t = SG_MSG_NONE + 1; t < SG_MSG_TYPE_COUNT; t++)
        if (memcmp (name, s_names[t], 3) == 0)
            return (sg_msg_type_t) t;
    return SG_MSG_NONE;
}

int
sg_msg_type_has_declaration (sg_msg_type_t t)
{
    return t == SG_MSG_DEC || t == SG_MSG_REL || t == SG_MSG_AAR || t == SG_MSG_ATR || t == SG_MSG_AMD;
}

sg_msg_t *
sg_msg_new (sg_msg_type_t type)
{
    if (!sg_msg_type_name (type))
        return NULL;
    sg_msg_t *self = calloc (1, sizeof *self);
    if (self)
        self->type = type;
    return self;
}

void
sg_msg_destroy (sg_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sg_msg_t *self = *self_p;
    free (self->decl.transit);
    free (self->decl.routing);
    free (self->decl.containers);
    free (self->decl.seals);
    free (self->decl.items);
    free (self->event.seals);
    free (self->status.transit);
    free (self->status.events);
    free (self);
    *self_p = NULL;
}

/* Makes room for one more element of size elem in *arr (count n, capacity
 * *cap), doubling; the new element is zeroed. Returns a pointer to it. */
static void *
s_grow (void **arr, size_t n, size_t *cap, size_t elem)
{
    if (n >= 65535)
        return NULL;                    /* far past any schema bound */
    return sg_array_slot (arr, n, cap, elem, 4);
}

/* Appends a copy of value to a list of fixed-size strings. */
static int
s_add_str (void **arr, size_t *n, size_t *cap, size_t elem, const char *value)
{
    if (!value || strlen (value) >= elem)
        return SG_EINVAL;
    char *slot = s_grow (arr, *n, cap, elem);
    if (!slot)
        return SG_ENOMEM;
    memcpy (slot, value, strlen (value) + 1);
    (*n)++;
    return SG_OK;
}

int
sg_msg_add_transit_office (sg_msg_t *self, const char *office)
{
    if (!self)
        return SG_EINVAL;
    if (sg_msg_type_has_declaration (self->type))
        return s_add_str ((void **) &self->decl.transit, &self->decl.n_transit,
                          &self->decl.cap_transit, sizeof (sg_msg_office_t), office);
    if (self->type == SG_MSG_STR)
        return s_add_str ((void **) &self->status.transit, &self->status.n_transit,
                          &self->status.cap_transit, sizeof (sg_msg_office_t), office);
    return SG_EINVAL;
}

int
sg_msg_add_routing_country (sg_msg_t *self, const char *country)
{
    if (!self || !sg_msg_type_has_declaration (self->type))
        return SG_EINVAL;
    return s_add_str ((void **) &self->decl.routing, &self->decl.n_routing,
                      &self->decl.cap_routing, sizeof (sg_msg_country_t), country);
}

int
sg_msg_add_container (sg_msg_t *self, const char *id)
{
    if (!self || !sg_msg_type_has_declaration (self->type))
        return SG_EINVAL;
    return s_add_str ((void **) &self->decl.containers, &self->decl.n_containers,
                      &self->decl.cap_containers, sizeof (sg_msg_equipment_t), id);
}

int
sg_msg_add_seal (sg_msg_t *self, const char *id)
{
    if (!self)
        return SG_EINVAL;
    if (sg_msg_type_has_declaration (self->type))
        return s_add_str ((void **) &self->decl.seals, &self->decl.n_seals,
                          &self->decl.cap_seals, sizeof (sg_msg_seal_t), id);
    if (self->type == SG_MSG_INC)
        return s_add_str ((void **) &self->event.seals, &self->event.n_seals,
                          &self->event.cap_seals, sizeof (sg_msg_seal_t), id);
    return SG_EINVAL;
}

sg_msg_item_t *
sg_msg_add_item (sg_msg_t *self)
{
    if (!self || !sg_msg_type_has_declaration (self->type))
        return NULL;
    sg_msg_declaration_t *d = &self->decl;
    sg_msg_item_t *item = s_grow ((void **) &d->items, d->n_items, &d->cap_items,
                               sizeof *item);
    if (!item)
        return NULL;
    d->n_items++;
    item->seq = (int) d->n_items;
    return item;
}

sg_msg_status_event_t *
sg_msg_add_status_event (sg_msg_t *self)
{
    if (!self || self->type != SG_MSG_STR)
        return NULL;
    sg_msg_status_t *s = &self->status;
    sg_msg_status_event_t *ev = s_grow ((void **) &s->events, s->n_events, &s->cap_events,
                                     sizeof *ev);
    if (ev)
        s->n_events++;
    return ev;
}

/* ---- comparison ---- */

#define S_STR(f) do { if (strcmp (a->f, b->f) != 0) return 0; } while (0)
#define S_NUM(f) do { if (a->f != b->f) return 0; } while (0)

static int
s_strlist_equal (const void *a, const void *b, size_t n, size_t elem)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp ((const char *) a + i * elem, (const char *) b + i * elem) != 0)
            return 0;
    return 1;
}

static int
s_means_equal (const sg_msg_means_t *a, const sg_msg_means_t *b)
{
    S_STR (id); S_STR (nationality); S_STR (mode);
    return 1;
}

static int
s_item_equal (const sg_msg_item_t *a, const sg_msg_item_t *b)
{
    S_NUM (seq); S_STR (hs_code); S_STR (description); S_NUM (packages);
    S_STR (package_type); S_STR (gross_mass); S_STR (origin);
    return 1;
}

static int
s_party_equal (const sg_msg_party_t *a, const sg_msg_party_t *b)
{
    S_STR (name); S_STR (id); S_STR (street); S_STR (city); S_STR (postcode); S_STR (country);
    return 1;
}

static int
s_decl_equal (const sg_msg_declaration_t *a, const sg_msg_declaration_t *b)
{
    S_STR (lrn); S_STR (type_code); S_STR (release_date); S_STR (time_limit);
    S_STR (total_gross_mass); S_NUM (total_packages);
    S_STR (departure); S_STR (exit); S_STR (destination);
    S_STR (principal.name); S_STR (principal.id); S_STR (principal.street);
    S_STR (principal.city); S_STR (principal.postcode); S_STR (principal.country);
    if (!s_party_equal (&a->consignor, &b->consignor)
        || !s_party_equal (&a->consignee, &b->consignee)
        || !s_party_equal (&a->declarant, &b->declarant))
        return 0;
    S_STR (export_country); S_STR (destination_country);
    S_STR (guarantee_ref); S_STR (guarantee_amount); S_STR (currency);
    S_NUM (seal_count);
    S_NUM (n_transit); S_NUM (n_routing); S_NUM (n_containers); S_NUM (n_seals);
    S_NUM (n_items);
    if (!s_means_equal (&a->means, &b->means)
        || !s_strlist_equal (a->transit, b->transit, a->n_transit, sizeof (sg_msg_office_t))
        || !s_strlist_equal (a->routing, b->routing, a->n_routing, sizeof (sg_msg_country_t))
        || !s_strlist_equal (a->containers, b->containers, a->n_containers,
                             sizeof (sg_msg_equipment_t))
        || !s_strlist_equal (a->seals, b->seals, a->n_seals, sizeof (sg_msg_seal_t)))
        return 0;
    for (size_t i = 0; i < a->n_items; i++)
        if (!s_item_equal (&a->items[i], &b->items[i]))
            return 0;
    return 1;
}

static int
s_event_equal (const sg_msg_event_t *a, const sg_msg_event_t *b)
{
    S_STR (office); S_STR (datetime); S_STR (date); S_STR (code); S_NUM (flag);
    S_STR (location); S_STR (text); S_STR (arrival_date); S_NUM (has_new_means);
    S_NUM (n_seals);
    if (a->has_new_means && !s_means_equal (&a->new_means, &b->new_means))
        return 0;
    return s_strlist_equal (a->seals, b->seals, a->n_seals, sizeof (sg_msg_seal_t));
}

static int
s_status_equal (const sg_msg_status_t *a, const sg_msg_status_t *b)
{
    S_STR (role); S_STR (state); S_STR (departure); S_STR (destination);
    S_NUM (n_transit); S_NUM (n_events);
    if (!s_strlist_equal (a->transit, b->transit, a->n_transit, sizeof (sg_msg_office_t)))
        return 0;
    for (size_t i = 0; i < a->n_events; i++) {
        const sg_msg_status_event_t *x = &a->events[i], *y = &b->events[i];
        if (strcmp (x->message_id, y->message_id) || strcmp (x->from, y->from)
            || strcmp (x->to, y->to) || strcmp (x->office, y->office)
            || strcmp (x->at, y->at))
            return 0;
    }
    return 1;
}

int
sg_msg_equal (const sg_msg_t *a, const sg_msg_t *b)
{
    if (!a || !b)
        return a == b;
    S_NUM (type); S_STR (id); S_STR (issued); S_STR (mrn); S_STR (sender);
    S_STR (recipient); S_STR (correlation_id);
    S_NUM (result.code); S_STR (result.reason); S_STR (result.pointer);
    return s_decl_equal (&a->decl, &b->decl) && s_event_equal (&a->event, &b->event)
        && s_status_equal (&a->status, &b->status);
}
