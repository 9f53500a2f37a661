/* router.h - the node's in-memory routing table: which next hop (a local
 * adapter or a peer node) takes a message for a recipient office. Built
 * from the `route` table and from the offices the local adapters speak
 * for; rebuilt whole on SIGHUP. */
#ifndef SG_ROUTER_H_INCLUDED
#define SG_ROUTER_H_INCLUDED

#include <stddef.h>

#include "sg.h"

typedef struct router_t router_t;

/* Where a route came from; explicit routes win over adapter offices of
 * the same length. */
typedef enum { ROUTER_EXPLICIT = 0, ROUTER_ADAPTER = 1 } router_source_t;

/* Returns a new empty table, or NULL when out of memory. */
router_t *router_new (void);

/* Frees the table (NULL is fine) and clears the caller's pointer. */
void router_destroy (router_t **self_p);

/* Adds prefix (an office reference like CI000101, or a 2-letter country
 * like BF) -> hop. A second entry for the same prefix and source replaces
 * the first. Returns SG_OK, SG_EINVAL for a malformed prefix or an empty
 * or over-long (> 63) hop, SG_ENOMEM. */
int router_add (router_t *self, const char *prefix, const char *hop, router_source_t source);

/* The next hop for a recipient office: the exact office first (explicit
 * route, then adapter office), then its country (same order). Returns a
 * string owned by the table (valid until it is destroyed), or NULL when
 * there is no route. */
const char *router_lookup (const router_t *self, const char *office);

/* Number of entries. */
size_t router_count (const router_t *self);

/* 1 if office (8 characters) is covered by an entry of list (office refs
 * or 2-letter countries), else 0. Used for "may this peer speak for this
 * sender office". */
int router_office_in (const char *office, char *const *list, size_t n);

#endif
