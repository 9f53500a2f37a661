/* asy_events.h - the border officers' verbs, shared by the HTTP callbacks
 * and the command line: record a frontier crossing (NCF), an arrival
 * (ARR), control results (DCR), an incident (INC), request the record of
 * an undeclared arrival (ARQ), answer an enquiry (ENR); at the office of
 * departure, decide on a discrepancy (WOF: write-off or recovery) and
 * cancel a declaration (CAN). Each call carries a client-chosen request
 * id and is idempotent; it is checked against the local movement view,
 * turned into a validated message and queued in the outbox in one state
 * transaction, and answered with the movement's resulting state. */
#ifndef ASY_EVENTS_H_INCLUDED
#define ASY_EVENTS_H_INCLUDED

#include <jansson.h>

#include "asy_conf.h"
#include "asy_offices.h"
#include "asy_state.h"
#include "i18n.h"
#include "officer.h"

typedef struct {
    asy_state_t *state;
    const asy_offices_t *tables;
    const asy_conf_t *conf;
    i18n_lang_t lang;           /* of the error texts (Accept-Language) */
} asy_ctx_t;

/* One officer call; NULL/-1 for what was not given. */
typedef struct {
    const char *verb;           /* crossing arrival control incident arrival-request
                                   enquiry-answer decision cancellation */
    const char *request_id;     /* 1-64 printable ASCII, required */
    const char *mrn;
    const char *office;         /* ASYCUDA code or reference number */
    const char *at;             /* YYYY-MM-DDThh:mm:ssZ (control: or YYYY-MM-DD); NULL = now */
    const char *location;       /* arrival: where the goods are (default: office name) */
    const char *result;         /* control: A1 A2 B1; enquiry-answer: AR NP UN;
                                   decision: write-off recovery */
    int seals_intact;           /* control: 1 or 0 (required), -1 not given */
    const char *text;           /* control: discrepancies (B1); incident: what happened;
                                   enquiry-answer: what is known; cancellation: reason */
    const char *incident;       /* incident: SB TS AC RD OT */
    const char *new_seals;      /* incident: new seal identities, space-separated */
    const char *departure;      /* arrival-request: office of departure if not known */
    const char *seals_found;    /* control: seals found, space-separated (compared
                                   with the movement's current seals) */
    const char *new_means;      /* incident: registration of the new truck */
    const char *new_nationality; /* incident: its country (two letters) */
    const officer_t *officer;   /* who calls (NULL: the shared token or the shell) */
} asy_call_t;

/* Runs one call. Returns an HTTP status: 200 (done, or replayed: the same
 * request id with the same values), 400 (a bad value: *out is {"error":
 * sentence naming the field, "code": its catalogue
 * code, "field": name}), 404 (unknown movement or
 * office), 403 (the officer's token is not bound to the office), 409 (not
 * allowed in the movement's state, or the request id was
 * used for another call), 500 (state file). *out is a new JSON object the
 * caller json_decref's: on success {"request_id", "replayed", "message":
 * {"id", "type"}, "movement": asy_movement_json}. */
int asy_call_run (const asy_ctx_t *ctx, const asy_call_t *call, json_t **out);

/* Returns a new {"error": text, "code": code, "field": field (or null)}
 * object: the text of catalogue code (i18n.h) in lang with arguments a. */
json_t *asy_error (i18n_lang_t lang, const char *field, const char *code, const char *const a[5]);

/* The up to five string arguments of a catalogue text, as a[5]. */
#define ASY_I18N_ARGS(code, ...) code, (const char *const[5]) { __VA_ARGS__ }

#endif
