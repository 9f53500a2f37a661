/* screen.c - the officer screen's files over HTTP, for both adapters (the
 * security headers are lib/http.c's). */
#include "screen.h"
#include "http.h"

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
    return sg_http_reply_static (c, 200, sg_http_mime (a->name), a->data, a->len, NULL);
}
