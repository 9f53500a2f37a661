/* asy_metrics.h - sigmat-asycuda's /metrics: the adapter's state in the
 * Prometheus text format (docs/monitoring.md), read from its state file
 * and folders when scraped. */
#ifndef ASY_METRICS_H_INCLUDED
#define ASY_METRICS_H_INCLUDED

#include "asy_conf.h"
#include "asy_state.h"

/* The text (version 0.0.4) for the adapter whose state is st; malloc'd
 * (the caller frees), NULL if out of memory. */
char *asy_metrics_text (asy_state_t *st, const asy_conf_t *conf);

#endif
