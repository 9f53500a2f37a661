/* prom.h - the Prometheus text exposition format (0.0.4) shared by the
 * monitor's and both adapters' /metrics: a family's HELP and TYPE lines,
 * label values escaped, and a sample with one label. */
#ifndef SG_PROM_H_INCLUDED
#define SG_PROM_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

/* Writes the "# HELP" and "# TYPE" lines of the family name. */
void prom_family (FILE *f, const char *name, const char *type, const char *help);

/* Writes the family name (HELP and TYPE lines) with its one sample n. */
void prom_sample (FILE *f, const char *name, const char *type, const char *help, long long n);

/* Escapes value (NULL: "") as a label value (backslash, quote and newline)
 * into buf of size bytes, truncating to fit; returns buf. */
const char *prom_label (const char *value, char *buf, size_t size);

/* Writes the sample `name{label="value"} n`, value escaped. */
void prom_labelled (FILE *f, const char *name, const char *label, const char *value,
                    long long n);

#endif
