/* archive.c - gzip JSON-lines archive files (see archive.h): written
 * under a temporary name and published by rename after fsync; read back
 * line by line with zlib (which also reads uncompressed files). */
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define S_MAX_LINE (64u << 20)

struct sg_archive_t {
    int fd;                 /* kept open to fsync after gzclose */
    gzFile gz;
    char *dir;
    char tmp[4200], path[4096];
    int committed;
};

struct sg_archive_reader_t {
    gzFile gz;
    char *buf;
    size_t cap;
};

static int
s_mkdir_p (const char *dir)
{
    char path[4096];
    if (snprintf (path, sizeof path, "%s", dir) >= (int) sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (path, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

sg_archive_t *
sg_archive_new (const char *dir, const char *prefix, sg_diag_t *diag)
{
    static unsigned s_serial;
    sg_archive_t *self = calloc (1, sizeof *self);
    if (!self || !(self->dir = strdup (dir))) {
        free (self);
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    self->fd = -1;
    if (s_mkdir_p (dir) != 0) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot create archive folder %s: %s", dir,
                     strerror (errno));
        goto fail;
    }
    char stamp[32];
    time_t t = time (NULL);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    int n = snprintf (self->path, sizeof self->path, "%s/%s-%s-%ld-%u.jsonl.gz", dir, prefix,
                      stamp, (long) getpid (), ++s_serial);
    if (n < 0 || (size_t) n >= sizeof self->path) {
        sg_diag_set (diag, SG_EINVAL, 0, 0, "archive path too long in %s", dir);
        goto fail;
    }
    snprintf (self->tmp, sizeof self->tmp, "%s.tmp", self->path);
    self->fd = open (self->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    int gzfd = self->fd >= 0 ? dup (self->fd) : -1;
    if (gzfd < 0 || !(self->gz = gzdopen (gzfd, "wb6"))) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot create archive %s: %s", self->tmp,
                     strerror (errno));
        if (gzfd >= 0)
            close (gzfd);
        goto fail;
    }
    return self;
fail:
    sg_archive_abort (&self);
    return NULL;
}

int
sg_archive_line (sg_archive_t *self, const char *line, size_t len)
{
    if (!self || !self->gz)
        return SG_EINVAL;
    if ((len && gzwrite (self->gz, line, (unsigned) len) != (int) len)
        || gzputc (self->gz, '\n') != '\n')
        return SG_EIO;
    return SG_OK;
}

const char *
sg_archive_path (const sg_archive_t *self)
{
    return self ? self->path : NULL;
}

int
sg_archive_commit (sg_archive_t **self_p, sg_diag_t *diag)
{
    sg_archive_t *self = self_p ? *self_p : NULL;
    if (!self)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no archive");
    int rc = SG_OK;
    int z = gzclose (self->gz);
    self->gz = NULL;
    if (z != Z_OK)
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot write archive %s (zlib error %d)",
                          self->tmp, z);
    else if (fsync (self->fd) != 0 || rename (self->tmp, self->path) != 0)
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot publish archive %s: %s", self->path,
                          strerror (errno));
    else {
        self->committed = 1;
        int dfd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync (dfd) != 0)
            rc = sg_diag_set (diag, SG_EIO, 0, 0, "cannot fsync archive folder %s: %s",
                              self->dir, strerror (errno));
        if (dfd >= 0)
            close (dfd);
    }
    if (rc == SG_OK) {
        close (self->fd);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
    else
        sg_archive_abort (self_p);
    return rc;
}

void
sg_archive_abort (sg_archive_t **self_p)
{
    sg_archive_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->gz)
        gzclose (self->gz);
    if (self->fd >= 0) {
        close (self->fd);
        unlink (self->committed ? self->path : self->tmp);
    }
    free (self->dir);
    free (self);
    *self_p = NULL;
}

void
sg_archive_unlink (const char *path)
{
    if (path)
        unlink (path);
}

sg_archive_reader_t *
sg_archive_reader_new (const char *path, sg_diag_t *diag)
{
    sg_archive_reader_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || !(self->gz = gzdopen (fd, "rb"))) {
        sg_diag_set (diag, SG_EIO, 0, 0, "cannot open %s: %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        free (self);
        return NULL;
    }
    return self;
}

int
sg_archive_read (sg_archive_reader_t *self, const char **line, size_t *len, sg_diag_t *diag)
{
    size_t n = 0;
    for (;;) {
        if (n + 2 > self->cap) {
            size_t cap = self->cap ? self->cap * 2 : 65536;
            if (cap > S_MAX_LINE + 2) {
                sg_diag_set (diag, SG_ETOOBIG, 0, 0, "a line is longer than 64 MiB");
                return -1;
            }
            char *b = realloc (self->buf, cap);
            if (!b) {
                sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
                return -1;
            }
            self->buf = b;
            self->cap = cap;
        }
        int c = gzgetc (self->gz);
        if (c < 0) {
            int err;
            gzerror (self->gz, &err);
            if (err != Z_OK && err != Z_STREAM_END) {
                sg_diag_set (diag, SG_EIO, 0, 0, "the file is damaged (zlib error %d)", err);
                return -1;
            }
            if (n == 0)
                return 0;
            break;
        }
        if (c == '\n')
            break;
        self->buf[n++] = (char) c;
    }
    self->buf[n] = 0;
    *line = self->buf;
    *len = n;
    return 1;
}

void
sg_archive_reader_destroy (sg_archive_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gzclose ((*self_p)->gz);
    free ((*self_p)->buf);
    free (*self_p);
    *self_p = NULL;
}
