/* metrics: the engine-side metrics (metrics_engine.c), which the metrics feature attaches to
 * the coordinator's engine and which benchmarks and tests attach to a bare engine. Loop thread
 * only. */
#ifndef SC_COORD_METRICS_H
#define SC_COORD_METRICS_H

#include "coord/coord_int.h"
#include "session_core/obs.h"

typedef struct sc_coord_obs_engine sc_coord_obs_engine;

/* ---- Engine-side metrics (metrics_engine.c) ----------------------------------------------
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
int sc_coord__obs_attach_engine(sc_engine *e, sc_obs_registry *reg, const sc_clock *clock, sc_coord_obs_engine **out);
/* Add what the engine counted since the last collection, remove the collector and the
 * observer and free the handle (the registry keeps the values). NULL ok. */
void sc_coord__obs_detach_engine(sc_coord_obs_engine *h);
/* The standard families the handle fills (owned by the registry). */
const sc_obs_std_metrics *sc_coord__obs_engine_std(const sc_coord_obs_engine *h);

#endif
