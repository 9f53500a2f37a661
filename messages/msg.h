/* msg.h - the WCO-DM transit messages of sigmat (DEC ... NAK) as C structs:
 * hardened parse + schema validation + semantic checks into a struct, and
 * canonical serialisation of a struct into bytes. The XML form is defined by
 * messages/schemas/sigmat.xsd (namespace urn:sigmat:mip:transit:1) and
 * described in docs/messages.md.
 *
 * Strings are NUL-terminated UTF-8 in fixed arrays; an empty string means
 * "absent" for optional elements. Arrays of codes and ASCII identifiers hold
 * the schema's maxLength + 1 bytes; free-text arrays hold 4 bytes per
 * character of the schema's maxLength (+1), so any valid value fits (the
 * schema counts characters, UTF-8 needs up to 4 bytes each). */
#ifndef SG_MSG_H_INCLUDED
#define SG_MSG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <libxml/tree.h>

#include "sg.h"
#include "xmlsafe.h"

#define SG_MSG_NAMESPACE "urn:sigmat:mip:transit:1"

/* Bytes for a free-text field of n characters. */
#define SG_MSG_U8(n) ((n) * 4 + 1)

/* Schema bounds (characters for text, elements for lists). */
#define SG_MSG_LRN_MAX        22
#define SG_MSG_TIN_MAX        17
#define SG_MSG_GRN_MAX        24
#define SG_MSG_MEANS_ID_MAX   35
#define SG_MSG_EQUIPMENT_MAX  17
#define SG_MSG_SEAL_ID_MAX    20
#define SG_MSG_POSTCODE_MAX   17
#define SG_MSG_POINTER_MAX    256
#define SG_MSG_TEXT35         35
#define SG_MSG_TEXT70         70
#define SG_MSG_TEXT512        512
#define SG_MSG_MAX_TRANSIT    9
#define SG_MSG_MAX_ROUTING    99
#define SG_MSG_MAX_CONTAINERS 99
#define SG_MSG_MAX_SEALS      99
#define SG_MSG_MAX_ITEMS      999
#define SG_MSG_MAX_EVENTS     999

typedef enum {
    SG_MSG_NONE = 0,
    SG_MSG_DEC, SG_MSG_REL, SG_MSG_AAR, SG_MSG_ATR,   /* carry the whole declaration */
    SG_MSG_NCF, SG_MSG_ARR, SG_MSG_DCR, SG_MSG_WOF, SG_MSG_CAN,
    SG_MSG_INC, SG_MSG_ENQ, SG_MSG_ENR, SG_MSG_ARQ,   /* carry an event (sg_msg_event_t) */
    SG_MSG_STQ, SG_MSG_STR,               /* status request / response */
    SG_MSG_ACK, SG_MSG_NAK,               /* functional acceptance / rejection */
    SG_MSG_AMD,                           /* amendment: carries the whole declaration */
    SG_MSG_TYPE_COUNT
} sg_msg_type_t;

/* Typedefs for the repeated fixed-size strings. */
typedef char sg_msg_office_t[9];                    /* CI000101 */
typedef char sg_msg_country_t[3];                   /* CI */
typedef char sg_msg_equipment_t[SG_MSG_EQUIPMENT_MAX + 1];
typedef char sg_msg_seal_t[SG_MSG_SEAL_ID_MAX + 1];

/* A party: the principal (holder of the transit procedure; name and TIN
 * required, address optional), the consignor or the consignee (optional:
 * absent when the name is empty; TIN and address optional). The address
 * is present when street or city is set (then both are). */
typedef struct {
    char name[SG_MSG_U8 (SG_MSG_TEXT70)];
    char id[SG_MSG_TIN_MAX + 1];              /* TIN */
    char street[SG_MSG_U8 (SG_MSG_TEXT70)];   /* Address/Line */
    char city[SG_MSG_U8 (SG_MSG_TEXT35)];
    char postcode[SG_MSG_POSTCODE_MAX + 1];   /* optional */
    char country[3];
} sg_msg_party_t;

/* BorderTransportMeans: identity, nationality, UN/ECE Rec. 19 mode. */
typedef struct {
    char id[SG_MSG_MEANS_ID_MAX + 1];
    char nationality[3];
    char mode[2];                             /* "3" = road */
} sg_msg_means_t;

/* ConsignmentItem. */
typedef struct {
    int seq;                                  /* 1..999, must equal position */
    char hs_code[9];                          /* 6-8 digits */
    char description[SG_MSG_U8 (SG_MSG_TEXT512)];
    uint32_t packages;
    char package_type[3];                     /* UN/ECE Rec. 21: BG, SA, JC */
    char gross_mass[24];                      /* kg, decimal kept as given */
    char origin[3];                           /* country of origin */
} sg_msg_item_t;

/* The transit declaration of DEC, REL, AAR and ATR. */
typedef struct {
    char lrn[SG_MSG_LRN_MAX + 1];             /* FunctionalReferenceID */
    char type_code[5];                        /* T1 T2 T2F TIR ISRT */
    char release_date[11];                    /* YYYY-MM-DD; REL, AAR, ATR only */
    char time_limit[11];                      /* YYYY-MM-DD */
    char total_gross_mass[24];                /* kg, decimal kept as given */
    uint32_t total_packages;                  /* must equal the sum over items */
    sg_msg_office_t departure;
    sg_msg_office_t *transit; size_t n_transit;  /* in order of passage */
    sg_msg_office_t exit;                     /* optional */
    sg_msg_office_t destination;
    sg_msg_party_t principal;
    sg_msg_party_t declarant;                 /* optional: who lodged the declaration */
    sg_msg_party_t consignor, consignee;      /* optional (GoodsShipment) */
    char export_country[3];                   /* optional: country of dispatch/export */
    char destination_country[3];              /* optional: country of destination */
    char guarantee_ref[SG_MSG_GRN_MAX + 1];
    char guarantee_amount[20];                /* decimal kept as given */
    char currency[4];                         /* XOF */
    sg_msg_means_t means;
    sg_msg_country_t *routing; size_t n_routing;
    sg_msg_equipment_t *containers; size_t n_containers;
    uint32_t seal_count;                      /* SealQuantity; 0 = absent */
    sg_msg_seal_t *seals; size_t n_seals;
    sg_msg_item_t *items; size_t n_items;
    size_t cap_transit, cap_routing, cap_containers, cap_seals, cap_items; /* private */
} sg_msg_declaration_t;

/* The event of NCF ARR DCR WOF CAN INC ENQ ENR ARQ. Which fields a type
 * uses (all others stay empty):
 *   NCF office (transit), datetime (crossing)
 *   ARR office (arrival), datetime (arrival), location
 *   DCR office (control), date, code (A1 A2 B1), flag (seals intact),
 *       text (discrepancies; required with B1)
 *   WOF date (write-off), flag (guarantee released)
 *   CAN date, text (reason)
 *   INC office, datetime, code (SB TS AC RD OT), text, has_new_means +
 *       new_means (optional), seals (new seals, optional)
 *   ENQ date, text (reason)
 *   ENR date, code (AR NP UN), text, arrival_date (optional)
 *   ARQ office (actual), datetime (arrival) */
typedef struct {
    sg_msg_office_t office;
    char datetime[21];                        /* YYYY-MM-DDThh:mm:ssZ */
    char date[11];
    char code[3];
    int flag;                                 /* 0 or 1 */
    char location[SG_MSG_U8 (SG_MSG_TEXT70)];
    char text[SG_MSG_U8 (SG_MSG_TEXT512)];
    char arrival_date[11];
    int has_new_means;
    sg_msg_means_t new_means;
    sg_msg_seal_t *seals; size_t n_seals;
    size_t cap_seals;                         /* private */
} sg_msg_event_t;

/* One lifecycle transition listed in an STR. */
typedef struct {
    char message_id[37];
    char from[16];                            /* empty for the first event */
    char to[16];
    sg_msg_office_t office;
    char at[21];
} sg_msg_status_event_t;

/* STR: the answering office's view of the movement. */
typedef struct {
    char role[12];                            /* DEPARTURE TRANSIT DESTINATION */
    char state[16];                           /* REGISTERED ... CROSSED */
    sg_msg_office_t departure;
    sg_msg_office_t *transit; size_t n_transit;
    sg_msg_office_t destination;
    sg_msg_status_event_t *events; size_t n_events;
    size_t cap_transit, cap_events;           /* private */
} sg_msg_status_t;

/* NAK error (ACK uses none of it: its content is the correlation id). */
typedef struct {
    int code;                                 /* NAK code, 1..999 */
    char reason[SG_MSG_U8 (SG_MSG_TEXT512)];
    char pointer[SG_MSG_POINTER_MAX + 1];     /* optional element path */
} sg_msg_result_t;

/* A message. Header fields are common to every type. */
typedef struct sg_msg_t {
    sg_msg_type_t type;
    char id[37];                              /* MessageID, lowercase UUID */
    char issued[21];                          /* IssueDateTime, UTC "...Z" */
    char mrn[19];                             /* DeclarationID */
    sg_msg_office_t sender;
    sg_msg_office_t recipient;
    char correlation_id[37];                  /* optional; required for ACK NAK */
    sg_msg_declaration_t decl;                /* DEC REL AAR ATR */
    sg_msg_event_t event;                     /* NCF ... ARQ */
    sg_msg_status_t status;                   /* STR */
    sg_msg_result_t result;                   /* NAK */
} sg_msg_t;

/* The header fields only, for sg_msg_peek. */
typedef struct {
    sg_msg_type_t type;
    char id[37];
    char issued[21];
    char mrn[19];
    sg_msg_office_t sender;
    sg_msg_office_t recipient;
    char correlation_id[37];
} sg_msg_head_t;

/* Static three-letter name of t ("AAR"), or NULL if t is not a type. */
const char *sg_msg_type_name (sg_msg_type_t t);

/* The type named name ("AAR", exact case), or SG_MSG_NONE if unknown. */
sg_msg_type_t sg_msg_type_from_name (const char *name);

/* 1 for DEC, REL, AAR, ATR and AMD (they carry the declaration), else 0. */
int sg_msg_type_has_declaration (sg_msg_type_t t);

/* Returns a new zeroed message of type t, or NULL for a bad type or when
 * out of memory. Free it with sg_msg_destroy. */
sg_msg_t *sg_msg_new (sg_msg_type_t type);

/* Frees the message and its lists; accepts NULL; clears *self_p. */
void sg_msg_destroy (sg_msg_t **self_p);

/* Appends an office of transit (declaration for DEC..ATR, status for STR).
 * Returns SG_OK, SG_EINVAL (wrong type or value too long), SG_ENOMEM.
 * Bounds (9 offices, 999 items...) are checked by sg_msg_serialize, so a
 * caller can build an over-long list and see it refused. */
int sg_msg_add_transit_office (sg_msg_t *self, const char *office);

/* Appends a country of routing (DEC..ATR). Same returns. */
int sg_msg_add_routing_country (sg_msg_t *self, const char *country);

/* Appends a container id (DEC..ATR). Same returns. */
int sg_msg_add_container (sg_msg_t *self, const char *id);

/* Appends a seal identity: to the declaration (DEC..ATR) or to the new
 * seals of an INC. Same returns. */
int sg_msg_add_seal (sg_msg_t *self, const char *id);

/* Appends a zeroed consignment item whose seq is its 1-based position and
 * returns it (owned by the message; valid until the next sg_msg_add_item),
 * or NULL for a type without a declaration or when out of memory. */
sg_msg_item_t *sg_msg_add_item (sg_msg_t *self);

/* Appends a zeroed STR event and returns it (owned by the message; valid
 * until the next call), or NULL if self is not an STR or out of memory. */
sg_msg_status_event_t *sg_msg_add_status_event (sg_msg_t *self);

/* Parses, validates and checks one message from buf[0..len): hardened XML
 * parse (xmlsafe, limits may be NULL), root must be a sigmat message in
 * SG_MSG_NAMESPACE, schema validation (sigmat.xsd), then semantic checks (MRN
 * check digit, office references, item numbering, package total, seal
 * count, DCR B1 text, MRN country = departure country). On SG_OK *msg_p is
 * a new message the caller destroys; otherwise *msg_p is NULL and diag
 * says why, with the line and the NAK code: SG_EXML/SG_ETOOBIG/SG_ETOODEEP
 * (52, 103), SG_ESCHEMA (13 missing element, 12 incorrect value, 105 not a
 * sigmat message), SG_EINVAL (12 or 13, semantic), SG_EMRN (93). */
int sg_msg_parse (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
               sg_msg_t **msg_p, sg_diag_t *diag);

/* Same as sg_msg_parse without the schema validation (about 40% of its cost),
 * for a body whose origin node validated it in full and signed it (the
 * caller has verified that signature): hardened parse, the tree walk (safe
 * on any document: a missing element is NAK 13) and the semantic checks. */
int sg_msg_parse_signed (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
                         sg_msg_t **msg_p, sg_diag_t *diag);

/* Same as sg_msg_parse for a document already parsed (by sg_xmlsafe_parse); doc
 * stays the caller's. */
int sg_msg_parse_doc (xmlDocPtr doc, sg_msg_t **msg_p, sg_diag_t *diag);

/* Writes msg in canonical form into a new NUL-terminated buffer *buf_p of
 * *len_p bytes (NUL not counted; the caller frees it with free()). The
 * output is parsed back, schema-validated and checked like sg_msg_parse before
 * it is returned, so only valid messages come out. Returns SG_OK or the
 * sg_msg_parse error codes (and SG_EINVAL for a bad type, SG_ENOMEM); on
 * error *buf_p is NULL. */
int sg_msg_serialize (const sg_msg_t *msg, char **buf_p, size_t *len_p, sg_diag_t *diag);

/* Reads only the header elements (type, MessageID, IssueDateTime, MRN,
 * sender, recipient, correlation id) from the start of buf[0..len) with a
 * streaming reader that stops after them: no schema validation, no MRN
 * check, for cheap header/body agreement checks. DOCTYPEs are refused.
 * Returns SG_OK, SG_EXML (52), SG_ETOOBIG (103) or SG_ESCHEMA (105 not a
 * sigmat message, 13 a header element is missing). */
int sg_msg_peek (const char *buf, size_t len, sg_msg_head_t *head, sg_diag_t *diag);

/* 1 if a and b hold the same message (every field and list), else 0. */
int sg_msg_equal (const sg_msg_t *a, const sg_msg_t *b);

#endif
