/* Tests for stream RTP/RTCP behaviour over real UDP on 127.0.0.1: the RTP timeout (once per
 * silence, only when the remote should send), RTCP SR/RR + SDES reports both ways with the
 * statistics they carry, receive statistics (loss), and moving the remote. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "media_test_util.h"

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    rx_sock rx, rx2;
    int timeouts;
    uint64_t timeout_at_us;
} fx;

static void on_timeout(sc_media_stream *st, void *ud)
{
    fx *f = ud;
    (void)st;
    f->timeouts++;
    f->timeout_at_us = uv_hrtime() / 1000;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sc_media_config cfg = {
        .rtp_timeout_ms = 300, .rtcp_interval_ms = 200, .cname = "test@example", .cb.on_rtp_timeout = on_timeout};
    assert_int_equal(media_fixture_begin(&f->loop, &f->m, &cfg, &f->rx, &f->rx2), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(media_fixture_end(f->m, &f->loop, &f->rx, &f->rx2), 0);
    free(f);
    return 0;
}

static void send_rtp(fx *f, uint16_t port, uint16_t seq)
{
    uint8_t p[12 + 160];
    mk_rtp(p, 0, 0, seq, 160u * seq, 0x5555);
    memset(p + 12, 0xFF, 160);
    assert_true(rx_send(&f->rx, port, p, sizeof p) > 0);
}

static void test_timeout(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    /* no remote yet: no timeout */
    run_for(&f->loop, 400);
    assert_int_equal(f->timeouts, 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->rx.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    uint16_t port = sc_media_stream_port(st);
    for (uint16_t i = 0; i < 10; i++) { /* 200 ms of RTP keeps it alive */
        send_rtp(f, port, i);
        run_for(&f->loop, 20);
    }
    assert_int_equal(f->timeouts, 0);
    uint64_t last = uv_hrtime() / 1000;
    run_for(&f->loop, 800);
    assert_int_equal(f->timeouts, 1); /* once, not every tick */
    /* it fired after the RTP stopped (no timeout while RTP flowed, asserted above); the exact
     * delay is the machine's business, not an assertion */
    assert_true(f->timeout_at_us >= last - 300000);
    /* RTP again re-arms it; then silence fires it a second time */
    send_rtp(f, port, 10);
    run_for(&f->loop, 600);
    assert_int_equal(f->timeouts, 2);
    /* sendonly (we hold the remote): the remote does not send, no timeout */
    assert_int_equal(sc_media_stream_set_direction(st, SC_MEDIA_SENDONLY), 0);
    run_for(&f->loop, 600);
    assert_int_equal(f->timeouts, 2);
    /* recvonly: it should send again; the silence counts from the change */
    assert_int_equal(sc_media_stream_set_direction(st, SC_MEDIA_RECVONLY), 0);
    run_for(&f->loop, 150);
    assert_int_equal(f->timeouts, 2);
    run_for(&f->loop, 400);
    assert_int_equal(f->timeouts, 3);
    sc_media_stream_close(st);
}

static uint32_t rd(const uint8_t *d) { return rd32(d); }

/* Two streams talk to each other: both send MOH (so SR) and receive, report every ~200 ms;
 * each learns from the other's report block about itself. A raw receiver checks the wire
 * format of one report. */
static void test_rtcp(void **state)
{
    fx *f = *state;
    sc_media_stream *a, *b, *c;
    assert_int_equal(sc_media_stream_open(f->m, &a, f), 0);
    assert_int_equal(sc_media_stream_open(f->m, &b, f), 0);
    assert_int_equal(
        sc_media_stream_set_remote(a, "127.0.0.1", sc_media_stream_port(b), SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(
        sc_media_stream_set_remote(b, "127.0.0.1", sc_media_stream_port(a), SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_moh_start(a, NULL), 0);
    assert_int_equal(sc_media_moh_start(b, NULL), 0);
    run_for(&f->loop, 1000);
    sc_media_stats sa, sb;
    sc_media_stream_stats(a, &sa);
    sc_media_stream_stats(b, &sb);
    assert_true(sa.rtcp_sent >= 2 && sb.rtcp_received >= 2);
    assert_true(sb.rtcp_sent >= 2 && sa.rtcp_received >= 2);
    assert_true(sa.packets_received >= 40 && sb.packets_received >= 40);
    assert_int_equal(sa.last_ssrc, sc_media_stream_ssrc(b));
    assert_int_equal(sa.lost, 0);
    assert_int_equal(sa.remote_cumulative_lost, 0);
    assert_true(sa.rtt_ms >= 0 && sa.rtt_ms < 100);
    assert_true(sa.jitter_ms < 20);
    assert_int_equal(sa.packets_invalid, 0);

    /* a third stream, silent, reporting to a raw socket: RR + SDES CNAME (no report block) */
    assert_int_equal(sc_media_stream_open(f->m, &c, f), 0);
    /* remote RTP port = rx2 - 1 so that RTCP (port + 1) lands on rx2 */
    assert_int_equal(sc_media_stream_set_remote(c, "127.0.0.1", (uint16_t)(f->rx2.port - 1), SC_MEDIA_PCMU, -1,
                                                SC_MEDIA_SENDONLY),
                     0);
    run_for(&f->loop, 400);
    assert_true(f->rx2.n >= 1);
    rx_pkt *p = &f->rx2.pkts[0];
    assert_int_equal(p->data[0], 0x80); /* V=2, RC=0 */
    assert_int_equal(p->data[1], 201);  /* RR */
    assert_int_equal(rd(p->data + 4), sc_media_stream_ssrc(c));
    assert_int_equal(p->data[8], 0x81); /* SDES, one chunk */
    assert_int_equal(p->data[9], 202);
    assert_int_equal(rd(p->data + 12), sc_media_stream_ssrc(c));
    assert_int_equal(p->data[16], 1); /* CNAME */
    assert_int_equal(p->data[17], strlen("test@example"));
    assert_memory_equal(p->data + 18, "test@example", strlen("test@example"));
    assert_int_equal(p->len % 4, 0);
    size_t sdes_words = (size_t)((p->data[10] << 8) | p->data[11]) + 1;
    assert_int_equal(8 + 4 * sdes_words, p->len);
    sc_media_stream_close(a);
    sc_media_stream_close(b);
    sc_media_stream_close(c);
}

/* Loss counted from sequence gaps; moving the remote moves the stream. */
static void test_loss_and_move(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->rx.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    uint16_t port = sc_media_stream_port(st);
    for (uint16_t s = 65530; s != 10; s++) /* wraps; skip 2 of 16 */
        if (s != 65534 && s != 3)
            send_rtp(f, port, s);
    run_for(&f->loop, 50);
    sc_media_stats s;
    sc_media_stream_stats(st, &s);
    assert_int_equal(s.packets_received, 14);
    assert_int_equal(s.lost, 2);
    /* garbage is counted invalid */
    uint8_t junk[5] = {1, 2, 3, 4, 5};
    rx_send(&f->rx, port, junk, sizeof junk);
    run_for(&f->loop, 30);
    sc_media_stream_stats(st, &s);
    assert_int_equal(s.packets_invalid, 1);
    /* MOH to rx, then the remote moves to rx2: the stream follows, marker on the first */
    assert_int_equal(sc_media_moh_start(st, NULL), 0);
    run_for(&f->loop, 100);
    size_t n = f->rx.n;
    assert_true(n >= 3);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->rx2.port, SC_MEDIA_PCMA, 101, SC_MEDIA_SENDRECV),
                     0);
    run_for(&f->loop, 100);
    assert_true(f->rx.n <= n + 1);
    size_t k = 0;
    while (k < f->rx2.n && f->rx2.pkts[k].len < 12 + 160) /* skip RTCP */
        k++;
    assert_true(k < f->rx2.n);
    assert_int_equal(rtp_pt(&f->rx2.pkts[k]), 8);
    assert_true(rtp_marker(&f->rx2.pkts[k]));
    assert_int_equal(sc_media_stream_set_remote(st, "::1", 4000, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), -EINVAL);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", 4000, (sc_media_codec)3, 101, SC_MEDIA_SENDRECV),
                     -EINVAL);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", 4000, SC_MEDIA_PCMU, 13, SC_MEDIA_SENDRECV), -EINVAL);
    sc_media_stream_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loss_and_move, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
