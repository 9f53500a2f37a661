/* file.h - whole-file reads under a size limit, and durable file writes
 * shared by the node tools, the adapters and the key generator: a private
 * temporary file, fsync, rename, fsync of the folder, so a reader sees the
 * old file or the whole new one. */
#ifndef SG_FILE_H_INCLUDED
#define SG_FILE_H_INCLUDED

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"

/* Appends the rest of stream f to out, at most max bytes (0: no limit).
 * SG_OK; SG_ETOOBIG when f holds more than max bytes (out then holds the
 * first max); SG_EIO with errno saying why; SG_ENOMEM. */
int sg_file_read_stream (FILE *f, size_t max, sg_buf_t *out);

/* The same for the file at path ("-": standard input), opened and closed
 * here; SG_EIO with errno saying why when it cannot be opened or read. */
int sg_file_read (const char *path, size_t max, sg_buf_t *out);

/* Writes len bytes of data to path with the given mode, atomically and
 * durably. The temporary file (".NAME.XXXXXX" beside path) is created with
 * O_EXCL|O_NOFOLLOW under a random name, so a file or symlink planted in the
 * folder is never written through. Returns SG_OK, SG_ENOMEM, or SG_EIO with
 * errno saying why (the temporary file is then removed). */
int sg_file_write (const char *path, const void *data, size_t len, mode_t mode);

#endif
