/* run_until: the coordinator tests' way to wait on a loop: run it turn by turn, with a 5 ms
 * tick so a turn never blocks for long, until a condition holds or a deadline passes. */
#ifndef SC_TEST_RUN_UNTIL_H
#define SC_TEST_RUN_UNTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

static void run_until_tick(uv_timer_t *t) { (void)t; }

/* Run loop until pred(ud) holds (true) or timeout_ms pass (false). */
static inline bool run_until_ms(uv_loop_t *loop, bool (*pred)(void *ud), void *ud, uint64_t timeout_ms)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, run_until_tick, 5, 5);
    uint64_t end = uv_now(loop) + timeout_ms;
    bool ok = false;
    while (!(ok = pred(ud)) && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return ok;
}

#endif
