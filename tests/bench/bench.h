/* bench.h - sigmat-bench, the project's benchmark tool: shared helpers
 * and the entry point of each benchmark. */
#ifndef SG_BENCH_H_INCLUDED
#define SG_BENCH_H_INCLUDED

#include <stddef.h>

#define BENCH_MAX_RUNS 101

typedef struct {
    double median, min, max;
} bench_stats_t;

/* Monotonic time in seconds. */
double bench_now (void);

/* Median, min and max of v[0..n); sorts v. */
bench_stats_t bench_stats (double *v, int n);

/* Prints "WHAT p50 .. p99 .. max .." in ms of v[0..n) (seconds); sorts v. */
void bench_percentiles (const char *what, double *v, long n);

/* The whole file in a malloc'ed buffer, or NULL after printing why. */
char *bench_read_file (const char *path, size_t *len);

int bench_codec (int argc, char **argv);
int bench_node (int argc, char **argv);
int bench_amqp (int argc, char **argv);

#endif
