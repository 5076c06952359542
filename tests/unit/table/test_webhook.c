/* Tests for the mapping form of the vocabulary (webhooks): the specs kept, their checks with
 * file:line:column, and names declared again by a reload's table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "table_test_util.h"

/* A small complete table; VOCAB is the vocabulary section, USE a row using its names. */
#define TABLE(VOCAB, GUARDS, ACTIONS)                                                                          \
    "name: hooks\n" VOCAB "states:\n  Idle: {}\n  Active: {}\n  Done: {terminal: true}\n"                      \
    "transitions:\n"                                                                                           \
    "  - {role: any, from: Idle, event: IncomingCall, guards: " GUARDS ", actions: " ACTIONS ", to: Active}\n" \
    "  - {role: any, from: \"*\", event: HangupCall, to: Done}\n"                                              \
    "  - {role: any, from: \"*\", event: DialogBYE, to: Done}\n"                                               \
    "  - {role: any, from: \"*\", event: DialogError, to: Done}\n"

static sc_vocab *vocab;

static int setup(void **state)
{
    (void)state;
    return sc_vocab_new(&vocab);
}

static int teardown(void **state)
{
    (void)state;
    sc_vocab_free(vocab);
    return 0;
}

/* Loads yaml; expects an error containing needle at line:col (col 0: any). */
static void expect_error(const char *yaml, const char *needle, uint32_t line, uint32_t col)
{
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    assert_int_equal(load_str(vocab, yaml, &t, d), SC_E_INVALID_TABLE);
    bool found = false;
    for (size_t i = 0; i < sc_diags_count(d); i++) {
        const sc_diag *g = sc_diags_get(d, i);
        if (strstr(g->message, needle) && g->line == line && (!col || g->column == col))
            found = true;
    }
    if (!found)
        dump_diags(d);
    assert_true(found);
    sc_diags_free(d);
}

static void test_map_form(void **state)
{
    (void)state;
    const char *yaml = TABLE("vocabulary:\n"
                             "  actions:\n"
                             "    NotifyCRM: {webhook: \"http://127.0.0.1:9000/crm\", timeout_ms: 1500, retries: 2,\n"
                             "                token_file: /run/tok, hmac_key_file: /run/key}\n"
                             "    Plain:\n"
                             "  guards:\n"
                             "    IsVip: {webhook: \"https://crm.example/vip\", cache: session}\n"
                             "  events: [AgentReady]\n",
                             "[IsVip]", "[NotifyCRM]");
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = load_str(vocab, yaml, &t, d);
    if (rc)
        dump_diags(d);
    assert_int_equal(rc, 0);
    assert_int_equal(sc_table_webhook_count(t), 2);
    const sc_vocab *v = sc_table_vocab(t);
    int crm = sc_vocab_lookup(v, SC_VOCAB_ACTION, "NotifyCRM");
    int vip = sc_vocab_lookup(v, SC_VOCAB_GUARD, "IsVip");
    int plain = sc_vocab_lookup(v, SC_VOCAB_ACTION, "Plain");
    assert_true(crm >= SC_ACTION__BUILTIN_COUNT && vip >= SC_GUARD__BUILTIN_COUNT && plain >= 0);
    const sc_webhook_spec *w = sc_table_webhook(t, SC_VOCAB_ACTION, (sc_id)crm);
    assert_non_null(w);
    assert_string_equal(w->name, "NotifyCRM");
    assert_string_equal(w->url, "http://127.0.0.1:9000/crm");
    assert_int_equal(w->timeout_ms, 1500);
    assert_int_equal(w->retries, 2);
    assert_int_equal(w->cache, SC_WEBHOOK_CACHE_NONE);
    assert_string_equal(w->token_file, "/run/tok");
    assert_string_equal(w->hmac_key_file, "/run/key");
    assert_int_equal(w->line, 4);
    assert_int_equal(w->column, 5);
    w = sc_table_webhook(t, SC_VOCAB_GUARD, (sc_id)vip);
    assert_non_null(w);
    assert_int_equal(w->cache, SC_WEBHOOK_CACHE_SESSION);
    assert_int_equal(w->timeout_ms, SC_WEBHOOK_TIMEOUT_DEFAULT_MS);
    assert_null(w->token_file);
    assert_null(sc_table_webhook(t, SC_VOCAB_ACTION, (sc_id)plain));
    assert_null(sc_table_webhook(t, SC_VOCAB_GUARD, (sc_id)crm));
    assert_null(sc_table_webhook_at(t, 2));
    assert_string_equal(sc_webhook_cache_name(SC_WEBHOOK_CACHE_TRANSITION), "transition");
    sc_table_unref(t);
    sc_diags_free(d);
}

static void test_list_items_with_specs(void **state)
{
    (void)state;
    const char *yaml = TABLE("vocabulary:\n"
                             "  actions:\n"
                             "    - Plain\n"
                             "    - NotifyCRM: {webhook: \"http://127.0.0.1:9/x\"}\n",
                             "[]", "[NotifyCRM, Plain]");
    sc_table *t = NULL;
    assert_int_equal(load_str(vocab, yaml, &t, NULL), 0);
    assert_int_equal(sc_table_webhook_count(t), 1);
    assert_string_equal(sc_table_webhook_at(t, 0)->name, "NotifyCRM");
    assert_int_equal(sc_table_webhook_at(t, 0)->kind, SC_VOCAB_ACTION);
    sc_table_unref(t);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"ftp://h/x\"}\n", "[]", "[N]"),
                 "must start with http:// or https://", 4, 18);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http:///x\"}\n", "[]", "[N]"), "has no host", 4,
                 18);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/a b\"}\n", "[]", "[N]"), "blanks", 4, 0);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/\", timeout_ms: -5}\n", "[]", "[N]"),
                 "'timeout_ms' must be an integer from 1", 4, 43);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/\", timeout_ms: 0}\n", "[]", "[N]"),
                 "timeout_ms", 4, 0);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/\", retries: 11}\n", "[]", "[N]"),
                 "'retries' must be an integer from 0 to 10", 4, 0);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/\", colour: red}\n", "[]", "[N]"),
                 "unknown key 'colour' in the webhook of action 'N'", 4, 31);
    expect_error(TABLE("vocabulary:\n  guards:\n    G: {webhook: \"http://h/\", retries: 1}\n", "[G]", "[]"),
                 "guards are never retried", 4, 0);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/\", cache: session}\n", "[]", "[N]"),
                 "only guards are cached", 4, 0);
    expect_error(TABLE("vocabulary:\n  guards:\n    G: {webhook: \"http://h/\", cache: forever}\n", "[G]", "[]"),
                 "must be none, transition or session", 4, 0);
    expect_error(TABLE("vocabulary:\n  guards:\n    G: {timeout_ms: 5}\n", "[G]", "[]"), "has no 'webhook' URL", 4, 8);
    expect_error(TABLE("vocabulary:\n  guards:\n    G: \"http://h/\"\n", "[G]", "[]"), "must be a mapping", 4, 8);
    expect_error(TABLE("vocabulary:\n  actions:\n    N: {webhook: \"http://h/\", token_file: \"\"}\n", "[]", "[N]"),
                 "'token_file' must be a non-empty string", 4, 0);
    expect_error(TABLE("vocabulary:\n  events: {E: {webhook: \"http://h/\"}}\n", "[]", "[]"), "a vocabulary list", 3,
                 11);
    /* a built-in name cannot be declared again, webhook or not */
    expect_error(TABLE("vocabulary:\n  actions:\n    SendBye: {webhook: \"http://h/\"}\n", "[]", "[]"),
                 "action 'SendBye' is already declared", 4, 5);
    expect_error(TABLE("vocabulary:\n  actions:\n    - N\n    - N: {webhook: \"http://h/\"}\n", "[]", "[N]"),
                 "action 'N' is already declared", 5, 7);
}

/* A reload loads the candidate against the running table's vocabulary: the names it declared
 * are the same names again (the candidate shares that vocabulary), new ones make a new one. */
static void test_declared_again(void **state)
{
    (void)state;
    const char *first = TABLE("vocabulary:\n  actions: {NotifyCRM: {webhook: \"http://h/1\"}}\n  events: [Go]\n", "[]",
                              "[NotifyCRM]");
    const char *again = TABLE("vocabulary:\n  actions: {NotifyCRM: {webhook: \"http://h/2\"}}\n  events: [Go]\n", "[]",
                              "[NotifyCRM]");
    const char *grown = TABLE("vocabulary:\n  actions: {NotifyCRM: {webhook: \"http://h/2\"}, More: null}\n", "[]",
                              "[NotifyCRM, More]");
    sc_table *t1 = NULL, *t2 = NULL, *t3 = NULL;
    assert_int_equal(load_str(vocab, first, &t1, NULL), 0);
    assert_ptr_not_equal(sc_table_vocab(t1), vocab);
    assert_int_equal(load_str(sc_table_vocab(t1), again, &t2, NULL), 0);
    assert_ptr_equal(sc_table_vocab(t2), sc_table_vocab(t1));
    int id = sc_vocab_lookup(sc_table_vocab(t1), SC_VOCAB_ACTION, "NotifyCRM");
    assert_string_equal(sc_table_webhook(t2, SC_VOCAB_ACTION, (sc_id)id)->url, "http://h/2");
    assert_string_equal(sc_table_webhook(t1, SC_VOCAB_ACTION, (sc_id)id)->url, "http://h/1");
    assert_int_equal(load_str(sc_table_vocab(t1), grown, &t3, NULL), 0);
    assert_ptr_not_equal(sc_table_vocab(t3), sc_table_vocab(t1));
    assert_int_equal(sc_vocab_lookup(sc_table_vocab(t3), SC_VOCAB_ACTION, "NotifyCRM"), id);
    sc_table_unref(t3);
    sc_table_unref(t2);
    sc_table_unref(t1);
}

/* A webhook's URL or options changing is a difference of the tables. */
static void test_diff(void **state)
{
    (void)state;
    const char *a = TABLE("vocabulary:\n  actions: {N: {webhook: \"http://h/1\"}}\n", "[]", "[N]");
    const char *b = TABLE("vocabulary:\n  actions: {N: {webhook: \"http://h/1\", retries: 2}}\n", "[]", "[N]");
    sc_table *ta = NULL, *tb = NULL, *tc = NULL;
    assert_int_equal(load_str(vocab, a, &ta, NULL), 0);
    assert_int_equal(load_str(vocab, b, &tb, NULL), 0);
    assert_int_equal(load_str(vocab, a, &tc, NULL), 0);
    json_t *d = NULL;
    assert_int_equal(sc_table_diff(ta, tc, &d), 0);
    assert_null(json_object_get(d, "webhooks"));
    json_decref(d);
    assert_int_equal(sc_table_diff(ta, tb, &d), 1);
    json_t *w = json_object_get(d, "webhooks");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(w, "old"), 0), "retries")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(w, "new"), 0), "retries")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(w, "new"), 0), "url")),
                        "http://h/1");
    json_decref(d);
    sc_table_unref(ta);
    sc_table_unref(tb);
    sc_table_unref(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_form), cmocka_unit_test(test_list_items_with_specs),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_declared_again),
        cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
