/* bench_codec.c - `sigmat-bench codec`: messages per second on one core for
 * parse + validate, build + serialise, sign and verify, on one example
 * message (the AAR by default). Prints the median of several runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "msg.h"
#include "sign.h"
#include "xmlsafe.h"

typedef struct {
    const char *buf;
    size_t len;
    sg_msg_t *msg;
    sg_sign_key_t *key;
    char *hdr;
    size_t hdr_len;
    unsigned char sig[SG_SIGN_LEN];
} s_ctx_t;

static int
s_parse (s_ctx_t *c)
{
    sg_msg_t *m = NULL;
    int rc = sg_msg_parse (c->buf, c->len, NULL, &m, NULL);
    sg_msg_destroy (&m);
    return rc;
}

static int
s_serialise (s_ctx_t *c)
{
    char *out;
    size_t len;
    int rc = sg_msg_serialize (c->msg, &out, &len, NULL);
    if (rc == SG_OK)
        free (out);
    return rc;
}

static int
s_sign (s_ctx_t *c)
{
    return sg_sign_message (c->key, c->hdr, c->hdr_len, c->buf, c->len, c->sig);
}

static int
s_verify (s_ctx_t *c)
{
    return sg_sign_verify (c->key, c->hdr, c->hdr_len, c->buf, c->len, c->sig, SG_SIGN_LEN);
}

/* Seconds of CPU time the calling thread has used. */
static double
s_cpu_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Runs op for about `seconds` and returns operations per second, of wall
 * time, or of the thread's CPU time when cpu (steadier on a loaded machine). */
static double
s_rate (int (*op) (s_ctx_t *), s_ctx_t *c, double seconds, int cpu)
{
    long n = 0;
    double (*now_fn) (void) = cpu ? s_cpu_now : bench_now;
    double start = now_fn (), now;
    do {
        for (int i = 0; i < 100; i++)
            if (op (c) != SG_OK) {
                fprintf (stderr, "sigmat-bench: operation failed\n");
                exit (1);
            }
        n += 100;
        now = now_fn ();
    } while (now - start < seconds);
    return n / (now - start);
}

int
bench_codec (int argc, char **argv)
{
    const char *file = NULL, *only = NULL;
    int runs = 5, cpu = 0;
    double seconds = 1.0;
    static const struct option opts[] = {
        { "runs", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 's' },
        { "only", required_argument, NULL, 'o' }, { "cpu", no_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 }
    };
    int opt, bad = 0;
    optind = 0;                     /* argv[-1] is the command: getopt's argv[0] */
    while ((opt = getopt_long (argc + 1, argv - 1, "", opts, NULL)) != -1) {
        if (opt == 'r')
            runs = atoi (optarg);
        else if (opt == 's')
            seconds = atof (optarg);
        else if (opt == 'o')
            only = optarg;
        else if (opt == 'c')
            cpu = 1;
        else
            bad = 1;
    }
    if (optind == argc)
        file = argv[argc - 1];      /* one operand: (argv - 1)[optind] */
    if (bad || !file || runs < 1 || runs > BENCH_MAX_RUNS || seconds <= 0) {
        fprintf (stderr, "usage: sigmat-bench codec [--runs N] [--seconds S] [--only OPERATION] "
                 "[--cpu] FILE\n");
        return 2;
    }
    s_ctx_t c = { 0 };
    size_t len;
    char *buf = bench_read_file (file, &len);
    if (!buf)
        return 1;
    c.buf = buf;
    c.len = len;
    sg_diag_t diag;
    if (sg_msg_parse (buf, len, NULL, &c.msg, &diag) != SG_OK) {
        fprintf (stderr, "%s:%d: %s\n", file, diag.line, diag.text);
        return 1;
    }
    c.key = sg_sign_key_generate ();
    c.hdr = "Message-Id: 00000000-0000-4000-8000-000000000000\nType: AAR\n";
    c.hdr_len = strlen (c.hdr);
    s_sign (&c);

    static const struct { const char *name; int (*op) (s_ctx_t *); } ops[] = {
        { "parse+validate", s_parse },
        { "build+serialise", s_serialise },
        { "sign", s_sign },
        { "verify", s_verify },
    };
    printf ("# sigmat-bench codec: %s (%zu bytes, %s), %d runs of %.1f s%s, one core\n", file,
            len, sg_msg_type_name (c.msg->type), runs, seconds, cpu ? " of CPU time" : "");
    printf ("%-18s %12s %12s %12s\n", "operation", "median/s", "min/s", "max/s");
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        if (only && strcmp (only, ops[k].name) != 0)
            continue;
        double r[BENCH_MAX_RUNS];
        for (int i = 0; i < runs; i++)
            r[i] = s_rate (ops[k].op, &c, seconds, cpu);
        bench_stats_t st = bench_stats (r, runs);
        printf ("%-18s %12.0f %12.0f %12.0f\n", ops[k].name, st.median, st.min, st.max);
    }
    sg_msg_destroy (&c.msg);
    sg_sign_key_destroy (&c.key);
    free (buf);
    return 0;
}
