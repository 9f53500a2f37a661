/* msg_build.c - canonical serialisation of a message struct: UTF-8, the XML
 * declaration, elements in schema order, two-space indentation, one element
 * per line, empty optional elements left out, values written as stored,
 * one final newline. The bytes are then parsed back and checked, so only
 * valid messages leave this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

typedef struct {
    sg_buf_t b;
    int depth;
} s_out_t;

static void
s_indent (s_out_t *o)
{
    static const char spaces[] = "                                ";
    int n = o->depth * 2;
    while (n > 0) {
        int k = n < 32 ? n : 32;
        sg_buf_put (&o->b, spaces, (size_t) k);
        n -= k;
    }
}

/* Text and attribute values: & < > " escaped, CR as &#13; so that it
 * survives the parser's end-of-line normalisation. */
static void
s_escaped (s_out_t *o, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\r': rep = "&#13;"; break;
        default: continue;
        }
        sg_buf_put (&o->b, run, (size_t) (s - run));
        sg_buf_puts (&o->b, rep);
        run = s + 1;
    }
    sg_buf_put (&o->b, run, (size_t) (s - run));
}

static void
s_open (s_out_t *o, const char *name)
{
    s_indent (o);
    sg_buf_puts (&o->b, "<");
    sg_buf_puts (&o->b, name);
    sg_buf_puts (&o->b, ">\n");
    o->depth++;
}

static void
s_close (s_out_t *o, const char *name)
{
    o->depth--;
    s_indent (o);
    sg_buf_puts (&o->b, "</");
    sg_buf_puts (&o->b, name);
    sg_buf_puts (&o->b, ">\n");
}

/* <name attr="aval">value</name>; nothing when value is empty. */
static void
s_leaf_attr (s_out_t *o, const char *name, const char *attr, const char *aval,
             const char *value)
{
    if (!value || !value[0])
        return;
    s_indent (o);
    sg_buf_puts (&o->b, "<");
    sg_buf_puts (&o->b, name);
    if (attr) {
        sg_buf_puts (&o->b, " ");
        sg_buf_puts (&o->b, attr);
        sg_buf_puts (&o->b, "=\"");
        s_escaped (o, aval);
        sg_buf_puts (&o->b, "\"");
    }
    sg_buf_puts (&o->b, ">");
    s_escaped (o, value);
    sg_buf_puts (&o->b, "</");
    sg_buf_puts (&o->b, name);
    sg_buf_puts (&o->b, ">\n");
}

static void
s_leaf (s_out_t *o, const char *name, const char *value)
{
    s_leaf_attr (o, name, NULL, NULL, value);
}

static void
s_leaf_num (s_out_t *o, const char *name, long long value)
{
    char tmp[24];
    snprintf (tmp, sizeof tmp, "%lld", value);
    s_leaf (o, name, tmp);
}

static void
s_leaf_bool (s_out_t *o, const char *name, int value)
{
    s_leaf (o, name, value ? "true" : "false");
}

/* <role><ID>office</ID></role>; nothing when office is empty. */
static void
s_office (s_out_t *o, const char *role, const char *office)
{
    if (!office[0])
        return;
    s_open (o, role);
    s_leaf (o, "ID", office);
    s_close (o, role);
}

static void
s_means (s_out_t *o, const char *name, const sg_msg_means_t *m)
{
    s_open (o, name);
    s_leaf (o, "ID", m->id);
    s_leaf (o, "RegistrationNationalityCode", m->nationality);
    s_leaf (o, "ModeCode", m->mode);
    s_close (o, name);
}

static void
s_seals (s_out_t *o, const char *name, const sg_msg_seal_t *seals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_open (o, name);
        s_leaf_num (o, "SequenceNumeric", (long long) i + 1);
        s_leaf (o, "ID", seals[i]);
        s_close (o, name);
    }
}

static void
s_item (s_out_t *o, const sg_msg_item_t *it)
{
    s_open (o, "ConsignmentItem");
    s_leaf_num (o, "SequenceNumeric", it->seq);
    s_open (o, "Commodity");
    s_leaf (o, "Description", it->description);
    s_open (o, "Classification");
    s_leaf (o, "ID", it->hs_code);
    s_close (o, "Classification");
    s_close (o, "Commodity");
    s_open (o, "GoodsMeasure");
    s_leaf_attr (o, "GrossMassMeasure", "unitCode", "KGM", it->gross_mass);
    s_close (o, "GoodsMeasure");
    s_open (o, "Packaging");
    s_leaf_num (o, "QuantityQuantity", it->packages);
    s_leaf (o, "TypeCode", it->package_type);
    s_close (o, "Packaging");
    s_open (o, "Origin");
    s_leaf (o, "CountryCode", it->origin);
    s_close (o, "Origin");
    s_close (o, "ConsignmentItem");
}

/* A party (Principal, Consignor, Consignee); nothing for an absent one
 * (empty name), no Address when it has none. */
static void
s_party (s_out_t *o, const char *name, const sg_msg_party_t *p)
{
    if (!p->name[0])
        return;
    s_open (o, name);
    s_leaf (o, "Name", p->name);
    s_leaf (o, "ID", p->id);
    if (p->street[0] || p->city[0]) {
        s_open (o, "Address");
        s_leaf (o, "Line", p->street);
        s_leaf (o, "CityName", p->city);
        s_leaf (o, "PostcodeID", p->postcode);
        s_leaf (o, "CountryCode", p->country);
        s_close (o, "Address");
    }
    s_close (o, name);
}

static void
s_declaration (s_out_t *o, const sg_msg_t *m)
{
    const sg_msg_declaration_t *d = &m->decl;
    s_open (o, "Declaration");
    s_leaf (o, "FunctionalReferenceID", d->lrn);
    s_leaf (o, "TypeCode", d->type_code);
    if (m->type != SG_MSG_DEC && m->type != SG_MSG_AMD)
        s_leaf (o, "ReleaseDate", d->release_date);
    s_leaf (o, "TimeLimitDate", d->time_limit);
    s_leaf_attr (o, "TotalGrossMassMeasure", "unitCode", "KGM", d->total_gross_mass);
    s_leaf_num (o, "TotalPackageQuantity", d->total_packages);
    s_office (o, "DepartureCustomsOffice", d->departure);
    for (size_t i = 0; i < d->n_transit; i++)
        s_office (o, "TransitCustomsOffice", d->transit[i]);
    s_office (o, "ExitCustomsOffice", d->exit);
    s_office (o, "DestinationCustomsOffice", d->destination);
    s_party (o, "Principal", &d->principal);
    s_party (o, "Declarant", &d->declarant);
    s_open (o, "ObligationGuarantee");
    s_leaf (o, "ReferenceID", d->guarantee_ref);
    s_leaf_attr (o, "AmountAmount", "currencyID", d->currency, d->guarantee_amount);
    s_close (o, "ObligationGuarantee");
    s_open (o, "GoodsShipment");
    s_leaf (o, "ExportCountryCode", d->export_country);
    s_leaf (o, "DestinationCountryCode", d->destination_country);
    s_party (o, "Consignor", &d->consignor);
    s_party (o, "Consignee", &d->consignee);
    s_open (o, "Consignment");
    s_means (o, "BorderTransportMeans", &d->means);
    for (size_t i = 0; i < d->n_routing; i++) {
        s_open (o, "Itinerary");
        s_leaf (o, "RoutingCountryCode", d->routing[i]);
        s_close (o, "Itinerary");
    }
    for (size_t i = 0; i < d->n_containers; i++) {
        s_open (o, "TransportEquipment");
        s_leaf_num (o, "SequenceNumeric", (long long) i + 1);
        s_leaf (o, "ID", d->containers[i]);
        s_close (o, "TransportEquipment");
    }
    if (d->seal_count)
        s_leaf_num (o, "SealQuantity", d->seal_count);
    s_seals (o, "Seal", d->seals, d->n_seals);
    for (size_t i = 0; i < d->n_items; i++)
        s_item (o, &d->items[i]);
    s_close (o, "Consignment");
    s_close (o, "GoodsShipment");
    s_close (o, "Declaration");
}

/* The payload after the header, per type, in schema order. */
static void
s_payload (s_out_t *o, const sg_msg_t *m)
{
    const sg_msg_event_t *e = &m->event;
    switch (m->type) {
    case SG_MSG_DEC: case SG_MSG_REL: case SG_MSG_AAR: case SG_MSG_ATR: case SG_MSG_AMD:
        s_declaration (o, m);
        break;
    case SG_MSG_NCF:
        s_office (o, "TransitCustomsOffice", e->office);
        s_leaf (o, "CrossingDateTime", e->datetime);
        break;
    case SG_MSG_ARR:
        s_office (o, "ArrivalCustomsOffice", e->office);
        s_leaf (o, "ArrivalDateTime", e->datetime);
        s_open (o, "GoodsLocation");
        s_leaf (o, "Name", e->location);
        s_close (o, "GoodsLocation");
        break;
    case SG_MSG_DCR:
        s_office (o, "ControlCustomsOffice", e->office);
        s_leaf (o, "ControlDate", e->date);
        s_leaf (o, "ControlResultCode", e->code);
        s_leaf_bool (o, "SealsIntactIndicator", e->flag);
        s_leaf (o, "DiscrepanciesDescription", e->text);
        break;
    case SG_MSG_WOF:
        s_leaf (o, "WriteOffDate", e->date);
        s_leaf_bool (o, "GuaranteeReleasedIndicator", e->flag);
        break;
    case SG_MSG_CAN:
        s_leaf (o, "CancellationDate", e->date);
        s_leaf (o, "ReasonText", e->text);
        break;
    case SG_MSG_INC:
        s_office (o, "IncidentCustomsOffice", e->office);
        s_leaf (o, "IncidentDateTime", e->datetime);
        s_leaf (o, "IncidentTypeCode", e->code);
        s_leaf (o, "IncidentText", e->text);
        if (e->has_new_means)
            s_means (o, "NewBorderTransportMeans", &e->new_means);
        s_seals (o, "NewSeal", e->seals, e->n_seals);
        break;
    case SG_MSG_ENQ:
        s_leaf (o, "EnquiryDate", e->date);
        s_leaf (o, "ReasonText", e->text);
        break;
    case SG_MSG_ENR:
        s_leaf (o, "ResponseDate", e->date);
        s_leaf (o, "ResponseCode", e->code);
        s_leaf (o, "ResponseText", e->text);
        s_leaf (o, "ArrivalDate", e->arrival_date);
        break;
    case SG_MSG_ARQ:
        s_office (o, "ActualCustomsOffice", e->office);
        s_leaf (o, "ArrivalDateTime", e->datetime);
        break;
    case SG_MSG_STR: {
        const sg_msg_status_t *s = &m->status;
        s_leaf (o, "RoleCode", s->role);
        s_leaf (o, "StateCode", s->state);
        s_office (o, "DepartureCustomsOffice", s->departure);
        for (size_t i = 0; i < s->n_transit; i++)
            s_office (o, "TransitCustomsOffice", s->transit[i]);
        s_office (o, "DestinationCustomsOffice", s->destination);
        for (size_t i = 0; i < s->n_events; i++) {
            const sg_msg_status_event_t *ev = &s->events[i];
            s_open (o, "StatusEvent");
            s_leaf (o, "MessageID", ev->message_id);
            s_leaf (o, "FromStateCode", ev->from);
            s_leaf (o, "ToStateCode", ev->to);
            s_leaf (o, "OfficeID", ev->office);
            s_leaf (o, "EventDateTime", ev->at);
            s_close (o, "StatusEvent");
        }
        break;
    }
    case SG_MSG_NAK:
        s_open (o, "Error");
        s_leaf_num (o, "ValidationCode", m->result.code);
        s_leaf (o, "Description", m->result.reason);
        s_leaf (o, "PointerLocation", m->result.pointer);
        s_close (o, "Error");
        break;
    default:                            /* STQ, ACK: header only */
        break;
    }
}

int
sg_msg_serialize (const sg_msg_t *msg, char **buf_p, size_t *len_p, sg_diag_t *diag)
{
    s_out_t o = { 0 };
    sg_msg_t *back = NULL;
    int rc;
    if (buf_p)
        *buf_p = NULL;
    if (len_p)
        *len_p = 0;
    const char *root = msg ? sg_msg_type_name (msg->type) : NULL;
    if (!root || !buf_p)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no message or no message type");

    sg_buf_puts (&o.b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    sg_buf_puts (&o.b, root);
    sg_buf_puts (&o.b, " xmlns=\"" SG_MSG_NAMESPACE "\">\n");
    o.depth = 1;
    s_leaf (&o, "MessageID", msg->id);
    s_leaf (&o, "IssueDateTime", msg->issued);
    s_leaf (&o, "DeclarationID", msg->mrn);
    s_leaf (&o, "SenderOfficeID", msg->sender);
    s_leaf (&o, "RecipientOfficeID", msg->recipient);
    s_leaf (&o, "CorrelationID", msg->correlation_id);
    s_payload (&o, msg);
    sg_buf_puts (&o.b, "</");
    sg_buf_puts (&o.b, root);
    sg_buf_puts (&o.b, ">\n");
    if (o.b.failed) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory serialising %s", root);
        goto done;
    }

    /* Only valid messages leave: parse the bytes back with the same checks
     * as for input, and make sure nothing was lost on the way (a value the
     * schema accepts but the parser normalises, e.g. a padded date). */
    rc = sg_msg_parse (o.b.data, o.b.len, NULL, &back, diag);
    if (rc != SG_OK)
        goto done;
    if (!sg_msg_equal (msg, back)) {
        rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "%s: a field did not survive serialisation (a field this "
                          "type does not carry, or a value with surrounding spaces)",
                          root);
        goto done;
    }
    if (len_p)
        *len_p = o.b.len;
    *buf_p = sg_buf_take (&o.b);
done:
    sg_msg_destroy (&back);
    sg_buf_free (&o.b);
    return rc;
}
