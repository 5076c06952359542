/* bench_util: what every benchmark program needs: a monotonic clock, the median of a run's
 * figures, and an engine whose guards are all false and whose actions all succeed. */
#ifndef SC_BENCH_UTIL_H
#define SC_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

#include "session_core/engine.h"

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (n >= 1); sorts v in place. */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline bool bench_guard_false(const sc_exec *x)
{
    (void)x;
    return false;
}

static inline int bench_action_ok(const sc_exec *x)
{
    (void)x;
    return 0;
}

/* Binds every guard of vocab to "false" and every action to a no-op that succeeds. */
static inline void bench_bind_noops(sc_engine *e, const sc_vocab *vocab)
{
    for (size_t i = 0; i < sc_vocab_count(vocab, SC_VOCAB_GUARD); i++)
        sc_engine_bind_guard(e, sc_vocab_name(vocab, SC_VOCAB_GUARD, (sc_id)i), bench_guard_false, NULL);
    for (size_t i = 0; i < sc_vocab_count(vocab, SC_VOCAB_ACTION); i++)
        sc_engine_bind_action(e, sc_vocab_name(vocab, SC_VOCAB_ACTION, (sc_id)i), bench_action_ok, NULL);
}

#endif
