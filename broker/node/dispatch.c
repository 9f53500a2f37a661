/* dispatch.c - per-hop outgoing queues. Each hop keeps two lists in
 * acceptance order: queued (not yet sent) and in flight (sent, waiting for
 * ACK), one hash on message id over both and one hash on MRN over the in
 * flight list (the "one unacknowledged message per MRN" rule).
 *
 * Memory stays bounded: a hop holds at most queue_max messages. While a
 * hop is "caught up" (everything undelivered for it is in memory) new
 * messages go straight to its queue; once it overflows, it is in
 * "backlog" and new messages are left in the database, to be paged in by
 * seq (the partial index delivery_pending) as the queue drains. Messages
 * appended in memory carry no seq, so a page may return rows already held:
 * they are skipped by id. Acknowledgements are written to the database
 * before every page, so a page never brings back a message just ACKed.
 *
 * Claims (several active processes on one database): a page also claims
 * the (hop, MRN) pairs of the rows it reads and keeps only the rows of the
 * pairs it holds, so memory holds only this process's MRNs and the MRN
 * rule above holds across processes. Each hop counts its entries per
 * claimed MRN; a claim with no entry left is given up (when the hop is
 * caught up), all of a hop's claims when its link goes down, and every
 * claim when they could not be renewed in time (the memory is then
 * emptied and read again: another process may have taken them). Claims
 * left expired by a dead process are taken over before a page, and the
 * hop is then read from the start, so their oldest rows come first. With
 * other processes at work, a message stored here joins the queue only
 * when no older undelivered message of its MRN is missing from memory
 * (s_claim_held), and a page that reaches the end of the queue checks its
 * rows the same way (s_page_missed); otherwise the hop is read from the
 * start, what it holds queued put back (s_hop_reread). And since a
 * page can read past a row not yet committed (another process's later row
 * committed first), a message handed over in backlog behind the cursor
 * moves the cursor back before it. */
#include "node/dispatch.h"
#include "node/store_claim.h"
#include "hash.h"
#include "list.h"
#include "log.h"
#include "monitor/metrics.h"
#include "rto.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_LOOKAHEAD 1024        /* queued entries skipped (MRN busy) per pass */
#define S_ACK_CHUNK 1000        /* ids per store_delivered statement */
#define S_IDLE_RELEASE 1024     /* idle claims of a hop given up without waiting for a renewal */
#define S_BLOCKED_RETRY_MS 10   /* a link whose socket was full */

typedef struct s_ent {
    struct s_ent *prev, *next;  /* queued or in-flight list */
    struct s_ent *id_next;      /* id hash chain */
    struct s_ent *mrn_next;     /* MRN hash chain (in flight only) */
    char id[37];
    char mrn[19];
    int inflight;
    int attempts;
    int sends;                  /* sent by this process (Karn: sample only when 1) */
    int64_t due;
    int64_t sent_at;            /* last transmission */
    size_t hlen, blen, slen;
    char data[];                /* header, body, signature */
} s_ent_t;

typedef struct {
    s_ent_t *head, *tail;
    size_t n;
} s_list_t;

typedef struct {
    s_ent_t **b;
    size_t nb, n;
    int by_mrn;
} s_tab_t;

/* A claimed MRN of a hop and how many of its entries are in memory. */
typedef struct s_claim {
    struct s_claim *next;
    size_t count;
    int recent;                 /* had an entry since the last renewal */
    char mrn[19];
} s_claim_t;

typedef struct {
    s_claim_t **b;
    size_t nb, n;
    size_t idle;                /* claims with no entry in memory */
} s_claims_t;

typedef struct {
    char name[64];
    int up, window, backlog, dirty;
    s_claims_t claims;          /* claims on: the MRNs this process holds here */
    s_list_t hold;              /* claims on: just stored here, MRN not claimed yet */
    int release_all;            /* claims on: give the hop's claims up */
    int64_t page_at;            /* claims on: read the queue then at the latest */
    int after_handover;         /* caught up in backlog: page again after the hand-over */
    long long cursor;
    s_list_t queued, inflight;
    s_tab_t ids, mrns;
    int64_t next_due;           /* earliest resend, INT64_MAX if none */
    int64_t retry_at;           /* the link was full: try again then (0: not blocked) */
    char (*acked)[37];          /* ids to mark delivered in the database */
    size_t acked_n, acked_cap;
    char (*acked_else)[37];     /* claims on: ACKed ids not in flight here */
    size_t acked_else_n, acked_else_cap;
    char (*retried)[37];        /* ids resent, to count as attempts */
    size_t retried_n, retried_cap;
    uint64_t sent, resent, nacked, dead;
    rto_t rto;                  /* resend timeout from this hop's round trips */
} s_hop_t;

struct dispatch_t {
    store_t *store;
    dispatch_opts_t o;
    dispatch_send_fn *send;
    void *arg;
    s_hop_t **hops;
    size_t nhops;
    int64_t db_retry_at;        /* after a database error, wait before the next try */
    int claims_on;
    int claims_lost;            /* memory emptied: give every claim up first */
    int alone;                  /* no other process of this node at work (store_claim_alone) */
    int release_idle;           /* give up the claims with nothing in memory */
    int64_t claim_deadline;     /* send only before this (monotonic ms) */
    int64_t next_renew;
    int renewing;               /* a renewal is out (s_claims_renew) */
    int64_t renew_sent;         /* ... sent then */
    unsigned epoch;             /* dispatch_claim_epoch */
    int handovers;              /* commits whose messages are not handed over yet */
};

#define S_DB_RETRY_MS 1000

/* ---- hash tables ------------------------------------------------------ */

static size_t
s_hash (const char *s)
{
    return (size_t) sg_hash_str (s);
}

static s_ent_t **
s_chain (s_tab_t *t, s_ent_t *e)
{
    return t->by_mrn ? &e->mrn_next : &e->id_next;
}

static const char *
s_key (const s_tab_t *t, const s_ent_t *e)
{
    return t->by_mrn ? e->mrn : e->id;
}

static int
s_tab_grow (s_tab_t *t)
{
    size_t nb = t->nb ? t->nb * 2 : 64;
    s_ent_t **b = calloc (nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < t->nb; i++)
        for (s_ent_t *e = t->b[i], *next; e; e = next) {
            next = *s_chain (t, e);
            size_t k = s_hash (s_key (t, e)) & (nb - 1);
            *s_chain (t, e) = b[k];
            b[k] = e;
        }
    free (t->b);
    t->b = b;
    t->nb = nb;
    return 0;
}

static int
s_tab_put (s_tab_t *t, s_ent_t *e)
{
    if (t->n >= t->nb && s_tab_grow (t) != 0)
        return -1;
    size_t k = s_hash (s_key (t, e)) & (t->nb - 1);
    *s_chain (t, e) = t->b[k];
    t->b[k] = e;
    t->n++;
    return 0;
}

static s_ent_t *
s_tab_get (const s_tab_t *t, const char *key)
{
    if (!t->nb)
        return NULL;
    for (s_ent_t *e = t->b[s_hash (key) & (t->nb - 1)]; e; e = t->by_mrn ? e->mrn_next : e->id_next)
        if (strcmp (s_key (t, e), key) == 0)
            return e;
    return NULL;
}

static void
s_tab_del (s_tab_t *t, s_ent_t *e)
{
    if (!t->nb)
        return;
    s_ent_t **pp = &t->b[s_hash (s_key (t, e)) & (t->nb - 1)];
    while (*pp && *pp != e)
        pp = s_chain (t, *pp);
    if (*pp) {
        *pp = *s_chain (t, e);
        t->n--;
    }
}

/* ---- claimed MRNs ------------------------------------------------------ */

static s_claim_t *
s_claim_get (const s_claims_t *t, const char *mrn)
{
    if (!t->nb)
        return NULL;
    for (s_claim_t *c = t->b[s_hash (mrn) & (t->nb - 1)]; c; c = c->next)
        if (strcmp (c->mrn, mrn) == 0)
            return c;
    return NULL;
}

/* The claim of mrn, added if new; NULL when out of memory. */
static s_claim_t *
s_claim_add (s_claims_t *t, const char *mrn)
{
    s_claim_t *c = s_claim_get (t, mrn);
    if (c)
        return c;
    if (t->n >= t->nb) {
        size_t nb = t->nb ? t->nb * 2 : 64;
        s_claim_t **b = calloc (nb, sizeof *b);
        if (!b)
            return NULL;
        for (size_t i = 0; i < t->nb; i++)
            for (s_claim_t *x = t->b[i], *next; x; x = next) {
                next = x->next;
                size_t k = s_hash (x->mrn) & (nb - 1);
                x->next = b[k];
                b[k] = x;
            }
        free (t->b);
        t->b = b;
        t->nb = nb;
    }
    if (!(c = calloc (1, sizeof *c)))
        return NULL;
    sg_strlcpy (c->mrn, mrn, sizeof c->mrn);
    size_t k = s_hash (mrn) & (t->nb - 1);
    c->next = t->b[k];
    t->b[k] = c;
    t->n++;
    t->idle++;
    return c;
}

/* Forgets every claim (keep_busy: except those with entries in memory
 * or used since the last renewal). */
static void
s_claims_clear (s_claims_t *t, int keep_busy)
{
    t->idle = 0;
    for (size_t i = 0; i < t->nb; i++)
        for (s_claim_t **pp = &t->b[i]; *pp;) {
            s_claim_t *c = *pp;
            if (keep_busy && (c->count || c->recent)) {
                t->idle += !c->count;
                pp = &c->next;
                continue;
            }
            *pp = c->next;
            free (c);
            t->n--;
        }
    if (!keep_busy) {
        free (t->b);
        t->b = NULL;
        t->nb = 0;
    }
}

/* ---- lists and entries -------------------------------------------------- */

static void
s_push (s_list_t *l, s_ent_t *e)
{
    SG_LIST_PUSH (l, e);
}

static void
s_unlink (s_list_t *l, s_ent_t *e)
{
    SG_LIST_REMOVE (l, e);
}

/* Lowercase copy of a UUID, so ids from headers, ACKs and the database match. */
static void
s_idcpy (char out[37], const char *id)
{
    size_t i = 0;
    for (; id[i] && i < 36; i++)
        out[i] = (char) tolower ((unsigned char) id[i]);
    out[i] = '\0';
}

/* Removes e from its hop entirely and frees it. */
static void
s_ent_drop (s_hop_t *h, s_ent_t *e)
{
    s_tab_del (&h->ids, e);
    if (e->inflight) {
        s_tab_del (&h->mrns, e);
        s_unlink (&h->inflight, e);
    }
    else
        s_unlink (&h->queued, e);
    s_claim_t *c = s_claim_get (&h->claims, e->mrn);
    if (c && c->count && --c->count == 0)
        h->claims.idle++;
    free (e);
}

static s_ent_t *
s_ent_new (const char *id, const char *mrn, const char *hdr, size_t hlen, const char *body,
           size_t blen, const unsigned char *sig, size_t slen)
{
    s_ent_t *e = malloc (sizeof *e + hlen + blen + slen);
    if (!e)
        return NULL;
    memset (e, 0, sizeof *e);
    s_idcpy (e->id, id);
    sg_strlcpy (e->mrn, mrn, sizeof e->mrn);
    e->hlen = hlen;
    e->blen = blen;
    e->slen = slen;
    memcpy (e->data, hdr, hlen);
    memcpy (e->data + hlen, body, blen);
    if (slen)
        memcpy (e->data + hlen + blen, sig, slen);
    return e;
}

/* Appends e to the hop's queue (claimed: counted under its MRN's claim);
 * frees it and returns -1 if already held or out of memory. */
static int
s_append (s_hop_t *h, s_ent_t *e, int claimed)
{
    s_claim_t *c = claimed ? s_claim_add (&h->claims, e->mrn) : NULL;
    if ((claimed && !c) || s_tab_get (&h->ids, e->id) || s_tab_put (&h->ids, e) != 0) {
        free (e);
        return -1;
    }
    if (c && c->count++ == 0)
        h->claims.idle--;
    if (c)
        c->recent = 1;
    s_push (&h->queued, e);
    h->dirty = 1;
    return 0;
}

/* ---- hops ------------------------------------------------------------- */

static void
s_hop_free (s_hop_t *h)
{
    s_list_t *lists[3] = { &h->queued, &h->inflight, &h->hold };
    for (int i = 0; i < 3; i++)
        while (lists[i]->head) {
            s_ent_t *e = lists[i]->head;
            s_unlink (lists[i], e);
            free (e);
        }
    free (h->ids.b);
    free (h->mrns.b);
    s_claims_clear (&h->claims, 0);
    free (h->acked);
    free (h->acked_else);
    free (h->retried);
    free (h);
}

static s_hop_t *
s_hop_find (const dispatch_t *self, const char *name)
{
    for (size_t i = 0; i < self->nhops; i++)
        if (strcmp (self->hops[i]->name, name) == 0)
            return self->hops[i];
    return NULL;
}

/* The hop called name, created (in backlog: the database may hold rows
 * for it) if new; NULL when out of memory or for a bad name. */
static s_hop_t *
s_hop_get (dispatch_t *self, const char *name)
{
    s_hop_t *h = s_hop_find (self, name);
    if (h)
        return h;
    if (!name[0] || strlen (name) >= sizeof h->name)
        return NULL;
    s_hop_t **hops = realloc (self->hops, (self->nhops + 1) * sizeof *hops);
    if (!hops)
        return NULL;
    self->hops = hops;
    if (!(h = calloc (1, sizeof *h)))
        return NULL;
    strcpy (h->name, name);
    h->mrns.by_mrn = 1;
    h->backlog = 1;
    h->window = self->o.window;
    h->next_due = INT64_MAX;
    rto_init (&h->rto, self->o.resend_ms, self->o.backoff_max_ms);
    self->hops[self->nhops++] = h;
    return h;
}

/* Appends id to a growable list of ids; -1 when out of memory. */
static int
s_idlist_add (char (**list)[37], size_t *n, size_t *cap, const char *id)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        char (*l)[37] = realloc (*list, c * sizeof *l);
        if (!l)
            return -1;
        *list = l;
        *cap = c;
    }
    s_idcpy ((*list)[(*n)++], id);
    return 0;
}

dispatch_t *
dispatch_new (store_t *store, const dispatch_opts_t *opts, dispatch_send_fn *send, void *arg)
{
    dispatch_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->o = *opts;
    if (self->o.window <= 0)
        self->o.window = 64;
    if (self->o.resend_ms <= 0)
        self->o.resend_ms = 5000;
    if (self->o.backoff_max_ms < self->o.resend_ms)
        self->o.backoff_max_ms = self->o.resend_ms;
    if (self->o.queue_max < 2)
        self->o.queue_max = 2;
    if (self->o.page_size == 0)
        self->o.page_size = 500;
    self->claims_on = self->o.claim_holder && self->o.claim_holder[0];
    if (self->claims_on && self->o.claim_ttl_ms < 30)
        self->o.claim_ttl_ms = 15000;
    if (self->claims_on && self->o.claim_poll_ms <= 0)
        self->o.claim_poll_ms = 200;
    self->claims_lost = 1;      /* nothing held yet: the first renew starts clean */
    self->send = send;
    self->arg = arg;
    return self;
}

void
dispatch_destroy (dispatch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dispatch_t *self = *self_p;
    for (size_t i = 0; i < self->nhops; i++)
        s_hop_free (self->hops[i]);
    free (self->hops);
    free (self);
    *self_p = NULL;
}

int
dispatch_add_hop (dispatch_t *self, const char *hop)
{
    return s_hop_get (self, hop) ? SG_OK : SG_ENOMEM;
}

int
dispatch_enqueue_msg (dispatch_t *self, const store_msg_t *sm)
{
    if (!sm->next_hop)
        return SG_OK;
    return dispatch_enqueue (self, sm->next_hop, sm->id, sm->mrn, sm->seq, sm->claimed,
                             sm->header, sm->header_len, sm->body, sm->body_len,
                             sm->signature, sm->signature_len);
}

const char *
dispatch_intake_claim (const dispatch_t *self, const char *hop, const char *mrn,
                       int64_t *ttl_ms)
{
    const s_hop_t *h = self->claims_on && self->alone ? s_hop_find (self, hop) : NULL;
    if (!h || !h->up || h->backlog || h->release_all || self->claims_lost
        || !dispatch_claims_valid (self, sg_clock_ms ()) || s_claim_get (&h->claims, mrn))
        return NULL;
    *ttl_ms = self->o.claim_ttl_ms;
    return self->o.claim_holder;
}

unsigned
dispatch_claim_epoch (const dispatch_t *self)
{
    return self->epoch;
}

int
dispatch_enqueue (dispatch_t *self, const char *hop, const char *id, const char *mrn,
                  long long seq, int claimed, const char *hdr, size_t hlen, const char *body,
                  size_t blen, const unsigned char *sig, size_t slen)
{
    s_hop_t *h = s_hop_get (self, hop);
    if (!h)
        return SG_ENOMEM;
    if (claimed && self->claims_on && self->alone)
        s_claim_add (&h->claims, mrn);  /* ours now, idle until its message is queued */
    if (h->backlog && seq > 0 && seq <= h->cursor) {
        /* A page read past it before it committed (another process's
         * rows with a higher seq committed first): the next page starts
         * before it, or a newer message of its MRN that the pages find
         * could go first. */
        char lid[37];
        s_idcpy (lid, id);
        if (!s_tab_get (&h->ids, lid))
            h->cursor = seq - 1;
    }
    if (h->backlog)
        return SG_OK;
    if (h->queued.n + h->inflight.n + h->hold.n >= self->o.queue_max) {
        h->backlog = 1;         /* from here on the database holds the tail */
        return SG_OK;
    }
    s_ent_t *e = s_ent_new (id, mrn, hdr, hlen, body, blen, sig, slen);
    if (!e) {
        h->backlog = 1;
        return SG_ENOMEM;
    }
    if (self->claims_on && (!self->alone || !s_claim_get (&h->claims, mrn))) {
        /* Not ours (yet), or another process at work may have stored older
         * messages of it: held until the next pump, which claims the MRN
         * with the message in hand (a page might not see it: another
         * process's rows committed first may have moved the cursor past
         * it) and checks for older ones. Only while caught up: in backlog,
         * older rows of its MRN may wait unread. */
        s_push (&h->hold, e);
        return SG_OK;
    }
    s_append (h, e, self->claims_on);
    return SG_OK;
}

void
dispatch_handover (dispatch_t *self, int delta)
{
    self->handovers += delta;
    if (self->handovers == 0)
        for (size_t i = 0; i < self->nhops; i++)
            self->hops[i]->after_handover = 0;
}

/* h reads its queue again from the start, because a row older than some
 * it holds may have been missed. What it holds queued (not sent yet) goes
 * back to the database too, so that the pages bring it back after such a
 * row, in seq order; what is in flight stays. */
static void
s_hop_reread (s_hop_t *h)
{
    while (h->queued.head)
        s_ent_drop (h, h->queued.head);
    h->cursor = 0;
    h->backlog = 1;
}

/* Whether any of ids[0..n) (undelivered rows of MRNs h holds, stored
 * before the messages it holds unsent) is missing from h's memory: stored
 * by another process, committed after a page read past its seq or never
 * claimed (the process died first), they must go first: h then reads its
 * queue from the start (1). */
static int
s_older_first (s_hop_t *h, char (*ids)[37], size_t n)
{
    size_t i = 0;
    while (i < n && s_tab_get (&h->ids, ids[i]))
        i++;
    if (i == n)
        return 0;
    sg_log_info ("dispatch: %s: older messages of MRNs held here wait in the database;"
                 " reading the queue from the start", h->name);
    s_hop_reread (h);
    return 1;
}

/* Passes the messages h holds unsent to its queue, in the order they
 * came, for the MRNs this process holds or claims now, unless another
 * process delivered them meanwhile (it held the MRN, sent the message
 * from the database before it was handed over here, and gave the claim
 * up); the others are left to their holder (asked to read its queue
 * again). With other processes at work, all go through here, not only
 * new MRNs, since another process may have stored older messages of them
 * (s_older_first). SG_OK or SG_EDB (kept for next time). */
static int
s_claim_held (dispatch_t *self, s_hop_t *h)
{
    size_t n = h->hold.n, nc = 0, nw = 0, nolder = 0;
    const char **mrns = malloc (n * sizeof *mrns), **ids = malloc (n * sizeof *ids);
    unsigned char *won = malloc (n), *got = malloc (n), *queued = malloc (n);
    char (*older)[37] = NULL;
    int rc = mrns && ids && won && got && queued ? SG_OK : SG_ENOMEM;
    size_t i = 0;
    for (s_ent_t *e = h->hold.head; rc == SG_OK && e; e = e->next, i++)
        if (!(won[i] = s_claim_get (&h->claims, e->mrn) != NULL))
            mrns[nc++] = e->mrn;
    sg_diag_t d;
    if (rc == SG_OK && nc)
        rc = store_claim_mrns (self->store, h->name, self->o.claim_holder, self->o.claim_ttl_ms,
                               mrns, nc, got, &d);
    i = nc = 0;
    for (s_ent_t *e = h->hold.head; rc == SG_OK && e; e = e->next, i++) {
        if (!won[i])
            won[i] = got[nc++];
        if (won[i])
            ids[nw++] = e->id;
    }
    if (rc == SG_OK && nw)
        rc = store_undelivered (self->store, h->name, ids, nw, queued,
                                self->alone ? NULL : &older, &nolder, &d);
    if (rc == SG_OK)
        s_older_first (h, older, nolder);
    else if (rc == SG_EDB)
        sg_log_error ("%s", d.text);
    for (i = nw = 0; rc == SG_OK && h->hold.head; i++) {
        s_ent_t *e = h->hold.head;
        s_unlink (&h->hold, e);
        /* In backlog (older messages wait in the database), a page from
         * the start sends all in order, these too. */
        if (won[i] && queued[nw++] && !h->backlog)
            s_append (h, e, 1);
        else {
            if (won[i])
                s_claim_add (&h->claims, e->mrn);   /* idle: given up with the others */
            free (e);
        }
    }
    free (mrns);
    free (ids);
    free (won);
    free (got);
    free (queued);
    free (older);
    return rc == SG_ENOMEM ? SG_OK : rc;
}

/* Empties h's memory (the database holds it all) to read it again from
 * the start; its claims are forgotten here (the caller gives them up). */
static void
s_hop_forget (dispatch_t *self, s_hop_t *h)
{
    self->epoch++;
    s_list_t *lists[2] = { &h->queued, &h->inflight };
    for (int i = 0; i < 2; i++)
        while (lists[i]->head)
            s_ent_drop (h, lists[i]->head);
    while (h->hold.head) {
        s_ent_t *e = h->hold.head;
        s_unlink (&h->hold, e);
        free (e);
    }
    s_claims_clear (&h->claims, 0);
    h->cursor = 0;
    h->backlog = 1;
    h->page_at = 0;
    h->next_due = INT64_MAX;
}

void
dispatch_link (dispatch_t *self, const char *hop, int up, int window)
{
    s_hop_t *h = s_hop_get (self, hop);
    if (!h)
        return;
    h->up = up;
    if (!up && self->claims_on) {
        /* What was in flight here is sent again by whoever claims it next
         * (the receiver deduplicates by id). */
        s_hop_forget (self, h);
        h->release_all = 1;
    }
    if (!up)
        return;
    h->window = window > 0 && window < self->o.window ? window : self->o.window;
    /* A new session: whatever was in flight may be lost, resend it now. */
    for (s_ent_t *e = h->inflight.head; e; e = e->next)
        e->due = 0;
    h->next_due = 0;
    h->dirty = 1;
}

void
dispatch_acked (dispatch_t *self, const char *hop, const char *const *ids, size_t n)
{
    s_hop_t *h = s_hop_find (self, hop);
    if (!h)
        return;
    size_t applied = 0;
    for (size_t i = 0; i < n; i++) {
        char id[37];
        s_idcpy (id, ids[i]);
        /* Only an id this hop has in flight: an ACK for anything else (a
         * message never sent to it, one already acknowledged, one it made
         * up) changes nothing. A message in flight before a restart is sent
         * again when the link comes up, and that copy's ACK finishes it. */
        s_ent_t *e = s_tab_get (&h->ids, id);
        if ((!e || !e->inflight) && self->claims_on) {
            /* Another process of this node may have sent it (or this one,
             * before it gave the claim up): the database decides whether
             * anybody did (store_delivered_elsewhere), so an ACK for a
             * message never sent changes nothing. */
            if (s_idlist_add (&h->acked_else, &h->acked_else_n, &h->acked_else_cap, id) != 0)
                sg_log_error ("dispatch: out of memory recording an ACK from %s", hop);
            continue;
        }
        if (!e || !e->inflight) {
            sg_log_debug ("dispatch: ACK from %s for %s, not in flight: ignored", hop, id);
            continue;
        }
        if (e->sends == 1)
            rto_sample (&h->rto, sg_clock_ms () - e->sent_at);
        s_ent_drop (h, e);
        h->nacked++;
        applied++;
        if (s_idlist_add (&h->acked, &h->acked_n, &h->acked_cap, id) != 0)
            sg_log_error ("dispatch: out of memory recording an ACK from %s (it will be resent)",
                       hop);
    }
    metrics_acked (hop, applied);
    h->dirty = 1;
}

/* e leaves h for good: a dead letter with code (0: never answered) and
 * reason, for `sigmatctl dead` and the dead-letter alert. */
static void
s_dead_letter (dispatch_t *self, s_hop_t *h, s_ent_t *e, int code, const char *reason)
{
    sg_diag_t d;
    char id[37];
    memcpy (id, e->id, sizeof id);
    s_ent_drop (h, e);
    h->dead++;
    h->dirty = 1;
    int rc = store_dead (self->store, h->name, id, code, reason, &d);
    if (rc != SG_OK && rc != SG_ENOTFOUND)
        sg_log_error ("cannot record dead letter %s for %s: %s", id, h->name, d.text);
}

void
dispatch_naked (dispatch_t *self, const char *hop, const char *id, int code, const char *reason)
{
    char lid[37];
    s_idcpy (lid, id);
    s_hop_t *h = s_hop_find (self, hop);
    s_ent_t *e = h ? s_tab_get (&h->ids, lid) : NULL;
    if (!e || !e->inflight) {
        sg_log_info ("NAK %d from %s for %s, not in flight: ignored", code, hop, lid);
        return;
    }
    sg_log_warn ("message %s refused by %s: NAK %d %s; moved to dead letters", lid, hop, code,
                 reason);
    metrics_nak_received (hop, code, reason);
    s_dead_letter (self, h, e, code, reason);
}

/* Writes acknowledgements and retry counts of h to the database; SG_EDB
 * leaves them for the next pump. */
static int
s_flush (dispatch_t *self, s_hop_t *h)
{
    sg_diag_t d;
    while (h->acked_n) {
        size_t n = h->acked_n < S_ACK_CHUNK ? h->acked_n : S_ACK_CHUNK;
        const char *ids[S_ACK_CHUNK];
        for (size_t i = 0; i < n; i++)
            ids[i] = h->acked[h->acked_n - n + i];
        if (store_delivered (self->store, h->name, ids, n, NULL, &d) != SG_OK) {
            sg_log_error ("cannot record deliveries to %s: %s", h->name, d.text);
            return SG_EDB;
        }
        h->acked_n -= n;
    }
    while (h->acked_else_n) {
        size_t n = h->acked_else_n < S_ACK_CHUNK ? h->acked_else_n : S_ACK_CHUNK;
        const char *ids[S_ACK_CHUNK];
        for (size_t i = 0; i < n; i++)
            ids[i] = h->acked_else[h->acked_else_n - n + i];
        if (store_delivered_elsewhere (self->store, h->name, self->o.claim_holder, ids, n, &d)
            != SG_OK) {
            sg_log_error ("cannot record deliveries to %s: %s", h->name, d.text);
            return SG_EDB;
        }
        h->acked_else_n -= n;
    }
    if (h->retried_n) {
        const char *ids[S_ACK_CHUNK];
        size_t n = h->retried_n < S_ACK_CHUNK ? h->retried_n : S_ACK_CHUNK;
        for (size_t i = 0; i < n; i++)
            ids[i] = h->retried[i];
        if (store_attempted (self->store, h->name, ids, n, "no acknowledgement in time", &d)
            != SG_OK)
            sg_log_warn ("cannot record retries to %s: %s", h->name, d.text);
        h->retried_n = 0;       /* operator information only: not worth a retry */
    }
    return SG_OK;
}

/* Is a page of h's backlog due (room in memory, not waiting for a
 * hand-over)? */
static int
s_page_due (const dispatch_t *self, const s_hop_t *h)
{
    return h->backlog && !h->after_handover
           && h->queued.n + h->inflight.n <= self->o.queue_max / 2;
}

/* Another process at work, a page that reached the end of h's queue:
 * did an earlier page read past an older row of the MRNs of rows[0..n)
 * (one the other process committed after it)? Then h reads from the
 * start instead of taking these (s_older_first): 1. 0 if not, -1 on a
 * database error (d set). Only at the end of the queue: there the rows
 * below are few (what is in memory), and the rows just committed are. */
static int
s_page_missed (dispatch_t *self, s_hop_t *h, const store_delivery_t *rows, size_t n,
               sg_diag_t *d)
{
    const char **ids = malloc (n * sizeof *ids);
    unsigned char *undelivered = malloc (n);
    char (*older)[37] = NULL;
    size_t k = 0, nolder = 0;
    int rc = ids && undelivered ? SG_OK : SG_ENOMEM;
    for (size_t i = 0; rc == SG_OK && i < n; i++)
        if (!s_tab_get (&h->ids, rows[i].id))
            ids[k++] = rows[i].id;
    if (rc == SG_OK && k)
        rc = store_undelivered (self->store, h->name, ids, k, undelivered, &older, &nolder, d);
    int missed = rc == SG_EDB ? -1 : 0;
    if (rc == SG_OK && s_older_first (h, older, nolder))
        missed = 1;
    free (ids);
    free (undelivered);
    free (older);
    return missed;
}

/* Reads one page of h's backlog from the database. */
static int
s_page (dispatch_t *self, s_hop_t *h)
{
    size_t held = h->queued.n + h->inflight.n;
    size_t limit = self->o.queue_max - held;
    if (limit > self->o.page_size)
        limit = self->o.page_size;
    store_delivery_t *rows = NULL;
    size_t n = 0, scanned = 0;
    long long last = h->cursor;
    sg_diag_t d;
    int rc = self->claims_on
        ? store_claim_page (self->store, h->name, self->o.claim_holder, self->o.claim_ttl_ms,
                            h->cursor, limit, &rows, &n, &scanned, &last, &d)
        : store_pending (self->store, h->name, h->cursor, limit, &rows, &n, &d);
    if (rc == SG_OK && self->claims_on && !self->alone && n && scanned < limit) {
        int missed = s_page_missed (self, h, rows, n, &d);
        if (missed != 0)
            store_deliveries_free (rows, n);
        if (missed > 0)
            return SG_OK;
        rc = missed < 0 ? SG_EDB : SG_OK;
    }
    if (rc != SG_OK) {
        sg_log_error ("cannot read the queue for %s: %s", h->name, d.text);
        return SG_EDB;
    }
    if (!self->claims_on)
        scanned = n;
    if (last > h->cursor)
        h->cursor = last;
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        store_delivery_t *r = &rows[i];
        if (r->seq > h->cursor)
            h->cursor = r->seq;
        if (s_tab_get (&h->ids, r->id))
            continue;
        s_ent_t *e = s_ent_new (r->id, r->mrn, r->header, r->header_len, r->body, r->body_len,
                                r->signature, r->signature_len);
        if (!e) {
            sg_log_error ("dispatch: out of memory paging %s", h->name);
            break;
        }
        e->attempts = r->attempts;
        added += s_append (h, e, self->claims_on) == 0;
    }
    /* Caught up: new messages go straight to memory, unless a commit is
     * still to hand its messages over: this page may have read them. The
     * hop then stays in backlog and pages again once they are handed over
     * (dispatch_handover), not before: nothing more to read until then. */
    if (scanned < limit) {
        if (self->handovers)
            h->after_handover = 1;
        else
            h->backlog = 0;
    }
    if (added)
        sg_log_debug ("dispatch: paged %zu messages for %s (cursor %lld)", added, h->name,
                      h->cursor);
    store_deliveries_free (rows, n);
    return SG_OK;
}

/* Sends e (first time or again); returns the send function's result. */
static int
s_transmit (dispatch_t *self, s_hop_t *h, s_ent_t *e, int64_t now)
{
    int rc = self->send (self->arg, h->name, e->data, e->hlen, e->data + e->hlen, e->blen,
                         (const unsigned char *) e->data + e->hlen + e->blen, e->slen);
    if (rc != SG_OK)
        return rc;
    /* attempts also counts sends by earlier processes (from the database),
     * so a message that has failed for hours keeps its long delay. */
    e->due = now + rto_delay (&h->rto, e->attempts);
    e->sent_at = now;
    e->sends++;
    if (e->due < h->next_due)
        h->next_due = e->due;
    e->attempts++;
    return SG_OK;
}

/* Resends what is due and sends what the window and MRN rule allow. */
static void
s_send (dispatch_t *self, s_hop_t *h, int64_t now)
{
    int rc = SG_OK, backed_off = 0;
    if (h->next_due <= now) {
        h->next_due = INT64_MAX;
        for (s_ent_t *e = h->inflight.head, *next; e; e = next) {
            next = e->next;
            if (rc == SG_OK && e->due <= now && e->due > 0 && e->sends > 0
                && self->o.max_attempts > 0 && e->attempts >= self->o.max_attempts) {
                /* A receiver that is there but never answers this one (it
                 * cannot take it) must not stall the link for ever. */
                char reason[120];
                snprintf (reason, sizeof reason, "no acknowledgement after %d attempts",
                          e->attempts);
                sg_log_warn ("message %s to %s: %s; moved to dead letters", e->id, h->name, reason);
                metrics_nak_received (h->name, 0, reason);
                s_dead_letter (self, h, e, 0, reason);
                continue;
            }
            if (rc == SG_OK && e->due <= now && e->due > 0 && e->sends > 0) {
                /* The timeout is judged with the hop's timeout of now, not
                 * the one when it was sent: while the round trip grows (a
                 * busy receiver), or after a backoff, the wait stretches
                 * instead of the whole window being sent again. */
                int64_t due = e->sent_at + rto_delay (&h->rto, e->attempts - 1);
                if (due > now)
                    e->due = due;
                else if (!backed_off) {
                    /* A real timeout: this one is resent, and the timeout
                     * doubles once per pass, however many messages timed
                     * out together (the others are judged with it). */
                    rto_backoff (&h->rto);
                    backed_off = 1;
                }
            }
            if (rc == SG_OK && e->due <= now) {     /* due 0: the link came up again */
                rc = s_transmit (self, h, e, now);
                if (rc == SG_OK) {
                    h->resent++;
                    metrics_resent (h->name, 1);
                    if (e->attempts > 1)
                        s_idlist_add (&h->retried, &h->retried_n, &h->retried_cap, e->id);
                    continue;
                }
            }
            if (e->due < h->next_due)
                h->next_due = e->due;
        }
    }
    size_t skipped = 0;
    s_ent_t *e = h->queued.head;
    while (rc == SG_OK && e && h->inflight.n < (size_t) h->window && skipped < S_LOOKAHEAD) {
        s_ent_t *next = e->next;
        if (s_tab_get (&h->mrns, e->mrn))
            skipped++;
        else if ((rc = s_transmit (self, h, e, now)) == SG_OK) {
            s_unlink (&h->queued, e);
            e->inflight = 1;
            s_push (&h->inflight, e);
            s_tab_put (&h->mrns, e);
            h->sent++;
            metrics_msg_out_hdr (h->name, e->data, e->hlen);
        }
        e = next;
    }
    if (rc == SG_ENOTFOUND) {
        /* The connection is gone (an adapter's, found out on sending):
         * as a link that went down, its claims go too, or another process
         * where it reconnects could never send those MRNs. */
        h->up = 0;
        if (self->claims_on) {
            s_hop_forget (self, h);
            h->release_all = 1;
        }
    }
    /* A full socket is retried shortly; otherwise wait for an ACK, a link
     * change or a new message. */
    h->dirty = 0;
    h->retry_at = rc == SG_ETIMEOUT ? now + S_BLOCKED_RETRY_MS : 0;
}

/* Renews the claims (every ttl/3); first gives every claim up when the
 * memory was emptied. Past the deadline nothing is sent, and the memory
 * is emptied: another process may hold those MRNs by now.
 *
 * The renewal rewrites every claim this process holds: about 13 ms of
 * PostgreSQL for 1,000 MRNs. It goes out on the claims' own connection
 * (o.claim_store) and the loop goes on serving; a later pump takes the
 * result. Meanwhile this process leaves its claim rows alone (dispatch_pump),
 * so the loop never waits for their locks. It waits for the result only
 * when nothing could be sent anyway (no valid claims yet, or after a lapse),
 * or without a connection of its own. */
static store_t *
s_keeper (const dispatch_t *self)
{
    return self->o.claim_store ? self->o.claim_store : self->store;
}

static int
s_claims_renew (dispatch_t *self, int64_t now)
{
    sg_diag_t d;
    if (!self->renewing) {
        if (self->claims_lost) {
            if (store_claim_expire (self->store, self->o.claim_holder, NULL, &d) != SG_OK) {
                sg_log_error ("%s", d.text);
                return SG_EDB;
            }
            self->claims_lost = 0;
        }
        if (store_claim_renew_send (s_keeper (self), self->o.claim_holder,
                                    self->o.claim_ttl_ms, &d) != SG_OK) {
            sg_log_error ("%s", d.text);
            return SG_EDB;
        }
        self->renewing = 1;
        self->renew_sent = now;
    }
    int done = 0;
    int wait = !self->o.claim_store || !dispatch_claims_valid (self, now);
    int rc = store_claim_renew_result (s_keeper (self), wait, &done, &d);
    if (rc == SG_OK && !done)
        return SG_OK;
    self->renewing = 0;
    if (rc != SG_OK) {
        sg_log_error ("%s", d.text);
        return SG_EDB;
    }
    if (self->claims_lost)
        return SG_OK;           /* lapsed meanwhile: the next one starts clean */
    if (self->o.claim_gone
        && store_claim_gone (self->store, self->o.claim_holder, self->o.claim_gone, NULL, &d)
               != SG_OK) {
        sg_log_error ("%s", d.text);
        return SG_EDB;
    }
    char (*hops)[64] = NULL;
    size_t nh = 0;
    if (store_claim_rechecks (self->store, self->o.claim_holder, &hops, &nh, &d) != SG_OK)
        sg_log_warn ("%s", d.text);
    for (size_t i = 0; i < nh; i++) {
        s_hop_t *h = s_hop_find (self, hops[i]);
        if (h && h->cursor) {
            sg_log_debug ("dispatch: %s: another process stored messages of our MRNs; reading"
                       " the queue again", h->name);
            s_hop_reread (h);
        }
    }
    free (hops);
    int alone = 0;
    if (store_claim_alone (self->store, self->o.claim_holder, self->o.claim_ttl_ms, &alone, &d)
        != SG_OK)
        sg_log_warn ("%s", d.text);
    if (alone != self->alone) {
        self->epoch++;
        sg_log_info ("dispatch: %s", alone ? "no other process of this node at work: queues "
                     "are read again only when needed" : "another process of this node is at "
                     "work: queues are read every claim_poll");
    }
    /* Alone from now on, new messages of an MRN go out without looking
     * for older ones: first read what the others left (rows of MRNs they
     * never claimed may lie before the cursor). */
    for (size_t i = 0; alone && !self->alone && i < self->nhops; i++) {
        self->hops[i]->cursor = 0;
        self->hops[i]->backlog = 1;
    }
    self->alone = alone;
    /* The database set expiry from a time after the renewal was sent: a
     * deadline from then (less a margin for clocks that differ in rate)
     * is on the safe side. */
    self->claim_deadline = self->renew_sent + self->o.claim_ttl_ms * 9 / 10;
    self->next_renew = self->renew_sent + self->o.claim_ttl_ms / 3;
    self->release_idle = 1;
    return SG_OK;
}

/* The claims could not be renewed in time: forget everything held. */
static void
s_claims_lapse (dispatch_t *self)
{
    sg_log_warn ("dispatch: delivery claims not renewed in time: this process stops sending and"
              " reads its queues again once the database answers");
    for (size_t i = 0; i < self->nhops; i++) {
        s_hop_forget (self, self->hops[i]);
        self->hops[i]->release_all = 0;     /* all of them go at once */
    }
    self->claims_lost = 1;
    self->claim_deadline = 0;
}

/* Gives up every claim of h at once (its link went down). SG_OK or SG_EDB. */
static int
s_claims_expire (dispatch_t *self, s_hop_t *h)
{
    sg_diag_t d;
    self->epoch++;
    if (store_claim_expire (self->store, self->o.claim_holder, h->name, &d) != SG_OK) {
        sg_log_error ("%s", d.text);
        return SG_EDB;
    }
    h->release_all = 0;
    return SG_OK;
}

/* Claims on, after h's ACKs are recorded: gives up what the hop no longer
 * needs here, takes over what dead processes left, reads the queue now
 * and then. SG_OK or SG_EDB. */
static int
s_claims_hop (dispatch_t *self, s_hop_t *h, int64_t now)
{
    sg_diag_t d;
    if (!h->up)
        return SG_OK;
    if (h->hold.n && s_claim_held (self, h) != SG_OK)
        return SG_EDB;
    int many = h->claims.idle >= S_IDLE_RELEASE;
    if (!h->backlog && ((self->release_idle && h->claims.n) || many)) {
        /* Caught up: an MRN with nothing in memory has nothing queued. At
         * each renewal those not used since the one before go (an MRN
         * that comes back every few seconds keeps its claim: claiming it
         * again would cost a commit on the loop thread each time); and all
         * idle ones whenever many are idle: when nearly every message
         * opens a movement of its own, a claim per MRN would otherwise
         * pile up between renewals, and each renewal would rewrite them
         * all (seconds' worth of traffic) on the loop thread. */
        const char **idle = malloc (h->claims.n * sizeof *idle);
        size_t k = 0;
        for (size_t i = 0; idle && i < h->claims.nb; i++)
            for (s_claim_t *c = h->claims.b[i]; c; c = c->next)
                if (!c->count && (many || !c->recent)) {
                    c->recent = 0;
                    idle[k++] = c->mrn;
                }
        int rc = !idle ? SG_ENOMEM : !k ? SG_ENOTFOUND
               : store_claim_release (self->store, self->o.claim_holder, h->name, idle, k, &d);
        free (idle);
        if (rc == SG_EDB) {
            sg_log_error ("%s", d.text);
            return SG_EDB;
        }
        if (rc == SG_OK)
            s_claims_clear (&h->claims, 1);
        for (size_t i = 0; self->release_idle && i < h->claims.nb; i++)
            for (s_claim_t *c = h->claims.b[i]; c; c = c->next)
                c->recent = 0;          /* gone at the next renewal unless used */
    }
    if (now >= h->page_at && self->alone)
        h->page_at = now + self->o.claim_poll_ms;   /* nobody else stores or leaves claims */
    if (now >= h->page_at) {
        size_t taken = 0;
        if (store_claim_takeover (self->store, h->name, self->o.claim_holder,
                                  self->o.claim_ttl_ms, &taken, &d) != SG_OK) {
            sg_log_error ("%s", d.text);
            return SG_EDB;
        }
        if (taken) {
            sg_log_info ("dispatch: took over %zu MRN(s) for %s that another process left", taken,
                      h->name);
            h->cursor = 0;
        }
        h->backlog = 1;
        h->page_at = now + self->o.claim_poll_ms;
    }
    return SG_OK;
}

int
dispatch_claims_valid (const dispatch_t *self, int64_t now)
{
    return !self->claims_on || now < self->claim_deadline;
}

int
dispatch_pump (dispatch_t *self, int64_t now)
{
    int result = SG_OK, db_ok = now >= self->db_retry_at;
    if (self->claims_on) {
        /* Past the deadline first: a renewal now would not bring back the
         * claims that may have expired in the database meanwhile. */
        if (!self->claims_lost && now >= self->claim_deadline)
            s_claims_lapse (self);
        if (db_ok && (self->renewing || now >= self->next_renew)
            && s_claims_renew (self, now) != SG_OK) {
            db_ok = 0;
            result = SG_EDB;
            self->db_retry_at = now + S_DB_RETRY_MS;
        }
    }
    int sending = dispatch_claims_valid (self, now);
    /* While a renewal is out, the claim rows wait for it (s_claims_renew). */
    int claiming = self->claims_on && sending && !self->renewing;
    for (size_t i = 0; i < self->nhops; i++) {
        s_hop_t *h = self->hops[i];
        int flushed = db_ok;
        /* A link gone down gives its claims up before its ACKs are written:
         * an ACK that came after (still on the socket) is then recorded as
         * another's (store_delivered_elsewhere takes expired claims). */
        if (db_ok && claiming && h->release_all && s_claims_expire (self, h) != SG_OK)
            flushed = 0;
        int after_renewal = self->renewing && h->release_all;  /* the claims go first */
        if (flushed && !after_renewal && (h->acked_n || h->acked_else_n || h->retried_n)
            && s_flush (self, h) != SG_OK)
            flushed = 0;
        if (flushed && claiming && s_claims_hop (self, h, now) != SG_OK)
            flushed = 0;
        if (!h->up || !sending)
            continue;
        /* Page only after this hop's ACKs are in the database, so that a
         * page never returns a message that was just acknowledged. */
        if (flushed && (claiming || !self->claims_on) && s_page_due (self, h)
            && s_page (self, h) != SG_OK)
            flushed = 0;
        if (db_ok && !flushed) {
            result = SG_EDB;
            self->db_retry_at = now + S_DB_RETRY_MS;
        }
        if (h->dirty || h->next_due <= now || (h->retry_at && h->retry_at <= now))
            s_send (self, h, now);
    }
    if (db_ok)
        self->release_idle = 0;
    return result;
}

int
dispatch_flush (dispatch_t *self)
{
    int rc = SG_OK;
    for (size_t i = 0; i < self->nhops; i++)
        if ((self->hops[i]->acked_n || self->hops[i]->acked_else_n || self->hops[i]->retried_n)
            && s_flush (self, self->hops[i]) != SG_OK)
            rc = SG_EDB;
    sg_diag_t d;
    int done;
    if (self->renewing) {       /* its locks first */
        store_claim_renew_result (s_keeper (self), 1, &done, &d);
        self->renewing = 0;
    }
    if (self->claims_on && store_claim_expire (self->store, self->o.claim_holder, NULL, &d)
                               != SG_OK) {
        sg_log_warn ("%s (they expire by themselves)", d.text);
        rc = SG_EDB;
    }
    return rc;
}

int64_t
dispatch_next_timer (const dispatch_t *self, int64_t now, int64_t cap)
{
    int64_t next = now + cap;
    if (self->claims_on) {
        int64_t renew = self->next_renew > self->db_retry_at ? self->next_renew : self->db_retry_at;
        if (self->renewing)
            renew = now + 1;    /* look for its result every millisecond */
        if (renew < next)
            next = renew;
        if (!dispatch_claims_valid (self, now))
            return next > now ? next - now : 0;
    }
    for (size_t i = 0; i < self->nhops; i++) {
        const s_hop_t *h = self->hops[i];
        if (self->claims_on && h->up && h->hold.n && self->db_retry_at < next)
            next = self->db_retry_at;   /* MRNs to claim */
        if (self->claims_on && h->up && h->page_at < next)
            next = h->page_at > self->db_retry_at ? h->page_at : self->db_retry_at;
        int db_work = h->acked_n || h->acked_else_n || h->retried_n
                      || (h->up && s_page_due (self, h));
        if (db_work && self->db_retry_at < next)
            next = self->db_retry_at;
        if (h->up && h->dirty)
            return 0;
        if (h->up && h->next_due < next)
            next = h->next_due;
        if (h->up && h->retry_at && h->retry_at < next)
            next = h->retry_at;
    }
    return next > now ? next - now : 0;
}

void
dispatch_rescan (dispatch_t *self)
{
    for (size_t i = 0; i < self->nhops; i++) {
        s_hop_t *h = self->hops[i];
        if (h->backlog)
            continue;
        /* Rows held in memory are skipped by id; finished rows are no
         * longer in the partial index, so this reads only the queue. With
         * other processes at work, it may find a row one of them committed
         * after a page here read past it: it must go before the newer
         * ones of its MRN held here. */
        if (self->claims_on && !self->alone)
            s_hop_reread (h);
        h->backlog = 1;
        h->cursor = 0;
    }
}

size_t
dispatch_hops (const dispatch_t *self)
{
    return self->nhops;
}

int
dispatch_stat (const dispatch_t *self, size_t i, dispatch_stat_t *out)
{
    if (i >= self->nhops)
        return SG_ENOTFOUND;
    const s_hop_t *h = self->hops[i];
    *out = (dispatch_stat_t) { .hop = h->name, .up = h->up, .backlog = h->backlog,
                               .queued = h->queued.n, .inflight = h->inflight.n,
                               .sent = h->sent, .resent = h->resent, .acked = h->nacked,
                               .dead = h->dead, .claims = h->claims.n, .rto_ms = h->rto.rto,
                               .srtt_ms = h->rto.srtt < 0 ? -1 : (int64_t) h->rto.srtt };
    return SG_OK;
}
