/* State and limit timers cancelled lazily (src/engine/timers.c): a state change that cancels
 * one leaves it in the heap, dead; it never fires at its old deadline, is not counted, is not
 * the next deadline, and arming it again (later or earlier) moves it in place so that it fires
 * at the new deadline only. A model of many sessions moving in and out of a limited state
 * checks the heap against the expected firings. */
#include "unit/engine/fixture.h"

#include "engine/engine_int.h"

static const char *TABLE = "version: 1\n"
                           "name: lazy\n"
                           "initial: Idle\n"
                           "states:\n"
                           "  Idle: {}\n"
                           "  Active: {max_ms: 5000}\n"
                           "  Held: {}\n"
                           "  Short: {max_ms: 1000}\n"
                           "  Expired: {}\n"
                           "  Terminated: {terminal: true}\n"
                           "  Failed: {terminal: true}\n"
                           "transitions:\n"
                           "  - {role: any, from: Idle, event: IncomingCall, to: Active}\n"
                           "  - {role: any, from: Active, event: HoldCall, to: Held}\n"
                           "  - {role: any, from: Held, event: ResumeCall, to: Active}\n"
                           "  - {role: any, from: Held, event: DtmfReceived, to: Short}\n"
                           "  - {role: any, from: Short, event: ResumeCall, to: Active}\n"
                           "  - {role: any, from: Active, event: SessionExpired, to: Expired}\n"
                           "  - {role: any, from: Short, event: SessionExpired, to: Expired}\n"
                           "  - {role: any, from: Expired, event: ResumeCall, to: Active}\n" FX_EXITS;

#define MS 1000u

static uint64_t now_of(fx *f) { return sc_clock_mono_us(sc_manual_clock_get(f->clk)); }

static void test_rearmed_fires_at_new_deadline_only(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    uint64_t t0 = now_of(f);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0); /* Active: limit at t0 + 5 s */
    assert_int_equal(sc_engine_timer_count(f->engine), 1);
    sc_manual_clock_advance(f->clk, 1000 * MS);
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), 0); /* Held: the limit is cancelled */
    assert_int_equal(sc_engine_timer_count(f->engine), 0);
    assert_int_equal(sc_engine_session_timer_count(f->engine, s), 0);
    assert_int_equal(f->engine->heap_len, 1); /* kept in the heap, dead */
    assert_int_equal(f->engine->heap_dead, 1);
    sc_manual_clock_advance(f->clk, 3000 * MS);
    assert_int_equal(fx_ev(f, s, SC_EV_ResumeCall), 0); /* Active again: limit at t0 + 9 s */
    assert_int_equal(f->engine->heap_len, 1);           /* the same entry, moved */
    assert_int_equal(f->engine->heap_dead, 0);
    assert_int_equal(sc_engine_session_timer_count(f->engine, s), 1);
    sc_manual_clock_advance(f->clk, 1000 * MS); /* t0 + 5 s: the old deadline */
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    assert_string_equal(sc_session_state_name(s), "Active");
    sc_manual_clock_advance(f->clk, 3999 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    sc_manual_clock_advance(f->clk, 1 * MS); /* t0 + 9 s */
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Expired");
    const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_int_equal(r->event, SC_EV_SessionExpired);
    assert_int_equal(r->mono_us, t0 + 9000 * MS);
    assert_int_equal(sc_engine_timer_count(f->engine), 0);
    fx_free(f);
}

/* A dead timer's old deadline is never reported nor fired; armed again earlier it fires then. */
static void test_dead_timer_not_reported_and_earlier_rearm(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    sc_session *other = fx_session(f, SC_ROLE_UAS);
    uint64_t t0 = now_of(f);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0); /* s: t0 + 5 s */
    sc_manual_clock_advance(f->clk, 500 * MS);
    assert_int_equal(fx_ev(f, other, SC_EV_IncomingCall), 0); /* other: t0 + 5.5 s */
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), 0);         /* s's limit dead, on top */
    assert_int_equal(sc_engine_timer_count(f->engine), 1);
    assert_int_equal(sc_engine_next_deadline(f->engine), t0 + 5500 * MS); /* not s's old one */
    assert_int_equal(fx_ev(f, other, SC_EV_HoldCall), 0);
    assert_int_equal(sc_engine_next_deadline(f->engine), UINT64_MAX);
    assert_int_equal(fx_ev(f, other, SC_EV_ResumeCall), 0); /* other: t0 + 5.5 s again */
    assert_int_equal(fx_ev(f, s, SC_EV_ResumeCall), 0);     /* s: t0 + 5.5 s, armed after other */
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), 0);       /* s dead again, inside the heap */
    assert_int_equal(fx_ev(f, s, SC_EV_DtmfReceived), 0);   /* Short: earlier, t0 + 1.5 s */
    assert_int_equal(sc_engine_next_deadline(f->engine), t0 + 1500 * MS);
    sc_manual_clock_advance(f->clk, 1000 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Expired");
    assert_string_equal(sc_session_state_name(other), "Active");
    sc_manual_clock_advance(f->clk, 4000 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(other), "Expired");
    assert_int_equal(sc_engine_next_deadline(f->engine), UINT64_MAX);
    fx_free(f);
}

/* Removing a session whose timer is dead in the heap takes it out (no dangling entry). */
static void test_remove_with_dead_timer(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    sc_session *other = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, other, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), 0);
    assert_int_equal(f->engine->heap_dead, 1);
    sc_engine_remove_session(f->engine, s, "test");
    assert_int_equal(f->engine->heap_len, 1);
    assert_int_equal(f->engine->heap_dead, 0);
    sc_manual_clock_advance(f->clk, 5000 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(other), "Expired");
    fx_free(f);
}

#define NS 24

/* Many sessions in and out of Active/Short at pseudo-random times: each fires exactly when
 * the model says (its last arming plus its state's limit), counts and next deadline agree. */
static void test_model(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s[NS];
    uint64_t deadline[NS]; /* 0: no live timer */
    bool expired[NS] = {false};
    uint32_t seed = 12345;
    for (int i = 0; i < NS; i++) {
        s[i] = fx_session(f, SC_ROLE_UAS);
        assert_int_equal(fx_ev(f, s[i], SC_EV_IncomingCall), 0);
        deadline[i] = now_of(f) + 5000 * MS;
    }
    size_t fired = 0;
    for (int step = 0; step < 3000; step++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 16) % NS);
        const char *st = sc_session_state_name(s[i]);
        if (expired[i]) { /* back to Active */
            assert_int_equal(fx_ev(f, s[i], SC_EV_ResumeCall), 0);
            deadline[i] = now_of(f) + 5000 * MS;
            expired[i] = false;
        } else {
            if (!strcmp(st, "Active") || !strcmp(st, "Short")) {
                assert_int_equal(fx_ev(f, s[i], !strcmp(st, "Active") ? SC_EV_HoldCall : SC_EV_ResumeCall), 0);
                deadline[i] = !strcmp(st, "Active") ? 0 : now_of(f) + 5000 * MS;
            } else {
                bool shorter = (seed >> 8) & 1;
                assert_int_equal(fx_ev(f, s[i], shorter ? SC_EV_DtmfReceived : SC_EV_ResumeCall), 0);
                deadline[i] = now_of(f) + (shorter ? 1000 : 5000) * MS;
            }
        }
        seed = seed * 1103515245u + 12345u;
        sc_manual_clock_advance(f->clk, ((seed >> 16) % 300) * MS);
        uint64_t now = now_of(f);
        size_t want = 0, live = 0;
        uint64_t next = UINT64_MAX;
        for (int k = 0; k < NS; k++) {
            if (deadline[k] && deadline[k] <= now) {
                want++;
                deadline[k] = 0;
                expired[k] = true;
            } else if (deadline[k]) {
                live++;
                next = deadline[k] < next ? deadline[k] : next;
            }
        }
        assert_int_equal(sc_engine_run_timers(f->engine, 0), want);
        fired += want;
        for (int k = 0; k < NS; k++)
            if (expired[k])
                assert_string_equal(sc_session_state_name(s[k]), "Expired");
            else
                assert_string_not_equal(sc_session_state_name(s[k]), "Expired");
        assert_int_equal(sc_engine_timer_count(f->engine), live);
        if (step % 7 == 0) /* also with dead timers left on top between steps */
            assert_int_equal(sc_engine_next_deadline(f->engine), next);
    }
    assert_true(fired > 100); /* the model did exercise firings */
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rearmed_fires_at_new_deadline_only),
        cmocka_unit_test(test_dead_timer_not_reported_and_earlier_rearm),
        cmocka_unit_test(test_remove_with_dead_timer),
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
