/* asy_movement.h - the adapter's local view of movements: one row per
 * (MRN, office of this adapter) with the role the office plays and its
 * state, kept from the messages the adapter sends and receives; as JSON
 * for the callbacks and the command line. */
#ifndef ASY_MOVEMENT_H_INCLUDED
#define ASY_MOVEMENT_H_INCLUDED

#include <jansson.h>

#include "asy_offices.h"
#include "asy_state.h"
#include "msg.h"

/* Creates or updates the row (msg->mrn, office) from a declaration message
 * (DEC REL AAR ATR): role, state and the declaration's offices, time limit,
 * means, seals; inside the caller's transaction. SG_OK or SG_EDB. */
int asy_movement_put_decl (asy_state_t *st, const sg_msg_t *msg, const char *office,
                           const char *role, const char *state, sg_diag_t *diag);

/* Sets the state of row (mrn, office), or of every row of mrn when office
 * is NULL, and records the message (type, id). A NULL state keeps the
 * state. SG_OK or SG_EDB. */
int asy_movement_set (asy_state_t *st, const char *mrn, const char *office, const char *state,
                      const sg_msg_t *msg, sg_diag_t *diag);

/* The role and state of row (mrn, office) into role[16] and state[24]
 * (NULL to skip), plus the departure office (may be NULL) from any row of
 * mrn. SG_OK, SG_ENOTFOUND (no row of that office; departure may still
 * be filled from another row), SG_EDB. */
int asy_movement_get (asy_state_t *st, const char *mrn, const char *office, char role[16],
                      char state[24], char departure[9], sg_diag_t *diag);

/* A movement as JSON: {"mrn", "lrn", "departure", "destination",
 * "transit": [...], "time_limit", "views": [{office, office_code, role,
 * state, incidents, updated, last_message...}], "messages": [{id, type,
 * status, nak_code, nak_reason}]}. NULL when out of memory; an unknown MRN
 * gives "views": []. */
json_t *asy_movement_json (asy_state_t *st, const asy_offices_t *tables, const char *mrn);

/* The movements still expected at office (a reference) whatever upstream
 * made of them (ANTICIPATED, or OVERDUE / UNDER_ENQUIRY while the goods
 * have not been recorded here): the officer's screen of what is expected.
 * {"office", "office_code", "expected": [...]}. */
json_t *asy_expected_json (asy_state_t *st, const asy_offices_t *tables, const char *office);

/* Records a crossing (NCF) or incident (INC) passed on by the office of
 * departure to the row (mrn, recipient): one line appended to its
 * "upstream" history; an incident's new seals and new means replace the
 * row's. Inside the caller's transaction; SG_OK or SG_EDB. */
int asy_movement_upstream (asy_state_t *st, const sg_msg_t *m, sg_diag_t *diag);

/* 1 if sender is the office of departure of mrn as this adapter knows it
 * (only that office may write off or cancel a movement), else 0 (also
 * for a movement unknown here). */
int asy_movement_from_departure (asy_state_t *st, const char *mrn, const char *sender);

#endif
