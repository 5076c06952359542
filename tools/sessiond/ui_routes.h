/* ui_routes: the web inspector's files (web/, embedded at build time) at GET /ui and /ui/...,
 * answered on the HTTP thread: Content-Type by extension, ETag and If-None-Match (304),
 * Cache-Control: no-cache, and a Content-Security-Policy that allows scripts, styles and
 * requests to this origin only (no inline script, no frames). */
#ifndef SESSIOND_UI_ROUTES_H
#define SESSIOND_UI_ROUTES_H

#include <stdbool.h>

struct MHD_Connection;

/* url is /ui or under /ui/. */
bool sd_ui_path(const char *url);
/* A GET or HEAD of the inspector's files: the screen (http.c) asks no token for them, since a
 * browser cannot send one when it opens a page; the files hold no data (every piece of data
 * the page shows comes from the API, with the token). Host and Origin are checked as for any
 * request. */
bool sd_ui_public(const char *url, const char *method);
/* Answer a request under /ui (the file, 304, 404 or 405) and return true with *ret set to
 * the MHD result; false (nothing done) for any other path. */
bool sd_ui_handle(struct MHD_Connection *c, const char *url, const char *method, int *ret);

#endif
