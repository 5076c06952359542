/* The shipped tables/default.yaml through the engine: a full incoming call and a full outgoing
 * call from Idle to Terminated, with the established check and retention. */
#include "unit/engine/fixture.h"

static char *read_default(size_t *len)
{
    FILE *fp = fopen(SC_SOURCE_DIR "/tables/default.yaml", "rb");
    if (!fp)
        return NULL;
    static char buf[1 << 20];
    *len = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[*len] = '\0';
    return buf;
}

static fx *load_default(void)
{
    size_t len;
    char *yaml = read_default(&len);
    if (!yaml)
        return NULL;
    fx *f = fx_new();
    fx_load(f, yaml);
    return f;
}

static int published_established;
static void on_publish(void *ud, sc_session *s, const char *name, int prio)
{
    (void)ud;
    (void)s;
    (void)prio;
    if (strcmp(name, "CallEstablished") == 0)
        published_established++;
}

static void test_incoming_call_walk(void **state)
{
    (void)state;
    fx *f = load_default();
    if (!f)
        skip();
    published_established = 0;
    sc_engine_observer obs = {.on_publish = on_publish};
    sc_engine_add_observer(f->engine, &obs);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_string_equal(sc_session_state_name(s), "Idle");
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    assert_string_equal(sc_session_state_name(s), "Ringing");
    assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    assert_string_equal(sc_session_state_name(s), "Answering");
    assert_int_equal(fx_ev(f, s, SC_EV_DialogACK), 0);
    assert_string_equal(sc_session_state_name(s), "Active");
    assert_int_equal(published_established, 1);
    assert_int_equal(fx_ev(f, s, SC_EV_DialogBYE), 0);
    assert_string_equal(sc_session_state_name(s), "Terminated");
    for (size_t i = 0; i < sc_session_history_count(s); i++)
        assert_int_equal(fx_hist(s, i)->outcome, SC_OUTCOME_TAKEN);
    uint32_t path[16];
    assert_true(sc_session_history_path(s, path, 16) >= 4);
    /* an event Terminated does not accept */
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), SC_E_NOT_ACCEPTED);
    /* retention: removed after the terminal state's max_ms */
    const sc_state_info *si = sc_table_state(f->table, sc_session_state(s));
    sc_manual_clock_advance(f->clk, si->max_ms * 1000u);
    assert_true(sc_engine_run_timers(f->engine, 0) >= 1);
    assert_int_equal(sc_store_count(f->store), 0);
    fx_free(f);
}

static void test_outgoing_call_walk(void **state)
{
    (void)state;
    fx *f = load_default();
    if (!f)
        skip();
    sc_session *s = fx_session(f, SC_ROLE_UAC);
    assert_int_equal(fx_ev(f, s, SC_EV_MakeCall), 0);
    assert_string_equal(sc_session_state_name(s), "Initiating");
    assert_int_equal(fx_ev(f, s, SC_EV_Dialog180Ringing), 0);
    assert_string_equal(sc_session_state_name(s), "Ringing");
    assert_int_equal(sc_engine_dispatch_simple(f->engine, s, SC_EV_Dialog200OK, 200, "OK"), 0);
    assert_string_equal(sc_session_state_name(s), "Active");
    assert_int_equal(fx_ev(f, s, SC_EV_HangupCall), 0);
    assert_string_equal(sc_session_state_name(s), "Terminating");
    assert_int_equal(sc_engine_dispatch_simple(f->engine, s, SC_EV_Dialog200OK, 200, "OK"), 0);
    assert_string_equal(sc_session_state_name(s), "Terminated");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incoming_call_walk),
        cmocka_unit_test(test_outgoing_call_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
