/* screen_assets.h - the officer screen's files (adapters/screen/) compiled
 * into the adapters by deploy/embed.sh -n screen, so an adapter
 * serves its screen with nothing installed beside it. */
#ifndef SG_SCREEN_ASSETS_H_INCLUDED
#define SG_SCREEN_ASSETS_H_INCLUDED

#include <stddef.h>

typedef struct {
    const char *name;               /* file name, e.g. "app.js" */
    const unsigned char *data;
    size_t len;
} screen_asset_t;

extern const screen_asset_t screen_assets[];
extern const size_t screen_assets_n;

#endif
