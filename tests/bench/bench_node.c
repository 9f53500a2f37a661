/* bench_node.c - `sigmat-bench node`: drives a running node over SGTP/1
 * as a sending adapter and (optionally) a receiving adapter, at a fixed
 * rate or flat out, and reports messages/s accepted (ACKed: durably
 * stored) and delivered, with ACK and end-to-end latency percentiles.
 * Without a receiver it measures intake alone (e.g. with the next hop
 * offline and a backlog growing). tests/bench/node-bench.sh sets up the
 * nodes and databases and calls this. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "client.h"
#include "header.h"
#include "ident.h"
#include "msggen.h"

typedef struct {
    const char *node, *server_pub, *key, *name;
} s_conn_t;

typedef struct {
    s_conn_t send, recv;
    const char *template, *label;
    long count, rate, mrns, window;
    double timeout;
    int no_duplicates;
} s_opts_t;

enum { S_ACKED = 1, S_NAKED = 2, S_DELIVERED = 4 };

/* Message ids carry the run and the message index, so an ACK or a
 * delivery finds its send time without a lookup table. */
static void
s_make_id (char out[37], unsigned run, long index)
{
    snprintf (out, 37, "%08x-0000-4000-8000-%012lx", run, (unsigned long) index);
}

static long
s_index_of (const char *id, unsigned run)
{
    unsigned r;
    unsigned long i;
    if (sscanf (id, "%8x-0000-4000-8000-%12lx", &r, &i) != 2 || r != run)
        return -1;
    return (long) i;
}

static int
s_parse (int argc, char **argv, s_opts_t *o)
{
    memset (o, 0, sizeof *o);
    o->count = 10000;
    o->mrns = 1000;
    o->window = 256;
    o->timeout = 60;
    o->label = "node";
    static const struct option opts[] = {
        { "node", required_argument, NULL, 0 },
        { "server-pub", required_argument, NULL, 0 },
        { "key", required_argument, NULL, 0 },
        { "name", required_argument, NULL, 0 },
        { "recv-node", required_argument, NULL, 0 },
        { "recv-server-pub", required_argument, NULL, 0 },
        { "recv-key", required_argument, NULL, 0 },
        { "recv-name", required_argument, NULL, 0 },
        { "template", required_argument, NULL, 0 },
        { "label", required_argument, NULL, 0 },
        { "count", required_argument, NULL, 0 },
        { "rate", required_argument, NULL, 0 },
        { "mrns", required_argument, NULL, 0 },
        { "window", required_argument, NULL, 0 },
        { "timeout", required_argument, NULL, 0 },
        { "duplicates", required_argument, NULL, 0 },
        { NULL, 0, NULL, 0 }
    };
    int idx, opt;
    optind = 0;                     /* argv[-1] is the command: getopt's argv[0] */
    opterr = 1;
    while ((opt = getopt_long (argc + 1, argv - 1, "", opts, &idx)) == 0) {
        const char *k = opts[idx].name, *v = optarg;
        if (strcmp (k, "node") == 0) o->send.node = v;
        else if (strcmp (k, "server-pub") == 0) o->send.server_pub = v;
        else if (strcmp (k, "key") == 0) o->send.key = v;
        else if (strcmp (k, "name") == 0) o->send.name = v;
        else if (strcmp (k, "recv-node") == 0) o->recv.node = v;
        else if (strcmp (k, "recv-server-pub") == 0) o->recv.server_pub = v;
        else if (strcmp (k, "recv-key") == 0) o->recv.key = v;
        else if (strcmp (k, "recv-name") == 0) o->recv.name = v;
        else if (strcmp (k, "template") == 0) o->template = v;
        else if (strcmp (k, "label") == 0) o->label = v;
        else if (strcmp (k, "count") == 0) o->count = atol (v);
        else if (strcmp (k, "rate") == 0) o->rate = atol (v);
        else if (strcmp (k, "mrns") == 0) o->mrns = atol (v);
        else if (strcmp (k, "window") == 0) o->window = atol (v);
        else if (strcmp (k, "timeout") == 0) o->timeout = atof (v);
        else if (strcmp (k, "duplicates") == 0 && strcmp (v, "fail") == 0) o->no_duplicates = 1;
        else if (strcmp (k, "duplicates") == 0 && strcmp (v, "report") == 0) o->no_duplicates = 0;
        else
            return 0;
    }
    if (opt != -1 || optind <= argc)
        return 0;                   /* a bad option or an operand */
    return o->send.node && o->send.server_pub && o->send.key && o->send.name && o->template
           && o->count > 0 && o->mrns > 0 && o->window > 0;
}

int
bench_node (int argc, char **argv)
{
    s_opts_t o;
    if (!s_parse (argc, argv, &o)) {
        fprintf (stderr, "usage: sigmat-bench node --node EP --server-pub F --key BASE --name N\n"
                         "         --template FILE [--recv-node EP --recv-server-pub F --recv-key BASE\n"
                         "         --recv-name N] [--count N] [--rate R/s, 0 = flat out] [--mrns M]\n"
                         "         [--window W] [--timeout S] [--label TEXT] [--duplicates report|fail]\n");
        return 2;
    }
    sg_client_t *snd = msggen_connect (o.send.node, o.send.server_pub, o.send.key, o.send.name,
                                       "adapter", (int) o.window, 20);
    sg_client_t *rcv = o.recv.node ? msggen_connect (o.recv.node, o.recv.server_pub, o.recv.key,
                                                     o.recv.name, "adapter", (int) o.window, 20)
                                   : NULL;
    if (!snd || (o.recv.node && !rcv))
        return 1;

    /* One body from the template; each message patches its id and MRN in
     * place (fixed widths), so generating costs nothing measurable. */
    sg_msg_t *t = msggen_template (o.template);
    char (*mrns)[MRN_LEN + 1] = calloc ((size_t) o.mrns, sizeof *mrns);
    char country[3] = { t->sender[0], t->sender[1], 0 };
    for (long i = 0; i < o.mrns; i++)
        sg_mrn_new (country, mrns[i]);
    size_t blen;
    char *body = msggen_body (t, "00000000-0000-4000-8000-000000000000", mrns[0], t->sender,
                              t->recipient, &blen);
    char *id_at = strstr (body, "<MessageID>") + strlen ("<MessageID>");
    char *mrn_at = strstr (body, "<DeclarationID>") + strlen ("<DeclarationID>");
    const char *origin = sg_client_node_name (snd);
    unsigned run = (unsigned) time (NULL) ^ (unsigned) clock ();

    double *sent_at = calloc ((size_t) o.count, sizeof *sent_at);
    double *ack_lat = calloc ((size_t) o.count, sizeof *ack_lat);
    double *e2e_lat = calloc ((size_t) o.count, sizeof *e2e_lat);
    /* What happened to each message: a second ACK or a second DELIVER of
     * the same id is counted apart (a duplicate), never stored past the
     * arrays, which hold one slot per message. */
    unsigned char *seen = calloc ((size_t) o.count, 1);
    if (!sent_at || !ack_lat || !e2e_lat || !seen) {
        fprintf (stderr, "sigmat-bench: out of memory\n");
        return 1;
    }
    long made = 0, acked = 0, naked = 0, delivered = 0, dup_acks = 0, dup_delivered = 0, strays = 0;
    double start = bench_now (), last_ack = start, last_delivery = start, idle_since = start;
    size_t max_unacked = (size_t) o.window * 2;
    while ((acked + naked < o.count || (rcv && delivered < acked)) && bench_now () - idle_since < o.timeout) {
        double now = bench_now ();
        long due = o.rate > 0 ? (long) ((now - start) * o.rate) + 1 : o.count;
        while (made < o.count && made < due && sg_client_unacked (snd) < max_unacked) {
            char id[37];
            s_make_id (id, run, made);
            memcpy (id_at, id, 36);
            memcpy (mrn_at, mrns[made % o.mrns], MRN_LEN);
            size_t hlen;
            char *hdr = msggen_header (id, sg_msg_type_name (t->type), mrns[made % o.mrns],
                                       t->sender,
                                       t->recipient, origin, NULL, NULL, &hlen);
            sent_at[made] = bench_now ();
            if (sg_client_send (snd, hdr, hlen, body, blen) != SG_OK) {
                fprintf (stderr, "sigmat-bench: cannot queue message %ld\n", made);
                return 1;
            }
            free (hdr);
            made++;
        }
        /* Wait a little (for an ACK, which wakes us at once) only when
         * there is nothing to send right now: spinning here would take a
         * core from the node on a small machine. */
        int wait_ms = made < o.count && o.rate == 0 && sg_client_unacked (snd) < max_unacked
                      ? 0 : 1;
        sg_event_t ev = { 0 };
        int busy = 0;
        /* At most a window's worth of events from one client before looking
         * at the other: a receiver left unread for seconds looks dead to
         * its heartbeat and says HELLO again. */
        long turns = 0;
        while (turns++ < o.window && sg_client_poll (snd, &ev, wait_ms) == SG_OK) {
            wait_ms = 0;
            long i = s_index_of (ev.id, run);
            if (i < 0 || i >= made)
                strays += ev.type == SG_EV_ACK || ev.type == SG_EV_NAK;
            else if (seen[i] & (S_ACKED | S_NAKED))
                dup_acks += ev.type == SG_EV_ACK || ev.type == SG_EV_NAK;
            else if (ev.type == SG_EV_ACK) {
                seen[i] |= S_ACKED;
                ack_lat[acked++] = bench_now () - sent_at[i];
                last_ack = bench_now ();
            }
            else if (ev.type == SG_EV_NAK) {
                seen[i] |= S_NAKED;
                if (naked++ < 5)
                    fprintf (stderr, "sigmat-bench: NAK %d %s\n", ev.code, ev.reason);
            }
            sg_event_clear (&ev);
            busy = 1;
        }
        turns = 0;
        while (rcv && turns++ < o.window && sg_client_poll (rcv, &ev, 0) == SG_OK) {
            if (ev.type == SG_EV_DELIVER) {
                long i = s_index_of (ev.id, run);
                if (i < 0 || i >= made)
                    strays++;
                else if (seen[i] & S_DELIVERED)
                    dup_delivered++;
                else {
                    seen[i] |= S_DELIVERED;
                    e2e_lat[delivered++] = bench_now () - sent_at[i];
                    last_delivery = bench_now ();
                }
                sg_client_ack (rcv, ev.id);
            }
            sg_event_clear (&ev);
            busy = 1;
        }
        if (busy)
            idle_since = bench_now ();
    }
    double accept_s = last_ack - start, deliver_s = last_delivery - start;
    printf ("# %s: %ld messages (%zu-byte %s), %ld MRNs, rate %s, window %ld\n", o.label, o.count,
            blen, sg_msg_type_name (t->type), o.mrns, o.rate ? "fixed" : "flat out", o.window);
    if (o.rate)
        printf ("offered rate           %8ld msg/s\n", o.rate);
    printf ("accepted (ACKed)       %8ld in %.2f s = %8.0f msg/s\n", acked, accept_s,
            acked / (accept_s > 0 ? accept_s : 1e-9));
    if (rcv)
        printf ("delivered              %8ld in %.2f s = %8.0f msg/s\n", delivered, deliver_s,
                delivered / (deliver_s > 0 ? deliver_s : 1e-9));
    if (naked)
        printf ("refused (NAK)          %8ld\n", naked);
    if (rcv)
        printf ("duplicates delivered   %8ld\n", dup_delivered);
    if (dup_acks)
        printf ("duplicate ACK/NAK      %8ld\n", dup_acks);
    if (strays)
        printf ("unknown ids            %8ld\n", strays);
    bench_percentiles ("ACK latency", ack_lat, acked);
    if (rcv)
        bench_percentiles ("end-to-end latency", e2e_lat, delivered);
    /* Missing messages fail the run; duplicates are allowed by the
     * protocol (at-least-once hops) but reported, and fail it too with
     * --no-duplicates (a run with no fault injected should see none). */
    int ok = acked == o.count && (!rcv || delivered == o.count)
             && (!o.no_duplicates || dup_delivered == 0);
    if (acked != o.count || (rcv && delivered != o.count))
        printf ("INCOMPLETE: %ld of %ld accepted, %ld delivered, %ld missing\n", acked, o.count,
                delivered, o.count - delivered);
    if (o.no_duplicates && dup_delivered)
        printf ("DUPLICATES: %ld delivered more than once\n", dup_delivered);
    sg_client_destroy (&snd);
    sg_client_destroy (&rcv);
    sg_msg_destroy (&t);
    free (body);
    free (mrns);
    free (sent_at);
    free (ack_lat);
    free (e2e_lat);
    free (seen);
    return ok ? 0 : 1;
}
