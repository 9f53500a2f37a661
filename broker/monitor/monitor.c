/* monitor.c - the monitor's HTTP side: libmicrohttpd with its own polling
 * thread, read-only (GET and HEAD), access by token or loopback only,
 * the dashboard files (embedded at build time, or read from a folder for
 * development), and the dispatch of /metrics and /api/ to monitor_api.c. */
#include "config.h"
#include "monitor/monitor_int.h"
#include "code.h"
#include "file.h"
#include "http.h"
#include "log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "monitor/monitor_assets.h"

#define S_MAX_ARGS 16
#define S_MAX_FILE (4 * 1024 * 1024)

/* ---- access ---------------------------------------------------------------- */

static int
s_loopback (const struct sockaddr *sa)
{
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET)
        return (ntohl (((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK (a) || (IN6_IS_ADDR_V4MAPPED (a) && a->s6_addr[12] == 127);
    }
    return 0;
}

/* 1 if the request may be served; *via_query set when the token came in
 * the URL (the dashboard then gets it as a cookie). */
static int
s_allowed (monitor_t *self, struct MHD_Connection *c, int *via_query)
{
    *via_query = 0;
    if (!self->o.token || !*self->o.token) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info (c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        return ci && s_loopback (ci->client_addr);
    }
    if (sg_http_token_eq (sg_http_bearer (c), self->o.token))
        return 1;
    const char *ck = MHD_lookup_connection_value (c, MHD_COOKIE_KIND, "sigmat_token");
    if (sg_http_token_eq (ck, self->o.token))
        return 1;
    const char *q = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "token");
    if (sg_http_token_eq (q, self->o.token)) {
        *via_query = 1;
        return 1;
    }
    return 0;
}

/* ---- responses -------------------------------------------------------------- */

/* A reply with the dashboard's cookie when there is one. */
static enum MHD_Result
s_reply (struct MHD_Connection *c, unsigned status, const char *type, const void *data,
         size_t len, int copy, const char *cookie)
{
    const char *const h[] = { "Set-Cookie", cookie, NULL };
    return copy ? sg_http_reply (c, status, type, data, len, h)
                : sg_http_reply_static (c, status, type, data, len, h);
}

/* A dashboard file: from dashboard_dir when configured, else embedded. */
static enum MHD_Result
s_asset (monitor_t *self, struct MHD_Connection *c, const char *name, const char *cookie)
{
    if (!sg_code_id (name, 255, ".-_", 0) || name[0] == '.')
        return sg_http_text (c, MHD_HTTP_NOT_FOUND, "not found\n");
    if (self->o.dashboard_dir && *self->o.dashboard_dir) {
        char path[1024];
        snprintf (path, sizeof path, "%s/%s", self->o.dashboard_dir, name);
        sg_buf_t b = { 0 };
        int rc = sg_file_read (path, S_MAX_FILE, &b);
        if (rc == SG_EIO) {
            sg_buf_free (&b);
            return sg_http_text (c, MHD_HTTP_NOT_FOUND, "not found\n");
        }
        enum MHD_Result r = rc != SG_OK
                            ? sg_http_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                            "file too large or out of memory\n")
                            : s_reply (c, MHD_HTTP_OK, sg_http_mime (name), sg_buf_text (&b),
                                       b.len, 1, cookie);
        sg_buf_free (&b);
        return r;
    }
    for (size_t i = 0; i < monitor_assets_n; i++)
        if (strcmp (monitor_assets[i].name, name) == 0)
            return s_reply (c, MHD_HTTP_OK, sg_http_mime (name), monitor_assets[i].data,
                            monitor_assets[i].len, 0, cookie);
    return sg_http_text (c, MHD_HTTP_NOT_FOUND, "not found\n");
}

typedef struct {
    const char *keys[S_MAX_ARGS], *vals[S_MAX_ARGS];
    size_t n;
} s_args_t;

static enum MHD_Result
s_arg (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    s_args_t *a = cls;
    if (a->n < S_MAX_ARGS && key) {
        a->keys[a->n] = key;
        a->vals[a->n++] = value ? value : "";
    }
    return MHD_YES;
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    monitor_t *self = cls;
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
        return sg_http_text (c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET only\n");
    int via_query;
    if (!s_allowed (self, c, &via_query))
        return sg_http_text (c, MHD_HTTP_FORBIDDEN,
                       self->o.token && *self->o.token
                           ? "forbidden: a valid token is required\n"
                           : "forbidden: loopback clients only (set http_token to allow others)\n");
    if (strcmp (url, "/healthz") == 0)
        return sg_http_text (c, MHD_HTTP_OK, "ok\n");
    if (strcmp (url, "/metrics") == 0) {
        sg_buf_t b = { 0 };
        mon_metrics (self, &b);
        enum MHD_Result r = b.failed ? sg_http_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                                     "out of memory\n")
                                  : s_reply (c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                                             sg_buf_text (&b), b.len, 1, NULL);
        sg_buf_free (&b);
        return r;
    }
    if (strncmp (url, "/api/", 5) == 0) {
        s_args_t a = { .n = 0 };
        MHD_get_connection_values (c, MHD_GET_ARGUMENT_KIND, s_arg, &a);
        sg_buf_t b = { 0 };
        const char *type = "application/json";
        int status = mon_api (self, url, a.keys, a.vals, a.n, &b, &type);
        enum MHD_Result r = b.failed ? sg_http_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                                     "out of memory\n")
                                  : s_reply (c, (unsigned) status, type, sg_buf_text (&b), b.len, 1,
                                             NULL);
        sg_buf_free (&b);
        return r;
    }
    char cookie[320];
    const char *set = NULL;
    if (via_query && strlen (self->o.token) < 200) {
        snprintf (cookie, sizeof cookie, "sigmat_token=%s; Path=/; HttpOnly; SameSite=Strict",
                  self->o.token);
        set = cookie;
    }
    if (strcmp (url, "/") == 0 || strcmp (url, "/index.html") == 0)
        return s_asset (self, c, "index.html", set);
    return s_asset (self, c, url + 1, set);
}

/* ---- life ------------------------------------------------------------------ */

static char *
s_dup (const char *s)
{
    return s ? strdup (s) : NULL;
}

monitor_t *
monitor_new (const monitor_opts_t *opts, sg_diag_t *diag)
{
    if (!opts->listen) {
        sg_diag_set (diag, SG_ECONFIG, 0, 0, "http_listen is not set");
        return NULL;
    }
    monitor_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->db_lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    self->o = *opts;
    self->o.listen = s_dup (opts->listen);
    self->o.token = s_dup (opts->token);
    self->o.db = s_dup (opts->db);
    self->o.node_name = s_dup (opts->node_name ? opts->node_name : "");
    self->o.dashboard_dir = s_dup (opts->dashboard_dir);
    self->peer_urls = calloc (opts->peer_urls_n + 1, sizeof *self->peer_urls);
    if (!self->peer_urls || !self->o.listen || !self->o.node_name
        || (opts->db && !self->o.db)) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < opts->peer_urls_n; i++)
        if (!(self->peer_urls[i] = strdup (opts->peer_urls[i]))) {
            sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto fail;
        }
    self->o.peer_urls = self->peer_urls;
    self->adapter_urls = calloc (opts->adapter_urls_n + 1, sizeof *self->adapter_urls);
    if (!self->adapter_urls) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < opts->adapter_urls_n; i++)
        if (!(self->adapter_urls[i] = strdup (opts->adapter_urls[i]))) {
            sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            goto fail;
        }
    self->o.adapter_urls = self->adapter_urls;
    if (opts->peer_urls_n || opts->adapter_urls_n)
        curl_global_init (CURL_GLOBAL_DEFAULT);
    if (self->o.sample_ms <= 0)
        self->o.sample_ms = 2000;
    if (self->o.queue_warn_ms <= 0)
        self->o.queue_warn_ms = 60000;
    if (self->o.queue_alert_ms <= 0)
        self->o.queue_alert_ms = 300000;

    sg_http_opts_t ho = { .key = "http_listen", .listen = opts->listen, .handler = s_handler,
                          .cls = self };
    if (!(self->http = sg_http_start (&ho, diag)))
        goto fail;
    self->port = sg_http_port (self->http);
    if (mon_sampler_start (self) != 0) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot start the monitor's sampler thread");
        goto fail;
    }
    sg_log_info ("monitor: http on %s (port %u, %s)", opts->listen, self->port,
              self->o.token && *self->o.token ? "token required" : "loopback clients only");
    return self;
fail:
    monitor_destroy (&self);
    return NULL;
}

unsigned
monitor_port (const monitor_t *self)
{
    return self ? self->port : 0;
}

void
monitor_destroy (monitor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    monitor_t *self = *self_p;
    sg_http_stop (&self->http);
    mon_sampler_stop (self);
    store_destroy (&self->store);
    mon_snap_clear (&self->snap);
    free ((char *) self->o.listen);
    free ((char *) self->o.token);
    free ((char *) self->o.db);
    free ((char *) self->o.node_name);
    free ((char *) self->o.dashboard_dir);
    if (self->peer_urls)
        for (size_t i = 0; self->peer_urls[i]; i++)
            free (self->peer_urls[i]);
    free (self->peer_urls);
    if (self->adapter_urls)
        for (size_t i = 0; self->adapter_urls[i]; i++)
            free (self->adapter_urls[i]);
    free (self->adapter_urls);
    pthread_mutex_destroy (&self->lock);
    pthread_mutex_destroy (&self->db_lock);
    pthread_cond_destroy (&self->wake);
    free (self);
    *self_p = NULL;
}
