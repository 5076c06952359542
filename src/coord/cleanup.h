/* cleanup: the coordinator's reaper beyond the engine's own state timers: a global maximum
 * session age (older sessions get SessionExpired through the table, so BYE or CANCEL is sent),
 * and configured retention caps for terminal states (terminated/cancelled/rejected, failed)
 * that shorten a table's max_ms. All work is a bounded sweep on the injected clock: at most
 * per_tick sessions are examined per call, so 100,000 sessions never stall the loop.
 * Loop thread only. */
#ifndef SC_COORD_CLEANUP_H
#define SC_COORD_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session_core/engine.h"

typedef struct sc_coord_cleanup sc_coord_cleanup;
struct sc_coord;
struct sc_coord_config;

typedef struct sc_coord_cleanup_config {
    uint64_t max_age_ms;          /* sessions older than this get SessionExpired; 0 = no limit */
    uint64_t retention_ms;        /* cap on the stay in a terminal state (not failed); 0 = none */
    uint64_t failed_retention_ms; /* the same for failed states (name contains "Fail"); 0 = none */
    uint64_t engine_retention_ms; /* the engine's terminal_retention_ms (states without max_ms) */
    uint64_t grace_ms;            /* a session still not ended this long after SessionExpired
                                     gets it again, and after one more grace it is removed
                                     (reason "max_age"); 0 = 32000 */
    size_t per_tick;              /* sessions examined per sweep; 0 = 1000 */
} sc_coord_cleanup_config;

/* Defaults: 24 h, 5 min, 10 min, engine 10 min, grace 32 s, 1000 per tick. */
void sc_coord__cleanup_config_default(sc_coord_cleanup_config *cfg);

typedef struct sc_coord_cleanup_stats {
    uint64_t sweeps;            /* calls of sc_coord__cleanup_sweep */
    uint64_t examined;          /* queue entries looked at */
    uint64_t expired;           /* SessionExpired dispatched for the global age */
    uint64_t forced;            /* removed: the table did not take SessionExpired, or the
                                    session was still not ended after two of them */
    uint64_t retention_removed; /* removed by a configured retention cap */
    size_t retention_pending;   /* entries waiting in the retention queues */
    size_t age_pending;         /* entries waiting in the age and escalation queues (stale
                                    ones are dropped once they outnumber live sessions 2:1) */
    size_t max_examined;        /* the most one sweep examined */
} sc_coord_cleanup_stats;

/* A reaper over engine (borrowed; its store and clock are used). Adds an engine observer.
 * *out only on success; -EINVAL, -ENOMEM, -ENOSPC (observers full). */
int sc_coord__cleanup_new(sc_coord_cleanup **out, sc_engine *engine, const sc_coord_cleanup_config *cfg);
/* Removes the observer and frees the queues. NULL is fine. */
void sc_coord__cleanup_free(sc_coord_cleanup *c);
/* One bounded sweep at the clock's now: retention caps, escalations, then the sessions whose
 * age passed the limit (queues ordered by deadline, filled by engine observers, so only due
 * entries are touched). Examines at most per_tick entries (*examined, may be NULL). Returns
 * true when due work was left for the next sweep. */
bool sc_coord__cleanup_sweep(sc_coord_cleanup *c, size_t *examined);
void sc_coord__cleanup_get_stats(const sc_coord_cleanup *c, sc_coord_cleanup_stats *out);

/* The feature (cleanup.c, sc_coord__feature_cleanup) runs a sweep every second on a uv timer
 * (at once again while work is left) and counts expirations in
 * sessioncore_sessions_expired_total{reason}. */

#endif
