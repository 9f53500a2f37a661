/* sigmat-bench.c - the benchmark tool: `sigmat-bench codec FILE` measures
 * the message library; further benchmarks are added as subcommands (`node`,
 * and `amqp` when built with librabbitmq). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "xmlsafe.h"

double
bench_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

bench_stats_t
bench_stats (double *v, int n)
{
    qsort (v, n, sizeof *v, s_cmp);
    bench_stats_t st = { n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1] };
    return st;
}

void
bench_percentiles (const char *what, double *v, long n)
{
    if (n == 0) {
        printf ("%-22s none\n", what);
        return;
    }
    qsort (v, (size_t) n, sizeof *v, s_cmp);
    printf ("%-22s p50 %8.2f ms   p99 %8.2f ms   max %8.2f ms\n", what, v[n / 2] * 1e3,
            v[(long) (n * 0.99)] * 1e3, v[n - 1] * 1e3);
}

char *
bench_read_file (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "sigmat-bench: cannot open %s: %s\n", path, strerror (errno));
        return NULL;
    }
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    rewind (f);
    char *buf = size >= 0 ? malloc ((size_t) size + 1) : NULL;
    if (!buf || fread (buf, 1, (size_t) size, f) != (size_t) size) {
        fprintf (stderr, "sigmat-bench: cannot read %s\n", path);
        free (buf);
        fclose (f);
        return NULL;
    }
    fclose (f);
    buf[size] = '\0';
    *len = (size_t) size;
    return buf;
}

int
main (int argc, char **argv)
{
    static const struct { const char *name; int (*fn) (int, char **); const char *help; } cmds[] = {
        { "codec", bench_codec, "[--runs N] [--seconds S] [--only OP] [--cpu] FILE   message library, one core" },
        { "node", bench_node, "--node EP ... (see sigmat-bench node)   a running node over SGTP/1" },
#ifdef SG_BENCH_AMQP
        { "amqp", bench_amqp, "[--port P] ... (see sigmat-bench amqp)   RabbitMQ, durable, confirms" },
#endif
    };
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            if (strcmp (argv[1], cmds[i].name) == 0) {
                sg_xmlsafe_init ();
                return cmds[i].fn (argc - 2, argv + 2);
            }
    }
    fprintf (stderr, "usage: sigmat-bench COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf (stderr, "  %s %s\n", cmds[i].name, cmds[i].help);
    return 2;
}
