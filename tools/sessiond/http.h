/* http: sessiond's HTTP server (libmicrohttpd on its own threads). The HTTP threads never
 * touch session state: each request is queued to the loop (mutex + uv_async_send), the loop's
 * handler fills the response, and the HTTP thread waits for it with a timeout (503). */
#ifndef SESSIOND_HTTP_H
#define SESSIOND_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "session_core/base.h"
#include "http_conns.h"

typedef struct sd_http sd_http;

typedef struct sd_http_req {
    /* request (read-only for the handler) */
    char method[8];                                      /* GET, POST, ... */
    char *path;                                          /* URL path without the query */
    char *q_format;                                      /* ?format= (NULL if absent) */
    char *q_session;                                     /* ?session= */
    char *q_ms;                                          /* ?ms= (ops test hooks) */
    char *q_state, *q_role, *q_live, *q_limit, *q_after; /* GET /sessions filters and cursor */
    char *h_accept;                                      /* Accept header (GET /metrics) */
    char *body;                                          /* NUL-terminated, may be empty */
    size_t body_len;
    /* response (the handler fills it; resp is malloc'd and taken by the server) */
    int status;
    char *resp;
    const char *content_type; /* static string */
    char *resp_link;          /* a Link header (RFC 8288: the next page), malloc'd, or NULL */
    /* An answer finished off the loop (history_routes.c: a history the store holds): the
     * handler sets finish and finish_ud instead of a response; the HTTP thread then calls
     * finish (it takes finish_ud and fills the response; timeout_ms: --http-timeout-ms).
     * finish_drop frees finish_ud when finish never runs (the request was abandoned). */
    void (*finish)(struct sd_http_req *req, void *ud, uint32_t timeout_ms);
    void *finish_ud;
    void (*finish_drop)(void *ud);
} sd_http_req;

/* Runs on the loop thread. */
typedef void (*sd_http_handler)(void *ud, sd_http_req *req);
/* Runs on the HTTP thread before a request is queued to the loop (ops_routes.c: /readyz,
 * /healthz, the SSE stream): returns true when it answered (*ret = the MHD result).
 * authorized: the request carries the token, or none is configured (/healthz details). */
struct MHD_Connection;
typedef bool (*sd_http_direct)(void *ud, struct MHD_Connection *c, const char *url, const char *method, bool authorized,
                               int *ret);

typedef struct sd_http_config {
    uv_loop_t *loop;
    const char *addr;         /* "127.0.0.1:8080" or "[::1]:8080", as configured (Host names) */
    int listen_fd;            /* from sd_http_listen; the server's from sd_http_new on */
    const char *token;        /* bearer token required on every endpoint but the probes; NULL = none */
    bool metrics_public;      /* GET /metrics without the token too */
    const char *const *hosts; /* --http-host names the server also answers to (Host, Origin) */
    size_t nhosts;
    sd_http_limits limits; /* connections, streams, read deadline (http_conns.h); 0 = defaults */
    uint32_t timeout_ms;   /* wait for the loop */
    size_t queue_max;      /* pending requests; above it 503 */
    sd_http_handler handler;
    void *ud;
    sd_http_direct direct; /* may be NULL */
    void *direct_ud;
    /* A cluster (cluster_setup.c), on the HTTP thread; may be NULL. redirect: after the loop
     * answered 404 for a path under /sessions/, true with the Location of the node that owns
     * the session (answered 307: the client repeats the same method and body there).
     * nodes: GET /cluster's body (a new reference, NULL: 503). */
    bool (*redirect)(void *ud, const char *path, const char *query, char *location, size_t cap);
    struct json_t *(*nodes)(void *ud);
    void *cluster_ud;
    const sc_logger *logger;
} sd_http_config;

/* For handlers (loop thread): the response is body (a reference that this takes; NULL when
 * it could not be built) as compact JSON and a newline, with status; when there is no body
 * or it cannot be dumped, 500 and {"error":"out of memory"}. */
#define SD_HTTP_CT_JSON "application/json"
void sd_http_reply_json(sd_http_req *req, int status, json_t *body);
/* {"error": msg} with status. */
void sd_http_reply_error(sd_http_req *req, int status, const char *msg);

/* Bind and listen on addr (the first address it resolves to), exclusively: a second process
 * on the same address gets -EADDRINUSE. require_loopback (no token): -EPERM unless the address
 * is loopback; -EADDRNOTAVAIL when addr does not resolve; else 0 and *fd. Done first thing at
 * start, so a second sessiond fails before it touches its store or SIP. */
int sd_http_listen(const char *addr, bool require_loopback, int *fd);
/* Serve on cfg->listen_fd, which is the server's from this call on, failed or not; *out only
 * on success; negative errno. */
int sd_http_new(sd_http **out, const sd_http_config *cfg);
/* Called from a loop timer: the liveness timestamp /livez reads. */
void sd_http_heartbeat(sd_http *h);
/* Stop the threads, answer anything pending with 503, close the async handle (the loop must
 * run afterwards for it to close; the memory is freed in its close callback). NULL ok. */
void sd_http_free(sd_http *h);

#endif
