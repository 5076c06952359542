/* engine: runs one event against one session: looks up (role, state, event) in the session's
 * compiled table, evaluates guards, runs actions, applies condition updates, moves to the next
 * state, appends a history record, publishes, and arms or cancels state timers. Holds the
 * guard and action registries that modules and applications bind to vocabulary names.
 * Single-threaded (the loop thread); no I/O, no libuv: the caller drives timers through
 * sc_engine_next_deadline() / sc_engine_run_timers(). */
#ifndef SESSION_CORE_ENGINE_H
#define SESSION_CORE_ENGINE_H

#include "session_core/base.h"
#include "session_core/store.h"
#include "session_core/table.h"

typedef struct sc_engine sc_engine;

/* ---- Events ----------------------------------------------------------------------------- */

/* One event for one session. For a dispatch that runs now everything is borrowed for the
 * call. When the event must be queued (the session is busy inside a dispatch), the engine
 * copies text and takes ownership of data: it calls data_free(data) after the queued event
 * has run (or when the session is removed first). If the queue is full (-EAGAIN) ownership
 * stays with the caller. */
typedef struct sc_event {
    sc_id type;                /* event vocabulary id */
    int32_t code;              /* e.g. SIP status code; 0 if none */
    const char *text;          /* e.g. reason phrase, target; may be NULL */
    void *data;                /* payload (e.g. a SIP message); may be NULL */
    void (*data_free)(void *); /* how to free data when the engine owns it; may be NULL */
} sc_event;

/* ---- Guards and actions ----------------------------------------------------------------- */

/* What a guard or action sees. All pointers are borrowed for the duration of the call. */
typedef struct sc_exec {
    sc_engine *engine;
    sc_session *session;
    const sc_event *event;
    const sc_transition *transition; /* the row being tried */
    const sc_call *call;             /* this use: id, params, negate */
    void *ud;                        /* the binding's user data */
} sc_exec;

/* A guard returns its raw verdict; the engine applies `negate`. */
typedef bool (*sc_guard_fn)(const sc_exec *x);
/* An action returns 0 or a negative error; a failure stops the transition (the session stays
 * in `from`), is recorded in the history, and raises ActionFailed (text = action name,
 * code = the error) for the table's declared failure path. An action may dispatch events:
 * to its own session they are queued and run after the current one; to another session they
 * run immediately unless that session is busy too (then they are queued there). */
typedef int (*sc_action_fn)(const sc_exec *x);

/* ---- Guards and actions that wait (webhooks) ---------------------------------------------- */

typedef void (*sc_engine_cancel_fn)(void *ud);
/* A guard or action that cannot answer now calls this and returns at once (its return value
 * is then ignored). The engine keeps the run where it stopped (the event copied: its data
 * kept when it has a data_free, else dropped); the session stays busy, so its later events
 * (timers, SIP, commands) queue behind it in order, while other sessions go on. The dispatch
 * that suspended returns SC_ENGINE_QUEUED. Returns a token (> 0) for sc_engine_resume(), 0 if
 * the call already suspended. If the session is removed first (kill, shutdown),
 * cancel(ud) is called instead of any resume, the run's record ends as action_failed
 * (-ECANCELED) and the token is dead. */
SC_EXPORT uint64_t sc_exec_suspend(const sc_exec *x, sc_engine_cancel_fn cancel, void *ud);
/* A guard answered from its cache says so: its history entry is marked cached. */
SC_EXPORT void sc_exec_mark_cached(const sc_exec *x);

/* Parameters of the current use (x->call), by name; dflt when absent or of another type. */
SC_EXPORT int64_t sc_exec_param_int(const sc_exec *x, const char *name, int64_t dflt);
SC_EXPORT const char *sc_exec_param_str(const sc_exec *x, const char *name, const char *dflt);
SC_EXPORT bool sc_exec_param_bool(const sc_exec *x, const char *name, bool dflt);

/* ---- Engine ----------------------------------------------------------------------------- */

#define SC_ENGINE_MAX_OBSERVERS 8
#define SC_ENGINE_QUEUED 1 /* sc_engine_dispatch(): the session was busy; the event is queued */

typedef struct sc_engine_config {
    const sc_clock *clock;          /* borrowed; NULL = the store's clock */
    const sc_logger *logger;        /* borrowed; may be NULL */
    size_t history_capacity;        /* 0 = keep the store's setting, else sets it */
    size_t max_queue_per_session;   /* events queued behind a running one; 0 = 16 */
    uint64_t terminal_retention_ms; /* removal delay for terminal states without max_ms;
                                       0 = such sessions stay until removed explicitly */
    bool counts_off;                /* true: do not keep the metric counts of
                                     sc_engine_metrics_get() (they stay zero) */
} sc_engine_config;

/* Defaults: system clock via the store, no logger, queue 16, retention 30000 ms. */
SC_EXPORT void sc_engine_config_default(sc_engine_config *cfg);

/* A new engine over vocab and store (both borrowed, must outlive the engine); cfg may be NULL
 * (defaults). No table yet. *out set only on success; -EINVAL, -ENOMEM. */
SC_EXPORT int sc_engine_new(sc_engine **out, const sc_vocab *vocab, sc_store *store, const sc_engine_config *cfg);
/* Cancels every timer and frees queued events; does not remove sessions from the store
 * (the store's owner does). NULL is fine. */
SC_EXPORT void sc_engine_free(sc_engine *e);
SC_EXPORT sc_store *sc_engine_store(const sc_engine *e);
SC_EXPORT const sc_vocab *sc_engine_vocab(const sc_engine *e);

/* Bind fn (with ud) to a guard or action name of the vocabulary. A name is bound once: a
 * second bind of the same name fails with -EEXIST and the first binding stays. 0, -EEXIST,
 * -ENOENT (name not in the vocabulary), -EINVAL, -ENOMEM; on error nothing changes. */
SC_EXPORT int sc_engine_bind_guard(sc_engine *e, const char *name, sc_guard_fn fn, void *ud);
SC_EXPORT int sc_engine_bind_action(sc_engine *e, const char *name, sc_action_fn fn, void *ud);
SC_EXPORT bool sc_engine_guard_bound(const sc_engine *e, sc_id guard);
SC_EXPORT bool sc_engine_action_bound(const sc_engine *e, sc_id action);

/* Check that every guard and action table uses is bound; each unbound one is added to
 * diags (may be NULL) as an error at the row's file:line:col naming it. 0 or SC_E_UNBOUND;
 * -EINVAL if the table was built on another vocabulary. */
SC_EXPORT int sc_engine_check_table(const sc_engine *e, const sc_table *table, sc_diags *diags);
/* sc_engine_check_table(), then make table the current one (the engine takes a reference
 * and drops the previous table's). The current table is used for NEW sessions only;
 * existing sessions keep the table they started with. On error nothing changes. */
SC_EXPORT int sc_engine_set_table(sc_engine *e, sc_table *table, sc_diags *diags);
/* The current table (borrowed), or NULL before the first sc_engine_set_table(). */
SC_EXPORT sc_table *sc_engine_table(const sc_engine *e);

/* Create a session on the current table in its initial state, arm that state's timers and
 * tell observers. id NULL = generated. *out set only on success. -EINVAL (no table, bad
 * role), -EEXIST, -ENOMEM. */
SC_EXPORT int sc_engine_create_session(sc_engine *e, sc_role role, const char *id, sc_session **out);
/* Recovery: like create, on table (NULL = current; the store takes a reference) and directly
 * in state `state` (time in state restarts now; its timers are armed). -EINVAL if the state
 * is not in the table. The caller restores fields, conditions and history afterwards. */
SC_EXPORT int sc_engine_restore_session(sc_engine *e, sc_table *table, sc_role role, const char *id, sc_id state,
                                        sc_session **out);

/* Run ev against s. Returns:
 *   0                    taken (the session moved or stayed per the row's `to`)
 *   SC_E_NOT_ACCEPTED    no row for (role, state, event)
 *   SC_E_GUARDS_FAILED   rows exist but every row's guards failed
 *   SC_E_ACTION_FAILED   an action failed; the session stayed; ActionFailed is queued
 *   SC_E_TERMINATED      the session is being removed
 *   SC_ENGINE_QUEUED (1) s is busy inside a dispatch (called from an action): ev is queued
 *                        (text copied, data owned) and runs after the current event
 *   -EAGAIN              s is busy and its queue is full (counted; caller keeps data)
 *   -EINVAL              bad arguments
 * outcome (may be NULL) receives the sc_outcome of this event when it ran now. Every run
 * (taken or not) appends a history record and is reported to observers. Events queued by
 * this run (from actions, ActionFailed, CheckConditions) run before it returns; their results
 * are in the history, not in the return value. Observers may see s removed during the call
 * (an action may remove it); then s is invalid when this returns. */
SC_EXPORT int sc_engine_dispatch(sc_engine *e, sc_session *s, const sc_event *ev, sc_outcome *outcome);
/* Convenience: dispatch an event with only a type, code and text. */
SC_EXPORT int sc_engine_dispatch_simple(sc_engine *e, sc_session *s, sc_id type, int32_t code, const char *text);
/* True while s is inside a dispatch. */
SC_EXPORT bool sc_engine_session_busy(const sc_engine *e, const sc_session *s);

/* Add a history record no table row made (e.g. SC_EV_Killed before an operator's removal):
 * from and to the session's state, outcome taken, event code and text (truncated to the
 * record's text); observers see it as a run (the recorder persists it, the bus publishes it).
 * 0, -EINVAL, -EBUSY (s is inside a dispatch), SC_E_TERMINATED (s is being removed). */
SC_EXPORT int sc_engine_note(sc_engine *e, sc_session *s, sc_id event, int32_t code, const char *text);

/* The answer to a suspended guard or action, on the loop thread, never from inside the call
 * that suspended (-EBUSY). For an action: 0 or a negative error, as if it had returned it then
 * (a failure takes the table's ActionFailed path); for a guard: > 0 passed, else failed. The
 * row goes on from there (it may suspend again at a later guard or action), then the
 * session's queued events run. To raise an event from the answer, dispatch it to the session
 * before resuming: it queues and runs after the row. 0, -ENOENT (no such token: answered
 * already, or the session was removed), -EINVAL. */
SC_EXPORT int sc_engine_resume(sc_engine *e, uint64_t token, int result);

/* Remove s: cancel its timers, drop its queued events, tell observers (on_session_removed
 * with reason, e.g. "retention", "hangup", "shutdown"), then sc_store_remove(). If s is busy
 * (called from inside its own dispatch), removal completes when that dispatch unwinds and
 * later events get SC_E_TERMINATED. Idempotent: a second call for a session being removed
 * does nothing. */
SC_EXPORT void sc_engine_remove_session(sc_engine *e, sc_session *s, const char *reason);
/* The same by id, safe to repeat: 0, or -ENOENT when no such session (or already removing). */
SC_EXPORT int sc_engine_remove_session_id(sc_engine *e, const char *id, const char *reason);

/* ---- Timers ----------------------------------------------------------------------------
 * On entering a state with a timer, a deadline raises its timer_event; a non-terminal state
 * with max_ms raises SessionExpired after max_ms; a terminal state with max_ms (or, without,
 * the configured terminal_retention_ms) removes the session after it. Leaving a state (or
 * an explicit self-transition `to: <same state>`) cancels and re-arms; a row without `to`
 * keeps the timers running. Times are the clock's monotonic µs. */

/* The earliest deadline (mono µs), or UINT64_MAX when no timer is armed. */
SC_EXPORT uint64_t sc_engine_next_deadline(const sc_engine *e);
/* Fire timers whose deadline <= now, at most max_fire (0 = no bound); returns how many fired. */
SC_EXPORT size_t sc_engine_run_timers(sc_engine *e, size_t max_fire);
/* Raise ev for s after delay_ms (e.g. ScheduleAutoAnswer). The event's text is copied and
 * its data owned as for a queued event. When cancel_on_exit, leaving the current state
 * cancels it. Up to 8 per session: -ENOSPC beyond, -ENOMEM. */
SC_EXPORT int sc_engine_schedule(sc_engine *e, sc_session *s, uint64_t delay_ms, const sc_event *ev,
                                 bool cancel_on_exit);
SC_EXPORT size_t sc_engine_timer_count(const sc_engine *e); /* armed timers */
/* Armed timers of one session (state timer, limit/retention timer, scheduled events). */
SC_EXPORT size_t sc_engine_session_timer_count(const sc_engine *e, const sc_session *s);

/* ---- Observers -------------------------------------------------------------------------- */

/* Callbacks (each may be NULL) for the event bus, persistence and metrics. Called on the
 * loop thread after the fact; an observer may dispatch events (they are queued if the
 * session is busy) but must not remove the session it is told about from on_transition. */
typedef struct sc_engine_observer {
    void (*on_session_created)(void *ud, sc_session *s);
    /* after every dispatch run; t is the row taken (or whose action failed), else NULL */
    void (*on_transition)(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t);
    /* a `publish:` entry of a taken row; priority is an sc_priority (default NORMAL) */
    void (*on_publish)(void *ud, sc_session *s, const char *name, int priority);
    /* s is still readable during the call; freed right after */
    void (*on_session_removed)(void *ud, sc_session *s, const char *reason);
    void *ud;
    /* a taken row moved s from a non-terminal state into a terminal one; called once per
     * such run, after on_transition and on_publish (so the run's outcome is set) */
    void (*on_session_ended)(void *ud, sc_session *s);
    /* when set, on_publish is called only for `publish:` entries with this name (copied
     * pointer: must outlive the observer). The engine matches the name once per table row and
     * caches the answer per table, so rows publishing other names cost this observer nothing. */
    const char *publish_only;
} sc_engine_observer;

/* Copy obs into the engine; returns a handle (>= 0) for removal, or -ENOSPC (more than
 * SC_ENGINE_MAX_OBSERVERS), -EINVAL. */
SC_EXPORT int sc_engine_add_observer(sc_engine *e, const sc_engine_observer *obs);
SC_EXPORT int sc_engine_remove_observer(sc_engine *e, int handle); /* 0 or -ENOENT */

/* ---- Counters --------------------------------------------------------------------------- */

typedef struct sc_engine_stats {
    uint64_t dispatched; /* event runs */
    uint64_t taken;      /* transitions taken */
    uint64_t not_accepted;
    uint64_t guards_failed;
    uint64_t action_failed;
    uint64_t queued;      /* events queued behind a running one */
    uint64_t queue_drops; /* -EAGAIN: queue full */
    uint64_t timers_fired;
    uint64_t sessions_created;
    uint64_t sessions_removed;
    uint64_t conditions_fired; /* CheckConditions raised */
    uint64_t suspended;        /* runs suspended by a guard or action (sc_exec_suspend) */
    uint64_t resumed;          /* of those, answered (sc_engine_resume) */
} sc_engine_stats;

SC_EXPORT void sc_engine_get_stats(const sc_engine *e, sc_engine_stats *out);

/* ---- Metric counts ------------------------------------------------------------------------
 * Counts the engine keeps for the metrics layer (src/coord/obs_engine.c turns them into
 * Prometheus families at scrape time), so that a dispatch pays a few plain increments for
 * metrics and no observer call: transitions by (event id, outcome), a histogram of the time
 * of each run (power-of-two microsecond buckets, the index from a count-leading-zeros) and
 * sessions ended by role. Written on the loop thread with plain (non-atomic) adds and meant
 * to be read on the loop thread too (the daemon renders /metrics there). Off with
 * sc_engine_config.counts_off (then everything stays zero). */

#define SC_ENGINE_OUTCOMES 4 /* sc_outcome values: taken, not_accepted, guards_failed, action_failed */
/* Run-time buckets: bucket k (0..SC_ENGINE_TIME_BUCKETS-2) counts runs of at most 2^k µs (and
 * more than 2^(k-1) µs); the last counts the longer ones (over 2^20 µs, about 1.05 s). */
#define SC_ENGINE_TIME_BUCKETS 22

typedef struct sc_engine_metrics {
    /* transitions[event * SC_ENGINE_OUTCOMES + outcome] for event ids < nevents (an id at or
     * past nevents has not been dispatched yet: its counts are 0); may move when it grows */
    const uint64_t *transitions;
    size_t nevents;
    uint64_t time_buckets[SC_ENGINE_TIME_BUCKETS]; /* per bucket, not cumulative */
    uint64_t time_sum_us;                          /* sum of the runs' times */
    uint64_t sessions_ended[SC_ROLE_COUNT];        /* by sc_role: entered a terminal state */
} sc_engine_metrics;

/* Run time of a dispatch run: from its start to the end of its last action (0 when no
 * action ran: not accepted, guards failed, a row without actions). */
static inline unsigned sc_engine_time_bucket(uint64_t us)
{
    unsigned b = us <= 1 ? 0u : 64u - (unsigned)__builtin_clzll(us - 1);
    return b < SC_ENGINE_TIME_BUCKETS - 1 ? b : SC_ENGINE_TIME_BUCKETS - 1;
}

/* The engine's counts (borrowed, live: they change with each dispatch; read on the loop thread). */
SC_EXPORT const sc_engine_metrics *sc_engine_metrics_get(const sc_engine *e);
/* The count of (event, outcome), 0 for an id never dispatched or a bad outcome. */
SC_EXPORT uint64_t sc_engine_metrics_transitions(const sc_engine_metrics *m, sc_id event, sc_outcome outcome);

/* ---- Table versions (src/engine/versions.c) ----------------------------------------------
 * Every table the engine has made current, or that a session runs on, is a live version:
 * (version counter: 1, 2, 3... in the order the engine first saw the tables; content hash).
 * sc_engine_set_table() with a new table object assigns the next counter; a restored session
 * on a table the engine has not seen registers it too (not current). A version holds one
 * table reference, released when the version is no longer current and its last session ends
 * (so with the store's per-session references, the table is freed then). A session runs on
 * the table it started with until it ends, unless a reload's `migrate:` map moves it (below). */

/* The live versions as a new JSON array (caller decrefs), oldest first:
 * [{"version", "hash", "name", "table_version" (`version:` as written, or null), "path", "sessions",
 *   "current", "loaded_at" (wall µs), "loaded_at_iso"}]. 0, -EINVAL or -ENOMEM. */
SC_EXPORT int sc_engine_table_versions(const sc_engine *e, json_t **out);
/* The version counter of table (>= 1), or 0 when it is not a live version of e. */
SC_EXPORT uint64_t sc_engine_table_version_of(const sc_engine *e, const sc_table *table);
/* The current version's counter, 0 before the first sc_engine_set_table(). */
SC_EXPORT uint64_t sc_engine_current_version(const sc_engine *e);

typedef struct sc_engine_reload_stats {
    uint64_t reloads_ok;        /* reloads that made a new table current */
    uint64_t reloads_unchanged; /* reloads of a table with the current hash (nothing changed) */
    uint64_t reloads_failed;    /* reloads refused (invalid table, unbound name, I/O) */
    uint64_t versions_live;     /* live versions now */
    uint64_t versions_released; /* versions released since the engine started */
    uint64_t sessions_migrated; /* sessions moved to a new version by a `migrate:` map */
} sc_engine_reload_stats;

SC_EXPORT void sc_engine_get_reload_stats(const sc_engine *e, sc_engine_reload_stats *out);

/* ---- Reload (src/engine/reload.c) --------------------------------------------------------
 * Load, validate, compile and bound-check a candidate table in full before anything changes.
 * On any error the current table stays, nothing changes, diags (may be NULL) hold the reasons
 * as file:line:column (an unreadable file gets one error at line 0, column 0), each error is
 * logged (WARN, module "engine") and reloads_failed counts it. On success the new table is
 * current for NEW sessions; running sessions keep their version, except that, when the new
 * table has a `migrate: {Old: New}` map, every live (not terminal, not removing) session on an
 * older version whose state is named Old moves to the new version in state New: its table
 * reference and version counts switch (the old version is released with its last session),
 * a history record with event `Migrated` (from Old to New, code = new version counter, text
 * "v<old> <hash> -> v<new> <hash>") is written and shown to observers, and the timers of New
 * are armed (from the time it entered Old when the name is the same, else from now). Sessions
 * in states the map does not name stay. If the candidate's hash equals the current table's,
 * nothing changes and the result is "unchanged".
 * report (may be NULL) receives a new JSON object (caller decrefs) on success and on failure:
 *   {"result": "applied"|"unchanged"|"refused", "old": {version, hash, name} or null,
 *    "new": {version, hash, name} (applied/unchanged), "changes": {"states": {added, removed,
 *    changed}, "transitions": {added, removed, changed}} (counts, from sc_table_diff()),
 *    "errors": [{file, line, column, severity, message}] (refused), "warnings": [...],
 *    "migrated": n and "migrated_states": {Old: n} (applied: sessions moved per old state)}
 * A `migrate:` entry naming a state the current table lacks (or has as terminal) is a warning.
 * Returns 0, SC_E_INVALID_TABLE, SC_E_UNBOUND, -ENOENT/-EACCES/-EIO (file), -EINVAL, -ENOMEM. */
SC_EXPORT int sc_engine_reload_file(sc_engine *e, const char *path, sc_diags *diags, json_t **report);
/* The same for a table in memory; name is used in diagnostics (e.g. "POST /table/reload"). */
SC_EXPORT int sc_engine_reload_buffer(sc_engine *e, const char *name, const char *buf, size_t len, sc_diags *diags,
                                      json_t **report);
/* Check a candidate as the reload would (load, validate, compile, bound names) without
 * applying it and without counting a reload. report: {"valid": bool, "hash", "name",
 * "changes" (against the current table, when there is one), "errors": [...], "warnings": [...]}.
 * Returns 0 when it would be accepted, else as sc_engine_reload_buffer(). */
SC_EXPORT int sc_engine_validate_buffer(const sc_engine *e, const char *name, const char *buf, size_t len,
                                        sc_diags *diags, json_t **report);
SC_EXPORT int sc_engine_validate_file(const sc_engine *e, const char *path, sc_diags *diags, json_t **report);

/* The second half of a restore, for recovery that restores every snapshot first and applies
 * the logged tails afterwards (the recorder's sc_coord_persist_recover): applies the event
 * records logged after s's snapshot (a JSON array, may be NULL) to s (just restored with
 * sc_session_restore_json) and re-arms the timers of the state it ends in, counted from the
 * time it entered that state (what is left of them after the downtime). On error s has been
 * removed (and freed) and the error is returned. */
SC_EXPORT int sc_engine_restore_tail(sc_engine *e, sc_session *s, const json_t *events);

#endif
