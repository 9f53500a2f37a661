/* listen.c - listen address and TLS files of the adapters' HTTP listeners. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole (small) PEM file into a new string. */
static char *
s_slurp (const char *path, sg_diag_t *diag)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        sg_diag_set (diag, SG_EIO, 0, 0, "%s: %s", path, strerror (errno));
        return NULL;
    }
    char *buf = malloc (1024 * 1024 + 1);
    size_t n = buf ? fread (buf, 1, 1024 * 1024, f) : 0;
    int big = buf && n == 1024 * 1024 && fgetc (f) != EOF;
    fclose (f);
    if (!buf || big || n == 0) {
        sg_diag_set (diag, SG_EIO, 0, 0, "%s: %s", path, !buf ? "out of memory"
                     : big ? "larger than 1 MiB" : "empty");
        free (buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

int
listen_prepare (listen_t *l, const char *key, const char *spec, const char *cert_path,
                const char *key_path, sg_diag_t *diag)
{
    memset (l, 0, sizeof *l);
    char host[80] = "";
    const char *colon = strrchr (spec, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul (colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t) (colon - spec) : 0;
    int ok = colon && end && !*end && colon[1] && port <= 65535 && hl < sizeof host;
    if (ok) {
        memcpy (host, spec, hl);
        host[hl] = 0;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *) &l->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &l->addr;
    if (ok && host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons ((uint16_t) port);
        ok = inet_pton (AF_INET6, host + 1, &v6->sin6_addr) == 1;
        /* [::] takes IPv4 clients too (dual stack). */
        l->flags = IN6_IS_ADDR_UNSPECIFIED (&v6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    }
    else if (ok) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons ((uint16_t) port);
        if (!strcmp (host, "*") || !host[0])
            v4->sin_addr.s_addr = htonl (INADDR_ANY);
        else
            ok = inet_pton (AF_INET, host, &v4->sin_addr) == 1;
    }
    if (!ok)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s \"%s\": expected ADDRESS:PORT with an "
                            "IPv4 address (127.0.0.1:8780), an IPv6 address in brackets "
                            "([::1]:8780) or * (*:8780)", key, spec);
    l->port = (unsigned) port;
    int has_cert = cert_path && *cert_path, has_key = key_path && *key_path;
    if (has_cert != has_key)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: a TLS certificate needs its key and a "
                            "key its certificate: set both or neither", key);
    if (has_cert) {
        if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES)
            return sg_diag_set (diag, SG_ECONFIG, 0, 0, "%s: this libmicrohttpd was built "
                                "without TLS", key);
        sg_diag_t d;
        if (!(l->cert = s_slurp (cert_path, &d)) || !(l->key = s_slurp (key_path, &d))) {
            listen_free (l);
            return sg_diag_set (diag, SG_EIO, 0, 0, "%s: TLS file %s", key, d.text);
        }
        l->flags |= MHD_USE_TLS;
    }
    snprintf (l->url, sizeof l->url, "%s://%s", has_cert ? "https" : "http", spec);
    return SG_OK;
}

void
listen_free (listen_t *l)
{
    if (l->key)
        OPENSSL_cleanse (l->key, strlen (l->key));
    free (l->key);
    free (l->cert);
    l->key = l->cert = NULL;
}
