/* obs: the coordinator's operations plumbing: a metrics registry filled from the engine's
 * counts, engine observers and the SIP agent's statistics (the standard set of obs.h plus
 * admission and table-version metrics), and the one init/free pair that also starts the event
 * bridge (events.c) and admission control (limits.c). Loop thread only. */
#ifndef SC_COORD_OBS_H
#define SC_COORD_OBS_H

#include "coord/coord_int.h"
#include "session_core/obs.h"

typedef struct sc_coord_obs sc_coord_obs;
typedef struct sc_coord_obs_engine sc_coord_obs_engine;

/* Called once from sc_coord_new (after the engine exists): registry, metrics, observer (none
 * of the three with cfg->metrics_off), event bus, limits. 0 or -ENOMEM / -ENOSPC; what was
 * made is freed by sc_coord__ops_free. */
int sc_coord__ops_init(sc_coord *api, const sc_coord_config *cfg);
/* Called from sc_coord_free after every session is gone. Safe when init failed half-way. */
void sc_coord__ops_free(sc_coord *api);

/* The standard metric families (owned by the registry), or NULL before init. */
sc_obs_std_metrics *sc_coord_obs_std(sc_coord_obs *o);

/* Admission: count one refused new session by reason ("max_sessions", "max_cps",
 * "max_memory", "shutdown") in sessioncore_admission_rejected_total{reason, source} where
 * source is "sip" or "api". */
void sc_coord_obs_admission_rejected(sc_coord_obs *o, const char *reason, const char *source);

/* Hooks for the persistence integration: count a store operation (op e.g. "save", "append",
 * "load", "delete"; ok or not) with its latency in seconds, and the write queue depth. */
void sc_coord_obs_store_op(sc_coord_obs *o, const char *op, bool ok, double seconds);
void sc_coord_obs_store_queue(sc_coord_obs *o, size_t depth);

/* ---- Engine-side metrics (obs_engine.c) ----------------------------------------------
 * Fills the standard families of reg: sessions_total{role}, sessions_ended_total{role,outcome},
 * sessions_reaped_total{reason}, transitions_total{event,outcome}, transitions_failed_total{kind},
 * transition_duration_seconds, session_duration_seconds{role}, call_setup_seconds{role}.
 * The per-run ones (transitions, failed, transition time) come from the engine's own counts
 * (sc_engine_metrics_get), added by a registry collector at each render / StatsD flush /
 * sc_obs_registry_collect() (what ran since the attach, or since the last collection); the
 * per-session ones from engine observer callbacks (created, ended, CallEstablished via
 * publish_only, removed), so an ordinary dispatch calls nothing of it. With an engine made
 * with counts_off the per-run families stay at zero. The standard set is registered into reg
 * unless it is there already. clock times durations (NULL = the system clock). This is what
 * sc_coord attaches; it works on a bare engine too (benchmarks, tests). The sessions-by-state
 * gauges are a scrape-time collector of sc_coord, not part of it. *out only on success;
 * -EINVAL, -ENOMEM, -ENOSPC (observers or collectors full). */
int sc_coord__obs_attach_engine(sc_engine *e, sc_obs_registry *reg, const sc_clock *clock,
                              sc_coord_obs_engine **out);
/* Add what the engine counted since the last collection, remove the collector and the
 * observer and free the handle (the registry keeps the values). NULL ok. */
void sc_coord__obs_detach_engine(sc_coord_obs_engine *h);
/* The standard families the handle fills (owned by the registry). */
const sc_obs_std_metrics *sc_coord__obs_engine_std(const sc_coord_obs_engine *h);

#endif
