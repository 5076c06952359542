/* Engine conditions: `set` updates condition bits; when every established_when condition is
 * true the engine raises CheckConditions exactly once per session, never again. */
#include "unit/engine/fixture.h"

static const char *TABLE =
    "version: 1\n"
    "name: conditions\n"
    "initial: Idle\n"
    "established_when: [DialogEstablished, SdpNegotiated]\n"
    "states:\n"
    "  Idle: {}\n"
    "  Answering: {}\n"
    "  Active: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: uas, from: Idle, event: IncomingCall, actions: [StartMedia], set: {SdpNegotiated: true},\n"
    "     to: Answering}\n"
    "  - {role: uas, from: Answering, event: DialogACK, set: {DialogEstablished: true}, to: Active}\n"
    "  - {role: any, from: '*', event: CheckConditions, actions: [{Log: {message: established}}],\n"
    "     publish: [{name: CallEstablished, priority: critical}]}\n"
    "  - {role: any, from: Active, event: DialogReINVITE, set: {SdpNegotiated: false}}\n"
    "  - {role: any, from: Active, event: DialogReINVITEAccepted, set: {SdpNegotiated: true}}\n" FX_EXITS;

static int published;
static void on_publish(void *ud, sc_session *s, const char *name, int prio)
{
    (void)ud;
    (void)s;
    if (strcmp(name, "CallEstablished") == 0 && prio == SC_PRIO_CRITICAL)
        published++;
}

static void test_check_conditions_fires_once(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    published = 0;
    sc_engine_observer obs = {.on_publish = on_publish};
    assert_true(sc_engine_add_observer(f->engine, &obs) >= 0);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_true(sc_session_condition(s, SC_COND_SdpNegotiated));
    assert_false(sc_session_established_fired(s));
    assert_int_equal(published, 0);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogACK), 0);
    /* both true: CheckConditions ran right after the ACK, in the same dispatch */
    assert_true(sc_session_established_fired(s));
    assert_int_equal(published, 1);
    assert_int_equal(sc_session_history_count(s), 3);
    assert_int_equal(fx_hist(s, 2)->event, SC_EV_CheckConditions);
    assert_int_equal(fx_hist(s, 2)->outcome, SC_OUTCOME_TAKEN);
    /* more events, and the conditions going false and true again: never again */
    assert_int_equal(fx_ev(f, s, SC_EV_DialogReINVITE), 0);
    assert_false(sc_session_condition(s, SC_COND_SdpNegotiated));
    assert_int_equal(fx_ev(f, s, SC_EV_DialogReINVITEAccepted), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogReINVITE), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogReINVITEAccepted), 0);
    assert_int_equal(published, 1);
    assert_int_equal(sc_session_history_count(s), 7);
    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.conditions_fired, 1);
    /* once per session: a second session fires its own */
    sc_session *s2 = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s2, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s2, SC_EV_DialogACK), 0);
    assert_int_equal(published, 2);
    fx_free(f);
}

static void test_no_established_when_never_fires(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, "version: 1\nname: n\ninitial: Idle\nstates:\n  Idle: {}\n  Active: {}\n"
               "  Terminated: {terminal: true}\n  Failed: {terminal: true}\n"
               "transitions:\n"
               "  - {role: any, from: Idle, event: IncomingCall, set: {DialogEstablished: true,"
               " SdpNegotiated: true}, to: Active}\n" FX_EXITS);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_false(sc_session_established_fired(s));
    assert_int_equal(sc_session_history_count(s), 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_conditions_fires_once),
        cmocka_unit_test(test_no_established_when_never_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
