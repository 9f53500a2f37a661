/* notify.c - sd_notify without libsystemd: one AF_UNIX datagram to the
 * socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
 * namespace), as systemd documents in sd_notify(3). */
#include "notify.h"
#include "sg.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
sg_notify (const char *text)
{
    const char *path = getenv ("NOTIFY_SOCKET");
    if (!path || !path[0])
        return SG_OK;
    if (!text)
        return SG_EINVAL;
    struct sockaddr_un sa;
    memset (&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen (path);
    if ((path[0] != '/' && path[0] != '@') || n < 2 || n >= sizeof sa.sun_path)
        return SG_EINVAL;
    memcpy (sa.sun_path, path, n);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';          /* abstract namespace, not NUL-terminated */
    socklen_t len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n
                                 + (path[0] == '/' ? 1 : 0));
    int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return SG_EIO;
    size_t size = strlen (text);
    ssize_t sent = sendto (fd, text, size, MSG_NOSIGNAL, (struct sockaddr *) &sa, len);
    close (fd);
    return sent == (ssize_t) size ? SG_OK : SG_EIO;
}

int
sg_notify_ready (void)
{
    return sg_notify ("READY=1");
}

int
sg_notify_stopping (void)
{
    return sg_notify ("STOPPING=1");
}

int
sg_notify_reloading (void)
{
    return sg_notify ("RELOADING=1");
}

int
sg_notify_status (const char *fmt, ...)
{
    if (!getenv ("NOTIFY_SOCKET"))
        return SG_OK;
    char buf[512] = "STATUS=";
    size_t off = strlen (buf);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf + off, sizeof buf - off, fmt, ap);
    va_end (ap);
    for (char *p = buf + off; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return sg_notify (buf);
}
