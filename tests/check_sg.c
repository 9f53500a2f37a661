/* check_sg.c - unit tests for lib/sg.c: error names, diagnostics, strlcpy. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "log.h"
#include "rto.h"
#include "sg.h"
#include "testutil.h"

START_TEST (test_strerror)
{
    ck_assert_str_eq (sg_strerror (SG_OK), "success");
    ck_assert_str_eq (sg_strerror (SG_ENOMEM), "out of memory");
    ck_assert_str_eq (sg_strerror (-1), "unknown error");
    ck_assert_str_eq (sg_strerror (SG_ERR_COUNT), "unknown error");
    for (int i = 0; i < SG_ERR_COUNT; i++)
        ck_assert_str_ne (sg_strerror (i), "unknown error");
}
END_TEST

START_TEST (test_diag)
{
    sg_diag_t d;
    sg_diag_clear (&d);
    ck_assert_int_eq (d.code, SG_OK);
    int rc = sg_diag_set (&d, SG_EMRN, 7, SG_NAK_INVALID_MRN, "bad check digit in %s", "24CI");
    ck_assert_int_eq (rc, SG_EMRN);
    ck_assert_int_eq (d.line, 7);
    ck_assert_int_eq (d.nak, 93);
    ck_assert_str_eq (d.text, "bad check digit in 24CI");
    ck_assert_int_eq (sg_diag_set (NULL, SG_EIO, 0, 0, "x"), SG_EIO);
}
END_TEST

START_TEST (test_strlcpy)
{
    char buf[5];
    ck_assert_int_eq (sg_strlcpy (buf, "abcd", sizeof buf), SG_OK);
    ck_assert_str_eq (buf, "abcd");
    ck_assert_int_eq (sg_strlcpy (buf, "abcdef", sizeof buf), SG_ETOOBIG);
    ck_assert_str_eq (buf, "abcd");
}
END_TEST

static char *
s_slurp (const char *path)
{
    static char buf[256];
    FILE *f = fopen (path, "r");
    if (!f)
        return NULL;
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = '\0';
    return buf;
}

/* A file or symlink planted where a writer used to put its temporary file
 * (".NAME.tmp"), or at the final name, is never written through: the victim
 * keeps its content, the final name becomes a regular file, nothing is left
 * behind. */
START_TEST (test_file_write_planted)
{
    char dir[] = "/tmp/check_sg.XXXXXX", path[300], victim[300], planted[300];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/out.xml", dir);
    snprintf (victim, sizeof victim, "%s/victim", dir);
    snprintf (planted, sizeof planted, "%s/.out.xml.tmp", dir);
    FILE *f = fopen (victim, "w");
    fputs ("precious", f);
    fclose (f);
    ck_assert_int_eq (symlink (victim, planted), 0);
    ck_assert_int_eq (symlink (victim, path), 0);
    ck_assert_int_eq (sg_file_write (path, "new", 3, 0640), SG_OK);
    ck_assert_str_eq (s_slurp (victim), "precious");
    ck_assert_str_eq (s_slurp (path), "new");
    struct stat sb;
    ck_assert_int_eq (lstat (path, &sb), 0);
    ck_assert (S_ISREG (sb.st_mode));
    ck_assert_int_eq (sb.st_mode & 0777, 0640);
    /* only the three names: out.xml, victim, the planted link */
    DIR *dp = opendir (dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir (dp)))
        n += e->d_name[0] != '.' || strcmp (e->d_name, ".out.xml.tmp") == 0;
    closedir (dp);
    ck_assert_int_eq (n, 3);
    /* a folder that does not exist: SG_EIO with errno */
    char missing[320];
    snprintf (missing, sizeof missing, "%s/no/such/x", dir);
    ck_assert_int_eq (sg_file_write (missing, "x", 1, 0600), SG_EIO);
    ck_assert_int_eq (errno, ENOENT);
    unlink (path);
    unlink (planted);
    unlink (victim);
    ck_assert_int_eq (rmdir (dir), 0);
}
END_TEST

/* A reason or file name from outside cannot forge a log line or carry a
 * terminal escape: control characters are written as escapes. */
START_TEST (test_log_escapes)
{
    char path[] = "/tmp/check_sg_log.XXXXXX";
    int fd = mkstemp (path);
    ck_assert_int_ge (fd, 0);
    fflush (stderr);
    int saved = dup (2);
    dup2 (fd, 2);
    sg_log_open ("check_sg", 0, SG_LOG_LVL_INFO);
    sg_log_warn ("refused: NAK %d %s", 12,
                 "bad\n2026-01-01T00:00:00.000Z sigmatd error: forged\x1b[2J\\");
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    char buf[512] = { 0 };
    ck_assert_int_gt (pread (fd, buf, sizeof buf - 1, 0), 0);
    close (fd);
    unlink (path);
    ck_assert_ptr_nonnull (strstr (buf, "bad\\n2026-01-01T00:00:00.000Z sigmatd error: forged\\x1b[2J\\\\\n"));
    ck_assert_ptr_eq (strchr (buf, '\n'), buf + strlen (buf) - 1);   /* one line */
    ck_assert_ptr_null (strchr (buf, 0x1b));
}
END_TEST

/* The resend timeout follows the round trip (RFC 6298), within its bounds,
 * doubles on a timeout, and a steady slow link stops causing resends. */
START_TEST (test_rto)
{
    rto_t r;
    rto_init (&r, 1000, 60000);
    ck_assert_int_eq (r.rto, 1000);                 /* nothing measured: the minimum */
    ck_assert_int_eq (rto_delay (&r, 0), 1000);
    ck_assert_int_eq (rto_delay (&r, 3), 8000);
    ck_assert_int_eq (rto_delay (&r, 40), 60000);   /* capped, no overflow */
    rto_sample (&r, 5);                              /* fast link: never under the minimum */
    ck_assert_int_eq (r.rto, 1000);
    /* ACKs slow down to 1.5 s (a busy receiver): the timeout climbs above them */
    for (int i = 0; i < 50; i++)
        rto_sample (&r, 1500);
    ck_assert_int_gt (r.rto, 1500);
    ck_assert_int_le (r.rto, 2500);
    /* a jittery link: 1 s to 3 s */
    for (int i = 0; i < 200; i++)
        rto_sample (&r, i % 2 ? 1000 : 3000);
    ck_assert_int_gt (r.rto, 3000);
    int64_t before = r.rto;
    rto_backoff (&r);
    ck_assert_int_eq (r.rto, 2 * before);
    for (int i = 0; i < 20; i++)
        rto_backoff (&r);
    ck_assert_int_eq (r.rto, 60000);
    rto_sample (&r, 100000);                         /* over the maximum: the maximum */
    ck_assert_int_eq (r.rto, 60000);
    rto_init (&r, 5000, 100);                        /* max below min: raised */
    ck_assert_int_eq (r.max, 5000);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("sg");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_strerror);
    tcase_add_test (tc, test_diag);
    tcase_add_test (tc, test_strlcpy);
    tcase_add_test (tc, test_file_write_planted);
    tcase_add_test (tc, test_log_escapes);
    tcase_add_test (tc, test_rto);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
