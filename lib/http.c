/* http.c - the HTTP server helper (http.h): request bodies under a limit,
 * the Bearer token, replies with the common security headers. */
#include "http.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
sg_http_step (void **con_cls, size_t size, size_t limit, const char *upload,
              size_t *upload_size, sg_http_req_t **req)
{
    sg_http_req_t *r = *con_cls;
    if (!r) {
        r = calloc (1, size < sizeof *r ? sizeof *r : size);
        if (!r)
            return SG_HTTP_NOMEM;
        /* A limit of 0 would mean "no limit" to sg_buf: keep the meaning
         * of the config (no body at all) with a limit of one byte less. */
        r->body.limit = limit ? limit : 1;
        r->body.too_big = 0;
        *con_cls = r;
        *req = r;
        return SG_HTTP_NEW;
    }
    *req = r;
    if (*upload_size) {
        if (!r->answered && !r->body.failed) {
            sg_buf_put (&r->body, upload, *upload_size);
            if (r->body.failed && !r->body.too_big) {
                *upload_size = 0;
                return SG_HTTP_NOMEM;
            }
        }
        *upload_size = 0;
        return SG_HTTP_MORE;
    }
    return SG_HTTP_READY;
}

void
sg_http_completed (void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
    (void) cls, (void) c, (void) toe;
    sg_http_req_t *r = *con_cls;
    if (r) {
        sg_buf_free (&r->body);
        free (r);
    }
    *con_cls = NULL;
}

const char *
sg_http_bearer (struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp (h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

int
sg_http_token_eq (const char *given, const char *expected)
{
    if (!given || !expected || !*expected)
        return 0;
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int na = 0, nb = 0;
    if (!EVP_Digest (given, strlen (given), a, &na, EVP_sha256 (), NULL)
        || !EVP_Digest (expected, strlen (expected), b, &nb, EVP_sha256 (), NULL) || na != nb)
        return 0;
    return CRYPTO_memcmp (a, b, na) == 0;
}

static enum MHD_Result
s_reply (struct MHD_Connection *c, unsigned status, const char *type, const void *data,
         size_t len, enum MHD_ResponseMemoryMode mode, const char *const *headers)
{
    struct MHD_Response *r = MHD_create_response_from_buffer (len, (void *) data, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header (r, "Content-Type", type);
    MHD_add_response_header (r, "Cache-Control", "no-store");
    MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
    /* No Access-Control-Allow-Origin: no other site's page may read these
     * answers; pages are never framed and load only their own files. */
    if (strncmp (type, "text/html", 9) == 0) {
        MHD_add_response_header (r, "Content-Security-Policy",
                                 "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                                 "frame-ancestors 'none'");
        MHD_add_response_header (r, "X-Frame-Options", "DENY");
    }
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header (r, "WWW-Authenticate", "Bearer realm=\"sigmat\"");
    for (size_t i = 0; headers && headers[i]; i += 2)
        if (headers[i + 1])
            MHD_add_response_header (r, headers[i], headers[i + 1]);
    enum MHD_Result ret = MHD_queue_response (c, status, r);
    MHD_destroy_response (r);
    return ret;
}

enum MHD_Result
sg_http_reply (struct MHD_Connection *c, unsigned status, const char *type, const void *data,
               size_t len, const char *const *headers)
{
    return s_reply (c, status, type, data, len, MHD_RESPMEM_MUST_COPY, headers);
}

enum MHD_Result
sg_http_reply_static (struct MHD_Connection *c, unsigned status, const char *type,
                      const void *data, size_t len, const char *const *headers)
{
    return s_reply (c, status, type, data, len, MHD_RESPMEM_PERSISTENT, headers);
}

const char *
sg_http_mime (const char *name)
{
    static const char *const types[][2] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" }, { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
    };
    const char *dot = name ? strrchr (name, '.') : NULL;
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp (dot, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

enum MHD_Result
sg_http_text (struct MHD_Connection *c, unsigned status, const char *text)
{
    return s_reply (c, status, "text/plain; charset=utf-8", text, strlen (text),
                    MHD_RESPMEM_MUST_COPY, NULL);
}

enum MHD_Result
sg_http_json (struct MHD_Connection *c, unsigned status, const char *json,
              const char *const *headers)
{
    if (!json)
        json = "{}";
    return s_reply (c, status, "application/json", json, strlen (json), MHD_RESPMEM_MUST_COPY,
                    headers);
}

void
sg_http_problem_json (sg_buf_t *b, unsigned status, const char *name, const char *title,
                      const char *detail, const char *field, int line)
{
    if (!title || !*title)
        title = "Error";
    char type[128];
    snprintf (type, sizeof type, "urn:sigmat:problem:%s", name ? name : "error");
    sg_buf_puts (b, "{\"type\":");
    sg_buf_json (b, type);
    sg_buf_puts (b, ",\"title\":");
    sg_buf_json (b, title);
    sg_buf_printf (b, ",\"status\":%u,\"detail\":", status);
    sg_buf_json (b, detail ? detail : title);
    if (field && *field) {
        sg_buf_puts (b, ",\"field\":");
        sg_buf_json (b, field);
    }
    if (line > 0)
        sg_buf_printf (b, ",\"line\":%d", line);
    sg_buf_puts (b, "}");
}

enum MHD_Result
sg_http_problem (struct MHD_Connection *c, unsigned status, const char *name, const char *title,
                 const char *detail, const char *field, int line, const char *const *headers)
{
    sg_buf_t b = { 0 };
    sg_http_problem_json (&b, status, name, title, detail, field, line);
    enum MHD_Result r = b.failed ? MHD_NO
                        : s_reply (c, status, "application/problem+json", b.data, b.len,
                                   MHD_RESPMEM_MUST_COPY, headers);
    sg_buf_free (&b);
    return r;
}
