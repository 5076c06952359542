/* Tests for the table loader: vocabulary, diagnostics, loading files and buffers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "table_test_util.h"

static void test_roles(void **state)
{
    (void)state;
    sc_role r;
    assert_string_equal(sc_role_name(SC_ROLE_UAC), "uac");
    assert_string_equal(sc_role_name(SC_ROLE_ANY), "any");
    assert_int_equal(sc_role_parse("uas", &r), 0);
    assert_int_equal(r, SC_ROLE_UAS);
    assert_int_equal(sc_role_parse("UAS", &r), -EINVAL);
    assert_int_equal(sc_role_parse(NULL, &r), -EINVAL);
}

static void test_vocab_builtins_and_params(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_vocab_count(v, SC_VOCAB_EVENT), SC_EV__BUILTIN_COUNT);
    assert_int_equal(sc_vocab_count(v, SC_VOCAB_ACTION), SC_ACTION__BUILTIN_COUNT);
    assert_int_equal(sc_vocab_lookup(v, SC_VOCAB_EVENT, "DialogBYE"), SC_EV_DialogBYE);
    assert_int_equal(sc_vocab_lookup(v, SC_VOCAB_EVENT, "DialogBye"), -ENOENT);
    assert_string_equal(sc_vocab_name(v, SC_VOCAB_GUARD, SC_GUARD_CodeInRange), "CodeInRange");
    assert_null(sc_vocab_name(v, SC_VOCAB_GUARD, 999));
    size_t n = 0;
    const sc_param_spec *p = sc_vocab_params(v, SC_VOCAB_ACTION, SC_ACTION_SendResponse, &n);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "code");
    assert_int_equal(p[0].type, SC_PARAM_INT);
    assert_true(p[0].required);
    assert_string_equal(p[1].name, "reason");
    assert_int_equal(p[1].type, SC_PARAM_STRING);
    assert_false(p[1].required);
    p = sc_vocab_params(v, SC_VOCAB_GUARD, SC_GUARD_ConditionIs, &n);
    assert_int_equal(n, 2);
    assert_int_equal(p[1].type, SC_PARAM_BOOL);
    sc_vocab_params(v, SC_VOCAB_ACTION, SC_ACTION_SendBye, &n);
    assert_int_equal(n, 0);

    sc_param_spec spec[] = {{.name = "queue", .type = SC_PARAM_STRING, .required = true}};
    int id = sc_vocab_add(v, SC_VOCAB_ACTION, "Enqueue", spec, 1);
    assert_int_equal(id, SC_ACTION__BUILTIN_COUNT);
    assert_int_equal(sc_vocab_lookup(v, SC_VOCAB_ACTION, "Enqueue"), id);
    p = sc_vocab_params(v, SC_VOCAB_ACTION, (sc_id)id, &n);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].name, "queue");
    assert_int_equal(sc_vocab_add(v, SC_VOCAB_ACTION, "Enqueue", NULL, 0), -EEXIST);
    assert_int_equal(sc_vocab_add(v, SC_VOCAB_EVENT, "bad name", NULL, 0), -EINVAL);
    assert_int_equal(sc_vocab_add(v, SC_VOCAB_EVENT, "", NULL, 0), -EINVAL);
    assert_int_equal(sc_vocab_add(v, SC_VOCAB_EVENT, "WithParams", spec, 1), -EINVAL);
    sc_vocab_free(v);
    sc_vocab_free(NULL);
}

static void test_diag_format(void **state)
{
    (void)state;
    sc_diags *d = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    assert_int_equal(sc_diags_add(d, SC_SEV_ERROR, "t.yaml", 12, 7, "unknown event '%s'", "X"), 0);
    assert_int_equal(sc_diags_add(d, SC_SEV_WARNING, "t.yaml", 3, 1, "careful"), 0);
    assert_int_equal(sc_diags_count(d), 2);
    assert_int_equal(sc_diags_errors(d), 1);
    char buf[128];
    size_t len = sc_diag_format(sc_diags_get(d, 0), buf, sizeof(buf));
    assert_string_equal(buf, "t.yaml:12:7: error: unknown event 'X'");
    assert_int_equal(len, strlen(buf));
    sc_diag_format(sc_diags_get(d, 1), buf, sizeof(buf));
    assert_string_equal(buf, "t.yaml:3:1: warning: careful");
    char small[8];
    len = sc_diag_format(sc_diags_get(d, 0), small, sizeof(small));
    assert_int_equal(strlen(small), 7);
    assert_true(len > 7);
    assert_null(sc_diags_get(d, 2));
    sc_diags_free(d);
    sc_diags_free(NULL);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_default_table_loads_without_warnings(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = sc_table_load_file(&t, DEFAULT_TABLE, v, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    assert_int_equal(sc_diags_count(d), 0);
    assert_ptr_equal(sc_table_vocab(t), v);
    assert_string_equal(sc_table_name(t), "default");
    assert_string_equal(sc_table_version(t), "1.0");
    assert_string_equal(sc_table_path(t), DEFAULT_TABLE);
    assert_int_equal(strlen(sc_table_hash(t)), 16);
    size_t len = 0, flen = 0;
    const char *src = sc_table_source(t, &len);
    char *file = read_all(DEFAULT_TABLE, &flen);
    assert_int_equal(len, flen);
    assert_memory_equal(src, file, len);

    const char *required[] = {"Idle",        "Initiating",   "Ringing",          "EarlyMedia",
                              "Answering",   "Active",       "OnHold",           "Resuming",
                              "Bridged",     "Transferring", "TransferringCall", "ConsultationCall",
                              "Terminating", "Terminated",   "Cancelled",        "Failed"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        assert_true(sc_table_state_id(t, required[i]) >= 0);
    assert_int_equal(sc_table_state_id(t, "Nowhere"), -ENOENT);
    assert_int_equal(sc_table_initial_state(t), st(t, "Idle"));
    const sc_state_info *term = sc_table_state(t, (sc_id)st(t, "Terminated"));
    assert_true(term->terminal);
    assert_int_equal(term->max_ms, 300000);
    assert_int_equal(sc_table_state(t, (sc_id)st(t, "Failed"))->max_ms, 600000);
    const sc_state_info *ring = sc_table_state(t, (sc_id)st(t, "Ringing"));
    assert_false(ring->terminal);
    assert_int_equal(ring->timer_ms, 180000);
    assert_int_equal(ring->timer_event, SC_EV_StateTimer);
    assert_true(ring->line > 1);
    assert_null(sc_table_state(t, 9999));
    size_t n = 0;
    const sc_id *est = sc_table_established_conditions(t, &n);
    assert_int_equal(n, 2);
    assert_int_equal(est[0], SC_COND_DialogEstablished);
    assert_int_equal(est[1], SC_COND_SdpNegotiated);

    /* same text, same hash; a different text, a different hash */
    sc_table *t2 = NULL;
    assert_int_equal(sc_table_load_buffer(&t2, "copy", file, flen, v, NULL), 0);
    assert_string_equal(sc_table_hash(t), sc_table_hash(t2));
    sc_table_unref(t2);
    file[flen - 1] = ' ';
    assert_int_equal(sc_table_load_buffer(&t2, "copy", file, flen, v, NULL), 0);
    assert_string_not_equal(sc_table_hash(t), sc_table_hash(t2));
    sc_table_unref(t2);
    free(file);

    assert_ptr_equal(sc_table_ref(t), t);
    sc_table_unref(t);
    assert_string_equal(sc_table_name(t), "default"); /* still one reference */
    sc_table_unref(t);
    sc_table_unref(NULL);
    sc_diags_free(d);
    sc_vocab_free(v);
}

static void test_file_errors(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_table_load_file(&t, DATA_DIR "/no-such-file.yaml", v, NULL), -ENOENT);
    assert_null(t);
    assert_int_equal(sc_table_load_file(&t, DATA_DIR "/invalid/05-unknown-event.yaml", v, NULL), SC_E_INVALID_TABLE);
    assert_null(t);
    assert_int_equal(sc_table_load_buffer(&t, "x", "", 0, v, NULL), SC_E_INVALID_TABLE);
    assert_int_equal(sc_table_load_buffer(NULL, "x", "", 0, v, NULL), -EINVAL);
    sc_vocab_free(v);
}

static void test_valid_corpus_loads(void **state)
{
    (void)state;
    const char *files[] = {"minimal.yaml", "app-vocabulary.yaml", "roles-and-lists.yaml"};
    sc_vocab *v = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), DATA_DIR "/valid/%s", files[i]);
        sc_diags *d = NULL;
        sc_table *t = NULL;
        assert_int_equal(sc_diags_new(&d), 0);
        int rc = sc_table_load_file(&t, path, v, d);
        dump_diags(d);
        assert_int_equal(rc, 0);
        assert_int_equal(sc_diags_count(d), 0);
        sc_table_unref(t);
        sc_diags_free(d);
    }
    sc_vocab_free(v);
}

static void test_table_vocabulary_extends_a_copy(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_table_load_file(&t, DATA_DIR "/valid/app-vocabulary.yaml", v, NULL), 0);
    const sc_vocab *tv = sc_table_vocab(t);
    assert_ptr_not_equal(tv, v);
    assert_int_equal(sc_vocab_lookup(v, SC_VOCAB_EVENT, "AgentAvailable"), -ENOENT);
    int id = sc_vocab_lookup(tv, SC_VOCAB_EVENT, "AgentAvailable");
    assert_true(id >= SC_EV__BUILTIN_COUNT);
    assert_int_equal(sc_vocab_lookup(tv, SC_VOCAB_EVENT, "DialogBYE"), SC_EV_DialogBYE);
    assert_int_equal(sc_table_initial_state(t), st(t, "Waiting"));
    const sc_state_info *w = sc_table_state(t, (sc_id)st(t, "Waiting"));
    assert_int_equal(w->timer_event, sc_vocab_lookup(tv, SC_VOCAB_EVENT, "QueueTimeout"));
    assert_string_equal(sc_table_version(t), "2024.1");
    size_t n = 0;
    const sc_transition *const *tr = sc_table_lookup(t, SC_ROLE_UAS, (sc_id)st(t, "Waiting"), (sc_id)id, &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->to, st(t, "Connected"));
    sc_table_unref(t);
    sc_vocab_free(v);
}

static void test_app_names_registered_from_c(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    sc_param_spec spec[] = {{.name = "queue", .type = SC_PARAM_STRING, .required = true},
                            {.name = "weight", .type = SC_PARAM_INT, .required = false}};
    assert_true(sc_vocab_add(v, SC_VOCAB_ACTION, "Enqueue", spec, 2) >= 0);
    assert_true(sc_vocab_add(v, SC_VOCAB_GUARD, "VipCaller", NULL, 0) >= 0);
    const char *yaml = "states:\n  Idle: {}\n  Done: {terminal: true}\n"
                       "transitions:\n"
                       "  - {role: uas, from: Idle, event: IncomingCall, guards: [VipCaller],\n"
                       "     actions: [{Enqueue: {queue: gold, weight: 3}}], to: Done}\n"
                       "  - {role: uas, from: Idle, event: IncomingCall, guards: ['!VipCaller'],\n"
                       "     actions: [{Enqueue: {queue: std}}], to: Done}\n";
    int rc = load_str(v, yaml, &t, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    size_t n = 0;
    const sc_transition *const *tr = sc_table_lookup(t, SC_ROLE_UAS, 0, SC_EV_IncomingCall, &n);
    assert_int_equal(n, 2);
    assert_false(tr[0]->guards[0].negate);
    assert_true(tr[1]->guards[0].negate);
    assert_int_equal(tr[0]->actions[0].nparams, 2);
    assert_string_equal(tr[0]->actions[0].params[0].name, "queue");
    assert_string_equal(tr[0]->actions[0].params[0].s, "gold");
    assert_int_equal(tr[0]->actions[0].params[1].i, 3);
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
}

static void test_yaml_level_refusals(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    struct {
        const char *yaml, *msg;
        uint32_t line;
    } cases[] = {
        {"states: &s\n  Idle: {}\ntransitions: *s\n", "aliases are not supported", 3},
        {"states:\n  Idle: {}\ntransitions: []\n---\nstates: {}\n", "one YAML document", 4},
        {"- a\n- b\n", "must be a YAML mapping", 1},
        {"states: {Idle: {}}\ntransitions: [\n", "YAML syntax error", 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sc_diags *d = NULL;
        sc_table *t = NULL;
        assert_int_equal(sc_diags_new(&d), 0);
        assert_int_equal(load_str(v, cases[i].yaml, &t, d), SC_E_INVALID_TABLE);
        if (!diags_have(d, cases[i].msg)) {
            dump_diags(d);
            fail_msg("case %zu: no '%s'", i, cases[i].msg);
        }
        assert_int_equal(sc_diags_get(d, 0)->line, cases[i].line);
        sc_diags_free(d);
    }
    sc_vocab_free(v);
}

/* Duplicate mapping keys are refused where they repeat, naming the first; in a mapping of
 * thousands of keys (one pass over a set of the keys, not each against all earlier ones). */
static void test_duplicate_keys_are_refused(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    sc_buf b = {0};
    sc_buf_puts(&b, "states:\n  Idle: {}\ntransitions: []\nmeta:\n");
    for (int i = 0; i < 20000; i++)
        sc_buf_printf(&b, "  k%d: 1\n", i);
    sc_buf_puts(&b, "  k7: 2\n  k19999: 3\n"); /* lines 20005 and 20006 */
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    assert_int_equal(load_str(v, b.p, &t, d), SC_E_INVALID_TABLE);
    assert_true(diags_have(d, "duplicate key 'k7' (first at line 12)"));
    assert_true(diags_have(d, "duplicate key 'k19999' (first at line 20004)"));
    assert_int_equal(sc_diags_get(d, 0)->line, 20005);
    sc_diags_free(d);
    sc_buf_free(&b);
    sc_vocab_free(v);
}

static void test_deep_nesting_is_refused(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    char buf[4096] = "states: ";
    for (int i = 0; i < 500; i++)
        strcat(buf, "[");
    sc_table *t = NULL;
    sc_diags *d = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    assert_int_equal(load_str(v, buf, &t, d), SC_E_INVALID_TABLE);
    assert_true(diags_have(d, "nesting deeper") || diags_have(d, "YAML syntax error"));
    sc_diags_free(d);
    sc_vocab_free(v);
}

static void test_terminal_exit_is_only_a_warning(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    const char *yaml = "states:\n  Idle: {}\n  Done: {terminal: true}\n"
                       "transitions:\n"
                       "  - {from: Idle, event: HangupCall, to: Done}\n"
                       "  - {from: Done, event: Recovered}\n";
    assert_int_equal(load_str(v, yaml, &t, d), 0);
    assert_int_equal(sc_diags_count(d), 1);
    assert_int_equal(sc_diags_errors(d), 0);
    const sc_diag *w = sc_diags_get(d, 0);
    assert_int_equal(w->severity, SC_SEV_WARNING);
    assert_int_equal(w->line, 6);
    assert_non_null(strstr(w->message, "terminal state 'Done' has an outgoing transition"));
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_vocab_builtins_and_params),
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_default_table_loads_without_warnings),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_valid_corpus_loads),
        cmocka_unit_test(test_table_vocabulary_extends_a_copy),
        cmocka_unit_test(test_app_names_registered_from_c),
        cmocka_unit_test(test_yaml_level_refusals),
        cmocka_unit_test(test_duplicate_keys_are_refused),
        cmocka_unit_test(test_deep_nesting_is_refused),
        cmocka_unit_test(test_terminal_exit_is_only_a_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
