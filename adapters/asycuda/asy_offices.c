/* asy_offices.c - reads the office and corridor CSV tables. Small tables
 * (hundreds of lines), so plain arrays searched linearly. CSV: fields split
 * by commas, a field may be "quoted" with "" for a quote; # starts a
 * comment line; a first line starting with "code" or "departure" is a
 * header. */
#include "asy_offices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "ident.h"

typedef struct {
    char code[ASY_CODE_MAX + 1];
    char ref[9];
    char *name;
} s_office_t;

typedef struct {
    char dep[9], dest[9];
    char transit[ASY_MAX_TRANSIT][9];
    size_t n;
} s_corridor_t;

struct asy_offices_t {
    s_office_t *offices;
    size_t n_offices;
    s_corridor_t *corridors;
    size_t n_corridors;
};

#define S_MAXF 4

/* Splits line into at most S_MAXF fields in place; returns the count or -1
 * for an unterminated quote. */
static int
s_split (char *line, char **f)
{
    int n = 0;
    char *p = line;
    while (n < S_MAXF) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *out = p;
        f[n++] = p;
        if (*p == '"') {
            char *r = p + 1;
            for (;;) {
                if (!*r)
                    return -1;
                if (*r == '"' && r[1] == '"') {
                    *out++ = '"';
                    r += 2;
                }
                else if (*r == '"') {
                    r++;
                    break;
                }
                else
                    *out++ = *r++;
            }
            while (*r && *r != ',')
                r++;
            int more = *r == ',';
            *out = 0;
            if (!more)
                return n;
            p = r + 1;
            continue;
        }
        char *comma = strchr (p, ',');
        char *end = comma ? comma : p + strlen (p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        int more = comma != NULL;
        *end = 0;
        if (!more)
            return n;
        p = comma + 1;
    }
    return n;
}

static int
s_code_ok (const char *s)
{
    return sg_code_id (s, ASY_CODE_MAX, "-_", 0);
}

typedef int (s_line_fn) (asy_offices_t *self, char **f, int nf, const char *where,
                         sg_diag_t *diag);

static int
s_read (asy_offices_t *self, const char *path, const char *header, s_line_fn *fn, sg_diag_t *diag)
{
    FILE *fp = fopen (path, "r");
    if (!fp)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot open %s: %s", path, strerror (errno));
    char line[2048], where[512];
    int lineno = 0, rc = SG_OK;
    while (rc == SG_OK && fgets (line, sizeof line, fp)) {
        lineno++;
        snprintf (where, sizeof where, "%s:%d", path, lineno);
        size_t len = strlen (line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = sg_diag_set (diag, SG_ECONFIG, lineno, 0, "%s: line too long", where);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        char *s = line;
        if (lineno == 1 && (unsigned char) s[0] == 0xEF && (unsigned char) s[1] == 0xBB
            && (unsigned char) s[2] == 0xBF)
            s += 3;                                         /* BOM from spreadsheets */
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        if (strncasecmp (s, header, strlen (header)) == 0)
            continue;
        char *f[S_MAXF];
        int nf = s_split (s, f);
        if (nf < 0)
            rc = sg_diag_set (diag, SG_ECONFIG, lineno, 0, "%s: unterminated quote", where);
        else
            rc = fn (self, f, nf, where, diag);
        if (rc != SG_OK)
            diag->line = lineno;
    }
    if (rc == SG_OK && ferror (fp))
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot read %s: %s", path, strerror (errno));
    fclose (fp);
    return rc;
}

static const s_office_t *
s_by_code (const asy_offices_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_offices; i++)
        if (strcmp (self->offices[i].code, code) == 0)
            return &self->offices[i];
    return NULL;
}

static const s_office_t *
s_by_ref (const asy_offices_t *self, const char *ref)
{
    for (size_t i = 0; i < self->n_offices; i++)
        if (strcmp (self->offices[i].ref, ref) == 0)
            return &self->offices[i];
    return NULL;
}

static int
s_office_line (asy_offices_t *self, char **f, int nf, const char *where, sg_diag_t *diag)
{
    if (nf < 2)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: expected CODE,REFERENCE,NAME (e.g. CIAB1,CI000101,Abidjan Port)",
                            where);
    if (!s_code_ok (f[0]))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: bad ASYCUDA office code \"%s\" (expected 1-%d letters or digits)",
                            where, f[0], ASY_CODE_MAX);
    sg_diag_t d;
    if (sg_office_check (f[1], &d) != SG_OK)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: bad office reference \"%s\" for %s (expected 2 letters + 6 "
                            "letters or digits, e.g. CI000101)", where, f[1], f[0]);
    if (s_by_code (self, f[0]))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: office code %s is listed twice",
                            where, f[0]);
    if (s_by_ref (self, f[1]))
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: office reference %s is listed twice",
                            where, f[1]);
    s_office_t *o = realloc (self->offices, (self->n_offices + 1) * sizeof *o);
    if (!o)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    self->offices = o;
    o += self->n_offices;
    memset (o, 0, sizeof *o);
    strcpy (o->code, f[0]);
    strcpy (o->ref, f[1]);
    o->name = strdup (nf > 2 ? f[2] : "");
    if (!o->name)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    self->n_offices++;
    return SG_OK;
}

/* A corridor field: an ASYCUDA code of the table, or a reference number. */
static int
s_corridor_office (asy_offices_t *self, const char *v, char out[9], const char *where,
                   sg_diag_t *diag)
{
    const s_office_t *o = s_by_code (self, v);
    if (o) {
        strcpy (out, o->ref);
        return SG_OK;
    }
    if (sg_office_check (v, NULL) == SG_OK) {
        strcpy (out, v);
        return SG_OK;
    }
    return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                        "%s: unknown office \"%s\" (not a code of the office table, nor an "
                        "office reference like CI000101)", where, v);
}

static int
s_corridor_line (asy_offices_t *self, char **f, int nf, const char *where, sg_diag_t *diag)
{
    if (nf < 2)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: expected DEPARTURE,DESTINATION,TRANSIT OFFICES (e.g. "
                            "CIAB1,BFOU1,CIOU1 BFNI1)", where);
    s_corridor_t c = { 0 };
    int rc = s_corridor_office (self, f[0], c.dep, where, diag);
    if (rc == SG_OK)
        rc = s_corridor_office (self, f[1], c.dest, where, diag);
    char *save = NULL;
    for (char *t = nf > 2 ? strtok_r (f[2], " \t;", &save) : NULL; rc == SG_OK && t;
         t = strtok_r (NULL, " \t;", &save)) {
        if (c.n == ASY_MAX_TRANSIT)
            return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                                "%s: more than %d offices of transit", where, ASY_MAX_TRANSIT);
        rc = s_corridor_office (self, t, c.transit[c.n++], where, diag);
    }
    if (rc != SG_OK)
        return rc;
    const char (*dup)[9] = NULL;
    size_t ndup = 0;
    if (asy_corridor_find (self, c.dep, c.dest, &dup, &ndup) == SG_OK)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: corridor %s -> %s is listed twice",
                            where, c.dep, c.dest);
    s_corridor_t *a = realloc (self->corridors, (self->n_corridors + 1) * sizeof *a);
    if (!a)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    self->corridors = a;
    a[self->n_corridors++] = c;
    return SG_OK;
}

asy_offices_t *
asy_offices_load (const char *offices, const char *corridors, sg_diag_t *diag)
{
    asy_offices_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    int rc = s_read (self, offices, "code,", s_office_line, diag);
    if (rc == SG_OK && self->n_offices == 0)
        rc = sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: no offices", offices);
    if (rc == SG_OK && corridors)
        rc = s_read (self, corridors, "departure,", s_corridor_line, diag);
    if (rc != SG_OK)
        asy_offices_destroy (&self);
    return self;
}

void
asy_offices_destroy (asy_offices_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    asy_offices_t *self = *self_p;
    for (size_t i = 0; i < self->n_offices; i++)
        free (self->offices[i].name);
    free (self->offices);
    free (self->corridors);
    free (self);
    *self_p = NULL;
}

size_t
asy_offices_count (const asy_offices_t *self)
{
    return self ? self->n_offices : 0;
}

size_t
asy_corridors_count (const asy_offices_t *self)
{
    return self ? self->n_corridors : 0;
}

const char *
asy_office_ref (const asy_offices_t *self, const char *code)
{
    const s_office_t *o = self && code ? s_by_code (self, code) : NULL;
    return o ? o->ref : NULL;
}

const char *
asy_office_code (const asy_offices_t *self, const char *ref)
{
    const s_office_t *o = self && ref ? s_by_ref (self, ref) : NULL;
    return o ? o->code : NULL;
}

const char *
asy_office_name (const asy_offices_t *self, const char *ref)
{
    const s_office_t *o = self && ref ? s_by_ref (self, ref) : NULL;
    return o ? o->name : NULL;
}

int
asy_office_resolve (const asy_offices_t *self, const char *v, char ref[9], sg_diag_t *diag)
{
    const s_office_t *o = v ? s_by_code (self, v) : NULL;
    if (!o && v)
        o = s_by_ref (self, v);
    if (!o)
        return sg_diag_set (diag, SG_ENOTFOUND, 0, SG_NAK_INCORRECT_VALUE,
                            "unknown office \"%s\": neither an ASYCUDA code nor a reference "
                            "number of the office table", v ? v : "");
    strcpy (ref, o->ref);
    return SG_OK;
}

int
asy_corridor_find (const asy_offices_t *self, const char *dep, const char *dest,
                   const char (**list)[9], size_t *n)
{
    for (size_t i = 0; self && i < self->n_corridors; i++) {
        const s_corridor_t *c = &self->corridors[i];
        if (strcmp (c->dep, dep) == 0 && strcmp (c->dest, dest) == 0) {
            *list = c->transit;
            *n = c->n;
            return SG_OK;
        }
    }
    return SG_ENOTFOUND;
}
