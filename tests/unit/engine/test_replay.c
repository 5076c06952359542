/* test_replay: event sourcing on tables/default.yaml: snapshots round-trip, and a long random
 * run (random accepted events, random deterministic guards, actions that change fields) is
 * rebuilt exactly from each session's event records (property test). */
#include "fixture.h"

#define NSESSIONS 120
#define NSTEPS 12000
#define MAX_RECORDS 4096

typedef struct tracked {
    char id[SC_SESSION_ID_MAX + 1];
    sc_role role;
    json_t *events;    /* every event record, in order */
    json_t *mid_snap;  /* a snapshot taken part-way (or NULL) */
    size_t mid_events; /* events logged when mid_snap was taken */
    json_t *final;     /* snapshot at removal (or NULL while live) */
} tracked;

typedef struct run {
    fx *f;
    uint64_t rng;
    tracked t[4 * NSESSIONS + NSTEPS];
    size_t nt;
} run;

static uint64_t rnd(run *r)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return r->rng;
}

static tracked *find(run *r, const char *id)
{
    for (size_t i = r->nt; i-- > 0;)
        if (!strcmp(r->t[i].id, id))
            return &r->t[i];
    return NULL;
}

static void on_created(void *ud, sc_session *s)
{
    run *r = ud;
    tracked *t = &r->t[r->nt++];
    snprintf(t->id, sizeof t->id, "%s", sc_session_id(s));
    t->role = sc_session_role(s);
    t->events = json_array();
    json_t *rec;
    assert_int_equal(sc_session_created_json(s, &rec), 0);
    json_array_append_new(t->events, rec);
}

static void on_transition(void *ud, sc_session *s, const sc_history_record *h, const sc_transition *tr)
{
    run *r = ud;
    tracked *t = find(r, sc_session_id(s));
    assert_non_null(t);
    json_t *rec;
    assert_int_equal(sc_session_event_json(s, h, &rec), 0);
    /* the record is valid JSON text and reads back the same */
    char *text = json_dumps(rec, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    assert_true(json_equal(rec, back));
    free(text);
    json_decref(back);
    json_array_append_new(t->events, rec);
    if (!t->mid_snap && h->seq % 5 == 3) {
        assert_int_equal(sc_session_snapshot_json(s, &t->mid_snap), 0);
        t->mid_events = json_array_size(t->events);
    }
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    tracked *t = find(ud, sc_session_id(s));
    assert_non_null(t);
    assert_int_equal(sc_session_snapshot_json(s, &t->final), 0);
}

static bool rnd_guard(const sc_exec *x) { return rnd(x->ud) % 3 != 0; }

/* Succeeds; sometimes changes a field (or clears one) or the outcome. */
static int rnd_action(const sc_exec *x)
{
    run *r = x->ud;
    uint64_t v = rnd(r);
    if (v % 4 == 0) {
        sc_field fld = (sc_field)((v >> 8) % SC_FIELD__COUNT);
        if (fld != SC_FIELD_TABLE_HASH) {
            char val[32];
            snprintf(val, sizeof val, "v%llu", (unsigned long long)(v >> 20) % 1000);
            assert_int_equal(sc_session_set_field(x->session, fld, (v >> 40) % 5 ? val : NULL), 0);
        }
    } else if (v % 11 == 1) {
        static const char *const outcomes[] = {"normal", "rejected", "cancelled", NULL};
        assert_int_equal(sc_session_set_outcome(x->session, outcomes[(v >> 8) % 4]), 0);
    }
    return 0;
}

static run *run_new(size_t history_capacity)
{
    run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    cfg.history_capacity = history_capacity;
    r->f = fx_new_unbound(&cfg); /* the random doubles below are the only bindings */
    r->rng = 0x9e3779b97f4a7c15ull;
    sc_table *t = NULL;
    int rc = sc_table_load_file(&t, SC_SOURCE_DIR "/tables/default.yaml", r->f->vocab, r->f->diags);
    if (rc)
        fx_print_diags(r->f->diags);
    assert_int_equal(rc, 0);
    fx *f = r->f;
    for (size_t i = 0; i < sc_vocab_count(f->vocab, SC_VOCAB_GUARD); i++)
        assert_int_equal(
            sc_engine_bind_guard(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_GUARD, (sc_id)i), rnd_guard, r), 0);
    for (size_t i = 0; i < sc_vocab_count(f->vocab, SC_VOCAB_ACTION); i++)
        assert_int_equal(
            sc_engine_bind_action(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_ACTION, (sc_id)i), rnd_action, r), 0);
    assert_int_equal(sc_engine_set_table(f->engine, t, f->diags), 0);
    f->table = t;
    sc_engine_observer obs = {
        .on_session_created = on_created, .on_transition = on_transition, .on_session_removed = on_removed, .ud = r};
    assert_true(sc_engine_add_observer(f->engine, &obs) >= 0);
    return r;
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->nt; i++) {
        json_decref(r->t[i].events);
        json_decref(r->t[i].mid_snap);
        json_decref(r->t[i].final);
    }
    fx_free(r->f);
    free(r);
}

static void assert_json_same(const json_t *a, const json_t *b, const char *what)
{
    if (!json_equal(a, b)) {
        char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
        char *tb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
        fprintf(stderr, "%s differs:\n  %s\n  %s\n", what, ta, tb);
        free(ta);
        free(tb);
        fail();
    }
}

/* A second engine on the same vocabulary and table (bindings do not matter for replay). */
typedef struct side {
    sc_store *store;
    sc_engine *engine;
} side;

static void side_new(side *sd, fx *f, size_t history_capacity)
{
    sc_store_config sc = {.clock = sc_manual_clock_get(f->clk), .history_capacity = history_capacity};
    assert_int_equal(sc_store_new(&sd->store, &sc), 0);
    assert_int_equal(sc_engine_new(&sd->engine, f->vocab, sd->store, NULL), 0);
}

static void side_free(side *sd)
{
    sc_engine_free(sd->engine);
    sc_store_free(sd->store);
}

/* Rebuild t from its event records on sd and return the rebuilt snapshot. */
static json_t *replay(side *sd, const sc_table *table, const tracked *t)
{
    sc_session *s = NULL;
    assert_int_equal(
        sc_engine_restore_session(sd->engine, (sc_table *)table, t->role, t->id, sc_table_initial_state(table), &s), 0);
    size_t i;
    json_t *ev;
    json_array_foreach(t->events, i, ev)
        assert_int_equal(sc_session_apply_event_json(s, ev), 0);
    /* applying a record again changes nothing */
    if (json_array_size(t->events) > 1)
        assert_int_equal(sc_session_apply_event_json(s, json_array_get(t->events, 1)), 1);
    json_t *snap;
    assert_int_equal(sc_session_snapshot_json(s, &snap), 0);
    sc_engine_remove_session(sd->engine, s, "test");
    return snap;
}

static void test_property_random_runs(void **state)
{
    (void)state;
    run *r = run_new(4);
    fx *f = r->f;
    sc_session *live[NSESSIONS];
    char live_id[NSESSIONS][SC_SESSION_ID_MAX + 1];
    for (int i = 0; i < NSESSIONS; i++) {
        assert_int_equal(sc_engine_create_session(f->engine, i % 2 ? SC_ROLE_UAS : SC_ROLE_UAC, NULL, &live[i]), 0);
        snprintf(live_id[i], sizeof live_id[i], "%s", sc_session_id(live[i]));
    }
    size_t nev = sc_vocab_count(f->vocab, SC_VOCAB_EVENT);
    for (int step = 0; step < NSTEPS; step++) {
        int i = (int)(rnd(r) % NSESSIONS);
        sc_session *s = sc_store_get(f->store, live_id[i]);
        if (!s) { /* removed by its retention timer */
            assert_int_equal(sc_engine_create_session(f->engine, i % 2 ? SC_ROLE_UAS : SC_ROLE_UAC, NULL, &live[i]), 0);
            snprintf(live_id[i], sizeof live_id[i], "%s", sc_session_id(live[i]));
            continue;
        }
        const sc_state_info *si = sc_table_state(f->table, sc_session_state(s));
        if (si->terminal) { /* ended: remove it (the snapshot is kept) and start another */
            sc_engine_remove_session(f->engine, s, "test");
            assert_int_equal(sc_engine_create_session(f->engine, i % 2 ? SC_ROLE_UAS : SC_ROLE_UAC, NULL, &live[i]), 0);
            snprintf(live_id[i], sizeof live_id[i], "%s", sc_session_id(live[i]));
            continue;
        }
        sc_id acc[256];
        size_t n = sc_table_accepted_events(f->table, sc_session_role(s), sc_session_state(s), acc, 256);
        sc_id type = (n && rnd(r) % 10) ? acc[rnd(r) % n] : (sc_id)(rnd(r) % nev);
        /* the exits end most calls: make them rarer so that paths get long */
        if ((type == SC_EV_HangupCall || type == SC_EV_DialogBYE || type == SC_EV_DialogError ||
             type == SC_EV_DialogTimeout) &&
            rnd(r) % 8)
            continue;
        if (rnd(r) % 16 == 0) /* a field set outside a dispatch rides on the next record */
            sc_session_set_field(s, SC_FIELD_REMOTE_TARGET, "sip:outside@127.0.0.1");
        sc_manual_clock_advance(f->clk, rnd(r) % 50000);
        char text[24];
        snprintf(text, sizeof text, "t%d", step);
        sc_engine_dispatch_simple(f->engine, s, type, (int32_t)(rnd(r) % 700), rnd(r) % 2 ? text : NULL);
        sc_engine_run_timers(f->engine, 0);
    }
    /* live sessions: their current snapshot is the expected one */
    for (size_t k = 0; k < r->nt; k++) {
        sc_session *s = sc_store_get(f->store, r->t[k].id);
        if (s) {
            assert_null(r->t[k].final);
            assert_int_equal(sc_session_snapshot_json(s, &r->t[k].final), 0);
        }
    }
    side replay_side, restore_side;
    side_new(&replay_side, f, 4);
    side_new(&restore_side, f, 4);
    size_t total_events = 0, wrapped = 0, with_fields = 0;
    for (size_t k = 0; k < r->nt; k++) {
        tracked *t = &r->t[k];
        assert_non_null(t->final);
        total_events += json_array_size(t->events);
        if (json_integer_value(json_object_get(t->final, "last_seq")) > 4)
            wrapped++;
        if (json_object_size(json_object_get(t->final, "fields")) > 1)
            with_fields++;
        /* 1. replay of the event records == the live record */
        json_t *rebuilt = replay(&replay_side, f->table, t);
        assert_json_same(t->final, rebuilt, "replayed snapshot");
        json_decref(rebuilt);
        /* 2. restore from the snapshot, snapshot again: identical */
        sc_session *s = NULL;
        assert_int_equal(sc_session_restore_json(restore_side.engine, t->final, f->table, &s), 0);
        json_t *again;
        assert_int_equal(sc_session_snapshot_json(s, &again), 0);
        assert_json_same(t->final, again, "restored snapshot");
        json_decref(again);
        sc_engine_remove_session(restore_side.engine, s, "test");
        /* 3. a mid-run snapshot plus the records after it == the live record */
        if (t->mid_snap) {
            json_t *tail = json_array();
            for (size_t e = t->mid_events; e < json_array_size(t->events); e++)
                json_array_append(tail, json_array_get(t->events, e));
            assert_int_equal(sc_session_restore_replay_json(restore_side.engine, t->mid_snap, tail, f->table, &s), 0);
            assert_int_equal(sc_session_snapshot_json(s, &again), 0);
            assert_json_same(t->final, again, "snapshot + tail");
            json_decref(again);
            json_decref(tail);
            sc_engine_remove_session(restore_side.engine, s, "test");
        }
    }
    /* the run covered what it claims to */
    fprintf(stderr, "replay: %zu sessions, %zu event records, %zu past the ring, %zu with fields\n", r->nt,
            total_events, wrapped, with_fields);
    assert_true(r->nt > NSESSIONS * 2);
    assert_true(total_events > NSTEPS / 2);
    assert_true(wrapped > 100);
    assert_true(with_fields > 20);
    side_free(&replay_side);
    side_free(&restore_side);
    run_free(r);
}

static void test_dirty_fields(void **state)
{
    (void)state;
    run *r = run_new(0);
    fx *f = r->f;
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    /* creation cleared what the created record carried */
    assert_int_equal(sc_session_dirty_fields(s), 0);
    json_t *created = json_array_get(r->t[0].events, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(created, "fields"), "table_hash")),
                        sc_table_hash(f->table));
    assert_int_equal(sc_session_set_field(s, SC_FIELD_CALL_ID, "abc@host"), 0);
    assert_int_equal(sc_session_dirty_fields(s), 1u << SC_FIELD_CALL_ID);
    sc_engine_dispatch_simple(f->engine, s, SC_EV_HangupCall, 0, NULL);
    assert_int_equal(sc_session_dirty_fields(s), 0);
    json_t *ev = json_array_get(r->t[0].events, 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "fields"), "call_id")), "abc@host");
    assert_string_equal(json_string_value(json_object_get(ev, "kind")), "transition");
    assert_string_equal(json_string_value(json_object_get(ev, "state_after")), sc_session_state_name(s));
    run_free(r);
}

static void test_malformed_records(void **state)
{
    (void)state;
    run *r = run_new(0);
    fx *f = r->f;
    sc_session *s = fx_session(f, SC_ROLE_UAC);
    json_t *snap;
    assert_int_equal(sc_session_snapshot_json(s, &snap), 0);
    assert_string_equal(json_string_value(json_object_get(snap, "state")), "Idle");
    /* wrong session id, unknown state, missing keys */
    json_t *bad = json_deep_copy(json_array_get(r->t[0].events, 0));
    json_object_set_new(bad, "session_id", json_string("other"));
    assert_int_equal(sc_session_apply_event_json(s, bad), -EINVAL);
    json_object_set_new(bad, "session_id", json_string(sc_session_id(s)));
    json_object_set_new(bad, "state_after", json_string("NoSuchState"));
    assert_int_equal(sc_session_apply_event_json(s, bad), -EINVAL);
    json_decref(bad);
    sc_session *copy = NULL;
    json_t *bsnap = json_deep_copy(snap);
    json_object_set_new(bsnap, "id", json_string("copy1"));
    json_object_set_new(bsnap, "state", json_string("NoSuchState"));
    assert_int_equal(sc_session_restore_json(f->engine, bsnap, NULL, &copy), -EINVAL);
    json_object_set_new(bsnap, "state", json_string("Idle"));
    json_object_set_new(json_object_get(bsnap, "conditions"), "NoSuchCondition", json_true());
    assert_int_equal(sc_session_restore_json(f->engine, bsnap, NULL, &copy), -EINVAL);
    assert_null(sc_store_get(f->store, "copy1")); /* the half-built session is gone */
    /* the same id twice */
    assert_int_equal(sc_session_restore_json(f->engine, snap, NULL, &copy), -EEXIST);
    json_decref(bsnap);
    json_decref(snap);
    run_free(r);
}

static void test_history_raw(void **state)
{
    (void)state;
    run *r = run_new(8);
    sc_session *s = fx_session(r->f, SC_ROLE_UAC);
    sc_history_record h;
    memset(&h, 0, sizeof h);
    h.seq = 5;
    h.transition = UINT32_MAX;
    assert_int_equal(sc_session_history_append_raw(s, &h), 0);
    assert_int_equal(sc_session_history_dropped(s), 4);
    assert_int_equal(sc_session_history_next_seq(s), 6);
    h.seq = 5;
    assert_int_equal(sc_session_history_append_raw(s, &h), -EINVAL);
    assert_int_equal(sc_session_history_skip_to(s, 10), 0);
    assert_int_equal(sc_session_history_dropped(s), 8);
    assert_int_equal(sc_session_history_skip_to(s, 3), -EINVAL);
    run_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_random_runs),
        cmocka_unit_test(test_dirty_fields),
        cmocka_unit_test(test_malformed_records),
        cmocka_unit_test(test_history_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
