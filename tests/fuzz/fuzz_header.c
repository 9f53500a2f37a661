/* fuzz_header.c - libFuzzer target for the SGTP/1 header frame codec: any
 * bytes through hdr_parse; an accepted frame must encode back to the same
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
    hdr_t *hdr = NULL;
    int rc = hdr_parse ((const char *) data, size, &hdr, &diag);
    if (rc != SG_OK) {
        if (hdr || diag.code != rc)
            s_fail ("refused frame left a header or no reason");
        return 0;
    }
    hdr_check_required (hdr, &diag);

    char *buf = NULL;
    size_t len = 0;
    rc = hdr_encode (hdr, &buf, &len);
    if (rc == SG_ETOOBIG && size >= HDR_MAX_BYTES - 1) {
        hdr_destroy (&hdr);     /* at the limit without the final LF */
        return 0;
    }
    if (rc != SG_OK)
        s_fail ("accepted frame does not encode");
    int same = (len == size && memcmp (buf, data, size) == 0)
               || (len == size + 1 && memcmp (buf, data, size) == 0 && buf[size] == '\n');
    if (!same)
        s_fail ("encoding differs from the accepted frame");

    hdr_t *again = NULL;
    if (hdr_parse (buf, len, &again, &diag) != SG_OK)
        s_fail ("encoded frame does not parse");
    if (hdr_count (again) != hdr_count (hdr))
        s_fail ("line count changed");
    for (size_t i = 0; i < hdr_count (hdr); i++)
        if (strcmp (hdr_key_at (hdr, i), hdr_key_at (again, i)) != 0
            || strcmp (hdr_value_at (hdr, i), hdr_value_at (again, i)) != 0
            || strcmp (hdr_get (again, hdr_key_at (hdr, i)), hdr_value_at (hdr, i)) != 0)
            s_fail ("a line changed");
    hdr_destroy (&again);
    hdr_destroy (&hdr);
    free (buf);
    return 0;
}
