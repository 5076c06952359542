/* Tests for finding and redacting the password of a store URL (base.h: sc_url_password_span,
 * sc_url_redact): userinfo passwords, libpq's password keyword, URLs without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

static void redacts(const char *url, const char *want)
{
    char out[256];
    sc_url_redact(url, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_redact(void **state)
{
    (void)state;
    redacts("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0");
    redacts("postgresql://sc:pa:ss@db.example/sessions", "postgresql://sc:***@db.example/sessions");
    redacts("postgresql://sc@127.0.0.1/postgres?sslmode=require&password=xyz&x=1",
            "postgresql://sc@127.0.0.1/postgres?sslmode=require&password=***&x=1");
    redacts("postgres://h/db?password=only", "postgres://h/db?password=***");
    redacts("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0");
    redacts("postgresql://user@host/db", "postgresql://user@host/db");
    redacts("redis://user:@host/0", "redis://user:@host/0"); /* an empty password: nothing to hide */
    redacts("sqlite:/var/lib/sessiond/db", "sqlite:/var/lib/sessiond/db");
    redacts("memory:", "memory:");
    redacts("redis://h/0#a:b@c", "redis://h/0#a:b@c"); /* '@' past the authority is not userinfo */
}

static void test_span(void **state)
{
    (void)state;
    size_t off = 0, len = 0;
    const char *u = "redis://:abc@h/0";
    assert_true(sc_url_password_span(u, &off, &len));
    assert_int_equal(off, 9);
    assert_int_equal(len, 3);
    assert_false(sc_url_password_span("redis://h/0", &off, &len));
    assert_false(sc_url_password_span(NULL, &off, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
