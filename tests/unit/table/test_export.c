/* Tests for graph export: DOT, Mermaid and JSON, per role, with a highlighted path. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "table_test_util.h"

typedef struct fixture {
    sc_vocab *v;
    sc_table *t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_int_equal(sc_vocab_new(&f->v), 0);
    assert_int_equal(sc_table_load_file(&f->t, DEFAULT_TABLE, f->v, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sc_table_unref(f->t);
    sc_vocab_free(f->v);
    free(f);
    return 0;
}

static char *export(const sc_table *t, sc_graph_format fmt, int role, const uint32_t *path, size_t npath)
{
    sc_graph_opts o = {.format = fmt, .role = role, .path = path, .npath = npath};
    char *out = NULL;
    assert_int_equal(sc_table_export(t, &o, &out), 0);
    assert_non_null(out);
    return out;
}

static void test_dot(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    char *s = export(t, SC_GRAPH_DOT, -1, NULL, 0);
    assert_memory_equal(s, "digraph \"default\" {", 19);
    assert_non_null(strstr(s, "\"__start\" -> \"Idle\";"));
    assert_non_null(strstr(s, "\"Terminated\" [peripheries=2"));
    assert_non_null(strstr(s, "\"Idle\" -> \"Initiating\" [label=\"(uac) MakeCall / SendInvite\"]"));
    assert_non_null(strstr(s, "\"*\" [label=\"any non-terminal state\""));
    assert_non_null(strstr(s, "color=\"#c62828\"")); /* failure edges */
    assert_null(strstr(s, "penwidth=3"));            /* no path, no highlight */
    assert_string_equal(s + strlen(s) - 2, "}\n");
    free(s);
}

static void test_role_filter(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    char *uac = export(t, SC_GRAPH_DOT, SC_ROLE_UAC, NULL, 0);
    char *uas = export(t, SC_GRAPH_DOT, SC_ROLE_UAS, NULL, 0);
    assert_non_null(strstr(uac, "MakeCall"));
    assert_null(strstr(uac, "IncomingCall"));
    assert_non_null(strstr(uas, "IncomingCall"));
    assert_null(strstr(uas, "MakeCall"));
    assert_null(strstr(uac, "(uac) ")); /* role prefixes only in the whole-table view */
    free(uac);
    free(uas);
}

static void test_path_highlight(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = 0;
    const sc_transition *const *a = sc_table_lookup(t, SC_ROLE_UAC, (sc_id)st(t, "Idle"), SC_EV_MakeCall, &n);
    const sc_transition *const *b = sc_table_lookup(t, SC_ROLE_UAC, (sc_id)st(t, "Initiating"), SC_EV_HangupCall, &n);
    uint32_t path[] = {a[0]->index, b[0]->index, 999999};
    char *s = export(t, SC_GRAPH_DOT, SC_ROLE_UAC, path, 3);
    assert_non_null(
        strstr(s, "\"Idle\" -> \"Initiating\" [label=\"MakeCall / SendInvite\", color=\"#1f6feb\", penwidth=3"));
    free(s);
    s = export(t, SC_GRAPH_MERMAID, SC_ROLE_UAC, path, 2);
    assert_non_null(strstr(s, "Idle --> Initiating : ▶ MakeCall / SendInvite"));
    assert_non_null(strstr(s, "class Idle,Initiating,Cancelling visited"));
    free(s);
    s = export(t, SC_GRAPH_JSON, SC_ROLE_UAC, path, 2);
    json_error_t err;
    json_t *root = json_loads(s, 0, &err);
    assert_non_null(root);
    size_t i;
    json_t *tr;
    int on_path = 0;
    json_array_foreach(json_object_get(root, "transitions"), i, tr)
        on_path += json_is_true(json_object_get(tr, "on_path"));
    assert_int_equal(on_path, 2);
    json_decref(root);
    free(s);
}

static void test_mermaid(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    char *s = export(t, SC_GRAPH_MERMAID, -1, NULL, 0);
    assert_memory_equal(s, "stateDiagram-v2\n", 16);
    assert_non_null(strstr(s, "[*] --> Idle\n"));
    assert_non_null(strstr(s, "Terminated --> [*]\n"));
    assert_non_null(strstr(s, "state \"any non-terminal state\" as AnyState\n"));
    assert_non_null(strstr(s, "class Failed failure\n"));
    assert_null(strstr(s, "\""
                          "\""));
    free(s);
}

static void test_json(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    char *s = export(t, SC_GRAPH_JSON, -1, NULL, 0);
    json_error_t err;
    json_t *root = json_loads(s, 0, &err);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "name")), "default");
    assert_string_equal(json_string_value(json_object_get(root, "hash")), sc_table_hash(t));
    assert_int_equal(json_array_size(json_object_get(root, "states")), sc_table_state_count(t));
    assert_int_equal(json_array_size(json_object_get(root, "transitions")), sc_table_transition_count(t));
    json_t *first = json_array_get(json_object_get(root, "transitions"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "event")), "MakeCall");
    assert_string_equal(json_string_value(json_object_get(first, "to")), "Initiating");
    json_decref(root);
    free(s);
    s = export(t, SC_GRAPH_JSON, SC_ROLE_UAS, NULL, 0);
    root = json_loads(s, 0, &err);
    size_t i;
    json_t *tr;
    json_array_foreach(json_object_get(root, "transitions"), i, tr)
        assert_string_not_equal(json_string_value(json_object_get(tr, "role")), "uac");
    json_decref(root);
    free(s);
}

static void test_bad_options(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    char *out = NULL;
    sc_graph_opts o = {.format = SC_GRAPH_DOT, .role = 2};
    assert_int_equal(sc_table_export(t, &o, &out), -EINVAL);
    o.role = -1;
    o.format = (sc_graph_format)7;
    assert_int_equal(sc_table_export(t, &o, &out), -EINVAL);
    assert_int_equal(sc_table_export(t, NULL, &out), -EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_highlight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mermaid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
