/* clock: the system clock and a manual clock that tests advance by hand. */
#include "session_core/base.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static uint64_t system_mono_us(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int64_t system_wall_us(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const sc_clock system_clock = {system_mono_us, system_wall_us, NULL};

const sc_clock *sc_clock_system(void) { return &system_clock; }

struct sc_manual_clock {
    sc_clock clock;   /* points back at this object through ud */
    uint64_t mono_us; /* current monotonic time */
    int64_t wall_us;  /* current wall-clock time */
};

static uint64_t manual_mono_us(void *ud) { return ((sc_manual_clock *)ud)->mono_us; }
static int64_t manual_wall_us(void *ud) { return ((sc_manual_clock *)ud)->wall_us; }

int sc_manual_clock_new(sc_manual_clock **out, uint64_t mono_start_us, int64_t wall_start_us)
{
    sc_manual_clock *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->clock.mono_us = manual_mono_us;
    c->clock.wall_us = manual_wall_us;
    c->clock.ud = c;
    c->mono_us = mono_start_us;
    c->wall_us = wall_start_us;
    *out = c;
    return 0;
}

void sc_manual_clock_free(sc_manual_clock *clk) { free(clk); }

const sc_clock *sc_manual_clock_get(sc_manual_clock *clk) { return &clk->clock; }

void sc_manual_clock_advance(sc_manual_clock *clk, uint64_t us)
{
    clk->mono_us += us;
    clk->wall_us += (int64_t)us;
}
