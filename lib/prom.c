/* prom.c - the Prometheus text exposition format (prom.h). */
#include "prom.h"

void
prom_family (FILE *f, const char *name, const char *type, const char *help)
{
    fprintf (f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
prom_sample (FILE *f, const char *name, const char *type, const char *help, long long n)
{
    prom_family (f, name, type, help);
    fprintf (f, "%s %lld\n", name, n);
}

const char *
prom_label (const char *value, char *buf, size_t size)
{
    size_t k = 0;
    for (const char *p = value ? value : ""; *p && k + 3 < size; p++) {
        if (*p == '\\' || *p == '"') {
            buf[k++] = '\\';
            buf[k++] = *p;
        }
        else if (*p == '\n') {
            buf[k++] = '\\';
            buf[k++] = 'n';
        }
        else
            buf[k++] = *p;
    }
    if (size)
        buf[k < size ? k : size - 1] = '\0';
    return buf;
}

void
prom_labelled (FILE *f, const char *name, const char *label, const char *value, long long n)
{
    char esc[160];
    fprintf (f, "%s{%s=\"%s\"} %lld\n", name, label, prom_label (value, esc, sizeof esc), n);
}
