/* store_row.c - a query result read into an array of rows, or checked for
 * the one row it changed (store_row.h). */
#include "node/store_row.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_rows (PGresult *res, size_t elem_size, store_row_read_fn read,
            store_row_free_fn free_list, void *out_p, size_t *count, sg_diag_t *diag)
{
    unsigned char *list = NULL;
    memcpy (out_p, &list, sizeof list);
    *count = 0;
    if (!res)
        return SG_EDB;
    size_t n = (size_t) PQntuples (res);
    int rc = SG_OK;
    if (n && !(list = calloc (n, elem_size)))
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    for (size_t i = 0; list && i < n; i++)
        if (read (res, (int) i, list + i * elem_size) != SG_OK) {
            if (free_list)
                free_list (list, n);
            else
                free (list);
            list = NULL;
            rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        }
    PQclear (res);
    if (rc == SG_OK) {
        memcpy (out_p, &list, sizeof list);
        *count = n;
    }
    return rc;
}

int
store_one_row (PGresult *res, sg_diag_t *diag, const char *fmt, ...)
{
    if (!res)
        return SG_EDB;
    int rc = SG_OK;
    if (strcmp (PQcmdTuples (res), "1") != 0) {
        char why[sizeof diag->text];
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (why, sizeof why, fmt, ap);
        va_end (ap);
        rc = sg_diag_set (diag, SG_ENOTFOUND, 0, 0, "%s", why);
    }
    PQclear (res);
    return rc;
}
