/* history_read: the history of a compacted or removed session read back from the store: the
 * store's records merged with the ring's newer ones (history_read.c), synchronously or off the
 * loop through the coordinator's history reader thread (history_reader.c). */
#ifndef SC_COORD_HISTORY_READ_H
#define SC_COORD_HISTORY_READ_H

#include "coord/coord_int.h"

/* The transition records of id in the store (p), in seq order, appended to arr (a JSON array,
 * the keys of sc_coord_history's records in their order); *last_seq receives the seq of the
 * last one (unchanged when none). 0, the store's error, or -ENOMEM. */
int sc_coord__history_read_store(struct sc_persist *p, const char *id, json_t *arr, uint64_t *last_seq);
/* Appends to arr the records of ring (an array of sc_history_record_to_json objects, oldest
 * first) whose seq is above last_seq: those the store did not have yet. 0 or -ENOMEM. */
int sc_coord__history_merge_ring(json_t *arr, const json_t *ring, uint64_t last_seq);
/* The transitions taken in history a (oldest first, restarted at a Migrated record), at most
 * cap; how many were written. */
size_t sc_coord__history_path_of(const json_t *a, uint32_t *out, size_t cap);

/* Stops the history reader (sc_coord_free, before the store closes): its loop handle is closed
 * (c->closing_handles counts it), its thread told to end (joined when it ends at once, else
 * left to end its read and free what it holds). Reads not answered yet get -ECANCELED. */
void sc_coord__history_reader_free(sc_coord *c);

#endif
