/* Engine dispatch rules: distinct results for not-accepted and guards-failed events, role
 * matching (`any` rows apply to both roles, the exact role wins), history on every run,
 * condition updates, observers and counters. */
#include "unit/engine/fixture.h"

static const char *TABLE =
    "version: 1\n"
    "name: dispatch\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Active: {}\n"
    "  OnHold: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: uas, from: Idle, event: IncomingCall, actions: [StartMedia], to: Ringing}\n"
    "  - {role: uac, from: Idle, event: MakeCall, actions: [SendInvite], to: Ringing}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, actions: [{Log: {message: any}}], to: Active,\n"
    "     set: {DialogEstablished: true}, publish: [CallAnswered]}\n"
    "  - {role: uas, from: Ringing, event: AcceptCall, guards: [AutoAnswer],\n"
    "     actions: [{SendResponse: {code: 200}}], to: Active}\n"
    "  - {role: any, from: Active, event: HoldCall, guards: [HasSdp, '!IsBridged'],\n"
    "     actions: [{SendReInvite: {direction: sendonly}}], to: OnHold}\n"
    "  - {role: any, from: OnHold, event: ResumeCall, to: Active}\n" FX_EXITS;

static void test_not_accepted_and_guards_failed_are_distinct(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    sc_outcome o = SC_OUTCOME_TAKEN;

    /* uas has no MakeCall row: not accepted, state unchanged */
    sc_event ev = {.type = SC_EV_MakeCall};
    assert_int_equal(sc_engine_dispatch(f->engine, s, &ev, &o), SC_E_NOT_ACCEPTED);
    assert_int_equal(o, SC_OUTCOME_NOT_ACCEPTED);
    assert_string_equal(sc_session_state_name(s), "Idle");

    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    f->guard_value[SC_GUARD_AutoAnswer] = true;
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_string_equal(sc_session_state_name(s), "Active");

    /* HoldCall rows exist, HasSdp is false: guards failed, a different result */
    ev.type = SC_EV_HoldCall;
    assert_int_equal(sc_engine_dispatch(f->engine, s, &ev, &o), SC_E_GUARDS_FAILED);
    assert_int_equal(o, SC_OUTCOME_GUARDS_FAILED);
    assert_string_equal(sc_session_state_name(s), "Active");
    /* negation honoured: HasSdp true and IsBridged false -> taken */
    f->guard_value[SC_GUARD_HasSdp] = true;
    assert_int_equal(sc_engine_dispatch(f->engine, s, &ev, &o), 0);
    assert_int_equal(o, SC_OUTCOME_TAKEN);
    assert_string_equal(sc_session_state_name(s), "OnHold");
    /* IsBridged true -> !IsBridged fails */
    assert_int_equal(fx_ev(f, s, SC_EV_ResumeCall), 0);
    f->guard_value[SC_GUARD_IsBridged] = true;
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), SC_E_GUARDS_FAILED);

    /* every run is in the history, with its outcome and guards */
    assert_int_equal(sc_session_history_count(s), 7);
    const sc_history_record *r0 = fx_hist(s, 0);
    assert_int_equal(r0->seq, 1);
    assert_int_equal(r0->outcome, SC_OUTCOME_NOT_ACCEPTED);
    assert_int_equal(r0->transition, UINT32_MAX);
    const sc_history_record *r3 = fx_hist(s, 3);
    assert_int_equal(r3->outcome, SC_OUTCOME_GUARDS_FAILED);
    assert_int_equal(r3->nguards, 1);
    assert_int_equal(r3->guards[0].id, SC_GUARD_HasSdp);
    assert_false(r3->guards[0].passed);
    const sc_history_record *r6 = fx_hist(s, 6);
    assert_int_equal(r6->nguards, 2);
    assert_true(r6->guards[1].negate);
    assert_false(r6->guards[1].passed);
    assert_int_equal(sc_session_failed_transitions(s), 3);

    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.not_accepted, 1);
    assert_int_equal(st.guards_failed, 2);
    assert_int_equal(st.taken, 4);
    fx_free(f);
}

static void test_any_role_applies_to_both_and_exact_role_wins(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    f->guard_value[SC_GUARD_AutoAnswer] = true;

    /* uas: the exact-role row (SendResponse) is tried before the any row (Log) */
    sc_session *uas = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, uas, SC_EV_IncomingCall), 0);
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, uas, SC_EV_AcceptCall), 0);
    assert_string_equal(f->log, "SendResponse@Ringing ");

    /* uas whose exact row's guard fails falls back to the any row */
    f->guard_value[SC_GUARD_AutoAnswer] = false;
    sc_session *uas2 = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, uas2, SC_EV_IncomingCall), 0);
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, uas2, SC_EV_AcceptCall), 0);
    assert_string_equal(f->log, "Log@Ringing ");
    const sc_history_record *r = fx_hist(uas2, 1);
    assert_int_equal(r->nguards, 1); /* AutoAnswer evaluated, failed, then the any row */
    assert_false(r->guards[0].passed);

    /* uac: only the any row applies */
    sc_session *uac = fx_session(f, SC_ROLE_UAC);
    assert_int_equal(fx_ev(f, uac, SC_EV_MakeCall), 0);
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, uac, SC_EV_AcceptCall), 0);
    assert_string_equal(f->log, "Log@Ringing ");
    assert_string_equal(sc_session_state_name(uac), "Active");
    /* the any HangupCall row works for both roles */
    assert_int_equal(fx_ev(f, uac, SC_EV_HangupCall), 0);
    assert_int_equal(fx_ev(f, uas, SC_EV_HangupCall), 0);
    assert_string_equal(sc_session_state_name(uac), "Terminated");
    assert_string_equal(sc_session_state_name(uas), "Terminated");
    fx_free(f);
}

static int param_hook(fx *f, const sc_exec *x)
{
    (void)f;
    assert_int_equal(sc_exec_param_int(x, "code", -1), 200);
    assert_null(sc_exec_param_str(x, "reason", NULL));
    assert_string_equal(sc_exec_param_str(x, "reason", "dflt"), "dflt");
    assert_int_equal(sc_exec_param_int(x, "missing", 7), 7);
    assert_true(sc_exec_param_bool(x, "code", true)); /* wrong type -> default */
    assert_non_null(x->transition);
    assert_int_equal(x->event->type, SC_EV_AcceptCall);
    return 0;
}

typedef struct seen {
    int created, transitions, removed;
    char published[64];
    char reason[32];
} seen;

static void on_created(void *ud, sc_session *s)
{
    (void)s;
    ((seen *)ud)->created++;
}
static void on_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    (void)s;
    seen *w = ud;
    w->transitions++;
    assert_non_null(rec);
    if (rec->outcome == SC_OUTCOME_TAKEN)
        assert_non_null(t);
    else
        assert_null(t);
}
static void on_publish(void *ud, sc_session *s, const char *name, int prio)
{
    (void)s;
    snprintf(((seen *)ud)->published, 64, "%s/%d", name, prio);
}
static void on_removed(void *ud, sc_session *s, const char *reason)
{
    assert_non_null(sc_session_id(s));
    snprintf(((seen *)ud)->reason, 32, "%s", reason);
    ((seen *)ud)->removed++;
}

static void test_params_conditions_observers(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    seen w = {0};
    sc_engine_observer obs = {.on_session_created = on_created,
                              .on_transition = on_transition,
                              .on_publish = on_publish,
                              .on_session_removed = on_removed,
                              .ud = &w};
    int h = sc_engine_add_observer(f->engine, &obs);
    assert_true(h >= 0);
    f->hooks[SC_ACTION_SendResponse] = param_hook;
    f->guard_value[SC_GUARD_AutoAnswer] = true;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(w.created, 1);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_false(sc_session_condition(s, SC_COND_DialogEstablished)); /* exact row has no set */
    assert_int_equal(fx_ev(f, s, SC_EV_MakeCall), SC_E_NOT_ACCEPTED);
    assert_int_equal(w.transitions, 3);

    f->guard_value[SC_GUARD_AutoAnswer] = false;
    sc_session *s2 = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s2, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s2, SC_EV_AcceptCall), 0);
    assert_true(sc_session_condition(s2, SC_COND_DialogEstablished));
    assert_string_equal(w.published, "CallAnswered/1");

    sc_engine_remove_session(f->engine, s2, "test");
    assert_int_equal(w.removed, 1);
    assert_string_equal(w.reason, "test");
    assert_int_equal(sc_store_count(f->store), 1);
    assert_int_equal(sc_engine_remove_observer(f->engine, h), 0);
    assert_int_equal(sc_engine_remove_observer(f->engine, h), -ENOENT);
    /* removal by id is idempotent */
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", sc_session_id(s));
    assert_int_equal(sc_engine_remove_session_id(f->engine, id, "x"), 0);
    assert_int_equal(sc_engine_remove_session_id(f->engine, id, "x"), -ENOENT);
    assert_int_equal(sc_store_count(f->store), 0);
    assert_int_equal(w.removed, 1); /* observer was removed before */
    fx_free(f);
}

static void test_new_table_for_new_sessions_only(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *old = fx_session(f, SC_ROLE_UAS);
    const sc_table *t1 = sc_session_table(old);
    fx_load(f, "version: 2\nname: other\ninitial: Idle\nstates:\n  Idle: {}\n  Ringing: {}\n"
               "  Terminated: {terminal: true}\n  Failed: {terminal: true}\n"
               "transitions:\n"
               "  - {role: any, from: Idle, event: IncomingCall, to: Ringing}\n" FX_EXITS);
    sc_session *fresh = fx_session(f, SC_ROLE_UAS);
    assert_ptr_equal(sc_session_table(old), t1);
    assert_ptr_not_equal(sc_session_table(fresh), t1);
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, old, SC_EV_IncomingCall), 0);
    assert_string_equal(f->log, "StartMedia@Idle "); /* the old table's row */
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, fresh, SC_EV_IncomingCall), 0);
    assert_string_equal(f->log, "");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_accepted_and_guards_failed_are_distinct),
        cmocka_unit_test(test_any_role_applies_to_both_and_exact_role_wins),
        cmocka_unit_test(test_params_conditions_observers),
        cmocka_unit_test(test_new_table_for_new_sessions_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
