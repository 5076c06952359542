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

/* ---- The packed ring: records of very different sizes ------------------------------------ */

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* A record of ng guards, na actions and tl bytes of text, the rest from x. */
static void shaped(sf *f, sc_history_record *r, unsigned ng, unsigned na, unsigned tl, uint32_t *x)
{
    size_t nguard = sc_vocab_count(f->vocab, SC_VOCAB_GUARD), naction = sc_vocab_count(f->vocab, SC_VOCAB_ACTION);
    sc_history_record_init(r);
    r->wall_us = SF_T0_WALL + (int64_t)lcg(x);
    r->mono_us = lcg(x);
    r->from = (sc_id)(lcg(x) % 5);
    r->to = (sc_id)(lcg(x) % 5);
    r->event = (sc_id)(lcg(x) % 20);
    r->event_code = (int32_t)lcg(x) - (1 << 23);
    r->transition = lcg(x) % 3 ? lcg(x) % 9 : UINT32_MAX;
    r->outcome = (sc_outcome)(lcg(x) % 4);
    r->nguards = (uint8_t)ng;
    for (unsigned i = 0; i < ng; i++)
        r->guards[i] = (sc_history_guard){(sc_id)(lcg(x) % nguard), lcg(x) & 1, lcg(x) & 1, lcg(x) & 1};
    r->nactions = (uint8_t)na;
    for (unsigned i = 0; i < na; i++)
        r->actions[i] = (sc_history_action){(sc_id)(lcg(x) % naction), -(int32_t)(lcg(x) % 200), lcg(x)};
    for (unsigned i = 0; i < tl; i++)
        r->event_text[i] = (char)('a' + lcg(x) % 26);
    r->event_text[tl] = '\0';
}

/* The record's JSON text (sc_history_record_to_json), malloc'd. */
static char *rec_json(const sc_session *s, const sc_history_record *r)
{
    json_t *j = NULL;
    assert_int_equal(sc_history_record_to_json(s, r, &j), 0);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    assert_non_null(txt);
    return txt;
}

/* Every record held equals the model (the last `held` committed, oldest first), member by
 * member and as JSON. */
static void check_ring(const sc_session *s, const sc_history_record *model, size_t held)
{
    assert_int_equal(sc_session_history_count(s), held);
    for (size_t i = 0; i < held; i++) {
        sc_history_record got = rec_at(s, i);
        const sc_history_record *want = &model[i];
        assert_int_equal(got.seq, want->seq);
        assert_int_equal(got.wall_us, want->wall_us);
        assert_int_equal(got.mono_us, want->mono_us);
        assert_int_equal(got.from, want->from);
        assert_int_equal(got.to, want->to);
        assert_int_equal(got.event, want->event);
        assert_int_equal(got.event_code, want->event_code);
        assert_int_equal(got.transition, want->transition);
        assert_int_equal(got.outcome, want->outcome);
        assert_string_equal(got.event_text, want->event_text);
        assert_int_equal(got.nguards, want->nguards);
        assert_int_equal(got.nactions, want->nactions);
        for (unsigned g = 0; g < want->nguards; g++) {
            assert_int_equal(got.guards[g].id, want->guards[g].id);
            assert_int_equal(got.guards[g].negate, want->guards[g].negate);
            assert_int_equal(got.guards[g].passed, want->guards[g].passed);
            assert_int_equal(got.guards[g].cached, want->guards[g].cached);
        }
        for (unsigned a = 0; a < want->nactions; a++) {
            assert_int_equal(got.actions[a].id, want->actions[a].id);
            assert_int_equal(got.actions[a].result, want->actions[a].result);
            assert_int_equal(got.actions[a].duration_us, want->actions[a].duration_us);
        }
        char *j1 = rec_json(s, &got), *j2 = rec_json(s, want);
        assert_string_equal(j1, j2);
        free(j1);
        free(j2);
    }
    sc_history_record none;
    assert_int_equal(sc_session_history_get(s, held, &none), -ENOENT);
}

/* N records of the extreme shapes (0 and 8 guards, 0 and 12 actions, empty and 47-byte text)
 * and random ones (from seed x) round a ring of cap (<= 9): each read back as committed, the
 * oldest dropped and counted, the bytes bounded. The model receives the last ones held. */
static void wrap_round(sf *f, sc_session *s, size_t cap, unsigned n, uint32_t x, sc_history_record *model)
{
    static const unsigned shapes[][3] = {{0, 0, 0}, {8, 12, 47}, {0, 12, 0}, {8, 0, 47}, {0, 0, 47}, {8, 12, 0}};
    size_t empty = sc_session_bytes(s), most = 0;
    uint64_t seq0 = sc_session_history_next_seq(s);
    for (unsigned i = 0; i < n; i++) {
        sc_history_record r;
        unsigned k = lcg(&x) % 8;
        if (k < 6)
            shaped(f, &r, shapes[k][0], shapes[k][1], shapes[k][2], &x);
        else
            shaped(f, &r, lcg(&x) % 9, lcg(&x) % 13, lcg(&x) % 48, &x);
        assert_int_equal(sc_session_history_commit(s, &r), 0);
        assert_int_equal(r.seq, seq0 + i);
        if (i >= cap)
            memmove(model, model + 1, (cap - 1) * sizeof model[0]);
        model[i < cap ? i : cap - 1] = r;
        check_ring(s, model, i < cap ? i + 1 : cap);
        assert_int_equal(sc_session_history_dropped(s), i < cap ? 0 : i + 1 - cap);
        size_t bytes = sc_session_bytes(s) - empty;
        if (bytes > most)
            most = bytes;
    }
    /* the largest record is 236 bytes: the ring never needs more than about twice cap of them */
    assert_true(most <= 2 * cap * 236 + 128);
}

/* Rings of 1 to 9 records, many records round each; then a ring released and started again. */
static void test_packed_ring_wraps_records_of_any_size(void **state)
{
    (void)state;
    enum { CAP = 7, N = 400 };
    sc_history_record model[9];
    for (size_t cap = 1; cap <= 9; cap++) {
        sf *f = sf_new(cap);
        for (uint32_t seed = 1; seed <= 3; seed++)
            wrap_round(f, sf_create(f, SC_ROLE_UAS, NULL), cap, 150, seed * 7919 + (uint32_t)cap, model);
        sf_free(f);
    }
    sf *f = sf_new(CAP);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "w");
    size_t empty = sc_session_bytes(s);
    uint32_t x = 7;
    wrap_round(f, s, CAP, N, x, model);

    /* the JSON and the CSV of the ring are those of the records */
    json_t *arr = NULL;
    assert_int_equal(sc_session_history_json(s, 0, &arr), 0);
    assert_int_equal(json_array_size(arr), CAP);
    for (size_t i = 0; i < CAP; i++) {
        char *j1 = json_dumps(json_array_get(arr, i), JSON_COMPACT | JSON_PRESERVE_ORDER), *j2 = rec_json(s, &model[i]);
        assert_string_equal(j1, j2);
        free(j1);
        free(j2);
    }
    char *csv = NULL, *csv2 = NULL;
    assert_int_equal(sc_session_history_csv(s, &csv, NULL), 0);
    assert_int_equal(sc_history_json_to_csv(arr, &csv2, NULL), 0);
    assert_string_equal(csv, csv2);
    free(csv);
    free(csv2);
    json_decref(arr);

    /* released: nothing held, seq and dropped go on; later records start a new ring */
    sc_session_history_release(s);
    assert_int_equal(sc_session_bytes(s), empty);
    check_ring(s, model, 0);
    assert_int_equal(sc_session_history_next_seq(s), N + 1);
    assert_int_equal(sc_session_history_dropped(s), N - CAP);
    for (unsigned i = 0; i < 10; i++) {
        sc_history_record r;
        shaped(f, &r, i % 2 ? 8 : 0, i % 3 ? 12 : 0, i % 2 ? 0 : 47, &x);
        assert_int_equal(sc_session_history_commit(s, &r), 0);
        assert_int_equal(r.seq, N + 1 + i);
        if (i >= CAP)
            memmove(model, model + 1, (CAP - 1) * sizeof model[0]);
        model[i < CAP ? i : CAP - 1] = r;
        check_ring(s, model, i < CAP ? i + 1 : CAP);
    }
    assert_int_equal(sc_session_history_dropped(s), N - CAP + 3);
    sf_free(f);
}

/* Bounds: a text filling its 48 bytes without a NUL keeps 47, counts above the bounds are cut
 * to them; a ring of 1 holds the newest; a raw append keeps its seq and counts the gap. */
static void test_packed_ring_bounds_and_raw_appends(void **state)
{
    (void)state;
    sf *f = sf_new(1);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "b");
    uint32_t x = 3;
    sc_history_record r;
    shaped(f, &r, 8, 12, 0, &x);
    memset(r.event_text, 'z', sizeof r.event_text);
    r.nguards = 200;
    r.nactions = 13;
    assert_int_equal(sc_session_history_commit(s, &r), 0);
    sc_history_record got = rec_at(s, 0);
    assert_int_equal(strlen(got.event_text), SC_HISTORY_TEXT_MAX - 1);
    assert_int_equal(got.nguards, SC_HISTORY_MAX_GUARDS);
    assert_int_equal(got.nactions, SC_HISTORY_MAX_ACTIONS);
    assert_int_equal(got.guards[7].id, r.guards[7].id);
    assert_int_equal(got.actions[11].duration_us, r.actions[11].duration_us);
    for (int i = 0; i < 5; i++) {
        shaped(f, &r, (unsigned)i, (unsigned)(12 - i), (unsigned)(i * 9), &x);
        assert_int_equal(sc_session_history_commit(s, &r), 0);
        check_ring(s, &r, 1);
    }
    assert_int_equal(sc_session_history_dropped(s), 5);

    /* raw appends (recovery): the seq kept, the skipped ones counted as dropped */
    sc_session *t = sf_create(f, SC_ROLE_UAS, "raw");
    assert_int_equal(sc_store_set_history_capacity(f->store, 3), 0);
    sc_history_record model[3];
    for (int i = 0; i < 3; i++) {
        shaped(f, &model[i], (unsigned)(i * 4), (unsigned)(i * 6), (unsigned)(i * 20), &x);
        model[i].seq = 10 + 5 * (uint64_t)i;
        assert_int_equal(sc_session_history_append_raw(t, &model[i]), 0);
    }
    check_ring(t, model, 3);
    assert_int_equal(sc_session_history_next_seq(t), 21);
    assert_int_equal(sc_session_history_dropped(t), 9 + 4 + 4);
    r = model[0];
    assert_int_equal(sc_session_history_append_raw(t, &r), -EINVAL); /* seq 10 < 21 */
    check_ring(t, model, 3);
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
        cmocka_unit_test(test_packed_ring_wraps_records_of_any_size),
        cmocka_unit_test(test_packed_ring_bounds_and_raw_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
