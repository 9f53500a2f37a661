/* gen_json.c - JSON <-> sg_msg_t for sigmat-generic. Input is checked field by
 * field against the rules of messages/schemas/common.xsd (so a refusal
 * names its JSON pointer); sg_msg_serialize then checks everything again. */
#include "gen_json.h"

#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ident.h"

int
gen_err (gen_err_t *err, int status, const char *field, const char *fmt, ...)
{
    if (!err)
        return status;
    err->status = status;
    sg_strlcpy (err->field, field ? field : "", sizeof err->field);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err->detail, sizeof err->detail, fmt, ap);
    va_end (ap);
    return status;
}

/* dst = base/i (a JSON pointer to an array element). */
static void __attribute__ ((noinline))
s_idx (char *dst, size_t size, const char *base, size_t i)
{
    int n = snprintf (dst, size, "%s/", base);
    if (n > 0 && (size_t) n < size)
        snprintf (dst + n, size - (size_t) n, "%zu", i);
}

/* Value kinds: a pattern (ERE, anchored) and a length bound. */
typedef enum {
    K_TEXT, K_ID, K_OFFICE, K_COUNTRY, K_CURRENCY, K_DATE, K_DATETIME, K_MASS, K_AMOUNT,
    K_HS, K_PKG, K_MODE, K_DECLTYPE, K_MRN, K_COUNT
} s_kind_t;

static const char *s_patterns[K_COUNT] = {
    [K_ID] = "^[!-~]([ -~]*[!-~])?$",
    [K_OFFICE] = "^[A-Z]{2}[A-Z0-9]{6}$",
    [K_COUNTRY] = "^[A-Z]{2}$",
    [K_CURRENCY] = "^[A-Z]{3}$",
    [K_DATE] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    [K_DATETIME] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
    [K_MASS] = "^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,6})?$",
    [K_AMOUNT] = "^(0|[1-9][0-9]{0,13})(\\.[0-9]{1,2})?$",
    [K_HS] = "^[0-9]{6,8}$",
    [K_PKG] = "^[A-Z0-9]{2}$",
    [K_MODE] = "^[1-57-9]$",
    [K_DECLTYPE] = "^(T1|T2|T2F|TIR|ISRT)$",
    [K_MRN] = "^[0-9]{2}[A-Z]{2}[A-Z0-9]{12}[A-Z][0-9]$",
};

static const char *s_explain[K_COUNT] = {
    [K_TEXT] = "text",
    [K_ID] = "printable ASCII without leading or trailing spaces",
    [K_OFFICE] = "an office reference number: 2 letters then 6 of A-Z 0-9 (CI000101)",
    [K_COUNTRY] = "an ISO 3166 country code, 2 capital letters",
    [K_CURRENCY] = "an ISO 4217 currency code, 3 capital letters",
    [K_DATE] = "a date YYYY-MM-DD",
    [K_DATETIME] = "a UTC time YYYY-MM-DDThh:mm:ssZ",
    [K_MASS] = "a mass in kg: up to 10 digits and 6 decimals, no leading zero",
    [K_AMOUNT] = "an amount: up to 14 digits and 2 decimals, no leading zero",
    [K_HS] = "an HS code of 6 to 8 digits",
    [K_PKG] = "a UN/ECE Rec. 21 package code, 2 of A-Z 0-9",
    [K_MODE] = "a UN/ECE Rec. 19 transport mode, one of 1-5 7-9",
    [K_DECLTYPE] = "one of T1, T2, T2F, TIR, ISRT",
    [K_MRN] = "an MRN of 18 characters",
};

static regex_t s_re[K_COUNT];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_compile (void)
{
    for (int k = 0; k < K_COUNT; k++)
        if (s_patterns[k])
            regcomp (&s_re[k], s_patterns[k], REG_EXTENDED | REG_NOSUB);
}

/* 1 if y-m-d is a real calendar date. */
static int
s_real_date (const char *s)
{
    int y = atoi (s), m = atoi (s + 5), d = atoi (s + 8);
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
    return d <= max;
}

static size_t
s_utf8_chars (const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char) *s & 0xC0) != 0x80;
    return n;
}

/* Checks value v of kind k (max: characters for K_TEXT, bytes for K_ID). */
static int
s_check (const char *v, s_kind_t k, size_t max, const char *ptr, gen_err_t *err)
{
    pthread_once (&s_once, s_compile);
    if (k == K_TEXT) {
        if (!v[0])
            return gen_err (err, 422, ptr, "%s must not be empty", ptr);
        if (s_utf8_chars (v) > max)
            return gen_err (err, 422, ptr, "%s is longer than %zu characters", ptr, max);
        for (const unsigned char *p = (const unsigned char *) v; *p; p++)
            if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
                return gen_err (err, 422, ptr, "%s contains a control character", ptr);
        return 0;
    }
    if (max && strlen (v) > max)
        return gen_err (err, 422, ptr, "%s is longer than %zu characters", ptr, max);
    if (regexec (&s_re[k], v, 0, NULL, 0) != 0)
        return gen_err (err, 422, ptr, "%s \"%.64s\" is not %s", ptr, v, s_explain[k]);
    if ((k == K_DATE || k == K_DATETIME) && !s_real_date (v))
        return gen_err (err, 422, ptr, "%s \"%s\" is not a real date", ptr, v);
    if (k == K_DATETIME && (atoi (v + 11) > 23 || atoi (v + 14) > 59 || atoi (v + 17) > 59))
        return gen_err (err, 422, ptr, "%s \"%s\" is not a real time", ptr, v);
    return 0;
}

/* Reads member name of obj (pointer base/name) as a string of kind k into
 * dst. A missing member is an error when required. JSON numbers are taken
 * for masses and amounts. */
static int
s_str (json_t *obj, const char *base, const char *name, s_kind_t k, size_t max, int required,
       char *dst, size_t size, gen_err_t *err)
{
    char ptr[320], num[64];
    snprintf (ptr, sizeof ptr, "%s/%s", base, name);
    json_t *v = json_object_get (obj, name);
    if (!v || json_is_null (v)) {
        if (required)
            return gen_err (err, 422, ptr, "%s is required", ptr);
        dst[0] = 0;
        return 0;
    }
    const char *s = NULL;
    if (json_is_string (v))
        s = json_string_value (v);
    else if ((k == K_MASS || k == K_AMOUNT) && json_is_integer (v)) {
        snprintf (num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
        s = num;
    } else if ((k == K_MASS || k == K_AMOUNT) && json_is_real (v)) {
        snprintf (num, sizeof num, "%.*f", k == K_MASS ? 6 : 2, json_real_value (v));
        if (k == K_MASS && strchr (num, '.')) {
            char *e = num + strlen (num) - 1;
            while (*e == '0')
                *e-- = 0;
            if (*e == '.')
                *e = 0;
        }
        s = num;
    } else
        return gen_err (err, 422, ptr, "%s must be a string", ptr);
    if (strlen (s) >= size)
        return gen_err (err, 422, ptr, "%s is too long", ptr);
    int rc = s_check (s, k, max, ptr, err);
    if (rc)
        return rc;
    memcpy (dst, s, strlen (s) + 1);
    return 0;
}

/* Reads a non-negative integer (count) member. */
static int
s_count (json_t *obj, const char *base, const char *name, int required, uint32_t *dst,
         gen_err_t *err)
{
    char ptr[320];
    snprintf (ptr, sizeof ptr, "%s/%s", base, name);
    json_t *v = json_object_get (obj, name);
    if (!v || json_is_null (v)) {
        if (required)
            return gen_err (err, 422, ptr, "%s is required", ptr);
        *dst = 0;
        return 0;
    }
    if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > 99999999)
        return gen_err (err, 422, ptr, "%s must be an integer from 0 to 99999999", ptr);
    *dst = (uint32_t) json_integer_value (v);
    return 0;
}

/* Gets member name as an object (required) for pointer base/name. */
static json_t *
s_obj (json_t *obj, const char *base, const char *name, char *ptr, size_t size, int required,
       gen_err_t *err, int *rc)
{
    snprintf (ptr, size, "%s/%s", base, name);
    json_t *v = json_object_get (obj, name);
    if (!v || json_is_null (v)) {
        if (required)
            *rc = gen_err (err, 422, ptr, "%s is required", ptr);
        return NULL;
    }
    if (!json_is_object (v)) {
        *rc = gen_err (err, 422, ptr, "%s must be an object", ptr);
        return NULL;
    }
    return v;
}

/* Gets member name as an array (a lone object counts as one element). */
static json_t *
s_arr (json_t *obj, const char *name, const char *ptr, size_t max, gen_err_t *err, int *rc)
{
    json_t *v = json_object_get (obj, name);
    if (!v || json_is_null (v))
        return NULL;
    if (!json_is_array (v)) {
        *rc = gen_err (err, 422, ptr, "%s must be an array", ptr);
        return NULL;
    }
    if (json_array_size (v) > max) {
        *rc = gen_err (err, 422, ptr, "%s has more than %zu elements", ptr, max);
        return NULL;
    }
    return v;
}

/* Reads {"ID": office} under obj/name. */
static int
s_office (json_t *obj, const char *base, const char *name, int required, char *dst,
          gen_err_t *err)
{
    char ptr[320];
    int rc = 0;
    json_t *o = s_obj (obj, base, name, ptr, sizeof ptr, required, err, &rc);
    if (!o) {
        dst[0] = 0;
        return rc;
    }
    return s_str (o, ptr, "ID", K_OFFICE, 8, 1, dst, 9, err);
}

/* An optional SequenceNumeric must equal the 1-based position. */
static int
s_seq (json_t *o, const char *ptr, size_t pos, gen_err_t *err)
{
    json_t *v = json_object_get (o, "SequenceNumeric");
    if (!v)
        return 0;
    if (!json_is_integer (v) || json_integer_value (v) != (json_int_t) pos)
        return gen_err (err, 422, ptr, "%s/SequenceNumeric must be %zu (its position)", ptr, pos);
    return 0;
}

static int
s_means (json_t *o, const char *ptr, sg_msg_means_t *m, gen_err_t *err)
{
    int rc;
    if ((rc = s_str (o, ptr, "ID", K_ID, SG_MSG_MEANS_ID_MAX, 1, m->id, sizeof m->id, err))
        || (rc = s_str (o, ptr, "RegistrationNationalityCode", K_COUNTRY, 2, 1, m->nationality,
                        sizeof m->nationality, err))
        || (rc = s_str (o, ptr, "ModeCode", K_MODE, 1, 1, m->mode, sizeof m->mode, err)))
        return rc;
    return 0;
}

/* Seals [{SequenceNumeric?, ID}] of obj/name, appended with sg_msg_add_seal. */
static int
s_seals (json_t *obj, const char *base, const char *name, sg_msg_t *m, gen_err_t *err)
{
    char ptr[320], ip[340], id[SG_MSG_SEAL_ID_MAX + 1];
    int rc = 0;
    snprintf (ptr, sizeof ptr, "%s/%s", base, name);
    json_t *arr = s_arr (obj, name, ptr, SG_MSG_MAX_SEALS, err, &rc);
    for (size_t i = 0; arr && i < json_array_size (arr) && !rc; i++) {
        json_t *s = json_array_get (arr, i);
        s_idx (ip, sizeof ip, ptr, i);
        if (!json_is_object (s))
            return gen_err (err, 422, ip, "%s must be an object", ip);
        if (!(rc = s_seq (s, ip, i + 1, err))
            && !(rc = s_str (s, ip, "ID", K_ID, SG_MSG_SEAL_ID_MAX, 1, id, sizeof id, err))
            && sg_msg_add_seal (m, id) != SG_OK)
            rc = gen_err (err, 500, ip, "out of memory");
    }
    return rc;
}

static int
s_principal (json_t *d, sg_msg_party_t *p, gen_err_t *err)
{
    char ptr[320], ap[340];
    int rc = 0;
    json_t *o = s_obj (d, "/Declaration", "Principal", ptr, sizeof ptr, 1, err, &rc);
    if (!o)
        return rc;
    if ((rc = s_str (o, ptr, "Name", K_TEXT, SG_MSG_TEXT70, 1, p->name, sizeof p->name, err))
        || (rc = s_str (o, ptr, "ID", K_ID, SG_MSG_TIN_MAX, 1, p->id, sizeof p->id, err)))
        return rc;
    json_t *a = s_obj (o, ptr, "Address", ap, sizeof ap, 1, err, &rc);
    if (!a)
        return rc;
    if ((rc = s_str (a, ap, "Line", K_TEXT, SG_MSG_TEXT70, 1, p->street, sizeof p->street, err))
        || (rc = s_str (a, ap, "CityName", K_TEXT, SG_MSG_TEXT35, 1, p->city, sizeof p->city, err))
        || (rc = s_str (a, ap, "PostcodeID", K_ID, SG_MSG_POSTCODE_MAX, 0, p->postcode,
                        sizeof p->postcode, err))
        || (rc = s_str (a, ap, "CountryCode", K_COUNTRY, 2, 1, p->country, sizeof p->country, err)))
        return rc;
    return 0;
}

static int
s_item (json_t *it, const char *ip, sg_msg_item_t *item, gen_err_t *err)
{
    char cp[360], sp[380];
    int rc = 0;
    json_t *c = s_obj (it, ip, "Commodity", cp, sizeof cp, 1, err, &rc);
    if (!c)
        return rc;
    if ((rc = s_str (c, cp, "Description", K_TEXT, SG_MSG_TEXT512, 1, item->description,
                     sizeof item->description, err)))
        return rc;
    json_t *cl = s_obj (c, cp, "Classification", sp, sizeof sp, 1, err, &rc);
    if (!cl || (rc = s_str (cl, sp, "ID", K_HS, 8, 1, item->hs_code, sizeof item->hs_code, err)))
        return rc;
    json_t *g = s_obj (it, ip, "GoodsMeasure", cp, sizeof cp, 1, err, &rc);
    if (!g || (rc = s_str (g, cp, "GrossMassMeasure", K_MASS, 0, 1, item->gross_mass,
                           sizeof item->gross_mass, err)))
        return rc;
    json_t *p = s_obj (it, ip, "Packaging", cp, sizeof cp, 1, err, &rc);
    if (!p || (rc = s_count (p, cp, "QuantityQuantity", 1, &item->packages, err))
        || (rc = s_str (p, cp, "TypeCode", K_PKG, 2, 1, item->package_type,
                        sizeof item->package_type, err)))
        return rc;
    json_t *o = s_obj (it, ip, "Origin", cp, sizeof cp, 1, err, &rc);
    if (!o || (rc = s_str (o, cp, "CountryCode", K_COUNTRY, 2, 1, item->origin,
                           sizeof item->origin, err)))
        return rc;
    return 0;
}

static int
s_consignment (json_t *d, sg_msg_t *m, gen_err_t *err)
{
    char gp[320], cp[340], ip[380];
    int rc = 0;
    json_t *gs = s_obj (d, "/Declaration", "GoodsShipment", gp, sizeof gp, 1, err, &rc);
    if (!gs)
        return rc;
    json_t *c = s_obj (gs, gp, "Consignment", cp, sizeof cp, 1, err, &rc);
    if (!c)
        return rc;
    json_t *bm = s_obj (c, cp, "BorderTransportMeans", ip, sizeof ip, 1, err, &rc);
    if (!bm || (rc = s_means (bm, ip, &m->decl.means, err)))
        return rc;
    snprintf (ip, sizeof ip, "%s/Itinerary", cp);
    json_t *arr = s_arr (c, "Itinerary", ip, SG_MSG_MAX_ROUTING, err, &rc);
    for (size_t i = 0; arr && i < json_array_size (arr) && !rc; i++) {
        char ep[400], cc[3];
        s_idx (ep, sizeof ep, ip, i);
        rc = s_str (json_array_get (arr, i), ep, "RoutingCountryCode", K_COUNTRY, 2, 1, cc,
                    sizeof cc, err);
        if (!rc && sg_msg_add_routing_country (m, cc) != SG_OK)
            rc = gen_err (err, 500, ep, "out of memory");
    }
    snprintf (ip, sizeof ip, "%s/TransportEquipment", cp);
    arr = rc ? NULL : s_arr (c, "TransportEquipment", ip, SG_MSG_MAX_CONTAINERS, err, &rc);
    for (size_t i = 0; arr && i < json_array_size (arr) && !rc; i++) {
        char ep[400], id[SG_MSG_EQUIPMENT_MAX + 1];
        s_idx (ep, sizeof ep, ip, i);
        json_t *e = json_array_get (arr, i);
        if (!json_is_object (e))
            return gen_err (err, 422, ep, "%s must be an object", ep);
        if (!(rc = s_seq (e, ep, i + 1, err))
            && !(rc = s_str (e, ep, "ID", K_ID, SG_MSG_EQUIPMENT_MAX, 1, id, sizeof id, err))
            && sg_msg_add_container (m, id) != SG_OK)
            rc = gen_err (err, 500, ep, "out of memory");
    }
    if (rc || (rc = s_count (c, cp, "SealQuantity", 0, &m->decl.seal_count, err))
        || (rc = s_seals (c, cp, "Seal", m, err)))
        return rc;
    snprintf (ip, sizeof ip, "%s/ConsignmentItem", cp);
    arr = s_arr (c, "ConsignmentItem", ip, SG_MSG_MAX_ITEMS, err, &rc);
    if (rc)
        return rc;
    if (!arr || json_array_size (arr) == 0)
        return gen_err (err, 422, ip, "%s needs at least one item", ip);
    for (size_t i = 0; i < json_array_size (arr) && !rc; i++) {
        char ep[400];
        s_idx (ep, sizeof ep, ip, i);
        json_t *it = json_array_get (arr, i);
        if (!json_is_object (it))
            return gen_err (err, 422, ep, "%s must be an object", ep);
        if ((rc = s_seq (it, ep, i + 1, err)))
            return rc;
        sg_msg_item_t *item = sg_msg_add_item (m);
        if (!item)
            return gen_err (err, 500, ep, "out of memory");
        rc = s_item (it, ep, item, err);
    }
    return rc;
}

int
gen_json_to_decl (json_t *root, sg_msg_t *m, gen_err_t *err)
{
    char ptr[320];
    int rc = 0;
    sg_msg_declaration_t *d = &m->decl;
    if (!json_is_object (root))
        return gen_err (err, 422, "", "the body must be a JSON object");
    if ((rc = s_str (root, "", "DeclarationID", K_MRN, MRN_LEN, 0, m->mrn, sizeof m->mrn, err)))
        return rc;
    if (m->mrn[0]) {
        sg_diag_t diag;
        if (sg_mrn_check (m->mrn, &diag) != SG_OK)
            return gen_err (err, 422, "/DeclarationID", "/DeclarationID \"%s\" is not a valid MRN: %s",
                            m->mrn, diag.text);
    }
    json_t *o = s_obj (root, "", "Declaration", ptr, sizeof ptr, 1, err, &rc);
    if (!o)
        return rc;
    const char *b = "/Declaration";
    if ((rc = s_str (o, b, "FunctionalReferenceID", K_ID, SG_MSG_LRN_MAX, 1, d->lrn, sizeof d->lrn,
                     err))
        || (rc = s_str (o, b, "TypeCode", K_DECLTYPE, 4, 1, d->type_code, sizeof d->type_code, err))
        || (rc = s_str (o, b, "TimeLimitDate", K_DATE, 10, 1, d->time_limit,
                        sizeof d->time_limit, err))
        || (rc = s_str (o, b, "TotalGrossMassMeasure", K_MASS, 0, 1, d->total_gross_mass,
                        sizeof d->total_gross_mass, err))
        || (rc = s_count (o, b, "TotalPackageQuantity", 1, &d->total_packages, err))
        || (rc = s_office (o, b, "DepartureCustomsOffice", 1, d->departure, err)))
        return rc;
    snprintf (ptr, sizeof ptr, "%s/TransitCustomsOffice", b);
    json_t *arr = s_arr (o, "TransitCustomsOffice", ptr, SG_MSG_MAX_TRANSIT, err, &rc);
    for (size_t i = 0; arr && i < json_array_size (arr) && !rc; i++) {
        char ep[340], office[9];
        s_idx (ep, sizeof ep, ptr, i);
        rc = s_str (json_array_get (arr, i), ep, "ID", K_OFFICE, 8, 1, office, sizeof office, err);
        if (!rc && sg_msg_add_transit_office (m, office) != SG_OK)
            rc = gen_err (err, 500, ep, "out of memory");
    }
    if (rc || (rc = s_office (o, b, "ExitCustomsOffice", 0, d->exit, err))
        || (rc = s_office (o, b, "DestinationCustomsOffice", 1, d->destination, err))
        || (rc = s_principal (o, &d->principal, err)))
        return rc;
    json_t *g = s_obj (o, b, "ObligationGuarantee", ptr, sizeof ptr, 1, err, &rc);
    if (!g || (rc = s_str (g, ptr, "ReferenceID", K_ID, SG_MSG_GRN_MAX, 1, d->guarantee_ref,
                           sizeof d->guarantee_ref, err)))
        return rc;
    char ap[340];
    json_t *a = s_obj (g, ptr, "AmountAmount", ap, sizeof ap, 1, err, &rc);
    if (!a || (rc = s_str (a, ap, "value", K_AMOUNT, 0, 1, d->guarantee_amount,
                           sizeof d->guarantee_amount, err))
        || (rc = s_str (a, ap, "currencyID", K_CURRENCY, 3, 1, d->currency, sizeof d->currency, err)))
        return rc;
    if ((rc = s_consignment (o, m, err)))
        return rc;
    return gen_json_check_decl (m, err);
}

int
gen_json_check_decl (const sg_msg_t *m, gen_err_t *err)
{
    const sg_msg_declaration_t *d = &m->decl;
    const char *c = "/Declaration/GoodsShipment/Consignment";
    char ptr[320];
    unsigned long long sum = 0;
    for (size_t i = 0; i < d->n_items; i++)
        sum += d->items[i].packages;
    if (sum != d->total_packages)
        return gen_err (err, 422, "/Declaration/TotalPackageQuantity",
                        "/Declaration/TotalPackageQuantity is %u but the items hold %llu packages",
                        d->total_packages, sum);
    if (d->n_seals && !d->seal_count) {
        snprintf (ptr, sizeof ptr, "%s/SealQuantity", c);
        return gen_err (err, 422, ptr, "%s is required when seals are listed", ptr);
    }
    if (d->seal_count && d->seal_count < d->n_seals) {
        snprintf (ptr, sizeof ptr, "%s/SealQuantity", c);
        return gen_err (err, 422, ptr, "%s is %u but %zu seals are listed", ptr, d->seal_count,
                        d->n_seals);
    }
    if (m->mrn[0] && d->departure[0] && strncmp (m->mrn + 2, d->departure, 2))
        return gen_err (err, 422, "/DeclarationID",
                        "/DeclarationID: MRN country %.2s differs from the departure office %s",
                        m->mrn + 2, d->departure);
    if (d->release_date[0] && strcmp (d->time_limit, d->release_date) < 0)
        return gen_err (err, 422, "/Declaration/TimeLimitDate",
                        "/Declaration/TimeLimitDate %s is before the release date %s",
                        d->time_limit, d->release_date);
    return 0;
}

/* ---- events ---- */

typedef enum { E_OFFICE, E_DATETIME, E_DATE, E_CODE, E_FLAG, E_LOCATION, E_TEXT, E_ARRDATE,
               E_MEANS, E_SEALS } s_ek_t;

typedef struct {
    sg_msg_type_t type;
    s_ek_t kind;
    const char *name;
    int required;           /* 1 required, 0 optional, 2 defaults to now */
    const char *codes;      /* E_CODE: allowed values */
} s_efield_t;

static const s_efield_t s_events[] = {
    { SG_MSG_NCF, E_OFFICE, "TransitCustomsOffice", 1, NULL },
    { SG_MSG_NCF, E_DATETIME, "CrossingDateTime", 2, NULL },
    { SG_MSG_ARR, E_OFFICE, "ArrivalCustomsOffice", 1, NULL },
    { SG_MSG_ARR, E_DATETIME, "ArrivalDateTime", 2, NULL },
    { SG_MSG_ARR, E_LOCATION, "GoodsLocation", 1, NULL },
    { SG_MSG_DCR, E_OFFICE, "ControlCustomsOffice", 1, NULL },
    { SG_MSG_DCR, E_DATE, "ControlDate", 2, NULL },
    { SG_MSG_DCR, E_CODE, "ControlResultCode", 1, " A1 A2 B1 " },
    { SG_MSG_DCR, E_FLAG, "SealsIntactIndicator", 1, NULL },
    { SG_MSG_DCR, E_TEXT, "DiscrepanciesDescription", 0, NULL },
    { SG_MSG_WOF, E_DATE, "WriteOffDate", 2, NULL },
    { SG_MSG_WOF, E_FLAG, "GuaranteeReleasedIndicator", 1, NULL },
    { SG_MSG_CAN, E_DATE, "CancellationDate", 2, NULL },
    { SG_MSG_CAN, E_TEXT, "ReasonText", 1, NULL },
    { SG_MSG_INC, E_OFFICE, "IncidentCustomsOffice", 1, NULL },
    { SG_MSG_INC, E_DATETIME, "IncidentDateTime", 2, NULL },
    { SG_MSG_INC, E_CODE, "IncidentTypeCode", 1, " SB TS AC RD OT " },
    { SG_MSG_INC, E_TEXT, "IncidentText", 1, NULL },
    { SG_MSG_INC, E_MEANS, "NewBorderTransportMeans", 0, NULL },
    { SG_MSG_INC, E_SEALS, "NewSeal", 0, NULL },
    { SG_MSG_ENQ, E_DATE, "EnquiryDate", 2, NULL },
    { SG_MSG_ENQ, E_TEXT, "ReasonText", 1, NULL },
    { SG_MSG_ENR, E_DATE, "ResponseDate", 2, NULL },
    { SG_MSG_ENR, E_CODE, "ResponseCode", 1, " AR NP UN " },
    { SG_MSG_ENR, E_TEXT, "ResponseText", 1, NULL },
    { SG_MSG_ENR, E_ARRDATE, "ArrivalDate", 0, NULL },
    { SG_MSG_ARQ, E_OFFICE, "ActualCustomsOffice", 1, NULL },
    { SG_MSG_ARQ, E_DATETIME, "ArrivalDateTime", 2, NULL },
};
#define S_NEVENTS (sizeof s_events / sizeof s_events[0])

const char *
gen_json_office_field (sg_msg_type_t type)
{
    static char buf[SG_MSG_TYPE_COUNT][64];
    for (size_t i = 0; i < S_NEVENTS; i++)
        if (s_events[i].type == type && s_events[i].kind == E_OFFICE) {
            snprintf (buf[type], sizeof buf[type], "/%s/ID", s_events[i].name);
            return buf[type];
        }
    return NULL;
}

void
gen_json_now (char date[11], char datetime[21])
{
    time_t t = time (NULL);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (date, 11, "%Y-%m-%d", &tm);
    strftime (datetime, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
gen_json_to_event (json_t *root, sg_msg_t *m, gen_err_t *err)
{
    sg_msg_event_t *e = &m->event;
    char ptr[320], date[11], datetime[21];
    int rc = 0;
    if (!json_is_object (root))
        return gen_err (err, 422, "", "the body must be a JSON object");
    gen_json_now (date, datetime);
    for (size_t i = 0; i < S_NEVENTS && !rc; i++) {
        const s_efield_t *f = &s_events[i];
        if (f->type != m->type)
            continue;
        json_t *o;
        switch (f->kind) {
        case E_OFFICE:
            rc = s_office (root, "", f->name, f->required, e->office, err);
            break;
        case E_DATETIME:
            rc = s_str (root, "", f->name, K_DATETIME, 20, f->required == 1, e->datetime,
                        sizeof e->datetime, err);
            if (!rc && !e->datetime[0] && f->required == 2)
                memcpy (e->datetime, datetime, sizeof datetime);
            break;
        case E_DATE:
            rc = s_str (root, "", f->name, K_DATE, 10, f->required == 1, e->date, sizeof e->date, err);
            if (!rc && !e->date[0] && f->required == 2)
                memcpy (e->date, date, sizeof date);
            break;
        case E_ARRDATE:
            rc = s_str (root, "", f->name, K_DATE, 10, 0, e->arrival_date, sizeof e->arrival_date, err);
            break;
        case E_CODE: {
            char code[8], needle[12];
            rc = s_str (root, "", f->name, K_ID, 3, 1, code, sizeof code, err);
            snprintf (needle, sizeof needle, " %s ", code);
            if (!rc && !strstr (f->codes, needle))
                rc = gen_err (err, 422, "", "/%s \"%s\" is not one of%.*s", f->name, code,
                              (int) strlen (f->codes) - 1, f->codes);
            if (rc && !err->field[0])
                snprintf (err->field, sizeof err->field, "/%s", f->name);
            if (!rc)
                sg_strlcpy (e->code, code, sizeof e->code);
            break;
        }
        case E_FLAG: {
            json_t *v = json_object_get (root, f->name);
            snprintf (ptr, sizeof ptr, "/%s", f->name);
            if (!json_is_boolean (v))
                rc = gen_err (err, 422, ptr, v ? "%s must be true or false" : "%s is required", ptr);
            else
                e->flag = json_is_true (v);
            break;
        }
        case E_LOCATION:
            o = s_obj (root, "", f->name, ptr, sizeof ptr, f->required, err, &rc);
            if (o)
                rc = s_str (o, ptr, "Name", K_TEXT, SG_MSG_TEXT70, 1, e->location,
                            sizeof e->location, err);
            break;
        case E_TEXT:
            rc = s_str (root, "", f->name, K_TEXT, SG_MSG_TEXT512, f->required, e->text,
                        sizeof e->text, err);
            break;
        case E_MEANS:
            o = s_obj (root, "", f->name, ptr, sizeof ptr, 0, err, &rc);
            if (o && !(rc = s_means (o, ptr, &e->new_means, err)))
                e->has_new_means = 1;
            break;
        case E_SEALS:
            rc = s_seals (root, "", f->name, m, err);
            break;
        }
    }
    if (!rc && m->type == SG_MSG_DCR && !strcmp (e->code, "B1") && !e->text[0])
        rc = gen_err (err, 422, "/DiscrepanciesDescription",
                      "/DiscrepanciesDescription is required with ControlResultCode B1");
    return rc;
}

/* ---- output ---- */

static void
s_set (json_t *o, const char *name, const char *v)
{
    if (v && v[0])
        json_object_set_new (o, name, json_string (v));
}

static json_t *
s_id (const char *office)
{
    return json_pack ("{s:s}", "ID", office);
}

static json_t *
s_means_json (const sg_msg_means_t *m)
{
    return json_pack ("{s:s, s:s, s:s}", "ID", m->id, "RegistrationNationalityCode",
                      m->nationality, "ModeCode", m->mode);
}

static json_t *
s_seals_json (sg_msg_seal_t *seals, size_t n)
{
    json_t *a = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (a, json_pack ("{s:i, s:s}", "SequenceNumeric", (int) i + 1,
                                             "ID", seals[i]));
    return a;
}

static json_t *
s_decl_json (const sg_msg_declaration_t *d)
{
    json_t *o = json_object (), *a, *c = json_object ();
    s_set (o, "FunctionalReferenceID", d->lrn);
    s_set (o, "TypeCode", d->type_code);
    s_set (o, "ReleaseDate", d->release_date);
    s_set (o, "TimeLimitDate", d->time_limit);
    s_set (o, "TotalGrossMassMeasure", d->total_gross_mass);
    json_object_set_new (o, "TotalPackageQuantity", json_integer (d->total_packages));
    json_object_set_new (o, "DepartureCustomsOffice", s_id (d->departure));
    a = json_array ();
    for (size_t i = 0; i < d->n_transit; i++)
        json_array_append_new (a, s_id (d->transit[i]));
    json_object_set_new (o, "TransitCustomsOffice", a);
    if (d->exit[0])
        json_object_set_new (o, "ExitCustomsOffice", s_id (d->exit));
    json_object_set_new (o, "DestinationCustomsOffice", s_id (d->destination));
    json_t *addr = json_pack ("{s:s, s:s}", "Line", d->principal.street, "CityName",
                              d->principal.city);
    s_set (addr, "PostcodeID", d->principal.postcode);
    s_set (addr, "CountryCode", d->principal.country);
    json_object_set_new (o, "Principal", json_pack ("{s:s, s:s, s:o}", "Name", d->principal.name,
                                                     "ID", d->principal.id, "Address", addr));
    json_object_set_new (o, "ObligationGuarantee",
                         json_pack ("{s:s, s:{s:s, s:s}}", "ReferenceID", d->guarantee_ref,
                                    "AmountAmount", "value", d->guarantee_amount,
                                    "currencyID", d->currency));
    json_object_set_new (c, "BorderTransportMeans", s_means_json (&d->means));
    a = json_array ();
    for (size_t i = 0; i < d->n_routing; i++)
        json_array_append_new (a, json_pack ("{s:s}", "RoutingCountryCode", d->routing[i]));
    json_object_set_new (c, "Itinerary", a);
    a = json_array ();
    for (size_t i = 0; i < d->n_containers; i++)
        json_array_append_new (a, json_pack ("{s:i, s:s}", "SequenceNumeric", (int) i + 1,
                                             "ID", d->containers[i]));
    json_object_set_new (c, "TransportEquipment", a);
    if (d->seal_count)
        json_object_set_new (c, "SealQuantity", json_integer (d->seal_count));
    json_object_set_new (c, "Seal", s_seals_json (d->seals, d->n_seals));
    a = json_array ();
    for (size_t i = 0; i < d->n_items; i++) {
        const sg_msg_item_t *it = &d->items[i];
        json_array_append_new (a, json_pack (
            "{s:i, s:{s:s, s:{s:s}}, s:{s:s}, s:{s:I, s:s}, s:{s:s}}",
            "SequenceNumeric", (int) i + 1,
            "Commodity", "Description", it->description, "Classification", "ID", it->hs_code,
            "GoodsMeasure", "GrossMassMeasure", it->gross_mass,
            "Packaging", "QuantityQuantity", (json_int_t) it->packages, "TypeCode", it->package_type,
            "Origin", "CountryCode", it->origin));
    }
    json_object_set_new (c, "ConsignmentItem", a);
    json_object_set_new (o, "GoodsShipment", json_pack ("{s:o}", "Consignment", c));
    return o;
}

static void
s_event_json (json_t *o, const sg_msg_t *m)
{
    const sg_msg_event_t *e = &m->event;
    for (size_t i = 0; i < S_NEVENTS; i++) {
        const s_efield_t *f = &s_events[i];
        if (f->type != m->type)
            continue;
        switch (f->kind) {
        case E_OFFICE: json_object_set_new (o, f->name, s_id (e->office)); break;
        case E_DATETIME: s_set (o, f->name, e->datetime); break;
        case E_DATE: s_set (o, f->name, e->date); break;
        case E_ARRDATE: s_set (o, f->name, e->arrival_date); break;
        case E_CODE: s_set (o, f->name, e->code); break;
        case E_FLAG: json_object_set_new (o, f->name, json_boolean (e->flag)); break;
        case E_LOCATION:
            json_object_set_new (o, f->name, json_pack ("{s:s}", "Name", e->location));
            break;
        case E_TEXT: s_set (o, f->name, e->text); break;
        case E_MEANS:
            if (e->has_new_means)
                json_object_set_new (o, f->name, s_means_json (&e->new_means));
            break;
        case E_SEALS:
            if (e->n_seals)
                json_object_set_new (o, f->name, s_seals_json (e->seals, e->n_seals));
            break;
        }
    }
}

static json_t *
s_status_json (const sg_msg_status_t *s)
{
    json_t *t = json_array (), *ev = json_array ();
    for (size_t i = 0; i < s->n_transit; i++)
        json_array_append_new (t, s_id (s->transit[i]));
    for (size_t i = 0; i < s->n_events; i++) {
        const sg_msg_status_event_t *x = &s->events[i];
        json_t *e = json_pack ("{s:s}", "MessageID", x->message_id);
        s_set (e, "FromStateCode", x->from);
        s_set (e, "ToStateCode", x->to);
        s_set (e, "OfficeID", x->office);
        s_set (e, "EventDateTime", x->at);
        json_array_append_new (ev, e);
    }
    return json_pack ("{s:s, s:s, s:o, s:o, s:o, s:o}", "RoleCode", s->role, "StateCode", s->state,
                      "DepartureCustomsOffice", s_id (s->departure), "TransitCustomsOffice", t,
                      "DestinationCustomsOffice", s_id (s->destination), "StatusEvent", ev);
}

json_t *
gen_json_from_msg (const sg_msg_t *m)
{
    json_t *o = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "Type", sg_msg_type_name (m->type),
                           "MessageID", m->id, "IssueDateTime", m->issued, "DeclarationID", m->mrn,
                           "SenderOfficeID", m->sender, "RecipientOfficeID", m->recipient);
    if (!o)
        return NULL;
    s_set (o, "CorrelationID", m->correlation_id);
    if (sg_msg_type_has_declaration (m->type))
        json_object_set_new (o, "Declaration", s_decl_json (&m->decl));
    else if (m->type == SG_MSG_STR)
        json_object_update (o, s_status_json (&m->status));
    else if (m->type == SG_MSG_NAK) {
        json_t *e = json_pack ("{s:i, s:s}", "ValidationCode", m->result.code, "Description",
                               m->result.reason);
        s_set (e, "PointerLocation", m->result.pointer);
        json_object_set_new (o, "Error", e);
    } else
        s_event_json (o, m);
    return o;
}
