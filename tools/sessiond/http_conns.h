/* http_conns: the HTTP API's connections, counted so that no client can take the server:
 * each connection is idle (waiting for a request's headers), reading a body, running, or an
 * event stream. A new connection past --http-max-per-client (for its address) or
 * --http-max-connections (in all) makes room by closing the oldest idle one; a request that
 * still finds the server over a limit gets 503, the probes never; event streams have their own
 * limit (--http-max-streams). A sweeper thread closes connections whose headers, or whose
 * body, took longer than --http-read-timeout-ms (slow clients), so idle sockets cannot hold
 * the threads. All calls come from libmicrohttpd's threads; the table has its own lock. */
#ifndef SESSIOND_HTTP_CONNS_H
#define SESSIOND_HTTP_CONNS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "session_core/base.h"

typedef struct sd_http_limits {
    unsigned max_connections; /* requests and idle connections, streams apart; 0 = 256 */
    unsigned max_per_client;  /* the same from one client address; 0 = 64 */
    unsigned max_streams;     /* GET /events at once; 0 = 64 */
    uint32_t read_timeout_ms; /* headers, then body, each within this; 0 = 10000 */
} sd_http_limits;

#define SD_HTTP_PROBE_RESERVE 16 /* connections kept beyond the limits for the probes */

typedef struct sd_conns sd_conns;

/* The table and its sweeper thread; lim's zeros become the defaults (written back). */
int sd_conns_new(sd_conns **out, sd_http_limits *lim, const sc_logger *logger);
/* Stops the sweeper; call after the server stopped (no connection left). NULL ok. */
void sd_conns_free(sd_conns *t);
/* The connection limit to give libmicrohttpd: every limit plus the probes' reserve. */
unsigned sd_conns_hard_limit(const sd_http_limits *lim);

/* MHD_OPTION_NOTIFY_CONNECTION: a connection starts (room is made) or closes. */
void sd_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);
/* A request's headers are in (it reads its body now): NULL to go on, or why it gets 503
 * (a probe never does). */
const char *sd_conns_request(sd_conns *t, struct MHD_Connection *c, bool probe);
/* The request, which passed every other check, opens an event stream: NULL (a stream from
 * now on, counted apart), or why it gets 503 (--http-max-streams). */
const char *sd_conns_stream(sd_conns *t, struct MHD_Connection *c);
/* The body is in (the request runs now). */
void sd_conns_body_done(sd_conns *t, struct MHD_Connection *c);
/* The answer is sent: idle again (keep-alive), its headers deadline starts. */
void sd_conns_completed(sd_conns *t, struct MHD_Connection *c);

#endif
