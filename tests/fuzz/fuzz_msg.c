/* fuzz_msg.c - libFuzzer target for the message codec: any bytes through
 * msg_parse (hardened parse, schema, semantic checks); what it accepts must
 * serialise and parse back to an equal message; msg_peek must not crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "schema.h"
#include "xmlsafe.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    xmlsafe_init ();
    sg_diag_t diag;
    if (!schema_messages (&diag)) {
        fprintf (stderr, "fuzz_msg: %s (set SIGMAT_SCHEMA_DIR)\n", diag.text);
        exit (1);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    sg_diag_t diag;
    msg_t *msg = NULL;
    int rc = msg_parse ((const char *) data, size, NULL, &msg, &diag);
    if (rc != SG_OK) {
        if (msg || diag.code != rc)
            abort ();
    }
    else {
        char *buf = NULL;
        size_t len = 0;
        if (msg_serialize (msg, &buf, &len, &diag) != SG_OK) {
            fprintf (stderr, "accepted message does not serialise: %s\n", diag.text);
            abort ();
        }
        msg_t *again = NULL;
        if (msg_parse (buf, len, NULL, &again, &diag) != SG_OK || !msg_equal (msg, again)) {
            fprintf (stderr, "round trip changed the message: %s\n", diag.text);
            abort ();
        }
        msg_destroy (&again);
        free (buf);
        msg_destroy (&msg);
    }
    msg_head_t head;
    msg_peek ((const char *) data, size, &head, &diag);
    return 0;
}
