/* events_int: the bus's and subscriptions' internal structures, shared by src/events/ files. */
#ifndef SC_EVENTS_INT_H
#define SC_EVENTS_INT_H

#include "session_core/events.h"

#define SC_EVENTS_PENDING_MAX 64

typedef struct sc_events_qent {
    sc_bus_event ev;  /* the queued copy */
    uint64_t mono_us; /* when it was queued (lag in seconds) */
} sc_events_qent;

struct sc_events_sub {
    sc_events_bus *bus;         /* owning bus (NULL once the bus is gone) */
    sc_events_sub *prev, *next; /* the bus's list of every subscription */
    char name[SC_EVENT_ID_MAX]; /* given name */
    sc_events_filter filter;    /* points into the storage below */
    char patterns[SC_EVENTS_MAX_PATTERNS][SC_EVENTS_PATTERN_MAX];
    char states[SC_EVENTS_MAX_STATES][SC_EVENT_NAME_MAX];
    char names[SC_EVENTS_MAX_NAMES][SC_EVENT_NAME_MAX];
    uint32_t types;        /* effective type mask (0 in the filter = all) */
    sc_events_cb callback; /* NULL = queue mode */
    void *ud;
    sc_events_overflow overflow; /* policy when full */
    uint64_t idle_limit_us;      /* reap after this long undrained */
    /* queue: entries[] slots, order[] a ring of slot numbers (oldest first), a free stack */
    sc_events_qent *entries;
    uint32_t *order;
    uint32_t *freeslots;
    uint32_t cap, head, count, nfree;
    uint32_t high_water;
    uint64_t nonempty_since_us; /* when the queue last went from empty to non-empty */
    uint64_t last_drain_us;     /* when the consumer last took an event */
    uint64_t last_consumed_seq; /* seq of the last event taken or delivered */
    bool paused;
    bool closed; /* closed by the bus (overflow, idle); stays drainable */
    bool dead;   /* unsubscribed; freed at the next sweep */
    char close_reason[SC_EVENT_NAME_MAX];
    uint64_t delivered;
    uint64_t dropped[SC_EVENTS_DROP_REASONS];
};

struct sc_events_bus {
    const sc_clock *clock; /* borrowed */
    sc_bus_event *ring;    /* the last ring_cap events, slot = seq % ring_cap */
    uint32_t ring_cap;
    uint32_t ring_count;          /* events held (<= ring_cap) */
    uint64_t last_seq;            /* the newest seq assigned */
    uint64_t epoch;               /* this run's id (resume points of other runs are reset) */
    uint64_t idle_limit_us;       /* default for subscriptions */
    sc_events_history_fn history; /* resume hook */
    void *history_ud;
    sc_events_sub **index[SC_EVT__COUNT]; /* per type: subscribers that want it */
    uint32_t index_len[SC_EVT__COUNT];
    uint32_t index_cap[SC_EVT__COUNT];
    sc_events_sub *subs;                         /* every subscription, for reaping, foreach and free */
    uint32_t depth;                              /* > 0 while delivering: publishes are deferred */
    bool needs_sweep;                            /* a subscription was closed or unsubscribed meanwhile */
    sc_bus_event pending[SC_EVENTS_PENDING_MAX]; /* publishes deferred during delivery (FIFO) */
    uint32_t pending_head, pending_count;
};

/* Offer one event to one subscription (filter already checked): callback or queue, with the
 * pause and overflow rules. */
void sc_events__offer(sc_events_sub *sub, const sc_bus_event *ev);
/* Enter/leave a delivery: leaving the outermost one delivers deferred publishes and sweeps. */
void sc_events__enter(sc_events_bus *bus);
void sc_events__leave(sc_events_bus *bus);
/* Replay seq > last_seq into sub (ring, history hook, Gap). Called inside enter/leave. */
void sc_events__replay(sc_events_bus *bus, sc_events_sub *sub, uint64_t last_seq);
/* The reference JSON writer (jansson object, dumped compact in insertion order): the
 * document sc_bus_event_format_json() writes directly, for tests and benchmarks. malloc'd. */
char *sc_events__to_json_jansson(const sc_bus_event *ev);

#endif
