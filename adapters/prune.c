/* prune.c - the adapters' retention (prune.h): select, archive, fsync,
 * then delete the same rows, inside one BEGIN IMMEDIATE transaction so
 * nothing can change in between. */
#include "prune.h"
#include "archive.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void
s_bind_cutoff (sqlite3_stmt *st, const prune_rule_t *r, long long cutoff_ms, const char *text)
{
    if (r->text_time)
        sqlite3_bind_text (st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64 (st, 1, cutoff_ms);
}

static int
s_fail (sqlite3 *db, sg_diag_t *diag, const char *what)
{
    sg_diag_set (diag, SG_EDB, 0, 0, "retention: %s: %s", what, sqlite3_errmsg (db));
    return -1;
}

int
prune_run (sqlite3 *db, const char *dir, const char *prefix, const prune_rule_t *rules,
           int nrules, long long cutoff_ms, int limit, sg_diag_t *diag)
{
    char text[32], sql[2048];
    if (diag)
        diag->text[0] = 0;
    time_t t = (time_t) (cutoff_ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return s_fail (db, diag, "begin");
    sg_archive_t *ar = NULL;
    int removed = 0, rc = 0;
    char path[4096] = "";
    for (int i = 0; i < nrules && rc == 0; i++) {
        const prune_rule_t *r = &rules[i];
        snprintf (sql, sizeof sql, "SELECT json_object('table', '%s', 'row', %s) FROM %s"
                  " WHERE %s ORDER BY rowid LIMIT %d", r->table, r->json, r->table, r->where,
                  limit);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
            rc = s_fail (db, diag, r->table);
            break;
        }
        s_bind_cutoff (st, r, cutoff_ms, text);
        int step, n = 0;
        while ((step = sqlite3_step (st)) == SQLITE_ROW) {
            if (!ar) {
                char head[256];
                if (!(ar = sg_archive_new (dir, prefix, diag))) {
                    rc = -1;
                    break;
                }
                int hl = snprintf (head, sizeof head, "{\"kind\": \"adapter-archive\", \"format\": 1,"
                                   " \"adapter\": \"%s\", \"before\": \"%s\"}", prefix, text);
                if (sg_archive_line (ar, head, (size_t) hl) != SG_OK)
                    rc = -1;
            }
            const char *line = (const char *) sqlite3_column_text (st, 0);
            if (rc == 0 && (!line || sg_archive_line (ar, line, strlen (line)) != SG_OK))
                rc = -1;
            if (rc)
                break;
            n++;
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = s_fail (db, diag, r->table);
        sqlite3_finalize (st);
        if (rc == 0 && n) {
            snprintf (sql, sizeof sql, "DELETE FROM %s WHERE rowid IN (SELECT rowid FROM %s"
                      " WHERE %s ORDER BY rowid LIMIT %d)", r->table, r->table, r->where, limit);
            if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
                rc = s_fail (db, diag, r->table);
            else {
                s_bind_cutoff (st, r, cutoff_ms, text);
                if (sqlite3_step (st) != SQLITE_DONE)
                    rc = s_fail (db, diag, r->table);
                sqlite3_finalize (st);
            }
            removed += n;
        }
    }
    if (rc == 0 && ar) {
        snprintf (path, sizeof path, "%s", sg_archive_path (ar));
        if (sg_archive_commit (&ar, diag) != SG_OK)
            rc = -1;
    }
    else if (rc && ar && diag && !diag->text[0])
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot write %s", sg_archive_path (ar));
    if (rc == 0 && sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = s_fail (db, diag, "commit");
        sg_archive_unlink (path);
    }
    if (rc) {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        sg_archive_abort (&ar);
        return -1;
    }
    return removed;
}
