/* registrar_routes: GET /registrations, the registrar's bindings as JSON: one object per
 * address of record with its contacts (expires left, q, instance, source, user agent). */
#include "registrar_routes.h"

#include <errno.h>
#include <string.h>

json_t *sd_call_failure_reason(sc_coord *api, const char *id)
{
    json_t *h = NULL, *reason = NULL;
    if (sc_coord_history(api, id, &h) != 0)
        return NULL;
    size_t i, j;
    json_t *rec, *act;
    json_array_foreach(h, i, rec) {
        json_array_foreach(json_object_get(rec, "actions"), j, act) {
            json_int_t rc = json_integer_value(json_object_get(act, "result"));
            if (rc < 0 && !reason)
                reason = json_sprintf("%s: %s", json_string_value(json_object_get(act, "name")), sc_strerror((int)rc));
        }
    }
    json_decref(h);
    return reason;
}

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
