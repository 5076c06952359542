/* Store history: the ring grows lazily, wraps at its capacity and counts dropped records;
 * JSON and CSV exports have exact ISO-8601 UTC timestamps, µs durations and CSV quoting. */
#include "unit/store/store_fixture.h"

/* Record i of s's history (a copy), failing the test when there is none. */
static sc_history_record rec_at(const sc_session *s, size_t i)
{
    sc_history_record r;
    assert_int_equal(sc_session_history_get(s, i, &r), 0);
    return r;
}

static void fill(sf *f, sc_session *s, sc_id ev, const char *text)
{
    sc_history_record rec;
    sc_history_record *r = &rec;
    sc_history_record_init(r);
    r->wall_us = sc_clock_wall_us(sc_manual_clock_get(f->clk));
    r->mono_us = sc_clock_mono_us(sc_manual_clock_get(f->clk));
    r->from = 0;
    r->to = 1;
    r->event = ev;
    if (text)
        snprintf(r->event_text, sizeof r->event_text, "%s", text);
    r->outcome = SC_OUTCOME_TAKEN;
    assert_int_equal(sc_session_history_commit(s, r), 0);
}

static void test_ring_grows_wraps_and_counts_drops(void **state)
{
    (void)state;
    sf *f = sf_new(20);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "h");
    size_t empty = sc_session_bytes(s);
    assert_int_equal(sc_session_history_count(s), 0);
    fill(f, s, SC_EV_IncomingCall, NULL);
    /* lazily allocated, small first: far less than 4 unpacked records */
    assert_true(sc_session_bytes(s) - empty > 0);
    assert_true(sc_session_bytes(s) - empty <= 4 * sizeof(sc_history_record) / 2);
    for (int i = 1; i < 20; i++)
        fill(f, s, SC_EV_DtmfReceived, NULL);
    size_t grown = sc_session_bytes(s) - empty;
    assert_true(grown < 20 * sizeof(sc_history_record) / 2);
    assert_int_equal(sc_session_history_dropped(s), 0);
    for (int i = 0; i < 15; i++)
        fill(f, s, SC_EV_HangupCall, NULL);
    assert_int_equal(sc_session_history_count(s), 20);
    assert_int_equal(sc_session_history_dropped(s), 15);
    assert_int_equal(rec_at(s, 0).seq, 16);
    assert_int_equal(rec_at(s, 19).seq, 35);
    sc_history_record r;
    assert_int_equal(sc_session_history_get(s, 20, &r), -ENOENT);
    assert_int_equal(sc_session_history_next_seq(s), 36);
    assert_int_equal(sc_session_bytes(s) - empty, grown); /* bounded: records of one size wrap in place */
    json_t *j = NULL;
    assert_int_equal(sc_session_history_json(s, 5, &j), 0);
    assert_int_equal(json_array_size(j), 5);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "seq")), 31);
    json_decref(j);
    sf_free(f);
}

static void test_path_lists_taken_transitions(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "p");
    uint32_t idx[] = {0, UINT32_MAX, 2, 6};
    sc_outcome oc[] = {SC_OUTCOME_TAKEN, SC_OUTCOME_NOT_ACCEPTED, SC_OUTCOME_TAKEN, SC_OUTCOME_TAKEN};
    for (int i = 0; i < 4; i++) {
        sc_history_record r;
        sc_history_record_init(&r);
        r.transition = idx[i];
        r.outcome = oc[i];
        assert_int_equal(sc_session_history_commit(s, &r), 0);
    }
    uint32_t out[8];
    assert_int_equal(sc_session_history_path(s, out, 8), 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 6);
    assert_int_equal(sc_session_history_path(s, out, 2), 2);
    sf_free(f);
}

static void test_json_export_format(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "j");
    sc_manual_clock_advance(f->clk, 123456);
    sc_history_record rec;
    sc_history_record *r = &rec;
    sc_history_record_init(r);
    r->wall_us = sc_clock_wall_us(sc_manual_clock_get(f->clk));
    r->mono_us = 42;
    r->from = (sc_id)sc_table_state_id(f->table, "Active");
    r->to = r->from;
    r->event = SC_EV_HoldCall;
    r->event_code = 0;
    r->transition = 5;
    r->nguards = 1;
    r->guards[0] = (sc_history_guard){SC_GUARD_HasSdp, true, false, false};
    r->nactions = 1;
    r->actions[0] = (sc_history_action){SC_ACTION_SendReInvite, -5, 1234};
    r->outcome = SC_OUTCOME_ACTION_FAILED;
    assert_int_equal(sc_session_history_commit(s, r), 0);
    assert_int_equal(r->seq, 1);
    rec = rec_at(s, 0); /* the ring's copy */
    json_t *j = NULL;
    assert_int_equal(sc_history_record_to_json(s, r, &j), 0);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(txt, "{\"seq\":1,\"time\":\"2026-11-27T12:00:00.123456Z\",\"mono_us\":42,\"from\":\"Active\","
                             "\"event\":\"HoldCall\",\"event_code\":0,\"event_text\":null,\"transition\":5,"
                             "\"guards\":[{\"name\":\"HasSdp\",\"negate\":true,\"passed\":false}],"
                             "\"actions\":[{\"name\":\"SendReInvite\",\"result\":-5,\"duration_us\":1234}],"
                             "\"to\":\"Active\",\"outcome\":\"action_failed\"}");
    free(txt);
    json_decref(j);
    char buf[40];
    assert_string_equal(sc_time_format_iso(0, buf, sizeof buf), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(sc_time_format_iso(-1, buf, sizeof buf), "1969-12-31T23:59:59.999999Z");
    sf_free(f);
}

static void test_csv_export_format(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "c");
    sc_manual_clock_advance(f->clk, 7); /* 7 µs: zero-padded, not "0.7" */
    sc_history_record rec;
    sc_history_record *r = &rec;
    sc_history_record_init(r);
    r->wall_us = sc_clock_wall_us(sc_manual_clock_get(f->clk));
    r->mono_us = 5000007;
    r->from = 0;
    r->to = (sc_id)sc_table_state_id(f->table, "Ringing");
    r->event = SC_EV_IncomingCall;
    r->event_code = 180;
    snprintf(r->event_text, sizeof r->event_text, "say \"hi\", bob");
    r->transition = 0;
    r->nguards = 2;
    r->guards[0] = (sc_history_guard){SC_GUARD_AutoAnswer, false, true, false};
    r->guards[1] = (sc_history_guard){SC_GUARD_IsBridged, true, true, false};
    r->nactions = 2;
    r->actions[0] = (sc_history_action){SC_ACTION_SendResponse, 0, 15};
    r->actions[1] = (sc_history_action){SC_ACTION_StartMedia, 0, 1000000};
    r->outcome = SC_OUTCOME_TAKEN;
    assert_int_equal(sc_session_history_commit(s, r), 0);
    sc_manual_clock_advance(f->clk, 2000000);
    sc_history_record_init(r);
    r->wall_us = sc_clock_wall_us(sc_manual_clock_get(f->clk));
    r->mono_us = 7000007;
    r->from = r->to = (sc_id)sc_table_state_id(f->table, "Ringing");
    r->event = SC_EV_MakeCall;
    r->outcome = SC_OUTCOME_NOT_ACCEPTED;
    assert_int_equal(sc_session_history_commit(s, r), 0);
    char *csv = NULL;
    size_t len = 0;
    assert_int_equal(sc_session_history_csv(s, &csv, &len), 0);
    assert_string_equal(csv, "seq,time,mono_us,from,event,event_code,event_text,transition,guards,actions,to,outcome\n"
                             "1,2026-11-27T12:00:00.000007Z,5000007,Idle,IncomingCall,180,\"say \"\"hi\"\", bob\",0,"
                             "AutoAnswer=1;!IsBridged=1,SendResponse:0:15;StartMedia:0:1000000,Ringing,taken\n"
                             "2,2026-11-27T12:00:02.000007Z,7000007,Ringing,MakeCall,0,,,,,Ringing,not_accepted\n");
    assert_int_equal(len, strlen(csv));
    /* the same CSV from the JSON records (how a released history read from the store is given) */
    json_t *j = NULL;
    char *csv2 = NULL;
    assert_int_equal(sc_session_history_json(s, 0, &j), 0);
    assert_int_equal(sc_history_json_to_csv(j, &csv2, NULL), 0);
    assert_string_equal(csv2, csv);
    assert_int_equal(sc_history_json_to_csv(json_object_get(j, "nope"), &csv2, NULL), -EINVAL);
    json_decref(j);
    free(csv2);
    free(csv);
    sf_free(f);
}

/* An ended session's compaction: the ring released (seq goes on, a later record starts a new
 * ring), the strings packed into one block (fields and index keys still found, replaced and
 * removed as before), records in slab slots reused after removal. */
static void test_release_and_pack(void **state)
{
    (void)state;
    sf *f = sf_new(64);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "p");
    for (int i = 0; i < 6; i++)
        fill(f, s, SC_EV_DtmfReceived, "x");
    size_t full = sc_session_bytes(s);
    sc_session_history_release(s);
    assert_true(sc_session_history_released(s));
    assert_int_equal(sc_session_history_count(s), 0);
    assert_true(full - sc_session_bytes(s) > 0);
    assert_true(full - sc_session_bytes(s) < 8 * sizeof(sc_history_record) / 2);
    assert_int_equal(sc_session_history_next_seq(s), 7);
    fill(f, s, SC_EV_HangupCall, NULL);
    assert_int_equal(rec_at(s, 0).seq, 7);

    assert_int_equal(sc_session_set_field(s, SC_FIELD_CALL_ID, "abc@host"), 0);
    assert_int_equal(sc_session_set_field(s, SC_FIELD_REMOTE_URI, "sip:bob@example.test"), 0);
    assert_int_equal(sc_session_set_outcome(s, "completed"), 0);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "abc@host", s), 0);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_DIALOG, "abc@host;a;b", s), 0);
    assert_int_equal(sc_session_set_field(s, SC_FIELD_INVITE_OFFER, "v=0 offer"), 0);
    size_t before = sc_session_bytes(s);
    int64_t updated = sc_session_updated_wall_us(s);
    sc_manual_clock_advance(f->clk, 1000);
    assert_int_equal(sc_session_pack(s, 1u << SC_FIELD_INVITE_OFFER), 0);
    assert_int_equal(sc_session_pack(s, 0), 0); /* once */
    assert_int_equal(sc_session_bytes(s), before - strlen("v=0 offer") - 1);
    assert_null(sc_session_field(s, SC_FIELD_INVITE_OFFER));
    assert_int_equal(sc_session_updated_wall_us(s), updated); /* not touched */
    assert_string_equal(sc_session_field(s, SC_FIELD_CALL_ID), "abc@host");
    assert_string_equal(sc_session_field(s, SC_FIELD_REMOTE_URI), "sip:bob@example.test");
    assert_string_equal(sc_session_outcome(s), "completed");
    assert_ptr_equal(sc_store_find(f->store, SC_KEY_CALL_ID, "abc@host"), s);
    assert_ptr_equal(sc_store_find(f->store, SC_KEY_DIALOG, "abc@host;a;b"), s);
    assert_int_equal(sc_session_set_field(s, SC_FIELD_REMOTE_URI, "sip:carol@example.test"), 0);
    assert_string_equal(sc_session_field(s, SC_FIELD_REMOTE_URI), "sip:carol@example.test");
    assert_int_equal(sc_store_index_remove(f->store, SC_KEY_DIALOG, "abc@host;a;b"), 0);
    assert_null(sc_store_find(f->store, SC_KEY_DIALOG, "abc@host;a;b"));
    sc_store_remove(f->store, s);
    assert_null(sc_store_find(f->store, SC_KEY_CALL_ID, "abc@host"));

    /* many records: slots come and go, every one usable */
    enum { N = 2000 };
    sc_session **v = calloc(N, sizeof *v);
    assert_non_null(v);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            char id[16], key[32];
            snprintf(id, sizeof id, "s%d", i);
            v[i] = sf_create(f, SC_ROLE_UAC, id);
            snprintf(key, sizeof key, "call-%d", i);
            assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, key, v[i]), 0);
            assert_int_equal(sc_session_set_field(v[i], SC_FIELD_CALL_ID, key), 0);
            if (i % 2)
                assert_int_equal(sc_session_pack(v[i], 0), 0);
        }
        assert_int_equal(sc_store_count(f->store), N);
        for (int i = 0; i < N; i++) {
            char key[32];
            snprintf(key, sizeof key, "call-%d", i);
            assert_ptr_equal(sc_store_find(f->store, SC_KEY_CALL_ID, key), v[i]);
            assert_string_equal(sc_session_field(v[i], SC_FIELD_CALL_ID), key);
            sc_store_remove(f->store, v[i]);
        }
        assert_int_equal(sc_store_count(f->store), 0);
    }
    free(v);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_grows_wraps_and_counts_drops),
        cmocka_unit_test(test_path_lists_taken_transitions),
        cmocka_unit_test(test_json_export_format),
        cmocka_unit_test(test_csv_export_format),
        cmocka_unit_test(test_release_and_pack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
