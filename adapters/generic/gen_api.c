/* gen_api.c - sigmat-generic's REST/JSON API (libmicrohttpd): routing,
 * bearer tokens with per-token offices, body limits, RFC 7807 problems,
 * idempotency keys; the submissions themselves are built in gen_submit.c. */
#include "gen_api.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_json.h"
#include "gen_metrics.h"
#include "gen_reply.h"
#include "http.h"
#include "ident.h"
#include "log.h"
#include "screen.h"

/* One request being read (sg_http_step makes it). */
typedef struct {
    sg_http_req_t http;     /* body, answered */
    gen_route_t route;
} s_req_t;


/* The officer of "Authorization: Bearer ..." copied into *who, or NULL. */
static const officer_t *
s_auth (gen_adapter_t *self, struct MHD_Connection *c, officer_t *who)
{
    const char *t = sg_http_bearer (c);
    return t && officer_book_find (self->book, t, who) ? who : NULL;
}

static const struct {
    const char *action;
    sg_msg_type_t type;
} s_actions[] = {
    { "release", SG_MSG_REL }, { "crossing", SG_MSG_NCF }, { "arrival", SG_MSG_ARR },
    { "control", SG_MSG_DCR }, { "incident", SG_MSG_INC }, { "cancellation", SG_MSG_CAN },
    { "enquiry-answer", SG_MSG_ENR }, { "decision", SG_MSG_WOF }, { "arrival-request", SG_MSG_ARQ },
};

/* Resolves method + url; returns 0, 404 or 405 (with route->allow set). */
static int
s_route (const char *method, const char *url, gen_route_t *r)
{
    char path[256], *parts[6] = { 0 }, *save = NULL;
    int n = 0;
    memset (r, 0, sizeof *r);
    if (sg_strlcpy (path, url, sizeof path) != SG_OK)
        return 404;
    for (char *p = strtok_r (path, "/", &save); p && n < 6; p = strtok_r (NULL, "/", &save))
        parts[n++] = p;
    if (n < 2 || strcmp (parts[0], "v1"))
        return 404;
    int get = !strcmp (method, "GET"), post = !strcmp (method, "POST");
    if (n == 2 && !strcmp (parts[1], "health")) {
        r->kind = GEN_R_HEALTH, r->allow = "GET";
        return get ? 0 : 405;
    }
    if (n == 2 && !strcmp (parts[1], "declarations")) {
        r->kind = GEN_R_SUBMIT, r->type = SG_MSG_DEC, r->allow = "POST";
        return post ? 0 : 405;
    }
    if (n == 3 && !strcmp (parts[1], "movements")) {
        r->kind = GEN_R_MOVEMENT, r->allow = "GET";
        sg_strlcpy (r->mrn, parts[2], sizeof r->mrn);
        return get ? 0 : 405;
    }
    if (n == 4 && !strcmp (parts[1], "movements")) {
        for (size_t i = 0; i < sizeof s_actions / sizeof s_actions[0]; i++)
            if (!strcmp (parts[3], s_actions[i].action)) {
                r->kind = GEN_R_SUBMIT, r->type = s_actions[i].type, r->allow = "POST";
                sg_strlcpy (r->mrn, parts[2], sizeof r->mrn);
                return post ? 0 : 405;
            }
        return 404;
    }
    if (n == 4 && !strcmp (parts[1], "offices") && !strcmp (parts[3], "movements")) {
        r->kind = GEN_R_OFFICE, r->allow = "GET";
        sg_strlcpy (r->office, parts[2], sizeof r->office);
        return get ? 0 : 405;
    }
    return 404;
}

static int
s_health (gen_adapter_t *self, struct MHD_Connection *c)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    json_t *st = gen_state_status_json (self->state,
                                        (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000, 0);
    json_t *o = json_pack ("{s:s, s:s, s:O}", "status", "ok", "node",
                           atomic_load (&self->connected) ? "connected" : "connecting",
                           "queues", st ? st : json_null ());
    json_decref (st);
    return gen_reply (c, 200, o, NULL, NULL, NULL);
}

static int
s_movement (gen_adapter_t *self, struct MHD_Connection *c, const officer_t *tok,
            const char *mrn)
{
    json_t *all = gen_state_movement_json (self->state, mrn), *mine = json_array ();
    if (!all)
        return gen_problem (c, 500, "internal", "cannot read the state", NULL, 0, NULL, NULL);
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        if (officer_may (tok, json_string_value (json_object_get (v, "Office"))))
            json_array_append (mine, v);
    }
    json_decref (all);
    if (json_array_size (mine) == 0) {
        json_decref (mine);
        char detail[128];
        snprintf (detail, sizeof detail, "no movement %.20s at the offices of this token", mrn);
        return gen_problem (c, 404, "unknown-mrn", detail, NULL, 0, NULL, NULL);
    }
    return gen_reply (c, 200, json_pack ("{s:s, s:o}", "DeclarationID", mrn, "Views", mine),
                      NULL, NULL, NULL);
}

static const char *s_states[] = { "REGISTERED", "RELEASED", "EN_ROUTE", "ARRIVED", "CONTROLLED",
                                  "DISCREPANCY", "DISCHARGED", "CANCELLED", "OVERDUE",
                                  "UNDER_ENQUIRY", "RECOVERY", "ANTICIPATED", "CROSSED", NULL };

static int
s_office (gen_adapter_t *self, struct MHD_Connection *c, const officer_t *tok,
          const char *office)
{
    char detail[160];
    if (sg_office_check (office, NULL) != SG_OK) {
        snprintf (detail, sizeof detail, "\"%.20s\" is not an office reference number", office);
        return gen_problem (c, 404, "not-found", detail, NULL, 0, NULL, NULL);
    }
    if (!officer_may (tok, office)) {
        snprintf (detail, sizeof detail, "this token may not act for office %s", office);
        return gen_problem (c, 403, "forbidden-office", detail, NULL, 0, NULL, NULL);
    }
    const char *state = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "state");
    if (!state)
        state = "ANTICIPATED";
    int ok = !strcmp (state, "any") || !strcmp (state, "expected");
    for (int i = 0; s_states[i] && !ok; i++)
        ok = !strcmp (state, s_states[i]);
    if (!ok) {
        snprintf (detail, sizeof detail, "state \"%.20s\" is not a movement state or \"any\"", state);
        return gen_problem (c, 422, "validation", detail, "?state", 0, NULL, NULL);
    }
    json_t *arr = gen_state_office_json (self->state, office, strcmp (state, "any") ? state : NULL,
                                         1000);
    if (!arr)
        return gen_problem (c, 500, "internal", "cannot read the state", NULL, 0, NULL, NULL);
    return gen_reply (c, 200, json_pack ("{s:s, s:s, s:o}", "Office", office, "State", state,
                                         "Movements", arr), NULL, NULL, NULL);
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    gen_adapter_t *self = cls;
    if (!*con_cls && strcmp (url, "/metrics") == 0 && strcmp (method, "GET") == 0) {
        officer_t who;
        return gen_metrics_reply (self, c, s_auth (self, c, &who) != NULL);
    }
    sg_http_req_t *h;
    int step = sg_http_step (con_cls, sizeof (s_req_t), self->conf->max_body, upload,
                             upload_size, &h);
    s_req_t *q = (s_req_t *) h;
    if (step == SG_HTTP_NOMEM)
        return MHD_NO;
    if (step == SG_HTTP_MORE)
        return MHD_YES;
    if (step == SG_HTTP_NEW) {
        const screen_asset_t *screen = strcmp (method, "GET") ? NULL : screen_find (url);
        if (screen) {
            h->answered = 1;
            return screen_reply (c, screen);
        }
        int rc = s_route (method, url, &q->route);
        const officer_t *tok = rc ? NULL : s_auth (self, c, &q->route.who);
        const char *cl = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Content-Length");
        char detail[160];
        h->answered = 1;
        if (rc == 404)
            return gen_problem (c, 404, "not-found", "no such route", NULL, 0, NULL, NULL);
        if (rc == 405) {
            snprintf (detail, sizeof detail, "%s is not allowed here (allowed: %s)", method,
                      q->route.allow);
            return gen_problem (c, 405, "method-not-allowed", detail, NULL, 0, "Allow",
                                q->route.allow);
        }
        if (!tok && q->route.kind != GEN_R_HEALTH)
            return gen_problem (c, 401, "unauthorized", "send Authorization: Bearer <token>",
                                NULL, 0, NULL, NULL);
        if (cl && strtoull (cl, NULL, 10) > self->conf->max_body) {
            snprintf (detail, sizeof detail, "the body must not exceed %zu bytes",
                      self->conf->max_body);
            return gen_problem (c, 413, "payload-too-large", detail, NULL, 0, "Connection",
                                "close");
        }
        q->route.token = &q->route.who;
        h->answered = 0;
        return MHD_YES;
    }
    if (h->answered)
        return MHD_YES;
    h->answered = 1;
    if (h->body.too_big) {
        char detail[96];
        snprintf (detail, sizeof detail, "the body must not exceed %zu bytes", self->conf->max_body);
        return gen_problem (c, 413, "payload-too-large", detail, NULL, 0, "Connection", "close");
    }
    switch (q->route.kind) {
    case GEN_R_HEALTH: return s_health (self, c);
    case GEN_R_MOVEMENT: return s_movement (self, c, q->route.token, q->route.mrn);
    case GEN_R_OFFICE: return s_office (self, c, q->route.token, q->route.office);
    case GEN_R_SUBMIT:
        return gen_submit (self, c, &q->route, url, sg_buf_text (&h->body), h->body.len);
    default:
        break;
    }
    return gen_problem (c, 404, "not-found", "no such route", NULL, 0, NULL, NULL);
}

/* The book of officer tokens: token_file, then the config's token lines. */
static int
s_book (gen_adapter_t *self, sg_diag_t *diag)
{
    const gen_conf_t *cf = self->conf;
    if (!(self->book = officer_book_new (cf->token_file, diag)))
        return diag->code ? diag->code : SG_ECONFIG;
    for (size_t i = 0; i < cf->n_tokens; i++) {
        char secret[72], offices[OFFICER_MAX_OFFICES * 9 + 1] = "";
        snprintf (secret, sizeof secret, "sha256:%s", cf->tokens[i].sha256);
        for (size_t j = 0; j < cf->tokens[i].n_offices; j++) {
            strcat (offices, j ? "," : "");
            strcat (offices, cf->tokens[i].offices[j]);
        }
        if (officer_book_add (self->book, cf->tokens[i].name, secret, offices, diag) != SG_OK)
            return sg_diag_set (diag, SG_ECONFIG, 0, 0, "token %s: %s", cf->tokens[i].name,
                                diag->text);
    }
    return SG_OK;
}

int
gen_api_start (gen_adapter_t *self, sg_diag_t *diag)
{
    int rc = s_book (self, diag);
    if (rc != SG_OK)
        return rc;
    sg_http_opts_t o = { .key = "listen", .listen = self->conf->listen,
                         .tls_cert = self->conf->tls_cert, .tls_key = self->conf->tls_key,
                         .handler = s_handler, .cls = self, .threads = 2,
                         .timeout_s = (unsigned) (self->conf->request_timeout / 1000) };
    if (!(self->httpd = sg_http_start (&o, diag)))
        return diag->code;
    self->port = (int) sg_http_port (self->httpd);
    sg_log_info ("API listening on %s (port %d, %zu tokens)", sg_http_url (self->httpd), self->port,
              officer_book_size (self->book));
    return SG_OK;
}

void
gen_api_stop (gen_adapter_t *self)
{
    sg_http_stop (&self->httpd);
    officer_book_destroy (&self->book);
}
