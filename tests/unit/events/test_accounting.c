/* Tests for exact drop accounting: under every overflow policy, each event offered to a queue
 * subscription is drained or counted under one drop reason, discards included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/events.h"

#define NEV 5000
#define QCAP 16

static uint64_t rng = 0x2545F4914F6CDD1Du;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *const sessions[] = {"a", "b", "c", "d"};

/* A call-like mix: mostly StateChanged of a few sessions, some SessionEnded and low events. */
static void random_event(sc_bus_event *ev)
{
    static const sc_bus_event_type types[] = {SC_EVT_StateChanged, SC_EVT_StateChanged,   SC_EVT_StateChanged,
                                              SC_EVT_SessionEnded, SC_EVT_SessionCreated, SC_EVT_DtmfReceived};
    sc_bus_event_init(ev, types[rnd(6)], sessions[rnd(4)], SC_EVENT_ROLE_UAS, "Active");
}

static uint64_t dropped_total(const sc_events_sub_stats *st)
{
    uint64_t n = 0;
    for (int k = 0; k < SC_EVENTS_DROP_REASONS; k++)
        n += st->dropped[k];
    return n;
}

typedef struct run {
    uint64_t offered, drained, last_seq, ended_offered, ended_drained;
    bool increasing;
} run;

/* Publish NEV random events with random drains of sub in between; then discard the rest. */
static void drive(sc_events_bus *bus, sc_events_sub *sub, run *r)
{
    memset(r, 0, sizeof *r);
    r->increasing = true;
    for (int i = 0; i < NEV; i++) {
        sc_bus_event ev;
        random_event(&ev);
        sc_events_sub_stats st;
        sc_events_sub_stats_get(sub, &st);
        assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
        if (!st.closed) {
            r->offered++;
            r->ended_offered += ev.type == SC_EVT_SessionEnded;
        }
        for (uint32_t k = rnd(3) == 0 ? rnd(QCAP) : 0; k > 0; k--) {
            sc_bus_event out;
            if (sc_events_sub_next(sub, &out) != 0)
                break;
            r->increasing = r->increasing && out.seq > r->last_seq;
            r->last_seq = out.seq;
            r->drained++;
            r->ended_drained += out.type == SC_EVT_SessionEnded;
        }
    }
}

static void check_exact(sc_events_overflow policy)
{
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *sub = NULL;
    sc_events_sub_cfg cfg = {.name = "acct", .queue_capacity = QCAP, .overflow = policy};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &sub), 0);
    run r;
    drive(bus, sub, &r);
    sc_events_sub_stats st;
    sc_events_sub_stats_get(sub, &st);
    uint32_t left = st.queue_depth;
    uint64_t closed_before = st.dropped[SC_EVENTS_DROP_CLOSED];
    assert_int_equal(sc_events_sub_discard(sub), left);
    assert_int_equal(sc_events_sub_pending(sub), 0);
    sc_events_sub_stats_get(sub, &st);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], closed_before + left);
    assert_true(r.increasing);
    assert_int_equal(st.delivered, r.drained);
    assert_int_equal(r.drained + dropped_total(&st), r.offered); /* nothing lost uncounted */
    assert_true(dropped_total(&st) > left);                      /* the queue did overflow */
    assert_int_equal(st.dropped[SC_EVENTS_DROP_PAUSED], 0);
    switch (policy) {
    case SC_EVENTS_DROP_OLDEST:
        assert_int_equal(st.dropped[SC_EVENTS_DROP_COALESCED], 0);
        assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], left);
        break;
    case SC_EVENTS_COALESCE:
        assert_true(st.dropped[SC_EVENTS_DROP_COALESCED] > 0);
        assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], left);
        break;
    case SC_EVENTS_DISCONNECT: /* the overflowing event, then nothing more was offered */
        assert_true(st.closed);
        assert_int_equal(st.dropped[SC_EVENTS_DROP_OVERFLOW] + st.dropped[SC_EVENTS_DROP_COALESCED], 0);
        assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], 1 + left);
        assert_int_equal(r.offered, r.drained + 1 + left);
        break;
    }
    sc_events_unsubscribe(sub);
    sc_events_bus_free(bus);
}

static void test_drop_oldest_exact(void **state)
{
    (void)state;
    check_exact(SC_EVENTS_DROP_OLDEST);
}

static void test_coalesce_exact(void **state)
{
    (void)state;
    check_exact(SC_EVENTS_COALESCE);
}

static void test_disconnect_exact(void **state)
{
    (void)state;
    check_exact(SC_EVENTS_DISCONNECT);
}

/* Coalesce never loses a SessionEnded while the queue has room for the critical events. */
static void test_coalesce_keeps_session_ended(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *sub = NULL;
    sc_events_sub_cfg cfg = {.name = "c", .queue_capacity = 64, .overflow = SC_EVENTS_COALESCE};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &sub), 0);
    int ended = 0, got = 0;
    for (int i = 0; i < 2000; i++) {
        sc_bus_event ev;
        random_event(&ev);
        if (ev.type == SC_EVT_SessionEnded && ended == 48)
            ev.type = SC_EVT_StateChanged; /* at most 48 critical events: fewer than 64 slots */
        ended += ev.type == SC_EVT_SessionEnded;
        assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
    }
    sc_bus_event out;
    while (sc_events_sub_next(sub, &out) == 0)
        got += out.type == SC_EVT_SessionEnded;
    assert_int_equal(ended, 48);
    assert_int_equal(got, ended);
    sc_events_unsubscribe(sub);
    sc_events_bus_free(bus);
}

/* More SessionEnded than slots: coalesce closes the subscription instead of losing one, so
 * every SessionEnded up to the consumer's resume point (its last seq) was received. */
static void test_coalesce_closes_rather_than_lose(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *sub = NULL;
    sc_events_sub_cfg cfg = {.name = "c", .queue_capacity = 8, .overflow = SC_EVENTS_COALESCE};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &sub), 0);
    uint64_t ended[2000];
    size_t nended = 0;
    for (int i = 0; i < 2000; i++) {
        sc_bus_event ev;
        random_event(&ev);
        uint64_t seq = 0;
        assert_int_equal(sc_events_publish(bus, &ev, &seq), 0);
        if (ev.type == SC_EVT_SessionEnded)
            ended[nended++] = seq;
    }
    sc_bus_event out;
    uint64_t got[2000], last = 0;
    size_t ngot = 0;
    int rc;
    while ((rc = sc_events_sub_next(sub, &out)) == 0) {
        if (out.type == SC_EVT_SessionEnded)
            got[ngot++] = out.seq;
        last = out.seq;
    }
    assert_int_equal(rc, -EPIPE); /* closed */
    sc_events_sub_stats st;
    sc_events_sub_stats_get(sub, &st);
    assert_true(st.dropped[SC_EVENTS_DROP_CLOSED] >= 1);
    size_t k = 0;
    for (size_t i = 0; i < nended && ended[i] <= last; i++) {
        assert_true(k < ngot);
        assert_int_equal(got[k++], ended[i]);
    }
    assert_int_equal(k, ngot);
    sc_events_unsubscribe(sub);
    sc_events_bus_free(bus);
}

/* A closed subscription's discard still counts; an empty queue discards nothing. */
static void test_discard_closed_and_empty(void **state)
{
    (void)state;
    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub *sub = NULL;
    sc_events_sub_cfg cfg = {.name = "d", .queue_capacity = 2, .overflow = SC_EVENTS_DISCONNECT};
    assert_int_equal(sc_events_subscribe(bus, &cfg, &sub), 0);
    assert_int_equal(sc_events_sub_discard(sub), 0);
    for (int i = 0; i < 3; i++) {
        sc_bus_event ev;
        sc_bus_event_init(&ev, SC_EVT_StateChanged, "a", SC_EVENT_ROLE_UAS, "Active");
        assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
    }
    assert_int_equal(sc_events_sub_discard(sub), 2);
    sc_bus_event out;
    assert_int_equal(sc_events_sub_next(sub, &out), -EPIPE);
    sc_events_sub_stats st;
    sc_events_sub_stats_get(sub, &st);
    assert_int_equal(st.dropped[SC_EVENTS_DROP_CLOSED], 3);
    assert_int_equal(st.queue_depth, 0);
    sc_events_unsubscribe(sub);
    sc_events_bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_oldest_exact),
        cmocka_unit_test(test_coalesce_exact),
        cmocka_unit_test(test_disconnect_exact),
        cmocka_unit_test(test_coalesce_keeps_session_ended),
        cmocka_unit_test(test_coalesce_closes_rather_than_lose),
        cmocka_unit_test(test_discard_closed_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
