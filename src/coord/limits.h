/* limits: admission control of new sessions (incoming INVITEs and make_call): a cap on
 * active sessions, a token bucket on the admission rate (on the injected clock) and a cap on
 * the process's resident memory (sampled at most every 100 ms). A refusal is counted in
 * sessioncore_admission_rejected_total{reason,source}; INVITEs get 503 with Retry-After and
 * the API gets SC_E_OVERLOAD. Existing calls are never touched. Loop thread only. */
#ifndef SC_COORD_LIMITS_H
#define SC_COORD_LIMITS_H

#include "coord/coord_int.h"

typedef struct sc_coord_limits sc_coord_limits;

int sc_coord__limits_new(sc_coord *api, const sc_coord_config *cfg); /* 0 or -ENOMEM */
void sc_coord__limits_free(sc_coord *api);                          /* idempotent */

/* May one more session start now? 0 (admitted: a rate token is taken), or SC_E_OVERLOAD with
 * *reason set to "shutdown", "max_sessions", "max_cps" or "max_memory" (static strings); the
 * refusal is counted with source ("sip" or "api"). */
int sc_coord__admit(sc_coord *api, const char *source, const char **reason);
/* Retry-After seconds for a refusal. */
unsigned sc_coord__retry_after(const sc_coord *api);

/* For tests: the memory figure the last check used (bytes), and force a resample. */
uint64_t sc_coord__limits_rss(sc_coord *api, bool resample);

#endif
