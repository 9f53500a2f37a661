/* archive.h - archive files: gzip-compressed JSON lines written under a
 * temporary name, fsynced, then renamed into place (so a half-written
 * archive never looks like a finished one), and read back line by line.
 * The node (broker/node/retention.c) and both adapters archive with it. */
#ifndef SG_ARCHIVE_H_INCLUDED
#define SG_ARCHIVE_H_INCLUDED

#include <stddef.h>

#include "sg.h"

typedef struct sg_archive_t sg_archive_t;

/* Opens DIR/PREFIX-YYYYMMDDTHHMMSSZ-PID-N.jsonl.gz.tmp for writing
 * (O_EXCL|O_NOFOLLOW, mode 0640); creates dir if missing. NULL with
 * diag set on failure. Finish with sg_archive_commit or sg_archive_abort. */
sg_archive_t *sg_archive_new (const char *dir, const char *prefix, sg_diag_t *diag);

/* Appends one line (a newline is added); SG_OK or SG_EIO. */
int sg_archive_line (sg_archive_t *self, const char *line, size_t len);

/* The path the archive will have once committed (valid until destroy). */
const char *sg_archive_path (const sg_archive_t *self);

/* Flushes, fsyncs, renames into place and fsyncs the folder; frees self
 * and clears the pointer whatever the result. SG_OK or SG_EIO. */
int sg_archive_commit (sg_archive_t **self_p, sg_diag_t *diag);

/* Removes the archive (temporary or committed at path) and frees self. */
void sg_archive_abort (sg_archive_t **self_p);

/* Removes a committed archive file (a transaction that failed after
 * the commit): best effort. */
void sg_archive_unlink (const char *path);

typedef struct sg_archive_reader_t sg_archive_reader_t;

/* Opens an archive (gzip or plain) for reading; NULL with diag set. */
sg_archive_reader_t *sg_archive_reader_new (const char *path, sg_diag_t *diag);

/* The next line without its newline, NUL-terminated, in a buffer owned
 * by the reader (valid until the next call); *len its length. Returns 1,
 * 0 at the end, -1 on a read error or a line over 64 MiB (diag set). */
int sg_archive_read (sg_archive_reader_t *self, const char **line, size_t *len, sg_diag_t *diag);

void sg_archive_reader_destroy (sg_archive_reader_t **self_p);

#endif
