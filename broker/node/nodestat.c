/* nodestat.c - upsert of the node_status row. Plain SQL on the store's
 * connection; text parameters (a few per interval, speed is no concern). */
#include "node/nodestat.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_sql[] =
    "INSERT INTO node_status (instance, name, host, pid, started, updated, state, bind,"
    "  connections, links_up, connected, accepted, duplicates, refused, queued, inflight)"
    " VALUES ($1, $2, $3, $4::integer, to_timestamp ($5::bigint), now(), $6, $7,"
    "  $8::integer, $9::integer, $10::text[], $11::bigint, $12::bigint, $13::bigint,"
    "  $14::bigint, $15::bigint)"
    " ON CONFLICT (instance) DO UPDATE SET name = EXCLUDED.name, started = EXCLUDED.started,"
    "  updated = now(), state = EXCLUDED.state, bind = EXCLUDED.bind,"
    "  connections = EXCLUDED.connections, links_up = EXCLUDED.links_up,"
    "  connected = EXCLUDED.connected, accepted = EXCLUDED.accepted,"
    "  duplicates = EXCLUDED.duplicates, refused = EXCLUDED.refused,"
    "  queued = EXCLUDED.queued, inflight = EXCLUDED.inflight";

/* Builds the text form of a text[] literal: {"a","b"}; NULL when out of memory. */
static char *
s_array (const char *const *names, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 2 * strlen (names[i]) + 3;
    char *s = malloc (len), *p = s;
    if (!s)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *p++ = '\\';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return s;
}

int
nodestat_write (store_t *store, const nodestat_t *st, sg_diag_t *diag)
{
    char host[256] = "localhost", instance[300], pid[16], started[32], conns[16], links[16];
    char acc[24], dup[24], ref[24], que[24], inf[24];
    gethostname (host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf (instance, sizeof instance, "%s:%d", host, (int) getpid ());
    snprintf (pid, sizeof pid, "%d", (int) getpid ());
    snprintf (started, sizeof started, "%lld", (long long) st->started);
    snprintf (conns, sizeof conns, "%d", st->connections);
    snprintf (links, sizeof links, "%d", st->links_up);
    snprintf (acc, sizeof acc, "%llu", (unsigned long long) st->accepted);
    snprintf (dup, sizeof dup, "%llu", (unsigned long long) st->duplicates);
    snprintf (ref, sizeof ref, "%llu", (unsigned long long) st->refused);
    snprintf (que, sizeof que, "%llu", (unsigned long long) st->queued);
    snprintf (inf, sizeof inf, "%llu", (unsigned long long) st->inflight);
    char *connected = s_array (st->connected, st->n_connected);
    if (!connected)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    const char *values[15] = { instance, st->name, host, pid, started, st->state,
                               st->bind ? st->bind : "", conns, links, connected,
                               acc, dup, ref, que, inf };
    PGresult *res = store_exec (store, "cannot write node status", s_sql, 15, values, 0, diag);
    int rc = res ? SG_OK : SG_EDB;
    PQclear (res);
    free (connected);
    return rc;
}


int
nodestat_print (store_t *store, FILE *out, sg_diag_t *diag)
{
    static const char sql[] =
        "SELECT name, instance, state, bind, started,"
        "  extract(epoch FROM now() - started)::bigint,"
        "  extract(epoch FROM now() - updated)::bigint,"
        "  connections, links_up, array_to_string(connected, ', '),"
        "  accepted, duplicates, refused, queued, inflight"
        " FROM node_status ORDER BY state <> 'running', state <> 'standby', updated DESC";
    PGresult *res = store_exec (store, "cannot read node status", sql, 0, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    if (PQntuples (res) == 0)
        fprintf (out, "node: no sigmatd has run on this database yet\n");
    for (int i = 0; i < PQntuples (res); i++) {
        const char *state = PQgetvalue (res, i, 2);
        long long up = atoll (PQgetvalue (res, i, 5)), quiet = atoll (PQgetvalue (res, i, 6));
        int running = strcmp (state, "running") == 0;
        fprintf (out, "node %s (%s): %s", PQgetvalue (res, i, 0), PQgetvalue (res, i, 1), state);
        if (running && quiet > 60)
            fprintf (out, ", but silent for %llds (process gone?)", quiet);
        fprintf (out, "\n  started %s, up %lldh%02lldm, last report %llds ago\n",
                 PQgetvalue (res, i, 4), up / 3600, up / 60 % 60, quiet);
        if (!running)
            continue;
        fprintf (out, "  bind %s, %s inbound connection(s), %s link(s) up; connected: %s\n",
                 PQgetvalue (res, i, 3), PQgetvalue (res, i, 7), PQgetvalue (res, i, 8),
                 *PQgetvalue (res, i, 9) ? PQgetvalue (res, i, 9) : "-");
        fprintf (out, "  since start: %s accepted, %s duplicates, %s refused; now %s queued, %s in flight\n",
                 PQgetvalue (res, i, 10), PQgetvalue (res, i, 11), PQgetvalue (res, i, 12),
                 PQgetvalue (res, i, 13), PQgetvalue (res, i, 14));
    }
    PQclear (res);
    return SG_OK;
}

int
nodestat_print_db (store_t *store, FILE *out, sg_diag_t *diag)
{
    /* pg_stat_replication shows its details to superusers and pg_monitor
     * only; others see the standbys' count. */
    static const char sql[] =
        "SELECT pg_is_in_recovery(), current_setting('server_version'),"
        "  (SELECT count(*) FROM pg_stat_replication),"
        "  (SELECT coalesce(string_agg(coalesce(application_name, '?') || ' ' ||"
        "     coalesce(state, '?') || ' ' || coalesce(sync_state, '?'), ', '"
        "     ORDER BY application_name), '') FROM pg_stat_replication),"
        "  current_setting('synchronous_standby_names'), current_setting('synchronous_commit')";
    PGresult *res = store_exec (store, "cannot read the database role", sql, 0, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    const char *host = store_host (store), *port = store_port (store);
    int standby = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
    fprintf (out, "database: %s, PostgreSQL %s at %s port %s\n",
             standby ? "standby (in recovery, read-only)" : "primary",
             PQgetvalue (res, 0, 1), host, port);
    if (!standby)
        fprintf (out, "  standbys: %s%s%s; synchronous_standby_names '%s', synchronous_commit %s\n",
                 PQgetvalue (res, 0, 2), *PQgetvalue (res, 0, 3) ? ": " : "",
                 PQgetvalue (res, 0, 3), PQgetvalue (res, 0, 4), PQgetvalue (res, 0, 5));
    PQclear (res);
    res = store_exec (store, "cannot read the node lease",
                      "SELECT holder, to_char (expires, 'YYYY-MM-DD HH24:MI:SS TZ'),"
                      " expires > now() FROM node_lease", 0, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    if (PQntuples (res) == 1)
        fprintf (out, "lease: held by %s until %s%s\n", PQgetvalue (res, 0, 0),
                 PQgetvalue (res, 0, 1),
                 strcmp (PQgetvalue (res, 0, 2), "t") ? " (expired: a standby may take it)" : "");
    else
        fprintf (out, "lease: free\n");
    PQclear (res);
    return SG_OK;
}
