/* asy_retention.c - sigmat-asycuda's retention: the rules for its state
 * tables (adapters/prune.h) and the periodic run from the daemon loop. */
#include "asy_retention.h"
#include "log.h"
#include "../prune.h"

#include <time.h>

#define S_CLOSED "('DISCHARGED', 'CANCELLED', 'RECOVERY')"

/* Times in this file are RFC 3339 UTC text, which sorts as time does.
 * Kept forever: the `declaration` ledger (one MRN per ASYCUDA declaration,
 * so a re-exported declaration never gets a second MRN), the `file` ledger
 * of spool files, `serial` and `meta`. */
static const prune_rule_t s_rules[] = {
    { "outbox", "json_object('seq', seq, 'msg_id', msg_id, 'type', type, 'mrn', mrn,"
      " 'sender', sender, 'recipient', recipient, 'created', created, 'source', source,"
      " 'status', status, 'nak_code', nak_code, 'nak_reason', nak_reason,"
      " 'body', CAST(body AS TEXT), 'updated', updated)",
      "status IN ('accepted', 'rejected') AND coalesce(updated, created) < ?1", 1 },
    { "inbox", "json_object('msg_id', msg_id, 'type', type, 'mrn', mrn, 'file', file, 'at', at)",
      "at < ?1", 1 },
    { "movement", "json_object('mrn', mrn, 'office', office, 'role', role, 'state', state,"
      " 'lrn', lrn, 'departure', departure, 'destination', destination, 'transit', transit,"
      " 'time_limit', time_limit, 'incidents', incidents, 'last_type', last_type,"
      " 'last_message', last_message, 'updated', updated)",
      "state IN " S_CLOSED " AND updated < ?1", 1 },
    { "request", "json_object('id', id, 'verb', verb, 'mrn', mrn, 'office', office,"
      " 'params', params, 'msg_id', msg_id, 'at', at)", "at < ?1", 1 },
    { "error", "json_object('id', id, 'at', at, 'source', source, 'text', text)", "at < ?1", 1 },
};

int
asy_retention_run (asy_state_t *st, const asy_conf_t *conf, int limit)
{
    if (!conf->retention || !conf->archive_dir || !conf->archive_dir[0])
        return 0;
    sg_diag_t d;
    long long cutoff = (long long) time (NULL) * 1000 - conf->retention;
    int n = prune_run (asy_state_db (st), conf->archive_dir, conf->name ? conf->name : "asycuda",
                       s_rules, (int) (sizeof s_rules / sizeof s_rules[0]), cutoff, limit, &d);
    if (n < 0)
        log_error ("%s", d.text);
    else if (n > 0)
        log_info ("retention: archived and removed %d old rows of the state file", n);
    return n;
}
