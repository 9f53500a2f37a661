/* screen.h - serving the officer screen (adapters/screen/, embedded as
 * screen_assets) on an adapter's libmicrohttpd listener: "/" and
 * "/screen/NAME", static files, no token (the page asks the officer for
 * it and sends it with each API call). */
#ifndef SG_SCREEN_H_INCLUDED
#define SG_SCREEN_H_INCLUDED

#include <microhttpd.h>

#include "screen_assets.h"

/* The screen file url names ("/", "/screen/", "/screen/app.js"...), or
 * NULL. */
const screen_asset_t *screen_find (const char *url);

/* Queues the file with its type and the screen's security headers. */
enum MHD_Result screen_reply (struct MHD_Connection *c, const screen_asset_t *a);

#endif
