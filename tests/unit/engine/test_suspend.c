/* Runs that wait: a guard or action suspends its session's run (sc_exec_suspend), later events
 * queue behind it in order, sc_engine_resume() records the answer and runs the rest of the row
 * and then the queue; a failed answer takes the ActionFailed path; a removal cancels; cached
 * guard answers are marked in the history. */
#include "unit/engine/fixture.h"

static const char *TABLE =
    "version: 1\n"
    "name: suspend\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Active: {}\n"
    "  Vip: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: any, from: Idle, event: IncomingCall, actions: [StartMedia, {Log: {message: hi}},\n"
    "     {SendResponse: {code: 180}}], to: Ringing}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, guards: [AutoAnswer, HasSdp], to: Vip}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, to: Active}\n"
    "  - {role: any, from: Ringing, event: MediaReady, actions: [UpdateMedia]}\n"
    "  - {role: any, from: Ringing, event: ActionFailed, to: Failed}\n" FX_EXITS;

typedef struct susp {
    uint64_t token;      /* the last suspension */
    int cancelled;       /* cancel callbacks */
    bool suspend_guard;  /* AutoAnswer suspends */
    bool cached_guard;   /* HasSdp answers from its cache */
    int resume_inside;   /* what sc_engine_resume returned from inside the call */
    int suspend_actions; /* bit per action id that suspends */
} susp;

static susp S;

static void on_cancel(void *ud)
{
    assert_ptr_equal(ud, &S);
    S.cancelled++;
}

static int suspend_hook(fx *f, const sc_exec *x)
{
    (void)f;
    S.token = sc_exec_suspend(x, on_cancel, &S);
    assert_true(S.token > 0);
    assert_int_equal(sc_exec_suspend(x, on_cancel, &S), 0); /* once per call */
    S.resume_inside = sc_engine_resume(x->engine, S.token, 0);
    return -EIO; /* ignored: the answer comes later */
}

static bool guard(const sc_exec *x)
{
    fx *f = x->ud;
    if (x->call->id == SC_GUARD_AutoAnswer && S.suspend_guard) {
        S.token = sc_exec_suspend(x, on_cancel, &S);
        return false;
    }
    if (x->call->id == SC_GUARD_HasSdp && S.cached_guard)
        sc_exec_mark_cached(x);
    return f->guard_value[x->call->id];
}

static fx *setup(void)
{
    memset(&S, 0, sizeof S);
    fx *f = fx_new_unbound(NULL);
    size_t ng = sc_vocab_count(f->vocab, SC_VOCAB_GUARD);
    size_t na = sc_vocab_count(f->vocab, SC_VOCAB_ACTION);
    for (size_t i = 0; i < ng; i++)
        assert_int_equal(sc_engine_bind_guard(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_GUARD, (sc_id)i), guard, f),
                         0);
    for (size_t i = 0; i < na; i++)
        assert_int_equal(
            sc_engine_bind_action(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_ACTION, (sc_id)i), fx_action, f), 0);
    fx_load(f, TABLE);
    return f;
}

static void test_action_suspends_and_resumes(void **state)
{
    (void)state;
    fx *f = setup();
    f->hooks[SC_ACTION_Log] = suspend_hook;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), SC_ENGINE_QUEUED);
    assert_int_equal(S.resume_inside, -EBUSY);
    assert_string_equal(f->log, "StartMedia@Idle Log@Idle ");
    assert_true(sc_engine_session_busy(f->engine, s));
    assert_string_equal(sc_session_state_name(s), "Idle");
    /* the waiting run's record is stored when the run ends, with the next seq */
    assert_int_equal(sc_session_history_count(s), 0);
    assert_int_equal(sc_session_history_next_seq(s), 1);
    /* later events wait, in order */
    assert_int_equal(fx_ev(f, s, SC_EV_MediaReady), SC_ENGINE_QUEUED);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), SC_ENGINE_QUEUED);
    sc_manual_clock_advance(f->clk, 2500);
    f->hooks[SC_ACTION_Log] = NULL;
    assert_int_equal(sc_engine_resume(f->engine, S.token, 0), 0);
    assert_int_equal(sc_engine_resume(f->engine, S.token, 0), -ENOENT); /* answered already */
    assert_string_equal(f->log, "StartMedia@Idle Log@Idle SendResponse@Idle UpdateMedia@Ringing ");
    assert_string_equal(sc_session_state_name(s), "Active");
    assert_false(sc_engine_session_busy(f->engine, s));
    assert_int_equal(sc_session_history_count(s), 3);
    const sc_history_record *r = fx_hist(s, 0);
    assert_int_equal(r->seq, 1);
    assert_int_equal(fx_hist(s, 2)->seq, 3);
    assert_int_equal(r->outcome, SC_OUTCOME_TAKEN);
    assert_int_equal(r->nactions, 3);
    assert_int_equal(r->actions[1].id, SC_ACTION_Log);
    assert_int_equal(r->actions[1].result, 0);
    assert_true(r->actions[1].duration_us >= 2500); /* the wait is the action's time */
    assert_int_equal(fx_hist(s, 1)->event, SC_EV_MediaReady);
    assert_int_equal(fx_hist(s, 2)->event, SC_EV_AcceptCall);
    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.suspended, 1);
    assert_int_equal(st.resumed, 1);
    assert_int_equal(S.cancelled, 0);
    fx_free(f);
}

static void test_failed_answer_takes_the_failure_path(void **state)
{
    (void)state;
    fx *f = setup();
    f->hooks[SC_ACTION_Log] = suspend_hook;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), SC_ENGINE_QUEUED);
    assert_int_equal(sc_engine_resume(f->engine, S.token, -ETIMEDOUT), 0);
    assert_string_equal(f->log, "StartMedia@Idle Log@Idle "); /* SendResponse never ran */
    /* Idle has no ActionFailed row: the session stays, the record says why */
    assert_string_equal(sc_session_state_name(s), "Idle");
    const sc_history_record *r = fx_hist(s, 0);
    assert_int_equal(r->outcome, SC_OUTCOME_ACTION_FAILED);
    assert_int_equal(r->actions[1].result, -ETIMEDOUT);
    const sc_history_record *fail = fx_hist(s, 1);
    assert_int_equal(fail->event, SC_EV_ActionFailed);
    assert_int_equal(fail->event_code, -ETIMEDOUT);
    assert_string_equal(fail->event_text, "Log");
    assert_false(sc_engine_session_busy(f->engine, s));
    fx_free(f);
}

static void test_guard_suspends(void **state)
{
    (void)state;
    fx *f = setup();
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    S.suspend_guard = true;
    S.cached_guard = true;
    f->guard_value[SC_GUARD_HasSdp] = true;
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), SC_ENGINE_QUEUED);
    assert_string_equal(sc_session_state_name(s), "Ringing");
    /* passed: the row's next guard (lazily, in order) then the row */
    assert_int_equal(sc_engine_resume(f->engine, S.token, 1), 0);
    assert_string_equal(sc_session_state_name(s), "Vip");
    const sc_history_record *r = fx_hist(s, 1);
    assert_int_equal(r->nguards, 2);
    assert_true(r->guards[0].passed);
    assert_false(r->guards[0].cached);
    assert_true(r->guards[1].passed);
    assert_true(r->guards[1].cached);
    /* failed: the next row */
    sc_session *s2 = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s2, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s2, SC_EV_AcceptCall), SC_ENGINE_QUEUED);
    assert_int_equal(sc_engine_resume(f->engine, S.token, 0), 0);
    assert_string_equal(sc_session_state_name(s2), "Active");
    r = fx_hist(s2, 1);
    assert_int_equal(r->nguards, 1); /* the failed guard stopped its row */
    assert_false(r->guards[0].passed);
    fx_free(f);
}

static void test_removal_cancels(void **state)
{
    (void)state;
    fx *f = setup();
    f->hooks[SC_ACTION_Log] = suspend_hook;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), SC_ENGINE_QUEUED);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), SC_ENGINE_QUEUED);
    uint64_t token = S.token;
    assert_int_equal(sc_engine_remove_session_id(f->engine, sc_session_id(s), "killed"), 0);
    assert_int_equal(S.cancelled, 1);
    assert_int_equal(sc_store_count(f->store), 0);
    assert_int_equal(sc_engine_resume(f->engine, token, 0), -ENOENT);
    /* a session left suspended at teardown is cancelled too */
    sc_session *s2 = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s2, SC_EV_IncomingCall), SC_ENGINE_QUEUED);
    fx_free(f);
    assert_int_equal(S.cancelled, 2);
}

static int suspend_always(fx *f, const sc_exec *x)
{
    (void)f;
    S.token = sc_exec_suspend(x, on_cancel, &S);
    return 0;
}

static void test_two_waits_in_one_row(void **state)
{
    (void)state;
    fx *f = setup();
    f->hooks[SC_ACTION_StartMedia] = suspend_always;
    f->hooks[SC_ACTION_Log] = suspend_always;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), SC_ENGINE_QUEUED);
    uint64_t first = S.token;
    assert_int_equal(sc_engine_resume(f->engine, first, 0), 0);
    assert_true(S.token != first);
    assert_string_equal(sc_session_state_name(s), "Idle");
    assert_int_equal(sc_engine_resume(f->engine, S.token, 0), 0);
    assert_string_equal(sc_session_state_name(s), "Ringing");
    assert_string_equal(f->log, "StartMedia@Idle Log@Idle SendResponse@Idle ");
    assert_int_equal(sc_session_history_count(s), 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_suspends_and_resumes),
        cmocka_unit_test(test_failed_answer_takes_the_failure_path),
        cmocka_unit_test(test_guard_suspends),
        cmocka_unit_test(test_removal_cancels),
        cmocka_unit_test(test_two_waits_in_one_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
