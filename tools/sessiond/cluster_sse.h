/* cluster_sse: GET /events/cluster, the store's event log (the records every node on the
 * store writes) as server-sent events with the store's global sequence (gseq) as ids. One
 * reader thread per sessiond, with its own store handle, polls the log and fans the records
 * out to the connected clients' bounded buffers; the HTTP threads stream from them. Nothing
 * of it runs on the loop but the metrics' collector. */
#ifndef SESSIOND_CLUSTER_SSE_H
#define SESSIOND_CLUSTER_SSE_H

#include "config.h"
#include "http.h"
#include "session_core/obs.h"

typedef struct sd_csse sd_csse;

/* Loop thread, at start: the stream of cfg's store (off, answering 404, with durability none
 * or a memory: store); its metrics go into reg (may be NULL). 0 or -ENOMEM / a thread error. */
int sd_csse_new(sd_csse **out, const sd_config *cfg, sc_obs_registry *reg, const sc_logger *logger);
/* Put GET /events/cluster in front of the direct handler *direct (*ud): other paths go on to
 * it. Call before sd_http_new with the handler it would have used. */
void sd_csse_chain(sd_csse *s, sd_http_direct *direct, void **ud);
/* Loop thread, before the HTTP server stops: end every stream (the client can resume with
 * Last-Event-ID), stop the reader, remove the metrics' collector; later requests get 503.
 * NULL ok. */
void sd_csse_stop(sd_csse *s);
/* After the HTTP server is freed. NULL ok. */
void sd_csse_free(sd_csse *s);

#endif
