/* asy_spool.h - ASYCUDA -> corridor: claims SAD XML files from the spool
 * folder (rename into work/), maps each to DEC and/or REL with an MRN kept
 * in the ledger, queues the messages in the outbox and moves the file to
 * done/ (or to rejected/ with NAME.err) - exactly once per file across
 * kill -9. Also the small file primitives the adapter shares (atomic
 * write, durable move). */
#ifndef ASY_SPOOL_H_INCLUDED
#define ASY_SPOOL_H_INCLUDED

#include <stddef.h>

#include "asy_conf.h"
#include "asy_map.h"
#include "asy_offices.h"
#include "asy_state.h"
#include "sg.h"

typedef struct asy_spool_t asy_spool_t;

/* A spool reader for conf's folders (created if missing), the tables and
 * the state. Returns NULL with the reason in diag. */
asy_spool_t *asy_spool_new (const asy_conf_t *conf, const asy_offices_t *tables,
                            asy_state_t *state, sg_diag_t *diag);

/* Frees the reader (NULL is fine) and clears the caller's pointer. */
void asy_spool_destroy (asy_spool_t **self_p);

/* Processes the files left in work/ (after a crash), then claims and
 * processes up to max files from the spool (oldest name first); a file
 * that cannot be read or mapped goes to rejected/ with its .err, and one
 * that fails on a state or disk error stays in work/ without holding up
 * the others. Returns the number of files handled, or -1 when every file
 * tried failed (logged, and recorded as the last error). */
int asy_spool_run (asy_spool_t *self, int max);

/* Processes one file already in work/ (name without folder). Returns
 * SG_OK when the file went to done/ or rejected/ as it should; other
 * codes for errors that leave it in work/ (state file, disk). */
int asy_spool_process (asy_spool_t *self, const char *name);

/* Maps a parsed SAD document as the service does: the DEC, and the REL
 * when released, through profile; every reason goes into rs. SG_OK (dec
 * NULL for a declaration cancelled in ASYCUDA, info->cancelled set),
 * SG_ENOMEM, or the first error (the reasons are in rs). */
int asy_spool_map (const asy_conf_t *conf, const asy_offices_t *tables,
                   const asy_profile_t *profile, xmlDocPtr doc, asy_sad_info_t *info,
                   sg_msg_t **dec_p, sg_msg_t **rel_p, asy_reasons_t *rs, sg_diag_t *diag);

/* Moves rejected a file that went to done/ and whose message the node
 * refused: done/NAME -> rejected/NAME with NAME.err saying why. */
void asy_spool_refused (asy_spool_t *self, const char *name, const char *why);

/* Writes data into dir/name atomically and durably: dir/.name.tmp, fsync,
 * rename, fsync of the folder. SG_OK or SG_EIO with the reason. */
int asy_write_atomic (const char *dir, const char *name, const char *data, size_t len,
                      sg_diag_t *diag);

/* Renames from/name to to/name (to/stem-N.ext if taken; the final name is
 * written into final, size bytes) and fsyncs both folders. */
int asy_move (const char *from, const char *name, const char *to, char *final, size_t size,
              sg_diag_t *diag);

/* Number of regular files in dir whose names end in suffix (NULL: all,
 * skipping dot files); -1 if dir cannot be read. */
long asy_count_files (const char *dir, const char *suffix);

#endif
