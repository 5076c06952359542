/* test_metrics: the engine's own metric counts (sc_engine_metrics_get): exact transitions by
 * event and outcome (taken, not accepted, guards failed, action failed and the ActionFailed it
 * queues), the run-time histogram's power-of-two buckets and sum under a manual clock, sessions
 * ended by role, nothing counted with counts_off; and the observer hooks that go with them:
 * on_session_ended once per ended session and on_publish limited to a publish_only name,
 * answered per table across a table change. */
#include "unit/engine/fixture.h"

static const char *TABLE =
    "version: 1\n"
    "name: metrics\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Active: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: uas, from: Idle, event: IncomingCall, actions: [StartMedia], to: Ringing, publish: [Ring]}\n"
    "  - {role: uac, from: Idle, event: MakeCall, actions: [SendInvite], to: Ringing}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, actions: [{Log: {message: a}}], to: Active,\n"
    "     publish: [Answered, CallEstablished]}\n"
    "  - {role: any, from: Active, event: HoldCall, guards: [HasSdp], to: Active}\n"
    "  - {role: any, from: Active, event: DialogReINVITEAccepted, actions: [{SendReInvite: {direction: sendonly}}]}\n" FX_EXITS;

/* The same without CallEstablished (a second table version). */
static const char *TABLE2 =
    "version: 2\n"
    "name: metrics\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Active: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: uas, from: Idle, event: IncomingCall, to: Ringing}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, to: Active, publish: [Answered]}\n" FX_EXITS;

/* Actions advance the manual clock by advance_us[action id] microseconds. */
static uint64_t advance_us[128];

static int advance(fx *f, const sc_exec *x)
{
    sc_manual_clock_advance(f->clk, advance_us[x->call->id]);
    return 0;
}

static uint64_t tr(fx *f, sc_id ev, sc_outcome o)
{
    return sc_engine_metrics_transitions(sc_engine_metrics_get(f->engine), ev, o);
}

/* A UAS call: IncomingCall (3 us), AcceptCall (1000 us), HoldCall refused by its guard,
 * ResumeCall not accepted, DialogReINVITEAccepted whose action fails after 2 us (ActionFailed
 * is queued and not accepted), DialogBYE (ends it). A UAC call: MakeCall (5 s), DialogError. */
static void run_calls(fx *f)
{
    memset(advance_us, 0, sizeof advance_us);
    advance_us[SC_ACTION_StartMedia] = 3;
    advance_us[SC_ACTION_Log] = 1000;
    advance_us[SC_ACTION_SendReInvite] = 2;
    advance_us[SC_ACTION_SendInvite] = 5000000;
    f->hooks[SC_ACTION_StartMedia] = advance;
    f->hooks[SC_ACTION_Log] = advance;
    f->hooks[SC_ACTION_SendReInvite] = advance;
    f->hooks[SC_ACTION_SendInvite] = advance;
    f->action_result[SC_ACTION_SendReInvite] = -EIO;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), SC_E_GUARDS_FAILED);
    assert_int_equal(fx_ev(f, s, SC_EV_ResumeCall), SC_E_NOT_ACCEPTED);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogReINVITEAccepted), SC_E_ACTION_FAILED);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogBYE), 0);
    sc_session *c = fx_session(f, SC_ROLE_UAC);
    assert_int_equal(fx_ev(f, c, SC_EV_MakeCall), 0);
    assert_int_equal(fx_ev(f, c, SC_EV_DialogError), 0);
}

static void test_exact_counts(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    run_calls(f);
    const sc_engine_metrics *m = sc_engine_metrics_get(f->engine);
    assert_non_null(m);
    assert_true(m->nevents >= sc_vocab_count(f->vocab, SC_VOCAB_EVENT));
    assert_int_equal(tr(f, SC_EV_IncomingCall, SC_OUTCOME_TAKEN), 1);
    assert_int_equal(tr(f, SC_EV_AcceptCall, SC_OUTCOME_TAKEN), 1);
    assert_int_equal(tr(f, SC_EV_HoldCall, SC_OUTCOME_GUARDS_FAILED), 1);
    assert_int_equal(tr(f, SC_EV_HoldCall, SC_OUTCOME_TAKEN), 0);
    assert_int_equal(tr(f, SC_EV_ResumeCall, SC_OUTCOME_NOT_ACCEPTED), 1);
    assert_int_equal(tr(f, SC_EV_DialogReINVITEAccepted, SC_OUTCOME_ACTION_FAILED), 1);
    assert_int_equal(tr(f, SC_EV_ActionFailed, SC_OUTCOME_NOT_ACCEPTED), 1);
    assert_int_equal(tr(f, SC_EV_DialogBYE, SC_OUTCOME_TAKEN), 1);
    assert_int_equal(tr(f, SC_EV_MakeCall, SC_OUTCOME_TAKEN), 1);
    assert_int_equal(tr(f, SC_EV_DialogError, SC_OUTCOME_TAKEN), 1);
    uint64_t total = 0;
    for (size_t i = 0; i < m->nevents * SC_ENGINE_OUTCOMES; i++)
        total += m->transitions[i];
    assert_int_equal(total, 9);
    /* 0 us: HoldCall, ResumeCall, ActionFailed, DialogBYE, DialogError; 2 us; 3 us (<= 4);
     * 1000 us (<= 1024); 5 s (past 2^20 us: the last bucket) */
    uint64_t want[SC_ENGINE_TIME_BUCKETS] = {0};
    want[0] = 5;
    want[1] = 1;
    want[2] = 1;
    want[10] = 1;
    want[SC_ENGINE_TIME_BUCKETS - 1] = 1;
    for (int b = 0; b < SC_ENGINE_TIME_BUCKETS; b++)
        assert_int_equal(m->time_buckets[b], want[b]);
    assert_int_equal(m->time_sum_us, 3 + 1000 + 2 + 5000000);
    assert_int_equal(m->sessions_ended[SC_ROLE_UAS], 1);
    assert_int_equal(m->sessions_ended[SC_ROLE_UAC], 1);
    /* out of range */
    assert_int_equal(sc_engine_metrics_transitions(m, (sc_id)m->nevents + 5, SC_OUTCOME_TAKEN), 0);
    assert_int_equal(sc_engine_metrics_transitions(m, SC_EV_IncomingCall, (sc_outcome)7), 0);
    assert_int_equal(sc_engine_metrics_transitions(NULL, SC_EV_IncomingCall, SC_OUTCOME_TAKEN), 0);
    assert_null(sc_engine_metrics_get(NULL));
    fx_free(f);
}

static void test_counts_off(void **state)
{
    (void)state;
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    assert_false(cfg.counts_off);
    cfg.counts_off = true;
    fx *f = fx_new_cfg(&cfg);
    fx_load(f, TABLE);
    run_calls(f);
    const sc_engine_metrics *m = sc_engine_metrics_get(f->engine);
    assert_int_equal(tr(f, SC_EV_IncomingCall, SC_OUTCOME_TAKEN), 0);
    for (int b = 0; b < SC_ENGINE_TIME_BUCKETS; b++)
        assert_int_equal(m->time_buckets[b], 0);
    assert_int_equal(m->time_sum_us, 0);
    assert_int_equal(m->sessions_ended[SC_ROLE_UAS] + m->sessions_ended[SC_ROLE_UAC], 0);
    sc_engine_stats st;
    sc_engine_get_stats(f->engine, &st);
    assert_int_equal(st.dispatched, 9); /* the engine still ran them */
    fx_free(f);
}

static void test_time_bucket(void **state)
{
    (void)state;
    assert_int_equal(sc_engine_time_bucket(0), 0);
    assert_int_equal(sc_engine_time_bucket(1), 0);
    assert_int_equal(sc_engine_time_bucket(2), 1);
    assert_int_equal(sc_engine_time_bucket(3), 2);
    assert_int_equal(sc_engine_time_bucket(4), 2);
    assert_int_equal(sc_engine_time_bucket(5), 3);
    assert_int_equal(sc_engine_time_bucket(1024), 10);
    assert_int_equal(sc_engine_time_bucket(1025), 11);
    assert_int_equal(sc_engine_time_bucket(1u << 20), 20);
    assert_int_equal(sc_engine_time_bucket((1u << 20) + 1), SC_ENGINE_TIME_BUCKETS - 1);
    assert_int_equal(sc_engine_time_bucket(UINT64_MAX), SC_ENGINE_TIME_BUCKETS - 1);
}

typedef struct seen {
    int ended, ended_uas, established, all_published, transitions;
} seen;

static void on_ended(void *ud, sc_session *s)
{
    seen *w = ud;
    w->ended++;
    w->ended_uas += sc_session_role(s) == SC_ROLE_UAS;
    assert_true(sc_table_state(sc_session_table(s), sc_session_state(s))->terminal);
}

static void on_established(void *ud, sc_session *s, const char *name, int priority)
{
    seen *w = ud;
    (void)s;
    assert_string_equal(name, "CallEstablished");
    assert_int_equal(priority, SC_PRIO_NORMAL);
    w->established++;
}

static void on_any_publish(void *ud, sc_session *s, const char *name, int priority)
{
    seen *w = ud;
    (void)s, (void)name, (void)priority;
    w->all_published++;
}

static void on_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    seen *w = ud;
    (void)s, (void)rec, (void)t;
    w->transitions++;
}

static void test_ended_and_publish_only(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    seen a = {0}, b = {0};
    sc_engine_observer fa = {
        .on_session_ended = on_ended, .on_publish = on_established, .publish_only = "CallEstablished", .ud = &a};
    sc_engine_observer fb = {.on_publish = on_any_publish, .on_transition = on_transition, .ud = &b};
    int ha = sc_engine_add_observer(f->engine, &fa);
    int hb = sc_engine_add_observer(f->engine, &fb);
    assert_true(ha >= 0 && hb >= 0);
    run_calls(f);
    assert_int_equal(a.ended, 2);
    assert_int_equal(a.ended_uas, 1);
    assert_int_equal(a.established, 1);
    assert_int_equal(b.all_published, 3); /* Ring, Answered, CallEstablished */
    assert_int_equal(b.transitions, 9);
    /* a second table without CallEstablished: its sessions publish nothing for a */
    fx_load(f, TABLE2);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_int_equal(a.established, 1);
    assert_int_equal(b.all_published, 4);
    /* removed: no longer told */
    assert_int_equal(sc_engine_remove_observer(f->engine, ha), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogBYE), 0);
    assert_int_equal(a.ended, 2);
    assert_int_equal(sc_engine_metrics_get(f->engine)->sessions_ended[SC_ROLE_UAS], 2);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_counts),
        cmocka_unit_test(test_counts_off),
        cmocka_unit_test(test_time_bucket),
        cmocka_unit_test(test_ended_and_publish_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
