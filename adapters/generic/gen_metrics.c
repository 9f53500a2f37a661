/* gen_metrics.c - sigmat-generic's /metrics, from its state file when
 * scraped: the connection to the node, the messages waiting for it (and
 * the oldest one's age), the webhooks to the national system (pending,
 * failing, i.e. tried at least once without success, the oldest one's
 * age, delivered), and the officers' submissions by message type. The
 * names are shared with sigmat-asycuda (sigmat_adapter_*). */
#include "gen_metrics.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_api.h"
#include "http.h"
#include "prom.h"

typedef struct {
    FILE *f;
    const char *name, *label;
} s_rows_t;

static void
s_row (const char *key, int64_t n, void *arg)
{
    s_rows_t *r = arg;
    prom_labelled (r->f, r->name, r->label, key, (long long) n);
}

/* Seconds since the oldest created (unix ms) of sql's rows, 0 if none. */
static double
s_age (gen_adapter_t *self, const char *sql)
{
    int64_t oldest = gen_state_scalar (self->state, sql);
    if (oldest <= 0)
        return 0;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    double now = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
    double age = now - (double) oldest / 1e3;
    return age > 0 ? age : 0;
}

char *
gen_metrics_text (gen_adapter_t *self)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    if (!f)
        return NULL;
    gen_state_t *st = self->state;
    prom_family (f, "sigmat_adapter_info", "gauge",
                 "The adapter program and its name at the node.");
    fprintf (f, "sigmat_adapter_info{program=\"sigmat-generic\",name=\"%s\"} 1\n",
             self->conf->name ? self->conf->name : "");
    prom_sample (f, "sigmat_adapter_node_connected", "gauge",
                 "1 if the adapter is connected to its node.",
                 atomic_load (&self->connected) ? 1 : 0);
    prom_sample (f, "sigmat_adapter_outbox_depth", "gauge",
                 "Messages for the node not yet acknowledged by it.",
                 gen_state_scalar (st, "SELECT count(*) FROM out_msg WHERE status = 'queued'"));
    prom_family (f, "sigmat_adapter_outbox_oldest_age_seconds", "gauge",
                 "Age of the oldest message waiting for the node (0 if none).");
    fprintf (f, "sigmat_adapter_outbox_oldest_age_seconds %.3f\n",
             s_age (self, "SELECT coalesce(min(created), 0) FROM out_msg WHERE status = 'queued'"));
    s_rows_t r = { f, "sigmat_adapter_outbox_messages_total", "status" };
    prom_family (f, r.name, "counter", "Messages submitted for the node, by outcome.");
    gen_state_rows (st, "SELECT status, count(*) FROM out_msg GROUP BY 1 ORDER BY 1", s_row, &r);
    prom_sample (f, "sigmat_adapter_webhooks_pending", "gauge",
                 "Messages from the node not yet delivered to the national system's webhook.",
                 gen_state_scalar (st, "SELECT count(*) FROM hook WHERE state = 'pending'"));
    prom_sample (f, "sigmat_adapter_webhooks_failing", "gauge",
                 "Pending webhooks already tried without success"
                 " (the receiver refuses or is down).",
                 gen_state_scalar (st, "SELECT count(*) FROM hook WHERE state = 'pending'"
                                   " AND attempts > 0"));
    prom_family (f, "sigmat_adapter_webhooks_oldest_age_seconds", "gauge",
                 "Age of the oldest pending webhook (0 if none).");
    fprintf (f, "sigmat_adapter_webhooks_oldest_age_seconds %.3f\n",
             s_age (self, "SELECT coalesce(min(created), 0) FROM hook WHERE state = 'pending'"));
    r.name = "sigmat_adapter_inbox_writes_total";
    r.label = "type";
    prom_family (f, r.name, "counter", "Messages from the node delivered to the webhook, by type.");
    gen_state_rows (st, "SELECT type, count(*) FROM hook WHERE state = 'delivered' GROUP BY 1"
                    " ORDER BY 1", s_row, &r);
    prom_sample (f, "sigmat_adapter_deliveries_refused_total", "counter",
                 "Messages from the node refused for good (NAKed, kept in rejected/).",
                 gen_state_scalar (st, "SELECT count(*) FROM refused"));
    r.name = "sigmat_adapter_officer_actions_total";
    r.label = "action";
    prom_family (f, r.name, "counter",
                 "Submissions through the API accepted for the node, by type.");
    gen_state_rows (st, "SELECT type, count(*) FROM out_msg GROUP BY 1 ORDER BY 1", s_row, &r);
    if (fclose (f) != 0) {
        free (text);
        return NULL;
    }
    return text;
}

int
gen_metrics_reply (gen_adapter_t *self, struct MHD_Connection *c, int authorised)
{
    if (!authorised)
        return gen_problem (c, 401, "unauthorized", "send Authorization: Bearer <token>", NULL, 0,
                            NULL, NULL);
    char *text = gen_metrics_text (self);
    if (!text)
        return gen_problem (c, 500, "internal", "out of memory", NULL, 0, NULL, NULL);
    int ret = sg_http_reply (c, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                             strlen (text), NULL);
    free (text);
    return ret;
}
