/* test_obs_engine: the engine-side metrics (sc_coord__obs_attach_engine) on a bare engine with a
 * manual clock count exactly what was dispatched once the registry collects (as a scrape
 * does): transitions by event and outcome, failed transitions, the transition-time histogram,
 * sessions created/ended/reaped, call setup and duration histograms; they reuse a registry's
 * standard families, start from the attach, and stop counting once detached. */
#include "unit/engine/fixture.h"

#include "coord/metrics.h"
#include "session_core/obs.h"

#define N 7

static const char *TABLE = "version: 1\n"
                           "name: obs\n"
                           "initial: Idle\n"
                           "states:\n"
                           "  Idle: {}\n"
                           "  Ringing: {}\n"
                           "  Active: {}\n"
                           "  Terminated: {terminal: true}\n"
                           "  Failed: {terminal: true}\n"
                           "transitions:\n"
                           "  - {role: uas, from: Idle, event: IncomingCall, to: Ringing}\n"
                           "  - {role: any, from: Ringing, event: AcceptCall, to: Active, publish: [CallEstablished]}\n"
                           "  - {role: any, from: Active, event: HoldCall, guards: [HasSdp], to: Active}\n" FX_EXITS;

static uint64_t counter(sc_obs_metric *m, const char *a, const char *b)
{
    sc_obs_counter *c = b ? sc_obs_counter_with(m, a, b) : sc_obs_counter_with(m, a);
    assert_non_null(c);
    return c->value;
}

/* One call: IncomingCall, 2 s, AcceptCall (CallEstablished), HoldCall refused by its guard,
 * ResumeCall not accepted in Active, 3 s, DialogBYE (ends it). Six dispatches. */
static sc_session *one_call(fx *f)
{
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    sc_manual_clock_advance(f->clk, 2000000);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), SC_E_GUARDS_FAILED);
    assert_int_equal(fx_ev(f, s, SC_EV_ResumeCall), SC_E_NOT_ACCEPTED);
    sc_manual_clock_advance(f->clk, 3000000);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogBYE), 0);
    return s;
}

static void test_counts_exactly_what_was_dispatched(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_obs_registry *reg = NULL;
    assert_int_equal(sc_obs_registry_new(&reg), 0);
    sc_coord_obs_engine *h = NULL;
    assert_int_equal(sc_coord__obs_attach_engine(f->engine, reg, sc_manual_clock_get(f->clk), &h), 0);
    const sc_obs_std_metrics *m = sc_coord__obs_engine_std(h);
    assert_non_null(m);
    assert_ptr_equal(m->transitions, sc_obs_registry_find(reg, "sessioncore_transitions_total"));
    const char *outcome = NULL;
    /* a call before attaching is not counted (the engine's counts are folded from the attach) */
    sc_coord__obs_detach_engine(h);
    sc_engine_remove_session(f->engine, one_call(f), "retention");
    assert_int_equal(sc_coord__obs_attach_engine(f->engine, reg, sc_manual_clock_get(f->clk), &h), 0);
    m = sc_coord__obs_engine_std(h);
    for (int i = 0; i < N; i++) {
        sc_session *s = one_call(f);
        outcome = sc_session_outcome(s);
        sc_engine_remove_session(f->engine, s, "retention");
    }
    /* per-run figures are folded in at scrape time */
    assert_int_equal(sc_obs_counter_with(m->transitions, "IncomingCall", "ok")->value, 0);
    sc_obs_registry_collect(reg);
    assert_int_equal(counter(m->transitions, "IncomingCall", "ok"), N);
    assert_int_equal(counter(m->transitions, "AcceptCall", "ok"), N);
    assert_int_equal(counter(m->transitions, "HoldCall", "guards_failed"), N);
    assert_int_equal(counter(m->transitions, "ResumeCall", "not_accepted"), N);
    assert_int_equal(counter(m->transitions, "DialogBYE", "ok"), N);
    assert_int_equal(counter(m->transitions, "HoldCall", "ok"), 0);
    assert_int_equal(counter(m->transitions_failed, "guards_failed", NULL), N);
    assert_int_equal(counter(m->transitions_failed, "not_accepted", NULL), N);
    assert_int_equal(counter(m->transitions_failed, "action_failed", NULL), 0);
    assert_int_equal(counter(m->sessions_created, "uas", NULL), N);
    assert_int_equal(counter(m->sessions_created, "uac", NULL), 0);
    assert_int_equal(counter(m->sessions_ended, "uas", outcome ? outcome : "none"), N);
    assert_int_equal(counter(m->sessions_reaped, "retention", NULL), N);
    sc_obs_histogram *tt = sc_obs_histogram_with(m->transition_duration);
    assert_int_equal(tt->count, 5 * N);     /* one per dispatch run */
    assert_int_equal(tt->counts[0], 5 * N); /* no time passes in an action: all <= 1 us */
    assert_true(tt->sum == 0);
    sc_obs_registry_collect(reg); /* a second scrape adds nothing */
    assert_int_equal(tt->count, 5 * N);
    assert_int_equal(counter(m->transitions, "IncomingCall", "ok"), N);
    sc_obs_histogram *setup = sc_obs_histogram_with(m->call_setup, "uas");
    assert_int_equal(setup->count, N);
    assert_true(setup->sum > 2.0 * N - 1e-9 && setup->sum < 2.0 * N + 1e-9);
    sc_obs_histogram *dur = sc_obs_histogram_with(m->session_duration, "uas");
    assert_int_equal(dur->count, N);
    assert_true(dur->sum > 5.0 * N - 1e-9 && dur->sum < 5.0 * N + 1e-9);

    /* Detached: what ran since the last scrape is folded in, the values stay, nothing moves
     * any more. */
    sc_engine_remove_session(f->engine, one_call(f), "retention");
    sc_obs_metric *transitions = m->transitions; /* m belongs to the handle */
    sc_coord__obs_detach_engine(h);
    assert_int_equal(counter(transitions, "IncomingCall", "ok"), N + 1);
    assert_int_equal(tt->count, 5 * (N + 1));
    sc_session *s = one_call(f);
    (void)s;
    sc_obs_registry_collect(reg);
    assert_int_equal(
        sc_obs_counter_with(sc_obs_registry_find(reg, "sessioncore_transitions_total"), "IncomingCall", "ok")->value,
        N + 1);
    sc_obs_registry_free(reg);
    fx_free(f);
}

static void test_reuses_the_registry_families(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    sc_obs_registry *reg = NULL;
    sc_obs_std_metrics std;
    assert_int_equal(sc_obs_registry_new(&reg), 0);
    assert_int_equal(sc_obs_std_metrics_new(reg, &std), 0);
    sc_coord_obs_engine *h = NULL, *h2 = NULL;
    assert_int_equal(sc_coord__obs_attach_engine(f->engine, reg, NULL, &h), 0);
    assert_ptr_equal(sc_coord__obs_engine_std(h)->transitions, std.transitions);
    /* a second observer on the same registry counts into the same children */
    assert_int_equal(sc_coord__obs_attach_engine(f->engine, reg, NULL, &h2), 0);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    sc_obs_registry_collect(reg);
    assert_int_equal(counter(std.transitions, "IncomingCall", "ok"), 2);
    assert_int_equal(counter(std.sessions_created, "uas", NULL), 2);
    sc_coord__obs_detach_engine(h2);
    sc_coord__obs_detach_engine(h);
    sc_coord__obs_detach_engine(NULL);
    sc_obs_registry_free(reg);
    fx_free(f);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    fx *f = fx_new();
    sc_obs_registry *reg = NULL;
    assert_int_equal(sc_obs_registry_new(&reg), 0);
    sc_coord_obs_engine *h = NULL;
    assert_int_equal(sc_coord__obs_attach_engine(NULL, reg, NULL, &h), -EINVAL);
    assert_int_equal(sc_coord__obs_attach_engine(f->engine, NULL, NULL, &h), -EINVAL);
    assert_int_equal(sc_coord__obs_attach_engine(f->engine, reg, NULL, NULL), -EINVAL);
    assert_null(h);
    assert_null(sc_coord__obs_engine_std(NULL));
    sc_obs_registry_free(reg);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_exactly_what_was_dispatched),
        cmocka_unit_test(test_reuses_the_registry_families),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
