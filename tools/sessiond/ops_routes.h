/* ops_routes: sessiond's operations endpoints and triggers: GET /metrics (Prometheus or
 * OpenMetrics by Accept), /readyz and /healthz (answered on the HTTP thread from the health
 * model), GET /events (server-sent events, ops_sse.c), POST /table/reload, POST
 * /table/validate, GET /table with its live versions, POST /drain, SIGHUP and --watch reloads, the StatsD
 * push, the loop-lag probe and heartbeat, and the test hooks (SESSIOND_TEST_HOOKS=1). */
#ifndef SESSIOND_OPS_ROUTES_H
#define SESSIOND_OPS_ROUTES_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "http.h"
#include "session_core/coord.h"
#include "session_core/obs.h"

typedef struct sd_ops sd_ops;

typedef struct sd_ops_config {
    uv_loop_t *loop;             /* borrowed */
    sc_coord *api;               /* borrowed; outlives the ops until sd_ops_stop */
    const sc_logger *logger;     /* borrowed */
    const char *table_path;      /* the --table file (copied), NULL = built-in table */
    bool watch;                  /* reload when the table file changes */
    const char *statsd;          /* "HOST:PORT" or NULL */
    uint32_t statsd_interval_ms; /* 0 = 10000 */
    bool test_hooks;             /* POST /debug/... enabled */
    /* POST /drain: what the first SIGTERM does (drain, or hang up with --on-sigterm hangup);
     * returns the phase it leaves sessiond in ("draining", "shutting down"). */
    const char *(*drain)(void *ud);
    void *drain_ud;
} sd_ops_config;

/* Start the probes, SIGHUP handler, watcher and StatsD pusher. *out only on success;
 * negative errno (a bad --statsd address: -EINVAL). */
int sd_ops_start(sd_ops **out, const sd_ops_config *cfg);
/* Close every SSE stream (their HTTP threads return), unsubscribe, close the handles (the
 * memory goes once the loop has run their close callbacks). Call before sd_http_free. NULL ok. */
void sd_ops_stop(sd_ops *ops);

/* Loop thread: handles the ops paths of r and returns true, else false (not ours). */
bool sd_ops_handle(sd_ops *ops, sd_http_req *r);
/* HTTP thread (sd_http_direct): /readyz, /healthz (its details only when authorized), GET
 * /events. */
bool sd_ops_direct(void *ud, struct MHD_Connection *c, const char *url, const char *method, bool authorized, int *ret);

/* The health model (checks sip_sockets, table, store, recovery, loop): the persistence
 * integration sets "store" and "recovery" (both start ok with reason "memory store"). */
sc_obs_health *sd_ops_health(sd_ops *ops);

#endif
