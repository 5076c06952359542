/* Engine timers on a manual clock: a state timer fires its event, leaving the state cancels
 * it, a non-terminal max_ms raises SessionExpired, a terminal state's retention removes the
 * session, and scheduled events fire or are cancelled on exit. */
#include "unit/engine/fixture.h"

static const char *TABLE =
    "version: 1\n"
    "name: timers\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {timer: {after_ms: 1000}}\n"
    "  Active: {max_ms: 5000}\n"
    "  Terminated: {terminal: true, max_ms: 2000}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: any, from: Idle, event: IncomingCall, to: Ringing}\n"
    "  - {role: any, from: Ringing, event: StateTimer, actions: [{SendResponse: {code: 480}}], to: Failed}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, to: Active}\n"
    "  - {role: any, from: Active, event: SessionExpired, actions: [SendBye], to: Terminated}\n"
    "  - {role: any, from: Active, event: DtmfReceived}\n" FX_EXITS;

#define MS 1000u

static void test_state_timer_fires(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(sc_engine_next_deadline(f->engine), UINT64_MAX);
    uint64_t t0 = sc_clock_mono_us(sc_manual_clock_get(f->clk));
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(sc_engine_next_deadline(f->engine), t0 + 1000 * MS);
    sc_manual_clock_advance(f->clk, 999 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    sc_manual_clock_advance(f->clk, 1 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Failed");
    const sc_history_record *r = fx_hist(s, 1);
    assert_int_equal(r->event, SC_EV_StateTimer);
    assert_int_equal(r->mono_us, t0 + 1000 * MS);
    /* Failed is terminal with no max_ms: the default retention (30 s) is armed */
    assert_int_equal(sc_engine_next_deadline(f->engine), t0 + 1000 * MS + 30000 * MS);
    fx_free(f);
}

static void test_leaving_state_cancels_timer_and_expiry(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    uint64_t t0 = sc_clock_mono_us(sc_manual_clock_get(f->clk));
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    sc_manual_clock_advance(f->clk, 500 * MS);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    /* the Ringing timer is gone; Active's idle limit (5 s from entry) is armed */
    assert_int_equal(sc_engine_timer_count(f->engine), 1);
    assert_int_equal(sc_engine_next_deadline(f->engine), t0 + 5500 * MS);
    sc_manual_clock_advance(f->clk, 1000 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    assert_string_equal(sc_session_state_name(s), "Active");
    /* a row without `to` keeps the timer running */
    assert_int_equal(fx_ev(f, s, SC_EV_DtmfReceived), 0);
    assert_int_equal(sc_engine_next_deadline(f->engine), t0 + 5500 * MS);
    sc_manual_clock_advance(f->clk, 4000 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Terminated");
    size_t n = sc_session_history_count(s);
    assert_int_equal(fx_hist(s, n - 1)->event, SC_EV_SessionExpired);
    assert_true(strstr(f->log, "SendBye@Active") != NULL);
    fx_free(f);
}

static int removed;
static char removed_reason[32];
static void on_removed(void *ud, sc_session *s, const char *reason)
{
    (void)ud;
    (void)s;
    removed++;
    snprintf(removed_reason, sizeof removed_reason, "%s", reason);
}

static void test_retention_removes_session(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    removed = 0;
    sc_engine_observer obs = {.on_session_removed = on_removed};
    sc_engine_add_observer(f->engine, &obs);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_HangupCall), 0);
    assert_string_equal(sc_session_state_name(s), "Terminated");
    assert_int_equal(sc_engine_timer_count(f->engine), 1); /* retention only */
    sc_manual_clock_advance(f->clk, 1999 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    assert_int_equal(sc_store_count(f->store), 1);
    sc_manual_clock_advance(f->clk, 1 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_int_equal(sc_store_count(f->store), 0);
    assert_int_equal(removed, 1);
    assert_string_equal(removed_reason, "retention");
    assert_int_equal(sc_engine_next_deadline(f->engine), UINT64_MAX);
    fx_free(f);
}

static void test_run_timers_is_bounded_and_ordered(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s[5];
    for (int i = 0; i < 5; i++) {
        s[i] = fx_session(f, SC_ROLE_UAS);
        assert_int_equal(fx_ev(f, s[i], SC_EV_IncomingCall), 0);
        sc_manual_clock_advance(f->clk, 10 * MS);
    }
    /* remove the middle one: its timer goes with it */
    sc_engine_remove_session(f->engine, s[2], "test");
    assert_int_equal(sc_engine_timer_count(f->engine), 4);
    sc_manual_clock_advance(f->clk, 2000 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 3), 3);
    assert_string_equal(sc_session_state_name(s[0]), "Failed");
    assert_string_equal(sc_session_state_name(s[1]), "Failed");
    assert_string_equal(sc_session_state_name(s[3]), "Failed");
    assert_string_equal(sc_session_state_name(s[4]), "Ringing");
    assert_int_equal(sc_engine_run_timers(f->engine, 3), 1);
    assert_string_equal(sc_session_state_name(s[4]), "Failed");
    fx_free(f);
}

static void free_counter(void *p) { (*(int *)p)++; }

static void test_scheduled_events(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    int freed = 0;
    sc_event ev = {.type = SC_EV_AcceptCall, .text = "auto", .data = &freed, .data_free = free_counter};
    assert_int_equal(sc_engine_schedule(f->engine, s, 300, &ev, true), 0);
    sc_manual_clock_advance(f->clk, 300 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Active");
    assert_string_equal(fx_hist(s, 1)->event_text, "auto");
    assert_int_equal(freed, 1); /* the engine owned data and freed it after the run */

    /* cancel on exit: leaving Active drops it (and frees its data) */
    sc_event ev2 = {.type = SC_EV_DtmfReceived, .data = &freed, .data_free = free_counter};
    assert_int_equal(sc_engine_schedule(f->engine, s, 100, &ev2, true), 0);
    assert_int_equal(sc_engine_schedule(f->engine, s, 100, &ev2, false), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_HangupCall), 0);
    assert_int_equal(freed, 2);
    /* the one kept across the state change fires in Terminated (not accepted) */
    sc_manual_clock_advance(f->clk, 100 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_int_equal(freed, 3);
    size_t n = sc_session_history_count(s);
    assert_int_equal(fx_hist(s, n - 1)->outcome, SC_OUTCOME_NOT_ACCEPTED);
    /* removal frees what is still scheduled */
    assert_int_equal(sc_engine_schedule(f->engine, s, 100, &ev2, false), 0);
    sc_engine_remove_session(f->engine, s, "test");
    assert_int_equal(freed, 4);
    fx_free(f);
}

/* A restored session's timers run from the time its state was entered, not from the restore:
 * 20 s of "downtime" (both clocks move on, no engine) leave 10 s of Ringing's 30 s timer
 * (here 1 s timer: 600 ms entered, 400 ms left) and an expired one fires on the next run. */
static void test_restore_keeps_remaining_time(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    json_t *snap;
    assert_int_equal(sc_session_snapshot_json(s, &snap), 0);
    sc_engine_remove_session(f->engine, s, "crash");
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    assert_int_equal(sc_engine_timer_count(f->engine), 0);
    sc_manual_clock_advance(f->clk, 600 * MS); /* the process is down */
    uint64_t now = sc_clock_mono_us(sc_manual_clock_get(f->clk));
    sc_session *r = NULL;
    assert_int_equal(sc_session_restore_json(f->engine, snap, NULL, &r), 0);
    assert_int_equal(sc_engine_next_deadline(f->engine), now + 400 * MS);
    assert_int_equal(sc_session_state_entered_mono_us(r), now - 600 * MS);
    sc_manual_clock_advance(f->clk, 399 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    sc_manual_clock_advance(f->clk, 1 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(r), "Failed");
    sc_engine_remove_session(f->engine, r, "test");
    /* expired during the downtime: due at once */
    sc_manual_clock_advance(f->clk, 5000 * MS);
    assert_int_equal(sc_session_restore_json(f->engine, snap, NULL, &r), 0);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(r), "Failed");
    json_decref(snap);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_timer_fires),         cmocka_unit_test(test_leaving_state_cancels_timer_and_expiry),
        cmocka_unit_test(test_retention_removes_session), cmocka_unit_test(test_run_timers_is_bounded_and_ordered),
        cmocka_unit_test(test_scheduled_events),          cmocka_unit_test(test_restore_keeps_remaining_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
