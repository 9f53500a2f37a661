/* store_row.h - turning a query result into an array of rows: one helper
 * for the store_*.c list readers (queue pages, dead letters, peers, routes,
 * signing keys), so none of them allocates and unwinds by hand. */
#ifndef STORE_ROW_H_INCLUDED
#define STORE_ROW_H_INCLUDED

#include <libpq-fe.h>
#include <stddef.h>

#include "sg.h"

/* Decodes row r of res into elem (zeroed); SG_OK, or SG_ENOMEM leaving in
 * elem only what free_list releases. */
typedef int (*store_row_read_fn) (const PGresult *res, int r, void *elem);

/* Frees an array of count rows and what they hold (NULL list is a no-op). */
typedef void (*store_row_free_fn) (void *list, size_t count);

/* Decodes every row of res with read into a new zeroed array of elements
 * of elem_size bytes, handed to *out_p (out_p: the caller's T **; NULL when
 * there are no rows; free with free_list, or free() when free_list is
 * NULL) with its length in *count, and clears res. SG_OK; SG_EDB when res
 * is NULL (the query failed: diag already says why); SG_ENOMEM with diag
 * set. On failure *out_p is NULL and *count 0. */
int store_rows (PGresult *res, size_t elem_size, store_row_read_fn read,
                store_row_free_fn free_list, void *out_p, size_t *count, sg_diag_t *diag);

#endif
