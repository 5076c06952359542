/* conference_routes: the HTTP side of conference rooms: GET /conferences (every room and its
 * participants), GET /conferences/{room}, and POST /sessions/{id}/conference/mute. */
#ifndef SESSIOND_CONFERENCE_ROUTES_H
#define SESSIOND_CONFERENCE_ROUTES_H

#include <jansson.h>
#include <stdbool.h>

#include "http.h"
#include "session_core/coord.h"

/* True when the request was one of ours (the reply is set): GET /conferences 200 [rooms];
 * GET /conferences/{room} 200 or 404; POST /sessions/{id}/conference/mute {"mute": bool}
 * (no body or no "mute": true) 200 {"id","room","muted"}, 400 (bad body), 404 (no such
 * session), 409 (the session is in no room). Another method on the mute path is not ours:
 * routes.c answers it as it answers its own session paths. */
bool sd_conference_routes_handle(sc_coord *api, sd_http_req *r);

#endif
