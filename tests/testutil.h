/* testutil.h - what every Check program of tests/ does the same way:
 * running its suite. Header only, so a test program needs nothing more in
 * its SOURCES than its own file. */
#ifndef SG_TESTUTIL_H_INCLUDED
#define SG_TESTUTIL_H_INCLUDED

#include <check.h>

/* Runs every test of suite s (the runner frees it) and returns how many
 * failed. */
static inline int
testutil_run (Suite *s)
{
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed;
}

#endif
