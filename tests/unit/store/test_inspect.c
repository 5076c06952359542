/* Store inspection: the summary record, possible events from the compiled table for the
 * session's role and state, conditions, and health verdicts against thresholds. */
#include "unit/store/store_fixture.h"

static bool has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

static void test_summary_and_inspection(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "i1");
    sc_session_set_field(s, SC_FIELD_CALL_ID, "cid@x");
    sc_session_set_field(s, SC_FIELD_LOCAL_URI, "sip:bob@127.0.0.1");
    sc_session_set_field(s, SC_FIELD_PEER_ID, "i2");
    sc_session_set_condition(s, SC_COND_SdpNegotiated, true);
    json_t *sum = NULL;
    assert_int_equal(sc_session_to_json(s, &sum), 0);
    assert_string_equal(json_string_value(json_object_get(sum, "id")), "i1");
    assert_string_equal(json_string_value(json_object_get(sum, "role")), "uas");
    assert_string_equal(json_string_value(json_object_get(sum, "state")), "Idle");
    assert_string_equal(json_string_value(json_object_get(sum, "call_id")), "cid@x");
    assert_true(json_is_null(json_object_get(sum, "remote_uri")));
    assert_string_equal(json_string_value(json_object_get(sum, "created_at")), "2026-11-27T12:00:00.000000Z");
    json_decref(sum);

    sc_manual_clock_advance(f->clk, 2500000);
    json_t *j = NULL;
    assert_int_equal(sc_store_inspect(s, NULL, &j), 0);
    json_t *pe = json_object_get(j, "possible_events");
    /* uas in Idle: IncomingCall (uas row) and the universal exits; not MakeCall (uac) */
    assert_true(has_string(pe, "IncomingCall"));
    assert_true(has_string(pe, "HangupCall"));
    assert_false(has_string(pe, "MakeCall"));
    assert_int_equal(json_integer_value(json_object_get(j, "time_in_state_ms")), 2500);
    assert_true(json_is_true(json_object_get(json_object_get(j, "conditions"), "SdpNegotiated")));
    assert_true(json_is_false(json_object_get(json_object_get(j, "conditions"), "MediaReady")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "links"), "peer")), "i2");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "fields"), "local_uri")),
                        "sip:bob@127.0.0.1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "health"), "verdict")), "ok");
    assert_true(json_integer_value(json_object_get(json_object_get(j, "resources"), "bytes")) > 0);
    assert_string_equal(json_string_value(json_object_get(j, "table_hash")), sc_table_hash(f->table));
    json_decref(j);

    /* uac in Ringing accepts Dialog200OK, not AcceptCall */
    sc_session *c = sf_create(f, SC_ROLE_UAC, "c1");
    sc_session_set_state(c, (sc_id)sc_table_state_id(f->table, "Ringing"));
    assert_int_equal(sc_store_inspect(c, NULL, &j), 0);
    pe = json_object_get(j, "possible_events");
    assert_true(has_string(pe, "Dialog200OK"));
    assert_false(has_string(pe, "AcceptCall"));
    json_decref(j);
    sf_free(f);
}

static void test_health_verdicts(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_inspect_opts o = {.history_last = 4, .stuck_after_ms = 1000, .error_threshold = 3, .stale_after_ms = 5000};
    sc_session *s = sf_create(f, SC_ROLE_UAS, "h");
    json_t *reasons = NULL;
    assert_int_equal(sc_session_health(s, &o, &reasons), SC_HEALTH_OK);
    assert_int_equal(json_array_size(reasons), 0);
    json_decref(reasons);

    sc_manual_clock_advance(f->clk, 1000 * 1000);
    assert_int_equal(sc_session_health(s, &o, NULL), SC_HEALTH_STUCK);
    /* a terminal state is never stuck */
    sc_session_set_state(s, (sc_id)sc_table_state_id(f->table, "Terminated"));
    assert_int_equal(sc_session_health(s, &o, NULL), SC_HEALTH_OK);
    sc_manual_clock_advance(f->clk, 5000 * 1000);
    assert_int_equal(sc_session_health(s, &o, &reasons), SC_HEALTH_STALE);
    assert_non_null(strstr(json_string_value(json_array_get(reasons, 0)), "no update for 5000 ms"));
    json_decref(reasons);
    sc_session_touch(s);
    for (int i = 0; i < 3; i++)
        sc_session_count_failure(s);
    assert_int_equal(sc_session_health(s, &o, &reasons), SC_HEALTH_ERROR_PRONE);
    assert_non_null(strstr(json_string_value(json_array_get(reasons, 0)), "3 failed transitions"));
    json_decref(reasons);
    json_t *j = NULL;
    assert_int_equal(sc_store_inspect(s, &o, &j), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "health"), "verdict")), "error_prone");
    assert_int_equal(json_integer_value(json_object_get(j, "failed_transitions")), 3);
    json_decref(j);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_and_inspection),
        cmocka_unit_test(test_health_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
