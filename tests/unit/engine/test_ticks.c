/* Timing on the system clock: with the CPU's cycle counter (src/engine/ticks.c, when the
 * kernel keeps time with the TSC) or with the clock, a run's time stays within the clock
 * readings around the dispatch, records never go back in time, a slow action's duration is
 * its real one and a fast one's is small, across the counter's calibrations. With the counter,
 * actions not timed alone share one read (dispatch.c): fast ones record 0 µs, and in the first
 * slow run of such a group each shows the group's time, after which each is timed alone. In a
 * burst (a run less than 1 µs after the engine's last read) that read is skipped, but for one
 * run in SC_ENGINE__BURST_READ. */
#include "unit/engine/fixture.h"

#include <time.h>

#include "engine/engine_int.h"

static const char *TABLE =
    "version: 1\n"
    "name: ticks\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: any, from: Idle, event: IncomingCall, actions: [StartMedia, {Log: {message: hi}}], to: Ringing}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, actions: [UpdateMedia], to: Idle}\n" FX_EXITS;

#define SLOW_US 3000u /* StartMedia busy-waits this long */
/* What the counter's conversion may be off from the clock: 500 µs; under valgrind (the CI runs
 * the unit tests under it too) every clock read takes tens of µs, the 10 ms first calibration
 * is that much less exact and 100 ms of it can drift a few ms, so the bound is 20 ms there. */
static unsigned SLACK_US = 500u;

static void slack_for_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload"))
        SLACK_US = 20000u;
}

static uint64_t now_us(void) { return sc_clock_mono_us(sc_clock_system()); }

/* Out of a burst: the next run starts over 1 µs after the engine's last read of action time,
 * so it reads after its untimed actions. */
static void past_burst(void)
{
    uint64_t until = now_us() + 5;
    while (now_us() < until)
        ;
}

static int slow_hook(fx *f, const sc_exec *x)
{
    (void)f;
    (void)x;
    uint64_t until = now_us() + SLOW_US;
    while (now_us() < until)
        ;
    return 0;
}

/* Runs in which an action other than StartMedia showed StartMedia's time: the first slow run
 * timed with the counter, while its neighbour was not timed alone yet (an upper bound). */
static int shared_runs;

static void check_last(const sc_session *s, uint64_t before, uint64_t after, uint64_t *prev_mono)
{
    const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_non_null(r);
    assert_int_equal(r->outcome, SC_OUTCOME_TAKEN);
    assert_true(r->mono_us + SLACK_US >= before);
    assert_true(r->mono_us <= after + SLACK_US);
    assert_true(r->mono_us >= *prev_mono); /* never back */
    *prev_mono = r->mono_us;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wall = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    assert_true(r->wall_us <= wall + (int64_t)SLACK_US);
    assert_true(r->wall_us + 1000000 > wall);
    for (unsigned i = 0; i < r->nactions; i++) {
        uint32_t d = r->actions[i].duration_us;
        assert_true(d <= after - before + SLACK_US);
        if (r->actions[i].id == SC_ACTION_StartMedia)
            assert_true(d + SLACK_US >= SLOW_US); /* the real duration, not a sample's */
        else if (d >= SLOW_US / 2)
            shared_runs++;
    }
}

static void test_system_clock_runs(void **state)
{
    (void)state;
    slack_for_valgrind();
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    cfg.clock = sc_clock_system();
    fx *f = fx_new_cfg(&cfg);
    fx_load(f, TABLE);
    f->hooks[SC_ACTION_StartMedia] = slow_hook;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    uint64_t prev = 0;
    shared_runs = 0;
    /* 50 slow runs: ~150 ms, past the first calibration (10 ms) and the second (100 ms later) */
    for (int i = 0; i < 50; i++) {
        uint64_t before = now_us();
        assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
        uint64_t after = now_us();
        check_last(s, before, after, &prev);
        before = now_us();
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
        after = now_us();
        check_last(s, before, after, &prev);
    }
    if (f->engine->tk.on) /* the counter was calibrated and used */
        assert_true(f->engine->tk.mult > 0 && f->engine->tk.ncal >= 2);
    /* Log is timed alone after that (under valgrind a run's first pass through new code takes
     * milliseconds: fast actions are not told from slow ones there) */
    if (SLACK_US <= 500u)
        assert_true(shared_runs <= (f->engine->tk.on ? 1 : 0));
    fx_free(f);
}

/* With the counter off (as on a machine without a usable TSC) the same holds. */
static void test_clock_only(void **state)
{
    (void)state;
    slack_for_valgrind();
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    cfg.clock = sc_clock_system();
    fx *f = fx_new_cfg(&cfg);
    sc_engine__ticks_set(f->engine, false);
    fx_load(f, TABLE);
    f->hooks[SC_ACTION_StartMedia] = slow_hook;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    uint64_t prev = 0;
    shared_runs = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t before = now_us();
        assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
        check_last(s, before, now_us(), &prev);
        before = now_us();
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
        check_last(s, before, now_us(), &prev);
    }
    assert_false(f->engine->tk.on);
    if (SLACK_US <= 500u)
        assert_int_equal(shared_runs, 0); /* the clock is read after every action */
    /* found slow by the clock: timed alone when the counter serves (none of its runs read in a
     * burst as part of a group) */
    assert_int_equal(f->engine->actions[SC_ACTION_StartMedia].timed, 64);
    fx_free(f);
}

/* An injected clock is read as before: durations come from it alone. */
static int advance_hook(fx *f, const sc_exec *x)
{
    (void)x;
    sc_manual_clock_advance(f->clk, 1234);
    return 0;
}

static void test_manual_clock_untouched(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_load(f, TABLE);
    assert_false(f->engine->tk.on);
    f->hooks[SC_ACTION_StartMedia] = advance_hook;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_int_equal(r->nactions, 2);
    assert_int_equal(r->actions[0].duration_us, 1234);
    assert_int_equal(r->actions[1].duration_us, 0);
    assert_int_equal(r->mono_us, 1000000);
    fx_free(f);
}

static const char *TABLE3 =
    "version: 1\n"
    "name: ticks3\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: any, from: Idle, event: IncomingCall, actions: [{Log: {message: a}}, StartMedia, UpdateMedia], to: Ringing}\n"
    "  - {role: any, from: Ringing, event: AcceptCall, to: Idle}\n" FX_EXITS;

static const sc_id THREE[] = {SC_ACTION_Log, SC_ACTION_StartMedia, SC_ACTION_UpdateMedia};

/* An engine on the system clock whose counter is calibrated (NULL: no usable counter here). */
static fx *calibrated(void)
{
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    cfg.clock = sc_clock_system();
    fx *f = fx_new_cfg(&cfg);
    if (!f->engine->tk.on) {
        fx_free(f);
        return NULL;
    }
    fx_load(f, TABLE3);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    uint64_t until = now_us() + 2000000;
    while (!f->engine->tk.mult && now_us() < until) { /* the first ratio comes after 10 ms */
        f->log[0] = '\0';
        assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    }
    assert_true(f->engine->tk.mult > 0);
    return f;
}

/* Not timed alone (as after fast runs): each of the three shares the one read after them. */
static void untime(fx *f)
{
    for (size_t i = 0; i < 3; i++)
        f->engine->actions[THREE[i]].timed = 0;
}

/* The first slow run of a group timed by one read: each action shows the group's time (an
 * upper bound) and is timed alone from then on, so the next runs give each its own. */
static void test_group_then_alone(void **state)
{
    (void)state;
    slack_for_valgrind();
    fx *f = calibrated();
    if (!f)
        skip();
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    untime(f);
    f->hooks[SC_ACTION_StartMedia] = slow_hook;
    f->log[0] = '\0';
    past_burst();
    uint64_t before = now_us();
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    uint64_t after = now_us();
    const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_int_equal(r->nactions, 3);
    for (unsigned i = 0; i < 3; i++) { /* the group's time on each */
        assert_true(r->actions[i].duration_us + SLACK_US >= SLOW_US);
        assert_true(r->actions[i].duration_us <= after - before + SLACK_US);
        assert_true(f->engine->actions[THREE[i]].timed > 0);
    }
    assert_int_equal(r->actions[0].duration_us, r->actions[2].duration_us);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    for (int k = 0; k < 3; k++) { /* then each its own */
        f->log[0] = '\0';
        assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
        r = fx_hist(s, sc_session_history_count(s) - 1);
        assert_true(r->actions[0].duration_us < SLOW_US / 2);
        assert_true(r->actions[1].duration_us + SLACK_US >= SLOW_US);
        assert_true(r->actions[2].duration_us < SLOW_US / 2);
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    }
    fx_free(f);
}

/* Built with AddressSanitizer: every action takes a microsecond or more there. */
#if defined(__SANITIZE_ADDRESS__)
#define TICKS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TICKS_SANITIZED 1
#endif
#endif
#ifndef TICKS_SANITIZED
#define TICKS_SANITIZED 0
#endif

/* Actions timed by one read: each run records either 0 µs for each (the group took under 1 µs:
 * their times rounded down) with the actions left untimed, or the group's time on each (an
 * upper bound) with all three then timed alone; fast ones (most runs, where actions are fast:
 * not under valgrind or a sanitizer) record 0. One of them turning slow is timed alone from its
 * next run on. */
static void test_fast_group_records_zero(void **state)
{
    (void)state;
    slack_for_valgrind();
    bool slow_build = SLACK_US > 500u || TICKS_SANITIZED;
    fx *f = calibrated();
    if (!f)
        skip();
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    int zero = 0, runs = 200;
    for (int k = 0; k < runs; k++) {
        untime(f);
        f->log[0] = '\0';
        assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
        const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
        assert_int_equal(r->nactions, 3);
        bool all0 = true;
        for (unsigned i = 0; i < 3; i++)
            all0 = all0 && r->actions[i].duration_us == 0;
        for (unsigned i = 0; i < 3; i++) { /* one shape or the other, whatever the speed */
            assert_int_equal(r->actions[i].duration_us, r->actions[0].duration_us);
            assert_int_equal(f->engine->actions[THREE[i]].timed > 0, !all0);
        }
        zero += all0;
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    }
    if (!slow_build)
        assert_true(zero >= runs * 9 / 10); /* all but runs an interrupt or preemption hit */
    untime(f);
    f->hooks[SC_ACTION_UpdateMedia] = slow_hook; /* the last one turns slow */
    f->log[0] = '\0';
    past_burst();
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_true(f->engine->actions[SC_ACTION_UpdateMedia].timed > 0);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_true(r->actions[0].duration_us < SLOW_US / 2);
    assert_true(r->actions[2].duration_us + SLACK_US >= SLOW_US);
    fx_free(f);
}

/* In a burst the read after untimed actions is skipped: they record 0 µs unmeasured, and one
 * of them that turned slow is not seen, until one run in SC_ENGINE__BURST_READ of those in a
 * burst reads all the same (then each of the group shows its time and is timed alone). A run
 * out of the burst reads, and a run timed alone is read whatever the burst. */
static void test_burst_skips_group_read(void **state)
{
    (void)state;
    slack_for_valgrind();
    fx *f = calibrated();
    if (!f)
        skip();
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    untime(f);
    f->hooks[SC_ACTION_UpdateMedia] = slow_hook;
    f->engine->tk.bursts = 0;
    const sc_history_record *r;
    for (int k = 1; k < SC_ENGINE__BURST_READ; k++) {
        f->engine->tk.read_until = UINT64_MAX; /* every run starts in a burst */
        f->log[0] = '\0';
        assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
        r = fx_hist(s, sc_session_history_count(s) - 1);
        assert_int_equal(r->nactions, 3);
        for (unsigned i = 0; i < 3; i++) { /* not read: 0 µs, the slow one not seen */
            assert_int_equal(r->actions[i].duration_us, 0);
            assert_int_equal(f->engine->actions[THREE[i]].timed, 0);
        }
        assert_int_equal(f->engine->tk.bursts, (uint64_t)k);
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0); /* no actions: no read to skip */
        assert_int_equal(f->engine->tk.bursts, (uint64_t)k);
    }
    f->engine->tk.read_until = UINT64_MAX;
    f->log[0] = '\0';
    uint64_t before = now_us();
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0); /* the one in 16 that reads */
    uint64_t after = now_us();
    r = fx_hist(s, sc_session_history_count(s) - 1);
    for (unsigned i = 0; i < 3; i++) {
        assert_true(r->actions[i].duration_us + SLACK_US >= SLOW_US);
        assert_true(r->actions[i].duration_us <= after - before + SLACK_US);
        assert_true(f->engine->actions[THREE[i]].timed > 0);
    }
    assert_true(f->engine->tk.read_until < UINT64_MAX); /* moved by the read */
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    /* timed alone now: each read, burst or not */
    f->engine->tk.read_until = UINT64_MAX;
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_true(r->actions[0].duration_us < SLOW_US / 2);
    assert_true(r->actions[2].duration_us + SLACK_US >= SLOW_US);
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    /* out of a burst an untimed group is read: the slow one is seen in its first run */
    untime(f);
    f->engine->tk.read_until = 0;
    f->log[0] = '\0';
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_true(r->actions[2].duration_us + SLACK_US >= SLOW_US);
    assert_true(f->engine->actions[SC_ACTION_UpdateMedia].timed > 0);
    fx_free(f);
}

static uint64_t susp_token;

static int suspend_hook(fx *f, const sc_exec *x)
{
    (void)f;
    susp_token = sc_exec_suspend(x, NULL, NULL);
    return 0;
}

/* A run timed with the counter that waits at its second action: the first (untimed) one's
 * time ends at the suspension, the wait is the second's, the rest is read with the clock. */
static void test_suspend_in_group(void **state)
{
    (void)state;
    slack_for_valgrind();
    fx *f = calibrated();
    if (!f)
        skip();
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    untime(f);
    f->hooks[SC_ACTION_StartMedia] = suspend_hook;
    f->log[0] = '\0';
    uint64_t before = now_us();
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), SC_ENGINE_QUEUED);
    assert_true(susp_token != 0);
    uint64_t until = now_us() + SLOW_US;
    while (now_us() < until)
        ;
    f->hooks[SC_ACTION_StartMedia] = NULL;
    assert_int_equal(sc_engine_resume(f->engine, susp_token, 0), 0);
    uint64_t after = now_us();
    assert_string_equal(sc_session_state_name(s), "Ringing");
    const sc_history_record *r = fx_hist(s, sc_session_history_count(s) - 1);
    assert_int_equal(r->nactions, 3);
    assert_int_equal(r->actions[0].id, SC_ACTION_Log);
    assert_int_equal(r->actions[1].id, SC_ACTION_StartMedia);
    assert_int_equal(r->actions[2].id, SC_ACTION_UpdateMedia);
    assert_true(r->actions[0].duration_us < SLOW_US / 2);
    assert_true(r->actions[1].duration_us + SLACK_US >= SLOW_US); /* the wait */
    assert_true(r->actions[1].duration_us <= after - before + SLACK_US);
    assert_true(r->actions[2].duration_us < SLOW_US / 2);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_clock_runs),       cmocka_unit_test(test_clock_only),
        cmocka_unit_test(test_manual_clock_untouched),  cmocka_unit_test(test_group_then_alone),
        cmocka_unit_test(test_fast_group_records_zero), cmocka_unit_test(test_suspend_in_group),
        cmocka_unit_test(test_burst_skips_group_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
