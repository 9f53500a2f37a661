/* monitor_api.c - what the monitor answers: /metrics (the registry's text
 * plus gauges from the sampled snapshot) and the JSON API (overview,
 * links, queues, peers, routes, incidents, movements with filters, one
 * movement's journey). Links merge three sources: the peer table, the
 * delivery queue (database) and the node's in-process registry (link
 * state, counters, memory queue). Shapes: docs/monitor-openapi.yaml. */
#include "config.h"
#include "monitor/monitor_int.h"
#include "code.h"
#include "prom.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One link as the API shows it. */
typedef struct {
    mon_link_t d;                   /* snapshot copy (database side, history) */
    metrics_link_t m;               /* registry side (zero if none) */
    int up;                         /* 1, 0; -1 unknown */
    int expected;                   /* should be up: we dial it, a route uses it, or
                                       messages wait for it */
    int link;                       /* carries traffic (or should): shown as a link;
                                       0 for a peer known only for its keys */
    long long last_seen;
    const char *role;
    const char *health;             /* ok, warn, alert, down, idle */
} s_view_t;

typedef struct {
    s_view_t *v;
    size_t n;
    int db_up, has_movement;
    long long sampled, overdue, enquiry;
    char *corridor_metrics;         /* or NULL */
    char *region;                   /* region JSON or NULL */
    char *adapters;                 /* adapters JSON array or NULL */
    char *counts;                   /* JSON array or NULL */
    char *lines;                    /* sigmat_movements lines or NULL */
    char *incidents;                /* JSON array or NULL */
    char *routes;                   /* JSON array or NULL */
} s_views_t;

static void
s_views_free (s_views_t *vs)
{
    free (vs->v);
    free (vs->counts);
    free (vs->lines);
    free (vs->incidents);
    free (vs->routes);
    free (vs->corridor_metrics);
    free (vs->region);
    free (vs->adapters);
    memset (vs, 0, sizeof *vs);
}

static const char *
s_health (const monitor_t *self, const s_view_t *v)
{
    if (v->up != 1)
        return v->expected ? "down" : "idle";
    double age_ms = v->d.oldest_age * 1000.0;
    if (age_ms >= (double) self->o.queue_alert_ms)
        return "alert";
    if (age_ms >= (double) self->o.queue_warn_ms || v->d.dead > 0)
        return "warn";
    return "ok";
}

/* Builds the merged links from the snapshot and the registry. */
static int
s_views (monitor_t *self, s_views_t *vs)
{
    memset (vs, 0, sizeof *vs);
    metrics_link_t *ml = calloc (METRICS_MAX_LINKS + 1, sizeof *ml);
    if (!ml)
        return -1;
    size_t nml = metrics_links (ml, METRICS_MAX_LINKS + 1);
    if (nml > METRICS_MAX_LINKS + 1)
        nml = METRICS_MAX_LINKS + 1;
    char *hops = NULL;
    pthread_mutex_lock (&self->lock);
    const mon_snap_t *s = &self->snap;
    vs->v = calloc (s->nlinks + nml + 1, sizeof *vs->v);
    if (!vs->v)
        goto unlock;
    for (size_t i = 0; i < s->nlinks; i++)
        vs->v[vs->n++].d = s->links[i];
    vs->db_up = s->db_up;
    vs->sampled = s->sampled;
    vs->has_movement = s->has_movement;
    vs->overdue = s->overdue;
    vs->enquiry = s->under_enquiry;
    vs->counts = s->state_counts_json ? strdup (s->state_counts_json) : NULL;
    vs->routes = s->routes_json ? strdup (s->routes_json) : NULL;
    vs->lines = s->state_metrics ? strdup (s->state_metrics) : NULL;
    vs->incidents = s->incidents_json ? strdup (s->incidents_json) : NULL;
    vs->corridor_metrics = s->corridor_metrics ? strdup (s->corridor_metrics) : NULL;
    vs->region = s->region_json ? strdup (s->region_json) : NULL;
    vs->adapters = s->adapters_json ? strdup (s->adapters_json) : NULL;
    hops = s->hops ? strdup (s->hops) : NULL;
unlock:
    pthread_mutex_unlock (&self->lock);
    if (!vs->v) {
        free (ml);
        free (hops);
        return -1;
    }
    for (size_t k = 0; k < nml; k++) {
        if (strcmp (ml[k].name, "_other") == 0)
            continue;
        s_view_t *v = NULL;
        for (size_t i = 0; i < vs->n && !v; i++)
            if (strcmp (vs->v[i].d.name, ml[k].name) == 0)
                v = &vs->v[i];
        if (!v) {           /* not sampled yet */
            v = &vs->v[vs->n++];
            sg_strlcpy (v->d.name, ml[k].name, sizeof v->d.name);
        }
        v->m = ml[k];
    }
    for (size_t i = 0; i < vs->n; i++) {
        s_view_t *v = &vs->v[i];
        v->role = v->d.role[0] ? v->d.role
                  : v->m.is_node == 1 ? "node" : v->m.is_node == 0 ? "adapter" : "";
        v->up = v->m.name[0] ? v->m.up : -1;
        if (v->up == -1 && v->role[0])
            v->up = 0;
        v->last_seen = v->m.last_seen > v->d.db_last_seen ? v->m.last_seen : v->d.db_last_seen;
        /* A node peer with no endpoint, no route through it and nothing
         * waiting for it is there for its keys (signatures of messages
         * that reach us through a hub): not a link, never "down". */
        int adapter = strcmp (v->role, "adapter") == 0;
        v->expected = v->d.pending > 0 || (!adapter && v->d.endpoint[0])
                      || (!adapter && mon_has_col (hops, v->d.name)) || (!v->role[0]);
        v->link = adapter || v->expected || v->up == 1 || v->d.dead > 0
                  || v->m.in_total + v->m.out_total > 0;
        v->health = s_health (self, v);
    }
    free (hops);
    free (ml);
    return 0;
}

/* ---- /metrics ----------------------------------------------------------------- */

static void
s_family (sg_buf_t *b, const char *name, const char *type, const char *help)
{
    sg_buf_printf (b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The hub's view of its peers' monitors: reachable, and their late
 * movements by state. */
static void
s_region_metrics (sg_buf_t *out, const char *region)
{
    json_error_t e;
    json_t *r = json_loads (region, 0, &e);
    char lb[160];
    size_t i;
    json_t *p;
    s_family (out, "sigmat_region_monitor_up", "gauge",
              "1 if this peer's monitor (http_peers) answered the last gathering.");
    json_array_foreach (json_object_get (r, "peers"), i, p) {
        const char *n = json_string_value (json_object_get (p, "node"));
        sg_buf_printf (out, "sigmat_region_monitor_up{peer=\"%s\"} %d\n",
                     prom_label (n ? n : json_string_value (json_object_get (p, "url")), lb,
                                    sizeof lb), json_is_true (json_object_get (p, "ok")));
    }
    s_family (out, "sigmat_region_movements_late", "gauge",
              "The region's movements overdue, under enquiry or in discrepancy (from the peers).");
    json_t *t = json_object_get (r, "totals");
    const char *k[3] = { "overdue", "under_enquiry", "discrepancy" };
    for (int j = 0; j < 3; j++)
        sg_buf_printf (out, "sigmat_region_movements_late{state=\"%s\"} %lld\n", k[j],
                     (long long) json_integer_value (json_object_get (t, k[j])));
    json_decref (r);
}

void
mon_metrics (monitor_t *self, sg_buf_t *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    if (!f) {
        out->failed = 1;
        return;
    }
    metrics_write (f);
    fclose (f);
    sg_buf_put (out, text, len);
    free (text);
    s_views_t vs;
    if (s_views (self, &vs) != 0) {
        out->failed = 1;
        return;
    }
    char lb[160];
    s_family (out, "sigmat_monitor_db_up", "gauge",
              "1 if the monitor's last database sample succeeded.");
    sg_buf_printf (out, "sigmat_monitor_db_up %d\n", vs.db_up);
    s_family (out, "sigmat_monitor_sample_timestamp_seconds", "gauge",
              "When the database gauges below were sampled (unix time).");
    sg_buf_printf (out, "sigmat_monitor_sample_timestamp_seconds %.3f\n",
                   (double) vs.sampled / 1e3);
    s_family (out, "sigmat_peer_up", "gauge",
              "1 if the link to this peer is up (node: our outgoing link; adapter: connected).");
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].role[0] && vs.v[i].link)
            sg_buf_printf (out, "sigmat_peer_up{link=\"%s\",role=\"%s\"} %d\n",
                         prom_label (vs.v[i].d.name, lb, sizeof lb), vs.v[i].role,
                         vs.v[i].up == 1);
    s_family (out, "sigmat_link_expected_up", "gauge",
              "1 if this link should be up (we dial it, a route uses it, or messages wait for it).");
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].link)
            sg_buf_printf (out, "sigmat_link_expected_up{link=\"%s\"} %d\n",
                         prom_label (vs.v[i].d.name, lb, sizeof lb), vs.v[i].expected);
    s_family (out, "sigmat_peer_last_seen_timestamp_seconds", "gauge",
              "Last time anything was received from this peer (unix time, 0 never).");
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].role[0] && vs.v[i].link)
            sg_buf_printf (out, "sigmat_peer_last_seen_timestamp_seconds{link=\"%s\"} %lld\n",
                         prom_label (vs.v[i].d.name, lb, sizeof lb), vs.v[i].last_seen);
    s_family (out, "sigmat_queue_depth", "gauge",
              "Messages waiting for this next hop (pending and in flight, from the database).");
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].link)
            sg_buf_printf (out, "sigmat_queue_depth{link=\"%s\"} %lld\n",
                         prom_label (vs.v[i].d.name, lb, sizeof lb), vs.v[i].d.pending);
    s_family (out, "sigmat_queue_oldest_age_seconds", "gauge",
              "Age of the oldest message waiting for this next hop (0 if none).");
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].link)
            sg_buf_printf (out, "sigmat_queue_oldest_age_seconds{link=\"%s\"} %.3f\n",
                         prom_label (vs.v[i].d.name, lb, sizeof lb), vs.v[i].d.oldest_age);
    s_family (out, "sigmat_dead_letters", "gauge",
              "Messages this next hop refused for good, waiting for `sigmatctl dead replay`.");
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].link)
            sg_buf_printf (out, "sigmat_dead_letters{link=\"%s\"} %lld\n",
                         prom_label (vs.v[i].d.name, lb, sizeof lb), vs.v[i].d.dead);
    s_family (out, "sigmat_lifecycle_available", "gauge",
              "1 if this node's database has the movement tables.");
    sg_buf_printf (out, "sigmat_lifecycle_available %d\n", vs.has_movement);
    if (vs.has_movement) {
        s_family (out, "sigmat_movements", "gauge",
                  "Movements (views of this node's offices) by role and lifecycle state.");
        sg_buf_puts (out, vs.lines ? vs.lines : "");
        s_family (out, "sigmat_movements_overdue", "gauge",
                  "Movements past their time limit without arrival (OVERDUE, or RELEASED/EN_ROUTE "
                  "past time_limit).");
        sg_buf_printf (out, "sigmat_movements_overdue %lld\n", vs.overdue);
        s_family (out, "sigmat_movements_under_enquiry", "gauge", "Movements UNDER_ENQUIRY.");
        sg_buf_printf (out, "sigmat_movements_under_enquiry %lld\n", vs.enquiry);
        sg_buf_puts (out, vs.corridor_metrics ? vs.corridor_metrics : "");
    }
    if (vs.region)
        s_region_metrics (out, vs.region);
    s_views_free (&vs);
}

/* ---- JSON pieces --------------------------------------------------------------- */

static void
s_json_types (sg_buf_t *b, const uint64_t *counts)
{
    int first = 1;
    sg_buf_puts (b, "{");
    for (int t = 0; t < METRICS_NTYPES; t++)
        if (counts[t]) {
            sg_buf_printf (b, "%s\"%s\":%llu", first ? "" : ",", metrics_type_name (t),
                         (unsigned long long) counts[t]);
            first = 0;
        }
    sg_buf_puts (b, "}");
}

static void
s_json_offices (sg_buf_t *b, const char *csv)
{
    sg_buf_puts (b, "[");
    int first = 1;
    for (const char *p = csv; *p;) {
        size_t n = strcspn (p, ",");
        if (n) {
            sg_buf_printf (b, "%s\"%.*s\"", first ? "" : ",", (int) n, p);
            first = 0;
        }
        p += n + (p[n] == ',');
    }
    sg_buf_puts (b, "]");
}

static void
s_json_link (monitor_t *self, sg_buf_t *b, const s_view_t *v, int history)
{
    sg_buf_puts (b, "{\"name\":");
    sg_buf_json (b, v->d.name);
    sg_buf_puts (b, ",\"role\":");
    sg_buf_json (b, v->role);
    sg_buf_printf (b, ",\"up\":%s,\"health\":\"%s\",\"expected\":%s",
                 v->up == 1 ? "true" : v->up == 0 ? "false" : "null", v->health,
                 v->expected ? "true" : "false");
    sg_buf_printf (b, ",\"last_seen\":%lld,\"changed\":%lld", v->last_seen, v->m.changed);
    sg_buf_puts (b, ",\"endpoint\":");
    sg_buf_json (b, v->d.endpoint[0] ? v->d.endpoint : NULL);
    sg_buf_puts (b, ",\"offices\":");
    s_json_offices (b, v->d.offices);
    sg_buf_printf (b, ",\"queue\":{\"depth\":%lld,\"oldest_age_s\":%.3f,\"dead\":%lld,"
                 "\"memory\":%llu,\"inflight\":%llu}", v->d.pending, v->d.oldest_age, v->d.dead,
                 (unsigned long long) v->m.queued, (unsigned long long) v->m.inflight);
    sg_buf_printf (b, ",\"messages\":{\"in_total\":%llu,\"out_total\":%llu,\"duplicates\":%llu,"
                 "\"resent\":%llu,\"acked\":%llu,\"naks_sent\":%llu,\"naks_received\":%llu,\"in\":",
                 (unsigned long long) v->m.in_total, (unsigned long long) v->m.out_total,
                 (unsigned long long) v->m.duplicates, (unsigned long long) v->m.resent,
                 (unsigned long long) v->m.acked, (unsigned long long) v->m.naks_sent,
                 (unsigned long long) v->m.naks_received);
    s_json_types (b, v->m.in);
    sg_buf_puts (b, ",\"out\":");
    s_json_types (b, v->m.out);
    sg_buf_puts (b, "}");
    if (history) {
        const mon_link_t *d = &v->d;
        int start = (d->hpos - d->hn + MON_HIST) % MON_HIST;
        const char *names[4] = { "t", "depth", "in", "out" };
        sg_buf_puts (b, ",\"history\":{");
        for (int k = 0; k < 4; k++) {
            sg_buf_printf (b, "%s\"%s\":[", k ? "," : "", names[k]);
            for (int i = 0; i < d->hn; i++) {
                int j = (start + i) % MON_HIST;
                long long val = k == 0 ? d->ht[j] : k == 1 ? d->hdepth[j]
                                : k == 2 ? (long long) d->hin[j] : (long long) d->hout[j];
                sg_buf_printf (b, "%s%lld", i ? "," : "", val);
            }
            sg_buf_puts (b, "]");
        }
        sg_buf_puts (b, "}");
    }
    sg_buf_puts (b, "}");
    (void) self;
}

static void
s_json_links (monitor_t *self, sg_buf_t *b, const s_views_t *vs, int history)
{
    sg_buf_puts (b, "[");
    int first = 1;
    for (size_t i = 0; i < vs->n; i++) {
        if (!vs->v[i].link)
            continue;
        if (!first)
            sg_buf_puts (b, ",");
        first = 0;
        s_json_link (self, b, &vs->v[i], history);
    }
    sg_buf_puts (b, "]");
}

static void
s_json_incidents (sg_buf_t *b, size_t max)
{
    metrics_incident_t *in = calloc (max, sizeof *in);
    size_t n = in ? metrics_incidents (in, max) : 0;
    sg_buf_puts (b, "[");
    for (size_t i = 0; i < n; i++) {
        sg_buf_printf (b, "%s{\"at\":%lld,\"kind\":", i ? "," : "", in[i].at);
        sg_buf_json (b, in[i].kind);
        sg_buf_puts (b, ",\"link\":");
        sg_buf_json (b, in[i].link[0] ? in[i].link : NULL);
        sg_buf_puts (b, ",\"mrn\":");
        sg_buf_json (b, in[i].mrn[0] ? in[i].mrn : NULL);
        sg_buf_puts (b, ",\"text\":");
        sg_buf_json (b, in[i].text);
        sg_buf_puts (b, "}");
    }
    sg_buf_puts (b, "]");
    free (in);
}

static void
s_json_config (monitor_t *self, sg_buf_t *b)
{
    sg_buf_puts (b, "{\"node\":");
    sg_buf_json (b, self->o.node_name);
    sg_buf_printf (b, ",\"version\":\"%s\",\"sample_ms\":%lld,\"queue_warn_s\":%.3f,"
                 "\"queue_alert_s\":%.3f,\"peer_urls\":[", PACKAGE_VERSION, self->o.sample_ms,
                 (double) self->o.queue_warn_ms / 1e3, (double) self->o.queue_alert_ms / 1e3);
    for (size_t i = 0; i < self->o.peer_urls_n; i++) {
        char shown[512];
        mon_redact_url (self->o.peer_urls[i], shown, sizeof shown);
        if (i)
            sg_buf_puts (b, ",");
        sg_buf_json (b, shown);
    }
    sg_buf_puts (b, "]}");
}

/* ---- movements -------------------------------------------------------------- */

static const char *
s_arg (const char *const *k, const char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (k[i], name) == 0)
            return v[i];
    return NULL;
}

static int
s_error (sg_buf_t *b, int status, const char *text)
{
    sg_buf_puts (b, "{\"error\":");
    sg_buf_json (b, text);
    sg_buf_puts (b, "}");
    return status;
}

/* The snapshot's column lists (copies) and whether the tables exist. */
static void
s_cols (monitor_t *self, char **mcols, char **ecols, int *has_m, int *has_e)
{
    pthread_mutex_lock (&self->lock);
    if (mcols == NULL) {    /* the incident and rejection tables instead */
        *has_m = mon_has_col (self->snap.incident_cols, "mrn");
        *has_e = mon_has_col (self->snap.rejection_cols, "mrn");
        pthread_mutex_unlock (&self->lock);
        return;
    }
    *mcols = self->snap.movement_cols ? strdup (self->snap.movement_cols) : NULL;
    *ecols = self->snap.event_cols ? strdup (self->snap.event_cols) : NULL;
    *has_m = self->snap.has_movement;
    *has_e = self->snap.has_events;
    pthread_mutex_unlock (&self->lock);
}

static int
s_movements (monitor_t *self, const char *const *qk, const char *const *qv, size_t nq, sg_buf_t *b)
{
    char *mcols, *ecols, *json = NULL;
    int has_m, has_e, failed = 0;
    s_cols (self, &mcols, &ecols, &has_m, &has_e);
    const char *state = s_arg (qk, qv, nq, "state");
    const char *mrn = s_arg (qk, qv, nq, "mrn");
    const char *overdue = s_arg (qk, qv, nq, "overdue");
    const char *lim = s_arg (qk, qv, nq, "limit");
    long limit = lim ? strtol (lim, NULL, 10) : 100;
    int status = 200;
    if (limit < 1 || limit > 1000) {
        status = s_error (b, 400, "limit must be 1 to 1000");
        goto done;
    }
    if ((state && *state && !sg_code_id (state, 512, "_,",
                                         1)) || (mrn && *mrn && !sg_code_id (mrn, 35, "", 1))) {
        status = s_error (b, 400, "state is a list of STATE names, mrn a prefix of A-Z 0-9");
        goto done;
    }
    if (!has_m) {
        sg_buf_puts (b, "{\"available\":false,\"items\":[]}");
        goto done;
    }
    int tl = mon_has_col (mcols, "time_limit");
    char sql[1024];
    snprintf (sql, sizeof sql,
              "SELECT coalesce(json_agg(to_jsonb(m)), '[]') FROM (SELECT * FROM movement "
              "WHERE ($1::text IS NULL OR state::text = ANY (string_to_array($1, ','))) "
              "AND ($2::text IS NULL OR mrn LIKE $2 || '%%') %s ORDER BY %s mrn LIMIT $3) m",
              overdue && strcmp (overdue, "1") == 0
                  ? (tl ? "AND (state::text = 'OVERDUE' OR (state::text IN ('RELEASED', "
                          "'EN_ROUTE') AND time_limit < current_date))"
                        : "AND state::text = 'OVERDUE'")
                  : "",
              tl ? "time_limit NULLS LAST," : "");
    char lbuf[16];
    snprintf (lbuf, sizeof lbuf, "%ld", limit);
    const char *params[3] = { state && *state ? state : NULL, mrn && *mrn ? mrn : NULL, lbuf };
    store_t *st = mon_db_acquire (self);
    if (!st) {
        status = s_error (b, 503, "the node's database is unreachable");
        goto done;
    }
    json = mon_db_value (st, sql, 3, params, &failed);
    mon_db_release (self, failed);
    if (failed) {
        status = s_error (b, 503, "query failed (see the node's log)");
        goto done;
    }
    sg_buf_puts (b, "{\"available\":true,\"items\":");
    sg_buf_puts (b, json ? json : "[]");
    sg_buf_puts (b, "}");
done:
    free (json);
    free (mcols);
    free (ecols);
    return status;
}

/* Why: the journey comes from the messages this node stored for the MRN
 * (office to office, with each next hop's delivery state), plus the
 * lifecycle's movement row and events where those tables exist. `message`
 * has no index on mrn (intake speed), so this scans; the monitor's
 * statement timeout bounds it. */
static int
s_movement (monitor_t *self, const char *mrn, sg_buf_t *b)
{
    char *mcols, *ecols, *mv = NULL, *ev = NULL, *msgs = NULL, *inc = NULL, *rej = NULL;
    int has_m, has_e, has_i, has_r, failed = 0, status = 200;
    s_cols (self, &mcols, &ecols, &has_m, &has_e);
    s_cols (self, NULL, NULL, &has_i, &has_r);
    if (!sg_code_id (mrn, 35, "", 1)) {
        status = s_error (b, 400, "an MRN is 1 to 35 of A-Z 0-9");
        goto done;
    }
    const char *p[1] = { mrn };
    store_t *st = mon_db_acquire (self);
    if (!st) {
        status = s_error (b, 503, "the node's database is unreachable");
        goto done;
    }
    if (has_m)
        mv = mon_db_value (st, "SELECT coalesce(json_agg(to_jsonb(m)), '[]') FROM movement m "
                           "WHERE mrn = $1", 1, p, &failed);
    if (has_e && !failed) {
        const char *order[] = { "at", "time", "occurred", "created", "recorded", "seq", "id" };
        const char *col = NULL;
        for (size_t i = 0; i < sizeof order / sizeof order[0] && !col; i++)
            if (mon_has_col (ecols, order[i]))
                col = order[i];
        char sql[256];
        snprintf (sql, sizeof sql, "SELECT coalesce(json_agg(to_jsonb(e)%s%s), '[]') FROM "
                  "movement_event e WHERE mrn = $1", col ? " ORDER BY e." : "", col ? col : "");
        ev = mon_db_value (st, sql, 1, p, &failed);
    }
    if (has_i && !failed)
        inc = mon_db_value (st, "SELECT coalesce(json_agg(to_jsonb(i)), '[]') FROM "
                            "movement_incident i WHERE mrn = $1", 1, p, &failed);
    if (has_r && !failed)
        rej = mon_db_value (st, "SELECT coalesce(json_agg(to_jsonb(r)), '[]') FROM "
                            "movement_rejection r WHERE mrn = $1", 1, p, &failed);
    if (!failed)
        msgs = mon_db_value (st,
            "SELECT coalesce(json_agg(x ORDER BY x.received, x.id), '[]') FROM ("
            " SELECT m.id, m.type, m.sender, m.recipient, m.origin_node, m.from_peer,"
            "  m.correlation_id, extract(epoch FROM m.received)::float8 AS received,"
            "  (SELECT coalesce(json_agg(json_build_object('next_hop', d.next_hop, 'state', d.state,"
            "    'attempts', d.attempts, 'nak_code', d.nak_code, 'last_error', d.last_error,"
            "    'acked_at', extract(epoch FROM d.acked_at)::float8) ORDER BY d.seq), '[]')"
            "   FROM delivery d WHERE d.message_id = m.id) AS deliveries"
            " FROM message m WHERE m.mrn = $1 ORDER BY m.received LIMIT 500) x", 1, p, &failed);
    mon_db_release (self, failed);
    if (failed) {
        status = s_error (b, 503, "query failed (see the node's log)");
        goto done;
    }
    sg_buf_puts (b, "{\"mrn\":");
    sg_buf_json (b, mrn);
    sg_buf_printf (b, ",\"lifecycle\":%s,\"movement\":%s,\"events\":%s,\"incidents\":%s,"
                 "\"rejections\":%s,\"messages\":%s}", has_m ? "true" : "false", mv ? mv : "[]",
                 ev ? ev : "[]", inc ? inc : "[]", rej ? rej : "[]", msgs ? msgs : "[]");
done:
    free (inc);
    free (rej);
    free (mv);
    free (ev);
    free (msgs);
    free (mcols);
    free (ecols);
    return status;
}

/* ---- corridors and region ------------------------------------------------------ */

static int
s_corridors (monitor_t *self, const char *const *qk, const char *const *qv, size_t nq, sg_buf_t *b)
{
    const char *period = s_arg (qk, qv, nq, "period");
    const char *scope = s_arg (qk, qv, nq, "scope");
    const char *why = NULL;
    char from[32], to[32];
    if (!period || !*period)
        period = "all";
    if (!scope || !*scope)
        scope = self->o.peer_urls_n ? "region" : "node";
    if (mon_corridors_args (s_arg (qk, qv, nq, "from"), s_arg (qk, qv, nq, "to"), period, from, to,
                            sizeof from, &why) != 0)
        return s_error (b, 400, why);
    if (strcmp (scope, "node") != 0 && strcmp (scope, "region") != 0)
        return s_error (b, 400, "scope is node or region");
    char *mcols, *ecols, *own = NULL;
    int has_m, has_e, failed = 0;
    s_cols (self, &mcols, &ecols, &has_m, &has_e);
    free (mcols);
    free (ecols);
    if (has_m) {
        store_t *st = mon_db_acquire (self);
        if (!st)
            return s_error (b, 503, "the node's database is unreachable");
        failed = mon_corridors_query (self, st, from[0] ? from : NULL, to[0] ? to : NULL, period,
                                      &own) != 0;
        mon_db_release (self, failed);
        if (failed) {
            free (own);
            return s_error (b, 503, "query failed (see the node's log)");
        }
    }
    sg_buf_puts (b, "{\"node\":");
    sg_buf_json (b, self->o.node_name);
    sg_buf_printf (b, ",\"scope\":\"%s\",\"period\":\"%s\",\"from\":%s,\"to\":%s,"
                 "\"lifecycle\":%s,\"bounds_s\":[", scope, period, from[0] ? from : "null",
                 to[0] ? to : "null", has_m ? "true" : "false");
    for (int i = 0; i < MON_CORRIDOR_BUCKETS; i++)
        sg_buf_printf (b, "%s%.0f", i ? "," : "", mon_corridor_bounds[i]);
    sg_buf_puts (b, "]");
    int status = 200;
    if (strcmp (scope, "region") == 0) {
        char q[160];
        snprintf (q, sizeof q, "scope=node&period=%s%s%s%s%s", period, from[0] ? "&from=" : "", from,
                  to[0] ? "&to=" : "", to);
        if (mon_region_corridors (self, own, q, b) != 0)
            b->failed = 1;
    }
    else {
        sg_buf_puts (b, ",\"corridors\":");
        sg_buf_puts (b, own ? own : "[]");
        sg_buf_puts (b, ",\"peers\":[]");
    }
    sg_buf_puts (b, "}");
    free (own);
    return status;
}

/* ---- dispatch --------------------------------------------------------------- */

int
mon_api (monitor_t *self, const char *path, const char *const *qk, const char *const *qv,
         size_t nq, sg_buf_t *b, const char **type)
{
    *type = "application/json";
    if (strcmp (path, "/api/movements") == 0)
        return s_movements (self, qk, qv, nq, b);
    if (strncmp (path, "/api/movements/", 15) == 0)
        return s_movement (self, path + 15, b);
    if (strcmp (path, "/api/config") == 0) {
        s_json_config (self, b);
        return 200;
    }
    if (strcmp (path, "/api/corridors") == 0)
        return s_corridors (self, qk, qv, nq, b);
    if (strcmp (path, "/api/incidents") == 0) {
        s_json_incidents (b, 128);
        return 200;
    }
    s_views_t vs;
    if (s_views (self, &vs) != 0)
        return s_error (b, 500, "out of memory");
    const char *h = s_arg (qk, qv, nq, "history");
    int history = !h || strcmp (h, "0") != 0;
    int status = 200;
    if (strcmp (path, "/api/links") == 0)
        s_json_links (self, b, &vs, history);
    else if (strcmp (path, "/api/overview") == 0) {
        sg_buf_puts (b, "{\"config\":");
        s_json_config (self, b);
        sg_buf_printf (b, ",\"now\":%lld,\"db_up\":%s,\"sampled\":%lld,\"lifecycle\":%s,"
                     "\"movements\":{\"by_state\":%s,\"overdue\":%lld,\"under_enquiry\":%lld,"
                     "\"incidents\":%s}",
                     (long long) sg_wall_ms (), vs.db_up ? "true" : "false", vs.sampled,
                     vs.has_movement ? "true" : "false", vs.counts ? vs.counts : "[]",
                     vs.overdue, vs.enquiry, vs.incidents ? vs.incidents : "[]");
        metrics_global_t *g = malloc (sizeof *g);
        if (g) {
            metrics_global (g);
            sg_buf_printf (b, ",\"started\":%lld,\"batches\":%llu,\"db_errors\":%llu", g->started,
                         (unsigned long long) g->batches, (unsigned long long) g->db_errors);
            free (g);
        }
        sg_buf_puts (b, ",\"routes\":");
        sg_buf_puts (b, vs.routes ? vs.routes : "[]");
        sg_buf_puts (b, ",\"links\":");
        s_json_links (self, b, &vs, history);
        sg_buf_puts (b, ",\"incidents\":");
        s_json_incidents (b, 30);
        sg_buf_puts (b, ",\"adapters\":");
        sg_buf_puts (b, vs.adapters ? vs.adapters : "[]");
        sg_buf_puts (b, "}");
    }
    else if (strcmp (path, "/api/queues") == 0) {
        sg_buf_puts (b, "[");
        for (size_t i = 0, first = 1; i < vs.n; i++) {
            const s_view_t *v = &vs.v[i];
            if (!v->link)
                continue;
            sg_buf_printf (b, "%s{\"next_hop\":", first ? "" : ",");
            first = 0;
            sg_buf_json (b, v->d.name);
            sg_buf_printf (b, ",\"depth\":%lld,\"oldest_age_s\":%.3f,\"dead\":%lld,\"memory\":%llu,"
                         "\"inflight\":%llu,\"up\":%s}", v->d.pending, v->d.oldest_age, v->d.dead,
                         (unsigned long long) v->m.queued, (unsigned long long) v->m.inflight,
                         v->up == 1 ? "true" : "false");
        }
        sg_buf_puts (b, "]");
    }
    else if (strcmp (path, "/api/peers") == 0) {
        sg_buf_puts (b, "[");
        int first = 1;
        for (size_t i = 0; i < vs.n; i++) {
            const s_view_t *v = &vs.v[i];
            if (!v->d.role[0])
                continue;
            sg_buf_printf (b, "%s{\"name\":", first ? "" : ",");
            first = 0;
            sg_buf_json (b, v->d.name);
            sg_buf_printf (b, ",\"role\":\"%s\",\"up\":%s,\"link\":%s,\"expected\":%s,"
                         "\"last_seen\":%lld,\"endpoint\":", v->role, v->up == 1 ? "true" : "false",
                         v->link ? "true" : "false", v->expected ? "true" : "false", v->last_seen);
            sg_buf_json (b, v->d.endpoint[0] ? v->d.endpoint : NULL);
            sg_buf_puts (b, ",\"offices\":");
            s_json_offices (b, v->d.offices);
            sg_buf_puts (b, "}");
        }
        sg_buf_puts (b, "]");
    }
    else if (strcmp (path, "/api/routes") == 0)
        sg_buf_puts (b, vs.routes ? vs.routes : "[]");
    else if (strcmp (path, "/api/adapters") == 0)
        sg_buf_puts (b, vs.adapters ? vs.adapters : "[]");
    else if (strcmp (path, "/api/region") == 0) {
        /* This node's links and late movements are in /api/overview; the
         * peers' come from the sampler's last gathering. */
        sg_buf_printf (b, "{\"node\":");
        sg_buf_json (b, self->o.node_name);
        sg_buf_printf (b, ",\"now\":%lld,\"gathered\":%s", (long long) sg_wall_ms (),
                     vs.region ? "true" : "false");
        if (vs.region && vs.region[0] == '{' && strlen (vs.region) > 2) {
            sg_buf_puts (b, ",");
            sg_buf_puts (b, vs.region + 1);
        }
        else
            sg_buf_puts (b, ",\"peers\":[],\"late\":[],\"totals\":{\"overdue\":0,"
                       "\"under_enquiry\":0,\"discrepancy\":0}}");
    }
    else
        status = s_error (b, 404, "no such API path");
    s_views_free (&vs);
    return status;
}
