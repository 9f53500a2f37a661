/* asy_conf.h - the configuration of sigmat-asycuda: one file, read with
 * lib/conf.h's table-driven parser; every key is documented in the table
 * (printed by --print-config and in deploy/sigmat-asycuda.conf.example). */
#ifndef ASY_CONF_H_INCLUDED
#define ASY_CONF_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "sg.h"

typedef struct {
    char *country;              /* two letters: the MRN country */
    char *name;                 /* our client name at the node */
    char *node;                 /* node endpoint */
    char *node_public_key;      /* file */
    char *curve_secret;         /* file */
    char *curve_public;         /* file */
    long long connect_timeout;  /* ms */
    long long reconnect_interval;
    int window;
    char *spool_dir, *work_dir, *done_dir, *rejected_dir, *inbox_dir;
    char *state_db;
    char *offices;              /* CSV */
    char *corridors;            /* CSV */
    char *mapping;              /* mapping profile (docs/asycuda.md) */
    char *procedure;            /* MRN procedure letter */
    char *currency;             /* guarantee currency */
    long long scan_interval;    /* ms */
    long long spool_settle;     /* ms */
    int scan_batch;
    char *archive_dir;          /* retention archives */
    long long retention;        /* ms; 0 = keep everything */
    size_t max_file_size;
    char *http_listen;          /* "127.0.0.1:8780", "" = off */
    char *http_token_file;
    char *http_officers;        /* officer token file (docs/officers.md), "" = none */
    char *http_tls_cert, *http_tls_key;  /* PEM files, "" = plain HTTP */
    size_t http_max_body;
    int log_level;
    int syslog;
} asy_conf_t;

/* Fills conf (zeroed by the caller) with the defaults, then applies the file
 * at path (NULL: defaults only). SG_OK, or SG_ECONFIG/SG_EIO with
 * "file:line: ..." in diag. Free with asy_conf_free. */
int asy_conf_load (asy_conf_t *conf, const char *path, sg_diag_t *diag);

/* Checks what the table cannot (country, procedure, currency), after the
 * file and the overrides; SG_ECONFIG naming the key. */
int asy_conf_check (asy_conf_t *conf, sg_diag_t *diag);

/* Applies one `key=value` override (-o on the command line). */
int asy_conf_set (asy_conf_t *conf, const char *key_eq_value, sg_diag_t *diag);

/* Prints every key with its help and value (the documented example). */
void asy_conf_print (const asy_conf_t *conf, FILE *out);

/* Frees the strings of conf. */
void asy_conf_free (asy_conf_t *conf);

#endif
