/* monitor_assets.h - the dashboard files (broker/monitor/dashboard/) compiled into
 * the library by deploy/embed.sh, so a node serves its dashboard
 * with nothing installed beside it. */
#ifndef SG_MONITOR_ASSETS_H_INCLUDED
#define SG_MONITOR_ASSETS_H_INCLUDED

#include <stddef.h>

typedef struct {
    const char *name;               /* file name, e.g. "app.js" */
    const unsigned char *data;
    size_t len;
} monitor_asset_t;

extern const monitor_asset_t monitor_assets[];
extern const size_t monitor_assets_n;

#endif
