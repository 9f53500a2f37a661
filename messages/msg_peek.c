/* msg_peek.c - the header elements of a message (type, MessageID, MRN,
 * offices, correlation id) read with libxml2's streaming reader, which stops
 * as soon as the header is over: a cheap look at a body before (or
 * instead of) the full parse, e.g. to check that an SGTP header agrees with
 * the body it carries. No schema validation, no MRN check here. */
#include <stdio.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "msg.h"

typedef struct {
    int line;
    char text[300];
    int have;
} s_err_t;

static void
s_on_error (void *arg, xmlErrorPtr err)
{
    s_err_t *e = arg;
    if (e->have || !err)
        return;
    e->have = 1;
    e->line = err->line;
    snprintf (e->text, sizeof e->text, "%s", err->message ? err->message : "parse error");
    size_t n = strlen (e->text);
    while (n > 0 && (e->text[n - 1] == '\n' || e->text[n - 1] == ' '))
        e->text[--n] = '\0';
}

/* The field of head that header element name fills, and its size. */
static char *
s_field (sg_msg_head_t *h, const char *name, size_t *size)
{
    static const struct { const char *name; size_t off, size; } map[] = {
        { "MessageID", offsetof (sg_msg_head_t, id), sizeof ((sg_msg_head_t *) 0)->id },
        { "IssueDateTime", offsetof (sg_msg_head_t, issued), sizeof ((sg_msg_head_t *) 0)->issued },
        { "DeclarationID", offsetof (sg_msg_head_t, mrn), sizeof ((sg_msg_head_t *) 0)->mrn },
        { "SenderOfficeID", offsetof (sg_msg_head_t,
                                      sender), sizeof ((sg_msg_head_t *) 0)->sender },
        { "RecipientOfficeID", offsetof (sg_msg_head_t, recipient),
          sizeof ((sg_msg_head_t *) 0)->recipient },
        { "CorrelationID", offsetof (sg_msg_head_t, correlation_id),
          sizeof ((sg_msg_head_t *) 0)->correlation_id },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp (name, map[i].name) == 0) {
            *size = map[i].size;
            return (char *) h + map[i].off;
        }
    return NULL;
}

static void
s_trim (char *s)
{
    size_t a = strspn (s, " \t\r\n"), n = strlen (s);
    while (n > a && strchr (" \t\r\n", s[n - 1]))
        n--;
    memmove (s, s + a, n - a);
    s[n - a] = '\0';
}

int
sg_msg_peek (const char *buf, size_t len, sg_msg_head_t *head, sg_diag_t *diag)
{
    s_err_t err = { 0 };
    int rc = SG_OK;
    char *field = NULL;
    size_t size = 0, used = 0;
    if (!buf || !head)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no input or no result");
    memset (head, 0, sizeof *head);
    if (len > SG_XMLSAFE_DEFAULT_MAX_BYTES)
        return sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE,
                            "message of %zu bytes is over the limit of %u", len,
                            SG_XMLSAFE_DEFAULT_MAX_BYTES);
    if (len > (size_t) 0x7fffffff)
        return sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE, "message too large");
    xmlTextReaderPtr r = xmlReaderForMemory (buf, (int) len, NULL, NULL,
                                             XML_PARSE_NONET | XML_PARSE_NOERROR
                                             | XML_PARSE_NOWARNING);
    if (!r)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    xmlTextReaderSetStructuredErrorHandler (r, s_on_error, &err);

    int done = 0, ret;
    while (!done && (ret = xmlTextReaderRead (r)) == 1) {
        int type = xmlTextReaderNodeType (r);
        int depth = xmlTextReaderDepth (r);
        const char *name = (const char *) xmlTextReaderConstLocalName (r);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
            rc = sg_diag_set (diag, SG_EXML, xmlTextReaderGetParserLineNumber (r),
                              SG_NAK_INVALID_XML, "DOCTYPE is not allowed");
            goto done;
        }
        if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
            const char *ns = (const char *) xmlTextReaderConstNamespaceUri (r);
            head->type = sg_msg_type_from_name (name);
            if (!ns || strcmp (ns, SG_MSG_NAMESPACE) != 0 || head->type == SG_MSG_NONE) {
                head->type = SG_MSG_NONE;
                rc = sg_diag_set (diag, SG_ESCHEMA, xmlTextReaderGetParserLineNumber (r),
                                  SG_NAK_UNKNOWN_TYPE, "root element {%s}%s is not a "
                                  "sigmat message", ns ? ns : "", name ? name : "");
                goto done;
            }
        } else if (type == XML_READER_TYPE_ELEMENT && depth == 1) {
            field = s_field (head, name, &size);
            used = 0;
            if (!field)
                done = 1;               /* the header is over */
        } else if (type == XML_READER_TYPE_END_ELEMENT && depth == 1) {
            field = NULL;
        } else if (depth >= 2 && field) {
            if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA
                || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE
                || type == XML_READER_TYPE_WHITESPACE) {
                const char *v = (const char *) xmlTextReaderConstValue (r);
                size_t k = v ? strlen (v) : 0;
                if (used + k >= size) {
                    rc = sg_diag_set (diag, SG_ESCHEMA, xmlTextReaderGetParserLineNumber (r),
                                      SG_NAK_INCORRECT_VALUE, "%s: value too long", name);
                    goto done;
                }
                memcpy (field + used, v, k);
                used += k;
                field[used] = '\0';
            } else {
                rc = sg_diag_set (diag, SG_ESCHEMA, xmlTextReaderGetParserLineNumber (r),
                                  SG_NAK_INCORRECT_VALUE, "header elements hold text only");
                goto done;
            }
        }
    }
    if (!done && err.have) {
        rc = sg_diag_set (diag, SG_EXML, err.line, SG_NAK_INVALID_XML, "invalid XML at line "
                          "%d: %s", err.line, err.text);
        goto done;
    }
    if (head->type == SG_MSG_NONE) {
        rc = sg_diag_set (diag, SG_EXML, err.line, SG_NAK_INVALID_XML, "no root element");
        goto done;
    }
    s_trim (head->id);
    s_trim (head->issued);
    s_trim (head->mrn);
    s_trim (head->sender);
    s_trim (head->recipient);
    s_trim (head->correlation_id);
    const char *missing = !head->id[0] ? "MessageID" : !head->issued[0] ? "IssueDateTime"
        : !head->mrn[0] ? "DeclarationID" : !head->sender[0] ? "SenderOfficeID"
        : !head->recipient[0] ? "RecipientOfficeID" : NULL;
    if (missing)
        rc = sg_diag_set (diag, SG_ESCHEMA, 0, SG_NAK_MISSING_ELEMENT,
                          "element %s is missing", missing);
done:
    xmlFreeTextReader (r);
    return rc;
}
