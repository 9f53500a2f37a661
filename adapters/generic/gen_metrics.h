/* gen_metrics.h - sigmat-generic's /metrics: the adapter's state in the
 * Prometheus text format (docs/monitoring.md), read when scraped. */
#ifndef GEN_METRICS_H_INCLUDED
#define GEN_METRICS_H_INCLUDED

#include "gen_int.h"

/* The text (version 0.0.4); malloc'd (the caller frees), NULL if out of
 * memory. */
char *gen_metrics_text (gen_adapter_t *self);

struct MHD_Connection;

/* Answers GET /metrics on c: the text if authorised (a valid API token),
 * else 401. Returns the MHD result (an enum MHD_Result as int). */
int gen_metrics_reply (gen_adapter_t *self, struct MHD_Connection *c, int authorised);

#endif
