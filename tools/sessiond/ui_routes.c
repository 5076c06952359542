/* ui_routes: serves the web inspector's embedded files (ui_assets.h) at /ui on the HTTP
 * thread, with their type, ETag, revalidation and a strict Content-Security-Policy. */
#include "ui_routes.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_assets.h"

/* Scripts, styles, images and requests from this origin only; no inline script or style
 * element, no plugin, no frame around the page, no form posting anywhere. */
#define UI_CSP                                                                                            \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

bool sd_ui_path(const char *url) { return !strcmp(url, "/ui") || !strncmp(url, "/ui/", 4); }

bool sd_ui_public(const char *url, const char *method)
{
    return sd_ui_path(url) && (!strcmp(method, "GET") || !strcmp(method, "HEAD"));
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {"LICENSE", "text/plain; charset=utf-8"},
    };
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t k = strlen(types[i].ext);
        if (n >= k && !strcmp(path + n - k, types[i].ext))
            return types[i].type;
    }
    return "application/octet-stream";
}

static const sd_ui_asset *find(const char *path)
{
    size_t lo = 0, hi = sd_ui_nassets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(path, sd_ui_assets[mid].path);
        if (!c)
            return &sd_ui_assets[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", UI_CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
}

static int queue(struct MHD_Connection *c, unsigned status, const sd_ui_asset *a, const char *error)
{
    struct MHD_Response *r;
    if (error)
        r = MHD_create_response_from_buffer(strlen(error), (void *)error, MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer(status == 200 ? a->len : 0, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    common_headers(r);
    if (error) {
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        if (status == 405)
            MHD_add_response_header(r, "Allow", "GET, HEAD");
    } else {
        if (status == 200)
            MHD_add_response_header(r, "Content-Type", content_type(a->path));
        MHD_add_response_header(r, "ETag", a->etag);
        /* always revalidated: a new sessiond may serve other bytes under the same path */
        MHD_add_response_header(r, "Cache-Control", "no-cache");
    }
    int ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* If-None-Match names the asset's ETag (a list, or "*"). */
static bool not_modified(struct MHD_Connection *c, const sd_ui_asset *a)
{
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (!inm)
        return false;
    if (!strcmp(inm, "*"))
        return true;
    const char *p = strstr(inm, a->etag);
    return p != NULL;
}

bool sd_ui_handle(struct MHD_Connection *c, const char *url, const char *method, int *ret)
{
    if (!sd_ui_path(url))
        return false;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        *ret = queue(c, 405, NULL, "{\"error\":\"use GET\"}\n");
        return true;
    }
    const char *rel = url[3] ? url + 4 : ""; /* after "/ui/" */
    const sd_ui_asset *a = find(*rel ? rel : "index.html");
    if (!a || strstr(rel, "..")) {
        *ret = queue(c, 404, NULL, "{\"error\":\"no such resource\"}\n");
        return true;
    }
    *ret = queue(c, not_modified(c, a) ? 304 : 200, a, NULL);
    return true;
}
