/* asy_profile.c - loads the mapping profile (mapping.conf) and reads SAD
 * values through it. A path is "A/B/C" below the document root (or below
 * an <Item> for item.* fields); a step may carry one predicate "B[C=v]"
 * (the B whose child C is v), and every repeated element is searched in
 * document order, so "Item/Attached_documents[Attached_document_code=GAR]/
 * Attached_document_reference" finds a guarantee reference attached to any
 * item. */
#include "asy_profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields the mapper reads. must: the transit message cannot do without
 * it, so the profile must map it and mark it required. */
typedef struct {
    const char *name;
    int must;
} s_field_def_t;

static const s_field_def_t s_defs[] = {
    { "declaration.kind", 0 }, { "declaration.transit_document", 0 },
    { "declaration.reference", 0 },
    { "office.departure", 1 }, { "registration.serial", 0 }, { "registration.number", 1 },
    { "registration.date", 1 }, { "release.number", 0 }, { "release.date", 0 },
    { "cancellation.status", 0 }, { "cancellation.date", 0 }, { "cancellation.reason", 0 },
    { "office.destination", 1 }, { "destination.country", 0 }, { "office.exit", 0 },
    { "principal.tin", 1 }, { "principal.name", 1 }, { "principal.address", 0 },
    { "consignor.tin", 0 }, { "consignor.name", 0 }, { "consignee.tin", 0 },
    { "consignee.name", 0 }, { "declarant.tin", 0 }, { "declarant.name", 0 },
    { "export.country", 0 }, { "time_limit", 1 }, { "seals.number", 0 },
    { "seals.identity", 0 }, { "guarantee.reference", 1 }, { "guarantee.amount", 1 },
    { "means.identity", 1 }, { "means.nationality", 1 }, { "means.mode", 0 },
    { "container.identity", 0 }, { "total.gross_mass", 0 },
    { "item.packages", 1 }, { "item.package_kind", 1 }, { "item.hs_code", 1 },
    { "item.origin", 1 }, { "item.description", 1 }, { "item.commercial_description", 0 },
    { "item.gross_mass", 1 },
};
#define S_NDEFS (sizeof s_defs / sizeof s_defs[0])

typedef struct {
    const char *name;           /* static, from s_defs */
    int required;
    char table[32];
    char *paths[ASY_PROFILE_MAX_PATHS];
    size_t npaths;
} s_field_t;

typedef struct {
    char table[32], from[64], to[64];
} s_code_t;

struct asy_profile_t {
    s_field_t fields[S_NDEFS];
    s_code_t *codes;
    size_t ncodes, capcodes;
    char date_formats[128];
};

static const s_field_t *
s_find (const asy_profile_t *self, const char *name)
{
    for (size_t i = 0; i < S_NDEFS; i++)
        if (self->fields[i].name && strcmp (self->fields[i].name, name) == 0)
            return &self->fields[i];
    return NULL;
}

/* A path is steps of [A-Za-z0-9_]+ with at most one [Child=value] each. */
static int
s_path_ok (const char *p)
{
    if (!*p || *p == '/')
        return 0;
    while (*p) {
        size_t n = strspn (p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
        if (n == 0 || n >= 64)
            return 0;
        p += n;
        if (*p == '[') {
            const char *e = strchr (p, ']'), *eq = strchr (p, '=');
            if (!e || !eq || eq > e || eq == p + 1 || e - p > 120)
                return 0;
            p = e + 1;
        }
        if (*p == '/') {
            p++;
            if (!*p)
                return 0;
        }
        else if (*p)
            return 0;
    }
    return 1;
}

static int
s_date_format_ok (const char *f)
{
    int d = 0, m = 0, y = 0;
    for (const char *p = f; *p;) {
        if (!strncmp (p, "YYYY", 4))
            y++, p += 4;
        else if (!strncmp (p, "YY", 2))
            y++, p += 2;
        else if (*p == 'M')
            m++, p += p[1] == 'M' ? 2 : 1;
        else if (*p == 'D')
            d++, p += p[1] == 'D' ? 2 : 1;
        else if (strchr ("/-.", *p))
            p++;
        else
            return 0;
    }
    return d == 1 && m == 1 && y == 1;
}

static int
s_line (asy_profile_t *self, const char *path, int line, char *text, sg_diag_t *diag)
{
    char *save = NULL, *tok[ASY_PROFILE_MAX_PATHS + 8];
    int n = 0;
    for (char *t = strtok_r (text, " \t", &save); t && n < (int) (sizeof tok / sizeof *tok);
         t = strtok_r (NULL, " \t", &save))
        tok[n++] = t;
    if (n == 0)
        return SG_OK;
    if (!strcmp (tok[0], "date-formats")) {
        self->date_formats[0] = 0;
        for (int i = 1; i < n; i++) {
            if (!s_date_format_ok (tok[i]))
                return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: date format \"%s\": "
                                    "expected M (or MM), D (or DD) and YY or YYYY with / - "
                                    "or . between (e.g. M/D/YY)", path, line, tok[i]);
            size_t l = strlen (self->date_formats);
            snprintf (self->date_formats + l, sizeof self->date_formats - l, "%s%s",
                      l ? " " : "", tok[i]);
        }
        if (n < 2)
            return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: date-formats needs at "
                                "least one format", path, line);
        return SG_OK;
    }
    if (!strcmp (tok[0], "code")) {
        if (n != 4 || strlen (tok[1]) >= 32 || strlen (tok[2]) >= 64 || strlen (tok[3]) >= 64)
            return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: expected `code TABLE "
                                "ASYCUDA-VALUE MESSAGE-VALUE` (e.g. code mode 31 3)", path, line);
        if (self->ncodes == self->capcodes) {
            size_t cap = self->capcodes ? self->capcodes * 2 : 32;
            s_code_t *c = realloc (self->codes, cap * sizeof *c);
            if (!c)
                return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            self->codes = c;
            self->capcodes = cap;
        }
        s_code_t *c = &self->codes[self->ncodes++];
        strcpy (c->table, tok[1]);
        strcpy (c->from, tok[2]);
        strcpy (c->to, tok[3]);
        return SG_OK;
    }
    if (strcmp (tok[0], "field") != 0)
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: unknown line \"%s\" (expected "
                            "field, code or date-formats)", path, line, tok[0]);
    if (n < 4)
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: expected `field NAME required|"
                            "optional [table=NAME] PATH...`", path, line);
    size_t k = 0;
    while (k < S_NDEFS && strcmp (s_defs[k].name, tok[1]) != 0)
        k++;
    if (k == S_NDEFS)
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: unknown field \"%s\" (the "
                            "fields are listed in docs/asycuda.md)", path, line, tok[1]);
    s_field_t *f = &self->fields[k];
    if (f->name)
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s is mapped twice",
                            path, line, tok[1]);
    f->name = s_defs[k].name;
    if (strcmp (tok[2], "required") && strcmp (tok[2], "optional"))
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s: \"%s\" (expected "
                            "required or optional)", path, line, tok[1], tok[2]);
    f->required = tok[2][0] == 'r';
    if (s_defs[k].must && !f->required)
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s cannot be optional: "
                            "the transit message needs it", path, line, tok[1]);
    int i = 3;
    if (!strncmp (tok[i], "table=", 6)) {
        if (sg_strlcpy (f->table, tok[i] + 6, sizeof f->table) != SG_OK || !f->table[0])
            return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: bad table name \"%s\"",
                                path, line, tok[i]);
        i++;
    }
    if (i >= n)
        return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s has no SAD path",
                            path, line, tok[1]);
    for (; i < n; i++) {
        const char *p = tok[i];
        int item = !strncmp (f->name, "item.", 5);
        if (!s_path_ok (p))
            return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s: \"%s\" is not a "
                                "SAD path (A/B/C, a step may be B[Child=value])", path, line,
                                f->name, p);
        if (item && !strncmp (p, "Item/", 5))
            return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s: paths of item "
                                "fields start below <Item> (drop \"Item/\")", path, line,
                                f->name);
        if (f->npaths == ASY_PROFILE_MAX_PATHS)
            return sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: field %s: at most %d paths",
                                path, line, f->name, ASY_PROFILE_MAX_PATHS);
        if (!(f->paths[f->npaths] = strdup (p)))
            return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        f->npaths++;
    }
    return SG_OK;
}

asy_profile_t *
asy_profile_load (const char *path, sg_diag_t *diag)
{
    asy_profile_t *self = calloc (1, sizeof *self);
    FILE *f = path ? fopen (path, "r") : NULL;
    char buf[2048];
    int line = 0, rc = SG_OK;
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    if (!f) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot read the mapping profile %s: %s",
                     path ? path : "(none)", strerror (errno));
        goto fail;
    }
    strcpy (self->date_formats, "M/D/YY");
    while (rc == SG_OK && fgets (buf, sizeof buf, f)) {
        line++;
        if (!strchr (buf, '\n') && !feof (f)) {
            rc = sg_diag_set (diag, SG_ECONFIG, line, 0, "%s:%d: line too long", path, line);
            break;
        }
        char *hash = strchr (buf, '#');
        if (hash)
            *hash = 0;
        buf[strcspn (buf, "\r\n")] = 0;
        rc = s_line (self, path, line, buf, diag);
    }
    fclose (f);
    f = NULL;
    if (rc != SG_OK)
        goto fail;
    for (size_t i = 0; i < S_NDEFS; i++) {
        s_field_t *fd = &self->fields[i];
        int known = !fd->table[0];
        for (size_t c = 0; !known && c < self->ncodes; c++)
            known = !strcmp (self->codes[c].table, fd->table);
        if (!known) {
            sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: field %s names table %s, which has no "
                         "`code %s ...` line", path, fd->name, fd->table, fd->table);
            goto fail;
        }
    }
    for (size_t i = 0; i < S_NDEFS; i++)
        if (!self->fields[i].name && s_defs[i].must) {
            sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: field %s is not mapped: add `field %s "
                         "required PATH...`", path, s_defs[i].name, s_defs[i].name);
            goto fail;
        }
    return self;
fail:
    if (f)
        fclose (f);
    asy_profile_destroy (&self);
    return NULL;
}

void
asy_profile_destroy (asy_profile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    asy_profile_t *self = *self_p;
    for (size_t i = 0; i < S_NDEFS; i++)
        for (size_t k = 0; k < self->fields[i].npaths; k++)
            free (self->fields[i].paths[k]);
    free (self->codes);
    free (self);
    *self_p = NULL;
}

size_t
asy_profile_fields (const asy_profile_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < S_NDEFS; i++)
        n += self->fields[i].name != NULL;
    return n;
}

size_t
asy_profile_codes (const asy_profile_t *self)
{
    return self->ncodes;
}

const char *
asy_profile_date_formats (const asy_profile_t *self)
{
    return self->date_formats;
}

/* The trimmed text of node (empty for <null/>) into out; -1 if too long. */
static int
s_text (xmlNodePtr node, char *out, size_t size)
{
    out[0] = 0;
    xmlChar *t = node ? xmlNodeGetContent (node) : NULL;
    if (!t)
        return 0;
    const char *s = (const char *) t, *e = s + strlen (s);
    while (*s && isspace ((unsigned char) *s))
        s++;
    while (e > s && isspace ((unsigned char) e[-1]))
        e--;
    int rc = 0;
    if ((size_t) (e - s) >= size)
        rc = -1;
    else {
        memcpy (out, s, (size_t) (e - s));
        out[e - s] = 0;
    }
    xmlFree (t);
    return rc;
}

typedef void (s_leaf_fn) (void *arg, xmlNodePtr leaf);

/* Visits the elements at path p below node in document order; stops when
 * fn sets *stop. */
static void
s_walk (xmlNodePtr node, const char *p, s_leaf_fn *fn, void *arg, int *stop)
{
    if (*stop)
        return;
    if (!*p) {
        fn (arg, node);
        return;
    }
    char name[64], key[64] = "", val[128] = "";
    size_t n = strspn (p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || n >= sizeof name)
        return;
    memcpy (name, p, n);
    name[n] = 0;
    p += n;
    if (*p == '[') {
        const char *eq = strchr (p, '='), *e = strchr (p, ']');
        if (!eq || !e || eq > e || (size_t) (eq - p - 1) >= sizeof key
            || (size_t) (e - eq - 1) >= sizeof val)
            return;
        memcpy (key, p + 1, (size_t) (eq - p - 1));
        key[eq - p - 1] = 0;
        memcpy (val, eq + 1, (size_t) (e - eq - 1));
        val[e - eq - 1] = 0;
        p = e + 1;
    }
    if (*p == '/')
        p++;
    for (xmlNodePtr c = node->children; c && !*stop; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp ((const char *) c->name, name) != 0)
            continue;
        if (key[0]) {
            char t[128];
            xmlNodePtr k = NULL;
            for (xmlNodePtr x = c->children; x && !k; x = x->next)
                if (x->type == XML_ELEMENT_NODE && !strcmp ((const char *) x->name, key))
                    k = x;
            if (!k || s_text (k, t, sizeof t) < 0 || strcmp (t, val) != 0)
                continue;
        }
        s_walk (c, p, fn, arg, stop);
    }
}

typedef struct {
    char *out;
    size_t size;
    int rc, found;
    int stop;
} s_first_t;

static void
s_first (void *arg, xmlNodePtr leaf)
{
    s_first_t *f = arg;
    int rc = s_text (leaf, f->out, f->size);
    if (rc < 0 || f->out[0]) {
        f->rc = rc;
        f->stop = 1;
    }
}

static const char *
s_convert (const asy_profile_t *self, const char *table, const char *v)
{
    for (size_t i = 0; table[0] && i < self->ncodes; i++)
        if (!strcmp (self->codes[i].table, table) && !strcmp (self->codes[i].from, v))
            return self->codes[i].to;
    return NULL;
}

int
asy_profile_get (const asy_profile_t *self, const char *field, xmlNodePtr base, char *out,
                 size_t size, const char **path_p, int *required_p)
{
    const s_field_t *f = s_find (self, field);
    out[0] = 0;
    if (path_p)
        *path_p = f && f->npaths ? f->paths[0] : field;
    if (required_p)
        *required_p = f ? f->required : 0;
    if (!f || !base)
        return 0;
    char raw[4096] = "";           /* before conversion: "SAC" -> "BG" fits out */
    for (size_t i = 0; i < f->npaths; i++) {
        s_first_t st = { .out = raw, .size = sizeof raw };
        s_walk (base, f->paths[i], s_first, &st, &st.stop);
        if (path_p && (st.rc < 0 || raw[0]))
            *path_p = f->paths[i];
        if (st.rc < 0)
            return -1;
        if (raw[0])
            break;
    }
    const char *to = raw[0] ? s_convert (self, f->table, raw) : NULL;
    return sg_strlcpy (out, to ? to : raw, size) == SG_OK ? 0 : -1;
}

typedef struct {
    const asy_profile_t *self;
    const s_field_t *f;
    const char *path;
    void (*fn) (void *arg, const char *path, const char *value);
    void *arg;
    int stop;
} s_each_t;

static void
s_each_leaf (void *arg, xmlNodePtr leaf)
{
    s_each_t *e = arg;
    char v[256];
    if (s_text (leaf, v, sizeof v) < 0)
        e->fn (e->arg, e->path, NULL);          /* too long: the caller reports it */
    else if (v[0]) {
        const char *to = s_convert (e->self, e->f->table, v);
        e->fn (e->arg, e->path, to ? to : v);
    }
}

void
asy_profile_each (const asy_profile_t *self, const char *field, xmlNodePtr base,
                  void (*fn) (void *arg, const char *path, const char *value), void *arg)
{
    const s_field_t *f = s_find (self, field);
    for (size_t i = 0; f && base && i < f->npaths; i++) {
        s_each_t e = { .self = self, .f = f, .path = f->paths[i], .fn = fn, .arg = arg };
        s_walk (base, f->paths[i], s_each_leaf, &e, &e.stop);
    }
}

/* Parses text against one format: M (MM), D (DD) one or two digits, YY two digits
 * (20YY) or four, YYYY four; separators must match. */
static int
s_date_one (const char *fmt, const char *text, int *y, int *m, int *d)
{
    const char *p = text;
    *y = *m = *d = -1;
    for (const char *f = fmt; *f;) {
        int *dst = NULL, minw = 1, maxw = 2;
        if (!strncmp (f, "YYYY", 4))
            dst = y, minw = maxw = 4, f += 4;
        else if (!strncmp (f, "YY", 2))
            dst = y, minw = 2, maxw = 4, f += 2;
        else if (*f == 'M')
            dst = m, f += f[1] == 'M' ? 2 : 1;
        else if (*f == 'D')
            dst = d, f += f[1] == 'D' ? 2 : 1;
        else {
            if (*p != *f)
                return -1;
            p++, f++;
            continue;
        }
        int n = 0, v = 0;
        while (isdigit ((unsigned char) p[n]) && n < maxw)
            v = v * 10 + (p[n++] - '0');
        if (n < minw || (maxw == 4 && minw == 2 && n == 3) || isdigit ((unsigned char) p[n]))
            return -1;
        if (dst == y && n == 2)
            v += 2000;
        *dst = v;
        p += n;
    }
    return *p ? -1 : 0;
}

int
asy_profile_date (const asy_profile_t *self, const char *text, char out[11])
{
    char fmts[128], *save = NULL;
    out[0] = 0;
    sg_strlcpy (fmts, self ? self->date_formats : "M/D/YY", sizeof fmts);
    for (char *f = strtok_r (fmts, " ", &save); f; f = strtok_r (NULL, " ", &save)) {
        int y, m, d;
        if (s_date_one (f, text, &y, &m, &d) != 0)
            continue;
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 2000 || y > 2999)
            continue;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (m == 2 && d == 29 && !leap)
            continue;
        snprintf (out, 11, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
        return SG_OK;
    }
    return SG_EINVAL;
}
