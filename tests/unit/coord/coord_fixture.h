/* coord_fixture: what the coordinator tests share (include after cmocka.h): a loop with the
 * default table, waiting on the loop until a condition holds (turn by turn, with a 5 ms tick so
 * a turn never blocks for long), and a coordinator's SIP port. */
#ifndef SC_TEST_COORD_FIXTURE_H
#define SC_TEST_COORD_FIXTURE_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include "session_core/coord.h"

/* A loop and the default table (tables/default.yaml). */
typedef struct coord_fixture {
    uv_loop_t loop;
    sc_vocab *v;
    sc_table *t;
} coord_fixture;

static inline void coord_fixture_init(coord_fixture *f)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(sc_vocab_new(&f->v), 0);
    assert_int_equal(sc_table_load_file(&f->t, SC_SOURCE_DIR "/tables/default.yaml", f->v, NULL), 0);
}

/* After the coordinators are freed: the table, the vocabulary, the loop closed. */
static inline void coord_fixture_done(coord_fixture *f)
{
    sc_table_unref(f->t);
    sc_vocab_free(f->v);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* A coordinator config for the tests: the loop, table t, one UDP listener on a free loopback
 * port, SIP timer T1 50 ms. */
static inline void coord_fixture_config(sc_coord_config *c, uv_loop_t *loop, sc_table *t)
{
    sc_coord_config_default(c);
    c->loop = loop;
    c->table = t;
    c->listen[0] = "udp:127.0.0.1:0";
    c->nlisten = 1;
    c->sip_t1_ms = 50;
}

/* The port of c's first SIP listener. */
static inline unsigned coord_port(sc_coord *c)
{
    struct sockaddr_storage ss;
    assert_int_equal(sc_coord_listener_addr(c, 0, &ss), 0);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

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
