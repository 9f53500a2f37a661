/* asy_http.c - the callback API: routes, token check, body limit, JSON.
 *   GET  /v1/health                              (no token)
 *   GET  /v1/movements/{mrn}
 *   POST /v1/movements/{mrn}/{crossing|arrival|control|incident|arrival-request|
 *                              enquiry-answer|decision|cancellation}
 *   GET  /v1/offices/{office}/expected
 *   GET  /metrics                                 (Prometheus, asy_metrics.c)
 * Errors are JSON {"error": sentence naming the field, "field": name}.
 * Tokens: one per officer (officer.h, http_officers) bound to offices, or
 * the deprecated shared token of http_token_file. */
#include "asy_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asy_events.h"
#include "asy_metrics.h"
#include "asy_movement.h"
#include "http.h"
#include "log.h"
#include "officer.h"
#include "screen.h"

struct asy_http_t {
    sg_http_server_t *http;
    const asy_conf_t *conf;
    const asy_offices_t *tables;
    asy_state_t *state;
    officer_book_t *book;       /* per-officer tokens (may be empty) */
    char token[256];            /* the shared token, "" if none */
};

/* Queues j (its reference taken) as indented JSON. */
static enum MHD_Result
s_reply (struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *text = j ? json_dumps (j, JSON_INDENT (2) | JSON_SORT_KEYS) : NULL;
    json_decref (j);
    sg_buf_t b = { 0 };
    sg_buf_puts (&b, text ? text
                 : "{\"error\": \"out of memory\", \"code\": \"internal\", \"field\": null}");
    sg_buf_puts (&b, "\n");
    free (text);
    enum MHD_Result ret = b.failed ? MHD_NO : sg_http_json (c, status, b.data, NULL);
    sg_buf_free (&b);
    return ret;
}

/* Who presents the Authorization header: 1 and *who (an officer of the
 * book, or NULL for the deprecated shared token), or 0. The shared token
 * is compared in constant time; the book by SHA-256. */
static int
s_authorised (asy_http_t *self, struct MHD_Connection *c, officer_t *officer,
              const officer_t **who)
{
    const char *t = sg_http_bearer (c);
    *who = NULL;
    if (t && officer_book_find (self->book, t, officer)) {
        *who = officer;
        return 1;
    }
    return sg_http_token_eq (t, self->token);
}

/* The language of the caller's error texts: Accept-Language, else English. */
static i18n_lang_t
s_lang (struct MHD_Connection *c)
{
    return i18n_pick (MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Accept-Language"),
                      I18N_EN);
}

/* S_ERR (connection, field, code, args...): an error in the caller's language. */
#define S_ERR(c, field, ...) asy_error (s_lang (c), field, ASY_I18N_ARGS (__VA_ARGS__))

/* The officer screen (screen.h), or 404. */
static enum MHD_Result
s_screen (struct MHD_Connection *c, const char *url)
{
    const screen_asset_t *a = screen_find (url);
    return a ? screen_reply (c, a) : s_reply (c, 404, S_ERR (c, NULL, "http.no_resource", url));
}

/* A string field, or NULL; a non-string value is an error. */
static int
s_field (i18n_lang_t lang, json_t *body, const char *name, const char **out, json_t **err)
{
    json_t *v = json_object_get (body, name);
    *out = NULL;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_string (v)) {
        *err = asy_error (lang, name, ASY_I18N_ARGS ("http.not_string", name));
        return -1;
    }
    *out = json_string_value (v);
    return 0;
}

/* A list of strings field, joined with spaces into buf, or NULL; 0 or -1
 * with *err. */
static int
s_list (i18n_lang_t lang, json_t *body, const char *name, char *buf, size_t size,
        const char **out, json_t **err)
{
    json_t *v = json_object_get (body, name), *s;
    size_t i;
    *out = NULL;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_array (v)) {
        *err = asy_error (lang, name, ASY_I18N_ARGS ("http.not_list", name));
        return -1;
    }
    buf[0] = 0;
    json_array_foreach (v, i, s) {
        if (!json_is_string (s)) {
            *err = asy_error (lang, name, ASY_I18N_ARGS ("http.not_list", name));
            return -1;
        }
        if (i)
            strncat (buf, " ", size - strlen (buf) - 1);
        strncat (buf, json_string_value (s), size - strlen (buf) - 1);
    }
    *out = buf;
    return 0;
}

static enum MHD_Result
s_post (asy_http_t *self, struct MHD_Connection *c, const char *mrn, const char *verb,
        const sg_buf_t *b, const officer_t *who)
{
    i18n_lang_t lang = s_lang (c);
    json_error_t je;
    json_t *body = json_loadb (sg_buf_text (b), b->len, 0, &je), *err = NULL;
    if (!body || !json_is_object (body)) {
        json_decref (body);
        char l[16], col[16];
        snprintf (l, sizeof l, "%d", je.line);
        snprintf (col, sizeof col, "%d", je.column);
        return s_reply (c, 400, S_ERR (c, NULL, "http.not_object",
                                       body ? "not an object" : je.text, l, col));
    }
    asy_call_t call = { .verb = verb, .mrn = mrn, .seals_intact = -1 };
    const char *rid = NULL;
    char seallist[2048] = "", foundlist[2048] = "";
    /* Each verb's own names for the shared fields of asy_call_t. */
    int enr = !strcmp (verb, "enquiry-answer"), dec = !strcmp (verb, "decision");
    const char *result = enr ? "answer" : dec ? "decision" : "result";
    const char *text = !strcmp (verb, "control") ? "discrepancies"
                       : !strcmp (verb, "cancellation") ? "reason" : "text";
    call.officer = who;
    int bad = s_field (lang, body, "request_id", &rid, &err) || s_field (lang, body, "office", &call.office, &err)
              || s_field (lang, body, "at", &call.at, &err)
              || s_field (lang, body, "location", &call.location, &err)
              || s_field (lang, body, result, &call.result, &err)
              || s_field (lang, body, text, &call.text, &err)
              || s_field (lang, body, "departure_office", &call.departure, &err)
              || s_field (lang, body, "new_means", &call.new_means, &err)
              || s_field (lang, body, "new_nationality", &call.new_nationality, &err)
              || s_field (lang, body, "type", &call.incident, &err);
    json_t *si = json_object_get (body, "seals_intact");
    if (!bad && si && !json_is_null (si)) {
        if (!json_is_boolean (si)) {
            err = asy_error (lang, "seals_intact", ASY_I18N_ARGS ("http.not_boolean",
                                                                  "seals_intact"));
            bad = 1;
        }
        else
            call.seals_intact = json_is_true (si);
    }
    if (!bad)
        bad = s_list (lang, body, "new_seals", seallist, sizeof seallist, &call.new_seals, &err)
              || s_list (lang, body, "seals_found", foundlist, sizeof foundlist,
                         &call.seals_found, &err);
    if (!rid)
        rid = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Idempotency-Key");
    call.request_id = rid;
    json_t *out = NULL;
    unsigned status = 400;
    if (bad)
        out = err;
    else {
        asy_ctx_t ctx = { .state = self->state, .tables = self->tables, .conf = self->conf,
                          .lang = lang };
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
    sg_http_req_t *q;
    switch (sg_http_step (con_cls, sizeof *q, self->conf->http_max_body, upload, upload_size, &q)) {
    case SG_HTTP_NOMEM: return MHD_NO;
    case SG_HTTP_READY: break;
    default: return MHD_YES;
    }
    if (strcmp (url, "/v1/health") == 0)
        return s_reply (c, 200, json_pack ("{s:s}", "status", "ok"));
    officer_t officer;
    const officer_t *who = NULL;
    if (strcmp (url, "/metrics") == 0 && strcmp (method, "GET") == 0) {
        if (!s_authorised (self, c, &officer, &who))
            return s_reply (c, 401, S_ERR (c, "Authorization", "http.unauthorized"));
        char *text = asy_metrics_text (self->state, self->conf);
        if (!text)
            return MHD_NO;                  /* out of memory: the connection is closed */
        enum MHD_Result ret = sg_http_reply (c, 200, "text/plain; version=0.0.4; charset=utf-8",
                                             text, strlen (text), NULL);
        free (text);
        return ret;
    }
    if (strncmp (url, "/v1/", 4) != 0)
        return s_screen (c, url);
    if (!s_authorised (self, c, &officer, &who))
        return s_reply (c, 401, S_ERR (c, "Authorization", "http.unauthorized"));
    if (q->body.too_big) {
        char max[32];
        snprintf (max, sizeof max, "%zu", self->conf->http_max_body);
        return s_reply (c, 413, S_ERR (c, NULL, "http.too_big", max));
    }
    char a[64] = "", v[64] = "", extra[8] = "";
    int get = strcmp (method, "GET") == 0, post = strcmp (method, "POST") == 0;
    if (sscanf (url, "/v1/offices/%63[^/]/expected%7s", a, extra) == 1 && get) {
        char ref[9];
        sg_diag_t d;
        if (asy_office_resolve (self->tables, a, ref, &d) != SG_OK)
            return s_reply (c, 404, S_ERR (c, "office", "office.unknown", d.text));
        if (who && !officer_may (who, ref))
            return s_reply (c, 403, S_ERR (c, "office", "officer.office", who->id, ref, a));
        return s_reply (c, 200, asy_expected_json (self->state, self->tables, ref));
    }
    int n = sscanf (url, "/v1/movements/%63[^/]/%63[^/]%7s", a, v, extra);
    if (n == 1 && get && strchr (url + 14, '/') == NULL) {
        json_t *j = asy_movement_json (self->state, self->tables, a);
        int none = j && json_array_size (json_object_get (j, "views")) == 0
                   && json_array_size (json_object_get (j, "messages")) == 0;
        if (none) {
            json_decref (j);
            return s_reply (c, 404, S_ERR (c, "mrn", "mrn.unknown", a));
        }
        return s_reply (c, 200, j);
    }
    if (n == 2 && post)
        return s_post (self, c, a, v, &q->body, who);
    if (n == 2 || (n == 1 && !get))
        return s_reply (c, 405, S_ERR (c, NULL, "http.method", method, url));
    return s_reply (c, 404, S_ERR (c, NULL, "http.no_resource", url));
}

/* The deprecated shared token: SG_OK with self->token set, or SG_ENOTFOUND
 * when optional (officers configured) and the file is absent. */
static int
s_token (asy_http_t *self, const char *path, int optional, sg_diag_t *diag)
{
    FILE *f = path && *path ? fopen (path, "r") : NULL;
    if (!f && optional)
        return SG_ENOTFOUND;
    if (!f)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "http_token_file %s: %s (or set "
                            "http_officers)", path ? path : "(unset)",
                            path && *path ? strerror (errno) : "required when http_listen is set");
    if (!fgets (self->token, sizeof self->token, f))
        self->token[0] = 0;
    fclose (f);
    self->token[strcspn (self->token, "\r\n")] = 0;
    if (strlen (self->token) < 16)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "http_token_file %s: the token must be at "
                            "least 16 characters on the first line", path);
    sg_log_warn ("http_token_file: one token shared by every officer is deprecated; give each "
              "officer a token bound to its offices (http_officers, docs/officers.md)");
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
    int officers = conf->http_officers && *conf->http_officers;
    if (!(self->book = officer_book_new (officers ? conf->http_officers : NULL, diag)))
        goto fail;
    int rc = s_token (self, conf->http_token_file, officers, diag);
    if (rc != SG_OK && rc != SG_ENOTFOUND)
        goto fail;
    if (!(self->state = asy_state_open (conf->state_db, diag)))
        goto fail;
    sg_http_opts_t o = { .key = "http_listen", .listen = conf->http_listen,
                         .tls_cert = conf->http_tls_cert, .tls_key = conf->http_tls_key,
                         .handler = s_handle, .cls = self };
    if (!(self->http = sg_http_start (&o, diag)))
        goto fail;
    sg_log_info ("callback API listening on %s/v1/ (%zu officer tokens%s)",
                 sg_http_url (self->http),
              officer_book_size (self->book), self->token[0] ? ", and the shared token" : "");
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
    sg_http_stop (&self->http);
    asy_state_destroy (&self->state);
    officer_book_destroy (&self->book);
    free (self);
    *self_p = NULL;
}
