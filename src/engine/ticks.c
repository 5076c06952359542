/* ticks: the engine's cheap time source on the system clock. A run's start and its actions'
 * ends are read from the CPU's cycle counter (one instruction) and turned into monotonic µs
 * with a ratio calibrated against the engine's clock: sampled again every second, so drift
 * stays within a few µs and the clock itself is read about once a second instead of once per
 * event and once per action. Only when the engine runs on sc_clock_system() and the kernel
 * itself keeps time with the TSC (an invariant, synchronised counter); an injected clock (the
 * tests' manual clock) is read exactly as before. */
#include "engine/engine_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define CAL_FIRST_US 10000u    /* first ratio after 10 ms of samples */
#define CAL_PERIOD_US 1000000u /* then a clock sample every second */

/* Whether the kernel's clocksource is the TSC (then it is invariant and synchronised across
 * CPUs: the kernel checked). Read once per process. */
static bool tsc_usable(void)
{
#if SC_ENGINE__HAVE_TICKS
    static atomic_int known; /* 0 unknown, 1 yes, 2 no */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (k)
        return k == 1;
    bool ok = false;
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f) {
        char name[32] = "";
        ok = fgets(name, sizeof name, f) && !strcmp(name, "tsc\n");
        fclose(f);
    }
    atomic_store_explicit(&known, ok ? 1 : 2, memory_order_relaxed);
    return ok;
#else
    return false;
#endif
}

void sc_engine__ticks_init(sc_engine *e) { e->tk.on = e->clock == sc_clock_system() && tsc_usable(); }

void sc_engine__ticks_set(sc_engine *e, bool on)
{
    e->tk.on = false;
    if (!on)
        return; /* the calibration is kept for when they are back on */
    sc_engine__ticks_init(e);
    if (e->tk.on && e->tk.base_set) { /* times handed out by the clock meanwhile: never back */
        uint64_t now = sc_clock_mono_us(e->clock);
        if (now > e->tk.last)
            e->tk.last = now;
    }
}

uint64_t sc_engine__ticks_sample(sc_engine *e, uint64_t tick, uint64_t *tick_out)
{
    struct sc_engine__ticks *t = &e->tk;
    uint64_t mono = sc_clock_mono_us(e->clock);
    if (!t->base_set || mono < t->m0 || tick < t->t0) { /* first sample, or a clock went back */
        t->t0 = tick;
        t->m0 = mono;
        t->mult = 0;
        t->us_ticks = 0;
        t->span = 0; /* sc_engine__now comes back here until a ratio is known */
        t->base_set = true;
    } else if (mono - t->m0 >= CAL_FIRST_US) {
        /* µs per tick (32.32 fixed point) over the span since the last sample, unless the
         * engine was idle for long (the ratio is kept then; the shift would overflow) */
        if (mono - t->m0 < (1ull << 30) && tick > t->t0) {
            uint64_t m = ((mono - t->m0) << 32) / (tick - t->t0);
            /* a ratio far from the last one spans something else (a suspend, a migration):
             * keep the last one and only take the new sample as the base */
            uint64_t dev = m > t->mult ? m - t->mult : t->mult - m;
            if (!t->mult || dev <= t->mult / 64)
                t->mult = m;
        }
        /* the first ratio (over 10 ms) serves 100 ms, later ones a second */
        uint64_t period = t->ncal++ ? CAL_PERIOD_US : CAL_PERIOD_US / 10;
        t->span = t->mult ? (period << 32) / t->mult : 0;
        t->us_ticks = t->mult ? (1ull << 32) / t->mult : 0;
        t->t0 = tick;
        t->m0 = mono;
    }
    if (mono < t->last)
        mono = t->last;
    t->last = mono;
    *tick_out = t->mult ? tick : 0;
    return mono;
}
