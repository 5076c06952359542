/* routes: the HTTP API's endpoints, run on the loop thread against the coordinator. */
#ifndef SESSIOND_ROUTES_H
#define SESSIOND_ROUTES_H

#include "http.h"
#include "session_core/coord.h"

typedef struct sd_routes {
    sc_coord *api;
    const sc_logger *logger;
    struct sd_ops *ops; /* operations routes (ops_routes.c), may be NULL */
} sd_routes;

/* The sd_http_handler: ud is a sd_routes. */
void sd_routes_handle(void *ud, sd_http_req *req);

#endif
