/* monitor_corridors.c - corridor figures from this node's database: per
 * corridor (office of departure -> office of destination) and period, the
 * movements released, discharged, in transit, arrived, in discrepancy,
 * overdue, under enquiry, in recovery and cancelled, and the distributions
 * of release -> arrival, arrival -> discharge, release -> discharge and, at
 * each office of
 * transit, ATR -> NCF (the ATRs leave with the release, so this is the time
 * from release to the crossing notice of that office). Read from the
 * departure views (table movement, role DEPARTURE, and their NCF events):
 * the departure node is the authority for its movements, so a region's
 * figures are the union of its nodes' (monitor_region.c gathers them).
 * Times are the lifecycle's clock (movement.released, arrived, finished,
 * movement_event.at). */
#include "config.h"
#include "monitor/monitor_int.h"
#include "log.h"
#include "prom.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double mon_corridor_bounds[MON_CORRIDOR_BUCKETS] = {
    1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 259200, 432000, 604800, 1209600
};

/* $1 from (unix s or NULL), $2 to (unix s or NULL), $3 period (all, day,
 * week, month), $4 the bucket bounds, $5 this node's name. */
static const char s_sql[] =
    "WITH m AS ("
    " SELECT mrn, office, departure, destination, state, released, arrived, finished,"
    "  CASE WHEN $3 = 'all' THEN NULL ELSE date_trunc($3, released AT TIME ZONE 'UTC') END AS p"
    " FROM movement WHERE role = 'DEPARTURE' AND released IS NOT NULL"
    "  AND ($1::float8 IS NULL OR released >= to_timestamp($1::float8))"
    "  AND ($2::float8 IS NULL OR released < to_timestamp($2::float8))),"
    " d AS ("
    " SELECT departure, destination, p, 'ra'::text AS k, ''::text AS office,"
    "  extract(epoch FROM arrived - released)::float8 AS s FROM m WHERE arrived IS NOT NULL"
    " UNION ALL"
    " SELECT departure, destination, p, 'ad', '', extract(epoch FROM finished - arrived)::float8"
    "  FROM m WHERE state = 'DISCHARGED' AND arrived IS NOT NULL AND finished IS NOT NULL"
    " UNION ALL"
    " SELECT departure, destination, p, 'rd', '', extract(epoch FROM finished - released)::float8"
    "  FROM m WHERE state = 'DISCHARGED' AND finished IS NOT NULL"
    " UNION ALL"
    " SELECT m.departure, m.destination, m.p, 'bd', e.at_office,"
    "  extract(epoch FROM min(e.at) - m.released)::float8"
    "  FROM m JOIN movement_event e ON e.mrn = m.mrn AND e.office = m.office"
    "  WHERE e.msg_type = 'NCF'"
    "  GROUP BY m.mrn, m.office, m.departure, m.destination, m.p, m.released, e.at_office),"
    " d0 AS ("
    " SELECT departure, destination, p, k, office, count(*) AS n, sum(s) AS sm, min(s) AS mn,"
    "  max(s) AS mx, percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,"
    "  percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90, array_agg(s) AS ss"
    " FROM d GROUP BY 1, 2, 3, 4, 5),"
    " dist AS ("
    " SELECT departure, destination, p, k, office, json_build_object("
    "  'office', nullif(office, ''), 'count', n, 'sum_s', sm, 'min_s', mn, 'p50_s', p50,"
    "  'p90_s', p90, 'max_s', mx, 'buckets', (SELECT json_agg(x.c ORDER BY x.i) FROM ("
    "   SELECT b.i, (SELECT count(*) FROM unnest(ss) v WHERE v <= b.le) AS c"
    "   FROM unnest($4::float8[]) WITH ORDINALITY AS b(le, i)"
    "   UNION ALL SELECT 1000000, n) x)) AS j"
    " FROM d0),"
    " c AS ("
    " SELECT departure, destination, p, count(*) AS released,"
    "  count(*) FILTER (WHERE state = 'DISCHARGED') AS discharged,"
    "  count(*) FILTER (WHERE state IN ('RELEASED', 'EN_ROUTE')) AS in_transit,"
    "  count(*) FILTER (WHERE state IN ('ARRIVED', 'CONTROLLED')) AS arrived,"
    "  count(*) FILTER (WHERE state = 'DISCREPANCY') AS discrepancy,"
    "  count(*) FILTER (WHERE state = 'OVERDUE') AS overdue,"
    "  count(*) FILTER (WHERE state = 'UNDER_ENQUIRY') AS under_enquiry,"
    "  count(*) FILTER (WHERE state = 'RECOVERY') AS recovery,"
    "  count(*) FILTER (WHERE state = 'CANCELLED') AS cancelled"
    " FROM m GROUP BY 1, 2, 3)"
    " SELECT coalesce(json_agg(json_build_object('node', $5::text,"
    "  'departure', c.departure, 'destination', c.destination,"
    "  'departure_country', left(c.departure, 2), 'destination_country', left(c.destination, 2),"
    "  'period_start', to_char(c.p, 'YYYY-MM-DD'), 'released', c.released,"
    "  'discharged', c.discharged, 'in_transit', c.in_transit, 'arrived', c.arrived,"
    "  'discrepancy', c.discrepancy, 'overdue', c.overdue, 'under_enquiry', c.under_enquiry,"
    "  'recovery', c.recovery, 'cancelled', c.cancelled,"
    "  'release_to_arrival', coalesce((SELECT j FROM dist WHERE dist.departure = c.departure"
    "   AND dist.destination = c.destination AND dist.p IS NOT DISTINCT FROM c.p"
    "   AND dist.k = 'ra'), '{\"count\":0,\"buckets\":[]}'::json),"
    "  'arrival_to_discharge', coalesce((SELECT j FROM dist WHERE dist.departure = c.departure"
    "   AND dist.destination = c.destination AND dist.p IS NOT DISTINCT FROM c.p"
    "   AND dist.k = 'ad'), '{\"count\":0,\"buckets\":[]}'::json),"
    "  'release_to_discharge', coalesce((SELECT j FROM dist WHERE dist.departure = c.departure"
    "   AND dist.destination = c.destination AND dist.p IS NOT DISTINCT FROM c.p"
    "   AND dist.k = 'rd'), '{\"count\":0,\"buckets\":[]}'::json),"
    "  'border_dwell', coalesce((SELECT json_agg(j ORDER BY office) FROM dist"
    "   WHERE dist.departure = c.departure AND dist.destination = c.destination"
    "   AND dist.p IS NOT DISTINCT FROM c.p AND dist.k = 'bd'), '[]'))"
    "  ORDER BY c.p NULLS FIRST, c.released DESC, c.departure, c.destination), '[]')"
    " FROM c";

int
mon_corridors_query (monitor_t *self, store_t *st, const char *from, const char *to,
                     const char *period, char **json)
{
    char bounds[512] = "{";
    for (int i = 0; i < MON_CORRIDOR_BUCKETS; i++) {
        size_t n = strlen (bounds);
        snprintf (bounds + n, sizeof bounds - n, "%s%.0f", i ? "," : "", mon_corridor_bounds[i]);
    }
    strcat (bounds, "}");
    const char *p[5] = { from, to, period, bounds, self->o.node_name };
    int failed = 0;
    *json = mon_db_value (st, s_sql, 5, p, &failed);
    return failed ? -1 : 0;
}

/* Parses a time argument: unix seconds, or YYYY-MM-DD (UTC midnight).
 * Writes seconds as text into out; -1 if malformed. */
static int
s_time_arg (const char *s, char *out, size_t size)
{
    int y, mo, d;
    char extra;
    if (sscanf (s, "%4d-%2d-%2d%c", &y, &mo, &d, &extra) == 3 && strlen (s) == 10) {
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
            return -1;
        /* days from the civil date (Howard Hinnant's algorithm) */
        int yy = y - (mo <= 2);
        int era = yy / 400, yoe = yy - era * 400;
        int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        long long days = (long long) era * 146097 + doe - 719468;
        snprintf (out, size, "%lld", days * 86400);
        return 0;
    }
    char *end;
    double v = strtod (s, &end);
    if (!*s || *end || !isfinite (v) || v < 0 || v > 1e11)
        return -1;
    snprintf (out, size, "%.3f", v);
    return 0;
}

int
mon_corridors_args (const char *from, const char *to, const char *period, char *fbuf,
                    char *tbuf, size_t size, const char **why)
{
    fbuf[0] = tbuf[0] = '\0';
    if (from && *from && s_time_arg (from, fbuf, size) != 0) {
        *why = "from is unix seconds or YYYY-MM-DD";
        return -1;
    }
    if (to && *to && s_time_arg (to, tbuf, size) != 0) {
        *why = "to is unix seconds or YYYY-MM-DD";
        return -1;
    }
    if (period && strcmp (period, "all") != 0 && strcmp (period, "day") != 0
        && strcmp (period, "week") != 0 && strcmp (period, "month") != 0) {
        *why = "period is all, day, week or month";
        return -1;
    }
    return 0;
}

/* ---- Prometheus ------------------------------------------------------------ */

static void
s_hist (sg_buf_t *b, const char *name, const char *labels, json_t *dist)
{
    json_t *bk = json_object_get (dist, "buckets");
    if (!json_is_array (bk) || json_array_size (bk) != MON_CORRIDOR_BUCKETS + 1)
        return;
    for (size_t i = 0; i <= MON_CORRIDOR_BUCKETS; i++) {
        if (i < MON_CORRIDOR_BUCKETS)
            sg_buf_printf (b, "%s_bucket{%s,le=\"%.0f\"} %lld\n", name, labels,
                         mon_corridor_bounds[i], (long long) json_integer_value (json_array_get (bk, i)));
        else
            sg_buf_printf (b, "%s_bucket{%s,le=\"+Inf\"} %lld\n", name, labels,
                         (long long) json_integer_value (json_array_get (bk, i)));
    }
    sg_buf_printf (b, "%s_sum{%s} %.3f\n", name, labels,
                   json_number_value (json_object_get (dist, "sum_s")));
    sg_buf_printf (b, "%s_count{%s} %lld\n", name, labels,
                 (long long) json_integer_value (json_object_get (dist, "count")));
}

static const char *const s_counts[] = { "released", "discharged", "in_transit", "arrived",
                                        "discrepancy", "overdue", "under_enquiry", "recovery",
                                        "cancelled" };

char *
mon_corridors_metrics (const char *json)
{
    json_error_t e;
    json_t *a = json_loads (json, 0, &e);
    if (!json_is_array (a)) {
        json_decref (a);
        return NULL;
    }
    sg_buf_t b = { 0 }, h1 = { 0 }, h2 = { 0 }, h3 = { 0 }, h4 = { 0 };
    char lb[64], lb2[64], lb3[64], labels[320];
    sg_buf_puts (&b,
                 "# HELP sigmat_corridor_movements Movements released on the corridor (departure views"
               " of this node), by status.\n# TYPE sigmat_corridor_movements gauge\n");
    size_t i;
    json_t *c;
    json_array_foreach (a, i, c) {
        snprintf (labels, sizeof labels, "departure=\"%s\",destination=\"%s\"",
                  prom_label (json_string_value (json_object_get (c, "departure")), lb, sizeof lb),
                  prom_label (json_string_value (json_object_get (c, "destination")), lb2, sizeof lb2));
        for (size_t k = 0; k < sizeof s_counts / sizeof s_counts[0]; k++)
            sg_buf_printf (&b, "sigmat_corridor_movements{%s,status=\"%s\"} %lld\n", labels,
                           s_counts[k],
                         (long long) json_integer_value (json_object_get (c, s_counts[k])));
        s_hist (&h1, "sigmat_corridor_release_to_arrival_seconds", labels,
                json_object_get (c, "release_to_arrival"));
        s_hist (&h2, "sigmat_corridor_arrival_to_discharge_seconds", labels,
                json_object_get (c, "arrival_to_discharge"));
        s_hist (&h4, "sigmat_corridor_release_to_discharge_seconds", labels,
                json_object_get (c, "release_to_discharge"));
        size_t k;
        json_t *bd;
        json_array_foreach (json_object_get (c, "border_dwell"), k, bd) {
            char l3[400];
            snprintf (l3, sizeof l3, "%s,office=\"%s\"", labels,
                      prom_label (json_string_value (json_object_get (bd, "office")), lb3, sizeof lb3));
            s_hist (&h3, "sigmat_corridor_border_dwell_seconds", l3, bd);
        }
    }
    sg_buf_puts (&b,
                 "# HELP sigmat_corridor_release_to_arrival_seconds Time from release to arrival at"
               " destination (lifecycle clock).\n"
               "# TYPE sigmat_corridor_release_to_arrival_seconds histogram\n");
    sg_buf_puts (&b, h1.data ? h1.data : "");
    sg_buf_puts (&b,
                 "# HELP sigmat_corridor_arrival_to_discharge_seconds Time from arrival to discharge"
               " (write-off).\n# TYPE sigmat_corridor_arrival_to_discharge_seconds histogram\n");
    sg_buf_puts (&b, h2.data ? h2.data : "");
    sg_buf_puts (&b,
                 "# HELP sigmat_corridor_release_to_discharge_seconds Time from release to discharge"
               " (the whole movement).\n# TYPE sigmat_corridor_release_to_discharge_seconds histogram\n");
    sg_buf_puts (&b, h4.data ? h4.data : "");
    sg_buf_puts (&b,
                 "# HELP sigmat_corridor_border_dwell_seconds Time from the ATR (sent at release) to"
               " the NCF of each office of transit.\n"
               "# TYPE sigmat_corridor_border_dwell_seconds histogram\n");
    sg_buf_puts (&b, h3.data ? h3.data : "");
    json_decref (a);
    sg_buf_free (&h1);
    sg_buf_free (&h2);
    sg_buf_free (&h3);
    sg_buf_free (&h4);
    if (b.failed) {
        sg_buf_free (&b);
        return NULL;
    }
    return b.data;
}
