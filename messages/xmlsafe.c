/* xmlsafe.c - hardened XML input: every document sigmat reads from outside
 * goes through sg_xmlsafe_parse, which refuses DTDs, entities and external
 * references, and bounds size, depth and attribute count before libxml2
 * can spend unbounded time or memory on them. */
#include "xmlsafe.h"
#include "file.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

/* Parse options. Deliberately absent: XML_PARSE_NOENT (would substitute
 * entities), XML_PARSE_DTDLOAD/DTDATTR/DTDVALID (would read DTDs),
 * XML_PARSE_XINCLUDE (we never call xmlXIncludeProcess anyway) and
 * XML_PARSE_HUGE (would lift libxml2's own safety limits). */
#define S_PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR \
                         | XML_PARSE_NOWARNING | XML_PARSE_COMPACT)

/* What one parse knows about itself; hangs off ctxt->_private. */
typedef struct {
    int max_depth;
    int depth;
    int ns_in_scope;            /* namespace declarations on the open elements */
    int *ns_stack;              /* declarations made at each depth */
    int stop_code;              /* SG_OK, or why we stopped the parser */
    int stop_line;
    char stop_text[200];
    int err_line;               /* first error libxml2 reported */
    int have_err;
    char err_text[400];
    int element_only;           /* SG_XMLSAFE_ELEMENT_ONLY */
    startElementNsSAX2Func start;
    endElementNsSAX2Func end;
    charactersSAXFunc characters;
} s_state_t;

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static __thread int s_thread_silenced;
/* Folder (a realpath) this thread may read through the entity loader, or "". */
static __thread char s_trusted_root[PATH_MAX];
/* Why the loader last refused something inside a trusted window, or "". */
static __thread char s_refusal[300];


/* Swallows libxml2's generic (printf-style) error output. */
static void
s_silent (void *ctx, const char *msg, ...)
{
    (void) ctx;
    (void) msg;
}


/* Is path (already resolved) inside the calling thread's trusted folder? */
static int
s_under_trusted_root (const char *resolved)
{
    size_t rlen = strlen (s_trusted_root);
    if (rlen == 0)
        return 0;
    if (strcmp (s_trusted_root, "/") == 0)
        return 1;
    return strncmp (resolved, s_trusted_root, rlen) == 0 && resolved[rlen] == '/';
}

/* The process-wide external entity loader. Why: libxml2 calls the loader
 * for DTDs, external entities, XInclude and xs:include/xs:import, and the
 * default one reads any local file or URL. Ours refuses everything, except
 * plain local files under the folder the calling thread opened with
 * sg_xmlsafe_trusted_begin (schema compilation). Catalogs are bypassed and
 * no scheme other than file:// is accepted, so nothing reaches the network. */
static xmlParserInputPtr
s_entity_loader (const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void) id;
    if (!url || !ctxt || s_trusted_root[0] == '\0')
        return NULL;
    const char *path = url;
    if (strncasecmp (path, "file://", 7) == 0) {
        path += 7;
        if (strncasecmp (path, "localhost/", 10) == 0)
            path += 9;
    }
    else if (strchr (path, ':')) {
        snprintf (s_refusal, sizeof s_refusal, "refused %.200s: not a local file", url);
        return NULL;            /* some other scheme: http, ftp, ... */
    }

    char *unescaped = NULL;
    if (strchr (path, '%')) {
        unescaped = xmlURIUnescapeString (path, 0, NULL);
        if (!unescaped)
            return NULL;
        path = unescaped;
    }
    char resolved[PATH_MAX];
    xmlParserInputPtr input = NULL;
    struct stat st;
    if (!realpath (path, resolved))
        snprintf (s_refusal, sizeof s_refusal, "cannot resolve %.200s: %s", path,
                  strerror (errno));
    else if (!s_under_trusted_root (resolved))
        snprintf (s_refusal, sizeof s_refusal, "refused %.200s: outside the schema folder",
                  resolved);
    else if (stat (resolved, &st) != 0 || !S_ISREG (st.st_mode))
        snprintf (s_refusal, sizeof s_refusal, "refused %.200s: not a regular file",
                  resolved);
    else
        input = xmlNewInputFromFile (ctxt, resolved);
    free (unescaped);
    return input;
}

static void
s_init_once (void)
{
    xmlInitParser ();
    xmlSetExternalEntityLoader (s_entity_loader);
    xmlThrDefSetGenericErrorFunc (NULL, s_silent);
    xmlSetGenericErrorFunc (NULL, s_silent);
    s_thread_silenced = 1;
}

void
sg_xmlsafe_init (void)
{
    pthread_once (&s_once, s_init_once);
    if (!s_thread_silenced) {
        /* threads started before sg_xmlsafe_init keep libxml2's stderr default */
        xmlSetGenericErrorFunc (NULL, s_silent);
        s_thread_silenced = 1;
    }
}

int
sg_xmlsafe_trusted_begin (const char *root, sg_diag_t *diag)
{
    sg_xmlsafe_init ();
    s_refusal[0] = '\0';
    if (!root || !realpath (root, s_trusted_root)) {
        s_trusted_root[0] = '\0';
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot resolve folder %s: %s",
                            root ? root : "(null)", strerror (errno));
    }
    return SG_OK;
}

void
sg_xmlsafe_trusted_end (void)
{
    s_trusted_root[0] = '\0';
}

const char *
sg_xmlsafe_trusted_refusal (void)
{
    return s_refusal;
}

/* Stops the parser for one of our own reasons; the first reason wins. */
static void
s_stop (xmlParserCtxtPtr ctxt, int code, const char *what)
{
    s_state_t *st = ctxt->_private;
    if (st->stop_code == SG_OK) {
        st->stop_code = code;
        st->stop_line = xmlSAX2GetLineNumber (ctxt);
        sg_strlcpy (st->stop_text, what, sizeof st->stop_text);
    }
    xmlStopParser (ctxt);
}

static void
s_on_error (void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;
    s_state_t *st = ctxt ? ctxt->_private : NULL;
    if (!st || !err || err->level < XML_ERR_ERROR || st->have_err)
        return;
    if (err->code == XML_ERR_USER_STOP)
        return;
    st->have_err = 1;
    st->err_line = err->line;
    sg_oneline (st->err_text, sizeof st->err_text, err->message);
}

/* Is ch[0..len) only XML whitespace? */
static int
s_blank (const xmlChar *ch, int len)
{
    for (int i = 0; i < len; i++)
        if (ch[i] != ' ' && ch[i] != '\n' && ch[i] != '\t' && ch[i] != '\r')
            return 0;
    return 1;
}

/* SG_XMLSAFE_ELEMENT_ONLY, when a child element starts: the element's
 * only child so far, a whitespace-only text node s_characters could not
 * place, turns out to be indentation before that child and goes. */
static void
s_drop_leading_blank (xmlParserCtxtPtr ctxt)
{
    xmlNodePtr parent = ctxt->node, t = parent ? parent->children : NULL;
    if (!t || t->type != XML_TEXT_NODE || t != parent->last || !t->content
        || !s_blank (t->content, (int) strlen ((const char *) t->content)))
        return;
    xmlUnlinkNode (t);
    xmlFreeNode (t);
}

/* Is the whitespace ch[0..len) beside an element: right after a child
 * element, or (when ch is in the input buffer, where the parser hands over
 * plain runs) right before a start tag? */
static int
s_beside_element (xmlParserCtxtPtr ctxt, const xmlChar *ch, int len)
{
    if (ctxt->node->last && ctxt->node->last->type == XML_ELEMENT_NODE)
        return 1;
    xmlParserInputPtr in = ctxt->input;
    if (!in || !in->base || !in->end || ch < in->base || ch + len + 1 >= in->end)
        return 0;
    xmlChar c = ch[len + 1];
    return ch[len] == '<' && c != '/' && c != '!' && c != '?';
}

/* Text; under SG_XMLSAFE_ELEMENT_ONLY whitespace beside a child element
 * is not kept (indentation or trailing space). */
static void
s_characters (void *ctx, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr ctxt = ctx;
    s_state_t *st = ctxt->_private;
    if (st->element_only && ctxt->node && s_beside_element (ctxt, ch, len) && s_blank (ch, len))
        return;
    st->characters (ctx, ch, len);
}

static void
s_start_element (void *ctx, const xmlChar *localname, const xmlChar *prefix,
                 const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                 int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    s_state_t *st = ctxt->_private;
    if (++st->depth > st->max_depth) {
        char what[100];
        snprintf (what, sizeof what, "document nested deeper than %d elements",
                  st->max_depth);
        s_stop (ctxt, SG_ETOODEEP, what);
        return;
    }
    st->ns_stack[st->depth] = nb_namespaces;
    st->ns_in_scope += nb_namespaces;
    if (st->ns_in_scope > SG_XMLSAFE_MAX_NAMESPACES) {
        char what[100];
        snprintf (what, sizeof what, "more than %d namespace declarations in scope",
                  SG_XMLSAFE_MAX_NAMESPACES);
        s_stop (ctxt, SG_EXML, what);
        return;
    }
    if (st->element_only)
        s_drop_leading_blank (ctxt);
    st->start (ctx, localname, prefix, uri, nb_namespaces, namespaces,
               nb_attributes, nb_defaulted, attributes);
}

static void
s_end_element (void *ctx, const xmlChar *localname, const xmlChar *prefix,
               const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    s_state_t *st = ctxt->_private;
    if (st->depth > 0 && st->depth <= st->max_depth)
        st->ns_in_scope -= st->ns_stack[st->depth];
    st->depth--;
    st->end (ctx, localname, prefix, uri);
}

static void
s_internal_subset (void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
    s_stop (ctx, SG_EXML, "DOCTYPE not allowed");
}

static void
s_entity_decl (void *ctx, const xmlChar *name, int type, const xmlChar *pid,
               const xmlChar *sid, xmlChar *content)
{
    s_stop (ctx, SG_EXML, "DOCTYPE not allowed (entity declaration)");
}

static void
s_unparsed_entity_decl (void *ctx, const xmlChar *name, const xmlChar *pid,
                        const xmlChar *sid, const xmlChar *notation)
{
    s_stop (ctx, SG_EXML, "DOCTYPE not allowed (entity declaration)");
}

static xmlParserInputPtr
s_resolve_entity (void *ctx, const xmlChar *pid, const xmlChar *sid)
{
    s_stop (ctx, SG_EXML, "external entity not allowed");
    return NULL;
}

static int
s_line_at (const char *buf, size_t off)
{
    int line = 1;
    for (const char *p = buf; (p = memchr (p, '\n', off - (size_t) (p - buf))); p++)
        line++;
    return line;
}

/* Finds needle in [p, end) and returns the position after it, or end. */
static const char *
s_skip_past (const char *p, const char *end, const char *needle)
{
    const char *q = memmem (p, (size_t) (end - p), needle, strlen (needle));
    return q ? q + strlen (needle) : end;
}

/* The bytes s_scan_attributes stops at inside a tag: quotes, '=', '>', '<'. */
static const unsigned char s_tag_class[256] = {
    ['"'] = 1, ['\''] = 1, ['='] = 1, ['>'] = 1, ['<'] = 1
};

/* Why: libxml2 2.9.14 checks duplicate attributes and namespace
 * declarations by linear search, so one start tag with 300,000 attributes
 * (well within 4 MiB) costs minutes. This linear pre-scan counts the '='
 * of each start tag (outside quotes) and refuses the document before
 * parsing. Input is ASCII-compatible here (NUL bytes were refused), so
 * '<', '>', '=' and quotes are never part of a multi-byte character.
 * Returns the offset of the first offending tag, or -1. */
static long
s_scan_attributes (const char *buf, size_t len, int max_attrs)
{
    const char *p = buf, *end = buf + len;
    while (p < end && (p = memchr (p, '<', (size_t) (end - p)))) {
        const char *tag = p++;
        if (p >= end)
            break;
        if (*p == '!') {
            if (end - p >= 3 && memcmp (p, "!--", 3) == 0)
                p = s_skip_past (p + 3, end, "-->");
            else if (end - p >= 8 && memcmp (p, "![CDATA[", 8) == 0)
                p = s_skip_past (p + 8, end, "]]>");
            else
                break;          /* DOCTYPE: the parser refuses it */
            continue;
        }
        if (*p == '?') {
            p = s_skip_past (p + 1, end, "?>");
            continue;
        }
        if (*p == '/')
            continue;
        int count = 0;
        while (p < end) {
            while (p < end && !s_tag_class[(unsigned char) *p])
                p++;
            if (p >= end)
                break;
            if (*p == '"' || *p == '\'') {
                const char *q = memchr (p + 1, *p, (size_t) (end - p - 1));
                p = q ? q + 1 : end;
            }
            else if (*p == '=') {
                if (++count > max_attrs)
                    return (long) (tag - buf);
                p++;
            }
            else
                break;          /* '>' or '<' */
        }
    }
    return -1;
}

/* How many bytes c buf[0..len) holds, counting no further than limit. */
static size_t
s_count_upto (const char *buf, size_t len, char c, size_t limit)
{
    size_t n = 0;
    const char *p = buf, *end = buf + len;
    while (n < limit && p < end && (p = memchr (p, c, (size_t) (end - p)))) {
        n++;
        p++;
    }
    return n;
}

/* Checks what can be checked on the raw bytes; returns SG_OK or fills diag. */
static int
s_precheck (const char *buf, size_t len, size_t max_bytes, sg_diag_t *diag)
{
    if (len > max_bytes || len > INT_MAX)
        return sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE,
                            "input is %zu bytes, limit is %zu", len, max_bytes);
    size_t ws = 0;
    while (buf && ws < len && (buf[ws] == ' ' || buf[ws] == '\t' || buf[ws] == '\n'
                               || buf[ws] == '\r'))
        ws++;
    if (!buf || ws == len)
        return sg_diag_set (diag, SG_EXML, 0, SG_NAK_INVALID_XML,
                            "XML not well-formed: Document is empty");
    const char *nul = memchr (buf, '\0', len);
    if (nul) {
        size_t off = (size_t) (nul - buf);
        return sg_diag_set (diag, SG_EXML, s_line_at (buf, off), SG_NAK_INVALID_XML,
                            "XML not well-formed at line %d: NUL byte at offset %zu "
                            "(UTF-16 and UTF-32 input are not accepted)",
                            s_line_at (buf, off), off);
    }
    /* no start tag holds more '=' than the whole input: most documents
     * need no scan at all */
    long bad = s_count_upto (buf, len, '=', SG_XMLSAFE_MAX_ATTRIBUTES + 1)
                       > SG_XMLSAFE_MAX_ATTRIBUTES
               ? s_scan_attributes (buf, len, SG_XMLSAFE_MAX_ATTRIBUTES) : -1;
    if (bad >= 0) {
        int line = s_line_at (buf, (size_t) bad);
        return sg_diag_set (diag, SG_EXML, line, SG_NAK_INVALID_XML,
                            "element at line %d has more than %d attributes",
                            line, SG_XMLSAFE_MAX_ATTRIBUTES);
    }
    return SG_OK;
}

xmlDocPtr
sg_xmlsafe_parse (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
               sg_diag_t *diag)
{
    return sg_xmlsafe_parse_flags (buf, len, limits, 0, diag);
}

xmlDocPtr
sg_xmlsafe_parse_flags (const char *buf, size_t len, const sg_xmlsafe_limits_t *limits,
                        int flags, sg_diag_t *diag)
{
    sg_xmlsafe_init ();
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes
                                                   : SG_XMLSAFE_DEFAULT_MAX_BYTES;
    int max_depth = limits && limits->max_depth > 0 ? limits->max_depth
                                                    : SG_XMLSAFE_DEFAULT_MAX_DEPTH;
    if (max_depth > 4096)
        max_depth = 4096;       /* libxml2 itself stops at 256 without XML_PARSE_HUGE */
    if (s_precheck (buf, len, max_bytes, diag) != SG_OK)
        return NULL;

    xmlDocPtr doc = NULL;
    s_state_t st = { .max_depth = max_depth,
                     .element_only = (flags & SG_XMLSAFE_ELEMENT_ONLY) != 0 };
    xmlParserCtxtPtr ctxt = NULL;
    st.ns_stack = calloc ((size_t) max_depth + 2, sizeof *st.ns_stack);
    if (st.ns_stack)
        ctxt = xmlNewParserCtxt ();
    if (!ctxt) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory creating XML parser");
        goto done;
    }
    ctxt->_private = &st;
    xmlSAXHandlerPtr sax = ctxt->sax;
    st.start = sax->startElementNs;
    st.end = sax->endElementNs;
    sax->startElementNs = s_start_element;
    sax->endElementNs = s_end_element;
    st.characters = sax->characters;
    /* both through s_characters: libxml2 then never guesses which
     * whitespace is ignorable (it only does when the two differ) */
    sax->characters = s_characters;
    sax->ignorableWhitespace = s_characters;
    sax->internalSubset = s_internal_subset;
    sax->externalSubset = s_internal_subset;
    sax->entityDecl = s_entity_decl;
    sax->unparsedEntityDecl = s_unparsed_entity_decl;
    sax->resolveEntity = s_resolve_entity;
    sax->serror = s_on_error;   /* per context: takes precedence over globals */

    doc = xmlCtxtReadMemory (ctxt, buf, (int) len, NULL, NULL, S_PARSE_OPTIONS);
    if (st.stop_code != SG_OK) {
        /* xmlStopParser does not clear wellFormed: a partial tree may come back */
        xmlFreeDoc (doc);
        doc = NULL;
        if (st.stop_code == SG_ETOODEEP)
            sg_diag_set (diag, SG_ETOODEEP, st.stop_line, SG_NAK_INVALID_XML,
                         "%s (line %d)", st.stop_text, st.stop_line);
        else
            sg_diag_set (diag, st.stop_code, st.stop_line, SG_NAK_INVALID_XML,
                         "XML not accepted at line %d: %s", st.stop_line, st.stop_text);
        goto done;
    }
    /* a namespace error (undeclared prefix) only clears nsWellFormed */
    if (!doc || !ctxt->wellFormed || !ctxt->nsWellFormed) {
        xmlFreeDoc (doc);
        doc = NULL;
        if (st.have_err)
            sg_diag_set (diag, SG_EXML, st.err_line, SG_NAK_INVALID_XML,
                         "XML not well-formed at line %d: %s", st.err_line, st.err_text);
        else
            sg_diag_set (diag, SG_EXML, 0, SG_NAK_INVALID_XML,
                         "XML not well-formed (no detail from the parser)");
        goto done;
    }
    if (!xmlDocGetRootElement (doc)) {
        xmlFreeDoc (doc);
        doc = NULL;
        sg_diag_set (diag, SG_EXML, 0, SG_NAK_INVALID_XML,
                     "XML not well-formed: Document is empty");
        goto done;
    }
    sg_diag_clear (diag);
done:
    if (ctxt) {
        ctxt->_private = NULL;
        xmlFreeParserCtxt (ctxt);
    }
    free (st.ns_stack);
    return doc;
}

xmlDocPtr
sg_xmlsafe_parse_file (const char *path, const sg_xmlsafe_limits_t *limits, sg_diag_t *diag)
{
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes
                                                   : SG_XMLSAFE_DEFAULT_MAX_BYTES;
    xmlDocPtr doc = NULL;
    sg_buf_t buf = { 0 };
    FILE *f = fopen (path, "rb");
    if (!f) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot open %s: %s", path, strerror (errno));
        goto done;
    }
    struct stat st;
    if (fstat (fileno (f), &st) == 0 && S_ISREG (st.st_mode)
        && (unsigned long long) st.st_size > max_bytes) {
        sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE, "input is %lld bytes, limit is %zu",
                     (long long) st.st_size, max_bytes);
        goto done;
    }
    /* read until EOF but never past the limit: the size may lie (pipes,
     * growing files) */
    int rc = sg_file_read_stream (f, max_bytes, &buf);
    if (rc == SG_EIO)
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot read %s: %s", path, strerror (errno));
    else if (rc == SG_ETOOBIG)
        sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE,
                     "input is more than %zu bytes, limit is %zu", max_bytes, max_bytes);
    else if (rc != SG_OK)
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory reading %s", path);
    else
        doc = sg_xmlsafe_parse (sg_buf_text (&buf), buf.len, limits, diag);
done:
    sg_buf_free (&buf);
    if (f)
        fclose (f);
    return doc;
}
