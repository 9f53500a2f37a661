/* metrics_prom.c - writes the metrics registry in the Prometheus text
 * exposition format 0.0.4: one HELP and one TYPE line per family, label
 * values escaped, histograms as cumulative _bucket series with _sum and
 * _count. The monitor appends its database gauges after this part. */
#include "config.h"
#include "monitor/metrics.h"
#include "prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
s_le (char *buf, size_t size, double bound)
{
    if (isinf (bound))
        snprintf (buf, size, "+Inf");
    else
        snprintf (buf, size, "%g", bound);
}

/* One histogram family from cumulative buckets. */
static void
s_histogram (FILE *out, const char *name, const char *help, const double *bounds,
             const uint64_t *cum, int n, double sum)
{
    char le[32];
    prom_family (out, name, "histogram", help);
    for (int i = 0; i < n; i++) {
        s_le (le, sizeof le, bounds[i]);
        fprintf (out, "%s_bucket{le=\"%s\"} %llu\n", name, le, (unsigned long long) cum[i]);
    }
    fprintf (out, "%s_sum %.6f\n%s_count %llu\n", name, sum, name,
             (unsigned long long) cum[n - 1]);
}

/* A per-link counter or gauge family, one series per link. */
static void
s_per_link (FILE *out, const metrics_link_t *ls, size_t n, const char *name, const char *type,
            const char *help, size_t offset)
{
    char lb[160];
    prom_family (out, name, type, help);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = *(const uint64_t *) ((const char *) &ls[i] + offset);
        fprintf (out, "%s{link=\"%s\"} %llu\n", name, prom_label (ls[i].name, lb, sizeof lb),
                 (unsigned long long) v);
    }
}

void
metrics_write (FILE *out)
{
    metrics_global_t *g = malloc (sizeof *g);
    metrics_link_t *ls = calloc (METRICS_MAX_LINKS + 1, sizeof *ls);
    char lb[160];
    if (!g || !ls)
        goto done;
    metrics_global (g);
    size_t n = metrics_links (ls, METRICS_MAX_LINKS + 1);
    if (n > METRICS_MAX_LINKS + 1)
        n = METRICS_MAX_LINKS + 1;

    prom_family (out, "sigmat_info", "gauge", "This node's name and the program version.");
    fprintf (out, "sigmat_info{node=\"%s\",version=\"%s\"} 1\n",
             prom_label (g->node, lb, sizeof lb), PACKAGE_VERSION);
    prom_sample (out, "sigmat_start_time_seconds", "gauge", "When the node started (unix time).",
                 g->started);

    prom_family (out, "sigmat_messages_in_total", "counter",
                 "Messages received from a link and stored, by type (duplicates excluded).");
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < METRICS_NTYPES; t++)
            fprintf (out, "sigmat_messages_in_total{link=\"%s\",type=\"%s\"} %llu\n",
                     prom_label (ls[i].name, lb, sizeof lb), metrics_type_name (t),
                     (unsigned long long) ls[i].in[t]);
    prom_family (out, "sigmat_messages_out_total", "counter",
                 "Messages sent on a link for the first time, by type.");
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < METRICS_NTYPES; t++)
            fprintf (out, "sigmat_messages_out_total{link=\"%s\",type=\"%s\"} %llu\n",
                     prom_label (ls[i].name, lb, sizeof lb), metrics_type_name (t),
                     (unsigned long long) ls[i].out[t]);
    s_per_link (out, ls, n, "sigmat_messages_duplicate_total", "counter",
                "Messages received again that were already stored (ACKed, not applied).",
                offsetof (metrics_link_t, duplicates));
    s_per_link (out, ls, n, "sigmat_messages_resent_total", "counter",
                "Messages sent again on a link after a timeout.",
                offsetof (metrics_link_t, resent));
    s_per_link (out, ls, n, "sigmat_messages_acked_total", "counter",
                "Messages the next hop acknowledged (durably stored).",
                offsetof (metrics_link_t, acked));
    s_per_link (out, ls, n, "sigmat_link_naks_sent_total", "counter",
                "Messages from this link this node refused with a NAK.",
                offsetof (metrics_link_t, naks_sent));
    s_per_link (out, ls, n, "sigmat_link_naks_received_total", "counter",
                "Messages this link refused for good (now dead letters).",
                offsetof (metrics_link_t, naks_received));
    s_per_link (out, ls, n, "sigmat_queue_memory", "gauge",
                "Messages for this next hop held in memory, not yet sent.",
                offsetof (metrics_link_t, queued));
    s_per_link (out, ls, n, "sigmat_inflight", "gauge",
                "Messages sent to this next hop and not yet acknowledged.",
                offsetof (metrics_link_t, inflight));

    prom_family (out, "sigmat_naks_total", "counter",
                 "NAKs by direction (sent: refused by this node; received: refused by a "
                 "next hop) and code (0: other).");
    for (int c = 0; c < METRICS_NAK_CODES; c++) {
        if (g->naks_sent[c])
            fprintf (out, "sigmat_naks_total{direction=\"sent\",code=\"%d\"} %llu\n", c,
                     (unsigned long long) g->naks_sent[c]);
        if (g->naks_received[c])
            fprintf (out, "sigmat_naks_total{direction=\"received\",code=\"%d\"} %llu\n", c,
                     (unsigned long long) g->naks_received[c]);
    }
    prom_family (out, "sigmat_lifecycle_refusals_total", "counter",
                 "Messages the lifecycle refused (NAK message to the sender office), by reason:"
                 " authority (101, the sender has no such role in the movement), sequence (92),"
                 " unknown (90).");
    for (int i = 0; i < METRICS_NREFUSALS; i++)
        fprintf (out, "sigmat_lifecycle_refusals_total{reason=\"%s\"} %llu\n",
                 metrics_refusal_names[i], (unsigned long long) g->refusals[i]);
    prom_family (out, "sigmat_batches_total", "counter", "Intake batches committed.");
    fprintf (out, "sigmat_batches_total %llu\n", (unsigned long long) g->batches);
    prom_family (out, "sigmat_db_errors_total", "counter",
                 "Intake batches the database failed to store (senders resend).");
    fprintf (out, "sigmat_db_errors_total %llu\n", (unsigned long long) g->db_errors);
    s_histogram (out, "sigmat_batch_size", "Messages per committed intake batch.",
                 metrics_batch_bounds, g->batch_bucket, METRICS_BATCH_BUCKETS,
                 (double) g->batch_sum);
    s_histogram (out, "sigmat_commit_latency_seconds",
                 "Time to store one intake batch durably (one transaction).",
                 metrics_latency_bounds, g->latency_bucket, METRICS_LATENCY_BUCKETS,
                 (double) g->latency_sum_us / 1e6);
done:
    free (g);
    free (ls);
}
