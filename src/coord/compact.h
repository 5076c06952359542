/* compact: ended sessions shrink to a compact record (docs/architecture.md, "Ended sessions
 * cost almost nothing"); their released history is read back from the store. */
#ifndef SC_COORD_COMPACT_H
#define SC_COORD_COMPACT_H

#include "coord/coord_int.h"

/* s entered a terminal state: compact it once its records are durable. */
void sc_coord__compact_note(sc_coord *c, const sc_session *s);
/* Before each poll: compact the noted sessions whose records are durable. Returns true when
 * some wait still (the caller wakes the loop again soon). */
bool sc_coord__compact_run(sc_coord *c);
/* The transitions a compacted session took (its released history read back), oldest first,
 * at most cap; how many were written. */
size_t sc_coord__history_path(sc_coord *c, const sc_session *s, uint32_t *out, size_t cap);
/* Frees the queue (sc_coord_free). */
void sc_coord__compact_free(sc_coord *c);

/* store.c: the persistence feature's synchronous handle when its backend is durable (not
 * "memory"), else NULL. Loop thread only. */
struct sc_persist *sc_coord__store_reader(sc_coord *c);

#endif
