/* prune.h - the adapters' retention: archive old finished rows of their
 * SQLite state (sent and answered messages, delivered ones, closed
 * movements, old idempotency records) into a gzip JSON-lines file
 * (lib/archive.h), then delete them, in one SQLite transaction. Compiled
 * into both adapters (each lists the rules for its own tables). */
#ifndef SG_PRUNE_H_INCLUDED
#define SG_PRUNE_H_INCLUDED

#include <sqlite3.h>

#include "sg.h"

/* One table's rule: rows matching `where` (`?1`, bound to the cutoff:
 * RFC 3339 text when text_time, else integer ms since 1970) go; `json` is
 * an SQLite expression making the row's JSON object (json_object(...)). */
typedef struct {
    const char *table;
    const char *json;
    const char *where;
    int text_time;
} prune_rule_t;

/* Archives into DIR/PREFIX-...jsonl.gz, then deletes, at most limit rows
 * per rule older than cutoff_ms (wall clock, ms since 1970), all in one
 * transaction. Returns the number of rows removed (0: nothing to do, no
 * file) or -1 with diag set (nothing removed). */
int prune_run (sqlite3 *db, const char *dir, const char *prefix, const prune_rule_t *rules,
               int nrules, long long cutoff_ms, int limit, sg_diag_t *diag);

#endif
