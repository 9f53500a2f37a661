/* lease.c - the node's activity lease: one row in node_lease, taken with
 * an upsert that only succeeds when the row is free, expired or ours.
 * Part of the store (its SQL goes through store_i_exec). */
#include "node/lease.h"
#include "log.h"
#include "node/store_int.h"

#include <errno.h>
#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lease_t {
    store_t *store;
    int64_t ttl_ms;
    int held;
    int64_t deadline;               /* monotonic ms: serve until then */
    char instance[300];
    char ttl_text[32];              /* "N milliseconds" for SQL */
};

lease_t *
lease_new (store_t *store, int64_t ttl_ms)
{
    lease_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    lease_instance_name (self->instance, sizeof self->instance);
    snprintf (self->ttl_text, sizeof self->ttl_text, "%lld milliseconds", (long long) ttl_ms);
    self->store = store;
    self->ttl_ms = ttl_ms;
    return self;
}

void
lease_destroy (lease_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

/* Runs one statement with (instance, ttl) parameters through the store,
 * (and a third, may be NULL) through the store, which reconnects a broken
 * connection first; NULL on failure. */
static PGresult *
s_exec (lease_t *self, const char *sql, int nparams, const char *third, const char *what,
        sg_diag_t *diag)
{
    const char *params[3] = { self->instance, self->ttl_text, third };
    return store_i_exec (self->store, -1, what, sql, nparams, NULL, params, NULL, NULL, 0, diag);
}

void
lease_instance_name (char *out, size_t size)
{
    char host[256] = "";
    gethostname (host, sizeof host - 1);
    snprintf (out, size, "%s:%ld", host, (long) getpid ());
}

int
lease_holder_gone (const char *holder, void *arg)
{
    (void) arg;
    char me[300];
    lease_instance_name (me, sizeof me);
    const char *colon = strrchr (holder, ':'), *mine = strrchr (me, ':');
    if (!colon || !mine || colon - holder != mine - me
        || strncmp (holder, me, (size_t) (colon - holder)) != 0)
        return 0;
    char *end;
    long pid = strtol (colon + 1, &end, 10);
    return *end == '\0' && pid > 0 && kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

int
lease_acquire (lease_t *self, int64_t now_ms, int *held, char *holder, size_t size,
               sg_diag_t *diag)
{
    *held = 0;
    PGresult *res = s_exec (self,
        "INSERT INTO node_lease AS l (holder, expires) VALUES ($1, now() + $2::interval) "
        "ON CONFLICT (only_row) DO UPDATE SET holder = EXCLUDED.holder, "
        "  acquired = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired ELSE now() END, "
        "  expires = EXCLUDED.expires "
        "WHERE l.expires < now() OR l.holder = EXCLUDED.holder "
        "RETURNING holder", 2, NULL, "cannot take the node lease", diag);
    if (!res)
        return SG_EDB;
    *held = PQntuples (res) == 1;
    PQclear (res);
    if (!*held) {
        res = s_exec (self, "SELECT holder, expires FROM node_lease", 0, NULL,
                      "cannot read the node lease", diag);
        if (!res)
            return SG_EDB;
        char who[300] = "";
        if (PQntuples (res) == 1) {
            snprintf (who, sizeof who, "%s", PQgetvalue (res, 0, 0));
            if (holder && size)
                snprintf (holder, size, "%s (until %s)", who, PQgetvalue (res, 0, 1));
        }
        PQclear (res);
        if (who[0] && lease_holder_gone (who, NULL)) {
            res = s_exec (self,
                "UPDATE node_lease SET holder = $1, acquired = now(), "
                "  expires = now() + $2::interval WHERE holder = $3 RETURNING 1",
                3, who, "cannot take the node lease", diag);
            if (!res)
                return SG_EDB;
            *held = PQntuples (res) == 1;
            PQclear (res);
            if (*held)
                sg_log_info ("node lease: took it over from %s, a process of this host that is gone",
                          who);
        }
    }
    if (*held) {
        self->held = 1;
        self->deadline = now_ms + self->ttl_ms * 9 / 10;
    }
    return SG_OK;
}

int
lease_renew (lease_t *self, int64_t now_ms, sg_diag_t *diag)
{
    PGresult *res = s_exec (self,
        "UPDATE node_lease SET expires = now() + $2::interval WHERE holder = $1 RETURNING 1",
        2, NULL, "cannot renew the node lease", diag);
    if (!res)
        return SG_EDB;
    int ours = PQntuples (res) == 1;
    PQclear (res);
    if (!ours) {
        self->held = 0;
        return sg_diag_set (diag, SG_ESEQ, 0, 0, "another process holds the node lease");
    }
    self->deadline = now_ms + self->ttl_ms * 9 / 10;
    return SG_OK;
}

int
lease_valid (const lease_t *self, int64_t now_ms)
{
    return !self || (self->held && now_ms < self->deadline);
}

int64_t
lease_period (const lease_t *self)
{
    return self->ttl_ms / 3 > 0 ? self->ttl_ms / 3 : 1;
}

void
lease_release (lease_t *self)
{
    if (!self || !self->held)
        return;
    PGresult *res = s_exec (self, "DELETE FROM node_lease WHERE holder = $1", 1, NULL,
                            "cannot release the node lease", NULL);
    PQclear (res);
    self->held = 0;
}

const char *
lease_instance (const lease_t *self)
{
    return self->instance;
}
