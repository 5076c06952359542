/* Engine failure paths: a failing action stops the transition, is in the history, and raises
 * ActionFailed for the table's declared failure path; a table that uses an unbound guard or
 * action is refused, naming it with its line and column; a second bind of a name is refused
 * and the first binding keeps running. */
#include "unit/engine/fixture.h"

static const char *TABLE = "version: 1\n"
                           "name: failure\n"
                           "initial: Idle\n"
                           "states:\n"
                           "  Idle: {}\n"
                           "  Ringing: {}\n"
                           "  Terminated: {terminal: true}\n"
                           "  Failed: {terminal: true}\n"
                           "transitions:\n"
                           "  - {role: any, from: Idle, event: IncomingCall,\n"
                           "     actions: [StartMedia, {SendResponse: {code: 180}}], to: Ringing}\n"
                           "  - {role: any, from: Idle, event: ActionFailed,\n"
                           "     actions: [{SendResponse: {code: 500}}, {SetOutcome: {outcome: failed}}], to: Failed}\n"
                           "  - {role: any, from: Ringing, event: AcceptCall, to: Terminated}\n" FX_EXITS;

static void test_action_failure_takes_declared_path(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    f->action_result[SC_ACTION_StartMedia] = -EIO;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    sc_outcome o;
    sc_event ev = {.type = SC_EV_IncomingCall};
    assert_int_equal(sc_engine_dispatch(f->engine, s, &ev, &o), SC_E_ACTION_FAILED);
    assert_int_equal(o, SC_OUTCOME_ACTION_FAILED);
    /* SendResponse 180 never ran; the failure path ran after */
    assert_string_equal(f->log, "StartMedia@Idle SendResponse@Idle SetOutcome@Idle ");
    assert_string_equal(sc_session_state_name(s), "Failed");

    assert_int_equal(sc_session_history_count(s), 2);
    const sc_history_record *r = fx_hist(s, 0);
    assert_int_equal(r->outcome, SC_OUTCOME_ACTION_FAILED);
    assert_int_equal(r->from, fx_state_id(f, "Idle"));
    assert_int_equal(r->to, fx_state_id(f, "Idle"));
    assert_int_equal(r->transition, 0);
    assert_int_equal(r->nactions, 1);
    assert_int_equal(r->actions[0].id, SC_ACTION_StartMedia);
    assert_int_equal(r->actions[0].result, -EIO);
    const sc_history_record *r2 = fx_hist(s, 1);
    assert_int_equal(r2->event, SC_EV_ActionFailed);
    assert_string_equal(r2->event_text, "StartMedia");
    assert_int_equal(r2->event_code, -EIO);
    assert_int_equal(r2->outcome, SC_OUTCOME_TAKEN);
    assert_int_equal(r2->to, fx_state_id(f, "Failed"));

    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.action_failed, 1);
    assert_int_equal(st.taken, 1);
    fx_free(f);
}

/* The failure path fails too (the same SendResponse that failed is what it runs): the
 * failing action is recorded, the row still reaches its declared state, and no second
 * ActionFailed is raised, so the session can never loop on its own failure path. */
static void test_failing_failure_path_still_reaches_its_state(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    f->action_result[SC_ACTION_StartMedia] = -EIO;
    f->action_result[SC_ACTION_SendResponse] = -ENOSPC;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    sc_event ev = {.type = SC_EV_IncomingCall};
    assert_int_equal(sc_engine_dispatch(f->engine, s, &ev, NULL), SC_E_ACTION_FAILED);
    assert_string_equal(sc_session_state_name(s), "Failed");
    assert_string_equal(f->log, "StartMedia@Idle SendResponse@Idle SetOutcome@Idle ");
    assert_int_equal(sc_session_history_count(s), 2);
    const sc_history_record *r2 = fx_hist(s, 1);
    assert_int_equal(r2->event, SC_EV_ActionFailed);
    assert_int_equal(r2->outcome, SC_OUTCOME_TAKEN);
    assert_int_equal(r2->nactions, 2);
    assert_int_equal(r2->actions[0].result, -ENOSPC);
    assert_int_equal(r2->actions[1].result, 0);
    fx_free(f);
}

static void test_failure_without_path_is_not_accepted_in_history(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    f->action_result[SC_ACTION_SendResponse] = -EPIPE;
    /* AcceptCall has no actions: cannot fail */
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_string_equal(sc_session_state_name(s), "Terminated");
    fx_free(f);
}

static void test_unbound_action_refuses_table(void **state)
{
    (void)state;
    fx *f = fx_new();
    sc_engine *e = NULL;
    assert_int_equal(sc_engine_new(&e, f->vocab, f->store, NULL), 0);
    assert_int_equal(sc_engine_bind_action(e, "NoSuchAction", fx_action, f), -ENOENT);
    assert_int_equal(sc_engine_bind_guard(e, "NoSuchGuard", fx_guard, f), -ENOENT);
    assert_int_equal(sc_engine_bind_action(e, "StartMedia", fx_action, f), 0);
    sc_table *t = NULL;
    assert_int_equal(sc_table_load_buffer(&t, "unbound.yaml", TABLE, strlen(TABLE), f->vocab, f->diags), 0);
    sc_diags *d = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    assert_int_equal(sc_engine_set_table(e, t, d), SC_E_UNBOUND);
    assert_null(sc_engine_table(e));
    sc_session *s = NULL;
    assert_int_equal(sc_engine_create_session(e, SC_ROLE_UAS, NULL, &s), -EINVAL);
    /* SendResponse (first used line 11) and SetOutcome (line 12), each named once */
    assert_int_equal(sc_diags_errors(d), 2);
    char buf[256];
    sc_diag_format(sc_diags_get(d, 0), buf, sizeof buf);
    assert_non_null(strstr(buf, "unbound.yaml:10:"));
    assert_non_null(strstr(buf, "action 'SendResponse'"));
    sc_diag_format(sc_diags_get(d, 1), buf, sizeof buf);
    assert_non_null(strstr(buf, "unbound.yaml:12:"));
    assert_non_null(strstr(buf, "action 'SetOutcome'"));
    /* bind them: accepted */
    assert_int_equal(sc_engine_bind_action(e, "SendResponse", fx_action, f), 0);
    assert_int_equal(sc_engine_bind_action(e, "SetOutcome", fx_action, f), 0);
    assert_int_equal(sc_engine_set_table(e, t, NULL), 0);
    assert_ptr_equal(sc_engine_table(e), t);
    sc_table_unref(t);
    sc_diags_free(d);
    sc_engine_free(e);
    fx_free(f);
}

static void test_unbound_guard_refuses_table(void **state)
{
    (void)state;
    fx *f = fx_new();
    sc_engine *e = NULL;
    assert_int_equal(sc_engine_new(&e, f->vocab, f->store, NULL), 0);
    const char *yaml = "version: 1\nname: g\ninitial: Idle\nstates:\n  Idle: {}\n  Active: {}\n"
                       "  Terminated: {terminal: true}\n  Failed: {terminal: true}\n"
                       "transitions:\n"
                       "  - {role: any, from: Idle, event: IncomingCall, guards: ['!HasReplaces'], to: Active}\n"
                       "  - {role: any, from: '*', event: HangupCall, to: Terminated}\n"
                       "  - {role: any, from: '*', event: DialogBYE, to: Terminated}\n"
                       "  - {role: any, from: '*', event: DialogError, to: Failed}\n";
    sc_table *t = NULL;
    assert_int_equal(sc_table_load_buffer(&t, "g.yaml", yaml, strlen(yaml), f->vocab, NULL), 0);
    assert_int_equal(sc_engine_set_table(e, t, f->diags), SC_E_UNBOUND);
    char buf[256];
    sc_diag_format(sc_diags_get(f->diags, 0), buf, sizeof buf);
    assert_non_null(strstr(buf, "g.yaml:10:"));
    assert_non_null(strstr(buf, "guard 'HasReplaces'"));
    sc_table_unref(t);
    sc_engine_free(e);
    fx_free(f);
}

/* A row with one guard and one action, for the double-bind tests. */
static const char *BIND_TABLE =
    "version: 1\n"
    "name: bind\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: any, from: Idle, event: IncomingCall, guards: [HasReplaces], actions: [StartMedia],\n"
    "     to: Ringing}\n" FX_EXITS;

/* Which binding ran: calls[0] counts the first function, calls[1] the second. */
static int first_action(const sc_exec *x)
{
    ((int *)x->ud)[0]++;
    return 0;
}
static int second_action(const sc_exec *x)
{
    ((int *)x->ud)[1]++;
    return 0;
}
static bool first_guard(const sc_exec *x)
{
    ((int *)x->ud)[0]++;
    return true;
}
static bool second_guard(const sc_exec *x)
{
    ((int *)x->ud)[1]++;
    return false;
}

/* Set BIND_TABLE on e and run IncomingCall on a new session: the dispatch result. */
static int bind_table_run(fx *f, sc_engine *e, sc_session **out)
{
    sc_table *t = NULL;
    assert_int_equal(sc_table_load_buffer(&t, "bind.yaml", BIND_TABLE, strlen(BIND_TABLE), f->vocab, f->diags), 0);
    int r = sc_engine_set_table(e, t, f->diags);
    if (r)
        fx_print_diags(f->diags);
    assert_int_equal(r, 0);
    sc_table_unref(t);
    assert_int_equal(sc_engine_create_session(e, SC_ROLE_UAS, NULL, out), 0);
    return sc_engine_dispatch_simple(e, *out, SC_EV_IncomingCall, 0, NULL);
}

static void test_second_action_bind_is_refused(void **state)
{
    (void)state;
    fx *f = fx_new();
    sc_engine *e = NULL;
    assert_int_equal(sc_engine_new(&e, f->vocab, f->store, NULL), 0);
    int acalls[2] = {0}, gcalls[2] = {0};
    assert_int_equal(sc_engine_bind_guard(e, "HasReplaces", first_guard, gcalls), 0);
    assert_int_equal(sc_engine_bind_action(e, "StartMedia", first_action, acalls), 0);
    /* a second bind of the name fails, whatever the function; so do the other errors */
    assert_int_equal(sc_engine_bind_action(e, "StartMedia", second_action, acalls), -EEXIST);
    assert_int_equal(sc_engine_bind_action(e, "StartMedia", first_action, NULL), -EEXIST);
    assert_int_equal(sc_engine_bind_action(e, "StartMedia", NULL, acalls), -EINVAL);
    assert_true(sc_engine_action_bound(e, SC_ACTION_StartMedia));
    /* the first function (with its ud) is the one that runs */
    sc_session *s = NULL;
    assert_int_equal(bind_table_run(f, e, &s), 0);
    assert_string_equal(sc_session_state_name(s), "Ringing");
    assert_int_equal(acalls[0], 1);
    assert_int_equal(acalls[1], 0);
    sc_engine_free(e);
    fx_free(f);
}

static void test_second_guard_bind_is_refused(void **state)
{
    (void)state;
    fx *f = fx_new();
    sc_engine *e = NULL;
    assert_int_equal(sc_engine_new(&e, f->vocab, f->store, NULL), 0);
    int acalls[2] = {0}, gcalls[2] = {0};
    assert_int_equal(sc_engine_bind_guard(e, "HasReplaces", first_guard, gcalls), 0);
    assert_int_equal(sc_engine_bind_guard(e, "HasReplaces", second_guard, gcalls), -EEXIST);
    assert_int_equal(sc_engine_bind_guard(e, "HasReplaces", first_guard, NULL), -EEXIST);
    assert_int_equal(sc_engine_bind_guard(e, "HasReplaces", NULL, gcalls), -EINVAL);
    assert_true(sc_engine_guard_bound(e, SC_GUARD_HasReplaces));
    assert_int_equal(sc_engine_bind_action(e, "StartMedia", first_action, acalls), 0);
    /* the first guard (true) decides: had the second (false) replaced it, the guards would fail */
    sc_session *s = NULL;
    assert_int_equal(bind_table_run(f, e, &s), 0);
    assert_string_equal(sc_session_state_name(s), "Ringing");
    assert_int_equal(gcalls[0], 1);
    assert_int_equal(gcalls[1], 0);
    assert_int_equal(acalls[0], 1);
    sc_engine_free(e);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_failure_takes_declared_path),
        cmocka_unit_test(test_failing_failure_path_still_reaches_its_state),
        cmocka_unit_test(test_failure_without_path_is_not_accepted_in_history),
        cmocka_unit_test(test_unbound_action_refuses_table),
        cmocka_unit_test(test_unbound_guard_refuses_table),
        cmocka_unit_test(test_second_action_bind_is_refused),
        cmocka_unit_test(test_second_guard_bind_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
