/* asy_http.c - the callback API: routes, token check, body limit, JSON.
 *   GET  /v1/health                              (no token)
 *   GET  /v1/movements/{mrn}
 *   POST /v1/movements/{mrn}/{crossing|arrival|control|incident|arrival-request}
 *   GET  /v1/offices/{office}/expected
 *   GET  /metrics                                 (Prometheus, asy_metrics.c)
 * Errors are JSON {"error": sentence naming the field, "field": name}. */
#include "asy_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_events.h"
#include "asy_metrics.h"
#include "asy_movement.h"
#include "log.h"

struct asy_http_t {
    struct MHD_Daemon *mhd;
    const asy_conf_t *conf;
    const asy_offices_t *tables;
    asy_state_t *state;
    char token[256];
};

typedef struct {
    char *buf;
    size_t len;
    int too_big;
} s_body_t;

static enum MHD_Result
s_reply (struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *text = j ? json_dumps (j, JSON_INDENT (2) | JSON_SORT_KEYS) : NULL;
    json_decref (j);
    if (!text)
        text = strdup ("{\"error\": \"out of memory\", \"field\": null}");
    size_t n = strlen (text);
    char *full = realloc (text, n + 2);
    if (full) {
        full[n] = '\n';
        full[n + 1] = 0;
        text = full;
        n++;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer (n, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (r, "Content-Type", "application/json; charset=utf-8");
    if (status == 401)
        MHD_add_response_header (r, "WWW-Authenticate", "Bearer realm=\"sigmat-asycuda\"");
    enum MHD_Result ret = MHD_queue_response (c, status, r);
    MHD_destroy_response (r);
    return ret;
}

/* Constant-time comparison of the presented token. */
static int
s_authorised (asy_http_t *self, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp (h, "Bearer ", 7) != 0)
        return 0;
    const char *t = h + 7;
    size_t a = strlen (t), b = strlen (self->token);
    unsigned char diff = a != b;
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char) (self->token[i] ^ (i < a ? t[i] : 0));
    return diff == 0;
}

/* A string field, or NULL; a non-string value is an error. */
static int
s_field (json_t *body, const char *name, const char **out, json_t **err)
{
    json_t *v = json_object_get (body, name);
    *out = NULL;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_string (v)) {
        *err = asy_error_json (name, "%s must be a string", name);
        return -1;
    }
    *out = json_string_value (v);
    return 0;
}

static enum MHD_Result
s_post (asy_http_t *self, struct MHD_Connection *c, const char *mrn, const char *verb,
        s_body_t *b)
{
    json_error_t je;
    json_t *body = json_loadb (b->buf ? b->buf : "", b->len, 0, &je), *err = NULL;
    if (!body || !json_is_object (body)) {
        json_decref (body);
        return s_reply (c, 400, asy_error_json (NULL, "the body is not a JSON object: %s "
                                                "(line %d, column %d)", body ? "not an object"
                                                : je.text, je.line, je.column));
    }
    asy_call_t call = { .verb = verb, .mrn = mrn, .seals_intact = -1 };
    const char *rid = NULL;
    json_t *seals = json_object_get (body, "new_seals");
    char seallist[2048] = "";
    int bad = s_field (body, "request_id", &rid, &err) || s_field (body, "office", &call.office, &err)
              || s_field (body, "at", &call.at, &err)
              || s_field (body, "location", &call.location, &err)
              || s_field (body, "result", &call.result, &err)
              || s_field (body, "discrepancies", &call.text, &err)
              || s_field (body, "departure_office", &call.departure, &err)
              || s_field (body, "type", &call.incident, &err);
    if (!bad && strcmp (verb, "incident") == 0)
        bad = s_field (body, "text", &call.text, &err);
    json_t *si = json_object_get (body, "seals_intact");
    if (!bad && si && !json_is_null (si)) {
        if (!json_is_boolean (si)) {
            err = asy_error_json ("seals_intact", "seals_intact must be true or false");
            bad = 1;
        }
        else
            call.seals_intact = json_is_true (si);
    }
    if (!bad && seals && json_is_array (seals)) {
        size_t i;
        json_t *s;
        json_array_foreach (seals, i, s) {
            if (!json_is_string (s)) {
                err = asy_error_json ("new_seals", "new_seals must be a list of strings");
                bad = 1;
                break;
            }
            if (i)
                strncat (seallist, " ", sizeof seallist - strlen (seallist) - 1);
            strncat (seallist, json_string_value (s), sizeof seallist - strlen (seallist) - 1);
        }
        call.new_seals = seallist;
    }
    else if (!bad && seals && !json_is_null (seals)) {
        err = asy_error_json ("new_seals", "new_seals must be a list of strings");
        bad = 1;
    }
    if (!rid)
        rid = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Idempotency-Key");
    call.request_id = rid;
    json_t *out = NULL;
    unsigned status = 400;
    if (bad)
        out = err;
    else {
        asy_ctx_t ctx = { .state = self->state, .tables = self->tables, .conf = self->conf };
        status = (unsigned) asy_call_run (&ctx, &call, &out);
    }
    json_decref (body);
    return s_reply (c, status, out);
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *c, const char *url, const char *method,
          const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    asy_http_t *self = cls;
    s_body_t *b = *con_cls;
    if (!b) {
        if (!(b = calloc (1, sizeof *b)))
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!b->too_big && b->len + *upload_size <= self->conf->http_max_body) {
            char *p = realloc (b->buf, b->len + *upload_size + 1);
            if (!p)
                return MHD_NO;
            memcpy (p + b->len, upload, *upload_size);
            b->buf = p;
            b->len += *upload_size;
            b->buf[b->len] = 0;
        }
        else
            b->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp (url, "/v1/health") == 0)
        return s_reply (c, 200, json_pack ("{s:s}", "status", "ok"));
    if (!s_authorised (self, c))
        return s_reply (c, 401, asy_error_json ("Authorization", "missing or wrong Bearer "
                                                "token in the Authorization header"));
    if (strcmp (url, "/metrics") == 0 && strcmp (method, "GET") == 0) {
        char *text = asy_metrics_text (self->state, self->conf);
        struct MHD_Response *r = text ? MHD_create_response_from_buffer (
            strlen (text), text, MHD_RESPMEM_MUST_FREE) : NULL;
        if (!r)
            return s_reply (c, 500, asy_error_json (NULL, "out of memory"));
        MHD_add_response_header (r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        enum MHD_Result ret = MHD_queue_response (c, 200, r);
        MHD_destroy_response (r);
        return ret;
    }
    if (b->too_big)
        return s_reply (c, 413, asy_error_json (NULL, "the body is larger than http_max_body "
                                                "(%zu bytes)", self->conf->http_max_body));
    char a[64] = "", v[64] = "", extra[8] = "";
    int get = strcmp (method, "GET") == 0, post = strcmp (method, "POST") == 0;
    if (sscanf (url, "/v1/offices/%63[^/]/expected%7s", a, extra) == 1 && get) {
        char ref[9];
        sg_diag_t d;
        if (asy_office_resolve (self->tables, a, ref, &d) != SG_OK)
            return s_reply (c, 404, asy_error_json ("office", "%s", d.text));
        return s_reply (c, 200, asy_expected_json (self->state, self->tables, ref));
    }
    int n = sscanf (url, "/v1/movements/%63[^/]/%63[^/]%7s", a, v, extra);
    if (n == 1 && get && strchr (url + 14, '/') == NULL) {
        json_t *j = asy_movement_json (self->state, self->tables, a);
        int none = j && json_array_size (json_object_get (j, "views")) == 0
                   && json_array_size (json_object_get (j, "messages")) == 0;
        if (none) {
            json_decref (j);
            return s_reply (c, 404, asy_error_json ("mrn", "movement %s is not known at this "
                                                    "adapter", a));
        }
        return s_reply (c, 200, j);
    }
    if (n == 2 && post)
        return s_post (self, c, a, v, b);
    if (n == 2 || (n == 1 && !get))
        return s_reply (c, 405, asy_error_json (NULL, "%s is not allowed on %s", method, url));
    return s_reply (c, 404, asy_error_json (NULL, "no such resource: %s", url));
}

static void
s_done (void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    s_body_t *b = *con_cls;
    if (b) {
        free (b->buf);
        free (b);
    }
    *con_cls = NULL;
}

static int
s_token (asy_http_t *self, const char *path, sg_diag_t *diag)
{
    FILE *f = path ? fopen (path, "r") : NULL;
    if (!f)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "http_token_file %s: %s", path ? path : "(unset)",
                            path ? strerror (errno) : "required when http_listen is set");
    if (!fgets (self->token, sizeof self->token, f))
        self->token[0] = 0;
    fclose (f);
    self->token[strcspn (self->token, "\r\n")] = 0;
    if (strlen (self->token) < 16)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "http_token_file %s: the token must be at "
                            "least 16 characters on the first line", path);
    return SG_OK;
}

asy_http_t *
asy_http_start (const asy_conf_t *conf, const asy_offices_t *tables, sg_diag_t *diag)
{
    asy_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    self->conf = conf;
    self->tables = tables;
    char host[128] = "";
    unsigned port = 0;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    if (s_token (self, conf->http_token_file, diag) != SG_OK)
        goto fail;
    if (sscanf (conf->http_listen, "%127[^:]:%u", host, &port) != 2 || port > 65535
        || inet_pton (AF_INET, host, &sa.sin_addr) != 1) {
        sg_diag_set (diag, SG_ECONFIG, 0, 0, "http_listen \"%s\": expected IPV4-ADDRESS:PORT "
                     "(e.g. 127.0.0.1:8780)", conf->http_listen);
        goto fail;
    }
    sa.sin_port = htons ((uint16_t) port);
    if (!(self->state = asy_state_open (conf->state_db, diag)))
        goto fail;
    self->mhd = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                  (uint16_t) port, NULL, NULL, s_handle, self,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                  MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 30,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) 64, MHD_OPTION_END);
    if (!self->mhd) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot listen on %s: %s", conf->http_listen,
                     strerror (errno));
        goto fail;
    }
    log_info ("callback API listening on http://%s/v1/", conf->http_listen);
    return self;
fail:
    asy_http_stop (&self);
    return NULL;
}

void
asy_http_stop (asy_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    asy_http_t *self = *self_p;
    if (self->mhd)
        MHD_stop_daemon (self->mhd);
    asy_state_destroy (&self->state);
    free (self);
    *self_p = NULL;
}
