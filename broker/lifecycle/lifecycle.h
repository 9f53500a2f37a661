/* lifecycle.h - the movement lifecycle (docs/lifecycle.md) as data: the
 * states and roles, the transition table (which message moves which view
 * from which state to which, and what the node does then), the hash chain
 * of the event history, the resynchronisation mapping and the injectable
 * clock. No database here (lifecycle/tracker.c and apply.c apply batches,
 * timers.c runs the timers); see docs/lifecycle.md. */
#ifndef SG_LIFECYCLE_H_INCLUDED
#define SG_LIFECYCLE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "sg.h"

/* A view of a movement: the role of one of this node's offices in it. */
typedef enum { LC_DEPARTURE = 0, LC_TRANSIT, LC_DESTINATION, LC_ROLE_COUNT } lc_role_t;

typedef enum {
    LC_NONE = 0,            /* no record yet */
    LC_REGISTERED, LC_RELEASED, LC_EN_ROUTE, LC_ARRIVED, LC_CONTROLLED, LC_DISCREPANCY,
    LC_DISCHARGED, LC_RECOVERY, LC_OVERDUE, LC_UNDER_ENQUIRY, LC_CANCELLED,
    LC_ANTICIPATED, LC_CROSSED,
    LC_STATE_COUNT
} lc_state_t;

/* Which end of the message this node's office is. */
typedef enum { LC_SENDER = 0, LC_RECIPIENT = 1 } lc_side_t;

/* Timer "messages" (no message on the wire), after the sg_msg_type_t values. */
enum {
    LC_TICK_OVERDUE = SG_MSG_TYPE_COUNT + 1,   /* time limit passed without arrival */
    LC_TICK_ENQUIRY,                        /* enquiry_after spent in OVERDUE: send ENQ */
    LC_TICK_RECOVERY                        /* recovery_after spent under enquiry or in discrepancy */
};

/* What the node does after a transition (bit set). */
enum {
    LC_ACT_FANOUT   = 1 << 0,   /* AAR to the destination, ATR to each transit/exit office */
    LC_ACT_WOF      = 1 << 1,   /* discharge = auto: WOF to every office notified */
    LC_ACT_CAN      = 1 << 2,   /* CAN to every office notified */
    LC_ACT_ENQ      = 1 << 3,   /* ENQ to the destination and transit offices */
    LC_ACT_DIVERT   = 1 << 4,   /* AAR to the sender, which becomes the destination */
    LC_ACT_INCIDENT = 1 << 5,   /* record an incident */
    LC_ACT_STR      = 1 << 6,   /* answer an STQ with this view */
    LC_ACT_RESYNC   = 1 << 7,   /* apply the missing events of an STR */
    LC_ACT_DECL     = 1 << 8,   /* take offices, time limit, guarantee from the declaration */
    LC_ACT_CROSS    = 1 << 9,   /* remember the NCF's office as crossed */
    LC_ACT_AMEND    = 1 << 10,  /* AMD to the offices of destination and transit */
    LC_ACT_WOF_ALL  = 1 << 11   /* the officer's write-off: WOF to every office notified */
};

/* Parties of a movement (bit set): who may send what (the authority table
 * in lifecycle.c), as the view that checks knows them. */
enum {
    LC_P_DEPARTURE   = 1 << 0,  /* the movement's office of departure */
    LC_P_TRANSIT     = 1 << 1,  /* a declared office of transit/exit, or one sent an ATR */
    LC_P_DESTINATION = 1 << 2,  /* the actual office of destination (after a diversion, the new one) */
    LC_P_ASKED       = 1 << 3,  /* STR: the office this node sent the correlated STQ to */
    LC_P_ANY         = 1 << 4   /* any office (ARQ: how a diversion starts) */
};
#define LC_P_PARTY (LC_P_DEPARTURE | LC_P_TRANSIT | LC_P_DESTINATION)

/* The facts a rule's condition and the authority table look at. */
typedef struct {
    int type;                   /* sg_msg_type_t or LC_TICK_* */
    const char *mrn;            /* may be NULL (no country check) */
    const char *sender, *recipient;
    const char *code;           /* DCR result (A1 A2 B1), ENR response (AR NP UN); "" */
    const char *office;         /* NCF/ARR/ARQ event office; "" */
    const char *destination;    /* the view's destination office; "" */
    const char *const *crossed; /* offices that already sent NCF */
    size_t n_crossed;
    const char *view_office;    /* the view's own office */
    const char *departure;      /* the view's office of departure; "" when no view */
    const char *const *transit; /* the view's offices of transit: declared and sent an ATR */
    size_t n_transit;
    const char *decl_departure; /* DEC/REL/AAR/ATR: the departure office the body names */
    int asked;                  /* STR: answers an STQ this node sent to the sender */
    int guarantee_kept;         /* WOF with the guarantee not released (recovery) */
} lc_fact_t;

/* The outcome of one message on one view. */
typedef struct {
    int relevant;               /* 0: the message means nothing to this view */
    int nak;                    /* 0, or 90 / 92 when the view refuses it */
    lc_state_t to;              /* new state (== from when unchanged) */
    int event;                  /* 1: append an event (also when to == from) */
    unsigned actions;           /* LC_ACT_* */
    char reason[320];           /* why, for a NAK */
} lc_step_t;

/* Name of a state ("EN_ROUTE"), role ("DEPARTURE"), or "" / NULL for a bad value. */
const char *lc_state_name (lc_state_t s);
const char *lc_role_name (lc_role_t r);

/* State or role by name; LC_NONE / -1 if unknown. */
lc_state_t lc_state_from_name (const char *name);
int lc_role_from_name (const char *name);

/* 1 if the role refuses what does not fit (the departure view: the
 * authority), 0 if it only follows (transit and destination views). */
int lc_role_strict (lc_role_t r);

/* The role a view gets when a message of type t, with this node's office
 * on side, finds no record: DEC/REL... -> DEPARTURE, AAR -> DESTINATION,
 * ATR -> TRANSIT, NCF to the departure -> DEPARTURE...; -1 when such a
 * message cannot concern a view this node has no record of. */
int lc_role_for (lc_side_t side, int type);

/* Looks up the transition table: what message f does to a view of role in
 * state from (LC_NONE: no record). Always fills *out; out->relevant = 0
 * for messages the view ignores; out->nak = 90 (no record) or 92 (out of
 * sequence) with a reason when a strict view refuses it. Pure function. */
void lc_step (lc_role_t role, lc_side_t side, lc_state_t from, const lc_fact_t *f,
              lc_step_t *out);

/* The authority table: may f->sender send a message of type f->type to a
 * view of `role` (side LC_RECIPIENT: the sender must be the right party of
 * the movement as the view knows it; from LC_NONE only AAR/ATR are judged,
 * against the declaration they carry), or, side LC_SENDER, may a view of
 * `role` send it (the sender's own role in the movement). Messages with a
 * declaration must come from the departure office they name, in the MRN's
 * country. Returns 1 if allowed, 0 with a reason naming the office and the
 * role it lacks. Timer ticks, ACK and NAK are always allowed. Pure. */
int lc_authorized (lc_role_t role, lc_side_t side, lc_state_t from, const lc_fact_t *f,
                   char *reason, size_t size);

/* One event of a view's history, as hashed. */
typedef struct {
    const char *mrn, *office;   /* the view */
    int seq;                    /* 1, 2, ... */
    const char *message_id;     /* lowercase UUID */
    const char *msg_type;       /* "ARR", "TIMER", ... */
    const char *from_state;     /* "" for the first event */
    const char *to_state;
    const char *at_office;
    int64_t at_ms;              /* milliseconds since 1970, UTC */
    const char *officer;        /* the officer who caused it ("" if none) */
    const char *body_hash;      /* SHA-256 of the message body, hex ("" for a timer) */
    const char *sig_hash;       /* SHA-256 of the message's signature, hex ("" if none) */
    int version;                /* 1: events written before migration 004 (no officer,
                                   body or signature); 2: the current format */
} lc_event_t;

#define LC_HASH_LEN 32

/* hash = SHA-256(prev || "mrn|office|seq|message_id|type|from|to|at_office|at_ms"
 * [version 2: "|officer|body_hash|sig_hash"]), prev being 32 zero bytes for
 * the first event. Returns SG_OK or SG_ENOMEM. */
int lc_event_hash (const unsigned char prev[LC_HASH_LEN], const lc_event_t *ev,
                   unsigned char out[LC_HASH_LEN]);

/* Resynchronisation: the state of a view of role `local` (office
 * local_office) that an event of a remote view of role `remote` moving to
 * remote_to at office ev_office implies; LC_NONE if it implies nothing. */
lc_state_t lc_resync_map (lc_role_t local, const char *local_office, lc_role_t remote,
                          lc_state_t remote_to, const char *ev_office);

/* Progress rank of a state within a role (0 for LC_NONE); resync only
 * moves a view forward. */
int lc_rank (lc_role_t role, lc_state_t s);

/* The lifecycle clock in ms since 1970 (UTC): the RFC 3339 time held in
 * clock_file when it is set and readable (tests move time by rewriting
 * it), else the system clock. clock_file may be NULL: then the variable
 * SIGMAT_CLOCK_FILE is used if set. */
int64_t lc_clock_ms (const char *clock_file);

/* SHA-256 of data[0..len) as 64 lowercase hex digits into out; "" for
 * len 0. */
void lc_sha256_hex (const void *data, size_t len, char out[2 * LC_HASH_LEN + 1]);

/* Writes p[0..n) as 2n lowercase hex digits and a NUL into out. */
void lc_hex (const unsigned char *p, size_t n, char *out);

/* Formats ms as "YYYY-MM-DD" (date) or "YYYY-MM-DDThh:mm:ssZ" (datetime). */
void lc_format_date (int64_t ms, char out[11]);
void lc_format_datetime (int64_t ms, char out[21]);

#endif
