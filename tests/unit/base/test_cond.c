/* Tests for base/cond.h: deadlines on the monotonic clock, and a timed wait on a monotonic
 * condition variable that ends at its deadline. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "session_core/base.h"

static int64_t ns_of(const struct timespec *ts) { return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec; }

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ns_of(&ts);
}

static void test_deadline_is_ms_from_now(void **state)
{
    (void)state;
    static const uint64_t ms[] = {0, 1, 999, 1000, 1500, 86400000};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        int64_t before = mono_ns();
        struct timespec ts;
        sc_cond_deadline(&ts, ms[i]);
        int64_t after = mono_ns();
        assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
        assert_true(ns_of(&ts) >= before + (int64_t)ms[i] * 1000000);
        assert_true(ns_of(&ts) <= after + (int64_t)ms[i] * 1000000);
    }
}

static void test_timed_wait_ends_at_deadline(void **state)
{
    (void)state;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    assert_int_equal(sc_cond_init_monotonic(&cv), 0);
    struct timespec until;
    pthread_mutex_lock(&mu);
    int64_t start = mono_ns();
    sc_cond_deadline(&until, 20);
    int rc = 0;
    while (rc == 0) /* 0: a spurious wake-up */
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    pthread_mutex_unlock(&mu);
    assert_int_equal(rc, ETIMEDOUT);
    assert_true(mono_ns() - start >= 20000000);
    pthread_cond_destroy(&cv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_is_ms_from_now),
        cmocka_unit_test(test_timed_wait_ends_at_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
