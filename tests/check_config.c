/* check_config.c - unit tests for lib/config.c: every value type, the file
 * syntax (separators, quotes, comments), every error with its exact
 * file:line text, defaults, lists, MULTI callbacks, dump round trips. */
#include <check.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "testutil.h"

typedef struct {
    char *name;
    char *keys_dir;
    char *ca_file;
    int bulk_size;
    int verbose;
    int log_level;
    long long ack_timeout;
    size_t max_message;
    sg_config_list_t listen;
    char routes[8][2][32];
    int nroutes;
} tconf_t;

static int
s_route_add (void *conf, const sg_config_entry_t *e, int argc, char **argv, char *err, size_t size)
{
    tconf_t *c = conf;
    if (argc != 2 || strlen (argv[0]) >= 32 || strlen (argv[1]) >= 32) {
        snprintf (err, size, "expected PREFIX NEXT_HOP");
        return -1;
    }
    if (c->nroutes == 8) {
        snprintf (err, size, "too many routes");
        return -1;
    }
    strcpy (c->routes[c->nroutes][0], argv[0]);
    strcpy (c->routes[c->nroutes][1], argv[1]);
    c->nroutes++;
    return 0;
}

static void
s_route_dump (const void *conf, const sg_config_entry_t *e, FILE *out)
{
    const tconf_t *c = conf;
    for (int i = 0; i < c->nroutes; i++)
        fprintf (out, "%s %s %s\n", e->name, c->routes[i][0], c->routes[i][1]);
}

static const sg_config_entry_t s_table[] = {
    { "name", SG_CONFIG_STRING, offsetof (tconf_t, name), "ci", "Node name.", 0, 0, NULL, NULL },
    { "keys_dir", SG_CONFIG_PATH, offsetof (tconf_t, keys_dir), "/etc/sigmat/keys",
      "Folder of key files.", 0, 0, NULL, NULL },
    { "ca_file", SG_CONFIG_PATH, offsetof (tconf_t,
                                           ca_file), NULL, "Optional file.", 0, 0, NULL, NULL },
    { "bulk_size", SG_CONFIG_INT, offsetof (tconf_t, bulk_size), "500",
      "Messages per transaction.", 1, 10000, NULL, NULL },
    { "verbose", SG_CONFIG_BOOL, offsetof (tconf_t, verbose), "no", "Say more.", 0, 0, NULL, NULL },
    { "log_level", SG_CONFIG_LEVEL, offsetof (tconf_t,
                                              log_level), "info", "Level.", 0, 0, NULL, NULL },
    { "ack_timeout", SG_CONFIG_DURATION, offsetof (tconf_t, ack_timeout), "30s",
      "Resend after this.\nSecond line.", 100, 86400000, NULL, NULL },
    { "max_message", SG_CONFIG_SIZE, offsetof (tconf_t, max_message), "4MiB", "Largest message.",
      1024, 1 << 30, NULL, NULL },
    { "listen", SG_CONFIG_LIST, offsetof (tconf_t,
                                          listen), "tcp://*:7000", "Endpoints.", 0, 0, NULL, NULL },
    { "route", SG_CONFIG_MULTI, 0, "CI000101 node-ci", "A route.", 0, 0, s_route_add, s_route_dump },
    SG_CONFIG_ALIAS_OF ("batch", "bulk_size"),
    SG_CONFIG_ALIAS_OF ("endpoint", "listen"),
    { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL }
};

static void
s_defaults (tconf_t *c)
{
    memset (c, 0, sizeof *c);
    sg_diag_t d;
    ck_assert_int_eq (sg_config_defaults (s_table, c, &d), SG_OK);
}

/* Parses text into fresh defaults and expects it to fail with exactly want. */
static void
s_expect_error (const char *text, const char *want)
{
    tconf_t c;
    s_defaults (&c);
    sg_diag_t d;
    ck_assert_int_eq (sg_config_parse (s_table, &c, "t.conf", text, &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, want);
    sg_config_free (s_table, &c);
}

START_TEST (test_defaults)
{
    tconf_t c;
    s_defaults (&c);
    ck_assert_str_eq (c.name, "ci");
    ck_assert_str_eq (c.keys_dir, "/etc/sigmat/keys");
    ck_assert_ptr_null (c.ca_file);
    ck_assert_int_eq (c.bulk_size, 500);
    ck_assert_int_eq (c.verbose, 0);
    ck_assert_int_eq (c.log_level, SG_LOG_LVL_INFO);
    ck_assert_int_eq (c.ack_timeout, 30000);
    ck_assert_uint_eq (c.max_message, 4u << 20);
    ck_assert_uint_eq (c.listen.n, 1);
    ck_assert_str_eq (c.listen.items[0], "tcp://*:7000");
    ck_assert_int_eq (c.nroutes, 0);
    sg_config_free (s_table, &c);
    ck_assert_ptr_null (c.name);
    ck_assert_uint_eq (c.listen.n, 0);

    static const sg_config_entry_t bad[] = {
        { "n", SG_CONFIG_INT, 0, "many", "x", 0, 0, NULL, NULL }, { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL }
    };
    int n = 0;
    sg_diag_t d;
    ck_assert_int_eq (sg_config_defaults (bad, &n, &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, "(default):1: bad value \"many\" for n: expected an integer");
}
END_TEST

START_TEST (test_every_type)
{
    tconf_t c;
    s_defaults (&c);
    sg_diag_t d;
    const char *text =
        "# a comment\n"
        "\n"
        "   # an indented comment\n"
        "name = \"node \\\"CI\\\" #1 \\\\ end\"   # trailing comment\n"
        "keys_dir=/var/lib/sigmat/keys\n"
        "ca_file relative/ca.pem\n"
        "bulk_size\t 250\r\n"
        "verbose YES\n"
        "log_level debug\n"
        "ack_timeout 5m\n"
        "max_message 64KiB\n"
        "listen tcp://*:7100 tcp://*:7101\n"
        "listen \"ipc:///tmp/a b\"\n"
        "route CI000101 asycuda-ci\n"
        "route BF node-bf # comment\n";
    ck_assert_msg (sg_config_parse (s_table, &c, "t.conf", text, &d) == SG_OK, "%s", d.text);
    ck_assert_str_eq (c.name, "node \"CI\" #1 \\ end");
    ck_assert_str_eq (c.keys_dir, "/var/lib/sigmat/keys");
    ck_assert_str_eq (c.ca_file, "relative/ca.pem");       /* no file: as written */
    ck_assert_int_eq (c.bulk_size, 250);
    ck_assert_int_eq (c.verbose, 1);
    ck_assert_int_eq (c.log_level, SG_LOG_LVL_DEBUG);
    ck_assert_int_eq (c.ack_timeout, 300000);
    ck_assert_uint_eq (c.max_message, 65536);
    ck_assert_uint_eq (c.listen.n, 3);                      /* the default was replaced */
    ck_assert_str_eq (c.listen.items[0], "tcp://*:7100");
    ck_assert_str_eq (c.listen.items[1], "tcp://*:7101");
    ck_assert_str_eq (c.listen.items[2], "ipc:///tmp/a b");
    ck_assert_int_eq (c.nroutes, 2);
    ck_assert_str_eq (c.routes[0][0], "CI000101");
    ck_assert_str_eq (c.routes[0][1], "asycuda-ci");
    ck_assert_str_eq (c.routes[1][0], "BF");
    ck_assert_str_eq (c.routes[1][1], "node-bf");
    sg_config_free (s_table, &c);
}
END_TEST

START_TEST (test_units)
{
    static const struct { const char *text; long long ms; } dur[] = {
        { "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 }, { "2h", 7200000 },
        { "1d", 86400000 }, { "10", 10000 }
    };
    for (size_t i = 0; i < sizeof dur / sizeof dur[0]; i++) {
        tconf_t c;
        s_defaults (&c);
        sg_diag_t d;
        ck_assert_int_eq (sg_config_set (s_table, &c, "ack_timeout", dur[i].text, &d), SG_OK);
        ck_assert_int_eq (c.ack_timeout, dur[i].ms);
        sg_config_free (s_table, &c);
    }
    static const struct { const char *text; size_t bytes; } sz[] = {
        { "1024", 1024 }, { "64k", 65536 }, { "64KB", 65536 }, { "64kib", 65536 },
        { "4M", 4 << 20 }, { "4MiB", 4 << 20 }, { "1GiB", 1 << 30 }, { "2048b", 2048 }
    };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        tconf_t c;
        s_defaults (&c);
        sg_diag_t d;
        ck_assert_int_eq (sg_config_set (s_table, &c, "max_message", sz[i].text, &d), SG_OK);
        ck_assert_uint_eq (c.max_message, sz[i].bytes);
        sg_config_free (s_table, &c);
    }
    static const char *yes[] = { "yes", "true", "on", "1", "On" }, *no[] = { "no", "false", "off", "0" };
    for (int i = 0; i < 5; i++) {
        tconf_t c;
        s_defaults (&c);
        sg_diag_t d;
        ck_assert_int_eq (sg_config_set (s_table, &c, "verbose", yes[i], &d), SG_OK);
        ck_assert_int_eq (c.verbose, 1);
        if (i < 4) {
            ck_assert_int_eq (sg_config_set (s_table, &c, "verbose", no[i], &d), SG_OK);
            ck_assert_int_eq (c.verbose, 0);
        }
        sg_config_free (s_table, &c);
    }
    char buf[32];
    sg_config_format_duration (1500, buf, sizeof buf);
    ck_assert_str_eq (buf, "1500ms");
    sg_config_format_duration (90000, buf, sizeof buf);
    ck_assert_str_eq (buf, "90s");
    sg_config_format_duration (7200000, buf, sizeof buf);
    ck_assert_str_eq (buf, "2h");
    sg_config_format_duration (604800000, buf, sizeof buf);
    ck_assert_str_eq (buf, "7d");
    sg_config_format_duration (0, buf, sizeof buf);
    ck_assert_str_eq (buf, "0s");
    sg_config_format_size (1536, buf, sizeof buf);
    ck_assert_str_eq (buf, "1536");
    sg_config_format_size (3 << 10, buf, sizeof buf);
    ck_assert_str_eq (buf, "3KiB");
    sg_config_format_size (4 << 20, buf, sizeof buf);
    ck_assert_str_eq (buf, "4MiB");
    sg_config_format_size (0, buf, sizeof buf);
    ck_assert_str_eq (buf, "0");
}
END_TEST

START_TEST (test_errors)
{
    s_expect_error ("name ci\n\nfoo bar\n", "t.conf:3: unknown key \"foo\"");
    s_expect_error ("bulk_size x\n",
                    "t.conf:1: bad value \"x\" for bulk_size: expected an integer 1..10000");
    s_expect_error ("bulk_size 0\n",
                    "t.conf:1: bad value \"0\" for bulk_size: expected an integer 1..10000");
    s_expect_error ("bulk_size 10001\n",
                    "t.conf:1: bad value \"10001\" for bulk_size: expected an integer 1..10000");
    s_expect_error ("bulk_size 5x\n",
                    "t.conf:1: bad value \"5x\" for bulk_size: expected an integer 1..10000");
    s_expect_error ("bulk_size 99999999999999999999\n",
                    "t.conf:1: bad value \"99999999999999999999\" for bulk_size: expected an integer 1..10000");
    s_expect_error ("\nbulk_size\n", "t.conf:2: missing value for bulk_size");
    s_expect_error ("name = # nothing\n", "t.conf:1: missing value for name");
    s_expect_error ("verbose maybe\n", "t.conf:1: bad value \"maybe\" for verbose: expected yes or no");
    s_expect_error ("log_level loud\n",
                    "t.conf:1: bad value \"loud\" for log_level: expected error, warn, info or debug");
    s_expect_error ("ack_timeout 30x\n", "t.conf:1: bad value \"30x\" for ack_timeout: expected a "
                    "duration like 30s, 5m, 2h or 7d from 100ms to 1d");
    s_expect_error ("ack_timeout -5s\n", "t.conf:1: bad value \"-5s\" for ack_timeout: expected a "
                    "duration like 30s, 5m, 2h or 7d from 100ms to 1d");
    s_expect_error ("ack_timeout 50ms\n", "t.conf:1: bad value \"50ms\" for ack_timeout: expected a "
                    "duration like 30s, 5m, 2h or 7d from 100ms to 1d");
    s_expect_error ("ack_timeout 2d\n", "t.conf:1: bad value \"2d\" for ack_timeout: expected a "
                    "duration like 30s, 5m, 2h or 7d from 100ms to 1d");
    s_expect_error ("max_message 4XB\n", "t.conf:1: bad value \"4XB\" for max_message: expected a "
                    "size like 512, 64KiB, 4MiB or 1GiB from 1KiB to 1GiB");
    s_expect_error ("max_message 2GiB\n", "t.conf:1: bad value \"2GiB\" for max_message: expected a "
                    "size like 512, 64KiB, 4MiB or 1GiB from 1KiB to 1GiB");
    s_expect_error ("name a\nbulk_size 5\nname b\n",
                    "t.conf:3: duplicate key \"name\" (already set on line 1)");
    s_expect_error ("name two words\n", "t.conf:1: bad value \"two words\" for name: expected one "
                    "value (quote a value that has spaces)");
    s_expect_error ("name \"open\n", "t.conf:1: unterminated quoted value");
    s_expect_error ("name \"a\\qb\"\n", "t.conf:1: unknown escape \\q in quoted value");
    s_expect_error ("name \"a\"b\n", "t.conf:1: text after closing quote");
    s_expect_error ("keys_dir \"\"\n", "t.conf:1: bad value \"\" for keys_dir: expected a path");
    s_expect_error ("route CI000101\n",
                    "t.conf:1: bad value \"CI000101\" for route: expected PREFIX NEXT_HOP");
    s_expect_error ("route a b\nroute c\n",
                    "t.conf:2: bad value \"c\" for route: expected PREFIX NEXT_HOP");

    tconf_t c;
    s_defaults (&c);
    sg_diag_t d;
    ck_assert_int_eq (sg_config_parse (s_table, &c, "t.conf", "\n\nbulk_size x\n", &d), SG_ECONFIG);
    ck_assert_int_eq (d.line, 3);
    ck_assert_int_eq (d.code, SG_ECONFIG);
    sg_config_free (s_table, &c);
}
END_TEST

START_TEST (test_set)
{
    tconf_t c;
    s_defaults (&c);
    sg_diag_t d;
    ck_assert_int_eq (sg_config_set (s_table, &c, "bulk_size", "7", &d), SG_OK);
    ck_assert_int_eq (c.bulk_size, 7);
    ck_assert_int_eq (sg_config_set (s_table, &c, "name", "with spaces", &d), SG_OK);
    ck_assert_str_eq (c.name, "with spaces");
    ck_assert_int_eq (sg_config_set (s_table, &c, "bulk_size", "x", &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, "bad value \"x\" for bulk_size: expected an integer 1..10000");
    ck_assert_int_eq (sg_config_set (s_table, &c, "nope", "1", &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, "unknown key \"nope\"");
    ck_assert_int_eq (sg_config_set (s_table, &c, "route", "NE \"hub node\"", &d), SG_OK);
    ck_assert_int_eq (c.nroutes, 1);
    ck_assert_str_eq (c.routes[0][1], "hub node");
    ck_assert_int_eq (sg_config_set (s_table, &c, "listen", "tcp://*:1", &d), SG_OK);
    ck_assert_uint_eq (c.listen.n, 2);
    sg_config_free (s_table, &c);
}
END_TEST

START_TEST (test_load_file)
{
    char dir[] = "/tmp/sigmat-conf-XXXXXX", path[128];
    ck_assert_ptr_nonnull (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/sigmatd.conf", dir);
    FILE *f = fopen (path, "w");
    fputs ("keys_dir keys\nca_file /abs/ca.pem\nbulk_size 9\n", f);
    fclose (f);
    tconf_t c;
    s_defaults (&c);
    sg_diag_t d;
    ck_assert_int_eq (sg_config_load (s_table, &c, path, &d), SG_OK);
    char want[400];
    snprintf (want, sizeof want, "%s/keys", dir);
    ck_assert_str_eq (c.keys_dir, want);                   /* relative to the file */
    ck_assert_str_eq (c.ca_file, "/abs/ca.pem");
    ck_assert_int_eq (c.bulk_size, 9);

    f = fopen (path, "w");
    fputs ("bulk_size 9\n# x\nverbose perhaps\n", f);
    fclose (f);
    ck_assert_int_eq (sg_config_load (s_table, &c, path, &d), SG_ECONFIG);
    snprintf (want, sizeof want, "%s:3: bad value \"perhaps\" for verbose: expected yes or no", path);
    ck_assert_str_eq (d.text, want);
    sg_config_free (s_table, &c);

    unlink (path);
    ck_assert_int_eq (sg_config_load (s_table, &c, path, &d), SG_EIO);
    snprintf (want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq (d.text, want);
    rmdir (dir);
}
END_TEST

START_TEST (test_dump)
{
    tconf_t c;
    s_defaults (&c);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&out, &len);
    sg_config_dump (s_table, &c, f);
    fclose (f);
    ck_assert_msg (strstr (out, "# Node name.\nname ci\n\n"), "%s", out);
    ck_assert_ptr_nonnull (strstr (out, "# Optional file.\n# ca_file (not set)\n"));
    ck_assert_ptr_nonnull (strstr (out, "# Messages per transaction.\n# (Old name batch: still "
                                        "read, with a warning.)\n# (1..10000)\nbulk_size 500\n"));
    ck_assert_ptr_nonnull (strstr (out, "verbose no\n"));
    ck_assert_ptr_nonnull (strstr (out, "log_level info\n"));
    ck_assert_ptr_nonnull (strstr (out, "# Resend after this.\n# Second line.\n# (from 100ms to 1d)\n"
                                        "ack_timeout 30s\n"));
    ck_assert_ptr_nonnull (strstr (out, "max_message 4MiB\n"));
    ck_assert_ptr_nonnull (strstr (out, "listen tcp://*:7000\n"));
    ck_assert_ptr_nonnull (strstr (out, "# A route.\n# example: route CI000101 node-ci\n"));
    free (out);

    /* Awkward values survive a dump and a parse. */
    sg_diag_t d;
    ck_assert_int_eq (sg_config_parse (s_table, &c, "t.conf",
        "name \"tab\\there \\\"q\\\" #x \\\\\"\nca_file \"/a b/c\"\nbulk_size 42\nverbose on\n"
        "log_level warn\nack_timeout 1500ms\nmax_message 3KiB\nlisten a \"b c\"\n"
        "route CI000101 x\nroute BF y\n", &d), SG_OK);
    f = open_memstream (&out, &len);
    sg_config_dump (s_table, &c, f);
    fclose (f);
    tconf_t back;
    memset (&back, 0, sizeof back);
    ck_assert_msg (sg_config_parse (s_table, &back, "dump", out, &d) == SG_OK, "%s\n%s", d.text,
                   out);
    ck_assert_str_eq (back.name, c.name);
    ck_assert_str_eq (back.ca_file, "/a b/c");
    ck_assert_str_eq (back.keys_dir, c.keys_dir);
    ck_assert_int_eq (back.bulk_size, 42);
    ck_assert_int_eq (back.verbose, 1);
    ck_assert_int_eq (back.log_level, SG_LOG_LVL_WARN);
    ck_assert_int_eq (back.ack_timeout, 1500);
    ck_assert_uint_eq (back.max_message, 3072);
    ck_assert_uint_eq (back.listen.n, 2);
    ck_assert_str_eq (back.listen.items[1], "b c");
    ck_assert_int_eq (back.nroutes, 2);
    ck_assert_str_eq (back.routes[1][0], "BF");
    free (out);
    sg_config_free (s_table, &c);
    sg_config_free (s_table, &back);
}
END_TEST

/* Runs sg_config_parse (or sg_config_set when key is given) with stderr sent to
 * a file; returns what was written there (the warnings), malloc'd. */
static char *
s_warnings (tconf_t *c, const char *text, const char *key, const char *value, int want)
{
    char path[] = "/tmp/sigmat-conf-warn-XXXXXX";
    int fd = mkstemp (path);
    ck_assert_int_ge (fd, 0);
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    dup2 (fd, STDERR_FILENO);
    sg_diag_t d;
    int rc = key ? sg_config_set (s_table, c, key, value, &d)
                 : sg_config_parse (s_table, c, "t.conf", text, &d);
    fflush (stderr);
    dup2 (saved, STDERR_FILENO);
    close (saved);
    ck_assert_msg (rc == want, "rc %d: %s", rc, rc ? d.text : "");
    if (rc != SG_OK)
        ck_assert_str_eq (d.text, "t.conf:2: duplicate key \"bulk_size\" (already set on line 1)");
    char *out = calloc (1, 4096);
    lseek (fd, 0, SEEK_SET);
    ck_assert_int_ge (read (fd, out, 4095), 0);
    close (fd);
    unlink (path);
    return out;
}

START_TEST (test_alias)
{
    tconf_t c;
    s_defaults (&c);
    ck_assert_int_eq (c.bulk_size, 500);                   /* an alias has no default */
    char *w = s_warnings (&c, "# old names\nbatch 7\nendpoint a b\n", NULL, NULL, SG_OK);
    ck_assert_int_eq (c.bulk_size, 7);
    ck_assert_uint_eq (c.listen.n, 2);                     /* the file replaced the default */
    ck_assert_msg (strstr (w, "t.conf:2: key batch is deprecated, use bulk_size"), "%s", w);
    ck_assert_msg (strstr (w, "t.conf:3: key endpoint is deprecated, use listen"), "%s", w);
    free (w);
    /* the new name and the old one are one key: set twice is a duplicate */
    w = s_warnings (&c, "bulk_size 1\nbatch 2\n", NULL, NULL, SG_ECONFIG);
    free (w);
    w = s_warnings (&c, NULL, "batch", "9", SG_OK);
    ck_assert_int_eq (c.bulk_size, 9);
    ck_assert_msg (strstr (w, "key batch is deprecated, use bulk_size"), "%s", w);
    free (w);
    w = s_warnings (&c, "bulk_size 3\n", NULL, NULL, SG_OK);
    ck_assert_msg (w[0] == '\0', "a new name warned: %s", w);
    free (w);
    /* print-config names the old name under the key, never as a key */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&out, &len);
    sg_config_dump (s_table, &c, f);
    fclose (f);
    ck_assert_msg (strstr (out, "# Messages per transaction.\n# (Old name batch: still read, "
                                "with a warning.)\n# (1..10000)\nbulk_size 3\n"), "%s", out);
    ck_assert_ptr_null (strstr (out, "\nbatch"));
    ck_assert_ptr_null (strstr (out, "\nendpoint"));
    ck_assert_msg (out[len - 1] == '\n' && out[len - 2] != '\n', "%s", out);
    free (out);
    sg_config_free (s_table, &c);
}
END_TEST

START_TEST (test_args)
{
    tconf_t c;
    s_defaults (&c);
    sg_diag_t d;
    ck_assert_int_eq (sg_config_set_kv (s_table, &c, "bulk_size=12", &d), SG_OK);
    ck_assert_int_eq (c.bulk_size, 12);
    ck_assert_int_eq (sg_config_set_kv (s_table, &c, "name=a=b", &d), SG_OK);
    ck_assert_str_eq (c.name, "a=b");                       /* the first = splits */
    ck_assert_int_eq (sg_config_set_kv (s_table, &c, "bulk_size", &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, "-o bulk_size: expected KEY=VALUE");
    ck_assert_int_eq (sg_config_set_kv (s_table, &c, "=3", &d), SG_ECONFIG);
    ck_assert_int_eq (sg_config_set_kv (s_table, &c, "nope=3", &d), SG_ECONFIG);
    ck_assert_str_eq (d.text, "unknown key \"nope\"");
    sg_config_free (s_table, &c);

    char *argv[] = { "prog", "-c", "x.conf", "-o", "a=1", "--print-config", "-o", "b=2",
                     "run", "--check-config", NULL };
    sg_config_args_t a;
    ck_assert_int_eq (sg_config_args (10, argv, 1, &a), 0);
    ck_assert_str_eq (a.path, "x.conf");
    ck_assert_str_eq (a.verb, "print-config");
    ck_assert_int_eq (a.nover, 2);
    ck_assert_str_eq (a.over[1], "b=2");
    ck_assert_int_eq (optind, 8);                           /* stopped at the operand */
    ck_assert_int_eq (a.version + a.help, 0);
    char *argv2[] = { "prog", "--config=y.conf", "--check-config", "-V", "-h", NULL };
    ck_assert_int_eq (sg_config_args (5, argv2, 0, &a), 0);
    ck_assert_str_eq (a.path, "y.conf");
    ck_assert_str_eq (a.verb, "check-config");
    ck_assert_int_eq (a.version && a.help, 1);
    char *argv3[] = { "prog", "-o", "a=1", NULL };          /* no -o for this program */
    ck_assert_int_eq (sg_config_args (3, argv3, 0, &a), 2);
}
END_TEST

int
main (void)
{
    Suite *s = suite_create ("config");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_defaults);
    tcase_add_test (tc, test_every_type);
    tcase_add_test (tc, test_units);
    tcase_add_test (tc, test_errors);
    tcase_add_test (tc, test_set);
    tcase_add_test (tc, test_load_file);
    tcase_add_test (tc, test_dump);
    tcase_add_test (tc, test_alias);
    tcase_add_test (tc, test_args);
    suite_add_tcase (s, tc);
    int failed = testutil_run (s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
