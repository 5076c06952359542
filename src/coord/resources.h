/* resources: per-session resource usage (memory, history, engine timers, RTP sockets)
 * for inspection, and the totals over every session for /healthz. Loop thread only. */
#ifndef SC_COORD_RESOURCES_H
#define SC_COORD_RESOURCES_H

#include <jansson.h>

#include "coord/coord_int.h"

/* Replace the "resources" object of an inspection (out, from sc_store_inspect) with the
 * session's full usage: bytes (record + strings + history ring + queued events + the SIP leg
 * attachment), record_bytes, attachment_bytes, history_entries, history_capacity, timers
 * (armed engine timers) and sockets (2 while an RTP/RTCP stream is open, else 0). */
void sc_coord__resources_inspect(sc_coord *api, const sc_session *s, json_t *out);

#endif
