/* conf.c - the table-driven config parser of conf.h: tokenising lines,
 * parsing typed values, `file:line:` errors, defaults, dump and free. */
#include "conf.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define S_MAX_ARGS 32

/* Where a value comes from, for messages and relative paths. */
typedef struct {
    const char *name;       /* file name, or NULL for sg_config_set */
    int line;
    const char *basedir;    /* folder for relative PATH values, or NULL */
} s_where_t;

static int
s_error (sg_diag_t *diag, const s_where_t *w, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_error (sg_diag_t *diag, const s_where_t *w, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    if (w->name)
        return sg_diag_set (diag, SG_ECONFIG, w->line, 0, "%s:%d: %s", w->name, w->line, msg);
    return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s", msg);
}

static void *
s_field (void *conf, const sg_config_entry_t *e)
{
    return (char *) conf + e->offset;
}

/* ---- value parsers ------------------------------------------------------- */

static int
s_parse_int (const char *s, long long *out)
{
    if (!*s)
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll (s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Unsigned number and unit suffix; -1 if no digits or overflow. */
static int
s_number_unit (const char *s, unsigned long long *num, const char **unit)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull (s, &end, 10);
    if (errno)
        return -1;
    *num = v;
    *unit = end;
    return 0;
}

static int
s_parse_duration (const char *s, long long *ms)
{
    static const struct { const char *unit; unsigned long long ms; } units[] = {
        { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
        { "d", 86400000 }, { "w", 604800000 }
    };
    unsigned long long n;
    const char *unit;
    if (s_number_unit (s, &n, &unit) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp (unit, units[i].unit) == 0) {
            if (n > (unsigned long long) LLONG_MAX / units[i].ms)
                return -1;
            *ms = (long long) (n * units[i].ms);
            return 0;
        }
    return -1;
}

static int
s_parse_size (const char *s, size_t *bytes)
{
    static const struct { const char *unit; unsigned long long mul; } units[] = {
        { "", 1 }, { "b", 1 }, { "k", 1ULL << 10 }, { "kb", 1ULL << 10 }, { "kib", 1ULL << 10 },
        { "m", 1ULL << 20 }, { "mb", 1ULL << 20 }, { "mib", 1ULL << 20 },
        { "g", 1ULL << 30 }, { "gb", 1ULL << 30 }, { "gib", 1ULL << 30 }
    };
    unsigned long long n;
    const char *unit;
    if (s_number_unit (s, &n, &unit) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp (unit, units[i].unit) == 0) {
            if (n > SIZE_MAX / units[i].mul)
                return -1;
            *bytes = (size_t) (n * units[i].mul);
            return 0;
        }
    return -1;
}

static int
s_parse_bool (const char *s, int *out)
{
    static const char *yes[] = { "yes", "true", "on", "1" }, *no[] = { "no", "false", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp (s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp (s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

void
sg_config_format_duration (long long ms, char *buf, size_t size)
{
    if (ms % 1000)
        snprintf (buf, size, "%lldms", ms);
    else if (ms == 0)
        snprintf (buf, size, "0s");
    else if (ms % 86400000 == 0)
        snprintf (buf, size, "%lldd", ms / 86400000);
    else if (ms % 3600000 == 0)
        snprintf (buf, size, "%lldh", ms / 3600000);
    else if (ms % 60000 == 0)
        snprintf (buf, size, "%lldm", ms / 60000);
    else
        snprintf (buf, size, "%llds", ms / 1000);
}

void
sg_config_format_size (size_t bytes, char *buf, size_t size)
{
    static const char *units[] = { "GiB", "MiB", "KiB" };
    for (int i = 0; i < 3; i++) {
        size_t mul = (size_t) 1 << (30 - 10 * i);
        if (bytes && bytes % mul == 0) {
            snprintf (buf, size, "%zu%s", bytes / mul, units[i]);
            return;
        }
    }
    snprintf (buf, size, "%zu", bytes);
}

/* Appends " from A to B" (or " A..B" for integers) when the entry is bounded. */
static void
s_bounds (const sg_config_entry_t *e, char *buf, size_t size)
{
    char lo[32], hi[32];
    buf[0] = '\0';
    if (e->min >= e->max)
        return;
    if (e->type == SG_CONFIG_INT) {
        snprintf (buf, size, " %lld..%lld", e->min, e->max);
        return;
    }
    if (e->type == SG_CONFIG_DURATION) {
        sg_config_format_duration (e->min, lo, sizeof lo);
        sg_config_format_duration (e->max, hi, sizeof hi);
    }
    else {
        sg_config_format_size ((size_t) e->min, lo, sizeof lo);
        sg_config_format_size ((size_t) e->max, hi, sizeof hi);
    }
    snprintf (buf, size, " from %s to %s", lo, hi);
}

static int
s_list_add (sg_config_list_t *list, const char *value)
{
    char **items = realloc (list->items, (list->n + 1) * sizeof *items);
    if (!items)
        return -1;
    list->items = items;
    if (!(items[list->n] = strdup (value)))
        return -1;
    list->n++;
    return 0;
}

static void
s_list_clear (sg_config_list_t *list)
{
    for (size_t i = 0; i < list->n; i++)
        free (list->items[i]);
    free (list->items);
    list->items = NULL;
    list->n = 0;
}

/* Sets entry e of conf from its values; raw is the value text for messages. */
static int
s_apply (const sg_config_entry_t *e, void *conf, int argc, char **argv, const char *raw,
         const s_where_t *w, sg_diag_t *diag)
{
    char bounds[96], reason[256];
    if (argc == 0)
        return s_error (diag, w, "missing value for %s", e->name);
    if (e->type == SG_CONFIG_MULTI) {
        reason[0] = '\0';
        if (!e->add || e->add (conf, e, argc, argv, reason, sizeof reason) != 0)
            return s_error (diag, w, "bad value \"%s\" for %s: %s", raw, e->name,
                            reason[0] ? reason : "not accepted");
        return SG_OK;
    }
    if (e->type == SG_CONFIG_LIST) {
        for (int i = 0; i < argc; i++)
            if (s_list_add (s_field (conf, e), argv[i]) != 0)
                return sg_diag_set (diag, SG_ENOMEM, w->line, 0, "out of memory");
        return SG_OK;
    }
    if (argc > 1)
        return s_error (diag, w, "bad value \"%s\" for %s: expected one value "
                        "(quote a value that has spaces)", raw, e->name);
    const char *v = argv[0];
    s_bounds (e, bounds, sizeof bounds);
    switch (e->type) {
    case SG_CONFIG_STRING:
    case SG_CONFIG_PATH: {
        if (e->type == SG_CONFIG_PATH && !*v)
            return s_error (diag, w, "bad value \"\" for %s: expected a path", e->name);
        char *copy;
        if (e->type == SG_CONFIG_PATH && v[0] != '/' && w->basedir) {
            if (asprintf (&copy, "%s/%s", w->basedir, v) < 0)
                copy = NULL;
        }
        else
            copy = strdup (v);
        if (!copy)
            return sg_diag_set (diag, SG_ENOMEM, w->line, 0, "out of memory");
        char **field = s_field (conf, e);
        free (*field);
        *field = copy;
        return SG_OK;
    }
    case SG_CONFIG_INT: {
        long long n;
        if (s_parse_int (v, &n) != 0 || n < INT_MIN || n > INT_MAX
            || (e->min < e->max && (n < e->min || n > e->max)))
            return s_error (diag, w, "bad value \"%s\" for %s: expected an integer%s",
                            v, e->name, bounds);
        *(int *) s_field (conf, e) = (int) n;
        return SG_OK;
    }
    case SG_CONFIG_BOOL: {
        int b;
        if (s_parse_bool (v, &b) != 0)
            return s_error (diag, w, "bad value \"%s\" for %s: expected yes or no", v, e->name);
        *(int *) s_field (conf, e) = b;
        return SG_OK;
    }
    case SG_CONFIG_LEVEL: {
        int level = sg_log_level_parse (v);
        if (level < 0)
            return s_error (diag, w, "bad value \"%s\" for %s: expected error, warn, info "
                            "or debug", v, e->name);
        *(int *) s_field (conf, e) = level;
        return SG_OK;
    }
    case SG_CONFIG_DURATION: {
        long long ms;
        if (s_parse_duration (v, &ms) != 0 || (e->min < e->max && (ms < e->min || ms > e->max)))
            return s_error (diag, w, "bad value \"%s\" for %s: expected a duration like "
                            "30s, 5m, 2h or 7d%s", v, e->name, bounds);
        *(long long *) s_field (conf, e) = ms;
        return SG_OK;
    }
    case SG_CONFIG_SIZE: {
        size_t bytes;
        if (s_parse_size (v, &bytes) != 0
            || (e->min < e->max && ((long long) bytes < e->min || (long long) bytes > e->max)))
            return s_error (diag, w, "bad value \"%s\" for %s: expected a size like "
                            "512, 64KiB, 4MiB or 1GiB%s", v, e->name, bounds);
        *(size_t *) s_field (conf, e) = bytes;
        return SG_OK;
    }
    default:
        return s_error (diag, w, "key %s has an unknown type", e->name);
    }
}

/* ---- lines --------------------------------------------------------------- */

static int
s_space (int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Splits a line (modified in place) into key and values. Sets *key NULL
 * for a blank or comment line. raw gets the value text without the comment. */
static int
s_tokenize (char *line, char **key, int *argc, char **argv, char *raw, size_t raw_size,
            const s_where_t *w, sg_diag_t *diag)
{
    char *p = line;
    *key = NULL;
    *argc = 0;
    while (s_space (*p))
        p++;
    if (!*p || *p == '#')
        return SG_OK;
    *key = p;
    while (*p && !s_space (*p) && *p != '=')
        p++;
    char *key_end = p;
    while (s_space (*p))
        p++;
    if (*p == '=') {
        p++;
        while (s_space (*p))
            p++;
    }
    int has_value = *p && *p != '#';
    *key_end = '\0';
    /* raw: the value text up to a comment, trailing spaces trimmed; kept in
     * a copy because unquoting rewrites the line. */
    size_t rl = 0;
    for (char *q = p; *q && rl < raw_size - 1; q++) {
        if (*q == '#' && (q == p || s_space (q[-1])))
            break;
        raw[rl++] = *q;
    }
    while (rl && s_space (raw[rl - 1]))
        rl--;
    raw[rl] = '\0';
    if (!has_value)
        return SG_OK;
    for (;;) {
        while (s_space (*p))
            p++;
        /* A # after a separator starts a comment (p[-1] may be the NUL
         * that ended the previous value). */
        if (!*p || (*p == '#' && (*argc == 0 || s_space (p[-1]) || p[-1] == '\0')))
            break;
        if (*argc == S_MAX_ARGS)
            return s_error (diag, w, "too many values for %s", *key);
        if (*p == '"') {
            char *out = p, *in = p + 1;
            argv[(*argc)++] = out;
            for (;;) {
                if (!*in)
                    return s_error (diag, w, "unterminated quoted value");
                if (*in == '"')
                    break;
                if (*in == '\\') {
                    in++;
                    switch (*in) {
                    case '"': case '\\': *out++ = *in; break;
                    case 'n': *out++ = '\n'; break;
                    case 't': *out++ = '\t'; break;
                    case '\0': return s_error (diag, w, "unterminated quoted value");
                    default:
                        return s_error (diag, w, "unknown escape \\%c in quoted value", *in);
                    }
                    in++;
                    continue;
                }
                *out++ = *in++;
            }
            in++;                                   /* the closing quote */
            if (*in && !s_space (*in))
                return s_error (diag, w, "text after closing quote");
            *out = '\0';
            p = in;
        }
        else {
            argv[(*argc)++] = p;
            while (*p && !s_space (*p))
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
    return SG_OK;
}

static const sg_config_entry_t *
s_lookup (const sg_config_entry_t *table, const char *key, size_t *index)
{
    for (size_t i = 0; table[i].name; i++)
        if (strcmp (table[i].name, key) == 0) {
            *index = i;
            return &table[i];
        }
    return NULL;
}

/* Finds key, following an alias to the key it names; *alias is the alias
 * entry used (NULL for the key's own name). NULL if unknown (or an alias
 * that names no key, a bug in the table). */
static const sg_config_entry_t *
s_find (const sg_config_entry_t *table, const char *key, size_t *index,
        const sg_config_entry_t **alias)
{
    *alias = NULL;
    const sg_config_entry_t *e = s_lookup (table, key, index);
    if (e && e->type == SG_CONFIG_ALIAS) {
        *alias = e;
        e = e->defval ? s_lookup (table, e->defval, index) : NULL;
        if (e && e->type == SG_CONFIG_ALIAS)
            e = NULL;
    }
    return e;
}

/* Warns that an old name was used: "file:line: key OLD is deprecated, use NEW". */
static void
s_warn_alias (const s_where_t *w, const sg_config_entry_t *alias)
{
    if (w->name)
        sg_log_warn ("%s:%d: key %s is deprecated, use %s", w->name, w->line, alias->name,
                  alias->defval);
    else
        sg_log_warn ("key %s is deprecated, use %s", alias->name, alias->defval);
}

/* Parses text line by line; basedir resolves relative PATH values. */
static int
s_parse_text (const sg_config_entry_t *table, void *conf, const char *name, const char *text,
              const char *basedir, sg_diag_t *diag)
{
    size_t entries = 0;
    while (table[entries].name)
        entries++;
    int *seen = calloc (entries + 1, sizeof *seen);
    char *copy = strdup (text);
    int rc = SG_OK;
    if (!seen || !copy) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    s_where_t w = { .name = name, .line = 0, .basedir = basedir };
    char *line = copy;
    while (line) {
        char *next = strchr (line, '\n');
        if (next)
            *next++ = '\0';
        w.line++;
        char *key, *argv[S_MAX_ARGS], raw[256];
        int argc;
        if ((rc = s_tokenize (line, &key, &argc, argv, raw, sizeof raw, &w, diag)) != SG_OK)
            goto done;
        line = next;
        if (!key)
            continue;
        size_t idx;
        const sg_config_entry_t *alias, *e = s_find (table, key, &idx, &alias);
        if (!e) {
            rc = s_error (diag, &w, "unknown key \"%s\"", key);
            goto done;
        }
        if (alias)
            s_warn_alias (&w, alias);
        int repeatable = e->type == SG_CONFIG_LIST || e->type == SG_CONFIG_MULTI;
        if (seen[idx] && !repeatable) {
            rc = s_error (diag, &w, "duplicate key \"%s\" (already set on line %d)", e->name,
                          seen[idx]);
            goto done;
        }
        if (e->type == SG_CONFIG_LIST && !seen[idx])
            s_list_clear (s_field (conf, e));        /* the file replaces the default */
        seen[idx] = w.line;
        if ((rc = s_apply (e, conf, argc, argv, raw, &w, diag)) != SG_OK)
            goto done;
    }
done:
    free (seen);
    free (copy);
    return rc;
}

int
sg_config_parse (const sg_config_entry_t *table, void *conf, const char *name, const char *text,
              sg_diag_t *diag)
{
    return s_parse_text (table, conf, name ? name : "(config)", text ? text : "", NULL, diag);
}

int
sg_config_load (const sg_config_entry_t *table, void *conf, const char *path, sg_diag_t *diag)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return sg_diag_set (diag, SG_EIO, 0, 0, "%s: cannot open: %s", path, strerror (errno));
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    int rc = SG_OK;
    FILE *mem = open_memstream (&text, &len);
    char chunk[8192];
    size_t got;
    while (mem && (got = fread (chunk, 1, sizeof chunk, f)) > 0)
        fwrite (chunk, 1, got, mem);
    if (ferror (f)) {
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "%s: cannot read: %s", path, strerror (errno));
        if (mem)
            fclose (mem);
        goto done;
    }
    if (!mem || fclose (mem) != 0) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    if (strlen (text) != len) {
        rc = sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: contains a NUL byte", path);
        goto done;
    }
    const char *slash = strrchr (path, '/');
    dir = slash ? strndup (path, (size_t) (slash - path) + (slash == path)) : strdup (".");
    if (!dir) {
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto done;
    }
    rc = s_parse_text (table, conf, path, text, dir, diag);
done:
    fclose (f);
    free (text);
    free (dir);
    return rc;
}

int
sg_config_set (const sg_config_entry_t *table, void *conf, const char *key, const char *value,
            sg_diag_t *diag)
{
    s_where_t w = { 0 };
    size_t idx;
    const sg_config_entry_t *alias, *e = s_find (table, key ? key : "", &idx, &alias);
    if (!e)
        return s_error (diag, &w, "unknown key \"%s\"", key ? key : "");
    if (alias)
        s_warn_alias (&w, alias);
    if (e->type == SG_CONFIG_LIST || e->type == SG_CONFIG_MULTI) {
        /* Several values: split and unquote them as in a file. */
        char *line, *k, *argv[S_MAX_ARGS], raw[256];
        int argc;
        if (asprintf (&line, "%s %s", e->name, value ? value : "") < 0)
            return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        int rc = s_tokenize (line, &k, &argc, argv, raw, sizeof raw, &w, diag);
        if (rc == SG_OK)
            rc = s_apply (e, conf, argc, argv, raw, &w, diag);
        free (line);
        return rc;
    }
    char *copy = strdup (value ? value : "");
    if (!copy)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    char *argv[1] = { copy };
    int rc = s_apply (e, conf, value ? 1 : 0, argv, copy, &w, diag);
    free (copy);
    return rc;
}

int
sg_config_set_kv (const sg_config_entry_t *table, void *conf, const char *kv, sg_diag_t *diag)
{
    const char *eq = strchr (kv, '=');
    if (!eq || eq == kv)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "-o %s: expected KEY=VALUE", kv);
    char *key = strndup (kv, (size_t) (eq - kv));
    if (!key)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    int rc = sg_config_set (table, conf, key, eq + 1, diag);
    free (key);
    return rc;
}

/* Applies a default text through the same tokeniser as a file line. */
static int
s_default (const sg_config_entry_t *e, void *conf, sg_diag_t *diag)
{
    if (e->type == SG_CONFIG_MULTI || e->type == SG_CONFIG_ALIAS || !e->defval)
        return SG_OK;
    char *line;
    if (asprintf (&line, "%s %s", e->name, e->defval) < 0)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    s_where_t w = { .name = "(default)", .line = 1 };
    char *key, *argv[S_MAX_ARGS], raw[256];
    int argc, rc = s_tokenize (line, &key, &argc, argv, raw, sizeof raw, &w, diag);
    if (rc == SG_OK && e->type == SG_CONFIG_STRING && argc == 0)
        rc = SG_OK;                                 /* an empty default string */
    else if (rc == SG_OK)
        rc = s_apply (e, conf, argc, argv, raw, &w, diag);
    free (line);
    return rc;
}

int
sg_config_defaults (const sg_config_entry_t *table, void *conf, sg_diag_t *diag)
{
    for (size_t i = 0; table[i].name; i++) {
        int rc = s_default (&table[i], conf, diag);
        if (rc != SG_OK)
            return rc;
    }
    return SG_OK;
}

/* ---- dump ---------------------------------------------------------------- */

static void
s_print_value (FILE *out, const char *s)
{
    int quote = !*s || *s == '=';
    for (const char *p = s; *p && !quote; p++)
        quote = s_space (*p) || *p == '"' || *p == '#' || *p == '\\' || *p == '\n';
    if (!quote) {
        fputs (s, out);
        return;
    }
    fputc ('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc ('\\', out);
        if (*p == '\n')
            fputs ("\\n", out);
        else if (*p == '\t')
            fputs ("\\t", out);
        else
            fputc (*p, out);
    }
    fputc ('"', out);
}

void
sg_config_dump (const sg_config_entry_t *table, const void *conf, FILE *out)
{
    static const char *levels[] = { "error", "warn", "info", "debug" };
    int first = 1;
    for (size_t i = 0; table[i].name; i++) {
        const sg_config_entry_t *e = &table[i];
        const void *f = (const char *) conf + e->offset;
        char buf[64];
        if (e->type == SG_CONFIG_ALIAS)
            continue;                           /* named under its key below */
        if (!first)
            fputc ('\n', out);
        first = 0;
        for (const char *h = e->help ? e->help : ""; *h; ) {
            size_t n = strcspn (h, "\n");
            fprintf (out, "# %.*s\n", (int) n, h);
            h += n + (h[n] == '\n');
        }
        for (size_t k = 0; table[k].name; k++)
            if (table[k].type == SG_CONFIG_ALIAS && table[k].defval
                && strcmp (table[k].defval, e->name) == 0)
                fprintf (out, "# (Old name %s: still read, with a warning.)\n", table[k].name);
        s_bounds (e, buf, sizeof buf);
        if (buf[0])
            fprintf (out, "# (%s)\n", buf + 1);
        switch (e->type) {
        case SG_CONFIG_STRING:
        case SG_CONFIG_PATH:
            if (*(char *const *) f) {
                fprintf (out, "%s ", e->name);
                s_print_value (out, *(char *const *) f);
                fputc ('\n', out);
            }
            else
                fprintf (out, "# %s (not set)\n", e->name);
            break;
        case SG_CONFIG_INT:
            fprintf (out, "%s %d\n", e->name, *(const int *) f);
            break;
        case SG_CONFIG_BOOL:
            fprintf (out, "%s %s\n", e->name, *(const int *) f ? "yes" : "no");
            break;
        case SG_CONFIG_LEVEL: {
            int l = *(const int *) f;
            fprintf (out, "%s %s\n", e->name, l >= 0 && l <= 3 ? levels[l] : "info");
            break;
        }
        case SG_CONFIG_DURATION:
            sg_config_format_duration (*(const long long *) f, buf, sizeof buf);
            fprintf (out, "%s %s\n", e->name, buf);
            break;
        case SG_CONFIG_SIZE:
            sg_config_format_size (*(const size_t *) f, buf, sizeof buf);
            fprintf (out, "%s %s\n", e->name, buf);
            break;
        case SG_CONFIG_LIST: {
            const sg_config_list_t *l = f;
            if (l->n == 0)
                fprintf (out, "# %s (none)\n", e->name);
            for (size_t k = 0; k < l->n; k++) {
                fprintf (out, "%s ", e->name);
                s_print_value (out, l->items[k]);
                fputc ('\n', out);
            }
            break;
        }
        case SG_CONFIG_MULTI:
            if (e->defval)
                fprintf (out, "# example: %s %s\n", e->name, e->defval);
            if (e->dump)
                e->dump (conf, e, out);
            break;
        case SG_CONFIG_ALIAS:
            break;
        }
    }
}

void
sg_config_free (const sg_config_entry_t *table, void *conf)
{
    for (size_t i = 0; table[i].name; i++) {
        const sg_config_entry_t *e = &table[i];
        if (e->type == SG_CONFIG_STRING || e->type == SG_CONFIG_PATH) {
            char **field = s_field (conf, e);
            free (*field);
            *field = NULL;
        }
        else if (e->type == SG_CONFIG_LIST)
            s_list_clear (s_field (conf, e));
    }
}

/* ---- command line -------------------------------------------------------- */

int
sg_config_args (int argc, char **argv, int overrides, sg_config_args_t *args)
{
    enum { S_CHECK = 256, S_PRINT };
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, S_CHECK },
        { "print-config", no_argument, NULL, S_PRINT },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    memset (args, 0, sizeof *args);
    int opt;
    optind = 0;                                     /* glibc: a fresh parse */
    while ((opt = getopt_long (argc, argv, overrides ? "+c:o:Vh" : "+c:Vh", longopts, NULL))
           != -1) {
        switch (opt) {
        case 'c':
            args->path = optarg;
            break;
        case 'o':
            if (args->nover == SG_CONFIG_MAX_OVERRIDES) {
                fprintf (stderr, "%s: more than %d -o overrides\n", argv[0],
                         SG_CONFIG_MAX_OVERRIDES);
                return 2;
            }
            args->over[args->nover++] = optarg;
            break;
        case S_CHECK:
        case S_PRINT:
            args->verb = opt == S_CHECK ? "check-config" : "print-config";
            break;
        case 'V':
            args->version = 1;
            break;
        case 'h':
            args->help = 1;
            break;
        default:                                    /* getopt said what is wrong */
            return 2;
        }
    }
    return 0;
}
