/* fuzz_msg.c - libFuzzer target for the message codec: any bytes through
 * sg_msg_parse (hardened parse, schema, semantic checks); what it accepts must
 * serialise and parse back to an equal message; sg_msg_peek must not crash. */
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
    sg_xmlsafe_init ();
    sg_diag_t diag;
    if (!sg_schema_messages (&diag)) {
        fprintf (stderr, "fuzz_msg: %s (set SIGMAT_SCHEMA_DIR)\n", diag.text);
        exit (1);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    sg_diag_t diag;
    sg_msg_t *msg = NULL;
    int rc = sg_msg_parse ((const char *) data, size, NULL, &msg, &diag);
    if (rc != SG_OK) {
        if (msg || diag.code != rc)
            abort ();
    }
    else {
        char *buf = NULL;
        size_t len = 0;
        if (sg_msg_serialize (msg, &buf, &len, &diag) != SG_OK) {
            fprintf (stderr, "accepted message does not serialise: %s\n", diag.text);
            abort ();
        }
        sg_msg_t *again = NULL;
        if (sg_msg_parse (buf, len, NULL, &again, &diag) != SG_OK || !sg_msg_equal (msg, again)) {
            fprintf (stderr, "round trip changed the message: %s\n", diag.text);
            abort ();
        }
        sg_msg_destroy (&again);
        free (buf);
        sg_msg_destroy (&msg);
    }
    sg_msg_head_t head;
    sg_msg_peek ((const char *) data, size, &head, &diag);
    return 0;
}
