/* restore_int: the second half of a restore, for recovery that restores every snapshot first
 * and applies the logged tails afterwards (persist.c). */
#ifndef SC_ENGINE_RESTORE_INT_H
#define SC_ENGINE_RESTORE_INT_H

#include "session_core/engine.h"

/* Applies the event records logged after s's snapshot (a JSON array, may be NULL) to s (just
 * restored with sc_session_restore_json) and re-arms the timers of the state it ends in,
 * counted from the time it entered that state (what is left of them after the downtime). On error s has been removed (and freed) and the error is returned. */
int sc_engine__restore_tail(sc_engine *e, sc_session *s, const json_t *events);

#endif
