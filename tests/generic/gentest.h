/* gentest.h - what the two files of tests/check_generic share. */
#ifndef GENTEST_H_INCLUDED
#define GENTEST_H_INCLUDED

#include <check.h>
#include <stddef.h>

#include "msg.h"

#define CI_TOKEN "ci-portal-token-0001"
#define BF_TOKEN "bf-portal-token-0001"
#define XI_TOKEN "xi-portal-token-0001"
#define SECRET "0123456789abcdef-webhook-secret"

extern char g_src[1024], g_ref[1024], g_tmp[256];
extern int g_have_ref;

/* Reads a whole file (fails the test if it cannot); free() it. */
char *gt_read (const char *path, size_t *len);

/* Parses messages/examples/NAME. */
sg_msg_t *gt_example (const char *name);

/* Adds the HTTP test case (API routes, webhook delivery). */
void gt_add_http (Suite *s);

#endif
