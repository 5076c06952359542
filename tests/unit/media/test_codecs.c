/* Tests for the codec layer (Opus, G.722, G.711 behind sc_codec) and what uses it, over real
 * UDP on 127.0.0.1: an encode/decode round trip per codec keeps a tone's energy and frequency;
 * a bridge between an Opus leg and a PCMU leg carries audio both ways (the tone comes out of
 * each side at its frequency, with that side's payload type and timestamp step); two Opus legs
 * relay the payload bytes unchanged; G.722 <-> PCMA transcodes; music on hold is encoded once
 * per codec (two Opus listeners get the same bytes) with each codec's timestamp step; and
 * RFC 4733 events on an Opus stream count in 48 kHz units, sent and received. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "media/media_int.h"
#include "media_test_util.h"

#define OPUS_PT 111

/* ---- signal helpers ---------------------------------------------------------------------------- */

static void sine(int16_t *pcm, size_t n, unsigned rate, double hz, double amp, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(amp * sin(2 * M_PI * hz * (double)(i + offset) / rate));
}

static double rms(const int16_t *pcm, size_t n)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += (double)pcm[i] * pcm[i];
    return n ? sqrt(acc / (double)n) : 0;
}

/* Goertzel: the power of the signal at hz, normalised so that a full sine of amplitude A gives
 * about A^2/4 whatever n. */
static double tone_power(const int16_t *pcm, size_t n, unsigned rate, double hz)
{
    double w = 2 * M_PI * hz / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s = pcm[i] + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    double p = s1 * s1 + s2 * s2 - c * s1 * s2;
    return p / ((double)n * n);
}

/* The tone at hz dominates: its power is >= 20 times that at two other frequencies. */
static void assert_tone(const int16_t *pcm, size_t n, unsigned rate, double hz, double in_rms)
{
    double out = rms(pcm, n);
    assert_true(out > 0.5 * in_rms && out < 1.5 * in_rms);
    double p = tone_power(pcm, n, rate, hz);
    assert_true(p > 20 * tone_power(pcm, n, rate, hz * 1.7));
    assert_true(p > 20 * tone_power(pcm, n, rate, hz * 0.6));
}

/* Encode 50 frames (1 s) of a tone with codec at rate and decode them back: the second half of
 * the output carries the tone. */
static void round_trip(sc_media_codec id, unsigned rate, double hz)
{
    sc_codec *enc, *dec;
    assert_int_equal(sc_codec__new(&enc, id, true, rate, NULL), 0);
    assert_int_equal(sc_codec__new(&dec, id, false, rate, NULL), 0);
    size_t frame = rate / 50, total = 0;
    int16_t *out = calloc(frame * 50, sizeof *out);
    int16_t in[960];
    uint8_t bits[SC_CODEC_MAX_PAYLOAD];
    for (size_t f = 0; f < 50; f++) {
        sine(in, frame, rate, hz, 8000, f * frame);
        int n = sc_codec__encode(enc, in, frame, bits, sizeof bits);
        assert_true(n > 0);
        if (id == SC_MEDIA_G722)
            assert_int_equal(n, 160); /* 64 kbit/s: 160 octets a 20 ms frame at either rate */
        int got = sc_codec__decode(dec, bits, (size_t)n, out + total, frame * 50 - total);
        assert_int_equal(got, (int)frame);
        total += (size_t)got;
    }
    assert_tone(out + total / 2, total / 2, rate, hz, 8000 / sqrt(2));
    free(out);
    sc_codec__free(enc);
    sc_codec__free(dec);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip(SC_MEDIA_PCMU, 8000, 1000);
    round_trip(SC_MEDIA_PCMA, 8000, 1000);
    round_trip(SC_MEDIA_G722, 16000, 1000);
    round_trip(SC_MEDIA_G722, 16000, 5000); /* a wideband tone G.711 could not carry */
    round_trip(SC_MEDIA_G722, 8000, 1000);
    round_trip(SC_MEDIA_OPUS, 48000, 1000);
    round_trip(SC_MEDIA_OPUS, 16000, 700);
    round_trip(SC_MEDIA_OPUS, 8000, 440);
}

static void test_codec_table(void **state)
{
    (void)state;
    sc_media_codec c;
    assert_int_equal(sc_media_codec_clock(SC_MEDIA_G722), 8000); /* RFC 3551's quirk */
    assert_int_equal(sc_media_codec_clock(SC_MEDIA_OPUS), 48000);
    assert_int_equal(sc_codec__audio_rate(SC_MEDIA_G722), 16000);
    assert_int_equal(sc_codec__common_rate(SC_MEDIA_OPUS, SC_MEDIA_G722), 16000);
    assert_int_equal(sc_codec__common_rate(SC_MEDIA_OPUS, SC_MEDIA_PCMU), 8000);
    assert_int_equal(sc_media_codec_parse("OPUS", &c), 0);
    assert_int_equal(c, SC_MEDIA_OPUS);
    assert_int_equal(sc_media_codec_parse("GSM", &c), -EINVAL);
    /* garbage is refused by the decoders, never a crash */
    sc_codec *dec;
    int16_t pcm[SC_CODEC_MAX_PCM];
    assert_int_equal(sc_codec__new(&dec, SC_MEDIA_OPUS, false, 8000, NULL), 0);
    uint8_t junk[3] = {0xFF, 0xFF, 0xFF}; /* code 3, 63 frames: longer than the packet */
    assert_true(sc_codec__decode(dec, junk, sizeof junk, pcm, SC_CODEC_MAX_PCM) < 0);
    assert_true(sc_codec__decode(dec, junk, 0, pcm, SC_CODEC_MAX_PCM) < 0);
    sc_codec__free(dec);
    assert_int_equal(sc_codec__new(&dec, SC_MEDIA_PCMU, false, 16000, NULL), -EINVAL); /* G.711 is 8 kHz */
}

/* ---- over the wire ----------------------------------------------------------------------------- */

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    rx_sock pa, pb; /* the phones of legs A and B */
    sc_media_stream *a, *b;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(media_fixture_begin(&f->loop, &f->m, NULL, &f->pa, &f->pb), 0);
    assert_int_equal(sc_media_stream_open(f->m, &f->a, NULL), 0);
    assert_int_equal(sc_media_stream_open(f->m, &f->b, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(media_fixture_end(f->m, &f->loop, &f->pa, &f->pb), 0);
    free(f);
    return 0;
}

static void set_remote(sc_media_stream *st, rx_sock *r, sc_media_codec codec, int pt, int dtmf_pt)
{
    sc_media_format fmt = {.codec = codec, .pt = pt, .dtmf_pt = dtmf_pt};
    assert_int_equal(sc_media_stream_set_remote_format(st, "127.0.0.1", r->port, &fmt, SC_MEDIA_SENDRECV), 0);
}

/* The phone from sends n frames of a tone encoded with codec into stream into. */
static void send_tone(fx *f, rx_sock *from, sc_media_stream *into, sc_media_codec codec, uint8_t pt, double hz, int n)
{
    unsigned rate = sc_codec__audio_rate(codec), clock = sc_media_codec_clock(codec);
    size_t frame = rate / 50;
    sc_codec *enc;
    assert_int_equal(sc_codec__new(&enc, codec, true, rate, NULL), 0);
    for (int i = 0; i < n; i++) {
        int16_t pcm[960];
        uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
        sine(pcm, frame, rate, hz, 8000, (size_t)i * frame);
        int len = sc_codec__encode(enc, pcm, frame, pkt + 12, SC_CODEC_MAX_PAYLOAD);
        assert_true(len > 0);
        mk_rtp(pkt, pt, i == 0, (uint16_t)(7000 + i), 90000 + (uint32_t)i * clock / 50, 0xC0DEC0DE);
        assert_true(rx_send(from, sc_media_stream_port(into), pkt, 12 + (size_t)len) > 0);
        run_for(&f->loop, 2);
    }
    sc_codec__free(enc);
}

/* What phone r received: every packet has pt and the timestamp step of 20 ms at clock; the
 * decoded audio of the second half carries the tone at hz. */
static void check_received(rx_sock *r, sc_media_codec codec, uint8_t pt, double hz, size_t min_pkts)
{
    assert_true(r->n >= min_pkts);
    unsigned rate = sc_codec__audio_rate(codec), clock = sc_media_codec_clock(codec);
    sc_codec *dec;
    assert_int_equal(sc_codec__new(&dec, codec, false, rate, NULL), 0);
    int16_t *pcm = calloc(r->n * SC_CODEC_MAX_PCM, sizeof *pcm);
    size_t total = 0;
    for (size_t i = 0; i < r->n; i++) {
        rx_pkt *p = &r->pkts[i];
        assert_int_equal(rtp_pt(p), pt);
        if (i > 0)
            assert_int_equal(rtp_ts(p) - rtp_ts(&r->pkts[i - 1]), clock / 50);
        int got = sc_codec__decode(dec, p->data + 12, p->len - 12, pcm + total, SC_CODEC_MAX_PCM);
        assert_int_equal(got, (int)(rate / 50));
        total += (size_t)got;
    }
    /* the transcoded tone is a little weaker after two lossy codecs: amplitude 8000, rms 5657 */
    assert_tone(pcm + total / 2, total / 2, rate, hz, 8000 / sqrt(2));
    free(pcm);
    sc_codec__free(dec);
}

static void test_bridge_opus_pcmu(void **state)
{
    fx *f = *state;
    set_remote(f->a, &f->pa, SC_MEDIA_OPUS, OPUS_PT, 101);
    set_remote(f->b, &f->pb, SC_MEDIA_PCMU, 0, 101);
    assert_int_equal(sc_media_stream_codec(f->a), SC_MEDIA_OPUS);
    assert_int_equal(sc_media_bridge(f->a, f->b), 0);
    /* Opus phone -> PCMU phone */
    send_tone(f, &f->pa, f->a, SC_MEDIA_OPUS, OPUS_PT, 1000, 40);
    run_for(&f->loop, 20);
    check_received(&f->pb, SC_MEDIA_PCMU, 0, 1000, 35);
    assert_int_equal(rtp_ssrc(&f->pb.pkts[0]), sc_media_stream_ssrc(f->b));
    assert_true(rtp_marker(&f->pb.pkts[0]));
    /* PCMU phone -> Opus phone */
    send_tone(f, &f->pb, f->b, SC_MEDIA_PCMU, 0, 600, 40);
    run_for(&f->loop, 20);
    check_received(&f->pa, SC_MEDIA_OPUS, OPUS_PT, 600, 35);
    sc_media_stats sa, sb;
    sc_media_stream_stats(f->a, &sa);
    sc_media_stream_stats(f->b, &sb);
    assert_true(sb.transcoded >= 35 && sa.transcoded >= 35);
    assert_int_equal(sa.decode_errors + sb.decode_errors, 0);
}

static void test_bridge_g722_pcma(void **state)
{
    fx *f = *state;
    set_remote(f->a, &f->pa, SC_MEDIA_G722, -1, -1);
    set_remote(f->b, &f->pb, SC_MEDIA_PCMA, -1, -1);
    assert_int_equal(sc_media_bridge(f->a, f->b), 0);
    send_tone(f, &f->pa, f->a, SC_MEDIA_G722, 9, 800, 30);
    send_tone(f, &f->pb, f->b, SC_MEDIA_PCMA, 8, 500, 30);
    run_for(&f->loop, 20);
    check_received(&f->pb, SC_MEDIA_PCMA, 8, 800, 28);
    check_received(&f->pa, SC_MEDIA_G722, 9, 500, 28);
}

/* Both legs Opus (different payload types): the payload goes through unchanged. */
static void test_relay_opus_unchanged(void **state)
{
    fx *f = *state;
    set_remote(f->a, &f->pa, SC_MEDIA_OPUS, OPUS_PT, 101);
    set_remote(f->b, &f->pb, SC_MEDIA_OPUS, 96, 101);
    assert_int_equal(sc_media_bridge(f->a, f->b), 0);
    uint8_t sent[10][100];
    for (int i = 0; i < 10; i++) {
        uint8_t pkt[112];
        mk_rtp(pkt, OPUS_PT, i == 0, (uint16_t)(100 + i), 5000 + 960u * (uint32_t)i, 0x0BADCAFE);
        for (int k = 0; k < 100; k++)
            pkt[12 + k] = sent[i][k] = (uint8_t)(k * 13 + i * 7); /* not valid Opus: never decoded */
        assert_true(rx_send(&f->pa, sc_media_stream_port(f->a), pkt, sizeof pkt) > 0);
        run_for(&f->loop, 2);
    }
    run_for(&f->loop, 20);
    assert_int_equal(f->pb.n, 10);
    for (int i = 0; i < 10; i++) {
        rx_pkt *p = &f->pb.pkts[i];
        assert_int_equal(p->len, 112);
        assert_int_equal(rtp_pt(p), 96);
        assert_memory_equal(p->data + 12, sent[i], 100);
        if (i)
            assert_int_equal(rtp_ts(p) - rtp_ts(&f->pb.pkts[i - 1]), 960);
    }
    sc_media_stats sb;
    sc_media_stream_stats(f->b, &sb);
    assert_int_equal(sb.transcoded, 0);
}

/* Music on hold to two Opus streams and a G.722 one: one encoding per codec. */
static void test_moh_per_codec(void **state)
{
    fx *f = *state;
    rx_sock pc;
    assert_int_equal(rx_open(&f->loop, &pc), 0);
    sc_media_stream *c;
    assert_int_equal(sc_media_stream_open(f->m, &c, NULL), 0);
    set_remote(f->a, &f->pa, SC_MEDIA_OPUS, OPUS_PT, 101);
    set_remote(f->b, &f->pb, SC_MEDIA_OPUS, 97, 101);
    set_remote(c, &pc, SC_MEDIA_G722, -1, 101);
    assert_int_equal(sc_media_moh_start(f->a, NULL), 0);
    assert_int_equal(sc_media_moh_start(f->b, NULL), 0);
    assert_int_equal(sc_media_moh_start(c, NULL), 0);
    run_for(&f->loop, 300);
    sc_media_moh_stop(f->a);
    sc_media_moh_stop(f->b);
    sc_media_moh_stop(c);
    assert_true(f->pa.n >= 8 && f->pb.n >= 8 && pc.n >= 8);
    size_t n = f->pa.n < f->pb.n ? f->pa.n : f->pb.n;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rtp_pt(&f->pa.pkts[i]), OPUS_PT);
        assert_int_equal(rtp_pt(&f->pb.pkts[i]), 97);
        /* the same frame, encoded once: the same bytes on both streams */
        assert_int_equal(f->pa.pkts[i].len, f->pb.pkts[i].len);
        assert_memory_equal(f->pa.pkts[i].data + 12, f->pb.pkts[i].data + 12, f->pa.pkts[i].len - 12);
        if (i)
            assert_int_equal(rtp_ts(&f->pa.pkts[i]) - rtp_ts(&f->pa.pkts[i - 1]), 960);
    }
    for (size_t i = 0; i < pc.n; i++) {
        assert_int_equal(rtp_pt(&pc.pkts[i]), 9);
        assert_int_equal(pc.pkts[i].len, 12 + 160);
        if (i)
            assert_int_equal(rtp_ts(&pc.pkts[i]) - rtp_ts(&pc.pkts[i - 1]), 160); /* 8000 clock */
    }
    sc_media_stream_close(c);
    rx_close(&pc);
    uv_run(&f->loop, UV_RUN_NOWAIT); /* pc's close callback, before pc goes out of scope */
}

/* RFC 4733 on an Opus stream: the event's duration counts at 48 kHz; at 8 kHz when the peer
 * negotiated telephone-event/8000. */
static void test_dtmf_opus_clock(void **state)
{
    fx *f = *state;
    sc_media_format fmt = {.codec = SC_MEDIA_OPUS, .pt = OPUS_PT, .dtmf_pt = 101};
    assert_int_equal(sc_media_stream_set_remote_format(f->a, "127.0.0.1", f->pa.port, &fmt, SC_MEDIA_SENDRECV), 0);
    fmt.dtmf_clock = 8000;
    assert_int_equal(sc_media_stream_set_remote_format(f->b, "127.0.0.1", f->pb.port, &fmt, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_stream_send_dtmf(f->a, "5", 100), 0);
    assert_int_equal(sc_media_stream_send_dtmf(f->b, "5", 100), 0);
    run_for(&f->loop, 250);
    rx_sock *r[2] = {&f->pa, &f->pb};
    unsigned want[2] = {4800, 800};
    for (int k = 0; k < 2; k++) {
        assert_true(r[k]->n >= 4);
        rx_pkt *last = &r[k]->pkts[r[k]->n - 1];
        assert_int_equal(rtp_pt(last), 101);
        assert_true(last->data[13] & 0x80); /* end */
        assert_int_equal((last->data[14] << 8) | last->data[15], want[k]);
    }
}

static unsigned got_ms;
static char got_digit;
static void on_dtmf(sc_media_stream *st, char digit, unsigned ms, void *ud)
{
    (void)st;
    (void)ud;
    got_digit = digit;
    got_ms = ms;
}

/* Events received on an Opus stream: their duration read at 48 kHz (4,800 units: 100 ms). */
static void test_dtmf_receive_opus(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t base = test_port_base(20);
    sc_media_config cfg = {.port_min = base, .port_max = (uint16_t)(base + 19), .cb = {.on_dtmf = on_dtmf}};
    sc_media *m;
    sc_media_stream *st;
    rx_sock phone;
    assert_int_equal(sc_media_new(&m, &loop, &cfg), 0);
    assert_int_equal(rx_open(&loop, &phone), 0);
    assert_int_equal(sc_media_stream_open(m, &st, NULL), 0);
    set_remote(st, &phone, SC_MEDIA_OPUS, OPUS_PT, 101);
    for (int i = 0; i < 3; i++) { /* three end packets, as RFC 4733 sends them */
        uint8_t pkt[16];
        mk_rtp(pkt, 101, i == 0, (uint16_t)(10 + i), 48000, 0xD7D7D7D7);
        pkt[12] = 7;    /* digit 7 */
        pkt[13] = 0x8A; /* end, volume 10 */
        pkt[14] = 4800 >> 8;
        pkt[15] = 4800 & 0xFF;
        assert_true(rx_send(&phone, sc_media_stream_port(st), pkt, sizeof pkt) > 0);
    }
    run_for(&loop, 30);
    assert_int_equal(got_digit, '7');
    assert_int_equal(got_ms, 100);
    sc_media_free(m);
    rx_close(&phone);
    assert_int_equal(drain_loop(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_codec_table),
        cmocka_unit_test_setup_teardown(test_bridge_opus_pcmu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bridge_g722_pcma, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relay_opus_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moh_per_codec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dtmf_opus_clock, setup, teardown),
        cmocka_unit_test(test_dtmf_receive_opus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
