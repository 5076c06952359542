/* registrar_routes: the HTTP side of the registrar: GET /registrations. */
#ifndef SESSIOND_REGISTRAR_ROUTES_H
#define SESSIOND_REGISTRAR_ROUTES_H

#include "http.h"
#include "session_core/coord.h"

/* GET /registrations: 200 with the bindings (sc_coord_registrations), 404 when the registrar
 * is off, 405 for another method. */
void sd_registrar_route(sc_coord *api, sd_http_req *r);
/* /users (GET: the users without secrets; POST {"user", "password"} or {"user", "ha1",
 * "ha1_sha256"}: add or replace a stored user) and POST /users/{name}/delete. False when the
 * path is not theirs. */
bool sd_users_route(sc_coord *api, sd_http_req *r);
/* Why the new call id failed at once: the error of the first failed action in its history
 * ("the called user has no registered contact (480)"), as a new JSON string, or NULL. */
json_t *sd_call_failure_reason(sc_coord *api, const char *id);

#endif
