/* asy_cli.h - the command line of sigmat-asycuda: `run` (the service),
 * `status`, config and file checks, and the officer verbs (the same as the
 * HTTP callbacks; they write to the state file, so they work while the
 * service is down and the running service sends what they queue). */
#ifndef ASY_CLI_H_INCLUDED
#define ASY_CLI_H_INCLUDED

/* Runs the command line; returns the process exit status (0 done, 1 the
 * command failed, 2 usage or configuration error). */
int asy_cli_main (int argc, char **argv);

#endif
