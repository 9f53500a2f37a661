/* generate.h - the messages a lifecycle transaction makes (generate.c):
 * one record per message, stored and signed, and the list the tracker
 * hands back to be dispatched after the commit. */
#ifndef SG_GENERATE_H_INCLUDED
#define SG_GENERATE_H_INCLUDED

#include <stddef.h>

#include "msg.h"
#include "sign.h"
#include "node/store.h"

/* A message the lifecycle made. sm points into the record itself; the
 * record stays where it is (an array of pointers grows, not the records). */
typedef struct {
    store_msg_t sm;
    char id[37], type[4], mrn[19], sender[9], recipient[9], corr[37], hop[64];
    char *header, *body;
    size_t header_len, body_len;
    unsigned char sig[SG_SIGN_LEN];
    int type_code;                  /* sg_msg_type_t */
    const sg_msg_t *src;            /* declaration it was made from (AAR/ATR), borrowed */
    sg_msg_t *own;                  /* a message the record owns (STR for resync), or NULL */
} lifecycle_gen_t;

typedef struct {
    lifecycle_gen_t **gen;
    size_t n, cap;
} lifecycle_out_t;

/* Frees the generated messages and empties out. */
void lifecycle_out_clear (lifecycle_out_t *out);

#endif
