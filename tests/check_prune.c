/* check_prune.c - the adapters' retention (adapters/prune.c) on a real
 * SQLite file: old finished rows are archived then deleted, in batches;
 * queued and recent rows stay; the archive holds exactly what went. */
#include <check.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../adapters/prune.h"
#include "testutil.h"

static const prune_rule_t s_rules[] = {
    { "outbox", "json_object('id', id, 'status', status, 'body', body)",
      "status = 'accepted' AND at < ?1", 0 },
};

static int
s_count (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq (sqlite3_step (st), SQLITE_ROW);
    int n = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    return n;
}

START_TEST (test_prune)
{
    char dir[] = "/tmp/check_prune.XXXXXX", path[128], arch[128];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/state.db", dir);
    snprintf (arch, sizeof arch, "%s/archive", dir);
    sqlite3 *db;
    ck_assert_int_eq (sqlite3_open (path, &db), SQLITE_OK);
    ck_assert_int_eq (sqlite3_exec (db, "CREATE TABLE outbox (id TEXT, status TEXT, body TEXT,"
                                        " at INTEGER);", NULL, NULL, NULL), SQLITE_OK);
    /* 5 old accepted (go), 1 old queued, 1 recent accepted (stay) */
    for (int i = 0; i < 5; i++) {
        char sql[200];
        snprintf (sql, sizeof sql, "INSERT INTO outbox VALUES ('m%d', 'accepted', 'b%d', 1000)",
                  i, i);
        ck_assert_int_eq (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    ck_assert_int_eq (sqlite3_exec (db, "INSERT INTO outbox VALUES ('q', 'queued', 'x', 1000);"
                                        "INSERT INTO outbox VALUES ('new', 'accepted', 'y', 9000)",
                                    NULL, NULL, NULL), SQLITE_OK);
    sg_diag_t d;
    ck_assert_int_eq (prune_run (db, arch, "test", s_rules, 1, 5000, 2, &d), 2);
    ck_assert_int_eq (prune_run (db, arch, "test", s_rules, 1, 5000, 2, &d), 2);
    ck_assert_int_eq (prune_run (db, arch, "test", s_rules, 1, 5000, 2, &d), 1);
    ck_assert_int_eq (prune_run (db, arch, "test", s_rules, 1, 5000, 2, &d), 0);
    ck_assert_int_eq (s_count (db, "SELECT count(*) FROM outbox"), 2);
    ck_assert_int_eq (s_count (db, "SELECT count(*) FROM outbox WHERE id IN ('q', 'new')"), 2);

    /* Three archives, five rows in all, each a header and JSON rows. */
    DIR *dd = opendir (arch);
    struct dirent *e;
    int files = 0, rows = 0;
    while ((e = readdir (dd))) {
        if (e->d_name[0] == '.')
            continue;
        ck_assert_ptr_null (strstr (e->d_name, ".tmp"));
        char f[400], line[512];
        snprintf (f, sizeof f, "%s/%s", arch, e->d_name);
        gzFile g = gzopen (f, "rb");
        ck_assert_ptr_nonnull (g);
        ck_assert_ptr_nonnull (gzgets (g, line, sizeof line));
        ck_assert_ptr_nonnull (strstr (line, "\"adapter-archive\""));
        while (gzgets (g, line, sizeof line)) {
            ck_assert_ptr_nonnull (strstr (line, "{\"table\":\"outbox\",\"row\":{\"id\":\"m"));
            rows++;
        }
        gzclose (g);
        files++;
    }
    closedir (dd);
    ck_assert_int_eq (files, 3);
    ck_assert_int_eq (rows, 5);
    sqlite3_close (db);
    char cmd[200];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq (system (cmd), 0);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("prune");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_prune);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
