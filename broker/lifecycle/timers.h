/* timers.h - the lifecycle's timers, run by sigmatd about once a second on
 * the injectable clock (lifecycle.h): a departure view RELEASED or
 * EN_ROUTE past its time limit becomes OVERDUE; OVERDUE for enquiry_after
 * sends ENQ to the destination and transit offices (UNDER_ENQUIRY); under
 * enquiry (or in DISCREPANCY) for recovery_after becomes RECOVERY. Also
 * sends the STQs queued by `sigmatctl movement resync`. Each timer fires
 * exactly once: rows are claimed FOR UPDATE SKIP LOCKED and the state
 * change itself, committed with the messages it makes, is the mark. */
#ifndef SG_TIMERS_H_INCLUDED
#define SG_TIMERS_H_INCLUDED

#include <stddef.h>

#include "lifecycle/tracker.h"

typedef struct {
    int overdue, enquiry, recovery;     /* timers fired */
    int requests;                       /* STQs sent for resync requests */
} timers_result_t;

/* Runs what is due now (at most limit movements per kind) in one
 * transaction; the messages made are stored and appended to out (dispatch
 * them after SG_OK; free with lifecycle_out_clear). res may be NULL.
 * Returns SG_OK or SG_EDB/SG_ENOMEM (nothing changed). */
int timers_run (lifecycle_t *lc, store_t *store, size_t limit, lifecycle_out_t *out,
                timers_result_t *res, sg_diag_t *diag);

#endif
