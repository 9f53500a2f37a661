/* tracker.c - the tracker object and lifecycle_commit: one intake
 * batch stored and applied to the movement views in one transaction. */
#include "lifecycle/lifecycle_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

lifecycle_t *
lifecycle_new (const lifecycle_opts_t *opts)
{
    lifecycle_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->o = *opts;
    return self;
}

void
lifecycle_destroy (lifecycle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

void
lifecycle_stats (const lifecycle_t *self, lifecycle_stats_t *out)
{
    memset (out, 0, sizeof *out);
    if (self)
        *out = self->stats;
}

static const store_msg_t *s_sort_msgs;

static int
s_idx_cmp (const void *a, const void *b)
{
    size_t x = *(const size_t *) a, y = *(const size_t *) b;
    int c = strcasecmp (s_sort_msgs[x].id, s_sort_msgs[y].id);
    return c ? c : (x < y ? -1 : x > y);
}

/* skip[i] = 1 for repeats of an id earlier in the batch and for ids the
 * database already holds: only first sightings are applied. */
static int
s_mark_known (lc_batch_t *b, const store_msg_t *msgs, size_t n, char *skip)
{
    size_t *idx = malloc (n * sizeof *idx);
    if (!idx)
        return SG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    s_sort_msgs = msgs;
    qsort (idx, n, sizeof *idx, s_idx_cmp);
    for (size_t k = 1; k < n; k++)
        if (strcasecmp (msgs[idx[k]].id, msgs[idx[k - 1]].id) == 0)
            skip[idx[k]] = 1;
    /* ids as a text array literal: UUIDs need no quoting */
    size_t len = n * 38 + 3;
    char *lit = malloc (len), *p = lit;
    if (!lit) {
        free (idx);
        return SG_ENOMEM;
    }
    *p++ = '{';
    for (size_t i = 0; i < n; i++)
        p += snprintf (p, len - (size_t) (p - lit), "%s%s", i ? "," : "", msgs[i].id);
    *p++ = '}';
    *p = '\0';
    const char *params[1] = { lit };
    PGresult *r = lc_query (b, "cannot look up message ids",
                            "SELECT id::text FROM message WHERE id = ANY($1::uuid[])", 1, params, 0);
    int rc = SG_OK;
    if (!r)
        rc = SG_EDB;
    else
        for (int row = 0; row < PQntuples (r); row++) {
            const char *id = PQgetvalue (r, row, 0);
            size_t lo = 0, hi = n;          /* first index of id in sorted order */
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcasecmp (msgs[idx[mid]].id, id) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < n && strcasecmp (msgs[idx[lo]].id, id) == 0)
                skip[idx[lo]] = 1;
        }
    PQclear (r);
    free (lit);
    free (idx);
    return rc;
}

/* The distinct MRNs of the batch as a text array literal (MRNs are
 * [0-9A-Z]: no quoting needed); NULL when out of memory. */
static char *
s_mrn_literal (const store_msg_t *msgs, const lifecycle_in_t *in, size_t n)
{
    char *lit = malloc (n * 20 + 3), *p = lit;
    if (!lit)
        return NULL;
    *p++ = '{';
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!in[i].msg)
            continue;
        p += sprintf (p, "%s%s", first ? "" : ",", msgs[i].mrn);
        first = 0;
    }
    *p++ = '}';
    *p = '\0';
    return lit;
}

/* One attempt: SG_OK (committed), SG_EAGAIN-like -1 (a racing process
 * stored one of our messages first: try again), or an error. */
static int
s_attempt (lifecycle_t *self, store_t *store, store_msg_t *msgs, const lifecycle_in_t *in,
           size_t n, lifecycle_out_t *out, sg_diag_t *diag, int *race)
{
    lc_batch_t b;
    size_t out0 = out->n;
    store_msg_t *all = NULL;
    char *skip = calloc (n, 1), *applied = calloc (n, 1);
    char *mrns = s_mrn_literal (msgs, in, n);
    int rc = lc_begin (&b, self, store, out);
    *race = 0;
    if (!skip || !applied || !mrns) {
        b.failed = 1;
        sg_diag_set (&b.diag, SG_ENOMEM, 0, 0, "lifecycle: out of memory");
    }
    if (rc == SG_OK && !b.failed)
        lc_load (&b, "mrn = ANY($1::text[])", mrns, "ORDER BY mrn, office FOR UPDATE");
    if (!b.failed)
        s_mark_known (&b, msgs, n, skip);
    for (size_t i = 0; i < n && !b.failed; i++) {
        if (!in[i].msg || skip[i])
            continue;
        lc_work_t w = { .type = in[i].msg->type, .id = msgs[i].id, .mrn = msgs[i].mrn,
                        .sender = msgs[i].sender, .recipient = msgs[i].recipient,
                        .msg = in[i].msg, .corr = msgs[i].correlation_id,
                        .officer = in[i].officer, .body = msgs[i].body,
                        .body_len = msgs[i].body_len, .sig = msgs[i].signature,
                        .sig_len = msgs[i].signature_len };
        int consumed = 0;
        int nak = lc_apply (&b, &w, &consumed);
        applied[i] = 1;
        if (nak || consumed)
            msgs[i].next_hop = NULL;
        else if (in[i].from_adapter && msgs[i].next_hop && lc_own (self, msgs[i].recipient)
                 && (strcmp (msgs[i].sender, msgs[i].recipient) == 0
                     || (msgs[i].from_peer && strcmp (msgs[i].next_hop, msgs[i].from_peer) == 0)))
            msgs[i].next_hop = NULL;        /* for this node itself: not echoed back */
    }
    /* What the lifecycle made applies too (the WOF that discharges, an AAR
     * to an office of this same node); it may make more, appended. */
    lc_apply_made (&b, out0);
    size_t total = n + (out->n - out0);
    if (!b.failed && !(all = malloc (total * sizeof *all))) {
        b.failed = 1;
        sg_diag_set (&b.diag, SG_ENOMEM, 0, 0, "lifecycle: out of memory");
    }
    if (b.failed) {
        rc = lc_end (&b, SG_EDB);
        *diag = b.diag;
        goto done;
    }
    memcpy (all, msgs, n * sizeof *all);
    for (size_t k = out0; k < out->n; k++)
        all[n + (k - out0)] = out->gen[k]->sm;
    rc = store_accept (store, all, total, diag);
    if (rc == SG_OK)
        for (size_t i = 0; i < n; i++)
            if (applied[i] && all[i].duplicate)
                *race = 1;
    if (rc == SG_OK && !*race)
        rc = lc_write (&b);
    if (rc == SG_OK && *race)
        rc = SG_EDB;
    int brc = lc_end (&b, rc);
    if (rc == SG_OK && brc != SG_OK) {
        rc = brc;
        *diag = b.diag;
    }
    else if (rc == SG_EDB && b.failed)
        *diag = b.diag;
    if (rc == SG_OK)
        for (size_t i = 0; i < n; i++)
            msgs[i].duplicate = all[i].duplicate;
    else if (rc == SG_EINVAL && (diag->line < 1 || (size_t) diag->line > n))
        rc = SG_EDB;                        /* a message we made: a bug, not the sender's */
done:
    if (rc != SG_OK)
        lc_gen_truncate (out, out0);
    free (all);
    free (skip);
    free (applied);
    free (mrns);
    return rc;
}

int
lifecycle_commit (lifecycle_t *self, store_t *store, store_msg_t *msgs,
                  const lifecycle_in_t *in, size_t n, lifecycle_out_t *out, sg_diag_t *diag)
{
    int any = 0;
    for (size_t i = 0; self && in && i < n && !any; i++)
        any = in[i].msg && (lc_own (self, msgs[i].sender) || lc_own (self, msgs[i].recipient));
    if (!any)
        return store_accept (store, msgs, n, diag);
    if (store_ready (store, diag) != SG_OK)
        return SG_EDB;
    const char **hops = malloc (n * sizeof *hops);
    if (!hops)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        hops[i] = msgs[i].next_hop;
    int rc = SG_EDB;
    for (int attempt = 0; attempt < 3; attempt++) {
        int race = 0;
        rc = s_attempt (self, store, msgs, in, n, out, diag, &race);
        if (rc == SG_OK || !race)
            break;
        self->stats.retries++;
        for (size_t i = 0; i < n; i++)
            msgs[i].next_hop = hops[i];
        sg_diag_set (diag, SG_EDB, 0, 0, "another process stored part of this batch first");
    }
    if (rc != SG_OK)
        for (size_t i = 0; i < n; i++)
            msgs[i].next_hop = hops[i];
    free (hops);
    return rc;
}
