/* bench_amqp.c - `sigmat-bench amqp`: the yardstick sigmat races against.
 * Publishes COUNT persistent messages of SIZE bytes to a durable RabbitMQ
 * queue over AMQP 0-9-1 with publisher confirms (at most WINDOW
 * unconfirmed), flat out or at a fixed rate, and consumes them with manual
 * acknowledgements either during the publishing (a second connection on
 * its own thread) or after it. Prints the same lines as `sigmat-bench
 * node` (accepted = confirmed by the broker, delivered = consumed), so
 * tests/bench/race.sh reads both alike. Built only when librabbitmq is
 * found (configure). */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "bench.h"

typedef struct {
    const char *host, *queue, *label, *consume;
    int port;
    long count, window, size, rate;
    double timeout;
} s_opts_t;

/* What the consumer measured (filled by s_consume). */
typedef struct {
    const s_opts_t *o;
    long delivered;
    double first, last;
    double *e2e;
    int failed;
} s_consumer_t;

static int
s_parse (int argc, char **argv, s_opts_t *o)
{
    memset (o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 5672;
    o->queue = "sigmat-race";
    o->label = "RabbitMQ";
    o->consume = "during";
    o->count = 20000;
    o->window = 500;
    o->size = 2048;
    o->timeout = 60;
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp (k, "--host") == 0) o->host = v;
        else if (strcmp (k, "--port") == 0) o->port = atoi (v);
        else if (strcmp (k, "--queue") == 0) o->queue = v;
        else if (strcmp (k, "--label") == 0) o->label = v;
        else if (strcmp (k, "--consume") == 0) o->consume = v;
        else if (strcmp (k, "--count") == 0) o->count = atol (v);
        else if (strcmp (k, "--window") == 0) o->window = atol (v);
        else if (strcmp (k, "--size") == 0) o->size = atol (v);
        else if (strcmp (k, "--rate") == 0) o->rate = atol (v);
        else if (strcmp (k, "--timeout") == 0) o->timeout = atof (v);
        else
            return 0;
    }
    int consume_ok = strcmp (o->consume, "during") == 0 || strcmp (o->consume, "after") == 0
                     || strcmp (o->consume, "no") == 0;
    return argc % 2 == 0 && consume_ok && o->port > 0 && o->count > 0 && o->window > 0
           && o->size >= (long) sizeof (double) && o->rate >= 0;
}

/* 0 when the reply is normal, else -1 after saying what failed. */
static int
s_check (amqp_rpc_reply_t r, const char *what)
{
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return 0;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
        fprintf (stderr, "sigmat-bench amqp: %s: %s\n", what, amqp_error_string2 (r.library_error));
    else
        fprintf (stderr, "sigmat-bench amqp: %s: refused by the broker\n", what);
    return -1;
}

/* A logged-in connection with channel 1 open, or NULL. */
static amqp_connection_state_t
s_open (const s_opts_t *o)
{
    amqp_connection_state_t c = amqp_new_connection ();
    amqp_socket_t *sock = c ? amqp_tcp_socket_new (c) : NULL;
    if (!sock || amqp_socket_open (sock, o->host, o->port) != AMQP_STATUS_OK) {
        fprintf (stderr, "sigmat-bench amqp: cannot connect to %s:%d\n", o->host, o->port);
        goto fail;
    }
    if (s_check (amqp_login (c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login"))
        goto fail;
    amqp_channel_open (c, 1);
    if (s_check (amqp_get_rpc_reply (c), "channel.open"))
        goto fail;
    return c;
fail:
    if (c)
        amqp_destroy_connection (c);
    return NULL;
}

static void
s_close (amqp_connection_state_t c)
{
    amqp_channel_close (c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close (c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection (c);
}

/* Consumes o->count messages with a prefetch of one window, acking each,
 * and records each message's end-to-end time (its send time travels in
 * the first bytes of the body). */
static void *
s_consume (void *arg)
{
    s_consumer_t *cs = arg;
    const s_opts_t *o = cs->o;
    amqp_connection_state_t c = s_open (o);
    if (!c) {
        cs->failed = 1;
        return NULL;
    }
    amqp_basic_qos (c, 1, 0, (uint16_t) (o->window > 65535 ? 65535 : o->window), 0);
    amqp_basic_consume (c, 1, amqp_cstring_bytes (o->queue), amqp_empty_bytes, 0, 0, 0,
                        amqp_empty_table);
    if (s_check (amqp_get_rpc_reply (c), "basic.consume")) {
        cs->failed = 1;
        goto done;
    }
    double idle_since = bench_now ();
    while (cs->delivered < o->count && bench_now () - idle_since < o->timeout) {
        amqp_envelope_t env;
        struct timeval tv = { 1, 0 };
        amqp_maybe_release_buffers (c);
        amqp_rpc_reply_t r = amqp_consume_message (c, &env, &tv, 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                && r.library_error == AMQP_STATUS_TIMEOUT)
                continue;
            s_check (r, "consume");
            cs->failed = 1;
            break;
        }
        double now = bench_now (), sent;
        if (env.message.body.len >= sizeof sent) {
            memcpy (&sent, env.message.body.bytes, sizeof sent);
            cs->e2e[cs->delivered] = now - sent;
        }
        if (cs->delivered++ == 0)
            cs->first = now;
        cs->last = now;
        amqp_basic_ack (c, 1, env.delivery_tag, 0);
        amqp_destroy_envelope (&env);
        idle_since = now;
    }
done:
    s_close (c);
    return NULL;
}

/* Marks tag (1-based) confirmed, or every tag up to it when multiple. */
static void
s_confirm (uint64_t tag, int multiple, int ok, unsigned char *state, double *sent_at,
           double *ack_lat, long *acked, long *naked, long *lowest, long published)
{
    long hi = (long) tag, lo = multiple ? *lowest : hi;
    double now = bench_now ();
    for (long t = lo; t <= hi && t <= published; t++) {
        if (t < 1 || state[t - 1])
            continue;
        state[t - 1] = 1;
        if (ok)
            ack_lat[(*acked)++] = now - sent_at[t - 1];
        else
            (*naked)++;
    }
    while (*lowest <= published && state[*lowest - 1])
        (*lowest)++;
}

int
bench_amqp (int argc, char **argv)
{
    s_opts_t o;
    if (!s_parse (argc, argv, &o)) {
        fprintf (stderr, "usage: sigmat-bench amqp [--host H] [--port P] [--queue Q] [--count N]\n"
                         "         [--window W] [--size BYTES] [--rate R/s, 0 = flat out]\n"
                         "         [--consume during|after|no] [--timeout S] [--label TEXT]\n");
        return 2;
    }
    int rc = 1;
    double *sent_at = calloc ((size_t) o.count, sizeof *sent_at);
    double *ack_lat = calloc ((size_t) o.count, sizeof *ack_lat);
    unsigned char *state = calloc ((size_t) o.count, 1);
    char *body = malloc ((size_t) o.size);
    s_consumer_t cs = { .o = &o, .e2e = calloc ((size_t) o.count, sizeof (double)) };
    pthread_t consumer;
    int consumer_running = 0;
    amqp_connection_state_t c = NULL;
    if (!sent_at || !ack_lat || !state || !body || !cs.e2e) {
        fprintf (stderr, "sigmat-bench amqp: out of memory\n");
        goto done;
    }
    memset (body, 'x', (size_t) o.size);
    if (!(c = s_open (&o)))
        goto done;
    amqp_queue_declare (c, 1, amqp_cstring_bytes (o.queue), 0, 1, 0, 0, amqp_empty_table);
    if (s_check (amqp_get_rpc_reply (c), "queue.declare (durable)"))
        goto done;
    amqp_queue_purge (c, 1, amqp_cstring_bytes (o.queue));
    if (s_check (amqp_get_rpc_reply (c), "queue.purge"))
        goto done;
    amqp_confirm_select (c, 1);
    if (s_check (amqp_get_rpc_reply (c), "confirm.select"))
        goto done;
    if (strcmp (o.consume, "during") == 0) {
        if (pthread_create (&consumer, NULL, s_consume, &cs) != 0) {
            fprintf (stderr, "sigmat-bench amqp: cannot start the consumer\n");
            goto done;
        }
        consumer_running = 1;
    }

    amqp_basic_properties_t props = { 0 };
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    props.delivery_mode = 2; /* persistent */
    props.content_type = amqp_cstring_bytes ("application/octet-stream");
    long published = 0, acked = 0, naked = 0, lowest = 1;
    double start = bench_now (), last_ack = start, idle_since = start;
    while (acked + naked < o.count && bench_now () - idle_since < o.timeout) {
        double now = bench_now ();
        long due = o.rate > 0 ? (long) ((now - start) * o.rate) + 1 : o.count;
        while (published < o.count && published < due && published - acked - naked < o.window) {
            sent_at[published] = bench_now ();
            memcpy (body, &sent_at[published], sizeof sent_at[published]);
            amqp_bytes_t b = { (size_t) o.size, body };
            if (amqp_basic_publish (c, 1, amqp_empty_bytes, amqp_cstring_bytes (o.queue), 0, 0,
                                    &props, b) != AMQP_STATUS_OK) {
                fprintf (stderr, "sigmat-bench amqp: cannot publish message %ld\n", published);
                goto done;
            }
            published++;
        }
        /* Block briefly only when nothing more may be sent now. */
        int can_send = published < o.count && published < due && published - acked - naked < o.window;
        struct timeval tv = { 0, can_send ? 0 : 1000 };
        amqp_frame_t f;
        int st = amqp_simple_wait_frame_noblock (c, &f, &tv);
        if (st == AMQP_STATUS_TIMEOUT)
            continue;
        if (st != AMQP_STATUS_OK) {
            fprintf (stderr, "sigmat-bench amqp: waiting for confirms: %s\n", amqp_error_string2 (st));
            goto done;
        }
        idle_since = bench_now ();
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            s_confirm (a->delivery_tag, a->multiple, 1, state, sent_at, ack_lat, &acked, &naked,
                       &lowest, published);
            last_ack = bench_now ();
        }
        else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            amqp_basic_nack_t *n = f.payload.method.decoded;
            s_confirm (n->delivery_tag, n->multiple, 0, state, sent_at, ack_lat, &acked, &naked,
                       &lowest, published);
        }
        else if (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
            fprintf (stderr, "sigmat-bench amqp: the broker closed the channel\n");
            goto done;
        }
    }
    if (strcmp (o.consume, "after") == 0)
        s_consume (&cs);
    if (consumer_running) {
        pthread_join (consumer, NULL);
        consumer_running = 0;
    }

    double accept_s = last_ack - start;
    /* Consumed after publishing: the rate counts from the first delivery. */
    double deliver_s = cs.last - (strcmp (o.consume, "after") == 0 ? cs.first : start);
    printf ("# %s: %ld messages (%ld-byte persistent, durable queue), window %ld, rate %s, "
            "consumed %s\n",
            o.label, o.count, o.size, o.window, o.rate ? "fixed" : "flat out", o.consume);
    if (o.rate)
        printf ("offered rate           %8ld msg/s\n", o.rate);
    printf ("accepted (ACKed)       %8ld in %.2f s = %8.0f msg/s\n", acked, accept_s,
            acked / (accept_s > 0 ? accept_s : 1e-9));
    if (strcmp (o.consume, "no") != 0)
        printf ("delivered              %8ld in %.2f s = %8.0f msg/s\n", cs.delivered, deliver_s,
                cs.delivered / (deliver_s > 0 ? deliver_s : 1e-9));
    if (naked)
        printf ("refused (NAK)          %8ld\n", naked);
    bench_percentiles ("ACK latency", ack_lat, acked);
    if (strcmp (o.consume, "during") == 0)
        bench_percentiles ("end-to-end latency", cs.e2e, cs.delivered);
    rc = acked == o.count && (strcmp (o.consume, "no") == 0 || cs.delivered == o.count) && !cs.failed
             ? 0
             : 1;
    if (rc)
        printf ("INCOMPLETE: %ld of %ld confirmed, %ld consumed\n", acked, o.count, cs.delivered);
done:
    if (consumer_running)
        pthread_join (consumer, NULL);
    if (c)
        s_close (c);
    free (sent_at);
    free (ack_lat);
    free (state);
    free (body);
    free (cs.e2e);
    return rc;
}
