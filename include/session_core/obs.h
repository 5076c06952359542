/* obs: observability of session-core: a metrics registry (counters, gauges, histograms with
 * bounded labels) rendered as Prometheus text 0.0.4 or OpenMetrics 1.0.0, process statistics,
 * event-loop lag and heartbeat, the health model behind /livez /readyz /healthz, an optional
 * StatsD push, and the standard session-core metric set.
 *
 * Threading: the registry, its metrics, the StatsD pusher and the loop probe belong to the
 * loop thread. Updates are plain (non-atomic) adds on uint64/double: the hot path is one add,
 * no lock, no lookup. The exposition is rendered on the loop thread too (the daemon's HTTP
 * thread asks the loop for the string). Only sc_obs_heartbeat and sc_obs_health are safe to
 * use from another thread (atomic heartbeat; health guarded by a mutex). */
#ifndef SESSION_CORE_OBS_H
#define SESSION_CORE_OBS_H

#include <stdatomic.h>
#include <stdio.h>

#include "session_core/base.h"

/* ---- Metric handles (children) --------------------------------------------------------
 * A child is one labelled series of a metric. Handles are owned by the registry and live as
 * long as it; cache them (sc_obs_counter_with() once, sc_obs_counter_inc() per event). The
 * structs are public only so that updates inline; treat the fields as read-only. */

typedef struct sc_obs_counter {
    uint64_t value; /* integer increments */
    double fvalue;  /* fractional increments (e.g. CPU seconds) */
    double pushed;  /* value at the last StatsD flush (StatsD sends deltas) */
} sc_obs_counter;

typedef struct sc_obs_gauge {
    double value; /* current value */
} sc_obs_gauge;

typedef struct sc_obs_histogram {
    const double *bounds;  /* upper bounds, ascending, shared with the metric */
    uint32_t nbounds;      /* number of finite bounds; counts has nbounds + 1 slots */
    uint64_t *counts;      /* per-bucket (non-cumulative) counts; last slot is +Inf */
    uint64_t count;        /* observations */
    double sum;            /* sum of observations */
    uint64_t pushed_count; /* count at the last StatsD flush */
} sc_obs_histogram;

static inline void sc_obs_counter_inc(sc_obs_counter *c) { c->value++; }
static inline void sc_obs_counter_add(sc_obs_counter *c, uint64_t n) { c->value += n; }
/* Fractional add; x < 0 is ignored (counters never go down). */
static inline void sc_obs_counter_add_f(sc_obs_counter *c, double x)
{
    if (x > 0)
        c->fvalue += x;
}
static inline double sc_obs_counter_get(const sc_obs_counter *c) { return (double)c->value + c->fvalue; }

static inline void sc_obs_gauge_set(sc_obs_gauge *g, double v) { g->value = v; }
static inline void sc_obs_gauge_add(sc_obs_gauge *g, double v) { g->value += v; }
static inline void sc_obs_gauge_inc(sc_obs_gauge *g) { g->value += 1; }
static inline void sc_obs_gauge_dec(sc_obs_gauge *g) { g->value -= 1; }

/* Count v into the first bucket whose bound is >= v (linear: buckets are few). */
static inline void sc_obs_histogram_observe(sc_obs_histogram *h, double v)
{
    uint32_t i = 0;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

/* ---- Registry -------------------------------------------------------------------------- */

typedef struct sc_obs_registry sc_obs_registry;
typedef struct sc_obs_metric sc_obs_metric; /* a metric family: name, help, label names */

typedef enum sc_obs_type {
    SC_OBS_COUNTER = 0,
    SC_OBS_GAUGE = 1,
    SC_OBS_HISTOGRAM = 2,
    SC_OBS_INFO = 3, /* a gauge fixed at 1 whose labels carry the information (name ends _info) */
} sc_obs_type;

#define SC_OBS_MAX_LABELS 4   /* label names per metric */
#define SC_OBS_MAX_BUCKETS 32 /* finite histogram bounds */
#define SC_OBS_DEFAULT_MAX_CHILDREN 64
#define SC_OBS_LABEL_VALUE_MAX 64 /* longer label values are truncated */
#define SC_OBS_OTHER "other"      /* label value of the overflow child */

typedef struct sc_obs_desc {
    sc_obs_type type;
    const char *name;                      /* copied; checked by sc_obs_name_check() */
    const char *help;                      /* copied; one line */
    const char *labels[SC_OBS_MAX_LABELS]; /* label names, NULL-terminated if fewer */
    const double *buckets;                 /* histograms: ascending finite bounds (copied); NULL = seconds default */
    uint32_t nbuckets;
    uint32_t max_children; /* cap on label combinations (0 = SC_OBS_DEFAULT_MAX_CHILDREN);
                            * past it, new combinations share one child labelled "other" */
    bool foreign;          /* allow a name without the sessioncore_ prefix (process_*) */
} sc_obs_desc;

/* Default histogram bounds in seconds (1 ms .. 60 s) and for loop lag (100 us .. 2 s). */
SC_EXPORT const double *sc_obs_buckets_seconds(uint32_t *n);
SC_EXPORT const double *sc_obs_buckets_lag(uint32_t *n);
/* 1 µs, 2 µs, 4 µs ... 2^20 µs (about 1.05 s), in seconds: sessioncore_transition_duration_seconds,
 * the engine's run-time buckets (SC_ENGINE_TIME_BUCKETS - 1 finite ones). */
SC_EXPORT const double *sc_obs_buckets_pow2_us(uint32_t *n);

SC_EXPORT int sc_obs_registry_new(sc_obs_registry **out); /* -ENOMEM */
SC_EXPORT void sc_obs_registry_free(sc_obs_registry *r);  /* frees every metric and child */

/* Check a metric name against the conventions: [a-zA-Z_:][a-zA-Z0-9_:]*, "sessioncore_"
 * prefix unless foreign, counters end in "_total", info metrics in "_info", others must not
 * end in a reserved suffix (_total _count _sum _bucket _created _info), and no non-base unit
 * (_ms _milliseconds _microseconds _kilobytes _megabytes _minutes _hours ...). 0 or -EINVAL. */
SC_EXPORT int sc_obs_name_check(sc_obs_type type, const char *name, bool foreign);

/* Register a metric; *out set on success (the registry owns it). -EINVAL on a bad name or
 * label name, -EEXIST if the name is taken, -ENOMEM. */
SC_EXPORT int sc_obs_register(sc_obs_registry *r, const sc_obs_desc *desc, sc_obs_metric **out);
SC_EXPORT sc_obs_metric *sc_obs_registry_find(sc_obs_registry *r, const char *name);
SC_EXPORT const char *sc_obs_metric_name(const sc_obs_metric *m);
SC_EXPORT uint32_t sc_obs_metric_children(const sc_obs_metric *m);  /* including "other" */
SC_EXPORT uint64_t sc_obs_metric_overflows(const sc_obs_metric *m); /* lookups sent to "other" */

/* The child for label values (one per label name, in order; NULL values read as ""). Cached
 * lookups: call at setup, not per event. Past the cap, returns the "other" child. NULL only
 * on a type mismatch or out of memory. The _v forms take an array. */
SC_EXPORT sc_obs_counter *sc_obs_counter_with(sc_obs_metric *m, ...);
SC_EXPORT sc_obs_gauge *sc_obs_gauge_with(sc_obs_metric *m, ...);
SC_EXPORT sc_obs_histogram *sc_obs_histogram_with(sc_obs_metric *m, ...);
SC_EXPORT sc_obs_counter *sc_obs_counter_withv(sc_obs_metric *m, const char *const *values);
SC_EXPORT sc_obs_gauge *sc_obs_gauge_withv(sc_obs_metric *m, const char *const *values);
SC_EXPORT sc_obs_histogram *sc_obs_histogram_withv(sc_obs_metric *m, const char *const *values);
/* Info metrics: set the one child to these label values (replacing the previous ones). */
SC_EXPORT int sc_obs_info_set(sc_obs_metric *m, const char *const *values);
/* Reset every gauge child of m to 0 (e.g. before recounting sessions per state). */
SC_EXPORT void sc_obs_gauge_reset_all(sc_obs_metric *m);

/* Collectors: called in registration order at the start of every render and StatsD flush
 * (e.g. process stats, per-state oldest age). At most 16. -ENOSPC past that. */
typedef void (*sc_obs_collect_fn)(void *ud, sc_obs_registry *r);
SC_EXPORT int sc_obs_registry_add_collector(sc_obs_registry *r, sc_obs_collect_fn fn, void *ud);
SC_EXPORT void sc_obs_registry_collect(sc_obs_registry *r);
/* Remove the collector registered with (fn, ud), e.g. before ud is freed. 0 or -ENOENT. */
SC_EXPORT int sc_obs_registry_remove_collector(sc_obs_registry *r, sc_obs_collect_fn fn, void *ud);

/* ---- Exposition ------------------------------------------------------------------------ */

typedef enum sc_obs_format {
    SC_OBS_PROMETHEUS = 0,  /* text/plain; version=0.0.4 */
    SC_OBS_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 (ends with # EOF) */
} sc_obs_format;

SC_EXPORT const char *sc_obs_content_type(sc_obs_format f);
/* Pick the format from an HTTP Accept header (NULL: Prometheus). */
SC_EXPORT sc_obs_format sc_obs_format_from_accept(const char *accept);

/* Run the collectors and render every metric. *out is a NUL-terminated malloc'd string the
 * caller free()s; *len its length (may be NULL). -ENOMEM leaves *out untouched. */
SC_EXPORT int sc_obs_render(sc_obs_registry *r, sc_obs_format f, char **out, size_t *len);

/* ---- Process statistics (Linux /proc/self) ------------------------------------------------ */

typedef struct sc_obs_process_stats {
    uint64_t resident_bytes;   /* RSS */
    uint64_t virtual_bytes;    /* VSZ */
    uint64_t open_fds;         /* entries in /proc/self/fd */
    uint64_t max_fds;          /* RLIMIT_NOFILE soft limit */
    double cpu_seconds;        /* user + system */
    double start_time_seconds; /* process start, seconds since the Unix epoch */
} sc_obs_process_stats;

/* Fill *st from /proc/self; -errno if /proc is unreadable (fields then zero). */
SC_EXPORT int sc_obs_process_sample(sc_obs_process_stats *st);

/* Register process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
 * process_max_fds, process_cpu_seconds_total, process_start_time_seconds and
 * sessioncore_uptime_seconds, refreshed by a collector at each scrape. clock is borrowed
 * (wall time for uptime). */
SC_EXPORT int sc_obs_process_register(sc_obs_registry *r, const sc_clock *clock);

/* ---- Loop lag and heartbeat ------------------------------------------------------------- */

/* Loop lag: the daemon runs a repeating uv timer every interval_us and calls _fire() from it;
 * the lag (actual - expected fire time, >= 0) is observed in seconds into lag_hist and the next
 * expected time is set. Owned by the caller (embed it); loop thread only. */
typedef struct sc_obs_loop_probe {
    const sc_clock *clock;      /* borrowed */
    sc_obs_histogram *lag_hist; /* borrowed from the registry; may be NULL */
    uint64_t interval_us;       /* timer period */
    uint64_t expected_us;       /* when the next fire is due (0 = not armed) */
    uint64_t last_lag_us;       /* the last lag measured */
    uint64_t max_lag_us;        /* the largest lag since init */
} sc_obs_loop_probe;

SC_EXPORT void sc_obs_loop_probe_init(sc_obs_loop_probe *p, const sc_clock *clock, sc_obs_histogram *lag_hist,
                                      uint64_t interval_us);
SC_EXPORT void sc_obs_loop_probe_arm(sc_obs_loop_probe *p);      /* when the timer starts */
SC_EXPORT uint64_t sc_obs_loop_probe_fire(sc_obs_loop_probe *p); /* returns the lag in us */

/* Heartbeat: written by the loop thread (_beat, e.g. from the same timer), read by any thread
 * (_age_us, for /livez). Lock-free (an atomic). Owned by the caller (embed it). */
typedef struct sc_obs_heartbeat {
    const sc_clock *clock;    /* borrowed; must be callable from any thread */
    _Atomic uint64_t last_us; /* monotonic time of the last beat (0 = never) */
} sc_obs_heartbeat;

SC_EXPORT void sc_obs_heartbeat_init(sc_obs_heartbeat *hb, const sc_clock *clock);
SC_EXPORT void sc_obs_heartbeat_beat(sc_obs_heartbeat *hb);
/* Microseconds since the last beat; UINT64_MAX if it never beat. */
SC_EXPORT uint64_t sc_obs_heartbeat_age_us(sc_obs_heartbeat *hb);

/* ---- Health ------------------------------------------------------------------------------ */

typedef struct sc_obs_health sc_obs_health;

/* The standard checks, created by sc_obs_health_new() in the fail state "pending". Every one
 * but "loop" gates readiness; "loop" is set by the daemon from the heartbeat. */
#define SC_OBS_CHECK_SIP_SOCKETS "sip_sockets"
#define SC_OBS_CHECK_TABLE "table"
#define SC_OBS_CHECK_STORE "store"
#define SC_OBS_CHECK_RECOVERY "recovery"
#define SC_OBS_CHECK_LOOP "loop"
#define SC_OBS_HEALTH_MAX_CHECKS 16
#define SC_OBS_HEALTH_MAX_DETAILS 32 /* sessiond sets 19 (ops_routes.c, trunk_routes.c) */
#define SC_OBS_HEALTH_REASON_MAX 128

/* clock borrowed (wall time of changes; must be callable from any thread). -ENOMEM. */
SC_EXPORT int sc_obs_health_new(sc_obs_health **out, const sc_clock *clock);
SC_EXPORT void sc_obs_health_free(sc_obs_health *h);
/* Add a check (name copied); gates readiness if for_ready. -EEXIST, -ENOSPC, -EINVAL. */
SC_EXPORT int sc_obs_health_add_check(sc_obs_health *h, const char *name, bool for_ready);
/* Set a check's status and reason (copied, truncated; NULL = ""). The change time moves only
 * when ok flips. -ENOENT for an unknown check. Any thread. */
SC_EXPORT int sc_obs_health_set(sc_obs_health *h, const char *name, bool ok, const char *reason);
SC_EXPORT int sc_obs_health_get(sc_obs_health *h, const char *name, bool *ok, char *reason, size_t cap);
/* A numeric detail shown in /healthz ("sessions", "store_latency_seconds", ...). -ENOSPC. */
SC_EXPORT int sc_obs_health_set_detail(sc_obs_health *h, const char *key, double value);
/* Readiness: true when every readiness check is ok; otherwise writes "name: reason; ..." into
 * reasons (if cap > 0). Any thread. */
SC_EXPORT bool sc_obs_health_ready(sc_obs_health *h, char *reasons, size_t cap);
/* Liveness: true when hb beat less than max_age_us ago. Any thread. */
SC_EXPORT bool sc_obs_health_live(sc_obs_heartbeat *hb, uint64_t max_age_us);
/* JSON for /healthz: {"status":"ok"|"fail","ready":bool,"live":bool,"heartbeat_age_seconds":x,
 * "checks":{name:{"status","reason","since"}},"details":{...}}; hb may be NULL (live omitted).
 * malloc'd string for the caller to free(); NULL on -ENOMEM. Any thread. */
SC_EXPORT char *sc_obs_health_json(sc_obs_health *h, sc_obs_heartbeat *hb, uint64_t max_age_us);

/* ---- StatsD push ------------------------------------------------------------------------- */

typedef struct sc_obs_statsd sc_obs_statsd;

/* Push the registry's metrics to a StatsD server at "host:port" (IPv4/IPv6 literal or name)
 * over UDP. Counters are sent as deltas ("|c"), gauges as "|g", histograms as name_sum and
 * name_count gauges/deltas. Series names: metric name then each label value, dot-separated,
 * sanitised. The registry is borrowed. interval_ms is stored for the daemon's timer. One
 * pusher per registry (the delta state lives in the children). -EINVAL bad address, -errno. */
SC_EXPORT int sc_obs_statsd_new(sc_obs_statsd **out, sc_obs_registry *r, const char *hostport, uint32_t interval_ms);
SC_EXPORT void sc_obs_statsd_free(sc_obs_statsd *s);
SC_EXPORT uint32_t sc_obs_statsd_interval_ms(const sc_obs_statsd *s);
/* Run the collectors and send everything (packets <= 1400 bytes). Returns the number of
 * lines sent or -errno of the first failed send (the rest is still attempted). */
SC_EXPORT int sc_obs_statsd_flush(sc_obs_statsd *s);

/* ---- The standard session-core metric set ---------------------------------------------- */

/* X(field, type, name, help, label names... or NULL) — the one list of session-core's own
 * metrics (a family without labels says NULL: strict ISO C wants an argument for the "..."). */
#define SC_OBS_STD_METRICS(X)                                                                                          \
    X(sessions_active, SC_OBS_GAUGE, "sessioncore_sessions_active", "Sessions currently live, by state and role",      \
      "state", "role")                                                                                                 \
    X(sessions_created, SC_OBS_COUNTER, "sessioncore_sessions_total", "Sessions created (started), by role", "role")   \
    X(sessions_ended, SC_OBS_COUNTER, "sessioncore_sessions_ended_total", "Sessions ended, by role and outcome",       \
      "role", "outcome")                                                                                               \
    X(transitions, SC_OBS_COUNTER, "sessioncore_transitions_total",                                                    \
      "Events run against sessions, by event and outcome (ok, not_accepted, guards_failed, action_failed)", "event",   \
      "outcome")                                                                                                       \
    X(transitions_failed, SC_OBS_COUNTER, "sessioncore_transitions_failed_total",                                      \
      "Events that did not produce a normal transition, by kind", "kind")                                              \
    X(session_duration, SC_OBS_HISTOGRAM, "sessioncore_session_duration_seconds", "Lifetime of ended sessions",        \
      "role")                                                                                                          \
    X(call_setup, SC_OBS_HISTOGRAM, "sessioncore_call_setup_seconds",                                                  \
      "Time from session creation to call established", "role")                                                        \
    X(transition_duration, SC_OBS_HISTOGRAM, "sessioncore_transition_duration_seconds",                                \
      "Time to process one event (guards, actions, history)", NULL)                                                    \
    X(sip_messages, SC_OBS_COUNTER, "sessioncore_sip_messages_total",                                                  \
      "SIP messages by direction (in, out), method and status class (request, 1xx..6xx)", "direction", "method",       \
      "class")                                                                                                         \
    X(sip_retransmissions, SC_OBS_COUNTER, "sessioncore_sip_retransmissions_total",                                    \
      "SIP retransmissions sent or absorbed, by direction and method", "direction", "method")                          \
    X(sip_malformed, SC_OBS_COUNTER, "sessioncore_sip_malformed_total",                                                \
      "Received SIP messages rejected as malformed, by reason", "reason")                                              \
    X(store_operations, SC_OBS_COUNTER, "sessioncore_store_operations_total",                                          \
      "Persistent store operations, by operation and result", "op", "result")                                          \
    X(store_duration, SC_OBS_HISTOGRAM, "sessioncore_store_operation_duration_seconds",                                \
      "Persistent store operation latency, by operation", "op")                                                        \
    X(store_queue_depth, SC_OBS_GAUGE, "sessioncore_store_queue_depth", "Writes waiting for the persistent store",     \
      NULL)                                                                                                            \
    X(store_fenced_writes, SC_OBS_COUNTER, "sessioncore_store_fenced_writes_total",                                    \
      "Snapshot saves and deletes the store ignored: the session is another node's now", NULL)                         \
    X(events_published, SC_OBS_COUNTER, "sessioncore_events_published_total", "Events published on the bus, by type",  \
      "type")                                                                                                          \
    X(event_drops, SC_OBS_COUNTER, "sessioncore_event_queue_drops_total",                                              \
      "Events dropped from subscriber queues, by subscriber and reason", "subscriber", "reason")                       \
    X(event_subscribers, SC_OBS_GAUGE, "sessioncore_event_subscribers", "Event subscriptions currently open", NULL)    \
    X(subscribers_reaped, SC_OBS_COUNTER, "sessioncore_event_subscribers_reaped_total",                                \
      "Event subscriptions closed by the bus, by reason (idle, overflow)", "reason")                                   \
    X(table_reloads, SC_OBS_COUNTER, "sessioncore_table_reloads_total", "State table reloads, by result (ok, failed)", \
      "result")                                                                                                        \
    X(table_version, SC_OBS_INFO, "sessioncore_table_version_info", "The state table in use for new sessions",         \
      "version")                                                                                                       \
    X(sessions_reaped, SC_OBS_COUNTER, "sessioncore_sessions_reaped_total",                                            \
      "Sessions ended or removed by cleanup, by reason", "reason")                                                     \
    X(oldest_session_age, SC_OBS_GAUGE, "sessioncore_oldest_session_age_seconds",                                      \
      "Longest time a live session has been in its state, by state", "state")                                          \
    X(loop_lag, SC_OBS_HISTOGRAM, "sessioncore_event_loop_lag_seconds",                                                \
      "Delay of the event loop's probe timer beyond its due time", NULL)

typedef struct sc_obs_std_metrics {
#define SC_OBS_STD_FIELD(field, type, name, help, ...) sc_obs_metric *field;
    SC_OBS_STD_METRICS(SC_OBS_STD_FIELD)
#undef SC_OBS_STD_FIELD
} sc_obs_std_metrics;

/* Register the standard set into r and fill *m with the families (owned by r). Children are
 * created by the daemon with the _with() calls. Does not register process metrics (call
 * sc_obs_process_register too). -EEXIST if already registered, -ENOMEM. */
SC_EXPORT int sc_obs_std_metrics_new(sc_obs_registry *r, sc_obs_std_metrics *m);

#endif
