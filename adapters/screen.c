/* screen.c - the officer screen's files over HTTP, for both adapters. */
#include "screen.h"

#include <string.h>

const screen_asset_t *
screen_find (const char *url)
{
    const char *name = !strcmp (url, "/") || !strcmp (url, "/screen/") ? "index.html"
                       : !strncmp (url, "/screen/", 8) ? url + 8 : "";
    for (size_t i = 0; i < screen_assets_n; i++)
        if (strcmp (screen_assets[i].name, name) == 0)
            return &screen_assets[i];
    return NULL;
}

enum MHD_Result
screen_reply (struct MHD_Connection *c, const screen_asset_t *a)
{
    const char *dot = strrchr (a->name, '.');
    const char *type = !strcmp (dot, ".html") ? "text/html; charset=utf-8"
                       : !strcmp (dot, ".js") ? "text/javascript; charset=utf-8"
                       : "text/css; charset=utf-8";
    struct MHD_Response *r = MHD_create_response_from_buffer (a->len, (void *) a->data,
                                                              MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header (r, "Content-Type", type);
    MHD_add_response_header (r, "Cache-Control", "no-store");
    MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (r, "Content-Security-Policy", "default-src 'self'; "
                             "img-src 'self' data:; frame-ancestors 'none'");
    MHD_add_response_header (r, "X-Frame-Options", "DENY");
    enum MHD_Result ret = MHD_queue_response (c, 200, r);
    MHD_destroy_response (r);
    return ret;
}
