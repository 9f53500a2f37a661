/* asy_retention.c - sigmat-asycuda's retention: the periodic run from the
 * daemon loop (the rules for the state tables are in asy_state.c). */
#include "asy_retention.h"
#include "log.h"

#include <time.h>

int
asy_retention_run (asy_state_t *st, const asy_conf_t *conf, int limit)
{
    if (!conf->retention || !conf->archive_dir || !conf->archive_dir[0])
        return 0;
    sg_diag_t d;
    long long cutoff = (long long) time (NULL) * 1000 - conf->retention;
    int n = asy_state_prune (st, conf->archive_dir, conf->name ? conf->name : "asycuda", cutoff,
                             limit, &d);
    if (n < 0)
        sg_log_error ("%s", d.text);
    else if (n > 0)
        sg_log_info ("retention: archived and removed %d old rows of the state file", n);
    return n;
}
