/* asy_map_out.c - writes a message delivered by the node as an ASYCUDA
 * XML document for ASYCUDA World to import: root <ASYCUDA>, <null/> for
 * every empty value, dates as M/D/YY, offices as ASYCUDA codes. The
 * segments reuse the SAD element names the adapter reads (docs/asycuda.md
 * lists them), plus a <Sigmat> segment with the message's own header. */
#include "asy_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const asy_offices_t *tables;
    sg_diag_t *diag;
    int rc;
} s_out_t;

void
asy_date_format (const char *iso, char out[16])
{
    int y, m, d;
    out[0] = 0;
    if (iso && sscanf (iso, "%4d-%2d-%2d", &y, &m, &d) == 3)
        snprintf (out, 16, "%d/%d/%02d", m, d, y % 100);
}

/* <name>value</name>, or <name><null/></name> when value is empty. */
static xmlNodePtr
s_leaf (xmlNodePtr parent, const char *name, const char *value)
{
    if (value && value[0])
        return xmlNewTextChild (parent, NULL, BAD_CAST name, BAD_CAST value);
    xmlNodePtr n = xmlNewChild (parent, NULL, BAD_CAST name, NULL);
    xmlNewChild (n, NULL, BAD_CAST "null", NULL);
    return n;
}

static void
s_leaf_int (xmlNodePtr parent, const char *name, unsigned long v)
{
    char b[24];
    snprintf (b, sizeof b, "%lu", v);
    s_leaf (parent, name, b);
}

static void
s_leaf_date (xmlNodePtr parent, const char *name, const char *iso)
{
    char d[16];
    asy_date_format (iso, d);
    s_leaf (parent, name, d);
}

/* The ASYCUDA code of ref; an unknown office is an error naming it. */
static const char *
s_code (s_out_t *o, const char *ref)
{
    if (!ref || !ref[0])
        return "";
    const char *code = asy_office_code (o->tables, ref);
    if (!code && o->rc == SG_OK)
        o->rc = sg_diag_set (o->diag, SG_ENOTFOUND, 0, SG_NAK_INCORRECT_VALUE,
                             "office %s is not in the office table (offices.csv): add its "
                             "ASYCUDA code", ref);
    return code ? code : "";
}

/* <name><Code/><Reference/><Name/></name> for an office reference. */
static void
s_office (s_out_t *o, xmlNodePtr parent, const char *name, const char *ref)
{
    xmlNodePtr n = xmlNewChild (parent, NULL, BAD_CAST name, NULL);
    s_leaf (n, "Code", s_code (o, ref));
    s_leaf (n, "Reference", ref);
    s_leaf (n, "Name", asy_office_name (o->tables, ref));
}

static void
s_header (s_out_t *o, xmlNodePtr root, const sg_msg_t *m)
{
    xmlNodePtr h = xmlNewChild (root, NULL, BAD_CAST "Sigmat", NULL);
    s_leaf (h, "Message_type", sg_msg_type_name (m->type));
    s_leaf (h, "Message_id", m->id);
    s_leaf (h, "MRN", m->mrn);
    s_leaf_date (h, "Date_of_issue", m->issued);
    char t[9] = "";
    if (strlen (m->issued) >= 19)
        memcpy (t, m->issued + 11, 8);
    s_leaf (h, "Time_of_issue", t);
    s_office (o, h, "Sender_office", m->sender);
    s_office (o, h, "Recipient_office", m->recipient);
    s_leaf (h, "Correlation_id", m->correlation_id);
}

static void
s_declaration (s_out_t *o, xmlNodePtr root, const sg_msg_t *m)
{
    const sg_msg_declaration_t *d = &m->decl;
    xmlNodePtr id = xmlNewChild (root, NULL, BAD_CAST "Identification", NULL);
    xmlNodePtr os = xmlNewChild (id, NULL, BAD_CAST "Office_segment", NULL);
    s_leaf (os, "Customs_clearance_office_code", s_code (o, d->departure));
    s_leaf (os, "Customs_Clearance_office_name", asy_office_name (o->tables, d->departure));
    xmlNodePtr ty = xmlNewChild (id, NULL, BAD_CAST "Type", NULL);
    s_leaf (ty, "Type_of_declaration", "TR");
    s_leaf (ty, "Declaration_gen_procedure_code", "8");
    s_leaf (ty, "Type_of_transit_document", d->type_code);
    s_leaf (id, "Manifest_reference_number", m->mrn);
    xmlNodePtr tr0 = xmlNewChild (root, NULL, BAD_CAST "Traders", NULL);
    xmlNodePtr ex = xmlNewChild (tr0, NULL, BAD_CAST "Exporter", NULL);
    s_leaf (ex, "Exporter_code", d->consignor.id);
    s_leaf (ex, "Exporter_name", d->consignor.name);
    xmlNodePtr ce = xmlNewChild (tr0, NULL, BAD_CAST "Consignee", NULL);
    s_leaf (ce, "Consignee_code", d->consignee.id);
    s_leaf (ce, "Consignee_name", d->consignee.name);
    xmlNodePtr dc = xmlNewChild (root, NULL, BAD_CAST "Declarant", NULL);
    s_leaf (dc, "Declarant_code", d->declarant.id);
    s_leaf (dc, "Declarant_name", d->declarant.name);
    xmlNodePtr dr = xmlNewChild (dc, NULL, BAD_CAST "Reference", NULL);
    s_leaf (dr, "Number", d->lrn);
    xmlNodePtr gi = xmlNewChild (root, NULL, BAD_CAST "General_information", NULL);
    xmlNodePtr gc = xmlNewChild (gi, NULL, BAD_CAST "Country", NULL);
    s_leaf (xmlNewChild (gc, NULL, BAD_CAST "Export", NULL), "Export_country_code",
            d->export_country);
    s_leaf (xmlNewChild (gc, NULL, BAD_CAST "Destination", NULL), "Destination_country_code",
            d->destination_country);

    xmlNodePtr tr = xmlNewChild (root, NULL, BAD_CAST "Transport", NULL);
    xmlNodePtr mt = xmlNewChild (tr, NULL, BAD_CAST "Means_of_transport", NULL);
    xmlNodePtr bi = xmlNewChild (mt, NULL, BAD_CAST "Border_information", NULL);
    s_leaf (bi, "Identity", d->means.id);
    s_leaf (bi, "Nationality", d->means.nationality);
    s_leaf (bi, "Mode", d->means.mode);
    s_leaf (tr, "Container_flag", d->n_containers ? "true" : "false");
    xmlNodePtr bo = xmlNewChild (tr, NULL, BAD_CAST "Border_office", NULL);
    s_leaf (bo, "Code", s_code (o, d->exit));
    s_leaf (bo, "Name", asy_office_name (o->tables, d->exit));

    xmlNodePtr fi = xmlNewChild (root, NULL, BAD_CAST "Financial", NULL);
    xmlNodePtr gu = xmlNewChild (fi, NULL, BAD_CAST "Guarantee", NULL);
    s_leaf (gu, "Name", "");                      /* the guarantor: not in the message */
    s_leaf (gu, "Reference", d->guarantee_ref);
    s_leaf (gu, "Amount", d->guarantee_amount);
    s_leaf (gu, "Currency_code", d->currency);

    xmlNodePtr ts = xmlNewChild (root, NULL, BAD_CAST "Transit", NULL);
    xmlNodePtr pr = xmlNewChild (ts, NULL, BAD_CAST "Principal", NULL);
    s_leaf (pr, "Code", d->principal.id);
    char name[1024];
    if (d->principal.street[0])
        snprintf (name, sizeof name, "%s\n%s\n%s%s%s\n%s", d->principal.name,
                  d->principal.street, d->principal.postcode, d->principal.postcode[0] ? " " : "",
                  d->principal.city, d->principal.country);
    else
        sg_strlcpy (name, d->principal.name, sizeof name);   /* the TIN identifies it */
    s_leaf (pr, "Name", name);
    s_leaf (pr, "Representative", "");
    xmlNodePtr de = xmlNewChild (ts, NULL, BAD_CAST "Destination", NULL);
    s_leaf (de, "Office", s_code (o, d->destination));
    char cc[3] = "";
    memcpy (cc, d->destination, 2);
    s_leaf (de, "Country", cc);
    xmlNodePtr se = xmlNewChild (ts, NULL, BAD_CAST "Seals", NULL);
    s_leaf_int (se, "Number", d->seal_count);
    char seals[SG_MSG_MAX_SEALS * (SG_MSG_SEAL_ID_MAX + 1) + 1] = "";
    for (size_t i = 0; i < d->n_seals; i++) {
        if (i)
            strcat (seals, " ");
        strcat (seals, d->seals[i]);
    }
    s_leaf (se, "Identity", seals);
    s_leaf_date (ts, "Time_limit", d->time_limit);
    s_leaf_date (ts, "Release_date", d->release_date);
    xmlNodePtr it = xmlNewChild (ts, NULL, BAD_CAST "Itinerary", NULL);
    for (size_t i = 0; i < d->n_transit; i++)
        s_office (o, it, "Office_of_transit", d->transit[i]);
    for (size_t i = 0; i < d->n_routing; i++)
        s_leaf (it, "Country", d->routing[i]);

    xmlNodePtr va = xmlNewChild (root, NULL, BAD_CAST "Valuation", NULL);
    xmlNodePtr we = xmlNewChild (va, NULL, BAD_CAST "Weight", NULL);
    s_leaf (we, "Gross_weight", d->total_gross_mass);
    s_leaf_int (va, "Total_number_of_packages", d->total_packages);
    for (size_t i = 0; i < d->n_containers; i++) {
        xmlNodePtr c = xmlNewChild (root, NULL, BAD_CAST "Container", NULL);
        s_leaf (c, "Container_identity", d->containers[i]);
    }
    for (size_t i = 0; i < d->n_items; i++) {
        const sg_msg_item_t *x = &d->items[i];
        xmlNodePtr n = xmlNewChild (root, NULL, BAD_CAST "Item", NULL);
        xmlNodePtr pk = xmlNewChild (n, NULL, BAD_CAST "Packages", NULL);
        s_leaf_int (pk, "Number_of_packages", x->packages);
        s_leaf (pk, "Kind_of_packages_code", x->package_type);
        xmlNodePtr ta = xmlNewChild (n, NULL, BAD_CAST "Tarification", NULL);
        xmlNodePtr hs = xmlNewChild (ta, NULL, BAD_CAST "HScode", NULL);
        s_leaf (hs, "Commodity_code", x->hs_code);
        xmlNodePtr gd = xmlNewChild (n, NULL, BAD_CAST "Goods_description", NULL);
        s_leaf (gd, "Country_of_origin_code", x->origin);
        s_leaf (gd, "Description_of_goods", x->description);
        xmlNodePtr vi = xmlNewChild (n, NULL, BAD_CAST "Valuation_item", NULL);
        xmlNodePtr wi = xmlNewChild (vi, NULL, BAD_CAST "Weight_itm", NULL);
        s_leaf (wi, "Gross_weight_itm", x->gross_mass);
    }
}

static void
s_event (s_out_t *o, xmlNodePtr root, const sg_msg_t *m)
{
    const sg_msg_event_t *e = &m->event;
    xmlNodePtr ev = xmlNewChild (root, NULL, BAD_CAST "Event", NULL);
    if (e->office[0])
        s_office (o, ev, "Office", e->office);
    char t[9] = "";
    if (e->datetime[0]) {
        s_leaf_date (ev, "Date", e->datetime);
        memcpy (t, e->datetime + 11, 8);
    }
    else
        s_leaf_date (ev, "Date", e->date);
    s_leaf (ev, "Time", t);
    s_leaf (ev, "Code", e->code);
    const char *flag = "";
    if (m->type == SG_MSG_WOF)
        flag = "Guarantee_released";
    else if (m->type == SG_MSG_DCR)
        flag = "Seals_intact";
    if (flag[0])
        s_leaf (ev, flag, e->flag ? "true" : "false");
    s_leaf (ev, "Location", e->location);
    s_leaf (ev, "Text", e->text);
    s_leaf_date (ev, "Arrival_date", e->arrival_date);
}

int
asy_map_write (const sg_msg_t *msg, const asy_offices_t *tables, char **buf_p, size_t *len_p,
               sg_diag_t *diag)
{
    *buf_p = NULL;
    *len_p = 0;
    s_out_t o = { .tables = tables, .diag = diag, .rc = SG_OK };
    xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
    xmlNodePtr root = doc ? xmlNewNode (NULL, BAD_CAST "ASYCUDA") : NULL;
    if (!root) {
        xmlFreeDoc (doc);
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    }
    xmlDocSetRootElement (doc, root);
    s_header (&o, root, msg);
    if (sg_msg_type_has_declaration (msg->type))
        s_declaration (&o, root, msg);
    else if (msg->type == SG_MSG_NAK) {
        xmlNodePtr er = xmlNewChild (root, NULL, BAD_CAST "Error", NULL);
        s_leaf_int (er, "Code", (unsigned long) msg->result.code);
        s_leaf (er, "Description", msg->result.reason);
        s_leaf (er, "Pointer", msg->result.pointer);
    }
    else
        s_event (&o, root, msg);
    if (o.rc == SG_OK) {
        xmlChar *out = NULL;
        int len = 0;
        xmlDocDumpFormatMemoryEnc (doc, &out, &len, "UTF-8", 1);
        if (out && len > 0 && (*buf_p = malloc ((size_t) len + 1))) {
            memcpy (*buf_p, out, (size_t) len);
            (*buf_p)[len] = 0;
            *len_p = (size_t) len;
        }
        else
            o.rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory writing XML");
        xmlFree (out);
    }
    xmlFreeDoc (doc);
    return o.rc;
}
