/* Tests for RFC 4733 DTMF over real UDP on 127.0.0.1: digits sent by a stream parsed by a raw
 * receiver (marker, one timestamp per event, growing duration, three end packets), and
 * events sent by a raw sender reported once each with digit and duration. */
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
    rx_sock rx;
    char digits[32];
    unsigned durations[32];
    int ndigits;
    bool close_in_cb;
} fx;

static void on_dtmf(sc_media_stream *st, char digit, unsigned duration_ms, void *ud)
{
    fx *f = ud;
    if (f->ndigits < 32) {
        f->digits[f->ndigits] = digit;
        f->durations[f->ndigits] = duration_ms;
    }
    f->ndigits++;
    if (f->close_in_cb)
        sc_media_stream_close(st);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    uint16_t base = test_port_base(100);
    sc_media_config cfg = {.port_min = base, .port_max = (uint16_t)(base + 99), .cb.on_dtmf = on_dtmf};
    assert_int_equal(sc_media_new(&f->m, &f->loop, &cfg), 0);
    assert_int_equal(rx_open(&f->loop, &f->rx), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sc_media_free(f->m);
    rx_close(&f->rx);
    assert_int_equal(drain_loop(&f->loop), 0);
    free(f);
    return 0;
}

static void test_send(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    assert_int_equal(sc_media_stream_send_dtmf(st, "1", 100), -ENOTCONN);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->rx.port, SC_MEDIA_PCMU, -1, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_stream_send_dtmf(st, "1", 100), -ENOTSUP);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->rx.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_stream_send_dtmf(st, "1x", 100), -EINVAL);
    assert_int_equal(sc_media_stream_send_dtmf(st, "12#", 100), 0);
    run_for(&f->loop, 800);
    assert_int_equal(f->rx.n, 3 * (5 + 2)); /* 100 ms: durations 160..800 (5), + 2 more end packets */
    const int want[3] = {1, 2, 11};
    uint32_t prev_ts = 0;
    for (int e = 0; e < 3; e++) {
        rx_pkt *ev = &f->rx.pkts[e * 7];
        uint32_t ts = rtp_ts(ev);
        if (e)
            assert_true(ts - prev_ts >= 800); /* events do not overlap */
        prev_ts = ts;
        uint16_t last_dur = 0;
        for (int k = 0; k < 7; k++) {
            rx_pkt *p = &f->rx.pkts[e * 7 + k];
            assert_int_equal(p->len, 16);
            assert_int_equal(rtp_pt(p), 101);
            assert_int_equal(rtp_marker(p), k == 0);
            assert_int_equal(rtp_ts(p), ts);
            assert_int_equal(rtp_ssrc(p), sc_media_stream_ssrc(st));
            assert_int_equal(p->data[12], want[e]);
            bool end = p->data[13] & 0x80;
            assert_int_equal(end, k >= 4);
            assert_int_equal(p->data[13] & 0x3F, 10);
            uint16_t dur = (uint16_t)((p->data[14] << 8) | p->data[15]);
            assert_int_equal(dur, k < 4 ? 160 * (k + 1) : 800);
            assert_true(dur >= last_dur);
            last_dur = dur;
        }
    }
    for (size_t i = 1; i < f->rx.n; i++)
        assert_int_equal((uint16_t)(rtp_seq(&f->rx.pkts[i]) - rtp_seq(&f->rx.pkts[i - 1])), 1);
    /* the queue is bounded */
    char many[70];
    memset(many, '5', 69);
    many[69] = 0;
    assert_int_equal(sc_media_stream_send_dtmf(st, many, 40), -EAGAIN);
    sc_media_stream_close(st);
}

static void send_event(fx *f, uint16_t port, uint16_t seq, uint32_t ts, int marker, uint8_t ev, bool end, uint16_t dur)
{
    uint8_t p[16];
    mk_rtp(p, 101, marker, seq, ts, 0x11223344);
    p[12] = ev;
    p[13] = (uint8_t)((end ? 0x80 : 0) | 10);
    p[14] = (uint8_t)(dur >> 8);
    p[15] = (uint8_t)dur;
    assert_true(rx_send(&f->rx, port, p, sizeof p) > 0);
}

static void test_receive(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->rx.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    uint16_t port = sc_media_stream_port(st);
    uint16_t seq = 100;
    /* '5' for 120 ms: 6 growing packets, 3 end packets, then a late duplicate end */
    for (int k = 1; k <= 6; k++)
        send_event(f, port, seq++, 8000, k == 1, 5, false, (uint16_t)(160 * k));
    for (int k = 0; k < 3; k++)
        send_event(f, port, seq++, 8000, 0, 5, true, 960);
    run_for(&f->loop, 50);
    send_event(f, port, seq++, 8000, 0, 5, true, 960);
    /* '#' with only its end packets, 250 ms */
    for (int k = 0; k < 3; k++)
        send_event(f, port, seq++, 12000, k == 0, 11, true, 2000);
    /* 'A' whose end packets were all lost, followed by '0': 'A' is reported when '0' starts */
    send_event(f, port, seq++, 20000, 1, 12, false, 160);
    send_event(f, port, seq++, 20000, 0, 12, false, 480);
    send_event(f, port, seq++, 24000, 1, 0, false, 160);
    send_event(f, port, seq++, 24000, 0, 0, true, 640);
    send_event(f, port, seq++, 24000, 0, 0, true, 640);
    /* not a digit (event 16, flash... ignored) */
    send_event(f, port, seq++, 28000, 1, 16, true, 640);
    run_for(&f->loop, 100);
    assert_int_equal(f->ndigits, 4);
    assert_memory_equal(f->digits, "5#A0", 4);
    assert_int_equal(f->durations[0], 120);
    assert_int_equal(f->durations[1], 250);
    assert_int_equal(f->durations[2], 60);
    assert_int_equal(f->durations[3], 80);
    sc_media_stats s;
    sc_media_stream_stats(st, &s);
    assert_int_equal(s.dtmf_received, 4);
    assert_int_equal(s.packets_received, seq - 100);
    /* an unexpected payload type is counted invalid, not reported */
    uint8_t p[16];
    mk_rtp(p, 96, 1, seq++, 30000, 0x11223344);
    p[12] = 1;
    p[13] = 0x8A;
    p[14] = 0;
    p[15] = 160;
    rx_send(&f->rx, port, p, sizeof p);
    run_for(&f->loop, 50);
    sc_media_stream_stats(st, &s);
    assert_int_equal(s.packets_invalid, 1);
    assert_int_equal(f->ndigits, 4);
    /* the callback may close the stream */
    f->close_in_cb = true;
    send_event(f, port, seq++, 40000, 1, 9, true, 800);
    send_event(f, port, seq++, 40000, 0, 9, true, 800);
    run_for(&f->loop, 50);
    assert_int_equal(f->ndigits, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
