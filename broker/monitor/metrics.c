/* metrics.c - the process-wide metrics registry behind metrics.h. Links
 * live in a fixed table indexed by an open-addressing hash of their name;
 * a slot is filled once under a mutex and published with a release store,
 * so lookups never lock. Counters are relaxed atomics: readers may see
 * one counter a little ahead of another, never a torn value. */
#include "config.h"
#include "monitor/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "sg.h"

#define S_BUCKETS 512               /* hash slots, > 2 x METRICS_MAX_LINKS */
#define S_INCIDENTS 128

typedef struct {
    char name[64];
    atomic_int is_node, up;
    atomic_llong changed, last_seen;
    atomic_uint_fast64_t in[METRICS_NTYPES], out[METRICS_NTYPES];
    atomic_uint_fast64_t duplicates, resent, acked, naks_sent, naks_received;
    atomic_uint_fast64_t queued, inflight;
} s_link_t;

static const char *const s_types[METRICS_NTYPES] = {
    "DEC", "REL", "AAR", "ATR", "NCF", "ARR", "DCR", "WOF", "CAN", "INC",
    "ENQ", "ENR", "ARQ", "STQ", "STR", "ACK", "NAK", "OTHER"
};

const double metrics_batch_bounds[METRICS_BATCH_BUCKETS] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, HUGE_VAL
};
const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, HUGE_VAL
};

static struct {
    pthread_mutex_t lock;           /* link creation and incidents */
    char node[64];
    atomic_llong started;
    s_link_t links[METRICS_MAX_LINKS + 1];  /* the last one is "_other" */
    atomic_int nlinks;
    atomic_int slot[S_BUCKETS];     /* 0 empty, else link index + 1 */
    atomic_uint_fast64_t batches, db_errors, batch_sum, latency_sum_us;
    atomic_uint_fast64_t batch_hist[METRICS_BATCH_BUCKETS];
    atomic_uint_fast64_t latency_hist[METRICS_LATENCY_BUCKETS];
    atomic_uint_fast64_t naks_sent[METRICS_NAK_CODES], naks_received[METRICS_NAK_CODES];
    atomic_uint_fast64_t refusals[METRICS_NREFUSALS];
    metrics_incident_t incidents[S_INCIDENTS];
    size_t inc_next, inc_n;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

#define S_ADD(field, n) atomic_fetch_add_explicit (&(field), (n), memory_order_relaxed)
#define S_SET(field, v) atomic_store_explicit (&(field), (v), memory_order_relaxed)
#define S_GET(field) atomic_load_explicit (&(field), memory_order_relaxed)

/* The link named name, created on first sight; the "_other" link when the
 * table is full or name is NULL/empty. */
static s_link_t *
s_link (const char *name)
{
    if (!name || !*name)
        name = "_other";
    size_t h = (size_t) sg_hash_str (name);
    for (size_t i = 0; i < S_BUCKETS; i++) {
        size_t b = (h + i) & (S_BUCKETS - 1);
        int k = atomic_load_explicit (&S.slot[b], memory_order_acquire);
        if (k == 0)
            break;
        if (strcmp (S.links[k - 1].name, name) == 0)
            return &S.links[k - 1];
    }
    pthread_mutex_lock (&S.lock);
    s_link_t *l = NULL;
    size_t b = h & (S_BUCKETS - 1);
    for (size_t i = 0; i < S_BUCKETS; i++, b = (h + i) & (S_BUCKETS - 1)) {
        int k = atomic_load_explicit (&S.slot[b], memory_order_acquire);
        if (k == 0)
            break;
        if (strcmp (S.links[k - 1].name, name) == 0) {
            l = &S.links[k - 1];
            goto done;
        }
    }
    int n = atomic_load (&S.nlinks);
    if (n >= METRICS_MAX_LINKS) {
        l = &S.links[METRICS_MAX_LINKS];
        if (!l->name[0]) {
            sg_strlcpy (l->name, "_other", sizeof l->name);
            S_SET (l->up, -1);
            S_SET (l->is_node, -1);
        }
        goto done;
    }
    l = &S.links[n];
    memset (l, 0, sizeof *l);
    sg_strlcpy (l->name, name, sizeof l->name);
    S_SET (l->up, -1);
    S_SET (l->is_node, -1);
    atomic_store_explicit (&S.nlinks, n + 1, memory_order_release);
    atomic_store_explicit (&S.slot[b], n + 1, memory_order_release);
done:
    pthread_mutex_unlock (&S.lock);
    return l;
}

static long long
s_wall (void)
{
    return (long long) time (NULL);
}

void
metrics_set_node (const char *name)
{
    pthread_mutex_lock (&S.lock);
    sg_strlcpy (S.node, name ? name : "", sizeof S.node);
    pthread_mutex_unlock (&S.lock);
    S_SET (S.started, s_wall ());
}

metrics_type_t
metrics_type (const char *code)
{
    if (code)
        for (int i = 0; i < METRICS_T_OTHER; i++)
            if (strcmp (code, s_types[i]) == 0)
                return (metrics_type_t) i;
    return METRICS_T_OTHER;
}

const char *
metrics_type_name (int type)
{
    return type >= 0 && type < METRICS_NTYPES ? s_types[type] : "OTHER";
}

int64_t
metrics_now_us (void)
{
    return sg_clock_us ();
}

/* ---- hooks --------------------------------------------------------------- */

void
metrics_msg_in (const char *link, const char *type, const char *mrn, int duplicate)
{
    s_link_t *l = s_link (link);
    if (duplicate) {
        S_ADD (l->duplicates, 1);
        return;
    }
    metrics_type_t t = metrics_type (type);
    S_ADD (l->in[t], 1);
    if (t == METRICS_T_INC)
        metrics_incident ("inc", link, mrn, "incident reported en route");
}

void
metrics_msg_out (const char *link, const char *type)
{
    S_ADD (s_link (link)->out[metrics_type (type)], 1);
}

void
metrics_msg_out_hdr (const char *link, const char *hdr, size_t hlen)
{
    char type[8] = "";
    const char *p = hdr, *end = hdr ? hdr + hlen : hdr;
    while (p && p < end) {
        const char *eol = memchr (p, '\n', (size_t) (end - p));
        const char *le = eol ? eol : end;
        if (le - p > 5 && strncasecmp (p, "Type:", 5) == 0) {
            const char *v = p + 5;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            size_t n = 0;
            while (v + n < le && n < sizeof type - 1 && v[n] != '\r' && v[n] != ' ')
                n++;
            memcpy (type, v, n);
            type[n] = '\0';
            break;
        }
        p = eol ? eol + 1 : NULL;
    }
    metrics_msg_out (link, type);
}

void
metrics_resent (const char *link, size_t n)
{
    S_ADD (s_link (link)->resent, n);
}

void
metrics_acked (const char *link, size_t n)
{
    S_ADD (s_link (link)->acked, n);
}

static int
s_code (int code)
{
    return code > 0 && code < METRICS_NAK_CODES ? code : 0;
}

void
metrics_nak_sent (const char *link, int code)
{
    S_ADD (s_link (link)->naks_sent, 1);
    S_ADD (S.naks_sent[s_code (code)], 1);
}

void
metrics_nak_received (const char *link, int code, const char *reason)
{
    S_ADD (s_link (link)->naks_received, 1);
    S_ADD (S.naks_received[s_code (code)], 1);
    metrics_incident ("nak", link, NULL, "NAK %d: %s (dead letter)", code,
                      reason ? reason : "refused");
}

void
metrics_link_up (const char *link, int is_node, int up)
{
    s_link_t *l = s_link (link);
    S_SET (l->is_node, is_node ? 1 : 0);
    int was = atomic_exchange (&l->up, up ? 1 : 0);
    if (was == (up ? 1 : 0))
        return;
    S_SET (l->changed, s_wall ());
    if (up)
        S_SET (l->last_seen, s_wall ());
    metrics_incident ("link", link, NULL, "%s %s is %s", is_node ? "node" : "adapter", link,
                          up ? "up" : "down");
}

void
metrics_peer_seen (const char *link)
{
    S_SET (s_link (link)->last_seen, s_wall ());
}

void
metrics_link_queue (const char *link, size_t queued, size_t inflight)
{
    s_link_t *l = s_link (link);
    S_SET (l->queued, queued);
    S_SET (l->inflight, inflight);
}

void
metrics_batch (size_t size, int64_t commit_us)
{
    int b = 0, k = 0;
    while (b < METRICS_BATCH_BUCKETS - 1 && (double) size > metrics_batch_bounds[b])
        b++;
    double s = commit_us > 0 ? (double) commit_us / 1e6 : 0;
    while (k < METRICS_LATENCY_BUCKETS - 1 && s > metrics_latency_bounds[k])
        k++;
    S_ADD (S.batch_hist[b], 1);
    S_ADD (S.latency_hist[k], 1);
    S_ADD (S.batch_sum, size);
    S_ADD (S.latency_sum_us, commit_us > 0 ? (uint64_t) commit_us : 0);
    S_ADD (S.batches, 1);
}

void
metrics_db_error (void)
{
    S_ADD (S.db_errors, 1);
}

const char *const metrics_refusal_names[METRICS_NREFUSALS] = { "authority", "sequence", "unknown" };

void
metrics_lifecycle_refusal (const char *reason, const char *mrn, const char *text)
{
    for (int i = 0; i < METRICS_NREFUSALS; i++)
        if (reason && strcmp (reason, metrics_refusal_names[i]) == 0)
            S_ADD (S.refusals[i], 1);
    metrics_incident (reason && strcmp (reason, "authority") == 0 ? "authority" : "refusal", NULL,
                      mrn, "%s", text ? text : "refused");
}

void
metrics_incident (const char *kind, const char *link, const char *mrn, const char *fmt, ...)
{
    metrics_incident_t in;
    memset (&in, 0, sizeof in);
    in.at = s_wall ();
    sg_strlcpy (in.kind, kind ? kind : "", sizeof in.kind);
    sg_strlcpy (in.link, link ? link : "", sizeof in.link);
    sg_strlcpy (in.mrn, mrn ? mrn : "", sizeof in.mrn);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (in.text, sizeof in.text, fmt, ap);
    va_end (ap);
    pthread_mutex_lock (&S.lock);
    S.incidents[S.inc_next] = in;
    S.inc_next = (S.inc_next + 1) % S_INCIDENTS;
    if (S.inc_n < S_INCIDENTS)
        S.inc_n++;
    pthread_mutex_unlock (&S.lock);
}

/* ---- reading --------------------------------------------------------------- */

static void
s_copy_link (const s_link_t *l, metrics_link_t *o)
{
    memset (o, 0, sizeof *o);
    sg_strlcpy (o->name, l->name, sizeof o->name);
    o->is_node = S_GET (l->is_node);
    o->up = S_GET (l->up);
    o->changed = S_GET (l->changed);
    o->last_seen = S_GET (l->last_seen);
    for (int t = 0; t < METRICS_NTYPES; t++) {
        o->in[t] = S_GET (l->in[t]);
        o->out[t] = S_GET (l->out[t]);
        o->in_total += o->in[t];
        o->out_total += o->out[t];
    }
    o->duplicates = S_GET (l->duplicates);
    o->resent = S_GET (l->resent);
    o->acked = S_GET (l->acked);
    o->naks_sent = S_GET (l->naks_sent);
    o->naks_received = S_GET (l->naks_received);
    o->queued = S_GET (l->queued);
    o->inflight = S_GET (l->inflight);
}

size_t
metrics_links (metrics_link_t *out, size_t max)
{
    size_t n = (size_t) atomic_load_explicit (&S.nlinks, memory_order_acquire);
    int other = S.links[METRICS_MAX_LINKS].name[0] != '\0';
    for (size_t i = 0; i < n && i < max; i++)
        s_copy_link (&S.links[i], &out[i]);
    if (other && n < max)
        s_copy_link (&S.links[METRICS_MAX_LINKS], &out[n]);
    return n + (size_t) other;
}

size_t
metrics_incidents (metrics_incident_t *out, size_t max)
{
    pthread_mutex_lock (&S.lock);
    size_t n = S.inc_n < max ? S.inc_n : max;
    for (size_t i = 0; i < n; i++)
        out[i] = S.incidents[(S.inc_next + S_INCIDENTS - 1 - i) % S_INCIDENTS];
    pthread_mutex_unlock (&S.lock);
    return n;
}

void
metrics_global (metrics_global_t *out)
{
    memset (out, 0, sizeof *out);
    pthread_mutex_lock (&S.lock);
    sg_strlcpy (out->node, S.node, sizeof out->node);
    pthread_mutex_unlock (&S.lock);
    out->started = S_GET (S.started);
    out->batches = S_GET (S.batches);
    out->db_errors = S_GET (S.db_errors);
    for (int i = 0; i < METRICS_NAK_CODES; i++) {
        out->naks_sent[i] = S_GET (S.naks_sent[i]);
        out->naks_received[i] = S_GET (S.naks_received[i]);
    }
    uint64_t b = 0, l = 0;
    for (int i = 0; i < METRICS_BATCH_BUCKETS; i++)
        out->batch_bucket[i] = b += S_GET (S.batch_hist[i]);
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
        out->latency_bucket[i] = l += S_GET (S.latency_hist[i]);
    out->batch_sum = S_GET (S.batch_sum);
    out->latency_sum_us = S_GET (S.latency_sum_us);
    for (int i = 0; i < METRICS_NREFUSALS; i++)
        out->refusals[i] = S_GET (S.refusals[i]);
}

void
metrics_reset (void)
{
    pthread_mutex_lock (&S.lock);
    for (size_t i = 0; i < S_BUCKETS; i++)
        atomic_store (&S.slot[i], 0);
    atomic_store (&S.nlinks, 0);
    memset (S.links, 0, sizeof S.links);
    for (int i = 0; i < METRICS_BATCH_BUCKETS; i++)
        atomic_store (&S.batch_hist[i], 0);
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
        atomic_store (&S.latency_hist[i], 0);
    for (int i = 0; i < METRICS_NAK_CODES; i++) {
        atomic_store (&S.naks_sent[i], 0);
        atomic_store (&S.naks_received[i], 0);
    }
    for (int i = 0; i < METRICS_NREFUSALS; i++)
        atomic_store (&S.refusals[i], 0);
    atomic_store (&S.batches, 0);
    atomic_store (&S.db_errors, 0);
    atomic_store (&S.batch_sum, 0);
    atomic_store (&S.latency_sum_us, 0);
    S.inc_next = S.inc_n = 0;
    S.node[0] = '\0';
    pthread_mutex_unlock (&S.lock);
}
