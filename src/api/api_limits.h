/* api_limits: admission control of new sessions (incoming INVITEs and make_call): a cap on
 * active sessions, a token bucket on the admission rate (on the injected clock) and a cap on
 * the process's resident memory (sampled at most every 100 ms). A refusal is counted in
 * sessioncore_admission_rejected_total{reason,source}; INVITEs get 503 with Retry-After and
 * the API gets SC_E_OVERLOAD. Existing calls are never touched. Loop thread only. */
#ifndef SC_API_LIMITS_H
#define SC_API_LIMITS_H

#include "api/api_int.h"

typedef struct sc_api_limits sc_api_limits;

int sc_api__limits_new(sc_api *api, const sc_api_config *cfg); /* 0 or -ENOMEM */
void sc_api__limits_free(sc_api *api);                          /* idempotent */

/* May one more session start now? 0 (admitted: a rate token is taken), or SC_E_OVERLOAD with
 * *reason set to "shutdown", "max_sessions", "max_cps" or "max_memory" (static strings); the
 * refusal is counted with source ("sip" or "api"). */
int sc_api__admit(sc_api *api, const char *source, const char **reason);
/* Retry-After seconds for a refusal. */
unsigned sc_api__retry_after(const sc_api *api);

/* For tests: the memory figure the last check used (bytes), and force a resample. */
uint64_t sc_api__limits_rss(sc_api *api, bool resample);

#endif
