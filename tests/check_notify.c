/* check_notify.c - unit tests for lib/notify.c: the datagrams a service
 * manager would receive on a real AF_UNIX socket (path and abstract). */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "sg.h"
#include "testutil.h"

static int s_fd = -1;
static char s_dir[64];
static char s_env[128];

/* Binds a datagram socket at addr (path, or "@name") and exports it. */
static void
s_listen (const char *addr)
{
    struct sockaddr_un sa;
    memset (&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen (addr);
    memcpy (sa.sun_path, addr, n);
    if (addr[0] == '@')
        sa.sun_path[0] = '\0';
    socklen_t len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n + (addr[0] == '/'));
    s_fd = socket (AF_UNIX, SOCK_DGRAM, 0);
    ck_assert_int_ge (s_fd, 0);
    ck_assert_int_eq (bind (s_fd, (struct sockaddr *) &sa, len), 0);
    struct timeval tv = { 2, 0 };
    setsockopt (s_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ck_assert_int_eq (setenv ("NOTIFY_SOCKET", addr, 1), 0);
}

/* The next datagram, NUL-terminated, in a static buffer ("" on timeout). */
static const char *
s_recv (void)
{
    static char buf[1024];
    ssize_t n = recv (s_fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/check_notify.XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (s_dir));
}

static void
s_teardown (void)
{
    if (s_fd >= 0)
        close (s_fd);
    s_fd = -1;
    snprintf (s_env, sizeof s_env, "%s/notify", s_dir);
    unlink (s_env);
    rmdir (s_dir);
    unsetenv ("NOTIFY_SOCKET");
}

START_TEST (test_no_socket)
{
    unsetenv ("NOTIFY_SOCKET");
    ck_assert_int_eq (sg_notify_ready (), SG_OK);
    ck_assert_int_eq (sg_notify_status ("up %d", 1), SG_OK);
    setenv ("NOTIFY_SOCKET", "", 1);
    ck_assert_int_eq (sg_notify_stopping (), SG_OK);
}
END_TEST

START_TEST (test_path_socket)
{
    snprintf (s_env, sizeof s_env, "%s/notify", s_dir);
    s_listen (s_env);
    ck_assert_int_eq (sg_notify_ready (), SG_OK);
    ck_assert_str_eq (s_recv (), "READY=1");
    ck_assert_int_eq (sg_notify_status ("%d sessions\n%s", 3, "2 links up"), SG_OK);
    ck_assert_str_eq (s_recv (), "STATUS=3 sessions 2 links up");
    ck_assert_int_eq (sg_notify_reloading (), SG_OK);
    ck_assert_str_eq (s_recv (), "RELOADING=1");
    ck_assert_int_eq (sg_notify_stopping (), SG_OK);
    ck_assert_str_eq (s_recv (), "STOPPING=1");
}
END_TEST

START_TEST (test_abstract_socket)
{
    char name[64];
    snprintf (name, sizeof name, "@sigmat-check-notify-%ld", (long) getpid ());
    s_listen (name);
    ck_assert_int_eq (sg_notify ("READY=1\nSTATUS=ready"), SG_OK);
    ck_assert_str_eq (s_recv (), "READY=1\nSTATUS=ready");
}
END_TEST

START_TEST (test_bad_address)
{
    setenv ("NOTIFY_SOCKET", "relative/path", 1);
    ck_assert_int_eq (sg_notify_ready (), SG_EINVAL);
    setenv ("NOTIFY_SOCKET", "@", 1);
    ck_assert_int_eq (sg_notify_ready (), SG_EINVAL);
    char longpath[200];
    memset (longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    setenv ("NOTIFY_SOCKET", longpath, 1);
    ck_assert_int_eq (sg_notify_ready (), SG_EINVAL);
    /* a well-formed path where nobody listens: the send fails */
    snprintf (s_env, sizeof s_env, "%s/nobody", s_dir);
    setenv ("NOTIFY_SOCKET", s_env, 1);
    ck_assert_int_eq (sg_notify_ready (), SG_EIO);
    ck_assert_int_eq (sg_notify (NULL), SG_EINVAL);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("notify");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, 10);
    tcase_add_test (tc, test_no_socket);
    tcase_add_test (tc, test_path_socket);
    tcase_add_test (tc, test_abstract_socket);
    tcase_add_test (tc, test_bad_address);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
