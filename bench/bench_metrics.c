/* bench_metrics: cost of a counter increment and a histogram observation through cached
 * handles, against an empty loop baseline measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "session_core/obs.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000000L;
    sc_obs_registry *r = NULL;
    sc_obs_std_metrics m;
    if (sc_obs_registry_new(&r) != 0 || sc_obs_std_metrics_new(r, &m) != 0)
        return 1;
    sc_obs_counter *c = sc_obs_counter_with(m.transitions, "Dialog200OK", "ok");
    sc_obs_histogram *h = sc_obs_histogram_with(m.transition_duration);
    volatile double vals[8] = {0.0004, 0.003, 0.02, 0.2, 0.0011, 1.5, 0.07, 12};
    volatile long sink = 0;

    double best_base = 1e18, best_c = 1e18, best_h = 1e18;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            sink += vals[i & 7] > 0; /* same loop shape, no metric */
        }
        double t1 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            sink += vals[i & 7] > 0;
            sc_obs_counter_inc(c);
        }
        double t2 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            sink += vals[i & 7] > 0;
            sc_obs_histogram_observe(h, vals[i & 7]);
        }
        double t3 = bench_now_ns();
        best_base = (t1 - t0) / n < best_base ? (t1 - t0) / n : best_base;
        best_c = (t2 - t1) / n < best_c ? (t2 - t1) / n : best_c;
        best_h = (t3 - t2) / n < best_h ? (t3 - t2) / n : best_h;
    }
    printf("# bench_metrics: %ld iterations, best of 3\n", n);
    printf("%-26s %10s %14s\n", "case", "ns/op", "ns over base");
    printf("%-26s %10.2f %14s\n", "empty loop (baseline)", best_base, "-");
    printf("%-26s %10.2f %14.2f\n", "counter inc", best_c, best_c - best_base);
    printf("%-26s %10.2f %14.2f\n", "histogram observe (15 b)", best_h, best_h - best_base);
    if (c->value == 0)
        return 1;
    sc_obs_registry_free(r);
    return 0;
}
