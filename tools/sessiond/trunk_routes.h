/* trunk_routes: the HTTP side of trunks: GET /trunks, GET /trunks/{name}, POST /calls with a
 * "trunk", and the trunks' part of /healthz (a check that does not gate readiness). */
#ifndef SESSIOND_TRUNK_ROUTES_H
#define SESSIOND_TRUNK_ROUTES_H

#include <jansson.h>
#include <stdbool.h>

#include "bodies.h"
#include "http.h"
#include "session_core/coord.h"
#include "session_core/obs.h"

/* GET /trunks and /trunks/{name}: true when the path was ours (the reply is set). */
bool sd_trunk_routes_handle(sc_coord *api, sd_http_req *r);
/* POST /calls whose body (c, parsed by sd_call_body_parse) names a "trunk": 201 {"id"}, 400,
 * 404 (no such trunk), 409, 503. */
void sd_trunk_post_call(sc_coord *api, sd_http_req *r, const sd_call_body *c);
/* /healthz: details trunks and trunks_registered, and one check "trunks" when a trunk registers
 * (ok while every registering trunk is registered, else naming those that are not; never gates
 * readiness). Loop thread. */
void sd_trunk_health(sc_coord *api, sc_obs_health *h);

#endif
