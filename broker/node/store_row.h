/* store_row.h - reading a statement's result the same way everywhere in
 * store_*.c: the rows of a list (queue pages, dead letters, peers, routes,
 * signing keys) into an array, and the one row a change must touch. */
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

/* Takes the result of a statement that must change exactly one row (NULL:
 * it failed, SG_EDB with diag already set) and clears it: SG_OK, or
 * SG_ENOTFOUND with diag saying fmt when it changed none. */
int store_one_row (PGresult *res, sg_diag_t *diag, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
