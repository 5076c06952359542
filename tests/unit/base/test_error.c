/* Tests for base: error names and the manual clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

static void test_strerror_names_project_codes(void **state)
{
    (void)state;
    assert_string_equal(sc_strerror(SC_E_NOT_ACCEPTED), "event not accepted in the current state");
    assert_string_equal(sc_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(sc_strerror(0), "success");
    assert_string_equal(sc_strerror(-99999), "unknown error");
}

static void test_manual_clock_moves_only_when_told(void **state)
{
    (void)state;
    sc_manual_clock *clk = NULL;
    assert_int_equal(sc_manual_clock_new(&clk, 1000, 5000), 0);
    const sc_clock *c = sc_manual_clock_get(clk);
    assert_int_equal(sc_clock_mono_us(c), 1000);
    sc_manual_clock_advance(clk, 250);
    assert_int_equal(sc_clock_mono_us(c), 1250);
    assert_int_equal(sc_clock_wall_us(c), 5250);
    sc_manual_clock_free(clk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_names_project_codes),
        cmocka_unit_test(test_manual_clock_moves_only_when_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
