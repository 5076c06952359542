/* events: session-core's event bus. Typed events with a global sequence number, filtered
 * subscriptions (type bitmask, priority, roles, states, session-id/URI globs) delivered by
 * callback or into a bounded per-subscriber queue with a declared overflow policy, idle
 * reaping, and resume by sequence number (in-memory ring, then a history reader hook, then an
 * explicit Gap event).
 *
 * Threading: the bus and its subscriptions belong to one thread (the loop). Publish, subscribe,
 * drain (sc_events_sub_next) and reap all run there; an HTTP/SSE thread pulls events by asking
 * the loop. Publishing never blocks and never allocates: queues are fixed rings allocated at
 * subscribe time. Event strings are copied into fixed fields (longer ones are truncated). */
#ifndef SESSION_CORE_EVENTS_H
#define SESSION_CORE_EVENTS_H

#include "session_core/base.h"
#include "session_core/table.h" /* sc_priority, sc_role */

/* X(Name, default priority) — the one list of event types. */
#define SC_EVENT_TYPES(X)           \
    X(SessionCreated, NORMAL)       \
    X(StateChanged, NORMAL)         \
    X(TransitionFailed, NORMAL)     \
    X(CallEstablished, NORMAL)      \
    X(MediaStarted, LOW)            \
    X(MediaStopped, LOW)            \
    X(DtmfReceived, LOW)            \
    X(HoldStarted, NORMAL)          \
    X(HoldEnded, NORMAL)            \
    X(TransferProgress, NORMAL)     \
    X(BridgeCreated, NORMAL)        \
    X(BridgeEnded, NORMAL)          \
    X(SessionEnded, CRITICAL)       \
    X(SessionReaped, CRITICAL)      \
    X(TableReloaded, CRITICAL)      \
    X(StoreHealthChanged, CRITICAL) \
    X(SubscriberReaped, NORMAL)     \
    X(Gap, CRITICAL)                \
    X(StreamReset, CRITICAL)        \
    X(App, NORMAL)

typedef enum sc_bus_event_type {
#define SC_EVENT_TYPE_ENUM(name, prio) SC_EVT_##name,
    /* clang-format off */
    SC_EVENT_TYPES(SC_EVENT_TYPE_ENUM)
#undef SC_EVENT_TYPE_ENUM
    SC_EVT__COUNT
    /* clang-format on */
} sc_bus_event_type;

#define SC_EVENT_BIT(t) (UINT32_C(1) << (t))
#define SC_EVENT_ALL ((UINT32_C(1) << SC_EVT__COUNT) - 1)

/* Priorities are table.h's sc_priority (SC_PRIO_LOW 0, NORMAL 1, CRITICAL 2). An event's
 * priority field may also hold SC_BUS_PRIO_DEFAULT: on publish, use the type's default. */
#define SC_BUS_PRIO_DEFAULT (-1)

/* Roles carried by events; same values as sc_role in table.h. */
#define SC_EVENT_ROLE_NONE (-1)
#define SC_EVENT_ROLE_UAC 0
#define SC_EVENT_ROLE_UAS 1

#define SC_EVENT_ID_MAX 48 /* session ids, subscriber names */
#define SC_EVENT_URI_MAX 128
#define SC_EVENT_NAME_MAX 48  /* state, event, outcome, kind, reason, version names */
#define SC_EVENT_TEXT_MAX 160 /* free text (errors, app detail) */

typedef struct sc_bus_event {
    sc_bus_event_type type;
    int priority;                     /* sc_priority; SC_BUS_PRIO_DEFAULT (sc_bus_event_init's)
                                     * on publish = the type's default; set by the bus */
    uint64_t seq;                     /* assigned by the bus (Gap: = to_seq) */
    int64_t wall_us;                  /* assigned by the bus when 0 */
    int role;                         /* SC_EVENT_ROLE_* */
    char session_id[SC_EVENT_ID_MAX]; /* "" for events not about one session */
    char uri[SC_EVENT_URI_MAX];       /* remote URI of the session, "" if none */
    char state[SC_EVENT_NAME_MAX];    /* the session's state after the event */
    union {
        struct {
            char from[SC_EVENT_NAME_MAX], event[SC_EVENT_NAME_MAX], to[SC_EVENT_NAME_MAX];
        } state_changed;
        struct {
            char kind[SC_EVENT_NAME_MAX], event[SC_EVENT_NAME_MAX];
        } transition_failed;
        struct {
            char codec[16];
            char remote[64];
            char reason[SC_EVENT_NAME_MAX]; /* Started: the engine event that started it;
                                               Stopped: "stopped", "timeout" or "ended" */
        } media;                            /* MediaStarted/Stopped */
        struct {
            char digit;
            int duration_ms;
        } dtmf;
        struct {
            char status[SC_EVENT_NAME_MAX];
            int sip_code;
            int percent;
        } transfer;
        struct {
            char peer_id[SC_EVENT_ID_MAX];
        } bridge; /* BridgeCreated/Ended */
        struct {
            char outcome[SC_EVENT_NAME_MAX];
            int sip_cause;
            int64_t duration_us;
        } ended;
        struct {
            char reason[SC_EVENT_NAME_MAX];
        } reaped; /* SessionReaped */
        struct {
            char version[SC_EVENT_NAME_MAX];
            bool ok;
            char error[SC_EVENT_TEXT_MAX];
        } table;
        struct {
            bool ok;
            char reason[SC_EVENT_TEXT_MAX];
        } store;
        struct {
            char name[SC_EVENT_ID_MAX], reason[SC_EVENT_NAME_MAX];
            uint64_t dropped;
        } subscriber;
        struct {
            uint64_t from_seq, to_seq;
        } gap;
        struct {
            uint64_t epoch;                 /* the run whose events follow */
            char reason[SC_EVENT_NAME_MAX]; /* "other_run": the resume point is not this run's */
        } reset;                            /* StreamReset */
        struct {
            char name[SC_EVENT_NAME_MAX];
            char detail[SC_EVENT_TEXT_MAX];
        } app;
    } u; /* type-specific payload */
} sc_bus_event;

SC_EXPORT const char *sc_bus_event_type_name(sc_bus_event_type t);               /* "StateChanged"; "?" */
SC_EXPORT int sc_bus_event_type_parse(const char *name, sc_bus_event_type *out); /* 0 or -EINVAL */
SC_EXPORT sc_priority sc_bus_event_type_default_priority(sc_bus_event_type t);
SC_EXPORT const char *sc_bus_event_priority_name(int p); /* "low" "normal" "critical" "default" */
SC_EXPORT int sc_bus_event_priority_parse(const char *name, sc_priority *out);

/* Zero *ev and set its type, session id, role and state (strings copied, truncated; NULLs
 * allowed); priority = SC_BUS_PRIO_DEFAULT. */
SC_EXPORT void sc_bus_event_init(sc_bus_event *ev, sc_bus_event_type type, const char *session_id, int role,
                                 const char *state);
/* Copy src into a fixed field of size cap with NUL termination (NULL = ""). */
SC_EXPORT void sc_bus_event_strcpy(char *dst, size_t cap, const char *src);

/* JSON wire format (docs/events.md): one object, compact, malloc'd (caller free()s); NULL on
 * -ENOMEM. sc_bus_event_from_json() reads that shape back (-EINVAL on a bad document). */
SC_EXPORT char *sc_bus_event_to_json(const sc_bus_event *ev);
/* The longest JSON document of any event, NUL included (every string field at its maximal
 * length, each byte escaped as \u00XX): a buffer of this size always fits. */
#define SC_BUS_EVENT_JSON_MAX 4096
/* The same document written into buf (cap bytes, NUL-terminated) without allocating: returns
 * its length without the NUL, or -ENOSPC when it does not fit (never when cap >=
 * SC_BUS_EVENT_JSON_MAX). Bytes that are not valid UTF-8 are written as sc_text_escape maps them. */
SC_EXPORT int sc_bus_event_format_json(const sc_bus_event *ev, char *buf, size_t cap);
SC_EXPORT int sc_bus_event_from_json(const char *json, sc_bus_event *out);

/* ---- Bus ------------------------------------------------------------------------------ */

typedef struct sc_events_bus sc_events_bus;
typedef struct sc_events_sub sc_events_sub;

/* Resume hook: deliver, in ascending order, the logged events with from_seq <= seq <= to_seq
 * by calling emit(emit_ctx, &ev) for each. It may deliver fewer (the log no longer keeps
 * them): the bus turns every hole into a Gap event and ignores duplicates, so exactly-once
 * holds whatever the hook does. Returns 0 or a negative error (everything then missing is a
 * gap). Runs on the loop thread, synchronously. */
typedef void (*sc_events_emit_fn)(void *emit_ctx, const sc_bus_event *ev);
typedef int (*sc_events_history_fn)(void *ud, uint64_t from_seq, uint64_t to_seq, sc_events_emit_fn emit,
                                    void *emit_ctx);

typedef struct sc_events_bus_cfg {
    const sc_clock *clock;               /* borrowed; NULL = system clock */
    uint32_t ring_capacity;              /* recent events kept for resume (0 = 4096) */
    uint64_t start_seq;                  /* the first event published gets start_seq + 1 (continue a log) */
    uint64_t epoch;                      /* this run's id, part of every resume point (0 = the wall
                                            clock in microseconds at creation: unique per run and,
                                            in practice, per node) */
    uint64_t idle_limit_us;              /* default idle limit for queue subscribers (0 = 30 s) */
    sc_events_history_fn history_reader; /* may be NULL (then old events are a Gap) */
    void *history_ud;
} sc_events_bus_cfg;

SC_EXPORT int sc_events_bus_new(sc_events_bus **out, const sc_events_bus_cfg *cfg); /* -ENOMEM */
/* Frees the bus and every subscription still attached (handles become invalid). */
SC_EXPORT void sc_events_bus_free(sc_events_bus *bus);
SC_EXPORT void sc_events_set_history_reader(sc_events_bus *bus, sc_events_history_fn fn, void *ud);

/* Publish a copy of *ev: assigns seq, wall time (if 0) and priority (if DEFAULT), keeps it in
 * the ring, delivers it to matching subscribers. Never blocks. A publish from inside a
 * delivery callback is queued behind the current one (so every subscriber sees sequence
 * order); -EAGAIN if that small queue (64) is full. Returns 0 and writes the seq to *seq_out
 * (may be NULL). */
SC_EXPORT int sc_events_publish(sc_events_bus *bus, const sc_bus_event *ev, uint64_t *seq_out);
SC_EXPORT uint64_t sc_events_last_seq(const sc_events_bus *bus);
SC_EXPORT uint64_t sc_events_oldest_in_ring(const sc_events_bus *bus); /* 0 if ring empty */

/* ---- Subscriptions ---------------------------------------------------------------------- */

#define SC_EVENTS_MAX_PATTERNS 8
#define SC_EVENTS_MAX_STATES 8
#define SC_EVENTS_MAX_NAMES 8
#define SC_EVENTS_PATTERN_MAX 128

typedef struct sc_events_filter {
    uint32_t types;                               /* bitmask of SC_EVENT_BIT(type); 0 = all */
    sc_priority min_priority;                     /* SC_PRIO_LOW (0) = everything */
    uint32_t roles;                               /* bit (1 << role); 0 = any (events with no role too) */
    const char *patterns[SC_EVENTS_MAX_PATTERNS]; /* globs (* ? [..]) on session id or URI;
                                                   * NULL-terminated; none = any */
    const char *states[SC_EVENTS_MAX_STATES];     /* state names; NULL-terminated; none = any */
    const char *names[SC_EVENTS_MAX_NAMES];       /* App events: their names (globs); NULL-
                                                   * terminated; none = any. Other types are
                                                   * not filtered by name */
} sc_events_filter;

typedef enum sc_events_overflow {
    SC_EVENTS_DROP_OLDEST = 0, /* full queue: drop the oldest queued event */
    SC_EVENTS_COALESCE = 1,    /* full queue: drop an older StateChanged of a session that has a
                                * newer one queued (or coming in); never SessionEnded nor
                                * critical events; else drop the oldest non-critical */
    SC_EVENTS_DISCONNECT = 2,  /* full queue: close the subscription (SubscriberReaped) */
} sc_events_overflow;

SC_EXPORT const char *sc_events_overflow_name(sc_events_overflow p);
SC_EXPORT int sc_events_overflow_parse(const char *name, sc_events_overflow *out);

typedef void (*sc_events_cb)(void *ud, const sc_bus_event *ev);

typedef struct sc_events_sub_cfg {
    const char *name;        /* copied; used in metrics labels and SubscriberReaped */
    sc_events_filter filter; /* copied (strings too) */
    sc_events_cb callback;   /* non-NULL: synchronous delivery on publish */
    void *ud;
    uint32_t queue_capacity;     /* queue mode: ring size (0 = 1024); callback mode: events
                                   * buffered while paused (0 = none, dropped as "paused") */
    sc_events_overflow overflow; /* policy when the queue is full */
    uint64_t idle_limit_us;      /* 0 = the bus default */
} sc_events_sub_cfg;

typedef enum sc_events_drop_reason {
    SC_EVENTS_DROP_OVERFLOW = 0,  /* queue full, oldest (non-critical) dropped */
    SC_EVENTS_DROP_COALESCED = 1, /* superseded StateChanged removed */
    SC_EVENTS_DROP_PAUSED = 2,    /* paused and the buffer is full */
    SC_EVENTS_DROP_CLOSED = 3,    /* events lost when a subscription was closed */
} sc_events_drop_reason;
#define SC_EVENTS_DROP_REASONS 4
SC_EXPORT const char *sc_events_drop_reason_name(sc_events_drop_reason r);

typedef struct sc_events_sub_stats {
    uint64_t delivered;                       /* handed to the callback or drained */
    uint64_t dropped[SC_EVENTS_DROP_REASONS]; /* by reason */
    uint32_t queue_depth;                     /* events waiting */
    uint32_t queue_capacity;
    uint32_t queue_high_water;
    uint64_t lag_events; /* newest published seq - last consumed seq */
    double lag_seconds;  /* age of the oldest waiting event */
    bool paused;
    bool closed;
    char close_reason[SC_EVENT_NAME_MAX]; /* "overflow", "idle", "" */
} sc_events_sub_stats;

/* Subscribe. *out set on success; the caller owns the handle and must sc_events_unsubscribe()
 * it, even after the bus closed it. -EINVAL bad cfg, -ENOMEM. */
SC_EXPORT int sc_events_subscribe(sc_events_bus *bus, const sc_events_sub_cfg *cfg, sc_events_sub **out);
/* Subscribe and first replay the matching events with seq > last_seq (ring, then the history
 * reader, then a Gap event for what neither holds). The replay goes through the queue (its
 * overflow policy applies) or the callback. */
SC_EXPORT int sc_events_subscribe_from(sc_events_bus *bus, const sc_events_sub_cfg *cfg, uint64_t last_seq,
                                       sc_events_sub **out);
/* Resume from a point (epoch, last_seq) a consumer kept, e.g. an SSE Last-Event-ID
 * "<epoch>-<seq>": with this bus's epoch, as sc_events_subscribe_from; with another (a restart,
 * another node), the consumer first gets a StreamReset event (seq 0) and then this run's events
 * from its first (ring, history, Gap), never a silent wrong resume. */
SC_EXPORT int sc_events_subscribe_resume(sc_events_bus *bus, const sc_events_sub_cfg *cfg, uint64_t epoch,
                                         uint64_t last_seq, sc_events_sub **out);
SC_EXPORT uint64_t sc_events_epoch(const sc_events_bus *bus);
/* Detach and free (NULL: no-op). Safe from inside a callback (freed after the delivery). */
SC_EXPORT void sc_events_unsubscribe(sc_events_sub *sub);
SC_EXPORT void sc_events_pause(sc_events_sub *sub);
/* Resume: a callback subscriber receives what was buffered while paused. */
SC_EXPORT void sc_events_resume(sc_events_sub *sub);

/* Queue mode: take the oldest waiting event. 0, -EAGAIN when empty, -EPIPE when empty and
 * the subscription was closed (stats say why). */
SC_EXPORT int sc_events_sub_next(sc_events_sub *sub, sc_bus_event *out);
/* How many events are waiting. */
SC_EXPORT uint32_t sc_events_sub_pending(const sc_events_sub *sub);
/* Empty the queue, counting each waiting event as dropped with reason "closed" (for a consumer
 * that leaves, or is dropped, with events still queued: call before unsubscribing so that
 * every offered event ends up drained or counted). Returns how many were discarded. */
SC_EXPORT uint32_t sc_events_sub_discard(sc_events_sub *sub);
SC_EXPORT void sc_events_sub_stats_get(const sc_events_sub *sub, sc_events_sub_stats *st);
SC_EXPORT const char *sc_events_sub_name(const sc_events_sub *sub);

/* Close every queue subscriber whose queue has held events, undrained, for longer than its
 * idle limit (closed with reason "idle", a SubscriberReaped event published). Returns how
 * many were reaped. */
SC_EXPORT int sc_events_reap_idle(sc_events_bus *bus);
/* Visit every subscription (e.g. to export its counters as metrics). */
SC_EXPORT void sc_events_foreach_sub(sc_events_bus *bus, void (*fn)(void *ud, sc_events_sub *sub), void *ud);

/* The brute-force matcher the bus's index is equivalent to (also used by tests). */
SC_EXPORT bool sc_events_filter_match(const sc_events_filter *f, const sc_bus_event *ev);

#endif
