/* registrar_routes: GET /registrations, the registrar's bindings as JSON: one object per
 * address of record with its contacts (expires left, q, instance, source, user agent). */
#include "registrar_routes.h"

#include <errno.h>
#include <string.h>

void sd_registrar_route(sc_coord *api, sd_http_req *r)
{
    if (strcmp(r->method, "GET") != 0) {
        sd_http_reply_error(r, 405, "use GET /registrations");
        return;
    }
    json_t *j = NULL;
    int rc = sc_coord_registrations(api, &j);
    if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no registrar: start sessiond with --realm and --users");
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    else
        sd_http_reply_json(r, 200, j);
}
