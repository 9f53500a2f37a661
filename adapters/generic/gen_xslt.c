/* gen_xslt.c - libxslt behind xmlsafe: stylesheet loading in a trusted
 * window, transformations under security prefs that forbid all file and
 * network access, and the national-XML-to-DEC mapping. */
#include "gen_xslt.h"

#include <libgen.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/variables.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ident.h"
#include "log.h"
#include "xmlsafe.h"

struct gen_xslt_t {
    xsltStylesheetPtr style;
    pthread_mutex_t lock;
    char path[512];
};

static xsltSecurityPrefsPtr s_sec;

/* Collects the first error line of a transformation into a sg_diag_t. */
static void
s_collect (void *ctx, const char *fmt, ...)
{
    sg_diag_t *diag = ctx;
    if (!diag || diag->text[0])
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (diag->text, sizeof diag->text, fmt, ap);
    va_end (ap);
    char *nl = strchr (diag->text, '\n');
    if (nl)
        *nl = 0;
}

static void
s_silent (void *ctx, const char *fmt, ...)
{
}

void
gen_xslt_init (void)
{
    if (s_sec)
        return;
    s_sec = xsltNewSecurityPrefs ();
    xsltSetSecurityPrefs (s_sec, XSLT_SECPREF_READ_FILE, xsltSecurityForbid);
    xsltSetSecurityPrefs (s_sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid);
    xsltSetSecurityPrefs (s_sec, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid);
    xsltSetSecurityPrefs (s_sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
    xsltSetSecurityPrefs (s_sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid);
    xsltSetDefaultSecurityPrefs (s_sec);
    xsltSetGenericErrorFunc (NULL, s_silent);
    xsltMaxDepth = 1000;
}

gen_xslt_t *
gen_xslt_load (const char *path, sg_diag_t *diag)
{
    gen_xslt_init ();
    gen_xslt_t *self = calloc (1, sizeof *self);
    char *copy = strdup (path);
    xmlDocPtr doc = NULL;
    if (!self || !copy) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    pthread_mutex_init (&self->lock, NULL);
    sg_strlcpy (self->path, path, sizeof self->path);
    doc = sg_xmlsafe_parse_file (path, NULL, diag);
    if (!doc)
        goto fail;
    /* xsl:import and xsl:include may read files of the stylesheet's own
     * folder, nothing else (xmlsafe's loader refuses all the rest). */
    if (sg_xmlsafe_trusted_begin (dirname (copy), diag) != SG_OK)
        goto fail;
    sg_diag_t err;
    sg_diag_clear (&err);
    xsltSetGenericErrorFunc (&err, s_collect);
    self->style = xsltParseStylesheetDoc (doc);
    xsltSetGenericErrorFunc (NULL, s_silent);
    sg_xmlsafe_trusted_end ();
    if (!self->style || self->style->errors) {
        sg_diag_set (diag, SG_EXML, 0, 0, "%s: not a usable XSLT stylesheet: %s", path,
                     err.text[0] ? err.text : "compilation failed");
        if (!self->style)
            goto fail;          /* doc is still ours */
        doc = NULL;
        goto fail;
    }
    free (copy);
    return self;
fail:
    if (self && !self->style)
        xmlFreeDoc (doc);
    free (copy);
    gen_xslt_destroy (&self);
    return NULL;
}

void
gen_xslt_destroy (gen_xslt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gen_xslt_t *self = *self_p;
    if (self->style)
        xsltFreeStylesheet (self->style);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int
gen_xslt_apply (gen_xslt_t *self, xmlDocPtr doc, const char **names, const char **values,
                size_t n, xmlDocPtr *out_p, sg_diag_t *diag)
{
    sg_diag_t err;
    sg_diag_clear (&err);
    *out_p = NULL;
    pthread_mutex_lock (&self->lock);
    xsltTransformContextPtr ctxt = xsltNewTransformContext (self->style, doc);
    xmlDocPtr res = NULL;
    int rc = SG_EINVAL;
    if (!ctxt) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    xsltSetCtxtSecurityPrefs (s_sec, ctxt);
    xsltSetTransformErrorFunc (ctxt, &err, s_collect);
    ctxt->maxTemplateDepth = 1000;
    ctxt->maxTemplateVars = 100000;
    for (size_t i = 0; i < n; i++)
        if (xsltQuoteOneUserParam (ctxt, (const xmlChar *) names[i],
                                   (const xmlChar *) values[i]) != 0) {
            rc = sg_diag_set (diag, SG_EINVAL, 0, 0, "%s: bad parameter %s", self->path, names[i]);
            goto done;
        }
    res = xsltApplyStylesheetUser (self->style, doc, NULL, NULL, NULL, ctxt);
    if (!res || ctxt->state == XSLT_STATE_ERROR || ctxt->state == XSLT_STATE_STOPPED) {
        rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE, "%s",
                          err.text[0] ? err.text : "the transformation failed");
        goto done;
    }
    *out_p = res;
    res = NULL;
    rc = SG_OK;
done:
    if (res)
        xmlFreeDoc (res);
    if (ctxt)
        xsltFreeTransformContext (ctxt);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
gen_xslt_apply_bytes (gen_xslt_t *self, xmlDocPtr doc, const char **names, const char **values,
                      size_t n, char **buf_p, size_t *len_p, sg_diag_t *diag)
{
    xmlDocPtr res = NULL;
    *buf_p = NULL;
    int rc = gen_xslt_apply (self, doc, names, values, n, &res, diag);
    if (rc != SG_OK)
        return rc;
    xmlChar *buf = NULL;
    int len = 0;
    if (xsltSaveResultToString (&buf, &len, res, self->style) != 0 || !buf) {
        xmlFreeDoc (res);
        xmlFree (buf);
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "%s: cannot serialise the result", self->path);
    }
    xmlFreeDoc (res);
    *buf_p = malloc ((size_t) len + 1);
    if (*buf_p) {
        memcpy (*buf_p, buf, (size_t) len);
        (*buf_p)[len] = 0;
        *len_p = (size_t) len;
    }
    xmlFree (buf);
    return *buf_p ? SG_OK : sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
}

/* The text node of the first element matching xpath in sigmat's namespace. */
static xmlNodePtr
s_find (xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr x = xmlXPathNewContext (doc);
    xmlNodePtr node = NULL;
    if (!x)
        return NULL;
    xmlXPathRegisterNs (x, (const xmlChar *) "s", (const xmlChar *) SG_MSG_NAMESPACE);
    xmlXPathObjectPtr r = xmlXPathEvalExpression ((const xmlChar *) xpath, x);
    if (r && r->nodesetval && r->nodesetval->nodeNr > 0)
        node = r->nodesetval->nodeTab[0];
    xmlXPathFreeObject (r);
    xmlXPathFreeContext (x);
    return node;
}

int
gen_xslt_map_declaration (gen_xslt_t *self, sg_schema_t *schema, const char *buf, size_t len,
                          const gen_conf_t *conf, long long time_limit_ms, sg_msg_t **msg_p,
                          sg_diag_t *diag)
{
    xmlDocPtr in = NULL, out = NULL;
    xmlChar *bytes = NULL;
    int blen = 0, rc;
    *msg_p = NULL;
    in = sg_xmlsafe_parse (buf, len, NULL, diag);
    if (!in)
        return diag ? diag->code : SG_EXML;
    if (schema && (rc = sg_schema_validate (schema, in, diag)) != SG_OK)
        goto done;
    char id[MSGID_LEN + 1], issued[21], today[11], limit[11];
    time_t now = time (NULL), later = now + (time_t) (time_limit_ms / 1000);
    struct tm tm;
    sg_msgid_new (id);
    strftime (issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&now, &tm));
    strftime (today, sizeof today, "%Y-%m-%d", gmtime_r (&now, &tm));
    strftime (limit, sizeof limit, "%Y-%m-%d", gmtime_r (&later, &tm));
    const char *names[GEN_MAX_PARAMS + 5] = { "message-id", "issued", "mrn", "today", "time-limit" };
    const char *values[GEN_MAX_PARAMS + 5] = { id, issued, "", today, limit };
    size_t n = 5;
    for (size_t i = 0; conf && i < conf->n_params; i++, n++) {
        names[n] = conf->params[i].name;
        values[n] = conf->params[i].value;
    }
    if ((rc = gen_xslt_apply (self, in, names, values, n, &out, diag)) != SG_OK)
        goto done;
    xmlNodePtr mrn = s_find (out, "/s:DEC/s:DeclarationID");
    xmlNodePtr dep = s_find (out, "/s:DEC/s:Declaration/s:DepartureCustomsOffice/s:ID");
    if (!mrn || !dep) {
        rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_MISSING_ELEMENT,
                          "the mapping produced no DEC with DeclarationID and "
                          "DepartureCustomsOffice/ID");
        goto done;
    }
    xmlChar *cur = xmlNodeGetContent (mrn), *office = xmlNodeGetContent (dep);
    if (cur && !cur[0]) {
        char fresh[MRN_LEN + 1], country[3] = { 0 };
        if (office && strlen ((char *) office) >= 2)
            memcpy (country, office, 2);
        if (sg_mrn_new (country, fresh) != SG_OK) {
            xmlFree (cur);
            xmlFree (office);
            rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                              "DepartureCustomsOffice/ID \"%s\" does not start with a country",
                              office ? (char *) office : "");
            goto done;
        }
        xmlNodeSetContent (mrn, (const xmlChar *) fresh);
    }
    xmlFree (cur);
    xmlFree (office);
    xmlDocDumpMemoryEnc (out, &bytes, &blen, "UTF-8");
    if (!bytes) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    rc = sg_msg_parse ((const char *) bytes, (size_t) blen, NULL, msg_p, diag);
    if (rc != SG_OK && diag) {
        char text[sizeof diag->text];
        snprintf (text, sizeof text, "mapped DEC: %.490s", diag->text);
        memcpy (diag->text, text, sizeof text);
        diag->code = rc = SG_EINVAL;
    } else if (rc != SG_OK) {
        rc = SG_EINVAL;
    } else if ((*msg_p)->type != SG_MSG_DEC) {
        sg_msg_destroy (msg_p);
        rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_UNKNOWN_TYPE,
                          "the mapping did not produce a DEC");
    }
done:
    xmlFree (bytes);
    if (out)
        xmlFreeDoc (out);
    xmlFreeDoc (in);
    return rc;
}
