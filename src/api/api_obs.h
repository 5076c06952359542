/* api_obs: the coordinator's operations plumbing: a metrics registry filled from engine
 * observers and the SIP agent's statistics (the standard set of obs.h plus admission and
 * table-version metrics), and the one init/free pair that also starts the event bridge
 * (api_events.c) and admission control (api_limits.c). Loop thread only. */
#ifndef SC_API_OBS_H
#define SC_API_OBS_H

#include "api/api_int.h"
#include "session_core/obs.h"

typedef struct sc_api_obs sc_api_obs;

/* Called once from sc_api_new (after the engine exists): registry, metrics, observer, event
 * bus, limits. 0 or -ENOMEM / -ENOSPC; what was made is freed by sc_api__ops_free. */
int sc_api__ops_init(sc_api *api, const sc_api_config *cfg);
/* Called from sc_api_free after every session is gone. Safe when init failed half-way. */
void sc_api__ops_free(sc_api *api);

/* The standard metric families (owned by the registry), or NULL before init. */
sc_obs_std_metrics *sc_api_obs_std(sc_api_obs *o);

/* Admission: count one refused new session by reason ("max_sessions", "max_cps",
 * "max_memory", "shutdown") in sessioncore_admission_rejected_total{reason, source} where
 * source is "sip" or "api". */
void sc_api_obs_admission_rejected(sc_api_obs *o, const char *reason, const char *source);

/* Hooks for the persistence integration: count a store operation (op e.g. "save", "append",
 * "load", "delete"; ok or not) with its latency in seconds, and the write queue depth. */
void sc_api_obs_store_op(sc_api_obs *o, const char *op, bool ok, double seconds);
void sc_api_obs_store_queue(sc_api_obs *o, size_t depth);

#endif
