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

/* A message id of the batch and its index, sorted by (id, index). */
typedef struct {
    const char *id;
    size_t i;
} s_key_t;

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    int c = strcasecmp (x->id, y->id);
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

typedef struct {
    const s_key_t *keys;
    size_t n;
    char *skip;
} s_known_t;

/* lc_known_fn: the database holds id: skip its first sighting (the
 * repeats are skipped already). */
static void
s_known (void *arg, const char *id)
{
    s_known_t *k = arg;
    size_t lo = 0, hi = k->n;               /* first index of id in sorted order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcasecmp (k->keys[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < k->n && strcasecmp (k->keys[lo].id, id) == 0)
        k->skip[k->keys[lo].i] = 1;
}

/* Loads and locks the views of the batch's MRNs (mrns, a text[] literal)
 * and sets skip[i] = 1 for repeats of an id earlier in the batch and for
 * ids the database already holds: only first sightings are applied. One
 * statement; b->failed on error. */
static void
s_load (lc_batch_t *b, const store_msg_t *msgs, size_t n, const char *mrns, char *skip)
{
    s_key_t *keys = malloc (n * sizeof *keys);
    char *lit = malloc (n * 38 + 3);        /* ids as a uuid[] literal: no quoting needed */
    if (!keys || !lit) {
        lc_oom (b);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (s_key_t) { msgs[i].id, i };
    qsort (keys, n, sizeof *keys, s_key_cmp);
    for (size_t k = 1; k < n; k++)
        if (strcasecmp (keys[k].id, keys[k - 1].id) == 0)
            skip[keys[k].i] = 1;
    char *p = lit;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen (msgs[i].id, 36);
        if (i)
            *p++ = ',';
        memcpy (p, msgs[i].id, len);
        p += len;
    }
    *p++ = '}';
    *p = '\0';
    s_known_t k = { keys, n, skip };
    lc_load_batch (b, mrns, lit, s_known, &k);
done:
    free (lit);
    free (keys);
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
        size_t len = strnlen (msgs[i].mrn, 18);
        if (!first)
            *p++ = ',';
        memcpy (p, msgs[i].mrn, len);
        p += len;
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
        s_load (&b, msgs, n, mrns, skip);
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
    if (rc == SG_OK) {
        /* what the store says of each (store_msg_t's outs) */
        for (size_t i = 0; i < n; i++) {
            msgs[i].duplicate = all[i].duplicate;
            msgs[i].seq = all[i].seq;
            msgs[i].claimed = all[i].claimed;
        }
        for (size_t k = out0; k < out->n; k++)
            out->gen[k]->sm.seq = all[n + (k - out0)].seq;
    }
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
