/* asy_retention.h - sigmat-asycuda's retention of its state file: old
 * finished rows are archived (archive_dir) and deleted. */
#ifndef ASY_RETENTION_H_INCLUDED
#define ASY_RETENTION_H_INCLUDED

#include "asy_conf.h"
#include "asy_state.h"

/* One batch of at most limit rows per table; returns the rows removed
 * (errors are logged and count as 0). Does nothing with retention 0. */
int asy_retention_run (asy_state_t *st, const asy_conf_t *conf, int limit);

#endif
