/* Tests for base time text: fixed timestamps at each precision, times before the epoch and
 * past 9999, a sweep of days against gmtime, short buffers, and parsing back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "session_core/base.h"

#define T_2026 INT64_C(1795780800123456) /* 2026-11-27T12:00:00.123456Z */

static const char *fmt(int64_t us, int digits)
{
    static char buf[SC_TIME_ISO8601_MAX];
    size_t n = sc_time_format_iso8601(buf, sizeof buf, us, digits);
    assert_int_equal(n, strlen(buf));
    return buf;
}

static void test_fixed_time_each_precision(void **state)
{
    (void)state;
    assert_string_equal(fmt(T_2026, 6), "2026-11-27T12:00:00.123456Z");
    assert_string_equal(fmt(T_2026, 3), "2026-11-27T12:00:00.123Z"); /* truncated */
    assert_string_equal(fmt(T_2026, 1), "2026-11-27T12:00:00.1Z");
    assert_string_equal(fmt(T_2026, 0), "2026-11-27T12:00:00Z");
    assert_string_equal(fmt(T_2026 + 876543, 3), "2026-11-27T12:00:00.999Z"); /* never rounded up */
    assert_string_equal(fmt(0, 6), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(fmt(INT64_C(951868799999999), 6), "2000-02-29T23:59:59.999999Z");
}

static void test_before_epoch_and_far_future(void **state)
{
    (void)state;
    assert_string_equal(fmt(-1, 6), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(fmt(-1000000, 3), "1969-12-31T23:59:59.000Z");
    assert_string_equal(fmt(-1, 0), "1969-12-31T23:59:59Z");
    assert_string_equal(fmt(INT64_C(-2208988800000000), 0), "1900-01-01T00:00:00Z");
    assert_string_equal(fmt(INT64_C(253402300800000000), 0), "10000-01-01T00:00:00Z");
    assert_true(strlen(fmt(INT64_MAX, 6)) < SC_TIME_ISO8601_MAX);
    assert_true(strlen(fmt(INT64_MIN, 6)) < SC_TIME_ISO8601_MAX);
    assert_string_equal(fmt(INT64_MIN, 6), "-290308-12-21T19:59:05.224192Z");
}

/* Every day of 1970-2110 and every 97th to 9999, at a moving time of day, equals what gmtime
 * and strftime make of it. */
static void test_days_match_gmtime(void **state)
{
    (void)state;
    for (int64_t day = 0; day < 2932897; day += day < 51500 ? 1 : 97) {
        int64_t secs = day * 86400 + (day * 7919) % 86400;
        time_t t = (time_t)secs;
        struct tm tm;
        char want[64];
        assert_non_null(gmtime_r(&t, &tm));
        size_t n = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + n, sizeof want - n, ".%06dZ", (int)(day % 1000000));
        const char *got = fmt(secs * 1000000 + day % 1000000, 6);
        if (strcmp(got, want) != 0)
            fail_msg("day %lld: %s, want %s", (long long)day, got, want);
    }
}

static void test_short_buffer_and_bad_digits(void **state)
{
    (void)state;
    char buf[28];
    assert_int_equal(sc_time_format_iso8601(buf, sizeof buf, T_2026, 6), 27); /* just fits */
    assert_int_equal(sc_time_format_iso8601(buf, 27, T_2026, 6), 0);
    assert_string_equal(buf, "");
    assert_int_equal(sc_time_format_iso8601(buf, sizeof buf, T_2026, 7), 0);
    assert_int_equal(sc_time_format_iso8601(buf, sizeof buf, T_2026, -1), 0);
    assert_int_equal(sc_time_format_iso8601(NULL, 0, T_2026, 6), 0);
}

static int64_t parse(const char *text)
{
    int64_t us = 42;
    assert_int_equal(sc_time_parse_iso8601(text, &us), 0);
    return us;
}

static void test_parse(void **state)
{
    (void)state;
    assert_true(parse("2026-11-27T12:00:00.123456Z") == T_2026);
    assert_true(parse("2026-11-27T12:00:00.123456") == T_2026);     /* no Z: UTC */
    assert_true(parse("2026-11-27T12:00:00.1234567Z") == T_2026);   /* 7th digit dropped */
    assert_true(parse("2026-11-27T12:00:00.1Z") == T_2026 - 23456); /* .1 is 100000 µs */
    assert_true(parse("2026-11-27T12:00:00Z") == T_2026 - 123456);
    assert_true(parse("1969-12-31T23:59:59.999999Z") == -1);
    assert_true(parse("2000-02-29T23:59:59.999999Z") == INT64_C(951868799999999));
    assert_true(parse("2026-11-27T23:59:60Z") == parse("2026-11-28T00:00:00Z")); /* leap second */
    for (int64_t us = -3000000000000; us < 4000000000000000; us += 999999999997) {
        char buf[SC_TIME_ISO8601_MAX];
        sc_time_format_iso8601(buf, sizeof buf, us, 6);
        assert_true(parse(buf) == us);
    }
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "2026-11-27",
        "2026-11-27 12:00:00Z",
        "2026-11-27T12:00:00.Z",
        "2026-11-27T12:00:00ZZ",
        "2026-11-27T12:00:00+01:00",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T12:60:00Z",
        "2026-11-27T12:00:61Z",
        "2026-1-27T12:00:00Z",
        "+026-11-27T12:00:00Z",
        "10000-01-01T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 42;
        if (sc_time_parse_iso8601(bad[i], &us) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(us == 42);
    }
    int64_t us;
    assert_int_equal(sc_time_parse_iso8601(NULL, &us), -EINVAL);
    assert_int_equal(sc_time_parse_iso8601("2024-02-29T00:00:00Z", &us), 0); /* a leap year */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_time_each_precision),
        cmocka_unit_test(test_before_epoch_and_far_future),
        cmocka_unit_test(test_days_match_gmtime),
        cmocka_unit_test(test_short_buffer_and_bad_digits),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
