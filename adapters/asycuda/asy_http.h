/* asy_http.h - the officer callback API over HTTP (libmicrohttpd, one
 * internal thread, Bearer token, JSON in and out with jansson), described
 * in adapters/asycuda/openapi.yaml. */
#ifndef ASY_HTTP_H_INCLUDED
#define ASY_HTTP_H_INCLUDED

#include "asy_conf.h"
#include "asy_offices.h"
#include "sg.h"

typedef struct asy_http_t asy_http_t;

/* Reads the token file, opens its own state connection and listens on
 * conf->http_listen ("host:port"). Returns the server, or NULL with the
 * reason in diag. Stop it with asy_http_stop. */
asy_http_t *asy_http_start (const asy_conf_t *conf, const asy_offices_t *tables, sg_diag_t *diag);

/* Stops the server (NULL is fine) and clears the caller's pointer. */
void asy_http_stop (asy_http_t **self_p);

#endif
