/* file.c - whole-file reads and durable, atomic file writes (see file.h). */
#include "file.h"
#include "sg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
sg_file_read_stream (FILE *f, size_t max, sg_buf_t *out)
{
    char chunk[65536];
    size_t got = 0, n;
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0) {
        if (max && n > max - got) {
            sg_buf_put (out, chunk, max - got);
            return out->failed ? SG_ENOMEM : SG_ETOOBIG;
        }
        sg_buf_put (out, chunk, n);
        if (out->failed)
            return SG_ENOMEM;
        got += n;
    }
    if (ferror (f)) {
        if (!errno)
            errno = EIO;
        return SG_EIO;
    }
    return SG_OK;
}

int
sg_file_read (const char *path, size_t max, sg_buf_t *out)
{
    int stdin_ = !strcmp (path, "-");
    FILE *f = stdin_ ? stdin : fopen (path, "rb");
    if (!f)
        return SG_EIO;
    int rc = sg_file_read_stream (f, max, out);
    int saved = errno;
    if (!stdin_)
        fclose (f);
    errno = saved;
    return rc;
}

int
sg_file_write (const char *path, const void *data, size_t len, mode_t mode)
{
    int rc = SG_EIO, fd = -1;
    const char *slash = strrchr (path, '/');
    size_t dlen = slash ? (size_t) (slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t size = strlen (path) + 16;
    char *tmp = malloc (size), *dir = malloc (dlen + 2);
    if (!tmp || !dir) {
        rc = SG_ENOMEM;
        goto done;
    }
    if (slash)
        snprintf (dir, dlen + 2, "%.*s", (int) (dlen ? dlen : 1), path);
    else
        snprintf (dir, dlen + 2, ".");
    snprintf (tmp, size, "%.*s.%s.XXXXXX", (int) (slash ? dlen + 1 : 0), path, base);
    /* mkostemp opens with O_CREAT|O_EXCL: it never reuses a name that
     * exists, symlink or not; O_NOFOLLOW says so once more. */
    if ((fd = mkostemp (tmp, O_CLOEXEC | O_NOFOLLOW)) < 0) {
        tmp[0] = '\0';          /* nothing to unlink */
        goto done;
    }
    if (fchmod (fd, mode) != 0)
        goto done;
    for (size_t off = 0; off < len;) {
        ssize_t n = write (fd, (const char *) data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto done;
        off += (size_t) n;
    }
    if (fsync (fd) != 0)
        goto done;
    int closed = close (fd);
    fd = -1;
    if (closed != 0 || rename (tmp, path) != 0)
        goto done;
    tmp[0] = '\0';              /* renamed: nothing to unlink */
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        goto done;
    closed = fsync (dfd);
    close (dfd);
    if (closed != 0)
        goto done;
    rc = SG_OK;
done:
    if (rc == SG_EIO) {
        int saved = errno;
        if (fd >= 0)
            close (fd);
        if (tmp && tmp[0])
            unlink (tmp);
        errno = saved;
    }
    free (tmp);
    free (dir);
    return rc;
}
