/* check_toolkit.c - unit tests for the shared toolkit in lib/: the
 * growable buffer (buf.h), the intrusive list (list.h), the string hash
 * (hash.h), the code checks (code.h) and whole-file reads (file.h). */
#include <check.h>
#include <errno.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "code.h"
#include "file.h"
#include "hash.h"
#include "list.h"
#include "sg.h"
#include "testutil.h"

START_TEST (test_buf_grow)
{
    sg_buf_t b = { 0 };
    ck_assert_str_eq (sg_buf_text (&b), "");
    for (int i = 0; i < 10000; i++)
        sg_buf_printf (&b, "%04d,", i % 10000);
    ck_assert (!b.failed);
    ck_assert_uint_eq (b.len, 50000);
    ck_assert_uint_eq (strlen (b.data), 50000);         /* NUL-terminated */
    ck_assert (!strncmp (b.data + 5 * 1234, "1234,", 5));
    /* printf output longer than the function's stack buffer */
    char big[2000];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    sg_buf_free (&b);
    sg_buf_printf (&b, "<%s>", big);
    ck_assert_uint_eq (b.len, sizeof big + 1);
    ck_assert_int_eq (b.data[0], '<');
    ck_assert_int_eq (b.data[b.len - 1], '>');
    /* binary bytes, NUL included */
    sg_buf_free (&b);
    sg_buf_put (&b, "a\0b", 3);
    ck_assert_uint_eq (b.len, 3);
    ck_assert (!memcmp (b.data, "a\0b", 4));
    char *taken = sg_buf_take (&b);
    ck_assert_ptr_null (b.data);
    ck_assert_uint_eq (b.len, 0);
    ck_assert (!memcmp (taken, "a\0b", 3));
    free (taken);
}
END_TEST

START_TEST (test_buf_json)
{
    sg_buf_t b = { 0 };
    sg_buf_json (&b, "plain \"quoted\" back\\slash\nnew\ttab\x01 é");
    sg_buf_puts (&b, " ");
    sg_buf_json (&b, NULL);
    ck_assert_str_eq (b.data, "\"plain \\\"quoted\\\" back\\\\slash\\u000anew\\u0009tab\\u0001 é\" null");
    sg_buf_free (&b);
}
END_TEST

START_TEST (test_buf_limit)
{
    sg_buf_t b = { .limit = 10 };
    sg_buf_puts (&b, "0123456789");
    ck_assert (!b.failed);
    ck_assert_str_eq (b.data, "0123456789");
    sg_buf_puts (&b, "x");
    ck_assert (b.failed);
    ck_assert (b.too_big);
    ck_assert_str_eq (b.data, "0123456789");            /* nothing half-appended */
    sg_buf_puts (&b, "");                                 /* sticky */
    ck_assert (b.failed);
    sg_buf_free (&b);
    ck_assert_uint_eq (b.limit, 10);                     /* the limit stays */
    ck_assert (!b.failed);
    sg_buf_put (&b, "01234567890", 11);
    ck_assert (b.too_big);
    ck_assert_uint_eq (b.len, 0);
    sg_buf_free (&b);
}
END_TEST

typedef struct s_item {
    int v;
    struct s_item *prev, *next;
} s_item_t;

typedef struct {
    s_item_t *head, *tail;
    size_t n;
} s_items_t;

static void
s_expect (const s_items_t *l, const int *want, size_t n)
{
    ck_assert_uint_eq (l->n, n);
    size_t i = 0;
    for (const s_item_t *e = l->head; e; e = e->next, i++) {
        ck_assert_uint_lt (i, n);
        ck_assert_int_eq (e->v, want[i]);
    }
    ck_assert_uint_eq (i, n);
    i = n;
    for (const s_item_t *e = l->tail; e; e = e->prev)
        ck_assert_int_eq (e->v, want[--i]);
    ck_assert_uint_eq (i, 0);
}

START_TEST (test_list)
{
    s_item_t it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
    s_items_t l = { 0 };
    for (int i = 0; i < 4; i++) {
        s_item_t *e = &it[i];
        SG_LIST_PUSH (&l, e);
    }
    s_expect (&l, (int[]) { 0, 1, 2, 3 }, 4);
    s_item_t *e = &it[2];
    SG_LIST_REMOVE (&l, e);                 /* middle */
    s_expect (&l, (int[]) { 0, 1, 3 }, 3);
    e = &it[0];
    SG_LIST_REMOVE (&l, e);                 /* head */
    s_expect (&l, (int[]) { 1, 3 }, 2);
    e = &it[3];
    SG_LIST_REMOVE (&l, e);                 /* tail */
    s_expect (&l, (int[]) { 1 }, 1);
    e = &it[2];
    SG_LIST_PUSH (&l, e);                   /* back on */
    s_expect (&l, (int[]) { 1, 2 }, 2);
    e = &it[1];
    SG_LIST_REMOVE (&l, e);
    e = &it[2];
    SG_LIST_REMOVE (&l, e);
    ck_assert_ptr_null (l.head);
    ck_assert_ptr_null (l.tail);
    ck_assert_uint_eq (l.n, 0);
}
END_TEST

START_TEST (test_hash)
{
    /* The published FNV-1a 64-bit test vectors. */
    ck_assert_uint_eq (sg_hash_str (""), 0xcbf29ce484222325u);
    ck_assert_uint_eq (sg_hash_str ("a"), 0xaf63dc4c8601ec8cu);
    ck_assert_uint_eq (sg_hash_str ("foobar"), 0x85944171f73967e8u);
    ck_assert_uint_ne (sg_hash_str ("BF-CI"), sg_hash_str ("CI-BF"));
}
END_TEST

START_TEST (test_code_office)
{
    ck_assert (sg_code_office ("BF", SG_CODE_ANY));
    ck_assert (sg_code_office ("BF000101", SG_CODE_ANY));
    ck_assert (sg_code_office ("BFOUA001", SG_CODE_OFFICE));
    ck_assert (sg_code_office ("BF", SG_CODE_COUNTRY));
    ck_assert (!sg_code_office ("BF", SG_CODE_OFFICE));
    ck_assert (!sg_code_office ("BF000101", SG_CODE_COUNTRY));
    ck_assert (!sg_code_office ("bf", SG_CODE_ANY));
    ck_assert (!sg_code_office ("B1", SG_CODE_ANY));         /* country: letters only */
    ck_assert (!sg_code_office ("1F000101", SG_CODE_ANY));
    ck_assert (!sg_code_office ("BF00010a", SG_CODE_ANY));   /* code: capitals and digits */
    ck_assert (!sg_code_office ("BF00010", SG_CODE_ANY));
    ck_assert (!sg_code_office ("BF0001011", SG_CODE_ANY));
    ck_assert (!sg_code_office ("BF00-101", SG_CODE_ANY));
    ck_assert (!sg_code_office ("", SG_CODE_ANY));
    ck_assert (!sg_code_office (NULL, SG_CODE_ANY));
}
END_TEST

START_TEST (test_code_id)
{
    ck_assert (sg_code_id ("a.ouedraogo@bf", 64, "._@-", 0));
    ck_assert (!sg_code_id ("a ouedraogo", 64, "._@-", 0));
    ck_assert (!sg_code_id ("a.ouedraogo", 64, "._@-", 1));  /* capitals only */
    ck_assert (sg_code_id ("EN_ROUTE,OVERDUE", 512, "_,", 1));
    ck_assert (!sg_code_id ("EN_ROUTE;", 512, "_,", 1));
    ck_assert (sg_code_id ("26BF0000000000001", 17, "", 1));
    ck_assert (!sg_code_id ("26BF00000000000012", 17, "", 1)); /* too long */
    ck_assert (!sg_code_id ("", 17, "", 1));
    ck_assert (!sg_code_id (NULL, 17, "", 1));
    ck_assert (!sg_code_id ("é", 17, "", 0));                 /* ASCII only */
}
END_TEST

START_TEST (test_file_read)
{
    char dir[] = "/tmp/check_toolkit.XXXXXX", path[64];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/data", dir);
    sg_buf_t want = { 0 };
    for (int i = 0; i < 30000; i++)             /* several chunks of the reader */
        sg_buf_printf (&want, "line %d\n", i);
    ck_assert_int_eq (sg_file_write (path, want.data, want.len, 0600), 0);
    sg_buf_t b = { 0 };
    ck_assert_int_eq (sg_file_read (path, 0, &b), 0);
    ck_assert_uint_eq (b.len, want.len);
    ck_assert (!memcmp (b.data, want.data, want.len));
    sg_buf_free (&b);
    ck_assert_int_eq (sg_file_read (path, want.len, &b), 0);           /* exactly the limit */
    ck_assert_uint_eq (b.len, want.len);
    sg_buf_free (&b);
    ck_assert_int_eq (sg_file_read (path, want.len - 1, &b), SG_ETOOBIG);
    ck_assert_uint_eq (b.len, want.len - 1);
    sg_buf_free (&b);
    unlink (path);
    errno = 0;
    ck_assert_int_eq (sg_file_read (path, 0, &b), SG_EIO);
    ck_assert_int_eq (errno, ENOENT);
    ck_assert_ptr_null (b.data);
    rmdir (dir);
    sg_buf_free (&want);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("toolkit");
    TCase *tc = tcase_create ("toolkit");
    tcase_add_test (tc, test_buf_grow);
    tcase_add_test (tc, test_buf_json);
    tcase_add_test (tc, test_buf_limit);
    tcase_add_test (tc, test_list);
    tcase_add_test (tc, test_hash);
    tcase_add_test (tc, test_code_office);
    tcase_add_test (tc, test_code_id);
    tcase_add_test (tc, test_file_read);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? 1 : 0;
}
