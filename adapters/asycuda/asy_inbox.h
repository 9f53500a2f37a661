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
#include "link.h"

/* Handles one DELIVER (message id, body) and says what to answer the node
 * (link.h): SG_LINK_DELIVERED once the file (if the type has one) is
 * durably in the inbox and the state is committed, or when the id was
 * handled before; SG_LINK_REFUSE for what can never be taken (a body that
 * is not a valid message, an office missing from the table, an inbox file
 * that breaks asycuda-inbox.xsd) with the NAK code and reason in diag;
 * SG_LINK_RETRY when it cannot be handed on now (disk, permission, state,
 * the schema file), the node delivering it again later. Each is recorded
 * as the last error. */
int asy_inbox_deliver (asy_state_t *st, const asy_offices_t *tables, const asy_conf_t *conf,
                       asy_spool_t *spool, const char *id, const char *body, size_t len,
                       sg_diag_t *diag);

/* Records that the node (SGTP NAK) or an office further on (NAK message)
 * refused message id: outbox row rejected with the code and reason, last
 * error, the movement's last_error, and for a spool file a move from done/
 * to rejected/ with a .err. spool may be NULL. */
void asy_inbox_refused (asy_state_t *st, asy_spool_t *spool, const char *id, int code,
                        const char *reason);

#endif
