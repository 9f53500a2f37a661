/* schema.c - XSD validation: compile a schema once (reading only files in
 * its own folder), validate many documents against it from any thread,
 * and report the first error with its element, line and NAK code. */
#include "schema.h"

#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "xmlsafe.h"

#ifndef SG_SCHEMADIR
#define SG_SCHEMADIR "/usr/local/share/sigmat/schemas"
#endif

struct sg_schema_t {
    xmlSchemaPtr xsd;
};

/* The errors of one compilation or validation. */
typedef struct {
    int count;                  /* errors seen (warnings not counted) */
    int line;
    int missing;                /* the first error is about a missing element */
    char element[96];
    char file[128];
    char text[360];
    int have_warning;
    char warning[360];
} s_capture_t;

static pthread_once_t s_msgs_once = PTHREAD_ONCE_INIT;
static sg_schema_t *s_msgs;
static sg_diag_t s_msgs_diag;
static pthread_once_t s_dir_once = PTHREAD_ONCE_INIT;
static char s_dir[PATH_MAX];


static void
s_capture (void *data, xmlErrorPtr err)
{
    s_capture_t *cap = data;
    if (!cap || !err)
        return;
    if (err->level < XML_ERR_ERROR) {
        if (!cap->have_warning) {
            cap->have_warning = 1;
            sg_oneline (cap->warning, sizeof cap->warning, err->message);
        }
        return;
    }
    if (cap->count++ > 0)
        return;
    cap->line = err->line;
    xmlNodePtr node = err->node;
    if (node && node->type == XML_ELEMENT_NODE && node->name) {
        sg_strlcpy (cap->element, (const char *) node->name, sizeof cap->element);
        if (cap->line <= 0)
            cap->line = (int) xmlGetLineNo (node);
    }
    sg_oneline (cap->text, sizeof cap->text, err->message);
    /* "Element 'x': problem" -> "problem" when the element is named apart */
    size_t elen = strlen (cap->element);
    char *quoted = cap->text + 9;
    char *close = strncmp (cap->text, "Element '", 9) == 0 ? strchr (quoted, '\'') : NULL;
    if (elen && close && strncmp (close, "': ", 3) == 0 && (size_t) (close - quoted) >= elen
        && strncmp (close - elen, cap->element, elen) == 0
        && (close - elen == quoted || close[-(long) elen - 1] == '}')) {
        memmove (cap->text, close + 3, strlen (close + 3) + 1);
    }
    cap->missing = strstr (cap->text, "Missing child element(s)")
                   || strstr (cap->text, "This element is not expected. Expected is");
    if (err->file) {
        const char *slash = strrchr (err->file, '/');
        sg_strlcpy (cap->file, slash ? slash + 1 : err->file, sizeof cap->file);
    }
}

sg_schema_t *
sg_schema_load (const char *path, sg_diag_t *diag)
{
    sg_schema_t *self = NULL;
    xmlSchemaParserCtxtPtr pctxt = NULL;
    char *copy = NULL;
    int trusted = 0;
    s_capture_t cap = { 0 };
    /* the XSD parser reads its documents through a parser context of its own
     * whose errors go to the thread's structured handler: borrow it */
    xmlStructuredErrorFunc saved_fn = xmlStructuredError;
    void *saved_ctx = xmlStructuredErrorContext;

    sg_xmlsafe_init ();
    if (!path) {
        sg_diag_set (diag, SG_EINVAL, 0, 0, "no schema path given");
        goto done;
    }
    copy = strdup (path);
    if (!copy) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    if (sg_xmlsafe_trusted_begin (dirname (copy), diag) != SG_OK)
        goto done;
    trusted = 1;
    xmlSetStructuredErrorFunc (&cap, s_capture);
    pctxt = xmlSchemaNewParserCtxt (path);
    if (!pctxt) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory compiling schema %s", path);
        goto done;
    }
    xmlSchemaSetParserStructuredErrors (pctxt, s_capture, &cap);
    xmlSchemaPtr xsd = xmlSchemaParse (pctxt);
    if (!xsd || cap.count > 0) {
        xmlSchemaFree (xsd);
        char where[200] = "";
        if (cap.file[0] && cap.line > 0)
            snprintf (where, sizeof where, "%s line %d: ", cap.file, cap.line);
        const char *refusal = sg_xmlsafe_trusted_refusal ();
        sg_diag_set (diag, SG_ESCHEMA, cap.line, 0, "cannot compile schema %s: %s%s%s%s%s",
                     path, where,
                     cap.count ? cap.text : cap.have_warning ? cap.warning : "unknown error",
                     refusal[0] ? " (" : "", refusal, refusal[0] ? ")" : "");
        goto done;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        xmlSchemaFree (xsd);
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    self->xsd = xsd;
    sg_diag_clear (diag);
done:
    xmlSchemaFreeParserCtxt (pctxt);
    if (trusted)
        sg_xmlsafe_trusted_end ();
    xmlSetStructuredErrorFunc (saved_ctx, saved_fn);
    free (copy);
    return self;
}

void
sg_schema_destroy (sg_schema_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    xmlSchemaFree ((*self_p)->xsd);
    free (*self_p);
    *self_p = NULL;
}

int
sg_schema_validate_count (sg_schema_t *self, xmlDocPtr doc, sg_diag_t *diag, int *nerrors)
{
    s_capture_t cap = { 0 };
    int rc = SG_OK;
    if (nerrors)
        *nerrors = 0;
    if (!self || !doc)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no schema or no document to validate");
    /* a validation context is cheap next to the validation itself (measured:
     * under 2% for a 2 KB message), and per call it needs no locking */
    xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt (self->xsd);
    if (!vctxt)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory validating");
    xmlSchemaSetValidStructuredErrors (vctxt, s_capture, &cap);
    int ret = xmlSchemaValidateDoc (vctxt, doc);
    xmlSchemaFreeValidCtxt (vctxt);
    if (nerrors)
        *nerrors = cap.count;
    if (ret == 0 && cap.count == 0)
        sg_diag_clear (diag);
    else if (cap.count == 0)
        rc = sg_diag_set (diag, SG_ESCHEMA, 0, SG_NAK_INCORRECT_VALUE,
                          "not valid: internal validation error %d", ret);
    else if (cap.element[0])
        rc = sg_diag_set (diag, SG_ESCHEMA, cap.line,
                          cap.missing ? SG_NAK_MISSING_ELEMENT : SG_NAK_INCORRECT_VALUE,
                          "not valid at line %d, element %s: %s", cap.line, cap.element,
                          cap.text);
    else
        rc = sg_diag_set (diag, SG_ESCHEMA, cap.line,
                          cap.missing ? SG_NAK_MISSING_ELEMENT : SG_NAK_INCORRECT_VALUE,
                          "not valid at line %d: %s", cap.line, cap.text);
    return rc;
}

int
sg_schema_validate (sg_schema_t *self, xmlDocPtr doc, sg_diag_t *diag)
{
    return sg_schema_validate_count (self, doc, diag, NULL);
}

static void
s_dir_init (void)
{
    const char *env = getenv ("SIGMAT_SCHEMA_DIR");
    sg_strlcpy (s_dir, env && *env ? env : SG_SCHEMADIR, sizeof s_dir);
}

const char *
sg_schema_dir (void)
{
    pthread_once (&s_dir_once, s_dir_init);
    return s_dir;
}

static void
s_msgs_init (void)
{
    char path[PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/sigmat.xsd", sg_schema_dir ());
    s_msgs = sg_schema_load (path, &s_msgs_diag);
}

sg_schema_t *
sg_schema_messages (sg_diag_t *diag)
{
    pthread_once (&s_msgs_once, s_msgs_init);
    if (!s_msgs && diag)
        *diag = s_msgs_diag;
    return s_msgs;
}
