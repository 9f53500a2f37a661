/* fuzz_genjson.c - libFuzzer target for the JSON bodies of sigmat-generic's
 * REST API (adapters/generic/gen_json.c): any bytes parsed as the API
 * parses a request body (json_loadb, duplicates refused), then taken as
 * the body of every submission route that maps JSON: a declaration
 * (gen_json_to_decl, gen_json_check_decl) and each event (NCF ARR DCR INC
 * CAN ENQ ENR WOF ARQ through gen_json_to_event). A refusal must name an
 * HTTP status and a reason; what is accepted is built into a message as
 * gen_submit does (header, MRN), serialised and written back as JSON
 * (gen_json_from_msg), the way the API answers and the webhooks send.
 * No HTTP server, no database: the movement checks that need them are the
 * scenario tests' (tests/scenarios/11-generic.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gen_json.h"
#include "ident.h"
#include "xmlsafe.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const sg_msg_type_t s_events[] = { SG_MSG_NCF, SG_MSG_ARR, SG_MSG_DCR, SG_MSG_INC, SG_MSG_CAN,
                                       SG_MSG_ENQ, SG_MSG_ENR, SG_MSG_WOF, SG_MSG_ARQ };
#define S_NEVENTS (sizeof s_events / sizeof s_events[0])

static char s_mrn[MRN_LEN + 1];   /* a valid MRN for the events */

static void
s_fail (const char *what, const gen_err_t *e)
{
    fprintf (stderr, "fuzz_genjson: %s", what);
    if (e)
        fprintf (stderr, " (status %d, field \"%s\", detail \"%s\")", e->status, e->field,
                 e->detail);
    fputc ('\n', stderr);
    abort ();
}

/* A refusal says which status and why. */
static void
s_refusal (int rc, const gen_err_t *e)
{
    if (rc != e->status || rc < 400 || rc > 599 || !e->detail[0])
        s_fail ("a refusal without a status or a reason", e);
}

/* The message as the API stores and answers it: canonical XML (a refusal
 * must say why) and the JSON form. */
static void
s_finish (sg_msg_t *m)
{
    char *body = NULL, *text = NULL;
    size_t len = 0;
    sg_diag_t d;
    sg_diag_clear (&d);
    sg_msgid_new (m->id);
    strcpy (m->issued, "2026-01-01T00:00:00Z");
    if (sg_msg_serialize (m, &body, &len, &d) != SG_OK && !d.text[0])
        s_fail ("an accepted body that does not serialise, without a reason", NULL);
    json_t *j = gen_json_from_msg (m);
    if (!j)
        s_fail ("an accepted body that has no JSON form", NULL);
    text = json_dumps (j, JSON_COMPACT);
    if (!text)
        s_fail ("the JSON form does not print", NULL);
    free (text);
    json_decref (j);
    free (body);
}

static void
s_declaration (json_t *root)
{
    gen_err_t e;
    memset (&e, 0, sizeof e);
    sg_msg_t *m = sg_msg_new (SG_MSG_DEC);
    if (!m)
        return;
    int rc = gen_json_to_decl (root, m, &e);
    if (rc == 0)
        rc = gen_json_check_decl (m, &e);
    if (rc != 0)
        s_refusal (rc, &e);
    else {
        char country[3] = { m->decl.departure[0], m->decl.departure[1], 0 };
        if (m->mrn[0] || sg_mrn_new (country, m->mrn) == SG_OK) {
            sg_strlcpy (m->sender, m->decl.departure, sizeof m->sender);
            sg_strlcpy (m->recipient, m->decl.departure, sizeof m->recipient);
            s_finish (m);
        }
    }
    sg_msg_destroy (&m);
}

static void
s_event (json_t *root, sg_msg_type_t type)
{
    gen_err_t e;
    memset (&e, 0, sizeof e);
    sg_msg_t *m = sg_msg_new (type);
    if (!m)
        return;
    int rc = gen_json_to_event (root, m, &e);
    if (rc != 0)
        s_refusal (rc, &e);
    else {
        sg_strlcpy (m->mrn, s_mrn, sizeof m->mrn);
        sg_strlcpy (m->sender, m->event.office[0] ? m->event.office : "CI000101",
                    sizeof m->sender);
        sg_strlcpy (m->recipient, "CI000101", sizeof m->recipient);
        s_finish (m);
    }
    sg_msg_destroy (&m);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        sg_xmlsafe_init ();
        if (sg_mrn_new ("CI", s_mrn) != SG_OK)
            s_fail ("cannot make an MRN", NULL);
        ready = 1;
    }
    json_error_t je;
    json_t *root = json_loadb ((const char *) data, size, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return 0;
    s_declaration (root);
    for (size_t i = 0; i < S_NEVENTS; i++)
        s_event (root, s_events[i]);
    json_decref (root);
    return 0;
}
