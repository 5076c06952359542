/* ui_assets: the files of web/ compiled into sessiond (generated at build time by
 * embed_web.cmake), served by ui_routes.c at /ui. */
#ifndef SESSIOND_UI_ASSETS_H
#define SESSIOND_UI_ASSETS_H

#include <stddef.h>

typedef struct sd_ui_asset {
    const char *path;          /* under web/, e.g. "index.html", "vendor/dagre/dagre.esm.js" */
    const unsigned char *data; /* its bytes (NUL-terminated, the NUL not counted) */
    size_t len;                /* bytes */
    const char *etag;          /* "\"<16 hex digits of its SHA-256>\"" */
} sd_ui_asset;

extern const sd_ui_asset sd_ui_assets[]; /* sorted by path */
extern const size_t sd_ui_nassets;

#endif
