/* node/routes.h - the node's in-memory routing table: which next hop (a local
 * adapter or a peer node) takes a message for a recipient office. Built
 * from the `route` table and from the offices the local adapters speak
 * for; rebuilt whole on SIGHUP. */
#ifndef SG_ROUTES_H_INCLUDED
#define SG_ROUTES_H_INCLUDED

#include <stddef.h>

#include "sg.h"

typedef struct routes_t routes_t;

/* Where a route came from; explicit routes win over adapter offices of
 * the same length. */
typedef enum { ROUTES_EXPLICIT = 0, ROUTES_ADAPTER = 1 } routes_source_t;

/* Returns a new empty table, or NULL when out of memory. */
routes_t *routes_new (void);

/* Frees the table (NULL is fine) and clears the caller's pointer. */
void routes_destroy (routes_t **self_p);

/* Adds prefix (an office reference like CI000101, or a 2-letter country
 * like BF) -> hop. A second entry for the same prefix and source replaces
 * the first. Returns SG_OK, SG_EINVAL for a malformed prefix or an empty
 * or over-long (> 63) hop, SG_ENOMEM. */
int routes_add (routes_t *self, const char *prefix, const char *hop, routes_source_t source);

/* The next hop for a recipient office: the exact office first (explicit
 * route, then adapter office), then its country (same order). Returns a
 * string owned by the table (valid until it is destroyed), or NULL when
 * there is no route. */
const char *routes_lookup (const routes_t *self, const char *office);

/* Number of entries. */
size_t routes_count (const routes_t *self);

/* 1 if office (8 characters) is covered by an entry of list (office refs
 * or 2-letter countries), else 0. Used for "may this peer speak for this
 * sender office". */
int routes_office_in (const char *office, char *const *list, size_t n);

#endif
