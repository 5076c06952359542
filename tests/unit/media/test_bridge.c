/* Tests for the RTP relay of a bridge over real UDP on 127.0.0.1: two phones (raw sockets)
 * on legs A and B; what phone A sends into A comes out of B with B's SSRC, continuous
 * sequence and timestamps across a source change, payload intact or transcoded, DTMF passed
 * through with the payload type mapped; MOH on a leg takes precedence; unbridge stops it. */
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
    rx_sock pa, pb; /* the phones on legs A and B */
    sc_media_stream *a, *b;
} fx;

static int setup_codecs(void **state, sc_media_codec ca, sc_media_codec cb)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(media_fixture_begin(&f->loop, &f->m, NULL, &f->pa, &f->pb), 0);
    assert_int_equal(sc_media_stream_open(f->m, &f->a, NULL), 0);
    assert_int_equal(sc_media_stream_open(f->m, &f->b, NULL), 0);
    assert_int_equal(sc_media_stream_set_remote(f->a, "127.0.0.1", f->pa.port, ca, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_stream_set_remote(f->b, "127.0.0.1", f->pb.port, cb, 96, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_bridge(f->a, f->b), 0);
    *state = f;
    return 0;
}

static int setup_same(void **state) { return setup_codecs(state, SC_MEDIA_PCMU, SC_MEDIA_PCMU); }
static int setup_mixed(void **state) { return setup_codecs(state, SC_MEDIA_PCMU, SC_MEDIA_PCMA); }

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(media_fixture_end(f->m, &f->loop, &f->pa, &f->pb), 0);
    free(f);
    return 0;
}

/* Phone A sends n audio packets (payload byte pattern from k) into leg A. */
static void send_audio(fx *f, rx_sock *from, sc_media_stream *into, uint8_t pt, int n, uint16_t seq, uint32_t ts,
                       uint32_t ssrc)
{
    for (int i = 0; i < n; i++) {
        uint8_t p[12 + 160];
        mk_rtp(p, pt, i == 0, (uint16_t)(seq + i), ts + 160u * (uint32_t)i, ssrc);
        for (int k = 0; k < 160; k++)
            p[12 + k] = (uint8_t)(k * 7 + i);
        assert_true(rx_send(from, sc_media_stream_port(into), p, sizeof p) > 0);
        run_for(&f->loop, 2);
    }
}

static void test_relay_rewrites(void **state)
{
    fx *f = *state;
    assert_int_equal(sc_media_bridge(f->a, f->b), 0); /* again: no-op */
    assert_ptr_equal(sc_media_bridge_peer(f->a), f->b);
    assert_int_equal(sc_media_bridge(f->a, f->a), -EINVAL);
    send_audio(f, &f->pa, f->a, 0, 10, 1000, 50000, 0xAAAA0001);
    run_for(&f->loop, 20);
    assert_int_equal(f->pb.n, 10);
    uint32_t bssrc = sc_media_stream_ssrc(f->b);
    for (size_t i = 0; i < 10; i++) {
        rx_pkt *p = &f->pb.pkts[i];
        assert_int_equal(p->len, 172);
        assert_int_equal(rtp_pt(p), 0);
        assert_int_equal(rtp_ssrc(p), bssrc);
        assert_int_equal(rtp_marker(p), i == 0);
        for (int k = 0; k < 160; k++)
            assert_int_equal(p->data[12 + k], (uint8_t)(k * 7 + (int)i));
        if (i) {
            assert_int_equal((uint16_t)(rtp_seq(p) - rtp_seq(p - 1)), 1);
            assert_int_equal(rtp_ts(p) - rtp_ts(p - 1), 160);
        }
    }
    /* the source changes (new SSRC, unrelated seq/ts, e.g. after a re-INVITE on leg A): the
     * first packet of the new SSRC is on probation (RFC 3550 A.1: dropped), the second takes
     * over; B's stream stays continuous, with the marker on the first packet of the new source */
    send_audio(f, &f->pa, f->a, 0, 5, 7, 900000000, 0xBBBB0002);
    run_for(&f->loop, 20);
    assert_int_equal(f->pb.n, 14);
    rx_pkt *last = &f->pb.pkts[9], *first = &f->pb.pkts[10];
    assert_true(rtp_marker(first));
    assert_int_equal(rtp_ssrc(first), bssrc);
    assert_int_equal((uint16_t)(rtp_seq(first) - rtp_seq(last)), 1);
    uint32_t dts = rtp_ts(first) - rtp_ts(last);
    assert_true(dts >= 160 && dts < 8 * 200);
    for (size_t i = 11; i < 14; i++) {
        assert_false(rtp_marker(&f->pb.pkts[i]));
        assert_int_equal((uint16_t)(rtp_seq(&f->pb.pkts[i]) - rtp_seq(&f->pb.pkts[i - 1])), 1);
        assert_int_equal(rtp_ts(&f->pb.pkts[i]) - rtp_ts(&f->pb.pkts[i - 1]), 160);
    }
    /* a gap in the input stays a gap (loss is visible to the far end) */
    send_audio(f, &f->pa, f->a, 0, 1, 7 + 5 + 1, 900000000 + 160 * 6, 0xBBBB0002);
    assert_int_equal(f->pb.n, 15);
    assert_int_equal((uint16_t)(rtp_seq(&f->pb.pkts[14]) - rtp_seq(&f->pb.pkts[13])), 2);
    /* the other way round: phone B into leg B comes out of A with A's SSRC */
    send_audio(f, &f->pb, f->b, 0, 3, 1, 1, 0xCCCC0003);
    run_for(&f->loop, 20);
    assert_int_equal(f->pa.n, 3);
    assert_int_equal(rtp_ssrc(&f->pa.pkts[0]), sc_media_stream_ssrc(f->a));
    /* DTMF passes through with the payload type mapped 101 -> 96 */
    uint8_t ev[16];
    mk_rtp(ev, 101, 1, 20, 900000000 + 160 * 8, 0xBBBB0002);
    ev[12] = 3;
    ev[13] = 0x8A;
    ev[14] = 0x03;
    ev[15] = 0x20;
    rx_send(&f->pa, sc_media_stream_port(f->a), ev, sizeof ev);
    run_for(&f->loop, 20);
    assert_int_equal(f->pb.n, 16);
    rx_pkt *d = &f->pb.pkts[15];
    assert_int_equal(rtp_pt(d), 96);
    assert_int_equal(d->len, 16);
    assert_memory_equal(d->data + 12, ev + 12, 4);
    assert_int_equal(rtp_ssrc(d), bssrc);
    /* MOH on leg B wins over the relay */
    assert_int_equal(sc_media_moh_start(f->b, NULL), 0);
    size_t before = f->pb.n;
    send_audio(f, &f->pa, f->a, 0, 5, 30, 900000000 + 160 * 30, 0xBBBB0002);
    run_for(&f->loop, 30);
    for (size_t i = before; i < f->pb.n; i++)
        assert_int_equal(rtp_ts(&f->pb.pkts[i]) - rtp_ts(&f->pb.pkts[i > before ? i - 1 : i]),
                         i > before ? 160u : 0u); /* only the MOH stream, no relayed packets */
    sc_media_moh_stop(f->b);
    /* unbridge: nothing relayed any more */
    sc_media_unbridge(f->b);
    assert_null(sc_media_bridge_peer(f->a));
    before = f->pb.n;
    send_audio(f, &f->pa, f->a, 0, 3, 60, 900000000 + 160 * 60, 0xBBBB0002);
    run_for(&f->loop, 30);
    assert_int_equal(f->pb.n, before);
    sc_media_stats sa;
    sc_media_stream_stats(f->a, &sa);
    assert_int_equal(sa.packets_received, 10 + 4 + 1 + 1 + 5 + 3);
    assert_int_equal(sa.probation, 1);
    assert_int_equal(sa.ssrc_changes, 1);
    assert_int_equal(sa.rejected, 0);
    assert_int_equal(sa.last_ssrc, 0xBBBB0002);
    /* closing one leg of a bridge unbridges it */
    assert_int_equal(sc_media_bridge(f->a, f->b), 0);
    sc_media_stream_close(f->a);
    assert_null(sc_media_bridge_peer(f->b));
}

static void test_relay_transcodes(void **state)
{
    fx *f = *state;
    send_audio(f, &f->pa, f->a, 0, 4, 1, 1, 0x1);
    run_for(&f->loop, 20);
    assert_int_equal(f->pb.n, 4);
    for (size_t i = 0; i < 4; i++) {
        rx_pkt *p = &f->pb.pkts[i];
        assert_int_equal(rtp_pt(p), 8);
        for (int k = 0; k < 160; k++) {
            uint8_t u = (uint8_t)(k * 7 + (int)i);
            assert_int_equal(p->data[12 + k], sc_media_alaw_encode(sc_media_ulaw_decode(u)));
        }
    }
    /* PCMU sent into the PCMA leg is a wrong payload type there: dropped and counted */
    send_audio(f, &f->pb, f->b, 0, 2, 1, 1, 0x2);
    run_for(&f->loop, 20);
    assert_int_equal(f->pa.n, 0);
    sc_media_stats sb;
    sc_media_stream_stats(f->b, &sb);
    assert_int_equal(sb.packets_invalid, 2);
    send_audio(f, &f->pb, f->b, 8, 2, 1, 1, 0x2);
    run_for(&f->loop, 20);
    assert_int_equal(f->pa.n, 2);
    assert_int_equal(rtp_pt(&f->pa.pkts[0]), 0);
    assert_int_equal(f->pa.pkts[0].data[12 + 5], sc_media_ulaw_encode(sc_media_alaw_decode(5 * 7)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_relay_rewrites, setup_same, teardown),
        cmocka_unit_test_setup_teardown(test_relay_transcodes, setup_mixed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
