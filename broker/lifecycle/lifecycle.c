/* lifecycle.c - the transition table of the movement lifecycle and what
 * goes with it: state names, the event hash chain, the resynchronisation
 * mapping and the injectable clock. Everything here is pure (no database,
 * no sockets) so tests/check_lifecycle.c can walk the whole table. */
#include "lifecycle/lifecycle.h"
#include "header.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const s_states[LC_STATE_COUNT] = {
    "", "REGISTERED", "RELEASED", "EN_ROUTE", "ARRIVED", "CONTROLLED", "DISCREPANCY",
    "DISCHARGED", "RECOVERY", "OVERDUE", "UNDER_ENQUIRY", "CANCELLED", "ANTICIPATED", "CROSSED"
};
static const char *const s_roles[LC_ROLE_COUNT] = { "DEPARTURE", "TRANSIT", "DESTINATION" };

const char *
lc_state_name (lc_state_t s)
{
    return s >= 0 && s < LC_STATE_COUNT ? s_states[s] : "";
}

const char *
lc_role_name (lc_role_t r)
{
    return r >= 0 && r < LC_ROLE_COUNT ? s_roles[r] : NULL;
}

lc_state_t
lc_state_from_name (const char *name)
{
    for (int s = 1; name && s < LC_STATE_COUNT; s++)
        if (strcmp (name, s_states[s]) == 0)
            return (lc_state_t) s;
    return LC_NONE;
}

int
lc_role_from_name (const char *name)
{
    for (int r = 0; name && r < LC_ROLE_COUNT; r++)
        if (strcmp (name, s_roles[r]) == 0)
            return r;
    return -1;
}

int
lc_role_strict (lc_role_t r)
{
    return r == LC_DEPARTURE;
}

/* ---- the transition table ------------------------------------------------ */

#define B(s) (1u << (s))
#define NONE_ B (LC_NONE)
#define LIVE (((1u << LC_STATE_COUNT) - 1) & ~NONE_)        /* any state but "no record" */
#define MOVING (B (LC_RELEASED) | B (LC_EN_ROUTE) | B (LC_OVERDUE) | B (LC_UNDER_ENQUIRY))
#define SAME LC_NONE                                         /* "to": state unchanged */

typedef enum {
    C_ANY = 0,
    C_CONFORM,          /* DCR A1 or A2 */
    C_DISCREPANT,       /* DCR B1 */
    C_ENR_ARRIVED,      /* ENR AR */
    C_ENR_OTHER,        /* ENR NP or UN */
    C_NEW_CROSSING,     /* NCF from an office that has not crossed yet */
    C_FROM_DEST,        /* ARR from the office of destination */
    C_TO_SELF,          /* addressed to the view's own office (CAN to the departure office) */
    C_NOT_TO_SELF,
    C_GUARANTEE_KEPT    /* WOF with the guarantee not released: the officer chose recovery */
} s_cond_t;

typedef struct {
    lc_role_t role;
    lc_side_t side;
    int type;
    unsigned from;      /* bit set of states */
    s_cond_t cond;
    lc_state_t to;      /* SAME = unchanged */
    int event;          /* append an event even when unchanged */
    unsigned actions;
} s_rule_t;

/* The first matching row wins. A (role, side, type) with rows but none
 * matching the state is refused by a strict role, ignored by the others.
 * "to SAME, event 0" rows accept a message that changes nothing (the
 * second WOF of a fan-out, a repeated AAR). */
static const s_rule_t s_rules[] = {
    /* departure view: the authority */
    { LC_DEPARTURE, LC_SENDER, SG_MSG_DEC, NONE_, C_ANY, LC_REGISTERED, 1, LC_ACT_DECL },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_REL, B (LC_REGISTERED), C_ANY, LC_RELEASED, 1,
      LC_ACT_DECL | LC_ACT_FANOUT },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_AAR, LIVE, C_ANY, SAME, 0, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_ATR, LIVE, C_ANY, SAME, 0, 0 },
    /* The departure officer's decision on a discrepancy, a WOF addressed to
     * the office of departure itself: recovery (the guarantee kept) or
     * write-off, which the node sends on to every office notified. */
    { LC_DEPARTURE, LC_SENDER, SG_MSG_WOF, B (LC_DISCREPANCY), C_GUARANTEE_KEPT, LC_RECOVERY, 1, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_WOF, B (LC_RECOVERY), C_GUARANTEE_KEPT, SAME, 0, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_WOF, B (LC_DISCREPANCY), C_TO_SELF, LC_DISCHARGED, 1,
      LC_ACT_WOF_ALL },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_WOF, B (LC_CONTROLLED) | B (LC_DISCREPANCY), C_ANY,
      LC_DISCHARGED, 1, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_WOF, B (LC_DISCHARGED), C_ANY, SAME, 0, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_CAN, B (LC_REGISTERED), C_ANY, LC_CANCELLED, 1, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_CAN, B (LC_RELEASED), C_TO_SELF, LC_CANCELLED, 1, LC_ACT_CAN },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_CAN, B (LC_RELEASED), C_NOT_TO_SELF, LC_CANCELLED, 1, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_CAN, B (LC_CANCELLED), C_ANY, SAME, 0, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_ENQ, B (LC_OVERDUE), C_ANY, LC_UNDER_ENQUIRY, 1, 0 },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_ENQ, B (LC_UNDER_ENQUIRY), C_ANY, SAME, 0, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_NCF, B (LC_RELEASED), C_NEW_CROSSING, LC_EN_ROUTE, 1,
      LC_ACT_CROSS },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_NCF, B (LC_EN_ROUTE) | B (LC_OVERDUE) | B (LC_UNDER_ENQUIRY),
      C_NEW_CROSSING, SAME, 1, LC_ACT_CROSS },
    /* A crossing notice can reach the departure node after the arrival when
     * the transit country's link was down: recorded, state unchanged. After
     * the write-off it is refused (92): the movement is closed. */
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_NCF,
      B (LC_ARRIVED) | B (LC_CONTROLLED) | B (LC_DISCREPANCY), C_NEW_CROSSING, SAME, 1,
      LC_ACT_CROSS },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ARR, MOVING, C_FROM_DEST, LC_ARRIVED, 1, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_DCR, B (LC_ARRIVED), C_CONFORM, LC_CONTROLLED, 1, LC_ACT_WOF },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_DCR, B (LC_ARRIVED), C_DISCREPANT, LC_DISCREPANCY, 1, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_INC, MOVING | B (LC_ARRIVED), C_ANY, SAME, 0,
      LC_ACT_INCIDENT },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ENR, B (LC_UNDER_ENQUIRY), C_ENR_ARRIVED, LC_ARRIVED, 1, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ENR, B (LC_UNDER_ENQUIRY), C_ENR_OTHER, SAME, 1, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ENR,
      B (LC_ARRIVED) | B (LC_CONTROLLED) | B (LC_DISCREPANCY) | B (LC_DISCHARGED) | B (LC_RECOVERY),
      C_ANY, SAME, 0, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ARQ, MOVING, C_ANY, SAME, 1, LC_ACT_DIVERT },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_STQ, LIVE, C_ANY, SAME, 0, LC_ACT_STR },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_STR, LIVE | NONE_, C_ANY, SAME, 0, LC_ACT_RESYNC },
    { LC_DEPARTURE, LC_SENDER, LC_TICK_OVERDUE, B (LC_RELEASED) | B (LC_EN_ROUTE), C_ANY,
      LC_OVERDUE, 1, 0 },
    { LC_DEPARTURE, LC_SENDER, LC_TICK_ENQUIRY, B (LC_OVERDUE), C_ANY, SAME, 0, LC_ACT_ENQ },
    { LC_DEPARTURE, LC_SENDER, LC_TICK_RECOVERY, B (LC_UNDER_ENQUIRY) | B (LC_DISCREPANCY), C_ANY,
      LC_RECOVERY, 1, 0 },

    /* destination view */
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_AAR, NONE_, C_ANY, LC_ANTICIPATED, 1, LC_ACT_DECL },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_AAR, LIVE, C_ANY, SAME, 0, 0 },
    { LC_DESTINATION, LC_SENDER, SG_MSG_ARR, B (LC_ANTICIPATED), C_ANY, LC_ARRIVED, 1, 0 },
    { LC_DESTINATION, LC_SENDER, SG_MSG_DCR, B (LC_ARRIVED), C_ANY, LC_CONTROLLED, 1, 0 },
    { LC_DESTINATION, LC_SENDER, SG_MSG_ENR, B (LC_ANTICIPATED), C_ENR_ARRIVED, LC_ARRIVED, 1, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_WOF,
      B (LC_ANTICIPATED) | B (LC_ARRIVED) | B (LC_CONTROLLED), C_ANY, LC_DISCHARGED, 1, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_WOF, B (LC_DISCHARGED), C_ANY, SAME, 0, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_CAN, B (LC_ANTICIPATED) | B (LC_ARRIVED), C_ANY,
      LC_CANCELLED, 1, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_ENQ, LIVE, C_ANY, SAME, 0, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_STQ, LIVE, C_ANY, SAME, 0, LC_ACT_STR },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_STR, LIVE | NONE_, C_ANY, SAME, 0, LC_ACT_RESYNC },

    /* transit view */
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ATR, NONE_, C_ANY, LC_ANTICIPATED, 1, LC_ACT_DECL },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ATR, LIVE, C_ANY, SAME, 0, 0 },
    { LC_TRANSIT, LC_SENDER, SG_MSG_NCF, B (LC_ANTICIPATED), C_ANY, LC_CROSSED, 1, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_WOF, B (LC_ANTICIPATED) | B (LC_CROSSED), C_ANY,
      LC_DISCHARGED, 1, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_WOF, B (LC_DISCHARGED), C_ANY, SAME, 0, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_CAN, B (LC_ANTICIPATED) | B (LC_CROSSED), C_ANY,
      LC_CANCELLED, 1, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ENQ, LIVE, C_ANY, SAME, 0, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_STQ, LIVE, C_ANY, SAME, 0, LC_ACT_STR },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_STR, LIVE | NONE_, C_ANY, SAME, 0, LC_ACT_RESYNC },

    /* amendment (AMD), only before release: the departure view takes the
     * amended declaration (the AAR/ATR at release carry it) and tells the
     * offices concerned (its own copies, to other offices, do nothing more);
     * they hold no view yet, so it changes nothing there. */
    { LC_DEPARTURE, LC_SENDER, SG_MSG_AMD, B (LC_REGISTERED), C_TO_SELF, SAME, 1,
      LC_ACT_DECL | LC_ACT_AMEND },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_AMD, B (LC_REGISTERED), C_NOT_TO_SELF, SAME, 0, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_AMD, NONE_ | LIVE, C_ANY, SAME, 0, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_AMD, NONE_ | LIVE, C_ANY, SAME, 0, 0 },
};
#define S_NRULES (sizeof s_rules / sizeof s_rules[0])

static int
s_eq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static int
s_cond (s_cond_t c, const lc_fact_t *f)
{
    const char *code = f->code ? f->code : "";
    switch (c) {
    case C_ANY:
        return 1;
    case C_CONFORM:
        return s_eq (code, "A1") || s_eq (code, "A2");
    case C_DISCREPANT:
        return s_eq (code, "B1");
    case C_ENR_ARRIVED:
        return s_eq (code, "AR");
    case C_ENR_OTHER:
        return !s_eq (code, "AR");
    case C_NEW_CROSSING:
        for (size_t i = 0; i < f->n_crossed; i++)
            if (s_eq (f->crossed[i], f->sender))
                return 0;
        return 1;
    case C_FROM_DEST:
        return s_eq (f->sender, f->destination);
    case C_TO_SELF:
        return s_eq (f->recipient, f->view_office);
    case C_NOT_TO_SELF:
        return !s_eq (f->recipient, f->view_office);
    case C_GUARANTEE_KEPT:
        return f->type == SG_MSG_WOF && f->guarantee_kept;
    }
    return 0;
}

static const char *
s_type_name (int type)
{
    switch (type) {
    case LC_TICK_OVERDUE: return "time limit";
    case LC_TICK_ENQUIRY: return "enquiry timer";
    case LC_TICK_RECOVERY: return "recovery timer";
    default: return sg_msg_type_name ((sg_msg_type_t) type) ? sg_msg_type_name ((sg_msg_type_t) type) : "?";
    }
}

int
lc_role_for (lc_side_t side, int type)
{
    if (side == LC_SENDER)
        switch (type) {
        case SG_MSG_DEC: case SG_MSG_REL: case SG_MSG_AAR: case SG_MSG_ATR:
        case SG_MSG_WOF: case SG_MSG_CAN: case SG_MSG_ENQ: case SG_MSG_AMD:
            return LC_DEPARTURE;
        default:
            return -1;
        }
    switch (type) {
    case SG_MSG_AAR: return LC_DESTINATION;
    case SG_MSG_ATR: return LC_TRANSIT;
    case SG_MSG_AMD: return LC_DESTINATION;   /* accepted, nothing recorded (see the AMD rows) */
    case SG_MSG_NCF: case SG_MSG_ARR: case SG_MSG_DCR: case SG_MSG_INC: case SG_MSG_ENR: case SG_MSG_ARQ:
        return LC_DEPARTURE;
    default:
        return -1;
    }
}

void
lc_step (lc_role_t role, lc_side_t side, lc_state_t from, const lc_fact_t *f, lc_step_t *out)
{
    memset (out, 0, sizeof *out);
    out->to = from;
    for (size_t i = 0; i < S_NRULES; i++) {
        const s_rule_t *r = &s_rules[i];
        if (r->role != role || r->side != side || r->type != f->type)
            continue;
        out->relevant = 1;
        if (!(r->from & B (from)) || !s_cond (r->cond, f))
            continue;
        out->to = r->to == SAME ? from : r->to;
        out->event = r->event || out->to != from;
        out->actions = r->actions;
        return;
    }
    if (!out->relevant || !lc_role_strict (role))
        return;
    if (from == LC_NONE) {
        out->nak = SG_NAK_UNKNOWN_MRN;
        snprintf (out->reason, sizeof out->reason, "%s for a movement unknown at office %s",
                  s_type_name (f->type), f->view_office ? f->view_office : "?");
        return;
    }
    out->nak = SG_NAK_OUT_OF_SEQUENCE;
    if (f->type == SG_MSG_NCF && from != LC_REGISTERED && !s_cond (C_NEW_CROSSING, f)
        && (B (from) & (MOVING)))
        snprintf (out->reason, sizeof out->reason,
                  "NCF out of sequence: crossing at %s already recorded", f->sender);
    else if (f->type == SG_MSG_ARR && (B (from) & MOVING))
        snprintf (out->reason, sizeof out->reason,
                  "ARR out of sequence: %s is not the office of destination %s", f->sender,
                  f->destination ? f->destination : "?");
    else
        snprintf (out->reason, sizeof out->reason, "%s out of sequence: movement is %s",
                  s_type_name (f->type), lc_state_name (from));
}

/* ---- the authority table -------------------------------------------------- */

#define P_DEP LC_P_DEPARTURE
#define P_TR LC_P_TRANSIT
#define P_DST LC_P_DESTINATION
#define P_PARTY LC_P_PARTY

typedef struct {
    lc_role_t role;
    lc_side_t side;
    int type;
    unsigned parties;   /* RECIPIENT: who may send it to the view; SENDER: to whom a view
                           of this role may send it; 0 = nobody */
} s_auth_t;

/* Who may send what, by role in the movement (docs/lifecycle.md). A
 * message type that a view's role has no row for, on a side the table
 * covers, is refused (101): rows cover every movement message. The state
 * machine above then says whether it comes at the right time. */
static const s_auth_t s_authority[] = {
    /* what a departure view accepts, and from whom */
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_NCF, P_TR },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ARR, P_DST },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_DCR, P_DST },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ENR, P_DST },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_INC, P_TR | P_DST },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ARQ, LC_P_ANY },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_STQ, P_PARTY },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_STR, LC_P_ASKED },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_DEC, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_REL, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_AAR, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ATR, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_WOF, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_CAN, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_ENQ, 0 },
    { LC_DEPARTURE, LC_RECIPIENT, SG_MSG_AMD, 0 },
    /* destination view */
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_AAR, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_ATR, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_WOF, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_CAN, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_ENQ, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_INC, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_AMD, P_DEP },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_STQ, P_PARTY },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_STR, LC_P_ASKED },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_DEC, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_REL, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_NCF, P_DEP },   /* a crossing passed on */
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_ARR, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_DCR, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_ENR, 0 },
    { LC_DESTINATION, LC_RECIPIENT, SG_MSG_ARQ, 0 },
    /* transit view */
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ATR, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_AAR, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_WOF, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_CAN, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ENQ, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_INC, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_AMD, P_DEP },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_STQ, P_PARTY },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_STR, LC_P_ASKED },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_DEC, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_REL, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_NCF, P_DEP },    /* a crossing passed on */
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ARR, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_DCR, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ENR, 0 },
    { LC_TRANSIT, LC_RECIPIENT, SG_MSG_ARQ, 0 },

    /* what an office may send in its own role, and to whom (checked where
     * it sends: parties = who may receive it) */
    { LC_DEPARTURE, LC_SENDER, SG_MSG_DEC, P_DEP },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_REL, P_DEP },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_AMD, P_PARTY },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_AAR, P_DST },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_ATR, P_TR },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_WOF, P_PARTY },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_CAN, P_PARTY },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_ENQ, P_PARTY },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_INC, P_TR | P_DST },   /* passed on downstream */
    { LC_DEPARTURE, LC_SENDER, SG_MSG_NCF, P_TR | P_DST },   /* passed on downstream */
    { LC_DEPARTURE, LC_SENDER, SG_MSG_STQ, P_PARTY },
    { LC_DEPARTURE, LC_SENDER, SG_MSG_STR, P_PARTY },
    { LC_TRANSIT, LC_SENDER, SG_MSG_NCF, P_DEP },
    { LC_TRANSIT, LC_SENDER, SG_MSG_INC, P_DEP },
    { LC_TRANSIT, LC_SENDER, SG_MSG_ARQ, P_DEP },
    { LC_TRANSIT, LC_SENDER, SG_MSG_STQ, P_PARTY },
    { LC_TRANSIT, LC_SENDER, SG_MSG_STR, P_PARTY },
    { LC_DESTINATION, LC_SENDER, SG_MSG_ARR, P_DEP },
    { LC_DESTINATION, LC_SENDER, SG_MSG_DCR, P_DEP },
    { LC_DESTINATION, LC_SENDER, SG_MSG_ENR, P_DEP },
    { LC_DESTINATION, LC_SENDER, SG_MSG_INC, P_DEP },
    { LC_DESTINATION, LC_SENDER, SG_MSG_ARQ, P_DEP },
    { LC_DESTINATION, LC_SENDER, SG_MSG_STQ, P_PARTY },
    { LC_DESTINATION, LC_SENDER, SG_MSG_STR, P_PARTY },
};
#define S_NAUTH (sizeof s_authority / sizeof s_authority[0])

static const char *const s_role_words[LC_ROLE_COUNT] = {
    "the office of departure", "an office of transit", "the office of destination"
};

/* The parties office x is, as the view described by f knows them. */
static unsigned
s_parties_of (const char *x, const lc_fact_t *f)
{
    unsigned p = 0;
    const char *dep = f->departure && *f->departure ? f->departure : f->decl_departure;
    if (s_eq (x, dep))
        p |= P_DEP;
    if (s_eq (x, f->destination))
        p |= P_DST;
    for (size_t i = 0; !(p & P_DST) && i < f->n_transit; i++)
        if (s_eq (x, f->transit[i]))
            p |= P_TR;
    if (f->type == SG_MSG_STR && f->asked)
        p |= LC_P_ASKED;
    return p | LC_P_ANY;
}

/* Words for the parties in p: "the office of departure CI000101 or an
 * office of transit", "a party of the movement", "no office"... */
static void
s_party_words (unsigned p, const lc_fact_t *f, char *out, size_t size)
{
    const char *dep = f->departure && *f->departure ? f->departure : f->decl_departure;
    out[0] = '\0';
    if ((p & P_PARTY) == P_PARTY) {
        snprintf (out, size, "a party of the movement");
        return;
    }
    size_t n = 0;
    if (p & P_DEP)
        n += (size_t) snprintf (out + n, size - n, "the office of departure %s", dep ? dep : "?");
    if ((p & P_TR) && n < size)
        n += (size_t) snprintf (out + n, size - n, "%san office of transit", n ? " or " : "");
    if ((p & P_DST) && n < size)
        n += (size_t) snprintf (out + n, size - n, "%sthe office of destination %s", n ? " or " : "",
                                f->destination && *f->destination ? f->destination : "?");
    if ((p & LC_P_ASKED) && n < size)
        n += (size_t) snprintf (out + n, size - n, "%sthe office this node asked (this answers no"
                                " STQ of ours to %s)", n ? " or " : "", f->sender);
    if (!n)
        snprintf (out, size, "no office");
}

/* Messages that carry the declaration come from the departure office it
 * names, and the MRN is of that office's country. */
static int
s_declarant_ok (const lc_fact_t *f, char *reason, size_t size)
{
    const char *dep = f->decl_departure;
    if (!dep || !*dep)
        return 1;
    if (!s_eq (f->sender, dep)) {
        snprintf (reason, size, "%s from %s refused: the declaration names %s as the office of"
                  " departure", s_type_name (f->type), f->sender, dep);
        return 0;
    }
    if (f->mrn && strlen (f->mrn) >= 4 && strncmp (f->mrn + 2, dep, 2) != 0) {
        snprintf (reason, size, "%s from %s refused: MRN %s was not issued in %.2s, the country"
                  " of the office of departure", s_type_name (f->type), f->sender, f->mrn, dep);
        return 0;
    }
    return 1;
}

int
lc_authorized (lc_role_t role, lc_side_t side, lc_state_t from, const lc_fact_t *f,
               char *reason, size_t size)
{
    int t = f->type;
    if (t <= SG_MSG_NONE || t >= SG_MSG_TYPE_COUNT || t == SG_MSG_ACK || t == SG_MSG_NAK)
        return 1;                               /* ticks, ACK, NAK, unknown */
    if (!s_declarant_ok (f, reason, size))
        return 0;
    const s_auth_t *row = NULL;
    int covered = 0;
    for (size_t i = 0; i < S_NAUTH; i++)
        if (s_authority[i].side == side && s_authority[i].type == t) {
            covered = 1;
            if (s_authority[i].role == role)
                row = &s_authority[i];
        }
    if (!covered)
        return 1;
    const char *tn = s_type_name (t);
    if (side == LC_SENDER) {
        /* no view: only the office of departure can hold an MRN of its own
         * country without one (before the DEC, or after a retention) */
        if (from == LC_NONE && role == LC_DEPARTURE && f->mrn && strlen (f->mrn) >= 4
            && f->sender && strncmp (f->mrn + 2, f->sender, 2) != 0) {
            snprintf (reason, size, "%s from %s refused: MRN %s was not issued in %.2s; only its"
                      " office of departure may send it", tn, f->sender, f->mrn, f->sender);
            return 0;
        }
        if (from == LC_NONE)
            return 1;
        if (row && (s_parties_of (f->recipient, f) & row->parties))
            return 1;
        if (row) {
            char to[160];
            s_party_words (row->parties, f, to, sizeof to);
            snprintf (reason, size, "%s from %s to %s refused: as %s of movement %s, %s may send"
                      " it only to %s", tn, f->sender, f->recipient, s_role_words[role],
                      f->mrn ? f->mrn : "?", f->sender, to);
            return 0;
        }
        char who[64] = "";
        for (size_t i = 0; i < S_NAUTH; i++)
            if (s_authority[i].side == LC_SENDER && s_authority[i].type == t) {
                size_t len = strlen (who);
                snprintf (who + len, sizeof who - len, "%s%s", len ? "/" : "",
                          s_roles[s_authority[i].role]);
            }
        snprintf (reason, size, "%s from %s refused: %s is %s of movement %s; only %s may send it",
                  tn, f->sender, f->sender, s_role_words[role], f->mrn ? f->mrn : "?",
                  *who ? who : "nobody");
        return 0;
    }
    if (from == LC_NONE && t != SG_MSG_AAR && t != SG_MSG_ATR && t != SG_MSG_AMD && t != SG_MSG_STR)
        return 1;                               /* no view: the state machine answers */
    unsigned allowed = row ? row->parties : 0;
    unsigned is = s_parties_of (f->sender, f);
    if (allowed & is)
        return 1;
    char need[160];
    s_party_words (allowed, f, need, sizeof need);
    if (is & P_PARTY) {
        char has[96];
        s_party_words (is & P_PARTY, f, has, sizeof has);
        snprintf (reason, size, "%s from %s refused: %s is %s of movement %s, not %s", tn,
                  f->sender, f->sender, has, f->mrn ? f->mrn : "?", need);
    }
    else
        snprintf (reason, size, "%s from %s refused: %s has no role in movement %s; only %s"
                  " may send it to %s", tn, f->sender, f->sender, f->mrn ? f->mrn : "?", need,
                  s_role_words[role]);
    return 0;
}

/* ---- hash chain ---------------------------------------------------------- */

int
lc_event_hash (const unsigned char prev[LC_HASH_LEN], const lc_event_t *ev,
               unsigned char out[LC_HASH_LEN])
{
    char text[768];
    unsigned char buf[LC_HASH_LEN + sizeof text];
    int n = snprintf (text, sizeof text, "%s|%s|%d|%s|%s|%s|%s|%s|%lld", ev->mrn, ev->office,
                      ev->seq, ev->message_id, ev->msg_type, ev->from_state ? ev->from_state : "",
                      ev->to_state, ev->at_office, (long long) ev->at_ms);
    if (n >= 0 && (size_t) n < sizeof text && ev->version >= 2)
        n += snprintf (text + n, sizeof text - (size_t) n, "|%s|%s|%s",
                       ev->officer ? ev->officer : "", ev->body_hash ? ev->body_hash : "",
                       ev->sig_hash ? ev->sig_hash : "");
    if (n < 0 || (size_t) n >= sizeof text)
        return SG_EINVAL;
    memcpy (buf, prev, LC_HASH_LEN);
    memcpy (buf + LC_HASH_LEN, text, (size_t) n);
    unsigned int len = 0;
    if (!EVP_Digest (buf, LC_HASH_LEN + (size_t) n, out, &len, EVP_sha256 (), NULL)
        || len != LC_HASH_LEN)
        return SG_ENOMEM;
    return SG_OK;
}

void
lc_sha256_hex (const void *data, size_t len, char out[2 * LC_HASH_LEN + 1])
{
    unsigned char h[LC_HASH_LEN];
    unsigned int hl = 0;
    out[0] = '\0';
    if (!data || !len || !EVP_Digest (data, len, h, &hl, EVP_sha256 (), NULL))
        return;
    lc_hex (h, hl, out);
}

void
lc_hex (const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- resynchronisation --------------------------------------------------- */

int
lc_rank (lc_role_t role, lc_state_t s)
{
    if (role == LC_DEPARTURE)
        switch (s) {
        case LC_REGISTERED: return 1;
        case LC_RELEASED: return 2;
        case LC_EN_ROUTE: case LC_OVERDUE: case LC_UNDER_ENQUIRY: return 3;
        case LC_ARRIVED: return 4;
        case LC_CONTROLLED: case LC_DISCREPANCY: return 5;
        case LC_DISCHARGED: case LC_RECOVERY: case LC_CANCELLED: return 6;
        default: return 0;
        }
    switch (s) {
    case LC_ANTICIPATED: return 1;
    case LC_ARRIVED: return role == LC_DESTINATION ? 2 : 0;
    case LC_CROSSED: return role == LC_TRANSIT ? 2 : 0;
    case LC_CONTROLLED: return role == LC_DESTINATION ? 3 : 0;
    case LC_DISCHARGED: case LC_CANCELLED: return 4;
    default: return 0;
    }
}

lc_state_t
lc_resync_map (lc_role_t local, const char *local_office, lc_role_t remote, lc_state_t to,
               const char *ev_office)
{
    switch (local) {
    case LC_DESTINATION:
        switch (to) {
        case LC_RELEASED: case LC_ANTICIPATED: return LC_ANTICIPATED;
        case LC_ARRIVED: return LC_ARRIVED;
        case LC_CONTROLLED: case LC_DISCREPANCY: return LC_CONTROLLED;
        case LC_DISCHARGED: return LC_DISCHARGED;
        case LC_CANCELLED: return LC_CANCELLED;
        default: return LC_NONE;
        }
    case LC_TRANSIT:
        switch (to) {
        case LC_RELEASED: case LC_ANTICIPATED: return LC_ANTICIPATED;
        case LC_EN_ROUTE: return s_eq (ev_office, local_office) ? LC_CROSSED : LC_NONE;
        case LC_DISCHARGED: return LC_DISCHARGED;
        case LC_CANCELLED: return LC_CANCELLED;
        default: return LC_NONE;
        }
    case LC_DEPARTURE:
        /* The departure decides discharge itself: only the facts reported
         * by the other offices come back. */
        if (remote == LC_TRANSIT && to == LC_CROSSED)
            return LC_EN_ROUTE;
        if (remote == LC_DESTINATION && (to == LC_ARRIVED || to == LC_CONTROLLED))
            return to;
        return LC_NONE;
    default:
        return LC_NONE;
    }
}

/* ---- clock ----------------------------------------------------------------- */

int64_t
lc_clock_ms (const char *clock_file)
{
    if (!clock_file || !*clock_file)
        clock_file = getenv ("SIGMAT_CLOCK_FILE");
    if (clock_file && *clock_file) {
        char buf[64] = "";
        FILE *f = fopen (clock_file, "r");
        if (f) {
            size_t n = fread (buf, 1, sizeof buf - 1, f);
            fclose (f);
            buf[n] = '\0';
            buf[strcspn (buf, " \t\r\n")] = '\0';
            int64_t ms;
            if (sg_hdr_time_parse (buf, &ms) == SG_OK)
                return ms;
        }
    }
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
lc_format_date (int64_t ms, char out[11])
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 11, "%Y-%m-%d", &tm);
}

void
lc_format_datetime (int64_t ms, char out[21])
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
