/* test_webhooks_bind: what a coordinator does with a table's webhooks at start and at reload:
 * it binds them (the table is accepted), refuses a name the host binds too, refuses an
 * unreadable token file, still refuses a declared action nothing binds, and a reload that
 * maps an already declared name to a webhook binds it before the check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/coord.h"

#define ROWS                                                                       \
    "states: {Idle: {}, Active: {}, Done: {terminal: true}}\n"                     \
    "transitions:\n"                                                               \
    "  - {role: any, from: Idle, event: IncomingCall, actions: [N], to: Active}\n" \
    "  - {role: any, from: \"*\", event: HangupCall, to: Done}\n"                  \
    "  - {role: any, from: \"*\", event: DialogBYE, to: Done}\n"                   \
    "  - {role: any, from: \"*\", event: DialogError, to: Done}\n"

static int host_action(const sc_exec *x) { return 0; }

/* sc_coord_new's result for a table (yaml) with the host binding action N when host; when
 * reload, a reload that maps the declared name M to a webhook too must then be applied. */
static int start(const char *yaml, bool host, bool reload)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_table_load_buffer(&t, "t.yaml", yaml, strlen(yaml), v, NULL), 0);
    sc_coord_config c;
    sc_coord_config_default(&c);
    c.loop = &loop;
    c.table = t;
    c.listen[0] = "udp:127.0.0.1:0";
    c.nlisten = 1;
    c.metrics_off = true;
    sc_coord_binding b = {.kind = SC_VOCAB_ACTION, .name = "N", .action = host_action};
    if (host) {
        c.bindings = &b;
        c.nbindings = 1;
    }
    sc_coord *coord = NULL;
    int rc = sc_coord_new(&coord, &c);
    if (rc == 0 && reload) {
        /* reload a table that maps the declared name M to a webhook: it must be bound first */
        const char *again = "name: t\n"
                            "vocabulary: {actions: {N: {webhook: \"http://127.0.0.1:9/n\"}, M: {webhook: "
                            "\"http://127.0.0.1:9/m\"}}}\n"
                            "states: {Idle: {}, Active: {}, Done: {terminal: true}}\n"
                            "transitions:\n"
                            "  - {role: any, from: Idle, event: IncomingCall, actions: [N, M], to: Active}\n"
                            "  - {role: any, from: \"*\", event: HangupCall, to: Done}\n"
                            "  - {role: any, from: \"*\", event: DialogBYE, to: Done}\n"
                            "  - {role: any, from: \"*\", event: DialogError, to: Done}\n";
        json_t *rep = NULL;
        int r2 = sc_coord_table_reload(coord, NULL, "again", again, strlen(again), &rep);
        if (r2)
            fprintf(stderr, "%s\n", json_dumps(rep, 0));
        assert_int_equal(r2, 0);
        assert_true(sc_engine_action_bound(sc_coord_engine(coord),
                                           (sc_id)sc_vocab_lookup(sc_engine_vocab(sc_coord_engine(coord)),
                                                                  SC_VOCAB_ACTION, "M")));
        json_decref(rep);
        /* a reload cannot add a name: refused, naming it */
        const char *grown = "name: t\n"
                            "vocabulary: {actions: {N: {webhook: \"http://127.0.0.1:9/n\"}, Z: {webhook: "
                            "\"http://127.0.0.1:9/z\"}}}\n" ROWS;
        rep = NULL;
        assert_int_equal(sc_coord_table_reload(coord, NULL, "grown", grown, strlen(grown), &rep), SC_E_UNBOUND);
        const char *msg = json_string_value(
            json_object_get(json_array_get(json_object_get(rep, "errors"), 0), "message"));
        assert_non_null(msg);
        assert_non_null(strstr(msg, "action 'Z' is new"));
        json_decref(rep);
    }
    sc_coord_free(coord);
    sc_table_unref(t);
    sc_vocab_free(v);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return rc;
}

static void test_bound(void **state)
{
    (void)state;
    assert_int_equal(start("name: t\nvocabulary: {actions: {N: {webhook: \"http://127.0.0.1:9/n\"}, M: null}}\n" ROWS,
                           false, true),
                     0);
}

static void test_host_binds_it_too(void **state)
{
    (void)state;
    assert_int_equal(
        start("name: t\nvocabulary: {actions: {N: {webhook: \"http://127.0.0.1:9/n\"}}}\n" ROWS, true, false), -EEXIST);
    /* declared alone, the host's binding is the one */
    assert_int_equal(start("name: t\nvocabulary: {actions: [N]}\n" ROWS, true, false), 0);
}

static void test_unbound_and_unreadable(void **state)
{
    (void)state;
    assert_int_equal(start("name: t\nvocabulary: {actions: [N]}\n" ROWS, false, false), SC_E_UNBOUND);
    assert_int_equal(start("name: t\nvocabulary: {actions: {N: {webhook: \"http://127.0.0.1:9/n\", token_file: "
                           "/nonexistent/token}}}\n" ROWS,
                           false, false),
                     -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_host_binds_it_too),
        cmocka_unit_test(test_unbound_and_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
