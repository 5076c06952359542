/* Tests for the event bus: filter property test against a brute-force matcher (App names too), overflow
 * policies, pause, idle reaping, resume (ring, history hook, gap), bounded memory, JSON. */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/events.h"

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *const sessions[] = {"s-1", "s-2", "s-10", "call-7", "x"};
static const char *const uris[] = {"sip:bob@example.com", "sip:alice@10.0.0.1", ""};
static const char *const states[] = {"Idle", "Ringing", "Talking", "OnHold", "Terminated"};
static const char *const pats[] = {"s-*", "s-?", "*bob*", "call-[0-9]", "nomatch", "sip:alice@*"};
static const char *const apps[] = {"NotifyCRM", "QueueJoined", "QueueLeft", "Billing"};
static const char *const app_pats[] = {"NotifyCRM", "Queue*", "B?lling", "nomatch"};

static void random_event(sc_bus_event *ev)
{
    sc_bus_event_init(ev, (sc_bus_event_type)rnd(SC_EVT__COUNT), sessions[rnd(5)], (int)rnd(3) - 1, states[rnd(5)]);
    sc_bus_event_strcpy(ev->uri, sizeof ev->uri, uris[rnd(3)]);
    if (ev->type == SC_EVT_App)
        sc_bus_event_strcpy(ev->u.app.name, sizeof ev->u.app.name, apps[rnd(4)]);
    ev->priority = (int)rnd(4) - 1; /* SC_BUS_PRIO_DEFAULT or an sc_priority */
}

typedef struct rfilter {
    uint32_t types, roles;
    sc_priority minp;
    int npat, nst, napp;
    const char *pat[3], *st[3], *app[3];
} rfilter;

static void random_filter(rfilter *rf, sc_events_filter *f)
{
    memset(rf, 0, sizeof *rf);
    memset(f, 0, sizeof *f);
    rf->types = rnd(3) == 0 ? 0 : (uint32_t)(rnd(1u << 20)) & SC_EVENT_ALL;
    rf->roles = rnd(3);
    rf->minp = (sc_priority)rnd(3);
    rf->npat = (int)rnd(3);
    rf->nst = (int)rnd(3);
    for (int i = 0; i < rf->npat; i++)
        f->patterns[i] = rf->pat[i] = pats[rnd(6)];
    for (int i = 0; i < rf->nst; i++)
        f->states[i] = rf->st[i] = states[rnd(5)];
    rf->napp = (int)rnd(3);
    for (int i = 0; i < rf->napp; i++)
        f->names[i] = rf->app[i] = app_pats[rnd(4)];
    f->types = rf->types;
    f->roles = rf->roles;
    f->min_priority = rf->minp;
}

/* The brute force: every rule spelled out independently of the bus. */
static bool brute_match(const rfilter *rf, const sc_bus_event *ev)
{
    if (rf->types != 0 && !((rf->types >> ev->type) & 1))
        return false;
    int p = ev->priority >= 0 ? ev->priority : (int)sc_bus_event_type_default_priority(ev->type);
    if ((int)p < (int)rf->minp)
        return false;
    if (rf->roles && (ev->role < 0 || !((rf->roles >> ev->role) & 1)))
        return false;
    bool ok = rf->nst == 0;
    for (int i = 0; i < rf->nst; i++)
        ok |= strcmp(rf->st[i], ev->state) == 0;
    if (!ok)
        return false;
    ok = rf->napp == 0 || ev->type != SC_EVT_App; /* names filter App events only */
    for (int i = 0; !ok && i < rf->napp; i++)
        ok = fnmatch(rf->app[i], ev->u.app.name, 0) == 0;
    if (!ok)
        return false;
    ok = rf->npat == 0;
    for (int i = 0; i < rf->npat; i++)
        ok |= (ev->session_id[0] && fnmatch(rf->pat[i], ev->session_id, 0) == 0) ||
              (ev->uri[0] && fnmatch(rf->pat[i], ev->uri, 0) == 0);
    return ok;
}

#define NSUB 24
#define NEV 400
typedef struct got {
    uint64_t seqs[NEV];
    int n;
} got;

static void record(void *ud, const sc_bus_event *ev)
{
    got *g = ud;
    g->seqs[g->n++] = ev->seq;
}

static void test_property_filters_match_brute_force(void **state)
{
    (void)state;
    for (int iter = 0; iter < 150; iter++) {
        sc_events_bus *bus = NULL;
        assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
        static rfilter rf[NSUB];
        static got cbgot[NSUB];
        sc_events_sub *subs[NSUB];
        memset(cbgot, 0, sizeof cbgot);
        for (int i = 0; i < NSUB; i++) {
            sc_events_sub_cfg cfg = {.name = "p"};
            random_filter(&rf[i], &cfg.filter);
            if (i % 2) {
                cfg.callback = record;
                cfg.ud = &cbgot[i];
            } else {
                cfg.queue_capacity = NEV;
            }
            assert_int_equal(sc_events_subscribe(bus, &cfg, &subs[i]), 0);
        }
        static sc_bus_event evs[NEV];
        for (int e = 0; e < NEV; e++) {
            random_event(&evs[e]);
            assert_int_equal(sc_events_publish(bus, &evs[e], &evs[e].seq), 0);
        }
        for (int i = 0; i < NSUB; i++) {
            got expect = {0}, actual = {0};
            for (int e = 0; e < NEV; e++)
                if (brute_match(&rf[i], &evs[e]))
                    expect.seqs[expect.n++] = evs[e].seq;
            if (i % 2) {
                actual = cbgot[i];
            } else {
                sc_bus_event ev;
                while (sc_events_sub_next(subs[i], &ev) == 0)
                    actual.seqs[actual.n++] = ev.seq;
            }
            assert_int_equal(actual.n, expect.n);
            assert_memory_equal(actual.seqs, expect.seqs, sizeof(uint64_t) * (size_t)expect.n);
            sc_events_unsubscribe(subs[i]);
        }
        sc_events_bus_free(bus);
    }
}

static void pub(sc_events_bus *bus, sc_bus_event_type t, const char *sid, const char *st)
{
    sc_bus_event ev;
    sc_bus_event_init(&ev, t, sid, SC_EVENT_ROLE_UAS, st);
    assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
}

static void test_drop_oldest(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *s = NULL;
    sc_events_sub_cfg cfg = {.name = "slow", .queue_capacity = 4, .overflow = SC_EVENTS_DROP_OLDEST};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &s), 0);
    for (int i = 0; i < 10; i++)
        pub(bus, SC_EVT_StateChanged, "a", "S");
    sc_events_sub_stats st;
    sc_events_sub_stats_get(s, &st);
    assert_int_equal(st.queue_depth, 4);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_OVERFLOW], 6);
    assert_int_equal(st.lag_events, 10);
    sc_bus_event ev;
    for (uint64_t want = 7; want <= 10; want++) {
        assert_int_equal(sc_events_sub_next(s, &ev), 0);
        assert_int_equal(ev.seq, want);
    }
    assert_int_equal(sc_events_sub_next(s, &ev), -EAGAIN);
    sc_events_sub_stats_get(s, &st);
    assert_int_equal(st.delivered, 4);
    assert_int_equal(st.lag_events, 0);
    sc_events_unsubscribe(s);
    sc_events_bus_free(bus);
}

static void test_coalesce_keeps_latest_and_never_session_ended(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *s = NULL;
    sc_events_sub_cfg cfg = {.name = "c", .queue_capacity = 4, .overflow = SC_EVENTS_COALESCE};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &s), 0);
    pub(bus, SC_EVT_SessionEnded, "a", "Terminated"); /* 1 */
    pub(bus, SC_EVT_StateChanged, "b", "Ringing");    /* 2 */
    pub(bus, SC_EVT_StateChanged, "c", "Ringing");    /* 3 */
    pub(bus, SC_EVT_SessionEnded, "d", "Terminated"); /* 4 */
    pub(bus, SC_EVT_StateChanged, "b", "Talking");    /* 5: replaces 2 */
    pub(bus, SC_EVT_StateChanged, "e", "Talking");    /* 6: drops 3 (oldest non-critical) */
    pub(bus, SC_EVT_SessionEnded, "f", "Terminated"); /* 7: drops 5 */
    pub(bus, SC_EVT_SessionEnded, "g", "Terminated"); /* 8: drops 6 */
    pub(bus, SC_EVT_StateChanged, "h", "Talking");    /* 9: queue all critical: dropped */
    pub(bus, SC_EVT_SessionEnded, "i", "Terminated"); /* 10: nothing to drop: closed */
    pub(bus, SC_EVT_SessionEnded, "j", "Terminated"); /* 11: after the close: not offered */
    uint64_t want[] = {1, 4, 7, 8};
    sc_events_sub_stats st;
    sc_events_sub_stats_get(s, &st);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_COALESCED], 1);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_OVERFLOW], 4);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], 1);
    sc_bus_event ev;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sc_events_sub_next(s, &ev), 0);
        assert_int_equal(ev.seq, want[i]);
        assert_int_equal(ev.type, SC_EVT_SessionEnded);
    }
    assert_int_equal(sc_events_sub_next(s, &ev), -EPIPE); /* the consumer resumes from seq 8 */
    /* Random stress: every SessionEnded survives while the queue holds fewer than cap. */
    sc_events_sub *s2 = NULL;
    cfg.queue_capacity = 32;
    assert_int_equal(sc_events_subscribe(bus, &cfg, &s2), 0);
    int ended = 0;
    for (int i = 0; i < 5000; i++) {
        char sid[16];
        snprintf(sid, sizeof sid, "s%u", rnd(50));
        bool end = rnd(100) == 0 && ended < 31;
        ended += end;
        pub(bus, end ? SC_EVT_SessionEnded : SC_EVT_StateChanged, sid, "X");
    }
    int seen = 0;
    uint64_t last = 0;
    while (sc_events_sub_next(s2, &ev) == 0) {
        seen += ev.type == SC_EVT_SessionEnded;
        assert_true(ev.seq > last);
        last = ev.seq;
    }
    assert_int_equal(seen, ended);
    sc_events_unsubscribe(s);
    sc_events_unsubscribe(s2);
    sc_events_bus_free(bus);
}

static void test_disconnect_publishes_subscriber_reaped(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *s = NULL, *watch = NULL;
    sc_events_sub_cfg cfg = {.name = "fragile",
                             .queue_capacity = 3,
                             .overflow = SC_EVENTS_DISCONNECT,
                             .filter = {.types = SC_EVENT_BIT(SC_EVT_StateChanged)}};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &s), 0);
    sc_events_sub_cfg wcfg = {.name = "watch", .filter = {.types = SC_EVENT_BIT(SC_EVT_SubscriberReaped)}};
    assert_int_equal(sc_events_subscribe(bus, &wcfg, &watch), 0);
    for (int i = 0; i < 6; i++)
        pub(bus, SC_EVT_StateChanged, "a", "S");
    sc_events_sub_stats st;
    sc_events_sub_stats_get(s, &st);
    assert_true(st.closed);
    assert_string_equal(st.close_reason, "overflow");
    assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], 1);
    sc_bus_event ev;
    for (int i = 0; i < 3; i++)
        assert_int_equal(sc_events_sub_next(s, &ev), 0);
    assert_int_equal(sc_events_sub_next(s, &ev), -EPIPE);
    assert_int_equal(sc_events_sub_next(watch, &ev), 0);
    assert_int_equal(ev.type, SC_EVT_SubscriberReaped);
    assert_string_equal(ev.u.subscriber.name, "fragile");
    assert_string_equal(ev.u.subscriber.reason, "overflow");
    assert_int_equal(ev.seq, 5); /* published right after the event that overflowed */
    assert_int_equal(sc_events_sub_next(watch, &ev), -EAGAIN);
    sc_events_unsubscribe(s);
    sc_events_unsubscribe(watch);
    sc_events_bus_free(bus);
}

static void test_pause_buffers_then_resume(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    got g = {0};
    sc_events_sub *s = NULL;
    sc_events_sub_cfg cfg = {.name = "cb", .callback = record, .ud = &g, .queue_capacity = 2};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &s), 0);
    pub(bus, SC_EVT_App, "a", "S");
    sc_events_pause(s);
    for (int i = 0; i < 4; i++)
        pub(bus, SC_EVT_App, "a", "S");
    assert_int_equal(g.n, 1);
    sc_events_resume(s);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.seqs[1], 2);
    assert_int_equal(g.seqs[2], 3);
    sc_events_sub_stats st;
    sc_events_sub_stats_get(s, &st);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_PAUSED], 2);
    assert_int_equal(st.delivered, 3);
    sc_events_unsubscribe(s);
    sc_events_bus_free(bus);
}

static void test_idle_subscriber_is_reaped(void **state)
{
    (void)state;
    sc_manual_clock *mc = NULL;
    assert_int_equal(sc_manual_clock_new(&mc, 1000, 1), 0);
    sc_events_bus_cfg bcfg = {.clock = sc_manual_clock_get(mc), .idle_limit_us = 5000000};
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, &bcfg), 0);
    sc_events_sub *idle = NULL, *busy = NULL, *empty = NULL;
    sc_events_sub_cfg cfg = {.name = "idle", .filter = {.types = SC_EVENT_BIT(SC_EVT_App)}};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &idle), 0);
    cfg.name = "busy";
    assert_int_equal(sc_events_subscribe(bus, &cfg, &busy), 0);
    cfg.name = "empty";
    cfg.filter.types = SC_EVENT_BIT(SC_EVT_Gap);
    assert_int_equal(sc_events_subscribe(bus, &cfg, &empty), 0);
    sc_bus_event ev;
    for (int sec = 0; sec < 8; sec++) {
        pub(bus, SC_EVT_App, "a", "S");
        while (sc_events_sub_next(busy, &ev) == 0) {
        }
        sc_manual_clock_advance(mc, 1000000);
        int n = sc_events_reap_idle(bus);
        assert_int_equal(n, sec == 5 ? 1 : 0);
    }
    sc_events_sub_stats st;
    sc_events_sub_stats_get(idle, &st);
    assert_true(st.closed);
    assert_string_equal(st.close_reason, "idle");
    assert_true(st.lag_seconds > 5.9);
    sc_events_sub_stats_get(busy, &st);
    assert_false(st.closed);
    sc_events_sub_stats_get(empty, &st);
    assert_false(st.closed);
    sc_events_unsubscribe(idle);
    sc_events_unsubscribe(busy);
    sc_events_unsubscribe(empty);
    sc_events_bus_free(bus);
    sc_manual_clock_free(mc);
}

/* A history log holding seqs [log_lo, log_hi]. */
typedef struct hist {
    uint64_t lo, hi;
    int calls;
} hist;

static int reader(void *ud, uint64_t from, uint64_t to, sc_events_emit_fn emit, void *ctx)
{
    hist *h = ud;
    h->calls++;
    for (uint64_t s = from > h->lo ? from : h->lo; s <= to && s <= h->hi; s++) {
        sc_bus_event ev;
        sc_bus_event_init(&ev, SC_EVT_StateChanged, s % 2 ? "odd" : "even", SC_EVENT_ROLE_UAC, "S");
        ev.seq = s;
        ev.priority = SC_PRIO_NORMAL;
        emit(ctx, &ev);
        emit(ctx, &ev); /* a duplicate must not reach the subscriber */
    }
    return 0;
}

static void check_resume(uint64_t last, hist *h, const uint64_t *want, int nwant, uint64_t gap_from, uint64_t gap_to)
{
    sc_events_bus_cfg bcfg = {.ring_capacity = 10, .history_reader = h ? reader : NULL, .history_ud = h};
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, &bcfg), 0);
    for (int i = 1; i <= 30; i++)
        pub(bus, SC_EVT_StateChanged, i % 2 ? "odd" : "even", "S");
    assert_int_equal(sc_events_oldest_in_ring(bus), 21);
    sc_events_sub *s = NULL;
    sc_events_sub_cfg cfg = {.name = "r", .filter = {.patterns = {"odd"}}};
    assert_int_equal(sc_events_subscribe_from(bus, &cfg, last, &s), 0);
    pub(bus, SC_EVT_StateChanged, "odd", "S"); /* 31, live */
    sc_bus_event ev;
    int k = 0;
    while (sc_events_sub_next(s, &ev) == 0) {
        if (ev.type == SC_EVT_Gap) {
            assert_int_equal(ev.u.gap.from_seq, gap_from);
            assert_int_equal(ev.u.gap.to_seq, gap_to);
            assert_int_equal(ev.seq, gap_to);
            gap_from = 0;
            continue;
        }
        assert_true(k < nwant);
        assert_int_equal(ev.seq, want[k]);
        k++;
    }
    assert_int_equal(k, nwant);
    assert_int_equal(gap_from, 0); /* the expected gap was seen */
    sc_events_unsubscribe(s);
    sc_events_bus_free(bus);
}

static void test_resume_from_ring(void **state)
{
    (void)state;
    uint64_t want[] = {25, 27, 29, 31};
    check_resume(24, NULL, want, 4, 0, 0);
}

static void test_resume_with_history_and_gap(void **state)
{
    (void)state;
    /* log keeps 12..25; ring 21..30; resume after 5: gap 6..11, log 13,15,17,19, ring 21.. */
    hist h = {12, 25, 0};
    uint64_t want[] = {13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
    check_resume(5, &h, want, 10, 6, 11);
    assert_int_equal(h.calls, 1);
    /* no history reader at all: one gap for 3..20 */
    uint64_t want2[] = {21, 23, 25, 27, 29, 31};
    check_resume(2, NULL, want2, 6, 3, 20);
}

/* A resume point of this run resumes; one of another run (restart, other node) gets a
 * StreamReset first, then this run's events from its first: never a silent wrong resume. */
static void test_resume_point_of_another_run(void **state)
{
    (void)state;
    sc_events_bus_cfg bcfg = {.ring_capacity = 64, .epoch = 777};
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, &bcfg), 0);
    assert_true(sc_events_epoch(bus) == 777);
    for (int i = 0; i < 5; i++)
        pub(bus, SC_EVT_App, "a", "S");
    sc_events_sub_cfg cfg = {.name = "r"};
    sc_events_sub *same = NULL, *other = NULL;
    assert_int_equal(sc_events_subscribe_resume(bus, &cfg, 777, 3, &same), 0);
    sc_bus_event ev;
    assert_int_equal(sc_events_sub_next(same, &ev), 0);
    assert_int_equal(ev.seq, 4); /* same run: after 3 */
    assert_int_equal(sc_events_subscribe_resume(bus, &cfg, 555, 3, &other), 0);
    assert_int_equal(sc_events_sub_next(other, &ev), 0);
    assert_int_equal(ev.type, SC_EVT_StreamReset);
    assert_true(ev.u.reset.epoch == 777);
    assert_string_equal(ev.u.reset.reason, "other_run");
    for (uint64_t want = 1; want <= 5; want++) { /* then this run from its first */
        assert_int_equal(sc_events_sub_next(other, &ev), 0);
        assert_int_equal(ev.seq, want);
    }
    assert_int_equal(sc_events_sub_next(other, &ev), -EAGAIN);
    sc_events_bus *later = NULL; /* a new run (no epoch given) gets another epoch */
    assert_int_equal(sc_events_bus_new(&later, NULL), 0);
    assert_true(sc_events_epoch(later) != 0 && sc_events_epoch(later) != 777);
    sc_events_bus_free(later);
    sc_events_unsubscribe(same);
    sc_events_unsubscribe(other);
    sc_events_bus_free(bus);
}

static void test_memory_bounded_with_slow_subscriber(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    sc_events_bus_cfg bcfg = {.ring_capacity = 256};
    assert_int_equal(sc_events_bus_new(&bus, &bcfg), 0);
    sc_events_sub *s = NULL, *c = NULL;
    sc_events_sub_cfg cfg = {.name = "slow", .queue_capacity = 64};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &s), 0);
    cfg.overflow = SC_EVENTS_COALESCE;
    assert_int_equal(sc_events_subscribe(bus, &cfg, &c), 0);
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_StateChanged, "a", SC_EVENT_ROLE_UAC, "S");
    /* Memory is fixed at subscribe time: the queues never exceed their capacity. ASan/LSan
     * runs of this test would flag any per-publish allocation that is not freed. */
    for (int i = 0; i < 1000000; i++)
        assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
    sc_events_sub_stats st;
    sc_events_sub_stats_get(s, &st);
    assert_int_equal(st.queue_depth, 64);
    assert_int_equal(st.queue_high_water, 64);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_OVERFLOW], 1000000 - 64);
    sc_events_sub_stats_get(c, &st);
    assert_int_equal(st.queue_depth, 64);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_COALESCED], 1000000 - 64);
    sc_events_unsubscribe(s);
    sc_events_unsubscribe(c);
    sc_events_bus_free(bus);
}

/* A callback that publishes and unsubscribes itself: order is kept, nothing re-enters. */
typedef struct nested {
    sc_events_bus *bus;
    sc_events_sub *self;
    got g;
} nested;

static void nested_cb(void *ud, const sc_bus_event *ev)
{
    nested *n = ud;
    n->g.seqs[n->g.n++] = ev->seq;
    if (ev->type == SC_EVT_App) {
        sc_bus_event e2;
        sc_bus_event_init(&e2, SC_EVT_StateChanged, "z", SC_EVENT_ROLE_UAC, "S");
        assert_int_equal(sc_events_publish(n->bus, &e2, NULL), 0);
    } else if (n->g.n == 3) {
        sc_events_unsubscribe(n->self);
        n->self = NULL;
    }
}

static void test_nested_publish_keeps_order(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    nested a = {.bus = bus}, b = {.bus = bus};
    sc_events_sub_cfg cfg = {.name = "a", .callback = nested_cb, .ud = &a};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &a.self), 0);
    cfg.ud = &b;
    cfg.filter.types = SC_EVENT_BIT(SC_EVT_StateChanged) | SC_EVENT_BIT(SC_EVT_App);
    assert_int_equal(sc_events_subscribe(bus, &cfg, &b.self), 0);
    pub(bus, SC_EVT_App, "a", "S");            /* 1 -> each callback publishes one: 2, 3 */
    pub(bus, SC_EVT_SessionCreated, "a", "S"); /* 4: b is filtered out */
    assert_int_equal(b.g.n, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(b.g.seqs[i], (uint64_t)i + 1);
    assert_int_equal(a.g.n, 3); /* unsubscribed itself at its third event */
    assert_null(a.self);
    sc_events_unsubscribe(b.self);
    sc_events_bus_free(bus);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    sc_bus_event ev, back;
    sc_bus_event_init(&ev, SC_EVT_SessionEnded, "abc-123", SC_EVENT_ROLE_UAS, "Terminated");
    ev.seq = 42;
    ev.wall_us = 1700000000123456;
    ev.priority = SC_PRIO_CRITICAL;
    sc_bus_event_strcpy(ev.uri, sizeof ev.uri, "sip:bob@example.com");
    sc_bus_event_strcpy(ev.u.ended.outcome, sizeof ev.u.ended.outcome, "normal");
    ev.u.ended.sip_cause = 200;
    ev.u.ended.duration_us = 12500000;
    char *js = sc_bus_event_to_json(&ev);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"type\":\"SessionEnded\""));
    assert_non_null(strstr(js, "\"time\":\"2023-11-14T22:13:20.123456Z\""));
    assert_non_null(strstr(js, "\"duration_seconds\":12.5"));
    assert_int_equal(sc_bus_event_from_json(js, &back), 0);
    free(js);
    assert_memory_equal(&ev, &back, sizeof ev);
    for (int t = 0; t < SC_EVT__COUNT; t++) {
        sc_bus_event e;
        sc_bus_event_init(&e, (sc_bus_event_type)t, "s", SC_EVENT_ROLE_UAC, "S");
        e.seq = 1;
        e.priority = sc_bus_event_type_default_priority((sc_bus_event_type)t);
        char *j = sc_bus_event_to_json(&e);
        assert_int_equal(sc_bus_event_from_json(j, &back), 0);
        assert_int_equal(back.type, t);
        free(j);
    }
    assert_int_equal(sc_bus_event_from_json("{\"type\":\"Nope\",\"seq\":1}", &back), -EINVAL);
    assert_int_equal(sc_bus_event_from_json("[", &back), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_filters_match_brute_force),
        cmocka_unit_test(test_drop_oldest),
        cmocka_unit_test(test_coalesce_keeps_latest_and_never_session_ended),
        cmocka_unit_test(test_disconnect_publishes_subscriber_reaped),
        cmocka_unit_test(test_pause_buffers_then_resume),
        cmocka_unit_test(test_idle_subscriber_is_reaped),
        cmocka_unit_test(test_resume_from_ring),
        cmocka_unit_test(test_resume_with_history_and_gap),
        cmocka_unit_test(test_resume_point_of_another_run),
        cmocka_unit_test(test_memory_bounded_with_slow_subscriber),
        cmocka_unit_test(test_nested_publish_keeps_order),
        cmocka_unit_test(test_json_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
