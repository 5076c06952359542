/* ops_sse: GET /events as server-sent events. The HTTP thread parses the filter and streams
 * from a per-connection buffer (mutex + condition variable); the loop subscribes to the bus,
 * drains the subscription's queue into that buffer every few ms, and closes the stream when
 * the bus reaps the subscription. The HTTP thread never touches the bus. */
#ifndef SESSIOND_OPS_SSE_H
#define SESSIOND_OPS_SSE_H

#include <stdbool.h>
#include <uv.h>

#include "session_core/coord.h"

struct MHD_Connection;
typedef struct sd_sse sd_sse;

int sd_sse_new(sd_sse **out, uv_loop_t *loop, sc_coord *api, const sc_logger *logger);
/* HTTP thread: answer GET /events on c (*ret = MHD result). */
bool sd_sse_start(sd_sse *s, struct MHD_Connection *c, int *ret);
/* Loop thread: end every stream, unsubscribe, close the handles (freed in their callbacks). */
void sd_sse_free(sd_sse *s);

#endif
