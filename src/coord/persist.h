/* persist: the recorder (an engine observer that writes every session's event records
 * and snapshots through a sc_persist_writer) and crash recovery from a store. */
#ifndef SC_COORD_PERSIST_H
#define SC_COORD_PERSIST_H

#include "session_core/engine.h"
#include "session_core/persist.h"

typedef struct sc_coord_persist sc_coord_persist;

typedef struct sc_coord_persist_stats {
    uint64_t events;    /* event records submitted (creation records included) */
    uint64_t snapshots; /* snapshots submitted */
    uint64_t deletes;   /* snapshot deletions submitted (sessions removed) */
    uint64_t rejected;  /* submits refused by the writer (-EAGAIN: queue full) */
    uint64_t errors;    /* records that could not be built (-ENOMEM) or other submit errors */
    uint64_t tables;    /* table versions whose text was submitted (sc_persist_save_table) */
} sc_coord_persist_stats;

#define SC_COORD_PERSIST_DEFAULT_EVERY 16

/* Attach a recorder to e writing through w (both borrowed; they must outlive the recorder).
 * For every session: on creation the creation record (seq 0) and a snapshot; on every
 * dispatch run the event record (seq = history seq), and a snapshot when seq is a multiple of
 * snapshot_every (0 = SC_COORD_PERSIST_DEFAULT_EVERY) or the run entered a terminal state; on
 * removal the snapshot is deleted (the events stay). Snapshots carry "node": node_id (copied,
 * may be NULL) and are saved with node_id and the table hash. *out set only on success:
 * -EINVAL, -ENOMEM, -ENOSPC (the engine has no observer slot left). */
int sc_coord_persist_attach(sc_engine *e, sc_persist_writer *w, const char *node_id, unsigned snapshot_every,
                          sc_coord_persist **out);
/* Stop recording (the observer is removed); the recorder stays readable. Idempotent. */
void sc_coord_persist_detach(sc_coord_persist *r);
/* Detach, then free. NULL is fine. */
void sc_coord_persist_free(sc_coord_persist *r);
void sc_coord_persist_get_stats(const sc_coord_persist *r, sc_coord_persist_stats *out);
/* Submit a snapshot of s now (e.g. after the api filled its dialog fields outside a dispatch).
 * 0, -EAGAIN (queue full), -ENOMEM. */
int sc_coord_persist_snapshot(sc_coord_persist *r, sc_session *s);

/* Called for each recovered session, after its record is rebuilt and before anything else
 * happens to it: rebuild the SIP dialog and media from its fields, then dispatch Recovered. */
typedef void (*sc_coord_recovered_fn)(sc_session *s, void *ud);

/* Recovery at start, BEFORE sc_coord_persist_attach (so that rebuilding is not recorded again):
 * for every live snapshot in p (only those written by node_id when it is not NULL; snapshots
 * without a node are taken by any node) restore the session on table, or with table NULL on
 * its own version: the current table when the snapshot's table_hash is current, else the
 * version rebuilt from the text the recorder stored (sc_persist_load_table; the current
 * table if there is none), applying the event records logged after the snapshot, then call on_recovered(s, ud) (may be NULL). A session whose id is
 * already in the store is skipped; a snapshot that cannot be restored is skipped and counted
 * in *failed (may be NULL). *recovered (may be NULL) receives
 * how many were restored. Returns 0 or the store's error (sessions restored before it stay). */
int sc_coord_persist_recover(sc_engine *e, sc_persist *p, const char *node_id, sc_table *table,
                           sc_coord_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed);

#endif
