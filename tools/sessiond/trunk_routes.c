/* trunk_routes: GET /trunks (each trunk's registration), GET /trunks/{name}, POST /calls
 * through a trunk, and the trunks' checks and details in /healthz. */
#include "trunk_routes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool sd_trunk_routes_handle(sc_coord *api, sd_http_req *r)
{
    const char *p = r->path;
    if (strcmp(p, "/trunks") != 0 && strcmp(p, "/trunks/") != 0 && strncmp(p, "/trunks/", 8) != 0)
        return false;
    if (strcmp(r->method, "GET") != 0) {
        sd_http_reply_error(r, 405, "use GET");
        return true;
    }
    json_t *j = NULL;
    const char *name = p[7] == '/' && p[8] ? p + 8 : NULL;
    int rc = name ? sc_coord_trunk(api, name, &j) : sc_coord_trunks(api, &j);
    if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no such trunk");
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    else
        sd_http_reply_json(r, 200, j);
    return true;
}

void sd_trunk_post_call(sc_coord *api, sd_http_req *r, const sd_call_body *c)
{
    char id[SC_SESSION_ID_MAX + 1] = "";
    sc_coord_call_opts o = {.trunk = c->trunk};
    int rc = sc_coord_make_call_opts(api, c->to, c->from, &o, id, sizeof id);
    if (rc == 0)
        sd_http_reply_json(r, 201, json_pack("{s:s,s:s}", "id", id, "trunk", o.trunk));
    else if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no such trunk");
    else if (rc == -EINVAL)
        sd_http_reply_error(r, 400, "\"to\" or \"from\" is not usable");
    else if (rc == SC_E_OVERLOAD)
        sd_http_reply_error(r, 503, "overloaded or shutting down");
    else if (rc == SC_E_NOT_ACCEPTED || rc == SC_E_GUARDS_FAILED || rc == SC_E_ACTION_FAILED)
        sd_http_reply_json(r, 409, json_pack("{s:s,s:s}", "error", sc_strerror(rc), "id", id));
    else
        sd_http_reply_error(r, 500, sc_strerror(rc));
}

void sd_trunk_health(sc_coord *api, sc_obs_health *h)
{
    json_t *a = NULL;
    if (!h || sc_coord_trunks(api, &a) != 0)
        return;
    size_t i, registering = 0, registered = 0, n = 0;
    char reason[256] = "";
    json_t *t;
    json_array_foreach(a, i, t) {
        if (!json_is_true(json_object_get(t, "register")))
            continue;
        registering++;
        const char *state = json_string_value(json_object_get(t, "state"));
        if (state && !strcmp(state, "registered")) {
            registered++;
            continue;
        }
        const char *outcome = json_string_value(json_object_get(t, "last_outcome"));
        char last[64] = ""; /* "(auth_failed 401)", or nothing before the first outcome */
        if (outcome && *outcome)
            snprintf(last, sizeof last, " (%s %" JSON_INTEGER_FORMAT ")", outcome,
                     json_integer_value(json_object_get(t, "last_status")));
        int w = snprintf(reason + n, sizeof reason - n, "%s%s: %s%s", n ? "; " : "",
                         json_string_value(json_object_get(t, "name")), state ? state : "?", last);
        n = w > 0 && (size_t)w < sizeof reason - n ? n + (size_t)w : sizeof reason - 1;
    }
    if (registering) { /* one check for them all: never gates readiness */
        if (registered == registering)
            snprintf(reason, sizeof reason, "%zu/%zu registered", registered, registering);
        sc_obs_health_add_check(h, "trunks", false); /* -EEXIST after the first time */
        sc_obs_health_set(h, "trunks", registered == registering, reason);
    }
    sc_obs_health_set_detail(h, "trunks", (double)json_array_size(a));
    sc_obs_health_set_detail(h, "trunks_registered", (double)registered);
    json_decref(a);
}
