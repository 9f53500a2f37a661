/* ctl.h - sigmatctl's verbs. Each verb is one function taking the
 * arguments after its name; sigmatctl.c dispatches through a table. */
#ifndef SG_CTL_H_INCLUDED
#define SG_CTL_H_INCLUDED

#include <getopt.h>

typedef int (*ctl_fn_t) (int argc, char **argv);

typedef struct {
    const char *group;      /* "message", "mrn", ... */
    const char *verb;       /* "validate", or NULL for a one-word command */
    ctl_fn_t fn;
    const char *usage;      /* arguments, for --help */
    const char *summary;    /* one line */
} ctl_verb_t;

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

/* True if argv has -h or --help; verbs call it first. */
int ctl_wants_help (int argc, char **argv);

/* Prints "usage: sigmatctl GROUP VERB USAGE" and the summary to stream. */
void ctl_usage (const ctl_verb_t *v, int to_stderr);

/* Finds the table entry of the verb running now (for its own --help). */
const ctl_verb_t *ctl_find (const char *group, const char *verb);

int ctl_message_validate (int argc, char **argv);
int ctl_message_show (int argc, char **argv);
int ctl_mrn_new (int argc, char **argv);
int ctl_mrn_check (int argc, char **argv);
int ctl_keygen (int argc, char **argv);
int ctl_db_migrate (int argc, char **argv);
int ctl_db_version (int argc, char **argv);
int ctl_peer_add (int argc, char **argv);
int ctl_peer_remove (int argc, char **argv);
int ctl_peer_list (int argc, char **argv);
int ctl_peer_key (int argc, char **argv);
int ctl_message_verify (int argc, char **argv);
int ctl_route_add (int argc, char **argv);
int ctl_route_remove (int argc, char **argv);
int ctl_route_list (int argc, char **argv);
int ctl_dead_list (int argc, char **argv);
int ctl_dead_show (int argc, char **argv);
int ctl_dead_replay (int argc, char **argv);
int ctl_status (int argc, char **argv);
int ctl_movement_list (int argc, char **argv);
int ctl_movement_show (int argc, char **argv);
int ctl_movement_overdue (int argc, char **argv);
int ctl_movement_verify (int argc, char **argv);
int ctl_movement_resync (int argc, char **argv);
int ctl_top (int argc, char **argv);
int ctl_send (int argc, char **argv);
int ctl_listen (int argc, char **argv);
int ctl_archive_verify (int argc, char **argv);

#endif
