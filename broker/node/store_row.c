/* store_row.c - a query result read into an array of rows (store_row.h). */
#include "node/store_row.h"

#include <stdlib.h>

int
store_rows (const PGresult *res, size_t elem_size, store_row_read_fn read,
            store_row_free_fn free_list, void **out, size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    size_t n = (size_t) PQntuples (res);
    if (n == 0)
        return SG_OK;
    unsigned char *list = calloc (n, elem_size);
    if (!list)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (read (res, (int) i, list + i * elem_size) != SG_OK) {
            if (free_list)
                free_list (list, n);
            else
                free (list);
            return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        }
    *out = list;
    *count = n;
    return SG_OK;
}
