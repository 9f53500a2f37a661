/* fuzz_header.c - libFuzzer target for the SGTP/1 header frame codec: any
 * bytes through sg_hdr_parse; an accepted frame must encode back to the same
 * bytes (plus the optional final LF) and parse again to the same lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *what)
{
    fprintf (stderr, "fuzz_header: %s\n", what);
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    sg_diag_t diag;
    sg_hdr_t *hdr = NULL;
    int rc = sg_hdr_parse ((const char *) data, size, &hdr, &diag);
    if (rc != SG_OK) {
        if (hdr || diag.code != rc)
            s_fail ("refused frame left a header or no reason");
        return 0;
    }
    sg_hdr_check_required (hdr, &diag);

    char *buf = NULL;
    size_t len = 0;
    rc = sg_hdr_encode (hdr, &buf, &len);
    if (rc == SG_ETOOBIG && size >= SG_HDR_MAX_BYTES - 1) {
        sg_hdr_destroy (&hdr);     /* at the limit without the final LF */
        return 0;
    }
    if (rc != SG_OK)
        s_fail ("accepted frame does not encode");
    int same = (len == size && memcmp (buf, data, size) == 0)
               || (len == size + 1 && memcmp (buf, data, size) == 0 && buf[size] == '\n');
    if (!same)
        s_fail ("encoding differs from the accepted frame");

    sg_hdr_t *again = NULL;
    if (sg_hdr_parse (buf, len, &again, &diag) != SG_OK)
        s_fail ("encoded frame does not parse");
    if (sg_hdr_count (again) != sg_hdr_count (hdr))
        s_fail ("line count changed");
    for (size_t i = 0; i < sg_hdr_count (hdr); i++)
        if (strcmp (sg_hdr_key_at (hdr, i), sg_hdr_key_at (again, i)) != 0
            || strcmp (sg_hdr_value_at (hdr, i), sg_hdr_value_at (again, i)) != 0
            || strcmp (sg_hdr_get (again, sg_hdr_key_at (hdr, i)), sg_hdr_value_at (hdr, i)) != 0)
            s_fail ("a line changed");
    sg_hdr_destroy (&again);
    sg_hdr_destroy (&hdr);
    free (buf);
    return 0;
}
