/* Tests for stream port allocation: even RTP ports with RTCP = RTP + 1 from the range, picked
 * at random (not in sequence), ports held by other sockets skipped, the last free pair of a
 * full range found, exhaustion errors, and 10,000 open/close cycles on a range of 100 ports
 * that leave no file descriptor or port behind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "media_test_util.h"

static sc_media *new_media(uv_loop_t *loop, uint16_t lo, uint16_t hi)
{
    sc_media_config cfg = {.port_min = lo, .port_max = hi};
    sc_media *m = NULL;
    assert_int_equal(sc_media_new(&m, loop, &cfg), 0);
    return m;
}

static int bind_port(uv_loop_t *loop, uv_udp_t *u, uint16_t port)
{
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    uv_udp_init(loop, u);
    return uv_udp_bind(u, (const struct sockaddr *)&sa, 0);
}

/* Can a plain socket bind 127.0.0.1:port right now? (0 or -errno; synchronous) */
static int try_bind(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    int rc = bind(fd, (const struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static void test_bad_config(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_media *m = NULL;
    sc_media_config cfg = {.port_min = 5000, .port_max = 5000};
    assert_int_equal(sc_media_new(&m, &loop, &cfg), -EINVAL);
    cfg = (sc_media_config){.port_min = 6000, .port_max = 5000};
    assert_int_equal(sc_media_new(&m, &loop, &cfg), -EINVAL);
    cfg = (sc_media_config){.port_min = 6000, .port_max = 6010, .bind_addr = "not-an-ip"};
    assert_int_equal(sc_media_new(&m, &loop, &cfg), -EINVAL);
    assert_null(m);
    sc_media_free(NULL);
    sc_media_stream_close(NULL);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_pairs_and_exhaustion(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    /* an odd low bound is rounded up to even; 10 ports = 5 pairs */
    sc_media *m = new_media(&loop, (uint16_t)(base - 1), (uint16_t)(base + 9));
    /* another socket holds the first RTCP port: that pair is skipped */
    uv_udp_t other;
    assert_int_equal(bind_port(&loop, &other, (uint16_t)(base + 1)), 0);
    sc_media_stream *st[5];
    int opened = 0;
    for (int i = 0; i < 5; i++) {
        int rc = sc_media_stream_open(m, &st[i], NULL);
        if (rc < 0) {
            assert_int_equal(rc, -EADDRINUSE);
            break;
        }
        uint16_t p = sc_media_stream_port(st[i]);
        assert_int_equal(p % 2, 0);
        assert_true(p >= base + 2 && p <= base + 8);
        /* both ports are really bound: binding them again fails */
        assert_int_equal(try_bind(p), -EADDRINUSE);
        assert_int_equal(try_bind((uint16_t)(p + 1)), -EADDRINUSE);
        opened++;
    }
    assert_int_equal(opened, 4);
    /* all our own pairs are used now, the other is taken by someone else */
    sc_media_stream *extra;
    assert_int_equal(sc_media_stream_open(m, &extra, NULL), -EADDRINUSE);
    uv_close((uv_handle_t *)&other, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(sc_media_stream_open(m, &extra, NULL), 0);
    assert_int_equal(sc_media_stream_port(extra), base);
    assert_int_equal(sc_media_stream_open(m, &st[4], NULL), -ENOSPC);
    /* close releases the ports at once: they can be bound right away */
    uint16_t p = sc_media_stream_port(st[0]);
    sc_media_stream_close(st[0]);
    assert_int_equal(try_bind(p), 0);
    assert_int_equal(try_bind((uint16_t)(p + 1)), 0);
    assert_int_equal(sc_media_stream_open(m, &st[0], NULL), 0);
    assert_int_equal(sc_media_stream_port(st[0]), p);
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);
}

/* 20 opens on a range of 100 pairs: distinct even ports of the range, not handed out in
 * sequence (a sequential allocator gives base, base + 2, ...; random picks almost never put
 * two in a row), and distinct SSRCs. */
static void test_random_ports(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    sc_media *m = new_media(&loop, base, (uint16_t)(base + 199));
    sc_media_stream *st[20];
    uint16_t port[20];
    int in_sequence = 0;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(sc_media_stream_open(m, &st[i], NULL), 0);
        port[i] = sc_media_stream_port(st[i]);
        assert_int_equal(port[i] % 2, 0);
        assert_true(port[i] >= base && port[i] <= base + 198);
        for (int k = 0; k < i; k++) {
            assert_int_not_equal(port[k], port[i]);
            assert_int_not_equal(sc_media_stream_ssrc(st[k]), sc_media_stream_ssrc(st[i]));
        }
        if (i && port[i] == port[i - 1] + 2)
            in_sequence++;
    }
    /* expected about 0.2 of 19 for random picks; 19 for a sequential allocator */
    assert_true(in_sequence <= 5);
    for (int i = 0; i < 20; i++)
        sc_media_stream_close(st[i]);
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);
}

/* A nearly full range: the one free pair left is found, whichever it is. */
static void test_last_free_pair(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    sc_media *m = new_media(&loop, base, (uint16_t)(base + 199)); /* 100 pairs */
    sc_media_stream *st[100];
    int n = 0, rc = 0;
    while (n < 100 && (rc = sc_media_stream_open(m, &st[n], NULL)) == 0)
        n++;
    /* every pair, but for one another program may have bound meanwhile */
    sc_media_stream *extra;
    if (n < 100)
        assert_int_equal(rc, -EADDRINUSE);
    else
        assert_int_equal(sc_media_stream_open(m, &extra, NULL), -ENOSPC);
    assert_true(n >= 98);
    for (int round = 0; round < 20; round++) {
        int i = (round * 37) % n;
        uint16_t p = sc_media_stream_port(st[i]);
        sc_media_stream_close(st[i]);
        assert_int_equal(sc_media_stream_open(m, &st[i], NULL), 0);
        assert_int_equal(sc_media_stream_port(st[i]), p);
    }
    for (int i = 0; i < n; i++)
        sc_media_stream_close(st[i]);
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);
}

static void test_ten_thousand_cycles(void **state)
{
    (void)state;
    int fds_before = count_fds(); /* the loop's own fds are closed by uv_loop_close too */
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(200);
    sc_media *m = new_media(&loop, base, (uint16_t)(base + 99)); /* 50 pairs */
    sc_media_stream *live[8] = {0};
    for (int i = 0; i < 10000; i++) {
        /* keep up to 8 streams open at once, closing the oldest */
        int slot = i % 8;
        sc_media_stream_close(live[slot]);
        int rc = sc_media_stream_open(m, &live[slot], NULL);
        if (rc < 0)
            fail_msg("open %d: %s", i, sc_strerror(rc));
        if (i % 16 == 0)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    for (int i = 0; i < 8; i++)
        sc_media_stream_close(live[i]);
    /* every port of the range is free again */
    for (uint16_t p = base; p <= base + 99; p++) {
        if (try_bind(p) != 0)
            fail_msg("port %u still bound", p);
    }
    sc_media_free(m);
    assert_int_equal(drain_loop(&loop), 0);
    assert_int_equal(count_fds(), fds_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_config),          cmocka_unit_test(test_pairs_and_exhaustion),
        cmocka_unit_test(test_random_ports),        cmocka_unit_test(test_last_free_pair),
        cmocka_unit_test(test_ten_thousand_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
