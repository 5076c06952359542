/* store_prune: the persistence feature's periodic pruning of the event log: every interval,
 * a prune op (SC_PERSIST_OP_PRUNE, cutoff = now - retention) goes through the writer, so the
 * loop never waits for the store; while the store reports more due, the next one follows at
 * once. Removed events are counted in sessioncore_store_events_pruned_total. Loop thread only. */
#ifndef SC_COORD_STORE_PRUNE_H
#define SC_COORD_STORE_PRUNE_H

#include <stdint.h>

#include "session_core/persist.h"

struct sc_coord;
typedef struct sc_coord_prune sc_coord_prune;

/* Events removed per prune op (one short transaction each: 1,000 take ~12 ms on Redis, whose
 * server does nothing else meanwhile; 250 keep every op to a few ms on every backend). */
#define SC_COORD_PRUNE_BATCH 250u
/* The default period between prune rounds. */
#define SC_COORD_PRUNE_INTERVAL_MS 60000u

/* Starts the job on coord's loop for writer w (borrowed; it must outlive the job until
 * sc_coord__prune_stop). retention_ms 0: no job (*out NULL, returns 0). interval_ms 0 = the
 * default. 0 or -ENOMEM. */
int sc_coord__prune_start(sc_coord_prune **out, struct sc_coord *coord, sc_persist_writer *w, uint64_t retention_ms,
                          unsigned interval_ms);
/* Stops the timer; the job is freed by its close callback (counted in coord->closing_handles).
 * Call before the writer is freed. NULL is fine. */
void sc_coord__prune_stop(sc_coord_prune *pr);

#endif
