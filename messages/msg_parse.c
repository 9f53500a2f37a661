/* msg_parse.c - from bytes (or a parsed document) to a sg_msg_t: hardened
 * parse, root check, schema validation with the shared compiled schema,
 * then one walk over the tree in schema order that copies every value and
 * applies the semantic checks the schema cannot express. Also sg_msg_peek, a
 * streaming read of the header elements only. */
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "ident.h"
#include "msg.h"
#include "schema.h"

/* Walk state: the first error wins, later calls do nothing. */
typedef struct {
    sg_diag_t *diag;
    int rc;
    xmlNodePtr last;            /* last element consumed, for error lines */
} s_ctx_t;

static int
s_line (xmlNodePtr n)
{
    return n ? (int) xmlGetLineNo (n) : 0;
}

static xmlNodePtr
s_elem (xmlNodePtr n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static int
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies the text content of n into dst[size], trimming XML whitespace
 * when trim (for types whose whitespace facet is collapse). */
static void
s_text (s_ctx_t *c, xmlNodePtr n, char *dst, size_t size, int trim)
{
    size_t len = 0;
    dst[0] = '\0';
    if (c->rc)
        return;
    for (xmlNodePtr t = n->children; t; t = t->next) {
        if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
            continue;
        size_t k = t->content ? strlen ((const char *) t->content) : 0;
        if (len + k >= size) {
            c->rc = sg_diag_set (c->diag, SG_ESCHEMA, s_line (n), SG_NAK_INCORRECT_VALUE,
                                 "%s: value longer than %zu bytes", (const char *) n->name,
                                 size - 1);
            dst[0] = '\0';
            return;
        }
        memcpy (dst + len, t->content, k);
        len += k;
    }
    dst[len] = '\0';
    if (trim) {
        size_t a = 0;
        while (a < len && s_is_space (dst[a]))
            a++;
        while (len > a && s_is_space (dst[len - 1]))
            len--;
        memmove (dst, dst + a, len - a);
        dst[len - a] = '\0';
    }
}

/* If *cur is element name, consumes it and returns it; else NULL. */
static xmlNodePtr
s_opt (s_ctx_t *c, xmlNodePtr *cur, const char *name)
{
    xmlNodePtr n = *cur;
    if (c->rc || !n || strcmp ((const char *) n->name, name) != 0)
        return NULL;
    *cur = s_elem (n->next);
    c->last = n;
    return n;
}

/* Like s_opt, but a missing element is an error (NAK 13). The schema makes
 * this unreachable for validated documents; it keeps the walk safe. */
static xmlNodePtr
s_req (s_ctx_t *c, xmlNodePtr *cur, const char *name)
{
    xmlNodePtr n = s_opt (c, cur, name);
    if (!n && !c->rc)
        c->rc = sg_diag_set (c->diag, SG_ESCHEMA, s_line (*cur ? *cur : c->last),
                             SG_NAK_MISSING_ELEMENT, "element %s is missing", name);
    return n;
}

/* Reads leaf element name into dst (required or optional). */
static xmlNodePtr
s_str (s_ctx_t *c, xmlNodePtr *cur, const char *name, char *dst, size_t size,
       int required, int trim)
{
    xmlNodePtr n = required ? s_req (c, cur, name) : s_opt (c, cur, name);
    if (n)
        s_text (c, n, dst, size, trim);
    return n;
}

#define S_CODE(c, cur, name, field, req) s_str ((c), (cur), (name), (field), sizeof (field), (req), 1)
#define S_FREE(c, cur, name, field, req) s_str ((c), (cur), (name), (field), sizeof (field), (req), 0)

static unsigned long
s_num (s_ctx_t *c, xmlNodePtr *cur, const char *name, int required, int *present)
{
    char tmp[24];
    xmlNodePtr n = s_str (c, cur, name, tmp, sizeof tmp, required, 1);
    if (present)
        *present = n != NULL;
    return n && !c->rc ? strtoul (tmp, NULL, 10) : 0;
}

static int
s_bool (s_ctx_t *c, xmlNodePtr *cur, const char *name)
{
    char tmp[8];
    xmlNodePtr n = s_str (c, cur, name, tmp, sizeof tmp, 1, 1);
    return n && strcmp (tmp, "true") == 0;
}

/* Value of attribute name of n, copied into dst[size] (trimmed). */
static void
s_attr (s_ctx_t *c, xmlNodePtr n, const char *name, char *dst, size_t size)
{
    dst[0] = '\0';
    if (c->rc || !n)
        return;
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (strcmp ((const char *) a->name, name) == 0 && a->children)
            s_text (c, (xmlNodePtr) a, dst, size, 1);
}

/* <name><ID>office</ID></name>, checked with sg_office_check. */
static xmlNodePtr
s_office (s_ctx_t *c, xmlNodePtr *cur, const char *name, char dst[9], int required)
{
    xmlNodePtr n = required ? s_req (c, cur, name) : s_opt (c, cur, name);
    if (!n)
        return NULL;
    xmlNodePtr in = s_elem (n->children);
    s_str (c, &in, "ID", dst, sizeof (sg_msg_office_t), 1, 1);
    if (!c->rc && sg_office_check (dst, c->diag) != SG_OK) {
        c->rc = c->diag ? c->diag->code : SG_EINVAL;
        if (c->diag)
            c->diag->line = s_line (n);
    }
    return n;
}

/* Counts the consecutive elements named name from cur on. */
static size_t
s_count (xmlNodePtr cur, const char *name)
{
    size_t n = 0;
    for (; cur && strcmp ((const char *) cur->name, name) == 0; cur = s_elem (cur->next))
        n++;
    return n;
}

/* Allocates a zeroed array for a list of n elements (n may be 0). */
static void *
s_alloc (s_ctx_t *c, size_t n, size_t elem, size_t *cap)
{
    if (c->rc || n == 0)
        return NULL;
    void *p = calloc (n, elem);
    if (!p)
        c->rc = sg_diag_set (c->diag, SG_ENOMEM, 0, 0, "out of memory");
    else
        *cap = n;
    return p;
}

/* A SequenceNumeric must equal the element's 1-based position. */
static void
s_seq (s_ctx_t *c, xmlNodePtr *cur, const char *parent, size_t want)
{
    unsigned long got = s_num (c, cur, "SequenceNumeric", 1, NULL);
    if (!c->rc && got != want)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (c->last), SG_NAK_INCORRECT_VALUE,
                             "%s/SequenceNumeric is %lu, expected %zu (numbered 1, 2, ... "
                             "in document order)", parent, got, want);
}

static void
s_means (s_ctx_t *c, xmlNodePtr n, sg_msg_means_t *m)
{
    xmlNodePtr in = s_elem (n->children);
    S_CODE (c, &in, "ID", m->id, 1);
    S_CODE (c, &in, "RegistrationNationalityCode", m->nationality, 1);
    S_CODE (c, &in, "ModeCode", m->mode, 1);
}

/* Seal list (Seal or NewSeal) starting at *cur. */
static void
s_seals (s_ctx_t *c, xmlNodePtr *cur, const char *name, sg_msg_seal_t **seals, size_t *n,
         size_t *cap)
{
    size_t count = s_count (*cur, name);
    *seals = s_alloc (c, count, sizeof (sg_msg_seal_t), cap);
    for (size_t i = 0; i < count && !c->rc; i++) {
        xmlNodePtr s = s_req (c, cur, name);
        xmlNodePtr in = s_elem (s->children);
        s_seq (c, &in, name, i + 1);
        S_CODE (c, &in, "ID", (*seals)[i], 1);
        *n = i + 1;
    }
}

static void
s_item (s_ctx_t *c, xmlNodePtr n, sg_msg_item_t *it, size_t pos)
{
    xmlNodePtr in = s_elem (n->children), x, y;
    it->seq = (int) s_num (c, &in, "SequenceNumeric", 1, NULL);
    if (!c->rc && it->seq != (int) pos)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (c->last), SG_NAK_INCORRECT_VALUE,
                             "ConsignmentItem/SequenceNumeric is %d, expected %zu (items "
                             "are numbered 1, 2, ... in document order)", it->seq, pos);
    if ((x = s_req (c, &in, "Commodity"))) {
        xmlNodePtr cx = s_elem (x->children);
        S_FREE (c, &cx, "Description", it->description, 1);
        if ((y = s_req (c, &cx, "Classification"))) {
            xmlNodePtr cy = s_elem (y->children);
            S_CODE (c, &cy, "ID", it->hs_code, 1);
        }
    }
    if ((x = s_req (c, &in, "GoodsMeasure"))) {
        xmlNodePtr cx = s_elem (x->children);
        S_CODE (c, &cx, "GrossMassMeasure", it->gross_mass, 1);
    }
    if ((x = s_req (c, &in, "Packaging"))) {
        xmlNodePtr cx = s_elem (x->children);
        it->packages = (uint32_t) s_num (c, &cx, "QuantityQuantity", 1, NULL);
        S_CODE (c, &cx, "TypeCode", it->package_type, 1);
    }
    if ((x = s_req (c, &in, "Origin"))) {
        xmlNodePtr cx = s_elem (x->children);
        S_CODE (c, &cx, "CountryCode", it->origin, 1);
    }
}

static void
s_consignment (s_ctx_t *c, xmlNodePtr n, sg_msg_declaration_t *d)
{
    xmlNodePtr in = s_elem (n->children), x;
    if ((x = s_req (c, &in, "BorderTransportMeans")))
        s_means (c, x, &d->means);

    size_t count = s_count (in, "Itinerary");
    d->routing = s_alloc (c, count, sizeof *d->routing, &d->cap_routing);
    for (size_t i = 0; i < count && !c->rc; i++) {
        x = s_req (c, &in, "Itinerary");
        xmlNodePtr cx = s_elem (x->children);
        S_CODE (c, &cx, "RoutingCountryCode", d->routing[i], 1);
        d->n_routing = i + 1;
    }

    count = s_count (in, "TransportEquipment");
    d->containers = s_alloc (c, count, sizeof *d->containers, &d->cap_containers);
    for (size_t i = 0; i < count && !c->rc; i++) {
        x = s_req (c, &in, "TransportEquipment");
        xmlNodePtr cx = s_elem (x->children);
        s_seq (c, &cx, "TransportEquipment", i + 1);
        S_CODE (c, &cx, "ID", d->containers[i], 1);
        d->n_containers = i + 1;
    }

    int has_count = 0;
    d->seal_count = (uint32_t) s_num (c, &in, "SealQuantity", 0, &has_count);
    xmlNodePtr qty = has_count ? c->last : NULL;
    xmlNodePtr first_seal = in;
    s_seals (c, &in, "Seal", &d->seals, &d->n_seals, &d->cap_seals);
    if (!c->rc && d->n_seals > 0 && !has_count)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (first_seal), SG_NAK_MISSING_ELEMENT,
                             "SealQuantity is missing but %zu Seal elements are given",
                             d->n_seals);
    if (!c->rc && has_count && d->seal_count < d->n_seals)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (qty), SG_NAK_INCORRECT_VALUE,
                             "SealQuantity %u is less than the %zu Seal elements given",
                             (unsigned) d->seal_count, d->n_seals);

    count = s_count (in, "ConsignmentItem");
    d->items = s_alloc (c, count, sizeof *d->items, &d->cap_items);
    for (size_t i = 0; i < count && !c->rc; i++) {
        x = s_req (c, &in, "ConsignmentItem");
        s_item (c, x, &d->items[i], i + 1);
        d->n_items = i + 1;
    }
    if (!c->rc && d->n_items == 0)
        c->rc = sg_diag_set (c->diag, SG_ESCHEMA, s_line (n), SG_NAK_MISSING_ELEMENT,
                             "element ConsignmentItem is missing");
}

/* A party element n (Principal, Consignor, Consignee): Name, ID (required
 * for the principal), optional Address. */
static void
s_party (s_ctx_t *c, xmlNodePtr n, sg_msg_party_t *p, int id_req)
{
    if (!n)
        return;
    xmlNodePtr cx = s_elem (n->children), y;
    S_FREE (c, &cx, "Name", p->name, 1);
    S_CODE (c, &cx, "ID", p->id, id_req);
    if ((y = s_opt (c, &cx, "Address"))) {
        xmlNodePtr cy = s_elem (y->children);
        S_FREE (c, &cy, "Line", p->street, 1);
        S_FREE (c, &cy, "CityName", p->city, 1);
        S_CODE (c, &cy, "PostcodeID", p->postcode, 0);
        S_CODE (c, &cy, "CountryCode", p->country, 1);
    }
}

static void
s_declaration (s_ctx_t *c, xmlNodePtr n, sg_msg_t *m)
{
    sg_msg_declaration_t *d = &m->decl;
    xmlNodePtr in = s_elem (n->children), x, y, total = NULL, dep = NULL, limit = NULL;
    S_CODE (c, &in, "FunctionalReferenceID", d->lrn, 1);
    S_CODE (c, &in, "TypeCode", d->type_code, 1);
    if (m->type != SG_MSG_DEC && m->type != SG_MSG_AMD)
        S_CODE (c, &in, "ReleaseDate", d->release_date, 1);
    limit = S_CODE (c, &in, "TimeLimitDate", d->time_limit, 1);
    S_CODE (c, &in, "TotalGrossMassMeasure", d->total_gross_mass, 1);
    d->total_packages = (uint32_t) s_num (c, &in, "TotalPackageQuantity", 1, NULL);
    total = c->last;
    dep = s_office (c, &in, "DepartureCustomsOffice", d->departure, 1);
    size_t count = s_count (in, "TransitCustomsOffice");
    d->transit = s_alloc (c, count, sizeof *d->transit, &d->cap_transit);
    for (size_t i = 0; i < count && !c->rc; i++) {
        s_office (c, &in, "TransitCustomsOffice", d->transit[i], 1);
        d->n_transit = i + 1;
    }
    s_office (c, &in, "ExitCustomsOffice", d->exit, 0);
    s_office (c, &in, "DestinationCustomsOffice", d->destination, 1);
    if ((x = s_req (c, &in, "Principal")))
        s_party (c, x, &d->principal, 1);
    s_party (c, s_opt (c, &in, "Declarant"), &d->declarant, 0);
    if ((x = s_req (c, &in, "ObligationGuarantee"))) {
        xmlNodePtr cx = s_elem (x->children);
        S_CODE (c, &cx, "ReferenceID", d->guarantee_ref, 1);
        y = S_CODE (c, &cx, "AmountAmount", d->guarantee_amount, 1);
        s_attr (c, y, "currencyID", d->currency, sizeof d->currency);
    }
    if ((x = s_req (c, &in, "GoodsShipment"))) {
        xmlNodePtr cx = s_elem (x->children);
        S_CODE (c, &cx, "ExportCountryCode", d->export_country, 0);
        S_CODE (c, &cx, "DestinationCountryCode", d->destination_country, 0);
        s_party (c, s_opt (c, &cx, "Consignor"), &d->consignor, 0);
        s_party (c, s_opt (c, &cx, "Consignee"), &d->consignee, 0);
        if ((y = s_req (c, &cx, "Consignment")))
            s_consignment (c, y, d);
    }
    if (c->rc)
        return;

    /* What the schema cannot say. */
    if (strncmp (m->mrn + 2, d->departure, 2) != 0)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (dep), SG_NAK_INCORRECT_VALUE,
                             "DepartureCustomsOffice %s is not in the country of MRN %s (%.2s)",
                             d->departure, m->mrn, m->mrn + 2);
    else if (d->release_date[0] && strcmp (d->time_limit, d->release_date) < 0)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (limit), SG_NAK_INCORRECT_VALUE,
                             "TimeLimitDate %s is before ReleaseDate %s", d->time_limit,
                             d->release_date);
    if (c->rc)
        return;
    unsigned long long sum = 0;
    for (size_t i = 0; i < d->n_items; i++)
        sum += d->items[i].packages;
    if (sum != d->total_packages)
        c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (total), SG_NAK_INCORRECT_VALUE,
                             "TotalPackageQuantity %u is not the sum of the items' "
                             "packages (%llu)", (unsigned) d->total_packages, sum);
}

static void
s_status (s_ctx_t *c, xmlNodePtr *in, sg_msg_status_t *s)
{
    S_CODE (c, in, "RoleCode", s->role, 1);
    S_CODE (c, in, "StateCode", s->state, 1);
    s_office (c, in, "DepartureCustomsOffice", s->departure, 1);
    size_t count = s_count (*in, "TransitCustomsOffice");
    s->transit = s_alloc (c, count, sizeof *s->transit, &s->cap_transit);
    for (size_t i = 0; i < count && !c->rc; i++) {
        s_office (c, in, "TransitCustomsOffice", s->transit[i], 1);
        s->n_transit = i + 1;
    }
    s_office (c, in, "DestinationCustomsOffice", s->destination, 1);
    count = s_count (*in, "StatusEvent");
    s->events = s_alloc (c, count, sizeof *s->events, &s->cap_events);
    for (size_t i = 0; i < count && !c->rc; i++) {
        xmlNodePtr x = s_req (c, in, "StatusEvent");
        xmlNodePtr cx = s_elem (x->children);
        sg_msg_status_event_t *ev = &s->events[i];
        S_CODE (c, &cx, "MessageID", ev->message_id, 1);
        S_CODE (c, &cx, "FromStateCode", ev->from, 0);
        S_CODE (c, &cx, "ToStateCode", ev->to, 1);
        S_CODE (c, &cx, "OfficeID", ev->office, 1);
        S_CODE (c, &cx, "EventDateTime", ev->at, 1);
        s->n_events = i + 1;
    }
}

/* The payload after the header, per type (mirror of msg_build.c). */
static void
s_payload (s_ctx_t *c, xmlNodePtr *in, sg_msg_t *m)
{
    sg_msg_event_t *e = &m->event;
    xmlNodePtr x;
    switch (m->type) {
    case SG_MSG_DEC: case SG_MSG_REL: case SG_MSG_AAR: case SG_MSG_ATR: case SG_MSG_AMD:
        if ((x = s_req (c, in, "Declaration")))
            s_declaration (c, x, m);
        break;
    case SG_MSG_NCF:
        s_office (c, in, "TransitCustomsOffice", e->office, 1);
        S_CODE (c, in, "CrossingDateTime", e->datetime, 1);
        break;
    case SG_MSG_ARR:
        s_office (c, in, "ArrivalCustomsOffice", e->office, 1);
        S_CODE (c, in, "ArrivalDateTime", e->datetime, 1);
        if ((x = s_req (c, in, "GoodsLocation"))) {
            xmlNodePtr cx = s_elem (x->children);
            S_FREE (c, &cx, "Name", e->location, 1);
        }
        break;
    case SG_MSG_DCR:
        s_office (c, in, "ControlCustomsOffice", e->office, 1);
        S_CODE (c, in, "ControlDate", e->date, 1);
        x = S_CODE (c, in, "ControlResultCode", e->code, 1);
        e->flag = s_bool (c, in, "SealsIntactIndicator");
        S_FREE (c, in, "DiscrepanciesDescription", e->text, 0);
        if (!c->rc && strcmp (e->code, "B1") == 0 && !e->text[0])
            c->rc = sg_diag_set (c->diag, SG_EINVAL, s_line (x), SG_NAK_MISSING_ELEMENT,
                                 "DiscrepanciesDescription is missing: ControlResultCode "
                                 "B1 (discrepancies) requires it");
        break;
    case SG_MSG_WOF:
        S_CODE (c, in, "WriteOffDate", e->date, 1);
        e->flag = s_bool (c, in, "GuaranteeReleasedIndicator");
        break;
    case SG_MSG_CAN:
        S_CODE (c, in, "CancellationDate", e->date, 1);
        S_FREE (c, in, "ReasonText", e->text, 1);
        break;
    case SG_MSG_INC:
        s_office (c, in, "IncidentCustomsOffice", e->office, 1);
        S_CODE (c, in, "IncidentDateTime", e->datetime, 1);
        S_CODE (c, in, "IncidentTypeCode", e->code, 1);
        S_FREE (c, in, "IncidentText", e->text, 1);
        if ((x = s_opt (c, in, "NewBorderTransportMeans"))) {
            e->has_new_means = 1;
            s_means (c, x, &e->new_means);
        }
        s_seals (c, in, "NewSeal", &e->seals, &e->n_seals, &e->cap_seals);
        break;
    case SG_MSG_ENQ:
        S_CODE (c, in, "EnquiryDate", e->date, 1);
        S_FREE (c, in, "ReasonText", e->text, 1);
        break;
    case SG_MSG_ENR:
        S_CODE (c, in, "ResponseDate", e->date, 1);
        S_CODE (c, in, "ResponseCode", e->code, 1);
        S_FREE (c, in, "ResponseText", e->text, 1);
        S_CODE (c, in, "ArrivalDate", e->arrival_date, 0);
        break;
    case SG_MSG_ARQ:
        s_office (c, in, "ActualCustomsOffice", e->office, 1);
        S_CODE (c, in, "ArrivalDateTime", e->datetime, 1);
        break;
    case SG_MSG_STR:
        s_status (c, in, &m->status);
        break;
    case SG_MSG_NAK:
        if ((x = s_req (c, in, "Error"))) {
            xmlNodePtr cx = s_elem (x->children);
            m->result.code = (int) s_num (c, &cx, "ValidationCode", 1, NULL);
            S_FREE (c, &cx, "Description", m->result.reason, 1);
            S_CODE (c, &cx, "PointerLocation", m->result.pointer, 0);
        }
        break;
    default:                            /* STQ, ACK: header only */
        break;
    }
}

/* Root check: a known message type in our namespace. */
static sg_msg_type_t
s_root_type (xmlNodePtr root, sg_diag_t *diag)
{
    if (!root) {
        sg_diag_set (diag, SG_ESCHEMA, 0, SG_NAK_MISSING_ELEMENT, "document has no root element");
        return SG_MSG_NONE;
    }
    const char *ns = root->ns && root->ns->href ? (const char *) root->ns->href : "";
    sg_msg_type_t t = sg_msg_type_from_name ((const char *) root->name);
    if (strcmp (ns, SG_MSG_NAMESPACE) != 0 || t == SG_MSG_NONE)
        sg_diag_set (diag, SG_ESCHEMA, s_line (root), SG_NAK_UNKNOWN_TYPE,
                     "root element {%s}%s is not a sigmat message (expected DEC ... NAK "
                     "in namespace %s)", ns, (const char *) root->name, SG_MSG_NAMESPACE);
    return strcmp (ns, SG_MSG_NAMESPACE) == 0 ? t : SG_MSG_NONE;
}

/* sg_msg_parse_doc, with the schema validation only when validate is 1. */
static int
s_parse_doc (xmlDocPtr doc, int validate, sg_msg_t **msg_p, sg_diag_t *diag)
{
    sg_msg_t *m = NULL;
    s_ctx_t c = { diag, SG_OK, NULL };
    if (!msg_p)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no result pointer");
    *msg_p = NULL;
    if (!doc)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no document");
    xmlNodePtr root = xmlDocGetRootElement (doc);
    sg_msg_type_t type = s_root_type (root, diag);
    if (type == SG_MSG_NONE)
        return SG_ESCHEMA;
    if (validate) {
        sg_schema_t *schema = sg_schema_messages (diag);
        if (!schema)
            return diag ? diag->code : SG_ECONFIG;
        int rc = sg_schema_validate (schema, doc, diag);
        if (rc != SG_OK)
            return rc;
    }
    if (!(m = sg_msg_new (type)))
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");

    xmlNodePtr in = s_elem (root->children), x;
    S_CODE (&c, &in, "MessageID", m->id, 1);
    S_CODE (&c, &in, "IssueDateTime", m->issued, 1);
    x = S_CODE (&c, &in, "DeclarationID", m->mrn, 1);
    if (!c.rc && sg_mrn_check (m->mrn, NULL) != SG_OK) {
        sg_diag_t why;
        sg_mrn_check (m->mrn, &why);
        c.rc = sg_diag_set (diag, SG_EMRN, s_line (x), SG_NAK_INVALID_MRN,
                            "DeclarationID: MRN \"%s\" is invalid: %s", m->mrn, why.text);
    }
    {
        xmlNodePtr o1 = S_CODE (&c, &in, "SenderOfficeID", m->sender, 1);
        xmlNodePtr o2 = S_CODE (&c, &in, "RecipientOfficeID", m->recipient, 1);
        if (!c.rc && sg_office_check (m->sender, diag) != SG_OK) {
            c.rc = diag ? diag->code : SG_EINVAL;
            if (diag)
                diag->line = s_line (o1);
        }
        if (!c.rc && sg_office_check (m->recipient, diag) != SG_OK) {
            c.rc = diag ? diag->code : SG_EINVAL;
            if (diag)
                diag->line = s_line (o2);
        }
    }
    S_CODE (&c, &in, "CorrelationID", m->correlation_id, type == SG_MSG_ACK || type == SG_MSG_NAK);
    s_payload (&c, &in, m);
    if (!c.rc && in)
        c.rc = sg_diag_set (diag, SG_ESCHEMA, s_line (in), SG_NAK_INCORRECT_VALUE,
                            "unexpected element %s", (const char *) in->name);
    if (c.rc) {
        sg_msg_destroy (&m);
        return c.rc;
    }
    *msg_p = m;
    return SG_OK;
}

int
sg_msg_parse_doc (xmlDocPtr doc, sg_msg_t **msg_p, sg_diag_t *diag)
{
    return s_parse_doc (doc, 1, msg_p, diag);
}

static int
s_parse (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits, int validate,
         sg_msg_t **msg_p, sg_diag_t *diag)
{
    if (msg_p)
        *msg_p = NULL;
    if (!buf || !msg_p)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no input or no result pointer");
    /* The message schemas have no mixed content: when the schema checks
     * the tree, indentation need not be kept (the verdict is the same).
     * Without the schema it is kept: whitespace around an element inside a
     * leaf (which the schema would refuse) is read as the leaf's value. */
    xmlDocPtr doc = sg_xmlsafe_parse_flags (buf, len, limits,
                                            validate ? SG_XMLSAFE_ELEMENT_ONLY : 0, diag);
    if (!doc)
        return diag ? diag->code : SG_EXML;
    int rc = s_parse_doc (doc, validate, msg_p, diag);
    xmlFreeDoc (doc);
    return rc;
}

int
sg_msg_parse (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits, sg_msg_t **msg_p,
           sg_diag_t *diag)
{
    return s_parse (buf, len, limits, 1, msg_p, diag);
}

int
sg_msg_parse_signed (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
                     sg_msg_t **msg_p,
                     sg_diag_t *diag)
{
    return s_parse (buf, len, limits, 0, msg_p, diag);
}
