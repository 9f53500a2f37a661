/* node/routes.c - routing table as a sorted array searched by bsearch: routes
 * are few (one per country or office) and read for every message, so a
 * compact array beats anything cleverer. */
#include "node/routes.h"
#include "buf.h"
#include "code.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char prefix[9];
    char hop[64];
    int source;
} s_entry_t;

struct routes_t {
    s_entry_t *entries;
    size_t n, cap;
};

static int
s_cmp (const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    int c = strcmp (x->prefix, y->prefix);
    return c ? c : x->source - y->source;
}

routes_t *
routes_new (void)
{
    return calloc (1, sizeof (routes_t));
}

void
routes_destroy (routes_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->entries);
    free (*self_p);
    *self_p = NULL;
}

int
routes_add (routes_t *self, const char *prefix, const char *hop, routes_source_t source)
{
    if (!sg_code_office (prefix, SG_CODE_ANY) || !hop || !hop[0]
        || strlen (hop) >= sizeof self->entries->hop)
        return SG_EINVAL;
    s_entry_t key = { .source = (int) source };
    strcpy (key.prefix, prefix);
    s_entry_t *old = self->n ? bsearch (&key, self->entries, self->n, sizeof key, s_cmp) : NULL;
    if (old) {
        strcpy (old->hop, hop);
        return SG_OK;
    }
    s_entry_t *e = sg_array_slot (&self->entries, self->n, &self->cap, sizeof *e, 32);
    if (!e)
        return SG_ENOMEM;
    strcpy (key.hop, hop);
    *e = key;
    self->n++;
    qsort (self->entries, self->n, sizeof key, s_cmp);
    return SG_OK;
}

/* The hop for prefix[0..len) from either source, explicit first. */
static const char *
s_find (const routes_t *self, const char *office, size_t len)
{
    s_entry_t key = { 0 };
    memcpy (key.prefix, office, len);
    for (int src = ROUTES_EXPLICIT; src <= ROUTES_ADAPTER; src++) {
        key.source = src;
        const s_entry_t *e = bsearch (&key, self->entries, self->n, sizeof key, s_cmp);
        if (e)
            return e->hop;
    }
    return NULL;
}

const char *
routes_lookup (const routes_t *self, const char *office)
{
    if (!self || !office || strlen (office) != 8 || !self->n)
        return NULL;
    const char *hop = s_find (self, office, 8);
    return hop ? hop : s_find (self, office, 2);
}

size_t
routes_count (const routes_t *self)
{
    return self ? self->n : 0;
}

int
routes_office_in (const char *office, char *const *list, size_t n)
{
    if (!office || strlen (office) != 8)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen (list[i]);
        if ((len == 8 && strcmp (list[i], office) == 0)
            || (len == 2 && memcmp (list[i], office, 2) == 0))
            return 1;
    }
    return 0;
}
