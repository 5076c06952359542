/* test_record_text: the recorder's text documents (src/store/record_text.c) are the same JSON
 * as sc_session_snapshot_json / _created_json / _event_json, on tables/default.yaml with many
 * random runs and with field values that need escaping. */
#include "fixture.h"

typedef struct cmp {
    sc_buf buf;
    size_t checked;
    size_t in_log;   /* snapshots of ended sessions: history left to the log, round trip checked */
    sc_store *other; /* where those are loaded back */
    sc_table *table; /* the sessions' table */
} cmp;

static void same(const sc_buf *b, json_t *want)
{
    json_error_t err;
    json_t *got = json_loads(b->p, 0, &err);
    if (!got)
        fail_msg("text is not JSON (%s): %s", err.text, b->p);
    if (!json_equal(got, want)) {
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("text differs:\n want %s\n got  %s", w, g);
    }
    json_decref(got);
    json_decref(want);
}

/* An ended session's snapshot has no history ("history_in_log"); loaded into a new session, its
 * history is released (read from the store) and goes on after the same seq. */
static void check_in_log(cmp *c, sc_session *s, const json_t *snap)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), sc_session_state(s));
    bool ended = si && si->terminal;
    assert_int_equal(json_object_get(snap, "history") == NULL, ended);
    assert_int_equal(json_is_true(json_object_get(snap, "history_in_log")), ended);
    if (!ended || !c->other)
        return;
    sc_session *back = NULL;
    assert_int_equal(sc_store_create(c->other, c->table, sc_session_role(s), sc_session_id(s), &back), 0);
    assert_int_equal(sc_session_load_snapshot_json(back, snap), 0);
    assert_true(sc_session_history_released(back));
    assert_int_equal(sc_session_history_count(back), 0);
    assert_int_equal(sc_session_history_next_seq(back), sc_session_history_next_seq(s));
    assert_int_equal(sc_session_history_dropped(back), 0);
    assert_string_equal(sc_session_state_name(back), sc_session_state_name(s));
    sc_store_remove(c->other, back);
    c->in_log++;
}

static void check_snapshot(cmp *c, sc_session *s)
{
    json_t *want;
    assert_int_equal(sc_session_snapshot_json(s, &want), 0);
    check_in_log(c, s, want);
    json_object_set_new(want, "node", json_string("node-\"1\""));
    assert_int_equal(sc_session_snapshot_text(s, "node-\"1\"", &c->buf), 0);
    same(&c->buf, want);
    c->checked++;
}

static void on_created(void *ud, sc_session *s)
{
    cmp *c = ud;
    json_t *want;
    assert_int_equal(sc_session_created_json(s, &want), 0);
    assert_int_equal(sc_session_created_text(s, &c->buf), 0);
    same(&c->buf, want);
    check_snapshot(c, s);
}

static void on_transition(void *ud, sc_session *s, const sc_history_record *h, const sc_transition *t)
{
    (void)t;
    cmp *c = ud;
    json_t *want;
    assert_int_equal(sc_session_event_json(s, h, &want), 0);
    assert_int_equal(sc_session_event_text(s, h, &c->buf), 0);
    same(&c->buf, want);
    check_snapshot(c, s);
}

static fx *setup(cmp *c)
{
    fx *f = fx_new();
    sc_table *t = NULL;
    int rc = sc_table_load_file(&t, SC_SOURCE_DIR "/tables/default.yaml", f->vocab, f->diags);
    if (rc)
        fx_print_diags(f->diags);
    assert_int_equal(rc, 0);
    assert_int_equal(sc_engine_set_table(f->engine, t, f->diags), 0);
    f->table = t;
    c->table = t;
    sc_engine_observer obs = {.on_session_created = on_created, .on_transition = on_transition, .ud = c};
    assert_true(sc_engine_add_observer(f->engine, &obs) >= 0);
    return f;
}

static void test_random_runs_match_json(void **state)
{
    (void)state;
    cmp c = {0};
    fx *f = setup(&c);
    assert_int_equal(sc_store_new(&c.other, NULL), 0);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t nev = sc_vocab_count(f->vocab, SC_VOCAB_EVENT);
    for (int i = 0; i < 60; i++) {
        sc_session *s = fx_session(f, i % 2 ? SC_ROLE_UAS : SC_ROLE_UAC);
        sc_session_set_field(s, SC_FIELD_CALL_ID, "a\"b\\c\n\t\x01 \xc3\xa9 \xe2\x82\xac");
        for (int k = 0; k < 40 && sc_engine_store(f->engine) && sc_store_get(f->store, sc_session_id(s)); k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            if (k % 7 == 3)
                sc_session_set_field(s, SC_FIELD_REMOTE_URI, k % 2 ? "sip:x@127.0.0.1" : NULL);
            sc_engine_dispatch_simple(f->engine, s, (sc_id)(rng % nev), (int)(rng % 700),
                                      k % 3 ? "Busy \"here\"" : NULL);
        }
    }
    assert_true(c.checked > 500);
    assert_true(c.in_log > 10);
    sc_store_free(c.other);
    sc_buf_free(&c.buf);
    fx_free(f);
}

static void test_invalid_utf8_is_still_json(void **state)
{
    (void)state;
    cmp c = {0};
    fx *f = setup(&c);
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    sc_session_set_field(s, SC_FIELD_REMOTE_URI, "bad \xff\xc3 end");
    assert_int_equal(sc_session_snapshot_text(s, NULL, &c.buf), 0);
    json_t *j = json_loads(c.buf.p, 0, NULL);
    assert_non_null(j);
    const char *text = json_string_value(json_object_get(json_object_get(j, "fields"), "remote_uri"));
    assert_string_equal(text, "bad \xef\x9f\xbf\xef\x9f\x83 end"); /* U+F7FF U+F7C3: the bytes, losslessly */
    char back[32];
    sc_text_unescape(back, sizeof back, text, strlen(text));
    assert_string_equal(back, "bad \xff\xc3 end");
    json_decref(j);
    sc_buf_free(&c.buf);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_runs_match_json),
        cmocka_unit_test(test_invalid_utf8_is_still_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
