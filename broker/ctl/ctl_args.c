/* ctl_args.c - reading a sigmatctl verb's words: getopt_long over the
 * words after the verb's name, and the verb's usage message. */
#include <stdio.h>

#include "ctl/ctl_args.h"

int
ctl_getopt (int argc, char **argv, const struct option *opts, const char **value)
{
    static char **s_args;                   /* the parse under way: argv - 1 */
    static int s_rest;                      /* after "--": next operand index */
    char **args = argv - 1;                 /* args[0] is the verb, as getopt wants */
    if (args != s_args) {
        s_args = args;
        s_rest = 0;
        optind = 0;                         /* glibc: start a new parse */
        opterr = 0;
    }
    *value = NULL;
    if (!s_rest) {
        /* "-": operands come back in order as 1, whatever POSIXLY_CORRECT says */
        int opt = getopt_long (argc + 1, args, "-:", opts, NULL);
        if (opt == '?' || opt == ':') {
            if (opt == ':')
                fprintf (stderr, "sigmatctl: %s needs a value\n", args[optind - 1]);
            else
                fprintf (stderr, "sigmatctl: unknown option %s\n", args[optind - 1]);
            s_args = NULL;
            return '?';
        }
        if (opt != -1) {
            *value = optarg;
            return opt;
        }
        s_rest = optind;                    /* operands after "--", if any */
    }
    if (s_rest <= argc) {
        *value = args[s_rest++];
        return 1;
    }
    s_args = NULL;
    return -1;
}

void
ctl_usage (const ctl_verb_t *v, int to_stderr)
{
    FILE *out = to_stderr ? stderr : stdout;
    fprintf (out, "usage: sigmatctl %s%s%s %s\n  %s\n", v->group, v->verb ? " " : "",
             v->verb ? v->verb : "", v->usage, v->summary);
}
