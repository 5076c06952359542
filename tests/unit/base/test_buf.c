/* Tests for the library's growable text buffer (base.h: sc_buf): appending, printf past its
 * stack buffer, reuse after reset, and freeing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

static void test_put_puts_printf(void **state)
{
    (void)state;
    sc_buf b = {0};
    sc_buf_put(&b, "ab", 1);
    sc_buf_puts(&b, "cd");
    sc_buf_printf(&b, "-%d-%s", 42, "x");
    assert_string_equal(b.p, "acd-42-x");
    assert_int_equal(b.len, 8);
    assert_int_equal(b.err, 0);
    sc_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

static void test_long_printf_and_growth(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sc_buf b = {0};
    sc_buf_puts(&b, "<");
    sc_buf_printf(&b, "%s>", big); /* longer than printf's stack buffer */
    assert_int_equal(b.len, 1 + 2999 + 1);
    assert_int_equal(b.p[0], '<');
    assert_int_equal(b.p[3000], '>');
    assert_int_equal(b.p[3001], '\0');
    assert_true(b.cap > b.len);
    for (int i = 0; i < 1000; i++)
        sc_buf_puts(&b, "0123456789");
    assert_int_equal(b.len, 3001 + 10000);
    assert_int_equal(strlen(b.p), b.len);
    sc_buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    sc_buf b = {0};
    sc_buf_puts(&b, "first");
    char *p = b.p;
    sc_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    sc_buf_puts(&b, "second");
    assert_ptr_equal(b.p, p);
    assert_string_equal(b.p, "second");
    sc_buf_free(&b);
    sc_buf_reset(&b); /* a freed (zeroed) buffer can be reset and used again */
    sc_buf_puts(&b, "again");
    assert_string_equal(b.p, "again");
    sc_buf_free(&b);
}

static void test_error_latches(void **state)
{
    (void)state;
    sc_buf b = {0};
    sc_buf_puts(&b, "x");
    b.err = -ENOMEM; /* as after a failed allocation */
    sc_buf_puts(&b, "y");
    assert_false(sc_buf_reserve(&b, 1));
    assert_string_equal(b.p, "x");
    sc_buf_free(&b);
    assert_true(sc_buf_reserve(&b, 1));
    sc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_puts_printf),
        cmocka_unit_test(test_long_printf_and_growth),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_error_latches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
