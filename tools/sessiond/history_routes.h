/* history_routes: a session's history (GET /sessions/{id}/history, JSON or CSV) and its path
 * in the graph (GET /table?session=), whose store part is read off the loop. */
#ifndef SESSIOND_HISTORY_ROUTES_H
#define SESSIOND_HISTORY_ROUTES_H

#include "http.h"
#include "session_core/coord.h"

/* Loop thread: GET /sessions/{id}/history (r->q_format: NULL, "json" or "csv"). */
void sd_history_get(sc_coord *api, sd_http_req *r, const char *id);
/* Loop thread: GET /table?session=ID as fmt. */
void sd_history_graph(sc_coord *api, sd_http_req *r, sc_graph_format fmt);

#endif
