/* asy_check.h - the dry-run commands of sigmat-asycuda: check-file (map
 * exports as the service would, print the message or every reason) and
 * the mapping profile part of check-config. */
#ifndef ASY_CHECK_H_INCLUDED
#define ASY_CHECK_H_INCLUDED

#include "asy_conf.h"
#include "asy_offices.h"

/* check-file [--show] FILE...: for each of the nfiles files prints what
 * the service would send (the message itself when show) or every reason it
 * cannot, each with its code and SAD path. Queues nothing. Returns the exit
 * status: 0 all files good, 1 one refused, 2 usage or a bad profile. */
int asy_check_files (const asy_conf_t *conf, const asy_offices_t *tables, int show, int nfiles,
                     char **files);

/* Loads the mapping profile of conf and prints one line about it; 0 if
 * good, else prints the error (file:line) on stderr and returns 2. */
int asy_check_profile (const asy_conf_t *conf);

#endif
