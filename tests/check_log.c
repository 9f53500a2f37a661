/* check_log.c - unit tests for lib/log.c: plain stderr lines (timestamp,
 * name, level), and journald lines when stderr is the stream JOURNAL_STREAM
 * names (syslog priority prefix, no timestamp of their own). Each case
 * points stderr at a real file and reads back what was written. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Runs the logging calls with stderr on a temp file, returns its text. */
static char *
s_capture (int journal)
{
    char path[] = "/tmp/check_log.XXXXXX";
    int fd = mkstemp (path);
    ck_assert_int_ge (fd, 0);
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    ck_assert_int_eq (dup2 (fd, STDERR_FILENO), STDERR_FILENO);
    struct stat st;
    ck_assert_int_eq (fstat (fd, &st), 0);
    char js[64];
    snprintf (js, sizeof js, "%llu:%llu", (unsigned long long) st.st_dev,
              (unsigned long long) (journal ? st.st_ino : st.st_ino + 1));
    setenv ("JOURNAL_STREAM", js, 1);
    sg_log_open ("check_log", 0, SG_LOG_LVL_INFO);
    sg_log_set_tag ("XX");
    sg_log_error ("disk %s", "full");
    sg_log_warn ("slow");
    sg_log_info ("started");
    sg_log_debug ("hidden");
    fflush (stderr);
    dup2 (saved, STDERR_FILENO);
    close (saved);
    unsetenv ("JOURNAL_STREAM");
    sg_log_set_tag (NULL);
    char *buf = calloc (1, 4096);
    ck_assert_ptr_nonnull (buf);
    ssize_t n = pread (fd, buf, 4095, 0);
    ck_assert_int_gt (n, 0);
    close (fd);
    unlink (path);
    return buf;
}

START_TEST (test_journal)
{
    char *t = s_capture (1);
    ck_assert_int_eq (sg_log_journal_stream (), 0);    /* variable unset again */
    ck_assert_str_eq (t, "<3>disk full\n<4>slow\n<6>started\n");
    free (t);
}
END_TEST

START_TEST (test_plain)
{
    char *t = s_capture (0);
    /* 2026-12-03T10:00:00.000Z check_log[XX] error: disk full */
    ck_assert_msg (strlen (t) > 30 && t[4] == '-' && t[10] == 'T' && t[23] == 'Z', "%s", t);
    ck_assert_ptr_nonnull (strstr (t, " check_log[XX] error: disk full\n"));
    ck_assert_ptr_nonnull (strstr (t, " check_log[XX] warn: slow\n"));
    ck_assert_ptr_nonnull (strstr (t, " check_log[XX] info: started\n"));
    ck_assert_ptr_null (strstr (t, "hidden"));
    ck_assert_ptr_null (strstr (t, "<3>"));
    free (t);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("log");
    TCase *tc = tcase_create ("log");
    tcase_add_test (tc, test_journal);
    tcase_add_test (tc, test_plain);
    suite_add_tcase (s, tc);
    SRunner *sr = srunner_create (s);
    srunner_set_fork_status (sr, CK_NOFORK);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
