/* Tests for session migration on reload (`migrate:` maps): sessions in mapped states move to
 * the new version and follow its rules, others (unmapped, same-named but unlisted, ended) stay;
 * the old version is released (and its memory comes back) when its last session leaves; the
 * Migrated history record, what observers and snapshots see, restore under the new version
 * with renamed states; timers re-armed for the new state; broken maps refused; warnings. */
#include <malloc.h>

#include "fixture.h"

#include <jansson.h>

#include "session_core/store.h"

#define DEFAULT_TABLE SC_SOURCE_DIR "/tables/default.yaml"
#define MS 1000u

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define STATES_END "  Terminated: {terminal: true}\n  Failed: {terminal: true}\n"
#define ROWS                                                                                                  \
    "transitions:\n"                                                                                          \
    "  - {role: uas, from: Idle, event: IncomingCall, actions: [{SendResponse: {code: 180}}], to: Ringing}\n" \
    "  - {role: uas, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Active}\n"

static const char V1[] =
    "version: 1\nname: calls\nstates:\n  Idle: {}\n  Ringing: {}\n  Active: {}\n" STATES_END ROWS FX_EXITS;

/* v2: a remote BYE in Active is answered 202 (observable) and logged; Active and Ringing move */
static const char V2_ACTIVE[] =
    "version: 2\nname: calls\nstates:\n  Idle: {}\n  Ringing: {}\n  Active: {}\n" STATES_END ROWS
    "  - {role: any, from: Active, event: DialogBYE, actions: [{SendResponse: {code: 202}}], to: Terminated}\n" FX_EXITS
    "migrate:\n  Active: Active\n";

/* v2 with Active renamed Talking, which has a 1 s state timer that hangs up */
static const char V2_RENAMED[] =
    "version: 2\nname: calls\nstates:\n  Idle: {}\n  Ringing: {}\n"
    "  Talking: {timer: {after_ms: 1000}}\n" STATES_END "transitions:\n"
    "  - {role: uas, from: Idle, event: IncomingCall, actions: [{SendResponse: {code: 180}}], to: Ringing}\n"
    "  - {role: uas, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Talking}\n"
    "  - {from: Talking, event: StateTimer, actions: [SendBye], to: Terminated}\n" FX_EXITS
    "migrate: {Active: Talking}\n";

static fx *setup_v1(void)
{
    fx *f = fx_new();
    int r = sc_engine_reload_buffer(f->engine, "v1.yaml", V1, strlen(V1), f->diags, NULL);
    if (r)
        fx_print_diags(f->diags);
    assert_int_equal(r, 0);
    return f;
}

static json_t *reload(fx *f, const char *name, const char *text)
{
    json_t *rep = NULL;
    int r = sc_engine_reload_buffer(f->engine, name, text, strlen(text), f->diags, &rep);
    if (r)
        fx_print_diags(f->diags);
    assert_int_equal(r, 0);
    assert_string_equal(json_string_value(json_object_get(rep, "result")), "applied");
    return rep;
}

/* A uas session driven to state (Ringing or Active); Terminated: hung up from Active. */
static sc_session *session_in(fx *f, const char *state)
{
    sc_session *s = fx_session(f, SC_ROLE_UAS);
    assert_int_equal(fx_ev(f, s, SC_EV_IncomingCall), 0);
    if (strcmp(state, "Ringing") != 0)
        assert_int_equal(fx_ev(f, s, SC_EV_AcceptCall), 0);
    if (strcmp(state, "Terminated") == 0)
        assert_int_equal(fx_ev(f, s, SC_EV_HangupCall), 0);
    assert_string_equal(sc_session_state_name(s), state);
    return s;
}

static size_t live_versions(fx *f)
{
    json_t *v = NULL;
    assert_int_equal(sc_engine_table_versions(f->engine, &v), 0);
    size_t n = json_array_size(v);
    json_decref(v);
    return n;
}

static const sc_history_record *last_record(const sc_session *s)
{
    size_t n = sc_session_history_count(s);
    assert_true(n > 0);
    return fx_hist(s, n - 1);
}

static void test_mapped_sessions_migrate_others_stay(void **state)
{
    (void)state;
    fx *f = setup_v1();
    sc_table *t1 = sc_engine_table(f->engine);
    sc_session *active = session_in(f, "Active");
    sc_session *active2 = session_in(f, "Active");
    sc_session *ringing = session_in(f, "Ringing");  /* in v2 under the same name, not listed */
    sc_session *ended = session_in(f, "Terminated"); /* terminal: never migrates */
    uint64_t seq_before = sc_session_history_next_seq(active);

    json_t *rep = reload(f, "v2.yaml", V2_ACTIVE);
    sc_table *t2 = sc_engine_table(f->engine);
    assert_int_equal(json_integer_value(json_object_get(rep, "migrated")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "migrated_states"), "Active")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "old"), "version")), 1);
    json_decref(rep);

    assert_ptr_equal(sc_session_table(active), t2);
    assert_ptr_equal(sc_session_table(active2), t2);
    assert_ptr_equal(sc_session_table(ringing), t1);
    assert_ptr_equal(sc_session_table(ended), t1);
    assert_string_equal(sc_session_field(active, SC_FIELD_TABLE_HASH), sc_table_hash(t2));
    assert_string_equal(sc_session_field(ringing, SC_FIELD_TABLE_HASH), sc_table_hash(t1));

    /* one Migrated record, Active -> Active, naming both versions */
    assert_int_equal(sc_session_history_next_seq(active), seq_before + 1);
    const sc_history_record *h = last_record(active);
    assert_int_equal(h->event, SC_EV_Migrated);
    assert_int_equal(h->outcome, SC_OUTCOME_TAKEN);
    assert_int_equal(h->event_code, 2);
    assert_int_equal(h->transition, UINT32_MAX);
    json_t *j = NULL;
    assert_int_equal(sc_history_record_to_json(active, h, &j), 0);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "Migrated");
    assert_string_equal(json_string_value(json_object_get(j, "from")), "Active");
    assert_string_equal(json_string_value(json_object_get(j, "to")), "Active");
    char want[64];
    snprintf(want, sizeof want, "v1 %s -> v2 %s", sc_table_hash(t1), sc_table_hash(t2));
    assert_string_equal(json_string_value(json_object_get(j, "event_text")), want);
    json_decref(j);
    /* the records before it still name their states (re-resolved in v2) */
    assert_int_equal(sc_session_history_json(active, 0, &j), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "from")), "Ringing");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "event")), "AcceptCall");
    assert_true(json_is_null(json_object_get(json_array_get(j, 1), "transition"))); /* v1's index */
    json_decref(j);
    assert_int_equal(sc_session_history_next_seq(ringing), 2); /* untouched */

    /* the migrated session follows v2's rules, the unmapped one v1's */
    f->log[0] = 0;
    assert_int_equal(fx_ev(f, active, SC_EV_DialogBYE), 0);
    assert_string_equal(f->log, "SendResponse@Active ");
    assert_string_equal(sc_session_state_name(active), "Terminated");
    f->log[0] = 0;
    assert_int_equal(fx_ev(f, ringing, SC_EV_AcceptCall), 0);
    assert_string_equal(sc_session_state_name(ringing), "Active");
    assert_ptr_equal(sc_session_table(ringing), t1); /* moving into a mapped state later: no */

    /* v1 lives while its sessions do */
    assert_int_equal(live_versions(f), 2);
    assert_int_equal(sc_engine_table_version_of(f->engine, t1), 1);
    sc_engine_remove_session(f->engine, ringing, "hangup");
    sc_engine_remove_session(f->engine, ended, "retention");
    assert_int_equal(live_versions(f), 1);
    sc_engine_reload_stats st;
    sc_engine_get_reload_stats(f->engine, &st);
    assert_int_equal(st.sessions_migrated, 2);
    assert_int_equal(st.versions_released, 1);
    fx_free(f);
}

static void test_no_map_nothing_migrates(void **state)
{
    (void)state;
    fx *f = setup_v1();
    sc_table *t1 = sc_engine_table(f->engine);
    sc_session *s = session_in(f, "Active");
    /* the same v2 without its map */
    char *text = strdup(V2_ACTIVE);
    *strstr(text, "migrate:") = '\0';
    json_t *rep = reload(f, "v2-nomap.yaml", text);
    assert_int_equal(json_integer_value(json_object_get(rep, "migrated")), 0);
    json_decref(rep);
    assert_ptr_equal(sc_session_table(s), t1);
    f->log[0] = 0;
    assert_int_equal(fx_ev(f, s, SC_EV_DialogBYE), 0);
    assert_string_equal(f->log, ""); /* v1's universal BYE row has no action */
    free(text);
    fx_free(f);
}

/* Every session on v1 leaves: the version is released at once and its memory comes back. */
static void test_old_version_freed_when_all_migrate(void **state)
{
    (void)state;
    fx *f = fx_new();
    FILE *fp = fopen(DEFAULT_TABLE, "rb");
    assert_non_null(fp);
    static char text[1 << 18];
    size_t len = fread(text, 1, sizeof text - 64, fp);
    fclose(fp);
    text[len] = 0;
#ifndef UNDER_ASAN
    size_t m0 = mallinfo2().uordblks;
#endif
    assert_int_equal(sc_engine_reload_file(f->engine, DEFAULT_TABLE, NULL, NULL), 0);
#ifndef UNDER_ASAN
    size_t table_bytes = mallinfo2().uordblks - m0;
#endif
    sc_session *a = fx_session(f, SC_ROLE_UAS), *b = fx_session(f, SC_ROLE_UAC);
    assert_string_equal(sc_session_state_name(a), "Idle");
    strcat(text, "\nmigrate: {Idle: Idle}\n");
    json_t *rep = NULL;
#ifndef UNDER_ASAN
    size_t before = mallinfo2().uordblks;
#endif
    assert_int_equal(sc_engine_reload_buffer(f->engine, "v2", text, strlen(text), f->diags, &rep), 0);
#ifndef UNDER_ASAN
    size_t after = mallinfo2().uordblks;
#endif
    assert_int_equal(json_integer_value(json_object_get(rep, "migrated")), 2);
    json_decref(rep);
    assert_int_equal(live_versions(f), 1);
    assert_int_equal(sc_engine_table_version_of(f->engine, sc_session_table(a)), 2);
    assert_int_equal(sc_engine_table_version_of(f->engine, sc_session_table(b)), 2);
    sc_engine_reload_stats st;
    sc_engine_get_reload_stats(f->engine, &st);
    assert_int_equal(st.versions_released, 1);
#ifndef UNDER_ASAN
    if (m0 != 0) { /* valgrind: mallinfo2() reads 0, its leak check stands in */
        /* v2 came in, v1 went out: the heap grew by far less than one table */
        print_message("table: %zu bytes; heap growth over the migrating reload: %zd bytes\n", table_bytes,
                      (ssize_t)(after - before));
        assert_true(table_bytes > 10000);
        assert_true((ssize_t)(after - before) < (ssize_t)table_bytes / 2);
    }
#endif
    fx_free(f);
}

static void test_renamed_state_history_and_snapshot(void **state)
{
    (void)state;
    fx *f = setup_v1();
    sc_session *s = session_in(f, "Active");
    json_t *rep = reload(f, "v2.yaml", V2_RENAMED);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "migrated_states"), "Active")), 1);
    json_decref(rep);
    assert_string_equal(sc_session_state_name(s), "Talking");
    json_t *h = NULL;
    assert_int_equal(sc_session_history_json(s, 0, &h), 0);
    assert_int_equal(json_array_size(h), 3);
    json_t *acc = json_array_get(h, 1), *mig = json_array_get(h, 2);
    /* Active is no state of v2: the history still names it */
    assert_string_equal(json_string_value(json_object_get(acc, "to")), "Active");
    assert_string_equal(json_string_value(json_object_get(mig, "event")), "Migrated");
    assert_string_equal(json_string_value(json_object_get(mig, "from")), "Active");
    assert_string_equal(json_string_value(json_object_get(mig, "to")), "Talking");

    /* the snapshot restores under v2 (a "restarted" engine on the same table text) */
    json_t *snap = NULL;
    assert_int_equal(sc_session_snapshot_json(s, &snap), 0);
    assert_string_equal(json_string_value(json_object_get(snap, "table_hash")),
                        sc_table_hash(sc_engine_table(f->engine)));
    assert_string_equal(json_string_value(json_array_get(json_object_get(snap, "foreign_states"), 0)), "Active");
    fx *g = fx_new();
    fx_load(g, V2_RENAMED);
    sc_session *r = NULL;
    assert_int_equal(sc_session_restore_json(g->engine, snap, NULL, &r), 0);
    assert_string_equal(sc_session_state_name(r), "Talking");
    json_t *h2 = NULL;
    assert_int_equal(sc_session_history_json(r, 0, &h2), 0);
    assert_true(json_equal(h, h2));
    json_t *snap2 = NULL;
    assert_int_equal(sc_session_snapshot_json(r, &snap2), 0);
    assert_true(json_equal(json_object_get(snap, "foreign_states"), json_object_get(snap2, "foreign_states")));
    /* an unknown state in a history without foreign_states is still refused */
    json_object_del(snap, "foreign_states");
    json_object_set_new(snap, "id", json_string("other"));
    sc_session *bad = NULL;
    assert_int_equal(sc_session_restore_json(g->engine, snap, NULL, &bad), -EINVAL);
    json_decref(snap);
    json_decref(snap2);
    json_decref(h);
    json_decref(h2);
    fx_free(g);
    fx_free(f);
}

static void test_timers_rearmed(void **state)
{
    (void)state;
    /* renamed: Talking is entered at the migration, its 1 s timer counts from then */
    fx *f = setup_v1();
    sc_session *s = session_in(f, "Active");
    sc_manual_clock_advance(f->clk, 600 * MS);
    json_decref(reload(f, "v2.yaml", V2_RENAMED));
    assert_int_equal(sc_engine_session_timer_count(f->engine, s), 1);
    sc_manual_clock_advance(f->clk, 999 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    sc_manual_clock_advance(f->clk, 1 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Terminated");
    fx_free(f);

    /* same name: the entry time is kept, the new timer counts from it */
    static const char V2_TIMER[] =
        "version: 2\nname: calls\nstates:\n  Idle: {}\n  Ringing: {}\n"
        "  Active: {timer: {after_ms: 1000}}\n" STATES_END ROWS
        "  - {from: Active, event: StateTimer, actions: [SendBye], to: Terminated}\n" FX_EXITS
        "migrate: {Active: Active}\n";
    f = setup_v1();
    s = session_in(f, "Active");
    uint64_t entered = sc_session_state_entered_mono_us(s);
    sc_manual_clock_advance(f->clk, 600 * MS);
    json_decref(reload(f, "v2.yaml", V2_TIMER));
    assert_int_equal(sc_session_state_entered_mono_us(s), entered);
    assert_int_equal(sc_engine_session_timer_count(f->engine, s), 1);
    sc_manual_clock_advance(f->clk, 399 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 0);
    sc_manual_clock_advance(f->clk, 1 * MS);
    assert_int_equal(sc_engine_run_timers(f->engine, 0), 1);
    assert_string_equal(sc_session_state_name(s), "Terminated");

    /* back to a table without the timer: the armed one is cancelled */
    sc_session *t = session_in(f, "Active");
    assert_int_equal(sc_engine_session_timer_count(f->engine, t), 1);
    char *v3 = strdup(V2_ACTIVE);
    memcpy(strstr(v3, "version: 2"), "version: 3", 10);
    json_decref(reload(f, "v3.yaml", v3));
    assert_int_equal(sc_engine_session_timer_count(f->engine, t), 0);
    assert_int_equal(sc_engine_table_version_of(f->engine, sc_session_table(t)), 3);
    free(v3);
    fx_free(f);
}

typedef struct seen {
    int records;
    sc_id event;
    bool row;
    uint32_t dirty;
    char event_json[2048];
} seen;

static void on_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    seen *x = ud;
    x->records++;
    x->event = rec->event;
    x->row = t != NULL;
    x->dirty = sc_session_dirty_fields(s);
    json_t *j = NULL;
    if (sc_session_event_json(s, rec, &j) == 0) {
        char *d = json_dumps(j, JSON_COMPACT);
        snprintf(x->event_json, sizeof x->event_json, "%s", d ? d : "");
        free(d);
        json_decref(j);
    }
}

static void test_observers_see_the_migration(void **state)
{
    (void)state;
    fx *f = setup_v1();
    sc_session *s = session_in(f, "Active");
    seen x = {0};
    sc_engine_observer obs = {.on_transition = on_transition, .ud = &x};
    assert_true(sc_engine_add_observer(f->engine, &obs) >= 0);
    json_decref(reload(f, "v2.yaml", V2_ACTIVE));
    assert_int_equal(x.records, 1);
    assert_int_equal(x.event, SC_EV_Migrated);
    assert_false(x.row);
    assert_true(x.dirty & (1u << SC_FIELD_TABLE_HASH)); /* the event record carries the new hash */
    char want[64];
    snprintf(want, sizeof want, "\"table_hash\":\"%s\"", sc_table_hash(sc_engine_table(f->engine)));
    assert_non_null(strstr(x.event_json, want));
    assert_non_null(strstr(x.event_json, "\"event\":\"Migrated\""));
    assert_int_equal(sc_session_dirty_fields(s), 0);
    fx_free(f);
}

static void test_broken_maps_refused_and_warnings(void **state)
{
    (void)state;
    fx *f = setup_v1();
    sc_table *t1 = sc_engine_table(f->engine);
    sc_session *s = session_in(f, "Active");
    static const char *const broken[] = {"migrate: {Active: Nowhere}\n", "migrate: {Active: Terminated}\n",
                                         "migrate: {Failed: Active}\n", "migrate: [Active]\n",
                                         "migrate: {Active: Active, Active: Ringing}\n"};
    char text[4096];
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
        char *base = strdup(V2_ACTIVE);
        *strstr(base, "migrate:") = '\0';
        snprintf(text, sizeof text, "%s%s", base, broken[i]);
        free(base);
        json_t *rep = NULL;
        int r = sc_engine_reload_buffer(f->engine, "bad.yaml", text, strlen(text), NULL, &rep);
        if (r != SC_E_INVALID_TABLE)
            fail_msg("map %zu (%s): reload returned %d", i, broken[i], r);
        json_t *e = json_array_get(json_object_get(rep, "errors"), 0);
        assert_int_equal(json_integer_value(json_object_get(e, "line")), 16);
        json_decref(rep);
        assert_ptr_equal(sc_engine_table(f->engine), t1);
        assert_ptr_equal(sc_session_table(s), t1);
    }

    /* a source the current table does not know: a warning, the reload goes through */
    char *base = strdup(V2_ACTIVE);
    *strstr(base, "migrate:") = '\0';
    snprintf(text, sizeof text, "%smigrate:\n  Active: Active\n  Talking: Active\n", base);
    free(base);
    json_t *rep = NULL;
    assert_int_equal(sc_engine_validate_buffer(f->engine, "cand.yaml", text, strlen(text), NULL, &rep), 0);
    json_t *w = json_array_get(json_object_get(rep, "warnings"), 0);
    assert_non_null(w);
    assert_int_equal(json_integer_value(json_object_get(w, "line")), 18);
    assert_int_equal(json_integer_value(json_object_get(w, "column")), 3);
    assert_non_null(
        strstr(json_string_value(json_object_get(w, "message")), "'Talking' is not a state of the current table"));
    json_decref(rep);
    rep = reload(f, "cand.yaml", text);
    assert_int_equal(json_array_size(json_object_get(rep, "warnings")), 1);
    assert_int_equal(json_integer_value(json_object_get(rep, "migrated")), 1);
    json_decref(rep);
    fx_free(f);
}

/* A reload from inside a dispatch (an action) leaves the busy session where it is. */
static int reload_hook(fx *f, const sc_exec *x)
{
    (void)x;
    json_t *rep = NULL;
    int r = sc_engine_reload_buffer(f->engine, "v2.yaml", V2_ACTIVE, strlen(V2_ACTIVE), NULL, &rep);
    f->ud = rep;
    return r;
}

static void test_busy_session_not_migrated(void **state)
{
    (void)state;
    fx *f = setup_v1();
    sc_table *t1 = sc_engine_table(f->engine);
    sc_session *idle = session_in(f, "Active");
    sc_session *s = session_in(f, "Active");
    /* v1b: HoldCall in Active runs SendResponse, whose test double reloads v2 */
    static const char V1B[] =
        "version: 1b\nname: calls\nstates:\n  Idle: {}\n  Ringing: {}\n  Active: {}\n" STATES_END ROWS
        "  - {from: Active, event: HoldCall, actions: [{SendResponse: {code: 200}}]}\n" FX_EXITS
        "migrate: {Active: Active}\n";
    json_decref(reload(f, "v1b.yaml", V1B));
    sc_table *t1b = sc_engine_table(f->engine);
    assert_ptr_equal(sc_session_table(s), t1b);
    assert_ptr_not_equal(t1b, t1);
    f->hooks[SC_ACTION_SendResponse] = reload_hook;
    assert_int_equal(fx_ev(f, s, SC_EV_HoldCall), 0);
    f->hooks[SC_ACTION_SendResponse] = NULL;
    json_t *rep = f->ud;
    assert_non_null(rep);
    assert_int_equal(json_integer_value(json_object_get(rep, "migrated")), 1); /* idle one only */
    assert_non_null(strstr(
        json_string_value(json_object_get(json_array_get(json_object_get(rep, "warnings"), 0), "message")), "1 busy"));
    json_decref(rep);
    assert_ptr_equal(sc_session_table(s), t1b);
    assert_ptr_equal(sc_session_table(idle), sc_engine_table(f->engine));
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapped_sessions_migrate_others_stay),
        cmocka_unit_test(test_no_map_nothing_migrates),
        cmocka_unit_test(test_old_version_freed_when_all_migrate),
        cmocka_unit_test(test_renamed_state_history_and_snapshot),
        cmocka_unit_test(test_timers_rearmed),
        cmocka_unit_test(test_observers_see_the_migration),
        cmocka_unit_test(test_broken_maps_refused_and_warnings),
        cmocka_unit_test(test_busy_session_not_migrated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
