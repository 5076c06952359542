/* events: the bridge from the engine's observers to the event bus (events.h): every
 * session's creation, state change, failed event, end and reaping, the table's `publish`
 * names (CallEstablished, CallHeld/CallResumed as HoldStarted/HoldEnded, others as App events)
 * and table reloads become typed events with a global sequence number; it also reaps idle
 * subscribers on a loop timer and exports the bus's counters as metrics. */
#ifndef SC_COORD_EVENTS_H
#define SC_COORD_EVENTS_H

#include "coord/coord_int.h"

typedef struct sc_coord_events sc_coord_events;

/* Create the bus (ring cfg->events_ring, idle limit cfg->events_idle_ms), add the engine
 * observer and the reaping timer. 0 or a negative error (what was made is freed by
 * sc_coord__events_free). */
int sc_coord__events_new(sc_coord *api, const sc_coord_config *cfg);
/* Free the bus (subscriptions still open become invalid) and close the timer (counted in
 * api->closing_handles until libuv has closed it). Idempotent. */
void sc_coord__events_free(sc_coord *api);
/* Publish TableReloaded (version = "v<counter>" or the refused file's name; error = first
 * error line or ""). */
void sc_coord__events_table_reloaded(sc_coord *api, bool ok, const char *version, const char *error);

#endif
