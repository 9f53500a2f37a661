/* monitor_db.c - the monitor's own database connection, shared by the
 * sampler thread and the request threads under a lock, with a pause
 * between reconnection attempts, and the small query helpers they use. */
#include "config.h"
#include "monitor/monitor_int.h"
#include "log.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define S_DB_RETRY_MS 5000

store_t *
mon_db_acquire (monitor_t *self)
{
    pthread_mutex_lock (&self->db_lock);
    /* libpq finds a connection broken only by using it: after PostgreSQL
     * restarted, the first request would fail. A round trip first, and a
     * new connection at once if it fails, answers that request too. */
    if (self->store && store_run (self->store, "monitor: checking the database connection",
                                  "SELECT 1", NULL) != SG_OK)
        store_destroy (&self->store);
    if (!self->store) {
        long long now = (long long) sg_wall_ms ();
        if (!self->o.db || now < self->db_retry_at)
            goto fail;
        sg_diag_t d;
        if (!(self->store = store_new (self->o.db, &d))) {
            sg_log_warn ("monitor: cannot connect to the database: %s", d.text);
            self->db_retry_at = now + S_DB_RETRY_MS;
            goto fail;
        }
        store_run (self->store, "cannot set up the monitor's session",
                   "SET statement_timeout = '5s'; SET application_name = 'sigmatd-monitor'", NULL);
    }
    return self->store;
fail:
    pthread_mutex_unlock (&self->db_lock);
    return NULL;
}

/* A failed query drops the connection, without a pause: the next user
 * connects again at once (the connection was cut while PostgreSQL is up,
 * as by a restart), and only a failed connect pauses the attempts. */
void
mon_db_release (monitor_t *self, int failed)
{
    if (failed && self->store && !store_idle (self->store))
        store_destroy (&self->store);
    pthread_mutex_unlock (&self->db_lock);
}

char *
mon_db_value (store_t *st, const char *sql, int n, const char *const *params, int *failed)
{
    sg_diag_t d;
    PGresult *r = store_exec (st, "query failed", sql, n, params, 0, &d);
    char *v = NULL;
    if (!r) {
        sg_log_warn ("monitor: %s", d.text);
        *failed = 1;
    }
    else if (PQntuples (r) > 0 && !PQgetisnull (r, 0, 0))
        v = strdup (PQgetvalue (r, 0, 0));
    PQclear (r);
    return v;
}

int
mon_has_col (const char *cols, const char *name)
{
    char pat[80];
    snprintf (pat, sizeof pat, ",%s,", name);
    return cols && strstr (cols, pat) != NULL;
}
