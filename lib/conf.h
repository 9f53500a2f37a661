/* conf.h - a table-driven parser for sigmat's config files (in the manner
 * of nginx's directive tables and redis' config.c errors). A program
 * describes its settings once, as a table of {name, type, offsetof(field),
 * default, help}; the same table fills defaults, parses files, reports
 * `file:line: ...` errors, and prints the documented example config.
 *
 * File format: one `key value` or `key = value` per line; `#` starts a
 * comment at the start of a line or after a space; blank lines are
 * ignored; a value with spaces, `#` or quotes is written "in quotes" with
 * \" and \\ escapes. Only LIST and MULTI keys may repeat.
 *
 * A key that was renamed keeps its old name as a SG_CONFIG_ALIAS entry: the
 * old name still works, with a warning "file:line: key OLD is deprecated,
 * use NEW" (logged with sg_log_warn), and print-config names it under NEW.
 *
 * (Named conf.h, not config.h, so it never collides with the config.h that
 * configure generates in the build folder.) */
#ifndef SG_CONF_H_INCLUDED
#define SG_CONF_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "sg.h"

/* Value types, and the C type of the struct field each one fills. */
typedef enum {
    SG_CONFIG_STRING,   /* char *, malloc'd (NULL when unset); sg_config_free frees */
    SG_CONFIG_PATH,     /* char *, like STRING; a relative path in a file is
                           taken relative to that file's folder */
    SG_CONFIG_INT,      /* int, within [min, max] when min < max */
    SG_CONFIG_BOOL,     /* int 0/1: yes/no, true/false, on/off, 1/0 */
    SG_CONFIG_LEVEL,    /* int (sg_log_level_t): error, warn, info, debug */
    SG_CONFIG_DURATION, /* long long milliseconds: 250ms, 30s, 5m, 2h, 7d
                           (a bare number is seconds); min/max in ms */
    SG_CONFIG_SIZE,     /* size_t bytes: 512, 64k/64KiB/64kB, 4M/4MiB/4MB, 1G/1GiB/1GB
                           (all 1024-based, as in PostgreSQL); min/max in bytes */
    SG_CONFIG_LIST,     /* sg_config_list_t: every occurrence appends its values */
    SG_CONFIG_MULTI,    /* no field: every occurrence calls entry->add */
    SG_CONFIG_ALIAS     /* no field: an old name of the key named by defval
                           (use SG_CONFIG_ALIAS_OF); never printed as a key */
} sg_config_type_t;

/* A table entry that keeps OLD working as a deprecated name of key NEW. */
#define SG_CONFIG_ALIAS_OF(old, new) { old, SG_CONFIG_ALIAS, 0, new, NULL, 0, 0, NULL, NULL }

/* The field of a SG_CONFIG_LIST key. */
typedef struct {
    char **items;
    size_t n;
} sg_config_list_t;

typedef struct config_entry_s sg_config_entry_t;

/* Called for each occurrence of a MULTI key with its values (unquoted).
 * Returns 0, or -1 after writing a reason ("expected ROUTE NEXT_HOP") to
 * err; the parser turns it into "file:line: bad value ... for key: reason". */
typedef int (config_add_fn) (void *conf, const sg_config_entry_t *entry, int argc,
                             char **argv, char *err, size_t err_size);

/* Prints the current values of a MULTI key as config lines `key v1 v2`. */
typedef void (config_dump_fn) (const void *conf, const sg_config_entry_t *entry, FILE *out);

struct config_entry_s {
    const char *name;           /* NULL ends the table */
    sg_config_type_t type;
    size_t offset;              /* offsetof (struct, field); unused for MULTI */
    const char *defval;         /* default as config text; NULL = unset/empty.
                                   For LIST: values separated by spaces. */
    const char *help;           /* one or more lines for the example config */
    long long min, max;         /* INT, DURATION, SIZE bounds when min < max */
    config_add_fn *add;         /* MULTI */
    config_dump_fn *dump;       /* MULTI (optional) */
};

/* Sets every field of conf to its table default (frees what was there
 * first is the caller's business: call on a zeroed struct). SG_ECONFIG if a
 * default text does not parse (a bug in the table), named in diag. */
int sg_config_defaults (const sg_config_entry_t *table, void *conf, sg_diag_t *diag);

/* Reads path and applies it on top of conf. On error returns SG_ECONFIG
 * (SG_EIO if the file cannot be read) with diag->text "path:line: ..." and
 * diag->line set; conf may then hold some of the file's values. */
int sg_config_load (const sg_config_entry_t *table, void *conf, const char *path, sg_diag_t *diag);

/* The same for text in memory; name is used in messages in place of a path
 * (relative PATH values stay as they are). */
int sg_config_parse (const sg_config_entry_t *table, void *conf, const char *name, const char *text,
                  sg_diag_t *diag);

/* Sets one key from a command line override (`-o key=value`): value is one
 * value, taken as written (no quoting). Errors read "key: ...". */
int sg_config_set (const sg_config_entry_t *table, void *conf, const char *key, const char *value,
                sg_diag_t *diag);

/* The same for one `-o KEY=VALUE` override; errors read "-o KV: ...". */
int sg_config_set_kv (const sg_config_entry_t *table, void *conf, const char *key_eq_value,
                      sg_diag_t *diag);

/* Prints every key with its help as comments and its current value, in a
 * form sg_config_parse reads back (the documented example config and
 * `--print-config`). Unset keys are printed commented out. */
void sg_config_dump (const sg_config_entry_t *table, const void *conf, FILE *out);

/* Frees the STRING, PATH and LIST fields of conf and clears them. */
void sg_config_free (const sg_config_entry_t *table, void *conf);

/* The command line the three daemons share (docs/configuration.md). */
#define SG_CONFIG_MAX_OVERRIDES 64
typedef struct {
    const char *path;           /* -c, --config FILE; NULL if not given */
    const char *verb;           /* "check-config" or "print-config" when given as
                                   --check-config / --print-config, else NULL */
    int version, help;          /* -V, --version; -h, --help */
    const char *over[SG_CONFIG_MAX_OVERRIDES];  /* -o KEY=VALUE, in order */
    int nover;
} sg_config_args_t;

/* Parses the shared options at the front of argv with getopt_long (-o only
 * when overrides is set), stopping at the first operand (argv[optind]
 * after). Returns 0, or 2 after saying what is wrong on stderr (getopt's
 * message, or too many -o). The caller prints its version and usage. */
int sg_config_args (int argc, char **argv, int overrides, sg_config_args_t *args);

/* Formats a duration (ms) the way sg_config_dump does ("30s", "5m", "1500ms"). */
void sg_config_format_duration (long long ms, char *buf, size_t size);

/* Formats a size the way sg_config_dump does ("4MiB", "1000"). */
void sg_config_format_size (size_t bytes, char *buf, size_t size);

#endif
