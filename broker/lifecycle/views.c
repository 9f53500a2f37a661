/* views.c - a lifecycle transaction and the views it holds: BEGIN,
 * loading and locking the views (one SELECT ... FOR UPDATE, in (mrn,
 * office) order so two processes cannot deadlock), finding and adding
 * them, appending events to their hash chains, reading back a view's
 * declaration and events, COMMIT. The bottom of the lifecycle's files:
 * lifecycle/apply.c applies messages to these views, generate.c makes
 * messages from them, write.c writes their rows; it calls none of them. */
#include "lifecycle/lifecycle_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers --------------------------------------------------------- */

int
lc_own (const lifecycle_t *lc, const char *office)
{
    return routes_office_in (office, lc->o.offices, lc->o.offices_n);
}

PGresult *
lc_query (lc_batch_t *b, const char *what, const char *sql, int n, const char *const *values,
          int binary_result)
{
    sg_diag_t d;
    PGresult *r = store_exec (b->store, what, sql, n, values, binary_result, &d);
    if (!r) {
        if (!b->failed)
            sg_diag_set (&b->diag, d.code, 0, 0, "%s", d.text);
        b->failed = 1;
    }
    return r;
}

void
lc_oom (lc_batch_t *b)
{
    if (!b->failed)
        sg_diag_set (&b->diag, SG_ENOMEM, 0, 0, "lifecycle: out of memory");
    b->failed = 1;
}

int
lc_grow (lc_batch_t *b, void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc (*arr, c * sz);
    if (!p) {
        lc_oom (b);
        return -1;
    }
    *arr = p;
    *cap = c;
    return 0;
}

static size_t
s_offices_parse (const char *csv, lc_office_t *list, size_t max)
{
    size_t n = 0;
    while (csv && *csv && n < max) {
        size_t len = strcspn (csv, ",");
        if (len == 8) {
            memcpy (list[n], csv, 8);
            list[n++][8] = '\0';
        }
        csv += len + (csv[len] == ',');
    }
    return n;
}

/* ---- transaction and views ------------------------------------------------- */

int
lc_begin (lc_batch_t *b, lifecycle_t *lc, store_t *store, lifecycle_out_t *out)
{
    memset (b, 0, sizeof *b);
    b->lc = lc;
    b->store = store;
    b->out = out;
    b->now = lc_clock_ms (lc->o.clock_file);
    if (store_begin (store, "cannot begin a lifecycle transaction", &b->diag) != SG_OK)
        b->failed = 1;
    return b->failed ? SG_EDB : SG_OK;
}

static int
s_view_cmp (const char *mrn, const char *office, const lc_view_t *v)
{
    int c = strcmp (mrn, v->mrn);
    return c ? c : strcmp (office, v->office);
}

/* Index where (mrn, office) is or would go. */
static size_t
s_view_pos (lc_batch_t *b, const char *mrn, const char *office, int *found)
{
    size_t lo = 0, hi = b->nviews;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = s_view_cmp (mrn, office, b->views[mid]);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

lc_view_t *
lc_find (lc_batch_t *b, const char *mrn, const char *office)
{
    int found;
    size_t i = s_view_pos (b, mrn, office, &found);
    return found ? b->views[i] : NULL;
}

lc_view_t *
lc_view_add (lc_batch_t *b, const char *mrn, const char *office, lc_role_t role)
{
    int found;
    size_t i = s_view_pos (b, mrn, office, &found);
    if (found)
        return b->views[i];
    if (lc_grow (b, (void **) &b->views, &b->capviews, b->nviews, sizeof *b->views) < 0)
        return NULL;
    lc_view_t *v = calloc (1, sizeof *v);
    if (!v) {
        lc_oom (b);
        return NULL;
    }
    sg_strlcpy (v->mrn, mrn, sizeof v->mrn);
    sg_strlcpy (v->office, office, sizeof v->office);
    v->role = role;
    v->created = b->now;
    memmove (&b->views[i + 1], &b->views[i], (b->nviews - i) * sizeof *b->views);
    b->views[i] = v;
    b->nviews++;
    return v;
}

static int64_t
s_i64 (PGresult *r, int row, int col)
{
    return strtoll (PQgetvalue (r, row, col), NULL, 10);
}

/* The columns of a view as lc_load reads them (21, in s_load_rows' order). */
#define S_VIEW_COLS \
    "mrn, office, role, state, departure, destination," \
    " array_to_string(transit, ','), array_to_string(notified, ',')," \
    " array_to_string(crossed, ','), coalesce(time_limit::text, '')," \
    " coalesce(guarantee_ref, ''), coalesce(guarantee_amount, '')," \
    " coalesce(currency, ''), coalesce(decl_message_id::text, '')," \
    " (extract(epoch FROM created) * 1000)::int8," \
    " coalesce((extract(epoch FROM released) * 1000)::int8, 0)," \
    " coalesce((extract(epoch FROM arrived) * 1000)::int8, 0)," \
    " coalesce((extract(epoch FROM finished) * 1000)::int8, 0)," \
    " (extract(epoch FROM state_since) * 1000)::int8," \
    " events, coalesce(encode(last_hash, 'hex'), '')"

/* Adds the views of result r (S_VIEW_COLS first; a row whose mrn is NULL
 * holds no view); the number added, or -1 (b->failed set). */
static int
s_load_rows (lc_batch_t *b, PGresult *r)
{
    int rows = PQntuples (r), added = 0;
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull (r, i, 0))
            continue;
        int role = lc_role_from_name (PQgetvalue (r, i, 2));
        lc_view_t *v = lc_view_add (b, PQgetvalue (r, i, 0), PQgetvalue (r, i, 1),
                                    role < 0 ? LC_DEPARTURE : (lc_role_t) role);
        if (!v)
            break;
        added++;
        v->stored = 1;
        v->state = lc_state_from_name (PQgetvalue (r, i, 3));
        sg_strlcpy (v->departure, PQgetvalue (r, i, 4), sizeof v->departure);
        sg_strlcpy (v->destination, PQgetvalue (r, i, 5), sizeof v->destination);
        v->n_transit = s_offices_parse (PQgetvalue (r, i, 6), v->transit, LC_MAX_OFFICES);
        v->n_notified = s_offices_parse (PQgetvalue (r, i, 7), v->notified, LC_MAX_OFFICES);
        v->n_crossed = s_offices_parse (PQgetvalue (r, i, 8), v->crossed, LC_MAX_OFFICES);
        sg_strlcpy (v->time_limit, PQgetvalue (r, i, 9), sizeof v->time_limit);
        sg_strlcpy (v->guarantee_ref, PQgetvalue (r, i, 10), sizeof v->guarantee_ref);
        sg_strlcpy (v->guarantee_amount, PQgetvalue (r, i, 11), sizeof v->guarantee_amount);
        sg_strlcpy (v->currency, PQgetvalue (r, i, 12), sizeof v->currency);
        sg_strlcpy (v->decl_id, PQgetvalue (r, i, 13), sizeof v->decl_id);
        v->created = s_i64 (r, i, 14);
        v->released = s_i64 (r, i, 15);
        v->arrived = s_i64 (r, i, 16);
        v->finished = s_i64 (r, i, 17);
        v->state_since = s_i64 (r, i, 18);
        v->events = (int) s_i64 (r, i, 19);
        const char *hex = PQgetvalue (r, i, 20);
        for (int k = 0; k < LC_HASH_LEN && strlen (hex) == 2 * LC_HASH_LEN; k++) {
            unsigned x;
            sscanf (hex + 2 * k, "%2x", &x);
            v->last_hash[k] = (unsigned char) x;
        }
    }
    return b->failed ? -1 : added;
}

int
lc_load (lc_batch_t *b, const char *where, const char *param1, const char *suffix)
{
    char sql[2048];
    snprintf (sql, sizeof sql, "SELECT " S_VIEW_COLS " FROM movement WHERE %s %s", where,
              suffix ? suffix : "");
    const char *params[1] = { param1 };
    PGresult *r = lc_query (b, "cannot read the movements", sql, param1 ? 1 : 0, params, 0);
    if (!r)
        return -1;
    int rows = s_load_rows (b, r);
    PQclear (r);
    return rows;
}

int
lc_load_batch (lc_batch_t *b, const char *mrns, const char *ids, lc_known_fn *known, void *arg)
{
    /* lifecycle_load() (migration 013) locks the views in (mrn, office)
     * order and lists the known ids in its first row; this only turns
     * its rows into S_VIEW_COLS. */
    static const char sql[] =
        "SELECT " S_VIEW_COLS ", l.known FROM lifecycle_load($1::text[], $2::uuid[]) l,"
        " LATERAL (SELECT (l.v_row).*) v";
    const char *params[2] = { mrns, ids };
    PGresult *r = lc_query (b, "cannot read the movements", sql, 2, params, 0);
    if (!r)
        return -1;
    int rows = s_load_rows (b, r);
    for (int i = 0; rows >= 0 && i < PQntuples (r); i++) {
        const char *p = PQgetvalue (r, i, 21);          /* "" when NULL */
        while (*p) {
            size_t len = strcspn (p, ",");
            char id[37];
            if (len < sizeof id) {
                memcpy (id, p, len);
                id[len] = '\0';
                known (arg, id);
            }
            p += len + (p[len] == ',');
        }
    }
    PQclear (r);
    return rows;
}

int
lc_event (lc_batch_t *b, lc_view_t *v, const char *message_id, const char *msg_type,
          lc_state_t to, const char *at_office, int64_t at_ms, const lc_work_t *w)
{
    if (lc_grow (b, (void **) &b->ev, &b->capev, b->nev, sizeof *b->ev) < 0)
        return SG_ENOMEM;
    lc_ev_t *e = &b->ev[b->nev];
    memset (e, 0, sizeof *e);
    sg_strlcpy (e->mrn, v->mrn, sizeof e->mrn);
    sg_strlcpy (e->office, v->office, sizeof e->office);
    sg_strlcpy (e->at_office, at_office, sizeof e->at_office);
    sg_strlcpy (e->message_id, message_id, sizeof e->message_id);
    for (char *p = e->message_id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char) (*p - 'A' + 'a');
    sg_strlcpy (e->msg_type, msg_type, sizeof e->msg_type);
    e->seq = v->events + 1;
    e->from = v->events ? v->state : LC_NONE;
    e->to = to;
    e->at_ms = at_ms;
    if (w) {
        sg_strlcpy (e->officer, w->officer ? w->officer : "", sizeof e->officer);
        lc_sha256_hex (w->body, w->body_len, e->body_hash);
        lc_sha256_hex (w->sig, w->sig_len, e->sig_hash);
    }
    memcpy (e->prev, v->last_hash, LC_HASH_LEN);
    lc_event_t h = { e->mrn, e->office, e->seq, e->message_id, e->msg_type,
                     lc_state_name (e->from), lc_state_name (to), e->at_office, at_ms,
                     e->officer, e->body_hash, e->sig_hash, 2 };
    if (lc_event_hash (e->prev, &h, e->hash) != SG_OK) {
        lc_oom (b);
        return SG_ENOMEM;
    }
    b->nev++;
    memcpy (v->last_hash, e->hash, LC_HASH_LEN);
    v->events++;
    if (to != v->state)
        v->state_since = b->now;
    if (!v->state_since)
        v->state_since = b->now;
    v->state = to;
    if (to == LC_RELEASED && !v->released)
        v->released = b->now;
    if (to == LC_ARRIVED && !v->arrived)
        v->arrived = b->now;
    if (to == LC_DISCHARGED || to == LC_CANCELLED || to == LC_RECOVERY)
        v->finished = b->now;
    v->dirty = 1;
    b->lc->stats.events++;
    return SG_OK;
}

/* ---- read back: a view's declaration and events ---------------------------- */

int
lc_decl (lc_batch_t *b, lc_view_t *v)
{
    if (v->decl)
        return SG_OK;
    if (!v->decl_id[0])
        return SG_ENOTFOUND;
    const char *params[1] = { v->decl_id };
    sg_diag_t qd;
    PGresult *r = store_exec (b->store, "cannot read the declaration",
                              "SELECT body FROM message WHERE id = $1::uuid", 1, params, 1, &qd);
    int rc = SG_ENOTFOUND;
    if (r && PQntuples (r) == 1) {
        sg_diag_t d;
        if (sg_msg_parse (PQgetvalue (r, 0, 0), (size_t) PQgetlength (r, 0, 0), NULL, &v->decl_own,
                       &d) == SG_OK
            && sg_msg_type_has_declaration (v->decl_own->type)) {
            v->decl = v->decl_own;
            rc = SG_OK;
        }
        else
            sg_log_error ("lifecycle: declaration %s of %s unreadable: %s", v->decl_id, v->mrn,
                       d.text);
    }
    else
        sg_log_error ("lifecycle: declaration %s of %s not found%s%s", v->decl_id, v->mrn,
                   r ? "" : ": ", r ? "" : qd.text);
    PQclear (r);
    return rc;
}

int
lc_events (lc_batch_t *b, const lc_view_t *v, lc_visit_fn *fn, void *arg)
{
    const char *params[2] = { v->mrn, v->office };
    PGresult *r = lc_query (b, "cannot read the events",
        "SELECT message_id::text, coalesce(from_state, ''), to_state, at_office,"
        " (extract(epoch FROM at) * 1000)::int8 FROM movement_event"
        " WHERE mrn = $1 AND office = $2 ORDER BY seq", 2, params, 0);
    if (!r) {
        sg_log_error ("lifecycle: %s of %s", b->diag.text, v->mrn);
        return SG_EDB;
    }
    for (int i = 0; i < PQntuples (r); i++)
        fn (arg, PQgetvalue (r, i, 0), PQgetvalue (r, i, 1), PQgetvalue (r, i, 2),
            PQgetvalue (r, i, 3), strtoll (PQgetvalue (r, i, 4), NULL, 10));
    PQclear (r);
    for (size_t i = 0; i < b->nev; i++) {
        const lc_ev_t *e = &b->ev[i];
        if (strcmp (e->mrn, v->mrn) == 0 && strcmp (e->office, v->office) == 0)
            fn (arg, e->message_id, lc_state_name (e->from), lc_state_name (e->to), e->at_office,
                e->at_ms);
    }
    return SG_OK;
}

int
lc_end (lc_batch_t *b, int rc)
{
    if (rc == SG_OK && b->failed)
        rc = b->diag.code ? b->diag.code : SG_EDB;
    if (rc != SG_OK)
        store_rollback (b->store);
    else if (store_commit (b->store, "cannot commit the lifecycle transaction", &b->diag) != SG_OK) {
        b->failed = 1;
        rc = SG_EDB;
    }
    for (size_t i = 0; i < b->nviews; i++) {
        sg_msg_destroy (&b->views[i]->decl_own);
        free (b->views[i]);
    }
    free (b->views);
    free (b->ev);
    free (b->rej);
    for (size_t i = 0; i < b->ninc; i++)
        free (b->inc[i].text);
    free (b->inc);
    b->views = NULL;
    b->ev = NULL;
    b->rej = NULL;
    b->inc = NULL;
    b->nviews = b->nev = b->nrej = b->ninc = 0;
    return rc;
}
