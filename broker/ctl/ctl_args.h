/* ctl_args.h - what every sigmatctl verb gets and uses to read its words
 * (ctl_args.c): the verb's table entry (name, usage line, summary), the
 * exit codes, option parsing and the usage message. The verb table
 * (sigmatctl.c) hands each verb its own entry, so no verb reads the
 * table. */
#ifndef SG_CTL_ARGS_H_INCLUDED
#define SG_CTL_ARGS_H_INCLUDED

#include <getopt.h>

typedef struct ctl_verb ctl_verb_t;

/* A verb: v is its own table entry (for its usage line), argv the words
 * after its name. Returns an exit code. */
typedef int (*ctl_fn_t) (const ctl_verb_t *v, int argc, char **argv);

struct ctl_verb {
    const char *group;      /* "message", "mrn", ... */
    const char *verb;       /* "validate", or NULL for a one-word command */
    ctl_fn_t fn;
    const char *usage;      /* arguments, for --help */
    const char *summary;    /* one line */
};

/* Exit codes: 0 success, 1 the thing checked is bad or the operation
 * failed, 2 usage error. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

/* getopt_long over the words after a verb's name (argv[0] is the first of
 * them, argv[-1] the verb's name): returns each option's val with its
 * value (or NULL) in *value, 1 with *value the operand for each operand in
 * the order given (options and operands may mix; "--" ends the options),
 * -1 at the end, or '?' after printing "sigmatctl: unknown option X" or
 * "sigmatctl: X needs a value". A new argv starts a new parse. */
int ctl_getopt (int argc, char **argv, const struct option *opts, const char **value);

/* Prints "usage: sigmatctl GROUP VERB USAGE" and the summary to stdout, or
 * to stderr when to_stderr. */
void ctl_usage (const ctl_verb_t *v, int to_stderr);

#endif
