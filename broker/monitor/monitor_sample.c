/* monitor_sample.c - the monitor's sampler thread: every sample period it
 * reads the node's database (queues per next hop, peers, routes, and the
 * lifecycle's movements when those tables exist) into a snapshot, and
 * appends each link's queue depth and message totals to a short history
 * for the dashboard's sparklines. Requests read the snapshot, so scraping
 * /metrics costs no query. The database connection is the monitor's own,
 * with a statement timeout so a slow query cannot hold the lock long. */
#include "config.h"
#include "monitor/monitor_int.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
mon_snap_clear (mon_snap_t *s)
{
    free (s->links);
    free (s->routes_json);
    free (s->movement_cols);
    free (s->event_cols);
    free (s->incident_cols);
    free (s->rejection_cols);
    free (s->state_counts_json);
    free (s->state_metrics);
    free (s->incidents_json);
    free (s->hops);
    free (s->corridor_metrics);
    free (s->region_json);
    free (s->adapters_json);
    memset (s, 0, sizeof *s);
}

/* ---- one sample ---------------------------------------------------------------- */

typedef struct {
    store_queue_stat_t *qs;
    size_t nq;
    store_peer_t *peers;
    size_t np;
    char *routes, *cols[4], *counts, *lines, *incidents, *overdue, *enquiry, *hops;
    char *corridors;                /* sigmat_corridor_* text when sampled this time */
    char *region;                   /* region JSON when the node has http_peers */
    char *adapters;                 /* adapters JSON when it has http_adapters */
    int has_movement, has_events;
} s_sample_t;

static void
s_sample_free (s_sample_t *s)
{
    free (s->qs);
    store_peers_free (s->peers, s->np);
    free (s->routes);
    for (int i = 0; i < 4; i++)
        free (s->cols[i]);
    free (s->counts);
    free (s->lines);
    free (s->incidents);
    free (s->overdue);
    free (s->enquiry);
    free (s->hops);
    free (s->corridors);
    free (s->region);
    free (s->adapters);
}

/* Reads everything the snapshot needs; 0 on success. */
static int
s_read_db (monitor_t *self, s_sample_t *s)
{
    store_t *st = mon_db_acquire (self);
    if (!st)
        return -1;
    sg_diag_t d;
    int failed = 0;
    if (store_queue_stats (st, &s->qs, &s->nq, &d) != SG_OK
        || store_peer_list (st, &s->peers, &s->np, &d) != SG_OK) {
        sg_log_warn ("monitor: %s", d.text);
        failed = 1;
        goto done;
    }
    s->routes = mon_db_value (st, "SELECT coalesce(json_agg(json_build_object('prefix', prefix, "
                              "'next_hop', next_hop) ORDER BY prefix), '[]') FROM route",
                              0, NULL, &failed);
    if (!failed)
        s->hops = mon_db_value (st, "SELECT ',' || string_agg(DISTINCT next_hop, ',') || ',' "
                                "FROM route", 0, NULL, &failed);
    /* The lifecycle tables (migration 003) may be missing: look before
     * querying, and only use the columns that are there. */
    static const char *const tables[4] = { "movement", "movement_event", "movement_incident",
                                           "movement_rejection" };
    for (int i = 0; i < 4 && !failed; i++) {
        const char *p[1] = { tables[i] };
        s->cols[i] = mon_db_value (st,
            "SELECT ',' || string_agg(column_name::text, ',') || ',' FROM "
            "information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = $1", 1, p, &failed);
    }
    const char *mc = s->cols[0];
    s->has_movement = mon_has_col (mc, "mrn") && mon_has_col (mc, "state");
    s->has_events = mon_has_col (s->cols[1], "mrn");
    if (s->has_movement && !failed) {
        const char *role = mon_has_col (mc, "role") ? "role::text" : "''::text";
        char sql[1024];
        snprintf (sql, sizeof sql,
                  "SELECT coalesce(json_agg(json_build_object('role', r, 'state', st, 'n', n) "
                  "ORDER BY r, st), '[]'), coalesce(string_agg(format("
                  "'sigmat_movements{role=\"%%s\",state=\"%%s\"} %%s', r, "
                  "replace(replace(st, '\\', '\\\\'), '\"', '\\\"'), n), E'\\n' ORDER BY r, st) "
                  "|| E'\\n', '') FROM (SELECT %s AS r, state::text AS st, count(*) AS n "
                  "FROM movement GROUP BY 1, 2) s", role);
        sg_diag_t d;
        PGresult *r = store_exec (st, "query failed", sql, 0, NULL, 0, &d);
        if (r && PQntuples (r) == 1) {
            s->counts = strdup (PQgetvalue (r, 0, 0));
            s->lines = strdup (PQgetvalue (r, 0, 1));
        }
        else {
            sg_log_warn ("monitor: %s", r ? "query failed: no row" : d.text);
            failed = 1;
        }
        PQclear (r);
        s->overdue = mon_db_value (st,
            mon_has_col (mc, "time_limit")
                ? "SELECT count(*) FROM movement WHERE state::text = 'OVERDUE' OR "
                  "(state::text IN ('RELEASED', 'EN_ROUTE') AND time_limit < current_date)"
                : "SELECT count(*) FROM movement WHERE state::text = 'OVERDUE'",
            0, NULL, &failed);
        s->enquiry = mon_db_value (st, "SELECT count(*) FROM movement WHERE state::text = "
                                   "'UNDER_ENQUIRY'", 0, NULL, &failed);
    }
    /* Corridor figures scan the departure views: every 15 samples. */
    if (s->has_movement && !failed && (long long) sg_wall_ms () >= self->snap.corridors_at + self->o.sample_ms * 15) {
        char *json = NULL;
        if (mon_corridors_query (self, st, NULL, NULL, "all", &json) != 0)
            failed = 1;
        else if (!(s->corridors = mon_corridors_metrics (json ? json : "[]")))
            s->corridors = strdup ("");
        free (json);
    }
    if (mon_has_col (s->cols[2], "recorded") && !failed)
        s->incidents = mon_db_value (st, "SELECT coalesce(json_agg(to_jsonb(i)), '[]') FROM "
                                     "(SELECT * FROM movement_incident ORDER BY recorded DESC "
                                     "LIMIT 20) i", 0, NULL, &failed);
done:
    mon_db_release (self, failed);
    return failed ? -1 : 0;
}

static mon_link_t *
s_link (mon_snap_t *snap, const char *name)
{
    for (size_t i = 0; i < snap->nlinks; i++)
        if (strcmp (snap->links[i].name, name) == 0)
            return &snap->links[i];
    mon_link_t *l = sg_array_slot (&snap->links, snap->nlinks, &snap->caplinks, sizeof *l, 16);
    if (!l)
        return NULL;
    snap->nlinks++;
    sg_strlcpy (l->name, name, sizeof l->name);
    return l;
}

static void
s_take (char **dst, char **src)
{
    free (*dst);
    *dst = *src;
    *src = NULL;
}

/* Applies a sample (ok = the database answered) to the snapshot. */
static void
s_apply (monitor_t *self, s_sample_t *s, int ok, const metrics_link_t *ml, size_t nml)
{
    long long now = (long long) sg_wall_ms ();
    mon_snap_t *snap = &self->snap;
    pthread_mutex_lock (&self->lock);
    snap->db_up = ok;
    if (ok) {
        snap->sampled = now;
        for (size_t i = 0; i < snap->nlinks; i++) {
            snap->links[i].seen = 0;
            snap->links[i].pending = snap->links[i].dead = 0;
            snap->links[i].oldest_age = 0;
        }
        for (size_t i = 0; i < s->np; i++) {
            mon_link_t *l = s_link (snap, s->peers[i].name);
            if (!l)
                continue;
            l->seen = 1;
            sg_strlcpy (l->role, s->peers[i].role, sizeof l->role);
            sg_strlcpy (l->endpoint, s->peers[i].endpoint ? s->peers[i].endpoint : "",
                        sizeof l->endpoint);
            l->offices[0] = '\0';
            for (size_t k = 0; k < s->peers[i].offices_n; k++) {
                size_t len = strlen (l->offices);
                snprintf (l->offices + len, sizeof l->offices - len, "%s%s", k ? "," : "",
                          s->peers[i].offices[k]);
            }
            l->db_last_seen = s->peers[i].last_seen;
        }
        for (size_t i = 0; i < s->nq; i++) {
            mon_link_t *l = s_link (snap, s->qs[i].next_hop);
            if (!l)
                continue;
            l->seen = 1;
            l->pending = s->qs[i].pending;
            l->dead = s->qs[i].dead;
            l->oldest_age = s->qs[i].oldest_age_s;
        }
        s_take (&snap->routes_json, &s->routes);
        s_take (&snap->movement_cols, &s->cols[0]);
        s_take (&snap->event_cols, &s->cols[1]);
        s_take (&snap->incident_cols, &s->cols[2]);
        s_take (&snap->rejection_cols, &s->cols[3]);
        s_take (&snap->state_counts_json, &s->counts);
        s_take (&snap->state_metrics, &s->lines);
        s_take (&snap->incidents_json, &s->incidents);
        snap->has_movement = s->has_movement;
        snap->has_events = s->has_events;
        s_take (&snap->hops, &s->hops);
        if (s->corridors) {
            s_take (&snap->corridor_metrics, &s->corridors);
            snap->corridors_at = now;
        }
        snap->overdue = s->overdue ? atoll (s->overdue) : 0;
        snap->under_enquiry = s->enquiry ? atoll (s->enquiry) : 0;
    }
    if (s->region)
        s_take (&snap->region_json, &s->region);
    if (s->adapters)
        s_take (&snap->adapters_json, &s->adapters);
    /* Links only the node knows of (sessions, hops without rows) too. */
    for (size_t i = 0; i < nml; i++)
        if (strcmp (ml[i].name, "_other") != 0)
            s_link (snap, ml[i].name);
    for (size_t i = 0; i < snap->nlinks; i++) {
        mon_link_t *l = &snap->links[i];
        uint64_t in = 0, out = 0;
        for (size_t k = 0; k < nml; k++)
            if (strcmp (ml[k].name, l->name) == 0) {
                in = ml[k].in_total;
                out = ml[k].out_total;
            }
        l->ht[l->hpos] = now;
        l->hdepth[l->hpos] = l->pending;
        l->hin[l->hpos] = in;
        l->hout[l->hpos] = out;
        l->hpos = (l->hpos + 1) % MON_HIST;
        if (l->hn < MON_HIST)
            l->hn++;
    }
    pthread_mutex_unlock (&self->lock);
}

static void *
s_run (void *arg)
{
    monitor_t *self = arg;
    metrics_link_t *ml = calloc (METRICS_MAX_LINKS + 1, sizeof *ml);
    if (!ml)
        return NULL;
    pthread_mutex_lock (&self->lock);
    while (!self->stop) {
        pthread_mutex_unlock (&self->lock);
        s_sample_t s;
        memset (&s, 0, sizeof s);
        int ok = s_read_db (self, &s) == 0;
        if (self->o.peer_urls_n)
            s.region = mon_region_gather (self);
        if (self->o.adapter_urls_n)
            s.adapters = mon_adapters_gather (self);
        size_t nml = metrics_links (ml, METRICS_MAX_LINKS + 1);
        if (nml > METRICS_MAX_LINKS + 1)
            nml = METRICS_MAX_LINKS + 1;
        s_apply (self, &s, ok, ml, nml);
        s_sample_free (&s);
        pthread_mutex_lock (&self->lock);
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        long long ns = until.tv_nsec + (self->o.sample_ms % 1000) * 1000000LL;
        until.tv_sec += (time_t) (self->o.sample_ms / 1000 + ns / 1000000000LL);
        until.tv_nsec = (long) (ns % 1000000000LL);
        while (!self->stop && pthread_cond_timedwait (&self->wake, &self->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock (&self->lock);
    free (ml);
    return NULL;
}

int
mon_sampler_start (monitor_t *self)
{
    if (pthread_create (&self->sampler, NULL, s_run, self) != 0)
        return -1;
    self->sampler_started = 1;
    return 0;
}

void
mon_sampler_stop (monitor_t *self)
{
    if (!self->sampler_started)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = 1;
    pthread_cond_broadcast (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->sampler, NULL);
    self->sampler_started = 0;
}
