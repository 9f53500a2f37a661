/* intake.c - validate, batch, store, acknowledge. The checks run in the
 * order of their cost (size, header, schema, agreement, authorisation,
 * signature), so a bad message costs little; each refusal is one NAK to
 * its sender and nothing else. The full body check (schema, semantic
 * checks) is done where a message enters the network, i.e. for what local
 * adapters send; what peer nodes send gets its origin's signature checked
 * and a cheap header look at the body (all checks with validate_all). The batch keeps the received frames alive
 * until the commit, so headers and bodies are stored without a copy.
 *
 * With workers > 0 the checks (XML parse, schema, Ed25519 sign/verify:
 * most of the CPU per message) run on a pool of threads. A worker only
 * reads the job, the peer directory and the routing table, which the
 * main thread leaves alone while jobs are out (intake_wait before a
 * reload); results come back through a queue and an eventfd the main
 * loop polls. Sockets stay with the main thread.
 *
 * The commit runs on a thread of its own, with a database connection of
 * its own (the store given to intake_new): while one batch is signed,
 * stored (with the lifecycle) and compared, the main thread goes on
 * reading and checking the next one. One batch is committed at a time, in
 * order; its ACKs, NAKs and dispatch are sent by the main thread once the
 * commit is over (intake_collect), so nothing is acknowledged before it
 * is committed. While a batch is out, the main thread leaves the
 * lifecycle, the routing table it reads and the store alone. */
#include "node/intake.h"
#include "hash.h"
#include "header.h"
#include "log.h"
#include "monitor/metrics.h"
#include "msg.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

enum { S_HELD_BUCKETS = 4096 };

typedef struct s_item {
    struct s_item *next;            /* job queues */
    const peers_t *peers;           /* what the checks read (main thread's) */
    const routes_t *router;
    intake_src_t src;               /* src.rid points into rid, src.peer into peer */
    char peer[64];
    int rc;                         /* result of the checks */
    sg_diag_t diag;
    wire_msg_t *wm;                 /* frames of the SEND */
    sg_msg_t *msg;                  /* the parsed body, kept for the lifecycle */
    char *hdr_own;                  /* header rewritten with our Origin-Node, or NULL */
    size_t hdr_len;
    /* Messages from local adapters are signed by this node at commit,
     * all of a batch under one signature where the next hop understands
     * it (sign.h): the worker only computes the leaf. */
    int to_sign;
    int batch_sign;                 /* its next hop takes batch signatures */
    unsigned char leaf[SG_SIGN_LEAF_LEN];
    unsigned char *sig;             /* our signature (plain or batch), malloc'd */
    size_t sig_len;
    char id[37], type[4], mrn[19], sender[9], recipient[9], corr[37];
    char officer[SG_HDR_OFFICER_MAX + 1];  /* the Officer header, "" if none */
    char key_id[SG_SIGN_KEY_ID_LEN + 1];   /* the Key-Id header, "" if none */
    int64_t created_ms;                 /* the Created header: when it was signed */
    char origin[SG_HDR_MAX_NODE + 1], from[64], hop[64];
    unsigned char rid[WIRE_MAX_RID];
    size_t rid_len;
    struct intake_t *owner;         /* counts it in owner->held until freed */
    struct s_item *hprev, *hnext;   /* owner->held_ids[bucket] (main thread only) */
    size_t bucket;
} s_item_t;

/* A batch: the messages checked, in order, and their rows. */
typedef struct {
    s_item_t **items;
    store_msg_t *msgs;
    size_t n;
    /* the commit's outcome, set by the commit thread */
    int rc;                         /* SG_OK or why nothing was stored */
    int signed_ok;                  /* 0: the signing failed, nothing was tried */
    int compared;                   /* duplicates compared with the stored rows */
    sg_diag_t diag;
    s_item_t *refused;              /* what the store refused, each with its diag */
    lifecycle_out_t made;           /* what the lifecycle made */
    int64_t took_us;
    unsigned claim_epoch;           /* dispatch_claim_epoch when handed over */
} s_batch_t;

struct intake_t {
    intake_opts_t o;
    store_t *store;                 /* the commit thread's */
    void *sock;
    dispatch_t *dispatch;
    s_batch_t batches[2];
    s_batch_t *open;                /* filled by the main thread */
    s_batch_t *busy;                /* handed to the commit thread, or NULL */
    int busy_done;                  /* the commit thread is done with busy */
    pthread_t committer;
    int committer_up;
    pthread_cond_t commit_cond;     /* a batch for the commit thread */
    pthread_cond_t done_cond;       /* the commit thread is done with busy */
    sg_xmlsafe_limits_t limits;
    intake_stats_t stats;
    char key_id[SG_SIGN_KEY_ID_LEN + 1];   /* of o.sign_key, our Key-Id header */
    /* worker pool */
    pthread_t *threads;
    size_t nthreads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    s_item_t *queued, *queued_tail, *done, *done_tail;
    size_t outstanding;             /* jobs handed out, not yet collected */
    int stopping;
    int efd;                        /* eventfd: results or a commit are waiting */
    /* SENDs held unanswered per connection (main thread only): a few
     * connections at a time, so a small array searched in order. */
    struct s_held { unsigned char rid[WIRE_MAX_RID]; size_t rid_len, n; } *held;
    size_t nheld, capheld;
    /* Every item held, by Message-Id, to find a resend of one. Ids come
     * from the senders, but a connection holds at most twice its window:
     * colliding ids cost no more than a list that long. */
    s_item_t *held_ids[S_HELD_BUCKETS];
    /* s_sign's arrays, batch_max long (commit thread only) */
    unsigned char (*leaves)[SG_SIGN_LEAF_LEN];
    size_t *signing;                /* batch positions of the leaves */
    unsigned char **sigs;
    size_t *sig_lens;
};

static int s_validate (intake_t *self, s_item_t *it, sg_diag_t *diag);
static void s_commit_batch (intake_t *self, s_batch_t *b);
static void s_commit_wait (intake_t *self);
static void s_settle (intake_t *self);

static void
s_signal (intake_t *self)
{
    uint64_t one = 1;
    if (write (self->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        sg_log_error ("intake: cannot signal a result: %s", strerror (errno));
}

static void *
s_worker (void *arg)
{
    intake_t *self = arg;
    pthread_mutex_lock (&self->lock);
    for (;;) {
        while (!self->queued && !self->stopping)
            pthread_cond_wait (&self->cond, &self->lock);
        if (!self->queued)
            break;
        s_item_t *it = self->queued;
        self->queued = it->next;
        if (!self->queued)
            self->queued_tail = NULL;
        pthread_mutex_unlock (&self->lock);
        sg_diag_clear (&it->diag);
        it->rc = s_validate (self, it, &it->diag);
        it->next = NULL;
        pthread_mutex_lock (&self->lock);
        /* One wake-up per batch of results: intake_collect takes the whole
         * list, so only the first result on an empty list signals. */
        if (self->done_tail)
            self->done_tail->next = it;
        else {
            self->done = it;
            s_signal (self);
        }
        self->done_tail = it;
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

/* The commit thread: one batch at a time, from the main thread. */
static void *
s_committer (void *arg)
{
    intake_t *self = arg;
    pthread_mutex_lock (&self->lock);
    for (;;) {
        while ((!self->busy || self->busy_done) && !self->stopping)
            pthread_cond_wait (&self->commit_cond, &self->lock);
        if (self->stopping)
            break;
        s_batch_t *b = self->busy;
        pthread_mutex_unlock (&self->lock);
        s_commit_batch (self, b);
        pthread_mutex_lock (&self->lock);
        self->busy_done = 1;
        pthread_cond_signal (&self->done_cond);
        s_signal (self);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

intake_t *
intake_new (const intake_opts_t *opts, store_t *store, void *router_sock, dispatch_t *dispatch)
{
    intake_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->o = *opts;
    if (self->o.batch_max == 0)
        self->o.batch_max = 1;
    self->store = store;
    self->sock = router_sock;
    self->dispatch = dispatch;
    self->efd = -1;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->cond, NULL);
    pthread_cond_init (&self->commit_cond, NULL);
    pthread_cond_init (&self->done_cond, NULL);
    for (int k = 0; k < 2; k++) {
        s_batch_t *b = &self->batches[k];
        b->items = calloc (self->o.batch_max, sizeof *b->items);
        b->msgs = calloc (self->o.batch_max, sizeof *b->msgs);
        if (!b->items || !b->msgs)
            goto fail;
    }
    self->open = &self->batches[0];
    self->leaves = calloc (self->o.batch_max, sizeof *self->leaves);
    self->signing = calloc (self->o.batch_max, sizeof *self->signing);
    self->sigs = calloc (self->o.batch_max, sizeof *self->sigs);
    self->sig_lens = calloc (self->o.batch_max, sizeof *self->sig_lens);
    if (!self->leaves || !self->signing || !self->sigs || !self->sig_lens)
        goto fail;
    self->limits.max_bytes = self->o.max_message;
    if (sg_sign_key_id (self->o.sign_key, self->key_id) != SG_OK)
        goto fail;
    if ((self->efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        goto fail;
    if (pthread_create (&self->committer, NULL, s_committer, self) != 0) {
        sg_log_error ("intake: cannot start the commit thread");
        goto fail;
    }
    self->committer_up = 1;
    if (self->o.workers > 0) {
        self->threads = calloc (self->o.workers, sizeof *self->threads);
        if (!self->threads)
            goto fail;
        for (; self->nthreads < self->o.workers; self->nthreads++)
            if (pthread_create (&self->threads[self->nthreads], NULL, s_worker, self) != 0) {
                sg_log_error ("intake: cannot start worker threads");
                goto fail;
            }
    }
    return self;
fail:
    intake_destroy (&self);
    return NULL;
}

/* The count of SENDs held for connection rid (added if absent when add);
 * NULL when absent (or out of memory). */
static struct s_held *
s_held (intake_t *self, const unsigned char *rid, size_t rid_len, int add)
{
    for (size_t i = 0; i < self->nheld; i++)
        if (self->held[i].rid_len == rid_len && memcmp (self->held[i].rid, rid, rid_len) == 0)
            return &self->held[i];
    if (!add)
        return NULL;
    if (self->nheld == self->capheld) {
        size_t cap = self->capheld ? self->capheld * 2 : 16;
        struct s_held *a = realloc (self->held, cap * sizeof *a);
        if (!a)
            return NULL;
        self->held = a;
        self->capheld = cap;
    }
    struct s_held *h = &self->held[self->nheld++];
    memcpy (h->rid, rid, rid_len);
    h->rid_len = rid_len;
    h->n = 0;
    return h;
}

/* How to answer a SEND: in the form it came in (a sender packs only
 * after a WELCOME that offered it, so it reads packed answers), unless
 * this node sends separate frames to all (`packed no`). */
static int
s_reply_flags (const intake_t *self, const wire_msg_t *wm)
{
    return ZMQ_DONTWAIT | (self->o.packed && wm->packed ? WIRE_PACKED : 0);
}

static void
s_item_free (s_item_t *it)
{
    if (!it)
        return;
    if (it->owner) {
        intake_t *self = it->owner;
        struct s_held *h = s_held (self, it->rid, it->rid_len, 0);
        if (h && --h->n == 0)
            *h = self->held[--self->nheld];     /* forget idle connections */
        if (it->hprev)
            it->hprev->hnext = it->hnext;
        else
            self->held_ids[it->bucket] = it->hnext;
        if (it->hnext)
            it->hnext->hprev = it->hprev;
    }
    wire_msg_destroy (&it->wm);
    sg_msg_destroy (&it->msg);
    free (it->hdr_own);
    free (it->sig);
    free (it);
}

static void
s_list_free (s_item_t *it)
{
    while (it) {
        s_item_t *next = it->next;
        s_item_free (it);
        it = next;
    }
}

void
intake_destroy (intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_t *self = *self_p;
    intake_wait (self);             /* a commit out is finished, not cut */
    pthread_mutex_lock (&self->lock);
    self->stopping = 1;
    pthread_cond_broadcast (&self->cond);
    pthread_cond_broadcast (&self->commit_cond);
    pthread_mutex_unlock (&self->lock);
    for (size_t i = 0; i < self->nthreads; i++)
        pthread_join (self->threads[i], NULL);
    if (self->committer_up)
        pthread_join (self->committer, NULL);
    free (self->threads);
    s_list_free (self->queued);
    s_list_free (self->done);
    if (self->efd >= 0)
        close (self->efd);
    for (int k = 0; k < 2; k++) {
        s_batch_t *b = &self->batches[k];
        for (size_t i = 0; b->items && i < b->n; i++)
            s_item_free (b->items[i]);
        free (b->items);
        free (b->msgs);
    }
    free (self->leaves);
    free (self->signing);
    free (self->sigs);
    free (self->sig_lens);
    free (self->held);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->cond);
    pthread_cond_destroy (&self->commit_cond);
    pthread_cond_destroy (&self->done_cond);
    free (self);
    *self_p = NULL;
}

/* Copies header value key into out (exactly as sent). */
static void
s_hget (const sg_hdr_t *h, const char *key, char *out, size_t size)
{
    const char *v = sg_hdr_get (h, key);
    sg_strlcpy (out, v ? v : "", size);
}

/* Checks that header and body say the same thing; NAK 104 otherwise. */
static int
s_agree (const s_item_t *it, const sg_msg_head_t *m, sg_diag_t *diag)
{
    const char *what = NULL, *hv = NULL, *bv = NULL;
    const char *tname = sg_msg_type_name (m->type);
    if (strcasecmp (it->id, m->id) != 0)
        what = "Message-Id", hv = it->id, bv = m->id;
    else if (!tname || strcmp (it->type, tname) != 0)
        what = "Type", hv = it->type, bv = tname ? tname : "?";
    else if (strcmp (it->mrn, m->mrn) != 0)
        what = "Mrn", hv = it->mrn, bv = m->mrn;
    else if (strcmp (it->sender, m->sender) != 0)
        what = "Sender", hv = it->sender, bv = m->sender;
    else if (strcmp (it->recipient, m->recipient) != 0)
        what = "Recipient", hv = it->recipient, bv = m->recipient;
    else if (it->corr[0] && m->correlation_id[0] && strcasecmp (it->corr, m->correlation_id))
        what = "Correlation-Id", hv = it->corr, bv = m->correlation_id;
    if (!what)
        return SG_OK;
    return sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_HEADER_MISMATCH,
                        "header %s \"%s\" does not match the body's \"%s\"", what, hv, bv);
}

/* Who may speak for the sender office, and the origin's signature. */
static int
s_authorise (intake_t *self, s_item_t *it, sg_diag_t *diag)
{
    const wire_frame_t *f = it->wm->frames;
    const intake_src_t *src = &it->src;
    const peers_t *peers = it->peers;
    if (!src->is_node) {
        const peer_info_t *p = peers_find (peers, src->peer);
        if (!p || p->is_node)
            return sg_diag_set (diag, SG_EAUTH, 0, SG_NAK_AUTHORIZATION,
                                "adapter %s is not registered", src->peer);
        if (!routes_office_in (it->sender, p->offices, p->offices_n))
            return sg_diag_set (diag, SG_EAUTH, 0, SG_NAK_AUTHORIZATION,
                                "adapter %s may not send for office %s", src->peer, it->sender);
        return SG_OK;
    }
    /* From a peer node: the origin node vouches for the message by its
     * signature; the connection it came through may be a hub. */
    char *const *offices = self->o.offices;
    size_t offices_n = self->o.offices_n;
    const sg_sign_key_t *key = self->o.sign_key;
    const peerkeys_t *keys = NULL;
    if (strcmp (it->origin, self->o.node_name) != 0) {
        const peer_info_t *p = peers_find (peers, it->origin);
        if (!p || !p->is_node)
            return sg_diag_set (diag, SG_EAUTH, 0, SG_NAK_AUTHORIZATION,
                                "origin node %s is not registered", it->origin);
        offices = p->offices;
        offices_n = p->offices_n;
        key = p->sign_key;
        keys = p->keys;
    }
    if (!routes_office_in (it->sender, offices, offices_n))
        return sg_diag_set (diag, SG_EAUTH, 0, SG_NAK_AUTHORIZATION,
                            "origin node %s may not send for office %s", it->origin, it->sender);
    if (it->wm->nframes < 3)
        return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE, "message has no signature");
    if (peerkeys_count (keys) > 0) {
        /* A peer node: the key valid when it signed (Key-Id, Created). */
        int rc = peerkeys_verify (keys, it->origin, it->key_id, it->created_ms, f[0].data,
                                  f[0].size, f[1].data, f[1].size, f[2].data, f[2].size, diag);
        if (rc != SG_OK)
            sg_log_warn ("forged or corrupt signature: message %s from %s claims origin %s; "
                      "refused: %s", it->id, src->peer, it->origin, diag->text);
        return rc;
    }
    if (!key)
        return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                            "no usable signing key registered for origin node %s", it->origin);
    if (sg_sign_verify (key, f[0].data, f[0].size, f[1].data, f[1].size, f[2].data, f[2].size)
        != SG_OK) {
        sg_log_warn ("forged or corrupt signature: message %s from %s claims origin %s; refused",
                  it->id, src->peer, it->origin);
        return sg_diag_set (diag, SG_ESIG, 0, SG_NAK_SIGNATURE,
                            "signature does not verify against origin node %s", it->origin);
    }
    return SG_OK;
}

/* For a message from a local adapter: makes this node its Origin-Node
 * (rewriting the header if the adapter said otherwise) and computes its
 * leaf; intake_commit signs it. */
static int
s_sign_local (intake_t *self, s_item_t *it, sg_hdr_t *h, sg_diag_t *diag)
{
    const wire_frame_t *f = it->wm->frames;
    const char *hp = f[0].data;
    size_t hl = f[0].size;
    const char *kid = sg_hdr_get (h, SG_HDR_KEY_ID);
    if (strcmp (it->origin, self->o.node_name) != 0 || !kid || strcmp (kid, self->key_id) != 0) {
        /* Our name as the origin and our key's id: both are signed. */
        if (sg_hdr_set (h, SG_HDR_ORIGIN_NODE, self->o.node_name) != SG_OK
            || sg_hdr_set (h, SG_HDR_KEY_ID, self->key_id) != SG_OK
            || sg_hdr_encode (h, &it->hdr_own, &it->hdr_len) != SG_OK)
            return sg_diag_set (diag, SG_ENOMEM, 0, SG_NAK_INCORRECT_VALUE,
                                "cannot set Origin-Node and Key-Id in the header");
        sg_strlcpy (it->origin, self->o.node_name, sizeof it->origin);
        hp = it->hdr_own;
        hl = it->hdr_len;
    }
    if (sg_sign_leaf (hp, hl, f[1].data, f[1].size, it->leaf) != SG_OK)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot hash the message to sign it");
    it->to_sign = 1;
    return SG_OK;
}

/* Runs every check on it; SG_OK or the error with diag->nak set. */
static int
s_validate (intake_t *self, s_item_t *it, sg_diag_t *diag)
{
    const intake_src_t *src = &it->src;
    const wire_frame_t *f = it->wm->frames;
    sg_hdr_t *h = NULL;
    sg_msg_t *m = NULL;
    int rc;
    if (f[0].size + f[1].size > self->o.max_message) {
        rc = sg_diag_set (diag, SG_ETOOBIG, 0, SG_NAK_TOO_LARGE,
                          "message of %zu bytes is over the limit of %zu", f[0].size + f[1].size,
                          self->o.max_message);
        goto done;
    }
    if ((rc = sg_hdr_parse (f[0].data, f[0].size, &h, diag)) != SG_OK
        || (rc = sg_hdr_check_required (h, diag)) != SG_OK)
        goto done;
    s_hget (h, SG_HDR_MESSAGE_ID, it->id, sizeof it->id);
    s_hget (h, SG_HDR_TYPE, it->type, sizeof it->type);
    s_hget (h, SG_HDR_MRN, it->mrn, sizeof it->mrn);
    s_hget (h, SG_HDR_SENDER, it->sender, sizeof it->sender);
    s_hget (h, SG_HDR_RECIPIENT, it->recipient, sizeof it->recipient);
    s_hget (h, SG_HDR_ORIGIN_NODE, it->origin, sizeof it->origin);
    s_hget (h, SG_HDR_CORRELATION_ID, it->corr, sizeof it->corr);
    const char *officer = sg_hdr_get (h, SG_HDR_OFFICER);
    if (officer && !sg_hdr_officer_check (officer)) {
        rc = sg_diag_set (diag, SG_EINVAL, 0, SG_NAK_INCORRECT_VALUE,
                          "header Officer must be 1-%d of A-Z a-z 0-9 . _ @ -", SG_HDR_OFFICER_MAX);
        goto done;
    }
    sg_strlcpy (it->officer, officer ? officer : "", sizeof it->officer);
    s_hget (h, SG_HDR_KEY_ID, it->key_id, sizeof it->key_id);
    sg_hdr_time_parse (sg_hdr_get (h, SG_HDR_CREATED), &it->created_ms);
    if (!src->is_node || self->o.validate_all) {
        /* Where the message enters the network: the full check. */
        if ((rc = sg_msg_parse (f[1].data, f[1].size, &self->limits, &m, diag)) != SG_OK)
            goto done;
        sg_msg_head_t mh = { .type = m->type };
        sg_strlcpy (mh.id, m->id, sizeof mh.id);
        sg_strlcpy (mh.mrn, m->mrn, sizeof mh.mrn);
        sg_strlcpy (mh.sender, m->sender, sizeof mh.sender);
        sg_strlcpy (mh.recipient, m->recipient, sizeof mh.recipient);
        sg_strlcpy (mh.correlation_id, m->correlation_id, sizeof mh.correlation_id);
        if ((rc = s_agree (it, &mh, diag)) != SG_OK
            || (rc = s_authorise (self, it, diag)) != SG_OK)
            goto done;
    }
    else {
        /* From a peer node (validate origin): the origin checked the body
         * in full and signed it; here the body's header elements must
         * agree with the SGTP header and the signature must verify. The
         * lifecycle needs the tree: parsed then without the schema. */
        sg_msg_head_t mh;
        if ((rc = sg_msg_peek (f[1].data, f[1].size, &mh, diag)) != SG_OK
            || (rc = s_agree (it, &mh, diag)) != SG_OK
            || (rc = s_authorise (self, it, diag)) != SG_OK)
            goto done;
        if (self->o.lifecycle
            && (rc = sg_msg_parse_signed (f[1].data, f[1].size, &self->limits, &m, diag)) != SG_OK)
            goto done;
    }
    const char *hop = routes_lookup (it->router, it->recipient);
    if (!hop) {
        rc = sg_diag_set (diag, SG_ENOTFOUND, 0, SG_NAK_NO_ROUTE, "no route to office %s",
                          it->recipient);
        goto done;
    }
    sg_strlcpy (it->hop, hop, sizeof it->hop);
    sg_strlcpy (it->from, src->peer, sizeof it->from);
    if (!src->is_node)
        rc = s_sign_local (self, it, h, diag);
    if (rc == SG_OK && self->o.lifecycle) {
        it->msg = m;
        m = NULL;
    }
done:
    if (rc != SG_OK && diag->nak == 0)
        diag->nak = SG_NAK_INCORRECT_VALUE;
    sg_hdr_destroy (&h);
    sg_msg_destroy (&m);
    return rc;
}

/* Main thread: a checked message joins the batch, a refused one is NAKed. */
static void
s_finish (intake_t *self, s_item_t *it)
{
    if (it->rc == SG_ENOMEM || it->rc == SG_EIO) {
        /* This node's own fault, not the message's: no NAK (that would be
         * for good); the sender resends after its timeout. */
        sg_log_error ("cannot check %s from %s now (%s); it will be sent again", it->wm->id,
                   it->peer, it->diag.text);
        s_item_free (it);
        return;
    }
    if (it->rc != SG_OK) {
        self->stats.refused++;
        metrics_nak_sent (it->peer, it->diag.nak);
        sg_log_info ("refused %s from %s: NAK %d %s", it->wm->id, it->peer, it->diag.nak,
                  it->diag.text);
        wire_send_nak (self->sock, it->rid, it->rid_len, it->wm->id, it->diag.nak,
                       it->diag.text, s_reply_flags (self, it->wm));
        s_item_free (it);
        return;
    }
    /* A full batch goes to the commit thread (after the one it may be
     * committing), which leaves an empty one open. */
    if (self->open->n >= self->o.batch_max) {
        s_commit_wait (self);
        intake_commit (self);
    }
    s_batch_t *b = self->open;
    const wire_frame_t *f = it->wm->frames;
    b->items[b->n] = it;
    b->msgs[b->n] = (store_msg_t) {
        .id = it->id, .type = it->type, .mrn = it->mrn, .sender = it->sender,
        .recipient = it->recipient, .origin_node = it->origin,
        .correlation_id = it->corr[0] ? it->corr : NULL, .from_peer = it->from,
        .header = it->hdr_own ? it->hdr_own : f[0].data,
        .header_len = it->hdr_own ? it->hdr_len : f[0].size,
        .body = f[1].data, .body_len = f[1].size,
        .signature = it->to_sign ? NULL : f[2].data,    /* set by s_sign */
        .signature_len = it->to_sign ? 0 : f[2].size,
        .next_hop = it->hop,
    };
    b->n++;
}

int
intake_add (intake_t *self, wire_msg_t **msg_p, const intake_src_t *src, const peers_t *peers,
            const routes_t *router)
{
    wire_msg_t *wm = *msg_p;
    *msg_p = NULL;
    if (!wm)
        return SG_EINVAL;
    self->stats.received++;
    s_item_t *it = calloc (1, sizeof *it);
    if (!it) {
        sg_log_error ("intake: out of memory (message %s not acknowledged)", wm->id);
        wire_msg_destroy (&wm);
        return SG_ENOMEM;
    }
    struct s_held *held = s_held (self, src->rid, src->rid_len, 1);
    /* A resend of a message still held (the sender's timer ran out before
     * our ACK) is dropped: the answer to the first copy answers both, and
     * the window counts messages, not copies. */
    size_t bucket = sg_hash_str (wm->id) & (S_HELD_BUCKETS - 1);
    for (s_item_t *h = held && held->n ? self->held_ids[bucket] : NULL; h; h = h->hnext)
        if (h->rid_len == src->rid_len && !memcmp (h->rid, src->rid, src->rid_len)
            && !strcmp (h->wm->id, wm->id)) {
            sg_log_debug ("intake: %s from %s is held already; resend dropped", wm->id, src->peer);
            free (it);
            wire_msg_destroy (&wm);
            return SG_OK;
        }
    /* A sender keeps at most `window` new messages unanswered, but copies
     * of messages we answered already (our ACK still on its way when its
     * timer ran out) count here again until answered: a well-behaved
     * sender stays within twice its window, a hostile one is cut there. */
    if (held && src->window > 0 && held->n >= 2 * (size_t) src->window) {
        char reason[200];
        snprintf (reason, sizeof reason, "window exceeded: %zu messages of this connection are "
                  "not answered yet (window %d, twice that held at most); wait for their "
                  "ACK/NAK before sending more", held->n, src->window);
        sg_log_warn ("refused %s from %s: NAK %d %s", wm->id, src->peer, SG_NAK_TOO_LARGE, reason);
        wire_send_nak (self->sock, src->rid, src->rid_len, wm->id, SG_NAK_TOO_LARGE, reason,
                       s_reply_flags (self, wm));
        self->stats.refused++;
        metrics_nak_sent (src->peer, SG_NAK_TOO_LARGE);
        free (it);
        wire_msg_destroy (&wm);
        return SG_ETOOBIG;
    }
    if (held) {
        held->n++;
        it->owner = self;
        it->bucket = bucket;
        it->hnext = self->held_ids[bucket];
        if (it->hnext)
            it->hnext->hprev = it;
        self->held_ids[bucket] = it;
    }
    it->wm = wm;
    it->peers = peers;
    it->router = router;
    memcpy (it->rid, src->rid, src->rid_len);
    it->rid_len = src->rid_len;
    sg_strlcpy (it->peer, src->peer, sizeof it->peer);
    it->src = (intake_src_t) { it->rid, it->rid_len, it->peer, src->is_node, src->window };
    if (!self->nthreads) {
        it->rc = s_validate (self, it, &it->diag);
        int rc = it->rc;
        s_finish (self, it);
        return rc;
    }
    pthread_mutex_lock (&self->lock);
    if (self->queued_tail)
        self->queued_tail->next = it;
    else
        self->queued = it;
    self->queued_tail = it;
    self->outstanding++;
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
    return SG_OK;
}

void
intake_collect (intake_t *self)
{
    uint64_t count;
    if (read (self->efd, &count, sizeof count) < 0 && errno != EAGAIN)
        sg_log_error ("intake: cannot read the result signal: %s", strerror (errno));
    pthread_mutex_lock (&self->lock);
    s_item_t *it = self->done;
    self->done = self->done_tail = NULL;
    int settle = self->busy && self->busy_done;
    pthread_mutex_unlock (&self->lock);
    if (settle)
        s_settle (self);
    while (it) {
        s_item_t *next = it->next;
        it->next = NULL;
        self->outstanding--;
        s_finish (self, it);
        it = next;
    }
}

/* Waits for the commit thread to finish the batch it has, and settles it. */
static void
s_commit_wait (intake_t *self)
{
    if (!self->busy)
        return;
    pthread_mutex_lock (&self->lock);
    while (!self->busy_done)
        pthread_cond_wait (&self->done_cond, &self->lock);
    pthread_mutex_unlock (&self->lock);
    s_settle (self);
}

void
intake_wait (intake_t *self)
{
    for (;;) {
        s_commit_wait (self);
        if (!self->outstanding)
            return;
        struct pollfd p = { self->efd, POLLIN, 0 };
        poll (&p, 1, 100);
        intake_collect (self);
    }
}

void
intake_flush (intake_t *self)
{
    intake_wait (self);
    intake_commit (self);
    s_commit_wait (self);
}

size_t
intake_outstanding (const intake_t *self)
{
    return self->outstanding;
}

int
intake_fd (const intake_t *self)
{
    return self->efd;
}

size_t
intake_pending (const intake_t *self)
{
    return self->open->n;
}

int
intake_committing (const intake_t *self)
{
    return self->busy != NULL;
}

int
intake_full (const intake_t *self)
{
    return self->open->n >= self->o.batch_max;
}

/* Commit thread: takes item i out of the batch into b->refused (the main
 * thread NAKs it), keeping the order of the rest. */
static void
s_refuse (s_batch_t *b, size_t i, const sg_diag_t *d)
{
    s_item_t *it = b->items[i];
    it->diag = *d;
    it->next = b->refused;
    b->refused = it;
    memmove (&b->items[i], &b->items[i + 1], (b->n - i - 1) * sizeof *b->items);
    memmove (&b->msgs[i], &b->msgs[i + 1], (b->n - i - 1) * sizeof *b->msgs);
    b->n--;
}

/* Sends one ACK per connection for the whole batch, except for the
 * duplicates that reuse an id for different content (NAKed) and those
 * that could not be compared (not answered: the sender resends). */
static void
s_ack_all (intake_t *self, s_batch_t *b)
{
    int compared = b->compared;
    const char **ids = malloc (b->n * sizeof *ids);
    char *done = calloc (b->n, 1);
    if (!ids || !done) {
        sg_log_error ("out of memory acknowledging a batch (senders will resend)");
        goto out;
    }
    for (size_t i = 0; i < b->n; i++) {
        const store_msg_t *sm = &b->msgs[i];
        if (sm->duplicate && (!compared || sm->conflict))
            done[i] = 1;
        if (sm->duplicate && compared && sm->conflict) {
            const s_item_t *it = b->items[i];
            char reason[160];
            snprintf (reason, sizeof reason, "Message-Id %s is already used by a different "
                      "message (the body differs): a new message needs a new id", sm->id);
            sg_log_warn ("refused %s from %s: NAK %d %s", it->wm->id, it->peer,
                      SG_NAK_INCORRECT_VALUE, reason);
            wire_send_nak (self->sock, it->rid, it->rid_len, it->wm->id, SG_NAK_INCORRECT_VALUE,
                           reason, s_reply_flags (self, it->wm));
            self->stats.refused++;
            metrics_nak_sent (it->peer, SG_NAK_INCORRECT_VALUE);
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        if (done[i])
            continue;
        const s_item_t *a = b->items[i];
        size_t k = 0;
        for (size_t j = i; j < b->n; j++) {
            const s_item_t *c = b->items[j];
            if (done[j] || c->rid_len != a->rid_len || memcmp (c->rid, a->rid, a->rid_len))
                continue;
            done[j] = 1;
            ids[k++] = c->wm->id;
            if (k == WIRE_MAX_IDS) {
                wire_send_ack (self->sock, a->rid, a->rid_len, ids, k, s_reply_flags (self, a->wm));
                k = 0;
            }
        }
        if (k)
            wire_send_ack (self->sock, a->rid, a->rid_len, ids, k, s_reply_flags (self, a->wm));
    }
out:
    free (ids);
    free (done);
}

/* Stores the batch, through the lifecycle when there is one. */
static int
s_store (intake_t *self, s_batch_t *b, sg_diag_t *d)
{
    if (!self->o.lifecycle)
        return store_accept (self->store, b->msgs, b->n, d);
    lifecycle_in_t *in = malloc (b->n * sizeof *in);
    if (!in)
        return sg_diag_set (d, SG_ENOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < b->n; i++)
        in[i] = (lifecycle_in_t) { b->items[i]->msg, !b->items[i]->src.is_node,
                                   b->items[i]->officer[0] ? b->items[i]->officer : NULL };
    int rc = lifecycle_commit (self->o.lifecycle, self->store, b->msgs, in, b->n, &b->made, d);
    free (in);
    return rc;
}

/* Signs what local adapters sent in this batch: one batch signature over
 * those whose next hop understands it (it->batch_sign), a plain signature
 * for each of the others. SG_OK, or SG_ENOMEM / SG_EKEY (nothing of the
 * batch may then be stored: it is not acknowledged, senders resend). */
static int
s_sign (intake_t *self, s_batch_t *b)
{
    size_t nb = 0;
    int rc = SG_OK;
    for (size_t i = 0; i < b->n && rc == SG_OK; i++) {
        s_item_t *it = b->items[i];
        if (!it->to_sign)
            continue;
        free (it->sig);
        it->sig = NULL;
        if (it->batch_sign) {
            memcpy (self->leaves[nb], it->leaf, SG_SIGN_LEAF_LEN);
            self->signing[nb++] = i;
            continue;
        }
        const char *h = it->hdr_own ? it->hdr_own : it->wm->frames[0].data;
        size_t hl = it->hdr_own ? it->hdr_len : it->wm->frames[0].size;
        if (!(it->sig = malloc (SG_SIGN_LEN)))
            rc = SG_ENOMEM;
        else if ((rc = sg_sign_message (self->o.sign_key, h, hl, it->wm->frames[1].data,
                                        it->wm->frames[1].size, it->sig)) == SG_OK)
            it->sig_len = SG_SIGN_LEN;
    }
    if (rc == SG_OK && nb)
        rc = sg_sign_batch (self->o.sign_key,
                            (const unsigned char (*)[SG_SIGN_LEAF_LEN]) self->leaves,
                            nb, self->sigs, self->sig_lens);
    for (size_t k = 0; rc == SG_OK && k < nb; k++) {
        s_item_t *it = b->items[self->signing[k]];
        it->sig = self->sigs[k];
        it->sig_len = self->sig_lens[k];
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i]->to_sign) {
            b->msgs[i].signature = b->items[i]->sig;
            b->msgs[i].signature_len = b->items[i]->sig_len;
        }
    return rc;
}

/* Commit thread: signs, stores and compares batch b; the outcome goes
 * into b for s_settle. The store NAKs (b->refused) what it refuses and
 * stores the others. */
static void
s_commit_batch (intake_t *self, s_batch_t *b)
{
    int64_t t0 = metrics_now_us ();
    store_guard_begin (self->store);    /* a hung database cannot hold the commit */
    b->refused = NULL;
    b->compared = 0;
    b->made = (lifecycle_out_t) { 0 };
    b->rc = s_sign (self, b);
    b->signed_ok = b->rc == SG_OK;
    while (b->rc == SG_OK && b->n > 0) {
        b->rc = s_store (self, b, &b->diag);
        if (b->rc != SG_EINVAL || b->diag.line < 1 || (size_t) b->diag.line > b->n)
            break;
        s_refuse (b, (size_t) b->diag.line - 1, &b->diag);   /* the others are stored */
        b->rc = SG_OK;
    }
    if (b->rc == SG_OK && b->n > 0)
        b->compared = store_conflicts (self->store, b->msgs, b->n, &b->diag) == SG_OK;
    store_guard_end (self->store);
    b->took_us = metrics_now_us () - t0;
}

/* Main thread: answers for the batch the commit thread is done with (NAK
 * what the store refused; ACK and dispatch what it stored, or nothing
 * when the commit failed: the senders resend), frees it and takes the
 * next. */
static void
s_settle (intake_t *self)
{
    s_batch_t *b = self->busy;
    for (s_item_t *it = b->refused, *next; it; it = next) {
        next = it->next;
        int nak = it->diag.nak ? it->diag.nak : SG_NAK_INCORRECT_VALUE;
        sg_log_warn ("refused %s: NAK %d %s", it->wm->id, nak, it->diag.text);
        wire_send_nak (self->sock, it->rid, it->rid_len, it->wm->id, nak, it->diag.text,
                       s_reply_flags (self, it->wm));
        self->stats.refused++;
        metrics_nak_sent (it->peer, nak);
        s_item_free (it);
    }
    if (!b->signed_ok)
        sg_log_error ("cannot sign a batch of %zu messages: %s (not acknowledged; senders will "
                      "resend)", b->n, sg_strerror (b->rc));
    else if (b->rc != SG_OK) {
        self->stats.db_errors++;
        metrics_db_error ();
        sg_log_error ("cannot store a batch of %zu messages: %s (not acknowledged; senders will "
                   "resend)", b->n, b->diag.text);
        /* The commit may have happened all the same (the connection broke
         * before its answer, e.g. a failover): the resend is then a
         * duplicate that is not queued again. The queues page from the
         * database again, in seq order, so such a row is sent, and in its
         * place in the order of its MRN. */
        dispatch_rescan (self->dispatch);
    }
    else if (b->n > 0) {
        self->stats.batches++;
        metrics_batch (b->n, b->took_us);
        if (!b->compared)
            sg_log_error ("cannot compare duplicates with the stored messages: %s (not "
                       "acknowledged; senders will resend)", b->diag.text);
        s_ack_all (self, b);
        int trusted = dispatch_claim_epoch (self->dispatch) == b->claim_epoch;
        for (size_t i = 0; i < b->n; i++) {
            store_msg_t *sm = &b->msgs[i];
            sm->claimed &= trusted;
            metrics_msg_in (b->items[i]->peer, sm->type, sm->mrn, sm->duplicate);
            if (sm->duplicate) {
                self->stats.duplicates++;
                continue;
            }
            self->stats.accepted++;
            dispatch_enqueue_msg (self->dispatch, sm);
        }
        for (size_t k = 0; k < b->made.n; k++)
            dispatch_enqueue_msg (self->dispatch, &b->made.gen[k]->sm);
    }
    lifecycle_out_clear (&b->made);
    for (size_t i = 0; i < b->n; i++)
        s_item_free (b->items[i]);
    b->n = 0;
    dispatch_handover (self->dispatch, -1);
    pthread_mutex_lock (&self->lock);
    self->busy = NULL;
    self->busy_done = 0;
    pthread_mutex_unlock (&self->lock);
}

int
intake_commit (intake_t *self)
{
    s_batch_t *b = self->open;
    if (b->n == 0)
        return SG_OK;
    if (self->busy)
        return SG_ESEQ;
    /* What the commit thread must not ask the main thread's objects. */
    for (size_t i = 0; i < b->n; i++) {
        s_item_t *it = b->items[i];
        it->batch_sign = it->to_sign && self->o.batch_hop
                         && self->o.batch_hop (self->o.batch_arg, it->hop);
        b->msgs[i].claim_holder = dispatch_intake_claim (self->dispatch, it->hop, it->mrn,
                                                         &b->msgs[i].claim_ttl_ms);
    }
    b->claim_epoch = dispatch_claim_epoch (self->dispatch);
    self->open = b == &self->batches[0] ? &self->batches[1] : &self->batches[0];
    dispatch_handover (self->dispatch, 1);
    pthread_mutex_lock (&self->lock);
    self->busy = b;
    self->busy_done = 0;
    pthread_cond_signal (&self->commit_cond);
    pthread_mutex_unlock (&self->lock);
    return SG_OK;
}

void
intake_stats (const intake_t *self, intake_stats_t *out)
{
    *out = self->stats;
}
