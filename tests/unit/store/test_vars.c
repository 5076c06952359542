/* Session variables: set, read, replace, remove; the limits on names, values and count; kept as
 * the `vars` field (so persisted like any field, marked dirty) and shown by inspection as
 * "variables" rather than among the fields. */
#include "unit/store/store_fixture.h"

#include <jansson.h>

static void test_set_get_remove(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "v1");
    char buf[64];
    assert_int_equal(sc_session_var_get(s, "digits", buf, sizeof buf), -ENOENT);
    assert_int_equal(sc_session_var_set(s, "digits", "1234"), 0);
    assert_int_equal(sc_session_var_set(s, "vip", "yes"), 0);
    assert_int_equal(sc_session_var_get(s, "digits", buf, sizeof buf), 4);
    assert_string_equal(buf, "1234");
    assert_int_equal(sc_session_var_set(s, "digits", "9"), 0);
    assert_int_equal(sc_session_var_get(s, "digits", buf, sizeof buf), 1);
    assert_string_equal(sc_session_field(s, SC_FIELD_VARS), "{\"digits\":\"9\",\"vip\":\"yes\"}");
    assert_int_equal(sc_session_var_get(s, "vip", buf, 3), -ENOSPC);
    assert_int_equal(sc_session_var_set(s, "digits", NULL), 0);
    assert_int_equal(sc_session_var_set(s, "absent", NULL), 0);
    assert_int_equal(sc_session_var_get(s, "digits", buf, sizeof buf), -ENOENT);
    assert_int_equal(sc_session_var_set(s, "vip", NULL), 0);
    assert_null(sc_session_field(s, SC_FIELD_VARS));
    sf_free(f);
}

static void test_limits(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "v2");
    assert_int_equal(sc_session_var_set(s, "", "x"), -EINVAL);
    assert_int_equal(sc_session_var_set(s, "a b", "x"), -EINVAL);
    assert_int_equal(sc_session_var_set(s, "a\"b", "x"), -EINVAL);
    char longv[SC_VAR_VALUE_MAX + 2];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(sc_session_var_set(s, "long", longv), -EINVAL);
    longv[SC_VAR_VALUE_MAX] = '\0';
    assert_int_equal(sc_session_var_set(s, "long", longv), 0);
    assert_int_equal(sc_session_var_set(s, "bad", "\xff\xfe"), -EINVAL); /* not UTF-8 */
    char name[16];
    for (int i = 1; i < SC_VARS_MAX; i++) {
        snprintf(name, sizeof name, "v%d", i);
        assert_int_equal(sc_session_var_set(s, name, "1"), 0);
    }
    assert_int_equal(sc_session_var_set(s, "one_more", "1"), -E2BIG);
    assert_int_equal(sc_session_var_set(s, "v1", "2"), 0); /* replacing is fine */
    sf_free(f);
}

static void test_inspection_shows_variables(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    sc_session *s = sf_create(f, SC_ROLE_UAS, "v3");
    assert_int_equal(sc_session_var_set(s, "queue", "sales"), 0);
    json_t *o = NULL;
    assert_int_equal(sc_store_inspect(s, NULL, &o), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "variables"), "queue")), "sales");
    assert_null(json_object_get(json_object_get(o, "fields"), "vars"));
    json_decref(o);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_get_remove),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_inspection_shows_variables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
