/* Tests for the library's logging (base.h: sc_log): levels, and the per-call-site rate limit of
 * warnings and errors (a burst per window, info never limited, the unlimited flag). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

typedef struct sink {
    unsigned lines;
    char last[256];
} sink;

static void on_line(void *ud, sc_log_level level, const char *module, const char *msg)
{
    (void)level;
    (void)module;
    sink *s = ud;
    s->lines++;
    snprintf(s->last, sizeof s->last, "%s", msg);
}

static void warn_once(const sc_logger *lg, int i) { sc_log(lg, SC_LOG_WARN, "t", "bad packet %d", i); }
static void warn_other(const sc_logger *lg, int i) { sc_log(lg, SC_LOG_WARN, "t", "other site %d", i); }

static void test_level_filter(void **state)
{
    (void)state;
    sink s = {0};
    sc_logger lg = {.log = on_line, .ud = &s, .max_level = SC_LOG_WARN};
    sc_log(&lg, SC_LOG_INFO, "t", "hidden %d", 1);
    sc_log(&lg, SC_LOG_ERROR, "t", "shown %d", 2);
    assert_int_equal(s.lines, 1);
    assert_string_equal(s.last, "shown 2");
    sc_log(NULL, SC_LOG_ERROR, "t", "nowhere");
}

static void test_warnings_limited_per_site(void **state)
{
    (void)state;
    sink s = {0};
    sc_logger lg = {.log = on_line, .ud = &s, .max_level = SC_LOG_DEBUG};
    for (int i = 0; i < 3 * SC_LOG_RATE_BURST; i++)
        warn_once(&lg, i);
    assert_int_equal(s.lines, SC_LOG_RATE_BURST); /* the rest of the window is left out */
    assert_string_equal(s.last, "bad packet 19");
    warn_other(&lg, 1); /* another call site has its own budget */
    assert_int_equal(s.lines, SC_LOG_RATE_BURST + 1);
    for (int i = 0; i < 3 * SC_LOG_RATE_BURST; i++)
        sc_log(&lg, SC_LOG_INFO, "t", "info %d", i); /* never limited */
    assert_int_equal(s.lines, 4 * SC_LOG_RATE_BURST + 1);
}

static void test_unlimited_logger(void **state)
{
    (void)state;
    sink s = {0};
    sc_logger lg = {.log = on_line, .ud = &s, .max_level = SC_LOG_DEBUG, .unlimited = true};
    for (int i = 0; i < 3 * SC_LOG_RATE_BURST; i++)
        sc_log(&lg, SC_LOG_ERROR, "t", "unlimited %d", i);
    assert_int_equal(s.lines, 3 * SC_LOG_RATE_BURST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_filter),
        cmocka_unit_test(test_warnings_limited_per_site),
        cmocka_unit_test(test_unlimited_logger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
