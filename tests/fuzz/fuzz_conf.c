/* fuzz_conf.c - libFuzzer target for the config file parser (lib/conf.c):
 * any text through sg_config_parse against a table with one key of every type;
 * a refusal must say why, and whatever was accepted must print
 * (sg_config_dump) into text that parses again to the same dump. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
    char *name, *dir;
    int count, flag, level;
    long long wait;
    size_t max;
    sg_config_list_t offices;
    int routes;
} s_conf_t;

static int
s_route (void *conf, const sg_config_entry_t *e, int argc, char **argv, char *err, size_t size)
{
    if (argc != 2) {
        snprintf (err, size, "expected PREFIX HOP");
        return -1;
    }
    ((s_conf_t *) conf)->routes++;
    return 0;
}

#define S_OFF(f) offsetof (s_conf_t, f)
static const sg_config_entry_t s_table[] = {
    { "name", SG_CONFIG_STRING, S_OFF (name), NULL, "a string", 0, 0, NULL, NULL },
    { "dir", SG_CONFIG_PATH, S_OFF (dir), "/var/lib/x", "a path", 0, 0, NULL, NULL },
    { "count", SG_CONFIG_INT, S_OFF (count), "5", "an int", 1, 1000, NULL, NULL },
    { "flag", SG_CONFIG_BOOL, S_OFF (flag), "no", "a bool", 0, 0, NULL, NULL },
    { "level", SG_CONFIG_LEVEL, S_OFF (level), "info", "a level", 0, 0, NULL, NULL },
    { "wait", SG_CONFIG_DURATION, S_OFF (wait), "5s", "a duration", 100, 86400000, NULL, NULL },
    { "max", SG_CONFIG_SIZE, S_OFF (max), "1MiB", "a size", 1024, 1 << 30, NULL, NULL },
    { "offices", SG_CONFIG_LIST, S_OFF (offices), "CI BF", "a list", 0, 0, NULL, NULL },
    { "route", SG_CONFIG_MULTI, 0, NULL, "a multi", 0, 0, s_route, NULL },
    SG_CONFIG_ALIAS_OF ("size", "max"),
    { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL }
};

static void
s_fail (const char *what)
{
    fprintf (stderr, "fuzz_conf: %s\n", what);
    abort ();
}

static char *
s_dump (const s_conf_t *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    sg_config_dump (s_table, c, f);
    fclose (f);
    return buf;
}

static void
s_free (s_conf_t *c)
{
    free (c->name);
    free (c->dir);
    for (size_t i = 0; i < c->offices.n; i++)
        free (c->offices.items[i]);
    free (c->offices.items);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    memcpy (text, data, size);
    text[size] = '\0';
    s_conf_t c, again;
    memset (&c, 0, sizeof c);
    memset (&again, 0, sizeof again);
    sg_diag_t diag;
    if (sg_config_defaults (s_table, &c, &diag) != SG_OK)
        s_fail ("defaults do not parse");
    if (sg_config_parse (s_table, &c, "fuzz.conf", text, &diag) != SG_OK) {
        if (!diag.text[0])
            s_fail ("a refusal without a reason");
    }
    else {
        char *one = s_dump (&c);
        if (sg_config_defaults (s_table, &again, &diag) != SG_OK)
            s_fail ("defaults do not parse");
        /* the list was appended to the defaults: start it empty again */
        for (size_t i = 0; i < again.offices.n; i++)
            free (again.offices.items[i]);
        again.offices.n = 0;
        if (sg_config_parse (s_table, &again, "dump.conf", one, &diag) != SG_OK) {
            fprintf (stderr, "%s\n---\n%s\n", diag.text, one);
            s_fail ("the dump of an accepted config does not parse");
        }
        char *two = s_dump (&again);
        if (strcmp (one, two) != 0)
            s_fail ("the dump changed after parsing it again");
        free (one);
        free (two);
    }
    s_free (&c);
    s_free (&again);
    free (text);
    return 0;
}
