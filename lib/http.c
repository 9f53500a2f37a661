/* http.c - the HTTP server helper (http.h): request bodies under a limit,
 * the Bearer token, replies with the common security headers. */
#include "http.h"
#include "file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sg_http_server_t {
    struct MHD_Daemon *mhd;
    unsigned port;
    char *cert, *key;           /* PEM texts, NULL for plain HTTP */
    char url[160];
};

/* Reads a whole (small) PEM file into a new string. */
static char *
s_slurp (const char *path, sg_diag_t *diag)
{
    sg_buf_t b = { 0 };
    int rc = sg_file_read (path, 1024 * 1024, &b);
    if (rc != SG_OK || !b.len) {
        sg_diag_set (diag, rc == SG_OK ? SG_EIO : rc, 0, 0, "%s: %s", path,
                     rc == SG_OK ? "empty" : rc == SG_ETOOBIG ? "larger than 1 MiB"
                     : rc == SG_ENOMEM ? "out of memory" : strerror (errno));
        if (b.data)
            OPENSSL_cleanse (b.data, b.len);
        sg_buf_free (&b);
        return NULL;
    }
    return sg_buf_take (&b);
}

/* Fills addr from spec; 0, or -1 (diag says why). *flags gets the MHD
 * address family flags. */
static int
s_address (const sg_http_opts_t *o, struct sockaddr_storage *addr, unsigned *flags,
           sg_diag_t *diag)
{
    const char *spec = o->listen ? o->listen : "";
    char host[256] = "";
    const char *colon = strrchr (spec, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul (colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t) (colon - spec) : 0;
    int ok = colon && end && !*end && colon[1] && port <= 65535 && hl < sizeof host;
    if (ok) {
        memcpy (host, spec, hl);
        host[hl] = 0;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *) addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) addr;
    memset (addr, 0, sizeof *addr);
    *flags = 0;
    if (ok && host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons ((uint16_t) port);
        ok = inet_pton (AF_INET6, host + 1, &v6->sin6_addr) == 1;
        /* [::] takes IPv4 clients too (dual stack). */
        *flags = IN6_IS_ADDR_UNSPECIFIED (&v6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    }
    else if (ok && (!strcmp (host, "*") || !host[0] || inet_pton (AF_INET, host,
                                                                    &v4->sin_addr) == 1)) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons ((uint16_t) port);
        if (!strcmp (host, "*") || !host[0])
            v4->sin_addr.s_addr = htonl (INADDR_ANY);
    }
    else if (ok && !strpbrk (host, "[]:")) {
        /* A host name: its first address. */
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
        int gai = getaddrinfo (host, NULL, &hints, &ai);
        if (gai != 0)
            return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s \"%s\": %s", o->key, spec,
                                gai_strerror (gai)), -1;
        memcpy (addr, ai->ai_addr, ai->ai_addrlen);
        if (ai->ai_family == AF_INET6) {
            v6->sin6_port = htons ((uint16_t) port);
            *flags = MHD_USE_IPv6;
        }
        else
            v4->sin_port = htons ((uint16_t) port);
        freeaddrinfo (ai);
    }
    else
        ok = 0;
    if (!ok)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s \"%s\": expected ADDRESS:PORT with an "
                            "IPv4 address (127.0.0.1:8780), an IPv6 address in brackets "
                            "([::1]:8780), a host name or * (*:8780)", o->key, spec), -1;
    return 0;
}

sg_http_server_t *
sg_http_start (const sg_http_opts_t *o, sg_diag_t *diag)
{
    struct sockaddr_storage addr;
    unsigned flags;
    if (s_address (o, &addr, &flags, diag) != 0)
        return NULL;
    int has_cert = o->tls_cert && *o->tls_cert, has_key = o->tls_key && *o->tls_key;
    if (has_cert != has_key) {
        sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: a TLS certificate needs its key and a key "
                     "its certificate: set both or neither", o->key);
        return NULL;
    }
    if (has_cert && MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
        sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: this libmicrohttpd was built without TLS",
                     o->key);
        return NULL;
    }
    sg_http_server_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    if (has_cert) {
        sg_diag_t d;
        if (!(self->cert = s_slurp (o->tls_cert, &d)) || !(self->key = s_slurp (o->tls_key, &d))) {
            sg_diag_set (diag, SG_EIO, 0, 0, "%s: TLS file %s", o->key, d.text);
            goto fail;
        }
        flags |= MHD_USE_TLS;
    }
    snprintf (self->url, sizeof self->url, "%s://%s", has_cert ? "https" : "http", o->listen);
    const struct sockaddr *sa = (const struct sockaddr *) &addr;
    uint16_t port = ntohs (sa->sa_family == AF_INET6
                           ? ((const struct sockaddr_in6 *) sa)->sin6_port
                           : ((const struct sockaddr_in *) sa)->sin_port);
    unsigned threads = o->threads > 1 ? o->threads : 1;
    flags |= MHD_USE_ERROR_LOG | (threads > 1 ? MHD_USE_AUTO_INTERNAL_THREAD
                                              : MHD_USE_INTERNAL_POLLING_THREAD);
    struct MHD_OptionItem ops[8];
    size_t n = 0;
    ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_SOCK_ADDR, 0, (void *) sa };
    ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_COMPLETED,
                                         (intptr_t) sg_http_completed, NULL };
    ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_TIMEOUT,
                                         o->timeout_s ? o->timeout_s : 30, NULL };
    ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_LIMIT,
                                         o->max_connections ? o->max_connections : 64, NULL };
    if (threads > 1)
        ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
    if (self->cert) {
        ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, self->cert };
        ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, self->key };
    }
    ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };
    errno = 0;
    self->mhd = MHD_start_daemon (flags, port, NULL, NULL, o->handler, o->cls,
                                  MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    if (!self->mhd) {
        sg_diag_set (diag, SG_EIO, 0, 0, "%s: cannot listen on %s: %s", o->key, o->listen,
                     errno ? strerror (errno) : "libmicrohttpd refused");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info (self->mhd, MHD_DAEMON_INFO_BIND_PORT);
    self->port = di && di->port ? di->port : port;
    return self;
fail:
    sg_http_stop (&self);
    return NULL;
}

unsigned
sg_http_port (const sg_http_server_t *self)
{
    return self ? self->port : 0;
}

const char *
sg_http_url (const sg_http_server_t *self)
{
    return self ? self->url : "";
}

void
sg_http_stop (sg_http_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sg_http_server_t *self = *self_p;
    if (self->mhd)
        MHD_stop_daemon (self->mhd);
    if (self->key)
        OPENSSL_cleanse (self->key, strlen (self->key));
    free (self->key);
    free (self->cert);
    free (self);
    *self_p = NULL;
}

int
sg_http_step (void **con_cls, size_t size, size_t limit, const char *upload,
              size_t *upload_size, sg_http_req_t **req)
{
    sg_http_req_t *r = *con_cls;
    *req = r;
    if (!r) {
        r = calloc (1, size < sizeof *r ? sizeof *r : size);
        if (!r)
            return SG_HTTP_NOMEM;
        r->body.limit = limit;
        *con_cls = r;
        *req = r;
        return SG_HTTP_NEW;
    }
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
