/* asy_inbox.h - corridor -> ASYCUDA: a message delivered by the node is
 * checked, written as ASYCUDA XML into the inbox folder (AAR ATR WOF CAN
 * ENQ) with write-to-temp, fsync, rename, fsync of the folder, and applied
 * to the local movement view; only then may it be ACKed. */
#ifndef ASY_INBOX_H_INCLUDED
#define ASY_INBOX_H_INCLUDED

#include <stddef.h>

#include "asy_conf.h"
#include "asy_offices.h"
#include "asy_spool.h"
#include "asy_state.h"

/* What to answer the node for a delivery. */
enum { ASY_INBOX_ACK = 0, ASY_INBOX_NAK, ASY_INBOX_RETRY };

/* Handles one DELIVER (message id, body). Returns ASY_INBOX_ACK once the
 * file (if the type has one) is durably in the inbox and the state is
 * committed, or when the id was handled before; ASY_INBOX_NAK for a body
 * that is not a valid message; ASY_INBOX_RETRY when it cannot be handed
 * on now (disk, state, an office missing from the table: recorded as the
 * last error; the node delivers it again later). */
int asy_inbox_deliver (asy_state_t *st, const asy_offices_t *tables, const asy_conf_t *conf,
                       asy_spool_t *spool, const char *id, const char *body, size_t len);

/* Records that the node (SGTP NAK) or an office further on (NAK message)
 * refused message id: outbox row rejected with the code and reason, last
 * error, the movement's last_error, and for a spool file a move from done/
 * to rejected/ with a .err. spool may be NULL. */
void asy_inbox_refused (asy_state_t *st, asy_spool_t *spool, const char *id, int code,
                        const char *reason);

#endif
