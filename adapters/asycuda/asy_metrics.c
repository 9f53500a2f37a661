/* asy_metrics.c - sigmat-asycuda's /metrics. Everything comes from the
 * state file (one SQLite connection of the HTTP thread) and the rejected
 * folder at scrape time, so the numbers survive restarts and need no hook
 * in the daemon: the outbox (messages for the node, their oldest age), the
 * node connection the daemon records every second, the spool files
 * processed and the files waiting in rejected/, the deliveries taken and
 * the inbox writes (files handed to ASYCUDA), the deliveries refused for
 * good and the officers' actions by verb. The names are
 * shared with sigmat-generic (sigmat_adapter_*), so one alert rule covers
 * both. */
#include "asy_metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prom.h"

/* One line per (label value, count) row of a tally. */
static void
s_rows (FILE *f, asy_state_t *st, const char *name, const char *label, asy_tally_t what)
{
    sqlite3_stmt *q = asy_state_tally (st, what);
    while (q && sqlite3_step (q) == SQLITE_ROW)
        prom_labelled (f, name, label, (const char *) sqlite3_column_text (q, 0),
                       (long long) sqlite3_column_int64 (q, 1));
    sqlite3_finalize (q);
}

/* Spool files in the rejected folder, their .err companions and refused
 * deliveries (deliver-*, counted from the state) not counted. */
static long long
s_rejected (const char *dir)
{
    DIR *d = dir ? opendir (dir) : NULL;
    long long n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir (d)) != NULL;) {
        size_t len = strlen (e->d_name);
        if (e->d_name[0] == '.' || (len > 4 && strcmp (e->d_name + len - 4, ".err") == 0)
            || strncmp (e->d_name, "deliver-", 8) == 0)
            continue;
        n++;
    }
    closedir (d);
    return n;
}

char *
asy_metrics_text (asy_state_t *st, const asy_conf_t *conf)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    if (!f)
        return NULL;
    char ns[64] = "";
    asy_state_meta_get (st, "node_state", ns, sizeof ns);
    prom_family (f, "sigmat_adapter_info", "gauge", "The adapter program and its country.");
    fprintf (f, "sigmat_adapter_info{program=\"sigmat-asycuda\",country=\"%s\"} 1\n",
             conf->country ? conf->country : "");
    prom_sample (f, "sigmat_adapter_node_connected", "gauge",
                 "1 if the adapter is connected to its node (as the daemon last recorded).",
                 strncmp (ns, "connected", 9) == 0);
    prom_sample (f, "sigmat_adapter_status_age_seconds", "gauge",
                 "Seconds since the daemon last recorded its status (about 1 s when running).",
                 asy_state_count (st, ASY_COUNT_STATUS_AGE));
    prom_sample (f, "sigmat_adapter_outbox_depth", "gauge",
                 "Messages for the node not yet acknowledged by it.",
                 asy_state_count (st, ASY_COUNT_QUEUED));
    prom_sample (f, "sigmat_adapter_outbox_oldest_age_seconds", "gauge",
                 "Age of the oldest message waiting for the node (0 if none).",
                 asy_state_count (st, ASY_COUNT_OLDEST_AGE));
    prom_family (f, "sigmat_adapter_outbox_messages_total", "counter",
                 "Messages queued for the node since the state file was created, by outcome.");
    s_rows (f, st, "sigmat_adapter_outbox_messages_total", "status",
            ASY_TALLY_OUTBOX_STATUS);
    prom_sample (f, "sigmat_adapter_files_processed_total", "counter",
                 "ASYCUDA spool files read and recorded (messages queued, or none needed).",
                 asy_state_count (st, ASY_COUNT_FILES));
    prom_sample (f, "sigmat_adapter_files_rejected", "gauge",
                 "Files waiting in the rejected folder (each with a .err that says why).",
                 s_rejected (conf->rejected_dir));
    prom_family (f, "sigmat_adapter_deliveries_total", "counter",
                 "Messages from the node taken (acknowledged), by type.");
    s_rows (f, st, "sigmat_adapter_deliveries_total", "type",
            ASY_TALLY_INBOX_TYPE);
    prom_sample (f, "sigmat_adapter_deliveries_refused_total", "counter",
                 "Messages from the node refused for good (NAKed, kept in rejected/).",
                 asy_state_count (st, ASY_COUNT_REFUSED));
    prom_family (f, "sigmat_adapter_inbox_writes_total", "counter",
                 "Messages from the node written as files into the ASYCUDA inbox, by type.");
    s_rows (f, st, "sigmat_adapter_inbox_writes_total", "type",
            ASY_TALLY_INBOX_WRITES);
    prom_family (f, "sigmat_adapter_officer_actions_total", "counter",
                 "Officers' callbacks that were accepted, by action.");
    s_rows (f, st, "sigmat_adapter_officer_actions_total", "action",
            ASY_TALLY_REQUEST_VERB);
    prom_sample (f, "sigmat_adapter_errors_total", "counter",
                 "Errors recorded (shown by `status`).",
                 asy_state_count (st, ASY_COUNT_ERRORS));
    if (fclose (f) != 0) {
        free (text);
        return NULL;
    }
    return text;
}
