/* lifecycle_int.h - what the lifecycle's files share: the in-memory
 * batch (views locked for the transaction, pending events, rejections,
 * incidents) and the steps of a lifecycle transaction, in one section per
 * file that defines them. The calls run one way: tracker.c and timers.c
 * -> apply.c -> generate.c -> views.c (write.c -> views.c). Nobody
 * outside broker/lifecycle/ includes it. */
#ifndef SG_LIFECYCLE_INT_H_INCLUDED
#define SG_LIFECYCLE_INT_H_INCLUDED

#include <libpq-fe.h>

#include "lifecycle/tracker.h"

#define LC_MAX_OFFICES 16           /* transit + exit + diversions per view */

typedef char lc_office_t[9];

struct lifecycle_t {
    lifecycle_opts_t o;
    lifecycle_stats_t stats;
};

/* One view of one movement (a row of `movement`), locked FOR UPDATE. */
typedef struct {
    char mrn[19];
    lc_office_t office;
    lc_role_t role;
    lc_state_t state;
    lc_office_t departure, destination;
    lc_office_t transit[LC_MAX_OFFICES];
    size_t n_transit;
    lc_office_t notified[LC_MAX_OFFICES];
    size_t n_notified;
    lc_office_t crossed[LC_MAX_OFFICES];
    size_t n_crossed;
    char time_limit[11], guarantee_ref[25], guarantee_amount[20], currency[4], decl_id[37];
    int64_t created, released, arrived, finished, state_since;     /* ms, 0 = none */
    int events;
    unsigned char last_hash[LC_HASH_LEN];
    int dirty;
    int stored;                     /* read from the table (else new in this batch) */
    const sg_msg_t *decl;           /* its declaration, when this batch holds it */
    sg_msg_t *decl_own;             /* ... or read back from the database (owned) */
} lc_view_t;

typedef struct {
    char mrn[19];
    lc_office_t office, at_office;
    int seq;
    char message_id[37], msg_type[8];
    lc_state_t from, to;
    int64_t at_ms;
    char officer[65];               /* "" if none */
    char body_hash[2 * LC_HASH_LEN + 1], sig_hash[2 * LC_HASH_LEN + 1];   /* hex, "" if none */
    unsigned char prev[LC_HASH_LEN], hash[LC_HASH_LEN];
} lc_ev_t;

typedef struct {
    char id[37], mrn[19], type[8];
    lc_office_t sender, recipient;
    int code;
    char reason[320];
    char nak_id[37];
} lc_rej_t;

typedef struct {
    char id[37], mrn[19];
    lc_office_t office;
    char happened[21], code[3];
    char *text;                     /* owned */
} lc_inc_t;

/* One message (or timer tick) to apply. */
typedef struct {
    int type;                       /* sg_msg_type_t or LC_TICK_* */
    const char *id, *mrn, *sender, *recipient;
    const sg_msg_t *msg;            /* parsed body, may be NULL for made messages */
    int generated;                  /* made by this transaction */
    const char *corr;               /* Correlation-Id, may be NULL */
    const char *officer;            /* the header's Officer, may be NULL */
    const char *body; size_t body_len;                  /* as stored (hashed into the event) */
    const unsigned char *sig; size_t sig_len;
} lc_work_t;

/* A lifecycle transaction in progress. */
typedef struct {
    lifecycle_t *lc;
    store_t *store;                 /* its transaction is open until lc_end */
    int64_t now;
    lc_view_t **views;              /* sorted by (mrn, office) */
    size_t nviews, capviews;
    lc_ev_t *ev;
    size_t nev, capev;
    lc_rej_t *rej;
    size_t nrej, caprej;
    lc_inc_t *inc;
    size_t ninc, capinc;
    lifecycle_out_t *out;
    int failed;                     /* out of memory or a database error: roll back */
    sg_diag_t diag;
} lc_batch_t;

/* ---- lifecycle/views.c ---- */

/* 1 if office is one of this node's. */
int lc_own (const lifecycle_t *lc, const char *office);

/* Starts a transaction on store; SG_OK or SG_EDB. */
int lc_begin (lc_batch_t *b, lifecycle_t *lc, store_t *store, lifecycle_out_t *out);

/* Runs sql (n text parameters) in the batch's transaction through the
 * store; the result, or NULL with b->failed and b->diag set. */
PGresult *lc_query (lc_batch_t *b, const char *what, const char *sql, int n,
                    const char *const *values, int binary_result);

/* Out of memory: marks the batch failed (b->diag says so). */
void lc_oom (lc_batch_t *b);

/* Grows *arr (of *cap elements of size sz, n used) to hold one more: 0, or
 * -1 when out of memory (b->failed set). */
int lc_grow (lc_batch_t *b, void **arr, size_t *cap, size_t n, size_t sz);

/* Loads and locks the views selected by where (SQL after "WHERE", $1 is a
 * text[] param1, may be NULL) with an optional suffix (ORDER/LIMIT/FOR
 * UPDATE...). Returns the number of rows or -1 (b->failed set). */
int lc_load (lc_batch_t *b, const char *where, const char *param1, const char *suffix);

/* Called by lc_load_batch for each message id the database already holds. */
typedef void (lc_known_fn) (void *arg, const char *id);

/* In one statement (lifecycle_load(), migration 013): loads and locks the
 * views of the MRNs in mrns (a text[] literal) in (mrn, office) order, and
 * calls known for each id of ids (a uuid[] literal) already in `message`.
 * Returns the number of views or -1 (b->failed set). */
int lc_load_batch (lc_batch_t *b, const char *mrns, const char *ids, lc_known_fn *known,
                   void *arg);

/* The view (mrn, office), or NULL. */
lc_view_t *lc_find (lc_batch_t *b, const char *mrn, const char *office);

/* A new view (mrn, office) of role in state LC_NONE, kept in order; NULL
 * when out of memory (b->failed set). */
lc_view_t *lc_view_add (lc_batch_t *b, const char *mrn, const char *office, lc_role_t role);

/* Commits (or rolls back when failed or rc != SG_OK) and frees the batch. */
int lc_end (lc_batch_t *b, int rc);

/* Appends a pending event to view v moving it to `to` (also to == from);
 * w, the message that caused it (NULL for a timer or a resynchronised
 * event), gives the officer, body and signature the event's hash covers. */
int lc_event (lc_batch_t *b, lc_view_t *v, const char *message_id, const char *msg_type,
              lc_state_t to, const char *at_office, int64_t at_ms, const lc_work_t *w);

/* Makes sure v->decl is set (reads the declaration message back from the
 * database when this batch does not hold it); SG_OK or SG_ENOTFOUND. */
int lc_decl (lc_batch_t *b, lc_view_t *v);

/* Called by lc_events for each event of a view, oldest first. */
typedef void (lc_visit_fn) (void *arg, const char *id, const char *from, const char *to,
                            const char *office, int64_t at_ms);

/* Visits the events of view v: those stored, then those pending in b.
 * SG_OK or SG_EDB (logged, b->failed set). */
int lc_events (lc_batch_t *b, const lc_view_t *v, lc_visit_fn *fn, void *arg);

/* ---- lifecycle/write.c ---- */

/* Writes the batch's movement, event, rejection and incident rows (one
 * statement). SG_OK or SG_EDB. */
int lc_write (lc_batch_t *b);

/* ---- lifecycle/generate.c ---- */

/* Frees the records of out from index `from` on (a rolled-back attempt). */
void lc_gen_truncate (lifecycle_out_t *out, size_t from);

/* Makes, signs and routes one message of type from sender to recipient
 * about mrn, appends it to b->out; m is the body to send (its header
 * fields are filled here), src the declaration it came from (may be
 * NULL). Returns the record or NULL (b->failed set). */
lifecycle_gen_t *lc_gen (lc_batch_t *b, sg_msg_t *m, const char *mrn, const char *sender,
                         const char *recipient, const char *corr, const sg_msg_t *src);

/* AAR or ATR from view v's declaration to office. */
lifecycle_gen_t *lc_gen_decl (lc_batch_t *b, lc_view_t *v, sg_msg_type_t type, const char *office);

/* An event-only message (WOF, CAN, ENQ) from view v to office. */
lifecycle_gen_t *lc_gen_event (lc_batch_t *b, lc_view_t *v, sg_msg_type_t type, const char *office,
                               const char *text);

/* The crossing (NCF) or incident (INC) w reported to the departure view
 * v, passed on from v's office to office, an office still ahead of the
 * truck: same event (new seals, new means), correlated to w. */
lifecycle_gen_t *lc_gen_notice (lc_batch_t *b, lc_view_t *v, const lc_work_t *w,
                                const char *office);

/* NAK for message w, refused by office with code and reason. */
lifecycle_gen_t *lc_gen_nak (lc_batch_t *b, const lc_work_t *w, const char *office, int code,
                             const char *reason);

/* STR of view v answering STQ w. */
lifecycle_gen_t *lc_gen_str (lc_batch_t *b, lc_view_t *v, const lc_work_t *w);

/* STQ from own office to peer office about mrn. */
lifecycle_gen_t *lc_gen_stq (lc_batch_t *b, const char *mrn, const char *own,
                             const char *peer);

/* ---- lifecycle/apply.c ---- */

/* Applies one message or tick; returns 0 if accepted (or irrelevant), the
 * NAK code if refused; *consumed = 1 if this node answered it (STQ, STR). */
int lc_apply (lc_batch_t *b, const lc_work_t *w, int *consumed);

/* Applies the messages made so far from out index `from` on (they may make
 * more, which are applied too). */
void lc_apply_made (lc_batch_t *b, size_t from);

/* Applies the events of STR w missing from view v (created if needed):
 * returns the number applied. */
int lc_resync (lc_batch_t *b, lc_view_t *v, const lc_work_t *w);

#endif
