/* engine_int: the engine's layout and the internals shared by its files (dispatch, timers,
 * registries), plus the raw dispatcher used by the benchmark baseline. */
#ifndef SC_ENGINE_INT_H
#define SC_ENGINE_INT_H

#include "session_core/engine.h"
#include "store/store_int.h"
#include "table/table_int.h"

#define SC_ENGINE_DEFAULT_QUEUE 16
#define SC_ENGINE_MAX_SCHED 8

typedef struct sc_guard_binding {
    sc_guard_fn fn; /* NULL = unbound */
    void *ud;
} sc_guard_binding;

typedef struct sc_action_binding {
    sc_action_fn fn; /* NULL = unbound */
    void *ud;
    /* Runs left in which the action is timed on its own with the cycle counter (dispatch.c,
     * run_actions_ticks): set when it took 1 µs or more, counted down by its fast runs; 0:
     * timed together with its untimed neighbours by one read after them. */
    uint8_t timed;
} sc_action_binding;

/* An event waiting behind the running one; text copied inline, data owned. */
typedef struct sc_qevent {
    struct sc_qevent *next;
    sc_event ev;  /* ev.text points into text[] (or NULL) */
    size_t bytes; /* allocation size, for accounting */
    char text[];
} sc_qevent;

/* An event scheduled with sc_engine_schedule(). */
typedef struct sc_sched {
    struct sc_sched *next;  /* the session's other scheduled events */
    sc_session_timer timer; /* kind SC_TIMER_SCHED */
    sc_event ev;            /* text copied inline, data owned */
    char text[];
} sc_sched;

enum sc_timer_kind {
    SC_TIMER_DEAD = 0,      /* cancelled, left in the heap until it surfaces or is armed again */
    SC_TIMER_STATE = 1,     /* the state's timer_ms: raise its timer_event */
    SC_TIMER_EXPIRE = 2,    /* non-terminal max_ms: raise SessionExpired */
    SC_TIMER_RETENTION = 3, /* terminal: remove the session */
    SC_TIMER_SCHED = 4,     /* sc_engine_schedule() */
};

/* A run of rows that can stop at a guard or action that suspended (sc_exec_suspend) and go on
 * from there when it is answered (suspend.c). */
typedef struct sc_engine__run {
    const sc_transition *const *rows; /* the candidate rows of (role, state, event) */
    size_t nrows;
    size_t row;      /* the row being tried (its guards) or taken (its actions) */
    uint16_t step;   /* the guard or action index within it */
    bool in_actions; /* guards passed: running the row's actions */
    int failed_at;   /* the failed action's index once known, else -1 */
    int rc;          /* its error */
    uint64_t mono;   /* the run's start */
    int64_t wall;
    uint64_t t_end; /* the end of the last action (the last read of the run's time) */
    uint64_t tick;  /* cycle counter at the run's start (ticks.c), 0: time actions with the clock */
    uint64_t mark;  /* cycle counter at t_end (when tick is not 0) */
} sc_engine__run;

#define SC_ENGINE__SUSPENDED (-1000000) /* internal: a guard or action suspended the run */

/* What sc_exec_suspend() noted for the engine to pick up when the call returns. */
typedef struct sc_engine__suspending {
    uint64_t token;
    sc_engine_cancel_fn cancel;
    void *ud;
    uint64_t started; /* mono µs of the call */
} sc_engine__suspending;

struct sc_engine {
    const sc_vocab *vocab;                           /* borrowed */
    sc_store *store;                                 /* borrowed */
    const sc_clock *clock;                           /* borrowed */
    const sc_logger *logger;                         /* borrowed, may be NULL */
    size_t max_queue;                                /* per-session queue bound */
    uint64_t retention_ms;                           /* terminal states without max_ms */
    sc_table *table;                                 /* current table (reference) or NULL */
    sc_guard_binding *guards;                        /* by guard id */
    size_t nguards;                                  /* entries in guards */
    sc_action_binding *actions;                      /* by action id */
    size_t nactions;                                 /* entries in actions */
    sc_session_timer **heap;                         /* min-heap on (deadline, order) */
    size_t heap_len, heap_cap;                       /* used / allocated */
    size_t heap_dead;                                /* entries cancelled in place (timers.c) */
    uint64_t timer_order;                            /* arming counter */
    sc_engine_observer obs[SC_ENGINE_MAX_OBSERVERS]; /* observers */
    bool obs_used[SC_ENGINE_MAX_OBSERVERS];          /* slot in use */
    int nobs;                                        /* highest used slot + 1 */
    sc_engine_stats stats;                           /* counters */
    uint64_t mono_base;                              /* mono time when wall_base was read */
    int64_t wall_base;                               /* wall time read at mono_base (resampled every second) */
    bool have_base;                                  /* mono_base/wall_base valid */
    struct sc_engine__versions *versions;            /* live table versions (versions.c), NULL until used */
    bool counting;                                   /* keep metrics (not cfg.counts_off) */
    sc_engine_metrics metrics;                       /* the counts of sc_engine_metrics_get() */
    uint64_t *trans_counts;                          /* metrics.transitions, owned */
    /* bit i: slot i has on_transition or an unfiltered on_publish (the per-run loop);
     * slot i has an on_publish with a publish_only name */
    uint8_t notify_mask, filtered_mask;
    struct sc_engine__pubcache {
        sc_table *table; /* reference held while cached, NULL = free slot */
        uint8_t *rows;   /* by row index: bit = slot whose publish_only the row publishes */
        size_t nrows;
    } pubcache[4];                     /* per-table answers for the filtered observers (dispatch.c) */
    sc_engine__suspending *suspending; /* set by sc_exec_suspend() during a guard or action */
    sc_engine__suspending susp_slot;   /* what it points to */
    bool exec_cached;                  /* sc_exec_mark_cached() during a guard */
    uint64_t next_token;               /* suspension tokens */
    sc_map pending;                    /* token text -> sc_engine__pending */
    struct sc_engine__ticks {          /* the cycle counter as a clock (ticks.c) */
        bool on;                       /* system clock and a TSC the kernel keeps time with */
        bool base_set;                 /* t0/m0 hold a sample */
        uint64_t t0, m0;               /* ticks and clock µs at the last clock sample */
        uint64_t mult;                 /* µs per tick, 32.32 fixed point; 0: not calibrated yet */
        uint64_t span;                 /* ticks in a sample period (a second) */
        uint64_t last;                 /* the last time handed out (never goes back) */
        unsigned ncal;                 /* ratios computed so far */
        uint64_t us_ticks;             /* ticks in a µs (0 until a ratio is known) */
        /* a run that starts before this tick (1 µs after the last read of action time) may
         * skip the read after its last untimed actions (dispatch.c, run_actions_ticks) */
        uint64_t read_until;
        uint64_t bursts; /* runs that could skip it: one in SC_ENGINE__BURST_READ reads all the same */
    } tk;
};

/* ---- ticks.c: monotonic µs from the cycle counter (see there) ---- */
#define SC_ENGINE__BURST_READ 16 /* (a power of two) */
#if defined(__x86_64__) && defined(__GNUC__)
#include <x86intrin.h>
#define SC_ENGINE__HAVE_TICKS 1
static inline uint64_t sc_engine__rdtick(void) { return __rdtsc(); }
#else
#define SC_ENGINE__HAVE_TICKS 0
static inline uint64_t sc_engine__rdtick(void) { return 0; }
#endif
/* Decide at creation whether e times with ticks (its clock is the system clock, the kernel's
 * clocksource is the TSC); _set turns them off (false) or back on, for the benchmark (the
 * calibration kept: on again, the counter is used at once). */
void sc_engine__ticks_init(sc_engine *e);
void sc_engine__ticks_set(sc_engine *e, bool on);
/* The slow path of sc_engine__now: read the clock, calibrate; *tick_out as there. */
uint64_t sc_engine__ticks_sample(sc_engine *e, uint64_t tick, uint64_t *tick_out);

/* Monotonic µs now, for the start of a run; *tick_out: the cycle counter it corresponds to,
 * or 0 when actions are to be timed with the clock (ticks off or not calibrated yet). */
static inline uint64_t sc_engine__now(sc_engine *e, uint64_t *tick_out)
{
    struct sc_engine__ticks *t = &e->tk;
    if (!t->on) {
        *tick_out = 0;
        return sc_clock_mono_us(e->clock);
    }
    uint64_t tick = sc_engine__rdtick();
    uint64_t d = tick - t->t0;
    /* span is 0 until a ratio is known, and a tick before t0 makes d wrap: one test for all */
    if (__builtin_expect(d >= t->span, 0))
        return sc_engine__ticks_sample(e, tick, tick_out);
    uint64_t mono = t->m0 + ((d * t->mult) >> 32);
    if (mono < t->last)
        mono = t->last;
    t->last = mono;
    *tick_out = tick;
    return mono;
}

/* The time of cycle counter `tick`, later than `from_tick` which was `from_us`: from_us plus
 * the ticks between, converted (tick was read after from_tick, within the sample period). */
static inline uint64_t sc_engine__tick_us(const sc_engine *e, uint64_t from_us, uint64_t from_tick, uint64_t tick)
{
    return tick > from_tick ? from_us + (((tick - from_tick) * e->tk.mult) >> 32) : from_us;
}

/* Wall time for mono time `mono`: derived from the last wall sample, read again when that
 * sample is over a second old or the clock went backwards. Saves a clock read per dispatch. */
int64_t sc_engine__wall_sample(sc_engine *e, uint64_t mono);
static inline int64_t sc_engine__wall_at(sc_engine *e, uint64_t mono)
{
    if (__builtin_expect(!e->have_base || mono - e->mono_base > 1000000u, 0)) /* (earlier: wraps) */
        return sc_engine__wall_sample(e, mono);
    return e->wall_base + (int64_t)(mono - e->mono_base);
}

/* sc_table_lookup() for s and event, inlined for the dispatch's hot path (same answer). */
static inline const sc_transition *const *sc_engine__lookup(const sc_session *s, sc_id event, size_t *n)
{
    const sc_table *t = s->table;
    if ((unsigned)s->role >= SC_ROLE_COUNT || s->state >= t->nstates || event >= t->nevents) {
        *n = 0;
        return NULL;
    }
    return sc_table__rows_at(t, (int)s->role, s->state, event, n);
}

/* sc_table_state() inlined (timers.c). */
static inline const sc_state_info *sc_engine__state_info(const sc_table *t, sc_id state)
{
    return t && state < t->nstates ? &t->states[state] : NULL;
}

/* dispatch.c */
/* The rows of run from where it stands (guards, then actions, conditions, the next state, the
 * record's outcome and the observers). SC_ENGINE_QUEUED when it suspended again. */
int sc_engine__run_rows(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec, sc_engine__run *run,
                        sc_outcome *outcome_out);
/* A suspended run answered: the guard's or action's result recorded, then the rest (the log
 * context names the session and event). */
int sc_engine__continue(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec, sc_engine__run *run,
                        int result, uint64_t started);
/* Run s's queued events until none is left or one suspends; then s is no longer busy (and its
 * removal completes) unless one suspended. */
void sc_engine__drain(sc_engine *e, sc_session *s, const sc_event **subject_ev);
void sc_engine__drain_logged(sc_engine *e, sc_session *s);
/* The history entries of one guard evaluation or action run. */
bool sc_engine__guard_done(sc_history_record *rec, const sc_call *call, bool v, bool cached);
void sc_engine__action_done(sc_history_record *rec, const sc_call *call, int rc, uint64_t t0, uint64_t t1);

/* suspend.c */
/* The run of ev stopped at a guard or action that called sc_exec_suspend(): keep it (the event
 * copied; its data taken when it has a data_free, else dropped) and leave s busy. Returns
 * SC_ENGINE_QUEUED (the caller no longer owns the event's data). */
int sc_engine__suspend_run(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec,
                           const sc_engine__run *run);
/* s is being removed while suspended: the pending call is cancelled (its cancel callback),
 * the run ends there, s is no longer busy. */
void sc_engine__cancel_pending(sc_engine *e, sc_session *s);
/* Engine teardown: every pending call cancelled and freed. */
void sc_engine__pending_free(sc_engine *e);

/* dispatch.c */
int sc_engine__enqueue(sc_engine *e, sc_session *s, const sc_event *ev, bool internal);
void sc_engine__drop_queue(sc_session *s);
/* The baseline for bench_engine: lookup + guards + actions + set + state change through the
 * same compiled table, without history, clock reads, timers, queue or observers.
 * Returns 0 / SC_E_NOT_ACCEPTED / SC_E_GUARDS_FAILED / SC_E_ACTION_FAILED. */
int sc_engine__dispatch_raw(sc_engine *e, sc_session *s, const sc_event *ev);

/* Metric counts of one run that started at mono µs and whose last action ended at t_end (the
 * hot path: a few plain increments). A run of 0 µs only counts by event: time bucket 0 is
 * derived when read (runs dispatched minus those in the other buckets). */
void sc_engine__count_grow(sc_engine *e, sc_id event);
void sc_engine__count_new_event(sc_engine *e, sc_id event, sc_outcome o);
static inline void sc_engine__count_run(sc_engine *e, sc_id event, sc_outcome o, uint64_t mono, uint64_t t_end)
{
    if (!e->counting)
        return;
    if (__builtin_expect(event < e->metrics.nevents, 1))
        e->trans_counts[(size_t)event * SC_ENGINE_OUTCOMES + (unsigned)o]++;
    else
        sc_engine__count_new_event(e, event, o);
    if (t_end > mono) {
        e->metrics.time_buckets[sc_engine_time_bucket(t_end - mono)]++;
        e->metrics.time_sum_us += t_end - mono;
    }
}
/* The filtered observers changed: forget the per-table publish answers. */
void sc_engine__pubcache_clear(sc_engine *e);
/* Bit i set: tr (a row of table) publishes the publish_only name of observer slot i. Cached
 * per table (a reference is held while cached, four tables at most). */
uint8_t sc_engine__publish_bits(sc_engine *e, sc_table *table, const sc_transition *tr);

/* timers.c */
/* Arm the timers of s's state. */
void sc_engine__arm_state(sc_engine *e, sc_session *s, uint64_t now_mono);
void sc_engine__cancel_timers(sc_engine *e, sc_session *s, bool all);
/* Only the scheduled events (all, or those cancelled on exit). */
void sc_engine__cancel_sched(sc_engine *e, sc_session *s, bool all);
int sc_engine__reserve_timers(sc_engine *e, size_t extra);
/* The state timer and the limit/retention timer only (scheduled events stay). */
void sc_engine__cancel_state_timers(sc_engine *e, sc_session *s);
/* (Re)arm t: one already in the heap (live or dead) moves to its new place (as if removed and
 * pushed again: it gets a new arming order), without a removal and a push. */
void sc_engine__timer_arm(sc_engine *e, sc_session_timer *t, uint8_t kind, sc_id event, uint64_t deadline);

/* t is in the heap (live or dead). */
static inline bool sc_engine__timer_armed(const sc_engine *e, const sc_session_timer *t)
{
    return t->heap_index < e->heap_len && e->heap[t->heap_index] == t;
}

/* Cancel a state or limit timer lazily: it stays in the heap, dead, for sc_engine__timer_arm
 * to reuse. */
static inline void sc_engine__timer_drop(sc_engine *e, sc_session_timer *t)
{
    if (t->kind != SC_TIMER_DEAD && sc_engine__timer_armed(e, t)) {
        t->kind = SC_TIMER_DEAD;
        e->heap_dead++;
    }
}

/* Arm the timers of s's state, which it entered from state `from`; with `replace`, its state
 * and limit timers of the state left are re-armed in place or removed. True when that state
 * is terminal and `from` is another, non-terminal one (the session ended). Inline: every
 * dispatch that changes state comes here. */
static inline __attribute__((always_inline)) bool sc_engine__arm_state_from(sc_engine *e, sc_session *s, uint64_t now,
                                                                            sc_id from, bool replace)
{
    const sc_state_info *si = sc_engine__state_info(s->table, s->state);
    if (!si) {
        if (replace)
            sc_engine__cancel_state_timers(e, s);
        return false;
    }
    if (si->timer_ms)
        sc_engine__timer_arm(e, &s->state_timer, SC_TIMER_STATE,
                             si->timer_event != SC_ID_NONE ? si->timer_event : (sc_id)SC_EV_StateTimer,
                             now + (uint64_t)si->timer_ms * 1000u);
    else if (replace)
        sc_engine__timer_drop(e, &s->state_timer);
    if (si->terminal) {
        uint64_t keep = si->max_ms ? si->max_ms : e->retention_ms;
        if (keep)
            sc_engine__timer_arm(e, &s->limit_timer, SC_TIMER_RETENTION, SC_ID_NONE, now + keep * 1000u);
        else if (replace)
            sc_engine__timer_drop(e, &s->limit_timer);
        if (from == s->state)
            return false;
        const sc_state_info *fi = sc_engine__state_info(s->table, from);
        return !fi || !fi->terminal;
    }
    if (si->max_ms)
        sc_engine__timer_arm(e, &s->limit_timer, SC_TIMER_EXPIRE, SC_EV_SessionExpired, now + si->max_ms * 1000u);
    else if (replace)
        sc_engine__timer_drop(e, &s->limit_timer);
    return false;
}

/* Move s to `to` and arm its timers; true when that entered a terminal state from a
 * non-terminal one (the session ended). */
static inline bool sc_engine__enter_state(sc_engine *e, sc_session *s, sc_id to, uint64_t now_mono, int64_t now_wall)
{
    if (s->sched)
        sc_engine__cancel_sched(e, s, false);
    sc_id from = s->state;
    s->state = to;
    s->entered_mono_us = now_mono;
    s->entered_wall_us = now_wall;
    return sc_engine__arm_state_from(e, s, now_mono, from, true);
}

/* migrate.c: after a reload made `to` current, move every live session whose state `to`'s
 * `migrate:` map names onto it (docs/reload.md). report (may be NULL) receives "migrated"
 * and "migrated_states"; warnings about sessions left behind go to diags. Returns how many
 * sessions moved. */
size_t sc_engine__migrate(sc_engine *e, sc_table *to, json_t *report, sc_diags *diags);
/* Warnings for `migrate:` entries of candidate t naming no live state of the current table. */
void sc_engine__migrate_check(const sc_engine *e, const sc_table *t, sc_diags *diags);

/* engine.c */
void sc_engine__finish_remove(sc_engine *e, sc_session *s);
/* A history record that no table row made (Migrated, Killed): from -> the session's state,
 * outcome taken, shown to the observers like a run. */
void sc_engine__note(sc_engine *e, sc_session *s, sc_id from, sc_id event, int32_t code, const char *text,
                     uint64_t mono, int64_t wall);

/* versions.c: bookkeeping of live table versions, called by engine.c.
 * Before table becomes current: register it (next counter) unless it is current already;
 * -ENOMEM leaves everything as it was. */
int sc_engine__versions_set(sc_engine *e, sc_table *table);
/* A session on table was created (+1) or is about to leave the store (-1); a version that is
 * not current and has no session left is released. Never fails (a table the registry does not
 * know is registered on +1 when memory allows; counts of unknown tables are ignored). */
void sc_engine__versions_session(sc_engine *e, sc_table *table, int delta);
/* Drop every version's reference and the registry (engine teardown). */
void sc_engine__versions_free(sc_engine *e);

#endif
