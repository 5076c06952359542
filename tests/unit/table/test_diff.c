/* Tests for sc_table_diff(): identical tables, changed, added and removed transitions keyed
 * by (role, from, event, guards), state changes, the initial state, and diagnostics as JSON. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>

#include "table_test_util.h"

#define HEAD                                                    \
    "version: 1\nname: t\nstates:\n"                            \
    "  Idle: {}\n"                                              \
    "  Ringing: {timer: {after_ms: 1000, event: StateTimer}}\n" \
    "  Active: {}\n"                                            \
    "  Done: {terminal: true, max_ms: 1000}\n"
#define EXITS                                                                                 \
    "  - {from: \"*\", event: HangupCall, actions: [SendBye], to: Done}\n"                    \
    "  - {from: \"*\", event: DialogBYE, actions: [{SendResponse: {code: 200}}], to: Done}\n" \
    "  - {from: \"*\", event: DialogError, to: Done}\n"
#define ROW_IN "  - {role: uas, from: Idle, event: IncomingCall, actions: [{SendResponse: {code: 180}}], to: Ringing}\n"
#define ROW_ACCEPT \
    "  - {role: uas, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Active}\n"
#define ROW_TIMER \
    "  - {role: uas, from: Ringing, event: StateTimer, actions: [{SendResponse: {code: 480}}], to: Done}\n"

static const char BASE[] = HEAD "transitions:\n" ROW_IN ROW_ACCEPT ROW_TIMER EXITS;

typedef struct fixture {
    sc_vocab *v;
    sc_diags *d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(sc_vocab_new(&f->v), 0);
    assert_int_equal(sc_diags_new(&f->d), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sc_diags_free(f->d);
    sc_vocab_free(f->v);
    free(f);
    return 0;
}

static sc_table *must_load(fixture *f, const char *yaml)
{
    sc_table *t = NULL;
    int r = load_str(f->v, yaml, &t, f->d);
    if (r)
        dump_diags(f->d);
    assert_int_equal(r, 0);
    return t;
}

/* Diff two YAML texts; returns the result, *out the JSON. */
static int diff_str(fixture *f, const char *a, const char *b, json_t **out)
{
    sc_table *ta = must_load(f, a), *tb = must_load(f, b);
    int r = sc_table_diff(ta, tb, out);
    sc_table_unref(ta);
    sc_table_unref(tb);
    return r;
}

static json_t *section(json_t *d, const char *what, const char *kind)
{
    json_t *arr = json_object_get(json_object_get(d, what), kind);
    assert_true(json_is_array(arr));
    return arr;
}

static bool array_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
            return true;
    return false;
}

static void test_identical(void **state)
{
    fixture *f = *state;
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, BASE, &d), 0);
    assert_true(json_is_true(json_object_get(d, "identical")));
    assert_int_equal(json_integer_value(json_object_get(d, "differences")), 0);
    assert_int_equal(json_array_size(section(d, "transitions", "added")), 0);
    assert_int_equal(json_array_size(section(d, "transitions", "changed")), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "old"), "hash")),
                        json_string_value(json_object_get(json_object_get(d, "new"), "hash")));
    json_decref(d);
}

static void test_comments_and_descriptions_are_not_differences(void **state)
{
    fixture *f = *state;
    static const char B[] =
        "# a comment\n" HEAD "description: reworded\ntransitions:\n" ROW_IN
        "  - {role: uas, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Active,"
        " description: answer}\n" ROW_TIMER EXITS;
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, B, &d), 0);
    /* the text differs, so the hashes do */
    assert_string_not_equal(json_string_value(json_object_get(json_object_get(d, "old"), "hash")),
                            json_string_value(json_object_get(json_object_get(d, "new"), "hash")));
    json_decref(d);
}

static void test_changed_actions_and_to(void **state)
{
    fixture *f = *state;
    static const char B[] = HEAD
        "transitions:\n" ROW_IN ROW_ACCEPT
        "  - {role: uas, from: Ringing, event: StateTimer, actions: [{SendResponse: {code: 200}}], to: Active}\n" EXITS;
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, B, &d), 1);
    json_t *ch = section(d, "transitions", "changed");
    assert_int_equal(json_array_size(ch), 1);
    json_t *c = json_array_get(ch, 0);
    assert_string_equal(json_string_value(json_object_get(c, "role")), "uas");
    assert_string_equal(json_string_value(json_object_get(c, "from")), "Ringing");
    assert_string_equal(json_string_value(json_object_get(c, "event")), "StateTimer");
    json_t *changes = json_object_get(c, "changes");
    json_t *act = json_object_get(changes, "actions");
    assert_true(array_has(json_object_get(act, "old"), "SendResponse(code=480)"));
    assert_true(array_has(json_object_get(act, "new"), "SendResponse(code=200)"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(changes, "to"), "old")), "Done");
    assert_string_equal(json_string_value(json_object_get(json_object_get(changes, "to"), "new")), "Active");
    assert_null(json_object_get(changes, "set"));
    assert_int_equal(json_integer_value(json_object_get(c, "new_line")), 11);
    assert_int_equal(json_array_size(section(d, "transitions", "added")), 0);
    assert_int_equal(json_array_size(section(d, "transitions", "removed")), 0);
    json_decref(d);
}

static void test_guards_make_a_different_key(void **state)
{
    fixture *f = *state;
    /* the unguarded AcceptCall row goes; two guarded ones come */
    static const char B[] = HEAD
        "transitions:\n" ROW_IN
        "  - {role: uas, from: Ringing, event: AcceptCall, guards: [AutoAnswer, HasSdp], actions: [{SendResponse: {code: 200}}], to: Active}\n"
        "  - {role: uas, from: Ringing, event: AcceptCall, guards: [\"!AutoAnswer\"], actions: [{SendResponse: {code: 200}}], to: Active}\n" ROW_TIMER
            EXITS;
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, B, &d), 3);
    json_t *added = section(d, "transitions", "added"), *removed = section(d, "transitions", "removed");
    assert_int_equal(json_array_size(added), 2);
    assert_int_equal(json_array_size(removed), 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(removed, 0), "guards")), 0);
    assert_true(array_has(json_object_get(json_array_get(added, 0), "guards"), "AutoAnswer"));
    assert_true(array_has(json_object_get(json_array_get(added, 0), "guards"), "HasSdp"));
    assert_true(array_has(json_object_get(json_array_get(added, 1), "guards"), "!AutoAnswer"));
    json_decref(d);

    /* the same guards in another order are the same key */
    static const char C[] = HEAD
        "transitions:\n" ROW_IN
        "  - {role: uas, from: Ringing, event: AcceptCall, guards: [HasSdp, AutoAnswer], actions: [{SendResponse: {code: 200}}], to: Active}\n"
        "  - {role: uas, from: Ringing, event: AcceptCall, guards: [\"!AutoAnswer\"], actions: [{SendResponse: {code: 200}}], to: Active}\n" ROW_TIMER
            EXITS;
    assert_int_equal(diff_str(f, B, C, &d), 0);
    json_decref(d);
}

static void test_roles_are_part_of_the_key(void **state)
{
    fixture *f = *state;
    static const char B[] = HEAD
        "transitions:\n" ROW_IN
        "  - {role: any, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Active}\n" ROW_TIMER
            EXITS;
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, B, &d), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(section(d, "transitions", "added"), 0), "role")), "any");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(section(d, "transitions", "removed"), 0), "role")), "uas");
    json_decref(d);
}

static void test_set_and_publish(void **state)
{
    fixture *f = *state;
    static const char B[] = HEAD
        "transitions:\n" ROW_IN
        "  - {role: uas, from: Ringing, event: AcceptCall, actions: [{SendResponse: {code: 200}}], to: Active,"
        " set: {DialogEstablished: true}, publish: [CallAnswered]}\n" ROW_TIMER EXITS;
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, B, &d), 1);
    json_t *changes = json_object_get(json_array_get(section(d, "transitions", "changed"), 0), "changes");
    assert_true(array_has(json_object_get(json_object_get(changes, "set"), "new"), "DialogEstablished=true"));
    assert_true(array_has(json_object_get(json_object_get(changes, "publish"), "new"), "CallAnswered"));
    assert_null(json_object_get(changes, "actions"));
    json_decref(d);
}

static void test_states(void **state)
{
    fixture *f = *state;
    static const char B[] =
        "version: 1\nname: t\nstates:\n"
        "  Idle: {}\n"
        "  Ringing: {timer: {after_ms: 5000, event: StateTimer}}\n"
        "  Active: {max_ms: 60000}\n"
        "  Done: {terminal: true, max_ms: 1000}\n"
        "  Rejected: {terminal: true}\n"
        "transitions:\n" ROW_IN ROW_ACCEPT
        "  - {role: uas, from: Ringing, event: StateTimer, actions: [{SendResponse: {code: 480}}], to: Rejected}\n" EXITS;
    json_t *d = NULL;
    int r = diff_str(f, BASE, B, &d);
    assert_true(r >= 4); /* Rejected added, Ringing and Active changed, the timer row's `to` */
    json_t *added = section(d, "states", "added"), *changed = section(d, "states", "changed");
    assert_int_equal(json_array_size(added), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(added, 0), "state")), "Rejected");
    assert_true(json_is_true(json_object_get(json_array_get(added, 0), "terminal")));
    assert_int_equal(json_array_size(changed), 2);
    json_t *ringing = json_array_get(changed, 0);
    assert_string_equal(json_string_value(json_object_get(ringing, "state")), "Ringing");
    json_t *tm = json_object_get(json_object_get(ringing, "changes"), "timer_ms");
    assert_int_equal(json_integer_value(json_object_get(tm, "old")), 1000);
    assert_int_equal(json_integer_value(json_object_get(tm, "new")), 5000);
    json_t *active = json_array_get(changed, 1);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(json_object_get(active, "changes"), "max_ms"), "new")),
                     60000);
    assert_int_equal(json_array_size(section(d, "states", "removed")), 0);
    json_decref(d);

    /* and backwards: Rejected removed */
    assert_true(diff_str(f, B, BASE, &d) >= 4);
    assert_int_equal(json_array_size(section(d, "states", "removed")), 1);
    json_decref(d);
}

static void test_default_table_against_itself_and_minimal(void **state)
{
    fixture *f = *state;
    sc_table *a = NULL, *b = NULL, *m = NULL;
    assert_int_equal(sc_table_load_file(&a, DEFAULT_TABLE, f->v, f->d), 0);
    assert_int_equal(sc_table_load_file(&b, DEFAULT_TABLE, f->v, f->d), 0);
    assert_int_equal(sc_table_load_file(&m, DATA_DIR "/valid/minimal.yaml", f->v, f->d), 0);
    json_t *d = NULL;
    assert_int_equal(sc_table_diff(a, b, &d), 0);
    json_decref(d);
    int r = sc_table_diff(a, m, &d);
    assert_true(r > 10);
    assert_int_equal(json_integer_value(json_object_get(d, "differences")), r);
    assert_true(json_array_size(section(d, "transitions", "removed")) > 10);
    assert_non_null(json_object_get(d, "initial") ? json_object_get(d, "initial") : json_object_get(d, "states"));
    json_decref(d);
    assert_int_equal(sc_table_diff(NULL, m, &d), -EINVAL);
    sc_table_unref(a);
    sc_table_unref(b);
    sc_table_unref(m);
}

/* A migrate map that appears is one difference; each entry says whether the old table has
 * the state; the same map on both sides is no difference. */
static void test_migrate_map(void **state)
{
    fixture *f = *state;
    static const char WITH_MAP[] = HEAD "transitions:\n" ROW_IN ROW_ACCEPT ROW_TIMER EXITS
                                        "migrate:\n  Ringing: Active\n  Talking: Active\n";
    json_t *d = NULL;
    assert_int_equal(diff_str(f, BASE, WITH_MAP, &d), 1);
    json_t *m = json_object_get(json_object_get(d, "migrate"), "new");
    assert_int_equal(json_array_size(m), 2);
    json_t *e0 = json_array_get(m, 0), *e1 = json_array_get(m, 1);
    assert_string_equal(json_string_value(json_object_get(e0, "from")), "Ringing");
    assert_string_equal(json_string_value(json_object_get(e0, "to")), "Active");
    assert_true(json_is_true(json_object_get(e0, "known")));
    assert_string_equal(json_string_value(json_object_get(e1, "from")), "Talking");
    assert_true(json_is_false(json_object_get(e1, "known")));
    assert_int_equal(json_integer_value(json_object_get(e1, "line")), 17);
    assert_int_equal(json_array_size(json_object_get(json_object_get(d, "migrate"), "old")), 0);
    json_decref(d);
    assert_int_equal(diff_str(f, WITH_MAP, WITH_MAP, &d), 0);
    assert_null(json_object_get(d, "migrate"));
    json_decref(d);
}

static void test_diags_json(void **state)
{
    fixture *f = *state;
    sc_table *t = NULL;
    static const char BAD[] = HEAD
        "transitions:\n" ROW_IN
        "  - {role: uas, from: Ringing, event: NoSuchEvent, to: Active}\n" ROW_ACCEPT ROW_TIMER EXITS;
    assert_int_not_equal(load_str(f->v, BAD, &t, f->d), 0);
    json_t *arr = sc_diags_json(f->d, true);
    assert_true(json_array_size(arr) >= 1);
    json_t *e = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(e, "file")), "test.yaml");
    assert_int_equal(json_integer_value(json_object_get(e, "line")), 10);
    assert_true(json_integer_value(json_object_get(e, "column")) > 0);
    assert_string_equal(json_string_value(json_object_get(e, "severity")), "error");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "NoSuchEvent"));
    json_decref(arr);
    arr = sc_diags_json(NULL, false);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_and_descriptions_are_not_differences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_actions_and_to, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guards_make_a_different_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_are_part_of_the_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_and_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_table_against_itself_and_minimal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diags_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_map, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
