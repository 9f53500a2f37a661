/* listen.h - what the adapters' HTTP listeners share before libmicrohttpd
 * starts: the listen address (IPv4, [IPv6] or *), the TLS certificate and
 * key, and the MHD flags and options they imply. */
#ifndef SG_LISTEN_H_INCLUDED
#define SG_LISTEN_H_INCLUDED

#include <sys/socket.h>

#include "sg.h"

typedef struct {
    struct sockaddr_storage addr;   /* where to bind */
    unsigned port;
    unsigned flags;                 /* MHD_USE_IPv6 / MHD_USE_DUAL_STACK / MHD_USE_TLS */
    char *cert, *key;               /* PEM text, NULL for plain HTTP */
    char url[160];                  /* "https://[::1]:8780" for logs */
} listen_t;

/* Parses spec ("127.0.0.1:8780", "[::1]:8780", "[::]:8780", "*:8780")
 * and reads the PEM files cert_path and key_path (both empty: plain
 * HTTP; one without the other is an error). key names the config key
 * for the messages. SG_OK or SG_ECONFIG/SG_EIO (diag says why); free
 * what it holds with listen_free. */
int listen_prepare (listen_t *l, const char *key, const char *spec, const char *cert_path,
                    const char *key_path, sg_diag_t *diag);

/* Frees the PEM texts (wiping the key). */
void listen_free (listen_t *l);

#endif
