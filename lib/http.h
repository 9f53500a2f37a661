/* http.h - the one HTTP server helper of sigmat's three listeners (the
 * node's monitor, the ASYCUDA callback API, the generic adapter's API), on
 * libmicrohttpd: a request's body read under a size limit, the Bearer
 * token (RFC 6750) compared in constant time, and replies - JSON, RFC 7807
 * problems, files - that all carry the same security headers. */
#ifndef SG_HTTP_H_INCLUDED
#define SG_HTTP_H_INCLUDED

#include <microhttpd.h>
#include <stddef.h>

#include "buf.h"
#include "sg.h"

/* ---- the server ----------------------------------------------------------- */

/* Where and how a listener runs. */
typedef struct {
    const char *key;            /* the config key, named in errors ("http_listen") */
    const char *listen;         /* "127.0.0.1:8780", "[::1]:8780", "[::]:8780" (IPv4 too),
                                 * "*:8780" or ":8780" (any IPv4), "host:8780" (resolved) */
    const char *tls_cert;       /* PEM files: both (https) or neither (http) */
    const char *tls_key;
    MHD_AccessHandlerCallback handler;
    void *cls;                  /* the handler's first argument */
    unsigned timeout_s;         /* idle connection timeout; 0: 30 s */
    unsigned threads;           /* 0 or 1: one polling thread; more: a pool */
    unsigned max_connections;   /* 0: 64 */
} sg_http_opts_t;

typedef struct sg_http_server_t sg_http_server_t;

/* Parses the listen address, reads the TLS files and starts libmicrohttpd
 * on its own thread(s), requests freed by sg_http_completed. NULL with
 * diag: SG_ECONFIG (bad address, one TLS file without the other, no TLS
 * in this libmicrohttpd), SG_EIO (unreadable file, cannot listen),
 * SG_ENOMEM. Stop it with sg_http_stop. */
sg_http_server_t *sg_http_start (const sg_http_opts_t *opts, sg_diag_t *diag);

/* The TCP port it listens on (the chosen one for port 0). */
unsigned sg_http_port (const sg_http_server_t *self);

/* "https://[::1]:8780" for logs. */
const char *sg_http_url (const sg_http_server_t *self);

/* Stops the server (waiting for its threads), wipes the TLS key, frees it
 * (NULL is fine) and clears the caller's pointer. */
void sg_http_stop (sg_http_server_t **self_p);

/* ---- requests ------------------------------------------------------------- */

/* A request being read; a listener's own request struct may begin with it
 * (see sg_http_step's size). */
typedef struct {
    sg_buf_t body;      /* the body so far; body.too_big once over the limit */
    int answered;       /* a reply was queued before the body was read */
} sg_http_req_t;

/* What sg_http_step says the access handler must do. */
enum {
    SG_HTTP_NEW,        /* first call: *req was just made; return MHD_YES (or reply early) */
    SG_HTTP_MORE,       /* a body chunk was taken (or dropped): return MHD_YES */
    SG_HTTP_READY,      /* the whole body is in (*req)->body: answer now */
    SG_HTTP_NOMEM       /* out of memory: return MHD_NO */
};

/* One call of an access handler: on the first call allocates *con_cls
 * (size bytes, zeroed, at least sizeof (sg_http_req_t)) with a body limit
 * of limit bytes (0: none); later calls take the upload chunk into the
 * body (beyond the limit, or after an early reply, the bytes are dropped)
 * or say the body is complete. *req is the request (NULL only on
 * SG_HTTP_NOMEM). sg_http_completed frees it. */
int sg_http_step (void **con_cls, size_t size, size_t limit, const char *upload,
                  size_t *upload_size, sg_http_req_t **req);

/* MHD_OPTION_NOTIFY_COMPLETED callback: frees what sg_http_step made. */
void sg_http_completed (void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe);

/* The token of the request's "Authorization: Bearer TOKEN" header (the
 * scheme in any case, spaces after it skipped), or NULL. */
const char *sg_http_bearer (struct MHD_Connection *c);

/* 1 if given equals expected, in time that depends on neither (both are
 * hashed with SHA-256 and the digests compared with CRYPTO_memcmp); 0 when
 * either is NULL or expected is empty. */
int sg_http_token_eq (const char *given, const char *expected);

/* Queues a reply of status with body data[0..len) (copied) of content
 * type, the common security headers (nosniff, no-store, and for HTML a
 * strict Content-Security-Policy and framing denied), a Bearer challenge
 * on 401, and headers: pairs NAME, VALUE ending with NULL (NULL for none;
 * a NULL value skips its pair). MHD's result. */
enum MHD_Result sg_http_reply (struct MHD_Connection *c, unsigned status, const char *type,
                               const void *data, size_t len, const char *const *headers);

/* The same for data that outlives the response (embedded files): not copied. */
enum MHD_Result sg_http_reply_static (struct MHD_Connection *c, unsigned status,
                                      const char *type, const void *data, size_t len,
                                      const char *const *headers);

/* The content type of a static file by its name's extension (.html, .js,
 * .css, .svg, .png; else application/octet-stream). */
const char *sg_http_mime (const char *name);

/* A text/plain reply. */
enum MHD_Result sg_http_text (struct MHD_Connection *c, unsigned status, const char *text);

/* An application/json reply of the JSON text json (NULL: "{}"). */
enum MHD_Result sg_http_json (struct MHD_Connection *c, unsigned status, const char *json,
                              const char *const *headers);

/* An RFC 7807 application/problem+json reply: {"type": "urn:sigmat:
 * problem:NAME", "title", "status", "detail" (title when NULL), "field"
 * and "line" when given (field non-empty, line > 0)}. */
enum MHD_Result sg_http_problem (struct MHD_Connection *c, unsigned status, const char *name,
                                 const char *title, const char *detail, const char *field,
                                 int line, const char *const *headers);

/* The problem object of sg_http_problem appended to b as JSON text. */
void sg_http_problem_json (sg_buf_t *b, unsigned status, const char *name, const char *title,
                           const char *detail, const char *field, int line);

#endif
