/* The reaper (src/coord/cleanup.c) and the engine's retention on the shipped default table
 * with a manual clock and no-op actions: every retention rule (terminated/cancelled 5 min,
 * failed 10 min, a state's max_ms, the global maximum age, configured caps), the bound on the
 * work of one sweep over 100,000 sessions, and a churn of 100,000 short sessions after which
 * the store, the timers and the session bytes are back to their baseline. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "coord/cleanup.h"
#include "session_core/engine.h"

#define MIN_US (60ull * 1000000ull)

typedef struct fx {
    sc_manual_clock *clk;
    sc_vocab *vocab;
    sc_store *store;
    sc_engine *engine;
    sc_table *table;
    sc_coord_cleanup *cleanup;
    size_t removed; /* on_session_removed calls */
    char last_reason[32];
} fx;

static bool guard_false(const sc_exec *x)
{
    (void)x;
    return false;
}

static int action_noop(const sc_exec *x)
{
    (void)x;
    return 0;
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    fx *f = ud;
    (void)s;
    f->removed++;
    snprintf(f->last_reason, sizeof f->last_reason, "%s", reason ? reason : "");
}

/* The default table on a manual clock; cc NULL = no reaper. */
static fx *fx_new(const sc_coord_cleanup_config *cc, size_t history)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(sc_manual_clock_new(&f->clk, 1000000, 1795780800000000LL), 0);
    assert_int_equal(sc_vocab_new(&f->vocab), 0);
    sc_store_config sc = {.clock = sc_manual_clock_get(f->clk), .history_capacity = history};
    assert_int_equal(sc_store_new(&f->store, &sc), 0);
    sc_engine_config ec;
    sc_engine_config_default(&ec);
    ec.terminal_retention_ms = cc ? cc->engine_retention_ms : 600000;
    assert_int_equal(sc_engine_new(&f->engine, f->vocab, f->store, &ec), 0);
    for (size_t i = 0; i < sc_vocab_count(f->vocab, SC_VOCAB_GUARD); i++)
        sc_engine_bind_guard(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_GUARD, (sc_id)i), guard_false, f);
    for (size_t i = 0; i < sc_vocab_count(f->vocab, SC_VOCAB_ACTION); i++)
        sc_engine_bind_action(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_ACTION, (sc_id)i), action_noop, f);
    sc_diags *d = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    assert_int_equal(sc_table_load_file(&f->table, SC_SOURCE_DIR "/tables/default.yaml", f->vocab, d), 0);
    assert_int_equal(sc_engine_set_table(f->engine, f->table, d), 0);
    sc_diags_free(d);
    sc_engine_observer obs = {.on_session_removed = on_removed, .ud = f};
    assert_true(sc_engine_add_observer(f->engine, &obs) >= 0);
    if (cc)
        assert_int_equal(sc_coord__cleanup_new(&f->cleanup, f->engine, cc), 0);
    return f;
}

static void fx_free(fx *f)
{
    sc_coord__cleanup_free(f->cleanup);
    sc_engine_free(f->engine);
    sc_store_free(f->store);
    sc_table_unref(f->table);
    sc_vocab_free(f->vocab);
    sc_manual_clock_free(f->clk);
    free(f);
}

static void advance(fx *f, uint64_t us)
{
    sc_manual_clock_advance(f->clk, us);
    sc_engine_run_timers(f->engine, 0);
}

static int ev(fx *f, sc_session *s, sc_id type)
{
    return sc_engine_dispatch_simple(f->engine, s, type, type == SC_EV_Dialog200OK ? 200 : 0, NULL);
}

/* An answered incoming call (Active). */
static sc_session *active_call(fx *f)
{
    sc_session *s = NULL;
    assert_int_equal(sc_engine_create_session(f->engine, SC_ROLE_UAS, NULL, &s), 0);
    assert_int_equal(ev(f, s, SC_EV_IncomingCall), 0);
    assert_int_equal(ev(f, s, SC_EV_AcceptCall), 0);
    assert_int_equal(ev(f, s, SC_EV_DialogACK), 0);
    assert_string_equal(sc_session_state_name(s), "Active");
    return s;
}

static const char *state_of(fx *f, const char *id)
{
    sc_session *s = sc_store_get(f->store, id);
    return s ? sc_session_state_name(s) : "(removed)";
}

/* ---- retention rules ------------------------------------------------------------------- */

static void test_terminated_after_5_min_failed_after_10(void **state)
{
    (void)state;
    sc_coord_cleanup_config cc;
    sc_coord__cleanup_config_default(&cc);
    fx *f = fx_new(&cc, 0);
    sc_session *t = active_call(f);
    char tid[SC_SESSION_ID_MAX + 1];
    snprintf(tid, sizeof tid, "%s", sc_session_id(t));
    assert_int_equal(ev(f, t, SC_EV_DialogBYE), 0);
    assert_string_equal(state_of(f, tid), "Terminated");
    sc_session *x = NULL; /* an outgoing call that fails */
    assert_int_equal(sc_engine_create_session(f->engine, SC_ROLE_UAC, NULL, &x), 0);
    char xid[SC_SESSION_ID_MAX + 1];
    snprintf(xid, sizeof xid, "%s", sc_session_id(x));
    assert_int_equal(ev(f, x, SC_EV_MakeCall), 0);
    assert_int_equal(ev(f, x, SC_EV_DialogError), 0);
    assert_string_equal(state_of(f, xid), "Failed");
    sc_session *c = NULL; /* an outgoing call cancelled by the caller */
    assert_int_equal(sc_engine_create_session(f->engine, SC_ROLE_UAC, NULL, &c), 0);
    char cid[SC_SESSION_ID_MAX + 1];
    snprintf(cid, sizeof cid, "%s", sc_session_id(c));
    assert_int_equal(ev(f, c, SC_EV_MakeCall), 0);
    assert_int_equal(ev(f, c, SC_EV_Dialog180Ringing), 0);
    assert_int_equal(ev(f, c, SC_EV_HangupCall), 0);
    assert_int_equal(ev(f, c, SC_EV_Dialog487RequestTerminated), 0);
    assert_string_equal(state_of(f, cid), "Cancelled");

    advance(f, 5 * MIN_US - 1000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, tid), "Terminated");
    assert_string_equal(state_of(f, cid), "Cancelled");
    advance(f, 1000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, tid), "(removed)");
    assert_string_equal(state_of(f, cid), "(removed)");
    assert_string_equal(f->last_reason, "retention");
    assert_string_equal(state_of(f, xid), "Failed");
    advance(f, 5 * MIN_US - 1000);
    assert_string_equal(state_of(f, xid), "Failed");
    advance(f, 1000);
    assert_string_equal(state_of(f, xid), "(removed)");
    assert_int_equal(sc_store_count(f->store), 0);
    assert_int_equal(sc_engine_timer_count(f->engine), 0);
    fx_free(f);
}

static void test_configured_caps_shorten_the_table(void **state)
{
    (void)state;
    sc_coord_cleanup_config cc;
    sc_coord__cleanup_config_default(&cc);
    cc.retention_ms = 1000;        /* 1 s instead of the table's 5 min */
    cc.failed_retention_ms = 2000; /* 2 s instead of 10 min */
    fx *f = fx_new(&cc, 0);
    sc_session *t = active_call(f);
    char tid[SC_SESSION_ID_MAX + 1];
    snprintf(tid, sizeof tid, "%s", sc_session_id(t));
    assert_int_equal(ev(f, t, SC_EV_DialogBYE), 0);
    sc_session *x = NULL;
    assert_int_equal(sc_engine_create_session(f->engine, SC_ROLE_UAC, NULL, &x), 0);
    char xid[SC_SESSION_ID_MAX + 1];
    snprintf(xid, sizeof xid, "%s", sc_session_id(x));
    assert_int_equal(ev(f, x, SC_EV_MakeCall), 0);
    assert_int_equal(ev(f, x, SC_EV_DialogError), 0);
    sc_coord_cleanup_stats st;
    sc_coord__cleanup_get_stats(f->cleanup, &st);
    assert_int_equal(st.retention_pending, 2);
    advance(f, 999000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, tid), "Terminated");
    advance(f, 1000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, tid), "(removed)");
    assert_string_equal(state_of(f, xid), "Failed");
    advance(f, 1000000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, xid), "(removed)");
    sc_coord__cleanup_get_stats(f->cleanup, &st);
    assert_int_equal(st.retention_removed, 2);
    assert_int_equal(st.retention_pending, 0);
    assert_int_equal(sc_engine_timer_count(f->engine), 0);
    fx_free(f);
}

static void test_state_max_ms_ends_through_the_table(void **state)
{
    (void)state;
    fx *f = fx_new(NULL, 0);
    sc_session *s = active_call(f);
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", sc_session_id(s));
    const sc_state_info *si = sc_table_state(f->table, sc_session_state(s));
    assert_int_equal(si->max_ms, 14400000); /* Active: 4 h */
    advance(f, si->max_ms * 1000u - 1);
    assert_string_equal(state_of(f, id), "Active");
    advance(f, 1);
    assert_string_equal(state_of(f, id), "Terminating"); /* SessionExpired: SendBye */
    s = sc_store_get(f->store, id);
    sc_history_record r;
    assert_int_equal(sc_session_history_get(s, sc_session_history_count(s) - 1, &r), 0);
    assert_int_equal(r.event, SC_EV_SessionExpired);
    fx_free(f);
}

static void test_global_max_age(void **state)
{
    (void)state;
    sc_coord_cleanup_config cc;
    sc_coord__cleanup_config_default(&cc);
    cc.max_age_ms = 3600000; /* 1 h, shorter than Active's 4 h */
    cc.grace_ms = 10000;     /* shorter than Terminating's own 32 s timer */
    fx *f = fx_new(&cc, 0);
    sc_session *old = active_call(f);
    char oid[SC_SESSION_ID_MAX + 1];
    snprintf(oid, sizeof oid, "%s", sc_session_id(old));
    advance(f, 30 * MIN_US);
    sc_session *young = active_call(f);
    char yid[SC_SESSION_ID_MAX + 1];
    snprintf(yid, sizeof yid, "%s", sc_session_id(young));
    advance(f, 30 * MIN_US - 1000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, oid), "Active");
    advance(f, 1000);
    size_t examined = 0;
    sc_coord__cleanup_sweep(f->cleanup, &examined);
    assert_int_equal(examined, 1); /* only the due entry: the young one is not touched */
    assert_string_equal(state_of(f, oid), "Terminating");
    assert_string_equal(state_of(f, yid), "Active");
    /* the BYE is never answered: after the grace, SessionExpired again ends it */
    advance(f, cc.grace_ms * 1000u - 1000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, oid), "Terminating");
    advance(f, 1000);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, oid), "Terminated");
    sc_coord_cleanup_stats st;
    sc_coord__cleanup_get_stats(f->cleanup, &st);
    assert_int_equal(st.expired, 2);
    assert_int_equal(st.forced, 0);
    /* the young one expires 30 min later */
    advance(f, 30 * MIN_US);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    assert_string_equal(state_of(f, yid), "Terminating");
    fx_free(f);
}

/* ---- the bound on one sweep ------------------------------------------------------------ */

#define MANY 100000

static void test_sweep_bound_100k(void **state)
{
    (void)state;
    sc_coord_cleanup_config cc;
    sc_coord__cleanup_config_default(&cc);
    cc.max_age_ms = 60000;
    cc.per_tick = 1000;
    fx *f = fx_new(&cc, 4);
    for (size_t i = 0; i < MANY; i++) { /* ringing incoming calls (no max_ms on Ringing) */
        sc_session *s = NULL;
        assert_int_equal(sc_engine_create_session(f->engine, SC_ROLE_UAS, NULL, &s), 0);
        assert_int_equal(ev(f, s, SC_EV_IncomingCall), 0);
    }
    assert_int_equal(sc_store_count_in_state(f->store, "Ringing"), MANY);
    size_t examined = 0;
    sc_coord__cleanup_sweep(f->cleanup, &examined); /* nobody is old: nothing is touched */
    assert_int_equal(examined, 0);
    advance(f, 60 * 1000000ull);
    size_t sweeps = 0;
    bool more = true;
    while (more) {
        more = sc_coord__cleanup_sweep(f->cleanup, &examined);
        assert_true(examined <= cc.per_tick);
        sweeps++;
        assert_true(sweeps <= MANY / cc.per_tick + 2);
    }
    sc_coord_cleanup_stats st;
    sc_coord__cleanup_get_stats(f->cleanup, &st);
    assert_int_equal(st.expired, MANY);
    assert_true(st.max_examined <= cc.per_tick);
    assert_int_equal(sc_store_count_in_state(f->store, "Rejected"), MANY); /* 480 via the table */
    printf("100000 expired sessions: %zu sweeps, at most %zu examined per sweep\n", sweeps, st.max_examined);
    fx_free(f);
}

/* ---- churn ----------------------------------------------------------------------------- */

static int sum_bytes(sc_session *s, void *ud)
{
    *(size_t *)ud += sc_session_bytes(s);
    return 0;
}

static void test_churn_100k(void **state)
{
    (void)state;
    sc_coord_cleanup_config cc;
    sc_coord__cleanup_config_default(&cc);
    fx *f = fx_new(&cc, 0);
    size_t base_count = sc_store_count(f->store), base_timers = sc_engine_timer_count(f->engine);
    size_t base_bytes = 0, peak_bytes = 0, peak_count = 0;
    sc_store_foreach(f->store, sum_bytes, &base_bytes);
    for (size_t i = 0; i < MANY; i++) {
        sc_session *s = NULL;
        if (i % 2) { /* incoming: answered, caller hangs up */
            s = active_call(f);
            assert_int_equal(ev(f, s, SC_EV_DialogBYE), 0);
        } else { /* outgoing: answered, we hang up, the BYE is answered */
            assert_int_equal(sc_engine_create_session(f->engine, SC_ROLE_UAC, NULL, &s), 0);
            assert_int_equal(ev(f, s, SC_EV_MakeCall), 0);
            assert_int_equal(ev(f, s, SC_EV_Dialog200OK), 0);
            assert_int_equal(ev(f, s, SC_EV_HangupCall), 0);
            assert_int_equal(ev(f, s, SC_EV_Dialog200OK), 0);
        }
        assert_string_equal(sc_session_state_name(s), "Terminated");
        if (i % 10000 == 9999) {
            size_t bytes = 0;
            sc_store_foreach(f->store, sum_bytes, &bytes);
            if (bytes > peak_bytes) {
                peak_bytes = bytes;
                peak_count = sc_store_count(f->store);
            }
        }
        if (i % 1000 == 999) { /* a minute passes every 1,000 calls */
            sc_manual_clock_advance(f->clk, MIN_US);
            sc_engine_run_timers(f->engine, 0);
            sc_coord__cleanup_sweep(f->cleanup, NULL);
        }
    }
    advance(f, 10 * MIN_US);
    sc_coord__cleanup_sweep(f->cleanup, NULL);
    size_t bytes = 0;
    sc_store_foreach(f->store, sum_bytes, &bytes);
    printf("churn of %d sessions: peak %zu sessions / %zu bytes held; after: %zu sessions, %zu timers, %zu bytes\n",
           MANY, peak_count, peak_bytes, sc_store_count(f->store), sc_engine_timer_count(f->engine), bytes);
    fflush(stdout);
    assert_true(peak_count > 0 && peak_count <= 6000); /* 5 min of retention at 1,000 per minute */
    assert_int_equal(sc_store_count(f->store), base_count);
    assert_int_equal(sc_engine_timer_count(f->engine), base_timers);
    assert_int_equal(bytes, base_bytes);
    assert_int_equal(f->removed, MANY);
    sc_coord_cleanup_stats st;
    sc_coord__cleanup_get_stats(f->cleanup, &st);
    assert_int_equal(st.retention_pending, 0);
    assert_true(st.age_pending <= 2 * peak_count + 1025); /* the age queue stays bounded */
    sc_engine_stats es;
    sc_engine_get_stats(f->engine, &es);
    assert_int_equal(es.sessions_created, MANY);
    assert_int_equal(es.sessions_removed, MANY);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terminated_after_5_min_failed_after_10),
        cmocka_unit_test(test_configured_caps_shorten_the_table),
        cmocka_unit_test(test_state_max_ms_ends_through_the_table),
        cmocka_unit_test(test_global_max_age),
        cmocka_unit_test(test_sweep_bound_100k),
        cmocka_unit_test(test_churn_100k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
