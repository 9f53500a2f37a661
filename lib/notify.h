/* notify.h - readiness and status for a service manager: the systemd
 * NOTIFY_SOCKET datagram protocol (sd_notify), without libsystemd. Every
 * call is a no-op returning SG_OK when NOTIFY_SOCKET is not set, so the
 * binaries call them unconditionally. */
#ifndef SG_NOTIFY_H_INCLUDED
#define SG_NOTIFY_H_INCLUDED

/* Sends the state lines in text (e.g. "READY=1\nSTATUS=up") as one datagram
 * to $NOTIFY_SOCKET; SG_OK when sent or when there is no such socket,
 * SG_EINVAL for an unusable address, SG_EIO if the send failed. */
int sg_notify (const char *text);

/* Tells the service manager that start-up is finished ("READY=1"). */
int sg_notify_ready (void);

/* Tells the service manager that a clean shutdown has begun ("STOPPING=1"). */
int sg_notify_stopping (void);

/* Tells the service manager to reload ("RELOADING=1"); call
 * sg_notify_ready again once the reload is done. */
int sg_notify_reloading (void);

/* Sets the one-line status shown by `systemctl status` ("STATUS=..."),
 * printf-style; newlines in the result are replaced by spaces. */
int sg_notify_status (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
