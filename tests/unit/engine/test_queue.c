/* Engine serialisation: events raised for a session while it runs an event are queued and
 * run after it, in order, never re-entered; the queue is bounded and drops are counted;
 * another session can be dispatched from inside an action. */
#include "unit/engine/fixture.h"

static const char *TABLE =
    "version: 1\n"
    "name: queue\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Active: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: any, from: Idle, event: IncomingCall, actions: [StartMedia, {SendResponse: {code: 180}}],\n"
    "     to: Ringing}\n"
    "  - {role: any, from: Ringing, event: MediaReady, actions: [UpdateMedia]}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Active}\n"
    "  - {role: any, from: Active, event: PeerHangup, actions: [SendBye], to: Terminated}\n"
    "  - {role: any, from: Active, event: DtmfReceived, actions: [SendDtmf]}\n" FX_EXITS;

static int raise_two(fx *f, const sc_exec *x)
{
    /* both raised for the session that is running: queued, not run now */
    assert_int_equal(sc_engine_dispatch_simple(x->engine, x->session, SC_EV_MediaReady, 0, NULL), SC_ENGINE_QUEUED);
    assert_int_equal(sc_engine_dispatch_simple(x->engine, x->session, SC_EV_AcceptCall, 0, "go"), SC_ENGINE_QUEUED);
    assert_true(sc_engine_session_busy(x->engine, x->session));
    assert_string_equal(sc_session_state_name(x->session), "Idle");
    (void)f;
    return 0;
}

static void test_raised_events_queue_in_order(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    f->hooks[SC_ACTION_StartMedia] = raise_two;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    /* the first transition finished (SendResponse 180) before the queued ones ran, in order */
    assert_string_equal(f->log, "StartMedia@Idle SendResponse@Idle UpdateMedia@Ringing SendResponse@Ringing ");
    assert_string_equal(sc_session_state_name(s), "Active");
    assert_false(sc_engine_session_busy(f->engine, s));
    assert_int_equal(sc_session_history_count(s), 3);
    assert_int_equal(fx_hist(s, 1)->event, SC_EV_MediaReady);
    assert_int_equal(fx_hist(s, 2)->event, SC_EV_AcceptCall);
    assert_string_equal(fx_hist(s, 2)->event_text, "go"); /* text was copied */
    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.queue_drops, 0);
    fx_free(f);
}

static int raise_five(fx *f, const sc_exec *x)
{
    if (f->ud) /* only the first run raises */
        return 0;
    f->ud = f;
    int queued = 0, dropped = 0;
    for (int i = 0; i < 5; i++) {
        int r = sc_engine_dispatch_simple(x->engine, x->session, SC_EV_DtmfReceived, i, NULL);
        if (r == SC_ENGINE_QUEUED)
            queued++;
        else if (r == -EAGAIN)
            dropped++;
    }
    assert_int_equal(queued, 2);
    assert_int_equal(dropped, 3);
    return 0;
}

static void test_queue_overflow_is_counted(void **state)
{
    (void)state;
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    cfg.max_queue_per_session = 2;
    fx *f = fx_new_cfg(&cfg);
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    f->hooks[SC_ACTION_SendDtmf] = raise_five;
    assert_int_equal(fx_ev(f, s, SC_EV_DtmfReceived), 0);
    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.queue_drops, 3);
    /* the two queued ones ran after, in order (codes 0 and 1) */
    assert_int_equal(st.queued, 2);
    assert_int_equal(sc_session_history_count(s), 5);
    assert_int_equal(fx_hist(s, 3)->event_code, 0);
    assert_int_equal(fx_hist(s, 4)->event_code, 1);
    assert_int_equal(fx_hist(s, 4)->event, SC_EV_DtmfReceived);
    fx_free(f);
}

/* The partner of a bridged call: hangup on one leg makes the action end the other leg. */
static int hangup_peer(fx *f, const sc_exec *x)
{
    sc_session *peer = sc_store_get(sc_engine_store(x->engine), sc_session_field(x->session, SC_FIELD_PEER_ID));
    assert_non_null(peer);
    /* another session, not busy: runs now */
    assert_int_equal(sc_engine_dispatch_simple(x->engine, peer, SC_EV_PeerHangup, 0, NULL), 0);
    assert_string_equal(sc_session_state_name(peer), "Terminated");
    (void)f;
    return 0;
}

static int bye_back(fx *f, const sc_exec *x)
{
    /* the peer's action raises an event for the first session, which is busy: queued */
    sc_session *first = sc_store_get(sc_engine_store(x->engine), sc_session_field(x->session, SC_FIELD_PEER_ID));
    assert_true(sc_engine_session_busy(x->engine, first));
    assert_int_equal(sc_engine_dispatch_simple(x->engine, first, SC_EV_DtmfReceived, 0, NULL), SC_ENGINE_QUEUED);
    (void)f;
    return 0;
}

static void test_dispatch_other_session_from_action(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, "version: 1\nname: bridge\ninitial: Idle\nstates:\n  Idle: {}\n  Active: {}\n"
               "  Terminated: {terminal: true}\n  Failed: {terminal: true}\n"
               "transitions:\n"
               "  - {role: any, from: Idle, event: IncomingCall, to: Active}\n"
               "  - {role: any, from: Active, event: HangupCall, actions: [HangupPeer], to: Terminated}\n"
               "  - {role: any, from: Active, event: PeerHangup, actions: [SendBye], to: Terminated}\n"
               "  - {role: any, from: Active, event: DtmfReceived, actions: [SendDtmf]}\n"
               "  - {role: any, from: '*', event: DialogBYE, to: Terminated}\n"
               "  - {role: any, from: '*', event: DialogError, to: Failed}\n");
    sc_session *a = fx_session(f, SC_ROLE_UAS), *b = fx_session(f, SC_ROLE_UAC);
    sc_session_set_field(a, SC_FIELD_PEER_ID, sc_session_id(b));
    sc_session_set_field(b, SC_FIELD_PEER_ID, sc_session_id(a));
    assert_int_equal(fx_ev(f, a, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, b, SC_EV_IncomingCall), 0);
    f->hooks[SC_ACTION_HangupPeer] = hangup_peer;
    f->hooks[SC_ACTION_SendBye] = bye_back;
    assert_int_equal(fx_ev(f, a, SC_EV_HangupCall), 0);
    assert_string_equal(f->log, "HangupPeer@Active SendBye@Active ");
    assert_string_equal(sc_session_state_name(a), "Terminated");
    /* a's queued DtmfReceived ran after its HangupCall, in Terminated: not accepted */
    assert_int_equal(sc_session_history_count(a), 3);
    assert_int_equal(fx_hist(a, 2)->outcome, SC_OUTCOME_NOT_ACCEPTED);
    fx_free(f);
}

static int remove_self(fx *f, const sc_exec *x)
{
    sc_engine_remove_session(x->engine, x->session, "action");
    sc_engine_remove_session(x->engine, x->session, "again"); /* idempotent */
    assert_int_equal(sc_engine_dispatch_simple(x->engine, x->session, SC_EV_MediaReady, 0, NULL), SC_E_TERMINATED);
    (void)f;
    return 0;
}

static void test_remove_inside_own_dispatch(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    f->hooks[SC_ACTION_StartMedia] = remove_self;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(sc_store_count(f->store), 0); /* removed when the dispatch unwound */
    assert_int_equal(sc_engine_timer_count(f->engine), 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raised_events_queue_in_order),
        cmocka_unit_test(test_queue_overflow_is_counted),
        cmocka_unit_test(test_dispatch_other_session_from_action),
        cmocka_unit_test(test_remove_inside_own_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
