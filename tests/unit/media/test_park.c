/* Tests for parked port pairs (sc_media_config.park_max): a closed stream's sockets stay bound
 * and are reused, oldest first, after the quarantine, with no new descriptor and a fresh state
 * (late packets on a parked pair are dropped, not counted for the next call); a pair still in
 * quarantine is taken only when the range or the pair limit has no other; a recovered port
 * takes its parked pair back; the park is bounded; idle pairs are closed by the sweep and
 * every parked pair by sc_media_free. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "media_test_util.h"

static sc_media *new_parking(uv_loop_t *loop, uint16_t lo, uint16_t hi, uint32_t park_max, uint32_t pair_limit)
{
    sc_media_config cfg = {.port_min = lo,
                           .port_max = hi,
                           .park_max = park_max,
                           .park_quarantine_ms = 100,
                           .park_idle_ms = 300,
                           .pair_limit = pair_limit};
    sc_media *m = NULL;
    assert_int_equal(sc_media_new(&m, loop, &cfg), 0);
    return m;
}

static uint32_t used_pairs(const sc_media *m)
{
    uint32_t used = 0;
    sc_media_pairs(m, NULL, &used);
    return used;
}

/* Closed: the pair stays bound, parked, not used; an open in its quarantine takes another
 * pair; after it, the parked pair comes back with no new descriptor and clean counters. */
static void test_reuse_after_quarantine(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    sc_media *m = new_parking(&loop, base, (uint16_t)(base + 199), 8, 0);
    rx_sock peer;
    assert_int_equal(rx_open(&loop, &peer), 0);
    sc_media_stream *a = open_stream_to(m, peer.port, SC_MEDIA_PCMU);
    assert_non_null(a);
    uint16_t pa = sc_media_stream_port(a);
    sc_media_stream_close(a);
    assert_false(udp_port_free(pa));
    assert_false(udp_port_free((uint16_t)(pa + 1)));
    assert_int_equal(sc_media_pairs_parked(m), 1);
    assert_int_equal(used_pairs(m), 0);

    /* late RTP from the last call's peer reaches the parked pair: read and dropped */
    uint8_t pkt[172] = {0};
    mk_rtp(pkt, 0, 0, 1, 160, 0x1234);
    for (int i = 0; i < 5; i++)
        assert_true(rx_send(&peer, pa, pkt, sizeof pkt) > 0);

    sc_media_stream *b = NULL;
    assert_int_equal(sc_media_stream_open(m, &b, NULL), 0); /* in quarantine: another pair */
    assert_int_not_equal(sc_media_stream_port(b), pa);
    assert_int_equal(sc_media_pairs_parked(m), 1);
    run_for(&loop, 150);

    int fds = count_fds();
    sc_media_stream *c = NULL;
    assert_int_equal(sc_media_stream_open(m, &c, NULL), 0);
    assert_int_equal(sc_media_stream_port(c), pa);
    assert_int_equal(count_fds(), fds); /* no socket opened */
    assert_int_equal(sc_media_pairs_parked(m), 0);
    assert_int_equal(used_pairs(m), 2);
    sc_media_stats s;
    sc_media_stream_stats(c, &s);
    assert_int_equal(s.packets_received, 0);
    assert_int_equal(s.packets_invalid, 0);
    assert_int_equal(s.rejected, 0);

    /* the reused pair works: RTP from the new peer is received */
    assert_int_equal(sc_media_stream_set_remote(c, "127.0.0.1", peer.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    mk_rtp(pkt, 0, 1, 7, 160, 0x5678);
    assert_true(rx_send(&peer, pa, pkt, sizeof pkt) > 0);
    run_for(&loop, 30);
    sc_media_stream_stats(c, &s);
    assert_int_equal(s.packets_received, 1);
    sc_media_stream_close(b);
    sc_media_stream_close(c);
    assert_int_equal(media_fixture_end(m, &loop, &peer, NULL), 0);
}

/* A range of two pairs: with one live and one parked in quarantine, an open takes the parked
 * one (parking never refuses a call); so does one past the pair limit. */
static void test_quarantine_yields_when_short(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    sc_media *m = new_parking(&loop, base, (uint16_t)(base + 3), 8, 0);
    sc_media_stream *a, *b, *c;
    assert_int_equal(sc_media_stream_open(m, &a, NULL), 0);
    assert_int_equal(sc_media_stream_open(m, &b, NULL), 0);
    uint16_t pa = sc_media_stream_port(a);
    sc_media_stream_close(a);
    assert_int_equal(sc_media_stream_open(m, &c, NULL), 0);
    assert_int_equal(sc_media_stream_port(c), pa);
    assert_int_equal(sc_media_stream_open(m, &a, NULL), -ENOSPC);
    sc_media_stream_close(b);
    sc_media_stream_close(c);
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);

    /* pair_limit 2 on a range of 100: live + parked stay within 2 pairs */
    uv_loop_init(&loop);
    m = new_parking(&loop, base, (uint16_t)(base + 199), 8, 2);
    assert_int_equal(sc_media_stream_open(m, &a, NULL), 0);
    pa = sc_media_stream_port(a);
    sc_media_stream_close(a);
    assert_int_equal(sc_media_stream_open(m, &b, NULL), 0);
    assert_int_not_equal(sc_media_stream_port(b), pa);
    assert_int_equal(sc_media_stream_open(m, &c, NULL), 0); /* 1 live + 1 parked = the limit */
    assert_int_equal(sc_media_stream_port(c), pa);
    assert_int_equal(sc_media_pairs_parked(m), 0);
    sc_media_stream_close(b);
    sc_media_stream_close(c);
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);
}

/* Recovery opens the port it announced before: a parked pair is taken back at once. */
static void test_open_port_takes_parked(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    sc_media *m = new_parking(&loop, base, (uint16_t)(base + 199), 8, 0);
    sc_media_stream *a, *b, *c;
    assert_int_equal(sc_media_stream_open(m, &a, NULL), 0);
    assert_int_equal(sc_media_stream_open(m, &b, NULL), 0);
    uint16_t pa = sc_media_stream_port(a), pb = sc_media_stream_port(b);
    sc_media_stream_close(a);
    sc_media_stream_close(b);
    assert_int_equal(sc_media_pairs_parked(m), 2);
    assert_int_equal(sc_media_stream_open_port(m, &c, pb, NULL), 0); /* the newest, not the head */
    assert_int_equal(sc_media_stream_port(c), pb);
    assert_int_equal(sc_media_pairs_parked(m), 1);
    assert_int_equal(sc_media_stream_open_port(m, &a, pb, NULL), -EADDRINUSE);
    sc_media_stream_close(c);
    assert_int_equal(sc_media_pairs_parked(m), 2);
    sc_media_free(m); /* parked pairs closed with the context */
    assert_int_equal(drain_loop(&loop), 0);
    assert_true(udp_port_free(pa) && udp_port_free(pb));
}

/* At most park_max pairs are parked (the others close at once), and idle ones are closed
 * by the sweep: after park_idle_ms every port is free and the descriptors are back. */
static void test_bounded_and_swept(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    int fds = count_fds();
    sc_media *m = new_parking(&loop, base, (uint16_t)(base + 199), 3, 0);
    sc_media_stream *st[5];
    uint16_t port[5];
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sc_media_stream_open(m, &st[i], NULL), 0);
        port[i] = sc_media_stream_port(st[i]);
    }
    for (int i = 0; i < 5; i++)
        sc_media_stream_close(st[i]);
    assert_int_equal(sc_media_pairs_parked(m), 3);
    int bound = 0;
    for (int i = 0; i < 5; i++)
        bound += !udp_port_free(port[i]);
    assert_int_equal(bound, 3);
    run_for(&loop, 900); /* idle 300 ms, swept every 300 ms */
    assert_int_equal(sc_media_pairs_parked(m), 0);
    for (int i = 0; i < 5; i++)
        assert_true(udp_port_free(port[i]) && udp_port_free((uint16_t)(port[i] + 1)));
    assert_int_equal(count_fds(), fds);
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_after_quarantine),
        cmocka_unit_test(test_quarantine_yields_when_short),
        cmocka_unit_test(test_open_port_takes_parked),
        cmocka_unit_test(test_bounded_and_swept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
